/*
 * Unit tests of core/src/auth/auth.c: base64, syncml:auth-basic,
 * syncml:auth-md5, syncml:auth-MAC (x-syncml-hmac), nonces.
 * Vectors: /work/shared/spec/test-vectors.md §A (A1-A5).
 */
#include "cu_main.h"
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* A5: the 42 ASCII bytes of the HMAC body */
static const char a5_body[] = "<SyncML xmlns='SYNCML:SYNCML1.2'></SyncML>";
#define A5_MAC "6AZk96DG6F0jSIaEpbK4Ng=="
#define A5_HDR "algorithm=MD5, username=\"Bruce2\", mac=" A5_MAC

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

/* Decodes b64 text and checks the exact bytes. */
static void check_decode(const char *b64, const void *want, size_t wlen)
{
    uint8_t *out = NULL;
    size_t n = 99;
    CU_ASSERT_EQUAL_FATAL(pdm__b64_decode(b64, strlen(b64), &out, &n), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(n, wlen);
    if (n == wlen)
        CU_ASSERT_EQUAL(memcmp(out, want, wlen), 0);
    pdm__free(out);
}

static int decode_rc(const char *b64, size_t len)
{
    uint8_t *out = (uint8_t *)1;
    size_t n = 99;
    int rc = pdm__b64_decode(b64, len, &out, &n);
    if (rc == PDM_OK)
        pdm__free(out);
    else
        CU_ASSERT_PTR_NULL(out);
    return rc;
}

/* A1: Basic B64("Bruce2:OhBehave"). */
static void test_auth__a1_basic(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__auth_basic("Bruce2", "OhBehave", &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "QnJ1Y2UyOk9oQmVoYXZl");
    /* a ':' in the user name would make user:pass ambiguous */
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__auth_basic("a:b", "c", &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_basic(NULL, "c", &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_basic("a", NULL, &b), PDM_EINVAL);
    /* empty password is a valid (if weak) secret */
    CU_ASSERT_EQUAL(pdm__auth_basic("a", "", &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "YTo=");
    pdm__buf_free(&b);
}

/* A2: MD5 digest with its intermediate B64(MD5("Bruce2:OhBehave")). */
static void test_auth__a2_md5(void)
{
    uint8_t d[16], raw[16], d2[16];
    char inter[PDM__B64_MD5_SIZE], out[PDM__B64_MD5_SIZE];
    gnutls_hash_hd_t h;

    CU_ASSERT_EQUAL(gnutls_hash_fast(GNUTLS_DIG_MD5, "Bruce2:OhBehave", 15, d),
                    0);
    CU_ASSERT_EQUAL(pdm__b64_encode_to(d, 16, inter, sizeof inter), PDM_OK);
    PDM_ASSERT_STR(inter, "PtEdr8lBQ45IbT1bZIkrOQ==");

    CU_ASSERT_EQUAL(pdm__auth_md5("Bruce2", "OhBehave", u8("Nonce"), 5, out),
                    PDM_OK);
    PDM_ASSERT_STR(out, "Zz6EivR3yeaaENcRN6lpAQ==");

    /* raw form = MD5(intermediate ":" nonce) */
    CU_ASSERT_EQUAL(pdm__auth_md5_raw("Bruce2", "OhBehave", u8("Nonce"), 5,
                                      raw), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(gnutls_hash_init(&h, GNUTLS_DIG_MD5), 0);
    gnutls_hash(h, inter, 24);
    gnutls_hash(h, ":Nonce", 6);
    gnutls_hash_deinit(h, d2);
    CU_ASSERT_EQUAL(memcmp(raw, d2, 16), 0);
}

/* A2 verify: right credentials pass; wrong password / nonce / user fail. */
static void test_auth__md5_verify(void)
{
    const char *cred = "Zz6EivR3yeaaENcRN6lpAQ==";
    size_t n = strlen(cred);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         cred, n), PDM_OK);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         " Zz6EivR3yeaaENcRN6lpAQ==\r\n", 27),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehavf", u8("Nonce"), 5,
                                         cred, n), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonc3"), 5,
                                         cred, n), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", NULL, 0,
                                         cred, n), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("bruce2", "OhBehave", u8("Nonce"), 5,
                                         cred, n), PDM_EAUTH);
    /* tampered credential: one character changed */
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         "Zz6EivR3yeaaENcRN6lpAA==", n),
                    PDM_EAUTH);
    /* not 16 bytes / not base64 */
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         "Zz6EivR3yeaaENcRN6lp", 20),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         "Zz6E*vR3yeaaENcRN6lpAQ==", n),
                    PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         "", 0), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                         NULL, 0), PDM_EINVAL);
}

/* A3, A4: published base64 values decode to the documented bytes. */
static void test_auth__a3_a4_decode(void)
{
    static const uint8_t bin[] = {0x2c, 0x6d, 0xe2, 0x65, 0x08,
                                  0x61, 0x76, 0x62, 0x8d, 0x1e};
    pdm__buf b;
    check_decode("ZG9iZWhhdmUNCg==", "dobehave\r\n", 10);
    check_decode("LG3iZQhhdmKNHg==", bin, sizeof bin);
    check_decode("U2N0czpTYW1wbGVDbGllbnQ=", "Scts:SampleClient", 17);
    check_decode("U2FtcGxlU2VydmVyOlNhbXBsZVNlcnZlcg==",
                 "SampleServer:SampleServer", 25);
    /* and the Basic encoder produces the A4 values */
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__auth_basic("Scts", "SampleClient", &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "U2N0czpTYW1wbGVDbGllbnQ=");
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__auth_basic("SampleServer", "SampleServer", &b),
                    PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "U2FtcGxlU2VydmVyOlNhbXBsZVNlcnZlcg==");
    pdm__buf_free(&b);
}

/* base64 decoding: whitespace around is fine, everything else is strict. */
static void test_auth__b64_strict(void)
{
    static const char nul_inside[] = "ZG9i\0ZWhhdmUNCg==";
    check_decode("  ZG9iZWhhdmUNCg==\r\n", "dobehave\r\n", 10);
    check_decode("\tZG9iZWhh\r\ndmUNCg==", "dobehave\r\n", 10); /* wrapped */
    check_decode("", "", 0);
    check_decode(" \r\n ", "", 0);
    check_decode("QQ==", "A", 1);
    check_decode("QUI=", "AB", 2);
    check_decode("QUJD", "ABC", 3);

    CU_ASSERT_EQUAL(decode_rc("QQ", 2), PDM_EPARSE);        /* no padding */
    CU_ASSERT_EQUAL(decode_rc("QUI", 3), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc("Q===", 4), PDM_EPARSE);      /* 3 pads */
    CU_ASSERT_EQUAL(decode_rc("====", 4), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc("QQ==QQ==", 8), PDM_EPARSE);  /* data after = */
    CU_ASSERT_EQUAL(decode_rc("Q=Q=", 4), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc("ZG9i ZWhh", 9), PDM_EPARSE); /* inner space */
    CU_ASSERT_EQUAL(decode_rc("ZG9i\tZWhh", 9), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc("ab-_", 4), PDM_EPARSE);      /* URL alphabet */
    CU_ASSERT_EQUAL(decode_rc("ZG9*", 4), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc(nul_inside, sizeof nul_inside - 1), PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_rc(NULL, 3), PDM_EINVAL);
}

/* base64 encoding: binary-safe, fixed-buffer variant bounded. */
static void test_auth__b64_encode(void)
{
    static const uint8_t bin[] = {0, 1, 0, 0xff, 0};
    pdm__buf b;
    char small[8], ok[9];
    uint8_t *back;
    size_t n;

    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__b64_encode(bin, sizeof bin, &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "AAEA/wA=");
    CU_ASSERT_EQUAL(pdm__b64_decode((char *)b.data, b.len, &back, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, sizeof bin);
    CU_ASSERT_EQUAL(memcmp(back, bin, sizeof bin), 0);
    pdm__free(back);
    /* appends, and empty input keeps a valid C string */
    CU_ASSERT_EQUAL(pdm__b64_encode("", 0, &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "AAEA/wA=");
    pdm__buf_free(&b);
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__b64_encode(NULL, 0, &b), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
    pdm__buf_free(&b);

    CU_ASSERT_EQUAL(pdm__b64_encode_to(bin, sizeof bin, small, sizeof small),
                    PDM_ETOOBIG);
    PDM_ASSERT_STR(small, "");
    CU_ASSERT_EQUAL(pdm__b64_encode_to(bin, sizeof bin, ok, sizeof ok), PDM_OK);
    PDM_ASSERT_STR(ok, "AAEA/wA=");
}

/* A5: HMAC mac value and exact header string. */
static void test_auth__a5_hmac(void)
{
    char mac[PDM__B64_MD5_SIZE];
    pdm__buf b;
    CU_ASSERT_EQUAL(strlen(a5_body), 42);
    CU_ASSERT_EQUAL(pdm__auth_hmac_mac("Bruce2", "OhBehave", u8("Nonce"), 5,
                                       a5_body, 42, mac), PDM_OK);
    PDM_ASSERT_STR(mac, A5_MAC);
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("Bruce2", mac, &b), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, A5_HDR);
    pdm__buf_free(&b);
}

/* HMAC verify: accepts the A5 mac; rejects wrong password, wrong nonce, a
 * flipped body byte, a tampered mac, and non-16-byte / non-b64 macs. */
static void test_auth__hmac_verify(void)
{
    char body[43];
    memcpy(body, a5_body, sizeof body);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 42, A5_MAC), PDM_OK);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehavE", u8("Nonce"), 5,
                                          body, 42, A5_MAC), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("nonce"), 5,
                                          body, 42, A5_MAC), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce3", "OhBehave", u8("Nonce"), 5,
                                          body, 42, A5_MAC), PDM_EAUTH);
    for (size_t i = 0; i < 42; i++) {
        body[i] ^= 0x01;
        CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave",
                                              u8("Nonce"), 5, body, 42,
                                              A5_MAC), PDM_EAUTH);
        body[i] ^= 0x01;
    }
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 41, A5_MAC), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 42, "7AZk96DG6F0jSIaEpbK4Ng=="),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 42, "6AZk96DG6F0jSIaEpbK4"),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 42, "6AZk96DG6F0jSIaEpbK4Ng="),
                    PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"), 5,
                                          body, 42, NULL), PDM_EINVAL);
    /* empty body is legal and differs from any non-empty one */
    {
        char mac[PDM__B64_MD5_SIZE];
        CU_ASSERT_EQUAL(pdm__auth_hmac_mac("u", "p", NULL, 0, NULL, 0, mac),
                        PDM_OK);
        CU_ASSERT_EQUAL(pdm__auth_hmac_verify("u", "p", NULL, 0, "", 0, mac),
                        PDM_OK);
        CU_ASSERT_EQUAL(pdm__auth_hmac_verify("u", "p", NULL, 0, " ", 1, mac),
                        PDM_EAUTH);
    }
}

static int hparse(const char *v, pdm__auth_hmac_hdr *h, char *err,
                  size_t errlen)
{
    return pdm__auth_hmac_header_parse(v, strlen(v), h, err, errlen);
}

/* Header parser: the A5 header and accepted variations. */
static void test_auth__hmac_header_parse_ok(void)
{
    static const char *const ok[] = {
        A5_HDR,
        "username=\"Bruce2\", mac=" A5_MAC,                /* no algorithm */
        "  algorithm = MD5 ,username =  \"Bruce2\" ,\tmac= " A5_MAC "  ",
        "mac=" A5_MAC ", username=\"Bruce2\", algorithm=MD5", /* order */
        "ALGORITHM=md5, UserName=\"Bruce2\", MAC=" A5_MAC,  /* case */
        "algorithm=\"MD5\", username=Bruce2, mac=\"" A5_MAC "\"",
        "algorithm=MD5, username=\"Bruce2\", future=\"x, y\", mac=" A5_MAC,
    };
    pdm__auth_hmac_hdr h;
    char err[128];
    for (size_t i = 0; i < PDM__ARRAY_LEN(ok); i++) {
        err[0] = 0;
        CU_ASSERT_EQUAL(hparse(ok[i], &h, err, sizeof err), PDM_OK);
        PDM_ASSERT_STR(h.algorithm, "MD5");
        PDM_ASSERT_STR(h.username, "Bruce2");
        PDM_ASSERT_STR(h.mac, A5_MAC);
        if (strcmp(h.username, "Bruce2") != 0)
            fprintf(stderr, "case %zu: %s\n", i, err);
    }
    /* escapes in the quoted username */
    CU_ASSERT_EQUAL(hparse("username=\"a\\\"b\\\\c d\", mac=QQ==", &h, err,
                           sizeof err), PDM_OK);
    PDM_ASSERT_STR(h.username, "a\"b\\c d");
    PDM_ASSERT_STR(h.mac, "QQ==");
    /* the value need not be NUL-terminated */
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_parse(A5_HDR "XYZ",
                                                strlen(A5_HDR), &h, err,
                                                sizeof err), PDM_OK);
    PDM_ASSERT_STR(h.mac, A5_MAC);
}

/* Build escapes what parse unescapes; injection characters are refused. */
static void test_auth__hmac_header_roundtrip(void)
{
    static const char *const users[] = {"Bruce2", "a\"b", "back\\slash",
                                        "sp ace", "x,y=z", "\xc3\xa9t\xc3\xa9"};
    pdm__auth_hmac_hdr h;
    pdm__buf b;
    pdm__buf_init(&b);
    for (size_t i = 0; i < PDM__ARRAY_LEN(users); i++) {
        pdm__buf_reset(&b);
        CU_ASSERT_EQUAL_FATAL(pdm__auth_hmac_header_build(users[i], A5_MAC,
                                                          &b), PDM_OK);
        CU_ASSERT_EQUAL(pdm__auth_hmac_header_parse((char *)b.data, b.len,
                                                    &h, NULL, 0), PDM_OK);
        PDM_ASSERT_STR(h.username, users[i]);
        PDM_ASSERT_STR(h.mac, A5_MAC);
    }
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("a\r\nX-Evil: 1", A5_MAC, &b),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("a\tb", A5_MAC, &b),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("", A5_MAC, &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("u", "", &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("u", "ab c", &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_build("u", "ab,c", &b), PDM_EINVAL);
    CU_ASSERT_EQUAL(b.len, 0);
    pdm__buf_free(&b);
}

/* Header parser: malformed or tampered values are refused. */
static void test_auth__hmac_header_parse_bad(void)
{
    static const struct {
        const char *v;
        int rc;
    } bad[] = {
        {"algorithm=SHA1, username=\"Bruce2\", mac=" A5_MAC, PDM_ENOTSUP},
        {"algorithm=\"HMAC-MD5\", username=\"Bruce2\", mac=" A5_MAC,
         PDM_ENOTSUP},
        {"algorithm=MD5, mac=" A5_MAC, PDM_EPARSE},         /* no username */
        {"algorithm=MD5, username=\"Bruce2\"", PDM_EPARSE}, /* no mac */
        {"username=\"Bruce2\", username=\"Eve\", mac=" A5_MAC, PDM_EPARSE},
        {"username=\"Bruce2\", mac=" A5_MAC ", MAC=" A5_MAC, PDM_EPARSE},
        {"algorithm=MD5, algorithm=MD5, username=a, mac=" A5_MAC, PDM_EPARSE},
        {"username=\"Bruce2\", mac=" A5_MAC ",", PDM_EPARSE}, /* trailing , */
        {"username=\"Bruce2\",, mac=" A5_MAC, PDM_EPARSE},   /* empty elem */
        {", username=\"Bruce2\", mac=" A5_MAC, PDM_EPARSE},
        {"username=\"Bruce2, mac=" A5_MAC, PDM_EPARSE},      /* unterminated */
        {"username=\"Bru\\", PDM_EPARSE},
        {"username=\"Bru\r\nce2\", mac=" A5_MAC, PDM_EPARSE}, /* CTL */
        {"username=\"Bru\tce2\", mac=" A5_MAC, PDM_EPARSE},   /* HTAB */
        {"username=\"\", mac=" A5_MAC, PDM_EPARSE},          /* empty user */
        {"username=\"Bruce2\", mac=\"\"", PDM_EPARSE},       /* empty mac */
        {"username=\"Bruce2\", mac=6AZk96DG$6F0j", PDM_EPARSE},
        {"username=\"Bruce2\", mac=\"6AZk 96DG\"", PDM_EPARSE},
        {"username=\"Bruce2\"; mac=" A5_MAC, PDM_EPARSE},    /* ; separator */
        {"username \"Bruce2\", mac=" A5_MAC, PDM_EPARSE},    /* no '=' */
        {"username=, mac=" A5_MAC, PDM_EPARSE},              /* no value */
        {"username=\"Bruce2\" x, mac=" A5_MAC, PDM_EPARSE},
        {"", PDM_EPARSE},
        {"   ", PDM_EPARSE},
        {"=x, username=a, mac=QQ==", PDM_EPARSE},
    };
    pdm__auth_hmac_hdr h;
    char err[128];
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        err[0] = 0;
        int rc = hparse(bad[i].v, &h, err, sizeof err);
        CU_ASSERT_EQUAL(rc, bad[i].rc);
        if (rc != bad[i].rc)
            fprintf(stderr, "case %zu: rc %d\n", i, rc);
        CU_ASSERT(strncmp(err, "x-syncml-hmac: ", 15) == 0);
        CU_ASSERT_EQUAL(h.username[0], 0); /* nothing half-filled */
    }
    /* username length limit: 255 bytes fine, 256 refused */
    {
        char v[400], u[257];
        memset(u, 'u', 256);
        u[255] = 0;
        snprintf(v, sizeof v, "username=\"%s\", mac=QQ==", u);
        CU_ASSERT_EQUAL(hparse(v, &h, NULL, 0), PDM_OK);
        CU_ASSERT_EQUAL(strlen(h.username), 255);
        u[255] = 'u';
        u[256] = 0;
        snprintf(v, sizeof v, "username=\"%s\", mac=QQ==", u);
        CU_ASSERT_EQUAL(hparse(v, &h, NULL, 0), PDM_EPARSE);
    }
    CU_ASSERT_EQUAL(pdm__auth_hmac_header_parse(NULL, 0, &h, err, sizeof err),
                    PDM_EINVAL);
    /* a tampered mac parses but does not verify */
    CU_ASSERT_EQUAL(hparse("username=\"Bruce2\", mac=6AZk96DG6F0jSIaEpbK4Nh==",
                           &h, NULL, 0), PDM_OK);
    CU_ASSERT_NOT_EQUAL(pdm__auth_hmac_verify(h.username, "OhBehave",
                                              u8("Nonce"), 5, a5_body, 42,
                                              h.mac), PDM_OK);
}

/* Nonces: 16 random bytes, different each time. */
static void test_auth__nonce(void)
{
    uint8_t a[PDM__AUTH_NONCE_LEN], b[PDM__AUTH_NONCE_LEN],
        z[PDM__AUTH_NONCE_LEN] = {0};
    CU_ASSERT_EQUAL(pdm__auth_nonce_new(a), PDM_OK);
    CU_ASSERT_EQUAL(pdm__auth_nonce_new(b), PDM_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, z, sizeof a), 0);
    CU_ASSERT_EQUAL(pdm__auth_nonce_new(NULL), PDM_EINVAL);
}

/* Every allocation of the allocating functions can fail cleanly. */
static void test_auth__alloc_failures(void)
{
    static const char long_b64[] =
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5"
        "ejAxMjM0NTY3ODlBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWg==";
    for (int fn = 0; fn < 6; fn++) {
        long n;
        for (long i = -1;; i++) {
            pdm__buf b;
            uint8_t *out = NULL;
            size_t len;
            int rc;
            pdm__buf_init(&b);
            pdm__alloc_fail_after(i);
            switch (fn) {
            case 0:
                rc = pdm__b64_encode(long_b64, sizeof long_b64 - 1, &b);
                break;
            case 1:
                rc = pdm__b64_decode(long_b64, sizeof long_b64 - 1, &out,
                                     &len);
                break;
            case 2:
                rc = pdm__auth_basic("a-rather-long-user-name-to-grow-a-buffer",
                                     "and-an-equally-long-password-too-xxxxxxx",
                                     &b);
                break;
            case 3:
                rc = pdm__auth_hmac_header_build("Bruce2", A5_MAC, &b);
                break;
            case 4:
                rc = pdm__auth_md5_verify("Bruce2", "OhBehave", u8("Nonce"),
                                          5, "Zz6EivR3yeaaENcRN6lpAQ==", 24);
                break;
            default:
                rc = pdm__auth_hmac_verify("Bruce2", "OhBehave", u8("Nonce"),
                                           5, a5_body, 42, A5_MAC);
                break;
            }
            n = pdm__alloc_fail_after(-1);
            pdm__free(out);
            pdm__buf_free(&b);
            if (i < 0) {
                CU_ASSERT_EQUAL(rc, PDM_OK); /* counting run */
                CU_ASSERT(n > 0);
                continue;
            }
            if (i >= n) {
                CU_ASSERT_EQUAL(rc, PDM_OK);
                break;
            }
            CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        }
    }
}

static const pdm_test tests[] = {
    {"a1_basic", test_auth__a1_basic},
    {"a2_md5", test_auth__a2_md5},
    {"md5_verify", test_auth__md5_verify},
    {"a3_a4_decode", test_auth__a3_a4_decode},
    {"b64_strict", test_auth__b64_strict},
    {"b64_encode", test_auth__b64_encode},
    {"a5_hmac", test_auth__a5_hmac},
    {"hmac_verify", test_auth__hmac_verify},
    {"hmac_header_parse_ok", test_auth__hmac_header_parse_ok},
    {"hmac_header_roundtrip", test_auth__hmac_header_roundtrip},
    {"hmac_header_parse_bad", test_auth__hmac_header_parse_bad},
    {"nonce", test_auth__nonce},
    {"alloc_failures", test_auth__alloc_failures},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"auth", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
