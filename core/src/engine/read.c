/*
 * Reading the tree and the audit log as the local user (polydm.h,
 * "reading the tree and the audit log"): thin wrappers over the tree's
 * own request path (pdm__tree_get, pdm__tree_check, pdm__tree_explain,
 * TNDS export/import) and the store's audit calls, so that an integrator
 * and the reference CLI see exactly what a request of the local user
 * sees, secrets included (never).
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "tree/tnds.h"
#include "util/util.h"

static const pdm__who LOCAL = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};

/* A refusal's text for pdm_ctx_last_error: the decision's own words, not
 * logged (the tree audited it already; a read tool prints it itself). */
static int fail(pdm_ctx *ctx, int rc, const pdm__decision *d)
{
    snprintf(ctx->err, sizeof ctx->err, "%s",
             d && d->reason[0] ? d->reason : pdm_strerror(rc));
    return rc;
}

const char *pdm_format_name(uint32_t format)
{
    return pdm__format_name(format);
}

int pdm_uri_canonical(char *out, size_t size, const char *uri)
{
    pdm__uri u;
    int rc;
    if (!out || !size)
        return PDM_EINVAL;
    if (!uri) {
        pdm__strlcpy(out, "no URI", size);
        return PDM_EINVAL;
    }
    rc = pdm__uri_parse(&u, uri, strlen(uri), NULL, out, size);
    if (rc != PDM_OK)
        return rc;
    if (strlen(u.path) >= size) {
        pdm__strlcpy(out, "URI longer than the buffer", size);
        rc = PDM_ETOOLONG;
    } else {
        pdm__strlcpy(out, u.path, size);
    }
    pdm__uri_free(&u);
    return rc;
}

/* ---- Get -------------------------------------------------------------------- */

/* The public answer in front of the tree's result (freed together). */
typedef struct value {
    pdm_tree_value pub;
    pdm__tree_result r;
    pdm__buf doc; /* an export's document */
} value;

static value *value_new(void)
{
    value *v = pdm__calloc(1, sizeof *v);
    if (v)
        v->pub.struct_size = sizeof v->pub;
    return v;
}

int pdm_ctx_tree_get(pdm_tree_value **out, pdm_ctx *ctx, const char *uri)
{
    pdm__decision d;
    value *v;
    int rc;
    if (!out)
        return PDM_EINVAL;
    *out = NULL;
    if (!ctx || !uri || !ctx->tree)
        return PDM_EINVAL;
    if (!(v = value_new()))
        return PDM_ENOMEM;
    rc = pdm__tree_get(ctx->tree, &LOCAL, uri, &v->r, &d);
    if (rc != PDM_OK) {
        pdm__free(v);
        return fail(ctx, rc, &d);
    }
    v->pub.format = v->r.format;
    v->pub.data = v->r.data;
    v->pub.len = v->r.len;
    v->pub.type = v->r.type;
    v->pub.nitems = v->r.items ? v->r.nitems : 0;
    *out = &v->pub;
    return PDM_OK;
}

int pdm_tree_value_item(pdm_tree_item *out, const pdm_tree_value *pv,
                        size_t i)
{
    const value *v = (const value *)pv;
    const pdm__tree_list_item *it;
    if (!out || !pv || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    if (!v->r.items || i >= v->r.nitems)
        return PDM_ENOTFOUND;
    it = &v->r.items[i];
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    out->format = it->format;
    out->uri = it->uri;
    out->type = it->type;
    out->data = it->data;
    out->len = it->len;
    return PDM_OK;
}

void pdm_tree_value_free(pdm_tree_value *pv)
{
    value *v = (value *)pv;
    if (!v)
        return;
    pdm__tree_result_free(&v->r);
    pdm__buf_free(&v->doc);
    pdm__free(v);
}

/* ---- node properties and walks ----------------------------------------------- */

/* The node at @uri if the local user may Get it (the start of
 * pdm_ctx_node_info and pdm_ctx_tree_walk), else NULL with *rc set. */
static const pdm__node *gettable(pdm_ctx *ctx, const char *uri, int *rc)
{
    pdm__decision d;
    const pdm__node *n;
    *rc = pdm__tree_check(ctx->tree, &LOCAL, PDM_OP_GET, uri, &d);
    n = *rc == PDM_OK ? pdm__tree_lookup(ctx->tree, uri) : NULL;
    if (!n) {
        if (*rc == PDM_OK) {
            *rc = PDM_ENOTFOUND;
            snprintf(d.reason, sizeof d.reason, "%.200s: no such node", uri);
        }
        fail(ctx, *rc, &d);
    }
    return n;
}

static void node_fill(pdm_node_info *o, const pdm__node *n)
{
    uint32_t f = pdm__node_flags(n);
    uint32_t size = o->struct_size;
    memset(o, 0, sizeof *o);
    o->struct_size = size;
    o->format = pdm__node_format(n);
    o->flags = (pdm__node_is_interior(n) ? PDM_NODE_IS_INTERIOR : 0) |
               (f & PDM_NODE_SECRET ? PDM_NODE_IS_SECRET : 0) |
               (f & PDM_NODE_PERMANENT ? PDM_NODE_IS_PERMANENT : 0) |
               (f & PDM_NODE_HANDLER_VALUE ? PDM_NODE_IS_MO : 0);
    o->verno = pdm__node_verno(n);
    o->tstamp = pdm__node_tstamp(n);
    o->name = pdm__node_name(n);
    o->type = pdm__node_type(n);
    o->title = pdm__node_title(n);
    o->acl = pdm__node_acl(n);
    o->owner = pdm__node_owner(n);
    o->nchildren = pdm__node_child_count(n);
}

int pdm_ctx_node_info(pdm_node_info *out, pdm_ctx *ctx, const char *uri)
{
    const pdm__node *n;
    int rc;
    if (!out || !ctx || !uri || !ctx->tree ||
        out->struct_size < sizeof *out)
        return PDM_EINVAL;
    if (!(n = gettable(ctx, uri, &rc)))
        return rc;
    node_fill(out, n);
    return PDM_OK;
}

typedef struct walk {
    pdm_ctx *ctx;
    unsigned max_depth;
    uint32_t flags;
    pdm_tree_walk_fn fn;
    void *user;
    pdm__buf uri; /* "./A/B" of the node visited */
} walk;

static int visit(walk *w, const pdm__node *n, unsigned depth)
{
    pdm_node_info info;
    pdm__tree_result r;
    pdm__decision d;
    size_t mark = w->uri.len;
    bool got = false;
    int rc;

    if (depth > 0) { /* "." + "/A", "./A" + "/B" */
        pdm__buf_putc(&w->uri, '/');
        pdm__buf_puts(&w->uri, pdm__node_name(n));
    }
    if (!pdm__buf_ok(&w->uri))
        return PDM_ENOMEM;
    info.struct_size = sizeof info;
    node_fill(&info, n);
    if ((w->flags & PDM_WALK_VALUES) && !pdm__node_is_interior(n) &&
        !(info.flags & PDM_NODE_IS_SECRET)) {
        /* Read as a Get would: an MO handler's value, the secret rule. */
        if (pdm__tree_get(w->ctx->tree, &LOCAL, (const char *)w->uri.data,
                          &r, &d) == PDM_OK) {
            got = true;
            info.flags |= PDM_NODE_HAS_VALUE;
            info.value = r.data;
            info.len = r.len;
        } else {
            info.why = d.reason;
        }
    }
    rc = w->fn(w->user, (const char *)w->uri.data, depth, &info);
    if (got)
        pdm__tree_result_free(&r);
    if (rc == 0 && depth < w->max_depth)
        for (const pdm__node *k = pdm__node_first_child(n); k && rc == 0;
             k = pdm__node_next_sibling(k))
            rc = visit(w, k, depth + 1);
    w->uri.len = mark;
    w->uri.data[mark] = '\0';
    return rc;
}

int pdm_ctx_tree_walk(pdm_ctx *ctx, const char *uri, unsigned max_depth,
                      uint32_t flags, pdm_tree_walk_fn fn, void *user)
{
    const pdm__node *n;
    walk w;
    int rc;
    if (!ctx || !uri || !fn || !ctx->tree || (flags & ~PDM_WALK_VALUES))
        return PDM_EINVAL;
    if (!(n = gettable(ctx, uri, &rc)))
        return rc;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.max_depth = max_depth;
    w.flags = flags;
    w.fn = fn;
    w.user = user;
    pdm__buf_init(&w.uri);
    pdm__buf_putc(&w.uri, '.');
    if (pdm__node_parent(n)) {
        pdm__buf_putc(&w.uri, '/');
        pdm__node_path(n, &w.uri);
    }
    rc = visit(&w, n, 0);
    pdm__buf_free(&w.uri);
    return rc;
}

/* ---- export and import ---------------------------------------------------------- */

int pdm_ctx_tree_export(pdm_tree_value **out, pdm_ctx *ctx, const char *uri,
                        uint32_t flags)
{
    pdm__tnds_opts to;
    pdm__decision d;
    pdm__uri u;
    value *v;
    char err[200];
    int rc;

    if (!out)
        return PDM_EINVAL;
    *out = NULL;
    if (!ctx || !uri || !ctx->tree ||
        (flags & ~(PDM_EXPORT_STRUCT | PDM_EXPORT_STRUCTDATA |
                   PDM_EXPORT_WBXML)) ||
        (flags & PDM_EXPORT_STRUCT && flags & PDM_EXPORT_STRUCTDATA))
        return PDM_EINVAL;
    rc = pdm__uri_parse(&u, uri, strlen(uri), NULL, err, sizeof err);
    if (rc != PDM_OK) {
        snprintf(ctx->err, sizeof ctx->err, "%s", err);
        return rc;
    }
    if (!(v = value_new())) {
        pdm__uri_free(&u);
        return PDM_ENOMEM;
    }
    memset(&to, 0, sizeof to);
    to.list = flags & PDM_EXPORT_STRUCT       ? PDM_URI_LIST_STRUCT
              : flags & PDM_EXPORT_STRUCTDATA ? PDM_URI_LIST_STRUCTDATA
                                              : PDM_URI_LIST_TNDS;
    to.props = PDM_URI_PROP_ALL;
    to.wbxml = (flags & PDM_EXPORT_WBXML) != 0;
    to.pretty = !to.wbxml;
    to.redact = true; /* "*****", never the value */
    pdm__buf_init(&v->doc);
    rc = pdm__tnds_export(ctx->tree, &LOCAL, u.path, &to, &v->doc, &d);
    pdm__uri_free(&u);
    if (rc != PDM_OK) {
        pdm_tree_value_free(&v->pub);
        return fail(ctx, rc, &d);
    }
    v->pub.format = to.wbxml ? PDM_FORMAT_BIN : PDM_FORMAT_XML;
    v->pub.data = v->doc.data;
    v->pub.len = v->doc.len;
    v->pub.type = to.wbxml ? PDM_MIME_TNDS_WBXML : PDM_MIME_TNDS_XML;
    *out = &v->pub;
    return PDM_OK;
}

int pdm_ctx_tree_import(pdm_ctx *ctx, const char *target, const uint8_t *doc,
                        size_t len, pdm_local_result *out)
{
    pdm__decision d;
    pdm__uri u;
    int rc;

    if (out) {
        if (out->struct_size < sizeof *out)
            return PDM_EINVAL;
        memset(out, 0, sizeof *out);
        out->struct_size = sizeof *out;
    }
    if (!ctx || !doc || !ctx->tree)
        return PDM_EINVAL;
    memset(&d, 0, sizeof d);
    pdm__strlcpy(d.component, "core", sizeof d.component);
    rc = pdm__uri_parse(&u, target ? target : ".",
                        strlen(target ? target : "."), NULL, d.reason,
                        sizeof d.reason);
    if (rc == PDM_OK) {
        if (ctx->flags & PDM_CTX_READONLY) {
            rc = PDM_EDENIED;
            snprintf(d.reason, sizeof d.reason,
                     "the context is read-only (PDM_CTX_READONLY)");
        } else if (pdm__tree_in_transaction(ctx->tree)) {
            rc = PDM_EBUSY;
            snprintf(d.reason, sizeof d.reason,
                     "the management tree is busy (a session or change is "
                     "open): try again");
        } else {
            rc = pdm__tnds_import(ctx->tree, &LOCAL, u.path, doc, len, &d);
            if (rc == PDM_OK)
                snprintf(d.reason, sizeof d.reason, "imported below %.200s",
                         target ? target : ".");
        }
        pdm__uri_free(&u);
    }
    if (out) {
        pdm__strlcpy(out->summary, d.reason, sizeof out->summary);
        pdm__strlcpy(out->component, rc == PDM_OK ? "" : d.component,
                     sizeof out->component);
    }
    return rc == PDM_OK ? PDM_OK : fail(ctx, rc, &d);
}

/* ---- explain ---------------------------------------------------------------------- */

int pdm_ctx_explain(pdm_explanation *out, pdm_ctx *ctx, const char *server_id,
                    uint32_t op, const char *uri)
{
    pdm__who w = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
    pdm__decision d;
    int rc;
    if (!out || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    if (!ctx || !uri || !ctx->tree || op < PDM_OP_GET || op > PDM_OP_EXEC) {
        out->result = PDM_EINVAL;
        return PDM_EINVAL;
    }
    if (server_id) {
        w.principal = PDM_PRINCIPAL_SERVER;
        w.server_id = server_id;
    }
    rc = pdm__tree_explain(ctx->tree, &w, (int)op, uri, &d);
    out->result = rc;
    pdm__strlcpy(out->rule, d.rule, sizeof out->rule);
    pdm__strlcpy(out->node, d.node, sizeof out->node);
    pdm__strlcpy(out->entry, d.entry, sizeof out->entry);
    pdm__strlcpy(out->component, d.component, sizeof out->component);
    pdm__strlcpy(out->reason, d.reason, sizeof out->reason);
    return rc;
}

/* ---- the audit log ------------------------------------------------------------------ */

typedef struct audit_walk {
    pdm_audit_fn fn;
    void *user;
    bool stopped; /* the visitor returned non-zero */
} audit_walk;

static int audit_visit(void *user, const pdm__audit_rec *a)
{
    audit_walk *aw = user;
    pdm_audit_row row;
    memset(&row, 0, sizeof row);
    row.struct_size = sizeof row;
    row.seq = a->seq;
    row.time_ms = a->ts_ms;
    row.principal = a->principal;
    row.op = a->op;
    row.uri = a->uri;
    row.decision = a->decision;
    row.component = a->component;
    row.reason = a->reason;
    int rc = aw->fn(aw->user, &row);
    aw->stopped = rc != 0;
    return rc;
}

/* The store behind the audit calls, or NULL with the error set. */
static pdm__store *audit_store(pdm_ctx *ctx, int *rc)
{
    if (!ctx->store) {
        *rc = PDM_ENOTSUP;
        snprintf(ctx->err, sizeof ctx->err,
                 "the context has no store (PDM_CTX_NO_STORE): no audit log");
    }
    return ctx->store;
}

int pdm_ctx_audit_each(pdm_ctx *ctx, int64_t since_ms, pdm_audit_fn fn,
                       void *user)
{
    audit_walk aw = {fn, user, false};
    int rc;
    if (!ctx || !fn)
        return PDM_EINVAL;
    if (!audit_store(ctx, &rc))
        return rc;
    rc = pdm__store_audit_query(ctx->store, since_ms, audit_visit, &aw);
    /* A visitor's stop comes back as it is; a store error has its text. */
    if (rc != PDM_OK && !aw.stopped)
        snprintf(ctx->err, sizeof ctx->err, "%s",
                 pdm__store_error(ctx->store));
    return rc;
}

int pdm_ctx_audit_verify(pdm_audit_check *out, pdm_ctx *ctx)
{
    pdm__audit_verdict v;
    int rc;
    if (!out || !ctx || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    if (!audit_store(ctx, &rc))
        return rc;
    memset(&v, 0, sizeof v);
    rc = pdm__store_audit_verify(ctx->store, &v);
    out->segments_kept = v.kept;
    out->segments_dropped = v.dropped;
    out->archived_rows = v.archived_rows;
    out->live_rows = v.live_rows;
    if (rc == PDM_ECORRUPT) {
        pdm__strlcpy(out->problem, v.why, sizeof out->problem);
        snprintf(ctx->err, sizeof ctx->err, "%s", v.why);
    } else if (rc != PDM_OK) {
        snprintf(ctx->err, sizeof ctx->err, "%s",
                 pdm__store_error(ctx->store));
    }
    return rc;
}
