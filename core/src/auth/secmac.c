/*
 * Bootstrap security: SEC/MAC (HMAC-SHA1 over the exact document bytes,
 * MAC as 40 hex digits) for NETWPIN, USERPIN, USERNETWPIN and USERPINMAC,
 * and the IMSI semi-octet key.  See auth.h and omadm-facts §8.3, §9.4.
 */
#include "auth/auth.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <polydm/bootstrap.h>

#define SHA1_LEN 20
#define PINMAC_MIN 10 /* USERPINMAC: |K| + |m| */
#define PINMAC_MAX (2 * SHA1_LEN)
/* largest key: PIN ":" IMSI-key, or IMSI-key PIN */
#define KEY_MAX (PDM__SECMAC_PIN_MAX + 1 + PDM__IMSI_KEY_MAX)

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int pdm__secmac_imsi_key(const char *imsi, uint8_t out[PDM__IMSI_KEY_MAX],
                         size_t *outlen, char *err, size_t errlen)
{
    size_t n, k = 0;
    if (!imsi || !out || !outlen) {
        pdm__errf(err, errlen, "IMSI missing");
        return PDM_EINVAL;
    }
    n = strnlen(imsi, 16);
    if (n < 6 || n > 15 || !all_digits(imsi, n)) {
        pdm__errf(err, errlen,
                  "IMSI must be 6 to 15 decimal digits");
        return PDM_EINVAL;
    }
    out[k++] = (uint8_t)((imsi[0] - '0') << 4 | 0x1 | (n % 2 ? 0x8 : 0));
    for (size_t i = 1; i < n; i += 2) {
        unsigned lo = (unsigned)(imsi[i] - '0');
        unsigned hi = i + 1 < n ? (unsigned)(imsi[i + 1] - '0') : 0xFu;
        out[k++] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = k;
    return PDM_OK;
}

static const char *const sec_names[] = {"NONE", "NETWPIN", "USERPIN",
                                        "USERNETWPIN", "USERPINMAC"};

const char *pdm__secmac_sec_name(int sec)
{
    if (sec < PDM_SEC_NONE || sec > PDM_SEC_USERPINMAC)
        return "?";
    return sec_names[sec];
}

int pdm__secmac_sec_parse(const char *text, int *sec)
{
    static const struct {
        const char *name;
        int sec;
    } map[] = {
        {"0", PDM_SEC_NETWPIN},           {"1", PDM_SEC_USERPIN},
        {"2", PDM_SEC_USERNETWPIN},       {"3", PDM_SEC_USERPINMAC},
        {"NETWPIN", PDM_SEC_NETWPIN},     {"NETWORKID", PDM_SEC_NETWPIN},
        {"USERPIN", PDM_SEC_USERPIN},     {"USERNETWPIN", PDM_SEC_USERNETWPIN},
        {"USERPIN_NETWORKID", PDM_SEC_USERNETWPIN},
        {"USERPINMAC", PDM_SEC_USERPINMAC},
    };
    if (!text || !sec)
        return PDM_ENOTSUP;
    for (size_t i = 0; i < PDM__ARRAY_LEN(map); i++)
        if (pdm__strcaseeq(text, map[i].name)) {
            *sec = map[i].sec;
            return PDM_OK;
        }
    return PDM_ENOTSUP;
}

/* Checks that `pin` is present and usable as key material. */
static int check_pin(int sec, const char *pin, char *err, size_t errlen)
{
    size_t n = pin ? strnlen(pin, PDM__SECMAC_PIN_MAX + 1) : 0;
    if (n == 0) {
        pdm__errf(err, errlen, "SEC=%s needs a user PIN",
                  pdm__secmac_sec_name(sec));
        return PDM_EINVAL;
    }
    if (n > PDM__SECMAC_PIN_MAX) {
        pdm__errf(err, errlen, "user PIN longer than %d characters",
                  PDM__SECMAC_PIN_MAX);
        return PDM_EINVAL;
    }
    return PDM_OK;
}

/* Builds the HMAC key of method `sec` / key variant into key[KEY_MAX]. */
static int make_key(int sec, const char *imsi, const char *pin,
                    unsigned variant, uint8_t *key, size_t *klen, char *err,
                    size_t errlen)
{
    uint8_t ik[PDM__IMSI_KEY_MAX];
    size_t iklen = 0, plen;
    int rc;

    *klen = 0;
    if (sec < PDM_SEC_NETWPIN || sec > PDM_SEC_USERNETWPIN) {
        pdm__errf(err, errlen, "unknown or unsupported SEC method %d",
                  sec);
        return PDM_EINVAL;
    }
    if (variant != PDM__SECMAC_KEY_PRIMARY &&
        !(sec == PDM_SEC_USERNETWPIN &&
          variant == PDM__SECMAC_KEY_PIN_COLON_IMSI)) {
        pdm__errf(err, errlen, "key variant %u does not exist for "
                  "SEC=%s", variant, pdm__secmac_sec_name(sec));
        return PDM_EINVAL;
    }
    if (sec != PDM_SEC_USERPIN) {
        if (!imsi || !*imsi) {
            pdm__errf(err, errlen, "SEC=%s needs the subscriber IMSI",
                      pdm__secmac_sec_name(sec));
            return PDM_EINVAL;
        }
        rc = pdm__secmac_imsi_key(imsi, ik, &iklen, err, errlen);
        if (rc != PDM_OK)
            return rc;
    }
    if (sec != PDM_SEC_NETWPIN) {
        rc = check_pin(sec, pin, err, errlen);
        if (rc != PDM_OK) {
            gnutls_memset(ik, 0, sizeof ik);
            return rc;
        }
    }
    plen = pin ? strnlen(pin, PDM__SECMAC_PIN_MAX) : 0;
    switch (sec) {
    case PDM_SEC_NETWPIN:
        memcpy(key, ik, iklen);
        *klen = iklen;
        break;
    case PDM_SEC_USERPIN:
        memcpy(key, pin, plen);
        *klen = plen;
        break;
    default: /* USERNETWPIN */
        if (variant == PDM__SECMAC_KEY_PRIMARY) {
            memcpy(key, ik, iklen);
            memcpy(key + iklen, pin, plen);
        } else {
            memcpy(key, pin, plen);
            key[plen] = ':';
            memcpy(key + plen + 1, ik, iklen);
            iklen++;
        }
        *klen = iklen + plen;
        break;
    }
    gnutls_memset(ik, 0, sizeof ik);
    return PDM_OK;
}

static int hmac_sha1(const uint8_t *key, size_t klen, const uint8_t *body,
                     size_t len, uint8_t out[SHA1_LEN])
{
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, klen, len ? (const void *)body
                         : "", len, out) < 0)
        return PDM_ERROR;
    return PDM_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* USERPINMAC: pin = K || m. */
static int verify_pinmac(const char *pin, const uint8_t *body, size_t len,
                         char *err, size_t errlen)
{
    uint8_t m[SHA1_LEN], expect[SHA1_LEN];
    size_t n = pin ? strnlen(pin, PINMAC_MAX + 1) : 0, half;
    int rc;

    if (n == 0) {
        pdm__errf(err, errlen, "SEC=USERPINMAC needs a user PIN");
        return PDM_EINVAL;
    }
    if (n < PINMAC_MIN || n > PINMAC_MAX || n % 2 || !all_digits(pin, n)) {
        pdm__errf(err, errlen, "SEC=USERPINMAC PIN must be an even "
                  "number (%d to %d) of decimal digits", PINMAC_MIN,
                  PINMAC_MAX);
        return PDM_EINVAL;
    }
    half = n / 2;
    rc = hmac_sha1((const uint8_t *)pin, half, body, len, m);
    if (rc != PDM_OK)
        return rc;
    for (size_t i = 0; i < half; i++)
        expect[i] = (uint8_t)('0' + m[i] % 10);
    rc = gnutls_memcmp(expect, pin + half, half) == 0 ? PDM_OK : PDM_EAUTH;
    gnutls_memset(m, 0, sizeof m);
    gnutls_memset(expect, 0, sizeof expect);
    if (rc != PDM_OK)
        pdm__errf(err, errlen, "SEC=USERPINMAC: the PIN does not match "
                  "the document");
    return rc;
}

int pdm__secmac_verify(int sec, const char *imsi, const char *pin,
                       const uint8_t *body, size_t len, const char *mac_hex,
                       unsigned flags, unsigned *variant, char *err,
                       size_t errlen)
{
    uint8_t want[SHA1_LEN], got[SHA1_LEN], key[KEY_MAX];
    unsigned nvar;
    int rc;

    if (!body && len) {
        pdm__errf(err, errlen, "no document");
        return PDM_EINVAL;
    }
    if (sec == PDM_SEC_USERPINMAC) {
        rc = verify_pinmac(pin, body, len, err, errlen);
        if (rc == PDM_OK && variant)
            *variant = PDM__SECMAC_KEY_PRIMARY;
        return rc;
    }
    if (sec < PDM_SEC_NETWPIN || sec > PDM_SEC_USERNETWPIN) {
        pdm__errf(err, errlen, "unknown or unsupported SEC method %d",
                  sec);
        return PDM_EINVAL;
    }
    if (!mac_hex || !*mac_hex) {
        pdm__errf(err, errlen, "SEC=%s without a MAC parameter",
                  pdm__secmac_sec_name(sec));
        return PDM_EPARSE;
    }
    if (strnlen(mac_hex, PDM__SECMAC_HEX_LEN + 1) != PDM__SECMAC_HEX_LEN) {
        pdm__errf(err, errlen, "MAC must be exactly %d hex digits",
                  PDM__SECMAC_HEX_LEN);
        return PDM_EPARSE;
    }
    for (size_t i = 0; i < SHA1_LEN; i++) {
        int hi = hexval(mac_hex[2 * i]), lo = hexval(mac_hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            pdm__errf(err, errlen, "MAC must be exactly %d hex digits",
                      PDM__SECMAC_HEX_LEN);
            return PDM_EPARSE;
        }
        got[i] = (uint8_t)(hi << 4 | lo);
    }
    nvar = (sec == PDM_SEC_USERNETWPIN &&
            (flags & PDM__SECMAC_ALT_PIN_COLON_IMSI)) ? 2 : 1;
    for (unsigned v = 0; v < nvar; v++) {
        size_t klen;
        int same;
        rc = make_key(sec, imsi, pin, v, key, &klen, err, errlen);
        if (rc != PDM_OK)
            return rc;
        rc = hmac_sha1(key, klen, body, len, want);
        gnutls_memset(key, 0, sizeof key);
        if (rc != PDM_OK) {
            pdm__errf(err, errlen, "HMAC-SHA1 failed");
            return rc;
        }
        same = gnutls_memcmp(want, got, SHA1_LEN) == 0;
        gnutls_memset(want, 0, sizeof want);
        if (same) {
            if (variant)
                *variant = v;
            return PDM_OK;
        }
    }
    pdm__errf(err, errlen, "SEC=%s: MAC does not match the document",
              pdm__secmac_sec_name(sec));
    return PDM_EAUTH;
}

int pdm__secmac_compute(int sec, const char *imsi, const char *pin,
                        unsigned variant, const uint8_t *body, size_t len,
                        char out_hex[PDM__SECMAC_HEX_LEN + 1], char *err,
                        size_t errlen)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t key[KEY_MAX], mac[SHA1_LEN];
    size_t klen;
    int rc;

    if (!out_hex || (!body && len)) {
        pdm__errf(err, errlen, "no document or output");
        return PDM_EINVAL;
    }
    out_hex[0] = '\0';
    if (sec == PDM_SEC_USERPINMAC) {
        pdm__errf(err, errlen, "SEC=USERPINMAC has no MAC parameter; "
                  "use pdm__secmac_userpinmac_pin");
        return PDM_EINVAL;
    }
    rc = make_key(sec, imsi, pin, variant, key, &klen, err, errlen);
    if (rc != PDM_OK)
        return rc;
    rc = hmac_sha1(key, klen, body, len, mac);
    gnutls_memset(key, 0, sizeof key);
    if (rc != PDM_OK) {
        pdm__errf(err, errlen, "HMAC-SHA1 failed");
        return rc;
    }
    for (size_t i = 0; i < SHA1_LEN; i++) {
        out_hex[2 * i] = hex[mac[i] >> 4];
        out_hex[2 * i + 1] = hex[mac[i] & 15];
    }
    out_hex[PDM__SECMAC_HEX_LEN] = '\0';
    return PDM_OK;
}

int pdm__secmac_userpinmac_pin(const char *key_digits, const uint8_t *body,
                               size_t len, char *out, size_t outsz,
                               char *err, size_t errlen)
{
    uint8_t m[SHA1_LEN];
    size_t n = key_digits ? strnlen(key_digits, SHA1_LEN + 1) : 0;
    int rc;

    if (!out || !outsz || (!body && len)) {
        pdm__errf(err, errlen, "no document or output");
        return PDM_EINVAL;
    }
    out[0] = '\0';
    if (n < PINMAC_MIN / 2 || n > SHA1_LEN || !all_digits(key_digits, n)) {
        pdm__errf(err, errlen, "USERPINMAC key must be %d to %d decimal "
                  "digits", PINMAC_MIN / 2, SHA1_LEN);
        return PDM_EINVAL;
    }
    if (outsz < 2 * n + 1) {
        pdm__errf(err, errlen, "output buffer too small");
        return PDM_ETOOBIG;
    }
    rc = hmac_sha1((const uint8_t *)key_digits, n, body, len, m);
    if (rc != PDM_OK) {
        pdm__errf(err, errlen, "HMAC-SHA1 failed");
        return rc;
    }
    memcpy(out, key_digits, n);
    for (size_t i = 0; i < n; i++)
        out[n + i] = (char)('0' + m[i] % 10);
    out[2 * n] = '\0';
    gnutls_memset(m, 0, sizeof m);
    return PDM_OK;
}
