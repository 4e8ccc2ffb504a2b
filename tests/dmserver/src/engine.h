/*
 * The server side of OMA DM 1.2 driven by a scenario: answers the client's
 * messages (statuses for its header and commands, authentication both
 * ways, the scenario's packages split to the client's MaxMsgSize, large
 * objects), checks every expectation and the client's protocol behaviour,
 * and reports each failed expectation with file:line, session, package,
 * command, expected and got.
 *
 * Not thread-safe: the HTTP layer serialises calls with a mutex.
 */
#ifndef DMS_ENGINE_H
#define DMS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

typedef struct dms_engine dms_engine;

typedef struct dms_config {
    const char *scheme;   /* "http" or "https" */
    int port;
    long end_wait_ms;     /* < 0: the scenario's (default 500) */
    long timeout_s;       /* <= 0: the scenario's (default 30) */
    const char *push_to;  /* overrides every push destination (or NULL) */
    bool once;            /* stop after one run of the scenario */
    int verbose;
    FILE *transcript;     /* NULL: none */
    FILE *log;            /* progress/report stream (stderr) */
} dms_config;

typedef struct dms_request {
    const uint8_t *body;
    size_t len;
    const char *method;
    const char *content_type;
    const char *hmac;      /* x-syncml-hmac header or NULL */
    const char *host;      /* Host header or NULL */
    const char *url;       /* path, e.g. "/dm" */
    const char *token;     /* value of ?s= or NULL */
    const char *peer_cn;   /* TLS client certificate CN or NULL */
} dms_request;

typedef struct dms_response {
    int http_status;
    uint8_t *body; /* malloc'd */
    size_t len;
    char content_type[64];
    char *hmac;    /* x-syncml-hmac value (malloc'd) or NULL */
    long delay_ms; /* hold the answer back this long (`send delay=`) */
} dms_response;

dms_engine *dms_engine_new(scenario *sc, const dms_config *cfg);
void dms_engine_free(dms_engine *e);

/* Answers one HTTP request. */
void dms_engine_handle(dms_engine *e, const dms_request *req,
                       dms_response *resp);
void dms_response_free(dms_response *r);

/* Timers: timeouts, the silence after the last package, pushes of the
 * next session.  Returns true when the run is complete. */
bool dms_engine_tick(dms_engine *e);

/* Writes the report of the run; returns the number of failures. */
size_t dms_engine_report(dms_engine *e, FILE *f);
/* Starts the scenario again (server mode without --once). */
void dms_engine_restart(dms_engine *e);

/* Records a failure from outside (e.g. TLS client refused). */
void dms_engine_fail(dms_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes one message to a transcript. */
void dms_transcript(FILE *f, const char *dir, unsigned seq,
                    const char *label, const char *ctype, const char *hmac,
                    const uint8_t *body, size_t len);

#endif /* DMS_ENGINE_H */
