/*
 * The local user's operations (core/src/engine/local.c) through the
 * integrator API: pdm_ctx_takeover, pdm_ctx_transfer, pdm_ctx_acl_set,
 * pdm_ctx_account_delete and pdm_ctx_authority, with real contexts and
 * stores and the fx-local fixture (an authority whose takeover() allows,
 * denies, abstains or fails, one without takeover(), a policy that
 * denies one op).  Every refusal is checked for its rc, the component
 * that decided, its one audit row and a tree that exports byte for byte
 * as before; every success for the exact ACLs, owners and facts, its
 * audit row, and the same after a reopen.
 *
 * The tree (tests/engine/local.tnds.xml, then seed()): accounts srv-a,
 * srv-b, srv-c; root ACL "Add=*&Get=*&Replace=srv-a", root owner srv-a;
 * ./Vendor "Get=srv-a+srv-b&Replace=srv-a" with ./Vendor/A (created by
 * srv-a) "Add=srv-a&Delete=srv-a&Get=srv-a&Replace=srv-a" and
 * ./Vendor/Shared "Get=*&Replace=srv-a+srv-c".
 */
#include "cu_main.h"
#include "engine_fx.h"
#include "engine_files.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/tnds.h"
#include "tree/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>


/* ---- the user ------------------------------------------------------------- */

/* g_answer: 1 yes, 0 no, -1 the hook fails with PDM_ECANCELLED. */
static int g_answer = 1;
static unsigned g_asks;
static char g_ask_text[512], g_ask_sid[64];
static int g_ask_type;

static int hook_ui(void *user, const pdm_ui_request *rq, pdm_ui_response *rs)
{
    (void)user;
    g_asks++;
    g_ask_type = rq->type;
    snprintf(g_ask_text, sizeof g_ask_text, "%s", rq->text ? rq->text : "");
    snprintf(g_ask_sid, sizeof g_ask_sid, "%s",
             rq->server_id ? rq->server_id : "");
    if (g_answer < 0)
        return PDM_ECANCELLED;
    rs->accepted = g_answer;
    return PDM_OK;
}

static pdm_device_hooks hooks = {sizeof(pdm_device_hooks), NULL, NULL, hook_ui,
                                 NULL, NULL, NULL, NULL};
static const pdm_device_hooks *g_hooks = &hooks;

/* ---- contexts ---------------------------------------------------------------- */

/* A profile with fx-local (@takeover, @deny) and @authority as its
 * authority ("auth", "auth-none"), or no plugin at all (@authority
 * NULL). */
static const char *g_root_acl; /* fx-local's defaults() root_acl */

static const char *profile(const char *name, const char *authority,
                           const char *takeover, const char *deny)
{
    const char *p = fx_path(name, ".profile");
    FILE *f = fopen(p, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "[profile]\nid = local-test\nfactory_tree = %s/tests/engine/"
            "local.tnds.xml\n",
            PDM_SOURCE_DIR);
    if (authority)
        fprintf(f, "authority = fx-local/%s\n", authority);
    fprintf(f, "[device]\nimsi = 001010123456789\n");
    if (authority)
        fprintf(f,
                "[plugin fx-local]\noption.takeover = %s\noption.deny = %s\n",
                takeover, deny);
    if (authority && g_root_acl)
        fprintf(f, "option.root_acl = %s\n", g_root_acl);
    fclose(f);
    return p;
}

static const char *state(const char *name) { return fx_state(name); }

static void log_stderr(void *user, int level, const char *component,
                       const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "  [%s] %s\n", component, msg);
}

static pdm_ctx *open_ctx(const char *prof, const char *dir)
{
    return fx_open(prof, dir, FX_DIR, 0, g_hooks, log_stderr);
}

/* The state every test starts from (see the top). */
static void seed(pdm_ctx *ctx)
{
    char err[200];
    CU_ASSERT_EQUAL(pdm__tree_set_acl(ctx->tree, ".",
                                      "Add=*&Get=*&Replace=srv-a", err,
                                      sizeof err),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, "srv-a"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_owner(ctx->tree, "Vendor/A", "srv-a"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_set_owner(ctx->tree, "Vendor/A/leaf", "srv-a"),
                    PDM_OK);
}

/* A new state directory @name with the seeded tree, opened on @prof. */
static pdm_ctx *fresh(const char *name, const char *prof)
{
    char cmd[800];
    pdm_ctx *ctx;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state(name));
    CU_ASSERT_EQUAL(system(cmd), 0);
    ctx = open_ctx(prof, state(name));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    seed(ctx);
    g_answer = 1;
    g_asks = 0;
    return ctx;
}

static const char *acl(pdm_ctx *ctx, const char *uri)
{
    pdm__node *n = pdm__tree_lookup(ctx->tree, uri);
    return n ? pdm__node_acl(n) : "(missing)";
}

static const char *owner(pdm_ctx *ctx, const char *uri)
{
    pdm__node *n = pdm__tree_lookup(ctx->tree, uri);
    return n ? pdm__node_owner(n) : "(missing)";
}

static uint32_t verno(pdm_ctx *ctx, const char *uri)
{
    pdm__node *n = pdm__tree_lookup(ctx->tree, uri);
    return n ? pdm__node_verno(n) : 0xFFFFFFFFu;
}

typedef audit_rows rows;

static pdm_local_result R;

static pdm_local_result *res(void)
{
    memset(&R, 0x5a, sizeof R);
    R.struct_size = sizeof R;
    return &R;
}

/* The refusal left one "deny" row by @component and the tree as it was. */
static void refused(pdm_ctx *ctx, const char *op, const char *before,
                    size_t rows_before, const char *component,
                    const char *decision)
{
    char *after = export(ctx);
    rows a = audit_of(ctx, op);
    PDM_ASSERT_STR(after, before);
    CU_ASSERT_EQUAL(a.n, rows_before + 1);
    PDM_ASSERT_STR(a.decision, decision);
    PDM_ASSERT_STR(a.component, component);
    PDM_ASSERT_STR(a.principal, "local");
    PDM_ASSERT_STR(R.component, component);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, R.summary));
    PDM_ASSERT_STR(pdm_ctx_last_error(ctx), R.summary);
    free(after);
}

static char *kv(pdm_ctx *ctx, const char *plugin, const char *key)
{
    static char buf[1024];
    uint8_t *v = NULL;
    size_t n = 0;
    buf[0] = '\0';
    if (pdm__store_kv_get(ctx->store, plugin, key, &v, &n) == PDM_OK)
        snprintf(buf, sizeof buf, "%.*s", (int)n, (const char *)v);
    pdm__free(v);
    return buf;
}

/* ---- takeover ------------------------------------------------------------------ */

static void check_taken_over(pdm_ctx *ctx)
{
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-b");
    PDM_ASSERT_STR(acl(ctx, "."),
                   "Add=*&Delete=srv-b&Exec=srv-b&Get=srv-b&Replace=srv-b");
    /* srv-a scrubbed everywhere (TND §8.3.7.1.4) */
    PDM_ASSERT_STR(acl(ctx, "./Vendor"), "Get=srv-b");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/A"), "");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "Get=*&Replace=srv-c");
    /* its own account stays its own (DMAcc rule) */
    PDM_ASSERT_STR(acl(ctx, "./DMAcc/a"), "Delete=srv-a&Get=srv-a&Replace=srv-a");
    /* creators do not change: root ownership is its own fact */
    PDM_ASSERT_STR(owner(ctx, "./Vendor/A"), "srv-a");
}

static void test_local__takeover(void)
{
    const char *prof = profile("to", "auth", "allow", "none");
    pdm_ctx *ctx = fresh("to", prof);
    uint32_t v = verno(ctx, ".");
    rows a;

    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_OK);
    PDM_ASSERT_STR(R.component, "");
    PDM_ASSERT_STR(R.summary,
                   "root owner srv-a -> srv-b; root ACL 'Add=*&Delete=srv-b&"
                   "Exec=srv-b&Get=srv-b&Replace=srv-b'; srv-a scrubbed from 3 "
                   "ACL(s)");
    check_taken_over(ctx);
    CU_ASSERT_EQUAL(verno(ctx, "."), (v + 1) & 0xFFFF);
    /* the user was asked once, as "local", with a 1101 confirm */
    CU_ASSERT_EQUAL(g_asks, 1);
    CU_ASSERT_EQUAL(g_ask_type, 1101);
    PDM_ASSERT_STR(g_ask_sid, "local");
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "Make srv-b the owner"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "srv-a, the owner now"));
    /* the authority saw the new owner and the current one */
    PDM_ASSERT_STR(kv(ctx, "fx-local", "takeover"),
                   "srv-b ./DMAcc/b srv-a 1 http://b.test/dm 001-01");
    a = audit_of(ctx, "Takeover");
    CU_ASSERT_EQUAL(a.n, 1);
    PDM_ASSERT_STR(a.decision, "allow");
    PDM_ASSERT_STR(a.component, "authority:fx-local/auth");
    PDM_ASSERT_STR(a.principal, "local");
    PDM_ASSERT_STR(a.uri, ".");
    PDM_ASSERT_STR(a.reason, R.summary);
    pdm_ctx_close(ctx);
    /* persisted */
    ctx = open_ctx(prof, state("to"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    check_taken_over(ctx);
    /* again, to the owner itself: nothing to scrub */
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", PDM_LOCAL_CONFIRMED, res()),
                    PDM_OK);
    check_taken_over(ctx);
    pdm_ctx_close(ctx);
}

static void test_local__takeover_authority(void)
{
    static const struct {
        const char *authority, *mode, *component, *summary;
    } cases[] = {
        {"auth", "deny", "authority:fx-local/auth",
         "fx-local: no takeover to srv-b"},
        {"auth", "abstain", "authority:fx-local/auth",
         "takeover not allowed (abstained)"},
        {"auth", "fail", "authority:fx-local/auth",
         "takeover() failed (I/O or store error): fixture: fails on purpose"},
        {"auth", "reserved", "authority:fx-local/auth",
         "takeover() set pdm_verdict.reserved to 1 (must be 0): denied"},
        {"auth-none", "allow", "authority:fx-local/auth-none",
         "the authority never allows a takeover (it has no takeover "
         "method)"},
        {NULL, NULL, "core",
         "the profile has no authority component: root ownership never "
         "moves (the spec's default)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *prof = profile("ta", cases[i].authority, cases[i].mode,
                                   "none");
        pdm_ctx *ctx = fresh("ta", prof);
        char *before = export(ctx);
        CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_EDENIED);
        PDM_ASSERT_STR(R.summary, cases[i].summary);
        refused(ctx, "Takeover", before, 0, cases[i].component, "deny");
        CU_ASSERT_EQUAL(g_asks, 0); /* the user is never asked then */
        PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
        free(before);
        pdm_ctx_close(ctx);
    }
}

static void test_local__takeover_policy(void)
{
    pdm_ctx *ctx = fresh("tp", profile("tp", "auth", "allow", "takeover"));
    char *before = export(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_EDENIED);
    /* every field the contract names (types.h, PDM_OP_TAKEOVER) */
    PDM_ASSERT_STR(R.summary,
                   "op=10 p=2 sid=srv-b uri=. detail=root owner srv-a -> "
                   "srv-b ro=srv-a no=factory origins=2 exists=1");
    refused(ctx, "Takeover", before, 0, "policy:fx-local/deny", "deny");
    CU_ASSERT_EQUAL(g_asks, 0);
    free(before);
    pdm_ctx_close(ctx);
}

static void test_local__takeover_user(void)
{
    pdm_ctx *ctx = fresh("tu", profile("tu", "auth", "allow", "none"));
    char *before = export(ctx);
    /* declined */
    g_answer = 0;
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_ECANCELLED);
    PDM_ASSERT_STR(R.summary, "the user declined: not done");
    refused(ctx, "Takeover", before, 0, "user", "deny");
    /* the hook gave up */
    g_answer = -1;
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_ECANCELLED);
    PDM_ASSERT_STR(R.summary, "the user did not confirm (cancelled): not "
                              "done");
    refused(ctx, "Takeover", before, 1, "user", "deny");
    CU_ASSERT_EQUAL(g_asks, 2);
    pdm_ctx_close(ctx);
    /* no ui hook: nobody to ask */
    g_hooks = NULL;
    ctx = open_ctx(profile("tu", "auth", "allow", "none"), state("tu"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_ECANCELLED);
    PDM_ASSERT_STR(R.summary, "no way to ask the user (no ui hook): not done");
    refused(ctx, "Takeover", before, 2, "core", "deny");
    /* the integrator asked already */
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", PDM_LOCAL_CONFIRMED, NULL),
                    PDM_OK);
    check_taken_over(ctx);
    g_hooks = &hooks;
    free(before);
    pdm_ctx_close(ctx);
}

static void test_local__bad_arguments(void)
{
    pdm_ctx *ctx = fresh("ba", profile("ba", "auth", "allow", "none"));
    char *before = export(ctx);
    pdm_local_result small;
    CU_ASSERT_EQUAL(pdm_ctx_takeover(NULL, "srv-b", 0, res()), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(NULL, "srv-a", "srv-b", 0, NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(NULL, ".", "Get=*", 0, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(NULL, "srv-a", 0, NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_authority(NULL, 0, NULL), PDM_EINVAL);
    memset(&small, 0, sizeof small);
    small.struct_size = 8;
    memset(small.summary, 'x', sizeof small.summary);
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, &small), PDM_EINVAL);
    CU_ASSERT_EQUAL(small.struct_size, 8); /* not written to */
    CU_ASSERT_EQUAL(small.summary[0], 'x');
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0x80, res()), PDM_EINVAL);
    PDM_ASSERT_STR(R.summary, "unknown flags 0x80");
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-a", PDM_LOCAL_KEEP_ACCOUNT,
                                           res()),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(audit_of(ctx, "Takeover").n, 0); /* no row for those */
    /* unknown and invalid ServerIDs: refused, audited */
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-zz", 0, res()), PDM_ENOTFOUND);
    PDM_ASSERT_STR(R.summary, "no DM account has ServerID srv-zz");
    refused(ctx, "Takeover", before, 0, "core", "deny");
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv b", 0, res()), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, NULL, 0, res()), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-zz", 0, res()),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-zz", 0, res()),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-zz", "srv-a", 0, res()),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-a", 0, res()),
                    PDM_EINVAL);
    PDM_ASSERT_STR(R.summary, "transfer from srv-a to itself");
    CU_ASSERT_EQUAL(g_asks, 0);
    {
        char *after = export(ctx);
        PDM_ASSERT_STR(after, before);
        free(after);
    }
    /* the tree is busy (a session's package is open) */
    CU_ASSERT_EQUAL(pdm__tree_begin(ctx->tree), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_takeover(ctx, "srv-b", 0, res()), PDM_EBUSY);
    pdm__tree_abort(ctx->tree);
    free(before);
    pdm_ctx_close(ctx);
}

/* ---- transfer ------------------------------------------------------------------ */

static void check_transferred(pdm_ctx *ctx, bool kept)
{
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-b");
    /* every entry of srv-a is srv-b's now, none twice */
    PDM_ASSERT_STR(acl(ctx, "."), "Add=*&Get=*&Replace=srv-b");
    PDM_ASSERT_STR(acl(ctx, "./Vendor"), "Get=srv-b&Replace=srv-b");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/A"),
                   "Add=srv-b&Delete=srv-b&Get=srv-b&Replace=srv-b");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "Get=*&Replace=srv-b+srv-c");
    /* what srv-a created is srv-b's */
    PDM_ASSERT_STR(owner(ctx, "./Vendor/A"), "srv-b");
    PDM_ASSERT_STR(owner(ctx, "./Vendor/A/leaf"), "srv-b");
    PDM_ASSERT_STR(owner(ctx, "./Vendor"), "factory");
    if (kept) {
        /* kept without rights: only its own account node names it */
        PDM_ASSERT_STR(acl(ctx, "./DMAcc/a"),
                       "Delete=srv-a&Get=srv-a&Replace=srv-a");
        PDM_ASSERT_STR(owner(ctx, "./DMAcc/a"), "factory");
    } else {
        CU_ASSERT_PTR_NULL(pdm__tree_lookup(ctx->tree, "./DMAcc/a"));
    }
    PDM_ASSERT_STR(acl(ctx, "./DMAcc/b"), "Delete=srv-b&Get=srv-b&Replace=srv-b");
}

static void test_local__transfer(void)
{
    const char *prof = profile("tr", "auth", "allow", "none");
    pdm_ctx *ctx = fresh("tr", prof);
    pdm_generic_alert ga;
    const char *sid = NULL;
    rows a;
    /* what follows srv-a outside the tree */
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-pending",
                                      (const uint8_t *)"B1\nsrv-a\nsrv-c\n",
                                      sizeof "B1\nsrv-a\nsrv-c\n" - 1),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-sources",
                                      (const uint8_t *)"S1\nsrv-a\tx/y\t1\n",
                                      sizeof "S1\nsrv-a\tx/y\t1\n" - 1),
                    PDM_OK);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.server_id = "srv-a";
    ga.type = "urn:test";
    ga.format = "chr";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &sid), 1);

    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b", 0, res()), PDM_OK);
    PDM_ASSERT_STR(R.component, "");
    PDM_ASSERT_STR(R.summary,
                   "management srv-a -> srv-b: 4 ACL(s) changed, 2 node(s) now "
                   "srv-b's, root owner moved; ./DMAcc/a deleted");
    check_transferred(ctx, false);
    CU_ASSERT_EQUAL(g_asks, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "from srv-a to srv-b"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "account is deleted"));
    a = audit_of(ctx, "Transfer");
    CU_ASSERT_EQUAL(a.n, 1);
    PDM_ASSERT_STR(a.decision, "allow");
    PDM_ASSERT_STR(a.component, "authority:fx-local/auth");
    PDM_ASSERT_STR(a.uri, "./DMAcc/a");
    PDM_ASSERT_STR(a.reason, R.summary);
    /* the account's pending session, alerts and source record went */
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-c");
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 1));
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &sid), 0);
    PDM_ASSERT_STR(kv(ctx, "core", "bootstrap-sources"), "");
    pdm_ctx_close(ctx);
    ctx = open_ctx(prof, state("tr"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    check_transferred(ctx, false);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &sid), 0);
    pdm_ctx_close(ctx);
}

static void test_local__transfer_keep(void)
{
    const char *prof = profile("tk", "auth", "allow", "none");
    pdm_ctx *ctx = fresh("tk", prof);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b",
                                     PDM_LOCAL_KEEP_ACCOUNT, res()),
                    PDM_OK);
    PDM_ASSERT_STR(R.summary,
                   "management srv-a -> srv-b: 4 ACL(s) changed, 2 node(s) now "
                   "srv-b's, root owner moved; ./DMAcc/a kept without rights");
    check_transferred(ctx, true);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "kept without rights"));
    pdm_ctx_close(ctx);
    /* the DMAcc repair at open leaves the kept account as it is */
    ctx = open_ctx(prof, state("tk"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    check_transferred(ctx, true);
    pdm_ctx_close(ctx);
}

/* srv-c owns no root: the authority is not asked, PDM_OP_TAKEOVER not
 * either. */
static void test_local__transfer_no_root(void)
{
    pdm_ctx *ctx = fresh("tn", profile("tn", "auth-none", "allow", "takeover"));
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-c", "srv-a", 0, res()), PDM_OK);
    PDM_ASSERT_STR(R.summary, "management srv-c -> srv-a: 1 ACL(s) changed, 0 "
                              "node(s) now srv-a's; ./DMAcc/c deleted");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "Get=*&Replace=srv-a");
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
    PDM_ASSERT_STR(audit_of(ctx, "Transfer").component, "core");
    pdm_ctx_close(ctx);
}

static void test_local__transfer_refused(void)
{
    pdm_ctx *ctx;
    char *before;
    /* root moves: the authority without takeover() refuses */
    ctx = fresh("tx", profile("tx", "auth-none", "allow", "none"));
    before = export(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b", 0, res()),
                    PDM_EDENIED);
    refused(ctx, "Transfer", before, 0, "authority:fx-local/auth-none", "deny");
    free(before);
    pdm_ctx_close(ctx);
    /* PDM_OP_TRANSFER denied: its request */
    ctx = fresh("tx", profile("tx", "auth", "allow", "transfer"));
    before = export(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b",
                                     PDM_LOCAL_KEEP_ACCOUNT, res()),
                    PDM_EDENIED);
    PDM_ASSERT_STR(R.summary, "op=13 p=2 sid=srv-b uri=./DMAcc/a detail=srv-a "
                              "-> srv-b, keep ro=srv-a no=srv-a origins=0 "
                              "exists=1");
    refused(ctx, "Transfer", before, 0, "policy:fx-local/deny", "deny");
    free(before);
    pdm_ctx_close(ctx);
    /* PDM_OP_TAKEOVER denied (A owns root) */
    ctx = fresh("tx", profile("tx", "auth", "allow", "takeover"));
    before = export(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b", 0, res()),
                    PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(R.summary, "op=10 "));
    refused(ctx, "Transfer", before, 0, "policy:fx-local/deny", "deny");
    /* the user declines */
    g_answer = 0;
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-c", "srv-b", 0, res()),
                    PDM_ECANCELLED);
    refused(ctx, "Transfer", before, 1, "user", "deny");
    free(before);
    pdm_ctx_close(ctx);
}

/* ---- ACL edit ------------------------------------------------------------------ */

static void test_local__acl_set(void)
{
    const char *prof = profile("as", "auth", "allow", "none");
    pdm_ctx *ctx = fresh("as", prof);
    uint32_t v = verno(ctx, "./Vendor/A");
    rows a;
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, "./Vendor/A", "Get=*&Replace=srv-c+srv-c",
                                    0, res()),
                    PDM_OK);
    PDM_ASSERT_STR(R.summary, "ACL of ./Vendor/A set to 'Get=*&Replace=srv-c' "
                              "(was 'Add=srv-a&Delete=srv-a&Get=srv-a&"
                              "Replace=srv-a')");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/A"), "Get=*&Replace=srv-c");
    CU_ASSERT_EQUAL(verno(ctx, "./Vendor/A"), (v + 1) & 0xFFFF);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "./Vendor/A"));
    a = audit_of(ctx, "Replace");
    PDM_ASSERT_STR(a.uri, "./Vendor/A?prop=ACL");
    PDM_ASSERT_STR(a.decision, "allow");
    PDM_ASSERT_STR(a.component, "core");
    PDM_ASSERT_STR(a.principal, "local");
    /* "" inherits; the root and URIs without "./" */
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, "Vendor/Shared", "", 0, res()), PDM_OK);
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "");
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, ".", "Add=*&Get=*", 0, res()), PDM_OK);
    PDM_ASSERT_STR(acl(ctx, "."), "Add=*&Get=*");
    PDM_ASSERT_STR(audit_of(ctx, "Replace").uri, ".?prop=ACL");
    /* an account names its own ServerID only */
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, "./DMAcc/a", "Get=srv-a", 0, res()),
                    PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx(prof, state("as"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(acl(ctx, "./Vendor/A"), "Get=*&Replace=srv-c");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "");
    PDM_ASSERT_STR(acl(ctx, "./DMAcc/a"), "Get=srv-a");
    pdm_ctx_close(ctx);
}

static void test_local__acl_set_refused(void)
{
    static const struct {
        const char *uri, *acl;
        int rc;
        const char *summary;
    } bad[] = {
        {"./Vendor", "Get=", PDM_EINVAL, NULL},
        {"./Vendor", "get=*", PDM_EINVAL, NULL},
        {".", "", PDM_EINVAL,
         "the root's ACL cannot be empty (TND §8.3.7.1.1)"},
        {"./Nope", "Get=*", PDM_ENOTFOUND, "./Nope does not exist"},
        {"./a//b", "Get=*", PDM_EINVAL, NULL},
        {"./Vendor?prop=ACL", "Get=*", PDM_EINVAL, NULL},
        {"./DMAcc/a", "Get=*", PDM_EINVAL,
         "dmacc-acl: the ACL of a DM account names its own ServerID only "
         "(the core would set it back)"},
        {"./DMAcc/a", "Get=srv-b", PDM_EINVAL, NULL},
        {"./DMAcc/a", "", PDM_EINVAL, NULL},
        {"./DMAcc", "Get=srv-a", PDM_EINVAL,
         "dmacc-acl: ./DMAcc keeps the ACL 'Get=*' (the core sets it)"},
    };
    pdm_ctx *ctx = fresh("ar", profile("ar", "auth", "allow", "acl_edit"));
    char *before = export(ctx);
    size_t n = audit_of(ctx, "Replace").n; /* the DMAcc rule's rows at open */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, bad[i].uri, bad[i].acl, 0, res()),
                        bad[i].rc);
        if (bad[i].summary)
            PDM_ASSERT_STR(R.summary, bad[i].summary);
        refused(ctx, "Replace", before, n++, "core", "deny");
    }
    /* denied by the policy: its request (detail = the new ACL) */
    CU_ASSERT_EQUAL(pdm_ctx_acl_set(ctx, "./Vendor", "Get=*+srv-a", 0, res()),
                    PDM_EDENIED);
    PDM_ASSERT_STR(R.summary, "op=9 p=2 sid=- uri=./Vendor detail=Get=* "
                              "ro=srv-a no=factory origins=0 exists=0");
    refused(ctx, "Replace", before, n++, "policy:fx-local/deny", "deny");
    CU_ASSERT_EQUAL(g_asks, 0);
    free(before);
    pdm_ctx_close(ctx);
}

/* ---- account deletion ------------------------------------------------------------ */

static void check_deleted(pdm_ctx *ctx)
{
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(ctx->tree, "./DMAcc/a"));
    CU_ASSERT_PTR_NULL(pdm_ctx_root_owner(ctx));
    /* root: Replace lost its only id: "*" (TND §8.3.7.1.4; the spec
     * default root ACL has no Replace) */
    PDM_ASSERT_STR(acl(ctx, "."), "Add=*&Get=*&Replace=*");
    PDM_ASSERT_STR(acl(ctx, "./Vendor"), "Get=srv-b");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/A"), "");
    PDM_ASSERT_STR(acl(ctx, "./Vendor/Shared"), "Get=*&Replace=srv-c");
}

static void test_local__account_delete(void)
{
    const char *prof = profile("ad", "auth", "allow", "none");
    pdm_ctx *ctx = fresh("ad", prof);
    pdm_generic_alert ga;
    const char *sid = NULL;
    rows a;
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-pending",
                                      (const uint8_t *)"B1\nsrv-a\n",
                                      sizeof "B1\nsrv-a\n" - 1),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-sources",
                                      (const uint8_t *)"S1\nsrv-a\tx/y\t1\n"
                                                       "srv-b\tx/y\t2\n",
                                      sizeof "S1\nsrv-a\tx/y\t1\n"
                                             "srv-b\tx/y\t2\n" - 1),
                    PDM_OK);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.server_id = "srv-a";
    ga.type = "urn:test";
    ga.format = "chr";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);
    ga.server_id = "srv-b";
    CU_ASSERT_EQUAL(pdm_ctx_queue_alert(ctx, &ga), PDM_OK);

    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-a", 0, res()), PDM_OK);
    PDM_ASSERT_STR(R.summary, "./DMAcc/a (ServerID srv-a) deleted; scrubbed "
                              "from 4 ACL(s); 2 node(s) it created are the "
                              "local user's now; nobody owns root now");
    /* srv-a's nodes (seed()) must not wait for the next account that
     * claims the ServerID srv-a */
    PDM_ASSERT_STR(owner(ctx, "./Vendor/A"), "local");
    PDM_ASSERT_STR(owner(ctx, "./Vendor/A/leaf"), "local");
    check_deleted(ctx);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_ask_text, "Delete the management account "
                                              "of srv-a"));
    a = audit_of(ctx, "AccountDelete");
    CU_ASSERT_EQUAL(a.n, 1);
    PDM_ASSERT_STR(a.decision, "allow");
    PDM_ASSERT_STR(a.component, "core");
    PDM_ASSERT_STR(a.uri, "./DMAcc/a");
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &sid), 1);
    PDM_ASSERT_STR(sid, "srv-b");
    PDM_ASSERT_STR(kv(ctx, "core", "bootstrap-sources"), "S1\nsrv-b\tx/y\t2\n");
    pdm_ctx_close(ctx);
    ctx = open_ctx(prof, state("ad"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    check_deleted(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_pending_alerts(ctx, &sid), 1);
    pdm_ctx_close(ctx);
}

/* The authority's default root ACL decides the root fallback: a root
 * command it lacks goes (TND §8.3.7.1.4, "or factory default"). */
static void test_local__account_delete_default(void)
{
    pdm_ctx *ctx;
    g_root_acl = "Add=*&Get=*";
    ctx = fresh("add", profile("add", "auth", "allow", "none"));
    g_root_acl = NULL;
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-a", 0, res()), PDM_OK);
    PDM_ASSERT_STR(acl(ctx, "."), "Add=*&Get=*");
    PDM_ASSERT_STR(acl(ctx, "./Vendor"), "Get=srv-b");
    pdm_ctx_close(ctx);
}

static void test_local__account_delete_refused(void)
{
    pdm_ctx *ctx = fresh("adr", profile("adr", "auth", "allow",
                                        "account_delete"));
    char *before = export(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-a", 0, res()),
                    PDM_EDENIED);
    PDM_ASSERT_STR(R.summary, "op=12 p=2 sid=srv-a uri=./DMAcc/a "
                              "detail=delete ./DMAcc/a (ServerID srv-a), the "
                              "root owner ro=srv-a no=factory origins=0 "
                              "exists=0");
    refused(ctx, "AccountDelete", before, 0, "policy:fx-local/deny", "deny");
    pdm_ctx_close(ctx);
    free(before);
    ctx = fresh("adr", profile("adr", "auth", "allow", "none"));
    before = export(ctx);
    g_answer = 0;
    CU_ASSERT_EQUAL(pdm_ctx_account_delete(ctx, "srv-a", 0, res()),
                    PDM_ECANCELLED);
    refused(ctx, "AccountDelete", before, 0, "user", "deny");
    free(before);
    pdm_ctx_close(ctx);
}

/* ---- authorities ------------------------------------------------------------------ */

static void test_local__authority(void)
{
    pdm_ctx *ctx = fresh("au", profile("au", "auth", "allow", "none"));
    pdm_authority_entry e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 0, &e), PDM_OK);
    PDM_ASSERT_STR(e.server_id, "srv-a");
    PDM_ASSERT_STR(e.account_uri, "./DMAcc/a");
    PDM_ASSERT_STR(e.address, "http://a.test/dm");
    CU_ASSERT_EQUAL(e.origin, PDM_ORIGIN_FACTORY);
    CU_ASSERT_EQUAL(e.sec, PDM_SEC_NONE);
    CU_ASSERT_PTR_NULL(e.source);
    CU_ASSERT_EQUAL(e.owns_root, 1);
    PDM_ASSERT_STR(e.subtrees, "./Vendor/A");
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 2, &e), PDM_OK);
    PDM_ASSERT_STR(e.server_id, "srv-c");
    CU_ASSERT_PTR_NULL(e.address);
    CU_ASSERT_EQUAL(e.owns_root, 0);
    PDM_ASSERT_STR(e.subtrees, "");
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 3, &e), PDM_ENOTFOUND);
    e.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 0, &e), PDM_EINVAL);
    /* after a transfer: srv-b owns root and srv-a's subtree */
    CU_ASSERT_EQUAL(pdm_ctx_transfer(ctx, "srv-a", "srv-b", 0, NULL), PDM_OK);
    e.struct_size = sizeof e;
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 0, &e), PDM_OK);
    PDM_ASSERT_STR(e.server_id, "srv-b");
    CU_ASSERT_EQUAL(e.owns_root, 1);
    PDM_ASSERT_STR(e.subtrees, "./Vendor/A");
    CU_ASSERT_EQUAL(pdm_ctx_authority(ctx, 2, &e), PDM_ENOTFOUND);
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"takeover", test_local__takeover},
    {"takeover_authority", test_local__takeover_authority},
    {"takeover_policy", test_local__takeover_policy},
    {"takeover_user", test_local__takeover_user},
    {"bad_arguments", test_local__bad_arguments},
    {"transfer", test_local__transfer},
    {"transfer_keep", test_local__transfer_keep},
    {"transfer_no_root", test_local__transfer_no_root},
    {"transfer_refused", test_local__transfer_refused},
    {"acl_set", test_local__acl_set},
    {"acl_set_refused", test_local__acl_set_refused},
    {"account_delete", test_local__account_delete},
    {"account_delete_default", test_local__account_delete_default},
    {"account_delete_refused", test_local__account_delete_refused},
    {"authority", test_local__authority},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"local", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
