/*
 * Unit tests of core/src/util: arena, buffer, string helpers, allocator hook.
 */
#include "cu_main.h"
#include "util/util.h"

#include <string.h>

/* The arena returns aligned, distinct blocks and memdup NUL-terminates. */
static void test_util__arena(void)
{
    pdm__arena a;
    pdm__arena_init(&a, 64);
    char *p = pdm__arena_memdup(&a, "abc", 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    PDM_ASSERT_STR(p, "abc");
    void *big = pdm__arena_alloc(&a, 10000); /* larger than a chunk */
    CU_ASSERT_PTR_NOT_NULL(big);
    CU_ASSERT_EQUAL((uintptr_t)big % 16, 0);
    pdm__arena_free(&a);
}

/* The buffer grows, stays NUL-terminated and records OOM once. */
static void test_util__buf(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "x=");
    pdm__buf_printf(&b, "%d", 42);
    CU_ASSERT_EQUAL(b.len, 4);
    PDM_ASSERT_STR((char *)b.data, "x=42");
    pdm__alloc_fail_after(0);
    for (int i = 0; i < 100; i++)
        pdm__buf_puts(&b, "0123456789");
    pdm__alloc_fail_after(-1);
    CU_ASSERT_FALSE(pdm__buf_ok(&b));
    pdm__buf_free(&b);
}

/* The torture's two modes: fail_nth fails that one allocation only,
 * fail_after that one and every later one; both count what came before. */
static void test_util__alloc_fail_modes(void)
{
    void *a, *b, *c;
    pdm__alloc_fail_nth(1);
    a = pdm__malloc(8);
    b = pdm__malloc(8);
    c = pdm__malloc(8);
    CU_ASSERT_EQUAL(pdm__alloc_fail_after(-1), 3);
    CU_ASSERT_PTR_NOT_NULL(a);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_PTR_NOT_NULL(c);
    pdm__free(a);
    pdm__free(c);
    pdm__alloc_fail_after(1);
    a = pdm__malloc(8);
    b = pdm__strdup("x");
    c = pdm__calloc(1, 8);
    CU_ASSERT_EQUAL(pdm__alloc_fail_after(-1), 3);
    CU_ASSERT_PTR_NOT_NULL(a);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_PTR_NULL(c);
    pdm__free(a);
    /* off again */
    a = pdm__malloc(8);
    CU_ASSERT_PTR_NOT_NULL(a);
    pdm__free(a);
}

/* A buffer whose first allocation appends nothing is still a valid C
 * string (the base64 of empty input once was not). */
static void test_util__buf_empty(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_TRUE(pdm__buf_reserve(&b, 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.data);
    CU_ASSERT_EQUAL(b.data[0], 0);
    pdm__buf_free(&b);
    pdm__buf_init(&b);
    CU_ASSERT_TRUE(pdm__buf_reserve(&b, 100)); /* room, nothing written */
    CU_ASSERT_EQUAL(b.data[0], 0);
    pdm__buf_free(&b);
}

/* parse_long takes whole decimal strings inside the range only. */
static void test_util__parse_long(void)
{
    long v = 0;
    CU_ASSERT_EQUAL(pdm__parse_long("123", 0, 1000, &v), PDM_OK);
    CU_ASSERT_EQUAL(v, 123);
    CU_ASSERT_EQUAL(pdm__parse_long("12a", 0, 1000, &v), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__parse_long("", 0, 1000, &v), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__parse_long(" 1", 0, 1000, &v), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__parse_long("1001", 0, 1000, &v), PDM_EINVAL);
}

/* pdm__errf writes nothing without a buffer and cuts to fit; pdm__show
 * shows at most 32 bytes, non-printables as \xHH, "..." when cut, and
 * never writes past its buffer. */
static void test_util__errf_show(void)
{
    char b[8], big[160];
    memset(b, 'Z', sizeof b);
    pdm__errf(NULL, 10, "x%d", 1);
    pdm__errf(b, 0, "x%d", 1);
    CU_ASSERT_EQUAL(b[0], 'Z');
    pdm__errf(b, sizeof b, "%s-%d", "abcdef", 42);
    PDM_ASSERT_STR(b, "abcdef-");

    PDM_ASSERT_STR(pdm__show(big, sizeof big, "a\x01\xff b", 5),
                   "a\\x01\\xFF b");
    PDM_ASSERT_STR(pdm__show(big, sizeof big,
                             "0123456789abcdef0123456789abcdefXYZ", 35),
                   "0123456789abcdef0123456789abcdef...");
    PDM_ASSERT_STR(pdm__show(big, sizeof big, "", 0), "");
    memset(b, 'Z', sizeof b);
    PDM_ASSERT_STR(pdm__show(b, 6, "\x01\x02", 2), "\\x01");
    CU_ASSERT_EQUAL(b[6], 'Z');
}

static const pdm_test tests[] = {
    {"arena", test_util__arena},
    {"buf", test_util__buf},
    {"buf_empty", test_util__buf_empty},
    {"alloc_fail_modes", test_util__alloc_fail_modes},
    {"parse_long", test_util__parse_long},
    {"errf_show", test_util__errf_show},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"util", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
