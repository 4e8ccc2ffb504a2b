/*
 * Tree exchange: TNDS (OMA DM Tree and Description Serialization) export
 * and import, XML and WBXML, and the `?list=Struct|StructData|TNDS`
 * results of Get.
 *
 * Export walks the subtree and includes only nodes the principal may Get
 * (and never the values of secret nodes such as AAuthSecret); import is
 * all-or-nothing: it runs inside a tree savepoint and creates each node
 * through the normal tree operations, so ACLs, policies and the creator
 * rule apply exactly as for single Adds.
 */
#ifndef PDM_TREE_TNDS_H
#define PDM_TREE_TNDS_H

#include "codec/el.h"
#include "tree/tree.h"

/* What to include in an export. */
typedef struct pdm__tnds_opts {
    int list;        /* pdm__uri_list: STRUCT (names + Format),
                        STRUCTDATA (+ values), TNDS (props by mask) */
    uint32_t props;  /* PDM_URI_PROP_BIT mask for TNDS lists */
    bool wbxml;      /* encode as WBXML (DDF code page) instead of XML */
    bool pretty;     /* XML: indented (CLI) */
    bool redact;     /* local exports: secret values shown as "*****"
                        instead of omitted */
    size_t max_bytes; /* a document that grows past this (its element
                         model or its encoding) is refused: PDM_ETOOBIG;
                         0 = no limit */
} pdm__tnds_opts;

/* Exports the subtree at canonical @path as a TNDS document into @out.
 * Nodes @w may not Get are left out (with their subtree).  Returns PDM_OK,
 * PDM_ENOTFOUND, PDM_EDENIED (no Get on @path itself), PDM_ETOOBIG (over
 * opts->max_bytes), PDM_ENOMEM; @dec says why. */
int pdm__tnds_export(pdm__tree *t, const pdm__who *w, const char *path,
                     const pdm__tnds_opts *opts, pdm__buf *out,
                     pdm__decision *dec);

/* ?list=Struct / ?list=StructData: the subtree at canonical @path as one
 * item per node, in document order (the node itself first).  Nodes @w may
 * not Get are left out with their subtree, secrets carry no value.  Fills
 * @out->items/nitems.  Items whose URIs, Types and values add up to more
 * than @max bytes are not built: PDM_ETOOBIG.  Returns PDM_OK,
 * PDM_ENOTFOUND, PDM_EDENIED, PDM_ETOOBIG, PDM_ENOMEM; @dec says why. */
int pdm__tnds_list(pdm__tree *t, const pdm__who *w, const char *path,
                   bool with_data, size_t max, pdm__tree_result *out,
                   pdm__decision *dec);

/* One Node of a TNDS document as pdm__tnds_walk hands it to its visitor.
 * Everything is borrowed for the duration of the call. */
typedef struct pdm__tnds_node {
    const char *path;    /* target [/ Path] / NodeName, as the document
                            spells it ("." for the root); NodeName is a
                            valid node name, Path is not checked */
    uint32_t format;     /* pdm_format (no Format: chr with a Value, else
                            node) */
    const char *type;    /* RTProperties Type (MIME or DDFName), or NULL */
    const char *acl;     /* RTProperties ACL as written, or NULL */
    const char *title;   /* RTProperties Title, or NULL */
    const uint8_t *data; /* Value (bin: base64-decoded unless OPAQUE), or
                            NULL; data[len] is readable and NUL except
                            for decoded bin values */
    size_t len;
} pdm__tnds_node;

/* Visitor: PDM_OK to go on, anything else stops the walk (fill dec). */
typedef int (*pdm__tnds_visit_fn)(void *user, const pdm__tnds_node *n,
                                  pdm__decision *dec);

/* Parses the MgmtTree element node by node (parents before children, in
 * document order) without touching any tree: the one TNDS parser, used by
 * the import below and by the bootstrap decoder.  Checks each Node
 * (NodeName present and valid under @lim, no NUL in names or properties,
 * known Format, no Value on interior nodes, no children under leaves,
 * base64 of bin Values) and the nesting (@max_depth levels below the
 * MgmtTree).  Returns PDM_OK or the first failure with dec->reason
 * saying what and where: PDM_EFORMAT (not a MgmtTree, unknown Format),
 * PDM_EPARSE (no NodeName), PDM_EINVAL, PDM_ETOOLONG (nesting), PDM_ENOMEM,
 * or the visitor's rc. */
int pdm__tnds_walk(const pdm__el *mgmttree, const char *target,
                   const pdm__uri_limits *lim, size_t max_depth,
                   pdm__tnds_visit_fn fn, void *user, pdm__decision *dec);

/* Imports a TNDS document (XML or WBXML, detected from the bytes) under
 * canonical @target (the MgmtTree's top-level nodes become children of
 * @target; a Path element is relative to @target).  All-or-nothing.
 * Returns PDM_OK or the rc of the first failing node (dec names it):
 * PDM_EPARSE/PDM_EFORMAT for a malformed document, PDM_EEXISTS,
 * PDM_EDENIED, ... */
int pdm__tnds_import(pdm__tree *t, const pdm__who *w, const char *target,
                     const uint8_t *data, size_t len, pdm__decision *dec);
/* Same from an already decoded MgmtTree element (e.g. TNDS embedded as XML
 * elements inside a SyncML <Data>). */
int pdm__tnds_import_el(pdm__tree *t, const pdm__who *w, const char *target,
                        const pdm__el *mgmttree, pdm__decision *dec);

#endif
