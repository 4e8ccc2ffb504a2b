/*
 * pdm_ctx lifecycle and plugin introspection (integrator API).
 */
#include "engine/authority.h"
#include "engine/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tree/dmacc.h"
#include "tree/tnds.h"
#include "util/util.h"

PDM_API const char *pdm_version(void) { return PDM_VERSION; }

void pdm__ctx_error(pdm_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    pdm__logf(&ctx->log, PDM_LOG_ERROR, "core", "%s (%s)", ctx->err,
              pdm_strerror(rc));
}

/* Moves every diagnostic to the log; the first error becomes the context's
 * error text. */
static void report_diag(pdm_ctx *ctx, const pdm__diag *d)
{
    bool first = true;
    for (const pdm__diag_item *it = d->head; it; it = it->next) {
        char line[700];
        /* The log level says error or warning: said once. */
        pdm__diag_format_log(it, line, sizeof line);
        pdm__logf(&ctx->log, it->warning ? PDM_LOG_WARN : PDM_LOG_ERROR,
                  "profile", "%s", line);
        if (first && !it->warning) {
            pdm__diag_format(it, line, sizeof line);
            pdm__strlcpy(ctx->err, line, sizeof ctx->err);
            first = false;
        }
    }
}

/* Loads the profile's factory tree (TNDS) into a new store. */
static int load_factory_tree(pdm_ctx *ctx)
{
    const pdm__who factory = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    pdm__decision d;
    uint8_t *data;
    size_t len;
    int rc = pdm__read_file(ctx->profile->factory_tree, 64u << 20, &data, &len);
    if (rc != PDM_OK) {
        pdm__ctx_error(ctx, rc, "%s:%u: factory_tree %s: %s",
                       ctx->profile->file, ctx->profile->factory_tree_line,
                       ctx->profile->factory_tree, pdm_strerror(rc));
        return rc == PDM_ENOTFOUND ? PDM_EINVAL : rc;
    }
    rc = pdm__tnds_import(ctx->tree, &factory, ".", data, len, &d);
    pdm__free(data);
    if (rc != PDM_OK) {
        pdm__ctx_error(ctx, rc, "%s: factory tree refused: %s",
                       ctx->profile->factory_tree, d.reason);
        return rc == PDM_ENOMEM ? rc : PDM_EPARSE;
    }
    return PDM_OK;
}

/* The store opens before the plugins start: their create() may already
 * read their key/value data. */
static int open_store(pdm_ctx *ctx)
{
    char err[512];
    int rc;
    if (!(ctx->flags & PDM_CTX_NO_STORE)) {
        if (!ctx->state_dir) {
            pdm__ctx_error(ctx, PDM_EINVAL, "no state directory given");
            return PDM_EINVAL;
        }
        rc = pdm__store_open(&ctx->store, ctx->state_dir,
                             ((ctx->flags & PDM_CTX_READONLY)
                                  ? PDM_STORE_READONLY | PDM_STORE_NO_CREATE
                                  : 0) |
                                 ((ctx->flags & PDM_CTX_CHECK_STORE)
                                      ? PDM_STORE_CHECK
                                      : 0),
                             err, sizeof err);
        if (rc != PDM_OK) {
            pdm__ctx_error(ctx, rc, "%s", err);
            return rc;
        }
        pdm__store_audit_retention(
            ctx->store,
            (unsigned)pdm__profile_get_long(ctx->profile, "audit.segment_rows",
                                            PDM__AUDIT_SEGMENT_ROWS),
            (unsigned)pdm__profile_get_long(ctx->profile, "audit.segments_kept",
                                            PDM__AUDIT_SEGMENTS_KEPT));
    }
    return PDM_OK;
}

int pdm__engine_build_tree(pdm_ctx *ctx, bool fresh)
{
    int rc = pdm__engine_setup_tree(ctx);
    if (rc == PDM_OK && fresh && ctx->profile->factory_tree)
        rc = load_factory_tree(ctx);
    /* The DM account ACLs (tree/dmacc.h), also for stores written before
     * the rule existed.  A read-only context leaves them: the rules hold
     * without them. */
    if (rc == PDM_OK && !(ctx->flags & PDM_CTX_READONLY)) {
        size_t changed = 0;
        rc = pdm__dmacc_repair(ctx->tree, &changed);
        if (rc == PDM_OK && changed && !fresh)
            pdm__logf(&ctx->log, PDM_LOG_INFO, "core",
                      "the ACLs of %zu DM account node(s) were set to the "
                      "account rule",
                      changed);
    }
    return rc;
}

static int open_tree(pdm_ctx *ctx)
{
    pdm__tree_config tc;
    char err[512];
    bool fresh = ctx->store ? pdm__store_is_new(ctx->store) : true;
    int rc;

    memset(&tc, 0, sizeof tc);
    tc.store = ctx->store;
    tc.log = ctx->log;
    /* The authority's defaults (pdm__authority_defaults). */
    tc.root_add_star = !ctx->auth_root_add_open;
    tc.root_acl = ctx->auth_root_acl;
    tc.dmacc_acl = ctx->auth_dmacc_acl;
    /* Without its plugins the authority's ./DMAcc ACL is unknown: an
     * inspection context must not "repair" it to the spec's. */
    tc.dmacc_acl_unknown = ctx->plugins_absent;
    pdm__engine_limits(ctx, &tc.limits);
    pdm__engine_tree_hooks(ctx, &tc);
    rc = pdm__tree_open(&ctx->tree, &tc, err, sizeof err);
    if (rc != PDM_OK) {
        pdm__ctx_error(ctx, rc, "%s: %s",
                       ctx->store ? pdm__store_path(ctx->store) : "tree", err);
        return rc;
    }
    /* Standard MOs, plugin MOs and the factory tree: one transaction. */
    rc = pdm__tree_begin(ctx->tree);
    if (rc == PDM_OK)
        rc = pdm__engine_build_tree(ctx, fresh);
    if (rc == PDM_OK) {
        rc = pdm__tree_commit(ctx->tree);
        if (rc != PDM_OK)
            pdm__ctx_error(ctx, rc, "cannot write the initial tree: %s",
                           ctx->store ? pdm__store_error(ctx->store) : "");
    } else {
        pdm__tree_abort(ctx->tree);
        if (!ctx->err[0])
            pdm__ctx_error(ctx, rc, "cannot set up the management tree");
    }
    return rc;
}

static int open_ctx(pdm_ctx *ctx, const pdm_config *cfg);

PDM_API int pdm_ctx_open(pdm_ctx **out, const pdm_config *cfg)
{
    pdm_ctx *ctx;
    pdm_config c;
    int rc;

    if (!out)
        return PDM_EINVAL;
    *out = NULL;
    if (!cfg || cfg->struct_size < offsetof(pdm_config, log_level) + sizeof(int))
        return PDM_EINVAL;
    memset(&c, 0, sizeof c);
    memcpy(&c, cfg, cfg->struct_size < sizeof c ? cfg->struct_size : sizeof c);
    ctx = pdm__calloc(1, sizeof(*ctx));
    if (!ctx)
        return PDM_ENOMEM;
    *out = ctx;
    rc = open_ctx(ctx, &c);
    /* Every failure has a text (out of memory where no message could be
     * formatted: its code's). */
    if (rc != PDM_OK && !ctx->err[0])
        pdm__ctx_error(ctx, rc, "%s", pdm_strerror(rc));
    return rc;
}

static int open_ctx(pdm_ctx *ctx, const pdm_config *cfg)
{
    const pdm_config c = *cfg;
    pdm__services svc;
    pdm__diag d;
    int rc;

    ctx->flags = c.flags;
    ctx->log.fn = c.log;
    ctx->log.user = c.log_user;
    ctx->log.level = c.log_level ? c.log_level : PDM_LOG_INFO;
    if (c.hooks) {
        size_t n = c.hooks->struct_size < sizeof ctx->hooks
                       ? c.hooks->struct_size
                       : sizeof ctx->hooks;
        memcpy(&ctx->hooks, c.hooks, n);
    }
    if (!c.profile) {
        pdm__ctx_error(ctx, PDM_EINVAL, "no profile given");
        return PDM_EINVAL;
    }
    if (c.state_dir && !(ctx->state_dir = pdm__strdup(c.state_dir)))
        return PDM_ENOMEM;

    pdm__diag_init(&d);
    pdm__engine_services(ctx, &svc);
    rc = pdm__profile_load(&ctx->profile, c.profile, &d);
    if (rc == PDM_OK)
        rc = open_store(ctx);
    /* Before the plugins start: an alert one queues in its create (work
     * finished since the last run) joins the saved queue instead of
     * overwriting it, and finds its pending Exec. */
    if (rc == PDM_OK) {
        pdm__alerts_load(ctx);
        pdm__lock_load(ctx);
        pdm__integrator_migrate(ctx);
    }
    if (rc == PDM_OK && !(ctx->flags & PDM_CTX_NO_PLUGINS)) {
        rc = pdm__plugins_start(&ctx->plugins, ctx->profile,
                                pdm__plugin_search_path(c.plugin_path), &svc,
                                &ctx->log, &d);
        ctx->plugins_started = rc == PDM_OK;
    } else if (rc == PDM_OK) {
        rc = pdm__loader_check_profile(ctx->profile,
                                       pdm__plugin_search_path(c.plugin_path),
                                       &d);
        /* An inspection context: none of the listed plugins' policies
         * runs, so nothing they would have to decide may happen. */
        ctx->plugins_absent = ctx->profile->nplugins > 0;
    }
    report_diag(ctx, &d);
    pdm__diag_free(&d);
    /* The authority's defaults: after its create(), before the tree (and
     * its factory tree) exists. */
    if (rc == PDM_OK && ctx->plugins_started)
        rc = pdm__authority_defaults(ctx);
    if (rc == PDM_OK)
        rc = open_tree(ctx);
    /* Alerts and pending Execs of servers whose account was deleted
     * (by a session, the local user or another process) go: they would
     * wait for ever. */
    if (rc == PDM_OK)
        pdm__alerts_prune(ctx);
    if (rc == PDM_OK)
        ctx->ready = true;
    /* A factory reset scheduled and not done (interrupted, or scheduled
     * by a plugin's create): before anything else uses the context. */
    if (rc == PDM_OK)
        pdm__reset_maybe_run(ctx);
    return rc;
}

PDM_API void pdm_ctx_close(pdm_ctx *ctx)
{
    if (!ctx)
        return;
    /* Plugins stop first, while what their destroy and fini reach
     * through host services (store, log, alert queue, options) is alive.
     * The tree is not readable any more: its policies and MO handlers are
     * the components being stopped (tree_read answers PDM_ENOTSUP). */
    ctx->closing = true;
    if (ctx->plugins_started)
        pdm__plugins_stop(&ctx->plugins);
    ctx->plugins_started = false;
    /* The tree's MO bindings point at stopped components: freeing the
     * tree never calls them. */
    pdm__tree_free(ctx->tree);
    ctx->tree = NULL;
    pdm__store_close(ctx->store);
    ctx->store = NULL;
    pdm__free(ctx->plugin_mos);
    pdm__engine_free_alerts(ctx->alerts);
    pdm__engine_free_pending(ctx->pending);
    pdm__alerts_free_once(ctx);
    for (size_t i = 0; i < ctx->bs_npending; i++)
        pdm__free(ctx->bs_pending[i]);
    pdm__free(ctx->bs_pending);
    pdm__local_free(ctx);
    pdm__profile_free(ctx->profile);
    pdm__free(ctx->auth_root_acl);
    pdm__free(ctx->auth_dmacc_acl);
    pdm__free(ctx->state_dir);
    pdm__free(ctx);
}

PDM_API const char *pdm_ctx_last_error(const pdm_ctx *ctx)
{
    return ctx ? ctx->err : "";
}

PDM_API const char *pdm_ctx_profile_id(const pdm_ctx *ctx)
{
    return ctx && ctx->profile && ctx->profile->id ? ctx->profile->id : "";
}

PDM_API size_t pdm_ctx_plugin_count(const pdm_ctx *ctx)
{
    return ctx && ctx->plugins_started ? ctx->plugins.n : 0;
}

PDM_API int pdm_ctx_plugin_info(pdm_plugin_info *out, const pdm_ctx *ctx,
                                size_t i)
{
    const pdm__plugin *p;
    if (!out || !ctx)
        return PDM_EINVAL;
    if (i >= pdm_ctx_plugin_count(ctx))
        return PDM_ENOTFOUND;
    p = ctx->plugins.v[i];
    out->name = p->name;
    out->version = p->desc.version ? p->desc.version : "";
    out->summary = p->desc.summary ? p->desc.summary : "";
    out->path = p->path ? p->path : "";
    out->abi_major = p->desc.abi_major;
    out->abi_minor = p->desc.abi_minor;
    out->ncomponents = p->ncomps;
    return PDM_OK;
}

PDM_API int pdm_ctx_component(const char **kind, const char **name,
                              const pdm_ctx *ctx, size_t i, size_t j)
{
    const pdm__plugin *p;
    if (!ctx)
        return PDM_EINVAL;
    if (i >= pdm_ctx_plugin_count(ctx))
        return PDM_ENOTFOUND;
    p = ctx->plugins.v[i];
    if (j >= p->ncomps)
        return PDM_ENOTFOUND;
    if (kind)
        *kind = pdm__kind_name(p->comps[j].kind);
    if (name)
        *name = p->comps[j].name;
    return PDM_OK;
}
