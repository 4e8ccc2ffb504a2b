/*
 * Requests on the management tree with their access decisions: Get, Add,
 * Replace, Delete, Copy, Exec and ?prop= access, plus the core-internal
 * writes (pdm__tree_put, set_acl, remove_server).
 *
 * Every request goes through decide(): structural rules (TND), then the
 * ACL for servers (or the spec's rule for local/bootstrap/factory
 * principals), then the policy hook.  The decision records which node and
 * ACL entry, or which rule, decided, so `polydm tree explain` and the audit
 * log can say why.
 */
#include "tree/tree_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codec/codec.h"
#include "tree/dmacc.h"
#include "tree/tnds.h"

static const char *const format_names[] = {
    "node", "chr", "int", "bool", "bin", "b64", "null", "xml", "date",
    "time", "float"};

const char *pdm__format_name(uint32_t format)
{
    return format < PDM__ARRAY_LEN(format_names) ? format_names[format]
                                                  : "unknown";
}

int pdm__format_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < PDM__ARRAY_LEN(format_names); i++)
        if (strlen(format_names[i]) == len &&
            strncmp(format_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

static const char *op_name(int op)
{
    switch (op) {
    case PDM_OP_GET: return "Get";
    case PDM_OP_ADD: return "Add";
    case PDM_OP_REPLACE: return "Replace";
    case PDM_OP_DELETE: return "Delete";
    case PDM_OP_EXEC: return "Exec";
    case PDM_OP_COPY: return "Copy";
    }
    return "?";
}

/* Empties a decision.  Only the heads of its text buffers: the struct is
 * large and cleared on every request. */
static void dec_clear(pdm__decision *d)
{
    d->rc = 0;
    d->rule[0] = d->node[0] = d->entry[0] = d->component[0] = '\0';
    d->reason[0] = '\0';
}

int pdm__decide(pdm__decision *d, int rc, const char *rule,
                const char *component, const char *fmt, ...)
{
    va_list ap;
    if (!d) /* core-internal writes need only the rc */
        return rc;
    d->rc = rc;
    pdm__strlcpy(d->rule, rule, sizeof d->rule);
    pdm__strlcpy(d->component, component, sizeof d->component);
    va_start(ap, fmt);
    pdm__verrf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
    return rc;
}

/* Same without formatting, for constant texts on hot paths. */
static int dec_text(pdm__decision *d, int rc, const char *rule,
                    const char *component, const char *text)
{
    d->rc = rc;
    pdm__strlcpy(d->rule, rule, sizeof d->rule);
    pdm__strlcpy(d->component, component, sizeof d->component);
    pdm__strlcpy(d->reason, text, sizeof d->reason);
    return rc;
}

/* Path of a node as "./A/B" (root ".") into a fixed buffer, cut to fit.
 * Without allocating: the URI a policy is asked about must not become
 * "?" when memory is short (pdm__node_path's walk, 256 levels). */
static void node_uri(const pdm__node *n, char *buf, size_t size)
{
    const pdm__node *chain[256];
    size_t depth = 0, pos = 0;
    if (size < 2) {
        if (size)
            buf[0] = '\0';
        return;
    }
    for (const pdm__node *c = n; c->parent && depth < 256; c = c->parent)
        chain[depth++] = c;
    buf[pos++] = '.';
    while (depth-- > 0) {
        const char *p = chain[depth]->name;
        if (pos < size - 1)
            buf[pos++] = '/';
        while (*p && pos < size - 1)
            buf[pos++] = *p++;
    }
    buf[pos] = '\0';
}

/* "./path" of a parsed URI ("." for the root) into buf, cut to fit. */
static void uri_dot(const pdm__uri *u, char *buf, size_t size)
{
    size_t n = u->len;
    if ((n == 1 && u->path[0] == '.') || size < 4) {
        pdm__strlcpy(buf, ".", size);
        return;
    }
    if (n > size - 3)
        n = size - 3;
    buf[0] = '.';
    buf[1] = '/';
    pdm__memcpy_small(buf + 2, u->path, n);
    buf[n + 2] = '\0';
}

/* Parses a request URI with the tree's limits. */
static int parse_uri(pdm__tree *t, const char *uri, pdm__uri *u,
                     pdm__decision *dec)
{
    char err[200];
    int rc;
    if (!uri)
        return pdm__decide(dec, PDM_EINVAL, "uri", "core", "no target URI");
    rc = pdm__uri_parse(u, uri, strlen(uri), &t->cfg.limits, err, sizeof err);
    if (rc != PDM_OK) {
        if (rc == PDM_EPARSE)
            rc = PDM_EINVAL;
        return pdm__decide(dec, rc, "uri", "core", "%s", err);
    }
    return PDM_OK;
}

/* Nearest existing node along u's path; *missing = segments not found. */
static pdm__node *nearest(const pdm__tree *t, const pdm__uri *u,
                          size_t *missing)
{
    pdm__node *n = t->root;
    size_t i;
    for (i = 0; i < u->nseg; i++) {
        pdm__node *c = pdm__tree_child(t, n, pdm__uri_seg_name(u, i),
                                       pdm__uri_seg_len(u, i));
        if (!c)
            break;
        n = c;
    }
    *missing = u->nseg - i;
    return n;
}

static bool under_flag(const pdm__node *n, uint32_t f)
{
    for (; n; n = n->parent)
        if (n->flags & f)
            return true;
    return false;
}

/* The ACL step for a server on node n (whose effective ACL applies). */
static int acl_grants(const pdm__who *w, int op, const pdm__node *n,
                      const char *what, bool verbose, pdm__decision *dec)
{
    const pdm__node *from;
    const pdm__acl *eff = pdm__node_effective_acl(n, &from);
    int idx = -1;
    bool ok = eff && pdm__acl_allows(eff, op, w->server_id, &idx);
    char nu[256];
    pdm__buf e;

    /* A grant on the hot path needs no text: nothing reads it unless the
     * caller asked for an explanation. */
    if (ok && !verbose) {
        dec->rc = PDM_OK;
        memcpy(dec->rule, "acl", 4);
        memcpy(dec->component, "acl", 4);
        return PDM_OK;
    }

    node_uri(from ? from : n, nu, sizeof nu);
    pdm__strlcpy(dec->node, nu, sizeof dec->node);
    pdm__buf_init(&e);
    if (eff)
        pdm__acl_format_entry(eff, op, &e);
    if (!pdm__buf_ok(&e)) /* the audit row says so, not "(no entry)" */
        snprintf(dec->entry, sizeof dec->entry, "(the %s entry: out of "
                 "memory to show it)",
                 pdm__acl_op_name(op) ? pdm__acl_op_name(op) : "?");
    else if (e.len)
        pdm__strlcpy(dec->entry, (char *)e.data, sizeof dec->entry);
    else
        snprintf(dec->entry, sizeof dec->entry, "(no %s entry)",
                 pdm__acl_op_name(op) ? pdm__acl_op_name(op) : "?");
    pdm__buf_free(&e);
    if (ok)
        return pdm__decide(dec, PDM_OK, "acl", "acl",
                           "%s granted to %s by %s of %s%s", what, w->server_id,
                           dec->entry, nu, from == n ? "" : " (inherited)");
    return pdm__decide(dec, PDM_EDENIED, "acl", "acl",
                       "%s not granted to %s: the ACL of %s%s has %s", what,
                       w->server_id ? w->server_id : "(unauthenticated)", nu,
                       from == n ? "" : " (inherited)", dec->entry);
}

/* Step 2 for principals other than servers. */
static int principal_rule(const pdm__who *w, pdm__decision *dec)
{
    switch (w->principal) {
    case PDM_PRINCIPAL_LOCAL:
        return dec_text(dec, PDM_OK, "local", "core",
                        "local user: node ACLs do not apply; policies decide");
    case PDM_PRINCIPAL_FACTORY:
        return dec_text(dec, PDM_OK, "factory", "core",
                        "factory configuration");
    case PDM_PRINCIPAL_BOOTSTRAP:
        return dec_text(dec, PDM_OK, "bootstrap", "core",
                        "bootstrap: node ACLs do not apply (DM_Bootstrap); "
                        "policies decide");
    }
    return dec_text(dec, PDM_EDENIED, "principal", "core",
                    "no authenticated principal");
}

/* Step 3: the policy hook. */
static int ask_policies(pdm__tree *t, const pdm__who *w, int op,
                        const char *path, const pdm__node *owner_node,
                        const char *detail, pdm__decision *dec)
{
    pdm_policy_req req;
    pdm__decision pd;
    int rc;
    if (!t->cfg.policy)
        return PDM_OK;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = (uint32_t)op;
    req.principal = (uint32_t)w->principal;
    req.flags = w->req_flags;
    req.server_id = w->server_id;
    req.uri = path;
    req.node_owner = owner_node ? owner_node->owner : NULL;
    req.root_owner = pdm__tree_root_owner(t);
    req.source = w->source;
    req.detail = detail;
    req.key_pin = w->key_pin;
    dec_clear(&pd);
    rc = t->cfg.policy(t->cfg.policy_user, &req, &pd);
    if (rc == PDM_OK)
        return PDM_OK;
    /* A policy refusal replaces the ACL's grant as the deciding step. */
    dec->rc = rc < 0 ? rc : PDM_EDENIED;
    pdm__strlcpy(dec->rule, pd.rule[0] ? pd.rule : "policy", sizeof dec->rule);
    pdm__strlcpy(dec->component, pd.component[0] ? pd.component : "policy",
                 sizeof dec->component);
    pdm__strlcpy(dec->reason, pd.reason[0] ? pd.reason : "denied by policy",
                 sizeof dec->reason);
    return dec->rc;
}

/* The target of a request: *node gets the target node (or NULL), *anc
 * the nearest existing ancestor for Add. */
typedef struct target {
    pdm__uri u;
    bool parsed;
    pdm__node *node;   /* existing target, or NULL */
    pdm__node *anc;    /* nearest existing node along the path */
    size_t missing;    /* segments below anc that do not exist */
} target;

/* ---- authority isolation (S11) -------------------------------------------- */

bool pdm__isolation_default(const char *owner)
{
    return !owner || !*owner || strcmp(owner, "factory") == 0 ||
           strcmp(owner, "local") == 0;
}

/* Is n inside the DM account of server w?  Its nodes are the server's
 * whoever created them (a bootstrap, the factory, an older build): the
 * account rules (dmacc.h) already decide who reaches an account. */
static bool own_account(const pdm__tree *t, const pdm__who *w,
                        const pdm__node *n)
{
    const pdm__node *acc = pdm__dmacc_account_of(t, n);
    const uint8_t *sid;
    size_t len = 0;
    if (!acc || !w->server_id)
        return false;
    sid = pdm__dmacc_server_id(t, acc, &len);
    return sid && len == strlen(w->server_id) &&
           memcmp(sid, w->server_id, len) == 0;
}

/* Is the owner of n someone else than server w? */
static bool foreign(const pdm__who *w, const pdm__node *n)
{
    const char *o = n->owner ? n->owner : "";
    return !w->server_id || strcmp(o, w->server_id) != 0;
}

/* One question: may w's op change n, created by another authority? */
static int iso_ask(pdm__tree *t, const pdm__who *w, int op, const char *what,
                   const pdm__node *n, pdm__decision *dec)
{
    const char *owner = n->owner ? n->owner : "";
    const char *actor = w->server_id ? w->server_id : "(unauthenticated)";
    char nu[256], comp[sizeof dec->component], why[160];
    pdm__decision od;

    node_uri(n, nu, sizeof nu);
    why[0] = '\0';
    if (t->cfg.override) {
        dec_clear(&od);
        if (t->cfg.override(t->cfg.override_user, actor, owner, nu, &od) ==
            PDM_OK)
            return PDM_OK;
        pdm__strlcpy(comp, od.component[0] ? od.component : "core",
                     sizeof comp);
        pdm__strlcpy(why, od.reason, sizeof why);
    } else if (pdm__isolation_default(owner)) {
        return PDM_OK;
    } else {
        pdm__strlcpy(comp, "core", sizeof comp);
    }
    pdm__strlcpy(dec->node, nu, sizeof dec->node);
    dec->entry[0] = '\0';
    return pdm__decide(dec, PDM_EDENIED, "isolation", comp,
                       "isolation: %.64s may not %s %.100s: created by %.64s, "
                       "another authority%s%.150s",
                       actor, what, nu, owner[0] ? owner : "(unknown)",
                       why[0] ? ": " : "", why);
}

/* Step 3 for a server: the isolation rule over every node op changes.
 * A Delete asks once per distinct owner in the subtree (owners are
 * interned: one pointer per authority). */
static int isolation(pdm__tree *t, const pdm__who *w, int op,
                     const pdm__uri *u, const target *tg, pdm__decision *dec)
{
    const pdm__node *n = op == PDM_OP_ADD ? tg->anc : tg->node;
    const char *what = op == PDM_OP_ADD        ? "add below"
                       : op == PDM_OP_DELETE   ? "delete"
                       : op == PDM_OP_EXEC     ? "execute"
                       : u->query == PDM_URI_Q_PROP
                           ? (u->prop == PDM_URI_PROP_ACL ? "change the ACL of"
                                                          : "change a property of")
                           : "replace";
    const char **asked = NULL;
    size_t nasked = 0, cap = 0;
    int rc = PDM_OK;

    if (op == PDM_OP_GET || !n)
        return PDM_OK;
    /* The common case first: a server changing its own node. */
    if (op != PDM_OP_DELETE && !foreign(w, n))
        return PDM_OK;
    if (own_account(t, w, n))
        return PDM_OK;
    if (op != PDM_OP_DELETE)
        return iso_ask(t, w, op, what, n, dec);
    /* Delete: the node and everything below it, depth first. */
    for (const pdm__node *c = n; c && rc == PDM_OK;) {
        if (foreign(w, c)) {
            size_t i = 0;
            while (i < nasked && asked[i] != c->owner)
                i++;
            if (i == nasked) {
                if (nasked == cap) {
                    size_t nc = cap ? cap * 2 : 8;
                    const char **na = pdm__realloc(asked, nc * sizeof(*na));
                    if (!na) {
                        rc = pdm__decide(dec, PDM_ENOMEM, "isolation", "core",
                                         "out of memory");
                        break;
                    }
                    asked = na;
                    cap = nc;
                }
                asked[nasked++] = c->owner;
                rc = iso_ask(t, w, op, what, c, dec);
            }
        }
        if (c->first) {
            c = c->first;
            continue;
        }
        while (c != n && !c->next)
            c = c->parent;
        c = c == n ? NULL : c->next;
    }
    pdm__free(asked);
    return rc;
}

/* The full decision for op on the URI. */
static int decide(pdm__tree *t, const pdm__who *w, int op, const char *uri,
                  target *tg, const char *detail, bool verbose,
                  pdm__decision *dec)
{
    int rc;
    pdm__uri *u = &tg->u;
    char turi[256];
    bool keep_uri;

    dec_clear(dec);
    tg->parsed = false;
    tg->node = tg->anc = NULL;
    tg->missing = 0;
    if ((rc = parse_uri(t, uri, u, dec)) != PDM_OK)
        return rc;
    tg->parsed = true;
    tg->anc = nearest(t, u, &tg->missing);
    tg->node = tg->missing ? NULL : tg->anc;
    uri_dot(u, dec->node, sizeof dec->node);

    /* 0. Account rules (dmacc.h): before anything that would tell a
     * server whether a node of another account exists. */
    if (w->principal == PDM_PRINCIPAL_SERVER &&
        (rc = pdm__dmacc_server_rule(t, w, op, u, dec)) != PDM_OK)
        return rc;

    /* 1. Structural rules.  Below the Inbox nothing is ever stored (an
     * Add there is placed elsewhere, session/exec.c): every other
     * command is 405 there, for a missing node too (facts §7.4). */
    if (op != PDM_OP_ADD && !tg->node &&
        under_flag(tg->anc, PDM_NODE_ADD_ONLY))
        return pdm__decide(dec, PDM_ENOTALLOWED, "inbox", "core",
                           "%s is in the Inbox, which only accepts Add",
                           dec->node);
    if (op != PDM_OP_ADD && !tg->node)
        return pdm__decide(dec, PDM_ENOTFOUND, "missing", "core",
                           "%s does not exist", dec->node);
    switch (op) {
    case PDM_OP_GET:
        if (under_flag(tg->node, PDM_NODE_ADD_ONLY))
            return pdm__decide(dec, PDM_ENOTALLOWED, "inbox", "core",
                               "%s is in the Inbox, which only accepts Add",
                               dec->node);
        if ((tg->node->flags & PDM_NODE_SECRET) &&
            (u->query == PDM_URI_Q_NONE ||
             (u->query == PDM_URI_Q_PROP && u->prop == PDM_URI_PROP_SIZE)))
            return pdm__decide(dec, PDM_ENOTALLOWED, "secret", "core",
                               "%s is a secret and never leaves the device",
                               dec->node);
        if ((tg->node->flags & PDM_NODE_NO_GET) && u->query == PDM_URI_Q_NONE)
            return pdm__decide(dec, PDM_ENOTALLOWED, "access-type", "core",
                               "Get is not supported on %s", dec->node);
        if (u->query == PDM_URI_Q_PROP && u->prop == PDM_URI_PROP_SIZE &&
            tg->node->format == PDM_FORMAT_NODE)
            return pdm__decide(dec, PDM_ENOTSUP, "property", "core",
                               "interior nodes have no Size property");
        break;
    case PDM_OP_ADD:
        if (u->query != PDM_URI_Q_NONE)
            return pdm__decide(dec, PDM_ENOTALLOWED, "property", "core",
                               "properties cannot be added");
        if (tg->node)
            return pdm__decide(dec, PDM_EEXISTS, "exists", "core",
                               "%s already exists", dec->node);
        if (tg->anc->format != PDM_FORMAT_NODE) {
            char a[256];
            node_uri(tg->anc, a, sizeof a);
            return pdm__decide(dec, PDM_ENOTALLOWED, "leaf-parent", "core",
                               "%s is a leaf and cannot have children", a);
        }
        break;
    case PDM_OP_REPLACE:
        if (u->query == PDM_URI_Q_LIST)
            return pdm__decide(dec, PDM_ENOTALLOWED, "property", "core",
                               "?list= is only valid with Get");
        if (under_flag(tg->node, PDM_NODE_ADD_ONLY))
            return pdm__decide(dec, PDM_ENOTALLOWED, "inbox", "core",
                               "%s is in the Inbox, which only accepts Add",
                               dec->node);
        if (u->query == PDM_URI_Q_PROP) {
            switch (u->prop) {
            case PDM_URI_PROP_ACL:
            case PDM_URI_PROP_TITLE:
                break;
            case PDM_URI_PROP_NAME:
                if (!tg->node->parent ||
                    (tg->node->flags & PDM_NODE_PERMANENT))
                    return pdm__decide(dec, PDM_ENOTALLOWED, "permanent",
                                       "core",
                                       "%s is permanent and cannot be renamed",
                                       dec->node);
                break;
            default:
                return pdm__decide(dec, PDM_ENOTALLOWED, "property", "core",
                                   "the %s property cannot be replaced",
                                   pdm__uri_prop_name(u->prop));
            }
        } else if (tg->node->flags & PDM_NODE_NO_REPLACE) {
            return pdm__decide(dec, PDM_ENOTALLOWED, "access-type", "core",
                               "Replace is not supported on %s", dec->node);
        }
        break;
    case PDM_OP_DELETE:
        if (u->query != PDM_URI_Q_NONE)
            return pdm__decide(dec, PDM_ENOTALLOWED, "property", "core",
                               "properties cannot be deleted");
        if (!tg->node->parent)
            return pdm__decide(dec, PDM_ENOTALLOWED, "root", "core",
                               "the root node cannot be deleted");
        if (pdm__node_subtree_has(tg->node, PDM_NODE_PERMANENT))
            return pdm__decide(dec, PDM_ENOTALLOWED, "permanent", "core",
                               "%s is or contains a permanent node", dec->node);
        break;
    case PDM_OP_EXEC:
        if (u->query != PDM_URI_Q_NONE)
            return pdm__decide(dec, PDM_ENOTALLOWED, "property", "core",
                               "properties cannot be executed");
        if (!(tg->node->flags & PDM_NODE_EXEC))
            return pdm__decide(dec, PDM_ENOTALLOWED, "not-executable", "core",
                               "%s is not executable", dec->node);
        break;
    default:
        return pdm__decide(dec, PDM_EINVAL, "op", "core",
                           "unknown operation %d", op);
    }

    /* 2. Who may do it.  Only a verbose ACL step rewrites dec->node (a
     * refused ACL change is always verbose) before the policies need the
     * target URI: the hot path skips the copy. */
    /* Operations that are audited even when allowed (ACL and name
     * changes, Delete, Exec) get the full explanation for the audit log;
     * they are rare, the hot Get/Replace/Add path stays terse. */
    if (op == PDM_OP_DELETE || op == PDM_OP_EXEC ||
        (op == PDM_OP_REPLACE && u->query == PDM_URI_Q_PROP &&
         (u->prop == PDM_URI_PROP_ACL || u->prop == PDM_URI_PROP_NAME)))
        verbose = true;
    keep_uri = verbose || (op == PDM_OP_REPLACE && u->query == PDM_URI_Q_PROP &&
                           u->prop == PDM_URI_PROP_ACL);
    if (keep_uri)
        pdm__strlcpy(turi, dec->node, sizeof turi);
    if (w->principal != PDM_PRINCIPAL_SERVER) {
        rc = principal_rule(w, dec);
    } else if (op == PDM_OP_ADD) {
        rc = acl_grants(w, PDM_OP_ADD, tg->anc, "Add", verbose, dec);
    } else if (op == PDM_OP_REPLACE && u->query == PDM_URI_Q_PROP &&
               u->prop == PDM_URI_PROP_ACL) {
        /* TND §6.6: interior: Replace on node or parent; leaf: parent. */
        pdm__node *n = tg->node;
        const pdm__acl *ne = pdm__node_effective_acl(n, NULL);
        const pdm__acl *pe = n->parent ? pdm__node_effective_acl(n->parent, NULL)
                                       : NULL;
        pdm__acl_change ch = pdm__acl_may_change_acl(
            n->format == PDM_FORMAT_NODE, ne, pe, w->server_id);
        if (ch == PDM_ACL_CHANGE_BY_NODE) {
            rc = acl_grants(w, PDM_OP_REPLACE, n, "Replace of the ACL", verbose,
                            dec);
        } else if (ch == PDM_ACL_CHANGE_BY_PARENT) {
            rc = acl_grants(w, PDM_OP_REPLACE, n->parent,
                            "Replace of the ACL (parent rule)", verbose, dec);
            pdm__strlcpy(dec->rule, "acl-parent", sizeof dec->rule);
        } else {
            rc = acl_grants(w, PDM_OP_REPLACE, n->parent ? n->parent : n,
                            "Replace of the ACL", true, dec);
            pdm__strlcpy(dec->rule, n->format == PDM_FORMAT_NODE
                                        ? "acl-change"
                                        : "acl-parent",
                         sizeof dec->rule);
            if (rc == PDM_OK) /* cannot happen: may_change_acl said no */
                rc = PDM_EDENIED;
            snprintf(dec->reason, sizeof dec->reason,
                     "%.64s may not change the ACL of %.100s: needs Replace "
                     "on %s",
                     w->server_id ? w->server_id : "(unauthenticated)",
                     turi,
                     n->format == PDM_FORMAT_NODE ? "the node or its parent"
                                                  : "its parent (leaf rule)");
            dec->rc = rc;
        }
    } else {
        rc = acl_grants(w, op, tg->node, op_name(op), verbose, dec);
    }
    if (rc != PDM_OK)
        return rc;

    /* 3. Authority isolation (S11), for servers only: the factory, the
     * local user and a bootstrap are the authorities themselves. */
    if (w->principal == PDM_PRINCIPAL_SERVER &&
        (rc = isolation(t, w, op, u, tg, dec)) != PDM_OK)
        return rc;

    /* 4. Policies (they see the authority owning the node and the URI in
     * the "./A/B" form plugins get everywhere). */
    return ask_policies(t, w, op, keep_uri ? turi : dec->node,
                        tg->node ? tg->node : tg->anc, detail, dec);
}

/* What the audit log records: every refusal, every change by a principal
 * other than a server (local user, bootstrap, factory), and the changes of
 * servers that shift control (ACL, Name, Delete, Exec).  Plain value
 * writes by authenticated servers are ordinary management and would flood
 * the log (and the device's flash) at one row per command; the session
 * records them as a whole. */
static void audit_change(pdm__tree *t, const pdm__who *w, const char *op,
                         const char *uri, const pdm__decision *dec,
                         bool sensitive)
{
    if (dec->rc != PDM_OK || sensitive || w->principal != PDM_PRINCIPAL_SERVER)
        pdm__tree_audit(t, w, op, uri, dec);
}

/* Requests outside a package run as their own transaction, so that a
 * failure halfway (a handler veto, out of memory) is undone and a success
 * is committed at once. */
static bool auto_begin(pdm__tree *t)
{
    return !pdm__tree_in_transaction(t) && pdm__tree_begin(t) == PDM_OK;
}

static int auto_end(pdm__tree *t, bool began, int rc)
{
    if (!began)
        return rc;
    if (rc == PDM_OK || rc == PDM_PENDING) {
        int c = pdm__tree_commit(t);
        return c != PDM_OK ? c : rc;
    }
    pdm__tree_abort(t);
    return rc;
}

static void target_free(target *tg)
{
    if (tg->parsed)
        pdm__uri_free(&tg->u);
}

int pdm__tree_check(pdm__tree *t, const pdm__who *w, int op, const char *uri,
                    pdm__decision *dec)
{
    target tg;
    int rc = decide(t, w, op, uri, &tg, NULL, false, dec);
    target_free(&tg);
    return rc;
}

int pdm__tree_explain(pdm__tree *t, const pdm__who *w, int op,
                      const char *uri, pdm__decision *dec)
{
    target tg;
    int rc = decide(t, w, op, uri, &tg, NULL, true, dec);
    target_free(&tg);
    return rc;
}

/* ---- Get --------------------------------------------------------------------- */

/* The Type of nearly every leaf: a Get result points at this instead of
 * a copy, and pdm__tree_result_free knows not to free it. */
static char text_plain[] = "text/plain";

void pdm__tree_result_free(pdm__tree_result *r)
{
    if (!r)
        return;
    pdm__free(r->data);
    if (r->type != text_plain)
        pdm__free(r->type);
    if (r->items) { /* a Struct list (not the usual Get: no free(NULL)) */
        for (size_t i = 0; i < r->nitems; i++) {
            pdm__free(r->items[i].uri);
            pdm__free(r->items[i].type);
            pdm__free(r->items[i].data);
        }
        pdm__free(r->items);
    }
    memset(r, 0, sizeof(*r));
}

static int result_text(pdm__tree_result *out, const char *s, size_t len,
                       uint32_t format, const char *type)
{
    out->data = pdm__malloc(len + 1);
    out->type = type ? pdm__strdup(type) : NULL;
    if (!out->data || (type && !out->type)) {
        pdm__tree_result_free(out);
        return PDM_ENOMEM;
    }
    memcpy(out->data, s, len);
    out->data[len] = 0;
    out->len = len;
    out->format = format;
    return PDM_OK;
}

static void format_tstamp(int64_t ts, char *buf, size_t size)
{
    time_t tt = (time_t)ts;
    struct tm tm;
    if (!ts || !gmtime_r(&tt, &tm)) {
        buf[0] = '\0';
        return;
    }
    strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

/* "./A/B" of a node other than the root into buf, or NULL when it does
 * not fit (then the caller builds it with pdm__node_path).  The name
 * lengths of the first levels are kept from the measuring pass. */
static const char *node_uri_in(const pdm__node *n, char *buf, size_t size)
{
    size_t len = 1, lens[8], depth = 0;
    char *p;
    for (const pdm__node *c = n; c->parent; c = c->parent, depth++) {
        size_t l = strlen(c->name);
        if (depth < PDM__ARRAY_LEN(lens))
            lens[depth] = l;
        len += 1 + l;
        if (len >= size)
            return NULL;
    }
    p = buf + len;
    *p = '\0';
    depth = 0;
    for (const pdm__node *c = n; c->parent; c = c->parent, depth++) {
        size_t l = depth < PDM__ARRAY_LEN(lens) ? lens[depth] : strlen(c->name);
        p -= l;
        pdm__memcpy_small(p, c->name, l);
        *--p = '/';
    }
    buf[0] = '.';
    return buf;
}

/* The value of leaf n.  u, when not NULL, is the parsed URI that found n
 * (see nearest()): its path is n's, since names cannot hold a '/'. */
static int leaf_value(pdm__tree *t, pdm__node *n, const pdm__uri *u,
                      pdm__buf *path, pdm_blob *out)
{
    if (n->flags & PDM_NODE_HANDLER_VALUE) {
        void *h = pdm__node_handler(n, NULL);
        char local[256];
        const char *uri = NULL;
        if (!h || !t->cfg.mo.get)
            return PDM_ENOTFOUND;
        /* The usual URI fits on the stack: no allocation per Get. */
        if (u && u->nseg && u->len + 3 <= sizeof local) {
            local[0] = '.';
            local[1] = '/';
            pdm__memcpy_small(local + 2, u->path, u->len);
            local[u->len + 2] = '\0';
            uri = local;
        } else if (n->parent) {
            uri = node_uri_in(n, local, sizeof local);
        }
        if (!uri) {
            pdm__buf_reset(path);
            pdm__buf_puts(path, "./");
            pdm__node_path(n, path);
            if (!pdm__buf_ok(path))
                return PDM_ENOMEM;
            uri = (const char *)path->data;
        }
        return t->cfg.mo.get(t->cfg.mo.user, h, uri, out);
    }
    out->len = n->value_len;
    out->data = pdm__malloc(n->value_len + 1);
    if (!out->data)
        return PDM_ENOMEM;
    if (n->value_len)
        memcpy(out->data, n->value, n->value_len);
    out->data[n->value_len] = 0;
    return PDM_OK;
}

static int get_prop(pdm__tree *t, pdm__node *n, pdm__uri_prop p,
                    pdm__tree_result *out)
{
    char buf[64];
    const char *s = "";
    switch (p) {
    case PDM_URI_PROP_ACL:
        s = n->acl_str ? n->acl_str : ""; /* own ACL only (TND §6.5) */
        break;
    case PDM_URI_PROP_FORMAT:
        s = pdm__format_name(n->format);
        break;
    case PDM_URI_PROP_NAME:
        s = n->parent ? n->name : ".";
        break;
    case PDM_URI_PROP_SIZE: {
        pdm_blob v = {0};
        pdm__buf path;
        int rc;
        pdm__buf_init(&path);
        rc = leaf_value(t, n, NULL, &path, &v);
        pdm__buf_free(&path);
        if (rc != PDM_OK)
            return rc;
        snprintf(buf, sizeof buf, "%zu", v.len);
        pdm__free(v.data);
        s = buf;
        break;
    }
    case PDM_URI_PROP_TITLE:
        s = n->title ? n->title : "";
        break;
    case PDM_URI_PROP_TSTAMP:
        format_tstamp(n->tstamp, buf, sizeof buf);
        s = buf;
        break;
    case PDM_URI_PROP_TYPE:
        s = n->type ? n->type : "";
        break;
    case PDM_URI_PROP_VERNO:
        snprintf(buf, sizeof buf, "%u", (unsigned)n->verno);
        s = buf;
        break;
    default:
        return PDM_ENOTSUP;
    }
    return result_text(out, s, strlen(s), PDM_FORMAT_CHR, "text/plain");
}

int pdm__tree_get(pdm__tree *t, const pdm__who *w, const char *uri,
                  pdm__tree_result *out, pdm__decision *dec)
{
    return pdm__tree_get_max(t, w, uri, SIZE_MAX, out, dec);
}

int pdm__tree_get_max(pdm__tree *t, const pdm__who *w, const char *uri,
                      size_t max, pdm__tree_result *out, pdm__decision *dec)
{
    target tg;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = decide(t, w, PDM_OP_GET, uri, &tg, NULL, false, dec);
    if (rc != PDM_OK) {
        pdm__tree_audit(t, w, "Get", uri, dec);
        target_free(&tg);
        return rc;
    }
    if (tg.u.query == PDM_URI_Q_PROP) {
        rc = get_prop(t, tg.node, tg.u.prop, out);
    } else if (tg.u.query == PDM_URI_Q_LIST &&
               tg.u.list != PDM_URI_LIST_TNDS) {
        rc = pdm__tnds_list(t, w, tg.u.path,
                            tg.u.list == PDM_URI_LIST_STRUCTDATA, max, out,
                            dec);
    } else if (tg.u.query == PDM_URI_Q_LIST) {
        pdm__tnds_opts o;
        pdm__buf b;
        memset(&o, 0, sizeof o);
        o.list = (int)tg.u.list;
        o.max_bytes = max;
        o.props = tg.u.list_sel == '+' ? tg.u.list_props
                  : tg.u.list_sel == '-'
                      ? (PDM_URI_PROP_ALL & ~tg.u.list_props)
                      : PDM_URI_PROP_ALL;
        pdm__buf_init(&b);
        rc = pdm__tnds_export(t, w, tg.u.path, &o, &b, dec);
        if (rc == PDM_OK) {
            out->data = pdm__buf_steal(&b, &out->len);
            out->format = PDM_FORMAT_XML;
            out->type = pdm__strdup(PDM_MIME_TNDS_XML);
            if (!out->data || !out->type)
                rc = PDM_ENOMEM;
        }
        pdm__buf_free(&b);
    } else if (tg.node->format == PDM_FORMAT_NODE) {
        pdm__buf b;
        bool dmacc = tg.node == pdm__dmacc_root(t);
        pdm__buf_init(&b);
        for (pdm__node *c = tg.node->first; c; c = c->next) {
            /* A server sees only its own account in ./DMAcc. */
            if ((dmacc && !pdm__dmacc_visible(t, w, c)) ||
                !pdm__xml_is_text(c->name, strlen(c->name)))
                continue; /* a name no URI or XML text can carry */
            if (b.len)
                pdm__buf_putc(&b, '/');
            pdm__buf_puts(&b, c->name);
        }
        if (!pdm__buf_reserve(&b, 0)) {
            rc = PDM_ENOMEM;
        } else {
            out->data = pdm__buf_steal(&b, &out->len);
            out->format = PDM_FORMAT_NODE;
            rc = out->data ? PDM_OK : PDM_ENOMEM;
        }
        pdm__buf_free(&b);
    } else {
        pdm_blob v = {0};
        pdm__buf path;
        pdm__buf_init(&path);
        rc = leaf_value(t, tg.node, &tg.u, &path, &v);
        if (path.data) /* only for URIs too long for leaf_value's stack */
            pdm__buf_free(&path);
        if (rc == PDM_OK) {
            out->data = v.data;
            out->len = v.len;
            out->format = tg.node->format;
            out->type = !tg.node->type || strcmp(tg.node->type, text_plain) == 0
                            ? text_plain
                            : pdm__strdup(tg.node->type);
            if (!out->type)
                rc = PDM_ENOMEM;
        } else {
            pdm__free(v.data);
            pdm__decide(dec, rc, "handler", "mo",
                        "the MO handler could not read %s: %s", dec->node,
                        pdm_strerror(rc));
        }
    }
    if (rc == PDM_OK && out->len > max) {
        /* A value or child list: already built, but not handed on. */
        rc = PDM_ETOOBIG;
        pdm__decide(dec, rc, "size", "core",
                    "the answer to Get %s is %zu bytes, more than the %zu "
                    "allowed",
                    uri, out->len, max);
    }
    if (rc != PDM_OK)
        pdm__tree_result_free(out);
    target_free(&tg);
    return rc;
}

/* ---- Add ---------------------------------------------------------------------- */

static int notify_handler(pdm__tree *t, pdm__node *n, int op, pdm__decision *dec)
{
    void *h = pdm__node_handler(n, NULL);
    char nu[256];
    int rc;
    if (!h || !t->cfg.mo.notify)
        return PDM_OK;
    node_uri(n, nu, sizeof nu);
    rc = t->cfg.mo.notify(t->cfg.mo.user, h, op, nu);
    if (rc != PDM_OK)
        pdm__decide(dec, rc < 0 ? rc : PDM_ECOMMAND, "handler", "mo",
                    "the MO handler refused %s of %s", op_name(op), nu);
    return rc < 0 ? rc : (rc ? PDM_ECOMMAND : PDM_OK);
}

/* What a value of the given Format may hold: bin any bytes; every other
 * Format is text (TND: chr is a UTF-8 string, numbers and dates are
 * written as text, b64 is base64 text) that XML carries as it is.  A
 * value that is not refused here would be stored and then break every
 * XML session and export that reads it; the command is malformed: 400. */
static int check_value(uint32_t format, const uint8_t *v, size_t len,
                       pdm__decision *dec)
{
    if (format == PDM_FORMAT_BIN || format == PDM_FORMAT_NODE || !len ||
        pdm__xml_is_text(v, len))
        return PDM_OK;
    return pdm__decide(dec, PDM_EINVAL, "value-text", "core",
                       "value-text: a %s value must be UTF-8 text without "
                       "NUL or control characters; binary data needs Format "
                       "bin",
                       pdm__format_name(format));
}

/* Meta Type and Title are text as well (they go into XML as they are). */
static int check_text(const char *what, const char *s, pdm__decision *dec)
{
    if (!s || pdm__xml_is_text(s, strlen(s)))
        return PDM_OK;
    return pdm__decide(dec, PDM_EINVAL, "value-text", "core",
                       "value-text: the %s must be UTF-8 text without control "
                       "characters",
                       what);
}

/* n (just written) is the ServerID leaf of an account: the identity rules
 * (dmacc.h) for its new value, then the account's ACL. */
static int server_id_written(pdm__tree *t, pdm__node *n, pdm__decision *dec)
{
    pdm__node *acc = pdm__dmacc_account_of(t, n);
    int rc;
    if (!acc || n->parent != acc || strcmp(n->name, "ServerID") != 0)
        return PDM_OK;
    if (n->format != PDM_FORMAT_CHR)
        return pdm__decide(dec, PDM_EINVAL, "server-id-invalid", "core",
                           "server-id-invalid: a ServerID is a leaf of Format "
                           "chr");
    rc = pdm__dmacc_check_server_id(t, acc, n->value, n->value_len, dec);
    return rc == PDM_OK ? pdm__dmacc_set_account_acl(t, acc) : rc;
}

/* Creates the missing interior parents and the node itself. */
static int add_nodes(pdm__tree *t, const pdm__who *w, target *tg,
                     const pdm__tree_item *item, const char *owner,
                     pdm__decision *dec)
{
    pdm__node *n = tg->anc;
    size_t first = tg->u.nseg - tg->missing;
    int rc = PDM_OK;
    char err[160];

    for (size_t i = first; i < tg->u.nseg; i++) {
        bool last = i + 1 == tg->u.nseg;
        uint32_t fmt = last ? item->format : PDM_FORMAT_NODE;
        const pdm__acl *peff = pdm__node_effective_acl(n, NULL);
        pdm__acl newacl;
        pdm__node *c;

        /* Creator rule (TND §6.6, also for implicit parents). */
        rc = pdm__acl_for_new_node(fmt == PDM_FORMAT_NODE, peff,
                                   w->principal == PDM_PRINCIPAL_SERVER
                                       ? w->server_id
                                       : NULL,
                                   &newacl);
        if (rc != PDM_OK)
            return pdm__decide(dec, rc, "creator-rule", "core",
                               "cannot build the creator ACL for %s",
                               w->server_id ? w->server_id : "?");
        /* parent's child list changes: undone with the package */
        if (pdm__tree_touch(t, n) != PDM_OK) {
            pdm__acl_free(&newacl);
            return pdm__decide(dec, PDM_ENOMEM, "memory", "core",
                               "out of memory");
        }
        pdm__node_bump(n);
        c = pdm__tree_new_child(t, n, pdm__uri_seg_name(&tg->u, i),
                                pdm__uri_seg_len(&tg->u, i), fmt, owner);
        if (!c) {
            pdm__acl_free(&newacl);
            return pdm__decide(dec, PDM_ENOMEM, "memory", "core",
                               "out of memory");
        }
        if (!pdm__acl_is_empty(&newacl)) {
            pdm__buf b;
            pdm__buf_init(&b);
            pdm__acl_format(&newacl, &b);
            rc = pdm__buf_ok(&b) ? pdm__node_set_acl(c, (char *)b.data, err,
                                                     sizeof err)
                                 : PDM_ENOMEM;
            pdm__buf_free(&b);
        }
        pdm__acl_free(&newacl);
        if (rc != PDM_OK)
            return pdm__decide(dec, rc, "creator-rule", "core", "%s", err);
        if (last) {
            if (fmt != PDM_FORMAT_NODE)
                rc = pdm__node_set_value(c, item->data ? item->data
                                                       : (const uint8_t *)"",
                                         item->len);
            if (rc == PDM_OK && item->type && *item->type)
                rc = pdm__node_set_str(&c->type, item->type);
            if (rc != PDM_OK)
                return pdm__decide(dec, rc, "memory", "core", "out of memory");
        }
        if ((rc = server_id_written(t, c, dec)) != PDM_OK)
            return rc;
        rc = notify_handler(t, c, PDM_OP_ADD, dec);
        if (rc != PDM_OK)
            return rc;
        n = c;
    }
    return PDM_OK;
}

static bool is_tnds(const char *type)
{
    return type && (strcmp(type, PDM_MIME_TNDS_XML) == 0 ||
                    strcmp(type, PDM_MIME_TNDS_WBXML) == 0);
}

int pdm__tree_add(pdm__tree *t, const pdm__who *w, const char *uri,
                  const pdm__tree_item *item, pdm__decision *dec)
{
    target tg;
    char owner[160];
    size_t sp;
    bool began;
    int rc;

    if (is_tnds(item->type)) {
        /* Add with a TNDS body: many nodes below the target, all or
         * nothing. */
        pdm__uri u;
        if (parse_uri(t, uri, &u, dec) != PDM_OK) {
            pdm__tree_audit(t, w, "Add", uri, dec);
            return dec->rc;
        }
        rc = pdm__tnds_import(t, w, u.path, item->data, item->len, dec);
        pdm__uri_free(&u);
        return rc;
    }
    rc = decide(t, w, PDM_OP_ADD, uri, &tg, NULL, false, dec);
    if (rc == PDM_OK && item->format == PDM_FORMAT_NODE && item->len)
        rc = pdm__decide(dec, PDM_EINVAL, "format", "core",
                         "an interior node (Format node) cannot have a value");
    if (rc == PDM_OK && item->format > PDM_FORMAT_FLOAT)
        rc = pdm__decide(dec, PDM_EFORMAT, "format", "core", "unknown Format");
    if (rc == PDM_OK)
        rc = check_value(item->format, item->data, item->len, dec);
    if (rc == PDM_OK)
        rc = check_text("Type", item->type, dec);
    if (rc != PDM_OK) {
        pdm__tree_audit(t, w, "Add", uri, dec);
        target_free(&tg);
        return rc;
    }
    if (w->principal == PDM_PRINCIPAL_SERVER)
        pdm__strlcpy(owner, w->server_id, sizeof owner);
    else
        pdm__who_format(w, owner, sizeof owner);
    began = auto_begin(t);
    sp = pdm__tree_savepoint(t);
    rc = add_nodes(t, w, &tg, item, owner, dec);
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    audit_change(t, w, "Add", uri, dec, false);
    target_free(&tg);
    return auto_end(t, began, rc);
}

/* ---- Replace ------------------------------------------------------------------ */

static int replace_prop(pdm__tree *t, const pdm__who *w, target *tg,
                        const pdm__tree_item *item, pdm__decision *dec)
{
    pdm__node *n = tg->node;
    char err[200], *text;
    int rc;

    text = pdm__strndup(item->data ? (const char *)item->data : "", item->len);
    if (!text)
        return pdm__decide(dec, PDM_ENOMEM, "memory", "core", "out of memory");
    if (memchr(item->data ? (const char *)item->data : "", 0, item->len)) {
        pdm__free(text);
        return pdm__decide(dec, PDM_EINVAL, "property", "core",
                           "property values are text without NUL bytes");
    }
    switch (tg->u.prop) {
    case PDM_URI_PROP_ACL: {
        pdm__acl a;
        rc = pdm__acl_parse(text, &a, err, sizeof err);
        if (rc != PDM_OK) {
            rc = pdm__decide(dec, rc == PDM_ENOMEM ? rc : PDM_EINVAL,
                             "acl-syntax", "core", "malformed ACL: %s", err);
            break;
        }
        if (!n->parent) {
            rc = pdm__acl_check_root(&a, t->cfg.root_add_star &&
                                             w->principal == PDM_PRINCIPAL_SERVER,
                                     err, sizeof err);
            if (rc != PDM_OK) {
                pdm__acl_free(&a);
                pdm__decide(dec, rc, "root", "core", "%s", err);
                break;
            }
        }
        pdm__acl_free(&a);
        rc = pdm__tree_touch(t, n);
        if (rc == PDM_OK)
            rc = pdm__node_set_acl(n, text, err, sizeof err);
        if (rc != PDM_OK)
            pdm__decide(dec, rc, "acl-syntax", "core", "%s", err);
        break;
    }
    case PDM_URI_PROP_NAME:
        rc = pdm__uri_check_name(text, strlen(text), &t->cfg.limits, err,
                                 sizeof err);
        if (rc != PDM_OK) {
            pdm__decide(dec, rc == PDM_ETOOLONG ? rc : PDM_EINVAL, "name",
                        "core", "invalid node name: %s", err);
            break;
        }
        if (strcmp(text, n->name) == 0) {
            rc = PDM_OK;
            break;
        }
        if (pdm__tree_child(t, n->parent, text, strlen(text))) {
            rc = pdm__decide(dec, PDM_EEXISTS, "name", "core",
                             "a sibling named '%s' already exists", text);
            break;
        }
        rc = pdm__tree_touch(t, n);
        if (rc == PDM_OK)
            rc = pdm__node_rename(t, n, text, strlen(text));
        if (rc == PDM_OK) /* a leaf renamed into an account's ServerID */
            rc = server_id_written(t, n, dec);
        if (rc == PDM_OK && n->parent &&
            (rc = pdm__tree_touch(t, n->parent)) == PDM_OK)
            pdm__node_bump(n->parent);
        break;
    case PDM_URI_PROP_TITLE:
        if ((rc = check_text("Title", text, dec)) != PDM_OK)
            break;
        if (strlen(text) > 255) {
            rc = pdm__decide(dec, PDM_ETOOBIG, "title", "core",
                             "Title is limited to 255 bytes");
            break;
        }
        rc = pdm__tree_touch(t, n);
        if (rc == PDM_OK)
            rc = pdm__node_set_str(&n->title, text);
        break;
    default:
        rc = PDM_ENOTALLOWED;
    }
    pdm__free(text);
    if (rc == PDM_OK)
        pdm__node_bump(n);
    return rc;
}

int pdm__tree_replace(pdm__tree *t, const pdm__who *w, const char *uri,
                      const pdm__tree_item *item, pdm__decision *dec)
{
    target tg;
    bool began = auto_begin(t);
    size_t sp = pdm__tree_savepoint(t);
    int rc = decide(t, w, PDM_OP_REPLACE, uri, &tg, NULL, false, dec);
    pdm__node *n = tg.node;

    if (rc == PDM_OK && tg.u.query == PDM_URI_Q_PROP) {
        rc = replace_prop(t, w, &tg, item, dec);
    } else if (rc == PDM_OK && n->format == PDM_FORMAT_NODE) {
        rc = is_tnds(item->type)
                 ? pdm__decide(dec, PDM_ENOTSUP, "tnds", "core",
                               "Replace with a TNDS body is not supported; "
                               "Delete and Add the subtree")
                 : pdm__decide(dec, PDM_ENOTALLOWED, "interior", "core",
                               "%s is an interior node and has no value",
                               dec->node);
    } else if (rc == PDM_OK) {
        bool fmt_change = item->has_format && item->format != n->format;
        bool type_change = item->type && *item->type &&
                           !pdm__streq(item->type, n->type);
        if (item->has_format && item->format == PDM_FORMAT_NODE)
            rc = pdm__decide(dec, PDM_ENOTALLOWED, "format", "core",
                             "a leaf cannot become an interior node");
        else if (item->has_format && item->format > PDM_FORMAT_FLOAT)
            rc = pdm__decide(dec, PDM_EFORMAT, "format", "core",
                             "unknown Format");
        else if ((fmt_change || type_change) &&
                 (n->flags & PDM_NODE_PERMANENT))
            rc = pdm__decide(dec, PDM_ENOTALLOWED, "permanent", "core",
                             "the Format and Type of permanent node %s cannot "
                             "change",
                             dec->node);
        if (rc == PDM_OK)
            rc = check_value(fmt_change ? item->format : n->format,
                             item->data, item->len, dec);
        if (rc == PDM_OK)
            rc = check_text("Type", item->type, dec);
        if (rc == PDM_OK && (n->flags & PDM_NODE_HANDLER_VALUE)) {
            void *h = pdm__node_handler(n, NULL);
            pdm_blob v = {(uint8_t *)item->data, item->len};
            char nu[256];
            node_uri(n, nu, sizeof nu);
            if (!h || !t->cfg.mo.replace)
                rc = pdm__decide(dec, PDM_ENOTALLOWED, "handler", "mo",
                                 "%s cannot be replaced", nu);
            else if ((rc = t->cfg.mo.replace(t->cfg.mo.user, h, nu, &v)) != PDM_OK)
                pdm__decide(dec, rc < 0 ? rc : PDM_ECOMMAND, "handler", "mo",
                            "the MO handler refused the value for %s: %s", nu,
                            pdm_strerror(rc));
            if (rc == PDM_OK && (rc = pdm__tree_touch(t, n)) == PDM_OK)
                pdm__node_bump(n);
        } else if (rc == PDM_OK) {
            rc = pdm__tree_touch_value(t, n, item->data ? item->data
                                                        : (const uint8_t *)"",
                                       item->len);
            if (rc == PDM_OK && fmt_change)
                n->format = item->format;
            if (rc == PDM_OK && type_change)
                rc = pdm__node_set_str(&n->type, item->type);
            if (rc == PDM_OK)
                pdm__node_bump(n);
            else
                pdm__decide(dec, rc, "memory", "core", "out of memory");
            if (rc == PDM_OK)
                rc = server_id_written(t, n, dec);
        }
    }
    if (rc != PDM_OK && tg.parsed)
        pdm__tree_rollback_to(t, sp);
    audit_change(t, w, "Replace", uri, dec,
                 tg.parsed && tg.u.query == PDM_URI_Q_PROP &&
                     tg.u.prop != PDM_URI_PROP_TITLE);
    target_free(&tg);
    return auto_end(t, began, rc);
}

/* ---- Delete, Exec, Copy ------------------------------------------------------- */

static int notify_subtree(pdm__tree *t, pdm__node *n, pdm__decision *dec)
{
    for (pdm__node *c = n->first; c; c = c->next) {
        int rc = notify_subtree(t, c, dec);
        if (rc != PDM_OK)
            return rc;
    }
    return notify_handler(t, n, PDM_OP_DELETE, dec);
}

/* The ServerIDs a Delete of @n takes off the device: those of the DM
 * accounts in its subtree, and of the account whose ServerID leaf it is.
 * Appended to @ids NUL-separated. */
static void gone_server_ids(const pdm__tree *t, const pdm__node *n,
                            pdm__buf *ids)
{
    const pdm__node *dm = pdm__dmacc_root(t);
    const pdm__node *acc = pdm__dmacc_account_of(t, n);
    if (!dm)
        return;
    if (acc && acc != n && n->parent == acc) {
        size_t len;
        const uint8_t *v = pdm__dmacc_server_id(t, acc, &len);
        if (v && v == n->value &&
            pdm__acl_valid_server_id((const char *)v, len)) {
            pdm__buf_append(ids, v, len);
            pdm__buf_putc(ids, '\0');
        }
        return;
    }
    for (const pdm__node *a = dm->first; a; a = a->next) {
        size_t len;
        const uint8_t *v;
        const pdm__node *p = a;
        while (p && p != n)
            p = p->parent;
        if (!p || !(v = pdm__dmacc_server_id(t, a, &len)) ||
            !pdm__acl_valid_server_id((const char *)v, len))
            continue;
        pdm__buf_append(ids, v, len);
        pdm__buf_putc(ids, '\0');
    }
}

/* TND §8.3.7.1.4: a ServerID whose last account a Delete removed is
 * deleted from the device: scrubbed from every ACL, its nodes pass to the
 * deleter (the local user's when a server deleted its own account), it
 * stops owning root (pdm__tree_forget_server).  Left alone while another
 * account still carries it. */
static int forget_gone(pdm__tree *t, const pdm__who *w, const pdm__buf *ids,
                       pdm__decision *dec)
{
    char heir[300];
    if (w->principal == PDM_PRINCIPAL_SERVER && w->server_id)
        pdm__strlcpy(heir, w->server_id, sizeof heir);
    else if (w->principal == PDM_PRINCIPAL_BOOTSTRAP)
        snprintf(heir, sizeof heir, "bootstrap:%s", w->source ? w->source : "?");
    else
        pdm__strlcpy(heir, w->principal == PDM_PRINCIPAL_FACTORY ? "factory"
                                                                : "local",
                     sizeof heir);
    for (size_t at = 0; at < ids->len; at += strlen((char *)ids->data + at) + 1) {
        const char *sid = (const char *)ids->data + at;
        pdm__node *acc;
        size_t n = 0, m = 0, len;
        int rc;
        if (pdm__dmacc_find(t, sid, &acc, NULL) != PDM_ENOTFOUND)
            continue;
        if ((rc = pdm__tree_forget_server(t, sid,
                                          strcmp(heir, sid) ? heir : "local",
                                          &n, &m)) != PDM_OK)
            return rc;
        /* In the Delete's own audit row: what else the command did. */
        len = strlen(dec->reason);
        snprintf(dec->reason + len, sizeof dec->reason - len,
                 "; ServerID %s deleted: scrubbed from %zu ACL(s), %zu "
                 "node(s) it created are %s's", sid, n, m,
                 strcmp(heir, sid) ? heir : "local");
    }
    return PDM_OK;
}

int pdm__tree_delete(pdm__tree *t, const pdm__who *w, const char *uri,
                     pdm__decision *dec)
{
    target tg;
    bool began = auto_begin(t);
    size_t sp = pdm__tree_savepoint(t);
    int rc = decide(t, w, PDM_OP_DELETE, uri, &tg, NULL, false, dec);
    if (rc == PDM_OK) {
        pdm__node *parent = tg.node->parent;
        pdm__buf gone;
        pdm__buf_init(&gone);
        /* Not for a bootstrap: its replacement of an account keeps the
         * ServerID on the device, and its removal of a card's accounts
         * scrubs them itself (bootstrap.c). */
        if (w->principal != PDM_PRINCIPAL_BOOTSTRAP)
            gone_server_ids(t, tg.node, &gone);
        rc = pdm__buf_ok(&gone) ? notify_subtree(t, tg.node, dec) : PDM_ENOMEM;
        if (rc == PDM_OK && (rc = pdm__tree_touch(t, parent)) == PDM_OK) {
            pdm__node_bump(parent);
            rc = pdm__tree_detach(t, tg.node);
        }
        if (rc == PDM_OK && gone.len)
            rc = forget_gone(t, w, &gone, dec);
        pdm__buf_free(&gone);
        if (rc != PDM_OK) {
            if (!dec->rc)
                pdm__decide(dec, rc, "memory", "core", "out of memory");
            pdm__tree_rollback_to(t, sp);
        }
    }
    pdm__tree_audit(t, w, "Delete", uri, dec);
    target_free(&tg);
    return auto_end(t, began, rc);
}

int pdm__tree_exec(pdm__tree *t, const pdm__who *w, const char *uri,
                   const pdm_blob *data, const char *correlator,
                   pdm__decision *dec)
{
    target tg;
    bool began = auto_begin(t);
    int rc = decide(t, w, PDM_OP_EXEC, uri, &tg, NULL, false, dec);
    if (rc == PDM_OK) {
        void *h = pdm__node_handler(tg.node, NULL);
        char nu[256];
        pdm_blob empty = {NULL, 0};
        node_uri(tg.node, nu, sizeof nu);
        if (!h || !t->cfg.mo.exec) {
            rc = pdm__decide(dec, PDM_ENOTALLOWED, "handler", "mo",
                             "no handler executes %s", nu);
        } else {
            rc = t->cfg.mo.exec(t->cfg.mo.user, h, nu, data ? data : &empty,
                                correlator);
            const char *why = rc < 0 && t->cfg.mo.why
                                  ? t->cfg.mo.why(t->cfg.mo.user, h)
                                  : NULL;
            if (rc < 0)
                pdm__decide(dec, rc, "handler", "mo", "Exec of %s failed: %s",
                            nu, why ? why : pdm_strerror(rc));
            else if (rc == PDM_PENDING)
                snprintf(dec->reason, sizeof dec->reason,
                         "Exec of %.200s accepted; result follows later", nu);
        }
    }
    pdm__tree_audit(t, w, "Exec", uri, dec);
    target_free(&tg);
    return auto_end(t, began, rc);
}

int pdm__tree_copy(pdm__tree *t, const pdm__who *w, const char *target_uri,
                   const char *source_uri, pdm__decision *dec)
{
    pdm__tree_result src;
    pdm__node *sn, *tn;
    pdm__tree_item item;
    int rc;

    /* Copy needs the rights of the equivalent Get and Add/Replace (TND: no
     * ACL entry for Copy); both ends must be leaves. */
    rc = pdm__tree_get(t, w, source_uri, &src, dec);
    if (rc != PDM_OK)
        return rc;
    sn = pdm__tree_lookup(t, source_uri);
    if (!sn || sn->format == PDM_FORMAT_NODE || src.format == PDM_FORMAT_NODE) {
        pdm__tree_result_free(&src);
        rc = pdm__decide(dec, PDM_ENOTALLOWED, "copy", "core",
                         "Copy works on leaf nodes only");
        pdm__tree_audit(t, w, "Copy", target_uri, dec);
        return rc;
    }
    memset(&item, 0, sizeof item);
    item.data = src.data;
    item.len = src.len;
    item.format = sn->format;
    item.has_format = true;
    item.type = sn->type;
    tn = pdm__tree_lookup(t, target_uri);
    if (tn && tn->format == PDM_FORMAT_NODE)
        rc = pdm__decide(dec, PDM_ENOTALLOWED, "copy", "core",
                         "Copy works on leaf nodes only");
    else if (tn)
        rc = pdm__tree_replace(t, w, target_uri, &item, dec);
    else
        rc = pdm__tree_add(t, w, target_uri, &item, dec);
    pdm__tree_result_free(&src);
    return rc;
}

/* ---- core-internal writes ------------------------------------------------------ */

int pdm__tree_put(pdm__tree *t, const char *path, uint32_t format,
                  uint32_t flags, const char *type, const char *acl,
                  const uint8_t *value, size_t len, const char *owner)
{
    pdm__uri u;
    pdm__node *n;
    size_t missing, sp;
    char err[200];
    bool began;
    int rc = pdm__uri_parse(&u, path, strlen(path), NULL, err, sizeof err);
    if (rc != PDM_OK)
        return rc;
    began = auto_begin(t);
    sp = pdm__tree_savepoint(t);
    n = nearest(t, &u, &missing);
    for (size_t i = u.nseg - missing; i < u.nseg && rc == PDM_OK; i++) {
        bool last = i + 1 == u.nseg;
        pdm__node *c;
        if (n->format != PDM_FORMAT_NODE) {
            rc = PDM_ENOTALLOWED;
            break;
        }
        if (pdm__tree_touch(t, n) != PDM_OK) {
            rc = PDM_ENOMEM;
            break;
        }
        c = pdm__tree_new_child(t, n, pdm__uri_seg_name(&u, i),
                                pdm__uri_seg_len(&u, i),
                                last ? format : PDM_FORMAT_NODE, owner);
        if (!c)
            rc = PDM_ENOMEM;
        n = c;
    }
    if (rc == PDM_OK && n->format != format &&
        (format == PDM_FORMAT_NODE || n->format == PDM_FORMAT_NODE))
        rc = PDM_EEXISTS; /* a leaf where an interior node is wanted */
    if (rc == PDM_OK)
        rc = pdm__tree_touch(t, n);
    if (rc == PDM_OK) {
        n->format = format;
        n->flags = flags | (n->flags & PDM_NODE_SECRET);
        if (owner && !missing) {
            const char *o = pdm__tree_intern(t, owner);
            if (o)
                n->owner = o;
            else
                rc = PDM_ENOMEM;
        }
        if (rc == PDM_OK)
            rc = pdm__node_set_str(&n->type, type);
        if (rc == PDM_OK && acl)
            rc = pdm__node_set_acl(n, acl, err, sizeof err);
        if (rc == PDM_OK && format != PDM_FORMAT_NODE &&
            !(flags & PDM_NODE_HANDLER_VALUE) && value)
            rc = pdm__node_set_value(n, value, len);
        if (rc == PDM_OK)
            pdm__node_bump(n);
        /* Core-internal writes (a bootstrap too) keep the value and
         * identity rules of every other write. */
        if (rc == PDM_OK && value)
            rc = check_value(format, value, len, NULL);
        if (rc == PDM_OK)
            rc = server_id_written(t, n, NULL);
    }
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    pdm__uri_free(&u);
    return auto_end(t, began, rc);
}

int pdm__tree_declare_mo(pdm__tree *t, const char *path, void *handler)
{
    pdm__node *n = pdm__tree_lookup(t, path);
    if (!n)
        return PDM_ENOTFOUND;
    n->handler = handler;
    return PDM_OK;
}

int pdm__tree_set_acl(pdm__tree *t, const char *path, const char *acl,
                      char *err, size_t errlen)
{
    pdm__node *n = pdm__tree_lookup(t, path);
    pdm__acl a;
    int rc;
    if (!n) {
        snprintf(err, errlen, "%s does not exist", path);
        return PDM_ENOTFOUND;
    }
    rc = pdm__acl_parse(acl, &a, err, errlen);
    if (rc != PDM_OK)
        return rc;
    if (!n->parent)
        rc = pdm__acl_check_root(&a, false, err, errlen);
    pdm__acl_free(&a);
    if (rc == PDM_OK) {
        bool began = auto_begin(t);
        size_t sp = pdm__tree_savepoint(t);
        rc = pdm__tree_touch(t, n);
        if (rc == PDM_OK)
            rc = pdm__node_set_acl(n, acl, err, errlen);
        if (rc == PDM_OK)
            pdm__node_bump(n);
        else
            pdm__tree_rollback_to(t, sp);
        rc = auto_end(t, began, rc);
    }
    return rc;
}

/* One implementation of TND §8.3.7.1.4 (tree/scrub.c): this is only its
 * transaction wrapper for callers outside one. */
int pdm__tree_remove_server(pdm__tree *t, const char *server_id,
                            size_t *changed_nodes)
{
    bool began = auto_begin(t);
    int rc = pdm__tree_scrub_server_id(t, server_id, NULL, changed_nodes);
    return auto_end(t, began, rc);
}

int pdm__tree_set_owner(pdm__tree *t, const char *path, const char *owner)
{
    pdm__node *n = pdm__tree_lookup(t, path);
    const char *o = owner ? pdm__tree_intern(t, owner) : NULL;
    bool began;
    int rc;
    if (!n)
        return PDM_ENOTFOUND;
    if (owner && !o)
        return PDM_ENOMEM;
    began = auto_begin(t);
    rc = pdm__tree_touch(t, n);
    if (rc == PDM_OK)
        n->owner = o;
    return auto_end(t, began, rc);
}
