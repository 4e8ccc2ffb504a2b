/*
 * Plugin loader: finds plugin modules (or the static registry), validates
 * their descriptors and vtables against the ABI rules of <polydm/plugin.h>,
 * runs init/create and fini/destroy in the documented pairs, and offers the
 * host services table.
 *
 * Validation (pdm__plugin_open) runs only the entry function, never init.
 * `polydm plugins inspect` and `polydm profile check` (and a context
 * opened with PDM_CTX_NO_PLUGINS) read descriptors offline in a child
 * process, so no code of a module (ELF constructors, entry function) ever
 * runs in their own process.
 *
 * Module files are loaded only if nobody but root and the current user
 * can change them (like sshd's StrictModes): the module and every
 * directory above it must be owned by root or the effective user and not
 * be writable by group or others; a directory above the module's own may
 * be world-writable if it is sticky and owned by root (/tmp).  The
 * profile key `plugin_strict_modes = false` in [profile] turns these
 * refusals into warnings, for development only.
 */
#ifndef PDM_LOADER_H
#define PDM_LOADER_H

#include <stdbool.h>

#include <polydm/authority.h>
#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/plugin.h>
#include <polydm/policy.h>

#include "diag/diag.h"
#include "log/log.h"
#include "profile/profile.h"

struct pdm__plugin;

/* A component with a zero-padded copy of its vtable: methods the plugin's
 * vtable does not have read as NULL, methods newer than the core are not
 * visible. */
typedef struct pdm__comp {
    struct pdm__plugin *plugin;
    uint32_t kind;    /* pdm_kind */
    const char *name; /* borrowed from the module's static data */
    union {
        pdm_ops_head head;
        pdm_bootstrap_ops bootstrap;
        pdm_authority_ops authority;
        pdm_policy_ops policy;
        pdm_mo_ops mo;
    } ops;
    const char *mo_base; /* MO: effective base URI (profile or default) */
    void *inst;          /* from create */
    bool created;
    /* Bootstrap sources (bootstrap.c).  A component belongs to one
     * context, so these are per context: whether the one
     * BootstrapSourceDisabled row was written, and watch_fd()'s answer,
     * asked once (pdm_ctx_bootstrap_watch; -1: none or it failed). */
    bool bs_disabled_noted;
    bool bs_watch_asked;
    int bs_watch_fd;
} pdm__comp;

/* Services the engine provides behind the host table; NULL members make
 * the corresponding host function return PDM_ENOTSUP. */
typedef struct pdm__services {
    void *user;
    int (*tree_read)(void *user, const char *uri, pdm_blob *out);
    int (*kv_get)(void *user, const char *plugin, const char *key,
                  pdm_blob *out);
    int (*kv_put)(void *user, const char *plugin, const char *key,
                  const void *val, size_t len);
    int (*kv_del)(void *user, const char *plugin, const char *key);
    int (*generic_alert)(void *user, const char *plugin,
                         const pdm_generic_alert *ga);
    /* host->ask_pin after its argument checks: asks the device's pin
     * hook (PDM_ENOTSUP when there is none or no component method may
     * ask now); writes the answer straight into @buf. */
    int (*ask_pin)(void *user, const char *plugin, const char *text,
                   int tries_left, char *buf, size_t size);
    /* host->root_owner: the stored root owner, borrowed (NULL: nobody);
     * PDM_ENOTSUP when there is no tree (create, init, destroy, fini). */
    int (*root_owner)(void *user, const char **out);
    /* The lost-device services (ABI 1.4; engine.h, lock.c) after the
     * host wrapper's checks (plugin known, pointers, not in init/fini). */
    int (*set_lock)(void *user, const char *plugin, uint32_t level,
                    const char *server_id);
    int (*get_lock)(void *user, uint32_t *level);
    int (*device_action)(void *user, const char *plugin,
                         const pdm_device_action *a, char *reason,
                         size_t size);
    int (*wipe_classes)(void *user, const char *plugin, char *buf,
                        size_t size);
    int (*factory_reset)(void *user, const char *plugin);
} pdm__services;

typedef struct pdm__plugins pdm__plugins;

struct pdm_plugin_ctx {
    struct pdm__plugin *plugin;
};

typedef struct pdm__plugin {
    char *name;    /* plugin id */
    char *path;    /* module file, or NULL for a statically linked plugin */
    void *dl;      /* dlopen handle, or NULL */
    pdm_plugin_desc desc; /* zero-padded copy of the descriptor */
    uint32_t desc_size;   /* struct_size the plugin declared */
    pdm__comp *comps;
    size_t ncomps;
    const pdm__profile_plugin *conf; /* its profile section, or NULL */
    pdm__plugins *set;               /* owner, for host services */
    struct pdm_plugin_ctx ctx;
    void *plugin_data;
    bool inited; /* init returned PDM_OK and fini has not started */
    int err_rc;        /* last host->set_error */
    char err[256];
    int status_level;  /* last host->status */
    char status[256];
    /* Read in a child process (isolated): the strings of desc and comps
     * point into snap; desc.options is snap_options; no dl, no methods. */
    uint8_t *snap;
    pdm_option_desc *snap_options;
} pdm__plugin;

struct pdm__plugins {
    pdm__plugin **v; /* the loaded plugins, in profile order */
    size_t n;
    /* The profile's optional plugins whose module is not installed
     * (pdm__plugin_installed), in profile order; borrowed from the
     * profile, which outlives the set.  They are not in v. */
    const pdm__profile_plugin **absent;
    size_t nabsent;
    pdm__services svc;
    pdm__logger log;
    /* The active authority component (or NULL = spec default). */
    pdm__comp *authority;
};

/* How pdm__plugin_open treats a module file. */
typedef struct pdm__open_opts {
    /* File and directory permission problems are warnings, not refusals
     * (profile: plugin_strict_modes = false). */
    bool relaxed_modes;
    /* Read the descriptor in a child process and keep only a copy of its
     * data: the plugin cannot be started (no methods), but none of its
     * code ran here.  A child that crashes, exits or hangs is reported. */
    bool isolated;
    unsigned timeout_ms; /* isolated: longest wait (0: 5000 ms) */
} pdm__open_opts;

/* Opens and validates one plugin without running init.
 * @name: plugin id to look for (static registry, then "<name>.so" on the
 *        search path), or NULL when @path is given.
 * @path: explicit module path, or NULL.
 * @search: colon-separated directories (may be NULL).
 * @o: NULL = in-process, strict modes.
 * Problems are added to @d with @file/@line (0 = none).  Returns PDM_OK,
 * PDM_ENOTFOUND (no such plugin), PDM_EABI (refused), PDM_EFORBIDDEN
 * (module or a directory above it writable by others, see above),
 * PDM_ENOMEM. */
int pdm__plugin_open(pdm__plugin **out, const char *name, const char *path,
                     const char *search, const pdm__open_opts *o,
                     pdm__diag *d, const char *file, unsigned line);
/* Destroys instances, runs fini if init succeeded, unloads. */
void pdm__plugin_close(pdm__plugin *p);

/* The search path to use: @explicit_path, else $POLYDM_PLUGIN_PATH, else
 * pdm_default_plugin_path() (relative to the installed library, then the
 * configured directory; paths.c), NULL when none is known.  Borrowed
 * (explicit, environment or static). */
const char *pdm__plugin_search_path(const char *explicit_path);

/* Whether the module of a profile's plugin section can be found: its
 * `path =` file exists, or (without path) the plugin is linked into this
 * build or <name>.so is on @search -- the places pdm__plugin_open looks.
 * An optional plugin (pp->optional) that is not installed is left out of
 * a load with one INFO log line; every other problem of an optional
 * plugin that is there (ABI, options, init) fails the load as for any
 * plugin.  Nothing of the module is read. */
bool pdm__plugin_installed(const pdm__profile_plugin *pp, const char *search);

/* Checks a parsed profile against the plugins it names (descriptors only,
 * read in child processes: no plugin code runs in this process):
 * unknown plugin, ABI, option keys (unknown / missing required),
 * mo.<component>.base for unknown or non-MO components, duplicate MO base
 * URIs (also against the core's standard MOs), the authority key.
 * Returns PDM_OK or the rc of the first problem. */
int pdm__loader_check_profile(const pdm__profile *p, const char *search,
                              pdm__diag *d);

/* The host table every plugin gets (one static object for the process);
 * for tests that call host services directly. */
const pdm_host_api *pdm__host_table(void);

/* Loads, initialises and creates every component of the profile's plugins
 * (optional ones that are not installed are listed in set->absent and
 * logged at INFO).  On failure everything started so far is stopped again
 * and @d says why.  @svc may be NULL.  The set must later be released with
 * pdm__plugins_stop; it borrows @p, which must outlive it. */
int pdm__plugins_start(pdm__plugins *set, const pdm__profile *p,
                       const char *search, const pdm__services *svc,
                       const pdm__logger *log, pdm__diag *d);
void pdm__plugins_stop(pdm__plugins *set);

/* Iterates components of one kind in profile order: pass NULL first. */
pdm__comp *pdm__plugins_next(const pdm__plugins *set, pdm__comp *prev,
                             uint32_t kind);

/* Name of a kind ("policy", ...) or "unknown". */
const char *pdm__kind_name(uint32_t kind);

#endif
