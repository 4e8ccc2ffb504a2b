/*
 * Package 0 admission: a notification is acted on only after its digest
 * verifies against the account's server credentials, at most once (a
 * persisted window of verified session ids per server), and with the
 * resynchronisation nonce only until a session with that server ended
 * normally; then the policies are asked about the notification
 * (PDM_OP_SESSION with PDM_REQ_NOTIFICATION).  Shared by the session
 * (pdm_session_open with a package 0) and the agent's intake
 * (pdm_ctx_notification_admit), so that nothing unverified ever changes
 * the agent's queue and both ask the same question once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "engine/engine.h"
#include "session/session_int.h"
#include "tree/tree_int.h"
#include "util/util.h"

/* Verified notifications remembered per server (store kv "core",
 * "pkg0-seen:<ServerID>", lines "SID DIGEST-HEX", oldest first): a session
 * id inside the window is a replay.  Only verified notifications enter it,
 * so forged ones cannot push real ones out. */
#define PKG0_WINDOW 32

/* Set (store kv "core", "pkg0-synced:<ServerID>") once a session with the
 * server ended normally: from then on its package 0 must use the stored
 * nonce unless session.pkg0_resync says otherwise (never: not even
 * before; always: even after). */
static bool pkg0_synced(pdm_ctx *ctx, const char *server_id)
{
    uint8_t *v = NULL;
    size_t n = 0;
    char key[300];
    bool set;
    snprintf(key, sizeof key, "pkg0-synced:%s", server_id);
    set = ctx->store && pdm__store_kv_get(ctx->store, "core", key, &v, &n) ==
                            PDM_OK;
    pdm__free(v);
    return set;
}

void pdm__pkg0_note_session_ok(pdm_session *s)
{
    char key[300];
    if (!s->ctx->store || !s->acc.server_id ||
        pkg0_synced(s->ctx, s->acc.server_id))
        return;
    snprintf(key, sizeof key, "pkg0-synced:%s", s->acc.server_id);
    if (pdm__store_kv_put(s->ctx->store, "core", key, (const uint8_t *)"1",
                          1) != PDM_OK)
        pdm__logf(&s->ctx->log, PDM_LOG_WARN, "session",
                  "%s: cannot record the first successful session: package 0 "
                  "nonce resynchronisation stays allowed",
                  s->acc.server_id);
}

/* Refuses a session id already in the window, else records the
 * notification (durably, before anything acts on it). */
static int pkg0_window(pdm_ctx *ctx, const pdm__pkg0 *p, const char *sid,
                       char *why, size_t whylen)
{
    uint8_t *old = NULL;
    size_t ol = 0, lines = 0;
    char key[300], entry[64];
    const char *e, *keep;
    pdm__buf b;
    int rc;

    if (!ctx->store) {
        /* Replays could not be told apart: fail closed. */
        snprintf(why, whylen, "a context without a store cannot remember "
                 "notifications (replay protection)");
        return PDM_ENOTSUP;
    }
    snprintf(key, sizeof key, "pkg0-seen:%s", p->server_id);
    rc = pdm__store_kv_get(ctx->store, "core", key, &old, &ol);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND) {
        snprintf(why, whylen, "cannot read the package 0 replay window");
        return rc;
    }
    for (e = (const char *)old; e && e < (const char *)old + ol;) {
        const char *nl = memchr(e, '\n', (size_t)((const char *)old + ol - e));
        size_t l = nl ? (size_t)(nl - e) : (size_t)((const char *)old + ol - e);
        const char *sp = memchr(e, ' ', l);
        if (sp && (size_t)(sp - e) == strlen(sid) &&
            memcmp(e, sid, strlen(sid)) == 0) {
            pdm__free(old);
            snprintf(why, whylen, "session id %s was already handled "
                     "(replayed package 0)", sid);
            return PDM_EEXISTS;
        }
        lines++;
        e = nl ? nl + 1 : NULL;
    }
    /* keep the newest PKG0_WINDOW - 1 entries, then add this one */
    keep = (const char *)old;
    for (; keep && lines >= PKG0_WINDOW; lines--) {
        const char *nl = memchr(keep, '\n',
                                (size_t)((const char *)old + ol - keep));
        keep = nl ? nl + 1 : NULL;
    }
    pdm__buf_init(&b);
    if (keep && keep < (const char *)old + ol)
        pdm__buf_append(&b, keep, (size_t)((const char *)old + ol - keep));
    pdm__free(old);
    snprintf(entry, sizeof entry, "%s ", sid);
    pdm__buf_puts(&b, entry);
    for (size_t i = 0; i < PDM__MD5_LEN; i++)
        pdm__buf_printf(&b, "%02x", p->digest[i]);
    pdm__buf_putc(&b, '\n');
    rc = pdm__buf_ok(&b) ? pdm__store_kv_put(ctx->store, "core", key, b.data,
                                             b.len)
                         : PDM_ENOMEM;
    pdm__buf_free(&b);
    if (rc != PDM_OK)
        snprintf(why, whylen, "cannot record the notification (%s)",
                 pdm_strerror(rc));
    return rc;
}

/* The verdict on a package 0: parsed, the account of its server found,
 * the digest verified against the server credentials (SRVCRED) with the
 * resynchronisation nonces only while the profile allows them, and not a
 * replay.  On PDM_OK @acc holds the account and @sid the session id, and
 * the notification is recorded as handled.  Logs and audits nothing: the
 * callers decide (the agent aggregates unauthenticated refusals). */
static int pkg0_judge(pdm_ctx *ctx, const uint8_t *buf, size_t len,
                      pdm__account *acc, char sid[5], char *claimed,
                      size_t claimedlen, char *why, size_t whylen)
{
    pdm__pkg0 p;
    char err[256];
    unsigned which = 0, flags = PDM__PKG0_VERIFY_DEFAULT;
    const char *resync;
    int rc = pdm__pkg0_parse(&p, buf, len, err, sizeof err);
    if (rc != PDM_OK) {
        snprintf(why, whylen, "%s", err);
        return PDM_EPARSE;
    }
    pdm__strlcpy(claimed, p.server_id, claimedlen);
    rc = pdm__account_load(acc, ctx, p.server_id, err, sizeof err);
    if (rc != PDM_OK) {
        snprintf(why, whylen, "unknown server '%.64s': %s", p.server_id, err);
        return rc;
    }
    if (!acc->srv.secret) {
        snprintf(why, whylen, "account %s has no server credentials (SRVCRED) "
                 "to verify it", acc->uri);
        return PDM_EAUTH;
    }
    /* The resynchronisation nonce is a fixed value: a package 0 signed
     * with it replays for ever.  Allowed until the server and the device
     * have once run a session together (the server then has a nonce). */
    resync = pdm__profile_pkg0_resync(ctx->profile);
    if (strcmp(resync, "never") == 0 ||
        (strcmp(resync, "always") != 0 && pkg0_synced(ctx, acc->server_id)))
        flags &= ~(unsigned)PDM__PKG0_RESYNC;
    rc = pdm__pkg0_verify(&p, acc->srv.secret, acc->srv.nonce,
                          acc->srv.nonce_len, flags, &which);
    if (rc != PDM_OK) {
        snprintf(why, whylen, "bad digest (not signed with the server "
                 "credentials%s)", flags & PDM__PKG0_RESYNC ? ""
                 : strcmp(resync, "never") == 0
                     ? "; nonce resynchronisation is off (session.pkg0_resync "
                       "never)"
                     : "; nonce resynchronisation is off after the first "
                       "session");
        return PDM_EAUTH;
    }
    pdm__pkg0_session_id_str(p.session_id, sid);
    rc = pkg0_window(ctx, &p, sid, why, whylen);
    if (rc != PDM_OK)
        return rc;
    if (which != PDM__PKG0_NONCE_STORED)
        pdm__logf(&ctx->log, PDM_LOG_INFO, "session",
                  "%s: package 0 verified with the resynchronisation nonce; "
                  "a new server nonce will be issued",
                  acc->server_id);
    return PDM_OK;
}

/* PDM_OP_SESSION with PDM_REQ_NOTIFICATION for a verified package 0 of
 * @acc's server: PDM_OK, or PDM_EDENIED with @d naming the policy. */
static int ask_policy(pdm_ctx *ctx, const pdm__account *acc, pdm__decision *d)
{
    pdm_policy_req req;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = PDM_OP_SESSION;
    req.principal = PDM_PRINCIPAL_SERVER;
    req.flags = PDM_REQ_NOTIFICATION;
    req.server_id = acc->server_id;
    req.uri = acc->uri;
    req.address = acc->addr;
    return pdm__engine_policy(ctx, &req, d);
}

/* The one notification question, for the agent's intake and for
 * pdm_session_open with a package 0 alike: a verified package 0 (@acc's
 * server, session id @sid) is the server's own request for a session, so
 * the policies may refuse it before anything acts on it (seed S5: a
 * server no longer whitelisted is not even woken up).  Audited as the
 * server's, with the deciding component; the session is asked again later
 * with the transport's facts.  Returns PDM_OK, or PDM_EDENIED with @why
 * "refused by <component>: <reason>". */
static int pkg0_notify(pdm_ctx *ctx, const pdm__account *acc, const char *sid,
                       char *why, size_t whylen)
{
    pdm__who w = {PDM_PRINCIPAL_SERVER, NULL, NULL, 0, NULL};
    pdm__decision d;
    int rc = ask_policy(ctx, acc, &d);
    w.server_id = acc->server_id;
    if (rc != PDM_OK) {
        char policy[sizeof d.reason];
        pdm__strlcpy(policy, d.reason, sizeof policy);
        snprintf(why, whylen, "refused by %s: %s", d.component, policy);
        /* the row keeps what fits after the prefix */
        snprintf(d.reason, sizeof d.reason, "package 0 refused: %.*s",
                 (int)(sizeof d.reason - 20), policy);
        pdm__tree_audit(ctx->tree, &w, "Notify", acc->uri, &d);
        return rc;
    }
    memset(&d, 0, sizeof d);
    snprintf(d.component, sizeof d.component, "session");
    snprintf(d.reason, sizeof d.reason, "package 0 verified (session %s)",
             sid);
    pdm__tree_audit(ctx->tree, &w, "Notify", acc->uri, &d);
    return PDM_OK;
}

/* Package 0 of a session: the verdict, audited and reported. */
int pdm__session_check_pkg0(pdm_session *s, const uint8_t *buf,
                            size_t len, char *server_id, size_t sidlen)
{
    pdm_ctx *ctx = s->ctx;
    char why[300];
    int rc = pkg0_judge(ctx, buf, len, &s->acc, s->session_id, server_id,
                        sidlen, why, sizeof why);
    if (rc == PDM_EPARSE)
        return pdm__session_fail(s, rc, "package 0 refused: %s", why);
    s->who.server_id = s->acc.server_id;
    if (rc != PDM_OK) {
        /* Unverified: the ServerID it claims is not who sent it, so the
         * row names no server (a forgery must not be blamed on its
         * victim); the claim is in the reason. */
        pdm__who w = {PDM_PRINCIPAL_SERVER, NULL, NULL, 0, NULL};
        pdm__decision d;
        memset(&d, 0, sizeof d);
        d.rc = PDM_EDENIED;
        snprintf(d.component, sizeof d.component, "session");
        snprintf(d.reason, sizeof d.reason,
                 "package 0 claiming server '%.64s' refused: %.150s",
                 server_id, why);
        pdm__tree_audit(ctx->tree, &w, "Notify", s->acc.uri, &d);
        return pdm__session_fail(s, rc, "package 0 from %s refused: %s",
                                 server_id, why);
    }
    rc = pkg0_notify(ctx, &s->acc, s->session_id, why, sizeof why);
    if (rc != PDM_OK)
        return pdm__session_fail(s, rc, "package 0 from %s %s",
                                 s->acc.server_id, why);
    s->server_initiated = true;
    return PDM_OK;
}


int pdm__pkg0_admit(pdm_ctx *ctx, const uint8_t *buf, size_t len,
                    char *server_id, size_t sidlen, char sid[5], char *why,
                    size_t whylen)
{
    pdm__account acc;
    int rc;
    if (!ctx || !buf || !server_id || !sidlen || !sid || !why || !whylen)
        return PDM_EINVAL;
    memset(&acc, 0, sizeof acc);
    server_id[0] = sid[0] = why[0] = '\0';
    rc = pkg0_judge(ctx, buf, len, &acc, sid, server_id, sidlen, why, whylen);
    if (rc == PDM_OK) {
        pdm__strlcpy(server_id, acc.server_id, sidlen);
        rc = pkg0_notify(ctx, &acc, sid, why, whylen);
    }
    pdm__account_free(&acc);
    return rc;
}

int pdm_ctx_notification_admit(pdm_notification *out, pdm_ctx *ctx,
                               const uint8_t *pkg0, size_t len)
{
    char sid[5];
    int rc;
    if (!out || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    if (!ctx || !pkg0)
        return PDM_EINVAL;
    /* As pdm_session_open would refuse it: a context that cannot run its
     * policies admits nothing. */
    if (pdm__engine_unusable(ctx)) {
        snprintf(out->why, sizeof out->why, "%s", pdm__engine_unusable(ctx));
        return PDM_EDENIED;
    }
    rc = pdm__pkg0_admit(ctx, pkg0, len, out->server_id,
                         sizeof out->server_id, sid, out->why,
                         sizeof out->why);
    if (rc == PDM_OK)
        pdm__strlcpy(out->session_id, sid, sizeof out->session_id);
    return rc;
}
