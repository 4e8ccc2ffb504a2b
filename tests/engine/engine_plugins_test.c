/*
 * The engine with fixture plugins (tests/engine/fixtures), run under ASan
 * by the asan preset:
 *  - pdm_ctx_close stops plugins before the tree and the store: host
 *    services used from destroy and fini work or answer an error, never
 *    reach freed memory (fx-teardown);
 *  - one module in two contexts, overlapping and in sequence, with the
 *    host table kept in a static (fx-teardown, spec-authority);
 *  - MO results: an out value is ignored unless get() returned PDM_OK,
 *    positive or unknown results are failures, a read loop is bounded
 *    (fx-mo);
 *  - a context that cannot run its profile's policies (opened without
 *    plugins, or failed to open) runs no session and no local change;
 *    policy results other than PDM_OK deny, tree reads inside check()
 *    do not recurse (fx-policy).
 * The same policy and MO fixtures run through whole sessions in
 * tests/session/cases (policy-*.case, mo-plugin-results.case).
 */
#include "cu_main.h"
#include "engine_files.h"
#include "auth/auth.h"
#include "engine/engine.h"
#include "session/session_int.h"
#include "store/store.h"
#include "tree/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

static const pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};

/* Writes a profile "<tmp>/<name>.profile" with the session tests' factory
 * tree and @plugins (raw profile text); returns its path (static). */
static const char *profile(const char *name, const char *plugins)
{
    return fx_profile(name,
                      "[profile]\nid = engine-test\nfactory_tree = %s/tests/"
                      "session/tree.tnds.xml\n[device]\ndevid = "
                      "IMEI:493005100592800\n[session]\nserver_auth = "
                      "false\n%s",
                      PDM_SOURCE_DIR, plugins);
}

static const char *state(const char *name) { return fx_state(name); }

/* Errors show up in the test output (the fixtures fail on purpose). */
static void log_stderr(void *user, int level, const char *component,
                       const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "  [%s] %s\n", component, msg);
}

static int open_ctx(pdm_ctx **ctx, const char *prof, const char *dir,
                    uint32_t flags)
{
    char plugin_path[1200];
    pdm_config cfg;
    snprintf(plugin_path, sizeof plugin_path, "%s:%s/plugins", FX_DIR,
             PDM_BINARY_DIR);
    fx_config(&cfg, prof, dir, plugin_path, flags, NULL, log_stderr);
    return pdm_ctx_open(ctx, &cfg);
}

/* kv @key of @plugin in the store of @dir, as a string ("" if absent). */
static void stored(const char *dir, const char *plugin, const char *key,
                   char *buf, size_t size)
{
    pdm__store *st = NULL;
    uint8_t *v = NULL;
    size_t len = 0;
    char err[256];
    buf[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(pdm__store_open(&st, dir, 0, err, sizeof err),
                          PDM_OK);
    if (pdm__store_kv_get(st, plugin, key, &v, &len) == PDM_OK)
        snprintf(buf, size, "%.*s", (int)len, (const char *)v);
    pdm__free(v);
    pdm__store_close(st);
}

static int session_open(pdm_ctx *ctx, const char **err)
{
    pdm_session_opts so;
    pdm_session *s = NULL;
    int rc;
    static char msg[512];
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "srv-none";
    rc = pdm_session_open(&s, ctx, &so);
    snprintf(msg, sizeof msg, "%s", s ? pdm_session_error(s) : "");
    *err = msg;
    pdm_session_close(s);
    return rc;
}

/* ---- teardown (pdm_ctx_close) ------------------------------------------ */

static void test_close__host_services_in_destroy_and_fini(void)
{
    const char *prof = profile("teardown",
                               "[plugin fx-teardown]\noption.tag = T\n");
    const char *dir = state("teardown");
    pdm_ctx *ctx = NULL;
    char v[300];
    CU_ASSERT_EQUAL_FATAL(open_ctx(&ctx, prof, dir, 0), PDM_OK);
    pdm_ctx_close(ctx);

    /* destroy and fini ran while the store was open: their kv writes and
     * alerts were kept; tree_read answered PDM_ENOTSUP (-7). */
    stored(dir, "fx-teardown", "destroy", v, sizeof v);
    PDM_ASSERT_STR(v, "tree=-7 get=0 alert=0 del=0 random=0");
    stored(dir, "fx-teardown", "fini", v, sizeof v);
    PDM_ASSERT_STR(v, "tree=-7 get=0 alert=0 del=0 random=0");
    stored(dir, "core", "alerts", v, sizeof v);
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "destroy:T"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "fini:T"));
}

/* ---- one module, several contexts --------------------------------------- */

static void get_devid(pdm_ctx *ctx)
{
    pdm__tree_result r;
    pdm__decision d;
    /* fx-teardown's policy logs through its static host table. */
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./DevInfo/DevId", &r,
                                  &d),
                    PDM_OK);
    pdm__tree_result_free(&r);
}

static void test_two_contexts__overlapping_and_in_sequence(void)
{
    const char *pa = profile("ctx-a", "[plugin fx-teardown]\noption.tag = A\n"
                                      "[plugin spec-authority]\n");
    const char *pb = profile("ctx-b", "[plugin fx-teardown]\noption.tag = B\n"
                                      "[plugin spec-authority]\n");
    const char *da = state("ctx-a"), *db = state("ctx-b");
    pdm_ctx *a = NULL, *b = NULL;
    char v[300];

    /* Overlapping: B opens after A and closes first; A keeps working. */
    CU_ASSERT_EQUAL_FATAL(open_ctx(&a, pa, da, 0), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(open_ctx(&b, pb, db, 0), PDM_OK);
    get_devid(b);
    pdm_ctx_close(b);
    get_devid(a);
    pdm_ctx_close(a);
    stored(da, "fx-teardown", "fini", v, sizeof v);
    PDM_ASSERT_STR(v, "tree=-7 get=0 alert=0 del=0 random=0");
    stored(da, "core", "alerts", v, sizeof v);
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "fini:A"));
    CU_ASSERT_PTR_NULL(strstr(v, ":B"));
    stored(db, "core", "alerts", v, sizeof v);
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "fini:B"));
    CU_ASSERT_PTR_NULL(strstr(v, ":A"));

    /* The shipped spec-authority alone (it keeps the host table in a
     * static and frees its instance through it in destroy). */
    pa = profile("sa-a", "[plugin spec-authority]\n");
    pb = profile("sa-b", "[plugin spec-authority]\n");
    CU_ASSERT_EQUAL_FATAL(open_ctx(&a, pa, state("sa-a"), 0), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(open_ctx(&b, pb, state("sa-b"), 0), PDM_OK);
    pdm_ctx_close(b);
    pdm_ctx_close(a);

    /* In sequence, and overlapping the other way round. */
    pa = profile("ctx-a", "[plugin fx-teardown]\noption.tag = A\n"
                          "[plugin spec-authority]\n");
    pb = profile("ctx-b", "[plugin fx-teardown]\noption.tag = B\n"
                          "[plugin spec-authority]\n");
    CU_ASSERT_EQUAL_FATAL(open_ctx(&a, pa, da, 0), PDM_OK);
    get_devid(a);
    pdm_ctx_close(a);
    CU_ASSERT_EQUAL_FATAL(open_ctx(&b, pb, db, 0), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(open_ctx(&a, pa, da, 0), PDM_OK);
    pdm_ctx_close(a);
    get_devid(b);
    pdm_ctx_close(b);
}

/* ---- MO handler results --------------------------------------------------- */

static void test_mo__results_and_ownership(void)
{
    const char *prof = profile("mo", "[plugin fx-mo]\n");
    pdm_ctx *ctx = NULL;
    pdm__tree_result r;
    pdm__decision d;
    pdm__tree_item item;
    CU_ASSERT_EQUAL_FATAL(open_ctx(&ctx, prof, state("mo"), 0), PDM_OK);

    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./FxMo/Good", &r, &d),
                    PDM_OK);
    CU_ASSERT_EQUAL(r.len, 4);
    pdm__tree_result_free(&r);
    /* The plugin freed its own copy on the error path (rule 3): the core
     * must neither free nor read it. */
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./FxMo/Bad", &r, &d),
                    PDM_EIO);
    pdm__tree_result_free(&r);
    /* rc 1 is not success: the same, and PDM_ERROR. */
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./FxMo/Pos", &r, &d),
                    PDM_ERROR);
    pdm__tree_result_free(&r);
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./FxMo/NullLen", &r,
                                  &d),
                    PDM_ERROR);
    pdm__tree_result_free(&r);
    /* A get() that reads itself through the host: bounded. */
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./FxMo/Loop", &r, &d),
                    PDM_EBUSY);
    pdm__tree_result_free(&r);

    memset(&item, 0, sizeof item);
    item.data = (const uint8_t *)"x";
    item.len = 1;
    item.format = PDM_FORMAT_CHR;
    CU_ASSERT_EQUAL(pdm__tree_replace(ctx->tree, &local, "./FxMo/Pos", &item,
                                      &d),
                    PDM_ERROR);
    CU_ASSERT_EQUAL(pdm__tree_exec(ctx->tree, &local, "./FxMo/Run", NULL, NULL,
                                   &d),
                    PDM_ERROR);
    CU_ASSERT_EQUAL(pdm__tree_replace(ctx->tree, &local, "./FxMo/Good", &item,
                                      &d),
                    PDM_OK);
    pdm_ctx_close(ctx);
}

/* ---- contexts that cannot run their policies ------------------------------ */

static void test_policies__not_running(void)
{
    const char *with = profile("nopl", "[plugin fx-policy]\n");
    const char *without = profile("nopl-none", "");
    pdm_ctx *ctx = NULL;
    pdm__tree_result r;
    pdm__decision d;
    pdm__tree_item item;
    const char *err;

    memset(&item, 0, sizeof item);
    item.data = (const uint8_t *)"x";
    item.len = 1;
    item.format = PDM_FORMAT_CHR;

    /* The profile lists a policy, the context runs no plugins. */
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, with, state("nopl"), PDM_CTX_NO_PLUGINS), PDM_OK);
    CU_ASSERT_EQUAL(session_open(ctx, &err), PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not running"));
    CU_ASSERT_EQUAL(pdm__tree_replace(ctx->tree, &local, "./Test/leaf", &item,
                                      &d),
                    PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.reason, "not running"));
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./Test/leaf", &r, &d),
                    PDM_EDENIED);
    pdm__tree_result_free(&r);
    pdm_ctx_close(ctx);

    /* The same store with its plugins running: both work. */
    CU_ASSERT_EQUAL_FATAL(open_ctx(&ctx, with, state("nopl"), 0), PDM_OK);
    CU_ASSERT_EQUAL(session_open(ctx, &err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(ctx->tree, &local, "./Test/leaf", &item,
                                      &d),
                    PDM_OK);
    pdm_ctx_close(ctx);

    /* Without plugins in the profile nothing is missing. */
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, without, state("nopl-none"), PDM_CTX_NO_PLUGINS),
        PDM_OK);
    CU_ASSERT_EQUAL(session_open(ctx, &err), PDM_OK);
    pdm_ctx_close(ctx);
}

static void test_policies__failed_open(void)
{
    const char *prof = profile("initfail",
                               "[plugin fx-policy]\noption.mode = initfail\n");
    pdm_ctx *ctx = NULL;
    const char *err;
    CU_ASSERT_NOT_EQUAL(open_ctx(&ctx, prof, state("initfail"), 0), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_ctx_last_error(ctx), "on purpose"));
    /* An integrator that ignores the error gets no session. */
    CU_ASSERT_EQUAL(session_open(ctx, &err), PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not open"));
    pdm_ctx_close(ctx);
}

/* Every result of check() other than PDM_OK, and every unknown decision,
 * denies; reads inside check() answer without recursion. */
static void test_policies__results(void)
{
    static const struct {
        const char *opts;
        int get, replace;
    } cases[] = {
        {"option.mode = rc\noption.rc = -11\n", PDM_EDENIED, PDM_EDENIED},
        {"option.mode = rc\noption.rc = -1000\n", PDM_EDENIED, PDM_EDENIED},
        {"option.mode = rc\noption.rc = 1\n", PDM_EDENIED, PDM_EDENIED},
        {"option.mode = rc\noption.rc = 42\n", PDM_EDENIED, PDM_EDENIED},
        {"option.mode = decision\noption.decision = 3\n", PDM_EDENIED,
         PDM_EDENIED},
        {"option.mode = decision\noption.decision = 0xffffffff\n",
         PDM_EDENIED, PDM_EDENIED},
        {"option.mode = decision\noption.decision = 1\n", PDM_OK, PDM_OK},
        {"option.mode = treeread\noption.read = ./Test/dir/a\n"
         "option.expect = 1\n",
         PDM_OK, PDM_OK},
        {"option.mode = treeread\noption.read = ./Test/dir/a\n"
         "option.expect = 2\n",
         PDM_EDENIED, PDM_EDENIED},
        {"option.mode = treeread\noption.read = "
         "./DMAcc/md5/AppAuth/1/AAuthSecret\noption.expect = OhBehave\n",
         PDM_EDENIED, PDM_EDENIED},
        /* The read goes through another plugin's handler: no policy and
         * no recursion on the way either. */
        {"option.mode = treeread\noption.read = ./FxMo/Good\n"
         "option.expect = good\n",
         PDM_OK, PDM_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[600], name[32];
        const char *prof;
        pdm_ctx *ctx = NULL;
        pdm__tree_result r;
        pdm__decision d;
        pdm__tree_item item;
        snprintf(name, sizeof name, "results-%zu", i);
        snprintf(text, sizeof text, "[plugin fx-policy]\n%s[plugin fx-mo]\n",
                 cases[i].opts);
        prof = profile(name, text);
        CU_ASSERT_EQUAL_FATAL(open_ctx(&ctx, prof, state(name), 0), PDM_OK);
        memset(&item, 0, sizeof item);
        item.data = (const uint8_t *)"x";
        item.len = 1;
        item.format = PDM_FORMAT_CHR;
        if (pdm__tree_get(ctx->tree, &local, "./Test/leaf", &r, &d) !=
            cases[i].get)
            printf("case %zu: get: %s\n", i, d.reason);
        CU_ASSERT_EQUAL(d.rc, cases[i].get);
        pdm__tree_result_free(&r);
        CU_ASSERT_EQUAL(pdm__tree_replace(ctx->tree, &local, "./Test/leaf",
                                          &item, &d),
                        cases[i].replace);
        if (cases[i].replace != PDM_OK)
            CU_ASSERT_PTR_NOT_NULL(strstr(d.component, "fx-policy"));
        /* Requests the policy does not act on are unaffected. */
        CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &local, "./DevInfo/DevId",
                                      &r, &d),
                        PDM_OK);
        pdm__tree_result_free(&r);
        pdm_ctx_close(ctx);
    }
}

/* The last audit row (copied). */
typedef struct last_row {
    int n;
    char principal[128], op[32], decision[16], component[96], reason[300];
} last_row;

static int last_row_cb(void *user, const pdm__audit_rec *a)
{
    last_row *r = user;
    r->n++;
    snprintf(r->principal, sizeof r->principal, "%s", a->principal);
    snprintf(r->op, sizeof r->op, "%s", a->op);
    snprintf(r->decision, sizeof r->decision, "%s", a->decision);
    snprintf(r->component, sizeof r->component, "%s", a->component);
    snprintf(r->reason, sizeof r->reason, "%s", a->reason);
    return PDM_OK;
}

/* The last audit row: srv-md5's Notify, denied by fx-policy, @reason. */
static void notify_denied(pdm_ctx *ctx, const char *reason)
{
    last_row r;
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__store_audit_query(ctx->store, 0, last_row_cb, &r),
                    PDM_OK);
    PDM_ASSERT_STR(r.principal, "server:srv-md5");
    PDM_ASSERT_STR(r.op, "Notify");
    PDM_ASSERT_STR(r.decision, "deny");
    PDM_ASSERT_STR(r.component, "policy:fx-policy/check");
    PDM_ASSERT_STR(r.reason, reason);
}

/* A package 0 of srv-md5 (tests/session/tree.tnds.xml: SRVCRED "srvpw",
 * nonce "srvnonce") with session id @sid. */
static void build_pkg0(pdm__buf *b, uint16_t sid)
{
    pdm__pkg0 in;
    memset(&in, 0, sizeof in);
    in.version = 12;
    in.ui_mode = 1;
    in.initiator = 1;
    in.session_id = sid;
    snprintf(in.server_id, sizeof in.server_id, "srv-md5");
    pdm__buf_init(b);
    CU_ASSERT_EQUAL_FATAL(pdm__pkg0_build(&in, "srvpw",
                                          (const uint8_t *)"srvnonce", 8, b),
                          PDM_OK);
}

/* build_pkg0's package, admitted as the agent does. */
static int admit_pkg0(pdm_ctx *ctx, uint16_t sid, char *why, size_t whylen)
{
    pdm__buf b;
    char server[64], s[5];
    int rc;
    build_pkg0(&b, sid);
    rc = pdm__pkg0_admit(ctx, b.data, b.len, server, sizeof server, s, why,
                         whylen);
    PDM_ASSERT_STR(server, "srv-md5");
    pdm__buf_free(&b);
    return rc;
}

/* A verified package 0 asks the policies for a session (PDM_OP_SESSION,
 * principal SERVER, the account's ServerID, URI and address, flags
 * PDM_REQ_NOTIFICATION only: no TLS, no pin yet).  A DENY refuses it:
 * PDM_EDENIED, the reason naming the policy, one audit row of the server
 * with the deciding component; an abstaining policy admits it. */
static void test_policies__pkg0_notification(void)
{
    const char *dir = state("pkg0pol");
    pdm_ctx *ctx = NULL;
    char why[300];
    last_row r;
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("pkg0pol", "[plugin fx-policy]\n"
                                          "option.mode = session\n"),
                 dir, 0),
        PDM_OK);
    CU_ASSERT_EQUAL(admit_pkg0(ctx, 0x1234, why, sizeof why), PDM_EDENIED);
    PDM_ASSERT_STR(why, "refused by policy:fx-policy/check: session "
                        "principal=1 sid=srv-md5 uri=./DMAcc/md5 "
                        "addr=http://srv-md5.test/dm flags=16 pin=-");
    notify_denied(ctx, "package 0 refused: session principal=1 "
                       "sid=srv-md5 uri=./DMAcc/md5 "
                       "addr=http://srv-md5.test/dm flags=16 pin=-");
    pdm_ctx_close(ctx);

    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("pkg0pol", "[plugin fx-policy]\n"), dir, 0),
        PDM_OK);
    CU_ASSERT_EQUAL(admit_pkg0(ctx, 0x1235, why, sizeof why), PDM_OK);
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__store_audit_query(ctx->store, 0, last_row_cb, &r),
                    PDM_OK);
    PDM_ASSERT_STR(r.decision, "allow");
    PDM_ASSERT_STR(r.reason, "package 0 verified (session 1235)");
    pdm_ctx_close(ctx);
}

/* How often fx-policy (mode notify) was asked about a notification. */
static long notify_asks(pdm_ctx *ctx)
{
    uint8_t *v = NULL;
    size_t n = 0;
    char buf[16] = "0";
    if (pdm__store_kv_get(ctx->store, "fx-policy", "notify-asks", &v, &n) ==
        PDM_OK)
        snprintf(buf, sizeof buf, "%.*s", (int)n, (const char *)v);
    pdm__free(v);
    return strtol(buf, NULL, 10);
}

/* Audit rows with op @op. */
static int count_op_cb(void *user, const pdm_audit_row *r)
{
    if (strcmp(r->op, "Notify") == 0)
        ++*(int *)user;
    return 0;
}

static int notify_rows(pdm_ctx *ctx)
{
    int n = 0;
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, count_op_cb, &n), PDM_OK);
    return n;
}

/* pdm_session_open with a package 0: pdm_session_open(opts.pkg0) with
 * @flags; returns its rc and copies its error. */
static int open_pkg0(pdm_ctx *ctx, uint16_t sid, uint32_t flags, char *err,
                     size_t errlen)
{
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm__buf b;
    int rc;
    build_pkg0(&b, sid);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = flags;
    so.pkg0 = b.data;
    so.pkg0_len = b.len;
    rc = pdm_session_open(&s, ctx, &so);
    snprintf(err, errlen, "%s", s ? pdm_session_error(s) : "");
    pdm_session_close(s);
    pdm__buf_free(&b);
    return rc;
}

/* An integrator calling pdm_session_open with a package 0 gets the same
 * notification question (PDM_OP_SESSION with PDM_REQ_NOTIFICATION) as the
 * agent's intake: a policy that denies notifications refuses the session
 * with PDM_EDENIED, the error naming the policy, and exactly one Notify
 * row (the server's, "deny", the deciding component), asked once; with
 * TRANSPORT_FACTS too, where the session policy waits for the
 * transport. */
static void test_policies__pkg0_session_open_notification(void)
{
    pdm_ctx *ctx = NULL;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("pkg0open", "[plugin fx-policy]\n"
                                           "option.mode = notify\n"
                                           "option.notify = deny\n"),
                 state("pkg0open"), 0),
        PDM_OK);
    CU_ASSERT_EQUAL(open_pkg0(ctx, 0x2001, 0, err, sizeof err), PDM_EDENIED);
    PDM_ASSERT_STR(err, "package 0 from srv-md5 refused by "
                        "policy:fx-policy/check: notify #1 sid=srv-md5");
    CU_ASSERT_EQUAL(notify_asks(ctx), 1);
    CU_ASSERT_EQUAL(notify_rows(ctx), 1);
    notify_denied(ctx, "package 0 refused: notify #1 sid=srv-md5");
    /* The session policy deferred to the transport: still refused. */
    CU_ASSERT_EQUAL(open_pkg0(ctx, 0x2002, PDM_SESSION_TRANSPORT_FACTS, err,
                              sizeof err),
                    PDM_EDENIED);
    CU_ASSERT_EQUAL(notify_asks(ctx), 2);
    CU_ASSERT_EQUAL(notify_rows(ctx), 2);
    /* It was verified, so it is recorded as handled: a replay is
     * refused before any question. */
    CU_ASSERT_EQUAL(open_pkg0(ctx, 0x2002, 0, err, sizeof err), PDM_EEXISTS);
    CU_ASSERT_EQUAL(notify_asks(ctx), 2);
    pdm_ctx_close(ctx);
}

/* The agent's path through the public API: pdm_ctx_notification_admit
 * asks once, the session it then opens (PDM_SESSION_SERVER_INITIATED with
 * the admitted session id) asks no second notification question and
 * writes no second Notify row; a package 0 given straight to
 * pdm_session_open asks once too.  Refusals: by a policy (audited, the
 * why naming it), malformed (no row), replay, bad arguments. */
static void test_policies__notification_admit(void)
{
    const char *dir = state("ntadmit");
    pdm_ctx *ctx = NULL;
    pdm_notification nt;
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm__buf b;
    char err[512];
    int rows;
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("ntadmit", "[plugin fx-policy]\n"
                                          "option.mode = notify\n"),
                 dir, 0),
        PDM_OK);
    build_pkg0(&b, 0x3001);
    memset(&nt, 0x5a, sizeof nt);
    nt.struct_size = sizeof nt;
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx, b.data, b.len),
                    PDM_OK);
    PDM_ASSERT_STR(nt.server_id, "srv-md5");
    PDM_ASSERT_STR(nt.session_id, "3001");
    PDM_ASSERT_STR(nt.why, "");
    CU_ASSERT_EQUAL(notify_asks(ctx), 1);
    CU_ASSERT_EQUAL(notify_rows(ctx), 1);
    /* admitted once: the same package again is a replay */
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx, b.data, b.len),
                    PDM_EEXISTS);
    CU_ASSERT_PTR_NOT_NULL(strstr(nt.why, "already handled"));
    pdm__buf_free(&b);
    /* the session of the admitted notification: no second question */
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = PDM_SESSION_SERVER_INITIATED;
    so.server_id = "srv-md5";
    so.session_id = "3001";
    CU_ASSERT_EQUAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    pdm_session_close(s);
    CU_ASSERT_EQUAL(notify_asks(ctx), 1);
    CU_ASSERT_EQUAL(notify_rows(ctx), 1);
    /* straight to pdm_session_open: one question, one row */
    CU_ASSERT_EQUAL(open_pkg0(ctx, 0x3002, 0, err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(notify_asks(ctx), 2);
    CU_ASSERT_EQUAL(notify_rows(ctx), 2);
    /* malformed: no row, nothing asked */
    rows = notify_rows(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx,
                                               (const uint8_t *)"xx", 2),
                    PDM_EPARSE);
    CU_ASSERT_NOT_EQUAL(nt.why[0], '\0');
    CU_ASSERT_EQUAL(notify_rows(ctx), rows);
    CU_ASSERT_EQUAL(notify_asks(ctx), 2);
    /* bad arguments */
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(NULL, ctx,
                                               (const uint8_t *)"xx", 2),
                    PDM_EINVAL);
    nt.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx,
                                               (const uint8_t *)"xx", 2),
                    PDM_EINVAL);
    nt.struct_size = sizeof nt;
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx, NULL, 2),
                    PDM_EINVAL);
    pdm_ctx_close(ctx);

    /* a policy that denies: PDM_EDENIED, audited with the component */
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("ntadmit", "[plugin fx-policy]\n"
                                          "option.mode = notify\n"
                                          "option.notify = deny\n"),
                 dir, 0),
        PDM_OK);
    build_pkg0(&b, 0x3003);
    nt.struct_size = sizeof nt;
    CU_ASSERT_EQUAL(pdm_ctx_notification_admit(&nt, ctx, b.data, b.len),
                    PDM_EDENIED);
    PDM_ASSERT_STR(nt.server_id, "srv-md5");
    PDM_ASSERT_STR(nt.why, "refused by policy:fx-policy/check: notify #1 "
                           "sid=srv-md5");
    CU_ASSERT_EQUAL(notify_rows(ctx), rows + 1);
    pdm__buf_free(&b);
    pdm_ctx_close(ctx);
}

/* A session a policy refuses is audited with the deciding component,
 * like every other policy refusal (not "session"); its error names it. */
static void test_policies__session_refused_audit(void)
{
    pdm_ctx *ctx = NULL;
    const char *err;
    last_row r;
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("sesspol", "[plugin fx-policy]\n"
                                          "option.mode = session\n"),
                 state("sesspol"), 0),
        PDM_OK);
    CU_ASSERT_EQUAL(session_open(ctx, &err), PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "session refused by "
                                       "policy:fx-policy/check: session "
                                       "principal=1 sid=srv-none"));
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__store_audit_query(ctx->store, 0, last_row_cb, &r),
                    PDM_OK);
    PDM_ASSERT_STR(r.principal, "server:srv-none");
    PDM_ASSERT_STR(r.op, "Session");
    PDM_ASSERT_STR(r.decision, "deny");
    PDM_ASSERT_STR(r.component, "policy:fx-policy/check");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.reason, "session principal=1 "
                                            "sid=srv-none"));
    pdm_ctx_close(ctx);
}

/* plugin.h: kv writes go to the store at once, not with the package: a
 * package the tree undoes (pdm__tree_abort) leaves them; and another
 * process (a reopened store) sees them before any commit. */
static void test_kv__not_part_of_the_package(void)
{
    const char *dir = state("kvtx");
    const pdm_host_api *h = pdm__host_table();
    pdm_ctx *ctx = NULL;
    pdm_plugin_ctx *pc;
    pdm__tree_item item;
    pdm__decision d;
    char v[64];
    CU_ASSERT_EQUAL_FATAL(
        open_ctx(&ctx, profile("kvtx", "[plugin fx-policy]\n"), dir, 0),
        PDM_OK);
    CU_ASSERT_EQUAL_FATAL(ctx->plugins.n, 1);
    pc = &ctx->plugins.v[0]->ctx;
    memset(&item, 0, sizeof item);
    item.data = (const uint8_t *)"x";
    item.len = 1;
    item.format = PDM_FORMAT_CHR;
    CU_ASSERT_EQUAL(pdm__tree_begin(ctx->tree), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_add(ctx->tree, &local, "./Test/kvtx", &item,
                                      &d),
                    PDM_OK);
    CU_ASSERT_EQUAL(h->kv_put(pc, "k", "in-package", 10), PDM_OK);
    stored(dir, "fx-policy", "k", v, sizeof v); /* another reader */
    PDM_ASSERT_STR(v, "in-package");
    pdm__tree_abort(ctx->tree);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(ctx->tree, "./Test/kvtx"));
    pdm_ctx_close(ctx);
    stored(dir, "fx-policy", "k", v, sizeof v);
    PDM_ASSERT_STR(v, "in-package");
}

static const pdm_test tests[] = {
    {"close__host_services_in_destroy_and_fini",
     test_close__host_services_in_destroy_and_fini},
    {"two_contexts__overlapping_and_in_sequence",
     test_two_contexts__overlapping_and_in_sequence},
    {"mo__results_and_ownership", test_mo__results_and_ownership},
    {"policies__not_running", test_policies__not_running},
    {"policies__failed_open", test_policies__failed_open},
    {"policies__results", test_policies__results},
    {"policies__pkg0_notification", test_policies__pkg0_notification},
    {"policies__session_refused_audit", test_policies__session_refused_audit},
    {"policies__pkg0_session_open_notification",
     test_policies__pkg0_session_open_notification},
    {"policies__notification_admit", test_policies__notification_admit},
    {"kv__not_part_of_the_package", test_kv__not_part_of_the_package},
    {NULL, NULL}};

static const pdm_suite suites[] = {{"engine_plugins", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
