/*
 * Crash safety of the store: a writer process commits "packages" in a loop
 * and is killed with SIGKILL at random moments; after every kill the store
 * must open cleanly (quick_check passes) and hold exactly the state after
 * one whole package g -- never a mixture -- and g must never go back
 * behind a package whose commit had returned (durability).
 *
 * Package g (one transaction): the 50 leaf values become value(g); leaf 5
 * is deleted and recreated; the 3 rows of package g-1 are deleted and 3
 * new rows with ids and names derived from g are added; one audit entry is
 * appended; kv crash/gen = g.  Package 0 is the initial state (no audit
 * entries, no extra rows), so for state g the audit log has g entries.
 *
 * The writer is this program run again ("writer DIR FD"); it reports on FD
 * "o" once the store is open, "b g" before package g and "c g" after its
 * commit returned, which tells how each kill landed.
 *
 * What this cannot show: power loss (a killed process leaves the kernel's
 * page cache intact); synchronous=FULL is what covers that case.
 *
 * Environment: PDM_CRASH_KILLS (default 200), PDM_CRASH_SEED.
 */
#include "cu_main.h"
#include "store/store.h"
#include "util/util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEAVES 50
#define EXTRA 3              /* rows replaced by every package */
#define RECREATED 5          /* leaf deleted and recreated by every package */
#define VALUE_LEN 300        /* bytes per leaf value: packages span pages */
#define TIME_CAP_S 50.0      /* stop early rather than time out */

static const char *self_exe = "/proc/self/exe";

/* ---- the model: what state g looks like --------------------------------- */
static int64_t leaf_id(int i) { return 3 + i; }
static int64_t extra_id(long g, int k) { return 1000 + (int64_t)g * EXTRA + k; }

/* value(g): "g=<g>;" repeated to VALUE_LEN bytes. */
static size_t make_value(long g, char *buf)
{
    char unit[32];
    int n = snprintf(unit, sizeof unit, "g=%ld;", g);
    for (size_t i = 0; i < VALUE_LEN; i++)
        buf[i] = unit[i % (size_t)n];
    return VALUE_LEN;
}

static pdm__node_rec rec(int64_t id, int64_t parent, const char *name,
                         const char *value, size_t len, long g)
{
    pdm__node_rec r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.parent = parent;
    r.name = name;
    r.format = value ? 1 : 0;
    r.value = (const uint8_t *)value;
    r.value_len = len;
    r.has_value = value != NULL;
    r.tstamp = g;
    r.verno = (uint32_t)g;
    return r;
}

/* Writes package g (g == 0: the initial state) as one transaction. */
static int write_package(pdm__store *s, long g)
{
    char value[VALUE_LEN], name[32], gen[24];
    size_t vlen = make_value(g, value);
    int rc = pdm__store_begin(s);
    if (rc != PDM_OK)
        return rc;
    if (g == 0) {
        pdm__node_rec root = rec(1, 0, ".", NULL, 0, 0);
        pdm__node_rec pkg = rec(2, 1, "Pkg", NULL, 0, 0);
        rc = pdm__store_put_node(s, &root);
        if (rc == PDM_OK)
            rc = pdm__store_put_node(s, &pkg);
    }
    for (int i = 0; i < LEAVES && rc == PDM_OK; i++) {
        pdm__node_rec r;
        snprintf(name, sizeof name, "n%d", i);
        r = rec(leaf_id(i), 2, name, value, vlen, g);
        if (i == RECREATED && g > 0)
            rc = pdm__store_del_node(s, leaf_id(i));
        if (rc == PDM_OK)
            rc = pdm__store_put_node(s, &r);
    }
    for (int k = 0; k < EXTRA && rc == PDM_OK && g > 0; k++) {
        pdm__node_rec r;
        if (g > 1)
            rc = pdm__store_del_node(s, extra_id(g - 1, k));
        snprintf(name, sizeof name, "r%ld_%d", g, k);
        r = rec(extra_id(g, k), 2, name, value, vlen, g);
        if (rc == PDM_OK)
            rc = pdm__store_put_node(s, &r);
    }
    if (rc == PDM_OK && g > 0) {
        char reason[48];
        pdm__audit_rec a = {0, g, "local", "Replace", "./Pkg", "info",
                            "crash-test", reason};
        snprintf(reason, sizeof reason, "package %ld", g);
        rc = pdm__store_audit_add(s, &a);
    }
    snprintf(gen, sizeof gen, "%ld", g);
    if (rc == PDM_OK)
        rc = pdm__store_kv_put(s, "crash", "gen", (const uint8_t *)gen,
                               strlen(gen));
    if (rc != PDM_OK) {
        pdm__store_rollback(s);
        return rc;
    }
    return pdm__store_commit(s);
}

/* kv crash/gen as a number. */
static bool parse_gen(const uint8_t *p, size_t len, long *g)
{
    char buf[24];
    if (!p || len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return pdm__parse_long(buf, 0, 1L << 40, g) == PDM_OK;
}

/* ---- writer process -------------------------------------------------------- */
/* Writes "<tag> g" (or just "<tag>" for g < 0) as one line. */
static void say(int fd, char tag, long g)
{
    char line[48];
    int n = g < 0 ? snprintf(line, sizeof line, "%c\n", tag)
                  : snprintf(line, sizeof line, "%c %ld\n", tag, g);
    if (write(fd, line, (size_t)n) != n)
        _exit(4);
}

static int writer_main(const char *dir, int fd)
{
    pdm__store *s = NULL;
    char err[512];
    uint8_t *out = NULL;
    size_t len = 0;
    long g;
    int rc = pdm__store_open(&s, dir, 0, err, sizeof err);
    if (rc != PDM_OK) {
        dprintf(fd, "e open %d %s\n", rc, err);
        return 2;
    }
    rc = pdm__store_kv_get(s, "crash", "gen", &out, &len);
    if (rc != PDM_OK || !parse_gen(out, len, &g)) {
        dprintf(fd, "e gen %d %s\n", rc, pdm__store_error(s));
        return 2;
    }
    pdm__free(out);
    say(fd, 'o', -1);
    for (g++;; g++) {
        say(fd, 'b', g);
        rc = write_package(s, g);
        if (rc != PDM_OK) {
            dprintf(fd, "e write %d %s\n", rc, pdm__store_error(s));
            return 2;
        }
        say(fd, 'c', g);
    }
}

/* ---- checking a state --------------------------------------------------- */
typedef struct check {
    long g;          /* generation from kv */
    int seen;        /* nodes loaded */
    int bad;         /* mismatches */
    char first[200]; /* first mismatch */
} check;

PDM_PRINTF(2, 3)
static void mismatch(check *c, const char *fmt, ...)
{
    va_list ap;
    if (c->bad++ == 0) {
        va_start(ap, fmt);
        vsnprintf(c->first, sizeof c->first, fmt, ap);
        va_end(ap);
    }
}

static int check_node(void *user, const pdm__node_rec *r)
{
    check *c = user;
    char value[VALUE_LEN], name[32];
    size_t vlen = make_value(c->g, value);

    c->seen++;
    if (r->id == 1 || r->id == 2) {
        if (r->has_value || r->parent != r->id - 1)
            mismatch(c, "interior node %lld wrong", (long long)r->id);
        return 0;
    }
    if (r->id >= leaf_id(0) && r->id < leaf_id(LEAVES)) {
        snprintf(name, sizeof name, "n%d", (int)(r->id - leaf_id(0)));
    } else if (c->g > 0 && r->id >= extra_id(c->g, 0) &&
               r->id < extra_id(c->g, EXTRA)) {
        snprintf(name, sizeof name, "r%ld_%d", c->g,
                 (int)(r->id - extra_id(c->g, 0)));
    } else {
        mismatch(c, "unexpected node %lld (%s)", (long long)r->id, r->name);
        return 0;
    }
    if (strcmp(r->name, name) != 0 || r->parent != 2)
        mismatch(c, "node %lld is %s under %lld", (long long)r->id, r->name,
                 (long long)r->parent);
    if (!r->has_value || r->value_len != vlen ||
        memcmp(r->value, value, vlen) != 0 || r->verno != (uint32_t)c->g ||
        r->tstamp != c->g)
        mismatch(c, "node %lld holds another generation than %ld: %.12s",
                 (long long)r->id, c->g, (const char *)r->value);
    return 0;
}

typedef struct audit_check {
    long count;
    int64_t last_ts;
    bool order_ok;
} audit_check;

static int count_audit(void *user, const pdm__audit_rec *a)
{
    audit_check *ac = user;
    ac->count++;
    /* Entry of package g has ts g: 1, 2, 3, ... without gaps. */
    if (a->ts_ms != ac->count)
        ac->order_ok = false;
    ac->last_ts = a->ts_ms;
    return 0;
}

/* Opens the store and checks it holds exactly one whole package; returns
 * its g, or -1 (after reporting) if anything is wrong. */
static long verify(const char *dir, unsigned flags)
{
    pdm__store *s = NULL;
    char err[512];
    uint8_t *out = NULL;
    size_t len = 0;
    check c;
    audit_check ac = {0, 0, true};
    int rc = pdm__store_open(&s, dir, flags, err, sizeof err);
    int nodes_expected;

    memset(&c, 0, sizeof c);
    if (rc != PDM_OK) {
        fprintf(stderr, "reopen failed: %d %s\n", rc, err);
        return -1;
    }
    rc = pdm__store_kv_get(s, "crash", "gen", &out, &len);
    if (rc != PDM_OK || !parse_gen(out, len, &c.g)) {
        fprintf(stderr, "kv gen unreadable: %d\n", rc);
        goto out_fail;
    }
    rc = pdm__store_load_nodes(s, check_node, &c);
    nodes_expected = 2 + LEAVES + (c.g > 0 ? EXTRA : 0);
    if (rc != PDM_OK || c.bad || c.seen != nodes_expected) {
        fprintf(stderr, "state g=%ld is mixed: rc %d, %d nodes (want %d), "
                "%d mismatches, first: %s\n", c.g, rc, c.seen,
                nodes_expected, c.bad, c.first);
        goto out_fail;
    }
    rc = pdm__store_audit_query(s, 0, count_audit, &ac);
    if (rc != PDM_OK || ac.count != c.g || !ac.order_ok) {
        fprintf(stderr, "audit of g=%ld: rc %d, %ld entries, order %s\n", c.g,
                rc, ac.count, ac.order_ok ? "ok" : "wrong");
        goto out_fail;
    }
    pdm__free(out);
    pdm__store_close(s);
    return c.g;

out_fail:
    pdm__free(out);
    pdm__store_close(s);
    return -1;
}

/* ---- the kill loop ---------------------------------------------------------- */
static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads from fd into buf (NUL-terminated) until `until` appears in it or
 * EOF; returns false on EOF without it. */
static bool read_until(int fd, char *buf, size_t cap, size_t *len,
                       const char *until)
{
    while (!until || !strstr(buf, until)) {
        ssize_t n;
        if (*len + 1 >= cap) { /* keep the tail: lines are short */
            memmove(buf, buf + cap / 2, *len - cap / 2);
            *len -= cap / 2;
        }
        n = read(fd, buf + *len, cap - 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return until == NULL;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return true;
}

/* Largest g on lines "<tag> g" in buf. */
static long last_tagged(const char *buf, char tag)
{
    long best = -1;
    for (const char *p = buf; *p; p++) {
        if ((p == buf || p[-1] == '\n') && p[0] == tag && p[1] == ' ') {
            long v = strtol(p + 2, NULL, 10);
            if (v > best)
                best = v;
        }
    }
    return best;
}

static void test_crash__kill_loop(void)
{
    const char *dir = pdm_test_tmpdir();
    const char *env = getenv("PDM_CRASH_KILLS");
    long target = env ? strtol(env, NULL, 10) : 200;
    long prev_g, kills = 0, before_ready = 0, lost_mid_tx = 0,
                 durable_unreported = 0, between = 0, ro_checks = 0;
    static char out[1 << 16];
    double t0 = now_s();
    pdm__store *s = NULL;
    char err[512];

    env = getenv("PDM_CRASH_SEED");
    rng_state = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    if (!rng_state)
        rng_state = 1;
    printf("\n  seed %llu (PDM_CRASH_SEED), %ld kills wanted\n",
           (unsigned long long)rng_state, target);

    CU_ASSERT_EQUAL_FATAL(pdm__store_open(&s, dir, 0, err, sizeof err),
                          PDM_OK);
    CU_ASSERT_EQUAL_FATAL(write_package(s, 0), PDM_OK);
    pdm__store_close(s);
    prev_g = verify(dir, 0);
    CU_ASSERT_EQUAL_FATAL(prev_g, 0);

    while (kills < target && now_s() - t0 < TIME_CAP_S) {
        int p[2], status = 0;
        size_t len = 0;
        pid_t pid;
        bool wait_ready = rnd() % 4 != 0, ready;
        long begun, committed, g;
        unsigned flags;

        CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
        pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            char fdarg[16];
            close(p[0]);
            snprintf(fdarg, sizeof fdarg, "%d", p[1]);
            execl(self_exe, self_exe, "writer", dir, fdarg, (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        out[0] = '\0';
        ready = !wait_ready || read_until(p[0], out, sizeof out, &len, "o\n");
        {
            struct timespec d = {0, (long)(rnd() % 20001) * 1000}; /* 0-20 ms */
            nanosleep(&d, NULL);
        }
        kill(pid, SIGKILL);
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        read_until(p[0], out, sizeof out, &len, NULL);
        close(p[0]);
        if (!ready || !WIFSIGNALED(status) || strstr(out, "\ne ") ||
            strncmp(out, "e ", 2) == 0) {
            fprintf(stderr, "writer failed (status 0x%x): %s\n", status, out);
            CU_FAIL_FATAL("writer failed");
        }
        kills++;

        /* Every third check opens read-only (WAL recovery without write
         * access, and the next writer then finds the crashed WAL). */
        flags = kills % 3 == 0 ? PDM_STORE_READONLY : 0;
        ro_checks += flags != 0;
        g = verify(dir, flags);
        if (g < 0)
            CU_FAIL_FATAL("store not in a whole-package state after a kill");

        /* This writer started from prev_g: nothing reported means that. */
        begun = last_tagged(out, 'b');
        committed = last_tagged(out, 'c');
        if (begun < prev_g)
            begun = prev_g;
        if (committed < prev_g)
            committed = prev_g;
        if (!strstr(out, "o\n"))
            before_ready++;
        else if (begun > committed && g == committed)
            lost_mid_tx++; /* killed inside package `begun`: rolled back */
        else if (begun > committed && g == begun)
            durable_unreported++; /* killed in or just after the commit */
        else
            between++;
        if (g < prev_g || g < committed || g > begun) {
            fprintf(stderr, "kill %ld: found g=%ld, previous %ld, last begun "
                    "%ld, last committed %ld\n", kills, g, prev_g, begun,
                    committed);
            CU_FAIL_FATAL("generation went backwards or a commit was lost");
        }
        if (getenv("PDM_CRASH_VERBOSE"))
            printf("  kill %ld: begun %ld committed %ld found %ld\n", kills,
                   begun, committed, g);
        prev_g = g;
    }
    printf("  %ld kills in %.1f s: %ld before the store was open, %ld inside "
           "a package (found rolled back), %ld in its commit (found committed, "
           "not yet reported), %ld between packages; %ld packages committed "
           "in all; %ld checks read-only\n",
           kills, now_s() - t0, before_ready, lost_mid_tx, durable_unreported,
           between, prev_g, ro_checks);
    CU_ASSERT(kills >= target);
    CU_ASSERT(lost_mid_tx > 0); /* the test did hit transactions */
}

static const pdm_test tests[] = {
    {"kill_loop", test_crash__kill_loop},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"store_crash", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "writer") == 0) {
        long fd;
        if (pdm__parse_long(argv[3], 0, 1024, &fd) != PDM_OK)
            return 2;
        return writer_main(argv[2], (int)fd);
    }
    return pdm_test_run(suites, argc, argv);
}
