/*
 * Unit test of @NAME@ on the SDK's fake host: no core, no dlopen.  The
 * plugin source is compiled in and reached through its PDM_PLUGIN_DEFINE()
 * entry, pdm_plugin_@CNAME@_entry().  Exit status 0 when every check
 * passes.  Uses a scratch file in the current directory.
 */
#include <polydm/bootstrap.h>
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

#define DOC_FILE "@CNAME@_test.doc"
#define DOC "<wap-provisioningdoc version=\"1.0\"/>"

typedef struct fixture {
    pdm_fake_host *fh;
    const pdm_plugin_desc *desc;
    const pdm_bootstrap_ops *ops;
    void *pdata, *inst;
} fixture;

static int setup(fixture *f, const char *file)
{
    int rc;
    memset(f, 0, sizeof(*f));
    f->fh = pdm_fake_host_new();
    if (!f->fh)
        return PDM_ENOMEM;
    if (file && pdm_fake_host_set_option(f->fh, "file", file) != 0)
        return PDM_ENOMEM;
    f->desc = pdm_plugin_@CNAME@_entry();
    f->ops = (const pdm_bootstrap_ops *)f->desc->components[0].ops;
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

static void write_doc(void)
{
    FILE *f = fopen(DOC_FILE, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(DOC, f);
        fclose(f);
    }
}

static void test_descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_@CNAME@_entry();
    CHECK(d->struct_size == sizeof(pdm_plugin_desc));
    CHECK(d->abi_major == PDM_ABI_MAJOR && d->abi_minor == PDM_ABI_MINOR);
    CHECK(strcmp(d->name, "@NAME@") == 0);
    CHECK(d->components[0].kind == PDM_KIND_BOOTSTRAP);
    CHECK(d->components[0].ops->struct_size >= PDM_BOOTSTRAP_OPS_SIZE_1_0);
    CHECK(d->options[0].flags & PDM_OPTION_REQUIRED);
}

/* The document is offered until it was applied, then no more. */
static void test_offer_once(void)
{
    fixture f;
    pdm_bootstrap_doc doc;
    const pdm_host_api *host;
    write_doc();
    CHECK(setup(&f, DOC_FILE) == PDM_OK);
    host = pdm_fake_host_api(f.fh);
    CHECK(f.ops->origin(f.inst) == PDM_ORIGIN_FACTORY);
    CHECK(f.ops->probe(f.inst) == PDM_OK);
    memset(&doc, 0, sizeof doc);
    doc.struct_size = sizeof doc;
    CHECK(f.ops->read(f.inst, &doc) == PDM_OK);
    CHECK(doc.origin == PDM_ORIGIN_FACTORY && doc.sec == PDM_SEC_NONE);
    CHECK(doc.body.len == strlen(DOC) &&
          memcmp(doc.body.data, DOC, doc.body.len) == 0);
    CHECK(doc.content_type &&
          strcmp(doc.content_type, "text/vnd.wap.connectivity-xml") == 0);
    host->free(doc.body.data); /* the core's after PDM_OK */
    host->free(doc.content_type);
    f.ops->consumed(f.inst, PDM_EDENIED); /* refused: offered again */
    CHECK(f.ops->probe(f.inst) == PDM_OK);
    f.ops->consumed(f.inst, PDM_OK);
    CHECK(f.ops->probe(f.inst) == PDM_ENOTFOUND);
    teardown(&f, 1);
    remove(DOC_FILE);
}

/* No file: nothing to offer.  No option: init fails and says why. */
static void test_missing(void)
{
    fixture f;
    pdm_bootstrap_doc doc;
    CHECK(setup(&f, "no-such-dir/none.xml") == PDM_OK);
    CHECK(f.ops->probe(f.inst) == PDM_ENOTFOUND);
    memset(&doc, 0, sizeof doc);
    CHECK(f.ops->read(f.inst, &doc) == PDM_ENOTFOUND);
    CHECK(doc.body.data == NULL && doc.content_type == NULL);
    teardown(&f, 1);
    CHECK(setup(&f, NULL) == PDM_EINVAL);
    CHECK(strstr(pdm_fake_host_error(f.fh, 0), "option.file") != NULL);
    teardown(&f, 0);
}

/* Out of memory in read: an error and nothing handed over or leaked. */
static void test_out_of_memory(void)
{
    for (long n = 0; n < 2; n++) {
        fixture f;
        pdm_bootstrap_doc doc;
        write_doc();
        CHECK(setup(&f, DOC_FILE) == PDM_OK);
        pdm_fake_host_fail_alloc_after(f.fh, n);
        memset(&doc, 0, sizeof doc);
        CHECK(f.ops->read(f.inst, &doc) == PDM_ENOMEM);
        CHECK(doc.body.data == NULL && doc.content_type == NULL);
        pdm_fake_host_fail_alloc_after(f.fh, -1);
        teardown(&f, 1);
        remove(DOC_FILE);
    }
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"descriptor", test_descriptor},
        {"offer_once", test_offer_once},
        {"missing", test_missing},
        {"out_of_memory", test_out_of_memory},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = failed;
        tests[i].fn();
        printf("%-20s %s\n", tests[i].name, failed == before ? "ok" : "FAILED");
    }
    printf("@NAME@: %s (%d failed checks)\n", failed ? "FAIL" : "PASS", failed);
    return failed ? 1 : 0;
}
