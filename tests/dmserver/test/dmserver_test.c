/*
 * Tests of polydm-testserver (CTest label "dmserver"): each case starts
 * the server binary on an ephemeral loopback port with a scenario and
 * drives it with the fake client (fakeclient.c), then checks the server's
 * exit code and report, the client's view of the server's messages, pushes
 * received on a UDP socket and transcripts.
 *
 *   dmserver_test CASE      (cases: see main())
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <polydm/bootstrap.h>

#include "auth/auth.h"
#include "fakeclient.h"
#include "scenario.h"
#include "sml.h"

static int g_fail;
static char g_tmp[256];

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__,  \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            g_fail++;                                                        \
        }                                                                    \
    } while (0)

static const char *path_of(const char *rel)
{
    static char buf[8][1024];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", DMS_SOURCE_DIR, rel);
    return b;
}

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", g_tmp, name);
    return b;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t r;
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            b = realloc(b, cap + 1);
            if (!b)
                abort();
        }
        r = fread(b + n, 1, cap - n, f);
        if (!r)
            break;
        n += r;
    }
    fclose(f);
    if (!b)
        b = calloc(1, 1);
    b[n] = 0;
    if (len)
        *len = n;
    return b;
}

/* ---- running programs ----------------------------------------------------- */

/* Runs argv, returns the exit code (-1 on signal); out and err get the
 * program's stdout and stderr (malloc'd) when non-NULL. */
static int run(char *const argv[], char **out, char **err)
{
    char op[600], ep[600];
    int ofd, efd, st = 0;
    pid_t pid;
    snprintf(op, sizeof op, "%s/run-out-XXXXXX", g_tmp);
    snprintf(ep, sizeof ep, "%s/run-err-XXXXXX", g_tmp);
    ofd = mkstemp(op);
    efd = mkstemp(ep);
    pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(ofd);
    close(efd);
    waitpid(pid, &st, 0);
    if (out)
        *out = slurp(op, NULL);
    if (err)
        *err = slurp(ep, NULL);
    unlink(op);
    unlink(ep);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

typedef struct srv {
    pid_t pid;
    int port;
    bool v6;
    bool https;
    char errpath[600];
    char *err;
    char url[128];
    int code;
} srv;

static bool srv_start(srv *s, const char *scn, const char *const *extra)
{
    const char *argv[40];
    int n = 0, outp[2], efd;
    char buf[512];
    size_t got = 0;
    double deadline;
    struct timespec ts;

    memset(s, 0, sizeof *s);
    argv[n++] = DMS_SERVER_BIN;
    argv[n++] = "--scenario";
    argv[n++] = scn;
    argv[n++] = "--port";
    argv[n++] = "0";
    if (extra && extra[0] && strcmp(extra[0], "--serve") == 0)
        extra++; /* server mode: no --once */
    else
        argv[n++] = "--once";
    argv[n++] = "--timeout";
    argv[n++] = "10";
    argv[n++] = "--end-wait";
    argv[n++] = "250";
    for (int i = 0; extra && extra[i] && n < 36; i++)
        argv[n++] = extra[i];
    if (getenv("DMS_KEEP") && !(extra && extra[0] &&
                                strcmp(extra[0], "--transcript") == 0)) {
        /* debugging aid: keep a transcript of every server run */
        static char tp[8][700];
        static int k;
        const char *b = strrchr(scn, '/');
        snprintf(tp[k % 8], sizeof tp[0], "%s/%s.%d.transcript",
                 getenv("DMS_KEEP"), b ? b + 1 : scn, k);
        argv[n++] = "--transcript";
        argv[n++] = tp[k++ % 8];
    }
    argv[n] = NULL;
    if (pipe(outp) != 0)
        return false;
    snprintf(s->errpath, sizeof s->errpath, "%s/srv-err-XXXXXX", g_tmp);
    efd = mkstemp(s->errpath);
    s->pid = fork();
    if (s->pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(outp[1], 1);
        dup2(efd, 2);
        close(outp[0]);
        execv(DMS_SERVER_BIN, (char *const *)argv);
        _exit(127);
    }
    close(outp[1]);
    close(efd);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = (double)ts.tv_sec + 10.0;
    while (got < sizeof buf - 1) {
        struct pollfd p = {outp[0], POLLIN, 0};
        ssize_t r;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if ((double)ts.tv_sec > deadline)
            break;
        if (poll(&p, 1, 200) <= 0) {
            if (memchr(buf, '\n', got))
                break;
            continue;
        }
        r = read(outp[0], buf + got, sizeof buf - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = 0;
        if (strstr(buf, "[::1]") || (memchr(buf, '\n', got) && got > 30 &&
                                       strchr(strchr(buf, '\n') + 1, '\n')))
            break;
    }
    buf[got] = 0;
    close(outp[0]);
    {
        const char *p = strstr(buf, "listening on ");
        const char *c = p ? strstr(p, "127.0.0.1:") : NULL;
        if (!c) {
            fprintf(stderr, "server did not start: %s\n", buf);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            return false;
        }
        s->port = (int)strtol(c + 10, NULL, 10); /* digits: the server's own line */
        s->https = strncmp(p + 13, "https", 5) == 0;
        s->v6 = strstr(buf, "[::1]") != NULL;
        snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d/dm",
                 s->https ? "https" : "http", s->port);
    }
    return true;
}

static int srv_wait(srv *s, int timeout_ms)
{
    int st = 0;
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        struct timespec ts = {0, 10 * 1000 * 1000};
        if (r == s->pid)
            break;
        if (waited >= timeout_ms) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            fprintf(stderr, "server killed after %d ms\n", timeout_ms);
            s->code = -1;
            s->err = slurp(s->errpath, NULL);
            unlink(s->errpath);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    s->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    s->err = slurp(s->errpath, NULL);
    unlink(s->errpath);
    return s->code;
}

static void srv_done(srv *s)
{
    free(s->err);
    s->err = NULL;
}

static void base_client(fc_config *c, const srv *s)
{
    fc_config_init(c);
    c->url = s->url;
    c->server_id = "test.server";
    c->tree = path_of("testdata/basic.tnds.xml");
    c->verbose = getenv("DMS_VERBOSE") ? 1 : 0;
}

/* Runs a scenario against the fake client; returns the server's exit
 * code; the client's result stays in *r (caller frees). */
static int session(const char *scn, fc_config *c, fc_result *r,
                   const char *const *extra, char **server_err)
{
    srv s;
    int code;
    if (!srv_start(&s, scn, extra)) {
        g_fail++;
        memset(r, 0, sizeof *r);
        return -1;
    }
    c->url = s.url;
    fc_run(c, r);
    code = srv_wait(&s, 20000);
    if (server_err)
        *server_err = s.err ? strdup(s.err) : strdup("");
    if (getenv("DMS_VERBOSE"))
        fprintf(stderr, "--- server stderr (%s):\n%s", scn, s.err ? s.err : "");
    srv_done(&s);
    return code;
}

static int count_str(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL;
         p += strlen(needle))
        n++;
    return n;
}

#define SRVPW_NONCE "srvnonce"

/* ---- table-driven runs ------------------------------------------------------ */

/* One run of a testdata scenario against the fake client and what must
 * come of it.  Credentials: the client is "dev" with cpw (cauth), the
 * server "test.server" with spw (sauth); nonces are text.  A skeleton
 * ending in "..." is a prefix, otherwise the whole message. */
typedef struct run_case {
    const char *what;
    const char *scn;             /* under testdata/ */
    bool wbxml;
    int cauth;
    const char *cpw, *cnonce;
    int sauth;
    const char *spw, *snonce;
    void (*tweak)(fc_config *c); /* misbehaviour, sizes, overrides */
    int exit;                    /* the server's exit code */
    bool client_ok;              /* the fake client found no problem */
    bool refused;                /* the server refused the client for good */
    const char *report[4];       /* in the server's report */
    const char *skel[2];         /* messages 0 and 1 */
    size_t nrx;                  /* number of server messages (0: any) */
    const char *chal, *chal_nonce; /* message 0's Chal Meta Type, NextNonce */
    void (*check)(const struct run_case *t, const fc_result *r);
} run_case;

static void chal_of(const fc_result *r, size_t i, char *type, size_t tl,
                    char *nonce, size_t nl);

static bool skel_matches(const char *want, const char *got)
{
    size_t n = strlen(want);
    if (n >= 3 && strcmp(want + n - 3, "...") == 0)
        return strncmp(got, want, n - 3) == 0;
    return strcmp(got, want) == 0;
}

static void run_cases(const run_case *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const run_case *t = &v[i];
        fc_config c;
        fc_result r;
        char *err = NULL, scn[300];
        int code;
        base_client(&c, &(srv){0});
        c.wbxml = t->wbxml;
        if (t->cauth) {
            c.cauth = t->cauth;
            c.cuser = "dev";
            c.cpw = t->cpw;
        }
        if (t->cnonce) {
            c.cnonce = (const uint8_t *)t->cnonce;
            c.cnonce_len = strlen(t->cnonce);
        }
        if (t->sauth) {
            c.sauth = t->sauth;
            c.sname = "test.server";
            c.spw = t->spw;
        }
        if (t->snonce) {
            c.snonce = (const uint8_t *)t->snonce;
            c.snonce_len = strlen(t->snonce);
        }
        if (t->tweak)
            t->tweak(&c);
        snprintf(scn, sizeof scn, "testdata/%s", t->scn);
        code = session(path_of(scn), &c, &r, NULL, &err);
        if (t->client_ok)
            CHECK(r.rc == 0, "%s: fake client: %s", t->what, r.err);
        CHECK(code == t->exit, "%s: server exit %d, expected %d:\n%s",
              t->what, code, t->exit, err);
        if (t->refused)
            CHECK(r.auth_refused, "%s: the fake client was not refused",
                  t->what);
        for (size_t k = 0; k < 4 && t->report[k]; k++)
            CHECK(err && strstr(err, t->report[k]),
                  "%s: not in the report: \"%s\"\n%s", t->what, t->report[k],
                  err);
        for (size_t k = 0; k < 2; k++) {
            char *got;
            if (!t->skel[k])
                continue;
            CHECK(k < r.nrx, "%s: no server message %zu", t->what, k);
            if (k >= r.nrx)
                continue;
            got = fc_skeleton(&r, k);
            CHECK(skel_matches(t->skel[k], got),
                  "%s: message %zu is\n  %s\nexpected\n  %s", t->what, k, got,
                  t->skel[k]);
            free(got);
        }
        if (t->nrx)
            CHECK(r.nrx == t->nrx, "%s: %zu server messages, expected %zu",
                  t->what, r.nrx, t->nrx);
        if (t->chal || t->chal_nonce) {
            char type[64], nonce[128];
            chal_of(&r, 0, type, sizeof type, nonce, sizeof nonce);
            if (t->chal)
                CHECK(strcmp(type, t->chal) == 0, "%s: Chal type \"%s\"",
                      t->what, type);
            if (t->chal_nonce)
                CHECK(strcmp(nonce, t->chal_nonce) == 0,
                      "%s: Chal NextNonce \"%s\"", t->what, nonce);
        }
        if (t->check)
            t->check(t, &r);
        free(err);
        fc_result_free(&r);
    }
}

#define RUN_CASES(v) run_cases((v), sizeof(v) / sizeof(v)[0])

/* ---- cases ------------------------------------------------------------------ */

static void t_parse(void)
{
    glob_t g;
    const char *pats[] = {"scenarios/*.scn", "testdata/*.scn"};
    int nfiles = 0;
    for (int k = 0; k < 2; k++) {
        if (glob(path_of(pats[k]), 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--check",
                            g.gl_pathv[i], NULL};
            char *err = NULL;
            int rc = run(argv, NULL, &err);
            CHECK(rc == 0, "%s does not parse: %s", g.gl_pathv[i], err);
            free(err);
            nfiles++;
        }
        globfree(&g);
    }
    CHECK(nfiles >= 20, "only %d scenario files found", nfiles);
    if (glob(path_of("testdata/bad/*.scn"), 0, NULL, &g) == 0) {
        CHECK(g.gl_pathc >= 10, "bad scenarios missing");
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char *text = slurp(g.gl_pathv[i], NULL);
            char want[512] = "";
            char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--check",
                            g.gl_pathv[i], NULL};
            char *err = NULL;
            int rc;
            if (text && strncmp(text, "# expect: ", 10) == 0) {
                size_t n = strcspn(text + 10, "\n");
                snprintf(want, sizeof want, "%.*s", (int)n, text + 10);
            }
            rc = run(argv, NULL, &err);
            CHECK(rc == 2, "%s: exit %d, expected 2", g.gl_pathv[i], rc);
            CHECK(want[0] && err && strstr(err, want),
                  "%s: expected error \"%s\", got \"%s\"", g.gl_pathv[i],
                  want, err ? err : "");
            free(err);
            free(text);
        }
        globfree(&g);
    }
    /* the scenario examples of README.md parse */
    {
        char *md = slurp(path_of("README.md"), NULL);
        int nex = 0;
        const char *p = md;
        CHECK(md != NULL, "README.md");
        while (p && (p = strstr(p, "\n```\n")) != NULL) {
            const char *body = p + 5, *end = strstr(body, "\n```");
            static const char *const starts[] = {"server-id", "client-auth",
                                                 "send", "pkg1", "session",
                                                 NULL};
            bool scn = false;
            if (!end)
                break;
            for (int i = 0; starts[i]; i++)
                if (strncmp(body, starts[i], strlen(starts[i])) == 0)
                    scn = true;
            if (scn) {
                char path[600], *err = NULL;
                FILE *f;
                snprintf(path, sizeof path, "%s/readme-%d.scn", g_tmp, nex++);
                f = fopen(path, "w");
                if (f) {
                    fwrite(body, 1, (size_t)(end - body) + 1, f);
                    fclose(f);
                }
                {
                    char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--check",
                                    path, NULL};
                    int rc = run(argv, NULL, &err);
                    CHECK(rc == 0, "README example %d does not parse: %s", nex,
                          err);
                }
                free(err);
            }
            p = end + 4;
        }
        CHECK(nex >= 4, "only %d scenario examples found in README.md", nex);
        free(md);
    }
    /* the parser directly: an empty scenario is one session */
    {
        char err[256];
        scenario *s = sc_parse("mem.scn", "", 0, err, sizeof err);
        CHECK(s && s->nsessions == 1 && s->sessions[0].end_kind == SC_END_SERVER,
              "empty scenario");
        sc_free(s);
    }
}

static const char *BASIC_PKG2 =
    "Status:SyncHdr=212 Status:Alert=200 Status:Replace=200 "
    "Get:./Vendor/Color Get:./Vendor Add:./Vendor/New[chr] "
    "Replace:./Vendor/Size[int] Delete:./Vendor/Old Copy:./Vendor/Copy "
    "Alert:1101(2 items) Atomic{Replace:./Vendor/Color[chr] "
    "Replace:./Vendor/Size[int]} Sequence{Get:./Vendor/Color "
    "Get:./Vendor/Size?prop=Format} Final";

static void t_basic(bool wbxml)
{
    srv s;
    fc_config c;
    fc_result r;
    int code;
    if (!srv_start(&s, path_of("testdata/basic.scn"), NULL)) {
        g_fail++;
        return;
    }
    base_client(&c, &s);
    c.wbxml = wbxml;
    c.cauth = SC_AUTH_BASIC;
    c.cuser = "dev";
    c.cpw = "devpw";
    c.sauth = SC_AUTH_MD5;
    c.sname = "test.server";
    c.spw = "srvpw";
    c.snonce = (const uint8_t *)SRVPW_NONCE;
    c.snonce_len = strlen(SRVPW_NONCE);
    if (wbxml && s.v6) {
        static char u6[128];
        snprintf(u6, sizeof u6, "http://[::1]:%d/dm", s.port);
        c.url = u6; /* first message over IPv6, RespURI keeps it */
    }
    fc_run(&c, &r);
    code = srv_wait(&s, 20000);
    CHECK(r.rc == 0, "fake client: %s", r.err);
    CHECK(code == 0, "server exit %d:\n%s", code, s.err);
    CHECK(r.nrx == 3, "%zu server messages", r.nrx);
    if (r.nrx == 3) {
        char *k0 = fc_skeleton(&r, 0), *k1 = fc_skeleton(&r, 1),
             *k2 = fc_skeleton(&r, 2);
        CHECK(strcmp(k0, BASIC_PKG2) == 0, "package 2 is\n  %s\nexpected\n  %s",
              k0, BASIC_PKG2);
        CHECK(strcmp(k1, "Status:SyncHdr=200 Get:./Vendor/Copy "
                         "Get:./Vendor/Old Get:./Vendor/New "
                         "Exec:./Vendor/Color Final") == 0,
              "package 4 is %s", k1);
        CHECK(strcmp(k2, "Status:SyncHdr=200 Final") == 0,
              "the end package is %s", k2);
        free(k0);
        free(k1);
        free(k2);
    }
    CHECK(r.server_auth_ok >= 1 && r.server_auth_bad == 0,
          "server MD5 credentials: %d ok, %d bad", r.server_auth_ok,
          r.server_auth_bad);
    CHECK(r.ui_alerts == 1, "UI alerts %d", r.ui_alerts);
    if (wbxml)
        CHECK(r.wbxml_checked == (int)r.nrx, "wbxml2xml checked %d of %zu",
              r.wbxml_checked, r.nrx);
    if (wbxml && s.v6)
        CHECK(r.nrx && memmem(r.rx[0].body, r.rx[0].len, "[::1]", 5),
              "RespURI does not keep the IPv6 host");
    CHECK(s.err && strstr(s.err, "PASSED"), "no PASSED line: %s", s.err);
    fc_result_free(&r);
    srv_done(&s);
}

static void t_basic_xml(void) { t_basic(false); }
static void t_basic_wbxml(void) { t_basic(true); }

static void tw_override_size_404(fc_config *c)
{
    c->overrides[0] = (fc_override){"./Vendor/Size", "Replace", 404};
    c->noverrides = 1;
}

static void t_mismatch(void)
{
    static const run_case v[] = {
        {.what = "wrong status, value and children", .scn = "mismatch.scn",
         .tweak = tw_override_size_404, .exit = 1, .client_ok = true,
         .report = {"mismatch.scn:9: session 1, package 3 (reply to "
                    "package 2): Get 'g1' (./Vendor/Color): Results value: "
                    "expected \"red\", got \"blue\"",
                    "mismatch.scn:10: session 1, package 3 (reply to "
                    "package 2): Replace 'r1' (./Vendor/Size): expected "
                    "status 200, got 404",
                    "mismatch.scn:11: session 1, package 3 (reply to "
                    "package 2): Get 'g2' (./Vendor): children: expected "
                    "exactly \"Color/Size\"",
                    "FAILED (3 failures"}},
    };
    RUN_CASES(v);
}

static void tw_answer_after_end(fc_config *c) { c->answer_after_end = true; }

static void tw_no_1222(fc_config *c)
{
    c->max_msg_size = 1200;
    c->no_1222 = true;
}

static void tw_drop_status(fc_config *c) { c->drop_status = true; }

static void t_protocol(void)
{
    static const run_case v[] = {
        {.what = "the client answers the end package", .scn = "basic.scn",
         .cauth = SC_AUTH_BASIC, .cpw = "devpw", .tweak = tw_answer_after_end,
         .exit = 1, .report = {"after the server's final package"}},
        {.what = "no Alert 1222 for the next message", .scn = "multimsg.scn",
         .tweak = tw_no_1222, .exit = 1, .report = {"without Alert 1222"}},
        {.what = "a command without status", .scn = "basic.scn",
         .cauth = SC_AUTH_BASIC, .cpw = "devpw", .sauth = SC_AUTH_MD5,
         .spw = "srvpw", .snonce = SRVPW_NONCE, .tweak = tw_drop_status,
         .exit = 1,
         .report = {"basic.scn:14: session 1, package 3 (reply to package "
                    "2): Get 'g1' (./Vendor/Color): no Status from the "
                    "client"}},
    };
    RUN_CASES(v);
}

/* Returns the Chal Meta Type and NextNonce of message i's first status. */
static void chal_of(const fc_result *r, size_t i, char *type, size_t tl,
                    char *nonce, size_t nl)
{
    pdm__doc d;
    const pdm__el *st;
    type[0] = nonce[0] = 0;
    if (i >= r->nrx)
        return;
    pdm__doc_init(&d);
    if (sml_decode(&d, r->rx[i].body, r->rx[i].len,
                   sml_ctype_encoding(r->rx[i].ctype), NULL, 0) == PDM_OK &&
        d.root) {
        st = pdm__el_child(pdm__el_child(d.root, PDM_TAG_SYNCBODY),
                           PDM_TAG_STATUS);
        if (st && pdm__el_child(st, PDM_TAG_CHAL)) {
            const pdm__el *ch = pdm__el_child(st, PDM_TAG_CHAL);
            const char *t = sml_meta(ch, PDM_TAG_MI_TYPE);
            const char *n = sml_meta(ch, PDM_TAG_MI_NEXTNONCE);
            snprintf(type, tl, "%s", t ? t : "");
            snprintf(nonce, nl, "%s", n ? n : "");
        }
    }
    pdm__doc_free(&d);
}

static void tw_no_initial_cred(fc_config *c) { c->no_initial_cred = true; }

static void t_auth_basic(void)
{
    static const run_case v[] = {
        {.what = "scripted 407 challenge", .scn = "auth_basic.scn",
         .cauth = SC_AUTH_BASIC, .cpw = "devpw", .client_ok = true,
         .skel = {"Status:SyncHdr=407 Status:Alert=407 Status:Replace=407 "
                  "Final",
                  "Status:SyncHdr=212 ..."},
         .chal = "syncml:auth-basic"},
        /* a first message without Cred is a failure, even though the
         * client recovers after the 407 */
        {.what = "initial=required", .scn = "auth_required.scn",
         .cauth = SC_AUTH_BASIC, .cpw = "devpw", .tweak = tw_no_initial_cred,
         .exit = 1, .report = {"sent no credentials in its first message"}},
        {.what = "no scripted challenge, no Cred at first",
         .scn = "auth_basic_auto.scn", .cauth = SC_AUTH_BASIC, .cpw = "devpw",
         .tweak = tw_no_initial_cred, .client_ok = true,
         .skel = {"Status:SyncHdr=407 ..."}},
    };
    RUN_CASES(v);
}

/* A stale nonce: the 401's fresh nonce is 16 bytes (24 in base64), and
 * the 212 carries the next session's. */
static void ck_md5_stale(const run_case *t, const fc_result *r)
{
    char type[64], nonce[128];
    chal_of(r, 0, type, sizeof type, nonce, sizeof nonce);
    CHECK(strlen(nonce) == 24, "%s: 401 NextNonce %s", t->what, nonce);
    CHECK(strcmp(r->next_nonce, "bmV4dHNlc3Npb24=") == 0,
          "%s: NextNonce for the next session: %s", t->what, r->next_nonce);
}

/* auth-accept message: 200 and a new nonce on every message */
static void ck_md5_every_message(const run_case *t, const fc_result *r)
{
    char prev[128] = "";
    for (size_t i = 0; i + 1 < r->nrx; i++) {
        char *k = fc_skeleton(r, i), type[64], nonce[128];
        CHECK(strncmp(k, "Status:SyncHdr=200 ", 19) == 0, "%s: message %zu: %s",
              t->what, i, k);
        chal_of(r, i, type, sizeof type, nonce, sizeof nonce);
        CHECK(strcmp(type, "syncml:auth-md5") == 0 && strlen(nonce) == 24 &&
                  strcmp(nonce, prev) != 0,
              "%s: message %zu: Chal %s %s", t->what, i, type, nonce);
        snprintf(prev, sizeof prev, "%s", nonce);
        free(k);
    }
}

static void t_auth_md5(void)
{
    static const run_case v[] = {
        {.what = "stale nonce", .scn = "auth_md5.scn", .cauth = SC_AUTH_MD5,
         .cpw = "devpw", .cnonce = "stale", .client_ok = true,
         .skel = {"Status:SyncHdr=401 ...", "Status:SyncHdr=212 ..."},
         .chal = "syncml:auth-md5", .check = ck_md5_stale},
        {.what = "the right nonce at once", .scn = "auth_md5.scn",
         .cauth = SC_AUTH_MD5, .cpw = "devpw", .cnonce = "n0",
         .client_ok = true, .skel = {"Status:SyncHdr=212 ..."}},
        {.what = "auth-accept message", .scn = "auth_md5_msg.scn",
         .cauth = SC_AUTH_MD5, .cpw = "devpw", .cnonce = "n0",
         .client_ok = true, .check = ck_md5_every_message},
        {.what = "scripted challenge with a given nonce",
         .scn = "auth_md5_chal.scn", .cauth = SC_AUTH_MD5, .cpw = "devpw",
         .cnonce = "n0", .client_ok = true, .chal_nonce = "ZnJlc2g="},
    };
    RUN_CASES(v);
}

/* HMAC: SyncHdr 200 on every message, the server's header verified and
 * naming the server */
static void ck_hmac(const run_case *t, const fc_result *r)
{
    CHECK(r->server_auth_ok == 3 && r->server_auth_bad == 0,
          "%s: server HMAC ok %d bad %d", t->what, r->server_auth_ok,
          r->server_auth_bad);
    for (size_t i = 0; i < r->nrx; i++) {
        char *k = fc_skeleton(r, i);
        CHECK(strncmp(k, "Status:SyncHdr=200 ", 19) == 0,
              "%s: HMAC SyncHdr status must be 200: %s", t->what, k);
        CHECK(strstr(r->rx[i].hmac, "username=\"test.server\""),
              "%s: header %s", t->what, r->rx[i].hmac);
        free(k);
    }
}

static void t_auth_hmac(void)
{
#define HMAC_RUN(name, w)                                                    \
    {.what = name, .scn = "auth_hmac.scn", .wbxml = w,                       \
     .cauth = SC_AUTH_HMAC, .cpw = "devpw", .cnonce = "cn0",                 \
     .sauth = SC_AUTH_HMAC, .spw = "srvpw", .snonce = "sn0",                 \
     .client_ok = true, .nrx = 3, .check = ck_hmac}
    static const run_case v[] = {HMAC_RUN("HMAC, XML", false),
                                 HMAC_RUN("HMAC, WBXML", true)};
#undef HMAC_RUN
    RUN_CASES(v);
}

static void t_auth_wrong_password(void)
{
    static const run_case v[] = {
        {.what = "auth-fails: 401, the session is refused",
         .scn = "auth_fail.scn", .cauth = SC_AUTH_BASIC, .cpw = "wrong",
         .refused = true,
         .skel = {"Status:SyncHdr=401 Status:Alert=401 Status:Replace=401 "
                  "Final"}},
        {.what = "a refusal the scenario does not expect",
         .scn = "auth_basic_auto.scn", .cauth = SC_AUTH_BASIC, .cpw = "wrong",
         .exit = 1, .report = {"credentials were refused"}},
        {.what = "md5 with a wrong password", .scn = "auth_md5.scn",
         .cauth = SC_AUTH_MD5, .cpw = "wrong", .cnonce = "n0", .exit = 1,
         .refused = true},
    };
    RUN_CASES(v);
}

/* the wrong server credential refused once, then accepted */
static void ck_refused_once(const run_case *t, const fc_result *r)
{
    CHECK(r->refused_server && r->server_auth_bad == 1 &&
              r->server_auth_ok >= 1,
          "%s: refused %d, bad %d, ok %d", t->what, r->refused_server,
          r->server_auth_bad, r->server_auth_ok);
}

static void t_server_cred(void)
{
    static const run_case v[] = {
        {.what = "wrong server credential, XML", .scn = "server_cred.scn",
         .sauth = SC_AUTH_MD5, .spw = "srvpw", .snonce = "sn0",
         .client_ok = true, .check = ck_refused_once},
        {.what = "wrong server credential, WBXML", .scn = "server_cred.scn",
         .wbxml = true, .sauth = SC_AUTH_MD5, .spw = "srvpw", .snonce = "sn0",
         .client_ok = true, .check = ck_refused_once},
        /* a client that trusts another password refuses every message */
        {.what = "the client trusts another password",
         .scn = "server_cred.scn", .sauth = SC_AUTH_MD5, .spw = "other",
         .snonce = "sn0", .exit = 1,
         .report = {"server_cred.scn:14:",
                    "Get 'g1' (./Vendor/Color): expected status 200, got "
                    "401"}},
    };
    RUN_CASES(v);
}

static void t_multimsg(void)
{
    for (int w = 0; w < 2; w++) {
        fc_config c;
        fc_result r;
        char *err = NULL;
        int code, finals = 0;
        base_client(&c, &(srv){0});
        c.wbxml = w;
        c.max_msg_size = 2000;
        code = session(path_of("testdata/multimsg.scn"), &c, &r, NULL, &err);
        CHECK(r.rc == 0, "fake client: %s", r.err);
        CHECK(code == 0, "server exit %d:\n%s", code, err);
        CHECK(r.nrx >= 4, "only %zu server messages", r.nrx);
        for (size_t i = 0; i < r.nrx; i++) {
            char *k = fc_skeleton(&r, i);
            CHECK(r.rx[i].len <= 2000, "message %zu is %zu bytes", i,
                  r.rx[i].len);
            CHECK(!strstr(k, "MoreData"), "a command was chunked: %s", k);
            if (strstr(k, "Final"))
                finals++;
            free(k);
        }
        CHECK(finals == 2, "%d messages with Final (expected the last of "
              "package 2 and the end package)", finals);
        if (r.nrx >= 2) {
            char *k = fc_skeleton(&r, r.nrx - 2);
            CHECK(strstr(k, "Get:./Vendor/Color Get:./Vendor/N4 Final"),
                  "after `break`: %s", k);
            free(k);
            k = fc_skeleton(&r, 1);
            CHECK(strncmp(k, "Status:SyncHdr=200 Status:Alert=200 ", 36) == 0,
                  "the 2nd message must answer Alert 1222: %s", k);
            free(k);
        }
        free(err);
        fc_result_free(&r);
    }
}

static void t_client_multimsg(void)
{
    fc_config c;
    fc_result r;
    char *err = NULL;
    int code, nexts = 0;
    base_client(&c, &(srv){0});
    c.split_results = true;
    c.results_chunk = 1000;
    code = session(path_of("testdata/client_multimsg.scn"), &c, &r, NULL, &err);
    CHECK(r.rc == 0, "fake client: %s", r.err);
    CHECK(code == 0, "server exit %d:\n%s", code, err);
    for (size_t i = 0; i < r.nrx; i++) {
        char *k = fc_skeleton(&r, i);
        if (strcmp(k, "Status:SyncHdr=200 Status:Results=213 Alert:1222") == 0)
            nexts++;
        free(k);
    }
    CHECK(nexts == 2, "%d next-message responses with 213 (expected 2)", nexts);
    free(err);
    fc_result_free(&r);
}

static void t_largeobj(void)
{
    for (int w = 0; w < 2; w++) {
        fc_config c;
        fc_result r;
        char *err = NULL;
        int code, chunks = 0;
        base_client(&c, &(srv){0});
        c.wbxml = w;
        c.max_msg_size = 4000;
        code = session(path_of("testdata/largeobj.scn"), &c, &r, NULL, &err);
        CHECK(r.rc == 0, "fake client: %s", r.err);
        CHECK(code == 0, "server exit %d:\n%s", code, err);
        for (size_t i = 0; i < r.nrx; i++) {
            char *k = fc_skeleton(&r, i);
            chunks += count_str(k, "+MoreData");
            CHECK(r.rx[i].len <= 4000, "message %zu: %zu bytes", i,
                  r.rx[i].len);
            free(k);
        }
        /* 4 + 2 explicit, at least 2 automatic */
        CHECK(chunks >= 8, "%d chunks with MoreData", chunks);
        if (r.nrx > 1) {
            char *k = fc_skeleton(&r, 1);
            CHECK(strstr(k, "Status:Alert=200 Replace:./Vendor/Color[chr]+"
                            "MoreData"),
                  "second chunk message: %s", k);
            free(k);
        }
        free(err);
        fc_result_free(&r);
    }
}

static int udp_socket(int *port)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static ssize_t udp_recv(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return -1;
    return recv(fd, buf, n, 0);
}

static void t_pkg0_push(void)
{
    size_t vlen = 0;
    char *vec = slurp(path_of("../data/vectors/derived_pkg0_example.bin"), &vlen);
    int port, fd;
    char to[64];

    /* --notify: the derived vector B2 byte for byte */
    {
        char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--notify",
                        (char *)"--no-send", (char *)"--server-id",
                        (char *)"com.mgmtsrv.manage", (char *)"--password",
                        (char *)"secret", (char *)"--nonce", (char *)"text:nonce",
                        (char *)"--session-id", (char *)"1234", (char *)"--ui",
                        (char *)"background", (char *)"--initiator",
                        (char *)"client", (char *)"--version", (char *)"11",
                        (char *)"--pkg0-out", (char *)tmp_path("pkg0.bin"),
                        NULL};
        char *out = NULL;
        size_t n = 0;
        char *got;
        int rc = run(argv, &out, NULL);
        CHECK(rc == 0, "--notify exit %d", rc);
        got = slurp(tmp_path("pkg0.bin"), &n);
        CHECK(vec && got && n == vlen && n == 42 && memcmp(got, vec, n) == 0,
              "package 0 differs from derived_pkg0_example.bin (%zu bytes)", n);
        free(got);
        free(out);
    }

    /* the notify directive: WAP push over UDP, then the session */
    fd = udp_socket(&port);
    CHECK(fd >= 0, "UDP socket");
    if (fd < 0)
        return;
    snprintf(to, sizeof to, "127.0.0.1:%d", port);
    {
        const char *extra[] = {"--push-to", to, NULL};
        srv s;
        uint8_t buf[2048];
        ssize_t n;
        fc_config c;
        fc_result r;
        pdm__wsp_push w;
        pdm__pkg0 p;
        char err[200];
        int code;
        if (!srv_start(&s, path_of("testdata/notify.scn"), extra)) {
            g_fail++;
            close(fd);
            free(vec);
            return;
        }
        n = udp_recv(fd, buf, sizeof buf, 5000);
        CHECK(n > 0, "no push received");
        if (n > 0) {
            CHECK(pdm__wsp_push_parse(buf, (size_t)n, &w, err, sizeof err) ==
                      PDM_OK,
                  "push: %s", err);
            CHECK(w.ct_code == 0x44 && w.app_id_code == 7 &&
                      pdm__wsp_push_is_dm_notification(&w),
                  "content type %d, app id %ld", w.ct_code, w.app_id_code);
            CHECK(pdm__pkg0_parse(&p, w.body, w.body_len, err, sizeof err) ==
                      PDM_OK,
                  "pkg0: %s", err);
            CHECK(pdm__pkg0_verify(&p, "secret", (const uint8_t *)"nonce", 5,
                                   0, NULL) == PDM_OK,
                  "pkg0 digest");
            CHECK(p.session_id == 0x1234 && p.ui_mode == 1 &&
                      p.initiator == 0 && p.version == 11 &&
                      strcmp(p.server_id, "com.mgmtsrv.manage") == 0,
                  "pkg0 fields sid %x ui %u init %u ver %u id %s",
                  p.session_id, p.ui_mode, p.initiator, p.version, p.server_id);
            CHECK(vec && w.body_len == vlen &&
                      memcmp(w.body, vec, vlen) == 0,
                  "pushed package 0 differs from the vector");
        }
        base_client(&c, &s);
        c.alert = 1200;
        c.session_id = "1234";
        c.server_id = "com.mgmtsrv.manage";
        c.sauth = SC_AUTH_MD5;
        c.sname = "com.mgmtsrv.manage";
        c.spw = "secret";
        c.snonce = (const uint8_t *)"nonce";
        c.snonce_len = 5;
        fc_run(&c, &r);
        code = srv_wait(&s, 20000);
        CHECK(r.rc == 0, "fake client: %s", r.err);
        CHECK(code == 0, "server exit %d:\n%s", code, s.err);
        fc_result_free(&r);
        srv_done(&s);
    }
    /* a client that answers with Alert 1201 and another session id */
    {
        const char *extra[] = {"--push-to", to, NULL};
        srv s;
        uint8_t buf[2048];
        fc_config c;
        fc_result r;
        int code;
        if (srv_start(&s, path_of("testdata/notify.scn"), extra)) {
            udp_recv(fd, buf, sizeof buf, 5000);
            base_client(&c, &s);
            c.session_id = "99";
            c.server_id = "com.mgmtsrv.manage";
            fc_run(&c, &r);
            code = srv_wait(&s, 20000);
            CHECK(code == 1, "server exit %d", code);
            CHECK(s.err && strstr(s.err, "must begin with Alert 1200") &&
                      strstr(s.err, "package 0 carried session 1234, the "
                                    "client sent 99"),
                  "report:\n%s", s.err);
            fc_result_free(&r);
            srv_done(&s);
        } else {
            g_fail++;
        }
    }
    close(fd);
    free(vec);
}

static void t_bootstrap_push(void)
{
    int port, fd = udp_socket(&port);
    char to[64];
    uint8_t buf[8192];
    ssize_t n;
    pdm__wsp_push w;
    char err[200];
    size_t flen = 0;
    char *file;
    CHECK(fd >= 0, "UDP socket");
    if (fd < 0)
        return;
    snprintf(to, sizeof to, "127.0.0.1:%d", port);

    /* CP bootstrap with NETWPIN: Funambol's own MAC for this document */
    file = slurp(path_of("../data/transcripts/funambol_cp_w7_bootstrap.wbxml"),
                 &flen);
    {
        char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--push-bootstrap",
                        (char *)path_of("../data/transcripts/"
                                        "funambol_cp_w7_bootstrap.wbxml"),
                        (char *)"--content-type",
                        (char *)"application/vnd.wap.connectivity-wbxml",
                        (char *)"--sec", (char *)"NETWPIN", (char *)"--imsi",
                        (char *)"001010123456789", (char *)"--push-to", to,
                        NULL};
        int rc = run(argv, NULL, NULL);
        CHECK(rc == 0, "--push-bootstrap exit %d", rc);
        n = udp_recv(fd, buf, sizeof buf, 5000);
        CHECK(n > 0, "no push");
        if (n > 0) {
            CHECK(pdm__wsp_push_parse(buf, (size_t)n, &w, err, sizeof err) ==
                      PDM_OK,
                  "%s", err);
            CHECK(w.ct_code == 0x36 && w.sec == PDM_SEC_NETWPIN &&
                      strcmp(w.mac, "AD7163230A2A4AE07605ECC3E4916ABA104B7211") ==
                          0,
                  "ct %d sec %d mac %s", w.ct_code, w.sec, w.mac);
            CHECK(file && w.body_len == flen && memcmp(w.body, file, flen) == 0,
                  "body differs");
        }
    }
    free(file);

    /* the server's own SEC/MAC agrees with the client's verifier: the
     * USERNETWPIN key in the DM Security order (PIN ":" IMSI), and the
     * USERPINMAC PIN the server prints for the user */
    {
        const char *doc = path_of("../data/transcripts/"
                                  "funambol_dm_profile_bootstrap.wbxml");
        char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--push-bootstrap",
                        (char *)doc, (char *)"--content-type", (char *)"0x42",
                        (char *)"--sec", (char *)"USERPIN_NETWORKID",
                        (char *)"--imsi", (char *)"466923103145252",
                        (char *)"--pin", (char *)"1234",
                        (char *)"--key-order", (char *)"pin:imsi",
                        (char *)"--push-to", to, NULL};
        char *out = NULL;
        unsigned variant = 9;
        int rc = run(argv, NULL, NULL);
        CHECK(rc == 0, "--key-order pin:imsi exit %d", rc);
        n = udp_recv(fd, buf, sizeof buf, 5000);
        CHECK(n > 0 && pdm__wsp_push_parse(buf, (size_t)n, &w, err,
                                           sizeof err) == PDM_OK &&
                  w.sec == PDM_SEC_USERNETWPIN &&
                  pdm__secmac_verify(PDM_SEC_USERNETWPIN, "466923103145252",
                                     "1234", w.body, w.body_len, w.mac,
                                     PDM__SECMAC_DM, &variant, err,
                                     sizeof err) == PDM_OK &&
                  variant == PDM__SECMAC_KEY_PIN_COLON_IMSI,
              "pin:imsi push: sec %d variant %u %s", w.sec, variant, err);
        argv[6] = (char *)"USERPINMAC";
        argv[7] = (char *)"--pin";
        argv[8] = (char *)"12345";
        argv[9] = (char *)"--push-to";
        argv[10] = to;
        argv[11] = NULL;
        rc = run(argv, &out, NULL);
        n = udp_recv(fd, buf, sizeof buf, 5000);
        {
            const char *p = out ? strstr(out, "user PIN: ") : NULL;
            char pin[64] = "";
            if (p)
                sscanf(p + 10, "%63[0-9]", pin);
            CHECK(rc == 0 && strlen(pin) == 10 && strncmp(pin, "12345", 5) == 0,
                  "USERPINMAC: exit %d, stdout %s", rc, out ? out : "");
            CHECK(n > 0 && pdm__wsp_push_parse(buf, (size_t)n, &w, err,
                                               sizeof err) == PDM_OK &&
                      w.sec == PDM_SEC_USERPINMAC && !w.mac[0] &&
                      pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, pin,
                                         w.body, w.body_len, NULL,
                                         PDM__SECMAC_DM, NULL, err,
                                         sizeof err) == PDM_OK,
                  "USERPINMAC push with PIN %s: %s", pin, err);
        }
        free(out);
    }

    /* the bootstrap directive: DM profile with USERPIN, then the session */
    file = slurp(path_of("../data/transcripts/funambol_dm_profile_bootstrap.wbxml"),
                 &flen);
    {
        const char *extra[] = {"--push-to", to, NULL};
        srv s;
        fc_config c;
        fc_result r;
        int code;
        if (srv_start(&s, path_of("testdata/bootstrap.scn"), extra)) {
            n = udp_recv(fd, buf, sizeof buf, 5000);
            CHECK(n > 0, "no push");
            if (n > 0 &&
                pdm__wsp_push_parse(buf, (size_t)n, &w, err, sizeof err) ==
                    PDM_OK) {
                CHECK(w.ct_code == 0x42 && w.app_id_code == 7 &&
                          w.sec == PDM_SEC_USERPIN,
                      "ct %d app %ld sec %d", w.ct_code, w.app_id_code, w.sec);
                CHECK(pdm__secmac_verify(PDM_SEC_USERPIN, NULL, "1234", w.body,
                                         w.body_len, w.mac, PDM__SECMAC_DM,
                                         NULL, err, sizeof err) == PDM_OK,
                      "MAC: %s", err);
                CHECK(file && w.body_len == flen &&
                          memcmp(w.body, file, flen) == 0,
                      "body differs");
            } else {
                CHECK(0, "bootstrap push not parsed: %s", err);
            }
            base_client(&c, &s);
            fc_run(&c, &r);
            code = srv_wait(&s, 20000);
            CHECK(r.rc == 0 && code == 0, "exit %d:\n%s\nclient %s", code,
                  s.err, r.err);
            fc_result_free(&r);
            srv_done(&s);
        } else {
            g_fail++;
        }
    }
    free(file);
    close(fd);
}

/* Lines of an XML text without indentation, XML declaration or DOCTYPE:
 * the generated CP XML and wbxml2xml's rendering of the generated WBXML
 * must then be the same text. */
static char *xml_lines(const char *text)
{
    char *out = calloc(1, strlen(text) + 1), *o = out;
    const char *p = text;
    while (out && *p) {
        size_t n;
        while (*p == ' ' || *p == '\t')
            p++;
        n = strcspn(p, "\n");
        if (n && strncmp(p, "<?xml", 5) && strncmp(p, "<!DOCTYPE", 9)) {
            memcpy(o, p, n);
            o += n;
            *o++ = '\n';
        }
        p += n;
        if (*p)
            p++;
    }
    return out;
}

/* Generates a bootstrap document (and its push, not sent) from the
 * bootstrap_gen.scn account; returns the exit code. */
static int gen(const char *kind, const char *doc_out, const char *pdu_out,
               const char *sec, const char *key, const char *tamper,
               char **out)
{
    char what[64];
    char *argv[24];
    int i = 0;
    snprintf(what, sizeof what, "generate:%s", kind);
    argv[i++] = (char *)DMS_SERVER_BIN;
    argv[i++] = (char *)"--scenario";
    argv[i++] = (char *)path_of("testdata/bootstrap_gen.scn");
    argv[i++] = (char *)"--push-bootstrap";
    argv[i++] = what;
    argv[i++] = (char *)"--url";
    argv[i++] = (char *)"http://127.0.0.1:4567/dm";
    argv[i++] = (char *)"--account";
    argv[i++] = (char *)"acc1";
    argv[i++] = (char *)"--connmo";
    argv[i++] = (char *)"NAP1";
    argv[i++] = (char *)"--doc-out";
    argv[i++] = (char *)doc_out;
    argv[i++] = (char *)"--pdu-out";
    argv[i++] = (char *)pdu_out;
    argv[i++] = (char *)"--no-send";
    argv[i++] = (char *)"--sec";
    argv[i++] = (char *)sec;
    argv[i++] = strcmp(sec, "NETWPIN") == 0 ? (char *)"--imsi" : (char *)"--pin";
    argv[i++] = (char *)key;
    if (tamper) {
        argv[i++] = (char *)"--tamper";
        argv[i++] = (char *)tamper;
    }
    argv[i] = NULL;
    return run(argv, out, NULL);
}

/* The push PDU written by gen(), parsed by the client's WSP parser. */
static bool read_push(const char *path, pdm__wsp_push *w, char **keep)
{
    size_t n = 0;
    char err[200];
    *keep = slurp(path, &n);
    return *keep && pdm__wsp_push_parse((const uint8_t *)*keep, n, w, err,
                                        sizeof err) == PDM_OK;
}

static void t_bootstrap_generate(void)
{
    const char *imsi = "001010123456789";
    char *cpx = NULL, *cpw = NULL, *dm = NULL, *p0 = NULL, *p1 = NULL,
         *p2 = NULL, *out = NULL;
    size_t n = 0;
    pdm__wsp_push w0, w1, w2;
    char err[200];

    /* CP: the XML form and the WBXML form say the same, as wbxml2xml
     * (libwbxml, not our codec) reads the WBXML */
    CHECK(gen("cp-xml", tmp_path("g.cp.xml"), tmp_path("g.pdu"), "NETWPIN",
              imsi, NULL, NULL) == 0, "generate:cp-xml");
    CHECK(gen("cp", tmp_path("g.cp.wbxml"), tmp_path("g0.pdu"), "NETWPIN",
              imsi, NULL, NULL) == 0, "generate:cp");
    cpx = slurp(tmp_path("g.cp.xml"), NULL);
    cpw = slurp(tmp_path("g.cp.wbxml"), &n);
    CHECK(cpx && strstr(cpx, "<parm name=\"PROVIDER-ID\" value=\"test.server\"/>") &&
              strstr(cpx, "<parm name=\"ADDR\" value=\"http://127.0.0.1:4567/dm\"/>") &&
              strstr(cpx, "<parm name=\"PORTNBR\" value=\"4567\"/>") &&
              strstr(cpx, "<parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>") &&
              strstr(cpx, "<parm name=\"AAUTHSECRET\" value=\"devpw\"/>") &&
              strstr(cpx, "<parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>") &&
              strstr(cpx, "<parm name=\"AAUTHDATA\" value=\"c3J2bm9uY2U=\"/>") &&
              strstr(cpx, "<parm name=\"TO-NAPID\" value=\"NAP1\"/>"),
          "CP XML:\n%s", cpx ? cpx : "(none)");
    /* WBXML 1.3, PROV 1.0 public id, UTF-8, no string table, then
     * <wap-provisioningdoc version="1.0"> */
    CHECK(cpw && n > 8 && memcmp(cpw, "\x03\x0B\x6A\x00\xC5\x46\x01", 7) == 0,
          "CP WBXML header");
    if (system("command -v wbxml2xml >/dev/null 2>&1") == 0) {
        char cmd[1400];
        char *dec, *a, *b;
        snprintf(cmd, sizeof cmd, "wbxml2xml -o '%s' '%s' >/dev/null 2>&1",
                 tmp_path("g.cp.dec"), tmp_path("g.cp.wbxml"));
        CHECK(system(cmd) == 0, "wbxml2xml refused the generated CP WBXML");
        dec = slurp(tmp_path("g.cp.dec"), NULL);
        a = dec ? xml_lines(dec) : NULL;
        b = cpx ? xml_lines(cpx) : NULL;
        CHECK(a && b && strcmp(a, b) == 0, "WBXML decodes to\n%s\nXML is\n%s",
              a ? a : "", b ? b : "");
        free(dec);
        free(a);
        free(b);
        snprintf(cmd, sizeof cmd, "cd '%s' && wbxml2xml -o g.dm.dec g.dm.wbxml "
                 ">/dev/null 2>&1", g_tmp);
        CHECK(gen("dm", tmp_path("g.dm.wbxml"), tmp_path("g.pdu"), "USERPIN",
                  "1234", NULL, NULL) == 0 && system(cmd) == 0,
              "wbxml2xml refused the generated DM message");
    } else {
        printf("SKIP wbxml2xml comparison: wbxml2xml not installed\n");
        CHECK(gen("dm", tmp_path("g.dm.wbxml"), tmp_path("g.pdu"), "USERPIN",
                  "1234", NULL, NULL) == 0, "generate:dm");
    }

    /* DM profile: one Add to ./Inbox with a TNDS DMAcc and its ConnMO */
    dm = slurp(tmp_path("g.dm.wbxml"), &n);
    {
        pdm__doc d, t;
        const pdm__el *add, *it, *data;
        pdm__doc_init(&d);
        pdm__doc_init(&t);
        CHECK(dm && sml_decode(&d, (const uint8_t *)dm, n, 2, err, sizeof err) == 0,
              "DM message: %s", err);
        add = d.root ? pdm__el_child(pdm__el_child(d.root, PDM_TAG_SYNCBODY),
                                     PDM_TAG_ADD)
                     : NULL;
        it = add ? pdm__el_child(add, PDM_TAG_ITEM) : NULL;
        data = it ? pdm__el_child(it, PDM_TAG_DATA) : NULL;
        CHECK(it && strcmp(sml_path_text(it, PDM_TAG_TARGET, PDM_TAG_LOCURI, 0),
                           "./Inbox") == 0 &&
                  strcmp(sml_meta(it, PDM_TAG_MI_TYPE),
                         "application/vnd.syncml.dmtnds+xml") == 0,
              "Add ./Inbox with a TNDS item");
        CHECK(data && data->len &&
                  pdm__xml_decode(&t, data->text, data->len, NULL, NULL) ==
                      PDM_OK,
              "the TNDS Data is not XML");
        if (data && data->len) {
            char *txt = strndup((const char *)data->text, data->len);
            CHECK(txt && strstr(txt, "<DDFName>urn:oma:mo:oma-dm-dmacc:1.0</DDFName>") &&
                      strstr(txt, "<NodeName>acc1</NodeName>") &&
                      strstr(txt, "<Value>test.server</Value>") &&
                      strstr(txt, "<Value>./Inbox/NAP1</Value>") &&
                      strstr(txt, "<DDFName>urn:oma:mo:oma-dm-connmo:1.0</DDFName>") &&
                      strstr(txt, "<Value>CLCRED</Value>") &&
                      strstr(txt, "<Value>SRVCRED</Value>") &&
                      strstr(txt, "<Value>Y2xub25jZQ==</Value>"),
                  "TNDS:\n%s", txt ? txt : "");
            free(txt);
        }
        pdm__doc_free(&t);
        pdm__doc_free(&d);
    }

    /* tamper=mac changes one MAC digit; tamper=body changes one document
     * byte after MACing: the client's verifier refuses both */
    CHECK(gen("cp", tmp_path("g1.doc"), tmp_path("g1.pdu"), "NETWPIN", imsi,
              "mac", NULL) == 0, "tamper mac");
    CHECK(gen("cp", tmp_path("g2.doc"), tmp_path("g2.pdu"), "NETWPIN", imsi,
              "body", NULL) == 0, "tamper body");
    if (read_push(tmp_path("g0.pdu"), &w0, &p0) &&
        read_push(tmp_path("g1.pdu"), &w1, &p1) &&
        read_push(tmp_path("g2.pdu"), &w2, &p2)) {
        size_t dmac = 0, dbody = 0;
        CHECK(w0.ct_code == 0x36 && w0.sec == PDM_SEC_NETWPIN &&
                  pdm__secmac_verify(PDM_SEC_NETWPIN, imsi, NULL, w0.body,
                                     w0.body_len, w0.mac, PDM__SECMAC_CP,
                                     NULL, err, sizeof err) == PDM_OK,
              "untampered push does not verify: %s", err);
        for (size_t i = 0; i < 40; i++)
            dmac += w0.mac[i] != w1.mac[i];
        CHECK(strlen(w1.mac) == 40 && dmac == 1 && w1.body_len == w0.body_len &&
                  memcmp(w1.body, w0.body, w0.body_len) == 0 &&
                  pdm__secmac_verify(PDM_SEC_NETWPIN, imsi, NULL, w1.body,
                                     w1.body_len, w1.mac, PDM__SECMAC_CP,
                                     NULL, err, sizeof err) != PDM_OK,
              "tamper=mac: %zu digits differ", dmac);
        for (size_t i = 0; i < w0.body_len && w2.body_len == w0.body_len; i++)
            dbody += w0.body[i] != w2.body[i];
        CHECK(strcmp(w2.mac, w0.mac) == 0 && dbody == 1 &&
                  pdm__secmac_verify(PDM_SEC_NETWPIN, imsi, NULL, w2.body,
                                     w2.body_len, w2.mac, PDM__SECMAC_CP,
                                     NULL, err, sizeof err) != PDM_OK,
              "tamper=body: %zu bytes differ", dbody);
    } else {
        CHECK(0, "generated pushes do not parse");
    }
    /* USERPINMAC: tamper=mac spoils the PIN the user is told */
    CHECK(gen("cp", tmp_path("g3.doc"), tmp_path("g3.pdu"), "USERPINMAC",
              "12345", "mac", &out) == 0, "USERPINMAC tamper");
    {
        const char *p = out ? strstr(out, "user PIN: ") : NULL;
        char pin[64] = "", *pdu = NULL;
        pdm__wsp_push w3;
        if (p)
            sscanf(p + 10, "%63[0-9]", pin);
        CHECK(strlen(pin) == 10 && read_push(tmp_path("g3.pdu"), &w3, &pdu) &&
                  pdm__secmac_verify(PDM_SEC_USERPINMAC, NULL, pin, w3.body,
                                     w3.body_len, NULL, PDM__SECMAC_CP, NULL,
                                     err, sizeof err) != PDM_OK,
              "USERPINMAC tamper=mac: PIN %s still verifies", pin);
        free(pdu);
    }
    free(out);
    out = NULL;
    /* bad arguments are usage errors */
    {
        char *argv[] = {(char *)DMS_SERVER_BIN, (char *)"--push-bootstrap",
                        (char *)"generate:cp", (char *)"--server-id",
                        (char *)"x", (char *)"--no-send", NULL};
        CHECK(run(argv, NULL, &out) == 2 && out && strstr(out, "--url"),
              "generate without --url: %s", out ? out : "");
        free(out);
        out = NULL;
        argv[2] = (char *)"generate:sms";
        CHECK(run(argv, NULL, NULL) == 2, "generate:sms accepted");
        argv[2] = (char *)"generate:cp";
        argv[5] = (char *)"--tamper=all";
        CHECK(run(argv, NULL, NULL) == 2, "--tamper all accepted");
    }

    /* the scenario: push, then the new account's client-initiated session
     * with the credentials the document carried */
    {
        int port, fd = udp_socket(&port);
        char to[64];
        const char *extra[] = {"--push-to", to, NULL};
        uint8_t buf[8192];
        for (int alert = 1201; alert >= 1200 && fd >= 0; alert--) {
            srv s;
            fc_config c;
            fc_result r;
            int code;
            snprintf(to, sizeof to, "127.0.0.1:%d", port);
            if (!srv_start(&s, path_of("testdata/bootstrap_gen.scn"), extra)) {
                g_fail++;
                break;
            }
            {
                ssize_t got = udp_recv(fd, buf, sizeof buf, 5000);
                pdm__wsp_push w;
                char url[160];
                CHECK(got > 0 && pdm__wsp_push_parse(buf, (size_t)got, &w, err,
                                                     sizeof err) == PDM_OK &&
                          pdm__secmac_verify(PDM_SEC_NETWPIN, imsi, NULL,
                                             w.body, w.body_len, w.mac,
                                             PDM__SECMAC_CP, NULL, err,
                                             sizeof err) == PDM_OK,
                      "scenario push: %s", err);
                snprintf(url, sizeof url, "value=\"%s\"", s.url);
                CHECK(got > 0 && memmem(buf, (size_t)got, s.url, strlen(s.url)),
                      "the pushed account does not carry the server URL %s",
                      s.url);
            }
            base_client(&c, &s);
            c.alert = alert;
            c.cauth = SC_AUTH_MD5;
            c.cuser = "dev";
            c.cpw = "devpw";
            c.cnonce = (const uint8_t *)"clnonce";
            c.cnonce_len = 7;
            c.sauth = SC_AUTH_MD5;
            c.sname = "test.server";
            c.spw = "srvpw";
            c.snonce = (const uint8_t *)"srvnonce";
            c.snonce_len = 8;
            fc_run(&c, &r);
            code = srv_wait(&s, 20000);
            if (alert == 1201)
                CHECK(r.rc == 0 && code == 0, "exit %d:\n%s\nclient %s", code,
                      s.err, r.err);
            else
                CHECK(code == 1 && s.err &&
                          strstr(s.err, "first session of a bootstrapped "
                                        "account is client-initiated"),
                      "Alert 1200 after a bootstrap: exit %d:\n%s", code,
                      s.err ? s.err : "");
            fc_result_free(&r);
            srv_done(&s);
        }
        if (fd >= 0)
            close(fd);
    }
    free(cpx);
    free(cpw);
    free(dm);
    free(p0);
    free(p1);
    free(p2);
}

static int certtool(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && certtool %s </dev/null >/dev/null "
             "2>&1", g_tmp, args);
    return system(cmd);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void t_https_client_cert(void)
{
    srv s;
    fc_config c;
    fc_result r;
    int code, rc = 0;
    const char *extra[] = {"--tls-cert", tmp_path("srv.pem"),
                           "--tls-key",  tmp_path("srv.key"),
                           "--tls-ca",   tmp_path("ca.pem"),
                           "--require-client-cert", "--transcript",
                           tmp_path("tls.transcript"), NULL};
    write_text(tmp_path("ca.tmpl"), "cn = \"dmserver test CA\"\nca\n"
               "cert_signing_key\nexpiration_days = 2\n");
    write_text(tmp_path("srv.tmpl"), "cn = \"localhost\"\ndns_name = "
               "\"localhost\"\nip_address = \"127.0.0.1\"\ntls_www_server\n"
               "expiration_days = 2\n");
    write_text(tmp_path("cli.tmpl"), "cn = \"IMEI:493005100592800\"\n"
               "tls_www_client\nexpiration_days = 2\n");
    rc |= certtool("--generate-privkey --key-type=ecdsa --outfile ca.key");
    rc |= certtool("--generate-self-signed --load-privkey ca.key --template "
                   "ca.tmpl --outfile ca.pem");
    rc |= certtool("--generate-privkey --key-type=ecdsa --outfile srv.key");
    rc |= certtool("--generate-certificate --load-privkey srv.key "
                   "--load-ca-certificate ca.pem --load-ca-privkey ca.key "
                   "--template srv.tmpl --outfile srv.pem");
    rc |= certtool("--generate-privkey --key-type=ecdsa --outfile cli.key");
    rc |= certtool("--generate-certificate --load-privkey cli.key "
                   "--load-ca-certificate ca.pem --load-ca-privkey ca.key "
                   "--template cli.tmpl --outfile cli.pem");
    rc |= certtool("--generate-privkey --key-type=ecdsa --outfile rogue.key");
    rc |= certtool("--generate-self-signed --load-privkey rogue.key "
                   "--template cli.tmpl --outfile rogue.pem");
    CHECK(rc == 0, "certtool failed");
    if (rc)
        return;
    if (!srv_start(&s, path_of("testdata/auth_basic_auto.scn"), extra)) {
        g_fail++;
        return;
    }
    CHECK(s.https, "not HTTPS");
    /* without a client certificate: 403 or a handshake failure */
    base_client(&c, &s);
    c.ca = tmp_path("ca.pem");
    c.cauth = SC_AUTH_BASIC;
    c.cuser = "dev";
    c.cpw = "devpw";
    fc_run(&c, &r);
    CHECK(r.rc != 0 && (r.http_last == 403 || r.curl_code != 0),
          "a client without certificate got HTTP %ld (curl %ld)", r.http_last,
          r.curl_code);
    fc_result_free(&r);
    /* a certificate from another CA */
    c.cert = tmp_path("rogue.pem");
    c.key = tmp_path("rogue.key");
    fc_run(&c, &r);
    CHECK(r.rc != 0 && (r.http_last == 403 || r.curl_code != 0),
          "a client with an untrusted certificate got HTTP %ld (curl %ld)",
          r.http_last, r.curl_code);
    fc_result_free(&r);
    /* the right one */
    c.cert = tmp_path("cli.pem");
    c.key = tmp_path("cli.key");
    fc_run(&c, &r);
    code = srv_wait(&s, 20000);
    CHECK(r.rc == 0, "fake client with certificate: %s", r.err);
    CHECK(code == 0, "server exit %d:\n%s", code, s.err);
    CHECK(r.nrx && strstr((char *)r.rx[0].body, "https://127.0.0.1:"),
          "RespURI is not https");
    {
        char *t = slurp(tmp_path("tls.transcript"), NULL);
        CHECK(t && count_str(t, "refused with 403") >= 1,
              "403 not in the transcript");
        free(t);
    }
    fc_result_free(&r);
    srv_done(&s);
}

static void t_transcript(void)
{
    fc_config c;
    fc_result r;
    char *err = NULL, *t;
    int code;
    const char *extra[] = {"--transcript", tmp_path("t.transcript"), NULL};
    base_client(&c, &(srv){0});
    c.wbxml = true;
    c.cauth = SC_AUTH_HMAC;
    c.cuser = "dev";
    c.cpw = "devpw";
    c.cnonce = (const uint8_t *)"cn0";
    c.cnonce_len = 3;
    c.sauth = SC_AUTH_HMAC;
    c.sname = "test.server";
    c.spw = "srvpw";
    c.snonce = (const uint8_t *)"sn0";
    c.snonce_len = 3;
    code = session(path_of("testdata/auth_hmac.scn"), &c, &r, extra, &err);
    CHECK(code == 0 && r.rc == 0, "exit %d:\n%s\nclient: %s", code, err, r.err);
    t = slurp(tmp_path("t.transcript"), NULL);
    CHECK(t != NULL, "no transcript");
    if (t) {
        CHECK(count_str(t, " C->S ") == 3 && count_str(t, " S->C ") == 3,
              "entries C->S %d S->C %d", count_str(t, " C->S "),
              count_str(t, " S->C "));
        CHECK(count_str(t, "Content-Type: application/vnd.syncml.dm+wbxml") ==
                  6,
              "content types");
        CHECK(count_str(t, "x-syncml-hmac: algorithm=MD5, username=\"dev\"") ==
                      3 &&
                  count_str(t, "x-syncml-hmac: algorithm=MD5, "
                               "username=\"test.server\"") == 3,
              "HMAC headers");
        CHECK(count_str(t, "--- WBXML ") == 6 &&
                  count_str(t, "--- XML (decoded)") == 6,
              "WBXML hex and XML");
        CHECK(strstr(t, "000000  02 a4 01 6a 00 6d") != NULL, "hex dump");
        CHECK(strstr(t, "<Get>") && strstr(t, "<LocURI>./Vendor/Color</LocURI>"),
              "XML text");
        CHECK(strstr(t, "Z ") != NULL, "timestamps");
    }
    free(t);
    free(err);
    fc_result_free(&r);
}


static void tw_abort(fc_config *c) { c->abort_session = true; }

static void t_abort(void)
{
    static const run_case v[] = {
        {.what = "an expected abort", .scn = "abort.scn", .tweak = tw_abort,
         .client_ok = true, .nrx = 2,
         .skel = {NULL, "Status:SyncHdr=200 Status:Alert=200 Final"}},
        {.what = "an unexpected abort", .scn = "mismatch.scn",
         .tweak = tw_abort, .exit = 1,
         .report = {"mismatch.scn:8: session 1, package 3 (reply to "
                    "package 2): the client aborted the session (Alert "
                    "1223)"}},
    };
    RUN_CASES(v);
}

static void t_sessions(void)
{
    srv s;
    fc_config c;
    fc_result r1, r2;
    int code;
    if (!srv_start(&s, path_of("testdata/sessions.scn"), NULL)) {
        g_fail++;
        return;
    }
    base_client(&c, &s);
    fc_run(&c, &r1);
    CHECK(r1.rc == 0, "session 1: %s", r1.err);
    base_client(&c, &s);
    c.session_id = "2";
    c.generic_type = "org.example.done";
    c.generic_format = "chr";
    c.generic_source = "./Vendor/Color";
    c.generic_data = "1200";
    c.generic_correlator = "corr-42";
    c.generic_mark = "critical";
    fc_run(&c, &r2);
    CHECK(r2.rc == 0, "session 2: %s", r2.err);
    code = srv_wait(&s, 20000);
    CHECK(code == 0, "server exit %d:\n%s", code, s.err);
    if (r2.nrx) {
        char *k = fc_skeleton(&r2, 0);
        CHECK(strcmp(k, "Status:SyncHdr=200 Status:Alert=200 "
                        "Status:Replace=200 Status:Alert=202 "
                        "Replace:./Vendor/Color[chr] Get:./Vendor/Color "
                        "Final") == 0,
              "session 2 package 2: %s", k);
        free(k);
    }
    fc_result_free(&r1);
    fc_result_free(&r2);
    srv_done(&s);

    /* the Generic Alert is missing: reported with what arrived */
    if (!srv_start(&s, path_of("testdata/sessions.scn"), NULL)) {
        g_fail++;
        return;
    }
    base_client(&c, &s);
    fc_run(&c, &r1);
    base_client(&c, &s);
    c.session_id = "2";
    c.generic_type = "org.example.other";
    c.generic_data = "1400";
    fc_run(&c, &r2);
    code = srv_wait(&s, 20000);
    CHECK(code == 1, "server exit %d", code);
    CHECK(s.err && strstr(s.err, "sessions.scn:16: session 2 \"report\", "
                                 "package 1: expected a Generic Alert (1226) "
                                 "type=org.example.done") &&
              strstr(s.err, "got {type=org.example.other"),
          "report:\n%s", s.err);
    fc_result_free(&r1);
    fc_result_free(&r2);
    srv_done(&s);
}

static void t_server_mode(void)
{
    /* without --once: the scenario restarts after each run, a report per
     * run, exit 0 on SIGTERM */
    srv s;
    fc_config c;
    fc_result r;
    int code;
    const char *extra[] = {"--serve", NULL};
    if (!srv_start(&s, path_of("testdata/auth_md5.scn"), extra)) {
        g_fail++;
        return;
    }
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {0, 400 * 1000 * 1000};
        base_client(&c, &s);
        c.cauth = SC_AUTH_MD5;
        c.cuser = "dev";
        c.cpw = "devpw";
        c.cnonce = (const uint8_t *)"n0";
        c.cnonce_len = 2;
        fc_run(&c, &r);
        CHECK(r.rc == 0, "run %d: %s", i, r.err);
        fc_result_free(&r);
        nanosleep(&ts, NULL); /* the end-wait of the run */
    }
    kill(s.pid, SIGTERM);
    code = srv_wait(&s, 5000);
    CHECK(code == 0, "exit %d", code);
    CHECK(s.err && count_str(s.err, "PASSED") == 2, "reports:\n%s", s.err);
    srv_done(&s);
}

/* scenarios/MANIFEST: "SCENARIO TREE" lines */
static void t_funambol(void)
{
    char *m = slurp(path_of("scenarios/MANIFEST"), NULL);
    int n = 0, round = 0;
    CHECK(m != NULL, "no scenarios/MANIFEST");
    if (!m)
        return;
    char *save = NULL;
    for (char *line = strtok_r(m, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char scn[256], tree[256];
        if (line[0] == '#' || sscanf(line, "%255s %255s", scn, tree) != 2)
            continue;
        for (int w = 0; w < 2; w++) {
            fc_config c;
            fc_result r;
            char *err = NULL, sp[600], tp[600];
            int code;
            snprintf(sp, sizeof sp, "scenarios/%s", scn);
            snprintf(tp, sizeof tp, "scenarios/%s", tree);
            base_client(&c, &(srv){0});
            c.wbxml = w;
            c.tree = path_of(tp);
            c.server_id = "funambol";
            c.cauth = SC_AUTH_BASIC;
            c.cuser = "funambol";
            c.cpw = "funambol";
            c.sauth = SC_AUTH_MD5;
            c.sname = "funambol";
            c.spw = "srvpwd";
            code = session(path_of(sp), &c, &r, NULL, &err);
            CHECK(r.rc == 0, "%s (%s): fake client: %s", scn,
                  w ? "WBXML" : "XML", r.err);
            CHECK(code == 0, "%s (%s): server exit %d:\n%s", scn,
                  w ? "WBXML" : "XML", code, err);
            free(err);
            fc_result_free(&r);
            round++;
        }
        n++;
    }
    CHECK(n >= 10, "only %d Funambol scenarios in the MANIFEST", n);
    (void)round;
    free(m);
}

static void t_factory_trees(void)
{
    const char *cli = getenv("PDM_CLI");
    glob_t g;
    if (!cli || !*cli) {
        fprintf(stderr, "PDM_CLI not set: skipped\n");
        return;
    }
    if (glob(path_of("scenarios/*.tnds.xml"), 0, NULL, &g) != 0) {
        CHECK(0, "no factory trees");
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char prof[600], state[600], text[1400];
        char *out = NULL, *err = NULL;
        int rc;
        snprintf(prof, sizeof prof, "%s/t%zu.profile", g_tmp, i);
        snprintf(state, sizeof state, "%s/state%zu", g_tmp, i);
        snprintf(text, sizeof text,
                 "[profile]\nid = dmserver-tree\nabi = 1\nfactory_tree = %s\n"
                 "[device]\ndevid = IMEI:493005100592800\n", g.gl_pathv[i]);
        write_text(prof, text);
        {
            char *argv[] = {(char *)cli, (char *)"--profile", prof,
                            (char *)"--state", state, (char *)"tree",
                            (char *)"list", (char *)".", NULL};
            rc = run(argv, &out, &err);
        }
        CHECK(rc == 0, "%s is refused by polydm: %s", g.gl_pathv[i], err);
        free(out);
        free(err);
    }
    globfree(&g);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {{"parse", t_parse},
                 {"basic_xml", t_basic_xml},
                 {"basic_wbxml", t_basic_wbxml},
                 {"mismatch", t_mismatch},
                 {"protocol", t_protocol},
                 {"auth_basic", t_auth_basic},
                 {"auth_md5", t_auth_md5},
                 {"auth_hmac", t_auth_hmac},
                 {"auth_wrong_password", t_auth_wrong_password},
                 {"server_cred", t_server_cred},
                 {"multimsg", t_multimsg},
                 {"client_multimsg", t_client_multimsg},
                 {"largeobj", t_largeobj},
                 {"pkg0_push", t_pkg0_push},
                 {"bootstrap_push", t_bootstrap_push},
                 {"bootstrap_generate", t_bootstrap_generate},
                 {"https_client_cert", t_https_client_cert},
                 {"transcript", t_transcript},
                 {"abort", t_abort},
                 {"sessions", t_sessions},
                 {"server_mode", t_server_mode},
                 {"funambol", t_funambol},
                 {"factory_trees", t_factory_trees}};
    char cmd[600];
    int found = 0;
    if (argc >= 3 && strcmp(argv[1], "run") == 0) {
        /* developer aid: dmserver_test run SCENARIO [TREE] [wbxml] runs a
         * scenario with the Funambol account against the fake client and
         * prints the server's report */
        fc_config c;
        fc_result r;
        char *err = NULL;
        int code;
        snprintf(g_tmp, sizeof g_tmp, "/tmp");
        curl_global_init(CURL_GLOBAL_DEFAULT);
        base_client(&c, &(srv){0});
        c.tree = argc >= 4 ? argv[3] : path_of("scenarios/scts.tnds.xml");
        c.wbxml = argc >= 5 && strcmp(argv[4], "wbxml") == 0;
        c.server_id = "funambol";
        c.cauth = SC_AUTH_BASIC;
        c.cuser = "funambol";
        c.cpw = "funambol";
        c.sauth = SC_AUTH_MD5;
        c.sname = "funambol";
        c.spw = "srvpwd";
        code = session(argv[2], &c, &r, NULL, &err);
        fprintf(stderr, "%sfake client: %s\n", err, r.rc ? r.err : "ok");
        free(err);
        fc_result_free(&r);
        curl_global_cleanup();
        return code;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: dmserver_test CASE\n"
                "       dmserver_test run SCENARIO [TREE] [wbxml]\n");
        return 2;
    }
    snprintf(g_tmp, sizeof g_tmp, "/tmp/dmserver-test-XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cases[i].name, argv[1]) == 0) {
            cases[i].fn();
            found = 1;
        }
    curl_global_cleanup();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", g_tmp);
    if (!found) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    if (g_fail)
        fprintf(stderr, "dmserver_test %s: %d check(s) failed\n", argv[1],
                g_fail);
    else
        fprintf(stderr, "dmserver_test %s: ok\n", argv[1]);
    return g_fail ? 1 : 0;
}
