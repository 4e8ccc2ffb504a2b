/*
 * Unit tests of core/src/auth/wsp.c: WSP connectionless push PDUs.
 * Vectors: test-vectors.md B1 (pkg0 push header) and E10 (SEC/MAC
 * content-type parameters).
 */
#include "cu_main.h"
#include "auth/auth.h"

#include <polydm/bootstrap.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W7 "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml"
#define W7_MAC "AD7163230A2A4AE07605ECC3E4916ABA104B7211"

static uint8_t *rd(const char *path, size_t *len)
{
    return (uint8_t *)pdm_test_read(path, len);
}

/* Concatenates a header part and a body into a fresh PDU. */
static uint8_t *pdu(const void *hdr, size_t hlen, const void *body,
                    size_t blen, size_t *len)
{
    uint8_t *p = malloc(hlen + blen + 1);
    memcpy(p, hdr, hlen);
    if (blen)
        memcpy(p + hlen, body, blen);
    *len = hlen + blen;
    return p;
}

/* B1: 01 06 03 C4 AF 87 + pkg0 */
static void test_wsp__b1_pkg0_push(void)
{
    static const uint8_t hdr[] = {0x01, 0x06, 0x03, 0xC4, 0xAF, 0x87};
    size_t blen, len;
    uint8_t *body = rd("tests/data/vectors/derived_pkg0_example.bin", &blen);
    uint8_t *p = pdu(hdr, sizeof hdr, body, blen, &len);
    char err[128] = "";
    pdm__wsp_push w;
    pdm__pkg0 pk;

    CU_ASSERT_EQUAL_FATAL(pdm__wsp_push_parse(p, len, &w, err, sizeof err),
                          PDM_OK);
    CU_ASSERT_EQUAL(w.tid, 1);
    CU_ASSERT_EQUAL(w.pdu_type, PDM__WSP_PDU_PUSH);
    CU_ASSERT_EQUAL(w.ct_code, 0x44);
    PDM_ASSERT_STR(w.content_type, "application/vnd.syncml.notification");
    CU_ASSERT_EQUAL(w.sec, PDM_SEC_NONE);
    PDM_ASSERT_STR(w.mac, "");
    CU_ASSERT_EQUAL(w.app_id_code, 7);
    PDM_ASSERT_STR(w.app_id, "x-wap-application:syncml.dm");
    CU_ASSERT_PTR_EQUAL(w.body, p + 6);
    CU_ASSERT_EQUAL(w.body_len, 42);
    CU_ASSERT_TRUE(pdm__wsp_push_is_dm_notification(&w));
    /* the body is the package 0 */
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&pk, w.body, w.body_len, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&pk, "secret", (const uint8_t *)"nonce",
                                     5, PDM__PKG0_VERIFY_DEFAULT, NULL),
                    PDM_OK);
    free(p);

    /* The SMS form of B1 keeps the UDH (06 05 04 0B 84 C0 02) in front; UDP
     * datagrams carry the WSP PDU directly, so that form is refused. */
    {
        static const uint8_t sms[] = {0x06, 0x05, 0x04, 0x0B, 0x84, 0xC0, 0x02,
                                      0x01, 0x06, 0x03, 0xC4, 0xAF, 0x87};
        p = pdu(sms, sizeof sms, body, blen, &len);
        CU_ASSERT_EQUAL(pdm__wsp_push_parse(p, len, &w, err, sizeof err),
                        PDM_EPARSE);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "not Push"));
        free(p);
    }
    free(body);
}

/* E10: B6 91 <0x80|sec> 92 "<hex MAC>" 00, then the WBXML body. */
static void test_wsp__e10_sec_mac(void)
{
    uint8_t hdr[64];
    size_t h = 0, blen, len;
    uint8_t *body = rd(W7, &blen), *p;
    char err[128] = "";
    pdm__wsp_push w;

    hdr[h++] = 0x00;       /* TID */
    hdr[h++] = 0x06;       /* push */
    hdr[h++] = 2 + 45;     /* headers length */
    hdr[h++] = 0x1F;       /* length-quote */
    hdr[h++] = 45;         /* value length */
    hdr[h++] = 0xB6;       /* connectivity-wbxml */
    hdr[h++] = 0x91;       /* SEC */
    hdr[h++] = 0x80 | 0;   /* NETWPIN */
    hdr[h++] = 0x92;       /* MAC */
    memcpy(hdr + h, W7_MAC, 41);
    h += 41;
    CU_ASSERT_EQUAL_FATAL(h, 3 + 47);
    p = pdu(hdr, h, body, blen, &len);
    CU_ASSERT_EQUAL_FATAL(pdm__wsp_push_parse(p, len, &w, err, sizeof err),
                          PDM_OK);
    CU_ASSERT_EQUAL(w.ct_code, 0x36);
    PDM_ASSERT_STR(w.content_type, "application/vnd.wap.connectivity-wbxml");
    CU_ASSERT_EQUAL(w.sec, PDM_SEC_NETWPIN);
    PDM_ASSERT_STR(w.mac, W7_MAC);
    CU_ASSERT_EQUAL(w.app_id_code, -1);
    PDM_ASSERT_STR(w.app_id, "");
    CU_ASSERT_FALSE(pdm__wsp_push_is_dm_notification(&w));
    CU_ASSERT_EQUAL(w.body_len, blen);
    CU_ASSERT_EQUAL(memcmp(w.body, body, blen), 0);
    /* and the bootstrap verifies end to end */
    CU_ASSERT_EQUAL(pdm__secmac_verify(w.sec, "001010123456789", NULL, w.body,
                                       w.body_len, w.mac, PDM__SECMAC_CP, NULL,
                                       NULL, 0), PDM_OK);
    free(p);

    /* short Value-length form, SEC USERPIN (wire 1), quoted MAC */
    {
        static const uint8_t s[] = {0x05, 0x06, 0x0A, 0x09, 0xB6, 0x91, 0x81,
                                    0x92, '"', 'A', 'B', 'C', 0x00};
        CU_ASSERT_EQUAL(pdm__wsp_push_parse(s, sizeof s, &w, err, sizeof err),
                        PDM_OK);
        CU_ASSERT_EQUAL(w.tid, 5);
        CU_ASSERT_EQUAL(w.sec, PDM_SEC_USERPIN);
        PDM_ASSERT_STR(w.mac, "ABC");
        CU_ASSERT_EQUAL(w.body_len, 0);
    }
    free(body);
}

/* Text forms: content type, parameters and application id by name. */
static void test_wsp__text_forms(void)
{
    static const char t1[] =
        "\x02\x06\x41"
        "application/vnd.syncml.notification\0"
        "\xAF" "x-wap-application:syncml.dm\0"
        "BODY";
    static const char t2[] =
        "\x03\x06\x6E"
        "\x1F\x41" "application/vnd.wap.connectivity-wbxml\0"
        "SEC\0" "USERNETWPIN\0"
        "mac\0" "\"0123\0"
        "X-WAP-Application-ID\0" "x-wap-application:foo\0";
    static const char t3[] =
        "\x04\x06\x09" "\x08" "SEC\0" "\x92" "AB\0";
    pdm__wsp_push w;
    char err[128] = "";

    CU_ASSERT_EQUAL_FATAL(pdm__wsp_push_parse((const uint8_t *)t1,
                                              sizeof t1 - 1, &w, err,
                                              sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(w.ct_code, 0x44); /* normalised from the text */
    PDM_ASSERT_STR(w.content_type, "application/vnd.syncml.notification");
    CU_ASSERT_EQUAL(w.app_id_code, -1);
    PDM_ASSERT_STR(w.app_id, "x-wap-application:syncml.dm");
    CU_ASSERT_TRUE(pdm__wsp_push_is_dm_notification(&w));
    CU_ASSERT_EQUAL(w.body_len, 4);
    CU_ASSERT_EQUAL(memcmp(w.body, "BODY", 4), 0);

    err[0] = 0;
    CU_ASSERT_EQUAL(pdm__wsp_push_parse((const uint8_t *)t2, sizeof t2 - 1, &w,
                                        err, sizeof err), PDM_OK);
    if (err[0])
        fprintf(stderr, "t2: %s\n", err);
    CU_ASSERT_EQUAL(w.ct_code, 0x36);
    CU_ASSERT_EQUAL(w.sec, PDM_SEC_USERNETWPIN);
    PDM_ASSERT_STR(w.mac, "0123");
    PDM_ASSERT_STR(w.app_id, "x-wap-application:foo");
    CU_ASSERT_FALSE(pdm__wsp_push_is_dm_notification(&w));
    CU_ASSERT_EQUAL(w.body_len, 0);

    /* general form whose media is the text "SEC" - just an unknown type */
    CU_ASSERT_EQUAL(pdm__wsp_push_parse((const uint8_t *)t3, sizeof t3 - 1, &w,
                                        err, sizeof err), PDM_OK);
    PDM_ASSERT_STR(w.content_type, "SEC");
    CU_ASSERT_EQUAL(w.ct_code, -1);
    CU_ASSERT_EQUAL(w.sec, PDM_SEC_NONE);
    PDM_ASSERT_STR(w.mac, "AB");
}

/* Other headers are skipped, code pages honoured, long integers read. */
static void test_wsp__other_headers(void)
{
    static const uint8_t h1[] = {
        0x07, 0x06, 0x19,
        0xC4,                         /* content type */
        0x8D, 0x83,                   /* Content-Length: 3 (short int) */
        0x92, 0x04, 0x12, 0x34, 0x56, 0x78, /* Date: long integer */
        'X', '-', 'F', 'o', 'o', 0, 'b', 'a', 'r', 0, /* app header */
        0xAF, 0x02, 0x00, 0x07,       /* app id as long integer 7 */
        0xB4, 0x80,                   /* Push-Flag */
    };
    /* after a shift to page 2, 0xAF is some other header; 01 AF is body */
    static const uint8_t h2[] = {0x07, 0x06, 0x05, 0xC4, 0x7F, 0x02,
                                 0xAF, 0x87, 0x01, 0xAF};
    /* short-cut shift to page 2 (skipped), back to page 1 (app id read) */
    static const uint8_t h3[] = {0x07, 0x06, 0x07, 0xC4, 0x02, 0xAF,
                                 0x87, 0x01, 0xAF, 0x87};
    pdm__wsp_push w;
    char err[128] = "";

    CU_ASSERT_EQUAL(pdm__wsp_push_parse(h1, sizeof h1, &w, err, sizeof err),
                    PDM_OK);
    if (err[0])
        fprintf(stderr, "h1: %s\n", err);
    CU_ASSERT_EQUAL(w.app_id_code, 7);
    CU_ASSERT_TRUE(pdm__wsp_push_is_dm_notification(&w));
    CU_ASSERT_EQUAL(w.body_len, 0);

    CU_ASSERT_EQUAL(pdm__wsp_push_parse(h2, sizeof h2, &w, err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(w.app_id_code, -1);
    CU_ASSERT_EQUAL(w.body_len, 2);
    CU_ASSERT_EQUAL(pdm__wsp_push_parse(h3, sizeof h3, &w, err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(w.app_id_code, 7);
    CU_ASSERT_EQUAL(w.body_len, 0);
    /* a headers length that runs past the PDU */
    CU_ASSERT_EQUAL(pdm__wsp_push_parse(h3, 8, &w, err, sizeof err),
                    PDM_EPARSE);
}

/* Truncation at every length: error up to the end of the headers, never a
 * crash; after that the body simply gets shorter. */
static void test_wsp__truncated(void)
{
    uint8_t hdr[64];
    size_t h = 0, blen, len;
    uint8_t *body = rd(W7, &blen), *p;
    hdr[h++] = 0x00;
    hdr[h++] = 0x06;
    hdr[h++] = 2 + 45 + 2;
    hdr[h++] = 0x1F;
    hdr[h++] = 45;
    hdr[h++] = 0xB6;
    hdr[h++] = 0x91;
    hdr[h++] = 0x82;
    hdr[h++] = 0x92;
    memcpy(hdr + h, W7_MAC, 41);
    h += 41;
    hdr[h++] = 0xAF;
    hdr[h++] = 0x87;
    p = pdu(hdr, h, body, blen, &len);
    for (size_t n = 0; n <= len; n++) {
        /* a private copy so ASan sees reads past n */
        uint8_t *c = malloc(n ? n : 1);
        pdm__wsp_push w;
        char err[128] = "";
        int rc;
        memcpy(c, p, n);
        rc = pdm__wsp_push_parse(c, n, &w, err, sizeof err);
        if (n < h) {
            CU_ASSERT_EQUAL(rc, PDM_EPARSE);
            CU_ASSERT(strncmp(err, "WSP push: ", 10) == 0);
            CU_ASSERT_EQUAL(w.body, NULL);
        } else {
            CU_ASSERT_EQUAL(rc, PDM_OK);
            CU_ASSERT_EQUAL(w.body_len, n - h);
            CU_ASSERT_EQUAL(w.sec, PDM_SEC_USERNETWPIN);
        }
        free(c);
    }
    free(p);
    free(body);
}

/* Garbage and hostile PDUs are refused with the right code. */
static void test_wsp__garbage(void)
{
    static const struct {
        const char *name;
        const char *b;
        size_t n;
        int rc;
    } bad[] = {
#define B(name, s, rc) {name, s, sizeof(s) - 1, rc}
        B("confirmed push", "\x01\x07\x01\xC4", PDM_EPARSE),
        B("get pdu", "\x01\x40\x01\xC4", PDM_EPARSE),
        B("no headers", "\x01\x06\x00", PDM_EPARSE),
        B("headers past end", "\x01\x06\x05\xC4\xAF", PDM_EPARSE),
        B("huge headers len", "\x01\x06\x8F\xFF\xFF\xFF\x7F\xC4", PDM_EPARSE),
        B("uintvar 6 bytes", "\x01\x06\x80\x80\x80\x80\x80\x01\xC4", PDM_EPARSE),
        B("uintvar > 32 bit", "\x01\x06\x9F\xFF\xFF\xFF\x7F\xC4", PDM_EPARSE),
        B("uintvar unterminated", "\x01\x06\x81", PDM_EPARSE),
        B("value length 0", "\x01\x06\x01\x00", PDM_EPARSE),
        B("value length past headers", "\x01\x06\x03\x05\xB6\x91\x80\x80",
          PDM_EPARSE),
        B("length-quote past end", "\x01\x06\x03\x1F\x20\xB6", PDM_EPARSE),
        B("text ct unterminated", "\x01\x06\x03" "abc" "\x00", PDM_EPARSE),
        B("text ct control char", "\x01\x06\x04" "a\x01" "b\x00", PDM_EPARSE),
        B("ct starts with quote", "\x01\x06\x02\x7F\x00", PDM_EPARSE),
        B("media byte 0", "\x01\x06\x02\x01\x00", PDM_EPARSE),
        B("SEC 4", "\x01\x06\x04\x03\xB6\x91\x84", PDM_ENOTSUP),
        B("SEC 127", "\x01\x06\x04\x03\xB6\x91\xFF", PDM_ENOTSUP),
        B("SEC twice", "\x01\x06\x06\x05\xB6\x91\x80\x91\x81", PDM_EPARSE),
        B("SEC no value", "\x01\x06\x03\x02\xB6\x91", PDM_EPARSE),
        B("SEC text unknown", "\x01\x06\x0A\x09\xB6" "SEC\0" "FOO\0",
          PDM_ENOTSUP),
        B("MAC twice", "\x01\x06\x08\x07\xB6\x92" "A\0" "\x92" "B\0",
          PDM_EPARSE),
        B("MAC empty", "\x01\x06\x04\x03\xB6\x92\x00", PDM_EPARSE),
        B("MAC unterminated", "\x01\x06\x05\x04\xB6\x92" "AB", PDM_EPARSE),
        B("MAC 8-bit", "\x01\x06\x05\x04\xB6\x92\xC3\x00", PDM_EPARSE),
        B("param length-quote", "\x01\x06\x03\x02\xB6\x1F", PDM_EPARSE),
        B("app id twice", "\x01\x06\x05\xC4\xAF\x87\xAF\x87", PDM_EPARSE),
        B("app id empty text", "\x01\x06\x03\xC4\xAF\x00", PDM_EPARSE),
        B("app id bad", "\x01\x06\x03\xC4\xAF\x1F", PDM_EPARSE),
        B("app id truncated", "\x01\x06\x02\xC4\xAF", PDM_EPARSE),
        B("long int too long", "\x01\x06\x08\xC4\xAF\x05\x01\x02\x03\x04\x05",
          PDM_EPARSE),
        B("header NUL", "\x01\x06\x02\xC4\x00", PDM_EPARSE),
        B("shift no page", "\x01\x06\x02\xC4\x7F", PDM_EPARSE),
        B("skipped value past end", "\x01\x06\x03\xC4\x8D\x05", PDM_EPARSE),
        B("app header no value", "\x01\x06\x04\xC4" "X\0" "a", PDM_EPARSE),
        B("empty", "", PDM_EPARSE),
        B("tid only", "\x01", PDM_EPARSE),
#undef B
    };
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        uint8_t *c = malloc(bad[i].n ? bad[i].n : 1);
        pdm__wsp_push w;
        char err[128] = "";
        int rc;
        memcpy(c, bad[i].b, bad[i].n);
        rc = pdm__wsp_push_parse(c, bad[i].n, &w, err, sizeof err);
        CU_ASSERT_EQUAL(rc, bad[i].rc);
        if (rc != bad[i].rc)
            fprintf(stderr, "%s: rc %d (%s)\n", bad[i].name, rc, err);
        CU_ASSERT(strncmp(err, "WSP push: ", 10) == 0);
        CU_ASSERT_EQUAL(w.sec, PDM_SEC_NONE);
        CU_ASSERT_EQUAL(w.ct_code, -1);
        free(c);
    }
    {
        pdm__wsp_push w;
        CU_ASSERT_EQUAL(pdm__wsp_push_parse(NULL, 3, &w, NULL, 0), PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm__wsp_push_parse((const uint8_t *)"\x01", 1, NULL,
                                            NULL, 0), PDM_EINVAL);
    }
    /* pseudo-random PDUs: never a crash (ASan/UBSan builds check reads) */
    {
        uint32_t x = 12345;
        for (int i = 0; i < 20000; i++) {
            uint8_t b[40];
            size_t n = (size_t)(i % 40);
            pdm__wsp_push w;
            for (size_t k = 0; k < n; k++) {
                x = x * 1103515245u + 12345u;
                b[k] = (uint8_t)(x >> 16);
            }
            if (n > 1)
                b[1] = 0x06; /* mostly pushes, to get past the type check */
            uint8_t *c = malloc(n ? n : 1);
            memcpy(c, b, n);
            (void)pdm__wsp_push_parse(c, n, &w, NULL, 0);
            free(c);
        }
    }
}

static void check_roundtrip(const pdm__wsp_push *in)
{
    pdm__buf b;
    pdm__wsp_push w;
    char err[128] = "";
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(pdm__wsp_push_build(in, &b, err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__wsp_push_parse(b.data, b.len, &w, err,
                                              sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(w.tid, in->tid);
    CU_ASSERT_EQUAL(w.pdu_type, PDM__WSP_PDU_PUSH);
    if (in->ct_code >= 0) {
        CU_ASSERT_EQUAL(w.ct_code, in->ct_code);
    } else {
        PDM_ASSERT_STR(w.content_type, in->content_type);
    }
    CU_ASSERT_EQUAL(w.sec, in->sec);
    PDM_ASSERT_STR(w.mac, in->mac);
    CU_ASSERT_EQUAL(w.app_id_code, in->app_id_code);
    if (in->app_id_code < 0) {
        PDM_ASSERT_STR(w.app_id, in->app_id);
    }
    CU_ASSERT_EQUAL_FATAL(w.body_len, in->body_len);
    if (in->body_len) {
        CU_ASSERT_EQUAL(memcmp(w.body, in->body, in->body_len), 0);
    }
    pdm__buf_free(&b);
}

static void init_push(pdm__wsp_push *w)
{
    memset(w, 0, sizeof *w);
    w->ct_code = -1;
    w->app_id_code = -1;
}

/* build -> parse round trips; the B1 bytes are reproduced exactly. */
static void test_wsp__roundtrip(void)
{
    size_t blen;
    uint8_t *body = rd("tests/data/vectors/derived_pkg0_example.bin", &blen);
    pdm__wsp_push in;
    pdm__buf b;
    char bigbody[3000];

    /* (a) B1 */
    init_push(&in);
    in.tid = 1;
    in.ct_code = PDM__WSP_CT_NOTIFICATION;
    in.app_id_code = PDM__WSP_APPID_SYNCML_DM;
    in.body = body;
    in.body_len = blen;
    check_roundtrip(&in);
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__wsp_push_build(&in, &b, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(b.len, 6 + blen);
    CU_ASSERT_EQUAL(memcmp(b.data, "\x01\x06\x03\xC4\xAF\x87", 6), 0);
    CU_ASSERT_EQUAL(memcmp(b.data + 6, body, blen), 0);
    pdm__buf_free(&b);

    /* (b) CP bootstrap with SEC and a 40-digit MAC (length-quote form) */
    init_push(&in);
    in.tid = 0x7F;
    in.ct_code = PDM__WSP_CT_CONNECTIVITY_WBXML;
    in.sec = PDM_SEC_USERPINMAC;
    pdm__strlcpy(in.mac, W7_MAC, sizeof in.mac);
    in.body = body;
    in.body_len = blen;
    check_roundtrip(&in);
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__wsp_push_build(&in, &b, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(memcmp(b.data, "\x7F\x06\x2F\x1F\x2D\xB6\x91\x83\x92", 9),
                    0);
    pdm__buf_free(&b);

    /* (c) only SEC (short Value-length), text content type, app id text */
    init_push(&in);
    in.tid = 200;
    pdm__strlcpy(in.content_type, "application/x-example",
                 sizeof in.content_type);
    in.sec = PDM_SEC_NETWPIN;
    pdm__strlcpy(in.app_id, "x-wap-application:foo.ua", sizeof in.app_id);
    check_roundtrip(&in);

    /* (d) app id as long integer, unknown well-known content type */
    init_push(&in);
    in.ct_code = 0x10;
    in.app_id_code = 0x9000;
    check_roundtrip(&in);
    in.app_id_code = 0x12345678;
    check_roundtrip(&in);

    /* (e) longest texts: the header block needs a 2-byte uintvar */
    init_push(&in);
    in.ct_code = PDM__WSP_CT_DM_WBXML;
    memset(in.mac, 'F', PDM__WSP_MAC_MAX);
    in.mac[PDM__WSP_MAC_MAX] = 0;
    memset(in.app_id, 'a', PDM__WSP_TEXT_MAX);
    in.app_id[PDM__WSP_TEXT_MAX] = 0;
    memset(bigbody, 0xA5, sizeof bigbody);
    in.body = (const uint8_t *)bigbody;
    in.body_len = sizeof bigbody;
    check_roundtrip(&in);

    /* builder refuses what it cannot encode */
    {
        pdm__wsp_push bad;
        pdm__buf_init(&b);
        init_push(&bad);
        bad.ct_code = 200;
        CU_ASSERT_EQUAL(pdm__wsp_push_build(&bad, &b, NULL, 0), PDM_EINVAL);
        init_push(&bad); /* empty text content type */
        CU_ASSERT_EQUAL(pdm__wsp_push_build(&bad, &b, NULL, 0), PDM_EINVAL);
        init_push(&bad);
        bad.ct_code = 0x44;
        bad.sec = 7;
        CU_ASSERT_EQUAL(pdm__wsp_push_build(&bad, &b, NULL, 0), PDM_EINVAL);
        bad.sec = 0;
        pdm__strlcpy(bad.mac, "A\nB", sizeof bad.mac);
        CU_ASSERT_EQUAL(pdm__wsp_push_build(&bad, &b, NULL, 0), PDM_EINVAL);
        bad.mac[0] = 0;
        pdm__strlcpy(bad.app_id, "\x80x", sizeof bad.app_id);
        CU_ASSERT_EQUAL(pdm__wsp_push_build(&bad, &b, NULL, 0), PDM_EINVAL);
        CU_ASSERT_EQUAL(b.len, 0);
        pdm__buf_free(&b);
    }
    free(body);
}

/* The small content-type table. */
static void test_wsp__content_types(void)
{
    PDM_ASSERT_STR(pdm__wsp_content_type_name(0x42),
                   "application/vnd.syncml.dm+wbxml");
    PDM_ASSERT_STR(pdm__wsp_content_type_name(0x43),
                   "application/vnd.syncml.dm+xml");
    PDM_ASSERT_STR(pdm__wsp_content_type_name(0x44),
                   "application/vnd.syncml.notification");
    PDM_ASSERT_STR(pdm__wsp_content_type_name(0x35),
                   "text/vnd.wap.connectivity-xml");
    PDM_ASSERT_STR(pdm__wsp_content_type_name(0x36),
                   "application/vnd.wap.connectivity-wbxml");
    CU_ASSERT_PTR_NULL(pdm__wsp_content_type_name(0x00));
    CU_ASSERT_PTR_NULL(pdm__wsp_content_type_name(-1));
}

/* pdm__wsp_push_build: every allocation can fail cleanly. */
static void test_wsp__alloc_failures(void)
{
    pdm__wsp_push in;
    static uint8_t body[500];
    long n;
    init_push(&in);
    in.ct_code = PDM__WSP_CT_CONNECTIVITY_WBXML;
    in.sec = PDM_SEC_NETWPIN;
    pdm__strlcpy(in.mac, W7_MAC, sizeof in.mac);
    in.app_id_code = 7;
    in.body = body;
    in.body_len = sizeof body;
    for (long i = -1;; i++) {
        pdm__buf b;
        int rc;
        pdm__buf_init(&b);
        pdm__alloc_fail_after(i);
        rc = pdm__wsp_push_build(&in, &b, NULL, 0);
        n = pdm__alloc_fail_after(-1);
        pdm__buf_free(&b);
        if (i < 0) {
            CU_ASSERT_EQUAL(rc, PDM_OK);
            CU_ASSERT(n > 0);
        } else if (i >= n) {
            CU_ASSERT_EQUAL(rc, PDM_OK);
            break;
        } else {
            CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        }
    }
}

static const pdm_test tests[] = {
    {"b1_pkg0_push", test_wsp__b1_pkg0_push},
    {"e10_sec_mac", test_wsp__e10_sec_mac},
    {"text_forms", test_wsp__text_forms},
    {"other_headers", test_wsp__other_headers},
    {"truncated", test_wsp__truncated},
    {"garbage", test_wsp__garbage},
    {"roundtrip", test_wsp__roundtrip},
    {"content_types", test_wsp__content_types},
    {"alloc_failures", test_wsp__alloc_failures},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"wsp", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
