/*
 * Management-tree benchmark (issue "tree"): for trees of 1k, 10k and 100k
 * nodes, measures
 *   - load time from the SQLite store (pdm__tree_open on an existing store),
 *   - Get and Replace per second by a server, with ACL checks, in memory
 *     (no commit), and the cost of one package commit of 1,000 Replaces,
 *   - heap bytes per node and database bytes per node,
 *   - `?list=StructData` export time of the whole tree.
 * Usage: bench_tree [DIR [NODES]]  (DIR: scratch directory, default /tmp;
 *        NODES: run one size only)
 * Shape: ./Bench/g<i>/n<j> with 100 leaves per group, 8-byte values, one
 * ACL per group ("Get=srv&Replace=srv"), so every check walks one level.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tree/tnds.h"
#include "tree/tree.h"
#include "util/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_tree: %s: %s\n", what, pdm_strerror(rc));
    exit(1);
}

static double open_cpu; /* CPU seconds of store open + tree load */

static pdm__tree *open_tree(pdm__store **st, const char *dir, double *secs)
{
    pdm__tree_config cfg;
    pdm__tree *t;
    char err[256];
    double t0, c0 = cpu(), w0 = now();
    int rc = pdm__store_open(st, dir, 0, err, sizeof err);
    if (rc)
        die(err, rc);
    *secs = now() - w0; /* store open share, added below */
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *st;
    cfg.root_add_star = true;
    t0 = now();
    rc = pdm__tree_open(&t, &cfg, err, sizeof err);
    *secs += now() - t0;
    open_cpu = cpu() - c0;
    if (rc)
        die(err, rc);
    return t;
}

static void run(size_t n, const char *base)
{
    char dir[512], uri[128], val[32], err[128], dbpath[600];
    pdm__store *st;
    pdm__tree *t;
    pdm__decision d;
    const pdm__who srv = {PDM_PRINCIPAL_SERVER, "srv", NULL, 0, NULL};
    size_t groups = (n + 99) / 100, before, after;
    double load, t0, dt;
    struct stat sb;
    int rc;

    snprintf(dir, sizeof dir, "%s/bench_tree_%zu_%d", base, n, (int)getpid());
    /* Build the tree in one package and commit it. */
    t = open_tree(&st, dir, &load);
    pdm__tree_begin(t);
    for (size_t g = 0; g < groups; g++) {
        snprintf(uri, sizeof uri, "./Bench/g%zu", g);
        pdm__tree_put(t, uri, PDM_FORMAT_NODE, 0, NULL, "Get=srv&Replace=srv",
                      NULL, 0, "factory");
        for (size_t j = 0; j < 100 && g * 100 + j < n; j++) {
            snprintf(uri, sizeof uri, "./Bench/g%zu/n%zu", g, j);
            snprintf(val, sizeof val, "v%07zu", g * 100 + j);
            rc = pdm__tree_put(t, uri, PDM_FORMAT_CHR, 0, NULL, NULL,
                               (const uint8_t *)val, 8, "factory");
            if (rc)
                die("put", rc);
        }
    }
    t0 = now();
    if ((rc = pdm__tree_commit(t)))
        die("commit", rc);
    dt = now() - t0;
    printf("%7zu nodes: initial commit %.1f ms\n", pdm__tree_count(t), dt * 1e3);
    pdm__tree_free(t);
    pdm__store_close(st);

    /* Load from the store, measuring heap growth. */
    before = heap_used();
    t = open_tree(&st, dir, &load);
    after = heap_used();
    snprintf(dbpath, sizeof dbpath, "%s/polydm.db", dir);
    stat(dbpath, &sb);
    printf("         open+load %.1f ms wall, %.1f ms CPU; memory %.0f B/node "
           "(tree+store handle); disk %.0f B/node\n",
           load * 1e3, open_cpu * 1e3, (double)(after - before) / pdm__tree_count(t),
           (double)sb.st_size / pdm__tree_count(t));

    /* Get by a server with ACL check. */
    {
        size_t iters = 200000;
        pdm__tree_result r;
        t0 = now();
        for (size_t i = 0; i < iters; i++) {
            size_t k = (i * 7919) % n;
            snprintf(uri, sizeof uri, "./Bench/g%zu/n%zu", k / 100, k % 100);
            rc = pdm__tree_get(t, &srv, uri, &r, &d);
            if (rc)
                die("get", rc);
            pdm__tree_result_free(&r);
        }
        dt = now() - t0;
        printf("         Get:     %.2f us/op (%.0f/s)\n", dt / iters * 1e6,
               iters / dt);
    }
    /* Replace by a server with ACL check, in memory (inside a package). */
    {
        size_t iters = 200000;
        pdm__tree_item it = {(const uint8_t *)"replaced", 8, PDM_FORMAT_CHR,
                             NULL, false};
        pdm__tree_begin(t);
        t0 = now();
        for (size_t i = 0; i < iters; i++) {
            size_t k = (i * 7919) % n;
            snprintf(uri, sizeof uri, "./Bench/g%zu/n%zu", k / 100, k % 100);
            rc = pdm__tree_replace(t, &srv, uri, &it, &d);
            if (rc)
                die("replace", rc);
        }
        dt = now() - t0;
        printf("         Replace: %.2f us/op (%.0f/s) before commit\n",
               dt / iters * 1e6, iters / dt);
        pdm__tree_abort(t);
    }
    /* One package of 1,000 Replaces committed to the store. */
    {
        pdm__tree_item it = {(const uint8_t *)"package1", 8, PDM_FORMAT_CHR,
                             NULL, false};
        pdm__tree_begin(t);
        for (size_t i = 0; i < 1000; i++) {
            size_t k = (i * 7919) % n;
            snprintf(uri, sizeof uri, "./Bench/g%zu/n%zu", k / 100, k % 100);
            pdm__tree_replace(t, &srv, uri, &it, &d);
        }
        t0 = now();
        if ((rc = pdm__tree_commit(t)))
            die("commit", rc);
        printf("         commit of a 1,000-Replace package: %.1f ms (first "
               "after load: WAL checkpoint)",
               (now() - t0) * 1e3);
        it.data = (const uint8_t *)"package2";
        pdm__tree_begin(t);
        for (size_t i = 0; i < 1000; i++) {
            size_t k = (i * 7919) % n;
            snprintf(uri, sizeof uri, "./Bench/g%zu/n%zu", k / 100, k % 100);
            pdm__tree_replace(t, &srv, uri, &it, &d);
        }
        t0 = now();
        if ((rc = pdm__tree_commit(t)))
            die("commit", rc);
        printf(", next %.1f ms\n", (now() - t0) * 1e3);
    }
    /* ?list=StructData export of the whole tree. */
    {
        pdm__tnds_opts o = {PDM_URI_LIST_STRUCTDATA, 0, false, false, false, 0};
        pdm__buf b;
        const pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
        pdm__buf_init(&b);
        t0 = now();
        rc = pdm__tnds_export(t, &local, ".", &o, &b, &d);
        dt = now() - t0;
        if (rc)
            die("export", rc);
        printf("         ?list=StructData export: %.1f ms (%zu bytes)\n",
               dt * 1e3, b.len);
        pdm__buf_free(&b);
    }
    (void)err;
    pdm__tree_free(t);
    pdm__store_close(st);
    if (getenv("PDM_BENCH_KEEP")) return;
    snprintf(dbpath, sizeof dbpath, "rm -rf '%s'", dir);
    if (system(dbpath) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    static const size_t sizes[] = {1000, 10000, 100000};
    if (argc > 2) { /* one size only, e.g. for callgrind */
        run((size_t)strtoul(argv[2], NULL, 10), base);
        return 0;
    }
    for (size_t i = 0; i < 3; i++)
        run(sizes[i], base);
    return 0;
}
