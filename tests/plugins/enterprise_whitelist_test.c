/*
 * enterprise-whitelist against the SDK's fake host (no core): each check
 * of the policy and its reason, pins, address patterns, entries from the
 * profile and from a file (file:line errors), seeding and reseeding of the
 * stored list, the authority's grants (owner and non-owner), takeover,
 * override and defaults, structs of the ABI 1.0 size, and no leaked host
 * memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/authority.h>
#include <polydm/mo.h>
#include <polydm/policy.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_enterprise_whitelist_entry(void);

#define PIN_A "sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
#define PIN_B "sha256//PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0="
#define PIN_C "sha256//Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUmXJloaJa78Y="

#define ENT_CORP "corp https://dm.corp.example/dm " PIN_A " owner"
#define ENT_BRANCH "branch https://*.branch.example/dm " PIN_B

typedef struct fx {
    pdm_fake_host *fh;
    const pdm_plugin_desc *d;
    void *pdata, *pol, *auth, *mo;
    int rc; /* of the first create that failed, else PDM_OK */
} fx;

static const pdm_policy_ops *pol_ops(const fx *f)
{
    return (const pdm_policy_ops *)f->d->components[0].ops;
}

static const pdm_authority_ops *auth_ops(const fx *f)
{
    return (const pdm_authority_ops *)f->d->components[1].ops;
}

static const pdm_mo_ops *mo_ops(const fx *f)
{
    return (const pdm_mo_ops *)f->d->components[2].ops;
}

static void fx_new(fx *f)
{
    memset(f, 0, sizeof *f);
    f->fh = pdm_fake_host_new();
    f->d = pdm_plugin_enterprise_whitelist_entry();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->fh);
}

static void opt(fx *f, const char *key, const char *val)
{
    CU_ASSERT_EQUAL(pdm_fake_host_set_option(f->fh, key, val), 0);
}

/* init and both components, as the core starts the plugin. */
static int fx_start(fx *f)
{
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(f->fh);
    f->pdata = f->pol = f->auth = NULL;
    f->rc = f->d->init(pc, pdm_fake_host_api(f->fh), &f->pdata);
    if (f->rc != PDM_OK)
        return f->rc; /* fini is not called after a failed init */
    f->rc = pol_ops(f)->head.create(pc, f->pdata, &f->pol);
    if (f->rc == PDM_OK &&
        (f->rc = auth_ops(f)->head.create(pc, f->pdata, &f->auth)) != PDM_OK) {
        pol_ops(f)->head.destroy(f->pol);
        f->pol = NULL;
    }
    if (f->rc == PDM_OK &&
        (f->rc = mo_ops(f)->head.create(pc, f->pdata, &f->mo)) != PDM_OK) {
        auth_ops(f)->head.destroy(f->auth);
        pol_ops(f)->head.destroy(f->pol);
        f->pol = NULL;
    }
    if (f->rc != PDM_OK)
        f->d->fini(pc, f->pdata);
    return f->rc;
}

/* Stops the plugin (the store stays, like a device's across restarts). */
static void fx_restart_stop(fx *f)
{
    if (f->rc == PDM_OK && f->pol) {
        pol_ops(f)->head.destroy(f->pol);
        auth_ops(f)->head.destroy(f->auth);
        mo_ops(f)->head.destroy(f->mo);
        f->d->fini(pdm_fake_host_ctx(f->fh), f->pdata);
    }
    f->pol = f->auth = f->mo = f->pdata = NULL;
}

static void fx_free(fx *f)
{
    fx_restart_stop(f);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f->fh), 0);
    pdm_fake_host_free(f->fh);
}

static const char *last_error(const fx *f)
{
    const char *e = NULL;
    for (size_t i = 0; pdm_fake_host_error(f->fh, i); i++)
        e = pdm_fake_host_error(f->fh, i);
    return e ? e : "(none)";
}

/* A started fixture with the two standard entries. */
static void fx_std(fx *f)
{
    fx_new(f);
    opt(f, "entry.1", ENT_CORP);
    opt(f, "entry.2", ENT_BRANCH);
    CU_ASSERT_EQUAL_FATAL(fx_start(f), PDM_OK);
}

static pdm_verdict ask_req(fx *f, const pdm_policy_req *r)
{
    pdm_verdict v;
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(pol_ops(f)->check(f->pol, r, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.reserved, 0);
    return v;
}

static pdm_verdict ask(fx *f, uint32_t op, const char *sid, const char *addr,
                       uint32_t flags, const char *pin)
{
    pdm_policy_req r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.op = op;
    r.principal = op == PDM_OP_BOOTSTRAP ? PDM_PRINCIPAL_BOOTSTRAP
                                         : PDM_PRINCIPAL_SERVER;
    r.flags = flags;
    r.server_id = sid;
    r.address = addr;
    r.key_pin = pin;
    return ask_req(f, &r);
}

#define ASSERT_VERDICT(v, dec, why)            \
    do {                                       \
        pdm_verdict v_ = (v);                  \
        CU_ASSERT_EQUAL(v_.decision, (dec));   \
        PDM_ASSERT_STR(v_.reason, (why));      \
    } while (0)

#define CORP "https://dm.corp.example/dm"

#define LIST_URI "./Vendor/polydm/Whitelist/List"

static char *mo_get_text(fx *f)
{
    static char buf[4096];
    pdm_blob b = {NULL, 0};
    CU_ASSERT_EQUAL_FATAL(mo_ops(f)->get(f->mo, LIST_URI, &b), PDM_OK);
    snprintf(buf, sizeof buf, "%.*s", (int)b.len, (const char *)b.data);
    pdm_fake_host_api(f->fh)->free(b.data);
    return buf;
}

static int mo_put(fx *f, const char *uri, const char *text)
{
    pdm_blob v = {(uint8_t *)(uintptr_t)text, strlen(text)};
    return mo_ops(f)->replace(f->mo, uri, &v);
}

/* ---- descriptor ------------------------------------------------------------ */

static void test_wl__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_enterprise_whitelist_entry();
    const pdm_option_desc *o = d->options;
    size_t n = 0;
    PDM_ASSERT_STR(d->name, "enterprise-whitelist");
    CU_ASSERT_EQUAL(d->abi_major, PDM_ABI_MAJOR);
    CU_ASSERT_EQUAL(d->abi_minor, PDM_ABI_MINOR);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_POLICY);
    PDM_ASSERT_STR(d->components[0].name, "policy");
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_AUTHORITY);
    PDM_ASSERT_STR(d->components[1].name, "authority");
    CU_ASSERT_EQUAL(d->components[2].kind, PDM_KIND_MO);
    PDM_ASSERT_STR(d->components[2].name, "whitelist");
    CU_ASSERT_EQUAL(d->components[3].kind, PDM_KIND_END);
    {
        const pdm_mo_ops *m = (const pdm_mo_ops *)d->components[2].ops;
        PDM_ASSERT_STR(m->base_uri, "./Vendor/polydm/Whitelist");
        PDM_ASSERT_STR(m->nodes[1].path, "List");
        CU_ASSERT_EQUAL(m->nodes[1].flags,
                        PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE);
        CU_ASSERT_PTR_NULL(m->nodes[2].path);
        CU_ASSERT_PTR_NULL(m->exec);
    }
    /* entry.1 .. entry.16 and file, none required (a numbered family
     * cannot be: create checks that there is at least one) */
    for (; o->key; o++, n++)
        CU_ASSERT_EQUAL(o->flags, 0);
    CU_ASSERT_EQUAL(n, 17);
    PDM_ASSERT_STR(d->options[0].key, "entry.1");
    PDM_ASSERT_STR(d->options[15].key, "entry.16");
    PDM_ASSERT_STR(d->options[16].key, "file");
    {
        const pdm_authority_ops *a =
            (const pdm_authority_ops *)d->components[1].ops;
        CU_ASSERT_EQUAL(a->head.struct_size, sizeof(pdm_authority_ops));
        CU_ASSERT_PTR_NOT_NULL(a->takeover);
        CU_ASSERT_PTR_NOT_NULL(a->override);
        CU_ASSERT_PTR_NOT_NULL(a->defaults);
    }
}

/* ---- session and credentials: every check and its reason ------------------- */

static void contact_checks(uint32_t op)
{
    fx f;
    fx_std(&f);
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, PIN_A), PDM_ALLOW,
                   "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, op, "rogue", CORP, PDM_REQ_TLS, PIN_A), PDM_DENY,
                   "ServerID 'rogue' is not on the whitelist");
    ASSERT_VERDICT(ask(&f, op, NULL, CORP, PDM_REQ_TLS, PIN_A), PDM_DENY,
                   "no ServerID: only whitelisted servers are contacted");
    ASSERT_VERDICT(ask(&f, op, "corp", "https://evil.example/dm", PDM_REQ_TLS,
                       PIN_A),
                   PDM_DENY,
                   "address 'https://evil.example/dm' does not match "
                   "'https://dm.corp.example/dm' (whitelist entry of corp)");
    ASSERT_VERDICT(ask(&f, op, "corp", NULL, PDM_REQ_TLS, PIN_A), PDM_DENY,
                   "address '(none)' does not match "
                   "'https://dm.corp.example/dm' (whitelist entry of corp)");
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_AUTHENTICATED, PIN_A),
                   PDM_DENY,
                   "no TLS: corp is contacted only over verified TLS");
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, NULL), PDM_DENY,
                   "no key pin: the transport reported none for corp");
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, PIN_B), PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    /* another listed server's pin is still the wrong one */
    ASSERT_VERDICT(ask(&f, op, "branch", "https://x.branch.example/dm",
                       PDM_REQ_TLS, PIN_A),
                   PDM_DENY,
                   "key pin does not match the whitelist entry of branch");
    ASSERT_VERDICT(ask(&f, op, "branch", "https://x.branch.example/dm",
                       PDM_REQ_TLS | PDM_REQ_AUTHENTICATED, PIN_B),
                   PDM_ALLOW, "whitelisted, pinned server");
    /* a malformed or truncated peer pin matches nothing */
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, "sha256//ypeBE"),
                   PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, PIN_A ";" PIN_B),
                   PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    ASSERT_VERDICT(ask(&f, op, "corp", CORP, PDM_REQ_TLS, ""), PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    /* ServerIDs are exact */
    ASSERT_VERDICT(ask(&f, op, "CORP", CORP, PDM_REQ_TLS, PIN_A), PDM_DENY,
                   "ServerID 'CORP' is not on the whitelist");
    fx_free(&f);
}

static void test_wl__session_checks(void) { contact_checks(PDM_OP_SESSION); }

/* A verified package 0 asking for a session (PDM_REQ_NOTIFICATION, ABI
 * 1.3): listed and address only, no TLS or pin exists yet; the session
 * itself is asked again with them.  Only for PDM_OP_SESSION. */
static void test_wl__notification(void)
{
    fx f;
    fx_std(&f);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_NOTIFICATION,
                       NULL),
                   PDM_ALLOW, "whitelisted server (notification)");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "rogue", CORP,
                       PDM_REQ_NOTIFICATION, NULL),
                   PDM_DENY, "ServerID 'rogue' is not on the whitelist");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", "https://evil.example/dm",
                       PDM_REQ_NOTIFICATION, NULL),
                   PDM_DENY,
                   "address 'https://evil.example/dm' does not match "
                   "'https://dm.corp.example/dm' (whitelist entry of corp)");
    ASSERT_VERDICT(ask(&f, PDM_OP_SEND_SECRET, "corp", CORP,
                       PDM_REQ_NOTIFICATION, NULL),
                   PDM_DENY, "no TLS: corp is contacted only over verified TLS");
    fx_free(&f);
}

static void test_wl__send_secret_checks(void)
{
    contact_checks(PDM_OP_SEND_SECRET);
}

/* An entry may pin several keys (rollover): any one of them matches. */
static void test_wl__pin_list(void)
{
    fx f;
    fx_new(&f);
    opt(&f, "entry.1", "corp " CORP " " PIN_A ";" PIN_B);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_B),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_C),
                   PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    fx_free(&f);
}

/* Malformed pins fail create, naming the entry (the core's syntax). */
static void test_wl__bad_pins(void)
{
    static const char *const bad[] = {
        "sha1//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=",
        "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=",
        "sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSL=",   /* 43 */
        "sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLsA",  /* no = */
        "sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uS==",   /* == */
        "sha256//ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/u-Ls=",  /* '-' */
        PIN_A ";",
        PIN_A ";;" PIN_B,
        "sha256//",
        PIN_A ";" PIN_A ";" PIN_A ";" PIN_A ";" PIN_A ";" PIN_A ";" PIN_A
              ";" PIN_A ";" PIN_A, /* 9 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx f;
        char entry[700], want[200];
        fx_new(&f);
        opt(&f, "entry.1", ENT_CORP);
        snprintf(entry, sizeof entry, "b " CORP " %s", bad[i]);
        opt(&f, "entry.2", entry);
        CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
        snprintf(want, sizeof want, "option.entry.2: key pin '%.20s", bad[i]);
        if (strncmp(last_error(&f), want, strlen(want)) != 0)
            fprintf(stderr, "pin %zu: %s\n", i, last_error(&f));
        CU_ASSERT_EQUAL(strncmp(last_error(&f), want, strlen(want)), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "is not sha256//<base64"));
        fx_free(&f);
    }
    /* eight are fine */
    {
        fx f;
        fx_new(&f);
        opt(&f, "entry.1", "corp " CORP " " PIN_A ";" PIN_A ";" PIN_A ";" PIN_A
                           ";" PIN_A ";" PIN_A ";" PIN_A ";" PIN_B);
        CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
        ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_B),
                       PDM_ALLOW, "whitelisted, pinned server");
        fx_free(&f);
    }
}

/* ---- address patterns -------------------------------------------------------- */

static void test_wl__address_patterns(void)
{
    static const struct {
        const char *pattern, *address;
        int match;
    } t[] = {
        {"https://dm.corp.example/dm", "https://dm.corp.example/dm", 1},
        /* scheme and host without case, the path with it */
        {"https://dm.corp.example/dm", "HTTPS://DM.Corp.Example/dm", 1},
        {"https://dm.corp.example/dm", "https://dm.corp.example/DM", 0},
        /* the query (a RespURI's session parameters) is not compared */
        {"https://dm.corp.example/dm", "https://dm.corp.example/dm?s=12", 1},
        {"https://dm.corp.example/dm", "https://dm.corp.example/dm#x", 1},
        {"https://dm.corp.example/dm", "http://dm.corp.example/dm", 0},
        {"https://dm.corp.example/dm", "https://dm.corp.example/dm/", 0},
        {"https://dm.corp.example/dm", "https://dm.corp.example:443/dm", 0},
        {"https://dm.corp.example/dm", "https://dm.corp.example.evil/dm", 0},
        {"https://dm.corp.example/dm", "", 0},
        /* '*': one or more host/path characters, never a delimiter */
        {"https://*.corp.example/dm", "https://a.b.corp.example/dm", 1},
        {"https://*.corp.example/dm", "https://.corp.example/dm", 0},
        {"https://*.corp.example/dm", "https://corp.example/dm", 0},
        {"https://*.corp.example/dm", "https://evil.example/x.corp.example/dm", 0},
        {"https://*.corp.example/dm", "https://u@h.corp.example/dm", 0},
        {"https://*.corp.example/dm", "https://e:1.corp.example/dm", 0},
        {"https://*.corp.example/dm", "https://h.corp.example.evil/dm", 0},
        {"https://dm.corp.example/*", "https://dm.corp.example/dm", 1},
        {"https://dm.corp.example/*", "https://dm.corp.example/a/b", 0},
        {"https://dm.corp.example/*", "https://dm.corp.example/", 0},
        {"https://dm.corp.example:*/dm", "https://dm.corp.example:8443/dm", 1},
        {"https://dm.corp.example:*/dm", "https://dm.corp.example/dm", 0},
        {"https://dm*.corp.example/*/v1", "https://dm2.corp.example/x/v1", 1},
        {"https://dm*.corp.example/*/v1", "https://dm.corp.example/x/v1", 0},
        {"https://a*a*a*a*b.example/", "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example/", 0},
        {"https://a*a*a*a*b.example/", "https://aaaaaaaaaaaaab.example/", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx f;
        char entry[700];
        pdm_verdict v;
        fx_new(&f);
        snprintf(entry, sizeof entry, "s %s " PIN_A, t[i].pattern);
        opt(&f, "entry.1", entry);
        CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
        v = ask(&f, PDM_OP_BOOTSTRAP, "s", t[i].address, 0, NULL);
        if (v.decision != (t[i].match ? PDM_ALLOW : PDM_DENY))
            fprintf(stderr, "pattern %zu %s vs %s: %s\n", i, t[i].pattern,
                    t[i].address, v.reason);
        CU_ASSERT_EQUAL(v.decision, t[i].match ? PDM_ALLOW : PDM_DENY);
        fx_free(&f);
    }
}

/* An address longer than the matcher takes never matches. */
static void test_wl__long_address(void)
{
    fx f;
    char *addr = malloc(3000);
    fx_new(&f);
    opt(&f, "entry.1", "s https://h.example/* " PIN_A);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    memcpy(addr, "https://h.example/", 18);
    memset(addr + 18, 'a', 2500);
    addr[2518] = '\0';
    CU_ASSERT_EQUAL(ask(&f, PDM_OP_BOOTSTRAP, "s", addr, 0, NULL).decision,
                    PDM_DENY);
    free(addr);
    fx_free(&f);
}

static void test_wl__bad_patterns(void)
{
    static const struct {
        const char *pattern, *why;
    } t[] = {
        {"http://dm.corp.example/dm", "is not an https:// URL"},
        {"dm.corp.example", "is not an https:// URL"},
        {"https:/", "is not an https:// URL"},
        {"https://", "has no host"},
        {"https:///dm", "has no host"},
        {"https://:443/dm", "has no host"},
        {"https://*/dm", "has no fixed part in its host"},
        {"https://*.*/dm", "has no fixed part in its host"},
        {"https://dm.example/**", "has '**'"},
        {"https://u@dm.example/", "has '@'"},
        {"https://dm.example/?q=1", "has '?' or '#'"},
        {"https://dm.example/#f", "has '?' or '#'"},
        {"https://dm.example/a\\b", "has '\\'"},
        {"https://dm.example/\xc3\xa9", "has a character that is not printable ASCII"},
        {"https://a*b*c*d*e*f*g*h*i*j.example/", "has more than 8 '*'"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx f;
        char entry[700];
        fx_new(&f);
        snprintf(entry, sizeof entry, "srv %s " PIN_A, t[i].pattern);
        opt(&f, "entry.3", entry);
        CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
        if (!strstr(last_error(&f), t[i].why) ||
            strncmp(last_error(&f), "option.entry.3: address pattern '", 33))
            fprintf(stderr, "pattern %zu: %s\n", i, last_error(&f));
        CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), t[i].why));
        CU_ASSERT_EQUAL(strncmp(last_error(&f),
                                "option.entry.3: address pattern '", 33), 0);
        fx_free(&f);
    }
    /* a pattern longer than 512 bytes */
    {
        fx f;
        char entry[900];
        fx_new(&f);
        memset(entry, 'a', sizeof entry);
        memcpy(entry, "s https://h.example/", 20);
        snprintf(entry + 600, sizeof entry - 600, " " PIN_A);
        opt(&f, "entry.1", entry);
        CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "is longer than 512 bytes"));
        fx_free(&f);
    }
}

/* Entry syntax errors name the entry. */
static void test_wl__bad_entries(void)
{
    static const struct {
        const char *entry, *error;
    } t[] = {
        {"corp", "option.entry.1: expected '<ServerID> <address-pattern> "
                 "<pin>[ owner]'"},
        {"corp " CORP, "option.entry.1: expected '<ServerID> "
                       "<address-pattern> <pin>[ owner]'"},
        {"   ", "option.entry.1: expected '<ServerID> <address-pattern> "
                "<pin>[ owner]'"},
        {"corp " CORP " " PIN_A " root", "option.entry.1: unexpected 'root' "
                                         "after the pin (only 'owner' may "
                                         "follow)"},
        {"corp " CORP " " PIN_A " owner x", "option.entry.1: unexpected "
                                            "'owner' after the pin (only "
                                            "'owner' may follow)"},
        {"co\x01rp " CORP " " PIN_A,
         "option.entry.1: ServerID has a control character"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx f;
        fx_new(&f);
        opt(&f, "entry.1", t[i].entry);
        CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
        PDM_ASSERT_STR(last_error(&f), t[i].error);
        fx_free(&f);
    }
}

/* At least one entry: a numbered family cannot be PDM_OPTION_REQUIRED,
 * so create fails with a clear error instead. */
static void test_wl__no_entries(void)
{
    fx f;
    fx_new(&f);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    PDM_ASSERT_STR(last_error(&f),
                   "no whitelist entry: give at least one in option.entry.1 "
                   "... option.entry.16 or in the file named by option.file");
    CU_ASSERT_PTR_NULL(pdm_fake_host_kv(f.fh, "entries", NULL));
    fx_free(&f);
}

/* Each ServerID once, one owner; gaps in the numbering are fine. */
static void test_wl__list_rules(void)
{
    fx f;
    fx_new(&f);
    opt(&f, "entry.2", ENT_CORP);
    opt(&f, "entry.7", "corp https://other.example/ " PIN_B);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    PDM_ASSERT_STR(last_error(&f), "option.entry.7: ServerID 'corp' is "
                                   "listed twice (first at option.entry.2)");
    fx_free(&f);

    fx_new(&f);
    opt(&f, "entry.1", ENT_CORP);
    opt(&f, "entry.16", "b https://b.example/ " PIN_B " owner");
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    PDM_ASSERT_STR(last_error(&f), "option.entry.16: a second owner entry "
                                   "(the first is 'corp' at option.entry.1): "
                                   "one enterprise server owns root");
    fx_free(&f);

    fx_new(&f);
    opt(&f, "entry.3", ENT_BRANCH);
    opt(&f, "entry.16", ENT_CORP);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    fx_free(&f);
}

/* ---- option.file ------------------------------------------------------------- */

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[4096];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", pdm_test_tmpdir(), name);
    fp = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fwrite(text, 1, len, fp);
    fclose(fp);
    return path;
}

static void test_wl__file(void)
{
    static const char text[] =
        "# the enterprise's servers\n"
        "\n"
        "corp https://dm.corp.example/dm " PIN_A " owner   # root\r\n"
        "   \t\n"
        "  branch\thttps://*.branch.example/dm " PIN_B "\n"
        "lab https://lab.example/dm " PIN_C; /* no final newline */
    fx f;
    fx_new(&f);
    opt(&f, "file", write_file("wl.txt", text, sizeof text - 1));
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "branch", "https://q.branch.example/dm",
                       PDM_REQ_TLS, PIN_B),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "lab", "https://lab.example/dm",
                       PDM_REQ_TLS, PIN_C),
                   PDM_ALLOW, "whitelisted, pinned server");
    {
        size_t len = 0;
        const char *kv = pdm_fake_host_kv(f.fh, "entries", &len);
        static const char want[] =
            "corp https://dm.corp.example/dm " PIN_A " owner\n"
            "branch https://*.branch.example/dm " PIN_B "\n"
            "lab https://lab.example/dm " PIN_C "\n";
        CU_ASSERT_EQUAL(len, sizeof want - 1);
        CU_ASSERT(kv && len == sizeof want - 1 && memcmp(kv, want, len) == 0);
    }
    fx_free(&f);
}

/* Options first, then the file: one list, one set of rules. */
static void test_wl__file_and_options(void)
{
    fx f;
    char want[4200];
    const char *path;
    fx_new(&f);
    opt(&f, "entry.1", ENT_CORP);
    {
        static const char text[] = "x https://x.example/ " PIN_B "\n"
                                   "corp https://c.example/ " PIN_B "\n";
        path = write_file("dup.txt", text, sizeof text - 1);
    }
    opt(&f, "file", path);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    snprintf(want, sizeof want, "%s:2: ServerID 'corp' is listed twice "
             "(first at option.entry.1)", path);
    PDM_ASSERT_STR(last_error(&f), want);
    fx_free(&f);
}

#define NULTEXT "corp " CORP " " PIN_A "\nx\0y\n"

static void test_wl__file_errors(void)
{
    static const struct {
        const char *text;
        size_t len;
        const char *error; /* after "<path>:" */
    } t[] = {
        {"# ok\ncorp " CORP " " PIN_A "\nbad line\n", 0,
         "3: expected '<ServerID> <address-pattern> <pin>[ owner]'"},
        {"corp " CORP " sha256//nope\n", 0, "1: key pin 'sha256//nope' is "
         "not sha256//<base64 of the SHA-256 of the server's public key> "
         "(up to 8, separated by ';')"},
        {"\n\ncorp http://x.example/ " PIN_A "\n", 0,
         "3: address pattern 'http://x.example/' is not an https:// URL"},
        {NULTEXT, sizeof NULTEXT - 1,
         "2: a NUL byte (not a text file)"},
        {"a " CORP " " PIN_A " owner\nb " CORP " " PIN_B " owner\n", 0,
         "2: a second owner entry (the first is 'a' at "},
        {"# only comments\n\n   # more\n", 0, NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx f;
        char want[4400];
        const char *path;
        fx_new(&f);
        path = write_file("bad.txt", t[i].text,
                          t[i].len ? t[i].len : strlen(t[i].text));
        opt(&f, "file", path);
        CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
        if (t[i].error) {
            snprintf(want, sizeof want, "%s:%s", path, t[i].error);
            if (strncmp(last_error(&f), want, strlen(want)) != 0)
                fprintf(stderr, "file %zu: %s\n", i, last_error(&f));
            CU_ASSERT_EQUAL(strncmp(last_error(&f), want, strlen(want)), 0);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "no whitelist entry"));
        }
        fx_free(&f);
    }
}

static void test_wl__file_missing_or_big(void)
{
    fx f;
    char path[4200], *big;
    snprintf(path, sizeof path, "%s/absent.txt", pdm_test_tmpdir());
    fx_new(&f);
    opt(&f, "file", path);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "option.file: cannot open "));
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "absent.txt: No such file"));
    fx_free(&f);

    /* over 64 KiB, and a line over 1023 bytes */
    big = malloc(70000);
    memset(big, '#', 70000);
    fx_new(&f);
    opt(&f, "file", write_file("big.txt", big, 70000));
    CU_ASSERT_EQUAL(fx_start(&f), PDM_ETOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "is larger than 65536 bytes"));
    fx_free(&f);
    fx_new(&f);
    opt(&f, "file", write_file("long.txt", big, 2000));
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "long.txt:1: line longer than 1023 bytes"));
    fx_free(&f);
    free(big);
}

/* ---- the stored list: seeded once, changed only by a factory reset ---------- */

static void test_wl__kv_seeding(void)
{
    fx f;
    size_t len = 0;
    const char *kv;
    fx_new(&f);
    opt(&f, "entry.1", ENT_CORP);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    kv = pdm_fake_host_kv(f.fh, "entries", &len);
    CU_ASSERT(kv && len == strlen(ENT_CORP) + 1 &&
              memcmp(kv, ENT_CORP "\n", len) == 0);
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 0),
                   "whitelist seeded from the profile (1 entries)");
    fx_restart_stop(&f);

    /* The profile changes (corp removed, rogue added): the stored list
     * stays in force across restarts. */
    pdm_fake_host_free(f.fh);
    {
        /* keep the store: a new host with the same stored value */
        pdm_fake_host *fh = pdm_fake_host_new();
        f.fh = fh;
    }
    pdm_fake_host_api(f.fh)->kv_put(pdm_fake_host_ctx(f.fh), "entries",
                                    ENT_CORP "\n", strlen(ENT_CORP) + 1);
    opt(&f, "entry.1", "rogue https://rogue.example/ " PIN_B " owner");
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "rogue", "https://rogue.example/",
                       PDM_REQ_TLS, PIN_B),
                   PDM_DENY, "ServerID 'rogue' is not on the whitelist");
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 0),
                   "the stored whitelist (1 entries) is in force; the "
                   "profile's differs and applies only after a factory reset");
    kv = pdm_fake_host_kv(f.fh, "entries", &len);
    CU_ASSERT(kv && len == strlen(ENT_CORP) + 1 &&
              memcmp(kv, ENT_CORP "\n", len) == 0);
    fx_restart_stop(&f);

    /* The same profile again: no message about a difference. */
    fx_free(&f);
    fx_new(&f);
    pdm_fake_host_api(f.fh)->kv_put(pdm_fake_host_ctx(f.fh), "entries",
                                    ENT_CORP "\n", strlen(ENT_CORP) + 1);
    opt(&f, "entry.1", ENT_CORP);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm_fake_host_log(f.fh, 0));
    fx_restart_stop(&f);

    /* A factory reset wipes the store: reseeded from the profile. */
    pdm_fake_host_api(f.fh)->kv_del(pdm_fake_host_ctx(f.fh), "entries");
    pdm_fake_host_free(f.fh);
    fx_new(&f);
    opt(&f, "entry.1", "rogue https://rogue.example/ " PIN_B " owner");
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_DENY, "ServerID 'corp' is not on the whitelist");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "rogue", "https://rogue.example/",
                       PDM_REQ_TLS, PIN_B),
                   PDM_ALLOW, "whitelisted, pinned server");
    fx_free(&f);
}

/* Restarting on one host: the second start reads what the first stored;
 * kv_del (the store wiped) reseeds on the next start. */
static void test_wl__kv_restart_same_host(void)
{
    fx f;
    fx_new(&f);
    opt(&f, "entry.1", ENT_CORP);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    fx_restart_stop(&f);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    /* seeded once: the second start logs nothing new */
    CU_ASSERT_PTR_NULL(pdm_fake_host_log(f.fh, 1));
    fx_restart_stop(&f);
    pdm_fake_host_api(f.fh)->kv_del(pdm_fake_host_ctx(f.fh), "entries");
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 1),
                   "whitelist seeded from the profile (1 entries)");
    fx_free(&f);
}

/* A stored list that does not parse fails closed, naming its line. */
static void test_wl__kv_corrupt(void)
{
    fx f;
    fx_new(&f);
    pdm_fake_host_api(f.fh)->kv_put(pdm_fake_host_ctx(f.fh), "entries",
                                    ENT_CORP "\ngarbage\n",
                                    strlen(ENT_CORP) + 9);
    opt(&f, "entry.1", ENT_CORP);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_ECORRUPT);
    PDM_ASSERT_STR(last_error(&f),
                   "stored whitelist:2: expected '<ServerID> "
                   "<address-pattern> <pin>[ owner]' (a factory reset "
                   "restores the profile's list)");
    fx_free(&f);
    /* and the profile is checked even when the store has a list */
    fx_new(&f);
    pdm_fake_host_api(f.fh)->kv_put(pdm_fake_host_ctx(f.fh), "entries",
                                    ENT_CORP "\n", strlen(ENT_CORP) + 1);
    CU_ASSERT_EQUAL(fx_start(&f), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(last_error(&f), "no whitelist entry"));
    fx_free(&f);
}

/* ---- bootstrap policy ---------------------------------------------------------- */

static void test_wl__bootstrap_policy(void)
{
    fx f;
    fx_std(&f);
    ASSERT_VERDICT(ask(&f, PDM_OP_BOOTSTRAP, "corp", CORP, 0, NULL), PDM_ALLOW,
                   "whitelisted server");
    ASSERT_VERDICT(ask(&f, PDM_OP_BOOTSTRAP, "rogue", CORP, 0, NULL), PDM_DENY,
                   "ServerID 'rogue' is not on the whitelist");
    ASSERT_VERDICT(ask(&f, PDM_OP_BOOTSTRAP, "corp", "https://rogue.example/dm",
                       0, NULL),
                   PDM_DENY,
                   "address 'https://rogue.example/dm' does not match "
                   "'https://dm.corp.example/dm' (whitelist entry of corp)");
    ASSERT_VERDICT(ask(&f, PDM_OP_BOOTSTRAP, "corp", NULL, 0, NULL), PDM_DENY,
                   "address '(none)' does not match "
                   "'https://dm.corp.example/dm' (whitelist entry of corp)");
    /* a document without a DM account installs no server */
    ASSERT_VERDICT(ask(&f, PDM_OP_BOOTSTRAP, NULL, NULL, 0, NULL), PDM_ABSTAIN,
                   "no DM account");
    fx_free(&f);
}

/* Root ownership moves only to the owner entry; transfers only to a
 * listed server; other requests are not the whitelist's business. */
static void test_wl__takeover_transfer_policy(void)
{
    fx f;
    pdm_policy_req r;
    fx_std(&f);
    ASSERT_VERDICT(ask(&f, PDM_OP_TAKEOVER, "corp", NULL, 0, NULL), PDM_ALLOW,
                   "the enterprise owner");
    ASSERT_VERDICT(ask(&f, PDM_OP_TAKEOVER, "branch", NULL, 0, NULL), PDM_DENY,
                   "new root owner 'branch' is not the whitelist's owner "
                   "(corp)");
    ASSERT_VERDICT(ask(&f, PDM_OP_TAKEOVER, NULL, NULL, 0, NULL), PDM_DENY,
                   "new root owner '(none)' is not the whitelist's owner "
                   "(corp)");
    ASSERT_VERDICT(ask(&f, PDM_OP_TRANSFER, "branch", NULL, 0, NULL),
                   PDM_ABSTAIN, "whitelisted");
    ASSERT_VERDICT(ask(&f, PDM_OP_TRANSFER, "rogue", NULL, 0, NULL), PDM_DENY,
                   "ServerID 'rogue' is not on the whitelist");
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.principal = PDM_PRINCIPAL_SERVER;
    r.server_id = "rogue";
    r.uri = "./A";
    for (uint32_t op = PDM_OP_GET; op <= PDM_OP_COPY; op++) {
        r.op = op;
        ASSERT_VERDICT(ask_req(&f, &r), PDM_ABSTAIN, "");
    }
    r.op = PDM_OP_ACCOUNT_DELETE;
    ASSERT_VERDICT(ask_req(&f, &r), PDM_ABSTAIN, "");
    fx_free(&f);

    fx_new(&f);
    opt(&f, "entry.1", ENT_BRANCH);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_TAKEOVER, "branch", NULL, 0, NULL), PDM_DENY,
                   "new root owner 'branch' is not the whitelist's owner "
                   "(none is listed)");
    fx_free(&f);
}

/* ---- structs of other sizes ------------------------------------------------- */

#define REQ_1_0 (offsetof(pdm_policy_req, key_pin) + sizeof(const char *))
#define INFO_1_0 (offsetof(pdm_authority_info, source) + sizeof(const char *))

/* An ABI 1.0 core's request: the bytes after struct_size are garbage (a
 * 1.3 field read there would be a wild pointer); the answer is the same. */
static void test_wl__abi_1_0_structs(void)
{
    fx f;
    union {
        pdm_policy_req r;
        unsigned char b[sizeof(pdm_policy_req) + 64];
    } u;
    union {
        pdm_authority_info i;
        unsigned char b[sizeof(pdm_authority_info) + 64];
    } ui;
    pdm_authority_grant g;
    pdm_policy_req full;
    fx_std(&f);

    memset(&full, 0, sizeof full);
    full.struct_size = REQ_1_0;
    full.op = PDM_OP_SESSION;
    full.principal = PDM_PRINCIPAL_SERVER;
    full.flags = PDM_REQ_TLS;
    full.server_id = "corp";
    full.address = CORP;
    full.key_pin = PIN_A;
    memset(u.b, 0xA5, sizeof u.b);
    memcpy(u.b, &full, REQ_1_0);
    ASSERT_VERDICT(ask_req(&f, &u.r), PDM_ALLOW, "whitelisted, pinned server");
    u.r.key_pin = PIN_B;
    ASSERT_VERDICT(ask_req(&f, &u.r), PDM_DENY,
                   "key pin does not match the whitelist entry of corp");
    /* a bootstrap from a 1.0 core (no content_type, account_exists) */
    u.r.op = PDM_OP_BOOTSTRAP;
    ASSERT_VERDICT(ask_req(&f, &u.r), PDM_ALLOW, "whitelisted server");
    /* a newer core's bigger struct: read as far as we know it */
    memset(u.b, 0xA5, sizeof u.b);
    full.struct_size = sizeof u.b;
    memcpy(u.b, &full, sizeof full);
    ASSERT_VERDICT(ask_req(&f, &u.r), PDM_ALLOW, "whitelisted, pinned server");
    /* smaller than 1.0: fail closed */
    u.r.struct_size = REQ_1_0 - sizeof(const char *);
    ASSERT_VERDICT(ask_req(&f, &u.r), PDM_DENY,
                   "request struct smaller than ABI 1.0");
    {
        pdm_verdict v;
        memset(&v, 0, sizeof v);
        CU_ASSERT_EQUAL(pol_ops(&f)->check(f.pol, NULL, &v), PDM_OK);
        CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    }

    /* authority info of the 1.0 size: home_plmn (1.3) is garbage */
    memset(ui.b, 0xA5, sizeof ui.b);
    memset(&ui.i, 0, INFO_1_0);
    ui.i.struct_size = INFO_1_0;
    ui.i.server_id = "corp";
    ui.i.address = CORP;
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CU_ASSERT_EQUAL(auth_ops(&f)->on_bootstrap(f.auth, &ui.i, &g), PDM_OK);
    PDM_ASSERT_STR(g.root_owner, "corp");
    pdm_fake_host_api(f.fh)->free(g.account_acl);
    pdm_fake_host_api(f.fh)->free(g.root_acl);
    pdm_fake_host_api(f.fh)->free(g.root_owner);
    /* too small: refused (the core refuses the bootstrap) */
    ui.i.struct_size = INFO_1_0 - 1;
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CU_ASSERT_EQUAL(auth_ops(&f)->on_bootstrap(f.auth, &ui.i, &g), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(g.account_acl);
    ui.i.struct_size = INFO_1_0;
    g.struct_size = 8;
    CU_ASSERT_EQUAL(auth_ops(&f)->on_bootstrap(f.auth, &ui.i, &g), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(g.account_acl);
    fx_free(&f);
}

/* ---- authority ---------------------------------------------------------------- */

static int grant(fx *f, const char *sid, const char *addr,
                 const char *root_owner, pdm_authority_grant *g)
{
    pdm_authority_info who;
    memset(&who, 0, sizeof who);
    who.struct_size = sizeof who;
    who.origin = PDM_ORIGIN_PUSH;
    who.server_id = sid;
    who.account_uri = "./DMAcc/1";
    who.address = addr;
    who.root_owner = root_owner;
    memset(g, 0, sizeof *g);
    g->struct_size = sizeof *g;
    return auth_ops(f)->on_bootstrap(f->auth, &who, g);
}

static void grant_free(fx *f, pdm_authority_grant *g)
{
    const pdm_host_api *h = pdm_fake_host_api(f->fh);
    h->free(g->account_acl);
    h->free(g->root_acl);
    h->free(g->root_owner);
}

static void test_wl__grants(void)
{
    fx f;
    pdm_authority_grant g;
    fx_std(&f);
    /* the owner entry: its account, and root */
    CU_ASSERT_EQUAL(grant(&f, "corp", CORP, NULL, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.flags, 0);
    PDM_ASSERT_STR(g.account_acl, "Get=corp&Replace=corp&Delete=corp");
    PDM_ASSERT_STR(g.root_acl,
                   "Add=*&Get=*&Replace=corp&Delete=corp&Exec=corp");
    PDM_ASSERT_STR(g.root_owner, "corp");
    grant_free(&f, &g);
    /* root taken from another owner (e.g. a factory account) */
    CU_ASSERT_EQUAL(grant(&f, "corp", CORP, "factory-srv", &g), PDM_OK);
    PDM_ASSERT_STR(g.root_owner, "corp");
    grant_free(&f, &g);
    /* a re-bootstrap of the owner keeps the root ACL it may have changed */
    CU_ASSERT_EQUAL(grant(&f, "corp", CORP, "corp", &g), PDM_OK);
    PDM_ASSERT_STR(g.account_acl, "Get=corp&Replace=corp&Delete=corp");
    CU_ASSERT_PTR_NULL(g.root_acl);
    CU_ASSERT_PTR_NULL(g.root_owner);
    grant_free(&f, &g);
    /* a listed non-owner: its account only, root unchanged */
    CU_ASSERT_EQUAL(grant(&f, "branch", "https://b.branch.example/dm", "corp",
                          &g),
                    PDM_OK);
    CU_ASSERT_EQUAL(g.flags, 0);
    PDM_ASSERT_STR(g.account_acl, "Get=branch&Replace=branch&Delete=branch");
    CU_ASSERT_PTR_NULL(g.root_acl);
    CU_ASSERT_PTR_NULL(g.root_owner);
    grant_free(&f, &g);
    CU_ASSERT_EQUAL(grant(&f, "branch", "https://b.branch.example/dm", NULL,
                          &g),
                    PDM_OK);
    CU_ASSERT_PTR_NULL(g.root_owner);
    grant_free(&f, &g);
    /* not listed, or listed at another address: refused, nothing handed */
    CU_ASSERT_EQUAL(grant(&f, "rogue", CORP, NULL, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.flags, PDM_GRANT_REFUSE);
    CU_ASSERT_PTR_NULL(g.account_acl);
    CU_ASSERT_PTR_NULL(g.root_acl);
    CU_ASSERT_PTR_NULL(g.root_owner);
    CU_ASSERT_EQUAL(grant(&f, "corp", "https://rogue.example/dm", NULL, &g),
                    PDM_OK);
    CU_ASSERT_EQUAL(g.flags, PDM_GRANT_REFUSE);
    CU_ASSERT_PTR_NULL(g.root_owner);
    CU_ASSERT_EQUAL(grant(&f, "corp", NULL, NULL, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.flags, PDM_GRANT_REFUSE);
    CU_ASSERT_EQUAL(grant(&f, NULL, CORP, NULL, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.flags, PDM_GRANT_REFUSE);
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 1),
                   "bootstrap of 'rogue' refused: not on the whitelist");
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 2),
                   "bootstrap of 'corp' refused: its address does not "
                   "match its whitelist entry");
    fx_free(&f);
}

static void test_wl__takeover_override(void)
{
    fx f;
    pdm_verdict v;
    pdm_authority_info to;
    fx_std(&f);
    memset(&to, 0, sizeof to);
    to.struct_size = sizeof to;
    /* takeover: never, whoever it is for */
    to.server_id = "corp";
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(auth_ops(&f)->takeover(f.auth, &to, &v), PDM_OK);
    ASSERT_VERDICT(v, PDM_DENY, "enterprise devices change owner only by the "
                                "enterprise or a factory reset");
    to.server_id = "branch";
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(auth_ops(&f)->takeover(f.auth, &to, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);

#define OVERRIDE(actor, owner, dec, why)                                      \
    do {                                                                      \
        memset(&v, 0, sizeof v);                                              \
        CU_ASSERT_EQUAL(auth_ops(&f)->override(f.auth, actor, owner, "./A/B", \
                                               &v),                           \
                        PDM_OK);                                              \
        ASSERT_VERDICT(v, dec, why);                                          \
    } while (0)
    /* nobody owns root yet (the core's fact): nobody is master */
    OVERRIDE("corp", "branch", PDM_DENY,
             "only the root owner (nobody owns root) changes nodes of "
             "another authority (branch)");
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "corp");
    OVERRIDE("corp", "branch", PDM_ALLOW, "the enterprise owner (owns root)");
    OVERRIDE("corp", "bootstrap:cp-bootstrap/cp", PDM_ALLOW,
             "the enterprise owner (owns root)");
    OVERRIDE("branch", "corp", PDM_DENY,
             "only the root owner (corp) changes nodes of another "
             "authority (corp)");
    OVERRIDE("rogue", "branch", PDM_DENY,
             "only the root owner (corp) changes nodes of another "
             "authority (branch)");
    OVERRIDE("branch", "factory", PDM_ALLOW,
             "factory and local nodes follow their ACLs");
    OVERRIDE("branch", "local", PDM_ALLOW,
             "factory and local nodes follow their ACLs");
    OVERRIDE(NULL, "corp", PDM_DENY,
             "only the root owner (corp) changes nodes of another "
             "authority (corp)");
    /* the core's fact moved (whatever moved it): master at once */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "branch");
    OVERRIDE("branch", "corp", PDM_ALLOW, "the enterprise owner (owns root)");
    OVERRIDE("corp", "branch", PDM_DENY,
             "only the root owner (branch) changes nodes of another "
             "authority (branch)");
    /* the core cannot say: nobody */
    pdm_fake_host_set_root_owner(f.fh, PDM_ENOTSUP, "corp");
    OVERRIDE("corp", "branch", PDM_DENY,
             "only the root owner (nobody owns root) changes nodes of "
             "another authority (branch)");
    fx_free(&f);

    fx_new(&f);
    opt(&f, "entry.1", ENT_BRANCH);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    OVERRIDE("branch", "x", PDM_DENY,
             "only the root owner (nobody owns root) changes nodes of "
             "another authority (x)");
#undef OVERRIDE
    fx_free(&f);
}

static void test_wl__defaults(void)
{
    fx f;
    pdm_authority_defaults d;
    fx_std(&f);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    CU_ASSERT_EQUAL(auth_ops(&f)->defaults(f.auth, &d), PDM_OK);
    PDM_ASSERT_STR(d.root_acl, "Add=*&Get=*");
    CU_ASSERT_PTR_NULL(d.dmacc_acl);
    CU_ASSERT_EQUAL(d.flags, 0);
    pdm_fake_host_api(f.fh)->free(d.root_acl);
    memset(&d, 0, sizeof d);
    d.struct_size = 8;
    CU_ASSERT_EQUAL(auth_ops(&f)->defaults(f.auth, &d), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(d.root_acl);
    fx_free(&f);
}

/* Out of memory anywhere in start-up and in grants: a clean error, no
 * leak, nothing half-stored. */
static void test_wl__alloc_failures(void)
{
    static const char file[] = "corp " CORP " " PIN_A " owner\n"
                               "b https://b.example/ " PIN_B "\n";
    const char *path = write_file("oom.txt", file, sizeof file - 1);
    int succeeded = 0;
    for (long n = 0; n < 60 && !succeeded; n++) {
        fx f;
        int rc;
        fx_new(&f);
        opt(&f, "entry.1", "c https://c.example/ " PIN_C);
        opt(&f, "file", path);
        pdm_fake_host_fail_alloc_after(f.fh, n);
        rc = fx_start(&f);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        if (rc == PDM_OK) {
            succeeded = 1;
            for (long k = 0; k < 5; k++) {
                pdm_authority_grant g;
                pdm_fake_host_fail_alloc_after(f.fh, k);
                rc = grant(&f, "corp", CORP, NULL, &g);
                CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
                if (rc != PDM_OK) {
                    CU_ASSERT_PTR_NULL(g.account_acl);
                    CU_ASSERT_PTR_NULL(g.root_acl);
                    CU_ASSERT_PTR_NULL(g.root_owner);
                }
                grant_free(&f, &g);
            }
            /* the MO: a Replace either happens whole or not at all */
            for (long k = 0; k < 12; k++) {
                pdm_blob out = {NULL, 0};
                pdm_fake_host_fail_alloc_after(f.fh, k);
                rc = mo_put(&f, LIST_URI, k % 2 ? ENT_CORP "\n" ENT_BRANCH
                                                : ENT_CORP "\n");
                CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
                rc = mo_ops(&f)->get(f.mo, LIST_URI, &out);
                CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
                if (rc != PDM_OK)
                    CU_ASSERT_PTR_NULL(out.data);
                pdm_fake_host_api(f.fh)->free(out.data);
            }
            /* savepoints: a begin that cannot save stays paired */
            for (long k = 0; k < 3; k++) {
                int brc;
                pdm_fake_host_fail_alloc_after(f.fh, -1);
                CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, ENT_CORP "\n"), PDM_OK);
                pdm_fake_host_fail_alloc_after(f.fh, k);
                brc = mo_ops(&f)->begin(f.mo);
                CU_ASSERT(brc == PDM_OK || brc == PDM_ENOMEM);
                pdm_fake_host_fail_alloc_after(f.fh, -1);
                CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, ENT_CORP "\n" ENT_BRANCH "\n"),
                                PDM_OK);
                mo_ops(&f)->rollback(f.mo);
                PDM_ASSERT_STR(mo_get_text(&f), brc == PDM_OK
                                                    ? ENT_CORP "\n"
                                                    : ENT_CORP "\n" ENT_BRANCH "\n");
            }
            pdm_fake_host_fail_alloc_after(f.fh, -1);
        } else {
            CU_ASSERT_PTR_NULL(pdm_fake_host_kv(f.fh, "entries", NULL));
        }
        fx_free(&f);
    }
    CU_ASSERT(succeeded);
}

/* ---- the MO: the owner edits the list over DM ------------------------------------ */

static void test_wl__mo_get_replace(void)
{
    fx f;
    size_t len = 0;
    const char *kv;
    pdm_verdict v;
    fx_std(&f);
    PDM_ASSERT_STR(mo_get_text(&f), ENT_CORP "\n" ENT_BRANCH "\n");
    /* the owner hands root to a new server and drops branch */
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI,
                           "# new list\r\n"
                           "corp " CORP " " PIN_A "\r\n"
                           "hq https://hq.corp.example/dm " PIN_C " owner\r\n"),
                    PDM_OK);
    PDM_ASSERT_STR(mo_get_text(&f), "corp " CORP " " PIN_A "\n"
                   "hq https://hq.corp.example/dm " PIN_C " owner\n");
    kv = pdm_fake_host_kv(f.fh, "entries", &len);
    CU_ASSERT(kv && len == strlen(mo_get_text(&f)) &&
              memcmp(kv, mo_get_text(&f), len) == 0);
    PDM_ASSERT_STR(pdm_fake_host_log(f.fh, 1),
                   "whitelist replaced over DM (2 entries, owner hq)");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "branch",
                       "https://x.branch.example/dm", PDM_REQ_TLS, PIN_B),
                   PDM_DENY, "ServerID 'branch' is not on the whitelist");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "hq", "https://hq.corp.example/dm",
                       PDM_REQ_TLS, PIN_C),
                   PDM_ALLOW, "whitelisted, pinned server");
    memset(&v, 0, sizeof v);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "hq"); /* hq bootstrapped */
    CU_ASSERT_EQUAL(auth_ops(&f)->override(f.auth, "hq", "corp", "./X", &v),
                    PDM_OK);
    CU_ASSERT_EQUAL(v.decision, PDM_ALLOW);
    /* kept across a restart: the stored list is in force */
    fx_restart_stop(&f);
    CU_ASSERT_EQUAL_FATAL(fx_start(&f), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "hq", "https://hq.corp.example/dm",
                       PDM_REQ_TLS, PIN_C),
                   PDM_ALLOW, "whitelisted, pinned server");
    fx_free(&f);
}

/* A bad list is refused whole, naming its line; the old one stays. */
static void test_wl__mo_replace_errors(void)
{
    static const struct {
        const char *text;
        int rc;
        const char *error;
    } t[] = {
        {ENT_CORP "\nrogue http://r.example/ " PIN_B "\n", PDM_EINVAL,
         "List:2: address pattern 'http://r.example/' is not an https:// URL"},
        {ENT_CORP "\nb " CORP " sha256//x\n", PDM_EINVAL,
         "List:2: key pin 'sha256//x' is not sha256//<base64 of the SHA-256 "
         "of the server's public key> (up to 8, separated by ';')"},
        {ENT_CORP "\n" ENT_CORP "\n", PDM_EINVAL,
         "List:2: ServerID 'corp' is listed twice (first at List:1)"},
        {"", PDM_EINVAL, "List: no entry"},
        {"# nothing\n", PDM_EINVAL, "List: no entry"},
        {ENT_BRANCH "\n", PDM_EINVAL,
         "List: no owner entry (nothing but a factory reset could change "
         "the list again)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx f;
        fx_std(&f);
        CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, t[i].text), t[i].rc);
        PDM_ASSERT_STR(last_error(&f), t[i].error);
        PDM_ASSERT_STR(mo_get_text(&f), ENT_CORP "\n" ENT_BRANCH "\n");
        fx_free(&f);
    }
    {
        fx f;
        char *big = malloc(70000);
        pdm_blob v = {(uint8_t *)big, 70000};
        pdm_blob nul = {(uint8_t *)"a\0b", 3};
        pdm_blob out = {NULL, 0};
        fx_std(&f);
        memset(big, '#', 70000);
        CU_ASSERT_EQUAL(mo_ops(&f)->replace(f.mo, LIST_URI, &v), PDM_ETOOBIG);
        PDM_ASSERT_STR(last_error(&f), "List: larger than 65536 bytes");
        CU_ASSERT_EQUAL(mo_ops(&f)->replace(f.mo, LIST_URI, &nul), PDM_EINVAL);
        PDM_ASSERT_STR(last_error(&f), "List:1: a NUL byte (not a text file)");
        CU_ASSERT_EQUAL(mo_ops(&f)->replace(f.mo, LIST_URI, NULL), PDM_EINVAL);
        /* only at its own base: an overridden base would be unguarded */
        CU_ASSERT_EQUAL(mo_put(&f, "./Other/List", ENT_CORP), PDM_EFORBIDDEN);
        PDM_ASSERT_STR(last_error(&f),
                       "./Other/List: the whitelist is served only at "
                       "./Vendor/polydm/Whitelist (the policy guards that "
                       "subtree; mo.whitelist.base cannot move it)");
        CU_ASSERT_EQUAL(mo_ops(&f)->get(f.mo, "./Other/List", &out),
                        PDM_EFORBIDDEN);
        CU_ASSERT_PTR_NULL(out.data);
        PDM_ASSERT_STR(mo_get_text(&f), ENT_CORP "\n" ENT_BRANCH "\n");
        free(big);
        fx_free(&f);
    }
}

/* The policy guards the MO's nodes: the owner server only (ACLs then
 * decide); the local user may read; nobody else. */
static void test_wl__mo_guard(void)
{
    static const struct {
        uint32_t op, principal;
        const char *sid, *uri;
        uint32_t decision;
        const char *why;
    } t[] = {
        {PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "corp", LIST_URI, PDM_ABSTAIN, ""},
        {PDM_OP_GET, PDM_PRINCIPAL_SERVER, "corp", LIST_URI, PDM_ABSTAIN, ""},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "corp", ".", PDM_ABSTAIN, ""},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "branch", LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_GET, PDM_PRINCIPAL_SERVER, "branch", LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is read only by its owner server (corp)"},
        {PDM_OP_GET, PDM_PRINCIPAL_SERVER, "rogue", "./Vendor/polydm/Whitelist",
         PDM_DENY, "./Vendor/polydm/Whitelist: the whitelist is read only by "
                   "its owner server (corp)"},
        {PDM_OP_ADD, PDM_PRINCIPAL_SERVER, "branch",
         "./Vendor/polydm/Whitelist/X", PDM_DENY,
         "./Vendor/polydm/Whitelist/X: the whitelist is changed only by its "
         "owner server (corp)"},
        {PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "branch", LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_COPY, PDM_PRINCIPAL_SERVER, "branch", LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        /* deleting an ancestor would take the whitelist along */
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "branch", "./Vendor", PDM_DENY,
         "./Vendor: the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "branch", ".", PDM_DENY,
         ".: the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "branch", "./Vendor",
         PDM_ABSTAIN, ""},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "branch", "./Vendor/polydm/W",
         PDM_ABSTAIN, ""},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "branch",
         "./Vendor/polydm/WhitelistX", PDM_ABSTAIN, ""},
        {PDM_OP_GET, PDM_PRINCIPAL_LOCAL, NULL, LIST_URI, PDM_ABSTAIN, ""},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_LOCAL, NULL, LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL, NULL, LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_ADD, PDM_PRINCIPAL_BOOTSTRAP, "corp", LIST_URI, PDM_DENY,
         LIST_URI ": the whitelist is changed only by its owner server (corp)"},
        {PDM_OP_ADD, PDM_PRINCIPAL_FACTORY, NULL, LIST_URI, PDM_ABSTAIN, ""},
    };
    fx f;
    fx_std(&f);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        pdm_policy_req r;
        pdm_verdict v;
        memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        r.op = t[i].op;
        r.principal = t[i].principal;
        r.server_id = t[i].sid;
        r.uri = t[i].uri;
        v = ask_req(&f, &r);
        if (v.decision != t[i].decision || strcmp(v.reason, t[i].why))
            fprintf(stderr, "guard %zu: %u %s\n", i, v.decision, v.reason);
        ASSERT_VERDICT(v, t[i].decision, t[i].why);
    }
    fx_free(&f);
}

/* The store is the one truth: a rolled-back package's list goes back
 * with it; a list the store lost or spoilt fails closed. */
static void test_wl__mo_store_truth(void)
{
    fx f;
    const pdm_host_api *h;
    pdm_verdict v;
    pdm_authority_grant g;
    fx_std(&f);
    h = pdm_fake_host_api(f.fh);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, "hq https://hq.example/ " PIN_C
                                         " owner\n"),
                    PDM_OK);
    /* the package rolls back: the store has the old list again */
    h->kv_put(pdm_fake_host_ctx(f.fh), "entries",
              ENT_CORP "\n" ENT_BRANCH "\n",
              strlen(ENT_CORP "\n" ENT_BRANCH "\n"));
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "hq", "https://hq.example/",
                       PDM_REQ_TLS, PIN_C),
                   PDM_DENY, "ServerID 'hq' is not on the whitelist");
    /* spoilt */
    h->kv_put(pdm_fake_host_ctx(f.fh), "entries", "x\n", 2);
    v = ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    PDM_ASSERT_STR(v.reason, "the stored whitelist cannot be read (data "
                             "corrupt or not a polydm store)");
    v = ask(&f, PDM_OP_BOOTSTRAP, NULL, NULL, 0, NULL);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    CU_ASSERT_EQUAL(grant(&f, "corp", CORP, NULL, &g), PDM_ECORRUPT);
    CU_ASSERT_PTR_NULL(g.account_acl);
    memset(&v, 0, sizeof v);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "corp"); /* still: deny */
    CU_ASSERT_EQUAL(auth_ops(&f)->override(f.auth, "corp", "b", "./X", &v),
                    PDM_OK);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    {
        pdm_blob out = {NULL, 0};
        CU_ASSERT_EQUAL(mo_ops(&f)->get(f.mo, LIST_URI, &out), PDM_ECORRUPT);
        CU_ASSERT_PTR_NULL(out.data);
    }
    /* requests that are not the whitelist's business do not read it */
    ASSERT_VERDICT(ask(&f, PDM_OP_GET, "corp", "./DevInfo/Man", 0, NULL),
                   PDM_ABSTAIN, "");
    /* gone while running */
    h->kv_del(pdm_fake_host_ctx(f.fh), "entries");
    v = ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    /* repaired (e.g. the package that spoilt it rolled back) */
    h->kv_put(pdm_fake_host_ctx(f.fh), "entries", ENT_CORP "\n",
              strlen(ENT_CORP "\n"));
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "corp", CORP, PDM_REQ_TLS, PIN_A),
                   PDM_ALLOW, "whitelisted, pinned server");
    fx_free(&f);
}

/* begin/commit/rollback: the core brackets packages and Atomics; the
 * store does not follow an Atomic's savepoint, so a failed Atomic's
 * Replace is put back by rollback(). */
#define L_STD ENT_CORP "\n" ENT_BRANCH "\n"
#define L_A ENT_CORP "\n"
#define L_B "hq https://hq.example/ " PIN_C " owner\n"

static void test_wl__mo_savepoints(void)
{
    fx f;
    const pdm_mo_ops *m;
    fx_std(&f);
    m = mo_ops(&f);
    /* package { Replace A; Atomic { Replace B } fails } commits: A */
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_A), PDM_OK);
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_B), PDM_OK);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "hq", "https://hq.example/",
                       PDM_REQ_TLS, PIN_C),
                   PDM_ALLOW, "whitelisted, pinned server");
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    ASSERT_VERDICT(ask(&f, PDM_OP_SESSION, "hq", "https://hq.example/",
                       PDM_REQ_TLS, PIN_C),
                   PDM_DENY, "ServerID 'hq' is not on the whitelist");
    CU_ASSERT_EQUAL(m->commit(f.mo), PDM_OK);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    {
        size_t len = 0;
        const char *kv = pdm_fake_host_kv(f.fh, "entries", &len);
        CU_ASSERT(kv && len == strlen(L_A) && memcmp(kv, L_A, len) == 0);
    }
    /* a whole package rolled back: the list of its begin */
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_B), PDM_OK);
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK); /* an Atomic that commits */
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_STD), PDM_OK);
    CU_ASSERT_EQUAL(m->commit(f.mo), PDM_OK);
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_B);
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    /* commit, then the core rolls back what it just committed (its store
     * commit failed): the list of the begin */
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_B), PDM_OK);
    CU_ASSERT_EQUAL(m->commit(f.mo), PDM_OK);
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    /* a rollback with nothing begun changes nothing */
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    /* a package without a Replace: rollback writes nothing */
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    m->rollback(f.mo);
    PDM_ASSERT_STR(mo_get_text(&f), L_A);
    fx_free(&f);
}

/* Deeper than the stack: begin says so, commit/rollback stay paired, the
 * outer levels still restore. */
static void test_wl__mo_savepoint_overflow(void)
{
    fx f;
    const pdm_mo_ops *m;
    int i;
    fx_std(&f);
    m = mo_ops(&f);
    for (i = 0; i < 32; i++)
        CU_ASSERT_EQUAL(m->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(m->begin(f.mo), PDM_ENOSPC);
    CU_ASSERT_EQUAL(mo_put(&f, LIST_URI, L_B), PDM_OK);
    m->rollback(f.mo); /* the 33rd: nothing saved, B stays */
    PDM_ASSERT_STR(mo_get_text(&f), L_B);
    m->rollback(f.mo); /* the 32nd: back to the list of its begin */
    PDM_ASSERT_STR(mo_get_text(&f), L_STD);
    for (i = 0; i < 31; i++)
        CU_ASSERT_EQUAL(m->commit(f.mo), PDM_OK);
    PDM_ASSERT_STR(mo_get_text(&f), L_STD);
    fx_free(&f);
}

static const pdm_test tests[] = {
    {"descriptor", test_wl__descriptor},
    {"session_checks", test_wl__session_checks},
    {"send_secret_checks", test_wl__send_secret_checks},
    {"pin_list", test_wl__pin_list},
    {"bad_pins", test_wl__bad_pins},
    {"address_patterns", test_wl__address_patterns},
    {"long_address", test_wl__long_address},
    {"bad_patterns", test_wl__bad_patterns},
    {"bad_entries", test_wl__bad_entries},
    {"no_entries", test_wl__no_entries},
    {"list_rules", test_wl__list_rules},
    {"file", test_wl__file},
    {"file_and_options", test_wl__file_and_options},
    {"file_errors", test_wl__file_errors},
    {"file_missing_or_big", test_wl__file_missing_or_big},
    {"kv_seeding", test_wl__kv_seeding},
    {"kv_restart_same_host", test_wl__kv_restart_same_host},
    {"kv_corrupt", test_wl__kv_corrupt},
    {"bootstrap_policy", test_wl__bootstrap_policy},
    {"takeover_transfer_policy", test_wl__takeover_transfer_policy},
    {"abi_1_0_structs", test_wl__abi_1_0_structs},
    {"grants", test_wl__grants},
    {"takeover_override", test_wl__takeover_override},
    {"notification", test_wl__notification},
    {"defaults", test_wl__defaults},
    {"alloc_failures", test_wl__alloc_failures},
    {"mo_get_replace", test_wl__mo_get_replace},
    {"mo_replace_errors", test_wl__mo_replace_errors},
    {"mo_guard", test_wl__mo_guard},
    {"mo_store_truth", test_wl__mo_store_truth},
    {"mo_savepoints", test_wl__mo_savepoints},
    {"mo_savepoint_overflow", test_wl__mo_savepoint_overflow},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"enterprise_whitelist", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
