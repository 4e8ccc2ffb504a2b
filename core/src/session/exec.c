/*
 * Running the commands of a server message: Add, Get, Replace, Delete,
 * Copy, Exec through the tree (ACLs and policies apply there), Atomic
 * (savepoint: 200, or 507 with 216/215 for the members), Sequence
 * (ordered; 215 after an abort), user-interaction alerts through the
 * integrator's UI hook, large objects (MoreData, 213, Meta Size, 424,
 * 1225), and the Inbox: an Add there is placed by the bootstrap stages
 * (see "Inbox placement" below).  Every command gets its Status; Results
 * follow their Status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"
#include "session/session_int.h"
#include "tree/tnds.h"
#include "util/util.h"

typedef struct xctx {
    pdm_session *s;
    pdm__out_text msg_ref; /* the message's MsgID, shared by every answer */
    unsigned long full;    /* commands and items refused with 420 */
    pdm__log_burst big;    /* Gets refused as too large (413) */
} xctx;

/* Outcome of one command, deferred so Atomic can rewrite it. */
typedef struct outcome {
    pdm__el *status;   /* queued Status (its Data may be rewritten) */
    int code;
    bool executed;     /* changed something that a rollback undoes */
} outcome;

static const char *text(const pdm__el *e, pdm__tag t)
{
    return pdm__el_child_text(e, t);
}

static const char *item_uri(const pdm__el *item, pdm__tag which)
{
    pdm__el *t = pdm__el_child(item, which);
    return t ? text(t, PDM_TAG_LOCURI) : NULL;
}

/* Meta value of an item, falling back to the command's Meta. */
static const char *meta_of(const pdm__el *cmd, const pdm__el *item,
                           pdm__tag tag)
{
    pdm__el *m = item ? pdm__el_child(item, PDM_TAG_META) : NULL;
    const char *v = m ? text(m, tag) : NULL;
    if (!v) {
        m = pdm__el_child(cmd, PDM_TAG_META);
        v = m ? text(m, tag) : NULL;
    }
    return v;
}

/* Is the text of e a string the engine may read and echo: UTF-8 that
 * XML carries as it is?  A NUL would silently cut it (a LocURI cut short
 * names another node for both the ACL check and the operation), other
 * bytes would make the answer unencodable in XML. */
static bool string_ok(const pdm__el *e)
{
    return !e->text || pdm__xml_is_text(e->text, e->len);
}

/* Rewrites the code of a queued Status (Atomic outcome).  Status texts
 * live in the session arena and every code has three digits. */
static void set_code(pdm__el *status, int code)
{
    pdm__el *d = status ? pdm__el_child(status, PDM_TAG_DATA) : NULL;
    char buf[8];
    snprintf(buf, sizeof buf, "%d", code);
    if (d && d->text && d->len == 3 && strlen(buf) == 3)
        memcpy(d->text, buf, 3);
}

/* Queues the Status of cmd; cmd_ref is its CmdID as a shared text, or
 * NULL (then made here). */
static pdm__el *queue_status_ref(xctx *x, const pdm__el *cmd,
                                 const pdm__out_text *cmd_ref, int code)
{
    pdm__out_text own;
    pdm__el *st = NULL;
    const pdm__el *id = pdm__el_child(cmd, PDM_TAG_CMDID);
    /* A command without a usable CmdID gets an empty CmdRef: "0" would
     * name the SyncHdr. */
    if (!cmd_ref &&
        pdm__out_text_copy(x->s, id && id->text && string_ok(id)
                                     ? (const char *)id->text
                                     : "",
                           &own))
        cmd_ref = &own;
    if (cmd_ref)
        st = pdm__out_status_for(x->s, &x->msg_ref, cmd_ref, cmd, code);
    pdm__out_queue(x->s, st);
    return st;
}

static pdm__el *queue_status(xctx *x, const pdm__el *cmd, int code)
{
    return queue_status_ref(x, cmd, NULL, code);
}

/* ---- response budget ------------------------------------------------------------ */

/* The answers of a package may hold s->budget bytes (session_int.h): a
 * command or item that finds them full is not executed and answered 420
 * (Device full: the device has no room for the answer; 413 is for an
 * answer that could never fit, see the Get of exec_item).  The Statuses of refused
 * commands still cost memory, so a server that goes on sending past twice
 * the budget (several messages while our answers wait) loses the session:
 * refused whole, rolled back, aborted with Alert 1223 (session.c).
 * Returns true when @s may not execute anything more. */
static bool budget_spent(xctx *x)
{
    pdm_session *s = x->s;
    size_t used = pdm__out_bytes(s);
    if (s->aborting)
        return true;
    if (used < s->budget)
        return false;
    if (used / 2 >= s->budget) {
        s->aborting = true;
        pdm__session_fail(s, PDM_ETOOBIG,
                          "server %s sent more commands than twice the "
                          "response budget can answer (%zu bytes, "
                          "session.response_budget): session aborted",
                          s->acc.server_id, s->budget);
    }
    x->full++;
    return true;
}

/* ---- leaf commands --------------------------------------------------------------- */

static int item_data(const pdm__el *item, pdm__tree_item *ti)
{
    pdm__el *d = pdm__el_child(item, PDM_TAG_DATA);
    ti->data = d && d->text ? d->text : (const uint8_t *)"";
    ti->len = d && d->text ? d->len : 0;
    return PDM_OK;
}

static int fill_item(const pdm__el *cmd, const pdm__el *item,
                     pdm__tree_item *ti, bool is_add)
{
    const char *fmt = meta_of(cmd, item, PDM_TAG_MI_FORMAT);
    memset(ti, 0, sizeof(*ti));
    item_data(item, ti);
    ti->type = meta_of(cmd, item, PDM_TAG_MI_TYPE);
    if (fmt) {
        int f = pdm__format_from_name(fmt, strlen(fmt));
        if (f < 0)
            return PDM_EFORMAT;
        ti->format = (uint32_t)f;
        ti->has_format = true;
    } else {
        /* DM: Format defaults to chr; an Add without Data and Format is
         * taken as an interior node only when it has no Data at all. */
        ti->format = is_add && !pdm__el_child(item, PDM_TAG_DATA)
                         ? PDM_FORMAT_NODE
                         : PDM_FORMAT_CHR;
    }
    return PDM_OK;
}

/* ---- Inbox placement -------------------------------------------------------
 *
 * ./Inbox is a drop box (facts §7.4): an MO a server adds there is moved
 * at once to where its MO identifier says, by the bootstrap stages
 * (bootstrap.h): the item becomes a fragment (pdm__dmprof_item, the
 * DM-profile decoder's reading of an item), pdm__bs_place gives it its
 * final place (unique names, ConnMO "-2" renames, ./Inbox/<path>
 * references inside it rewritten; an existing ServerID is never
 * replaced), and the placed nodes are added by the server through the
 * normal tree operations, so ACLs, the account rules (a server never
 * creates an account: 425 account-create), policies and the creator
 * rule decide at the final place.  All nodes of the item or none.
 *
 * Decisions (docs/architecture.md, "Inbox placement"):
 *   - An MO is placed from ONE item: its root ./Inbox/<x> (its MO id as
 *     the item's Meta Type, or as the root's Type in a TNDS) and
 *     everything below it.  A node
 *     below an ./Inbox/<x> that the item does not add is 404: nothing
 *     ever stays in the Inbox, so that parent does not exist, and it
 *     cannot be created implicitly, as an MO without its identity.
 *   - An MO id the device does not place (or none) is 415 Unsupported
 *     media type or format: the MO id travels as the node's Type (facts
 *     §1.6 lists TNDS and type refusals there); 406 is for optional
 *     protocol features and 404 would wrongly say the target is missing.
 *   - A plain Add of ./Inbox itself stays a tree Add (418: it exists);
 *     a TNDS added AT ./Inbox is placed like one below it.  Get, Replace,
 *     Delete, Exec stay refused by the tree (405, also for a node that
 *     does not exist), a Copy into the Inbox by exec_item (405). */

/* Is @target (an Add's) for the Inbox placement?  1 yes, 0 no,
 * PDM_ENOMEM when it cannot be told: the caller fails the command rather
 * than let it reach the Inbox by another way (a Copy, a plain Add). */
static int inbox_target(const char *target, const char *type,
                        const pdm__el *mt)
{
    pdm__buf b;
    int r = 0;
    if (!target)
        return 0;
    pdm__buf_init(&b);
    if (pdm__uri_canon(&b, target, strlen(target), NULL, NULL, 0) == PDM_OK &&
        pdm__buf_ok(&b) && b.data) {
        const char *p = (const char *)b.data;
        bool tnds = mt || pdm__strcaseeq(type, PDM_MIME_TNDS_XML) ||
                    pdm__strcaseeq(type, PDM_MIME_TNDS_WBXML);
        r = !strncmp(p, "Inbox/", 6) || (!strcmp(p, "Inbox") && tnds);
    } else if (!pdm__buf_ok(&b)) {
        r = PDM_ENOMEM;
    }
    pdm__buf_free(&b);
    return r;
}

/* A refusal of Inbox placement, decided by the core. */
#define inbox_fail(d, rc, rule, ...) \
    pdm__decide(d, rc, rule, "core", __VA_ARGS__)

/* d->reason = prefix ": " d->reason, cut to fit. */
static void prefix_reason(pdm__decision *d, const char *prefix)
{
    char was[sizeof d->reason];
    size_t pl;
    pdm__strlcpy(was, d->reason, sizeof was);
    pl = pdm__strlcpy(d->reason, prefix, sizeof d->reason);
    if (pl + 2 < sizeof d->reason) {
        memcpy(d->reason + pl, ": ", 3);
        pdm__strlcpy(d->reason + pl + 2, was, sizeof d->reason - pl - 2);
    }
}

/* The canonical path of fragment node i ("Inbox/Net/Addr"), or NULL. */
static char *frag_path(const pdm__bs_frag *f, size_t i)
{
    pdm__buf b;
    pdm__buf_init(&b);
    if (pdm__uri_canon(&b, f->v[i].uri, strlen(f->v[i].uri), NULL, NULL,
                       0) != PDM_OK || !pdm__buf_ok(&b)) {
        pdm__buf_free(&b);
        return NULL;
    }
    return (char *)pdm__buf_steal(&b, NULL);
}

/* Length of "Inbox/<x>" in canonical p (below the Inbox), else 0. */
static size_t inbox_root_len(const char *p)
{
    const char *sl;
    if (strncmp(p, "Inbox/", 6))
        return 0;
    sl = strchr(p + 6, '/');
    return sl ? (size_t)(sl - p) : strlen(p);
}

static bool frag_val_is(const pdm__bs_node *n, const char *v)
{
    return n->data && n->len == strlen(v) && !memcmp(n->data, v, n->len);
}

/* The item's nodes all lie in MOs it adds whole; every root that would
 * be placed as an account is refused first as the tree refuses a direct
 * Add at ./DMAcc (the account rules), so the placement's own checks
 * (a ServerID in use) never tell a server about other accounts. */
static int inbox_check(pdm_session *s, const pdm__bs_frag *f,
                       pdm__decision *d)
{
    char **path = pdm__calloc(f->n ? f->n : 1, sizeof *path);
    int rc = PDM_OK;
    if (!path)
        return inbox_fail(d, PDM_ENOMEM, "memory", "out of memory");
    for (size_t i = 0; i < f->n && rc == PDM_OK; i++)
        if (!(path[i] = frag_path(f, i)))
            rc = inbox_fail(d, PDM_EINVAL, "inbox", "%.200s: not a node URI",
                            f->v[i].uri);
    for (size_t i = 0; i < f->n && rc == PDM_OK; i++) {
        size_t rl = inbox_root_len(path[i]);
        bool have = false;
        if (!strcmp(path[i], "Inbox"))
            continue; /* the Inbox itself: exists, left out */
        if (!rl) {
            rc = inbox_fail(d, PDM_EINVAL, "inbox", "./%.200s is outside the "
                            "Inbox the item targets", path[i]);
            break;
        }
        for (size_t j = 0; j < f->n && !have; j++)
            have = f->v[j].op == PDM_OP_ADD && strlen(path[j]) == rl &&
                   !strncmp(path[j], path[i], rl);
        if (!have)
            rc = inbox_fail(d, PDM_ENOTFOUND, "inbox", "./%.*s does not "
                            "exist: an MO is added to the Inbox whole, its "
                            "root with its MO id in the same item",
                            (int)rl, path[i]);
    }
    for (size_t i = 0; i < f->n && rc == PDM_OK; i++) {
        const pdm__bs_node *n = &f->v[i];
        size_t rl = inbox_root_len(path[i]);
        bool acc;
        if (!rl)
            continue;
        if (strlen(path[i]) == rl) /* a root: its Type */
            acc = pdm__streq(n->type, PDM__MOID_DMACC) ||
                  pdm__streq(n->type, PDM__MOID_DMACC_W7);
        else /* the lenient w7 form place.c also takes for an account */
            acc = !strcmp(path[i] + rl, "/AppID") &&
                  (frag_val_is(n, "w7") || frag_val_is(n, PDM__MOID_DMACC_W7));
        if (acc) {
            pdm__buf u;
            size_t at;
            /* "./Inbox/<x> not placed at ./DMAcc/<x>": the reason's
             * prefix, its tail the URI the tree checks */
            pdm__buf_init(&u);
            pdm__buf_puts(&u, "./");
            pdm__buf_append(&u, path[i], rl);
            pdm__buf_puts(&u, " not placed at ");
            at = u.len;
            pdm__buf_puts(&u, "./DMAcc/");
            pdm__buf_append(&u, path[i] + 6, rl - 6);
            if (!pdm__buf_ok(&u))
                rc = inbox_fail(d, PDM_ENOMEM, "memory", "out of memory");
            else if ((rc = pdm__tree_check(s->ctx->tree, &s->who, PDM_OP_ADD,
                                           (const char *)u.data + at, d)) !=
                     PDM_OK)
                prefix_reason(d, (const char *)u.data);
            pdm__buf_free(&u);
        }
    }
    for (size_t i = 0; i < f->n; i++)
        pdm__free(path[i]);
    pdm__free(path);
    return rc;
}

/* Adds the placed fragment as the server, all or nothing. */
static int inbox_apply(pdm_session *s, const pdm__bs_frag *f,
                       pdm__decision *d)
{
    pdm__tree *t = s->ctx->tree;
    bool began = !pdm__tree_in_transaction(t) && pdm__tree_begin(t) == PDM_OK;
    size_t sp = pdm__tree_savepoint(t);
    pdm__buf u;
    int rc = PDM_OK;
    pdm__buf_init(&u);
    for (size_t i = 0; i < f->n && rc == PDM_OK; i++) {
        const pdm__bs_node *n = &f->v[i];
        pdm__tree_item ti = {.data = n->data, .len = n->len,
                             .format = n->format, .type = n->type,
                             .has_format = true};
        rc = n->op == PDM_OP_ADD ? pdm__tree_add(t, &s->who, n->uri, &ti, d)
                                 : pdm__tree_replace(t, &s->who, n->uri, &ti,
                                                     d);
        if (rc == PDM_OK && n->acl) {
            /* the document's ACL property, set as a TNDS import sets it */
            pdm__tree_item ai = {.data = (const uint8_t *)n->acl,
                                 .len = strlen(n->acl),
                                 .format = PDM_FORMAT_CHR};
            pdm__buf_reset(&u);
            pdm__buf_puts(&u, n->uri);
            pdm__buf_puts(&u, "?prop=ACL");
            rc = pdm__buf_ok(&u)
                     ? pdm__tree_replace(t, &s->who, (const char *)u.data,
                                         &ai, d)
                     : inbox_fail(d, PDM_ENOMEM, "memory", "out of memory");
        }
    }
    pdm__buf_free(&u);
    if (rc != PDM_OK)
        pdm__tree_rollback_to(t, sp);
    if (began) {
        if (rc == PDM_OK)
            rc = pdm__tree_commit(t);
        else
            pdm__tree_abort(t);
    }
    return rc;
}

/* "./Inbox/A placed at ./ConnMO/A, ./Inbox/B placed at ..." */
static void placed_text(const pdm__bs_placed *pl, const char *verb, char *buf,
                        size_t size)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t m = 0; m < pl->nmos && w + 1 < size; m++) {
        int k = snprintf(buf + w, size - w, "%s%s %s %s", m ? ", " : "",
                         pl->mos[m].from, verb, pl->mos[m].root);
        w = k < 0 ? size : w + (size_t)k;
    }
}

/* Add of one item to ./Inbox: decode, place, add at the final place. */
static int inbox_add(pdm_session *s, const char *target, const char *format,
                     const char *type, const pdm__el *mt,
                     const uint8_t *data, size_t len, bool has_data,
                     pdm__decision *d)
{
    pdm__tree *t = s->ctx->tree;
    pdm__bs_frag f;
    pdm__bs_placed pl;
    char err[256], moved[200];
    int rc;

    pdm__bs_frag_init(&f);
    memset(&pl, 0, sizeof pl);
    memset(d, 0, sizeof *d);
    rc = pdm__dmprof_item(PDM_OP_ADD, target, format, type, mt, data, len,
                          has_data, &f, err, sizeof err);
    if (rc != PDM_OK)
        inbox_fail(d, rc, "inbox", "%s", err[0] ? err : "out of memory");
    else if ((rc = inbox_check(s, &f, d)) == PDM_OK &&
             (rc = pdm__bs_place(t, &f, false, &pl, err, sizeof err)) !=
                 PDM_OK)
        inbox_fail(d, rc, "inbox", "%s", err[0] ? err : "out of memory");
    else if (rc == PDM_OK && pl.dropped[0])
        rc = inbox_fail(d, PDM_EFORMAT, "inbox", "not placed: %s",
                        pl.dropped);
    else if (rc == PDM_OK && !pl.nmos)
        rc = inbox_fail(d, PDM_EFORMAT, "inbox", "no MO to place");
    if (rc != PDM_OK) {
        /* refused before any node was added: one row for it */
        pdm__tree_audit(t, &s->who, "Add", target, d);
        goto out;
    }
    rc = inbox_apply(s, &f, d);
    if (rc == PDM_OK) {
        /* a server's Adds are not audited one by one; a move is */
        placed_text(&pl, "placed at", d->reason, sizeof d->reason);
        snprintf(d->rule, sizeof d->rule, "inbox");
        snprintf(d->component, sizeof d->component, "core");
        pdm__tree_audit(t, &s->who, "Add", target, d);
        pdm__logf(&s->ctx->log, PDM_LOG_INFO, "session", "%s: Add %s",
                  s->acc.server_id, d->reason);
    } else {
        /* the tree audited the refusal at the final place; this row ties
         * it to the Inbox Add */
        placed_text(&pl, "not placed at", moved, sizeof moved);
        prefix_reason(d, moved);
        pdm__tree_audit(t, &s->who, "Add", target, d);
    }
out:
    pdm__bs_placed_free(&pl);
    pdm__bs_frag_free(&f);
    return rc;
}

/* Add/Replace of one item (TNDS bodies included). */
static int do_write(xctx *x, const pdm__el *cmd, const pdm__el *item,
                    pdm__tree_item *ti, pdm__decision *d)
{
    pdm_session *s = x->s;
    const char *target = item_uri(item, PDM_TAG_TARGET);
    bool add = cmd->tag == PDM_TAG_ADD;
    int in = 0;
    pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
    pdm__el *mt = data ? pdm__el_child(data, PDM_TAG_DDF_MGMTTREE) : NULL;

    if (!target) {
        snprintf(d->reason, sizeof d->reason, "item without Target");
        return PDM_EINVAL;
    }
    if (add && (in = inbox_target(target, ti->type, mt)) < 0)
        return in;
    if (add && in)
        return inbox_add(s, target, meta_of(cmd, item, PDM_TAG_MI_FORMAT),
                         ti->type, mt, data ? data->text : NULL,
                         data && data->text ? data->len : 0, data != NULL, d);
    if (mt) {
        /* TNDS given as XML elements inside Data. */
        pdm__uri u;
        char err[160];
        int rc;
        if (!add) {
            snprintf(d->reason, sizeof d->reason,
                     "Replace with a TNDS body is not supported");
            return PDM_ENOTSUP;
        }
        rc = pdm__uri_parse(&u, target, strlen(target),
                            pdm__tree_limits(s->ctx->tree), err, sizeof err);
        if (rc != PDM_OK) {
            snprintf(d->reason, sizeof d->reason, "%s", err);
            return rc == PDM_EPARSE ? PDM_EINVAL : rc;
        }
        rc = pdm__tnds_import_el(s->ctx->tree, &s->who, u.path, mt, d);
        pdm__uri_free(&u);
        return rc;
    }
    return add ? pdm__tree_add(s->ctx->tree, &s->who, target, ti, d)
               : pdm__tree_replace(s->ctx->tree, &s->who, target, ti, d);
}

/* Alert 1225 for the object being received: it names the interrupted
 * command's Target/Source so the server can tell which one failed (DM
 * Protocol 2.2). */
static void queue_lo_interrupted(pdm_session *s)
{
    pdm__el *a = pdm__out_alert(s, 1225), *item;
    if (a && (item = pdm__el_add(&s->out, a, PDM_TAG_ITEM))) {
        pdm__el *t;
        if (s->lo.target && (t = pdm__el_add(&s->out, item, PDM_TAG_TARGET)))
            pdm__el_add_str(&s->out, t, PDM_TAG_LOCURI, s->lo.target);
        if (s->lo.source && (t = pdm__el_add(&s->out, item, PDM_TAG_SOURCE)))
            pdm__el_add_str(&s->out, t, PDM_TAG_LOCURI, s->lo.source);
    }
    pdm__out_queue(s, a);
}

static void lo_clear(pdm__lo *lo)
{
    pdm__buf_free(&lo->data);
    pdm__free(lo->target);
    pdm__free(lo->source);
    pdm__free(lo->format);
    pdm__free(lo->type);
    memset(lo, 0, sizeof(*lo));
}

/* Large objects: a chunk of Add/Replace with MoreData, or the last chunk
 * of one in progress.  Returns the status code; *done is true when the
 * command was executed (last chunk). */
static int do_chunk(xctx *x, const pdm__el *cmd, const pdm__el *item,
                    bool more, pdm__decision *d)
{
    pdm_session *s = x->s;
    pdm__lo *lo = &s->lo;
    pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
    const char *target = item_uri(item, PDM_TAG_TARGET);
    if (!lo->active) {
        const char *size = meta_of(cmd, item, PDM_TAG_MI_SIZE);
        long declared;
        if (!size || pdm__parse_long(size, 0, 0x7fffffff, &declared) != PDM_OK)
            return PDM_SC_INCOMPLETE; /* first chunk must give Meta Size */
        if ((unsigned long)declared > s->max_obj)
            return PDM_SC_TOO_LARGE;
        memset(lo, 0, sizeof(*lo));
        lo->active = true;
        lo->cmd_tag = cmd->tag;
        lo->target = pdm__strdup(target ? target : "");
        lo->format = meta_of(cmd, item, PDM_TAG_MI_FORMAT)
                         ? pdm__strdup(meta_of(cmd, item, PDM_TAG_MI_FORMAT))
                         : NULL;
        lo->type = meta_of(cmd, item, PDM_TAG_MI_TYPE)
                       ? pdm__strdup(meta_of(cmd, item, PDM_TAG_MI_TYPE))
                       : NULL;
        lo->declared = (size_t)declared;
        pdm__buf_init(&lo->data);
        /* out of memory: not an object stored without its Format/Type */
        if (!lo->target ||
            (meta_of(cmd, item, PDM_TAG_MI_FORMAT) && !lo->format) ||
            (meta_of(cmd, item, PDM_TAG_MI_TYPE) && !lo->type)) {
            lo_clear(lo);
            return PDM_SC_COMMAND_FAILED;
        }
    }
    if (data && data->text)
        pdm__buf_append(&lo->data, data->text, data->len);
    if (!pdm__buf_ok(&lo->data) || lo->data.len > s->max_obj ||
        lo->data.len > lo->declared) {
        int code = !pdm__buf_ok(&lo->data) ? PDM_SC_COMMAND_FAILED
                   : lo->data.len > lo->declared ? PDM_SC_SIZE_MISMATCH
                                                 : PDM_SC_TOO_LARGE;
        lo_clear(lo);
        return code;
    }
    if (more)
        return PDM_SC_CHUNK_ACCEPTED;
    /* Last chunk: the assembled object must have the announced size. */
    if (lo->data.len != lo->declared) {
        snprintf(d->reason, sizeof d->reason,
                 "large object is %zu bytes, Meta Size said %zu", lo->data.len,
                 lo->declared);
        lo_clear(lo);
        return PDM_SC_SIZE_MISMATCH;
    }
    {
        pdm__tree_item ti;
        int rc, f, in;
        memset(&ti, 0, sizeof ti);
        ti.data = lo->data.data;
        ti.len = lo->data.len;
        ti.type = lo->type;
        f = lo->format ? pdm__format_from_name(lo->format, strlen(lo->format))
                       : PDM_FORMAT_CHR;
        ti.format = f < 0 ? PDM_FORMAT_CHR : (uint32_t)f;
        ti.has_format = lo->format != NULL;
        in = lo->cmd_tag == PDM_TAG_ADD
                 ? inbox_target(lo->target, lo->type, NULL)
                 : 0;
        rc = in < 0 ? in
             : in ? inbox_add(s, lo->target, lo->format, lo->type, NULL,
                             lo->data.data, lo->data.len, true, d)
             : lo->cmd_tag == PDM_TAG_ADD
                 ? pdm__tree_add(s->ctx->tree, &s->who, lo->target, &ti, d)
                 : pdm__tree_replace(s->ctx->tree, &s->who, lo->target, &ti, d);
        lo_clear(lo);
        return pdm__status_from_rc(rc);
    }
}

/* One item of Add/Replace/Delete/Get/Copy/Exec; returns its status code
 * and queues Results for Get. */
static int exec_item(xctx *x, const pdm__el *cmd, const pdm__out_text *cmd_ref,
                     const pdm__el *item, bool *changed, pdm__el **results,
                     pdm__decision *d)
{
    pdm_session *s = x->s;
    pdm__tree_item ti;
    const char *target = item_uri(item, PDM_TAG_TARGET);
    int rc;

    /* The heads of the texts only: the struct is large, and every tree
     * request starts by clearing it again. */
    d->rc = 0;
    d->rule[0] = d->node[0] = d->entry[0] = d->component[0] = d->reason[0] =
        '\0';
    *changed = false;
    if (budget_spent(x)) {
        /* A chunk refused in the middle of an object: the object is
         * discarded, not assembled with a hole. */
        if (s->lo.active)
            lo_clear(&s->lo);
        return PDM_SC_DEVICE_FULL;
    }
    switch (cmd->tag) {
    case PDM_TAG_ADD:
    case PDM_TAG_REPLACE: {
        bool more = pdm__el_child(item, PDM_TAG_MOREDATA) != NULL;
        if (more || s->lo.active) {
            if (s->lo.active && (s->lo.cmd_tag != (int)cmd->tag ||
                                 !pdm__streq(s->lo.target, target))) {
                /* A new object before the last chunk: 1225, discard. */
                queue_lo_interrupted(s);
                lo_clear(&s->lo);
                if (!more)
                    goto plain;
            }
            rc = do_chunk(x, cmd, item, more, d);
            *changed = rc == PDM_SC_OK;
            return rc;
        }
    plain:
        if (fill_item(cmd, item, &ti, cmd->tag == PDM_TAG_ADD) != PDM_OK)
            return PDM_SC_UNSUPPORTED_MEDIA;
        if (s->server_max_obj || s->max_obj) {
            if (ti.len > s->max_obj)
                return PDM_SC_TOO_LARGE;
        }
        rc = do_write(x, cmd, item, &ti, d);
        *changed = rc == PDM_OK;
        return pdm__status_from_rc(rc);
    }
    case PDM_TAG_DELETE:
        if (!target)
            return PDM_SC_BAD_REQUEST;
        rc = pdm__tree_delete(s->ctx->tree, &s->who, target, d);
        *changed = rc == PDM_OK;
        return pdm__status_from_rc(rc);
    case PDM_TAG_COPY: {
        const char *src = item_uri(item, PDM_TAG_SOURCE);
        if (!target || !src)
            return PDM_SC_BAD_REQUEST;
        if ((rc = inbox_target(target, NULL, NULL)) < 0)
            return pdm__status_from_rc(rc);
        if (rc) {
            /* a Copy would create a leaf there that nothing places */
            inbox_fail(d, PDM_ENOTALLOWED, "inbox", "%.200s is in the "
                       "Inbox, which only accepts Add", target);
            pdm__tree_audit(s->ctx->tree, &s->who, "Copy", target, d);
            return PDM_SC_NOT_ALLOWED;
        }
        rc = pdm__tree_copy(s->ctx->tree, &s->who, target, src, d);
        *changed = rc == PDM_OK;
        return pdm__status_from_rc(rc);
    }
    case PDM_TAG_EXEC: {
        pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
        pdm_blob b = {data && data->text ? data->text : NULL,
                      data && data->text ? data->len : 0};
        if (!target)
            return PDM_SC_BAD_REQUEST;
        rc = pdm__tree_exec(s->ctx->tree, &s->who, target, &b,
                            text(cmd, PDM_TAG_CORRELATOR), d);
        *changed = rc == PDM_OK || rc == PDM_PENDING;
        return pdm__status_from_rc(rc);
    }
    case PDM_TAG_GET: {
        pdm__tree_result r;
        size_t biggest, cost;
        if (!target)
            return PDM_SC_BAD_REQUEST;
        /* No answer larger than the whole budget is ever built (413); one
         * that only finds the budget used up by earlier answers is 420,
         * like the commands after it. */
        rc = pdm__tree_get_max(s->ctx->tree, &s->who, target, s->budget, &r,
                               d);
        if (rc == PDM_ETOOBIG) {
            pdm__logf_burst(&s->ctx->log, &x->big, PDM_LOG_WARN, "session",
                            "%s: Get %s: %s (413)", s->acc.server_id, target,
                            d->reason);
            return PDM_SC_TOO_LARGE;
        }
        if (rc == PDM_OK && pdm__out_bytes(s) +
                                    (cost = pdm__out_results_cost(s, target, &r)) >
                                s->budget) {
            pdm__tree_result_free(&r);
            x->full++;
            return cost > s->budget ? PDM_SC_TOO_LARGE : PDM_SC_DEVICE_FULL;
        }
        biggest = r.len;
        for (size_t i = 0; rc == PDM_OK && i < r.nitems; i++)
            if (r.items[i].len > biggest)
                biggest = r.items[i].len;
        if (rc == PDM_OK && s->server_max_obj && biggest > s->server_max_obj) {
            /* The server's MaxObjSize holds for the session: no object
             * larger than it may be sent (DM Protocol 2.2). */
            pdm__logf_burst(&s->ctx->log, &x->big, PDM_LOG_WARN, "session",
                            "%s: Get %s: %zu bytes exceed the server's "
                            "MaxObjSize %u (413)",
                            s->acc.server_id, target, biggest,
                            s->server_max_obj);
            pdm__tree_result_free(&r);
            return PDM_SC_TOO_LARGE;
        }
        if (rc == PDM_OK) {
            /* Results go after the Status: queued by the caller. */
            pdm__el *res = cmd_ref ? pdm__out_results(s, &x->msg_ref, cmd_ref,
                                                      target, &r)
                                   : NULL;
            pdm__tree_result_free(&r);
            if (!res)
                return PDM_SC_COMMAND_FAILED;
            *results = res;
        }
        return pdm__status_from_rc(rc);
    }
    }
    return PDM_SC_NOT_IMPLEMENTED;
}

/* Rows per session for malformed commands: enough to diagnose a server,
 * too few to flood the audit log. */
#define MAX_AUDITED_BAD_REQUESTS 16

/* A malformed command (400) is the server's mistake, not a refusal: say
 * why at -v and in the audit log, a bounded number of rows per session. */
static void note_bad_request(pdm_session *s, const pdm__el *cmd,
                             const pdm__el *item, const char *why)
{
    const char *target = item ? item_uri(item, PDM_TAG_TARGET) : NULL;
    pdm__decision d;
    pdm__logf(&s->ctx->log, PDM_LOG_DEBUG, "session",
              "%s: %s %s: 400 Bad request: %s", s->acc.server_id,
              pdm__el_name(cmd), target ? target : "(no Target)",
              why && *why ? why : "malformed command");
    if (s->bad_requests > MAX_AUDITED_BAD_REQUESTS)
        return;
    memset(&d, 0, sizeof d);
    d.rc = PDM_EINVAL;
    snprintf(d.component, sizeof d.component, "session");
    if (++s->bad_requests > MAX_AUDITED_BAD_REQUESTS)
        snprintf(d.reason, sizeof d.reason,
                 "further malformed commands of this session are only "
                 "logged");
    else
        snprintf(d.reason, sizeof d.reason, "malformed command (400): %s",
                 why && *why ? why : "malformed command");
    pdm__tree_audit(s->ctx->tree, &s->who, pdm__el_name(cmd), target, &d);
}

/* A whole Add/Replace/Delete/Get/Copy/Exec command: one Status per item
 * (with TargetRef when there are several), Results after them. */
static outcome exec_leaf_cmd(xctx *x, const pdm__el *cmd)
{
    outcome o = {NULL, PDM_SC_OK, false};
    size_t nitems = 0;
    pdm__el **results = NULL, *few[8];
    size_t nres = 0;
    pdm__out_text ref;
    const pdm__out_text *cmd_ref;

    for (pdm__el *i = pdm__el_child(cmd, PDM_TAG_ITEM); i;
         i = pdm__el_next(i, PDM_TAG_ITEM))
        nitems++;
    if (nitems == 0) {
        o.code = PDM_SC_INCOMPLETE;
        o.status = queue_status(x, cmd, o.code);
        return o;
    }
    /* The CmdRef of every Status and Results of the command, copied once
     * (NULL after out-of-memory: each Status tries again, Results fail). */
    cmd_ref = pdm__out_text_copy(x->s, text(cmd, PDM_TAG_CMDID), &ref) ? &ref
                                                                       : NULL;
    /* Results wait until every item has its Status; commands nearly
     * always have one item. */
    results = nitems <= PDM__ARRAY_LEN(few) ? few
                                            : pdm__calloc(nitems, sizeof(*results));
    for (pdm__el *i = pdm__el_child(cmd, PDM_TAG_ITEM); i;
         i = pdm__el_next(i, PDM_TAG_ITEM)) {
        bool changed = false;
        pdm__el *res = NULL;
        pdm__decision d;
        int code = exec_item(x, cmd, cmd_ref, i, &changed, &res, &d);
        if (code == PDM_SC_BAD_REQUEST)
            note_bad_request(x->s, cmd, i, d.reason);
        o.executed |= changed;
        /* The command's outcome: its first failure, else the last code. */
        if (pdm__status_ok(o.code))
            o.code = code;
        if (nitems > 1 || !o.status) {
            pdm__el *st = queue_status_ref(x, cmd, cmd_ref, code);
            if (nitems > 1)
                pdm__out_status_ref(x->s, st, item_uri(i, PDM_TAG_TARGET),
                                    item_uri(i, PDM_TAG_SOURCE));
            if (!o.status)
                o.status = st;
        }
        if (res && results)
            results[nres++] = res;
        if (x->s->aborting)
            break;
    }
    for (size_t k = 0; k < nres; k++)
        pdm__out_queue(x->s, results[k]);
    if (results != few)
        pdm__free(results);
    x->s->cmds_executed++;
    return o;
}

/* ---- user interaction --------------------------------------------------------- */

static char hexval(char c)
{
    return (char)(c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1);
}

/* URL-decodes in place ('+' is a space, %HH). */
static void url_decode(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '+') {
            *w++ = ' ';
        } else if (*s == '%' && s[1] && s[2] && hexval(s[1]) >= 0 &&
                   hexval(s[2]) >= 0) {
            *w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

/* Parses the option string of the first Item (facts §2.2); unknown options
 * are ignored, as the spec requires. */
static void ui_options(char *opts, pdm_ui_request *rq, char *dr, size_t drsz)
{
    char *save = NULL;
    for (char *kv = opts ? strtok_r(opts, "&", &save) : NULL; kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        long v;
        if (!eq)
            continue;
        *eq++ = '\0';
        url_decode(eq);
        if (strcmp(kv, "MINDT") == 0 && pdm__parse_long(eq, 0, 86400, &v) == PDM_OK)
            rq->mindt = v;
        else if (strcmp(kv, "MAXDT") == 0 &&
                 pdm__parse_long(eq, 0, 86400, &v) == PDM_OK)
            rq->maxdt = v;
        else if (strcmp(kv, "MAXLEN") == 0 &&
                 pdm__parse_long(eq, 0, 65535, &v) == PDM_OK)
            rq->maxlen = v;
        else if (strcmp(kv, "DR") == 0) {
            pdm__strlcpy(dr, eq, drsz);
            rq->dr = dr;
        } else if (strcmp(kv, "IT") == 0 && strlen(eq) == 1 &&
                   strchr("ANDTPI", eq[0]))
            rq->it = eq[0];
        else if (strcmp(kv, "ET") == 0 && strlen(eq) == 1 && strchr("TP", eq[0]))
            rq->et = eq[0];
    }
}

static outcome exec_ui(xctx *x, const pdm__el *cmd, int type)
{
    pdm_session *s = x->s;
    outcome o = {NULL, PDM_SC_OK, false};
    pdm_ui_request rq;
    pdm_ui_response rs;
    const char *choices[64];
    char *opts = NULL, dr[128] = "";
    size_t n = 0;
    int rc;

    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    rq.struct_size = sizeof rq;
    rs.struct_size = sizeof rs;
    rq.type = type;
    rq.server_id = s->acc.server_id;
    rq.mindt = rq.maxdt = rq.maxlen = -1;
    rq.it = 'A';
    rq.et = 'T';
    for (pdm__el *i = pdm__el_child(cmd, PDM_TAG_ITEM); i;
         i = pdm__el_next(i, PDM_TAG_ITEM), n++) {
        const char *d = text(i, PDM_TAG_DATA);
        if (n == 0)
            opts = pdm__strdup(d ? d : "");
        else if (n == 1)
            rq.text = d ? d : "";
        else if (rq.nchoices < PDM__ARRAY_LEN(choices))
            choices[rq.nchoices++] = d ? d : "";
    }
    rq.choices = choices;
    if (n > 0 && !opts) {
        /* out of memory: not an alert shown without its options */
        o.code = PDM_SC_COMMAND_FAILED;
        o.status = queue_status(x, cmd, o.code);
        return o;
    }
    ui_options(opts, &rq, dr, sizeof dr);
    if (n < 2 || (type >= 1103 && rq.nchoices == 0)) {
        pdm__free(opts);
        o.code = PDM_SC_INCOMPLETE;
        o.status = queue_status(x, cmd, o.code);
        return o;
    }
    if (!s->ctx->hooks.ui) {
        pdm__free(opts);
        o.code = PDM_SC_OPTIONAL_NOT_SUPPORTED; /* no UI on this device */
        o.status = queue_status(x, cmd, o.code);
        return o;
    }
    rc = s->ctx->hooks.ui(s->ctx->hooks.user, &rq, &rs);
    pdm__free(opts);
    if (rc == PDM_ECANCELLED)
        o.code = PDM_SC_CANCELLED;
    else if (rc == PDM_ETIMEOUT)
        o.code = PDM_SC_TIMEOUT;
    else if (rc != PDM_OK)
        o.code = PDM_SC_COMMAND_FAILED;
    else if (type == 1101 && !rs.accepted)
        o.code = PDM_SC_NOT_MODIFIED; /* "No" */
    o.status = queue_status(x, cmd, o.code);
    if (rc == PDM_OK && o.status) {
        /* Answers travel as Status Items. */
        if (type == 1102) {
            pdm__el *it = pdm__el_add(&s->out, o.status, PDM_TAG_ITEM);
            if (it)
                pdm__el_add_str(&s->out, it, PDM_TAG_DATA, rs.text);
        } else if (type == 1103 || type == 1104) {
            size_t k = type == 1103 && rs.nchosen > 1 ? 1 : rs.nchosen;
            for (size_t i = 0; i < k && i < PDM__ARRAY_LEN(rs.chosen); i++) {
                char num[16];
                pdm__el *it = pdm__el_add(&s->out, o.status, PDM_TAG_ITEM);
                snprintf(num, sizeof num, "%d", rs.chosen[i]);
                if (it)
                    pdm__el_add_str(&s->out, it, PDM_TAG_DATA, num);
            }
        }
    }
    return o;
}

static outcome exec_alert(xctx *x, const pdm__el *cmd)
{
    outcome o = {NULL, PDM_SC_OK, false};
    long code = -1;
    const char *d = text(cmd, PDM_TAG_DATA);
    if (d)
        pdm__parse_long(d, 0, 9999, &code);
    if (code >= 1100 && code <= 1104)
        return exec_ui(x, cmd, (int)code);
    if (code == 1222) {
        /* The server asks for the next message of our package. */
        o.status = queue_status(x, cmd, PDM_SC_OK);
        return o;
    }
    o.code = PDM_SC_OPTIONAL_NOT_SUPPORTED;
    o.status = queue_status(x, cmd, o.code);
    return o;
}

/* ---- containers ----------------------------------------------------------------- */

static outcome exec_cmd(xctx *x, const pdm__el *cmd);

static bool allowed_in_atomic(const pdm__el *c)
{
    return c->tag == PDM_TAG_ADD || c->tag == PDM_TAG_REPLACE ||
           c->tag == PDM_TAG_DELETE || c->tag == PDM_TAG_COPY ||
           c->tag == PDM_TAG_ALERT;
}

static bool is_command(const pdm__el *c)
{
    return c->tag != PDM_TAG_CMDID && c->tag != PDM_TAG_META &&
           c->tag != PDM_TAG_NORESP && c->tag != PDM_TAG_CRED;
}

/* 215 for a command that is not executed, and for every command inside
 * it when it is a container: each command the server sent gets a Status. */
static pdm__el *not_executed(xctx *x, const pdm__el *c)
{
    pdm__el *st = queue_status(x, c, PDM_SC_NOT_EXECUTED);
    if (c->tag == PDM_TAG_ATOMIC || c->tag == PDM_TAG_SEQUENCE)
        for (const pdm__el *k = c->first; k; k = k->next)
            if (is_command(k))
                not_executed(x, k);
    return st;
}

/* Atomic: all members or none.  A member that may not be in an Atomic
 * (Get, a nested Atomic, Sequence, Exec) makes the whole Atomic 500 with
 * nothing executed. */
static outcome exec_atomic(xctx *x, const pdm__el *cmd)
{
    pdm_session *s = x->s;
    outcome o = {NULL, PDM_SC_OK, false};
    size_t sp, n = 0, qstart;
    bool failed = false, bad = false;

    for (const pdm__el *c = cmd->first; c; c = c->next)
        if (is_command(c) && !allowed_in_atomic(c))
            bad = true;
    o.status = queue_status(x, cmd, PDM_SC_OK);
    if (bad) {
        o.code = PDM_SC_COMMAND_FAILED;
        set_code(o.status, o.code);
        for (const pdm__el *c = cmd->first; c; c = c->next)
            if (is_command(c))
                not_executed(x, c);
        return o;
    }
    sp = pdm__tree_savepoint(s->ctx->tree);
    pdm__engine_mo_tx(s->ctx, PDM__MO_BEGIN); /* a savepoint for handlers */
    qstart = s->nqueue;
    outcome *members = NULL;
    for (const pdm__el *c = cmd->first; c; c = c->next)
        if (is_command(c))
            n++;
    members = pdm__calloc(n ? n : 1, sizeof(*members));
    if (!members) {
        o.code = PDM_SC_COMMAND_FAILED;
        set_code(o.status, o.code);
        return o;
    }
    n = 0;
    for (const pdm__el *c = cmd->first; c; c = c->next) {
        if (!is_command(c))
            continue;
        if (failed) {
            members[n++] = (outcome){not_executed(x, c), PDM_SC_NOT_EXECUTED,
                                     false};
            continue;
        }
        members[n] = exec_cmd(x, c);
        /* A "No" (304) or a cancel to a UI alert fails the Atomic too. */
        if (!pdm__status_ok(members[n].code) || members[n].code == PDM_SC_CANCELLED)
            failed = true;
        n++;
    }
    if (!failed && pdm__engine_mo_tx(s->ctx, PDM__MO_COMMIT) != PDM_OK)
        failed = true; /* a handler could not keep the Atomic's changes */
    if (failed) {
        pdm__tree_rollback_to(s->ctx->tree, sp);
        pdm__engine_mo_tx(s->ctx, PDM__MO_ROLLBACK);
        o.code = PDM_SC_ATOMIC_FAILED;
        set_code(o.status, o.code);
        /* Every Status of an executed-then-undone item becomes 216; a
         * multi-item member has one Status per item, and a failing item
         * keeps its own code. */
        for (size_t q = qstart; q < s->nqueue; q++) {
            pdm__el *st = s->queue[q];
            const char *d = st->tag == PDM_TAG_STATUS ? text(st, PDM_TAG_DATA)
                                                      : NULL;
            long code;
            if (d && pdm__parse_long(d, 100, 599, &code) == PDM_OK &&
                pdm__status_ok((int)code) && code != PDM_SC_NOT_EXECUTED)
                set_code(st, PDM_SC_ATOMIC_ROLLBACK_OK);
        }
        /* Results of rolled-back members are void: drop them. */
        for (size_t q = qstart; q < s->nqueue; q++)
            if (s->queue[q]->tag == PDM_TAG_RESULTS) {
                memmove(&s->queue[q], &s->queue[q + 1],
                        (s->nqueue - q - 1) * sizeof(*s->queue));
                s->nqueue--;
                q--;
            }
    }
    pdm__free(members);
    return o;
}

/* Sequence: in order; after an aborted UI alert the rest is 215. */
static outcome exec_sequence(xctx *x, const pdm__el *cmd)
{
    outcome o = {NULL, PDM_SC_OK, false};
    bool aborted = false;
    o.status = queue_status(x, cmd, PDM_SC_OK);
    for (const pdm__el *c = cmd->first; c; c = c->next) {
        outcome m;
        if (!is_command(c))
            continue;
        if (aborted) {
            not_executed(x, c);
            continue;
        }
        if (c->tag == PDM_TAG_ATOMIC || c->tag == PDM_TAG_SEQUENCE) {
            m = c->tag == PDM_TAG_ATOMIC ? exec_atomic(x, c) : (outcome){
                queue_status(x, c, PDM_SC_COMMAND_FAILED), PDM_SC_COMMAND_FAILED, false};
        } else {
            m = exec_cmd(x, c);
        }
        o.executed |= m.executed;
        if (c->tag == PDM_TAG_ALERT &&
            (m.code == PDM_SC_NOT_MODIFIED || m.code == PDM_SC_CANCELLED ||
             m.code == PDM_SC_TIMEOUT))
            aborted = true;
    }
    return o;
}

/* The first element below e whose text is not a valid string, or NULL.
 * Item Data of Add, Replace and Exec carries bytes (the tree checks them
 * against the Format); every other text is a string. */
static const pdm__el *bad_string(const pdm__el *e, bool item_bytes)
{
    for (const pdm__el *c = e->first; c; c = c->next) {
        const pdm__el *r;
        if (item_bytes && c->tag == PDM_TAG_DATA && e->tag == PDM_TAG_ITEM)
            continue;
        if (!string_ok(c))
            return c;
        if ((r = bad_string(c, item_bytes)) != NULL)
            return r;
    }
    return NULL;
}

/* Why cmd is malformed (nothing of it runs, 400), or NULL.  The members
 * of Atomic and Sequence are checked when they run.  @strings: check every
 * string (a WBXML message; libxml2 has already refused XML that is not
 * XML 1.0 text, the same rule as pdm__xml_is_text). */
static const char *malformed(const pdm__el *cmd, bool strings, char *buf,
                             size_t size)
{
    const pdm__el *id = pdm__el_child(cmd, PDM_TAG_CMDID);
    bool container = cmd->tag == PDM_TAG_ATOMIC ||
                     cmd->tag == PDM_TAG_SEQUENCE;
    bool bytes = cmd->tag == PDM_TAG_ADD || cmd->tag == PDM_TAG_REPLACE ||
                 cmd->tag == PDM_TAG_EXEC;
    if (!id || !id->len)
        return "the command has no CmdID";
    for (const pdm__el *c = cmd->first; strings && c; c = c->next) {
        const pdm__el *bad;
        if (container && is_command(c))
            continue;
        bad = !string_ok(c) ? c : bad_string(c, bytes);
        if (bad) {
            snprintf(buf, size,
                     "<%s> holds a NUL or bytes that are not UTF-8 text",
                     pdm__el_name(bad));
            return buf;
        }
    }
    return NULL;
}

static outcome exec_cmd(xctx *x, const pdm__el *cmd)
{
    outcome o = {NULL, PDM_SC_OK, false};
    /* The server's Alert 1222 asks for the rest of our answers: it is how
     * a full queue drains, never refused for being full. */
    bool next_msg = cmd->tag == PDM_TAG_ALERT &&
                    pdm__streq(text(cmd, PDM_TAG_DATA), "1222");
    char why_buf[96];
    const char *why = NULL;
    if (!next_msg && budget_spent(x)) {
        o.code = PDM_SC_DEVICE_FULL;
        if (x->s->aborting)
            return o; /* the whole answer is dropped (session.c) */
    } else if ((why = malformed(cmd, !x->s->msg_xml, why_buf, sizeof why_buf)) != NULL) {
        /* Refused as a whole before any item runs; audited like every 400
         * (bounded per session), with the rule; a Target that is not text
         * is not quoted. */
        const pdm__el *item = pdm__el_child(cmd, PDM_TAG_ITEM);
        char reason[160];
        snprintf(reason, sizeof reason, "malformed-command: %s", why);
        note_bad_request(x->s, cmd,
                         item && !bad_string(cmd, true) ? item : NULL, reason);
        o.code = PDM_SC_BAD_REQUEST;
    }
    if (o.code != PDM_SC_OK) {
        o.status = queue_status(x, cmd, o.code);
        if (cmd->tag == PDM_TAG_ATOMIC || cmd->tag == PDM_TAG_SEQUENCE)
            for (const pdm__el *k = cmd->first; k; k = k->next)
                if (is_command(k))
                    not_executed(x, k); /* every command gets a Status */
        return o;
    }
    switch (cmd->tag) {
    case PDM_TAG_ADD:
    case PDM_TAG_REPLACE:
    case PDM_TAG_DELETE:
    case PDM_TAG_GET:
    case PDM_TAG_COPY:
    case PDM_TAG_EXEC:
        return exec_leaf_cmd(x, cmd);
    case PDM_TAG_ALERT:
        return exec_alert(x, cmd);
    case PDM_TAG_ATOMIC:
        return exec_atomic(x, cmd);
    case PDM_TAG_SEQUENCE:
        return exec_sequence(x, cmd);
    case PDM_TAG_SYNC:
    case PDM_TAG_MAP:
    case PDM_TAG_PUT:
    case PDM_TAG_SEARCH:
    case PDM_TAG_RESULTS:
        o.code = PDM_SC_OPTIONAL_NOT_SUPPORTED; /* not used in DM */
        break;
    default:
        o.code = PDM_SC_NOT_IMPLEMENTED;
    }
    o.status = queue_status(x, cmd, o.code);
    return o;
}

void pdm__session_exec_body(pdm_session *s, const pdm__el *body,
                            unsigned msg_ref)
{
    xctx x = {s, {"0", 1, true}, 0, {0}};
    /* Out of memory here: the Statuses fail like every other element. */
    if (!pdm__out_text_num(s, msg_ref, &x.msg_ref))
        x.msg_ref = (pdm__out_text){NULL, 0, true};
    /* MO handlers called for these commands act for this server: their
     * Generic Alerts without a server id belong to it (services.c). */
    s->ctx->cmd_server = s->acc.server_id;
    for (const pdm__el *c = body->first; c; c = c->next) {
        if (c->tag == PDM_TAG_STATUS || c->tag == PDM_TAG_FINAL)
            continue;
        if (c->tag == PDM_TAG_ALERT &&
            pdm__streq(text(c, PDM_TAG_DATA), "1223"))
            continue; /* handled before */
        if (s->lo.active && c->tag != PDM_TAG_ADD && c->tag != PDM_TAG_REPLACE &&
            !(c->tag == PDM_TAG_ALERT &&
              pdm__streq(text(c, PDM_TAG_DATA), "1222"))) {
            /* Another command before the last chunk (large objects):
             * 1225 and the object is discarded. */
            queue_lo_interrupted(s);
            lo_clear(&s->lo);
        }
        exec_cmd(&x, c);
        if (s->aborting)
            break;
    }
    /* One line for the message, not one per refused command. */
    if (x.full && !s->aborting)
        pdm__logf(&s->ctx->log, PDM_LOG_WARN, "session",
                  "%s: %lu commands or items refused with 420 (Device "
                  "full): the answers of this package reached the response "
                  "budget of %zu bytes (session.response_budget)",
                  s->acc.server_id, x.full, s->budget);
    pdm__log_burst_end(&s->ctx->log, &x.big, PDM_LOG_WARN, "session",
                       s->acc.server_id ? s->acc.server_id : "session");
    s->ctx->cmd_server = NULL;
}
