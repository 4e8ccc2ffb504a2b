/*
 * Reading the tree and the audit log through the integrator API alone
 * (polydm.h, "reading the tree and the audit log"): pdm_ctx_tree_get,
 * pdm_tree_value_item, pdm_ctx_node_info, pdm_ctx_tree_walk,
 * pdm_ctx_tree_export, pdm_ctx_tree_import, pdm_ctx_explain,
 * pdm_ctx_audit_each, pdm_ctx_audit_verify, pdm_uri_canonical and
 * pdm_format_name.  Values and properties of the CLI tests' factory tree
 * (tests/data/factory-test.tnds.xml), the errors (bad URI PDM_EINVAL,
 * missing PDM_ENOTFOUND, bad arguments), secrets never returned by any
 * call (AAuthSecret "Cl1entS3cret"/"S3rverS3cret", AAuthData), a
 * read-only context (PDM_CTX_READONLY) that reads everything and imports
 * nothing, and a policy (fx-policy) that refuses a read, audited.
 */
#include "cu_main.h"
#include "engine_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

static const char *profile(const char *name, const char *plugins)
{
    return fx_profile(name,
                      "[profile]\nid = read-test\nfactory_tree = %s/tests/"
                      "data/factory-test.tnds.xml\n[device]\ndevid = "
                      "IMEI:1\n%s",
                      PDM_SOURCE_DIR, plugins ? plugins : "");
}

static const char *state(const char *name) { return fx_state(name); }

static pdm_ctx *open_ctx(const char *prof, const char *dir, uint32_t flags)
{
    return fx_open(prof, dir, FX_DIR, flags, NULL, NULL);
}

static pdm_ctx *fresh(const char *name, const char *plugins, uint32_t flags)
{
    char cmd[800];
    pdm_ctx *ctx;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state(name));
    CU_ASSERT_EQUAL(system(cmd), 0);
    ctx = open_ctx(profile(name, plugins), state(name), flags);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    return ctx;
}

/* True if @secret occurs in the @len bytes at @d. */
static int has(const uint8_t *d, size_t len, const char *secret)
{
    size_t n = strlen(secret);
    for (size_t i = 0; d && i + n <= len; i++)
        if (memcmp(d + i, secret, n) == 0)
            return 1;
    return 0;
}

static int leaks(const uint8_t *d, size_t len)
{
    return has(d, len, "Cl1entS3cret") || has(d, len, "S3rverS3cret") ||
           has(d, len, "bm9uY2U=");
}

/* The value of @uri as a string ("" on failure). */
static const char *get_str(pdm_ctx *ctx, const char *uri, int *rc)
{
    static char buf[1024];
    pdm_tree_value *v = NULL;
    buf[0] = '\0';
    *rc = pdm_ctx_tree_get(&v, ctx, uri);
    if (*rc == PDM_OK)
        snprintf(buf, sizeof buf, "%.*s", (int)v->len,
                 v->data ? (const char *)v->data : "");
    else
        CU_ASSERT_PTR_NULL(v);
    pdm_tree_value_free(v);
    return buf;
}

/* ---- pdm_ctx_tree_get -------------------------------------------------------- */

static void test_read__get(void)
{
    pdm_ctx *ctx = fresh("get", NULL, 0);
    pdm_tree_value *v = NULL;
    pdm_tree_item it;
    int rc;

    /* a leaf */
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_tree_get(&v, ctx, "./Vendor/Color"), PDM_OK);
    CU_ASSERT(v->struct_size >= sizeof *v);
    CU_ASSERT_EQUAL(v->format, PDM_FORMAT_CHR);
    CU_ASSERT_EQUAL(v->len, 4);
    CU_ASSERT_EQUAL(memcmp(v->data, "blue", 4), 0);
    PDM_ASSERT_STR(v->type, "text/plain");
    CU_ASSERT_EQUAL(v->nitems, 0);
    pdm_tree_value_free(v);
    /* an interior node: its children; the same node without "./" */
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_tree_get(&v, ctx, "Vendor"), PDM_OK);
    CU_ASSERT_EQUAL(v->format, PDM_FORMAT_NODE);
    CU_ASSERT_EQUAL(v->len, strlen("Color/Locked"));
    CU_ASSERT_EQUAL(memcmp(v->data, "Color/Locked", v->len), 0);
    pdm_tree_value_free(v);
    /* properties */
    PDM_ASSERT_STR(get_str(ctx, "./Vendor?prop=ACL", &rc),
                   "Add=test.server&Get=*&Replace=test.server");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    PDM_ASSERT_STR(get_str(ctx, "./Vendor/Color?prop=Format", &rc), "chr");
    PDM_ASSERT_STR(get_str(ctx, "./DMAcc/testsrv?prop=Type", &rc),
                   "urn:oma:mo:oma-dm-dmacc:1.0");
    PDM_ASSERT_STR(get_str(ctx, "./Vendor/Color?prop=Size", &rc), "4");
    /* ?list=StructData: secrets are listed without their value */
    CU_ASSERT_EQUAL_FATAL(
        pdm_ctx_tree_get(&v, ctx, "./DMAcc/testsrv/AppAuth/1?list=StructData"),
        PDM_OK);
    CU_ASSERT_PTR_NULL(v->data);
    CU_ASSERT_EQUAL_FATAL(v->nitems, 6);
    it.struct_size = sizeof it;
    CU_ASSERT_EQUAL(pdm_tree_value_item(&it, v, 0), PDM_OK);
    PDM_ASSERT_STR(it.uri, "./DMAcc/testsrv/AppAuth/1");
    CU_ASSERT_EQUAL(it.format, PDM_FORMAT_NODE);
    CU_ASSERT_PTR_NULL(it.data);
    for (size_t i = 0; i < v->nitems; i++) {
        CU_ASSERT_EQUAL(pdm_tree_value_item(&it, v, i), PDM_OK);
        CU_ASSERT(!leaks(it.data, it.len));
        if (strstr(it.uri, "AAuthSecret") || strstr(it.uri, "AAuthData"))
            CU_ASSERT_PTR_NULL(it.data);
        if (strcmp(it.uri, "./DMAcc/testsrv/AppAuth/1/AAuthName") == 0)
            CU_ASSERT(it.len == 6 && memcmp(it.data, "device", 6) == 0);
    }
    CU_ASSERT_EQUAL(pdm_tree_value_item(&it, v, v->nitems), PDM_ENOTFOUND);
    it.struct_size = 4;
    CU_ASSERT_EQUAL(pdm_tree_value_item(&it, v, 0), PDM_EINVAL);
    pdm_tree_value_free(v);
    /* ?list=TNDS: a document, no secret in it */
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_tree_get(&v, ctx, "./DMAcc?list=TNDS"),
                          PDM_OK);
    CU_ASSERT_EQUAL(v->format, PDM_FORMAT_XML);
    CU_ASSERT(has(v->data, v->len, "AAuthName"));
    CU_ASSERT(!leaks(v->data, v->len));
    pdm_tree_value_free(v);

    /* errors: each with the node named in the last error */
    v = (pdm_tree_value *)&rc; /* set to NULL on failure */
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx, "./Vendor//Color"), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_NOT_EQUAL(pdm_ctx_last_error(ctx)[0], '\0');
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx, "./Vendor/Nope"), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_ctx_last_error(ctx), "Vendor/Nope"));
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx,
                                     "./DMAcc/testsrv/AppAuth/1/AAuthSecret"),
                    PDM_ENOTALLOWED);
    CU_ASSERT(!leaks((const uint8_t *)pdm_ctx_last_error(ctx),
                     strlen(pdm_ctx_last_error(ctx))));
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx,
                                     "./DMAcc/testsrv/AppAuth/1/AAuthData"),
                    PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx, "./Vendor?prop=Bogus"),
                    PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, NULL, "."), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(NULL, ctx, "."), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_tree_value_item(&it, NULL, 0), PDM_EINVAL);
    pdm_tree_value_free(NULL);
    pdm_ctx_close(ctx);
}

/* ---- pdm_ctx_node_info ------------------------------------------------------- */

static void test_read__node_info(void)
{
    pdm_ctx *ctx = fresh("info", NULL, 0);
    pdm_node_info n;

    memset(&n, 0x5a, sizeof n);
    n.struct_size = sizeof n;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_node_info(&n, ctx, "./DMAcc/testsrv"),
                          PDM_OK);
    CU_ASSERT_EQUAL(n.struct_size, sizeof n);
    CU_ASSERT_EQUAL(n.format, PDM_FORMAT_NODE);
    CU_ASSERT(n.flags & PDM_NODE_IS_INTERIOR);
    CU_ASSERT(!(n.flags & PDM_NODE_IS_SECRET));
    PDM_ASSERT_STR(n.name, "testsrv");
    PDM_ASSERT_STR(n.type, "urn:oma:mo:oma-dm-dmacc:1.0");
    PDM_ASSERT_STR(n.acl,
                   "Delete=test.server&Get=test.server&Replace=test.server");
    PDM_ASSERT_STR(n.owner, "factory");
    PDM_ASSERT_STR(n.title, "");
    CU_ASSERT_EQUAL(n.nchildren, 6);
    CU_ASSERT_PTR_NULL(n.value);
    CU_ASSERT_PTR_NULL(n.why);
    /* a leaf that inherits its ACL */
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "./Vendor/Color"), PDM_OK);
    CU_ASSERT_EQUAL(n.format, PDM_FORMAT_CHR);
    CU_ASSERT_EQUAL(n.flags & PDM_NODE_IS_INTERIOR, 0);
    PDM_ASSERT_STR(n.acl, "");
    CU_ASSERT(n.tstamp > 1600000000);
    CU_ASSERT_EQUAL(n.nchildren, 0);
    /* the root */
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "."), PDM_OK);
    CU_ASSERT(n.flags & PDM_NODE_IS_INTERIOR);
    CU_ASSERT(n.nchildren >= 2);
    /* errors */
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "a//b"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "./Nope"), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_ctx_last_error(ctx), "Nope"));
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx,
                                      "./DMAcc/testsrv/AppAuth/2/AAuthSecret"),
                    PDM_ENOTALLOWED);
    n.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "."), PDM_EINVAL);
    n.struct_size = sizeof n;
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_node_info(NULL, ctx, "."), PDM_EINVAL);
    pdm_ctx_close(ctx);
}

/* ---- pdm_ctx_tree_walk ------------------------------------------------------- */

typedef struct seen {
    char text[4096];
    unsigned n, secrets, stop_at;
    int leaked;
} seen;

static int collect(void *user, const char *uri, unsigned depth,
                   const pdm_node_info *n)
{
    seen *s = user;
    size_t l = strlen(s->text);
    s->n++;
    s->leaked |= leaks(n->value, n->len);
    if (n->flags & PDM_NODE_IS_SECRET) {
        s->secrets++;
        CU_ASSERT_PTR_NULL(n->value);
        CU_ASSERT_EQUAL(n->flags & PDM_NODE_HAS_VALUE, 0);
    }
    snprintf(s->text + l, sizeof s->text - l, "%u %s%s%.*s\n", depth, uri,
             n->flags & PDM_NODE_HAS_VALUE ? "=" : "", (int)n->len,
             n->value ? (const char *)n->value : "");
    return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static void test_read__walk(void)
{
    pdm_ctx *ctx = fresh("walk", NULL, 0);
    seen s;

    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "./DMAcc/testsrv/AppAuth",
                                      PDM_WALK_ALL_DEPTHS, PDM_WALK_VALUES,
                                      collect, &s),
                    PDM_OK);
    PDM_ASSERT_STR(s.text,
                   "0 ./DMAcc/testsrv/AppAuth\n"
                   "1 ./DMAcc/testsrv/AppAuth/1\n"
                   "2 ./DMAcc/testsrv/AppAuth/1/AAuthLevel=CLCRED\n"
                   "2 ./DMAcc/testsrv/AppAuth/1/AAuthType=DIGEST\n"
                   "2 ./DMAcc/testsrv/AppAuth/1/AAuthName=device\n"
                   "2 ./DMAcc/testsrv/AppAuth/1/AAuthSecret\n"
                   "2 ./DMAcc/testsrv/AppAuth/1/AAuthData\n"
                   "1 ./DMAcc/testsrv/AppAuth/2\n"
                   "2 ./DMAcc/testsrv/AppAuth/2/AAuthLevel=SRVCRED\n"
                   "2 ./DMAcc/testsrv/AppAuth/2/AAuthType=DIGEST\n"
                   "2 ./DMAcc/testsrv/AppAuth/2/AAuthName=test.server\n"
                   "2 ./DMAcc/testsrv/AppAuth/2/AAuthSecret\n");
    CU_ASSERT_EQUAL(s.secrets, 3);
    CU_ASSERT_FALSE(s.leaked);
    /* the whole tree, no values: nothing secret either */
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, ".", PDM_WALK_ALL_DEPTHS,
                                      PDM_WALK_VALUES, collect, &s),
                    PDM_OK);
    CU_ASSERT_FALSE(s.leaked);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.text, "0 .\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.text, "1 ./Vendor\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.text, "2 ./Vendor/Color=blue\n"));
    /* one level */
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "Vendor", 1, 0, collect, &s),
                    PDM_OK);
    PDM_ASSERT_STR(s.text, "0 ./Vendor\n1 ./Vendor/Color\n1 ./Vendor/Locked\n");
    /* a leaf alone */
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "./Vendor/Color", 0,
                                      PDM_WALK_VALUES, collect, &s),
                    PDM_OK);
    PDM_ASSERT_STR(s.text, "0 ./Vendor/Color=blue\n");
    /* the visitor stops it */
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, ".", PDM_WALK_ALL_DEPTHS, 0,
                                      collect, &s),
                    7);
    CU_ASSERT_EQUAL(s.n, 2);
    /* errors: nothing visited */
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "a//b", 1, 0, collect, &s),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "./Nope", 1, 0, collect, &s),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx,
                                      "./DMAcc/testsrv/AppAuth/1/AAuthSecret",
                                      0, PDM_WALK_VALUES, collect, &s),
                    PDM_ENOTALLOWED);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, ".", 1, 0x80, collect, &s),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, ".", 1, 0, NULL, &s), PDM_EINVAL);
    CU_ASSERT_EQUAL(s.n, 0);
    pdm_ctx_close(ctx);
}

/* ---- export and import ----------------------------------------------------------- */

static void test_read__export(void)
{
    pdm_ctx *ctx = fresh("export", NULL, 0);
    pdm_tree_value *v = NULL;

    CU_ASSERT_EQUAL_FATAL(pdm_ctx_tree_export(&v, ctx, ".", 0), PDM_OK);
    CU_ASSERT_EQUAL(v->format, PDM_FORMAT_XML);
    PDM_ASSERT_STR(v->type, "application/vnd.syncml.dmtnds+xml");
    CU_ASSERT(has(v->data, v->len, "<MgmtTree"));
    CU_ASSERT(has(v->data, v->len, "*****"));
    CU_ASSERT(has(v->data, v->len, "<ACL>"));
    CU_ASSERT(!leaks(v->data, v->len));
    pdm_tree_value_free(v);
    /* names and formats only */
    CU_ASSERT_EQUAL_FATAL(
        pdm_ctx_tree_export(&v, ctx, "./Vendor", PDM_EXPORT_STRUCT), PDM_OK);
    CU_ASSERT(has(v->data, v->len, "<NodeName>Color</NodeName>"));
    CU_ASSERT(!has(v->data, v->len, "blue"));
    pdm_tree_value_free(v);
    CU_ASSERT_EQUAL_FATAL(
        pdm_ctx_tree_export(&v, ctx, "./Vendor", PDM_EXPORT_STRUCTDATA),
        PDM_OK);
    CU_ASSERT(has(v->data, v->len, "blue"));
    pdm_tree_value_free(v);
    /* WBXML: the secrets are not in it either */
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_tree_export(&v, ctx, "./DMAcc",
                                              PDM_EXPORT_WBXML),
                          PDM_OK);
    CU_ASSERT_EQUAL(v->format, PDM_FORMAT_BIN);
    PDM_ASSERT_STR(v->type, "application/vnd.syncml.dmtnds+wbxml");
    CU_ASSERT(v->len > 0 && v->data[0] == 0x02);
    CU_ASSERT(!leaks(v->data, v->len));
    pdm_tree_value_free(v);
    /* errors */
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(&v, ctx, "a//b", 0), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(&v, ctx, "./Nope", 0), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(&v, ctx, ".",
                                        PDM_EXPORT_STRUCT |
                                            PDM_EXPORT_STRUCTDATA),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(&v, ctx, ".", 0x100), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(NULL, ctx, ".", 0), PDM_EINVAL);
    pdm_ctx_close(ctx);
}

static const char add_doc[] =
    "<MgmtTree><VerDTD>1.2</VerDTD>"
    "<Node><NodeName>New</NodeName><Value>hello</Value></Node>"
    "<Node><NodeName>Sub</NodeName>"
    "<Node><NodeName>Leaf</NodeName><Value>x</Value></Node></Node>"
    "</MgmtTree>";

static int count_rows(void *user, const pdm_audit_row *r)
{
    CU_ASSERT(r->struct_size >= sizeof *r);
    CU_ASSERT_PTR_NOT_NULL(r->principal);
    CU_ASSERT_PTR_NOT_NULL(r->op);
    CU_ASSERT_PTR_NOT_NULL(r->decision);
    CU_ASSERT(!r->reason || !leaks((const uint8_t *)r->reason,
                                   strlen(r->reason)));
    ++*(int *)user;
    return 0;
}

static int rows(pdm_ctx *ctx)
{
    int n = 0;
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, count_rows, &n), PDM_OK);
    return n;
}

static void test_read__import(void)
{
    pdm_ctx *ctx = fresh("import", NULL, 0);
    pdm_local_result r;
    int rc, before;

    memset(&r, 0x5a, sizeof r);
    r.struct_size = sizeof r;
    before = rows(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, "./Vendor",
                                        (const uint8_t *)add_doc,
                                        strlen(add_doc), &r),
                    PDM_OK);
    PDM_ASSERT_STR(r.summary, "imported below ./Vendor");
    PDM_ASSERT_STR(r.component, "");
    PDM_ASSERT_STR(get_str(ctx, "./Vendor/New", &rc), "hello");
    PDM_ASSERT_STR(get_str(ctx, "./Vendor/Sub/Leaf", &rc), "x");
    CU_ASSERT(rows(ctx) > before); /* the Adds are audited */
    /* again: the leaf exists, nothing changes */
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, "./Vendor",
                                        (const uint8_t *)add_doc,
                                        strlen(add_doc), &r),
                    PDM_EEXISTS);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "New"));
    PDM_ASSERT_STR(pdm_ctx_last_error(ctx), r.summary);
    /* malformed; a bad target; bad arguments */
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, NULL,
                                        (const uint8_t *)"<MgmtTree><Node>",
                                        16, &r),
                    PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, "a//b", (const uint8_t *)add_doc,
                                        strlen(add_doc), &r),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, NULL, NULL, 0, NULL),
                    PDM_EINVAL);
    r.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ctx, NULL, (const uint8_t *)add_doc,
                                        strlen(add_doc), &r),
                    PDM_EINVAL);
    pdm_ctx_close(ctx);
    /* the import was stored */
    ctx = open_ctx(profile("import", NULL), state("import"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(get_str(ctx, "./Vendor/New", &rc), "hello");
    pdm_ctx_close(ctx);
}

/* ---- explain ---------------------------------------------------------------------- */

static void test_read__explain(void)
{
    pdm_ctx *ctx = fresh("explain", NULL, 0);
    pdm_explanation e;
    int before = rows(ctx);

    memset(&e, 0x5a, sizeof e);
    e.struct_size = sizeof e;
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "test.server", PDM_OP_REPLACE,
                                    "./Vendor/Color"),
                    PDM_OK);
    CU_ASSERT_EQUAL(e.result, PDM_OK);
    PDM_ASSERT_STR(e.rule, "acl");
    PDM_ASSERT_STR(e.node, "./Vendor");
    PDM_ASSERT_STR(e.entry, "Replace=test.server");
    PDM_ASSERT_STR(e.component, "acl");
    CU_ASSERT_NOT_EQUAL(e.reason[0], '\0');
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "rogue", PDM_OP_REPLACE,
                                    "./Vendor/Color"),
                    PDM_EDENIED);
    CU_ASSERT_EQUAL(e.result, PDM_EDENIED);
    PDM_ASSERT_STR(e.rule, "acl");
    PDM_ASSERT_STR(e.node, "./Vendor");
    /* the local user */
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, NULL, PDM_OP_DELETE,
                                    "./Vendor/Color"),
                    PDM_OK);
    PDM_ASSERT_STR(e.rule, "local");
    /* a secret: a structural rule */
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "test.server", PDM_OP_GET,
                                    "./DMAcc/testsrv/AppAuth/1/AAuthSecret"),
                    PDM_ENOTALLOWED);
    PDM_ASSERT_STR(e.rule, "secret");
    /* bad URI: explained, PDM_EINVAL */
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "test.server", PDM_OP_GET,
                                    "a//b"),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(e.result, PDM_EINVAL);
    CU_ASSERT_NOT_EQUAL(e.rule[0], '\0');
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "test.server", PDM_OP_GET,
                                    "./Nope"),
                    PDM_ENOTFOUND);
    /* bad arguments: nothing explained */
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "x", PDM_OP_BOOTSTRAP, "."),
                    PDM_EINVAL);
    PDM_ASSERT_STR(e.rule, "");
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "x", PDM_OP_GET, NULL),
                    PDM_EINVAL);
    e.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, "x", PDM_OP_GET, "."),
                    PDM_EINVAL);
    /* explaining writes no audit row */
    CU_ASSERT_EQUAL(rows(ctx), before);
    pdm_ctx_close(ctx);
}

/* ---- the audit log ------------------------------------------------------------------- */

static int stop_second(void *user, const pdm_audit_row *r)
{
    (void)r;
    return ++*(int *)user == 2 ? 42 : 0;
}

static void test_read__audit(void)
{
    pdm_ctx *ctx = fresh("audit", NULL, 0);
    pdm_audit_check c;
    pdm_tree_value *v = NULL;
    int n = 0;

    /* a refused read is audited */
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx,
                                     "./DMAcc/testsrv/AppAuth/1/AAuthSecret"),
                    PDM_ENOTALLOWED);
    CU_ASSERT(rows(ctx) > 0);
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, INT64_MAX, count_rows, &n),
                    PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    n = 0;
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, stop_second, &n), 42);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, NULL, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(NULL, 0, count_rows, &n), PDM_EINVAL);

    memset(&c, 0x5a, sizeof c);
    c.struct_size = sizeof c;
    CU_ASSERT_EQUAL(pdm_ctx_audit_verify(&c, ctx), PDM_OK);
    CU_ASSERT_EQUAL(c.live_rows, rows(ctx));
    CU_ASSERT_EQUAL(c.segments_kept, 0);
    PDM_ASSERT_STR(c.problem, "");
    c.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_audit_verify(&c, ctx), PDM_EINVAL);
    pdm_ctx_close(ctx);

    /* without a store there is no audit log */
    ctx = open_ctx(profile("audit-nostore", NULL), NULL, PDM_CTX_NO_STORE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    c.struct_size = sizeof c;
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, count_rows, &n), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm_ctx_audit_verify(&c, ctx), PDM_ENOTSUP);
    pdm_ctx_close(ctx);
}

/* ---- a read-only context and a policy ----------------------------------------------- */

static void test_read__readonly(void)
{
    pdm_ctx *rw = fresh("ro", NULL, 0), *ro;
    pdm_tree_value *v = NULL;
    pdm_node_info n;
    pdm_explanation e;
    pdm_audit_check c;
    pdm_local_result r;
    seen s;
    int rc;

    ro = open_ctx(profile("ro", NULL), state("ro"), PDM_CTX_READONLY);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ro);
    PDM_ASSERT_STR(get_str(ro, "./Vendor/Color", &rc), "blue");
    CU_ASSERT_EQUAL(rc, PDM_OK);
    n.struct_size = sizeof n;
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ro, "./DMAcc/testsrv"), PDM_OK);
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ro, ".", PDM_WALK_ALL_DEPTHS,
                                      PDM_WALK_VALUES, collect, &s),
                    PDM_OK);
    CU_ASSERT_FALSE(s.leaked);
    CU_ASSERT_EQUAL(pdm_ctx_tree_export(&v, ro, ".", 0), PDM_OK);
    CU_ASSERT(!leaks(v->data, v->len));
    pdm_tree_value_free(v);
    e.struct_size = sizeof e;
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ro, "test.server", PDM_OP_GET,
                                    "./Vendor/Color"),
                    PDM_OK);
    CU_ASSERT(rows(ro) > 0);
    c.struct_size = sizeof c;
    CU_ASSERT_EQUAL(pdm_ctx_audit_verify(&c, ro), PDM_OK);
    /* the one write is refused */
    r.struct_size = sizeof r;
    CU_ASSERT_EQUAL(pdm_ctx_tree_import(ro, NULL, (const uint8_t *)add_doc,
                                        strlen(add_doc), &r),
                    PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "read-only"));
    PDM_ASSERT_STR(r.component, "core");
    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ro, "./New"), PDM_ENOTFOUND);
    pdm_ctx_close(ro);
    pdm_ctx_close(rw);
}

typedef struct last {
    char op[32], uri[128], decision[16], component[96];
} last;

static int last_cb(void *user, const pdm_audit_row *r)
{
    last *l = user;
    snprintf(l->op, sizeof l->op, "%s", r->op);
    snprintf(l->uri, sizeof l->uri, "%s", r->uri ? r->uri : "");
    snprintf(l->decision, sizeof l->decision, "%s", r->decision);
    snprintf(l->component, sizeof l->component, "%s", r->component);
    return 0;
}

/* A policy that denies reads of ./Vendor/Color (fx-policy, decision
 * DENY): every read call says PDM_EDENIED, the denial is audited with the
 * deciding component, and a walk shows the leaf without its value. */
static void test_read__policy(void)
{
    pdm_ctx *ctx = fresh("policy", "[plugin fx-policy]\noption.mode = decision\n"
                                   "option.decision = 2\n"
                                   "option.prefix = ./Vendor/Color\n",
                         0);
    pdm_tree_value *v = NULL;
    pdm_explanation e;
    pdm_node_info n;
    seen s;
    last l;

    CU_ASSERT_EQUAL(pdm_ctx_tree_get(&v, ctx, "./Vendor/Color"), PDM_EDENIED);
    memset(&l, 0, sizeof l);
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, last_cb, &l), PDM_OK);
    PDM_ASSERT_STR(l.op, "Get");
    PDM_ASSERT_STR(l.uri, "./Vendor/Color");
    PDM_ASSERT_STR(l.decision, "deny");
    PDM_ASSERT_STR(l.component, "policy:fx-policy/check");
    n.struct_size = sizeof n;
    CU_ASSERT_EQUAL(pdm_ctx_node_info(&n, ctx, "./Vendor/Color"), PDM_EDENIED);
    e.struct_size = sizeof e;
    CU_ASSERT_EQUAL(pdm_ctx_explain(&e, ctx, NULL, PDM_OP_GET,
                                    "./Vendor/Color"),
                    PDM_EDENIED);
    PDM_ASSERT_STR(e.component, "policy:fx-policy/check");
    memset(&s, 0, sizeof s);
    CU_ASSERT_EQUAL(pdm_ctx_tree_walk(ctx, "./Vendor", 1, PDM_WALK_VALUES,
                                      collect, &s),
                    PDM_OK);
    PDM_ASSERT_STR(s.text, "0 ./Vendor\n1 ./Vendor/Color\n1 ./Vendor/Locked\n");
    pdm_ctx_close(ctx);
}

/* ---- helpers without a context ---------------------------------------------------- */

static void test_read__uri_and_format(void)
{
    char buf[64], tiny[4];
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, "./A/B"), PDM_OK);
    PDM_ASSERT_STR(buf, "A/B");
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, "A/B?prop=ACL"), PDM_OK);
    PDM_ASSERT_STR(buf, "A/B");
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, "."), PDM_OK);
    PDM_ASSERT_STR(buf, ".");
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, "a//b"), PDM_EINVAL);
    CU_ASSERT_NOT_EQUAL(buf[0], '\0');
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, "A?prop=Bogus"),
                    PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm_uri_canonical(tiny, sizeof tiny, "./Vendor"),
                    PDM_ETOOLONG);
    CU_ASSERT_EQUAL(pdm_uri_canonical(buf, sizeof buf, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_uri_canonical(NULL, 0, "."), PDM_EINVAL);
    PDM_ASSERT_STR(pdm_format_name(PDM_FORMAT_CHR), "chr");
    PDM_ASSERT_STR(pdm_format_name(PDM_FORMAT_NODE), "node");
    PDM_ASSERT_STR(pdm_format_name(9999), "unknown");
}

static const pdm_test tests[] = {
    {"get", test_read__get},
    {"node_info", test_read__node_info},
    {"walk", test_read__walk},
    {"export", test_read__export},
    {"import", test_read__import},
    {"explain", test_read__explain},
    {"audit", test_read__audit},
    {"readonly", test_read__readonly},
    {"policy", test_read__policy},
    {"uri_and_format", test_read__uri_and_format},
    {NULL, NULL}};

static const pdm_suite suites[] = {{"read", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
