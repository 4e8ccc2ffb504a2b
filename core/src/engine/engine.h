/*
 * The context behind the integrator API (pdm_ctx): it owns the profile,
 * the running plugins, the store, the management tree and the audit log,
 * and wires them together (policy hook, MO dispatch, plugin key/value
 * data, standard MOs).  Internal modules reach each other through it.
 */
#ifndef PDM_ENGINE_H
#define PDM_ENGINE_H

#include <polydm/polydm.h>

#include "diag/diag.h"
#include "loader/loader.h"
#include "log/log.h"
#include "profile/profile.h"
#include "store/store.h"
#include "tree/tree.h"

/* What an MO binding in the tree points at. */
typedef enum pdm__mo_kind { PDM_MO_CORE_DEVICE, PDM_MO_PLUGIN } pdm__mo_kind;

typedef struct pdm__mo_binding {
    pdm__mo_kind kind;
    pdm__comp *comp; /* PDM_MO_PLUGIN */
} pdm__mo_binding;

/* A Generic Alert (1226) waiting to be sent to its server. */
typedef struct pdm__alert {
    struct pdm__alert *next;
    char *server_id; /* the only server it may be sent to (never NULL) */
    char *source, *type, *format, *mark, *correlator;
    uint8_t *data;
    size_t len;
    /* pdm_generic_alert.once_key and whose it is ("plugin:<name>" or
     * "integrator"), or both NULL. */
    char *once_scope, *once_key;
    bool in_flight;  /* carried by the running session */
} pdm__alert;

/* An Exec a server sent that its handler accepted (PDM_PENDING, 202):
 * its later result, an alert queued without a server id, is bound to
 * that server by the correlator and/or the Exec's URI (alerts.c). */
typedef struct pdm__pending_exec {
    struct pdm__pending_exec *next;
    char *server_id, *uri, *correlator; /* correlator may be NULL */
    int64_t since; /* Unix time it was accepted (0: saved by an older
                      version) */
} pdm__pending_exec;

struct pdm_ctx {
    pdm__profile *profile;
    pdm__plugins plugins;
    bool plugins_started;
    pdm__logger log;
    uint32_t flags;
    char *state_dir;
    pdm_device_hooks hooks;
    pdm__store *store;
    pdm__tree *tree;
    pdm__mo_binding device_mo;  /* DevInfo/DevDetail */
    pdm__mo_binding *plugin_mos; /* one per plugin MO component */
    size_t nplugin_mos;
    pdm__alert *alerts;          /* queued Generic Alerts, oldest first */
    pdm__pending_exec *pending;  /* accepted Execs, oldest first */
    /* The ServerID whose commands the session is executing (set by the
     * session around them), and the same while an MO handler's method
     * (get, replace, exec, notify) runs for one of them: a plugin's alert
     * without a server id is bound to it then, and refused at any other
     * time (services.c). */
    const char *cmd_server;
    const char *mo_call_server;
    /* The Exec an MO handler's exec() is running for now (URI and
     * correlator, NULL otherwise): its own result is a candidate owner of
     * an alert too, next to the pending Execs. */
    const char *mo_exec_uri, *mo_exec_corr;
    const char *dev_profile[16]; /* [device] values of the device MOs */
    bool dev_profile_done;
    /* Fail-closed state (see pdm__engine_unusable and the policy hook). */
    bool ready;          /* pdm_ctx_open succeeded */
    bool closing;        /* pdm_ctx_close began: plugins are stopping */
    bool plugins_absent; /* the profile lists plugins that do not run
                            (PDM_CTX_NO_PLUGINS): no policy can decide */
    const pdm__comp *in_policy; /* policy whose check() runs now, or NULL */
    unsigned host_reads; /* nesting of host tree_read calls */
    /* Bootstrapped servers waiting for their first client-initiated
     * session (bootstrap.c; kept in kv "core"/"bootstrap-pending"), oldest
     * first; read from the store at first use. */
    char **bs_pending;
    size_t bs_npending;
    bool bs_pending_loaded;
    /* The factory file was refused because bootstrap.disabled_origins
     * has factory: later scans of this context skip it (bootstrap.c). */
    bool bs_factory_refused;
    /* The active authority's defaults() (authority.c), canonical; NULL:
     * the spec's.  Kept for the tree's lifetime (its config points at
     * them). */
    char *auth_root_acl, *auth_dmacc_acl;
    bool auth_root_add_open; /* PDM_DEFAULTS_ROOT_ADD_OPEN */
    /* pdm_ctx_authority's last answer (local.c), or NULL. */
    struct pdm__local *local;
    /* The lost-device lock (lock.c): the stored level and who set it
     * when (kv "core"/"lock"), and whether a factory reset is scheduled
     * (kv "core"/"factory-reset").  Read at open. */
    uint32_t lock_level;
    int64_t lock_since;
    char lock_plugin[64];
    char lock_server[256];
    bool reset_pending;
    bool resetting;     /* pdm__reset_run is running */
    unsigned sessions;  /* pdm_session objects open on this context */
    /* The last PDM__ONCE_KEPT once_keys of delivered alerts (alerts.c,
     * kv "core"/"once-delivered"), oldest first: "scope\nkey" each. */
    char **once_done;
    size_t nonce_done;
    char err[512];
};

/* Why @ctx may not run sessions (nor, through the policy hook, changes
 * by servers, the local user or a bootstrap), or NULL if it may: it did
 * not open, or its profile's policies are not running. */
const char *pdm__engine_unusable(const pdm_ctx *ctx);

/* Records a failure message on the context (and logs it at ERROR). */
void pdm__ctx_error(pdm_ctx *ctx, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);

/* Builds the standard MOs (DevInfo, DevDetail, DMAcc, Inbox) and the
 * nodes plugins' MO handlers declare; binds handlers.  stdmo.c */
int pdm__engine_setup_tree(pdm_ctx *ctx);
/* A DevInfo/DevDetail value the device hook info() gave for @key: it goes
 * out as text in every session (package 1's DevInfo), so it must be one
 * line of text (pdm__text_line_ok).  Returns PDM_OK, or PDM_ERROR (a Get
 * answers 500; package 1 leaves the leaf out) with an error logged naming
 * the key (the value itself is not logged).
 * stdmo.c */
int pdm__stdmo_check_hook_value(pdm_ctx *ctx, const char *key,
                                const char *v);
/* Tree hooks: policies and MO dispatch.  services.c */
void pdm__engine_tree_hooks(pdm_ctx *ctx, pdm__tree_config *cfg);
/* Host services for plugins (tree_read, kv).  services.c */
void pdm__engine_services(pdm_ctx *ctx, pdm__services *svc);
/* MO handlers' transaction hooks around a package or an Atomic: begin
 * (nested begins are savepoints), commit, rollback.  services.c */
enum { PDM__MO_BEGIN, PDM__MO_COMMIT, PDM__MO_ROLLBACK };
int pdm__engine_mo_tx(pdm_ctx *ctx, int what);

/* Generic Alerts waiting for a session (alerts.c).  They are kept in the
 * store (plugin "core", key "alerts"), so a failed session or a restart
 * loses none: an alert leaves the queue only when a session that carried
 * it ends normally (at-least-once delivery; correlators let the server
 * spot a repeat).  They are device facts, not package state: the queue
 * is written at once in its own store write (a package's tree changes
 * reach the store only at its commit), so an aborted or rolled-back
 * package leaves memory and store both holding them: the Exec whose
 * result an alert reports ran on the device, the rollback cannot undo
 * it, and its server still has to learn the result. */
/* Queues @ga (copies everything) and saves the queue.  Every string of
 * @ga must be text (pdm__xml_is_text) within PDM__ALERT_STR_MAX bytes
 * (PDM__ALERT_URI_MAX for source_uri), reserved0 0, type and format set:
 * PDM_EINVAL otherwise, with a log line naming the field.
 * The server it goes to: @ga->server_id when set; else the server of
 * the Exec it reports, a pending Exec (pdm__alerts_exec_pending) whose
 * correlator and/or URI it carries (that record is consumed); else
 * @in_call, the server whose command an MO method is handling now (NULL
 * outside one).  Never a guess: pending Execs of two servers matching
 * the alert, or one of another server than @in_call while the alert
 * also matches the Exec being handled (ctx->mo_exec_uri/corr), and it is
 * refused.  No server: PDM_EINVAL (an alert that names no server could
 * reach the wrong one).  The queue is bounded: at most
 * PDM__ALERTS_PER_SERVER alerts and PDM__ALERTS_BYTES_PER_SERVER bytes
 * (data plus strings) per server, PDM__ALERTS_MAX and
 * PDM__ALERTS_BYTES_MAX in all; an alert that would pass one is refused
 * with PDM_ENOSPC and a log line, and no queued alert is ever dropped
 * to make room (a saved queue over the bounds is kept: new alerts wait
 * until sessions drain it).  @who names the caller in log lines. */
#define PDM__ALERT_STR_MAX 255
#define PDM__ALERT_URI_MAX 1024
#define PDM__ALERTS_PER_SERVER 64
#define PDM__ALERTS_MAX 256
#define PDM__ALERTS_BYTES_PER_SERVER (256 * 1024)
#define PDM__ALERTS_BYTES_MAX (1024 * 1024)
/* @ga->once_key (since 1.4): scoped by @scope ("plugin:<name>" or
 * "integrator"); an equal key of the same scope still queued or among the
 * last PDM__ONCE_KEPT delivered makes the call PDM_OK with nothing
 * queued.  Text of at most PDM__ONCE_KEY_MAX bytes, else PDM_EINVAL. */
#define PDM__ONCE_KEY_MAX 128
#define PDM__ONCE_KEPT 256
int pdm__engine_queue_alert(pdm_ctx *ctx, const char *in_call,
                            const pdm_generic_alert *ga, const char *who,
                            const char *scope);
void pdm__engine_free_alerts(pdm__alert *a);
void pdm__engine_free_pending(pdm__pending_exec *p);
/* Records that @server_id's Exec of @uri (with @correlator, or NULL) was
 * accepted and its result follows later.  Saved at once on its own (kv
 * "core"/"exec-pending"): it outlives the package, a failed session and
 * a restart, like the alert queue.  At most PDM__PENDING_MAX records;
 * the oldest goes first (logged): its result is then refused.  Returns
 * PDM_ENOMEM (logged) when the record cannot be made: the Exec must not
 * start then (its result would be refused); a record that could not be
 * saved (logged) still holds in this process. */
#define PDM__PENDING_MAX 32
int pdm__alerts_exec_pending(pdm_ctx *ctx, const char *server_id,
                              const char *uri, const char *correlator);
/* The Exec of @uri (with @correlator) by @server_id needs no record (its
 * handler did not accept it as pending): its record goes, if the result
 * has not consumed it already.  Saved at once. */
void pdm__alerts_exec_settled(pdm_ctx *ctx, const char *server_id,
                              const char *uri, const char *correlator);
/* Reads the saved queue and pending Execs at start-up (before plugins
 * start: their first alerts join the saved queue); a damaged record is
 * logged and dropped, never fatal. */
void pdm__alerts_load(pdm_ctx *ctx);
/* The session that carried the in-flight alerts ended: @delivered drops
 * them, otherwise they wait for the next session. */
void pdm__alerts_session_end(pdm_ctx *ctx, bool delivered);

/* Drops the queued alerts (not in flight) and pending Execs whose
 * server has no DM account any more (pdm__dmacc_find: not found; an
 * ambiguous tree keeps them): no session can carry them.  One log line
 * and one audit row ("factory", op "Alerts", "info") with the counts,
 * no alert data.  Called when a writable context opens and when a
 * session ends; a no-op in a read-only context or while a tree
 * transaction is open (an account deleted in an uncommitted package
 * may come back). */
void pdm__alerts_prune(pdm_ctx *ctx);

/* Asks the profile's policies about @req (deny-overrides, fail closed:
 * the same machinery the tree's policy hook uses) for requests the tree
 * does not make itself, e.g. PDM_OP_BOOTSTRAP.  Returns PDM_OK (allowed)
 * or PDM_EDENIED with dec->component/reason naming the refusing policy.
 * services.c */
int pdm__engine_policy(pdm_ctx *ctx, const pdm_policy_req *req,
                       pdm__decision *dec);

/* A client-initiated session with @server_id ended normally: the server
 * leaves the list of bootstrapped servers waiting for their first session
 * (pdm_ctx_bootstrap_pending; saved at once).  bootstrap.c */
void pdm__bootstrap_session_ok(pdm_ctx *ctx, const char *server_id);

/* The DM account of @server_id was deleted (a committed tree change):
 * it leaves the pending first sessions and the bootstrap source records
 * (both saved at once).  bootstrap.c */
void pdm__bootstrap_forget(pdm_ctx *ctx, const char *server_id);
/* Same for the queued alerts (not in flight) and pending Execs of
 * @server_id (saved at once); returns how many alerts went.  No audit
 * row: the caller's operation has its own.  alerts.c */
size_t pdm__alerts_forget(pdm_ctx *ctx, const char *server_id);
/* ---- the lost-device services (lock.c) -------------------------------------
 * The lock level is a device fact of the core's own (kv "core"/"lock"),
 * written at once (never with a package: a rollback must not unlock a
 * device), audited ("DeviceLock").  While it is not PDM_LOCK_NONE every
 * policy request carries PDM_REQ_DEVICE_LOCKED (policy_hook, services.c:
 * the one place every request passes) and every pdm_authority_info
 * PDM_AUTH_INFO_DEVICE_LOCKED (pdm__lock_auth_flags). */

/* Reads the lock and the scheduled reset at open (before plugins start).
 * A damaged lock record reads as PDM_LOCK_FULL (fail closed), logged. */
void pdm__lock_load(pdm_ctx *ctx);
/* Moves data of older versions into the integrator's storage (integrator.c). */
void pdm__integrator_migrate(pdm_ctx *ctx);
/* PDM_AUTH_INFO_DEVICE_LOCKED when locked, else 0. */
uint32_t pdm__lock_auth_flags(const pdm_ctx *ctx);
/* The host services behind pdm_host_api set_lock, get_lock,
 * device_action, wipe_classes, factory_reset (see plugin.h). */
int pdm__lock_set(pdm_ctx *ctx, const char *plugin, uint32_t level,
                  const char *server_id);
int pdm__device_action(pdm_ctx *ctx, const char *plugin,
                       const pdm_device_action *a, char *reason,
                       size_t size);
int pdm__device_wipe_classes(pdm_ctx *ctx, const char *plugin, char *buf,
                             size_t size);
int pdm__reset_schedule(pdm_ctx *ctx, const char *plugin);
/* Runs a scheduled factory reset if one is due and may run now: the
 * context is open, writable, runs its plugins, no session is open and
 * no tree transaction either.  Called at open, when a session object is
 * closed, and by pdm__reset_schedule.  See docs/architecture.md. */
void pdm__reset_maybe_run(pdm_ctx *ctx);

/* What the factory reset clears outside the tree, each saved at once:
 * the alert queue, pending Execs and delivered once_keys (alerts.c);
 * pending first sessions and bootstrap source records, and the factory
 * document's applied mark (bootstrap.c). */
void pdm__alerts_reset(pdm_ctx *ctx);
void pdm__bootstrap_reset(pdm_ctx *ctx);
void pdm__alerts_free_once(pdm_ctx *ctx);
/* Builds the standard MOs, plugin MO nodes and, when @fresh, the
 * profile's factory tree, then repairs the DM account ACLs, inside the
 * open tree transaction (the fresh-store path of pdm_ctx_open, reused
 * by the factory reset).  ctx.c */
int pdm__engine_build_tree(pdm_ctx *ctx, bool fresh);

/* Frees pdm_ctx_authority's answer.  local.c */
void pdm__local_free(pdm_ctx *ctx);

/* The URI limits from the profile's [device] section. */
void pdm__engine_limits(const pdm_ctx *ctx, pdm__uri_limits *lim);

#endif
