/*
 * Driving a session over HTTP(S): the loop shared by `polydm session`,
 * `polydm notify` and the agent.  TLS settings come from the command line
 * or the profile's [transport] section (CA file, client certificate and
 * key, a key pin per server).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport.h"

static void trace(const char *dir, unsigned n, const char *who,
                  const uint8_t *body, size_t len, bool wbxml)
{
    char path[4096];
    FILE *f;
    int fd;
    if (!dir)
        return;
    /* Traces hold what went over the wire, credentials included (a server
     * may Add an AAuthSecret): readable by the device's owner only. */
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%02u-%s.%s", dir, n, who,
             wbxml ? "wbxml" : "xml");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0 && (f = fdopen(fd, "wb"))) {
        fwrite(body, 1, len, f);
        fclose(f);
    } else if (fd >= 0) {
        close(fd);
    }
}

/* Every HTTP retry is logged with its reason (-v).  When a retry then
 * gets through, the first reason becomes the session's first cause: a
 * server that failed (HTTP 500) and answers the retry with a challenge has
 * lost the session, and the error must say so rather than blame what
 * followed.  (A request that gives up has its own error.) */
typedef struct retries {
    pdm_ctx *ctx;
    char first[400];
} retries;

static void on_retry(void *user, unsigned attempt, const char *why,
                     long delay_ms)
{
    retries *r = user;
    struct timespec now;
    struct tm tm;
    char at[32] = "";
    time_t next;
    clock_gettime(CLOCK_REALTIME, &now);
    next = now.tv_sec + (time_t)((now.tv_nsec / 1000000 + delay_ms) / 1000);
    if (gmtime_r(&next, &tm))
        strftime(at, sizeof at, "%H:%M:%SZ", &tm);
    pdm_ctx_log(r->ctx, PDM_LOG_INFO, "transport",
                "attempt %u failed (%s); next attempt in %ld ms, at %s",
                attempt, why, delay_ms, at);
    if (!r->first[0])
        snprintf(r->first, sizeof r->first, "%s", why);
}

/* The connection of each request, before anything is sent: the session
 * learns what was verified and its policy may refuse the peer.  With a
 * trace, the facts go next to the client message they carried
 * (NN-transport, see cli.h), so `polydm replay` can report them again. */
typedef struct peer_ctx {
    pdm_session *s;
    const char *trace;
    const unsigned *n; /* number of the client message in flight */
} peer_ctx;

static void trace_facts(const char *dir, unsigned n, const pdm_http_peer *p)
{
    char path[4096];
    FILE *f;
    int fd;
    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/%02u-transport", dir, n);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0 && (f = fdopen(fd, "w"))) {
        fprintf(f, "tls_version=%s\nverified=%s\nkey_pin=%s\n",
                p->tls_version ? p->tls_version : "",
                p->verified ? "yes" : "no", p->key_pin ? p->key_pin : "");
        fclose(f);
    } else if (fd >= 0) {
        close(fd);
    }
}

static int report_peer(void *user, const pdm_http_peer *peer)
{
    peer_ctx *pc = user;
    pdm_transport_info ti;
    trace_facts(pc->trace, *pc->n, peer);
    memset(&ti, 0, sizeof ti);
    ti.struct_size = sizeof ti;
    ti.flags = peer->verified ? PDM_TRANSPORT_VERIFIED : 0;
    ti.tls_version = peer->tls_version;
    ti.key_pin = peer->key_pin;
    return pdm_session_set_transport(pc->s, &ti) == PDM_OK ? 0 : -1;
}

int cli_trace_facts_read(const char *path, cli_trace_facts *f, char *err,
                         size_t errlen)
{
    FILE *in;
    char line[512];
    unsigned ln = 0;
    memset(f, 0, sizeof *f);
    f->ti.struct_size = sizeof f->ti;
    if (!(in = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    while (fgets(line, sizeof line, in)) {
        size_t len = strcspn(line, "\n");
        char *eq = strchr(line, '=');
        ln++;
        if (line[len] != '\n' || !eq || eq > line + len) {
            snprintf(err, errlen, "%s:%u: expected key=value", path, ln);
            fclose(in);
            return -1;
        }
        line[len] = '\0';
        *eq++ = '\0';
        if (strcmp(line, "tls_version") == 0 && strlen(eq) < sizeof f->tls) {
            cli_strlcpy(f->tls, eq, sizeof f->tls);
        } else if (strcmp(line, "key_pin") == 0 &&
                   strlen(eq) < sizeof f->pin) {
            cli_strlcpy(f->pin, eq, sizeof f->pin);
        } else if (strcmp(line, "verified") == 0 &&
                   (strcmp(eq, "yes") == 0 || strcmp(eq, "no") == 0)) {
            f->ti.flags = eq[0] == 'y' ? PDM_TRANSPORT_VERIFIED : 0;
        } else {
            snprintf(err, errlen, "%s:%u: unknown key or bad value \"%s\" "
                     "(tls_version, verified=yes|no, key_pin)", path, ln,
                     line);
            fclose(in);
            return -1;
        }
    }
    fclose(in);
    f->ti.tls_version = f->tls[0] ? f->tls : NULL;
    f->ti.key_pin = f->pin[0] ? f->pin : NULL;
    return 0;
}

int cli_drive_session(pdm_ctx *ctx, pdm_session *s, const cli_net_opts *o,
                      volatile sig_atomic_t *stop)
{
    pdm_http_opts ho;
    pdm_http_session *hs = NULL;
    pdm_transport_config *tc = NULL;
    pdm_session_info si;
    char err[512] = "";
    pdm_message m;
    unsigned n = 0;
    retries rt = {ctx, ""};
    peer_ctx pc = {s, o->trace, &n};
    int rc;

    memset(&ho, 0, sizeof ho);
    memset(&si, 0, sizeof si);
    si.struct_size = sizeof si;
    pdm_session_get_info(&si, s);
    rc = pdm_ctx_transport_config(&tc, ctx, si.server_id);
    if (rc != PDM_OK) {
        snprintf(err, sizeof err, "cannot read the [transport] settings: %s",
                 pdm_strerror(rc));
    } else {
        ho.ca_file = o->ca ? o->ca : tc->ca_file;
        ho.client_cert = o->cert ? o->cert : tc->client_cert;
        ho.client_key = o->key ? o->key : tc->client_key;
        ho.pin = o->pin ? o->pin : tc->pin;
        ho.allow_plain_http =
            (tc->flags & PDM_TRANSPORT_CONFIG_ALLOW_PLAIN_HTTP) != 0;
        ho.timeout_ms = tc->timeout_ms;
        ho.retries = (int)tc->retries;
        ho.cancel = stop; /* SIGTERM abandons a request in flight */
        ho.on_retry = on_retry;
        ho.retry_user = &rt;
        ho.on_connect = report_peer;
        ho.on_connect_user = &pc;
        rc = pdm_http_session_open(&hs, &ho, err, sizeof err);
    }
    if (rc != PDM_OK) /* the session ends with this reason, audited */
        pdm_session_transport_error(s, rc, err);
    while (rc == PDM_OK && pdm_session_next(s, &m) == PDM_OK && m.body) {
        pdm_http_resp r;
        bool abort_msg; /* 1223: no answer */
        pdm_session_get_info(&si, s);
        abort_msg = (si.flags & PDM_SESSION_INFO_OVER) != 0;
        trace(o->trace, ++n, "client", m.body, m.len, o->wbxml);
        rc = pdm_http_session_post(hs, &r, m.url, m.body, m.len,
                                   m.content_type, m.hmac, err, sizeof err);
        if (rc == PDM_OK && r.status != 200) {
            snprintf(err, sizeof err, "server answered HTTP %ld", r.status);
            rc = PDM_EIO;
        }
        if (rc != PDM_OK || abort_msg || (stop && *stop)) {
            pdm_http_resp_free(&r);
            if (rc != PDM_OK)
                pdm_session_transport_error(s, rc, err);
            else if (stop && *stop)
                pdm_session_transport_failed(s, PDM_ECANCELLED);
            break;
        }
        if (r.attempts > 1 && rt.first[0])
            pdm_session_transport_retried(s, rt.first);
        trace(o->trace, ++n, "server", r.body, r.len,
              r.content_type && strstr(r.content_type, "wbxml"));
        /* A reply the session refuses may still leave one message to send
         * (the session abort, Alert 1223): the loop ends when
         * pdm_session_next has nothing more, and the outcome is
         * pdm_session_result. */
        pdm_session_reply(s, r.body, r.len, r.content_type, r.hmac);
        pdm_http_resp_free(&r);
    }
    /* The transport's words are in the session's error, logged once
     * below: here only for -v. */
    if (rc != PDM_OK && err[0])
        pdm_ctx_log(ctx, PDM_LOG_DEBUG, "transport", "%s", err);
    pdm_http_session_close(hs);
    pdm_transport_config_free(tc);
    pdm_session_get_info(&si, s);
    rc = pdm_session_result(s);
    if (rc == PDM_OK)
        pdm_ctx_log(ctx, PDM_LOG_INFO, "session",
                    "session %s with %s ended normally", si.session_id,
                    si.server_id);
    else
        pdm_ctx_log(ctx, PDM_LOG_ERROR, "session", "session with %s failed: %s",
                    si.server_id, pdm_session_error(s));
    return rc;
}
