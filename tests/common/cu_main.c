/*
 * CUnit runner helpers (see cu_main.h).
 */
#define _GNU_SOURCE
#include "cu_main.h"
#include "torture_site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- allocation-failure torture ----------------------------------------
 * PDM_TORTURE=1 runs each test of the program once to count the core's
 * allocations, then once per N with allocation N failing (curl's torture:
 * only that one fails, pdm__alloc_fail_nth).  The tests' assertions do not
 * hold then and are not counted; what fails the run is what the sanitizers
 * and the process see: a crash, an abort, a sanitizer report, and a leak
 * (LeakSanitizer after each test's sweep, when built with it).
 * PDM_TORTURE_STEP=K samples every K-th N (each test at its own offset).
 * The hooks are weak: a program without the core has nothing to torture. */
long pdm__alloc_fail_after(long n) __attribute__((weak));
long pdm__alloc_fail_nth(long n) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* The test in torture: allocations fail only inside the test function,
 * never in its suite's init or cleanup (the fixture is not under test). */
static const pdm_test *g_test;
static const pdm_suite *g_suite;
static long g_arm, g_count;

static void armed_test(void)
{
    if (g_arm >= 0)
        pdm__alloc_fail_nth(g_arm);
    else
        pdm__alloc_fail_after(-1);
    g_test->fn();
    /* not reached after a fatal assertion: armed_cleanup disarms */
    g_count = pdm__alloc_fail_after(-1);
}

static int armed_init(void)
{
    pdm__alloc_fail_after(-1);
    return g_suite->init ? g_suite->init() : 0;
}

static int armed_cleanup(void)
{
    pdm__alloc_fail_after(-1);
    return g_suite->cleanup ? g_suite->cleanup() : 0;
}

static unsigned run_one(const pdm_suite *s, const pdm_test *t, long arm)
{
    unsigned fails;
    CU_pSuite cs;
    g_suite = s;
    g_test = t;
    g_arm = arm;
    g_count = -1;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    cs = CU_add_suite(s->name, armed_init, armed_cleanup);
    if (!cs || !CU_add_test(cs, t->name, armed_test)) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_SILENT);
    {
        /* CUnit prints its summary even when silent */
        FILE *keep = stdout, *null = fopen("/dev/null", "w");
        if (null)
            stdout = null;
        CU_basic_run_tests();
        stdout = keep;
        if (null)
            fclose(null);
    }
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
            CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return fails;
}

static int torture(const pdm_suite *suites, const char *only)
{
    const char *e = getenv("PDM_TORTURE_STEP");
    long every = e ? strtol(e, NULL, 10) : 1, swept = 0;
    size_t ntests = 0, skipped = 0, leaks = 0, absorbed = 0;
    if (every < 1)
        every = 1; /* unset, malformed or not positive: every N */
    if (!pdm__alloc_fail_after || !pdm__alloc_fail_nth) {
        fprintf(stderr, "torture: this program does not use the core\n");
        return 1;
    }
    torture_site_arm(false);
    for (const pdm_suite *s = suites; s->name; s++)
        for (const pdm_test *t = s->tests; t->name; t++) {
            unsigned h = 0;
            long total;
            if (only && strcmp(only, t->name) != 0)
                continue;
            for (const char *p = t->name; *p; p++)
                h = h * 31u + (unsigned char)*p;
            if (run_one(s, t, -1) || g_count < 0) {
                /* failing without torture: the normal run reports it */
                skipped++;
                continue;
            }
            total = g_count;
            for (long n = (long)(h % (unsigned)every); n < total; n += every) {
                torture_site_clear();
                /* passed all the same: the failure was absorbed (an
                 * optional cache, or something lost quietly): tallied by
                 * allocation site */
                if (run_one(s, t, n) == 0 && torture_site_hit()) {
                    char ex[200];
                    snprintf(ex, sizeof ex, "%s/%s, allocation %ld", s->name,
                             t->name, n);
                    torture_site_absorbed(ex);
                    absorbed++;
                }
                swept++;
            }
            ntests++;
            if (__lsan_do_recoverable_leak_check &&
                __lsan_do_recoverable_leak_check()) {
                printf("torture: LEAK in %s/%s (report above)\n", s->name,
                       t->name);
                leaks++;
            }
            printf("torture: %s/%s: %ld allocations\n", s->name, t->name,
                   total);
        }
    printf("torture: %zu tests, %ld values of N (every %ld), %zu with "
           "leaks, %zu failing without torture (not tortured), %zu "
           "absorbed (the test passed)\n",
           ntests, swept, every, leaks, skipped, absorbed);
    torture_site_report();
    torture_site_disarm();
    return leaks || skipped ? 1 : 0;
}

int pdm_test_run(const pdm_suite *suites, int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    unsigned fails;
    if (getenv("PDM_TORTURE") && strcmp(getenv("PDM_TORTURE"), "0") != 0)
        return torture(suites, only);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    for (const pdm_suite *s = suites; s->name; s++) {
        CU_pSuite cs = CU_add_suite(s->name, s->init, s->cleanup);
        if (!cs)
            return 1;
        for (const pdm_test *t = s->tests; t->name; t++) {
            if (only && strcmp(only, t->name) != 0)
                continue;
            if (!CU_add_test(cs, t->name, t->fn))
                return 1;
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    if (CU_get_number_of_suites_failed())
        fails++;
    CU_cleanup_registry();
    return fails ? 1 : 0;
}

const char *pdm_test_shared_dir(void)
{
    const char *e = getenv("PDM_SHARED_DIR");
    return e ? e : PDM_SHARED_DIR;
}

const char *pdm_test_source_dir(void) { return PDM_SOURCE_DIR; }

unsigned char *pdm_test_read(const char *path, size_t *len)
{
    char full[4096];
    FILE *f = NULL;
    const char *dirs[3] = {"", pdm_test_source_dir(), pdm_test_shared_dir()};
    for (int i = 0; i < 3 && !f; i++) {
        if (i == 0 && path[0] != '/')
            continue;
        snprintf(full, sizeof full, "%s%s%s", dirs[i], i ? "/" : "", path);
        f = fopen(full, "rb");
    }
    if (!f) {
        fprintf(stderr, "test data not found: %s\n", path);
        exit(2);
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap + 1);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static char tmpdir[256];

static void rm_tmpdir(void)
{
    char cmd[300];
    if (tmpdir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *pdm_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/pdmtest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(rm_tmpdir);
    }
    return tmpdir;
}
