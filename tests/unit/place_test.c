/*
 * Inbox placement (pdm__bs_place): where each MO of a bootstrap document
 * goes, the names it gets, the references rewritten, and every refusal,
 * asserted as exact URIs and values of the fragment afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "bootstrap/bootstrap.h"
#include "tree/tree.h"
#include "util/util.h"

#define CHR PDM_FORMAT_CHR
#define NODE PDM_FORMAT_NODE
#define ADD PDM_OP_ADD
#define REP PDM_OP_REPLACE

static const pdm__who SA = {PDM_PRINCIPAL_SERVER, "srvA", NULL, 0, NULL};

/* The standard top of the tree (as stdmo makes it) plus account acc0
 * (ServerID srvA); with_connmo adds ./ConnMO/Internet. */
static pdm__tree *tree(bool with_connmo)
{
    pdm__tree_config cfg;
    pdm__tree *t = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    if (pdm__tree_open(&t, &cfg, NULL, 0) != PDM_OK)
        abort();
    pdm__tree_put(t, "./DevInfo/Man", CHR, 0, NULL, NULL, (const uint8_t *)"Acme", 4, "factory");
    pdm__tree_put(t, "./DMAcc", NODE, PDM_NODE_PERMANENT, NULL, "Get=*", NULL, 0, "factory");
    pdm__tree_put(t, "./Inbox", NODE, PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY, "urn:oma:mo:oma-dm-inbox:1.0", NULL, NULL, 0, "factory");
    pdm__tree_put(t, "./DMAcc/acc0", NODE, 0, PDM__MOID_DMACC, NULL, NULL, 0, "factory");
    pdm__tree_put(t, "./DMAcc/acc0/ServerID", CHR, 0, NULL, NULL, (const uint8_t *)"srvA", 4, "factory");
    pdm__tree_put(t, "./DMAcc/acc0/Name", CHR, 0, NULL, NULL, (const uint8_t *)"A", 1, "factory");
    if (with_connmo)
        pdm__tree_put(t, "./ConnMO/Internet/Name", CHR, 0, NULL, NULL, (const uint8_t *)"old", 3, "factory");
    return t;
}

static void add(pdm__bs_frag *f, int op, const char *uri, uint32_t fmt,
                const char *type, const char *val)
{
    CU_ASSERT_EQUAL_FATAL(pdm__bs_frag_add(f, op, uri, fmt, type, NULL, val,
                                           val ? strlen(val) : 0), PDM_OK);
}

/* A DMAcc under @root with ServerID @sid and one address. */
static void account(pdm__bs_frag *f, const char *root, const char *sid)
{
    char u[128];
    add(f, ADD, root, NODE, PDM__MOID_DMACC, NULL);
    snprintf(u, sizeof u, "%s/AppID", root);
    add(f, ADD, u, CHR, NULL, "w7");
    snprintf(u, sizeof u, "%s/ServerID", root);
    add(f, ADD, u, CHR, NULL, sid);
    snprintf(u, sizeof u, "%s/AppAddr/1/Addr", root);
    add(f, ADD, u, CHR, NULL, "https://dm.example/x");
}

/* The fragment as "uri=value" lines (interior nodes as "uri/"). */
static char *dump(const pdm__bs_frag *f)
{
    pdm__buf b;
    pdm__buf_init(&b);
    for (size_t i = 0; i < f->n; i++) {
        const pdm__bs_node *x = &f->v[i];
        pdm__buf_puts(&b, x->uri);
        if (x->format == NODE)
            pdm__buf_puts(&b, "/");
        else
            pdm__buf_printf(&b, "=%.*s", (int)x->len, x->data ? (const char *)x->data : "");
        pdm__buf_puts(&b, "\n");
    }
    return (char *)pdm__buf_steal(&b, NULL);
}

static void assert_dump(const pdm__bs_frag *f, const char *want)
{
    char *d = dump(f);
    PDM_ASSERT_STR(d, want);
    if (d && strcmp(d, want))
        fprintf(stderr, "\n--- got\n%s--- want\n%s", d, want);
    pdm__free(d);
}

static int place(pdm__tree *t, pdm__bs_frag *f, bool repl,
                 pdm__bs_placed *p, char *err)
{
    return pdm__bs_place(t, f, repl, p, err, 256);
}

static void test_place__dmacc_unique_x(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__tree_put(t, "./DMAcc/1/ServerID", CHR, 0, NULL, NULL, (const uint8_t *)"srvOne", 6, "factory");
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/1", "srvNew");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/2/\n./DMAcc/2/AppID=w7\n./DMAcc/2/ServerID=srvNew\n"
                    "./DMAcc/2/AppAddr/1/Addr=https://dm.example/x\n");
    CU_ASSERT_EQUAL_FATAL(p.nmos, 1);
    CU_ASSERT_EQUAL(p.mos[0].kind, PDM__BS_MO_DMACC);
    PDM_ASSERT_STR(p.mos[0].from, "./Inbox/1");
    PDM_ASSERT_STR(p.mos[0].root, "./DMAcc/2");
    PDM_ASSERT_STR(p.mos[0].server_id, "srvNew");
    PDM_ASSERT_STR(p.mos[0].address, "https://dm.example/x");
    CU_ASSERT_PTR_NULL(p.mos[0].replaces);
    PDM_ASSERT_STR(p.dropped, "");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__dmacc_name_kept(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/MyAcc", "srvNew");
    account(&f, "./DMAcc/acc0", "srvOther"); /* direct, name taken → "1" */
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/MyAcc/\n./DMAcc/MyAcc/AppID=w7\n./DMAcc/MyAcc/ServerID=srvNew\n"
                    "./DMAcc/MyAcc/AppAddr/1/Addr=https://dm.example/x\n"
                    "./DMAcc/1/\n./DMAcc/1/AppID=w7\n./DMAcc/1/ServerID=srvOther\n"
                    "./DMAcc/1/AppAddr/1/Addr=https://dm.example/x\n");
    CU_ASSERT_EQUAL_FATAL(p.nmos, 2);
    PDM_ASSERT_STR(p.mos[0].root, "./DMAcc/MyAcc");
    PDM_ASSERT_STR(p.mos[1].from, "./DMAcc/acc0");
    PDM_ASSERT_STR(p.mos[1].root, "./DMAcc/1");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__existing_server_id(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/New", "srvA");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EEXISTS);
    PDM_ASSERT_STR(err, "DMAcc ./Inbox/New: ServerID 'srvA' belongs to the existing account ./DMAcc/acc0");
    CU_ASSERT_EQUAL(p.nmos, 0);
    pdm__bs_frag_free(&f);

    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/New", "srvA");
    CU_ASSERT_EQUAL(place(t, &f, true, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/acc0/\n./DMAcc/acc0/AppID=w7\n./DMAcc/acc0/ServerID=srvA\n"
                    "./DMAcc/acc0/AppAddr/1/Addr=https://dm.example/x\n");
    CU_ASSERT_EQUAL_FATAL(p.nmos, 1);
    PDM_ASSERT_STR(p.mos[0].root, "./DMAcc/acc0");
    PDM_ASSERT_STR(p.mos[0].replaces, "./DMAcc/acc0");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    /* the tree itself was not touched */
    CU_ASSERT_EQUAL(pdm__node_child_count(pdm__tree_lookup(t, "./DMAcc/acc0")), 2);
    pdm__tree_free(t);
}

static void test_place__connmo_rename_and_refs(void)
{
    pdm__tree *t = tree(true);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Internet", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./Inbox/Internet/Name", CHR, NULL, "net");
    add(&f, ADD, "./Inbox/WAP", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./Inbox/WAP/ProxyRef", CHR, NULL, "./Inbox/Internet");
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Acc/PrefConRef", CHR, NULL, "./Inbox/Internet");
    add(&f, ADD, "./Inbox/Acc/ToConRef/a/ConRef", CHR, NULL, "./Inbox/WAP");
    add(&f, ADD, "./Inbox/Acc/ToConRef/b/ConRef", CHR, NULL, "./Inbox/Internet/Name");
    add(&f, ADD, "./Inbox/Acc/Name", CHR, NULL, "./Inboxed"); /* not a reference */
    add(&f, ADD, "./Inbox/Acc/Ext/Impl", CHR, NULL, "GPRS-1"); /* an implementation id */
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f,
                "./ConnMO/Internet-2/\n./ConnMO/Internet-2/Name=net\n"
                "./ConnMO/WAP/\n./ConnMO/WAP/ProxyRef=./ConnMO/Internet-2\n"
                "./DMAcc/Acc/\n./DMAcc/Acc/AppID=w7\n./DMAcc/Acc/ServerID=srvNew\n"
                "./DMAcc/Acc/AppAddr/1/Addr=https://dm.example/x\n"
                "./DMAcc/Acc/PrefConRef=./ConnMO/Internet-2\n"
                "./DMAcc/Acc/ToConRef/a/ConRef=./ConnMO/WAP\n"
                "./DMAcc/Acc/ToConRef/b/ConRef=./ConnMO/Internet-2/Name\n"
                "./DMAcc/Acc/Name=./Inboxed\n./DMAcc/Acc/Ext/Impl=GPRS-1\n");
    CU_ASSERT_EQUAL_FATAL(p.nmos, 3);
    CU_ASSERT_EQUAL(p.mos[0].kind, PDM__BS_MO_CONNMO);
    PDM_ASSERT_STR(p.mos[0].root, "./ConnMO/Internet-2");
    PDM_ASSERT_STR(p.mos[1].root, "./ConnMO/WAP");
    CU_ASSERT_PTR_NULL(p.mos[1].server_id);
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);

    /* a second document MO with the same name, and an escaped reference */
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Internet", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./ConnMO/Internet-2", NODE, NULL, NULL);
    add(&f, ADD, "./ConnMO/Internet-2/Ref", CHR, NULL, "./Inbox/%49nternet");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./ConnMO/Internet-2/\n./ConnMO/Internet-2-2/\n"
                    "./ConnMO/Internet-2-2/Ref=./ConnMO/Internet-2\n");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__connmo_created(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Net", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./Inbox/Net/Name", CHR, NULL, "n");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./ConnMO/\n./ConnMO/Net/\n./ConnMO/Net/Name=n\n");
    CU_ASSERT_PTR_NULL(f.v[0].acl);
    CU_ASSERT_PTR_NULL(f.v[0].type);
    CU_ASSERT_EQUAL(f.v[0].op, ADD);
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);

    /* the document's own ./ConnMO is kept, not doubled; an existing
     * ./DMAcc and the ./Inbox container are left out */
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox", NODE, NULL, NULL);
    add(&f, ADD, "./DMAcc", NODE, NULL, NULL);
    add(&f, ADD, "./ConnMO", NODE, NULL, NULL);
    add(&f, ADD, "./ConnMO/Net", NODE, NULL, NULL);
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./ConnMO/\n./ConnMO/Net/\n");
    CU_ASSERT_EQUAL(p.nmos, 1);
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__account_renamed_ref(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./DMAcc/acc0", "srvB"); /* acc0 is taken by srvA */
    add(&f, ADD, "./Inbox/Net", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./Inbox/Net/Ext/Owner", CHR, NULL, "./DMAcc/acc0/AppAddr/1");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./ConnMO/\n./DMAcc/1/\n./DMAcc/1/AppID=w7\n./DMAcc/1/ServerID=srvB\n"
                    "./DMAcc/1/AppAddr/1/Addr=https://dm.example/x\n"
                    "./ConnMO/Net/\n./ConnMO/Net/Ext/Owner=./DMAcc/1/AppAddr/1\n");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__unknown_mo_dropped(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Foo", NODE, "urn:foo", NULL);
    add(&f, ADD, "./Inbox/Foo/x", CHR, NULL, "1");
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Bar/y", CHR, NULL, "2");
    /* no Type, but AppID w7 and a ServerID: a DMAcc (lenient) */
    add(&f, ADD, "./Inbox/Old/AppID", CHR, NULL, "w7");
    add(&f, ADD, "./Inbox/Old/ServerID", CHR, NULL, "srvOld");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/Acc/\n./DMAcc/Acc/AppID=w7\n./DMAcc/Acc/ServerID=srvNew\n"
                    "./DMAcc/Acc/AppAddr/1/Addr=https://dm.example/x\n"
                    "./DMAcc/Old/AppID=w7\n./DMAcc/Old/ServerID=srvOld\n");
    PDM_ASSERT_STR(p.dropped, "./Inbox/Foo: unknown MO id 'urn:foo'\n./Inbox/Bar: no MO id");
    CU_ASSERT_EQUAL_FATAL(p.nmos, 2);
    PDM_ASSERT_STR(p.mos[1].root, "./DMAcc/Old");
    CU_ASSERT_PTR_NULL(p.mos[1].address);
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);

    /* a reference to a dropped MO dangles */
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Foo", NODE, "urn:foo", NULL);
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Acc/PrefConRef", CHR, NULL, "./Inbox/Foo");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "./DMAcc/Acc/PrefConRef names ./Inbox/Foo, which the document does not place");
    CU_ASSERT_EQUAL(p.nmos, 0);
    PDM_ASSERT_STR(p.dropped, "./Inbox/Foo: unknown MO id 'urn:foo'");
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__dangling_inbox_ref(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Acc/PrefConRef", CHR, NULL, "./Inbox/Nowhere");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "./DMAcc/Acc/PrefConRef names ./Inbox/Nowhere, which the document does not place");
    pdm__bs_frag_free(&f);

    /* not a valid URI, but an Inbox reference all the same */
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Acc/PrefConRef", CHR, NULL, "./Inbox/I\x01net");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "./DMAcc/Acc/PrefConRef names ./Inbox with an invalid URI");
    pdm__bs_frag_free(&f);

    /* a secret value is never read as a reference, nor shown */
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/Acc", "srvNew");
    add(&f, ADD, "./Inbox/Acc/AppAuth/1/AAuthSecret", CHR, NULL, "./Inbox/Acc");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    CU_ASSERT_EQUAL(f.n, 5);
    CU_ASSERT_STRING_EQUAL((const char *)f.v[4].data, "./Inbox/Acc");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__duplicate_server_id(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/A", "srvNew");
    account(&f, "./Inbox/B", "srvNew");
    CU_ASSERT_EQUAL(place(t, &f, true, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "ServerID 'srvNew' is given to two accounts: ./Inbox/A and ./Inbox/B");
    pdm__bs_frag_free(&f);

    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/A", NODE, PDM__MOID_DMACC, NULL);
    add(&f, ADD, "./Inbox/A/AppID", CHR, NULL, "w7");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "DMAcc ./Inbox/A has no ServerID");
    pdm__bs_frag_free(&f);

    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/A", "bad id");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    CU_ASSERT_STRING_EQUAL(strstr(err, "DMAcc ./Inbox/A: ") ? "found" : err, "found");
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__duplicate_dynamic_names(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/TestAcc", "funambol");
    add(&f, ADD, "./Inbox/TestAcc/AppAuth", NODE, NULL, NULL);
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client", NODE, NULL, NULL);
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client/AAuthLevel", CHR, NULL, "CLCRED");
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client", NODE, NULL, NULL);
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client/AAuthLevel", CHR, NULL, "SRVCRED");
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client", NODE, NULL, NULL);
    add(&f, ADD, "./Inbox/TestAcc/AppAuth/Client/AAuthLevel", CHR, NULL, "HTTP");
    add(&f, REP, "./Inbox/TestAcc/AppAuth/Client/AAuthLevel", CHR, NULL, "OBEX");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/TestAcc/\n./DMAcc/TestAcc/AppID=w7\n./DMAcc/TestAcc/ServerID=funambol\n"
                    "./DMAcc/TestAcc/AppAddr/1/Addr=https://dm.example/x\n"
                    "./DMAcc/TestAcc/AppAuth/\n./DMAcc/TestAcc/AppAuth/Client/\n"
                    "./DMAcc/TestAcc/AppAuth/Client/AAuthLevel=CLCRED\n"
                    "./DMAcc/TestAcc/AppAuth/Client-2/\n"
                    "./DMAcc/TestAcc/AppAuth/Client-2/AAuthLevel=SRVCRED\n"
                    "./DMAcc/TestAcc/AppAuth/Client-3/\n"
                    "./DMAcc/TestAcc/AppAuth/Client-3/AAuthLevel=OBEX\n");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);

    /* a repeated leaf, or a repeat outside the dynamic lists */
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/A", "srvNew");
    add(&f, ADD, "./Inbox/A/Name", CHR, NULL, "x");
    add(&f, ADD, "./Inbox/A/Name", CHR, NULL, "y");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "./Inbox/A/Name is added twice");
    pdm__bs_frag_free(&f);
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/N", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, ADD, "./Inbox/N/AppAuth/c", NODE, NULL, NULL);
    add(&f, ADD, "./Inbox/N/AppAuth/c", NODE, NULL, NULL);
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "./Inbox/N/AppAuth/c is added twice");
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__refusals(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    static const struct {
        int op;
        const char *uri;
        int rc;
        const char *err;
    } cases[] = {
        {REP, "./DMAcc/acc0/Name", PDM_EEXISTS, "Replace ./DMAcc/acc0/Name: ./DMAcc/acc0 exists, a bootstrap never merges into existing data"},
        {ADD, "./DMAcc/acc0/Name", PDM_EEXISTS, "Add ./DMAcc/acc0/Name: ./DMAcc/acc0 exists, a bootstrap never merges into existing data"},
        {REP, "./DevInfo/Man", PDM_EEXISTS, "./DevInfo/Man exists: a bootstrap never changes existing data"},
        {ADD, "./DevInfo/Man", PDM_EEXISTS, "./DevInfo/Man exists: a bootstrap never changes existing data"},
        {ADD, "./Foo/Bar", PDM_EFORMAT, "./Foo/Bar is outside any MO the device can place"},
        {ADD, "./Foo", PDM_EFORMAT, "./Foo is outside any MO the device can place"},
        {ADD, "./DMAcc/x?prop=ACL", PDM_EFORMAT, NULL},
        {ADD, "./A//B", PDM_EFORMAT, NULL},
        {ADD, ".", PDM_EFORMAT, ".: a bootstrap never adds the root"},
        {REP, "./DMAcc", PDM_EEXISTS, "./DMAcc: a bootstrap never replaces existing data"},
        {PDM_OP_DELETE, "./DMAcc/acc0", PDM_EFORMAT, "./DMAcc/acc0: a bootstrap only adds"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pdm__bs_frag_init(&f);
        add(&f, cases[k].op, cases[k].uri, CHR, NULL, "v");
        CU_ASSERT_EQUAL(place(t, &f, false, &p, err), cases[k].rc);
        if (cases[k].err) {
            PDM_ASSERT_STR(err, cases[k].err);
        } else {
            CU_ASSERT_NOT_EQUAL(err[0], '\0');
        }
        CU_ASSERT_EQUAL(p.nmos, 0);
        pdm__bs_frag_free(&f);
    }
    /* a Replace of a node the document adds sets its value */
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/A", "srvNew");
    add(&f, REP, "./Inbox/A/ServerID", CHR, NULL, "srvNewer");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DMAcc/A/\n./DMAcc/A/AppID=w7\n./DMAcc/A/ServerID=srvNewer\n"
                    "./DMAcc/A/AppAddr/1/Addr=https://dm.example/x\n");
    PDM_ASSERT_STR(p.mos[0].server_id, "srvNewer");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/X", NODE, PDM__MOID_CONNMO, NULL);
    add(&f, REP, "./Inbox/X/Name", CHR, NULL, "v");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "Replace ./Inbox/X/Name: the document does not add that node");
    pdm__bs_frag_free(&f);
    /* a new node under a known location is added where it is */
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./DevInfo/Ext/Boot", CHR, NULL, "1");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    assert_dump(&f, "./DevInfo/Ext/Boot=1\n");
    CU_ASSERT_EQUAL(p.mos[0].kind, PDM__BS_MO_OTHER);
    PDM_ASSERT_STR(p.mos[0].root, "./DevInfo/Ext");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__limits(void)
{
    pdm__tree *t = tree(true);
    pdm__bs_frag f;
    pdm__bs_placed p;
    char err[256];
    pdm__uri_limits lim = {0, 0, 9};
    pdm__tree_set_limits(t, &lim);
    pdm__bs_frag_init(&f);
    add(&f, ADD, "./Inbox/Internet", NODE, PDM__MOID_CONNMO, NULL);
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "./Inbox/Internet cannot be placed"));
    pdm__bs_frag_free(&f);
    /* a DMAcc name too long for the tree gets a decimal one */
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/VeryLongName", "srvNew");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    PDM_ASSERT_STR(p.mos[0].root, "./DMAcc/1");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_place__inbox_get_405(void)
{
    pdm__tree *t = tree(false);
    pdm__bs_frag f;
    pdm__bs_placed p;
    pdm__tree_result r;
    pdm__decision d;
    char err[256];
    pdm__bs_frag_init(&f);
    account(&f, "./Inbox/A", "srvNew");
    CU_ASSERT_EQUAL(place(t, &f, false, &p, err), PDM_OK);
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__tree_get(t, &SA, "./Inbox", &r, &d), PDM_ENOTALLOWED);
    PDM_ASSERT_STR(d.rule, "inbox");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./Inbox/A"));
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./DMAcc/A"));
    pdm__tree_result_free(&r);
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static const pdm_test tests[] = {
    {"dmacc_unique_x", test_place__dmacc_unique_x},
    {"dmacc_name_kept", test_place__dmacc_name_kept},
    {"existing_server_id", test_place__existing_server_id},
    {"connmo_rename_and_refs", test_place__connmo_rename_and_refs},
    {"connmo_created", test_place__connmo_created},
    {"account_renamed_ref", test_place__account_renamed_ref},
    {"unknown_mo_dropped", test_place__unknown_mo_dropped},
    {"dangling_inbox_ref", test_place__dangling_inbox_ref},
    {"duplicate_server_id", test_place__duplicate_server_id},
    {"duplicate_dynamic_names", test_place__duplicate_dynamic_names},
    {"refusals", test_place__refusals},
    {"limits", test_place__limits},
    {"inbox_get_405", test_place__inbox_get_405},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"place", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
