/*
 * The integrator's intake, storage, audit rows and log (polydm.h, "the
 * integrator's intake, storage, audit rows and log"): thin public fronts
 * over the parsers (auth/wsp.c, auth/pkg0.c, the codec), the store's kv
 * and the tree's audit writer, so that a device agent needs no internal
 * header.  Each front checks its arguments and bounds; the logic stays in
 * the module it fronts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "codec/codec.h"
#include "engine/engine.h"
#include "util/util.h"

/* The store namespace of pdm_ctx_kv_*: plugin namespaces are plugin ids
 * ([a-z0-9-]+), so a name with '@' can never be a plugin's. */
#define KV_NS "@integrator"

/* Zeroes a caller's struct keeping its struct_size, or refuses one too
 * small for this library's fields. */
#define ZERO_OUT(out)                                                   \
    do {                                                                \
        uint32_t size_ = (out)->struct_size;                            \
        if (size_ < sizeof(*(out)))                                     \
            return PDM_EINVAL;                                          \
        memset((out), 0, sizeof(*(out)));                               \
        (out)->struct_size = size_;                                     \
    } while (0)

/* Before polydm 0.4 the reference agent kept its job queue in the core's
 * store under namespace "agent"; it uses the integrator's storage now.
 * Moved once, at open, so that an upgraded device keeps its queued
 * sessions.  Copy first, delete second: interrupted, the next open finds
 * the new key and only deletes the old one. */
void pdm__integrator_migrate(pdm_ctx *ctx)
{
    uint8_t *v = NULL, *cur = NULL;
    size_t n = 0, m = 0;
    if (!ctx->store || (ctx->flags & PDM_CTX_READONLY) ||
        pdm__store_kv_get(ctx->store, "agent", "queue", &v, &n) != PDM_OK)
        return;
    if (pdm__store_kv_get(ctx->store, KV_NS, "queue", &cur, &m) == PDM_OK ||
        pdm__store_kv_put(ctx->store, KV_NS, "queue", v, n) == PDM_OK) {
        if (pdm__store_kv_del(ctx->store, "agent", "queue") == PDM_OK)
            pdm__logf(&ctx->log, PDM_LOG_INFO, "core",
                      "the agent's job queue moved to the integrator's "
                      "storage");
    }
    pdm__free(cur);
    pdm__free(v);
}

/* ---- WAP push, package 0 ------------------------------------------------ */

int pdm_push_parse(pdm_push *out, const uint8_t *pdu, size_t len)
{
    pdm__wsp_push p;
    const char *ct;
    int rc;
    if (!out || !pdu)
        return PDM_EINVAL;
    ZERO_OUT(out);
    rc = pdm__wsp_push_parse(pdu, len, &p, out->why, sizeof out->why);
    if (rc != PDM_OK)
        return rc;
    out->sec = (uint32_t)p.sec;
    out->body = p.body;
    out->len = p.body_len;
    pdm__strlcpy(out->mac, p.mac, sizeof out->mac);
    pdm__strlcpy(out->app_id, p.app_id, sizeof out->app_id);
    pdm__strlcpy(out->content_type, p.content_type, sizeof out->content_type);
    /* A pushed DM message is a DM-profile bootstrap (DM_Bootstrap), like
     * an OMA CP document; the pipeline wants the canonical type name. */
    switch (p.ct_code) {
    case PDM__WSP_CT_CONNECTIVITY_WBXML:
    case PDM__WSP_CT_CONNECTIVITY_XML:
        out->kind = PDM_PUSH_BOOTSTRAP_CP;
        break;
    case PDM__WSP_CT_DM_WBXML:
    case PDM__WSP_CT_DM_XML:
        out->kind = PDM_PUSH_BOOTSTRAP_DM;
        break;
    default:
        out->kind = pdm__wsp_push_is_dm_notification(&p)
                        ? PDM_PUSH_NOTIFICATION
                        : PDM_PUSH_OTHER;
        return PDM_OK;
    }
    if ((ct = pdm__wsp_content_type_name(p.ct_code)))
        pdm__strlcpy(out->content_type, ct, sizeof out->content_type);
    return PDM_OK;
}

int pdm_notification_parse(pdm_notification_info *out, const uint8_t *pkg0,
                           size_t len)
{
    pdm__pkg0 p;
    char sid[5];
    int rc;
    if (!out || !pkg0)
        return PDM_EINVAL;
    ZERO_OUT(out);
    rc = pdm__pkg0_parse(&p, pkg0, len, out->why, sizeof out->why);
    if (rc != PDM_OK)
        return rc;
    out->version = p.version;
    out->ui_mode = p.ui_mode;
    out->initiator = p.initiator;
    pdm__strlcpy(out->server_id, p.server_id, sizeof out->server_id);
    pdm__pkg0_session_id_str(p.session_id, sid);
    pdm__strlcpy(out->session_id, sid, sizeof out->session_id);
    return PDM_OK;
}

int pdm_key_pin_check(const char *pin)
{
    return pin && pdm__key_pin_valid(pin) ? PDM_OK : PDM_EINVAL;
}

int pdm_message_session_id(char *out, size_t size, const uint8_t *body,
                           size_t len, const char *content_type)
{
    pdm__doc d;
    pdm__codec_err e;
    const char *sid = NULL;
    bool xml;
    int rc;
    if (!out || !size || !body)
        return PDM_EINVAL;
    out[0] = '\0';
    if (content_type && strstr(content_type, "wbxml"))
        xml = false;
    else if (content_type && strstr(content_type, "xml"))
        xml = true;
    else
        xml = len && body[0] == '<';
    pdm__doc_init(&d);
    /* Up to the end of the SyncHdr only: the caller (a replay) hands the
     * whole message to the session, which decodes and checks it then. */
    rc = xml ? pdm__xml_decode_hdr(&d, body, len, NULL, &e)
             : pdm__wbxml_decode_hdr(&d, body, len, NULL, &e);
    if (rc == PDM_OK) {
        pdm__el *h = d.root ? pdm__el_child(d.root, PDM_TAG_SYNCHDR) : NULL;
        sid = h ? pdm__el_child_text(h, PDM_TAG_SESSIONID) : NULL;
        if (!sid)
            rc = PDM_ENOTFOUND;
        else if (pdm__strlcpy(out, sid, size) >= size)
            rc = PDM_ETOOLONG;
    }
    if (rc != PDM_OK)
        out[0] = '\0';
    pdm__doc_free(&d);
    return rc;
}

/* ---- the integrator's storage ------------------------------------------ */

static bool kv_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > PDM_KV_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Common checks of a kv write: PDM_OK or the refusal. */
static int kv_writable(pdm_ctx *ctx, const char *key)
{
    if (!kv_key_ok(key))
        return PDM_EINVAL;
    if (!ctx->store)
        return PDM_ENOTSUP;
    if (ctx->flags & PDM_CTX_READONLY)
        return PDM_EDENIED;
    /* A session's package is one store transaction: a write now would be
     * undone with it. */
    if (ctx->tree && pdm__tree_in_transaction(ctx->tree))
        return PDM_EBUSY;
    return PDM_OK;
}

static int kv_fail(pdm_ctx *ctx, int rc, const char *what, const char *key)
{
    /* The key is the integrator's name, not a secret; the value never
     * appears. */
    snprintf(ctx->err, sizeof ctx->err, "cannot %s integrator key %s: %s",
             what, key, pdm__store_error(ctx->store));
    return rc;
}

int pdm_ctx_kv_put(pdm_ctx *ctx, const char *key, const void *val, size_t len)
{
    int rc;
    if (!ctx || !key || (!val && len))
        return PDM_EINVAL;
    if ((rc = kv_writable(ctx, key)) != PDM_OK)
        return rc;
    if (len > PDM_KV_VALUE_MAX)
        return PDM_ETOOBIG;
    {
        uint8_t *old = NULL;
        size_t n = 0, olen;
        rc = pdm__store_kv_get(ctx->store, KV_NS, key, &old, &olen);
        pdm__free(old);
        if (rc == PDM_ENOTFOUND) {
            rc = pdm__store_kv_count(ctx->store, KV_NS, &n);
            if (rc == PDM_OK && n >= PDM_KV_KEYS_MAX)
                return PDM_ETOOBIG;
        }
        if (rc != PDM_OK)
            return kv_fail(ctx, rc, "store", key);
    }
    rc = pdm__store_kv_put(ctx->store, KV_NS, key,
                           val ? val : (const void *)"", len);
    return rc == PDM_OK ? PDM_OK : kv_fail(ctx, rc, "store", key);
}

int pdm_ctx_kv_get(uint8_t **out, size_t *len, pdm_ctx *ctx, const char *key)
{
    int rc;
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!out || !len || !ctx || !kv_key_ok(key))
        return PDM_EINVAL;
    if (!ctx->store)
        return PDM_ENOTSUP;
    rc = pdm__store_kv_get(ctx->store, KV_NS, key, out, len);
    if (rc == PDM_OK || rc == PDM_ENOTFOUND)
        return rc;
    return kv_fail(ctx, rc, "read", key);
}

int pdm_ctx_kv_del(pdm_ctx *ctx, const char *key)
{
    int rc;
    if (!ctx || !key)
        return PDM_EINVAL;
    if ((rc = kv_writable(ctx, key)) != PDM_OK)
        return rc;
    rc = pdm__store_kv_del(ctx->store, KV_NS, key);
    if (rc == PDM_OK || rc == PDM_ENOTFOUND)
        return rc;
    return kv_fail(ctx, rc, "delete", key);
}

void pdm_free(void *p)
{
    pdm__free(p);
}

/* ---- audit rows and log lines ----------------------------------------- */

static bool word_ok(const char *s, size_t max, bool lower)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = lower ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                           c == '-')
                        : ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
        if (!ok)
            return false;
    }
    return true;
}

/* NULL, or one line of text of at most 255 bytes. */
static bool line_ok(const char *s)
{
    size_t n;
    if (!s)
        return true;
    n = strlen(s);
    return n <= 255 && pdm__text_line_ok(s, n, NULL);
}

/* Components the core writes: an integrator row must not pass for one of
 * its decisions ("policy:..."/"authority:..." fail the syntax already). */
static bool component_reserved(const char *c)
{
    static const char *const names[] = {"core", "acl", "session", "user",
                                        "local", "factory", "audit"};
    for (size_t i = 0; i < PDM__ARRAY_LEN(names); i++)
        if (strcmp(c, names[i]) == 0)
            return true;
    return false;
}

int pdm_ctx_audit_append(pdm_ctx *ctx, const pdm_audit_entry *e)
{
    static const pdm__who nobody = {PDM_PRINCIPAL_NONE, NULL, NULL, 0, NULL};
    pdm__decision d;
    if (!ctx || !e || e->struct_size < sizeof(*e) || e->reserved0 ||
        !word_ok(e->op, 32, false) || !word_ok(e->component, 32, true) ||
        component_reserved(e->component) || !line_ok(e->uri) ||
        !line_ok(e->reason) || !e->decision)
        return PDM_EINVAL;
    memset(&d, 0, sizeof d);
    /* pdm__tree_audit names the decision after the rc. */
    if (strcmp(e->decision, "allow") == 0)
        d.rc = PDM_OK;
    else if (strcmp(e->decision, "deny") == 0)
        d.rc = PDM_EDENIED;
    else if (strcmp(e->decision, "error") == 0)
        d.rc = PDM_ERROR;
    else if (strcmp(e->decision, "info") != 0)
        return PDM_EINVAL;
    if (ctx->flags & PDM_CTX_READONLY)
        return PDM_EDENIED;
    if (!ctx->tree)
        return PDM_EINVAL; /* a context that did not open */
    /* Rows written inside a transaction wait for its commit and go with
     * its rollback: refuse rather than lose one. */
    if (pdm__tree_in_transaction(ctx->tree))
        return PDM_EBUSY;
    pdm__strlcpy(d.component, e->component, sizeof d.component);
    pdm__strlcpy(d.reason, e->reason ? e->reason : "", sizeof d.reason);
    pdm__tree_audit(ctx->tree, &nobody, e->op, e->uri,
                    strcmp(e->decision, "info") == 0 ? NULL : &d);
    return PDM_OK;
}

void pdm_ctx_log(pdm_ctx *ctx, int level, const char *component,
                 const char *fmt, ...)
{
    va_list ap;
    if (!ctx || !fmt)
        return;
    va_start(ap, fmt);
    pdm__vlogf(&ctx->log, level, component, fmt, ap);
    va_end(ap);
}

/* ---- transport settings ----------------------------------------------- */

typedef struct tconf {
    pdm_transport_config pub;
    char *ca, *cert, *key, *pin;
} tconf;

int pdm_ctx_transport_config(pdm_transport_config **out, pdm_ctx *ctx,
                             const char *server_id)
{
    tconf *t;
    const char *pin = NULL;
    if (out)
        *out = NULL;
    if (!out || !ctx || !ctx->profile)
        return PDM_EINVAL;
    if (!(t = pdm__calloc(1, sizeof(*t))))
        return PDM_ENOMEM;
    t->pub.struct_size = sizeof t->pub;
    t->ca = pdm__profile_path(ctx->profile, "transport.ca_file");
    t->cert = pdm__profile_path(ctx->profile, "transport.client_cert");
    t->key = pdm__profile_path(ctx->profile, "transport.client_key");
    if (server_id) {
        char pinkey[300];
        snprintf(pinkey, sizeof pinkey, "transport.pin.%s", server_id);
        pin = pdm__profile_get(ctx->profile, pinkey);
    }
    t->pin = pin ? pdm__strdup(pin) : NULL;
    /* pdm__profile_path gives NULL for "absent" and for "out of memory":
     * tell them apart by the key. */
    if ((!t->ca && pdm__profile_get(ctx->profile, "transport.ca_file")) ||
        (!t->cert && pdm__profile_get(ctx->profile, "transport.client_cert")) ||
        (!t->key && pdm__profile_get(ctx->profile, "transport.client_key")) ||
        (pin && !t->pin)) {
        pdm_transport_config_free(&t->pub);
        return PDM_ENOMEM;
    }
    t->pub.ca_file = t->ca;
    t->pub.client_cert = t->cert;
    t->pub.client_key = t->key;
    t->pub.pin = t->pin;
    t->pub.flags = pdm__profile_get_bool(ctx->profile,
                                         "transport.allow_plain_http", false)
                       ? PDM_TRANSPORT_CONFIG_ALLOW_PLAIN_HTTP
                       : 0;
    t->pub.timeout_ms =
        pdm__profile_get_long(ctx->profile, "transport.timeout_ms", 0);
    t->pub.retries =
        pdm__profile_get_long(ctx->profile, "transport.retries", 2);
    *out = &t->pub;
    return PDM_OK;
}

void pdm_transport_config_free(pdm_transport_config *tc)
{
    tconf *t = (tconf *)tc; /* pub is the first member */
    if (!t)
        return;
    pdm__free(t->ca);
    pdm__free(t->cert);
    pdm__free(t->key);
    pdm__free(t->pin);
    pdm__free(t);
}
