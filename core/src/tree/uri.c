/*
 * Management-tree URIs: parser, limits and path helpers (see uri.h for the
 * accepted syntax and every rule decision).
 */
#include "tree/uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- names of properties and list types -------------------------------- */

static const char *const prop_names[PDM_URI_PROP__COUNT] = {
    "ACL", "Format", "Name", "Size", "Title", "TStamp", "Type", "VerNo",
    "Value",
};
static const char *const list_names[] = {"Struct", "StructData", "TNDS"};

const char *pdm__uri_prop_name(pdm__uri_prop p)
{
    return (unsigned)p < PDM_URI_PROP__COUNT ? prop_names[p] : "?";
}

const char *pdm__uri_list_name(pdm__uri_list l)
{
    return (unsigned)l < PDM__ARRAY_LEN(list_names) ? list_names[l] : "?";
}

static int lookup(const char *const *tab, size_t count, const char *s,
                  size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(tab[i]) == n && memcmp(tab[i], s, n) == 0)
            return (int)i;
    return -1;
}

int pdm__uri_prop_from_name(const char *s, size_t n)
{
    return lookup(prop_names, PDM_URI_PROP__COUNT, s, n);
}

int pdm__uri_list_from_name(const char *s, size_t n)
{
    return lookup(list_names, PDM__ARRAY_LEN(list_names), s, n);
}

uint32_t pdm__uri_list_props(const pdm__uri *u, uint32_t dflt)
{
    switch (u->list_sel) {
    case '+': return u->list_props;
    case '-': return dflt & ~u->list_props;
    default: return dflt;
    }
}

/* ---- UTF-8 and character classes --------------------------------------- */

/* Characters counted for MaxTotLen / MaxSegLen: every byte that is not a
 * UTF-8 continuation byte (exact for valid UTF-8, which is all we accept). */
static size_t count_chars(const char *s, size_t n)
{
    const uint64_t hi = 0x8080808080808080u, ones = 0x0101010101010101u;
    size_t c = n, i = 0;
    /* Eight bytes at a time (every Get/Replace URI is counted): a
     * continuation byte has bit 7 set and bit 6 clear, so
     * x & ~(x << 1) & hi marks exactly those; the multiply sums the
     * marks. */
    for (; n - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        x = (x & ~(x << 1) & hi) >> 7;
        c -= (size_t)((x * ones) >> 56);
    }
    for (; i < n; i++)
        c -= ((unsigned char)s[i] & 0xC0) == 0x80;
    return c;
}

typedef struct utf8st {
    uint32_t cp;   /* code point being assembled */
    unsigned need; /* continuation bytes still expected */
    uint8_t lo, hi; /* allowed range of the next continuation byte */
} utf8st;

enum {
    U8_MORE = 0,      /* byte accepted, sequence incomplete */
    U8_CHAR = 1,      /* a code point is complete in st->cp */
    U8_BADLEAD = -1,  /* 0x80..0xBF stray, 0xF5..0xFF */
    U8_OVERLONG = -2, /* C0/C1 lead, E0 80..9F, F0 80..8F */
    U8_SURR = -3,     /* ED A0..BF */
    U8_BIG = -4,      /* F4 90..BF */
    U8_BADCONT = -5   /* expected a continuation byte */
};

static const char *u8_msg(int r)
{
    switch (r) {
    case U8_BADLEAD: return "invalid UTF-8 byte";
    case U8_OVERLONG: return "overlong UTF-8 encoding";
    case U8_SURR: return "UTF-8-encoded surrogate";
    case U8_BIG: return "UTF-8 sequence beyond U+10FFFF";
    default: return "invalid UTF-8 sequence";
    }
}

static inline int u8_feed(utf8st *st, uint8_t b)
{
    if (st->need == 0) {
        if (b < 0x80) {
            st->cp = b;
            return U8_CHAR;
        }
        st->lo = 0x80;
        st->hi = 0xBF;
        if (b < 0xC0)
            return U8_BADLEAD;
        if (b < 0xC2)
            return U8_OVERLONG;
        if (b < 0xE0) {
            st->need = 1;
            st->cp = b & 0x1Fu;
        } else if (b < 0xF0) {
            st->need = 2;
            st->cp = b & 0x0Fu;
            if (b == 0xE0)
                st->lo = 0xA0;
            else if (b == 0xED)
                st->hi = 0x9F;
        } else if (b < 0xF5) {
            st->need = 3;
            st->cp = b & 0x07u;
            if (b == 0xF0)
                st->lo = 0x90;
            else if (b == 0xF4)
                st->hi = 0x8F;
        } else {
            return U8_BADLEAD;
        }
        return U8_MORE;
    }
    if (b < st->lo || b > st->hi) {
        int r = U8_BADCONT;
        if (b >= 0x80 && b <= 0xBF) /* a continuation, but out of range */
            r = st->lo == 0xA0 || st->lo == 0x90 ? U8_OVERLONG
                : st->hi == 0x9F                 ? U8_SURR
                                                 : U8_BIG;
        st->need = 0;
        return r;
    }
    st->cp = (st->cp << 6) | (b & 0x3Fu);
    st->lo = 0x80;
    st->hi = 0xBF;
    return --st->need ? U8_MORE : U8_CHAR;
}

/* NULL if code point cp may appear in a node name, else why not. */
static inline const char *bad_name_char(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return cp == '/' ? "'/' cannot be part of a node name"
               : cp == '?' ? "'?' cannot be part of a node name"
               : cp == '%' ? "'%' cannot be part of a node name"
                           : NULL;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
        return "control character";
    if (cp == 0xFFFE || cp == 0xFFFF) /* no XML text can carry them */
        return "noncharacter";
    return NULL;
}

/* Bytes copied as they are: printable ASCII except '/', '?', '%'. */
static const uint8_t plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),
    /* 0x20 */ 1, 1, 1, 1, 1, 0 /* % */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* / */,
    /* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* ? */,
    R16(1), R16(1), R16(1),
    /* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* DEL */,
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* ---- parse ----------------------------------------------------------- */

static void uri_reset(pdm__uri *u)
{
    u->ibuf_[0] = '.';
    u->ibuf_[1] = '\0';
    u->path = u->ibuf_;
    u->names = u->ibuf_;
    u->len = 1;
    u->segs = u->isegs_;
    u->nseg = 0;
    u->chars = 0;
    u->query = PDM_URI_Q_NONE;
    u->prop = PDM_URI_PROP_ACL;
    u->list = PDM_URI_LIST_STRUCT;
    u->list_sel = 0;
    u->list_props = 0;
    u->heap_ = NULL;
}

void pdm__uri_free(pdm__uri *u)
{
    if (!u)
        return;
    pdm__free(u->heap_);
    uri_reset(u);
}

static int parse_query(pdm__uri *u, const char *q, size_t qn, size_t qoff,
                       char *err, size_t errlen)
{
    char tmp[160];
    if (qn == 0) {
        pdm__errf(err, errlen, "empty query after '?' at offset %zu",
                  qoff - 1);
        return PDM_EINVAL;
    }
    if (qn >= 5 && memcmp(q, "prop=", 5) == 0) {
        int p = pdm__uri_prop_from_name(q + 5, qn - 5);
        if (qn == 5) {
            pdm__errf(err, errlen, "empty property name after '?prop=' "
                      "(offset %zu)", qoff + 5);
            return PDM_EINVAL;
        }
        if (p < 0 || p == PDM_URI_PROP_VALUE) {
            pdm__errf(err, errlen, "property '%s' is not supported "
                      "(?prop= at offset %zu)",
                      pdm__show(tmp, sizeof tmp, q + 5, qn - 5), qoff - 1);
            return PDM_ENOTSUP;
        }
        u->query = PDM_URI_Q_PROP;
        u->prop = (pdm__uri_prop)p;
        return PDM_OK;
    }
    if (qn >= 5 && memcmp(q, "list=", 5) == 0) {
        size_t i = 5, start = 5;
        while (i < qn && q[i] != '+' && q[i] != '-')
            i++;
        if (i == start) {
            pdm__errf(err, errlen, "empty list type after '?list=' "
                      "(offset %zu)", qoff + 5);
            return PDM_EINVAL;
        }
        int l = pdm__uri_list_from_name(q + start, i - start);
        if (l < 0) {
            pdm__errf(err, errlen, "list type '%s' is not supported "
                      "(Struct, StructData or TNDS)",
                      pdm__show(tmp, sizeof tmp, q + start, i - start));
            return PDM_ENOTSUP;
        }
        u->query = PDM_URI_Q_LIST;
        u->list = (pdm__uri_list)l;
        while (i < qn) {
            char sign = q[i];
            size_t at = i;
            if (u->list_sel && sign != u->list_sel) {
                pdm__errf(err, errlen, "'?list=' mixes '+' and '-' selectors "
                          "(offset %zu)", qoff + at);
                return PDM_EINVAL;
            }
            u->list_sel = sign;
            start = ++i;
            while (i < qn && q[i] != '+' && q[i] != '-')
                i++;
            if (i == start) {
                pdm__errf(err, errlen, "empty list selector after '%c' at "
                          "offset %zu", sign, qoff + at);
                return PDM_EINVAL;
            }
            int p = pdm__uri_prop_from_name(q + start, i - start);
            if (p < 0) {
                pdm__errf(err, errlen, "list selector '%s' at offset %zu is "
                          "not a supported property",
                          pdm__show(tmp, sizeof tmp, q + start, i - start),
                          qoff + start);
                return PDM_ENOTSUP;
            }
            u->list_props |= PDM_URI_PROP_BIT(p);
        }
        return PDM_OK;
    }
    {
        const char *eq = memchr(q, '=', qn);
        size_t kn = eq ? (size_t)(eq - q) : qn;
        pdm__errf(err, errlen, "query '%s' at offset %zu is not supported "
                  "(only ?prop= and ?list=)",
                  pdm__show(tmp, sizeof tmp, q, kn), qoff);
        return PDM_ENOTSUP;
    }
}

/* The usual URI ("./A/B" or "A/B" of plain ASCII names, no query, no
 * escape) in one pass into the inline storage, with the same result as
 * the general parser below.  Returns false, with u in an unspecified
 * state, for anything else, including every error: the general parser
 * then decides and words the message. */
static bool parse_plain(pdm__uri *u, const char *s, size_t n,
                        const pdm__uri_limits *lim)
{
    size_t off = n >= 2 && s[0] == '.' && s[1] == '/' ? 2 : 0;
    size_t pn = n - off, seg = 0, i = 0;
    char *P = u->ibuf_, *N;
    if (n <= off || 2 * (pn + 1) > sizeof u->ibuf_ ||
        (lim && lim->max_tot_len && n > lim->max_tot_len))
        return false; /* ASCII: characters = bytes */
    N = P + pn + 1;
    s += off;
    /* Plain bytes are copied as they are: the path is s itself, the names
     * are s with a NUL for each '/'.  The scan only finds the segments
     * and checks them. */
    for (;;) {
        size_t start = i, slen;
        while (i < pn && plain[(unsigned char)s[i]])
            i++;
        if (i < pn && s[i] != '/')
            return false; /* escape, query, non-ASCII, ...: the general
                             parser */
        /* end of a segment: not empty, not "." or "..", within limits */
        slen = i - start;
        if (slen == 0 || seg == PDM__URI_INLINE_SEGS ||
            (s[start] == '.' &&
             (slen == 1 || (slen == 2 && s[start + 1] == '.'))) ||
            (lim && lim->max_seg_len && slen > lim->max_seg_len))
            return false;
        u->isegs_[seg].off = (uint32_t)start;
        u->isegs_[seg].len = (uint32_t)slen;
        seg++;
        if (i == pn)
            break;
        if (lim && lim->max_depth && seg >= lim->max_depth)
            return false;
        i++;
    }
    pdm__memcpy_small(P, s, pn);
    pdm__memcpy_small(N, s, pn);
    P[pn] = N[pn] = '\0';
    for (size_t k = 0; k + 1 < seg; k++)
        N[u->isegs_[k].off + u->isegs_[k].len] = '\0';
    u->path = P;
    u->names = N;
    u->len = pn;
    u->segs = u->isegs_;
    u->nseg = seg;
    u->chars = n;
    return true;
}

int pdm__uri_parse(pdm__uri *u, const char *s, size_t n,
                   const pdm__uri_limits *lim, char *err, size_t errlen)
{
    const char *qm;
    size_t pn, chars;
    int rc = PDM_EINVAL;

    uri_reset(u);
    if (err && errlen)
        err[0] = '\0';
    if (!s) {
        s = "";
        n = 0;
    }
    if (parse_plain(u, s, n, lim))
        return PDM_OK;
    uri_reset(u);
    qm = n ? memchr(s, '?', n) : NULL;
    pn = qm ? (size_t)(qm - s) : n;
    chars = count_chars(s, n);
    if (lim && lim->max_tot_len && chars > lim->max_tot_len) {
        pdm__errf(err, errlen, "URI is %zu characters long, MaxTotLen is %u",
                  chars, (unsigned)lim->max_tot_len);
        return PDM_ETOOLONG;
    }

    if (pn == 0) {
        pdm__errf(err, errlen, qm ? "URI has no path before '?'"
                               : "empty URI");
        return PDM_EINVAL;
    }
    if (!(pn == 1 && s[0] == '.')) {
        size_t off = 0, nslash = 0, need_bytes, need_segs;
        if (pn >= 2 && s[0] == '.' && s[1] == '/') {
            off = 2;
            if (pn == 2) {
                pdm__errf(err, errlen,
                          "'./' is not a valid URI (the root is '.')");
                return PDM_EINVAL;
            }
        }
        for (const char *p = s + off, *e = s + pn;
             (p = memchr(p, '/', (size_t)(e - p))) != NULL; p++)
            nslash++;
        need_segs = nslash + 1;
        need_bytes = 2 * (pn - off + 1);
        char *P;
        pdm__uri_seg *segs;
        if (need_bytes <= sizeof u->ibuf_ &&
            need_segs <= PDM__URI_INLINE_SEGS) {
            P = u->ibuf_;
            segs = u->isegs_;
        } else {
            /* one block: segment table first (aligned), then the bytes */
            size_t sb = need_segs * sizeof(pdm__uri_seg);
            u->heap_ = pdm__malloc(sb + need_bytes);
            if (!u->heap_) {
                pdm__errf(err, errlen, "out of memory");
                return PDM_ENOMEM;
            }
            segs = u->heap_;
            P = (char *)u->heap_ + sb;
        }
        char *N = P + (pn - off + 1);

        size_t o = 0, seg = 0, seg_o = 0, seg_raw = off, seg_chars = 0;
        size_t seq_at = 0; /* raw offset where the current UTF-8 char began */
        utf8st st = {0, 0, 0x80, 0xBF};
        size_t i = off;
        for (;;) {
            if (i == pn || s[i] == '/') {
                size_t slen = o - seg_o;
                if (st.need) {
                    pdm__errf(err, errlen, "incomplete UTF-8 sequence at "
                              "offset %zu", seq_at);
                    goto fail;
                }
                if (slen == 0) {
                    if (seg_raw == 0)
                        pdm__errf(err, errlen, "URI must not start with '/'");
                    else if (i == pn)
                        pdm__errf(err, errlen, "URI must not end with '/'");
                    else
                        pdm__errf(err, errlen, "segment %zu is empty "
                                  "(offset %zu)", seg + 1, seg_raw);
                    goto fail;
                }
                if (P[seg_o] == '.' &&
                    (slen == 1 || (slen == 2 && P[seg_o + 1] == '.'))) {
                    pdm__errf(err, errlen, "segment %zu is '%s' (offset %zu): "
                              "'.' and '..' segments are not allowed",
                              seg + 1, slen == 1 ? "." : "..", seg_raw);
                    goto fail;
                }
                if (lim && lim->max_seg_len && seg_chars > lim->max_seg_len) {
                    pdm__errf(err, errlen, "segment %zu is %zu characters "
                              "long, MaxSegLen is %u", seg + 1, seg_chars,
                              (unsigned)lim->max_seg_len);
                    rc = PDM_ETOOLONG;
                    goto fail;
                }
                segs[seg].off = (uint32_t)seg_o;
                segs[seg].len = (uint32_t)slen;
                seg++;
                if (i == pn)
                    break;
                if (lim && lim->max_depth && seg >= lim->max_depth) {
                    pdm__errf(err, errlen, "URI is deeper than MaxDepth %u "
                              "(segment %zu starts at offset %zu)",
                              (unsigned)lim->max_depth, seg + 1, i + 1);
                    rc = PDM_ETOOLONG;
                    goto fail;
                }
                P[o] = '/';
                N[o] = '\0';
                o++;
                i++;
                seg_o = o;
                seg_raw = i;
                seg_chars = 0;
                continue;
            }

            /* fast path: a run of plain printable ASCII name characters */
            if (st.need == 0 && plain[(unsigned char)s[i]]) {
                /* copied while scanned: segments are short, two memcpy
                 * calls would cost more */
                size_t j = i;
                do {
                    P[o + (j - i)] = N[o + (j - i)] = s[j];
                    j++;
                } while (j < pn && plain[(unsigned char)s[j]]);
                o += j - i;
                seg_chars += j - i;
                i = j;
                continue;
            }

            unsigned char b = (unsigned char)s[i];
            size_t at = i;
            bool esc = false;
            if (b == '%') {
                int h, l;
                if (pn - i < 3 || (h = hexval((unsigned char)s[i + 1])) < 0 ||
                    (l = hexval((unsigned char)s[i + 2])) < 0) {
                    pdm__errf(err, errlen, "invalid %%-escape at offset %zu",
                              at);
                    goto fail;
                }
                b = (unsigned char)(h << 4 | l);
                esc = true;
                i += 3;
            } else {
                i++;
            }
            if (st.need == 0)
                seq_at = at;
            int r = u8_feed(&st, b);
            if (r < 0) {
                pdm__errf(err, errlen, "%s at offset %zu (segment %zu)",
                          u8_msg(r), r == U8_BADCONT || r == U8_BADLEAD ? at
                                                                    : seq_at,
                          seg + 1);
                goto fail;
            }
            if (r == U8_CHAR) {
                const char *why = bad_name_char(st.cp);
                if (why) {
                    if (st.cp < 0x80)
                        pdm__errf(err, errlen, "%s%s (0x%02X) at offset %zu "
                                  "(segment %zu)", esc ? "escaped " : "", why,
                                  (unsigned)st.cp, seq_at, seg + 1);
                    else
                        pdm__errf(err, errlen, "%s U+%04X at offset %zu "
                                  "(segment %zu)", why, (unsigned)st.cp,
                                  seq_at, seg + 1);
                    goto fail;
                }
                seg_chars++;
            }
            P[o] = (char)b;
            N[o] = (char)b;
            o++;
        }
        P[o] = '\0';
        N[o] = '\0';
        u->path = P;
        u->names = N;
        u->len = o;
        u->segs = segs;
        u->nseg = seg;
    }
    u->chars = chars;
    if (qm) {
        rc = parse_query(u, qm + 1, n - pn - 1, pn + 1, err, errlen);
        if (rc != PDM_OK)
            goto fail;
    }
    return PDM_OK;

fail:
    pdm__uri_free(u);
    return rc;
}

/* ---- output ---------------------------------------------------------- */

static bool pchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    return c && strchr(":@&=+$,-_!~*'()./", c) != NULL;
}

void pdm__uri_escape(pdm__buf *out, const char *path, size_t n,
                     unsigned flags)
{
    static const char hx[] = "0123456789ABCDEF";
    if ((flags & PDM_URI_FMT_DOT) && !pdm__uri_is_root(path, n))
        pdm__buf_append(out, "./", 2);
    if (!(flags & PDM_URI_FMT_ASCII)) {
        pdm__buf_append(out, path, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (pchar(c)) {
            pdm__buf_putc(out, c);
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            pdm__buf_append(out, e, 3);
        }
    }
}

void pdm__uri_format(pdm__buf *out, const pdm__uri *u, unsigned flags)
{
    pdm__uri_escape(out, u->path, u->len, flags);
    if (!(flags & PDM_URI_FMT_QUERY))
        return;
    if (u->query == PDM_URI_Q_PROP) {
        pdm__buf_puts(out, "?prop=");
        pdm__buf_puts(out, pdm__uri_prop_name(u->prop));
    } else if (u->query == PDM_URI_Q_LIST) {
        pdm__buf_puts(out, "?list=");
        pdm__buf_puts(out, pdm__uri_list_name(u->list));
        for (unsigned p = 0; p < PDM_URI_PROP__COUNT; p++) {
            if (u->list_props & PDM_URI_PROP_BIT(p)) {
                pdm__buf_putc(out, u->list_sel);
                pdm__buf_puts(out, prop_names[p]);
            }
        }
    }
}

int pdm__uri_canon(pdm__buf *out, const char *s, size_t n,
                   const pdm__uri_limits *lim, char *err, size_t errlen)
{
    pdm__uri u;
    int rc = pdm__uri_parse(&u, s, n, lim, err, errlen);
    if (rc != PDM_OK)
        return rc;
    if (u.query != PDM_URI_Q_NONE) {
        pdm__errf(err, errlen, "a ?prop= or ?list= query is not allowed here");
        pdm__uri_free(&u);
        return PDM_EINVAL;
    }
    pdm__buf_append(out, u.path, u.len);
    pdm__uri_free(&u);
    if (!pdm__buf_ok(out)) {
        pdm__errf(err, errlen, "out of memory");
        return PDM_ENOMEM;
    }
    return PDM_OK;
}

/* ---- path helpers ---------------------------------------------------- */

static const char *last_slash(const char *p, size_t n)
{
    while (n--)
        if (p[n] == '/')
            return p + n;
    return NULL;
}

const char *pdm__uri_parent(const char *path, size_t n, size_t *plen)
{
    const char *sl;
    if (pdm__uri_is_root(path, n) || n == 0) {
        *plen = 0;
        return NULL;
    }
    sl = last_slash(path, n);
    if (!sl) {
        *plen = 1;
        return ".";
    }
    *plen = (size_t)(sl - path);
    return path;
}

const char *pdm__uri_last(const char *path, size_t n, size_t *len)
{
    const char *sl = last_slash(path, n);
    if (!sl) {
        *len = n;
        return path;
    }
    *len = n - (size_t)(sl + 1 - path);
    return sl + 1;
}

bool pdm__uri_is_ancestor(const char *anc, size_t an, const char *desc,
                          size_t dn, bool or_self)
{
    if (an == dn && memcmp(anc, desc, an) == 0)
        return or_self;
    if (pdm__uri_is_root(anc, an))
        return true; /* desc differs from the root */
    return an < dn && desc[an] == '/' && memcmp(anc, desc, an) == 0;
}

size_t pdm__uri_depth(const char *path, size_t n)
{
    size_t d = 1;
    if (pdm__uri_is_root(path, n) || n == 0)
        return 0;
    for (const char *p = path, *e = path + n;
         (p = memchr(p, '/', (size_t)(e - p))) != NULL; p++)
        d++;
    return d;
}

int pdm__uri_check_name(const char *name, size_t n,
                        const pdm__uri_limits *lim, char *err,
                        size_t errlen)
{
    utf8st st = {0, 0, 0x80, 0xBF};
    size_t chars = 0, seq_at = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!name || n == 0) {
        pdm__errf(err, errlen, "empty node name");
        return PDM_EINVAL;
    }
    if (name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.'))) {
        pdm__errf(err, errlen, "'%s' is not a valid node name",
                  n == 1 ? "." : "..");
        return PDM_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (st.need == 0)
            seq_at = i;
        int r = u8_feed(&st, (uint8_t)name[i]);
        if (r < 0) {
            pdm__errf(err, errlen, "%s at offset %zu of the node name",
                      u8_msg(r), r == U8_BADCONT || r == U8_BADLEAD ? i
                                                                : seq_at);
            return PDM_EINVAL;
        }
        if (r == U8_CHAR) {
            const char *why = bad_name_char(st.cp);
            if (why) {
                pdm__errf(err, errlen, "%s (U+%04X) at offset %zu of the node "
                          "name", why, (unsigned)st.cp, seq_at);
                return PDM_EINVAL;
            }
            chars++;
        }
    }
    if (st.need) {
        pdm__errf(err, errlen, "incomplete UTF-8 sequence at offset %zu of "
                  "the node name", seq_at);
        return PDM_EINVAL;
    }
    if (lim && lim->max_seg_len && chars > lim->max_seg_len) {
        pdm__errf(err, errlen, "node name is %zu characters long, MaxSegLen "
                  "is %u", chars, (unsigned)lim->max_seg_len);
        return PDM_ETOOLONG;
    }
    return PDM_OK;
}

int pdm__uri_join(pdm__buf *out, const char *parent, size_t plen,
                  const char *name, size_t nlen, char *err, size_t errlen)
{
    int rc = pdm__uri_check_name(name, nlen, NULL, err, errlen);
    if (rc != PDM_OK)
        return rc;
    if (!pdm__uri_is_root(parent, plen)) {
        pdm__buf_append(out, parent, plen);
        pdm__buf_putc(out, '/');
    }
    pdm__buf_append(out, name, nlen);
    if (!pdm__buf_ok(out)) {
        pdm__errf(err, errlen, "out of memory");
        return PDM_ENOMEM;
    }
    return PDM_OK;
}

int pdm__uri_check_limits(const char *path, size_t n,
                          const pdm__uri_limits *lim, char *err,
                          size_t errlen)
{
    size_t depth = 0, start = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!lim)
        return PDM_OK;
    if (lim->max_tot_len) {
        size_t c = count_chars(path, n);
        if (c > lim->max_tot_len) {
            pdm__errf(err, errlen, "path is %zu characters long, MaxTotLen "
                      "is %u", c, (unsigned)lim->max_tot_len);
            return PDM_ETOOLONG;
        }
    }
    if (pdm__uri_is_root(path, n))
        return PDM_OK;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/')
            continue;
        depth++;
        if (lim->max_depth && depth > lim->max_depth) {
            pdm__errf(err, errlen, "path is deeper than MaxDepth %u",
                      (unsigned)lim->max_depth);
            return PDM_ETOOLONG;
        }
        if (lim->max_seg_len) {
            size_t c = count_chars(path + start, i - start);
            if (c > lim->max_seg_len) {
                pdm__errf(err, errlen, "segment %zu is %zu characters long, "
                          "MaxSegLen is %u", depth, c,
                          (unsigned)lim->max_seg_len);
                return PDM_ETOOLONG;
            }
        }
        start = i + 1;
    }
    return PDM_OK;
}
