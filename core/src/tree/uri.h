/*
 * Management-tree URIs (OMA DM 1.2 TND): parsing, validation against the
 * DevDetail/URI limits, and pure path helpers.  Nothing here touches the
 * tree; everything is allocation-free except where stated.
 *
 * Sources: facts §6.1 (URI syntax, ?prop= / ?list=), §6.3 (properties),
 * §12 (MaxDepth / MaxTotLen / MaxSegLen, 414).
 *
 * ---- Syntax accepted by pdm__uri_parse ---------------------------------
 *
 *   uri      = path [ "?" query ]
 *   path     = "." | [ "./" ] segment *( "/" segment )
 *   query    = "prop=" prop-name
 *            | "list=" list-type [ 1*( "+" sel-prop ) | 1*( "-" sel-prop ) ]
 *   prop-name = ACL | Format | Name | Size | Title | TStamp | Type | VerNo
 *   list-type = Struct | StructData | TNDS
 *   sel-prop  = prop-name | Value
 *
 *   - "./A" and "A" name the same node; the root is "." and "./" alone is
 *     invalid; a URI never ends with "/"; no empty segment ("a//b"); no "."
 *     or ".." segment other than the leading "./" (also not when spelt
 *     with escapes, e.g. "%2E"); no leading "/".
 *   - A segment is %-decoded ("%HH", hex digits of either case); "%" not
 *     followed by two hex digits is an error.  The decoded bytes must be
 *     valid UTF-8 (RFC 3629: no overlong forms, no surrogates U+D800..DFFF,
 *     nothing above U+10FFFF); literal and escaped bytes may be mixed.
 *   - Node-name characters (checked after decoding): any Unicode scalar
 *     value EXCEPT
 *        U+0000..U+001F, U+007F, U+0080..U+009F   (control characters)
 *        U+FFFE, U+FFFF   (noncharacters no XML text can carry)
 *        "/"  (the separator, facts §6.1: never part of a name)
 *        "?"  (starts the query)
 *        "%"  (the escape character; so %25 is rejected too)
 *     Everything else, including space, "#", "&", "=", "+", "*" and any
 *     non-ASCII letter, is allowed literally or escaped.  This is a superset
 *     of libdmclient's pchar set (alnum and :@&=+$,-_!~*'()), i.e. liberal.
 *     Because "%" and "?" can never be part of a decoded name, the
 *     canonical path (below) is itself a valid URI that parses to itself.
 *   - The query is matched literally and case-sensitively (no %-decoding).
 *     "+" and "-" selectors must not be mixed (PDM_EINVAL); an unknown
 *     property or list type is PDM_ENOTSUP (the session answers 406);
 *     repeating a selector is harmless.  Anything other than "prop=" or
 *     "list=" after "?" is PDM_ENOTSUP ("A?" alone is PDM_EINVAL).
 *
 * ---- Limits (DevDetail/URI, facts §12) -----------------------------------
 *
 *   Each limit is a count; 0 means unlimited.  Exceeding one gives
 *   PDM_ETOOLONG (414).
 *   - max_depth: number of segments, the root not counted ("." = 0,
 *     "./A/B" = 2), as libdmclient counts.
 *   - max_tot_len: CHARACTERS (Unicode code points, not bytes) of the whole
 *     URI exactly as received: including a "./" prefix if the server sent
 *     one, counting an escape "%HH" as the three characters it occupies,
 *     and including the "?prop=..." / "?list=..." suffix.  It is checked
 *     before anything else, so a huge URI is refused without being decoded.
 *   - max_seg_len: characters of each DECODED segment, i.e. of the node
 *     name (the same measure as the Name property, facts §6.3).
 *   pdm__uri_check_limits applies the same limits to a canonical path
 *   (whose total length is then that of the canonical spelling).
 *
 * ---- Canonical path ------------------------------------------------------
 *
 *   The normalised, decoded path without "./" prefix: "DMAcc/x"; the root
 *   is ".".  Two URIs address the same node iff their canonical paths are
 *   byte-equal (no case folding, no Unicode normalisation: the tree decides
 *   case sensitivity).  This is the form to store and to compare; it is
 *   also a valid URI.
 *
 * ---- Error reporting ---------------------------------------------------
 *
 *   Functions taking (err, errlen) write a one-line English message there
 *   on failure ("segment 3 is empty", "invalid %-escape at offset 7");
 *   err may be NULL.  Offsets are 0-based byte offsets into the input as
 *   given; segment numbers are 1-based and do not count the "./" prefix.
 *   Non-printable input bytes are shown as \xHH in messages.  MaxTotLen is
 *   checked first; other problems are reported at the first offending
 *   position scanning left to right, the query after the path.
 */
#ifndef PDM_TREE_URI_H
#define PDM_TREE_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* DevDetail/URI limits; 0 = unlimited.  The tree keeps the current values
 * and passes them in (a NULL pointer means "all unlimited"). */
typedef struct pdm__uri_limits {
    uint32_t max_depth;   /* segments (root not counted) */
    uint32_t max_tot_len; /* characters of the URI as received, incl. query */
    uint32_t max_seg_len; /* characters of one decoded segment */
} pdm__uri_limits;

/* Run-time properties (facts §6.3) plus Value (only as a ?list= selector).
 * The order is the canonical order of selectors in pdm__uri_format. */
typedef enum pdm__uri_prop {
    PDM_URI_PROP_ACL = 0,
    PDM_URI_PROP_FORMAT,
    PDM_URI_PROP_NAME,
    PDM_URI_PROP_SIZE,
    PDM_URI_PROP_TITLE,
    PDM_URI_PROP_TSTAMP,
    PDM_URI_PROP_TYPE,
    PDM_URI_PROP_VERNO,
    PDM_URI_PROP_VALUE, /* not valid in ?prop= */
    PDM_URI_PROP__COUNT
} pdm__uri_prop;

#define PDM_URI_PROP_BIT(p) (1u << (p))
#define PDM_URI_PROP_ALL ((1u << PDM_URI_PROP__COUNT) - 1u)

typedef enum pdm__uri_query {
    PDM_URI_Q_NONE = 0, /* plain node URI */
    PDM_URI_Q_PROP,     /* ?prop=<prop> */
    PDM_URI_Q_LIST      /* ?list=<list>[selectors] */
} pdm__uri_query;

typedef enum pdm__uri_list {
    PDM_URI_LIST_STRUCT = 0,
    PDM_URI_LIST_STRUCTDATA,
    PDM_URI_LIST_TNDS
} pdm__uri_list;

/* One segment: bytes [off, off+len) of pdm__uri.path, and the same offset
 * in pdm__uri.names is the segment as a NUL-terminated string. */
typedef struct pdm__uri_seg {
    uint32_t off;
    uint32_t len; /* bytes (decoded) */
} pdm__uri_seg;

/* Storage kept inside the struct: a path of up to
 * PDM__URI_INLINE_BYTES/2 - 1 bytes and PDM__URI_INLINE_SEGS segments
 * needs no allocation; longer ones take ONE pdm__malloc. */
#define PDM__URI_INLINE_BYTES 256
#define PDM__URI_INLINE_SEGS 16

/* A parsed URI.  Read the public fields directly.  The struct points into
 * itself: never copy or move it by value once parsed. */
typedef struct pdm__uri {
    const char *path;         /* canonical path, NUL-terminated; "." = root */
    size_t len;               /* strlen(path) */
    const char *names;        /* path with each '/' replaced by NUL */
    const pdm__uri_seg *segs; /* nseg entries */
    size_t nseg;              /* 0 for the root */
    size_t chars;             /* characters of the URI as received (the
                                 MaxTotLen measure), query included */
    pdm__uri_query query;
    pdm__uri_prop prop;       /* PDM_URI_Q_PROP: which property */
    pdm__uri_list list;       /* PDM_URI_Q_LIST: which list type */
    char list_sel;            /* PDM_URI_Q_LIST: 0 (no selector), '+', '-' */
    uint32_t list_props;      /* PDM_URI_PROP_BIT mask of the selectors */
    /* private */
    void *heap_;
    char ibuf_[PDM__URI_INLINE_BYTES];
    pdm__uri_seg isegs_[PDM__URI_INLINE_SEGS];
} pdm__uri;

/* Parses the n bytes at s (binary-safe: an embedded NUL is an invalid
 * control character).  `u` may be uninitialised; it is fully (re)set.
 * Returns
 *   PDM_OK        u filled; call pdm__uri_free when done
 *   PDM_EINVAL    syntax error (message says what and where)
 *   PDM_ENOTSUP   unknown ?prop= property, ?list= type or selector, or
 *                 unknown query attribute (the message names it)
 *   PDM_ETOOLONG  a limit in `lim` is exceeded (session maps to 414)
 *   PDM_ENOMEM    (only for paths longer than the inline storage)
 * On failure nothing stays allocated and u reads as an empty root URI;
 * calling pdm__uri_free is then harmless.  Allocation: none unless the
 * path exceeds the inline storage.  Do not parse into a `u` that still
 * holds a successful parse: free it first. */
int pdm__uri_parse(pdm__uri *u, const char *s, size_t n,
                   const pdm__uri_limits *lim, char *err, size_t errlen);
void pdm__uri_free(pdm__uri *u);

/* Segment i (0-based, i < nseg) as a NUL-terminated name and its length. */
static inline const char *pdm__uri_seg_name(const pdm__uri *u, size_t i)
{
    return u->names + u->segs[i].off;
}
static inline size_t pdm__uri_seg_len(const pdm__uri *u, size_t i)
{
    return u->segs[i].len;
}
static inline bool pdm__uri_is_root_uri(const pdm__uri *u)
{
    return u->nseg == 0;
}

/* For ?list=: the properties wanted, given the caller's default set `dflt`
 * (used when there is no selector; "-" removes from it, "+" replaces it). */
uint32_t pdm__uri_list_props(const pdm__uri *u, uint32_t dflt);

/* Names of properties / list types as they appear in URIs ("ACL",
 * "StructData"...), and the reverse lookups (exact, case-sensitive; n is
 * the length of s; -1 if unknown). */
const char *pdm__uri_prop_name(pdm__uri_prop p);
const char *pdm__uri_list_name(pdm__uri_list l);
int pdm__uri_prop_from_name(const char *s, size_t n);
int pdm__uri_list_from_name(const char *s, size_t n);

/* ---- output ----------------------------------------------------------- */

enum {
    PDM_URI_FMT_DOT = 1u << 0,   /* prefix "./" (the root stays ".") */
    PDM_URI_FMT_QUERY = 1u << 1, /* append the canonical ?prop= / ?list= */
    PDM_URI_FMT_ASCII = 1u << 2  /* %-escape every byte outside
                                    libdmclient's pchar set (alnum and
                                    :@&=+$,-_!~*'()) plus '.', '/' */
};

/* Appends the canonical path `path` (n bytes) to `out` according to flags
 * (PDM_URI_FMT_DOT, PDM_URI_FMT_ASCII).  Without PDM_URI_FMT_ASCII the
 * canonical path needs no escaping at all.  Check pdm__buf_ok(out). */
void pdm__uri_escape(pdm__buf *out, const char *path, size_t n,
                     unsigned flags);
/* Appends u as a URI: path as pdm__uri_escape, then with PDM_URI_FMT_QUERY
 * the query in canonical form ("?list=TNDS+ACL+Format", selectors in
 * pdm__uri_prop order).  The result parses back to the same u. */
void pdm__uri_format(pdm__buf *out, const pdm__uri *u, unsigned flags);

/* Convenience: parses s (n bytes) and appends its canonical path to out.
 * A query is refused (PDM_EINVAL).  Same return values as parse. */
int pdm__uri_canon(pdm__buf *out, const char *s, size_t n,
                   const pdm__uri_limits *lim, char *err, size_t errlen);

/* ---- pure helpers on canonical paths -----------------------------------
 * `path`/n must be a canonical path (as produced by parse or join); these
 * functions do not validate it and never allocate. */

static inline bool pdm__uri_is_root(const char *path, size_t n)
{
    return n == 1 && path[0] == '.';
}

/* Parent of a canonical path: returns a pointer to the parent path and its
 * length in *plen — a prefix of `path`, or the static string "." for a
 * top-level node.  Returns NULL (and *plen = 0) for the root. */
const char *pdm__uri_parent(const char *path, size_t n, size_t *plen);

/* Last segment (the node's name): pointer into path and its length.  For
 * the root returns path itself ("."), length 1. */
const char *pdm__uri_last(const char *path, size_t n, size_t *len);

/* True if `anc` is an ancestor of `desc` on segment boundaries ("A/B" is
 * not an ancestor of "A/BC"); the root is an ancestor of every other path.
 * With or_self, equal paths also count. */
bool pdm__uri_is_ancestor(const char *anc, size_t an, const char *desc,
                          size_t dn, bool or_self);

/* Number of segments of a canonical path (0 for the root). */
size_t pdm__uri_depth(const char *path, size_t n);

/* Checks a single DECODED node name (a TNDS NodeName, a Name property
 * value, the name given to join): non-empty, valid UTF-8, no control
 * character, no '/', '?' or '%', not "." or "..", and at most
 * lim->max_seg_len characters.  PDM_EINVAL or PDM_ETOOLONG with message.
 * lim may be NULL. */
int pdm__uri_check_name(const char *name, size_t n,
                        const pdm__uri_limits *lim, char *err,
                        size_t errlen);

/* Appends parent + "/" + name (or just name when parent is the root) to
 * out.  `parent` must be canonical; `name` is checked with
 * pdm__uri_check_name (no limits).  PDM_OK, PDM_EINVAL, PDM_ENOMEM (the
 * buffer's allocation failed; out is then in its oom state). */
int pdm__uri_join(pdm__buf *out, const char *parent, size_t plen,
                  const char *name, size_t nlen, char *err, size_t errlen);

/* Applies the limits to a canonical path (for nodes created without a
 * received URI, e.g. from TNDS): depth, each segment's characters, and the
 * characters of the canonical spelling against max_tot_len.  PDM_OK or
 * PDM_ETOOLONG with a message.  lim may be NULL. */
int pdm__uri_check_limits(const char *path, size_t n,
                          const pdm__uri_limits *lim, char *err,
                          size_t errlen);

#endif /* PDM_TREE_URI_H */
