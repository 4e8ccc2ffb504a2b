/*
 * Data-driven session tests: every tests/session/cases/<name>.case file is
 * one session (server messages in, expected client messages out, compared
 * structurally), run twice: with XML and with WBXML on the wire.
 *
 * Case file format (see tests/session/README.md):
 *
 *   # free text
 *   server: srv-md5            account to talk to (DMAcc ServerID)
 *   server_auth: no            profile [session] server_auth (default no)
 *   tls: yes                   a verified TLS connection is reported for
 *                              every message (pdm_session_set_transport)
 *   session: <key> = <value>   one more profile [session] line
 *   profile: <line>            one more profile line after [session]
 *                              (e.g. a [plugin ...] section, a path;
 *                              @FX@ is the fixture policy module)
 *   pkg0: <hex>                optional: start server-initiated
 *   ui: yes|no|cancel|timeout|text=<t>|choose=<n>[,<n>...]   UI answers,
 *                              one line per UI alert, in order
 *   ui: none                   the device has no UI hook at all
 *   encodings: xml|wbxml       run in one encoding only (sizes that
 *                              split messages differ between the two)
 *   tree: <TNDS file>          extra factory nodes (default tree.tnds.xml)
 *   plugin: <name> [k=v ...]   a [plugin <name>] section with option.k = v
 *                              (fixtures of tests/engine/fixtures)
 *   flags: no_plugins tls transport   PDM_CTX_NO_PLUGINS, PDM_SESSION_TLS,
 *                              PDM_SESSION_TRANSPORT_FACTS
 *   oracle: skip               PDM_DUMP_DIR gets none of its client
 *                              messages (binary OPAQUE data that the
 *                              oracle's XML comparison cannot represent)
 *   raw: <URI> = <value>       after the context opens, the node's stored
 *                              value is set directly (no checks): what a
 *                              store written by older code may hold
 *   --- client                 the client message expected next
 *   <SyncML>...</SyncML>
 *   --- server                 the server message the client gets next
 *   <SyncML>...</SyncML>
 *   --- hmac <header value>    x-syncml-hmac of the next server message
 *   --- hmac auto <user> <password> <nonce>
 *                              x-syncml-hmac computed over the bytes the
 *                              harness sends (XML or WBXML) with the nonce
 *                              as text; "auto-bad" tampers the mac
 *   --- end <rc>               expected pdm_session_result (ok, EAUTH, ...)
 *   --- check <URI> = <value>  after the session: the node's value
 *   --- check <URI> != <value> ... is not this one (but exists)
 *   --- absent <URI>           after the session: the node does not exist
 *   --- client <URL>           ... and the message goes to this URL
 *   --- audit <text>           an audit row "<op> <decision> <reason>"
 *                              contains the text
 *   --- no-audit <text>        no audit row contains the text
 *   --- retried <why>          the transport retried the last message
 *                              after <why> (pdm__session_transport_retried)
 *   --- error <text>           pdm_session_error contains the text
 *   --- reload                 reopen the context from its store: later
 *                              checks see what was committed
 *
 * In expected client messages an element whose text is "*" matches any
 * text, and an element <Any/> in place of children matches any children.
 * Whitespace around texts is ignored.  In texts of server and expected
 * client messages (and raw: values), \xHH stands for the byte HH: raw
 * bytes XML cannot carry (NUL, bad UTF-8) for cases run in WBXML only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <malloc.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <polydm/polydm.h>
#include <sqlite3.h>

#include "auth/auth.h"
#include "codec/codec.h"
#include "cu_main.h"
#include "torture_site.h"
#include "engine/engine.h"
#include "session/session_int.h"
#include "tree/tree.h"
#include "tree/tree_int.h"
#include "util/util.h"

#define CASE_DIR PDM_SOURCE_DIR "/tests/session/cases"

typedef struct step {
    enum {
        ST_CLIENT, ST_SERVER, ST_HMAC, ST_END, ST_CHECK, ST_ABSENT, ST_RELOAD,
        ST_AUDIT, ST_NO_AUDIT, ST_RETRIED, ST_ERROR, ST_TRANSPORT, ST_URL,
        ST_LOG
    } kind;
    char *text; /* message XML, header value, rc name, URI */
    char *value;
    bool differs; /* "--- check <URI> != <value>" */
} step;

typedef struct scase {
    char name[256];
    char server[128];
    bool server_auth;
    bool tls;
    uint32_t flags; /* "flags: tls transport" */
    char extra_session[1024]; /* "session:" lines */
    char extra_profile[1024]; /* "profile:" lines */
    char tree[256];
    char *pkg0_hex;
    char *ui[16];
    size_t nui, uipos;
    bool no_ui;
    int only_enc; /* 0 both, 1 XML, 2 WBXML */
    char *plugins[4]; /* "name k=v ..." */
    size_t nplugins;
    bool no_plugins;
    char *raw_uri[8], *raw_val[8];
    size_t nraw;
    char *info_key[4], *info_val[4]; /* "info: KEY = value" */
    size_t ninfo;
    bool no_dump; /* "oracle: skip": binary client messages */
    step steps[64];
    size_t nsteps;
} scase;

static char failbuf[8192];

/* Allocation-failure torture (test_session__torture): set while a run has
 * an allocation failing; the first unclean outcome is kept here. */
static bool g_torture;
/* The counting run of the torture: allocations before the session opens
 * (context, profile, plugins, store, factory tree) are counted apart. */
static bool g_counting;
static long g_open_count;
static char g_last_dir[512]; /* the state directory of the last run */
static char g_unclean[512];
static void uncleanf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void uncleanf(const char *fmt, ...)
{
    va_list ap;
    if (g_unclean[0])
        return;
    va_start(ap, fmt);
    vsnprintf(g_unclean, sizeof g_unclean, fmt, ap);
    va_end(ap);
}

/* Under torture a session may end anywhere, but with a result that says
 * why: not PDM_OK (unless it ended where the case ends: !early), and an
 * error text. */
static void torture_over(pdm_session *s, int rc, size_t at, bool early)
{
    int res = pdm_session_result(s);
    const char *err = pdm_session_error(s);
    if (!g_torture)
        return;
    if (!s) {
        /* no session object at all: only when it could not be allocated */
        if (rc != PDM_ENOMEM)
            uncleanf("step %zu: no session object, rc %d", at, rc);
        return;
    }
    if (rc != PDM_OK && res == PDM_OK)
        uncleanf("step %zu: a call failed (%d) but the session result is ok",
                 at, rc);
    else if (res == PDM_OK && rc == PDM_OK && early)
        uncleanf("step %zu: the session ended early with result ok", at);
    else if (res != PDM_OK && (!err || !err[0]))
        uncleanf("step %zu: the session failed (%d) without an error text",
                 at, res);
}

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(failbuf);
    va_start(ap, fmt);
    vsnprintf(failbuf + n, sizeof failbuf - n, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
                     e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int parse_case(scase *c, const char *path)
{
    size_t len;
    char *text = (char *)pdm_test_read(path, &len), *line, *save = NULL;
    step *cur = NULL;
    pdm__buf body;
    memset(c, 0, sizeof(*c));
    snprintf(c->tree, sizeof c->tree, "tree.tnds.xml");
    snprintf(c->server, sizeof c->server, "srv-none");
    pdm__buf_init(&body);
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "--- ", 4) == 0) {
            char *kw = line + 4, *arg;
            if (cur && (cur->kind == ST_CLIENT || cur->kind == ST_SERVER))
                cur->text = (char *)pdm__buf_steal(&body, NULL);
            pdm__buf_init(&body);
            cur = &c->steps[c->nsteps++];
            memset(cur, 0, sizeof(*cur));
            arg = strchr(kw, ' ');
            if (arg)
                *arg++ = '\0';
            if (strcmp(kw, "client") == 0)
                cur->kind = ST_CLIENT;
            else if (strcmp(kw, "server") == 0)
                cur->kind = ST_SERVER;
            else if (strcmp(kw, "hmac") == 0)
                cur->kind = ST_HMAC;
            else if (strcmp(kw, "end") == 0)
                cur->kind = ST_END;
            else if (strcmp(kw, "check") == 0)
                cur->kind = ST_CHECK;
            else if (strcmp(kw, "absent") == 0)
                cur->kind = ST_ABSENT;
            else if (strcmp(kw, "reload") == 0)
                cur->kind = ST_RELOAD;
            else if (strcmp(kw, "audit") == 0)
                cur->kind = ST_AUDIT;
            else if (strcmp(kw, "no-audit") == 0)
                cur->kind = ST_NO_AUDIT;
            else if (strcmp(kw, "retried") == 0)
                cur->kind = ST_RETRIED;
            else if (strcmp(kw, "error") == 0)
                cur->kind = ST_ERROR;
            else if (strcmp(kw, "log") == 0)
                cur->kind = ST_LOG;
            else if (strcmp(kw, "transport") == 0)
                cur->kind = ST_TRANSPORT;
            else if (strcmp(kw, "url") == 0)
                cur->kind = ST_URL;
            else {
                fprintf(stderr, "%s: unknown step '%s'\n", path, kw);
                return -1;
            }
            if (cur->kind == ST_CHECK && arg) {
                char *eq = strstr(arg, " = ");
                char *ne = strstr(arg, " != ");
                if (ne) {
                    *ne = '\0';
                    cur->value = strdup(ne + 4);
                    cur->differs = true;
                } else if (eq) {
                    *eq = '\0';
                    cur->value = strdup(eq + 3);
                }
            }
            if (arg && cur->kind != ST_CLIENT && cur->kind != ST_SERVER)
                cur->text = strdup(trim(arg));
            else if (arg && cur->kind == ST_CLIENT)
                cur->value = strdup(trim(arg)); /* the URL */
            continue;
        }
        if (!cur) {
            char *v = strchr(line, ':');
            if (line[0] == '#' || !v)
                continue;
            *v++ = '\0';
            v = trim(v);
            if (strcmp(line, "server") == 0)
                snprintf(c->server, sizeof c->server, "%s", v);
            else if (strcmp(line, "server_auth") == 0)
                c->server_auth = strcmp(v, "yes") == 0;
            else if (strcmp(line, "flags") == 0) {
                if (strstr(v, "tls"))
                    c->flags |= PDM_SESSION_TLS;
                if (strstr(v, "transport"))
                    c->flags |= PDM_SESSION_TRANSPORT_FACTS;
                if (strstr(v, "no_plugins"))
                    c->no_plugins = true;
            }
            else if (strcmp(line, "tls") == 0)
                c->tls = strcmp(v, "yes") == 0;
            else if (strcmp(line, "session") == 0 || strcmp(line, "profile") == 0) {
                char *dst = line[0] == 's' ? c->extra_session : c->extra_profile;
                char *fx = strstr(v, "@FX@");
                size_t n = strlen(dst);
                /* @FX@: the fixture plugin built with the tests */
                if (fx)
                    snprintf(dst + n, sizeof c->extra_session - n,
                             "%.*s%s/fx-secret-policy.so%s\n", (int)(fx - v),
                             v, FX_DIR, fx + 4);
                else
                    snprintf(dst + n, sizeof c->extra_session - n, "%s\n", v);
            }
            else if (strcmp(line, "tree") == 0)
                snprintf(c->tree, sizeof c->tree, "%s", v);
            else if (strcmp(line, "pkg0") == 0)
                c->pkg0_hex = strdup(v);
            else if (strcmp(line, "encodings") == 0)
                c->only_enc = strcmp(v, "xml") == 0     ? 1
                              : strcmp(v, "wbxml") == 0 ? 2
                                                        : 0;
            else if (strcmp(line, "ui") == 0 && strcmp(v, "none") == 0)
                c->no_ui = true;
            else if (strcmp(line, "ui") == 0 && c->nui < 16)
                c->ui[c->nui++] = strdup(v);
            else if (strcmp(line, "plugin") == 0 && c->nplugins < 4)
                c->plugins[c->nplugins++] = strdup(v);
            else if (strcmp(line, "oracle") == 0)
                c->no_dump = strcmp(v, "skip") == 0;
            else if (strcmp(line, "raw") == 0 && c->nraw < 8 &&
                     strstr(v, " = ")) {
                char *eq = strstr(v, " = ");
                *eq = '\0';
                c->raw_uri[c->nraw] = strdup(v);
                c->raw_val[c->nraw++] = strdup(eq + 3);
            } else if (strcmp(line, "info") == 0 && c->ninfo < 4 &&
                       strstr(v, " = ")) {
                char *eq = strstr(v, " = ");
                *eq = '\0';
                c->info_key[c->ninfo] = strdup(v);
                c->info_val[c->ninfo++] = strdup(eq + 3);
            }
            continue;
        }
        pdm__buf_puts(&body, line);
        pdm__buf_putc(&body, '\n');
    }
    if (cur && (cur->kind == ST_CLIENT || cur->kind == ST_SERVER))
        cur->text = (char *)pdm__buf_steal(&body, NULL);
    pdm__buf_free(&body);
    free(text);
    return 0;
}

static void free_case(scase *c)
{
    for (size_t i = 0; i < c->nsteps; i++) {
        pdm__free(c->steps[i].text);
        free(c->steps[i].value);
    }
    for (size_t i = 0; i < c->nui; i++)
        free(c->ui[i]);
    for (size_t i = 0; i < c->nplugins; i++)
        free(c->plugins[i]);
    for (size_t i = 0; i < c->nraw; i++) {
        free(c->raw_uri[i]);
        free(c->raw_val[i]);
    }
    for (size_t i = 0; i < c->ninfo; i++) {
        free(c->info_key[i]);
        free(c->info_val[i]);
    }
    free(c->pkg0_hex);
}

/* ---- raw bytes ------------------------------------------------------------------- */

/* Replaces each \xHH in t[0..*len) by the byte HH, in place. */
static void unescape(uint8_t *t, size_t *len)
{
    size_t r = 0, w = 0;
    unsigned v;
    while (r < *len) {
        if (r + 3 < *len && t[r] == '\\' && t[r + 1] == 'x' &&
            sscanf((char *)t + r + 2, "%2x", &v) == 1) {
            t[w++] = (uint8_t)v;
            r += 4;
        } else {
            t[w++] = t[r++];
        }
    }
    t[w] = 0;
    *len = w;
}

static void unescape_doc(pdm__el *e)
{
    for (; e; e = e->next) {
        if (e->text)
            unescape(e->text, &e->len);
        unescape_doc(e->first);
    }
}

/* ---- structural compare -------------------------------------------------------- */

/* Byte range of t without the blanks around it. */
static void trim_range(const uint8_t **t, size_t *n)
{
    while (*n && strchr(" \t\r\n", (*t)[0]) && (*t)[0]) {
        (*t)++;
        (*n)--;
    }
    while (*n && (*t)[*n - 1] && strchr(" \t\r\n", (*t)[*n - 1]))
        (*n)--;
}

static bool text_eq(const pdm__el *exp, const pdm__el *got)
{
    const uint8_t *a = exp->text ? exp->text : (const uint8_t *)"";
    const uint8_t *b = got->text ? got->text : (const uint8_t *)"";
    size_t na = exp->text ? exp->len : 0, nb = got->text ? got->len : 0;
    trim_range(&a, &na);
    trim_range(&b, &nb);
    return (na == 1 && a[0] == '*') || (na == nb && memcmp(a, b, na) == 0);
}

static bool compare(const pdm__el *exp, const pdm__el *got, const char *path)
{
    char here[512];
    const pdm__el *e, *g;
    snprintf(here, sizeof here, "%s/%s", path, pdm__el_name(exp));
    if (exp->tag != got->tag ||
        (exp->tag == PDM_TAG_UNKNOWN && strcmp(exp->name, got->name) != 0)) {
        failf("  %s: expected <%s>, got <%s>\n", path, pdm__el_name(exp),
              pdm__el_name(got));
        return false;
    }
    if (exp->first && exp->first->tag == PDM_TAG_UNKNOWN &&
        strcmp(exp->first->name, "Any") == 0)
        return true;
    if (!exp->first && !got->first) {
        if (!text_eq(exp, got)) {
            failf("  %s: expected text '%.*s', got '%.*s'\n", here,
                  (int)exp->len, exp->text ? (char *)exp->text : "",
                  (int)(got->len > 200 ? 200 : got->len),
                  got->text ? (char *)got->text : "");
            return false;
        }
        return true;
    }
    for (e = exp->first, g = got->first; e && g; e = e->next, g = g->next)
        if (!compare(e, g, here))
            return false;
    if (e || g) {
        failf("  %s: %s child <%s>\n", here, e ? "missing" : "unexpected",
              pdm__el_name(e ? e : g));
        return false;
    }
    return true;
}

static int decode_any(pdm__doc *d, const uint8_t *data, size_t len)
{
    pdm__codec_err e;
    pdm__doc_init(d);
    if (len && data[0] == '<')
        return pdm__xml_decode(d, data, len, NULL, &e);
    return pdm__wbxml_decode(d, data, len, NULL, &e);
}

/* ---- UI hook ---------------------------------------------------------------------- */

static scase *ui_case;

/* Warnings and errors the context logged during the case (--- log). */
static pdm__buf g_log;

static void log_cb(void *user, int level, const char *component,
                   const char *msg)
{
    (void)user;
    (void)level;
    pdm__buf_printf(&g_log, "%s: %s\n", component, msg);
}

/* The device's info() hook: the case's "info:" values (\xHH unescaped),
 * the profile's for the other keys. */
static int info_hook(void *user, const char *key, char *buf, size_t size)
{
    (void)user;
    for (size_t i = 0; ui_case && i < ui_case->ninfo; i++)
        if (strcmp(ui_case->info_key[i], key) == 0) {
            size_t n = strlen(ui_case->info_val[i]);
            if (n >= size)
                return PDM_ETOOBIG;
            memcpy(buf, ui_case->info_val[i], n);
            unescape((uint8_t *)buf, &n);
            buf[n] = '\0';
            return PDM_OK;
        }
    return PDM_ENOTFOUND;
}

static int ui_hook(void *user, const pdm_ui_request *rq, pdm_ui_response *rs)
{
    const char *a;
    (void)user;
    (void)rq;
    if (!ui_case || ui_case->uipos >= ui_case->nui)
        return PDM_ECANCELLED;
    a = ui_case->ui[ui_case->uipos++];
    if (strcmp(a, "yes") == 0) {
        rs->accepted = 1;
        return PDM_OK;
    }
    if (strcmp(a, "no") == 0)
        return PDM_OK;
    if (strcmp(a, "cancel") == 0)
        return PDM_ECANCELLED;
    if (strcmp(a, "timeout") == 0)
        return PDM_ETIMEOUT;
    if (strncmp(a, "text=", 5) == 0) {
        snprintf(rs->text, sizeof rs->text, "%s", a + 5);
        return PDM_OK;
    }
    if (strncmp(a, "choose=", 7) == 0) {
        for (const char *p = a + 7; *p && rs->nchosen < 32;) {
            rs->chosen[rs->nchosen++] = (int)strtol(p, NULL, 10);
            p += strcspn(p, ",");
            if (*p == ',')
                p++;
        }
        return PDM_OK;
    }
    return PDM_OK;
}

/* ---- running a case --------------------------------------------------------------- */

typedef struct audit_find {
    const char *text;
    bool found;
} audit_find;

static int audit_cb(void *user, const pdm__audit_rec *a)
{
    audit_find *f = user;
    char row[1024];
    snprintf(row, sizeof row, "%s %s %s", a->op, a->decision,
             a->reason ? a->reason : "");
    if (strstr(row, f->text))
        f->found = true;
    return 0;
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case PDM_OK: return "ok";
    case PDM_EAUTH: return "EAUTH";
    case PDM_EINVAL: return "EINVAL";
    case PDM_EFORBIDDEN: return "EFORBIDDEN";
    case PDM_ECANCELLED: return "ECANCELLED";
    case PDM_EPARSE: return "EPARSE";
    case PDM_ETOOBIG: return "ETOOBIG";
    case PDM_EDENIED: return "EDENIED";
    case PDM_ENOTSUP: return "ENOTSUP";
    case PDM_EEXISTS: return "EEXISTS";
    case PDM_ENOTFOUND: return "ENOTFOUND";
    }
    return pdm_strerror(rc);
}

/* Converts an XML server message to WBXML (the server's encoding). */
static uint8_t *to_wbxml(const char *xml, size_t *len)
{
    pdm__doc d;
    pdm__buf b;
    pdm__codec_err e;
    uint8_t *out = NULL;
    pdm__doc_init(&d);
    pdm__buf_init(&b);
    if (pdm__xml_decode(&d, (const uint8_t *)xml, strlen(xml), NULL, &e) ==
            PDM_OK &&
        (unescape_doc(d.root), pdm__wbxml_encode(&b, &d, NULL, &e)) == PDM_OK)
        out = pdm__buf_steal(&b, len);
    pdm__buf_free(&b);
    pdm__doc_free(&d);
    return out;
}

/* "auto[-bad] <user> <password> <nonce>": the x-syncml-hmac header over
 * the exact bytes sent, so one case serves both encodings. */
static char *auto_hmac(const char *spec, const uint8_t *body, size_t len)
{
    char kind[16], user[128], pw[128], nonce[128], mac[PDM__B64_MD5_SIZE];
    pdm__buf b;
    if (sscanf(spec, "%15s %127s %127s %127s", kind, user, pw, nonce) != 4 ||
        pdm__auth_hmac_mac(user, pw, (const uint8_t *)nonce, strlen(nonce),
                           body, len, mac) != PDM_OK)
        return NULL;
    if (strcmp(kind, "auto-bad") == 0)
        mac[0] = mac[0] == 'A' ? 'B' : 'A';
    pdm__buf_init(&b);
    if (pdm__auth_hmac_header_build(user, mac, &b) != PDM_OK) {
        pdm__buf_free(&b);
        return NULL;
    }
    {
        size_t n;
        char *p = (char *)pdm__buf_steal(&b, &n);
        char *r = p ? strdup(p) : NULL;
        pdm__free(p);
        return r;
    }
}

/* After a run with a failing allocation: whatever it left in the state
 * directory opens again, with the allocator working (a failure never
 * damages the store).  Not under torture: true. */
static bool torture_reopen(const pdm_config *cfg)
{
    pdm_ctx *ctx = NULL;
    int rc;
    if (!g_torture)
        return true;
    pdm__alloc_fail_after(-1);
    if ((rc = pdm_ctx_open(&ctx, cfg)) != PDM_OK)
        uncleanf("the store does not open after the run (%d): %s", rc,
                 pdm_ctx_last_error(ctx));
    pdm_ctx_close(ctx);
    return rc == PDM_OK;
}

static bool run_case(scase *c, bool wbxml)
{
    char dir[512], profile[700], tree[700], sid[32] = "1";
    pdm_config cfg;
    pdm_device_hooks hooks;
    pdm_ctx *ctx = NULL;
    pdm_session *s = NULL;
    pdm_session_opts so;
    pdm_message m;
    const char *hmac = NULL;
    char *hmac_hdr = NULL;
    bool ok = true;
    static int seq;
    FILE *f;
    uint8_t *pkg0 = NULL;
    size_t pkg0_len = 0;
    int rc;

    snprintf(dir, sizeof dir, "%s/s%d", pdm_test_tmpdir(), seq++);
    snprintf(g_last_dir, sizeof g_last_dir, "%s", dir);
    snprintf(tree, sizeof tree, "%s/tests/session/%s", PDM_SOURCE_DIR, c->tree);
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    fprintf(f, "[profile]\nid = session-test\nfactory_tree = %s\n[device]\n"
               "devid = IMEI:493005100592800\nman = polydm\nmod = test\n"
               "dmv = 1.2\nlang = en\nmax_depth = 12\nmax_tot_len = 256\n"
               "max_seg_len = 40\n[session]\nserver_auth = %s\n%s%s",
            tree, c->server_auth ? "true" : "false", c->extra_session,
            c->extra_profile);
    for (size_t i = 0; i < c->nplugins; i++) {
        /* "name k=v k=v": the section and its options. */
        char spec[512], *tok, *save = NULL;
        snprintf(spec, sizeof spec, "%s", c->plugins[i]);
        tok = strtok_r(spec, " ", &save);
        fprintf(f, "[plugin %s]\n", tok);
        while ((tok = strtok_r(NULL, " ", &save)) && strchr(tok, '='))
            fprintf(f, "option.%.*s = %s\n", (int)strcspn(tok, "="), tok,
                    strchr(tok, '=') + 1);
    }
    fclose(f);
    memset(&hooks, 0, sizeof hooks);
    hooks.struct_size = sizeof hooks;
    hooks.ui = c->no_ui ? NULL : ui_hook;
    hooks.info = info_hook;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    cfg.plugin_path = PDM_FIXTURE_DIR;
    cfg.flags = c->no_plugins ? PDM_CTX_NO_PLUGINS : 0;
    cfg.hooks = &hooks;
    cfg.log_level = PDM_LOG_ERROR;
    cfg.log = log_cb;
    pdm__buf_reset(&g_log);
    ui_case = c;
    memset(&m, 0, sizeof m);
    c->uipos = 0;
    if ((rc = pdm_ctx_open(&ctx, &cfg)) != PDM_OK) {
        failf("  ctx: %s\n", pdm_ctx_last_error(ctx));
        if (g_torture && !(ctx ? pdm_ctx_last_error(ctx)[0] : rc == PDM_ENOMEM))
            uncleanf("ctx open failed (%d) without an error text", rc);
        pdm_ctx_close(ctx);
        return torture_reopen(&cfg) && false;
    }
    for (size_t i = 0; i < c->nraw; i++) {
        pdm__node *n = pdm__tree_lookup(ctx->tree, c->raw_uri[i]);
        uint8_t *v = (uint8_t *)pdm__strdup(c->raw_val[i]);
        size_t vl = strlen(c->raw_val[i]);
        if (!n || !v) {
            failf("  raw: no node %s\n", c->raw_uri[i]);
            pdm__free(v);
            pdm_ctx_close(ctx);
            return false;
        }
        unescape(v, &vl);
        pdm__node_set_value(n, v, vl);
        pdm__free(v);
    }
    /* The session id is the first server message's. */
    for (size_t i = 0; i < c->nsteps; i++) {
        char *p;
        if (c->steps[i].kind == ST_SERVER && c->steps[i].text &&
            (p = strstr(c->steps[i].text, "<SessionID>"))) {
            snprintf(sid, sizeof sid, "%.*s", (int)strcspn(p + 11, "<"), p + 11);
            break;
        }
    }
    if (c->pkg0_hex) {
        size_t n = strlen(c->pkg0_hex) / 2;
        pkg0 = malloc(n);
        for (size_t i = 0; i < n; i++)
            sscanf(c->pkg0_hex + 2 * i, "%2hhx", &pkg0[i]);
        pkg0_len = n;
    }
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = (wbxml ? PDM_SESSION_WBXML : 0) |
               (c->tls ? PDM_SESSION_TRANSPORT_FACTS : 0) | c->flags;
    so.server_id = pkg0 ? NULL : c->server;
    so.session_id = pkg0 ? NULL : sid;
    so.pkg0 = pkg0;
    so.pkg0_len = pkg0_len;
    if (g_counting)
        g_open_count = pdm__alloc_fail_after(-1);
    if ((rc = pdm_session_open(&s, ctx, &so)) != PDM_OK) {
        torture_over(s, rc, 0, true);
        /* a refused open is compared with "--- end" */
        for (size_t i = 0; i < c->nsteps; i++)
            if (c->steps[i].kind == ST_END &&
                strcmp(c->steps[i].text, rc_name(pdm_session_result(s))) == 0)
                goto done;
        failf("  open: %s\n", pdm_session_error(s));
        ok = false;
        goto done;
    }
    for (size_t i = 0; i < c->nsteps && ok; i++) {
        step *st = &c->steps[i];
        switch (st->kind) {
        case ST_CLIENT: {
            pdm__doc exp, got;
            if ((rc = pdm_session_next(s, &m)) != PDM_OK || !m.body) {
                torture_over(s, rc, i, true);
                failf("  step %zu: expected a client message, session over "
                      "(%s)\n",
                      i, pdm_session_error(s));
                ok = false;
                break;
            }
            if (c->tls) {
                /* "tls: yes": the integrator reports a verified TLS
                 * connection for every message (as the CLI does). */
                pdm_transport_info ti;
                memset(&ti, 0, sizeof ti);
                ti.struct_size = sizeof ti;
                ti.flags = PDM_TRANSPORT_VERIFIED;
                ti.tls_version = "TLS1.3";
                if (pdm_session_set_transport(s, &ti) != PDM_OK) {
                    failf("  step %zu: the transport report was refused "
                          "(%s)\n", i, pdm_session_error(s));
                    ok = false;
                    break;
                }
            }
            {
                /* PDM_DUMP_DIR: keep every client message for the oracle
                 * test (wbxml2xml, tshark). */
                const char *dump = getenv("PDM_DUMP_DIR");
                static int dumped;
                if (dump && !c->no_dump) {
                    char p[1024];
                    FILE *df;
                    snprintf(p, sizeof p, "%s/msg-%04d.%s", dump, dumped++,
                             wbxml ? "wbxml" : "xml");
                    if ((df = fopen(p, "wb"))) {
                        fwrite(m.body, 1, m.len, df);
                        fclose(df);
                    }
                }
            }
            decode_any(&exp, (const uint8_t *)st->text, strlen(st->text));
            unescape_doc(exp.root);
            if (decode_any(&got, m.body, m.len) != PDM_OK) {
                failf("  step %zu: client message does not decode\n", i);
                ok = false;
            } else if (!exp.root || !compare(exp.root, got.root, "")) {
                failf("  step %zu: client message differs; got:\n%.*s\n", i,
                      (int)(m.len > 3000 || wbxml ? 0 : m.len),
                      (const char *)m.body);
                ok = false;
            }
            if (st->value && (!m.url || strcmp(st->value, m.url) != 0)) {
                failf("  step %zu: client message to '%s', expected '%s'\n",
                      i, m.url ? m.url : "", st->value);
                ok = false;
            }
            pdm__doc_free(&exp);
            pdm__doc_free(&got);
            break;
        }
        case ST_SERVER: {
            uint8_t *body;
            size_t len;
            if (wbxml)
                body = to_wbxml(st->text, &len);
            else {
                body = (uint8_t *)pdm__strdup(st->text);
                len = strlen(st->text);
                if (body)
                    unescape(body, &len);
            }
            if (!body) {
                failf("  step %zu: bad server message in case\n", i);
                ok = false;
                break;
            }
            if (hmac && strncmp(hmac, "auto", 4) == 0 &&
                !(hmac_hdr = auto_hmac(hmac, body, len))) {
                failf("  step %zu: bad '--- hmac auto' line\n", i);
                ok = false;
                pdm__free(body);
                break;
            }
            pdm_session_reply(s, body, len,
                              wbxml ? "application/vnd.syncml.dm+wbxml"
                                    : "application/vnd.syncml.dm+xml",
                              hmac_hdr ? hmac_hdr : hmac);
            free(hmac_hdr);
            hmac_hdr = NULL;
            hmac = NULL;
            pdm__free(body);
            break;
        }
        case ST_HMAC:
            hmac = st->text;
            break;
        case ST_AUDIT:
        case ST_NO_AUDIT: {
            audit_find af = {st->text, false};
            pdm__store_audit_query(ctx->store, 0, audit_cb, &af);
            if (af.found != (st->kind == ST_AUDIT)) {
                failf("  step %zu: %s audit row with '%s'\n", i,
                      af.found ? "an unexpected" : "no", st->text);
                ok = false;
            }
            break;
        }
        case ST_TRANSPORT: {
            /* "<tls version>|plain [verified] [sha256//...] [=> RC]" */
            pdm_transport_info ti;
            char ver[32] = "", *pin = strstr(st->text, "sha256//"), pinb[80];
            const char *want = strstr(st->text, "=> ");
            memset(&ti, 0, sizeof ti);
            ti.struct_size = sizeof ti;
            sscanf(st->text, "%31s", ver);
            ti.tls_version = strcmp(ver, "plain") == 0 ? NULL : ver;
            if (strstr(st->text, " verified"))
                ti.flags |= PDM_TRANSPORT_VERIFIED;
            if (pin) {
                snprintf(pinb, sizeof pinb, "%.*s", (int)strcspn(pin, " "), pin);
                ti.key_pin = pinb;
            }
            rc = pdm_session_set_transport(s, &ti);
            if (strcmp(want ? want + 3 : "ok", rc_name(rc)) != 0) {
                failf("  step %zu: set_transport gave %s\n", i, rc_name(rc));
                ok = false;
            }
            break;
        }
        case ST_URL:
            if (!m.url || strcmp(m.url, st->text) != 0) {
                failf("  step %zu: the last client message went to %s\n", i,
                      m.url ? m.url : "(none)");
                ok = false;
            }
            break;
        case ST_RETRIED:
            pdm__session_transport_retried(s, st->text);
            break;
        case ST_LOG:
            if (!g_log.data || !memmem(g_log.data, g_log.len, st->text,
                                       strlen(st->text))) {
                failf("  step %zu: no log line has '%s'\n", i, st->text);
                ok = false;
            }
            break;
        case ST_ERROR:
            if (!strstr(pdm_session_error(s), st->text)) {
                failf("  step %zu: session error '%s' lacks '%s'\n", i,
                      pdm_session_error(s), st->text);
                ok = false;
            }
            break;
        case ST_RELOAD:
            /* The session's end (or a crash) leaves only the store. */
            pdm_session_close(s);
            s = NULL;
            pdm_ctx_close(ctx);
            ctx = NULL;
            if ((rc = pdm_ctx_open(&ctx, &cfg)) != PDM_OK) {
                if (g_torture && !(ctx ? pdm_ctx_last_error(ctx)[0]
                                       : rc == PDM_ENOMEM))
                    uncleanf("reload failed (%d) without an error text", rc);
                failf("  reload: %s\n", pdm_ctx_last_error(ctx));
                ok = false;
            }
            break;
        case ST_END: {
            int nrc = pdm_session_next(s, &m);
            if (nrc == PDM_OK && m.body && c->tls) {
                /* A message whose connection the session refuses when it
                 * is reported (a credential it must not carry) is never
                 * sent: the session is over. */
                pdm_transport_info ti;
                memset(&ti, 0, sizeof ti);
                ti.struct_size = sizeof ti;
                ti.flags = PDM_TRANSPORT_VERIFIED;
                ti.tls_version = "TLS1.3";
                if (pdm_session_set_transport(s, &ti) != PDM_OK)
                    memset(&m, 0, sizeof m);
            }
            if (nrc != PDM_OK || !m.body)
                torture_over(s, nrc, i, false);
            if (nrc != PDM_OK || m.body) {
                failf("  step %zu: expected the session to be over, client "
                      "sent:\n%.*s\n",
                      i, (int)(m.body && !wbxml ? m.len : 0),
                      m.body ? (const char *)m.body : "");
                ok = false;
            } else if (strcmp(st->text, rc_name(pdm_session_result(s))) != 0) {
                failf("  step %zu: session ended %s (%s), expected %s\n", i,
                      rc_name(pdm_session_result(s)), pdm_session_error(s),
                      st->text);
                ok = false;
            }
            break;
        }
        case ST_CHECK:
        case ST_ABSENT: {
            pdm__node *n = pdm__tree_lookup(ctx->tree, st->text);
            size_t vl = 0;
            const uint8_t *v = n ? pdm__node_value(n, &vl) : NULL;
            if (st->kind == ST_ABSENT && n) {
                failf("  %s exists\n", st->text);
                ok = false;
            } else if (st->kind == ST_CHECK &&
                       (!n ||
                        (vl == strlen(st->value ? st->value : "") &&
                         memcmp(v, st->value, vl) == 0) == st->differs)) {
                failf("  %s is '%.*s', expected '%s'\n", st->text, (int)vl,
                      v ? (const char *)v : "(absent)", st->value);
                ok = false;
            }
            break;
        }
        }
    }
done:
    pdm_session_close(s);
    pdm_ctx_close(ctx);
    free(pkg0);
    ui_case = NULL;
    return torture_reopen(&cfg) && ok;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case files, sorted (readdir order differs between file systems). */
static size_t list_cases(char **names, size_t max)
{
    DIR *d = opendir(CASE_DIR);
    struct dirent *e;
    size_t n = 0;
    const char *only = getenv("PDM_CASE");
    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max)
        if (strlen(e->d_name) > 5 &&
            strcmp(e->d_name + strlen(e->d_name) - 5, ".case") == 0 &&
            (!only || strstr(e->d_name, only)))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    return n;
}

static void test_session__cases(void)
{
    char *names[512];
    size_t n = list_cases(names, 512), failed = 0;
    CU_ASSERT_FATAL(n > 0);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        scase c;
        snprintf(path, sizeof path, "%s/%s", CASE_DIR, names[i]);
        if (parse_case(&c, path) != 0) {
            failed++;
            free(names[i]);
            continue;
        }
        for (int w = 0; w < 2; w++) {
            if ((c.only_enc == 1 && w == 1) || (c.only_enc == 2 && w == 0))
                continue;
            failbuf[0] = '\0';
            if (!run_case(&c, w == 1)) {
                printf("\n  FAIL %s (%s)\n%s", names[i], w ? "WBXML" : "XML",
                       failbuf);
                failed++;
            }
        }
        free_case(&c);
        free(names[i]);
    }
    printf("\n  %zu case files, %zu failed runs\n", n, failed);
    CU_ASSERT_EQUAL(failed, 0);
}

/* ---- allocation-failure torture ----------------------------------------
 * curl's and SQLite's method (issue 15 item 13): each case runs once to
 * count the core's allocations (everything through pdm__malloc & co.:
 * the context, profile, plugins' host side, tree, codec, session), then
 * once per N with allocation N failing: only that one
 * (pdm__alloc_fail_nth, curl's way: the recovery runs with a working
 * allocator) or, with PDM_TORTURE_MODE=after or both, that one and every
 * later one (pdm__alloc_fail_after, SQLite's persistent mode).  The case's
 * own expectations do not hold then; what must hold: no crash, no abort,
 * no sanitizer report (the asan preset turns each into a failed test), no
 * leak (LeakSanitizer after each case, when built with it), every failure
 * a clean one (a call returns an error and the session's result and error
 * text say so; see torture_over), and the state directory the run leaves
 * opens again (torture_reopen).
 *
 * SQLite's and libxml2's own allocations are not failed: they have their
 * own OOM handling and tests, the core sees their failures as an error
 * code of the call (SQLITE_NOMEM -> PDM_EIO/PDM_ENOMEM), a path the
 * store's fault tests cover; routing them through the hook
 * (SQLITE_CONFIG_MALLOC) would be process-wide configuration that a
 * library must not make for its integrator.
 *
 * The allocations before the session opens (context, profile, plugins,
 * store, factory tree: about 1,250 of a case's 1,300, and the same few
 * configurations in every case) and those of the session are sampled
 * apart: PDM_TORTURE_OPEN_STEP=K and PDM_TORTURE_STEP=K run every K-th N
 * of each (each case at its own offset, so that the cases together cover
 * every residue); the full sweep is 1 and 1 (the default).  PDM_CASE=text
 * limits it to the matching cases; PDM_TORTURE_FROM/TO to a window of N.
 */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    long n;
    char *end;
    if (!v || !*v)
        return def;
    n = strtol(v, &end, 10);
    return *end || n < 1 ? def : n;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void test_session__torture(void)
{
    char *names[512];
    size_t n = list_cases(names, 512), runs = 0, unclean = 0, leaks = 0,
           swept = 0, absorbed = 0;
    bool verbose = getenv("PDM_TORTURE_VERBOSE") != NULL;
    /* where each failure happened: tallied for the absorbed ones, printed
     * for all with PDM_TORTURE_VERBOSE=2 (sanitizer builds) */
    torture_site_arm(env_long("PDM_TORTURE_VERBOSE", 0) >= 2);
    long every = env_long("PDM_TORTURE_STEP", 1);
    long open_every = env_long("PDM_TORTURE_OPEN_STEP", every);
    size_t swept_open = 0;
    /* PDM_TORTURE_FROM/TO: a window of N, to look at one finding */
    long from = env_long("PDM_TORTURE_FROM", 0), to = env_long("PDM_TORTURE_TO", 0);
    const char *mode = getenv("PDM_TORTURE_MODE");
    bool nth = !mode || strcmp(mode, "after") != 0;
    bool after = mode && (strcmp(mode, "after") == 0 ||
                          strcmp(mode, "both") == 0);
    CU_ASSERT_FATAL(n > 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        scase c;
        unsigned h = 0;
        snprintf(path, sizeof path, "%s/%s", CASE_DIR, names[i]);
        for (const char *p = names[i]; *p; p++)
            h = h * 31u + (unsigned char)*p;
        if (parse_case(&c, path) != 0) {
            free(names[i]);
            continue;
        }
        for (int w = 0; w < 2; w++) {
            long total;
            if ((c.only_enc == 1 && w == 1) || (c.only_enc == 2 && w == 0))
                continue;
            failbuf[0] = '\0';
            pdm__alloc_fail_after(-1);
            g_counting = true;
            g_open_count = 0;
            run_case(&c, w == 1); /* its outcome is session_cases' business */
            g_counting = false;
            total = g_open_count + pdm__alloc_fail_after(-1);
            nftw(g_last_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
            if (to && total > to)
                total = to;
            for (long k = from; k < total; k++) {
                /* the opening (the same few configurations in every case)
                 * every open_every-th N, the session every every-th */
                long e = k < g_open_count ? open_every : every;
                if ((unsigned long)k % (unsigned long)e != h % (unsigned long)e)
                    continue;
                for (int persistent = 0; persistent < 2; persistent++) {
                    if (persistent ? !after : !nth)
                        continue;
                    g_torture = true;
                    g_unclean[0] = '\0';
                    failbuf[0] = '\0';
                    if (persistent)
                        pdm__alloc_fail_after(k);
                    else
                        pdm__alloc_fail_nth(k);
                    /* A run that still meets every expectation: the
                     * failure was absorbed (a cache, a log line, or a bug
                     * that loses something quietly); counted, and shown
                     * with PDM_TORTURE_VERBOSE. */
                    torture_site_clear();
                    if (run_case(&c, w == 1) && !persistent &&
                        torture_site_hit()) {
                        char ex[200];
                        snprintf(ex, sizeof ex, "%s (%s), allocation %ld",
                                 names[i], w ? "WBXML" : "XML", k);
                        absorbed++;
                        torture_site_absorbed(ex);
                        if (verbose)
                            printf("  absorbed: %s\n", ex);
                    }
                    pdm__alloc_fail_after(-1);
                    g_torture = false;
                    nftw(g_last_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
                    runs++;
                    if (g_unclean[0]) {
                        printf("\n  UNCLEAN %s (%s), allocation %ld%s: %s",
                               names[i], w ? "WBXML" : "XML", k,
                               persistent ? " and later" : "", g_unclean);
                        unclean++;
                    }
                }
                swept++;
                swept_open += k < g_open_count;
            }
        }
        if (__lsan_do_recoverable_leak_check &&
            __lsan_do_recoverable_leak_check()) {
            printf("\n  LEAK after the torture of %s (see the report above)",
                   names[i]);
            leaks++;
        }
        free_case(&c);
        free(names[i]);
    }
    printf("\n  torture: %zu case files, %zu values of N (%zu in the "
           "opening: every %ld; in the session: every %ld), %zu runs, %zu "
           "unclean, %zu with leaks, %zu absorbed (the case passed)\n",
           n, swept, swept_open, open_every, every, runs, unclean, leaks,
           absorbed);
    torture_site_report();
    torture_site_disarm();
    CU_ASSERT_EQUAL(unclean, 0);
    CU_ASSERT_EQUAL(leaks, 0);
}

/* Out of memory in pdm_ctx_open and pdm_session_open, allocation by
 * allocation: a failed open says so with a text (it once left
 * pdm_ctx_last_error and pdm_session_error empty), and a DevId that could
 * not be read for lack of memory is PDM_ENOMEM, not a missing node. */
static void test_session__open_oom(void)
{
    char dir[600], profile[700];
    pdm_config cfg;
    FILE *f;
    long nctx = 0, nsess = 0, ctx_ok = 0, sess_ok = 0;
    snprintf(dir, sizeof dir, "%s/oom", pdm_test_tmpdir());
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "[profile]\nid = oom\nfactory_tree = %s/tests/session/"
               "tree.tnds.xml\n[device]\ndevid = IMEI:1\n[session]\n"
               "server_auth = false\n", PDM_SOURCE_DIR);
    fclose(f);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    cfg.flags = PDM_CTX_NO_PLUGINS;
    cfg.log_level = PDM_LOG_ERROR;
    /* The store exists (created once); then every allocation of an open
     * and of a session open fails in turn. */
    {
        pdm_ctx *ctx = NULL;
        pdm_session *s = NULL;
        pdm_session_opts so;
        CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
        pdm_ctx_close(ctx);
        ctx = NULL;
        pdm__alloc_fail_after(-1);
        CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
        nctx = pdm__alloc_fail_after(-1);
        memset(&so, 0, sizeof so);
        so.struct_size = sizeof so;
        so.server_id = "srv-md5";
        CU_ASSERT_EQUAL(pdm_session_open(&s, ctx, &so), PDM_OK);
        nsess = pdm__alloc_fail_after(-1);
        pdm_session_close(s);
        pdm_ctx_close(ctx);
    }
    CU_ASSERT(nctx > 100 && nsess > 5);
    for (long n = 0; n < nctx; n++) {
        pdm_ctx *ctx = NULL;
        int rc;
        pdm__alloc_fail_nth(n);
        rc = pdm_ctx_open(&ctx, &cfg);
        pdm__alloc_fail_after(-1);
        if (rc == PDM_OK) {
            ctx_ok++;
        } else if (ctx) {
            CU_ASSERT(pdm_ctx_last_error(ctx)[0] != '\0');
        } else {
            CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        }
        pdm_ctx_close(ctx);
    }
    for (long n = 0; n < nsess; n++) {
        pdm_ctx *ctx = NULL;
        pdm_session *s = NULL;
        pdm_session_opts so;
        int rc;
        CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
        memset(&so, 0, sizeof so);
        so.struct_size = sizeof so;
        so.server_id = "srv-md5";
        pdm__alloc_fail_nth(n);
        rc = pdm_session_open(&s, ctx, &so);
        pdm__alloc_fail_after(-1);
        if (rc == PDM_OK) {
            sess_ok++;
        } else if (s) {
            CU_ASSERT_NOT_EQUAL(pdm_session_result(s), PDM_OK);
            CU_ASSERT(pdm_session_error(s)[0] != '\0');
            /* memory, not a node the tree lacks */
            CU_ASSERT_PTR_NULL(strstr(pdm_session_error(s), "no ./DevInfo"));
        } else {
            CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        }
        pdm_session_close(s);
        pdm_ctx_close(ctx);
    }
    /* and none is lost without a trace: each one fails the open (they
     * once left out a DevInfo leaf, an AAuthSecret, a nonce, a node's
     * owner, the profile id) */
    CU_ASSERT_EQUAL(ctx_ok, 0);
    CU_ASSERT_EQUAL(sess_ok, 0);
}

static const pdm_test tests[] = {{"cases", test_session__cases},
                                 {"open_oom", test_session__open_oom},
                                 {NULL, NULL}};
static const pdm_suite suites[] = {{"session", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};
/* Only on request (`session_cases torture`): it is its own CTest test. */
static const pdm_test torture[] = {{"torture", test_session__torture},
                                   {NULL, NULL}};
static const pdm_suite torture_suites[] = {{"session", torture, NULL, NULL},
                                           {NULL, NULL, NULL, NULL}};

/* PDM_TORTURE_SQLITE=1: SQLite's own allocations go through the core's
 * allocator too, so that its failures (SQLITE_NOMEM in the store) are
 * tortured as well.  Configured by this test program before SQLite
 * starts; the library never does (process-wide, the integrator's). */
static void *sq_malloc(int n) { return pdm__malloc((size_t)n); }
static void sq_free(void *p) { pdm__free(p); }
static void *sq_realloc(void *p, int n) { return pdm__realloc(p, (size_t)n); }
static int sq_size(void *p) { return p ? (int)malloc_usable_size(p) : 0; }
static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *u) { (void)u; return SQLITE_OK; }
static void sq_shutdown(void *u) { (void)u; }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "torture") == 0) {
        static const sqlite3_mem_methods mm = {
            sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup,
            sq_init, sq_shutdown, NULL};
        if (getenv("PDM_TORTURE_SQLITE") &&
            sqlite3_config(SQLITE_CONFIG_MALLOC, &mm) != SQLITE_OK) {
            fprintf(stderr, "SQLITE_CONFIG_MALLOC refused\n");
            return 2;
        }
        return pdm_test_run(torture_suites, argc, argv);
    }
    return pdm_test_run(suites, argc, argv);
}
