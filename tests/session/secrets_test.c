/*
 * Secrets do not linger in memory the core releases (issue 9, item 16).
 * The allocator's watch (pdm__alloc_watch) searches every block the core
 * frees, or leaves behind when it grows one, for a secret: a session with
 * Basic credentials must leave neither the password nor its base64 form
 * behind, and the message that carried the Cred is wiped once the reply
 * has come.  A server Replace of AAuthSecret must not leave the new
 * secret behind in the decoded message either.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

#include "cu_main.h"
#include "util/util.h"

/* base64("Bruce2:OhBehave"), the Cred of srv-basic */
static const char basic_b64[] = "QnJ1Y2UyOk9oQmVoYXZl";

static pdm_ctx *open_ctx(const char *name)
{
    char dir[512], profile[600];
    pdm_config cfg;
    pdm_ctx *ctx;
    FILE *f;
    snprintf(dir, sizeof dir, "%s/%s", pdm_test_tmpdir(), name);
    snprintf(profile, sizeof profile, "%s.profile", dir);
    f = fopen(profile, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "[profile]\nid = secrets\nfactory_tree = %s/tests/session/"
               "tree.tnds.xml\n[device]\ndevid = IMEI:1\n[session]\n"
               "server_auth = false\n",
            PDM_SOURCE_DIR);
    fclose(f);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = dir;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    return ctx;
}

/* What an integrator reports for each message: a verified TLS 1.3
 * connection. */
static int report_tls(pdm_session *s)
{
    pdm_transport_info ti;
    memset(&ti, 0, sizeof ti);
    ti.struct_size = sizeof ti;
    ti.flags = PDM_TRANSPORT_VERIFIED;
    ti.tls_version = "TLS1.3";
    return pdm_session_set_transport(s, &ti);
}

static char *server_msg(const char *body)
{
    static char xml[4096];
    snprintf(xml, sizeof xml,
             "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>"
             "<VerProto>DM/1.2</VerProto><SessionID>5</SessionID><MsgID>1"
             "</MsgID><Target><LocURI>IMEI:1</LocURI></Target><Source>"
             "<LocURI>http://srv-basic.test/dm</LocURI></Source></SyncHdr>"
             "<SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0"
             "</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>%s<Final/>"
             "</SyncBody></SyncML>",
             body);
    return xml;
}

/* One Basic session: package 1 with the Cred, the server's package with
 * @cmds, our answer, the end.  The watch covers the session only (the
 * context's factory tree holds the password by design). */
static void basic_session(const char *needle, const char *cmds,
                          unsigned long *hits, bool *msg_wiped)
{
    static int runs;
    char name[32];
    pdm_ctx *ctx;
    pdm_session_opts so;
    pdm_session *s;
    pdm_message m;
    const uint8_t *sent;
    size_t sent_len;
    char *xml;

    snprintf(name, sizeof name, "run%d", runs++);
    ctx = open_ctx(name);
    pdm__alloc_watch(needle, strlen(needle));
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-basic";
    /* Basic is never sent without TLS: the test plays an integrator that
     * reports a verified TLS connection for each message. */
    so.flags = PDM_SESSION_TRANSPORT_FACTS;
    so.session_id = "5";
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(report_tls(s), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(memmem(m.body, m.len, basic_b64, strlen(basic_b64)));
    sent = m.body;
    sent_len = m.len;
    xml = server_msg(cmds);
    CU_ASSERT_EQUAL(pdm_session_reply(s, (const uint8_t *)xml, strlen(xml),
                                      NULL, NULL),
                    PDM_OK);
    /* The borrow ended with the reply: the buffer is the session's and
     * still allocated (reused for the next message), its Cred gone. */
    *msg_wiped = !memmem(sent, sent_len, basic_b64, strlen(basic_b64));
    while (pdm_session_next(s, &m) == PDM_OK && m.body) {
        CU_ASSERT_EQUAL(report_tls(s), PDM_OK);
        xml = server_msg("");
        pdm_session_reply(s, (const uint8_t *)xml, strlen(xml), NULL, NULL);
    }
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_OK);
    pdm_session_close(s);
    *hits = pdm__alloc_watch_hits();
    pdm__alloc_watch(NULL, 0);
    pdm_ctx_close(ctx);
}

static void test_secrets__basic_cred_wiped(void)
{
    unsigned long hits;
    bool wiped;
    basic_session(basic_b64, "", &hits, &wiped);
    CU_ASSERT_EQUAL(hits, 0);
    CU_ASSERT_TRUE(wiped);
    basic_session("OhBehave", "", &hits, &wiped);
    CU_ASSERT_EQUAL(hits, 0);
}

/* The server sets a new password: the decoded message, the tree's undo
 * copy and the replaced value leave nothing behind. */
static void test_secrets__replaced_secret_wiped(void)
{
    unsigned long hits;
    bool wiped;
    basic_session("N3wPassw0rd-5e1d",
                  "<Replace><CmdID>2</CmdID><Item><Target><LocURI>./DMAcc/"
                  "basic/AppAuth/1/AAuthSecret</LocURI></Target><Data>"
                  "N3wPassw0rd-5e1d</Data></Item></Replace>",
                  &hits, &wiped);
    CU_ASSERT_EQUAL(hits, 0);
}

static const pdm_test tests[] = {
    {"basic_cred_wiped", test_secrets__basic_cred_wiped},
    {"replaced_secret_wiped", test_secrets__replaced_secret_wiped},
    {NULL, NULL}};
static const pdm_suite suites[] = {{"secrets", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
