/*
 * polydm-testserver engine (see engine.h).
 *
 * One session at a time: the scenario's sessions run in order.  A session
 * is keyed by the client's SessionID and Source/LocURI; its messages are
 * answered in the client's encoding.  Per client message:
 *   1. header checks (VerDTD, VerProto, MsgID sequence, RespURI use),
 *   2. client authentication (basic, md5 with the nonce we issued, HMAC
 *      over the exact body) -> SyncHdr status 212/200/401/407 (+ Chal),
 *   3. the body: statuses and results are matched to the commands we sent
 *      (MsgRef/CmdRef), alerts and DevInfo are recorded and statused,
 *   4. the answer: the next message of the current server package, a
 *      "next message" response (Alert 1222), or - when the client's
 *      package is complete (Final) - the evaluation of the expectations
 *      and the next package of the scenario, or the end package (Status +
 *      Final only).
 */
#define _GNU_SOURCE /* memmem */
#include "engine.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <polydm/types.h>

#include "bsdoc.h"
#include "dmsauth.h"
#include "push.h"
#include "sml.h"

#define NONCE_MAX 256
#define MAX_SMSGS 512
#define SIZE_MARGIN 16 /* room for <Final/> after a size check */

/* ---- runtime model ------------------------------------------------------ */

typedef struct rt_item {
    char *target, *source, *format, *type;
    uint8_t *data; /* wire bytes (base64 text for b64/bin in XML) */
    size_t len;
    bool has_data;
    bool opaque;   /* WBXML OPAQUE */
    long size_override;
} rt_item;

typedef struct rt_cmd {
    const sc_cmd *sc;
    int kind;
    rt_item *items;
    size_t nitems;
    char *alert_code, *correlator;
    struct rt_cmd *kids;
    size_t nkids;
    /* large object */
    bool chunked;
    size_t chunk_size;
    size_t off;       /* wire bytes already sent */
    int nchunks;      /* chunks sent */
    bool warned;
} rt_cmd;

typedef struct sent_rec {
    rt_cmd *cmd;      /* NULL: our own Alert 1222 */
    int msgid, cmdid;
    int chunk;        /* -1: not a chunk */
    bool last;        /* last chunk */
} sent_rec;

typedef struct rx_item {
    char *source, *target, *format, *type, *mark;
    uint8_t *data;
    size_t len;
    bool has_data;
    bool moredata;
    long size;
} rx_item;

typedef struct rx_status {
    struct rx_status *next;
    int cmsg;
    int msgref, cmdref;
    char *cmd;
    int code;
    char *targetref, *sourceref;
    char **items;
    size_t nitems;
    int chal_type;
} rx_status;

/* Results, Alert and Replace from the client. */
typedef struct rx_cmd {
    struct rx_cmd *next;
    int cmsg;
    int cmdid;
    int msgref, cmdref;
    int code;          /* Alert code */
    char *correlator;
    rx_item *items;
    size_t nitems;
    bool used;
} rx_cmd;

/* A status we owe the client (answered in our next message). */
typedef struct pend {
    struct pend *next;
    int msgref, cmdref;
    const char *cmd;
    int code;
    const char *targetref, *sourceref;
    int chal_type;     /* 0: no Chal */
    uint8_t nonce[NONCE_MAX];
    size_t nlen;
} pend;

enum { ST_PKG1 = 1, ST_STEP, ST_WAIT_END, ST_DONE };
enum { MSG_PACKAGE = 1, MSG_NEXT, MSG_END, MSG_AUTHFAIL, MSG_ABORT };

typedef struct sess {
    size_t idx;
    const sc_session *sc;
    pdm__arena sa; /* session lifetime */
    pdm__arena pa; /* the current exchange (server package + reply) */
    char *sid, *devid, *token, *server_url;
    int state;
    long step;     /* -1 during package 1 */
    int pkgno;     /* client package being collected: 1, 3, 5 ... */
    int last_cmsg;
    int smsg;
    int enc;       /* 1 XML, 2 WBXML */
    long cmax_msg, cmax_obj;
    /* client authentication */
    int cauth;
    bool cauthed;
    int cfails;
    size_t chal_next;
    bool auth_failed_once;
    bool expect_fail_done;
    uint8_t cnonce[NONCE_MAX];
    size_t cnonce_len;
    int nmsgs;
    /* server authentication */
    bool saccepted;
    uint8_t snonce[NONCE_MAX];
    size_t snonce_len;
    /* the package being sent */
    rt_cmd *cmds;
    size_t ncmds;
    size_t unit;
    bool final_sent;
    sent_rec *sent;
    size_t nsent, capsent;
    int smsgs[MAX_SMSGS];
    size_t nsmsgs;
    /* what the client sent in its current package */
    rx_status *st;
    rx_cmd *res, *al, *repl;
    bool final_seen, abort_seen;
    int hdr_refusal;
    /* a chunked Results from the client */
    pdm__buf lo;
    bool lo_on;
    int lo_msgref, lo_cmdref;
    long lo_size;
    char *lo_source;
    /* timers */
    double t_last, deadline;
    bool silence_ok;
    bool notified;
    bool bootstrapped; /* first session of a generated account */
    uint16_t pkg0_sid;
    bool resp_uri_sent;
} sess;

struct dms_engine {
    scenario *sc;
    dms_config cfg;
    char **vn, **vv;
    size_t nv;
    char **fails;
    size_t nfails;
    unsigned long nchecks;
    size_t next_session;
    size_t pushed;
    bool pushes_ok;
    bool pending_notified;
    uint16_t pending_sid;
    bool pending_bootstrapped; /* a generated account was pushed */
    sess *cur;
    bool done, aborted;
    double t_start, t_wait;
    char where[200];
    unsigned seq;
    pdm__arena ra; /* per request */
    pend *pend;
};

/* ---- small helpers -------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xmalloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static void *azalloc(pdm__arena *a, size_t n)
{
    void *p = pdm__arena_zalloc(a, n ? n : 1);
    if (!p) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return p;
}

static char *adupn(pdm__arena *a, const void *p, size_t n)
{
    char *d = pdm__arena_memdup(a, p ? p : "", p ? n : 0);
    if (!d) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return d;
}

static char *adup(pdm__arena *a, const char *s)
{
    return s ? adupn(a, s, strlen(s)) : NULL;
}

static long end_wait(const dms_engine *e)
{
    return e->cfg.end_wait_ms >= 0 ? e->cfg.end_wait_ms : e->sc->end_wait_ms;
}

static long timeout_ms(const dms_engine *e)
{
    return 1000L * (e->cfg.timeout_s > 0 ? e->cfg.timeout_s
                                           : e->sc->timeout_s);
}

/* Printable, shortened form of a value for messages. */
static const char *show(pdm__arena *a, const uint8_t *p, size_t n)
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

static const char *shows(pdm__arena *a, const char *s)
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

static void failf(dms_engine *e, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void failf(dms_engine *e, int line, const char *fmt, ...)
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

static void logv(dms_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logv(dms_engine *e, const char *fmt, ...)
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

static void set_where(dms_engine *e, const sess *s)
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

static void var_set(dms_engine *e, const char *name, const char *value)
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

static void var_set_b64(dms_engine *e, const char *name, const uint8_t *p,
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
static char *expand(dms_engine *e, pdm__arena *a, const char *s, int line)
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
static bool eval_data(dms_engine *e, pdm__arena *a, const char *expr, int line,
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

static void do_pushes(dms_engine *e, const sc_session *se)
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

static void emit(dms_engine *e, sess *s, int kind, const char *host,
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

static void reset_exchange(sess *s)
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

static void start_step(dms_engine *e, sess *s, long k)
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

static pend *add_pend(dms_engine *e, int msgref, int cmdref, const char *cmd,
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
static void hdr_status(dms_engine *e, sess *s, const pdm__el *st, int code,
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
static void read_body(dms_engine *e, sess *s, const pdm__el *body, int cmsg,
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

/* ---- client authentication --------------------------------------------------- */

typedef struct authres {
    int code;        /* status for the client's SyncHdr */
    int chal_type;   /* 0 none */
    uint8_t nonce[NONCE_MAX];
    size_t nlen;
    bool failed;     /* 401/407 */
    const char *why;
} authres;

static void fresh_nonce(dms_engine *e, sess *s, authres *r)
{
    dms_random(r->nonce, 16);
    r->nlen = 16;
    memcpy(s->cnonce, r->nonce, r->nlen);
    s->cnonce_len = r->nlen;
    var_set_b64(e, "client-nonce", s->cnonce, s->cnonce_len);
}

static void auth_fail(dms_engine *e, sess *s, authres *r, int code,
                      const char *why)
{
    r->failed = true;
    r->code = code;
    r->chal_type = s->cauth;
    r->why = why;
    if (s->cauth == SC_AUTH_MD5 || s->cauth == SC_AUTH_HMAC)
        fresh_nonce(e, s, r);
}

static void authenticate(dms_engine *e, sess *s, const pdm__el *hdr,
                         const dms_request *req, authres *r)
{
    const sc_auth *ca = &e->sc->client_auth;
    const pdm__el *cred = pdm__el_child(hdr, PDM_TAG_CRED);
    memset(r, 0, sizeof *r);
    r->code = 200;
    if (s->cauth == SC_AUTH_NONE)
        return;
    if (s->cauth == SC_AUTH_HMAC) {
        char user[256], mac[64], err[200];
        if (!req->hmac) {
            auth_fail(e, s, r, 407, "no x-syncml-hmac header");
            return;
        }
        if (dms_hmac_header_parse(req->hmac, user, sizeof user, mac,
                                  sizeof mac, err, sizeof err) != 0) {
            auth_fail(e, s, r, 401, "malformed x-syncml-hmac header");
            return;
        }
        if (strcmp(user, ca->user) != 0) {
            auth_fail(e, s, r, 401, "x-syncml-hmac username is not the "
                      "account's");
            return;
        }
        if (!dms_auth_mac_ok(ca->user, ca->password, s->cnonce,
                             s->cnonce_len, req->body, req->len, mac)) {
            auth_fail(e, s, r, 401, "x-syncml-hmac mac does not match the "
                      "body (wrong password or nonce)");
            return;
        }
        /* HMAC: 200 on every message, with a new nonce every time */
        s->cauthed = true;
        r->code = 200;
        r->chal_type = SC_AUTH_HMAC;
        fresh_nonce(e, s, r);
        return;
    }
    if (!cred) {
        if (s->cauthed && !e->sc->auth_per_message) {
            r->code = 200;
            return;
        }
        auth_fail(e, s, r, 407, "no credentials");
        return;
    }
    {
        const char *type = sml_meta(cred, PDM_TAG_MI_TYPE);
        const char *data = pdm__el_child_text(cred, PDM_TAG_DATA);
        int t = sc_auth_from_meta_type(type);
        bool ok = false;
        if (t != s->cauth) {
            auth_fail(e, s, r, 401, "credentials of another type than "
                      "challenged/configured");
            return;
        }
        if (!data) {
            auth_fail(e, s, r, 401, "Cred without Data");
            return;
        }
        if (t == SC_AUTH_BASIC) {
            pdm__buf b;
            size_t n = strlen(data);
            const char *p = data;
            while (n && isspace((unsigned char)p[n - 1]))
                n--;
            while (n && isspace((unsigned char)*p)) {
                p++;
                n--;
            }
            pdm__buf_init(&b);
            dms_auth_basic(ca->user, ca->password, &b);
            ok = b.data && b.len == n && memcmp(b.data, p, n) == 0;
            pdm__buf_free(&b);
        } else {
            const char *ln = sml_path_text(hdr, PDM_TAG_SOURCE,
                                           PDM_TAG_LOCNAME, 0);
            if (ln && strcmp(ln, ca->user) != 0) {
                auth_fail(e, s, r, 401, "Source/LocName is not the account's "
                          "user name");
                return;
            }
            ok = dms_auth_md5_ok(ca->user, ca->password, s->cnonce,
                                 s->cnonce_len, data, strlen(data));
        }
        if (!ok) {
            auth_fail(e, s, r, 401, t == SC_AUTH_MD5
                                        ? "wrong MD5 digest (password or "
                                          "nonce)"
                                        : "wrong user name or password");
            return;
        }
        s->cauthed = true;
        if (e->sc->auth_per_message) {
            r->code = 200;
            if (t == SC_AUTH_MD5) {
                r->chal_type = SC_AUTH_MD5;
                fresh_nonce(e, s, r);
            }
        } else {
            r->code = 212;
            if (t == SC_AUTH_MD5 && ca->next_nonce) {
                uint8_t *nn = NULL;
                size_t nl = 0;
                eval_data(e, &e->ra, ca->next_nonce, ca->line, &nn, &nl);
                if (nl <= NONCE_MAX) {
                    memcpy(r->nonce, nn, nl);
                    r->nlen = nl;
                    r->chal_type = SC_AUTH_MD5;
                }
            }
        }
    }
}

/* ---- evaluation ------------------------------------------------------------- */

static rt_cmd *find_rt(rt_cmd *c, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        rt_cmd *k;
        if (c[i].sc && c[i].sc->label && strcmp(c[i].sc->label, label) == 0)
            return &c[i];
        k = find_rt(c[i].kids, c[i].nkids, label);
        if (k)
            return k;
    }
    return NULL;
}

static bool rec_of(const sent_rec *r, const rt_cmd *c, bool last_only)
{
    if (r->cmd != c)
        return false;
    return !last_only || r->chunk < 0 || r->last;
}

static bool status_is_for(const sess *s, const rx_status *st, const rt_cmd *c,
                          bool last_only)
{
    for (size_t i = 0; i < s->nsent; i++)
        if (rec_of(&s->sent[i], c, last_only) && s->sent[i].msgid == st->msgref &&
            s->sent[i].cmdid == st->cmdref)
            return true;
    return false;
}

static const char *describe(pdm__arena *a, const rt_cmd *c)
{
    char buf[700];
    const char *t = c->nitems ? c->items[0].target : NULL;
    if (c->kind == SC_ALERT)
        snprintf(buf, sizeof buf, "Alert %s '%s'", c->alert_code,
                 c->sc->label);
    else if (t)
        snprintf(buf, sizeof buf, "%s '%s' (%s%s)", sc_cmd_name(c->kind),
                 c->sc->label, t, c->nitems > 1 ? ", ..." : "");
    else
        snprintf(buf, sizeof buf, "%s '%s'", sc_cmd_name(c->kind),
                 c->sc->label);
    return adup(a, buf);
}

static const char *codes_got(pdm__arena *a, rx_status **v, size_t n)
{
    char buf[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof buf - 8; i++) {
        int w = snprintf(buf + off, sizeof buf - off, "%s%d", i ? ", " : "",
                         v[i]->code);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return adup(a, buf);
}

static size_t statuses_of(sess *s, const rt_cmd *c, bool last_only,
                          rx_status **out, size_t max)
{
    size_t n = 0;
    for (rx_status *st = s->st; st; st = st->next)
        if (st->cmdref > 0 && status_is_for(s, st, c, last_only) && n < max)
            out[n++] = st;
    return n;
}

/* Compares multisets of strings. */
static bool same_items(char **want, size_t nw, char **got, size_t ng)
{
    bool used[64] = {false};
    if (nw != ng || ng > 64)
        return false;
    for (size_t i = 0; i < nw; i++) {
        size_t k;
        for (k = 0; k < ng; k++)
            if (!used[k] && strcmp(want[i], got[k]) == 0) {
                used[k] = true;
                break;
            }
        if (k == ng)
            return false;
    }
    return true;
}

static const char *join(pdm__arena *a, char **v, size_t n)
{
    pdm__buf b;
    char *r;
    pdm__buf_init(&b);
    pdm__buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        pdm__buf_printf(&b, "%s\"%s\"", i ? ", " : "", v[i]);
    pdm__buf_putc(&b, ']');
    r = adupn(a, b.data, b.len);
    pdm__buf_free(&b);
    return r;
}

static void check_status_ex(dms_engine *e, sess *s, const sc_expect *x)
{
    pdm__arena *a = &e->ra;
    rx_status *v[256];
    size_t n = 0;
    char want[128];
    const char *what;
    const char *target = expand(e, a, x->opt[EK_TARGET], x->line);

    sc_codes_str(&x->codes, want, sizeof want);
    if (strcmp(x->label, "hdr") == 0) {
        for (rx_status *st = s->st; st; st = st->next)
            if (st->cmdref == 0 && n < 256)
                v[n++] = st;
        what = "Status for the server's SyncHdr";
    } else {
        rt_cmd *c = find_rt(s->cmds, s->ncmds, x->label);
        if (!c) {
            failf(e, x->line, "internal: label %s not sent", x->label);
            return;
        }
        n = statuses_of(s, c, true, v, 256);
        if (target) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                bool match = false;
                if (v[i]->targetref) {
                    match = strcmp(v[i]->targetref, target) == 0;
                } else {
                    /* one Status for the whole command covers each item */
                    for (size_t j = 0; j < c->nitems; j++)
                        if (c->items[j].target &&
                            strcmp(c->items[j].target, target) == 0)
                            match = true;
                }
                if (match)
                    v[k++] = v[i];
            }
            n = k;
        }
        what = describe(a, c);
    }
    if (n == 0) {
        failf(e, x->line, "%s%s%s: expected status %s, got no Status", what,
              target ? " for target " : "", target ? target : "", want);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sc_codes_match(&x->codes, v[i]->code)) {
            failf(e, x->line, "%s%s%s: expected status %s, got %s", what,
                  target ? " for target " : "", target ? target : "", want,
                  codes_got(a, v, n));
            return;
        }
    }
    if (x->opt[EK_CHAL]) {
        int t = sc_auth_from_meta_type(
            x->opt[EK_CHAL][0] == 's' ? x->opt[EK_CHAL]
                                      : (strcmp(x->opt[EK_CHAL], "md5") == 0
                                             ? "syncml:auth-md5"
                                         : strcmp(x->opt[EK_CHAL], "hmac") == 0
                                             ? "syncml:auth-MAC"
                                             : "syncml:auth-basic"));
        bool found = false;
        for (size_t i = 0; i < n; i++)
            if (v[i]->chal_type == t)
                found = true;
        if (!found) {
            failf(e, x->line, "%s: expected a Chal of type %s", what,
                  x->opt[EK_CHAL]);
            return;
        }
    }
    if (x->nitems) {
        char **want_items = azalloc(a, x->nitems * sizeof(char *));
        for (size_t i = 0; i < x->nitems; i++)
            want_items[i] = expand(e, a, x->items[i], x->line);
        /* items of all statuses together */
        {
            char *got[64];
            size_t ng = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < v[i]->nitems && ng < 64; k++)
                    got[ng++] = v[i]->items[k];
            if (!same_items(want_items, x->nitems, got, ng))
                failf(e, x->line, "%s: expected status items %s, got %s", what,
                      join(a, want_items, x->nitems), join(a, got, ng));
        }
    }
}

static bool bytes_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* The value bytes of an item: base64-decoded when its Format is b64. */
static void item_value(pdm__arena *a, const rx_item *ri, const uint8_t **p,
                       size_t *n)
{
    *p = ri->data;
    *n = ri->len;
    if (ri->format && strcmp(ri->format, "b64") == 0 && ri->data) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (dms_b64_decode((const char *)ri->data, ri->len, &b, &bl) == 0) {
            *p = (uint8_t *)adupn(a, b, bl);
            *n = bl;
        }
        pdm__free(b);
    }
}

static bool children_match(pdm__arena *a, const char *want, const uint8_t *got,
                           size_t gl, bool exact, const char **missing)
{
    /* split both at '/', compare as sets */
    char *g = adupn(a, got, gl), *w = adup(a, want);
    char *gv[512], *wv[512];
    size_t ng = 0, nw = 0;
    char *sv = NULL;
    for (char *t = strtok_r(g, "/", &sv); t && ng < 512;
         t = strtok_r(NULL, "/", &sv))
        gv[ng++] = t;
    for (char *t = strtok_r(w, "/", &sv); t && nw < 512;
         t = strtok_r(NULL, "/", &sv))
        wv[nw++] = t;
    *missing = NULL;
    for (size_t i = 0; i < nw; i++) {
        size_t k;
        for (k = 0; k < ng; k++)
            if (strcmp(wv[i], gv[k]) == 0)
                break;
        if (k == ng) {
            *missing = wv[i];
            return false;
        }
    }
    if (exact && ng != nw)
        return false;
    return true;
}

static void check_results_ex(dms_engine *e, sess *s, const sc_expect *x,
                             bool want_none)
{
    pdm__arena *a = &e->ra;
    rt_cmd *c = find_rt(s->cmds, s->ncmds, x->label);
    const rx_item *hit = NULL;
    size_t nitems = 0;
    const char *what;
    const char *src;
    if (!c)
        return;
    what = describe(a, c);
    src = x->opt[EK_SOURCE] ? expand(e, a, x->opt[EK_SOURCE], x->line)
                            : (c->nitems ? c->items[0].target : NULL);
    for (rx_cmd *r = s->res; r; r = r->next) {
        bool mine = false;
        for (size_t i = 0; i < s->nsent; i++)
            if (s->sent[i].cmd == c && s->sent[i].msgid == r->msgref &&
                s->sent[i].cmdid == r->cmdref)
                mine = true;
        if (!mine)
            continue;
        for (size_t i = 0; i < r->nitems; i++) {
            nitems++;
            if (!hit && src && r->items[i].source &&
                strcmp(r->items[i].source, src) == 0)
                hit = &r->items[i];
            if (!hit && !x->opt[EK_SOURCE] && r->nitems == 1 && c->nitems == 1)
                hit = &r->items[i]; /* the only item */
        }
    }
    if (want_none) {
        if (nitems)
            failf(e, x->line, "%s: expected no Results, got %zu item%s", what,
                  nitems, nitems == 1 ? "" : "s");
        return;
    }
    if (!hit) {
        failf(e, x->line, "%s: expected Results%s%s, got %s", what,
              src ? " for " : "", src ? src : "",
              nitems ? "Results for other sources" : "no Results");
        return;
    }
    {
        const char *fmt = hit->format ? hit->format : "chr";
        const char *typ = hit->type ? hit->type : "text/plain";
        const uint8_t *val;
        size_t vl;
        item_value(a, hit, &val, &vl);
        if (x->opt[EK_FORMAT]) {
            const char *w = expand(e, a, x->opt[EK_FORMAT], x->line);
            if (strcmp(w, fmt) != 0)
                failf(e, x->line, "%s: Results Format: expected %s, got %s%s",
                      what, w, fmt, hit->format ? "" : " (default)");
        }
        if (x->opt[EK_TYPE]) {
            const char *w = expand(e, a, x->opt[EK_TYPE], x->line);
            if (strcmp(w, typ) != 0)
                failf(e, x->line, "%s: Results Type: expected %s, got %s%s",
                      what, w, typ, hit->type ? "" : " (default)");
        }
        if (x->opt[EK_VALUE]) {
            uint8_t *w;
            size_t wl;
            if (eval_data(e, a, x->opt[EK_VALUE], x->line, &w, &wl) &&
                !bytes_eq(w, wl, val, vl))
                failf(e, x->line, "%s: Results value: expected %s, got %s",
                      what, show(a, w, wl), show(a, val, vl));
        }
        if (x->opt[EK_DATA]) {
            bool want = strcmp(x->opt[EK_DATA], "present") == 0;
            bool has = hit->has_data && hit->len > 0;
            if (want != has)
                failf(e, x->line, "%s: Results item %s: expected %s, got %s",
                      what, hit->source ? hit->source : "", want
                                                                ? "data"
                                                                : "no data",
                      has ? show(a, hit->data, hit->len) : "no data");
        }
        if (x->opt[EK_SIZE]) {
            /* validated 0..0x7fffffff by the scenario parser */
            long w = strtol(x->opt[EK_SIZE], NULL, 10);
            if ((size_t)w != vl)
                failf(e, x->line, "%s: Results size: expected %ld bytes, got "
                      "%zu", what, w, vl);
        }
        if (x->opt[EK_CHILDREN] || x->opt[EK_CHILDREN_INCL]) {
            bool exact = x->opt[EK_CHILDREN] != NULL;
            const char *w = expand(e, a, exact ? x->opt[EK_CHILDREN]
                                               : x->opt[EK_CHILDREN_INCL],
                                   x->line);
            const char *missing;
            if (strcmp(fmt, "node") != 0)
                failf(e, x->line, "%s: expected a child list (Format node), "
                      "got Format %s", what, fmt);
            else if (!children_match(a, w, val, vl, exact, &missing))
                failf(e, x->line, "%s: children: expected %s%s, got %s%s%s",
                      what, exact ? "exactly " : "at least ", shows(a, w),
                      show(a, val, vl), missing ? "; missing " : "",
                      missing ? missing : "");
        }
        if (x->opt[EK_CONTAINS]) {
            const char *w = expand(e, a, x->opt[EK_CONTAINS], x->line);
            if (!memmem(val, vl, w, strlen(w)))
                failf(e, x->line, "%s: Results value should contain %s, got "
                      "%s", what, shows(a, w), show(a, val, vl));
        }
        if (x->opt[EK_NOT_CONTAINS]) {
            const char *w = expand(e, a, x->opt[EK_NOT_CONTAINS], x->line);
            if (memmem(val, vl, w, strlen(w)))
                failf(e, x->line, "%s: Results value should not contain %s, "
                      "got %s", what, shows(a, w), show(a, val, vl));
        }
        if (x->opt[EK_CAPTURE]) {
            char *t = adupn(a, val, vl);
            var_set(e, x->opt[EK_CAPTURE], t);
        }
    }
}

static bool alert_item_matches(dms_engine *e, pdm__arena *a,
                               const sc_expect *x, const rx_cmd *al,
                               const rx_item *it)
{
    const uint8_t *val;
    size_t vl;
    item_value(a, it, &val, &vl);
    if (x->opt[EK_TYPE] &&
        (!it->type || strcmp(expand(e, a, x->opt[EK_TYPE], x->line), it->type)))
        return false;
    if (x->opt[EK_FORMAT] &&
        strcmp(expand(e, a, x->opt[EK_FORMAT], x->line),
               it->format ? it->format : "chr"))
        return false;
    if (x->opt[EK_SOURCE] &&
        (!it->source ||
         strcmp(expand(e, a, x->opt[EK_SOURCE], x->line), it->source)))
        return false;
    if (x->opt[EK_MARK] &&
        strcmp(expand(e, a, x->opt[EK_MARK], x->line),
               it->mark ? it->mark : "informational"))
        return false;
    if (x->opt[EK_CORRELATOR] &&
        (!al->correlator ||
         strcmp(expand(e, a, x->opt[EK_CORRELATOR], x->line), al->correlator)))
        return false;
    if (x->opt[EK_DATA]) {
        uint8_t *w;
        size_t wl;
        if (!eval_data(e, a, x->opt[EK_DATA], x->line, &w, &wl) ||
            !bytes_eq(w, wl, val, vl))
            return false;
    }
    if (x->opt[EK_CONTAINS]) {
        const char *w = expand(e, a, x->opt[EK_CONTAINS], x->line);
        if (!memmem(val, vl, w, strlen(w)))
            return false;
    }
    return true;
}

static void check_generic(dms_engine *e, sess *s, const sc_expect *x)
{
    pdm__arena *a = &e->ra;
    pdm__buf got;
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code != 1226 || al->used)
            continue;
        for (size_t i = 0; i < al->nitems; i++) {
            if (alert_item_matches(e, a, x, al, &al->items[i])) {
                al->used = true;
                if (x->opt[EK_CAPTURE]) {
                    const uint8_t *v;
                    size_t vl;
                    item_value(a, &al->items[i], &v, &vl);
                    var_set(e, x->opt[EK_CAPTURE], adupn(a, v, vl));
                }
                return;
            }
        }
    }
    pdm__buf_init(&got);
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code != 1226)
            continue;
        for (size_t i = 0; i < al->nitems; i++) {
            const rx_item *it = &al->items[i];
            pdm__buf_printf(&got, "%s{type=%s format=%s source=%s mark=%s "
                            "correlator=%s data=%s}",
                            got.len ? ", " : "", it->type ? it->type : "-",
                            it->format ? it->format : "-",
                            it->source ? it->source : "-",
                            it->mark ? it->mark : "-",
                            al->correlator ? al->correlator : "-",
                            show(a, it->data, it->len));
        }
    }
    failf(e, x->line, "expected a Generic Alert (1226)%s%s%s%s%s%s%s%s, got %s",
          x->opt[EK_TYPE] ? " type=" : "", x->opt[EK_TYPE] ? x->opt[EK_TYPE] : "",
          x->opt[EK_SOURCE] ? " source=" : "",
          x->opt[EK_SOURCE] ? x->opt[EK_SOURCE] : "",
          x->opt[EK_DATA] ? " data=" : "", x->opt[EK_DATA] ? x->opt[EK_DATA] : "",
          x->opt[EK_CORRELATOR] ? " correlator=" : "",
          x->opt[EK_CORRELATOR] ? x->opt[EK_CORRELATOR] : "",
          got.len ? (char *)got.data : "none");
    pdm__buf_free(&got);
}

static void check_alert(dms_engine *e, sess *s, const sc_expect *x, bool none)
{
    pdm__arena *a = &e->ra;
    size_t found = 0;
    for (rx_cmd *al = s->al; al; al = al->next) {
        bool ok = true;
        if (al->code != x->alert_code)
            continue;
        if (!none && x->opt[EK_DATA]) {
            uint8_t *w;
            size_t wl;
            ok = false;
            if (eval_data(e, a, x->opt[EK_DATA], x->line, &w, &wl))
                for (size_t i = 0; i < al->nitems; i++)
                    if (bytes_eq(w, wl, al->items[i].data, al->items[i].len))
                        ok = true;
        }
        if (ok && !none && x->nitems) {
            char *got[64];
            char **want = azalloc(a, x->nitems * sizeof(char *));
            size_t ng = 0;
            for (size_t i = 0; i < al->nitems && ng < 64; i++)
                got[ng++] = adupn(a, al->items[i].data, al->items[i].len);
            for (size_t i = 0; i < x->nitems; i++)
                want[i] = expand(e, a, x->items[i], x->line);
            ok = same_items(want, x->nitems, got, ng);
        }
        if (ok)
            found++;
    }
    if (none && found)
        failf(e, x->line, "expected no Alert %d, got %zu", x->alert_code,
              found);
    else if (!none && !found)
        failf(e, x->line, "expected Alert %d%s%s from the client, got none",
              x->alert_code, x->opt[EK_DATA] ? " with data " : "",
              x->opt[EK_DATA] ? x->opt[EK_DATA] : "");
}

static const rx_item *devinfo_item(const sess *s, const char *name)
{
    char uri[256];
    snprintf(uri, sizeof uri, "./DevInfo/%s", name);
    for (const rx_cmd *r = s->repl; r; r = r->next)
        for (size_t i = 0; i < r->nitems; i++) {
            const char *src = r->items[i].source;
            if (src && (strcmp(src, uri) == 0 || strcmp(src, uri + 2) == 0))
                return &r->items[i];
        }
    return NULL;
}

static void check_common(dms_engine *e, sess *s, const sc_expect *ex,
                         size_t nex)
{
    for (size_t i = 0; i < nex; i++) {
        const sc_expect *x = &ex[i];
        size_t before = e->nfails;
        switch (x->kind) {
        case EX_STATUS:
            check_status_ex(e, s, x);
            break;
        case EX_RESULTS:
            check_results_ex(e, s, x, false);
            break;
        case EX_NO_RESULTS:
            check_results_ex(e, s, x, true);
            break;
        case EX_ALERT:
            check_alert(e, s, x, false);
            break;
        case EX_NO_ALERT:
            check_alert(e, s, x, true);
            break;
        case EX_GENERIC:
            check_generic(e, s, x);
            break;
        case EX_ABORT:
            if (!s->abort_seen)
                failf(e, x->line, "expected the client to abort (Alert "
                      "1223), but it did not");
            break;
        case EX_DEVINFO: {
            const rx_item *it = devinfo_item(s, x->label);
            const char *w = expand(e, &e->ra, x->value, x->line);
            if (!it)
                failf(e, x->line, "package 1 has no DevInfo/%s", x->label);
            else if (!bytes_eq((const uint8_t *)w, strlen(w), it->data,
                               it->len))
                failf(e, x->line, "DevInfo/%s: expected %s, got %s", x->label,
                      shows(&e->ra, w), show(&e->ra, it->data, it->len));
            break;
        }
        case EX_SESSION_ID: {
            const char *w = expand(e, &e->ra, x->label, x->line);
            if (strcmp(w, s->sid) != 0)
                failf(e, x->line, "SessionID: expected %s, got %s", w, s->sid);
            break;
        }
        default:
            continue; /* refused: counted by eval_step */
        }
        (void)before;
        e->nchecks++;
    }
}

static bool expects(const sc_expect *ex, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++)
        if (ex[i].kind == kind)
            return true;
    return false;
}

static void eval_pkg1(dms_engine *e, sess *s)
{
    const sc_session *se = s->sc;
    size_t n1200 = 0, n1201 = 0;
    static const char *const dev[] = {"DevId", "Man", "Mod", "DmV", "Lang"};
    set_where(e, s);
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code == 1200)
            n1200++;
        if (al->code == 1201)
            n1201++;
    }
    e->nchecks++;
    if (s->notified) {
        char sid[5];
        dms_sid_hex(s->pkg0_sid, sid);
        if (n1200 != 1)
            failf(e, se->pkg1_line, "a session started by package 0 must "
                  "begin with Alert 1200, got %zu Alert 1200 and %zu Alert "
                  "1201", n1200, n1201);
        if (strcmp(sid, s->sid) != 0)
            failf(e, se->pkg1_line, "SessionID: package 0 carried session "
                  "%s, the client sent %s", sid, s->sid);
    } else if (s->bootstrapped && (n1201 != 1 || n1200)) {
        failf(e, se->pkg1_line, "the first session of a bootstrapped account "
              "is client-initiated: package 1 must carry one Alert 1201, got "
              "%zu Alert 1200 and %zu Alert 1201", n1200, n1201);
    } else if (n1200 + n1201 != 1) {
        failf(e, se->pkg1_line, "package 1 must carry one Alert 1201 (or "
              "1200), got %zu Alert 1200 and %zu Alert 1201", n1200, n1201);
    }
    e->nchecks++;
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
        if (!devinfo_item(s, dev[i]))
            failf(e, se->pkg1_line, "package 1 lacks DevInfo/%s in its "
                  "Replace (DevInfo MUST be in the first message)", dev[i]);
    if (e->sc->devid) {
        e->nchecks++;
        if (strcmp(e->sc->devid, s->devid) != 0)
            failf(e, se->pkg1_line, "client Source/LocURI: expected %s, got %s",
                  e->sc->devid, s->devid);
    }
    check_common(e, s, se->pkg1, se->npkg1);
    if (s->abort_seen)
        failf(e, se->pkg1_line, "the client aborted the session (Alert 1223) "
              "in package 1");
}

static void check_sent(dms_engine *e, sess *s, rt_cmd *c, bool lenient)
{
    rx_status *v[256];
    size_t n;
    const char *what = describe(&e->ra, c);
    for (size_t k = 0; k < c->nkids; k++)
        check_sent(e, s, &c->kids[k], lenient);
    /* per chunk: 213 for all but the last */
    if (c->chunked) {
        for (size_t i = 0; i < s->nsent; i++) {
            const sent_rec *r = &s->sent[i];
            bool got = false;
            if (r->cmd != c || r->last)
                continue;
            for (rx_status *st = s->st; st; st = st->next)
                if (st->msgref == r->msgid && st->cmdref == r->cmdid) {
                    got = true;
                    if (st->code != 213)
                        failf(e, c->sc->line, "%s chunk %d: expected status "
                              "213 (chunk accepted), got %d", what,
                              r->chunk + 1, st->code);
                }
            if (!got && !lenient)
                failf(e, c->sc->line, "%s chunk %d: expected status 213, got "
                      "no Status", what, r->chunk + 1);
        }
    }
    n = statuses_of(s, c, true, v, 256);
    e->nchecks++;
    if (n == 0) {
        if (!lenient)
            failf(e, c->sc->line, "%s: no Status from the client (every "
                  "command MUST get one)", what);
        return;
    }
    if (c->kind == SC_GET) {
        bool ok200 = false, results = false;
        for (size_t i = 0; i < n; i++)
            if (v[i]->code == 200)
                ok200 = true;
        for (rx_cmd *r = s->res; r; r = r->next)
            for (size_t i = 0; i < s->nsent; i++)
                if (s->sent[i].cmd == c && s->sent[i].msgid == r->msgref &&
                    s->sent[i].cmdid == r->cmdref)
                    results = true;
        if (ok200 && !results)
            failf(e, c->sc->line, "%s: status 200 but no Results", what);
        if (!ok200 && results)
            failf(e, c->sc->line, "%s: Results although the status is %d",
                  what, v[0]->code);
    }
}

static void eval_step(dms_engine *e, sess *s, bool silent)
{
    const sc_step *st = &s->sc->steps[s->step];
    bool refused_ok = false, lenient;
    bool want_refused = expects(st->ex, st->nex, EX_REFUSED);
    bool want_abort = expects(st->ex, st->nex, EX_ABORT);
    bool hdr_ex = false;
    set_where(e, s);

    for (size_t i = 0; i < st->nex; i++)
        if (st->ex[i].kind == EX_STATUS && strcmp(st->ex[i].label, "hdr") == 0)
            hdr_ex = true;

    if (want_refused) {
        bool executed = false;
        for (rx_status *x = s->st; x; x = x->next)
            if (x->cmdref > 0 && x->code >= 200 && x->code < 300)
                executed = true;
        if (silent || s->abort_seen ||
            ((s->hdr_refusal == 401 || s->hdr_refusal == 407) && !executed))
            refused_ok = true;
        e->nchecks++;
        if (!refused_ok)
            failf(e, st->reply_line, "expected the client to refuse the "
                  "server (SyncHdr status 401/407, no command executed, or "
                  "no answer), but it %s",
                  executed ? "executed commands" : "accepted the server");
    }
    lenient = silent || s->abort_seen || refused_ok;
    if (silent && !want_refused)
        failf(e, st->reply_line, "the client did not answer package %d",
              s->pkgno - 1);

    /* every server message of this exchange got a SyncHdr status */
    if (!lenient) {
        for (size_t i = 0; i < s->nsmsgs; i++) {
            bool got = false;
            for (rx_status *x = s->st; x; x = x->next)
                if (x->cmdref == 0 && x->msgref == s->smsgs[i]) {
                    got = true;
                    if (!hdr_ex && x->code != 200 && x->code != 212)
                        failf(e, st->reply_line, "Status for the server's "
                              "SyncHdr (message %d): expected 200 or 212, "
                              "got %d", s->smsgs[i], x->code);
                }
            e->nchecks++;
            if (!got)
                failf(e, st->reply_line, "no Status for the SyncHdr of the "
                      "server's message %d", s->smsgs[i]);
        }
        /* our Alert 1222 must be statused too */
        for (size_t i = 0; i < s->nsent; i++) {
            bool got = false;
            if (s->sent[i].cmd)
                continue;
            for (rx_status *x = s->st; x; x = x->next)
                if (x->msgref == s->sent[i].msgid &&
                    x->cmdref == s->sent[i].cmdid)
                    got = true;
            if (!got)
                failf(e, st->reply_line, "no Status for the server's Alert "
                      "1222 (message %d, CmdID %d)", s->sent[i].msgid,
                      s->sent[i].cmdid);
        }
    }
    for (size_t i = 0; i < s->ncmds; i++)
        if (s->cmds[i].kind != SC_BREAK)
            check_sent(e, s, &s->cmds[i], lenient);
    check_common(e, s, st->ex, st->nex);
    if (s->abort_seen && !want_abort)
        failf(e, st->reply_line, "the client aborted the session (Alert "
              "1223)");
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
