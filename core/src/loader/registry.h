/*
 * Static plugin registry: in a PDM_STATIC_PLUGINS build, the generated
 * static_registry.c lists the profile's plugins linked into the core.
 */
#ifndef PDM_LOADER_REGISTRY_H
#define PDM_LOADER_REGISTRY_H

#include <polydm/plugin.h>

typedef struct pdm__static_plugin {
    const char *name;          /* plugin id */
    pdm_plugin_entry_fn entry; /* its hidden pdm_plugin_<id>_entry */
} pdm__static_plugin;

/* Terminated by {NULL, NULL}. */
extern const pdm__static_plugin pdm__static_plugins[];

#endif
