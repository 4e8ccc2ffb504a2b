/*
 * Large objects from the client (facts §12): a Results value larger than
 * the server's MaxMsgSize leaves in chunks.  The server side is played by
 * this test: it acknowledges each chunk (213) and asks for more (1222).
 * Checks, in XML and WBXML: every message fits MaxMsgSize, Meta Size is on
 * the first chunk only, every chunk but the last has MoreData, only the
 * last message has Final, and the chunks put together are the value.
 */
#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

#include "codec/codec.h"
#include "cu_main.h"
#include "util/util.h"

static char big[5000];

static uint8_t *server_msg(bool wbxml, unsigned msgid, const char *body,
                           size_t *len)
{
    char xml[16384];
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf b;
    uint8_t *out;
    snprintf(xml, sizeof xml,
             "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>"
             "<VerProto>DM/1.2</VerProto><SessionID>5</SessionID><MsgID>%u</MsgID>"
             "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>"
             "http://srv-none.test/dm</LocURI></Source>"
             "<Meta><MaxMsgSize xmlns='syncml:metinf'>1200</MaxMsgSize></Meta>"
             "</SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>%u</MsgRef>"
             "<CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>%s"
             "<Final/></SyncBody></SyncML>",
             msgid, msgid, body);
    pdm__doc_init(&d);
    pdm__buf_init(&b);
    CU_ASSERT_FATAL(pdm__xml_decode(&d, (uint8_t *)xml, strlen(xml), NULL, &e) == PDM_OK);
    if (wbxml)
        pdm__wbxml_encode(&b, &d, NULL, &e);
    else
        pdm__buf_puts(&b, xml);
    out = pdm__buf_steal(&b, len);
    pdm__doc_free(&d);
    return out;
}

static void run(bool wbxml)
{
    char dir[512], profile[600], cmds[8192];
    pdm_config cfg;
    pdm_ctx *ctx;
    pdm_session *s;
    pdm_session_opts so;
    pdm_message m;
    pdm__buf got;
    unsigned msgid = 1, chunks = 0, sizes = 0;
    bool saw_final = false;
    FILE *f;
    uint8_t *msg;
    size_t len;

    memset(big, 'x', sizeof big - 1);
    memcpy(big, "<&>", 3); /* escaping in XML changes sizes, not data */
    snprintf(dir, sizeof dir, "%s/lo%d", pdm_test_tmpdir(), wbxml);
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    fprintf(f, "[profile]\nid = lo\nfactory_tree = %s/tests/session/tree.tnds.xml\n"
               "[device]\ndevid = IMEI:1\n[session]\nserver_auth = false\n",
            PDM_SOURCE_DIR);
    fclose(f);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-none";
    so.session_id = "5";
    so.flags = wbxml ? PDM_SESSION_WBXML : 0;
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK); /* package 1 */
    {
        pdm__buf c;
        pdm__buf_init(&c);
        pdm__buf_puts(&c, "<Add><CmdID>2</CmdID><Item><Target><LocURI>./Test/big"
                          "</LocURI></Target><Meta><Format xmlns='syncml:metinf'>"
                          "chr</Format></Meta><Data>");
        pdm__buf_puts(&c, "&lt;&amp;&gt;");
        pdm__buf_append(&c, big + 3, strlen(big) - 3);
        pdm__buf_puts(&c, "</Data></Item></Add><Get><CmdID>3</CmdID><Item><Target>"
                          "<LocURI>./Test/big</LocURI></Target></Item></Get>");
        snprintf(cmds, sizeof cmds, "%s", (char *)c.data);
        pdm__buf_free(&c);
    }
    msg = server_msg(wbxml, msgid++, cmds, &len);
    CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
    pdm__free(msg);
    pdm__buf_init(&got);
    while (pdm_session_next(s, &m) == PDM_OK && m.body) {
        pdm__doc d;
        pdm__codec_err e;
        pdm__el *body, *res;
        CU_ASSERT(m.len <= 1200);
        pdm__doc_init(&d);
        CU_ASSERT_FATAL((wbxml ? pdm__wbxml_decode(&d, m.body, m.len, NULL, &e)
                               : pdm__xml_decode(&d, m.body, m.len, NULL, &e)) == PDM_OK);
        body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
        res = pdm__el_child(body, PDM_TAG_RESULTS);
        if (res) {
            pdm__el *item = pdm__el_child(res, PDM_TAG_ITEM);
            pdm__el *meta = pdm__el_child(item, PDM_TAG_META);
            pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
            bool more = pdm__el_child(item, PDM_TAG_MOREDATA) != NULL;
            if (pdm__el_child(meta, PDM_TAG_MI_SIZE)) {
                sizes++;
                PDM_ASSERT_STR(pdm__el_child_text(meta, PDM_TAG_MI_SIZE), "4999");
                CU_ASSERT_EQUAL(chunks, 0); /* first chunk only */
            }
            pdm__buf_append(&got, data->text, data->len);
            chunks++;
            CU_ASSERT_EQUAL(more, pdm__el_child(body, PDM_TAG_FINAL) == NULL);
        }
        saw_final = pdm__el_child(body, PDM_TAG_FINAL) != NULL;
        pdm__doc_free(&d);
        if (saw_final)
            break;
        /* Server: chunk acknowledged, next message please. */
        msg = server_msg(wbxml, msgid, "<Alert><CmdID>2</CmdID><Data>1222</Data></Alert>", &len);
        msgid++;
        CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
        pdm__free(msg);
        if (msgid > 40)
            break;
    }
    CU_ASSERT(saw_final);
    CU_ASSERT(chunks >= 3);
    CU_ASSERT_EQUAL(sizes, 1);
    CU_ASSERT_EQUAL(got.len, 4999);
    CU_ASSERT(got.len == 4999 && memcmp(got.data, big, 4999) == 0);
    printf("\n  %s: %u chunks in %u messages\n", wbxml ? "WBXML" : "XML", chunks,
           msgid);
    pdm__buf_free(&got);
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

static void test_lo__xml(void) { run(false); }
static void test_lo__wbxml(void) { run(true); }

static const pdm_test tests[] = {{"results_in_chunks_xml", test_lo__xml},
                                 {"results_in_chunks_wbxml", test_lo__wbxml},
                                 {NULL, NULL}};
static const pdm_suite suites[] = {{"large_object", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
