/*
 * Whole-tree edits of the local user's operations (core/src/tree/scrub.c):
 * deleting a ServerID from every ACL (TND §8.3.7.1.4, facts §6.8) on the
 * spec's example tree (test-vectors §D) and the ACL syntax example, with
 * and without a replacement, the root fallback, TStamp/VerNo, the DMAcc
 * rule's own account node, owners, subtrees, removal, rollback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "tree/dmacc.h"
#include "tree/tree_int.h"
#include "util/util.h"

static pdm__tree *T;
static const char *g_root_acl; /* the authority's default root ACL */

static const pdm__who FACTORY = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};

static pdm__tree *new_tree(void)
{
    pdm__tree_config cfg;
    pdm__tree *t = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    cfg.root_acl = g_root_acl;
    if (pdm__tree_open(&t, &cfg, NULL, 0) != PDM_OK)
        abort();
    return t;
}

static void node(const char *path, const char *acl, const char *owner)
{
    CU_ASSERT_EQUAL_FATAL(pdm__tree_put(T, path, PDM_FORMAT_NODE, 0, NULL, acl,
                                        NULL, 0, owner),
                          PDM_OK);
}

static void leaf(const char *path, const char *v, const char *acl,
                 const char *owner)
{
    CU_ASSERT_EQUAL_FATAL(pdm__tree_put(T, path, PDM_FORMAT_CHR, 0, NULL, acl,
                                        (const uint8_t *)v, strlen(v), owner),
                          PDM_OK);
}

static const char *acl(const char *path)
{
    pdm__node *n = pdm__tree_lookup(T, path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    return pdm__node_acl(n);
}

static const char *owner(const char *path)
{
    pdm__node *n = pdm__tree_lookup(T, path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    return pdm__node_owner(n);
}

/* The spec's example tree (test-vectors §D; Node5 with its Get entries
 * merged, as the parser requires), an ACL with the §8.3.7.1.5 syntax
 * example, and two accounts. */
static void build(void)
{
    char err[200];
    pdm__tree_free(T);
    T = new_tree();
    node("./NodeA", "Get=ServerC&Replace=ServerC", "factory");
    leaf("./NodeA/Node1", "one", "Get=*", "factory");
    node("./NodeB", "Get=ServerA&Replace=ServerA", "ServerA");
    leaf("./NodeB/Node2", "two", NULL, "ServerA");
    node("./NodeB/Node3", "Get=ServerB&Replace=ServerB&Delete=ServerB",
         "ServerB");
    leaf("./NodeB/Node3/Node4", "four", NULL, "ServerB");
    leaf("./NodeB/Node3/Node5", "five", "Get=ServerA+ServerB&Replace=ServerA",
         "ServerA");
    node("./NodeC", "Get=ServerA&Replace=ServerA", "ServerA");
    leaf("./P", "p",
         "Add=www.sonera.fi-8765&Delete=www.sonera.fi-8765&Replace=www."
         "sonera.fi-8765+321_ibm.com&Get=*",
         "factory");
    leaf("./DMAcc/a/ServerID", "ServerA", NULL, "bootstrap:x/y");
    leaf("./DMAcc/b/ServerID", "ServerB", NULL, "bootstrap:x/y");
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./DMAcc/a",
                                      "Delete=ServerA&Get=ServerA&"
                                      "Replace=ServerA",
                                      err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=ServerA",
                                      err, sizeof err),
                    PDM_OK);
}

static void test_scrub__delete(void)
{
    size_t n = 99;
    uint32_t v5, vB, vA1;
    build();
    v5 = pdm__node_verno(pdm__tree_lookup(T, "./NodeB/Node3/Node5"));
    vB = pdm__node_verno(pdm__tree_lookup(T, "./NodeB"));
    vA1 = pdm__node_verno(pdm__tree_lookup(T, "./NodeA/Node1"));
    /* only inside a transaction */
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerA", NULL, &n),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerA", NULL, &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_EQUAL(n, 4); /* root, NodeB, Node5, NodeC */
    /* root: Replace lost its only id; the default root ACL has no
     * Replace, so it becomes "*" (the root keeps a value) */
    PDM_ASSERT_STR(acl("."), "Add=*&Get=*&Replace=*");
    /* an ACL left empty is inherited */
    PDM_ASSERT_STR(acl("./NodeB"), "");
    PDM_ASSERT_STR(acl("./NodeC"), "");
    /* a command left without ids goes, the others stay */
    PDM_ASSERT_STR(acl("./NodeB/Node3/Node5"), "Get=ServerB");
    PDM_ASSERT_STR(acl("./NodeA"), "Get=ServerC&Replace=ServerC");
    PDM_ASSERT_STR(acl("./NodeA/Node1"), "Get=*");
    PDM_ASSERT_STR(acl("./NodeB/Node3"),
                   "Delete=ServerB&Get=ServerB&Replace=ServerB");
    /* the account's own node is the DMAcc rule's */
    PDM_ASSERT_STR(acl("./DMAcc/a"),
                   "Delete=ServerA&Get=ServerA&Replace=ServerA");
    /* TND §8.3.5: changed nodes' VerNo moves, the others' does not */
    CU_ASSERT_EQUAL(pdm__node_verno(pdm__tree_lookup(T, "./NodeB/Node3/Node5")),
                    (v5 + 1) & 0xFFFF);
    CU_ASSERT_EQUAL(pdm__node_verno(pdm__tree_lookup(T, "./NodeB")),
                    (vB + 1) & 0xFFFF);
    CU_ASSERT_EQUAL(pdm__node_verno(pdm__tree_lookup(T, "./NodeA/Node1")), vA1);
    CU_ASSERT(pdm__node_tstamp(pdm__tree_lookup(T, "./NodeB")) > 0);
    /* the syntax example: one id of two goes, "*" stays */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "www.sonera.fi-8765", NULL,
                                              &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_EQUAL(n, 1);
    PDM_ASSERT_STR(acl("./P"), "Get=*&Replace=321_ibm.com");
}

/* With the authority's default root ACL (pdm__tree_config::root_acl) a
 * root command left without ids takes the default's entry without the
 * removed id, or goes; a root ACL left empty becomes the default (the
 * same fallback as pdm__tree_remove_server). */
static void test_scrub__root_default(void)
{
    char err[200];
    g_root_acl = "Add=*&Delete=ServerA&Get=ServerZ+ServerA&Replace=ServerZ";
    build();
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".",
                                      "Add=ServerA&Delete=ServerA&Exec=ServerA&"
                                      "Get=ServerA+ServerB&Replace=ServerA",
                                      err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerA", NULL, NULL),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    /* Add: the default's "*"; Delete: the default names only ServerA, so
     * it goes; Exec: none in the default, it goes; Get kept ServerB;
     * Replace: the default's ServerZ */
    PDM_ASSERT_STR(acl("."), "Add=*&Get=ServerB&Replace=ServerZ");
    /* a root ACL left empty becomes the default without the id */
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Exec=ServerB", err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerB", NULL, NULL),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    PDM_ASSERT_STR(acl("."),
                   "Add=*&Delete=ServerA&Get=ServerZ+ServerA&Replace=ServerZ");
    /* ... and the spec's when the default without the id is empty */
    g_root_acl = "Get=ServerQ";
    build();
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Get=ServerQ", err, sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerQ", NULL, NULL),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    PDM_ASSERT_STR(acl("."), "Add=*&Get=*");
    /* without a default: "*" (facts §6.8) */
    g_root_acl = NULL;
    build();
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Add=ServerB&Get=ServerB", err,
                                      sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerB", NULL, NULL),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    PDM_ASSERT_STR(acl("."), "Add=*&Get=*");
}

/* A transfer: ServerA's entries become ServerB's, in place, once. */
static void test_scrub__replace(void)
{
    size_t n = 0;
    build();
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerA", "ServerB", &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_EQUAL(n, 4);
    PDM_ASSERT_STR(acl("."), "Add=*&Get=*&Replace=ServerB");
    PDM_ASSERT_STR(acl("./NodeB"), "Get=ServerB&Replace=ServerB");
    PDM_ASSERT_STR(acl("./NodeC"), "Get=ServerB&Replace=ServerB");
    /* ServerB was already there: ServerA only goes (no duplicate) */
    PDM_ASSERT_STR(acl("./NodeB/Node3/Node5"), "Get=ServerB&Replace=ServerB");
    PDM_ASSERT_STR(acl("./NodeA"), "Get=ServerC&Replace=ServerC");
    /* ServerA's own account node: not handed to ServerB */
    PDM_ASSERT_STR(acl("./DMAcc/a"),
                   "Delete=ServerA&Get=ServerA&Replace=ServerA");
    /* position kept */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "www.sonera.fi-8765", "X1",
                                              &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    PDM_ASSERT_STR(acl("./P"),
                   "Add=X1&Delete=X1&Get=*&Replace=X1+321_ibm.com");
    /* bad arguments */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "X1", "X1", NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "*", NULL, NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "X1", "a b", NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "", NULL, NULL),
                    PDM_EINVAL);
    pdm__tree_abort(T);
}

/* Rolled back with the transaction; an unknown id changes nothing. */
static void test_scrub__rollback(void)
{
    size_t n = 7;
    build();
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "ServerA", NULL, &n),
                    PDM_OK);
    pdm__tree_abort(T);
    PDM_ASSERT_STR(acl("."), "Add=*&Get=*&Replace=ServerA");
    PDM_ASSERT_STR(acl("./NodeB"), "Get=ServerA&Replace=ServerA");
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_scrub_server_id(T, "Nobody", NULL, &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
}

static void test_scrub__alloc_failures(void)
{
    /* Every allocation failure leaves the tree as it was. */
    for (long k = 0; k < 200; k++) {
        int rc;
        build();
        CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
        pdm__alloc_fail_after(k);
        rc = pdm__tree_scrub_server_id(T, "ServerA", "ServerB", NULL);
        pdm__alloc_fail_after(-1);
        if (rc == PDM_OK) {
            CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
            PDM_ASSERT_STR(acl("./NodeC"), "Get=ServerB&Replace=ServerB");
            break;
        }
        CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        pdm__tree_abort(T);
        PDM_ASSERT_STR(acl("./NodeC"), "Get=ServerA&Replace=ServerA");
        PDM_ASSERT_STR(acl("./NodeB/Node3/Node5"),
                       "Get=ServerA+ServerB&Replace=ServerA");
        PDM_ASSERT_STR(acl("."), "Add=*&Get=*&Replace=ServerA");
    }
}

static void test_scrub__owners(void)
{
    size_t n = 0;
    pdm__buf b;
    build();
    pdm__buf_init(&b);
    pdm__tree_owned_subtrees(T, "ServerA", &b);
    pdm__buf_putc(&b, '\0');
    /* top-most only: Node5 lies in ServerA's NodeB */
    PDM_ASSERT_STR((const char *)b.data, "./NodeB;./NodeC");
    pdm__buf_reset(&b);
    pdm__tree_owned_subtrees(T, "ServerB", &b);
    pdm__buf_putc(&b, '\0');
    PDM_ASSERT_STR((const char *)b.data, "./NodeB/Node3");
    pdm__buf_reset(&b);
    pdm__tree_owned_subtrees(T, "Nobody", &b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(pdm__tree_reassign_owner(T, NULL, "ServerA", "ServerB", NULL, &n),
                    PDM_EINVAL); /* no transaction */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_reassign_owner(T, NULL, "ServerA", "ServerB", "NodeC",
                                             &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_EQUAL(n, 3); /* NodeB, Node2, Node5; NodeC skipped */
    PDM_ASSERT_STR(owner("./NodeB"), "ServerB");
    PDM_ASSERT_STR(owner("./NodeB/Node3/Node5"), "ServerB");
    PDM_ASSERT_STR(owner("./NodeC"), "ServerA");
    PDM_ASSERT_STR(owner("./NodeA"), "factory");
    /* undone with the transaction */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_reassign_owner(T, NULL, "ServerB", "ServerQ", NULL, &n),
                    PDM_OK);
    pdm__tree_abort(T);
    PDM_ASSERT_STR(owner("./NodeB"), "ServerB");
    pdm__buf_free(&b);
}

static void test_scrub__remove(void)
{
    pdm__node *root;
    uint32_t v;
    build();
    root = pdm__tree_lookup(T, "./DMAcc");
    v = pdm__node_verno(root);
    CU_ASSERT_EQUAL(pdm__tree_remove(T, "./DMAcc/a"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_remove(T, "."), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_remove(T, "./DMAcc/zz"), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__tree_remove(T, "./DMAcc/a"), PDM_OK);
    pdm__tree_abort(T);
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(T, "./DMAcc/a/ServerID"));
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_remove(T, "./DMAcc/a"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./DMAcc/a"));
    CU_ASSERT_EQUAL(pdm__node_verno(pdm__tree_lookup(T, "./DMAcc")),
                    (v + 1) & 0xFFFF);
    (void)FACTORY;
}

static const pdm_test tests[] = {
    {"delete", test_scrub__delete},
    {"root_default", test_scrub__root_default},
    {"replace", test_scrub__replace},
    {"rollback", test_scrub__rollback},
    {"alloc_failures", test_scrub__alloc_failures},
    {"owners", test_scrub__owners},
    {"remove", test_scrub__remove},
    {NULL, NULL},
};

static int setup(void)
{
    T = new_tree();
    return 0;
}

static int teardown(void)
{
    pdm__tree_free(T);
    T = NULL;
    return 0;
}

static const pdm_suite suites[] = {{"scrub", tests, setup, teardown},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
