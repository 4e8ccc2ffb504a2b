/*
 * The test server's own bootstrap SEC/MAC (see dmssec.h).
 */
#include "dmssec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <polydm/bootstrap.h>

#define SHA1_LEN 20

static size_t digits(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return s[n] ? 0 : n;
}

int dms_sec_parse(const char *text)
{
    static const struct {
        const char *name;
        int sec;
    } names[] = {
        {"NETWPIN", PDM_SEC_NETWPIN},         {"NETWORKID", PDM_SEC_NETWPIN},
        {"USERPIN", PDM_SEC_USERPIN},         {"USERNETWPIN", PDM_SEC_USERNETWPIN},
        {"USERPIN_NETWORKID", PDM_SEC_USERNETWPIN},
        {"USERPINMAC", PDM_SEC_USERPINMAC},
    };
    if (!text)
        return -1;
    /* the wire value is the pdm_sec value minus one */
    if (text[0] >= '0' && text[0] <= '3' && !text[1])
        return text[0] - '0' + PDM_SEC_NETWPIN;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(text, names[i].name) == 0)
            return names[i].sec;
    return -1;
}

int dms_key_order_parse(const char *text)
{
    if (text && strcmp(text, "imsi-pin") == 0)
        return DMS_KEY_IMSI_PIN;
    if (text && strcmp(text, "pin:imsi") == 0)
        return DMS_KEY_PIN_COLON_IMSI;
    return -1;
}

/* GSM 11.11 EF_IMSI: a nibble stream, low nibble of each byte first: the
 * identity type (1 = IMSI, | 8 when the digit count is odd), the digits,
 * then 0xF to fill the last byte. */
int dms_imsi_key(const char *imsi, uint8_t out[DMS_IMSI_KEY_MAX], size_t *n,
                 char *err, size_t errlen)
{
    uint8_t nib[2 * DMS_IMSI_KEY_MAX];
    size_t len = imsi ? digits(imsi) : 0, k = 0;
    if (len < 6 || len > 15) {
        snprintf(err, errlen, "the IMSI must be 6 to 15 decimal digits");
        return -1;
    }
    nib[k++] = (uint8_t)(len % 2 ? 0x9 : 0x1);
    for (size_t i = 0; i < len; i++)
        nib[k++] = (uint8_t)(imsi[i] - '0');
    if (k % 2)
        nib[k++] = 0xF;
    for (size_t i = 0; i < k; i += 2)
        out[i / 2] = (uint8_t)(nib[i + 1] << 4 | nib[i]);
    *n = k / 2;
    return 0;
}

static int hmac_sha1(const void *key, size_t klen, const uint8_t *doc,
                     size_t len, uint8_t out[SHA1_LEN], char *err,
                     size_t errlen)
{
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, klen, len ? (const void *)doc
                         : "", len, out) != 0) {
        snprintf(err, errlen, "HMAC-SHA1 is not available");
        return -1;
    }
    return 0;
}

int dms_sec_mac(int sec, const char *imsi, const char *pin, int order,
                const uint8_t *doc, size_t len, char out[DMS_SEC_HEX_SIZE],
                char *err, size_t errlen)
{
    uint8_t ik[DMS_IMSI_KEY_MAX], key[DMS_PIN_MAX + 1 + DMS_IMSI_KEY_MAX];
    uint8_t mac[SHA1_LEN];
    size_t iklen = 0, plen = pin ? strlen(pin) : 0, klen = 0;
    int rc;
    bool use_imsi = sec == PDM_SEC_NETWPIN || sec == PDM_SEC_USERNETWPIN;
    bool use_pin = sec == PDM_SEC_USERPIN || sec == PDM_SEC_USERNETWPIN;

    out[0] = '\0';
    if (!use_imsi && !use_pin) {
        snprintf(err, errlen, "SEC %d has no MAC parameter", sec);
        return -1;
    }
    if (use_imsi && dms_imsi_key(imsi, ik, &iklen, err, errlen) != 0)
        return -1;
    if (use_pin && (plen == 0 || plen > DMS_PIN_MAX)) {
        snprintf(err, errlen, "the PIN must be 1 to %d characters",
                 DMS_PIN_MAX);
        return -1;
    }
    if (sec == PDM_SEC_USERNETWPIN && order == DMS_KEY_PIN_COLON_IMSI) {
        memcpy(key, pin, plen);
        key[plen] = ':';
        klen = plen + 1;
        memcpy(key + klen, ik, iklen);
        klen += iklen;
    } else {
        if (use_imsi) {
            memcpy(key, ik, iklen);
            klen = iklen;
        }
        if (use_pin) {
            memcpy(key + klen, pin, plen);
            klen += plen;
        }
    }
    rc = hmac_sha1(key, klen, doc, len, mac, err, errlen);
    gnutls_memset(key, 0, sizeof key);
    gnutls_memset(ik, 0, sizeof ik);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < SHA1_LEN; i++)
        snprintf(out + 2 * i, 3, "%02X", mac[i]);
    return 0;
}

int dms_userpinmac_pin(const char *k, const uint8_t *doc, size_t len,
                       char out[DMS_USER_PIN_SIZE], char *err,
                       size_t errlen)
{
    uint8_t mac[SHA1_LEN];
    size_t n = k ? digits(k) : 0;
    out[0] = '\0';
    if (n < DMS_PINMAC_KEY_MIN || n > DMS_PINMAC_KEY_MAX) {
        snprintf(err, errlen, "the USERPINMAC key must be %d to %d digits",
                 DMS_PINMAC_KEY_MIN, DMS_PINMAC_KEY_MAX);
        return -1;
    }
    if (hmac_sha1(k, n, doc, len, mac, err, errlen) != 0)
        return -1;
    memcpy(out, k, n);
    for (size_t i = 0; i < n; i++)
        out[n + i] = (char)('0' + mac[i] % 10);
    out[2 * n] = '\0';
    return 0;
}
