/*
 * The core's authority model through real contexts, stores and fixture
 * plugins (fx-iso-authority: an ABI 1.3 authority whose override,
 * defaults and root grant the options steer; fx-authority: an older-style
 * one with override NULL; fx-policy: denies PDM_OP_TAKEOVER or
 * PDM_OP_BOOTSTRAP with the request's fields as the reason;
 * fx-bootstrap: a source that accepts OMA CP).
 *
 *   isolation (S11)   a server's Add/Replace/Delete/Exec/ACL change/Copy
 *                     on another authority's node: the authority's
 *                     override decides (allow, deny, error, abstain,
 *                     unknown answer), the core default without one;
 *                     audited with rule "isolation"
 *   defaults()        root and ./DMAcc ACLs of a new tree, Add open,
 *                     the §8.3.7.1.4 root fallback, bad answers failing
 *                     the open
 *   takeover          PDM_OP_TAKEOVER asked for a bootstrap grant's new
 *                     root owner; a denial refuses the whole bootstrap
 *   records           how each account came, the policy request fields
 *                     derived from them, home_plmn
 */
#include "cu_main.h"
#include "engine_fx.h"
#include "engine_files.h"
#include "bootstrap/bootstrap_int.h"
#include "engine/authority.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/dmacc.h"
#include "tree/tnds.h"
#include "tree/tree_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

#define IMSI "001010123456789"

static const pdm__who MD5 = {PDM_PRINCIPAL_SERVER, "srv-md5", NULL, 0, NULL};
static const pdm__who BASIC = {PDM_PRINCIPAL_SERVER, "srv-basic", NULL, 0, NULL};
static const pdm__who HMAC = {PDM_PRINCIPAL_SERVER, "srv-hmac", NULL, 0, NULL};

/* ---- contexts ------------------------------------------------------------- */

static const char *profile(const char *name, const char *extra)
{
    return fx_profile(name,
                      "[profile]\nid = authority-test\nfactory_tree = %s/tests/"
                      "session/tree.tnds.xml\n[device]\ndevid = "
                      "IMEI:493005100592800\nimsi = " IMSI "\n%s",
                      PDM_SOURCE_DIR, extra);
}

static const char *state(const char *name) { return fx_state(name); }

static char g_err[600];

static void log_null(void *user, int level, const char *component,
                     const char *msg)
{
    (void)user;
    (void)level;
    (void)component;
    (void)msg;
}

static pdm_ctx *open_ctx(const char *prof, const char *dir)
{
    char plugin_path[1200];
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    snprintf(plugin_path, sizeof plugin_path, "%s:%s/plugins", FX_DIR,
             PDM_BINARY_DIR);
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = prof;
    cfg.state_dir = dir;
    cfg.plugin_path = plugin_path;
    cfg.log = log_null;
    cfg.log_level = PDM_LOG_ERROR;
    g_err[0] = '\0';
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        snprintf(g_err, sizeof g_err, "%s", ctx ? pdm_ctx_last_error(ctx) : "?");
        pdm_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

typedef audit_rows audit_scan;

/* kv @key of plugin @plugin as a string ("" when absent). */
static const char *kv(pdm_ctx *ctx, const char *plugin, const char *key)
{
    static char buf[2048];
    uint8_t *v = NULL;
    size_t n = 0;
    buf[0] = '\0';
    if (pdm__store_kv_get(ctx->store, plugin, key, &v, &n) == PDM_OK)
        snprintf(buf, sizeof buf, "%.*s", (int)n, (const char *)v);
    pdm__free(v);
    return buf;
}

static void kv_clear(pdm_ctx *ctx, const char *plugin, const char *key)
{
    pdm__store_kv_del(ctx->store, plugin, key);
}

static int add_leaf(pdm_ctx *ctx, const pdm__who *w, const char *uri,
                    const char *v, pdm__decision *d)
{
    pdm__tree_item it = {(const uint8_t *)v, strlen(v), PDM_FORMAT_CHR,
                         "text/plain", true};
    return pdm__tree_add(ctx->tree, w, uri, &it, d);
}

static int add_node(pdm_ctx *ctx, const pdm__who *w, const char *uri,
                    pdm__decision *d)
{
    pdm__tree_item it = {NULL, 0, PDM_FORMAT_NODE, NULL, true};
    return pdm__tree_add(ctx->tree, w, uri, &it, d);
}

static int replace(pdm_ctx *ctx, const pdm__who *w, const char *uri,
                   const char *v, pdm__decision *d)
{
    pdm__tree_item it = {(const uint8_t *)v, strlen(v), PDM_FORMAT_CHR, NULL,
                         false};
    return pdm__tree_replace(ctx->tree, w, uri, &it, d);
}

/* srv-md5 builds ./Test/A (its own) under the factory's wildcard ACL,
 * with one leaf of srv-basic's inside (as a transfer could leave it) and
 * one executable leaf. */
static void md5_subtree(pdm_ctx *ctx)
{
    pdm__decision d;
    CU_ASSERT_EQUAL(add_node(ctx, &MD5, "./Test/A", &d), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(ctx, &MD5, "./Test/A/v", "md5", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./Test/A/b", PDM_FORMAT_CHR, 0,
                                  NULL, NULL, (const uint8_t *)"b", 1,
                                  "srv-basic"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(ctx->tree, "./Test/A/x", PDM_FORMAT_CHR,
                                  PDM_NODE_EXEC, NULL, NULL,
                                  (const uint8_t *)"", 0, "srv-md5"), PDM_OK);
    PDM_ASSERT_STR(pdm__node_owner(pdm__tree_lookup(ctx->tree, "./Test/A")),
                   "srv-md5");
}

/* ---- isolation ------------------------------------------------------------------ */

/* Every changing command of srv-hmac on srv-md5's nodes is refused with
 * rule "isolation" by @component; @reason_part is in the audit row. */
static void all_refused(pdm_ctx *ctx, const char *component,
                        const char *reason_part)
{
    pdm__decision d;
    char *before = export(ctx);
    char *after;
    audit_scan a;
    size_t rows = audit_of(ctx, NULL).n;

    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/A/v", "x", &d), PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    PDM_ASSERT_STR(d.component, component);
    a = audit_of(ctx, "Replace");
    PDM_ASSERT_STR(a.decision, "deny");
    PDM_ASSERT_STR(a.component, component);
    PDM_ASSERT_STR(a.principal, "server:srv-hmac");
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "srv-hmac"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "srv-md5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "./Test/A/v"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, reason_part));
    CU_ASSERT_EQUAL(add_leaf(ctx, &HMAC, "./Test/A/new", "x", &d), PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/A?prop=ACL", "Get=*", &d),
                    PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/A/v?prop=Title", "t", &d),
                    PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    CU_ASSERT_EQUAL(pdm__tree_delete(ctx->tree, &HMAC, "./Test/A", &d),
                    PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    CU_ASSERT_EQUAL(pdm__tree_exec(ctx->tree, &HMAC, "./Test/A/x", NULL, NULL,
                                   &d), PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    CU_ASSERT_EQUAL(pdm__tree_copy(ctx->tree, &HMAC, "./Test/A/v",
                                   "./Test/leaf", &d), PDM_EDENIED);
    PDM_ASSERT_STR(d.rule, "isolation");
    /* one audit row per refusal, nothing changed */
    CU_ASSERT_EQUAL(audit_of(ctx, NULL).n, rows + 7);
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(before);
    pdm__free(after);
}

/* No authority component: the core default.  Another server's nodes are
 * refused (component "core"); factory nodes follow their ACLs; Get is
 * never isolated. */
static void test_authority__isolation_no_authority(void)
{
    pdm_ctx *ctx = open_ctx(profile("iso-none", ""), state("iso-none"));
    pdm__tree_result r;
    pdm__decision d;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_PTR_NULL(ctx->plugins.authority);
    md5_subtree(ctx);
    all_refused(ctx, "core", "no authority overrides");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/leaf", "factory's", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_get(ctx->tree, &HMAC, "./Test/A/v", &r, &d),
                    PDM_OK);
    pdm__tree_result_free(&r);
    /* the owner itself */
    CU_ASSERT_EQUAL(replace(ctx, &MD5, "./Test/A/v", "mine", &d), PDM_OK);
    pdm_ctx_close(ctx);
}

/* An authority without override (fx-authority, override NULL): the same
 * core default. */
static void test_authority__isolation_override_null(void)
{
    pdm_ctx *ctx = open_ctx(profile("iso-null", "[plugin fx-authority]\n"),
                            state("iso-null"));
    pdm__decision d;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    md5_subtree(ctx);
    all_refused(ctx, "core", "the authority has no override");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/leaf", "factory's", &d), PDM_OK);
    pdm_ctx_close(ctx);
}

/* override() DENY, an error, ABSTAIN, an unknown decision: refused, the
 * authority named (fail closed). */
static void test_authority__isolation_refusals(void)
{
    static const struct {
        const char *mode, *reason;
    } cases[] = {{"deny", "fixture denies srv-hmac on srv-md5"},
                 {"fail", "override failed"},
                 {"abstain", "no override"},
                 {"weird", "unknown answer"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64], extra[200];
        pdm_ctx *ctx;
        snprintf(name, sizeof name, "iso-%s", cases[i].mode);
        snprintf(extra, sizeof extra,
                 "[plugin fx-iso-authority]\noption.override = %s\n",
                 cases[i].mode);
        ctx = open_ctx(profile(name, extra), state(name));
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        md5_subtree(ctx);
        all_refused(ctx, "authority:fx-iso-authority/iso", cases[i].reason);
        pdm_ctx_close(ctx);
    }
}

/* override() ALLOW: the change goes on.  Every foreign owner is asked,
 * the factory too; a Delete asks once per distinct owner of the subtree
 * (srv-md5's nodes, srv-basic's leaf), never for the actor's own. */
static void test_authority__isolation_allow(void)
{
    pdm_ctx *ctx = open_ctx(profile("iso-allow", "[plugin fx-iso-authority]\n"
                                                 "option.override = allow\n"),
                            state("iso-allow"));
    pdm__decision d;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    md5_subtree(ctx);
    kv_clear(ctx, "fx-iso-authority", "asked");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/A/v", "x", &d), PDM_OK);
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/leaf", "y", &d), PDM_OK);
    CU_ASSERT_EQUAL(replace(ctx, &MD5, "./Test/A/v", "z", &d), PDM_OK);
    PDM_ASSERT_STR(kv(ctx, "fx-iso-authority", "asked"),
                   "srv-hmac>srv-md5@./Test/A/v;"
                   "srv-hmac>factory@./Test/leaf;");
    kv_clear(ctx, "fx-iso-authority", "asked");
    CU_ASSERT_EQUAL(add_leaf(ctx, &BASIC, "./Test/A/b2", "x", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(ctx->tree, &HMAC, "./Test/A", &d), PDM_OK);
    PDM_ASSERT_STR(kv(ctx, "fx-iso-authority", "asked"),
                   "srv-basic>srv-md5@./Test/A;"
                   "srv-hmac>srv-md5@./Test/A;"
                   "srv-hmac>srv-basic@./Test/A/b;");
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(ctx->tree, "./Test/A"));
    pdm_ctx_close(ctx);
}

/* spec-authority: factory nodes follow their ACLs, another server's are
 * refused by its override, naming it. */
static void test_authority__isolation_spec_authority(void)
{
    pdm_ctx *ctx = open_ctx(profile("iso-spec", "[plugin spec-authority]\n"),
                            state("iso-spec"));
    pdm__decision d;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    md5_subtree(ctx);
    all_refused(ctx, "authority:spec-authority/spec",
                "each server keeps its own subtree");
    CU_ASSERT_EQUAL(replace(ctx, &HMAC, "./Test/leaf", "factory's", &d), PDM_OK);
    CU_ASSERT_EQUAL(add_leaf(ctx, &HMAC, "./Test/H", "hmac's", &d), PDM_OK);
    pdm_ctx_close(ctx);
}

/* ---- defaults() ---------------------------------------------------------------- */

static void test_authority__defaults(void)
{
    pdm_ctx *ctx = open_ctx(profile("def-custom", "[plugin fx-iso-authority]\n"
                                                  "option.defaults = custom\n"),
                            state("def-custom"));
    char err[200];
    size_t n = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)),
                   "Add=*&Get=*&Replace=ops");
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, "./DMAcc")),
                   "Get=ops");
    CU_ASSERT_TRUE(ctx->tree->cfg.root_add_star);
    /* TND §8.3.7.1.4: a root command losing its last id takes the
     * default's entry (without the removed id) */
    CU_ASSERT_EQUAL(pdm__tree_set_acl(ctx->tree, ".",
                                      "Add=*&Get=*&Replace=srv-x&Exec=srv-x",
                                      err, sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_remove_server(ctx->tree, "srv-x", &n), PDM_OK);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)),
                   "Add=*&Get=*&Replace=ops");
    /* removing the default's own id: the command goes */
    CU_ASSERT_EQUAL(pdm__tree_remove_server(ctx->tree, "ops", &n), PDM_OK);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)), "Add=*&Get=*");
    pdm_ctx_close(ctx);

    /* the defaults are for a new tree; ./DMAcc's ACL is kept to them */
    ctx = open_ctx(profile("def-custom", "[plugin fx-iso-authority]\n"
                                         "option.defaults = custom\n"),
                   state("def-custom"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)), "Add=*&Get=*");
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, "./DMAcc")),
                   "Get=ops");
    pdm_ctx_close(ctx);

    /* NULL fields: the spec's; Add open */
    ctx = open_ctx(profile("def-open", "[plugin fx-iso-authority]\n"
                                       "option.defaults = open\n"),
                   state("def-open"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)), "Add=*&Get=*");
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, "./DMAcc")),
                   "Get=*");
    CU_ASSERT_FALSE(ctx->tree->cfg.root_add_star);
    pdm_ctx_close(ctx);

    /* without a defaults() (fx-authority, spec-authority): the spec's
     * root fallback, "*" */
    ctx = open_ctx(profile("def-none", "[plugin spec-authority]\n"),
                   state("def-none"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_TRUE(ctx->tree->cfg.root_add_star);
    CU_ASSERT_EQUAL(pdm__tree_set_acl(ctx->tree, ".",
                                      "Add=*&Get=*&Replace=srv-x", err,
                                      sizeof err), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_remove_server(ctx->tree, "srv-x", &n), PDM_OK);
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)),
                   "Add=*&Get=*&Replace=*");
    pdm_ctx_close(ctx);
}

/* A bad answer fails the open, naming the component; no store is left
 * half made. */
static void test_authority__defaults_bad(void)
{
    static const struct {
        const char *mode, *needle;
    } cases[] = {{"bad", "root_acl"},
                 {"empty", "the root ACL cannot be empty"},
                 {"fail", "fixture: defaults fail"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64], extra[200];
        snprintf(name, sizeof name, "def-%s", cases[i].mode);
        snprintf(extra, sizeof extra,
                 "[plugin fx-iso-authority]\noption.defaults = %s\n",
                 cases[i].mode);
        CU_ASSERT_PTR_NULL(open_ctx(profile(name, extra), state(name)));
        CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "fx-iso-authority/iso"));
        CU_ASSERT_PTR_NOT_NULL(strstr(g_err, cases[i].needle));
    }
}

/* ---- bootstrap: takeover question, records, home_plmn ----------------------------- */

static char *cp_doc(const char *sid, size_t *len)
{
    static char buf[4096];
    int n = snprintf(
        buf, sizeof buf,
        "<wap-provisioningdoc version=\"1.1\">\n"
        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" "
        "value=\"NAP1\"/><parm name=\"BEARER\" value=\"GSM-GPRS\"/>"
        "<parm name=\"NAME\" value=\"Net\"/><parm name=\"NAP-ADDRESS\" "
        "value=\"internet\"/><parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>"
        "</characteristic>\n"
        "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "
        "value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"%s\"/>"
        "<parm name=\"NAME\" value=\"%s\"/><parm name=\"TO-NAPID\" "
        "value=\"NAP1\"/><parm name=\"ADDR\" "
        "value=\"http://127.0.0.1:1/dm\"/>"
        "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "
        "value=\"CLIENT\"/><parm name=\"AAUTHTYPE\" "
        "value=\"DIGEST\"/><parm name=\"AAUTHNAME\" value=\"srv\"/>"
        "<parm name=\"AAUTHSECRET\" value=\"topsecret\"/>"
        "</characteristic>"
        "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "
        "value=\"APPSRV\"/><parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>"
        "<parm name=\"AAUTHNAME\" value=\"dev\"/><parm "
        "name=\"AAUTHSECRET\" value=\"topsecret\"/></characteristic>"
        "</characteristic>\n</wap-provisioningdoc>\n",
        sid, sid);
    *len = (size_t)n;
    return buf;
}

static int submit(pdm_ctx *ctx, const char *sid, uint32_t origin,
                  pdm_bootstrap_result *r)
{
    pdm_bootstrap_input in;
    size_t len;
    const char *doc = cp_doc(sid, &len);
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = origin;
    in.body = (const uint8_t *)doc;
    in.len = len;
    in.content_type = PDM__CT_CP_XML;
    in.via = "test";
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return pdm_ctx_bootstrap_submit(ctx, &in, r);
}

#define BS_PLUGINS "[bootstrap]\nunsigned_origins = factory,push\n" \
                   "replace_existing = true\n[plugin fx-bootstrap]\n"

/* A grant naming a new root owner is asked as PDM_OP_TAKEOVER (principal
 * bootstrap); a denial refuses the whole bootstrap, audited, the tree
 * byte for byte as before; allowed, the root owner is the stored fact. */
static void test_authority__takeover_on_bootstrap(void)
{
    pdm_bootstrap_result r;
    audit_scan a;
    char *before, *after;
    pdm_ctx *ctx = open_ctx(profile("tko-deny", BS_PLUGINS
                                    "[plugin fx-iso-authority]\n"
                                    "option.grant = root\n"
                                    "[plugin fx-policy]\n"
                                    "option.mode = takeover\n"),
                            state("tko"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    CU_ASSERT_EQUAL(submit(ctx, "srv-a", PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    PDM_ASSERT_STR(r.component, "policy:fx-policy/check");
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    CU_ASSERT_PTR_NULL(pdm_ctx_root_owner(ctx));
    CU_ASSERT_PTR_NULL(pdm__tree_meta_get(ctx->tree, "account:srv-a"));
    a = audit_of(ctx, "Bootstrap");
    CU_ASSERT_EQUAL(a.n, 1);
    PDM_ASSERT_STR(a.decision, "deny");
    PDM_ASSERT_STR(a.component, "policy:fx-policy/check");
    /* the request: principal bootstrap (3), the new owner, no current one,
     * the bootstrap's origin (push, 3) and source; the factory accounts'
     * origin in the mask; a new account */
    CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "takeover principal=3 sid=srv-a"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "takeover principal=3 sid=srv-a "
                                            "root=- src=fx-bootstrap/src "
                                            "sec=0 origin=3 origins=2 "
                                            "exists=0 detail=root owner "
                                            "(none) -> srv-a"));
    pdm_ctx_close(ctx);
    pdm__free(before);

    /* allowed (no such policy): srv-a owns root */
    ctx = open_ctx(profile("tko-allow", BS_PLUGINS
                           "[plugin fx-iso-authority]\noption.grant = root\n"),
                   state("tko"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(submit(ctx, "srv-a", PDM_ORIGIN_PUSH, &r), PDM_OK);
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
    PDM_ASSERT_STR(pdm__node_owner(pdm__tree_root(ctx->tree)), "factory");
    pdm_ctx_close(ctx);

    /* srv-b's grant would move it: asked with the current owner */
    ctx = open_ctx(profile("tko-deny", BS_PLUGINS
                           "[plugin fx-iso-authority]\noption.grant = root\n"
                           "[plugin fx-policy]\noption.mode = takeover\n"),
                   state("tko"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    CU_ASSERT_EQUAL(submit(ctx, "srv-b", PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    pdm__free(before);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "root=srv-a"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "origins=10")); /* factory+push */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "root owner srv-a -> srv-b"));
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
    /* the same owner again (a re-bootstrap of srv-a) is no takeover */
    CU_ASSERT_EQUAL(submit(ctx, "srv-a", PDM_ORIGIN_PUSH, &r), PDM_OK);
    PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
    pdm_ctx_close(ctx);
}

/* How each account came: factory accounts count as factory, a
 * bootstrapped one records origin, SEC and source; nodes of its account
 * and its connectivity MO are its own; the policy request carries the
 * mask, whether the account exists and the MIME type. */
static void test_authority__records(void)
{
    pdm_bootstrap_result r;
    uint32_t o = 99, sec = 99;
    const char *src = "x";
    pdm__node *acc = NULL;
    /* mnc_digits continues profile()'s [device]: a second [device]
     * section is an error */
    pdm_ctx *ctx = open_ctx(profile("rec", "mnc_digits = 3\n" BS_PLUGINS
                                    "[plugin fx-iso-authority]\n"),
                            state("rec"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__authority_record(ctx, "srv-md5", &o, &sec, &src),
                    PDM_OK);
    CU_ASSERT_EQUAL(o, PDM_ORIGIN_FACTORY);
    CU_ASSERT_EQUAL(sec, 0);
    CU_ASSERT_PTR_NULL(src);
    CU_ASSERT_EQUAL(pdm__authority_record(ctx, "nobody", &o, NULL, NULL),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__authority_origins(ctx), 1u << PDM_ORIGIN_FACTORY);
    CU_ASSERT_EQUAL(submit(ctx, "srv-a", PDM_ORIGIN_PUSH, &r), PDM_OK);
    CU_ASSERT_EQUAL(pdm__authority_record(ctx, "srv-a", &o, &sec, &src),
                    PDM_OK);
    CU_ASSERT_EQUAL(o, PDM_ORIGIN_PUSH);
    PDM_ASSERT_STR(src, "fx-bootstrap/src");
    CU_ASSERT_EQUAL(pdm__authority_origins(ctx),
                    (1u << PDM_ORIGIN_FACTORY) | (1u << PDM_ORIGIN_PUSH));
    /* owners: the account's nodes and the single account's ConnMO */
    CU_ASSERT_EQUAL(pdm__dmacc_find(ctx->tree, "srv-a", &acc, NULL), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
    PDM_ASSERT_STR(pdm__node_owner(acc), "srv-a");
    PDM_ASSERT_STR(pdm__node_owner(pdm__node_first_child(acc)), "srv-a");
    {
        pdm__node *cm = pdm__tree_lookup(ctx->tree, "./ConnMO");
        pdm__node *nap = cm ? pdm__node_first_child(cm) : NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(nap);
        PDM_ASSERT_STR(pdm__node_owner(nap), "srv-a");
    }
    /* home_plmn: MCC-MNC with 3 MNC digits, never the IMSI */
    PDM_ASSERT_STR(kv(ctx, "fx-iso-authority", "plmn"), "001-010");
    /* persisted with the tree */
    pdm_ctx_close(ctx);
    ctx = open_ctx(profile("rec-req", BS_PLUGINS "[plugin fx-iso-authority]\n"
                                                 "[plugin fx-policy]\n"
                                                 "option.mode = bootreq\n"),
                   state("rec"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__authority_record(ctx, "srv-a", &o, NULL, NULL),
                    PDM_OK);
    CU_ASSERT_EQUAL(o, PDM_ORIGIN_PUSH);
    PDM_ASSERT_STR(kv(ctx, "fx-iso-authority", "plmn"), "001-010");
    CU_ASSERT_EQUAL(submit(ctx, "srv-a", PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "origins=10 exists=1 "
                                             "ctype=text/vnd.wap."
                                             "connectivity-xml"));
    CU_ASSERT_EQUAL(submit(ctx, "srv-new", PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "exists=0"));
    pdm_ctx_close(ctx);
}

/* A document with two accounts: each account's nodes are its server's,
 * the shared connectivity settings belong to neither (the bootstrap's),
 * and so isolation keeps both servers off them. */
static void test_authority__two_accounts(void)
{
    static const char doc[] =
        "<wap-provisioningdoc version=\"1.1\">\n"
        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" "
        "value=\"NAP1\"/><parm name=\"BEARER\" value=\"GSM-GPRS\"/>"
        "<parm name=\"NAME\" value=\"Net\"/><parm name=\"NAP-ADDRESS\" "
        "value=\"internet\"/><parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>"
        "</characteristic>\n"
#define W7(id)                                                                \
    "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "            \
    "value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"" id "\"/>"          \
    "<parm name=\"NAME\" value=\"" id "\"/><parm name=\"TO-NAPID\" "        \
    "value=\"NAP1\"/><parm name=\"ADDR\" value=\"http://127.0.0.1:1/dm\"/>"  \
    "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "           \
    "value=\"APPSRV\"/><parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>"         \
    "<parm name=\"AAUTHNAME\" value=\"dev\"/><parm name=\"AAUTHSECRET\" "   \
    "value=\"topsecret\"/></characteristic></characteristic>\n"
        W7("srv-a") W7("srv-b")
#undef W7
        "</wap-provisioningdoc>\n";
    pdm_bootstrap_input in;
    pdm_bootstrap_result r;
    pdm__node *a = NULL, *b = NULL, *nap;
    pdm__decision d;
    pdm__who wa = {PDM_PRINCIPAL_SERVER, "srv-a", NULL, 0, NULL};
    pdm_ctx *ctx = open_ctx(profile("two", BS_PLUGINS), state("two"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_PUSH;
    in.body = (const uint8_t *)doc;
    in.len = sizeof doc - 1;
    in.content_type = PDM__CT_CP_XML;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_OK);
    CU_ASSERT_EQUAL(pdm__dmacc_find(ctx->tree, "srv-a", &a, NULL), PDM_OK);
    CU_ASSERT_EQUAL(pdm__dmacc_find(ctx->tree, "srv-b", &b, NULL), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    PDM_ASSERT_STR(pdm__node_owner(a), "srv-a");
    PDM_ASSERT_STR(pdm__node_owner(b), "srv-b");
    nap = pdm__tree_lookup(ctx->tree, "./ConnMO");
    nap = nap ? pdm__node_first_child(nap) : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(nap);
    PDM_ASSERT_STR(pdm__node_owner(nap), "bootstrap:fx-bootstrap/src");
    {
        char uri[300];
        pdm__buf bb;
        pdm__buf_init(&bb);
        pdm__node_path(nap, &bb);
        snprintf(uri, sizeof uri, "./%.*s/Name", (int)bb.len,
                 (const char *)bb.data);
        pdm__buf_free(&bb);
        /* the ConnMO ACL gives both servers Replace: isolation refuses */
        CU_ASSERT_EQUAL(replace(ctx, &wa, uri, "x", &d), PDM_EDENIED);
        PDM_ASSERT_STR(d.rule, "isolation");
        CU_ASSERT_PTR_NOT_NULL(strstr(d.reason, "bootstrap:fx-bootstrap/src"));
    }
    pdm_ctx_close(ctx);
}

/* home_plmn with the default 2 MNC digits; no IMSI: NULL. */
static void test_authority__home_plmn(void)
{
    char buf[16];
    pdm_ctx *ctx = open_ctx(profile("plmn", ""), state("plmn"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__authority_home_plmn(ctx, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "001-01");
    CU_ASSERT_EQUAL(pdm__authority_home_plmn(ctx, buf, 4), PDM_EINVAL);
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"isolation_no_authority", test_authority__isolation_no_authority},
    {"isolation_override_null", test_authority__isolation_override_null},
    {"isolation_refusals", test_authority__isolation_refusals},
    {"isolation_allow", test_authority__isolation_allow},
    {"isolation_spec_authority", test_authority__isolation_spec_authority},
    {"defaults", test_authority__defaults},
    {"defaults_bad", test_authority__defaults_bad},
    {"takeover_on_bootstrap", test_authority__takeover_on_bootstrap},
    {"records", test_authority__records},
    {"two_accounts", test_authority__two_accounts},
    {"home_plmn", test_authority__home_plmn},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"authority", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
