/*
 * WAP push: package 0 and bootstrap documents over UDP (see push.h).
 */
#include "push.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <polydm/bootstrap.h>

#include "auth/auth.h" /* the WSP envelope only: framing, not security */
#include "dmsauth.h"
#include "dmssec.h"

/* The layout of omadm-facts §4.2: digest (16), version (10 bits), ui-mode
 * (2), initiator (1), future (27), session id (16), server id length (8),
 * server id, vendor part; the digest covers everything after it. */
int dms_pkg0_build(const dms_pkg0_params *p, pdm__buf *out, char *err,
                   size_t errlen)
{
    uint8_t hdr[8], d[DMS_MD5_LEN] = {0};
    uint64_t bits;
    size_t idlen, start = out->len;
    if (!p->server_id || !*p->server_id || strlen(p->server_id) > 255) {
        snprintf(err, errlen, "package 0 needs a server id of 1..255 bytes");
        return -1;
    }
    if (p->version > 0x3FFu || p->ui_mode > 3u || p->initiator > 1u) {
        snprintf(err, errlen, "package 0 cannot be built (a field does not "
                 "fit: version %u, ui %u, initiator %u)", p->version,
                 p->ui_mode, p->initiator);
        return -1;
    }
    idlen = strlen(p->server_id);
    bits = (uint64_t)p->version << 30 | (uint64_t)p->ui_mode << 28 |
           (uint64_t)p->initiator << 27;
    for (int i = 0; i < 5; i++)
        hdr[i] = (uint8_t)(bits >> (8 * (4 - i)));
    hdr[5] = (uint8_t)(p->session_id >> 8);
    hdr[6] = (uint8_t)p->session_id;
    hdr[7] = (uint8_t)idlen;
    pdm__buf_append(out, d, sizeof d);
    pdm__buf_append(out, hdr, sizeof hdr);
    pdm__buf_append(out, p->server_id, idlen);
    if (p->vendor_len)
        pdm__buf_append(out, p->vendor, p->vendor_len);
    if (!pdm__buf_ok(out)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dms_pkg0_digest(p->server_id, p->password ? p->password : "", p->nonce,
                    p->nonce_len, out->data + start + sizeof d,
                    out->len - start - sizeof d, d);
    memcpy(out->data + start, d, sizeof d);
    return 0;
}

int dms_wsp_notification(const uint8_t *pkg0, size_t len, uint8_t tid,
                         pdm__buf *pdu, char *err, size_t errlen)
{
    pdm__wsp_push w;
    memset(&w, 0, sizeof w);
    w.tid = tid;
    w.ct_code = PDM__WSP_CT_NOTIFICATION;
    w.app_id_code = PDM__WSP_APPID_SYNCML_DM;
    w.body = pkg0;
    w.body_len = len;
    return pdm__wsp_push_build(&w, pdu, err, errlen) == PDM_OK ? 0 : -1;
}

static const struct {
    const char *name;
    int code;
} ctypes[] = {
    {"text/vnd.wap.connectivity-xml", PDM__WSP_CT_CONNECTIVITY_XML},
    {"application/vnd.wap.connectivity-wbxml",
     PDM__WSP_CT_CONNECTIVITY_WBXML},
    {"application/vnd.syncml.dm+wbxml", PDM__WSP_CT_DM_WBXML},
    {"application/vnd.syncml.dm+xml", PDM__WSP_CT_DM_XML},
    {"application/vnd.syncml.notification", PDM__WSP_CT_NOTIFICATION}};

int dms_tamper_parse(const char *s)
{
    if (!s || strcmp(s, "none") == 0)
        return DMS_TAMPER_NONE;
    if (strcmp(s, "mac") == 0)
        return DMS_TAMPER_MAC;
    if (strcmp(s, "body") == 0)
        return DMS_TAMPER_BODY;
    return -1;
}

/* The next hex digit (F wraps to 0), or the next decimal digit for a
 * USERPINMAC check digit: a different value of the same alphabet. */
static char other_digit(char c, bool hex)
{
    if (!hex)
        return c >= '0' && c < '9' ? (char)(c + 1) : '0';
    if (c == '9')
        return 'A';
    if (c == 'F' || c == 'f')
        return '0';
    return (char)(c + 1);
}

int dms_wsp_bootstrap(const dms_bootstrap_params *b, const char *server_id,
                      uint8_t tid, pdm__buf *pdu,
                      char user_pin[DMS_USER_PIN_SIZE], char *err,
                      size_t errlen)
{
    pdm__wsp_push w;
    const char *ctype = b->ctype, *app_id = b->app_id;
    char *end;
    long code;
    uint8_t *spoiled = NULL;
    int rc;
    memset(&w, 0, sizeof w);
    user_pin[0] = '\0';
    w.tid = tid;
    w.ct_code = -1;
    w.app_id_code = -1;
    code = strtol(ctype, &end, 0);
    if (*ctype && !*end) {
        if (code < 0 || code > 127) {
            snprintf(err, errlen, "content type code %ld is not 0..127",
                     code);
            return -1;
        }
        w.ct_code = (int)code;
    } else {
        for (size_t i = 0; i < sizeof ctypes / sizeof ctypes[0]; i++)
            if (strcasecmp(ctypes[i].name, ctype) == 0)
                w.ct_code = ctypes[i].code;
        if (w.ct_code < 0)
            pdm__strlcpy(w.content_type, ctype, sizeof w.content_type);
    }
    if (b->sec && *b->sec) {
        int s = dms_sec_parse(b->sec), order = DMS_KEY_IMSI_PIN;
        if (s < 0) {
            snprintf(err, errlen, "unknown SEC method \"%s\"", b->sec);
            return -1;
        }
        if (b->key_order && *b->key_order &&
            (order = dms_key_order_parse(b->key_order)) < 0) {
            snprintf(err, errlen, "unknown key order \"%s\" (imsi-pin or "
                     "pin:imsi)", b->key_order);
            return -1;
        }
        w.sec = s;
        if (b->mac && *b->mac) {
            pdm__strlcpy(w.mac, b->mac, sizeof w.mac);
        } else if (s == PDM_SEC_USERPINMAC) {
            /* the MAC travels in the PIN the user types, not in MAC */
            if (b->pin && *b->pin &&
                dms_userpinmac_pin(b->pin, b->doc, b->len, user_pin, err,
                                   errlen) != 0)
                return -1;
        } else {
            char hex[DMS_SEC_HEX_SIZE];
            if (dms_sec_mac(s, b->imsi, b->pin, order, b->doc, b->len, hex,
                            err, errlen) != 0)
                return -1;
            pdm__strlcpy(w.mac, hex, sizeof w.mac);
        }
    }
    if (app_id && *app_id && strcmp(app_id, "-1")) {
        code = strtol(app_id, &end, 0);
        if (!*end)
            w.app_id_code = code;
        else
            pdm__strlcpy(w.app_id, app_id, sizeof w.app_id);
    } else if (w.ct_code == PDM__WSP_CT_DM_WBXML ||
               w.ct_code == PDM__WSP_CT_DM_XML) {
        w.app_id_code = PDM__WSP_APPID_SYNCML_DM;
    }
    w.body = b->doc;
    w.body_len = b->len;
    if (b->tamper == DMS_TAMPER_MAC) {
        if (w.mac[0]) {
            w.mac[0] = other_digit(w.mac[0], true);
        } else if (user_pin[0]) {
            size_t n = strlen(user_pin);
            user_pin[n - 1] = other_digit(user_pin[n - 1], false);
        } else {
            snprintf(err, errlen, "tamper=mac needs a MAC (sec= with "
                     "imsi=/pin= or mac=)");
            return -1;
        }
    } else if (b->tamper == DMS_TAMPER_BODY) {
        const uint8_t *hit = NULL;
        size_t idl = server_id ? strlen(server_id) : 0;
        if (!b->len || !(spoiled = malloc(b->len))) {
            snprintf(err, errlen, "tamper=body: %s",
                     b->len ? "out of memory" : "empty document");
            return -1;
        }
        memcpy(spoiled, b->doc, b->len);
        for (size_t i = 0; idl && i + idl <= b->len && !hit; i++)
            if (memcmp(b->doc + i, server_id, idl) == 0)
                hit = b->doc + i;
        spoiled[hit ? (size_t)(hit - b->doc) : b->len - 1] ^= 0x01;
        w.body = spoiled;
    }
    rc = pdm__wsp_push_build(&w, pdu, err, errlen);
    free(spoiled);
    return rc == PDM_OK ? 0 : -1;
}

int dms_udp_send(const char *to, const uint8_t *p, size_t n, char *err,
                 size_t errlen)
{
    char host[256], port[16] = "2948";
    const char *colon;
    struct addrinfo hints, *ai = NULL;
    int fd, rc;
    ssize_t w;

    if (!to || !*to)
        to = DMS_PUSH_DEFAULT_TO;
    if (to[0] == '[') {
        const char *rb = strchr(to, ']');
        if (!rb || (size_t)(rb - to - 1) >= sizeof host) {
            snprintf(err, errlen, "bad push destination \"%s\"", to);
            return -1;
        }
        memcpy(host, to + 1, (size_t)(rb - to - 1));
        host[rb - to - 1] = 0;
        if (rb[1] == ':')
            pdm__strlcpy(port, rb + 2, sizeof port);
    } else {
        colon = strrchr(to, ':');
        size_t hl = colon ? (size_t)(colon - to) : strlen(to);
        if (hl >= sizeof host) {
            snprintf(err, errlen, "bad push destination \"%s\"", to);
            return -1;
        }
        memcpy(host, to, hl);
        host[hl] = 0;
        if (colon)
            pdm__strlcpy(port, colon + 1, sizeof port);
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "push destination %s: %s", to,
                 gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    w = sendto(fd, p, n, 0, ai->ai_addr, ai->ai_addrlen);
    close(fd);
    freeaddrinfo(ai);
    if (w < 0 || (size_t)w != n) {
        snprintf(err, errlen, "sendto %s: %s", to,
                 w < 0 ? strerror(errno) : "short write");
        return -1;
    }
    return 0;
}

int dms_ui_mode_parse(const char *s)
{
    static const char *const names[] = {"unspecified", "background",
                                        "informative", "interactive"};
    if (!s)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    if (strcmp(s, "user-interaction") == 0)
        return 3;
    if (s[0] >= '0' && s[0] <= '3' && s[1] == 0)
        return s[0] - '0';
    return -1;
}
