/*
 * cp-bootstrap against the SDK's fake host (no core): accepts() per
 * content type and origin, the strict options, the file source (offered
 * once, remembered by SHA-256 when applied, not retried in-process when
 * refused, offered again after a restart or a change), content type by
 * extension or sniffing, and no leaked host memory.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <polydm/bootstrap.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

const pdm_plugin_desc *pdm_plugin_cp_bootstrap_entry(void);

#define CT_WBXML "application/vnd.wap.connectivity-wbxml"
#define CT_XML "text/vnd.wap.connectivity-xml"
#define MAC40 "AD7163230A2A4AE07605ECC3E4916ABA104B7211"

static const pdm_bootstrap_ops *ops(void)
{
    return (const pdm_bootstrap_ops *)pdm_plugin_cp_bootstrap_entry()
        ->components[0]
        .ops;
}

typedef struct fixture {
    pdm_fake_host *fh;
    void *pdata, *inst;
    int rc; /* of create */
} fixture;

/* A fake host with @opts ("key", "value", ..., NULL) and one instance. */
static void setup(fixture *f, const char *const *opts)
{
    const pdm_plugin_desc *d = pdm_plugin_cp_bootstrap_entry();
    memset(f, 0, sizeof *f);
    f->fh = pdm_fake_host_new();
    for (size_t i = 0; opts && opts[i]; i += 2)
        pdm_fake_host_set_option(f->fh, opts[i], opts[i + 1]);
    CU_ASSERT_EQUAL_FATAL(d->init(pdm_fake_host_ctx(f->fh),
                                  pdm_fake_host_api(f->fh), &f->pdata),
                          PDM_OK);
    f->rc = ops()->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->inst);
}

/* A new instance on the same host (kv kept): the agent restarted. */
static void restart(fixture *f)
{
    ops()->head.destroy(f->inst);
    f->inst = NULL;
    CU_ASSERT_EQUAL(ops()->head.create(pdm_fake_host_ctx(f->fh), f->pdata,
                                       &f->inst), PDM_OK);
}

static void teardown(fixture *f)
{
    if (f->rc == PDM_OK && f->inst)
        ops()->head.destroy(f->inst);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f->fh), 0);
    pdm_fake_host_free(f->fh);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* Reads the offered document; frees what the core would. */
static int take(fixture *f, char *ct, size_t ctlen, size_t *len,
                uint32_t *sec, char *mac, size_t maclen)
{
    pdm_bootstrap_doc d;
    const pdm_host_api *h = pdm_fake_host_api(f->fh);
    int rc;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    rc = ops()->read(f->inst, &d);
    if (rc != PDM_OK)
        return rc;
    CU_ASSERT_EQUAL(d.origin, PDM_ORIGIN_FILE);
    CU_ASSERT_PTR_NULL(d.source_id);
    snprintf(ct, ctlen, "%s", d.content_type ? d.content_type : "");
    snprintf(mac, maclen, "%s", d.mac_hex ? d.mac_hex : "");
    *len = d.body.len;
    *sec = d.sec;
    h->free(d.body.data);
    h->free(d.content_type);
    h->free(d.mac_hex);
    return rc;
}

/* The two CP content types from the default origins; nothing else. */
static void test_cp_bootstrap__accepts_default(void)
{
    fixture f;
    setup(&f, NULL);
    CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_PUSH), PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_XML, PDM_ORIGIN_PUSH), PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_FILE), PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_USER), PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_FACTORY), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_SMARTCARD), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_UNKNOWN), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML, 77), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, "application/vnd.syncml.dm+wbxml",
                                       PDM_ORIGIN_PUSH), PDM_OK);
    /* exact MIME names, no parameters, no case folding */
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML "; SEC=0", PDM_ORIGIN_PUSH), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, "", PDM_ORIGIN_PUSH), PDM_OK);
    /* no file: nothing to offer */
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    teardown(&f);
}

/* option.origins narrows (or widens) the origins. */
static void test_cp_bootstrap__accepts_origins(void)
{
    static const char *const o[] = {"origins", " push , smartcard", NULL};
    fixture f;
    setup(&f, o);
    CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_PUSH), PDM_OK);
    CU_ASSERT_EQUAL(ops()->accepts(f.inst, CT_XML, PDM_ORIGIN_SMARTCARD), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_FILE), PDM_OK);
    CU_ASSERT_NOT_EQUAL(ops()->accepts(f.inst, CT_WBXML, PDM_ORIGIN_USER), PDM_OK);
    teardown(&f);
}

/* Bad options: create fails with PDM_EINVAL and a message naming the
 * option; the MAC value itself is never echoed. */
static void test_cp_bootstrap__bad_options(void)
{
    static const struct {
        const char *o[7];
        const char *names;
    } bad[] = {
        {{"origins", "push,air", NULL}, "option.origins"},
        {{"origins", "", NULL}, "option.origins"},
        {{"origins", "push,", NULL}, "option.origins"},
        {{"origins", "PUSH", NULL}, "option.origins"},
        {{"file", "/x.wbxml", "sec", "SEC0", NULL}, "option.sec"},
        {{"file", "/x.wbxml", "sec", "netwpin", NULL}, "option.sec"},
        {{"file", "/x.wbxml", "sec", "NETWPIN", "mac", "12ab", NULL}, "option.mac"},
        {{"file", "/x.wbxml", "sec", "NETWPIN", "mac", MAC40 "0", NULL}, "option.mac"},
        {{"file", "/x.wbxml", "sec", "NETWPIN", "mac",
          "ZZ7163230A2A4AE07605ECC3E4916ABA104B7211", NULL}, "option.mac"},
        {{"file", "/x.wbxml", "mac", MAC40, NULL}, "option.mac"},
        {{"sec", "NETWPIN", NULL}, "option.file"},
        {{"file", "", NULL}, "option.file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f;
        setup(&f, bad[i].o);
        CU_ASSERT_EQUAL(f.rc, PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), PDM_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(pdm_fake_host_error(f.fh, 0));
        if (pdm_fake_host_error(f.fh, 0)) {
            CU_ASSERT_PTR_NOT_NULL(strstr(pdm_fake_host_error(f.fh, 0), bad[i].names));
            CU_ASSERT_PTR_NULL(strstr(pdm_fake_host_error(f.fh, 0), "AD71632"));
        }
        teardown(&f);
    }
}

/* The file: offered with its SEC and MAC; applied → remembered by hash
 * (kv) across a restart; changed → offered again. */
static void test_cp_bootstrap__file_applied(void)
{
    char dir[] = "/tmp/cpbsXXXXXX", path[64], ct[64], mac[64];
    const char *o[] = {"file", path, "sec", "USERNETWPIN", "mac", MAC40, NULL};
    static const uint8_t doc[] = {0x02, 0x0b, 0x6a, 0x00, 0x45, 0x01};
    fixture f;
    size_t len, kvlen = 0;
    uint32_t sec;
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/boot.bin", dir);
    setup(&f, o);
    CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
    /* not there yet: nothing to offer, no error */
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_fake_host_last_error_rc(f.fh), 0);
    write_file(path, doc, sizeof doc);
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_OK);
    CU_ASSERT_EQUAL(take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac), PDM_OK);
    PDM_ASSERT_STR(ct, CT_WBXML); /* sniffed: no known extension */
    CU_ASSERT_EQUAL(len, sizeof doc);
    CU_ASSERT_EQUAL(sec, PDM_SEC_USERNETWPIN);
    PDM_ASSERT_STR(mac, MAC40);
    /* in flight: not offered twice */
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    ops()->consumed(f.inst, PDM_OK);
    {
        /* SHA-256 of doc, known answer (sha256sum) */
        static const uint8_t want[32] = {
            0xb5, 0x50, 0x11, 0xf9, 0x4b, 0x47, 0x6d, 0x39, 0xbe, 0x8c, 0xb5,
            0x0f, 0x38, 0x12, 0xd4, 0xf9, 0x81, 0x6f, 0x66, 0xe8, 0x16, 0xd4,
            0x43, 0xcb, 0xcc, 0xa8, 0x0f, 0xa4, 0x24, 0xdf, 0xa7, 0x21};
        const void *got = pdm_fake_host_kv(f.fh, "applied-sha256", &kvlen);
        CU_ASSERT_EQUAL(kvlen, 32);
        CU_ASSERT(got && memcmp(got, want, 32) == 0);
    }
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    restart(&f);
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND); /* applied once */
    /* a changed file is new */
    {
        static const uint8_t doc2[] = {0x02, 0x0b, 0x6a, 0x00, 0x45, 0x01, 0x01};
        write_file(path, doc2, sizeof doc2);
    }
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_OK);
    CU_ASSERT_EQUAL(take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac), PDM_OK);
    CU_ASSERT_EQUAL(len, 7);
    ops()->consumed(f.inst, PDM_OK);
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    teardown(&f);
    unlink(path);
    rmdir(dir);
}

/* Refused: not again in this process; again after a restart. */
static void test_cp_bootstrap__file_refused(void)
{
    char dir[] = "/tmp/cpbsXXXXXX", path[64], ct[64], mac[64];
    const char *o[] = {"file", path, NULL};
    static const char xml[] = "\xEF\xBB\xBF \n<wap-provisioningdoc/>";
    fixture f;
    size_t len, kvlen = 0;
    uint32_t sec;
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/boot.cp", dir);
    write_file(path, xml, strlen(xml));
    setup(&f, o);
    CU_ASSERT_EQUAL_FATAL(f.rc, PDM_OK);
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_OK);
    CU_ASSERT_EQUAL(take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac), PDM_OK);
    PDM_ASSERT_STR(ct, CT_XML); /* sniffed after BOM and blanks */
    CU_ASSERT_EQUAL(sec, PDM_SEC_NONE);
    PDM_ASSERT_STR(mac, "");
    ops()->consumed(f.inst, PDM_EAUTH);
    CU_ASSERT_PTR_NULL(pdm_fake_host_kv(f.fh, "applied-sha256", &kvlen));
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(ops()->read(f.inst, &(pdm_bootstrap_doc){sizeof(pdm_bootstrap_doc), 0, {NULL, 0}, NULL, 0, 0, NULL, NULL}),
                    PDM_ENOTFOUND);
    restart(&f);
    CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_OK);
    CU_ASSERT_EQUAL(take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac), PDM_OK);
    CU_ASSERT_EQUAL(len, strlen(xml));
    teardown(&f);
    unlink(path);
    rmdir(dir);
}

/* The extension decides over sniffing; a file that is neither is an
 * error naming it, reported once per process. */
static void test_cp_bootstrap__content_type(void)
{
    char dir[] = "/tmp/cpbsXXXXXX", xmlp[64], junk[64], ct[64], mac[64];
    fixture f;
    size_t len;
    uint32_t sec;
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(xmlp, sizeof xmlp, "%s/a.xml", dir);
    snprintf(junk, sizeof junk, "%s/a.doc", dir);
    write_file(xmlp, "\x02\x0b", 2); /* .xml wins, the core judges it */
    write_file(junk, "PK\x03\x04", 4);
    {
        const char *o[] = {"file", xmlp, NULL};
        setup(&f, o);
        CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_OK);
        CU_ASSERT_EQUAL(take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac), PDM_OK);
        PDM_ASSERT_STR(ct, CT_XML);
        teardown(&f);
    }
    {
        const char *o[] = {"file", junk, NULL};
        setup(&f, o);
        CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_EFORMAT);
        CU_ASSERT_PTR_NOT_NULL(strstr(pdm_fake_host_error(f.fh, 0), junk));
        CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_ENOTFOUND);
        teardown(&f);
    }
    {
        /* empty file */
        const char *o[] = {"file", junk, NULL};
        write_file(junk, "", 0);
        setup(&f, o);
        CU_ASSERT_EQUAL(ops()->probe(f.inst), PDM_EFORMAT);
        teardown(&f);
    }
    unlink(xmlp);
    unlink(junk);
    rmdir(dir);
}

/* Out of memory anywhere: a clean error, no leak. */
static void test_cp_bootstrap__alloc_failures(void)
{
    char dir[] = "/tmp/cpbsXXXXXX", path[64];
    const char *o[] = {"file", path, "sec", "NETWPIN", "mac", MAC40, NULL};
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/b.wbxml", dir);
    write_file(path, "\x02\x0b\x6a\x00", 4);
    for (long n = 0; n < 6; n++) {
        fixture f;
        char ct[64], mac[64];
        size_t len;
        uint32_t sec;
        setup(&f, o);
        pdm_fake_host_fail_alloc_after(f.fh, n);
        ops()->head.destroy(f.inst);
        f.rc = ops()->head.create(pdm_fake_host_ctx(f.fh), f.pdata, &f.inst);
        if (f.rc == PDM_OK && ops()->probe(f.inst) == PDM_OK) {
            int rc = take(&f, ct, sizeof ct, &len, &sec, mac, sizeof mac);
            CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        }
        teardown(&f);
    }
    unlink(path);
    rmdir(dir);
}

static void test_cp_bootstrap__descriptor(void)
{
    const pdm_plugin_desc *d = pdm_plugin_cp_bootstrap_entry();
    PDM_ASSERT_STR(d->name, "cp-bootstrap");
    CU_ASSERT_EQUAL(d->components[0].kind, PDM_KIND_BOOTSTRAP);
    PDM_ASSERT_STR(d->components[0].name, "cp");
    CU_ASSERT_EQUAL(d->components[1].kind, PDM_KIND_END);
    CU_ASSERT_PTR_NULL(ops()->present_ids);
    CU_ASSERT_EQUAL(ops()->head.struct_size, sizeof(pdm_bootstrap_ops));
    /* ABI 1.2: option.file is always origin FILE; nothing to watch */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops()->origin);
    CU_ASSERT_EQUAL(ops()->origin(NULL), PDM_ORIGIN_FILE);
    CU_ASSERT_PTR_NULL(ops()->watch_fd);
}

static const pdm_test tests[] = {
    {"accepts_default", test_cp_bootstrap__accepts_default},
    {"accepts_origins", test_cp_bootstrap__accepts_origins},
    {"bad_options", test_cp_bootstrap__bad_options},
    {"file_applied", test_cp_bootstrap__file_applied},
    {"file_refused", test_cp_bootstrap__file_refused},
    {"content_type", test_cp_bootstrap__content_type},
    {"alloc_failures", test_cp_bootstrap__alloc_failures},
    {"descriptor", test_cp_bootstrap__descriptor},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"cp_bootstrap", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
