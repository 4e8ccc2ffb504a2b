/*
 * CUnit runner helpers (see cu_main.h).
 */
#define _GNU_SOURCE
#include "cu_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pdm_test_run(const pdm_suite *suites, int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    unsigned fails;
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
