/*
 * Security primitives of the core (internal, never installed):
 *
 *   auth.c    base64 over GnuTLS; DM application-layer authentication
 *             (syncml:auth-basic, syncml:auth-md5, syncml:auth-MAC with the
 *             x-syncml-hmac transport header); server nonces.
 *   pkg0.c    package 0 (General Notification Initiated Session Alert):
 *             parse, digest, verify (with nonce resynchronisation), build.
 *   secmac.c  bootstrap security (SEC/MAC, HMAC-SHA1): NETWPIN, USERPIN,
 *             USERNETWPIN, USERPINMAC; IMSI semi-octet keys.
 *   wsp.c     WSP connectionless push PDU (WAP push over UDP, port 2948):
 *             parse and build.
 *
 * Facts and formulas: /work/shared/spec/omadm-facts.md §3, §4, §8.3, §9.4;
 * vectors: test-vectors.md §A, §B, §E (all of them are unit tests).
 *
 * Rules that hold for every function here:
 *  - All digests, HMACs, base64 and random bytes come from GnuTLS.
 *  - Secret-dependent comparisons use gnutls_memcmp (constant time).
 *  - No password, secret, nonce, PIN, IMSI or key ever appears in an error
 *    text (the `err` buffers) or a log line; error texts name the field and
 *    the rule, never the value.  Values that come from the peer and are not
 *    secret (a version number, a length) may be quoted.
 *  - Temporary key material on the stack is wiped with gnutls_memset.
 *  - `err`/`errlen`: optional (err may be NULL); on failure a short English
 *    sentence without trailing newline is written there, always terminated.
 *  - Returned pointers into an input buffer are borrowed: valid while the
 *    caller keeps that buffer.
 *  - A verification function returns PDM_OK only when the check passed;
 *    every other value (PDM_EAUTH, PDM_EPARSE, PDM_EINVAL, PDM_ENOMEM...)
 *    means "not authenticated" and the caller must fail closed.
 */
#ifndef PDM_AUTH_H
#define PDM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/types.h>

#include "util/util.h"

/* ======================================================================
 * base64 (auth.c)
 * ====================================================================== */

/**
 * pdm__b64_encode() - append B64(@data) to @out (standard alphabet, padded,
 * no line breaks).  @out stays NUL-terminated.
 * Returns PDM_OK, PDM_ENOMEM (also if @out was already out of memory) or
 * PDM_ETOOBIG (input beyond what GnuTLS can take, > 1 GiB).
 */
int pdm__b64_encode(const void *data, size_t len, pdm__buf *out);

/**
 * pdm__b64_encode_to() - B64(@data) into the caller's fixed buffer @out of
 * @outsz bytes, NUL-terminated.  Needs outsz >= 4*ceil(len/3)+1.
 * Returns PDM_OK, PDM_ETOOBIG (does not fit; @out is then ""), PDM_ENOMEM.
 */
int pdm__b64_encode_to(const void *data, size_t len, char *out, size_t outsz);

/**
 * pdm__b64_decode() - decode base64 text.
 * @text/@len: the text (need not be NUL-terminated).
 * @out:    (out) newly allocated bytes (pdm__malloc; caller frees with
 *          pdm__free), NUL-terminated for convenience (the NUL is not
 *          counted); non-NULL on success even for empty input.
 * @outlen: (out) number of decoded bytes.
 * Accepted: leading/trailing whitespace (space, tab, CR, LF); CR/LF inside
 * the text (RFC 2045 line wrapping).  Refused with PDM_EPARSE: any other
 * byte outside [A-Za-z0-9+/], spaces or tabs inside, a length that is not a
 * multiple of 4, missing padding, more than two '=' or '=' anywhere but at
 * the end.  Empty (or all-whitespace) text decodes to 0 bytes.
 * Returns PDM_OK, PDM_EPARSE, PDM_ETOOBIG (> 1 GiB), PDM_ENOMEM.
 */
int pdm__b64_decode(const char *text, size_t len, uint8_t **out,
                    size_t *outlen);

/* ======================================================================
 * DM authentication (auth.c) — omadm-facts §3
 * ====================================================================== */

#define PDM__MD5_LEN 16          /* raw MD5 digest */
#define PDM__B64_MD5_LEN 24      /* strlen(B64(16 bytes)) */
#define PDM__B64_MD5_SIZE 25     /* ... plus the NUL */
#define PDM__AUTH_NONCE_LEN 16   /* nonces we create: 128 bits (§3.3) */

/**
 * pdm__auth_basic() - syncml:auth-basic Cred Data: append
 * B64("@user:@pass") to @out.  A ':' inside @user is refused (it would make
 * the pair ambiguous): PDM_EINVAL.
 * Returns PDM_OK, PDM_EINVAL (NULL argument, ':' in user), PDM_ENOMEM.
 */
int pdm__auth_basic(const char *user, const char *pass, pdm__buf *out);

/**
 * pdm__auth_md5_raw() - syncml:auth-md5 digest as raw bytes:
 * MD5( B64(MD5(@user ":" @pass)) ":" @nonce ).
 * @nonce: the decoded nonce bytes (may be NULL when @nlen is 0).
 * Returns PDM_OK, PDM_EINVAL (NULL user/pass), PDM_ERROR (GnuTLS failed).
 */
int pdm__auth_md5_raw(const char *user, const char *pass,
                      const uint8_t *nonce, size_t nlen,
                      uint8_t out[PDM__MD5_LEN]);

/**
 * pdm__auth_md5() - syncml:auth-md5 Cred Data (24 base64 characters):
 * B64(pdm__auth_md5_raw(...)) into @out (NUL-terminated).
 * Returns as pdm__auth_md5_raw, or PDM_ENOMEM.
 */
int pdm__auth_md5(const char *user, const char *pass, const uint8_t *nonce,
                  size_t nlen, char out[PDM__B64_MD5_SIZE]);

/**
 * pdm__auth_md5_verify() - check received syncml:auth-md5 Cred Data.
 * @cred_b64/@cred_len: the Cred Data text as received (base64; surrounding
 * whitespace tolerated, see pdm__b64_decode).
 * Compares the decoded 16 bytes with the expected digest in constant time.
 * Returns PDM_OK (match), PDM_EAUTH (mismatch, or not 16 bytes),
 * PDM_EPARSE (not base64), PDM_EINVAL, PDM_ENOMEM, PDM_ERROR.
 */
int pdm__auth_md5_verify(const char *user, const char *pass,
                         const uint8_t *nonce, size_t nlen,
                         const char *cred_b64, size_t cred_len);

/**
 * pdm__auth_hmac_raw() - the raw syncml:auth-MAC digest:
 * MD5( B64(MD5(@user ":" @pass)) ":" @nonce ":" B64(MD5(@body)) ).
 * The package-0 digest has the same shape (user = server id, body =
 * trigger) and is computed with this function too.
 * @body may be NULL when @blen is 0.
 * Returns PDM_OK, PDM_EINVAL, PDM_ERROR.
 */
int pdm__auth_hmac_raw(const char *user, const char *pass,
                       const uint8_t *nonce, size_t nlen, const void *body,
                       size_t blen, uint8_t out[PDM__MD5_LEN]);

/**
 * pdm__auth_hmac_mac() - the `mac` value of x-syncml-hmac:
 * B64(pdm__auth_hmac_raw(...)) into @out (24 characters + NUL).
 * @body: the exact transmitted message bytes (WBXML or XML).
 * Returns PDM_OK, PDM_EINVAL, PDM_ENOMEM, PDM_ERROR.
 */
int pdm__auth_hmac_mac(const char *user, const char *pass,
                       const uint8_t *nonce, size_t nlen, const void *body,
                       size_t blen, char out[PDM__B64_MD5_SIZE]);

/**
 * pdm__auth_hmac_header_build() - append the x-syncml-hmac header value
 * `algorithm=MD5, username="<user>", mac=<mac>` to @out.
 * @user is written as a quoted string ('"' and '\' escaped with '\');
 * control characters (< 0x20, 0x7F) in @user are refused (header
 * injection).  @mac_b64 must be non-empty base64-alphabet text.
 * Returns PDM_OK, PDM_EINVAL, PDM_ENOMEM.
 */
int pdm__auth_hmac_header_build(const char *user, const char *mac_b64,
                                pdm__buf *out);

#define PDM__HMAC_USER_MAX 255 /* bytes of the unescaped username */
#define PDM__HMAC_MAC_MAX 63   /* bytes of the mac text */

/** A parsed x-syncml-hmac header value. */
typedef struct pdm__auth_hmac_hdr {
    char algorithm[8];                      /* "MD5" after a successful parse
                                               (also when the parameter was
                                               absent: MD5 is the default) */
    char username[PDM__HMAC_USER_MAX + 1];  /* unescaped, non-empty */
    char mac[PDM__HMAC_MAC_MAX + 1];        /* base64 text as sent */
} pdm__auth_hmac_hdr;

/**
 * pdm__auth_hmac_header_parse() - parse an x-syncml-hmac header value.
 * @value/@len: the header value (need not be NUL-terminated).
 * Grammar (RFC 7230 style):  param *( OWS "," OWS param ), with OWS around
 * the whole value and around '='; param = key OWS "=" OWS (token |
 * quoted-string); keys are case-insensitive; a quoted-string may contain
 * '\'-escapes.  `algorithm` (optional, default MD5; "MD5" in any case is
 * the only value supported), `username` and `mac` (both required) are
 * recognised; other parameters are checked for syntax and ignored.
 * Refused: a known key given twice, empty elements (",,"), a trailing
 * comma, control characters, unterminated quotes, an empty username or mac,
 * a username over 255 bytes, a mac over 63 bytes or with characters
 * outside the base64 alphabet.
 * Returns PDM_OK, PDM_EPARSE (malformed, missing username/mac),
 * PDM_ENOTSUP (algorithm other than MD5), PDM_EINVAL (NULL argument).
 */
int pdm__auth_hmac_header_parse(const char *value, size_t len,
                                pdm__auth_hmac_hdr *out, char *err,
                                size_t errlen);

/**
 * pdm__auth_hmac_verify() - check a received x-syncml-hmac mac.
 * @mac_b64: the `mac` parameter (from pdm__auth_hmac_header_parse).
 * The caller has already matched the header's username to the account it
 * passes in @user/@pass.  Constant-time comparison of the 16 raw bytes.
 * Returns PDM_OK, PDM_EAUTH (mismatch or not 16 bytes), PDM_EPARSE (not
 * base64), PDM_EINVAL, PDM_ENOMEM, PDM_ERROR.
 */
int pdm__auth_hmac_verify(const char *user, const char *pass,
                          const uint8_t *nonce, size_t nlen, const void *body,
                          size_t blen, const char *mac_b64);

/**
 * pdm__auth_nonce_new() - a fresh 128-bit nonce from
 * gnutls_rnd(GNUTLS_RND_NONCE).  Send it base64-encoded in NextNonce.
 * Returns PDM_OK or PDM_ERROR (the RNG failed; @out is then zeroed).
 */
int pdm__auth_nonce_new(uint8_t out[PDM__AUTH_NONCE_LEN]);

/* ======================================================================
 * Package 0 (pkg0.c) — omadm-facts §4
 * ====================================================================== */

#define PDM__PKG0_MIN_LEN 24 /* digest 16 + header 8 (+ server id >= 1) */

/**
 * A parsed (or to-be-built) package 0.  `trigger` is everything after the
 * digest (header + server id + vendor part); `vendor` is the optional
 * vendor-specific trigger body after the server id.  Both point into the
 * parsed buffer (borrowed).
 */
typedef struct pdm__pkg0 {
    uint8_t digest[PDM__MD5_LEN]; /* as received (raw) */
    unsigned version;             /* 10-bit field: 11 = 1.1, 12 = 1.2 */
    unsigned ui_mode;             /* 0 not specified, 1 background,
                                     2 informative, 3 user interaction */
    unsigned initiator;           /* 0 client/user, 1 server */
    unsigned future;              /* 27 reserved bits (reported, not
                                     checked: the digest covers them) */
    uint16_t session_id;          /* 0x0001-0xFFFF */
    char server_id[256];          /* visible ASCII, NUL-terminated */
    const uint8_t *vendor;
    size_t vendor_len;
    const uint8_t *trigger;
    size_t trigger_len;
} pdm__pkg0;

/**
 * pdm__pkg0_parse() - parse and validate a package 0.
 * Checks: at least 24 bytes plus the server id; version 11 or 12; session
 * id not 0; server id 1..255 bytes, all visible ASCII 0x21-0x7E, inside
 * the buffer.  Does NOT check the digest (see pdm__pkg0_verify: the caller
 * first finds the account by server_id, then verifies with its SRVCRED).
 * Version decision: the facts sheet records DISAGREE (spec text 11, OMA DS
 * SAN and Funambol's 1.2 builder 12) and recommends "accept 11 and 12, log
 * others"; package 0 is a security boundary, so any other version is
 * refused with an error naming the value rather than guessed at.
 * @out: (out) filled on success, pointers into @buf.
 * Returns PDM_OK, PDM_EPARSE (malformed), PDM_ENOTSUP (version),
 * PDM_EINVAL (NULL argument).
 */
int pdm__pkg0_parse(pdm__pkg0 *out, const uint8_t *buf, size_t len,
                    char *err, size_t errlen);

/**
 * pdm__pkg0_session_id_str() - the SyncHdr SessionID for a pkg0 session id:
 * upper-case hex without leading zeros (0x1234 -> "1234", 0x00AB -> "AB").
 */
void pdm__pkg0_session_id_str(uint16_t sid, char out[5]);

/**
 * pdm__pkg0_digest() - the pkg0 digest
 * MD5( B64(MD5(@server_id ":" @pw)) ":" @nonce ":" B64(MD5(@trigger)) ).
 * Returns PDM_OK, PDM_EINVAL, PDM_ERROR.
 */
int pdm__pkg0_digest(const char *server_id, const char *pw,
                     const uint8_t *nonce, size_t nlen,
                     const uint8_t *trigger, size_t tlen,
                     uint8_t out[PDM__MD5_LEN]);

/** Which nonce made a package-0 digest verify (omadm-facts §4.4). */
typedef enum pdm__pkg0_nonce {
    PDM__PKG0_NONCE_STORED = 0,  /* the account's stored server nonce */
    PDM__PKG0_NONCE_ZERO4 = 1,   /* resync: four 0x00 bytes */
    PDM__PKG0_NONCE_ASCII0X = 2, /* resync: the 10 ASCII bytes "0x00000000"
                                    (libdmclient) */
    PDM__PKG0_NONCE_B64TEXT = 3  /* resync: the 8 ASCII bytes "AAAAAA=="
                                    (Android's undecoded retry) */
} pdm__pkg0_nonce;

/* pdm__pkg0_verify flags */
#define PDM__PKG0_RESYNC 0x1u         /* try ZERO4 then ASCII0X */
#define PDM__PKG0_RESYNC_B64TEXT 0x2u /* also try B64TEXT (opt-in) */
/** What the session layer should pass unless a profile says otherwise. */
#define PDM__PKG0_VERIFY_DEFAULT PDM__PKG0_RESYNC

/**
 * pdm__pkg0_resync_nonce() - the bytes of a resync nonce variant
 * (PDM__PKG0_NONCE_ZERO4..B64TEXT) in @nonce/@nlen (static storage).
 * Returns PDM_OK or PDM_EINVAL (STORED or unknown variant).
 */
int pdm__pkg0_resync_nonce(unsigned variant, const uint8_t **nonce,
                           size_t *nlen);

/**
 * pdm__pkg0_verify() - check the digest of a parsed package 0.
 * @pw:     the server password (DMAcc AppAuth SRVCRED AAuthSecret).
 * @nonce:  the stored server nonce (SRVCRED AAuthData, decoded); may be
 *          NULL/0 for an empty nonce.
 * @flags:  PDM__PKG0_RESYNC and/or PDM__PKG0_RESYNC_B64TEXT; 0 tries only
 *          the stored nonce.
 * @which:  (out, optional) the pdm__pkg0_nonce that matched.  Anything but
 *          PDM__PKG0_NONCE_STORED means a nonce resynchronisation: the
 *          session must use that nonce for application-layer
 *          authentication and expect the server to send a fresh Chal.
 * Order: stored, ZERO4, ASCII0X, B64TEXT; each compare is constant-time.
 * Decision on "AAAAAA==": opt-in only.  It is Android's fallback for an
 * ambiguity in the spec text, not a value any server is documented to
 * send, and every extra fixed nonce is one more digest an eavesdropper can
 * replay forever; a profile that must talk to such a server enables it.
 * Returns PDM_OK, PDM_EAUTH (no variant matched), PDM_EINVAL, PDM_ERROR.
 */
int pdm__pkg0_verify(const pdm__pkg0 *p, const char *pw,
                     const uint8_t *nonce, size_t nlen, unsigned flags,
                     unsigned *which);

/**
 * pdm__pkg0_build() - encode a package 0 (for the test DM server and tools)
 * and append it to @out.
 * @in: version (10 bits), ui_mode (2), initiator (1), future (27),
 *      session_id, server_id (1..255 bytes), vendor/vendor_len; digest and
 *      trigger are ignored.  Only encodability is checked, so a test server
 *      can also build packages the parser refuses (version 13, session 0).
 * @pw/@nonce/@nlen: used to compute the digest.
 * Returns PDM_OK, PDM_EINVAL (a field does not fit), PDM_ENOMEM,
 * PDM_ERROR.
 */
int pdm__pkg0_build(const pdm__pkg0 *in, const char *pw,
                    const uint8_t *nonce, size_t nlen, pdm__buf *out);

/* ======================================================================
 * Bootstrap security SEC/MAC (secmac.c) — omadm-facts §8.3, §9.4
 * The `sec` arguments are pdm_sec values (<polydm/bootstrap.h>):
 * PDM_SEC_NETWPIN = 1 ... PDM_SEC_USERPINMAC = 4 (wire SEC = sec - 1).
 * ====================================================================== */

#define PDM__IMSI_KEY_MAX 8  /* semi-octet key of a 15-digit IMSI */
#define PDM__SECMAC_HEX_LEN 40
#define PDM__SECMAC_PIN_MAX 64

/**
 * pdm__secmac_imsi_key() - IMSI in semi-octet (GSM 11.11 EF_IMSI) form,
 * without the EF length byte: byte 0 = digit1<<4 | 0x1 | (odd ? 0x8 : 0),
 * then digit pairs swapped, a final lone digit padded with 0xF.
 * "001010123456789" -> 09 10 10 10 32 54 76 98 (8 bytes).
 * DISAGREE decision: Nokia, Funambol and Intel do not pad a short IMSI,
 * Mozilla pads to 15 digits with F first; we follow the three (they agree
 * for 14- and 15-digit IMSIs anyway): "123456" -> 11 32 54 F6 (4 bytes).
 * @imsi: 6..15 decimal digits, nothing else.
 * @out/@outlen: (out) key bytes, 4..8.
 * Returns PDM_OK or PDM_EINVAL (the text names the rule, not the IMSI).
 */
int pdm__secmac_imsi_key(const char *imsi, uint8_t out[PDM__IMSI_KEY_MAX],
                         size_t *outlen, char *err, size_t errlen);

/* Which key made the MAC verify (pdm__secmac_verify @variant). */
#define PDM__SECMAC_KEY_PRIMARY 0u        /* the method's (CP) key */
#define PDM__SECMAC_KEY_PIN_COLON_IMSI 1u /* USERNETWPIN: "PIN:" || key */

/* pdm__secmac_verify flags */
/** USERNETWPIN: after IMSI||PIN also try "PIN" ":" IMSI-key (DM Security
 *  text and NetComm).  Set it for DM-profile bootstraps; leave it off for
 *  OMA CP documents (CP implementations only use IMSI||PIN). */
#define PDM__SECMAC_ALT_PIN_COLON_IMSI 0x1u
#define PDM__SECMAC_CP 0u
#define PDM__SECMAC_DM PDM__SECMAC_ALT_PIN_COLON_IMSI

/**
 * pdm__secmac_verify() - check the SEC/MAC of a bootstrap document.
 * @sec:   a pdm_sec value (PDM_SEC_NETWPIN..PDM_SEC_USERPINMAC).
 * @imsi:  decimal IMSI; needed for NETWPIN and USERNETWPIN, else ignored.
 * @pin:   user PIN; needed for USERPIN, USERNETWPIN and USERPINMAC.
 * @body/@len: the exact document bytes.
 * @mac_hex: the MAC parameter: exactly 40 hex digits, either case.  Not
 *          used for USERPINMAC (may be NULL there).
 * @flags:  PDM__SECMAC_CP or PDM__SECMAC_DM (see above).
 * @variant: (out, optional) PDM__SECMAC_KEY_* that matched.
 * Keys: NETWPIN = IMSI key; USERPIN = ASCII PIN; USERNETWPIN = IMSI key ||
 * ASCII PIN (then, with the flag, PIN ":" IMSI key); USERPINMAC: the PIN
 * is K || m with |K| = |m|, valid if m[i] == '0' + (HMAC-SHA1(K,body)[i]
 * mod 10).  USERPINMAC PIN rule (decision): decimal digits only, even
 * length 10..40 (Intel CPClient's minimum of 10; 40 because m can use at
 * most the 20 MAC bytes) — a shorter m would make guessing too easy.
 * PINs for the other methods: 1..64 bytes, any content.
 * All comparisons are constant-time.
 * Returns PDM_OK, PDM_EAUTH (MAC does not match), PDM_EPARSE (MAC missing
 * or not 40 hex digits), PDM_EINVAL (unknown method, missing/invalid
 * IMSI or PIN — the text never contains them), PDM_ERROR (GnuTLS).
 */
int pdm__secmac_verify(int sec, const char *imsi, const char *pin,
                       const uint8_t *body, size_t len, const char *mac_hex,
                       unsigned flags, unsigned *variant, char *err,
                       size_t errlen);

/**
 * pdm__secmac_compute() - the MAC a sender puts in the MAC parameter, for
 * NETWPIN, USERPIN and USERNETWPIN (test server, tools).
 * @variant: PDM__SECMAC_KEY_PRIMARY, or PDM__SECMAC_KEY_PIN_COLON_IMSI
 *           (USERNETWPIN only).
 * @out_hex: (out) 40 upper-case hex digits + NUL.
 * Returns PDM_OK, PDM_EINVAL (USERPINMAC: use pdm__secmac_userpinmac_pin;
 * missing/invalid inputs), PDM_ERROR.
 */
int pdm__secmac_compute(int sec, const char *imsi, const char *pin,
                        unsigned variant, const uint8_t *body, size_t len,
                        char out_hex[PDM__SECMAC_HEX_LEN + 1], char *err,
                        size_t errlen);

/**
 * pdm__secmac_userpinmac_pin() - for USERPINMAC, the PIN the user must
 * enter: @key_digits (K, 5..20 decimal digits) followed by |K| MAC digits.
 * @out/@outsz: (out) the PIN, NUL-terminated; needs 2*|K|+1 bytes.
 * Returns PDM_OK, PDM_EINVAL, PDM_ETOOBIG (@out too small), PDM_ERROR.
 */
int pdm__secmac_userpinmac_pin(const char *key_digits, const uint8_t *body,
                               size_t len, char *out, size_t outsz,
                               char *err, size_t errlen);

/**
 * pdm__secmac_sec_parse() - a SEC parameter given as text: "0".."3", or a
 * name in any case: NETWPIN/NETWORKID, USERPIN, USERNETWPIN/
 * USERPIN_NETWORKID, USERPINMAC (both spellings, omadm-facts §8.3).
 * @sec: (out) the pdm_sec value.
 * Returns PDM_OK or PDM_ENOTSUP (unknown value).
 */
int pdm__secmac_sec_parse(const char *text, int *sec);

/** pdm__secmac_sec_name() - "NETWPIN", ... for a pdm_sec; "NONE" for 0,
 *  "?" for anything else.  Static string. */
const char *pdm__secmac_sec_name(int sec);

/* ======================================================================
 * WSP connectionless push (wsp.c) — omadm-facts §1.1, §4.1, §8.3
 *
 * A UDP datagram to port 2948 carries the WSP PDU directly: there is no
 * WDP/UDH prefix to strip (that only exists in SMS bearers, where the SMS
 * layer removes it).  Layout: TID, PDU type (0x06 Push), HeadersLen
 * (uintvar), Content-Type, headers, body.
 * ====================================================================== */

#define PDM__WSP_PDU_PUSH 0x06
#define PDM__WSP_CT_CONNECTIVITY_XML 0x35   /* text/vnd.wap.connectivity-xml */
#define PDM__WSP_CT_CONNECTIVITY_WBXML 0x36 /* application/vnd.wap.
                                               connectivity-wbxml */
#define PDM__WSP_CT_DM_WBXML 0x42     /* application/vnd.syncml.dm+wbxml */
#define PDM__WSP_CT_DM_XML 0x43       /* application/vnd.syncml.dm+xml */
#define PDM__WSP_CT_NOTIFICATION 0x44 /* application/vnd.syncml.notification */
#define PDM__WSP_APPID_SYNCML_DM 0x07 /* x-wap-application:syncml.dm */
#define PDM__WSP_APPID_SYNCML_DM_TEXT "x-wap-application:syncml.dm"
#define PDM__WSP_TEXT_MAX 127 /* content type / app id text */
#define PDM__WSP_MAC_MAX 64   /* MAC parameter text */

/** A WSP push PDU: the parse result, and the input of the builder. */
typedef struct pdm__wsp_push {
    uint8_t tid;        /* transaction id */
    uint8_t pdu_type;   /* 0x06 after a parse; ignored by the builder */
    /* Content type: ct_code is the well-known code (0..127, e.g. 0x44);
     * for a text content type the parser sets ct_code to the code of the
     * same name if it is one of ours (case-insensitive), else -1.
     * content_type holds the MIME name ("" for a code we do not know).
     * The builder uses ct_code if >= 0, else the content_type text. */
    int ct_code;
    char content_type[PDM__WSP_TEXT_MAX + 1];
    /* Content-type parameters SEC (0x91, pdm_sec; PDM_SEC_NONE if absent)
     * and MAC (0x92, text as sent; mac[0] == 0 if absent). */
    int sec;
    char mac[PDM__WSP_MAC_MAX + 1];
    /* X-WAP-Application-ID (header 0xAF): app_id_code is the integer form
     * (-1 if absent or given as text); app_id is the URI text, also filled
     * for code 7.  The builder uses app_id_code if >= 0, else app_id if
     * non-empty, else writes no such header. */
    long app_id_code;
    char app_id[PDM__WSP_TEXT_MAX + 1];
    const uint8_t *body; /* borrowed: points into the parsed buffer */
    size_t body_len;
} pdm__wsp_push;

/**
 * pdm__wsp_content_type_name() - MIME name of a well-known WSP content
 * type code from the small table this module knows (0x35, 0x36, 0x42,
 * 0x43, 0x44), or NULL.
 */
const char *pdm__wsp_content_type_name(int code);

/**
 * pdm__wsp_push_parse() - parse a WSP connectionless push PDU.
 * Content type: short-integer, text, or general form (Value-length, media
 * as integer or text, then parameters: SEC 0x91 Integer-value 0..3, MAC
 * 0x92 Text-string, untyped "SEC"/"MAC" by name, other parameters
 * skipped by the generic WSP value rules).  Headers: X-WAP-Application-ID
 * (0xAF, integer or text; also by name as an application header) is
 * decoded; others skipped; code-page shifts are honoured (only page 1
 * headers are interpreted).  Every length is checked against the PDU.
 * Refused: PDU type other than 0x06, empty headers, any length past the end,
 * overlong uintvar, unterminated text, SEC or MAC or app id given twice,
 * SEC outside 0..3 (PDM_ENOTSUP), non-printable or over-long texts.
 * @out: (out) filled on success; body points into @buf.
 * Returns PDM_OK, PDM_EPARSE, PDM_ENOTSUP, PDM_EINVAL (NULL argument).
 */
int pdm__wsp_push_parse(const uint8_t *buf, size_t len, pdm__wsp_push *out,
                        char *err, size_t errlen);

/**
 * pdm__wsp_push_is_dm_notification() - true if @p is routed to the DM
 * client as a package 0: content type 0x44 and X-WAP-Application-ID
 * x-wap-application:syncml.dm (code 7 or text).
 */
bool pdm__wsp_push_is_dm_notification(const pdm__wsp_push *p);

/**
 * pdm__wsp_push_build() - encode a push PDU from @in (see the struct for
 * which fields are used) and append it to @out.  With SEC or MAC the
 * content type is written in general form:
 *   Value-length, media, 0x91 0x80|(sec-1), 0x92 "<MAC>" 0x00
 * (E10 layout; Value-length uses the 0x1F length-quote when > 30).
 * Returns PDM_OK, PDM_EINVAL (code > 127, empty or non-printable text, sec
 * out of range), PDM_ENOMEM.
 */
int pdm__wsp_push_build(const pdm__wsp_push *in, pdm__buf *out, char *err,
                        size_t errlen);

#endif /* PDM_AUTH_H */
