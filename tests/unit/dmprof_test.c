/*
 * DM-profile bootstrap decoding (pdm__dmprof_decode) and its placement:
 * Funambol's message byte for byte, an XML message with TNDS for a DMAcc
 * and a ConnMO (facts §8.1), a WBXML TNDS in base64, every refusal with
 * its message, truncations, limits, and secrets never in an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "auth/auth.h"
#include "bootstrap/bootstrap.h"
#include "tree/tnds.h"
#include "tree/tree.h"
#include "util/util.h"

#define HDR                                                                   \
    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>"          \
    "<VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>0</MsgID>"     \
    "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>srv</LocURI>"    \
    "</Source></SyncHdr><SyncBody>"
#define END "<Final/></SyncBody></SyncML>"
#define MI(x) " xmlns='syncml:metinf'>" x
#define TNDS_META                                                             \
    "<Meta><Format" MI("xml</Format>") "<Type" MI(PDM_MIME_TNDS_XML "</Type>") \
    "</Meta>"

static pdm__tree *tree(void)
{
    pdm__tree_config cfg;
    pdm__tree *t = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    if (pdm__tree_open(&t, &cfg, NULL, 0) != PDM_OK)
        abort();
    pdm__tree_put(t, "./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, "Get=*", NULL, 0, "factory");
    pdm__tree_put(t, "./Inbox", PDM_FORMAT_NODE, PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY, "urn:oma:mo:oma-dm-inbox:1.0", NULL, NULL, 0, "factory");
    pdm__tree_put(t, "./ConnMO/Internet/Name", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"old", 3, "factory");
    return t;
}

/* The fragment as lines "op uri format [type] [acl] [=value]". */
static char *dump(const pdm__bs_frag *f)
{
    pdm__buf b;
    pdm__buf_init(&b);
    for (size_t i = 0; i < f->n; i++) {
        const pdm__bs_node *x = &f->v[i];
        pdm__buf_printf(&b, "%s %s %s", x->op == PDM_OP_ADD ? "A" : "R", x->uri,
                        pdm__format_name(x->format));
        if (x->type)
            pdm__buf_printf(&b, " type=%s", x->type);
        if (x->acl)
            pdm__buf_printf(&b, " acl=%s", x->acl);
        if (x->data)
            pdm__buf_printf(&b, " =%.*s", (int)x->len, (const char *)x->data);
        if (x->secret)
            pdm__buf_puts(&b, " (secret)");
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

static int decode_str(const char *xml, pdm__bs_frag *f, char *err)
{
    pdm__bs_frag_init(f);
    return pdm__dmprof_decode((const uint8_t *)xml, strlen(xml), false, f, err, 256);
}

#define TP " type=text/plain"
#define FA "./Inbox/TestAcc"

static void test_dmprof__funambol(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/transcripts/funambol_dm_profile_bootstrap.wbxml", &n);
    pdm__bs_frag f;
    pdm__bs_placed p;
    pdm__tree *t = tree();
    char err[256];
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL_FATAL(pdm__dmprof_decode(buf, n, true, &f, err, sizeof err), PDM_OK);
    assert_dump(&f,
        "A " FA " node type=org.openmobilealliance/1.0/w7\n"
        "A " FA "/AppID chr" TP " =org.openmobilealliance/1.0/w7\n"
        "A " FA "/ServerID chr" TP " =funambol\n"
        "A " FA "/Name chr" TP " =TestAcc\n"
        "A " FA "/AppAddr node" TP "\n"
        "A " FA "/AppAddr/TestAcc node" TP "\n"
        "A " FA "/AppAddr/TestAcc/Addr chr" TP " =http://127.0.0.1:18081/funambol/dm\n"
        "A " FA "/AppAddr/TestAcc/AddrType chr" TP " =1\n"
        "A " FA "/AppAddr/TestAcc/Port node" TP "\n"
        "A " FA "/AppAddr/TestAcc/Port/PortNbr int" TP " =18081\n"
        "A " FA "/AAuthPref chr" TP " =DIGEST\n"
        "A " FA "/AppAuth node" TP "\n"
        "A " FA "/AppAuth/Client node" TP "\n"
        "A " FA "/AppAuth/Client/AAuthType chr" TP " =DIGEST\n"
        "A " FA "/AppAuth/Client/AAuthName chr" TP " =http://127.0.0.1:18081/funambol/dm\n"
        "A " FA "/AppAuth/Client/AAuthSecret chr" TP " =srvpwd (secret)\n"
        "A " FA "/AppAuth/Client/AAuthData chr" TP " =c3J2bm9uY2U= (secret)\n"
        "A " FA "/AppAuth/Client/AAuthLevel chr" TP " =CLCRED\n"
        "A " FA "/AppAuth/Client node" TP "\n"
        "A " FA "/AppAuth/Client/AAuthType chr" TP " =DIGEST\n"
        "A " FA "/AppAuth/Client/AAuthName chr" TP " =http://127.0.0.1:18081/funambol/dm\n"
        "A " FA "/AppAuth/Client/AAuthSecret chr" TP " =srvpwd (secret)\n"
        "A " FA "/AppAuth/Client/AAuthData chr" TP " =c3J2bm9uY2U= (secret)\n"
        "A " FA "/AppAuth/Client/AAuthLevel chr" TP " =SRVCRED\n");

    CU_ASSERT_EQUAL_FATAL(pdm__bs_place(t, &f, false, &p, err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(p.nmos, 1);
    CU_ASSERT_EQUAL(p.mos[0].kind, PDM__BS_MO_DMACC);
    PDM_ASSERT_STR(p.mos[0].root, "./DMAcc/TestAcc");
    PDM_ASSERT_STR(p.mos[0].server_id, "funambol");
    PDM_ASSERT_STR(p.mos[0].address, "http://127.0.0.1:18081/funambol/dm");
    CU_ASSERT_EQUAL_FATAL(f.n, 24);
    PDM_ASSERT_STR(f.v[12].uri, "./DMAcc/TestAcc/AppAuth/Client");
    PDM_ASSERT_STR(f.v[17].uri, "./DMAcc/TestAcc/AppAuth/Client/AAuthLevel");
    CU_ASSERT_STRING_EQUAL((const char *)f.v[17].data, "CLCRED");
    PDM_ASSERT_STR(f.v[18].uri, "./DMAcc/TestAcc/AppAuth/Client-2");
    PDM_ASSERT_STR(f.v[21].uri, "./DMAcc/TestAcc/AppAuth/Client-2/AAuthSecret");
    CU_ASSERT_TRUE(f.v[21].secret);
    PDM_ASSERT_STR(f.v[23].uri, "./DMAcc/TestAcc/AppAuth/Client-2/AAuthLevel");
    CU_ASSERT_STRING_EQUAL((const char *)f.v[23].data, "SRVCRED");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);

    /* every truncation is refused, none crashes (but the last byte: a
     * stray END after the root, see wbxml_test) */
    for (size_t k = 0; k + 1 < n; k++) {
        pdm__bs_frag_init(&f);
        int rc = pdm__dmprof_decode(buf, k, true, &f, err, sizeof err);
        CU_ASSERT_TRUE(rc == PDM_EPARSE || rc == PDM_EFORMAT);
        if (rc == PDM_OK)
            fprintf(stderr, "truncated at %zu accepted\n", k);
        pdm__bs_frag_free(&f);
    }
    /* and the WBXML as XML is not a message */
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__dmprof_decode(buf, n, false, &f, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed DM-profile message (line "));
    pdm__bs_frag_free(&f);
    free(buf);
    pdm__tree_free(t);
}

/* facts §8.1: a DMAcc and a ConnMO in the Inbox, the account's
 * PrefConRef naming the ConnMO as ./Inbox/Internet. */
static const char INBOX_MSG[] =
    HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target>" TNDS_META
    "<Data><MgmtTree xmlns='syncml:dmddf1.2'><VerDTD>1.2</VerDTD>"
    "<Node><NodeName>Internet</NodeName><RTProperties><Format><node/></Format>"
    "<Type><DDFName>urn:oma:mo:oma-dm-connmo:1.0</DDFName></Type></RTProperties>"
    "<Node><NodeName>Name</NodeName><Value>Operator net</Value></Node></Node>"
    "<Node><NodeName>Srv</NodeName><RTProperties><Format><node/></Format>"
    "<ACL>Get=srv.example&amp;Replace=srv.example</ACL>"
    "<Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0</DDFName></Type></RTProperties>"
    "<Node><NodeName>AppID</NodeName><Value>w7</Value></Node>"
    "<Node><NodeName>ServerID</NodeName><Value>srv.example</Value></Node>"
    "<Node><NodeName>PrefConRef</NodeName><Value>./Inbox/Internet</Value></Node>"
    "<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName>"
    "<Node><NodeName>Addr</NodeName><Value>https://dm.example/</Value></Node></Node></Node>"
    "<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>TopSecret1</Value></Node>"
    "<Node><NodeName>AAuthData</NodeName><RTProperties><Format><bin/></Format></RTProperties>"
    "<Value>AAEC</Value></Node></Node></Node>"
    "</Node></MgmtTree></Data></Item></Add>"
    "<Atomic><CmdID>2</CmdID><Sequence><CmdID>3</CmdID>"
    "<Replace><CmdID>4</CmdID><Meta><Format" MI("chr</Format>") "</Meta>"
    "<Item><Target><LocURI>./Inbox/Internet/Name</LocURI></Target><Data>Example</Data></Item></Replace>"
    "</Sequence></Atomic>" END;

static void test_dmprof__xml_inbox(void)
{
    pdm__bs_frag f;
    pdm__bs_placed p;
    pdm__tree *t = tree();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(decode_str(INBOX_MSG, &f, err), PDM_OK);
    assert_dump(&f,
        "A ./Inbox/Internet node type=urn:oma:mo:oma-dm-connmo:1.0\n"
        "A ./Inbox/Internet/Name chr =Operator net\n"
        "A ./Inbox/Srv node type=urn:oma:mo:oma-dm-dmacc:1.0 acl=Get=srv.example&Replace=srv.example\n"
        "A ./Inbox/Srv/AppID chr =w7\n"
        "A ./Inbox/Srv/ServerID chr =srv.example\n"
        "A ./Inbox/Srv/PrefConRef chr =./Inbox/Internet\n"
        "A ./Inbox/Srv/AppAddr node\n"
        "A ./Inbox/Srv/AppAddr/1 node\n"
        "A ./Inbox/Srv/AppAddr/1/Addr chr =https://dm.example/\n"
        "A ./Inbox/Srv/AppAuth node\n"
        "A ./Inbox/Srv/AppAuth/1 node\n"
        "A ./Inbox/Srv/AppAuth/1/AAuthSecret chr =TopSecret1 (secret)\n"
        "A ./Inbox/Srv/AppAuth/1/AAuthData bin = (secret)\n"
        "R ./Inbox/Internet/Name chr =Example\n");
    /* the AAuthData bytes: base64 in XML TNDS */
    CU_ASSERT_EQUAL(f.v[12].len, 3);
    CU_ASSERT_EQUAL(memcmp(f.v[12].data, "\x00\x01\x02", 3), 0);
    CU_ASSERT_EQUAL_FATAL(pdm__bs_place(t, &f, false, &p, err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(p.nmos, 2);
    PDM_ASSERT_STR(p.mos[0].root, "./ConnMO/Internet-2");
    PDM_ASSERT_STR(p.mos[1].root, "./DMAcc/Srv");
    PDM_ASSERT_STR(p.mos[1].server_id, "srv.example");
    PDM_ASSERT_STR(p.mos[1].address, "https://dm.example/");
    PDM_ASSERT_STR(f.v[5].uri, "./DMAcc/Srv/PrefConRef");
    CU_ASSERT_STRING_EQUAL((const char *)f.v[5].data, "./ConnMO/Internet-2");
    PDM_ASSERT_STR(f.v[2].acl, "Get=srv.example&Replace=srv.example");
    /* the Replace of a node the document adds sets its value */
    CU_ASSERT_EQUAL(f.n, 13);
    CU_ASSERT_STRING_EQUAL((const char *)f.v[1].data, "Example");
    pdm__bs_placed_free(&p);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
}

static void test_dmprof__b64_wbxml_tnds(void)
{
    /* a WBXML TNDS (exported by the tree) sent base64 in an XML message,
     * declared +xml as Funambol does */
    pdm__tree *src = tree(), *t = tree();
    pdm__tnds_opts o = {PDM_URI_LIST_TNDS, PDM_URI_PROP_BIT(PDM_URI_PROP_FORMAT) | PDM_URI_PROP_BIT(PDM_URI_PROP_TYPE) | PDM_URI_PROP_BIT(PDM_URI_PROP_VALUE), true, false, false, 0};
    pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
    pdm__decision d;
    pdm__buf w, b64, msg;
    pdm__bs_frag f;
    char err[256];
    pdm__tree_put(src, "./X/Net", PDM_FORMAT_NODE, 0, PDM__MOID_CONNMO, NULL, NULL, 0, "factory");
    pdm__tree_put(src, "./X/Net/Port", PDM_FORMAT_INT, 0, NULL, NULL, (const uint8_t *)"80", 2, "factory");
    pdm__buf_init(&w);
    pdm__buf_init(&b64);
    pdm__buf_init(&msg);
    CU_ASSERT_EQUAL_FATAL(pdm__tnds_export(src, &local, "X", &o, &w, &d), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__b64_encode(w.data, w.len, &b64), PDM_OK);
    pdm__buf_printf(&msg, HDR "<Add><CmdID>7</CmdID><Meta><Format" MI("b64</Format>") "<Type" MI(PDM_MIME_TNDS_XML "</Type>")
                    "</Meta><Item><Target><LocURI>./Inbox</LocURI></Target><Data>%s</Data></Item></Add>" END,
                    (const char *)b64.data);
    CU_ASSERT_EQUAL_FATAL(decode_str((const char *)msg.data, &f, err), PDM_OK);
    assert_dump(&f, "A ./Inbox/X node\n"
                    "A ./Inbox/X/Net node type=urn:oma:mo:oma-dm-connmo:1.0\n"
                    "A ./Inbox/X/Net/Port int =80\n");
    pdm__bs_frag_free(&f);
    /* not base64 */
    pdm__buf_reset(&msg);
    pdm__buf_printf(&msg, HDR "<Add><CmdID>7</CmdID><Meta><Format" MI("b64</Format>") "<Type" MI(PDM_MIME_TNDS_WBXML "</Type>")
                    "</Meta><Item><Target><LocURI>./Inbox</LocURI></Target><Data>!!</Data></Item></Add>" END);
    CU_ASSERT_EQUAL(decode_str((const char *)msg.data, &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "Add (CmdID 7) item 1 ./Inbox: the b64 TNDS is not base64");
    pdm__bs_frag_free(&f);
    /* a TNDS type over something else */
    pdm__buf_reset(&msg);
    pdm__buf_printf(&msg, HDR "<Add><CmdID>8</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target><Meta><Type"
                    MI(PDM_MIME_TNDS_XML "</Type>") "</Meta><Data>&lt;Other/&gt;</Data></Item></Add>" END);
    CU_ASSERT_EQUAL(decode_str((const char *)msg.data, &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "Add (CmdID 8) item 1 ./Inbox: Meta Type application/vnd.syncml.dmtnds+xml but no MgmtTree");
    pdm__bs_frag_free(&f);
    pdm__buf_free(&w);
    pdm__buf_free(&b64);
    pdm__buf_free(&msg);
    pdm__tree_free(src);
    pdm__tree_free(t);
}

static void test_dmprof__plain_items(void)
{
    pdm__bs_frag f;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(decode_str(HDR
        "<Add><CmdID>1</CmdID><Meta><Type" MI("urn:oma:mo:oma-dm-connmo:1.0</Type>") "</Meta>"
        "<Item><Target><LocURI>./Inbox/N</LocURI></Target></Item></Add>"
        "<Add><CmdID>2</CmdID><Item><Target><LocURI>./Inbox/N/%41</LocURI></Target><Data>v</Data></Item>"
        "<Item><Target><LocURI>Inbox/N/B</LocURI></Target><Meta><Format" MI("b64</Format>") "</Meta><Data>dg==</Data></Item>"
        "<Item><Target><LocURI>./Inbox/N/C</LocURI></Target><Meta><Format" MI("int</Format>") "</Meta><Data>5</Data></Item></Add>"
        END, &f, err), PDM_OK);
    assert_dump(&f, "A ./Inbox/N node type=urn:oma:mo:oma-dm-connmo:1.0\n"
                    "A ./Inbox/N/A chr =v\n"
                    "A ./Inbox/N/B b64 =dg==\n"
                    "A ./Inbox/N/C int =5\n");
    pdm__bs_frag_free(&f);

    static const struct {
        const char *body;
        int rc;
        const char *err;
    } bad[] = {
        {"<Add><CmdID>1</CmdID><Item><Data>v</Data></Item></Add>", PDM_EFORMAT,
         "Add (CmdID 1) item 1: no Target LocURI"},
        {"<Add><CmdID>1</CmdID></Add>", PDM_EFORMAT, "Add (CmdID 1) has no Item"},
        {"<Add><CmdID>1</CmdID><Item><Target><LocURI>./a//b</LocURI></Target></Item></Add>", PDM_EFORMAT, NULL},
        {"<Add><CmdID>1</CmdID><Item><Target><LocURI>./a?prop=ACL</LocURI></Target></Item></Add>", PDM_EFORMAT, NULL},
        {"<Replace><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target><Meta><Format" MI("float2</Format>")
         "</Meta><Data>1</Data></Item></Replace>", PDM_EFORMAT, "Replace (CmdID 1) item 1 ./a: unknown Meta Format 'float2'"},
        {"<Add><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target><Meta><Format" MI("node</Format>")
         "</Meta><Data>1</Data></Item></Add>", PDM_EFORMAT, "Add (CmdID 1) item 1 ./a: an interior node has Data"},
        {"<Add><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target><Data>1</Data><MoreData/></Item></Add>", PDM_EFORMAT,
         "Add (CmdID 1) item 1 ./a: a large object (MoreData) has no place in a bootstrap"},
        {"<Get><CmdID>3</CmdID><Item><Target><LocURI>./DevInfo</LocURI></Target></Item></Get>", PDM_EFORMAT,
         "Get (CmdID 3): a bootstrap message only adds and replaces"},
        {"<Add><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Add>"
         "<Delete><CmdID>4</CmdID><Item><Target><LocURI>./DMAcc/x</LocURI></Target></Item></Delete>", PDM_EFORMAT,
         "Delete (CmdID 4): a bootstrap message only adds and replaces"},
        {"<Sequence><CmdID>5</CmdID><Exec><CmdID>6</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Exec></Sequence>",
         PDM_EFORMAT, "Exec (CmdID 6): a bootstrap message only adds and replaces"},
        {"<Atomic><CmdID>5</CmdID><Copy><CmdID>6</CmdID></Copy></Atomic>", PDM_EFORMAT,
         "Copy (CmdID 6): a bootstrap message only adds and replaces"},
        {"<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>", PDM_EFORMAT, "Alert (CmdID 1): a bootstrap message only adds and replaces"},
        {"<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>", PDM_EFORMAT,
         "Status (CmdID 1): a bootstrap message only adds and replaces"},
        {"<Results><CmdID>1</CmdID></Results>", PDM_EFORMAT, "Results (CmdID 1): a bootstrap message only adds and replaces"},
        {"<Sync><CmdID>9</CmdID></Sync>", PDM_EFORMAT, "Sync (CmdID 9): a bootstrap message only adds and replaces"},
        {"<Map><CmdID>9</CmdID></Map>", PDM_EFORMAT, "Map (CmdID 9): a bootstrap message only adds and replaces"},
        {"<CmdID>9</CmdID>", PDM_EFORMAT, "CmdID (CmdID ): a bootstrap message only adds and replaces"},
        {"<Atomic><CmdID>1</CmdID><Final/></Atomic>", PDM_EFORMAT, "Final (CmdID ): a bootstrap message only adds and replaces"},
        {"<Atomic><Atomic><Atomic><Atomic><Atomic><CmdID>7</CmdID></Atomic></Atomic></Atomic></Atomic></Atomic>", PDM_ETOOBIG,
         "Atomic (CmdID 7): Atomic/Sequence nested more than 4 deep"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pdm__buf m;
        pdm__buf_init(&m);
        pdm__buf_printf(&m, HDR "%s" END, bad[k].body);
        CU_ASSERT_EQUAL(decode_str((const char *)m.data, &f, err), bad[k].rc);
        if (bad[k].err) {
            PDM_ASSERT_STR(err, bad[k].err);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "Add (CmdID 1) item 1 ./a"));
        }
        pdm__bs_frag_free(&f);
        pdm__buf_free(&m);
    }
}

static void test_dmprof__header(void)
{
    pdm__bs_frag f;
    char err[256];
    CU_ASSERT_EQUAL(decode_str("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.1</VerProto>"
                               "</SyncHdr><SyncBody>" END, &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "VerDTD '1.2' VerProto 'DM/1.1': a DM-profile bootstrap is VerDTD 1.2, VerProto DM/1.2");
    pdm__bs_frag_free(&f);
    CU_ASSERT_EQUAL(decode_str("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.1</VerDTD><VerProto>DM/1.2</VerProto>"
                               "</SyncHdr><SyncBody>" END, &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "VerDTD '1.1' VerProto 'DM/1.2': a DM-profile bootstrap is VerDTD 1.2, VerProto DM/1.2");
    pdm__bs_frag_free(&f);
    CU_ASSERT_EQUAL(decode_str("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD></SyncHdr><SyncBody>" END, &f, err),
                    PDM_EFORMAT);
    PDM_ASSERT_STR(err, "VerDTD '1.2' VerProto '': a DM-profile bootstrap is VerDTD 1.2, VerProto DM/1.2");
    pdm__bs_frag_free(&f);
    CU_ASSERT_EQUAL(decode_str("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody/></SyncML>", &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "not a SyncML message (SyncML with SyncHdr and SyncBody)");
    pdm__bs_frag_free(&f);
    CU_ASSERT_EQUAL(decode_str("<MgmtTree/>", &f, err), PDM_EFORMAT);
    pdm__bs_frag_free(&f);
    CU_ASSERT_EQUAL(decode_str(HDR "<Add>", &f, err), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed DM-profile message (line 1): "));
    pdm__bs_frag_free(&f);
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__dmprof_decode((const uint8_t *)"", 0, true, &f, err, sizeof err), PDM_EPARSE);
    CU_ASSERT_EQUAL(f.n, 0);
    pdm__bs_frag_free(&f);
}

static void test_dmprof__limits(void)
{
    pdm__buf m;
    pdm__bs_frag f;
    char err[256];
    pdm__buf_init(&m);
    pdm__buf_puts(&m, HDR "<Add><CmdID>1</CmdID>");
    for (int i = 0; i <= PDM__BS_MAX_NODES; i++)
        pdm__buf_printf(&m, "<Item><Target><LocURI>./Inbox/N/n%d</LocURI></Target><Data>v</Data></Item>", i);
    pdm__buf_puts(&m, "</Add>" END);
    CU_ASSERT_EQUAL(decode_str((const char *)m.data, &f, err), PDM_ETOOBIG);
    PDM_ASSERT_STR(err, "Add (CmdID 1) item 2049 ./Inbox/N/n2048: more than 2048 nodes");
    pdm__bs_frag_free(&f);
    pdm__buf_reset(&m);
    /* TNDS nesting past PDM__BS_MAX_DEPTH */
    pdm__buf_puts(&m, HDR "<Add><CmdID>2</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target>" TNDS_META
                  "<Data><MgmtTree xmlns='syncml:dmddf1.2'>");
    for (int i = 0; i < PDM__BS_MAX_DEPTH + 2; i++)
        pdm__buf_printf(&m, "<Node><NodeName>n%d</NodeName>", i);
    for (int i = 0; i < PDM__BS_MAX_DEPTH + 2; i++)
        pdm__buf_puts(&m, "</Node>");
    pdm__buf_puts(&m, "</MgmtTree></Data></Item></Add>" END);
    CU_ASSERT_EQUAL(decode_str((const char *)m.data, &f, err), PDM_EFORMAT);
    PDM_ASSERT_STR(err, "Add (CmdID 2) item 1 ./Inbox: TNDS: TNDS nesting is too deep");
    pdm__bs_frag_free(&f);
    pdm__buf_free(&m);
}

static void test_dmprof__secrets_not_in_err(void)
{
    static const char *const msgs[] = {
        /* a bin secret that is not base64 */
        HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target>" TNDS_META
        "<Data><MgmtTree xmlns='syncml:dmddf1.2'><Node><NodeName>A</NodeName>"
        "<Node><NodeName>AAuthData</NodeName><RTProperties><Format><bin/></Format></RTProperties>"
        "<Value>TopSecret!</Value></Node></Node></MgmtTree></Data></Item></Add>" END,
        /* a secret with a bad Format */
        HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox/A/AppAuth/1/AAuthSecret</LocURI></Target>"
        "<Meta><Format" MI("secret</Format>") "</Meta><Data>TopSecret!</Data></Item></Add>" END,
        /* a secret in an interior node */
        HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox/A/AAuthSecret</LocURI></Target>"
        "<Meta><Format" MI("node</Format>") "</Meta><Data>TopSecret!</Data></Item></Add>" END,
        /* a secret in a TNDS interior node */
        HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target>" TNDS_META
        "<Data><MgmtTree xmlns='syncml:dmddf1.2'><Node><NodeName>AAuthSecret</NodeName>"
        "<RTProperties><Format><node/></Format></RTProperties><Value>TopSecret!</Value></Node></MgmtTree></Data></Item></Add>" END,
    };
    for (size_t k = 0; k < sizeof msgs / sizeof msgs[0]; k++) {
        pdm__bs_frag f;
        char err[256];
        int rc = decode_str(msgs[k], &f, err);
        CU_ASSERT_NOT_EQUAL(rc, PDM_OK);
        CU_ASSERT_NOT_EQUAL(err[0], '\0');
        CU_ASSERT_PTR_NULL(strstr(err, "TopSecret"));
        pdm__bs_frag_free(&f);
    }
    /* decoded fine, refused by placement: still not in the message */
    {
        pdm__tree *t = tree();
        pdm__bs_frag f;
        pdm__bs_placed p;
        char err[256];
        CU_ASSERT_EQUAL_FATAL(decode_str(HDR "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Inbox/A</LocURI></Target>"
            "<Meta><Type" MI("urn:oma:mo:oma-dm-dmacc:1.0</Type>") "</Meta></Item>"
            "<Item><Target><LocURI>./Inbox/A/AppAuth/1/AAuthSecret</LocURI></Target><Data>TopSecret!</Data></Item></Add>" END,
            &f, err), PDM_OK);
        CU_ASSERT_EQUAL(pdm__bs_place(t, &f, false, &p, err, sizeof err), PDM_EFORMAT);
        PDM_ASSERT_STR(err, "DMAcc ./Inbox/A has no ServerID");
        pdm__bs_frag_free(&f);
        pdm__tree_free(t);
    }
}

static const pdm_test tests[] = {
    {"funambol", test_dmprof__funambol},
    {"xml_inbox", test_dmprof__xml_inbox},
    {"b64_wbxml_tnds", test_dmprof__b64_wbxml_tnds},
    {"plain_items", test_dmprof__plain_items},
    {"header", test_dmprof__header},
    {"limits", test_dmprof__limits},
    {"secrets_not_in_err", test_dmprof__secrets_not_in_err},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"dmprof", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
