/*
 * The Generic Alert queue (see engine.h): alerts from MO plugins (an
 * asynchronous Exec's result) and from the integrator, kept in the store
 * until a session delivers them.
 *
 * Every alert is bound to one ServerID when it is queued and only a
 * session with exactly that server carries it: a lock or wipe result
 * must never reach another server.
 *
 * Saved format (kv "core"/"alerts"): "A1" then per alert seven fields
 * (server id, source, type, format, mark, correlator, data), each "-" for
 * absent or "<decimal length>:<bytes>".  Small and self-delimiting; the
 * whole queue is rewritten on every change (it holds a few alerts).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "store/store.h"
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
        pdm__free(a);
        a = n;
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
    pdm__buf_puts(&b, "A1");
    for (const pdm__alert *a = ctx->alerts; a; a = a->next) {
        put_str(&b, a->server_id);
        put_str(&b, a->source);
        put_str(&b, a->type);
        put_str(&b, a->format);
        put_str(&b, a->mark);
        put_str(&b, a->correlator);
        put_field(&b, a->data, a->len, true);
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

static pdm__alert *make_alert(const char *server_id, const pdm_generic_alert *ga)
{
    pdm__alert *a = pdm__calloc(1, sizeof(*a));
    if (!a)
        return NULL;
#define DUP(f, v) (a->f = (v) ? pdm__strdup(v) : NULL, !(v) || a->f)
    if (!DUP(server_id, server_id) || !DUP(source, ga->source_uri) ||
        !DUP(type, ga->type) || !DUP(format, ga->format) ||
        !DUP(mark, ga->mark) || !DUP(correlator, ga->correlator)) {
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

static void append(pdm_ctx *ctx, pdm__alert *a)
{
    pdm__alert **pp = &ctx->alerts;
    while (*pp)
        pp = &(*pp)->next;
    *pp = a;
}

int pdm__engine_queue_alert(pdm_ctx *ctx, const char *server_id,
                            const pdm_generic_alert *ga)
{
    pdm__alert *a;
    if (!ga || !ga->type || !*ga->type || !ga->format || !*ga->format ||
        (ga->data.len && !ga->data.data) || ga->reserved0)
        return PDM_EINVAL;
    if (!server_id || !*server_id) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "Generic Alert %s refused: it names no server and is not "
                  "the result of an Exec being handled",
                  ga->type);
        return PDM_EINVAL;
    }
    if (!(a = make_alert(server_id, ga)))
        return PDM_ENOMEM;
    append(ctx, a);
    save(ctx);
    pdm__logf(&ctx->log, PDM_LOG_INFO, "core", "Generic Alert %s queued for %s",
              a->type, server_id);
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

void pdm__alerts_load(pdm_ctx *ctx)
{
    pdm_blob v = {NULL, 0};
    const uint8_t *p, *end;
    size_t n = 0;
    bool dropped = false;
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", "alerts", &v.data, &v.len) !=
            PDM_OK)
        return;
    p = v.data;
    end = v.data + v.len;
    if (v.len < 2 || memcmp(p, "A1", 2) != 0) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "the saved Generic Alert queue is damaged: ignored");
        pdm__free(v.data);
        return;
    }
    p += 2;
    while (p < end) {
        char *f[7] = {NULL};
        size_t len[7];
        bool ok = true;
        pdm__alert *a;
        for (int i = 0; i < 7; i++)
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
            for (int i = 0; i < 7; i++)
                pdm__free(f[i]);
            dropped = true;
            continue;
        }
        a = ok && f[2] && f[3] && f[6] ? pdm__calloc(1, sizeof(*a)) : NULL;
        if (!a) {
            for (int i = 0; i < 7; i++)
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
    bool changed = false;
    while (*pp) {
        pdm__alert *a = *pp;
        if (a->in_flight && delivered) {
            *pp = a->next;
            a->next = NULL;
            pdm__engine_free_alerts(a);
            changed = true;
            continue;
        }
        a->in_flight = false;
        pp = &a->next;
    }
    if (changed)
        save(ctx);
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
    return pdm__engine_queue_alert(ctx, g.server_id, &g);
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
