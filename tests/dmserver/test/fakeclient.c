/*
 * Scripted fake DM client for the polydm-testserver tests (fakeclient.h).
 */
#define _GNU_SOURCE
#include "fakeclient.h"

#include <ctype.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth/auth.h"
#include "scenario.h"
#include "sml.h"
#include "tree/tnds.h"
#include "tree/tree.h"

extern char **environ;

#define MAXQ 4096

enum { OE_STATUS = 1, OE_RESULTS, OE_ALERT };

typedef struct outent {
    int kind;
    int msgref, cmdref;
    const char *cmd;
    int code;
    const char *targetref, *sourceref;
    const char *items[16];
    size_t nitems;
    int chal_type;
    const char *nonce_b64;
    /* results */
    const char *source, *format, *type;
    const uint8_t *data;
    size_t len;
    bool moredata;
    long size;
    bool ends_msg;
    /* alert */
    int alert_code;
    /* results of ?list=Struct/StructData: one Item per node */
    struct litem {
        const char *source, *format, *type;
        const uint8_t *data; /* NULL: no Data */
        size_t len;
    } *list;
    size_t nlist;
} outent;

typedef struct fc {
    const fc_config *cfg;
    fc_result *res;
    pdm__arena a;
    pdm__tree *tree;
    pdm__who who;
    CURL *curl;
    char url[1024];
    int msgid;
    int smsgid;
    int cauth;
    uint8_t cnonce[256];
    size_t cnonce_len;
    uint8_t snonce[256];
    size_t snonce_len;
    bool send_cred;
    bool client_authed;
    bool server_authed;
    int auth_retries;
    bool in_pkg1;
    bool can_close;
    outent *q;
    size_t nq;
    outent *rq; /* results waiting for their status */
    size_t nrq;
    struct {
        int cmdid;
        const char *cmd;
        int code; /* Alert code */
        bool chunk;
    } sent[256];
    size_t nsent;
    int sentmsg;
    /* large object from the server */
    pdm__buf lo;
    bool lo_on;
    long lo_size;
    char *lo_target, *lo_format, *lo_type;
    bool dropped;
    bool answered_end;
    bool aborting;
} fc;

/* ---- reporting ----------------------------------------------------------- */

static void problem(fc *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(fc *f, const char *fmt, ...)
{
    va_list ap;
    size_t off = strlen(f->res->err);
    f->res->rc = -1;
    if (off >= sizeof f->res->err - 2)
        return;
    va_start(ap, fmt);
    vsnprintf(f->res->err + off, sizeof f->res->err - off, fmt, ap);
    va_end(ap);
    off = strlen(f->res->err);
    if (off < sizeof f->res->err - 1) {
        f->res->err[off] = '\n';
        f->res->err[off + 1] = 0;
    }
    if (f->cfg->verbose)
        fprintf(stderr, "fakeclient: problem: %s\n",
                f->res->err + (off > 0 ? 0 : 0));
}

static char *adup(fc *f, const char *s)
{
    return s ? pdm__arena_strdup(&f->a, s) : NULL;
}

static char *adupn(fc *f, const void *p, size_t n)
{
    return pdm__arena_memdup(&f->a, p ? p : "", p ? n : 0);
}

static char *b64(fc *f, const uint8_t *p, size_t n)
{
    pdm__buf b;
    char *r;
    pdm__buf_init(&b);
    pdm__b64_encode(p, n, &b);
    r = adupn(f, b.data, b.len);
    pdm__buf_free(&b);
    return r;
}

void fc_config_init(fc_config *c)
{
    memset(c, 0, sizeof *c);
    c->devid = "IMEI:493005100592800";
    c->session_id = "1";
    c->alert = 1201;
    c->max_msg_size = 16384;
    c->max_obj_size = 65536;
    c->server_id = "funambol";
    c->max_roundtrips = 60;
    c->wbxml_oracle = true;
}

void fc_result_free(fc_result *r)
{
    for (size_t i = 0; i < r->nrx; i++)
        free(r->rx[i].body);
    free(r->rx);
    r->rx = NULL;
    r->nrx = 0;
}

/* ---- tree ------------------------------------------------------------- */

static int status_of(int rc)
{
    switch (rc) {
    case PDM_OK: return 200;
    case PDM_PENDING: return 202;
    case PDM_EINVAL:
    case PDM_EPARSE: return 400;
    case PDM_ENOTFOUND: return 404;
    case PDM_EEXISTS: return 418;
    case PDM_EDENIED:
    case PDM_ELOCKED: return 425;
    case PDM_ENOTSUP: return 406;
    case PDM_ENOTALLOWED: return 405;
    case PDM_ENOSPC: return 420;
    case PDM_EIO: return 510;
    case PDM_EFORBIDDEN: return 403;
    case PDM_ETOOLONG: return 414;
    case PDM_ETOOBIG: return 413;
    case PDM_EAUTH: return 401;
    case PDM_EFORMAT: return 415;
    case PDM_ECANCELLED: return 214;
    case PDM_ETIMEOUT: return 408;
    case PDM_EBUSY: return 417;
    case PDM_ESIZE: return 424;
    default: return 500;
    }
}

static int setup_tree(fc *f)
{
    pdm__tree_config cfg;
    char err[256];
    const uint32_t DEV = PDM_NODE_PERMANENT | PDM_NODE_NO_REPLACE;
    const struct {
        const char *path;
        uint32_t format, flags;
        const char *type, *acl, *value;
    } std[] = {
        {"./DevInfo", PDM_FORMAT_NODE, PDM_NODE_PERMANENT,
         "urn:oma:mo:oma-dm-devinfo:1.0", "Get=*", NULL},
        {"./DevInfo/DevId", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         f->cfg->devid},
        {"./DevInfo/Man", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "polydm"},
        {"./DevInfo/Mod", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         "fakeclient"},
        {"./DevInfo/DmV", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "1.2"},
        {"./DevInfo/Lang", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "en"},
        {"./DevDetail", PDM_FORMAT_NODE, PDM_NODE_PERMANENT,
         "urn:oma:mo:oma-dm-devdetail:1.0", "Get=*", NULL},
        {"./DevDetail/URI", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL,
         NULL},
        {"./DevDetail/URI/MaxDepth", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         "16"},
        {"./DevDetail/URI/MaxTotLen", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         "1024"},
        {"./DevDetail/URI/MaxSegLen", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         "64"},
        {"./DevDetail/DevTyp", PDM_FORMAT_CHR, DEV, "text/plain", NULL,
         "phone"},
        {"./DevDetail/OEM", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "polydm"},
        {"./DevDetail/FwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "1.0"},
        {"./DevDetail/SwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "1.0"},
        {"./DevDetail/HwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL, "1.0"},
        {"./DevDetail/LrgObj", PDM_FORMAT_BOOL, DEV, "text/plain", NULL,
         "true"},
        {"./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL, NULL},
        {"./Inbox", PDM_FORMAT_NODE, PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY,
         "urn:oma:mo:oma-dm-inbox:1.0", NULL, NULL},
    };
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    cfg.limits.max_depth = 16;
    cfg.limits.max_tot_len = 1024;
    cfg.limits.max_seg_len = 64;
    if (pdm__tree_open(&f->tree, &cfg, err, sizeof err) != PDM_OK) {
        problem(f, "tree: %s", err);
        return -1;
    }
    for (size_t i = 0; i < sizeof std / sizeof std[0]; i++)
        if (pdm__tree_put(f->tree, std[i].path, std[i].format, std[i].flags,
                          std[i].type, std[i].acl,
                          (const uint8_t *)std[i].value,
                          std[i].value ? strlen(std[i].value) : 0,
                          "factory") != PDM_OK) {
            problem(f, "tree: cannot create %s", std[i].path);
            return -1;
        }
    if (f->cfg->tree) {
        uint8_t *data = NULL;
        size_t len = 0;
        pdm__decision d;
        const pdm__who factory = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
        int rc;
        if (pdm__read_file(f->cfg->tree, 16u << 20, &data, &len) != PDM_OK) {
            problem(f, "cannot read the factory tree %s", f->cfg->tree);
            return -1;
        }
        pdm__tree_begin(f->tree);
        memset(&d, 0, sizeof d);
        rc = pdm__tnds_import(f->tree, &factory, ".", data, len, &d);
        pdm__free(data);
        if (rc != PDM_OK) {
            pdm__tree_abort(f->tree);
            problem(f, "factory tree %s refused: %s", f->cfg->tree, d.reason);
            return -1;
        }
        pdm__tree_commit(f->tree);
    }
    f->who.principal = PDM_PRINCIPAL_SERVER;
    f->who.server_id = f->cfg->server_id;
    return 0;
}

/* ---- outbox ----------------------------------------------------------- */

static outent *enq(fc *f)
{
    outent *e;
    if (f->nq >= MAXQ) {
        problem(f, "fake client outbox overflow");
        return &f->q[MAXQ - 1];
    }
    e = &f->q[f->nq++];
    memset(e, 0, sizeof *e);
    return e;
}

static outent *enq_status(fc *f, int msgref, int cmdref, const char *cmd,
                          int code)
{
    outent *e = enq(f);
    e->kind = OE_STATUS;
    e->msgref = msgref;
    e->cmdref = cmdref;
    e->cmd = cmd;
    e->code = code;
    return e;
}

/* Results wait until the status of their command is queued. */
static void stash_results(fc *f, int msgref, int cmdref, const char *source,
                          const char *format, const char *type,
                          const uint8_t *data, size_t len)
{
    outent *e;
    f->rq = realloc(f->rq, (f->nrq + 1) * sizeof *f->rq);
    if (!f->rq)
        abort();
    e = &f->rq[f->nrq++];
    memset(e, 0, sizeof *e);
    e->kind = OE_RESULTS;
    e->msgref = msgref;
    e->cmdref = cmdref;
    e->source = adup(f, source);
    e->format = adup(f, format);
    e->type = adup(f, type);
    e->data = data ? (uint8_t *)adupn(f, data, len) : NULL;
    e->len = len;
    e->size = -1;
}

static void stash_list(fc *f, int msgref, int cmdref,
                       const pdm__tree_result *r)
{
    outent *e;
    stash_results(f, msgref, cmdref, NULL, NULL, NULL, NULL, 0);
    e = &f->rq[f->nrq - 1];
    e->list = pdm__arena_alloc(&f->a, r->nitems * sizeof *e->list + 1);
    for (size_t i = 0; i < r->nitems; i++) {
        const pdm__tree_list_item *it = &r->items[i];
        struct litem *l = &e->list[e->nlist++];
        const char *fmt = pdm__format_name(it->format);
        l->source = adup(f, it->uri);
        /* Meta only when not the defaults (TND 8.4.2) */
        l->format = strcmp(fmt, "chr") ? adup(f, fmt) : NULL;
        l->type = it->type && *it->type && strcmp(it->type, "text/plain")
                      ? adup(f, it->type)
                      : NULL;
        l->data = it->data ? (uint8_t *)adupn(f, it->data, it->len) : NULL;
        l->len = it->len;
    }
}

static void flush_results(fc *f)
{
    long ch = f->cfg->results_chunk;
    for (size_t i = 0; i < f->nrq; i++) {
        outent *r = &f->rq[i];
        if (ch > 0 && !r->list && r->len > (size_t)ch) {
            for (size_t off = 0; off < r->len; off += (size_t)ch) {
                outent *e = enq(f);
                size_t n = r->len - off < (size_t)ch ? r->len - off : (size_t)ch;
                *e = *r;
                e->data = r->data + off;
                e->len = n;
                e->size = off == 0 ? (long)r->len : -1;
                e->moredata = off + n < r->len;
                e->ends_msg = true;
            }
        } else {
            outent *e = enq(f);
            *e = *r;
            e->ends_msg = f->cfg->split_results;
        }
    }
    f->nrq = 0;
}

/* ---- messages ------------------------------------------------------------ */

static void add_cred(fc *f, pdm__doc *d, pdm__el *hdr)
{
    pdm__el *cred, *m;
    if (f->cauth != SC_AUTH_BASIC && f->cauth != SC_AUTH_MD5)
        return;
    cred = pdm__el_add(d, hdr, PDM_TAG_CRED);
    m = pdm__el_add(d, cred, PDM_TAG_META);
    sml_add(d, m, PDM_TAG_MI_FORMAT, "b64");
    sml_add(d, m, PDM_TAG_MI_TYPE, sc_auth_meta_type(f->cauth));
    if (f->cauth == SC_AUTH_BASIC) {
        pdm__buf b;
        pdm__buf_init(&b);
        pdm__auth_basic(f->cfg->cuser, f->cfg->cpw, &b);
        pdm__el_add_text(d, cred, PDM_TAG_DATA, b.len ? b.data : NULL, b.len);
        pdm__buf_free(&b);
    } else {
        char dg[PDM__B64_MD5_SIZE];
        pdm__auth_md5(f->cfg->cuser, f->cfg->cpw, f->cnonce, f->cnonce_len, dg);
        sml_add(d, cred, PDM_TAG_DATA, dg);
    }
}

static void add_item(pdm__doc *d, pdm__el *parent, const char *source,
                     const char *format, const char *type, const char *mark,
                     const uint8_t *data, size_t len, long size, bool more,
                     bool opaque)
{
    pdm__el *it = pdm__el_add(d, parent, PDM_TAG_ITEM), *m = NULL;
    if (source)
        sml_add_loc(d, it, PDM_TAG_SOURCE, source, NULL);
    if (format || type || mark || size >= 0) {
        m = pdm__el_add(d, it, PDM_TAG_META);
        if (format)
            sml_add(d, m, PDM_TAG_MI_FORMAT, format);
        if (type)
            sml_add(d, m, PDM_TAG_MI_TYPE, type);
        if (mark)
            sml_add(d, m, PDM_TAG_MI_MARK, mark);
        if (size >= 0)
            sml_addf(d, m, PDM_TAG_MI_SIZE, "%ld", size);
    }
    if (data)
        sml_add_bin(d, it, PDM_TAG_DATA, data, len, opaque);
    if (more)
        pdm__el_add(d, it, PDM_TAG_MOREDATA);
}

static void note_sent(fc *f, int cmdid, const char *cmd, int code, bool chunk)
{
    if (f->nsent < 256) {
        f->sent[f->nsent].cmdid = cmdid;
        f->sent[f->nsent].cmd = cmd;
        f->sent[f->nsent].code = code;
        f->sent[f->nsent].chunk = chunk;
        f->nsent++;
    }
}

/* Builds our next message: header, package 1 commands if pkg1, queued
 * entries up to a message break, Alert 1222 and Final as asked. */
static void build(fc *f, pdm__doc *d, bool pkg1, bool want_1222,
                  bool allow_final, bool *final_out)
{
    pdm__el *root, *hdr, *body, *meta;
    int cmdid = 1;
    size_t take = f->nq;
    bool final;
    const fc_config *c = f->cfg;

    d->lang = PDM_LANG_SYNCML12;
    f->msgid++;
    f->nsent = 0;
    f->sentmsg = f->msgid;
    root = pdm__el_add(d, NULL, PDM_TAG_SYNCML);
    hdr = pdm__el_add(d, root, PDM_TAG_SYNCHDR);
    sml_add(d, hdr, PDM_TAG_VERDTD, "1.2");
    sml_add(d, hdr, PDM_TAG_VERPROTO, "DM/1.2");
    sml_add(d, hdr, PDM_TAG_SESSIONID, c->session_id);
    sml_addf(d, hdr, PDM_TAG_MSGID, "%d", f->msgid);
    sml_add_loc(d, hdr, PDM_TAG_TARGET, f->url, NULL);
    sml_add_loc(d, hdr, PDM_TAG_SOURCE, c->devid,
                (f->cauth == SC_AUTH_MD5 || f->cauth == SC_AUTH_HMAC)
                    ? c->cuser
                    : NULL);
    if (f->send_cred)
        add_cred(f, d, hdr);
    if (c->max_msg_size > 0 || c->max_obj_size > 0) {
        meta = pdm__el_add(d, hdr, PDM_TAG_META);
        if (c->max_msg_size > 0)
            sml_addf(d, meta, PDM_TAG_MI_MAXMSGSIZE, "%ld", c->max_msg_size);
        if (c->max_obj_size > 0)
            sml_addf(d, meta, PDM_TAG_MI_MAXOBJSIZE, "%ld", c->max_obj_size);
    }
    body = pdm__el_add(d, root, PDM_TAG_SYNCBODY);

    /* queued entries up to a message break */
    for (size_t i = 0; i < f->nq; i++)
        if (f->q[i].ends_msg) {
            take = i + 1;
            break;
        }
    for (size_t i = 0; i < take; i++) {
        outent *e = &f->q[i];
        if (e->kind == OE_STATUS) {
            pdm__el *st = pdm__el_add(d, body, PDM_TAG_STATUS);
            sml_addf(d, st, PDM_TAG_CMDID, "%d", cmdid++);
            sml_addf(d, st, PDM_TAG_MSGREF, "%d", e->msgref);
            sml_addf(d, st, PDM_TAG_CMDREF, "%d", e->cmdref);
            sml_add(d, st, PDM_TAG_CMD, e->cmd);
            if (e->targetref)
                sml_add(d, st, PDM_TAG_TARGETREF, e->targetref);
            if (e->sourceref)
                sml_add(d, st, PDM_TAG_SOURCEREF, e->sourceref);
            if (e->chal_type) {
                pdm__el *ch = pdm__el_add(d, st, PDM_TAG_CHAL);
                pdm__el *m = pdm__el_add(d, ch, PDM_TAG_META);
                sml_add(d, m, PDM_TAG_MI_TYPE, sc_auth_meta_type(e->chal_type));
                sml_add(d, m, PDM_TAG_MI_FORMAT, "b64");
                if (e->nonce_b64)
                    sml_add(d, m, PDM_TAG_MI_NEXTNONCE, e->nonce_b64);
            }
            sml_addf(d, st, PDM_TAG_DATA, "%d", e->code);
            for (size_t k = 0; k < e->nitems; k++) {
                pdm__el *it = pdm__el_add(d, st, PDM_TAG_ITEM);
                sml_add(d, it, PDM_TAG_DATA, e->items[k]);
            }
        } else if (e->kind == OE_ALERT) {
            pdm__el *al = pdm__el_add(d, body, PDM_TAG_ALERT);
            int id = cmdid++;
            sml_addf(d, al, PDM_TAG_CMDID, "%d", id);
            sml_addf(d, al, PDM_TAG_DATA, "%d", e->alert_code);
            note_sent(f, id, "Alert", e->alert_code, false);
        } else if (e->kind == OE_RESULTS) {
            pdm__el *r = pdm__el_add(d, body, PDM_TAG_RESULTS);
            int id = cmdid++;
            sml_addf(d, r, PDM_TAG_CMDID, "%d", id);
            sml_addf(d, r, PDM_TAG_MSGREF, "%d", e->msgref);
            sml_addf(d, r, PDM_TAG_CMDREF, "%d", e->cmdref);
            if (e->list) {
                for (size_t k = 0; k < e->nlist; k++)
                    add_item(d, r, e->list[k].source, e->list[k].format,
                             e->list[k].type, NULL, e->list[k].data,
                             e->list[k].len, -1, false,
                             c->wbxml && e->list[k].data &&
                                 !sml_is_text(e->list[k].data,
                                              e->list[k].len));
            } else {
                add_item(d, r, e->source, e->format, e->type, NULL, e->data,
                         e->len, e->size, e->moredata,
                         c->wbxml && e->data && !sml_is_text(e->data, e->len));
            }
            note_sent(f, id, "Results", 0, e->moredata);
        }
    }
    memmove(f->q, f->q + take, (f->nq - take) * sizeof *f->q);
    f->nq -= take;

    if (pkg1) {
        pdm__el *al = pdm__el_add(d, body, PDM_TAG_ALERT), *rp;
        static const char *const dev[] = {"DevId", "Man", "Mod", "DmV",
                                          "Lang"};
        int id = cmdid++;
        sml_addf(d, al, PDM_TAG_CMDID, "%d", id);
        sml_addf(d, al, PDM_TAG_DATA, "%d", c->alert);
        note_sent(f, id, "Alert", c->alert, false);
        rp = pdm__el_add(d, body, PDM_TAG_REPLACE);
        id = cmdid++;
        sml_addf(d, rp, PDM_TAG_CMDID, "%d", id);
        note_sent(f, id, "Replace", 0, false);
        for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) {
            char uri[64];
            pdm__node *n;
            const uint8_t *v;
            size_t vl = 0;
            snprintf(uri, sizeof uri, "./DevInfo/%s", dev[i]);
            n = pdm__tree_lookup(f->tree, uri);
            v = n ? pdm__node_value(n, &vl) : NULL;
            add_item(d, rp, uri, "chr", "text/plain", NULL,
                     v ? v : (const uint8_t *)"", vl, -1, false, false);
        }
        if (c->generic_type) {
            pdm__el *ga = pdm__el_add(d, body, PDM_TAG_ALERT);
            id = cmdid++;
            sml_addf(d, ga, PDM_TAG_CMDID, "%d", id);
            sml_add(d, ga, PDM_TAG_DATA, "1226");
            if (c->generic_correlator)
                sml_add(d, ga, PDM_TAG_CORRELATOR, c->generic_correlator);
            add_item(d, ga, c->generic_source,
                     c->generic_format ? c->generic_format : "chr",
                     c->generic_type, c->generic_mark,
                     (const uint8_t *)(c->generic_data ? c->generic_data : ""),
                     c->generic_data ? strlen(c->generic_data) : 0, -1, false,
                     false);
            note_sent(f, id, "Alert", 1226, false);
        }
    }
    if (want_1222 && !c->no_1222) {
        pdm__el *al = pdm__el_add(d, body, PDM_TAG_ALERT);
        int id = cmdid++;
        sml_addf(d, al, PDM_TAG_CMDID, "%d", id);
        sml_add(d, al, PDM_TAG_DATA, "1222");
        note_sent(f, id, "Alert", 1222, false);
    }
    final = allow_final && f->nq == 0;
    if (final)
        pdm__el_add(d, body, PDM_TAG_FINAL);
    *final_out = final;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct resp {
    pdm__buf body;
    char ctype[128];
    char hmac[512];
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
    resp *r = u;
    pdm__buf_append(&r->body, p, sz * n);
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u)
{
    resp *r = u;
    size_t len = sz * n;
    const char *names[] = {"content-type:", "x-syncml-hmac:"};
    char *dst[] = {r->ctype, r->hmac};
    size_t dsz[] = {sizeof r->ctype, sizeof r->hmac};
    for (int i = 0; i < 2; i++) {
        size_t nl = strlen(names[i]);
        if (len > nl && strncasecmp(p, names[i], nl) == 0) {
            const char *v = p + nl;
            size_t vl = len - nl;
            while (vl && (*v == ' ' || *v == '\t')) {
                v++;
                vl--;
            }
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
                          v[vl - 1] == ' '))
                vl--;
            if (vl >= dsz[i])
                vl = dsz[i] - 1;
            memcpy(dst[i], v, vl);
            dst[i][vl] = 0;
        }
    }
    return len;
}

static int post(fc *f, const uint8_t *body, size_t len, resp *r)
{
    struct curl_slist *h = NULL;
    char line[700];
    CURLcode cc;
    long code = 0;
    const fc_config *c = f->cfg;

    memset(r, 0, sizeof *r);
    pdm__buf_init(&r->body);
    snprintf(line, sizeof line, "Content-Type: %s",
             c->wbxml ? SML_CT_WBXML : SML_CT_XML);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "Accept: %s",
             c->wbxml ? SML_CT_WBXML : SML_CT_XML);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "Expect:");
    if (f->cauth == SC_AUTH_HMAC) {
        char mac[PDM__B64_MD5_SIZE];
        pdm__buf hv;
        pdm__buf_init(&hv);
        pdm__auth_hmac_mac(c->cuser, c->cpw, f->cnonce, f->cnonce_len, body,
                           len, mac);
        pdm__auth_hmac_header_build(c->cuser, mac, &hv);
        snprintf(line, sizeof line, "x-syncml-hmac: %.*s", (int)hv.len,
                 hv.len ? (char *)hv.data : "");
        pdm__buf_free(&hv);
        h = curl_slist_append(h, line);
    }
    curl_easy_setopt(f->curl, CURLOPT_URL, f->url);
    curl_easy_setopt(f->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, r);
    cc = curl_easy_perform(f->curl);
    curl_slist_free_all(h);
    f->res->nsent++;
    if (cc != CURLE_OK) {
        f->res->curl_code = cc;
        problem(f, "HTTP request to %s failed: %s", f->url,
                curl_easy_strerror(cc));
        return -1;
    }
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
    f->res->http_last = code;
    {
        fc_msg *m;
        f->res->rx = realloc(f->res->rx, (f->res->nrx + 1) * sizeof *f->res->rx);
        if (!f->res->rx)
            abort();
        m = &f->res->rx[f->res->nrx++];
        memset(m, 0, sizeof *m);
        m->body = malloc(r->body.len + 1);
        if (!m->body)
            abort();
        if (r->body.len)
            memcpy(m->body, r->body.data, r->body.len);
        m->body[r->body.len] = 0;
        m->len = r->body.len;
        snprintf(m->ctype, sizeof m->ctype, "%s", r->ctype);
        snprintf(m->hmac, sizeof m->hmac, "%s", r->hmac);
        m->http = code;
    }
    if (code != 200) {
        problem(f, "HTTP %ld from %s", code, f->url);
        return -1;
    }
    return 0;
}

/* Runs wbxml2xml on a WBXML body: it must decode. */
static void oracle(fc *f, const uint8_t *p, size_t n)
{
    char in[] = "/tmp/dms-oracle-XXXXXX";
    char out[64];
    int fd = mkstemp(in), st = 0;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    char *argv[] = {(char *)"wbxml2xml", (char *)"-o", out, in, NULL};
    if (fd < 0)
        return;
    if (write(fd, p, n) != (ssize_t)n) {
        close(fd);
        unlink(in);
        return;
    }
    close(fd);
    snprintf(out, sizeof out, "%s.xml", in);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "wbxml2xml", &fa, NULL, argv, environ) == 0 &&
        waitpid(pid, &st, 0) == pid) {
        f->res->wbxml_checked++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            problem(f, "wbxml2xml cannot decode the server's WBXML message "
                    "%zu (%zu bytes)", f->res->nrx, n);
    } else {
        problem(f, "wbxml2xml could not be run");
    }
    posix_spawn_file_actions_destroy(&fa);
    unlink(in);
    unlink(out);
}

/* ---- executing the server's commands ------------------------------------ */

static bool overridden(fc *f, const char *cmd, const char *uri, int *code)
{
    for (size_t i = 0; i < f->cfg->noverrides; i++) {
        const fc_override *o = &f->cfg->overrides[i];
        if (uri && strcmp(o->uri, uri) == 0 &&
            (!o->cmd || strcmp(o->cmd, cmd) == 0)) {
            *code = o->code;
            return true;
        }
    }
    return false;
}

static void url_decode(const char *s, size_t n, pdm__buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            pdm__buf_putc(out, ' ');
        } else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            pdm__buf_putc(out, (int)strtol(h, NULL, 16));
            i += 2;
        } else {
            pdm__buf_putc(out, s[i]);
        }
    }
}

/* The DR option of a UI alert's first item, decoded; NULL if absent. */
static char *ui_default(fc *f, const pdm__el *alert)
{
    const pdm__el *it = pdm__el_child(alert, PDM_TAG_ITEM);
    const char *opts = it ? sml_path_text(it, PDM_TAG_DATA, 0) : NULL;
    const char *p = opts;
    while (p && *p) {
        const char *e = strchr(p, '&');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 3 && strncmp(p, "DR=", 3) == 0) {
            pdm__buf b;
            char *r;
            pdm__buf_init(&b);
            url_decode(p + 3, n - 3, &b);
            r = adupn(f, b.data, b.len);
            pdm__buf_free(&b);
            return r;
        }
        p = e ? e + 1 : NULL;
    }
    return NULL;
}

typedef struct icode {
    const char *target, *source;
    int code;
    const char *items[16];
    size_t nitems;
} icode;

static size_t exec_ui(fc *f, const pdm__el *el, long code, icode *out)
{
    char *dr = ui_default(f, el);
    out[0].code = 200;
    f->res->ui_alerts++;
    switch (code) {
    case 1100:
        break;
    case 1101:
        if (dr && strcmp(dr, "0") == 0)
            out[0].code = 304;
        break;
    case 1102:
        out[0].items[out[0].nitems++] = dr ? dr : "";
        break;
    case 1103:
        out[0].items[out[0].nitems++] = dr && *dr ? dr : "1";
        break;
    case 1104:
        if (dr && *dr) {
            char *sv = NULL;
            for (char *t = strtok_r(dr, "-", &sv); t && out[0].nitems < 16;
                 t = strtok_r(NULL, "-", &sv))
                out[0].items[out[0].nitems++] = t;
        } else {
            out[0].items[out[0].nitems++] = "1";
        }
        break;
    default:
        out[0].code = 406;
        break;
    }
    return 1;
}

static int tree_item(const pdm__el *it, const pdm__el *cmd,
                     pdm__tree_item *ti, const uint8_t *data, size_t len)
{
    const char *fmt = sml_meta(it, PDM_TAG_MI_FORMAT);
    const char *type = sml_meta(it, PDM_TAG_MI_TYPE);
    if (!fmt)
        fmt = sml_meta(cmd, PDM_TAG_MI_FORMAT);
    if (!type)
        type = sml_meta(cmd, PDM_TAG_MI_TYPE);
    memset(ti, 0, sizeof *ti);
    ti->data = data;
    ti->len = len;
    ti->type = type;
    ti->has_format = fmt != NULL;
    ti->format = PDM_FORMAT_CHR;
    if (fmt) {
        int f = pdm__format_from_name(fmt, strlen(fmt));
        if (f < 0)
            return 415;
        ti->format = (uint32_t)f;
    }
    return 0;
}

/* Executes one non-container command; one icode per item. */
static size_t exec_plain(fc *f, const pdm__el *el, int msgref, icode *out,
                         size_t max)
{
    size_t n = 0;
    const char *name = pdm__el_name(el);
    long cmdid = sml_child_long(el, PDM_TAG_CMDID);
    pdm__decision dec;

    if (el->tag == PDM_TAG_ALERT) {
        long code = sml_child_long(el, PDM_TAG_DATA);
        memset(out, 0, sizeof *out);
        return exec_ui(f, el, code, out);
    }
    for (const pdm__el *it = pdm__el_child(el, PDM_TAG_ITEM); it && n < max;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        icode *ic = &out[n++];
        const char *target = sml_path_text(it, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0);
        const char *source = sml_path_text(it, PDM_TAG_SOURCE, PDM_TAG_LOCURI, 0);
        const pdm__el *data = pdm__el_child(it, PDM_TAG_DATA);
        const uint8_t *dp = data && data->text ? data->text : (const uint8_t *)"";
        size_t dl = data && data->text ? data->len : 0;
        pdm__tree_item ti;
        int rc = PDM_OK;
        memset(ic, 0, sizeof *ic);
        ic->target = adup(f, target);
        ic->source = el->tag == PDM_TAG_COPY ? adup(f, source) : NULL;
        memset(&dec, 0, sizeof dec);
        if (overridden(f, name, target, &ic->code))
            continue;
        if (!target) {
            ic->code = 400;
            continue;
        }
        switch (el->tag) {
        case PDM_TAG_GET: {
            pdm__tree_result r;
            memset(&r, 0, sizeof r);
            rc = pdm__tree_get(f->tree, &f->who, target, &r, &dec);
            if (rc == PDM_OK && r.items) {
                stash_list(f, msgref, (int)cmdid, &r);
            } else if (rc == PDM_OK) {
                const char *fmt = pdm__format_name(r.format);
                stash_results(f, msgref, (int)cmdid, target, fmt,
                              r.type && *r.type ? r.type : NULL,
                              r.data ? r.data : (const uint8_t *)"", r.len);
            }
            pdm__tree_result_free(&r);
            break;
        }
        case PDM_TAG_ADD:
        case PDM_TAG_REPLACE: {
            int bad;
            /* large object chunks */
            bool more = pdm__el_child(it, PDM_TAG_MOREDATA) != NULL;
            if (more || f->lo_on) {
                if (!f->lo_on) {
                    const char *sz = sml_meta(it, PDM_TAG_MI_SIZE);
                    f->lo_on = true;
                    char *end = NULL;
                    long v = sz ? strtol(sz, &end, 10) : -1;
                    f->lo_size = sz && (end == sz || *end || v < 0) ? -1 : v;
                    f->lo_target = adup(f, target);
                    pdm__buf_reset(&f->lo);
                    if (!sz)
                        problem(f, "first chunk for %s without Meta Size",
                                target);
                } else if (strcmp(f->lo_target, target) != 0) {
                    problem(f, "a new object for %s arrived before the last "
                            "chunk of %s", target, f->lo_target);
                }
                pdm__buf_append(&f->lo, dp, dl);
                if (more) {
                    ic->code = 213;
                    continue;
                }
                f->lo_on = false;
                if (f->lo_size >= 0 && (size_t)f->lo_size != f->lo.len) {
                    ic->code = 424;
                    continue;
                }
                dp = (const uint8_t *)adupn(f, f->lo.data, f->lo.len);
                dl = f->lo.len;
            }
            bad = tree_item(it, el, &ti, dp, dl);
            if (bad) {
                ic->code = bad;
                continue;
            }
            if (el->tag == PDM_TAG_ADD)
                rc = pdm__tree_add(f->tree, &f->who, target, &ti, &dec);
            else
                rc = pdm__tree_replace(f->tree, &f->who, target, &ti, &dec);
            break;
        }
        case PDM_TAG_DELETE:
            rc = pdm__tree_delete(f->tree, &f->who, target, &dec);
            break;
        case PDM_TAG_COPY:
            if (!source) {
                ic->code = 400;
                continue;
            }
            rc = pdm__tree_copy(f->tree, &f->who, target, source, &dec);
            break;
        case PDM_TAG_EXEC: {
            pdm_blob b;
            memset(&b, 0, sizeof b);
            b.data = (uint8_t *)dp;
            b.len = dl;
            rc = pdm__tree_exec(f->tree, &f->who, target, &b,
                                pdm__el_child_text(el, PDM_TAG_CORRELATOR),
                                &dec);
            break;
        }
        default:
            rc = PDM_ENOTSUP;
            break;
        }
        ic->code = status_of(rc);
        if (f->cfg->verbose && rc != PDM_OK)
            fprintf(stderr, "fakeclient: %s %s -> %d (%s)\n", name, target,
                    ic->code, dec.reason);
    }
    return n;
}

static void queue_statuses(fc *f, const pdm__el *el, int msgref,
                           const icode *ic, size_t n, int force_ok_code)
{
    long cmdid = sml_child_long(el, PDM_TAG_CMDID);
    const char *name = adup(f, pdm__el_name(el));
    if (f->cfg->drop_status && !f->dropped) {
        f->dropped = true;
        return;
    }
    if (n == 0) {
        enq_status(f, msgref, (int)cmdid, name, 500);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int code = ic[i].code;
        outent *e;
        if (force_ok_code && code >= 200 && code < 300)
            code = force_ok_code;
        e = enq_status(f, msgref, (int)cmdid, name, code);
        if (el->tag != PDM_TAG_ALERT)
            e->targetref = ic[i].target;
        e->sourceref = ic[i].source;
        for (size_t k = 0; k < ic[i].nitems; k++)
            e->items[e->nitems++] = ic[i].items[k];
    }
}

static void exec_cmd(fc *f, const pdm__el *el, int msgref, bool *stop_seq);

static void exec_atomic(fc *f, const pdm__el *el, int msgref)
{
    size_t sp = pdm__tree_savepoint(f->tree);
    struct {
        const pdm__el *el;
        icode ic[16];
        size_t n;
        int state; /* 0 ok, 1 failed, 2 not executed */
    } kids[64];
    size_t nk = 0;
    bool failed = false;
    size_t saved_nrq = f->nrq;
    for (const pdm__el *c = el->first; c && nk < 64; c = c->next) {
        if (c->tag == PDM_TAG_CMDID || c->tag == PDM_TAG_META ||
            c->tag == PDM_TAG_NORESP)
            continue;
        kids[nk].el = c;
        kids[nk].n = 0;
        kids[nk].state = 0;
        if (failed) {
            kids[nk].state = 2;
        } else if (c->tag == PDM_TAG_GET || c->tag == PDM_TAG_ATOMIC ||
                   c->tag == PDM_TAG_SEQUENCE) {
            kids[nk].ic[0].code = 500;
            kids[nk].n = 1;
            kids[nk].state = 1;
            failed = true;
        } else {
            kids[nk].n = exec_plain(f, c, msgref, kids[nk].ic, 16);
            for (size_t i = 0; i < kids[nk].n; i++)
                if (kids[nk].ic[i].code >= 300 || kids[nk].ic[i].code == 213)
                    failed = true;
            if (failed)
                kids[nk].state = 1;
        }
        nk++;
    }
    if (failed) {
        pdm__tree_rollback_to(f->tree, sp);
        f->nrq = saved_nrq;
    }
    {
        icode a;
        memset(&a, 0, sizeof a);
        a.code = failed ? 507 : 200;
        queue_statuses(f, el, msgref, &a, 1, 0);
    }
    for (size_t k = 0; k < nk; k++) {
        if (kids[k].state == 2) {
            icode ic;
            memset(&ic, 0, sizeof ic);
            ic.code = 215;
            queue_statuses(f, kids[k].el, msgref, &ic, 1, 0);
        } else if (kids[k].state == 1) {
            queue_statuses(f, kids[k].el, msgref, kids[k].ic, kids[k].n, 0);
        } else {
            queue_statuses(f, kids[k].el, msgref, kids[k].ic, kids[k].n,
                           failed ? 216 : 0);
        }
    }
    flush_results(f);
}

static void exec_cmd(fc *f, const pdm__el *el, int msgref, bool *stop_seq)
{
    icode ic[64];
    size_t n;
    if (*stop_seq) {
        memset(ic, 0, sizeof ic[0]);
        ic[0].code = 215;
        queue_statuses(f, el, msgref, ic, 1, 0);
        return;
    }
    if (el->tag == PDM_TAG_ATOMIC) {
        exec_atomic(f, el, msgref);
        return;
    }
    if (el->tag == PDM_TAG_SEQUENCE) {
        bool stop = false;
        memset(ic, 0, sizeof ic[0]);
        ic[0].code = 200;
        queue_statuses(f, el, msgref, ic, 1, 0);
        for (const pdm__el *c = el->first; c; c = c->next) {
            if (c->tag == PDM_TAG_CMDID || c->tag == PDM_TAG_META ||
                c->tag == PDM_TAG_NORESP)
                continue;
            exec_cmd(f, c, msgref, &stop);
        }
        return;
    }
    n = exec_plain(f, el, msgref, ic, 64);
    queue_statuses(f, el, msgref, ic, n, 0);
    flush_results(f);
    if (el->tag == PDM_TAG_ALERT && n && ic[0].code == 304)
        *stop_seq = true; /* "No" to a confirm skips the rest of a Sequence */
}

/* ---- checking the server's messages -------------------------------------- */

static bool verify_server(fc *f, const pdm__el *hdr, const resp *r)
{
    const fc_config *c = f->cfg;
    if (c->sauth == SC_AUTH_NONE)
        return true;
    if (c->sauth == SC_AUTH_HMAC) {
        pdm__auth_hmac_hdr h;
        char err[200];
        if (!r->hmac[0]) {
            problem(f, "server message %d has no x-syncml-hmac header",
                    f->smsgid);
            return false;
        }
        if (pdm__auth_hmac_header_parse(r->hmac, strlen(r->hmac), &h, err,
                                        sizeof err) != PDM_OK ||
            strcmp(h.username, c->sname) != 0 ||
            pdm__auth_hmac_verify(c->sname, c->spw, f->snonce, f->snonce_len,
                                  r->body.data, r->body.len, h.mac) != PDM_OK)
            return false;
        return true;
    }
    {
        const pdm__el *cred = pdm__el_child(hdr, PDM_TAG_CRED);
        const char *data, *type;
        if (!cred)
            return f->server_authed; /* after our 212 none is needed */
        type = sml_meta(cred, PDM_TAG_MI_TYPE);
        data = pdm__el_child_text(cred, PDM_TAG_DATA);
        if (!data || sc_auth_from_meta_type(type) != c->sauth)
            return false;
        if (c->sauth == SC_AUTH_BASIC) {
            pdm__buf b;
            bool ok;
            pdm__buf_init(&b);
            pdm__auth_basic(c->sname, c->spw, &b);
            ok = b.len == strlen(data) && memcmp(b.data, data, b.len) == 0;
            pdm__buf_free(&b);
            return ok;
        }
        return pdm__auth_md5_verify(c->sname, c->spw, f->snonce,
                                    f->snonce_len, data,
                                    strlen(data)) == PDM_OK;
    }
}

static void check_header(fc *f, const pdm__el *hdr, bool first)
{
    const char *v;
    long mid = sml_child_long(hdr, PDM_TAG_MSGID);
    v = sml_path_text(hdr, PDM_TAG_VERDTD, 0);
    if (!v || strcmp(v, "1.2"))
        problem(f, "server VerDTD %s", v ? v : "(none)");
    v = sml_path_text(hdr, PDM_TAG_VERPROTO, 0);
    if (!v || strcmp(v, "DM/1.2"))
        problem(f, "server VerProto %s", v ? v : "(none)");
    v = sml_path_text(hdr, PDM_TAG_SESSIONID, 0);
    if (!v || strcmp(v, f->cfg->session_id))
        problem(f, "server SessionID %s, expected %s", v ? v : "(none)",
                f->cfg->session_id);
    if (mid != f->smsgid + 1)
        problem(f, "server MsgID %ld, expected %d", mid, f->smsgid + 1);
    f->smsgid = (int)mid;
    v = sml_path_text(hdr, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0);
    if (!v || strcmp(v, f->cfg->devid))
        problem(f, "server Target/LocURI %s, expected %s", v ? v : "(none)",
                f->cfg->devid);
    v = sml_path_text(hdr, PDM_TAG_SOURCE, PDM_TAG_LOCURI, 0);
    if (!v || !*v)
        problem(f, "server message without Source/LocURI");
    if (first) {
        const pdm__el *m = pdm__el_child(hdr, PDM_TAG_META);
        if (sml_child_long(m, PDM_TAG_MI_MAXOBJSIZE) <= 0)
            problem(f, "the server's first message has no MaxObjSize (a "
                    "server MUST send it)");
        if (sml_child_long(m, PDM_TAG_MI_MAXMSGSIZE) <= 0)
            problem(f, "the server's first message has no MaxMsgSize");
    }
}

static void check_body(fc *f, const pdm__el *body, bool final)
{
    const pdm__el *first = body ? body->first : NULL;
    int ids[512];
    size_t nid = 0;
    if (!first || first->tag != PDM_TAG_STATUS ||
        sml_child_long(first, PDM_TAG_CMDREF) != 0 ||
        sml_child_long(first, PDM_TAG_MSGREF) != f->sentmsg ||
        !pdm__el_child_text(first, PDM_TAG_CMD) ||
        strcmp(pdm__el_child_text(first, PDM_TAG_CMD), "SyncHdr"))
        problem(f, "server message %d does not start with the Status for "
                "our SyncHdr (message %d)", f->smsgid, f->sentmsg);
    for (const pdm__el *el = first; el; el = el->next) {
        long id;
        if (el->tag == PDM_TAG_FINAL) {
            if (el->next)
                problem(f, "Final is not the last element of message %d",
                        f->smsgid);
            continue;
        }
        id = sml_child_long(el, PDM_TAG_CMDID);
        if (id <= 0) {
            problem(f, "%s without a numeric CmdID in server message %d",
                    pdm__el_name(el), f->smsgid);
            continue;
        }
        for (size_t i = 0; i < nid; i++)
            if (ids[i] == id)
                problem(f, "CmdID %ld used twice in server message %d", id,
                        f->smsgid);
        if (nid < 512)
            ids[nid++] = (int)id;
        if (el->tag == PDM_TAG_ATOMIC || el->tag == PDM_TAG_SEQUENCE)
            for (const pdm__el *k = el->first; k; k = k->next) {
                long kid = sml_child_long(k, PDM_TAG_CMDID);
                if (k->tag == PDM_TAG_CMDID || kid <= 0)
                    continue;
                for (size_t i = 0; i < nid; i++)
                    if (ids[i] == kid)
                        problem(f, "CmdID %ld used twice in server message "
                                "%d", kid, f->smsgid);
                if (nid < 512)
                    ids[nid++] = (int)kid;
            }
    }
    /* the server's statuses for what we sent */
    for (size_t i = 0; i < f->nsent; i++) {
        const pdm__el *st;
        bool found = false;
        for (st = pdm__el_child(body, PDM_TAG_STATUS); st;
             st = pdm__el_next(st, PDM_TAG_STATUS))
            if (sml_child_long(st, PDM_TAG_MSGREF) == f->sentmsg &&
                sml_child_long(st, PDM_TAG_CMDREF) == f->sent[i].cmdid) {
                long code = sml_child_long(st, PDM_TAG_DATA);
                found = true;
                if (strcmp(f->sent[i].cmd, "Results") == 0 &&
                    !f->sent[i].chunk && code == 200)
                    problem(f, "the server sent Status 200 for our Results "
                            "(MUST NOT answer Results)");
                if (f->sent[i].chunk && code != 213)
                    problem(f, "the server answered our Results chunk with "
                            "%ld, expected 213", code);
            }
        if (!found && strcmp(f->sent[i].cmd, "Results") != 0)
            problem(f, "server message %d has no Status for our %s (CmdID "
                    "%d)", f->smsgid, f->sent[i].cmd, f->sent[i].cmdid);
        if (!found && f->sent[i].chunk)
            problem(f, "server message %d has no 213 for our Results chunk",
                    f->smsgid);
    }
    (void)final;
}

/* ---- the session ------------------------------------------------------ */

static void set_nonce(uint8_t *dst, size_t *dlen, const char *b64text)
{
    uint8_t *b = NULL;
    size_t bl = 0;
    if (pdm__b64_decode(b64text, strlen(b64text), &b, &bl) == PDM_OK &&
        bl <= 256) {
        memcpy(dst, b, bl);
        *dlen = bl;
    }
    pdm__free(b);
}

enum { NEXT_STOP = 0, NEXT_SEND };

static int process(fc *f, resp *r, bool *pkg1, bool *want_1222,
                   bool *allow_final)
{
    pdm__doc d;
    char err[256];
    const pdm__el *hdr, *body;
    const fc_config *c = f->cfg;
    bool server_ok, final = false, real_cmds = false, only1222 = true;
    bool first = f->smsgid == 0;
    int enc = sml_ctype_encoding(r->ctype);
    const char *v;
    int hdr_code = 0;
    size_t nq_before;

    if (enc != (c->wbxml ? 2 : 1))
        problem(f, "server answered with Content-Type %s", r->ctype);
    if (c->wbxml && c->wbxml_oracle)
        oracle(f, r->body.data, r->body.len);
    pdm__doc_init(&d);
    if (sml_decode(&d, r->body.data, r->body.len, enc ? enc : 0, err,
                   sizeof err) != PDM_OK) {
        problem(f, "server message undecodable: %s", err);
        pdm__doc_free(&d);
        return NEXT_STOP;
    }
    hdr = d.root ? pdm__el_child(d.root, PDM_TAG_SYNCHDR) : NULL;
    body = d.root ? pdm__el_child(d.root, PDM_TAG_SYNCBODY) : NULL;
    if (!hdr || !body) {
        problem(f, "server message is not SyncML");
        pdm__doc_free(&d);
        return NEXT_STOP;
    }
    check_header(f, hdr, first);
    check_body(f, body, false);
    if (f->aborting) {
        /* the server's answer to our abort ends the session */
        pdm__doc_free(&d);
        return NEXT_STOP;
    }
    server_ok = verify_server(f, hdr, r);
    if (c->sauth != SC_AUTH_NONE) {
        if (server_ok)
            f->res->server_auth_ok++;
        else
            f->res->server_auth_bad++;
    }
    v = sml_path_text(hdr, PDM_TAG_RESPURI, 0);
    if (v && *v)
        snprintf(f->url, sizeof f->url, "%s", v);
    final = pdm__el_child(body, PDM_TAG_FINAL) != NULL;

    /* the server's status for our SyncHdr */
    for (const pdm__el *st = pdm__el_child(body, PDM_TAG_STATUS); st;
         st = pdm__el_next(st, PDM_TAG_STATUS)) {
        const pdm__el *ch;
        if (sml_child_long(st, PDM_TAG_CMDREF) != 0)
            continue;
        hdr_code = (int)sml_child_long(st, PDM_TAG_DATA);
        ch = pdm__el_child(st, PDM_TAG_CHAL);
        if (ch) {
            const char *nn = sml_meta(ch, PDM_TAG_MI_NEXTNONCE);
            int t = sc_auth_from_meta_type(sml_meta(ch, PDM_TAG_MI_TYPE));
            if (t > 0 && (hdr_code == 401 || hdr_code == 407))
                f->cauth = t;
            if (nn) {
                set_nonce(f->cnonce, &f->cnonce_len, nn);
                snprintf(f->res->next_nonce, sizeof f->res->next_nonce, "%s",
                         nn);
            }
        }
    }
    if (hdr_code == 212)
        f->client_authed = true;
    if (hdr_code == 212 && f->cauth != SC_AUTH_HMAC)
        f->send_cred = false;

    /* our status for the server's SyncHdr */
    {
        outent *e = enq_status(f, f->smsgid, 0, "SyncHdr", 200);
        e->targetref = adup(f, sml_path_text(hdr, PDM_TAG_TARGET,
                                             PDM_TAG_LOCURI, 0));
        e->sourceref = adup(f, sml_path_text(hdr, PDM_TAG_SOURCE,
                                             PDM_TAG_LOCURI, 0));
        if (!server_ok) {
            uint8_t n[PDM__AUTH_NONCE_LEN];
            e->code = pdm__el_child(hdr, PDM_TAG_CRED) || r->hmac[0] ? 401 : 407;
            e->chal_type = c->sauth;
            if (c->sauth != SC_AUTH_BASIC) {
                pdm__auth_nonce_new(n);
                memcpy(f->snonce, n, sizeof n);
                f->snonce_len = sizeof n;
                e->nonce_b64 = b64(f, n, sizeof n);
            }
            f->res->refused_server = true;
        } else if (c->sauth == SC_AUTH_HMAC) {
            uint8_t n[PDM__AUTH_NONCE_LEN];
            pdm__auth_nonce_new(n);
            memcpy(f->snonce, n, sizeof n);
            f->snonce_len = sizeof n;
            e->chal_type = SC_AUTH_HMAC;
            e->nonce_b64 = b64(f, n, sizeof n);
        } else if (c->sauth != SC_AUTH_NONE &&
                   pdm__el_child(hdr, PDM_TAG_CRED) && !f->server_authed) {
            e->code = 212;
            f->server_authed = true;
        }
    }
    nq_before = f->nq;

    /* authentication failure of our package 1: redo it */
    if ((hdr_code == 401 || hdr_code == 407) && f->in_pkg1) {
        bool had = f->send_cred || f->cauth == SC_AUTH_HMAC;
        f->auth_retries++;
        if ((hdr_code == 401 && had && f->auth_retries > 2) ||
            f->auth_retries > 4) {
            f->res->auth_refused = true;
            pdm__doc_free(&d);
            return NEXT_STOP;
        }
        f->send_cred = true;
        /* statuses for commands of an auth-failure message are not needed */
        pdm__doc_free(&d);
        *pkg1 = true;
        *want_1222 = false;
        *allow_final = true;
        return NEXT_SEND;
    }
    if (hdr_code == 401 || hdr_code == 407) {
        problem(f, "the server refused our credentials in the middle of the "
                "session (%d)", hdr_code);
        f->res->auth_refused = true;
        pdm__doc_free(&d);
        return NEXT_STOP;
    }
    f->in_pkg1 = false;

    if (c->abort_session) {
        for (const pdm__el *el = body->first; el; el = el->next)
            if (el->tag != PDM_TAG_STATUS && el->tag != PDM_TAG_FINAL) {
                /* abort: Alert 1223 + Final, nothing executed */
                outent *e = enq(f);
                e->kind = OE_ALERT;
                e->alert_code = 1223;
                f->in_pkg1 = false;
                f->aborting = true;
                pdm__doc_free(&d);
                *pkg1 = false;
                *want_1222 = false;
                *allow_final = true;
                return NEXT_SEND;
            }
    }

    /* the server's commands */
    pdm__tree_begin(f->tree);
    {
        bool stop = false;
        for (const pdm__el *el = body->first; el; el = el->next) {
            long code;
            if (el->tag == PDM_TAG_STATUS || el->tag == PDM_TAG_FINAL)
                continue;
            if (el->tag == PDM_TAG_ALERT) {
                code = sml_child_long(el, PDM_TAG_DATA);
                if (code == 1222) {
                    enq_status(f, f->smsgid,
                               (int)sml_child_long(el, PDM_TAG_CMDID), "Alert",
                               200);
                    continue;
                }
                if (code == 1223) {
                    pdm__tree_commit(f->tree);
                    pdm__doc_free(&d);
                    return NEXT_STOP;
                }
            }
            only1222 = false;
            real_cmds = true;
            if (!server_ok) {
                enq_status(f, f->smsgid,
                           (int)sml_child_long(el, PDM_TAG_CMDID),
                           adup(f, pdm__el_name(el)), 401);
                continue;
            }
            exec_cmd(f, el, f->smsgid, &stop);
        }
    }
    pdm__tree_commit(f->tree);
    pdm__doc_free(&d);
    (void)nq_before;

    if (final)
        f->can_close = true;
    else if (!only1222)
        f->can_close = false;

    *pkg1 = false;
    if (!final && real_cmds) {
        /* the server's package continues: statuses + Alert 1222 */
        *want_1222 = true;
        *allow_final = false;
        return NEXT_SEND;
    }
    if (!final) {
        /* the server asks for our next message */
        *want_1222 = false;
        *allow_final = f->can_close;
        return NEXT_SEND;
    }
    if (!real_cmds && f->nq == 1 && f->q[0].cmdref == 0 &&
        (!f->cfg->answer_after_end || f->answered_end)) {
        /* only statuses and Final: the session is over */
        if (!server_ok && c->sauth != SC_AUTH_NONE)
            f->res->refused_server = true;
        f->nq = 0;
        return NEXT_STOP;
    }
    if (!real_cmds && f->nq == 1 && f->q[0].cmdref == 0)
        f->answered_end = true; /* misbehaviour: answer the end package */
    *want_1222 = false;
    *allow_final = true;
    return NEXT_SEND;
}

int fc_run(const fc_config *c, fc_result *r)
{
    fc f;
    bool pkg1 = true, want_1222 = false, allow_final = true;
    int rounds = 0;

    memset(r, 0, sizeof *r);
    memset(&f, 0, sizeof f);
    f.cfg = c;
    f.res = r;
    pdm__arena_init(&f.a, 16384);
    pdm__buf_init(&f.lo);
    f.q = calloc(MAXQ, sizeof *f.q);
    if (!f.q)
        abort();
    snprintf(f.url, sizeof f.url, "%s", c->url);
    f.cauth = c->cauth;
    if (c->cnonce_len <= sizeof f.cnonce) {
        memcpy(f.cnonce, c->cnonce ? c->cnonce : (const uint8_t *)"",
               c->cnonce_len);
        f.cnonce_len = c->cnonce_len;
    }
    if (c->snonce_len <= sizeof f.snonce) {
        memcpy(f.snonce, c->snonce ? c->snonce : (const uint8_t *)"",
               c->snonce_len);
        f.snonce_len = c->snonce_len;
    }
    f.send_cred = (c->cauth == SC_AUTH_BASIC || c->cauth == SC_AUTH_MD5) &&
                  !c->no_initial_cred;
    f.in_pkg1 = true;
    if (setup_tree(&f) != 0)
        goto out;
    f.curl = curl_easy_init();
    if (!f.curl) {
        problem(&f, "curl_easy_init failed");
        goto out;
    }
    curl_easy_setopt(f.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f.curl, CURLOPT_TIMEOUT, 30L);
    if (c->ca) {
        curl_easy_setopt(f.curl, CURLOPT_CAINFO, c->ca);
        curl_easy_setopt(f.curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(f.curl, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(f.curl, CURLOPT_SSLVERSION,
                         (long)CURL_SSLVERSION_TLSv1_2);
    }
    if (c->cert) {
        curl_easy_setopt(f.curl, CURLOPT_SSLCERT, c->cert);
        curl_easy_setopt(f.curl, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(f.curl, CURLOPT_SSLKEY, c->key);
        curl_easy_setopt(f.curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
    for (;;) {
        pdm__doc d;
        pdm__buf out;
        char err[256];
        resp rs;
        bool final;
        int next;
        if (++rounds > (c->max_roundtrips ? c->max_roundtrips : 60)) {
            problem(&f, "too many round trips");
            break;
        }
        pdm__doc_init(&d);
        build(&f, &d, pkg1, want_1222, allow_final, &final);
        pdm__buf_init(&out);
        if (sml_encode(&d, c->wbxml, &out, err, sizeof err) != PDM_OK) {
            problem(&f, "cannot encode our message: %s", err);
            pdm__doc_free(&d);
            pdm__buf_free(&out);
            break;
        }
        pdm__doc_free(&d);
        if (c->verbose)
            fprintf(stderr, "fakeclient: -> message %d (%zu bytes)%s\n",
                    f.msgid, out.len, final ? " Final" : "");
        if (post(&f, out.data, out.len, &rs) != 0) {
            pdm__buf_free(&out);
            pdm__buf_free(&rs.body);
            break;
        }
        pdm__buf_free(&out);
        next = process(&f, &rs, &pkg1, &want_1222, &allow_final);
        pdm__buf_free(&rs.body);
        if (next == NEXT_STOP)
            break;
    }
out:
    if (f.curl)
        curl_easy_cleanup(f.curl);
    if (f.tree)
        pdm__tree_free(f.tree);
    free(f.q);
    free(f.rq);
    pdm__buf_free(&f.lo);
    pdm__arena_free(&f.a);
    return r->rc;
}

/* ---- skeleton ----------------------------------------------------------- */

static void skel_el(const pdm__el *el, pdm__buf *b)
{
    const char *name = pdm__el_name(el);
    if (b->len)
        pdm__buf_putc(b, ' ');
    switch (el->tag) {
    case PDM_TAG_STATUS:
        pdm__buf_printf(b, "Status:%s=%ld", pdm__el_child_text(el, PDM_TAG_CMD)
                                                ? pdm__el_child_text(el, PDM_TAG_CMD)
                                                : "?",
                        sml_child_long(el, PDM_TAG_DATA));
        return;
    case PDM_TAG_FINAL:
        pdm__buf_puts(b, "Final");
        return;
    case PDM_TAG_ALERT: {
        size_t n = 0;
        pdm__buf_printf(b, "Alert:%ld", sml_child_long(el, PDM_TAG_DATA));
        for (const pdm__el *it = pdm__el_child(el, PDM_TAG_ITEM); it;
             it = pdm__el_next(it, PDM_TAG_ITEM))
            n++;
        if (n)
            pdm__buf_printf(b, "(%zu items)", n);
        return;
    }
    case PDM_TAG_ATOMIC:
    case PDM_TAG_SEQUENCE: {
        pdm__buf inner;
        pdm__buf_init(&inner);
        for (const pdm__el *k = el->first; k; k = k->next)
            if (k->tag != PDM_TAG_CMDID)
                skel_el(k, &inner);
        pdm__buf_printf(b, "%s{%s}", name, inner.data ? (char *)inner.data : "");
        pdm__buf_free(&inner);
        return;
    }
    default: {
        bool firsti = true;
        pdm__buf_printf(b, "%s:", name);
        for (const pdm__el *it = pdm__el_child(el, PDM_TAG_ITEM); it;
             it = pdm__el_next(it, PDM_TAG_ITEM)) {
            const char *t = sml_path_text(it, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0);
            const char *fmt = sml_meta(it, PDM_TAG_MI_FORMAT);
            pdm__buf_printf(b, "%s%s", firsti ? "" : ",", t ? t : "?");
            if (fmt)
                pdm__buf_printf(b, "[%s]", fmt);
            if (pdm__el_child(it, PDM_TAG_MOREDATA))
                pdm__buf_puts(b, "+MoreData");
            firsti = false;
        }
        return;
    }
    }
}

char *fc_skeleton(const fc_result *r, size_t i)
{
    pdm__doc d;
    pdm__buf b;
    const pdm__el *body;
    char *s;
    if (i >= r->nrx)
        return strdup("(no such message)");
    pdm__doc_init(&d);
    if (sml_decode(&d, r->rx[i].body, r->rx[i].len,
                   sml_ctype_encoding(r->rx[i].ctype), NULL, 0) != PDM_OK) {
        pdm__doc_free(&d);
        return strdup("(undecodable)");
    }
    pdm__buf_init(&b);
    body = d.root ? pdm__el_child(d.root, PDM_TAG_SYNCBODY) : NULL;
    for (const pdm__el *el = body ? body->first : NULL; el; el = el->next)
        skel_el(el, &b);
    s = strdup(b.data ? (char *)b.data : "");
    pdm__buf_free(&b);
    pdm__doc_free(&d);
    return s;
}
