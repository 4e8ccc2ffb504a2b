/*
 * The test server's own OMA DM authentication formulas (omadm-facts §3,
 * §4.3), written from the spec on GnuTLS's MD5 and RNG, independently of
 * the client's core/src/auth: a wrong formula in the client must show up
 * as a failed session, not be mirrored by the server that checks it.
 * tests/dmserver/test/dmsauth_kat.c checks every function against the
 * known-answer vectors (tests/data/vectors, test-vectors.md).
 *
 *   basic:  B64(user ":" pw)
 *   md5:    B64(MD5(B64(MD5(user ":" pw)) ":" nonce))
 *   mac:    B64(MD5(B64(MD5(user ":" pw)) ":" nonce ":" B64(MD5(body))))
 *   pkg0:   MD5(B64(MD5(server-id ":" pw)) ":" nonce ":" B64(MD5(trigger)))
 *           raw, trigger = the package after the digest
 */
#ifndef DMS_AUTH_H
#define DMS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define DMS_MD5_LEN 16
#define DMS_B64_MD5_SIZE 25 /* 24 characters and the NUL */

/* Appends the base64 (RFC 4648, padded) of @p/@n to @out. */
void dms_b64_encode(const void *p, size_t n, pdm__buf *out);

/* Decodes base64 text (surrounding whitespace and CR/LF line breaks
 * allowed) into a new pdm__malloc'ed, NUL-terminated buffer.  Returns 0,
 * or -1 for text that is not base64 (*out is then NULL). */
int dms_b64_decode(const char *text, size_t len, uint8_t **out,
                   size_t *outlen);

/* syncml:auth-basic Cred Data, appended to @out. */
void dms_auth_basic(const char *user, const char *pw, pdm__buf *out);

/* syncml:auth-md5 Cred Data (24 characters). */
void dms_auth_md5(const char *user, const char *pw, const uint8_t *nonce,
                  size_t nlen, char out[DMS_B64_MD5_SIZE]);

/* Whether received MD5 Cred Data (base64, whitespace around tolerated)
 * is the digest of user/pw/nonce. */
bool dms_auth_md5_ok(const char *user, const char *pw, const uint8_t *nonce,
                     size_t nlen, const char *cred, size_t len);

/* The x-syncml-hmac mac of @body (24 characters). */
void dms_auth_mac(const char *user, const char *pw, const uint8_t *nonce,
                  size_t nlen, const void *body, size_t blen,
                  char out[DMS_B64_MD5_SIZE]);

/* Whether a received mac (base64) is the mac of @body. */
bool dms_auth_mac_ok(const char *user, const char *pw, const uint8_t *nonce,
                     size_t nlen, const void *body, size_t blen,
                     const char *mac);

/* The x-syncml-hmac header value `algorithm=MD5, username="U", mac=M`,
 * appended to @out ('"' and '\' in the user escaped). */
void dms_hmac_header(const char *user, const char *mac, pdm__buf *out);

/* Parses an x-syncml-hmac value: comma-separated key=value parameters,
 * values plain or quoted ('\' escapes), keys in any case; `username` and
 * `mac` required, `algorithm` MD5 if present.  Returns 0, or -1 with
 * @err saying what is wrong. */
int dms_hmac_header_parse(const char *value, char *user, size_t ulen,
                          char *mac, size_t mlen, char *err, size_t errlen);

/* The raw package 0 digest over @trigger. */
void dms_pkg0_digest(const char *server_id, const char *pw,
                     const uint8_t *nonce, size_t nlen, const uint8_t *trigger,
                     size_t tlen, uint8_t out[DMS_MD5_LEN]);

/* @n random bytes (nonces, session ids, WSP transaction ids). */
void dms_random(void *p, size_t n);

/* The SyncHdr SessionID of a package 0 session id: upper-case hex without
 * leading zeros ("1A2B", "A01"). */
void dms_sid_hex(uint16_t sid, char out[5]);

#endif /* DMS_AUTH_H */
