/* readef: a minimal PC/SC reader of the DM bootstrap file on a smart card.
 *
 * The reference the sim-bootstrap plugin follows, and the proof that the
 * test stack (pcscd + vpcd + vcard.py) works: wait for a card, read
 * EF(ICCID), find the PKCS#15 application (by AID, else through EF(DIR)),
 * walk EF(ODF) -> EF(DODF) -> the OID data object 2.23.43.7.1 -> its Path,
 * and READ BINARY that file in short-APDU chunks (T=0 or T=1).
 *
 *   readef [--reader SUBSTR] [--wait MS] [--pin PIN [--force-verify]]
 *          [--out FILE] read
 *   readef [--reader SUBSTR] [--wait MS] absent
 *
 * "read" prints reader=, protocol=, iccid=, path=, size=, sha256= lines.
 * Exit: 0 done, 1 usage or PC/SC failure, 2 the card's content or status
 * refused the read (one "readef: ..." line on stderr says why), 3 timeout.
 * A PIN is never printed, and is sent at most once per run; with 1 try
 * left it is not sent at all unless --force-verify (tests that block the
 * card on purpose).
 */
#include <winscard.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE 65536
#define MAX_RESP 4096

enum { RC_OK = 0, RC_FAIL = 1, RC_CARD = 2, RC_TIMEOUT = 3 };

struct card {
	SCARDHANDLE h;
	DWORD proto;
	uint8_t aid[16];   /* the application's AID when it was selected by it */
	size_t aid_len;
	uint8_t app_path[16]; /* else its path from EF(DIR) (starting 3F00) */
	size_t app_path_len;
};

static const char *pin_arg;
static int force_verify;

static void die_card(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_card(const char *fmt, ...)
{
	va_list ap;
	fputs("readef: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(RC_CARD);
}

static const char *sw_text(unsigned sw)
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

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
	out[2 * n] = '\0';
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One APDU, with the T=0 conventions done here: 61xx fetches the rest
 * with GET RESPONSE, 6Cxx resends with the length the card asked for.
 * Returns the final status word; *rlen bytes of data are in resp. */
static unsigned xfer(struct card *c, const uint8_t *apdu, size_t n,
		     uint8_t *resp, size_t *rlen)
{
	const SCARD_IO_REQUEST *pci = c->proto == SCARD_PROTOCOL_T0 ?
		SCARD_PCI_T0 : SCARD_PCI_T1;
	uint8_t cmd[5 + 255 + 1], buf[258];
	size_t have = 0;
	int resent = 0;

	memcpy(cmd, apdu, n);
	for (;;) {
		DWORD blen = sizeof buf;
		LONG rv = SCardTransmit(c->h, pci, cmd, (DWORD)n, NULL, buf, &blen);
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "readef: SCardTransmit: %s\n", pcsc_stringify_error(rv));
			exit(RC_FAIL);
		}
		if (blen < 2) {
			fprintf(stderr, "readef: short response (%lu bytes)\n", (unsigned long)blen);
			exit(RC_FAIL);
		}
		unsigned sw = (unsigned)buf[blen - 2] << 8 | buf[blen - 1];
		size_t dl = blen - 2;
		if (have + dl > MAX_RESP) {
			fprintf(stderr, "readef: response over %d bytes\n", MAX_RESP);
			exit(RC_FAIL);
		}
		memcpy(resp + have, buf, dl);
		have += dl;
		if ((sw >> 8) == 0x61) {          /* more data: GET RESPONSE */
			const uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, (uint8_t)sw };
			memcpy(cmd, gr, sizeof gr);
			n = sizeof gr;
			continue;
		}
		if ((sw >> 8) == 0x6C && !resent) { /* wrong Le: the card's own */
			cmd[n - 1] = (uint8_t)sw;  /* every 6Cxx-capable APDU ends in Le */
			resent = 1;
			continue;
		}
		*rlen = have;
		return sw;
	}
}

/* BER-TLV: the next object at *off in p[0..n).  1 = a tag byte 00/FF
 * (padding) or the end, 0 = one object, -1 = broken (overruns the data,
 * indefinite length, a tag or length longer than we accept). */
static int tlv_next(const uint8_t *p, size_t n, size_t *off, unsigned *tag,
		    const uint8_t **val, size_t *len)
{
	size_t i = *off;
	if (i >= n || p[i] == 0x00 || p[i] == 0xFF)
		return 1;
	unsigned t = p[i++];
	if ((t & 0x1F) == 0x1F) {            /* multi-byte tag, at most 3 */
		int k = 0;
		do {
			if (i >= n || ++k > 2)
				return -1;
			t = t << 8 | p[i];
		} while (p[i++] & 0x80);
	}
	if (i >= n)
		return -1;
	size_t l = p[i++];
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

/* Nothing but padding (00 or FF) may follow the last object of a file. */
static int only_padding(const uint8_t *p, size_t n, size_t off)
{
	for (; off < n; off++)
		if (p[off] != 0x00 && p[off] != 0xFF)
			return 0;
	return 1;
}

/* The first child with this tag inside a constructed value, or NULL. */
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

/* File size from an FCP (62): 80, else 81; -1 when neither is there. */
static long fcp_size(const uint8_t *r, size_t n)
{
	size_t off = 0, l;
	unsigned tag;
	const uint8_t *v;
	if (tlv_next(r, n, &off, &tag, &v, &l) != 0 || (tag != 0x62 && tag != 0x6F))
		return -1;
	const uint8_t *s = tlv_find(v, l, 0x80, &n);
	if (!s)
		s = tlv_find(v, l, 0x81, &n);
	if (!s || n == 0 || n > 3)
		return -1;
	long size = 0;
	for (size_t i = 0; i < n; i++)
		size = size << 8 | s[i];
	return size;
}

/* SELECT with FCP (P2=04).  ctl: the P1 (00 FID, 04 AID, 08 path from MF,
 * 09 path from current DF).  Returns the SW; *size from the FCP. */
static unsigned select_(struct card *c, uint8_t p1, const uint8_t *d, size_t n,
			int with_le, long *size)
{
	uint8_t apdu[5 + 16 + 1], r[MAX_RESP];
	size_t rl = 0;
	apdu[0] = 0x00; apdu[1] = 0xA4; apdu[2] = p1; apdu[3] = 0x04;
	apdu[4] = (uint8_t)n;
	memcpy(apdu + 5, d, n);
	apdu[5 + n] = 0x00;
	unsigned sw = xfer(c, apdu, 5 + n + (with_le ? 1 : 0), r, &rl);
	if (size)
		*size = sw == 0x9000 ? fcp_size(r, rl) : -1;
	return sw;
}

/* The PKCS#15 application becomes the current DF again. */
static unsigned select_app(struct card *c)
{
	if (c->aid_len)  /* case 3 (no Le): a T=0 card answers 61xx */
		return select_(c, 0x04, c->aid, c->aid_len, 0, NULL);
	return select_(c, 0x08, c->app_path + 2, c->app_path_len - 2, 1, NULL);
}

/* Select a PKCS#15 Path: absolute (3F00...) from the MF, else relative to
 * the application DF (PKCS#15 v1.1 6.1.5). */
static unsigned select_path(struct card *c, const uint8_t *p, size_t n, long *size)
{
	if (n >= 2 && p[0] == 0x3F && p[1] == 0x00) {
		if (n == 2)
			return select_(c, 0x00, p, 2, 1, size);
		return select_(c, 0x08, p + 2, n - 2, 1, size);
	}
	unsigned sw = select_app(c);
	if (sw != 0x9000)
		return sw;
	return select_(c, n == 2 ? 0x00 : 0x09, p, n, 1, size);
}

static void pin_flow(struct card *c, const char *what);

/* READ BINARY the current EF: chunks of at most 256 bytes (short Le). */
static size_t read_ef(struct card *c, const char *what, long size, uint8_t *out)
{
	size_t got = 0;
	size_t want = size < 0 ? MAX_FILE : (size_t)size;
	int pin_done = 0;
	if (want > MAX_FILE)
		die_card("%s: %ld bytes, over the %d this reader accepts", what, size, MAX_FILE);
	while (got < want) {
		size_t chunk = want - got > 256 ? 256 : want - got;
		uint8_t apdu[5] = { 0x00, 0xB0, (uint8_t)(got >> 8 & 0x7F),
				    (uint8_t)got, (uint8_t)chunk };
		uint8_t r[MAX_RESP];
		size_t rl = 0;
		if (got > 0x7FFF)
			die_card("%s: offset %zu beyond READ BINARY's 15 bits", what, got);
		unsigned sw = xfer(c, apdu, sizeof apdu, r, &rl);
		if (sw == 0x6982 && !pin_done) {
			pin_flow(c, what);
			pin_done = 1;
			continue;
		}
		if (sw == 0x6B00 && size < 0)
			break;  /* unknown size: read to the end */
		if (sw != 0x9000 && sw != 0x6282)
			die_card("%s: READ BINARY at %zu: %04X (%s)", what, got, sw, sw_text(sw));
		if (rl > chunk)
			die_card("%s: READ BINARY at %zu: %zu bytes for %zu", what, got, rl, chunk);
		memcpy(out + got, r, rl);
		got += rl;
		if (sw == 0x6282 || rl == 0)
			break;
	}
	if (size >= 0 && got != (size_t)size)
		die_card("%s: read %zu of %ld bytes", what, got, size);
	return got;
}

/* The file refused READ BINARY with 6982: verify PIN1 once, respecting
 * the card's counter, or say why not. */
static void pin_flow(struct card *c, const char *what)
{
	uint8_t q[4] = { 0x00, 0x20, 0x00, 0x01 }, r[MAX_RESP];
	size_t rl;
	unsigned sw = xfer(c, q, sizeof q, r, &rl);
	if (sw == 0x6983)
		die_card("%s: PIN1 blocked (6983)", what);
	if ((sw & 0xFFF0) != 0x63C0)
		die_card("%s: security status not satisfied (6982); PIN1 status %04X (%s)",
			 what, sw, sw_text(sw));
	unsigned tries = sw & 0x0F;
	if (!pin_arg)
		die_card("%s: PIN1 required (6982), %u tries left", what, tries);
	if (tries == 0)
		die_card("%s: PIN1 blocked (63C0)", what);
	if (tries == 1 && !force_verify)
		die_card("%s: PIN1 has 1 try left: not verifying (a wrong PIN would block the card)",
			 what);
	size_t pl = strlen(pin_arg);
	if (pl < 4 || pl > 8)
		die_card("%s: PIN1 must have 4 to 8 digits", what);
	uint8_t v[13] = { 0x00, 0x20, 0x00, 0x01, 0x08 };
	memset(v + 5, 0xFF, 8);          /* TS 102 221 9.5.1: FF-padded */
	memcpy(v + 5, pin_arg, pl);
	sw = xfer(c, v, sizeof v, r, &rl);
	memset(v, 0, sizeof v);          /* the PIN does not outlive the APDU */
	__asm__ __volatile__("" : : "r"(v) : "memory");
	if (sw == 0x6983)
		die_card("%s: PIN1 blocked (6983)", what);
	if ((sw & 0xFFF0) == 0x63C0)
		die_card("%s: wrong PIN1 (%04X): %u tries left", what, sw, sw & 0x0F);
	if (sw != 0x9000)
		die_card("%s: VERIFY PIN1: %04X (%s)", what, sw, sw_text(sw));
}

static void read_iccid(struct card *c, char *out)
{
	const uint8_t mf[2] = { 0x3F, 0x00 }, id[2] = { 0x2F, 0xE2 };
	uint8_t data[MAX_FILE];
	long size;
	unsigned sw = select_(c, 0x00, mf, 2, 1, NULL);
	if (sw != 0x9000)
		die_card("MF: SELECT: %04X (%s)", sw, sw_text(sw));
	sw = select_(c, 0x00, id, 2, 1, &size);
	if (sw != 0x9000)
		die_card("EF(ICCID) 2FE2: SELECT: %04X (%s)", sw, sw_text(sw));
	if (size != 10)
		die_card("EF(ICCID) 2FE2: %ld bytes, not 10", size);
	read_ef(c, "EF(ICCID) 2FE2", size, data);
	size_t k = 0;
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
		die_card("EF(ICCID) 2FE2: not BCD digits");
}

/* Find the application: SELECT by the PKCS#15 AID, else EF(DIR)'s path. */
static void find_app(struct card *c)
{
	static const uint8_t aid[12] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
		0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35 };
	uint8_t data[MAX_FILE];
	long size;
	unsigned sw = select_(c, 0x04, aid, sizeof aid, 0, NULL);
	if (sw == 0x9000) {
		memcpy(c->aid, aid, sizeof aid);
		c->aid_len = sizeof aid;
		return;
	}
	unsigned sw_dir = select_path(c, (const uint8_t[]){ 0x3F, 0x00, 0x2F, 0x00 }, 4, &size);
	if (sw_dir != 0x9000)
		die_card("no PKCS#15 application: SELECT AID A000000063504B43532D3135: %04X,"
			 " EF(DIR) 2F00: %04X (%s)", sw, sw_dir, sw_text(sw_dir));
	size_t n = read_ef(c, "EF(DIR) 2F00", size, data), off = 0, l, al, pl;
	unsigned tag;
	const uint8_t *v;
	int r;
	while ((r = tlv_next(data, n, &off, &tag, &v, &l)) == 0) {
		const uint8_t *a = tlv_find(v, l, 0x4F, &al);
		const uint8_t *p = tlv_find(v, l, 0x51, &pl);
		if (tag != 0x61 || !a || al != sizeof aid || memcmp(a, aid, al))
			continue;
		if (!p || pl < 4 || pl > sizeof c->app_path || p[0] != 0x3F || p[1] != 0x00 || pl % 2)
			die_card("EF(DIR) 2F00: the PKCS#15 entry has no usable path (51)");
		memcpy(c->app_path, p, pl);
		c->app_path_len = pl;
		sw = select_app(c);
		if (sw != 0x9000)
			die_card("PKCS#15 application (EF(DIR) path): SELECT: %04X (%s)", sw, sw_text(sw));
		return;
	}
	if (r < 0)
		die_card("EF(DIR) 2F00: broken TLV at offset %zu", off);
	die_card("no PKCS#15 application: SELECT AID: %04X, and EF(DIR) has no entry for it", sw);
}

/* Read the file a PKCS#15 Path names (what: for messages). */
static size_t read_path(struct card *c, const char *name, const uint8_t *p, size_t n,
			uint8_t *out, char *what, size_t whatsz)
{
	char h[2 * 16 + 1];
	long size;
	if (n < 2 || n > 16 || n % 2)
		die_card("%s: a Path of %zu bytes", name, n);
	hex(h, p, n);
	snprintf(what, whatsz, "%s %s", name, h);
	unsigned sw = select_path(c, p, n, &size);
	if (sw != 0x9000)
		die_card("%s: SELECT: %04X (%s)", what, sw, sw_text(sw));
	return read_ef(c, what, size, out);
}

/* Path ::= SEQUENCE { efidOrPath OCTET STRING, ... } */
static const uint8_t *path_of(const uint8_t *seq, size_t n, size_t *pl)
{
	return tlv_find(seq, n, 0x04, pl);
}

static int cmd_read(struct card *c, const char *reader, const char *outfile)
{
	static uint8_t odf[MAX_FILE], dodf[MAX_FILE], ef[MAX_FILE];
	static const uint8_t oid[4] = { 0x67, 0x2B, 0x07, 0x01 }; /* 2.23.43.7.1 */
	char iccid[21], what[96], dwhat[96];
	const uint8_t *bs = NULL;
	size_t bsl = 0;

	read_iccid(c, iccid);
	find_app(c);
	const uint8_t odf_fid[2] = { 0x50, 0x31 };
	size_t on = read_path(c, "EF(ODF)", odf_fid, 2, odf, what, sizeof what);
	size_t off = 0, l;
	unsigned tag;
	const uint8_t *v;
	int r;
	while (!bs && (r = tlv_next(odf, on, &off, &tag, &v, &l)) == 0) {
		if (tag != 0xA7)             /* dataObjects [7] */
			continue;
		size_t sl, pl;
		const uint8_t *seq = tlv_find(v, l, 0x30, &sl);
		const uint8_t *p = seq ? path_of(seq, sl, &pl) : NULL;
		if (!p)
			die_card("EF(ODF): dataObjects entry without a Path");
		size_t dn = read_path(c, "EF(DODF)", p, pl, dodf, dwhat, sizeof dwhat);
		size_t doff = 0, el;
		unsigned dtag;
		const uint8_t *e;
		int dr;
		while ((dr = tlv_next(dodf, dn, &doff, &dtag, &e, &el)) == 0) {
			if (dtag != 0xA1)    /* oidDO [1]; opaqueDO, externalIDO skipped */
				continue;
			/* PKCS15Object: common, class attrs, [0] subclass, [1] type */
			size_t eoff = 0, tl, ol, sl2, pl2;
			unsigned etag;
			const uint8_t *t = NULL, *x;
			int er;
			while ((er = tlv_next(e, el, &eoff, &etag, &x, &tl)) == 0)
				if (etag == 0xA1)
					t = x, sl2 = tl;
			if (er < 0 || !t)
				die_card("%s: broken: oidDO at offset %zu without typeAttributes",
					 dwhat, doff - el);
			const uint8_t *odo = tlv_find(t, sl2, 0x30, &tl);
			const uint8_t *o = odo ? tlv_find(odo, tl, 0x06, &ol) : NULL;
			if (!o)
				die_card("%s: broken: OidDO without an OBJECT IDENTIFIER", dwhat);
			if (ol != sizeof oid || memcmp(o, oid, ol))
				continue;
			const uint8_t *ps = tlv_find(odo, tl, 0x30, &sl2);
			bs = ps ? path_of(ps, sl2, &pl2) : NULL;
			if (!bs)
				die_card("%s: broken: OID 2.23.43.7.1 without a Path", dwhat);
			bsl = pl2;
			break;
		}
		if (dr < 0)
			die_card("%s: broken: TLV at offset %zu overruns the file or is malformed",
				 dwhat, doff);
		if (dr == 1 && !only_padding(dodf, dn, doff))
			die_card("%s: broken: bytes after the last object at offset %zu", dwhat, doff);
	}
	if (!bs && r < 0)
		die_card("EF(ODF): broken TLV at offset %zu", off);
	if (!bs)
		die_card("no OID data object 2.23.43.7.1 (DM bootstrap) in any EF(DODF)");

	size_t n = read_path(c, "EF(DM_Bootstrap)", bs, bsl, ef, what, sizeof what);
	uint8_t md[32];
	char mdh[65], ph[33];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, ef, n, md) != 0) {
		fprintf(stderr, "readef: SHA-256 failed\n");
		return RC_FAIL;
	}
	hex(mdh, md, sizeof md);
	hex(ph, bs, bsl);
	if (outfile) {
		FILE *f = fopen(outfile, "wb");
		if (!f || fwrite(ef, 1, n, f) != n || fclose(f) != 0) {
			fprintf(stderr, "readef: %s: %s\n", outfile, strerror(errno));
			return RC_FAIL;
		}
	}
	printf("reader=%s\nprotocol=%s\niccid=%s\npath=%s\nsize=%zu\nsha256=%s\n",
	       reader, c->proto == SCARD_PROTOCOL_T0 ? "T=0" : "T=1", iccid, ph, n, mdh);
	return RC_OK;
}

/* Wait until a reader whose name contains pat has a card (want_present)
 * or until every such reader is empty.  Returns 0, or RC_TIMEOUT. */
static int wait_card(SCARDCONTEXT ctx, const char *pat, long deadline,
		     int want_present, char *found, size_t foundsz)
{
	for (;;) {
		char names[4096];
		DWORD nl = sizeof names;
		SCARD_READERSTATE st[16];
		DWORD n = 0;
		LONG rv = SCardListReaders(ctx, NULL, names, &nl);
		if (rv == SCARD_S_SUCCESS) {
			for (char *p = names; *p && n < 15; p += strlen(p) + 1)
				if (!pat || strstr(p, pat))
					st[n++] = (SCARD_READERSTATE){ .szReader = p,
						.dwCurrentState = SCARD_STATE_UNAWARE };
		} else if (rv != SCARD_E_NO_READERS_AVAILABLE) {
			fprintf(stderr, "readef: SCardListReaders: %s\n", pcsc_stringify_error(rv));
			return RC_FAIL;
		}
		DWORD nr = n;
		/* The PnP pseudo reader wakes us when readers come and go. */
		st[n++] = (SCARD_READERSTATE){ .szReader = "\\\\?PnP?\\Notification",
			.dwCurrentState = SCARD_STATE_UNAWARE };
		long timeout = 0;  /* first call: just learn the current states */
		for (;;) {
			rv = SCardGetStatusChange(ctx, (DWORD)timeout, st, n);
			if (rv == SCARD_E_TIMEOUT && timeout > 0)
				return RC_TIMEOUT;
			if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
				fprintf(stderr, "readef: SCardGetStatusChange: %s\n",
					pcsc_stringify_error(rv));
				return RC_FAIL;
			}
			int all_empty = 1;
			for (DWORD i = 0; i < nr; i++) {
				DWORD ev = st[i].dwEventState;
				if (want_present && (ev & SCARD_STATE_PRESENT) &&
				    !(ev & SCARD_STATE_MUTE)) {
					snprintf(found, foundsz, "%s", st[i].szReader);
					return RC_OK;
				}
				if (!(ev & SCARD_STATE_EMPTY))
					all_empty = 0;
			}
			if (!want_present && nr > 0 && all_empty)
				return RC_OK;
			if (timeout > 0 && (st[nr].dwEventState & SCARD_STATE_CHANGED))
				break;       /* the reader list changed: list again */
			for (DWORD i = 0; i < n; i++)
				st[i].dwCurrentState = st[i].dwEventState &
						       ~(DWORD)SCARD_STATE_CHANGED;
			timeout = deadline - now_ms();
			if (timeout <= 0)
				return RC_TIMEOUT;
		}
	}
}

static void usage(void)
{
	fputs("usage: readef [--reader SUBSTR] [--wait MS] [--pin PIN [--force-verify]]"
	      " [--out FILE] read|absent\n", stderr);
	exit(RC_FAIL);
}

int main(int argc, char **argv)
{
	const char *pat = NULL, *out = NULL, *cmd = NULL;
	long wait = 10000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reader") && i + 1 < argc)
			pat = argv[++i];
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			wait = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			pin_arg = argv[++i];
		else if (!strcmp(argv[i], "--force-verify"))
			force_verify = 1;
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!cmd && (!strcmp(argv[i], "read") || !strcmp(argv[i], "absent")))
			cmd = argv[i];
		else
			usage();
	}
	if (!cmd || wait < 0)
		usage();
	long deadline = now_ms() + wait;

	/* pcscd may still be starting: retry the context until the deadline. */
	SCARDCONTEXT ctx;
	LONG rv;
	while ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx))
	       == SCARD_E_NO_SERVICE && now_ms() < deadline)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "readef: SCardEstablishContext: %s (is pcscd running?)\n",
			pcsc_stringify_error(rv));
		return RC_FAIL;
	}
	char reader[256];
	int rc = wait_card(ctx, pat, deadline, !strcmp(cmd, "read"), reader, sizeof reader);
	if (rc == RC_TIMEOUT)
		fprintf(stderr, "readef: timeout: no reader%s%s %s after %ld ms\n",
			pat ? " matching " : "", pat ? pat : "",
			!strcmp(cmd, "read") ? "with a card" : "empty", wait);
	if (rc != RC_OK || !strcmp(cmd, "absent")) {
		SCardReleaseContext(ctx);
		return rc;
	}
	struct card c = { 0 };
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c.h, &c.proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "readef: SCardConnect %s: %s\n", reader, pcsc_stringify_error(rv));
		SCardReleaseContext(ctx);
		return RC_FAIL;
	}
	rc = cmd_read(&c, reader, out);
	SCardDisconnect(c.h, SCARD_RESET_CARD);
	SCardReleaseContext(ctx);
	return rc;
}
