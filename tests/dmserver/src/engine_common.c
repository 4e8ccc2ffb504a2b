/*
 * The engine's small shared tools: allocation that aborts instead of
 * failing (a test server has nothing to degrade to), printable values for
 * failure messages, the failure list and progress log, ${variables} and
 * data expressions, and the transcript writer.  Kept apart so that every
 * seam reports failures and expands values the same way.
 */
#include "engine_int.h"

#include <stdarg.h>
#include <time.h>

#include "dmsauth.h"

/* ---- small helpers -------------------------------------------------------- */

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xmalloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

void *azalloc(pdm__arena *a, size_t n)
{
    void *p = pdm__arena_zalloc(a, n ? n : 1);
    if (!p) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return p;
}

char *adupn(pdm__arena *a, const void *p, size_t n)
{
    char *d = pdm__arena_memdup(a, p ? p : "", p ? n : 0);
    if (!d) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return d;
}

char *adup(pdm__arena *a, const char *s)
{
    return s ? adupn(a, s, strlen(s)) : NULL;
}

long end_wait(const dms_engine *e)
{
    return e->cfg.end_wait_ms >= 0 ? e->cfg.end_wait_ms : e->sc->end_wait_ms;
}

long timeout_ms(const dms_engine *e)
{
    return 1000L * (e->cfg.timeout_s > 0 ? e->cfg.timeout_s
                                           : e->sc->timeout_s);
}

/* Printable, shortened form of a value for messages. */
const char *show(pdm__arena *a, const uint8_t *p, size_t n)
{
    pdm__buf b;
    char *r;
    if (!p)
        return "(none)";
    pdm__buf_init(&b);
    pdm__buf_putc(&b, '"');
    for (size_t i = 0; i < n && i < 120; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            pdm__buf_printf(&b, "\\%c", c);
        else if (c == '\n')
            pdm__buf_puts(&b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            pdm__buf_printf(&b, "\\x%02x", c);
        else
            pdm__buf_putc(&b, c);
    }
    pdm__buf_putc(&b, '"');
    if (n > 120)
        pdm__buf_printf(&b, "... (%zu bytes)", n);
    r = adupn(a, b.data, b.len);
    pdm__buf_free(&b);
    return r;
}

const char *shows(pdm__arena *a, const char *s)
{
    return s ? show(a, (const uint8_t *)s, strlen(s)) : "(none)";
}

/* ---- failures ------------------------------------------------------------- */

static void add_failure(dms_engine *e, const char *msg)
{
    char **f = realloc(e->fails, (e->nfails + 1) * sizeof *f);
    if (!f)
        abort();
    e->fails = f;
    e->fails[e->nfails++] = xstrdup(msg);
    if (e->cfg.verbose && e->cfg.log)
        fprintf(e->cfg.log, "FAIL %s\n", msg);
}

static void failv(dms_engine *e, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void failv(dms_engine *e, int line, const char *fmt, va_list ap)
{
    char msg[2048];
    int n;
    if (line > 0)
        n = snprintf(msg, sizeof msg, "%s:%d: %s%s", e->sc->file, line,
                     e->where, e->where[0] ? ": " : "");
    else
        n = snprintf(msg, sizeof msg, "%s: %s%s", e->sc->file, e->where,
                     e->where[0] ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof msg)
        n = 0;
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    add_failure(e, msg);
}

void failf(dms_engine *e, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(e, line, fmt, ap);
    va_end(ap);
}

void dms_engine_fail(dms_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(e, 0, fmt, ap);
    va_end(ap);
}

void logv(dms_engine *e, const char *fmt, ...)
{
    va_list ap;
    if (!e->cfg.verbose || !e->cfg.log)
        return;
    va_start(ap, fmt);
    fputs("polydm-testserver: ", e->cfg.log);
    vfprintf(e->cfg.log, fmt, ap);
    fputc('\n', e->cfg.log);
    va_end(ap);
}

void set_where(dms_engine *e, const sess *s)
{
    const char *nm = s->sc->name;
    if (s->pkgno <= 1)
        snprintf(e->where, sizeof e->where, "session %zu%s%s%s, package 1",
                 s->idx + 1, nm ? " \"" : "", nm ? nm : "", nm ? "\"" : "");
    else
        snprintf(e->where, sizeof e->where,
                 "session %zu%s%s%s, package %d (reply to package %d)",
                 s->idx + 1, nm ? " \"" : "", nm ? nm : "", nm ? "\"" : "",
                 s->pkgno, s->pkgno - 1);
}

/* ---- variables ------------------------------------------------------------- */

static const char *var_get(const dms_engine *e, const char *name)
{
    for (size_t i = 0; i < e->nv; i++)
        if (strcmp(e->vn[i], name) == 0)
            return e->vv[i];
    return NULL;
}

void var_set(dms_engine *e, const char *name, const char *value)
{
    for (size_t i = 0; i < e->nv; i++)
        if (strcmp(e->vn[i], name) == 0) {
            free(e->vv[i]);
            e->vv[i] = xstrdup(value);
            return;
        }
    e->vn = realloc(e->vn, (e->nv + 1) * sizeof *e->vn);
    e->vv = realloc(e->vv, (e->nv + 1) * sizeof *e->vv);
    if (!e->vn || !e->vv)
        abort();
    e->vn[e->nv] = xstrdup(name);
    e->vv[e->nv] = xstrdup(value);
    e->nv++;
}

void var_set_b64(dms_engine *e, const char *name, const uint8_t *p,
                 size_t n)
{
    pdm__buf b;
    char *t;
    pdm__buf_init(&b);
    dms_b64_encode(p, n, &b);
    /* by length: an empty encoding may leave data unterminated */
    t = xmalloc(b.len + 1);
    if (b.len)
        memcpy(t, b.data, b.len);
    t[b.len] = 0;
    var_set(e, name, t);
    free(t);
    pdm__buf_free(&b);
}

/* Expands ${name}; NULL stays NULL.  Unknown names are failures. */
char *expand(dms_engine *e, pdm__arena *a, const char *s, int line)
{
    pdm__buf b;
    const char *p;
    char *r;
    if (!s)
        return NULL;
    if (!strstr(s, "${"))
        return adup(a, s);
    pdm__buf_init(&b);
    p = s;
    while (*p) {
        const char *st = strstr(p, "${"), *en;
        if (!st) {
            pdm__buf_puts(&b, p);
            break;
        }
        pdm__buf_append(&b, p, (size_t)(st - p));
        en = strchr(st + 2, '}');
        if (!en) {
            pdm__buf_puts(&b, st);
            break;
        }
        {
            char name[128];
            const char *v;
            size_t nl = (size_t)(en - st - 2);
            if (nl >= sizeof name)
                nl = sizeof name - 1;
            memcpy(name, st + 2, nl);
            name[nl] = 0;
            v = var_get(e, name);
            if (!v) {
                failf(e, line, "variable ${%s} has no value here", name);
                v = "";
            }
            pdm__buf_puts(&b, v);
        }
        p = en + 1;
    }
    r = adupn(a, b.data ? (const char *)b.data : "", b.len);
    pdm__buf_free(&b);
    return r;
}

/* Expands and evaluates a data expression into arena bytes. */
bool eval_data(dms_engine *e, pdm__arena *a, const char *expr, int line,
               uint8_t **out, size_t *len)
{
    char err[256];
    pdm__buf b;
    char *x = expand(e, a, expr, line);
    *out = NULL;
    *len = 0;
    if (!x)
        return true;
    pdm__buf_init(&b);
    if (sml_data_eval(x, e->sc->dir, &b, err, sizeof err) != 0) {
        failf(e, line, "%s", err);
        pdm__buf_free(&b);
        return false;
    }
    *out = (uint8_t *)adupn(a, b.data ? b.data : (const uint8_t *)"", b.len);
    *len = b.len;
    pdm__buf_free(&b);
    return true;
}

/* ---- transcript ------------------------------------------------------------ */

void dms_transcript(FILE *f, const char *dir, unsigned seq,
                    const char *label, const char *ctype, const char *hmac,
                    const uint8_t *body, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char when[64];
    int enc = sml_ctype_encoding(ctype);
    if (!f)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "=== #%u %s %s.%03ldZ %s\n", seq, dir, when,
            ts.tv_nsec / 1000000L, label ? label : "");
    fprintf(f, "Content-Type: %s\n", ctype ? ctype : "(none)");
    if (hmac)
        fprintf(f, "x-syncml-hmac: %s\n", hmac);
    if (enc == 2) {
        pdm__buf b;
        pdm__doc d;
        char err[200];
        pdm__buf_init(&b);
        sml_hexdump(body, len, &b);
        fprintf(f, "--- WBXML %zu bytes\n%s", len,
                b.data ? (char *)b.data : "");
        pdm__buf_reset(&b);
        pdm__doc_init(&d);
        if (sml_decode(&d, body, len, 2, err, sizeof err) == PDM_OK) {
            sml_render(d.root, &b);
            fprintf(f, "--- XML (decoded)\n%s", b.data ? (char *)b.data : "");
        } else {
            fprintf(f, "--- XML: not decodable: %s\n", err);
        }
        pdm__doc_free(&d);
        pdm__buf_free(&b);
    } else {
        fprintf(f, "--- XML %zu bytes\n", len);
        fwrite(body, 1, len, f);
        if (len && body[len - 1] != '\n')
            fputc('\n', f);
    }
    fputs("===\n\n", f);
    fflush(f);
}
