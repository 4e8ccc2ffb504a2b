/*
 * The Generic Alert queue (see engine.h): alerts from MO plugins (an
 * asynchronous Exec's result) and from the integrator, kept in the store
 * until a session delivers them.
 *
 * Every alert is bound to one ServerID when it is queued and only a
 * session with exactly that server carries it: a lock or wipe result
 * must never reach another server.
 *
 * An alert that names no server is bound to one only on evidence: the
 * server whose command an MO method is handling at that moment, or the
 * server whose accepted Exec (202, a "pending Exec" record) it reports,
 * told by its correlator and/or Source URI.  Never a guess: no evidence,
 * or evidence pointing at two servers, and it is refused.
 *
 * Saved format (kv "core"/"alerts"): "A2" then per alert nine fields
 * (server id, source, type, format, mark, correlator, data, once scope,
 * once key), each "-" for absent or "<decimal length>:<bytes>" ("A1":
 * the first seven only).  Pending Execs (kv "core"/"exec-pending"): "P2"
 * then four such fields per record (server id, URI, correlator, the Unix
 * time it was accepted in decimal; "P1": the first three).  Delivered
 * once_keys (kv "core"/"once-delivered"): "O1" then two fields (scope,
 * key) per key, oldest first, at most PDM__ONCE_KEPT.  Small and
 * self-delimiting; each list is rewritten on every change (all are
 * bounded).  All are written at once, never with a package: see
 * engine.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/dmacc.h"
#include "util/util.h"

void pdm__engine_free_alerts(pdm__alert *a)
{
    while (a) {
        pdm__alert *n = a->next;
        pdm__free(a->server_id);
        pdm__free(a->source);
        pdm__free(a->type);
        pdm__free(a->format);
        pdm__free(a->mark);
        pdm__free(a->correlator);
        pdm__free(a->data);
        pdm__free(a->once_scope);
        pdm__free(a->once_key);
        pdm__free(a);
        a = n;
    }
}

void pdm__engine_free_pending(pdm__pending_exec *p)
{
    while (p) {
        pdm__pending_exec *n = p->next;
        pdm__free(p->server_id);
        pdm__free(p->uri);
        pdm__free(p->correlator);
        pdm__free(p);
        p = n;
    }
}

static void put_field(pdm__buf *b, const void *p, size_t n, bool present)
{
    if (!present) {
        pdm__buf_putc(b, '-');
        return;
    }
    pdm__buf_printf(b, "%zu:", n);
    pdm__buf_append(b, p, n);
}

static void put_str(pdm__buf *b, const char *s)
{
    put_field(b, s, s ? strlen(s) : 0, s != NULL);
}

/* Writes the queue to the store (outside a session: at once; inside one:
 * with the current package). */
static void save(pdm_ctx *ctx)
{
    pdm__buf b;
    int rc;
    if (!ctx->store)
        return;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "A2");
    for (const pdm__alert *a = ctx->alerts; a; a = a->next) {
        put_str(&b, a->server_id);
        put_str(&b, a->source);
        put_str(&b, a->type);
        put_str(&b, a->format);
        put_str(&b, a->mark);
        put_str(&b, a->correlator);
        put_field(&b, a->data, a->len, true);
        put_str(&b, a->once_scope);
        put_str(&b, a->once_key);
    }
    if (!pdm__buf_ok(&b))
        rc = PDM_ENOMEM;
    else if (!ctx->alerts)
        rc = pdm__store_kv_del(ctx->store, "core", "alerts");
    else
        rc = pdm__store_kv_put(ctx->store, "core", "alerts", b.data, b.len);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "cannot save the Generic Alert queue: %s", pdm_strerror(rc));
    pdm__buf_free(&b);
}

static void save_pending(pdm_ctx *ctx)
{
    pdm__buf b;
    int rc;
    if (!ctx->store)
        return;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "P2");
    for (const pdm__pending_exec *p = ctx->pending; p; p = p->next) {
        char since[24];
        snprintf(since, sizeof since, "%lld", (long long)p->since);
        put_str(&b, p->server_id);
        put_str(&b, p->uri);
        put_str(&b, p->correlator);
        put_str(&b, since);
    }
    if (!pdm__buf_ok(&b))
        rc = PDM_ENOMEM;
    else if (!ctx->pending)
        rc = pdm__store_kv_del(ctx->store, "core", "exec-pending");
    else
        rc = pdm__store_kv_put(ctx->store, "core", "exec-pending", b.data,
                               b.len);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "cannot save the pending Execs: %s", pdm_strerror(rc));
    pdm__buf_free(&b);
}

/* A string that goes into an XML or WBXML message as it is: text (UTF-8,
 * no NUL or other control byte XML cannot carry) and bounded. */
static bool good_str(const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max + 1) : 0;
    return !s || (n <= max && pdm__xml_is_text(s, n));
}

static const char *bad_field(const char *server_id, const pdm_generic_alert *ga)
{
    if (!good_str(ga->type, PDM__ALERT_STR_MAX))
        return "type";
    if (!good_str(ga->format, PDM__ALERT_STR_MAX))
        return "format";
    if (!good_str(ga->mark, PDM__ALERT_STR_MAX))
        return "mark";
    if (!good_str(ga->correlator, PDM__ALERT_STR_MAX))
        return "correlator";
    if (!good_str(ga->source_uri, PDM__ALERT_URI_MAX))
        return "source_uri";
    if (!good_str(server_id, PDM__ALERT_STR_MAX))
        return "server_id";
    return NULL;
}

static pdm__alert *make_alert(const char *server_id, const pdm_generic_alert *ga,
                              const char *scope)
{
    pdm__alert *a = pdm__calloc(1, sizeof(*a));
    const char *oscope = ga->once_key ? scope : NULL;
    if (!a)
        return NULL;
#define DUP(f, v) (a->f = (v) ? pdm__strdup(v) : NULL, !(v) || a->f)
    if (!DUP(server_id, server_id) || !DUP(source, ga->source_uri) ||
        !DUP(type, ga->type) || !DUP(format, ga->format) ||
        !DUP(mark, ga->mark) || !DUP(correlator, ga->correlator) ||
        !DUP(once_scope, oscope) || !DUP(once_key, ga->once_key)) {
        pdm__engine_free_alerts(a);
        return NULL;
    }
#undef DUP
    a->data = pdm__malloc(ga->data.len ? ga->data.len : 1);
    if (!a->data) {
        pdm__engine_free_alerts(a);
        return NULL;
    }
    if (ga->data.len)
        memcpy(a->data, ga->data.data, ga->data.len);
    a->len = ga->data.len;
    return a;
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

/* What an alert weighs against PDM__ALERTS_BYTES_*: its data and its
 * strings, about what the saved queue spends on it. */
static size_t weight(const char *server_id, const char *source,
                     const char *type, const char *format, const char *mark,
                     const char *corr, size_t len)
{
    return slen(server_id) + slen(source) + slen(type) + slen(format) +
           slen(mark) + slen(corr) + len;
}

static size_t alert_weight(const pdm__alert *a)
{
    return weight(a->server_id, a->source, a->type, a->format, a->mark,
                  a->correlator, a->len) +
           slen(a->once_key);
}

/* Is there room in the queue for one more alert of @w bytes for
 * @server_id (engine.h)?  If not, @why says which bound it would pass. */
static bool room_for(const pdm_ctx *ctx, const char *server_id, size_t w,
                     const char **why)
{
    size_t n = 0, bytes = 0, mine = 0, mine_bytes = 0;
    for (const pdm__alert *a = ctx->alerts; a; a = a->next) {
        size_t aw = alert_weight(a);
        n++;
        bytes += aw;
        if (strcmp(a->server_id, server_id) == 0) {
            mine++;
            mine_bytes += aw;
        }
    }
    *why = mine >= PDM__ALERTS_PER_SERVER ? "alerts for this server"
           : n >= PDM__ALERTS_MAX         ? "alerts in all"
           : w > PDM__ALERTS_BYTES_PER_SERVER - mine_bytes ||
                   mine_bytes > PDM__ALERTS_BYTES_PER_SERVER
               ? "bytes for this server"
           : w > PDM__ALERTS_BYTES_MAX - bytes || bytes > PDM__ALERTS_BYTES_MAX
               ? "bytes in all"
               : NULL;
    return *why == NULL;
}

static void append(pdm_ctx *ctx, pdm__alert *a)
{
    pdm__alert **pp = &ctx->alerts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = a;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Does @ga report the Exec of @uri with @corr?  Its correlator and its
 * Source, where the alert has them, must both be the Exec's. */
static bool reports_exec(const char *uri, const char *corr,
                         const pdm_generic_alert *ga)
{
    if (!ga->correlator && !ga->source_uri)
        return false;
    return (!ga->correlator || same(ga->correlator, corr)) &&
           (!ga->source_uri || same(ga->source_uri, uri));
}

static bool reports(const pdm__pending_exec *p, const pdm_generic_alert *ga)
{
    return reports_exec(p->uri, p->correlator, ga);
}

/* The server of the pending Execs @ga reports: NULL if none, @ambiguous
 * set when they belong to different servers. */
static const char *pending_server(const pdm_ctx *ctx,
                                  const pdm_generic_alert *ga, bool *ambiguous)
{
    const char *srv = NULL;
    *ambiguous = false;
    for (const pdm__pending_exec *p = ctx->pending; p; p = p->next) {
        if (!reports(p, ga))
            continue;
        if (srv && strcmp(srv, p->server_id) != 0)
            *ambiguous = true;
        srv = p->server_id;
    }
    return srv;
}

/* The result of @server_id's oldest pending Exec that @ga reports has
 * come: the record goes. */
static void consume_pending(pdm_ctx *ctx, const char *server_id,
                            const pdm_generic_alert *ga)
{
    for (pdm__pending_exec **pp = &ctx->pending; *pp; pp = &(*pp)->next) {
        pdm__pending_exec *p = *pp;
        if (strcmp(p->server_id, server_id) != 0 || !reports(p, ga))
            continue;
        *pp = p->next;
        p->next = NULL;
        pdm__engine_free_pending(p);
        save_pending(ctx);
        return;
    }
}

/* Was an alert with @key of @scope queued (and still is) or delivered
 * lately?  Then queueing it again would deliver it twice. */
static bool once_seen(const pdm_ctx *ctx, const char *scope, const char *key)
{
    for (const pdm__alert *a = ctx->alerts; a; a = a->next)
        if (same(a->once_scope, scope) && same(a->once_key, key))
            return true;
    for (size_t i = 0; i < ctx->nonce_done; i++) {
        const char *d = ctx->once_done[i];
        size_t sl = strlen(scope);
        if (strncmp(d, scope, sl) == 0 && d[sl] == '\n' &&
            strcmp(d + sl + 1, key) == 0)
            return true;
    }
    return false;
}

int pdm__engine_queue_alert(pdm_ctx *ctx, const char *in_call,
                            const pdm_generic_alert *ga, const char *who,
                            const char *scope)
{
    const char *server_id, *bad, *pend, *full;
    bool ambiguous;
    pdm__alert *a;
    if (!ga || !ga->type || !*ga->type || !ga->format || !*ga->format ||
        (ga->data.len && !ga->data.data) || ga->reserved0 ||
        (ga->server_id && !*ga->server_id))
        return PDM_EINVAL;
    if ((bad = bad_field(ga->server_id, ga))) {
        /* The value itself is not logged: it is what could not be
         * printed safely. */
        pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                  "Generic Alert refused: its %s is not text of at most %d "
                  "bytes (it would break the message that carries it)",
                  bad,
                  strcmp(bad, "source_uri") == 0 ? PDM__ALERT_URI_MAX
                                                 : PDM__ALERT_STR_MAX);
        return PDM_EINVAL;
    }
    if (ga->once_key) {
        if (!*ga->once_key || !good_str(ga->once_key, PDM__ONCE_KEY_MAX)) {
            pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                      "Generic Alert refused: its once_key is not text of 1 "
                      "to %d bytes",
                      PDM__ONCE_KEY_MAX);
            return PDM_EINVAL;
        }
        /* Before any binding: a result queued again after a crash is
         * the same result, whichever server it would be bound to now. */
        if (once_seen(ctx, scope, ga->once_key)) {
            pdm__logf(&ctx->log, PDM_LOG_INFO, who,
                      "Generic Alert %s not queued again: its once_key was "
                      "queued or delivered already",
                      ga->type);
            return PDM_OK;
        }
    }
    server_id = ga->server_id;
    pend = pending_server(ctx, ga, &ambiguous);
    if (!server_id && ambiguous) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                  "Generic Alert %s without a server id refused: its "
                  "correlator/source match pending Execs of several servers",
                  ga->type);
        return PDM_EINVAL;
    }
    if (!server_id && pend && in_call && strcmp(pend, in_call) != 0) {
        /* The specific evidence (the Exec it reports) wins over the
         * moment it comes in, unless the Exec being handled is reported
         * just as well. */
        if (reports_exec(ctx->mo_exec_uri, ctx->mo_exec_corr, ga)) {
            pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                      "Generic Alert %s without a server id refused: it "
                      "matches a pending Exec of %s and the Exec of %s "
                      "being handled",
                      ga->type, pend, in_call);
            return PDM_EINVAL;
        }
        pdm__logf(&ctx->log, PDM_LOG_INFO, who,
                  "Generic Alert %s reports a pending Exec of %s: it goes "
                  "there, not to %s whose command is handled now",
                  ga->type, pend, in_call);
    }
    if (!server_id)
        server_id = pend ? pend : in_call;
    if (!server_id) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                  "Generic Alert %s refused: it names no server, is not "
                  "raised while a server's command is handled and reports "
                  "no pending Exec (correlator/source)",
                  ga->type);
        return PDM_EINVAL;
    }
    if (!room_for(ctx, server_id,
                  weight(server_id, ga->source_uri, ga->type, ga->format,
                         ga->mark, ga->correlator, ga->data.len) +
                      slen(ga->once_key),
                  &full)) {
        /* The new one is refused, never a queued one dropped: a lock or
         * wipe result waiting in the queue must reach its server. */
        pdm__logf(&ctx->log, PDM_LOG_ERROR, who,
                  "Generic Alert %s for %s refused: the queue is full (at "
                  "most %d alerts / %d bytes per server, %d / %d in all; "
                  "limit reached: %s)",
                  ga->type, server_id, PDM__ALERTS_PER_SERVER,
                  PDM__ALERTS_BYTES_PER_SERVER, PDM__ALERTS_MAX,
                  PDM__ALERTS_BYTES_MAX, full);
        return PDM_ENOSPC;
    }
    if (!(a = make_alert(server_id, ga, scope)))
        return PDM_ENOMEM;
    append(ctx, a);
    save(ctx);
    consume_pending(ctx, a->server_id, ga); /* may free server_id */
    pdm__logf(&ctx->log, PDM_LOG_INFO, "core", "Generic Alert %s queued for %s",
              a->type, a->server_id);
    return PDM_OK;
}

/* Removes @server_id's records of the Exec of @uri with @correlator;
 * returns how many records are left. */
static size_t drop_exec(pdm_ctx *ctx, const char *server_id, const char *uri,
                        const char *correlator, bool *dropped)
{
    pdm__pending_exec *p, **pp;
    size_t n = 0;
    for (pp = &ctx->pending; *pp;) {
        p = *pp;
        if (strcmp(p->server_id, server_id) == 0 && strcmp(p->uri, uri) == 0 &&
            (p->correlator == correlator ||
             same(p->correlator, correlator))) {
            *pp = p->next;
            p->next = NULL;
            pdm__engine_free_pending(p);
            *dropped = true;
            continue;
        }
        n++;
        pp = &p->next;
    }
    return n;
}

void pdm__alerts_exec_settled(pdm_ctx *ctx, const char *server_id,
                              const char *uri, const char *correlator)
{
    bool dropped = false;
    if (!server_id || !uri)
        return;
    drop_exec(ctx, server_id, uri, correlator, &dropped);
    if (dropped)
        save_pending(ctx);
}

int pdm__alerts_exec_pending(pdm_ctx *ctx, const char *server_id,
                             const char *uri, const char *correlator)
{
    pdm__pending_exec *p, **pp;
    size_t n;
    bool dropped = false;
    if (!server_id || !uri)
        return PDM_OK;
    /* The same Exec again (a server repeating it) replaces its record. */
    n = drop_exec(ctx, server_id, uri, correlator, &dropped);
    while (n >= PDM__PENDING_MAX && ctx->pending) {
        p = ctx->pending;
        ctx->pending = p->next;
        p->next = NULL;
        pdm__logf(&ctx->log, PDM_LOG_WARN, "core",
                  "%d pending Execs: the oldest (%s from %s) is forgotten; "
                  "its result will be refused",
                  PDM__PENDING_MAX, p->uri, p->server_id);
        pdm__engine_free_pending(p);
        n--;
    }
    p = pdm__calloc(1, sizeof(*p));
    if (p)
        p->since = (int64_t)time(NULL);
    if (!p || !(p->server_id = pdm__strdup(server_id)) ||
        !(p->uri = pdm__strdup(uri)) ||
        (correlator && !(p->correlator = pdm__strdup(correlator)))) {
        pdm__engine_free_pending(p);
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "out of memory for the record of the Exec %s of %s: "
                  "not started", uri, server_id);
        return PDM_ENOMEM;
    }
    for (pp = &ctx->pending; *pp; pp = &(*pp)->next)
        ;
    *pp = p;
    save_pending(ctx);
    return PDM_OK;
}

/* One field of a saved record: "-" (absent) or "<n>:<n bytes>". */
static bool get_field(const uint8_t **p, const uint8_t *end, char **out,
                      size_t *len)
{
    size_t n = 0;
    *out = NULL;
    *len = 0;
    if (*p < end && **p == '-') {
        (*p)++;
        return true;
    }
    while (*p < end && **p >= '0' && **p <= '9' && n < ((size_t)1 << 40))
        n = n * 10 + (size_t)(*(*p)++ - '0');
    if (*p >= end || **p != ':' || n > (size_t)(end - *p - 1))
        return false;
    (*p)++;
    *out = pdm__strndup((const char *)*p, n);
    *p += n;
    *len = n;
    return *out != NULL;
}

/* ---- delivered once_keys ---------------------------------------------------- */

void pdm__alerts_free_once(pdm_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nonce_done; i++)
        pdm__free(ctx->once_done[i]);
    pdm__free(ctx->once_done);
    ctx->once_done = NULL;
    ctx->nonce_done = 0;
}

static void save_once(pdm_ctx *ctx)
{
    pdm__buf b;
    int rc;
    if (!ctx->store)
        return;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "O1");
    for (size_t i = 0; i < ctx->nonce_done; i++) {
        const char *d = ctx->once_done[i], *nl = strchr(d, '\n');
        put_field(&b, d, (size_t)(nl - d), true);
        put_str(&b, nl + 1);
    }
    if (!pdm__buf_ok(&b))
        rc = PDM_ENOMEM;
    else if (!ctx->nonce_done)
        rc = pdm__store_kv_del(ctx->store, "core", "once-delivered");
    else
        rc = pdm__store_kv_put(ctx->store, "core", "once-delivered", b.data,
                               b.len);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "cannot save the delivered once_keys: %s",
                  pdm_strerror(rc));
    pdm__buf_free(&b);
}

/* Remembers a delivered key ("scope\nkey"), the oldest going past
 * PDM__ONCE_KEPT.  Not saved here: the caller saves once for all. */
static void note_once(pdm_ctx *ctx, const char *scope, const char *key)
{
    char *d;
    size_t sl = strlen(scope), kl = strlen(key);
    if (!ctx->once_done &&
        !(ctx->once_done = pdm__calloc(PDM__ONCE_KEPT, sizeof(char *))))
        return;
    if (!(d = pdm__malloc(sl + kl + 2)))
        return;
    memcpy(d, scope, sl);
    d[sl] = '\n';
    memcpy(d + sl + 1, key, kl + 1);
    if (ctx->nonce_done == PDM__ONCE_KEPT) {
        pdm__free(ctx->once_done[0]);
        memmove(ctx->once_done, ctx->once_done + 1,
                (PDM__ONCE_KEPT - 1) * sizeof(char *));
        ctx->nonce_done--;
    }
    ctx->once_done[ctx->nonce_done++] = d;
}

static void load_once(pdm_ctx *ctx)
{
    pdm_blob v = {NULL, 0};
    const uint8_t *p, *end;
    bool ok;
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", "once-delivered", &v.data,
                          &v.len) != PDM_OK)
        return;
    ok = v.len >= 2 && memcmp(v.data, "O1", 2) == 0;
    p = v.data + 2;
    end = v.data + v.len;
    while (ok && p < end) {
        char *sc = NULL, *key = NULL;
        size_t sl = 0, kl = 0;
        ok = get_field(&p, end, &sc, &sl) && get_field(&p, end, &key, &kl) &&
             sc && key && strlen(sc) == sl && strlen(key) == kl &&
             !strchr(sc, '\n');
        if (ok)
            note_once(ctx, sc, key);
        pdm__free(sc);
        pdm__free(key);
    }
    if (!ok)
        /* Fewer remembered keys: a result might go out twice, never be
         * lost (correlators let the server spot a repeat). */
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "the saved delivered once_keys are damaged: the rest is "
                  "dropped");
    pdm__free(v.data);
}

static void load_pending(pdm_ctx *ctx)
{
    pdm_blob v = {NULL, 0};
    const uint8_t *p, *end;
    pdm__pending_exec **tail = &ctx->pending;
    size_t n = 0;
    int nf;
    bool ok;
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", "exec-pending", &v.data,
                          &v.len) != PDM_OK)
        return;
    ok = v.len >= 2 && (memcmp(v.data, "P1", 2) == 0 ||
                        memcmp(v.data, "P2", 2) == 0);
    nf = ok && v.data[1] == '2' ? 4 : 3;
    p = ok ? v.data + 2 : v.data;
    end = v.data + v.len;
    while (ok && p < end && n < PDM__PENDING_MAX) {
        char *f[4] = {NULL, NULL, NULL, NULL};
        size_t len[4];
        pdm__pending_exec *r;
        for (int i = 0; i < nf && ok; i++)
            ok = get_field(&p, end, &f[i], &len[i]);
        /* A NUL inside the server id would make it another server's. */
        r = ok && f[0] && *f[0] && strlen(f[0]) == len[0] && f[1]
                ? pdm__calloc(1, sizeof(*r))
                : NULL;
        if (!r) {
            for (int i = 0; i < 4; i++)
                pdm__free(f[i]);
            ok = false;
            break;
        }
        r->server_id = f[0];
        r->uri = f[1];
        r->correlator = f[2];
        r->since = f[3] ? strtoll(f[3], NULL, 10) : 0;
        pdm__free(f[3]);
        *tail = r;
        tail = &r->next;
        n++;
    }
    if (!ok || p != end) {
        /* Results of the Execs lost here are refused, never misrouted. */
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "the saved pending Execs are damaged after %zu record(s): "
                  "the rest is dropped",
                  n);
        save_pending(ctx);
    }
    pdm__free(v.data);
}

void pdm__alerts_load(pdm_ctx *ctx)
{
    pdm_blob v = {NULL, 0};
    const uint8_t *p, *end;
    size_t n = 0;
    int nf;
    bool dropped = false;
    load_pending(ctx);
    load_once(ctx);
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", "alerts", &v.data, &v.len) !=
            PDM_OK)
        return;
    p = v.data;
    end = v.data + v.len;
    if (v.len < 2 || (memcmp(p, "A1", 2) != 0 && memcmp(p, "A2", 2) != 0)) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "the saved Generic Alert queue is damaged: ignored");
        pdm__free(v.data);
        return;
    }
    nf = p[1] == '2' ? 9 : 7;
    p += 2;
    while (p < end) {
        char *f[9] = {NULL};
        size_t len[9];
        bool ok = true;
        pdm__alert *a;
        for (int i = 0; i < nf; i++)
            if (ok)
                ok = get_field(&p, end, &f[i], &len[i]);
            else
                f[i] = NULL;
        if (ok && (!f[0] || !*f[0])) {
            /* Saved by a version that queued alerts for "any server":
             * nobody can say whose it is, so no server gets it. */
            pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                      "a saved Generic Alert (%s) names no server: dropped",
                      f[2] ? f[2] : "?");
            for (int i = 0; i < 9; i++)
                pdm__free(f[i]);
            dropped = true;
            continue;
        }
        if (ok && f[2] && f[3] && f[6]) {
            /* Whatever the store holds must not break a message. */
            pdm_generic_alert g;
            memset(&g, 0, sizeof g);
            g.source_uri = f[1];
            g.type = f[2];
            g.format = f[3];
            g.mark = f[4];
            g.correlator = f[5];
            ok = !bad_field(f[0], &g) && !f[7] == !f[8] &&
                 (!f[8] || good_str(f[8], PDM__ONCE_KEY_MAX));
            for (int i = 0; i < 9; i++)
                ok = ok && (i == 6 || !f[i] || strlen(f[i]) == len[i]);
        }
        a = ok && f[2] && f[3] && f[6] ? pdm__calloc(1, sizeof(*a)) : NULL;
        if (!a) {
            for (int i = 0; i < 9; i++)
                pdm__free(f[i]);
            pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                      "the saved Generic Alert queue is damaged after %zu "
                      "alert(s): the rest is dropped",
                      n);
            break;
        }
        a->server_id = f[0];
        a->source = f[1];
        a->type = f[2];
        a->format = f[3];
        a->mark = f[4];
        a->correlator = f[5];
        a->data = (uint8_t *)f[6];
        a->len = len[6];
        a->once_scope = f[7];
        a->once_key = f[8];
        append(ctx, a);
        n++;
    }
    pdm__free(v.data);
    if (dropped)
        save(ctx);
    if (n)
        pdm__logf(&ctx->log, PDM_LOG_INFO, "core",
                  "%zu Generic Alert(s) waiting for a session", n);
}

void pdm__alerts_session_end(pdm_ctx *ctx, bool delivered)
{
    pdm__alert **pp = &ctx->alerts;
    bool changed = false, once = false;
    while (*pp) {
        pdm__alert *a = *pp;
        if (a->in_flight && delivered) {
            *pp = a->next;
            a->next = NULL;
            if (a->once_key && a->once_scope) {
                note_once(ctx, a->once_scope, a->once_key);
                once = true;
            }
            pdm__engine_free_alerts(a);
            changed = true;
            continue;
        }
        a->in_flight = false;
        pp = &a->next;
    }
    /* The keys first: a crash between the two writes leaves the alert
     * queued and its key remembered, so it still goes out once. */
    if (once)
        save_once(ctx);
    if (changed)
        save(ctx);
}

void pdm__alerts_reset(pdm_ctx *ctx)
{
    pdm__engine_free_alerts(ctx->alerts);
    ctx->alerts = NULL;
    pdm__engine_free_pending(ctx->pending);
    ctx->pending = NULL;
    pdm__alerts_free_once(ctx);
    save(ctx);
    save_pending(ctx);
    save_once(ctx);
}

/* Does no DM account carry @server_id?  Only a clear "no such account"
 * counts: two accounts with it (an ambiguous tree) or any other answer
 * keep the records. */
static bool orphan(const pdm_ctx *ctx, const char *server_id)
{
    pdm__node *acc = NULL;
    return pdm__dmacc_find(ctx->tree, server_id, &acc, NULL) == PDM_ENOTFOUND;
}

void pdm__alerts_prune(pdm_ctx *ctx)
{
    size_t na = 0, np = 0;
    char reason[160];
    struct timeval tv;
    if (!ctx->tree || (ctx->flags & PDM_CTX_READONLY) ||
        pdm__tree_in_transaction(ctx->tree))
        return;
    for (pdm__alert **pp = &ctx->alerts; *pp;) {
        pdm__alert *a = *pp;
        if (a->in_flight || !orphan(ctx, a->server_id)) {
            pp = &a->next;
            continue;
        }
        *pp = a->next;
        a->next = NULL;
        pdm__engine_free_alerts(a);
        na++;
    }
    for (pdm__pending_exec **pp = &ctx->pending; *pp;) {
        pdm__pending_exec *p = *pp;
        if (!orphan(ctx, p->server_id)) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        p->next = NULL;
        pdm__engine_free_pending(p);
        np++;
    }
    if (!na && !np)
        return;
    if (na)
        save(ctx);
    if (np)
        save_pending(ctx);
    /* Counts only: the alerts' data and server ids stay out of the log
     * and the audit trail. */
    snprintf(reason, sizeof reason,
             "%zu Generic Alert(s) and %zu pending Exec(s) of servers "
             "without a DM account dropped",
             na, np);
    pdm__logf(&ctx->log, PDM_LOG_WARN, "core", "%s", reason);
    if (ctx->store) {
        pdm__audit_rec r;
        memset(&r, 0, sizeof r);
        gettimeofday(&tv, NULL);
        r.ts_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        r.principal = "factory";
        r.op = "Alerts";
        r.decision = "info";
        r.component = "core";
        r.reason = reason;
        pdm__store_audit_add(ctx->store, &r);
    }
}

size_t pdm__alerts_forget(pdm_ctx *ctx, const char *server_id)
{
    size_t na = 0, np = 0;
    if (!ctx || !server_id || (ctx->flags & PDM_CTX_READONLY))
        return 0;
    /* In flight: the running session carries it; its end decides. */
    for (pdm__alert **pp = &ctx->alerts; *pp;) {
        pdm__alert *a = *pp;
        if (a->in_flight || strcmp(a->server_id, server_id) != 0) {
            pp = &a->next;
            continue;
        }
        *pp = a->next;
        a->next = NULL;
        pdm__engine_free_alerts(a);
        na++;
    }
    for (pdm__pending_exec **pp = &ctx->pending; *pp;) {
        pdm__pending_exec *p = *pp;
        if (strcmp(p->server_id, server_id) != 0) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        p->next = NULL;
        pdm__engine_free_pending(p);
        np++;
    }
    if (na)
        save(ctx);
    if (np)
        save_pending(ctx);
    if (na || np)
        pdm__logf(&ctx->log, PDM_LOG_INFO, "core",
                  "%zu Generic Alert(s) and %zu pending Exec(s) of the "
                  "deleted account %s dropped",
                  na, np, server_id);
    return na;
}

PDM_API int pdm_ctx_queue_alert(pdm_ctx *ctx, const pdm_generic_alert *ga)
{
    pdm_generic_alert g;
    if (!ctx || !ga ||
        ga->struct_size < offsetof(pdm_generic_alert, server_id) + sizeof(char *))
        return PDM_EINVAL;
    /* Fields the caller's (older) struct does not have read as NULL. */
    memset(&g, 0, sizeof g);
    memcpy(&g, ga, ga->struct_size < sizeof g ? ga->struct_size : sizeof g);
    return pdm__engine_queue_alert(ctx, NULL, &g, "api", "integrator");
}

PDM_API int pdm_ctx_pending_exec(pdm_ctx *ctx, size_t i,
                                 pdm_pending_exec *out)
{
    const pdm__pending_exec *p;
    uint32_t size;
    if (!ctx || !out || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    for (p = ctx->pending; p && i; p = p->next)
        i--;
    if (!p)
        return PDM_ENOTFOUND;
    size = out->struct_size;
    memset(out, 0, sizeof *out);
    out->struct_size = size;
    out->server_id = p->server_id;
    out->uri = p->uri;
    out->correlator = p->correlator;
    out->since = p->since;
    return PDM_OK;
}

PDM_API size_t pdm_ctx_pending_alerts(const pdm_ctx *ctx, const char **server_id)
{
    size_t n = 0;
    if (server_id)
        *server_id = NULL;
    for (const pdm__alert *a = ctx ? ctx->alerts : NULL; a; a = a->next) {
        if (a->in_flight)
            continue;
        if (!n++ && server_id)
            *server_id = a->server_id;
    }
    return n;
}
