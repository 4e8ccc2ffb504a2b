/*
 * Unit tests of core/src/tree/uri: TND URI syntax (facts §6.1), ?prop= /
 * ?list= queries (§6.1, §6.3), DevDetail/URI limits (§12), path helpers.
 * One rule per test; results are exact (rc, canonical path, message bits).
 */
#include "cu_main.h"
#include "tree/uri.h"
#include "util/util.h"

#include <string.h>

static char msg[256];

/* Parses s (strlen) with limits lim; returns the rc, keeps u parsed. */
static int P(pdm__uri *u, const char *s, const pdm__uri_limits *lim)
{
    return pdm__uri_parse(u, s, strlen(s), lim, msg, sizeof msg);
}

/* Expects s to parse to canonical path `canon` with nseg segments. */
static void ok_path(const char *s, const char *canon, size_t nseg)
{
    pdm__uri u;
    int rc = P(&u, s, NULL);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    if (rc != PDM_OK) {
        fprintf(stderr, "\n  %s: %s\n", s, msg);
        return;
    }
    PDM_ASSERT_STR(u.path, canon);
    CU_ASSERT_EQUAL(u.len, strlen(canon));
    CU_ASSERT_EQUAL(u.nseg, nseg);
    CU_ASSERT_EQUAL(u.query, PDM_URI_Q_NONE);
    pdm__uri_free(&u);
}

/* Expects rc and that the message contains `needle`. */
static void bad(const char *s, int want_rc, const char *needle)
{
    pdm__uri u;
    int rc = P(&u, s, NULL);
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle));
    if (rc != want_rc || !strstr(msg, needle))
        fprintf(stderr, "\n  '%s': rc %d msg '%s' (want %d, '%s')\n", s, rc,
                msg, want_rc, needle);
    /* after a failure u is an empty root and free is harmless */
    CU_ASSERT_EQUAL(u.nseg, 0);
    pdm__uri_free(&u);
}

/* ---- paths ---------------------------------------------------------- */

static void test_uri__root_dot(void) { ok_path(".", ".", 0); }

static void test_uri__root_dot_slash_invalid(void)
{
    bad("./", PDM_EINVAL, "'./' is not a valid URI");
}

static void test_uri__dot_prefix(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./A", NULL), PDM_OK);
    PDM_ASSERT_STR(u.path, "A");
    CU_ASSERT_EQUAL(u.nseg, 1);
    PDM_ASSERT_STR(pdm__uri_seg_name(&u, 0), "A");
    CU_ASSERT_EQUAL(pdm__uri_seg_len(&u, 0), 1);
    CU_ASSERT_EQUAL(u.chars, 3);
    pdm__uri_free(&u);
}

static void test_uri__relative(void) { ok_path("A", "A", 1); }

static void test_uri__both_forms_equal(void)
{
    ok_path("./DMAcc/x", "DMAcc/x", 2);
    ok_path("DMAcc/x", "DMAcc/x", 2);
}

static void test_uri__segments(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./Vendor/Ext/Leaf", NULL), PDM_OK);
    CU_ASSERT_EQUAL(u.nseg, 3);
    PDM_ASSERT_STR(pdm__uri_seg_name(&u, 0), "Vendor");
    PDM_ASSERT_STR(pdm__uri_seg_name(&u, 1), "Ext");
    PDM_ASSERT_STR(pdm__uri_seg_name(&u, 2), "Leaf");
    CU_ASSERT_EQUAL(u.segs[1].off, 7);
    CU_ASSERT_EQUAL(u.segs[1].len, 3);
    CU_ASSERT_EQUAL(memcmp(u.path + u.segs[2].off, "Leaf", 4), 0);
    pdm__uri_free(&u);
}

static void test_uri__trailing_slash(void)
{
    bad("./A/", PDM_EINVAL, "must not end with '/'");
    bad("A/", PDM_EINVAL, "must not end with '/'");
}

static void test_uri__leading_slash(void)
{
    bad("/A", PDM_EINVAL, "must not start with '/'");
    bad(".//A", PDM_EINVAL, "segment 1 is empty (offset 2)");
}

static void test_uri__empty_segment(void)
{
    bad("A//B", PDM_EINVAL, "segment 2 is empty (offset 2)");
    bad("./A/B//C", PDM_EINVAL, "segment 3 is empty (offset 6)");
}

static void test_uri__dotdot_segment(void)
{
    bad("./A/../B", PDM_EINVAL, "segment 2 is '..' (offset 4)");
    bad("..", PDM_EINVAL, "segment 1 is '..'");
    bad("../A", PDM_EINVAL, "segment 1 is '..'");
}

static void test_uri__dot_segment(void)
{
    bad("./A/./B", PDM_EINVAL, "segment 2 is '.' (offset 4)");
    bad("././A", PDM_EINVAL, "segment 1 is '.'");
    bad("A/.", PDM_EINVAL, "segment 2 is '.'");
}

static void test_uri__escaped_dot_segment(void)
{
    bad("A/%2E/B", PDM_EINVAL, "segment 2 is '.'");
    bad("A/%2e%2E", PDM_EINVAL, "segment 2 is '..'");
}

static void test_uri__dots_inside_names(void)
{
    ok_path("./.hidden/a.b/...", ".hidden/a.b/...", 3);
}

static void test_uri__empty(void)
{
    bad("", PDM_EINVAL, "empty URI");
    bad("?prop=ACL", PDM_EINVAL, "no path before '?'");
}

/* ---- escapes and characters ---------------------------------------- */

static void test_uri__pct_decode(void)
{
    ok_path("./%41", "A", 1);
    ok_path("./x%41y/%7e", "xAy/~", 2);
}

static void test_uri__pct_lowercase_hex(void) { ok_path("%c3%a9", "\xC3\xA9", 1); }

static void test_uri__pct_slash_rejected(void)
{
    bad("./A%2FB", PDM_EINVAL, "escaped '/' cannot be part of a node name");
    bad("./A%2fB", PDM_EINVAL, "offset 3");
}

static void test_uri__pct_nul_rejected(void)
{
    bad("./A%00", PDM_EINVAL, "escaped control character (0x00) at offset 3");
}

static void test_uri__pct_question_percent_rejected(void)
{
    bad("A%3FB", PDM_EINVAL, "'?' cannot be part of a node name");
    bad("A%25B", PDM_EINVAL, "'%' cannot be part of a node name");
}

static void test_uri__pct_bad_hex(void)
{
    bad("./A/%G1", PDM_EINVAL, "invalid %-escape at offset 4");
    bad("%1G", PDM_EINVAL, "invalid %-escape at offset 0");
}

static void test_uri__pct_at_end(void)
{
    bad("./A%", PDM_EINVAL, "invalid %-escape at offset 3");
    bad("./A%4", PDM_EINVAL, "invalid %-escape at offset 3");
    /* the escape may not run into the query or the next segment */
    bad("A%4?prop=ACL", PDM_EINVAL, "invalid %-escape at offset 1");
    bad("A%4/B", PDM_EINVAL, "invalid %-escape at offset 1");
}

static void test_uri__utf8_valid(void)
{
    /* 2-, 3- and 4-byte sequences; U+10FFFF is the last valid one */
    ok_path("./Caf\xC3\xA9/\xE2\x82\xAC/\xF0\x9F\x98\x80", "Caf\xC3\xA9/\xE2\x82\xAC/\xF0\x9F\x98\x80", 3);
    ok_path("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", 1);
    ok_path("\xED\x9F\xBF", "\xED\x9F\xBF", 1); /* U+D7FF */
    /* mixed literal and escaped bytes of one character */
    ok_path("\xC3%A9", "\xC3\xA9", 1);
}

static void test_uri__utf8_overlong(void)
{
    bad("A/\xC0\xAF", PDM_EINVAL, "overlong UTF-8 encoding at offset 2");
    bad("A/\xC1\xBF", PDM_EINVAL, "overlong");
    bad("\xE0\x80\xAF", PDM_EINVAL, "overlong UTF-8 encoding at offset 0");
    bad("\xF0\x80\x80\xAF", PDM_EINVAL, "overlong");
    bad("%C0%AF", PDM_EINVAL, "overlong"); /* escaped too */
}

static void test_uri__utf8_surrogate(void)
{
    bad("\xED\xA0\x80", PDM_EINVAL, "surrogate at offset 0");
    bad("x\xED\xBF\xBF", PDM_EINVAL, "surrogate at offset 1");
}

static void test_uri__utf8_too_big(void)
{
    bad("\xF4\x90\x80\x80", PDM_EINVAL, "beyond U+10FFFF");
    bad("\xF5\x80\x80\x80", PDM_EINVAL, "invalid UTF-8 byte at offset 0");
    bad("\xFF", PDM_EINVAL, "invalid UTF-8 byte");
}

static void test_uri__utf8_truncated(void)
{
    bad("A\xC3", PDM_EINVAL, "incomplete UTF-8 sequence at offset 1");
    bad("\xE2\x82/B", PDM_EINVAL, "incomplete UTF-8 sequence at offset 0");
    bad("\xE2\x82x", PDM_EINVAL, "invalid UTF-8 sequence at offset 2");
    bad("A\x80", PDM_EINVAL, "invalid UTF-8 byte at offset 1");
}

static void test_uri__control_char(void)
{
    bad("./A\nB", PDM_EINVAL, "control character (0x0A) at offset 3");
    bad("A\tB", PDM_EINVAL, "control character (0x09)");
    bad("A\x7F", PDM_EINVAL, "control character (0x7F)");
    bad("A\xC2\x85", PDM_EINVAL, "control character U+0085 at offset 1");
    bad("%0D", PDM_EINVAL, "escaped control character (0x0D)");
}

static void test_uri__embedded_nul(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL(pdm__uri_parse(&u, "A\0B", 3, NULL, msg, sizeof msg),
                    PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "control character (0x00) at offset 1"));
    pdm__uri_free(&u);
}

static void test_uri__liberal_chars(void)
{
    /* pchar set, space, '#', and non-ASCII are all fine */
    ok_path("./a:b@c&d=e+f$g,h-_!~*'()", "a:b@c&d=e+f$g,h-_!~*'()", 1);
    ok_path("My Node#1/x%20y", "My Node#1/x y", 2);
}

/* ---- queries -------------------------------------------------------- */

static void test_uri__prop_acl(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./A/B?prop=ACL", NULL), PDM_OK);
    PDM_ASSERT_STR(u.path, "A/B");
    CU_ASSERT_EQUAL(u.query, PDM_URI_Q_PROP);
    CU_ASSERT_EQUAL(u.prop, PDM_URI_PROP_ACL);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL_FATAL(P(&u, ".?prop=TStamp", NULL), PDM_OK);
    CU_ASSERT_EQUAL(u.nseg, 0);
    CU_ASSERT_EQUAL(u.prop, PDM_URI_PROP_TSTAMP);
    pdm__uri_free(&u);
}

static void test_uri__prop_all_names(void)
{
    static const char *const names[] = {"ACL", "Format", "Name", "Size",
                                        "Title", "TStamp", "Type", "VerNo"};
    for (int i = 0; i < 8; i++) {
        char b[64];
        pdm__uri u;
        snprintf(b, sizeof b, "A?prop=%s", names[i]);
        CU_ASSERT_EQUAL(P(&u, b, NULL), PDM_OK);
        CU_ASSERT_EQUAL(u.prop, (pdm__uri_prop)i);
        pdm__uri_free(&u);
    }
}

static void test_uri__prop_bogus(void)
{
    bad("./A?prop=Bogus", PDM_ENOTSUP, "property 'Bogus' is not supported");
    bad("./A?prop=acl", PDM_ENOTSUP, "'acl'"); /* case-sensitive */
    bad("./A?prop=Value", PDM_ENOTSUP, "'Value'");
    bad("./A?prop=", PDM_EINVAL, "empty property name");
}

static void test_uri__list_struct(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./A?list=Struct", NULL), PDM_OK);
    CU_ASSERT_EQUAL(u.query, PDM_URI_Q_LIST);
    CU_ASSERT_EQUAL(u.list, PDM_URI_LIST_STRUCT);
    CU_ASSERT_EQUAL(u.list_sel, 0);
    CU_ASSERT_EQUAL(u.list_props, 0);
    CU_ASSERT_EQUAL(pdm__uri_list_props(&u, 0x1F), 0x1F);
    pdm__uri_free(&u);
}

static void test_uri__list_plus(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./A?list=StructData+ACL+Format", NULL),
                          PDM_OK);
    CU_ASSERT_EQUAL(u.list, PDM_URI_LIST_STRUCTDATA);
    CU_ASSERT_EQUAL(u.list_sel, '+');
    CU_ASSERT_EQUAL(u.list_props, PDM_URI_PROP_BIT(PDM_URI_PROP_ACL) |
                                      PDM_URI_PROP_BIT(PDM_URI_PROP_FORMAT));
    CU_ASSERT_EQUAL(pdm__uri_list_props(&u, PDM_URI_PROP_ALL),
                    PDM_URI_PROP_BIT(PDM_URI_PROP_ACL) |
                        PDM_URI_PROP_BIT(PDM_URI_PROP_FORMAT));
    pdm__uri_free(&u);
}

static void test_uri__list_minus(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL_FATAL(P(&u, "./A?list=TNDS-Value", NULL), PDM_OK);
    CU_ASSERT_EQUAL(u.list, PDM_URI_LIST_TNDS);
    CU_ASSERT_EQUAL(u.list_sel, '-');
    CU_ASSERT_EQUAL(u.list_props, PDM_URI_PROP_BIT(PDM_URI_PROP_VALUE));
    CU_ASSERT_EQUAL(pdm__uri_list_props(&u, PDM_URI_PROP_ALL),
                    PDM_URI_PROP_ALL & ~PDM_URI_PROP_BIT(PDM_URI_PROP_VALUE));
    pdm__uri_free(&u);
}

static void test_uri__list_mixed(void)
{
    bad("./A?list=TNDS+ACL-Format", PDM_EINVAL,
        "mixes '+' and '-' selectors (offset 17)");
}

static void test_uri__list_bad(void)
{
    bad("A?list=Tree", PDM_ENOTSUP, "list type 'Tree' is not supported");
    bad("A?list=", PDM_EINVAL, "empty list type");
    bad("A?list=TNDS+", PDM_EINVAL, "empty list selector");
    bad("A?list=TNDS+ACL+", PDM_EINVAL, "empty list selector");
    bad("A?list=TNDS+Bogus", PDM_ENOTSUP, "list selector 'Bogus'");
    bad("A?list=+ACL", PDM_EINVAL, "empty list type");
}

static void test_uri__query_other(void)
{
    bad("A?", PDM_EINVAL, "empty query after '?' at offset 1");
    bad("A?foo=bar", PDM_ENOTSUP, "query 'foo' at offset 2 is not supported");
    bad("A?prop=ACL?x", PDM_ENOTSUP, "'ACL?x'");
}

/* ---- limits -------------------------------------------------------- */

static void test_uri__max_depth(void)
{
    pdm__uri_limits lim = {3, 0, 0};
    pdm__uri u;
    CU_ASSERT_EQUAL(P(&u, "./A/B/C", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "./A/B/C/D", &lim), PDM_ETOOLONG);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "deeper than MaxDepth 3"));
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, ".", &lim), PDM_OK); /* root has depth 0 */
    pdm__uri_free(&u);
    lim.max_depth = 1;
    CU_ASSERT_EQUAL(P(&u, "A", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "A/B", &lim), PDM_ETOOLONG);
    pdm__uri_free(&u);
}

static void test_uri__max_tot_len(void)
{
    pdm__uri_limits lim = {0, 9, 0};
    pdm__uri u;
    /* counted as received: "./" and the query included */
    CU_ASSERT_EQUAL(P(&u, "./ABC/DEF", &lim), PDM_OK); /* 9 */
    CU_ASSERT_EQUAL(u.chars, 9);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "./ABC/DEFG", &lim), PDM_ETOOLONG); /* 10 */
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "10 characters long, MaxTotLen is 9"));
    pdm__uri_free(&u);
    lim.max_tot_len = 14;
    CU_ASSERT_EQUAL(P(&u, "./AB?prop=ACL", &lim), PDM_OK); /* 13 */
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "./ABC?prop=ACL", &lim), PDM_OK); /* 14 */
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "./ABCD?prop=ACL", &lim), PDM_ETOOLONG); /* 15 */
    pdm__uri_free(&u);
}

static void test_uri__max_tot_len_chars(void)
{
    /* characters, not bytes: 3 two-byte letters = 3; %41 counts 3 */
    pdm__uri_limits lim = {0, 3, 0};
    pdm__uri u;
    CU_ASSERT_EQUAL(P(&u, "\xC3\xA9\xC3\xA9\xC3\xA9", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", &lim),
                    PDM_ETOOLONG);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "%41", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "A%41", &lim), PDM_ETOOLONG);
    pdm__uri_free(&u);
}

static void test_uri__max_seg_len(void)
{
    pdm__uri_limits lim = {0, 0, 4};
    pdm__uri u;
    CU_ASSERT_EQUAL(P(&u, "./ABCD/EFGH", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "./ABCD/EFGHI", &lim), PDM_ETOOLONG);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "segment 2 is 5 characters long, MaxSegLen is 4"));
    pdm__uri_free(&u);
    /* decoded characters: %41%42%43%44 is 4, four 2-byte letters are 4 */
    CU_ASSERT_EQUAL(P(&u, "%41%42%43%44", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", &lim), PDM_OK);
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, "%41%42%43%44%45", &lim), PDM_ETOOLONG);
    pdm__uri_free(&u);
}

static void test_uri__limits_zero_unlimited(void)
{
    pdm__uri_limits lim = {0, 0, 0};
    char big[3000];
    pdm__uri u;
    size_t o = 0;
    for (int i = 0; i < 500; i++) {
        memcpy(big + o, "Node/", 5);
        o += 5;
    }
    memcpy(big + o, "Leaf", 5);
    CU_ASSERT_EQUAL(P(&u, big, &lim), PDM_OK);
    CU_ASSERT_EQUAL(u.nseg, 501);
    PDM_ASSERT_STR(pdm__uri_seg_name(&u, 500), "Leaf");
    pdm__uri_free(&u);
    CU_ASSERT_EQUAL(P(&u, big, NULL), PDM_OK);
    pdm__uri_free(&u);
}

static void test_uri__check_limits(void)
{
    pdm__uri_limits lim = {2, 7, 3};
    CU_ASSERT_EQUAL(pdm__uri_check_limits("ABC/DEF", 7, &lim, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__uri_check_limits("ABC/DEFG", 8, &lim, msg, sizeof msg), PDM_ETOOLONG);
    lim.max_tot_len = 0;
    CU_ASSERT_EQUAL(pdm__uri_check_limits("ABC/DEFG", 8, &lim, msg, sizeof msg), PDM_ETOOLONG);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "segment 2 is 4 characters"));
    CU_ASSERT_EQUAL(pdm__uri_check_limits("A/B/C", 5, &lim, msg, sizeof msg), PDM_ETOOLONG);
    CU_ASSERT_EQUAL(pdm__uri_check_limits(".", 1, &lim, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__uri_check_limits("A/B/C", 5, NULL, msg, sizeof msg), PDM_OK);
}

/* ---- helpers ------------------------------------------------------- */

static void test_uri__ancestor(void)
{
    CU_ASSERT_TRUE(pdm__uri_is_ancestor("A", 1, "A/B", 3, false));
    CU_ASSERT_TRUE(pdm__uri_is_ancestor("A/B", 3, "A/B/C", 5, false));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("A/B", 3, "A/BC", 4, false));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("A/B", 3, "A/BC/D", 6, false));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("A/B", 3, "A/B", 3, false));
    CU_ASSERT_TRUE(pdm__uri_is_ancestor("A/B", 3, "A/B", 3, true));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("A/B/C", 5, "A/B", 3, true));
    CU_ASSERT_TRUE(pdm__uri_is_ancestor(".", 1, "A", 1, false));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor(".", 1, ".", 1, false));
    CU_ASSERT_TRUE(pdm__uri_is_ancestor(".", 1, ".", 1, true));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("A", 1, ".", 1, true));
    CU_ASSERT_FALSE(pdm__uri_is_ancestor("B", 1, "A/B", 3, false));
}

static void test_uri__parent(void)
{
    size_t n = 99;
    const char *p = pdm__uri_parent("A/B/C", 5, &n);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(memcmp(p, "A/B", 3), 0);
    p = pdm__uri_parent("A", 1, &n);
    CU_ASSERT_EQUAL(n, 1);
    PDM_ASSERT_STR(p, ".");
    p = pdm__uri_parent(".", 1, &n);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_EQUAL(n, 0);
}

static void test_uri__last(void)
{
    size_t n = 0;
    const char *l = pdm__uri_last("A/B/Leaf", 8, &n);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(memcmp(l, "Leaf", 4), 0);
    l = pdm__uri_last("Top", 3, &n);
    CU_ASSERT_EQUAL(n, 3);
    l = pdm__uri_last(".", 1, &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(*l, '.');
}

static void test_uri__depth(void)
{
    CU_ASSERT_EQUAL(pdm__uri_depth(".", 1), 0);
    CU_ASSERT_EQUAL(pdm__uri_depth("A", 1), 1);
    CU_ASSERT_EQUAL(pdm__uri_depth("A/B/C", 5), 3);
}

static void test_uri__join(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__uri_join(&b, ".", 1, "DMAcc", 5, msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "DMAcc");
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__uri_join(&b, "DMAcc", 5, "x", 1, msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR((char *)b.data, "DMAcc/x");
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL(pdm__uri_join(&b, "A", 1, "b/c", 3, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'/' cannot be part of a node name"));
    CU_ASSERT_EQUAL(pdm__uri_join(&b, "A", 1, "..", 2, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_join(&b, "A", 1, "", 0, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(b.len, 0);
    pdm__buf_free(&b);
}

static void test_uri__check_name(void)
{
    pdm__uri_limits lim = {0, 0, 3};
    CU_ASSERT_EQUAL(pdm__uri_check_name("abc", 3, &lim, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__uri_check_name("abcd", 4, &lim, msg, sizeof msg), PDM_ETOOLONG);
    CU_ASSERT_EQUAL(pdm__uri_check_name("\xC3\xA9\xC3\xA9\xC3\xA9", 6, &lim, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__uri_check_name("a?", 2, NULL, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_check_name("50%", 3, NULL, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_check_name("a\x01", 2, NULL, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_check_name("\xC0\xAF", 2, NULL, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_check_name("\xC3", 1, NULL, msg, sizeof msg), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "incomplete"));
    CU_ASSERT_EQUAL(pdm__uri_check_name(".", 1, NULL, msg, sizeof msg), PDM_EINVAL);
}

static void test_uri__format(void)
{
    pdm__uri u;
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(P(&u, "A/x%20y?list=TNDS+Value+ACL+ACL", NULL), PDM_OK);
    pdm__uri_format(&b, &u, PDM_URI_FMT_DOT | PDM_URI_FMT_QUERY);
    PDM_ASSERT_STR((char *)b.data, "./A/x y?list=TNDS+ACL+Value");
    pdm__buf_reset(&b);
    pdm__uri_format(&b, &u, PDM_URI_FMT_ASCII);
    PDM_ASSERT_STR((char *)b.data, "A/x%20y");
    pdm__uri_free(&u);
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(P(&u, ".?prop=VerNo", NULL), PDM_OK);
    pdm__uri_format(&b, &u, PDM_URI_FMT_DOT | PDM_URI_FMT_QUERY);
    PDM_ASSERT_STR((char *)b.data, ".?prop=VerNo");
    pdm__uri_free(&u);
    pdm__buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(P(&u, "Caf%C3%A9", NULL), PDM_OK);
    pdm__uri_format(&b, &u, PDM_URI_FMT_ASCII | PDM_URI_FMT_DOT);
    PDM_ASSERT_STR((char *)b.data, "./Caf%C3%A9");
    pdm__uri_free(&u);
    pdm__buf_free(&b);
}

/* The canonical path is itself a URI that parses to the same path. */
static void test_uri__canon_fixed_point(void)
{
    static const char *const in[] = {"./A/%41b", ".", "x%20y/%C3%A9",
                                     "./.a/b.", "a:b@c"};
    for (size_t i = 0; i < PDM__ARRAY_LEN(in); i++) {
        pdm__buf b1, b2;
        pdm__buf_init(&b1);
        pdm__buf_init(&b2);
        CU_ASSERT_EQUAL(pdm__uri_canon(&b1, in[i], strlen(in[i]), NULL, msg, sizeof msg), PDM_OK);
        CU_ASSERT_EQUAL(pdm__uri_canon(&b2, (char *)b1.data, b1.len, NULL, msg, sizeof msg), PDM_OK);
        PDM_ASSERT_STR((char *)b2.data, (char *)b1.data);
        pdm__buf_free(&b1);
        pdm__buf_free(&b2);
    }
}

static void test_uri__canon_rejects_query(void)
{
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__uri_canon(&b, "A?prop=ACL", 10, NULL, msg, sizeof msg), PDM_EINVAL);
    pdm__buf_free(&b);
}

static void test_uri__names_lookup(void)
{
    CU_ASSERT_EQUAL(pdm__uri_prop_from_name("TStamp", 6), PDM_URI_PROP_TSTAMP);
    CU_ASSERT_EQUAL(pdm__uri_prop_from_name("TStam", 5), -1);
    CU_ASSERT_EQUAL(pdm__uri_list_from_name("StructData", 10), PDM_URI_LIST_STRUCTDATA);
    PDM_ASSERT_STR(pdm__uri_prop_name(PDM_URI_PROP_VERNO), "VerNo");
    PDM_ASSERT_STR(pdm__uri_list_name(PDM_URI_LIST_TNDS), "TNDS");
}

static void test_uri__err_null(void)
{
    pdm__uri u;
    CU_ASSERT_EQUAL(pdm__uri_parse(&u, "A//B", 4, NULL, NULL, 0), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__uri_parse(&u, NULL, 0, NULL, NULL, 0), PDM_EINVAL);
    pdm__uri_free(&u);
}

/* ---- allocation failures ------------------------------------------- */

/* A path longer than the inline storage needs one allocation; every
 * failure gives PDM_ENOMEM and leaks nothing (ASan checks). */
static void test_uri__alloc_fail(void)
{
    char big[600];
    size_t o = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(big + o, "Nd/", 3);
        o += 3;
    }
    memcpy(big + o, "Leaf", 5);
    for (long n = 0;; n++) {
        pdm__uri u;
        pdm__alloc_fail_after(n);
        int rc = P(&u, big, NULL);
        pdm__alloc_fail_after(-1);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        pdm__uri_free(&u);
        if (rc == PDM_OK) {
            CU_ASSERT_EQUAL(n, 1);
            break;
        }
        if (n > 10) {
            CU_FAIL("no success");
            break;
        }
    }
    /* the short path needs none at all */
    {
        pdm__uri u;
        pdm__alloc_fail_after(0);
        CU_ASSERT_EQUAL(P(&u, "./DMAcc/Srv/AppAddr/1/Addr?prop=ACL", NULL), PDM_OK);
        pdm__alloc_fail_after(-1);
        pdm__uri_free(&u);
    }
}

static void test_uri__alloc_fail_join_canon(void)
{
    for (long n = 0;; n++) {
        pdm__buf b;
        pdm__buf_init(&b);
        pdm__alloc_fail_after(n);
        int rc = pdm__uri_join(&b, "DMAcc", 5, "x", 1, msg, sizeof msg);
        int rc2 = rc == PDM_OK ? pdm__uri_canon(&b, "./A/B", 5, NULL, msg, sizeof msg) : rc;
        pdm__alloc_fail_after(-1);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        CU_ASSERT(rc2 == PDM_OK || rc2 == PDM_ENOMEM);
        pdm__buf_free(&b);
        if (rc == PDM_OK && rc2 == PDM_OK)
            break;
        if (n > 10) {
            CU_FAIL("no success");
            break;
        }
    }
}

static const pdm_test tests[] = {
    {"root_dot", test_uri__root_dot},
    {"root_dot_slash_invalid", test_uri__root_dot_slash_invalid},
    {"dot_prefix", test_uri__dot_prefix},
    {"relative", test_uri__relative},
    {"both_forms_equal", test_uri__both_forms_equal},
    {"segments", test_uri__segments},
    {"trailing_slash", test_uri__trailing_slash},
    {"leading_slash", test_uri__leading_slash},
    {"empty_segment", test_uri__empty_segment},
    {"dotdot_segment", test_uri__dotdot_segment},
    {"dot_segment", test_uri__dot_segment},
    {"escaped_dot_segment", test_uri__escaped_dot_segment},
    {"dots_inside_names", test_uri__dots_inside_names},
    {"empty", test_uri__empty},
    {"pct_decode", test_uri__pct_decode},
    {"pct_lowercase_hex", test_uri__pct_lowercase_hex},
    {"pct_slash_rejected", test_uri__pct_slash_rejected},
    {"pct_nul_rejected", test_uri__pct_nul_rejected},
    {"pct_question_percent_rejected", test_uri__pct_question_percent_rejected},
    {"pct_bad_hex", test_uri__pct_bad_hex},
    {"pct_at_end", test_uri__pct_at_end},
    {"utf8_valid", test_uri__utf8_valid},
    {"utf8_overlong", test_uri__utf8_overlong},
    {"utf8_surrogate", test_uri__utf8_surrogate},
    {"utf8_too_big", test_uri__utf8_too_big},
    {"utf8_truncated", test_uri__utf8_truncated},
    {"control_char", test_uri__control_char},
    {"embedded_nul", test_uri__embedded_nul},
    {"liberal_chars", test_uri__liberal_chars},
    {"prop_acl", test_uri__prop_acl},
    {"prop_all_names", test_uri__prop_all_names},
    {"prop_bogus", test_uri__prop_bogus},
    {"list_struct", test_uri__list_struct},
    {"list_plus", test_uri__list_plus},
    {"list_minus", test_uri__list_minus},
    {"list_mixed", test_uri__list_mixed},
    {"list_bad", test_uri__list_bad},
    {"query_other", test_uri__query_other},
    {"max_depth", test_uri__max_depth},
    {"max_tot_len", test_uri__max_tot_len},
    {"max_tot_len_chars", test_uri__max_tot_len_chars},
    {"max_seg_len", test_uri__max_seg_len},
    {"limits_zero_unlimited", test_uri__limits_zero_unlimited},
    {"check_limits", test_uri__check_limits},
    {"ancestor", test_uri__ancestor},
    {"parent", test_uri__parent},
    {"last", test_uri__last},
    {"depth", test_uri__depth},
    {"join", test_uri__join},
    {"check_name", test_uri__check_name},
    {"format", test_uri__format},
    {"canon_fixed_point", test_uri__canon_fixed_point},
    {"canon_rejects_query", test_uri__canon_rejects_query},
    {"names_lookup", test_uri__names_lookup},
    {"err_null", test_uri__err_null},
    {"alloc_fail", test_uri__alloc_fail},
    {"alloc_fail_join_canon", test_uri__alloc_fail_join_canon},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"uri", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
