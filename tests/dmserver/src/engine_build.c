/*
 * The server's messages: the scenario's commands instantiated for this
 * session (variables expanded, data evaluated), packed into messages no
 * larger than the client's MaxMsgSize (Final only on the last, large
 * objects in chunks), the statuses we owe the client, and our header with
 * its Cred or x-syncml-hmac.  Every command sent is recorded (sent_rec) so
 * that the client's statuses can be matched to it.
 */
#include "engine_int.h"

#include <ctype.h>

#include "dmsauth.h"

/* ---- building server messages --------------------------------------------- */

static pdm__tag cmd_tag(int kind)
{
    switch (kind) {
    case SC_GET: return PDM_TAG_GET;
    case SC_ADD: return PDM_TAG_ADD;
    case SC_REPLACE: return PDM_TAG_REPLACE;
    case SC_DELETE: return PDM_TAG_DELETE;
    case SC_COPY: return PDM_TAG_COPY;
    case SC_EXEC: return PDM_TAG_EXEC;
    case SC_ALERT: return PDM_TAG_ALERT;
    case SC_ATOMIC: return PDM_TAG_ATOMIC;
    case SC_SEQUENCE: return PDM_TAG_SEQUENCE;
    default: return PDM_TAG_NONE;
    }
}

static void add_chal(pdm__doc *d, pdm__el *parent, int type,
                     const uint8_t *nonce, size_t nlen)
{
    pdm__el *ch = pdm__el_add(d, parent, PDM_TAG_CHAL);
    pdm__el *m = pdm__el_add(d, ch, PDM_TAG_META);
    sml_add(d, m, PDM_TAG_MI_TYPE, sc_auth_meta_type(type));
    sml_add(d, m, PDM_TAG_MI_FORMAT, "b64");
    if (type == SC_AUTH_MD5 || type == SC_AUTH_HMAC) {
        pdm__buf b;
        pdm__buf_init(&b);
        dms_b64_encode(nonce, nlen, &b);
        pdm__el_add_text(d, m, PDM_TAG_MI_NEXTNONCE, b.len ? b.data : NULL,
                         b.len);
        pdm__buf_free(&b);
    }
}

static sent_rec *add_sent(sess *s, rt_cmd *c, int msgid, int cmdid)
{
    sent_rec *r;
    if (s->nsent == s->capsent) {
        s->capsent = s->capsent ? s->capsent * 2 : 32;
        s->sent = realloc(s->sent, s->capsent * sizeof *s->sent);
        if (!s->sent)
            abort();
    }
    r = &s->sent[s->nsent++];
    memset(r, 0, sizeof *r);
    r->cmd = c;
    r->msgid = msgid;
    r->cmdid = cmdid;
    r->chunk = -1;
    return r;
}

static void add_item_data(pdm__doc *d, pdm__el *it, const rt_item *ri,
                          size_t off, size_t n)
{
    if (!ri->has_data)
        return;
    sml_add_bin(d, it, PDM_TAG_DATA, ri->data ? ri->data + off : NULL, n,
                ri->opaque);
}

/* Emits one command (one chunk for a chunked Add/Replace). */
static void emit_cmd(sess *s, pdm__doc *d, pdm__el *parent, rt_cmd *c,
                     int *cmdid, int msgid)
{
    pdm__el *ce = pdm__el_add(d, parent, cmd_tag(c->kind));
    int id = (*cmdid)++;
    sent_rec *rec;
    sml_addf(d, ce, PDM_TAG_CMDID, "%d", id);
    rec = add_sent(s, c, msgid, id);
    switch (c->kind) {
    case SC_ALERT:
        sml_add(d, ce, PDM_TAG_DATA, c->alert_code);
        if (c->correlator)
            sml_add(d, ce, PDM_TAG_CORRELATOR, c->correlator);
        for (size_t i = 0; i < c->nitems; i++) {
            pdm__el *it = pdm__el_add(d, ce, PDM_TAG_ITEM);
            add_item_data(d, it, &c->items[i], 0, c->items[i].len);
        }
        break;
    case SC_ATOMIC:
    case SC_SEQUENCE:
        for (size_t i = 0; i < c->nkids; i++)
            emit_cmd(s, d, ce, &c->kids[i], cmdid, msgid);
        break;
    case SC_EXEC:
        if (c->correlator)
            sml_add(d, ce, PDM_TAG_CORRELATOR, c->correlator);
        /* fall through */
    default:
        for (size_t i = 0; i < c->nitems; i++) {
            const rt_item *ri = &c->items[i];
            pdm__el *it = pdm__el_add(d, ce, PDM_TAG_ITEM);
            size_t off = 0, n = ri->len;
            long size = -1;
            if (ri->target)
                sml_add_loc(d, it, PDM_TAG_TARGET, ri->target, NULL);
            if (ri->source)
                sml_add_loc(d, it, PDM_TAG_SOURCE, ri->source, NULL);
            if (c->chunked) {
                off = c->off;
                n = ri->len - off;
                if (n > c->chunk_size)
                    n = c->chunk_size;
                /* never cut a UTF-8 sequence in XML text */
                if (!ri->opaque && off + n < ri->len)
                    while (n > 1 && (ri->data[off + n] & 0xC0) == 0x80)
                        n--;
                if (off == 0)
                    size = ri->size_override >= 0 ? ri->size_override
                                                  : (long)ri->len;
                rec->chunk = c->nchunks;
                rec->last = off + n >= ri->len;
            } else if (ri->size_override >= 0) {
                size = ri->size_override;
            }
            sml_add_meta(d, it, ri->format, ri->type, size);
            add_item_data(d, it, ri, off, n);
            if (c->chunked && off + n < ri->len)
                pdm__el_add(d, it, PDM_TAG_MOREDATA);
        }
        break;
    }
}

/* Wire length of the chunk emit_cmd would send now. */
static size_t chunk_len(const rt_cmd *c)
{
    const rt_item *ri = &c->items[0];
    size_t n = ri->len - c->off;
    if (n > c->chunk_size)
        n = c->chunk_size;
    if (!ri->opaque && c->off + n < ri->len)
        while (n > 1 && (ri->data[c->off + n] & 0xC0) == 0x80)
            n--;
    return n;
}

static size_t encoded_size(const sess *s, const pdm__doc *d)
{
    pdm__buf b;
    size_t n;
    pdm__buf_init(&b);
    if (sml_encode(d, s->enc == 2, &b, NULL, 0) != PDM_OK)
        n = (size_t)-1;
    else
        n = b.len;
    pdm__buf_free(&b);
    return n;
}

static bool chunkable(const rt_cmd *c)
{
    return (c->kind == SC_ADD || c->kind == SC_REPLACE) && c->nitems == 1 &&
           c->items[0].has_data && c->items[0].len > 1;
}

/* Packs the next commands of the current package into body. */
static void pack(dms_engine *e, sess *s, pdm__doc *d, pdm__el *body,
                 int *cmdid, int msgid)
{
    size_t limit = s->cmax_msg > 0 ? (size_t)s->cmax_msg : (size_t)-1;
    int in_msg = 0;
    while (s->unit < s->ncmds) {
        rt_cmd *c = &s->cmds[s->unit];
        size_t save_nsent = s->nsent;
        int save_id = *cmdid;
        size_t sz;
        if (c->kind == SC_BREAK) {
            s->unit++;
            if (in_msg)
                break;
            continue;
        }
        emit_cmd(s, d, body, c, cmdid, msgid);
        sz = limit == (size_t)-1 ? 0 : encoded_size(s, d) + SIZE_MARGIN;
        if (sz > limit) {
            sml_unlink_last(body);
            s->nsent = save_nsent;
            *cmdid = save_id;
            if (in_msg)
                break; /* next message */
            if (!c->chunked && chunkable(c)) {
                c->chunked = true; /* large object */
                logv(e, "%s '%s' (%zu bytes) does not fit the client's "
                     "MaxMsgSize %ld: sent as a large object",
                     sc_cmd_name(c->kind), c->sc->label, c->items[0].len,
                     s->cmax_msg);
            }
            if (c->chunked) {
                /* the largest chunk that fits (binary search) */
                size_t lo = 0, hi = c->items[0].len - c->off;
                while (lo < hi) {
                    size_t mid = (lo + hi + 1) / 2;
                    c->chunk_size = mid;
                    emit_cmd(s, d, body, c, cmdid, msgid);
                    sz = encoded_size(s, d) + SIZE_MARGIN;
                    sml_unlink_last(body);
                    s->nsent = save_nsent;
                    *cmdid = save_id;
                    if (sz <= limit)
                        lo = mid;
                    else
                        hi = mid - 1;
                }
                c->chunk_size = lo ? lo : 1;
            }
            if (!c->chunked || c->chunk_size <= 1) {
                /* cannot be made to fit: send it anyway */
                if (!c->warned) {
                    c->warned = true;
                    fprintf(e->cfg.log, "polydm-testserver: warning: %s:%d: "
                            "%s '%s' does not fit the client's MaxMsgSize "
                            "%ld; sent anyway\n", e->sc->file, c->sc->line,
                            sc_cmd_name(c->kind), c->sc->label, s->cmax_msg);
                }
                if (c->chunked)
                    c->chunk_size = c->items[0].len;
            }
            emit_cmd(s, d, body, c, cmdid, msgid);
        }
        in_msg++;
        if (c->chunked) {
            size_t n = chunk_len(c);
            c->off += n;
            c->nchunks++;
            if (c->off < c->items[0].len)
                break; /* the next chunk goes into the next message */
        }
        s->unit++;
    }
}

static void record_smsg(sess *s, int id)
{
    if (s->nsmsgs < MAX_SMSGS)
        s->smsgs[s->nsmsgs++] = id;
}

static const char *cred_mode(const sess *s, int kind)
{
    const char *m = NULL;
    if (kind == MSG_END)
        m = s->sc->end_cred;
    else if (s->state == ST_STEP && s->step >= 0 &&
             (size_t)s->step < s->sc->nsteps)
        m = s->sc->steps[s->step].cred;
    return m ? m : "ok";
}

void emit(dms_engine *e, sess *s, int kind, const char *host,
          dms_response *resp)
{
    pdm__doc d;
    pdm__el *root, *hdr, *body, *meta;
    const scenario *sc = e->sc;
    const char *mode = cred_mode(s, kind);
    bool wrong = strcmp(mode, "wrong") == 0;
    bool nocred = strcmp(mode, "none") == 0;
    int msgid = ++s->smsg, cmdid = 1;
    char pw[512];
    pdm__buf out;
    char err[256];

    snprintf(pw, sizeof pw, "%s%s",
             sc->server_auth.password ? sc->server_auth.password : "",
             wrong ? "-wrong" : "");
    pdm__doc_init(&d);
    d.lang = PDM_LANG_SYNCML12;
    root = pdm__el_add(&d, NULL, PDM_TAG_SYNCML);
    hdr = pdm__el_add(&d, root, PDM_TAG_SYNCHDR);
    sml_add(&d, hdr, PDM_TAG_VERDTD, "1.2");
    sml_add(&d, hdr, PDM_TAG_VERPROTO, "DM/1.2");
    sml_add(&d, hdr, PDM_TAG_SESSIONID, s->sid);
    sml_addf(&d, hdr, PDM_TAG_MSGID, "%d", msgid);
    sml_add_loc(&d, hdr, PDM_TAG_TARGET, s->devid, NULL);
    sml_add_loc(&d, hdr, PDM_TAG_SOURCE, s->server_url,
                sc->server_auth.type == SC_AUTH_MD5 ? sc->server_auth.user
                                                    : NULL);
    if (sc->resp_uri) {
        char uri[600];
        const char *h = host;
        for (const char *p = h; p && *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
                h = NULL;
        if (!h || !*h || strlen(h) > 300)
            h = NULL;
        if (sc->resp_uri_base)
            snprintf(uri, sizeof uri, "%.500s?s=%s", sc->resp_uri_base,
                     s->token);
        else if (h)
            snprintf(uri, sizeof uri, "%s://%s/dm?s=%s", e->cfg.scheme, h,
                     s->token);
        else
            snprintf(uri, sizeof uri, "%s://127.0.0.1:%d/dm?s=%s",
                     e->cfg.scheme, e->cfg.port, s->token);
        sml_add(&d, hdr, PDM_TAG_RESPURI, uri);
        var_set(e, "resp-uri", uri);
        s->resp_uri_sent = true;
    }
    if ((sc->server_auth.type == SC_AUTH_BASIC ||
         sc->server_auth.type == SC_AUTH_MD5) &&
        !s->saccepted && !nocred) {
        pdm__el *cred = pdm__el_add(&d, hdr, PDM_TAG_CRED);
        pdm__el *cm = pdm__el_add(&d, cred, PDM_TAG_META);
        sml_add(&d, cm, PDM_TAG_MI_FORMAT, "b64");
        sml_add(&d, cm, PDM_TAG_MI_TYPE,
                sc_auth_meta_type(sc->server_auth.type));
        if (sc->server_auth.type == SC_AUTH_BASIC) {
            pdm__buf b;
            pdm__buf_init(&b);
            dms_auth_basic(sc->server_auth.user, pw, &b);
            pdm__el_add_text(&d, cred, PDM_TAG_DATA, b.len ? b.data : NULL,
                             b.len);
            pdm__buf_free(&b);
        } else {
            char dg[DMS_B64_MD5_SIZE];
            dms_auth_md5(sc->server_auth.user, pw, s->snonce, s->snonce_len,
                         dg);
            sml_add(&d, cred, PDM_TAG_DATA, dg);
        }
    }
    meta = pdm__el_add(&d, hdr, PDM_TAG_META);
    sml_addf(&d, meta, PDM_TAG_MI_MAXMSGSIZE, "%ld", sc->max_msg_size);
    sml_addf(&d, meta, PDM_TAG_MI_MAXOBJSIZE, "%ld", sc->max_obj_size);

    body = pdm__el_add(&d, root, PDM_TAG_SYNCBODY);
    for (pend *p = e->pend; p; p = p->next) {
        pdm__el *st = pdm__el_add(&d, body, PDM_TAG_STATUS);
        sml_addf(&d, st, PDM_TAG_CMDID, "%d", cmdid++);
        sml_addf(&d, st, PDM_TAG_MSGREF, "%d", p->msgref);
        sml_addf(&d, st, PDM_TAG_CMDREF, "%d", p->cmdref);
        sml_add(&d, st, PDM_TAG_CMD, p->cmd);
        if (p->targetref)
            sml_add(&d, st, PDM_TAG_TARGETREF, p->targetref);
        if (p->sourceref)
            sml_add(&d, st, PDM_TAG_SOURCEREF, p->sourceref);
        if (p->chal_type)
            add_chal(&d, st, p->chal_type, p->nonce, p->nlen);
        sml_addf(&d, st, PDM_TAG_DATA, "%d", p->code);
    }
    switch (kind) {
    case MSG_PACKAGE:
        pack(e, s, &d, body, &cmdid, msgid);
        if (s->unit >= s->ncmds) {
            pdm__el_add(&d, body, PDM_TAG_FINAL);
            s->final_sent = true;
        }
        break;
    case MSG_NEXT: {
        pdm__el *al = pdm__el_add(&d, body, PDM_TAG_ALERT);
        sml_addf(&d, al, PDM_TAG_CMDID, "%d", cmdid);
        sml_add(&d, al, PDM_TAG_DATA, "1222");
        add_sent(s, NULL, msgid, cmdid++);
        break;
    }
    case MSG_ABORT: {
        pdm__el *al = pdm__el_add(&d, body, PDM_TAG_ALERT);
        sml_addf(&d, al, PDM_TAG_CMDID, "%d", cmdid++);
        sml_add(&d, al, PDM_TAG_DATA, "1223");
        pdm__el_add(&d, body, PDM_TAG_FINAL);
        break;
    }
    default: /* MSG_END, MSG_AUTHFAIL */
        pdm__el_add(&d, body, PDM_TAG_FINAL);
        break;
    }
    record_smsg(s, msgid);

    pdm__buf_init(&out);
    if (sml_encode(&d, s->enc == 2, &out, err, sizeof err) != PDM_OK) {
        failf(e, 0, "cannot encode the server message: %s (binary data in "
              "XML needs format=b64 or bin)", err);
        pdm__buf_reset(&out);
        resp->http_status = 500;
    } else {
        resp->http_status = 200;
    }
    pdm__doc_free(&d);
    resp->len = out.len;
    resp->body = pdm__buf_steal(&out, &resp->len);
    if (!resp->body) {
        resp->body = xmalloc(1);
        resp->len = 0;
    }
    pdm__buf_free(&out);
    snprintf(resp->content_type, sizeof resp->content_type, "%s",
             s->enc == 2 ? SML_CT_WBXML : SML_CT_XML);
    if (sc->server_auth.type == SC_AUTH_HMAC && !nocred) {
        char mac[DMS_B64_MD5_SIZE];
        pdm__buf h;
        pdm__buf_init(&h);
        dms_auth_mac(sc->server_auth.user, pw, s->snonce, s->snonce_len,
                     resp->body, resp->len, mac);
        dms_hmac_header(sc->server_auth.user, mac, &h);
        if (pdm__buf_ok(&h) && h.len) {
            resp->hmac = xmalloc(h.len + 1);
            memcpy(resp->hmac, h.data, h.len);
            resp->hmac[h.len] = 0;
        }
        pdm__buf_free(&h);
    }
}

/* ---- instantiating the scenario's commands ------------------------------- */

static void inst_cmd(dms_engine *e, sess *s, const sc_cmd *sc, rt_cmd *c)
{
    pdm__arena *a = &s->pa;
    memset(c, 0, sizeof *c);
    c->sc = sc;
    c->kind = sc->kind;
    c->alert_code = expand(e, a, sc->alert_code, sc->line);
    c->correlator = expand(e, a, sc->correlator, sc->line);
    if (sc->nitems)
        c->items = azalloc(a, sc->nitems * sizeof *c->items);
    c->nitems = sc->nitems;
    for (size_t i = 0; i < sc->nitems; i++) {
        const sc_item *si = &sc->items[i];
        rt_item *ri = &c->items[i];
        uint8_t *raw = NULL;
        size_t rlen = 0;
        ri->target = expand(e, a, si->target, sc->line);
        ri->source = expand(e, a, si->source, sc->line);
        ri->format = expand(e, a, si->format, sc->line);
        ri->type = expand(e, a, si->type, sc->line);
        ri->size_override = -1;
        if (si->size) {
            char *sz = expand(e, a, si->size, sc->line);
            long v;
            if (pdm__parse_long(sz, 0, 0x7fffffffL, &v) == PDM_OK)
                ri->size_override = v;
            else
                failf(e, sc->line, "size=%s is not a byte count", sz);
        }
        if (si->data) {
            ri->has_data = true;
            eval_data(e, a, si->data, sc->line, &raw, &rlen);
            /* transfer encoding implied by the Format */
            if (ri->format && (strcmp(ri->format, "b64") == 0 ||
                               (strcmp(ri->format, "bin") == 0 &&
                                s->enc == 1))) {
                pdm__buf b;
                pdm__buf_init(&b);
                dms_b64_encode(raw, rlen, &b);
                ri->data = (uint8_t *)adupn(a, b.data, b.len);
                ri->len = b.len;
                pdm__buf_free(&b);
                if (strcmp(ri->format, "bin") == 0)
                    ri->format = adup(a, "b64");
            } else {
                ri->data = raw;
                ri->len = rlen;
                if (s->enc == 2 && ri->format && strcmp(ri->format, "bin") == 0)
                    ri->opaque = true;
            }
        }
        if (si->chunk > 0) {
            ri->opaque = ri->opaque || s->enc == 2;
            if (ri->len > (size_t)si->chunk) {
                c->chunked = true;
                c->chunk_size = (size_t)si->chunk;
            }
        }
    }
    if (sc->nkids) {
        c->kids = azalloc(a, sc->nkids * sizeof *c->kids);
        c->nkids = sc->nkids;
        for (size_t i = 0; i < sc->nkids; i++)
            inst_cmd(e, s, &sc->kids[i], &c->kids[i]);
    }
}

void reset_exchange(sess *s)
{
    pdm__arena_reset(&s->pa);
    s->cmds = NULL;
    s->ncmds = 0;
    s->unit = 0;
    s->final_sent = false;
    s->nsent = 0;
    s->nsmsgs = 0;
    s->st = NULL;
    s->res = s->al = s->repl = NULL;
    s->final_seen = s->abort_seen = false;
    s->hdr_refusal = 0;
    s->silence_ok = false;
    s->lo_on = false;
    pdm__buf_reset(&s->lo);
}

void start_step(dms_engine *e, sess *s, long k)
{
    const sc_step *st = &s->sc->steps[k];
    reset_exchange(s);
    s->step = k;
    s->state = ST_STEP;
    s->pkgno = (int)(2 * k + 3);
    s->ncmds = st->ncmds;
    s->cmds = azalloc(&s->pa, (st->ncmds ? st->ncmds : 1) * sizeof *s->cmds);
    for (size_t i = 0; i < st->ncmds; i++)
        inst_cmd(e, s, &st->cmds[i], &s->cmds[i]);
    for (size_t i = 0; i < st->nex; i++)
        if (st->ex[i].kind == EX_REFUSED)
            s->silence_ok = true;
}
