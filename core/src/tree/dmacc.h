/*
 * DM accounts (./DMAcc/<x>, the DM 1.2 layout; the tree has no legacy
 * ./SyncML/DMAcc) and the rules that make a ServerID an identity.  The
 * tree enforces them on every path that writes or reads a node, so that
 * sessions, TNDS import, Copy, `polydm tree` and a bootstrap all get
 * them:
 *
 *   unique      no two accounts carry the same ServerID: a write that
 *               would make one is refused, whoever writes (418,
 *               rule "server-id-unique");
 *   valid       a ServerID is a chr leaf whose value is a valid ACL
 *               server id (printable ASCII without = & * + or blanks),
 *               so that ACLs naming it mean exactly it (400,
 *               "server-id-invalid");
 *   immutable   no server Adds, Replaces, Deletes or renames a ServerID
 *               leaf (the DMAcc DDF makes it Get-only; 405,
 *               "server-id-immutable"), nor renames an account node
 *               (405, "account-name");
 *   isolation   a server reaches only the account whose ServerID is its
 *               own, whatever the ACLs say: any other ./DMAcc/<x>/...,
 *               existing or not, is 425 ("account-isolation"); the child
 *               list of ./DMAcc and ?list= exports show it only its own;
 *   creation    a server never creates an account (425,
 *               "account-create"): accounts come from a bootstrap or the
 *               local user, and policies decide those;
 *   ACLs        ./DMAcc has the ACL "Get=*" (or the authority's,
 *               pdm__tree_dmacc_acl) and no server changes it
 *               (425, "dmacc-acl"); each account node has its own ACL
 *               naming only its ServerID (default
 *               "Delete=<id>&Get=<id>&Replace=<id>", DM_Bootstrap's
 *               rights).  The core sets them when an account gets its
 *               ServerID and repairs them when a writable context opens
 *               (pdm__dmacc_repair); the rules above hold without them.
 *
 * Refusals name the rule at the start of the decision's reason, which is
 * what the audit log records.  Local, bootstrap and factory principals
 * are bound by "unique" and "valid" only (policies decide the rest).
 */
#ifndef PDM_TREE_DMACC_H
#define PDM_TREE_DMACC_H

#include "tree/tree.h"

#define PDM_DMACC_ACL "Get=*" /* the spec's; see pdm__tree_dmacc_acl */

/* ./DMAcc, or NULL when the tree has none. */
pdm__node *pdm__dmacc_root(const pdm__tree *t);
/* The account node (child of ./DMAcc) that n is or lies in; NULL if n is
 * not inside an account. */
pdm__node *pdm__dmacc_account_of(const pdm__tree *t, const pdm__node *n);
/* The ServerID of account node acc (its ServerID leaf's stored value,
 * binary-safe: *len bytes), or NULL when it has none. */
const uint8_t *pdm__dmacc_server_id(const pdm__tree *t, const pdm__node *acc,
                                    size_t *len);

/* The account whose ServerID is sid (exact bytes).  Returns PDM_OK with
 * *acc set, PDM_ENOTFOUND, or PDM_EEXISTS when two accounts carry it:
 * the tree is ambiguous and nobody may pick one (*acc and *dup are the
 * first two; dup may be NULL). */
int pdm__dmacc_find(const pdm__tree *t, const char *sid, pdm__node **acc,
                    pdm__node **dup);

/* May account `acc` (NULL: an account still to be created, e.g. by a
 * bootstrap before it writes anything) carry the ServerID v[0..len)?
 * Returns PDM_OK, PDM_EINVAL ("valid" rule) or PDM_EEXISTS ("unique"
 * rule, another account carries it); dec (may be NULL) says which rule
 * and which account.  The tree calls it on every ServerID write; a
 * bootstrap calls it before it starts. */
int pdm__dmacc_check_server_id(const pdm__tree *t, const pdm__node *acc,
                               const uint8_t *v, size_t len,
                               pdm__decision *dec);

/* The "isolation", "creation", "immutable" and "dmacc-acl" rules for a
 * server principal doing op on the parsed URI u.  PDM_OK when no rule
 * applies (the ACLs and policies still decide). */
int pdm__dmacc_server_rule(const pdm__tree *t, const pdm__who *w, int op,
                           const pdm__uri *u, pdm__decision *dec);
/* False when child c of ./DMAcc is an account w may not see (child lists
 * of ./DMAcc). */
bool pdm__dmacc_visible(const pdm__tree *t, const pdm__who *w,
                        const pdm__node *c);

/* Gives account acc its ACL after it got the ServerID sid: kept when it
 * names only sid, else replaced by the default (audited as a core rule).
 * Part of the current transaction. */
int pdm__dmacc_set_account_acl(pdm__tree *t, pdm__node *acc);
/* Sets ./DMAcc's ACL and every account's (see above) where they differ
 * from the rule; *changed (may be NULL) counts the nodes changed.  For
 * writable contexts at load; inside or outside a transaction. */
int pdm__dmacc_repair(pdm__tree *t, size_t *changed);

#endif /* PDM_TREE_DMACC_H */
