/*
 * Unit test of @NAME@ on the SDK's fake host: no core, no dlopen.  The
 * plugin source is compiled in and reached through its PDM_PLUGIN_DEFINE()
 * entry, pdm_plugin_@CNAME@_entry().  Exit status 0 when every check
 * passes.
 */
#include <polydm/authority.h>
#include <polydm/testing/fake_host.h>

#include <stdio.h>
#include <string.h>

const pdm_plugin_desc *pdm_plugin_@CNAME@_entry(void);

static int failed;

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__,    \
                    __LINE__, __func__, #cond);                           \
            failed++;                                                     \
        }                                                                 \
    } while (0)

typedef struct fixture {
    pdm_fake_host *fh;
    const pdm_plugin_desc *desc;
    const pdm_authority_ops *ops;
    void *pdata, *inst;
} fixture;

static int setup(fixture *f, const char *trusted, const char *require_sec)
{
    int rc;
    memset(f, 0, sizeof(*f));
    f->fh = pdm_fake_host_new();
    if (!f->fh)
        return PDM_ENOMEM;
    if (trusted && pdm_fake_host_set_option(f->fh, "trusted", trusted) != 0)
        return PDM_ENOMEM;
    if (require_sec &&
        pdm_fake_host_set_option(f->fh, "require_sec", require_sec) != 0)
        return PDM_ENOMEM;
    f->desc = pdm_plugin_@CNAME@_entry();
    f->ops = (const pdm_authority_ops *)f->desc->components[0].ops;
    rc = f->desc->init(pdm_fake_host_ctx(f->fh), pdm_fake_host_api(f->fh),
                       &f->pdata);
    if (rc != PDM_OK)
        return rc;
    return f->ops->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->inst);
}

static void teardown(fixture *f, int loaded)
{
    if (loaded)
        f->desc->fini(pdm_fake_host_ctx(f->fh), f->pdata);
    CHECK(pdm_fake_host_live_allocs(f->fh) == 0);
    pdm_fake_host_free(f->fh);
}

static pdm_authority_info who(const char *server_id, uint32_t sec)
{
    pdm_authority_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    i.server_id = server_id;
    i.account_uri = "./DMAcc/1";
    i.sec = sec;
    return i;
}

static void test_descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_@CNAME@_entry();
    CHECK(d->struct_size == sizeof(pdm_plugin_desc));
    CHECK(d->abi_major == PDM_ABI_MAJOR && d->abi_minor == PDM_ABI_MINOR);
    CHECK(strcmp(d->name, "@NAME@") == 0);
    CHECK(d->components[0].kind == PDM_KIND_AUTHORITY);
    CHECK(d->components[0].ops->struct_size >= PDM_AUTHORITY_OPS_SIZE_1_0);
    CHECK(d->components[1].kind == PDM_KIND_END);
}

/* The grant's ACL is host-allocated and names the server; the core frees
 * it (here: the test, with the host's free). */
static void test_bootstrap(void)
{
    fixture f;
    pdm_authority_grant g;
    pdm_authority_info w = who("srv.example", PDM_SEC_NONE);
    CHECK(setup(&f, "a.server, b.server", "true") == PDM_OK);
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CHECK(f.ops->on_bootstrap(f.inst, &w, &g) == PDM_OK);
    CHECK(g.flags & PDM_GRANT_REFUSE); /* untrusted, unsecured */
    CHECK(g.account_acl == NULL);
    w = who("b.server", PDM_SEC_NONE);
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    CHECK(f.ops->on_bootstrap(f.inst, &w, &g) == PDM_OK);
    CHECK(!(g.flags & PDM_GRANT_REFUSE));
    CHECK(g.account_acl != NULL &&
          strcmp(g.account_acl,
                 "Get=b.server&Replace=b.server&Delete=b.server") == 0);
    CHECK(g.root_owner == NULL && g.root_acl == NULL);
    pdm_fake_host_api(f.fh)->free(g.account_acl);
    teardown(&f, 1);
}

/* Only a trusted server may take over root or override other nodes;
 * a prefix or a suffix of a trusted ServerID is not trusted. */
static void test_trust(void)
{
    static const char *const untrusted[] = {"a.serve", "server", "x",
                                            "a.server,b.server", ""};
    fixture f;
    pdm_verdict v;
    pdm_authority_info w = who("a.server", 0);
    CHECK(setup(&f, "a.server,b.server", NULL) == PDM_OK);
    memset(&v, 0, sizeof v);
    CHECK(f.ops->takeover(f.inst, &w, &v) == PDM_OK);
    CHECK(v.decision == PDM_ALLOW);
    CHECK(f.ops->override(f.inst, "b.server", "factory", "./A", &v) == PDM_OK);
    CHECK(v.decision == PDM_ALLOW);
    for (size_t i = 0; i < sizeof untrusted / sizeof untrusted[0]; i++) {
        w = who(untrusted[i], 0);
        memset(&v, 0, sizeof v);
        CHECK(f.ops->takeover(f.inst, &w, &v) == PDM_OK);
        CHECK(v.decision == PDM_DENY);
        CHECK(strstr(v.reason, "not a trusted server") != NULL);
        CHECK(f.ops->override(f.inst, untrusted[i], "factory", "./A", &v) ==
              PDM_OK);
        CHECK(v.decision == PDM_ABSTAIN);
    }
    teardown(&f, 1);
}

/* Bad options and out of memory: an error, nothing left allocated. */
static void test_init_errors(void)
{
    fixture f;
    CHECK(setup(&f, NULL, "yes") == PDM_EINVAL);
    CHECK(pdm_fake_host_last_error_rc(f.fh) == PDM_EINVAL);
    teardown(&f, 0);
    for (long n = 0; n < 2; n++) {
        memset(&f, 0, sizeof f);
        f.fh = pdm_fake_host_new();
        pdm_fake_host_fail_alloc_after(f.fh, n);
        f.desc = pdm_plugin_@CNAME@_entry();
        CHECK(f.desc->init(pdm_fake_host_ctx(f.fh), pdm_fake_host_api(f.fh),
                           &f.pdata) == PDM_ENOMEM);
        teardown(&f, 0);
    }
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"descriptor", test_descriptor},
        {"bootstrap", test_bootstrap},
        {"trust", test_trust},
        {"init_errors", test_init_errors},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = failed;
        tests[i].fn();
        printf("%-20s %s\n", tests[i].name, failed == before ? "ok" : "FAILED");
    }
    printf("@NAME@: %s (%d failed checks)\n", failed ? "FAIL" : "PASS", failed);
    return failed ? 1 : 0;
}
