/*
 * Core logging front end (see log.h).
 */
#include "log/log.h"

#include <stdio.h>

void pdm__vlogf(const pdm__logger *lg, int level, const char *component,
                const char *fmt, va_list ap)
{
    char buf[1024];
    if (!lg || !lg->fn || level > lg->level)
        return;
    vsnprintf(buf, sizeof buf, fmt, ap);
    lg->fn(lg->user, level, component ? component : "core", buf);
}

void pdm__logf(const pdm__logger *lg, int level, const char *component,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdm__vlogf(lg, level, component, fmt, ap);
    va_end(ap);
}

void pdm__logf_burst(const pdm__logger *lg, pdm__log_burst *b, int level,
                     const char *component, const char *fmt, ...)
{
    va_list ap;
    if (++b->seen > PDM_LOG_BURST)
        return;
    va_start(ap, fmt);
    pdm__vlogf(lg, level, component, fmt, ap);
    va_end(ap);
}

void pdm__log_burst_end(const pdm__logger *lg, pdm__log_burst *b, int level,
                        const char *component, const char *prefix)
{
    if (b->seen > PDM_LOG_BURST)
        pdm__logf(lg, level, component, "%s: %lu more like this not logged",
                  prefix, b->seen - PDM_LOG_BURST);
    b->seen = 0;
}
