/*
 * Known-answer tests of the test server's own authentication formulas
 * (tests/dmserver/src/dmsauth.c) against the public and derived vectors of
 * test-vectors.md (§A authentication, §B package 0) and
 * tests/data/vectors/derived_pkg0_example.bin.  None of these calls the
 * client's core/src/auth: the server must judge the client independently.
 */
#include "cu_main.h"
#include "dmsauth.h"
#include "push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* dms_b64_encode into a C string (static buffer). */
static const char *b64(const void *p, size_t n)
{
    static char out[256];
    pdm__buf b;
    pdm__buf_init(&b);
    dms_b64_encode(p, n, &b);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    pdm__buf_free(&b);
    return out;
}

/* A1, A4: Basic. */
static void test_kat__basic(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    dms_auth_basic("Bruce2", "OhBehave", &b);
    CU_ASSERT_EQUAL(b.len, 20);
    CU_ASSERT_NSTRING_EQUAL(b.data, "QnJ1Y2UyOk9oQmVoYXZl", 20);
    b.len = 0;
    dms_auth_basic("SampleServer", "SampleServer", &b);
    CU_ASSERT_NSTRING_EQUAL(b.data, "U2FtcGxlU2VydmVyOlNhbXBsZVNlcnZlcg==", 36);
    pdm__buf_free(&b);
}

/* A2: MD5 digest and its check. */
static void test_kat__md5(void)
{
    char dg[DMS_B64_MD5_SIZE];
    dms_auth_md5("Bruce2", "OhBehave", u8("Nonce"), 5, dg);
    PDM_ASSERT_STR(dg, "Zz6EivR3yeaaENcRN6lpAQ==");
    CU_ASSERT(dms_auth_md5_ok("Bruce2", "OhBehave", u8("Nonce"), 5,
                              " Zz6EivR3yeaaENcRN6lpAQ==\n", 26));
    CU_ASSERT(!dms_auth_md5_ok("Bruce2", "OhBehavE", u8("Nonce"), 5, dg, 24));
    CU_ASSERT(!dms_auth_md5_ok("Bruce2", "OhBehave", u8("Nonc"), 4, dg, 24));
    CU_ASSERT(!dms_auth_md5_ok("Bruce2", "OhBehave", u8("Nonce"), 5,
                               "Zz6EivR3yeaaENcRN6lp", 20));
    CU_ASSERT(!dms_auth_md5_ok("Bruce2", "OhBehave", u8("Nonce"), 5,
                               "not base64!", 11));
}

/* A5: the x-syncml-hmac mac and header, parsed back. */
static void test_kat__hmac(void)
{
    static const char body[] = "<SyncML xmlns='SYNCML:SYNCML1.2'></SyncML>";
    char mac[DMS_B64_MD5_SIZE], user[64], m[64], err[128];
    pdm__buf h;
    CU_ASSERT_EQUAL_FATAL(strlen(body), 42);
    dms_auth_mac("Bruce2", "OhBehave", u8("Nonce"), 5, body, 42, mac);
    PDM_ASSERT_STR(mac, "6AZk96DG6F0jSIaEpbK4Ng==");
    pdm__buf_init(&h);
    dms_hmac_header("Bruce2", mac, &h);
    pdm__buf_putc(&h, '\0');
    PDM_ASSERT_STR((char *)h.data,
                   "algorithm=MD5, username=\"Bruce2\", "
                   "mac=6AZk96DG6F0jSIaEpbK4Ng==");
    CU_ASSERT_EQUAL(dms_hmac_header_parse((char *)h.data, user, sizeof user,
                                          m, sizeof m, err, sizeof err), 0);
    PDM_ASSERT_STR(user, "Bruce2");
    PDM_ASSERT_STR(m, "6AZk96DG6F0jSIaEpbK4Ng==");
    CU_ASSERT(dms_auth_mac_ok("Bruce2", "OhBehave", u8("Nonce"), 5, body, 42,
                              m));
    CU_ASSERT(!dms_auth_mac_ok("Bruce2", "OhBehave", u8("Nonce"), 5, body, 41,
                               m));
    pdm__buf_free(&h);
    /* quoted escapes, any key case, no algorithm */
    CU_ASSERT_EQUAL(dms_hmac_header_parse("MAC=abc=,  UserName=\"a\\\"b\"",
                                          user, sizeof user, m, sizeof m, err,
                                          sizeof err), 0);
    PDM_ASSERT_STR(user, "a\"b");
    PDM_ASSERT_STR(m, "abc=");
    CU_ASSERT_EQUAL(dms_hmac_header_parse("algorithm=SHA1, username=a, mac=b",
                                          user, sizeof user, m, sizeof m, err,
                                          sizeof err), -1);
    CU_ASSERT_EQUAL(dms_hmac_header_parse("username=a", user, sizeof user, m,
                                          sizeof m, err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_hmac_header_parse("username=\"a, mac=b", user,
                                          sizeof user, m, sizeof m, err,
                                          sizeof err), -1);
}

/* A3, A4 and malformed text: base64. */
static void test_kat__b64(void)
{
    static const char *const bad[] = {"abc", "ab=c", "a b=", "====",
                                      "QQ==QQ==", "QQ=", "Q===", "QQ!="};
    uint8_t *d = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(dms_b64_decode("ZG9iZWhhdmUNCg==", 16, &d, &n), 0);
    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT_EQUAL(memcmp(d, "dobehave\r\n", 10), 0);
    pdm__free(d);
    CU_ASSERT_EQUAL(dms_b64_decode("LG3iZQhhdmKNHg==", 16, &d, &n), 0);
    CU_ASSERT_EQUAL(n, 10);
    PDM_ASSERT_STR(b64(d, n), "LG3iZQhhdmKNHg==");
    pdm__free(d);
    {
        static const char wrapped[] = "U2N0czpT\r\nYW1wbGVDbGllbnQ=\n";
        CU_ASSERT_EQUAL(dms_b64_decode(wrapped, strlen(wrapped), &d, &n), 0);
    }
    PDM_ASSERT_STR((char *)d, "Scts:SampleClient");
    pdm__free(d);
    CU_ASSERT_EQUAL(dms_b64_decode("", 0, &d, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    pdm__free(d);
    PDM_ASSERT_STR(b64("", 0), "");
    PDM_ASSERT_STR(b64("f", 1), "Zg==");
    PDM_ASSERT_STR(b64("fo", 2), "Zm8=");
    PDM_ASSERT_STR(b64("foo", 3), "Zm9v");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(dms_b64_decode(bad[i], strlen(bad[i]), &d, &n), -1);
        CU_ASSERT_PTR_NULL(d);
    }
}

/* B2, B3, B4: package 0 built byte for byte, resync digests. */
static void test_kat__pkg0(void)
{
    size_t len;
    uint8_t *want = pdm_test_read("tests/data/vectors/derived_pkg0_example.bin",
                                  &len);
    static const uint8_t zero4[4];
    dms_pkg0_params p;
    pdm__buf b;
    uint8_t d[DMS_MD5_LEN];
    char h[64], err[128];

    memset(&p, 0, sizeof p);
    p.server_id = "com.mgmtsrv.manage";
    p.password = "secret";
    p.nonce = u8("nonce");
    p.nonce_len = 5;
    p.version = 11;
    p.ui_mode = 1;
    p.initiator = 0;
    p.session_id = 0x1234;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(dms_pkg0_build(&p, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(b.len, len);
    CU_ASSERT_EQUAL(memcmp(b.data, want, len), 0);
    hex(b.data, 16, h);
    PDM_ASSERT_STR(h, "7fc65a24e9d7ad28df2850ac24656fd4");
    hex(b.data + 16, 8, h);
    PDM_ASSERT_STR(h, "02d0000000123412");

    dms_pkg0_digest(p.server_id, "secret", zero4, 4, want + 16, len - 16, d);
    hex(d, 16, h);
    PDM_ASSERT_STR(h, "4e94c58c36a8c50aabcdbe0c296b2ba7");
    dms_pkg0_digest(p.server_id, "secret", u8("0x00000000"), 10, want + 16,
                    len - 16, d);
    hex(d, 16, h);
    PDM_ASSERT_STR(h, "ed2be65e9e73d7dc3826b3141edf462f");
    dms_pkg0_digest(p.server_id, "secret", u8("AAAAAA=="), 8, want + 16,
                    len - 16, d);
    hex(d, 16, h);
    PDM_ASSERT_STR(h, "62835e36b66d5f049462634567c3e9f4");

    /* B4: version 12 changes the first two header bytes only */
    b.len = 0;
    p.version = 12;
    CU_ASSERT_EQUAL(dms_pkg0_build(&p, &b, err, sizeof err), 0);
    hex(b.data + 16, 2, h);
    PDM_ASSERT_STR(h, "0310");
    p.version = 0x400;
    CU_ASSERT_EQUAL(dms_pkg0_build(&p, &b, err, sizeof err), -1);
    pdm__buf_free(&b);
    free(want);
}

static void test_kat__sid(void)
{
    char s[5];
    dms_sid_hex(0x1234, s);
    PDM_ASSERT_STR(s, "1234");
    dms_sid_hex(0x0A01, s);
    PDM_ASSERT_STR(s, "A01");
}

static const pdm_test tests[] = {
    {"basic", test_kat__basic}, {"md5", test_kat__md5},
    {"hmac", test_kat__hmac},   {"b64", test_kat__b64},
    {"pkg0", test_kat__pkg0},   {"sid", test_kat__sid},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"dmsauth", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
