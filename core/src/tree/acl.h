/*
 * The OMA DM ACL property: parser, canonical formatter, fast checks,
 * editing helpers and the TND rules that need no tree.  Pure: nothing here
 * looks at the management tree; the tree passes in the ACLs it found.
 *
 * ---- Grammar (facts §6.4) ----------------------------------------------
 *
 *   acl       ::= "" | entry *( "&" entry )
 *   entry     ::= command "=" servers
 *   servers   ::= server-id *( "+" server-id )
 *   server-id ::= "*" | 1*idchar
 *   idchar    ::= printable ASCII 0x21..0x7E except "=", "&", "*", "+"
 *   command   ::= "Add" | "Delete" | "Exec" | "Get" | "Replace"
 *
 * ---- Decisions -----------------------------------------------------------
 *
 *   D1 Case: commands are case-sensitive ("get=a" is an unknown command,
 *      the message suggests "Get"); server ids are compared byte-exact.
 *   D2 Server ids are printable ASCII only (no space, no control, no byte
 *      >= 0x80): the grammar says "printable, not whitespace"; we do not
 *      guess Unicode whitespace.  pdm__acl_valid_server_id tells bootstrap
 *      code upfront whether a ServerID can ever appear in an ACL.
 *   D3 Whitespace is never trimmed: "Get=a b", " Get=a", "Get=a\n" are
 *      errors (callers that read pretty-printed XML trim first).
 *   D4 Errors, all PDM_EPARSE with a message naming the entry, the text and
 *      the byte offset (0-based):
 *        "Get="        empty server list (facts §6.4: no "Get=")
 *        "=a"          missing command
 *        "Get"         entry without "="
 *        "Get=a&", "&Get=a", "Get=a&&Add=b"   empty entry
 *        "Copy=a", "get=a"                     unknown command
 *        "Get=a b", "Get=a=b", "Get=*a"        invalid character in id
 *        "Get=a+", "Get=+a", "Get=a++b"        empty server id
 *        "Get=a&Get=b" duplicate command (test-vectors §D: the drawn Node5
 *                      ACL "Get=ServerA&Replace=ServerA&Get=ServerB" is a
 *                      malformed ACL; we do not merge)
 *      More than PDM_ACL_MAX_IDS ids in one ACL is PDM_ETOOBIG.
 *   D5 "*" together with ids ("Get=*+a", "Get=a+*") is accepted and
 *      normalised to "Get=*" (facts §6.4: "*" wins, SHOULD NOT coexist).
 *   D6 A server id repeated within one command ("Get=a+b+a") is accepted
 *      and normalised away (first occurrence kept): it means the same.
 *   D7 All-or-nothing: a parse or an edit either succeeds completely or
 *      leaves its output exactly as it was (on ENOMEM too).
 *   D8 Canonical form (pdm__acl_format): commands in the order Add, Delete,
 *      Exec, Get, Replace; ids in first-seen order; "*" alone.  Parsing
 *      the canonical form gives the same ACL (a fixed point).
 *
 * ---- Commands ------------------------------------------------------------
 *
 *   The API takes pdm_op values from <polydm/types.h>: PDM_OP_ADD,
 *   PDM_OP_DELETE, PDM_OP_EXEC, PDM_OP_GET, PDM_OP_REPLACE.  Any other op
 *   (e.g. PDM_OP_COPY: facts §6.4, no ACL entry for Copy — the session
 *   checks Get on the source and Add/Replace on the target) is never
 *   granted.  Internally commands are indexed in canonical order
 *   (pdm__acl_cmd), see pdm__acl_cmd_from_op.
 */
#ifndef PDM_TREE_ACL_H
#define PDM_TREE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Internal command index = canonical order. */
typedef enum pdm__acl_cmd {
    PDM_ACL_ADD = 0,
    PDM_ACL_DELETE,
    PDM_ACL_EXEC,
    PDM_ACL_GET,
    PDM_ACL_REPLACE,
    PDM_ACL_NCMD
} pdm__acl_cmd;

#define PDM_ACL_MAX_IDS 1024 /* ids in one ACL (all commands together) */

/* Default root ACL (facts §6.7: SHOULD be Add=*&Get=*). */
#define PDM_ACL_ROOT_DEFAULT "Add=*&Get=*"

/* A parsed ACL.  Zero-initialised (or pdm__acl_init) = the empty ACL.
 * All server ids and the pointer array live in ONE heap block (`blk_`);
 * an ACL whose entries are all "*" needs no allocation at all.
 * The struct may be moved by value (no self-pointers); copy it only with
 * pdm__acl_copy. */
typedef struct pdm__acl {
    uint8_t present; /* bit c: command c has an entry */
    uint8_t star;    /* bit c: command c is granted to "*" (then no ids) */
    uint16_t nids;   /* total ids */
    uint16_t first[PDM_ACL_NCMD]; /* ids of command c: ids[first[c]] .. */
    uint16_t count[PDM_ACL_NCMD]; /* .. ids[first[c] + count[c] - 1] */
    const char **ids; /* NUL-terminated ids, grouped by command, in order */
    void *blk_;       /* private: owns ids and their bytes */
} pdm__acl;

/* pdm_op -> internal index, -1 if the op has no ACL entry. */
int pdm__acl_cmd_from_op(int op);
/* internal index -> pdm_op (PDM_OP_NONE if out of range). */
int pdm__acl_cmd_to_op(int cmd);
/* "Add", "Delete"... for a pdm_op; NULL if the op has no ACL entry. */
const char *pdm__acl_op_name(int op);

void pdm__acl_init(pdm__acl *acl);
/* Releases the storage; acl becomes the empty ACL (reusable). */
void pdm__acl_free(pdm__acl *acl);

/* Parses a NUL-terminated ACL string (NULL reads as "").  `out` is
 * output-only (may be uninitialised, is not freed first).
 *   PDM_OK      out holds the ACL (free with pdm__acl_free)
 *   PDM_EPARSE  malformed (message in err), out is the empty ACL
 *   PDM_ETOOBIG more than PDM_ACL_MAX_IDS ids, out is empty
 *   PDM_ENOMEM  out is empty
 * One allocation at most (none if there is no id other than "*"). */
int pdm__acl_parse(const char *s, pdm__acl *out, char *err, size_t errlen);
/* Same for n bytes at s (binary-safe: a NUL byte is an invalid char). */
int pdm__acl_parsen(const char *s, size_t n, pdm__acl *out, char *err,
                    size_t errlen);

/* Appends the canonical string (D8) to b; appends nothing for the empty
 * ACL.  Check pdm__buf_ok(b). */
void pdm__acl_format(const pdm__acl *acl, pdm__buf *b);
/* Appends one entry, e.g. "Replace=ServerC", for explanations; nothing if
 * the command has no entry. */
void pdm__acl_format_entry(const pdm__acl *acl, int op, pdm__buf *b);

static inline bool pdm__acl_is_empty(const pdm__acl *acl)
{
    return acl->present == 0;
}
/* True if the ACL has an entry for op. */
bool pdm__acl_has(const pdm__acl *acl, int op);
/* True if a and b have the same canonical form (id order matters). */
bool pdm__acl_equal(const pdm__acl *a, const pdm__acl *b);

/* Is command op granted to server_id by this ACL?  Pass the EFFECTIVE ACL
 * (the node's own if non-empty, else the nearest non-empty ancestor's —
 * facts §6.5; the tree does that walk): an empty ACL grants nothing.
 * server_id NULL (no authenticated server) matches only "*".
 * *entry_index (may be NULL) receives the 0-based position, in the
 * canonical string, of the entry that decided — the command's entry,
 * whether it granted or denied — or -1 when the ACL has no entry for op
 * (denied by absence).  No allocation; cost is one strcmp per listed id. */
bool pdm__acl_allows(const pdm__acl *acl, int op, const char *server_id,
                     int *entry_index);

/* Checks one server id (not "*") against D2.  n = length. */
bool pdm__acl_valid_server_id(const char *sid, size_t n);

/* ---- editing -------------------------------------------------------------
 * All-or-nothing (D7): on any error the ACL is unchanged.  Except for
 * remove_server, each rebuilds the ACL into one new block and so may
 * return PDM_ENOMEM, or PDM_ETOOBIG if the result would hold more than
 * PDM_ACL_MAX_IDS ids. */

/* Grants op to sid ("*" allowed: then the command becomes "*" alone).
 * No-op if already granted (including through "*").  PDM_EINVAL for an
 * invalid id or an op without ACL entry. */
int pdm__acl_add_server(pdm__acl *acl, int op, const char *sid);

/* Sets op's server list from "a+b" syntax (D4-D6 apply), or removes op's
 * entry when servers is NULL or "".  PDM_EPARSE / PDM_EINVAL with message. */
int pdm__acl_set(pdm__acl *acl, int op, const char *servers, char *err,
                 size_t errlen);

/* Deleting a ServerID (facts §6.8): removes sid from every command; a
 * command left with no id is dropped — unless `is_root`, where it becomes
 * "*" (the root ACL must keep a value, §6.5/§6.8).  "*" entries are not
 * touched.  *changed: anything removed; *became_empty: the ACL had
 * entries and now has none (the node then inherits; never with is_root).
 * Both out-pointers may be NULL.  PDM_EINVAL if sid is "*" or invalid.
 * Never allocates (works in place), so never returns PDM_ENOMEM. */
int pdm__acl_remove_server(pdm__acl *acl, const char *sid, bool is_root,
                           bool *changed, bool *became_empty);

/* Union of src into dst, per command ("*" wins; ids in dst order, then
 * src's new ones). */
int pdm__acl_merge(pdm__acl *dst, const pdm__acl *src);

/* dst = copy of src.  dst is output-only (not freed first). */
int pdm__acl_copy(pdm__acl *dst, const pdm__acl *src);

/* ---- TND rules that need no tree -----------------------------------------
 * Every ACL passed here is an EFFECTIVE ACL (see pdm__acl_allows); NULL
 * reads as empty (grants nothing). */

typedef enum pdm__acl_change {
    PDM_ACL_CHANGE_DENIED = 0,
    PDM_ACL_CHANGE_BY_NODE = 1,  /* Replace on the (interior) node itself */
    PDM_ACL_CHANGE_BY_PARENT = 2 /* Replace on the parent */
} pdm__acl_change;

/* May `server` Replace the ACL property of a node (facts §6.6)?
 *  - interior node: Replace on the node OR Replace on the parent;
 *  - leaf node: Replace on the parent only (the leaf's own Replace covers
 *    its value and other properties, not its ACL);
 *  - the root has no parent: pass parent_eff = NULL; then only Replace on
 *    the root itself counts.
 * Returns how it is allowed (non-zero) or PDM_ACL_CHANGE_DENIED (0); when
 * both rules grant, BY_NODE is reported. */
pdm__acl_change pdm__acl_may_change_acl(bool is_interior,
                                        const pdm__acl *node_eff,
                                        const pdm__acl *parent_eff,
                                        const char *server);

/* The creator rule (facts §6.6, also for interior nodes created implicitly
 * by Add, [SPEC 41_ §4.1.6.1]): a new node normally gets an EMPTY ACL
 * (inherits); but an INTERIOR node added by a server lacking Replace on the
 * parent (effective ACL) gets "Add=<sid>&Delete=<sid>&Replace=<sid>".
 * Sets *out (output-only) to the ACL the new node must get: empty or the
 * creator ACL.  sid NULL (no server: local user, bootstrap, factory) never
 * triggers the rule.  PDM_EINVAL if the rule applies and sid is not a
 * valid id, PDM_ENOMEM; *out is empty on error. */
int pdm__acl_for_new_node(bool is_interior, const pdm__acl *parent_eff,
                          const char *sid, pdm__acl *out);
/* The creator ACL itself: "Add=<sid>&Delete=<sid>&Replace=<sid>". */
int pdm__acl_creator(const char *sid, pdm__acl *out);

/* Root ACL sanity (facts §6.5: root MUST always have a value; §6.7: Add
 * SHOULD stay "*", a change MAY be refused with 405).  Returns PDM_OK, or
 * PDM_ENOTALLOWED with a message when `acl` is empty, or when
 * require_add_star and Add is not granted to "*". */
int pdm__acl_check_root(const pdm__acl *acl, bool require_add_star,
                        char *err, size_t errlen);

#endif /* PDM_TREE_ACL_H */
