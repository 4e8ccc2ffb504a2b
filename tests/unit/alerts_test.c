/*
 * Unit tests of the Generic Alert queue (core/src/engine/alerts.c): it
 * survives closing the context, a damaged saved queue is dropped with a
 * log line (never a crash), every alert names its server (a saved one
 * that does not is dropped), and the public API checks its arguments.
 * Issue 9 item 13: an asynchronous Exec's later result finds the server
 * of the Exec (a pending-Exec record, never a guess), alert strings are
 * text, and an aborted package keeps the alerts and records in memory
 * and store alike.
 */
#define _GNU_SOURCE /* memmem */
#include "cu_main.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/util.h"

#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

static char profile[600], state[600];

static pdm_ctx *open_bare(void)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.state_dir = state;
    cfg.flags = PDM_CTX_NO_PLUGINS;
    cfg.log_level = PDM_LOG_ERROR;
    CU_ASSERT_EQUAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    return ctx;
}

static void add_account(pdm_ctx *ctx, const char *name, const char *sid)
{
    char uri[64];
    snprintf(uri, sizeof uri, "./DMAcc/%s/ServerID", name);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, uri, PDM_FORMAT_CHR, 0, NULL,
                                  NULL, (const uint8_t *)sid, strlen(sid),
                                  "local"),
                    PDM_OK);
}

/* A context whose tree has accounts for srv-a, srv-b and srv-c: queued
 * alerts and pending Execs of servers without one are dropped when a
 * context opens. */
static pdm_ctx *open_ctx(void)
{
    pdm_ctx *ctx = open_bare();
    if (ctx) {
        add_account(ctx, "a", "srv-a");
        add_account(ctx, "b", "srv-b");
        add_account(ctx, "c", "srv-c");
    }
    return ctx;
}

static int setup(void)
{
    FILE *f;
    snprintf(profile, sizeof profile, "%s/alerts.profile", pdm_test_tmpdir());
    snprintf(state, sizeof state, "%s/alerts-state", pdm_test_tmpdir());
    f = fopen(profile, "w");
    if (!f)
        return -1;
    fputs("[profile]\nid = alerts-test\n[device]\ndevid = IMEI:1\n"
          "[session]\nserver_auth = false\n", f);
    fclose(f);
    return 0;
}

static void test_alerts__persist(void)
{
    pdm_generic_alert ga;
    const char *srv = "x";
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.type = "urn:test:a";
    ga.format = "bin";
    ga.data.data = (uint8_t *)"a\0b:1:-";
    ga.data.len = 7; /* NUL and separator bytes in the data */
    ga.server_id = "srv-a";
    ga.correlator = "c-7";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    ga.server_id = "srv-b";
    ga.type = "urn:test:b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &srv), 2);
    PDM_ASSERT_STR(srv, "srv-a");
    pdm_ctx_close(ctx);

    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &srv), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->alerts);
    CU_ASSERT_EQUAL(ctx->alerts->len, 7);
    CU_ASSERT_EQUAL(memcmp(ctx->alerts->data, "a\0b:1:-", 7), 0);
    PDM_ASSERT_STR(ctx->alerts->correlator, "c-7");
    CU_ASSERT_PTR_NULL(ctx->alerts->mark);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->alerts->next);
    PDM_ASSERT_STR(ctx->alerts->next->server_id, "srv-b");
    /* Delivered by a session: gone, also after a reopen. */
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    pdm_ctx_close(ctx);
    ctx = open_ctx();
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    pdm_ctx_close(ctx);
}

static void test_alerts__damaged(void)
{
    static const char *const bad[] = {"XX", "A1", "A13:srv", "A1-9999:x",
                                      "A1-------", "A1--4:type3:int-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pdm_ctx *ctx = open_ctx();
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "alerts",
                                          (const uint8_t *)bad[i],
                                          strlen(bad[i])),
                        PDM_OK);
        pdm_ctx_close(ctx);
        ctx = open_ctx();
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
        pdm_ctx_close(ctx);
    }
    /* A good record before a damaged one is kept. */
    {
        const char *rec = "A15:srv-a-6:urn:ab3:chr--1:x" "garbage";
        pdm_ctx *ctx = open_ctx();
        pdm__store_kv_put(ctx->store, "core", "alerts", (const uint8_t *)rec,
                          strlen(rec));
        pdm_ctx_close(ctx);
        ctx = open_ctx();
        CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
        PDM_ASSERT_STR(ctx->alerts->type, "urn:ab");
        pdm_ctx_close(ctx);
    }
    /* A saved alert without a server (an older queue's "any server") can
     * be attributed to nobody: dropped, also from the store; the alerts
     * around it stay. */
    {
        const char *rec = "A15:srv-a-6:urn:no3:chr--1:x"
                          "--6:urn:an3:chr--1:y"
                          "5:srv-b-6:urn:no3:chr--1:z";
        const char *srv = NULL;
        pdm_ctx *ctx = open_ctx();
        pdm__store_kv_put(ctx->store, "core", "alerts", (const uint8_t *)rec,
                          strlen(rec));
        pdm_ctx_close(ctx);
        ctx = open_ctx();
        CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &srv), 2);
        PDM_ASSERT_STR(srv, "srv-a");
        for (pdm__alert *a = ctx->alerts; a; a = a->next)
            CU_ASSERT_PTR_NOT_NULL(a->server_id);
        pdm_ctx_close(ctx);
        ctx = open_ctx();
        CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
        for (pdm__alert *a = ctx->alerts; a; a = a->next)
            a->in_flight = true;
        pdm__alerts_session_end(ctx, true);
        pdm_ctx_close(ctx);
    }
}

static void test_alerts__args(void)
{
    pdm_generic_alert ga;
    pdm_ctx *ctx = open_ctx();
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.server_id = "srv";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL); /* no type */
    ga.type = "urn:x";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL); /* no format */
    ga.format = "chr";
    /* No server: an alert for "whichever server comes next" could reach
     * the wrong one. */
    ga.server_id = NULL;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    ga.server_id = "";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    ga.server_id = "srv";
    ga.reserved0 = 1;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    ga.reserved0 = 0;
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    ga.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL); /* too small */
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(NULL, &ga), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(NULL, NULL), 0);
    pdm_ctx_close(ctx);
}

/* A plugin's alert without a server id (host->generic_alert, through the
 * engine's service): bound to the server whose command an MO method is
 * handling at that moment; refused between such calls, during a session
 * too, and for the local user. */
static void test_alerts__plugin_binding(void)
{
    pdm__services svc;
    pdm_generic_alert ga;
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    pdm__engine_services(ctx, &svc);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.type = "urn:test:wipe-done";
    ga.format = "int";
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_EINVAL);
    ctx->cmd_server = "srv-a"; /* a session runs, no MO call now */
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_EINVAL);
    ctx->mo_call_server = "srv-a"; /* inside exec() for srv-a's Exec */
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_OK);
    ga.server_id = "srv-b"; /* named: the plugin's choice */
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_OK);
    ctx->cmd_server = ctx->mo_call_server = NULL;
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->alerts);
    PDM_ASSERT_STR(ctx->alerts->server_id, "srv-a");
    PDM_ASSERT_STR(ctx->alerts->next->server_id, "srv-b");
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);
}

/* Issue 9 item 9: a queued alert whose data is not text (Format bin, a
 * NUL inside) never makes an XML message unencodable: it goes out
 * base64-encoded with Format b64. */
static void test_alerts__binary_in_xml(void)
{
    pdm_generic_alert ga;
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_message m;
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./DMAcc/b/ServerID", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"srv-b", 5, "local"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./DMAcc/b/AppAddr/1/Addr", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"http://b.test/dm", 16, "local"), PDM_OK);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.type = "urn:test:bin";
    ga.format = "bin";
    ga.data.data = (uint8_t *)"\xff\0a";
    ga.data.len = 3;
    ga.server_id = "srv-b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-b";
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m.body);
    CU_ASSERT_PTR_NOT_NULL(memmem(m.body, m.len, ">b64</Format>", 13));
    CU_ASSERT_PTR_NOT_NULL(memmem(m.body, m.len, "<Data>/wBh</Data>", 17));
    pdm_session_close(s);
    pdm_ctx_close(ctx);
}

static pdm_generic_alert alert(const char *corr, const char *src)
{
    pdm_generic_alert ga;
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.type = "urn:oma:at:lawmo:1.0:OperationComplete";
    ga.format = "int";
    ga.data.data = (uint8_t *)"1200";
    ga.data.len = 4;
    ga.correlator = corr;
    ga.source_uri = src;
    return ga;
}

static size_t npending(const pdm_ctx *ctx)
{
    size_t n = 0;
    for (const pdm__pending_exec *p = ctx->pending; p; p = p->next)
        n++;
    return n;
}

static const char *last_server(const pdm_ctx *ctx)
{
    const pdm__alert *a = ctx->alerts;
    while (a && a->next)
        a = a->next;
    return a ? a->server_id : NULL;
}

/* An Exec answered 202 leaves a record (server, URI, correlator) that
 * survives a restart; the result queued later without a server id goes
 * to that server and consumes it; anything ambiguous is refused. */
static void test_alerts__async_exec(void)
{
    static const char lock[] = "./LAWMO/Operations/FullyLock";
    pdm__services svc;
    pdm_generic_alert ga;
    char corr[16];
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    pdm__alerts_exec_pending(ctx, "srv-a", lock, "lock-1");
    pdm__alerts_exec_pending(ctx, "srv-b", "./Ext/Wipe", "c-2");
    pdm__alerts_exec_pending(ctx, "srv-a", "./Z", NULL);
    pdm__alerts_exec_pending(ctx, "srv-a", lock, "lock-1"); /* repeated */
    CU_ASSERT_EQUAL(npending(ctx), 3);
    pdm_ctx_close(ctx);

    ctx = open_ctx(); /* a later process finishes the work */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(npending(ctx), 3);
    pdm__engine_services(ctx, &svc);
    /* Correlator of one Exec, Source of another: no record matches. */
    ga = alert("lock-1", "./Ext/Wipe");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    /* No evidence at all. */
    ga = alert(NULL, NULL);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    /* LAWMO's OperationComplete: Source and Correlator of the Exec. */
    ga = alert("lock-1", lock);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-a");
    CU_ASSERT_EQUAL(npending(ctx), 2);
    /* Consumed: the same result again has no Exec to report. */
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    /* srv-b's Exec's result raised while srv-a's Exec of the same URI
     * with the same correlator is handled: two Execs match, refused. */
    ctx->cmd_server = ctx->mo_call_server = "srv-a";
    ctx->mo_exec_uri = "./Ext/Wipe";
    ctx->mo_exec_corr = "c-2";
    ga = alert("c-2", NULL);
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_EINVAL);
    /* ... during another command of srv-a: the Exec it reports is srv-b's,
     * that is where it goes, not to the server of the moment. */
    ctx->mo_exec_uri = ctx->mo_exec_corr = NULL;
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-b");
    ctx->cmd_server = ctx->mo_call_server = NULL;
    /* Source alone, for an Exec without a correlator. */
    ga = alert(NULL, "./Z");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-a");
    CU_ASSERT_EQUAL(npending(ctx), 0);

    /* The same correlator from two servers: never a guess. */
    pdm__alerts_exec_pending(ctx, "srv-a", "./X", "dup");
    pdm__alerts_exec_pending(ctx, "srv-b", "./X", "dup");
    ga = alert("dup", "./X");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    ctx->cmd_server = ctx->mo_call_server = "srv-a";
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_EINVAL);
    ctx->cmd_server = ctx->mo_call_server = NULL;
    /* A result that names its server is the plugin's choice. */
    ga.server_id = "srv-b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    PDM_ASSERT_STR(ctx->pending->server_id, "srv-a");

    /* Bounded: the oldest records go, their results are refused. */
    for (int i = 0; i < PDM__PENDING_MAX + 8; i++) {
        snprintf(corr, sizeof corr, "k%d", i);
        pdm__alerts_exec_pending(ctx, "srv-c", "./Y", corr);
    }
    CU_ASSERT_EQUAL(npending(ctx), PDM__PENDING_MAX);
    ga = alert("k0", NULL);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    snprintf(corr, sizeof corr, "k%d", PDM__PENDING_MAX + 7);
    ga = alert(corr, "./Y");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-c");
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);

    /* A damaged saved list: dropped with a log line, nothing bound. */
    ctx = open_ctx();
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "exec-pending",
                                      (const uint8_t *)"P17:srv-a\0b3:./Q-", 18),
                    PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx();
    CU_ASSERT_EQUAL(npending(ctx), 0);
    ga = alert(NULL, "./Q");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
    pdm_ctx_close(ctx);
}

/* Every string of an alert goes into an XML message as it is: a string
 * that is not text, or is over-long, is refused when it is queued; one
 * the store holds is dropped when it is loaded. */
static void test_alerts__strings(void)
{
    static char longs[PDM__ALERT_URI_MAX + 2];
    pdm_generic_alert ok = alert("c", "./S"), ga;
    const char **fields[] = {&ga.type,       &ga.format,     &ga.mark,
                             &ga.correlator, &ga.source_uri, &ga.server_id};
    static const char *const bad[] = {"a\x01" "b", "\xff", "\xc3(", "\xc0\x80"};
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    ok.server_id = "srv-a";
    memset(longs, 'x', sizeof longs - 1);
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            ga = ok;
            *fields[f] = bad[i];
            CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
        }
        ga = ok;
        longs[f == 4 ? PDM__ALERT_URI_MAX + 1 : PDM__ALERT_STR_MAX + 1] = 0;
        *fields[f] = longs;
        CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_EINVAL);
        /* At the limit it is fine. */
        longs[f == 4 ? PDM__ALERT_URI_MAX : PDM__ALERT_STR_MAX] = 0;
        CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
        memset(longs, 'x', sizeof longs - 1);
    }
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 6);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    /* The store holds a type with a control byte, a server id with a
     * NUL inside: dropped at load, the good record after them kept. */
    {
        static const char rec[] = "A1"
                                  "5:srv-a-3:a\x01" "b3:chr--1:x"
                                  "7:srv-a\0x-3:abc3:chr--1:x"
                                  "5:srv-a-3:urn3:chr--1:y";
        CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "alerts",
                                          (const uint8_t *)rec, sizeof rec - 1),
                        PDM_OK);
    }
    pdm_ctx_close(ctx);
    ctx = open_ctx();
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    pdm_ctx_close(ctx);
}

/* Issue 9 item 13: an alert queued, and an Exec accepted, inside a
 * package that is then aborted (session abort, budget abort, failed
 * authentication): the Exec ran on the device, so its result stays, in
 * memory and in the store alike (a reopened context has both). */
static void test_alerts__package_abort(void)
{
    pdm__services svc;
    pdm_generic_alert ga = alert("w-1", "./Ext/Wipe");
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    pdm__engine_services(ctx, &svc);
    CU_ASSERT_EQUAL_FATAL(pdm__tree_begin(ctx->tree), PDM_OK);
    ctx->cmd_server = ctx->mo_call_server = "srv-a";
    CU_ASSERT_EQUAL(svc.generic_alert(ctx, "fx", &ga), PDM_OK);
    pdm__alerts_exec_pending(ctx, "srv-a", "./Ext/Lock", "l-1");
    ctx->cmd_server = ctx->mo_call_server = NULL;
    pdm__tree_abort(ctx->tree);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    pdm_ctx_close(ctx);
    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    ga = alert("l-1", NULL);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-a");
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);
}

/* The same through a real session: the server's package spans messages
 * (no Final yet), so its transaction is open when the alert is queued;
 * the session then ends without the package (closed: rolled back).  The
 * alert is in memory and, after a reopen, in the store: they agree. */
static void test_alerts__session_rollback(void)
{
    static const char fmt[] =
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
        "<VerProto>DM/1.2</VerProto><SessionID>%.*s</SessionID><MsgID>1</MsgID>"
        "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>"
        "http://b.test/dm</LocURI></Source></SyncHdr><SyncBody>"
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>"
        "<Cmd>SyncHdr</Cmd><Data>200</Data></Status>"
        "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef>"
        "<Cmd>Alert</Cmd><Data>200</Data></Status>"
        "<Get><CmdID>3</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI>"
        "</Target></Item></Get></SyncBody></SyncML>";
    pdm_generic_alert ga = alert("w-2", NULL);
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_message m;
    char msg[1024];
    const char *sid, *sid_end;
    int n;
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./DMAcc/b/ServerID", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"srv-b", 5, "local"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./DMAcc/b/AppAddr/1/Addr", PDM_FORMAT_CHR, 0, NULL, NULL, (const uint8_t *)"http://b.test/dm", 16, "local"), PDM_OK);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-b";
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK);
    sid = memmem(m.body, m.len, "<SessionID>", 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sid);
    sid += 11;
    sid_end = memchr(sid, '<', m.len - (size_t)(sid - (const char *)m.body));
    CU_ASSERT_PTR_NOT_NULL_FATAL(sid_end);
    n = snprintf(msg, sizeof msg, fmt, (int)(sid_end - sid), sid);
    CU_ASSERT_EQUAL_FATAL(pdm_session_reply(s, (const uint8_t *)msg, (size_t)n,
                                            "application/vnd.syncml.dm+xml",
                                            NULL),
                          PDM_OK);
    CU_ASSERT_TRUE_FATAL(pdm__tree_in_transaction(ctx->tree));
    ga.server_id = "srv-b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    pdm_session_close(s);
    CU_ASSERT_FALSE(pdm__tree_in_transaction(ctx->tree));
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    pdm_ctx_close(ctx);
    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->alerts);
    PDM_ASSERT_STR(ctx->alerts->correlator, "w-2");
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);
}

/* Gap of items 8/10/13: the queue is bounded per server and in all, by
 * count and bytes; a new alert beyond a bound is refused with
 * PDM_ENOSPC and no queued one is lost (memory and store). */
static void test_alerts__bounded(void)
{
    static uint8_t big[PDM__ALERTS_BYTES_PER_SERVER];
    pdm_generic_alert ga = alert("c", NULL);
    char corr[16];
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    for (int i = 0; i < PDM__ALERTS_PER_SERVER; i++) {
        snprintf(corr, sizeof corr, "a%d", i);
        ga.correlator = corr;
        ga.server_id = "srv-a";
        CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    }
    ga.correlator = "one-too-many";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_ENOSPC);
    /* Another server still has room. */
    ga.server_id = "srv-b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    /* Bytes: one alert as big as a server's share does not fit beside
     * srv-b's first one. */
    ga.data.data = big;
    ga.data.len = sizeof big;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_ENOSPC);
    ga.data.len = sizeof big / 2;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL),
                    PDM__ALERTS_PER_SERVER + 2);
    pdm_ctx_close(ctx);

    /* Everything queued survives, the first of srv-a included. */
    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL),
                    PDM__ALERTS_PER_SERVER + 2);
    PDM_ASSERT_STR(ctx->alerts->correlator, "a0");
    PDM_ASSERT_STR(last_server(ctx), "srv-b");
    /* The total: srv-c and a further server fill it up. */
    ga = alert("t", NULL);
    for (int i = 0; i < PDM__ALERTS_PER_SERVER; i++) {
        ga.server_id = "srv-c";
        CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    }
    add_account(ctx, "d", "srv-d");
    for (int i = 0; i < PDM__ALERTS_PER_SERVER; i++) {
        ga.server_id = "srv-d";
        CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    }
    /* srv-b's last free places, up to the total. */
    while (pdm_ctx_pending_alerts(ctx, NULL) < PDM__ALERTS_MAX) {
        ga.server_id = "srv-b";
        CU_ASSERT_EQUAL_FATAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    }
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), PDM__ALERTS_MAX);
    /* srv-e has no alert: only the total refuses it. */
    add_account(ctx, "e", "srv-e");
    ga.server_id = "srv-e";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_ENOSPC);
    /* A result that reports a pending Exec is refused as well, and its
     * record stays for a retry once the queue drains. */
    pdm__alerts_exec_pending(ctx, "srv-e", "./L", "l-9");
    ga = alert("l-9", "./L");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_ENOSPC);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    PDM_ASSERT_STR(last_server(ctx), "srv-e");
    CU_ASSERT_EQUAL(npending(ctx), 0);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);
}

typedef struct audit_rows {
    int n;
    char reason[256];
} audit_rows;

static int alerts_rows(void *user, const pdm__audit_rec *r)
{
    audit_rows *ar = user;
    if (strcmp(r->op, "Alerts") == 0) {
        ar->n++;
        snprintf(ar->reason, sizeof ar->reason, "%s", r->reason);
    }
    return 0;
}

/* Alerts and pending Execs of a server whose DM account is gone are
 * dropped when a context opens and when a session ends (here: the
 * prune the end of a session runs), with a log line and an audit row
 * that gives counts, no alert data; never while a package is open. */
static void test_alerts__orphans(void)
{
    static const pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
    pdm__decision d;
    audit_rows ar;
    pdm_generic_alert ga = alert("o-1", NULL);
    pdm_ctx *ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    add_account(ctx, "e", "srv-e");
    ga.server_id = "srv-e";
    ga.data.data = (uint8_t *)"SECRET-DATA";
    ga.data.len = 11;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    ga.server_id = "srv-gone"; /* never had an account */
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    ga.server_id = "srv-a";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    pdm__alerts_exec_pending(ctx, "srv-e", "./E", "e-1");
    pdm__alerts_exec_pending(ctx, "srv-a", "./A", "a-1");
    pdm_ctx_close(ctx);

    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2); /* srv-gone's went */
    CU_ASSERT_EQUAL(npending(ctx), 2);
    /* An account deleted inside a package that is still open: kept. */
    CU_ASSERT_EQUAL_FATAL(pdm__tree_begin(ctx->tree), PDM_OK);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL(pdm__tree_delete(ctx->tree, &local, "./DMAcc/e", &d),
                    PDM_OK);
    pdm__alerts_prune(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
    CU_ASSERT_EQUAL(npending(ctx), 2);
    CU_ASSERT_EQUAL(pdm__tree_commit(ctx->tree), PDM_OK);
    pdm__alerts_prune(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    PDM_ASSERT_STR(ctx->alerts->server_id, "srv-a");
    PDM_ASSERT_STR(ctx->pending->server_id, "srv-a");
    memset(&ar, 0, sizeof ar);
    CU_ASSERT_EQUAL(pdm__store_audit_query(ctx->store, 0, alerts_rows, &ar),
                    PDM_OK);
    CU_ASSERT_EQUAL(ar.n, 2);
    PDM_ASSERT_STR(ar.reason, "1 Generic Alert(s) and 1 pending Exec(s) of "
                              "servers without a DM account dropped");
    pdm_ctx_close(ctx);

    /* ... and in the store too. */
    ctx = open_ctx();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_EQUAL(npending(ctx), 1);
    memset(&ar, 0, sizeof ar);
    pdm__store_audit_query(ctx->store, 0, alerts_rows, &ar);
    CU_ASSERT_EQUAL(ar.n, 2); /* nothing more to drop, no new row */
    CU_ASSERT_PTR_NULL(strstr(ar.reason, "SECRET"));
    ga = alert("a-1", "./A");
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    pdm_ctx_close(ctx);
}

/* Out of memory for a pending-Exec record is reported (PDM_ENOMEM: the
 * Exec is then not started, services.c mo_exec), never a success without
 * the record: its result would be refused as nobody's. */
static void test_alerts__pending_oom(void)
{
    pdm_ctx *ctx = open_ctx();
    long total = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    for (long n = 0; total < 0 && n < 100; n++) {
        size_t before = npending(ctx);
        char corr[32];
        int rc;
        snprintf(corr, sizeof corr, "oom-%ld", n);
        pdm__alloc_fail_nth(n);
        rc = pdm__alerts_exec_pending(ctx, "srv-a", "./Z", corr);
        if (pdm__alloc_fail_after(-1) <= n)
            total = n; /* none failed */
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        CU_ASSERT_EQUAL(npending(ctx), rc == PDM_OK ? before + 1 : before);
    }
    CU_ASSERT(total > 0);
    for (long n = 0; n <= total; n++) { /* the next tests start empty */
        char corr[32];
        snprintf(corr, sizeof corr, "oom-%ld", n);
        pdm__alerts_exec_settled(ctx, "srv-a", "./Z", corr);
    }
    CU_ASSERT_EQUAL(npending(ctx), 0);
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"pending_oom", test_alerts__pending_oom},
    {"persist", test_alerts__persist},
    {"damaged", test_alerts__damaged},
    {"args", test_alerts__args},
    {"plugin_binding", test_alerts__plugin_binding},
    {"binary_in_xml", test_alerts__binary_in_xml},
    {"async_exec", test_alerts__async_exec},
    {"strings", test_alerts__strings},
    {"package_abort", test_alerts__package_abort},
    {"session_rollback", test_alerts__session_rollback},
    {"bounded", test_alerts__bounded},
    {"orphans", test_alerts__orphans},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"alerts", tests, setup, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
