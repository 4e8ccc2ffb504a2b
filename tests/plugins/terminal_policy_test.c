/*
 * terminal-policy against the SDK's fake host (no core): every option value
 * against the requests it governs, the defaults, bad option values refused
 * at create, unknown ops abstaining, an ABI 1.0-sized request, and no
 * leaked host memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/bootstrap.h>
#include <polydm/policy.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_terminal_policy_entry(void);

#define REQ_SIZE_1_0 (offsetof(pdm_policy_req, key_pin) + sizeof(const char *))
#define CT_CP "application/vnd.wap.connectivity-wbxml"
#define CT_CP_XML "text/vnd.wap.connectivity-xml"
#define CT_DM "application/vnd.syncml.dm+wbxml"
#define ORIG(o) (1u << (o))

static const pdm_policy_ops *ops(void)
{
    return (const pdm_policy_ops *)pdm_plugin_terminal_policy_entry()
        ->components[0]
        .ops;
}

/* One instance on a fake host, made with options "key", "value", ...,
 * NULL. */
typedef struct fx {
    pdm_fake_host *fh;
    void *pdata, *inst;
    int rc; /* of create */
} fx;

static fx make(const char *const *opts)
{
    const pdm_plugin_desc *d = pdm_plugin_terminal_policy_entry();
    fx f = {pdm_fake_host_new(), NULL, NULL, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.fh);
    for (size_t i = 0; opts && opts[i]; i += 2)
        pdm_fake_host_set_option(f.fh, opts[i], opts[i + 1]);
    CU_ASSERT_EQUAL_FATAL(d->init(pdm_fake_host_ctx(f.fh),
                                  pdm_fake_host_api(f.fh), &f.pdata),
                          PDM_OK);
    f.rc = ops()->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.inst);
    return f;
}

static fx make1(const char *key, const char *value)
{
    const char *o[] = {key, value, NULL};
    return make(o);
}

static void done(fx *f)
{
    if (f->rc == PDM_OK)
        ops()->head.destroy(f->inst);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f->fh), 0);
    pdm_fake_host_free(f->fh);
}

/* Two fixtures at once: the fake host counts allocations through the
 * newest one, so only their sum says that nothing leaked. */
static void done2(fx *a, fx *b)
{
    if (a->rc == PDM_OK)
        ops()->head.destroy(a->inst);
    if (b->rc == PDM_OK)
        ops()->head.destroy(b->inst);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(a->fh) +
                        pdm_fake_host_live_allocs(b->fh), 0);
    pdm_fake_host_free(b->fh);
    pdm_fake_host_free(a->fh);
}

static pdm_policy_req req(uint32_t op, uint32_t principal)
{
    pdm_policy_req r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.op = op;
    r.principal = principal;
    return r;
}

static pdm_policy_req boot(uint32_t origin, uint32_t sec)
{
    pdm_policy_req r = req(PDM_OP_BOOTSTRAP, PDM_PRINCIPAL_BOOTSTRAP);
    r.origin = origin;
    r.sec = sec;
    r.server_id = "srv";
    r.content_type = CT_CP;
    return r;
}

/* The decision on @r; the reason goes to a static buffer (last_reason). */
static char last_reason[sizeof(((pdm_verdict *)0)->reason)];
static uint32_t decide(const fx *f, const pdm_policy_req *r)
{
    pdm_verdict v;
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL_FATAL(f->rc, PDM_OK);
    CU_ASSERT_EQUAL(ops()->check(f->inst, r, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.reserved, 0);
    memcpy(last_reason, v.reason, sizeof last_reason);
    if (v.decision == PDM_DENY) { /* every DENY names its rule */
        CU_ASSERT_EQUAL(strncmp(v.reason, "terminal-policy: ", 17), 0);
    } else {
        CU_ASSERT_STRING_EQUAL(v.reason, "");
    }
    return v.decision;
}

#define ASSERT_REASON_HAS(s) \
    CU_ASSERT_PTR_NOT_NULL(strstr(last_reason, (s)))

/* ---- descriptor, defaults --------------------------------------------- */

static void test_terminal_policy__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_terminal_policy_entry();
    static const char *const keys[] = {
        "smartcard", "precedence", "push_secs", "file_secs",
        "smartcard_secs", "factory_secs", "user_secs", "require_usernetwpin",
        "privileged_userpin", "cp_rebootstrap", "user_acl_edit",
        "user_takeover", "user_account_delete", "secrets_tls_only"};
    size_t n = 0;
    PDM_ASSERT_STR(d->name, "terminal-policy");
    CU_ASSERT_EQUAL(d->abi_major, PDM_ABI_MAJOR);
    CU_ASSERT_EQUAL(d->abi_minor, PDM_ABI_MINOR);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_POLICY);
    PDM_ASSERT_STR(d->components[0].name, "terminal");
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_END);
    CU_ASSERT_EQUAL(ops()->head.struct_size, sizeof(pdm_policy_ops));
    /* Every option declared, with help and a default, and nothing else. */
    for (const pdm_option_desc *o = d->options; o->key; o++, n++) {
        CU_ASSERT_PTR_NOT_NULL(o->help);
        CU_ASSERT_PTR_NOT_NULL(o->def);
        CU_ASSERT_EQUAL(o->flags, 0);
        CU_ASSERT(n < sizeof keys / sizeof keys[0] &&
                  strcmp(o->key, keys[n]) == 0);
    }
    CU_ASSERT_EQUAL(n, sizeof keys / sizeof keys[0]);
}

/* The declared defaults are the defaults: a profile that spells each
 * default out decides as one that sets nothing. */
static void test_terminal_policy__declared_defaults(void)
{
    const pdm_plugin_desc *d = pdm_plugin_terminal_policy_entry();
    const char *o[64];
    size_t n = 0;
    fx f;
    pdm_policy_req r;
    for (const pdm_option_desc *od = d->options; od->key; od++) {
        o[n++] = od->key;
        o[n++] = od->def;
    }
    o[n] = NULL;
    f = make(o);
    CU_ASSERT_EQUAL(f.rc, PDM_OK);
    r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NONE);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    ASSERT_REASON_HAS("push_secs");
    r = boot(PDM_ORIGIN_FILE, PDM_SEC_NONE);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = req(PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    ASSERT_REASON_HAS("user_acl_edit = cp-only");
    done(&f);
}

static void test_terminal_policy__defaults(void)
{
    fx f = make(NULL);
    pdm_policy_req r;
    CU_ASSERT_EQUAL(f.rc, PDM_OK);
    /* smartcard = on, precedence = first */
    r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    r.account_origins = ORIG(PDM_ORIGIN_PUSH);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    r.account_origins = ORIG(PDM_ORIGIN_SMARTCARD);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    /* push: signed only; other origins: everything */
    r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NONE);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: push_secs: SEC NONE is not "
                                "accepted from origin push");
    for (uint32_t s = PDM_SEC_NETWPIN; s <= PDM_SEC_USERPINMAC; s++) {
        r = boot(PDM_ORIGIN_PUSH, s);
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    }
    for (uint32_t o = PDM_ORIGIN_FACTORY; o <= PDM_ORIGIN_USER; o++)
        for (uint32_t s = PDM_SEC_NONE; s <= PDM_SEC_USERPINMAC; s++) {
            r = boot(o, s);
            if (o != PDM_ORIGIN_PUSH)
                CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        }
    /* privileged_userpin = deny */
    r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_BOOTSTRAP);
    r.sec = PDM_SEC_USERPIN;
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    /* cp_rebootstrap = deny */
    r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    r.account_exists = 1;
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    ASSERT_REASON_HAS("cp_rebootstrap = deny");
    /* user_acl_edit = cp-only, user_takeover and user_account_delete =
     * allow (the authority decides: abstain) */
    r = req(PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = req(PDM_OP_TRANSFER, PDM_PRINCIPAL_LOCAL);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = req(PDM_OP_ACCOUNT_DELETE, PDM_PRINCIPAL_LOCAL);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    /* secrets_tls_only = false */
    r = req(PDM_OP_SEND_SECRET, PDM_PRINCIPAL_SERVER);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = req(PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER);
    r.uri = "./DMAcc/srv/AppAuth/cl/AAuthSecret";
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    done(&f);
}

/* ---- bootstrap rules ---------------------------------------------------- */

static void test_terminal_policy__smartcard(void)
{
    fx on = make1("smartcard", "on"), off = make1("smartcard", "off");
    pdm_policy_req r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&off, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: smartcard = off: smart-card "
                                "bootstrap is disabled on this terminal");
    /* only the smart card */
    for (uint32_t o = PDM_ORIGIN_UNKNOWN; o <= PDM_ORIGIN_USER; o++) {
        r = boot(o, PDM_SEC_USERNETWPIN);
        if (o != PDM_ORIGIN_SMARTCARD)
            CU_ASSERT_EQUAL(decide(&off, &r), PDM_ABSTAIN);
    }
    /* only bootstraps: a takeover by the card's bootstrap is not asked
     * here (its bootstrap was) */
    r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_BOOTSTRAP);
    r.origin = PDM_ORIGIN_SMARTCARD;
    CU_ASSERT_EQUAL(decide(&off, &r), PDM_ABSTAIN);
    done2(&on, &off);
}

static void test_terminal_policy__precedence(void)
{
    static const char *const values[] = {"first", "smartcard", "ota"};
    const uint32_t sim = ORIG(PDM_ORIGIN_SMARTCARD), ota = ORIG(PDM_ORIGIN_PUSH);
    for (size_t v = 0; v < 3; v++) {
        fx f = make1("precedence", values[v]);
        pdm_policy_req r;
        uint32_t d;
        CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
        /* over the air while the card's account exists */
        r = boot(PDM_ORIGIN_PUSH, PDM_SEC_USERNETWPIN);
        r.account_origins = sim | ORIG(PDM_ORIGIN_FACTORY);
        d = decide(&f, &r);
        CU_ASSERT_EQUAL(d, v == 1 ? PDM_DENY : PDM_ABSTAIN);
        if (v == 1)
            PDM_ASSERT_STR(last_reason,
                           "terminal-policy: precedence = smartcard: an "
                           "over-the-air bootstrap is refused while the smart "
                           "card's account exists");
        /* an unknown origin counts as over the air */
        r.origin = PDM_ORIGIN_UNKNOWN;
        CU_ASSERT_EQUAL(decide(&f, &r), v == 1 ? PDM_DENY : PDM_ABSTAIN);
        /* a file is not over the air */
        r.origin = PDM_ORIGIN_FILE;
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        /* the card while an over-the-air account exists */
        r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
        r.account_origins = ota;
        CU_ASSERT_EQUAL(decide(&f, &r), v == 2 ? PDM_DENY : PDM_ABSTAIN);
        if (v == 2)
            PDM_ASSERT_STR(last_reason,
                           "terminal-policy: precedence = ota: a smart-card "
                           "bootstrap is refused while an over-the-air "
                           "account exists");
        /* both exist: each refuses the other where the option says */
        r.account_origins = ota | sim;
        CU_ASSERT_EQUAL(decide(&f, &r), v == 2 ? PDM_DENY : PDM_ABSTAIN);
        r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
        r.account_origins = ota | sim;
        CU_ASSERT_EQUAL(decide(&f, &r), v == 1 ? PDM_DENY : PDM_ABSTAIN);
        /* nothing there yet: the first comes in */
        r.account_origins = 0;
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        /* other accounts (factory, file) never count */
        r.account_origins = ORIG(PDM_ORIGIN_FACTORY) | ORIG(PDM_ORIGIN_FILE);
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        done(&f);
    }
}

/* Each origin's list: exactly the methods named are accepted. */
static void test_terminal_policy__secs_per_origin(void)
{
    static const struct {
        const char *key;
        uint32_t origin;
    } keys[] = {{"push_secs", PDM_ORIGIN_PUSH},
                {"file_secs", PDM_ORIGIN_FILE},
                {"smartcard_secs", PDM_ORIGIN_SMARTCARD},
                {"factory_secs", PDM_ORIGIN_FACTORY},
                {"user_secs", PDM_ORIGIN_USER}};
    static const struct {
        const char *value;
        unsigned bits; /* 1 << pdm_sec */
    } lists[] = {
        {"NONE", 1u << PDM_SEC_NONE},
        {"USERNETWPIN", 1u << PDM_SEC_USERNETWPIN},
        {" netwpin , UserPin", (1u << PDM_SEC_NETWPIN) | (1u << PDM_SEC_USERPIN)},
        {"USERPINMAC,USERPINMAC,NONE",
         (1u << PDM_SEC_USERPINMAC) | (1u << PDM_SEC_NONE)},
        {"NONE,NETWPIN,USERPIN,USERNETWPIN,USERPINMAC", 0x1f},
    };
    static const char *const names[] = {"NONE", "NETWPIN", "USERPIN",
                                        "USERNETWPIN", "USERPINMAC"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
            fx f = make1(keys[k].key, lists[l].value);
            CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
            for (uint32_t s = PDM_SEC_NONE; s <= PDM_SEC_USERPINMAC; s++) {
                pdm_policy_req r = boot(keys[k].origin, s);
                int ok = (lists[l].bits >> s) & 1;
                CU_ASSERT_EQUAL(decide(&f, &r), ok ? PDM_ABSTAIN : PDM_DENY);
                if (!ok) {
                    char want[160];
                    snprintf(want, sizeof want,
                             "terminal-policy: %s: SEC %s is not accepted "
                             "from origin %.20s",
                             keys[k].key, names[s], keys[k].key);
                    *strrchr(want, '_') = '\0'; /* origin = key's stem */
                    PDM_ASSERT_STR(last_reason, want);
                }
                /* the other origins keep their defaults */
                r.origin = keys[k].origin == PDM_ORIGIN_FILE ? PDM_ORIGIN_USER
                                                             : PDM_ORIGIN_FILE;
                CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
            }
            done(&f);
        }
}

/* An origin the core cannot name gets push's list; an unknown SEC value is
 * refused whatever the lists say. */
static void test_terminal_policy__secs_unknown(void)
{
    fx f = make1("push_secs", "USERNETWPIN");
    pdm_policy_req r = boot(PDM_ORIGIN_UNKNOWN, PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: push_secs: SEC NETWPIN is "
                                "not accepted from origin unknown");
    r.origin = 77;
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    ASSERT_REASON_HAS("push_secs");
    r.sec = PDM_SEC_USERNETWPIN;
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
    r = boot(PDM_ORIGIN_FILE, 5);
    CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: unknown SEC method 5 from "
                                "origin file: refused");
    done(&f);
}

static void test_terminal_policy__require_usernetwpin(void)
{
    fx no = make1("require_usernetwpin", "false");
    fx yes = make1("require_usernetwpin", "true");
    pdm_policy_req r = boot(PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(decide(&no, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&yes, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: require_usernetwpin = true: "
                                "NETWPIN alone is refused over the air (it "
                                "rests on the interceptable IMSI)");
    r.origin = PDM_ORIGIN_UNKNOWN;
    CU_ASSERT_EQUAL(decide(&yes, &r), PDM_DENY);
    /* the other methods, and NETWPIN from a file or the card, stay */
    for (uint32_t s = PDM_SEC_USERPIN; s <= PDM_SEC_USERPINMAC; s++) {
        r = boot(PDM_ORIGIN_PUSH, s);
        CU_ASSERT_EQUAL(decide(&yes, &r), PDM_ABSTAIN);
    }
    r = boot(PDM_ORIGIN_FILE, PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(decide(&yes, &r), PDM_ABSTAIN);
    r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(decide(&yes, &r), PDM_ABSTAIN);
    done2(&no, &yes);
}

static void test_terminal_policy__privileged_userpin(void)
{
    fx deny = make1("privileged_userpin", "deny");
    fx allow = make1("privileged_userpin", "allow");
    for (uint32_t s = PDM_SEC_NONE; s <= PDM_SEC_USERPINMAC; s++) {
        pdm_policy_req r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_BOOTSTRAP);
        int pin = s == PDM_SEC_USERPIN || s == PDM_SEC_USERPINMAC;
        r.sec = s;
        r.origin = PDM_ORIGIN_PUSH;
        r.server_id = "rogue";
        r.detail = "root owner (none) -> rogue";
        CU_ASSERT_EQUAL(decide(&deny, &r), pin ? PDM_DENY : PDM_ABSTAIN);
        if (s == PDM_SEC_USERPIN)
            PDM_ASSERT_STR(last_reason,
                           "terminal-policy: privileged_userpin = deny: a "
                           "USERPIN bootstrap never grants root");
        if (s == PDM_SEC_USERPINMAC)
            ASSERT_REASON_HAS("a USERPINMAC bootstrap");
        CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
        /* the bootstrap itself is not the privileged context */
        r = boot(PDM_ORIGIN_PUSH, s);
        if (s != PDM_SEC_NONE)
            CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
        /* a local takeover has no SEC */
        r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL);
        r.sec = s;
        CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    }
    done2(&deny, &allow);
}

static void test_terminal_policy__cp_rebootstrap(void)
{
    fx deny = make1("cp_rebootstrap", "deny");
    fx allow = make1("cp_rebootstrap", "allow");
    static const char *const cps[] = {
        CT_CP, CT_CP_XML, "application/vnd.wap.connectivity-xml",
        "Application/VND.WAP.Connectivity-WBXML; charset=utf-8"};
    pdm_policy_req r;
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        r = boot(PDM_ORIGIN_PUSH, PDM_SEC_USERNETWPIN);
        r.content_type = cps[i];
        r.account_exists = 1;
        r.server_id = "operator";
        CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
        PDM_ASSERT_STR(last_reason, "terminal-policy: cp_rebootstrap = deny: "
                                    "an OMA CP bootstrap may not replace an "
                                    "existing DM account");
        CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
        r.account_exists = 0; /* a new account */
        CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    }
    /* a DM-profile document may replace it (the core's replace rules) */
    r = boot(PDM_ORIGIN_PUSH, PDM_SEC_USERNETWPIN);
    r.content_type = CT_DM;
    r.account_exists = 1;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    /* no type while an account would be replaced: may be CP, refused */
    r.content_type = NULL;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
    CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
    /* whatever the origin */
    r = boot(PDM_ORIGIN_FILE, PDM_SEC_NONE);
    r.account_exists = 1;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
    done2(&deny, &allow);
}

/* ---- the local user's operations ---------------------------------------- */

static void test_terminal_policy__user_acl_edit(void)
{
    static const char *const values[] = {"never", "always", "cp-only"};
    for (size_t v = 0; v < 3; v++) {
        fx f = make1("user_acl_edit", values[v]);
        pdm_policy_req r = req(PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL);
        r.uri = "./DMAcc/srv";
        r.detail = "Get=*";
        CU_ASSERT_EQUAL(decide(&f, &r), v == 1 ? PDM_ALLOW : PDM_DENY);
        if (v == 0)
            PDM_ASSERT_STR(last_reason, "terminal-policy: user_acl_edit = "
                                        "never: the user may not edit an ACL");
        if (v == 2)
            PDM_ASSERT_STR(last_reason,
                           "terminal-policy: user_acl_edit = cp-only: the "
                           "user may change ACLs only within a CP bootstrap, "
                           "never as a DM operation");
        /* within a bootstrap: refused only by never */
        r.principal = PDM_PRINCIPAL_BOOTSTRAP;
        CU_ASSERT_EQUAL(decide(&f, &r), v == 0 ? PDM_DENY : PDM_ABSTAIN);
        /* not the user's: not this rule's */
        r.principal = PDM_PRINCIPAL_SERVER;
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        r.principal = PDM_PRINCIPAL_FACTORY;
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        done(&f);
    }
}

static void test_terminal_policy__user_takeover(void)
{
    fx allow = make1("user_takeover", "allow");
    fx deny = make1("user_takeover", "deny");
    pdm_policy_req r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL);
    r.server_id = "b";
    r.root_owner = "a";
    CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: user_takeover = deny: the "
                                "user may not change the root owner");
    r.op = PDM_OP_TRANSFER;
    r.node_owner = "a";
    r.detail = "a -> b (delete)";
    CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: user_takeover = deny: the "
                                "user may not transfer management to another "
                                "authority");
    /* a bootstrap's grant is not the user's */
    r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_BOOTSTRAP);
    r.sec = PDM_SEC_USERNETWPIN;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    r.op = PDM_OP_TRANSFER;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    done2(&allow, &deny);
}

static void test_terminal_policy__user_account_delete(void)
{
    fx allow = make1("user_account_delete", "allow");
    fx deny = make1("user_account_delete", "deny");
    pdm_policy_req r = req(PDM_OP_ACCOUNT_DELETE, PDM_PRINCIPAL_LOCAL);
    r.server_id = "srv";
    CU_ASSERT_EQUAL(decide(&allow, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: user_account_delete = deny: "
                                "the user may not delete a DM account");
    /* the core's own removal (a card that is gone) is not the user's */
    r.principal = PDM_PRINCIPAL_FACTORY;
    CU_ASSERT_EQUAL(decide(&deny, &r), PDM_ABSTAIN);
    done2(&allow, &deny);
}

/* ---- secrets only over TLS ------------------------------------------------ */

static void test_terminal_policy__send_secret(void)
{
    fx off = make1("secrets_tls_only", "false");
    fx on = make1("secrets_tls_only", "true");
    pdm_policy_req r = req(PDM_OP_SEND_SECRET, PDM_PRINCIPAL_SERVER);
    r.server_id = "srv";
    r.address = "http://dm.example/";
    r.detail = "syncml:auth-md5";
    CU_ASSERT_EQUAL(decide(&off, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: secrets_tls_only = true: "
                                "syncml:auth-md5 credentials are sent only "
                                "over TLS with a verified server");
    r.flags = PDM_REQ_AUTHENTICATED; /* authenticated is not TLS */
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    r.flags = PDM_REQ_TLS;
    r.address = "https://dm.example/";
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    done2(&off, &on);
}

static void test_terminal_policy__secret_nodes(void)
{
    fx off = make1("secrets_tls_only", "false");
    fx on = make1("secrets_tls_only", "true");
    static const char *const secret[] = {
        "./DMAcc/srv/AppAuth/cl/AAuthSecret", "./DMAcc/srv/AppAuth/cl/AAuthData",
        "./NAP/n1/NAPAuthInfo/a/AuthSecret", "./Proxy/p/BasAuthSecret",
        "./Proxy/p/ProxySecret", "./SyncML/DMAcc/x/ClientPW",
        "./SyncML/DMAcc/x/ServerPW", "./Vendor/WlanPassword"};
    static const char *const plain[] = {
        "./DMAcc/srv/AppAuth/cl/AAuthName", "./DMAcc/srv/AppAuth/cl/AAuthType",
        "./DMAcc/srv/Name", "./DMAcc/srv/AppAuth/cl/AAuthSecretHint/x",
        "./DMAcc/srv/AppAuth/cl"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        for (uint32_t op = PDM_OP_ADD; op <= PDM_OP_REPLACE; op++) {
            pdm_policy_req r = req(op, PDM_PRINCIPAL_SERVER);
            r.server_id = "srv";
            r.uri = secret[i];
            CU_ASSERT_EQUAL(decide(&off, &r), PDM_ABSTAIN);
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
            ASSERT_REASON_HAS("secrets_tls_only = true: a server's ");
            ASSERT_REASON_HAS(strrchr(secret[i], '/') + 1);
            r.flags = PDM_REQ_TLS;
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
            /* the user and a bootstrap are not a server's traffic */
            r.flags = 0;
            r.principal = PDM_PRINCIPAL_LOCAL;
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
            r.principal = PDM_PRINCIPAL_BOOTSTRAP;
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
            /* other commands carry no secret to the device */
            r.principal = PDM_PRINCIPAL_SERVER;
            r.op = PDM_OP_DELETE;
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
            r.op = PDM_OP_GET;
            CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
        }
    {
        pdm_policy_req r = req(PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER);
        r.uri = secret[0];
        CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
        PDM_ASSERT_STR(last_reason, "terminal-policy: secrets_tls_only = true: "
                                    "a server's Replace of a secret "
                                    "(AAuthSecret) is accepted only over TLS "
                                    "with a verified server");
        r.uri = NULL;
        CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    }
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        pdm_policy_req r = req(PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER);
        r.uri = plain[i];
        CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    }
    done2(&off, &on);
}

/* A session without TLS is refused when the account would send a client
 * credential: a CLCRED AppAuth entry with an AAuthSecret, found by child
 * names (the secret's value is never read). */
static void test_terminal_policy__session(void)
{
    fx on = make1("secrets_tls_only", "true");
    fx off = make1("secrets_tls_only", "false");
    pdm_fake_host *fh = on.fh;
    char big[1100];
    pdm_policy_req r = req(PDM_OP_SESSION, PDM_PRINCIPAL_SERVER);
    r.server_id = "srv";
    r.uri = "./DMAcc/srv";
    r.address = "http://dm.example/";
    /* the account cannot be read: refused (fail closed) */
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    /* no AppAuth at all: nothing to send */
    pdm_fake_host_set_tree(fh, "./DMAcc/srv", "AppID/ServerID/AppAddr");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    /* only the server's credential */
    pdm_fake_host_set_tree(fh, "./DMAcc/srv", "AppID/ServerID/AppAddr/AppAuth");
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth", "s");
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth/s",
                           "AAuthLevel/AAuthType/AAuthSecret");
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth/s/AAuthLevel", "SRVCRED");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    /* a client entry without a secret sends nothing */
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth", "s/c");
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth/c", "AAuthLevel/AAuthName");
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth/c/AAuthLevel", "clcred");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    /* one with a secret does */
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth/c",
                           "AAuthLevel/AAuthName/AAuthSecret/AAuthData");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: secrets_tls_only = true: the "
                                "account's credentials would be sent to an "
                                "http:// address");
    r.address = "https://dm.example/"; /* https, but not verified */
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    PDM_ASSERT_STR(last_reason, "terminal-policy: secrets_tls_only = true: the "
                                "account's credentials would be sent without "
                                "TLS to a verified server");
    r.flags = PDM_REQ_TLS;
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    /* a verified package 0 asking for a session (ABI 1.3): no transport
     * yet, so no TLS flag says nothing; an http:// address never gets
     * TLS, so that is refused already */
    r.flags = PDM_REQ_NOTIFICATION;
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    r.address = "http://dm.example/";
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    ASSERT_REASON_HAS("to an http:// address");
    r.flags = 0;
    r.address = "HTTP://dm.example/";
    CU_ASSERT_EQUAL(decide(&off, &r), PDM_ABSTAIN);
    /* what the tree cannot answer is refused: an entry listed but not
     * there, a child list too long to read whole, no account URI */
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth", "s/gone");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    ASSERT_REASON_HAS("to an http:// address");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "AppAuth/", 8);
    pdm_fake_host_set_tree(fh, "./DMAcc/srv/AppAuth", "s");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    pdm_fake_host_set_tree(fh, "./DMAcc/srv", big);
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    pdm_fake_host_set_tree(fh, "./DMAcc/srv", "AppAuth");
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_ABSTAIN);
    r.uri = NULL;
    CU_ASSERT_EQUAL(decide(&on, &r), PDM_DENY);
    done2(&on, &off);
}

/* ---- robustness ------------------------------------------------------------ */

static void test_terminal_policy__bad_options(void)
{
    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"smartcard", "yes", "option.smartcard: 'yes' is not off or on"},
        {"smartcard", "", "option.smartcard: '' is not off or on"},
        {"precedence", "sim",
         "option.precedence: 'sim' is not first, smartcard or ota"},
        {"push_secs", "NETWPIN,BOGUS", "option.push_secs: 'NETWPIN,BOGUS' is "
                                       "not a comma-separated list of NONE"},
        {"file_secs", "", "option.file_secs: '' is not a comma"},
        {"smartcard_secs", "NONE,", "option.smartcard_secs: 'NONE,'"},
        {"factory_secs", "SEC=0", "option.factory_secs: 'SEC=0'"},
        {"user_secs", "NETWORKID", "option.user_secs: 'NETWORKID'"},
        {"require_usernetwpin", "1",
         "option.require_usernetwpin: '1' is not false or true"},
        {"privileged_userpin", "never",
         "option.privileged_userpin: 'never' is not deny or allow"},
        {"cp_rebootstrap", "no",
         "option.cp_rebootstrap: 'no' is not deny or allow"},
        {"user_acl_edit", "cp",
         "option.user_acl_edit: 'cp' is not never, always or cp-only"},
        {"user_takeover", "confirm",
         "option.user_takeover: 'confirm' is not deny or allow"},
        {"user_account_delete", "ask",
         "option.user_account_delete: 'ask' is not deny or allow"},
        {"secrets_tls_only", "on",
         "option.secrets_tls_only: 'on' is not false or true"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx f = make1(bad[i].key, bad[i].value);
        CU_ASSERT_EQUAL(f.rc, PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
        if (!strstr(pdm_test_nn(pdm_fake_host_error(f.fh, 0)), bad[i].says)) {
            printf("\n  %s: got '%s'\n", bad[i].key,
                   pdm_test_nn(pdm_fake_host_error(f.fh, 0)));
            CU_FAIL("error does not name the option and value");
        }
        done(&f);
    }
    /* keywords in any case */
    {
        const char *o[] = {"smartcard", "OFF", "precedence", "SmartCard",
                           "user_acl_edit", "CP-ONLY", "secrets_tls_only",
                           "True", NULL};
        fx f = make(o);
        pdm_policy_req r = boot(PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
        CU_ASSERT_EQUAL(f.rc, PDM_OK);
        CU_ASSERT_EQUAL(decide(&f, &r), PDM_DENY);
        done(&f);
    }
}

/* Operations this policy has no rule for abstain, whatever the options. */
static void test_terminal_policy__unknown_ops(void)
{
    const char *o[] = {"smartcard", "off", "precedence", "smartcard",
                       "user_acl_edit", "never", "user_takeover", "deny",
                       "user_account_delete", "deny", "secrets_tls_only",
                       "true", "cp_rebootstrap", "deny", NULL};
    static const uint32_t unknown[] = {PDM_OP_NONE, PDM_OP_GET, PDM_OP_DELETE,
                                       PDM_OP_EXEC, PDM_OP_COPY, 14, 99,
                                       0xffffffffu};
    fx f = make(o);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        for (uint32_t p = PDM_PRINCIPAL_NONE; p <= PDM_PRINCIPAL_FACTORY; p++) {
            pdm_policy_req r = req(unknown[i], p);
            r.uri = "./DMAcc/srv/AppAuth/cl/AAuthSecret";
            r.origin = PDM_ORIGIN_SMARTCARD;
            r.sec = PDM_SEC_USERPIN;
            r.account_origins = ~0u;
            r.account_exists = 1;
            r.content_type = CT_CP;
            CU_ASSERT_EQUAL(decide(&f, &r), PDM_ABSTAIN);
        }
    done(&f);
}

/* A request of an ABI 1.0 core ends at key_pin: the 1.3 fields are never
 * read (they read as 0/NULL), and a request smaller than that is an error
 * (the core counts it as DENY). */
static void test_terminal_policy__abi_1_0_request(void)
{
    const char *o[] = {"precedence", "smartcard", "cp_rebootstrap", "deny",
                       NULL};
    fx f = make(o);
    pdm_policy_req full = boot(PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_policy_req *small = malloc(REQ_SIZE_1_0); /* exactly 1.0's bytes */
    pdm_verdict v;
    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    /* what a 1.3 request says is refused */
    full.account_origins = ORIG(PDM_ORIGIN_SMARTCARD);
    CU_ASSERT_EQUAL(decide(&f, &full), PDM_DENY);
    full.account_origins = 0;
    full.account_exists = 1;
    CU_ASSERT_EQUAL(decide(&f, &full), PDM_DENY);
    /* the same bytes in a 1.0-sized request: past struct_size is absent */
    full.account_origins = ORIG(PDM_ORIGIN_SMARTCARD);
    full.struct_size = (uint32_t)REQ_SIZE_1_0;
    CU_ASSERT_EQUAL(decide(&f, &full), PDM_ABSTAIN);
    memcpy(small, &full, REQ_SIZE_1_0); /* an over-read shows under ASan */
    CU_ASSERT_EQUAL(decide(&f, small), PDM_ABSTAIN);
    /* 1.0 rules still apply */
    small->sec = PDM_SEC_NONE;
    CU_ASSERT_EQUAL(decide(&f, small), PDM_DENY);
    ASSERT_REASON_HAS("push_secs");
    /* smaller than 1.0: an error */
    small->struct_size = (uint32_t)offsetof(pdm_policy_req, sec);
    memset(&v, 0, sizeof v);
    CU_ASSERT_EQUAL(ops()->check(f.inst, small, &v), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_test_nn(pdm_fake_host_error(f.fh, 0)),
                                  "smaller than ABI 1.0"));
    free(small);
    done(&f);
}

/* Out of memory in create: a clean error, nothing leaks. */
static void test_terminal_policy__alloc_failure(void)
{
    const pdm_plugin_desc *d = pdm_plugin_terminal_policy_entry();
    pdm_fake_host *fh = pdm_fake_host_new();
    void *pdata = NULL, *inst = NULL;
    d->init(pdm_fake_host_ctx(fh), pdm_fake_host_api(fh), &pdata);
    pdm_fake_host_fail_alloc_after(fh, 0);
    CU_ASSERT_EQUAL(ops()->head.create(pdm_fake_host_ctx(fh), pdata, &inst),
                    PDM_ENOMEM);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
}

static const pdm_test tests[] = {
    {"descriptor", test_terminal_policy__descriptor},
    {"declared_defaults", test_terminal_policy__declared_defaults},
    {"defaults", test_terminal_policy__defaults},
    {"smartcard", test_terminal_policy__smartcard},
    {"precedence", test_terminal_policy__precedence},
    {"secs_per_origin", test_terminal_policy__secs_per_origin},
    {"secs_unknown", test_terminal_policy__secs_unknown},
    {"require_usernetwpin", test_terminal_policy__require_usernetwpin},
    {"privileged_userpin", test_terminal_policy__privileged_userpin},
    {"cp_rebootstrap", test_terminal_policy__cp_rebootstrap},
    {"user_acl_edit", test_terminal_policy__user_acl_edit},
    {"user_takeover", test_terminal_policy__user_takeover},
    {"user_account_delete", test_terminal_policy__user_account_delete},
    {"send_secret", test_terminal_policy__send_secret},
    {"secret_nodes", test_terminal_policy__secret_nodes},
    {"session", test_terminal_policy__session},
    {"bad_options", test_terminal_policy__bad_options},
    {"unknown_ops", test_terminal_policy__unknown_ops},
    {"abi_1_0_request", test_terminal_policy__abi_1_0_request},
    {"alloc_failure", test_terminal_policy__alloc_failure},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"terminal_policy", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
