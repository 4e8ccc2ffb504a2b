/*
 * The client's message: its Status, Results, Alert and Replace commands
 * are read into the session (rx_status, rx_cmd), matched to the commands
 * we sent by MsgRef/CmdRef, chunked Results reassembled, and the statuses
 * we owe for them queued (pend).  Protocol errors of the client are
 * failures here; the scenario's expectations are judged in engine_eval.c.
 */
#include "engine_int.h"

#include "dmsauth.h"

/* ---- reading the client's message ------------------------------------------ */

static void parse_item(pdm__arena *a, const pdm__el *it, const pdm__el *cmd,
                       rx_item *ri)
{
    const pdm__el *data = pdm__el_child(it, PDM_TAG_DATA);
    const char *v;
    memset(ri, 0, sizeof *ri);
    ri->source = adup(a, sml_path_text(it, PDM_TAG_SOURCE, PDM_TAG_LOCURI, 0));
    ri->target = adup(a, sml_path_text(it, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0));
    v = sml_meta(it, PDM_TAG_MI_FORMAT);
    ri->format = adup(a, v ? v : sml_meta(cmd, PDM_TAG_MI_FORMAT));
    v = sml_meta(it, PDM_TAG_MI_TYPE);
    ri->type = adup(a, v ? v : sml_meta(cmd, PDM_TAG_MI_TYPE));
    v = sml_meta(it, PDM_TAG_MI_MARK);
    ri->mark = adup(a, v ? v : sml_meta(cmd, PDM_TAG_MI_MARK));
    v = sml_meta(it, PDM_TAG_MI_SIZE);
    ri->size = -1;
    if (v) {
        long n;
        if (pdm__parse_long(v, 0, 0x7fffffffL, &n) == PDM_OK)
            ri->size = n;
    }
    ri->moredata = pdm__el_child(it, PDM_TAG_MOREDATA) != NULL;
    if (data) {
        ri->has_data = true;
        if (data->first) {
            pdm__buf b;
            pdm__buf_init(&b);
            sml_render_inline(data, &b);
            ri->data = (uint8_t *)adupn(a, b.data, b.len);
            ri->len = b.len;
            pdm__buf_free(&b);
        } else {
            ri->data = (uint8_t *)adupn(a, data->text, data->text ? data->len : 0);
            ri->len = data->text ? data->len : 0;
        }
    }
}

pend *add_pend(dms_engine *e, int msgref, int cmdref, const char *cmd,
               int code)
{
    pend *p = azalloc(&e->ra, sizeof *p), **pp = &e->pend;
    p->msgref = msgref;
    p->cmdref = cmdref;
    p->cmd = cmd;
    p->code = code;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    return p;
}

static const sent_rec *find_sent(const sess *s, int msgref, int cmdref)
{
    for (size_t i = 0; i < s->nsent; i++)
        if (s->sent[i].msgid == msgref && s->sent[i].cmdid == cmdref)
            return &s->sent[i];
    return NULL;
}

static void append_cmd(rx_cmd **list, rx_cmd *c)
{
    while (*list)
        list = &(*list)->next;
    *list = c;
}

static rx_cmd *read_cmd(sess *s, const pdm__el *el, int cmsg)
{
    rx_cmd *c = azalloc(&s->pa, sizeof *c);
    size_t n = 0;
    const pdm__el *it;
    c->cmsg = cmsg;
    c->cmdid = (int)sml_child_long(el, PDM_TAG_CMDID);
    c->msgref = (int)sml_child_long(el, PDM_TAG_MSGREF);
    if (c->msgref < 0)
        c->msgref = cmsg; /* MsgRef defaults to the message being answered */
    c->cmdref = (int)sml_child_long(el, PDM_TAG_CMDREF);
    c->code = (int)sml_child_long(el, PDM_TAG_DATA);
    c->correlator = adup(&s->pa, pdm__el_child_text(el, PDM_TAG_CORRELATOR));
    for (it = pdm__el_child(el, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM))
        n++;
    if (n)
        c->items = azalloc(&s->pa, n * sizeof *c->items);
    for (it = pdm__el_child(el, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM))
        parse_item(&s->pa, it, el, &c->items[c->nitems++]);
    return c;
}

/* The client's status for one of our SyncHdrs. */
void hdr_status(dms_engine *e, sess *s, const pdm__el *st, int code,
                int msgref)
{
    const pdm__el *chal = pdm__el_child(st, PDM_TAG_CHAL);
    if (msgref <= 0 || msgref > s->smsg)
        failf(e, 0, "Status for SyncHdr has MsgRef %d, but the server has "
              "sent messages 1..%d", msgref, s->smsg);
    if (code == 212)
        s->saccepted = true;
    else if (code == 401 || code == 407)
        s->saccepted = false;
    if (chal) {
        const char *nn = sml_meta(chal, PDM_TAG_MI_NEXTNONCE);
        const char *fmt = sml_meta(chal, PDM_TAG_MI_FORMAT);
        if (nn) {
            uint8_t *b = NULL;
            size_t bl = 0;
            if (fmt && strcmp(fmt, "b64") == 0) {
                if (dms_b64_decode(nn, strlen(nn), &b, &bl) == 0 &&
                    bl <= NONCE_MAX) {
                    memcpy(s->snonce, b, bl);
                    s->snonce_len = bl;
                } else {
                    failf(e, 0, "the client's Chal NextNonce is not valid "
                          "base64");
                }
                pdm__free(b);
            } else if (strlen(nn) <= NONCE_MAX) {
                memcpy(s->snonce, nn, strlen(nn));
                s->snonce_len = strlen(nn);
            }
            var_set_b64(e, "server-nonce", s->snonce, s->snonce_len);
        }
    }
}

static void read_status(dms_engine *e, sess *s, const pdm__el *el, int cmsg)
{
    rx_status *r = azalloc(&s->pa, sizeof *r), **pp;
    const pdm__el *it;
    size_t n = 0;
    r->cmsg = cmsg;
    r->msgref = (int)sml_child_long(el, PDM_TAG_MSGREF);
    r->cmdref = (int)sml_child_long(el, PDM_TAG_CMDREF);
    r->cmd = adup(&s->pa, pdm__el_child_text(el, PDM_TAG_CMD));
    r->code = (int)sml_child_long(el, PDM_TAG_DATA);
    r->targetref = adup(&s->pa, pdm__el_child_text(el, PDM_TAG_TARGETREF));
    r->sourceref = adup(&s->pa, pdm__el_child_text(el, PDM_TAG_SOURCEREF));
    if (pdm__el_child(el, PDM_TAG_CHAL))
        r->chal_type = sc_auth_from_meta_type(
            sml_meta(pdm__el_child(el, PDM_TAG_CHAL), PDM_TAG_MI_TYPE));
    if (r->chal_type < 0)
        r->chal_type = 99;
    for (it = pdm__el_child(el, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM))
        n++;
    if (n)
        r->items = azalloc(&s->pa, n * sizeof *r->items);
    for (it = pdm__el_child(el, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        const char *t = sml_path_text(it, PDM_TAG_DATA, 0);
        r->items[r->nitems++] = adup(&s->pa, t ? t : "");
    }
    if (r->msgref < 0)
        r->msgref = s->smsg; /* default: the message being answered */
    if (r->code < 0)
        failf(e, 0, "Status (CmdRef %d, Cmd %s) has no numeric Data", r->cmdref,
              r->cmd ? r->cmd : "?");
    if (r->cmdref == 0) {
        hdr_status(e, s, el, r->code, r->msgref);
    } else if (r->cmdref > 0) {
        const sent_rec *rec = find_sent(s, r->msgref, r->cmdref);
        if (!rec) {
            failf(e, 0, "Status (MsgRef %d, CmdRef %d, Cmd %s, %d) refers to "
                  "no command the server sent in this package", r->msgref,
                  r->cmdref, r->cmd ? r->cmd : "?", r->code);
        } else {
            const char *want = rec->cmd ? sc_cmd_name(rec->cmd->kind) : "Alert";
            if (!r->cmd || strcmp(r->cmd, want) != 0)
                failf(e, rec->cmd ? rec->cmd->sc->line : 0,
                      "Status for %s (MsgRef %d, CmdRef %d) says Cmd %s",
                      want, r->msgref, r->cmdref, r->cmd ? r->cmd : "(none)");
        }
    } else {
        failf(e, 0, "Status without a numeric CmdRef (Cmd %s)",
              r->cmd ? r->cmd : "?");
    }
    for (pp = &s->st; *pp; pp = &(*pp)->next)
        ;
    *pp = r;
}

static void read_results(dms_engine *e, sess *s, const pdm__el *el, int cmsg)
{
    rx_cmd *c = read_cmd(s, el, cmsg);
    const sent_rec *rec = find_sent(s, c->msgref, c->cmdref);
    if (!rec || !rec->cmd || rec->cmd->kind != SC_GET)
        failf(e, rec && rec->cmd ? rec->cmd->sc->line : 0,
              "Results (MsgRef %d, CmdRef %d) do not answer a Get of this "
              "package", c->msgref, c->cmdref);
    /* a chunked result: reassemble, 213 per chunk */
    if (c->nitems == 1 && (c->items[0].moredata || s->lo_on)) {
        rx_item *ri = &c->items[0];
        if (!s->lo_on) {
            s->lo_on = true;
            s->lo_msgref = c->msgref;
            s->lo_cmdref = c->cmdref;
            s->lo_size = ri->size;
            s->lo_source = adup(&s->pa, ri->source);
            pdm__buf_reset(&s->lo);
            if (ri->size < 0)
                failf(e, 0, "the first chunk of the client's Results for %s "
                      "has no Meta Size", ri->source ? ri->source : "?");
        } else if (c->msgref != s->lo_msgref || c->cmdref != s->lo_cmdref) {
            failf(e, 0, "a new Results arrived before the last chunk of the "
                  "previous one (expected Alert 1225 rules)");
        }
        pdm__buf_append(&s->lo, ri->data, ri->len);
        if (ri->moredata) {
            add_pend(e, cmsg, c->cmdid, "Results", 213);
            return; /* not complete yet */
        }
        /* last chunk */
        ri->data = (uint8_t *)adupn(&s->pa, s->lo.data, s->lo.len);
        ri->len = s->lo.len;
        ri->moredata = false;
        if (s->lo_size >= 0 && (size_t)s->lo_size != s->lo.len) {
            failf(e, 0, "the client's chunked Results for %s: Meta Size %ld "
                  "but %zu bytes arrived", s->lo_source ? s->lo_source : "?",
                  s->lo_size, s->lo.len);
            add_pend(e, cmsg, c->cmdid, "Results", 424);
        }
        s->lo_on = false;
        c->msgref = s->lo_msgref;
        c->cmdref = s->lo_cmdref;
    }
    append_cmd(&s->res, c);
}

/* Status code the scenario wants for a Generic Alert (status= option). */
static int generic_status(dms_engine *e, sess *s, const rx_cmd *c)
{
    const sc_expect *ex;
    size_t n;
    (void)e;
    if (s->state == ST_PKG1) {
        ex = s->sc->pkg1;
        n = s->sc->npkg1;
    } else {
        ex = s->sc->steps[s->step].ex;
        n = s->sc->steps[s->step].nex;
    }
    for (size_t i = 0; i < n; i++) {
        if (ex[i].kind != EX_GENERIC || !ex[i].opt[EK_STATUS])
            continue;
        for (size_t k = 0; k < c->nitems; k++) {
            const char *t = ex[i].opt[EK_TYPE];
            if (!t || (c->items[k].type && strcmp(t, c->items[k].type) == 0))
                /* 100-599: checked by the parser */
                return (int)strtol(ex[i].opt[EK_STATUS], NULL, 10);
        }
    }
    return 200;
}

/* Processes the SyncBody of a client message. */
void read_body(dms_engine *e, sess *s, const pdm__el *body, int cmsg,
               bool *final, bool *saw1222, bool *has_results)
{
    for (const pdm__el *el = body ? body->first : NULL; el; el = el->next) {
        switch (el->tag) {
        case PDM_TAG_STATUS:
            read_status(e, s, el, cmsg);
            break;
        case PDM_TAG_RESULTS:
            *has_results = true;
            read_results(e, s, el, cmsg);
            break;
        case PDM_TAG_ALERT: {
            rx_cmd *c = read_cmd(s, el, cmsg);
            int code = 200;
            if (c->code == 1222) {
                *saw1222 = true;
            } else if (c->code == 1223) {
                s->abort_seen = true;
            } else if (c->code == 1226) {
                code = generic_status(e, s, c);
            } else if (c->code == 1200 || c->code == 1201) {
                if (s->state != ST_PKG1)
                    failf(e, 0, "Alert %d outside package 1", c->code);
            } else if (c->code >= 1100 && c->code <= 1199) {
                failf(e, 0, "the client sent the server-to-client UI Alert %d",
                      c->code);
                code = 406;
            }
            if (c->cmdid < 0)
                failf(e, 0, "Alert %d without CmdID", c->code);
            add_pend(e, cmsg, c->cmdid, "Alert", code);
            if (c->code != 1222)
                append_cmd(&s->al, c);
            break;
        }
        case PDM_TAG_REPLACE: {
            rx_cmd *c = read_cmd(s, el, cmsg);
            add_pend(e, cmsg, c->cmdid, "Replace", 200);
            append_cmd(&s->repl, c);
            break;
        }
        case PDM_TAG_FINAL:
            *final = true;
            break;
        default: {
            const char *nm = pdm__el_name(el);
            long id = sml_child_long(el, PDM_TAG_CMDID);
            failf(e, 0, "the client sent a %s command (a DM client may only "
                  "send Alert, Replace, Results and Status)", nm);
            add_pend(e, cmsg, (int)id, pdm__arena_strdup(&e->ra, nm), 406);
            break;
        }
        }
    }
}
