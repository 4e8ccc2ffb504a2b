/*
 * polydm SDK testing — a fake host for plugin unit tests.
 *
 * Lets a plugin author run their plugin's init/create/methods without the
 * core: it provides a complete pdm_host_api whose options, tree values and
 * key/value data are in memory, and which records log lines, errors,
 * status messages and Generic Alerts for the test to inspect.  It also
 * counts allocations so a test can check that the plugin freed everything.
 *
 * Typical use (with any test framework):
 *
 *     pdm_fake_host *fh = pdm_fake_host_new();
 *     pdm_fake_host_set_option(fh, "path", "/tmp/x");
 *     const pdm_plugin_desc *d = pdm_plugin_my_plugin_entry();
 *     void *pdata = NULL, *inst = NULL;
 *     assert(d->init(pdm_fake_host_ctx(fh), pdm_fake_host_api(fh), &pdata) == 0);
 *     const pdm_ops_head *ops = d->components[0].ops;
 *     assert(ops->create(pdm_fake_host_ctx(fh), pdata, &inst) == 0);
 *     ...
 *     ops->destroy(inst);
 *     if (d->fini) d->fini(pdm_fake_host_ctx(fh), pdata);
 *     assert(pdm_fake_host_live_allocs(fh) == 0);
 *     pdm_fake_host_free(fh);
 *
 * Link with polydm::sdk_testing (CMake) and compile the plugin's sources
 * into the test (or link its static archive).  Not thread-safe; one fake
 * host at a time per plugin context.
 */
#ifndef POLYDM_TESTING_FAKE_HOST_H
#define POLYDM_TESTING_FAKE_HOST_H

#include <polydm/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pdm_fake_host pdm_fake_host;

/** Creates a fake host.  Returns NULL on out-of-memory. */
pdm_fake_host *pdm_fake_host_new(void);
/** Frees it and everything it recorded. */
void pdm_fake_host_free(pdm_fake_host *fh);

/** The host table to pass to init: one static table for every fake host,
 *  as the core's (plugin.h rule 9); valid for the program's lifetime. */
const pdm_host_api *pdm_fake_host_api(pdm_fake_host *fh);
/** The plugin context to pass to init/create/fini. */
pdm_plugin_ctx *pdm_fake_host_ctx(pdm_fake_host *fh);

/** Sets `option.<key>` as a profile would (copies both).  Returns 0 or -2. */
int pdm_fake_host_set_option(pdm_fake_host *fh, const char *key,
                             const char *value);
/** Sets a tree leaf that host->tree_read returns (copies).  0 or -2. */
int pdm_fake_host_set_tree(pdm_fake_host *fh, const char *uri,
                           const char *value);

/** Recorded output: the i-th item (0-based) or NULL past the end.
 *  Strings are borrowed until pdm_fake_host_free. */
const char *pdm_fake_host_log(const pdm_fake_host *fh, size_t i);
const char *pdm_fake_host_error(const pdm_fake_host *fh, size_t i);
const char *pdm_fake_host_status(const pdm_fake_host *fh, size_t i);
/** Last rc passed to set_error (0 if none). */
int pdm_fake_host_last_error_rc(const pdm_fake_host *fh);
/** Generic Alerts queued by the plugin, rendered as
 *  "type|format|source|correlator|data".
 *
 *  host->generic_alert applies the core's checks (pdm_generic_alert),
 *  with small local copies of them, and returns PDM_EINVAL (plus a line
 *  in pdm_fake_host_log) where the core would: struct_size below the
 *  ABI 1.0 size, type or format missing or empty, reserved0 not 0, data
 *  with a length but no bytes, an empty server_id, a string that is not
 *  text (UTF-8 without control bytes but TAB/LF/CR) or longer than 255
 *  bytes (source_uri: 1024), and a NULL server_id while no server is
 *  set with pdm_fake_host_set_alert_server.  Not modelled: the core's
 *  queue bounds (PDM_ENOSPC) and its matching of accepted Execs. */
const char *pdm_fake_host_alert(const pdm_fake_host *fh, size_t i);
/** The server the i-th recorded alert is bound to (its server_id, or
 *  the one set below), or NULL past the end.  Borrowed like the above. */
const char *pdm_fake_host_alert_server(const pdm_fake_host *fh, size_t i);
/** Plays the core's evidence for an alert without server_id: the server
 *  whose command the MO method under test is handling, or whose
 *  accepted (202) Exec the alert reports.  NULL (the default) is "no
 *  such evidence": the core refuses such an alert, and so does the fake
 *  host.  Copies @server_id.  Returns 0 or PDM_ENOMEM. */
int pdm_fake_host_set_alert_server(pdm_fake_host *fh, const char *server_id);
/** Plays the device's user for host->ask_pin (since 1.2): the next
 *  questions are answered with @rc and, when @rc is PDM_OK, the PIN
 *  @answer (copied; NULL or "" is an empty answer, which the core turns
 *  into PDM_ECANCELLED).  The default, PDM_ENOTSUP, is a device without
 *  a PIN prompt; set it also to play the core's answer to a question
 *  asked from init, create, destroy or fini, which the fake host cannot
 *  tell apart from a method.  ask_pin applies the core's checks first
 *  (PDM_EINVAL for a NULL buffer, size 0, a NULL or empty text, a text
 *  over 200 bytes or not one line of UTF-8 without control characters)
 *  and leaves "" in the buffer on every failure.  Returns 0 or
 *  PDM_ENOMEM. */
int pdm_fake_host_set_pin(pdm_fake_host *fh, int rc, const char *answer);
/** How many questions passed the argument checks (the fake user saw), and
 *  the last one's text (borrowed, NULL if none) and tries_left. */
size_t pdm_fake_host_pin_asks(const pdm_fake_host *fh);
const char *pdm_fake_host_pin_text(const pdm_fake_host *fh);
int pdm_fake_host_pin_tries(const pdm_fake_host *fh);
/** Plays the core's root owner fact for host->root_owner (since 1.3):
 *  with @rc PDM_OK, @server_id (copied) owns root, NULL or "" is nobody
 *  (PDM_ENOTFOUND); any other @rc is returned as is, e.g. PDM_ENOTSUP to
 *  play a call from init, create, destroy or fini (no tree), which the
 *  fake host cannot tell apart from a method.  The default is nobody.
 *  root_owner applies the core's checks (PDM_EINVAL for a NULL buffer or
 *  size 0, PDM_ENOSPC when the ServerID does not fit) and leaves "" in
 *  the buffer on every failure.  Returns 0 or PDM_ENOMEM. */
int pdm_fake_host_set_root_owner(pdm_fake_host *fh, int rc,
                                 const char *server_id);
/** How many times host->root_owner was called. */
size_t pdm_fake_host_root_owner_asks(const pdm_fake_host *fh);
/* ---- the lost-device services (since 1.4) -------------------------------
 *
 * host->set_lock/get_lock keep one lock level per fake host (the core's
 * stored fact); host->device_action records every call as a line of text
 * and answers a scripted rc; host->wipe_classes answers a scripted list;
 * host->factory_reset counts the resets it schedules.  Each applies the
 * core's argument checks first (PDM_EINVAL, as plugin.h and types.h say).
 */

/** The stored lock level (a pdm_lock_level, PDM_LOCK_NONE at first):
 *  what host->get_lock reports and host->set_lock changes. */
uint32_t pdm_fake_host_lock_level(const pdm_fake_host *fh);
/** Sets the stored level directly, as a previous run would have left it
 *  (no call is counted). */
void pdm_fake_host_set_lock_level(pdm_fake_host *fh, uint32_t level);
/** Scripts failures: host->set_lock returns @set_rc without changing the
 *  level and host->get_lock returns @get_rc (with PDM_LOCK_NONE in
 *  *level, so that only a plugin that checks the rc fails closed) while
 *  they are not PDM_OK.  Both PDM_OK by default. */
void pdm_fake_host_set_lock_rc(pdm_fake_host *fh, int set_rc, int get_rc);
/** How many host->set_lock calls passed the checks, and the @server_id
 *  of the last one ("" for NULL; borrowed, NULL before any call). */
size_t pdm_fake_host_lock_sets(const pdm_fake_host *fh);
const char *pdm_fake_host_lock_server(const pdm_fake_host *fh);

/** The device's answer to the next host->device_action calls: @rc
 *  (PDM_OK by default) and, for a failure, the one-line @reason it
 *  writes (copied; NULL for none).  Returns 0 or PDM_ENOMEM. */
int pdm_fake_host_set_device_rc(pdm_fake_host *fh, int rc,
                                const char *reason);
/** The i-th device_action call that passed the checks, or NULL past the
 *  end: "lock-full", "lock-partial", "unlock", "wipe CLASS,CLASS",
 *  "factory-reset" or "capability NAME on|off", then " notify" when
 *  notify_user is 1 and " server=ID" when server_id is set.  Borrowed
 *  until pdm_fake_host_free. */
const char *pdm_fake_host_device_call(const pdm_fake_host *fh, size_t i);
/** The device's wipeable classes for host->wipe_classes: with @rc PDM_OK
 *  the list @classes (copied, e.g. "contacts,media"); any other @rc is
 *  returned as is.  The default is PDM_ENOTFOUND (the device names none).
 *  wipe_classes returns PDM_EINVAL for a NULL buffer or size 0 and
 *  PDM_ENOSPC when the list does not fit, with "" in the buffer.
 *  Returns 0 or PDM_ENOMEM. */
int pdm_fake_host_set_wipe_classes(pdm_fake_host *fh, int rc,
                                   const char *classes);
/** host->factory_reset answers @rc (PDM_OK by default); the count is of
 *  the resets scheduled (calls answered PDM_OK). */
void pdm_fake_host_set_factory_reset_rc(pdm_fake_host *fh, int rc);
size_t pdm_fake_host_factory_resets(const pdm_fake_host *fh);
/** The once_key of the i-th recorded alert ("" when it had none), or NULL
 *  past the end.  host->generic_alert honours once_key as the core does:
 *  an alert whose key equals a recorded alert's (the fake host keeps
 *  every alert, as if still queued or delivered) returns PDM_OK and is
 *  not recorded again; a key that is not text of at most 128 bytes is
 *  PDM_EINVAL. */
const char *pdm_fake_host_alert_once_key(const pdm_fake_host *fh, size_t i);

/** A key/value entry the plugin stored (NULL if absent), and its length. */
const void *pdm_fake_host_kv(const pdm_fake_host *fh, const char *key,
                             size_t *len);
/** Number of host->alloc'd blocks not yet freed. */
long pdm_fake_host_live_allocs(const pdm_fake_host *fh);
/** Makes host->alloc fail after @n more successes (n < 0: never). */
void pdm_fake_host_fail_alloc_after(pdm_fake_host *fh, long n);

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_TESTING_FAKE_HOST_H */
