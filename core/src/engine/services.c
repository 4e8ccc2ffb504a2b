/*
 * Glue between the tree, the store and the plugins: the policy hook
 * (deny-overrides over the profile's policy components, fail closed), MO
 * handler dispatch (plugins and the core's device MOs), and the host
 * services plugins call (tree_read, key/value data).
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "util/util.h"

/* ---- policies ------------------------------------------------------------- */

static int policy_hook(void *user, const pdm_policy_req *req,
                       pdm__decision *dec)
{
    pdm_ctx *ctx = user;
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL, PDM_KIND_POLICY);
         c; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_POLICY)) {
        pdm_verdict v;
        int rc;
        memset(&v, 0, sizeof v);
        c->plugin->err[0] = '\0';
        rc = c->ops.policy.check(c->inst, req, &v);
        v.reason[sizeof v.reason - 1] = '\0';
        snprintf(dec->component, sizeof dec->component, "policy:%s/%s",
                 c->plugin->name, c->name);
        snprintf(dec->rule, sizeof dec->rule, "policy");
        if (rc < 0) {
            /* An error is a denial (fail closed). */
            snprintf(dec->reason, sizeof dec->reason,
                     "policy failed (%s), request denied: %.150s",
                     pdm_strerror(rc),
                     c->plugin->err[0] ? c->plugin->err : "no details");
            return PDM_EDENIED;
        }
        if (v.decision == PDM_DENY) {
            snprintf(dec->reason, sizeof dec->reason, "%s",
                     v.reason[0] ? v.reason : "denied by policy");
            return PDM_EDENIED;
        }
        if (v.decision != PDM_ALLOW && v.decision != PDM_ABSTAIN) {
            snprintf(dec->reason, sizeof dec->reason,
                     "policy answered unknown decision %u: denied",
                     (unsigned)v.decision);
            return PDM_EDENIED;
        }
    }
    return PDM_OK;
}

/* ---- MO dispatch ------------------------------------------------------------ */

/* The device MOs' values: device hook first, then the profile. */
static int device_value(pdm_ctx *ctx, const char *uri, pdm_blob *out)
{
    static const struct {
        const char *key;
        size_t klen; /* strlen(key): most keys are told apart by length */
        const char *profile_key, *def;
    } map[] = {
#define KEY(k) k, sizeof(k) - 1
        {KEY("DevInfo/DevId"), "device.devid", "IMEI:000000000000000"},
        {KEY("DevInfo/Man"), "device.man", "polydm"},
        {KEY("DevInfo/Mod"), "device.mod", "polydm"},
        {KEY("DevInfo/DmV"), "device.dmv", PDM_VERSION},
        {KEY("DevInfo/Lang"), "device.lang", "en"},
        {KEY("DevDetail/DevTyp"), "device.devtyp", "phone"},
        {KEY("DevDetail/OEM"), "device.oem", ""},
        {KEY("DevDetail/FwV"), "device.fwv", ""},
        {KEY("DevDetail/SwV"), "device.swv", PDM_VERSION},
        {KEY("DevDetail/HwV"), "device.hwv", ""},
        {KEY("DevDetail/LrgObj"), NULL, "true"},
        {KEY("DevDetail/URI/MaxDepth"), "device.max_depth", "0"},
        {KEY("DevDetail/URI/MaxTotLen"), "device.max_tot_len", "0"},
        {KEY("DevDetail/URI/MaxSegLen"), "device.max_seg_len", "0"},
#undef KEY
    };
    const char *key = uri[0] == '.' && uri[1] == '/' ? uri + 2 : uri;
    size_t klen = strlen(key);
    char buf[512];
    const char *v = NULL;
    _Static_assert(PDM__ARRAY_LEN(map) <= PDM__ARRAY_LEN(ctx->dev_profile),
                   "room for every device value");
    if (!ctx->dev_profile_done) {
        /* The profile does not change while the context is open: look
         * every [device] value up once, not on each Get. */
        for (size_t i = 0; i < PDM__ARRAY_LEN(map); i++)
            ctx->dev_profile[i] =
                map[i].profile_key
                    ? pdm__profile_get(ctx->profile, map[i].profile_key)
                    : NULL;
        ctx->dev_profile_done = true;
    }
    for (size_t i = 0; i < PDM__ARRAY_LEN(map); i++) {
        /* Keys of the same length differ in their last bytes ("DevInfo/
         * Man", "DevInfo/Mod"): one word compare there rules most out
         * before the full compare. */
        uint64_t a, b;
        if (map[i].klen != klen)
            continue;
        if (klen >= 8) {
            memcpy(&a, map[i].key + klen - 8, 8);
            memcpy(&b, key + klen - 8, 8);
            if (a != b)
                continue;
        }
        if (memcmp(map[i].key, key, klen) != 0)
            continue;
        /* The URI limits are the tree's own (from the profile), so that
         * what DevDetail says is what the tree enforces. */
        if (ctx->hooks.info && strncmp(key, "DevDetail/URI/", 14) != 0) {
            int rc;
            buf[0] = '\0';
            rc = ctx->hooks.info(ctx->hooks.user, key, buf, sizeof buf);
            buf[sizeof buf - 1] = '\0';
            if (rc == PDM_OK)
                v = buf;
            else if (rc != PDM_ENOTFOUND)
                return rc < 0 ? rc : PDM_ERROR;
        }
        if (!v)
            v = ctx->dev_profile[i];
        if (!v)
            v = map[i].def;
        out->len = strlen(v);
        out->data = pdm__malloc(out->len + 1);
        if (!out->data)
            return PDM_ENOMEM;
        memcpy(out->data, v, out->len + 1);
        return PDM_OK;
    }
    return PDM_ENOTFOUND;
}

static int mo_get(void *user, void *handler, const char *uri, pdm_blob *out)
{
    pdm__mo_binding *b = handler;
    pdm__comp *c = b->comp;
    int rc;
    if (b->kind == PDM_MO_CORE_DEVICE)
        return device_value(user, uri, out);
    if (!c->ops.mo.get)
        return PDM_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    rc = c->ops.mo.get(c->inst, uri, out);
    if (rc != PDM_OK) {
        pdm__free(out->data); /* ownership transfers only on success */
        memset(out, 0, sizeof(*out));
        return rc > 0 ? PDM_ERROR : rc;
    }
    return PDM_OK;
}

static int mo_replace(void *user, void *handler, const char *uri,
                      const pdm_blob *value)
{
    pdm__mo_binding *b = handler;
    (void)user;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.replace)
        return PDM_ENOTALLOWED;
    return b->comp->ops.mo.replace(b->comp->inst, uri, value);
}

/* The plugin's own words for its last failure (host->set_error). */
static const char *mo_why(void *user, void *handler)
{
    pdm__mo_binding *b = handler;
    (void)user;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->plugin->err[0])
        return NULL;
    return b->comp->plugin->err;
}

static int mo_exec(void *user, void *handler, const char *uri,
                   const pdm_blob *data, const char *correlator)
{
    pdm__mo_binding *b = handler;
    int rc;
    (void)user;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.exec)
        return PDM_ENOTALLOWED;
    b->comp->plugin->err[0] = '\0'; /* mo_why reports this call only */
    rc = b->comp->ops.mo.exec(b->comp->inst, uri, data, correlator);
    return rc > PDM_PENDING ? PDM_ERROR : rc;
}

static int mo_notify(void *user, void *handler, int op, const char *uri)
{
    pdm__mo_binding *b = handler;
    (void)user;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.notify)
        return PDM_OK;
    return b->comp->ops.mo.notify(b->comp->inst, op, uri);
}

int pdm__engine_mo_tx(pdm_ctx *ctx, int what)
{
    int rc = PDM_OK;
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL, PDM_KIND_MO); c;
         c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_MO)) {
        const pdm_mo_ops *o = &c->ops.mo;
        int r = PDM_OK;
        if (what == PDM__MO_BEGIN && o->begin)
            r = o->begin(c->inst);
        else if (what == PDM__MO_COMMIT && o->commit)
            r = o->commit(c->inst);
        else if (what == PDM__MO_ROLLBACK && o->rollback)
            o->rollback(c->inst);
        if (r != PDM_OK && rc == PDM_OK)
            rc = r < 0 ? r : PDM_ERROR;
    }
    return rc;
}

void pdm__engine_tree_hooks(pdm_ctx *ctx, pdm__tree_config *cfg)
{
    cfg->policy = policy_hook;
    cfg->policy_user = ctx;
    cfg->mo.user = ctx;
    cfg->mo.get = mo_get;
    cfg->mo.replace = mo_replace;
    cfg->mo.exec = mo_exec;
    cfg->mo.notify = mo_notify;
    cfg->mo.why = mo_why;
}

/* ---- host services ------------------------------------------------------------ */

static int svc_tree_read(void *user, const char *uri, pdm_blob *out)
{
    pdm_ctx *ctx = user;
    pdm__tree_result r;
    pdm__decision d;
    /* The device reading itself: factory principal, no ACL; secrets are
     * still refused by the tree's structural rule. */
    static const pdm__who self = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    int rc;
    if (!ctx->tree)
        return PDM_ENOTSUP;
    rc = pdm__tree_get(ctx->tree, &self, uri, &r, &d);
    if (rc == PDM_ENOTALLOWED)
        return PDM_EDENIED;
    if (rc != PDM_OK)
        return rc;
    if (r.items) {
        /* ?list=Struct/StructData is an answer of many items: plugins
         * walk the tree node by node (or ask for ?list=TNDS). */
        pdm__tree_result_free(&r);
        return PDM_ENOTSUP;
    }
    out->data = r.data;
    out->len = r.len;
    r.data = NULL;
    pdm__tree_result_free(&r);
    return PDM_OK;
}

static int svc_kv_get(void *user, const char *plugin, const char *key,
                      pdm_blob *out)
{
    pdm_ctx *ctx = user;
    if (!ctx->store)
        return PDM_ENOTSUP;
    return pdm__store_kv_get(ctx->store, plugin, key, &out->data, &out->len);
}

static int svc_kv_put(void *user, const char *plugin, const char *key,
                      const void *val, size_t len)
{
    pdm_ctx *ctx = user;
    if (!ctx->store)
        return PDM_ENOTSUP;
    return pdm__store_kv_put(ctx->store, plugin, key, val, len);
}

static int svc_kv_del(void *user, const char *plugin, const char *key)
{
    pdm_ctx *ctx = user;
    if (!ctx->store)
        return PDM_ENOTSUP;
    return pdm__store_kv_del(ctx->store, plugin, key);
}

static int svc_generic_alert(void *user, const char *plugin,
                             const pdm_generic_alert *ga)
{
    (void)plugin;
    return pdm__engine_queue_alert(user, ga->server_id, ga);
}

void pdm__engine_services(pdm_ctx *ctx, pdm__services *svc)
{
    memset(svc, 0, sizeof(*svc));
    svc->user = ctx;
    svc->tree_read = svc_tree_read;
    svc->kv_get = svc_kv_get;
    svc->kv_put = svc_kv_put;
    svc->kv_del = svc_kv_del;
    svc->generic_alert = svc_generic_alert;
}

void pdm__engine_limits(const pdm_ctx *ctx, pdm__uri_limits *lim)
{
    lim->max_depth = (uint32_t)pdm__profile_get_long(ctx->profile,
                                                     "device.max_depth", 0);
    lim->max_tot_len = (uint32_t)pdm__profile_get_long(ctx->profile,
                                                       "device.max_tot_len", 0);
    lim->max_seg_len = (uint32_t)pdm__profile_get_long(ctx->profile,
                                                       "device.max_seg_len", 0);
}
