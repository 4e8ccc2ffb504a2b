/*
 * DM account rules in the tree (see dmacc.h).
 */
#include "tree/dmacc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tree/tree_int.h"

static const char server_id_name[] = "ServerID";

/* The reason starts with the rule's name: the audit log keeps the reason,
 * not the rule field.  RULE is a string literal (joined to the format). */
#define deny(dec, rc, rule, ...) \
    pdm__decide(dec, rc, rule, "core", rule ": " __VA_ARGS__)

pdm__node *pdm__dmacc_root(const pdm__tree *t)
{
    return pdm__tree_child(t, t->root, "DMAcc", 5);
}

pdm__node *pdm__dmacc_account_of(const pdm__tree *t, const pdm__node *n)
{
    const pdm__node *dm = pdm__dmacc_root(t);
    if (!dm)
        return NULL;
    for (; n && n->parent; n = n->parent)
        if (n->parent == dm)
            return (pdm__node *)n;
    return NULL;
}

const uint8_t *pdm__dmacc_server_id(const pdm__tree *t, const pdm__node *acc,
                                    size_t *len)
{
    const pdm__node *l = pdm__tree_child(t, acc, server_id_name,
                                         sizeof server_id_name - 1);
    *len = 0;
    if (!l || l->format == PDM_FORMAT_NODE || !l->has_value)
        return NULL;
    *len = l->value_len;
    return l->value;
}

static bool sid_is(const pdm__tree *t, const pdm__node *acc, const void *sid,
                   size_t len)
{
    size_t n;
    const uint8_t *v = pdm__dmacc_server_id(t, acc, &n);
    return v && n == len && memcmp(v, sid, len) == 0;
}

int pdm__dmacc_find(const pdm__tree *t, const char *sid, pdm__node **acc,
                    pdm__node **dup)
{
    pdm__node *dm = pdm__dmacc_root(t), *found = NULL;
    size_t len = sid ? strlen(sid) : 0;
    *acc = NULL;
    if (dup)
        *dup = NULL;
    for (pdm__node *c = dm ? dm->first : NULL; c && sid; c = c->next) {
        if (!sid_is(t, c, sid, len))
            continue;
        if (found) {
            *acc = found;
            if (dup)
                *dup = c;
            return PDM_EEXISTS;
        }
        found = c;
    }
    *acc = found;
    return found ? PDM_OK : PDM_ENOTFOUND;
}

int pdm__dmacc_check_server_id(const pdm__tree *t, const pdm__node *acc,
                               const uint8_t *v, size_t len,
                               pdm__decision *dec)
{
    const pdm__node *dm = pdm__dmacc_root(t);
    if (!v || !pdm__acl_valid_server_id((const char *)v, len))
        return deny(dec, PDM_EINVAL, "server-id-invalid",
                    "a ServerID is printable ASCII without blanks, '=', "
                    "'&', '*' or '+' (it names the server in ACLs)");
    for (const pdm__node *c = dm ? dm->first : NULL; c; c = c->next)
        if (c != acc && sid_is(t, c, v, len))
            return deny(dec, PDM_EEXISTS, "server-id-unique",
                        "ServerID '%.*s' already belongs to the account "
                        "./DMAcc/%.64s",
                        (int)(len > 64 ? 64 : len), (const char *)v, c->name);
    return PDM_OK;
}

static bool seg_is(const pdm__uri *u, size_t i, const char *s, size_t n)
{
    return pdm__uri_seg_len(u, i) == n &&
           memcmp(pdm__uri_seg_name(u, i), s, n) == 0;
}

int pdm__dmacc_server_rule(const pdm__tree *t, const pdm__who *w, int op,
                           const pdm__uri *u, pdm__decision *dec)
{
    const pdm__node *dm, *acc;
    const char *me = w->server_id ? w->server_id : "(unauthenticated)";
    const char *name;
    bool prop = u->query == PDM_URI_Q_PROP;

    if (u->nseg == 0 || !seg_is(u, 0, "DMAcc", 5))
        return PDM_OK;
    if (u->nseg == 1) {
        if (op == PDM_OP_REPLACE && prop && u->prop == PDM_URI_PROP_ACL)
            return deny(dec, PDM_EDENIED, "dmacc-acl",
                        "no server changes the ACL of ./DMAcc: accounts "
                        "come only from a bootstrap or the local user");
        return PDM_OK;
    }
    name = pdm__uri_seg_name(u, 1);
    dm = pdm__dmacc_root(t);
    acc = dm ? pdm__tree_child(t, dm, name, pdm__uri_seg_len(u, 1)) : NULL;
    if (!acc && op == PDM_OP_ADD)
        return deny(dec, PDM_EDENIED, "account-create",
                    "%.64s may not create the account ./DMAcc/%.64s: "
                    "accounts come only from a bootstrap or the local user",
                    me, name);
    if (!acc || !w->server_id ||
        !sid_is(t, acc, w->server_id, strlen(w->server_id)))
        return deny(dec, PDM_EDENIED, "account-isolation",
                    "./DMAcc/%.64s is not the account of %.64s; a server "
                    "reaches only its own account",
                    name, me);
    if (u->nseg == 2 && op == PDM_OP_REPLACE && prop &&
        u->prop == PDM_URI_PROP_NAME)
        return deny(dec, PDM_ENOTALLOWED, "account-name",
                    "the account node ./DMAcc/%.64s cannot be renamed by a "
                    "server",
                    name);
    if (u->nseg == 3 &&
        seg_is(u, 2, server_id_name, sizeof server_id_name - 1) &&
        op != PDM_OP_GET)
        return deny(dec, PDM_ENOTALLOWED, "server-id-immutable",
                    "no server may change a ServerID (./DMAcc/%.64s/ServerID "
                    "is Get-only)",
                    name);
    return PDM_OK;
}

bool pdm__dmacc_visible(const pdm__tree *t, const pdm__who *w,
                        const pdm__node *c)
{
    if (w->principal != PDM_PRINCIPAL_SERVER)
        return true;
    return w->server_id && sid_is(t, c, w->server_id, strlen(w->server_id));
}

/* True when the ACL is non-empty and every id it names is sid. */
static bool names_only(const pdm__acl *a, const char *sid)
{
    if (pdm__acl_is_empty(a) || a->star)
        return false;
    for (unsigned i = 0; i < a->nids; i++)
        if (strcmp(a->ids[i], sid) != 0)
            return false;
    return true;
}

static void audit_acl(pdm__tree *t, const pdm__node *n, const char *acl)
{
    static const pdm__who core = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    pdm__decision d;
    pdm__buf b;
    char fb[300];
    memset(&d, 0, sizeof d);
    pdm__strlcpy(d.rule, "dmacc-acl", sizeof d.rule);
    pdm__strlcpy(d.component, "core", sizeof d.component);
    snprintf(d.reason, sizeof d.reason,
             "dmacc-acl: the core set the ACL to '%.180s'", acl);
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "./");
    pdm__node_path(n, &b);
    pdm__buf_puts(&b, "?prop=ACL");
    /* out of memory: the row still names the node, by its last two
     * segments (an account: ".../DMAcc/<name>"), not "./DMAcc" */
    if (!pdm__buf_ok(&b))
        snprintf(fb, sizeof fb, ".../%.120s/%.120s?prop=ACL",
                 n->parent ? n->parent->name : "", n->name);
    pdm__tree_audit(t, &core, "Replace",
                    pdm__buf_ok(&b) ? (const char *)b.data : fb, &d);
    pdm__buf_free(&b);
}

static int set_acl(pdm__tree *t, pdm__node *n, const char *acl)
{
    char err[160];
    int rc = pdm__tree_touch(t, n);
    if (rc == PDM_OK)
        rc = pdm__node_set_acl(n, acl, err, sizeof err);
    if (rc == PDM_OK) {
        pdm__node_bump(n);
        audit_acl(t, n, acl);
    }
    return rc;
}

/* *did: the ACL was changed. */
static int account_acl(pdm__tree *t, pdm__node *acc, bool *did)
{
    size_t len;
    const uint8_t *v = pdm__dmacc_server_id(t, acc, &len);
    char sid[256], acl[800];
    if (!v || len >= sizeof sid || !pdm__acl_valid_server_id((const char *)v, len))
        return PDM_OK; /* no identity: no server reaches it anyway */
    memcpy(sid, v, len);
    sid[len] = '\0';
    if (names_only(&acc->acl, sid))
        return PDM_OK;
    snprintf(acl, sizeof acl, "Delete=%s&Get=%s&Replace=%s", sid, sid, sid);
    *did = true;
    return set_acl(t, acc, acl);
}

int pdm__dmacc_set_account_acl(pdm__tree *t, pdm__node *acc)
{
    bool did = false;
    return account_acl(t, acc, &did);
}

int pdm__dmacc_repair(pdm__tree *t, size_t *changed)
{
    pdm__node *dm = pdm__dmacc_root(t);
    size_t count = 0;
    bool began = !pdm__tree_in_transaction(t) && pdm__tree_begin(t) == PDM_OK;
    int rc = PDM_OK;
    if (dm && !t->cfg.dmacc_acl_unknown &&
        !pdm__streq(dm->acl_str, pdm__tree_dmacc_acl(t))) {
        rc = set_acl(t, dm, pdm__tree_dmacc_acl(t));
        count += rc == PDM_OK;
    }
    for (pdm__node *c = dm ? dm->first : NULL; c && rc == PDM_OK; c = c->next) {
        bool did = false;
        size_t len;
        const uint8_t *v = pdm__dmacc_server_id(t, c, &len);
        rc = account_acl(t, c, &did);
        count += did;
        /* A store from before the rule may hold an identity twice: say
         * so once, at the first account carrying it. */
        for (const pdm__node *d = c->next; v && d; d = d->next)
            if (sid_is(t, d, v, len)) {
                pdm__logf(&t->cfg.log, PDM_LOG_WARN, "tree",
                          "./DMAcc/%s and ./DMAcc/%s carry the same ServerID "
                          "'%.*s': its sessions are refused until one of "
                          "them is changed or deleted",
                          c->name, d->name, (int)(len > 64 ? 64 : len),
                          (const char *)v);
                break;
            }
    }
    if (began) {
        if (rc == PDM_OK)
            rc = pdm__tree_commit(t);
        else
            pdm__tree_abort(t);
    }
    if (changed)
        *changed = rc == PDM_OK ? count : 0;
    return rc;
}
