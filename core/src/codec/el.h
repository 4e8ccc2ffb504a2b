/*
 * The document model shared by the XML and WBXML codecs: a tree of
 * elements allocated from one arena.  SyncML messages, TNDS trees and OMA
 * CP documents are all decoded into it and encoded from it, so the session
 * engine, the TNDS importer and the bootstrap pipeline never see the wire
 * format.
 *
 * Text is binary-safe: `text`/`len` hold the concatenation of every PCDATA
 * piece of the element (STR_I, STR_T, OPAQUE, ENTITY in WBXML; text, CDATA
 * and references in XML), always followed by a NUL that `len` does not
 * count.  Mixed content (text between child elements) is not meaningful in
 * any vocabulary we handle; such text is kept concatenated.
 */
#ifndef PDM_CODEC_EL_H
#define PDM_CODEC_EL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/tags.h"
#include "util/util.h"

typedef struct pdm__attr {
    struct pdm__attr *next;
    const char *name;  /* attribute name, e.g. "type" (arena) */
    const char *value; /* NUL-terminated value (arena) */
} pdm__attr;

enum {
    PDM_EL_OPAQUE = 1u << 0, /* text is binary (WBXML OPAQUE); the WBXML
                                encoder emits it as OPAQUE again */
    PDM_EL_CDATA = 1u << 1,  /* XML: text came from / goes to CDATA */
    PDM_EL_EMPTY_TAG = 1u << 2, /* element had no content at all */
    PDM_EL_PLAIN = 1u << 3   /* text is known to be printable ASCII
                                without & < > " (digits, constants): the
                                XML encoder copies it without scanning.
                                Set only by whoever wrote the text. */
};

typedef struct pdm__el {
    struct pdm__el *parent;
    struct pdm__el *first; /* first child */
    struct pdm__el *last;  /* last child (for O(1) append) */
    struct pdm__el *next;  /* next sibling */
    const char *name;      /* only for PDM_TAG_UNKNOWN: the literal name */
    uint8_t *text;         /* PCDATA, NUL-terminated, or NULL if none */
    size_t len;            /* bytes of text (excluding the NUL) */
    pdm__attr *attrs;      /* attributes in document order (CP only) */
    uint16_t tag;          /* pdm__tag */
    uint8_t flags;         /* PDM_EL_* */
} pdm__el;

/* Document language (decides the WBXML public id and code pages). */
typedef enum pdm__lang {
    PDM_LANG_NONE = 0,
    PDM_LANG_SYNCML12, /* SyncML DM 1.2 message (pages 0,1,2) */
    PDM_LANG_DDF12,    /* standalone TNDS/DDF document (page 0 = DDF) */
    PDM_LANG_PROV10    /* OMA CP wap-provisioningdoc */
} pdm__lang;

typedef struct pdm__doc {
    pdm__arena arena; /* owns every element, attribute and text */
    pdm__el *root;
    uint8_t lang;          /* pdm__lang */
    uint8_t wbxml_version; /* decoded: 0x01..0x03; 0 for XML */
    uint32_t public_id;    /* decoded WBXML public id (0 = string FPI) */
} pdm__doc;

/* Error detail of a decode/encode failure. */
typedef struct pdm__codec_err {
    int rc;          /* pdm_rc, e.g. PDM_EPARSE, PDM_ETOOBIG, PDM_ENOMEM */
    size_t offset;   /* byte offset (WBXML) or line (XML) of the problem */
    char msg[160];   /* human readable, never contains document text
                        longer than a short token */
} pdm__codec_err;

/* Limits applied while decoding untrusted input. */
typedef struct pdm__codec_limits {
    size_t max_bytes;    /* input larger than this → PDM_ETOOBIG (0 = none) */
    unsigned max_depth;  /* element nesting (0 = default 64) */
    size_t max_elements; /* (0 = default 1,000,000) */
} pdm__codec_limits;

/* ---- building and walking ---------------------------------------------- */
void pdm__doc_init(pdm__doc *d);
void pdm__doc_free(pdm__doc *d); /* frees the arena; d may be reused */

/* Creates an element and appends it to parent (parent NULL: becomes the
 * root).  Returns NULL on out-of-memory. */
pdm__el *pdm__el_add(pdm__doc *d, pdm__el *parent, pdm__tag tag);
/* Same, with text copied into the arena. */
pdm__el *pdm__el_add_text(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                          const void *text, size_t len);
pdm__el *pdm__el_add_str(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                         const char *s);
/* Same without a copy: the element's text points at s[0..len), which
 * must be NUL-terminated at len, outlive the document and never be
 * written through the element (string literals, static tables).  For the
 * constant parts of outgoing messages ("200", "chr", "text/plain"). */
pdm__el *pdm__el_add_static(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                            const char *s, size_t len);
/* Appends bytes to an element's text (used by decoders). */
int pdm__el_append_text(pdm__doc *d, pdm__el *el, const void *p, size_t n);
int pdm__el_set_attr(pdm__doc *d, pdm__el *el, const char *name,
                     const char *value);
const char *pdm__el_attr(const pdm__el *el, const char *name);

/* The three lookups below are inline: the session engine and the
 * importers call them several times per command. */

/* First child with the given tag, or NULL. */
static inline pdm__el *pdm__el_child(const pdm__el *el, pdm__tag tag)
{
    if (!el)
        return NULL;
    for (pdm__el *c = el->first; c; c = c->next)
        if (c->tag == tag)
            return c;
    return NULL;
}

/* Next sibling after `from` with the given tag, or NULL. */
static inline pdm__el *pdm__el_next(const pdm__el *from, pdm__tag tag)
{
    for (pdm__el *c = from ? from->next : NULL; c; c = c->next)
        if (c->tag == tag)
            return c;
    return NULL;
}

/* Text of the first child with `tag` (NULL if absent or no text). */
static inline const char *pdm__el_child_text(const pdm__el *el, pdm__tag tag)
{
    pdm__el *c = pdm__el_child(el, tag);
    return c && c->text ? (const char *)c->text : NULL;
}
/* Follows a path of tags, e.g. {PDM_TAG_TARGET, PDM_TAG_LOCURI, 0}. */
pdm__el *pdm__el_path(const pdm__el *el, const uint16_t *tags);
/* Name of an element as written in XML. */
const char *pdm__el_name(const pdm__el *el);

#endif /* PDM_CODEC_EL_H */
