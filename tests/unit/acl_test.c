/*
 * Unit tests of core/src/tree/acl: grammar (facts §6.4), canonical form,
 * checks, editing (§6.8 deleting a ServerID), the TND rules that need no
 * tree (§6.6 who may change an ACL, creator rule; §6.5/§6.7 root) and the
 * test-vectors §D table.  One rule per test; results are exact.
 */
#include "cu_main.h"
#include "tree/acl.h"
#include "util/util.h"

#include <string.h>

static char msg[256];

#define SPEC_EXAMPLE                                                         \
    "Add=www.sonera.fi-8765&Delete=www.sonera.fi-8765&Replace=www.sonera."  \
    "fi-8765+321_ibm.com&Get=*"

/* Canonical form of an ACL into a static buffer. */
static const char *fmt(const pdm__acl *a)
{
    static char out[512];
    pdm__buf b;
    pdm__buf_init(&b);
    pdm__acl_format(a, &b);
    CU_ASSERT_FATAL(pdm__buf_ok(&b));
    pdm__strlcpy(out, b.data ? (char *)b.data : "", sizeof out);
    pdm__buf_free(&b);
    return out;
}

/* Parses s, expects PDM_OK and canonical form `canon`. */
static void ok_canon(const char *s, const char *canon)
{
    pdm__acl a;
    int rc = pdm__acl_parse(s, &a, msg, sizeof msg);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    if (rc != PDM_OK)
        fprintf(stderr, "\n  '%s': %s\n", s, msg);
    PDM_ASSERT_STR(fmt(&a), canon);
    pdm__acl_free(&a);
}

/* Expects a parse error rc whose message contains needle; out is empty. */
static void bad(const char *s, int want, const char *needle)
{
    pdm__acl a;
    int rc = pdm__acl_parse(s, &a, msg, sizeof msg);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle));
    if (rc != want || !strstr(msg, needle))
        fprintf(stderr, "\n  '%s': rc %d msg '%s' (want %d '%s')\n", s, rc,
                msg, want, needle);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&a));
    CU_ASSERT_PTR_NULL(a.blk_);
    pdm__acl_free(&a);
}

static bool allows(const char *acl, int op, const char *sid)
{
    pdm__acl a;
    bool r;
    CU_ASSERT_EQUAL_FATAL(pdm__acl_parse(acl, &a, msg, sizeof msg), PDM_OK);
    r = pdm__acl_allows(&a, op, sid, NULL);
    pdm__acl_free(&a);
    return r;
}

/* ---- grammar ------------------------------------------------------- */

/* The spec example parses and grants exactly the listed servers. */
static void test_acl__spec_example_allows(void)
{
    pdm__acl a;
    const char *s = "www.sonera.fi-8765", *i = "321_ibm.com";
    CU_ASSERT_EQUAL_FATAL(pdm__acl_parse(SPEC_EXAMPLE, &a, msg, sizeof msg),
                          PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_ADD, s, NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_ADD, i, NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_DELETE, s, NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_DELETE, i, NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_REPLACE, s, NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_REPLACE, i, NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_REPLACE, "other", NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_GET, "anyone", NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_GET, NULL, NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_EXEC, s, NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_COPY, s, NULL));
    /* server ids are byte-exact */
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_ADD, "WWW.sonera.fi-8765", NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_ADD, "www.sonera.fi-876", NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_ADD, "www.sonera.fi-87655", NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_ADD, "", NULL));
    pdm__acl_free(&a);
}

static void test_acl__spec_example_canonical(void)
{
    ok_canon(SPEC_EXAMPLE,
             "Add=www.sonera.fi-8765&Delete=www.sonera.fi-8765&Get=*&"
             "Replace=www.sonera.fi-8765+321_ibm.com");
}

static void test_acl__empty(void)
{
    pdm__acl a;
    CU_ASSERT_EQUAL(pdm__acl_parse("", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&a));
    PDM_ASSERT_STR(fmt(&a), "");
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_GET, "x", NULL));
    pdm__acl_free(&a);
    CU_ASSERT_EQUAL(pdm__acl_parse(NULL, &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&a));
}

static void test_acl__canonical_order(void)
{
    ok_canon("Replace=c&Get=b+a&Exec=e&Delete=d&Add=a",
             "Add=a&Delete=d&Exec=e&Get=b+a&Replace=c");
}

static void test_acl__star_only_no_alloc(void)
{
    pdm__acl a;
    pdm__alloc_fail_after(0);
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=*", &a, msg, sizeof msg), PDM_OK);
    pdm__alloc_fail_after(-1);
    CU_ASSERT_PTR_NULL(a.blk_);
    PDM_ASSERT_STR(fmt(&a), "Add=*&Get=*");
    pdm__acl_free(&a);
}

static void test_acl__bad_empty_list(void)
{
    bad("Get=", PDM_EPARSE, "entry 1 (Get): empty server list at offset 4");
    bad("Add=a&Get=&Replace=b", PDM_EPARSE, "entry 2 (Get): empty server list at offset 10");
}

static void test_acl__bad_no_command(void)
{
    bad("=a", PDM_EPARSE, "entry 1 has no command before '=' (offset 0)");
}

static void test_acl__bad_no_equals(void)
{
    bad("Get", PDM_EPARSE, "entry 1 ('Get') has no '=' (offset 0)");
    bad("Get=a&Add", PDM_EPARSE, "entry 2 ('Add') has no '='");
}

static void test_acl__bad_trailing_amp(void)
{
    bad("Get=a&", PDM_EPARSE, "entry 2 is empty (offset 6, trailing '&')");
}

static void test_acl__bad_leading_amp(void)
{
    bad("&Get=a", PDM_EPARSE, "entry 1 is empty (offset 0, leading '&')");
}

static void test_acl__bad_double_amp(void)
{
    bad("Get=a&&Add=b", PDM_EPARSE, "entry 2 is empty (offset 6, '&&')");
}

static void test_acl__bad_unknown_command(void)
{
    bad("Copy=a", PDM_EPARSE, "entry 1: unknown command 'Copy' at offset 0");
    bad("Get=a&Foo=b", PDM_EPARSE, "entry 2: unknown command 'Foo' at offset 6");
}

static void test_acl__bad_command_case(void)
{
    bad("get=a", PDM_EPARSE, "unknown command 'get' at offset 0 (commands are case-sensitive: 'Get')");
    bad("REPLACE=a", PDM_EPARSE, "'Replace'");
}

static void test_acl__bad_whitespace(void)
{
    bad("Get=a b", PDM_EPARSE, "entry 1 (Get): invalid character ' ' in server id at offset 5");
    bad("Get=a\n", PDM_EPARSE, "invalid character '\\x0A' in server id at offset 5");
    bad(" Get=a", PDM_EPARSE, "unknown command ' Get'");
}

static void test_acl__bad_empty_id(void)
{
    bad("Get=a+", PDM_EPARSE, "entry 1 (Get): empty server id at offset 6");
    bad("Get=+a", PDM_EPARSE, "empty server id at offset 4");
    bad("Get=a++b", PDM_EPARSE, "empty server id at offset 6");
    bad("Get=a+&Add=b", PDM_EPARSE, "empty server id at offset 6");
}

/* test-vectors §D: the drawn Node5 ACL repeats Get -> malformed. */
static void test_acl__bad_duplicate_command(void)
{
    bad("Get=a&Get=b", PDM_EPARSE, "duplicate entry for 'Get' (entries 1 and 2, offset 6)");
    bad("Get=ServerA&Replace=ServerA&Get=ServerB", PDM_EPARSE,
        "duplicate entry for 'Get' (entries 1 and 3");
}

static void test_acl__bad_equals_in_id(void)
{
    bad("Get=a=b", PDM_EPARSE, "invalid character '=' in server id at offset 5");
}

static void test_acl__bad_star_in_id(void)
{
    bad("Get=*a", PDM_EPARSE, "'*' must be a server id on its own (offset 4)");
    bad("Get=a*", PDM_EPARSE, "invalid character '*' in server id at offset 5");
}

static void test_acl__bad_non_ascii(void)
{
    bad("Get=caf\xC3\xA9", PDM_EPARSE, "invalid character '\\xC3' in server id at offset 7");
}

static void test_acl__embedded_nul(void)
{
    pdm__acl a;
    CU_ASSERT_EQUAL(pdm__acl_parsen("Get=a\0b", 7, &a, msg, sizeof msg), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'\\x00'"));
    pdm__acl_free(&a);
}

/* facts §6.4: "*" wins and should not coexist -> normalised. */
static void test_acl__star_with_ids(void)
{
    ok_canon("Get=*+a", "Get=*");
    ok_canon("Get=a+*+b", "Get=*");
    ok_canon("Get=*+*", "Get=*");
    CU_ASSERT_TRUE(allows("Get=a+*", PDM_OP_GET, "zzz"));
}

static void test_acl__duplicate_ids_normalised(void)
{
    ok_canon("Get=a+b+a+b&Add=x+x", "Add=x&Get=a+b");
}

static void test_acl__too_many_ids(void)
{
    pdm__buf b;
    pdm__acl a;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "Get=");
    for (int i = 0; i <= PDM_ACL_MAX_IDS; i++)
        pdm__buf_printf(&b, "%sS%d", i ? "+" : "", i);
    CU_ASSERT_EQUAL(pdm__acl_parse((char *)b.data, &a, msg, sizeof msg), PDM_ETOOBIG);
    pdm__acl_free(&a);
    pdm__buf_free(&b);
}

/* ---- checks -------------------------------------------------------- */

static void test_acl__entry_index(void)
{
    pdm__acl a;
    int e = 99;
    CU_ASSERT_EQUAL_FATAL(pdm__acl_parse("Replace=C&Get=*&Add=A", &a, msg, sizeof msg), PDM_OK);
    /* canonical: Add=A (0) & Get=* (1) & Replace=C (2) */
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_REPLACE, "C", &e));
    CU_ASSERT_EQUAL(e, 2);
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_REPLACE, "A", &e));
    CU_ASSERT_EQUAL(e, 2); /* denied by that entry */
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_GET, "Q", &e));
    CU_ASSERT_EQUAL(e, 1);
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_ADD, "A", &e));
    CU_ASSERT_EQUAL(e, 0);
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_DELETE, "A", &e));
    CU_ASSERT_EQUAL(e, -1); /* no entry */
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_COPY, "A", &e));
    CU_ASSERT_EQUAL(e, -1);
    {
        pdm__buf b;
        pdm__buf_init(&b);
        pdm__acl_format_entry(&a, PDM_OP_REPLACE, &b);
        PDM_ASSERT_STR((char *)b.data, "Replace=C");
        pdm__buf_free(&b);
    }
    pdm__acl_free(&a);
}

static void test_acl__op_mapping(void)
{
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_ADD), PDM_ACL_ADD);
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_DELETE), PDM_ACL_DELETE);
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_EXEC), PDM_ACL_EXEC);
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_GET), PDM_ACL_GET);
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_REPLACE), PDM_ACL_REPLACE);
    CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(PDM_OP_COPY), -1);
    for (int c = 0; c < PDM_ACL_NCMD; c++)
        CU_ASSERT_EQUAL(pdm__acl_cmd_from_op(pdm__acl_cmd_to_op(c)), c);
    PDM_ASSERT_STR(pdm__acl_op_name(PDM_OP_EXEC), "Exec");
    CU_ASSERT_PTR_NULL(pdm__acl_op_name(PDM_OP_COPY));
}

static void test_acl__equal(void)
{
    pdm__acl a, b;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=a+b&Add=*", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=a+b+a", &b, msg, sizeof msg), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_equal(&a, &b));
    pdm__acl_free(&b);
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=b+a", &b, msg, sizeof msg), PDM_OK);
    CU_ASSERT_FALSE(pdm__acl_equal(&a, &b));
    pdm__acl_free(&a);
    pdm__acl_free(&b);
}

static void test_acl__valid_server_id(void)
{
    CU_ASSERT_TRUE(pdm__acl_valid_server_id("www.sonera.fi-8765", 18));
    CU_ASSERT_FALSE(pdm__acl_valid_server_id("*", 1));
    CU_ASSERT_FALSE(pdm__acl_valid_server_id("a b", 3));
    CU_ASSERT_FALSE(pdm__acl_valid_server_id("a+b", 3));
    CU_ASSERT_FALSE(pdm__acl_valid_server_id("", 0));
    CU_ASSERT_FALSE(pdm__acl_valid_server_id(NULL, 0));
}

/* ---- editing ------------------------------------------------------- */

static void test_acl__remove_server_drops_command(void)
{
    pdm__acl a;
    bool ch, empty;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=A+B&Replace=A&Delete=B", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "A", false, &ch, &empty), PDM_OK);
    CU_ASSERT_TRUE(ch);
    CU_ASSERT_FALSE(empty);
    PDM_ASSERT_STR(fmt(&a), "Delete=B&Get=B");
    CU_ASSERT_FALSE(pdm__acl_allows(&a, PDM_OP_REPLACE, "A", NULL));
    pdm__acl_free(&a);
}

static void test_acl__remove_server_becomes_empty(void)
{
    pdm__acl a;
    bool ch, empty;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=A&Replace=A", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "A", false, &ch, &empty), PDM_OK);
    CU_ASSERT_TRUE(ch);
    CU_ASSERT_TRUE(empty);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&a));
    CU_ASSERT_PTR_NULL(a.blk_);
    PDM_ASSERT_STR(fmt(&a), "");
    pdm__acl_free(&a);
}

static void test_acl__remove_server_root_star(void)
{
    pdm__acl a;
    bool ch, empty;
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=*&Replace=A&Delete=A+B", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "A", true, &ch, &empty), PDM_OK);
    CU_ASSERT_TRUE(ch);
    CU_ASSERT_FALSE(empty);
    /* Replace lost its only id -> "*"; Delete keeps B */
    PDM_ASSERT_STR(fmt(&a), "Add=*&Delete=B&Get=*&Replace=*");
    pdm__acl_free(&a);
}

static void test_acl__remove_server_unchanged(void)
{
    pdm__acl a;
    bool ch = true, empty = true;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=*&Add=B", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "A", false, &ch, &empty), PDM_OK);
    CU_ASSERT_FALSE(ch);
    CU_ASSERT_FALSE(empty);
    PDM_ASSERT_STR(fmt(&a), "Add=B&Get=*");
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "*", false, &ch, &empty), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "a b", false, NULL, NULL), PDM_EINVAL);
    PDM_ASSERT_STR(fmt(&a), "Add=B&Get=*");
    pdm__acl_free(&a);
}

static void test_acl__remove_server_keeps_others_usable(void)
{
    pdm__acl a;
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=X+A+Y&Get=A&Replace=Z+A", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_remove_server(&a, "A", false, NULL, NULL), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=X+Y&Replace=Z");
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_REPLACE, "Z", NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&a, PDM_OP_ADD, "Y", NULL));
    /* editing after in-place removal still works */
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "Q"), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=X+Y&Get=Q&Replace=Z");
    pdm__acl_free(&a);
}

static void test_acl__add_server(void)
{
    pdm__acl a;
    pdm__acl_init(&a);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "S1"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "S2"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "S1"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_ADD, "S2"), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=S2&Get=S1+S2");
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "*"), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=S2&Get=*");
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "S3"), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=S2&Get=*");
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_COPY, "S3"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, "a&b"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__acl_add_server(&a, PDM_OP_GET, NULL), PDM_EINVAL);
    PDM_ASSERT_STR(fmt(&a), "Add=S2&Get=*");
    pdm__acl_free(&a);
}

static void test_acl__set(void)
{
    pdm__acl a;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=A&Replace=A", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_GET, "B+C+B", msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Get=B+C&Replace=A");
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_EXEC, "*+D", msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Exec=*&Get=B+C&Replace=A");
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_REPLACE, NULL, msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Exec=*&Get=B+C");
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_DELETE, "", msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Exec=*&Get=B+C");
    /* errors leave it unchanged */
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_GET, "x+", msg, sizeof msg), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "empty server id at offset 2"));
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_GET, "x&Add=y", msg, sizeof msg), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'&' is not allowed"));
    CU_ASSERT_EQUAL(pdm__acl_set(&a, PDM_OP_COPY, "x", msg, sizeof msg), PDM_EINVAL);
    PDM_ASSERT_STR(fmt(&a), "Exec=*&Get=B+C");
    pdm__acl_free(&a);
}

static void test_acl__merge(void)
{
    pdm__acl a, b;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=A+B&Add=A&Exec=X", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=C+A&Delete=D&Exec=*", &b, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_merge(&a, &b), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=A&Delete=D&Exec=*&Get=A+B+C");
    /* merging with itself changes nothing */
    CU_ASSERT_EQUAL(pdm__acl_merge(&a, &a), PDM_OK);
    PDM_ASSERT_STR(fmt(&a), "Add=A&Delete=D&Exec=*&Get=A+B+C");
    pdm__acl_free(&a);
    pdm__acl_free(&b);
}

static void test_acl__copy(void)
{
    pdm__acl a, b;
    CU_ASSERT_EQUAL(pdm__acl_parse(SPEC_EXAMPLE, &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_copy(&b, &a), PDM_OK);
    pdm__acl_free(&a);
    PDM_ASSERT_STR(fmt(&b),
                   "Add=www.sonera.fi-8765&Delete=www.sonera.fi-8765&Get=*&"
                   "Replace=www.sonera.fi-8765+321_ibm.com");
    pdm__acl_free(&b);
}

/* ---- TND rules (facts §6.6) ------------------------------------------ */

/* Truth table: interior/leaf x node Replace x parent Replace. */
static void test_acl__may_change_acl_table(void)
{
    pdm__acl yes, no;
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=*&Replace=S", &yes, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=*&Replace=T", &no, msg, sizeof msg), PDM_OK);
    /* interior */
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &yes, &yes, "S"), PDM_ACL_CHANGE_BY_NODE);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &yes, &no, "S"), PDM_ACL_CHANGE_BY_NODE);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &no, &yes, "S"), PDM_ACL_CHANGE_BY_PARENT);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &no, &no, "S"), PDM_ACL_CHANGE_DENIED);
    /* leaf: its own Replace does not cover its ACL */
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &yes, &yes, "S"), PDM_ACL_CHANGE_BY_PARENT);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &yes, &no, "S"), PDM_ACL_CHANGE_DENIED);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &no, &yes, "S"), PDM_ACL_CHANGE_BY_PARENT);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &no, &no, "S"), PDM_ACL_CHANGE_DENIED);
    /* root: no parent */
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &yes, NULL, "S"), PDM_ACL_CHANGE_BY_NODE);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &no, NULL, "S"), PDM_ACL_CHANGE_DENIED);
    pdm__acl_free(&yes);
    pdm__acl_free(&no);
}

static void test_acl__creator_rule(void)
{
    pdm__acl parent, out;
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=*", &parent, msg, sizeof msg), PDM_OK);
    /* interior node by a server without Replace on the parent */
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(true, &parent, "srv-1", &out), PDM_OK);
    PDM_ASSERT_STR(fmt(&out), "Add=srv-1&Delete=srv-1&Replace=srv-1");
    pdm__acl_free(&out);
    /* a leaf: inherits */
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(false, &parent, "srv-1", &out), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&out));
    /* no server (local / bootstrap): inherits */
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(true, &parent, NULL, &out), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&out));
    pdm__acl_free(&parent);
    /* server with Replace on the parent: inherits, sets it itself */
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=*&Replace=srv-1", &parent, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(true, &parent, "srv-1", &out), PDM_OK);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&out));
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(true, &parent, "srv-2", &out), PDM_OK);
    PDM_ASSERT_STR(fmt(&out), "Add=srv-2&Delete=srv-2&Replace=srv-2");
    pdm__acl_free(&out);
    CU_ASSERT_EQUAL(pdm__acl_for_new_node(true, &parent, "bad id", &out), PDM_EINVAL);
    CU_ASSERT_TRUE(pdm__acl_is_empty(&out));
    pdm__acl_free(&parent);
    CU_ASSERT_EQUAL(pdm__acl_creator("X", &out), PDM_OK);
    PDM_ASSERT_STR(fmt(&out), "Add=X&Delete=X&Replace=X");
    pdm__acl_free(&out);
    CU_ASSERT_EQUAL(pdm__acl_creator("*", &out), PDM_EINVAL);
}

static void test_acl__check_root(void)
{
    pdm__acl a;
    pdm__acl_init(&a);
    CU_ASSERT_EQUAL(pdm__acl_check_root(&a, false, msg, sizeof msg), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__acl_parse(PDM_ACL_ROOT_DEFAULT, &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_check_root(&a, true, msg, sizeof msg), PDM_OK);
    pdm__acl_free(&a);
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=S&Get=*", &a, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_check_root(&a, false, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_check_root(&a, true, msg, sizeof msg), PDM_ENOTALLOWED);
    pdm__acl_free(&a);
}

/* test-vectors §D with the tree walk done by hand (effective ACLs). */
static void test_acl__vectors_d(void)
{
    pdm__acl root, nodeA, node1;
    CU_ASSERT_EQUAL(pdm__acl_parse("Add=*&Get=*", &root, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=ServerC&Replace=ServerC", &nodeA, msg, sizeof msg), PDM_OK);
    CU_ASSERT_EQUAL(pdm__acl_parse("Get=*", &node1, msg, sizeof msg), PDM_OK);
    /* anyone may Get ./NodeA/Node1 */
    CU_ASSERT_TRUE(pdm__acl_allows(&node1, PDM_OP_GET, "ServerA", NULL));
    CU_ASSERT_TRUE(pdm__acl_allows(&node1, PDM_OP_GET, "ServerZ", NULL));
    /* only ServerC may Replace ./NodeA/Node1?prop=ACL (leaf or interior) */
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &node1, &nodeA, "ServerC"), PDM_ACL_CHANGE_BY_PARENT);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(false, &node1, &nodeA, "ServerA"), PDM_ACL_CHANGE_DENIED);
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &node1, &nodeA, "ServerA"), PDM_ACL_CHANGE_DENIED);
    /* no server may Replace/Delete ./NodeA/Node1 directly */
    CU_ASSERT_FALSE(pdm__acl_allows(&node1, PDM_OP_REPLACE, "ServerC", NULL));
    CU_ASSERT_FALSE(pdm__acl_allows(&node1, PDM_OP_DELETE, "ServerC", NULL));
    /* Get ?prop=ACL -> "Get=*" */
    PDM_ASSERT_STR(fmt(&node1), "Get=*");
    /* ServerC may change NodeA's ACL itself (interior, own Replace) */
    CU_ASSERT_EQUAL(pdm__acl_may_change_acl(true, &nodeA, &root, "ServerC"), PDM_ACL_CHANGE_BY_NODE);
    /* Node5's drawn ACL is malformed */
    bad("Get=ServerA&Replace=ServerA&Get=ServerB", PDM_EPARSE, "duplicate entry for 'Get'");
    pdm__acl_free(&root);
    pdm__acl_free(&nodeA);
    pdm__acl_free(&node1);
}

/* parse -> format -> parse is a fixed point. */
static void test_acl__fixed_point(void)
{
    static const char *const in[] = {
        SPEC_EXAMPLE, "Get=*+a", "Replace=b+a+b&Add=*", "Exec=x", "",
    };
    for (size_t i = 0; i < PDM__ARRAY_LEN(in); i++) {
        pdm__acl a, b;
        char s1[512];
        CU_ASSERT_EQUAL(pdm__acl_parse(in[i], &a, msg, sizeof msg), PDM_OK);
        pdm__strlcpy(s1, fmt(&a), sizeof s1);
        CU_ASSERT_EQUAL(pdm__acl_parse(s1, &b, msg, sizeof msg), PDM_OK);
        PDM_ASSERT_STR(fmt(&b), s1);
        CU_ASSERT_TRUE(pdm__acl_equal(&a, &b));
        pdm__acl_free(&a);
        pdm__acl_free(&b);
    }
}

/* ---- allocation failures ------------------------------------------- */

/* Runs fn with the Nth allocation failing, N = 0.. until it succeeds;
 * every intermediate result must be PDM_ENOMEM with no leak and (for
 * edits) the ACL unchanged. */
typedef int (*edit_fn)(pdm__acl *a);

static int e_parse(pdm__acl *a)
{
    pdm__acl_free(a);
    return pdm__acl_parse(SPEC_EXAMPLE, a, msg, sizeof msg);
}
static int e_add(pdm__acl *a) { return pdm__acl_add_server(a, PDM_OP_EXEC, "new"); }
static int e_set(pdm__acl *a) { return pdm__acl_set(a, PDM_OP_GET, "p+q", msg, sizeof msg); }
static int e_drop(pdm__acl *a) { return pdm__acl_set(a, PDM_OP_ADD, NULL, msg, sizeof msg); }
static int e_merge(pdm__acl *a)
{
    pdm__acl b;
    int rc = pdm__acl_parse("Get=m&Exec=n", &b, msg, sizeof msg);
    if (rc != PDM_OK)
        return rc;
    rc = pdm__acl_merge(a, &b);
    pdm__acl_free(&b);
    return rc;
}
static int e_copy(pdm__acl *a)
{
    pdm__acl b;
    int rc = pdm__acl_copy(&b, a);
    if (rc == PDM_OK) {
        pdm__acl_free(a);
        *a = b;
    }
    return rc;
}
static int e_creator(pdm__acl *a)
{
    pdm__acl b;
    int rc = pdm__acl_for_new_node(true, a, "creator", &b);
    if (rc == PDM_OK) {
        pdm__acl_free(a);
        *a = b;
    }
    return rc;
}

static void alloc_loop(edit_fn fn, const char *name)
{
    for (long n = 0;; n++) {
        pdm__acl a;
        char before[512];
        CU_ASSERT_EQUAL_FATAL(pdm__acl_parse(SPEC_EXAMPLE, &a, msg, sizeof msg), PDM_OK);
        pdm__strlcpy(before, fmt(&a), sizeof before);
        pdm__alloc_fail_after(n);
        int rc = fn(&a);
        pdm__alloc_fail_after(-1);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        if (rc == PDM_ENOMEM && fn != e_parse)
            PDM_ASSERT_STR(fmt(&a), before); /* D7: unchanged */
        pdm__acl_free(&a);
        if (rc == PDM_OK)
            break;
        if (n > 20) {
            fprintf(stderr, "\n  %s never succeeded\n", name);
            CU_FAIL("no success");
            break;
        }
    }
}

static void test_acl__alloc_fail(void)
{
    alloc_loop(e_parse, "parse");
    alloc_loop(e_add, "add_server");
    alloc_loop(e_set, "set");
    alloc_loop(e_drop, "set(NULL)");
    alloc_loop(e_merge, "merge");
    alloc_loop(e_copy, "copy");
    alloc_loop(e_creator, "for_new_node");
}

static void test_acl__alloc_fail_format(void)
{
    pdm__acl a;
    CU_ASSERT_EQUAL_FATAL(pdm__acl_parse(SPEC_EXAMPLE, &a, msg, sizeof msg), PDM_OK);
    for (long n = 0;; n++) {
        pdm__buf b;
        pdm__buf_init(&b);
        pdm__alloc_fail_after(n);
        pdm__acl_format(&a, &b);
        pdm__alloc_fail_after(-1);
        bool ok = pdm__buf_ok(&b);
        pdm__buf_free(&b);
        if (ok)
            break;
        CU_ASSERT(n < 20);
        if (n >= 20)
            break;
    }
    pdm__acl_free(&a);
}

static const pdm_test tests[] = {
    {"spec_example_allows", test_acl__spec_example_allows},
    {"spec_example_canonical", test_acl__spec_example_canonical},
    {"empty", test_acl__empty},
    {"canonical_order", test_acl__canonical_order},
    {"star_only_no_alloc", test_acl__star_only_no_alloc},
    {"bad_empty_list", test_acl__bad_empty_list},
    {"bad_no_command", test_acl__bad_no_command},
    {"bad_no_equals", test_acl__bad_no_equals},
    {"bad_trailing_amp", test_acl__bad_trailing_amp},
    {"bad_leading_amp", test_acl__bad_leading_amp},
    {"bad_double_amp", test_acl__bad_double_amp},
    {"bad_unknown_command", test_acl__bad_unknown_command},
    {"bad_command_case", test_acl__bad_command_case},
    {"bad_whitespace", test_acl__bad_whitespace},
    {"bad_empty_id", test_acl__bad_empty_id},
    {"bad_duplicate_command", test_acl__bad_duplicate_command},
    {"bad_equals_in_id", test_acl__bad_equals_in_id},
    {"bad_star_in_id", test_acl__bad_star_in_id},
    {"bad_non_ascii", test_acl__bad_non_ascii},
    {"embedded_nul", test_acl__embedded_nul},
    {"star_with_ids", test_acl__star_with_ids},
    {"duplicate_ids_normalised", test_acl__duplicate_ids_normalised},
    {"too_many_ids", test_acl__too_many_ids},
    {"entry_index", test_acl__entry_index},
    {"op_mapping", test_acl__op_mapping},
    {"equal", test_acl__equal},
    {"valid_server_id", test_acl__valid_server_id},
    {"remove_server_drops_command", test_acl__remove_server_drops_command},
    {"remove_server_becomes_empty", test_acl__remove_server_becomes_empty},
    {"remove_server_root_star", test_acl__remove_server_root_star},
    {"remove_server_unchanged", test_acl__remove_server_unchanged},
    {"remove_server_keeps_others_usable", test_acl__remove_server_keeps_others_usable},
    {"add_server", test_acl__add_server},
    {"set", test_acl__set},
    {"merge", test_acl__merge},
    {"copy", test_acl__copy},
    {"may_change_acl_table", test_acl__may_change_acl_table},
    {"creator_rule", test_acl__creator_rule},
    {"check_root", test_acl__check_root},
    {"vectors_d", test_acl__vectors_d},
    {"fixed_point", test_acl__fixed_point},
    {"alloc_fail", test_acl__alloc_fail},
    {"alloc_fail_format", test_acl__alloc_fail_format},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"acl", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
