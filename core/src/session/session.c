/*
 * The DM 1.2 session state machine (sans-I/O, see <polydm/polydm.h>):
 * package 1 (Alert 1201/1200 + DevInfo), the reply loop, authentication in
 * both directions (client Cred / HMAC header, server Cred / HMAC header,
 * challenges and nonces), multi-message packages and the tree transaction
 * that spans each server package.  Package 0 admission is in pkg0admit.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "session/session_int.h"
#include "tree/tree_int.h"
#include "util/util.h"

#define DEFAULT_MAX_MSG (1u << 20)
#define DEFAULT_MAX_OBJ (4u << 20)
#define DEFAULT_RESPONSE_BUDGET (8u << 20)
#define MAX_CLIENT_CHALLENGES 2
#define MAX_SERVER_FAILURES 1
/* Real servers overfill their messages slightly (4,160 bytes against a
 * MaxMsgSize of 4,096 was seen): tolerated up to this much, in percent. */
#define DEFAULT_MAX_MSG_OVERSHOOT 25

int pdm__session_fail(pdm_session *s, int rc, const char *fmt, ...)
{
    va_list ap;
    if (s->result == PDM_OK || !s->err[0]) {
        char why[sizeof s->err];
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        /* What went wrong first (a server error the transport retried)
         * is the real cause; what followed comes second. */
        if (s->first_cause[0])
            snprintf(s->err, sizeof s->err, "%.199s; then: %.170s", s->first_cause,
                     why);
        else
            memcpy(s->err, why, sizeof why);
        s->result = rc;
    }
    if (s->acc.server_id)
        pdm__logf(&s->ctx->log, s->fail_reported ? PDM_LOG_INFO : PDM_LOG_WARN,
                  "session", "%s: %s", s->acc.server_id, s->err);
    else
        pdm__logf(&s->ctx->log, s->fail_reported ? PDM_LOG_INFO : PDM_LOG_WARN,
                  "session", "%s", s->err);
    return rc;
}

/* The row of @component (NULL: "session", the core's own rules). */
static void audit_by(pdm_session *s, const char *op, const char *decision,
                     const char *component, const char *reason)
{
    pdm__decision d;
    memset(&d, 0, sizeof d);
    d.rc = strcmp(decision, "allow") == 0 ? PDM_OK : PDM_EDENIED;
    if (d.rc != PDM_OK && strcmp(op, "Session") == 0)
        s->end_audited = true; /* a refused session needs no second row */
    pdm__strlcpy(d.component, component ? component : "session",
                 sizeof d.component);
    pdm__strlcpy(d.reason, reason, sizeof d.reason);
    pdm__tree_audit(s->ctx->tree, &s->who, op, s->acc.uri, &d);
}

void pdm__session_audit(pdm_session *s, const char *op, const char *decision,
                        const char *reason)
{
    audit_by(s, op, decision, NULL, reason);
}

/* ---- session setup ------------------------------------------------------------- */

static int devinfo_value(pdm_session *s, const char *leaf, pdm__tree_result *r)
{
    static const pdm__who self = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    pdm__decision d;
    char uri[64];
    snprintf(uri, sizeof uri, "./DevInfo/%s", leaf);
    return pdm__tree_get(s->ctx->tree, &self, uri, r, &d);
}

/* Generic Alerts (1226) queued for exactly this server go into the
 * package being built; they leave the queue once the session ends
 * normally. */
static int queue_generic_alerts(pdm_session *s)
{
    for (pdm__alert *a = s->ctx->alerts; a; a = a->next) {
        pdm__el *al, *item, *meta;
        if (a->in_flight || !a->server_id || !s->acc.server_id ||
            strcmp(a->server_id, s->acc.server_id) != 0)
            continue;
        al = pdm__out_alert(s, 1226);
        if (!al)
            return PDM_ENOMEM;
        /* Correlator comes before the Items (DTD order). */
        if (a->correlator &&
            !pdm__el_add_str(&s->out, al, PDM_TAG_CORRELATOR, a->correlator))
            return PDM_ENOMEM;
        item = pdm__el_add(&s->out, al, PDM_TAG_ITEM);
        if (!item)
            return PDM_ENOMEM;
        if (a->source) {
            pdm__el *src = pdm__el_add(&s->out, item, PDM_TAG_SOURCE);
            if (!src || !pdm__el_add_str(&s->out, src, PDM_TAG_LOCURI, a->source))
                return PDM_ENOMEM;
        }
        meta = pdm__el_add(&s->out, item, PDM_TAG_META);
        /* Data that is not text (a bin result) goes base64-encoded in
         * XML, as OPAQUE in WBXML: one stored alert never makes the
         * whole message unencodable. */
        bool text = pdm__xml_is_text(a->data, a->len);
        pdm__buf b64;
        pdm__el *de;
        pdm__buf_init(&b64);
        if (!text && !s->wbxml &&
            (pdm__b64_encode(a->data, a->len, &b64) != PDM_OK ||
             !pdm__buf_ok(&b64))) {
            pdm__buf_free(&b64);
            return PDM_ENOMEM;
        }
        de = meta && pdm__el_add_str(&s->out, meta, PDM_TAG_MI_TYPE, a->type) &&
                     pdm__el_add_str(&s->out, meta, PDM_TAG_MI_FORMAT,
                                     text || s->wbxml ? a->format : "b64") &&
                     (!a->mark || pdm__el_add_str(&s->out, meta,
                                                  PDM_TAG_MI_MARK, a->mark))
                 ? pdm__el_add_text(&s->out, item, PDM_TAG_DATA,
                                    b64.data ? b64.data : a->data,
                                    b64.data ? b64.len : a->len)
                 : NULL;
        pdm__buf_free(&b64);
        if (!de)
            return PDM_ENOMEM;
        if (!text && s->wbxml)
            de->flags |= PDM_EL_OPAQUE;
        if (pdm__out_queue(s, al) != PDM_OK)
            return PDM_ENOMEM;
        /* Kept until the session ends normally (engine.h). */
        a->in_flight = true;
    }
    return PDM_OK;
}

/* Package 1: Alert 1201/1200, DevInfo Replace, pending Generic Alerts. */
static int queue_hdr_status(pdm_session *s, const pdm__el *hdr,
                            unsigned msg_ref, int code);

/* Package 1 (Alert 1200/1201 + DevInfo).  When it is redone after the
 * server challenged our credentials, @hdr is the server's SyncHdr: the
 * redone package answers it first (DM Protocol 2.4: the message with the
 * proper credentials MUST carry a Status for the SyncHdr). */
static int queue_pkg1(pdm_session *s, const pdm__el *hdr, int hdr_code)
{
    static const char *const leaves[] = {"DevId", "Man", "Mod", "DmV", "Lang"};
    pdm__el *rep, *a;
    pdm__out_reset(s);
    /* A redone package 1 carries the alerts of the first one again. */
    pdm__alerts_session_end(s->ctx, false);
    if (hdr && queue_hdr_status(s, hdr, s->server_msg_id, hdr_code) != PDM_OK)
        return PDM_ENOMEM;
    a = pdm__out_alert(s, s->server_initiated ? 1200 : 1201);
    if (pdm__out_queue(s, a) != PDM_OK)
        return PDM_ENOMEM;
    rep = pdm__el_add(&s->out, NULL, PDM_TAG_REPLACE);
    s->out.root = NULL;
    if (!rep || !pdm__el_add_str(&s->out, rep, PDM_TAG_CMDID, "0"))
        return PDM_ENOMEM;
    for (size_t i = 0; i < PDM__ARRAY_LEN(leaves); i++) {
        pdm__tree_result r;
        pdm__el *item, *src, *meta;
        char uri[64];
        int rc = devinfo_value(s, leaves[i], &r);
        /* a leaf the device lacks is left out; memory is not a reason */
        if (rc == PDM_ENOMEM)
            return rc;
        if (rc != PDM_OK)
            continue;
        snprintf(uri, sizeof uri, "./DevInfo/%s", leaves[i]);
        item = pdm__el_add(&s->out, rep, PDM_TAG_ITEM);
        src = item ? pdm__el_add(&s->out, item, PDM_TAG_SOURCE) : NULL;
        meta = src ? pdm__el_add(&s->out, item, PDM_TAG_META) : NULL;
        if (!meta || !pdm__el_add_str(&s->out, src, PDM_TAG_LOCURI, uri) ||
            !pdm__el_add_str(&s->out, meta, PDM_TAG_MI_FORMAT, "chr") ||
            !pdm__el_add_str(&s->out, meta, PDM_TAG_MI_TYPE, "text/plain") ||
            !pdm__el_add_text(&s->out, item, PDM_TAG_DATA, r.data, r.len)) {
            pdm__tree_result_free(&r);
            return PDM_ENOMEM;
        }
        pdm__tree_result_free(&r);
    }
    if (pdm__out_queue(s, rep) != PDM_OK)
        return PDM_ENOMEM;
    return queue_generic_alerts(s);
}

static bool is_https(const char *url)
{
    return url && strncasecmp(url, "https://", 8) == 0;
}

static int ask_session_policy(pdm_session *s)
{
    pdm_policy_req req;
    pdm__decision d;
    pdm_ctx *ctx = s->ctx;
    memset(&req, 0, sizeof req);
    memset(&d, 0, sizeof d);
    req.struct_size = sizeof req;
    req.op = PDM_OP_SESSION;
    req.principal = PDM_PRINCIPAL_SERVER;
    req.flags = s->tls ? PDM_REQ_TLS : 0;
    req.server_id = s->acc.server_id;
    req.uri = s->acc.uri;
    req.address = s->url ? s->url : s->acc.addr;
    req.key_pin = s->key_pin[0] ? s->key_pin : NULL;
    /* What this decision saw: other facts later ask again. */
    s->policy_asked = true;
    s->policy_tls = s->tls;
    memcpy(s->policy_pin, s->key_pin, sizeof s->policy_pin);
    {
        pdm__tree_config tc;
        memset(&tc, 0, sizeof tc);
        pdm__engine_tree_hooks(ctx, &tc);
        if (tc.policy && tc.policy(tc.policy_user, &req, &d) != PDM_OK) {
            /* The deciding policy, as every other policy refusal. */
            audit_by(s, "Session", "deny", d.component, d.reason);
            return pdm__session_fail(s, PDM_EDENIED,
                                     "session refused by %s: %s", d.component,
                                     d.reason);
        }
    }
    return PDM_OK;
}

/* A credential type by its Meta Type name, for errors and policies. */
static const char *type_name(pdm__auth_type t)
{
    return t == PDM_AUTH_NONE ? "none" : pdm__auth_type_meta(t);
}

/* Why a credential of type @t must not be sent now, or NULL.  Basic is
 * the password itself (base64): never over a transport without TLS, and
 * never sent unless the account asks for it.  The account's type is the
 * floor; a weaker one only with session.allow_auth_downgrade. */
static const char *cred_refusal(const pdm_session *s, pdm__auth_type t,
                                bool check_tls, char *buf, size_t size)
{
    if (t != PDM_AUTH_NONE && t < s->cl_floor && !s->allow_downgrade) {
        snprintf(buf, size, "credential downgrade from %s to %s refused "
                 "(the account allows nothing weaker than %s)",
                 type_name(s->cl_floor), type_name(t),
                 type_name(s->cl_floor));
        return buf;
    }
    if (check_tls && t == PDM_AUTH_BASIC && !s->tls) {
        snprintf(buf, size, "Basic credentials are never sent over a "
                            "transport without TLS");
        return buf;
    }
    return NULL;
}

/* Ends the session on a credential the rules or a policy refuse: audited
 * (the reason names types, never a secret), nothing sent. */
static int refuse_cred(pdm_session *s, int rc, const char *reason)
{
    pdm__session_audit(s, "Session", "deny", reason);
    return pdm__session_fail(s, rc, "%s", reason);
}

/* Does the next message carry a credential (Cred or HMAC header)? */
static bool next_carries_cred(const pdm_session *s)
{
    return s->cl_type == PDM_AUTH_HMAC ||
           (!s->cl_accepted &&
            (s->cl_type == PDM_AUTH_BASIC || s->cl_type == PDM_AUTH_MD5));
}

/* Before a credential leaves the device: the rules above, then every
 * policy (PDM_OP_SEND_SECRET, detail = the type), on every message that
 * carries one.  An integrator that reports its connections
 * (PDM_SESSION_TRANSPORT_FACTS) has the TLS rule and the policies applied
 * when the connection that carries the message is reported
 * (@at_connect), on what it verified: at build time only the credential
 * floor is known. */
static int may_send_cred(pdm_session *s, bool at_connect)
{
    pdm_policy_req req;
    pdm__decision d;
    pdm__tree_config tc;
    char why[256];
    bool facts_now = at_connect || !s->transport_reports;
    if (!next_carries_cred(s))
        return PDM_OK;
    if (cred_refusal(s, s->cl_type, facts_now, why, sizeof why))
        return refuse_cred(s, PDM_EDENIED, why);
    if (!facts_now)
        return PDM_OK;
    memset(&req, 0, sizeof req);
    memset(&d, 0, sizeof d);
    memset(&tc, 0, sizeof tc);
    req.struct_size = sizeof req;
    req.op = PDM_OP_SEND_SECRET;
    req.principal = PDM_PRINCIPAL_SERVER;
    req.flags = (s->tls ? PDM_REQ_TLS : 0) |
                (s->srv_authed ? PDM_REQ_AUTHENTICATED : 0);
    req.server_id = s->acc.server_id;
    req.uri = s->acc.uri;
    req.address = s->url;
    req.key_pin = s->key_pin[0] ? s->key_pin : NULL;
    req.detail = pdm__auth_type_meta(s->cl_type);
    pdm__engine_tree_hooks(s->ctx, &tc);
    if (tc.policy && tc.policy(tc.policy_user, &req, &d) != PDM_OK) {
        snprintf(why, sizeof why, "sending %s credentials refused by %.60s: %.150s",
                 type_name(s->cl_type), d.component, d.reason);
        return refuse_cred(s, PDM_EDENIED, why);
    }
    return PDM_OK;
}

PDM_API int pdm_session_open(pdm_session **out, pdm_ctx *ctx,
                             const pdm_session_opts *opts)
{
    pdm_session *s;
    pdm_session_opts o;
    pdm__tree_result r;
    char err[256], sid[256];
    const char *unusable;
    int rc;

    if (!out)
        return PDM_EINVAL;
    *out = NULL;
    if (!ctx || !opts || opts->struct_size < offsetof(pdm_session_opts, pkg0_len) + sizeof(size_t))
        return PDM_EINVAL;
    memset(&o, 0, sizeof o);
    memcpy(&o, opts, opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
    s = pdm__calloc(1, sizeof(*s));
    if (!s)
        return PDM_ENOMEM;
    *out = s;
    s->ctx = ctx;
    /* Counted until pdm_session_close: a factory reset waits for it. */
    ctx->sessions++;
    /* Before anything of the request is looked at (a package 0 check
     * writes the store): a context that cannot run its policies runs no
     * session. */
    if ((unusable = pdm__engine_unusable(ctx))) {
        rc = pdm__session_fail(s, PDM_EDENIED, "no session: %s", unusable);
        goto fail;
    }
    s->wbxml = (o.flags & PDM_SESSION_WBXML) != 0;
    s->tls_claimed = (o.flags & PDM_SESSION_TLS) != 0;
    s->transport_reports = (o.flags & PDM_SESSION_TRANSPORT_FACTS) != 0;
    s->who.principal = PDM_PRINCIPAL_SERVER;
    s->max_msg = (unsigned)pdm__profile_get_long(ctx->profile,
                                                 "session.max_msg_size",
                                                 DEFAULT_MAX_MSG);
    s->max_msg_accept =
        s->max_msg + (unsigned)((unsigned long long)s->max_msg *
                                (unsigned long)pdm__profile_get_long(
                                    ctx->profile, "session.max_msg_overshoot",
                                    DEFAULT_MAX_MSG_OVERSHOOT) /
                                100);
    s->max_obj = (unsigned)pdm__profile_get_long(ctx->profile,
                                                 "session.max_obj_size",
                                                 DEFAULT_MAX_OBJ);
    s->budget = (size_t)pdm__profile_get_long(ctx->profile,
                                              "session.response_budget",
                                              DEFAULT_RESPONSE_BUDGET);
    s->server_auth_required = pdm__profile_get_bool(ctx->profile,
                                                    "session.server_auth",
                                                    true);
    s->allow_downgrade = pdm__profile_get_bool(ctx->profile,
                                               "session.allow_auth_downgrade",
                                               false);
    s->adopt_challenge = pdm__profile_get_bool(ctx->profile,
                                               "session.adopt_challenge_type",
                                               true);
    pdm__out_init(s);
    if (o.pkg0) {
        rc = pdm__session_check_pkg0(s, o.pkg0, o.pkg0_len, sid, sizeof sid);
        if (rc != PDM_OK)
            goto fail;
    } else {
        rc = pdm__account_load(&s->acc, ctx, o.server_id, err, sizeof err);
        if (rc != PDM_OK) {
            pdm__session_fail(s, rc, "%s", err);
            goto fail;
        }
        s->who.server_id = s->acc.server_id;
        if (o.flags & PDM_SESSION_SERVER_INITIATED) {
            /* A retry of a verified package 0: its session id, Alert 1200. */
            size_t n = o.session_id ? strlen(o.session_id) : 0;
            if (n < 1 || n > 4 ||
                strspn(o.session_id, "0123456789ABCDEFabcdef") != n) {
                rc = pdm__session_fail(s, PDM_EINVAL,
                                       "a server-initiated session needs the "
                                       "package 0 session id (1-4 hex "
                                       "digits), not '%.16s'",
                                       o.session_id ? o.session_id : "");
                goto fail;
            }
            for (size_t i = 0; i <= n; i++)
                s->session_id[i] = (char)toupper((unsigned char)o.session_id[i]);
            s->server_initiated = true;
        } else if (o.session_id) {
            long v;
            if (pdm__parse_long(o.session_id, 0, 65535, &v) != PDM_OK &&
                strspn(o.session_id, "0123456789ABCDEFabcdef") !=
                    strlen(o.session_id)) {
                rc = pdm__session_fail(s, PDM_EINVAL, "bad session id '%.16s'",
                                       o.session_id);
                goto fail;
            }
            pdm__strlcpy(s->session_id, o.session_id, sizeof s->session_id);
        } else {
            uint16_t v = 0;
            while (!v) {
                uint8_t b[16];
                pdm__auth_nonce_new(b);
                v = (uint16_t)(b[0] << 8 | b[1]);
            }
            snprintf(s->session_id, sizeof s->session_id, "%u", (unsigned)v);
        }
    }
    if (s->server_auth_required && !s->acc.srv.secret) {
        rc = pdm__session_fail(s, PDM_EAUTH,
                               "account %s has no server credentials "
                               "(SRVCRED) and the profile requires server "
                               "authentication",
                               s->acc.uri);
        pdm__session_audit(s, "Session", "deny", s->err);
        goto fail;
    }
    /* Until the transport reports, TLS is what the integrator claims, and
     * only for an https:// address. */
    s->tls = s->tls_claimed && is_https(s->acc.addr);
    s->who.req_flags = s->tls ? PDM_REQ_TLS : 0;
    /* An integrator that reports its connections gets the session policy
     * decided on what the first connection verified. */
    if (!s->transport_reports && (rc = ask_session_policy(s)) != PDM_OK)
        goto fail;
    if ((rc = devinfo_value(s, "DevId", &r)) != PDM_OK) {
        /* out of memory is not a missing node */
        rc = rc == PDM_ENOMEM
                 ? pdm__session_fail(s, rc, "./DevInfo/DevId: out of memory")
                 : pdm__session_fail(s, PDM_EINVAL, "no ./DevInfo/DevId");
        goto fail;
    }
    s->devid = pdm__strndup((const char *)r.data, r.len);
    pdm__tree_result_free(&r);
    s->url = pdm__strdup(s->acc.addr);
    if (!s->devid || !s->url) {
        rc = PDM_ENOMEM;
        goto fail;
    }
    /* AAuthPref is the type to use first (DMAcc); the stronger of it and
     * the CLCRED entry's type is also the weakest the session will send.
     * An entry of a type we do not speak waits for the server's challenge
     * and accepts nothing weaker than MD5 (the type every client has). */
    {
        pdm__auth_type first = s->acc.cl.type > s->acc.pref ? s->acc.cl.type
                                                             : s->acc.pref;
        s->cl_type = s->acc.cl.secret ? first : PDM_AUTH_NONE;
        s->cl_floor = first != PDM_AUTH_NONE ? first : PDM_AUTH_MD5;
    }
    if (s->acc.cl.nonce_len <= sizeof s->cl_nonce) {
        memcpy(s->cl_nonce, s->acc.cl.nonce ? s->acc.cl.nonce : (uint8_t *)"",
               s->acc.cl.nonce_len);
        s->cl_nonce_len = s->acc.cl.nonce_len;
    }
    s->pkg = 1;
    rc = queue_pkg1(s, NULL, 0);
    if (rc != PDM_OK)
        goto fail;
    s->state = PDM_SS_SEND;
    pdm__logf(&ctx->log, PDM_LOG_INFO, "session",
              "%s: session %s started (%s-initiated, %s)", s->acc.server_id,
              s->session_id, s->server_initiated ? "server" : "client",
              s->wbxml ? "WBXML" : "XML");
    return PDM_OK;
fail:
    s->state = PDM_SS_DONE;
    if (s->result == PDM_OK)
        s->result = rc;
    return rc;
}

static int package_end(pdm_session *s, bool commit);
static void end_session(pdm_session *s, int rc);

/* The client gives up on the session (s->result says why) while the
 * transport still works: the package in progress is undone, the outcome
 * audited, and the server is told with a session abort (Alert 1223)
 * instead of being left waiting.  pdm_session_next gives that one
 * message; no answer is read. */
static void give_up(pdm_session *s)
{
    pdm__out_reset(s);
    s->want_next_msg = false;
    s->lo.active = false;
    end_session(s, s->result != PDM_OK ? s->result : PDM_ERROR);
    if (pdm__out_queue(s, pdm__out_alert(s, 1223)) != PDM_OK)
        return; /* out of memory: the session just ends */
    s->aborting = true;
    s->state = PDM_SS_SEND;
}

/* Facts hold for one message (polydm.h): without a report, TLS is only
 * what the integrator claimed at open, for an https:// URL. */
static void forget_transport(pdm_session *s)
{
    s->transport_known = false;
    s->tls = s->tls_claimed && is_https(s->url);
    s->key_pin[0] = '\0';
    s->who.key_pin = NULL;
    s->who.req_flags = (s->who.req_flags & ~PDM_REQ_TLS) |
                       (s->tls ? PDM_REQ_TLS : 0);
}

PDM_API int pdm_session_set_transport(pdm_session *s,
                                      const pdm_transport_info *ti)
{
    pdm_transport_info t;
    int rc;
    if (!s || !ti || ti->struct_size < offsetof(pdm_transport_info, key_pin) +
                                           sizeof(const char *))
        return PDM_EINVAL;
    if (s->state == PDM_SS_DONE && !s->aborting)
        return PDM_EINVAL;
    memset(&t, 0, sizeof t);
    memcpy(&t, ti, ti->struct_size < sizeof t ? ti->struct_size : sizeof t);
    /* One entry of the pin syntax (a list is what a client pins, not what
     * a peer has). */
    if (t.key_pin && (!pdm__key_pin_valid(t.key_pin) ||
                      strlen(t.key_pin) >= sizeof s->key_pin))
        return PDM_EINVAL;
    /* Unverified TLS is no better than plain HTTP for a policy. */
    s->tls = t.tls_version && t.tls_version[0] &&
             (t.flags & PDM_TRANSPORT_VERIFIED);
    pdm__strlcpy(s->key_pin, s->tls && t.key_pin ? t.key_pin : "",
                 sizeof s->key_pin);
    s->transport_known = true;
    s->tls_claimed = false;
    s->who.key_pin = s->key_pin[0] ? s->key_pin : NULL;
    s->who.req_flags = (s->who.req_flags & ~PDM_REQ_TLS) |
                       (s->tls ? PDM_REQ_TLS : 0);
    if (s->state == PDM_SS_DONE) {
        /* The abort message needs no session decision, but a credential
         * in it still never goes where the rules forbid. */
        char why[256];
        return s->msg_cred && cred_refusal(s, s->cl_type, true, why, sizeof why)
                   ? PDM_EDENIED
                   : PDM_OK;
    }
    if (!s->policy_asked || s->policy_tls != s->tls ||
        strcmp(s->policy_pin, s->key_pin) != 0) {
        rc = ask_session_policy(s);
        if (rc != PDM_OK) {
            /* Nothing more goes over a connection the policy refused, not
             * even an abort. */
            end_session(s, rc);
            return rc;
        }
    }
    /* The message in flight carries a credential: decided now, on what
     * this connection verified, before any byte of it is sent. */
    if (s->msg_cred && (rc = may_send_cred(s, true)) != PDM_OK) {
        end_session(s, s->result);
        return rc;
    }
    return PDM_OK;
}

/* ---- producing messages -------------------------------------------------------- */

PDM_API int pdm_session_next(pdm_session *s, pdm_message *out)
{
    int rc;
    if (!s || !out)
        return PDM_EINVAL;
    memset(out, 0, sizeof(*out));
    if (s->state == PDM_SS_DONE)
        return PDM_OK;
    if (s->state == PDM_SS_WAIT)
        return PDM_EINVAL; /* the reply to the last message is missing */
    s->msg_cred = next_carries_cred(s);
    if (may_send_cred(s, false) != PDM_OK) {
        /* Refused: the session is over, nothing is sent. */
        end_session(s, s->result);
        return PDM_OK;
    }
    rc = pdm__out_build(s);
    if (rc != PDM_OK && !s->aborting) {
        /* Nothing the server can take: tell it we give up. */
        if (s->result == PDM_OK)
            pdm__session_fail(s, rc, "cannot build the next message: %s",
                              pdm_strerror(rc));
        give_up(s);
        s->msg_id--; /* the failed build sent nothing */
        rc = s->state == PDM_SS_SEND ? pdm__out_build(s) : rc;
    }
    if (rc != PDM_OK) {
        end_session(s, rc);
        return rc;
    }
    /* The facts of the last connection do not carry over to the next
     * message (it may go to another address). */
    forget_transport(s);
    out->body = s->msg.data;
    out->len = s->msg.len;
    out->content_type = s->wbxml ? "application/vnd.syncml.dm+wbxml"
                                 : "application/vnd.syncml.dm+xml";
    out->url = s->url;
    out->hmac = s->hmac[0] ? s->hmac : NULL;
    /* An abort message is the last one: no reply is awaited. */
    s->state = s->aborting ? PDM_SS_DONE : PDM_SS_WAIT;
    return PDM_OK;
}

/* ---- processing the server's reply --------------------------------------------- */

static const char *child_text(const pdm__el *e, pdm__tag t)
{
    return pdm__el_child_text(e, t);
}

static long text_long(const char *s)
{
    long v;
    return s && pdm__parse_long(s, 0, 0x7fffffffL, &v) == PDM_OK ? v : -1;
}

/* Decodes Chal/Meta NextNonce (base64) into buf. */
static int chal_nonce(const pdm__el *chal, uint8_t *buf, size_t size,
                      size_t *len, pdm__auth_type *type)
{
    pdm__el *meta = pdm__el_child(chal, PDM_TAG_META);
    const char *nn = meta ? child_text(meta, PDM_TAG_MI_NEXTNONCE) : NULL;
    const char *fmt = meta ? child_text(meta, PDM_TAG_MI_FORMAT) : NULL;
    uint8_t *dec = NULL;
    size_t dl = 0;
    *type = pdm__auth_type_from_meta(meta ? child_text(meta, PDM_TAG_MI_TYPE)
                                          : NULL);
    *len = 0;
    if (!nn)
        return PDM_ENOTFOUND;
    /* NextNonce is base64 (Format b64 is mandatory); a raw nonce is taken
     * as it is when the Format says otherwise. */
    if ((!fmt || pdm__strcaseeq(fmt, "b64")) &&
        pdm__b64_decode(nn, strlen(nn), &dec, &dl) == PDM_OK) {
        if (dl > size) {
            pdm__free(dec);
            return PDM_ETOOBIG;
        }
        memcpy(buf, dec, dl);
        *len = dl;
        pdm__free(dec);
        return PDM_OK;
    }
    if (strlen(nn) > size)
        return PDM_ETOOBIG;
    memcpy(buf, nn, strlen(nn));
    *len = strlen(nn);
    return PDM_OK;
}

/* The type a challenge asks for (@ctype; NONE: the current one), if the
 * rules allow it.  A server that failed authentication (@trusted false)
 * may only repeat the type in use: the spec's answer to a challenge of
 * another type is the end of the session (facts §3.3), and an
 * unauthenticated challenge must not pick what we send. */
static int challenge_type(pdm_session *s, pdm__auth_type ctype, bool trusted)
{
    pdm__auth_type want = ctype != PDM_AUTH_NONE ? ctype : s->cl_type;
    char why[256];
    if (want == PDM_AUTH_NONE)
        want = s->cl_floor;
    if (want == s->cl_type)
        return PDM_OK;
    /* session.adopt_challenge_type false: the account's type is the only
     * one sent; a challenge for another ends the session. */
    if (!s->adopt_challenge &&
        want != (s->cl_type != PDM_AUTH_NONE ? s->cl_type : s->cl_floor)) {
        snprintf(why, sizeof why, "a challenge to switch from %s to %s "
                 "refused (session.adopt_challenge_type is false)",
                 type_name(s->cl_type != PDM_AUTH_NONE ? s->cl_type
                                                       : s->cl_floor),
                 type_name(want));
        return refuse_cred(s, PDM_EDENIED, why);
    }
    if (!trusted && s->cl_type != PDM_AUTH_NONE) {
        snprintf(why, sizeof why, "a challenge to switch from %s to %s in a "
                 "message that failed server authentication refused",
                 type_name(s->cl_type), type_name(want));
        return refuse_cred(s, PDM_EDENIED, why);
    }
    if (cred_refusal(s, want, true, why, sizeof why))
        return refuse_cred(s, PDM_EDENIED, why);
    s->cl_type = want;
    return PDM_OK;
}

/* The server's Status for our SyncHdr: client authentication result.
 * @trusted: the message passed server authentication (or none is
 * configured).  From any other message only the challenge procedure is
 * followed (facts §3.3): a 401/407 makes us send package 1 again with
 * credentials of the type in use, computed with its NextNonce, which is
 * used once and never stored; every other status, and a change of type,
 * is not acted on. */
static int handle_hdr_status(pdm_session *s, const pdm__el *st, bool trusted)
{
    long code = text_long(child_text(st, PDM_TAG_DATA));
    pdm__el *chal = pdm__el_child(st, PDM_TAG_CHAL);
    uint8_t nonce[128];
    size_t nlen = 0;
    bool have_nonce = false;
    pdm__auth_type ctype = PDM_AUTH_NONE;
    int rc;

    if (chal && chal_nonce(chal, nonce, sizeof nonce, &nlen, &ctype) == PDM_OK)
        have_nonce = true;
    if (!trusted && code != 401 && code != 407)
        return PDM_OK;
    if (code == 401 || code == 407) {
        /* The server wants credentials again (it may have lost the
         * session): whatever it accepted before no longer counts. */
        s->cl_accepted = false;
        if (s->cl_attempts >= MAX_CLIENT_CHALLENGES || !chal ||
            !s->acc.cl.secret) {
            pdm__session_audit(s, "Session", "deny",
                               "the server refused our credentials");
            return pdm__session_fail(s, PDM_EAUTH,
                                     "server %s refused our credentials "
                                     "(status %ld)",
                                     s->acc.server_id, code);
        }
        /* Security: answer with the challenged type, if allowed. */
        if ((rc = challenge_type(s, ctype, trusted)) != PDM_OK)
            return rc;
    }
    if (have_nonce) {
        memcpy(s->cl_nonce, nonce, nlen);
        s->cl_nonce_len = nlen;
        /* TND/Security: a nonce from a server we have not authenticated
         * may be used for the next Cred but is not stored over ours. */
        /* not dropped quietly: the next session would use the old (an
         * account deleted meanwhile, ENOTFOUND, has nothing to keep) */
        if (trusted && s->srv_authed &&
            (rc = pdm__account_store_nonce(s->ctx, &s->acc.cl, nonce,
                                           nlen)) != PDM_OK &&
            rc != PDM_ENOTFOUND)
            return pdm__session_fail(s, rc, "%s: cannot store the server's "
                                     "next nonce: %s",
                                     s->acc.server_id, pdm_strerror(rc));
    }
    switch (code) {
    case 212:
        s->cl_accepted = true;
        return PDM_OK;
    case 200:
        return PDM_OK;
    case 401:
    case 407:
        s->cl_attempts++;
        s->resend_pkg1 = true;
        return PDM_OK;
    default:
        if (code < 0)
            return pdm__session_fail(s, PDM_EPARSE,
                                     "server status for SyncHdr has no code");
        return pdm__session_fail(s, PDM_EAUTH,
                                 "server answered our message with status %ld",
                                 code);
    }
}

/* Server authentication (SRVCRED): MD5 Cred in the SyncHdr or the HMAC
 * header, checked against the nonce we issued.  Returns the status code
 * for the server's SyncHdr (200/212, or 401/407 for a failure). */
static int check_server(pdm_session *s, const pdm__el *hdr, const uint8_t *body,
                        size_t len, const char *hmac_hdr)
{
    pdm__cred *c = &s->acc.srv;
    const char *name = c->name ? c->name : s->acc.server_id;
    if (!s->server_auth_required && !c->secret)
        return PDM_SC_OK;
    if (c->type == PDM_AUTH_HMAC) {
        pdm__auth_hmac_hdr h;
        char err[128];
        if (!hmac_hdr)
            return PDM_SC_MISSING_CRED;
        if (pdm__auth_hmac_header_parse(hmac_hdr, strlen(hmac_hdr), &h, err,
                                        sizeof err) != PDM_OK ||
            strcmp(h.username, name) != 0 ||
            pdm__auth_hmac_verify(name, c->secret, c->nonce, c->nonce_len, body,
                                  len, h.mac) != PDM_OK)
            return PDM_SC_INVALID_CRED;
        s->srv_authed = true;
        return PDM_SC_OK; /* HMAC: 200 on every message */
    }
    if (s->srv_authed)
        return PDM_SC_AUTH_ACCEPTED;
    {
        pdm__el *cred = pdm__el_child(hdr, PDM_TAG_CRED);
        pdm__el *meta = cred ? pdm__el_child(cred, PDM_TAG_META) : NULL;
        const char *type = meta ? child_text(meta, PDM_TAG_MI_TYPE) : NULL;
        const char *data = cred ? child_text(cred, PDM_TAG_DATA) : NULL;
        if (!cred || !data)
            return PDM_SC_MISSING_CRED;
        if (pdm__auth_type_from_meta(type) != PDM_AUTH_MD5 ||
            c->type != PDM_AUTH_MD5 ||
            pdm__auth_md5_verify(name, c->secret, c->nonce, c->nonce_len, data,
                                 strlen(data)) != PDM_OK)
            return PDM_SC_INVALID_CRED;
    }
    s->srv_authed = true;
    return PDM_SC_AUTH_ACCEPTED;
}

/* Our Status for the server's SyncHdr, with a Chal carrying a fresh nonce
 * for the server's next authentication when server credentials exist.
 * TargetRef/SourceRef name the message answered: its Target and Source
 * (a server that moved to its RespURI has a new Source). */
static int queue_hdr_status(pdm_session *s, const pdm__el *hdr,
                            unsigned msg_ref, int code)
{
    pdm__el *st = pdm__out_status(s, msg_ref, "0", "SyncHdr", code);
    const pdm__el *tg = pdm__el_child(hdr, PDM_TAG_TARGET);
    const pdm__el *sc = pdm__el_child(hdr, PDM_TAG_SOURCE);
    const char *tref = tg ? child_text(tg, PDM_TAG_LOCURI) : NULL;
    const char *sref = sc ? child_text(sc, PDM_TAG_LOCURI) : NULL;
    int rc;
    if (!st)
        return PDM_ENOMEM;
    pdm__out_status_ref(s, st, tref ? tref : s->devid,
                        sref ? sref : s->acc.addr);
    if (s->acc.srv.secret &&
        (code != PDM_SC_AUTH_ACCEPTED || !s->srv_nonce_issued ||
         s->acc.srv.type == PDM_AUTH_HMAC)) {
        pdm__el *chal = pdm__el_add(&s->out, st, PDM_TAG_CHAL), *meta;
        char b64[64];
        uint8_t n[16];
        meta = chal ? pdm__el_add(&s->out, chal, PDM_TAG_META) : NULL;
        if (!meta || pdm__auth_nonce_new(n) != PDM_OK ||
            pdm__b64_encode_to(n, sizeof n, b64, sizeof b64) != PDM_OK)
            return PDM_ENOMEM;
        pdm__el_add_str(&s->out, meta, PDM_TAG_MI_TYPE,
                        pdm__auth_type_meta(s->acc.srv.type ? s->acc.srv.type
                                                            : PDM_AUTH_MD5));
        pdm__el_add_str(&s->out, meta, PDM_TAG_MI_FORMAT, "b64");
        pdm__el_add_str(&s->out, meta, PDM_TAG_MI_NEXTNONCE, b64);
        /* Chal sits before Data (DTD order). */
        {
            pdm__el *prev = NULL, *data = NULL;
            for (pdm__el *k = st->first; k; k = k->next) {
                if (k->tag == PDM_TAG_DATA)
                    data = k;
                if (k->next == chal)
                    prev = k;
            }
            if (data && prev) {
                prev->next = NULL;
                st->last = prev;
                pdm__el *bd = st->first;
                while (bd->next != data)
                    bd = bd->next;
                bd->next = chal;
                chal->next = data;
            }
        }
        /* We issued it: storing it is safe whoever the peer is.  Unstored,
         * the server's next credentials could not be checked. */
        if ((rc = pdm__account_store_nonce(s->ctx, &s->acc.srv, n,
                                           sizeof n)) != PDM_OK &&
            rc != PDM_ENOTFOUND)
            return pdm__session_fail(s, rc, "%s: cannot store the nonce "
                                     "issued to the server: %s",
                                     s->acc.server_id, pdm_strerror(rc));
        memcpy(s->srv_next_nonce, n, sizeof n);
        s->srv_nonce_issued = true;
    }
    s->hdr_status = st;
    return pdm__out_queue(s, st);
}

/* Answers every command of a refused message with "not executed". */
static void refuse_commands(pdm_session *s, const pdm__el *body,
                            unsigned msg_ref, int code)
{
    for (const pdm__el *c = body->first; c; c = c->next) {
        const char *id = child_text(c, PDM_TAG_CMDID);
        if (c->tag == PDM_TAG_FINAL || c->tag == PDM_TAG_STATUS || !id)
            continue;
        pdm__out_queue(s, pdm__out_status(s, msg_ref, id, pdm__el_name(c), code));
    }
}

/* The first element below e whose text is not a string (UTF-8 text XML
 * carries as it is: no NUL), or NULL. */
static const pdm__el *bad_string(const pdm__el *e)
{
    for (const pdm__el *c = e->first; c; c = c->next) {
        const pdm__el *r;
        if (c->text && !pdm__xml_is_text(c->text, c->len))
            return c;
        if ((r = bad_string(c)) != NULL)
            return r;
    }
    return NULL;
}

static int decode_msg(pdm_session *s, const uint8_t *body, size_t len,
                      const char *ctype, pdm__doc *doc)
{
    pdm__codec_limits lim = {s->max_msg_accept, 0, 0};
    pdm__codec_err cerr;
    bool xml;
    int rc;
    memset(&cerr, 0, sizeof cerr);
    if (len > s->max_msg_accept)
        return pdm__session_fail(s, PDM_ETOOBIG,
                                 "server message of %zu bytes exceeds our "
                                 "MaxMsgSize %u by more than the %u bytes "
                                 "tolerated (session.max_msg_overshoot)",
                                 len, s->max_msg, s->max_msg_accept - s->max_msg);
    if (len > s->max_msg && !s->overshoot_warned) {
        /* Interop: taken, but the server should know better. */
        s->overshoot_warned = true;
        pdm__logf(&s->ctx->log, PDM_LOG_WARN, "session",
                  "%s: server message of %zu bytes exceeds our MaxMsgSize %u "
                  "(tolerated up to %u bytes)",
                  s->acc.server_id, len, s->max_msg, s->max_msg_accept);
    }
    if (ctype && strstr(ctype, "wbxml"))
        xml = false;
    else if (ctype && strstr(ctype, "xml"))
        xml = true;
    else
        xml = len && (body[0] == '<' || body[0] == ' ' || body[0] == 0xEF);
    rc = xml ? pdm__xml_decode(doc, body, len, &lim, &cerr)
             : pdm__wbxml_decode(doc, body, len, &lim, &cerr);
    s->msg_xml = xml;
    if (rc != PDM_OK)
        return pdm__session_fail(s, rc == PDM_ENOMEM ? rc : PDM_EPARSE,
                                 "malformed server message: %s", cerr.msg);
    if (!doc->root || doc->root->tag != PDM_TAG_SYNCML ||
        !pdm__el_child(doc->root, PDM_TAG_SYNCHDR) ||
        !pdm__el_child(doc->root, PDM_TAG_SYNCBODY))
        return pdm__session_fail(s, PDM_EPARSE,
                                 "server message is not a SyncML message");
    if (!xml) {
        /* Every text of the SyncHdr and of the server's Statuses is read
         * (and echoed) as a string: a NUL (WBXML OPAQUE) would cut it
         * short.  The commands' own texts are checked in exec.c (400
         * each). */
        const pdm__el *bad = bad_string(pdm__el_child(doc->root, PDM_TAG_SYNCHDR));
        for (const pdm__el *st = pdm__el_child(pdm__el_child(doc->root,
                                                             PDM_TAG_SYNCBODY),
                                               PDM_TAG_STATUS);
             st && !bad; st = pdm__el_next(st, PDM_TAG_STATUS))
            bad = bad_string(st);
        if (bad)
            return pdm__session_fail(s, PDM_EPARSE,
                                     "malformed server message: <%s> holds "
                                     "a NUL or bytes that are not UTF-8 text",
                                     pdm__el_name(bad));
    }
    return PDM_OK;
}

/* Does the message body hold an Alert with this code? */
static bool has_alert(const pdm__el *body, long code)
{
    for (const pdm__el *a = pdm__el_child(body, PDM_TAG_ALERT); a;
         a = pdm__el_next(a, PDM_TAG_ALERT))
        if (text_long(child_text(a, PDM_TAG_DATA)) == code)
            return true;
    return false;
}

/* Does a server message require an answer?  Only Statuses (and Final):
 * no (DM 1.2: the would-be answer must not be sent). */
static bool needs_answer(const pdm__el *body)
{
    for (const pdm__el *c = body->first; c; c = c->next)
        if (c->tag != PDM_TAG_STATUS && c->tag != PDM_TAG_FINAL)
            return true;
    return false;
}

/* The package transaction: the tree (one store transaction) and the MO
 * handlers' own state, begun together and ended together. */
static int package_begin(pdm_session *s)
{
    int rc = pdm__tree_begin(s->ctx->tree);
    if (rc == PDM_OK) {
        pdm__engine_mo_tx(s->ctx, PDM__MO_BEGIN);
        s->in_package_tx = true;
    }
    return rc;
}

static int package_end(pdm_session *s, bool commit)
{
    int rc = PDM_OK;
    if (!s->in_package_tx)
        return PDM_OK;
    s->in_package_tx = false;
    if (commit && pdm__engine_mo_tx(s->ctx, PDM__MO_COMMIT) != PDM_OK)
        commit = false;
    if (commit) {
        rc = pdm__tree_commit(s->ctx->tree);
        if (rc != PDM_OK)
            pdm__engine_mo_tx(s->ctx, PDM__MO_ROLLBACK);
    } else {
        pdm__tree_abort(s->ctx->tree);
        pdm__engine_mo_tx(s->ctx, PDM__MO_ROLLBACK);
        rc = PDM_ECANCELLED;
    }
    return rc;
}

static void end_session(pdm_session *s, int rc)
{
    if (s->in_package_tx) {
        int c = package_end(s, rc == PDM_OK);
        if (rc == PDM_OK && c != PDM_OK && s->result == PDM_OK)
            pdm__session_fail(s, c, "cannot store the package: %s",
                              pdm_strerror(c));
    }
    s->state = PDM_SS_DONE;
    if (rc != PDM_OK && s->result == PDM_OK)
        s->result = rc;
    /* One row per session with its outcome: value writes of servers are
     * not audited one by one (docs/architecture.md), so this row is what
     * tells that a server managed the device, and how it ended. */
    if (!s->end_audited) {
        pdm__decision d;
        memset(&d, 0, sizeof d);
        d.rc = s->result;
        snprintf(d.component, sizeof d.component, "session");
        if (s->result == PDM_OK)
            snprintf(d.reason, sizeof d.reason,
                     "session %s ended normally after package %u",
                     s->session_id, s->pkg);
        else
            snprintf(d.reason, sizeof d.reason, "session %s failed: %.200s",
                     s->session_id, s->err);
        s->end_audited = true;
        pdm__tree_audit(s->ctx->tree, &s->who, "Session", s->acc.uri, &d);
    }
    if (s->result == PDM_OK)
        pdm__pkg0_note_session_ok(s);
    /* The server answered every message that carried our alerts only if
     * the session ended normally. */
    pdm__alerts_session_end(s->ctx, s->result == PDM_OK);
    /* A bootstrapped server's first client-initiated session happened
     * (DM_Bootstrap: the client contacts each new server): it leaves the
     * pending list.  A server-initiated one does not count: the client
     * still owes it the contact, and a package 0 is not proof of it. */
    if (s->result == PDM_OK && !s->server_initiated)
        pdm__bootstrap_session_ok(s->ctx, s->acc.server_id);
    /* The session may have deleted an account (its own). */
    pdm__alerts_prune(s->ctx);
}

/* Scheme, host (lower case, IPv6 literal with its brackets) and port of
 * an http(s) URL; false for anything else, and for a URL with user
 * information (a host hidden behind "user@"). */
typedef struct url_parts {
    bool https;
    char host[256];
    unsigned long port;
} url_parts;

static bool url_split(const char *url, url_parts *u)
{
    const char *p, *end, *colon;
    size_t hl;
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        u->https = false;
        p = url + 7;
    } else {
        return false;
    }
    end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p)) || end == p)
        return false;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            return false;
        colon = rb + 1 < end ? rb + 1 : NULL;
        if (colon && *colon != ':')
            return false;
        hl = (size_t)(rb + 1 - p);
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        hl = (size_t)((colon ? colon : end) - p);
    }
    if (hl == 0 || hl >= sizeof u->host)
        return false;
    for (size_t i = 0; i < hl; i++)
        u->host[i] = (char)tolower((unsigned char)p[i]);
    u->host[hl] = '\0';
    u->port = u->https ? 443 : 80;
    if (colon && colon + 1 < end) {
        char port[8];
        long v;
        size_t n = (size_t)(end - colon - 1);
        if (n >= sizeof port)
            return false;
        memcpy(port, colon + 1, n);
        port[n] = '\0';
        if (pdm__parse_long(port, 1, 65535, &v) != PDM_OK)
            return false;
        u->port = (unsigned long)v;
    }
    return true;
}

/* May the session move to @resp (the server's RespURI)?  Never from https
 * to http unless session.respuri_downgrade allows it, and only to the same
 * host and port unless session.respuri_host = any.  Compared with the
 * address in use, so a chain of RespURIs cannot walk away step by step. */
static int respuri_check(pdm_session *s, const char *resp)
{
    url_parts cur, to;
    const char *hosts = pdm__profile_get(s->ctx->profile,
                                         "session.respuri_host");
    if (!url_split(resp, &to))
        return pdm__session_fail(s, PDM_EFORBIDDEN,
                                 "RespURI refused: not an http(s) URL with a "
                                 "host (user information is not accepted)");
    if (!url_split(s->url, &cur))
        return pdm__session_fail(s, PDM_EFORBIDDEN,
                                 "RespURI refused: the address in use is not "
                                 "an http(s) URL to compare it with");
    if (cur.https && !to.https &&
        !pdm__profile_get_bool(s->ctx->profile, "session.respuri_downgrade",
                               false))
        return pdm__session_fail(s, PDM_EFORBIDDEN,
                                 "RespURI refused: it moves the session from "
                                 "https to plain http "
                                 "(session.respuri_downgrade)");
    if ((!hosts || strcmp(hosts, "any") != 0) &&
        (strcmp(cur.host, to.host) != 0 || cur.port != to.port))
        return pdm__session_fail(s, PDM_EFORBIDDEN,
                                 "RespURI refused: it moves the session from "
                                 "%.100s:%lu to %.100s:%lu "
                                 "(session.respuri_host)",
                                 cur.host, cur.port, to.host, to.port);
    return PDM_OK;
}

PDM_API int pdm_session_reply(pdm_session *s, const uint8_t *body, size_t len,
                              const char *content_type, const char *hmac)
{
    pdm__doc doc;
    pdm__el *hdr, *sbody, *st;
    const char *sid, *ver, *proto, *resp;
    long msgid;
    bool final, srv_bad, srv_wants_more;
    int rc, hdr_code;
    size_t pend_start, pend_end;

    if (!s || (!body && len))
        return PDM_EINVAL;
    if (s->state != PDM_SS_WAIT)
        return PDM_EINVAL;
    pdm__out_sent(s);
    pdm__doc_init(&doc);
    if (s->transport_reports && !s->transport_known) {
        /* Fail closed: nothing the server says is used without knowing
         * what carried it. */
        rc = pdm__session_fail(s, PDM_EINVAL,
                               "the transport did not report the connection "
                               "of this message (pdm_session_set_transport)");
        goto out_fail;
    }
    rc = decode_msg(s, body, len, content_type, &doc);
    if (rc != PDM_OK)
        goto out_fail;
    hdr = pdm__el_child(doc.root, PDM_TAG_SYNCHDR);
    sbody = pdm__el_child(doc.root, PDM_TAG_SYNCBODY);
    ver = child_text(hdr, PDM_TAG_VERDTD);
    proto = child_text(hdr, PDM_TAG_VERPROTO);
    sid = child_text(hdr, PDM_TAG_SESSIONID);
    msgid = text_long(child_text(hdr, PDM_TAG_MSGID));
    if (!ver || strcmp(ver, "1.2") != 0 || !proto ||
        strcmp(proto, "DM/1.2") != 0) {
        rc = pdm__session_fail(s, PDM_ENOTSUP,
                               "server speaks %s %s, not DM/1.2 with VerDTD "
                               "1.2",
                               proto ? proto : "?", ver ? ver : "?");
        goto out_fail;
    }
    if (!sid || strcmp(sid, s->session_id) != 0) {
        rc = pdm__session_fail(s, PDM_EPARSE,
                               "server message is for session '%.16s', not "
                               "'%s'",
                               sid ? sid : "", s->session_id);
        goto out_fail;
    }
    if (msgid <= 0) {
        rc = pdm__session_fail(s, PDM_EPARSE, "server message without MsgID");
        goto out_fail;
    }
    s->server_msg_id = (unsigned)msgid;
    final = pdm__el_child(sbody, PDM_TAG_FINAL) != NULL;

    /* The server authenticates itself before anything of its message is
     * used: RespURI, its limits, its Statuses (handle_hdr_status) and its
     * commands are acted on only if it passed. */
    hdr_code = check_server(s, hdr, body, len, hmac);
    srv_bad = hdr_code == PDM_SC_INVALID_CRED ||
              hdr_code == PDM_SC_MISSING_CRED;
    if (!srv_bad && (resp = child_text(hdr, PDM_TAG_RESPURI)) && *resp &&
        strcmp(resp, s->url) != 0) {
        char *u;
        if ((rc = respuri_check(s, resp)) != PDM_OK) {
            pdm__session_audit(s, "Session", "deny", s->err);
            goto out_fail;
        }
        /* not kept quietly on the old URL: the server said where to go */
        if (!(u = pdm__strdup(resp))) {
            rc = pdm__session_fail(s, PDM_ENOMEM, "%s: out of memory for "
                                   "the RespURI", s->acc.server_id);
            goto out_fail;
        }
        pdm__free(s->url);
        s->url = u;
    }
    if (!srv_bad) {
        pdm__el *meta = pdm__el_child(hdr, PDM_TAG_META);
        long v;
        if (meta && (v = text_long(child_text(meta, PDM_TAG_MI_MAXMSGSIZE))) > 0)
            s->server_max_msg = (unsigned)v;
        if (meta && (v = text_long(child_text(meta, PDM_TAG_MI_MAXOBJSIZE))) > 0)
            s->server_max_obj = (unsigned)v;
    }

    /* Statuses for what we sent (first the SyncHdr one).  The refusals
     * are logged as a burst: a message of thousands of Statuses must not
     * write thousands of lines. */
    s->resend_pkg1 = false;
    {
        pdm__log_burst refused = {0};
        for (st = pdm__el_child(sbody, PDM_TAG_STATUS); st;
             st = pdm__el_next(st, PDM_TAG_STATUS)) {
            const char *cmd = child_text(st, PDM_TAG_CMD);
            if (cmd && strcmp(cmd, "SyncHdr") == 0) {
                if ((rc = handle_hdr_status(s, st, !srv_bad)) != PDM_OK)
                    goto out_fail;
            } else if (!srv_bad) {
                long code = text_long(child_text(st, PDM_TAG_DATA));
                if (code >= 300 && code != 304)
                    pdm__logf_burst(&s->ctx->log, &refused, PDM_LOG_WARN,
                                    "session",
                                    "%s: server answered our %s with %ld",
                                    s->acc.server_id, cmd ? cmd : "?", code);
            }
        }
        pdm__log_burst_end(&s->ctx->log, &refused, PDM_LOG_WARN, "session",
                           s->acc.server_id);
    }
    /* Commands of our package not sent yet (it spans messages) stay
     * queued behind what this message needs answered. */
    pend_start = s->qhead;
    pend_end = s->nqueue;
    if (pend_start >= pend_end)
        pdm__out_reset(s);
    /* A message without Final is part of a server package, unless it is
     * the server's "Next Message" answer (Alert 1222) to our own
     * unfinished package: then it is our turn to go on, not to ask. */
    srv_wants_more = has_alert(sbody, 1222);
    s->want_next_msg = !final && !srv_wants_more;
    if (srv_bad) {
        pdm__session_audit(s, "Session", "deny",
                           hdr_code == PDM_SC_MISSING_CRED
                               ? "server sent no credentials"
                               : "server credentials are wrong");
        if (!needs_answer(sbody) && final && !s->resend_pkg1) {
            /* Only Statuses and no credentials: nothing to answer, and a
             * message holding only a challenge MUST NOT be sent (DM
             * Protocol 2.4). */
            pdm__session_fail(s, PDM_EAUTH,
                              "server %s did not authenticate itself",
                              s->acc.server_id);
            end_session(s, PDM_EAUTH);
            pdm__doc_free(&doc);
            return PDM_OK;
        }
        if (++s->srv_failures > MAX_SERVER_FAILURES) {
            /* Refused: nothing executed, session aborted. */
            s->aborting = true;
            s->want_next_msg = false;
            /* Undo the package first, so that the nonce issued with the
             * refusal is stored on its own. */
            package_end(s, false);
            pdm__out_reset(s);
            queue_hdr_status(s, hdr, s->server_msg_id, hdr_code);
            pdm__out_queue(s, pdm__out_alert(s, 1223));
            pdm__session_fail(s, PDM_EAUTH,
                              "server %s failed to authenticate: session "
                              "refused",
                              s->acc.server_id);
            s->state = PDM_SS_SEND;
            pdm__doc_free(&doc);
            return PDM_OK;
        }
        if (!s->resend_pkg1) {
            /* One challenge: the server may retry with our fresh nonce. */
            queue_hdr_status(s, hdr, s->server_msg_id, hdr_code);
            refuse_commands(s, sbody, s->server_msg_id, hdr_code);
            s->want_next_msg = false;
            s->state = PDM_SS_SEND;
            pdm__doc_free(&doc);
            return PDM_OK;
        }
    }
    if (s->resend_pkg1) {
        /* Client challenged: redo package 1 with credentials, in the next
         * message of the same session, answering the server's SyncHdr
         * (with our own challenge if the server is not authenticated). */
        rc = queue_pkg1(s, hdr, hdr_code);
        if (rc != PDM_OK)
            goto out_fail;
        s->want_next_msg = false;
        s->state = PDM_SS_SEND;
        pdm__doc_free(&doc);
        return PDM_OK;
    }
    /* A server Alert 1223 ends the session at once, without an answer. */
    for (pdm__el *a = pdm__el_child(sbody, PDM_TAG_ALERT); a;
         a = pdm__el_next(a, PDM_TAG_ALERT)) {
        if (pdm__streq(child_text(a, PDM_TAG_DATA), "1223")) {
            pdm__session_fail(s, PDM_ECANCELLED, "server aborted the session");
            end_session(s, PDM_ECANCELLED);
            pdm__doc_free(&doc);
            return PDM_OK;
        }
    }
    if (!needs_answer(sbody) && final && !s->lo.active) {
        /* Nothing to answer: the session is over. */
        end_session(s, PDM_OK);
        pdm__doc_free(&doc);
        return PDM_OK;
    }
    if (!s->in_package_tx && (rc = package_begin(s)) != PDM_OK) {
        pdm__session_fail(s, rc, "cannot start the package transaction");
        goto out_fail;
    }
    s->who.req_flags = (s->tls ? PDM_REQ_TLS : 0) |
                       (s->srv_authed ? PDM_REQ_AUTHENTICATED : 0);
    rc = queue_hdr_status(s, hdr, s->server_msg_id, hdr_code);
    if (rc == PDM_OK)
        pdm__session_exec_body(s, sbody, s->server_msg_id);
    if (s->aborting) {
        /* exec.c gave up (the response budget): the package is undone and
         * the server told so (Alert 1223) instead of answered. */
        end_session(s, s->result);
        pdm__out_reset(s);
        queue_hdr_status(s, hdr, s->server_msg_id, hdr_code);
        pdm__out_queue(s, pdm__out_alert(s, 1223));
        s->want_next_msg = false;
        s->state = PDM_SS_SEND;
        pdm__doc_free(&doc);
        return PDM_OK;
    }
    if (s->result != PDM_OK && s->state == PDM_SS_DONE) {
        pdm__doc_free(&doc);
        return s->result;
    }
    if (final && !s->lo.active && s->in_package_tx) {
        /* The server's package is complete: one store transaction. */
        int c = package_end(s, true);
        if (c != PDM_OK) {
            rc = pdm__session_fail(s, c, "cannot store the package: %s",
                                   pdm_strerror(c));
            goto out_fail;
        }
    }
    if (s->want_next_msg || s->lo.active) {
        /* Ask for the next message of the server's package (1222). */
        s->want_next_msg = true;
        pdm__out_queue(s, pdm__out_alert(s, 1222));
    } else if (!srv_wants_more) {
        /* Our package: the answers, then alerts raised meanwhile (e.g.
         * the result of an asynchronous Exec). */
        queue_generic_alerts(s);
        s->pkg += 2;
    }
    if (pend_start < pend_end) {
        /* Move the still-unsent commands behind this message's answers. */
        size_t npend = pend_end - pend_start, nnew = s->nqueue - pend_end;
        pdm__el **tmp = pdm__malloc((npend ? npend : 1) * sizeof(*tmp));
        if (!tmp) {
            rc = PDM_ENOMEM;
            goto out_fail;
        }
        memcpy(tmp, &s->queue[pend_start], npend * sizeof(*tmp));
        memmove(&s->queue[pend_start], &s->queue[pend_end],
                nnew * sizeof(*tmp));
        memcpy(&s->queue[pend_start + nnew], tmp, npend * sizeof(*tmp));
        pdm__free(tmp);
        s->qhead = pend_start;
    }
    s->state = PDM_SS_SEND;
    pdm__doc_free(&doc);
    return PDM_OK;
out_fail:
    /* The transport works (it brought this message): say goodbye. */
    if (s->result == PDM_OK)
        pdm__session_fail(s, rc ? rc : PDM_ERROR, "%s",
                          pdm_strerror(rc ? rc : PDM_ERROR));
    give_up(s);
    pdm__doc_free(&doc);
    return rc ? rc : PDM_ERROR;
}

void pdm__session_transport_failed(pdm_session *s, int rc, const char *why)
{
    if (!s || s->state == PDM_SS_DONE)
        return;
    pdm__out_sent(s);
    if (rc >= 0)
        rc = PDM_EIO;
    s->fail_reported = true;
    /* PDM_EIO's generic text ("I/O or store error") would mislead here:
     * the transport's own words (@why) are the useful ones, in the log
     * and in the session's audit row. */
    if (rc == PDM_ECANCELLED)
        pdm__session_fail(s, rc, "the session was interrupted (shutdown)");
    else if (why && why[0])
        pdm__session_fail(s, rc, "transport: %.360s", why);
    else if (rc == PDM_EIO)
        pdm__session_fail(s, rc, "the connection to the server failed");
    else
        pdm__session_fail(s, rc, "transport failed: %s", pdm_strerror(rc));
    end_session(s, rc);
}

void pdm__session_transport_retried(pdm_session *s, const char *why)
{
    if (!s || s->first_cause[0] || !why || !why[0])
        return;
    snprintf(s->first_cause, sizeof s->first_cause, "%s (retried)", why);
}

PDM_API void pdm_session_transport_failed(pdm_session *s, int rc)
{
    pdm__session_transport_failed(s, rc, NULL);
}

PDM_API void pdm_session_transport_error(pdm_session *s, int rc,
                                         const char *why)
{
    pdm__session_transport_failed(s, rc, why);
}

PDM_API void pdm_session_transport_retried(pdm_session *s, const char *why)
{
    pdm__session_transport_retried(s, why);
}

PDM_API int pdm_session_get_info(pdm_session_info *out, const pdm_session *s)
{
    uint32_t size;
    if (!out || !s || out->struct_size < sizeof(*out))
        return PDM_EINVAL;
    size = out->struct_size;
    memset(out, 0, sizeof(*out));
    out->struct_size = size;
    out->flags = s->state == PDM_SS_DONE ? PDM_SESSION_INFO_OVER : 0;
    if (s->acc.server_id)
        pdm__strlcpy(out->server_id, s->acc.server_id, sizeof out->server_id);
    pdm__strlcpy(out->session_id, s->session_id, sizeof out->session_id);
    return PDM_OK;
}

PDM_API int pdm_session_decline(pdm_session *s, const char *reason)
{
    size_t n;
    /* Only before the first message: once the server has heard from the
     * device, ending it is a transport failure or an abort, not a
     * decline. */
    if (!s || !reason || s->state == PDM_SS_DONE || s->msg_id != 0)
        return PDM_EINVAL;
    n = strlen(reason);
    if (n == 0 || n > 255 || !pdm__text_line_ok(reason, n, NULL))
        return PDM_EINVAL;
    pdm__session_audit(s, "Session", "deny", reason); /* end_audited */
    /* No pdm__session_fail: the integrator reports the decline itself;
     * the audit row is the record. */
    s->result = PDM_ECANCELLED;
    pdm__strlcpy(s->err, reason, sizeof s->err);
    s->state = PDM_SS_DONE;
    return PDM_OK;
}

PDM_API int pdm_session_result(const pdm_session *s)
{
    return s ? s->result : PDM_EINVAL;
}

PDM_API const char *pdm_session_error(const pdm_session *s)
{
    if (!s)
        return "";
    /* A failure with nothing more to say (out of memory where no message
     * could be formatted) still has its code's text. */
    if (!s->err[0] && s->result != PDM_OK)
        return pdm_strerror(s->result);
    return s->err;
}

PDM_API void pdm_session_close(pdm_session *s)
{
    if (!s)
        return;
    package_end(s, false);
    /* Alerts of a session that did not end normally wait for the next. */
    if (s->ctx)
        pdm__alerts_session_end(s->ctx, false);
    pdm__out_reset(s);
    pdm__doc_free(&s->out);
    pdm__free(s->queue);
    pdm__buf_free(&s->msg);
    pdm__buf_free(&s->lo.data);
    pdm__free(s->lo.target);
    pdm__free(s->lo.source);
    pdm__free(s->lo.format);
    pdm__free(s->lo.type);
    pdm__account_free(&s->acc);
    pdm__free(s->url);
    pdm__free(s->devid);
    /* pdm__wipe, not memset: a store right before free may be dropped. */
    pdm__wipe(s->cl_nonce, sizeof s->cl_nonce);
    pdm__wipe(s->srv_next_nonce, sizeof s->srv_next_nonce);
    {
        pdm_ctx *ctx = s->ctx;
        pdm__free(s);
        /* The session is over (its last package committed or undone,
         * its alerts settled): a factory reset a plugin scheduled in it
         * runs now (lock.c). */
        if (ctx) {
            ctx->sessions--;
            pdm__reset_maybe_run(ctx);
        }
    }
}
