/*
 * The lost-device services (ABI 1.4, core/src/engine/lock.c, alerts.c)
 * with the fx-lock fixture (tests/engine/fixtures/fx_lock.c) and the
 * factory tree of tests/engine/local.tnds.xml (accounts srv-a, srv-b,
 * srv-c; ./Vendor).  The plugin calls the host services through an Exec
 * of ./FxLock/Op by a server (the real path, with the server's command
 * being handled), or the test calls the host table with the plugin's
 * context directly.
 */
#include "cu_main.h"
#include "engine_fx.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/dmacc.h"
#include "tree/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

/* ---- the device ------------------------------------------------------------ */

static int g_action_rc;
static unsigned g_actions;
static pdm_device_action g_act;
static char g_act_server[64], g_act_classes[128], g_act_cap[16];
static const char *g_classes = "contacts,messages";
static int g_classes_rc;

static int hook_action(void *user, const pdm_device_action *a, char *reason,
                       size_t size)
{
    (void)user;
    g_actions++;
    g_act = *a;
    snprintf(g_act_server, sizeof g_act_server, "%s",
             a->server_id ? a->server_id : "(null)");
    g_act_classes[0] = '\0';
    for (size_t i = 0; i < a->nclasses; i++)
        snprintf(g_act_classes + strlen(g_act_classes),
                 sizeof g_act_classes - strlen(g_act_classes), "%s%s",
                 i ? "," : "", a->classes[i]);
    snprintf(g_act_cap, sizeof g_act_cap, "%s",
             a->capability ? a->capability : "(null)");
    if (g_action_rc != PDM_OK)
        snprintf(reason, size, "user said no");
    return g_action_rc;
}

static int hook_classes(void *user, char *buf, size_t size)
{
    (void)user;
    if (g_classes_rc != PDM_OK)
        return g_classes_rc;
    snprintf(buf, size, "%s", g_classes);
    return PDM_OK;
}

static pdm_device_hooks hooks = {.struct_size = sizeof(pdm_device_hooks),
                                 .action = hook_action,
                                 .wipe_classes = hook_classes};
static const pdm_device_hooks *g_hooks = &hooks;

/* ---- contexts ---------------------------------------------------------------- */

static const char *profile(const char *name)
{
    static char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s.profile", pdm_test_tmpdir(), name);
    f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "[profile]\nid = lock-test\nfactory_tree = %s/tests/engine/"
            "local.tnds.xml\nauthority = fx-lock/auth\n"
            "[device]\nimsi = 001010123456789\n"
            "[bootstrap]\nunsigned_origins = factory\n[plugin fx-lock]\n",
            PDM_SOURCE_DIR);
    fclose(f);
    return path;
}

static const char *state(const char *name)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s-state", pdm_test_tmpdir(), name);
    return path;
}

static void log_stderr(void *user, int level, const char *component,
                       const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "  [%s] %s\n", component, msg);
}

static pdm_ctx *open_ctx(const char *name)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile(name);
    cfg.state_dir = state(name);
    cfg.plugin_path = FX_DIR;
    cfg.hooks = g_hooks;
    cfg.log = log_stderr;
    cfg.log_level = PDM_LOG_ERROR;
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        fprintf(stderr, "open: %s\n", ctx ? pdm_ctx_last_error(ctx) : "?");
        pdm_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

static pdm_plugin_ctx *pc_of(pdm_ctx *ctx)
{
    return &ctx->plugins.v[0]->ctx;
}

static const pdm_host_api *H(void) { return pdm__host_table(); }

/* The fixture's kv value @key ("" when absent). */
static const char *fx_kv(pdm_ctx *ctx, const char *key)
{
    static char buf[4][256];
    static int next;
    char *b = buf[next++ % 4];
    uint8_t *v = NULL;
    size_t len = 0;
    b[0] = '\0';
    if (pdm__store_kv_get(ctx->store, "fx-lock", key, &v, &len) == PDM_OK)
        snprintf(b, sizeof buf[0], "%.*s", (int)len, (const char *)v);
    pdm__free(v);
    return b;
}

/* An Exec of ./FxLock/Op by @server while the session handles its
 * command, as the session does it (exec.c). */
static int op(pdm_ctx *ctx, const char *server, const char *cmd,
              const char *corr)
{
    pdm__who w = {PDM_PRINCIPAL_SERVER, server, NULL, PDM_REQ_AUTHENTICATED,
                  NULL};
    pdm__decision d;
    pdm_blob data = {(uint8_t *)cmd, strlen(cmd)};
    int rc;
    ctx->cmd_server = server;
    rc = pdm__tree_exec(ctx->tree, &w, "./FxLock/Op", &data, corr, &d);
    ctx->cmd_server = NULL;
    return rc;
}

static pdm_lock_info lock_info(pdm_ctx *ctx)
{
    pdm_lock_info li;
    memset(&li, 0xAB, sizeof li);
    li.struct_size = sizeof li;
    CU_ASSERT_EQUAL(pdm_ctx_lock_info(ctx, &li), PDM_OK);
    return li;
}

/* An alert of the integrator with @key, carried by a session that ended
 * normally (only it: other queued alerts stay). */
static void note_delivered(pdm_ctx *ctx, const char *key)
{
    pdm_generic_alert g;
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    g.type = "fx.done";
    g.format = "chr";
    g.server_id = "srv-a";
    g.once_key = key;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = a->once_key && strcmp(a->once_key, key) == 0;
    pdm__alerts_session_end(ctx, true);
}

/* ---- the lock level ------------------------------------------------------------- */

static void test_lock__set_persisted(void)
{
    pdm_ctx *ctx = open_ctx("persist");
    pdm_lock_info li;
    uint32_t level = 9;
    audit_rows a;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    li = lock_info(ctx);
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(li.since, 0);
    PDM_ASSERT_STR(li.server_id, "");
    PDM_ASSERT_STR(li.plugin, "");
    CU_ASSERT_EQUAL(li.reset_pending, 0);
    CU_ASSERT_EQUAL(li.reserved0, 0);
    li.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_lock_info(ctx, &li), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_lock_info(ctx, NULL), PDM_EINVAL);

    /* Through the MO: the server whose Exec is handled ordered it. */
    CU_ASSERT_EQUAL(op(ctx, "srv-b", "lock 2", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    li = lock_info(ctx);
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_FULL);
    PDM_ASSERT_STR(li.server_id, "srv-b");
    PDM_ASSERT_STR(li.plugin, "fx-lock");
    CU_ASSERT(li.since > 1700000000);
    a = audit_of(ctx, "DeviceLock");
    CU_ASSERT_EQUAL(a.n, 1);
    PDM_ASSERT_STR(a.principal, "plugin:fx-lock");
    PDM_ASSERT_STR(a.component, "fx-lock");
    PDM_ASSERT_STR(a.decision, "info");
    PDM_ASSERT_STR(a.reason, "lock level full (was none), ordered by srv-b");
    CU_ASSERT_EQUAL(H()->get_lock(pc_of(ctx), &level), PDM_OK);
    CU_ASSERT_EQUAL(level, PDM_LOCK_FULL);

    /* The same level: nothing, no row.  Bad level, empty server. */
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_FULL, "srv-a"), PDM_OK);
    CU_ASSERT_EQUAL(audit_of(ctx, "DeviceLock").n, 1);
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), 3, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_NONE, ""), PDM_EINVAL);
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_NONE, "a\nb"),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(H()->get_lock(pc_of(ctx), NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(audit_of(ctx, "DeviceLock").n, 1);
    /* Outside an MO method and without a server: nobody ordered it. */
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_PARTIAL, NULL), PDM_OK);
    li = lock_info(ctx);
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_PARTIAL);
    PDM_ASSERT_STR(li.server_id, "");
    a = audit_of(ctx, "DeviceLock");
    CU_ASSERT_EQUAL(a.n, 2);
    PDM_ASSERT_STR(a.reason, "lock level partial (was full)");
    pdm_ctx_close(ctx);

    /* A stored fact: the next context has it. */
    ctx = open_ctx("persist");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    li = lock_info(ctx);
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_PARTIAL);
    PDM_ASSERT_STR(li.plugin, "fx-lock");
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_NONE, "srv-a"), PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx("persist");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    li = lock_info(ctx);
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_NONE);
    PDM_ASSERT_STR(li.server_id, "srv-a");
    CU_ASSERT_EQUAL(audit_of(ctx, "DeviceLock").n, 3);
    pdm_ctx_close(ctx);
}

/* A damaged record is a lock (fail closed). */
static void test_lock__damaged_record(void)
{
    pdm_ctx *ctx = open_ctx("damaged");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "lock",
                                      (const uint8_t *)"L1\tx", 4),
                    PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx("damaged");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(lock_info(ctx).level, PDM_LOCK_FULL);
    pdm_ctx_close(ctx);
}

/* ---- the flags every request carries ------------------------------------------- */

static unsigned flags_of(pdm_ctx *ctx, uint32_t op_code)
{
    char key[32];
    snprintf(key, sizeof key, "flags:%u", (unsigned)op_code);
    return (unsigned)strtoul(fx_kv(ctx, key), NULL, 10);
}

static int submit_account(pdm_ctx *ctx, const char *sid)
{
    char doc[2048];
    pdm_bootstrap_input in;
    pdm_bootstrap_result r;
    int n = snprintf(
        doc, sizeof doc,
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
        "<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>"
        "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>"
        "http://127.0.0.1:1/dm</LocURI></Source></SyncHdr><SyncBody><Add>"
        "<CmdID>1</CmdID><Item><Target><LocURI>./Inbox/acc</LocURI></Target>"
        "<Meta><Format xmlns=\"syncml:metinf\">node</Format><Type "
        "xmlns=\"syncml:metinf\">urn:oma:mo:oma-dm-dmacc:1.0</Type></Meta>"
        "</Item><Item><Target><LocURI>./Inbox/acc/ServerID</LocURI></Target>"
        "<Meta><Format xmlns=\"syncml:metinf\">chr</Format></Meta><Data>%s"
        "</Data></Item></Add><Final/></SyncBody></SyncML>",
        sid);
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_FACTORY;
    in.body = (const uint8_t *)doc;
    in.len = (size_t)n;
    in.content_type = "application/vnd.syncml.dm+xml";
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    n = pdm_ctx_bootstrap_submit(ctx, &in, &r);
    if (n != PDM_OK)
        fprintf(stderr, "bootstrap: %s (%s)\n", r.summary, r.component);
    return n;
}

static void test_lock__request_flags(void)
{
    pdm_ctx *ctx = open_ctx("flags");
    pdm_local_result lr;
    pdm__who srv = {PDM_PRINCIPAL_SERVER, "srv-a", NULL, 0, NULL};
    pdm__tree_result r;
    pdm__decision d;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    memset(&lr, 0, sizeof lr);
    lr.struct_size = sizeof lr;

    /* Unlocked: no flag anywhere. */
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-a", PDM_LOCAL_CONFIRMED, &lr),
                    PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_TAKEOVER) & PDM_REQ_DEVICE_LOCKED, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "auth-flags:takeover"), "0");
    CU_ASSERT_EQUAL(submit_account(ctx, "srv-boot1"), PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_BOOTSTRAP) & PDM_REQ_DEVICE_LOCKED,
                    0);
    PDM_ASSERT_STR(fx_kv(ctx, "auth-flags:bootstrap"), "0");
    PDM_ASSERT_STR(fx_kv(ctx, "lock-server:10"), "-"); /* takeover */

    /* Locked on srv-lock's order: every request names it (policy.h). */
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_PARTIAL, "srv-lock"),
                    PDM_OK);
    /* Local: takeover (policy and authority), ACL edit, account delete. */
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", PDM_LOCAL_CONFIRMED, &lr),
                    PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_TAKEOVER), PDM_REQ_DEVICE_LOCKED);
    PDM_ASSERT_STR(fx_kv(ctx, "auth-flags:takeover"), "1");
    PDM_ASSERT_STR(fx_kv(ctx, "lock-server:10"), "srv-lock");
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, "./Vendor", "Get=*",
                                    PDM_LOCAL_CONFIRMED, &lr),
                    PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_ACL_EDIT), PDM_REQ_DEVICE_LOCKED);
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-c", PDM_LOCAL_CONFIRMED,
                                           &lr),
                    PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_ACCOUNT_DELETE),
                    PDM_REQ_DEVICE_LOCKED);
    /* Bootstrap: the policy and the authority's on_bootstrap. */
    CU_ASSERT_EQUAL(submit_account(ctx, "srv-boot2"), PDM_OK);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_BOOTSTRAP), PDM_REQ_DEVICE_LOCKED);
    PDM_ASSERT_STR(fx_kv(ctx, "auth-flags:bootstrap"), "1");
    /* A server's Get through the tree keeps its own flags too. */
    srv.req_flags = PDM_REQ_TLS;
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &srv, "./Vendor", &r, &d),
                    PDM_OK);
    pdm__tree_result_free(&r);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_GET),
                    PDM_REQ_DEVICE_LOCKED | PDM_REQ_TLS);
    /* Unlocked again: gone. */
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_NONE, NULL), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &srv, "./Vendor", &r, &d),
                    PDM_OK);
    pdm__tree_result_free(&r);
    CU_ASSERT_EQUAL(flags_of(ctx, PDM_OP_GET), PDM_REQ_TLS);
    PDM_ASSERT_STR(fx_kv(ctx, "lock-server:1"), "-"); /* Get */
    pdm_ctx_close(ctx);
}

/* ---- device actions ---------------------------------------------------------------- */

static void test_lock__device_action(void)
{
    pdm_ctx *ctx = open_ctx("action");
    pdm_device_action a;
    char reason[64], buf[64];
    static const char *const bad_cls[] = {"contacts", "no way"};
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    g_actions = 0;
    g_action_rc = PDM_OK;

    /* A wipe through the MO: the hook gets the classes and the server. */
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "action 4", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    CU_ASSERT_EQUAL(g_actions, 1);
    CU_ASSERT_EQUAL(g_act.struct_size, sizeof(pdm_device_action));
    CU_ASSERT_EQUAL(g_act.kind, PDM_DEVACT_WIPE);
    PDM_ASSERT_STR(g_act_server, "srv-a");
    PDM_ASSERT_STR(g_act_classes, "contacts,media");
    CU_ASSERT_EQUAL(g_act.notify_user, 1);
    PDM_ASSERT_STR(fx_kv(ctx, "reason"), "");
    /* A capability switch refused by the user: its reason comes back. */
    g_action_rc = PDM_ECANCELLED;
    CU_ASSERT_EQUAL(op(ctx, "srv-b", "action 6", NULL), PDM_OK);
    CU_ASSERT_EQUAL(strtol(fx_kv(ctx, "rc"), NULL, 10), PDM_ECANCELLED);
    PDM_ASSERT_STR(fx_kv(ctx, "reason"), "user said no");
    PDM_ASSERT_STR(g_act_cap, "sms");
    CU_ASSERT_EQUAL(g_act.enable, 0);
    PDM_ASSERT_STR(g_act_server, "srv-b");
    /* A positive rc is no success. */
    g_action_rc = 3;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.kind = PDM_DEVACT_LOCK_FULL;
    a.server_id = "srv-c";
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, reason, sizeof reason),
                    PDM_ERROR);
    PDM_ASSERT_STR(g_act_server, "srv-c");
    g_action_rc = PDM_OK;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_OK);

    /* Bad structs never reach the device. */
    g_actions = 0;
    a.struct_size = sizeof a - 8;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.struct_size = sizeof a;
    a.kind = 7;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.kind = PDM_DEVACT_WIPE;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.classes = bad_cls;
    a.nclasses = 2;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.nclasses = 1;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_OK);
    a.kind = PDM_DEVACT_UNLOCK;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.classes = NULL;
    a.nclasses = 0;
    a.kind = PDM_DEVACT_CAPABILITY;
    a.capability = "wifi";
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.capability = "voice";
    a.enable = 2;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_EINVAL);
    a.enable = 1;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), NULL, NULL, 0), PDM_EINVAL);
    CU_ASSERT_EQUAL(g_actions, 2);

    /* Wipe classes: the device's list, checked. */
    g_classes_rc = PDM_OK;
    g_classes = "contacts,messages";
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "classes", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    PDM_ASSERT_STR(fx_kv(ctx, "classes"), "contacts,messages");
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, 8), PDM_ENOSPC);
    PDM_ASSERT_STR(buf, "");
    g_classes = "contacts,,media";
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, sizeof buf),
                    PDM_EINVAL);
    g_classes = "contacts;rm -rf";
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, sizeof buf),
                    PDM_EINVAL);
    g_classes = "a23456789012345678901234567890123";
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, sizeof buf),
                    PDM_EINVAL);
    g_classes_rc = PDM_ENOTFOUND;
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, sizeof buf),
                    PDM_ENOTFOUND);
    g_classes_rc = PDM_OK;
    pdm_ctx_close(ctx);

    /* An integrator built before 1.4: its struct ends before action. */
    hooks.struct_size = offsetof(pdm_device_hooks, action);
    ctx = open_ctx("action");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    g_actions = 0;
    a.kind = PDM_DEVACT_LOCK_FULL;
    a.capability = NULL;
    a.enable = 0;
    CU_ASSERT_EQUAL(H()->device_action(pc_of(ctx), &a, NULL, 0), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(H()->wipe_classes(pc_of(ctx), buf, sizeof buf),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(g_actions, 0);
    hooks.struct_size = sizeof hooks;
    pdm_ctx_close(ctx);
}

/* ---- once_key ---------------------------------------------------------------------- */

static void test_lock__once_key(void)
{
    pdm_ctx *ctx = open_ctx("once");
    pdm_generic_alert g;
    char big[200];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    /* Queued once, whatever server the second call would bind it to. */
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "alert k1", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    CU_ASSERT_EQUAL(op(ctx, "srv-b", "alert k1", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    /* The integrator is a scope of its own. */
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    g.type = "fx.lock";
    g.format = "chr";
    g.server_id = "srv-a";
    g.once_key = "k1";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
    /* Validation. */
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    g.once_key = big;
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_EINVAL);
    g.once_key = "";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_EINVAL);
    g.once_key = "a\001b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_EINVAL);
    /* The struct of an older integrator has no once_key: none. */
    g.struct_size = offsetof(pdm_generic_alert, once_key);
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 3);
    pdm_ctx_close(ctx);

    /* Across a restart, queued; then delivered (a session carried them
     * and ended normally): still never again. */
    ctx = open_ctx("once");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "alert k1", NULL), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 3);
    for (pdm__alert *a = ctx->alerts; a; a = a->next)
        a->in_flight = true;
    pdm__alerts_session_end(ctx, true);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    pdm_ctx_close(ctx);
    ctx = open_ctx("once");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "alert k1", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    g.struct_size = sizeof g;
    g.once_key = "k1";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    /* Another key goes. */
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "alert k2", NULL), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    /* The last 256 are kept: k1 is forgotten after 256 others. */
    for (int i = 0; i < 256; i++) {
        char k[16];
        snprintf(k, sizeof k, "n%d", i);
        note_delivered(ctx, k);
    }
    CU_ASSERT_EQUAL(ctx->nonce_done, PDM__ONCE_KEPT);
    g.once_key = "k1";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &g), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 2);
    pdm_ctx_close(ctx);
}

/* ---- pending Execs ------------------------------------------------------------------ */

static void test_lock__pending_exec(void)
{
    pdm_ctx *ctx = open_ctx("pending");
    pdm_pending_exec pe;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    memset(&pe, 0, sizeof pe);
    pe.struct_size = sizeof pe;
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 0, &pe), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "pending", "c-1"), PDM_PENDING);
    CU_ASSERT_EQUAL(op(ctx, "srv-b", "pending", NULL), PDM_PENDING);
    pdm_ctx_close(ctx);
    ctx = open_ctx("pending");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 0, &pe), PDM_OK);
    PDM_ASSERT_STR(pe.server_id, "srv-a");
    PDM_ASSERT_STR(pe.uri, "./FxLock/Op");
    PDM_ASSERT_STR(pe.correlator, "c-1");
    CU_ASSERT(pe.since > 1700000000);
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 1, &pe), PDM_OK);
    PDM_ASSERT_STR(pe.server_id, "srv-b");
    CU_ASSERT_PTR_NULL(pe.correlator);
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 2, &pe), PDM_ENOTFOUND);
    pe.struct_size = 4;
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 0, &pe), PDM_EINVAL);
    pdm_ctx_close(ctx);
}

/* ---- factory reset --------------------------------------------------------------------- */

/* What servers, bootstrap and the local user left: an account that did
 * not come from the factory, a node of srv-a, a factory value changed,
 * an ACL naming the new server, a root owner, an alert, a pending Exec,
 * a delivered once_key, a lock. */
static void dirty(pdm_ctx *ctx)
{
    char err[200];
    const pdm__node *n;
    CU_ASSERT_EQUAL(submit_account(ctx, "srv-x"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(ctx->tree), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "Vendor/New", PDM_FORMAT_CHR, 0,
                                  NULL, NULL, (const uint8_t *)"n", 1,
                                  "srv-a"),
                    PDM_OK);
    n = pdm__tree_lookup(ctx->tree, "Vendor/A/leaf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "Vendor/A/leaf", PDM_FORMAT_CHR,
                                  0, NULL, NULL, (const uint8_t *)"changed",
                                  7, "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(ctx->tree, "Vendor/Shared",
                                      "Get=*&Replace=srv-x+srv-c", err,
                                      sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, "srv-x"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(ctx->tree), PDM_OK);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "alert r1", NULL), PDM_OK);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "pending", "c-9"), PDM_PENDING);
    note_delivered(ctx, "old");
    CU_ASSERT_EQUAL(H()->set_lock(pc_of(ctx), PDM_LOCK_FULL, "srv-a"), PDM_OK);
    CU_ASSERT_EQUAL(H()->kv_put(pc_of(ctx), "mine", "kept", 4), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(ctx->tree, "Vendor/New"));
    CU_ASSERT_PTR_NOT_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
}

/* The factory state, in this or a new context. */
static void assert_factory(pdm_ctx *ctx, const char *factory_tnds)
{
    pdm__node *acc = NULL;
    pdm_pending_exec pe;
    pdm_lock_info li = lock_info(ctx);
    char *now = export(ctx);
    const uint8_t *v;
    size_t len = 0;
    CU_ASSERT_EQUAL(li.level, PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(li.reset_pending, 0);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(ctx->tree, "Vendor/New"));
    CU_ASSERT_EQUAL(pdm__dmacc_find(ctx->tree, "srv-x", &acc, NULL),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__dmacc_find(ctx->tree, "srv-a", &acc, NULL), PDM_OK);
    v = pdm__node_value(pdm__tree_lookup(ctx->tree, "Vendor/A/leaf"), &len);
    CU_ASSERT(len == 3 && memcmp(v, "a's", 3) == 0);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, "Vendor/Shared")),
                   "Get=*&Replace=srv-a+srv-c");
    CU_ASSERT_PTR_NULL(pdm__tree_root_owner(ctx->tree));
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(ctx->tree, "FxLock/Op"));
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 0);
    memset(&pe, 0, sizeof pe);
    pe.struct_size = sizeof pe;
    CU_ASSERT_EQUAL(pdm_ctx_pending_exec(ctx, 0, &pe), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(ctx->nonce_done, 0);
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
    PDM_ASSERT_STR(fx_kv(ctx, "mine"), "kept");
    /* Node for node what a new store with the same profile has (the
     * TStamps aside). */
    CU_ASSERT_EQUAL(strlen(now), strlen(factory_tnds));
    free(now);
}

/* The tree of a new store with this profile. */
static char *fresh_tree(const char *name)
{
    pdm_ctx *ctx = open_ctx(name);
    char *t;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    t = export(ctx);
    pdm_ctx_close(ctx);
    return t;
}

static void test_lock__factory_reset(void)
{
    char *factory = fresh_tree("reset-fresh");
    pdm_ctx *ctx = open_ctx("reset");
    audit_rows a;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    dirty(ctx);
    /* No session open, no tree transaction: at once. */
    CU_ASSERT_EQUAL(H()->factory_reset(pc_of(ctx)), PDM_OK);
    assert_factory(ctx, factory);
    a = audit_of(ctx, "FactoryReset");
    CU_ASSERT_EQUAL(a.n, 2); /* scheduled, done */
    PDM_ASSERT_STR(a.principal, "factory");
    PDM_ASSERT_STR(a.decision, "allow");
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "factory reset: "));
    a = audit_of(ctx, "DeviceLock");
    PDM_ASSERT_STR(a.reason, "lock level none (was full) by the factory reset");
    /* Not from init/fini nor without a plugin context. */
    CU_ASSERT_EQUAL(H()->factory_reset(NULL), PDM_EINVAL);
    pdm_ctx_close(ctx);
    ctx = open_ctx("reset");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    assert_factory(ctx, factory);
    CU_ASSERT_EQUAL(audit_of(ctx, "FactoryReset").n, 2);
    pdm_ctx_close(ctx);
    free(factory);
}

/* Scheduled while a session object is open: nothing until it is closed;
 * or the context closes first (a crash, a stop): the next open runs it. */
static void test_lock__reset_deferred(void)
{
    char *factory = fresh_tree("defer-fresh");
    pdm_ctx *ctx = open_ctx("defer");
    pdm_session *s = NULL;
    pdm_session_opts so;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    dirty(ctx);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-a";
    pdm_session_open(&s, ctx, &so);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(op(ctx, "srv-a", "reset", NULL), PDM_OK);
    PDM_ASSERT_STR(fx_kv(ctx, "rc"), "0");
    CU_ASSERT_EQUAL(lock_info(ctx).reset_pending, 1);
    CU_ASSERT_EQUAL(lock_info(ctx).level, PDM_LOCK_FULL);
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(ctx->tree, "Vendor/New"));
    /* The alert queued before the reset is still there for the session. */
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, NULL), 1);
    pdm_session_close(s);
    assert_factory(ctx, factory);
    pdm_ctx_close(ctx);

    /* Interrupted: scheduled, then the context closes. */
    ctx = open_ctx("defer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    dirty(ctx);
    ctx->sessions++; /* as if a session were open */
    CU_ASSERT_EQUAL(H()->factory_reset(pc_of(ctx)), PDM_OK);
    CU_ASSERT_EQUAL(lock_info(ctx).reset_pending, 1);
    pdm_ctx_close(ctx);
    ctx = open_ctx("defer");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    assert_factory(ctx, factory);
    pdm_ctx_close(ctx);
    free(factory);
}

static const pdm_test tests[] = {
    {"set_persisted", test_lock__set_persisted},
    {"damaged_record", test_lock__damaged_record},
    {"request_flags", test_lock__request_flags},
    {"device_action", test_lock__device_action},
    {"once_key", test_lock__once_key},
    {"pending_exec", test_lock__pending_exec},
    {"factory_reset", test_lock__factory_reset},
    {"reset_deferred", test_lock__reset_deferred},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"lock", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
