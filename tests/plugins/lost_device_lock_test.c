/*
 * lost-device-lock against the SDK's fake host (no core): every LAWMO
 * node, every operation and result code, the alert (type, source,
 * correlator, once_key), crash recovery of pending records, rollback of
 * Replaces, and the lock policy with every option (valid and invalid) and
 * its fail-closed cases.  No leaked host memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/policy.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_lost_device_lock_entry(void);

#define CT_CP "application/vnd.wap.connectivity-wbxml"
#define CT_DM "application/vnd.syncml.dm+wbxml"
#define AT "urn:oma:at:lawmo:1.0:OperationComplete"

static const pdm_plugin_desc *desc(void)
{
    return pdm_plugin_lost_device_lock_entry();
}
static const pdm_mo_ops *mo(void)
{
    return (const pdm_mo_ops *)desc()->components[0].ops;
}
static const pdm_policy_ops *pol(void)
{
    return (const pdm_policy_ops *)desc()->components[1].ops;
}

/* Both components on one fake host, made with options "key", "value",
 * ..., NULL.  The alert server plays the core's binding of a result to
 * the Exec's server. */
typedef struct fx {
    pdm_fake_host *fh;
    void *pdata, *mo, *pol;
    int mo_rc, pol_rc;
} fx;

static fx make(const char *const *opts)
{
    fx f = {pdm_fake_host_new(), NULL, NULL, NULL, 0, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.fh);
    for (size_t i = 0; opts && opts[i]; i += 2)
        pdm_fake_host_set_option(f.fh, opts[i], opts[i + 1]);
    pdm_fake_host_set_alert_server(f.fh, "srvA");
    CU_ASSERT_EQUAL_FATAL(desc()->init(pdm_fake_host_ctx(f.fh),
                                       pdm_fake_host_api(f.fh), &f.pdata),
                          PDM_OK);
    f.mo_rc = mo()->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.mo);
    f.pol_rc = pol()->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.pol);
    return f;
}

static fx make0(void) { return make(NULL); }
static fx make1(const char *k, const char *v)
{
    const char *o[] = {k, v, NULL};
    return make(o);
}

/* A restart: the MO instance goes and comes back on the same store. */
static void restart(fx *f)
{
    if (f->mo_rc == PDM_OK)
        mo()->head.destroy(f->mo);
    f->mo = NULL;
    f->mo_rc = mo()->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->mo);
}

static void done(fx *f)
{
    if (f->mo_rc == PDM_OK)
        mo()->head.destroy(f->mo);
    if (f->pol_rc == PDM_OK)
        pol()->head.destroy(f->pol);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f->fh), 0);
    pdm_fake_host_free(f->fh);
}

static char got[256];

/* Get of base-relative @rel: the value, or "rc=N". */
static const char *get(fx *f, const char *rel)
{
    char uri[256];
    pdm_blob b = {NULL, 0};
    int rc;
    snprintf(uri, sizeof uri, "./LAWMO/%s", rel);
    rc = mo()->get(f->mo, uri, &b);
    if (rc != PDM_OK)
        snprintf(got, sizeof got, "rc=%d", rc);
    else
        snprintf(got, sizeof got, "%.*s", (int)b.len, (const char *)b.data);
    pdm_fake_host_api(f->fh)->free(b.data);
    return got;
}

static int rep(fx *f, const char *rel, const char *v)
{
    char uri[256];
    pdm_blob b = {(uint8_t *)v, strlen(v)};
    snprintf(uri, sizeof uri, "./LAWMO/%s", rel);
    return mo()->replace(f->mo, uri, &b);
}

static int ex(fx *f, const char *op, const char *corr)
{
    char uri[256];
    pdm_blob b = {NULL, 0};
    snprintf(uri, sizeof uri, "./LAWMO/Operations/%s", op);
    return mo()->exec(f->mo, uri, &b, corr);
}

static const char *kv(fx *f, const char *key)
{
    size_t n;
    const char *v = pdm_fake_host_kv(f->fh, key, &n);
    if (!v)
        return NULL;
    snprintf(got, sizeof got, "%.*s", (int)n, v);
    return got;
}

static void kv_set(fx *f, const char *key, const char *v)
{
    CU_ASSERT_EQUAL(pdm_fake_host_api(f->fh)->kv_put(pdm_fake_host_ctx(f->fh),
                                                     key, v, strlen(v)),
                    PDM_OK);
}

static size_t nalerts(fx *f)
{
    size_t n = 0;
    while (pdm_fake_host_alert(f->fh, n))
        n++;
    return n;
}

static size_t ncalls(fx *f)
{
    size_t n = 0;
    while (pdm_fake_host_device_call(f->fh, n))
        n++;
    return n;
}

static int logged(fx *f, const char *needle)
{
    for (size_t i = 0; pdm_fake_host_log(f->fh, i); i++)
        if (strstr(pdm_fake_host_log(f->fh, i), needle))
            return 1;
    return 0;
}

static int errored(fx *f, const char *needle)
{
    for (size_t i = 0; pdm_fake_host_error(f->fh, i); i++)
        if (strstr(pdm_fake_host_error(f->fh, i), needle))
            return 1;
    return 0;
}

/* The one expected alert of an operation: "type|format|source|corr|data". */
static void expect_alert(fx *f, size_t i, const char *op, const char *corr,
                         const char *code, const char *once)
{
    char want[512];
    snprintf(want, sizeof want, AT "|int|./LAWMO/Operations/%s|%s|%s", op,
             corr ? corr : "", code);
    PDM_ASSERT_STR(pdm_fake_host_alert(f->fh, i), want);
    PDM_ASSERT_STR(pdm_fake_host_alert_once_key(f->fh, i), once);
    PDM_ASSERT_STR(pdm_fake_host_alert_server(f->fh, i), "srvA");
}

/* ---- descriptor and nodes ------------------------------------------------ */

static const pdm_mo_node *node(const char *path)
{
    for (const pdm_mo_node *n = mo()->nodes; n->path; n++)
        if (strcmp(n->path, path) == 0)
            return n;
    return NULL;
}

static void test_ldl__descriptor(void)
{
    const pdm_plugin_desc *d = desc();
    const pdm_mo_node *n;
    PDM_ASSERT_STR(d->name, "lost-device-lock");
    CU_ASSERT_EQUAL(d->abi_minor, 4);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_MO);
    PDM_ASSERT_STR(d->components[0].name, "lawmo");
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_POLICY);
    PDM_ASSERT_STR(d->components[1].name, "lock");
    CU_ASSERT_EQUAL(d->components[2].kind, PDM_KIND_END);
    PDM_ASSERT_STR(mo()->base_uri, "./LAWMO");
    PDM_ASSERT_STR(mo()->mo_id, "urn:oma:mo:oma-lawmo:1.0");
    {
        static const char *const want[][2] = {
            {"base", "./LAWMO"},
            {"wipe_classes", "contacts,calendar,messages,media,accounts"},
            {"lock_authority", "root-owner"},
            {"locked_deny", "all"},
            {"locked_smartcard", "deny-other-operator"}};
        size_t k = 0;
        for (const pdm_option_desc *o = d->options; o->key; o++, k++) {
            CU_ASSERT_FATAL(k < 5);
            PDM_ASSERT_STR(o->key, want[k][0]);
            PDM_ASSERT_STR(o->def, want[k][1]);
            CU_ASSERT_PTR_NOT_NULL(o->help);
        }
        CU_ASSERT_EQUAL(k, 5);
    }
    /* The tree of facts §10, with access types. */
    n = node("");
    CU_ASSERT_FATAL(n != NULL);
    PDM_ASSERT_STR(n->acl, "Get=*&Replace=*&Exec=*");
    n = node("State");
    CU_ASSERT_FATAL(n != NULL);
    CU_ASSERT_EQUAL(n->format, PDM_FORMAT_INT);
    CU_ASSERT_EQUAL(n->flags, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE |
                                  PDM_MO_NO_REPLACE);
    for (int k = 1; k <= 8; k++) {
        char p[64];
        snprintf(p, sizeof p, "AvailableWipeList/%d", k);
        CU_ASSERT_FATAL((n = node(p)) != NULL);
        CU_ASSERT_EQUAL(n->format, PDM_FORMAT_NODE);
        snprintf(p, sizeof p, "AvailableWipeList/%d/ListItemName", k);
        CU_ASSERT_FATAL((n = node(p)) != NULL);
        CU_ASSERT_EQUAL(n->format, PDM_FORMAT_CHR);
        CU_ASSERT(n->flags & PDM_MO_NO_REPLACE);
        snprintf(p, sizeof p, "AvailableWipeList/%d/ToBeWiped", k);
        CU_ASSERT_FATAL((n = node(p)) != NULL);
        CU_ASSERT_EQUAL(n->format, PDM_FORMAT_BOOL);
        CU_ASSERT_EQUAL(n->flags, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE);
    }
    CU_ASSERT_PTR_NULL(node("AvailableWipeList/9"));
    CU_ASSERT_FATAL((n = node("LAWMOConfig/NotifyUser")) != NULL);
    CU_ASSERT_EQUAL(n->format, PDM_FORMAT_BOOL);
    CU_ASSERT_EQUAL(n->flags, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE);
    {
        static const char *const ops[] = {"FullyLock", "PartiallyLock",
                                          "UnLock", "FactoryReset", "Wipe"};
        for (size_t k = 0; k < 5; k++) {
            char p[64];
            snprintf(p, sizeof p, "Operations/%s", ops[k]);
            CU_ASSERT_FATAL((n = node(p)) != NULL);
            CU_ASSERT_EQUAL(n->format, PDM_FORMAT_NULL);
            CU_ASSERT_EQUAL(n->flags, PDM_MO_PERMANENT | PDM_MO_EXEC |
                                          PDM_MO_NO_REPLACE);
        }
    }
    CU_ASSERT_FATAL((n = node("Ext")) != NULL);
    CU_ASSERT_EQUAL(n->format, PDM_FORMAT_NODE);
    CU_ASSERT_FATAL((n = node("Ext/Capabilities")) != NULL);
    CU_ASSERT_EQUAL(n->format, PDM_FORMAT_NODE);
    {
        static const char *const caps[] = {"SMS", "Voice", "Data"};
        for (size_t k = 0; k < 3; k++) {
            char p[64];
            snprintf(p, sizeof p, "Ext/Capabilities/%s", caps[k]);
            CU_ASSERT_FATAL((n = node(p)) != NULL);
            CU_ASSERT_EQUAL(n->format, PDM_FORMAT_BOOL);
            CU_ASSERT_EQUAL(n->flags, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE);
        }
    }
}

/* A core without the 1.4 services: init refuses, naming why. */
static void test_ldl__old_host(void)
{
    pdm_fake_host *fh = pdm_fake_host_new();
    pdm_host_api h = *pdm_fake_host_api(fh);
    void *pdata = NULL;
    h.struct_size = (uint32_t)offsetof(pdm_host_api, set_lock);
    CU_ASSERT_EQUAL(desc()->init(pdm_fake_host_ctx(fh), &h, &pdata), PDM_EABI);
    CU_ASSERT(strstr(pdm_fake_host_error(fh, 0), "ABI 1.4") != NULL);
    pdm_fake_host_free(fh);
}

/* ---- the nodes ----------------------------------------------------------- */

static void test_ldl__state(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL_FATAL(f.mo_rc, PDM_OK);
    PDM_ASSERT_STR(get(&f, "State"), "30");
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
    PDM_ASSERT_STR(get(&f, "State"), "20");
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_FULL);
    PDM_ASSERT_STR(get(&f, "State"), "10");
    pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_EIO);
    PDM_ASSERT_STR(get(&f, "State"), "rc=-11");
    pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_OK);
    PDM_ASSERT_STR(get(&f, "Operations"), "rc=-4");
    CU_ASSERT_EQUAL(rep(&f, "State", "10"), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ListItemName", "x"),
                    PDM_ENOTALLOWED);
    done(&f);
}

static void test_ldl__wipe_list_default(void)
{
    fx f = make0(); /* the device names none: option.wipe_classes */
    static const char *const want[] = {"contacts", "calendar", "messages",
                                       "media", "accounts", "", "", ""};
    for (int k = 0; k < 8; k++) {
        char p[64];
        snprintf(p, sizeof p, "AvailableWipeList/%d/ListItemName", k + 1);
        PDM_ASSERT_STR(get(&f, p), want[k]);
        snprintf(p, sizeof p, "AvailableWipeList/%d/ToBeWiped", k + 1);
        PDM_ASSERT_STR(get(&f, p), "false");
    }
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/9/ListItemName"), "rc=-4");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/Other"), "rc=-4");
    done(&f);

    f = make1("wipe_classes", "photos,sms_db");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ListItemName"), "photos");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/2/ListItemName"), "sms_db");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/3/ListItemName"), "");
    done(&f);
}

static void test_ldl__wipe_list_device(void)
{
    fx f = make0();
    pdm_fake_host_set_wipe_classes(f.fh, PDM_OK, "sd-card,apps");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ListItemName"), "sd-card");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/2/ListItemName"), "apps");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/3/ListItemName"), "");
    /* A name that is not one is skipped (logged); past 8 slots too. */
    pdm_fake_host_set_wipe_classes(f.fh, PDM_OK,
                                   "a,b c,c,d,e,f,g,h,i,j,0123456789012345678"
                                   "901234567890123");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/2/ListItemName"), "c");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/8/ListItemName"), "i");
    CU_ASSERT(logged(&f, "'b c' is not a name"));
    CU_ASSERT(logged(&f, "'j' not offered: AvailableWipeList has 8 slots"));
    CU_ASSERT(logged(&f, "is not a name of [A-Za-z0-9_-] (at most 32"));
    /* The hook's failure is the Get's. */
    pdm_fake_host_set_wipe_classes(f.fh, PDM_EIO, NULL);
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ListItemName"), "rc=-11");
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "true"), PDM_EIO);
    done(&f);
}

static void test_ldl__to_be_wiped(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/4/ToBeWiped", "TRUE"), PDM_OK);
    PDM_ASSERT_STR(kv(&f, "wipe.contacts"), "true");
    PDM_ASSERT_STR(kv(&f, "wipe.media"), "true");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "true");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/2/ToBeWiped"), "false");
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "yes"),
                    PDM_EINVAL);
    CU_ASSERT(errored(&f, "./LAWMO/AvailableWipeList/1/ToBeWiped is a bool"));
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", ""), PDM_EINVAL);
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "true");
    /* An unused slot has nothing to select. */
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/6/ToBeWiped", "true"),
                    PDM_ENOTFOUND);
    CU_ASSERT(errored(&f, "no data class in slot 6"));
    /* Kept by class name, across restarts and a reordered list. */
    restart(&f);
    pdm_fake_host_set_wipe_classes(f.fh, PDM_OK, "media,contacts,calendar");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "true");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/3/ToBeWiped"), "false");
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "false"), PDM_OK);
    PDM_ASSERT_STR(kv(&f, "wipe.media"), "false");
    done(&f);
}

static void test_ldl__notify_user(void)
{
    fx f = make0();
    PDM_ASSERT_STR(get(&f, "LAWMOConfig/NotifyUser"), "false");
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "true"), PDM_OK);
    restart(&f);
    PDM_ASSERT_STR(get(&f, "LAWMOConfig/NotifyUser"), "true");
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "1"), PDM_EINVAL);
    /* The device is told to tell the user. */
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", NULL), PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "lock-full notify");
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "false"), PDM_OK);
    CU_ASSERT_EQUAL(ex(&f, "UnLock", NULL), PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 1), "unlock");
    done(&f);
}

static void test_ldl__capabilities(void)
{
    fx f = make0();
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/SMS"), "true");
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Voice"), "true");
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Data"), "true");
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Voice", "false"), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "capability voice off");
    PDM_ASSERT_STR(kv(&f, "cap.voice"), "false");
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Voice"), "false");
    /* The same value again: nothing to switch. */
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Voice", "false"), PDM_OK);
    CU_ASSERT_EQUAL(ncalls(&f), 1);
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/SMS", "false"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Data", "false"), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 1), "capability sms off");
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 2), "capability data off");
    restart(&f);
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Data"), "false");
    /* The device refuses: the value stays, the reason is in the error. */
    pdm_fake_host_set_device_rc(f.fh, PDM_ENOTSUP, "no modem");
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Data", "true"), PDM_ENOTSUP);
    CU_ASSERT(errored(&f, "the device could not enable data: no modem"));
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Data"), "false");
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Data", "off"), PDM_EINVAL);
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Fax", "true"), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Fax"), "rc=-4");
    done(&f);
}

/* ---- operations ---------------------------------------------------------- */

static void test_ldl__fully_lock(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "corr-1"), PDM_PENDING);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_FULL);
    PDM_ASSERT_STR(pdm_fake_host_lock_server(f.fh), ""); /* the core's: NULL */
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "lock-full");
    CU_ASSERT_EQUAL(ncalls(&f), 1);
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    expect_alert(&f, 0, "FullyLock", "corr-1", "1200", "lawmo-op-1");
    PDM_ASSERT_STR(get(&f, "State"), "10");
    /* Nothing pending once the alert is queued. */
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    CU_ASSERT_PTR_NULL(kv(&f, "op.1"));
    PDM_ASSERT_STR(kv(&f, "seq"), "1");
    /* Without a Correlator; the sequence goes on. */
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", NULL), PDM_PENDING);
    expect_alert(&f, 1, "FullyLock", NULL, "1200", "lawmo-op-2");
    done(&f);
}

static void test_ldl__partially_lock(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(ex(&f, "PartiallyLock", "c"), PDM_PENDING);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_PARTIAL);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "lock-partial");
    expect_alert(&f, 0, "PartiallyLock", "c", "1200", "lawmo-op-1");
    PDM_ASSERT_STR(get(&f, "State"), "20");
    /* From partial to full. */
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "d"), PDM_PENDING);
    PDM_ASSERT_STR(get(&f, "State"), "10");
    done(&f);
}

/* 1402/1403: the device failed; the level before the Exec comes back.
 * 1401: the user refused. */
static void test_ldl__lock_failures(void)
{
    fx f = make0();
    pdm_fake_host_set_device_rc(f.fh, PDM_EIO, "screen driver");
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "a"), PDM_PENDING);
    expect_alert(&f, 0, "FullyLock", "a", "1402", "lawmo-op-1");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_sets(f.fh), 2); /* set, restored */
    CU_ASSERT(logged(&f, "screen driver"));
    CU_ASSERT_EQUAL(ex(&f, "PartiallyLock", "b"), PDM_PENDING);
    expect_alert(&f, 1, "PartiallyLock", "b", "1403", "lawmo-op-2");
    pdm_fake_host_set_device_rc(f.fh, PDM_ENOTSUP, NULL);
    CU_ASSERT_EQUAL(ex(&f, "PartiallyLock", "b2"), PDM_PENDING);
    expect_alert(&f, 2, "PartiallyLock", "b2", "1403", "lawmo-op-3");
    pdm_fake_host_set_device_rc(f.fh, PDM_ECANCELLED, NULL);
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "c"), PDM_PENDING);
    expect_alert(&f, 3, "FullyLock", "c", "1401", "lawmo-op-4");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_NONE);
    /* Partially locked, a failed FullyLock stays partially locked. */
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
    pdm_fake_host_set_device_rc(f.fh, PDM_EIO, NULL);
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "d"), PDM_PENDING);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_PARTIAL);
    /* The level cannot be read: a failure goes back to the strictest. */
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_NONE);
    pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_EIO);
    CU_ASSERT_EQUAL(ex(&f, "PartiallyLock", "d2"), PDM_PENDING);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_FULL);
    pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_OK);
    /* The lock cannot be stored: the device is not asked (the stored
     * lock always comes first). */
    pdm_fake_host_set_device_rc(f.fh, PDM_OK, NULL);
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_NONE);
    pdm_fake_host_set_lock_rc(f.fh, PDM_EIO, PDM_OK);
    {
        size_t calls = ncalls(&f);
        CU_ASSERT_EQUAL(ex(&f, "FullyLock", "e"), PDM_PENDING);
        CU_ASSERT_EQUAL(ncalls(&f), calls);
        expect_alert(&f, 6, "FullyLock", "e", "1402", "lawmo-op-7");
    }
    done(&f);
}

static void test_ldl__unlock(void)
{
    fx f = make0();
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_FULL);
    CU_ASSERT_EQUAL(ex(&f, "UnLock", "u1"), PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "unlock");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_NONE);
    expect_alert(&f, 0, "UnLock", "u1", "1200", "lawmo-op-1");
    PDM_ASSERT_STR(get(&f, "State"), "30");
    /* 1404: the device failed; the lock stays. */
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
    pdm_fake_host_set_device_rc(f.fh, PDM_EIO, NULL);
    CU_ASSERT_EQUAL(ex(&f, "UnLock", "u2"), PDM_PENDING);
    expect_alert(&f, 1, "UnLock", "u2", "1404", "lawmo-op-2");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_PARTIAL);
    pdm_fake_host_set_device_rc(f.fh, PDM_ECANCELLED, NULL);
    CU_ASSERT_EQUAL(ex(&f, "UnLock", "u3"), PDM_PENDING);
    expect_alert(&f, 2, "UnLock", "u3", "1401", "lawmo-op-3");
    /* 1404: the device unlocked but the stored level cannot change. */
    pdm_fake_host_set_device_rc(f.fh, PDM_OK, NULL);
    pdm_fake_host_set_lock_rc(f.fh, PDM_EIO, PDM_OK);
    CU_ASSERT_EQUAL(ex(&f, "UnLock", "u4"), PDM_PENDING);
    expect_alert(&f, 3, "UnLock", "u4", "1404", "lawmo-op-4");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_PARTIAL);
    CU_ASSERT(logged(&f, "the stored lock could not be cleared"));
    done(&f);
}

static void test_ldl__wipe(void)
{
    fx f = make0();
    /* 1406: nothing selected, the device is not asked. */
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w1"), PDM_PENDING);
    expect_alert(&f, 0, "Wipe", "w1", "1406", "lawmo-op-1");
    CU_ASSERT_EQUAL(ncalls(&f), 0);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/4/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w2"), PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "wipe contacts,media");
    expect_alert(&f, 1, "Wipe", "w2", "1201", "lawmo-op-2");
    /* The selection stays for the next Wipe. */
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "true");
    pdm_fake_host_set_device_rc(f.fh, PDM_ENOTSUP, NULL);
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w3"), PDM_PENDING);
    expect_alert(&f, 2, "Wipe", "w3", "1406", "lawmo-op-3");
    pdm_fake_host_set_device_rc(f.fh, PDM_EIO, "flash error");
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w4"), PDM_PENDING);
    expect_alert(&f, 3, "Wipe", "w4", "1405", "lawmo-op-4");
    pdm_fake_host_set_device_rc(f.fh, PDM_ECANCELLED, NULL);
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w5"), PDM_PENDING);
    expect_alert(&f, 4, "Wipe", "w5", "1401", "lawmo-op-5");
    /* The classes cannot be read: failed. */
    pdm_fake_host_set_device_rc(f.fh, PDM_OK, NULL);
    pdm_fake_host_set_wipe_classes(f.fh, PDM_EIO, NULL);
    CU_ASSERT_EQUAL(ex(&f, "Wipe", "w6"), PDM_PENDING);
    expect_alert(&f, 5, "Wipe", "w6", "1405", "lawmo-op-6");
    /* A wipe leaves the lock as it is. */
    CU_ASSERT_EQUAL(pdm_fake_host_lock_sets(f.fh), 0);
    done(&f);
}

static void test_ldl__factory_reset(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/2/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/SMS", "false"), PDM_OK);
    CU_ASSERT_EQUAL(ex(&f, "FactoryReset", "f1"), PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 1), "factory-reset notify");
    expect_alert(&f, 0, "FactoryReset", "f1", "1200", "lawmo-op-1");
    CU_ASSERT_EQUAL(pdm_fake_host_factory_resets(f.fh), 1);
    /* The plugin's own settings go back to their defaults; the sequence
     * stays (a reused once_key could be swallowed). */
    CU_ASSERT_PTR_NULL(kv(&f, "notify_user"));
    CU_ASSERT_PTR_NULL(kv(&f, "wipe.calendar"));
    CU_ASSERT_PTR_NULL(kv(&f, "cap.sms"));
    PDM_ASSERT_STR(kv(&f, "seq"), "1");
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    /* Refused or failed: no reset. */
    pdm_fake_host_set_device_rc(f.fh, PDM_ECANCELLED, NULL);
    CU_ASSERT_EQUAL(ex(&f, "FactoryReset", "f2"), PDM_PENDING);
    expect_alert(&f, 1, "FactoryReset", "f2", "1401", "lawmo-op-2");
    pdm_fake_host_set_device_rc(f.fh, PDM_EIO, NULL);
    CU_ASSERT_EQUAL(ex(&f, "FactoryReset", "f3"), PDM_PENDING);
    expect_alert(&f, 2, "FactoryReset", "f3", "1405", "lawmo-op-3");
    pdm_fake_host_set_device_rc(f.fh, PDM_ENOTSUP, NULL);
    CU_ASSERT_EQUAL(ex(&f, "FactoryReset", "f4"), PDM_PENDING);
    expect_alert(&f, 3, "FactoryReset", "f4", "1406", "lawmo-op-4");
    CU_ASSERT_EQUAL(pdm_fake_host_factory_resets(f.fh), 1);
    done(&f);
}

/* The core cannot schedule the reset: the record stays past the alert
 * and the next start schedules it, without a second device action or
 * alert. */
static void test_ldl__factory_reset_retry(void)
{
    fx f = make0();
    pdm_fake_host_set_factory_reset_rc(f.fh, PDM_EIO);
    CU_ASSERT_EQUAL(ex(&f, "FactoryReset", "f1"), PDM_PENDING);
    expect_alert(&f, 0, "FactoryReset", "f1", "1200", "lawmo-op-1");
    PDM_ASSERT_STR(kv(&f, "pending"), "1");
    PDM_ASSERT_STR(pdm_fake_host_status(f.fh, 0),
                   "LAWMO factory reset pending: could not be scheduled");
    pdm_fake_host_set_factory_reset_rc(f.fh, PDM_OK);
    restart(&f); /* destroy retries it already */
    CU_ASSERT_EQUAL(pdm_fake_host_factory_resets(f.fh), 1);
    CU_ASSERT_EQUAL(ncalls(&f), 1);
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    done(&f);
}

static void test_ldl__exec_refused(void)
{
    fx f = make0();
    pdm_blob b = {NULL, 0};
    char longc[300];
    CU_ASSERT_EQUAL(mo()->exec(f.mo, "./LAWMO/State", &b, "c"),
                    PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(mo()->exec(f.mo, "./LAWMO/Operations", &b, "c"),
                    PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(ex(&f, "Unlock", "c"), PDM_ENOTALLOWED); /* UnLock */
    /* A URI outside option.base: mo.lawmo.base moved alone. */
    CU_ASSERT_EQUAL(mo()->exec(f.mo, "./Vendor/LAWMO/Operations/UnLock", &b,
                               "c"),
                    PDM_EFORBIDDEN);
    CU_ASSERT(errored(&f, "./Vendor/LAWMO/Operations/UnLock is not below "
                          "option.base (./LAWMO)"));
    {
        pdm_blob v = {NULL, 0};
        CU_ASSERT_EQUAL(mo()->get(f.mo, "./LAWMOX/State", &v), PDM_EFORBIDDEN);
        CU_ASSERT_EQUAL(mo()->replace(f.mo, "./Other/x", &v), PDM_EFORBIDDEN);
    }
    memset(longc, 'c', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", longc), PDM_EINVAL);
    CU_ASSERT_EQUAL(ncalls(&f) + nalerts(&f) + pdm_fake_host_lock_sets(f.fh),
                    0);
    CU_ASSERT_PTR_NULL(kv(&f, "seq"));
    done(&f);
}

/* ---- crash safety ------------------------------------------------------- */

/* A record as exec() writes it, left by a crash. */
static void leave_record(fx *f, const char *seq, const char *rec)
{
    char key[32];
    snprintf(key, sizeof key, "op.%s", seq);
    kv_set(f, key, rec);
    kv_set(f, "pending", seq);
    kv_set(f, "seq", seq);
}

static void test_ldl__recover_lock(void)
{
    fx f = make0();
    /* Crash after the record, before anything was done. */
    leave_record(&f, "5", "5 0 0 0 0\n./LAWMO/Operations/FullyLock\nCcorr-5");
    restart(&f);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_FULL);
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0), "lock-full");
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    expect_alert(&f, 0, "FullyLock", "corr-5", "1200", "lawmo-op-5");
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    CU_ASSERT_PTR_NULL(kv(&f, "op.5"));
    CU_ASSERT(logged(&f, "completing ./LAWMO/Operations/FullyLock "
                         "(operation 5) left by a previous run"));
    /* Crash after the alert, before the record went: completed again,
     * and the once_key keeps it to one alert. */
    leave_record(&f, "5", "5 0 0 0 0\n./LAWMO/Operations/FullyLock\nCcorr-5");
    restart(&f);
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    /* The next Exec does not reuse the sequence. */
    CU_ASSERT_EQUAL(ex(&f, "UnLock", "u"), PDM_PENDING);
    expect_alert(&f, 1, "UnLock", "u", "1200", "lawmo-op-6");
    done(&f);
}

static void test_ldl__recover_stages(void)
{
    fx f = make0();
    /* Stage 1: the device acted, its result recorded: only the alert. */
    leave_record(&f, "7", "7 4 1 1201 0\n./LAWMO/Operations/Wipe\nN");
    restart(&f);
    CU_ASSERT_EQUAL(ncalls(&f), 0);
    expect_alert(&f, 0, "Wipe", NULL, "1201", "lawmo-op-7");
    /* Stage 2 of a FactoryReset: only the core's reset is left. */
    leave_record(&f, "8", "8 3 2 1200 0\n./LAWMO/Operations/FactoryReset\nCx");
    restart(&f);
    CU_ASSERT_EQUAL(ncalls(&f), 0);
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    CU_ASSERT_EQUAL(pdm_fake_host_factory_resets(f.fh), 1);
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    /* Several records, oldest first. */
    kv_set(&f, "op.9", "9 2 0 0 2\n./LAWMO/Operations/UnLock\nCa");
    kv_set(&f, "op.10", "10 1 0 0 0\n./LAWMO/Operations/PartiallyLock\nCb");
    kv_set(&f, "pending", "9 10");
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_FULL);
    restart(&f);
    expect_alert(&f, 1, "UnLock", "a", "1200", "lawmo-op-9");
    expect_alert(&f, 2, "PartiallyLock", "b", "1200", "lawmo-op-10");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_PARTIAL);
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    done(&f);
}

static void test_ldl__recover_bad(void)
{
    fx f = make0();
    /* Unreadable: dropped, logged, nothing done. */
    leave_record(&f, "3", "3 9 0 0 0\n./LAWMO/Operations/FullyLock\nC");
    restart(&f);
    CU_ASSERT(logged(&f, "pending operation 3 is unreadable"));
    CU_ASSERT_EQUAL(ncalls(&f) + nalerts(&f), 0);
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    CU_ASSERT_PTR_NULL(kv(&f, "op.3"));
    leave_record(&f, "4", "garbage");
    restart(&f);
    CU_ASSERT(logged(&f, "pending operation 4 is unreadable"));
    /* No server to bind the result to (the Exec's record is gone): the
     * lock is done, the alert dropped, never sent to another server. */
    pdm_fake_host_set_alert_server(f.fh, NULL);
    leave_record(&f, "5", "5 0 0 0 0\n./LAWMO/Operations/FullyLock\nCz");
    restart(&f);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_FULL);
    CU_ASSERT_EQUAL(nalerts(&f), 0);
    CU_ASSERT(logged(&f, "result 1200 cannot be reported to any server"));
    CU_ASSERT_PTR_NULL(kv(&f, "pending"));
    done(&f);
}

/* destroy retries an alert or reset, never a device action. */
static void test_ldl__destroy_no_action(void)
{
    fx f = make0();
    leave_record(&f, "2", "2 0 0 0 0\n./LAWMO/Operations/FullyLock\nCq");
    mo()->head.destroy(f.mo);
    f.mo_rc = PDM_ENOTFOUND; /* gone */
    CU_ASSERT_EQUAL(ncalls(&f), 0);
    PDM_ASSERT_STR(kv(&f, "pending"), "2");
    done(&f);
}

static void test_ldl__pending_bound(void)
{
    fx f = make0();
    kv_set(&f, "pending", "1 2 3 4 5 6 7 8");
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "x"), PDM_EBUSY);
    CU_ASSERT(errored(&f, "8 LAWMO results are still waiting"));
    CU_ASSERT_EQUAL(ncalls(&f), 0);
    done(&f);
}

/* ---- transactions ------------------------------------------------------- */

static void test_ldl__rollback(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "false"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/3/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "Ext/Capabilities/Voice", "false"), PDM_OK);
    /* Device facts are not undone. */
    CU_ASSERT_EQUAL(ex(&f, "FullyLock", "k"), PDM_PENDING);
    mo()->rollback(f.mo);
    PDM_ASSERT_STR(get(&f, "LAWMOConfig/NotifyUser"), "false");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/3/ToBeWiped"), "false");
    PDM_ASSERT_STR(get(&f, "Ext/Capabilities/Voice"), "true");
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 0),
                   "capability voice off notify");
    PDM_ASSERT_STR(pdm_fake_host_device_call(f.fh, 2),
                   "capability voice on notify");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(f.fh), PDM_LOCK_FULL);
    CU_ASSERT_EQUAL(nalerts(&f), 1);
    /* Committed: kept. */
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(rep(&f, "LAWMOConfig/NotifyUser", "true"), PDM_OK);
    CU_ASSERT_EQUAL(mo()->commit(f.mo), PDM_OK);
    PDM_ASSERT_STR(get(&f, "LAWMOConfig/NotifyUser"), "true");
    /* Outside a transaction: nothing to undo, a stray rollback is no-op. */
    mo()->rollback(f.mo);
    PDM_ASSERT_STR(get(&f, "LAWMOConfig/NotifyUser"), "true");
    done(&f);
}

static void test_ldl__rollback_nested(void)
{
    fx f = make0();
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK); /* package */
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/1/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK); /* Atomic */
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/2/ToBeWiped", "true"), PDM_OK);
    mo()->rollback(f.mo); /* the Atomic fails */
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "true");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/2/ToBeWiped"), "false");
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK); /* Atomic */
    CU_ASSERT_EQUAL(rep(&f, "AvailableWipeList/3/ToBeWiped", "true"), PDM_OK);
    CU_ASSERT_EQUAL(mo()->commit(f.mo), PDM_OK);
    mo()->rollback(f.mo); /* the package fails: everything goes */
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/1/ToBeWiped"), "false");
    PDM_ASSERT_STR(get(&f, "AvailableWipeList/3/ToBeWiped"), "false");
    /* Bounded nesting. */
    for (int k = 0; k < 16; k++)
        CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_OK);
    CU_ASSERT_EQUAL(mo()->begin(f.mo), PDM_ENOSPC);
    for (int k = 0; k < 16; k++)
        CU_ASSERT_EQUAL(mo()->commit(f.mo), PDM_OK);
    done(&f);
}

/* ---- the lock policy ----------------------------------------------------- */

static pdm_policy_req req(uint32_t op, uint32_t principal, const char *srv,
                          const char *uri, const char *root_owner)
{
    pdm_policy_req r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.op = op;
    r.principal = principal;
    r.server_id = srv;
    r.uri = uri;
    r.root_owner = root_owner;
    return r;
}

static pdm_verdict vd;

static uint32_t check(fx *f, const pdm_policy_req *r)
{
    memset(&vd, 0, sizeof vd);
    CU_ASSERT_EQUAL(pol()->check(f->pol, r, &vd), PDM_OK);
    return vd.decision;
}

#define OPS "./LAWMO/Operations/FullyLock"

static void test_ldl__authority_root_owner(void)
{
    fx f = make0();
    pdm_policy_req r = req(PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "srvA", OPS,
                           "srvA");
    CU_ASSERT_EQUAL_FATAL(f.pol_rc, PDM_OK);
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "srvB";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "lost-device-lock: Exec of " OPS " is for the "
                              "lock authority only (lock_authority = "
                              "root-owner); srvB is not it");
    r.root_owner = NULL; /* nobody owns root: nobody may */
    r.server_id = "srvA";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    CU_ASSERT(strstr(vd.reason, "nobody owns root") != NULL);
    /* Replace anywhere under the base, Add, Delete too. */
    r = req(PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "srvB",
            "./LAWMO/AvailableWipeList/1/ToBeWiped", "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.uri = "./LAWMO/Ext/Capabilities/Voice";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.uri = "./LAWMO/LAWMOConfig/NotifyUser";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.server_id = "srvA";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.op = PDM_OP_ADD;
    r.server_id = "srvB";
    r.uri = "./LAWMO/Ext/Mine";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.op = PDM_OP_DELETE;
    r.uri = "./LAWMO";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    /* Reads, and everything outside the base: not this policy's. */
    r = req(PDM_OP_GET, PDM_PRINCIPAL_SERVER, "srvB", "./LAWMO/State", "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r = req(PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "srvB",
            "./LAWMOX/Operations/FullyLock", "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.uri = "./Ext/E2E/Run";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
}

static void test_ldl__authority_list(void)
{
    fx f = make1("lock_authority", "srvB, srvC");
    pdm_policy_req r = req(PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "srvC", OPS,
                           "srvA");
    CU_ASSERT_EQUAL_FATAL(f.pol_rc, PDM_OK);
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "srvB";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "srvA"; /* the root owner is not named */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    CU_ASSERT(strstr(vd.reason, "lock_authority = srvB, srvC") != NULL);
    r.server_id = "srv"; /* no prefix match */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
    f = make1("lock_authority", "srvB,root-owner");
    r.server_id = "srvA";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "srvB";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "root-owner"; /* the token is not a ServerID */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
}

static void test_ldl__not_servers(void)
{
    fx f = make0();
    pdm_policy_req r = req(PDM_OP_EXEC, PDM_PRINCIPAL_LOCAL, NULL,
                           "./LAWMO/Operations/UnLock", "srvA");
    /* The local user never unlocks nor writes the LAWMO, locked or not. */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "lost-device-lock: Exec of "
                              "./LAWMO/Operations/UnLock is for the lock "
                              "authority only, never the local user");
    r.op = PDM_OP_REPLACE;
    r.uri = "./LAWMO/Ext/Capabilities/Voice";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.principal = PDM_PRINCIPAL_BOOTSTRAP;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    CU_ASSERT(strstr(vd.reason, "never a bootstrap") != NULL);
    r.principal = PDM_PRINCIPAL_SERVER; /* a server without a ServerID */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.principal = PDM_PRINCIPAL_FACTORY;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.principal = PDM_PRINCIPAL_LOCAL;
    r.op = PDM_OP_GET;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
}

/* Every local change the lock refuses, with the flag, the stored level
 * and an unreadable level (fail closed). */
static void test_ldl__locked_local(void)
{
    static const uint32_t ops[] = {PDM_OP_TAKEOVER, PDM_OP_TRANSFER,
                                   PDM_OP_ACL_EDIT, PDM_OP_ACCOUNT_DELETE,
                                   PDM_OP_ADD, PDM_OP_REPLACE, PDM_OP_DELETE,
                                   PDM_OP_EXEC, PDM_OP_COPY};
    static const char *const why[] = {
        "a takeover of root", "a transfer of management", "an ACL edit",
        "deleting a DM account", "a local change of the management tree"};
    fx f = make0();
    for (int how = 0; how < 4; how++) {
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            pdm_policy_req r = req(ops[k], PDM_PRINCIPAL_LOCAL, "srvX",
                                   "./DMAcc/x/Name", "srvA");
            pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_NONE);
            pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_OK);
            /* unlocked: abstain (terminal-policy and the authority decide) */
            CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
            if (how == 0)
                r.flags = PDM_REQ_DEVICE_LOCKED;
            else if (how == 1)
                pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_FULL);
            else if (how == 2)
                pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
            else
                pdm_fake_host_set_lock_rc(f.fh, PDM_OK, PDM_EIO);
            CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
            CU_ASSERT(strncmp(vd.reason, "device locked: ", 15) == 0);
            CU_ASSERT(strstr(vd.reason, why[k < 4 ? k : 4]) != NULL);
            /* A server's command is never held by the lock. */
            r.principal = PDM_PRINCIPAL_SERVER;
            CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
        }
    }
    /* A bootstrap's takeover grant is decided at its BOOTSTRAP request. */
    {
        pdm_policy_req r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_BOOTSTRAP,
                               "srvX", NULL, "srvA");
        r.flags = PDM_REQ_DEVICE_LOCKED;
        CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
        r.op = PDM_OP_GET;
        r.principal = PDM_PRINCIPAL_LOCAL;
        CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    }
    done(&f);
}

/* A pulled card while locked (matrix finding 1): the core removes the
 * card's account with the bootstrap principal; the lock refuses it as an
 * account deletion, so the lock authority keeps its account and root.
 * Other bootstrap deletes, and the removal unlocked, are not its rule. */
static void test_ldl__locked_source_gone(void)
{
    fx f = make0();
    pdm_policy_req r = req(PDM_OP_DELETE, PDM_PRINCIPAL_BOOTSTRAP, NULL,
                           "./DMAcc/boot", "boot.server");
    r.source = "sim-bootstrap/card";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN); /* unlocked */
    r.flags = PDM_REQ_DEVICE_LOCKED;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "device locked: removing a DM account whose "
                              "bootstrap source went (a pulled card) is "
                              "refused until the lock authority unlocks it "
                              "(locked_deny has account-delete)");
    r.flags = 0;
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    /* Below an account, or outside ./DMAcc: not an account removal, and
     * a bootstrap's tree change is not the local user's. */
    r.uri = "./DMAcc/boot/AppAddr";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.uri = "./Vendor/x";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.uri = "./DMAcc/";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
    /* A profile that lets accounts go while locked lets this one go. */
    f = make1("locked_deny", "takeover");
    r.uri = "./DMAcc/boot";
    r.flags = PDM_REQ_DEVICE_LOCKED;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
}

static pdm_policy_req boot(uint32_t sec, uint32_t origin, const char *ct,
                           uint32_t exists, const char *srv)
{
    pdm_policy_req r = req(PDM_OP_BOOTSTRAP, PDM_PRINCIPAL_BOOTSTRAP, srv,
                           NULL, "srvA");
    r.flags = PDM_REQ_DEVICE_LOCKED;
    r.sec = sec;
    r.origin = origin;
    r.content_type = ct;
    r.account_exists = exists;
    return r;
}

static void test_ldl__locked_bootstrap(void)
{
    fx f = make0();
    pdm_policy_req r;
    /* USERPIN / USERPINMAC: any principal, any origin, any type. */
    r = boot(PDM_SEC_USERPIN, PDM_ORIGIN_PUSH, CT_CP, 1, "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "device locked: a USERPIN bootstrap is refused "
                              "until the lock authority unlocks it "
                              "(locked_deny has userpin-bootstrap)");
    r = boot(PDM_SEC_USERPINMAC, PDM_ORIGIN_FILE, CT_DM, 0, "srvA");
    r.principal = PDM_PRINCIPAL_LOCAL;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r = boot(PDM_SEC_USERPIN, PDM_ORIGIN_SMARTCARD, CT_DM, 0, "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    /* CP of a new server; an unknown type counts as CP. */
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, CT_CP, 0, "srvN");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    CU_ASSERT(strstr(vd.reason, "an OMA CP bootstrap of a new server") !=
              NULL);
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, "text/vnd.wap.connectivity-xml",
             0, "srvN");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, NULL, 0, "srvN");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    /* ... an existing account's CP, and a DM profile: not this rule's. */
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, CT_CP, 1, "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, CT_DM, 0, "srvN");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    /* Whoever delivers it (a DM-profile bootstrap asked for a server). */
    r = boot(PDM_SEC_USERPIN, PDM_ORIGIN_PUSH, CT_DM, 1, "srvA");
    r.principal = PDM_PRINCIPAL_SERVER;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    /* Unlocked: abstain. */
    r = boot(PDM_SEC_USERPIN, PDM_ORIGIN_PUSH, CT_CP, 0, "srvN");
    r.flags = 0;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
}

static void test_ldl__locked_smartcard(void)
{
    fx f = make0(); /* deny-other-operator */
    pdm_policy_req r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_SMARTCARD, CT_CP, 0,
                            "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN); /* the root owner's card */
    r.server_id = "srvOther";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "device locked: a smart-card bootstrap of "
                              "srvOther, not the root owner, is refused "
                              "(locked_smartcard = deny-other-operator)");
    r.server_id = "srvA";
    r.root_owner = NULL;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
    f = make1("locked_smartcard", "allow");
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_SMARTCARD, CT_CP, 0, "srvOther");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    done(&f);
    f = make1("locked_smartcard", "DENY");
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_SMARTCARD, CT_CP, 0, "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "device locked: a smart-card bootstrap is "
                              "refused (locked_smartcard = deny)");
    done(&f);
}

/* The recorded locker (matrix finding 1): while locked, root-owner is the
 * server the core's lock record names, whatever root ownership does; its
 * card may come back, another operator's may not. */
static void test_ldl__locker(void)
{
    fx f = make0(); /* lock_authority = root-owner */
    pdm_policy_req r = req(PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "srvL",
                           "./LAWMO/Operations/UnLock", NULL);
    r.flags = PDM_REQ_DEVICE_LOCKED;
    r.lock_server = "srvL";
    /* Its card pulled, nobody owns root: the locker still unlocks. */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    /* A new root owner does not gain the lock. */
    r.root_owner = "srvNew";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    r.server_id = "srvNew";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "lost-device-lock: Exec of ./LAWMO/Operations/"
                              "UnLock is for the lock authority only "
                              "(lock_authority = root-owner, held by the "
                              "server that locked it); srvNew is not it");
    /* Locked by the stored level alone (no flag): the same. */
    r.flags = 0;
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_PARTIAL);
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.server_id = "srvL";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    /* Unlocked: the root owner of now (the record is not consulted). */
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.server_id = "srvNew";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    /* Locked with no server on record: the root owner, as before. */
    pdm_fake_host_set_lock_level(f.fh, PDM_LOCK_FULL);
    r.lock_server = NULL;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ALLOW);
    /* The locker's card comes back while nobody owns root: allowed (it
     * brings the account back); another operator's card: refused. */
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_SMARTCARD, CT_DM, 0, "srvL");
    r.root_owner = NULL;
    r.lock_server = "srvL";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.root_owner = "srvNew"; /* root moved meanwhile: still the locker's */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.server_id = "srvOther";
    r.root_owner = NULL;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    PDM_ASSERT_STR(vd.reason, "device locked: a smart-card bootstrap of "
                              "srvOther, not the root owner nor srvL that "
                              "locked it, is refused (locked_smartcard = "
                              "deny-other-operator)");
    /* A plain OTA bootstrap naming the locker: the ordinary locked
     * bootstrap rules, never the card's exception. */
    r = boot(PDM_SEC_USERPIN, PDM_ORIGIN_PUSH, CT_CP, 1, "srvL");
    r.lock_server = "srvL";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, CT_CP, 0, "srvL");
    r.lock_server = "srvL";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
    /* locked_smartcard = deny: not even the locker's card. */
    f = make1("locked_smartcard", "deny");
    r = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_SMARTCARD, CT_DM, 0, "srvL");
    r.lock_server = "srvL";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
}

static void test_ldl__locked_deny_option(void)
{
    fx f = make1("locked_deny", "takeover, local-tree");
    pdm_policy_req r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL, "x", NULL,
                           "srvA");
    CU_ASSERT_EQUAL_FATAL(f.pol_rc, PDM_OK);
    r.flags = PDM_REQ_DEVICE_LOCKED;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.op = PDM_OP_REPLACE;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.op = PDM_OP_ACL_EDIT;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    r.op = PDM_OP_TRANSFER;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    {
        pdm_policy_req b = boot(PDM_SEC_USERPIN, PDM_ORIGIN_PUSH, CT_CP, 0,
                                "srvN");
        CU_ASSERT_EQUAL(check(&f, &b), PDM_ABSTAIN);
    }
    done(&f);
    f = make1("locked_deny", "none");
    r.op = PDM_OP_TAKEOVER;
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    /* ... but the LAWMO itself stays the authority's. */
    r.op = PDM_OP_EXEC;
    r.uri = "./LAWMO/Operations/UnLock";
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    done(&f);
    {
        static const char *const names[] = {
            "takeover", "transfer", "acl-edit", "account-delete",
            "userpin-bootstrap", "cp-bootstrap", "local-tree", "ALL"};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            f = make1("locked_deny", names[k]);
            CU_ASSERT_EQUAL(f.pol_rc, PDM_OK);
            done(&f);
        }
    }
}

static void test_ldl__bad_options(void)
{
    static const char *const bad[][3] = {
        {"locked_deny", "takeover,foo",
         "option.locked_deny: 'takeover,foo' is not all, none or a "
         "','-separated list of"},
        {"locked_deny", "takeover,,transfer", "option.locked_deny"},
        {"locked_deny", "", "option.locked_deny: ''"},
        {"locked_smartcard", "sometimes",
         "option.locked_smartcard: 'sometimes' is not deny-other-operator, "
         "allow or deny"},
        {"lock_authority", "srvA,,srvB",
         "option.lock_authority: 'srvA,,srvB' is not root-owner or a "
         "','-separated list of ServerIDs"},
        {"lock_authority", "", "option.lock_authority: ''"},
        {"lock_authority", "srv\tA", "option.lock_authority"},
        {"base", "LAWMO", "option.base: 'LAWMO' is not an absolute URI"},
        {"base", "./LAWMO/", "option.base: './LAWMO/'"},
        {"base", "./A//B", "option.base"},
        {"base", "./A?list=Struct", "option.base"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        fx f = make1(bad[k][0], bad[k][1]);
        CU_ASSERT_EQUAL(f.pol_rc, PDM_EINVAL);
        CU_ASSERT(errored(&f, bad[k][2]));
        if (strcmp(bad[k][0], "base") == 0)
            CU_ASSERT_EQUAL(f.mo_rc, PDM_EINVAL);
        done(&f);
    }
    {
        static const char *const badcl[] = {
            "", "a,,b", "a b", "a,b,c,d,e,f,g,h,i",
            "0123456789012345678901234567890123"};
        for (size_t k = 0; k < sizeof badcl / sizeof badcl[0]; k++) {
            fx f = make1("wipe_classes", badcl[k]);
            CU_ASSERT_EQUAL(f.mo_rc, PDM_EINVAL);
            CU_ASSERT(errored(&f, "option.wipe_classes: '"));
            CU_ASSERT_EQUAL(f.pol_rc, PDM_OK);
            done(&f);
        }
    }
}

/* A profile that moves the MO sets option.base with it. */
static void test_ldl__moved_base(void)
{
    fx f = make1("base", "./Vendor/LAWMO");
    pdm_blob b = {NULL, 0};
    pdm_policy_req r = req(PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "srvB",
                           "./Vendor/LAWMO/Operations/Wipe", "srvA");
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    r.uri = OPS; /* the default base is nothing special now */
    CU_ASSERT_EQUAL(check(&f, &r), PDM_ABSTAIN);
    CU_ASSERT_EQUAL(mo()->exec(f.mo, "./Vendor/LAWMO/Operations/FullyLock", &b,
                               "v"),
                    PDM_PENDING);
    PDM_ASSERT_STR(pdm_fake_host_alert(f.fh, 0),
                   AT "|int|./Vendor/LAWMO/Operations/FullyLock|v|1200");
    CU_ASSERT_EQUAL(mo()->get(f.mo, "./LAWMO/State", &b), PDM_EFORBIDDEN);
    done(&f);
}

static void test_ldl__small_request(void)
{
    fx f = make0();
    pdm_policy_req r = req(PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL, "x", NULL,
                           "srvA");
    r.flags = PDM_REQ_DEVICE_LOCKED;
    /* An ABI 1.0 request (no content_type, account_exists) is read. */
    r.struct_size = (uint32_t)(offsetof(pdm_policy_req, key_pin) +
                               sizeof(const char *));
    CU_ASSERT_EQUAL(check(&f, &r), PDM_DENY);
    {
        /* a CP/unknown type that the request cannot carry: fail closed */
        pdm_policy_req b = boot(PDM_SEC_NETWPIN, PDM_ORIGIN_PUSH, CT_DM, 1,
                                "srvA");
        b.struct_size = r.struct_size;
        CU_ASSERT_EQUAL(check(&f, &b), PDM_DENY);
    }
    r.struct_size = 8;
    memset(&vd, 0, sizeof vd);
    CU_ASSERT_EQUAL(pol()->check(f.pol, &r, &vd), PDM_EINVAL);
    done(&f);
}

static void test_ldl__alloc_failure(void)
{
    for (long n = 0; n < 3; n++) {
        pdm_fake_host *fh = pdm_fake_host_new();
        void *pdata = NULL, *a = NULL, *b = NULL;
        int rca, rcb;
        desc()->init(pdm_fake_host_ctx(fh), pdm_fake_host_api(fh), &pdata);
        pdm_fake_host_fail_alloc_after(fh, n);
        rca = mo()->head.create(pdm_fake_host_ctx(fh), pdata, &a);
        pdm_fake_host_fail_alloc_after(fh, n);
        rcb = pol()->head.create(pdm_fake_host_ctx(fh), pdata, &b);
        CU_ASSERT(rca == PDM_OK || rca == PDM_ENOMEM);
        CU_ASSERT(rcb == PDM_OK || rcb == PDM_ENOMEM);
        pdm_fake_host_fail_alloc_after(fh, -1);
        if (rca == PDM_OK)
            mo()->head.destroy(a);
        if (rcb == PDM_OK)
            pol()->head.destroy(b);
        CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
        pdm_fake_host_free(fh);
    }
}

static const pdm_test tests[] = {
    {"descriptor", test_ldl__descriptor},
    {"old_host", test_ldl__old_host},
    {"state", test_ldl__state},
    {"wipe_list_default", test_ldl__wipe_list_default},
    {"wipe_list_device", test_ldl__wipe_list_device},
    {"to_be_wiped", test_ldl__to_be_wiped},
    {"notify_user", test_ldl__notify_user},
    {"capabilities", test_ldl__capabilities},
    {"fully_lock", test_ldl__fully_lock},
    {"partially_lock", test_ldl__partially_lock},
    {"lock_failures", test_ldl__lock_failures},
    {"unlock", test_ldl__unlock},
    {"wipe", test_ldl__wipe},
    {"factory_reset", test_ldl__factory_reset},
    {"factory_reset_retry", test_ldl__factory_reset_retry},
    {"exec_refused", test_ldl__exec_refused},
    {"recover_lock", test_ldl__recover_lock},
    {"recover_stages", test_ldl__recover_stages},
    {"recover_bad", test_ldl__recover_bad},
    {"destroy_no_action", test_ldl__destroy_no_action},
    {"pending_bound", test_ldl__pending_bound},
    {"rollback", test_ldl__rollback},
    {"rollback_nested", test_ldl__rollback_nested},
    {"authority_root_owner", test_ldl__authority_root_owner},
    {"authority_list", test_ldl__authority_list},
    {"not_servers", test_ldl__not_servers},
    {"locked_local", test_ldl__locked_local},
    {"locked_source_gone", test_ldl__locked_source_gone},
    {"locked_bootstrap", test_ldl__locked_bootstrap},
    {"locked_smartcard", test_ldl__locked_smartcard},
    {"locker", test_ldl__locker},
    {"locked_deny_option", test_ldl__locked_deny_option},
    {"bad_options", test_ldl__bad_options},
    {"moved_base", test_ldl__moved_base},
    {"small_request", test_ldl__small_request},
    {"alloc_failure", test_ldl__alloc_failure},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"lost_device_lock", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
