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

/* Repeated lines from one input (a message's commands or Statuses): the
 * first PDM_LOG_BURST lines of a site are written, the others only
 * counted, and pdm__log_burst_end writes one summary line for them.  A
 * peer cannot make the device write a line per element it sends.  Start
 * from {0} for each input. */
#define PDM_LOG_BURST 5
typedef struct pdm__log_burst {
    unsigned long seen; /* lines asked for, written or not */
} pdm__log_burst;
void pdm__logf_burst(const pdm__logger *lg, pdm__log_burst *b, int level,
                     const char *component, const char *fmt, ...)
    PDM_PRINTF(5, 6);
/* "<prefix>: N more like this not logged", when lines were held back. */
void pdm__log_burst_end(const pdm__logger *lg, pdm__log_burst *b, int level,
                        const char *component, const char *prefix);

#endif
