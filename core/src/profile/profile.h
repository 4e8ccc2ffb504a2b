/*
 * Market profiles: the INI-like files in profiles/ that say which plugins a
 * device runs, in which order, with which options, plus device settings.
 * Format reference: profiles/README.md.
 *
 * Parsing is purely syntactic plus validation of the core's own keys; it
 * never loads a plugin.  Resolving the [plugin] sections against plugin
 * descriptors (unknown plugin, options, component kinds, MO base clashes,
 * ABI) is pdm__loader_check_profile() in loader/loader.h.
 */
#ifndef PDM_PROFILE_H
#define PDM_PROFILE_H

#include <stdbool.h>

#include "diag/diag.h"

typedef struct pdm__kv {
    struct pdm__kv *next;
    char *key;
    char *value;
    unsigned line;
} pdm__kv;

typedef struct pdm__profile_plugin {
    struct pdm__profile_plugin *next;
    char *name;       /* plugin id from "[plugin <name>]" */
    unsigned line;    /* line of the section header */
    char *path;       /* "path =": absolute path of the module, or NULL */
    unsigned path_line;
    pdm__kv *options; /* "option.<key> = v", key stored without prefix */
    pdm__kv *mo_base; /* "mo.<component>.base = URI", key = component */
    /* "optional = true": a module that is not installed is left out
     * instead of failing the load (seed S14: a build without PC/SC has no
     * sim-bootstrap).  Only bootstrap sources and MO handlers may be
     * optional: the loader refuses an optional policy or authority. */
    bool optional;
    unsigned optional_line; /* 0 = key not written */
} pdm__profile_plugin;

typedef struct pdm__profile {
    char *file; /* path as given */
    char *dir;  /* directory of the file (for relative paths) */
    /* [profile] */
    char *id;
    char *description;
    char *authority; /* "plugin" or "plugin/component", or NULL */
    unsigned authority_line;
    char *factory_tree; /* absolute path, or NULL */
    unsigned factory_tree_line;
    /* other core sections, in file order: key = "section.key" */
    pdm__kv *settings;
    pdm__profile_plugin *plugins; /* in file order = policy order */
    size_t nplugins;
} pdm__profile;

/* Parses @path.  Every problem is added to @diag as file:line; returns
 * PDM_OK, PDM_EPARSE (bad content, *out is still set when the file was
 * readable so callers can report more), PDM_ENOTFOUND (missing, or a
 * directory), PDM_EIO (unreadable), PDM_ENOMEM.  A UTF-8 byte order mark
 * at the start is skipped. */
int pdm__profile_load(pdm__profile **out, const char *path, pdm__diag *diag);
/* Same from memory; @name is used in messages and @dir for relative paths. */
int pdm__profile_parse(pdm__profile **out, const char *name, const char *dir,
                       const char *text, size_t len, pdm__diag *diag);
void pdm__profile_free(pdm__profile *p);

/* Value of a core setting "section.key" (e.g. "device.devid"), or NULL. */
const char *pdm__profile_get(const pdm__profile *p, const char *key);
/* Typed accessors with defaults (values were validated at parse time). */
bool pdm__profile_get_bool(const pdm__profile *p, const char *key, bool def);
long pdm__profile_get_long(const pdm__profile *p, const char *key, long def);

/* A path setting made absolute against the profile's directory
 * (pdm__malloc'd, NULL if absent or out of memory). */
char *pdm__profile_path(const pdm__profile *p, const char *key);

/* Option of a plugin section, or NULL. */
const char *pdm__profile_plugin_option(const pdm__profile_plugin *pp,
                                       const char *key);

/* bootstrap.unsigned_origins and bootstrap.disabled_origins: parses a comma list of origin names
 * (factory, smartcard, push, file, user; or "none") into a bit mask of
 * 1u << pdm_bootstrap_origin (@mask may be NULL).  False if malformed. */
bool pdm__bs_origins_parse(const char *v, unsigned *mask);
/* One of the four bootstrap content types (ASCII case-insensitive). */
bool pdm__bs_ctype_known(const char *ct);

/* Documentation of the core keys, for `polydm profile keys` and README. */
typedef struct pdm__profile_key {
    const char *key;  /* "section.key" */
    const char *type; /* "string", "bool", "uint16", "path", "id", ... */
    const char *help;
} pdm__profile_key;
const pdm__profile_key *pdm__profile_keys(void); /* NULL-key terminated */
/* session.pkg0_resync ("never", "first-session", "always"), from the old
 * boolean session.pkg0_resync_always when only that is given. */
const char *pdm__profile_pkg0_resync(const pdm__profile *p);

#endif
