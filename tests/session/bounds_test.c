/*
 * Resource bounds of a session (issue 9, item 8), played by this test as
 * the hostile server:
 *
 *  - amplification: one message of `Get .?list=StructData` commands, each
 *    answered with the whole tree.  The answers stop at the response
 *    budget: every command still gets its Status (200 up to the budget,
 *    420 after), Results only for the 200s, and the memory the core holds
 *    at its peak stays within a small multiple of the budget (measured
 *    with the allocator's byte counter, pdm__alloc_track);
 *  - a server that keeps sending commands while our refused answers wait
 *    loses the session (Alert 1223) before twice the budget is held;
 *  - a large object sent in chunks costs memory in proportion to the
 *    object, not to the object times the number of chunks;
 *  - one message of 9,000 failed Statuses writes a handful of log lines,
 *    not 9,000.
 */
#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

#include "codec/codec.h"
#include "cu_main.h"
#include "util/util.h"

typedef struct logcount {
    unsigned long warn, session_lines;
} logcount;

static void count_log(void *user, int level, const char *component,
                      const char *msg)
{
    logcount *lc = user;
    (void)msg;
    if (level == PDM_LOG_WARN)
        lc->warn++;
    if (strcmp(component, "session") == 0)
        lc->session_lines++;
}

/* A context on the session cases' tree; @extra goes into [session]. */
static pdm_ctx *open_ctx(const char *name, const char *extra, logcount *lc)
{
    char dir[512], profile[600];
    pdm_config cfg;
    pdm_ctx *ctx;
    FILE *f;
    snprintf(dir, sizeof dir, "%s/%s", pdm_test_tmpdir(), name);
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "[profile]\nid = bounds\nfactory_tree = %s/tests/session/"
               "tree.tnds.xml\n[device]\ndevid = IMEI:1\n[session]\n%s\n",
            PDM_SOURCE_DIR, extra);
    fclose(f);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    cfg.log = count_log;
    cfg.log_user = lc;
    cfg.log_level = PDM_LOG_DEBUG;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    return ctx;
}

static pdm_session *open_session(pdm_ctx *ctx, const char *server, bool wbxml)
{
    pdm_session_opts so;
    pdm_session *s;
    pdm_message m;
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = server;
    so.session_id = "5";
    so.flags = wbxml ? PDM_SESSION_WBXML : 0;
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK); /* package 1 */
    return s;
}

/* A server message (XML text of the body after the SyncHdr Status),
 * encoded as the session speaks.  @meta goes into the SyncHdr. */
static uint8_t *server_msg(bool wbxml, unsigned msgid, const char *meta,
                           const char *body, bool final, size_t *len)
{
    pdm__buf x, b;
    pdm__doc d;
    pdm__codec_err e;
    uint8_t *out;
    pdm__buf_init(&x);
    pdm__buf_printf(&x,
                    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2"
                    "</VerDTD><VerProto>DM/1.2</VerProto><SessionID>5"
                    "</SessionID><MsgID>%u</MsgID><Target><LocURI>IMEI:1"
                    "</LocURI></Target><Source><LocURI>http://srv.test/dm"
                    "</LocURI></Source>%s</SyncHdr><SyncBody>",
                    msgid, meta);
    pdm__buf_puts(&x, body);
    pdm__buf_puts(&x, final ? "<Final/></SyncBody></SyncML>"
                            : "</SyncBody></SyncML>");
    CU_ASSERT_FATAL(pdm__buf_ok(&x));
    if (!wbxml)
        return pdm__buf_steal(&x, len);
    pdm__doc_init(&d);
    pdm__buf_init(&b);
    CU_ASSERT_FATAL(pdm__xml_decode(&d, x.data, x.len, NULL, &e) == PDM_OK);
    CU_ASSERT_FATAL(pdm__wbxml_encode(&b, &d, NULL, &e) == PDM_OK);
    pdm__doc_free(&d);
    pdm__buf_free(&x);
    out = pdm__buf_steal(&b, len);
    return out;
}

static const char hdr_status[] =
    "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>"
    "<Cmd>SyncHdr</Cmd><Data>200</Data></Status>";

/* n Gets of @uri, CmdIDs from 2, after the SyncHdr Status. */
static void put_gets(pdm__buf *b, unsigned n, const char *uri)
{
    pdm__buf_puts(b, hdr_status);
    for (unsigned i = 0; i < n; i++)
        pdm__buf_printf(b, "<Get><CmdID>%u</CmdID><Item><Target><LocURI>%s"
                           "</LocURI></Target></Item></Get>",
                        i + 2, uri);
}

typedef struct tally {
    unsigned ok, full, other, results, alert1223, messages;
    unsigned next_ref; /* CmdRefs of the Get Statuses come in order */
    bool in_order;
} tally;

static void count_msg(tally *t, const pdm_message *m, bool wbxml)
{
    pdm__doc d;
    pdm__codec_err e;
    pdm__el *body;
    pdm__doc_init(&d);
    t->messages++;
    if ((wbxml ? pdm__wbxml_decode(&d, m->body, m->len, NULL, &e)
               : pdm__xml_decode(&d, m->body, m->len, NULL, &e)) != PDM_OK) {
        CU_FAIL("a client message cannot be decoded");
        pdm__doc_free(&d);
        return;
    }
    body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    for (pdm__el *c = body->first; c; c = c->next) {
        const char *cmd = pdm__el_child_text(c, PDM_TAG_CMD);
        const char *data = pdm__el_child_text(c, PDM_TAG_DATA);
        if (c->tag == PDM_TAG_RESULTS)
            t->results++;
        if (c->tag == PDM_TAG_ALERT && data && strcmp(data, "1223") == 0)
            t->alert1223++;
        if (c->tag != PDM_TAG_STATUS || !cmd || strcmp(cmd, "Get") != 0)
            continue;
        if (strcmp(data, "200") == 0)
            t->ok++;
        else if (strcmp(data, "420") == 0)
            t->full++;
        else
            t->other++;
        {
            char want[16];
            snprintf(want, sizeof want, "%u", t->next_ref++);
            if (strcmp(pdm__el_child_text(c, PDM_TAG_CMDREF), want) != 0)
                t->in_order = false;
        }
    }
    pdm__doc_free(&d);
}

/* The answers to one message, all of them (the server asks for more with
 * 1222 while our package is not final). */
static void drain(pdm_session *s, tally *t, bool wbxml, unsigned *msgid)
{
    pdm_message m;
    while (pdm_session_next(s, &m) == PDM_OK && m.body) {
        uint8_t *msg;
        size_t len;
        bool final;
        pdm__doc d;
        pdm__codec_err e;
        count_msg(t, &m, wbxml);
        pdm__doc_init(&d);
        if ((wbxml ? pdm__wbxml_decode(&d, m.body, m.len, NULL, &e)
                   : pdm__xml_decode(&d, m.body, m.len, NULL, &e)) != PDM_OK) {
            pdm__doc_free(&d);
            break;
        }
        final = pdm__el_child(pdm__el_child(d.root, PDM_TAG_SYNCBODY),
                              PDM_TAG_FINAL) != NULL;
        pdm__doc_free(&d);
        if (final || pdm_session_result(s) != PDM_OK)
            break;
        msg = server_msg(wbxml, ++*msgid, "", "<Alert><CmdID>2</CmdID><Data>"
                                              "1222</Data></Alert>",
                         true, &len);
        CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
        pdm__free(msg);
        if (t->messages > 10000)
            break;
    }
}

/* One 1 MB amplification message with the default budget (8 MiB); with
 * @meta (a small server MaxMsgSize) the answers take hundreds of
 * messages, most of them only the 420 Statuses. */
static void amplification(bool wbxml, const char *meta)
{
    logcount lc = {0, 0};
    pdm_ctx *ctx = open_ctx(wbxml ? "amp-wbxml" : "amp-xml", "server_auth = false", &lc);
    pdm_session *s = open_session(ctx, "srv-none", wbxml);
    tally t = {.next_ref = 2, .in_order = true};
    unsigned msgid = 1, n = 10000;
    pdm__buf b;
    uint8_t *msg;
    size_t len;
    long long peak;

    pdm__buf_init(&b);
    put_gets(&b, n, ".?list=StructData");
    msg = server_msg(wbxml, msgid, meta, (char *)b.data, true, &len);
    pdm__buf_free(&b);
    CU_ASSERT(len < (1u << 20));
    pdm__alloc_track(true);
    CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
    drain(s, &t, wbxml, &msgid);
    peak = pdm__alloc_peak();
    pdm__alloc_track(false);
    pdm__free(msg);
    printf("\n  %s: %u x 200, %u x 420 in %u messages, peak %lld KiB held "
           "by the core\n",
           wbxml ? "WBXML" : "XML", t.ok, t.full, t.messages, peak / 1024);
    /* Every Get has its Status, in order: 200 up to the budget, then 420;
     * a Results for each 200 and none for a 420. */
    CU_ASSERT_EQUAL(t.ok + t.full, n);
    CU_ASSERT_EQUAL(t.other, 0);
    CU_ASSERT(t.in_order);
    CU_ASSERT(t.ok > 100);
    CU_ASSERT(t.full > 0);
    CU_ASSERT_EQUAL(t.results, t.ok);
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_OK);
    /* Answers (8 MiB) and the decoded message; before the budget this
     * package made the core hold over 300 MB. */
    CU_ASSERT(peak < 40ll << 20);
    /* The refusals are one log line, not one per Get. */
    CU_ASSERT(lc.warn < 10);
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

static const char small_msgs[] = "<Meta><MaxMsgSize xmlns='syncml:metinf'>"
                                  "65536</MaxMsgSize></Meta>";

static void test_bounds__amplification_xml(void) { amplification(false, ""); }
static void test_bounds__amplification_wbxml(void)
{
    amplification(true, "");
}
static void test_bounds__amplification_small_messages(void)
{
    amplification(true, small_msgs);
}

/* A small budget, exact statuses, and the abort: the server sends a
 * second message (no Final before) full of commands while the answers of
 * the first wait unsent (its MaxMsgSize is small). */
static void test_bounds__abort_past_twice_the_budget(void)
{
    logcount lc = {0, 0};
    pdm_ctx *ctx = open_ctx("abort", "server_auth = false\nresponse_budget = 1048576",
                            &lc);
    pdm_session *s = open_session(ctx, "srv-none", false);
    tally t = {.next_ref = 2, .in_order = true};
    pdm_message m;
    pdm__buf b;
    uint8_t *msg;
    size_t len;
    unsigned msgid = 1;
    const char *meta = "<Meta><MaxMsgSize xmlns='syncml:metinf'>4096"
                       "</MaxMsgSize></Meta>";

    pdm__buf_init(&b);
    put_gets(&b, 200, ".?list=StructData");
    msg = server_msg(false, msgid, meta, (char *)b.data, true, &len);
    pdm__buf_free(&b);
    CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
    pdm__free(msg);
    CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK);
    count_msg(&t, &m, false);
    CU_ASSERT(t.ok + t.full > 0);
    CU_ASSERT_EQUAL(t.alert1223, 0);
    /* Instead of asking for the rest (1222), more and more commands. */
    for (int round = 0; round < 50 && pdm_session_result(s) == PDM_OK;
         round++) {
        pdm__buf_init(&b);
        put_gets(&b, 2000, "./Test/missing");
        msg = server_msg(false, ++msgid, meta, (char *)b.data, false, &len);
        pdm__buf_free(&b);
        CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
        pdm__free(msg);
        CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK);
        if (m.body)
            count_msg(&t, &m, false);
    }
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_ETOOBIG);
    CU_ASSERT_EQUAL(t.alert1223, 1);
    CU_ASSERT(strstr(pdm_session_error(s), "response budget") != NULL);
    /* Over: nothing more is sent. */
    CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK);
    CU_ASSERT(m.body == NULL);
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

/* A 512 KiB value read back through a server MaxMsgSize of 8 KiB: 70-odd
 * chunks.  Each chunk's size was found by probing with copies of the rest
 * of the object, all kept until the package ended. */
static void test_bounds__chunks_cost_the_object_once(void)
{
    logcount lc = {0, 0};
    pdm_ctx *ctx = open_ctx("chunks", "server_auth = false", &lc);
    pdm_session *s = open_session(ctx, "srv-none", false);
    tally t = {.next_ref = 3, .in_order = true};
    pdm__buf b;
    uint8_t *msg;
    size_t len, vlen = 512 * 1024;
    unsigned msgid = 1;
    long long peak;
    const char *meta = "<Meta><MaxMsgSize xmlns='syncml:metinf'>8192"
                       "</MaxMsgSize></Meta>";

    pdm__buf_init(&b);
    pdm__buf_puts(&b, hdr_status);
    pdm__buf_puts(&b, "<Replace><CmdID>2</CmdID><Item><Target><LocURI>"
                      "./Test/leaf</LocURI></Target><Data>");
    for (size_t i = 0; i < vlen; i++)
        pdm__buf_putc(&b, 'a' + (int)(i % 26));
    pdm__buf_puts(&b, "</Data></Item></Replace><Get><CmdID>3</CmdID><Item>"
                      "<Target><LocURI>./Test/leaf</LocURI></Target></Item>"
                      "</Get>");
    msg = server_msg(false, msgid, meta, (char *)b.data, true, &len);
    pdm__buf_free(&b);
    pdm__alloc_track(true);
    CU_ASSERT_EQUAL(pdm_session_reply(s, msg, len, NULL, NULL), PDM_OK);
    pdm__free(msg);
    drain(s, &t, false, &msgid);
    peak = pdm__alloc_peak();
    pdm__alloc_track(false);
    printf("\n  %u messages, peak %lld KiB held by the core\n", t.messages,
           peak / 1024);
    CU_ASSERT(t.messages > 60);
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_OK);
    /* The message, the value in the tree, the Results and its chunks. */
    CU_ASSERT(peak < 8ll << 20);
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

/* An unauthenticated server message of 9,000 Statuses refusing commands
 * we never sent: a few lines and one summary. */
static void test_bounds__log_lines_per_message(void)
{
    logcount lc = {0, 0};
    pdm_ctx *ctx = open_ctx("logs", "server_auth = true", &lc);
    pdm_session *s = open_session(ctx, "srv-md5", false);
    pdm__buf b;
    uint8_t *msg;
    size_t len;

    pdm__buf_init(&b);
    pdm__buf_puts(&b, hdr_status);
    for (unsigned i = 0; i < 9000; i++)
        pdm__buf_printf(&b, "<Status><CmdID>%u</CmdID><MsgRef>1</MsgRef>"
                            "<CmdRef>%u</CmdRef><Cmd>Replace</Cmd><Data>500"
                            "</Data></Status>",
                        i + 2, i + 2);
    msg = server_msg(false, 1, "", (char *)b.data, true, &len);
    pdm__buf_free(&b);
    lc.warn = lc.session_lines = 0;
    pdm_session_reply(s, msg, len, NULL, NULL);
    pdm__free(msg);
    printf("\n  %lu warnings, %lu session lines\n", lc.warn, lc.session_lines);
    CU_ASSERT(lc.warn <= 10);
    CU_ASSERT(lc.session_lines <= 12);
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"amplification_xml", test_bounds__amplification_xml},
    {"amplification_wbxml", test_bounds__amplification_wbxml},
    {"amplification_small_messages",
     test_bounds__amplification_small_messages},
    {"abort_past_twice_the_budget", test_bounds__abort_past_twice_the_budget},
    {"chunks_cost_the_object_once", test_bounds__chunks_cost_the_object_once},
    {"log_lines_per_message", test_bounds__log_lines_per_message},
    {NULL, NULL}};
static const pdm_suite suites[] = {{"bounds", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
