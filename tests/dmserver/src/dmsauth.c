/*
 * The test server's own DM authentication formulas (see dmsauth.h).
 */
#include "dmsauth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

static const char b64abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void dms_b64_encode(const void *p, size_t n, pdm__buf *out)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        char q[4];
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        q[0] = b64abc[v >> 18 & 63];
        q[1] = b64abc[v >> 12 & 63];
        q[2] = i + 1 < n ? b64abc[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? b64abc[v & 63] : '=';
        pdm__buf_append(out, q, 4);
    }
}

int dms_b64_decode(const char *text, size_t len, uint8_t **out,
                   size_t *outlen)
{
    uint8_t *d = pdm__malloc(len / 4 * 3 + 4);
    size_t n = 0, pad = 0, k = 0;
    uint32_t v = 0;
    *out = NULL;
    *outlen = 0;
    if (!d)
        return -1;
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    while (len && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        const char *c = strchr(b64abc, text[i]);
        if (text[i] == '\r' || text[i] == '\n')
            continue;
        if (text[i] == '=' && pad < 2) {
            pad++;
            c = b64abc; /* counts as zero bits */
        } else if (!c || !text[i] || pad) {
            pdm__free(d);
            return -1;
        }
        v = v << 6 | (uint32_t)(c - b64abc);
        if (++k % 4 == 0) {
            d[n++] = (uint8_t)(v >> 16);
            d[n++] = (uint8_t)(v >> 8);
            d[n++] = (uint8_t)v;
            v = 0;
        }
    }
    if (k % 4) {
        pdm__free(d);
        return -1;
    }
    n -= pad;
    d[n] = 0;
    *out = d;
    *outlen = n;
    return 0;
}

static void md5(const void *p, size_t n, uint8_t out[DMS_MD5_LEN])
{
    if (gnutls_hash_fast(GNUTLS_DIG_MD5, p, n, out) != 0)
        abort(); /* a test server without MD5 cannot judge anything */
}

/* B64(MD5(s)) as a C string. */
static void b64_md5(const void *p, size_t n, char out[DMS_B64_MD5_SIZE])
{
    uint8_t d[DMS_MD5_LEN];
    pdm__buf b;
    md5(p, n, d);
    pdm__buf_init(&b);
    dms_b64_encode(d, sizeof d, &b);
    if (!pdm__buf_ok(&b) || b.len != DMS_B64_MD5_SIZE - 1)
        abort();
    memcpy(out, b.data, b.len);
    out[b.len] = 0;
    pdm__buf_free(&b);
}

/* MD5(B64(MD5(user ":" pw)) ":" nonce [":" B64(MD5(body))]) */
static void digest(const char *user, const char *pw, const uint8_t *nonce,
                   size_t nlen, const void *body, size_t blen, bool with_body,
                   uint8_t out[DMS_MD5_LEN])
{
    pdm__buf b;
    char h[DMS_B64_MD5_SIZE];
    pdm__buf_init(&b);
    pdm__buf_printf(&b, "%s:%s", user, pw);
    b64_md5(b.data, b.len, h);
    b.len = 0;
    pdm__buf_printf(&b, "%s:", h);
    if (nlen)
        pdm__buf_append(&b, nonce, nlen);
    if (with_body) {
        b64_md5(body, blen, h);
        pdm__buf_printf(&b, ":%s", h);
    }
    if (!pdm__buf_ok(&b))
        abort();
    md5(b.data, b.len, out);
    pdm__buf_free(&b);
}

static void to_b64_md5(const uint8_t d[DMS_MD5_LEN], char out[DMS_B64_MD5_SIZE])
{
    pdm__buf b;
    pdm__buf_init(&b);
    dms_b64_encode(d, DMS_MD5_LEN, &b);
    if (!pdm__buf_ok(&b))
        abort();
    memcpy(out, b.data, DMS_B64_MD5_SIZE - 1);
    out[DMS_B64_MD5_SIZE - 1] = 0;
    pdm__buf_free(&b);
}

void dms_auth_basic(const char *user, const char *pw, pdm__buf *out)
{
    pdm__buf b;
    pdm__buf_init(&b);
    pdm__buf_printf(&b, "%s:%s", user, pw);
    dms_b64_encode(b.data, b.len, out);
    pdm__buf_free(&b);
}

void dms_auth_md5(const char *user, const char *pw, const uint8_t *nonce,
                  size_t nlen, char out[DMS_B64_MD5_SIZE])
{
    uint8_t d[DMS_MD5_LEN];
    digest(user, pw, nonce, nlen, NULL, 0, false, d);
    to_b64_md5(d, out);
}

/* The 16 bytes a base64 text stands for, compared in constant time. */
static bool same_digest(const char *text, size_t len,
                        const uint8_t want[DMS_MD5_LEN])
{
    uint8_t *got = NULL;
    size_t gl = 0;
    bool ok = dms_b64_decode(text, len, &got, &gl) == 0 &&
              gl == DMS_MD5_LEN && gnutls_memcmp(got, want, gl) == 0;
    pdm__free(got);
    return ok;
}

bool dms_auth_md5_ok(const char *user, const char *pw, const uint8_t *nonce,
                     size_t nlen, const char *cred, size_t len)
{
    uint8_t d[DMS_MD5_LEN];
    digest(user, pw, nonce, nlen, NULL, 0, false, d);
    return same_digest(cred, len, d);
}

void dms_auth_mac(const char *user, const char *pw, const uint8_t *nonce,
                  size_t nlen, const void *body, size_t blen,
                  char out[DMS_B64_MD5_SIZE])
{
    uint8_t d[DMS_MD5_LEN];
    digest(user, pw, nonce, nlen, body, blen, true, d);
    to_b64_md5(d, out);
}

bool dms_auth_mac_ok(const char *user, const char *pw, const uint8_t *nonce,
                     size_t nlen, const void *body, size_t blen,
                     const char *mac)
{
    uint8_t d[DMS_MD5_LEN];
    digest(user, pw, nonce, nlen, body, blen, true, d);
    return same_digest(mac, strlen(mac), d);
}

void dms_hmac_header(const char *user, const char *mac, pdm__buf *out)
{
    pdm__buf_puts(out, "algorithm=MD5, username=\"");
    for (const char *c = user; *c; c++) {
        if (*c == '"' || *c == '\\')
            pdm__buf_putc(out, '\\');
        pdm__buf_putc(out, *c);
    }
    pdm__buf_printf(out, "\", mac=%s", mac);
}

int dms_hmac_header_parse(const char *value, char *user, size_t ulen,
                          char *mac, size_t mlen, char *err, size_t errlen)
{
    const char *p = value;
    bool have_user = false, have_mac = false;
    user[0] = mac[0] = 0;
    for (;;) {
        char key[32], val[300];
        size_t kl = 0, vl = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        while (isalpha((unsigned char)*p) && kl < sizeof key - 1)
            key[kl++] = *p++;
        key[kl] = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!kl || *p++ != '=') {
            snprintf(err, errlen, "expected key=value at offset %zu",
                     (size_t)(p - value));
            return -1;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (vl < sizeof val - 1)
                    val[vl++] = *p;
            }
            if (*p++ != '"') {
                snprintf(err, errlen, "unterminated quoted value");
                return -1;
            }
        } else {
            while (*p && *p != ',' && *p != ' ' && *p != '\t' &&
                   vl < sizeof val - 1)
                val[vl++] = *p++;
        }
        val[vl] = 0;
        if (strcasecmp(key, "username") == 0) {
            have_user = vl && vl < ulen;
            snprintf(user, ulen, "%s", val);
        } else if (strcasecmp(key, "mac") == 0) {
            have_mac = vl && vl < mlen;
            snprintf(mac, mlen, "%s", val);
        } else if (strcasecmp(key, "algorithm") == 0 &&
                   strcasecmp(val, "MD5") != 0) {
            snprintf(err, errlen, "algorithm %.32s is not MD5", val);
            return -1;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (*p++ != ',') {
            snprintf(err, errlen, "expected ',' at offset %zu",
                     (size_t)(p - 1 - value));
            return -1;
        }
    }
    if (!have_user || !have_mac) {
        snprintf(err, errlen, "username and mac are required");
        return -1;
    }
    return 0;
}

void dms_pkg0_digest(const char *server_id, const char *pw,
                     const uint8_t *nonce, size_t nlen, const uint8_t *trigger,
                     size_t tlen, uint8_t out[DMS_MD5_LEN])
{
    digest(server_id, pw, nonce, nlen, trigger, tlen, true, out);
}

void dms_random(void *p, size_t n)
{
    if (gnutls_rnd(GNUTLS_RND_NONCE, p, n) != 0)
        abort();
}

void dms_sid_hex(uint16_t sid, char out[5])
{
    snprintf(out, 5, "%X", (unsigned)sid);
}
