/*
 * Whole-tree edits for the local user's operations (engine/local.c):
 * scrubbing a ServerID out of every ACL (TND §8.3.7.1.4, facts §6.8),
 * optionally handing its entries to another ServerID (a transfer), moving
 * the nodes one authority created to another, finding the top-most nodes
 * an authority created, and removing a subtree without a request.
 *
 * Everything here is core-internal: no ACL check, no policy, no audit
 * row (the caller decided and writes the one row of its operation).
 * Every change is undo-logged, so it belongs to the caller's transaction
 * and a failure half-way leaves nothing behind.
 */
#include <string.h>

#include "tree/dmacc.h"
#include "tree/tree_int.h"
#include "util/util.h"

/* Appends to @b the ids of command @c of @a joined by '+' ("*" when the
 * command is granted to everyone). */
static void put_ids(pdm__buf *b, const pdm__acl *a, int c)
{
    if (a->star >> c & 1u) {
        pdm__buf_putc(b, '*');
        return;
    }
    for (unsigned k = 0; k < a->count[c]; k++)
        pdm__buf_printf(b, "%s%s", k ? "+" : "", a->ids[a->first[c] + k]);
}

static bool cmd_has(const pdm__acl *a, int c, const char *sid)
{
    for (unsigned k = 0; k < a->count[c]; k++)
        if (strcmp(a->ids[a->first[c] + k], sid) == 0)
            return true;
    return false;
}

/* The root fallback of TND §8.3.7.1.4, the same as
 * pdm__tree_remove_server's (tree.h, pdm__tree_config::root_acl): with
 * the authority's default root ACL a command left without ids takes the
 * default's entry (without the removed id) or goes, and a root ACL left
 * empty becomes the default (without the removed id), or the spec's;
 * without one such a command becomes "*". */
typedef struct root_fb {
    bool have;    /* the authority gave a default root ACL */
    pdm__acl def; /* it, without the removed id */
} root_fb;

/* Writes the scrubbed form of @a into @b (the canonical text, "" for an
 * empty ACL); *changed tells whether @sid was in it.  @root is the
 * fallback of root commands (NULL: not the root). */
static void scrub_acl(const pdm__acl *a, const char *sid, const char *repl,
                      const root_fb *root, pdm__buf *b, bool *changed)
{
    size_t start = b->len;
    *changed = false;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        bool has, repl_there;
        size_t mark;
        if (!(a->present >> c & 1u))
            continue;
        mark = b->len;
        pdm__buf_printf(b, "%s%s=", b->len > start ? "&" : "",
                        pdm__acl_op_name(pdm__acl_cmd_to_op(c)));
        /* "*" entries are not touched (facts §6.8): they name nobody. */
        has = !(a->star >> c & 1u) && cmd_has(a, c, sid);
        if (!has) {
            put_ids(b, a, c);
            continue;
        }
        *changed = true;
        repl_there = repl && cmd_has(a, c, repl);
        {
            unsigned kept = 0;
            for (unsigned k = 0; k < a->count[c]; k++) {
                const char *id = a->ids[a->first[c] + k];
                if (strcmp(id, sid) == 0) {
                    /* A transfer: the new authority takes the old one's
                     * place, once. */
                    if (!repl || repl_there)
                        continue;
                    id = repl;
                }
                pdm__buf_printf(b, "%s%s", kept++ ? "+" : "", id);
            }
            if (kept)
                continue;
        }
        /* The command lost its only id. */
        if (!root || (root->have && !(root->def.present >> c & 1u)))
            b->len = mark; /* dropped */
        else if (root->have)
            put_ids(b, &root->def, c);
        else
            pdm__buf_putc(b, '*');
    }
    if (root && b->len == start) {
        /* The root must keep a value (TND §8.3.7.1.1). */
        if (root->have && !pdm__acl_is_empty(&root->def))
            pdm__acl_format(&root->def, b);
        else
            pdm__buf_puts(b, PDM_ACL_ROOT_DEFAULT);
    }
    pdm__buf_putc(b, '\0');
}

/* Is @n the account node of @sid (./DMAcc/<x> whose ServerID is @sid)?
 * Its own ACL is the DMAcc rule's (dmacc.h), not the scrub's. */
static bool own_account(const pdm__tree *t, const pdm__node *n,
                        const char *sid)
{
    const pdm__node *dm = pdm__dmacc_root(t);
    const uint8_t *v;
    size_t len;
    if (!dm || n->parent != dm)
        return false;
    v = pdm__dmacc_server_id(t, n, &len);
    return v && len == strlen(sid) && memcmp(v, sid, len) == 0;
}

typedef struct scrub_job {
    pdm__tree *t;
    const char *sid, *repl;
    root_fb root;
    pdm__buf buf;
    size_t count;
} scrub_job;

static int scrub_node(scrub_job *j, pdm__node *n)
{
    if (!pdm__acl_is_empty(&n->acl) && !own_account(j->t, n, j->sid)) {
        bool changed;
        char err[160];
        int rc;
        pdm__buf_reset(&j->buf);
        scrub_acl(&n->acl, j->sid, j->repl, n->parent ? NULL : &j->root,
                  &j->buf, &changed);
        if (!pdm__buf_ok(&j->buf))
            return PDM_ENOMEM;
        if (changed) {
            rc = pdm__tree_touch(j->t, n);
            if (rc == PDM_OK)
                rc = pdm__node_set_acl(n, (const char *)j->buf.data, err,
                                       sizeof err);
            if (rc != PDM_OK)
                return rc;
            pdm__node_bump(n); /* TND §8.3.5: TStamp/VerNo follow */
            j->count++;
        }
    }
    for (pdm__node *c = n->first; c; c = c->next) {
        int rc = scrub_node(j, c);
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

int pdm__tree_scrub_server_id(pdm__tree *t, const char *sid,
                              const char *replacement, size_t *changed)
{
    scrub_job j;
    char err[160];
    size_t sp;
    int rc;

    if (changed)
        *changed = 0;
    if (!t || !sid || !pdm__acl_valid_server_id(sid, strlen(sid)) ||
        (replacement && (!pdm__acl_valid_server_id(replacement,
                                                   strlen(replacement)) ||
                         strcmp(replacement, sid) == 0)))
        return PDM_EINVAL;
    if (!pdm__tree_in_transaction(t))
        return PDM_EINVAL; /* one transaction with the rest of the change */
    memset(&j, 0, sizeof j);
    j.t = t;
    j.sid = sid;
    j.repl = replacement;
    pdm__acl_init(&j.root.def);
    if ((j.root.have = t->cfg.root_acl != NULL)) {
        /* Canonical already (the engine checked it at open). */
        rc = pdm__acl_parse(t->cfg.root_acl, &j.root.def, err, sizeof err);
        if (rc == PDM_OK)
            rc = pdm__acl_remove_server(&j.root.def, sid, false, NULL, NULL);
        if (rc != PDM_OK) {
            pdm__acl_free(&j.root.def);
            return rc == PDM_ENOMEM ? rc : PDM_EINVAL;
        }
    }
    pdm__buf_init(&j.buf);
    sp = pdm__tree_savepoint(t);
    rc = scrub_node(&j, t->root);
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    else if (changed)
        *changed = j.count;
    pdm__buf_free(&j.buf);
    pdm__acl_free(&j.root.def);
    return rc;
}

/* ---- owners ----------------------------------------------------------------- */

static int reassign(pdm__tree *t, pdm__node *n, const char *from,
                    const char *to, const pdm__node *skip, size_t *count)
{
    if (n == skip)
        return PDM_OK;
    if (n->owner && strcmp(n->owner, from) == 0) {
        int rc = pdm__tree_touch(t, n);
        if (rc != PDM_OK)
            return rc;
        n->owner = to;
        (*count)++;
    }
    for (pdm__node *c = n->first; c; c = c->next) {
        int rc = reassign(t, c, from, to, skip, count);
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

int pdm__tree_reassign_owner(pdm__tree *t, const char *path, const char *from,
                             const char *to, const char *skip_path,
                             size_t *changed)
{
    const pdm__node *skip = skip_path ? pdm__tree_lookup(t, skip_path) : NULL;
    pdm__node *top;
    const char *o;
    size_t count = 0, sp;
    int rc;

    if (changed)
        *changed = 0;
    if (!t || !from || !to || !*from || !*to || !pdm__tree_in_transaction(t))
        return PDM_EINVAL;
    if (!(top = path ? pdm__tree_lookup(t, path) : t->root))
        return PDM_ENOTFOUND;
    if (!(o = pdm__tree_intern(t, to)))
        return PDM_ENOMEM;
    sp = pdm__tree_savepoint(t);
    rc = reassign(t, top, from, o, skip, &count);
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    else if (changed)
        *changed = count;
    return rc;
}

int pdm__tree_forget_server(pdm__tree *t, const char *sid, const char *heir,
                            size_t *scrubbed, size_t *reassigned)
{
    size_t sp;
    int rc;
    const char *ro;

    if (scrubbed)
        *scrubbed = 0;
    if (reassigned)
        *reassigned = 0;
    if (!t || !sid || !*sid || !heir || !*heir || !pdm__tree_in_transaction(t))
        return PDM_EINVAL;
    sp = pdm__tree_savepoint(t);
    rc = pdm__tree_scrub_server_id(t, sid, NULL, scrubbed);
    /* The nodes it created must not wait for the next account that
     * claims the same ServerID (any bootstrap may name any ServerID):
     * they pass to whoever deleted it. */
    if (rc == PDM_OK)
        rc = pdm__tree_reassign_owner(t, NULL, sid, heir, NULL, reassigned);
    if (rc == PDM_OK && (ro = pdm__tree_root_owner(t)) && strcmp(ro, sid) == 0)
        rc = pdm__tree_set_root_owner(t, NULL);
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    return rc;
}

static void subtrees(const pdm__node *n, const char *owner, pdm__buf *out)
{
    if (n->owner && strcmp(n->owner, owner) == 0) {
        /* Top-most: what lies below is part of it. */
        pdm__buf_printf(out, "%s./", out->len ? ";" : "");
        if (n->parent)
            pdm__node_path(n, out);
        else
            out->len--; /* the root is "." */
        return;
    }
    for (const pdm__node *c = n->first; c; c = c->next)
        subtrees(c, owner, out);
}

void pdm__tree_owned_subtrees(const pdm__tree *t, const char *owner,
                              pdm__buf *out)
{
    if (t && owner && *owner)
        subtrees(t->root, owner, out);
}

/* ---- removal ----------------------------------------------------------------- */

int pdm__tree_remove(pdm__tree *t, const char *path)
{
    pdm__node *n = pdm__tree_lookup(t, path);
    size_t sp;
    int rc;
    if (!n)
        return PDM_ENOTFOUND;
    if (!n->parent)
        return PDM_ENOTALLOWED; /* the root stays */
    if (!pdm__tree_in_transaction(t))
        return PDM_EINVAL;
    sp = pdm__tree_savepoint(t);
    rc = pdm__tree_touch(t, n->parent);
    if (rc == PDM_OK) {
        pdm__node_bump(n->parent);
        rc = pdm__tree_detach(t, n);
    }
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    return rc;
}
