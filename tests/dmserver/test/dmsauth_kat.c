/*
 * Known-answer tests of the test server's own authentication formulas
 * (tests/dmserver/src/dmsauth.c) and bootstrap security (dmssec.c) against
 * the public and derived vectors of test-vectors.md (§A authentication, §B
 * package 0, §E SEC/MAC) and tests/data/vectors.  None of these calls the
 * client's core/src/auth: the server must judge the client independently.
 */
#include "cu_main.h"
#include "dmsauth.h"
#include "dmssec.h"
#include "push.h"

#include <stdio.h>
#include <polydm/bootstrap.h>
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

/* E3: IMSI semi-octets (Nokia/Funambol/Intel: no padding to 15 digits). */
static void test_kat__imsi(void)
{
    static const struct {
        const char *imsi, *key;
    } v[] = {
        {"466923103145252", "4966291330412525"},
        {"001010123456789", "0910101032547698"},
        {"31041012345678", "31011410325476f8"},
        {"123456", "113254f6"},
    };
    static const char *const bad[] = {"12345", "1234567890123456", "12a456",
                                      "", "+12345678"};
    uint8_t k[DMS_IMSI_KEY_MAX];
    size_t n;
    char h[2 * DMS_IMSI_KEY_MAX + 1], err[128];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(dms_imsi_key(v[i].imsi, k, &n, err, sizeof err),
                              0);
        hex(k, n, h);
        PDM_ASSERT_STR(h, v[i].key);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(dms_imsi_key(bad[i], k, &n, err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_imsi_key(NULL, k, &n, err, sizeof err), -1);
}

static const char *mac(int sec, const char *imsi, const char *pin, int order,
                       const uint8_t *doc, size_t len)
{
    static char out[DMS_SEC_HEX_SIZE];
    char err[128];
    if (dms_sec_mac(sec, imsi, pin, order, doc, len, out, err,
                    sizeof err) != 0)
        snprintf(out, sizeof out, "error");
    return out;
}

/* E1, E2, E4, E5 and Funambol's CP document: the MAC of every method and
 * both USERNETWPIN key orders. */
static void test_kat__secmac(void)
{
    static const uint8_t e2[] = {0x03, 0x0B, 0x6A, 0x00, 0x45, 0x01};
    size_t len, flen, elen;
    uint8_t *cht = pdm_test_read("tests/data/vectors/mozilla_cht_cp_codepage.wbxml",
                                 &len);
    uint8_t *fun = pdm_test_read("tests/data/transcripts/"
                                 "funambol_cp_w7_bootstrap.wbxml", &flen);
    uint8_t *empty = pdm_test_read("tests/data/vectors/mozilla_empty_prov.wbxml",
                                   &elen);
    char err[128], out[DMS_SEC_HEX_SIZE];

    CU_ASSERT_EQUAL_FATAL(len, 501);
    CU_ASSERT_FATAL(elen == sizeof e2 && memcmp(empty, e2, sizeof e2) == 0);
    PDM_ASSERT_STR(mac(PDM_SEC_USERPIN, NULL, "0000", 0, cht, len),
                   "AA2DC41FC48AEEF3FED7351B1EE704461A8894D4");
    PDM_ASSERT_STR(mac(PDM_SEC_NETWPIN, "466923103145252", NULL, 0, e2, 6),
                   "1AF545FE2823DC9347064450F90FF1BBF957E146");
    /* NETWPIN ignores the PIN, USERPIN the IMSI */
    PDM_ASSERT_STR(mac(PDM_SEC_NETWPIN, "466923103145252", "1234", 0, e2, 6),
                   "1AF545FE2823DC9347064450F90FF1BBF957E146");
    PDM_ASSERT_STR(mac(PDM_SEC_USERPIN, "466923103145252", "1234", 0, e2, 6),
                   "6CD48BFD7FFC33183154734DF4434DA694E25E6A");
    PDM_ASSERT_STR(mac(PDM_SEC_USERNETWPIN, "466923103145252", "1234",
                       DMS_KEY_IMSI_PIN, e2, 6),
                   "3DBC50BB7BACAE901461F5ECCB0ADB1F71B58D02");
    PDM_ASSERT_STR(mac(PDM_SEC_USERNETWPIN, "466923103145252", "1234",
                       DMS_KEY_PIN_COLON_IMSI, e2, 6),
                   "AFCADA1C6212B28DCC6B678489C1786D923DDF4A");
    PDM_ASSERT_STR(mac(PDM_SEC_NETWPIN, "001010123456789", NULL, 0, fun,
                       flen),
                   "AD7163230A2A4AE07605ECC3E4916ABA104B7211");
    /* missing or malformed key material, methods without a MAC */
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_NETWPIN, NULL, NULL, 0, e2, 6, out,
                                err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "IMSI"));
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_USERPIN, NULL, "", 0, e2, 6, out,
                                err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_USERNETWPIN, "466923103145252", NULL,
                                0, e2, 6, out, err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_USERNETWPIN, "4669231031452x2",
                                "1234", 0, e2, 6, out, err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_USERPINMAC, NULL, "12345", 0, e2, 6,
                                out, err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_sec_mac(PDM_SEC_NONE, NULL, "12345", 0, e2, 6, out,
                                err, sizeof err), -1);
    free(cht);
    free(fun);
    free(empty);
}

/* E6: USERPINMAC, K = 12345 over the E2 body -> the user enters
 * 1234528080. */
static void test_kat__userpinmac(void)
{
    static const uint8_t e2[] = {0x03, 0x0B, 0x6A, 0x00, 0x45, 0x01};
    char pin[DMS_USER_PIN_SIZE], err[128];
    CU_ASSERT_EQUAL(dms_userpinmac_pin("12345", e2, 6, pin, err, sizeof err),
                    0);
    PDM_ASSERT_STR(pin, "1234528080");
    CU_ASSERT_EQUAL(dms_userpinmac_pin("1234", e2, 6, pin, err, sizeof err),
                    -1);
    CU_ASSERT_EQUAL(dms_userpinmac_pin("123456789012345678901", e2, 6, pin,
                                       err, sizeof err), -1);
    CU_ASSERT_EQUAL(dms_userpinmac_pin("12a45", e2, 6, pin, err, sizeof err),
                    -1);
}

/* SEC names in both spellings and as wire values; key orders. */
static void test_kat__sec_names(void)
{
    CU_ASSERT_EQUAL(dms_sec_parse("NETWPIN"), PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("networkid"), PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("0"), PDM_SEC_NETWPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("1"), PDM_SEC_USERPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("USERPIN_NETWORKID"), PDM_SEC_USERNETWPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("2"), PDM_SEC_USERNETWPIN);
    CU_ASSERT_EQUAL(dms_sec_parse("UserPinMac"), PDM_SEC_USERPINMAC);
    CU_ASSERT_EQUAL(dms_sec_parse("3"), PDM_SEC_USERPINMAC);
    CU_ASSERT_EQUAL(dms_sec_parse("4"), -1);
    CU_ASSERT_EQUAL(dms_sec_parse("NONE"), -1);
    CU_ASSERT_EQUAL(dms_sec_parse(""), -1);
    CU_ASSERT_EQUAL(dms_key_order_parse("imsi-pin"), DMS_KEY_IMSI_PIN);
    CU_ASSERT_EQUAL(dms_key_order_parse("pin:imsi"), DMS_KEY_PIN_COLON_IMSI);
    CU_ASSERT_EQUAL(dms_key_order_parse("pin-imsi"), -1);
}

static const pdm_test tests[] = {
    {"basic", test_kat__basic}, {"md5", test_kat__md5},
    {"hmac", test_kat__hmac},   {"b64", test_kat__b64},
    {"pkg0", test_kat__pkg0},   {"sid", test_kat__sid},
    {"imsi", test_kat__imsi},   {"secmac", test_kat__secmac},
    {"userpinmac", test_kat__userpinmac},
    {"sec_names", test_kat__sec_names},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"dmsauth", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
