/*
 * The test server's own bootstrap security (omadm-facts §8.3, §9.4):
 * SEC names, the IMSI semi-octet key, the HMAC-SHA1 MAC of a bootstrap
 * document for every SEC method and key order, and the USERPINMAC PIN.
 * Written from the facts on GnuTLS's HMAC-SHA1, independently of the
 * client's core/src/auth/secmac.c, and checked against test-vectors.md §E
 * by tests/dmserver/test/dmsauth_kat.c: the pushes that test the client's
 * verification must not be built by the code under test.
 *
 *   NETWPIN      key = IMSI semi-octets (GSM 11.11 EF_IMSI)
 *   USERPIN      key = PIN
 *   USERNETWPIN  key = IMSI semi-octets || PIN      (CP, Nokia/Funambol)
 *                  or PIN ":" IMSI semi-octets    (DM Security text)
 *   USERPINMAC   the user types K || m, m[i] = '0' + HMAC-SHA1(K, doc)[i] % 10
 */
#ifndef DMS_SEC_H
#define DMS_SEC_H

#include <stddef.h>
#include <stdint.h>

#define DMS_IMSI_KEY_MAX 8   /* 15 digits + the type nibble */
#define DMS_SEC_HEX_SIZE 41  /* 40 upper-case hex digits and the NUL */
#define DMS_PIN_MAX 64       /* longest USERPIN / USERNETWPIN PIN */
#define DMS_PINMAC_KEY_MIN 5 /* USERPINMAC K: 5..20 digits */
#define DMS_PINMAC_KEY_MAX 20
#define DMS_USER_PIN_SIZE (2 * DMS_PINMAC_KEY_MAX + 1) /* K || m, NUL */

/* USERNETWPIN key orders. */
enum { DMS_KEY_IMSI_PIN, DMS_KEY_PIN_COLON_IMSI };

/* A SEC name ("NETWPIN"/"NETWORKID", "USERPIN", "USERNETWPIN"/
 * "USERPIN_NETWORKID", "USERPINMAC", any case) or wire value "0".."3" ->
 * pdm_sec value (PDM_SEC_NETWPIN..PDM_SEC_USERPINMAC, <polydm/bootstrap.h>);
 * -1 if unknown. */
int dms_sec_parse(const char *text);

/* "imsi-pin" / "pin:imsi" -> DMS_KEY_*; -1 if unknown. */
int dms_key_order_parse(const char *text);

/* The semi-octet key of a 6..15 digit IMSI into @out (@n bytes).  Returns
 * 0, or -1 with @err saying what is wrong. */
int dms_imsi_key(const char *imsi, uint8_t out[DMS_IMSI_KEY_MAX], size_t *n,
                 char *err, size_t errlen);

/* The MAC parameter of @doc for @sec (NETWPIN, USERPIN or USERNETWPIN;
 * @order only matters for USERNETWPIN) as 40 upper-case hex digits.
 * Returns 0, or -1 with @err naming the missing or malformed input. */
int dms_sec_mac(int sec, const char *imsi, const char *pin, int order,
                const uint8_t *doc, size_t len, char out[DMS_SEC_HEX_SIZE],
                char *err, size_t errlen);

/* The USERPINMAC PIN the user must enter for @doc: the key digits @k
 * followed by as many check digits.  Returns 0, or -1 with @err. */
int dms_userpinmac_pin(const char *k, const uint8_t *doc, size_t len,
                       char out[DMS_USER_PIN_SIZE], char *err,
                       size_t errlen);

#endif /* DMS_SEC_H */
