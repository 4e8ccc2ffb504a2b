/*
 * Store benchmark: for trees of 1k, 10k and 100k nodes, how long opening
 * (with its integrity check), loading all nodes and committing 1,000
 * upserts take, and how many bytes a node costs on disk.
 *
 *   bench_store [DIR]      (default: a fresh directory under $TMPDIR or /tmp)
 *
 * The tree is shaped like a management tree: interior nodes with up to 10
 * children, leaves with short text values, an ACL on every 10th node.
 * "load" runs pdm__store_load_nodes with a trivial callback (the store's
 * share); "load+copy" also copies name, value and ACL of every node into
 * malloc'd memory and frees it again, roughly what the tree module does.
 * Commit times are with synchronous=FULL, so they include the fsync of the
 * WAL; "package of 1 node" shows that floor on this disk.  "floor" is
 * SQLite alone on the same file: a fresh connection stepping the same
 * SELECT and reading every column, and PRAGMA quick_check (what open costs
 * beyond it is the store's).
 *
 * Every figure is wall/cpu ms, the median of several runs: on a loaded
 * machine the wall time includes waiting for a CPU and the process CPU time
 * is the better estimate of a quiet one; for commits the wall time is what
 * counts (it contains the fsync).  Run from a Release build.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"

#define RUNS 7
#define COMMITS 11

static double clock_ms(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A stopwatch over wall and process CPU time. */
typedef struct watch {
    double wall, cpu;
} watch;

static watch start(void)
{
    watch w = {clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_PROCESS_CPUTIME_ID)};
    return w;
}

static watch elapsed(watch w0)
{
    watch w = {clock_ms(CLOCK_MONOTONIC) - w0.wall,
               clock_ms(CLOCK_PROCESS_CPUTIME_ID) - w0.cpu};
    return w;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* Medians of wall and CPU time, each over n samples. */
static watch median_watch(watch *w, int n)
{
    double wall[16], cpu[16];
    watch m;
    for (int i = 0; i < n; i++) {
        wall[i] = w[i].wall;
        cpu[i] = w[i].cpu;
    }
    m.wall = median(wall, n);
    m.cpu = median(cpu, n);
    return m;
}

static void die(const char *what, pdm__store *s, int rc)
{
    fprintf(stderr, "bench_store: %s failed (%d): %s\n", what, rc,
            s ? pdm__store_error(s) : "");
    exit(1);
}

/* Node i (1-based, root = 1): parent (i-2)/10+1, so every interior node
 * has up to 10 children; leaves get values. */
static pdm__node_rec make_node(long i, long n, long gen, char *name,
                               char *value)
{
    pdm__node_rec r;
    bool leaf = (i - 1) * 10 + 2 > n;
    memset(&r, 0, sizeof r);
    r.id = i;
    r.parent = i == 1 ? 0 : (i - 2) / 10 + 1;
    if (i == 1)
        snprintf(name, 24, ".");
    else
        snprintf(name, 24, "Node%ld", i);
    r.name = name;
    r.format = leaf ? 1 : 0;
    r.type = leaf ? "text/plain" : NULL;
    r.acl = i % 10 == 0 ? "Get=*&Replace=srv1+srv2" : NULL;
    r.owner = i % 100 == 0 ? "server:srv1" : NULL;
    r.tstamp = 1700000000 + i;
    r.verno = (uint32_t)gen;
    if (leaf) {
        int len = snprintf(value, 48, "value %ld of generation %ld", i, gen);
        r.value = (const uint8_t *)value;
        r.value_len = (size_t)len;
        r.has_value = true;
    }
    return r;
}

typedef struct load_acc {
    long nodes;
    size_t bytes;
    void **copies; /* load+copy: three allocations per node */
    long ncopies;
} load_acc;

static int trivial_cb(void *user, const pdm__node_rec *r)
{
    load_acc *a = user;
    a->nodes++;
    a->bytes += r->value_len;
    return 0;
}

static int copy_cb(void *user, const pdm__node_rec *r)
{
    load_acc *a = user;
    a->nodes++;
    a->copies[a->ncopies++] = strdup(r->name);
    a->copies[a->ncopies++] = r->has_value ? memcpy(malloc(r->value_len + 1),
                                                    r->value, r->value_len)
                                           : NULL;
    a->copies[a->ncopies++] = r->acl ? strdup(r->acl) : NULL;
    return 0;
}

/* SQLite alone: a fresh read-only connection runs sql, reading every
 * column of every row. */
static watch floor_run(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t acc = 0;
    watch w = start();
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_store: floor: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        for (int i = 0; i < n; i++) {
            if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
                acc += (size_t)sqlite3_column_int64(st, i);
            else if (sqlite3_column_blob(st, i))
                acc += (size_t)sqlite3_column_bytes(st, i);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    w = elapsed(w);
    if (acc == 0)
        fprintf(stderr, "bench_store: floor read nothing\n");
    return w;
}

static void open_or_die(pdm__store **s, const char *dir)
{
    char err[512];
    if (pdm__store_open(s, dir, 0, err, sizeof err) != PDM_OK) {
        fprintf(stderr, "bench_store: %s\n", err);
        exit(1);
    }
}

/* One package: nodes first..first+count-1 get generation gen. */
static void package(pdm__store *s, long first, long count, long n, long gen,
                    watch *statements)
{
    char name[24], value[48];
    watch w = start();
    int rc = pdm__store_begin(s);
    if (rc != PDM_OK)
        die("begin", s, rc);
    for (long i = first; i < first + count && i <= n; i++) {
        pdm__node_rec r = make_node(i, n, gen, name, value);
        if ((rc = pdm__store_put_node(s, &r)) != PDM_OK)
            die("put_node", s, rc);
    }
    if (statements)
        *statements = elapsed(w);
    if ((rc = pdm__store_commit(s)) != PDM_OK)
        die("commit", s, rc);
}

static void run_size(const char *base, long n)
{
    char dir[512], path[1024];
    watch w, create, open_t[RUNS], load_t[RUNS], copy_t[RUNS];
    watch commit_t[COMMITS], put_t[COMMITS], commit1_t[COMMITS];
    watch o, l, c, cm, pu, c1, fl, fq, floor_t[RUNS], check_t[RUNS];
    pdm__store *s = NULL;
    struct stat st;
    load_acc acc;
    int rc;

    snprintf(dir, sizeof dir, "%.400s/n%ld", base, n);
    open_or_die(&s, dir);
    w = start();
    package(s, 1, n, n, 0, NULL);
    create = elapsed(w);
    pdm__store_close(s);

    snprintf(path, sizeof path, "%s/polydm.db", dir);
    if (stat(path, &st) != 0) {
        perror(path);
        exit(1);
    }

    for (int k = 0; k < RUNS; k++) {
        w = start();
        open_or_die(&s, dir);
        open_t[k] = elapsed(w);

        memset(&acc, 0, sizeof acc);
        w = start();
        rc = pdm__store_load_nodes(s, trivial_cb, &acc);
        load_t[k] = elapsed(w);
        if (rc != PDM_OK || acc.nodes != n)
            die("load", s, rc);

        memset(&acc, 0, sizeof acc);
        acc.copies = malloc(sizeof *acc.copies * 3 * (size_t)n);
        w = start();
        rc = pdm__store_load_nodes(s, copy_cb, &acc);
        for (long i = 0; i < acc.ncopies; i++)
            free(acc.copies[i]);
        copy_t[k] = elapsed(w);
        free(acc.copies);
        if (rc != PDM_OK || acc.nodes != n)
            die("load+copy", s, rc);
        if (k < RUNS - 1)
            pdm__store_close(s);

        floor_t[k] = floor_run(path, "SELECT id, parent, name, format, flags,"
                               " type, title, acl, owner, tstamp, verno, value"
                               " FROM nodes ORDER BY id");
        check_t[k] = floor_run(path, "PRAGMA quick_check");
    }

    /* 1,000 upserts of existing nodes, and a one-node package. */
    for (int k = 0; k < COMMITS; k++) {
        long first = n > 1000 ? n - 999 : 1;
        w = start();
        package(s, first, 1000, n, k + 1, &put_t[k]);
        commit_t[k] = elapsed(w);
        w = start();
        package(s, n, 1, n, k + 100, NULL);
        commit1_t[k] = elapsed(w);
    }
    pdm__store_close(s);

    o = median_watch(open_t, RUNS);
    l = median_watch(load_t, RUNS);
    c = median_watch(copy_t, RUNS);
    cm = median_watch(commit_t, COMMITS);
    pu = median_watch(put_t, COMMITS);
    c1 = median_watch(commit1_t, COMMITS);
    fl = median_watch(floor_t, RUNS);
    fq = median_watch(check_t, RUNS);
    printf("%6ld nodes, ms wall/cpu:\n"
           "  open %.2f/%.2f (floor quick_check %.2f/%.2f)\n"
           "  load %.2f/%.2f = %.0f ns/node cpu (floor scan %.2f/%.2f, "
           "load/floor %.2f)  load+copy %.2f/%.2f\n"
           "  create %.1f/%.1f  1000 upserts %.2f/%.2f (statements "
           "%.2f/%.2f)  package of 1 node %.2f/%.2f\n"
           "  %.1f bytes/node on disk (%lld bytes)\n",
           n, o.wall, o.cpu, fq.wall, fq.cpu, l.wall, l.cpu,
           l.cpu * 1e6 / (double)n, fl.wall, fl.cpu, l.cpu / fl.cpu, c.wall,
           c.cpu, create.wall, create.cpu, cm.wall, cm.cpu, pu.wall, pu.cpu,
           c1.wall, c1.cpu, (double)st.st_size / (double)n,
           (long long)st.st_size);
}

int main(int argc, char **argv)
{
    char base[512];
    static const long sizes[] = {1000, 10000, 100000};

    if (argc > 1) {
        snprintf(base, sizeof base, "%s", argv[1]);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/bench_store.XXXXXX",
                 tmp ? tmp : "/tmp");
        if (!mkdtemp(base)) {
            perror("mkdtemp");
            return 1;
        }
    }
    printf("bench_store in %s (synchronous=FULL, WAL)\n", base);
    for (size_t i = 0; i < PDM__ARRAY_LEN(sizes); i++)
        run_size(base, sizes[i]);
    if (argc <= 1) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", base);
    }
    return 0;
}
