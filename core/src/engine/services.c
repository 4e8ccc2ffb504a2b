/*
 * Glue between the tree, the store and the plugins: the policy hook
 * (deny-overrides over the profile's policy components, fail closed), MO
 * handler dispatch (plugins and the core's device MOs), and the host
 * services plugins call (tree_read, key/value data).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/authority.h"
#include "engine/engine.h"
#include "util/util.h"

/* ---- plugin results ------------------------------------------------------ */

/* What a plugin's failure becomes in the core: its own rc when it is an
 * error this core knows, PDM_ERROR otherwise.  A positive or unknown value
 * is never read as success (types.h: "rc < 0 always means failure", and
 * only PDM_OK is success unless a method documents PDM_PENDING). */
static int plugin_failure(int rc)
{
    return rc < 0 && rc >= PDM_RC_MIN ? rc : PDM_ERROR;
}

/* ---- policies ------------------------------------------------------------- */

/* A policy refusal: rule "policy", decided by @component. */
#define deny(dec, component, ...) \
    pdm__decide(dec, PDM_EDENIED, "policy", component, __VA_ARGS__)

static int policy_hook(void *user, const pdm_policy_req *in,
                       pdm__decision *dec)
{
    pdm_ctx *ctx = user;
    /* Every request the core asks passes here (tree operations, sessions,
     * package 0, bootstrap, the local user): the one place the lock's
     * flag is set (PDM_REQ_DEVICE_LOCKED, policy.h). */
    pdm_policy_req lreq = *in;
    const pdm_policy_req *req = &lreq;
    if (ctx->lock_level != PDM_LOCK_NONE) {
        lreq.flags |= PDM_REQ_DEVICE_LOCKED;
        /* Who locked it, as the lock record says: the lock policy keeps
         * the authority there while root ownership moves (policy.h). */
        if (ctx->lock_server[0])
            lreq.lock_server = ctx->lock_server;
    }
    /* The factory tree is the device's own configuration: it is loaded
     * even by a context that runs no plugins. */
    if (ctx->plugins_absent && req->principal != PDM_PRINCIPAL_FACTORY)
        return deny(dec, "core",
                    "the profile's plugins are not running (context opened "
                    "without plugins): its policies cannot decide, request "
                    "refused");
    if (ctx->in_policy) {
        /* A request from inside a policy's check() (its host->tree_read):
         * asking the policies again would recurse without bound.  It is
         * the device reading itself to make a decision, so it is answered
         * without policies, and only as a read: the tree has already
         * applied its structural rules (secrets stay unreadable). */
        if (req->op == PDM_OP_GET && req->principal == PDM_PRINCIPAL_FACTORY)
            return PDM_OK;
        return deny(dec, "core",
                    "request made inside the check of policy %s/%s refused: "
                    "only reads are answered there",
                    ctx->in_policy->plugin->name, ctx->in_policy->name);
    }
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL, PDM_KIND_POLICY);
         c; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_POLICY)) {
        char who[sizeof dec->component];
        pdm_verdict v;
        int rc;
        memset(&v, 0, sizeof v);
        c->plugin->err[0] = '\0';
        ctx->in_policy = c;
        rc = c->ops.policy.check(c->inst, req, &v);
        ctx->in_policy = NULL;
        v.reason[sizeof v.reason - 1] = '\0';
        snprintf(who, sizeof who, "policy:%s/%s", c->plugin->name, c->name);
        /* Only PDM_OK with a known decision and zero reserved fields
         * counts: an error, a positive rc, an unknown decision or a set
         * reserved field is a denial (fail closed). */
        if (rc < 0)
            return deny(dec, who, "policy failed (%s), request denied: %.150s",
                        pdm_strerror(rc),
                        c->plugin->err[0] ? c->plugin->err : "no details");
        if (rc != PDM_OK)
            return deny(dec, who,
                        "policy returned %d instead of PDM_OK: request denied",
                        rc);
        /* A reserved field may get a meaning one day: an answer that sets
         * it cannot be read by this core, so it is no answer (denied). */
        if (v.reserved != 0)
            return deny(dec, who,
                        "policy set pdm_verdict.reserved to %u (must be 0): "
                        "request denied",
                        (unsigned)v.reserved);
        if (v.decision == PDM_DENY)
            return deny(dec, who, "%s",
                        v.reason[0] ? v.reason : "denied by policy");
        if (v.decision != PDM_ALLOW && v.decision != PDM_ABSTAIN)
            return deny(dec, who,
                        "policy answered unknown decision %u: denied",
                        (unsigned)v.decision);
    }
    return PDM_OK;
}

int pdm__engine_policy(pdm_ctx *ctx, const pdm_policy_req *req,
                       pdm__decision *dec)
{
    memset(dec, 0, sizeof *dec);
    if (policy_hook(ctx, req, dec) == PDM_OK)
        return PDM_OK;
    dec->rc = PDM_EDENIED;
    return PDM_EDENIED;
}

const char *pdm__engine_unusable(const pdm_ctx *ctx)
{
    if (!ctx->ready || ctx->closing)
        return "the context is not open (pdm_ctx_open failed or it is "
               "closing)";
    if (ctx->plugins_absent)
        return "the profile's plugins are not running (context opened with "
               "PDM_CTX_NO_PLUGINS): no policy can decide";
    return NULL;
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
            if (v && (rc = pdm__stdmo_check_hook_value(ctx, key, v)) != PDM_OK)
                return rc;
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

/* Around every MO handler method called for a server's command: a Generic
 * Alert the handler queues meanwhile without a server id belongs to that
 * server (NULL for the local user: such an alert is refused). */
static const char *mo_call_begin(pdm_ctx *ctx)
{
    const char *outer = ctx->mo_call_server;
    ctx->mo_call_server = ctx->cmd_server;
    return outer;
}

static void mo_call_end(pdm_ctx *ctx, const char *outer)
{
    ctx->mo_call_server = outer;
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
    {
        const char *outer = mo_call_begin(user);
        rc = c->ops.mo.get(c->inst, uri, out);
        mo_call_end(user, outer);
    }
    if (rc != PDM_OK) {
        /* Rule 3: ownership transfers only on success.  What the plugin
         * left in *out is still its own (maybe already freed): ignored. */
        memset(out, 0, sizeof(*out));
        return plugin_failure(rc);
    }
    if (!out->data) {
        /* A blob's data may be NULL only when it is empty (a broken
         * answer is a failure); callers get a buffer as for stored
         * values. */
        if (out->len) {
            out->len = 0;
            return PDM_ERROR;
        }
        if (!(out->data = pdm__malloc(1)))
            return PDM_ENOMEM;
        out->data[0] = 0;
    }
    return PDM_OK;
}

static int mo_replace(void *user, void *handler, const char *uri,
                      const pdm_blob *value)
{
    pdm__mo_binding *b = handler;
    const char *outer;
    int rc;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.replace)
        return PDM_ENOTALLOWED;
    outer = mo_call_begin(user);
    rc = b->comp->ops.mo.replace(b->comp->inst, uri, value);
    mo_call_end(user, outer);
    return rc == PDM_OK ? PDM_OK : plugin_failure(rc);
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
    pdm_ctx *ctx = user;
    pdm__mo_binding *b = handler;
    const char *outer;
    int rc;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.exec)
        return PDM_ENOTALLOWED;
    b->comp->plugin->err[0] = '\0'; /* mo_why reports this call only */
    outer = mo_call_begin(user);
    /* Whose Exec this is, recorded (and saved) before the handler runs:
     * its result may come later, maybe in another process, or during
     * this very call (then it consumes the record), or from the
     * handler's create() after a crash inside this call -- each finds
     * its server by this record.  Recorded only after the call, a
     * result queued during it left a record that no result would ever
     * consume, and a crash inside it left none: the result was refused
     * (issue 13, the lock's kill -9 test). */
    if (pdm__alerts_exec_pending(ctx, ctx->mo_call_server, uri,
                                 correlator) != PDM_OK) {
        mo_call_end(user, outer);
        return PDM_ENOMEM; /* a result nobody could take: not started */
    }
    ctx->mo_exec_uri = uri;
    ctx->mo_exec_corr = correlator;
    rc = b->comp->ops.mo.exec(b->comp->inst, uri, data, correlator);
    ctx->mo_exec_uri = ctx->mo_exec_corr = NULL;
    /* Not accepted as pending (done, or refused): no result follows. */
    if (rc != PDM_PENDING)
        pdm__alerts_exec_settled(ctx, ctx->mo_call_server, uri, correlator);
    mo_call_end(user, outer);
    return rc == PDM_OK || rc == PDM_PENDING ? rc : plugin_failure(rc);
}

static int mo_notify(void *user, void *handler, int op, const char *uri)
{
    pdm__mo_binding *b = handler;
    const char *outer;
    int rc;
    if (b->kind != PDM_MO_PLUGIN || !b->comp->ops.mo.notify)
        return PDM_OK;
    outer = mo_call_begin(user);
    rc = b->comp->ops.mo.notify(b->comp->inst, op, uri);
    mo_call_end(user, outer);
    return rc == PDM_OK ? PDM_OK : plugin_failure(rc);
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
            rc = plugin_failure(r);
    }
    return rc;
}

void pdm__engine_tree_hooks(pdm_ctx *ctx, pdm__tree_config *cfg)
{
    cfg->policy = policy_hook;
    cfg->policy_user = ctx;
    cfg->override = pdm__authority_override;
    cfg->override_user = ctx;
    cfg->mo.user = ctx;
    cfg->mo.get = mo_get;
    cfg->mo.replace = mo_replace;
    cfg->mo.exec = mo_exec;
    cfg->mo.notify = mo_notify;
    cfg->mo.why = mo_why;
}

/* ---- host services ------------------------------------------------------------ */

/* How deep host tree reads may nest: a policy reading a handler's value
 * whose get() reads again is a design; a handler reading itself through
 * the tree is a loop, which this bounds. */
#define MAX_HOST_READ_NESTING 4

static int svc_tree_read(void *user, const char *uri, pdm_blob *out)
{
    pdm_ctx *ctx = user;
    pdm__tree_result r;
    pdm__decision d;
    /* The device reading itself: factory principal, no ACL; secrets are
     * still refused by the tree's structural rule. */
    static const pdm__who self = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    int rc;
    /* Before the tree exists (create) and from the moment the context
     * closes (destroy, fini: the policies and MO handlers are the plugins
     * being stopped) there is no tree to read. */
    if (!ctx->tree || ctx->closing)
        return PDM_ENOTSUP;
    if (ctx->host_reads >= MAX_HOST_READ_NESTING)
        return PDM_EBUSY;
    ctx->host_reads++;
    rc = pdm__tree_get(ctx->tree, &self, uri, &r, &d);
    ctx->host_reads--;
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
    int rc;
    if (!ctx->store)
        return PDM_ENOTSUP;
    rc = pdm__store_kv_del(ctx->store, plugin, key);
    return rc == PDM_ENOTFOUND ? PDM_OK : rc; /* plugin.h: OK if absent */
}

/* An alert without a server id is bound now, on evidence only: to the
 * server whose accepted Exec it reports (its correlator/source), else to
 * the server whose command the plugin's MO method is handling; with
 * neither nobody can tell whose result it is, so it is refused rather
 * than left to whichever session runs next (alerts.c). */
static int svc_generic_alert(void *user, const char *plugin,
                             const pdm_generic_alert *ga)
{
    pdm_ctx *ctx = user;
    char scope[128];
    snprintf(scope, sizeof scope, "plugin:%s", plugin);
    return pdm__engine_queue_alert(ctx, ctx->mo_call_server, ga, plugin,
                                   scope);
}

/* A plugin's own PIN (the SIM's), asked through the device's pin hook
 * with sec PDM_SEC_NONE.  Not from create/init (no tree yet) nor from
 * destroy/fini (closing): the same window as tree_read, so a plugin
 * never prompts the user while the context is starting or stopping. */
static int svc_ask_pin(void *user, const char *plugin, const char *text,
                       int tries_left, char *buf, size_t size)
{
    pdm_ctx *ctx = user;
    pdm_pin_request rq;
    /* ctx->hooks is zero-padded to the integrator's struct_size
     * (pdm_ctx_open): an older hooks struct has no pin member. */
    if (!ctx->tree || ctx->closing || !ctx->hooks.pin)
        return PDM_ENOTSUP;
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.sec = PDM_SEC_NONE;
    rq.origin = PDM_ORIGIN_UNKNOWN;
    rq.attempt = 1;
    rq.text = text;
    rq.plugin = plugin;
    rq.tries_left = tries_left;
    return ctx->hooks.pin(ctx->hooks.user, &rq, buf, size);
}

static int svc_root_owner(void *user, const char **out)
{
    pdm_ctx *ctx = user;
    /* Same window as tree_read: the fact lives in the tree. */
    if (!ctx->tree || ctx->closing)
        return PDM_ENOTSUP;
    *out = pdm__tree_root_owner(ctx->tree);
    return PDM_OK;
}

static int svc_set_lock(void *user, const char *plugin, uint32_t level,
                        const char *server_id)
{
    return pdm__lock_set(user, plugin, level, server_id);
}

static int svc_get_lock(void *user, uint32_t *level)
{
    const pdm_ctx *ctx = user;
    *level = ctx->lock_level;
    return PDM_OK;
}

static int svc_device_action(void *user, const char *plugin,
                             const pdm_device_action *a, char *reason,
                             size_t size)
{
    return pdm__device_action(user, plugin, a, reason, size);
}

static int svc_wipe_classes(void *user, const char *plugin, char *buf,
                            size_t size)
{
    return pdm__device_wipe_classes(user, plugin, buf, size);
}

static int svc_factory_reset(void *user, const char *plugin)
{
    return pdm__reset_schedule(user, plugin);
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
    svc->ask_pin = svc_ask_pin;
    svc->root_owner = svc_root_owner;
    svc->set_lock = svc_set_lock;
    svc->get_lock = svc_get_lock;
    svc->device_action = svc_device_action;
    svc->wipe_classes = svc_wipe_classes;
    svc->factory_reset = svc_factory_reset;
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
