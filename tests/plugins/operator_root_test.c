/*
 * operator-root against the SDK's fake host (no core): who becomes the
 * operator, the grants (ownership: host memory, nothing left on a
 * refusal or error), the second operator, the address pattern (S5),
 * takeover (never), override (the root owner is master, S11), its record
 * across restarts and when it is stale, defaults, every option and bad
 * input.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/authority.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_operator_root_entry(void);
#define FX_ENTRY pdm_plugin_operator_root_entry
#include "authority_fx.h"

#define INFO_SIZE_1_0 \
    (offsetof(pdm_authority_info, source) + sizeof(const char *))
#define OPERATOR_ROOT_ACL "Add=*&Get=*&Replace=op&Delete=op&Exec=op"
#define PATTERN "https://dm.mnc{mnc3}.mcc{mcc}.pub.3gppnetwork.org/*"

static pdm_authority_info info(const char *sid, uint32_t origin, uint32_t sec)
{
    pdm_authority_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    i.origin = origin;
    i.sec = sec;
    i.server_id = sid;
    i.account_uri = "./DMAcc/1";
    i.address = "https://dm.mnc001.mcc001.pub.3gppnetwork.org/dm";
    i.home_plmn = "001-01";
    return i;
}

/* The answer to one bootstrap, flattened: rc, flags, the three strings
 * (copied, "(null)" for NULL) and the grant freed as the core would. */
/* A key/value record of the root owner, or "(none)": the plugin keeps
 * none (the core's fact, host->root_owner, is the one truth). */
static const char *kv_owner(fx *f)
{
    static char buf[64];
    size_t n = 0;
    const void *v = pdm_fake_host_kv(f->fh, "root_owner", &n);
    snprintf(buf, sizeof buf, "%.*s", v ? (int)n : 6, v ? (const char *)v : "(none)");
    return buf;
}

static int override(fx *f, const char *actor, const char *owner, char *why)
{
    pdm_verdict v;
    memset(&v, 0x5a, sizeof v);
    CU_ASSERT_EQUAL(f->ops->override(f->inst, actor, owner, "./X", &v), PDM_OK);
    CU_ASSERT_EQUAL(v.reserved, 0);
    if (why) /* callers pass at least sizeof pdm_verdict.reason bytes */
        snprintf(why, sizeof v.reason, "%s", v.reason);
    return (int)v.decision;
}

#define ASSERT_REFUSED(a)                                                  \
    do {                                                                   \
        answer a_ = (a);                                                   \
        CU_ASSERT_EQUAL(a_.rc, PDM_OK);                                    \
        CU_ASSERT_EQUAL(a_.flags, PDM_GRANT_REFUSE);                       \
        PDM_ASSERT_STR(a_.acc, "(null)");                                  \
        PDM_ASSERT_STR(a_.root, "(null)");                                 \
        PDM_ASSERT_STR(a_.owner, "(null)");                                \
    } while (0)

/* ---- who is the operator ------------------------------------------------ */

static void test_operator_root__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_operator_root_entry();
    const pdm_authority_ops *o = (const pdm_authority_ops *)d->components[0].ops;
    PDM_ASSERT_STR(d->name, "operator-root");
    CU_ASSERT_EQUAL(d->abi_major, PDM_ABI_MAJOR);
    CU_ASSERT_EQUAL(d->abi_minor, PDM_ABI_MINOR);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_AUTHORITY);
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_END);
    CU_ASSERT_EQUAL(o->head.struct_size, sizeof(pdm_authority_ops));
    CU_ASSERT(o->on_bootstrap && o->takeover && o->override && o->defaults);
    PDM_ASSERT_STR(d->options[0].key, "operator_secs");
    PDM_ASSERT_STR(d->options[1].key, "smartcard_operator");
    PDM_ASSERT_STR(d->options[2].key, "replace_operator");
    PDM_ASSERT_STR(d->options[3].key, "address_pattern");
    CU_ASSERT_PTR_NULL(d->options[4].key);
}

/* The smart card's server is the operator: root ACL (Add stays *), root
 * owner, account ACL; logged; no record of its own. */
static void test_operator_root__smartcard(void)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    answer a;
    fx_open(&f, NULL);
    a = boot(&f, &w);
    CU_ASSERT_EQUAL(a.rc, PDM_OK);
    CU_ASSERT_EQUAL(a.flags, 0);
    PDM_ASSERT_STR(a.acc, "Get=op&Replace=op&Delete=op");
    PDM_ASSERT_STR(a.root, OPERATOR_ROOT_ACL);
    PDM_ASSERT_STR(a.owner, "op");
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    CU_ASSERT(has_log(&f, "operator op (smartcard, SEC NONE) owns root"));
    fx_close(&f);
}

/* A push with NETWPIN or USERNETWPIN is the operator; every other SEC,
 * and every other origin (file, user, factory) even with NETWPIN, gets
 * only its account. */
static void test_operator_root__push_secs(void)
{
    static const uint32_t secs[] = {PDM_SEC_NETWPIN, PDM_SEC_USERNETWPIN};
    static const uint32_t weak[] = {PDM_SEC_NONE, PDM_SEC_USERPIN,
                                    PDM_SEC_USERPINMAC, 99};
    static const uint32_t origins[] = {PDM_ORIGIN_FILE, PDM_ORIGIN_USER,
                                       PDM_ORIGIN_FACTORY, PDM_ORIGIN_UNKNOWN, 77};
    for (size_t i = 0; i < 2; i++) {
        fx f;
        pdm_authority_info w = info("op", PDM_ORIGIN_PUSH, secs[i]);
        answer a;
        fx_open(&f, NULL);
        a = boot(&f, &w);
        PDM_ASSERT_STR(a.root, OPERATOR_ROOT_ACL);
        PDM_ASSERT_STR(a.owner, "op");
        fx_close(&f);
    }
    for (size_t i = 0; i < 4; i++) {
        fx f;
        pdm_authority_info w = info("srv", PDM_ORIGIN_PUSH, weak[i]);
        fx_open(&f, NULL);
        ASSERT_ACCOUNT_ONLY(boot(&f, &w), "srv");
        PDM_ASSERT_STR(kv_owner(&f), "(none)");
        fx_close(&f);
    }
    for (size_t i = 0; i < 5; i++) {
        fx f;
        pdm_authority_info w = info("srv", origins[i], PDM_SEC_NETWPIN);
        fx_open(&f, NULL);
        ASSERT_ACCOUNT_ONLY(boot(&f, &w), "srv");
        fx_close(&f);
    }
}

/* option.operator_secs and option.smartcard_operator. */
static void test_operator_root__operator_options(void)
{
    fx f;
    pdm_authority_info nw = info("op", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info unw = info("op", PDM_ORIGIN_PUSH, PDM_SEC_USERNETWPIN);
    pdm_authority_info sc = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);

    fx_open(&f, "operator_secs", "USERNETWPIN", NULL);
    CU_ASSERT_EQUAL(f.create_rc, PDM_OK);
    ASSERT_ACCOUNT_ONLY(boot(&f, &nw), "op");
    PDM_ASSERT_STR(boot(&f, &unw).owner, "op");
    fx_close(&f);

    fx_open(&f, "operator_secs", " NETWPIN , USERNETWPIN ", NULL);
    CU_ASSERT_EQUAL(f.create_rc, PDM_OK);
    PDM_ASSERT_STR(boot(&f, &nw).owner, "op");
    fx_close(&f);

    /* none: only the smart card makes the operator */
    fx_open(&f, "operator_secs", "none", NULL);
    ASSERT_ACCOUNT_ONLY(boot(&f, &nw), "op");
    ASSERT_ACCOUNT_ONLY(boot(&f, &unw), "op");
    PDM_ASSERT_STR(boot(&f, &sc).owner, "op");
    fx_close(&f);

    fx_open(&f, "smartcard_operator", "false", NULL);
    ASSERT_ACCOUNT_ONLY(boot(&f, &sc), "op");
    PDM_ASSERT_STR(boot(&f, &nw).owner, "op");
    fx_close(&f);

    fx_open(&f, "smartcard_operator", "true", NULL);
    PDM_ASSERT_STR(boot(&f, &sc).owner, "op");
    fx_close(&f);
}

/* Bad option values fail create with PDM_EINVAL and a message naming the
 * key and the value; nothing is left allocated. */
static void test_operator_root__bad_options(void)
{
    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"operator_secs", "USERPIN", "option.operator_secs: 'USERPIN'"},
        {"operator_secs", "NETWPIN,USERPINMAC", "'NETWPIN,USERPINMAC'"},
        {"operator_secs", "NONE", "option.operator_secs: 'NONE'"},
        {"operator_secs", "", "option.operator_secs: ''"},
        {"operator_secs", "NETWPIN,", "option.operator_secs: 'NETWPIN,'"},
        {"smartcard_operator", "yes", "option.smartcard_operator: 'yes' is not true or false"},
        {"replace_operator", "1", "option.replace_operator: '1' is not true or false"},
        {"replace_operator", "", "option.replace_operator: ''"},
        {"address_pattern", "", "option.address_pattern: empty"},
        {"address_pattern", "https://dm.{imsi}.op.com/", "unknown placeholder at '{imsi}.op.com/'"},
        {"address_pattern", "https://dm.{mnc.op.com/", "unknown placeholder"},
        {"address_pattern", "https://dm.mnc}.op.com/", "'}' without '{'"},
        {"address_pattern", "https://dm.op.com*", "a final '*' must be in the path"},
        {"address_pattern", "https://*", "a final '*' must be in the path"},
        {"address_pattern", "dm.op.com/*", "a final '*' must be in the path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx f;
        fx_open(&f, bad[i].key, bad[i].value, NULL);
        CU_ASSERT_EQUAL(f.create_rc, PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
        if (!has_error(&f, bad[i].says))
            fprintf(stderr, "\n%s = '%s': error '%s' lacks '%s'\n", bad[i].key,
                    bad[i].value, pdm_test_nn(pdm_fake_host_error(f.fh, 0)), bad[i].says);
        CU_ASSERT(has_error(&f, bad[i].says));
        fx_close(&f);
    }
    {
        /* longer than 512 bytes */
        char big[600];
        fx f;
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        fx_open(&f, "address_pattern", big, NULL);
        CU_ASSERT_EQUAL(f.create_rc, PDM_EINVAL);
        CU_ASSERT(has_error(&f, "longer than 512"));
        fx_close(&f);
    }
}

/* ---- one operator at a time ------------------------------------------------ */

/* While op owns root, a second operator is refused (clear reason), the
 * same operator may re-bootstrap (root owner unchanged, its rights back),
 * and other servers get their accounts. */
static void test_operator_root__second_operator(void)
{
    fx f;
    pdm_authority_info op2 = info("op2", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info again = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    pdm_authority_info other = info("srv", PDM_ORIGIN_PUSH, PDM_SEC_USERPIN);
    answer a;
    op2.root_owner = again.root_owner = other.root_owner = "op";
    fx_open(&f, NULL);

    ASSERT_REFUSED(boot(&f, &op2));
    CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EDENIED);
    CU_ASSERT(has_error(&f, "ServerID op already owns root as the operator; a "
                            "second operator (op2) is refused "
                            "(option.replace_operator = false)"));
    CU_ASSERT(has_log(&f, "refused: ServerID op already owns root"));

    a = boot(&f, &again);
    CU_ASSERT_EQUAL(a.flags, 0);
    PDM_ASSERT_STR(a.root, OPERATOR_ROOT_ACL);
    PDM_ASSERT_STR(a.owner, "(null)"); /* keeps the owner: it is op */
    PDM_ASSERT_STR(kv_owner(&f), "(none)");

    ASSERT_ACCOUNT_ONLY(boot(&f, &other), "srv");
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    fx_close(&f);

    /* replace_operator = true: op2 takes root over */
    fx_open(&f, "replace_operator", "true", NULL);
    a = boot(&f, &op2);
    CU_ASSERT_EQUAL(a.flags, 0);
    PDM_ASSERT_STR(a.root, "Add=*&Get=*&Replace=op2&Delete=op2&Exec=op2");
    PDM_ASSERT_STR(a.owner, "op2");
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    fx_close(&f);
}

/* The operator's account is re-bootstrapped only as an operator: a
 * USERPIN push (or a file) naming its ServerID is refused. */
static void test_operator_root__operator_account_protected(void)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_PUSH, PDM_SEC_USERPIN);
    w.root_owner = "op";
    fx_open(&f, NULL);
    ASSERT_REFUSED(boot(&f, &w));
    CU_ASSERT(has_error(&f, "ServerID op owns root as the operator; a bootstrap "
                            "from push with SEC USERPIN cannot re-bootstrap its "
                            "account"));
    w.origin = PDM_ORIGIN_FILE;
    w.sec = PDM_SEC_NETWPIN;
    ASSERT_REFUSED(boot(&f, &w));
    fx_close(&f);
}

/* ---- address_pattern (S5) --------------------------------------------------- */

static answer boot_at(const char *pattern, const char *plmn, const char *addr,
                      fx *keep)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    answer a;
    w.home_plmn = plmn;
    w.address = addr;
    fx_open(&f, "address_pattern", pattern, NULL);
    CU_ASSERT_EQUAL_FATAL(f.create_rc, PDM_OK);
    a = boot(&f, &w);
    if (keep)
        *keep = f;
    else
        fx_close(&f);
    return a;
}

static void test_operator_root__address_pattern(void)
{
    fx f;
    const char *ok = "https://dm.mnc001.mcc001.pub.3gppnetwork.org/dm";
    /* {mnc3} pads a 2-digit MNC; {mnc} is as is; 3-digit MNCs */
    PDM_ASSERT_STR(boot_at(PATTERN, "001-01", ok, NULL).owner, "op");
    PDM_ASSERT_STR(boot_at(PATTERN, "001-001", ok, NULL).owner, "op");
    PDM_ASSERT_STR(boot_at("https://dm.mnc{mnc}.mcc{mcc}.org/*", "001-01",
                           "https://dm.mnc01.mcc001.org/", NULL).owner, "op");
    PDM_ASSERT_STR(boot_at("https://dm.mnc{mnc}.mcc{mcc}.org/*", "310-260",
                           "https://dm.mnc260.mcc310.org/x", NULL).owner, "op");
    PDM_ASSERT_STR(boot_at("https://{mcc}{mnc3}.org/dm", "234-15",
                           "https://234015.org/dm", NULL).owner, "op");

    /* another network's address: refused, saying what was expected */
    ASSERT_REFUSED(boot_at(PATTERN, "001-02", ok, &f));
    CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EDENIED);
    CU_ASSERT(has_error(&f, "operator bootstrap of ServerID op refused: its "
                            "address https://dm.mnc001.mcc001.pub.3gppnetwork.org/dm "
                            "is not https://dm.mnc002.mcc001.pub.3gppnetwork.org/* "
                            "(option.address_pattern for home network 001-02)"));
    CU_ASSERT(has_log(&f, "refused: operator bootstrap of ServerID op refused"));
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    fx_close(&f);
    ASSERT_REFUSED(boot_at("https://dm.mnc{mnc}.mcc{mcc}.org/*", "001-01",
                           "https://dm.mnc001.mcc001.org/", NULL));

    /* the sender's address reaches the log printable only */
    ASSERT_REFUSED(boot_at(PATTERN, "001-01", "https://x/\n\x1b[2Jfake log line", &f));
    CU_ASSERT(has_error(&f, "its address https://x/??[2Jfake log line is not"));
    fx_close(&f);

    /* no home network: fail closed */
    ASSERT_REFUSED(boot_at(PATTERN, NULL, ok, &f));
    CU_ASSERT(has_error(&f, "the home network (MCC-MNC of the IMSI) is unknown"));
    fx_close(&f);
    /* a malformed one */
    static const char *const plmns[] = {"", "00101", "001-1", "001-0001",
                                        "01-01", "abc-de", "001-01 ", "001--01"};
    for (size_t i = 0; i < sizeof plmns / sizeof plmns[0]; i++) {
        ASSERT_REFUSED(boot_at(PATTERN, plmns[i], ok, &f));
        CU_ASSERT(has_error(&f, "the home network is not MCC-MNC"));
        fx_close(&f);
    }
    /* no address */
    ASSERT_REFUSED(boot_at(PATTERN, "001-01", NULL, &f));
    CU_ASSERT(has_error(&f, "no server address"));
    fx_close(&f);
    ASSERT_REFUSED(boot_at(PATTERN, "001-01", "", NULL));
}

/* The pattern matches the whole address, exactly (case included); a
 * final '*' is any rest, another '*' stays inside a host or path part. */
static void test_operator_root__address_glob(void)
{
    static const struct {
        const char *pattern, *addr;
        bool ok;
    } cases[] = {
        {"https://dm.op.com/*", "https://dm.op.com/", true},
        {"https://dm.op.com/*", "https://dm.op.com/a/b?c=d#e", true},
        {"https://dm.op.com/*", "https://dm.op.com", false},
        {"https://dm.op.com/*", "https://dm.op.com.evil.org/", false},
        {"https://dm.op.com/*", "https://DM.op.com/", false},
        {"https://dm.op.com/*", "http://dm.op.com/", false},
        {"https://dm.op.com/dm", "https://dm.op.com/dm", true},
        {"https://dm.op.com/dm", "https://dm.op.com/dm2", false},
        {"https://dm.op.com/dm", "https://dm.op.com/d", false},
        {"https://*.op.com/dm", "https://a.b.op.com/dm", true},
        {"https://*.op.com/dm", "https://.op.com/dm", true},
        {"https://*.op.com/dm", "https://evil.org/x.op.com/dm", false},
        {"https://*.op.com/dm", "https://evil.org@x.op.com/dm", false},
        {"https://*.op.com/dm", "https://evil.org:1.op.com/dm", false},
        {"https://*.op.com/dm", "https://evil.org?.op.com/dm", false},
        {"https://dm*.op.com/*", "https://dm7.op.com/x", true},
        {"https://dm.op.com:*/dm", "https://dm.op.com:8443/dm", true},
        {"https://**.op.com/*/x", "https://a.op.com/seg/x", true},
        {"https://**.op.com/*/x", "https://a.op.com/s/eg/x", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        answer a = boot_at(cases[i].pattern, "001-01", cases[i].addr, NULL);
        if ((a.flags == 0) != cases[i].ok)
            fprintf(stderr, "\n'%s' ~ '%s': expected %d\n", cases[i].pattern,
                    cases[i].addr, cases[i].ok);
        CU_ASSERT_EQUAL(a.flags == 0, cases[i].ok);
        CU_ASSERT_EQUAL(a.rc, PDM_OK);
    }
    {
        /* an address longer than the plugin matches: refused, not cut */
        static const char head[] = "https://dm.op.com/"; /* 18 bytes */
        char *addr = malloc(3000);
        CU_ASSERT_FATAL(addr != NULL);
        memcpy(addr, head, sizeof head - 1);
        memset(addr + sizeof head - 1, 'a', 2980);
        addr[2998] = '\0';
        ASSERT_REFUSED(boot_at("https://dm.op.com/*", "001-01", addr, NULL));
        addr[2030] = '\0';
        CU_ASSERT_EQUAL(boot_at("https://dm.op.com/*", "001-01", addr, NULL).flags, 0);
        free(addr);
    }
}

/* The pattern is for the operator only: other servers are not checked. */
static void test_operator_root__pattern_not_for_others(void)
{
    fx f;
    pdm_authority_info w = info("srv", PDM_ORIGIN_PUSH, PDM_SEC_USERPIN);
    w.address = "https://anything.example/";
    w.home_plmn = NULL;
    fx_open(&f, "address_pattern", PATTERN, NULL);
    ASSERT_ACCOUNT_ONLY(boot(&f, &w), "srv");
    fx_close(&f);
}

/* ---- bad input, ABI 1.0 callers, memory ----------------------------------- */

/* An ABI 1.0-sized info has no home_plmn: the plugin must not read the
 * field (here set, past struct_size), so the pattern cannot be checked. */
static void test_operator_root__abi10_info(void)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    answer a;
    w.struct_size = (uint32_t)INFO_SIZE_1_0;
    fx_open(&f, "address_pattern", PATTERN, NULL);
    ASSERT_REFUSED(boot(&f, &w));
    CU_ASSERT(has_error(&f, "home network (MCC-MNC of the IMSI) is unknown"));
    fx_close(&f);
    /* without a pattern a 1.0 info is all the plugin needs */
    fx_open(&f, NULL);
    a = boot(&f, &w);
    PDM_ASSERT_STR(a.owner, "op");
    fx_close(&f);
}

/* The same through an info of exactly the 1.0 size on the heap: a read
 * of home_plmn (or anything past struct_size) is an out-of-bounds read
 * that the sanitizer builds catch. */
static void test_operator_root__abi10_heap(void)
{
    fx f;
    pdm_authority_info full = info("op", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_authority_info *w = malloc(INFO_SIZE_1_0);
    answer a;
    memcpy(w, &full, INFO_SIZE_1_0);
    w->struct_size = (uint32_t)INFO_SIZE_1_0;
    fx_open(&f, NULL);
    a = boot(&f, w);
    PDM_ASSERT_STR(a.root, OPERATOR_ROOT_ACL);
    PDM_ASSERT_STR(a.owner, "op");
    CU_ASSERT_EQUAL(f.ops->takeover(f.inst, w, &(pdm_verdict){0}), PDM_OK);
    fx_close(&f);
    fx_open(&f, "address_pattern", PATTERN, NULL);
    ASSERT_REFUSED(boot(&f, w));
    fx_close(&f);
    free(w);
}

/* Grant strings are host memory that becomes the core's (rule 2): three
 * live host blocks after on_bootstrap, none once the core frees them. */
static void test_operator_root__grant_ownership(void)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    pdm_authority_grant g;
    long before;
    fx_open(&f, NULL);
    before = pdm_fake_host_live_allocs(f.fh);
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CU_ASSERT_EQUAL(f.ops->on_bootstrap(f.inst, &w, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f.fh), before + 3);
    f.h->free(g.account_acl);
    f.h->free(g.root_acl);
    f.h->free(g.root_owner);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f.fh), before);
    /* a refusal hands over nothing */
    w.server_id = "op2";
    w.root_owner = "op";
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CU_ASSERT_EQUAL(f.ops->on_bootstrap(f.inst, &w, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.flags, PDM_GRANT_REFUSE);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f.fh), before);
    fx_close(&f);
}

/* Malformed calls fail with PDM_EINVAL and leave the grant empty; a
 * ServerID that could rewrite an ACL is one of them. */
static void test_operator_root__bad_input(void)
{
    static const char *const sids[] = {NULL, "", "a b", "x&Replace=*", "x=y",
                                       "a+b", "*", "tab\there", "nl\n"};
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    pdm_authority_grant g;
    char longid[300];
    fx_open(&f, NULL);
    for (size_t i = 0; i < sizeof sids / sizeof sids[0]; i++) {
        answer a;
        w.server_id = sids[i];
        a = boot(&f, &w);
        CU_ASSERT_EQUAL(a.rc, PDM_EINVAL);
        CU_ASSERT_EQUAL(a.flags, 0);
        CU_ASSERT(has_error(&f, "the ServerID is empty, longer than 255 bytes"));
    }
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    w.server_id = longid;
    CU_ASSERT_EQUAL(boot(&f, &w).rc, PDM_EINVAL);
    w.server_id = "op";
    w.struct_size = (uint32_t)INFO_SIZE_1_0 - 1;
    CU_ASSERT_EQUAL(boot(&f, &w).rc, PDM_EINVAL);
    CU_ASSERT(has_error(&f, "missing or short pdm_authority_info/grant"));
    w.struct_size = sizeof w;
    memset(&g, 0, sizeof g);
    g.struct_size = 8;
    CU_ASSERT_EQUAL(f.ops->on_bootstrap(f.inst, &w, &g), PDM_EINVAL);
    CU_ASSERT_EQUAL(f.ops->on_bootstrap(f.inst, NULL, &g), PDM_EINVAL);
    CU_ASSERT_EQUAL(f.ops->on_bootstrap(f.inst, &w, NULL), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(g.account_acl);
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    fx_close(&f);
}

/* Out of memory anywhere: PDM_ENOMEM (or success), nothing left behind. */
static void test_operator_root__alloc_failures(void)
{
    for (long n = 0; n < 8; n++) {
        fx f;
        pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
        memset(&f, 0, sizeof f);
        f.fh = pdm_fake_host_new();
        f.h = pdm_fake_host_api(f.fh);
        f.d = pdm_plugin_operator_root_entry();
        f.ops = (const pdm_authority_ops *)f.d->components[0].ops;
        pdm_fake_host_set_option(f.fh, "address_pattern", PATTERN);
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

/* ---- takeover, override, defaults ------------------------------------------- */

static void test_operator_root__takeover_never(void)
{
    fx f;
    pdm_authority_info to = info("srv", PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN);
    pdm_verdict v;
    fx_open(&f, NULL);
    memset(&v, 0x5a, sizeof v);
    CU_ASSERT_EQUAL(f.ops->takeover(f.inst, &to, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    CU_ASSERT_EQUAL(v.reserved, 0);
    PDM_ASSERT_STR(v.reason, "the operator owns the device; the user cannot move root");
    CU_ASSERT_EQUAL(f.ops->takeover(f.inst, NULL, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.decision, PDM_DENY);
    CU_ASSERT_EQUAL(f.ops->takeover(f.inst, &to, NULL), PDM_EINVAL);
    fx_close(&f);
}

/* The operator is master over the whole tree; other servers keep their
 * own subtrees and cannot touch the operator's or a bootstrap's nodes;
 * factory, local and unowned nodes follow their ACLs. */
static void test_operator_root__override(void)
{
    fx f;
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    char why[200];
    fx_open(&f, NULL);
    boot(&f, &w);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "op"); /* the core applied it */

    CU_ASSERT_EQUAL(override(&f, "op", "srvB", why), PDM_ALLOW);
    PDM_ASSERT_STR(why, "op owns root: master over the whole tree");
    CU_ASSERT_EQUAL(override(&f, "op", "bootstrap:cp-bootstrap/cp", NULL), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "op", why), PDM_DENY);
    PDM_ASSERT_STR(why, "./X belongs to op; only the root owner may change "
                        "another authority's nodes");
    CU_ASSERT_EQUAL(override(&f, "srvB", "srvC", NULL), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "srvB", "bootstrap:cp-bootstrap/cp", NULL), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "srvB", "factory", why), PDM_ALLOW);
    PDM_ASSERT_STR(why, "factory nodes follow their ACLs");
    CU_ASSERT_EQUAL(override(&f, "srvB", "local", NULL), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "srvB", "", why), PDM_ALLOW);
    PDM_ASSERT_STR(why, "unowned nodes follow their ACLs");
    /* bad input: deny */
    CU_ASSERT_EQUAL(override(&f, NULL, "srvB", why), PDM_DENY);
    PDM_ASSERT_STR(why, "override: no valid actor ServerID or node owner");
    CU_ASSERT_EQUAL(override(&f, "", "factory", NULL), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "op", NULL, NULL), PDM_DENY);
    CU_ASSERT_EQUAL(override(&f, "op+srvB", "srvB", NULL), PDM_DENY);
    CU_ASSERT_EQUAL(f.ops->override(f.inst, "op", "srvB", "./X", NULL), PDM_EINVAL);
    fx_close(&f);
}

/* Master is whoever the core says owns root, asked at every override: not
 * the plugin's grant (a grant the core refused leaves nobody), at once
 * after the owner changes without a bootstrap (the local user's
 * pdm_ctx_takeover, a transfer); nobody, a failing or absent service, or
 * an owner no ACL could hold leave nobody master (fail closed). */
static void test_operator_root__override_fact(void)
{
    fx f;
    pdm_host_api old;
    char big[300];
    pdm_authority_info w = info("op", PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE);
    fx_open(&f, NULL);
    CU_ASSERT_EQUAL(boot(&f, &w).rc, PDM_OK);
    /* the grant never reached the tree: nobody owns root */
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_DENY);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "op");
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_ALLOW);
    /* a local takeover moved root to srvB: master at once */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "srvB");
    CU_ASSERT_EQUAL(override(&f, "srvB", "op", NULL), PDM_ALLOW);
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_DENY);
    /* a name that merely starts like the owner's is not it */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "op2");
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_DENY);
    /* the core cannot answer, or answers something no ACL can hold */
    pdm_fake_host_set_root_owner(f.fh, PDM_ENOTSUP, "op");
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_DENY);
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "op&Replace=*");
    CU_ASSERT_EQUAL(override(&f, "op&Replace=*", "srvB", NULL), PDM_DENY);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, big); /* PDM_ENOSPC */
    CU_ASSERT_EQUAL(override(&f, big, "srvB", NULL), PDM_DENY);
    /* a 1.2 core has no root_owner: nobody is master */
    pdm_fake_host_set_root_owner(f.fh, PDM_OK, "op");
    old = *f.h;
    old.struct_size = (uint32_t)offsetof(pdm_host_api, root_owner);
    CU_ASSERT_EQUAL(f.d->init(pdm_fake_host_ctx(f.fh), &old, &f.pdata), PDM_OK);
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_DENY);
    CU_ASSERT_EQUAL(f.d->init(pdm_fake_host_ctx(f.fh), f.h, &f.pdata), PDM_OK);
    CU_ASSERT_EQUAL(override(&f, "op", "srvB", NULL), PDM_ALLOW);
    PDM_ASSERT_STR(kv_owner(&f), "(none)");
    fx_close(&f);
}

static void test_operator_root__defaults(void)
{
    fx f;
    pdm_authority_defaults d;
    fx_open(&f, NULL);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    CU_ASSERT_EQUAL(f.ops->defaults(f.inst, &d), PDM_OK);
    PDM_ASSERT_STR(d.root_acl, "Add=*&Get=*");
    CU_ASSERT_PTR_NULL(d.dmacc_acl);
    CU_ASSERT_EQUAL(d.flags, 0); /* Add stays "*" at the root */
    f.h->free(d.root_acl);
    memset(&d, 0, sizeof d);
    d.struct_size = 8; /* too small to hold root_acl: not written */
    CU_ASSERT_EQUAL(f.ops->defaults(f.inst, &d), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(d.root_acl);
    CU_ASSERT_EQUAL(f.ops->defaults(f.inst, NULL), PDM_EINVAL);
    pdm_fake_host_fail_alloc_after(f.fh, 0);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    CU_ASSERT_EQUAL(f.ops->defaults(f.inst, &d), PDM_ENOMEM);
    CU_ASSERT_PTR_NULL(d.root_acl);
    pdm_fake_host_fail_alloc_after(f.fh, -1);
    fx_close(&f);
}

static const pdm_test tests[] = {
    {"descriptor", test_operator_root__descriptor},
    {"smartcard", test_operator_root__smartcard},
    {"push_secs", test_operator_root__push_secs},
    {"operator_options", test_operator_root__operator_options},
    {"bad_options", test_operator_root__bad_options},
    {"second_operator", test_operator_root__second_operator},
    {"operator_account_protected", test_operator_root__operator_account_protected},
    {"address_pattern", test_operator_root__address_pattern},
    {"address_glob", test_operator_root__address_glob},
    {"pattern_not_for_others", test_operator_root__pattern_not_for_others},
    {"abi10_info", test_operator_root__abi10_info},
    {"abi10_heap", test_operator_root__abi10_heap},
    {"grant_ownership", test_operator_root__grant_ownership},
    {"bad_input", test_operator_root__bad_input},
    {"alloc_failures", test_operator_root__alloc_failures},
    {"takeover_never", test_operator_root__takeover_never},
    {"override", test_operator_root__override},
    {"override_fact", test_operator_root__override_fact},
    {"defaults", test_operator_root__defaults},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"operator_root", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
