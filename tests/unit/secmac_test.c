/*
 * Unit tests of core/src/auth/secmac.c: bootstrap SEC/MAC (HMAC-SHA1) and
 * IMSI semi-octet keys.  Vectors: test-vectors.md §E (E1-E6) and the
 * Funambol CP w7 bootstrap transcript.
 */
#include "cu_main.h"
#include "auth/auth.h"

#include <polydm/bootstrap.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHT "tests/data/vectors/mozilla_cht_cp_codepage.wbxml"
#define EMPTY "tests/data/vectors/mozilla_empty_prov.wbxml"
#define W7 "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml"
#define IMSI_E2 "466923103145252"

static uint8_t *rd(const char *path, size_t *len)
{
    return (uint8_t *)pdm_test_read(path, len);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02X", p[i]);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Verifies and recomputes one MAC vector. */
static void check_mac(int sec, const char *imsi, const char *pin,
                      const uint8_t *body, size_t len, const char *mac,
                      unsigned flags, unsigned want_variant)
{
    char out[41], err[128] = "";
    unsigned v = 99;
    CU_ASSERT_EQUAL(pdm__secmac_verify(sec, imsi, pin, body, len, mac, flags,
                                       &v, err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(v, want_variant);
    CU_ASSERT_EQUAL(pdm__secmac_compute(sec, imsi, pin, want_variant, body,
                                        len, out, err, sizeof err), PDM_OK);
    PDM_ASSERT_STR(out, mac);
}

/* E1: USERPIN "0000" over the 501-byte CHT document. */
static void test_secmac__e1_userpin(void)
{
    size_t len;
    uint8_t *body = rd(CHT, &len);
    CU_ASSERT_EQUAL(len, 501);
    check_mac(PDM_SEC_USERPIN, NULL, "0000", body, len,
              "AA2DC41FC48AEEF3FED7351B1EE704461A8894D4", PDM__SECMAC_CP,
              PDM__SECMAC_KEY_PRIMARY);
    free(body);
}

/* E2: NETWPIN, IMSI 466923103145252 -> key 49 66 29 13 30 41 25 25. */
static void test_secmac__e2_netwpin(void)
{
    size_t len, klen;
    uint8_t *body = rd(EMPTY, &len), key[PDM__IMSI_KEY_MAX];
    char h[17];
    CU_ASSERT_EQUAL(len, 6);
    CU_ASSERT_EQUAL(pdm__secmac_imsi_key(IMSI_E2, key, &klen, NULL, 0),
                    PDM_OK);
    CU_ASSERT_EQUAL_FATAL(klen, 8);
    hex(key, klen, h);
    PDM_ASSERT_STR(h, "4966291330412525");
    check_mac(PDM_SEC_NETWPIN, IMSI_E2, NULL, body, len,
              "1AF545FE2823DC9347064450F90FF1BBF957E146", PDM__SECMAC_CP,
              PDM__SECMAC_KEY_PRIMARY);
    /* the PIN is ignored for NETWPIN */
    check_mac(PDM_SEC_NETWPIN, IMSI_E2, "1234", body, len,
              "1AF545FE2823DC9347064450F90FF1BBF957E146", PDM__SECMAC_DM,
              PDM__SECMAC_KEY_PRIMARY);
    free(body);
}

/* E3: semi-octet keys incl. the 14- and 6-digit cases; bad IMSIs. */
static void test_secmac__e3_imsi_key(void)
{
    static const struct {
        const char *imsi, *key;
    } ok[] = {
        {"001010123456789", "0910101032547698"},
        {"31041012345678", "31011410325476F8"},
        {"123456", "113254F6"}, /* NOK/FUN/ICP; Mozilla would pad (DISAGREE) */
        {"1234567", "19325476"},
        {IMSI_E2, "4966291330412525"},
    };
    static const char *const bad[] = {
        "", "12345", "1234567890123456", "00101012345678a", "+46692310314525",
        " 466923103145252", "466923103145252 ", "46692310-3145252",
    };
    for (size_t i = 0; i < PDM__ARRAY_LEN(ok); i++) {
        uint8_t k[PDM__IMSI_KEY_MAX];
        size_t n = 0;
        char h[17] = "";
        CU_ASSERT_EQUAL(pdm__secmac_imsi_key(ok[i].imsi, k, &n, NULL, 0),
                        PDM_OK);
        hex(k, n, h);
        PDM_ASSERT_STR(h, ok[i].key);
    }
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        uint8_t k[PDM__IMSI_KEY_MAX];
        size_t n;
        char err[128] = "";
        CU_ASSERT_EQUAL(pdm__secmac_imsi_key(bad[i], k, &n, err, sizeof err),
                        PDM_EINVAL);
        PDM_ASSERT_STR(err, "IMSI must be 6 to 15 decimal digits");
    }
    {
        uint8_t k[PDM__IMSI_KEY_MAX];
        size_t n;
        CU_ASSERT_EQUAL(pdm__secmac_imsi_key(NULL, k, &n, NULL, 0),
                        PDM_EINVAL);
    }
}

/* E4: USERPIN "1234" over the E2 body. */
static void test_secmac__e4_userpin(void)
{
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    check_mac(PDM_SEC_USERPIN, NULL, "1234", body, len,
              "6CD48BFD7FFC33183154734DF4434DA694E25E6A", PDM__SECMAC_CP,
              PDM__SECMAC_KEY_PRIMARY);
    free(body);
}

/* E5: USERNETWPIN, both key variants and which flags allow which. */
static void test_secmac__e5_usernetwpin(void)
{
    const char *cp = "3DBC50BB7BACAE901461F5ECCB0ADB1F71B58D02";
    const char *dm = "AFCADA1C6212B28DCC6B678489C1786D923DDF4A";
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    unsigned v = 99;

    check_mac(PDM_SEC_USERNETWPIN, IMSI_E2, "1234", body, len, cp,
              PDM__SECMAC_CP, PDM__SECMAC_KEY_PRIMARY);
    check_mac(PDM_SEC_USERNETWPIN, IMSI_E2, "1234", body, len, cp,
              PDM__SECMAC_DM, PDM__SECMAC_KEY_PRIMARY);
    check_mac(PDM_SEC_USERNETWPIN, IMSI_E2, "1234", body, len, dm,
              PDM__SECMAC_DM, PDM__SECMAC_KEY_PIN_COLON_IMSI);
    /* CP callers use IMSI||PIN only */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERNETWPIN, IMSI_E2, "1234",
                                       body, len, dm, PDM__SECMAC_CP, &v, NULL,
                                       0), PDM_EAUTH);
    /* wrong PIN, wrong IMSI */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERNETWPIN, IMSI_E2, "1235",
                                       body, len, cp, PDM__SECMAC_DM, &v, NULL,
                                       0), PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERNETWPIN, "466923103145253",
                                       "1234", body, len, cp, PDM__SECMAC_DM,
                                       &v, NULL, 0), PDM_EAUTH);
    /* the variant does not exist for other methods */
    {
        char out[41];
        CU_ASSERT_EQUAL(pdm__secmac_compute(PDM_SEC_USERPIN, NULL, "1234",
                                            PDM__SECMAC_KEY_PIN_COLON_IMSI,
                                            body, len, out, NULL, 0),
                        PDM_EINVAL);
    }
    free(body);
}

/* E6: USERPINMAC K=12345 -> PIN 1234528080 accepted, ...81 refused. */
static void test_secmac__e6_userpinmac(void)
{
    static const char *const badfmt[] = {
        "123452808",      /* odd */
        "12345678",       /* < 10 */
        "12345a8080",     /* not digits */
        "1234 28080",
        "12345678901234567890123456789012345678901", /* > 40 */
        "123456789012345678901234567890123456789012",
    };
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    char out[41], pin[64], err[128];
    unsigned v = 99;

    /* M = HMAC-SHA1("12345", body) starts with A2126E4E */
    CU_ASSERT_EQUAL(pdm__secmac_compute(PDM_SEC_USERPIN, NULL, "12345",
                                        PDM__SECMAC_KEY_PRIMARY, body, len, out,
                                        NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(strncmp(out, "A2126E4E", 8), 0);

    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, "1234528080",
                                       body, len, NULL, PDM__SECMAC_CP, &v,
                                       NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(v, PDM__SECMAC_KEY_PRIMARY);
    err[0] = 0;
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, "1234528081",
                                       body, len, NULL, PDM__SECMAC_CP, &v,
                                       err, sizeof err), PDM_EAUTH);
    CU_ASSERT(err[0] != 0);
    /* a MAC parameter, if any, plays no role for USERPINMAC */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, "1234528080",
                                       body, len, "junk", PDM__SECMAC_CP, &v,
                                       NULL, 0), PDM_OK);
    for (size_t i = 0; i < PDM__ARRAY_LEN(badfmt); i++)
        CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL,
                                           badfmt[i], body, len, NULL,
                                           PDM__SECMAC_CP, &v, err,
                                           sizeof err), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, NULL, body,
                                       len, NULL, PDM__SECMAC_CP, &v, err,
                                       sizeof err), PDM_EINVAL);

    /* the server side produces the PIN the user types */
    CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin("12345", body, len, pin,
                                               sizeof pin, NULL, 0), PDM_OK);
    PDM_ASSERT_STR(pin, "1234528080");
    CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin("12345678901234567890", body,
                                               len, pin, sizeof pin, NULL, 0),
                    PDM_OK);
    CU_ASSERT_EQUAL(strlen(pin), 40);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, pin, body,
                                       len, NULL, 0, &v, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin("12345", body, len, pin, 10,
                                               NULL, 0), PDM_ETOOBIG);
    CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin("1234", body, len, pin,
                                               sizeof pin, NULL, 0),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin("12a45", body, len, pin,
                                               sizeof pin, NULL, 0),
                    PDM_EINVAL);
    /* there is no MAC parameter to compute for USERPINMAC */
    CU_ASSERT_EQUAL(pdm__secmac_compute(PDM_SEC_USERPINMAC, NULL, "12345", 0,
                                        body, len, out, NULL, 0), PDM_EINVAL);
    free(body);
}

/* Funambol CP w7 bootstrap, NETWPIN with IMSI 001010123456789. */
static void test_secmac__funambol_w7(void)
{
    size_t len;
    uint8_t *body = rd(W7, &len);
    check_mac(PDM_SEC_NETWPIN, "001010123456789", NULL, body, len,
              "AD7163230A2A4AE07605ECC3E4916ABA104B7211", PDM__SECMAC_CP,
              PDM__SECMAC_KEY_PRIMARY);
    /* any flipped body byte is refused */
    for (size_t i = 0; i < len; i++) {
        body[i] ^= 0x80;
        CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, "001010123456789",
                                           NULL, body, len,
                                           "AD7163230A2A4AE07605ECC3E4916ABA"
                                           "104B7211", PDM__SECMAC_DM, NULL,
                                           NULL, 0), PDM_EAUTH);
        body[i] ^= 0x80;
    }
    /* truncated document */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, "001010123456789",
                                       NULL, body, len - 1,
                                       "AD7163230A2A4AE07605ECC3E4916ABA104B7211",
                                       PDM__SECMAC_CP, NULL, NULL, 0),
                    PDM_EAUTH);
    free(body);
}

/* MAC format: case-insensitive hex, exactly 40 digits. */
static void test_secmac__mac_format(void)
{
    const char *mac = "1AF545FE2823DC9347064450F90FF1BBF957E146";
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    char m[64], err[128];

    snprintf(m, sizeof m, "%s", mac);
    lower(m);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, IMSI_E2, NULL, body,
                                       len, m, 0, NULL, NULL, 0), PDM_OK);
    m[1] = 'A'; /* mixed case */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, IMSI_E2, NULL, body,
                                       len, m, 0, NULL, NULL, 0), PDM_OK);

    {
        static const char *const bad[] = {
            "1AF545FE2823DC9347064450F90FF1BBF957E14",   /* 39 */
            "1AF545FE2823DC9347064450F90FF1BBF957E1466", /* 41 */
            "1AF545FE2823DC9347064450F90FF1BBF957E14G",  /* non-hex */
            " 1AF545FE2823DC9347064450F90FF1BBF957E146",
            "1AF545FE2823DC9347064450F90FF1BBF957E14 ",
            "0x1AF545FE2823DC9347064450F90FF1BBF957E1",
            "",
        };
        for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
            err[0] = 0;
            CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, IMSI_E2, NULL,
                                               body, len, bad[i], 0, NULL, err,
                                               sizeof err), PDM_EPARSE);
            CU_ASSERT(err[0] != 0);
        }
    }
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, IMSI_E2, NULL, body,
                                       len, NULL, 0, NULL, err, sizeof err),
                    PDM_EPARSE);
    /* a valid-looking but wrong MAC */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, IMSI_E2, NULL, body,
                                       len,
                                       "1AF545FE2823DC9347064450F90FF1BBF957E147",
                                       0, NULL, err, sizeof err), PDM_EAUTH);
    free(body);
}

/* Missing PIN / IMSI and unknown methods are EINVAL with a clear text. */
static void test_secmac__missing_inputs(void)
{
    const char *mac = "6CD48BFD7FFC33183154734DF4434DA694E25E6A";
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    char err[128];
    char longpin[80];

    err[0] = 0;
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, NULL, body, len,
                                       mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    PDM_ASSERT_STR(err, "SEC=USERPIN needs a user PIN");
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, "", body, len,
                                       mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERNETWPIN, IMSI_E2, NULL,
                                       body, len, mac, PDM__SECMAC_DM, NULL,
                                       err, sizeof err), PDM_EINVAL);
    PDM_ASSERT_STR(err, "SEC=USERNETWPIN needs a user PIN");
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, NULL, "1234", body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    PDM_ASSERT_STR(err, "SEC=NETWPIN needs the subscriber IMSI");
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERNETWPIN, "", "1234", body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NETWPIN, "12345", NULL, body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    PDM_ASSERT_STR(err, "IMSI must be 6 to 15 decimal digits");
    memset(longpin, '7', 65);
    longpin[65] = 0;
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, longpin, body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    longpin[64] = 0; /* 64 is the limit: accepted, just wrong */
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, longpin, body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_NONE, IMSI_E2, "1234", body,
                                       len, mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_verify(5, IMSI_E2, "1234", body, len, mac, 0,
                                       NULL, err, sizeof err), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, "1234", NULL, 3,
                                       mac, 0, NULL, err, sizeof err),
                    PDM_EINVAL);
    free(body);
}

/* No error text of a failing call contains the PIN, the IMSI or its key. */
static void test_secmac__no_secret_in_errors(void)
{
    static const char *const pins[] = {"987654", "5550123499"};
    static const char *const imsis[] = {"001010123456789", "31041012345678",
                                        "1234567890123456", "98765"};
    const char *secrets[] = {"987654", "5550123499", "001010123456789",
                             "0910101032547698", "31041012345678",
                             "1234567890123456", "98765"};
    size_t len;
    uint8_t *body = rd(EMPTY, &len);
    int fails = 0, n = 0;

    for (int sec = 0; sec <= 5; sec++)
        for (size_t p = 0; p < 3; p++)
            for (size_t i = 0; i < 5; i++)
                for (int mac = 0; mac < 3; mac++) {
                    const char *pin = p < 2 ? pins[p] : NULL;
                    const char *imsi = i < 4 ? imsis[i] : NULL;
                    const char *m = mac == 0 ? NULL
                                    : mac == 1
                                        ? "1AF545FE2823DC9347064450F90FF1BBF957E146"
                                        : "1AF5";
                    char errs[3][160];
                    char out[64];
                    int rc[3];
                    memset(errs, 0, sizeof errs);
                    rc[0] = pdm__secmac_verify(sec, imsi, pin, body, len, m,
                                               PDM__SECMAC_DM, NULL, errs[0],
                                               sizeof errs[0]);
                    rc[1] = pdm__secmac_compute(sec, imsi, pin, (unsigned)mac,
                                                body, len, out, errs[1],
                                                sizeof errs[1]);
                    rc[2] = pdm__secmac_userpinmac_pin(pin, body, len, out,
                                                       sizeof out, errs[2],
                                                       sizeof errs[2]);
                    for (int k = 0; k < 3; k++) {
                        if (rc[k] == PDM_OK)
                            continue;
                        n++;
                        CU_ASSERT(errs[k][0] != 0);
                        for (size_t s = 0; s < PDM__ARRAY_LEN(secrets); s++)
                            if (strstr(errs[k], secrets[s])) {
                                fails++;
                                fprintf(stderr, "secret in error: %s\n",
                                        errs[k]);
                            }
                    }
                }
    CU_ASSERT(n > 100); /* the loop did exercise failures */
    CU_ASSERT_EQUAL(fails, 0);
    /* IMSI key errors */
    {
        uint8_t k[8];
        size_t kl;
        char err[128] = "";
        CU_ASSERT_EQUAL(pdm__secmac_imsi_key("00101012345678X", k, &kl, err,
                                             sizeof err), PDM_EINVAL);
        CU_ASSERT_PTR_NULL(strstr(err, "00101012345678"));
    }
    free(body);
}

/* SEC names and numbers, both spellings. */
static void test_secmac__sec_parse(void)
{
    static const struct {
        const char *t;
        int sec;
    } ok[] = {
        {"0", PDM_SEC_NETWPIN},           {"1", PDM_SEC_USERPIN},
        {"2", PDM_SEC_USERNETWPIN},       {"3", PDM_SEC_USERPINMAC},
        {"NETWPIN", PDM_SEC_NETWPIN},     {"networkid", PDM_SEC_NETWPIN},
        {"UserPin", PDM_SEC_USERPIN},     {"USERNETWPIN", PDM_SEC_USERNETWPIN},
        {"USERPIN_NETWORKID", PDM_SEC_USERNETWPIN},
        {"userpinmac", PDM_SEC_USERPINMAC},
    };
    static const char *const bad[] = {"4", "", "NONE", "USERPIN ", "-1", "00"};
    int sec;
    for (size_t i = 0; i < PDM__ARRAY_LEN(ok); i++) {
        sec = -1;
        CU_ASSERT_EQUAL(pdm__secmac_sec_parse(ok[i].t, &sec), PDM_OK);
        CU_ASSERT_EQUAL(sec, ok[i].sec);
    }
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++)
        CU_ASSERT_EQUAL(pdm__secmac_sec_parse(bad[i], &sec), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm__secmac_sec_parse(NULL, &sec), PDM_ENOTSUP);
    PDM_ASSERT_STR(pdm__secmac_sec_name(PDM_SEC_NONE), "NONE");
    PDM_ASSERT_STR(pdm__secmac_sec_name(PDM_SEC_NETWPIN), "NETWPIN");
    PDM_ASSERT_STR(pdm__secmac_sec_name(PDM_SEC_USERPINMAC), "USERPINMAC");
    PDM_ASSERT_STR(pdm__secmac_sec_name(9), "?");
}

static const pdm_test tests[] = {
    {"e1_userpin", test_secmac__e1_userpin},
    {"e2_netwpin", test_secmac__e2_netwpin},
    {"e3_imsi_key", test_secmac__e3_imsi_key},
    {"e4_userpin", test_secmac__e4_userpin},
    {"e5_usernetwpin", test_secmac__e5_usernetwpin},
    {"e6_userpinmac", test_secmac__e6_userpinmac},
    {"funambol_w7", test_secmac__funambol_w7},
    {"mac_format", test_secmac__mac_format},
    {"missing_inputs", test_secmac__missing_inputs},
    {"no_secret_in_errors", test_secmac__no_secret_in_errors},
    {"sec_parse", test_secmac__sec_parse},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"secmac", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
