/*
 * polydm — integrator API.
 *
 * This is the API a device maker (OEM) uses to embed polydm: open a context
 * on a market profile and a state directory, supply device hooks, read and
 * change the management tree as the local user, run DM sessions through the
 * sans-I/O engine.  It is *source*-stable within a major version (the
 * plugin SDK in <polydm/plugin.h> is the binary-stable contract).
 *
 * Conventions (same as the SDK):
 *  - functions return `int` holding a pdm_rc (0 = success, < 0 = error);
 *    pdm_ctx_last_error() gives a message for the last failure on a context;
 *  - out parameters come first; objects returned through `**out` are owned
 *    by the caller and released with the matching _free/_close function;
 *    `const char *` results are borrowed from their parent object;
 *  - a context is used from one thread at a time.
 */
#ifndef POLYDM_POLYDM_H
#define POLYDM_POLYDM_H

#include <stddef.h>
#include <stdint.h>

#include <polydm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the polydm library as a string, e.g. "0.1.0".  Static. */
PDM_API const char *pdm_version(void);

/** A polydm context: profile, plugins, store, tree, audit log. */
typedef struct pdm_ctx pdm_ctx;

/**
 * Log sink.  @level is a pdm_log_level, @component the emitting part
 * ("core", "session", a plugin name), @msg one line without newline.
 * Messages never contain secrets.
 */
typedef void (*pdm_log_fn)(void *user, int level, const char *component,
                           const char *msg);

/**
 * Device hooks: how the core learns facts only the device knows.  All
 * members are optional; set struct_size = sizeof(pdm_device_hooks).
 * Called from the thread that uses the context.
 */
typedef struct pdm_device_hooks {
    uint32_t struct_size; /**< sizeof(pdm_device_hooks) */
    void *user;           /**< passed to every hook */
    /**
     * info() - a DevInfo/DevDetail value, e.g. key "DevInfo/DevId",
     * "DevInfo/Man", "DevDetail/FwV".  Write a NUL-terminated value into
     * @buf (at most @size bytes) and return PDM_OK, or return PDM_ENOTFOUND
     * to use the profile's [device] value.  Any other rc fails the Get.
     */
    int (*info)(void *user, const char *key, char *buf, size_t size);
} pdm_device_hooks;

/** Options of pdm_ctx_open.  Set struct_size = sizeof(pdm_config) and
 *  zero every field you do not use. */
typedef struct pdm_config {
    uint32_t struct_size;    /**< sizeof(pdm_config) */
    uint32_t flags;          /**< PDM_CTX_* */
    const char *profile;     /**< profile file (required) */
    const char *state_dir;   /**< directory of the store; created 0700 if
                                  missing; NULL with PDM_CTX_NO_STORE */
    const char *plugin_path; /**< colon-separated plugin directories, or
                                  NULL for $POLYDM_PLUGIN_PATH / default */
    pdm_log_fn log;          /**< NULL: no logging */
    void *log_user;          /**< passed to log */
    int log_level;           /**< highest pdm_log_level passed to log;
                                  0 means PDM_LOG_INFO */
    const pdm_device_hooks *hooks; /**< device hooks, or NULL (profile
                                        values only); borrowed until
                                        pdm_ctx_close */
} pdm_config;

/** Do not start plugins (init/create are not run).  For inspection. */
#define PDM_CTX_NO_PLUGINS 0x1u
/** Do not open a store (everything is in memory and lost at close). */
#define PDM_CTX_NO_STORE 0x2u
/** Open the store read-only (inspection while an agent runs). */
#define PDM_CTX_READONLY 0x4u

/**
 * pdm_ctx_open() - load a profile, start its plugins, open the store.
 * @out: (out) the new context, owned by the caller (pdm_ctx_close).
 * @cfg: (in) options, borrowed for the duration of the call.
 *
 * Returns PDM_OK; PDM_EPARSE/PDM_EINVAL/PDM_EABI/PDM_ENOTFOUND for a bad
 * profile or plugin (the diagnostics are logged at PDM_LOG_ERROR and the
 * first is in the error text); PDM_ECORRUPT for a foreign or damaged store
 * (never overwritten); PDM_EIO for other store errors; PDM_ENOMEM.  On
 * failure *out is still set when it is not NULL so that
 * pdm_ctx_last_error() can be read; close it in every case.
 */
PDM_API int pdm_ctx_open(pdm_ctx **out, const pdm_config *cfg);

/** Stops plugins, closes the store, frees the context.  NULL is a no-op. */
PDM_API void pdm_ctx_close(pdm_ctx *ctx);

/** Message of the last failure on @ctx ("" if none).  Borrowed until the
 *  next call on @ctx. */
PDM_API const char *pdm_ctx_last_error(const pdm_ctx *ctx);

/** Id of the context's profile (e.g. "gsm-operator").  Borrowed. */
PDM_API const char *pdm_ctx_profile_id(const pdm_ctx *ctx);

/** Description of a loaded plugin (borrowed from the context). */
typedef struct pdm_plugin_info {
    const char *name;     /**< plugin id */
    const char *version;  /**< plugin's own version, or "" */
    const char *summary;  /**< one line, or "" */
    const char *path;     /**< module file, or "" for a static plugin */
    unsigned abi_major;   /**< ABI the plugin was built for */
    unsigned abi_minor;
    size_t ncomponents;   /**< number of components */
} pdm_plugin_info;

/** Number of plugins loaded by the profile, in profile order. */
PDM_API size_t pdm_ctx_plugin_count(const pdm_ctx *ctx);
/** Fills @out for plugin @i (0-based).  PDM_ENOTFOUND past the end. */
PDM_API int pdm_ctx_plugin_info(pdm_plugin_info *out, const pdm_ctx *ctx,
                                size_t i);
/** Kind name ("policy", "mo", ...) and name of component @j of plugin @i.
 *  PDM_ENOTFOUND past the end.  Strings are borrowed. */
PDM_API int pdm_ctx_component(const char **kind, const char **name,
                              const pdm_ctx *ctx, size_t i, size_t j);

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_POLYDM_H */
