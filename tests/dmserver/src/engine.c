/*
 * polydm-testserver engine (see engine.h): its lifetime and the session
 * flow; the other steps live in the engine_*.c files (engine_int.h).
 *
 * One session at a time: the scenario's sessions run in order.  A session
 * is keyed by the client's SessionID and Source/LocURI; its messages are
 * answered in the client's encoding.  Per client message:
 *   1. header checks (VerDTD, VerProto, MsgID sequence, RespURI use),
 *   2. client authentication (basic, md5 with the nonce we issued, HMAC
 *      over the exact body) -> SyncHdr status 212/200/401/407 (+ Chal),
 *      in engine_auth.c,
 *   3. the body: statuses and results are matched to the commands we sent
 *      (MsgRef/CmdRef), alerts and DevInfo are recorded and statused
 *      (engine_read.c),
 *   4. the answer: the next message of the current server package, a
 *      "next message" response (Alert 1222), or - when the client's
 *      package is complete (Final) - the evaluation of the expectations
 *      (engine_eval.c) and the next package of the scenario, or the end
 *      package (Status + Final only), built by engine_build.c.
 */
#include "engine_int.h"

#include "dmsauth.h"

/* ---- engine lifetime ---------------------------------------------------------- */

static void sess_free(sess *s)
{
    if (!s)
        return;
    pdm__arena_free(&s->sa);
    pdm__arena_free(&s->pa);
    free(s->sent);
    pdm__buf_free(&s->lo);
    free(s);
}

static void set_builtins(dms_engine *e)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%d", e->cfg.port);
    var_set(e, "port", buf);
    var_set(e, "host", "127.0.0.1");
    var_set(e, "scheme", e->cfg.scheme);
    snprintf(buf, sizeof buf, "%s://127.0.0.1:%d/dm", e->cfg.scheme,
             e->cfg.port);
    var_set(e, "url", buf);
    var_set(e, "server-id", e->sc->server_id);
    for (size_t i = 0; i < e->sc->nvars; i++) {
        pdm__arena a;
        pdm__arena_init(&a, 1024);
        var_set(e, e->sc->vars[i].name,
                expand(e, &a, e->sc->vars[i].value, 0));
        pdm__arena_free(&a);
    }
}

dms_engine *dms_engine_new(scenario *sc, const dms_config *cfg)
{
    dms_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->sc = sc;
    e->cfg = *cfg;
    if (!e->cfg.scheme)
        e->cfg.scheme = "http";
    if (!e->cfg.log)
        e->cfg.log = stderr;
    pdm__arena_init(&e->ra, 16384);
    e->t_start = e->t_wait = now_ms();
    set_builtins(e);
    return e;
}

void dms_engine_restart(dms_engine *e)
{
    sess_free(e->cur);
    e->cur = NULL;
    for (size_t i = 0; i < e->nfails; i++)
        free(e->fails[i]);
    free(e->fails);
    e->fails = NULL;
    e->nfails = 0;
    e->nchecks = 0;
    e->next_session = 0;
    e->pushed = 0;
    e->done = e->aborted = false;
    e->t_start = e->t_wait = now_ms();
    e->where[0] = 0;
    set_builtins(e);
}

void dms_engine_free(dms_engine *e)
{
    if (!e)
        return;
    sess_free(e->cur);
    for (size_t i = 0; i < e->nfails; i++)
        free(e->fails[i]);
    free(e->fails);
    for (size_t i = 0; i < e->nv; i++) {
        free(e->vn[i]);
        free(e->vv[i]);
    }
    free(e->vn);
    free(e->vv);
    pdm__arena_free(&e->ra);
    free(e);
}

void dms_response_free(dms_response *r)
{
    free(r->body);
    free(r->hmac);
    r->body = NULL;
    r->hmac = NULL;
}

size_t dms_engine_report(dms_engine *e, FILE *f)
{
    unsigned long ok = e->nchecks >= e->nfails ? e->nchecks - e->nfails : 0;
    if (e->nfails == 0) {
        fprintf(f, "polydm-testserver: %s: PASSED (%lu checks)\n", e->sc->file,
                e->nchecks);
    } else {
        fprintf(f, "polydm-testserver: %s: FAILED (%zu failure%s, %lu checks "
                "passed)\n", e->sc->file, e->nfails,
                e->nfails == 1 ? "" : "s", ok);
        for (size_t i = 0; i < e->nfails; i++)
            fprintf(f, "  FAIL %s\n", e->fails[i]);
    }
    fflush(f);
    return e->nfails;
}


/* ---- session flow ---------------------------------------------------------- */

static void session_done(dms_engine *e)
{
    sess *s = e->cur;
    if (!s)
        return;
    logv(e, "session %zu done", s->idx + 1);
    sess_free(s);
    e->cur = NULL;
    e->t_wait = now_ms();
    e->where[0] = 0;
    if (e->next_session >= e->sc->nsessions)
        e->done = true;
}

static void to_end(dms_engine *e, sess *s, const char *host,
                   dms_response *resp)
{
    emit(e, s, MSG_END, host, resp);
    s->state = ST_WAIT_END;
    /* `end delay=`: main.c holds the answer back; the silence the client
     * owes starts when it is sent */
    resp->delay_ms = s->sc->end_delay_ms;
    s->deadline = now_ms() + (double)(end_wait(e) + resp->delay_ms);
}

/* The client stopped answering the package whose reply expects
 * `refused`: by silence, or by starting another session. */
static void client_gave_up(dms_engine *e, sess *s)
{
    eval_step(e, s, true);
    if ((size_t)s->step + 1 < s->sc->nsteps)
        failf(e, s->sc->steps[s->step + 1].send_line,
              "the client went silent; the rest of the session was not run");
    session_done(e);
}

static void advance(dms_engine *e, sess *s, const char *host,
                    dms_response *resp)
{
    long next = s->state == ST_PKG1 ? 0 : s->step + 1;
    if (s->state == ST_STEP && (s->abort_seen ||
                                (size_t)next >= s->sc->nsteps)) {
        reset_exchange(s);
        to_end(e, s, host, resp);
        return;
    }
    if (s->state == ST_PKG1 && s->abort_seen) {
        reset_exchange(s);
        to_end(e, s, host, resp);
        return;
    }
    if ((size_t)next < s->sc->nsteps) {
        start_step(e, s, next);
        emit(e, s, MSG_PACKAGE, host, resp);
        /* `send delay=`: main.c holds the package back; the client's time
         * to answer (timeout, expected silence) starts when it is sent */
        resp->delay_ms = s->sc->steps[next].delay_ms;
        s->t_last = now_ms() + (double)resp->delay_ms;
        return;
    }
    reset_exchange(s);
    to_end(e, s, host, resp);
}

static sess *new_sess(dms_engine *e, const char *sid, const char *devid,
                      int enc)
{
    sess *s = calloc(1, sizeof *s);
    const scenario *sc = e->sc;
    uint8_t r[8];
    char tok[24];
    uint8_t *n = NULL;
    size_t nl = 0;
    if (!s)
        abort();
    s->idx = e->next_session++;
    s->sc = &sc->sessions[s->idx];
    pdm__arena_init(&s->sa, 4096);
    pdm__arena_init(&s->pa, 16384);
    pdm__buf_init(&s->lo);
    s->sid = adup(&s->sa, sid);
    s->devid = adup(&s->sa, devid);
    dms_random(r, sizeof r);
    for (int i = 0; i < 8; i++)
        snprintf(tok + 2 * i, 3, "%02x", r[i]);
    s->token = adup(&s->sa, tok);
    s->state = ST_PKG1;
    s->step = -1;
    s->pkgno = 1;
    s->enc = enc;
    s->cauth = sc->client_auth.type;
    s->notified = e->pending_notified;
    s->pkg0_sid = e->pending_sid;
    e->pending_notified = false;
    s->bootstrapped = e->pending_bootstrapped;
    e->pending_bootstrapped = false;
    var_set(e, "session-id", sid);
    var_set(e, "devid", devid);
    e->where[0] = 0;
    eval_data(e, &s->sa, sc->client_auth.nonce, sc->client_auth.line, &n, &nl);
    if (nl > NONCE_MAX)
        nl = NONCE_MAX;
    if (nl)
        memcpy(s->cnonce, n, nl);
    s->cnonce_len = nl;
    var_set_b64(e, "client-nonce", s->cnonce, s->cnonce_len);
    eval_data(e, &s->sa, sc->server_auth.nonce, sc->server_auth.line, &n, &nl);
    if (nl > NONCE_MAX)
        nl = NONCE_MAX;
    if (nl)
        memcpy(s->snonce, n, nl);
    s->snonce_len = nl;
    var_set_b64(e, "server-nonce", s->snonce, s->snonce_len);
    s->server_url = expand(e, &s->sa, sc->server_url ? sc->server_url : "${url}",
                           0);
    s->t_last = now_ms();
    logv(e, "session %zu started: SessionID %s, client %s, %s", s->idx + 1,
         sid, devid, enc == 2 ? "WBXML" : "XML");
    return s;
}

/* A minimal answer outside any scenario session. */
/* Does the client's message answer our SyncHdr with 401 or 407? */
static bool refused_our_hdr(const pdm__el *body)
{
    for (const pdm__el *st = pdm__el_child(body, PDM_TAG_STATUS); st;
         st = pdm__el_next(st, PDM_TAG_STATUS)) {
        const char *cmd = pdm__el_child_text(st, PDM_TAG_CMD);
        long code = sml_child_long(st, PDM_TAG_DATA);
        if (cmd && strcmp(cmd, "SyncHdr") == 0)
            return code == 401 || code == 407;
    }
    return false;
}

static void answer_stray(dms_engine *e, const pdm__el *hdr, int enc,
                         dms_response *resp)
{
    pdm__doc d;
    pdm__el *root, *h, *body, *st, *al;
    pdm__buf out;
    const char *sid = sml_path_text(hdr, PDM_TAG_SESSIONID, 0);
    const char *src = sml_path_text(hdr, PDM_TAG_SOURCE, PDM_TAG_LOCURI, 0);
    const char *tgt = sml_path_text(hdr, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0);
    long mid = sml_child_long(hdr, PDM_TAG_MSGID);
    (void)e;
    pdm__doc_init(&d);
    d.lang = PDM_LANG_SYNCML12;
    root = pdm__el_add(&d, NULL, PDM_TAG_SYNCML);
    h = pdm__el_add(&d, root, PDM_TAG_SYNCHDR);
    sml_add(&d, h, PDM_TAG_VERDTD, "1.2");
    sml_add(&d, h, PDM_TAG_VERPROTO, "DM/1.2");
    sml_add(&d, h, PDM_TAG_SESSIONID, sid ? sid : "0");
    sml_add(&d, h, PDM_TAG_MSGID, "1");
    sml_add_loc(&d, h, PDM_TAG_TARGET, src ? src : "", NULL);
    sml_add_loc(&d, h, PDM_TAG_SOURCE, tgt ? tgt : "", NULL);
    body = pdm__el_add(&d, root, PDM_TAG_SYNCBODY);
    st = pdm__el_add(&d, body, PDM_TAG_STATUS);
    sml_add(&d, st, PDM_TAG_CMDID, "1");
    sml_addf(&d, st, PDM_TAG_MSGREF, "%ld", mid > 0 ? mid : 1);
    sml_add(&d, st, PDM_TAG_CMDREF, "0");
    sml_add(&d, st, PDM_TAG_CMD, "SyncHdr");
    sml_add(&d, st, PDM_TAG_DATA, "200");
    al = pdm__el_add(&d, body, PDM_TAG_ALERT);
    sml_add(&d, al, PDM_TAG_CMDID, "2");
    sml_add(&d, al, PDM_TAG_DATA, "1223");
    pdm__el_add(&d, body, PDM_TAG_FINAL);
    pdm__buf_init(&out);
    sml_encode(&d, enc == 2, &out, NULL, 0);
    pdm__doc_free(&d);
    resp->http_status = 200;
    resp->body = pdm__buf_steal(&out, &resp->len);
    if (!resp->body) {
        resp->body = xmalloc(1);
        resp->len = 0;
    }
    pdm__buf_free(&out);
    snprintf(resp->content_type, sizeof resp->content_type, "%s",
             enc == 2 ? SML_CT_WBXML : SML_CT_XML);
}

static void plain_response(dms_response *resp, int code, const char *text)
{
    resp->http_status = code;
    resp->body = (uint8_t *)xstrdup(text);
    resp->len = strlen(text);
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
}

static void handle_msg(dms_engine *e, const dms_request *req,
                       dms_response *resp, int enc, const pdm__doc *d)
{
    const pdm__el *root = d->root, *hdr, *body;
    const char *sid, *src, *v;
    long msgid;
    sess *s;
    authres ar;
    bool final = false, saw1222 = false, has_results = false;
    int cmsg;

    hdr = root ? pdm__el_child(root, PDM_TAG_SYNCHDR) : NULL;
    body = root ? pdm__el_child(root, PDM_TAG_SYNCBODY) : NULL;
    if (!root || root->tag != PDM_TAG_SYNCML || !hdr || !body) {
        dms_engine_fail(e, "the client sent a message that is not SyncML "
                        "(SyncML/SyncHdr/SyncBody missing)");
        plain_response(resp, 400, "not a SyncML message\n");
        return;
    }
    sid = sml_path_text(hdr, PDM_TAG_SESSIONID, 0);
    src = sml_path_text(hdr, PDM_TAG_SOURCE, PDM_TAG_LOCURI, 0);
    msgid = sml_child_long(hdr, PDM_TAG_MSGID);
    if (!sid || !*sid || !src || !*src || msgid < 0) {
        dms_engine_fail(e, "the client's SyncHdr lacks SessionID, "
                        "Source/LocURI or a numeric MsgID");
        plain_response(resp, 400, "incomplete SyncHdr\n");
        return;
    }

    /* which session */
    s = e->cur;
    if (s && (strcmp(s->sid, sid) != 0 || strcmp(s->devid, src) != 0)) {
        if (s->state == ST_WAIT_END || s->state == ST_DONE) {
            session_done(e);
            s = NULL;
        } else if (s->state == ST_STEP && s->silence_ok && s->final_sent &&
                   s->nsmsgs) {
            /* a client that abandons the package it should refuse (an
             * agent stopped mid-session) may come back with a new session
             * before end-wait has passed */
            set_where(e, s);
            client_gave_up(e, s);
            s = NULL;
        } else {
            set_where(e, s);
            dms_engine_fail(e, "a message of another session (SessionID %s, "
                            "Source %s) arrived while session %s of %s is "
                            "in progress", sid, src, s->sid, s->devid);
            answer_stray(e, hdr, enc, resp);
            return;
        }
    }
    if (s && s->state == ST_WAIT_END) {
        bool restart = false;
        for (const pdm__el *el = body->first; el; el = el->next)
            if (el->tag == PDM_TAG_ALERT) {
                long c = sml_child_long(el, PDM_TAG_DATA);
                if ((c == 1200 || c == 1201) && msgid == 1)
                    restart = true;
            }
        if (restart) {
            session_done(e);
            s = NULL;
        } else {
            set_where(e, s);
            if (s->abort_seen)
                dms_engine_fail(e, "the client sent message %ld after it "
                                "aborted the session", msgid);
            else
                dms_engine_fail(e, "the client sent message %ld after the "
                                "server's final package (a package with "
                                "only Status and Final MUST NOT be "
                                "answered)", msgid);
            e->pend = NULL;
            s->last_cmsg = (int)msgid;
            add_pend(e, (int)msgid, 0, "SyncHdr", 200);
            emit(e, s, MSG_END, req->host, resp);
            s->deadline = now_ms() + (double)end_wait(e);
            return;
        }
    }
    if (!s) {
        if (e->next_session >= e->sc->nsessions) {
            dms_engine_fail(e, "the client started a session (SessionID %s) "
                            "but the scenario has no more sessions", sid);
            answer_stray(e, hdr, enc, resp);
            return;
        }
        s = e->cur = new_sess(e, sid, src, enc);
        if (e->sc->encoding && e->sc->encoding != enc) {
            set_where(e, s);
            dms_engine_fail(e, "the client uses %s, the scenario expects %s",
                            enc == 2 ? "WBXML" : "XML",
                            e->sc->encoding == 2 ? "WBXML" : "XML");
        }
    }
    set_where(e, s);
    s->t_last = now_ms();

    /* header checks */
    v = sml_path_text(hdr, PDM_TAG_VERDTD, 0);
    if (!v || strcmp(v, "1.2") != 0)
        dms_engine_fail(e, "VerDTD must be 1.2, got %s", v ? v : "(none)");
    v = sml_path_text(hdr, PDM_TAG_VERPROTO, 0);
    if (!v || strcmp(v, "DM/1.2") != 0)
        dms_engine_fail(e, "VerProto must be DM/1.2, got %s", v ? v : "(none)");
    if (enc != s->enc)
        dms_engine_fail(e, "the client switched encodings within the session");
    if (s->nmsgs == 0 && msgid != 1)
        dms_engine_fail(e, "the first message of a session must have MsgID "
                        "1, got %ld", msgid);
    else if (s->nmsgs > 0 && msgid != s->last_cmsg + 1)
        dms_engine_fail(e, "MsgID %ld does not follow %d", msgid,
                        s->last_cmsg);
    /* A client that refused our previous message (401/407 for its
     * SyncHdr: our credentials failed) must not act on anything in it,
     * RespURI included (issue 9): it answers at the address it used. */
    if (s->resp_uri_sent && e->sc->resp_uri && !refused_our_hdr(body) &&
        !e->sc->resp_uri_base &&
        (!req->token || strcmp(req->token, s->token) != 0))
        dms_engine_fail(e, "the client did not send to the RespURI of the "
                        "previous message (request to %s%s%s)",
                        req->url ? req->url : "?", req->token ? "?s=" : "",
                        req->token ? req->token : "");
    s->nmsgs++;
    s->last_cmsg = (int)msgid;
    cmsg = (int)msgid;
    {
        long mm = sml_child_long(pdm__el_child(hdr, PDM_TAG_META),
                                 PDM_TAG_MI_MAXMSGSIZE);
        long mo = sml_child_long(pdm__el_child(hdr, PDM_TAG_META),
                                 PDM_TAG_MI_MAXOBJSIZE);
        if (mm > 0)
            s->cmax_msg = mm;
        if (mo > 0)
            s->cmax_obj = mo;
    }

    /* authentication of the client */
    e->pend = NULL;
    if (s->state == ST_PKG1 && s->chal_next < s->sc->nchal) {
        const sc_challenge *c = &s->sc->chal[s->chal_next++];
        memset(&ar, 0, sizeof ar);
        ar.failed = true;
        ar.code = c->code;
        ar.chal_type = c->type;
        s->cauth = c->type;
        s->cauthed = false;
        if (c->nonce) {
            uint8_t *n;
            size_t nl;
            eval_data(e, &s->sa, c->nonce, c->line, &n, &nl);
            if (nl > NONCE_MAX)
                nl = NONCE_MAX;
            memcpy(ar.nonce, n, nl);
            ar.nlen = nl;
            memcpy(s->cnonce, n, nl);
            s->cnonce_len = nl;
            var_set_b64(e, "client-nonce", s->cnonce, s->cnonce_len);
        } else if (c->type != SC_AUTH_BASIC) {
            fresh_nonce(e, s, &ar);
        }
        logv(e, "scripted challenge %d %s", c->code, sc_auth_name(c->type));
    } else {
        bool had_cred = pdm__el_child(hdr, PDM_TAG_CRED) || req->hmac;
        authenticate(e, s, hdr, req, &ar);
        if (s->nmsgs == 1 && e->sc->client_auth.initial_required && !had_cred)
            dms_engine_fail(e, "the client sent no credentials in its first "
                            "message (client-auth initial=required)");
        if (ar.failed) {
            s->cfails++;
            s->auth_failed_once = true;
            logv(e, "client authentication failed: %s -> %d", ar.why,
                 ar.code);
            if (s->sc->auth_fails) {
                /* expected */
            } else if (s->cfails >= 2 && had_cred) {
                dms_engine_fail(e, "the client's credentials were refused "
                                "(%s) %d times in a row", ar.why, s->cfails);
            }
        } else {
            if (s->sc->auth_fails && s->cauth != SC_AUTH_NONE &&
                !s->expect_fail_done) {
                s->expect_fail_done = true;
                dms_engine_fail(e, "auth-fails: the client's credentials "
                                "were expected to be wrong but were "
                                "accepted");
            }
            s->cfails = 0;
            if (s->state == ST_PKG1)
                s->silence_ok = false;
        }
    }
    {
        pend *p = add_pend(e, cmsg, 0, "SyncHdr", ar.code);
        p->targetref = adup(&e->ra, sml_path_text(hdr, PDM_TAG_TARGET,
                                                  PDM_TAG_LOCURI, 0));
        p->sourceref = adup(&e->ra, src);
        p->chal_type = ar.chal_type;
        memcpy(p->nonce, ar.nonce, ar.nlen);
        p->nlen = ar.nlen;
    }

    if (ar.failed) {
        /* only Status commands, one per received command */
        for (const pdm__el *el = body->first; el; el = el->next) {
            long id;
            if (el->tag == PDM_TAG_FINAL || el->tag == PDM_TAG_STATUS)
                continue;
            id = sml_child_long(el, PDM_TAG_CMDID);
            add_pend(e, cmsg, (int)id,
                     pdm__arena_strdup(&e->ra, pdm__el_name(el)), ar.code);
            if (el->tag == PDM_TAG_ALERT &&
                sml_child_long(el, PDM_TAG_DATA) == 1223)
                s->abort_seen = true;
        }
        /* still read the client's statuses for our header (server creds) */
        for (const pdm__el *el = pdm__el_child(body, PDM_TAG_STATUS); el;
             el = pdm__el_next(el, PDM_TAG_STATUS))
            if (sml_child_long(el, PDM_TAG_CMDREF) == 0)
                hdr_status(e, s, el, (int)sml_child_long(el, PDM_TAG_DATA),
                           (int)sml_child_long(el, PDM_TAG_MSGREF));
        if (s->state == ST_PKG1) {
            /* the client must redo package 1 */
            reset_exchange(s);
            emit(e, s, MSG_AUTHFAIL, req->host, resp);
            /* a client that gives up after the refusal ends the session:
             * expected with auth-fails, else a failure (after a longer
             * wait, so that a slow retry is not mistaken for giving up) */
            s->silence_ok = true;
            s->deadline = now_ms() + (double)(s->sc->auth_fails ||
                                                      s->abort_seen
                                                  ? end_wait(e)
                                                  : end_wait(e) + 3000);
        } else {
            emit(e, s, MSG_AUTHFAIL, req->host, resp);
        }
        return;
    }

    read_body(e, s, body, cmsg, &final, &saw1222, &has_results);
    if (s->hdr_refusal == 0) {
        for (rx_status *x = s->st; x; x = x->next)
            if (x->cmdref == 0 && (x->code == 401 || x->code == 407))
                s->hdr_refusal = x->code;
    }

    if (s->abort_seen) {
        if (s->state == ST_PKG1)
            eval_pkg1(e, s);
        else if (s->state == ST_STEP)
            eval_step(e, s, false);
        reset_exchange(s);
        s->abort_seen = true;
        to_end(e, s, req->host, resp);
        return;
    }
    if (s->state == ST_STEP && !s->final_sent) {
        /* answer to a message of a package that is not finished */
        if (final)
            dms_engine_fail(e, "the client closed its package with Final "
                            "before the server's package was complete");
        if (!saw1222 && !has_results)
            dms_engine_fail(e, "the client answered the server's message %d "
                            "(no Final) without Alert 1222 asking for the "
                            "next message", s->smsg);
        emit(e, s, MSG_PACKAGE, req->host, resp);
        return;
    }
    if (!final) {
        /* the client's package continues: ask for its next message */
        emit(e, s, MSG_NEXT, req->host, resp);
        return;
    }
    /* the client's package is complete */
    if (s->state == ST_PKG1) {
        if (s->sc->auth_fails && !s->auth_failed_once)
            dms_engine_fail(e, "auth-fails: the client's credentials were "
                            "accepted");
        eval_pkg1(e, s);
    } else if (s->state == ST_STEP) {
        eval_step(e, s, false);
    }
    advance(e, s, req->host, resp);
}

void dms_engine_handle(dms_engine *e, const dms_request *req,
                       dms_response *resp)
{
    int enc;
    pdm__doc d;
    char err[256];
    char label[200];

    memset(resp, 0, sizeof *resp);
    pdm__arena_reset(&e->ra);
    e->pend = NULL;
    snprintf(label, sizeof label, "client -> server %s %s%s%s",
             req->method ? req->method : "POST", req->url ? req->url : "/",
             req->token ? "?s=" : "", req->token ? req->token : "");
    dms_transcript(e->cfg.transcript, "C->S", ++e->seq, label,
                   req->content_type, req->hmac, req->body, req->len);
    if (e->done) {
        plain_response(resp, 503, "the scenario is complete\n");
        goto out;
    }
    if (!req->method || strcmp(req->method, "POST") != 0) {
        plain_response(resp, 405, "polydm-testserver: POST SyncML DM "
                       "messages here\n");
        goto out;
    }
    enc = sml_ctype_encoding(req->content_type);
    if (!enc) {
        dms_engine_fail(e, "request with Content-Type %s (expected %s or %s)",
                        req->content_type ? req->content_type : "(none)",
                        SML_CT_XML, SML_CT_WBXML);
        plain_response(resp, 415, "unsupported media type\n");
        goto out;
    }
    pdm__doc_init(&d);
    if (sml_decode(&d, req->body, req->len, enc, err, sizeof err) != PDM_OK) {
        dms_engine_fail(e, "the client's message cannot be decoded: %s", err);
        plain_response(resp, 400, "undecodable message\n");
        pdm__doc_free(&d);
        goto out;
    }
    handle_msg(e, req, resp, enc, &d);
    pdm__doc_free(&d);
out:
    snprintf(label, sizeof label, "server -> client HTTP %d",
             resp->http_status);
    dms_transcript(e->cfg.transcript, "S->C", ++e->seq, label,
                   resp->content_type, resp->hmac, resp->body, resp->len);
}

bool dms_engine_tick(dms_engine *e)
{
    double t = now_ms();
    sess *s;
    if (e->done)
        return true;
    /* pushes that open the next session */
    if ((!e->cur || e->cur->state == ST_DONE) &&
        e->next_session < e->sc->nsessions && e->pushed <= e->next_session) {
        e->pushed = e->next_session + 1;
        do_pushes(e, &e->sc->sessions[e->next_session]);
        e->t_wait = t;
    }
    s = e->cur;
    if (s) {
        set_where(e, s);
        if (s->state == ST_WAIT_END && t >= s->deadline) {
            session_done(e);
        } else if (s->state == ST_STEP && s->silence_ok && s->final_sent &&
                   t - s->t_last >= (double)end_wait(e) && s->nsmsgs) {
            /* the client went silent after the package it should refuse */
            client_gave_up(e, s);
        } else if (s->state == ST_PKG1 && s->silence_ok &&
                   t >= s->deadline) {
            /* the client gave up after its credentials were refused */
            e->nchecks++;
            if (!s->sc->auth_fails)
                failf(e, s->sc->pkg1_line, "the client stopped after the "
                      "server refused its credentials (%d refusal%s); the "
                      "session never started", s->cfails,
                      s->cfails == 1 ? "" : "s");
            session_done(e);
        } else if ((s->state == ST_PKG1 || s->state == ST_STEP) &&
                   t - s->t_last >= (double)timeout_ms(e)) {
            failf(e, 0, "timeout: no message from the client for %ld s "
                  "(waiting for package %d)", timeout_ms(e) / 1000, s->pkgno);
            e->aborted = true;
            session_done(e);
            e->done = true;
        }
    } else if (e->next_session < e->sc->nsessions &&
               t - e->t_wait >= (double)timeout_ms(e)) {
        e->where[0] = 0;
        failf(e, e->sc->sessions[e->next_session].line,
              "timeout: the client did not start session %zu within %ld s",
              e->next_session + 1, timeout_ms(e) / 1000);
        e->aborted = true;
        e->done = true;
    }
    return e->done;
}
