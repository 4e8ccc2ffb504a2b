/*
 * Unit test of @NAME@ against the SDK's fake host: no core, no
 * dlopen.  The plugin source is compiled into this program and reached
 * through its PDM_PLUGIN_DEFINE() entry, pdm_plugin_@CNAME@_entry().
 *
 * Plain C with a tiny CHECK macro so the example needs nothing but the SDK;
 * any test framework works the same way.  Exit status 0 when every check
 * passes, 1 otherwise.
 */
#include <polydm/policy.h>
#include <polydm/testing/fake_host.h>

#include <stdio.h>
#include <string.h>

/* The plugin's hidden entry (defined by PDM_PLUGIN_DEFINE(@CNAME@, …)). */
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

#define CHECK_STR_HAS(haystack, needle)                                   \
    do {                                                                  \
        const char *h_ = (haystack);                                      \
        if (!h_ || !strstr(h_, (needle))) {                               \
            fprintf(stderr, "%s:%d: %s: \"%s\" does not contain \"%s\"\n",\
                    __FILE__, __LINE__, __func__, h_ ? h_ : "(null)",     \
                    (needle));                                            \
            failed++;                                                     \
        }                                                                 \
    } while (0)

/* A loaded plugin with one instance of its policy component. */
typedef struct fixture {
    pdm_fake_host *fh;
    const pdm_plugin_desc *desc;
    const pdm_policy_ops *ops;
    void *pdata;
    void *inst;
} fixture;

/* Loads the plugin as the core would: init, then create.  @protect NULL
 * leaves the option unset.  Returns init's (or create's) rc. */
static int setup(fixture *f, const char *protect)
{
    int rc;
    memset(f, 0, sizeof(*f));
    f->fh = pdm_fake_host_new();
    if (!f->fh)
        return PDM_ENOMEM;
    if (protect && pdm_fake_host_set_option(f->fh, "protect", protect) != 0)
        return PDM_ENOMEM;
    f->desc = pdm_plugin_@CNAME@_entry();
    f->ops = (const pdm_policy_ops *)f->desc->components[0].ops;
    rc = f->desc->init(pdm_fake_host_ctx(f->fh), pdm_fake_host_api(f->fh),
                       &f->pdata);
    if (rc != PDM_OK)
        return rc;
    return f->ops->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->inst);
}

/* Unloads it (destroy, fini) and checks every host allocation was freed. */
static void teardown(fixture *f, int loaded)
{
    if (loaded) {
        if (f->ops->head.destroy)
            f->ops->head.destroy(f->inst);
        if (f->desc->fini)
            f->desc->fini(pdm_fake_host_ctx(f->fh), f->pdata);
    }
    CHECK(pdm_fake_host_live_allocs(f->fh) == 0);
    pdm_fake_host_free(f->fh);
}

/* Asks the policy about one request; returns the decision and leaves the
 * reason in @v. */
static unsigned ask(fixture *f, int principal, int op, const char *uri,
                    pdm_verdict *v)
{
    pdm_policy_req req;
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.principal = (uint32_t)principal;
    req.op = (uint32_t)op;
    req.uri = uri;
    req.server_id = principal == PDM_PRINCIPAL_SERVER ? "srv.example" : NULL;
    memset(v, 0, sizeof(*v));
    CHECK(f->ops->check(f->inst, &req, v) == PDM_OK);
    CHECK(memchr(v->reason, '\0', sizeof v->reason) != NULL);
    return v->decision;
}

/* The descriptor is what `polydm plugins inspect` and the loader read. */
static void test_descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_@CNAME@_entry();
    CHECK(d->struct_size == sizeof(pdm_plugin_desc));
    CHECK(d->abi_major == PDM_ABI_MAJOR && d->abi_minor == PDM_ABI_MINOR);
    CHECK(strcmp(d->name, "@NAME@") == 0);
    CHECK(d->components[0].kind == PDM_KIND_POLICY);
    CHECK(strcmp(d->components[0].name, "protect") == 0);
    CHECK(d->components[0].ops->kind == PDM_KIND_POLICY);
    CHECK(d->components[0].ops->struct_size >= PDM_POLICY_OPS_SIZE_1_0);
    CHECK(d->components[1].kind == PDM_KIND_END);
    CHECK(strcmp(d->options[0].key, "protect") == 0);
    CHECK(d->options[0].flags & PDM_OPTION_REQUIRED);
    CHECK(d->options[1].key == NULL);
}

/* Servers may not Delete or Replace the protected node or below it; the
 * reason names the prefix and the command. */
static void test_deny_under_prefix(void)
{
    fixture f;
    pdm_verdict v;
    CHECK(setup(&f, "./Vendor/Hello") == PDM_OK);

    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_DELETE,
              "./Vendor/Hello/Greeting", &v) == PDM_DENY);
    CHECK_STR_HAS(v.reason, "./Vendor/Hello");
    CHECK_STR_HAS(v.reason, "Delete");

    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_REPLACE, "./Vendor/Hello", &v)
          == PDM_DENY);
    CHECK_STR_HAS(v.reason, "./Vendor/Hello");
    CHECK_STR_HAS(v.reason, "Replace");

    /* the normalised spelling the core uses for policy requests */
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_REPLACE, "Vendor/Hello/a/b",
              &v) == PDM_DENY);
    CHECK_STR_HAS(v.reason, "./Vendor/Hello");

    /* deleting an ancestor would delete the protected subtree */
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_DELETE, "./Vendor", &v)
          == PDM_DENY);
    CHECK_STR_HAS(v.reason, "./Vendor/Hello");
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_DELETE, ".", &v) == PDM_DENY);
    teardown(&f, 1);
}

/* Everything else gets no opinion: other commands, other nodes (including
 * a sibling sharing the prefix's characters), other principals. */
static void test_abstain_otherwise(void)
{
    fixture f;
    pdm_verdict v;
    CHECK(setup(&f, "./Vendor/Hello/") == PDM_OK); /* trailing '/' is fine */

    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_GET, "./Vendor/Hello/Greeting",
              &v) == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_ADD, "./Vendor/Hello/New", &v)
          == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_EXEC, "./Vendor/Hello/Run", &v)
          == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_DELETE, "./Vendor/HelloWorld",
              &v) == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_REPLACE, "./Vendor/Other", &v)
          == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_REPLACE, "./Vendor", &v)
          == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_LOCAL, PDM_OP_DELETE, "./Vendor/Hello/x", &v)
          == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_BOOTSTRAP, PDM_OP_REPLACE, "./Vendor/Hello",
              &v) == PDM_ABSTAIN);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_SESSION, NULL, &v)
          == PDM_ABSTAIN);
    CHECK(v.reason[0] == '\0');
    teardown(&f, 1);
}

/* A policy only restricts: no request, of any principal and op, is ALLOWed. */
static void test_never_allow(void)
{
    static const char *const uris[] = {".", "./Vendor", "./Vendor/Hello",
                                       "./Vendor/Hello/x", "./DevInfo/Mod"};
    fixture f;
    pdm_verdict v;
    CHECK(setup(&f, "./Vendor/Hello") == PDM_OK);
    for (int p = PDM_PRINCIPAL_NONE; p <= PDM_PRINCIPAL_FACTORY; p++)
        for (int op = PDM_OP_NONE; op <= PDM_OP_ACCOUNT_DELETE; op++)
            for (size_t u = 0; u < sizeof uris / sizeof uris[0]; u++) {
                unsigned dec = ask(&f, p, op, uris[u], &v);
                CHECK(dec == PDM_ABSTAIN || dec == PDM_DENY);
                CHECK(dec != PDM_ALLOW);
            }
    teardown(&f, 1);
}

/* Without option.protect, init fails with PDM_EINVAL and says why through
 * host->set_error; it allocates nothing. */
static void test_missing_option(void)
{
    static const char *const bad[] = {NULL, "", "./", "/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f;
        CHECK(setup(&f, bad[i]) == PDM_EINVAL);
        CHECK(pdm_fake_host_last_error_rc(f.fh) == PDM_EINVAL);
        CHECK_STR_HAS(pdm_fake_host_error(f.fh, 0), "option.protect");
        CHECK_STR_HAS(pdm_fake_host_error(f.fh, 0), "required");
        teardown(&f, 0);
    }
}

/* Out of memory at each host allocation of init: a clean PDM_ENOMEM and
 * nothing left allocated. */
static void test_out_of_memory(void)
{
    for (long n = 0; n < 2; n++) {
        fixture f;
        memset(&f, 0, sizeof f);
        f.fh = pdm_fake_host_new();
        pdm_fake_host_set_option(f.fh, "protect", "./Vendor/Hello");
        pdm_fake_host_fail_alloc_after(f.fh, n);
        f.desc = pdm_plugin_@CNAME@_entry();
        CHECK(f.desc->init(pdm_fake_host_ctx(f.fh), pdm_fake_host_api(f.fh),
                           &f.pdata) == PDM_ENOMEM);
        CHECK(pdm_fake_host_last_error_rc(f.fh) == PDM_ENOMEM);
        teardown(&f, 0);
    }
}

/* A very long prefix still yields a NUL-terminated (truncated) reason. */
static void test_long_prefix(void)
{
    char prefix[400];
    char uri[420];
    fixture f;
    pdm_verdict v;
    memset(prefix, 'a', sizeof prefix - 1);
    prefix[0] = '.';
    prefix[1] = '/';
    prefix[sizeof prefix - 1] = '\0';
    snprintf(uri, sizeof uri, "%s/leaf", prefix);
    CHECK(setup(&f, prefix) == PDM_OK);
    CHECK(ask(&f, PDM_PRINCIPAL_SERVER, PDM_OP_DELETE, uri, &v) == PDM_DENY);
    CHECK(strlen(v.reason) == sizeof v.reason - 1);
    teardown(&f, 1);
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"descriptor", test_descriptor},
        {"deny_under_prefix", test_deny_under_prefix},
        {"abstain_otherwise", test_abstain_otherwise},
        {"never_allow", test_never_allow},
        {"missing_option", test_missing_option},
        {"out_of_memory", test_out_of_memory},
        {"long_prefix", test_long_prefix},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = failed;
        tests[i].fn();
        printf("%-20s %s\n", tests[i].name, failed == before ? "ok" : "FAILED");
    }
    printf("@NAME@: %s (%d failed checks)\n", failed ? "FAIL" : "PASS",
           failed);
    return failed ? 1 : 0;
}
