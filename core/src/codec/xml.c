/*
 * XML codec: SyncML DM 1.2 messages, TNDS (MgmtTree) and OMA CP
 * (wap-provisioningdoc) documents <-> pdm__doc, on libxml2.
 *
 * Decoding uses libxml2's SAX2 interface (no DOM, no xmlReader) and builds
 * the element tree directly in the document arena.
 *
 *  Security.  Options are XML_PARSE_NONET only: no XML_PARSE_NOENT, no
 *  DTDLOAD/DTDATTR/DTDVALID, no XInclude, no recovery, no HUGE.  The SAX
 *  handler has no externalSubset callback (an external DTD named by a
 *  DOCTYPE is never loaded), getEntity/getParameterEntity always return
 *  NULL (no entity, internal or external, is ever expanded) and any markup
 *  declaration in an internal DTD subset (ENTITY, ATTLIST, ELEMENT,
 *  NOTATION) fails the decode: DM servers never send one, and "billion
 *  laughs" or XXE documents are refused at their first declaration.  A
 *  reference to an undeclared entity is an error also when libxml2 only
 *  warns (documents with an external DTD).  Limits: max_bytes before
 *  parsing, nesting depth (default 64) and element count (default 1e6) in
 *  the callbacks, plus libxml2's own limits (names, attribute values,
 *  depth 256) since XML_PARSE_HUGE is not set.
 *
 *  Leniency.  Some servers (the Android/Motorola DM engine test files) send
 *  a bare '&' in text, e.g. <Data>MAXDT=20&DR=2</Data>.  The first parse is
 *  strict.  Only if it fails with libxml2's "EntityRef: expecting ';'" or
 *  "xmlParseEntityRef: no name" error, a copy of the input is made in which
 *  every '&' that does not start a syntactically valid reference (&name;
 *  &#123; &#x1F;) is replaced by "&amp;" (outside comments, CDATA sections
 *  and processing instructions), and that copy is parsed once more,
 *  strictly.  The retry can only turn a malformed '&' into a literal '&': it
 *  never enables recovery mode or entity expansion, so it cannot hide
 *  anything else (an undefined "&foo;" still fails, as does any other
 *  error).  XML_PARSE_RECOVER is never used: it silently drops or rewrites
 *  content of hostile input.
 *
 *  Vocabulary.  An element's namespace is taken from an xmlns it declares
 *  itself (or from a prefix) when the URI is one of ours, compared
 *  case-insensitively: SYNCML:SYNCML1.2 (also 1.1/1.0), syncml:metinf,
 *  syncml:dmddf1.2.  Otherwise the vocabulary is inherited from the parent
 *  element, except that children of a SyncML <Meta> (also the Meta of
 *  <Chal>) default to MetInf and everything below a DDF element (MgmtTree)
 *  stays DDF.  A name missing from the preferred vocabulary is looked up in
 *  SyncML, MetInf, DDF and PROV before it becomes PDM_TAG_UNKNOWN (with
 *  el->name).  Namespace declarations are not kept as attributes;
 *  attributes of foreign namespaces (any prefix but "xml") are dropped.
 *
 *  Text.  Character data, references and CDATA of an element are
 *  concatenated (PDM_EL_CDATA if any CDATA); leaf text is kept byte for
 *  byte; whitespace-only text in an element that has child elements is
 *  indentation and dropped.  An element with no content has text NULL and
 *  PDM_EL_EMPTY_TAG.  Embedded XML (a TNDS MgmtTree inside <Data>) stays as
 *  child elements.
 *
 * Encoding writes tags and namespace declarations itself (names come from
 * the tag tables or are validated as NCNames) and leaves all escaping to
 * libxml2: xmlEncodeSpecialChars for text, xmlAttrSerializeTxtContent for
 * attribute values, called only for values that contain a character they
 * rewrite (& < > " CR, and TAB LF in attributes).  xmlTextWriter produced
 * the same bytes but cost ~2,200 instructions per element (several mallocs
 * per call), i.e. encoding a 1,000-Get package took 2.2x the decode floor
 * on its own; this writer takes ~0.3x (see tests/bench/bench_xml.c).  Text
 * and attribute values must be valid UTF-8 made of XML 1.0 characters;
 * anything else (NUL, control characters, bad UTF-8) is PDM_EFORMAT so that
 * the caller can send the value base64-encoded instead (err->offset is
 * then the byte offset inside the value).  A MetInf or DDF
 * element gets xmlns where the vocabulary changes (<Format
 * xmlns="syncml:metinf">, <MgmtTree xmlns="syncml:dmddf1.2">), the SyncML
 * root xmlns="SYNCML:SYNCML1.2"; CP documents have no namespace.
 */
#include "codec/codec.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/dict.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlversion.h>
#include <libxml/tree.h>
#include <libxml/entities.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define XML_DEFAULT_DEPTH 64u
#define XML_DEFAULT_ELEMENTS 1000000u
/* libxml2 refuses deeper documents itself unless XML_PARSE_HUGE. */
#define XML_HARD_DEPTH 256u

#if LIBXML_VERSION >= 21200
typedef const xmlError *pdm__xml_errp;
#else
typedef xmlErrorPtr pdm__xml_errp;
#endif

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static uint8_t tag_name_len[PDM_TAG_COUNT]; /* strlen of pdm__tags[].name */
/* The encoder's markup per tag, "<Name" and "</Name>", and per namespace
 * ' xmlns="uri"', each NUL-padded to a SLOT: it copies whole slots (a
 * fixed-size copy the compiler turns into two vector moves) into room it
 * has reserved, and advances by the real length.  A name too long for a
 * slot has len 0 there and takes the general path.  One record per tag,
 * with the tag's vocabulary: the encoder finds all it needs of a tag from
 * one address. */
#define SLOT 32
typedef struct tag_markup {
    /* aligned so that records are 128 bytes apart: the address of a
     * tag's record is one shift */
    _Alignas(64) char open[SLOT];
    char close[SLOT];
    uint8_t open_len, close_len;
    uint8_t ns; /* pdm__tags[].ns */
} tag_markup;
static tag_markup markup[PDM_TAG_COUNT];
static char ns_decl[PDM_NS_PROV + 1][SLOT];
static uint8_t ns_decl_len[PDM_NS_PROV + 1];
/* Bytes that text may hold as they are: the encoder copies runs of them
 * and leaves everything else (markup characters, CR, controls, non-ASCII)
 * to scan_chars/xmlEncodeSpecialChars. */
static bool text_plain[256];
/* Whether this libxml2 hands '&' in attribute values to SAX2 as "&#38;"
 * when entities are not substituted (2.9 does; probed once, see
 * attr_value()). */
static bool attr_amp_as_ref = true;

static void probe_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                        const xmlChar *uri, int nb_ns, const xmlChar **nss,
                        int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
    if (nb_attrs == 1)
        *(bool *)ctx = attrs[4] - attrs[3] == 5 &&
                       memcmp(attrs[3], "&#38;", 5) == 0;
}

static const char *ns_uri(pdm__ns ns);

static void xml_init(void)
{
    static const char probe[] = "<a b=\"&amp;\"/>";
    xmlParserCtxtPtr ctxt;
    xmlInitParser();
    for (size_t t = 0; t < PDM_TAG_COUNT; t++) {
        size_t n = strlen(pdm__tags[t].name);
        tag_name_len[t] = (uint8_t)n;
        markup[t].ns = pdm__tags[t].ns;
        if (n && n + 3 < SLOT) {
            snprintf(markup[t].open, SLOT, "<%s", pdm__tags[t].name);
            snprintf(markup[t].close, SLOT, "</%s>", pdm__tags[t].name);
            markup[t].open_len = (uint8_t)(n + 1);
            markup[t].close_len = (uint8_t)(n + 3);
        }
    }
    for (int ns = PDM_NS_NONE; ns <= PDM_NS_PROV; ns++) {
        const char *u = ns_uri((pdm__ns)ns);
        if (u)
            ns_decl_len[ns] = (uint8_t)snprintf(ns_decl[ns], SLOT,
                                                " xmlns=\"%s\"", u);
    }
    for (int c = 0x20; c < 0x80; c++)
        text_plain[c] = c != '&' && c != '<' && c != '>' && c != '"';
    text_plain['\t'] = text_plain['\n'] = true;
    ctxt = xmlCreateMemoryParserCtxt(probe, (int)sizeof(probe) - 1);
    if (ctxt) {
        xmlSAXHandler h;
        memset(&h, 0, sizeof(h));
        h.initialized = XML_SAX2_MAGIC;
        h.startElementNs = probe_start;
        memcpy(ctxt->sax, &h, sizeof(h));
        ctxt->userData = &attr_amp_as_ref;
        xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
        ctxt->replaceEntities = 0;
        xmlParseDocument(ctxt);
        xmlFreeParserCtxt(ctxt);
    }
}

/* ---- error reporting ---------------------------------------------------- */

/* Copies a libxml2 message: first line only, printable ASCII only. */
static void copy_msg(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    if (!src)
        src = "";
    for (; *src && *src != '\n' && n + 1 < cap; src++) {
        unsigned char c = (unsigned char)*src;
        dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[n] = '\0';
}

static void set_err(pdm__codec_err *err, int rc, size_t line, const char *fmt,
                    ...) PDM_PRINTF(4, 5);
static void set_err(pdm__codec_err *err, int rc, size_t line, const char *fmt,
                    ...)
{
    va_list ap;
    if (!err)
        return;
    err->rc = rc;
    err->offset = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* ---- decoder ------------------------------------------------------------ */

/* Tag cache: libxml2 interns element names in the parser dictionary, so
 * (name pointer, preferred vocabulary) -> tag can skip the hash lookup.
 * Valid for one parse only (the dictionary dies with the context). */
#define TCACHE_SIZE 128
typedef struct tcache_ent {
    const xmlChar *name;
    uint16_t tag;
    uint8_t pref;
    uint8_t inner; /* the vocabulary the element's children default to */
} tcache_ent;

/* Where the pending character data of the current element is. */
enum { PEND_NONE, PEND_ARENA, PEND_WS, PEND_SCRATCH };

/* Whitespace kept in xdec.ws (see on_chars). */
#define WS_INLINE 64

#define EL_BLOCK 64      /* elements carved from one arena allocation */
#define TEXT_BLOCK 4096  /* small texts carved from one arena allocation */
#define TEXT_SMALL 256

typedef struct xdec {
    pdm__doc *doc;
    xmlParserCtxtPtr ctxt;
    pdm__el *cur;          /* innermost open element */
    unsigned depth;        /* of cur (root = 1) */
    unsigned max_depth;
    size_t count, max_elements;
    pdm__el *el_pool;      /* unused elements of the current block */
    size_t el_left;
    uint8_t *t_pool;       /* unused bytes of the current text block */
    size_t t_left;
    /* Pending text of cur: a single piece goes straight to the arena
     * (pend/pend_len); several pieces, CDATA or whitespace-only text
     * collect in `text`. */
    int pend_mode;
    uint8_t *pend;
    size_t pend_len;
    /* PEND_WS: one whitespace-only piece in an element that already has
     * a child element (the indentation between elements), which is
     * dropped unless more text joins it. */
    uint8_t ws[WS_INLINE];
    size_t ws_len;
    pdm__buf text;
    bool text_cdata;       /* pending text includes a CDATA section */
    bool stopped;          /* an error was recorded, or the header is
                              complete (header_only); ignore callbacks */
    bool halted;           /* xmlStopParser() was called */
    bool header_only;      /* stop after the root's SyncHdr (rc stays 0) */
    int rc;                /* first error (0 = none) */
    int xml_code;          /* libxml2 code of that error (0 = ours) */
    size_t line;
    char msg[120];
    const xmlChar *uri_cache; /* last namespace URI seen and its ns */
    uint8_t uri_ns;
    /* vocabulary that children of the element at depth d default to */
    uint8_t ctx_ns[XML_HARD_DEPTH + 2];
    tcache_ent tcache[TCACHE_SIZE];
} xdec;

static size_t cur_line(const xdec *st)
{
    int l = st->ctxt ? xmlSAX2GetLineNumber(st->ctxt) : 0;
    return l > 0 ? (size_t)l : 0;
}

/* Records our own error (first one wins) and stops the parser when that is
 * safe (from element/character callbacks, not from DTD callbacks). */
static void dec_fail(xdec *st, int rc, bool halt_now, const char *fmt, ...)
    PDM_PRINTF(4, 5);
static void dec_fail(xdec *st, int rc, bool halt_now, const char *fmt, ...)
{
    if (!st->stopped) {
        va_list ap;
        st->stopped = true;
        st->rc = rc;
        st->xml_code = 0;
        st->line = cur_line(st);
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
        va_end(ap);
    }
    if (halt_now && !st->halted && st->ctxt) {
        st->halted = true;
        xmlStopParser(st->ctxt);
    }
}

/* Called at the top of every content callback: once an error is recorded
 * nothing more is built, and the parser is stopped at the first safe
 * point. */
static bool dec_dead(xdec *st)
{
    if (!st->stopped)
        return false;
    if (!st->halted && st->ctxt) {
        st->halted = true;
        xmlStopParser(st->ctxt);
    }
    return true;
}

static void on_serror(void *ctx, pdm__xml_errp e)
{
    xdec *st = ctx;
    if (!st || !e || st->stopped)
        return;
    if (e->level == XML_ERR_FATAL ||
        (e->code == XML_WAR_UNDECLARED_ENTITY && e->domain == XML_FROM_PARSER)) {
        st->stopped = true;
        st->rc = PDM_EPARSE;
        st->xml_code = e->code;
        st->line = e->line > 0 ? (size_t)e->line : cur_line(st);
        copy_msg(st->msg, sizeof(st->msg), e->message);
        if (e->code == XML_WAR_UNDECLARED_ENTITY)
            st->xml_code = XML_ERR_UNDECLARED_ENTITY;
    }
    /* Warnings and non-fatal (namespace) errors are tolerated. */
}

static pdm__ns ns_from_uri(xdec *st, const xmlChar *uri)
{
    /* URIs are interned in the parser dictionary: cache by pointer. */
    if (uri == st->uri_cache)
        return (pdm__ns)st->uri_ns;
    pdm__ns ns = PDM_NS_NONE;
    const char *u = (const char *)uri;
    if (pdm__strcaseeq(u, PDM_NS_URI_SYNCML) ||
        pdm__strcaseeq(u, "SYNCML:SYNCML1.1") ||
        pdm__strcaseeq(u, "SYNCML:SYNCML1.0"))
        ns = PDM_NS_SYNCML;
    else if (pdm__strcaseeq(u, PDM_NS_URI_METINF))
        ns = PDM_NS_METINF;
    else if (pdm__strcaseeq(u, PDM_NS_URI_DDF))
        ns = PDM_NS_DDF;
    if (xmlDictOwns(st->ctxt->dict, uri) == 1) {
        st->uri_cache = uri;
        st->uri_ns = (uint8_t)ns;
    }
    return ns;
}

/* Copy of p[0..n) plus a NUL in the arena; small ones share blocks.
 * Inline: on_chars calls it for nearly every leaf. */
static inline uint8_t *text_dup(xdec *st, const uint8_t *p, size_t n)
{
    uint8_t *d;
    if (n >= TEXT_SMALL)
        return (uint8_t *)pdm__arena_memdup(&st->doc->arena, p, n);
    if (st->t_left < n + 1) {
        st->t_pool = pdm__arena_alloc(&st->doc->arena, TEXT_BLOCK);
        if (!st->t_pool) {
            st->t_left = 0;
            return NULL;
        }
        st->t_left = TEXT_BLOCK;
    }
    d = st->t_pool;
    pdm__memcpy_small(d, p, n);
    d[n] = 0;
    st->t_pool += n + 1;
    st->t_left -= n + 1;
    return d;
}

static bool all_ws(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Moves a piece kept in the arena or in st->ws to the scratch buffer (a
 * second piece arrived). */
static void pend_to_scratch(xdec *st)
{
    if (st->pend_mode == PEND_ARENA)
        pdm__buf_append(&st->text, st->pend, st->pend_len);
    else if (st->pend_mode == PEND_WS)
        pdm__buf_append(&st->text, st->ws, st->ws_len);
    st->pend_mode = PEND_SCRATCH;
}

/* Moves the pending character data into el.  `parent` says whether el has
 * (or is about to get) a child element: then whitespace-only text is
 * indentation and dropped. */
static int flush_text(xdec *st, pdm__el *el, bool parent)
{
    pdm__buf *t = &st->text;
    int rc = PDM_OK;
    if (st->pend_mode == PEND_WS) {
        if (parent) {
            st->pend_mode = PEND_NONE; /* indentation: dropped */
            return PDM_OK;
        }
        pend_to_scratch(st); /* cannot happen (el has a child); as text */
    }
    switch (st->pend_mode) {
    case PEND_NONE:
        return PDM_OK;
    case PEND_ARENA: /* one piece, not whitespace-only: keep as is */
        if (!el->text) {
            el->text = st->pend;
            el->len = st->pend_len;
        } else {
            rc = pdm__el_append_text(st->doc, el, st->pend, st->pend_len);
        }
        break;
    default:
        if (!pdm__buf_ok(t)) {
            rc = PDM_ENOMEM;
            break;
        }
        if (parent && !st->text_cdata && all_ws(t->data, t->len))
            break;
        if (!el->text) {
            el->text = text_dup(st, t->len ? t->data : (const uint8_t *)"",
                                t->len);
            el->len = t->len;
            if (!el->text)
                rc = PDM_ENOMEM;
        } else {
            rc = pdm__el_append_text(st->doc, el, t->data, t->len);
        }
        if (st->text_cdata)
            el->flags |= PDM_EL_CDATA;
        break;
    }
    st->pend_mode = PEND_NONE;
    t->len = 0;
    st->text_cdata = false;
    return rc;
}


/* Attribute values arrive with '&' written as "&#38;" (libxml2 2.9 does
 * that when entities are not substituted, for its tree builder); every
 * other reference has already been replaced.  Undo the "&#38;" form only,
 * and only if the probe in xml_init() saw libxml2 do it. */
static char *attr_value(pdm__arena *a, const xmlChar *v, const xmlChar *end)
{
    size_t n = (size_t)(end - v);
    const xmlChar *amp = attr_amp_as_ref ? memchr(v, '&', n) : NULL;
    if (!amp)
        return pdm__arena_memdup(a, v, n);
    char *d = pdm__arena_alloc(a, n + 1), *o = d;
    if (!d)
        return NULL;
    while (v < end) {
        if (*v == '&' && end - v >= 5 && memcmp(v, "&#38;", 5) == 0) {
            *o++ = '&';
            v += 5;
        } else {
            *o++ = (char)*v++;
        }
    }
    *o = '\0';
    return d;
}

static int add_attrs(xdec *st, pdm__el *el, int n, const xmlChar **at)
{
    pdm__attr **tail = &el->attrs;
    for (int i = 0; i < n; i++, at += 5) {
        const xmlChar *local = at[0], *prefix = at[1];
        pdm__attr *a;
        if (prefix && strcmp((const char *)prefix, "xml") != 0)
            continue; /* foreign vocabulary */
        a = pdm__arena_alloc(&st->doc->arena, sizeof(*a));
        if (!a)
            return PDM_ENOMEM;
        a->next = NULL;
        if (prefix) {
            size_t ln = strlen((const char *)local);
            char *nm = pdm__arena_alloc(&st->doc->arena, ln + 5);
            if (!nm)
                return PDM_ENOMEM;
            memcpy(nm, "xml:", 4);
            memcpy(nm + 4, local, ln + 1);
            a->name = nm;
        } else {
            a->name = pdm__arena_strdup(&st->doc->arena, (const char *)local);
        }
        a->value = attr_value(&st->doc->arena, at[3], at[4]);
        if (!a->name || !a->value)
            return PDM_ENOMEM;
        *tail = a;
        tail = &a->next;
    }
    return PDM_OK;
}

static const uint8_t fallback_order[] = {PDM_NS_SYNCML, PDM_NS_METINF,
                                         PDM_NS_DDF, PDM_NS_PROV};

/* The tag of an element name not in the tag cache: looked up in the
 * preferred vocabulary, then in the others; the cache entry ce gets it.
 * *inner gets the vocabulary the element's children default to.  Out of
 * line: the cache answers nearly every element, and on_start needs fewer
 * registers without this. */
static __attribute__((noinline)) pdm__tag tag_miss(xdec *st, tcache_ent *ce,
                                                   const xmlChar *local,
                                                   pdm__ns pref,
                                                   unsigned *inner)
{
    size_t n = strlen((const char *)local);
    pdm__tag tag = PDM_TAG_NONE;
    if (pref != PDM_NS_NONE)
        tag = pdm__tag_lookup(pref, (const char *)local, n);
    for (size_t i = 0; !tag && i < PDM__ARRAY_LEN(fallback_order); i++)
        if (fallback_order[i] != pref)
            tag = pdm__tag_lookup((pdm__ns)fallback_order[i],
                                  (const char *)local, n);
    if (!tag)
        tag = PDM_TAG_UNKNOWN;
    *inner = tag == PDM_TAG_UNKNOWN ? pref
             : tag == PDM_TAG_META  ? PDM_NS_METINF
                                    : pdm__tags[tag].ns;
    /* only names owned by the dictionary are stable */
    if (xmlDictOwns(st->ctxt->dict, local) == 1) {
        ce->name = local;
        ce->pref = (uint8_t)pref;
        ce->tag = (uint16_t)tag;
        ce->inner = (uint8_t)*inner;
    }
    return tag;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nb_ns, const xmlChar **nss,
                     int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
    xdec *st = ctx;
    pdm__ns pref = PDM_NS_NONE;
    pdm__tag tag = PDM_TAG_NONE;
    unsigned inner; /* children's vocabulary: below a Meta MetInf, below an
                       unknown element the same as for it, else the tag's */
    pdm__el *el;

    if (dec_dead(st))
        return;
    if (st->depth >= st->max_depth) {
        dec_fail(st, PDM_ETOOBIG, true, "elements nested deeper than %u",
                 st->max_depth);
        return;
    }
    if (++st->count > st->max_elements) {
        dec_fail(st, PDM_ETOOBIG, true, "more than %zu elements",
                 st->max_elements);
        return;
    }
    if (st->pend_mode == PEND_WS) {
        st->pend_mode = PEND_NONE; /* indentation (flush_text, inline) */
    } else if (st->pend_mode && flush_text(st, st->cur, true) != PDM_OK) {
        dec_fail(st, PDM_ENOMEM, true, "out of memory");
        return;
    }

    /* Vocabulary: an xmlns on this element (or a prefix) naming one of
     * ours wins; otherwise the parent's context. */
    if (uri) {
        bool explicit_ns = prefix != NULL;
        for (int i = 0; !explicit_ns && i < nb_ns; i++)
            if (nss[2 * i] == NULL)
                explicit_ns = true;
        if (explicit_ns)
            pref = ns_from_uri(st, uri);
    }
    if (pref == PDM_NS_NONE)
        pref = (pdm__ns)st->ctx_ns[st->depth];

    {
        size_t h = (((uintptr_t)local >> 3) ^ ((uintptr_t)pref * 37u)) &
                   (TCACHE_SIZE - 1);
        tcache_ent *ce = &st->tcache[h];
        if (ce->name == local && ce->pref == pref) {
            tag = (pdm__tag)ce->tag;
            inner = ce->inner;
        } else {
            tag = tag_miss(st, ce, local, pref, &inner);
        }
    }

    if (!st->el_left) {
        st->el_pool = pdm__arena_alloc(&st->doc->arena,
                                       EL_BLOCK * sizeof(pdm__el));
        if (!st->el_pool) {
            dec_fail(st, PDM_ENOMEM, true, "out of memory");
            return;
        }
        st->el_left = EL_BLOCK;
    }
    el = st->el_pool++;
    st->el_left--;
    *el = (pdm__el){.parent = st->cur, .tag = (uint16_t)tag};
    if (!st->cur) {
        st->doc->root = el;
    } else {
        if (st->cur->last)
            st->cur->last->next = el;
        else
            st->cur->first = el;
        st->cur->last = el;
    }
    if (tag == PDM_TAG_UNKNOWN) {
        el->name = pdm__arena_strdup(&st->doc->arena, (const char *)local);
        if (!el->name) {
            dec_fail(st, PDM_ENOMEM, true, "out of memory");
            return;
        }
    }
    if (nb_attrs > 0 && add_attrs(st, el, nb_attrs, attrs) != PDM_OK) {
        dec_fail(st, PDM_ENOMEM, true, "out of memory");
        return;
    }
    st->cur = el;
    st->depth++;
    st->ctx_ns[st->depth] = (uint8_t)inner;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
                   const xmlChar *uri)
{
    xdec *st = ctx;
    pdm__el *el = st->cur;
    if (dec_dead(st) || !el)
        return;
    if (st->pend_mode == PEND_ARENA && !el->text) {
        /* a leaf's one piece of text (flush_text, inline) */
        el->text = st->pend;
        el->len = st->pend_len;
        st->pend_mode = PEND_NONE;
    } else if (st->pend_mode &&
               flush_text(st, el, el->first != NULL) != PDM_OK) {
        dec_fail(st, PDM_ENOMEM, true, "out of memory");
        return;
    }
    if (!el->first && !el->text)
        el->flags |= PDM_EL_EMPTY_TAG;
    st->cur = el->parent;
    st->depth--;
    if (st->header_only && st->depth == 1 && el->tag == PDM_TAG_SYNCHDR) {
        /* Everything a header reader needs is there: stop without an
         * error (rc stays 0; parse_once ignores libxml2's "stopped"). */
        st->stopped = st->halted = true;
        xmlStopParser(st->ctxt);
    }
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    xdec *st = ctx;
    if (dec_dead(st) || !st->cur || len <= 0)
        return;
    if (st->pend_mode == PEND_NONE && st->cur->first &&
        (size_t)len <= sizeof st->ws && all_ws(ch, (size_t)len)) {
        /* Usual case: indentation after a child element.  Kept aside,
         * not copied to the scratch buffer: flush_text drops it. */
        pdm__memcpy_small(st->ws, ch, (size_t)len);
        st->ws_len = (size_t)len;
        st->pend_mode = PEND_WS;
        return;
    }
    if (st->pend_mode == PEND_NONE && !st->cur->first &&
        !all_ws(ch, (size_t)len)) {
        /* Usual case: the one piece of a leaf's text.  Copy it once. */
        st->pend = text_dup(st, ch, (size_t)len);
        if (!st->pend) {
            dec_fail(st, PDM_ENOMEM, true, "out of memory");
            return;
        }
        st->pend_len = (size_t)len;
        st->pend_mode = PEND_ARENA;
        return;
    }
    pend_to_scratch(st);
    pdm__buf_append(&st->text, ch, (size_t)len);
    if (!pdm__buf_ok(&st->text))
        dec_fail(st, PDM_ENOMEM, true, "out of memory");
}

static void on_cdata(void *ctx, const xmlChar *ch, int len)
{
    xdec *st = ctx;
    if (dec_dead(st) || !st->cur)
        return;
    pend_to_scratch(st);
    st->text_cdata = true;
    if (len > 0)
        pdm__buf_append(&st->text, ch, (size_t)len);
    if (!pdm__buf_ok(&st->text))
        dec_fail(st, PDM_ENOMEM, true, "out of memory");
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    return NULL; /* never expand anything */
}

static void on_reference(void *ctx, const xmlChar *name)
{
    /* Only reached for undeclared entities when libxml2 merely warns. */
    dec_fail(ctx, PDM_EPARSE, false, "undefined entity reference");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type,
                           const xmlChar *pub, const xmlChar *sys,
                           xmlChar *content)
{
    dec_fail(ctx, PDM_EPARSE, false,
             "DOCTYPE entity declarations are not accepted");
}

static void on_unparsed_decl(void *ctx, const xmlChar *name,
                             const xmlChar *pub, const xmlChar *sys,
                             const xmlChar *notation)
{
    dec_fail(ctx, PDM_EPARSE, false,
             "DOCTYPE entity declarations are not accepted");
}

static void on_attr_decl(void *ctx, const xmlChar *elem, const xmlChar *name,
                         int type, int def, const xmlChar *defval,
                         xmlEnumerationPtr tree)
{
    xmlFreeEnumeration(tree); /* the handler owns it */
    dec_fail(ctx, PDM_EPARSE, false,
             "DOCTYPE attribute declarations are not accepted");
}

static void on_elem_decl(void *ctx, const xmlChar *name, int type,
                         xmlElementContentPtr content)
{
    dec_fail(ctx, PDM_EPARSE, false,
             "DOCTYPE element declarations are not accepted");
}

static void on_notation_decl(void *ctx, const xmlChar *name,
                             const xmlChar *pub, const xmlChar *sys)
{
    dec_fail(ctx, PDM_EPARSE, false,
             "DOCTYPE notation declarations are not accepted");
}

static xmlSAXHandler sax_template(void)
{
    xmlSAXHandler h;
    memset(&h, 0, sizeof(h));
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = on_start;
    h.endElementNs = on_end;
    h.characters = on_chars;
    h.ignorableWhitespace = on_chars;
    h.cdataBlock = on_cdata;
    h.getEntity = on_get_entity;
    h.getParameterEntity = on_get_entity;
    h.reference = on_reference;
    h.entityDecl = on_entity_decl;
    h.unparsedEntityDecl = on_unparsed_decl;
    h.attributeDecl = on_attr_decl;
    h.elementDecl = on_elem_decl;
    h.notationDecl = on_notation_decl;
    h.serror = on_serror;
    /* No externalSubset/resolveEntity: external DTDs are never loaded. */
    return h;
}

/* One strict parse of buf into st->doc.  Returns the pdm_rc. */
static int parse_once(xdec *st, const uint8_t *buf, size_t len)
{
    xmlParserCtxtPtr ctxt;
    xmlSAXHandler h = sax_template();
    xmlStructuredErrorFunc old_fn = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;

    ctxt = xmlCreateMemoryParserCtxt((const char *)buf, (int)len);
    if (!ctxt) {
        st->rc = PDM_ENOMEM;
        snprintf(st->msg, sizeof(st->msg), "out of memory (libxml2)");
        return st->rc;
    }
    /* libxml2 allocated a full xmlSAXHandler for the context. */
    memcpy(ctxt->sax, &h, sizeof(h));
    ctxt->userData = st;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    /* Independent of process-wide libxml2 defaults an application may
     * have changed. */
    ctxt->replaceEntities = 0;
    ctxt->loadsubset = 0;
    ctxt->validate = 0;
    ctxt->recovery = 0;
    st->ctxt = ctxt;

    /* Errors raised without a parser context (encoding conversion) go to
     * the thread's structured handler: route them to us meanwhile. */
    xmlSetStructuredErrorFunc(st, on_serror);
    xmlParseDocument(ctxt);
    xmlSetStructuredErrorFunc(old_ctx, old_fn);
    /* For "expat compatibility" libxml2 records internal entity
     * declarations in a fake document even in SAX mode, and frees it only
     * when xmlParseDocument() runs to its normal end. */
    if (ctxt->myDoc) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }

    if (!st->stopped && !ctxt->wellFormed) {
        st->rc = PDM_EPARSE;
        st->xml_code = ctxt->errNo;
        st->line = cur_line(st);
        snprintf(st->msg, sizeof(st->msg), "malformed document");
    }
    st->ctxt = NULL;
    xmlFreeParserCtxt(ctxt);
    if (!st->rc && !st->doc->root) {
        st->rc = PDM_EPARSE;
        snprintf(st->msg, sizeof(st->msg), "no root element");
    }
    return st->rc;
}

static bool is_name_start(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           c == ':' || c >= 0x80;
}

static bool is_name_char(uint8_t c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* Length of a syntactically valid reference at p ("&name;", "&#12;",
 * "&#x1f;"), 0 if it is not one. */
static size_t ref_len(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *q = p + 1;
    if (q < end && *q == '#') {
        q++;
        if (q < end && *q == 'x') {
            const uint8_t *s = ++q;
            while (q < end && ((*q >= '0' && *q <= '9') ||
                               (*q >= 'a' && *q <= 'f') ||
                               (*q >= 'A' && *q <= 'F')))
                q++;
            if (q == s)
                return 0;
        } else {
            const uint8_t *s = q;
            while (q < end && *q >= '0' && *q <= '9')
                q++;
            if (q == s)
                return 0;
        }
    } else {
        if (q >= end || !is_name_start(*q))
            return 0;
        while (q < end && is_name_char(*q))
            q++;
    }
    return (q < end && *q == ';') ? (size_t)(q + 1 - p) : 0;
}

static const uint8_t *find_seq(const uint8_t *p, const uint8_t *end,
                               const char *s)
{
    size_t n = strlen(s);
    for (; (size_t)(end - p) >= n; p++)
        if (*p == (uint8_t)s[0] && memcmp(p, s, n) == 0)
            return p;
    return NULL;
}

/* Appends to out a copy of buf with every bare '&' written as "&amp;"
 * (see the file comment); *changed is false (and out untouched) when
 * there is none. */
static int escape_bare_amps(const uint8_t *buf, size_t len, pdm__buf *out,
                            bool *changed)
{
    const uint8_t *p = buf, *end = buf + len, *run = buf;
    *changed = false;
    while (p < end) {
        if (*p == '<' && end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            const uint8_t *e = find_seq(p + 4, end, "-->");
            p = e ? e + 3 : end;
        } else if (*p == '<' && end - p >= 9 &&
                   memcmp(p, "<![CDATA[", 9) == 0) {
            const uint8_t *e = find_seq(p + 9, end, "]]>");
            p = e ? e + 3 : end;
        } else if (*p == '<' && end - p >= 2 && p[1] == '?') {
            const uint8_t *e = find_seq(p + 2, end, "?>");
            p = e ? e + 2 : end;
        } else if (*p == '&') {
            size_t r = ref_len(p, end);
            if (r) {
                p += r;
            } else {
                pdm__buf_append(out, run, (size_t)(p - run));
                pdm__buf_append(out, "&amp;", 5);
                p++;
                run = p;
                *changed = true;
            }
        } else {
            p++;
        }
    }
    if (*changed)
        pdm__buf_append(out, run, (size_t)(end - run));
    return pdm__buf_ok(out) ? PDM_OK : PDM_ENOMEM;
}

static void dec_reset(xdec *st, pdm__doc *doc, const pdm__codec_limits *lim)
{
    unsigned md = lim && lim->max_depth ? lim->max_depth : XML_DEFAULT_DEPTH;
    pdm__buf text = st->text;
    bool header_only = st->header_only;
    memset(st, 0, sizeof(*st));
    st->header_only = header_only;
    st->text = text;
    pdm__buf_reset(&st->text);
    st->doc = doc;
    st->max_depth = md > XML_HARD_DEPTH ? XML_HARD_DEPTH : md;
    st->max_elements =
        lim && lim->max_elements ? lim->max_elements : XML_DEFAULT_ELEMENTS;
}

static int decode(pdm__doc *out, const uint8_t *buf, size_t len,
                  const pdm__codec_limits *lim, pdm__codec_err *err,
                  bool header_only)
{
    xdec st;
    int rc;

    if (err)
        memset(err, 0, sizeof(*err));
    if (!out || (!buf && len)) {
        set_err(err, PDM_EINVAL, 0, "invalid argument");
        return PDM_EINVAL;
    }
    if ((lim && lim->max_bytes && len > lim->max_bytes) || len > INT_MAX) {
        set_err(err, PDM_ETOOBIG, 0, "document of %zu bytes exceeds the limit",
                len);
        return PDM_ETOOBIG;
    }
    if (len == 0) {
        set_err(err, PDM_EPARSE, 0, "empty document");
        return PDM_EPARSE;
    }
    pthread_once(&xml_once, xml_init);
    out->lang = PDM_LANG_NONE;
    out->wbxml_version = 0;
    out->public_id = 0;

    memset(&st, 0, sizeof(st));
    st.header_only = header_only;
    pdm__buf_init(&st.text);
    dec_reset(&st, out, lim);
    rc = parse_once(&st, buf, len);

    if (rc == PDM_EPARSE && (st.xml_code == XML_ERR_ENTITYREF_SEMICOL_MISSING ||
                             st.xml_code == XML_ERR_NAME_REQUIRED)) {
        pdm__buf fixed;
        bool changed = false;
        pdm__buf_init(&fixed);
        rc = escape_bare_amps(buf, len, &fixed, &changed);
        if (rc == PDM_OK && changed && fixed.len > INT_MAX) {
            rc = st.rc = PDM_ETOOBIG;
            st.xml_code = 0;
            snprintf(st.msg, sizeof(st.msg), "document too large");
        } else if (rc == PDM_OK && changed) {
            pdm__arena_reset(&out->arena);
            out->root = NULL;
            dec_reset(&st, out, lim);
            rc = parse_once(&st, fixed.data, fixed.len);
        } else if (rc == PDM_OK) {
            rc = st.rc; /* nothing to fix: keep the first error */
        } else {
            st.rc = rc;
            st.xml_code = 0;
            snprintf(st.msg, sizeof(st.msg), "out of memory");
        }
        pdm__buf_free(&fixed);
    }
    pdm__buf_free(&st.text);

    if (rc != PDM_OK) {
        if (st.line)
            set_err(err, rc, st.line, "XML line %zu: %s", st.line, st.msg);
        else
            set_err(err, rc, 0, "XML: %s", st.msg);
        return rc;
    }
    switch (out->root->tag) {
    case PDM_TAG_SYNCML:
        out->lang = PDM_LANG_SYNCML12;
        break;
    case PDM_TAG_DDF_MGMTTREE:
        out->lang = PDM_LANG_DDF12;
        break;
    case PDM_TAG_PROV_DOC:
        out->lang = PDM_LANG_PROV10;
        break;
    default:
        out->lang = PDM_LANG_NONE;
        break;
    }
    return PDM_OK;
}

int pdm__xml_decode(pdm__doc *out, const uint8_t *buf, size_t len,
                    const pdm__codec_limits *lim, pdm__codec_err *err)
{
    return decode(out, buf, len, lim, err, false);
}

int pdm__xml_decode_hdr(pdm__doc *out, const uint8_t *buf, size_t len,
                        const pdm__codec_limits *lim, pdm__codec_err *err)
{
    return decode(out, buf, len, lim, err, true);
}

/* ---- encoder ------------------------------------------------------------ */

enum { SCAN_OK = 0, SCAN_SPECIAL = 1, SCAN_BAD = 2 };

/* libxml2's escaping helpers size their buffers with int: stay well below
 * (an escaped character takes at most 6 bytes). */
#define ESCAPE_MAX ((size_t)INT_MAX / 8)

/* Checks that p[0..n) is UTF-8 made only of XML 1.0 characters
 * (#x9 #xA #xD [#x20-#xD7FF] [#xE000-#xFFFD] [#x10000-#x10FFFF]) and tells
 * whether it contains a character that the libxml2 escaping helpers must
 * rewrite (& < > " and, for attributes, TAB CR LF).  On SCAN_BAD, *bad is
 * the offset of the first offending byte. */
static int scan_chars(const uint8_t *p, size_t n, bool attr, size_t *bad)
{
    int r = SCAN_OK;
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        uint32_t cp;
        size_t k;
        if (c < 0x80) {
            if (c < 0x20) {
                if (c != '\t' && c != '\n' && c != '\r')
                    goto fail;
                if (attr || c == '\r')
                    r = SCAN_SPECIAL;
            } else if (c == '&' || c == '<' || c == '>' || c == '"') {
                r = SCAN_SPECIAL;
            }
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            goto fail;
        }
        if (n - i <= k)
            goto fail;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                goto fail;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            cp == 0xFFFE || cp == 0xFFFF)
            goto fail;
        i += k + 1;
    }
    return r;
fail:
    *bad = i;
    return SCAN_BAD;
}

bool pdm__xml_is_text(const void *p, size_t n)
{
    size_t bad;
    return scan_chars(p, n, false, &bad) != SCAN_BAD;
}

static const char *ns_uri(pdm__ns ns)
{
    switch (ns) {
    case PDM_NS_SYNCML:
        return PDM_NS_URI_SYNCML;
    case PDM_NS_METINF:
        return PDM_NS_URI_METINF;
    case PDM_NS_DDF:
        return PDM_NS_URI_DDF;
    default:
        return NULL;
    }
}

typedef struct xenc {
    pdm__buf *out;
    pdm__codec_err *err;
    bool pretty;
    xmlBufferPtr abuf;  /* scratch for attribute escaping (lazy) */
    uint8_t *ns;        /* namespace in scope per depth (ns[0] = none) */
    size_t ns_cap;
} xenc;

static bool attr_name_ok(const char *n)
{
    if (strncmp(n, "xml:", 4) == 0)
        return n[4] && xmlValidateNCName((const xmlChar *)n + 4, 0) == 0;
    if (strncmp(n, "xmlns", 5) == 0)
        return false; /* namespace declarations are the encoder's */
    return xmlValidateNCName((const xmlChar *)n, 0) == 0;
}

/* Direct writing: reserve once, then fill through a cursor. */
static uint8_t *w_begin(pdm__buf *b, size_t n)
{
    return pdm__buf_reserve(b, n) ? b->data + b->len : NULL;
}

static void w_end(pdm__buf *b, uint8_t *p)
{
    b->len = (size_t)(p - b->data);
    b->data[b->len] = 0;
}

static uint8_t *w_mem(uint8_t *p, const void *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static uint8_t *w_indent(uint8_t *p, size_t level)
{
    *p++ = '\n';
    memset(p, ' ', 2 * level);
    return p + 2 * level;
}

static const char *el_name(const pdm__el *el, size_t *len)
{
    if (el->tag == PDM_TAG_UNKNOWN) {
        *len = strlen(el->name);
        return el->name;
    }
    *len = tag_name_len[el->tag];
    return pdm__tags[el->tag].name;
}

/* Text of el that scan_chars found SCAN_SPECIAL: escaped by libxml2. */
static int write_escaped(xenc *x, const pdm__el *el)
{
    /* validated: no NUL inside, and el->text is NUL-terminated */
    xmlChar *e;
    if (el->len > ESCAPE_MAX) {
        set_err(x->err, PDM_ETOOBIG, 0, "text of <%.40s> too large to "
                "escape", pdm__el_name(el));
        return PDM_ETOOBIG;
    }
    e = xmlEncodeSpecialChars(NULL, el->text);
    if (!e)
        return PDM_ENOMEM;
    pdm__buf_puts(x->out, (const char *)e);
    xmlFree(e);
    return PDM_OK;
}

static int text_not_chardata(xenc *x, const pdm__el *el, size_t bad)
{
    set_err(x->err, PDM_EFORMAT, bad,
            "text of <%.40s> is not XML character data (byte %zu); "
            "send it base64-encoded",
            pdm__el_name(el), bad);
    return PDM_EFORMAT;
}

/* Text of el: escaped by libxml2 (xmlEncodeSpecialChars) when needed,
 * else copied; CDATA-flagged text goes into CDATA sections. */
static int write_text(xenc *x, const pdm__el *el)
{
    const uint8_t *t = el->text, *end = t + el->len;
    size_t bad = 0;
    int sc = scan_chars(t, el->len, false, &bad);
    if (sc == SCAN_BAD)
        return text_not_chardata(x, el, bad);
    /* CDATA cannot keep a CR (parsers turn it into LF): escaped text can. */
    if ((el->flags & PDM_EL_CDATA) && !memchr(t, '\r', el->len)) {
        pdm__buf_append(x->out, "<![CDATA[", 9);
        for (;;) {
            const uint8_t *s = find_seq(t, end, "]]>");
            if (!s) {
                pdm__buf_append(x->out, t, (size_t)(end - t));
                break;
            }
            /* "]]" closes this section, ">" opens the next one */
            pdm__buf_append(x->out, t, (size_t)(s + 2 - t));
            pdm__buf_append(x->out, "]]><![CDATA[", 12);
            t = s + 2;
        }
        pdm__buf_append(x->out, "]]>", 3);
    } else if (sc == SCAN_SPECIAL) {
        return write_escaped(x, el);
    } else {
        pdm__buf_append(x->out, t, el->len);
    }
    return PDM_OK;
}

static int write_attr(xenc *x, const pdm__el *el, const pdm__attr *a)
{
    size_t bad = 0, vlen;
    int sc;
    if (!a->name || !a->value || !attr_name_ok(a->name)) {
        set_err(x->err, PDM_EFORMAT, 0, "invalid attribute name on <%.40s>",
                pdm__el_name(el));
        return PDM_EFORMAT;
    }
    for (const pdm__attr *b = el->attrs; b != a; b = b->next)
        if (strcmp(a->name, b->name) == 0) {
            set_err(x->err, PDM_EFORMAT, 0,
                    "duplicate attribute %.40s on <%.40s>", a->name,
                    pdm__el_name(el));
            return PDM_EFORMAT;
        }
    vlen = strlen(a->value);
    sc = scan_chars((const uint8_t *)a->value, vlen, true, &bad);
    if (sc == SCAN_BAD) {
        set_err(x->err, PDM_EFORMAT, bad,
                "attribute %.40s of <%.40s> is not XML character data",
                a->name, pdm__el_name(el));
        return PDM_EFORMAT;
    }
    pdm__buf_putc(x->out, ' ');
    pdm__buf_puts(x->out, a->name);
    pdm__buf_append(x->out, "=\"", 2);
    if (sc == SCAN_SPECIAL) {
        if (vlen > ESCAPE_MAX) {
            set_err(x->err, PDM_ETOOBIG, 0, "attribute %.40s too large to "
                    "escape", a->name);
            return PDM_ETOOBIG;
        }
        if (!x->abuf && !(x->abuf = xmlBufferCreate()))
            return PDM_ENOMEM;
        xmlBufferEmpty(x->abuf);
        xmlAttrSerializeTxtContent(x->abuf, NULL, NULL,
                                   (const xmlChar *)a->value);
        if (xmlBufferLength(x->abuf) <= 0)
            return PDM_ENOMEM;
        pdm__buf_append(x->out, xmlBufferContent(x->abuf),
                        (size_t)xmlBufferLength(x->abuf));
    } else {
        pdm__buf_append(x->out, a->value, vlen);
    }
    pdm__buf_putc(x->out, '"');
    return PDM_OK;
}

static int end_el(xenc *x, const pdm__el *el, size_t depth);

/* Whether a word of 8 bytes holds a zero byte (exact as a yes/no). */
static inline uint64_t has_zero(uint64_t v)
{
    return (v - 0x0101010101010101u) & ~v & 0x8080808080808080u;
}

/* Whether none of the 8 bytes of w is non-ASCII, a control character or
 * one of & < > " (the tests are exact once no byte has bit 7 set; TAB and
 * LF fail here and are then taken byte by byte). */
static inline bool word_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    return !((w & high) | ((w - ones * 0x20) & ~w & high) |
             has_zero(w ^ (ones * '&')) | has_zero(w ^ (ones * '<')) |
             has_zero(w ^ (ones * '>')) | has_zero(w ^ (ones * '"')));
}

/* Length of the prefix of s[0..n) made of text_plain bytes: eight bytes
 * at a time, the tail of a text of 8 bytes or more as the (overlapping)
 * last word, the rest byte by byte.  The byte loop needs no bound:
 * element texts end with a NUL (el.h), which is not plain. */
static size_t plain_prefix(const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint64_t w;
    for (; n - i >= 8; i += 8) {
        memcpy(&w, s + i, 8);
        if (!word_plain(w))
            break;
    }
    if (n - i < 8 && n >= 8) {
        /* every word so far was plain: one test for the tail */
        memcpy(&w, s + n - 8, 8);
        if (word_plain(w))
            return n;
    }
    while (text_plain[s[i]])
        i++;
    return i;
}

/* Writes the start tag and text of el; when el has no children also its
 * end (or writes <X/>).  depth: root = 1.  The general writer: pretty
 * output and what encode_fast does not take (unknown names, attributes,
 * CDATA) come here. */
static int start_el(xenc *x, const pdm__el *el, size_t depth)
{
    pdm__ns ns;
    const char *name, *uri;
    size_t nlen, ulen;
    uint8_t scope = x->ns[depth - 1], *p;
    bool content = el->text && (el->len || (el->flags & PDM_EL_CDATA));
    int rc;

    if (el->tag == PDM_TAG_NONE || el->tag >= PDM_TAG_COUNT ||
        (el->tag == PDM_TAG_UNKNOWN &&
         (!el->name || xmlValidateNCName((const xmlChar *)el->name, 0) != 0))) {
        set_err(x->err, PDM_EFORMAT, 0, "element without a valid XML name");
        return PDM_EFORMAT;
    }
    name = el_name(el, &nlen);
    ns = el->tag > PDM_TAG_UNKNOWN ? (pdm__ns)pdm__tags[el->tag].ns
                                   : PDM_NS_NONE;
    uri = ns != scope ? ns_uri(ns) : NULL;
    ulen = uri ? strlen(uri) : 0;

    /* indent + "<" name ' xmlns="' uri '"' + "></" name ">" */
    p = w_begin(x->out, 2 * depth + 2 * nlen + ulen + 16);
    if (!p)
        return PDM_ENOMEM;
    if (x->pretty && depth > 1)
        p = w_indent(p, depth - 1);
    *p++ = '<';
    p = w_mem(p, name, nlen);
    if (uri) {
        p = w_mem(p, " xmlns=\"", 8);
        p = w_mem(p, uri, ulen);
        *p++ = '"';
        scope = (uint8_t)ns;
    }
    x->ns[depth] = scope;
    if (el->attrs) {
        w_end(x->out, p);
        for (const pdm__attr *a = el->attrs; a; a = a->next)
            if ((rc = write_attr(x, el, a)) != PDM_OK)
                return rc;
        p = w_begin(x->out, nlen + 4);
        if (!p)
            return PDM_ENOMEM;
    }
    if (!content && !el->first) {
        /* NULL text: <X/>; empty non-NULL text keeps <X></X> */
        if (el->text && !(el->flags & PDM_EL_EMPTY_TAG)) {
            p = w_mem(p, "></", 3);
            p = w_mem(p, name, nlen);
            *p++ = '>';
        } else {
            p = w_mem(p, "/>", 2);
        }
        w_end(x->out, p);
        return PDM_OK;
    }
    *p++ = '>';
    w_end(x->out, p);
    if (content && (rc = write_text(x, el)) != PDM_OK)
        return rc;
    if (!el->first)
        return end_el(x, el, depth);
    return PDM_OK;
}

static int end_el(xenc *x, const pdm__el *el, size_t depth)
{
    /* start_el refused tags outside the tables */
    bool slot = el->tag < PDM_TAG_COUNT && markup[el->tag].close_len;
    size_t nlen = 0;
    const char *name = slot ? NULL : el_name(el, &nlen);
    uint8_t *p = w_begin(x->out, 2 * depth + (slot ? SLOT : nlen) + 4);
    if (!p)
        return PDM_ENOMEM;
    if (x->pretty && el->first)
        p = w_indent(p, depth - 1);
    if (slot) {
        memcpy(p, markup[el->tag].close, SLOT);
        p += markup[el->tag].close_len;
    } else {
        p = w_mem(p, "</", 2);
        p = w_mem(p, name, nlen);
        *p++ = '>';
    }
    w_end(x->out, p);
    return PDM_OK;
}

static int encode_tree(xenc *x, const pdm__el *root)
{
    const pdm__el *el = root;
    size_t depth = 1;
    int rc;
    for (;;) {
        if (depth >= x->ns_cap) {
            size_t cap = x->ns_cap * 2;
            uint8_t *n = pdm__realloc(x->ns, cap);
            if (!n)
                return PDM_ENOMEM;
            x->ns = n;
            x->ns_cap = cap;
        }
        if ((rc = start_el(x, el, depth)) != PDM_OK)
            return rc;
        if (el->first) {
            el = el->first;
            depth++;
            continue;
        }
        /* el is complete: climb until an element has a next sibling */
        for (;;) {
            if (el == root)
                return PDM_OK;
            if (el->next) {
                el = el->next;
                break;
            }
            el = el->parent;
            depth--;
            if (!el)
                return PDM_EINVAL; /* broken tree */
            if ((rc = end_el(x, el, depth)) != PDM_OK)
                return rc;
        }
    }
}

/* The writer of encode_fast keeps its cursor in a local: `p` is where the
 * next byte goes and `lim` the last byte of the buffer's room (kept for
 * the NUL).  out_sync hands the position back to the buffer before any
 * pdm__buf call, out_load takes it again. */
static void out_sync(pdm__buf *b, uint8_t *p)
{
    b->len = (size_t)(p - b->data);
    b->data[b->len] = 0;
}

static bool out_load(pdm__buf *b, size_t room, uint8_t **p, uint8_t **lim)
{
    if (!pdm__buf_reserve(b, room))
        return false;
    *p = b->data + b->len;
    *lim = b->data + b->cap - 1;
    return true;
}

/* The usual element: a tag whose markup is in the slot tables, no
 * attributes, no CDATA. */
static bool fast_el(const pdm__el *el)
{
    return el->tag < PDM_TAG_COUNT && markup[el->tag].close_len && !el->attrs &&
           !(el->flags & PDM_EL_CDATA);
}

/* encode_tree without pretty-printing, with the usual element written in
 * place: markup copied as whole slots, the room checked with one compare
 * (the buffer grows in steps of at least 4 KiB), clean text copied after
 * plain_prefix.  Text that needs escaping or a closer look, and elements
 * that are not fast_el, go through the general functions, so the bytes
 * are the same as encode_tree's (and were, before this writer). */
static int encode_fast(xenc *x, const pdm__el *root)
{
    pdm__buf *b = x->out;
    const pdm__el *el = root;
    size_t depth = 1;
    /* x->ns in a local (it changes only when it grows): x lives in
     * memory, every x->ns would be a load */
    uint8_t *scope = x->ns, *p, *lim;
    int rc;

    if (!out_load(b, 4096, &p, &lim))
        return PDM_ENOMEM;
    for (;;) {
        unsigned t = el->tag;
        size_t n = el->text ? el->len : 0;
        if (!fast_el(el)) {
            out_sync(b, p);
            if ((rc = start_el(x, el, depth)) != PDM_OK)
                return rc;
            if (!out_load(b, 0, &p, &lim))
                return PDM_ENOMEM;
        } else {
            const tag_markup *m = &markup[t];
            uint8_t up = scope[depth - 1], ns = m->ns;
            /* open + xmlns + '>' + text + close, slots copied whole (no
             * overflow: n is the size of a text in memory) */
            if ((size_t)(lim - p) < 3 * SLOT + 2 + n) {
                out_sync(b, p);
                if (n > SIZE_MAX / 4 ||
                    !out_load(b, 3 * SLOT + 2 + n + 4096, &p, &lim))
                    return PDM_ENOMEM;
            }
            memcpy(p, m->open, SLOT);
            p += m->open_len;
            if (ns != up && ns_decl_len[ns]) {
                memcpy(p, ns_decl[ns], SLOT);
                p += ns_decl_len[ns];
                up = ns;
            }
            scope[depth] = up;
            if (!n && !el->first) {
                /* NULL text: <X/>; empty non-NULL text keeps <X></X> */
                if (el->text && !(el->flags & PDM_EL_EMPTY_TAG)) {
                    *p++ = '>';
                    memcpy(p, m->close, SLOT);
                    p += m->close_len;
                } else {
                    *p++ = '/';
                    *p++ = '>';
                }
            } else {
                *p++ = '>';
                if (n) {
                    const uint8_t *s = el->text;
                    size_t i = el->flags & PDM_EL_PLAIN ? n : plain_prefix(s, n);
                    int sc = SCAN_OK;
                    if (i < n) {
                        /* The plain prefix is ASCII: scan_chars resumes at
                         * a character boundary, offsets relative to i. */
                        size_t bad = 0;
                        sc = scan_chars(s + i, n - i, false, &bad);
                        if (sc == SCAN_BAD)
                            return text_not_chardata(x, el, i + bad);
                    }
                    if (sc == SCAN_SPECIAL) {
                        out_sync(b, p);
                        if ((rc = write_escaped(x, el)) != PDM_OK)
                            return rc;
                        if (!out_load(b, SLOT + 4096, &p, &lim))
                            return PDM_ENOMEM;
                    } else {
                        pdm__memcpy_small(p, s, n);
                        p += n;
                    }
                }
                if (!el->first) {
                    memcpy(p, m->close, SLOT);
                    p += m->close_len;
                }
            }
        }
        if (el->first) {
            el = el->first;
            /* x->ns[depth] is written for every element at depth */
            if (++depth >= x->ns_cap) {
                size_t cap = x->ns_cap * 2;
                uint8_t *ns = pdm__realloc(x->ns, cap);
                if (!ns)
                    return PDM_ENOMEM;
                x->ns = scope = ns;
                x->ns_cap = cap;
            }
            continue;
        }
        /* el is complete: climb until an element has a next sibling */
        for (;;) {
            if (el == root) {
                out_sync(b, p);
                return PDM_OK;
            }
            if (el->next) {
                el = el->next;
                break;
            }
            el = el->parent;
            depth--;
            if (!el) {
                out_sync(b, p);
                return PDM_EINVAL; /* broken tree */
            }
            if (el->tag < PDM_TAG_COUNT && markup[el->tag].close_len) {
                const tag_markup *m = &markup[el->tag];
                if ((size_t)(lim - p) < SLOT) {
                    out_sync(b, p);
                    if (!out_load(b, SLOT + 4096, &p, &lim))
                        return PDM_ENOMEM;
                }
                memcpy(p, m->close, SLOT);
                p += m->close_len;
            } else {
                out_sync(b, p);
                if ((rc = end_el(x, el, depth)) != PDM_OK)
                    return rc;
                if (!out_load(b, 0, &p, &lim))
                    return PDM_ENOMEM;
            }
        }
    }
}

int pdm__xml_encode(pdm__buf *out, const pdm__doc *doc,
                    const pdm__xml_opts *opts, pdm__codec_err *err)
{
    xenc x;
    size_t start;
    int rc;

    if (err)
        memset(err, 0, sizeof(*err));
    if (!out || !doc || !doc->root) {
        set_err(err, PDM_EINVAL, 0, "no document to encode");
        return PDM_EINVAL;
    }
    if (!pdm__buf_ok(out)) {
        set_err(err, PDM_ENOMEM, 0, "output buffer already failed");
        return PDM_ENOMEM;
    }
    pthread_once(&xml_once, xml_init);
    start = out->len;
    memset(&x, 0, sizeof(x));
    x.out = out;
    x.err = err;
    x.pretty = opts && opts->pretty;
    x.ns_cap = 64;
    x.ns = pdm__malloc(x.ns_cap);
    if (!x.ns) {
        set_err(err, PDM_ENOMEM, 0, "out of memory");
        return PDM_ENOMEM;
    }
    x.ns[0] = PDM_NS_NONE;
    if (!(opts && opts->no_decl))
        pdm__buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    rc = x.pretty ? encode_tree(&x, doc->root) : encode_fast(&x, doc->root);
    if (rc == PDM_OK && x.pretty)
        pdm__buf_putc(out, '\n');
    if (x.abuf)
        xmlBufferFree(x.abuf);
    pdm__free(x.ns);
    if (rc == PDM_OK && !pdm__buf_ok(out))
        rc = PDM_ENOMEM;
    if (rc != PDM_OK) {
        if (err && err->rc == 0)
            set_err(err, rc, 0,
                    rc == PDM_ENOMEM ? "out of memory while encoding XML"
                                     : "cannot encode the document as XML");
        /* leave out as it was (after OOM it stays failed, see util.h) */
        if (pdm__buf_ok(out)) {
            out->len = start;
            if (out->data)
                out->data[start] = 0;
        }
        return rc;
    }
    return PDM_OK;
}
