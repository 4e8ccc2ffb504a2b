/*
 * Start-up benchmark (issue 15 item 12): what opening a store and loading
 * its tree costs, as an instruction count.  Run under callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_startup_once \
 *       bench_startup [-u] [-c] DIR NODES
 *
 * The first run in DIR builds a tree of NODES nodes shaped like
 * bench_tree's (./Bench/g<i>/n<j>, 100 leaves per group, an ACL per group,
 * 8-byte values) and closes it cleanly.  Then bench_startup_once() opens the
 * store and loads the tree; only that is counted (not the free and close
 * that follow).
 *   -u  the previous shutdown is made unclean first (a child opens the
 *       store and exits without closing it), so the open runs the
 *       integrity check;
 *   -c  the integrity check is requested (PDM_STORE_CHECK).
 * NODES 0 gives the empty store's figure.  tests/bench/startup.sh runs the
 * table of figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tree/tree.h"
#include "util/util.h"

static void die(const char *what, const char *err, int rc)
{
    fprintf(stderr, "bench_startup: %s: %s (%s)\n", what, err,
            pdm_strerror(rc));
    exit(1);
}

static pdm__tree *open_tree(pdm__store **st, const char *dir, unsigned flags)
{
    pdm__tree_config cfg;
    pdm__tree *t;
    char err[512];
    int rc = pdm__store_open(st, dir, flags, err, sizeof err);
    if (rc)
        die("store open", err, rc);
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *st;
    cfg.root_add_star = true;
    rc = pdm__tree_open(&t, &cfg, err, sizeof err);
    if (rc)
        die("tree open", err, rc);
    return t;
}

static void build(const char *dir, size_t n)
{
    char uri[128], val[32];
    pdm__store *st;
    pdm__tree *t = open_tree(&st, dir, 0);
    size_t groups = (n + 99) / 100;
    int rc;

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
                die("put", uri, rc);
        }
    }
    /* Commit even an empty tree, so that the store holds its root. */
    pdm__tree_meta_set(t, "bench", "1");
    if ((rc = pdm__tree_commit(t)))
        die("commit", "", rc);
    pdm__tree_free(t);
    pdm__store_close(st);
}

/* What start-up costs: the only function callgrind counts. */
__attribute__((noinline)) pdm__tree *bench_startup_once(pdm__store **st,
                                                        const char *dir,
                                                        unsigned flags);
__attribute__((noinline)) pdm__tree *bench_startup_once(pdm__store **st,
                                                        const char *dir,
                                                        unsigned flags)
{
    return open_tree(st, dir, flags);
}

int main(int argc, char **argv)
{
    unsigned flags = 0;
    bool unclean = false;
    char db[600];
    struct stat sb;
    int opt;

    while ((opt = getopt(argc, argv, "uc")) != -1) {
        if (opt == 'u')
            unclean = true;
        else if (opt == 'c')
            flags |= PDM_STORE_CHECK;
        else
            return 2;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: bench_startup [-u] [-c] DIR NODES\n");
        return 2;
    }
    snprintf(db, sizeof db, "%s/polydm.db", argv[optind]);
    if (stat(db, &sb) != 0)
        build(argv[optind], strtoul(argv[optind + 1], NULL, 10));
    if (unclean) {
        pid_t pid = fork();
        if (pid == 0) {
            pdm__store *st;
            char err[512];
            _exit(pdm__store_open(&st, argv[optind], 0, err, sizeof err));
        }
        int status;
        waitpid(pid, &status, 0);
    }
    pdm__store *st;
    pdm__tree *t = bench_startup_once(&st, argv[optind], flags);
    printf("%zu nodes loaded\n", pdm__tree_count(t));
    pdm__tree_free(t);
    pdm__store_close(st);
    return 0;
}
