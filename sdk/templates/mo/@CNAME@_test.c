/*
 * Unit test of @NAME@ on the SDK's fake host: no core, no dlopen.  The
 * plugin source is compiled into this program and reached through its
 * PDM_PLUGIN_DEFINE() entry, pdm_plugin_@CNAME@_entry().  Plain C with a
 * small CHECK macro; exit status 0 when every check passes.
 */
#include <polydm/mo.h>
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

#define BASE "./Ext/@NAME@"

typedef struct fixture {
    pdm_fake_host *fh;
    const pdm_plugin_desc *desc;
    const pdm_mo_ops *ops;
    void *pdata, *inst;
} fixture;

/* init + create, as the core does; @max NULL leaves the option unset. */
static int setup(fixture *f, const char *max)
{
    int rc;
    memset(f, 0, sizeof(*f));
    f->fh = pdm_fake_host_new();
    if (!f->fh)
        return PDM_ENOMEM;
    if (max && pdm_fake_host_set_option(f->fh, "max_level", max) != 0)
        return PDM_ENOMEM;
    f->desc = pdm_plugin_@CNAME@_entry();
    f->ops = (const pdm_mo_ops *)f->desc->components[0].ops;
    rc = f->desc->init(pdm_fake_host_ctx(f->fh), pdm_fake_host_api(f->fh),
                       &f->pdata);
    if (rc != PDM_OK)
        return rc;
    rc = f->ops->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->inst);
    if (rc != PDM_OK)
        f->desc->fini(pdm_fake_host_ctx(f->fh), f->pdata);
    return rc;
}

static void teardown(fixture *f, int loaded)
{
    if (loaded) {
        f->ops->head.destroy(f->inst);
        f->desc->fini(pdm_fake_host_ctx(f->fh), f->pdata);
    }
    CHECK(pdm_fake_host_live_allocs(f->fh) == 0);
    pdm_fake_host_free(f->fh);
}

/* Get of Level as a C string in @buf ("" on failure). */
static int get_level(fixture *f, char *buf, size_t size)
{
    pdm_blob b = {NULL, 0};
    int rc = f->ops->get(f->inst, BASE "/Level", &b);
    buf[0] = '\0';
    if (rc == PDM_OK && b.len < size) {
        memcpy(buf, b.data, b.len);
        buf[b.len] = '\0';
    }
    pdm_fake_host_api(f->fh)->free(b.data);
    return rc;
}

static int replace_level(fixture *f, const char *v)
{
    pdm_blob b = {(uint8_t *)v, strlen(v)};
    return f->ops->replace(f->inst, BASE "/Level", &b);
}

static void test_descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_@CNAME@_entry();
    const pdm_mo_ops *ops = (const pdm_mo_ops *)d->components[0].ops;
    CHECK(d->struct_size == sizeof(pdm_plugin_desc));
    CHECK(d->abi_major == PDM_ABI_MAJOR && d->abi_minor == PDM_ABI_MINOR);
    CHECK(strcmp(d->name, "@NAME@") == 0);
    CHECK(d->components[0].kind == PDM_KIND_MO);
    CHECK(ops->head.struct_size >= PDM_MO_OPS_SIZE_1_0);
    CHECK(strcmp(ops->base_uri, BASE) == 0);
    CHECK(d->components[1].kind == PDM_KIND_END);
}

/* Replace then Get; a bad value is PDM_EINVAL with a reason, unchanged. */
static void test_get_replace(void)
{
    fixture f;
    char buf[32];
    CHECK(setup(&f, "10") == PDM_OK);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "0") == 0);
    CHECK(replace_level(&f, "7") == PDM_OK);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "7") == 0);
    CHECK(replace_level(&f, "11") == PDM_EINVAL); /* over max_level */
    CHECK(replace_level(&f, "-1") == PDM_EINVAL);
    CHECK(replace_level(&f, "7x") == PDM_EINVAL);
    CHECK(replace_level(&f, "") == PDM_EINVAL);
    CHECK(pdm_fake_host_last_error_rc(f.fh) == PDM_EINVAL);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "7") == 0);
    CHECK(f.ops->get(f.inst, BASE "/Other", &(pdm_blob){NULL, 0}) ==
          PDM_ENOTFOUND);
    teardown(&f, 1);
}

/* A rolled-back transaction restores Level; a committed one stores it in
 * the key/value store, where the next instance finds it. */
static void test_transactions(void)
{
    fixture f;
    char buf[32];
    size_t len = 0;
    const void *kv;
    CHECK(setup(&f, NULL) == PDM_OK);
    CHECK(f.ops->begin(f.inst) == PDM_OK);
    CHECK(replace_level(&f, "5") == PDM_OK);
    CHECK(f.ops->begin(f.inst) == PDM_OK); /* an Atomic inside */
    CHECK(replace_level(&f, "9") == PDM_OK);
    f.ops->rollback(f.inst);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "5") == 0);
    CHECK(f.ops->commit(f.inst) == PDM_OK);
    kv = pdm_fake_host_kv(f.fh, "level", &len);
    CHECK(kv != NULL && len == 1 && memcmp(kv, "5", 1) == 0);
    f.ops->head.destroy(f.inst);
    CHECK(f.ops->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.inst) ==
          PDM_OK);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "5") == 0);
    teardown(&f, 1);
}

/* Report sends the Level in a Generic Alert echoing the correlator;
 * Reset sets it to 0; other nodes cannot be executed. */
static void test_exec(void)
{
    fixture f;
    pdm_blob none = {NULL, 0};
    char buf[32];
    CHECK(setup(&f, NULL) == PDM_OK);
    CHECK(pdm_fake_host_set_alert_server(f.fh, "srv.example") == 0);
    CHECK(replace_level(&f, "42") == PDM_OK);
    CHECK(f.ops->exec(f.inst, BASE "/Report", &none, "c-1") == PDM_OK);
    CHECK(pdm_fake_host_alert(f.fh, 0) != NULL &&
          strcmp(pdm_fake_host_alert(f.fh, 0),
                 "urn:x-@NAME@:level|int|" BASE "/Report|c-1|42") == 0);
    CHECK(f.ops->exec(f.inst, BASE "/Reset", &none, NULL) == PDM_OK);
    CHECK(get_level(&f, buf, sizeof buf) == PDM_OK && strcmp(buf, "0") == 0);
    CHECK(f.ops->exec(f.inst, BASE "/Level", &none, NULL) == PDM_ENOTSUP);
    teardown(&f, 1);
}

/* A bad option fails init with PDM_EINVAL; out of memory at each host
 * allocation of init is a clean PDM_ENOMEM. */
static void test_init_errors(void)
{
    static const char *const bad[] = {"", "x", "-1", "1000001"};
    for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++) {
        fixture f;
        CHECK(setup(&f, bad[n]) == PDM_EINVAL);
        CHECK(pdm_fake_host_last_error_rc(f.fh) == PDM_EINVAL);
        teardown(&f, 0);
    }
    {
        fixture f;
        memset(&f, 0, sizeof f);
        f.fh = pdm_fake_host_new();
        pdm_fake_host_fail_alloc_after(f.fh, 0);
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
        {"get_replace", test_get_replace},
        {"transactions", test_transactions},
        {"exec", test_exec},
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
