/*
 * SyncML DM helpers shared by polydm-testserver and its test client:
 * building and reading pdm__doc element trees, encoding/decoding in the
 * client's encoding, data expressions of scenario files, rendering
 * messages for transcripts.  Thin layer over the core's codec.
 */
#ifndef DMS_SML_H
#define DMS_SML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "util/util.h"

#define SML_CT_XML "application/vnd.syncml.dm+xml"
#define SML_CT_WBXML "application/vnd.syncml.dm+wbxml"

/* 0 unknown, 1 XML, 2 WBXML (from a Content-Type header value). */
int sml_ctype_encoding(const char *ctype);

/* Adds an element with text (NULL: an empty element). */
pdm__el *sml_add(pdm__doc *d, pdm__el *parent, pdm__tag tag, const char *text);
pdm__el *sml_addf(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds an element with binary text; opaque marks it for WBXML OPAQUE. */
pdm__el *sml_add_bin(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                     const void *p, size_t n, bool opaque);
/* <Meta> with optional Format, Type, Size (size < 0: none). */
pdm__el *sml_add_meta(pdm__doc *d, pdm__el *parent, const char *format,
                      const char *type, long size);
/* <Target><LocURI>uri</LocURI></Target> (tag = TARGET or SOURCE). */
pdm__el *sml_add_loc(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                     const char *uri, const char *locname);
/* Removes the last child of parent (and its subtree, left in the arena). */
void sml_unlink_last(pdm__el *parent);

/* Text of a descendant reached by a 0-terminated list of tags, or NULL. */
const char *sml_path_text(const pdm__el *el, ...);
/* Integer text of a child (-1 if absent or not a number). */
long sml_child_long(const pdm__el *el, pdm__tag tag);
/* Meta child value: looks in el's <Meta> (Format, Type, Size, Mark,
 * NextNonce...).  NULL if absent. */
const char *sml_meta(const pdm__el *el, pdm__tag metatag);

/* Encodes doc as XML (wbxml false) or WBXML 1.2 into out (appended). */
int sml_encode(const pdm__doc *d, bool wbxml, pdm__buf *out, char *err,
               size_t errlen);
/* Decodes: enc 1 XML, 2 WBXML, 0 guess from the first byte. */
int sml_decode(pdm__doc *d, const uint8_t *p, size_t n, int enc, char *err,
               size_t errlen);

/* True if the bytes are valid UTF-8 XML character data. */
bool sml_is_text(const uint8_t *p, size_t n);

/* Renders an element tree as indented XML for humans (transcripts): text
 * is escaped; binary text is shown as base64 in a `b64:` marker. */
void sml_render(const pdm__el *el, pdm__buf *out);
/* Renders the children of el (e.g. embedded TNDS in <Data>) as XML
 * without indentation (used to compare Data that carries elements). */
void sml_render_inline(const pdm__el *el, pdm__buf *out);
/* Hex dump, 16 bytes per line with offsets. */
void sml_hexdump(const uint8_t *p, size_t n, pdm__buf *out);

/* Evaluates a data expression (variables already expanded):
 *   hex:0A0b..   b64:QUJD   file:PATH (relative to dir)
 *   pattern:N    N bytes "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" repeated
 *   text:...     literal (also anything without a known prefix)
 * Appends the bytes to out.  Returns 0 or -1 with err set. */
int sml_data_eval(const char *expr, const char *dir, pdm__buf *out, char *err,
                  size_t errlen);

#endif /* DMS_SML_H */
