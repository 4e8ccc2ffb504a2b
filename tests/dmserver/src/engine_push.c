/*
 * The pushes a scenario session starts with: package 0 (`notify`) and
 * bootstrap documents (`bootstrap`, given or generated), built by push.c
 * and bsdoc.c and sent as WSP connectionless pushes.  Here: expanding the
 * directive's options, recording ${pkg0-session-id} / ${bootstrap-pin},
 * and what the next session must look like (notified, bootstrapped).
 */
#include "engine_int.h"

#include "bsdoc.h"
#include "dmsauth.h"
#include "push.h"

/* ---- pushes (package 0, bootstrap) ----------------------------------------- */

/* The document of `bootstrap generate=KIND`: the account this scenario
 * expects (server-id, ${url}, client-auth as CLCRED, server-auth as
 * SRVCRED), appended to @out; doc-out= also writes it. */
static bool gen_bootstrap(dms_engine *e, pdm__arena *a, const sc_push *p,
                          int kind, pdm__buf *out)
{
    char *const *o = p->opt;
    const scenario *sc = e->sc;
    dms_bs_account acc;
    uint8_t *cn = NULL, *sn = NULL;
    size_t cnl = 0, snl = 0;
    char err[256];
    memset(&acc, 0, sizeof acc);
    acc.server_id = sc->server_id;
    acc.url = expand(e, a, "${url}", p->line);
    acc.name = o[PK_ACCOUNT] ? expand(e, a, o[PK_ACCOUNT], p->line)
                             : "bootstrap";
    acc.connmo = expand(e, a, o[PK_CONNMO], p->line);
    acc.devid = sc->devid;
    if (!eval_data(e, a, sc->client_auth.nonce, p->line, &cn, &cnl) ||
        !eval_data(e, a, sc->server_auth.nonce, p->line, &sn, &snl))
        return false;
    acc.client.type = dms_bs_auth_type(sc->client_auth.type);
    acc.client.name = sc->client_auth.user;
    acc.client.secret = sc->client_auth.password;
    acc.client.nonce = cn;
    acc.client.nonce_len = cnl;
    acc.server.type = dms_bs_auth_type(sc->server_auth.type);
    acc.server.name = sc->server_auth.user;
    acc.server.secret = sc->server_auth.password;
    acc.server.nonce = sn;
    acc.server.nonce_len = snl;
    if (dms_bs_build(kind, &acc, out, err, sizeof err) != 0) {
        failf(e, p->line, "bootstrap: %s", err);
        return false;
    }
    if (o[PK_DOC_OUT]) {
        const char *fn = expand(e, a, o[PK_DOC_OUT], p->line);
        FILE *f = fopen(fn, "wb");
        if (!f || fwrite(out->data, 1, out->len, f) != out->len)
            failf(e, p->line, "bootstrap: cannot write %s", fn);
        if (f)
            fclose(f);
    }
    return true;
}

void do_pushes(dms_engine *e, const sc_session *se)
{
    pdm__arena a;
    pdm__arena_init(&a, 4096);
    e->pending_notified = false;
    e->pending_bootstrapped = false;
    for (size_t i = 0; i < se->npushes; i++) {
        const sc_push *p = &se->pushes[i];
        char *const *o = p->opt;
        char err[256];
        pdm__buf pdu, body;
        const char *to = e->cfg.push_to ? e->cfg.push_to
                                        : expand(e, &a, o[PK_TO], p->line);
        bool send = true;
        uint8_t rnd[1], tid;
        pdm__buf_init(&pdu);
        pdm__buf_init(&body);
        dms_random(rnd, sizeof rnd);
        tid = rnd[0];
        if (p->kind == SC_PUSH_NOTIFY) {
            dms_pkg0_params pp;
            uint8_t *nonce = NULL, *vendor = NULL;
            size_t nlen = 0, vlen = 0;
            const char *sid = expand(e, &a, o[PK_SESSION_ID], p->line);
            long v;
            memset(&pp, 0, sizeof pp);
            pp.server_id = o[PK_SERVER_ID]
                               ? expand(e, &a, o[PK_SERVER_ID], p->line)
                               : e->sc->server_id;
            pp.password = o[PK_PASSWORD]
                              ? expand(e, &a, o[PK_PASSWORD], p->line)
                              : e->sc->server_auth.password;
            eval_data(e, &a, o[PK_NONCE] ? o[PK_NONCE] : e->sc->server_auth.nonce,
                      p->line, &nonce, &nlen);
            eval_data(e, &a, o[PK_VENDOR], p->line, &vendor, &vlen);
            pp.nonce = nonce;
            pp.nonce_len = nlen;
            pp.vendor = vendor;
            pp.vendor_len = vlen;
            pp.version = 11;
            if (o[PK_VERSION] && pdm__parse_long(o[PK_VERSION], 0, 1023, &v) ==
                                     PDM_OK)
                pp.version = (unsigned)v;
            pp.ui_mode = 1;
            if (o[PK_UI]) {
                int ui = dms_ui_mode_parse(o[PK_UI]);
                if (ui < 0)
                    failf(e, p->line, "notify: unknown ui=%s", o[PK_UI]);
                else
                    pp.ui_mode = (unsigned)ui;
            }
            pp.initiator = 1;
            if (o[PK_INITIATOR])
                pp.initiator = strcmp(o[PK_INITIATOR], "client") == 0 ||
                                       strcmp(o[PK_INITIATOR], "0") == 0
                                   ? 0
                                   : 1;
            if (!sid || strcmp(sid, "auto") == 0) {
                uint8_t r[2];
                dms_random(r, sizeof r);
                pp.session_id = (uint16_t)(((unsigned)r[0] << 8 | r[1]) % 0xFFFEu + 1u);
            } else {
                pp.session_id = (uint16_t)strtoul(sid, NULL, 16);
            }
            if (dms_pkg0_build(&pp, &body, err, sizeof err) != 0) {
                failf(e, p->line, "notify: %s", err);
                pdm__buf_free(&pdu);
                pdm__buf_free(&body);
                continue;
            }
            {
                char hex[5];
                dms_sid_hex(pp.session_id, hex);
                var_set(e, "pkg0-session-id", hex);
            }
            e->pending_notified = true;
            e->pending_sid = pp.session_id;
            if (o[PK_FILE]) {
                const char *fn = expand(e, &a, o[PK_FILE], p->line);
                FILE *f = fopen(fn, "wb");
                if (!f || fwrite(body.data, 1, body.len, f) != body.len)
                    failf(e, p->line, "notify: cannot write %s", fn);
                if (f)
                    fclose(f);
            }
            if (o[PK_SEND] && strcmp(o[PK_SEND], "no") == 0)
                send = false;
            if (send && dms_wsp_notification(body.data, body.len, tid, &pdu,
                                             err, sizeof err) != 0) {
                failf(e, p->line, "notify: WSP push: %s", err);
                send = false;
            }
            logv(e, "package 0: session id %04X, ui %u, initiator %u, %zu "
                 "bytes -> %s", pp.session_id, pp.ui_mode, pp.initiator,
                 body.len, send ? (to ? to : DMS_PUSH_DEFAULT_TO) : "(not sent)");
        } else {
            uint8_t *doc = NULL;
            size_t dlen = 0;
            const char *ctype = expand(e, &a, o[PK_CONTENT_TYPE], p->line);
            int tamper = dms_tamper_parse(expand(e, &a, o[PK_TAMPER], p->line));
            if (o[PK_GENERATE]) {
                int kind = dms_bs_kind_parse(expand(e, &a, o[PK_GENERATE],
                                                    p->line));
                if (kind < 0 || !gen_bootstrap(e, &a, p, kind, &body)) {
                    if (kind < 0)
                        failf(e, p->line, "bootstrap: unknown generate=%s",
                              o[PK_GENERATE]);
                    pdm__buf_free(&pdu);
                    pdm__buf_free(&body);
                    continue;
                }
                doc = body.data;
                dlen = body.len;
                if (!ctype)
                    ctype = dms_bs_kind_ctype(kind);
            } else {
                char *src = expand(e, &a, o[PK_FILE], p->line);
                char *fexpr = azalloc(&a, strlen(src) + 8);
                snprintf(fexpr, strlen(src) + 8, "file:%s", src);
                if (!eval_data(e, &a, fexpr, p->line, &doc, &dlen)) {
                    pdm__buf_free(&pdu);
                    pdm__buf_free(&body);
                    continue;
                }
            }
            if (tamper < 0) {
                failf(e, p->line, "bootstrap: tamper= must be mac, body or "
                      "none");
                tamper = DMS_TAMPER_NONE;
                send = false;
            }
            {
                dms_bootstrap_params b;
                char user_pin[DMS_USER_PIN_SIZE];
                b.doc = doc;
                b.len = dlen;
                b.ctype = ctype;
                b.sec = expand(e, &a, o[PK_SEC], p->line);
                b.mac = expand(e, &a, o[PK_MAC], p->line);
                b.imsi = expand(e, &a, o[PK_IMSI], p->line);
                b.pin = expand(e, &a, o[PK_PIN], p->line);
                b.key_order = expand(e, &a, o[PK_KEY_ORDER], p->line);
                b.app_id = expand(e, &a, o[PK_APP_ID], p->line);
                b.tamper = tamper;
                if (send && dms_wsp_bootstrap(&b, e->sc->server_id, tid, &pdu,
                                              user_pin, err, sizeof err) != 0) {
                    failf(e, p->line, "bootstrap: %s", err);
                    send = false;
                } else if (user_pin[0]) {
                    var_set(e, "bootstrap-pin", user_pin);
                }
            }
            /* A good generated account must come back: its first session
             * is client-initiated (Alert 1201, DM_Bootstrap). */
            if (send && o[PK_GENERATE] && tamper == DMS_TAMPER_NONE)
                e->pending_bootstrapped = true;
            if (send && o[PK_OUT]) {
                const char *fn = expand(e, &a, o[PK_OUT], p->line);
                FILE *f = fopen(fn, "wb");
                if (!f || fwrite(pdu.data, 1, pdu.len, f) != pdu.len)
                    failf(e, p->line, "bootstrap: cannot write %s", fn);
                if (f)
                    fclose(f);
            }
            logv(e, "bootstrap push: %zu bytes document, %zu bytes PDU -> %s",
                 dlen, pdu.len, to ? to : DMS_PUSH_DEFAULT_TO);
        }
        if (send && pdu.len &&
            dms_udp_send(to, pdu.data, pdu.len, err, sizeof err) != 0)
            failf(e, p->line, "push: %s", err);
        pdm__buf_free(&pdu);
        pdm__buf_free(&body);
    }
    pdm__arena_free(&a);
}
