/*
 * Tiny layer over CUnit shared by every test program: a test table per
 * suite and a main() helper that returns the number of failures.
 * Keep all CUnit specifics here and in the test files.
 */
#ifndef PDM_TEST_CU_MAIN_H
#define PDM_TEST_CU_MAIN_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

typedef struct pdm_test {
    const char *name;
    void (*fn)(void);
} pdm_test;

typedef struct pdm_suite {
    const char *name;
    const pdm_test *tests; /* terminated by {NULL, NULL} */
    int (*init)(void);
    int (*cleanup)(void);
} pdm_suite;

/* Runs the suites (NULL-name terminated); returns failures (0 = pass).
 * argv[1], if given, runs only the test with that name. */
int pdm_test_run(const pdm_suite *suites, int argc, char **argv);

/* Directory of the shared test data (../shared via PDM_SHARED_DIR) and of
 * this source tree; both are absolute. */
const char *pdm_test_shared_dir(void);
const char *pdm_test_source_dir(void);
/* Reads a file (relative paths are tried against the source and shared
 * dirs); aborts the test program on failure. Caller frees. */
unsigned char *pdm_test_read(const char *path, size_t *len);
/* A fresh empty temporary directory (removed at exit). */
const char *pdm_test_tmpdir(void);

static inline const char *pdm_test_nn(const char *s) { return s ? s : "(null)"; }
#define PDM_ASSERT_STR(a, b) CU_ASSERT_STRING_EQUAL(pdm_test_nn(a), (b))

#endif
