/*
 * Management tree: the TND rules one by one, the spec's ACL example tree
 * (test-vectors §D), properties, URI limits, permanent nodes, rename,
 * creator rule, Atomic-style rollback, ServerID removal, secrets, Inbox,
 * the policy hook and MO handler dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "tree/dmacc.h"
#include "tree/tree_int.h"
#include "util/util.h"

static pdm__tree *T;
/* The stored tree a test opens (open_stored): also here, so that teardown
 * closes what a fatal assertion (the allocation torture) left open. */
static pdm__store *ST_S;
static pdm__tree *ST_T;
static pdm__decision D;

static const pdm__who LOCAL = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
static const pdm__who FACTORY = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
static const pdm__who SA = {PDM_PRINCIPAL_SERVER, "ServerA", NULL, 0, NULL};
static const pdm__who SB = {PDM_PRINCIPAL_SERVER, "ServerB", NULL, 0, NULL};
static const pdm__who SC = {PDM_PRINCIPAL_SERVER, "ServerC", NULL, 0, NULL};
static const pdm__who BOOT = {PDM_PRINCIPAL_BOOTSTRAP, NULL, "cp-bootstrap/cp", 0, NULL};

/* A node the test needs (fatal when missing: under the allocation torture
 * the operation that made it may have failed). */
static pdm__node *must(pdm__node *n)
{
    if (!n)
        CU_FAIL_FATAL("node missing");
    return n;
}

static pdm__tree *new_tree(void)
{
    pdm__tree_config cfg;
    pdm__tree *t = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    /* fatal, not abort(): the allocation torture fails it on purpose
     * (only inside a test: CUnit asserts nothing in a suite's setup) */
    if (pdm__tree_open(&t, &cfg, NULL, 0) != PDM_OK)
        CU_FAIL_FATAL("pdm__tree_open");
    return t;
}

static int add_leaf(const pdm__who *w, const char *uri, const char *v)
{
    pdm__tree_item it = {(const uint8_t *)v, strlen(v), PDM_FORMAT_CHR,
                         "text/plain", true};
    return pdm__tree_add(T, w, uri, &it, &D);
}

static int add_node(const pdm__who *w, const char *uri)
{
    pdm__tree_item it = {NULL, 0, PDM_FORMAT_NODE, NULL, true};
    return pdm__tree_add(T, w, uri, &it, &D);
}

static int replace(const pdm__who *w, const char *uri, const char *v)
{
    pdm__tree_item it = {(const uint8_t *)v, strlen(v), PDM_FORMAT_CHR, NULL,
                         false};
    return pdm__tree_replace(T, w, uri, &it, &D);
}

/* Get as a string into a static buffer ("" on failure). */
static const char *get(const pdm__who *w, const char *uri, int *rc)
{
    static char buf[1024];
    pdm__tree_result r;
    *rc = pdm__tree_get(T, w, uri, &r, &D);
    buf[0] = '\0';
    if (*rc == PDM_OK) {
        snprintf(buf, sizeof buf, "%.*s", (int)r.len, (const char *)r.data);
        pdm__tree_result_free(&r);
    }
    return buf;
}

static void fresh(void)
{
    pdm__tree_free(T);
    T = NULL;
    T = new_tree();
}

static int setup(void)
{
    T = new_tree();
    return 0;
}

static int teardown(void)
{
    pdm__tree_free(T);
    T = NULL;
    pdm__tree_free(ST_T);
    ST_T = NULL;
    pdm__store_close(ST_S);
    ST_S = NULL;
    return 0;
}

/* The spec's example tree (test-vectors §D), built by the factory. */
static void build_spec_tree(void)
{
    char err[200];
    pdm__tree_free(T);
    T = NULL;
    T = new_tree();
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./NodeA"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./NodeA/Node1", "one"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./NodeB/Node3"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./NodeB/Node2", "two"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./NodeB/Node3/Node4", "four"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./NodeB/Node3/Node5", "five"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./NodeC"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeA", "Get=ServerC&Replace=ServerC", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeA/Node1", "Get=*", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeB", "Get=ServerA&Replace=ServerA", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeB/Node3", "Get=ServerB&Replace=ServerB&Delete=ServerB", err, sizeof err), PDM_OK);
    /* The drawing's Node5 ACL repeats Get: a malformed ACL, refused. */
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeB/Node3/Node5", "Get=ServerA&Replace=ServerA&Get=ServerB", err, sizeof err), PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeB/Node3/Node5", "Get=ServerA+ServerB&Replace=ServerA", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./NodeC", "Get=ServerA&Replace=ServerA", err, sizeof err), PDM_OK);
}

/* Every expected outcome of the spec's ACL example. */
static void test_tree__spec_acl_example(void)
{
    int rc;
    build_spec_tree();
    /* anyone may Get ./NodeA/Node1 */
    PDM_ASSERT_STR(get(&SA, "./NodeA/Node1", &rc), "one");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_GET, "./NodeA/Node1", &D), PDM_OK);
    PDM_ASSERT_STR(D.entry, "Get=*");
    PDM_ASSERT_STR(D.node, "./NodeA/Node1");
    PDM_ASSERT_STR(get(&SB, "./NodeA/Node1", &rc), "one");
    /* only ServerC may Replace ./NodeA/Node1?prop=ACL (parent Replace) */
    CU_ASSERT_EQUAL(replace(&SA, "./NodeA/Node1?prop=ACL", "Get=ServerA"), PDM_EDENIED);
    CU_ASSERT_EQUAL(replace(&SB, "./NodeA/Node1?prop=ACL", "Get=ServerB"), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SC, PDM_OP_REPLACE, "./NodeA/Node1?prop=ACL", &D), PDM_OK);
    PDM_ASSERT_STR(D.rule, "acl-parent");
    PDM_ASSERT_STR(D.node, "./NodeA");
    PDM_ASSERT_STR(D.entry, "Replace=ServerC");
    /* nobody may Replace or Delete ./NodeA/Node1 directly */
    CU_ASSERT_EQUAL(replace(&SC, "./NodeA/Node1", "x"), PDM_EDENIED);
    PDM_ASSERT_STR(D.entry, "(no Replace entry)");
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SC, "./NodeA/Node1", &D), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./NodeA/Node1", &D), PDM_EDENIED);
    /* Get ./NodeA/Node1?prop=ACL returns its own ACL */
    PDM_ASSERT_STR(get(&SA, "./NodeA/Node1?prop=ACL", &rc), "Get=*");
    /* an empty ACL returns empty data, not the inherited one */
    PDM_ASSERT_STR(get(&SB, "./NodeB/Node3/Node4?prop=ACL", &rc), "");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    /* Node4 inherits Node3's ACL: ServerB may Get, ServerA may not */
    PDM_ASSERT_STR(get(&SB, "./NodeB/Node3/Node4", &rc), "four");
    pdm__tree_explain(T, &SB, PDM_OP_GET, "./NodeB/Node3/Node4", &D);
    PDM_ASSERT_STR(D.node, "./NodeB/Node3");
    get(&SA, "./NodeB/Node3/Node4", &rc);
    CU_ASSERT_EQUAL(rc, PDM_EDENIED);
    /* Replace ./NodeB/Node3/Node5 by ServerA succeeds */
    CU_ASSERT_EQUAL(replace(&SA, "./NodeB/Node3/Node5", "5!"), PDM_OK);
    PDM_ASSERT_STR(get(&SB, "./NodeB/Node3/Node5", &rc), "5!");
    /* ServerB may Delete Node3 (its own Delete right) */
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SB, PDM_OP_DELETE, "./NodeB/Node3", &D), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_DELETE, "./NodeB/Node3", &D), PDM_EDENIED);
    /* ServerC took over Node1 in two steps: change ACL, then access */
    CU_ASSERT_EQUAL(replace(&SC, "./NodeA/Node1?prop=ACL", "Get=*&Replace=ServerC"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&SC, "./NodeA/Node1", "mine"), PDM_OK);
}

/* ACL change rules: interior by own Replace or parent's; leaf only by
 * parent's. */
static void test_tree__acl_change_rules(void)
{
    char err[200];
    build_spec_tree();
    /* interior NodeB: ServerA has Replace on it -> may change its ACL */
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_REPLACE, "./NodeB?prop=ACL", &D), PDM_OK);
    PDM_ASSERT_STR(D.rule, "acl");
    /* leaf Node5: ServerA has Replace on the leaf but not on its parent
     * Node3 -> may not change the leaf's ACL */
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_REPLACE, "./NodeB/Node3/Node5?prop=ACL", &D), PDM_EDENIED);
    /* ServerB has Replace on Node3 -> may change Node5's ACL */
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SB, PDM_OP_REPLACE, "./NodeB/Node3/Node5?prop=ACL", &D), PDM_OK);
    /* malformed ACL value -> 400, never half-applied */
    {
        int r = replace(&SB, "./NodeB/Node3/Node5?prop=ACL", "Get=&Add=x");
        CU_ASSERT_EQUAL(r, PDM_EINVAL);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "malformed ACL"));
    {
        int rc;
        PDM_ASSERT_STR(get(&SB, "./NodeB/Node3/Node5?prop=ACL", &rc), "Get=ServerA+ServerB&Replace=ServerA");
    }
    /* root ACL: servers may not drop Add=* nor empty it */
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=ServerA", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(replace(&SA, ".?prop=ACL", "Get=*&Replace=ServerA"), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, ".?prop=ACL", ""), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, ".?prop=ACL", "Add=*&Get=*&Replace=ServerA+ServerB"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "", err, sizeof err), PDM_ENOTALLOWED);
}

/* Creator rule: an interior node (and implicit parents) added by a server
 * without Replace on the parent gets Add/Delete/Replace for that server;
 * leaves and servers with parent Replace inherit. */
static void test_tree__creator_rule(void)
{
    int rc;
    build_spec_tree();
    CU_ASSERT_EQUAL(add_leaf(&SB, "./X/Y/leaf", "v"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./X?prop=ACL", &rc), "Add=ServerB&Delete=ServerB&Replace=ServerB");
    PDM_ASSERT_STR(get(&LOCAL, "./X/Y?prop=ACL", &rc), "");
    PDM_ASSERT_STR(get(&LOCAL, "./X/Y/leaf?prop=ACL", &rc), "");
    /* ownership recorded for every created node */
    PDM_ASSERT_STR(pdm__node_owner(must(pdm__tree_lookup(T, "./X/Y/leaf"))), "ServerB");
    PDM_ASSERT_STR(pdm__node_owner(must(pdm__tree_lookup(T, "./X"))), "ServerB");
    /* ServerB now controls X; ServerA (root Add=* only) may add below X?
     * no: X's ACL has no Add for ServerA */
    CU_ASSERT_EQUAL(add_leaf(&SA, "./X/other", "v"), PDM_EDENIED);
    PDM_ASSERT_STR(D.node, "./X");
    /* a leaf added by ServerA at root stays with an empty ACL */
    CU_ASSERT_EQUAL(add_leaf(&SA, "./L", "v"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./L?prop=ACL", &rc), "");
    /* local/bootstrap additions never trigger the rule */
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./LocalNode"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./LocalNode?prop=ACL", &rc), "");
    PDM_ASSERT_STR(pdm__node_owner(must(pdm__tree_lookup(T, "./LocalNode"))), "local");
    CU_ASSERT_EQUAL(add_node(&BOOT, "./Boot"), PDM_OK);
    PDM_ASSERT_STR(pdm__node_owner(must(pdm__tree_lookup(T, "./Boot"))), "bootstrap:cp-bootstrap/cp");
}

/* Add: exists 418, leaf parent 405, properties 405, format node w/ value. */
static void test_tree__add_rules(void)
{
    pdm__tree_item bad = {(const uint8_t *)"x", 1, PDM_FORMAT_NODE, NULL, true};
    fresh();
    CU_ASSERT_EQUAL(add_leaf(&SA, "./a", "1"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./a", "1"), PDM_EEXISTS);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./a/b", "1"), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "leaf-parent");
    CU_ASSERT_EQUAL(add_leaf(&SA, "./a?prop=Title", "t"), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_add(T, &SA, "./n", &bad, &D), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./n"));
    /* unauthenticated principal */
    {
        pdm__who none = {PDM_PRINCIPAL_NONE, NULL, NULL, 0, NULL};
        CU_ASSERT_EQUAL(add_leaf(&none, "./z", "1"), PDM_EDENIED);
    }
}

/* Get of an interior node lists children; empty list is valid. */
static void test_tree__get_interior(void)
{
    int rc;
    fresh();
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./P"), PDM_OK);
    PDM_ASSERT_STR(get(&SA, "./P", &rc), "");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    add_leaf(&LOCAL, "./P/x", "1");
    add_node(&LOCAL, "./P/y");
    add_leaf(&LOCAL, "./P/z", "3");
    PDM_ASSERT_STR(get(&SA, "./P", &rc), "x/y/z");
    PDM_ASSERT_STR(get(&SA, "P/x", &rc), "1");
    get(&SA, "./nope", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTFOUND);
    PDM_ASSERT_STR(D.rule, "missing");
}

/* URI rules and limits: bad URIs are 400, limits 414. */
static void test_tree__uri_limits(void)
{
    pdm__uri_limits lim = {3, 20, 5};
    int rc;
    fresh();
    pdm__tree_set_limits(T, &lim);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./a/b/c"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./a/b/c/d"), PDM_ETOOLONG);
    PDM_ASSERT_STR(D.rule, "uri");
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./abcdef"), PDM_ETOOLONG);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./abcde"), PDM_OK);
    get(&LOCAL, "./abcde/abcde/abcde/a", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ETOOLONG);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./a//b"), PDM_EINVAL);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./a/../b"), PDM_EINVAL);
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./x/"), PDM_EINVAL);
    get(&LOCAL, "./a?prop=Bogus", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTSUP);
    /* rename respects MaxSegLen */
    CU_ASSERT_EQUAL(replace(&LOCAL, "./a?prop=Name", "toolong"), PDM_ETOOLONG);
}

/* Permanent nodes: no Delete (also via an ancestor), no rename, no
 * Format/Type change; root cannot be deleted. */
static void test_tree__permanent(void)
{
    pdm__tree_item it = {(const uint8_t *)"1", 1, PDM_FORMAT_INT, NULL, true};
    fresh();
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./Dev/Perm", PDM_FORMAT_CHR, PDM_NODE_PERMANENT, "text/plain", "Get=*&Replace=*&Delete=*", (const uint8_t *)"p", 1, "factory"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./Dev/Perm", &D), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "permanent");
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &LOCAL, "./Dev", &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, "./Dev/Perm?prop=Name", "Other"), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_replace(T, &SA, "./Dev/Perm", &it, &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, "./Dev/Perm", "q"), PDM_OK); /* value may change */
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &LOCAL, ".", &D), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "root");
    CU_ASSERT_EQUAL(replace(&LOCAL, ".?prop=Name", "x"), PDM_ENOTALLOWED);
}

/* Rename: clash 418, success moves the node, lookups follow. */
static void test_tree__rename(void)
{
    int rc;
    fresh();
    add_leaf(&LOCAL, "./R/one", "1");
    add_leaf(&LOCAL, "./R/two", "2");
    CU_ASSERT_EQUAL(replace(&LOCAL, "./R/one?prop=Name", "two"), PDM_EEXISTS);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./R/one?prop=Name", "uno"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./R/uno", &rc), "1");
    get(&LOCAL, "./R/one", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTFOUND);
    PDM_ASSERT_STR(get(&LOCAL, "./R/uno?prop=Name", &rc), "uno");
    CU_ASSERT_EQUAL(replace(&LOCAL, "./R/uno?prop=Name", "bad/name"), PDM_EINVAL);
}

/* Properties: Format, Type, Size, Title (<= 255), TStamp, VerNo wrap,
 * read-only properties. */
static void test_tree__properties(void)
{
    char title[300];
    int rc;
    pdm__node *n;
    pdm__tree_item it = {(const uint8_t *)"12345", 5, PDM_FORMAT_INT, "text/plain", true};
    fresh();
    CU_ASSERT_EQUAL(pdm__tree_add(T, &LOCAL, "./p", &it, &D), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=Format", &rc), "int");
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=Type", &rc), "text/plain");
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=Size", &rc), "5");
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=VerNo", &rc), "0");
    CU_ASSERT_EQUAL(strlen(get(&LOCAL, "./p?prop=TStamp", &rc)), 16);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./p?prop=Title", "A title"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=Title", &rc), "A title");
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=VerNo", &rc), "1");
    memset(title, 't', 256);
    title[256] = 0;
    CU_ASSERT_EQUAL(replace(&LOCAL, "./p?prop=Title", title), PDM_ETOOBIG);
    for (const char *p = "Format\0Type\0Size\0TStamp\0VerNo\0"; *p; p += strlen(p) + 1) {
        char u[64];
        snprintf(u, sizeof u, "./p?prop=%s", p);
        CU_ASSERT_EQUAL(replace(&LOCAL, u, "x"), PDM_ENOTALLOWED);
    }
    get(&LOCAL, ".?prop=Size", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTSUP);
    /* VerNo is 16-bit and wraps */
    n = must(pdm__tree_lookup(T, "./p"));
    for (int i = 0; i < 65535; i++)
        pdm__node_bump(n);
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=VerNo", &rc), "0");
    /* Replace changes VerNo and the value */
    CU_ASSERT_EQUAL(replace(&LOCAL, "./p", "7"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=VerNo", &rc), "1");
    PDM_ASSERT_STR(get(&LOCAL, "./p?prop=Size", &rc), "1");
}

/* Savepoint rollback restores creations, deletions, renames, ACLs and
 * values exactly (Atomic); abort undoes a whole package. */
static void test_tree__rollback(void)
{
    size_t sp;
    int rc;
    fresh();
    add_leaf(&LOCAL, "./K/v", "old");
    add_leaf(&LOCAL, "./K/w", "w");
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_EINVAL);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./K/v", "new"), PDM_OK);
    sp = pdm__tree_savepoint(T);
    CU_ASSERT_EQUAL(add_leaf(&LOCAL, "./K/x/y/z", "deep"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &LOCAL, "./K/w", &D), PDM_OK);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./K/v?prop=Name", "vv"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./K?prop=ACL", "Get=ServerA"), PDM_OK);
    pdm__tree_rollback_to(T, sp);
    PDM_ASSERT_STR(get(&LOCAL, "./K", &rc), "v/w");
    PDM_ASSERT_STR(get(&LOCAL, "./K/v", &rc), "new");
    PDM_ASSERT_STR(get(&LOCAL, "./K/w", &rc), "w");
    PDM_ASSERT_STR(get(&LOCAL, "./K?prop=ACL", &rc), "");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./K/x"));
    pdm__tree_abort(T);
    PDM_ASSERT_STR(get(&LOCAL, "./K/v", &rc), "old");
    CU_ASSERT_FALSE(pdm__tree_in_transaction(T));
    /* a committed package stays */
    CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &LOCAL, "./K", &D), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./K"));
}

/* Deleting a ServerID scrubs it from every ACL; root falls back to "*". */
static void test_tree__remove_server(void)
{
    char err[200];
    size_t n = 0;
    int rc;
    build_spec_tree();
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=ServerA", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_remove_server(T, "ServerA", &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 4); /* root, NodeB, Node5, NodeC */
    PDM_ASSERT_STR(get(&LOCAL, ".?prop=ACL", &rc), "Add=*&Get=*&Replace=*");
    PDM_ASSERT_STR(get(&LOCAL, "./NodeB?prop=ACL", &rc), "");
    PDM_ASSERT_STR(get(&LOCAL, "./NodeB/Node3/Node5?prop=ACL", &rc), "Get=ServerB");
    PDM_ASSERT_STR(get(&LOCAL, "./NodeA?prop=ACL", &rc), "Get=ServerC&Replace=ServerC");
}

/* Secrets (AAuthSecret/AAuthData) never readable; Inbox is Add-only. */
static void test_tree__secret_and_inbox(void)
{
    int rc;
    fresh();
    pdm__tree_put(T, "./DMAcc/x/AppAuth/1/AAuthSecret", PDM_FORMAT_CHR, PDM_NODE_SECRET, NULL, "Get=*&Replace=*", (const uint8_t *)"s3cret", 6, "factory");
    /* the account of ServerA (a server reaches only its own account) */
    pdm__tree_put(T, "./DMAcc/x/ServerID", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"ServerA", 7, "factory");
    get(&SA, "./DMAcc/x/AppAuth/1/AAuthSecret", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "secret");
    CU_ASSERT_PTR_NULL(strstr(D.reason, "s3cret"));
    get(&LOCAL, "./DMAcc/x/AppAuth/1/AAuthSecret", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
    get(&LOCAL, "./DMAcc/x/AppAuth/1/AAuthSecret?prop=Size", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
    PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/x/AppAuth/1/AAuthSecret?prop=Format", &rc), "chr");
    /* servers may still set a new secret */
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/x/AppAuth/1/AAuthSecret", "n3w"), PDM_OK);

    /* The connectivity MO's secrets (docs/cp-mapping.md) are secret by
     * their names too, however they were created. */
    {
        static const char *const leaves[] = {"AuthSecret", "BasAuthSecret",
                                             "ProxySecret"};
        pdm__tree_put(T, "./ConnMO", PDM_FORMAT_NODE, 0, NULL, "Add=*&Get=*", NULL, 0, "factory");
        CU_ASSERT_EQUAL(add_node(&SA, "./ConnMO/n"), PDM_OK);
        CU_ASSERT_EQUAL(add_node(&SA, "./ConnMO/n/Auth"), PDM_OK);
        CU_ASSERT_EQUAL(add_node(&SA, "./ConnMO/n/Auth/1"), PDM_OK);
        for (size_t i = 0; i < 3; i++) {
            char uri[64];
            snprintf(uri, sizeof uri, "./ConnMO/n/Auth/1/%s", leaves[i]);
            CU_ASSERT_EQUAL(add_leaf(&SA, uri, "napw4ss"), PDM_OK);
            get(&SA, uri, &rc);
            CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
            PDM_ASSERT_STR(D.rule, "secret");
            get(&LOCAL, uri, &rc);
            CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
        }
    }

    pdm__tree_put(T, "./Inbox", PDM_FORMAT_NODE, PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY, "urn:oma:mo:oma-dm-inbox:1.0", NULL, NULL, 0, "factory");
    get(&SA, "./Inbox", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "inbox");
    CU_ASSERT_EQUAL(add_leaf(&SA, "./Inbox/item", "x"), PDM_OK);
    get(&SA, "./Inbox/item", &rc);
    CU_ASSERT_EQUAL(rc, PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, "./Inbox/item", "y"), PDM_ENOTALLOWED);
}

/* Secret values leave memory wiped: the value replaced in a package, its
 * undo copy (dropped at commit, or put back and dropped at abort), and
 * the value of a deleted node.  The allocator's watch counts freed blocks
 * that still hold the secret. */
static void test_tree__secrets_wiped(void)
{
    static const char *const olds[] = {"old-secret-a41f", "aborted-secret-9c2e",
                                       "deleted-secret-77b0"};
    const char *uri = "./DMAcc/x/AppAuth/1/AAuthSecret";
    for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
        fresh();
        pdm__alloc_watch(olds[i], strlen(olds[i]));
        /* ServerA's own account: a server reaches no other (dmacc.h). */
        CU_ASSERT_EQUAL(pdm__tree_put(T, "./DMAcc/x/ServerID", PDM_FORMAT_CHR,
                                      0, NULL, NULL,
                                      (const uint8_t *)"ServerA", 7,
                                      "factory"),
                        PDM_OK);
        pdm__tree_put(T, uri, PDM_FORMAT_CHR, PDM_NODE_SECRET, NULL,
                      "Get=*&Replace=*&Delete=*", (const uint8_t *)olds[0],
                      strlen(olds[0]), "factory");
        /* committed Replace: the old value and its undo copy go */
        CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
        CU_ASSERT_EQUAL(replace(&SA, uri, olds[1]), PDM_OK);
        CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
        /* aborted Replace: the new value goes, the undo copy comes back */
        CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
        CU_ASSERT_EQUAL(replace(&SA, uri, "n3w"), PDM_OK);
        pdm__tree_abort(T);
        /* the value of a deleted node */
        CU_ASSERT_EQUAL(replace(&SA, uri, olds[2]), PDM_OK);
        CU_ASSERT_EQUAL(pdm__tree_begin(T), PDM_OK);
        CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, uri, &D), PDM_OK);
        CU_ASSERT_EQUAL(pdm__tree_commit(T), PDM_OK);
        pdm__tree_free(T);
        T = NULL;
        CU_ASSERT_EQUAL(pdm__alloc_watch_hits(), 0);
        pdm__alloc_watch(NULL, 0);
    }
    T = new_tree();
}

/* The policy hook runs after the ACL granted, sees the node owner, and a
 * denial names the policy; it never runs when the ACL already denied. */
static int policy_calls;
static char seen_owner[64];
static int deny_b_on_a(void *user, const pdm_policy_req *req, pdm__decision *dec)
{
    (void)user;
    policy_calls++;
    snprintf(seen_owner, sizeof seen_owner, "%s", req->node_owner ? req->node_owner : "");
    if (req->server_id && strcmp(req->server_id, "ServerB") == 0 &&
        req->node_owner && strcmp(req->node_owner, "ServerA") == 0) {
        snprintf(dec->component, sizeof dec->component, "policy:isolation/iso");
        snprintf(dec->reason, sizeof dec->reason, "ServerB may not change ServerA's nodes");
        return PDM_EDENIED;
    }
    return PDM_OK;
}

static int override_allow(void *u, const char *actor, const char *owner,
                          const char *uri, pdm__decision *d)
{
    (void)u;
    (void)actor;
    (void)owner;
    (void)uri;
    (void)d;
    return PDM_OK;
}

static void test_tree__policy_hook(void)
{
    pdm__tree_config cfg;
    pdm__tree *t2;
    memset(&cfg, 0, sizeof cfg);
    cfg.policy = deny_b_on_a;
    CU_ASSERT_EQUAL_FATAL(pdm__tree_open(&t2, &cfg, NULL, 0), PDM_OK);
    pdm__tree_free(T);
    T = t2;
    {
        char err[100];
        pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=*&Delete=*", err, sizeof err);
    }
    CU_ASSERT_EQUAL(add_leaf(&SA, "./a-node", "v"), PDM_OK);
    PDM_ASSERT_STR(seen_owner, "factory"); /* owner of the parent (root) */
    /* The core's isolation rule (no override hook) stops B before the
     * policies are asked. */
    policy_calls = 0;
    CU_ASSERT_EQUAL(replace(&SB, "./a-node", "w"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    PDM_ASSERT_STR(D.component, "core");
    CU_ASSERT_EQUAL(policy_calls, 0);
    /* An override that allows: the policies then see the owner. */
    T->cfg.override = override_allow;
    policy_calls = 0;
    CU_ASSERT_EQUAL(replace(&SB, "./a-node", "w"), PDM_EDENIED);
    PDM_ASSERT_STR(D.component, "policy:isolation/iso");
    PDM_ASSERT_STR(seen_owner, "ServerA");
    CU_ASSERT_EQUAL(policy_calls, 1);
    CU_ASSERT_EQUAL(replace(&SA, "./a-node", "w"), PDM_OK);
    /* ACL denial first: the policy is not consulted */
    {
        char err[100];
        pdm__tree_set_acl(T, "./a-node", "Get=ServerA", err, sizeof err);
    }
    policy_calls = 0;
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SB, "./a-node", &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.component, "acl");
    CU_ASSERT_EQUAL(policy_calls, 0);
}

/* MO handler dispatch: handler values, Exec, notify veto. */
static char handler_value[32] = "30";
static int mo_get(void *u, void *h, const char *uri, pdm_blob *out)
{
    (void)u;
    (void)h;
    (void)uri;
    out->len = strlen(handler_value);
    out->data = pdm__malloc(out->len + 1);
    if (!out->data)
        return PDM_ENOMEM;
    memcpy(out->data, handler_value, out->len + 1);
    return PDM_OK;
}
static int mo_replace(void *u, void *h, const char *uri, const pdm_blob *v)
{
    (void)u;
    (void)h;
    (void)uri;
    if (v->len >= sizeof handler_value)
        return PDM_EINVAL;
    memcpy(handler_value, v->data, v->len);
    handler_value[v->len] = 0;
    return PDM_OK;
}
static char exec_uri[64];
static int mo_exec(void *u, void *h, const char *uri, const pdm_blob *d, const char *corr)
{
    (void)u;
    (void)h;
    (void)d;
    snprintf(exec_uri, sizeof exec_uri, "%s", uri);
    return corr ? PDM_PENDING : PDM_OK;
}
static int mo_notify(void *u, void *h, int op, const char *uri)
{
    (void)u;
    (void)h;
    (void)op;
    return strstr(uri, "forbidden") ? PDM_EINVAL : PDM_OK;
}

static void test_tree__mo_handler(void)
{
    pdm__tree_config cfg;
    pdm__tree *t2;
    int rc, handler = 1;
    pdm_blob none = {NULL, 0};
    memset(&cfg, 0, sizeof cfg);
    cfg.mo.get = mo_get;
    cfg.mo.replace = mo_replace;
    cfg.mo.exec = mo_exec;
    cfg.mo.notify = mo_notify;
    CU_ASSERT_EQUAL_FATAL(pdm__tree_open(&t2, &cfg, NULL, 0), PDM_OK);
    pdm__tree_free(T);
    T = t2;
    pdm__tree_put(T, "./LAWMO", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, "urn:oma:mo:oma-lawmo:1.0", "Get=*&Exec=*&Replace=*&Add=*", NULL, 0, "factory");
    pdm__tree_put(T, "./LAWMO/State", PDM_FORMAT_INT, PDM_NODE_PERMANENT | PDM_NODE_HANDLER_VALUE, NULL, NULL, NULL, 0, "factory");
    pdm__tree_put(T, "./LAWMO/Operations/FullyLock", PDM_FORMAT_NULL, PDM_NODE_PERMANENT | PDM_NODE_EXEC, NULL, NULL, NULL, 0, "factory");
    CU_ASSERT_EQUAL(pdm__tree_declare_mo(T, "./LAWMO", &handler), PDM_OK);
    PDM_ASSERT_STR(get(&SA, "./LAWMO/State", &rc), "30");
    CU_ASSERT_EQUAL(replace(&SA, "./LAWMO/State", "10"), PDM_OK);
    PDM_ASSERT_STR(get(&SA, "./LAWMO/State", &rc), "10");
    CU_ASSERT_EQUAL(pdm__tree_exec(T, &SA, "./LAWMO/Operations/FullyLock", &none, NULL, &D), PDM_OK);
    PDM_ASSERT_STR(exec_uri, "./LAWMO/Operations/FullyLock");
    CU_ASSERT_EQUAL(pdm__tree_exec(T, &SA, "./LAWMO/Operations/FullyLock", &none, "corr-1", &D), PDM_PENDING);
    CU_ASSERT_EQUAL(pdm__tree_exec(T, &SA, "./LAWMO/State", &none, NULL, &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./LAWMO/forbidden", "x"), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./LAWMO/forbidden"));
    CU_ASSERT_EQUAL(add_leaf(&SA, "./LAWMO/fine", "x"), PDM_OK);
}

/* Copy: Get on source + Add/Replace on target; leaves only. */
static void test_tree__copy(void)
{
    int rc;
    char err[100];
    fresh();
    add_leaf(&LOCAL, "./src", "data");
    add_node(&LOCAL, "./dir");
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./dst", "./src", &D), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./dst", &rc), "data");
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./dir", "./src", &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./x", "./dir", &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./x", "./missing", &D), PDM_ENOTFOUND);
    pdm__tree_set_acl(T, "./src", "Get=ServerC", err, sizeof err);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./dst2", "./src", &D), PDM_EDENIED);
    /* replacing an existing target needs Replace on it (root has none) */
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SC, "./dst", "./src", &D), PDM_EDENIED);
}

/* Explain gives the deciding node/entry for grants and denials. */
static void test_tree__explain(void)
{
    build_spec_tree();
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SB, PDM_OP_GET, "./NodeB/Node2", &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.node, "./NodeB");
    PDM_ASSERT_STR(D.entry, "Get=ServerA");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "(inherited)"));
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_ADD, "./NodeC/new", &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.entry, "(no Add entry)");
    CU_ASSERT_EQUAL(pdm__tree_explain(T, &SA, PDM_OP_ADD, "./Top", &D), PDM_OK);
    PDM_ASSERT_STR(D.node, ".");
    PDM_ASSERT_STR(D.entry, "Add=*");
}

/* Allocation failures in a package: never a crash, the tree stays usable
 * and consistent (OK or ENOMEM). */
static void test_tree__alloc_failures(void)
{
    for (long n = 0; n < 400; n++) {
        int rc, grc;
        fresh();
        pdm__tree_begin(T);
        pdm__alloc_fail_after(n);
        rc = add_leaf(&SA, "./a/b/c", "v");
        if (rc == PDM_OK)
            rc = replace(&LOCAL, "./a/b/c?prop=Name", "d");
        pdm__alloc_fail_after(-1);
        if (rc == PDM_OK) {
            pdm__tree_commit(T);
            PDM_ASSERT_STR(get(&LOCAL, "./a/b/d", &grc), "v");
            break;
        }
        pdm__tree_abort(T);
        CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./a"));
    }
}

/* A value put durably inside a package is written at once and survives
 * the package: an Atomic rollback and an abort keep it, in memory and in
 * the store; the rest of the node stays as committed; a missing leaf is
 * created; a leaf under a node of the package itself follows the package. */
static const char *value_of(pdm__tree *t, const char *uri)
{
    static char buf[64];
    pdm__node *n = pdm__tree_lookup(t, uri);
    size_t vl = 0;
    const uint8_t *v = n ? pdm__node_value(n, &vl) : NULL;
    snprintf(buf, sizeof buf, "%.*s", v ? (int)vl : 8, v ? (const char *)v : "(absent)");
    return buf;
}

static void open_stored(const char *dir, pdm__store **s, pdm__tree **t)
{
    pdm__tree_config cfg;
    char err[256];
    *t = NULL;
    CU_ASSERT_EQUAL_FATAL(pdm__store_open(s, dir, 0, err, sizeof err), PDM_OK);
    ST_S = *s;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *s;
    cfg.root_add_star = true;
    CU_ASSERT_EQUAL_FATAL(pdm__tree_open(t, &cfg, err, sizeof err), PDM_OK);
    ST_T = *t;
}

static void tree_done(pdm__tree **t)
{
    if (*t == ST_T)
        ST_T = NULL;
    pdm__tree_free(*t);
    *t = NULL;
}

static void store_done(pdm__store **s)
{
    if (*s == ST_S)
        ST_S = NULL;
    pdm__store_close(*s);
    *s = NULL;
}

static void test_tree__put_durable(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    size_t sp;
    snprintf(dir, sizeof dir, "%s/durable", pdm_test_tmpdir());
    open_stored(dir, &s, &t);
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./Acc/Auth/Data", PDM_FORMAT_CHR, 0, NULL,
                                  NULL, (const uint8_t *)"old", 3, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__tree_begin(t), PDM_OK);
    /* The package changes the leaf (value and ACL) before and after an
     * Atomic's savepoint, and creates a node of its own. */
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./Acc/Auth/Data", PDM_FORMAT_CHR, 0, NULL,
                                  "Get=x", (const uint8_t *)"pkg", 3, "factory"),
                    PDM_OK);
    sp = pdm__tree_savepoint(t);
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./Acc/Auth/Data", PDM_FORMAT_CHR, 0, NULL,
                                  NULL, (const uint8_t *)"atomic", 6, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./Acc/Pkg", PDM_FORMAT_NODE, 0, NULL, NULL,
                                  NULL, 0, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put_durable(t, "./Acc/Auth/Data", PDM_FORMAT_BIN, 0,
                                          (const uint8_t *)"new", 3, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put_durable(t, "./Acc/Auth/Fresh", PDM_FORMAT_BIN,
                                          0, (const uint8_t *)"fr", 2, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put_durable(t, "./Acc/Pkg/Data", PDM_FORMAT_BIN, 0,
                                          (const uint8_t *)"p", 1, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put_durable(t, "./Acc/None/Data", PDM_FORMAT_BIN,
                                          0, (const uint8_t *)"p", 1, "factory"),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__tree_put_durable(t, "./Acc/Auth", PDM_FORMAT_BIN, 0,
                                          (const uint8_t *)"p", 1, "factory"),
                    PDM_EEXISTS);
    pdm__tree_rollback_to(t, sp);
    PDM_ASSERT_STR(value_of(t, "./Acc/Auth/Data"), "new");
    pdm__tree_abort(t);
    PDM_ASSERT_STR(value_of(t, "./Acc/Auth/Data"), "new");
    CU_ASSERT_PTR_NULL(must(pdm__tree_lookup(t, "./Acc/Auth/Data"))->acl_str);
    CU_ASSERT_EQUAL(must(pdm__tree_lookup(t, "./Acc/Auth/Data"))->format, PDM_FORMAT_BIN);
    PDM_ASSERT_STR(value_of(t, "./Acc/Auth/Fresh"), "fr");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./Acc/Pkg"));
    tree_done(&t);
    store_done(&s);
    /* What the store holds: the new value, nothing else of the package. */
    open_stored(dir, &s, &t);
    PDM_ASSERT_STR(value_of(t, "./Acc/Auth/Data"), "new");
    CU_ASSERT_PTR_NULL(must(pdm__tree_lookup(t, "./Acc/Auth/Data"))->acl_str);
    PDM_ASSERT_STR(value_of(t, "./Acc/Auth/Fresh"), "fr");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./Acc/Pkg"));
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./Acc/Pkg/Data"));
    tree_done(&t);
    store_done(&s);
}

/* Root ownership is a stored fact of its own: set in a transaction, undone
 * by an Atomic rollback and by an abort, committed with the package,
 * loaded again; the root node keeps its creator. */
static void test_tree__root_owner(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    size_t sp;
    snprintf(dir, sizeof dir, "%s/rootowner", pdm_test_tmpdir());
    open_stored(dir, &s, &t);
    CU_ASSERT_PTR_NULL(pdm__tree_root_owner(t));
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "factory"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "bootstrap:x/y"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "local"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "a\tb"), PDM_EINVAL);
    /* Atomic rollback, then abort */
    CU_ASSERT_EQUAL_FATAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "ServerA"), PDM_OK);
    sp = pdm__tree_savepoint(t);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "ServerB"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_meta_set(t, "account:ServerB", "3 1 x/y"), PDM_OK);
    PDM_ASSERT_STR(pdm__tree_root_owner(t), "ServerB");
    pdm__tree_rollback_to(t, sp);
    PDM_ASSERT_STR(pdm__tree_root_owner(t), "ServerA");
    CU_ASSERT_PTR_NULL(pdm__tree_meta_get(t, "account:ServerB"));
    pdm__tree_abort(t);
    CU_ASSERT_PTR_NULL(pdm__tree_root_owner(t));
    /* committed with the package */
    CU_ASSERT_EQUAL_FATAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, "ServerA"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_meta_set(t, "account:ServerA", "2 3 sim/card"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    PDM_ASSERT_STR(pdm__node_owner(pdm__tree_root(t)), "factory");
    tree_done(&t);
    store_done(&s);
    open_stored(dir, &s, &t);
    PDM_ASSERT_STR(pdm__tree_root_owner(t), "ServerA");
    PDM_ASSERT_STR(pdm__tree_meta_get(t, "account:ServerA"), "2 3 sim/card");
    /* outside a transaction: its own, stored at once; NULL = nobody */
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(t, NULL), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm__tree_root_owner(t));
    tree_done(&t);
    store_done(&s);
    open_stored(dir, &s, &t);
    CU_ASSERT_PTR_NULL(pdm__tree_root_owner(t));
    PDM_ASSERT_STR(pdm__tree_meta_get(t, "account:ServerA"), "2 3 sim/card");
    tree_done(&t);
    store_done(&s);
}

/* A store written before root ownership was its own fact: the old grant
 * code made the root node's owner the ServerID.  Loading moves it over
 * (the root node becomes the factory's again); the next commit stores
 * the migration; a root node owned by the factory means nobody. */
static void test_tree__root_owner_migration(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    snprintf(dir, sizeof dir, "%s/rootmig", pdm_test_tmpdir());
    open_stored(dir, &s, &t);
    CU_ASSERT_EQUAL(pdm__tree_set_owner(t, ".", "ServerOld"), PDM_OK);
    tree_done(&t);
    /* what an old build left: no facts row */
    CU_ASSERT_EQUAL(pdm__store_kv_del(s, "core", "tree-meta"), PDM_OK);
    store_done(&s);
    open_stored(dir, &s, &t);
    PDM_ASSERT_STR(pdm__tree_root_owner(t), "ServerOld");
    PDM_ASSERT_STR(pdm__node_owner(pdm__tree_root(t)), "factory");
    /* any commit that writes stores it */
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./X", PDM_FORMAT_NODE, 0, NULL, NULL,
                                  NULL, 0, "factory"), PDM_OK);
    tree_done(&t);
    store_done(&s);
    open_stored(dir, &s, &t);
    PDM_ASSERT_STR(pdm__tree_root_owner(t), "ServerOld");
    PDM_ASSERT_STR(pdm__node_owner(pdm__tree_root(t)), "factory");
    tree_done(&t);
    /* damaged facts: refused, never read as "nobody" */
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "core", "tree-meta",
                                      (const uint8_t *)"M1\nroot-owner", 13),
                    PDM_OK);
    {
        pdm__tree_config cfg;
        char err[256];
        memset(&cfg, 0, sizeof cfg);
        cfg.store = s;
        CU_ASSERT_EQUAL(pdm__tree_open(&t, &cfg, err, sizeof err), PDM_ECORRUPT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "root owner"));
    }
    store_done(&s);
}

/* Isolation fixture: answers by mode, records every question. */
static int iso_mode; /* 0 allow, 1 deny, 2 error */
static int iso_calls;
static char iso_seen[512];
static int override_fx(void *u, const char *actor, const char *owner,
                       const char *uri, pdm__decision *d)
{
    size_t n = strlen(iso_seen);
    (void)u;
    iso_calls++;
    snprintf(iso_seen + n, sizeof iso_seen - n, "%s%s>%s@%s", n ? ";" : "",
             actor, owner, uri);
    if (iso_mode == 0)
        return PDM_OK;
    snprintf(d->component, sizeof d->component, "authority:fx/auth");
    snprintf(d->reason, sizeof d->reason, "%s",
             iso_mode == 1 ? "not yours" : "override failed");
    return iso_mode == 1 ? PDM_EDENIED : PDM_EIO;
}

/* A tree with nodes of several authorities under wildcard ACLs. */
static void iso_tree(void)
{
    char err[100];
    pdm__tree_item ex = {NULL, 0, PDM_FORMAT_CHR, NULL, true};
    fresh();
    pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=*&Delete=*&Exec=*", err,
                      sizeof err);
    CU_ASSERT_EQUAL(add_node(&SA, "./A"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./A/v", "a"), PDM_OK);
    /* B's and C's nodes inside A's (as a transfer or an older build
     * could leave them) */
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./A/b", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"b", 1, "ServerB"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./A/c", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"c", 1, "ServerC"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./A/c2", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"c", 1, "ServerC"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./F"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./F/v", "f"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&LOCAL, "./L", "l"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&BOOT, "./Boot"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./F/x", PDM_FORMAT_CHR, PDM_NODE_EXEC,
                                  NULL, NULL, (const uint8_t *)"", 0, "factory"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./A/x", PDM_FORMAT_CHR, PDM_NODE_EXEC,
                                  NULL, NULL, (const uint8_t *)"", 0, "ServerA"), PDM_OK);
    (void)ex;
    iso_calls = 0;
    iso_seen[0] = '\0';
}

/* S11 without an override hook: the core default.  Another server's and
 * a bootstrap's nodes are refused for every changing command, even under
 * "*" ACLs; factory and local nodes follow their ACLs; Get is never
 * isolated. */
static void test_tree__isolation_default(void)
{
    int rc;
    iso_tree();
    /* Replace value */
    CU_ASSERT_EQUAL(replace(&SB, "./A/v", "x"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    PDM_ASSERT_STR(D.component, "core");
    PDM_ASSERT_STR(D.node, "./A/v");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "ServerB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "ServerA"));
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "./A/v"));
    /* Add below another's node (the nearest existing one) */
    CU_ASSERT_EQUAL(add_leaf(&SB, "./A/new/deep", "x"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    PDM_ASSERT_STR(D.node, "./A");
    /* ACL and Title */
    CU_ASSERT_EQUAL(replace(&SB, "./A?prop=ACL", "Get=*"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "change the ACL of"));
    CU_ASSERT_EQUAL(replace(&SB, "./A/v?prop=Title", "t"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    /* Exec */
    CU_ASSERT_EQUAL(pdm__tree_exec(T, &SB, "./A/x", NULL, NULL, &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    /* Delete: B's own leaf inside A's node is B's */
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SB, "./A/b", &D), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SB, "./A", &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(T, "./A/v"));
    /* a bootstrap's node */
    CU_ASSERT_EQUAL(add_leaf(&SB, "./Boot/x", "x"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "bootstrap:cp-bootstrap/cp"));
    /* Copy onto another's leaf (its Replace) */
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SB, "./A/v", "./F/v", &D), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    /* the owner itself, factory and local nodes, and Get */
    CU_ASSERT_EQUAL(replace(&SA, "./A/v", "mine"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&SB, "./F/v", "ok"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&SB, "./L", "ok"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&SB, "./F/b", "ok"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_check(T, &SB, PDM_OP_EXEC, "./F/x", &D), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SB, "./F/v", "./A/v", &D), PDM_OK);
    PDM_ASSERT_STR(get(&SB, "./A/v", &rc), "mine");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    /* local, factory and bootstrap principals are the authorities */
    CU_ASSERT_EQUAL(replace(&LOCAL, "./A/v", "l"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&BOOT, "./A/v", "b"), PDM_OK);
}

/* The override hook decides every foreign owner (factory included); a
 * Delete of a subtree with nodes of several authorities asks once per
 * distinct owner; DENY and an error refuse, naming the component. */
static void test_tree__isolation_override(void)
{
    iso_tree();
    T->cfg.override = override_fx;
    iso_mode = 0;
    CU_ASSERT_EQUAL(replace(&SB, "./A/v", "x"), PDM_OK);
    PDM_ASSERT_STR(iso_seen, "ServerB>ServerA@./A/v");
    CU_ASSERT_EQUAL(replace(&SA, "./A/v", "y"), PDM_OK);
    CU_ASSERT_EQUAL(iso_calls, 1); /* its own node: not asked */
    iso_seen[0] = '\0';
    iso_calls = 0;
    CU_ASSERT_EQUAL(replace(&SB, "./F/v", "x"), PDM_OK);
    PDM_ASSERT_STR(iso_seen, "ServerB>factory@./F/v");
    /* Delete of ./A by B: A's nodes, C's two leaves (one question), not
     * B's own leaf */
    iso_mode = 1;
    iso_seen[0] = '\0';
    iso_calls = 0;
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SB, "./A", &D), PDM_EDENIED);
    CU_ASSERT_EQUAL(iso_calls, 1); /* the first refusal stops */
    PDM_ASSERT_STR(D.rule, "isolation");
    PDM_ASSERT_STR(D.component, "authority:fx/auth");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "not yours"));
    iso_mode = 0;
    iso_seen[0] = '\0';
    iso_calls = 0;
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SB, "./A", &D), PDM_OK);
    CU_ASSERT_EQUAL(iso_calls, 2);
    PDM_ASSERT_STR(iso_seen, "ServerB>ServerA@./A;ServerB>ServerC@./A/c");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./A"));
    /* an error is a refusal (fail closed) */
    iso_mode = 2;
    CU_ASSERT_EQUAL(replace(&SB, "./L", "x"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "isolation");
    PDM_ASSERT_STR(D.component, "authority:fx/auth");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "override failed"));
    iso_mode = 0;
}

/* Nodes of a server's own DM account are its own, whoever created them
 * (a bootstrap, the factory). */
static void test_tree__isolation_own_account(void)
{
    char err[100];
    fresh();
    T->cfg.override = override_fx;
    iso_mode = 1;
    iso_calls = 0;
    pdm__tree_put(T, "./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL, NULL, 0, "factory");
    CU_ASSERT_EQUAL(add_node(&BOOT, "./DMAcc/a"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&BOOT, "./DMAcc/a/ServerID", "ServerA"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&BOOT, "./DMAcc/a/Name", "n"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./DMAcc/a", "Get=ServerA&Replace=ServerA&Add=ServerA&Delete=ServerA", err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/a/Name", "m"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./DMAcc/a/Ext", "e"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./DMAcc/a/Ext", &D), PDM_OK);
    CU_ASSERT_EQUAL(iso_calls, 0);
    iso_mode = 0;
}

/* Two accounts as a factory tree would have them (./DMAcc permanent). */
static void two_accounts(void)
{
    fresh();
    pdm__tree_put(T, "./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL, NULL, 0, "factory");
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./DMAcc/a"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./DMAcc/a/ServerID", "ServerA"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./DMAcc/a/Addr", "http://a"), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&FACTORY, "./DMAcc/b"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./DMAcc/b/ServerID", "ServerB"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&FACTORY, "./DMAcc/b/Addr", "http://b"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./DMAcc/b/AppAuth/1/AAuthSecret", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"pw", 2, "factory"), PDM_OK);
}

/* ServerIDs are unique and valid for every writer, immutable for
 * servers; account nodes get ACLs naming their ServerID. */
static void test_tree__dmacc_identity(void)
{
    pdm__tree_item n = {NULL, 0, PDM_FORMAT_NODE, NULL, true};
    pdm__node *acc;
    int rc;
    two_accounts();
    /* the core gave each account its ACL when it got its ServerID */
    PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/a?prop=ACL", &rc), "Delete=ServerA&Get=ServerA&Replace=ServerA");
    /* a second account with ServerB's identity: refused whoever adds it */
    CU_ASSERT_EQUAL(add_node(&LOCAL, "./DMAcc/c"), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&LOCAL, "./DMAcc/c/ServerID", "ServerB"), PDM_EEXISTS);
    PDM_ASSERT_STR(D.rule, "server-id-unique");
    CU_ASSERT_PTR_NOT_NULL(strstr(D.reason, "server-id-unique"));
    CU_ASSERT_EQUAL(add_leaf(&BOOT, "./DMAcc/c/ServerID", "ServerB"), PDM_EEXISTS);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./DMAcc/c/ServerID", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"ServerB", 7, "factory"), PDM_EEXISTS);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./DMAcc/c/ServerID"));
    /* the local user may change an identity, not to another's */
    CU_ASSERT_EQUAL(replace(&LOCAL, "./DMAcc/a/ServerID", "ServerB"), PDM_EEXISTS);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./DMAcc/a/ServerID", "Server+B"), PDM_EINVAL);
    PDM_ASSERT_STR(D.rule, "server-id-invalid");
    CU_ASSERT_EQUAL(replace(&LOCAL, "./DMAcc/a/ServerID", ""), PDM_EINVAL);
    /* nor make one by renaming a leaf or copying a value */
    CU_ASSERT_EQUAL(add_leaf(&LOCAL, "./DMAcc/c/Other", "ServerA"), PDM_OK);
    CU_ASSERT_EQUAL(replace(&LOCAL, "./DMAcc/c/Other?prop=Name", "ServerID"), PDM_EEXISTS);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./DMAcc/c/ServerID"));
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &LOCAL, "./DMAcc/c/ServerID", "./DMAcc/b/ServerID", &D), PDM_EEXISTS);
    CU_ASSERT_EQUAL(pdm__tree_add(T, &LOCAL, "./DMAcc/c/ServerID", &n, &D), PDM_EINVAL);
    /* a new identity is fine, and the account gets its ACL */
    CU_ASSERT_EQUAL(add_leaf(&LOCAL, "./DMAcc/c/ServerID", "ServerC"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/c?prop=ACL", &rc), "Delete=ServerC&Get=ServerC&Replace=ServerC");
    CU_ASSERT_EQUAL(replace(&LOCAL, "./DMAcc/c/ServerID", "ServerD"), PDM_OK);
    PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/c?prop=ACL", &rc), "Delete=ServerD&Get=ServerD&Replace=ServerD");

    /* a server never changes a ServerID, its own included */
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/a/ServerID", "ServerX"), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "server-id-immutable");
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/a/ServerID?prop=Name", "Old"), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./DMAcc/a/ServerID", &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./DMAcc/a/ServerID", "./DMAcc/a/Addr", &D), PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/a?prop=Name", "z"), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(D.rule, "account-name");
    PDM_ASSERT_STR(get(&SA, "./DMAcc/a/ServerID", &rc), "ServerA");
    /* deleting its own account is allowed (ACL); adding it back is not */
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./DMAcc/a", &D), PDM_OK);
    CU_ASSERT_EQUAL(add_node(&SA, "./DMAcc/a"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "account-create");
    CU_ASSERT_EQUAL(add_leaf(&SA, "./DMAcc/a/ServerID", "ServerA"), PDM_EDENIED);

    /* account lookup refuses an ambiguous tree (a store from before the
     * rule): two accounts carrying one ServerID */
    two_accounts();
    acc = must(pdm__tree_lookup(T, "./DMAcc/b/ServerID"));
    pdm__node_set_value(acc, (const uint8_t *)"ServerA", 7);
    CU_ASSERT_EQUAL(pdm__dmacc_find(T, "ServerA", &acc, NULL), PDM_EEXISTS);
    CU_ASSERT_EQUAL(pdm__dmacc_find(T, "ServerB", &acc, NULL), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__dmacc_check_server_id(T, NULL, (const uint8_t *)"ServerA", 7, &D), PDM_EEXISTS);
    CU_ASSERT_EQUAL(pdm__dmacc_check_server_id(T, NULL, (const uint8_t *)"ServerQ", 7, &D), PDM_OK);
}

/* A server reaches only its own account, whatever the ACLs say. */
static void test_tree__dmacc_isolation(void)
{
    pdm__tree_result r;
    int rc;
    two_accounts();
    /* even an ACL granting everything to everyone does not open b to A */
    CU_ASSERT_EQUAL(pdm__tree_set_acl(T, "./DMAcc/b", "Add=*&Delete=*&Get=*&Replace=*", NULL, 0), PDM_OK);
    get(&SA, "./DMAcc/b/Addr", &rc);
    CU_ASSERT_EQUAL(rc, PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "account-isolation");
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/b/Addr", "http://evil"), PDM_EDENIED);
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc/b/AppAuth/1/AAuthSecret", "x"), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm__tree_delete(T, &SA, "./DMAcc/b", &D), PDM_EDENIED);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./DMAcc/b/New", "x"), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm__tree_copy(T, &SA, "./DMAcc/a/Addr", "./DMAcc/b/Addr", &D), PDM_EDENIED);
    /* no oracle: a missing account answers as another's does */
    get(&SA, "./DMAcc/nobody/x", &rc);
    CU_ASSERT_EQUAL(rc, PDM_EDENIED);
    get(&SA, "./DMAcc/b/Missing", &rc);
    CU_ASSERT_EQUAL(rc, PDM_EDENIED);
    /* the rules read the decoded path: no escape spelling gets around */
    get(&SA, "./DM%41cc/b/Addr", &rc);
    CU_ASSERT_EQUAL(rc, PDM_EDENIED);
    CU_ASSERT_EQUAL(replace(&SA, "DMAcc/a/Server%49D", "ServerB"), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(get(&SA, "./DMAcc/a/Addr", &rc), "http://a");
    PDM_ASSERT_STR(get(&SB, "./DMAcc/b/Addr", &rc), "http://b");
    /* the child list and ?list= show a server its own account only */
    pdm__tree_set_acl(T, "./DMAcc", "Get=*", NULL, 0);
    PDM_ASSERT_STR(get(&SA, "./DMAcc", &rc), "a");
    PDM_ASSERT_STR(get(&SC, "./DMAcc", &rc), "");
    PDM_ASSERT_STR(get(&LOCAL, "./DMAcc", &rc), "a/b");
    CU_ASSERT_EQUAL(pdm__tree_get(T, &SA, "./DMAcc?list=Struct", &r, &D), PDM_OK);
    for (size_t i = 0; i < r.nitems; i++)
        CU_ASSERT_PTR_NULL(strstr(r.items[i].uri, "DMAcc/b"));
    CU_ASSERT(r.nitems >= 4);
    pdm__tree_result_free(&r);
    CU_ASSERT_PTR_NULL(strstr(get(&SA, ".?list=TNDS", &rc), "http://b"));
    /* servers never change ./DMAcc's ACL, even with Replace on root */
    pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=*", NULL, 0);
    CU_ASSERT_EQUAL(replace(&SA, "./DMAcc?prop=ACL", "Add=*&Get=*"), PDM_EDENIED);
    PDM_ASSERT_STR(D.rule, "dmacc-acl");
    /* load-time repair: ./DMAcc "Get=*", accounts name only their own */
    {
        size_t changed = 0;
        pdm__tree_set_acl(T, "./DMAcc", "Add=*&Get=*", NULL, 0);
        CU_ASSERT_EQUAL(pdm__dmacc_repair(T, &changed), PDM_OK);
        CU_ASSERT_EQUAL(changed, 2);
        PDM_ASSERT_STR(get(&LOCAL, "./DMAcc?prop=ACL", &rc), "Get=*");
        PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/b?prop=ACL", &rc), "Delete=ServerB&Get=ServerB&Replace=ServerB");
        PDM_ASSERT_STR(get(&LOCAL, "./DMAcc/a?prop=ACL", &rc), "Delete=ServerA&Get=ServerA&Replace=ServerA");
        CU_ASSERT_EQUAL(pdm__dmacc_repair(T, &changed), PDM_OK);
        CU_ASSERT_EQUAL(changed, 0);
    }
}

/* Values of text Formats are text; names, Type and Title too. */
static void test_tree__value_text(void)
{
    pdm__tree_item bad = {(const uint8_t *)"a\xff" "b", 3, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item nul = {(const uint8_t *)"a\0b", 3, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item bin = {(const uint8_t *)"a\0\xff", 3, PDM_FORMAT_BIN, NULL, true};
    pdm__tree_item ctl = {(const uint8_t *)"a\x01", 2, PDM_FORMAT_INT, NULL, true};
    pdm__tree_item ty = {(const uint8_t *)"v", 1, PDM_FORMAT_CHR, "text/\xc3", true};
    int rc;
    fresh();
    pdm__tree_set_acl(T, ".", "Add=*&Get=*&Replace=*", NULL, 0);
    CU_ASSERT_EQUAL(pdm__tree_add(T, &SA, "./v", &bad, &D), PDM_EINVAL);
    PDM_ASSERT_STR(D.rule, "value-text");
    CU_ASSERT_EQUAL(pdm__tree_add(T, &SA, "./v", &nul, &D), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_add(T, &LOCAL, "./v", &ctl, &D), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_add(T, &SA, "./v", &ty, &D), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./v"));
    CU_ASSERT_EQUAL(pdm__tree_add(T, &SA, "./b", &bin, &D), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(&SA, "./v", "fine \xc3\xa9"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(T, &SA, "./v", &bad, &D), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_replace(T, &SA, "./v", &nul, &D), PDM_EINVAL);
    /* a Format change to chr is checked against the new Format */
    bin.format = PDM_FORMAT_CHR;
    CU_ASSERT_EQUAL(pdm__tree_replace(T, &SA, "./b", &bin, &D), PDM_EINVAL);
    PDM_ASSERT_STR(get(&SA, "./v", &rc), "fine \xc3\xa9");
    CU_ASSERT_EQUAL(replace(&SA, "./v?prop=Title", "t\xc3"), PDM_EINVAL);
    CU_ASSERT_EQUAL(replace(&SA, "./v?prop=Name", "n\xef\xbf\xbe"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__tree_put(T, "./p", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"\xff", 1, "factory"), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(T, "./p"));
}

static const pdm_test tests[] = {
    {"spec_acl_example", test_tree__spec_acl_example},
    {"acl_change_rules", test_tree__acl_change_rules},
    {"creator_rule", test_tree__creator_rule},
    {"add_rules", test_tree__add_rules},
    {"get_interior", test_tree__get_interior},
    {"uri_limits", test_tree__uri_limits},
    {"permanent", test_tree__permanent},
    {"rename", test_tree__rename},
    {"properties", test_tree__properties},
    {"rollback", test_tree__rollback},
    {"remove_server", test_tree__remove_server},
    {"secret_and_inbox", test_tree__secret_and_inbox},
    {"secrets_wiped", test_tree__secrets_wiped},
    {"policy_hook", test_tree__policy_hook},
    {"mo_handler", test_tree__mo_handler},
    {"copy", test_tree__copy},
    {"explain", test_tree__explain},
    {"alloc_failures", test_tree__alloc_failures},
    {"put_durable", test_tree__put_durable},
    {"root_owner", test_tree__root_owner},
    {"isolation_default", test_tree__isolation_default},
    {"isolation_override", test_tree__isolation_override},
    {"isolation_own_account", test_tree__isolation_own_account},
    {"root_owner_migration", test_tree__root_owner_migration},
    {"dmacc_identity", test_tree__dmacc_identity},
    {"dmacc_isolation", test_tree__dmacc_isolation},
    {"value_text", test_tree__value_text},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"tree", tests, setup, teardown},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
