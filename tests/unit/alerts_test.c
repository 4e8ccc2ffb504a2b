/*
 * Unit tests of the Generic Alert queue (core/src/engine/alerts.c): it
 * survives closing the context, a damaged saved queue is dropped with a
 * log line (never a crash), every alert names its server (a saved one
 * that does not is dropped), and the public API checks its arguments.
 */
#define _GNU_SOURCE /* memmem */
#include "cu_main.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/tree.h"

#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

static char profile[600], state[600];

static pdm_ctx *open_ctx(void)
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
        const char *rec = "A11:s-6:urn:ab3:chr--1:x" "garbage";
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
        const char *rec = "A11:a-6:urn:no3:chr--1:x"
                          "--6:urn:an3:chr--1:y"
                          "1:b-6:urn:no3:chr--1:z";
        const char *srv = NULL;
        pdm_ctx *ctx = open_ctx();
        pdm__store_kv_put(ctx->store, "core", "alerts", (const uint8_t *)rec,
                          strlen(rec));
        pdm_ctx_close(ctx);
        ctx = open_ctx();
        CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &srv), 2);
        PDM_ASSERT_STR(srv, "a");
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

static const pdm_test tests[] = {
    {"persist", test_alerts__persist},
    {"damaged", test_alerts__damaged},
    {"args", test_alerts__args},
    {"plugin_binding", test_alerts__plugin_binding},
    {"binary_in_xml", test_alerts__binary_in_xml},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"alerts", tests, setup, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
