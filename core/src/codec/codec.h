/*
 * Wire codecs: SyncML/TNDS/CP documents <-> pdm__doc (see el.h).
 *
 * Decoders accept untrusted input: every failure returns a negative pdm_rc
 * and fills `err` (when non-NULL) with a message; they never crash, never
 * read outside the buffer and free everything they allocated except what
 * is in `out` (the caller always calls pdm__doc_free(out), also on error).
 */
#ifndef PDM_CODEC_CODEC_H
#define PDM_CODEC_CODEC_H

#include "codec/el.h"

/* ---- WBXML ------------------------------------------------------------- */
typedef struct pdm__wbxml_opts {
    uint8_t version;      /* 0x01..0x03; 0 = 0x02 (WBXML 1.2) */
    bool string_fpi;      /* write the FPI in the string table instead of
                             the numeric public id (never needed by DM) */
} pdm__wbxml_opts;

/* Decodes WBXML 1.1-1.3.  The language is taken from the public id (numeric
 * or string-table FPI, with or without NUL); SyncML 1.1/1.0 public ids are
 * decoded with the 1.2 tables.  `out` must have been pdm__doc_init()ed. */
int pdm__wbxml_decode(pdm__doc *out, const uint8_t *buf, size_t len,
                      const pdm__codec_limits *lim, pdm__codec_err *err);
/* Same, but stops after the root's SyncHdr element (a SyncML header
 * reader: pdm_message_session_id): the document then holds the root and
 * the SyncHdr, nothing after it is decoded or checked.  A document whose
 * root has no SyncHdr child is decoded whole. */
int pdm__wbxml_decode_hdr(pdm__doc *out, const uint8_t *buf, size_t len,
                          const pdm__codec_limits *lim, pdm__codec_err *err);
/* Encodes doc (its lang decides public id and pages) and appends to out. */
int pdm__wbxml_encode(pdm__buf *out, const pdm__doc *doc,
                      const pdm__wbxml_opts *opts, pdm__codec_err *err);

/* ---- XML --------------------------------------------------------------- */
typedef struct pdm__xml_opts {
    bool pretty;     /* indent with two spaces per level (for humans) */
    bool no_decl;    /* omit the <?xml ...?> declaration */
} pdm__xml_opts;

/* Decodes XML (libxml2).  Entities are not loaded, no network, no DTD. */
int pdm__xml_decode(pdm__doc *out, const uint8_t *buf, size_t len,
                    const pdm__codec_limits *lim, pdm__codec_err *err);
/* Header-only decode, as pdm__wbxml_decode_hdr. */
int pdm__xml_decode_hdr(pdm__doc *out, const uint8_t *buf, size_t len,
                        const pdm__codec_limits *lim, pdm__codec_err *err);
int pdm__xml_encode(pdm__buf *out, const pdm__doc *doc,
                    const pdm__xml_opts *opts, pdm__codec_err *err);
/* True when p[0..n) is text that XML carries as it is: valid UTF-8 made
 * only of XML 1.0 characters (no NUL, no control character but TAB, LF
 * and CR, no surrogate, no U+FFFE/U+FFFF).  The encoder refuses anything
 * else (PDM_EFORMAT); callers send such bytes base64-encoded. */
bool pdm__xml_is_text(const void *p, size_t n);

#endif /* PDM_CODEC_CODEC_H */
