/*
 * WBXML 1.1-1.3 codec for SyncML DM 1.2 (code pages 0 SyncML, 1 MetInf,
 * 2 DM DDF/TNDS), standalone DM DDF 1.2 documents and OMA CP PROV 1.0
 * (see codec.h; token tables: ../shared/spec/omadm-facts.md §5 and §9.3).
 *
 * Decoder: one pass over the input, no recursion, no per-token malloc.
 * Elements and text go to the document arena; text made of one piece (the
 * usual case) is copied once from the input, text made of several pieces is
 * gathered in a scratch buffer used as a stack (one region per open
 * element), so hostile inputs with many pieces stay linear.  Every read is
 * bounds-checked; every failure names the byte offset and the token.
 *
 * After the root element only processing instructions and stray END
 * tokens are accepted; anything else is an error.  The END tolerance is for
 * Funambol's DM-profile bootstrap, whose embedded TNDS OPAQUE is declared
 * one byte short, so that the wrapped document's END spills into the outer
 * message (libwbxml ignores trailing bytes altogether).
 *
 * Tag and attribute code pages are tracked separately (WBXML 1.3 §5.8.1).
 * PROV AAUTHTYPE pieces (`,` `HTTP-` `BASIC` `DIGEST`, facts §9.3) are read
 * at 0x90-0x93 on attribute page 1 and, from the older table, at 0x80-0x82
 * (EXT_T_*, never used by PROV) and 0x83 when the string table is empty
 * (otherwise 0x83 is STR_T).  A standalone DDF document is read with its
 * tags on page 0 or page 2 (libwbxml writes page 2).
 *
 * Encoder: walks the tree iteratively (parent/next links), emits
 * SWITCH_PAGE only on page changes, LITERAL + string table for unknown
 * elements and attribute names, OPAQUE for binary text, PROV ATTRSTART /
 * ATTRVALUE tokens where a table entry matches (never the disputed
 * AAUTHTYPE piece tokens: those values go out as STR_I), DDF tags of a
 * standalone DDF document on page 0 (el.h).
 */
#include "codec/codec.h"
#include "codec/wbxml_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- global tokens (WBXML 1.3 §7.1) ------------------------------------ */
enum {
    WB_SWITCH_PAGE = 0x00,
    WB_END = 0x01,
    WB_ENTITY = 0x02,
    WB_STR_I = 0x03,
    WB_LITERAL = 0x04,
    WB_EXT_I_0 = 0x40,
    WB_EXT_I_1 = 0x41,
    WB_EXT_I_2 = 0x42,
    WB_PI = 0x43,
    WB_LITERAL_C = 0x44,
    WB_EXT_T_0 = 0x80,
    WB_EXT_T_1 = 0x81,
    WB_EXT_T_2 = 0x82,
    WB_STR_T = 0x83,
    WB_LITERAL_A = 0x84,
    WB_EXT_0 = 0xC0,
    WB_EXT_1 = 0xC1,
    WB_EXT_2 = 0xC2,
    WB_OPAQUE = 0xC3,
    WB_LITERAL_AC = 0xC4
};
/* Global tokens are exactly those whose low 6 bits are below 5. */
#define WB_IS_GLOBAL(t) (((t)&0x3F) < 5)
#define WB_HAS_ATTRS 0x80
#define WB_HAS_CONTENT 0x40

#define WB_CHARSET_UTF8 106
#define WB_CHARSET_ASCII 3

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_ELEMENTS 1000000

/* ---- tag tables: token -> pdm__tag, per code page ----------------------- */
#define PDM__X(id, tok, nm) [tok] = PDM_TAG_##id,
static const uint16_t tok_syncml[64] = {PDM__SYNCML_TAGS(PDM__X)};
static const uint16_t tok_metinf[64] = {PDM__METINF_TAGS(PDM__X)};
static const uint16_t tok_ddf[64] = {PDM__DDF_TAGS(PDM__X)};
static const uint16_t tok_prov0[64] = {PDM__PROV_TAGS(PDM__X)};
#undef PDM__X
/* wap-provisioningdoc exists on page 0 only. */
static const uint16_t tok_prov1[64] = {
    [0x06] = PDM_TAG_PROV_CHARACTERISTIC,
    [0x07] = PDM_TAG_PROV_PARM,
};

static const uint16_t *const pages_syncml[] = {tok_syncml, tok_metinf,
                                               tok_ddf};
static const uint16_t tok_none[64];
/* A standalone DDF document has its tags on page 0 (our encoder, el.h);
 * libwbxml writes them on page 2 as inside SyncML: both are accepted. */
static const uint16_t *const pages_ddf[] = {tok_ddf, tok_none, tok_ddf};
static const uint16_t *const pages_prov[] = {tok_prov0, tok_prov1};

/* ---- languages --------------------------------------------------------- */
#define FPI_SYNCML12 "-//SYNCML//DTD SyncML 1.2//EN"
#define FPI_DDF12 "-//OMA//DTD-DM-DDF 1.2//EN"
#define FPI_PROV10 "-//WAPFORUM//DTD PROV 1.0//EN"

static const struct {
    uint32_t id;
    uint8_t lang;
} known_pids[] = {
    {0x1201, PDM_LANG_SYNCML12}, /* SyncML 1.2 */
    {0x1202, PDM_LANG_SYNCML12}, /* MetInf 1.2 */
    {0x0FD3, PDM_LANG_SYNCML12}, /* SyncML 1.1: decoded with 1.2 tables */
    {0x0FD1, PDM_LANG_SYNCML12}, /* SyncML 1.0 */
    {0x0B, PDM_LANG_PROV10},     /* PROV 1.0 */
};

static const struct {
    const char *fpi;
    uint8_t lang;
} known_fpis[] = {
    {FPI_SYNCML12, PDM_LANG_SYNCML12},
    {"-//SYNCML//DTD SyncML 1.1//EN", PDM_LANG_SYNCML12},
    {"-//SYNCML//DTD SyncML 1.0//EN", PDM_LANG_SYNCML12},
    {"-//SYNCML//DTD MetInf 1.2//EN", PDM_LANG_SYNCML12},
    {"-//SYNCML//DTD MetaInf 1.2//EN", PDM_LANG_SYNCML12},
    {FPI_DDF12, PDM_LANG_DDF12},
    {FPI_PROV10, PDM_LANG_PROV10},
    /* ProvCont 1.1 documents name the PROV 1.0 DTD; a 1.1 string is
     * read with the same tables (which include the 1.1 tokens) */
    {"-//WAPFORUM//DTD PROV 1.1//EN", PDM_LANG_PROV10},
};

/* ======================================================================== */
/* Decoder                                                                  */
/* ======================================================================== */

/* One open element (content flag set, END not yet seen). */
typedef struct frame {
    pdm__el *el;
    const uint8_t *piece; /* mode 1: the only text piece (input bytes) */
    size_t plen;
    size_t tstart; /* mode 2: where this element's text starts in scratch */
    uint8_t mode;  /* 0: no text yet, 1: one stable piece, 2: in scratch */
} frame;

typedef struct dec {
    const uint8_t *buf, *p, *end;
    const uint8_t *strtbl;
    size_t strtbl_len;
    pdm__doc *doc;
    pdm__codec_err *err;
    const uint16_t *const *pages;
    unsigned npages;
    unsigned tag_page, attr_page;
    uint8_t lang;
    size_t nodes, max_nodes;
    unsigned max_depth;
    pdm__buf scratch;
    /* last LITERAL name, so repeated LITERALs share one arena copy */
    const char *lit_name;
    uint32_t lit_idx;
    /* bump region carved from the arena (saves a call per allocation) */
    uint8_t *bump;
    size_t bump_left;
    bool header_only; /* stop after the root's SyncHdr (pdm__wbxml_decode_hdr) */
} dec;

static int fail(dec *d, int rc, const uint8_t *at, const char *fmt, ...)
    PDM_PRINTF(4, 5);

static int fail(dec *d, int rc, const uint8_t *at, const char *fmt, ...)
{
    if (d->err) {
        size_t off = at ? (size_t)(at - d->buf) : (size_t)(d->p - d->buf);
        int n;
        va_list ap;
        d->err->rc = rc;
        d->err->offset = off;
        n = snprintf(d->err->msg, sizeof d->err->msg, "WBXML offset %zu: ",
                     off);
        if (n < 0 || (size_t)n >= sizeof d->err->msg)
            n = 0;
        va_start(ap, fmt);
        vsnprintf(d->err->msg + n, sizeof d->err->msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int oom(dec *d) { return fail(d, PDM_ENOMEM, NULL, "out of memory"); }

static int truncated(dec *d, const uint8_t *at, const char *what)
{
    return fail(d, PDM_EPARSE, at, "input ends inside %s", what);
}

/* ---- allocation: 8-byte aligned blocks from the document arena -------- */
#define BUMP_BLOCK 8192

static void *bump_refill(dec *d, size_t need)
{
    uint8_t *b;
    if (need > BUMP_BLOCK / 4) /* big text: its own arena block */
        return pdm__arena_alloc(&d->doc->arena, need);
    b = pdm__arena_alloc(&d->doc->arena, BUMP_BLOCK);
    if (!b)
        return NULL;
    d->bump = b + need;
    d->bump_left = BUMP_BLOCK - need;
    return b;
}

static inline void *bump_alloc(dec *d, size_t n)
{
    size_t need;
    void *p;
    if (n > SIZE_MAX - 8)
        return NULL;
    need = (n + 7) & ~(size_t)7;
    if (need > d->bump_left)
        return bump_refill(d, need);
    p = d->bump;
    d->bump += need;
    d->bump_left -= need;
    return p;
}

/* n bytes + NUL */
static inline char *bump_memdup(dec *d, const void *src, size_t n)
{
    char *t = bump_alloc(d, n + 1);
    if (t) {
        if (n)
            memcpy(t, src, n);
        t[n] = 0;
    }
    return t;
}

/* mb_u_int32: at most 5 bytes, value below 2^32. */
static int get_mb_slow(dec *d, uint32_t *out, const char *what)
{
    const uint8_t *start = d->p;
    uint64_t v = 0;
    *out = 0;
    for (unsigned i = 0; i < 5; i++) {
        uint8_t b;
        if (d->p >= d->end)
            return truncated(d, start, what);
        b = *d->p++;
        v = (v << 7) | (b & 0x7Fu);
        if (!(b & 0x80)) {
            if (v > UINT32_MAX)
                return fail(d, PDM_EPARSE, start,
                            "mb_u_int32 overflow in %s", what);
            *out = (uint32_t)v;
            return PDM_OK;
        }
    }
    return fail(d, PDM_EPARSE, start, "mb_u_int32 longer than 5 bytes in %s",
                what);
}

static inline int get_mb(dec *d, uint32_t *out, const char *what)
{
    if (d->p < d->end && *d->p < 0x80) {
        *out = *d->p++;
        return PDM_OK;
    }
    return get_mb_slow(d, out, what);
}

/* String at `idx` of the string table: up to its NUL or the table end (an
 * FPI without NUL, as Funambol sends, is bounded by the table length). */
static int strtbl_get(dec *d, uint32_t idx, const uint8_t *at,
                      const uint8_t **s, size_t *n)
{
    const uint8_t *p, *z;
    size_t max;
    *s = NULL;
    *n = 0;
    if (idx >= d->strtbl_len)
        return fail(d, PDM_EPARSE, at,
                    "string table index %u out of range (table has %zu "
                    "bytes)",
                    (unsigned)idx, d->strtbl_len);
    p = d->strtbl + idx;
    max = d->strtbl_len - idx;
    z = memchr(p, 0, max);
    *s = p;
    *n = z ? (size_t)(z - p) : max;
    return PDM_OK;
}

/* ENTITY value -> UTF-8 (1..4 bytes); rejects NUL, surrogates, > U+10FFFF. */
static int entity_utf8(dec *d, uint32_t c, const uint8_t *at, uint8_t *u,
                       size_t *n)
{
    *n = 0;
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return fail(d, PDM_EPARSE, at, "invalid character entity 0x%X",
                    (unsigned)c);
    if (c < 0x80) {
        u[0] = (uint8_t)c;
        *n = 1;
    } else if (c < 0x800) {
        u[0] = (uint8_t)(0xC0 | (c >> 6));
        u[1] = (uint8_t)(0x80 | (c & 0x3F));
        *n = 2;
    } else if (c < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (c >> 12));
        u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (c & 0x3F));
        *n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (c >> 18));
        u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (c & 0x3F));
        *n = 4;
    }
    return PDM_OK;
}

static int text_add_slow(dec *d, frame *f, const uint8_t *p, size_t n)
{
    if (f->mode != 2) {
        f->tstart = d->scratch.len;
        if (f->mode == 1)
            pdm__buf_append(&d->scratch, f->piece, f->plen);
        f->mode = 2;
    }
    pdm__buf_append(&d->scratch, p, n);
    return pdm__buf_ok(&d->scratch) ? PDM_OK : oom(d);
}

/* Adds a text piece to the open element `f`.  `stable` pieces point into
 * the input (valid until the end of decoding) and need no copy yet. */
static inline int text_add(dec *d, frame *f, const uint8_t *p, size_t n,
                           bool stable)
{
    if (f->mode == 0 && stable) {
        f->mode = 1;
        f->piece = p;
        f->plen = n;
        return PDM_OK;
    }
    return text_add_slow(d, f, p, n);
}

/* The element of `f` is closed: its text goes to the arena. */
static inline int text_finish(dec *d, frame *f)
{
    const uint8_t *src;
    size_t n;
    uint8_t *t;
    if (f->mode == 0)
        return PDM_OK;
    if (f->mode == 1) {
        src = f->piece;
        n = f->plen;
    } else {
        src = d->scratch.data + f->tstart;
        n = d->scratch.len - f->tstart;
    }
    t = (uint8_t *)bump_memdup(d, src, n);
    if (f->mode == 2) {
        d->scratch.len = f->tstart;
        d->scratch.data[d->scratch.len] = 0;
    }
    if (!t)
        return oom(d);
    f->el->text = t;
    f->el->len = n;
    return PDM_OK;
}

static int count_node(dec *d, const uint8_t *at)
{
    if (++d->nodes > d->max_nodes)
        return fail(d, PDM_ETOOBIG, at,
                    "more than %zu elements and attributes", d->max_nodes);
    return PDM_OK;
}

/* Name of a LITERAL (element or attribute) as an arena string. */
static int literal_name(dec *d, const uint8_t *at, const char **name)
{
    uint32_t idx;
    const uint8_t *s;
    size_t n;
    int rc = get_mb(d, &idx, "LITERAL index");
    if (rc)
        return rc;
    if (d->lit_name && d->lit_idx == idx) {
        *name = d->lit_name;
        return PDM_OK;
    }
    if ((rc = strtbl_get(d, idx, at, &s, &n)) != PDM_OK)
        return rc;
    if (n == 0)
        return fail(d, PDM_EPARSE, at, "LITERAL with an empty name");
    *name = bump_memdup(d, s, n);
    if (!*name)
        return oom(d);
    d->lit_name = *name;
    d->lit_idx = idx;
    return PDM_OK;
}

/* Attribute list (after a tag with 0x80) up to and including its END.
 * el == NULL: skip a processing instruction the same way, storing nothing
 * and without token-table checks. */
static int parse_attrs(dec *d, pdm__el *el)
{
    const bool skip = el == NULL;
    const bool prov = d->lang == PDM_LANG_PROV10;
    pdm__attr **tail = NULL;
    const char *name = NULL; /* attribute being built (NULL: none yet) */
    const size_t vstart = d->scratch.len;
    int rc;

    if (!skip)
        for (tail = &el->attrs; *tail; tail = &(*tail)->next)
            ;
    for (;;) {
        const uint8_t *at = d->p, *s;
        const char *piece = NULL;
        size_t n = 0;
        uint32_t v;
        uint8_t t, u[4];
        bool start = false;

        if (d->p >= d->end)
            return truncated(d, at, skip ? "a processing instruction"
                                         : "an attribute list");
        t = *d->p++;
        switch (t) {
        case WB_END:
        case WB_SWITCH_PAGE: /* keeps the attribute being built open */
        case WB_LITERAL:
            start = true; /* not a value piece: handled below */
            break;
        case WB_STR_I:
            s = memchr(d->p, 0, (size_t)(d->end - d->p));
            if (!s)
                return truncated(d, at, "an inline string");
            piece = (const char *)d->p;
            n = (size_t)(s - d->p);
            d->p = s + 1;
            break;
        case WB_STR_T:
            if (prov && d->attr_page == 1 && d->strtbl_len == 0) {
                /* older PROV table: 0x83 = "DIGEST" (no string table, so
                 * it cannot be STR_T) */
                piece = pdm__prov_avalue[1][PDM__PROV_AAUTH_PIECE_TOKEN + 3 -
                                            0x80];
                n = strlen(piece);
                break;
            }
            if ((rc = get_mb(d, &v, "STR_T index")) != PDM_OK ||
                (rc = strtbl_get(d, v, at, &s, &n)) != PDM_OK)
                return rc;
            piece = (const char *)s;
            break;
        case WB_ENTITY:
            if ((rc = get_mb(d, &v, "ENTITY")) != PDM_OK ||
                (rc = entity_utf8(d, v, at, u, &n)) != PDM_OK)
                return rc;
            piece = (const char *)u;
            break;
        case WB_OPAQUE:
            if ((rc = get_mb(d, &v, "OPAQUE length")) != PDM_OK)
                return rc;
            if (v > (size_t)(d->end - d->p))
                return fail(d, PDM_EPARSE, at,
                            "OPAQUE length %u exceeds the %zu bytes left",
                            (unsigned)v, (size_t)(d->end - d->p));
            piece = (const char *)d->p;
            n = v;
            d->p += v;
            break;
        case WB_EXT_T_0:
        case WB_EXT_T_1:
        case WB_EXT_T_2:
            if (prov && d->attr_page == 1) {
                /* older PROV table: 0x80..0x82 = "," "HTTP-" "BASIC" */
                piece = pdm__prov_avalue[1][PDM__PROV_AAUTH_PIECE_TOKEN +
                                            (t - WB_EXT_T_0) - 0x80];
                n = strlen(piece);
                break;
            }
            if (skip) {
                if ((rc = get_mb(d, &v, "EXT_T value")) != PDM_OK)
                    return rc;
                continue;
            }
            return fail(d, PDM_EPARSE, at,
                        "EXT_T_%d token 0x%02X not supported", t - WB_EXT_T_0,
                        t);
        case WB_EXT_I_0:
        case WB_EXT_I_1:
        case WB_EXT_I_2:
            if (skip) {
                s = memchr(d->p, 0, (size_t)(d->end - d->p));
                if (!s)
                    return truncated(d, at, "an EXT_I string");
                d->p = s + 1;
                continue;
            }
            return fail(d, PDM_EPARSE, at,
                        "EXT_I_%d token 0x%02X not supported", t - WB_EXT_I_0,
                        t);
        case WB_EXT_0:
        case WB_EXT_1:
        case WB_EXT_2:
            if (skip)
                continue;
            return fail(d, PDM_EPARSE, at, "EXT_%d token 0x%02X not supported",
                        t - WB_EXT_0, t);
        case WB_PI:
        case WB_LITERAL_C:
        case WB_LITERAL_A:
        case WB_LITERAL_AC:
            return fail(d, PDM_EPARSE, at,
                        "token 0x%02X not allowed in an attribute list", t);
        default:
            if (t < 0x80) {
                start = true; /* ATTRSTART */
            } else if (!skip) { /* ATTRVALUE */
                if (prov && d->attr_page < 2)
                    piece = pdm__prov_avalue[d->attr_page][t & 0x7F];
                if (!piece)
                    return fail(d, PDM_EPARSE, at,
                                "unknown attribute value token 0x%02X on "
                                "code page %u",
                                t, d->attr_page);
                n = strlen(piece);
            }
            break;
        }

        if (!start) { /* a value piece */
            if (skip)
                continue;
            if (!name)
                return fail(d, PDM_EPARSE, at,
                            "attribute value token 0x%02X before any "
                            "attribute start",
                            t);
            pdm__buf_append(&d->scratch, piece, n);
            if (!pdm__buf_ok(&d->scratch))
                return oom(d);
            continue;
        }

        /* END, SWITCH_PAGE, LITERAL or ATTRSTART */
        if (t == WB_SWITCH_PAGE) {
            if (d->p >= d->end)
                return truncated(d, at, "SWITCH_PAGE");
            d->attr_page = *d->p++;
            continue;
        }
        if (name) { /* finish the attribute being built */
            size_t vn = d->scratch.len - vstart;
            const uint8_t *vp = d->scratch.data + vstart;
            pdm__attr *a;
            if (memchr(vp, 0, vn))
                return fail(d, PDM_EPARSE, at,
                            "NUL byte in an attribute value");
            a = bump_alloc(d, sizeof(*a));
            if (!a)
                return oom(d);
            a->next = NULL;
            a->name = name;
            a->value = bump_memdup(d, vp, vn);
            if (!a->value)
                return oom(d);
            *tail = a;
            tail = &a->next;
            d->scratch.len = vstart;
            d->scratch.data[vstart] = 0;
            name = NULL;
        }
        if (t == WB_END)
            return PDM_OK;
        if (skip) {
            if (t == WB_LITERAL && (rc = get_mb(d, &v, "LITERAL")) != PDM_OK)
                return rc;
            continue;
        }
        if ((rc = count_node(d, at)) != PDM_OK)
            return rc;
        if (t == WB_LITERAL) {
            if ((rc = literal_name(d, at, &name)) != PDM_OK)
                return rc;
            pdm__buf_append(&d->scratch, "", 0); /* makes data non-NULL */
        } else {
            const pdm__wbxml_astart *as = NULL;
            if (prov && d->attr_page < 2)
                as = &pdm__prov_astart[d->attr_page][t];
            if (!as || !as->name)
                return fail(d, PDM_EPARSE, at,
                            "unknown attribute start token 0x%02X on code "
                            "page %u",
                            t, d->attr_page);
            name = as->name;
            pdm__buf_append(&d->scratch, as->prefix, as->prefix_len);
        }
        if (!pdm__buf_ok(&d->scratch))
            return oom(d);
    }
}

static int parse_header(dec *d)
{
    const uint8_t *at;
    uint32_t pid, idx = 0, cs, sl;
    uint8_t ver;
    int rc;

    if (d->p >= d->end)
        return fail(d, PDM_EPARSE, d->p, "empty input");
    ver = *d->p++;
    if (ver < 0x01 || ver > 0x03)
        return fail(d, PDM_EPARSE, d->buf,
                    "unsupported WBXML version byte 0x%02X (1.1-1.3 only)",
                    ver);
    at = d->p;
    if ((rc = get_mb(d, &pid, "the public id")) != PDM_OK)
        return rc;
    if (pid == 0 && (rc = get_mb(d, &idx, "the public id index")) != PDM_OK)
        return rc;
    if ((rc = get_mb(d, &cs, "the charset")) != PDM_OK)
        return rc;
    if (cs != WB_CHARSET_UTF8 && cs != WB_CHARSET_ASCII && cs != 0)
        return fail(d, PDM_EPARSE, d->p - 1,
                    "unsupported charset MIBenum %u (UTF-8 and US-ASCII "
                    "only)",
                    (unsigned)cs);
    if ((rc = get_mb(d, &sl, "the string table length")) != PDM_OK)
        return rc;
    if (sl > (size_t)(d->end - d->p))
        return fail(d, PDM_EPARSE, d->p,
                    "string table length %u exceeds the %zu bytes left",
                    (unsigned)sl, (size_t)(d->end - d->p));
    d->strtbl = d->p;
    d->strtbl_len = sl;
    d->p += sl;

    d->lang = PDM_LANG_NONE;
    if (pid != 0) {
        for (size_t i = 0; i < PDM__ARRAY_LEN(known_pids); i++)
            if (known_pids[i].id == pid)
                d->lang = known_pids[i].lang;
        if (d->lang == PDM_LANG_NONE)
            return fail(d, PDM_EPARSE, at, "unsupported public id 0x%X",
                        (unsigned)pid);
    } else {
        const uint8_t *s;
        size_t n;
        if ((rc = strtbl_get(d, idx, at, &s, &n)) != PDM_OK)
            return rc;
        for (size_t i = 0; i < PDM__ARRAY_LEN(known_fpis); i++)
            if (strlen(known_fpis[i].fpi) == n &&
                memcmp(known_fpis[i].fpi, s, n) == 0)
                d->lang = known_fpis[i].lang;
        if (d->lang == PDM_LANG_NONE)
            return fail(d, PDM_EPARSE, at,
                        "unsupported public identifier string (%zu bytes)",
                        n);
    }
    switch (d->lang) {
    case PDM_LANG_SYNCML12:
        d->pages = pages_syncml;
        d->npages = PDM__ARRAY_LEN(pages_syncml);
        break;
    case PDM_LANG_DDF12:
        d->pages = pages_ddf;
        d->npages = PDM__ARRAY_LEN(pages_ddf);
        break;
    default:
        d->pages = pages_prov;
        d->npages = PDM__ARRAY_LEN(pages_prov);
        break;
    }
    d->doc->lang = d->lang;
    d->doc->wbxml_version = ver;
    d->doc->public_id = pid;
    return PDM_OK;
}

/* After the root element: processing instructions and stray END tokens
 * (see the top of the file) only. */
static int parse_epilog(dec *d)
{
    while (d->p < d->end) {
        const uint8_t *at = d->p;
        uint8_t t = *d->p++;
        int rc;
        if (t == WB_END)
            continue;
        if (t != WB_PI)
            return fail(d, PDM_EPARSE, at,
                        "trailing data after the root element (token "
                        "0x%02X)",
                        t);
        if ((rc = parse_attrs(d, NULL)) != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

/* Prolog, root element and content, iteratively; depth = open elements. */
static int parse_body(dec *d)
{
    frame local[DEFAULT_MAX_DEPTH];
    frame *stack = local, *top = NULL; /* top: innermost open element */
    unsigned cap = DEFAULT_MAX_DEPTH, depth = 0;
    int rc = PDM_OK;

    for (;;) {
        const uint8_t *at = d->p, *s;
        pdm__tag tag;
        const char *name = NULL;
        pdm__el *el;
        uint32_t v;
        size_t n;
        uint8_t t, u[4];

        if (d->p >= d->end) {
            if (!d->doc->root)
                rc = fail(d, PDM_EPARSE, at, "no root element");
            else
                rc = fail(d, PDM_EPARSE, at,
                          "input ends with %u element(s) not closed "
                          "(missing END)",
                          depth);
            goto out;
        }
        t = *d->p++;
        if (!WB_IS_GLOBAL(t)) {
            tag = d->tag_page < d->npages
                      ? (pdm__tag)d->pages[d->tag_page][t & 0x3F]
                      : PDM_TAG_NONE;
            if (tag == PDM_TAG_NONE) {
                rc = fail(d, PDM_EPARSE, at,
                          "unknown tag token 0x%02X on code page %u", t,
                          d->tag_page);
                goto out;
            }
            goto start_element;
        }

        switch (t) {
        case WB_END:
            if (!top) {
                rc = fail(d, PDM_EPARSE, at, "END without an open element");
                goto out;
            }
            if ((rc = text_finish(d, top)) != PDM_OK)
                goto out;
            if (--depth == 0)
                goto root_closed;
            if (d->header_only && depth == 1 &&
                top->el->tag == PDM_TAG_SYNCHDR)
                goto out; /* the rest is not read (rc is PDM_OK) */
            top--;
            continue;
        case WB_STR_I:
            if (!top)
                goto text_outside;
            s = memchr(d->p, 0, (size_t)(d->end - d->p));
            if (!s) {
                rc = truncated(d, at, "an inline string");
                goto out;
            }
            rc = text_add(d, top, d->p, (size_t)(s - d->p), true);
            d->p = s + 1;
            break;
        case WB_STR_T:
            if (!top)
                goto text_outside;
            if ((rc = get_mb(d, &v, "STR_T index")) != PDM_OK ||
                (rc = strtbl_get(d, v, at, &s, &n)) != PDM_OK)
                goto out;
            rc = text_add(d, top, s, n, true);
            break;
        case WB_SWITCH_PAGE:
            if (d->p >= d->end) {
                rc = truncated(d, at, "SWITCH_PAGE");
                goto out;
            }
            d->tag_page = *d->p++;
            continue;
        case WB_OPAQUE:
            if (!top)
                goto text_outside;
            if ((rc = get_mb(d, &v, "OPAQUE length")) != PDM_OK)
                goto out;
            if (v > (size_t)(d->end - d->p)) {
                rc = fail(d, PDM_EPARSE, at,
                          "OPAQUE length %u exceeds the %zu bytes left",
                          (unsigned)v, (size_t)(d->end - d->p));
                goto out;
            }
            top->el->flags |= PDM_EL_OPAQUE;
            rc = text_add(d, top, d->p, v, true);
            d->p += v;
            break;
        case WB_ENTITY:
            if (!top)
                goto text_outside;
            if ((rc = get_mb(d, &v, "ENTITY")) != PDM_OK ||
                (rc = entity_utf8(d, v, at, u, &n)) != PDM_OK)
                goto out;
            rc = text_add(d, top, u, n, false);
            break;
        case WB_LITERAL:
        case WB_LITERAL_C:
        case WB_LITERAL_A:
        case WB_LITERAL_AC:
            if ((rc = literal_name(d, at, &name)) != PDM_OK)
                goto out;
            tag = PDM_TAG_UNKNOWN;
            goto start_element;
        case WB_PI:
            if ((rc = parse_attrs(d, NULL)) != PDM_OK)
                goto out;
            continue;
        default: /* EXT_I_*, EXT_T_*, EXT_* */
            rc = fail(d, PDM_EPARSE, at,
                      "extension token 0x%02X not supported", t);
            goto out;
        }
        if (rc != PDM_OK)
            goto out;
        continue;

    text_outside:
        rc = fail(d, PDM_EPARSE, at,
                  "character data (token 0x%02X) outside the root element",
                  t);
        goto out;

    start_element:
        if (depth >= d->max_depth) {
            rc = fail(d, PDM_ETOOBIG, at,
                      "elements nested deeper than %u levels", d->max_depth);
            goto out;
        }
        if ((rc = count_node(d, at)) != PDM_OK)
            goto out;
        el = bump_alloc(d, sizeof(*el));
        if (!el) {
            rc = oom(d);
            goto out;
        }
        memset(el, 0, sizeof(*el));
        el->tag = (uint16_t)tag;
        el->name = name;
        if (top) {
            pdm__el *parent = top->el;
            el->parent = parent;
            if (parent->last)
                parent->last->next = el;
            else
                parent->first = el;
            parent->last = el;
        } else {
            d->doc->root = el;
        }
        if ((t & WB_HAS_ATTRS) && (rc = parse_attrs(d, el)) != PDM_OK)
            goto out;
        if (!(t & WB_HAS_CONTENT)) {
            el->flags |= PDM_EL_EMPTY_TAG;
            if (depth == 0)
                goto root_closed;
            if (d->header_only && depth == 1 && tag == PDM_TAG_SYNCHDR)
                goto out;
            continue;
        }
        if (depth == cap) {
            unsigned ncap = cap > d->max_depth / 2 ? d->max_depth : cap * 2;
            frame *ns = pdm__malloc(sizeof(frame) * ncap);
            if (!ns) {
                rc = oom(d);
                goto out;
            }
            memcpy(ns, stack, sizeof(frame) * depth);
            if (stack != local)
                pdm__free(stack);
            stack = ns;
            cap = ncap;
        }
        top = &stack[depth++];
        top->el = el;
        top->mode = 0;
    }
root_closed:
    rc = parse_epilog(d);
out:
    if (stack != local)
        pdm__free(stack);
    return rc;
}

static int decode(pdm__doc *out, const uint8_t *buf, size_t len,
                  const pdm__codec_limits *lim, pdm__codec_err *err,
                  bool header_only)
{
    dec d;
    int rc;

    memset(&d, 0, sizeof d);
    d.header_only = header_only;
    if (err)
        memset(err, 0, sizeof *err);
    d.buf = d.p = buf;
    d.end = buf ? buf + len : buf;
    d.doc = out;
    d.err = err;
    if (!out || (!buf && len))
        return fail(&d, PDM_EINVAL, NULL, "invalid arguments");
    d.max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH;
    d.max_nodes =
        lim && lim->max_elements ? lim->max_elements : DEFAULT_MAX_ELEMENTS;
    if (lim && lim->max_bytes && len > lim->max_bytes)
        return fail(&d, PDM_ETOOBIG, buf,
                    "message of %zu bytes exceeds the limit of %zu", len,
                    lim->max_bytes);
    pdm__buf_init(&d.scratch);
    rc = parse_header(&d);
    if (rc == PDM_OK)
        rc = parse_body(&d);
    pdm__buf_free(&d.scratch);
    return rc;
}

int pdm__wbxml_decode(pdm__doc *out, const uint8_t *buf, size_t len,
                      const pdm__codec_limits *lim, pdm__codec_err *err)
{
    return decode(out, buf, len, lim, err, false);
}

int pdm__wbxml_decode_hdr(pdm__doc *out, const uint8_t *buf, size_t len,
                          const pdm__codec_limits *lim, pdm__codec_err *err)
{
    return decode(out, buf, len, lim, err, true);
}

/* ======================================================================== */
/* Encoder                                                                  */
/* ======================================================================== */

typedef struct st_ent {
    const char *s;
    uint32_t off;
} st_ent;

typedef struct enc {
    pdm__buf *out;
    pdm__codec_err *err;
    uint8_t lang;
    unsigned tag_page, attr_page;
    pdm__buf st;      /* string table bytes */
    st_ent *hash;     /* open addressing, name -> offset in st */
    size_t hcap, hcount;
} enc;

static int efail(enc *e, int rc, const char *fmt, ...) PDM_PRINTF(3, 4);

static int efail(enc *e, int rc, const char *fmt, ...)
{
    if (e->err) {
        va_list ap;
        e->err->rc = rc;
        e->err->offset = 0;
        va_start(ap, fmt);
        vsnprintf(e->err->msg, sizeof e->err->msg, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static inline void putb(pdm__buf *b, uint8_t c)
{
    if (b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = 0;
    } else {
        pdm__buf_putc(b, c);
    }
}

static void put_mb(pdm__buf *b, uint32_t v)
{
    uint8_t tmp[5];
    size_t i = sizeof tmp;
    tmp[--i] = (uint8_t)(v & 0x7F);
    while (v >>= 7)
        tmp[--i] = (uint8_t)(0x80 | (v & 0x7F));
    pdm__buf_append(b, tmp + i, sizeof tmp - i);
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Offset of `s` in the string table, adding it (with its NUL) if `add`.
 * Returns -1 when absent (and !add) and -2 on out-of-memory. */
static long st_find(enc *e, const char *s, bool add)
{
    size_t i;
    if (!add && e->hcap == 0)
        return -1; /* empty table */
    if (add && (e->hcount + 1) * 2 > e->hcap) { /* grow, load <= 1/2 */
        size_t ncap = e->hcap ? e->hcap * 2 : 16;
        st_ent *nh = pdm__calloc(ncap, sizeof *nh);
        if (!nh)
            return -2;
        for (i = 0; i < e->hcap; i++) {
            if (e->hash[i].s) {
                size_t j = str_hash(e->hash[i].s) & (ncap - 1);
                while (nh[j].s)
                    j = (j + 1) & (ncap - 1);
                nh[j] = e->hash[i];
            }
        }
        pdm__free(e->hash);
        e->hash = nh;
        e->hcap = ncap;
    }
    i = str_hash(s) & (e->hcap - 1);
    while (e->hash[i].s) {
        if (strcmp(e->hash[i].s, s) == 0)
            return (long)e->hash[i].off;
        i = (i + 1) & (e->hcap - 1);
    }
    if (!add)
        return -1;
    if (e->st.len > UINT32_MAX - strlen(s) - 1)
        return -2;
    e->hash[i].s = s;
    e->hash[i].off = (uint32_t)e->st.len;
    e->hcount++;
    pdm__buf_append(&e->st, s, strlen(s) + 1);
    if (!pdm__buf_ok(&e->st))
        return -2;
    return (long)e->hash[i].off;
}

/* Best PROV ATTRSTART token for name/value: longest matching prefix, the
 * current page winning ties.  Returns false if none. */
static bool prov_astart(const char *name, const char *value, unsigned cur,
                        unsigned *page, uint8_t *tok, size_t *plen)
{
    bool found = false;
    size_t best = 0;
    for (unsigned k = 0; k < 2; k++) {
        unsigned pg = k == 0 ? (cur < 2 ? cur : 0) : (cur == 1 ? 0 : 1);
        for (unsigned t = 0x05; t < 0x80; t++) {
            const pdm__wbxml_astart *a = &pdm__prov_astart[pg][t];
            if (!a->name || strcmp(a->name, name) != 0 ||
                strncmp(value, a->prefix, a->prefix_len) != 0)
                continue;
            if (!found || a->prefix_len > best) {
                found = true;
                best = a->prefix_len;
                *page = pg;
                *tok = (uint8_t)t;
                *plen = a->prefix_len;
            }
        }
    }
    return found;
}

/* PROV ATTRVALUE token equal to the whole of `rest`; never the AAUTHTYPE
 * pieces (their token values disagree between tables). */
static bool prov_avalue(const char *rest, unsigned cur, unsigned *page,
                        uint8_t *tok)
{
    for (unsigned k = 0; k < 2; k++) {
        unsigned pg = k == 0 ? (cur < 2 ? cur : 0) : (cur == 1 ? 0 : 1);
        for (unsigned t = 0x85; t < 0x100; t++) {
            const char *v = pdm__prov_avalue[pg][t & 0x7F];
            if (WB_IS_GLOBAL(t) || !v ||
                (pg == 1 && t >= PDM__PROV_AAUTH_PIECE_TOKEN &&
                 t <= PDM__PROV_AAUTH_PIECE_TOKEN + 3))
                continue;
            if (strcmp(v, rest) == 0) {
                *page = pg;
                *tok = (uint8_t)t;
                return true;
            }
        }
    }
    return false;
}

static const char *el_desc(const pdm__el *el)
{
    const char *n = el->tag < PDM_TAG_COUNT ? pdm__el_name(el) : "";
    return n[0] ? n : "(unnamed)";
}

/* Code page of a known tag in the document's language, or -1. */
static int tag_page(const enc *e, pdm__tag tag)
{
    switch (pdm__tags[tag].ns) {
    case PDM_NS_SYNCML:
        return e->lang == PDM_LANG_SYNCML12 ? 0 : -1;
    case PDM_NS_METINF:
        return e->lang == PDM_LANG_SYNCML12 ? 1 : -1;
    case PDM_NS_DDF:
        /* Page 2 also in a standalone TNDS document: that is what libwbxml
         * (the only other implementation at hand) writes and expects, so
         * wbxml2xml shows our TNDS with its real element names.  The
         * decoder accepts page 0 too. */
        return e->lang == PDM_LANG_SYNCML12 || e->lang == PDM_LANG_DDF12
                   ? 2
                   : -1;
    case PDM_NS_PROV:
        if (e->lang != PDM_LANG_PROV10)
            return -1;
        if (tag == PDM_TAG_PROV_DOC)
            return 0;
        return e->tag_page < 2 ? (int)e->tag_page : 0;
    default:
        return -1;
    }
}

/* Pre-pass: string table entries for LITERAL element and attribute names.
 * Also validates the tree so that the main pass cannot fail on content. */
static int collect_literals(enc *e, const pdm__el *root)
{
    const pdm__el *el = root;
    unsigned pg;
    uint8_t tok;
    size_t plen;
    while (el) {
        if (el->tag == PDM_TAG_UNKNOWN) {
            if (!el->name || !el->name[0])
                return efail(e, PDM_EINVAL, "unknown element without a name");
            if (st_find(e, el->name, true) == -2)
                return efail(e, PDM_ENOMEM, "out of memory");
        } else if (el->tag >= PDM_TAG_COUNT || el->tag == PDM_TAG_NONE) {
            return efail(e, PDM_EINVAL, "invalid element tag id %u",
                         (unsigned)el->tag);
        } else if (tag_page(e, (pdm__tag)el->tag) < 0) {
            return efail(e, PDM_EINVAL,
                         "element <%s> is not part of the document language",
                         el_desc(el));
        }
        for (const pdm__attr *a = el->attrs; a; a = a->next) {
            if (!a->name || !a->name[0] || !a->value)
                return efail(e, PDM_EINVAL, "attribute without a name or "
                                            "value");
            if (e->lang == PDM_LANG_PROV10 &&
                prov_astart(a->name, a->value, 0, &pg, &tok, &plen))
                continue;
            if (st_find(e, a->name, true) == -2)
                return efail(e, PDM_ENOMEM, "out of memory");
        }
        if (el->len > UINT32_MAX)
            return efail(e, PDM_ETOOBIG, "text of <%s> too long for WBXML",
                         el_desc(el));
        /* next in document order */
        if (el->first) {
            el = el->first;
            continue;
        }
        while (el && el != root && !el->next)
            el = el->parent;
        el = el && el != root ? el->next : NULL;
    }
    return PDM_OK;
}

static void put_str_i(pdm__buf *b, const void *s, size_t n)
{
    putb(b, WB_STR_I);
    pdm__buf_append(b, s, n);
    putb(b, 0);
}

static void emit_attrs(enc *e, const pdm__el *el)
{
    pdm__buf *b = e->out;
    for (const pdm__attr *a = el->attrs; a; a = a->next) {
        unsigned pg = 0;
        uint8_t tok = 0;
        size_t plen = 0;
        const char *rest = a->value;
        if (e->lang == PDM_LANG_PROV10 &&
            prov_astart(a->name, a->value, e->attr_page, &pg, &tok, &plen)) {
            if (pg != e->attr_page) {
                putb(b, WB_SWITCH_PAGE);
                putb(b, (uint8_t)pg);
                e->attr_page = pg;
            }
            putb(b, tok);
            rest += plen;
        } else {
            putb(b, WB_LITERAL);
            put_mb(b, (uint32_t)st_find(e, a->name, false));
        }
        if (!*rest)
            continue;
        if (e->lang == PDM_LANG_PROV10 &&
            prov_avalue(rest, e->attr_page, &pg, &tok)) {
            if (pg != e->attr_page) {
                putb(b, WB_SWITCH_PAGE);
                putb(b, (uint8_t)pg);
                e->attr_page = pg;
            }
            putb(b, tok);
        } else {
            put_str_i(b, rest, strlen(rest));
        }
    }
    putb(b, WB_END);
}

static void emit_start(enc *e, const pdm__el *el, bool content)
{
    pdm__buf *b = e->out;
    uint8_t flags = (uint8_t)((content ? WB_HAS_CONTENT : 0) |
                              (el->attrs ? WB_HAS_ATTRS : 0));
    if (el->tag == PDM_TAG_UNKNOWN) {
        putb(b, (uint8_t)(WB_LITERAL | flags));
        put_mb(b, (uint32_t)st_find(e, el->name, false));
    } else {
        unsigned pg = (unsigned)tag_page(e, (pdm__tag)el->tag);
        if (pg != e->tag_page) {
            putb(b, WB_SWITCH_PAGE);
            putb(b, (uint8_t)pg);
            e->tag_page = pg;
        }
        putb(b, (uint8_t)(pdm__tags[el->tag].token | flags));
    }
    if (el->attrs)
        emit_attrs(e, el);
    if (content && el->text) {
        if ((el->flags & PDM_EL_OPAQUE) || memchr(el->text, 0, el->len)) {
            putb(b, WB_OPAQUE);
            put_mb(b, (uint32_t)el->len);
            pdm__buf_append(b, el->text, el->len);
        } else {
            put_str_i(b, el->text, el->len);
        }
    }
}

int pdm__wbxml_encode(pdm__buf *out, const pdm__doc *doc,
                      const pdm__wbxml_opts *opts, pdm__codec_err *err)
{
    enc e;
    const pdm__el *root, *el;
    size_t start_len;
    uint8_t version = opts && opts->version ? opts->version : 0x02;
    bool string_fpi = opts && opts->string_fpi;
    uint32_t pid = 0;
    const char *fpi = NULL;
    int rc = PDM_OK;

    memset(&e, 0, sizeof e);
    e.err = err;
    e.out = out;
    if (err)
        memset(err, 0, sizeof *err);
    if (!out || !doc || !doc->root)
        return efail(&e, PDM_EINVAL, "no document to encode");
    if (version < 0x01 || version > 0x03)
        return efail(&e, PDM_EINVAL, "unsupported WBXML version 0x%02X",
                     version);
    e.lang = doc->lang;
    switch (e.lang) {
    case PDM_LANG_SYNCML12:
        pid = 0x1201;
        fpi = FPI_SYNCML12;
        break;
    case PDM_LANG_DDF12:
        fpi = FPI_DDF12;
        string_fpi = true; /* no numeric public id exists */
        break;
    case PDM_LANG_PROV10:
        pid = 0x0B;
        fpi = FPI_PROV10;
        break;
    default:
        return efail(&e, PDM_EINVAL, "document has no WBXML language");
    }
    root = doc->root;
    start_len = out->len;
    pdm__buf_init(&e.st);

    if (string_fpi && st_find(&e, fpi, true) == -2) {
        rc = efail(&e, PDM_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = collect_literals(&e, root)) != PDM_OK)
        goto done;

    /* header */
    putb(out, version);
    if (string_fpi) {
        putb(out, 0);
        put_mb(out, 0); /* index of the FPI */
    } else {
        put_mb(out, pid);
    }
    put_mb(out, WB_CHARSET_UTF8);
    put_mb(out, (uint32_t)e.st.len);
    if (e.st.len)
        pdm__buf_append(out, e.st.data, e.st.len);

    /* body, in document order without recursion */
    el = root;
    for (;;) {
        bool content = el->first || el->text;
        emit_start(&e, el, content);
        if (el->first) {
            el = el->first;
            continue;
        }
        if (content)
            putb(out, WB_END);
        for (;;) {
            if (el == root)
                goto body_done;
            if (el->next) {
                el = el->next;
                break;
            }
            el = el->parent;
            putb(out, WB_END);
        }
    }
body_done:
    if (!pdm__buf_ok(out))
        rc = efail(&e, PDM_ENOMEM, "out of memory");
done:
    pdm__buf_free(&e.st);
    pdm__free(e.hash);
    if (rc != PDM_OK && out->data && !out->oom) {
        out->len = start_len;
        out->data[start_len] = 0;
    }
    return rc;
}
