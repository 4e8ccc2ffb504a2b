/*
 * The integrator's intake, storage, audit rows and log, and the session
 * calls a transport needs (polydm.h, "the integrator's intake, storage,
 * audit rows and log"; pdm_session_get_info, pdm_session_decline,
 * pdm_session_transport_error/_retried), through the public API alone:
 * what the reference agent (core/cli/agent.c, net.c) relies on.
 * WAP pushes are built byte by byte (WAP-230-WSP §8.2.4.1), package 0s
 * and DM messages come from tests/data/transcripts and vectors.  Bad
 * input (truncated PDUs, bad keys, texts with control characters), the
 * bounds (key length, value size, key count, text lengths), reserved
 * names, a read-only context, a context without a store, and secrets
 * (kv values never in the log or the audit log).
 */
#include "cu_main.h"
#include "engine_files.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/polydm.h>

#include "store/store.h" /* only to seed an older version's data */

static const char *profile(const char *name, const char *extra)
{
    return fx_profile(name,
                      "[profile]\nid = integrator-test\nfactory_tree = %s/"
                      "tests/data/factory-test.tnds.xml\n[device]\ndevid = "
                      "IMEI:1\n%s",
                      PDM_SOURCE_DIR, extra ? extra : "");
}

/* Every log line of the test's contexts, to look for values that must
 * never appear. */
static char logged[65536];
static size_t nlogged;

static void log_fn(void *user, int level, const char *component,
                   const char *msg)
{
    int n;
    (void)user;
    (void)level;
    n = snprintf(logged + nlogged, sizeof logged - nlogged, "[%s] %s\n",
                 component, msg);
    if (n > 0 && (size_t)n < sizeof logged - nlogged)
        nlogged += (size_t)n;
}

static pdm_ctx *open_ctx(const char *name, const char *extra, uint32_t flags,
                         bool fresh)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    char cmd[800];
    const char *prof = profile(name, extra);
    if (fresh) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_state(name));
        CU_ASSERT_EQUAL(system(cmd), 0);
    }
    fx_config(&cfg, prof, (flags & PDM_CTX_NO_STORE) ? NULL : fx_state(name),
              NULL, flags, NULL, log_fn);
    cfg.log_level = PDM_LOG_DEBUG;
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        fprintf(stderr, "open: %s\n", ctx ? pdm_ctx_last_error(ctx) : "?");
        pdm_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

static uint8_t *read_data(const char *rel, size_t *len)
{
    char path[600];
    FILE *f;
    static uint8_t buf[65536];
    snprintf(path, sizeof path, "%s/tests/data/%s", PDM_SOURCE_DIR, rel);
    f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

/* ---- pdm_push_parse ------------------------------------------------------------ */

/* TID 1, Push, HeadersLen 3: Content-Type 0x44 (notification) as a short
 * integer, X-WAP-Application-ID (0xAF) code 7 (syncml.dm); then a body. */
static const uint8_t NOTIF[] = {0x01, 0x06, 0x03, 0xC4, 0xAF, 0x87,
                                'b',  'o',  'd',  'y'};

static void test_integrator__push_notification(void)
{
    pdm_push p;
    p.struct_size = sizeof p;
    CU_ASSERT_EQUAL_FATAL(pdm_push_parse(&p, NOTIF, sizeof NOTIF), PDM_OK);
    CU_ASSERT_EQUAL(p.struct_size, sizeof p);
    CU_ASSERT_EQUAL(p.kind, PDM_PUSH_NOTIFICATION);
    PDM_ASSERT_STR(p.content_type, "application/vnd.syncml.notification");
    PDM_ASSERT_STR(p.app_id, "x-wap-application:syncml.dm");
    CU_ASSERT_EQUAL(p.sec, PDM_SEC_NONE);
    PDM_ASSERT_STR(p.mac, "");
    CU_ASSERT_EQUAL(p.len, 4);
    CU_ASSERT(p.body == NOTIF + 6); /* borrowed from the datagram */
    PDM_ASSERT_STR(p.why, "");
}

static void test_integrator__push_kinds(void)
{
    /* OMA CP WBXML (0x36) in general form with SEC=NETWPIN and a MAC:
     * Value-length 9, media 0xB6, 0x91 0x80, 0x92 "ABCD" NUL. */
    static const uint8_t cp[] = {0x01, 0x06, 0x0A, 0x09, 0xB6, 0x91, 0x80,
                                 0x92, 'A',  'B',  'C',  'D',  0x00, 0x03};
    /* A DM message (0x42): a DM-profile bootstrap. */
    static const uint8_t dm[] = {0x01, 0x06, 0x01, 0xC2, 0x00};
    /* A notification for another application (code 2): not ours. */
    static const uint8_t other[] = {0x01, 0x06, 0x03, 0xC4, 0xAF, 0x82, 0x00};
    /* text/plain (0x03): not ours either. */
    static const uint8_t text[] = {0x01, 0x06, 0x01, 0x83, 'x'};
    pdm_push p;
    p.struct_size = sizeof p;
    CU_ASSERT_EQUAL_FATAL(pdm_push_parse(&p, cp, sizeof cp), PDM_OK);
    CU_ASSERT_EQUAL(p.kind, PDM_PUSH_BOOTSTRAP_CP);
    PDM_ASSERT_STR(p.content_type, "application/vnd.wap.connectivity-wbxml");
    CU_ASSERT_EQUAL(p.sec, PDM_SEC_NETWPIN);
    PDM_ASSERT_STR(p.mac, "ABCD");
    CU_ASSERT_EQUAL(p.len, 1);
    CU_ASSERT_EQUAL(p.body[0], 0x03);
    CU_ASSERT_EQUAL_FATAL(pdm_push_parse(&p, dm, sizeof dm), PDM_OK);
    CU_ASSERT_EQUAL(p.kind, PDM_PUSH_BOOTSTRAP_DM);
    PDM_ASSERT_STR(p.content_type, "application/vnd.syncml.dm+wbxml");
    CU_ASSERT_EQUAL_FATAL(pdm_push_parse(&p, other, sizeof other), PDM_OK);
    CU_ASSERT_EQUAL(p.kind, PDM_PUSH_OTHER);
    PDM_ASSERT_STR(p.content_type, "application/vnd.syncml.notification");
    CU_ASSERT_EQUAL_FATAL(pdm_push_parse(&p, text, sizeof text), PDM_OK);
    CU_ASSERT_EQUAL(p.kind, PDM_PUSH_OTHER);
    PDM_ASSERT_STR(p.content_type, "");
}

static void test_integrator__push_bad(void)
{
    static const uint8_t confirmed[] = {0x01, 0x07, 0x01, 0xC4};
    static const uint8_t past_end[] = {0x01, 0x06, 0x09, 0xC4};
    static const uint8_t sec_bad[] = {0x01, 0x06, 0x04, 0x03, 0xB6, 0x91,
                                      0x84};
    pdm_push p;
    p.struct_size = sizeof p;
    /* every prefix of a good PDU is refused with a reason, never read
     * past */
    for (size_t n = 0; n < 6; n++) {
        CU_ASSERT_EQUAL(pdm_push_parse(&p, NOTIF, n), PDM_EPARSE);
        CU_ASSERT(strncmp(p.why, "WSP push: ", 10) == 0);
        CU_ASSERT_EQUAL(p.len, 0);
    }
    CU_ASSERT_EQUAL(pdm_push_parse(&p, confirmed, sizeof confirmed),
                    PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm_push_parse(&p, past_end, sizeof past_end),
                    PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(p.why, "headers length 9 exceeds"));
    CU_ASSERT_EQUAL(pdm_push_parse(&p, sec_bad, sizeof sec_bad), PDM_ENOTSUP);
    CU_ASSERT_NOT_EQUAL(p.why[0], '\0');
    /* arguments */
    CU_ASSERT_EQUAL(pdm_push_parse(NULL, NOTIF, sizeof NOTIF), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_push_parse(&p, NULL, 0), PDM_EINVAL);
    p.struct_size = 8;
    CU_ASSERT_EQUAL(pdm_push_parse(&p, NOTIF, sizeof NOTIF), PDM_EINVAL);
}

/* ---- pdm_notification_parse ------------------------------------------------------ */

/* digest (16) + version 12, ui mode @ui, server-initiated, session id
 * 0x1A2B, and ServerID "srv". */
static size_t pkg0(uint8_t *b, unsigned version, unsigned ui, uint16_t sid)
{
    uint64_t h = (uint64_t)version << 54 | (uint64_t)ui << 52 |
                 (uint64_t)1 << 51 | (uint64_t)sid << 8 | 3u;
    memset(b, 0xAA, 16);
    for (int i = 0; i < 8; i++)
        b[16 + i] = (uint8_t)(h >> (56 - 8 * i));
    memcpy(b + 24, "srv", 3);
    return 27;
}

static void test_integrator__notification(void)
{
    pdm_notification_info ni;
    uint8_t b[64];
    size_t n, len;
    const uint8_t *v;
    ni.struct_size = sizeof ni;
    n = pkg0(b, 12, 3, 0x1A2B);
    CU_ASSERT_EQUAL_FATAL(pdm_notification_parse(&ni, b, n), PDM_OK);
    CU_ASSERT_EQUAL(ni.version, 12);
    CU_ASSERT_EQUAL(ni.ui_mode, 3);
    CU_ASSERT_EQUAL(ni.initiator, 1);
    PDM_ASSERT_STR(ni.server_id, "srv");
    PDM_ASSERT_STR(ni.session_id, "1A2B");
    /* a real one (Funambol's builder, DM 1.2) */
    v = read_data("transcripts/funambol_pkg0_v12_funambol_srvpwd_nononce_"
                  "sid1234.bin", &len);
    CU_ASSERT_EQUAL_FATAL(pdm_notification_parse(&ni, v, len), PDM_OK);
    PDM_ASSERT_STR(ni.server_id, "funambol");
    CU_ASSERT_EQUAL(ni.version, 12);
    /* bad input */
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, b, 26), PDM_EPARSE);
    CU_ASSERT_NOT_EQUAL(ni.why[0], '\0');
    PDM_ASSERT_STR(ni.server_id, "");
    n = pkg0(b, 13, 0, 1);
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, b, n), PDM_ENOTSUP);
    n = pkg0(b, 12, 0, 0); /* session id 0 */
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, b, n), PDM_EPARSE);
    n = pkg0(b, 12, 0, 1);
    b[25] = '\n'; /* a control character in the ServerID */
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, b, n), PDM_EPARSE);
    CU_ASSERT_EQUAL(pdm_notification_parse(NULL, b, n), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, NULL, n), PDM_EINVAL);
    ni.struct_size = 4;
    CU_ASSERT_EQUAL(pdm_notification_parse(&ni, b, n), PDM_EINVAL);
}

/* ---- helpers without a context ----------------------------------------------------- */

static void test_integrator__pin_and_session_id(void)
{
    static const char xml[] =
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
        "<VerProto>DM/1.2</VerProto><SessionID>4F1</SessionID><MsgID>1"
        "</MsgID><Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>"
        "http://127.0.0.1/</LocURI></Source></SyncHdr><SyncBody><Final/>"
        "</SyncBody></SyncML>";
    static const char nohdr[] =
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncBody><Final/></SyncBody>"
        "</SyncML>";
    char sid[16], tiny[3];
    const uint8_t *w;
    size_t wlen;
    CU_ASSERT_EQUAL(pdm_key_pin_check("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                      "AAAAAAAAAAAA="),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm_key_pin_check("sha256//AAAA"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_key_pin_check("md5//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                      "AAAAAAAAAA="),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_key_pin_check(""), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_key_pin_check(NULL), PDM_EINVAL);

    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid, (const uint8_t *)xml,
                                           strlen(xml), NULL),
                    PDM_OK);
    PDM_ASSERT_STR(sid, "4F1");
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid, (const uint8_t *)xml,
                                           strlen(xml),
                                           "application/vnd.syncml.dm+xml"),
                    PDM_OK);
    /* the content type decides over the first byte */
    CU_ASSERT_NOT_EQUAL(pdm_message_session_id(sid, sizeof sid,
                                               (const uint8_t *)xml,
                                               strlen(xml),
                                               "application/vnd.syncml.dm+"
                                               "wbxml"),
                        PDM_OK);
    PDM_ASSERT_STR(sid, "");
    w = read_data("vectors/cm_dm12_testget.wbxml", &wlen);
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid, w, wlen, NULL),
                    PDM_OK);
    CU_ASSERT_NOT_EQUAL(sid[0], '\0');
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid,
                                           (const uint8_t *)nohdr,
                                           strlen(nohdr), NULL),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid,
                                           (const uint8_t *)"<SyncML", 7, NULL),
                    PDM_EPARSE);
    /* Only the SyncHdr is decoded: a body the session would refuse does
     * not hide the SessionID (the replay decodes each package once). */
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid,
                                           (const uint8_t *)xml,
                                           strlen(xml) - 20, NULL),
                    PDM_OK);
    PDM_ASSERT_STR(sid, "4F1");
    CU_ASSERT_EQUAL(pdm_message_session_id(tiny, sizeof tiny,
                                           (const uint8_t *)xml, strlen(xml),
                                           NULL),
                    PDM_ETOOLONG);
    PDM_ASSERT_STR(tiny, "");
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, 0, (const uint8_t *)xml,
                                           strlen(xml), NULL),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_message_session_id(sid, sizeof sid, NULL, 0, NULL),
                    PDM_EINVAL);
}

/* ---- pdm_ctx_kv_* ------------------------------------------------------------------ */

static const char SECRET[] = "kv-S3cretValue-never-logged";

static int audit_has(void *user, const pdm_audit_row *r)
{
    const char *needle = user;
    if ((r->reason && strstr(r->reason, needle)) ||
        (r->uri && strstr(r->uri, needle)))
        return 1;
    return 0;
}

static void test_integrator__kv(void)
{
    pdm_ctx *ctx = open_ctx("kv", NULL, 0, true);
    uint8_t *v = NULL;
    size_t len = 99;
    char key[PDM_KV_KEY_MAX + 2];
    uint8_t *big;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    nlogged = 0;
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, &len, ctx, "queue"), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "queue", SECRET, strlen(SECRET)),
                    PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_kv_get(&v, &len, ctx, "queue"), PDM_OK);
    CU_ASSERT(len == strlen(SECRET) && memcmp(v, SECRET, len) == 0);
    pdm_free(v);
    /* replaced; an empty value is a value */
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "queue", NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_kv_get(&v, &len, ctx, "queue"), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(v);
    CU_ASSERT_EQUAL(len, 0);
    pdm_free(v);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "queue", SECRET, strlen(SECRET)),
                    PDM_OK);
    /* keys: syntax and length */
    memset(key, 'k', sizeof key);
    key[PDM_KV_KEY_MAX] = '\0';
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, key, "x", 1), PDM_OK);
    key[PDM_KV_KEY_MAX] = 'k';
    key[PDM_KV_KEY_MAX + 1] = '\0';
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, key, "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "", "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "a/b", "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "a b", "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "a\nb", "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "Job-1.v_2", "x", 1), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, &len, ctx, "a%"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, NULL, "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "k", NULL, 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(NULL, "k", "x", 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(NULL, &len, ctx, "k"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, NULL, ctx, "k"), PDM_EINVAL);
    /* value size */
    big = calloc(1, PDM_KV_VALUE_MAX + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "big", big, PDM_KV_VALUE_MAX + 1),
                    PDM_ETOOBIG);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, &len, ctx, "big"), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "big", big, PDM_KV_VALUE_MAX), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_kv_get(&v, &len, ctx, "big"), PDM_OK);
    CU_ASSERT_EQUAL(len, PDM_KV_VALUE_MAX);
    pdm_free(v);
    free(big);
    /* key count: 4 keys so far (queue, kkk..., Job-1.v_2, big) */
    for (int i = 4; i < PDM_KV_KEYS_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "n%d", i);
        CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, k, "x", 1), PDM_OK);
    }
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "one-too-many", "x", 1), PDM_ETOOBIG);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "n4", "yy", 2), PDM_OK); /* replace */
    CU_ASSERT_EQUAL(pdm_ctx_kv_del(ctx, "n4"), PDM_OK);
    CU_ASSERT_EQUAL(pdm_ctx_kv_del(ctx, "n4"), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_ctx_kv_del(ctx, "a/b"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "one-more", "x", 1), PDM_OK);
    /* the value is in no log line and no audit row */
    CU_ASSERT_PTR_NULL(strstr(logged, SECRET));
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, audit_has, (void *)SECRET),
                    PDM_OK);
    pdm_ctx_close(ctx);

    /* kept across a restart; read-only: readable, not writable */
    ctx = open_ctx("kv", NULL, PDM_CTX_READONLY, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_kv_get(&v, &len, ctx, "queue"), PDM_OK);
    CU_ASSERT(len == strlen(SECRET) && memcmp(v, SECRET, len) == 0);
    pdm_free(v);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "queue", "x", 1), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm_ctx_kv_del(ctx, "queue"), PDM_EDENIED);
    pdm_ctx_close(ctx);

    /* no store */
    ctx = open_ctx("kv-nostore", NULL, PDM_CTX_NO_STORE, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_kv_put(ctx, "queue", "x", 1), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, &len, ctx, "queue"), PDM_ENOTSUP);
    CU_ASSERT_EQUAL(pdm_ctx_kv_del(ctx, "queue"), PDM_ENOTSUP);
    pdm_ctx_close(ctx);
}

/* ---- pdm_ctx_audit_append, pdm_ctx_log ----------------------------------------------- */

typedef struct last_row {
    char principal[64], op[40], uri[300], decision[16], component[64],
        reason[300];
    int uri_null;
    size_t n;
} last_row;

/* An older agent kept its job queue under the core's namespace "agent":
 * the first open moves it to the integrator's storage, once. */
static void test_integrator__kv_migrated(void)
{
    static const char Q[] = "Q1\nsession srv-a\n";
    pdm__store *st = NULL;
    char err[200];
    uint8_t *v = NULL;
    size_t n = 0;
    pdm_ctx *ctx = open_ctx("kv-old", NULL, 0, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    pdm_ctx_close(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm__store_open(&st, fx_state("kv-old"), 0, err,
                                          sizeof err),
                          PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(st, "agent", "queue",
                                      (const uint8_t *)Q, sizeof Q - 1),
                    PDM_OK);
    pdm__store_close(st);

    ctx = open_ctx("kv-old", NULL, 0, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_kv_get(&v, &n, ctx, "queue"), PDM_OK);
    CU_ASSERT_EQUAL(n, sizeof Q - 1);
    CU_ASSERT(v && memcmp(v, Q, sizeof Q - 1) == 0);
    pdm_free(v);
    pdm_ctx_close(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm__store_open(&st, fx_state("kv-old"), 0, err,
                                          sizeof err),
                          PDM_OK);
    v = NULL;
    CU_ASSERT_EQUAL(pdm__store_kv_get(st, "agent", "queue", &v, &n),
                    PDM_ENOTFOUND);
    pdm__store_close(st);
}

static int keep_last(void *user, const pdm_audit_row *r)
{
    last_row *l = user;
    snprintf(l->principal, sizeof l->principal, "%s", r->principal);
    snprintf(l->op, sizeof l->op, "%s", r->op);
    snprintf(l->uri, sizeof l->uri, "%s", r->uri ? r->uri : "");
    l->uri_null = r->uri == NULL;
    snprintf(l->decision, sizeof l->decision, "%s", r->decision);
    snprintf(l->component, sizeof l->component, "%s", r->component);
    snprintf(l->reason, sizeof l->reason, "%s", r->reason ? r->reason : "");
    l->n++;
    return 0;
}

static void test_integrator__audit(void)
{
    pdm_ctx *ctx = open_ctx("audit", NULL, 0, true);
    pdm_audit_entry e;
    pdm_audit_check chk;
    last_row l;
    size_t before;
    char longtext[300];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    before = l.n;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.op = "Push";
    e.decision = "deny";
    e.component = "agent";
    e.reason = "push from 127.0.0.1 refused: malformed";
    nlogged = 0;
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_OK);
    memset(&l, 0, sizeof l);
    CU_ASSERT_EQUAL(pdm_ctx_audit_each(ctx, 0, keep_last, &l), PDM_OK);
    CU_ASSERT_EQUAL(l.n, before + 1);
    PDM_ASSERT_STR(l.principal, "unknown");
    PDM_ASSERT_STR(l.op, "Push");
    CU_ASSERT(l.uri_null);
    PDM_ASSERT_STR(l.decision, "deny");
    PDM_ASSERT_STR(l.component, "agent");
    PDM_ASSERT_STR(l.reason, "push from 127.0.0.1 refused: malformed");
    /* logged as the core logs its rows */
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "[audit] unknown Push : deny (agent)"
                                          " push from 127.0.0.1 refused"));
    /* allow, error, info, with a URI */
    e.uri = "./Vendor/Color";
    e.decision = "info";
    e.reason = NULL;
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_OK);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    PDM_ASSERT_STR(l.decision, "info");
    PDM_ASSERT_STR(l.uri, "./Vendor/Color");
    PDM_ASSERT_STR(l.reason, "");
    e.decision = "allow";
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_OK);
    e.decision = "error";
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_OK);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    CU_ASSERT_EQUAL(l.n, before + 4);
    PDM_ASSERT_STR(l.decision, "error");
    e.uri = NULL;
    e.decision = "deny";
    /* the rows keep the chain intact */
    chk.struct_size = sizeof chk;
    CU_ASSERT_EQUAL(pdm_ctx_audit_verify(&chk, ctx), PDM_OK);

    /* bad input: refused, nothing written */
#define REFUSED(field, value)                                              \
    do {                                                                   \
        pdm_audit_entry b = e;                                             \
        b.field = value;                                                   \
        CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &b), PDM_EINVAL);        \
    } while (0)
    REFUSED(decision, "maybe");
    REFUSED(decision, NULL);
    REFUSED(op, NULL);
    REFUSED(op, "");
    REFUSED(op, "Push Now");
    REFUSED(op, "Push1");
    REFUSED(op, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); /* 33 */
    REFUSED(component, NULL);
    REFUSED(component, "Agent");
    REFUSED(component, "policy:fx/check");
    REFUSED(component, "authority:x/y");
    REFUSED(component, "core");
    REFUSED(component, "acl");
    REFUSED(component, "session");
    REFUSED(component, "user");
    REFUSED(component, "local");
    REFUSED(component, "factory");
    REFUSED(reason, "two\nlines");
    REFUSED(reason, "tab\there");
    REFUSED(reason, "\xff\xfe not UTF-8");
    REFUSED(uri, "./A\nB");
    REFUSED(reserved0, 1);
    REFUSED(struct_size, 8);
    memset(longtext, 'r', sizeof longtext);
    longtext[256] = '\0';
    REFUSED(reason, longtext);
    REFUSED(uri, longtext);
    longtext[255] = '\0';
    {
        pdm_audit_entry b = e;
        b.reason = longtext; /* 255 bytes: the limit */
        CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &b), PDM_OK);
    }
#undef REFUSED
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(NULL, &e), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, NULL), PDM_EINVAL);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    CU_ASSERT_EQUAL(l.n, before + 5);

    /* pdm_ctx_log: through the sink, with its component */
    nlogged = 0;
    pdm_ctx_log(ctx, PDM_LOG_WARN, "agent", "queue %d of %s", 3, "srv");
    PDM_ASSERT_STR(logged, "[agent] queue 3 of srv\n");
    pdm_ctx_log(ctx, PDM_LOG_INFO, NULL, "x");
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "[core] x\n"));
    pdm_ctx_log(NULL, PDM_LOG_WARN, "agent", "nothing");
    pdm_ctx_close(ctx);

    /* read-only: refused; no store: logged only */
    ctx = open_ctx("audit", NULL, PDM_CTX_READONLY, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_EDENIED);
    pdm_ctx_close(ctx);
    ctx = open_ctx("audit-nostore", NULL, PDM_CTX_NO_STORE, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    nlogged = 0;
    CU_ASSERT_EQUAL(pdm_ctx_audit_append(ctx, &e), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "unknown Push : deny (agent)"));
    pdm_ctx_close(ctx);
}

/* ---- pdm_ctx_transport_config ------------------------------------------------------------ */

#define PIN "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static void test_integrator__transport_config(void)
{
    pdm_ctx *ctx = open_ctx("tconf",
                            "[transport]\nca_file = ca.pem\n"
                            "client_cert = /etc/polydm/client.pem\n"
                            "client_key = keys/client.key\n"
                            "allow_plain_http = true\ntimeout_ms = 1500\n"
                            "retries = 4\npin.test.server = " PIN "\n",
                            0, true);
    pdm_transport_config *tc = NULL;
    char want[700];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_transport_config(&tc, ctx, "test.server"),
                          PDM_OK);
    CU_ASSERT(tc->struct_size >= sizeof *tc);
    /* relative paths are taken against the profile's directory */
    snprintf(want, sizeof want, "%s/ca.pem", pdm_test_tmpdir());
    PDM_ASSERT_STR(tc->ca_file, want);
    PDM_ASSERT_STR(tc->client_cert, "/etc/polydm/client.pem");
    snprintf(want, sizeof want, "%s/keys/client.key", pdm_test_tmpdir());
    PDM_ASSERT_STR(tc->client_key, want);
    PDM_ASSERT_STR(tc->pin, PIN);
    CU_ASSERT_EQUAL(tc->flags, PDM_TRANSPORT_CONFIG_ALLOW_PLAIN_HTTP);
    CU_ASSERT_EQUAL(tc->timeout_ms, 1500);
    CU_ASSERT_EQUAL(tc->retries, 4);
    pdm_transport_config_free(tc);
    /* another server has no pin; NULL asks for none */
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_transport_config(&tc, ctx, "other"), PDM_OK);
    CU_ASSERT_PTR_NULL(tc->pin);
    pdm_transport_config_free(tc);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_transport_config(&tc, ctx, NULL), PDM_OK);
    CU_ASSERT_PTR_NULL(tc->pin);
    pdm_transport_config_free(tc);
    CU_ASSERT_EQUAL(pdm_ctx_transport_config(NULL, ctx, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_ctx_transport_config(&tc, NULL, NULL), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(tc);
    pdm_transport_config_free(NULL);
    pdm_ctx_close(ctx);

    /* the defaults */
    ctx = open_ctx("tconf-default", NULL, 0, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL_FATAL(pdm_ctx_transport_config(&tc, ctx, "test.server"),
                          PDM_OK);
    CU_ASSERT_PTR_NULL(tc->ca_file);
    CU_ASSERT_PTR_NULL(tc->client_cert);
    CU_ASSERT_PTR_NULL(tc->client_key);
    CU_ASSERT_PTR_NULL(tc->pin);
    CU_ASSERT_EQUAL(tc->flags, 0);
    CU_ASSERT_EQUAL(tc->timeout_ms, 0);
    CU_ASSERT_EQUAL(tc->retries, 2);
    pdm_transport_config_free(tc);
    pdm_ctx_close(ctx);
}

/* ---- sessions: info, decline, transport errors ------------------------------------------- */

static pdm_session *open_session(pdm_ctx *ctx)
{
    pdm_session_opts so;
    pdm_session *s = NULL;
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.server_id = "test.server";
    so.session_id = "4F1";
    if (pdm_session_open(&s, ctx, &so) != PDM_OK) {
        fprintf(stderr, "session: %s\n", pdm_session_error(s));
        pdm_session_close(s);
        return NULL;
    }
    return s;
}

static void test_integrator__session(void)
{
    pdm_ctx *ctx = open_ctx("session", NULL, 0, true);
    pdm_session *s;
    pdm_session_info si;
    pdm_message m;
    last_row l;
    char longtext[300];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    s = open_session(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    si.struct_size = sizeof si;
    CU_ASSERT_EQUAL(pdm_session_get_info(&si, s), PDM_OK);
    PDM_ASSERT_STR(si.server_id, "test.server");
    PDM_ASSERT_STR(si.session_id, "4F1");
    CU_ASSERT_EQUAL(si.flags, 0);
    si.struct_size = 4;
    CU_ASSERT_EQUAL(pdm_session_get_info(&si, s), PDM_EINVAL);
    si.struct_size = sizeof si;
    CU_ASSERT_EQUAL(pdm_session_get_info(&si, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_get_info(NULL, s), PDM_EINVAL);

    /* decline: bad reasons first, then one audit row of the server's */
    memset(longtext, 'r', sizeof longtext);
    longtext[256] = '\0';
    CU_ASSERT_EQUAL(pdm_session_decline(s, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_decline(s, ""), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_decline(s, "a\nb"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_decline(s, longtext), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_decline(NULL, "x"), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_session_decline(s, "the user declined"), PDM_OK);
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_ECANCELLED);
    PDM_ASSERT_STR(pdm_session_error(s), "the user declined");
    CU_ASSERT_EQUAL(pdm_session_get_info(&si, s), PDM_OK);
    CU_ASSERT_EQUAL(si.flags, PDM_SESSION_INFO_OVER);
    CU_ASSERT_EQUAL(pdm_session_next(s, &m), PDM_OK);
    CU_ASSERT_PTR_NULL(m.body); /* nothing is sent */
    CU_ASSERT_EQUAL(pdm_session_decline(s, "again"), PDM_EINVAL);
    pdm_session_close(s);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    PDM_ASSERT_STR(l.principal, "server:test.server");
    PDM_ASSERT_STR(l.op, "Session");
    PDM_ASSERT_STR(l.decision, "deny");
    PDM_ASSERT_STR(l.component, "session");
    PDM_ASSERT_STR(l.reason, "the user declined");

    /* after the first message: too late to decline */
    s = open_session(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(m.body);
    CU_ASSERT_EQUAL(pdm_session_decline(s, "late"), PDM_EINVAL);
    /* a retried request, then a transport failure in its own words */
    pdm_session_transport_retried(s, "server answered HTTP 500");
    pdm_session_transport_retried(s, "second: ignored");
    pdm_session_transport_error(s, PDM_EIO, "connection reset by peer");
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_EIO);
    PDM_ASSERT_STR(pdm_session_error(s),
                   "server answered HTTP 500 (retried); then: transport: "
                   "connection reset by peer");
    CU_ASSERT_EQUAL(pdm_session_get_info(&si, s), PDM_OK);
    CU_ASSERT_EQUAL(si.flags, PDM_SESSION_INFO_OVER);
    pdm_session_close(s);
    memset(&l, 0, sizeof l);
    pdm_ctx_audit_each(ctx, 0, keep_last, &l);
    PDM_ASSERT_STR(l.op, "Session");
    CU_ASSERT_PTR_NOT_NULL(strstr(l.reason, "connection reset by peer"));

    /* without words: pdm_session_transport_failed's text */
    s = open_session(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK);
    pdm_session_transport_error(s, PDM_EIO, NULL);
    PDM_ASSERT_STR(pdm_session_error(s), "the connection to the server failed");
    pdm_session_close(s);
    /* shutdown */
    s = open_session(ctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(pdm_session_next(s, &m), PDM_OK);
    pdm_session_transport_error(s, PDM_ECANCELLED, "ignored");
    CU_ASSERT_EQUAL(pdm_session_result(s), PDM_ECANCELLED);
    PDM_ASSERT_STR(pdm_session_error(s), "the session was interrupted (shutdown)");
    pdm_session_close(s);
    pdm_session_transport_error(NULL, PDM_EIO, "x");
    pdm_session_transport_retried(NULL, "x");
    pdm_ctx_close(ctx);
}

static const pdm_test tests[] = {
    {"push_notification", test_integrator__push_notification},
    {"push_kinds", test_integrator__push_kinds},
    {"push_bad", test_integrator__push_bad},
    {"notification", test_integrator__notification},
    {"pin_and_session_id", test_integrator__pin_and_session_id},
    {"kv", test_integrator__kv},
    {"kv_migrated", test_integrator__kv_migrated},
    {"audit", test_integrator__audit},
    {"transport_config", test_integrator__transport_config},
    {"session", test_integrator__session},
    {NULL, NULL}};

static const pdm_suite suites[] = {{"integrator", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
