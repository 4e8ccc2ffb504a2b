/*
 * The local user's operations on the management tree (polydm.h, "the
 * local user"; seed S3, S4, S12): takeover, transfer, ACL edit, account
 * deletion, and the list of authorities.
 *
 * Each operation goes through the same stages, and stops at the first
 * refusal with nothing changed:
 *   1. its arguments and the tree (known accounts, a valid ACL);
 *   2. the authority component's takeover(), where root ownership moves;
 *   3. the policies (pdm__engine_policy, principal LOCAL);
 *   4. the user, through the ui hook (a 1101 confirm from "local"),
 *      unless the integrator says it asked already (PDM_LOCAL_CONFIRMED);
 *   5. one tree transaction holding every change, and one audit row
 *      naming the deciding component (a refusal gets its row too).
 * The stores that follow an account but are not the tree (pending first
 * sessions, queued alerts, bootstrap source records) are updated after
 * the commit; each is pruned of accounts that no longer exist anyway
 * (bootstrap.c, alerts.c), so a crash between the two loses nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/authority.h"
#include "engine/engine.h"
#include "tree/dmacc.h"
#include "util/util.h"

static const pdm__who LOCAL = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};

/* One operation on its way. */
typedef struct lop {
    pdm_ctx *ctx;
    const char *op;      /* audit op: "Takeover", "Transfer", ... */
    char uri[300];       /* audit URI */
    uint32_t flags;
    int rc;
    bool in_tx;
    bool audit;          /* write a row (false for bad arguments) */
    char component[96];  /* who decided */
    char text[384];      /* done: what changed; refused: why */
} lop;

static int refuse(lop *o, int rc, const char *component, const char *fmt,
                  ...) PDM_PRINTF(4, 5);
static int refuse(lop *o, int rc, const char *component, const char *fmt,
                  ...)
{
    va_list ap;
    o->rc = rc;
    pdm__strlcpy(o->component, component, sizeof o->component);
    va_start(ap, fmt);
    pdm__verrf(o->text, sizeof o->text, fmt, ap);
    va_end(ap);
    return rc;
}

/* Stage 0: what every operation needs before it looks at anything. */
static int start(lop *o, pdm_ctx *ctx, const char *op, uint32_t flags,
                 uint32_t allowed, pdm_local_result *out)
{
    const char *why;
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->op = op;
    o->flags = flags;
    if (out) {
        if (out->struct_size < sizeof *out)
            return refuse(o, PDM_EINVAL, "core",
                          "pdm_local_result.struct_size is %u, expected %zu",
                          (unsigned)out->struct_size, sizeof *out);
        memset(out, 0, sizeof *out);
        out->struct_size = sizeof *out;
    }
    if (!ctx->tree)
        return refuse(o, PDM_EINVAL, "core", "the context has no tree");
    if (flags & ~allowed)
        return refuse(o, PDM_EINVAL, "core", "unknown flags 0x%x",
                      (unsigned)(flags & ~allowed));
    o->audit = true;
    if ((why = pdm__engine_unusable(ctx)))
        return refuse(o, PDM_EDENIED, "core", "%s", why);
    if (ctx->flags & PDM_CTX_READONLY) {
        o->audit = false; /* a read-only store takes no row either */
        return refuse(o, PDM_EDENIED, "core",
                      "the context is read-only (PDM_CTX_READONLY)");
    }
    if (pdm__tree_in_transaction(ctx->tree))
        return refuse(o, PDM_EBUSY, "core",
                      "the management tree is busy (a session or change is "
                      "open): try again");
    return PDM_OK;
}

/* Stage 5 and the end of every operation: the audit row, the commit (or
 * the abort), the caller's result. */
static int finish(lop *o, pdm_local_result *out)
{
    pdm_ctx *ctx = o->ctx;
    pdm__decision dec;

    memset(&dec, 0, sizeof dec);
    pdm__strlcpy(dec.rule, "local", sizeof dec.rule);
    if (o->rc == PDM_OK && o->in_tx) {
        dec.rc = PDM_OK;
        pdm__strlcpy(dec.component, o->component, sizeof dec.component);
        snprintf(dec.reason, sizeof dec.reason, "%.250s", o->text);
        pdm__tree_audit(ctx->tree, &LOCAL, o->op, o->uri[0] ? o->uri : NULL,
                        &dec);
        o->rc = pdm__tree_commit(ctx->tree);
        o->in_tx = false;
        if (o->rc != PDM_OK)
            refuse(o, o->rc, "core", "cannot store the change: %s",
                   ctx->store ? pdm__store_error(ctx->store)
                              : pdm_strerror(o->rc));
    }
    if (o->in_tx) {
        pdm__tree_abort(ctx->tree);
        o->in_tx = false;
    }
    if (o->rc != PDM_OK) {
        pdm__strlcpy(ctx->err, o->text, sizeof ctx->err);
        if (o->audit && ctx->tree && !pdm__tree_in_transaction(ctx->tree)) {
            /* A refusal is a denial in the log, a failure an error. */
            dec.rc = o->rc == PDM_ENOMEM || o->rc == PDM_EIO ||
                             o->rc == PDM_ENOSPC || o->rc == PDM_EBUSY
                         ? o->rc
                         : PDM_EDENIED;
            pdm__strlcpy(dec.component, o->component, sizeof dec.component);
            snprintf(dec.reason, sizeof dec.reason, "refused (%s): %.200s",
                     pdm_strerror(o->rc), o->text);
            pdm__tree_audit(ctx->tree, &LOCAL, o->op,
                            o->uri[0] ? o->uri : NULL, &dec);
        }
        pdm__logf(&ctx->log, PDM_LOG_INFO, "core", "%s refused by %s: %s (%s)",
                  o->op, o->component, o->text, pdm_strerror(o->rc));
    } else {
        pdm__logf(&ctx->log, PDM_LOG_INFO, "core", "%s: %s", o->op, o->text);
    }
    /* A struct too small for the result is not written to at all. */
    if (out && out->struct_size >= sizeof *out) {
        pdm__strlcpy(out->summary, o->text, sizeof out->summary);
        pdm__strlcpy(out->component, o->rc == PDM_OK ? "" : o->component,
                     sizeof out->component);
    }
    return o->rc;
}

/* ---- accounts ------------------------------------------------------------- */

/* A DM account as the operations see it. */
typedef struct acct {
    pdm__node *node;
    char sid[256];
    char uri[300];   /* "./DMAcc/x" */
    char addr[512];  /* its first server address, or "" */
} acct;

/* The value of leaf @name of @n as a string, or false. */
static bool leaf_text(const pdm__tree *t, const pdm__node *n,
                      const char *name, char *buf, size_t size)
{
    const uint8_t *v;
    size_t len;
    (void)t;
    for (const pdm__node *c = n ? pdm__node_first_child(n) : NULL; c;
         c = pdm__node_next_sibling(c)) {
        if (strcmp(pdm__node_name(c), name) != 0 || pdm__node_is_interior(c))
            continue;
        v = pdm__node_value(c, &len);
        if (!v || len >= size)
            return false;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return true;
    }
    return false;
}

static const pdm__node *child(const pdm__node *n, const char *name)
{
    for (const pdm__node *c = n ? pdm__node_first_child(n) : NULL; c;
         c = pdm__node_next_sibling(c))
        if (strcmp(pdm__node_name(c), name) == 0)
            return c;
    return NULL;
}

static void acct_fill(const pdm__tree *t, pdm__node *node, const char *sid,
                      acct *a)
{
    const pdm__node *aa = child(node, "AppAddr");
    pdm__buf b;
    memset(a, 0, sizeof *a);
    a->node = node;
    pdm__strlcpy(a->sid, sid, sizeof a->sid);
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "./");
    pdm__node_path(node, &b);
    snprintf(a->uri, sizeof a->uri, "%.*s", (int)b.len,
             pdm__buf_ok(&b) ? (const char *)b.data : "./DMAcc");
    pdm__buf_free(&b);
    if (aa && !leaf_text(t, pdm__node_first_child(aa), "Addr", a->addr,
                         sizeof a->addr))
        a->addr[0] = '\0';
}

/* Finds the account of @sid (stage 1). */
static int find_acct(lop *o, const char *sid, const char *what, acct *a)
{
    pdm__tree *t = o->ctx->tree;
    pdm__node *n = NULL;
    int rc;
    if (!sid || !*sid || strlen(sid) >= sizeof a->sid ||
        !pdm__acl_valid_server_id(sid, strlen(sid)))
        return refuse(o, PDM_EINVAL, "core",
                      "%s is not a valid ServerID (printable ASCII without "
                      "blanks, '=', '&', '*' or '+')",
                      what);
    rc = pdm__dmacc_find(t, sid, &n, NULL);
    if (rc == PDM_ENOTFOUND)
        return refuse(o, PDM_ENOTFOUND, "core",
                      "no DM account has ServerID %s", sid);
    if (rc != PDM_OK)
        return refuse(o, PDM_EINVAL, "core",
                      "two DM accounts carry ServerID %s: the tree is "
                      "ambiguous, nothing is done until one is changed",
                      sid);
    acct_fill(t, n, sid, a);
    return PDM_OK;
}

/* ---- stages 2-4 -------------------------------------------------------------- */

/* Stage 2: the authority's takeover() for making @to the root owner. */
static int ask_authority(lop *o, const acct *to)
{
    pdm_ctx *ctx = o->ctx;
    pdm__comp *ac = ctx->plugins.authority;
    pdm_authority_info info;
    pdm_verdict v;
    char who[96], plmn[16];
    const char *src = NULL;
    uint32_t origin = PDM_ORIGIN_UNKNOWN, sec = 0;
    int rc;

    if (!ac)
        return refuse(o, PDM_EDENIED, "core",
                      "the profile has no authority component: root "
                      "ownership never moves (the spec's default)");
    snprintf(who, sizeof who, "authority:%s/%s", ac->plugin->name, ac->name);
    if (!PDM__AUTH_HAS(ac, takeover))
        return refuse(o, PDM_EDENIED, who,
                      "the authority never allows a takeover (it has no "
                      "takeover method)");
    pdm__authority_record(ctx, to->sid, &origin, &sec, &src);
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    info.origin = origin;
    info.sec = sec;
    info.server_id = to->sid;
    info.account_uri = to->uri;
    info.address = to->addr[0] ? to->addr : NULL;
    info.root_owner = pdm__tree_root_owner(ctx->tree);
    info.source = src;
    info.flags = pdm__lock_auth_flags(ctx);
    if (pdm__authority_home_plmn(ctx, plmn, sizeof plmn) == PDM_OK)
        info.home_plmn = plmn;
    memset(&v, 0, sizeof v);
    ac->plugin->err[0] = '\0';
    rc = ac->ops.authority.takeover(ac->inst, &info, &v);
    v.reason[sizeof v.reason - 1] = '\0';
    /* Anything but PDM_OK with ALLOW is a denial (fail closed). */
    if (rc != PDM_OK)
        return refuse(o, PDM_EDENIED, who, "takeover() failed (%s)%s%.150s",
                      pdm_strerror(rc), ac->plugin->err[0] ? ": " : "",
                      ac->plugin->err);
    if (v.reserved != 0)
        return refuse(o, PDM_EDENIED, who,
                      "takeover() set pdm_verdict.reserved to %u (must be "
                      "0): denied",
                      (unsigned)v.reserved);
    if (v.decision != PDM_ALLOW)
        return refuse(o, PDM_EDENIED, who, "%s",
                      v.reason[0]                   ? v.reason
                      : v.decision == PDM_DENY      ? "takeover denied"
                      : v.decision == PDM_ABSTAIN   ? "takeover not allowed "
                                                      "(abstained)"
                                                    : "unknown decision: "
                                                      "denied");
    pdm__strlcpy(o->component, who, sizeof o->component);
    return PDM_OK;
}

/* A node's creator for a policy request: NULL when unknown. */
static const char *creator(const pdm__node *n)
{
    const char *o = n ? pdm__node_owner(n) : "";
    return o[0] ? o : NULL;
}

/* Stage 3: one policy request (principal LOCAL). */
static int ask_policy(lop *o, pdm_policy_req *req)
{
    pdm__decision dec;
    req->struct_size = sizeof *req;
    req->principal = PDM_PRINCIPAL_LOCAL;
    if (!req->root_owner)
        req->root_owner = pdm__tree_root_owner(o->ctx->tree);
    if (pdm__engine_policy(o->ctx, req, &dec) == PDM_OK)
        return PDM_OK;
    return refuse(o, PDM_EDENIED, dec.component[0] ? dec.component : "core",
                  "%s", dec.reason[0] ? dec.reason : "denied by policy");
}

/* Stage 4: the user says yes, or nothing happens. */
static int ask_user(lop *o, const char *text)
{
    pdm_ctx *ctx = o->ctx;
    pdm_ui_request rq;
    pdm_ui_response rs;
    int rc;
    if (o->flags & PDM_LOCAL_CONFIRMED)
        return PDM_OK;
    if (!ctx->hooks.ui)
        return refuse(o, PDM_ECANCELLED, "core",
                      "no way to ask the user (no ui hook): not done");
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.type = 1101;
    rq.server_id = "local";
    rq.text = text;
    rq.mindt = -1;
    rq.maxdt = -1;
    rq.dr = "0"; /* a UI that takes the default says no */
    rq.maxlen = -1;
    rq.it = 'A';
    rq.et = 'T';
    memset(&rs, 0, sizeof rs);
    rs.struct_size = sizeof rs;
    rc = ctx->hooks.ui(ctx->hooks.user, &rq, &rs);
    if (rc != PDM_OK)
        return refuse(o, PDM_ECANCELLED, "user",
                      "the user did not confirm (%s): not done",
                      pdm_strerror(rc));
    if (rs.accepted != 1)
        return refuse(o, PDM_ECANCELLED, "user", "the user declined: not done");
    return PDM_OK;
}

static int begin(lop *o)
{
    if (pdm__tree_begin(o->ctx->tree) != PDM_OK)
        return refuse(o, PDM_EBUSY, "core",
                      "the management tree is busy: try again");
    o->in_tx = true;
    return PDM_OK;
}

/* A failed step inside the transaction (finish() undoes it). */
static int failed(lop *o, int rc, const char *what)
{
    return refuse(o, rc, "core", "%s failed: %s", what, pdm_strerror(rc));
}

/* After a commit: what follows a deleted account outside the tree. */
static void forget(pdm_ctx *ctx, const char *sid)
{
    pdm__bootstrap_forget(ctx, sid);
    pdm__alerts_forget(ctx, sid);
}

/* ---- takeover ------------------------------------------------------------------ */

/* The root ACL after a takeover by @sid: Get, Replace, Delete and Exec
 * are @sid's, Add stays as it is (TND §8.3.7.1.2: it should stay "*"). */
static int takeover_acl(const pdm__node *root, const char *sid, pdm__buf *b)
{
    pdm__acl a;
    char err[160];
    int rc = pdm__acl_parse(pdm__node_acl(root), &a, err, sizeof err);
    if (rc != PDM_OK)
        return rc;
    pdm__acl_format_entry(&a, PDM_OP_ADD, b);
    pdm__buf_printf(b, "%sDelete=%s&Exec=%s&Get=%s&Replace=%s",
                    pdm__acl_has(&a, PDM_OP_ADD) ? "&" : "", sid, sid, sid,
                    sid);
    pdm__buf_putc(b, '\0');
    pdm__acl_free(&a);
    return pdm__buf_ok(b) ? PDM_OK : PDM_ENOMEM;
}

PDM_API int pdm_ctx_takeover(pdm_ctx *ctx, const char *server_id,
                             uint32_t flags, pdm_local_result *out)
{
    lop o;
    acct to;
    pdm_policy_req req;
    pdm__buf acl;
    char old[256] = "", detail[600], ask[700], err[160];
    const char *ro;
    size_t scrubbed = 0;
    int rc;

    if (!ctx)
        return PDM_EINVAL;
    pdm__buf_init(&acl);
    if (start(&o, ctx, "Takeover", flags, PDM_LOCAL_CONFIRMED, out) != PDM_OK)
        goto done;
    pdm__strlcpy(o.uri, ".", sizeof o.uri);
    if (find_acct(&o, server_id, "the new root owner", &to) != PDM_OK)
        goto done;
    if ((ro = pdm__tree_root_owner(ctx->tree)))
        pdm__strlcpy(old, ro, sizeof old);
    pdm__errf(detail, sizeof detail, "root owner %s -> %s",
             old[0] ? old : "(none)", to.sid);
    if (ask_authority(&o, &to) != PDM_OK)
        goto done;
    memset(&req, 0, sizeof req);
    req.op = PDM_OP_TAKEOVER;
    req.server_id = to.sid;
    req.uri = ".";
    req.node_owner = creator(pdm__tree_root(ctx->tree));
    req.address = to.addr[0] ? to.addr : NULL;
    req.detail = detail;
    req.account_origins = pdm__authority_origins(ctx);
    req.account_exists = 1;
    if (ask_policy(&o, &req) != PDM_OK)
        goto done;
    if (old[0] && strcmp(old, to.sid) != 0)
        pdm__errf(ask, sizeof ask,
                 "Make %s the owner of this device's management (the root "
                 "of the tree)? %s, the owner now, loses all its rights.",
                 to.sid, old);
    else
        pdm__errf(ask, sizeof ask,
                 "Make %s the owner of this device's management (the root "
                 "of the tree)?",
                 to.sid);
    if (ask_user(&o, ask) != PDM_OK || begin(&o) != PDM_OK)
        goto done;
    /* One transaction: root ACL, the old owner scrubbed, the fact. */
    if ((rc = takeover_acl(pdm__tree_root(ctx->tree), to.sid, &acl)) !=
            PDM_OK ||
        (rc = pdm__tree_set_acl(ctx->tree, ".", (const char *)acl.data, err,
                                sizeof err)) != PDM_OK) {
        failed(&o, rc, "the root ACL");
        goto done;
    }
    if (old[0] && strcmp(old, to.sid) != 0 &&
        pdm__acl_valid_server_id(old, strlen(old)) &&
        (rc = pdm__tree_scrub_server_id(ctx->tree, old, NULL, &scrubbed)) !=
            PDM_OK) {
        failed(&o, rc, "scrubbing the old owner");
        goto done;
    }
    if ((rc = pdm__tree_set_root_owner(ctx->tree, to.sid)) != PDM_OK) {
        failed(&o, rc, "setting the root owner");
        goto done;
    }
    o.rc = PDM_OK;
    if (!o.component[0])
        pdm__strlcpy(o.component, "core", sizeof o.component);
    pdm__errf(o.text, sizeof o.text, "%s; root ACL '%.150s'", detail,
              (const char *)acl.data);
    if (old[0] && strcmp(old, to.sid) != 0) {
        size_t n = strlen(o.text);
        pdm__errf(o.text + n, sizeof o.text - n,
                  "; %s scrubbed from %zu ACL(s)", old, scrubbed);
    }
done:
    pdm__buf_free(&acl);
    return finish(&o, out);
}

/* ---- transfer ------------------------------------------------------------------ */

PDM_API int pdm_ctx_transfer(pdm_ctx *ctx, const char *from, const char *to,
                             uint32_t flags, pdm_local_result *out)
{
    lop o;
    acct a, b;
    pdm_policy_req req;
    char detail[600], ask[800];
    const char *ro;
    bool root, keep = flags & PDM_LOCAL_KEEP_ACCOUNT;
    size_t scrubbed = 0, moved = 0;
    int rc;

    if (!ctx)
        return PDM_EINVAL;
    if (start(&o, ctx, "Transfer", flags,
              PDM_LOCAL_CONFIRMED | PDM_LOCAL_KEEP_ACCOUNT, out) != PDM_OK)
        goto done;
    if (find_acct(&o, from, "the old authority", &a) != PDM_OK)
        goto done;
    pdm__strlcpy(o.uri, a.uri, sizeof o.uri);
    if (find_acct(&o, to, "the new authority", &b) != PDM_OK)
        goto done;
    if (strcmp(a.sid, b.sid) == 0) {
        refuse(&o, PDM_EINVAL, "core", "transfer from %s to itself", a.sid);
        goto done;
    }
    ro = pdm__tree_root_owner(ctx->tree);
    root = ro && strcmp(ro, a.sid) == 0;
    /* Root ownership moves too: the authority and PDM_OP_TAKEOVER. */
    if (root && ask_authority(&o, &b) != PDM_OK)
        goto done;
    pdm__errf(detail, sizeof detail, "%s -> %s, %s", a.sid, b.sid,
             keep ? "keep" : "delete");
    memset(&req, 0, sizeof req);
    req.op = PDM_OP_TRANSFER;
    req.server_id = b.sid;
    req.node_owner = a.sid;
    req.uri = a.uri;
    req.address = b.addr[0] ? b.addr : NULL;
    req.detail = detail;
    req.account_exists = 1;
    if (ask_policy(&o, &req) != PDM_OK)
        goto done;
    if (root) {
        char tdetail[600];
        pdm__errf(tdetail, sizeof tdetail, "root owner %s -> %s", a.sid, b.sid);
        memset(&req, 0, sizeof req);
        req.op = PDM_OP_TAKEOVER;
        req.server_id = b.sid;
        req.uri = ".";
        req.node_owner = creator(pdm__tree_root(ctx->tree));
        req.address = b.addr[0] ? b.addr : NULL;
        req.detail = tdetail;
        req.account_origins = pdm__authority_origins(ctx);
        req.account_exists = 1;
        if (ask_policy(&o, &req) != PDM_OK)
            goto done;
    }
    pdm__errf(ask, sizeof ask,
             "Move the management of this device from %s to %s? %s's rights "
             "go to %s%s, and %s's account is %s.",
             a.sid, b.sid, a.sid, b.sid,
             root ? " (with the ownership of the tree's root)" : "", a.sid,
             keep ? "kept without rights" : "deleted");
    if (ask_user(&o, ask) != PDM_OK || begin(&o) != PDM_OK)
        goto done;
    /* One transaction: interrupted anywhere, A or B is in charge. */
    if ((rc = pdm__tree_scrub_server_id(ctx->tree, a.sid, b.sid, &scrubbed)) !=
        PDM_OK) {
        failed(&o, rc, "moving the ACL entries");
        goto done;
    }
    if ((rc = pdm__tree_reassign_owner(ctx->tree, NULL, a.sid, b.sid, a.uri,
                                       &moved)) != PDM_OK) {
        failed(&o, rc, "moving the nodes' owner");
        goto done;
    }
    if (root && (rc = pdm__tree_set_root_owner(ctx->tree, b.sid)) != PDM_OK) {
        failed(&o, rc, "setting the root owner");
        goto done;
    }
    if (!keep && ((rc = pdm__tree_remove(ctx->tree, a.uri)) != PDM_OK ||
                  (rc = pdm__authority_record_drop(ctx, a.sid)) != PDM_OK)) {
        failed(&o, rc, "deleting the old account");
        goto done;
    }
    o.rc = PDM_OK;
    if (!o.component[0])
        pdm__strlcpy(o.component, "core", sizeof o.component);
    pdm__errf(o.text, sizeof o.text,
             "management %s -> %s: %zu ACL(s) changed, %zu node(s) now %s's%s; "
             "%s %s",
             a.sid, b.sid, scrubbed, moved, b.sid,
             root ? ", root owner moved" : "", a.uri,
             keep ? "kept without rights" : "deleted");
done:
    rc = finish(&o, out);
    if (rc == PDM_OK && !keep)
        forget(ctx, a.sid);
    return rc;
}

/* ---- ACL edit ------------------------------------------------------------------ */

/* The DMAcc rule (dmacc.h) sets ./DMAcc's and each account node's ACL and
 * repairs them when a context opens: an edit it would undo is refused
 * rather than lost later. */
static int dmacc_rule(lop *o, const pdm__node *n, const pdm__acl *a,
                      const char *acl)
{
    pdm__tree *t = o->ctx->tree;
    const pdm__node *dm = pdm__dmacc_root(t);
    const uint8_t *v;
    size_t len;
    if (!dm)
        return PDM_OK;
    if (n == dm) {
        if (strcmp(acl, PDM_DMACC_ACL) != 0)
            return refuse(o, PDM_EINVAL, "core",
                          "dmacc-acl: ./DMAcc keeps the ACL '%s' (the core "
                          "sets it)",
                          PDM_DMACC_ACL);
        return PDM_OK;
    }
    if (pdm__node_parent(n) != dm ||
        !(v = pdm__dmacc_server_id(t, n, &len)))
        return PDM_OK;
    for (unsigned i = 0; i < a->nids; i++)
        if (strlen(a->ids[i]) != len || memcmp(a->ids[i], v, len) != 0)
            goto bad;
    if (!pdm__acl_is_empty(a) && !a->star)
        return PDM_OK;
bad:
    return refuse(o, PDM_EINVAL, "core",
                  "dmacc-acl: the ACL of a DM account names its own ServerID "
                  "only (the core would set it back)");
}

PDM_API int pdm_ctx_acl_set(pdm_ctx *ctx, const char *uri, const char *acl,
                            uint32_t flags, pdm_local_result *out)
{
    lop o;
    pdm__buf path, canon;
    pdm__acl a;
    pdm__node *n;
    pdm_policy_req req;
    char err[200], ask[700], was[200];
    int rc;

    if (!ctx)
        return PDM_EINVAL;
    pdm__buf_init(&path);
    pdm__buf_init(&canon);
    pdm__acl_init(&a);
    if (start(&o, ctx, "Replace", flags, PDM_LOCAL_CONFIRMED, out) != PDM_OK)
        goto done;
    if (!uri || !acl) {
        refuse(&o, PDM_EINVAL, "core", "no %s given", uri ? "ACL" : "URI");
        goto done;
    }
    err[0] = '\0';
    rc = pdm__uri_canon(&path, uri, strlen(uri), pdm__tree_limits(ctx->tree),
                        err, sizeof err);
    pdm__buf_putc(&path, '\0');
    if (rc != PDM_OK || !pdm__buf_ok(&path)) {
        snprintf(o.uri, sizeof o.uri, "%.200s", uri);
        refuse(&o, rc == PDM_ENOMEM ? rc : PDM_EINVAL, "core",
               "bad URI '%.200s': %s", uri, err[0] ? err : pdm_strerror(rc));
        goto done;
    }
    n = pdm__tree_find(ctx->tree, (const char *)path.data, path.len - 1);
    snprintf(o.uri, sizeof o.uri, "%s%.200s?prop=ACL",
             n && !pdm__node_parent(n) ? "" : "./", (const char *)path.data);
    if (!n) {
        refuse(&o, PDM_ENOTFOUND, "core", "%.200s does not exist", uri);
        goto done;
    }
    err[0] = '\0';
    if ((rc = pdm__acl_parse(acl, &a, err, sizeof err)) != PDM_OK) {
        refuse(&o, rc == PDM_ENOMEM ? rc : PDM_EINVAL, "core",
               "bad ACL: %s", err);
        goto done;
    }
    if (!pdm__node_parent(n) && pdm__acl_is_empty(&a)) {
        refuse(&o, PDM_EINVAL, "core",
               "the root's ACL cannot be empty (TND §8.3.7.1.1)");
        goto done;
    }
    pdm__acl_format(&a, &canon);
    pdm__buf_putc(&canon, '\0');
    if (!pdm__buf_ok(&canon)) {
        refuse(&o, PDM_ENOMEM, "core", "out of memory");
        goto done;
    }
    if (dmacc_rule(&o, n, &a, (const char *)canon.data) != PDM_OK)
        goto done;
    snprintf(was, sizeof was, "%s", pdm__node_acl(n));
    memset(&req, 0, sizeof req);
    req.op = PDM_OP_ACL_EDIT;
    req.uri = o.uri; /* "./A/B" (the query goes below) */
    req.node_owner = creator(n);
    req.detail = (const char *)canon.data;
    {
        char nu[300];
        snprintf(nu, sizeof nu, "%.*s", (int)(strlen(o.uri) - 9), o.uri);
        req.uri = nu;
        if (ask_policy(&o, &req) != PDM_OK)
            goto done;
    }
    pdm__errf(ask, sizeof ask,
             "Change who may manage %.*s? Its access rights (ACL) become "
             "'%.200s'%s (were '%.150s').",
             (int)(strlen(o.uri) - 9), o.uri, (const char *)canon.data,
             canon.len > 1 ? "" : " (inherited from its parent)",
             was[0] ? was : "inherited");
    if (ask_user(&o, ask) != PDM_OK || begin(&o) != PDM_OK)
        goto done;
    /* TStamp/VerNo follow (TND §8.3.5). */
    err[0] = '\0';
    if ((rc = pdm__tree_set_acl(ctx->tree, (const char *)path.data,
                                (const char *)canon.data, err, sizeof err)) !=
        PDM_OK) {
        refuse(&o, rc == PDM_ENOMEM ? rc : PDM_EINVAL, "core",
               "ACL refused: %s", err);
        goto done;
    }
    o.rc = PDM_OK;
    pdm__strlcpy(o.component, "core", sizeof o.component);
    pdm__errf(o.text, sizeof o.text,
              "ACL of %.*s set to '%.150s' (was '%.150s')",
              (int)(strlen(o.uri) - 9), o.uri, (const char *)canon.data, was);
done:
    pdm__acl_free(&a);
    pdm__buf_free(&path);
    pdm__buf_free(&canon);
    return finish(&o, out);
}

/* ---- account deletion ------------------------------------------------------------ */

PDM_API int pdm_ctx_account_delete(pdm_ctx *ctx, const char *server_id,
                                   uint32_t flags, pdm_local_result *out)
{
    lop o;
    acct a;
    pdm_policy_req req;
    char detail[400], ask[600];
    const char *ro;
    bool root;
    size_t scrubbed = 0, heired = 0;
    int rc;

    if (!ctx)
        return PDM_EINVAL;
    if (start(&o, ctx, "AccountDelete", flags, PDM_LOCAL_CONFIRMED, out) !=
        PDM_OK)
        goto done;
    if (find_acct(&o, server_id, "the account's ServerID", &a) != PDM_OK)
        goto done;
    pdm__strlcpy(o.uri, a.uri, sizeof o.uri);
    ro = pdm__tree_root_owner(ctx->tree);
    root = ro && strcmp(ro, a.sid) == 0;
    pdm__errf(detail, sizeof detail, "delete %s (ServerID %s)%s", a.uri, a.sid,
             root ? ", the root owner" : "");
    memset(&req, 0, sizeof req);
    req.op = PDM_OP_ACCOUNT_DELETE;
    req.server_id = a.sid;
    req.uri = a.uri;
    req.node_owner = creator(a.node);
    req.address = a.addr[0] ? a.addr : NULL;
    req.detail = detail;
    if (ask_policy(&o, &req) != PDM_OK)
        goto done;
    pdm__errf(ask, sizeof ask,
             "Delete the management account of %s (%s)? It loses every right "
             "on this device%s.",
             a.sid, a.uri, root ? ", and nobody owns the tree's root" : "");
    if (ask_user(&o, ask) != PDM_OK || begin(&o) != PDM_OK)
        goto done;
    if ((rc = pdm__tree_remove(ctx->tree, a.uri)) != PDM_OK ||
        (rc = pdm__authority_record_drop(ctx, a.sid)) != PDM_OK) {
        failed(&o, rc, "deleting the account");
        goto done;
    }
    if ((rc = pdm__tree_forget_server(ctx->tree, a.sid, "local", &scrubbed,
                                      &heired)) != PDM_OK) {
        failed(&o, rc, "removing the ServerID from the tree");
        goto done;
    }
    o.rc = PDM_OK;
    pdm__strlcpy(o.component, "core", sizeof o.component);
    pdm__errf(o.text, sizeof o.text,
             "%s (ServerID %s) deleted; scrubbed from %zu ACL(s); %zu node(s) "
             "it created are the local user's now%s", a.uri, a.sid, scrubbed,
             heired, root ? "; nobody owns root now" : "");
done:
    rc = finish(&o, out);
    if (rc == PDM_OK)
        forget(ctx, a.sid);
    return rc;
}

/* ---- authorities ------------------------------------------------------------------ */

/* pdm_ctx_authority's answer: borrowed by the caller until the next call
 * on the context. */
struct pdm__local {
    acct acct;
    char source[128];
    char *subtrees;
};

void pdm__local_free(pdm_ctx *ctx)
{
    if (!ctx || !ctx->local)
        return;
    pdm__free(ctx->local->subtrees);
    pdm__free(ctx->local);
    ctx->local = NULL;
}

PDM_API int pdm_ctx_authority(pdm_ctx *ctx, size_t i,
                              pdm_authority_entry *out)
{
    const pdm__node *dm;
    size_t k = 0;
    if (!ctx || !out || !ctx->tree ||
        out->struct_size < offsetof(pdm_authority_entry, subtrees) +
                               sizeof(const char *))
        return PDM_EINVAL;
    dm = pdm__dmacc_root(ctx->tree);
    for (pdm__node *c = dm ? pdm__node_first_child(dm) : NULL; c;
         c = pdm__node_next_sibling(c)) {
        struct pdm__local *e;
        const uint8_t *v;
        size_t len;
        const char *src = NULL, *ro;
        pdm__buf sub;
        uint32_t size = out->struct_size;
        /* An account without an identity is no authority. */
        if (!(v = pdm__dmacc_server_id(ctx->tree, c, &len)) ||
            len >= sizeof ctx->local->acct.sid || k++ != i)
            continue;
        if (!ctx->local && !(ctx->local = pdm__calloc(1, sizeof *ctx->local)))
            return PDM_ENOMEM;
        e = ctx->local;
        {
            char sid[sizeof e->acct.sid];
            memcpy(sid, v, len);
            sid[len] = '\0';
            acct_fill(ctx->tree, c, sid, &e->acct);
        }
        pdm__buf_init(&sub);
        pdm__tree_owned_subtrees(ctx->tree, e->acct.sid, &sub);
        pdm__buf_putc(&sub, '\0');
        if (!pdm__buf_ok(&sub)) {
            pdm__buf_free(&sub);
            return PDM_ENOMEM;
        }
        pdm__free(e->subtrees);
        e->subtrees = (char *)pdm__buf_steal(&sub, NULL);
        memset(out, 0, size);
        out->struct_size = size;
        out->origin = PDM_ORIGIN_UNKNOWN;
        pdm__authority_record(ctx, e->acct.sid, &out->origin, &out->sec,
                              &src);
        e->source[0] = '\0';
        if (src)
            pdm__strlcpy(e->source, src, sizeof e->source);
        ro = pdm__tree_root_owner(ctx->tree);
        out->owns_root = ro && strcmp(ro, e->acct.sid) == 0;
        out->server_id = e->acct.sid;
        out->account_uri = e->acct.uri;
        out->address = e->acct.addr[0] ? e->acct.addr : NULL;
        out->source = e->source[0] ? e->source : NULL;
        out->subtrees = e->subtrees;
        return PDM_OK;
    }
    return PDM_ENOTFOUND;
}
