/*
 * WAP push from polydm-testserver: package 0 (notification) and bootstrap
 * documents as WSP connectionless push PDUs over UDP (default
 * 127.0.0.1:2948).  Package 0 is built with the server's own digest
 * (dmsauth.h), a bootstrap MAC with its own SEC/MAC (dmssec.h); the WSP
 * envelope, framing only, with the core's pdm__wsp_push_build.
 */
#ifndef DMS_PUSH_H
#define DMS_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmssec.h"
#include "util/util.h"

#define DMS_PUSH_DEFAULT_TO "127.0.0.1:2948"

typedef struct dms_pkg0_params {
    const char *server_id;
    const char *password;   /* server password (client's SRVCRED secret) */
    const uint8_t *nonce;   /* client's SRVCRED AAuthData nonce */
    size_t nonce_len;
    unsigned version;       /* 10-bit field: 11 (spec text) or 12 */
    unsigned ui_mode;       /* 0..3 */
    unsigned initiator;     /* 0 client/user, 1 server */
    uint16_t session_id;
    const uint8_t *vendor;
    size_t vendor_len;
} dms_pkg0_params;

/* Builds package 0 (digest included) and appends it to out. */
int dms_pkg0_build(const dms_pkg0_params *p, pdm__buf *out, char *err,
                   size_t errlen);

/* Wraps a package 0 in a push PDU: content type 0x44, app id 0x07. */
int dms_wsp_notification(const uint8_t *pkg0, size_t len, uint8_t tid,
                         pdm__buf *pdu, char *err, size_t errlen);

/* A bootstrap push.  ctype: a code (0x42, 66) or a MIME name; sec: a SEC
 * name or "0".."3" (NULL/"" = no SEC); mac: the MAC parameter as given,
 * or NULL to compute it from imsi/pin (dmssec.h) with key_order
 * ("imsi-pin", the default, or "pin:imsi"; USERNETWPIN only); for
 * USERPINMAC, pin is the key K of the PIN the user must enter; app_id:
 * "-1"/NULL for the default (0x07 for DM content types, none otherwise), a
 * number or a URI text. */
typedef struct dms_bootstrap_params {
    const uint8_t *doc;
    size_t len;
    const char *ctype, *sec, *mac, *imsi, *pin, *key_order, *app_id;
    int tamper; /* DMS_TAMPER_*: spoil the push after the MAC is made */
} dms_bootstrap_params;

/* Rogue pushes: the MAC (or the USERPINMAC PIN) made right, then one hex
 * digit of it changed; or the document changed after MACing (the first
 * byte of its first ServerID occurrence, else its last byte, XOR 1). */
enum { DMS_TAMPER_NONE = 0, DMS_TAMPER_MAC, DMS_TAMPER_BODY };
/* "none"/"mac"/"body" -> DMS_TAMPER_*; -1 if unknown. */
int dms_tamper_parse(const char *s);

/* Wraps a bootstrap document into a push PDU (appended to pdu); with
 * tamper, @server_id (or NULL) names the bytes DMS_TAMPER_BODY changes.
 * user_pin receives the USERPINMAC PIN the user must enter ("" for other
 * methods or without pin).  Returns 0, or -1 with err. */
int dms_wsp_bootstrap(const dms_bootstrap_params *b, const char *server_id,
                      uint8_t tid,
                      pdm__buf *pdu, char user_pin[DMS_USER_PIN_SIZE],
                      char *err, size_t errlen);

/* Sends one UDP datagram to "host:port" (IPv4 or [IPv6]:port; port
 * defaults to 2948). */
int dms_udp_send(const char *to, const uint8_t *p, size_t n, char *err,
                 size_t errlen);

/* "background" / "2" -> 2 etc.; -1 if invalid. */
int dms_ui_mode_parse(const char *s);

#endif /* DMS_PUSH_H */
