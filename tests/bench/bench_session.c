/*
 * Session benchmark (issue "protocol engine"; a program, not a test): how
 * much a whole server package costs the client, from the received bytes to
 * the encoded answer.
 *
 *   bench_session [-n ITER] [--setup PKG] [--memory] PKG
 *
 * Opens a context on a profile with one account (tree from
 * tests/session/tree.tnds.xml), starts a session whose SessionID matches
 * PKG, and ITER times processes PKG and builds the answer
 * (pdm_session_reply + pdm_session_next).  With --setup the setup package
 * (e.g. setup-sqlite-1000) runs once first, so that the Replace package
 * finds its leaves; --memory uses no store (PDM_CTX_NO_STORE).
 * Prints wall time per package and the peak RSS.  For instruction counts:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_process \
 *       bench_session -n 3 PKG
 *
 * divide Ir by ITER; pdm__tree_commit's inclusive Ir is the store commit,
 * reported separately.  The --setup package is not collected (earlier
 * versions of this program counted it, which added its 1,001 Adds and
 * their commit to the Replace figures).  The floor is bench_xml -m floor
 * / bench_wbxml.  tests/bench/callgrind_session.sh BUILD_DIR runs the
 * whole method for every pkg2-bulk package (XML and WBXML) and prints
 * Ir per command, commit, floor and ratio.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <polydm/polydm.h>

#include "codec/codec.h"
#include "util/util.h"

#define NOINLINE __attribute__((noinline))

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sid_of(const uint8_t *p, size_t n, char *out, size_t size)
{
    pdm__doc d;
    pdm__codec_err e;
    pdm__doc_init(&d);
    if ((n && p[0] == '<' ? pdm__xml_decode(&d, p, n, NULL, &e)
                          : pdm__wbxml_decode(&d, p, n, NULL, &e)) == PDM_OK) {
        pdm__el *h = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
        const char *sid = h ? pdm__el_child_text(h, PDM_TAG_SESSIONID) : NULL;
        snprintf(out, size, "%s", sid ? sid : "1");
    }
    pdm__doc_free(&d);
}

/* One package: the server's message in, the client's answer out. */
static size_t process(pdm_session *s, const uint8_t *p, size_t n, bool wbxml)
{
    pdm_message m;
    pdm_session_reply(s, p, n,
                      wbxml ? "application/vnd.syncml.dm+wbxml"
                            : "application/vnd.syncml.dm+xml",
                      NULL);
    pdm_session_next(s, &m);
    return m.len;
}

/* The measured packages only: --toggle-collect=bench_process must not
 * count the --setup package (it runs through process() directly). */
NOINLINE size_t bench_process(pdm_session *s, const uint8_t *p, size_t n,
                              bool wbxml);
NOINLINE size_t bench_process(pdm_session *s, const uint8_t *p, size_t n,
                              bool wbxml)
{
    return process(s, p, n, wbxml);
}

static pdm_session *start(pdm_ctx *ctx, const char *sid, bool wbxml)
{
    pdm_session_opts so;
    pdm_session *s;
    pdm_message m;
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = wbxml ? PDM_SESSION_WBXML : 0;
    so.server_id = "srv-none";
    so.session_id = sid;
    if (pdm_session_open(&s, ctx, &so) != PDM_OK) {
        fprintf(stderr, "bench_session: %s\n", pdm_session_error(s));
        exit(1);
    }
    pdm_session_next(s, &m); /* package 1 */
    return s;
}

int main(int argc, char **argv)
{
    long iters = 20;
    const char *setup = NULL, *pkg = NULL;
    bool memory = false;
    char dir[256], profile[600], sid[16] = "1";
    pdm_config cfg;
    pdm_ctx *ctx;
    uint8_t *p;
    size_t n, out = 0;
    bool wbxml;
    double t0, dt;
    struct rusage ru;
    FILE *f;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            if (pdm__parse_long(argv[++i], 1, 1000000L, &iters) != PDM_OK) {
                fprintf(stderr, "bench_session: -n must be 1..1000000\n");
                return 2;
            }
        }
        else if (strcmp(argv[i], "--setup") == 0 && i + 1 < argc)
            setup = argv[++i];
        else if (strcmp(argv[i], "--memory") == 0)
            memory = true;
        else
            pkg = argv[i];
    }
    if (!pkg || pdm__read_file(pkg, 64u << 20, &p, &n) != PDM_OK) {
        fprintf(stderr, "usage: bench_session [-n ITER] [--setup PKG] "
                        "[--memory] PKG\n");
        return 2;
    }
    wbxml = !(n && p[0] == '<');
    sid_of(p, n, sid, sizeof sid);
    snprintf(dir, sizeof dir, "/tmp/bench_session_%d", (int)getpid());
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    fprintf(f, "[profile]\nid = bench\nfactory_tree = %s/tests/session/"
               "tree.tnds.xml\n[device]\ndevid = DMCtest\n[session]\n"
               "server_auth = false\nmax_msg_size = 16777216\n",
            PDM_SOURCE_DIR);
    fclose(f);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    cfg.flags = memory ? PDM_CTX_NO_STORE : 0;
    cfg.log_level = PDM_LOG_ERROR;
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        fprintf(stderr, "bench_session: %s\n", pdm_ctx_last_error(ctx));
        return 1;
    }
    if (setup) {
        uint8_t *sp;
        size_t sn;
        char ssid[16] = "1";
        pdm_session *s;
        if (pdm__read_file(setup, 64u << 20, &sp, &sn) != PDM_OK)
            return 2;
        sid_of(sp, sn, ssid, sizeof ssid);
        s = start(ctx, ssid, !(sn && sp[0] == '<'));
        process(s, sp, sn, !(sn && sp[0] == '<'));
        pdm_session_close(s);
        pdm__free(sp);
    }
    t0 = now();
    for (long i = 0; i < iters; i++) {
        pdm_session *s = start(ctx, sid, wbxml);
        out = bench_process(s, p, n, wbxml);
        if (pdm_session_result(s) != PDM_OK) {
            fprintf(stderr, "bench_session: %s\n", pdm_session_error(s));
            return 1;
        }
        pdm_session_close(s);
    }
    dt = (now() - t0) / iters;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: %zu bytes in, %zu bytes out, %.3f ms per package "
           "(incl. session start), peak RSS %ld KiB\n",
           pkg, n, out, dt * 1e3, ru.ru_maxrss);
    pdm_ctx_close(ctx);
    pdm__free(p);
    snprintf(profile, sizeof profile, "rm -rf %s %s.profile", dir, dir);
    if (system(profile) != 0)
        return 1;
    return 0;
}
