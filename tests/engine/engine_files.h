/*
 * The files of the engine tests (bootstrap_test.c, authority_test.c,
 * local_test.c, engine_plugins_test.c, read_test.c): the profile each
 * test writes and its state directory, below the run's temporary
 * directory.  libc and the test runner only, so a test that proves
 * something through the integrator API alone (read_test.c) can use it.
 */
#ifndef PDM_TEST_ENGINE_FILES_H
#define PDM_TEST_ENGINE_FILES_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <polydm/polydm.h>

#include "cu_main.h"

/* "<tmp>/<name><suffix>", from a ring of 8 static buffers (a test holds a
 * few paths at once, never 8). */
static inline const char *fx_path(const char *name, const char *suffix)
{
    static char path[8][600];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s%s", pdm_test_tmpdir(), name, suffix);
    return p;
}

/* The state directory "<tmp>/<name>-state". */
static inline const char *fx_state(const char *name)
{
    return fx_path(name, "-state");
}

/* Writes the profile "<tmp>/<name>.profile" from @fmt; returns its path,
 * or NULL when it cannot be written. */
static inline const char *fx_profile(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline const char *fx_profile(const char *name, const char *fmt, ...)
{
    const char *p = fx_path(name, ".profile");
    FILE *f = fopen(p, "w");
    va_list ap;
    if (!f)
        return NULL;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    return fclose(f) == 0 ? p : NULL;
}

/* A pdm_config for @prof and @dir (NULL with PDM_CTX_NO_STORE) with
 * @plugin_path, @flags, @hooks (may be NULL) and @log (may be NULL; errors
 * only).  Everything is borrowed. */
static inline void fx_config(pdm_config *cfg, const char *prof,
                             const char *dir, const char *plugin_path,
                             uint32_t flags, const pdm_device_hooks *hooks,
                             pdm_log_fn log)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->profile = prof;
    cfg->state_dir = dir;
    cfg->plugin_path = plugin_path;
    cfg->flags = flags;
    cfg->hooks = hooks;
    cfg->log = log;
    cfg->log_level = PDM_LOG_ERROR;
}

/* pdm_ctx_open with fx_config's configuration.  Returns the context, or
 * NULL after printing why. */
static inline pdm_ctx *fx_open(const char *prof, const char *dir,
                               const char *plugin_path, uint32_t flags,
                               const pdm_device_hooks *hooks, pdm_log_fn log)
{
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    fx_config(&cfg, prof, dir, plugin_path, flags, hooks, log);
    if (pdm_ctx_open(&ctx, &cfg) != PDM_OK) {
        fprintf(stderr, "open: %s\n", ctx ? pdm_ctx_last_error(ctx) : "?");
        pdm_ctx_close(ctx);
        return NULL;
    }
    return ctx;
}

#endif
