/*
 * Crash safety through the management tree (the store's own crash test
 * covers raw rows): a writer process applies server-style packages with
 * pdm__tree_* operations and pdm__tree_commit, and is killed with SIGKILL
 * at random moments.  After every kill the tree must load from the store
 * (pdm__tree_open validates that the rows form a tree) and show exactly
 * the state after one whole package g, and g must never fall behind a
 * package whose commit had returned.
 *
 * Package g: the 40 leaves ./V/l<i> get value "g=<g>"; the subtree
 * ./P/s<g-1> (3 leaves) is deleted and ./P/s<g>/{a,b,c} is added; the node
 * ./R/x<g-1> is renamed to x<g>; ./R/x<g>?prop=ACL is set to
 * "Get=srv<g>".  Renames, deletions of whole subtrees, creations with
 * implicit parents and ACL changes all go through the commit path.
 *
 * The writer is this program run again ("writer DIR FD"); it reports "c g"
 * on FD after the commit of package g returned.
 * Environment: PDM_CRASH_KILLS (default 200), PDM_CRASH_SEED.
 */
#include "cu_main.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEAVES 40

static const pdm__who SRV = {PDM_PRINCIPAL_SERVER, "srv", NULL, 0, NULL};
static const pdm__who FACT = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};

static int open_tree(const char *dir, pdm__store **s, pdm__tree **t,
                     char *err, size_t errlen)
{
    pdm__tree_config cfg;
    int rc = pdm__store_open(s, dir, 0, err, errlen);
    if (rc != PDM_OK)
        return rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *s;
    cfg.root_add_star = true;
    rc = pdm__tree_open(t, &cfg, err, errlen);
    if (rc != PDM_OK) {
        pdm__store_close(*s);
        *s = NULL;
    }
    return rc;
}

/* ---- writer ------------------------------------------------------------------ */

static int package(pdm__tree *t, long g)
{
    char uri[128], val[32];
    pdm__decision d;
    int rc = pdm__tree_begin(t);
    snprintf(val, sizeof val, "g=%ld", g);
    for (int i = 0; i < LEAVES && rc == PDM_OK; i++) {
        pdm__tree_item it = {(const uint8_t *)val, strlen(val), PDM_FORMAT_CHR,
                             NULL, false};
        snprintf(uri, sizeof uri, "./V/l%d", i);
        rc = pdm__tree_replace(t, &SRV, uri, &it, &d);
    }
    if (rc == PDM_OK && g > 1) {
        snprintf(uri, sizeof uri, "./P/s%ld", g - 1);
        rc = pdm__tree_delete(t, &SRV, uri, &d);
    }
    for (const char *leaf = "a\0b\0c\0"; rc == PDM_OK && *leaf;
         leaf += strlen(leaf) + 1) {
        pdm__tree_item it = {(const uint8_t *)val, strlen(val), PDM_FORMAT_CHR,
                             NULL, true};
        snprintf(uri, sizeof uri, "./P/s%ld/%s", g, leaf);
        rc = pdm__tree_add(t, &SRV, uri, &it, &d);
    }
    if (rc == PDM_OK) {
        char name[64];
        pdm__tree_item it = {NULL, 0, PDM_FORMAT_CHR, NULL, false};
        snprintf(uri, sizeof uri, "./R/x%ld?prop=Name", g - 1);
        snprintf(name, sizeof name, "x%ld", g);
        it.data = (const uint8_t *)name;
        it.len = strlen(name);
        rc = pdm__tree_replace(t, &SRV, uri, &it, &d);
        if (rc == PDM_OK) {
            snprintf(uri, sizeof uri, "./R/x%ld?prop=ACL", g);
            snprintf(name, sizeof name, "Get=srv%ld&Replace=srv", g);
            it.data = (const uint8_t *)name;
            it.len = strlen(name);
            rc = pdm__tree_replace(t, &SRV, uri, &it, &d);
        }
    }
    if (rc != PDM_OK) {
        fprintf(stderr, "writer: package %ld: %s\n", g, d.reason);
        pdm__tree_abort(t);
        return rc;
    }
    return pdm__tree_commit(t);
}

static int writer(const char *dir, int fd)
{
    pdm__store *s;
    pdm__tree *t;
    char err[256];
    long g;
    FILE *out = fdopen(fd, "w");
    if (!out || open_tree(dir, &s, &t, err, sizeof err) != PDM_OK)
        return 2;
    setvbuf(out, NULL, _IONBF, 0);
    fprintf(out, "o\n"); /* open: kills from now on hit packages */
    /* Continue from the state on disk. */
    {
        pdm__node *x = pdm__node_first_child(pdm__tree_lookup(t, "./R"));
        g = x ? strtol(pdm__node_name(x) + 1, NULL, 10) : 0;
    }
    for (g = g + 1;; g++) {
        if (package(t, g) != PDM_OK)
            return 3;
        fprintf(out, "c %ld\n", g);
    }
}

/* ---- checker ------------------------------------------------------------------ */

/* Returns g of the state found, or -1 (message on stderr) if inconsistent. */
static long check(const char *dir)
{
    pdm__store *s;
    pdm__tree *t;
    char err[256], exp[64];
    long g;
    size_t len;
    const uint8_t *v;
    pdm__node *x, *p;
    int rc = open_tree(dir, &s, &t, err, sizeof err);
    if (rc != PDM_OK) {
        fprintf(stderr, "reopen failed: %s (%s)\n", err, pdm_strerror(rc));
        return -1;
    }
    x = pdm__node_first_child(pdm__tree_lookup(t, "./R"));
    if (!x || pdm__node_next_sibling(x)) {
        fprintf(stderr, "./R must hold exactly one node\n");
        g = -1;
        goto out;
    }
    g = strtol(pdm__node_name(x) + 1, NULL, 10);
    snprintf(exp, sizeof exp, "g=%ld", g);
    for (int i = 0; i < LEAVES; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "./V/l%d", i);
        v = pdm__node_value(pdm__tree_lookup(t, uri), &len);
        if (!v || len != strlen(exp) || memcmp(v, exp, len) != 0) {
            fprintf(stderr, "%s is '%.*s', expected '%s' (mixed state)\n", uri,
                    (int)len, v ? (const char *)v : "", exp);
            g = -1;
            goto out;
        }
    }
    p = pdm__tree_lookup(t, "./P");
    if (g > 0) {
        char uri[64];
        snprintf(uri, sizeof uri, "./P/s%ld", g);
        if (pdm__node_child_count(p) != 1 ||
            pdm__node_child_count(pdm__tree_lookup(t, uri)) != 3) {
            fprintf(stderr, "./P does not hold exactly s%ld with 3 leaves\n", g);
            g = -1;
            goto out;
        }
        snprintf(exp, sizeof exp, "Get=srv%ld&Replace=srv", g);
        if (strcmp(pdm__node_acl(x), exp) != 0) {
            fprintf(stderr, "ACL of x%ld is '%s'\n", g, pdm__node_acl(x));
            g = -1;
        }
    }
out:
    pdm__tree_free(t);
    pdm__store_close(s);
    return g;
}

static void setup_initial(const char *dir)
{
    pdm__store *s;
    pdm__tree *t;
    char err[256];
    pdm__decision d;
    pdm__tree_item node = {NULL, 0, PDM_FORMAT_NODE, NULL, true};
    CU_ASSERT_EQUAL_FATAL(open_tree(dir, &s, &t, err, sizeof err), PDM_OK);
    pdm__tree_begin(t);
    pdm__tree_set_acl(t, ".", "Add=*&Get=*&Replace=srv&Delete=srv", err, sizeof err);
    for (int i = 0; i < LEAVES; i++) {
        char uri[32];
        pdm__tree_item it = {(const uint8_t *)"g=0", 3, PDM_FORMAT_CHR, NULL, true};
        snprintf(uri, sizeof uri, "./V/l%d", i);
        CU_ASSERT_EQUAL(pdm__tree_add(t, &FACT, uri, &it, &d), PDM_OK);
    }
    CU_ASSERT_EQUAL(pdm__tree_add(t, &FACT, "./P", &node, &d), PDM_OK);
    {
        pdm__tree_item it = {(const uint8_t *)"r", 1, PDM_FORMAT_CHR, NULL, true};
        CU_ASSERT_EQUAL(pdm__tree_add(t, &FACT, "./R/x0", &it, &d), PDM_OK);
    }
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    pdm__tree_free(t);
    pdm__store_close(s);
}

/* A whole non-negative number from the environment, or DEF; anything else
 * (a typo such as "2OO") stops the test with its name rather than running
 * it with a number the user did not ask for. */
static long env_count(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long n;
    if (v == NULL || *v == '\0')
        return def;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0) {
        fprintf(stderr, "tree_crash: %s='%s' is not a whole number >= 0\n",
                name, v);
        exit(2);
    }
    return n;
}

static void test_tree_crash__sigkill_loop(void)
{
    char dir[512];
    long kills = env_count("PDM_CRASH_KILLS", 200), done = 0,
         last_committed = 0, last_g = 0;
    unsigned seed = (unsigned)env_count("PDM_CRASH_SEED", (long)time(NULL));
    time_t start = time(NULL);

    snprintf(dir, sizeof dir, "%s/treecrash", pdm_test_tmpdir());
    setup_initial(dir);
    printf("\n  seed %u\n", seed);
    srand(seed);
    while (done < kills && time(NULL) - start < 50) {
        int fds[2];
        pid_t pid;
        char fdarg[16], line[64];
        FILE *in;
        long g;
        CU_ASSERT_FATAL(pipe(fds) == 0);
        pid = fork();
        if (pid == 0) {
            close(fds[0]);
            snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
            execl("/proc/self/exe", "tree_crash", "writer", dir, fdarg, (char *)NULL);
            _exit(127);
        }
        close(fds[1]);
        in = fdopen(fds[0], "r");
        /* Wait until the writer has the store open (slow under ASan), so
         * that the kill lands among packages, not in start-up. */
        if (in && fgets(line, sizeof line, in)) {
            struct timespec ts = {0, (long)(rand() % 25000) * 1000L};
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        while (in && fgets(line, sizeof line, in))
            if (sscanf(line, "c %ld", &g) == 1 && g > last_committed)
                last_committed = g;
        if (in)
            fclose(in);
        g = check(dir);
        CU_ASSERT(g >= 0);
        if (g < 0)
            break;
        CU_ASSERT(g >= last_committed); /* durable once commit returned */
        CU_ASSERT(g >= last_g);          /* never goes back */
        last_g = g;
        done++;
    }
    printf("  %ld kills, %ld packages committed, state consistent after each\n",
           done, last_g);
    CU_ASSERT(done >= kills);
    CU_ASSERT(last_g > 0);
}

static const pdm_test tests[] = {
    {"sigkill_loop", test_tree_crash__sigkill_loop},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"tree_crash", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "writer") == 0) {
        char *end;
        long fd = strtol(argv[3], &end, 10);
        if (*end != '\0' || fd < 0 || fd > 1023) {
            fprintf(stderr, "tree_crash writer: bad descriptor '%s'\n", argv[3]);
            return 2;
        }
        return writer(argv[2], (int)fd);
    }
    return pdm_test_run(suites, argc, argv);
}
