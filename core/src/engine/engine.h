/*
 * The context behind the integrator API (pdm_ctx): it owns the profile,
 * the running plugins and, as later modules land, the store, the tree and
 * the audit log.  Internal modules reach each other through it.
 */
#ifndef PDM_ENGINE_H
#define PDM_ENGINE_H

#include <polydm/polydm.h>

#include "diag/diag.h"
#include "loader/loader.h"
#include "log/log.h"
#include "profile/profile.h"

struct pdm_ctx {
    pdm__profile *profile;
    pdm__plugins plugins;
    bool plugins_started;
    pdm__logger log;
    uint32_t flags;
    char *state_dir;
    char err[512];
};

/* Records a failure message on the context (and logs it at ERROR). */
void pdm__ctx_error(pdm_ctx *ctx, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);

#endif
