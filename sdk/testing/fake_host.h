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
 *  "type|format|source|correlator|data". */
const char *pdm_fake_host_alert(const pdm_fake_host *fh, size_t i);
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
