/*
 * Internals of the loader shared by loader.c and isolate.c.
 */
#ifndef PDM_LOADER_INT_H
#define PDM_LOADER_INT_H

#include "loader/loader.h"

/* Validates @raw (from the entry function) and copies it into @p; @where
 * names the module in messages. */
int pdm__plugin_validate(pdm__plugin *p, const pdm_plugin_desc *raw,
                         const char *where, pdm__diag *d, const char *file,
                         unsigned line);
/* dlopen()s @real (the checked, resolved path of p->path), runs its entry
 * function and validates the descriptor, in this process. */
int pdm__plugin_read_module(pdm__plugin *p, const char *real, pdm__diag *d,
                            const char *file, unsigned line);
/* The same in a child process; @p gets a copy of the validated data. */
int pdm__plugin_read_isolated(pdm__plugin *p, const char *real,
                              unsigned timeout_ms, pdm__diag *d,
                              const char *file, unsigned line);
/* The StrictModes check of @path (see loader.h); *@real gets its resolved
 * path (pdm__free) on PDM_OK.  Returns PDM_OK, PDM_EFORBIDDEN,
 * PDM_ENOTFOUND, PDM_ENOMEM. */
int pdm__module_check(const char *path, bool relaxed, char **real,
                      pdm__diag *d, const char *file, unsigned line);
bool pdm__valid_plugin_id(const char *s);
/* True for ids a plugin may not take: the core's store namespaces. */
bool pdm__reserved_plugin_id(const char *s);

#endif
