/*
 * The management tree (OMA DM 1.2 TND): nodes, properties, ACL enforcement
 * with explanations, authority ownership, MO handler dispatch, undo log for
 * Atomic/package rollback, and persistence through the store.
 *
 * Model
 *  - The tree lives in memory; the store (optional) holds the committed
 *    state.  Every change made between pdm__tree_begin and pdm__tree_commit
 *    is written to the store in ONE transaction.  pdm__tree_savepoint /
 *    pdm__tree_rollback_to undo changes in memory (Atomic), and
 *    pdm__tree_abort undoes the whole package.
 *  - Paths are canonical (see uri.h): no "./" prefix, root is ".".
 *    Requests take URIs as received ("./A/B?prop=ACL") and parse them.
 *  - Lookups cost O(depth): a hash of (parent, name) per node.
 *
 * Access decisions (pdm__tree_check and every operation)
 *  0. For servers, the DM account rules (tree/dmacc.h): a server reaches
 *     only its own ./DMAcc/<x>, never creates an account, never changes
 *     a ServerID (425/405, whatever the ACLs say).
 *  1. Structural rules first: unknown node (404), permanent node (405),
 *     root Delete (405), Get on ./Inbox or below (405), secrets
 *     (pdm__tree_is_secret_name) never readable (405), unsupported property op (405/406).
 *  2. Then who may do it:
 *     - a server: the node's effective ACL (nearest non-empty ACL up the
 *       tree) must grant the command to its ServerID; ACL property changes
 *       follow TND §6.6 (interior: Replace on node or parent; leaf: Replace
 *       on parent); Add checks the nearest existing ancestor;
 *     - the local user and the factory: allowed by the core (policies
 *       decide what the user may really do, e.g. ACL edits);
 *     - a bootstrap: node ACLs do not apply (TND/DM_Bootstrap), policies do.
 *  3. For servers, authority isolation (S11): a change (Add under the
 *     nearest existing node, Replace of a value or property, Delete of
 *     the node or anything below it, Exec, Copy's target) of a node that
 *     another authority created is denied (rule "isolation") unless the
 *     override hook allows it; nodes of the server's own DM account are
 *     its own whoever created them (the account rules govern them).
 *  4. Then the policy hook (profile-ordered policies, deny-overrides, fail
 *     closed), which also sees the node's owner authority.
 *  Every decision says which node and ACL entry or which rule decided; every
 *  denial and every change is appended to the audit log.
 *
 * What every write (requests, TNDS import, pdm__tree_put) must hold: a
 * value of any Format but bin is UTF-8 text that XML carries as it is (no
 * NUL, no control character but TAB/LF/CR; PDM_EINVAL, rule "value-text");
 * so are a Meta Type and a Title; a ServerID stays unique and valid
 * (tree/dmacc.h).
 */
#ifndef PDM_TREE_H
#define PDM_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/mo.h>
#include <polydm/policy.h>
#include <polydm/types.h>

#include "log/log.h"
#include "store/store.h"
#include "tree/acl.h"
#include "tree/uri.h"

typedef struct pdm__tree pdm__tree;
typedef struct pdm__node pdm__node;

/* Node flags (stored). */
enum {
    PDM_NODE_PERMANENT = 1u << 0,     /* servers cannot Add/Delete (405) */
    PDM_NODE_HANDLER_VALUE = 1u << 1, /* value from an MO handler */
    PDM_NODE_EXEC = 1u << 2,          /* Exec goes to the handler */
    PDM_NODE_NO_GET = 1u << 3,        /* Get not allowed (405) */
    PDM_NODE_NO_REPLACE = 1u << 4,    /* Replace not allowed (405) */
    PDM_NODE_SECRET = 1u << 5,        /* value never leaves the device:
                                         AAuthSecret, AAuthData */
    PDM_NODE_ADD_ONLY = 1u << 6       /* Inbox: Add only, Get → 405 */
};

/* Who performs an operation. */
typedef struct pdm__who {
    int principal;          /* pdm_principal */
    const char *server_id;  /* SERVER: the authenticated ServerID */
    const char *source;     /* BOOTSTRAP: "plugin/component" or a name */
    uint32_t req_flags;     /* PDM_REQ_* for policies */
    const char *key_pin;    /* SERVER: the verified peer's key pin, or NULL */
} pdm__who;

/* Result of an access decision, for audit and `tree explain`. */
typedef struct pdm__decision {
    int rc;              /* PDM_OK, or why not (EDENIED 425, ENOTALLOWED
                            405, ENOTFOUND 404, ETOOLONG 414, ...) */
    char rule[48];       /* "acl", "acl-parent", "permanent", "root",
                            "secret", "inbox", "local", "factory",
                            "bootstrap", "policy", "uri", "missing" ... */
    char node[256];      /* URI of the node whose ACL decided, or "" */
    char entry[192];     /* the deciding ACL entry, e.g. "Replace=ServerC",
                            "(none for Replace)" or "" */
    char component[96];  /* "acl", "core", "policy:<plugin>/<component>" */
    char reason[256];    /* one line for humans; never a secret */
} pdm__decision;

/* Records a refusal (or any outcome) in @d: rc, rule, component and the
 * reason formatted from @fmt (pdm__errf: cut to fit); node and entry are
 * left as they are.  Returns @rc; a NULL @d only returns it (core-internal
 * writes that need no explanation).  The one printf-style writer of
 * decisions: the tree, DMAcc rules, TNDS, Inbox placement and the
 * engine's policy hook use it.  Never a secret in the reason. */
int pdm__decide(pdm__decision *d, int rc, const char *rule,
                const char *component, const char *fmt, ...)
    PDM_PRINTF(5, 6);

/* Policy hook: returns PDM_OK to allow or a negative rc (usually
 * PDM_EDENIED) to deny, filling dec->component and dec->reason.  The
 * request is complete except that the tree fills uri/node_owner/
 * root_owner/op/principal/server_id. */
typedef int (*pdm__policy_fn)(void *user, const pdm_policy_req *req,
                              pdm__decision *dec);

/* Isolation hook (S11): may server @actor change the node @uri ("./A/B")
 * that authority @owner ("factory", "local", "" unknown, another
 * ServerID, "bootstrap:<source>") created, where its ACL allows it?
 * Returns PDM_OK to let it go on, or PDM_EDENIED filling dec->component
 * and dec->reason.  NULL in the config: the core default
 * (pdm__isolation_default). */
typedef int (*pdm__override_fn)(void *user, const char *actor,
                                const char *owner, const char *uri,
                                pdm__decision *dec);

/* The core's isolation default without an authority (authority.h): nodes
 * of the factory, the local user or of unknown origin follow their ACLs;
 * another server's and a bootstrap's are denied.  True = allowed. */
bool pdm__isolation_default(const char *owner);

/* MO handler hooks: `handler` is the opaque pointer given to
 * pdm__tree_declare_mo; the engine dispatches to plugins or to the core's
 * standard MOs. */
typedef struct pdm__mo_hooks {
    void *user;
    int (*get)(void *user, void *handler, const char *uri, pdm_blob *out);
    int (*replace)(void *user, void *handler, const char *uri,
                   const pdm_blob *value);
    int (*exec)(void *user, void *handler, const char *uri,
                const pdm_blob *data, const char *correlator);
    int (*notify)(void *user, void *handler, int op, const char *uri);
    /* Why the handler's last call failed, in its own words (host->
     * set_error), or NULL.  Optional. */
    const char *(*why)(void *user, void *handler);
} pdm__mo_hooks;

typedef struct pdm__tree_config {
    pdm__store *store;           /* NULL: in memory only */
    pdm__logger log;
    pdm__uri_limits limits;      /* DevDetail/URI limits (0 = unlimited) */
    pdm__policy_fn policy;       /* NULL: no policies */
    void *policy_user;
    pdm__mo_hooks mo;            /* members may be NULL */
    pdm__override_fn override;   /* NULL: pdm__isolation_default */
    void *override_user;
    bool root_add_star;          /* servers may not remove Add=* from root
                                    (TND §6.7 allows 405); default true */
    /* The authority's defaults (pdm_authority_defaults), canonical ACL
     * strings the caller keeps alive as long as the tree; NULL: the
     * spec's.  root_acl: the root ACL of a new tree, and where a root
     * command left without ids by pdm__tree_remove_server goes (TND
     * §8.3.7.1.4 "or factory default": the default's entry for that
     * command without the removed id, else the command goes; a root ACL
     * left empty becomes the default).  Without it such a command
     * becomes "*".  dmacc_acl: the ACL of ./DMAcc (PDM_DMACC_ACL). */
    const char *root_acl;
    const char *dmacc_acl;
    bool dmacc_acl_unknown;      /* the authority did not run (no plugins):
                                    pdm__dmacc_repair leaves ./DMAcc's ACL */
} pdm__tree_config;

/* The ./DMAcc ACL of this tree (cfg dmacc_acl, else PDM_DMACC_ACL). */
const char *pdm__tree_dmacc_acl(const pdm__tree *t);

/* Creates a tree and loads the store's nodes (if any).  An empty store gets
 * a root with ACL cfg->root_acl, or "Add=*&Get=*".  Returns PDM_OK, PDM_ECORRUPT (rows that
 * do not form a tree: orphans, duplicate names, bad values), PDM_EIO,
 * PDM_ENOMEM; err gets a message. */
int pdm__tree_open(pdm__tree **out, const pdm__tree_config *cfg, char *err,
                   size_t errlen);
void pdm__tree_free(pdm__tree *t);
size_t pdm__tree_count(const pdm__tree *t);
/* Changes the URI limits (e.g. after DevDetail was set up). */
void pdm__tree_set_limits(pdm__tree *t, const pdm__uri_limits *lim);
const pdm__uri_limits *pdm__tree_limits(const pdm__tree *t);

/* ---- nodes (read access for the core; no ACL checks) ------------------ */
pdm__node *pdm__tree_root(const pdm__tree *t);
/* Finds a node by canonical path ("." = root).  NULL if absent. */
pdm__node *pdm__tree_find(const pdm__tree *t, const char *path, size_t len);
/* Same for any URI form ("./A/B" or "A/B"); NULL if invalid or absent. */
pdm__node *pdm__tree_lookup(const pdm__tree *t, const char *uri);
pdm__node *pdm__node_parent(const pdm__node *n);
pdm__node *pdm__node_first_child(const pdm__node *n);
pdm__node *pdm__node_next_sibling(const pdm__node *n);
const char *pdm__node_name(const pdm__node *n);
bool pdm__node_is_interior(const pdm__node *n);
uint32_t pdm__node_format(const pdm__node *n); /* pdm_format */
uint32_t pdm__node_flags(const pdm__node *n);
const char *pdm__node_type(const pdm__node *n);  /* "" if none */
const char *pdm__node_title(const pdm__node *n); /* "" if none */
const char *pdm__node_acl(const pdm__node *n);   /* own ACL, "" if empty */
const char *pdm__node_owner(const pdm__node *n); /* "" if unknown */
int64_t pdm__node_tstamp(const pdm__node *n);
uint32_t pdm__node_verno(const pdm__node *n);
size_t pdm__node_child_count(const pdm__node *n);
/* Stored value (NULL/0 for interior or handler-valued nodes).  Borrowed. */
const uint8_t *pdm__node_value(const pdm__node *n, size_t *len);
/* AAuthSecret, AAuthData and the connectivity MO's AuthSecret,
 * BasAuthSecret, ProxySecret: names whose values never leave the device
 * (also for tools that show wire traces). */
bool pdm__tree_is_secret_name(const char *name);
/* Appends the canonical path of n to b. */
void pdm__node_path(const pdm__node *n, pdm__buf *b);
/* Effective ACL: the node's own if non-empty, else the nearest ancestor's;
 * *from gets the node that holds it. */
const pdm__acl *pdm__node_effective_acl(const pdm__node *n,
                                        const pdm__node **from);

/* ---- requests (ACL + policies enforced) ---------------------------------- */

/* One node of a ?list=Struct / ?list=StructData answer. */
typedef struct pdm__tree_list_item {
    char *uri;          /* "./a/b" */
    uint32_t format;    /* the node's Format */
    char *type;         /* the node's Type, or NULL */
    uint8_t *data;      /* StructData: the leaf's value (NULL for interior
                           nodes and secrets, which carry no Data) */
    size_t len;
} pdm__tree_list_item;

/* What a Get returns.  Allocated with pdm__malloc; free with
 * pdm__tree_result_free. */
typedef struct pdm__tree_result {
    uint8_t *data;      /* value / child list / property / TNDS document */
    size_t len;
    uint32_t format;    /* pdm_format of data (PDM_FORMAT_NODE: child list,
                           PDM_FORMAT_XML: TNDS document) */
    char *type;         /* MIME type for data (leaf Type, "text/plain",
                           TNDS MIME type) or NULL */
    pdm__tree_list_item *items; /* ?list=Struct/StructData: one per node
                                   (then data is NULL), else NULL */
    size_t nitems;
} pdm__tree_result;
void pdm__tree_result_free(pdm__tree_result *r);

/* A value to Add or Replace. */
typedef struct pdm__tree_item {
    const uint8_t *data; /* may be NULL if len == 0 */
    size_t len;
    uint32_t format;     /* pdm_format; PDM_FORMAT_NODE for interior */
    const char *type;    /* Meta Type (MIME or MO id), may be NULL */
    bool has_format;     /* Meta Format was given */
} pdm__tree_item;

/* Checks without doing anything (for `tree explain` and the session's
 * pre-checks).  op is a pdm_op; uri may carry ?prop=.  Returns dec->rc. */
int pdm__tree_check(pdm__tree *t, const pdm__who *w, int op, const char *uri,
                    pdm__decision *dec);

/* pdm__tree_check with the full explanation also for grants (node, ACL
 * entry, reason text) — for `polydm tree explain`.  pdm__tree_check fills
 * the text only for refusals, to keep the request path cheap. */
int pdm__tree_explain(pdm__tree *t, const pdm__who *w, int op,
                      const char *uri, pdm__decision *dec);

/* Get: leaf value, interior child list ("a/b/c", format node), property
 * (?prop=), or a tree export (?list= → TNDS XML).  AAuthSecret/Data: 405. */
int pdm__tree_get(pdm__tree *t, const pdm__who *w, const char *uri,
                  pdm__tree_result *out, pdm__decision *dec);
/* pdm__tree_get that stops building an answer of more than @max bytes
 * (values, URIs and Types of a Struct list, a TNDS document): PDM_ETOOBIG
 * then, with nothing allocated, so that one Get of a huge subtree cannot
 * make the device allocate without bound (a session's response budget). */
int pdm__tree_get_max(pdm__tree *t, const pdm__who *w, const char *uri,
                      size_t max, pdm__tree_result *out, pdm__decision *dec);
/* Add a node (creating missing interior parents); 418 if it exists. */
int pdm__tree_add(pdm__tree *t, const pdm__who *w, const char *uri,
                  const pdm__tree_item *item, pdm__decision *dec);
/* Replace a leaf value or a property (?prop=ACL|Name|Title). */
int pdm__tree_replace(pdm__tree *t, const pdm__who *w, const char *uri,
                      const pdm__tree_item *item, pdm__decision *dec);
/* Delete a node and its subtree. */
int pdm__tree_delete(pdm__tree *t, const pdm__who *w, const char *uri,
                     pdm__decision *dec);
/* Copy a leaf value to a leaf (created if missing). */
int pdm__tree_copy(pdm__tree *t, const pdm__who *w, const char *target,
                   const char *source, pdm__decision *dec);
/* Exec on a node; PDM_PENDING when the handler completes later. */
int pdm__tree_exec(pdm__tree *t, const pdm__who *w, const char *uri,
                   const pdm_blob *data, const char *correlator,
                   pdm__decision *dec);

/* ---- core-internal writes (no ACL, no policy; still audited) ----------- */
/* Creates or updates a node as `owner` ("factory", "local", "bootstrap:x",
 * a ServerID): used for standard MOs, declared MO nodes and bootstrap.
 * Missing parents are created as interior nodes.  value may be NULL. */
int pdm__tree_put(pdm__tree *t, const char *path, uint32_t format,
                  uint32_t flags, const char *type, const char *acl,
                  const uint8_t *value, size_t len, const char *owner);
/* pdm__tree_put for a leaf value that must not follow the open package
 * (a nonce the peer has seen): written to the store at once in its own
 * transaction, and kept in memory by pdm__tree_abort and
 * pdm__tree_rollback_to.  The rest of the node stays as committed.  A
 * missing leaf is created under an existing parent.  A leaf (or parent)
 * that the open package itself created follows the package, as with
 * pdm__tree_put.  Outside a transaction it is pdm__tree_put.  Returns
 * PDM_OK, PDM_ENOTFOUND (no parent), PDM_EEXISTS (an interior node),
 * PDM_EIO/PDM_ENOSPC (store), PDM_ENOMEM. */
int pdm__tree_put_durable(pdm__tree *t, const char *path, uint32_t format,
                          uint32_t flags, const uint8_t *value, size_t len,
                          const char *owner);
/* Binds the subtree at `path` (existing) to an MO handler. */
int pdm__tree_declare_mo(pdm__tree *t, const char *path, void *handler);
/* Removes `server_id` from every ACL of the tree (TND §6.8): as
 * pdm__tree_scrub_server_id without a replacement, in a transaction of
 * its own when none is open. */
int pdm__tree_remove_server(pdm__tree *t, const char *server_id,
                            size_t *changed_nodes);
/* ---- whole-tree edits of the local user's operations (tree/scrub.c) ----
 * Core-internal like the writes above but without audit rows (the caller
 * writes its operation's one row), and only inside a transaction
 * (PDM_EINVAL outside one): each is undo-logged and undone completely on
 * failure. */

/* Deleting a ServerID (TND §8.3.7.1.4, facts §6.8): every ACL of the tree
 * loses @sid; a command left without ids goes, an ACL left empty becomes
 * inherited; a ROOT command left without ids follows the same fallback as
 * pdm__tree_remove_server (pdm__tree_config::root_acl: the authority's
 * default's entry for it, without @sid, or it goes, and a root ACL left
 * empty becomes that default or the spec's; without an authority default
 * "*").  With @replacement (a transfer) every entry of @sid becomes
 * @replacement instead, in its place, or just goes where @replacement is
 * already listed; nothing is left empty.  "*" entries are untouched.  The
 * account node of @sid itself (./DMAcc/<x>) is skipped: its ACL is the
 * DMAcc rule's (dmacc.h).  TStamp/VerNo of each changed node are bumped.
 * *changed (may be NULL) counts the nodes changed.  Returns PDM_OK,
 * PDM_EINVAL (invalid id, @replacement equal to @sid, no transaction),
 * PDM_ENOMEM. */
int pdm__tree_scrub_server_id(pdm__tree *t, const char *sid,
                              const char *replacement, size_t *changed);
/* Every node of the subtree at canonical @path (NULL: the whole tree)
 * created by authority @from becomes @to's (node owner: a bootstrap's
 * nodes become the account's, a transfer's A's become B's), but none in
 * the subtree at canonical @skip_path (NULL: none).  *changed (may be
 * NULL) counts them.  PDM_OK, PDM_ENOTFOUND (no @path), PDM_EINVAL,
 * PDM_ENOMEM. */
int pdm__tree_reassign_owner(pdm__tree *t, const char *path, const char *from,
                             const char *to, const char *skip_path,
                             size_t *changed);
/* A ServerID leaves the device (its account was deleted): it is scrubbed
 * from every ACL (pdm__tree_scrub_server_id), the nodes it created become
 * @heir's (the deleter: a ServerID, "local", "bootstrap:<source>"), and it
 * stops owning root if it did.  *scrubbed and *reassigned (may be NULL)
 * count the nodes.  PDM_OK, PDM_EINVAL, PDM_ENOMEM; undone on failure. */
int pdm__tree_forget_server(pdm__tree *t, const char *sid, const char *heir,
                            size_t *scrubbed, size_t *reassigned);
/* Appends to @out the top-most nodes created by @owner as "./A;./B/C"
 * (nothing when there are none).  Check pdm__buf_ok(out). */
void pdm__tree_owned_subtrees(const pdm__tree *t, const char *owner,
                              pdm__buf *out);
/* Removes the subtree at @path (no ACL, no policy, no MO notification:
 * for the core's own nodes such as a DM account); the parent's
 * TStamp/VerNo are bumped.  PDM_OK, PDM_ENOTFOUND, PDM_ENOTALLOWED (the
 * root), PDM_EINVAL (no transaction), PDM_ENOMEM. */
int pdm__tree_remove(pdm__tree *t, const char *path);

/* Sets a node's ACL without access checks (authority decisions, local ACL
 * edit after its policy check).  Validates the ACL (PDM_EPARSE), root
 * rules (PDM_ENOTALLOWED for an empty root ACL). */
int pdm__tree_set_acl(pdm__tree *t, const char *path, const char *acl,
                      char *err, size_t errlen);

/* Sets the authority that created the node at canonical @path (a
 * ServerID, "local", "factory", "bootstrap:<source>"; NULL: unknown), the
 * owner the isolation rule (S11) protects.  Undo-logged: part of the
 * current transaction.  Not the root owner (pdm__tree_set_root_owner).
 * Returns PDM_OK, PDM_ENOTFOUND, PDM_ENOMEM. */
int pdm__tree_set_owner(pdm__tree *t, const char *path, const char *owner);

/* True for a node owner that is a ServerID (not "", "factory", "local" or
 * "bootstrap:..."). */
bool pdm__owner_is_server(const char *owner);

/* ---- the tree's stored facts ------------------------------------------------
 * Facts that are no node, kept with the tree: changed through the undo
 * log (pdm__tree_abort and pdm__tree_rollback_to restore them), written to
 * the store by the commit that changed them (one transaction with the
 * nodes), loaded by pdm__tree_open.  Outside a transaction a change is
 * its own transaction, committed at once (PDM_EIO/PDM_ENOSPC then). */

/* The root owner: a ServerID, or NULL when nobody owns root.  Its own
 * fact, not the root node's creator.  A store written before the fact
 * existed is migrated at open: a root node whose owner is a ServerID (the
 * old bootstrap grant code set it so) gives the root owner, and the root
 * node becomes the factory's again.  Borrowed until the next change. */
const char *pdm__tree_root_owner(const pdm__tree *t);
/* Sets the root owner (NULL: nobody).  Does not check that an account
 * exists (the caller does).  Returns PDM_OK, PDM_EINVAL (not a ServerID:
 * "", "factory", "local", "bootstrap:..."), PDM_ENOMEM. */
int pdm__tree_set_root_owner(pdm__tree *t, const char *server_id);

/* Generic facts: @key and @value are one line of text without a tab
 * (@key non-empty).  get: the value (borrowed until the next change) or
 * NULL.  set: @value NULL removes the key; PDM_OK, PDM_EINVAL, PDM_ENOMEM.
 * each: calls @cb for every key starting with @prefix (NULL: all), in no
 * particular order, until it returns non-zero (returned). */
const char *pdm__tree_meta_get(const pdm__tree *t, const char *key);
int pdm__tree_meta_set(pdm__tree *t, const char *key, const char *value);
int pdm__tree_meta_each(const pdm__tree *t, const char *prefix,
                        int (*cb)(void *user, const char *key,
                                  const char *value),
                        void *user);

/* ---- transactions --------------------------------------------------------- */
/* Starts a package (or a local change).  Nested calls are an error. */
int pdm__tree_begin(pdm__tree *t);
/* Marks the current point of the undo log (for Atomic). */
size_t pdm__tree_savepoint(const pdm__tree *t);
/* Undoes every change after sp, in memory. */
void pdm__tree_rollback_to(pdm__tree *t, size_t sp);
/* Writes the package's changes and audit entries in one store transaction.
 * On failure the package is undone in memory and PDM_EIO/PDM_ENOSPC is
 * returned -- also when an audit row of the package could not be written
 * earlier (pdm__tree_audit): no change is stored without its rows. */
int pdm__tree_commit(pdm__tree *t);
/* Undoes the whole package in memory; audit entries are still written. */
void pdm__tree_abort(pdm__tree *t);
bool pdm__tree_in_transaction(const pdm__tree *t);

/* ---- audit ------------------------------------------------------------------ */
/* Records an audit entry: inside a transaction it is queued in a buffer of
 * the tree and written with the commit or abort (the rows of a package too
 * many for the buffer are written before it, in a transaction of their
 * own, as an abort writes them too); outside a transaction at once.  It
 * allocates nothing, so out of memory never loses a row; a store failure
 * is logged and makes the package's commit fail.  Nothing is recorded on
 * a read-only store.  principal may be NULL (→ from w). */
void pdm__tree_audit(pdm__tree *t, const pdm__who *w, const char *op,
                     const char *uri, const pdm__decision *dec);
/* "server:<id>", "local", "factory", "bootstrap:<source>" for w. */
void pdm__who_format(const pdm__who *w, char *buf, size_t size);

/* TNDS MIME types. */
#define PDM_MIME_TNDS_XML "application/vnd.syncml.dmtnds+xml"
#define PDM_MIME_TNDS_WBXML "application/vnd.syncml.dmtnds+wbxml"

/* Format names ("chr", "node", ...) and back (-1 if unknown). */
const char *pdm__format_name(uint32_t format);
int pdm__format_from_name(const char *name, size_t len);

#endif /* PDM_TREE_H */
