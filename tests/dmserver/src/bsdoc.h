/*
 * Bootstrap documents the test server generates for itself (omadm-facts
 * §8, §9): an OMA CP wap-provisioningdoc with a w7 APPLICATION (XML, or
 * WBXML with the PROV 1.0 tokens written by this module's own small
 * encoder, never the client's), and a DM-profile bootstrap message (a
 * SyncML DM 1.2 message with one Add to ./Inbox carrying a TNDS DMAcc and
 * optionally a ConnMO the account's PrefConRef points to as
 * ./Inbox/<name>).  The account is the one the server expects: its
 * ServerID, its URL, the client credentials it checks and the server
 * credentials it presents.
 */
#ifndef DMS_BSDOC_H
#define DMS_BSDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Credentials of one direction.  type: "BASIC", "DIGEST", "HMAC" (the
 * AAuthType value), NULL = this direction is not in the document. */
typedef struct dms_bs_cred {
    const char *type;
    const char *name;
    const char *secret;
    const uint8_t *nonce;
    size_t nonce_len;
} dms_bs_cred;

typedef struct dms_bs_account {
    const char *server_id; /* PROVIDER-ID / ServerID (required) */
    const char *name;      /* CP NAME and the Inbox node name (required:
                              [A-Za-z0-9_-]+) */
    const char *url;       /* APPADDR/ADDR, AppAddr/<x>/Addr (required);
                              its port, if any, is also PORTNBR */
    const char *devid;     /* DM profile: SyncHdr Target (NULL: "*") */
    dms_bs_cred client;    /* CLCRED (CP: APPAUTH APPSRV): the client's
                              credentials the server checks */
    dms_bs_cred server;    /* SRVCRED (CP: APPAUTH CLIENT): what the
                              server presents */
    const char *connmo;    /* CP: a NAPDEF with this NAPID and TO-NAPID;
                              DM: a ConnMO ./Inbox/<connmo> and PrefConRef
                              to it; NULL: none */
} dms_bs_account;

/* Document kinds (generate= / --push-bootstrap generate:KIND). */
enum { DMS_BS_CP_WBXML = 1, DMS_BS_CP_XML, DMS_BS_DM_WBXML, DMS_BS_DM_XML };

/* "cp", "cp-wbxml" -> DMS_BS_CP_WBXML, "cp-xml", "dm", "dm-wbxml",
 * "dm-xml"; -1 if unknown. */
int dms_bs_kind_parse(const char *s);
/* The MIME content type of a kind. */
const char *dms_bs_kind_ctype(int kind);
/* "md5" / "basic" / "hmac" (scenario auth types) -> "DIGEST" / "BASIC" /
 * "HMAC" for a given SC_AUTH_* value; NULL for none. */
const char *dms_bs_auth_type(int sc_auth_type);

/* Appends the document to @out.  Returns 0, or -1 with @err naming the
 * missing or unusable field. */
int dms_bs_build(int kind, const dms_bs_account *a, pdm__buf *out, char *err,
                 size_t errlen);

#endif /* DMS_BSDOC_H */
