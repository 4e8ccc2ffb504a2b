/*
 * Package 0 — General Notification Initiated Session Alert: parse, digest,
 * verify with nonce resynchronisation, build.  See auth.h and omadm-facts
 * §4 (layout: digest 16 bytes; version 10 bits, ui-mode 2, initiator 1,
 * future 27, session id 16, server-id length 8; server id; vendor part).
 */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#define HDR_OFF PDM__MD5_LEN /* the 8 header bytes start after the digest */

int pdm__pkg0_parse(pdm__pkg0 *out, const uint8_t *buf, size_t len,
                    char *err, size_t errlen)
{
    const uint8_t *h;
    uint64_t bits = 0;
    size_t idlen;

    if (!out || (!buf && len)) {
        pdm__errf(err, errlen, "pkg0: no input");
        return PDM_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (len < PDM__PKG0_MIN_LEN) {
        pdm__errf(err, errlen, "pkg0: too short (%zu bytes, the digest "
                  "and header need %d)", len, PDM__PKG0_MIN_LEN);
        return PDM_EPARSE;
    }
    h = buf + HDR_OFF;
    for (int i = 0; i < 5; i++)
        bits = bits << 8 | h[i];
    out->version = (unsigned)(bits >> 30);
    out->ui_mode = (unsigned)(bits >> 28) & 3u;
    out->initiator = (unsigned)(bits >> 27) & 1u;
    out->future = (unsigned)(bits & 0x7FFFFFFu);
    out->session_id = (uint16_t)(h[5] << 8 | h[6]);
    idlen = h[7];

    if (out->version != 11 && out->version != 12) {
        pdm__errf(err, errlen, "pkg0: unsupported notification version "
                  "%u (accepted: 11 and 12)", out->version);
        memset(out, 0, sizeof *out);
        return PDM_ENOTSUP;
    }
    if (out->session_id == 0) {
        pdm__errf(err, errlen, "pkg0: session id 0 is invalid (must be "
                  "0x0001-0xFFFF)");
        memset(out, 0, sizeof *out);
        return PDM_EPARSE;
    }
    if (idlen == 0) {
        pdm__errf(err, errlen, "pkg0: empty server identifier");
        memset(out, 0, sizeof *out);
        return PDM_EPARSE;
    }
    if (idlen > len - PDM__PKG0_MIN_LEN) {
        pdm__errf(err, errlen, "pkg0: server identifier length %zu "
                  "exceeds the packet (%zu bytes left)", idlen,
                  len - PDM__PKG0_MIN_LEN);
        memset(out, 0, sizeof *out);
        return PDM_EPARSE;
    }
    for (size_t i = 0; i < idlen; i++) {
        uint8_t c = buf[PDM__PKG0_MIN_LEN + i];
        if (c < 0x21 || c > 0x7E) {
            pdm__errf(err, errlen, "pkg0: server identifier has a "
                      "non-printable byte at offset %zu", i);
            memset(out, 0, sizeof *out);
            return PDM_EPARSE;
        }
        out->server_id[i] = (char)c;
    }
    out->server_id[idlen] = '\0';
    memcpy(out->digest, buf, PDM__MD5_LEN);
    out->trigger = buf + HDR_OFF;
    out->trigger_len = len - HDR_OFF;
    out->vendor = buf + PDM__PKG0_MIN_LEN + idlen;
    out->vendor_len = len - PDM__PKG0_MIN_LEN - idlen;
    return PDM_OK;
}

void pdm__pkg0_session_id_str(uint16_t sid, char out[5])
{
    snprintf(out, 5, "%X", (unsigned)sid);
}

int pdm__pkg0_digest(const char *server_id, const char *pw,
                     const uint8_t *nonce, size_t nlen,
                     const uint8_t *trigger, size_t tlen,
                     uint8_t out[PDM__MD5_LEN])
{
    return pdm__auth_hmac_raw(server_id, pw, nonce, nlen, trigger, tlen, out);
}

static const uint8_t zero4[4] = {0, 0, 0, 0};
static const char ascii0x[] = "0x00000000";
static const char b64text[] = "AAAAAA==";

int pdm__pkg0_resync_nonce(unsigned variant, const uint8_t **nonce,
                           size_t *nlen)
{
    if (!nonce || !nlen)
        return PDM_EINVAL;
    switch (variant) {
    case PDM__PKG0_NONCE_ZERO4:
        *nonce = zero4;
        *nlen = sizeof zero4;
        return PDM_OK;
    case PDM__PKG0_NONCE_ASCII0X:
        *nonce = (const uint8_t *)ascii0x;
        *nlen = sizeof ascii0x - 1;
        return PDM_OK;
    case PDM__PKG0_NONCE_B64TEXT:
        *nonce = (const uint8_t *)b64text;
        *nlen = sizeof b64text - 1;
        return PDM_OK;
    default:
        return PDM_EINVAL;
    }
}

int pdm__pkg0_verify(const pdm__pkg0 *p, const char *pw,
                     const uint8_t *nonce, size_t nlen, unsigned flags,
                     unsigned *which)
{
    static const unsigned order[] = {
        PDM__PKG0_NONCE_STORED, PDM__PKG0_NONCE_ZERO4,
        PDM__PKG0_NONCE_ASCII0X, PDM__PKG0_NONCE_B64TEXT};

    if (!p || !pw || !p->trigger || (!nonce && nlen))
        return PDM_EINVAL;
    for (size_t i = 0; i < PDM__ARRAY_LEN(order); i++) {
        unsigned v = order[i];
        const uint8_t *n = nonce;
        size_t nl = nlen;
        uint8_t d[PDM__MD5_LEN];
        int rc, same;

        if ((v == PDM__PKG0_NONCE_ZERO4 || v == PDM__PKG0_NONCE_ASCII0X) &&
            !(flags & PDM__PKG0_RESYNC))
            continue;
        if (v == PDM__PKG0_NONCE_B64TEXT && !(flags & PDM__PKG0_RESYNC_B64TEXT))
            continue;
        if (v != PDM__PKG0_NONCE_STORED)
            pdm__pkg0_resync_nonce(v, &n, &nl);
        rc = pdm__pkg0_digest(p->server_id, pw, n, nl, p->trigger,
                              p->trigger_len, d);
        if (rc != PDM_OK)
            return rc;
        same = gnutls_memcmp(d, p->digest, PDM__MD5_LEN) == 0;
        gnutls_memset(d, 0, sizeof d);
        if (same) {
            if (which)
                *which = v;
            return PDM_OK;
        }
    }
    return PDM_EAUTH;
}

int pdm__pkg0_build(const pdm__pkg0 *in, const char *pw,
                    const uint8_t *nonce, size_t nlen, pdm__buf *out)
{
    uint8_t hdr[8], d[PDM__MD5_LEN];
    size_t idlen, start;
    uint64_t bits;
    int rc;

    if (!in || !pw || !out || (!nonce && nlen) ||
        (!in->vendor && in->vendor_len))
        return PDM_EINVAL;
    idlen = strnlen(in->server_id, sizeof in->server_id);
    if (idlen == 0 || idlen > 255 || in->version > 0x3FFu ||
        in->ui_mode > 3u || in->initiator > 1u || in->future > 0x7FFFFFFu)
        return PDM_EINVAL;
    bits = (uint64_t)in->version << 30 | (uint64_t)in->ui_mode << 28 |
           (uint64_t)in->initiator << 27 | in->future;
    for (int i = 0; i < 5; i++)
        hdr[i] = (uint8_t)(bits >> (8 * (4 - i)));
    hdr[5] = (uint8_t)(in->session_id >> 8);
    hdr[6] = (uint8_t)in->session_id;
    hdr[7] = (uint8_t)idlen;

    start = out->len;
    memset(d, 0, sizeof d);
    pdm__buf_append(out, d, sizeof d); /* digest placeholder */
    pdm__buf_append(out, hdr, sizeof hdr);
    pdm__buf_append(out, in->server_id, idlen);
    if (in->vendor_len)
        pdm__buf_append(out, in->vendor, in->vendor_len);
    if (!pdm__buf_ok(out))
        return PDM_ENOMEM;
    rc = pdm__pkg0_digest(in->server_id, pw, nonce, nlen,
                          out->data + start + HDR_OFF,
                          out->len - start - HDR_OFF, d);
    if (rc != PDM_OK) {
        out->len = start;
        out->data[start] = 0;
        return rc;
    }
    memcpy(out->data + start, d, sizeof d);
    return PDM_OK;
}
