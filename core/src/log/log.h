/*
 * Logging of the core: every line goes to the integrator's sink (the CLI's
 * writes to stderr or syslog) with a level and the emitting component.
 * Callers must never pass secrets (AAuthSecret, nonces, PINs, keys); values
 * that could be secret are redacted by their owners before logging.
 */
#ifndef PDM_LOG_H
#define PDM_LOG_H

#include <stdarg.h>

#include <polydm/types.h>

typedef void (*pdm__log_fn)(void *user, int level, const char *component,
                            const char *msg);

typedef struct pdm__logger {
    pdm__log_fn fn; /* NULL: discard */
    void *user;
    int level;      /* lines above this pdm_log_level are dropped */
} pdm__logger;

void pdm__logf(const pdm__logger *lg, int level, const char *component,
               const char *fmt, ...) PDM_PRINTF(4, 5);
void pdm__vlogf(const pdm__logger *lg, int level, const char *component,
                const char *fmt, va_list ap) PDM_PRINTF(4, 0);

#endif
