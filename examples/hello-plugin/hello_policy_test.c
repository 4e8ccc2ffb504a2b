/* Unit test of hello-policy on the SDK's fake host (no core): the plugin
 * source is compiled in and reached through its hidden entry. */
#include <polydm/policy.h>
#include <polydm/testing/fake_host.h>

#include <stdio.h>
#include <string.h>

const pdm_plugin_desc *pdm_plugin_hello_policy_entry(void);

static int failed;
#define CHECK(c) \
    ((c) ? (void)0 : (void)(failed++, fprintf(stderr, "%s:%d: %s\n", \
                                              __FILE__, __LINE__, #c)))

/* init + create with these options (NULL: unset); then ask, then unload. */
typedef struct loaded {
    pdm_fake_host *fh;
    const pdm_plugin_desc *desc;
    const pdm_policy_ops *ops;
    void *data, *inst;
} loaded;

static int load(loaded *l, const char *protect, const char *window)
{
    memset(l, 0, sizeof *l);
    l->fh = pdm_fake_host_new();
    if (protect)
        pdm_fake_host_set_option(l->fh, "protect", protect);
    if (window)
        pdm_fake_host_set_option(l->fh, "window", window);
    l->desc = pdm_plugin_hello_policy_entry();
    l->ops = (const pdm_policy_ops *)l->desc->components[0].ops;
    int rc = l->desc->init(pdm_fake_host_ctx(l->fh), pdm_fake_host_api(l->fh),
                           &l->data);
    return rc != PDM_OK ? rc : l->ops->head.create(pdm_fake_host_ctx(l->fh),
                                                   l->data, &l->inst);
}

static void unload(loaded *l, int started)
{
    if (started)
        l->desc->fini(pdm_fake_host_ctx(l->fh), l->data);
    CHECK(pdm_fake_host_live_allocs(l->fh) == 0); /* nothing leaked */
    pdm_fake_host_free(l->fh);
}

static unsigned ask(loaded *l, uint32_t op, const char *uri, pdm_verdict *v)
{
    pdm_policy_req req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = op;
    req.principal = PDM_PRINCIPAL_SERVER;
    req.server_id = "srv.example";
    req.uri = uri;
    memset(v, 0, sizeof *v);
    CHECK(l->ops->check(l->inst, &req, v) == PDM_OK);
    return v->decision;
}

int main(void)
{
    loaded l;
    pdm_verdict v;

    /* No window: Replace, Exec, Delete under the prefix are denied. */
    CHECK(load(&l, "./Vendor/Hello", NULL) == PDM_OK);
    CHECK(ask(&l, PDM_OP_REPLACE, "./Vendor/Hello/Mode", &v) == PDM_DENY);
    CHECK(strstr(v.reason, "Replace of ./Vendor/Hello/Mode") != NULL);
    CHECK(ask(&l, PDM_OP_EXEC, "./Vendor/Hello/Run", &v) == PDM_DENY);
    CHECK(ask(&l, PDM_OP_DELETE, "./Vendor", &v) == PDM_DENY); /* ancestor */
    CHECK(strstr(v.reason, "(none set)") != NULL);
    /* ... everything else is not its business. */
    CHECK(ask(&l, PDM_OP_GET, "./Vendor/Hello/Mode", &v) == PDM_ABSTAIN);
    CHECK(ask(&l, PDM_OP_ADD, "./Vendor/Hello/New", &v) == PDM_ABSTAIN);
    CHECK(ask(&l, PDM_OP_REPLACE, "./Vendor/HelloWorld", &v) == PDM_ABSTAIN);
    CHECK(ask(&l, PDM_OP_REPLACE, "./Vendor", &v) == PDM_ABSTAIN);
    CHECK(v.reason[0] == '\0');
    unload(&l, 1);

    /* A window around the clock lets everything through; an empty one
     * (00:00-00:00) is no window. */
    CHECK(load(&l, "Vendor/Hello/", "00:00-24:00") == PDM_OK);
    CHECK(ask(&l, PDM_OP_EXEC, "./Vendor/Hello/Run", &v) == PDM_ABSTAIN);
    unload(&l, 1);
    CHECK(load(&l, "./Vendor/Hello", "00:00-00:00") == PDM_OK);
    CHECK(ask(&l, PDM_OP_EXEC, "./Vendor/Hello/Run", &v) == PDM_DENY);
    unload(&l, 1);

    /* Bad options: init fails, names the option, leaves nothing. */
    static const char *const windows[] = {"2-4", "02:00-04:00x", "25:00-01:00",
                                          "02:00-24:01", ""};
    for (size_t i = 0; i < sizeof windows / sizeof *windows; i++) {
        CHECK(load(&l, "./Vendor/Hello", windows[i]) == PDM_EINVAL);
        CHECK(strstr(pdm_fake_host_error(l.fh, 0), "option.window") != NULL);
        unload(&l, 0);
    }
    CHECK(load(&l, NULL, NULL) == PDM_EINVAL);
    CHECK(strstr(pdm_fake_host_error(l.fh, 0), "option.protect") != NULL);
    unload(&l, 0);

    /* Out of memory at each allocation of init: PDM_ENOMEM, no leak. */
    for (long n = 0; n < 2; n++) {
        memset(&l, 0, sizeof l);
        l.fh = pdm_fake_host_new();
        pdm_fake_host_set_option(l.fh, "protect", "./Vendor/Hello");
        pdm_fake_host_fail_alloc_after(l.fh, n);
        l.desc = pdm_plugin_hello_policy_entry();
        CHECK(l.desc->init(pdm_fake_host_ctx(l.fh), pdm_fake_host_api(l.fh),
                           &l.data) == PDM_ENOMEM);
        unload(&l, 0);
    }
    printf("hello-policy: %s (%d failed)\n", failed ? "FAIL" : "PASS", failed);
    return failed != 0;
}
