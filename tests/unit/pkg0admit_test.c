/*
 * Unit tests of the package 0 verdict shared by sessions and the agent's
 * intake (pdm__pkg0_admit, core/src/session/session.c): a bounded,
 * persisted replay window per server; the resynchronisation nonce only
 * until the first session with the server ended normally (unless the
 * profile says otherwise); refusals leave no audit row (the agent
 * aggregates them) and record nothing.  Account srv-md5 of
 * tests/session/tree.tnds.xml: SRVCRED password "srvpw", nonce "srvnonce".
 */
#include "cu_main.h"
#include "auth/auth.h"
#include "engine/engine.h"
#include "session/session_int.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

static char profile[600], profile_always[600], state[600];

static pdm_ctx *open_ctx_at(const char *prof, const char *dir)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = prof;
    cfg.state_dir = dir;
    cfg.flags = PDM_CTX_NO_PLUGINS;
    cfg.log_level = PDM_LOG_ERROR;
    CU_ASSERT_EQUAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    return ctx;
}

static pdm_ctx *open_ctx(const char *prof) { return open_ctx_at(prof, state); }

static int write_profile(const char *path, const char *extra)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "[profile]\nid = pkg0-test\nfactory_tree = %s/tests/session/"
               "tree.tnds.xml\n[device]\ndevid = IMEI:1\n[session]\n%s",
            PDM_SOURCE_DIR, extra);
    return fclose(f);
}

static int setup(void)
{
    snprintf(profile, sizeof profile, "%s/pkg0.profile", pdm_test_tmpdir());
    snprintf(profile_always, sizeof profile_always, "%s/pkg0-always.profile",
             pdm_test_tmpdir());
    snprintf(state, sizeof state, "%s/pkg0-state", pdm_test_tmpdir());
    return write_profile(profile, "") ||
           write_profile(profile_always, "pkg0_resync_always = true\n");
}

/* A package 0 of srv-md5 with session id @sid, signed with @pw and either
 * the stored nonce or (resync) four zero bytes. */
static void make(pdm__buf *b, uint16_t sid, const char *pw, bool resync)
{
    static const uint8_t zero4[4];
    pdm__pkg0 in;
    memset(&in, 0, sizeof in);
    in.version = 12;
    in.ui_mode = 1;
    in.initiator = 1;
    in.session_id = sid;
    snprintf(in.server_id, sizeof in.server_id, "srv-md5");
    pdm__buf_init(b);
    CU_ASSERT_EQUAL_FATAL(
        pdm__pkg0_build(&in, pw, resync ? zero4 : (const uint8_t *)"srvnonce",
                        resync ? 4 : 8, b),
        PDM_OK);
}

static int admit(pdm_ctx *ctx, uint16_t sid, const char *pw, bool resync,
                 char *why, size_t whylen)
{
    pdm__buf b;
    char server[64], s[5];
    int rc;
    make(&b, sid, pw, resync);
    rc = pdm__pkg0_admit(ctx, b.data, b.len, server, sizeof server, s, why,
                         whylen);
    if (rc == PDM_OK) {
        char want[5];
        pdm__pkg0_session_id_str(sid, want);
        PDM_ASSERT_STR(s, want);
        PDM_ASSERT_STR(server, "srv-md5");
    }
    pdm__buf_free(&b);
    return rc;
}

static int count_rows(void *user, const pdm__audit_rec *a)
{
    (void)a;
    ++*(int *)user;
    return PDM_OK;
}

static int audit_rows(pdm_ctx *ctx)
{
    int n = 0;
    CU_ASSERT_EQUAL(pdm__store_audit_query(ctx->store, 0, count_rows, &n),
                    PDM_OK);
    return n;
}

/* Two captured resync notifications replayed alternately: each is acted
 * on once, also after a restart. */
static void test_pkg0admit__alternate_replay(void)
{
    char why[300];
    pdm_ctx *ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xA1, "srvpw", true, why, sizeof why), PDM_OK);
    CU_ASSERT_EQUAL(admit(ctx, 0xA2, "srvpw", true, why, sizeof why), PDM_OK);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(admit(ctx, 0xA1, "srvpw", true, why, sizeof why),
                        PDM_EEXISTS);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "already handled"));
        CU_ASSERT_EQUAL(admit(ctx, 0xA2, "srvpw", true, why, sizeof why),
                        PDM_EEXISTS);
    }
    pdm_ctx_close(ctx);
    ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xA1, "srvpw", true, why, sizeof why),
                    PDM_EEXISTS);
    CU_ASSERT_EQUAL(admit(ctx, 0xA2, "srvpw", false, why, sizeof why),
                    PDM_EEXISTS);
    pdm_ctx_close(ctx);
}

/* The window is bounded (32 per server): the store holds no more. */
static void test_pkg0admit__window_bounded(void)
{
    char why[300];
    uint8_t *v = NULL;
    size_t n = 0, lines = 0;
    pdm_ctx *ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    for (uint16_t sid = 0x100; sid < 0x100 + 100; sid++)
        CU_ASSERT_EQUAL(admit(ctx, sid, "srvpw", false, why, sizeof why),
                        PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__store_kv_get(ctx->store, "core",
                                            "pkg0-seen:srv-md5", &v, &n),
                          PDM_OK);
    for (size_t i = 0; i < n; i++)
        lines += v[i] == '\n';
    CU_ASSERT_EQUAL(lines, 32);
    pdm__free(v);
    /* the newest are refused, the oldest fell out of the window */
    CU_ASSERT_EQUAL(admit(ctx, 0x100 + 99, "srvpw", false, why, sizeof why),
                    PDM_EEXISTS);
    CU_ASSERT_EQUAL(admit(ctx, 0x100 + 68, "srvpw", false, why, sizeof why),
                    PDM_EEXISTS);
    pdm_ctx_close(ctx);
}

/* A forged notification is refused without an audit row and without
 * entering the window (it cannot push a real one out, nor claim its id). */
static void test_pkg0admit__forged(void)
{
    char why[300];
    int rows;
    pdm_ctx *ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    rows = audit_rows(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xF1, "forged", false, why, sizeof why),
                    PDM_EAUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad digest"));
    CU_ASSERT_PTR_NULL(strstr(why, "srvpw"));
    CU_ASSERT_EQUAL(admit(ctx, 0xF1, "forged", true, why, sizeof why),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(audit_rows(ctx), rows);
    /* the real one with that session id is still accepted, and audited */
    CU_ASSERT_EQUAL(admit(ctx, 0xF1, "srvpw", false, why, sizeof why), PDM_OK);
    CU_ASSERT_EQUAL(audit_rows(ctx), rows + 1);
    pdm_ctx_close(ctx);
}

/* After a session with the server ended normally the resync nonce is
 * refused, unless session.pkg0_resync_always is set. */
static void test_pkg0admit__resync_after_session(void)
{
    char why[300];
    pdm_ctx *ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xB1, "srvpw", true, why, sizeof why), PDM_OK);
    /* what end_session records for a session that ended normally */
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core",
                                      "pkg0-synced:srv-md5",
                                      (const uint8_t *)"1", 1),
                    PDM_OK);
    CU_ASSERT_EQUAL(admit(ctx, 0xB2, "srvpw", true, why, sizeof why),
                    PDM_EAUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "resynchronisation is off"));
    CU_ASSERT_EQUAL(admit(ctx, 0xB3, "srvpw", false, why, sizeof why), PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx(profile_always);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xB2, "srvpw", true, why, sizeof why), PDM_OK);
    pdm_ctx_close(ctx);
}

/* session.pkg0_resync = never: the resync nonce is refused even before a
 * first session; always (the new spelling) takes it after one. */
static void test_pkg0admit__resync_setting(void)
{
    char why[300], never[600], always[600], st[600];
    pdm_ctx *ctx;
    snprintf(never, sizeof never, "%s/pkg0-never.profile", pdm_test_tmpdir());
    snprintf(always, sizeof always, "%s/pkg0-always2.profile",
             pdm_test_tmpdir());
    snprintf(st, sizeof st, "%s/pkg0-never-state", pdm_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(write_profile(never, "pkg0_resync = never\n"), 0);
    CU_ASSERT_EQUAL_FATAL(write_profile(always, "pkg0_resync = always\n"), 0);
    ctx = open_ctx_at(never, st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xD1, "srvpw", true, why, sizeof why),
                    PDM_EAUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "session.pkg0_resync never"));
    CU_ASSERT_EQUAL(admit(ctx, 0xD2, "srvpw", false, why, sizeof why), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core",
                                      "pkg0-synced:srv-md5",
                                      (const uint8_t *)"1", 1),
                    PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx_at(always, st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(admit(ctx, 0xD3, "srvpw", true, why, sizeof why), PDM_OK);
    pdm_ctx_close(ctx);
}

/* Without a store replays could not be refused: every package 0 is. */
static void test_pkg0admit__no_store(void)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    char why[300];
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.profile = profile;
    cfg.flags = PDM_CTX_NO_PLUGINS | PDM_CTX_NO_STORE;
    cfg.log_level = PDM_LOG_ERROR;
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_open(&ctx, &cfg), PDM_OK);
    CU_ASSERT_EQUAL(admit(ctx, 0xC1, "srvpw", false, why, sizeof why),
                    PDM_ENOTSUP);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "replay protection"));
    pdm_ctx_close(ctx);
}

static void test_pkg0admit__malformed(void)
{
    char why[300], server[64], sid[5];
    static const uint8_t junk[30] = {1, 2, 3};
    pdm_ctx *ctx = open_ctx(profile);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__pkg0_admit(ctx, junk, sizeof junk, server,
                                    sizeof server, sid, why, sizeof why),
                    PDM_EPARSE);
    CU_ASSERT(why[0] != '\0');
    CU_ASSERT_EQUAL(pdm__pkg0_admit(ctx, NULL, 0, server, sizeof server, sid,
                                    why, sizeof why),
                    PDM_EINVAL);
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"alternate_replay", test_pkg0admit__alternate_replay},
    {"window_bounded", test_pkg0admit__window_bounded},
    {"forged", test_pkg0admit__forged},
    {"resync_after_session", test_pkg0admit__resync_after_session},
    {"resync_setting", test_pkg0admit__resync_setting},
    {"no_store", test_pkg0admit__no_store},
    {"malformed", test_pkg0admit__malformed},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"pkg0admit", tests, setup, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
