/*
 * The lost-device services (seed S1, ABI 1.4; engine.h): the lock level,
 * a stored fact of the core's own; the device actions and wipe classes a
 * plugin asks of the integrator's device hooks; the factory reset.
 *
 * Stored (kv "core"):
 *   "lock"          "L1\t<level>\t<since>\t<plugin>\t<server>\n" (server
 *                   and plugin may be empty; none of them holds a tab or
 *                   a newline: checked before they are stored)
 *   "factory-reset" "R1\t<unix time>\t<plugin>\t<server>\n" while a reset
 *                   is scheduled and not done
 * Both are written at once with their audit row in one store
 * transaction, never with a package: a package rolled back after a
 * plugin locked the device must not unlock it.
 *
 * The factory reset (pdm__reset_maybe_run) runs when no session object
 * is open: outside sessions at once, else when the last one is closed
 * (pdm_session_close: after its final package, whatever its outcome), or
 * at the next open.  Its steps are each idempotent and the schedule
 * record goes last, so an interrupted reset runs again from the start
 * at the next open:
 *   1. what lives beside the tree: alert queue, pending Execs, delivered
 *      once_keys, pending first sessions, bootstrap records, package 0
 *      replay and resync records, nonces;
 *   2. the tree, in ONE transaction with the "FactoryReset" audit row:
 *      every node but the root goes, the root gets its default ACL and
 *      no owner, the account records go, and the tree is built again as
 *      for a new store (standard MOs, plugin MO nodes, the profile's
 *      factory tree: factory nodes come back with the factory's values);
 *      ServerIDs of accounts that did not come back are scrubbed from
 *      the ACLs left (TND §6.8);
 *   3. the lock level becomes PDM_LOCK_NONE (after the tree: a failed
 *      reset leaves the device locked, fail closed);
 *   4. the schedule record goes.
 * Plugins' own key/value data is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "engine/authority.h"
#include "engine/engine.h"
#include "tree/dmacc.h"
#include "util/util.h"

#define KV_LOCK "lock"
#define KV_RESET "factory-reset"

static const char *level_name(uint32_t level)
{
    return level == PDM_LOCK_FULL      ? "full"
           : level == PDM_LOCK_PARTIAL ? "partial"
                                       : "none";
}

/* One line of text without a tab, at most @max bytes: what the records
 * and the audit rows may carry. */
static bool field_ok(const char *s, size_t max)
{
    size_t n, bad;
    if (!s)
        return true;
    n = strnlen(s, max + 1);
    return n <= max && pdm__text_line_ok(s, n, &bad) && !memchr(s, '\t', n);
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Writes @val to kv "core"/@key and one audit row in one store
 * transaction.  PDM_OK or PDM_EIO (nothing written). */
static int write_with_audit(pdm_ctx *ctx, const char *key, const char *val,
                            const char *principal, const char *op,
                            const char *component, const char *reason)
{
    pdm__audit_rec r;
    int rc = pdm__store_begin(ctx->store);
    memset(&r, 0, sizeof r);
    r.ts_ms = now_ms();
    r.principal = principal;
    r.op = op;
    r.decision = "info";
    r.component = component;
    r.reason = reason;
    if (rc == PDM_OK)
        rc = pdm__store_kv_put(ctx->store, "core", key,
                               (const uint8_t *)val, strlen(val));
    if (rc == PDM_OK)
        rc = pdm__store_audit_add(ctx->store, &r);
    if (rc == PDM_OK)
        rc = pdm__store_commit(ctx->store);
    else
        pdm__store_rollback(ctx->store);
    if (rc != PDM_OK) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core", "cannot store %s: %s",
                  key, pdm__store_error(ctx->store));
        return PDM_EIO;
    }
    return PDM_OK;
}

/* ---- the lock level ------------------------------------------------------------- */

/* Splits "L1\t..." into its tab-separated fields in place. */
static size_t split(char *s, char **f, size_t max)
{
    size_t n = 0;
    char *nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
    while (n < max) {
        char *t = strchr(s, '\t');
        f[n++] = s;
        if (!t)
            break;
        *t = '\0';
        s = t + 1;
    }
    return n;
}

void pdm__lock_load(pdm_ctx *ctx)
{
    uint8_t *v = NULL;
    size_t len = 0;
    char *f[5];
    int rc;
    ctx->lock_level = PDM_LOCK_NONE;
    ctx->reset_pending = false;
    if (!ctx->store)
        return;
    rc = pdm__store_kv_get(ctx->store, "core", KV_LOCK, &v, &len);
    if (rc == PDM_OK) {
        char *s = pdm__strndup((const char *)v, len);
        char *end = NULL;
        long lvl = -1;
        if (s && !memchr(v, 0, len) && split(s, f, 5) == 5 &&
            strcmp(f[0], "L1") == 0) {
            lvl = strtol(f[1], &end, 10);
            if (!*f[1] || *end || lvl < PDM_LOCK_NONE || lvl > PDM_LOCK_FULL)
                lvl = -1;
        }
        if (lvl < 0) {
            /* A lock nobody can read is a lock (fail closed). */
            ctx->lock_level = PDM_LOCK_FULL;
            pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                      "the stored lock level is damaged: the device counts "
                      "as fully locked");
        } else {
            ctx->lock_level = (uint32_t)lvl;
            ctx->lock_since = strtoll(f[2], NULL, 10);
            pdm__strlcpy(ctx->lock_plugin, f[3], sizeof ctx->lock_plugin);
            pdm__strlcpy(ctx->lock_server, f[4], sizeof ctx->lock_server);
        }
        pdm__free(s);
        pdm__free(v);
    } else if (rc != PDM_ENOTFOUND) {
        ctx->lock_level = PDM_LOCK_FULL;
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "core",
                  "cannot read the stored lock level (%s): the device "
                  "counts as fully locked",
                  pdm_strerror(rc));
    }
    v = NULL;
    rc = pdm__store_kv_get(ctx->store, "core", KV_RESET, &v, &len);
    /* Unreadable or not: a record there means a reset is owed. */
    ctx->reset_pending = rc == PDM_OK;
    pdm__free(v);
}

uint32_t pdm__lock_auth_flags(const pdm_ctx *ctx)
{
    return ctx->lock_level != PDM_LOCK_NONE ? PDM_AUTH_INFO_DEVICE_LOCKED : 0;
}

/* The server a plugin acts for: the one it names, else the one whose
 * command its MO method is handling now, else none. */
static const char *acting_server(const pdm_ctx *ctx, const char *server_id)
{
    return server_id ? server_id : ctx->mo_call_server;
}

/* Stores @level as set by @plugin for @server (may be NULL) with its
 * audit row.  @principal names who (a plugin or the reset). */
static int lock_store(pdm_ctx *ctx, uint32_t level, const char *plugin,
                      const char *server, const char *principal,
                      const char *why)
{
    char rec[512], reason[512];
    int64_t since = (int64_t)time(NULL);
    int rc;
    snprintf(rec, sizeof rec, "L1\t%u\t%lld\t%s\t%s\n", (unsigned)level,
             (long long)since, plugin, server ? server : "");
    snprintf(reason, sizeof reason, "lock level %s (was %s)%s%s%s",
             level_name(level), level_name(ctx->lock_level),
             server ? ", ordered by " : "", server ? server : "", why);
    rc = write_with_audit(ctx, KV_LOCK, rec, principal, "DeviceLock", plugin,
                          reason);
    if (rc != PDM_OK)
        return rc;
    pdm__logf(&ctx->log, PDM_LOG_INFO, "core", "%s", reason);
    ctx->lock_level = level;
    ctx->lock_since = since;
    pdm__strlcpy(ctx->lock_plugin, plugin, sizeof ctx->lock_plugin);
    pdm__strlcpy(ctx->lock_server, server ? server : "",
                 sizeof ctx->lock_server);
    return PDM_OK;
}

int pdm__lock_set(pdm_ctx *ctx, const char *plugin, uint32_t level,
                  const char *server_id)
{
    const char *srv = acting_server(ctx, server_id);
    char principal[300];
    if (level > PDM_LOCK_FULL || (server_id && !*server_id) ||
        !field_ok(srv, 255))
        return PDM_EINVAL;
    if (!ctx->store || (ctx->flags & PDM_CTX_READONLY))
        return PDM_ENOTSUP;
    if (level == ctx->lock_level)
        return PDM_OK;
    snprintf(principal, sizeof principal, "plugin:%s", plugin);
    return lock_store(ctx, level, plugin, srv, principal, "");
}

PDM_API int pdm_ctx_lock_info(pdm_ctx *ctx, pdm_lock_info *out)
{
    uint32_t size;
    if (!ctx || !out || out->struct_size < sizeof *out)
        return PDM_EINVAL;
    size = out->struct_size;
    memset(out, 0, sizeof *out);
    out->struct_size = size;
    out->level = ctx->lock_level;
    out->since = ctx->lock_since;
    pdm__strlcpy(out->server_id, ctx->lock_server, sizeof out->server_id);
    pdm__strlcpy(out->plugin, ctx->lock_plugin, sizeof out->plugin);
    out->reset_pending = ctx->reset_pending ? 1 : 0;
    return PDM_OK;
}

/* ---- device actions -------------------------------------------------------------- */

static const char *const action_names[] = {
    NULL, "lock-full", "lock-partial", "unlock", "wipe", "factory-reset",
    "capability"};

/* The most data classes one action names (pdm_device_action.nclasses). */
#define MAX_CLASSES 64
#define CLASS_MAX 32

static bool class_name_ok(const char *s, size_t n)
{
    if (!n || n > CLASS_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Why @a cannot be handed to the device, or NULL. */
static const char *bad_action(const pdm_device_action *a)
{
    if (a->kind < PDM_DEVACT_LOCK_FULL || a->kind > PDM_DEVACT_CAPABILITY)
        return "unknown kind";
    if (a->notify_user > 1)
        return "notify_user is not 0 or 1";
    if (a->server_id && (!*a->server_id || !field_ok(a->server_id, 255)))
        return "server_id is not a ServerID";
    if (a->kind == PDM_DEVACT_WIPE) {
        if (!a->classes || !a->nclasses || a->nclasses > MAX_CLASSES)
            return "a wipe names 1 to 64 data classes";
        for (size_t i = 0; i < a->nclasses; i++)
            if (!a->classes[i] ||
                !class_name_ok(a->classes[i],
                               strnlen(a->classes[i], CLASS_MAX + 1)))
                return "a data class name is not [A-Za-z0-9_-], 1 to 32 "
                       "bytes";
    } else if (a->classes || a->nclasses) {
        return "classes given for an action that is no wipe";
    }
    if (a->kind == PDM_DEVACT_CAPABILITY) {
        if (!a->capability || (strcmp(a->capability, "sms") != 0 &&
                               strcmp(a->capability, "voice") != 0 &&
                               strcmp(a->capability, "data") != 0))
            return "capability is not sms, voice or data";
        if (a->enable > 1)
            return "enable is not 0 or 1";
    } else if (a->capability || a->enable) {
        return "capability given for an action that is no capability switch";
    }
    return NULL;
}

int pdm__device_action(pdm_ctx *ctx, const char *plugin,
                       const pdm_device_action *in, char *reason,
                       size_t size)
{
    pdm_device_action a;
    const char *why, *name;
    char r[256];
    size_t bad;
    int rc;
    if (reason && size)
        reason[0] = '\0';
    if (!in || in->struct_size < sizeof a || (reason && !size))
        return PDM_EINVAL;
    /* A newer plugin's bigger struct is read as far as this core knows. */
    a = *in;
    a.struct_size = sizeof a;
    if ((why = bad_action(&a))) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, plugin,
                  "device action refused: %s", why);
        return PDM_EINVAL;
    }
    name = action_names[a.kind];
    if (!a.server_id)
        a.server_id = ctx->mo_call_server;
    /* ctx->hooks is zero-padded to the integrator's struct_size: an
     * older hooks struct has no action member. */
    if (!ctx->hooks.action) {
        pdm__logf(&ctx->log, PDM_LOG_INFO, plugin,
                  "device action %s for %s: the device has no action hook "
                  "(not done)",
                  name, a.server_id ? a.server_id : "(no server)");
        return PDM_ENOTSUP;
    }
    r[0] = '\0';
    rc = ctx->hooks.action(ctx->hooks.user, &a, r, sizeof r);
    r[sizeof r - 1] = '\0';
    if (rc > 0 || rc < PDM_RC_MIN)
        rc = PDM_ERROR; /* a hook's success is 0 only */
    if (rc == PDM_OK || !pdm__text_line_ok(r, strlen(r), &bad))
        r[0] = '\0'; /* "" on success; never a broken line */
    pdm__logf(&ctx->log, PDM_LOG_INFO, plugin,
              "device action %s for %s: %s%s%s", name,
              a.server_id ? a.server_id : "(no server)",
              rc == PDM_OK ? "done" : pdm_strerror(rc), r[0] ? ": " : "", r);
    if (reason && size)
        pdm__strlcpy(reason, r, size);
    return rc;
}

int pdm__device_wipe_classes(pdm_ctx *ctx, const char *plugin, char *buf,
                             size_t size)
{
    char v[1024];
    size_t n, start = 0;
    int rc;
    if (!buf || !size)
        return PDM_EINVAL;
    buf[0] = '\0';
    if (!ctx->hooks.wipe_classes)
        return PDM_ENOTFOUND;
    memset(v, 0, sizeof v);
    rc = ctx->hooks.wipe_classes(ctx->hooks.user, v, sizeof v);
    if (rc == PDM_ENOTFOUND)
        return rc;
    if (rc != PDM_OK)
        return rc > 0 || rc < PDM_RC_MIN ? PDM_ERROR : rc;
    n = strnlen(v, sizeof v);
    if (n == sizeof v)
        goto bad;
    /* Names separated by ',', none empty. */
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != ',')
            continue;
        if (!class_name_ok(v + start, i - start))
            goto bad;
        start = i + 1;
    }
    if (n >= size)
        return PDM_ENOSPC;
    memcpy(buf, v, n + 1);
    return PDM_OK;
bad:
    pdm__logf(&ctx->log, PDM_LOG_ERROR, plugin,
              "the device's wipe_classes hook gave no list of class names "
              "([A-Za-z0-9_-], 1 to 32 bytes each, ',' between): ignored");
    return PDM_EINVAL;
}

/* ---- the factory reset ---------------------------------------------------------- */

int pdm__reset_schedule(pdm_ctx *ctx, const char *plugin)
{
    const char *srv = ctx->mo_call_server;
    char rec[512], reason[512], principal[300];
    int rc;
    if (!ctx->store || (ctx->flags & PDM_CTX_READONLY))
        return PDM_ENOTSUP;
    if (!ctx->reset_pending) {
        snprintf(rec, sizeof rec, "R1\t%lld\t%s\t%s\n",
                 (long long)time(NULL), plugin,
                 srv && field_ok(srv, 255) ? srv : "");
        snprintf(reason, sizeof reason,
                 "factory reset scheduled%s%s: it runs when no session is "
                 "open",
                 srv ? ", ordered by " : "", srv ? srv : "");
        snprintf(principal, sizeof principal, "plugin:%s", plugin);
        rc = write_with_audit(ctx, KV_RESET, rec, principal, "FactoryReset",
                              plugin, reason);
        if (rc != PDM_OK)
            return rc;
        ctx->reset_pending = true;
        pdm__logf(&ctx->log, PDM_LOG_WARN, "core", "%s", reason);
    }
    pdm__reset_maybe_run(ctx);
    return PDM_OK;
}

/* The ServerIDs of the DM accounts now (pdm__free each and the array). */
static char **account_ids(pdm_ctx *ctx, size_t *n)
{
    const pdm__node *dm = pdm__dmacc_root(ctx->tree);
    char **v = NULL;
    size_t k = 0, cap = 0;
    *n = 0;
    for (pdm__node *c = dm ? pdm__node_first_child(dm) : NULL; c;
         c = pdm__node_next_sibling(c)) {
        size_t len;
        const uint8_t *sid = pdm__dmacc_server_id(ctx->tree, c, &len);
        if (!sid)
            continue;
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **nv = pdm__realloc(v, nc * sizeof *nv);
            if (!nv)
                break;
            v = nv;
            cap = nc;
        }
        if ((v[k] = pdm__strndup((const char *)sid, len)))
            k++;
    }
    *n = k;
    return v;
}

/* Step 2: the tree, inside the open transaction. */
static int rebuild_tree(pdm_ctx *ctx, char **old, size_t nold,
                        size_t *scrubbed, char *err, size_t errlen)
{
    pdm__tree *t = ctx->tree;
    pdm__node *c;
    int rc = PDM_OK;
    while (rc == PDM_OK && (c = pdm__node_first_child(pdm__tree_root(t)))) {
        pdm__buf p;
        pdm__buf_init(&p);
        pdm__node_path(c, &p);
        pdm__buf_putc(&p, '\0');
        rc = pdm__buf_ok(&p) ? pdm__tree_remove(t, (const char *)p.data)
                             : PDM_ENOMEM;
        pdm__buf_free(&p);
    }
    if (rc == PDM_OK)
        rc = pdm__tree_set_acl(t, ".",
                               ctx->auth_root_acl ? ctx->auth_root_acl
                                                  : PDM_ACL_ROOT_DEFAULT,
                               err, errlen);
    if (rc == PDM_OK)
        rc = pdm__tree_set_root_owner(t, NULL);
    if (rc == PDM_OK)
        rc = pdm__authority_records_clear(ctx);
    if (rc == PDM_OK)
        rc = pdm__engine_build_tree(ctx, true);
    for (size_t i = 0; rc == PDM_OK && i < nold; i++) {
        pdm__node *acc = NULL;
        size_t n = 0;
        if (pdm__dmacc_find(t, old[i], &acc, NULL) != PDM_ENOTFOUND ||
            !pdm__acl_valid_server_id(old[i], strlen(old[i])))
            continue;
        rc = pdm__tree_scrub_server_id(t, old[i], NULL, &n);
        *scrubbed += n;
    }
    return rc;
}

static void reset_run(pdm_ctx *ctx)
{
    static const pdm__who core = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0, NULL};
    pdm__decision d;
    size_t nold = 0, scrubbed = 0, before = pdm__tree_count(ctx->tree);
    char **old, err[200] = "";
    int rc;

    ctx->resetting = true;
    pdm__logf(&ctx->log, PDM_LOG_WARN, "core", "factory reset: running");
    old = account_ids(ctx, &nold);
    /* 1. Beside the tree. */
    pdm__alerts_reset(ctx);
    pdm__bootstrap_reset(ctx);
    pdm__store_kv_del_prefix(ctx->store, "core", "pkg0-seen:");
    pdm__store_kv_del_prefix(ctx->store, "core", "pkg0-synced:");
    pdm__store_nonce_clear(ctx->store);
    pdm__local_free(ctx);
    /* 2. The tree: one transaction, with its audit row. */
    rc = pdm__tree_begin(ctx->tree);
    if (rc == PDM_OK) {
        rc = rebuild_tree(ctx, old, nold, &scrubbed, err, sizeof err);
        memset(&d, 0, sizeof d);
        d.rc = rc;
        pdm__strlcpy(d.rule, "factory-reset", sizeof d.rule);
        pdm__strlcpy(d.component, "core", sizeof d.component);
        if (rc == PDM_OK) {
            snprintf(d.reason, sizeof d.reason,
                     "factory reset: %zu node(s) before, %zu after; %zu DM "
                     "account(s) before, root owner, queues and records "
                     "cleared; %zu ACL(s) scrubbed",
                     before, pdm__tree_count(ctx->tree), nold, scrubbed);
            pdm__tree_audit(ctx->tree, &core, "FactoryReset", ".", &d);
            rc = pdm__tree_commit(ctx->tree);
        } else {
            pdm__tree_abort(ctx->tree);
        }
    }
    for (size_t i = 0; i < nold; i++)
        pdm__free(old[i]);
    pdm__free(old);
    if (rc != PDM_OK) {
        /* Still scheduled: the next open tries again; still locked. */
        pdm__ctx_error(ctx, rc, "factory reset failed, retried at the next "
                       "open: %s",
                       err[0] ? err : ctx->store ? pdm__store_error(ctx->store)
                                                 : "");
        ctx->resetting = false;
        return;
    }
    /* 3 and 4. */
    if (ctx->lock_level != PDM_LOCK_NONE)
        rc = lock_store(ctx, PDM_LOCK_NONE, "core", NULL, "factory",
                        " by the factory reset");
    if (rc == PDM_OK) {
        rc = pdm__store_kv_del(ctx->store, "core", KV_RESET);
        rc = rc == PDM_ENOTFOUND ? PDM_OK : rc;
    }
    if (rc == PDM_OK)
        ctx->reset_pending = false;
    pdm__logf(&ctx->log, rc == PDM_OK ? PDM_LOG_WARN : PDM_LOG_ERROR, "core",
              "factory reset: %s",
              rc == PDM_OK ? "done" : "done, but its record could not be "
                                      "cleared: it runs again at the next "
                                      "open");
    ctx->resetting = false;
}

void pdm__reset_maybe_run(pdm_ctx *ctx)
{
    if (!ctx->reset_pending || ctx->resetting || !ctx->ready ||
        ctx->closing || ctx->plugins_absent || !ctx->store || !ctx->tree ||
        (ctx->flags & PDM_CTX_READONLY) || ctx->sessions ||
        pdm__tree_in_transaction(ctx->tree))
        return;
    reset_run(ctx);
}
