/*
 * Diagnostics list (see diag.h).  Allocation failures while recording a
 * problem still count the problem, so a check never passes by accident.
 */
#include "diag/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

void pdm__diag_init(pdm__diag *d) { memset(d, 0, sizeof(*d)); }

void pdm__diag_free(pdm__diag *d)
{
    pdm__diag_item *it = d->head;
    while (it) {
        pdm__diag_item *n = it->next;
        pdm__free(it->file);
        pdm__free(it->msg);
        pdm__free(it);
        it = n;
    }
    memset(d, 0, sizeof(*d));
}

void pdm__diag_add(pdm__diag *d, const char *file, unsigned line, int rc,
                   const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    pdm__diag_item *it;

    if (rc < 0) {
        d->errors++;
        if (!d->first_rc)
            d->first_rc = rc;
    } else {
        d->warnings++;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    it = pdm__calloc(1, sizeof(*it));
    if (!it)
        return;
    it->file = file ? pdm__strdup(file) : NULL;
    it->msg = pdm__strdup(buf);
    if (!it->msg || (file && !it->file)) {
        pdm__free(it->file);
        pdm__free(it->msg);
        pdm__free(it);
        return;
    }
    it->line = line;
    it->rc = rc;
    it->warning = rc >= 0;
    if (d->tail)
        d->tail->next = it;
    else
        d->head = it;
    d->tail = it;
}

static void format(const pdm__diag_item *it, const char *kind, char *buf,
                   size_t size)
{
    if (it->file && it->line)
        snprintf(buf, size, "%s:%u: %s%s", it->file, it->line, kind, it->msg);
    else if (it->file)
        snprintf(buf, size, "%s: %s%s", it->file, kind, it->msg);
    else
        snprintf(buf, size, "%s%s", kind, it->msg);
}

void pdm__diag_format(const pdm__diag_item *it, char *buf, size_t size)
{
    format(it, it->warning ? "warning: " : "error: ", buf, size);
}

void pdm__diag_format_log(const pdm__diag_item *it, char *buf, size_t size)
{
    format(it, "", buf, size);
}
