/*
 * Unit tests of core/src/auth/pkg0.c: package 0 parse / digest / verify /
 * build.  Vectors: test-vectors.md §B (B2-B4) and the three Funambol
 * transcripts in tests/data/transcripts.
 */
#include "cu_main.h"
#include "auth/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static uint8_t *read_vec(const char *path, size_t *len)
{
    return (uint8_t *)pdm_test_read(path, len);
}

/* B2: parse and verify the derived example with secret/nonce. */
static void test_pkg0__b2_example(void)
{
    size_t len;
    uint8_t *buf = read_vec("tests/data/vectors/derived_pkg0_example.bin", &len);
    char err[128] = "", h[80];
    uint8_t d[16];
    char b64[PDM__B64_MD5_SIZE];
    unsigned which = 99;
    pdm__pkg0 p;

    CU_ASSERT_EQUAL_FATAL(len, 42);
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_parse(&p, buf, len, err, sizeof err),
                          PDM_OK);
    CU_ASSERT_EQUAL(p.version, 11);
    CU_ASSERT_EQUAL(p.ui_mode, 1);
    CU_ASSERT_EQUAL(p.initiator, 0);
    CU_ASSERT_EQUAL(p.future, 0);
    CU_ASSERT_EQUAL(p.session_id, 0x1234);
    PDM_ASSERT_STR(p.server_id, "com.mgmtsrv.manage");
    CU_ASSERT_EQUAL(p.vendor_len, 0);
    CU_ASSERT_PTR_EQUAL(p.trigger, buf + 16);
    CU_ASSERT_EQUAL(p.trigger_len, 26);
    hex(p.trigger, p.trigger_len, h);
    PDM_ASSERT_STR(h, "02d0000000123412636f6d2e6d676d747372762e6d616e616765");

    /* the intermediate values of B2 */
    gnutls_hash_fast(GNUTLS_DIG_MD5, "com.mgmtsrv.manage:secret", 25, d);
    pdm__b64_encode_to(d, 16, b64, sizeof b64);
    PDM_ASSERT_STR(b64, "fdJ9k0D7zw+U+xj+U0Rb8w==");
    gnutls_hash_fast(GNUTLS_DIG_MD5, p.trigger, p.trigger_len, d);
    pdm__b64_encode_to(d, 16, b64, sizeof b64);
    PDM_ASSERT_STR(b64, "ne6BhXyhdpa6cRlZxXFamA==");
    CU_ASSERT_EQUAL(pdm__pkg0_digest(p.server_id, "secret", u8("nonce"), 5,
                                     p.trigger, p.trigger_len, d), PDM_OK);
    hex(d, 16, h);
    PDM_ASSERT_STR(h, "7fc65a24e9d7ad28df2850ac24656fd4");

    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5,
                                     PDM__PKG0_VERIFY_DEFAULT, &which), PDM_OK);
    CU_ASSERT_EQUAL(which, PDM__PKG0_NONCE_STORED);
    /* wrong password, wrong nonce: refused even with resync allowed */
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "Secret", u8("nonce"), 5,
                                     PDM__PKG0_RESYNC | PDM__PKG0_RESYNC_B64TEXT,
                                     &which), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonc"), 4,
                                     PDM__PKG0_RESYNC, &which), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "", u8("nonce"), 5, 0, &which),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, NULL, u8("nonce"), 5, 0, &which),
                    PDM_EINVAL);
    free(buf);
}

/* Any single flipped bit (digest or trigger) makes verification fail. */
static void test_pkg0__flipped_bits(void)
{
    size_t len;
    uint8_t *buf = read_vec("tests/data/vectors/derived_pkg0_example.bin", &len);
    for (size_t bit = 0; bit < len * 8; bit++) {
        pdm__pkg0 p;
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        /* a flip in the header may make it unparsable: also a refusal */
        if (pdm__pkg0_parse(&p, buf, len, NULL, 0) == PDM_OK)
            CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5,
                                             PDM__PKG0_RESYNC |
                                                 PDM__PKG0_RESYNC_B64TEXT,
                                             NULL), PDM_EAUTH);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(buf);
}

/* B3: digest of every resync variant, and verify reports which matched. */
static void test_pkg0__b3_resync(void)
{
    static const struct {
        unsigned variant;
        const char *digest;
    } v[] = {
        {PDM__PKG0_NONCE_ZERO4, "4e94c58c36a8c50aabcdbe0c296b2ba7"},
        {PDM__PKG0_NONCE_ASCII0X, "ed2be65e9e73d7dc3826b3141edf462f"},
        {PDM__PKG0_NONCE_B64TEXT, "62835e36b66d5f049462634567c3e9f4"},
    };
    size_t len;
    uint8_t *buf = read_vec("tests/data/vectors/derived_pkg0_example.bin", &len);
    const uint8_t *n;
    size_t nl;
    pdm__pkg0 p;

    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_parse(&p, buf, len, NULL, 0), PDM_OK);
    for (size_t i = 0; i < PDM__ARRAY_LEN(v); i++) {
        uint8_t d[16];
        char h[33];
        unsigned which = 99;
        unsigned need = v[i].variant == PDM__PKG0_NONCE_B64TEXT
                            ? PDM__PKG0_RESYNC_B64TEXT : PDM__PKG0_RESYNC;

        CU_ASSERT_EQUAL_FATAL(pdm__pkg0_resync_nonce(v[i].variant, &n, &nl),
                              PDM_OK);
        CU_ASSERT_EQUAL(pdm__pkg0_digest(p.server_id, "secret", n, nl,
                                         p.trigger, p.trigger_len, d), PDM_OK);
        hex(d, 16, h);
        PDM_ASSERT_STR(h, v[i].digest);

        /* a pkg0 carrying that digest, checked against stored "nonce" */
        memcpy(p.digest, d, 16);
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5, need,
                                         &which), PDM_OK);
        CU_ASSERT_EQUAL(which, v[i].variant);
        /* resync not allowed -> refused */
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5,
                                         need == PDM__PKG0_RESYNC
                                             ? PDM__PKG0_RESYNC_B64TEXT
                                             : PDM__PKG0_RESYNC, NULL),
                        PDM_EAUTH);
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5, 0,
                                         NULL), PDM_EAUTH);
        /* wrong password is still refused under every variant */
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secreT", u8("nonce"), 5,
                                         PDM__PKG0_RESYNC |
                                             PDM__PKG0_RESYNC_B64TEXT, NULL),
                        PDM_EAUTH);
    }
    /* the default does not include Android's undecoded "AAAAAA==" */
    CU_ASSERT_EQUAL(PDM__PKG0_VERIFY_DEFAULT & PDM__PKG0_RESYNC_B64TEXT, 0);
    CU_ASSERT_EQUAL(pdm__pkg0_resync_nonce(PDM__PKG0_NONCE_STORED, &n, &nl),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__pkg0_resync_nonce(9, &n, &nl), PDM_EINVAL);
    /* resync nonces are built by the test server too */
    {
        pdm__buf b;
        pdm__pkg0 q;
        unsigned which = 99;
        pdm__buf_init(&b);
        pdm__pkg0_resync_nonce(PDM__PKG0_NONCE_ASCII0X, &n, &nl);
        CU_ASSERT_EQUAL(pdm__pkg0_build(&p, "secret", n, nl, &b), PDM_OK);
        CU_ASSERT_EQUAL_FATAL(pdm__pkg0_parse(&q, b.data, b.len, NULL, 0),
                              PDM_OK);
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&q, "secret", u8("stored"), 6,
                                         PDM__PKG0_VERIFY_DEFAULT, &which),
                        PDM_OK);
        CU_ASSERT_EQUAL(which, PDM__PKG0_NONCE_ASCII0X);
        pdm__buf_free(&b);
    }
    free(buf);
}

/* B4: header decode and the version-12 encoding. */
static void test_pkg0__b4_header(void)
{
    uint8_t pk[16 + 8 + 18];
    pdm__pkg0 p, in;
    pdm__buf b;
    char sid[5];

    memset(pk, 0, 16);
    memcpy(pk + 16, "\x02\xD0\x00\x00\x00\x12\x34\x12", 8);
    memcpy(pk + 24, "com.mgmtsrv.manage", 18);
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_parse(&p, pk, sizeof pk, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(p.version, 11);
    CU_ASSERT_EQUAL(p.ui_mode, 1);
    CU_ASSERT_EQUAL(p.initiator, 0);
    CU_ASSERT_EQUAL(p.future, 0);
    CU_ASSERT_EQUAL(p.session_id, 0x1234);
    CU_ASSERT_EQUAL(strlen(p.server_id), 18);
    pdm__pkg0_session_id_str(p.session_id, sid);
    PDM_ASSERT_STR(sid, "1234");

    in = p;
    in.version = 12;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_build(&in, "secret", u8("nonce"), 5, &b),
                          PDM_OK);
    CU_ASSERT_EQUAL(b.len, sizeof pk);
    CU_ASSERT_EQUAL(b.data[16], 0x03);
    CU_ASSERT_EQUAL(b.data[17], 0x10);
    CU_ASSERT_EQUAL(memcmp(b.data + 18, pk + 18, sizeof pk - 18), 0);
    /* the same fields with version 11 reproduce the derived example */
    {
        size_t len;
        uint8_t *ex = read_vec("tests/data/vectors/derived_pkg0_example.bin",
                               &len);
        pdm__buf_reset(&b);
        CU_ASSERT_EQUAL(pdm__pkg0_build(&p, "secret", u8("nonce"), 5, &b),
                        PDM_OK);
        CU_ASSERT_EQUAL(b.len, len);
        CU_ASSERT_EQUAL(memcmp(b.data, ex, len), 0);
        free(ex);
    }
    pdm__buf_free(&b);
}

/* SessionID strings: upper-case hex, no leading zeros. */
static void test_pkg0__session_id_str(void)
{
    static const struct {
        uint16_t sid;
        const char *s;
    } v[] = {{0x1234, "1234"}, {0x00AB, "AB"}, {0x0001, "1"},
             {0xFFFF, "FFFF"}, {0x0A00, "A00"}, {0xbeef, "BEEF"}};
    for (size_t i = 0; i < PDM__ARRAY_LEN(v); i++) {
        char s[5];
        pdm__pkg0_session_id_str(v[i].sid, s);
        PDM_ASSERT_STR(s, v[i].s);
    }
}

/* The three Funambol-built packages: parse and verify. */
static void test_pkg0__funambol(void)
{
    static const struct {
        const char *file;
        unsigned version;
        const char *server_id, *pw, *nonce;
    } v[] = {
        {"tests/data/transcripts/"
         "funambol_pkg0_v12_funambol_srvpwd_nononce_sid1234.bin",
         12, "funambol", "srvpwd", ""},
        {"tests/data/transcripts/"
         "funambol_pkg0_v11_funambol_srvpwd_nononce_sid1234.bin",
         11, "funambol", "srvpwd", ""},
        {"tests/data/transcripts/"
         "funambol_pkg0_v12_com.mgmtsrv.manage_secret_nonce_sid1234.bin",
         12, "com.mgmtsrv.manage", "secret", "nonce"},
    };
    for (size_t i = 0; i < PDM__ARRAY_LEN(v); i++) {
        size_t len;
        uint8_t *buf = read_vec(v[i].file, &len);
        char err[128] = "";
        unsigned which = 99;
        pdm__pkg0 p;
        int rc = pdm__pkg0_parse(&p, buf, len, err, sizeof err);
        CU_ASSERT_EQUAL(rc, PDM_OK);
        if (rc != PDM_OK) {
            fprintf(stderr, "%s: %s\n", v[i].file, err);
            free(buf);
            continue;
        }
        CU_ASSERT_EQUAL(p.version, v[i].version);
        PDM_ASSERT_STR(p.server_id, v[i].server_id);
        CU_ASSERT_EQUAL(p.session_id, 0x1234);
        CU_ASSERT_EQUAL(p.ui_mode, 0);
        CU_ASSERT_EQUAL(p.initiator, 0);
        CU_ASSERT_EQUAL(p.vendor_len, 0);
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, v[i].pw, u8(v[i].nonce),
                                         strlen(v[i].nonce),
                                         PDM__PKG0_VERIFY_DEFAULT, &which),
                        PDM_OK);
        CU_ASSERT_EQUAL(which, PDM__PKG0_NONCE_STORED);
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "wrong", u8(v[i].nonce),
                                         strlen(v[i].nonce),
                                         PDM__PKG0_VERIFY_DEFAULT, NULL),
                        PDM_EAUTH);
        /* one flipped digest bit */
        p.digest[7] ^= 0x10;
        CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, v[i].pw, u8(v[i].nonce),
                                         strlen(v[i].nonce),
                                         PDM__PKG0_VERIFY_DEFAULT, NULL),
                        PDM_EAUTH);
        free(buf);
    }
}

/* Versions other than 11 and 12 are refused with the value in the text. */
static void test_pkg0__unknown_version(void)
{
    static const unsigned versions[] = {0, 10, 13, 1023};
    for (size_t i = 0; i < PDM__ARRAY_LEN(versions); i++) {
        pdm__pkg0 in, p;
        pdm__buf b;
        char err[128] = "", want[16];
        memset(&in, 0, sizeof in);
        in.version = versions[i];
        in.session_id = 7;
        pdm__strlcpy(in.server_id, "srv", sizeof in.server_id);
        pdm__buf_init(&b);
        CU_ASSERT_EQUAL_FATAL(pdm__pkg0_build(&in, "pw", NULL, 0, &b), PDM_OK);
        CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, b.data, b.len, err, sizeof err),
                        PDM_ENOTSUP);
        snprintf(want, sizeof want, "version %u ", versions[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
        CU_ASSERT_EQUAL(p.trigger, NULL);
        pdm__buf_free(&b);
    }
}

/* Truncation at every length, bad lengths, bad server ids, session 0. */
static void test_pkg0__malformed(void)
{
    size_t len;
    uint8_t *buf = read_vec("tests/data/vectors/derived_pkg0_example.bin", &len);
    uint8_t tmp[64];
    char err[128];
    pdm__pkg0 p;

    for (size_t n = 0; n < len; n++) {
        err[0] = 0;
        CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, buf, n, err, sizeof err),
                        PDM_EPARSE);
        CU_ASSERT(strncmp(err, "pkg0: ", 6) == 0);
    }
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, NULL, 0, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm__pkg0_parse(NULL, buf, len, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pkg0"));

    /* server-id length beyond the buffer */
    memcpy(tmp, buf, len);
    tmp[23] = 19;
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "exceeds"));
    tmp[23] = 255;
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err), PDM_EPARSE);
    /* shorter length: the rest is the vendor part */
    tmp[23] = 10;
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err), PDM_OK);
    PDM_ASSERT_STR(p.server_id, "com.mgmtsr");
    CU_ASSERT_EQUAL(p.vendor_len, 8);
    CU_ASSERT_EQUAL(memcmp(p.vendor, "v.manage", 8), 0);
    /* ... but the digest covers it: the modified package does not verify */
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "secret", u8("nonce"), 5,
                                     PDM__PKG0_VERIFY_DEFAULT, NULL),
                    PDM_EAUTH);
    tmp[23] = 0;
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty server identifier"));

    /* session id 0 */
    memcpy(tmp, buf, len);
    tmp[21] = tmp[22] = 0;
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "session id 0"));

    /* non-printable server id bytes: control, space, DEL, 8-bit */
    {
        static const uint8_t badc[] = {0x00, 0x01, 0x0A, ' ', 0x7F, 0x80, 0xFF};
        for (size_t i = 0; i < sizeof badc; i++) {
            memcpy(tmp, buf, len);
            tmp[24 + 5] = badc[i];
            CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, tmp, len, err, sizeof err),
                            PDM_EPARSE);
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "non-printable"));
        }
    }
    free(buf);
}

/* build -> parse round trip with every field and a vendor part. */
static void test_pkg0__roundtrip(void)
{
    static const uint8_t vendor[] = {0x01, 0x02, 0x00, 0xFF, 'x'};
    pdm__pkg0 in, p;
    pdm__buf b;
    unsigned which = 99;

    memset(&in, 0, sizeof in);
    in.version = 12;
    in.ui_mode = 3;
    in.initiator = 1;
    in.future = 0x5A5A5A5;
    in.session_id = 0xBEEF;
    pdm__strlcpy(in.server_id, "dm.example.com", sizeof in.server_id);
    in.vendor = vendor;
    in.vendor_len = sizeof vendor;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "prefix"); /* build appends */
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_build(&in, "pw", u8("\x00\x01"), 2, &b),
                          PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_parse(&p, b.data + 6, b.len - 6, NULL, 0),
                          PDM_OK);
    CU_ASSERT_EQUAL(p.version, 12);
    CU_ASSERT_EQUAL(p.ui_mode, 3);
    CU_ASSERT_EQUAL(p.initiator, 1);
    CU_ASSERT_EQUAL(p.future, 0x5A5A5A5);
    CU_ASSERT_EQUAL(p.session_id, 0xBEEF);
    PDM_ASSERT_STR(p.server_id, "dm.example.com");
    CU_ASSERT_EQUAL_FATAL(p.vendor_len, sizeof vendor);
    CU_ASSERT_EQUAL(memcmp(p.vendor, vendor, sizeof vendor), 0);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "pw", u8("\x00\x01"), 2, 0, &which),
                    PDM_OK);
    CU_ASSERT_EQUAL(which, PDM__PKG0_NONCE_STORED);
    CU_ASSERT_EQUAL(pdm__pkg0_verify(&p, "pw", u8("\x00\x02"), 2, 0, NULL),
                    PDM_EAUTH);

    /* 255-byte server id is the maximum */
    memset(in.server_id, 'a', 255);
    in.server_id[255] = 0;
    in.vendor_len = 0;
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__pkg0_build(&in, "pw", NULL, 0, &b), PDM_OK);
    CU_ASSERT_EQUAL(pdm__pkg0_parse(&p, b.data, b.len, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(strlen(p.server_id), 255);

    /* fields that do not fit are refused */
    {
        pdm__pkg0 bad = in;
        bad.server_id[0] = 0;
        CU_ASSERT_EQUAL(pdm__pkg0_build(&bad, "pw", NULL, 0, &b), PDM_EINVAL);
        bad = in;
        bad.version = 1024;
        CU_ASSERT_EQUAL(pdm__pkg0_build(&bad, "pw", NULL, 0, &b), PDM_EINVAL);
        bad = in;
        bad.ui_mode = 4;
        CU_ASSERT_EQUAL(pdm__pkg0_build(&bad, "pw", NULL, 0, &b), PDM_EINVAL);
        bad = in;
        bad.initiator = 2;
        CU_ASSERT_EQUAL(pdm__pkg0_build(&bad, "pw", NULL, 0, &b), PDM_EINVAL);
        bad = in;
        bad.future = 0x8000000;
        CU_ASSERT_EQUAL(pdm__pkg0_build(&bad, "pw", NULL, 0, &b), PDM_EINVAL);
        CU_ASSERT_EQUAL(pdm__pkg0_build(&in, NULL, NULL, 0, &b), PDM_EINVAL);
    }
    pdm__buf_free(&b);
}

/* pdm__pkg0_build: every allocation can fail cleanly. */
static void test_pkg0__alloc_failures(void)
{
    pdm__pkg0 in;
    long n;
    memset(&in, 0, sizeof in);
    in.version = 12;
    in.session_id = 1;
    memset(in.server_id, 's', 200);
    for (long i = -1;; i++) {
        pdm__buf b;
        int rc;
        pdm__buf_init(&b);
        pdm__alloc_fail_after(i);
        rc = pdm__pkg0_build(&in, "pw", NULL, 0, &b);
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
    {"b2_example", test_pkg0__b2_example},
    {"flipped_bits", test_pkg0__flipped_bits},
    {"b3_resync", test_pkg0__b3_resync},
    {"b4_header", test_pkg0__b4_header},
    {"session_id_str", test_pkg0__session_id_str},
    {"funambol", test_pkg0__funambol},
    {"unknown_version", test_pkg0__unknown_version},
    {"malformed", test_pkg0__malformed},
    {"roundtrip", test_pkg0__roundtrip},
    {"alloc_failures", test_pkg0__alloc_failures},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"pkg0", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
