/*
 * sim-bootstrap: the DM bootstrap file of a SIM/UICC, read over PC/SC, as
 * a bootstrap source (component "sim"; README.md here).
 *
 * probe() connects to the first matching reader with a card, reads the
 * ICCID (EF 2FE2) and walks PKCS#15 the way tests/sim/readef.c does:
 * the application by AID, else EF(DIR); EF(ODF) -> EF(DODF) -> the OID
 * data object 2.23.43.7.1 -> its Path -> READ BINARY in short chunks
 * (<= 256 bytes), T=0 (61xx/6Cxx) or T=1.  read() hands the bytes over with
 * origin SMARTCARD, SEC NONE and the ICCID as source_id: the core decides
 * whether an unsigned smart-card document is accepted
 * (bootstrap.unsigned_origins).  present_ids() lists the ICCIDs of the
 * cards present, so the core removes accounts from a card that is gone.
 *
 * Every card refusal or missing piece is one warning naming the file and
 * the status word and PDM_ENOTFOUND ("nothing to offer"); a PC/SC failure
 * in the middle of a read (card removed, reader gone) is PDM_EIO and
 * nothing is handed over.
 *
 * A PIN-protected EF(DM_Bootstrap) (6982) is read after one VERIFY of the
 * PIN the PKCS#15 AODF names (else option.pin_ref), asked from the user
 * through host->ask_pin (ABI 1.2): the card's tries counter is read first
 * (an empty VERIFY spends nothing), a blocked PIN or the last try is never
 * touched, and a wrong PIN is not retried in the same scan.
 *
 * watch_fd() starts a thread with its own PC/SC context that waits for
 * card and reader changes and makes a pipe readable; probe() drains it,
 * and leaves it readable when a card may have left since the core last
 * asked present_ids() (swap_pending()).  A swap counts even when both
 * looks see a card: pcsclite's event counter moves, the ICCID differs.
 *
 * Options: reader (a substring of the reader name; default any reader),
 * pin_ref (hex byte, default 01), pin_spend_last_try (true/false).
 */
#define _GNU_SOURCE /* pipe2 */
#include <polydm/bootstrap.h>

#include <winscard.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

static const pdm_host_api *host; /* plugin.h rule 9 */

#define CT_CP "application/vnd.wap.connectivity-wbxml"
#define CT_DM "application/vnd.syncml.dm+wbxml"
#define MAX_FILE 65536
#define MAX_RESP 4096
#define KV_PREFIX "applied-" /* + ICCID: the SHA-256 applied from it */
#define KV_CARDS "applied-cards" /* the ICCIDs with such a record, one per
                                    line: kv has no listing, and a card
                                    that left must lose its record */
#define KV_CARDS_MAX 16

typedef struct watch watch;

typedef struct inst {
    pdm_plugin_ctx *pc;
    const char *reader;  /* option: borrowed until destroy */
    uint8_t pin_ref;     /* option.pin_ref: VERIFY's P2 when no AODF says */
    bool spend_last;     /* option.pin_spend_last_try */
    watch *w;            /* watch_fd()'s thread, NULL before */
    uint8_t *doc;        /* what probe() found, handed over by read() */
    size_t len;
    char iccid[21];      /* of doc's card */
    uint8_t sha[32];     /* of doc */
    char skip_iccid[21]; /* offered by this process, not again until */
    uint8_t skip[32];    /* consumed(PDM_OK) records it for good */
    int have_skip;
    /* What the core last learned about the cards present (see known_*
     * below): the ICCIDs of present_ids()'s answer and of the documents
     * it applied since, and the readers' signature (reader_sig) then.
     * A probe that finds the readers changed since, or another card,
     * first lets the core ask present_ids() again (swap_pending()). */
    char known[16][21];
    size_t nknown;
    uint64_t known_sig;
    bool known_valid;
    uint64_t deferred_sig; /* swap_pending() deferred for this state */
    char deferred_iccid[21]; /* and this card ("": any) already */
    uint64_t probe_sig;    /* the readers' signature at the last probe */
    uint64_t seen_sig;     /* the last signature this thread saw, the */
    bool seen_valid;       /* watch thread's starting point (watch_fd) */
} inst;

/* ---- SHA-256: GnuTLS, the project's crypto library ---------------------- */

static int sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    /* the core logs the probe's failure */
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, d, n, out) == 0 ? PDM_OK
                                                              : PDM_ERROR;
}

/* ---- the card: APDUs and PKCS#15 (the walk of tests/sim/readef.c) ------- */

typedef struct card {
    inst *in;
    SCARDHANDLE h;
    DWORD proto;
    uint8_t aid[16];       /* the application's AID when selected by it */
    size_t aid_len;
    uint8_t app_path[16];  /* else its path from EF(DIR), from 3F00 */
    size_t app_path_len;
    bool pin_ok;           /* 6982 is NEED_PIN (EF(DM_Bootstrap) only) */
} card;

#define SW_PCSC (-1) /* xfer(): PC/SC failed (logged): card or reader gone */
#define NEED_PIN 2   /* read_path()/read_ef(): 6982 while c->pin_ok */

static const char *sw_text(int sw)
{
    switch (sw) {
    case 0x6282: return "end of file reached";
    case 0x6700: return "wrong length";
    case 0x6981: return "incompatible file structure";
    case 0x6982: return "security status not satisfied";
    case 0x6983: return "authentication method blocked";
    case 0x6985: return "conditions of use not satisfied";
    case 0x6986: return "no current EF";
    case 0x6A81: return "function not supported";
    case 0x6A82: return "file not found";
    case 0x6A86: return "incorrect P1-P2";
    case 0x6A88: return "referenced data not found";
    case 0x6B00: return "wrong offset";
    case 0x6D00: return "instruction not supported";
    case 0x6E00: return "class not supported";
    default: return "unexpected status";
    }
}

/* One warning about the card's content; the scan has nothing to offer. */
static int nothing(card *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int nothing(card *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host->log(c->in->pc, PDM_LOG_WARN, "%s", msg);
    return PDM_ENOTFOUND;
}

/* A status word that ended the walk: PC/SC failures are errors (nothing
 * is handed over), card answers are "nothing to offer". */
static int sw_fail(card *c, int sw, const char *what, const char *step)
{
    if (sw == SW_PCSC)
        return PDM_EIO;
    return nothing(c, "%s: %s: %04X (%s)", what, step, (unsigned)sw,
                   sw_text(sw));
}

/* Clears a secret (the PIN, a VERIFY APDU) so it does not outlive its
 * use; volatile so the compiler cannot drop the stores. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

/* One APDU with the T=0 conventions: 61xx fetches the rest with GET
 * RESPONSE, 6Cxx resends once with the card's Le (only a command that
 * has an Le: a VERIFY is never sent twice).  Returns the final status
 * word or SW_PCSC; *rlen bytes of data are in resp[MAX_RESP].  The
 * command's copy is wiped (it may hold a PIN). */
static int xfer(card *c, const uint8_t *apdu, size_t n, uint8_t *resp,
                size_t *rlen)
{
    const SCARD_IO_REQUEST *pci =
        c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    uint8_t cmd[5 + 255 + 1], buf[258];
    size_t have = 0;
    /* case 2 (header + Le) or case 4 (header + Lc + data + Le) */
    int has_le = n == 5 || (n > 5 && n == 6 + (size_t)apdu[4]);
    int resent = 0, sw;
    memcpy(cmd, apdu, n);
    for (;;) {
        DWORD blen = sizeof buf;
        LONG rv = SCardTransmit(c->h, pci, cmd, (DWORD)n, NULL, buf, &blen);
        size_t dl;
        if (rv != SCARD_S_SUCCESS) {
            host->log(c->in->pc, PDM_LOG_WARN,
                      "SCardTransmit: %s (card removed?): nothing read",
                      pcsc_stringify_error(rv));
            sw = SW_PCSC;
            break;
        }
        if (blen < 2 || have + blen - 2 > MAX_RESP) {
            host->log(c->in->pc, PDM_LOG_WARN,
                      "the card's response has %lu bytes: nothing read",
                      (unsigned long)blen);
            sw = SW_PCSC;
            break;
        }
        sw = buf[blen - 2] << 8 | buf[blen - 1];
        dl = blen - 2;
        memcpy(resp + have, buf, dl);
        have += dl;
        if ((sw >> 8) == 0x61) {
            const uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
            wipe(cmd, n);
            memcpy(cmd, gr, sizeof gr);
            n = sizeof gr;
            has_le = 1;
            continue;
        }
        if ((sw >> 8) == 0x6C && has_le && !resent) {
            cmd[n - 1] = (uint8_t)sw;
            resent = 1;
            continue;
        }
        *rlen = have;
        break;
    }
    wipe(cmd, sizeof cmd);
    return sw;
}

/* BER-TLV: the next object at *off of p[0..n).  1 = padding (00/FF) or
 * the end, 0 = one object, -1 = broken (overrun, indefinite, too long). */
static int tlv_next(const uint8_t *p, size_t n, size_t *off, unsigned *tag,
                    const uint8_t **val, size_t *len)
{
    size_t i = *off, l;
    unsigned t;
    if (i >= n || p[i] == 0x00 || p[i] == 0xFF)
        return 1;
    t = p[i++];
    if ((t & 0x1F) == 0x1F) {
        int k = 0;
        do {
            if (i >= n || ++k > 2)
                return -1;
            t = t << 8 | p[i];
        } while (p[i++] & 0x80);
    }
    if (i >= n)
        return -1;
    l = p[i++];
    if (l & 0x80) {
        size_t nb = l & 0x7F;
        if (nb == 0 || nb > 3 || n - i < nb)
            return -1;
        l = 0;
        while (nb--)
            l = l << 8 | p[i++];
    }
    if (l > n - i)
        return -1;
    *tag = t;
    *val = p + i;
    *len = l;
    *off = i + l;
    return 0;
}

static int only_padding(const uint8_t *p, size_t n, size_t off)
{
    for (; off < n; off++)
        if (p[off] != 0x00 && p[off] != 0xFF)
            return 0;
    return 1;
}

static const uint8_t *tlv_find(const uint8_t *p, size_t n, unsigned want,
                               size_t *len)
{
    size_t off = 0;
    unsigned tag;
    const uint8_t *v;
    while (tlv_next(p, n, &off, &tag, &v, len) == 0)
        if (tag == want)
            return v;
    return NULL;
}

/* File size from an FCP (62) or FCI (6F): tag 80, else 81; -1: none. */
static long fcp_size(const uint8_t *r, size_t n)
{
    size_t off = 0, l;
    unsigned tag;
    const uint8_t *v, *s;
    long size = 0;
    if (tlv_next(r, n, &off, &tag, &v, &l) != 0 || (tag != 0x62 && tag != 0x6F))
        return -1;
    s = tlv_find(v, l, 0x80, &n);
    if (!s)
        s = tlv_find(v, l, 0x81, &n);
    if (!s || n == 0 || n > 3)
        return -1;
    for (size_t i = 0; i < n; i++)
        size = size << 8 | s[i];
    return size;
}

/* SELECT with FCP (P2=04); p1: 00 FID, 04 AID, 08 path from the MF, 09
 * path from the current DF.  Returns the SW; *size from the FCP. */
static int select_(card *c, uint8_t p1, const uint8_t *d, size_t n,
                   int with_le, long *size)
{
    uint8_t apdu[5 + 16 + 1], r[MAX_RESP];
    size_t rl = 0;
    int sw;
    apdu[0] = 0x00;
    apdu[1] = 0xA4;
    apdu[2] = p1;
    apdu[3] = 0x04;
    apdu[4] = (uint8_t)n;
    memcpy(apdu + 5, d, n);
    apdu[5 + n] = 0x00;
    sw = xfer(c, apdu, 5 + n + (with_le ? 1 : 0), r, &rl);
    if (size)
        *size = sw == 0x9000 ? fcp_size(r, rl) : -1;
    return sw;
}

static int select_app(card *c)
{
    if (c->aid_len) /* case 3 (no Le): a T=0 card answers 61xx */
        return select_(c, 0x04, c->aid, c->aid_len, 0, NULL);
    return select_(c, 0x08, c->app_path + 2, c->app_path_len - 2, 1, NULL);
}

/* A PKCS#15 Path: absolute (3F00...) from the MF, else relative to the
 * application DF (PKCS#15 v1.1 6.1.5). */
static int select_path(card *c, const uint8_t *p, size_t n, long *size)
{
    int sw;
    if (n >= 2 && p[0] == 0x3F && p[1] == 0x00)
        return n == 2 ? select_(c, 0x00, p, 2, 1, size)
                      : select_(c, 0x08, p + 2, n - 2, 1, size);
    sw = select_app(c);
    if (sw != 0x9000)
        return sw;
    return select_(c, n == 2 ? 0x00 : 0x09, p, n, 1, size);
}

/* READ BINARY the current EF in chunks of at most 256 bytes (short Le).
 * out has MAX_FILE bytes.  PDM_OK with *got, or why not (logged). */
static int read_ef(card *c, const char *what, long size, uint8_t *out,
                   size_t *got)
{
    size_t want = size < 0 ? MAX_FILE : (size_t)size;
    *got = 0;
    if (want > MAX_FILE)
        return nothing(c, "%s: %ld bytes, over the %d this plugin reads",
                       what, size, MAX_FILE);
    while (*got < want) {
        size_t chunk = want - *got > 256 ? 256 : want - *got, rl = 0;
        uint8_t apdu[5] = {0x00, 0xB0, (uint8_t)(*got >> 8 & 0x7F),
                           (uint8_t)*got, (uint8_t)chunk};
        uint8_t r[MAX_RESP];
        int sw;
        if (*got > 0x7FFF)
            return nothing(c, "%s: offset %zu beyond READ BINARY's 15 bits",
                           what, *got);
        sw = xfer(c, apdu, sizeof apdu, r, &rl);
        if (sw == 0x6982 && c->pin_ok)
            return NEED_PIN; /* walk() verifies the PIN and reads again */
        if (sw == 0x6B00 && size < 0)
            break;
        if (sw != 0x9000 && sw != 0x6282)
            return sw_fail(c, sw, what, "READ BINARY");
        if (rl > chunk)
            return nothing(c, "%s: READ BINARY at %zu: %zu bytes for %zu",
                           what, *got, rl, chunk);
        memcpy(out + *got, r, rl);
        *got += rl;
        if (sw == 0x6282 || rl == 0)
            break;
    }
    if (size >= 0 && *got != (size_t)size)
        return nothing(c, "%s: read %zu of %ld bytes", what, *got, size);
    return PDM_OK;
}

/* EF(ICCID): 10 BCD bytes, low nibble first, F-padded. */
static int read_iccid(card *c, char out[21])
{
    static const uint8_t mf[2] = {0x3F, 0x00}, id[2] = {0x2F, 0xE2};
    uint8_t data[MAX_FILE];
    size_t n, k = 0;
    long size;
    int sw = select_(c, 0x00, mf, 2, 1, NULL), rc;
    if (sw != 0x9000)
        return sw_fail(c, sw, "MF", "SELECT");
    sw = select_(c, 0x00, id, 2, 1, &size);
    if (sw != 0x9000)
        return sw_fail(c, sw, "EF(ICCID) 2FE2", "SELECT");
    if (size != 10)
        return nothing(c, "EF(ICCID) 2FE2: %ld bytes, not 10", size);
    if ((rc = read_ef(c, "EF(ICCID) 2FE2", size, data, &n)) != PDM_OK)
        return rc;
    for (int i = 0; i < 10; i++) {
        unsigned lo = data[i] & 0x0F, hi = data[i] >> 4;
        if (lo > 9)
            break;
        out[k++] = (char)('0' + lo);
        if (hi > 9)
            break;
        out[k++] = (char)('0' + hi);
    }
    out[k] = '\0';
    if (k < 10)
        return nothing(c, "EF(ICCID) 2FE2: not BCD digits");
    return PDM_OK;
}

static const uint8_t PKCS15_AID[12] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                       0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

/* The PKCS#15 application: by its AID, else through EF(DIR)'s path. */
static int find_app(card *c)
{
    static const uint8_t dir[4] = {0x3F, 0x00, 0x2F, 0x00};
    uint8_t data[MAX_FILE];
    size_t n, off = 0, l, al, pl;
    long size;
    unsigned tag;
    const uint8_t *v;
    int r, sw_dir, rc, sw = select_(c, 0x04, PKCS15_AID, 12, 0, NULL);
    if (sw == 0x9000) {
        memcpy(c->aid, PKCS15_AID, 12);
        c->aid_len = 12;
        return PDM_OK;
    }
    if (sw == SW_PCSC)
        return PDM_EIO;
    sw_dir = select_path(c, dir, 4, &size);
    if (sw_dir == SW_PCSC)
        return PDM_EIO;
    if (sw_dir != 0x9000)
        return nothing(c, "no PKCS#15 application: SELECT AID "
                       "A000000063504B43532D3135: %04X, EF(DIR) 2F00: %04X "
                       "(%s)", (unsigned)sw, (unsigned)sw_dir,
                       sw_text(sw_dir));
    if ((rc = read_ef(c, "EF(DIR) 2F00", size, data, &n)) != PDM_OK)
        return rc;
    while ((r = tlv_next(data, n, &off, &tag, &v, &l)) == 0) {
        const uint8_t *a = tlv_find(v, l, 0x4F, &al);
        const uint8_t *p = tlv_find(v, l, 0x51, &pl);
        if (tag != 0x61 || !a || al != 12 || memcmp(a, PKCS15_AID, 12))
            continue;
        if (!p || pl < 4 || pl > sizeof c->app_path || p[0] != 0x3F ||
            p[1] != 0x00 || pl % 2)
            return nothing(c, "EF(DIR) 2F00: the PKCS#15 entry has no "
                           "usable path (51)");
        memcpy(c->app_path, p, pl);
        c->app_path_len = pl;
        sw = select_app(c);
        return sw == 0x9000 ? PDM_OK
                            : sw_fail(c, sw, "PKCS#15 application (EF(DIR) "
                                      "path)", "SELECT");
    }
    if (r < 0)
        return nothing(c, "EF(DIR) 2F00: broken TLV at offset %zu", off);
    return nothing(c, "no PKCS#15 application: SELECT AID: %04X, and EF(DIR) "
                   "has no entry for it", (unsigned)sw);
}

/* Reads the file a PKCS#15 Path names; what[96] gets "NAME PATHHEX". */
static int read_path(card *c, const char *name, const uint8_t *p, size_t n,
                     uint8_t *out, size_t *got, char *what)
{
    long size;
    int sw, k;
    if (n < 2 || n > 16 || n % 2)
        return nothing(c, "%s: a Path of %zu bytes", name, n);
    k = snprintf(what, 96, "%s ", name);
    for (size_t i = 0; i < n && k > 0 && k + 3 < 96; i++)
        k += snprintf(what + k, (size_t)(96 - k), "%02X", p[i]);
    sw = select_path(c, p, n, &size);
    if (sw == 0x6982 && c->pin_ok)
        return NEED_PIN;
    if (sw != 0x9000)
        return sw_fail(c, sw, what, "SELECT");
    return read_ef(c, what, size, out, got);
}

/* The DODF entries: the Path of OID 2.23.43.7.1, copied to bs[16], and
 * the object's authId (CommonObjectAttributes, OCTET STRING 04; *authl 0
 * when it has none) to auth[16].
 * PDM_OK, 1 when this DODF has none, or PDM_ENOTFOUND (broken, logged). */
static int dodf_find(card *c, const uint8_t *dodf, size_t dn,
                     const char *dwhat, uint8_t *bs, size_t *bsl,
                     uint8_t *auth, size_t *authl)
{
    static const uint8_t oid[4] = {0x67, 0x2B, 0x07, 0x01};
    size_t doff = 0, el;
    unsigned dtag;
    const uint8_t *e;
    int dr;
    while ((dr = tlv_next(dodf, dn, &doff, &dtag, &e, &el)) == 0) {
        size_t eoff = 0, tl, ol, sl = 0, pl, cl = 0, al = 0;
        unsigned etag;
        const uint8_t *t = NULL, *x, *odo, *o, *ps, *p, *com = NULL, *a;
        int er;
        if (dtag != 0xA1) /* oidDO [1]; opaqueDO, externalIDO skipped */
            continue;
        while ((er = tlv_next(e, el, &eoff, &etag, &x, &tl)) == 0) {
            if (etag == 0xA1)
                t = x, sl = tl;
            else if (etag == 0x30 && !com) /* CommonObjectAttributes */
                com = x, cl = tl;
        }
        if (er < 0 || !t)
            return nothing(c, "%s: broken: oidDO at offset %zu without "
                           "typeAttributes", dwhat, doff - el);
        odo = tlv_find(t, sl, 0x30, &tl);
        o = odo ? tlv_find(odo, tl, 0x06, &ol) : NULL;
        if (!o)
            return nothing(c, "%s: broken: OidDO without an OBJECT "
                           "IDENTIFIER", dwhat);
        if (ol != sizeof oid || memcmp(o, oid, ol))
            continue;
        ps = tlv_find(odo, tl, 0x30, &sl);
        p = ps ? tlv_find(ps, sl, 0x04, &pl) : NULL;
        if (!p || pl > 16)
            return nothing(c, "%s: broken: OID 2.23.43.7.1 without a usable "
                           "Path", dwhat);
        a = com ? tlv_find(com, cl, 0x04, &al) : NULL;
        if (a && (al == 0 || al > 16))
            return nothing(c, "%s: broken: OID 2.23.43.7.1 with an authId "
                           "of %zu bytes", dwhat, al);
        memcpy(bs, p, pl);
        *bsl = pl;
        if (a)
            memcpy(auth, a, al);
        *authl = a ? al : 0;
        return PDM_OK;
    }
    if (dr < 0)
        return nothing(c, "%s: broken: TLV at offset %zu overruns the file "
                       "or is malformed", dwhat, doff);
    if (!only_padding(dodf, dn, doff))
        return nothing(c, "%s: broken: bytes after the last object at "
                       "offset %zu", dwhat, doff);
    return 1; /* not in this DODF: the caller tries the next one */
}

/* ---- the PIN ------------------------------------------------------------- */

/* Was a document of this card offered by this process, or applied (kv
 * record, dropped when the card leaves)?  Errors count as yes: then no
 * PIN is asked. */
static bool offered_before(inst *in, const char *iccid)
{
    char key[sizeof KV_PREFIX + 21];
    pdm_blob kv = {NULL, 0};
    int rc;
    if (in->have_skip && strcmp(in->skip_iccid, iccid) == 0)
        return true;
    snprintf(key, sizeof key, KV_PREFIX "%s", iccid);
    rc = host->kv_get(in->pc, key, &kv);
    if (rc == PDM_OK)
        host->free(kv.data);
    return rc != PDM_ENOTFOUND;
}

/* An AODF's PIN objects (PKCS#15 v1.1 6.8): each `pin` choice is
 *   30 { 30 CommonObjectAttributes,
 *        30 CommonAuthenticationObjectAttributes { 04 authId, ... },
 *        [A0 subclass], A1 { 30 PinAttributes { 03 pinFlags, 0A pinType,
 *        02 minLength, 02 storedLength, [02 maxLength],
 *        [80 pinReference DEFAULT 0], ... } } }
 * The one whose authId is auth[authl] gives *ref.  Other choices
 * (biometric A0, authKey A1, external A2) are skipped.
 * PDM_OK, 1 when no object has that authId, PDM_ENOTFOUND (broken). */
static int aodf_find(card *c, const uint8_t *aodf, size_t an,
                     const char *what, const uint8_t *auth, size_t authl,
                     uint8_t *ref)
{
    size_t off = 0, l;
    unsigned tag;
    const uint8_t *v;
    int r;
    while ((r = tlv_next(aodf, an, &off, &tag, &v, &l)) == 0) {
        size_t eoff = 0, tl, k = 0, cl = 0, al, tal = 0, pl, rl;
        unsigned etag;
        const uint8_t *x, *cls = NULL, *a, *ta = NULL, *pa, *rv;
        int er;
        if (tag != 0x30)
            continue;
        while ((er = tlv_next(v, l, &eoff, &etag, &x, &tl)) == 0) {
            if (etag == 0x30 && ++k == 2)
                cls = x, cl = tl;
            else if (etag == 0xA1)
                ta = x, tal = tl;
        }
        a = cls ? tlv_find(cls, cl, 0x04, &al) : NULL;
        if (er < 0 || !a)
            return nothing(c, "%s: broken: PIN object at offset %zu without "
                           "an authId", what, off - l);
        if (al != authl || memcmp(a, auth, al))
            continue;
        pa = ta ? tlv_find(ta, tal, 0x30, &pl) : NULL;
        if (!pa)
            return nothing(c, "%s: broken: the PIN object of the DM "
                           "bootstrap's authId has no PinAttributes", what);
        rv = tlv_find(pa, pl, 0x80, &rl);
        if (!rv) {
            *ref = 0; /* pinReference [0] DEFAULT 0 */
        } else if (rl == 1 || (rl == 2 && rv[0] == 0x00)) {
            *ref = rv[rl - 1]; /* 81 as one byte is common: taken as is */
        } else {
            return nothing(c, "%s: the PIN object's pinReference (%zu "
                           "bytes) is not one byte", what, rl);
        }
        return PDM_OK;
    }
    if (r < 0)
        return nothing(c, "%s: broken: TLV at offset %zu overruns the file "
                       "or is malformed", what, off);
    return 1;
}

/* The PIN reference (VERIFY's P2) for an object with authId auth: the
 * AODFs of EF(ODF)'s authObjects [8] (A8) entries, else option.pin_ref.
 * scratch[MAX_FILE] is reused for each AODF.  *from names the source for
 * the log.  PDM_OK or why not (logged). */
static int pin_ref(card *c, const uint8_t *odf, size_t on,
                   const uint8_t *auth, size_t authl, uint8_t *scratch,
                   uint8_t *ref, const char **from)
{
    size_t off = 0, l, an;
    unsigned tag;
    const uint8_t *v;
    char awhat[96];
    int r, rc;
    *ref = c->in->pin_ref;
    *from = "option.pin_ref";
    if (authl == 0)
        return PDM_OK; /* the object names no PIN: only the option can */
    while ((r = tlv_next(odf, on, &off, &tag, &v, &l)) == 0) {
        size_t sl, pl;
        const uint8_t *seq, *p;
        if (tag != 0xA8) /* authObjects [8] */
            continue;
        seq = tlv_find(v, l, 0x30, &sl);
        p = seq ? tlv_find(seq, sl, 0x04, &pl) : NULL;
        if (!p)
            return nothing(c, "EF(ODF): authObjects entry without a Path");
        if ((rc = read_path(c, "EF(AODF)", p, pl, scratch, &an, awhat)) !=
            PDM_OK)
            return rc;
        rc = aodf_find(c, scratch, an, awhat, auth, authl, ref);
        if (rc == PDM_OK) {
            *from = "EF(AODF)";
            return PDM_OK;
        }
        if (rc != 1)
            return rc;
    }
    if (r < 0)
        return nothing(c, "EF(ODF): broken TLV at offset %zu", off);
    return PDM_OK; /* no AODF knows the authId: the option */
}

/* VERIFY (TS 102 221 11.1.9) of PIN ref.  pin NULL: case 1, asks the
 * status without spending a try (9000 verified, 63Cx x tries left,
 * 6983 blocked); else the PIN padded to 8 bytes with FF (9.5.1). */
static int verify(card *c, uint8_t ref, const char *pin)
{
    uint8_t apdu[5 + 8], r[MAX_RESP];
    size_t rl = 0, n = 4, pl;
    int sw;
    apdu[0] = 0x00;
    apdu[1] = 0x20;
    apdu[2] = 0x00;
    apdu[3] = ref;
    if (pin) {
        pl = strlen(pin); /* 4..8 digits, checked by the caller */
        apdu[4] = 8;
        memset(apdu + 5, 0xFF, 8);
        memcpy(apdu + 5, pin, pl);
        n = sizeof apdu;
    }
    sw = xfer(c, apdu, n, r, &rl);
    wipe(apdu, sizeof apdu);
    return sw;
}

static bool pin_valid(const char *pin)
{
    size_t n = strlen(pin);
    if (n < 4 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return false;
    return true;
}

/* EF(DM_Bootstrap) (@what) answered 6982: verify the PIN that guards it,
 * at most once (walk() calls this once per probe, so once per scan).
 * PDM_OK: verified, read again; else nothing to offer (logged) or
 * PDM_EIO.  The card's counter rules: blocked -> never ask; 1 try left ->
 * never spend it unless option.pin_spend_last_try; a wrong PIN is not
 * retried. */
static int unlock(card *c, const char *iccid, const char *what,
                  const uint8_t *odf, size_t on, const uint8_t *auth,
                  size_t authl, uint8_t *scratch)
{
    static const char text[] = "Enter the SIM PIN to read the operator's "
                               "device-management settings";
    inst *in = c->in;
    const char *from;
    char pin[32];
    uint8_t ref;
    unsigned tries;
    int sw, rc;
    if (offered_before(in, iccid)) {
        /* The core probes again after a document (SCAN_PER_SOURCE), and
         * every later scan would ask again for a card that stays in: the
         * PIN is asked once per card insertion, not once per scan. */
        host->log(in->pc, PDM_LOG_INFO, "%s: the document of card %s was "
                  "offered already: the SIM PIN is not asked again until "
                  "the card is inserted again", what, iccid);
        return PDM_ENOTFOUND;
    }
    if ((rc = pin_ref(c, odf, on, auth, authl, scratch, &ref, &from)) !=
        PDM_OK)
        return rc;
    sw = verify(c, ref, NULL);
    if (sw == 0x9000)
        return PDM_OK; /* verified already in this card session */
    if (sw == 0x6983 || sw == 0x63C0)
        return nothing(c, "%s is PIN-protected and the SIM PIN (%02X, from "
                       "%s) is blocked (%04X): not asked; unblock it with "
                       "the PUK in the phone's SIM settings", what, ref,
                       from, (unsigned)sw);
    if (sw == SW_PCSC)
        return PDM_EIO;
    if ((sw & 0xFFF0) != 0x63C0)
        return nothing(c, "%s is PIN-protected: VERIFY PIN %02X (from %s, "
                       "status): %04X (%s)", what, ref, from, (unsigned)sw,
                       sw_text(sw));
    tries = sw & 0x0F;
    if (tries == 1 && !in->spend_last)
        return nothing(c, "%s is PIN-protected and the SIM PIN has 1 try "
                       "left: not asked (a wrong PIN would block the SIM); "
                       "enter the PIN in the phone's own SIM settings, or "
                       "set option.pin_spend_last_try = true", what);
    if (!PDM_HOST_HAS(host, ask_pin))
        return nothing(c, "%s is PIN-protected: cannot ask for the PIN (the "
                       "host has no PIN prompt; ABI 1.2 needed)", what);
    rc = host->ask_pin(in->pc, text, (int)tries, pin, sizeof pin);
    if (rc != PDM_OK) {
        wipe(pin, sizeof pin);
        if (rc == PDM_ECANCELLED) {
            host->log(in->pc, PDM_LOG_INFO, "%s: the SIM PIN was not "
                      "given: not read (no try spent)", what);
            return PDM_ENOTFOUND;
        }
        return nothing(c, "%s is PIN-protected: cannot ask for the PIN: %s",
                       what, host->strerror(rc));
    }
    if (!pin_valid(pin)) {
        wipe(pin, sizeof pin);
        return nothing(c, "%s: the SIM PIN given is not 4 to 8 digits: not "
                       "sent to the card (no try spent)", what);
    }
    sw = verify(c, ref, pin);
    wipe(pin, sizeof pin);
    if (sw == 0x9000) {
        host->log(in->pc, PDM_LOG_INFO, "%s: SIM PIN verified", what);
        return PDM_OK;
    }
    if (sw == SW_PCSC)
        return PDM_EIO;
    if ((sw & 0xFFF0) == 0x63C0)
        return nothing(c, "%s: wrong SIM PIN, %u tries left%s: not read "
                       "(not asked again in this scan)", what,
                       (unsigned)(sw & 0x0F),
                       (sw & 0x0F) ? "" : " (the SIM PIN is now blocked)");
    if (sw == 0x6983)
        return nothing(c, "%s: VERIFY PIN %02X: 6983: the SIM PIN is "
                       "blocked", what, ref);
    return nothing(c, "%s: VERIFY PIN %02X: %04X (%s)", what, ref,
                   (unsigned)sw, sw_text(sw));
}

/* The whole walk: ICCID, then EF(DM_Bootstrap) into out[MAX_FILE]. */
static int walk(card *c, char iccid[21], uint8_t *out, size_t *n)
{
    static const uint8_t odf_fid[2] = {0x50, 0x31};
    uint8_t *odf = host->alloc(MAX_FILE), *dodf = host->alloc(MAX_FILE);
    uint8_t bs[16], auth[16];
    size_t on = 0, dn, off = 0, l, bsl = 0, authl = 0;
    unsigned tag;
    const uint8_t *v;
    char what[96], dwhat[96];
    int rc, r = 1, found = 0;
    if (!odf || !dodf) {
        rc = PDM_ENOMEM;
        goto out;
    }
    if ((rc = read_iccid(c, iccid)) != PDM_OK || (rc = find_app(c)) != PDM_OK ||
        (rc = read_path(c, "EF(ODF)", odf_fid, 2, odf, &on, what)) != PDM_OK)
        goto out;
    while (!found && (r = tlv_next(odf, on, &off, &tag, &v, &l)) == 0) {
        size_t sl, pl;
        const uint8_t *seq, *p;
        if (tag != 0xA7) /* dataObjects [7] */
            continue;
        seq = tlv_find(v, l, 0x30, &sl);
        p = seq ? tlv_find(seq, sl, 0x04, &pl) : NULL;
        if (!p) {
            rc = nothing(c, "EF(ODF): dataObjects entry without a Path");
            goto out;
        }
        if ((rc = read_path(c, "EF(DODF)", p, pl, dodf, &dn, dwhat)) != PDM_OK)
            goto out;
        rc = dodf_find(c, dodf, dn, dwhat, bs, &bsl, auth, &authl);
        if (rc == PDM_OK)
            found = 1;
        else if (rc != 1)
            goto out;
    }
    if (!found) {
        rc = r < 0 ? nothing(c, "EF(ODF): broken TLV at offset %zu", off)
                   : nothing(c, "no OID data object 2.23.43.7.1 (DM "
                             "bootstrap) in any EF(DODF)");
        goto out;
    }
    /* Read first: the card, not the DODF's private flag, says whether a
     * PIN is needed (no question to the user for a readable file). */
    c->pin_ok = true;
    rc = read_path(c, "EF(DM_Bootstrap)", bs, bsl, out, n, what);
    c->pin_ok = false; /* a second 6982 is an error, never a second PIN */
    if (rc == NEED_PIN &&
        (rc = unlock(c, iccid, what, odf, on, auth, authl, dodf)) == PDM_OK)
        rc = read_path(c, "EF(DM_Bootstrap)", bs, bsl, out, n, what);
out:
    host->free(odf);
    host->free(dodf);
    return rc;
}

/* ---- PC/SC: readers and cards -------------------------------------------- */

/* A context to pcscd, or why not (logged).  PDM_ENOTFOUND: no pcscd. */
static int open_ctx(inst *in, SCARDCONTEXT *ctx)
{
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
    if (rv == SCARD_S_SUCCESS)
        return PDM_OK;
    host->log(in->pc, PDM_LOG_WARN, "PC/SC: %s%s", pcsc_stringify_error(rv),
              rv == SCARD_E_NO_SERVICE ? " (is pcscd running?)" : "");
    return rv == SCARD_E_NO_SERVICE ? PDM_ENOTFOUND : PDM_EIO;
}

/* The readers matching option.reader and their states (SCardGetStatusChange
 * with timeout 0: no waiting).  names[4096] holds the strings st points
 * to; *n of st[16].  PDM_OK (maybe *n == 0) or PDM_EIO (logged). */
static int list_readers(inst *in, SCARDCONTEXT ctx, char *names,
                        SCARD_READERSTATE *st, DWORD *n)
{
    DWORD nl = 4096;
    LONG rv = SCardListReaders(ctx, NULL, names, &nl);
    *n = 0;
    if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return PDM_OK;
    if (rv != SCARD_S_SUCCESS) {
        host->log(in->pc, PDM_LOG_WARN, "SCardListReaders: %s",
                  pcsc_stringify_error(rv));
        return PDM_EIO;
    }
    for (char *p = names; *p && *n < 16; p += strlen(p) + 1)
        if (!in->reader || strstr(p, in->reader)) {
            memset(&st[*n], 0, sizeof st[*n]);
            st[*n].szReader = p;
            st[*n].dwCurrentState = SCARD_STATE_UNAWARE;
            (*n)++;
        }
    if (*n == 0)
        return PDM_OK;
    rv = SCardGetStatusChange(ctx, 0, st, *n);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
        host->log(in->pc, PDM_LOG_WARN, "SCardGetStatusChange: %s",
                  pcsc_stringify_error(rv));
        return PDM_EIO;
    }
    return PDM_OK;
}

static int has_card(const SCARD_READERSTATE *s)
{
    return (s->dwEventState & SCARD_STATE_PRESENT) &&
           !(s->dwEventState & SCARD_STATE_MUTE);
}

/* The readers' signature: FNV-1a over each matching reader's name, its
 * PRESENT/EMPTY bits and pcsclite's event counter (the upper 16 bits of
 * dwEventState: one step per insertion or removal).  A card pulled and
 * another put in between two looks leaves PRESENT as it was but moves
 * the counter; our own connections and resets do not move it. */
static uint64_t reader_sig(const SCARD_READERSTATE *st, DWORD n)
{
    uint64_t h = 1469598103934665603u;
    for (DWORD i = 0; i < n; i++) {
        uint32_t s = (uint32_t)(st[i].dwEventState &
                                (0xFFFF0000u | SCARD_STATE_PRESENT |
                                 SCARD_STATE_EMPTY));
        for (const char *p = st[i].szReader; *p; p++)
            h = (h ^ (uint8_t)*p) * 1099511628211u;
        for (int b = 0; b < 4; b++)
            h = (h ^ (uint8_t)(s >> (8 * b))) * 1099511628211u;
        h = (h ^ 0xFFu) * 1099511628211u; /* ends the reader's entry */
    }
    return h;
}

static int connect_card(card *c, SCARDCONTEXT ctx, const char *reader)
{
    LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h,
                           &c->proto);
    if (rv == SCARD_S_SUCCESS)
        return PDM_OK;
    host->log(c->in->pc, PDM_LOG_WARN, "SCardConnect %s: %s", reader,
              pcsc_stringify_error(rv));
    return PDM_EIO;
}

/* ---- watching the readers (watch_fd) ------------------------------------- */

/* The watch thread has its own PC/SC context (a context belongs to one
 * thread) and never calls host services (they are not thread-safe): it
 * only writes a byte to the pipe and records its last PC/SC failure in
 * atomics, which probe() and present_ids() log on the context's thread.
 * It never allocates: destroy() frees what watch_fd() allocated. */
struct watch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* wakes the 2 s retry pause; says done */
    bool stop;           /* mu: destroy() asked the thread to return */
    bool done;           /* mu: the thread has returned */
    bool live;           /* mu: ctx is established, SCardCancel-able */
    SCARDCONTEXT ctx;    /* mu */
    int rfd, wfd;        /* the pipe, both ends non-blocking */
    const char *reader;  /* option.reader, borrowed until destroy */
    atomic_long problem; /* the last PC/SC failure (a LONG rv) */
    atomic_bool problem_new; /* not logged yet */
    uint64_t base;       /* reader_sig() of the context thread's last look */
    bool has_base;       /* (set before the thread starts, then read-only) */
};

#define PNP_READER "\\\\?PnP?\\Notification"
/* The state bits that mean "another card" or "another reader": not
 * INUSE/EXCLUSIVE/UNPOWERED, which our own scans and pcscd's power
 * management flip (a scan must not wake the next one).  The high 16 bits
 * are pcsclite's event counter (one step per insertion or removal). */
#define WATCHED                                                           \
    (0xFFFF0000u | SCARD_STATE_IGNORE | SCARD_STATE_UNKNOWN |             \
     SCARD_STATE_UNAVAILABLE | SCARD_STATE_EMPTY | SCARD_STATE_PRESENT |  \
     SCARD_STATE_MUTE)
#define WATCH_MAX 16 /* matching readers watched, as probe() looks at */

static void watch_signal(watch *w)
{
    /* EAGAIN: the pipe is full, so readable already: nothing lost */
    ssize_t r = write(w->wfd, "c", 1);
    (void)r;
}

static bool watch_stopping(watch *w)
{
    bool s;
    pthread_mutex_lock(&w->mu);
    s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* Waits 2 s, or less when destroy() stops the thread.  false: stop. */
static bool watch_pause(watch *w)
{
    struct timespec t;
    bool go;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += 2;
    pthread_mutex_lock(&w->mu);
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &t) != ETIMEDOUT)
        ;
    go = !w->stop;
    pthread_mutex_unlock(&w->mu);
    return go;
}

/* What the readers look like: each matching reader's name and WATCHED
 * state, packed into sig[cap].  Returns the length. */
static size_t watch_sig(const SCARD_READERSTATE *st, DWORD n, char *sig,
                        size_t cap)
{
    size_t k = 0;
    for (DWORD i = 0; i < n; i++) {
        size_t l = strlen(st[i].szReader) + 1;
        uint32_t s = (uint32_t)(st[i].dwEventState & WATCHED);
        if (k + l + sizeof s > cap)
            break;
        memcpy(sig + k, st[i].szReader, l);
        memcpy(sig + k + l, &s, sizeof s);
        k += l + sizeof s;
    }
    return k;
}

/* Waits for changes on one established context until PC/SC fails or
 * destroy() cancels; signals when the readers' signature changes.
 * Returns the failure (SCARD_E_CANCELLED after destroy()). */
static LONG watch_ctx(watch *w, SCARDCONTEXT ctx)
{
    char names[4096], sig[2][4096 + WATCH_MAX * 4];
    SCARD_READERSTATE st[WATCH_MAX + 1];
    size_t siglen[2] = {0, 0};
    int cur = 0;
    bool first = true;
    for (;;) { /* (re)list the readers */
        DWORD nl = sizeof names, n = 0;
        LONG rv = SCardListReaders(ctx, NULL, names, &nl);
        if (rv == SCARD_E_NO_READERS_AVAILABLE)
            names[0] = '\0';
        else if (rv != SCARD_S_SUCCESS)
            return rv;
        for (char *p = names; *p && n < WATCH_MAX; p += strlen(p) + 1)
            if (!w->reader || strstr(p, w->reader)) {
                memset(&st[n], 0, sizeof st[n]);
                st[n].szReader = p;
                st[n].dwCurrentState = SCARD_STATE_UNAWARE;
                n++;
            }
        /* the PnP pseudo-reader: wakes us when readers come or go */
        memset(&st[n], 0, sizeof st[n]);
        st[n].szReader = PNP_READER;
        st[n].dwCurrentState = SCARD_STATE_UNAWARE;
        for (long timeout = 0;; timeout = (long)INFINITE) {
            if (watch_stopping(w))
                return SCARD_E_CANCELLED;
            rv = SCardGetStatusChange(ctx, (DWORD)timeout, st, n + 1);
            if (rv == SCARD_E_UNKNOWN_READER)
                break; /* one went between list and wait: list again */
            if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
                return rv;
            cur ^= 1;
            siglen[cur] = watch_sig(st, n, sig[cur], sizeof sig[cur]);
            if (!first && (siglen[0] != siglen[1] ||
                           memcmp(sig[0], sig[1], siglen[cur]) != 0))
                watch_signal(w);
            /* The first look starts from the last scan's, not from
             * nothing: a card swapped between that scan and this thread's
             * start is a change too. */
            if (first && w->has_base && reader_sig(st, n) != w->base)
                watch_signal(w);
            first = false;
            for (DWORD i = 0; i <= n; i++)
                st[i].dwCurrentState =
                    st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
            if (timeout != 0 && (st[n].dwEventState & SCARD_STATE_CHANGED))
                break; /* the reader list changed: list again */
        }
    }
}

static void *watch_main(void *arg)
{
    watch *w = arg;
    bool lost = false; /* PC/SC failed: signal once when it is back */
    for (;;) {
        SCARDCONTEXT ctx;
        bool stop;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rv == SCARD_S_SUCCESS) {
            pthread_mutex_lock(&w->mu);
            stop = w->stop;
            if (!stop) {
                w->ctx = ctx;
                w->live = true;
            }
            pthread_mutex_unlock(&w->mu);
            if (stop) {
                SCardReleaseContext(ctx);
                break;
            }
            if (lost)
                watch_signal(w); /* pcscd is back: worth a scan */
            lost = false;
            rv = watch_ctx(w, ctx);
            pthread_mutex_lock(&w->mu);
            w->live = false; /* destroy() no longer cancels it */
            pthread_mutex_unlock(&w->mu);
            SCardReleaseContext(ctx);
        }
        if (watch_stopping(w))
            break;
        atomic_store(&w->problem, (long)rv);
        atomic_store(&w->problem_new, true);
        lost = true;
        if (!watch_pause(w))
            break;
    }
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Logs (on the context's thread) what the watch thread ran into. */
static void watch_report(inst *in)
{
    if (in->w && atomic_exchange(&in->w->problem_new, false)) {
        LONG rv = (LONG)atomic_load(&in->w->problem);
        host->log(in->pc, PDM_LOG_WARN, "card watch: PC/SC: %s%s; retrying "
                  "every 2 s", pcsc_stringify_error(rv),
                  rv == SCARD_E_NO_SERVICE ? " (is pcscd running?)" : "");
    }
}

/* probe(): the change is being looked at, the fd is no longer readable. */
static void watch_drain(inst *in)
{
    char buf[64];
    if (!in->w)
        return;
    while (read(in->w->rfd, buf, sizeof buf) > 0)
        ;
    watch_report(in);
}

/* Stops the thread: the flag, then SCardCancel on its context until it
 * returns (a cancel that lands just before it blocks is lost, so it is
 * repeated every 20 ms), then join.  Bounded: the thread's only other
 * waits are the interruptible 2 s pause and non-blocking PC/SC calls. */
static void watch_stop(watch *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    while (!w->done) {
        struct timespec t;
        if (w->live)
            SCardCancel(w->ctx);
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 20 * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &t);
    }
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    close(w->rfd);
    close(w->wfd);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static int sim_watch_fd(void *i)
{
    inst *in = i;
    watch *w;
    pthread_condattr_t ca;
    sigset_t all, old;
    int p[2], e;
    if (in->w)
        return in->w->rfd; /* called once by contract; same fd anyway */
    if (!(w = host->alloc(sizeof *w))) {
        host->set_error(in->pc, PDM_ENOMEM, "card watch: out of memory");
        return PDM_ENOMEM;
    }
    memset(w, 0, sizeof *w);
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
        host->set_error(in->pc, PDM_EIO, "card watch: pipe: %s",
                        strerror(errno));
        host->free(w);
        return PDM_EIO;
    }
    w->rfd = p[0];
    w->wfd = p[1];
    w->reader = in->reader;
    w->base = in->seen_sig;
    w->has_base = in->seen_valid;
    atomic_init(&w->problem, 0);
    atomic_init(&w->problem_new, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* The thread takes no signals: the integrator's handlers run on its
     * own threads, as if this plugin had none. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    e = pthread_create(&w->th, NULL, watch_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        host->set_error(in->pc, PDM_ERROR, "card watch: cannot start a "
                        "thread: %s", strerror(e));
        close(p[0]);
        close(p[1]);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        host->free(w);
        return PDM_ERROR;
    }
    in->w = w;
    return w->rfd;
}

/* ---- the component ------------------------------------------------------- */

/* WBXML's mb_u_int32 at *i of p[0..n); -1 when broken. */
static long mb_u32(const uint8_t *p, size_t n, size_t *i)
{
    unsigned long v = 0;
    for (int k = 0; k < 5 && *i < n; k++) {
        uint8_t b = p[(*i)++];
        v = v << 7 | (b & 0x7F);
        if (!(b & 0x80))
            return v > 0xFFFFFFFFul ? -1 : (long)v;
    }
    return -1;
}

/* The content type from the WBXML header: public id 0x0B is OMA CP
 * (provisioning 1.0); SyncML is public id 0x1201 (1.2, what a DM 1.2
 * bootstrap normally carries), 0x0FD3 (1.1) or 0x0FD1 (1.0), or a
 * string-table public id "-//SYNCML//DTD SyncML ...".  NULL: neither. */
static const char *sniff(const uint8_t *d, size_t n)
{
    static const char syncml[] = "-//SYNCML//DTD SyncML";
    size_t i = 1;
    long pub, idx, tl;
    if (n < 4 || d[0] < 0x01 || d[0] > 0x03)
        return NULL;
    pub = mb_u32(d, n, &i);
    if (pub == 0x0B)
        return CT_CP;
    if (pub == 0x1201 || pub == 0x0FD3 || pub == 0x0FD1)
        return CT_DM;
    if (pub != 0 || (idx = mb_u32(d, n, &i)) < 0 || mb_u32(d, n, &i) < 0 ||
        (tl = mb_u32(d, n, &i)) < 0 || (size_t)tl > n - i ||
        (size_t)idx + sizeof syncml - 1 > (size_t)tl)
        return NULL;
    return memcmp(d + i + idx, syncml, sizeof syncml - 1) == 0 ? CT_DM : NULL;
}

static int sim_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

/* option.pin_ref: the PIN's key reference (VERIFY P2, TS 102 221 9.5.1:
 * 01-08 global, 81-88 local) as one hex byte, "01" or "0x81"; default 01
 * (PIN1).  Used when no AODF names the PIN. */
static int parse_pin_ref(pdm_plugin_ctx *pc, const char *v, uint8_t *ref)
{
    unsigned x = 0;
    const char *p = v;
    *ref = 0x01;
    if (!v)
        return PDM_OK;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    for (size_t k = 0; p[k]; k++) {
        char ch = p[k];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0 || k >= 2) {
            x = 0x100;
            break;
        }
        x = x << 4 | (unsigned)d;
    }
    if (!*p || x > 0xFF) {
        host->set_error(pc, PDM_EINVAL, "option.pin_ref: '%.20s' is not a hex "
                        "byte (e.g. 01 for PIN1, 81 for a local PIN)", v);
        return PDM_EINVAL;
    }
    *ref = (uint8_t)x;
    return PDM_OK;
}

static int parse_bool(pdm_plugin_ctx *pc, const char *key, const char *v,
                      bool *out)
{
    *out = false;
    if (!v || strcmp(v, "false") == 0)
        return PDM_OK;
    if (strcmp(v, "true") == 0) {
        *out = true;
        return PDM_OK;
    }
    host->set_error(pc, PDM_EINVAL, "option.%s: '%.20s' is not true or false",
                    key, v);
    return PDM_EINVAL;
}

static int sim_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    inst *in = host->alloc(sizeof(*in));
    int rc;
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    in->reader = host->get_option(pc, "reader");
    if (in->reader && !*in->reader) {
        host->set_error(pc, PDM_EINVAL, "option.reader: empty (leave it out "
                        "for the first reader with a card)");
        host->free(in);
        return PDM_EINVAL;
    }
    if ((rc = parse_pin_ref(pc, host->get_option(pc, "pin_ref"),
                            &in->pin_ref)) != PDM_OK ||
        (rc = parse_bool(pc, "pin_spend_last_try",
                         host->get_option(pc, "pin_spend_last_try"),
                         &in->spend_last)) != PDM_OK) {
        host->free(in);
        return rc;
    }
    *out = in;
    return PDM_OK;
}

static void drop_doc(inst *in)
{
    host->free(in->doc);
    in->doc = NULL;
    in->len = 0;
}

static void sim_destroy(void *i)
{
    inst *in = i;
    if (in->w) {
        watch_stop(in->w);
        host->free(in->w);
    }
    drop_doc(in);
    host->free(in);
}

static uint32_t sim_origin(void *i)
{
    (void)i;
    return PDM_ORIGIN_SMARTCARD;
}

/* Was this ICCID's document with in->sha applied before (kv)?  1 yes,
 * 0 no, or a negative rc: then offer nothing rather than guess. */
static int applied_before(inst *in)
{
    char key[sizeof KV_PREFIX + 21];
    pdm_blob kv = {NULL, 0};
    int rc, yes;
    snprintf(key, sizeof key, KV_PREFIX "%s", in->iccid);
    rc = host->kv_get(in->pc, key, &kv);
    if (rc == PDM_ENOTFOUND)
        return 0;
    if (rc != PDM_OK) {
        host->log(in->pc, PDM_LOG_WARN, "cannot read what was applied: %s",
                  host->strerror(rc));
        return rc;
    }
    yes = kv.len == 32 && memcmp(kv.data, in->sha, 32) == 0;
    host->free(kv.data);
    return yes;
}

static bool known_has(const inst *in, const char *iccid)
{
    for (size_t k = 0; k < in->nknown; k++)
        if (strcmp(in->known[k], iccid) == 0)
            return true;
    return false;
}

/* The core asks present_ids() at the start of a scan, before probe(), and
 * probe() drains the watch: a card pulled (and maybe another put in)
 * between the two, or during the scan that read the old card, is seen by
 * probe() only, and the core would keep the old card's accounts until the
 * next change.  So when the readers changed since the core last learned
 * which cards are here (in->known*), or the card here is not one it
 * knows (@iccid; NULL: not read yet), probe() offers nothing and leaves
 * the watch fd readable: the next scan asks present_ids() first (the old
 * card's accounts go, audited BootstrapSourceGone) and then reads the new
 * card, whose document may reuse the old one's ServerID.  Once per change
 * (deferred_*): a core that does not ask present_ids() (it keeps no
 * account of this source) gets the document at the next scan. */
static bool swap_pending(inst *in, const char *iccid)
{
    const char *id = iccid ? iccid : "";
    if (!in->w || !in->known_valid || in->nknown == 0)
        return false; /* no watch to wake the next scan; nothing to lose */
    if (in->probe_sig == in->known_sig && (!iccid || known_has(in, iccid)))
        return false;
    /* Deferred for this reader state already: for any card (""), or
     * for this one (a swap with no state change, caught by its ICCID). */
    if (in->deferred_sig == in->probe_sig &&
        (!iccid || !in->deferred_iccid[0] ||
         strcmp(in->deferred_iccid, iccid) == 0))
        return false;
    in->deferred_sig = in->probe_sig;
    snprintf(in->deferred_iccid, sizeof in->deferred_iccid, "%s", id);
    watch_signal(in->w);
    host->log(in->pc, PDM_LOG_INFO, "card watch: %s%s since the present "
              "cards were last checked: nothing offered until the next scan "
              "checks them", iccid ? "another card is in the reader: " :
              "a card was inserted or removed", id);
    return true;
}

static int sim_probe(void *i)
{
    inst *in = i;
    SCARDCONTEXT ctx;
    SCARD_READERSTATE st[16];
    char names[4096];
    DWORD n, k;
    card c;
    int rc;
    drop_doc(in);
    watch_drain(in); /* a change after this point makes it readable again */
    if ((rc = open_ctx(in, &ctx)) != PDM_OK)
        return PDM_ENOTFOUND;
    if ((rc = list_readers(in, ctx, names, st, &n)) != PDM_OK)
        goto out;
    in->probe_sig = in->seen_sig = reader_sig(st, n);
    in->seen_valid = true;
    if (swap_pending(in, NULL)) {
        rc = PDM_ENOTFOUND;
        goto out;
    }
    for (k = 0; k < n && !has_card(&st[k]); k++)
        ;
    if (k == n) {
        host->log(in->pc, PDM_LOG_INFO, "no reader%s%s with a card",
                  in->reader ? " matching " : "", in->reader ? in->reader : "");
        rc = PDM_ENOTFOUND;
        goto out;
    }
    memset(&c, 0, sizeof c);
    c.in = in;
    if ((rc = connect_card(&c, ctx, st[k].szReader)) != PDM_OK)
        goto out;
    /* The card's identity before anything else (a PIN): a swap PC/SC did
     * not count (too fast for the reader's presence polling) is another
     * ICCID. */
    if (in->w && in->known_valid && in->nknown) {
        char id[21];
        rc = read_iccid(&c, id);
        if (rc == PDM_OK && swap_pending(in, id))
            rc = PDM_ENOTFOUND;
        if (rc != PDM_OK) {
            SCardDisconnect(c.h, SCARD_RESET_CARD);
            goto out;
        }
    }
    in->doc = host->alloc(MAX_FILE);
    rc = in->doc ? walk(&c, in->iccid, in->doc, &in->len) : PDM_ENOMEM;
    SCardDisconnect(c.h, SCARD_RESET_CARD);
    if (rc != PDM_OK)
        goto out;
    if ((rc = sha256(in->doc, in->len, in->sha)) != PDM_OK)
        goto out;
    if (in->have_skip && strcmp(in->skip_iccid, in->iccid) == 0 &&
        memcmp(in->skip, in->sha, 32) == 0) {
        rc = PDM_ENOTFOUND; /* offered by this process already */
        goto out;
    }
    if ((rc = applied_before(in)) != 0) {
        rc = rc > 0 ? PDM_ENOTFOUND : rc;
        goto out;
    }
    if (!sniff(in->doc, in->len)) {
        host->log(in->pc, PDM_LOG_WARN, "EF(DM_Bootstrap) of card %s: "
                  "neither OMA CP nor SyncML DM WBXML: not offered",
                  in->iccid);
        rc = PDM_ENOTFOUND;
    }
out:
    if (rc != PDM_OK)
        drop_doc(in);
    SCardReleaseContext(ctx);
    return rc;
}

static int sim_read(void *i, pdm_bootstrap_doc *out)
{
    inst *in = i;
    char *ct, *id;
    if (!in->doc)
        return PDM_ENOTFOUND;
    if (out->struct_size < offsetof(pdm_bootstrap_doc, source_id) +
                               sizeof(char *))
        return PDM_EINVAL; /* without source_id the card could not be
                              told apart: offer nothing */
    ct = host->strdup(sniff(in->doc, in->len));
    id = host->strdup(in->iccid);
    if (!ct || !id) {
        host->free(ct);
        host->free(id);
        return PDM_ENOMEM;
    }
    out->origin = PDM_ORIGIN_SMARTCARD;
    out->body.data = in->doc; /* the bytes hashed are the bytes handed over */
    out->body.len = in->len;
    out->content_type = ct;
    out->sec = PDM_SEC_NONE;
    out->mac_hex = NULL;
    out->source_id = id;
    in->doc = NULL;
    in->len = 0;
    memcpy(in->skip, in->sha, 32);
    memcpy(in->skip_iccid, in->iccid, sizeof in->skip_iccid);
    in->have_skip = 1;
    return PDM_OK;
}

/* The list of ICCIDs with an "applied" record (KV_CARDS), read into
 * @buf as lines.  Returns PDM_OK (empty when absent) or a negative rc. */
static int cards_get(inst *in, char *buf, size_t size)
{
    pdm_blob kv = {NULL, 0};
    int rc = host->kv_get(in->pc, KV_CARDS, &kv);
    buf[0] = '\0';
    if (rc == PDM_ENOTFOUND)
        return PDM_OK;
    if (rc != PDM_OK)
        return rc;
    if (kv.len < size) {
        memcpy(buf, kv.data, kv.len);
        buf[kv.len] = '\0';
    }
    host->free(kv.data);
    return PDM_OK;
}

static bool cards_has(const char *list, const char *iccid)
{
    size_t n = strlen(iccid);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, "\n");
        if (len == n && strncmp(p, iccid, n) == 0)
            return true;
        p += len + (p[len] != '\0');
    }
    return false;
}

static int cards_add(inst *in, const char *iccid)
{
    char list[KV_CARDS_MAX * 22 + 1];
    size_t len, lines = 0;
    int rc = cards_get(in, list, sizeof list);
    if (rc != PDM_OK || cards_has(list, iccid))
        return rc;
    for (const char *p = list; *p; p++)
        lines += *p == '\n';
    if (lines >= KV_CARDS_MAX)
        return PDM_ENOSPC; /* logged by the caller; offered again later */
    len = strlen(list);
    snprintf(list + len, sizeof list - len, "%s\n", iccid);
    return host->kv_put(in->pc, KV_CARDS, list, strlen(list));
}

/* A card that left loses its "applied" record, so that it is read again
 * when it comes back (its account may have gone with it). */
static void cards_forget_absent(inst *in, char *const *ids, size_t nids)
{
    char list[KV_CARDS_MAX * 22 + 1], keep[sizeof list];
    size_t k = 0;
    bool changed = false, here = false;
    /* the card offered by this process left too: offered again (and its
     * PIN asked again) when it comes back */
    for (size_t j = 0; j < nids && in->have_skip && !here; j++)
        here = strcmp(ids[j], in->skip_iccid) == 0;
    if (in->have_skip && !here)
        in->have_skip = 0;
    if (cards_get(in, list, sizeof list) != PDM_OK)
        return;
    keep[0] = '\0';
    for (char *p = list, *nl; *p; p = nl + 1) {
        bool present = false;
        if (!(nl = strchr(p, '\n')))
            break;
        *nl = '\0';
        for (size_t j = 0; j < nids && !present; j++)
            present = strcmp(ids[j], p) == 0;
        if (present) {
            k += (size_t)snprintf(keep + k, sizeof keep - k, "%s\n", p);
        } else {
            char key[sizeof KV_PREFIX + 21];
            snprintf(key, sizeof key, KV_PREFIX "%.20s", p);
            host->kv_del(in->pc, key);
            changed = true;
        }
    }
    if (changed)
        (void)(k ? host->kv_put(in->pc, KV_CARDS, keep, k)
                 : host->kv_del(in->pc, KV_CARDS));
}

static void sim_consumed(void *i, int outcome)
{
    inst *in = i;
    char key[sizeof KV_PREFIX + 21];
    int rc;
    if (!in->have_skip)
        return;
    if (outcome != PDM_OK) {
        host->log(in->pc, PDM_LOG_INFO, "the document of card %s was refused "
                  "(%s): not offered again until restart or change",
                  in->skip_iccid, host->strerror(outcome));
        return;
    }
    /* The core now holds this card's accounts: it knows the card is here
     * as of this probe's look at the readers. */
    if (!known_has(in, in->skip_iccid)) {
        if (!in->known_valid || in->nknown == 16)
            in->nknown = 0;
        memcpy(in->known[in->nknown++], in->skip_iccid, 21);
    }
    in->known_sig = in->probe_sig;
    in->known_valid = true;
    snprintf(key, sizeof key, KV_PREFIX "%s", in->skip_iccid);
    rc = host->kv_put(in->pc, key, in->skip, 32);
    if (rc == PDM_OK)
        rc = cards_add(in, in->skip_iccid);
    if (rc != PDM_OK)
        host->log(in->pc, PDM_LOG_WARN, "cannot remember the applied document "
                  "(%s): it will be offered again at the next start",
                  host->strerror(rc));
}

static void free_ids(char **ids, size_t n)
{
    for (size_t k = 0; k < n; k++)
        host->free(ids[k]);
    host->free(ids);
}

/* The ICCIDs of the cards in the matching readers.  Any PC/SC failure is
 * an error: the core then removes nothing (a missed card must not cost
 * its account).  A card without a readable EF(ICCID) has no id. */
static int sim_present_ids(void *i, char ***out, size_t *nout)
{
    inst *in = i;
    SCARDCONTEXT ctx;
    SCARD_READERSTATE st[16];
    char names[4096], **ids = NULL;
    size_t nids = 0;
    uint64_t sig = 0;
    DWORD n;
    int rc;
    watch_report(in);
    if ((rc = open_ctx(in, &ctx)) != PDM_OK)
        return PDM_EIO;
    if ((rc = list_readers(in, ctx, names, st, &n)) != PDM_OK)
        goto out;
    sig = reader_sig(st, n);
    ids = host->alloc(16 * sizeof *ids + 1);
    if (!ids) {
        rc = PDM_ENOMEM;
        goto out;
    }
    for (DWORD k = 0; k < n; k++) {
        card c;
        char iccid[21];
        if (!(st[k].dwEventState & SCARD_STATE_PRESENT))
            continue;
        memset(&c, 0, sizeof c);
        c.in = in;
        if ((rc = connect_card(&c, ctx, st[k].szReader)) != PDM_OK)
            goto out;
        rc = read_iccid(&c, iccid);
        SCardDisconnect(c.h, SCARD_RESET_CARD);
        if (rc == PDM_ENOTFOUND)
            continue;
        if (rc != PDM_OK)
            goto out;
        if (!(ids[nids] = host->strdup(iccid))) {
            rc = PDM_ENOMEM;
            goto out;
        }
        nids++;
    }
    rc = PDM_OK;
out:
    SCardReleaseContext(ctx);
    if (rc != PDM_OK) {
        if (ids)
            free_ids(ids, nids);
        return rc;
    }
    cards_forget_absent(in, ids, nids);
    /* What the core learns now (swap_pending()) */
    for (size_t k = 0; k < nids; k++)
        snprintf(in->known[k], sizeof in->known[k], "%s", ids[k]);
    in->nknown = nids;
    in->known_sig = in->seen_sig = sig;
    in->known_valid = in->seen_valid = true;
    *out = ids;
    *nout = nids;
    return PDM_OK;
}

static const pdm_bootstrap_ops ops = {
    {sizeof(pdm_bootstrap_ops), PDM_KIND_BOOTSTRAP, sim_create, sim_destroy},
    sim_probe,
    sim_read,
    sim_consumed,
    sim_present_ids,
    NULL, /* accepts: documents come from the card, not from submit */
    sim_origin,
    sim_watch_fd,
};

static const pdm_component components[] = {
    {PDM_KIND_BOOTSTRAP, 0, "sim", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"reader", "a substring of the PC/SC reader name (default: the first "
     "reader with a card)", NULL, 0, 0, {NULL, NULL}},
    {"pin_ref", "the SIM PIN's key reference as a hex byte (VERIFY P2), used "
     "when the card's PKCS#15 AODF does not name it", "01", 0, 0,
     {NULL, NULL}},
    {"pin_spend_last_try", "true: ask for the SIM PIN even when the card "
     "has only 1 try left (a wrong PIN then blocks the SIM)", "false", 0, 0,
     {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "sim-bootstrap",
    "1.1",
    "the DM bootstrap file of the SIM/UICC (PKCS#15), read over PC/SC",
    components,
    options,
    sim_init,
    NULL,
};

PDM_PLUGIN_DEFINE(sim_bootstrap, desc)
