/*
 * spec-authority against the SDK's fake host (no core): the account ACL a
 * bootstrapped server gets, the option, refusals, and no leaked host
 * memory.
 */
#include <string.h>

#include <polydm/authority.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_spec_authority_entry(void);

static const pdm_authority_ops *ops(const pdm_plugin_desc *d)
{
    return (const pdm_authority_ops *)d->components[0].ops;
}

/* Runs on_bootstrap for "srv" with an optional rights option; returns the
 * account ACL (static buffer) or NULL if create failed. */
static const char *grant(const char *rights, pdm_fake_host **out_fh)
{
    static char acl[128];
    const pdm_plugin_desc *d = pdm_plugin_spec_authority_entry();
    pdm_fake_host *fh = pdm_fake_host_new();
    void *pdata = NULL, *inst = NULL;
    pdm_authority_info who;
    pdm_authority_grant g;
    int rc;

    *out_fh = fh;
    if (rights)
        pdm_fake_host_set_option(fh, "account_rights", rights);
    CU_ASSERT_EQUAL_FATAL(d->init(pdm_fake_host_ctx(fh), pdm_fake_host_api(fh), &pdata), PDM_OK);
    rc = ops(d)->head.create(pdm_fake_host_ctx(fh), pdata, &inst);
    if (rc != PDM_OK)
        return NULL;
    memset(&who, 0, sizeof who);
    who.struct_size = sizeof who;
    who.server_id = "srv";
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CU_ASSERT_EQUAL(ops(d)->on_bootstrap(inst, &who, &g), PDM_OK);
    snprintf(acl, sizeof acl, "%s", g.account_acl ? g.account_acl : "(null)");
    CU_ASSERT_PTR_NULL(g.root_acl);   /* root never changes */
    CU_ASSERT_PTR_NULL(g.root_owner);
    pdm_fake_host_api(fh)->free(g.account_acl);
    ops(d)->head.destroy(inst);
    return acl;
}

/* Default: Get, Replace and Delete on the account (DM_Bootstrap). */
static void test_spec_authority__default_rights(void)
{
    pdm_fake_host *fh;
    PDM_ASSERT_STR(grant(NULL, &fh), "Delete=srv&Get=srv&Replace=srv");
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
}

/* The option chooses the commands, in canonical order. */
static void test_spec_authority__option(void)
{
    pdm_fake_host *fh;
    PDM_ASSERT_STR(grant("Replace, Get,Exec", &fh), "Exec=srv&Get=srv&Replace=srv");
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
}

/* A bad option fails create with a message naming it, nothing leaks. */
static void test_spec_authority__bad_option(void)
{
    pdm_fake_host *fh;
    CU_ASSERT_PTR_NULL(grant("Get,Copy", &fh));
    CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(fh), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_fake_host_error(fh, 0), "option.account_rights"));
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
    CU_ASSERT_PTR_NULL(grant("", &fh));
    pdm_fake_host_free(fh);
}

/* The spec model: no takeover; descriptor is well formed. */
static void test_spec_authority__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_spec_authority_entry();
    PDM_ASSERT_STR(d->name, "spec-authority");
    CU_ASSERT_EQUAL(d->abi_major, PDM_ABI_MAJOR);
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_AUTHORITY);
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_END);
    CU_ASSERT_PTR_NULL(ops(d)->takeover);
    CU_ASSERT_PTR_NOT_NULL(ops(d)->override);
    CU_ASSERT_PTR_NOT_NULL(ops(d)->defaults);
    CU_ASSERT_EQUAL(ops(d)->head.struct_size, sizeof(pdm_authority_ops));
}

/* Isolation: factory, local and unknown nodes follow their ACLs; another
 * server's and a bootstrap's are refused, with a reason naming both. */
static void test_spec_authority__override(void)
{
    const pdm_plugin_desc *d = pdm_plugin_spec_authority_entry();
    static const struct {
        const char *owner;
        uint32_t decision;
    } cases[] = {{"factory", PDM_ALLOW}, {"local", PDM_ALLOW}, {"", PDM_ALLOW},
                 {"srvA", PDM_DENY}, {"bootstrap:cp-bootstrap/cp", PDM_DENY}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pdm_verdict v;
        memset(&v, 0, sizeof v);
        CU_ASSERT_EQUAL(ops(d)->override(NULL, "srvB", cases[i].owner,
                                         "./A/B", &v), PDM_OK);
        CU_ASSERT_EQUAL(v.decision, cases[i].decision);
        if (cases[i].decision == PDM_DENY) {
            CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, cases[i].owner));
            CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "srvB"));
            CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "./A/B"));
        }
    }
}

/* defaults(): the spec's, said explicitly (NULL fields, no flag). */
static void test_spec_authority__defaults(void)
{
    const pdm_plugin_desc *d = pdm_plugin_spec_authority_entry();
    pdm_authority_defaults df;
    memset(&df, 0, sizeof df);
    df.struct_size = sizeof df;
    CU_ASSERT_EQUAL(ops(d)->defaults(NULL, &df), PDM_OK);
    CU_ASSERT_EQUAL(df.flags, 0);
    CU_ASSERT_PTR_NULL(df.root_acl);
    CU_ASSERT_PTR_NULL(df.dmacc_acl);
}

/* Out of memory in create and on_bootstrap: clean errors, no leaks. */
static void test_spec_authority__alloc_failures(void)
{
    const pdm_plugin_desc *d = pdm_plugin_spec_authority_entry();
    for (long n = 0; n < 3; n++) {
        pdm_fake_host *fh = pdm_fake_host_new();
        void *pdata = NULL, *inst = NULL;
        pdm_authority_info who = {sizeof who, 0, 0, 0, "srv", NULL, NULL, NULL, NULL, NULL};
        pdm_authority_grant g = {sizeof g, 0, NULL, NULL, NULL};
        d->init(pdm_fake_host_ctx(fh), pdm_fake_host_api(fh), &pdata);
        pdm_fake_host_fail_alloc_after(fh, n);
        if (ops(d)->head.create(pdm_fake_host_ctx(fh), pdata, &inst) == PDM_OK) {
            int rc = ops(d)->on_bootstrap(inst, &who, &g);
            CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
            pdm_fake_host_api(fh)->free(g.account_acl);
            ops(d)->head.destroy(inst);
        }
        CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
        pdm_fake_host_free(fh);
    }
}

static const pdm_test tests[] = {
    {"default_rights", test_spec_authority__default_rights},
    {"option", test_spec_authority__option},
    {"bad_option", test_spec_authority__bad_option},
    {"descriptor", test_spec_authority__descriptor},
    {"override", test_spec_authority__override},
    {"defaults", test_spec_authority__defaults},
    {"alloc_failures", test_spec_authority__alloc_failures},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"spec_authority", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
