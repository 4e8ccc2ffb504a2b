/*
 * Diagnostics: a list of "file:line: message" problems collected while
 * checking input files (profiles, TNDS, scenario files), so that a user sees
 * every problem of a file at once rather than only the first.
 */
#ifndef PDM_DIAG_H
#define PDM_DIAG_H

#include <stddef.h>

#include <polydm/types.h>

typedef struct pdm__diag_item {
    struct pdm__diag_item *next;
    char *file;     /* may be NULL */
    unsigned line;  /* 0 = no line */
    int rc;         /* pdm_rc the problem maps to */
    int warning;    /* 1 = warning, does not fail the check */
    char *msg;
} pdm__diag_item;

typedef struct pdm__diag {
    pdm__diag_item *head, *tail;
    size_t errors, warnings;
    int first_rc; /* rc of the first error (0 if none) */
} pdm__diag;

void pdm__diag_init(pdm__diag *d);
void pdm__diag_free(pdm__diag *d);
/* Adds an error (rc < 0) or a warning (rc == 0). */
void pdm__diag_add(pdm__diag *d, const char *file, unsigned line, int rc,
                   const char *fmt, ...) PDM_PRINTF(5, 6);
/* Formats item as "file:line: error: msg" into buf. */
void pdm__diag_format(const pdm__diag_item *it, char *buf, size_t size);
/* The same without "error: "/"warning: ": for a log line, whose level
 * already says it. */
void pdm__diag_format_log(const pdm__diag_item *it, char *buf, size_t size);

#endif
