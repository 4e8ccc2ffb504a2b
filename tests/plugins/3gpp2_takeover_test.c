/*
 * 3gpp2-takeover against the SDK's fake host (no core): bootstraps follow
 * the spec (root_on_netwpin aside), the user's takeover (S3) and each of
 * its refusals (option, locked device, unknown account, origins), bad
 * input, ABI 1.0 callers, override (the root owner is master) and its
 * record following a confirmed or unconfirmed takeover, defaults, memory.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/authority.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

/* The plugin id "3gpp2-takeover" with '-' as '_' (PDM_PLUGIN_DEFINE). */
const pdm_plugin_desc *pdm_plugin_3gpp2_takeover_entry(void);
#define FX_ENTRY pdm_plugin_3gpp2_takeover_entry
#include "authority_fx.h"

#define INFO_SIZE_1_0 \
    (offsetof(pdm_authority_info, source) + sizeof(const char *))

static pdm_authority_info info(const char *sid, uint32_t origin, uint32_t sec)
{
    pdm_authority_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    i.origin = origin;
    i.sec = sec;
    i.server_id = sid;
    i.account_uri = "./DMAcc/2";
    i.address = "https://dm.example.net/";
    return i;
}

/* takeover(): the decision, the reason into @why (may be NULL). */
static int takeover(fx *f, const pdm_authority_info *to, char *why, int *rc)
{
    pdm_verdict v;
    memset(&v, 0x5a, sizeof v);
    *rc = f->ops->takeover(f->inst, to, &v);
    CU_ASSERT_EQUAL(v.reserved, 0);
    if (why) /* callers' buffers hold a whole reason (200 > 184) */
        snprintf(why, sizeof v.reason, "%s", v.reason);
    return (int)v.decision;
}

static int allowed(fx *f, const pdm_authority_info *to, char *why)
{
    int rc, d = takeover(f, to, why, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    return d;
}

static int override(fx *f, const char *actor, const char *owner)
{
    pdm_verdict v;
    memset(&v, 0x5a, sizeof v);
    CU_ASSERT_EQUAL(f->ops->override(f->inst, actor, owner, "./Vendor/A", &v), PDM_OK);
    return (int)v.decision;
}

static const char *kv(fx *f, const char *key)
{
    static char buf[64];
    size_t n = 0;
    const void *v = pdm_fake_host_kv(f->fh, key, &n);
    snprintf(buf, sizeof buf, "%.*s", v ? (int)n : 6, v ? (const char *)v : "(none)");
    return buf;
}

static void test_3gpp2_takeover__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_3gpp2_takeover_entry();
    const pdm_authority_ops *o = (const pdm_authority_ops *)d->components[0].ops;
    PDM_ASSERT_STR(d->name, "3gpp2-takeover");
    CU_ASSERT_EQUAL(d->abi_major, PDM_ABI_MAJOR);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_AUTHORITY);
    PDM_ASSERT_STR(d->components[0].name, "takeover");
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_END);
    CU_ASSERT_EQUAL(o->head.struct_size, sizeof(pdm_authority_ops));
    CU_ASSERT(o->on_bootstrap && o->takeover && o->override && o->defaults);
    PDM_ASSERT_STR(d->options[0].key, "allow_takeover");
    PDM_ASSERT_STR(d->options[1].key, "takeover_origins");
    PDM_ASSERT_STR(d->options[2].key, "root_on_netwpin");
    CU_ASSERT_PTR_NULL(d->options[3].key);
}

/* By default every bootstrap gets its account only (the spec), whatever
 * its origin and SEC: root moves by takeover in this market. */
static void test_3gpp2_takeover__bootstrap_spec(void)
{
    static const uint32_t o[] = {PDM_ORIGIN_SMARTCARD, PDM_ORIGIN_PUSH,
                                 PDM_ORIGIN_PUSH, PDM_ORIGIN_FILE, PDM_ORIGIN_FACTORY};
    static const uint32_t s[] = {PDM_SEC_NONE, PDM_SEC_NETWPIN,
                                 PDM_SEC_USERNETWPIN, PDM_SEC_USERPIN, PDM_SEC_NONE};
    fx f;
    fx_open(&f, NULL);
    CU_ASSERT_EQUAL(f.create_rc, PDM_OK);
    for (size_t i = 0; i < 5; i++) {
        pdm_authority_info w = info("srv", o[i], s[i]);
        ASSERT_ACCOUNT_ONLY(boot(&f, &w), "srv");
    }
    PDM_ASSERT_STR(kv(&f, "root_owner"), "(none)");
    fx_close(&f);
}

/* root_on_netwpin: an IMSI-keyed push takes a root nobody owns (and keeps
 * it on re-bootstrap), never one another server owns. */
static void test_3gpp2_takeover__root_on_netwpin(void)
{
    fx f;
    pdm_authority_info nw = info("op", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info unw = info("op", PDM_ORIGIN_PUSH, PDM_SEC_USERNETWPIN);
    pdm_authority_info up = info("op", PDM_ORIGIN_PUSH, PDM_SEC_USERPIN);
    pdm_authority_info sc = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    answer a;
    fx_open(&f, "root_on_netwpin", "true", NULL);
    a = boot(&f, &nw);
    CU_ASSERT_EQUAL(a.rc, PDM_OK);
    PDM_ASSERT_STR(a.acc, "Get=op&Replace=op&Delete=op");
    PDM_ASSERT_STR(a.root, "Add=*&Get=*&Replace=op&Delete=op&Exec=op");
    PDM_ASSERT_STR(a.owner, "op");
    PDM_ASSERT_STR(kv(&f, "root_owner"), "(none)");
    PDM_ASSERT_STR(boot(&f, &unw).owner, "op");
    ASSERT_ACCOUNT_ONLY(boot(&f, &up), "op");
    ASSERT_ACCOUNT_ONLY(boot(&f, &sc), "op");
    /* re-bootstrap of the owner: its rights back, no owner change */
    nw.root_owner = "op";
    a = boot(&f, &nw);
    PDM_ASSERT_STR(a.root, "Add=*&Get=*&Replace=op&Delete=op&Exec=op");
    PDM_ASSERT_STR(a.owner, "(null)");
    /* another owner keeps root */
    nw.server_id = "op2";
    ASSERT_ACCOUNT_ONLY(boot(&f, &nw), "op2");
    CU_ASSERT(has_log(&f, "op2 bootstrapped with SEC NETWPIN; root stays with "
                          "op (root moves only by takeover)"));
    PDM_ASSERT_STR(kv(&f, "root_owner"), "(none)");
    fx_close(&f);

    fx_open(&f, "root_on_netwpin", "false", NULL);
    nw.root_owner = NULL;
    ASSERT_ACCOUNT_ONLY(boot(&f, &nw), "op2");
    fx_close(&f);
}

/* A takeover to a known server: ALLOW (the core then asks the user and
 * the policies); nothing recorded (override asks the core's fact). */
static void test_3gpp2_takeover__allowed(void)
{
    fx f;
    pdm_authority_info to = info("srvB", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    char why[200];
    to.root_owner = "srvA";
    fx_open(&f, NULL);
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_ALLOW);
    PDM_ASSERT_STR(why, "the user may move root to a known server (3GPP2 takeover)");
    PDM_ASSERT_STR(kv(&f, "root_owner"), "(none)");
    PDM_ASSERT_STR(kv(&f, "root_next"), "(none)");
    /* nobody owns root yet: allowed as well */
    to.root_owner = NULL;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_ALLOW);
    /* an ABI 1.0-sized info is enough (flags is a 1.0 field) */
    to.struct_size = (uint32_t)INFO_SIZE_1_0;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_ALLOW);
    to.flags = PDM_AUTH_INFO_DEVICE_LOCKED;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_DENY);
    fx_close(&f);
}

/* An info of exactly the 1.0 size on the heap: nothing past struct_size
 * is read (the sanitizer builds catch it), for takeover and bootstrap. */
static void test_3gpp2_takeover__abi10_heap(void)
{
    fx f;
    pdm_authority_info full = info("srvB", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info *w = malloc(INFO_SIZE_1_0);
    answer a;
    memcpy(w, &full, INFO_SIZE_1_0);
    w->struct_size = (uint32_t)INFO_SIZE_1_0;
    fx_open(&f, "root_on_netwpin", "true", "takeover_origins", "push", NULL);
    CU_ASSERT_EQUAL(allowed(&f, w, NULL), PDM_ALLOW);
    a = boot(&f, w);
    PDM_ASSERT_STR(a.owner, "srvB");
    fx_close(&f);
    free(w);
}

/* Each refusal, with its reason. */
static void test_3gpp2_takeover__refusals(void)
{
    fx f;
    pdm_authority_info to = info("srvB", PDM_ORIGIN_FILE, PDM_SEC_NONE);
    char why[200];

    fx_open(&f, "allow_takeover", "false", NULL);
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_DENY);
    PDM_ASSERT_STR(why, "takeover is not allowed on this device "
                        "(option.allow_takeover = false)");
    PDM_ASSERT_STR(kv(&f, "root_next"), "(none)");
    fx_close(&f);

    fx_open(&f, "allow_takeover", "true", NULL);
    to.flags = PDM_AUTH_INFO_DEVICE_LOCKED;
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_DENY);
    PDM_ASSERT_STR(why, "refused while the device is locked");
    to.flags = 0;
    to.account_uri = NULL;
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_DENY);
    PDM_ASSERT_STR(why, "srvB is not a known account");
    to.account_uri = "";
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_DENY);
    PDM_ASSERT_STR(kv(&f, "root_next"), "(none)");
    fx_close(&f);

    fx_open(&f, "takeover_origins", "push, smartcard", NULL);
    to.account_uri = "./DMAcc/2";
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_DENY);
    PDM_ASSERT_STR(why, "srvB was bootstrapped from file; takeover only to a "
                        "server from smartcard,push (option.takeover_origins)");
    to.origin = PDM_ORIGIN_UNKNOWN;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_DENY);
    to.origin = 42;
    CU_ASSERT_EQUAL(allowed(&f, &to, why), PDM_DENY);
    PDM_ASSERT_STR(why, "srvB was bootstrapped from unknown; takeover only to a "
                        "server from smartcard,push (option.takeover_origins)");
    to.origin = PDM_ORIGIN_PUSH;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_ALLOW);
    to.origin = PDM_ORIGIN_SMARTCARD;
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_ALLOW);
    fx_close(&f);
}

/* Malformed requests: PDM_EINVAL and DENY. */
static void test_3gpp2_takeover__bad_input(void)
{
    static const char *const sids[] = {NULL, "", "a b", "x&Replace=*", "*"};
    fx f;
    pdm_authority_info to = info("srvB", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    int rc;
    fx_open(&f, NULL);
    CU_ASSERT_EQUAL(takeover(&f, NULL, NULL, &rc), PDM_DENY);
    CU_ASSERT_EQUAL(rc, PDM_EINVAL);
    CU_ASSERT(has_error(&f, "takeover: no valid ServerID to move root to"));
    for (size_t i = 0; i < sizeof sids / sizeof sids[0]; i++) {
        to.server_id = sids[i];
        CU_ASSERT_EQUAL(takeover(&f, &to, NULL, &rc), PDM_DENY);
        CU_ASSERT_EQUAL(rc, PDM_EINVAL);
    }
    to.server_id = "srvB";
    to.struct_size = (uint32_t)INFO_SIZE_1_0 - 1;
    CU_ASSERT_EQUAL(takeover(&f, &to, NULL, &rc), PDM_DENY);
    CU_ASSERT_EQUAL(rc, PDM_EINVAL);
    CU_ASSERT_EQUAL(f.ops->takeover(f.inst, &to, NULL), PDM_EINVAL);
    PDM_ASSERT_STR(kv(&f, "root_next"), "(none)");
    /* on_bootstrap: the same checks as operator-root */
    to.struct_size = sizeof to;
    to.server_id = "x&Replace=*";
    CU_ASSERT_EQUAL(boot(&f, &to).rc, PDM_EINVAL);
    to.server_id = "srvB";
    to.struct_size = 4;
    CU_ASSERT_EQUAL(boot(&f, &to).rc, PDM_EINVAL);
    fx_close(&f);
}

static void test_3gpp2_takeover__bad_options(void)
{
    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"allow_takeover", "1", "option.allow_takeover: '1' is not true or false"},
        {"allow_takeover", "TRUE", "option.allow_takeover: 'TRUE'"},
        {"root_on_netwpin", "maybe", "option.root_on_netwpin: 'maybe' is not true or false"},
        {"takeover_origins", "cloud", "option.takeover_origins: 'cloud' is not a "
                                      "comma-separated list of factory, smartcard, push, file, user"},
        {"takeover_origins", "push,,file", "option.takeover_origins: 'push,,file'"},
        {"takeover_origins", "", "option.takeover_origins: ''"},
        {"takeover_origins", "unknown", "option.takeover_origins: 'unknown'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx f;
        fx_open(&f, bad[i].key, bad[i].value, NULL);
        CU_ASSERT_EQUAL(f.create_rc, PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
        CU_ASSERT(has_error(&f, bad[i].says));
        fx_close(&f);
    }
}

/* The root owner is master, as the core says (host->root_owner) at every
 * override: an allowed takeover the user did not confirm changes nothing;
 * once the core records the new owner (a confirmed takeover, the local
 * user's pdm_ctx_takeover) it is master at once, across a restart too;
 * nobody or a failing service leaves nobody master. */
static void test_3gpp2_takeover__override_follows_takeover(void)
{
    fx f;
    pdm_authority_info a = info("srvA", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info to = info("srvB", PDM_ORIGIN_PUSH, PDM_SEC_USERPIN);
    fx_open(&f, "root_on_netwpin", "true", NULL);
    CU_ASSERT_STRING_EQUAL(boot(&f, &a).owner, "srvA");
    /* granted, but not yet the core's fact: nobody is master */
    CU_ASSERT_EQUAL(override(&f, "srvA", "srvB"), PDM_DENY);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "srvA");
    CU_ASSERT_EQUAL(override(&f, "srvA", "srvB"), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "srvB", "factory"), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "local"), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "bootstrap:cp-bootstrap/cp"), PDM_DENY);

    to.root_owner = "srvA";
    CU_ASSERT_EQUAL(allowed(&f, &to, NULL), PDM_ALLOW);
    /* the user declined: the core still says srvA */
    CU_ASSERT_EQUAL(override(&f, "srvA", "srvB"), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_DENY);
    /* confirmed: the core says srvB, master at once */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "srvB");
    CU_ASSERT_EQUAL(override(&f, "srvA", "srvB"), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_ALLOW);
    PDM_ASSERT_STR(kv(&f, "root_owner"), "(none)");
    PDM_ASSERT_STR(kv(&f, "root_next"), "(none)");
    /* and after a restart */
    f.ops->head.destroy(f.inst);
    CU_ASSERT_EQUAL(f.ops->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.inst), PDM_OK);
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_ALLOW);
    /* nobody owns root, or the core cannot say: nobody master */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, NULL);
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_DENY);
    pdm_fake_host_set_root_owner(f.fh, PDM_ENOTSUP, "srvB");
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvA"), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, NULL, "srvA"), PDM_DENY);
    fx_close(&f);
}

static void test_3gpp2_takeover__defaults(void)
{
    fx f;
    pdm_authority_defaults d;
    fx_open(&f, NULL);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    CU_ASSERT_EQUAL(f.ops->defaults(f.inst, &d), PDM_OK);
    PDM_ASSERT_STR(d.root_acl, "Add=*&Get=*");
    CU_ASSERT_PTR_NULL(d.dmacc_acl);
    CU_ASSERT_EQUAL(d.flags, 0);
    f.h->free(d.root_acl);
    fx_close(&f);
}

static void test_3gpp2_takeover__alloc_failures(void)
{
    for (long n = 0; n < 8; n++) {
        fx f;
        pdm_authority_info w = info("op", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
        memset(&f, 0, sizeof f);
        f.fh = pdm_fake_host_new();
        f.h = pdm_fake_host_api(f.fh);
        f.d = pdm_plugin_3gpp2_takeover_entry();
        f.ops = (const pdm_authority_ops *)f.d->components[0].ops;
        pdm_fake_host_set_option(f.fh, "root_on_netwpin", "true");
        f.d->init(pdm_fake_host_ctx(f.fh), f.h, &f.pdata);
        pdm_fake_host_fail_alloc_after(f.fh, n);
        f.create_rc = f.ops->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.inst);
        CU_ASSERT(f.create_rc == PDM_OK || f.create_rc == PDM_ENOMEM);
        if (f.create_rc == PDM_OK) {
            answer a = boot(&f, &w);
            CU_ASSERT(a.rc == PDM_OK || a.rc == PDM_ENOMEM);
            if (a.rc == PDM_OK)
                PDM_ASSERT_STR(a.owner, "op");
        }
        fx_close(&f);
    }
}

static const pdm_test tests[] = {
    {"descriptor", test_3gpp2_takeover__descriptor},
    {"bootstrap_spec", test_3gpp2_takeover__bootstrap_spec},
    {"root_on_netwpin", test_3gpp2_takeover__root_on_netwpin},
    {"allowed", test_3gpp2_takeover__allowed},
    {"abi10_heap", test_3gpp2_takeover__abi10_heap},
    {"refusals", test_3gpp2_takeover__refusals},
    {"bad_input", test_3gpp2_takeover__bad_input},
    {"bad_options", test_3gpp2_takeover__bad_options},
    {"override_follows_takeover", test_3gpp2_takeover__override_follows_takeover},
    {"defaults", test_3gpp2_takeover__defaults},
    {"alloc_failures", test_3gpp2_takeover__alloc_failures},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"3gpp2_takeover", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
