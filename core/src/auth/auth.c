/*
 * base64 over GnuTLS and DM application-layer authentication (basic, md5,
 * HMAC / x-syncml-hmac, nonces).  See auth.h for the contract.
 */
#include "auth/auth.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* GnuTLS datums carry an unsigned int size; stay far below it. */
#define B64_MAX_IN ((size_t)1 << 30)

/* ---- base64 ------------------------------------------------------------ */

static bool is_b64_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static bool is_ows(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Runs gnutls_base64_encode2; on success *res holds gnutls-allocated text. */
static int b64_gnutls(const void *data, size_t len, gnutls_datum_t *res)
{
    gnutls_datum_t in;
    res->data = NULL;
    res->size = 0;
    if (len > B64_MAX_IN)
        return PDM_ETOOBIG;
    if (len == 0)
        return PDM_OK;
    in.data = (unsigned char *)data;
    in.size = (unsigned)len;
    if (gnutls_base64_encode2(&in, res) < 0)
        return PDM_ENOMEM; /* the only failure for valid input */
    return PDM_OK;
}

/* GnuTLS-allocated base64 text may encode a secret (Basic credentials):
 * wipe it before it goes back to the heap. */
static void b64_free(gnutls_datum_t *d)
{
    if (d->data) {
        gnutls_memset(d->data, 0, d->size);
        gnutls_free(d->data);
    }
    d->data = NULL;
    d->size = 0;
}

int pdm__b64_encode(const void *data, size_t len, pdm__buf *out)
{
    gnutls_datum_t res;
    int rc;
    if (!out || (!data && len))
        return PDM_EINVAL;
    rc = b64_gnutls(data, len, &res);
    if (rc != PDM_OK)
        return rc;
    if (res.size)
        pdm__buf_append(out, res.data, res.size);
    else
        pdm__buf_reserve(out, 0); /* data becomes a valid C string */
    b64_free(&res);
    return pdm__buf_ok(out) ? PDM_OK : PDM_ENOMEM;
}

int pdm__b64_encode_to(const void *data, size_t len, char *out, size_t outsz)
{
    gnutls_datum_t res;
    int rc;
    if (!out || !outsz || (!data && len))
        return PDM_EINVAL;
    out[0] = '\0';
    rc = b64_gnutls(data, len, &res);
    if (rc != PDM_OK)
        return rc;
    if (res.size >= outsz) {
        b64_free(&res);
        return PDM_ETOOBIG;
    }
    if (res.size)
        memcpy(out, res.data, res.size);
    out[res.size] = '\0';
    b64_free(&res);
    return PDM_OK;
}

int pdm__b64_decode(const char *text, size_t len, uint8_t **out,
                    size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t b = 0, e = len, nchars = 0, npad = 0;
    gnutls_datum_t in, res = {NULL, 0};
    uint8_t *copy;

    if (out)
        *out = NULL;
    if (outlen)
        *outlen = 0;
    if (!out || !outlen || (!text && len))
        return PDM_EINVAL;
    while (b < e && is_ows(s[b]))
        b++;
    while (e > b && is_ows(s[e - 1]))
        e--;
    if (e - b > B64_MAX_IN)
        return PDM_ETOOBIG;
    for (size_t i = b; i < e; i++) {
        unsigned char c = s[i];
        if (c == '\r' || c == '\n')
            continue; /* line wrapping */
        if (c == '=') {
            npad++;
        } else if (is_b64_alpha(c) && npad == 0) {
            nchars++;
        } else {
            return PDM_EPARSE; /* bad byte, or data after padding */
        }
    }
    if (npad > 2 || (nchars + npad) % 4 != 0 || (npad && nchars == 0))
        return PDM_EPARSE;
    if (nchars) {
        in.data = (unsigned char *)(s + b);
        in.size = (unsigned)(e - b);
        if (gnutls_base64_decode2(&in, &res) < 0)
            return PDM_EPARSE;
    }
    copy = pdm__malloc(res.size + 1);
    if (!copy) {
        b64_free(&res);
        return PDM_ENOMEM;
    }
    if (res.size)
        memcpy(copy, res.data, res.size);
    copy[res.size] = 0;
    *out = copy;
    *outlen = res.size;
    b64_free(&res); /* decoded nonces/credentials: no stray heap copy */
    return PDM_OK;
}

/* ---- digests ----------------------------------------------------------- */

/* B64(MD5(a ":" b)) into out (25 bytes). */
static int b64_md5_pair(const char *a, const char *b,
                        char out[PDM__B64_MD5_SIZE])
{
    gnutls_hash_hd_t h;
    uint8_t d[PDM__MD5_LEN];
    int rc;
    if (gnutls_hash_init(&h, GNUTLS_DIG_MD5) < 0)
        return PDM_ERROR;
    if (gnutls_hash(h, a, strlen(a)) < 0 || gnutls_hash(h, ":", 1) < 0 ||
        gnutls_hash(h, b, strlen(b)) < 0) {
        gnutls_hash_deinit(h, d);
        gnutls_memset(d, 0, sizeof d);
        return PDM_ERROR;
    }
    gnutls_hash_deinit(h, d);
    rc = pdm__b64_encode_to(d, sizeof d, out, PDM__B64_MD5_SIZE);
    gnutls_memset(d, 0, sizeof d);
    return rc;
}

/*
 * MD5( B64(MD5(user:pass)) ":" nonce [ ":" B64(MD5(body)) ] ); the third
 * part only when with_body.
 */
static int cred_digest(const char *user, const char *pass,
                       const uint8_t *nonce, size_t nlen, bool with_body,
                       const void *body, size_t blen,
                       uint8_t out[PDM__MD5_LEN])
{
    char up[PDM__B64_MD5_SIZE], bd[PDM__B64_MD5_SIZE] = "";
    gnutls_hash_hd_t h;
    int rc, bad = 0;

    if (!user || !pass || !out || (!nonce && nlen) || (!body && blen))
        return PDM_EINVAL;
    rc = b64_md5_pair(user, pass, up);
    if (rc != PDM_OK)
        return rc;
    if (with_body) {
        uint8_t d[PDM__MD5_LEN];
        if (gnutls_hash_fast(GNUTLS_DIG_MD5, blen ? body : "", blen, d) < 0) {
            gnutls_memset(up, 0, sizeof up);
            return PDM_ERROR;
        }
        rc = pdm__b64_encode_to(d, sizeof d, bd, sizeof bd);
        if (rc != PDM_OK) {
            gnutls_memset(up, 0, sizeof up);
            return rc;
        }
    }
    if (gnutls_hash_init(&h, GNUTLS_DIG_MD5) < 0) {
        gnutls_memset(up, 0, sizeof up);
        return PDM_ERROR;
    }
    bad |= gnutls_hash(h, up, PDM__B64_MD5_LEN) < 0;
    bad |= gnutls_hash(h, ":", 1) < 0;
    if (nlen)
        bad |= gnutls_hash(h, nonce, nlen) < 0;
    if (with_body) {
        bad |= gnutls_hash(h, ":", 1) < 0;
        bad |= gnutls_hash(h, bd, PDM__B64_MD5_LEN) < 0;
    }
    gnutls_hash_deinit(h, out);
    gnutls_memset(up, 0, sizeof up);
    if (bad) {
        gnutls_memset(out, 0, PDM__MD5_LEN);
        return PDM_ERROR;
    }
    return PDM_OK;
}

/* Decodes b64 text that must hold exactly 16 bytes and compares it in
 * constant time with `expect`. */
static int compare_b64_digest(const uint8_t expect[PDM__MD5_LEN],
                              const char *b64, size_t len)
{
    uint8_t *got = NULL;
    size_t glen = 0;
    int rc = pdm__b64_decode(b64, len, &got, &glen);
    if (rc != PDM_OK)
        return rc;
    if (glen != PDM__MD5_LEN)
        rc = PDM_EAUTH;
    else
        rc = gnutls_memcmp(expect, got, PDM__MD5_LEN) == 0 ? PDM_OK
                                                           : PDM_EAUTH;
    pdm__free(got);
    return rc;
}

/* ---- basic / md5 ------------------------------------------------------- */

int pdm__auth_basic(const char *user, const char *pass, pdm__buf *out)
{
    pdm__buf tmp;
    int rc;
    if (!user || !pass || !out || strchr(user, ':'))
        return PDM_EINVAL;
    pdm__buf_init(&tmp);
    pdm__buf_puts(&tmp, user);
    pdm__buf_putc(&tmp, ':');
    pdm__buf_puts(&tmp, pass);
    if (!pdm__buf_ok(&tmp))
        rc = PDM_ENOMEM;
    else
        rc = pdm__b64_encode(tmp.data, tmp.len, out);
    if (tmp.data)
        gnutls_memset(tmp.data, 0, tmp.cap);
    pdm__buf_free(&tmp);
    return rc;
}

int pdm__auth_md5_raw(const char *user, const char *pass,
                      const uint8_t *nonce, size_t nlen,
                      uint8_t out[PDM__MD5_LEN])
{
    return cred_digest(user, pass, nonce, nlen, false, NULL, 0, out);
}

int pdm__auth_md5(const char *user, const char *pass, const uint8_t *nonce,
                  size_t nlen, char out[PDM__B64_MD5_SIZE])
{
    uint8_t d[PDM__MD5_LEN];
    int rc;
    if (!out)
        return PDM_EINVAL;
    out[0] = '\0';
    rc = pdm__auth_md5_raw(user, pass, nonce, nlen, d);
    if (rc == PDM_OK)
        rc = pdm__b64_encode_to(d, sizeof d, out, PDM__B64_MD5_SIZE);
    gnutls_memset(d, 0, sizeof d);
    return rc;
}

int pdm__auth_md5_verify(const char *user, const char *pass,
                         const uint8_t *nonce, size_t nlen,
                         const char *cred_b64, size_t cred_len)
{
    uint8_t d[PDM__MD5_LEN];
    int rc;
    if (!cred_b64)
        return PDM_EINVAL;
    rc = pdm__auth_md5_raw(user, pass, nonce, nlen, d);
    if (rc == PDM_OK)
        rc = compare_b64_digest(d, cred_b64, cred_len);
    gnutls_memset(d, 0, sizeof d);
    return rc;
}

/* ---- HMAC (syncml:auth-MAC) -------------------------------------------- */

int pdm__auth_hmac_raw(const char *user, const char *pass,
                       const uint8_t *nonce, size_t nlen, const void *body,
                       size_t blen, uint8_t out[PDM__MD5_LEN])
{
    return cred_digest(user, pass, nonce, nlen, true, body, blen, out);
}

int pdm__auth_hmac_mac(const char *user, const char *pass,
                       const uint8_t *nonce, size_t nlen, const void *body,
                       size_t blen, char out[PDM__B64_MD5_SIZE])
{
    uint8_t d[PDM__MD5_LEN];
    int rc;
    if (!out)
        return PDM_EINVAL;
    out[0] = '\0';
    rc = pdm__auth_hmac_raw(user, pass, nonce, nlen, body, blen, d);
    if (rc == PDM_OK)
        rc = pdm__b64_encode_to(d, sizeof d, out, PDM__B64_MD5_SIZE);
    return rc;
}

int pdm__auth_hmac_verify(const char *user, const char *pass,
                          const uint8_t *nonce, size_t nlen, const void *body,
                          size_t blen, const char *mac_b64)
{
    uint8_t d[PDM__MD5_LEN];
    int rc;
    if (!mac_b64)
        return PDM_EINVAL;
    rc = pdm__auth_hmac_raw(user, pass, nonce, nlen, body, blen, d);
    if (rc == PDM_OK)
        rc = compare_b64_digest(d, mac_b64, strlen(mac_b64));
    return rc;
}

static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7F; }

int pdm__auth_hmac_header_build(const char *user, const char *mac_b64,
                                pdm__buf *out)
{
    if (!user || !mac_b64 || !out || !*user || !*mac_b64)
        return PDM_EINVAL;
    for (const char *p = user; *p; p++)
        if (is_ctl((unsigned char)*p))
            return PDM_EINVAL;
    for (const char *p = mac_b64; *p; p++)
        if (!is_b64_alpha((unsigned char)*p) && *p != '=')
            return PDM_EINVAL;
    pdm__buf_puts(out, "algorithm=MD5, username=\"");
    for (const char *p = user; *p; p++) {
        if (*p == '"' || *p == '\\')
            pdm__buf_putc(out, '\\');
        pdm__buf_putc(out, *p);
    }
    pdm__buf_puts(out, "\", mac=");
    pdm__buf_puts(out, mac_b64);
    return pdm__buf_ok(out) ? PDM_OK : PDM_ENOMEM;
}

/* RFC 7230 tchar */
static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

enum { HK_OTHER, HK_ALGORITHM, HK_USERNAME, HK_MAC };

/* Parses a token or quoted-string value at s[*i..len) into val (unescaped,
 * at most valsz-1 bytes; *over is set when longer). */
static int hdr_value(const unsigned char *s, size_t len, size_t *i,
                     char *val, size_t valsz, bool *over, char *err,
                     size_t errlen)
{
    size_t n = 0;
    *over = false;
    if (*i < len && s[*i] == '"') {
        (*i)++;
        for (;;) {
            unsigned char c;
            if (*i >= len) {
                pdm__errf(err, errlen,
                          "x-syncml-hmac: unterminated quoted string");
                return PDM_EPARSE;
            }
            c = s[(*i)++];
            if (c == '"')
                break;
            if (c == '\\') {
                if (*i >= len) {
                    pdm__errf(err, errlen, "x-syncml-hmac: "
                              "unterminated quoted string");
                    return PDM_EPARSE;
                }
                c = s[(*i)++];
            }
            if (is_ctl(c)) {
                pdm__errf(err, errlen,
                          "x-syncml-hmac: control character in value");
                return PDM_EPARSE;
            }
            if (n + 1 < valsz)
                val[n++] = (char)c;
            else
                *over = true;
        }
    } else {
        /* token68-like: tchar plus '/' and '=' (base64 mac values) */
        size_t start = *i;
        while (*i < len && (is_tchar(s[*i]) || s[*i] == '/' || s[*i] == '='))
        {
            if (n + 1 < valsz)
                val[n++] = (char)s[*i];
            else
                *over = true;
            (*i)++;
        }
        if (*i == start) {
            pdm__errf(err, errlen, "x-syncml-hmac: missing value");
            return PDM_EPARSE;
        }
    }
    val[n] = '\0';
    return PDM_OK;
}

int pdm__auth_hmac_header_parse(const char *value, size_t len,
                                pdm__auth_hmac_hdr *out, char *err,
                                size_t errlen)
{
    static const char *const names[] = {"", "algorithm", "username", "mac"};
    const unsigned char *s = (const unsigned char *)value;
    bool seen[4] = {false, false, false, false};
    char val[PDM__HMAC_USER_MAX + 2];
    pdm__auth_hmac_hdr h;
    size_t i = 0;

    if (!value || !out) {
        pdm__errf(err, errlen, "x-syncml-hmac: no value");
        return PDM_EINVAL;
    }
    memset(out, 0, sizeof *out); /* filled only on success */
    memset(&h, 0, sizeof h);
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    for (;;) {
        size_t k0 = i, klen;
        int key = HK_OTHER;
        bool over;
        int rc;

        while (i < len && is_tchar(s[i]))
            i++;
        klen = i - k0;
        if (klen == 0) {
            pdm__errf(err, errlen, i < len && s[i] == ','
                      ? "x-syncml-hmac: empty list element"
                      : "x-syncml-hmac: parameter name expected");
            return PDM_EPARSE;
        }
        for (int k = HK_ALGORITHM; k <= HK_MAC; k++)
            if (strlen(names[k]) == klen) {
                bool eq = true;
                for (size_t j = 0; j < klen && eq; j++) {
                    unsigned char c = s[k0 + j];
                    if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c - 'A' + 'a');
                    eq = c == (unsigned char)names[k][j];
                }
                if (eq)
                    key = k;
            }
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= len || s[i] != '=') {
            pdm__errf(err, errlen, "x-syncml-hmac: '=' expected after "
                      "a parameter name");
            return PDM_EPARSE;
        }
        i++;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        rc = hdr_value(s, len, &i, val, sizeof val, &over, err, errlen);
        if (rc != PDM_OK)
            return rc;
        if (key != HK_OTHER) {
            if (seen[key]) {
                pdm__errf(err, errlen, "x-syncml-hmac: parameter '%s' "
                          "given twice", names[key]);
                return PDM_EPARSE;
            }
            seen[key] = true;
        }
        switch (key) {
        case HK_ALGORITHM:
            if (over || !pdm__strcaseeq(val, "MD5")) {
                pdm__errf(err, errlen, "x-syncml-hmac: unsupported "
                          "algorithm (only MD5 is defined)");
                return PDM_ENOTSUP;
            }
            break;
        case HK_USERNAME:
            if (over || !val[0] || strlen(val) > PDM__HMAC_USER_MAX) {
                pdm__errf(err, errlen, "x-syncml-hmac: username must "
                          "be 1..%d bytes", PDM__HMAC_USER_MAX);
                return PDM_EPARSE;
            }
            memcpy(h.username, val, strlen(val) + 1);
            break;
        case HK_MAC:
            if (over || !val[0] || strlen(val) > PDM__HMAC_MAC_MAX) {
                pdm__errf(err, errlen, "x-syncml-hmac: mac must be "
                          "1..%d base64 characters", PDM__HMAC_MAC_MAX);
                return PDM_EPARSE;
            }
            for (const char *p = val; *p; p++)
                if (!is_b64_alpha((unsigned char)*p) && *p != '=') {
                    pdm__errf(err, errlen, "x-syncml-hmac: mac is not "
                              "base64 text");
                    return PDM_EPARSE;
                }
            memcpy(h.mac, val, strlen(val) + 1);
            break;
        default:
            break; /* unknown parameters are ignored (RFC 7235 style) */
        }
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= len)
            break;
        if (s[i] != ',') {
            pdm__errf(err, errlen, "x-syncml-hmac: unexpected "
                      "character after a parameter value");
            return PDM_EPARSE;
        }
        i++;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= len) {
            pdm__errf(err, errlen, "x-syncml-hmac: trailing comma");
            return PDM_EPARSE;
        }
    }
    if (!seen[HK_USERNAME] || !seen[HK_MAC]) {
        pdm__errf(err, errlen, "x-syncml-hmac: missing '%s' parameter",
                  seen[HK_USERNAME] ? "mac" : "username");
        return PDM_EPARSE;
    }
    memcpy(h.algorithm, "MD5", 4);
    *out = h;
    return PDM_OK;
}

/* ---- nonces ------------------------------------------------------------ */

int pdm__auth_nonce_new(uint8_t out[PDM__AUTH_NONCE_LEN])
{
    if (!out)
        return PDM_EINVAL;
    if (gnutls_rnd(GNUTLS_RND_NONCE, out, PDM__AUTH_NONCE_LEN) < 0) {
        memset(out, 0, PDM__AUTH_NONCE_LEN);
        return PDM_ERROR;
    }
    return PDM_OK;
}
