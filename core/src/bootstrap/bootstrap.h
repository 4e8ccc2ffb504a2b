/*
 * The bootstrap pipeline (DM_Bootstrap 1.2, ProvBoot/ProvCont; omadm-facts
 * §7.4, §8, §9).  All of it is core code: the documents are hostile input
 * on the path that decides who controls the device (DESIGN.md §3).
 *
 *   bootstrap.c  pdm_ctx_bootstrap_submit/_scan/_pending: limits, SEC/MAC,
 *                policy, apply in one transaction, on_bootstrap, audit,
 *                the pending client-initiated sessions
 *   cp.c         OMA CP wap-provisioningdoc (XML and WBXML) → prov tree →
 *                fragment (w7 → DMAcc, NAPDEF/PXLOGICAL → ConnMO)
 *   dmprof.c     DM-profile message (SyncML DM, Add/Replace, TNDS inside)
 *                → fragment
 *   frag.c       the fragment type
 *   place.c      Inbox placement, unique names, ConnMO renames and the
 *                rewrite of the document's own references
 *
 * The stages meet in one data type, the fragment: what a document wants
 * done to the tree, in document order, before anything is done.  Decoders
 * produce it without touching the tree; placement rewrites its URIs to
 * their final places (reading the tree only to find free names); the
 * pipeline applies it with the bootstrap principal inside one tree
 * transaction, so a refusal at any stage leaves tree and store unchanged.
 */
#ifndef PDM_BOOTSTRAP_H
#define PDM_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/bootstrap.h>
#include <polydm/types.h>

#include "codec/el.h"
#include "tree/tree.h"
#include "util/util.h"

/* MO identifiers the placement knows (DDF MO ids; the Type property of
 * the MO's root node). */
#define PDM__MOID_DMACC "urn:oma:mo:oma-dm-dmacc:1.0"
#define PDM__MOID_DMACC_W7 "org.openmobilealliance/1.0/w7" /* DM 1.2 DDF
                                        form, used by Funambol and others */
#define PDM__MOID_CONNMO "urn:oma:mo:oma-dm-connmo:1.0"

/* Limits of one document (besides bootstrap.max_bytes on its size). */
#define PDM__BS_MAX_NODES 2048 /* fragment nodes */
#define PDM__BS_MAX_MOS 32     /* MO instances (accounts, ConnMOs, ...) */
#define PDM__BS_MAX_DEPTH 16   /* CP characteristic / TNDS nesting */

/* One node a document wants created or replaced. */
typedef struct pdm__bs_node {
    int op;           /* PDM_OP_ADD or PDM_OP_REPLACE */
    char *uri;        /* absolute, "./A/B" form: as in the document until
                         placement, final afterwards */
    uint32_t format;  /* pdm_format; PDM_FORMAT_NODE for interior nodes */
    char *type;       /* Meta Type (an MO root: its MO identifier), or NULL */
    char *acl;        /* ACL property given by the document (TNDS), or
                         NULL (the grant decides) */
    uint8_t *data;    /* value (leaves), or NULL; wiped when freed */
    size_t len;
    bool secret;      /* AAuthSecret/AAuthData: never in messages */
} pdm__bs_node;

typedef struct pdm__bs_frag {
    pdm__bs_node *v;
    size_t n, cap;
} pdm__bs_frag;

void pdm__bs_frag_init(pdm__bs_frag *f);
/* Frees every node (values wiped). */
void pdm__bs_frag_free(pdm__bs_frag *f);
/* Appends a copy of the given node (uri, type, acl, data copied; NULLs
 * allowed except uri).  Returns PDM_OK, PDM_ETOOBIG (over
 * PDM__BS_MAX_NODES), PDM_ENOMEM. */
int pdm__bs_frag_add(pdm__bs_frag *f, int op, const char *uri,
                     uint32_t format, const char *type, const char *acl,
                     const void *data, size_t len);

/* Writes the message into @err (when @err and @errlen) and returns @rc:
 * the stages' error reporting.  Never give it a secret. */
int pdm__bs_err(char *err, size_t errlen, int rc, const char *fmt, ...)
    PDM_PRINTF(4, 5);

/* ---- decoders (no tree access) ----------------------------------------- */

/* A parsed OMA CP document: characteristics with parms, nested. */
typedef struct pdm__prov_parm {
    char *name;  /* "APPID", ... as in the document (XML) or the token's
                    name (WBXML) */
    char *value; /* NULL when absent */
} pdm__prov_parm;

typedef struct pdm__prov_char {
    char *type; /* "APPLICATION", "NAPDEF", ... */
    pdm__prov_parm *parms;
    size_t nparms;
    struct pdm__prov_char *kids;
    size_t nkids;
} pdm__prov_char;

typedef struct pdm__prov_doc {
    char *version;          /* the version attribute, e.g. "1.0" */
    pdm__prov_char *chars;  /* top-level characteristics */
    size_t nchars;
} pdm__prov_doc;

/* cp.c: parses an OMA CP document.  @wbxml selects the form (WBXML public
 * id 0x0B or the literal "-//WAPFORUM//DTD PROV 1.0//EN"/1.1 id; XML:
 * root wap-provisioningdoc).  Decodes both AAUTHTYPE token ranges (0x80-
 * 0x83 and 0x90-0x93, facts §9.3).  Returns PDM_OK, PDM_EPARSE (err says
 * what and where: byte offset or line), PDM_ETOOBIG (nesting/count
 * limits), PDM_ENOMEM. */
int pdm__cp_parse(const uint8_t *buf, size_t len, bool wbxml,
                  pdm__prov_doc **out, char *err, size_t errlen);
void pdm__cp_free(pdm__prov_doc *d);
/* The document as canonical XML (the unit and fuzz tests compare parses
 * with it): secret parm values (AAUTHSECRET, AAUTHDATA, AUTHSECRET,
 * PXAUTH-PW, BASAUTH-PW, PROXY-PW) are written as "***" unless
 * @with_secrets. */
int pdm__cp_to_xml(const pdm__prov_doc *d, bool with_secrets, pdm__buf *out);
/* Maps the document to a fragment under ./Inbox (facts §9.2; the layout
 * of the ConnMO subtree is in docs/cp-mapping.md): each w7 APPLICATION
 * becomes ./Inbox/<name> typed PDM__MOID_DMACC, each NAPDEF and PXLOGICAL
 * a ./Inbox/<name> typed PDM__MOID_CONNMO; TO-NAPID/TO-PROXY become
 * PrefConRef (one) or ToConRef/<x>/ConRef (several) holding
 * "./Inbox/<name>" of the referenced characteristic in this document (an
 * unknown NAPID/PROXY-ID is kept as written: an implementation id).
 * Returns PDM_OK, PDM_EFORMAT (a w7 without PROVIDER-ID or address, an
 * AAUTHLEVEL it cannot map, ...: err names the characteristic),
 * PDM_ETOOBIG (over PDM__BS_MAX_MOS MOs or PDM__BS_MAX_NODES nodes),
 * PDM_ENOMEM. */
int pdm__cp_map(const pdm__prov_doc *d, pdm__bs_frag *out, char *err,
                size_t errlen);

/* dmprof.c: decodes a DM-profile bootstrap message (SyncML DM 1.2, WBXML
 * or XML): its Add and Replace commands (also inside Atomic/Sequence),
 * each item's value or embedded TNDS (XML or WBXML, whatever the Meta
 * Type says: Funambol declares +xml and sends WBXML) become fragment
 * nodes, in order.  Any other command (Get, Delete, Exec, Copy, Alert,
 * ...) refuses the document: a bootstrap only creates.  Header checks:
 * VerDTD 1.2, VerProto DM/1.2.  Returns PDM_OK, PDM_EPARSE/PDM_EFORMAT
 * (err names the command and item), PDM_ETOOBIG, PDM_ENOMEM. */
int pdm__dmprof_decode(const uint8_t *buf, size_t len, bool wbxml,
                       pdm__bs_frag *out, char *err, size_t errlen);

/* dmprof.c: ONE Add/Replace item as fragment nodes, read exactly as
 * pdm__dmprof_decode reads each item of a message; shared with the
 * session's Inbox placement (session/exec.c), so a server's Add to
 * ./Inbox and a bootstrap message see the same bytes the same way.
 * @op: PDM_OP_ADD or PDM_OP_REPLACE.  @target: the item's Target LocURI.
 * @format, @type: its Meta Format and Type (item's, else the command's),
 * or NULL.  @mgmttree: a MgmtTree element inside Data (TNDS as XML
 * elements), or NULL.  @data/@len: the Data text (a TNDS in XML or WBXML
 * when @type is a TNDS MIME type, base64 when @format is b64);
 * @has_data: the item has a Data element (an Add without Data and Format
 * is an interior node).  All borrowed for the call.  Appends to @out;
 * on failure @out may hold part of the item (the caller frees it).
 * Returns PDM_OK, PDM_EINVAL (bad arguments), PDM_EPARSE/PDM_EFORMAT (err
 * names the item and what), PDM_ETOOBIG, PDM_ENOMEM. */
int pdm__dmprof_item(int op, const char *target, const char *format,
                     const char *type, const pdm__el *mgmttree,
                     const uint8_t *data, size_t len, bool has_data,
                     pdm__bs_frag *out, char *err, size_t errlen);

/* ---- placement (reads the tree, changes only the fragment) -------------- */

typedef enum pdm__bs_mo_kind {
    PDM__BS_MO_DMACC,
    PDM__BS_MO_CONNMO,
    PDM__BS_MO_OTHER /* known location, added as it is (not in Inbox) */
} pdm__bs_mo_kind;

/* One MO instance of the document, after placement. */
typedef struct pdm__bs_mo {
    pdm__bs_mo_kind kind;
    char *from;        /* its root as the document named it */
    char *root;        /* its final root, e.g. "./DMAcc/1" */
    char *server_id;   /* DMAcc: its ServerID */
    char *address;     /* DMAcc: its first AppAddr/<x>/Addr, or NULL */
    char *replaces;    /* DMAcc: root of the existing account with the same
                          ServerID it replaces (bootstrap.replace_existing),
                          or NULL */
} pdm__bs_mo;

typedef struct pdm__bs_placed {
    pdm__bs_mo *mos;
    size_t nmos;
    /* What was left out, one line each ("./Inbox/X: unknown MO id
     * 'urn:foo'"), for the audit row; "" when nothing. */
    char dropped[256];
} pdm__bs_placed;

void pdm__bs_placed_free(pdm__bs_placed *p);

/* Moves every MO the fragment adds to ./Inbox to where its MO identifier
 * says (DMAcc → ./DMAcc/<x>, x its name if free and valid else the
 * lowest free decimal; ConnMO → ./ConnMO/<name>, renamed "<name>-2", ...
 * when the name is taken: S15), rewrites every value in the fragment that
 * names a moved root or a node below it ("./Inbox/<path>", PrefConRef,
 * ToConRef/<x>/ConRef) to the final place, gives repeated dynamic names
 * inside one MO (two AppAuth/Client, Funambol) unique ones, and drops MOs
 * it does not know (recorded in out->dropped).  A DMAcc whose ServerID an
 * existing account has: with @replace_existing, placed at that account's
 * root with ->replaces set; else PDM_EEXISTS.  Two accounts with one
 * ServerID in the document, a DMAcc without ServerID, a node outside any
 * MO root it can place (e.g. "./Foo" that does not exist), an Add of a
 * node that exists, or a Replace of a node the document does not create
 * (a bootstrap never merges into existing data; an existing account is
 * changed only by bootstrapping it again with replace_existing):
 * PDM_EFORMAT / PDM_EEXISTS with err naming the URI.  A Replace of a node
 * the document itself adds just sets its value.  Nothing stays in the
 * Inbox (Get there stays 405).  Used by the pipeline and by a session's
 * Add to ./Inbox (session/exec.c, replace_existing false).  Returns
 * PDM_OK, those, PDM_ENOMEM. */
int pdm__bs_place(pdm__tree *t, pdm__bs_frag *f, bool replace_existing,
                  pdm__bs_placed *out, char *err, size_t errlen);

#endif /* PDM_BOOTSTRAP_H */
