/*
 * The bootstrap pipeline (core/src/bootstrap/bootstrap.c) through the
 * integrator API, with real contexts, stores and fixture plugins
 * (fx-bootstrap: a source that accepts OMA CP and offers a document;
 * fx-authority: grants, refuses, fails or takes root; fx-policy: denies).
 * Every refusal is checked for its exact rc, its one audit row and a tree
 * that exports byte for byte as before.  The MAC formulas themselves are
 * unit_secmac's; here the pipeline's use of them: which key, which PIN
 * and IMSI, which refusal.
 */
#include "cu_main.h"
#include "engine_fx.h"
#include "engine_files.h"
#include "auth/auth.h"
#include "bootstrap/bootstrap_int.h"
#include "engine/authority.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/dmacc.h"
#include "tree/tnds.h"
#include "tree/tree.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

#define IMSI "001010123456789"
#define W7 PDM_SOURCE_DIR "/tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml"
#define W7_MAC "AD7163230A2A4AE07605ECC3E4916ABA104B7211"
#define DMPROF \
    PDM_SOURCE_DIR "/tests/data/transcripts/funambol_dm_profile_bootstrap.wbxml"


/* ---- device hooks the tests steer ---------------------------------------- */

static const char *g_imsi; /* NULL: PDM_ENOTFOUND (profile's device.imsi) */
static const char *g_pin;  /* NULL: the user cancels */
static unsigned g_pin_asks;
/* The last PIN question (ask_pin tests). */
static struct {
    uint32_t sec, origin;
    int32_t tries;
    char plugin[64], text[256];
} g_rq;

static int hook_netid(void *user, int kind, char *buf, size_t size)
{
    (void)user;
    if (kind != PDM_NETID_IMSI || !g_imsi)
        return PDM_ENOTFOUND;
    snprintf(buf, size, "%s", g_imsi);
    return PDM_OK;
}

static int hook_pin(void *user, const pdm_pin_request *rq, char *buf,
                    size_t size)
{
    (void)user;
    g_pin_asks++;
    CU_ASSERT_EQUAL(rq->struct_size, sizeof *rq);
    CU_ASSERT_EQUAL(rq->attempt, 1);
    CU_ASSERT_EQUAL(rq->reserved0, 0);
    g_rq.sec = rq->sec;
    g_rq.origin = rq->origin;
    g_rq.tries = rq->tries_left;
    snprintf(g_rq.plugin, sizeof g_rq.plugin, "%s",
             rq->plugin ? rq->plugin : "(null)");
    snprintf(g_rq.text, sizeof g_rq.text, "%s", rq->text);
    if (!g_pin)
        return PDM_ECANCELLED;
    snprintf(buf, size, "%s", g_pin);
    return PDM_OK;
}

/* ---- contexts ------------------------------------------------------------- */

static const char *profile(const char *name, const char *extra)
{
    return fx_profile(name,
                      "[profile]\nid = bootstrap-test\nfactory_tree = %s/tests/"
                      "session/tree.tnds.xml\n[device]\ndevid = "
                      "IMEI:493005100592800\nimsi = " IMSI "\n%s",
                      PDM_SOURCE_DIR, extra);
}

static const char *state(const char *name) { return fx_state(name); }

/* Log lines go to stderr, or with g_capture into g_log as
 * "<level> [component] message\n" (g_log_level: what the context
 * passes). */
static bool g_capture;
static int g_log_level = PDM_LOG_ERROR;
static char g_log[16384];

static void log_stderr(void *user, int level, const char *component,
                       const char *msg)
{
    size_t n = strlen(g_log);
    (void)user;
    if (!g_capture) {
        fprintf(stderr, "  [%s] %s\n", component, msg);
        return;
    }
    snprintf(g_log + n, sizeof g_log - n, "%d [%s] %s\n", level, component,
             msg);
}

/* How many captured lines contain @needle. */
static size_t log_count(const char *needle)
{
    size_t k = 0;
    for (const char *p = g_log; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

static pdm_device_hooks hooks = {sizeof(pdm_device_hooks), NULL, NULL, NULL,
                                 hook_netid, hook_pin, NULL, NULL};
static const pdm_device_hooks *g_hooks = &hooks;
static uint32_t g_ctx_flags;

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
    cfg.hooks = g_hooks;
    cfg.flags = g_ctx_flags;
    cfg.log = log_stderr;
    cfg.log_level = g_log_level;
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        fprintf(stderr, "open: %s\n", ctx ? pdm_ctx_last_error(ctx) : "?");
        pdm_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

/* The audit rows with op "Bootstrap": their count, and the last one. */
typedef audit_rows audit_scan;

static audit_scan audit(pdm_ctx *ctx)
{
    return audit_of(ctx, "Bootstrap");
}

static int submit(pdm_ctx *ctx, const void *body, size_t len, const char *ct,
                  uint32_t sec, const char *mac, uint32_t origin,
                  pdm_bootstrap_result *r)
{
    pdm_bootstrap_input in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = origin;
    in.body = body;
    in.len = len;
    in.content_type = ct;
    in.sec = sec;
    in.mac_hex = mac;
    in.via = "test";
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return pdm_ctx_bootstrap_submit(ctx, &in, r);
}

/* A DM-profile message (SyncML DM 1.2 XML) adding a DMAcc to ./Inbox. */
static char *dm_doc(const char *sid, size_t *len)
{
    static char buf[4096];
    int n = snprintf(
        buf, sizeof buf,
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
        "<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>"
        "<Target><LocURI>IMEI:493005100592800</LocURI></Target><Source>"
        "<LocURI>http://127.0.0.1:1/dm</LocURI></Source></SyncHdr><SyncBody>"
        "<Add><CmdID>1</CmdID>"
#define ITEM(u, f, t, d)                                                      \
    "<Item><Target><LocURI>" u "</LocURI></Target><Meta><Format "            \
    "xmlns=\"syncml:metinf\">" f "</Format>" t "</Meta>" d "</Item>"
        ITEM("./Inbox/acc", "node",
             "<Type xmlns=\"syncml:metinf\">urn:oma:mo:oma-dm-dmacc:1.0</Type>",
             "")
        ITEM("./Inbox/acc/ServerID", "chr", "", "<Data>%s</Data>")
        ITEM("./Inbox/acc/Name", "chr", "", "<Data>%s</Data>")
        ITEM("./Inbox/acc/AppAddr", "node", "", "")
        ITEM("./Inbox/acc/AppAddr/1", "node", "", "")
        ITEM("./Inbox/acc/AppAddr/1/Addr", "chr", "",
             "<Data>http://127.0.0.1:1/dm</Data>")
        ITEM("./Inbox/acc/AppAuth", "node", "", "")
        ITEM("./Inbox/acc/AppAuth/1", "node", "", "")
        ITEM("./Inbox/acc/AppAuth/1/AAuthLevel", "chr", "", "<Data>CLCRED</Data>")
        ITEM("./Inbox/acc/AppAuth/1/AAuthType", "chr", "", "<Data>DIGEST</Data>")
        ITEM("./Inbox/acc/AppAuth/1/AAuthName", "chr", "", "<Data>dev</Data>")
        ITEM("./Inbox/acc/AppAuth/1/AAuthSecret", "chr", "",
             "<Data>topsecret</Data>")
#undef ITEM
        "</Add><Final/></SyncBody></SyncML>",
        sid, sid);
    *len = (size_t)n;
    return buf;
}

/* An OMA CP document (XML): NAPDEF NAP1 and a w7 for @sid that uses it,
 * with server credentials (CLIENT: SRVCRED, facts §9.2) unless
 * g_no_srvcred. */
static bool g_no_srvcred;

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
        "%s"
        "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "
        "value=\"APPSRV\"/><parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>"
        "<parm name=\"AAUTHNAME\" value=\"dev\"/><parm "
        "name=\"AAUTHSECRET\" value=\"topsecret\"/></characteristic>"
        "</characteristic>\n</wap-provisioningdoc>\n",
        sid, sid,
        g_no_srvcred
            ? ""
            : "<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" "
              "value=\"CLIENT\"/><parm name=\"AAUTHTYPE\" "
              "value=\"DIGEST\"/><parm name=\"AAUTHNAME\" value=\"srv\"/>"
              "<parm name=\"AAUTHSECRET\" value=\"topsecret\"/>"
              "</characteristic>");
    *len = (size_t)n;
    return buf;
}

#define DM_XML PDM__CT_DM_XML
#define DM_WBXML PDM__CT_DM_WBXML
#define CP_WBXML PDM__CT_CP_WBXML
#define CP_XML PDM__CT_CP_XML

static void reset_hooks(void)
{
    g_imsi = NULL;
    g_pin = NULL;
    g_pin_asks = 0;
}

/* The refusal left one "deny" row and the tree as it was. */
static void refused_cleanly(pdm_ctx *ctx, const char *before, size_t rows,
                            const char *component)
{
    char *after = export(ctx);
    audit_scan a = audit(ctx);
    PDM_ASSERT_STR(after, before);
    CU_ASSERT_EQUAL(a.n, rows + 1);
    PDM_ASSERT_STR(a.decision, "deny");
    PDM_ASSERT_STR(a.component, component);
    /* never the IMSI, a PIN or a MAC */
    CU_ASSERT_PTR_NULL(strstr(a.reason, IMSI));
    CU_ASSERT_PTR_NULL(strstr(a.reason, "1234"));
    CU_ASSERT_PTR_NULL(strstr(a.reason, W7_MAC));
    pdm__free(after);
}

/* ---- arguments and limits --------------------------------------------------- */

static void test_bootstrap__arguments(void)
{
    pdm_ctx *ctx = open_ctx(profile("args", "[bootstrap]\nmax_bytes = 1024\n"),
                            state("args"));
    pdm_bootstrap_input in;
    pdm_bootstrap_result r;
    size_t len;
    const char *doc;
    uint8_t big[2000];
    char *before;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    doc = dm_doc("srv-a", &len);
    memset(big, ' ', sizeof big);

    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, NULL, NULL), PDM_EINVAL);
    memset(&in, 0, sizeof in);
    in.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, NULL), PDM_EINVAL);
    memset(&r, 0, sizeof r);
    r.struct_size = 4;
    in.struct_size = sizeof in;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EINVAL);
    CU_ASSERT_EQUAL(audit(ctx).n, 0); /* no document: nothing to audit */

    CU_ASSERT_EQUAL(submit(ctx, doc, 0, DM_XML, 0, NULL, PDM_ORIGIN_FACTORY,
                           &r), PDM_EINVAL);
    PDM_ASSERT_STR(r.summary, "empty document");
    PDM_ASSERT_STR(r.component, "core");
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 9, NULL, PDM_ORIGIN_FACTORY,
                           &r), PDM_EINVAL);
    /* a card's document comes only from a source component */
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 0, NULL,
                           PDM_ORIGIN_SMARTCARD, &r), PDM_EINVAL);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, "text/plain", 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, NULL, 0, NULL, PDM_ORIGIN_FACTORY,
                           &r), PDM_EINVAL);
    CU_ASSERT_EQUAL(submit(ctx, big, sizeof big, DM_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_ETOOBIG);
    PDM_ASSERT_STR(r.summary, "document of 2000 bytes is over "
                              "bootstrap.max_bytes (1024)");
    PDM_ASSERT_STR(pdm_ctx_last_error(ctx), r.summary);
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_FACTORY;
    in.body = (const uint8_t *)doc;
    in.len = 10;
    in.content_type = DM_XML;
    in.flags = 0x80;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, NULL), PDM_EINVAL);
    in.flags = 0;
    in.via = "two\nlines";
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, NULL), PDM_EINVAL);
    refused_cleanly(ctx, before, 7, "core");
    CU_ASSERT_EQUAL(audit(ctx).n, 8);
    pdm__free(before);
    pdm_ctx_close(ctx);
}

/* ---- SEC/MAC --------------------------------------------------------------- */

/* A right MAC for @body under @sec (USERNETWPIN: key order @variant). */
static void mac_for(int sec, const char *pin, unsigned variant,
                    const uint8_t *body, size_t len, char mac[41])
{
    char err[128];
    CU_ASSERT_EQUAL_FATAL(pdm__secmac_compute(sec, IMSI, pin, variant, body,
                                              len, mac, err, sizeof err),
                          PDM_OK);
}

/* Each method on the DM-profile document: the tampered body, the tampered
 * MAC, the wrong PIN and the wrong IMSI are refused with PDM_EAUTH before
 * anything is decoded: one audit row each, the tree unchanged. */
static void test_bootstrap__sec_refusals(void)
{
    static const int secs[] = {PDM_SEC_NETWPIN, PDM_SEC_USERPIN,
                               PDM_SEC_USERNETWPIN, PDM_SEC_USERPINMAC};
    pdm_ctx *ctx = open_ctx(profile("secref", ""), state("secref"));
    pdm_bootstrap_result r;
    size_t len, rows;
    uint8_t *body;
    char *before, *doc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    doc = dm_doc("srv-a", &len);
    body = pdm__malloc(len);
    memcpy(body, doc, len);
    before = export(ctx);
    for (size_t i = 0; i < PDM__ARRAY_LEN(secs); i++) {
        int sec = secs[i];
        bool pin = sec != PDM_SEC_NETWPIN, imsi = sec == PDM_SEC_NETWPIN ||
                                                  sec == PDM_SEC_USERNETWPIN;
        char mac[41] = "", bad[41], ppin[64] = "1234";
        const char *m = NULL;
        reset_hooks();
        if (sec == PDM_SEC_USERPINMAC) {
            char err[128];
            CU_ASSERT_EQUAL_FATAL(pdm__secmac_userpinmac_pin("12345", body, len,
                                                             ppin, sizeof ppin,
                                                             err, sizeof err),
                                  PDM_OK);
        } else {
            mac_for(sec, "1234", PDM__SECMAC_KEY_PRIMARY, body, len, mac);
            m = mac;
        }
        g_pin = ppin;
        /* tampered body */
        body[len - 10] ^= 1;
        rows = audit(ctx).n;
        CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, (uint32_t)sec, m,
                               PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
        refused_cleanly(ctx, before, rows, "core");
        body[len - 10] ^= 1;
        /* tampered MAC */
        if (m) {
            snprintf(bad, sizeof bad, "%s", mac);
            bad[5] = bad[5] == '0' ? '1' : '0';
            rows = audit(ctx).n;
            CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, (uint32_t)sec, bad,
                                   PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
            refused_cleanly(ctx, before, rows, "core");
        }
        /* wrong PIN */
        if (pin) {
            char wrong[64];
            snprintf(wrong, sizeof wrong, "%s", ppin);
            wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '9' ? '8'
                                                                       : '9';
            g_pin = wrong;
            rows = audit(ctx).n;
            CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, (uint32_t)sec, m,
                                   PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
            refused_cleanly(ctx, before, rows, "core");
            CU_ASSERT_PTR_NULL(strstr(r.summary, wrong));
            g_pin = ppin;
        }
        /* wrong IMSI from the network_id hook (it wins over the profile) */
        if (imsi) {
            g_imsi = "001010123456780";
            rows = audit(ctx).n;
            CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, (uint32_t)sec, m,
                                   PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
            refused_cleanly(ctx, before, rows, "core");
            CU_ASSERT_PTR_NULL(strstr(r.summary, "001010123456780"));
            g_imsi = NULL;
        }
    }
    /* a SEC without a MAC, a MAC without a SEC */
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, PDM_SEC_NETWPIN, NULL,
                           PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
    PDM_ASSERT_STR(r.summary, "SEC NETWPIN given without a MAC");
    refused_cleanly(ctx, before, rows, "core");
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, PDM_SEC_NONE, W7_MAC,
                           PDM_ORIGIN_FACTORY, &r), PDM_EAUTH);
    refused_cleanly(ctx, before, rows, "core");
    /* the user declines the PIN question */
    reset_hooks();
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, PDM_SEC_USERPIN, W7_MAC,
                           PDM_ORIGIN_PUSH, &r), PDM_ECANCELLED);
    CU_ASSERT_EQUAL(g_pin_asks, 1);
    PDM_ASSERT_STR(r.summary, "the user declined the PIN question");
    refused_cleanly(ctx, before, rows, "core");
    /* unsigned from push: only factory may (the default) */
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, body, len, DM_XML, PDM_SEC_NONE, NULL,
                           PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    PDM_ASSERT_STR(r.summary, "unsigned document (no SEC/MAC) from origin "
                              "push: bootstrap.unsigned_origins is factory");
    refused_cleanly(ctx, before, rows, "core");
    pdm__free(before);
    pdm__free(body);
    pdm_ctx_close(ctx);
}

/* Without a PIN prompt or an IMSI the document cannot be checked. */
static void test_bootstrap__sec_no_pin_no_imsi(void)
{
    pdm_device_hooks saved = hooks;
    const char *prof;
    pdm_ctx *ctx;
    pdm_bootstrap_result r;
    size_t len;
    char *doc = dm_doc("srv-a", &len), mac[41];
    /* a caller built against 0.1: its struct ends before network_id */
    hooks.struct_size = offsetof(pdm_device_hooks, network_id);
    prof = profile("nopin", "");
    ctx = open_ctx(prof, state("nopin"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    mac_for(PDM_SEC_USERPIN, "1234", 0, (const uint8_t *)doc, len, mac);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, PDM_SEC_USERPIN, mac,
                           PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
    PDM_ASSERT_STR(r.summary, "SEC USERPIN needs the user's PIN and the "
                              "device has no PIN prompt (pin hook)");
    pdm_ctx_close(ctx);
    hooks = saved;
    /* no device.imsi and no hook answer */
    prof = profile("noimsi", "");
    {
        /* rewrite the profile without the imsi line */
        FILE *f = fopen(prof, "w");
        fprintf(f, "[profile]\nid = bootstrap-test\n");
        fclose(f);
    }
    ctx = open_ctx(prof, state("noimsi"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    reset_hooks();
    mac_for(PDM_SEC_NETWPIN, NULL, 0, (const uint8_t *)doc, len, mac);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, PDM_SEC_NETWPIN, mac,
                           PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
    PDM_ASSERT_STR(r.summary, "SEC NETWPIN needs the IMSI and neither the "
                              "network_id hook nor the profile's device.imsi "
                              "gives one");
    pdm_ctx_close(ctx);
}

/* OMA CP: a component must accept the type; only IMSI||PIN. */
static void test_bootstrap__cp_source_and_key_order(void)
{
    pdm_ctx *ctx = open_ctx(profile("cpno", "[plugin fx-bootstrap]\n"
                                            "option.accepts = no\n"),
                            state("cpno"));
    pdm_bootstrap_result r;
    size_t len, rows;
    uint8_t *w7;
    char mac[41], *before;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    w7 = pdm_test_read(W7, &len);
    before = export(ctx);
    CU_ASSERT_EQUAL(submit(ctx, w7, len, CP_WBXML, PDM_SEC_NETWPIN, W7_MAC,
                           PDM_ORIGIN_PUSH, &r), PDM_ENOTSUP);
    PDM_ASSERT_STR(r.summary, "no loaded bootstrap component accepts "
                              "application/vnd.wap.connectivity-wbxml "
                              "(profile bootstrap-test)");
    refused_cleanly(ctx, before, 0, "core");
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:unknown");
    pdm_ctx_close(ctx);
    pdm__free(before);

    ctx = open_ctx(profile("cpkey", "[plugin fx-bootstrap]\n"), state("cpkey"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    /* "PIN:IMSI" is a DM-profile key order only */
    reset_hooks();
    g_pin = "1234";
    mac_for(PDM_SEC_USERNETWPIN, "1234", PDM__SECMAC_KEY_PIN_COLON_IMSI, w7,
            len, mac);
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, w7, len, CP_WBXML, PDM_SEC_USERNETWPIN, mac,
                           PDM_ORIGIN_PUSH, &r), PDM_EAUTH);
    refused_cleanly(ctx, before, rows, "core");
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:fx-bootstrap/src");
    pdm__free(before);
    free(w7);
    pdm_ctx_close(ctx);
}

/* Known answers E1, E2, E4, E5 (both key orders), E6 through the pipeline
 * on CP documents: the right MAC passes the SEC stage (E1's document then
 * creates four ConnMOs; the 6-byte E2 body creates nothing: PDM_EFORMAT,
 * never PDM_EAUTH), the
 * DM-only key order of E5 and a changed byte do not.  The IMSI of E2 comes
 * from the network_id hook, which wins over the profile's. */
static void test_bootstrap__known_answers(void)
{
    static const struct {
        const char *name, *file, *mac, *pin;
        int sec, rc;
    } kat[] = {
        {"E1", "mozilla_cht_cp_codepage.wbxml",
         "AA2DC41FC48AEEF3FED7351B1EE704461A8894D4", "0000", PDM_SEC_USERPIN,
         PDM_OK},
        {"E2", "mozilla_empty_prov.wbxml",
         "1AF545FE2823DC9347064450F90FF1BBF957E146", NULL, PDM_SEC_NETWPIN,
         PDM_EFORMAT},
        {"E4", "mozilla_empty_prov.wbxml",
         "6cd48bfd7ffc33183154734df4434da694e25e6a", "1234", PDM_SEC_USERPIN,
         PDM_EFORMAT},
        {"E5", "mozilla_empty_prov.wbxml",
         "3DBC50BB7BACAE901461F5ECCB0ADB1F71B58D02", "1234",
         PDM_SEC_USERNETWPIN, PDM_EFORMAT},
        {"E5 DM order on CP", "mozilla_empty_prov.wbxml",
         "AFCADA1C6212B28DCC6B678489C1786D923DDF4A", "1234",
         PDM_SEC_USERNETWPIN, PDM_EAUTH},
        {"E6", "mozilla_empty_prov.wbxml", NULL, "1234528080",
         PDM_SEC_USERPINMAC, PDM_EFORMAT},
        {"E6 wrong m", "mozilla_empty_prov.wbxml", NULL, "1234528081",
         PDM_SEC_USERPINMAC, PDM_EAUTH},
    };
    pdm_ctx *ctx = open_ctx(profile("kat", "[plugin fx-bootstrap]\n"),
                            state("kat"));
    char *before;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    for (size_t i = 0; i < PDM__ARRAY_LEN(kat); i++) {
        char path[600];
        size_t len, rows = audit(ctx).n;
        uint8_t *b;
        pdm_bootstrap_result r;
        int rc;
        snprintf(path, sizeof path, "%s/tests/data/vectors/%s",
                 PDM_SOURCE_DIR, kat[i].file);
        b = pdm_test_read(path, &len);
        reset_hooks();
        g_imsi = "466923103145252";
        g_pin = kat[i].pin;
        rc = submit(ctx, b, len, CP_WBXML, (uint32_t)kat[i].sec, kat[i].mac,
                    PDM_ORIGIN_PUSH, &r);
        if (rc != kat[i].rc)
            printf("  %s: %s\n", kat[i].name, r.summary);
        CU_ASSERT_EQUAL(rc, kat[i].rc);
        if (rc == PDM_OK) {
            PDM_ASSERT_STR(r.summary, "./ConnMO/WPROXY; ./ConnMO/MPROXY; "
                                      "./ConnMO/CHT_emome; ./ConnMO/CHT_MMS");
            PDM_ASSERT_STR(audit(ctx).decision, "allow");
            pdm__free(before);
            before = export(ctx);
        } else {
            refused_cleanly(ctx, before, rows, "core");
        }
        /* one byte changed: the MAC no longer holds */
        b[len - 1] ^= 0x01;
        rows = audit(ctx).n;
        CU_ASSERT_EQUAL(submit(ctx, b, len, CP_WBXML, (uint32_t)kat[i].sec,
                               kat[i].mac, PDM_ORIGIN_PUSH, &r),
                        PDM_EAUTH);
        refused_cleanly(ctx, before, rows, "core");
        free(b);
    }
    reset_hooks();
    pdm__free(before);
    pdm_ctx_close(ctx);
}

/* ---- applied documents --------------------------------------------------------- */

static const char *leaf(pdm_ctx *ctx, const char *uri)
{
    static char v[256];
    size_t n = 0;
    const pdm__node *nd = pdm__tree_lookup(ctx->tree, uri);
    const uint8_t *p = nd ? pdm__node_value(nd, &n) : NULL;
    snprintf(v, sizeof v, "%.*s", (int)n, p ? (const char *)p : "");
    return nd ? v : NULL;
}

/* The account of @sid: its root "./DMAcc/x", or NULL. */
static const char *account_of(pdm_ctx *ctx, const char *sid)
{
    static char uri[256];
    pdm__node *acc = NULL;
    pdm__buf b;
    if (pdm__dmacc_find(ctx->tree, sid, &acc, NULL) != PDM_OK)
        return NULL;
    pdm__buf_init(&b);
    pdm__node_path(acc, &b);
    snprintf(uri, sizeof uri, "./%.*s", (int)b.len, (const char *)b.data);
    pdm__buf_free(&b);
    return uri;
}

/* Each method with the right MAC (USERNETWPIN in both key orders) on the
 * DM-profile document, each in a fresh store. */
static void test_bootstrap__sec_accepted(void)
{
    static const struct {
        int sec;
        unsigned variant;
        const char *name;
    } cases[] = {{PDM_SEC_NETWPIN, 0, "acc-netwpin"},
                 {PDM_SEC_USERPIN, 0, "acc-userpin"},
                 {PDM_SEC_USERNETWPIN, 0, "acc-unp1"},
                 {PDM_SEC_USERNETWPIN, PDM__SECMAC_KEY_PIN_COLON_IMSI,
                  "acc-unp2"},
                 {PDM_SEC_USERPINMAC, 0, "acc-upm"}};
    for (size_t i = 0; i < PDM__ARRAY_LEN(cases); i++) {
        pdm_ctx *ctx = open_ctx(profile(cases[i].name, ""),
                                state(cases[i].name));
        pdm_bootstrap_result r;
        size_t len;
        char *doc = dm_doc("srv-a", &len), mac[41] = "", pin[64] = "1234";
        const char *acc;
        audit_scan a;
        int rc;
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        reset_hooks();
        if (cases[i].sec == PDM_SEC_USERPINMAC) {
            char err[128];
            CU_ASSERT_EQUAL(pdm__secmac_userpinmac_pin(
                                "12345", (const uint8_t *)doc, len, pin,
                                sizeof pin, err, sizeof err),
                            PDM_OK);
        } else {
            mac_for(cases[i].sec, "1234", cases[i].variant,
                    (const uint8_t *)doc, len, mac);
            /* either case is the same MAC */
            if (i == 1)
                for (char *c = mac; *c; c++)
                    *c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
        }
        g_pin = pin;
        rc = submit(ctx, doc, len, DM_XML, (uint32_t)cases[i].sec,
                    mac[0] ? mac : NULL, PDM_ORIGIN_PUSH, &r);
        if (rc != PDM_OK)
            printf("case %s: %s (%s)\n", cases[i].name, r.summary,
                   r.component);
        CU_ASSERT_EQUAL(rc, PDM_OK);
        CU_ASSERT_EQUAL(r.naccounts, 1);
        acc = account_of(ctx, "srv-a");
        CU_ASSERT_PTR_NOT_NULL(acc);
        if (!acc) {
            pdm_ctx_close(ctx);
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "for ServerID srv-a"));
        a = audit(ctx);
        CU_ASSERT_EQUAL(a.n, 1);
        PDM_ASSERT_STR(a.decision, "allow");
        PDM_ASSERT_STR(a.principal, "bootstrap:" PDM__BS_SOURCE_DM);
        CU_ASSERT_PTR_NOT_NULL(strstr(a.reason, "verified"));
        CU_ASSERT_PTR_NULL(strstr(a.reason, "topsecret"));
        pdm_ctx_close(ctx);
    }
}

/* Funambol's CP w7 document with its own NETWPIN MAC (IMSI from the
 * profile), through an accepting component. */
static void test_bootstrap__funambol_cp_netwpin(void)
{
    pdm_ctx *ctx = open_ctx(profile("fcp", "[plugin fx-bootstrap]\n"),
                            state("fcp"));
    pdm_bootstrap_result r;
    size_t len;
    uint8_t *w7 = pdm_test_read(W7, &len);
    const char *acc;
    char u[300];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    reset_hooks();
    CU_ASSERT_EQUAL(submit(ctx, w7, len, CP_WBXML, PDM_SEC_NETWPIN, W7_MAC,
                           PDM_ORIGIN_PUSH, &r), PDM_OK);
    PDM_ASSERT_STR(r.summary, "./DMAcc/funambol for ServerID funambol");
    PDM_ASSERT_STR(r.component, "");
    acc = account_of(ctx, "funambol");
    CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
    snprintf(u, sizeof u, "%s/ServerID", acc);
    PDM_ASSERT_STR(leaf(ctx, u), "funambol");
    snprintf(u, sizeof u, "%s", acc);
    /* the spec's default rights on the account */
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, u)),
                   "Delete=funambol&Get=funambol&Replace=funambol");
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:fx-bootstrap/src");
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "funambol");
    free(w7);
    pdm_ctx_close(ctx);
}

/* Funambol's DM-profile message, unsigned, from the factory. */
static void test_bootstrap__funambol_dm_profile_factory(void)
{
    pdm_ctx *ctx = open_ctx(profile("fdm", ""), state("fdm"));
    pdm_bootstrap_result r;
    size_t len;
    uint8_t *doc = pdm_test_read(DMPROF, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_WBXML, PDM_SEC_NONE, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_OK);
    PDM_ASSERT_STR(r.summary, "./DMAcc/TestAcc for ServerID funambol");
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "funambol"));
    PDM_ASSERT_STR(pdm__secmac_sec_name(0), "NONE");
    CU_ASSERT_PTR_NOT_NULL(strstr(audit(ctx).reason, "SEC NONE"));
    free(doc);
    pdm_ctx_close(ctx);
}

/* An existing ServerID: refused, or replaced with replace_existing. */
static void test_bootstrap__existing_server_id(void)
{
    pdm_ctx *ctx = open_ctx(profile("exist", "[plugin fx-bootstrap]\n"), state("exist"));
    pdm_bootstrap_result r;
    size_t len, rows;
    char *doc = cp_doc("srv-a", &len), *before, first[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL_FATAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                                 PDM_ORIGIN_FACTORY, &r), PDM_OK);
    snprintf(first, sizeof first, "%s", account_of(ctx, "srv-a"));
    /* ProvCont: the mapped connectivity settings get Get, Replace and
     * Delete for the w7's PROVIDER-ID */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "./ConnMO/"));
    {
        const char *c = strstr(r.summary, "./ConnMO/");
        char root[128];
        size_t n = c ? strcspn(c, "; ") : 0;
        snprintf(root, sizeof root, "%.*s", (int)n, c ? c : "");
        PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, root)),
                       "Delete=srv-a&Get=srv-a&Replace=srv-a");
    }
    before = export(ctx);
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_EEXISTS);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary,
                                  "(bootstrap.replace_existing is false)"));
    refused_cleanly(ctx, before, rows, "core");
    pdm__free(before);
    pdm_ctx_close(ctx);

    ctx = open_ctx(profile("exist", "[bootstrap]\nreplace_existing = true\n[plugin fx-bootstrap]\n"),
                   state("exist"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "(replaced)"));
    PDM_ASSERT_STR(account_of(ctx, "srv-a"), first);
    pdm_ctx_close(ctx);
}

/* PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES: a push intake that records (and
 * rate-limits) forgeries itself gets no row for a document refused before
 * it was authenticated, and a row for every other outcome; without the
 * flag every refusal is audited. */
static void test_bootstrap__caller_audits_forgeries(void)
{
    pdm_ctx *ctx = open_ctx(profile("forg", "[plugin fx-bootstrap]\n"),
                            state("forg"));
    pdm_bootstrap_input in;
    pdm_bootstrap_result r;
    size_t len, rows;
    uint8_t *w7 = pdm_test_read(W7, &len);
    char *before;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    reset_hooks();
    before = export(ctx);
    rows = audit(ctx).n;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_PUSH;
    in.body = w7;
    in.len = len;
    in.content_type = CP_WBXML;
    in.flags = PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES;
    in.via = "udp:192.0.2.1:9200";
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    /* unsigned from push, a wrong MAC, a MAC without SEC: forgeries */
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EDENIED);
    CU_ASSERT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    PDM_ASSERT_STR(r.component, "core");
    in.sec = PDM_SEC_NETWPIN;
    in.mac_hex = "AD7163230A2A4AE07605ECC3E4916ABA104B7210";
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EAUTH);
    CU_ASSERT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    in.sec = PDM_SEC_NONE;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EAUTH);
    CU_ASSERT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    {
        char *after = export(ctx);
        PDM_ASSERT_STR(after, before);
        CU_ASSERT_EQUAL(audit(ctx).n, rows); /* no row: the caller's */
        pdm__free(after);
    }
    /* the same wrong MAC without the flag: audited */
    in.flags = 0;
    in.sec = PDM_SEC_NETWPIN;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EAUTH);
    CU_ASSERT_NOT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    CU_ASSERT_EQUAL(audit(ctx).n, rows + 1);
    /* authenticated: applied, audited */
    in.flags = PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES;
    in.mac_hex = W7_MAC;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_OK);
    CU_ASSERT_NOT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    CU_ASSERT_EQUAL(audit(ctx).n > rows + 1, 1);
    /* authenticated and refused (the account exists): audited */
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EEXISTS);
    CU_ASSERT_NOT_EQUAL(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED, 0);
    CU_ASSERT_EQUAL(audit(ctx).n, rows + 1);
    /* an unknown flag */
    in.flags = 0x2;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_submit(ctx, &in, &r), PDM_EINVAL);
    free(w7);
    pdm__free(before);
    pdm_ctx_close(ctx);
}

/* A policy that denies PDM_OP_BOOTSTRAP for ./DMAcc. */
static void test_bootstrap__policy_deny(void)
{
    pdm_ctx *ctx = open_ctx(profile("pol", "[plugin fx-bootstrap]\n[plugin fx-policy]\n"
                                           "option.mode = decision\n"
                                           "option.decision = 2\n"
                                           "option.prefix = ./DMAcc\n"),
                            state("pol"));
    pdm_bootstrap_result r;
    size_t len;
    char *doc = cp_doc("srv-a", &len), *before;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_EDENIED);
    PDM_ASSERT_STR(r.component, "policy:fx-policy/check");
    refused_cleanly(ctx, before, 0, "policy:fx-policy/check");
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
    pdm__free(before);
    pdm_ctx_close(ctx);

    /* what the PDM_OP_BOOTSTRAP request carries: a new account, then the
     * replacement of an existing one */
    ctx = open_ctx(profile("pol2", "[bootstrap]\nreplace_existing = on\n"
                                   "[plugin fx-bootstrap]\n"
                                   "[plugin fx-policy]\n"
                                   "option.mode = bootstrap\n"),
                   state("pol2"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    g_pin = "1234";
    {
        char mac[41];
        mac_for(PDM_SEC_USERPIN, "1234", 0, (const uint8_t *)doc, len, mac);
        CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, PDM_SEC_USERPIN, mac,
                               PDM_ORIGIN_PUSH, &r), PDM_EDENIED);
    }
    PDM_ASSERT_STR(r.summary, "srv-a: sid=srv-a uri=./DMAcc/srv-a "
                              "src=fx-bootstrap/src sec=2 origin=3 "
                              "addr=http://127.0.0.1:1/dm detail=new "
                              "account ./DMAcc/srv-a");
    reset_hooks();
    pdm_ctx_close(ctx);
    /* the account exists (applied without that policy), then again */
    ctx = open_ctx(profile("pol2", "[bootstrap]\nreplace_existing = on\n"
                                   "[plugin fx-bootstrap]\n"),
                   state("pol2"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_OK);
    pdm_ctx_close(ctx);
    ctx = open_ctx(profile("pol2", "[bootstrap]\nreplace_existing = on\n"
                                   "[plugin fx-bootstrap]\n"
                                   "[plugin fx-policy]\n"
                                   "option.mode = bootstrap\n"),
                   state("pol2"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                           PDM_ORIGIN_FACTORY, &r), PDM_EDENIED);
    PDM_ASSERT_STR(r.summary, "srv-a: sid=srv-a uri=./DMAcc/srv-a "
                              "src=fx-bootstrap/src sec=0 origin=1 "
                              "addr=http://127.0.0.1:1/dm detail=replaces "
                              "./DMAcc/srv-a");
    pdm_ctx_close(ctx);
}

/* The authority component's answers. */
static void test_bootstrap__authority(void)
{
    static const struct {
        const char *mode;
        int rc;
    } cases[] = {{"refuse", PDM_EDENIED}, {"fail", PDM_EDENIED},
                 {"badowner", PDM_EDENIED}, {"root", PDM_OK}};
    for (size_t i = 0; i < PDM__ARRAY_LEN(cases); i++) {
        char extra[300], name[32];
        pdm_ctx *ctx;
        pdm_bootstrap_result r;
        size_t len;
        char *doc = cp_doc("srv-a", &len), *before;
        snprintf(name, sizeof name, "auth-%s", cases[i].mode);
        snprintf(extra, sizeof extra,
                 "[plugin fx-bootstrap]\n[plugin fx-authority]\noption.mode = %s\n", cases[i].mode);
        ctx = open_ctx(profile(name, extra), state(name));
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        /* the profile names no authority: the only one is active */
        before = export(ctx);
        CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL,
                               PDM_ORIGIN_FACTORY, &r), cases[i].rc);
        if (cases[i].rc != PDM_OK) {
            PDM_ASSERT_STR(r.component, "authority:fx-authority/auth");
            refused_cleanly(ctx, before, 0, "authority:fx-authority/auth");
            if (strcmp(cases[i].mode, "refuse") == 0) {
                /* the plugin's reason, whole, in the error and the row */
                static const char why[] =
                    "the authority refused the account for ServerID srv-a: "
                    "fixture refuses srv-a because this reason is long on "
                    "purpose, to see that the audit row keeps all of it "
                    "after the core's prefix: END";
                audit_scan row = audit(ctx);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, why));
                CU_ASSERT_PTR_NOT_NULL(strstr(pdm_ctx_last_error(ctx), why));
                CU_ASSERT_PTR_NOT_NULL(strstr(row.reason, why));
                PDM_ASSERT_STR(strstr(row.reason, "END"),
                               "END (origin factory via test, SEC NONE)");
            }
            /* no record of an account that never came */
            CU_ASSERT_PTR_NULL(pdm__tree_meta_get(ctx->tree, "account:srv-a"));
            CU_ASSERT_PTR_NULL(pdm_ctx_root_owner(ctx));
        } else {
            const char *acc = account_of(ctx, "srv-a");
            CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
            PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, acc)),
                           "Get=srv-a&Replace=srv-a");
            PDM_ASSERT_STR(pdm__node_acl(pdm__tree_root(ctx->tree)),
                           "Add=*&Get=*&Replace=srv-a");
            /* root ownership is its own fact; the root node stays the
             * factory's */
            PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
            PDM_ASSERT_STR(pdm__node_owner(pdm__tree_root(ctx->tree)),
                           "factory");
            PDM_ASSERT_STR(audit(ctx).component, "authority:fx-authority/auth");
            {
                uint32_t o = 99, sec = 99;
                const char *src = NULL;
                CU_ASSERT_EQUAL(pdm__authority_record(ctx, "srv-a", &o, &sec,
                                                      &src), PDM_OK);
                CU_ASSERT_EQUAL(o, PDM_ORIGIN_FACTORY);
                CU_ASSERT_EQUAL(sec, 0);
                PDM_ASSERT_STR(src, "fx-bootstrap/src");
            }
            {
                uint8_t *v = NULL;
                size_t n = 0;
                char info[300];
                CU_ASSERT_EQUAL(pdm__store_kv_get(ctx->store, "fx-authority",
                                                  "info", &v, &n), PDM_OK);
                snprintf(info, sizeof info, "%.*s", (int)n,
                         v ? (const char *)v : "");
                /* origin factory, no SEC, the final account URI */
                PDM_ASSERT_STR(info, "1 0 srv-a ./DMAcc/srv-a "
                                     "http://127.0.0.1:1/dm fx-bootstrap/src");
                pdm__free(v);
            }
        }
        pdm__free(before);
        pdm_ctx_close(ctx);
    }
    /* the root owner survives a reopen (it is in the store) */
    {
        pdm_ctx *ctx = open_ctx(profile("auth-root2", "[plugin fx-bootstrap]\n[plugin fx-authority]\n"
                                                      "option.mode = root\n"),
                                state("auth-root"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
        PDM_ASSERT_STR(pdm_ctx_root_owner(ctx), "srv-a");
        CU_ASSERT_EQUAL(pdm__authority_record(ctx, "srv-a", NULL, NULL, NULL),
                        PDM_OK);
        pdm_ctx_close(ctx);
    }
}

/* One client-initiated session with @sid that the server ends at once
 * (package 2 has only Statuses and Final, or @garbage).  Returns its
 * result. */
static int quick_session(pdm_ctx *ctx, const char *sid, bool garbage)
{
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_message m;
    int rc;
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = sid;
    so.session_id = "7";
    CU_ASSERT_EQUAL_FATAL(pdm_session_open(&s, ctx, &so), PDM_OK);
    while (pdm_session_next(s, &m) == PDM_OK && m.body) {
        char reply[1200];
        int n = snprintf(
            reply, sizeof reply,
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
            "<VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>1"
            "</MsgID><Target><LocURI>IMEI:493005100592800</LocURI></Target>"
            "<Source><LocURI>%s</LocURI></Source></SyncHdr><SyncBody>"
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>"
            "<Cmd>SyncHdr</Cmd><Data>212</Data></Status>"
            "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef>"
            "<Cmd>Alert</Cmd><Data>200</Data></Status><Final/></SyncBody>"
            "</SyncML>",
            m.url);
        if (garbage)
            n = snprintf(reply, sizeof reply, "<html>nope</html>");
        if (pdm_session_reply(s, (const uint8_t *)reply, (size_t)n,
                              "application/vnd.syncml.dm+xml", NULL) != PDM_OK)
            break;
    }
    rc = pdm_session_result(s);
    if (rc != PDM_OK && !garbage)
        printf("  session: %s\n", pdm_session_error(s));
    pdm_session_close(s);
    return rc;
}

/* Pending first sessions: kept across reopen, gone after the session or
 * with the account. */
static void test_bootstrap__pending(void)
{
    const char *prof = profile("pend", "[session]\nserver_auth = false\n[plugin fx-bootstrap]\n");
    const char *dir = state("pend");
    pdm_ctx *ctx = open_ctx(prof, dir);
    pdm_bootstrap_result r;
    pdm__decision d;
    const pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
    size_t len;
    char *doc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    /* no SRVCRED: the scripted server below does not authenticate */
    g_no_srvcred = true;
    doc = cp_doc("srv-a", &len);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL, PDM_ORIGIN_FACTORY,
                           &r), PDM_OK);
    doc = cp_doc("srv-b", &len);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL, PDM_ORIGIN_FACTORY,
                           &r), PDM_OK);
    g_no_srvcred = false;
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-a");
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 1), "srv-b");
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 2));
    pdm_ctx_close(ctx);

    ctx = open_ctx(prof, dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-a");
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 1), "srv-b");
    /* a failed session leaves it waiting; one that ends normally
     * removes it, for good */
    CU_ASSERT_NOT_EQUAL(quick_session(ctx, "srv-a", true), PDM_OK);
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-a");
    CU_ASSERT_EQUAL(quick_session(ctx, "srv-a", false), PDM_OK);
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-b");
    pdm_ctx_close(ctx);
    ctx = open_ctx(prof, dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "srv-b");
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 1));
    /* srv-b's account is deleted by the user */
    CU_ASSERT_EQUAL(pdm__tree_delete(ctx->tree, &local,
                                     account_of(ctx, "srv-b"), &d),
                    PDM_OK);
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
    pdm_ctx_close(ctx);

    ctx = open_ctx(prof, dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_PTR_NULL(pdm_ctx_bootstrap_pending(ctx, 0));
    pdm_ctx_close(ctx);
}

/* Scan: a source component's document and the factory file (once). */
static void test_bootstrap__scan(void)
{
    char extra[1200], file[600], kv[64];
    const char *dir = state("scan");
    size_t len, applied = 9, refused = 9;
    char *doc = cp_doc("srv-f", &len);
    pdm_ctx *ctx;
    FILE *f;
    snprintf(file, sizeof file, "%s/factory-bs.xml", pdm_test_tmpdir());
    f = fopen(file, "w");
    fwrite(doc, 1, len, f);
    fclose(f);
    snprintf(extra, sizeof extra,
             "[bootstrap]\nfactory_file = factory-bs.xml\n"
             "unsigned_origins = factory, smartcard\n"
             "[plugin fx-bootstrap]\noption.file = %s/card.wbxml\n"
             "option.content_type = " CP_WBXML "\n"
             "option.sec = 1\noption.mac = " W7_MAC "\n",
             pdm_test_tmpdir());
    {
        /* the card's document: Funambol's CP w7 (NETWPIN) */
        size_t n;
        uint8_t *b = pdm_test_read(W7, &n);
        char p[700];
        snprintf(p, sizeof p, "%s/card.wbxml", pdm_test_tmpdir());
        f = fopen(p, "wb");
        fwrite(b, 1, n, f);
        fclose(f);
        free(b);
    }
    ctx = open_ctx(profile("scan", extra), dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_scan(ctx, &applied, &refused), PDM_OK);
    CU_ASSERT_EQUAL(applied, 2);
    CU_ASSERT_EQUAL(refused, 0);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-f"));
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "funambol"));
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:" PDM__BS_SOURCE_FACTORY);
    {
        uint8_t *v = NULL;
        size_t n = 0;
        CU_ASSERT_EQUAL(pdm__store_kv_get(ctx->store, "fx-bootstrap",
                                          "outcome", &v, &n), PDM_OK);
        snprintf(kv, sizeof kv, "%.*s", (int)n, v ? (const char *)v : "");
        PDM_ASSERT_STR(kv, "0");
        pdm__free(v);
    }
    pdm_ctx_close(ctx);
    /* again: the factory file was applied; the fixture offers once per
     * process start of its instance (a new context: again, now refused
     * as the account exists) */
    ctx = open_ctx(profile("scan", extra), dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_scan(ctx, &applied, &refused),
                    PDM_EEXISTS);
    CU_ASSERT_EQUAL(applied, 0);
    CU_ASSERT_EQUAL(refused, 1);
    pdm_ctx_close(ctx);
    /* a changed factory file is offered again */
    doc = cp_doc("srv-g", &len);
    f = fopen(file, "w");
    fwrite(doc, 1, len, f);
    fclose(f);
    snprintf(extra, sizeof extra,
             "[bootstrap]\nfactory_file = factory-bs.xml\n"
             "[plugin fx-bootstrap]\n");
    ctx = open_ctx(profile("scan", extra), dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_scan(ctx, &applied, &refused), PDM_OK);
    CU_ASSERT_EQUAL(applied, 1);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-g"));
    pdm_ctx_close(ctx);
}

/* ---- source ids: accounts from a card that is gone ------------------------------ */

#define ICC_A "8944000000000000011"
#define ICC_B "8944000000000000029"

/* The BootstrapSourceGone rows: their count, and the last one (reason:
 * "<decision> <reason>"). */
static int op_cb(void *user, const pdm__audit_rec *a)
{
    audit_scan *s = user;
    if (strcmp(a->op, "BootstrapSourceGone") != 0)
        return 0;
    s->n++;
    snprintf(s->principal, sizeof s->principal, "%s", a->principal);
    snprintf(s->component, sizeof s->component, "%s", a->component);
    snprintf(s->reason, sizeof s->reason, "%s %s", a->decision, a->reason);
    snprintf(s->uri, sizeof s->uri, "%s", a->uri ? a->uri : "");
    return 0;
}

static audit_scan gone_rows(pdm_ctx *ctx)
{
    audit_scan s;
    memset(&s, 0, sizeof s);
    pdm__store_audit_query(ctx->store, 0, op_cb, &s);
    return s;
}

/* kv "core"/@key as a string, "(none)" when absent. */
static const char *core_kv(pdm_ctx *ctx, const char *key)
{
    static char out[1024];
    uint8_t *v = NULL;
    size_t n = 0;
    if (pdm__store_kv_get(ctx->store, "core", key, &v, &n) != PDM_OK)
        return "(none)";
    snprintf(out, sizeof out, "%.*s", (int)n, (const char *)v);
    pdm__free(v);
    return out;
}

static const char *g_card_tail = ""; /* profile text after the card's */

/* A context whose fx-bootstrap is a card: @sid's DM-profile document
 * offered with source id @icc when @sid is set; present_ids per
 * @present (NULL: the fixture's default, the card's own id). */
static pdm_ctx *card_ctx(const char *name, const char *sid, const char *icc,
                         const char *present, const char *extra)
{
    char p[1400], file[700];
    int n;
    if (sid) {
        size_t len;
        char *doc = dm_doc(sid, &len);
        FILE *f;
        snprintf(file, sizeof file, "%s/%s-%s.xml", pdm_test_tmpdir(), name,
                 sid);
        f = fopen(file, "w");
        if (!f)
            return NULL;
        fwrite(doc, 1, len, f);
        fclose(f);
    }
    n = snprintf(p, sizeof p,
                 "[session]\nserver_auth = false\n"
                 "[bootstrap]\nunsigned_origins = factory, smartcard, push\n"
                 "%s[plugin fx-bootstrap]\noption.content_type = " DM_XML "\n",
                 extra ? extra : "");
    if (sid)
        n += snprintf(p + n, sizeof p - (size_t)n, "option.file = %s\n", file);
    if (icc)
        n += snprintf(p + n, sizeof p - (size_t)n, "option.source_id = %s\n",
                      icc);
    if (present)
        n += snprintf(p + n, sizeof p - (size_t)n, "option.present = %s\n",
                      present);
    snprintf(p + n, sizeof p - (size_t)n, "%s", g_card_tail);
    return open_ctx(profile(name, p), state(name));
}

/* A TNDS export without <VerNo> and <TStamp> (in place). */
static char *unversioned(char *x)
{
    static const char *const tags[][2] = {{"<VerNo>", "</VerNo>"},
                                          {"<TStamp>", "</TStamp>"}};
    for (size_t t = 0; t < 2; t++) {
        char *p;
        while ((p = strstr(x, tags[t][0]))) {
            char *e = strstr(p, tags[t][1]);
            if (!e)
                break;
            e += strlen(tags[t][1]);
            memmove(p, e, strlen(e) + 1);
        }
    }
    return x;
}

static void scan_expect(pdm_ctx *ctx, int rc, size_t applied, size_t refused)
{
    size_t a = 9, r = 9;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_scan(ctx, &a, &r), rc);
    CU_ASSERT_EQUAL(a, applied);
    CU_ASSERT_EQUAL(r, refused);
}

/* Card present: account created and recorded; reopened, still there;
 * card gone (empty present_ids): account removed, its ServerID scrubbed
 * from other ACLs, its pending entry dropped, one audit row; the tree is
 * as before the card (but for the ACL the test added). */
static void test_bootstrap__source_removed(void)
{
    pdm_ctx *ctx = card_ctx("srcrm", NULL, NULL, NULL, NULL);
    char *before, *after, acc[256], want[512];
    audit_scan g;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm__tree_put(ctx->tree, "Vendor/Ext", PDM_FORMAT_CHR,
                                        0, NULL, "Get=other",
                                        (const uint8_t *)"x", 1, "factory"),
                          PDM_OK);
    before = unversioned(export(ctx));
    pdm_ctx_close(ctx);

    ctx = card_ctx("srcrm", "card-a", ICC_A, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(account_of(ctx, "card-a"));
    snprintf(acc, sizeof acc, "%s", account_of(ctx, "card-a"));
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-a\tfx-bootstrap/src\t" ICC_A "\n");
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-pending"), "B1\ncard-a\n");
    {
        char err[200];
        CU_ASSERT_EQUAL(pdm__tree_set_acl(ctx->tree, "Vendor/Ext",
                                          "Get=card-a+other&Replace=card-a",
                                          err, sizeof err),
                        PDM_OK);
    }
    pdm_ctx_close(ctx);

    /* reopened, the card still in: nothing happens */
    ctx = card_ctx("srcrm", NULL, ICC_A, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(account_of(ctx, "card-a"), acc);
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 0);
    pdm_ctx_close(ctx);

    /* the card is taken out */
    ctx = card_ctx("srcrm", NULL, ICC_A, "none", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_PTR_NULL(account_of(ctx, "card-a"));
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(ctx->tree, "./Vendor/Ext")),
                   "Get=other");
    /* as before the card, but for the versions and times of the nodes
     * that changed (./DMAcc, ./Vendor/Ext) */
    after = unversioned(export(ctx));
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    /* dropped by the removal itself, not by a later prune */
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-pending"), "(none)");
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"), "(none)");
    g = gone_rows(ctx);
    CU_ASSERT_EQUAL(g.n, 1);
    PDM_ASSERT_STR(g.principal, "bootstrap:fx-bootstrap/src");
    PDM_ASSERT_STR(g.component, "fx-bootstrap/src");
    PDM_ASSERT_STR(g.uri, acc);
    snprintf(want, sizeof want,
             "allow %s (ServerID card-a): source fx-bootstrap/src no longer "
             "has " ICC_A ": removed (ACLs of 1 node(s) scrubbed)",
             acc);
    PDM_ASSERT_STR(g.reason, want);
    /* once */
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 1);
    pdm_ctx_close(ctx);
    pdm__free(before);
}

/* bootstrap.removed_source = keep: kept, audited once. */
static void test_bootstrap__source_kept(void)
{
    pdm_ctx *ctx = card_ctx("srckeep", "card-k", ICC_A, NULL, NULL);
    char acc[256], want[512];
    audit_scan g;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(account_of(ctx, "card-k"));
    snprintf(acc, sizeof acc, "%s", account_of(ctx, "card-k"));
    pdm_ctx_close(ctx);
    ctx = card_ctx("srckeep", NULL, ICC_A, "none",
                   "removed_source = keep\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(account_of(ctx, "card-k"), acc);
    PDM_ASSERT_STR(pdm_ctx_bootstrap_pending(ctx, 0), "card-k");
    g = gone_rows(ctx);
    CU_ASSERT_EQUAL(g.n, 1);
    snprintf(want, sizeof want,
             "allow %s (ServerID card-k): source fx-bootstrap/src no longer "
             "has " ICC_A ": kept (bootstrap.removed_source)",
             acc);
    PDM_ASSERT_STR(g.reason, want);
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"), "(none)");
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 1);
    pdm_ctx_close(ctx);
    /* kept is kept: the default mode later does not remove it either */
    ctx = card_ctx("srckeep", NULL, ICC_A, "none", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(account_of(ctx, "card-k"), acc);
    pdm_ctx_close(ctx);
}

/* Another card in the reader: the old card's account goes, the new
 * card's comes, in one scan. */
static void test_bootstrap__source_swapped(void)
{
    pdm_ctx *ctx = card_ctx("srcswap", "card-a", ICC_A, NULL, NULL);
    audit_scan g;
    char acc[256], want[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    snprintf(acc, sizeof acc, "%s", account_of(ctx, "card-a"));
    pdm_ctx_close(ctx);
    ctx = card_ctx("srcswap", "card-b", ICC_B, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NULL(account_of(ctx, "card-a"));
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "card-b"));
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-b\tfx-bootstrap/src\t" ICC_B "\n");
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-pending"), "B1\ncard-b\n");
    g = gone_rows(ctx);
    CU_ASSERT_EQUAL(g.n, 1);
    snprintf(want, sizeof want,
             "allow %s (ServerID card-a): source fx-bootstrap/src no longer "
             "has " ICC_A ": removed (ACLs of 0 node(s) scrubbed)",
             acc);
    PDM_ASSERT_STR(g.reason, want);
    pdm_ctx_close(ctx);
}

/* present_ids failing removes nothing (a reader error must not wipe
 * accounts); the record stays for a later scan. */
static void test_bootstrap__source_present_fails(void)
{
    pdm_ctx *ctx = card_ctx("srcfail", "card-a", ICC_A, NULL, NULL);
    char *before, *after;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    before = export(ctx);
    pdm_ctx_close(ctx);
    ctx = card_ctx("srcfail", NULL, ICC_A, "fail", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 0);
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-a\tfx-bootstrap/src\t" ICC_A "\n");
    pdm_ctx_close(ctx);
    /* other ids present, not this one: it goes */
    ctx = card_ctx("srcfail", NULL, ICC_A, ICC_B ",x", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_PTR_NULL(account_of(ctx, "card-a"));
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 1);
    pdm_ctx_close(ctx);
    pdm__free(before);
}

/* A policy that refuses the account's deletion: a "deny" row, nothing
 * changed, the record kept for the next scan. */
static void test_bootstrap__source_removal_denied(void)
{
    pdm_ctx *ctx = card_ctx("srcdeny", "card-a", ICC_A, NULL, NULL);
    char *before, *after, acc[256];
    audit_scan g;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    snprintf(acc, sizeof acc, "%s", account_of(ctx, "card-a"));
    before = export(ctx);
    pdm_ctx_close(ctx);
    g_card_tail = "[plugin fx-policy]\noption.mode = decision\n"
                  "option.decision = 2\noption.prefix = ./DMAcc\n";
    ctx = card_ctx("srcdeny", NULL, ICC_A, "none", NULL);
    g_card_tail = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    g = gone_rows(ctx);
    CU_ASSERT_EQUAL(g.n, 1);
    PDM_ASSERT_STR(g.component, "policy:fx-policy/check");
    PDM_ASSERT_STR(g.uri, acc);
    {
        char want[512];
        snprintf(want, sizeof want,
                 "deny %s (ServerID card-a): source fx-bootstrap/src no "
                 "longer has " ICC_A ": not removed: denied by policy",
                 acc);
        PDM_ASSERT_STR(g.reason, want);
    }
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-a\tfx-bootstrap/src\t" ICC_A "\n");
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-pending"), "B1\ncard-a\n");
    pdm_ctx_close(ctx);
    /* the tree is as it was (exported without the policy, which would
     * hide ./DMAcc); without the policy the next scan removes it */
    ctx = card_ctx("srcdeny", NULL, ICC_A, "none", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_PTR_NULL(account_of(ctx, "card-a"));
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 2);
    pdm_ctx_close(ctx);
    pdm__free(before);
}

/* The last bootstrap of a ServerID decides: bootstrapped again from a
 * push, the account no longer goes with the card. */
static void test_bootstrap__source_rebootstrapped(void)
{
    pdm_ctx *ctx = card_ctx("srcpush", "card-a", ICC_A, NULL,
                            "replace_existing = true\n");
    pdm_bootstrap_result r;
    size_t len;
    char *doc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    doc = dm_doc("card-a", &len);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 0, NULL, PDM_ORIGIN_PUSH,
                           &r), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.summary, "(replaced)"));
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"), "(none)");
    pdm_ctx_close(ctx);
    ctx = card_ctx("srcpush", NULL, ICC_A, "none", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "card-a"));
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 0);
    pdm_ctx_close(ctx);
}

/* Stored records that do not parse are dropped (logged), the rest kept;
 * a record whose account is gone is dropped silently; only the
 * recording component's accounts are touched; a bad source_id is
 * refused with its audit row. */
static void test_bootstrap__source_records(void)
{
    static const char saved[] =
        "S1\nno tabs here\ncard-x\tfx-bootstrap/src\t" ICC_A "\n"
        "card-y\tother/comp\t" ICC_A "\n\tfx-bootstrap/src\tz\n";
    pdm_ctx *ctx = card_ctx("srcrec", NULL, NULL, "none", NULL);
    char longid[200];
    size_t rows;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-sources",
                                      (const uint8_t *)saved,
                                      sizeof saved - 1),
                    PDM_OK);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-y\tother/comp\t" ICC_A "\n");
    CU_ASSERT_EQUAL(gone_rows(ctx).n, 0);
    CU_ASSERT_EQUAL(pdm__store_kv_put(ctx->store, "core", "bootstrap-sources",
                                      (const uint8_t *)"S9\n", 3),
                    PDM_OK);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"), "(none)");
    pdm_ctx_close(ctx);

    memset(longid, '7', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    ctx = card_ctx("srcrec", "card-l", longid, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_EINVAL, 0, 1);
    CU_ASSERT_PTR_NULL(account_of(ctx, "card-l"));
    CU_ASSERT_EQUAL(audit(ctx).n, rows + 1);
    PDM_ASSERT_STR(audit(ctx).reason,
                   "refused (invalid argument or value): the source's source_id is "
                   "not one line of text of 1 to 127 bytes without a tab "
                   "(origin smartcard, SEC NONE)");
    pdm_ctx_close(ctx);
}

/* ---- ABI 1.2: ask_pin, bootstrap.disabled_origins, watch ------------------------ */

/* kv @plugin/@key as a string, "(none)" when absent. */
static const char *plugin_kv(pdm_ctx *ctx, const char *plugin,
                             const char *key)
{
    static char out[2][512];
    static int next;
    char *o = out[next++ % 2];
    uint8_t *v = NULL;
    size_t n = 0;
    if (pdm__store_kv_get(ctx->store, plugin, key, &v, &n) != PDM_OK)
        return "(none)";
    snprintf(o, sizeof out[0], "%.*s", (int)n, (const char *)v);
    pdm__free(v);
    return o;
}

static const char *fx_kv(pdm_ctx *ctx, const char *key)
{
    return plugin_kv(ctx, "fx-bootstrap", key);
}

/* The rows of audit op @op: their count, and the last one. */
typedef struct op_rows_scan {
    const char *op;
    audit_scan s;
} op_rows_scan;

static int op_rows_cb(void *user, const pdm__audit_rec *a)
{
    op_rows_scan *o = user;
    if (strcmp(a->op, o->op) != 0)
        return 0;
    o->s.n++;
    snprintf(o->s.principal, sizeof o->s.principal, "%s", a->principal);
    snprintf(o->s.decision, sizeof o->s.decision, "%s", a->decision);
    snprintf(o->s.component, sizeof o->s.component, "%s", a->component);
    snprintf(o->s.reason, sizeof o->s.reason, "%s", a->reason);
    snprintf(o->s.uri, sizeof o->s.uri, "%s", a->uri ? a->uri : "");
    return 0;
}

static audit_scan rows_of(pdm_ctx *ctx, const char *op)
{
    op_rows_scan o;
    memset(&o, 0, sizeof o);
    o.op = op;
    pdm__store_audit_query(ctx->store, 0, op_rows_cb, &o);
    return o.s;
}

/* @sid's DM-profile document in a file of its own; the path. */
static const char *doc_file(const char *name, const char *sid)
{
    static char path[2][700];
    static int next;
    char *p = path[next++ % 2];
    size_t len;
    char *doc = dm_doc(sid, &len);
    FILE *f;
    snprintf(p, sizeof path[0], "%s/%s-%s.xml", pdm_test_tmpdir(), name, sid);
    f = fopen(p, "w");
    if (!f)
        return "";
    fwrite(doc, 1, len, f);
    fclose(f);
    return p;
}

static pdm_ctx *ctx_with(const char *name, const char *fmt, ...)
    PDM_PRINTF(2, 3);
static pdm_ctx *ctx_with(const char *name, const char *fmt, ...)
{
    char p[2000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    return open_ctx(profile(name, p), state(name));
}

static void capture(bool on)
{
    g_capture = on;
    g_log[0] = '\0';
    g_log_level = on ? PDM_LOG_DEBUG : PDM_LOG_ERROR;
}

/* A plugin's own PIN through the device's pin hook: asked from a
 * component method (fx-bootstrap's probe) with sec NONE, the plugin's
 * name and its tries; answered, cancelled, answered empty; without a
 * pin hook (one the integrator's hooks struct is too small to hold),
 * with a bad text, and from init/create/destroy/fini PDM_ENOTSUP or
 * PDM_EINVAL without the user being asked.  A document's PIN question
 * names no plugin and no tries. */
static void test_bootstrap__ask_pin(void)
{
    static const char pinprof[] =
        "[plugin fx-bootstrap]\noption.pin_text = %s\noption.pin_tries = 2\n";
    pdm_device_hooks small = hooks;
    pdm_bootstrap_result r;
    char want[64], longtext[202];
    size_t len;
    const char *doc;
    pdm_ctx *ctx;
    reset_hooks();
    memset(&g_rq, 0, sizeof g_rq);

    g_pin = "4711";
    ctx = ctx_with("askpin", pinprof, "Enter the SIM PIN");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), "0|4711");
    CU_ASSERT_EQUAL(g_pin_asks, 1);
    CU_ASSERT_EQUAL(g_rq.sec, PDM_SEC_NONE);
    CU_ASSERT_EQUAL(g_rq.origin, PDM_ORIGIN_UNKNOWN);
    CU_ASSERT_EQUAL(g_rq.tries, 2);
    PDM_ASSERT_STR(g_rq.plugin, "fx-bootstrap");
    PDM_ASSERT_STR(g_rq.text, "Enter the SIM PIN");
    /* the user declines; an empty answer is no answer either */
    snprintf(want, sizeof want, "%d|", PDM_ECANCELLED);
    g_pin = NULL;
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), want);
    g_pin = "";
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), want);
    CU_ASSERT_EQUAL(g_pin_asks, 3);
    /* a document's PIN: no plugin, tries unknown */
    g_pin = "1234";
    doc = dm_doc("srv-pin", &len);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, PDM_SEC_USERPIN,
                           "00112233445566778899AABBCCDDEEFF00112233",
                           PDM_ORIGIN_PUSH, &r),
                    PDM_EAUTH);
    CU_ASSERT_EQUAL(g_pin_asks, 4);
    CU_ASSERT_EQUAL(g_rq.sec, PDM_SEC_USERPIN);
    PDM_ASSERT_STR(g_rq.plugin, "(null)");
    CU_ASSERT_EQUAL(g_rq.tries, -1);
    pdm_ctx_close(ctx);

    /* no pin hook: the integrator's struct ends before it */
    g_pin = "4711";
    small.struct_size = offsetof(pdm_device_hooks, pin);
    g_hooks = &small;
    ctx = ctx_with("askpin-nohook", pinprof, "Enter the SIM PIN");
    g_hooks = &hooks;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    snprintf(want, sizeof want, "%d|", PDM_ENOTSUP);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), want);
    pdm_ctx_close(ctx);
    CU_ASSERT_EQUAL(g_pin_asks, 4);

    /* a bad text: NULL, 201 bytes */
    snprintf(want, sizeof want, "%d|", PDM_EINVAL);
    ctx = ctx_with("askpin-bad", pinprof, "NULL");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), want);
    pdm_ctx_close(ctx);
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    ctx = ctx_with("askpin-bad", pinprof, longtext);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "pin"), want);
    pdm_ctx_close(ctx);
    CU_ASSERT_EQUAL(g_pin_asks, 4);

    /* not while the context starts or stops */
    snprintf(want, sizeof want, "%d", PDM_ENOTSUP);
    {
        static const char *const where[] = {"init", "create", "destroy",
                                            "fini"};
        for (size_t i = 0; i < 4; i++) {
            char key[32];
            snprintf(key, sizeof key, "pin-%s", where[i]);
            ctx = ctx_with("askpin-life", "[plugin fx-bootstrap]\n"
                                          "option.pin_in = %s\n",
                           where[i]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
            pdm_ctx_close(ctx); /* destroy, fini */
            ctx = ctx_with("askpin-life", "[plugin fx-bootstrap]\n");
            CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
            PDM_ASSERT_STR(fx_kv(ctx, key), want);
            pdm__store_kv_del(ctx->store, "fx-bootstrap", key);
            pdm_ctx_close(ctx);
        }
    }
    CU_ASSERT_EQUAL(g_pin_asks, 4);
    reset_hooks();
}

/* host->root_owner (ABI 1.3) from a component method (fx-bootstrap's
 * probe): nobody (PDM_ENOTFOUND, ""), the stored fact once set and at
 * once after it changes (no copy in the plugin), PDM_ENOSPC for a buffer
 * one byte short ("" then, never a cut ServerID), PDM_EINVAL for a NULL
 * buffer; PDM_ENOTSUP from init/create/destroy/fini (no tree). */
static void test_bootstrap__root_owner(void)
{
    static const char ownprof[] =
        "[plugin fx-bootstrap]\noption.owner_size = %d\n";
    char want[64];
    pdm_ctx *ctx;

    ctx = ctx_with("rootowner", ownprof, 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    snprintf(want, sizeof want, "%d|", PDM_ENOTFOUND);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), want);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, "srv-a"), PDM_OK);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), "0|srv-a");
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, "srv-b"), PDM_OK);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), "0|srv-b");
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, NULL), PDM_OK);
    scan_expect(ctx, PDM_OK, 0, 0);
    snprintf(want, sizeof want, "%d|", PDM_ENOTFOUND);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), want);
    CU_ASSERT_EQUAL(pdm__tree_set_root_owner(ctx->tree, "srv-a"), PDM_OK);
    pdm_ctx_close(ctx);

    /* "srv-a" needs 6 bytes: 5 is too small, 6 fits; kept across a
     * restart (the fact is stored) */
    ctx = ctx_with("rootowner", ownprof, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    snprintf(want, sizeof want, "%d|", PDM_ENOSPC);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), want);
    pdm_ctx_close(ctx);
    ctx = ctx_with("rootowner", ownprof, 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), "0|srv-a");
    pdm_ctx_close(ctx);
    ctx = ctx_with("rootowner", ownprof, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    snprintf(want, sizeof want, "%d|", PDM_EINVAL);
    PDM_ASSERT_STR(fx_kv(ctx, "owner"), want);
    pdm_ctx_close(ctx);

    /* not while the context starts or stops */
    snprintf(want, sizeof want, "%d", PDM_ENOTSUP);
    {
        static const char *const where[] = {"init", "create", "destroy",
                                            "fini"};
        for (size_t i = 0; i < 4; i++) {
            char key[32];
            snprintf(key, sizeof key, "owner-%s", where[i]);
            ctx = ctx_with("rootowner", "[plugin fx-bootstrap]\n"
                                        "option.pin_in = %s\n",
                           where[i]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
            pdm_ctx_close(ctx); /* destroy, fini */
            ctx = ctx_with("rootowner", "[plugin fx-bootstrap]\n");
            CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
            PDM_ASSERT_STR(fx_kv(ctx, key), want);
            pdm__store_kv_del(ctx->store, "fx-bootstrap", key);
            pdm_ctx_close(ctx);
        }
    }
}

/* bootstrap.disabled_origins = smartcard and a source that declares
 * smartcard: over two scans and a watch it is never probed, read, asked
 * for present ids or a watch fd (its account from before stays), one
 * BootstrapSourceDisabled row and one log line per context; the tree
 * is unchanged. */
static void test_bootstrap__disabled_source(void)
{
    static const char base[] =
        "[session]\nserver_auth = false\n[bootstrap]\n"
        "unsigned_origins = factory, smartcard\n%s"
        "[plugin fx-bootstrap]\noption.content_type = " DM_XML "\n"
        "option.source_id = " ICC_A "\noption.declare = 2\n"
        "option.watch = pipe\noption.file = ";
    char fmt[1200], *before, *after;
    const char *file = doc_file("dissrc", "card-d");
    size_t n = 9, rows;
    int fd = -1;
    audit_scan g;
    pdm_ctx *ctx;

    snprintf(fmt, sizeof fmt, base, "");
    snprintf(fmt + strlen(fmt), sizeof fmt - strlen(fmt), "%s\n", file);
    ctx = ctx_with("dissrc", "%s", fmt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "card-d"));
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "probe 2 read 1 present 0 watch 0");
    pdm_ctx_close(ctx);

    snprintf(fmt, sizeof fmt, base, "disabled_origins = smartcard\n");
    snprintf(fmt + strlen(fmt), sizeof fmt - strlen(fmt), "%s\n", file);
    capture(true);
    ctx = ctx_with("dissrc", "%s", fmt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    pdm__store_kv_del(ctx->store, "fx-bootstrap", "calls");
    before = export(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_OK, 0, 0);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, &fd, 1, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(fd, -1);
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "(none)");
    /* present_ids was not asked: the card's record and account stay */
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-sources"),
                   "S1\ncard-d\tfx-bootstrap/src\t" ICC_A "\n");
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "card-d"));
    g = rows_of(ctx, "BootstrapSourceDisabled");
    CU_ASSERT_EQUAL(g.n, 1);
    PDM_ASSERT_STR(g.principal, "bootstrap:fx-bootstrap/src");
    PDM_ASSERT_STR(g.decision, "deny");
    PDM_ASSERT_STR(g.component, "fx-bootstrap/src");
    PDM_ASSERT_STR(g.uri, "");
    PDM_ASSERT_STR(g.reason, "source fx-bootstrap/src (origin smartcard) not "
                             "used: bootstrap.disabled_origins disables "
                             "smartcard");
    CU_ASSERT_EQUAL(log_count("[bootstrap] source fx-bootstrap/src (origin "
                              "smartcard) not used: "
                              "bootstrap.disabled_origins disables "
                              "smartcard\n"),
                    1);
    CU_ASSERT_EQUAL(audit(ctx).n, rows); /* no Bootstrap row */
    after = export(ctx);
    PDM_ASSERT_STR(after, before);
    pdm__free(after);
    pdm__free(before);
    pdm_ctx_close(ctx);
    /* once per context: a new one writes its own */
    ctx = ctx_with("dissrc", "%s", fmt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(rows_of(ctx, "BootstrapSourceDisabled").n, 2);
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "(none)");
    pdm_ctx_close(ctx);
    capture(false);
}

/* A push document when push is disabled: PDM_EDENIED, audited, the tree
 * as it was; other origins still work. */
static void test_bootstrap__disabled_push(void)
{
    pdm_ctx *ctx = ctx_with("dispush",
                            "[session]\nserver_auth = false\n[bootstrap]\n"
                            "unsigned_origins = push, file\n"
                            "disabled_origins = push, user\n");
    pdm_bootstrap_result r;
    char *before;
    size_t len, rows;
    const char *doc = dm_doc("srv-p", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    rows = audit(ctx).n;
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 0, NULL, PDM_ORIGIN_PUSH,
                           &r), PDM_EDENIED);
    PDM_ASSERT_STR(r.summary,
                   "origin push is disabled (bootstrap.disabled_origins)");
    PDM_ASSERT_STR(r.component, "core");
    CU_ASSERT(r.flags & PDM_BOOTSTRAP_RESULT_AUDITED);
    refused_cleanly(ctx, before, rows, "core");
    PDM_ASSERT_STR(audit(ctx).reason,
                   "refused (permission denied): origin push is disabled "
                   "(bootstrap.disabled_origins) (origin push via test, SEC "
                   "NONE)");
    CU_ASSERT_PTR_NULL(account_of(ctx, "srv-p"));
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 0, NULL, PDM_ORIGIN_USER,
                           &r), PDM_EDENIED);
    CU_ASSERT_EQUAL(submit(ctx, doc, len, DM_XML, 0, NULL, PDM_ORIGIN_FILE,
                           &r), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-p"));
    pdm_ctx_close(ctx);
    pdm__free(before);
}

/* factory disabled: the factory file is refused (audited) once per
 * context and not marked applied, so enabling factory applies it. */
static void test_bootstrap__disabled_factory(void)
{
    static const char fmt[] = "[session]\nserver_auth = false\n"
                              "[bootstrap]\nfactory_file = disfac-srv-fd.xml\n"
                              "%s";
    pdm_ctx *ctx;
    char *before;
    size_t rows;
    doc_file("disfac", "srv-fd");
    ctx = ctx_with("disfac", fmt, "disabled_origins = factory\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_EDENIED, 0, 1);
    refused_cleanly(ctx, before, rows, "core");
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:" PDM__BS_SOURCE_FACTORY);
    CU_ASSERT_PTR_NOT_NULL(strstr(audit(ctx).reason,
                                  "origin factory is disabled "
                                  "(bootstrap.disabled_origins)"));
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(audit(ctx).n, rows + 1);
    PDM_ASSERT_STR(core_kv(ctx, "bootstrap-factory-sha256"), "(none)");
    pdm_ctx_close(ctx);
    pdm__free(before);
    ctx = ctx_with("disfac", fmt, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-fd"));
    pdm_ctx_close(ctx);
}

/* cp-bootstrap declares FILE for option.file: with file disabled its
 * file is never read (nothing applied, one BootstrapSourceDisabled row),
 * while its accepts() still takes a pushed CP document. */
static void test_bootstrap__disabled_cp_file(void)
{
    char file[700];
    size_t len, rows;
    char *doc = cp_doc("srv-cpf", &len);
    pdm_bootstrap_result r;
    audit_scan g;
    pdm_ctx *ctx;
    FILE *f;
#ifndef PDM_HAVE_CP_BOOTSTRAP
    printf("  (cp-bootstrap not built: skipped) ");
    return;
#endif
    snprintf(file, sizeof file, "%s/discp.xml", pdm_test_tmpdir());
    f = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(doc, 1, len, f);
    fclose(f);
    ctx = ctx_with("discp",
                   "[bootstrap]\nunsigned_origins = file, push\n"
                   "disabled_origins = file\n[plugin cp-bootstrap]\n"
                   "option.file = %s\n",
                   file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_OK, 0, 0);
    CU_ASSERT_EQUAL(audit(ctx).n, rows);
    CU_ASSERT_PTR_NULL(account_of(ctx, "srv-cpf"));
    g = rows_of(ctx, "BootstrapSourceDisabled");
    CU_ASSERT_EQUAL(g.n, 1);
    PDM_ASSERT_STR(g.component, "cp-bootstrap/cp");
    PDM_ASSERT_STR(g.reason, "source cp-bootstrap/cp (origin file) not used: "
                             "bootstrap.disabled_origins disables file");
    CU_ASSERT_EQUAL(submit(ctx, doc, len, CP_XML, 0, NULL, PDM_ORIGIN_PUSH,
                           &r), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-cpf"));
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:cp-bootstrap/cp");
    pdm_ctx_close(ctx);
}

/* A document whose origin is not the one its source declared: refused
 * (fail closed), audited, the tree as it was. */
static void test_bootstrap__origin_mismatch(void)
{
    pdm_ctx *ctx = ctx_with(
        "mism",
        "[session]\nserver_auth = false\n[bootstrap]\n"
        "unsigned_origins = factory, smartcard\n[plugin fx-bootstrap]\n"
        "option.content_type = " DM_XML "\noption.declare = 2\n"
        "option.origin = 1\noption.file = %s\n",
        doc_file("mism", "srv-m"));
    char *before, want[16];
    size_t rows;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_EDENIED, 0, 1);
    refused_cleanly(ctx, before, rows, "core");
    PDM_ASSERT_STR(audit(ctx).principal, "bootstrap:fx-bootstrap/src");
    PDM_ASSERT_STR(audit(ctx).reason,
                   "refused (permission denied): the source declares origin "
                   "smartcard (origin()) but its document says factory "
                   "(origin factory, SEC NONE)");
    snprintf(want, sizeof want, "%d", PDM_EDENIED);
    PDM_ASSERT_STR(fx_kv(ctx, "outcome"), want);
    CU_ASSERT_PTR_NULL(account_of(ctx, "srv-m"));
    pdm_ctx_close(ctx);
    pdm__free(before);
}

/* A source without origin() (an ABI 1.1 vtable; its origin and watch_fd
 * lie beyond its struct_size) is read, and its document refused when its
 * origin is disabled; no BootstrapSourceDisabled row; not asked for a
 * watch fd.  Enabled, it applies its document as before. */
static void test_bootstrap__disabled_undeclared(void)
{
    static const char fmt[] =
        "[session]\nserver_auth = false\n[bootstrap]\n"
        "unsigned_origins = factory, smartcard\n%s"
        "[plugin fx-bootstrap-old]\noption.content_type = " DM_XML "\n"
        "option.declare = 2\noption.watch = pipe\n"
        "option.file = ";
    char p[1200];
    const char *file = doc_file("disold", "srv-o");
    size_t n = 9, rows;
    char *before;
    pdm_ctx *ctx;
    snprintf(p, sizeof p, fmt, "disabled_origins = smartcard\n");
    snprintf(p + strlen(p), sizeof p - strlen(p), "%s\n", file);
    ctx = ctx_with("disold", "%s", p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    before = export(ctx);
    rows = audit(ctx).n;
    scan_expect(ctx, PDM_EDENIED, 0, 1);
    refused_cleanly(ctx, before, rows, "core");
    PDM_ASSERT_STR(audit(ctx).reason,
                   "refused (permission denied): origin smartcard is "
                   "disabled (bootstrap.disabled_origins) (origin smartcard, "
                   "SEC NONE)");
    CU_ASSERT_EQUAL(rows_of(ctx, "BootstrapSourceDisabled").n, 0);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, NULL, 0, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    PDM_ASSERT_STR(plugin_kv(ctx, "fx-bootstrap-old", "calls"),
                   "probe 2 read 1 present 0 watch 0");
    pdm_ctx_close(ctx);
    pdm__free(before);

    snprintf(p, sizeof p, fmt, "");
    snprintf(p + strlen(p), sizeof p - strlen(p), "%s\n", file);
    ctx = ctx_with("disold", "%s", p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    scan_expect(ctx, PDM_OK, 1, 0);
    CU_ASSERT_PTR_NOT_NULL(account_of(ctx, "srv-o"));
    pdm_ctx_close(ctx);
}

/* pdm_ctx_bootstrap_watch: arguments; a source's fd, asked once and
 * returned again; a failing watch logged once and left out; PDM_ENOTSUP
 * left out silently; an ABI 1.1 source next to it not asked; a context
 * whose plugins do not run: PDM_EDENIED. */
static void test_bootstrap__watch(void)
{
    int fds[4] = {-1, -1, -1, -1};
    size_t n = 9;
    struct pollfd pfd;
    pdm_ctx *ctx = ctx_with("watch",
                            "[plugin fx-bootstrap]\noption.watch = pipe\n"
                            "[plugin fx-bootstrap-old]\noption.watch = pipe\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(NULL, fds, 4, &n), PDM_EINVAL);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, NULL), PDM_EINVAL);
    n = 9;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, NULL, 1, &n), PDM_EINVAL);
    CU_ASSERT_EQUAL(n, 0);
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "(none)");
    /* counting only (cap 0) asks already */
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, NULL, 0, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_FATAL(fds[0] >= 0);
    CU_ASSERT_EQUAL(fds[1], -1);
    pfd.fd = fds[0];
    pfd.events = POLLIN;
    pfd.revents = 0;
    CU_ASSERT_EQUAL(poll(&pfd, 1, 0), 1);
    CU_ASSERT(pfd.revents & POLLIN);
    {
        int again = -1;
        CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, &again, 1, &n), PDM_OK);
        CU_ASSERT_EQUAL(again, fds[0]);
    }
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "probe 0 read 0 present 0 watch 1");
    PDM_ASSERT_STR(plugin_kv(ctx, "fx-bootstrap-old", "calls"), "(none)");
    pdm_ctx_close(ctx);

    /* a watch that fails: one WARN line with the plugin's error text */
    capture(true);
    ctx = ctx_with("watch-fail", "[plugin fx-bootstrap]\noption.watch = fail\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    {
        char line[300];
        snprintf(line, sizeof line,
                 "%d [bootstrap] source fx-bootstrap/src: watch_fd failed "
                 "(I/O or store error): no reader daemon (test): its changes "
                 "are found only by scans\n",
                 PDM_LOG_WARN);
        CU_ASSERT_EQUAL(log_count(line), 1);
    }
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "probe 0 read 0 present 0 watch 1");
    /* scans still work */
    scan_expect(ctx, PDM_OK, 0, 0);
    pdm_ctx_close(ctx);

    /* nothing to watch: left out, not logged */
    g_log[0] = '\0';
    ctx = ctx_with("watch-none", "[plugin fx-bootstrap]\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(log_count("watch_fd"), 0);
    PDM_ASSERT_STR(fx_kv(ctx, "calls"), "probe 0 read 0 present 0 watch 1");
    pdm_ctx_close(ctx);
    capture(false);

    /* an inspection context */
    g_ctx_flags = PDM_CTX_NO_PLUGINS;
    ctx = ctx_with("watch-insp", "[plugin fx-bootstrap]\noption.watch = pipe\n");
    g_ctx_flags = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    n = 9;
    CU_ASSERT_EQUAL(pdm_ctx_bootstrap_watch(ctx, fds, 4, &n), PDM_EDENIED);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm_ctx_last_error(ctx), "PDM_CTX_NO_PLUGINS"));
    pdm_ctx_close(ctx);
}

static void test_bootstrap__sniff(void)
{
    size_t len;
    uint8_t *b = pdm_test_read(W7, &len);
    PDM_ASSERT_STR(pdm__bs_sniff(b, len), CP_WBXML);
    free(b);
    b = pdm_test_read(DMPROF, &len);
    PDM_ASSERT_STR(pdm__bs_sniff(b, len), DM_WBXML);
    free(b);
    PDM_ASSERT_STR(pdm__bs_sniff((const uint8_t *)"<?xml version=\"1.0\"?>\n"
                                 "<wap-provisioningdoc version=\"1.1\">", 57),
                   CP_XML);
    PDM_ASSERT_STR(pdm__bs_sniff((const uint8_t *)"<SyncML xmlns=\"x\">", 18),
                   DM_XML);
    CU_ASSERT_PTR_NULL(pdm__bs_sniff((const uint8_t *)"<html>", 6));
    CU_ASSERT_PTR_NULL(pdm__bs_sniff((const uint8_t *)"\x03\x01", 2));
}

static const pdm_test tests[] = {
    {"arguments", test_bootstrap__arguments},
    {"sec_refusals", test_bootstrap__sec_refusals},
    {"sec_no_pin_no_imsi", test_bootstrap__sec_no_pin_no_imsi},
    {"cp_source_and_key_order", test_bootstrap__cp_source_and_key_order},
    {"sec_accepted", test_bootstrap__sec_accepted},
    {"known_answers", test_bootstrap__known_answers},
    {"funambol_cp_netwpin", test_bootstrap__funambol_cp_netwpin},
    {"funambol_dm_profile_factory",
     test_bootstrap__funambol_dm_profile_factory},
    {"existing_server_id", test_bootstrap__existing_server_id},
    {"caller_audits_forgeries", test_bootstrap__caller_audits_forgeries},
    {"policy_deny", test_bootstrap__policy_deny},
    {"authority", test_bootstrap__authority},
    {"pending", test_bootstrap__pending},
    {"scan", test_bootstrap__scan},
    {"source_removed", test_bootstrap__source_removed},
    {"source_kept", test_bootstrap__source_kept},
    {"source_swapped", test_bootstrap__source_swapped},
    {"source_present_fails", test_bootstrap__source_present_fails},
    {"source_rebootstrapped", test_bootstrap__source_rebootstrapped},
    {"source_removal_denied", test_bootstrap__source_removal_denied},
    {"source_records", test_bootstrap__source_records},
    {"ask_pin", test_bootstrap__ask_pin},
    {"root_owner", test_bootstrap__root_owner},
    {"disabled_source", test_bootstrap__disabled_source},
    {"disabled_push", test_bootstrap__disabled_push},
    {"disabled_factory", test_bootstrap__disabled_factory},
    {"disabled_cp_file", test_bootstrap__disabled_cp_file},
    {"origin_mismatch", test_bootstrap__origin_mismatch},
    {"disabled_undeclared", test_bootstrap__disabled_undeclared},
    {"watch", test_bootstrap__watch},
    {"sniff", test_bootstrap__sniff},
    {NULL, NULL}};

static const pdm_suite suites[] = {{"engine_bootstrap", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
