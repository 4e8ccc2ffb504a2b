/*
 * polydm agent: the reference device agent.  One process, one thread, one
 * poll() loop over
 *   - a UDP socket receiving WAP push (WSP connectionless push PDUs): a
 *     package 0 (application/vnd.syncml.notification for
 *     x-wap-application:syncml.dm) is verified (digest, replay window)
 *     and then queues a server-initiated session; nothing unverified
 *     touches the queue; refusals are aggregated per source; OMA CP
 *     documents (0x35/0x36) and DM-profile bootstrap messages (0x42/0x43)
 *     go to the bootstrap pipeline (pdm_ctx_bootstrap_submit, which
 *     verifies SEC/MAC, asks policy, applies and audits them);
 *   - bootstrapped servers: at start (after pdm_ctx_bootstrap_scan) and
 *     after each applied bootstrap, every server of
 *     pdm_ctx_bootstrap_pending gets a client-initiated session (Alert
 *     1201), under the queue's usual retry rules;
 *   - the bootstrap sources that watch their medium (a card reader,
 *     pdm_ctx_bootstrap_watch): a change runs the scan again, which
 *     removes the accounts of a card that left and applies a new one's;
 *   - a control socket (UNIX, <state>/agent.sock, mode 0600) used by
 *     `polydm status` and `polydm trigger`;
 *   - the session queue: one session at a time, a queued request per
 *     server (a newer one replaces an older one), bounded retries with
 *     exponential backoff for network failures, never for refusals.
 * The queue is kept in the store, so a restart resumes it.  SIGTERM/SIGINT
 * stop the loop; a session in progress abandons its HTTP request (the
 * transport's cancel hook), its uncommitted package is undone (committed
 * packages are already stored) and it is queued again.
 *
 * polydm status / polydm trigger talk to a running agent.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>


static int agent_cmd(cli *c, int argc, char **argv);
static int status_cmd(cli *c, int argc, char **argv);
static int trigger_cmd(cli *c, int argc, char **argv);
static int alert_cmd(cli *c, int argc, char **argv);

const cli_cmd cli_agent_cmds[] = {
    {"agent", "[--listen ADDR:PORT] [--wbxml] [--ui-script FILE] "
              "[--device-state FILE] [--trace DIR] [--syslog] "
              "[--exit-after N] [transport options]",
     "run the device agent (WAP push intake, session queue, control socket)",
     "Listens for WAP push on UDP (default 127.0.0.1:2948): a verified\n"
     "package 0 runs a server-initiated session; a pushed OMA CP document\n"
     "or DM-profile bootstrap message goes to the bootstrap pipeline\n"
     "(as `polydm bootstrap` with --origin push).  At start it scans the\n"
     "profile's bootstrap sources; each newly bootstrapped server gets a\n"
     "client-initiated session.  Sessions run one at a\n"
     "time; network failures are retried with backoff (5 attempts).\n"
     "`polydm status` and `polydm trigger` talk to it through\n"
     "<state>/agent.sock.  SIGTERM stops it cleanly.\n"
     "  --listen ADDR:PORT   UDP address for WAP push\n"
     "  --wbxml              sessions use WBXML\n"
     "  --ui-script FILE     answers for UI prompts, one per line (yes, no,\n"
     "                       cancel, timeout, text=..., choose=1,3,\n"
     "                       default = the server's default response,\n"
     "                       auto = default for this and every later\n"
     "                       prompt); without it the device has no UI\n"
     "  --device-state FILE  append every device action as a JSON line\n"
     "  --trace DIR          write every message of session N both ways to\n"
     "                       DIR/NNN-<server>/ (for `polydm replay`)\n"
     "  --syslog             log to syslog instead of stderr\n"
     "  --exit-after N       exit after N sessions ended (tests, demos)\n"
     "  --ca FILE  --cert FILE  --key FILE  --pin PIN\n"
     "                       TLS settings instead of the profile's\n"
     "                       [transport] (see polydm session --help)\n",
     agent_cmd, false},
    {"status", "", "show the state of the running agent",
     "Prints one JSON document (with or without --json): the profile, the\n"
     "push address, uptime, waiting alerts, sessions ended, each queued\n"
     "session with its attempts, next_attempt (ISO 8601 UTC, null if not\n"
     "tried yet) and last_error, and the last session's outcome.  Exit 1\n"
     "when no agent runs for the state directory.\n",
     status_cmd, true},
    {"trigger", "[--server ID]",
     "ask the running agent for a client-initiated session", NULL,
     trigger_cmd, false},
    {"alert", "--server ID --type URN --format FMT [--data TEXT] "
              "[--source URI] [--mark MARK] [--correlator C]",
     "queue a Generic Alert (1226) for a DM server",
     "Hands the alert to the running agent, which starts a session with\n"
     "the server (--server) to deliver it; without an agent the alert is\n"
     "stored and goes out with the next session with that server (never\n"
     "with another one).  It stays queued until a session that carried it\n"
     "ends normally.  Texts may not contain tabs or newlines (binary data:\n"
     "--format b64 and base64 text).\n",
     alert_cmd, false},
    {NULL, NULL, NULL, NULL, NULL, false},
};

#define MAX_ATTEMPTS 5
#define FIRST_BACKOFF_S 5

typedef struct job {
    struct job *next;
    char *server;     /* account (NULL: the only one) */
    uint8_t *pkg0;    /* server-initiated, or NULL */
    size_t pkg0_len;
    unsigned attempts;
    time_t not_before;
    char sid[8];      /* pkg0 already verified: its session id, else "" */
    char last_error[256]; /* why the last attempt failed (status), or "" */
} job;

/* Refused pushes are unauthenticated input: the first one of a kind (for
 * package 0s: of a verdict) from a source within REFUSAL_WINDOW_S is
 * logged and audited, later ones are counted and reported as one summary
 * row when the window closes, so a flood adds a bounded number of rows and
 * log lines.  Beyond REFUSAL_SOURCES (source, kind) pairs all share one
 * "other sources" slot (source addresses of UDP are forgeable: the table
 * must not grow with them). */
#define REFUSAL_WINDOW_S 60
#define REFUSAL_SOURCES 16

/* RK_CP/RK_DM_BOOTSTRAP: bootstrap documents refused after they were
 * authenticated (the pipeline audited each); RK_PKG0_POLICY: a verified
 * package 0 a policy refused (pdm_ctx_notification_admit audited it);
 * RK_CP_FORGED/RK_DM_FORGED:
 * refused before (PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES: the agent audits
 * them, rate-limited like every other unauthenticated push). */
typedef enum refusal_kind {
    RK_MALFORMED, RK_CP, RK_DM_BOOTSTRAP, RK_NOT_DM, RK_PKG0,
    RK_CP_FORGED, RK_DM_FORGED, RK_PKG0_POLICY
} refusal_kind;

/* Refusals the core audited itself, one row each (authenticated input):
 * the agent's row would say the same again. */
static bool core_audited(refusal_kind k)
{
    return k == RK_CP || k == RK_DM_BOOTSTRAP || k == RK_PKG0_POLICY;
}

/* Largest WSP push the agent takes: a UDP datagram's payload (a CP
 * document with several accounts and NAPDEFs exceeds any small buffer). */
#define PUSH_MAX 65536

typedef struct refusals {
    char src[INET6_ADDRSTRLEN]; /* "" = free slot; "*" = other sources */
    refusal_kind kind;
    int code;                   /* RK_PKG0, RK_CP, RK_DM_BOOTSTRAP: the
                                   verdict (PDM_EAUTH, ...) */
    time_t since;               /* first refusal of this window */
    unsigned more;              /* refused after the first one */
} refusals;

#define AGENT_WATCH_MAX 8
#define SCAN_GAP_MS 250

typedef struct agent {
    cli *c;
    pdm_ctx *ctx;
    cli_net_opts net;
    cli_device dev;
    job *queue;
    int udp, ctl;
    char sock_path[300];
    char udp_name[64]; /* bound WAP push address */
    time_t alerts_not_before; /* next automatic session for alerts */
    unsigned sessions_ended, exit_after, sessions_run;
    const char *trace; /* --trace DIR, or NULL */
    char last[512];   /* outcome of the last session */
    time_t started;
    refusals refused[REFUSAL_SOURCES + 1]; /* the last: other sources */
    uint8_t *rx;      /* PUSH_MAX bytes: the receive buffer */
    /* Bootstrap sources that watch their medium (a card reader): their
     * fds join the poll set, and a readable one runs a scan.  The scans
     * they trigger are at least SCAN_GAP_MS apart; meanwhile the fds are
     * left out of the poll set (they stay readable until the scan's
     * probe() clears them, so polling them would spin). */
    int watch[AGENT_WATCH_MAX];
    size_t nwatch;
    uint64_t last_scan_ms;
    unsigned scans;   /* scans run (start-up included) */
} agent;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void job_free(job *j)
{
    free(j->server);
    free(j->pkg0);
    free(j);
}

/* A JSON string (or null) into @b: quotes, backslashes and control
 * characters escaped (an error text may quote a server's words). */
static void json_string(cli_buf *b, const char *s)
{
    if (!s) {
        cli_buf_puts(b, "null");
        return;
    }
    cli_buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            cli_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            cli_buf_printf(b, "\\u%04x", ch);
        else
            cli_buf_putc(b, ch);
    }
    cli_buf_putc(b, '"');
}

/* ---- the queue, persisted in the store ------------------------------------------- */

static void save_job(cli_buf *b, const job *j)
{
    cli_buf_printf(b, "%s\t", j->server ? j->server : "-");
    for (size_t i = 0; i < j->pkg0_len; i++)
        cli_buf_printf(b, "%02x", j->pkg0[i]);
    cli_buf_printf(b, "\t%u\t%s\n", j->attempts, j->sid[0] ? j->sid : "-");
}

/* Persists the queue; @running (not in the list, or NULL) is the job whose
 * session runs now: kept first, so that an agent killed in the middle of
 * a session runs it again after the restart. */
static void save_queue_run(agent *a, const job *running)
{
    cli_buf b;
    int rc;
    cli_buf_init(&b);
    if (running)
        save_job(&b, running);
    for (job *j = a->queue; j; j = j->next)
        save_job(&b, j);
    /* The integrator's storage (pdm_ctx_kv_put) is bounded: a queue that
     * no longer fits is only in memory until it shrinks. */
    if (cli_buf_ok(&b) &&
        (rc = pdm_ctx_kv_put(a->ctx, "queue", b.data, b.len)) != PDM_OK &&
        rc != PDM_ENOTSUP)
        pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent",
                    "cannot store the session queue: %s", pdm_strerror(rc));
    cli_buf_free(&b);
}

static void save_queue(agent *a)
{
    save_queue_run(a, NULL);
}

static void enqueue(agent *a, const char *server, const uint8_t *pkg0,
                    size_t len, const char *sid, unsigned attempts,
                    bool persist)
{
    job *j, **pp;
    /* One request per server: a newer (verified) notification replaces an
     * older; a client-initiated request leaves a waiting server-initiated
     * one alone (that session serves it too). */
    for (pp = &a->queue; *pp; pp = &(*pp)->next) {
        if (cli_streq((*pp)->server, server)) {
            if (!pkg0 && (*pp)->pkg0)
                return;
            j = *pp;
            *pp = j->next;
            job_free(j);
            break;
        }
    }
    j = calloc(1, sizeof(*j));
    if (!j)
        return;
    j->server = server ? strdup(server) : NULL;
    if (pkg0 && len) {
        j->pkg0 = malloc(len);
        if (j->pkg0) {
            memcpy(j->pkg0, pkg0, len);
            j->pkg0_len = len;
        }
    }
    j->attempts = attempts;
    if (sid)
        cli_strlcpy(j->sid, sid, sizeof j->sid);
    for (pp = &a->queue; *pp; pp = &(*pp)->next)
        ;
    *pp = j;
    if (persist)
        save_queue(a);
}

static void load_queue(agent *a)
{
    uint8_t *data;
    size_t len;
    char *text, *line, *save = NULL;
    if (pdm_ctx_kv_get(&data, &len, a->ctx, "queue") != PDM_OK)
        return;
    text = strndup((const char *)data, len);
    pdm_free(data);
    for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *srv = line, *hex = strchr(line, '\t'), *att, *sid = NULL;
        uint8_t pkg0[512];
        size_t n = 0;
        long attempts = 0;
        if (!hex)
            continue;
        *hex++ = '\0';
        att = strchr(hex, '\t');
        if (att) {
            *att++ = '\0';
            if ((sid = strchr(att, '\t')))
                *sid++ = '\0';
            /* more than MAX_ATTEMPTS: run_job gives up on it */
            if (cli_parse_long(att, 0, 1000, &attempts) != 0 ||
                attempts > MAX_ATTEMPTS)
                attempts = MAX_ATTEMPTS;
        }
        if (sid && (strcmp(sid, "-") == 0 || strlen(sid) > 4))
            sid = NULL;
        for (; hex[0] && hex[1] && n < sizeof pkg0; hex += 2)
            sscanf(hex, "%2hhx", &pkg0[n++]);
        enqueue(a, strcmp(srv, "-") ? srv : NULL, n ? pkg0 : NULL, n, sid,
                (unsigned)attempts, false);
    }
    free(text);
    if (a->queue)
        pdm_ctx_log(a->ctx, PDM_LOG_INFO, "agent",
                    "resuming %s queued session request(s)", "the");
}

/* ---- running one session ----------------------------------------------------------- */

/* Asks the user (UI hook) before a server-initiated session in
 * user-interaction mode; informative mode shows a message. */
static bool consent(agent *a, const uint8_t *pkg0, size_t len,
                    const char *server)
{
    pdm_notification_info p;
    char text[300];
    pdm_ui_request rq;
    pdm_ui_response rs;
    int rc;
    /* Verified when the session opened: only its mode is read here. */
    p.struct_size = sizeof p;
    if (pdm_notification_parse(&p, pkg0, len) != PDM_OK)
        return false;
    if (p.ui_mode != 2 && p.ui_mode != 3)
        return true; /* not specified or background */
    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    rq.struct_size = sizeof rq;
    rs.struct_size = sizeof rs;
    rq.type = p.ui_mode == 3 ? 1101 : 1100;
    rq.server_id = server;
    snprintf(text, sizeof text,
             p.ui_mode == 3 ? "Server %s wants to manage this device. Allow?"
                            : "Server %s is managing this device.",
             server);
    rq.text = text;
    rq.mindt = rq.maxdt = rq.maxlen = -1;
    rq.it = 'A';
    rq.et = 'T';
    if (!a->dev.hooks.ui) {
        if (p.ui_mode == 3) {
            pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent",
                        "%s asks for user consent, but this device has no UI: "
                        "session not started",
                        server);
            return false;
        }
        return true;
    }
    rc = a->dev.hooks.ui(a->dev.hooks.user, &rq, &rs);
    if (p.ui_mode == 2)
        return true;
    return rc == PDM_OK && rs.accepted;
}

static void run_job(agent *a, job *j)
{
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_session_info si;
    const char *srv;
    int rc;

    if (j->attempts >= MAX_ATTEMPTS) {
        /* Only an agent stopped or killed during each attempt gets here
         * (network failures stop retrying earlier): a session that kills
         * the agent must not do so at every start. */
        snprintf(a->last, sizeof a->last,
                 "%s: given up after %u attempts", j->server ? j->server : "?",
                 j->attempts);
        pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent", "%s", a->last);
        cli_device_record(&a->dev, "session", a->last);
        save_queue(a);
        return;
    }
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    /* The transport reports what it verified (cli_drive_session). */
    so.flags = (a->net.wbxml ? PDM_SESSION_WBXML : 0) |
               PDM_SESSION_TRANSPORT_FACTS;
    so.server_id = j->pkg0 ? NULL : j->server;
    so.pkg0 = j->pkg0;
    so.pkg0_len = j->pkg0_len;
    if (j->pkg0 && j->sid[0]) {
        /* Verified on an earlier attempt: a second verification would
         * refuse it as a repeated notification. */
        so.flags |= PDM_SESSION_SERVER_INITIATED;
        so.server_id = j->server;
        so.session_id = j->sid;
        so.pkg0 = NULL;
        so.pkg0_len = 0;
    }
    j->attempts++;
    rc = pdm_session_open(&s, a->ctx, &so);
    memset(&si, 0, sizeof si);
    si.struct_size = sizeof si;
    pdm_session_get_info(&si, s);
    srv = si.server_id[0] ? si.server_id : NULL; /* NULL: no account */
    if (rc == PDM_OK && j->pkg0 && !j->sid[0]) {
        cli_strlcpy(j->sid, si.session_id, sizeof j->sid);
        if (!j->server)
            j->server = strdup(si.server_id);
    }
    if (rc == PDM_OK && j->pkg0 && j->attempts == 1 &&
        !consent(a, j->pkg0, j->pkg0_len, si.server_id)) {
        pdm_session_decline(s, "the user declined");
        snprintf(a->last, sizeof a->last, "%s: the user declined the session",
                 si.server_id);
        cli_device_record(&a->dev, "session", a->last);
        pdm_session_close(s);
        a->sessions_ended++;
        return;
    }
    if (rc == PDM_OK) {
        /* One trace folder per session run: replayable on its own. */
        cli_net_opts net = a->net;
        char dir[4096];
        if (a->trace) {
            mkdir(a->trace, 0700);
            snprintf(dir, sizeof dir, "%s/%03u-%s", a->trace, ++a->sessions_run,
                     si.server_id);
            net.trace = dir;
            if (j->pkg0 && mkdir(dir, 0700) == 0) {
                /* The package 0 too: `polydm replay --pkg0` needs it. */
                char p0[4200];
                int fd;
                snprintf(p0, sizeof p0, "%s/00-pkg0.bin", dir);
                fd = open(p0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd >= 0) {
                    if (write(fd, j->pkg0, j->pkg0_len) < 0)
                        pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent",
                                    "cannot write %s", p0);
                    close(fd);
                }
            }
        }
        /* Stored as running only now, after the user's consent: an agent
         * killed while the question is open must not skip it next time. */
        save_queue_run(a, j);
        rc = cli_drive_session(a->ctx, s, &net, &stop_flag);
    }
    snprintf(a->last, sizeof a->last, "%s: %s%s",
             srv ? srv : (j->server ? j->server : "?"),
             rc == PDM_OK ? "ended normally" : "failed: ",
             rc == PDM_OK ? "" : pdm_session_error(s));
    cli_device_record(&a->dev, "session", a->last);
    /* Network trouble is retried; refusals and protocol errors are not. */
    if ((rc == PDM_EIO || rc == PDM_ETIMEOUT || rc == PDM_EBUSY) &&
        !stop_flag && j->attempts < MAX_ATTEMPTS) {
        unsigned back = FIRST_BACKOFF_S << (j->attempts - 1);
        time_t next = time(NULL) + back;
        char at[32];
        struct tm tm;
        gmtime_r(&next, &tm);
        strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        /* The failure itself was logged once (the session's error); the
         * retry plan is for -v and `polydm status`. */
        pdm_ctx_log(a->ctx, PDM_LOG_INFO, "agent",
                    "retrying in %u s, at %s (attempt %u of %d)", back, at,
                    j->attempts + 1, MAX_ATTEMPTS);
        enqueue(a, j->server ? j->server : srv,
                j->pkg0, j->pkg0_len, j->sid, j->attempts, true);
        for (job *q = a->queue; q; q = q->next)
            if (cli_streq(q->server, j->server ? j->server : srv)) {
                q->not_before = next;
                cli_strlcpy(q->last_error, pdm_session_error(s),
                            sizeof q->last_error);
            }
    } else if (stop_flag && rc != PDM_OK) {
        /* Interrupted by shutdown: keep it for the restart. */
        enqueue(a, j->server, j->pkg0, j->pkg0_len, j->sid, j->attempts - 1,
                true);
    } else {
        a->sessions_ended++;
        save_queue(a); /* it no longer runs */
    }
    pdm_session_close(s);
}

static void run_queue(agent *a)
{
    time_t now = time(NULL);
    job **pp = &a->queue;
    while (*pp && !stop_flag) {
        job *j = *pp;
        if (j->not_before > now) {
            pp = &j->next;
            continue;
        }
        *pp = j->next;
        save_queue(a);
        run_job(a, j);
        job_free(j);
        pp = &a->queue;
        if (a->exit_after && a->sessions_ended >= a->exit_after)
            break;
    }
}

/* ---- WAP push intake ------------------------------------------------------------------ */

static void refusal_audit(agent *a, const char *reason)
{
    pdm_audit_entry e;
    char line[256];
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.op = "Push";
    e.decision = "deny";
    e.component = "agent";
    /* The row takes one line of at most 255 bytes: cut, never refused. */
    cli_strlcpy(line, reason, sizeof line);
    e.reason = line;
    pdm_ctx_audit_append(a->ctx, &e);
}

/* Closes the windows that are over (@all: every window, at shutdown):
 * one summary log line (and audit row) for each that counted more
 * refusals.  Authenticated bootstrap documents get no agent audit row:
 * the pipeline audited each one it refused, a second row would say the
 * same. */
static void refusals_flush(agent *a, bool all)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < CLI_ARRAY_LEN(a->refused); i++) {
        refusals *r = &a->refused[i];
        char text[200];
        if (!r->src[0] || (!all && now - r->since < REFUSAL_WINDOW_S))
            continue;
        if (r->more) {
            snprintf(text, sizeof text,
                     "%u more pushes refused from %s in the last %lld s",
                     r->more, strcmp(r->src, "*") ? r->src : "other sources",
                     (long long)(now - r->since));
            pdm_ctx_log(a->ctx, PDM_LOG_WARN, "push", "%s", text);
            if (!core_audited(r->kind))
                refusal_audit(a, text);
        }
        memset(r, 0, sizeof *r);
    }
}

PDM_PRINTF(5, 6)
static void refuse_push(agent *a, const struct sockaddr_storage *from,
                        refusal_kind kind, int code, const char *fmt, ...)
{
    char src[INET6_ADDRSTRLEN] = "?", text[400];
    refusals *r = NULL, *other = &a->refused[REFUSAL_SOURCES];
    va_list ap;
    if (from->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, src,
                  sizeof src);
    else if (from->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr,
                  src, sizeof src);
    refusals_flush(a, false);
    for (size_t i = 0; i < REFUSAL_SOURCES && !r; i++)
        if (strcmp(a->refused[i].src, src) == 0 &&
            a->refused[i].kind == kind && a->refused[i].code == code)
            r = &a->refused[i];
    for (size_t i = 0; i < REFUSAL_SOURCES && !r; i++)
        if (!a->refused[i].src[0])
            r = &a->refused[i];
    if (!r)
        r = other;
    if (r->src[0]) {
        r->more++;
        return;
    }
    cli_strlcpy(r->src, r == other ? "*" : src, sizeof r->src);
    r->kind = kind;
    r->code = code;
    r->since = time(NULL);
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pdm_ctx_log(a->ctx, PDM_LOG_WARN, "push", "from %s: %s "
                "(further refusals from there are counted for %d s)", src,
                text, REFUSAL_WINDOW_S);
    if (!core_audited(kind)) {
        char row[sizeof text + 96];
        snprintf(row, sizeof row, "push from %s refused: %s", src, text);
        refusal_audit(a, row);
    }
}

/* Queues a client-initiated session (Alert 1201) for every bootstrapped
 * server still waiting for its first one.  A job that fails for good
 * (MAX_ATTEMPTS network failures) is not renewed here: the server stays
 * pending and is tried again at the next start or bootstrap, so an
 * unreachable new server is not hammered. */
static void queue_bootstrapped(agent *a)
{
    const char *srv;
    for (size_t i = 0; (srv = pdm_ctx_bootstrap_pending(a->ctx, i)); i++) {
        bool queued = false;
        for (job *j = a->queue; j && !queued; j = j->next)
            queued = cli_streq(j->server, srv);
        if (queued)
            continue;
        pdm_ctx_log(a->ctx, PDM_LOG_INFO, "agent",
                    "bootstrapped server %s: starting its first session", srv);
        enqueue(a, srv, NULL, 0, NULL, 0, true);
    }
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs the bootstrap sources (pdm_ctx_bootstrap_scan: the accounts of a
 * card that left go first, then every source's documents; each refusal
 * is audited by the pipeline) and queues the first session of every
 * server that got an account.  @why says what prompted it. */
static void bootstrap_scan(agent *a, const char *why)
{
    size_t applied = 0, refused = 0;
    int rc = pdm_ctx_bootstrap_scan(a->ctx, &applied, &refused);
    a->scans++;
    a->last_scan_ms = mono_ms();
    if (applied || refused || rc != PDM_OK)
        pdm_ctx_log(a->ctx, rc == PDM_OK ? PDM_LOG_INFO : PDM_LOG_WARN,
                    "agent",
                    "bootstrap scan (%s): %zu applied, %zu refused%s%s", why,
                    applied, refused, rc == PDM_OK ? "" : ": ",
                    rc == PDM_OK ? "" : pdm_ctx_last_error(a->ctx));
    else
        pdm_ctx_log(a->ctx, PDM_LOG_DEBUG, "agent",
                    "bootstrap scan (%s): nothing new", why);
    queue_bootstrapped(a);
}

/* The sources' watch fds (pdm_ctx_bootstrap_watch), asked once after the
 * start-up scan. */
static void bootstrap_watch(agent *a)
{
    size_t n = 0;
    if (pdm_ctx_bootstrap_watch(a->ctx, a->watch, AGENT_WATCH_MAX, &n) !=
        PDM_OK)
        n = 0;
    if (n > AGENT_WATCH_MAX) {
        pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent",
                    "%zu bootstrap sources watch their medium; only the "
                    "first %d are watched (the rest are read at start-up and "
                    "on `polydm bootstrap --scan`)", n, AGENT_WATCH_MAX);
        n = AGENT_WATCH_MAX;
    }
    a->nwatch = n;
    if (n)
        pdm_ctx_log(a->ctx, PDM_LOG_INFO, "agent",
                    "watching %zu bootstrap source(s) for changes", n);
}

/* A pushed bootstrap document (OMA CP or DM profile): the pipeline
 * verifies, decides, applies and audits it; the agent only reports. */
static void on_bootstrap_push(agent *a, const struct sockaddr_storage *from,
                              const pdm_push *p)
{
    char host[INET6_ADDRSTRLEN] = "?", via[INET6_ADDRSTRLEN + 16];
    unsigned port = 0;
    bool dm = p->kind == PDM_PUSH_BOOTSTRAP_DM;
    pdm_bootstrap_input in;
    pdm_bootstrap_result res;
    int rc;
    if (from->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        port = ntohs(sin->sin_port);
    } else if (from->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        port = ntohs(sin6->sin6_port);
    }
    snprintf(via, sizeof via,
             from->ss_family == AF_INET6 ? "udp:[%s]:%u" : "udp:%s:%u", host,
             port);
    memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    in.struct_size = sizeof in;
    res.struct_size = sizeof res;
    in.origin = PDM_ORIGIN_PUSH;
    in.body = p->body;
    in.len = p->len;
    in.content_type = p->content_type;
    in.sec = p->sec;
    in.mac_hex = p->mac[0] ? p->mac : NULL;
    in.via = via;
    /* Anyone can send a push: forged ones are audited here, once per
     * source and minute, so a flood cannot rotate real rows out. */
    in.flags = PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES;
    rc = pdm_ctx_bootstrap_submit(a->ctx, &in, &res);
    if (rc != PDM_OK) {
        const char *who = res.component[0] ? res.component : "core";
        const char *why = res.summary[0] ? res.summary : pdm_strerror(rc);
        char what[sizeof res.summary + sizeof res.component + 32];
        snprintf(what, sizeof what, "refused by %s: %s", who, why);
        cli_device_record(&a->dev, "bootstrap", what);
        refuse_push(a, from,
                    res.flags & PDM_BOOTSTRAP_RESULT_AUDITED
                        ? (dm ? RK_DM_BOOTSTRAP : RK_CP)
                        : (dm ? RK_DM_FORGED : RK_CP_FORGED),
                    rc,
                    "%s (%zu bytes) %s",
                    dm ? "DM-profile bootstrap message" : "OMA CP document",
                    p->len, what);
        return;
    }
    pdm_ctx_log(a->ctx, PDM_LOG_INFO, "push", "bootstrap from %s applied: %s",
                via, res.summary);
    {
        char what[sizeof res.summary + 16];
        snprintf(what, sizeof what, "applied: %s", res.summary);
        cli_device_record(&a->dev, "bootstrap", what);
    }
    queue_bootstrapped(a);
}

static void on_push(agent *a)
{
    uint8_t *buf = a->rx;
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n;
    pdm_push p;
    pdm_notification nt;
    int rc;
    memset(&from, 0, sizeof from);
    n = recvfrom(a->udp, buf, PUSH_MAX, 0, (struct sockaddr *)&from, &fl);
    if (n <= 0)
        return;
    p.struct_size = sizeof p;
    if (pdm_push_parse(&p, buf, (size_t)n) != PDM_OK) {
        refuse_push(a, &from, RK_MALFORMED, 0,
                    "malformed WAP push (%zd bytes): %s", n, p.why);
        return;
    }
    /* A pushed DM message is a DM-profile bootstrap (DM_Bootstrap: a
     * SyncML message carrying the account), like an OMA CP document. */
    if (p.kind == PDM_PUSH_BOOTSTRAP_CP || p.kind == PDM_PUSH_BOOTSTRAP_DM) {
        on_bootstrap_push(a, &from, &p);
        return;
    }
    if (p.kind != PDM_PUSH_NOTIFICATION) {
        refuse_push(a, &from, RK_NOT_DM, 0,
                    "ignored a WAP push that is not a DM notification "
                    "(content type %s, application %s)",
                    p.content_type[0] ? p.content_type : "?",
                    p.app_id[0] ? p.app_id : "none");
        return;
    }
    /* Verified here, before the queue sees it: a forged or replayed
     * package 0 must not replace the job of the server it names. */
    nt.struct_size = sizeof nt;
    rc = pdm_ctx_notification_admit(&nt, a->ctx, p.body, p.len);
    if (rc == PDM_EDENIED) {
        /* Verified, then refused by a policy: the core audited it with
         * the deciding component. */
        refuse_push(a, &from, RK_PKG0_POLICY, rc,
                    "package 0 from %.64s %s", nt.server_id, nt.why);
        return;
    }
    if (rc != PDM_OK) {
        refuse_push(a, &from, RK_PKG0, rc, "package 0%s%.64s refused: %s",
                    nt.server_id[0] ? " naming " : "", nt.server_id, nt.why);
        return;
    }
    pdm_ctx_log(a->ctx, PDM_LOG_INFO, "push",
                "package 0 from %s (session %s) verified and queued",
                nt.server_id, nt.session_id);
    enqueue(a, nt.server_id, p.body, p.len, nt.session_id, 0, true);
}

/* ---- Generic Alerts ---------------------------------------------------------------------- */

/* "server\tsource\ttype\tformat\tmark\tcorrelator\tdata" (the control
 * socket's and polydm alert's wire form; empty = absent). */
static int queue_alert_line(pdm_ctx *ctx, char *line)
{
    char *f[7] = {NULL};
    pdm_generic_alert ga;
    int i = 0;
    for (char *p = line; i < 7; i++) {
        f[i] = p;
        p += strcspn(p, "\t");
        if (*p)
            *p++ = '\0';
        else if (i < 6)
            return PDM_EINVAL;
    }
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
#define OPT(s) (*(s) ? (s) : NULL)
    ga.server_id = OPT(f[0]);
    ga.source_uri = OPT(f[1]);
    ga.type = OPT(f[2]);
    ga.format = OPT(f[3]);
    ga.mark = OPT(f[4]);
    ga.correlator = OPT(f[5]);
#undef OPT
    ga.data.data = (uint8_t *)f[6];
    ga.data.len = strlen(f[6]);
    return pdm_ctx_queue_alert(ctx, &ga);
}

/* Alerts for a server start a session with it (once a minute at most, so
 * an unreachable server is not hammered). */
static void maybe_deliver_alerts(agent *a)
{
    const char *srv = NULL;
    time_t now = time(NULL);
    if (a->queue || now < a->alerts_not_before ||
        !pdm_ctx_pending_alerts(a->ctx, &srv) || !srv)
        return;
    a->alerts_not_before = now + 60;
    pdm_ctx_log(a->ctx, PDM_LOG_INFO, "agent",
                "Generic Alert(s) waiting for %s: starting a session", srv);
    enqueue(a, srv, NULL, 0, NULL, 0, true);
}

/* ---- control socket --------------------------------------------------------------------- */

static void on_control(agent *a)
{
    int fd = accept(a->ctl, NULL, NULL);
    char line[4096];
    ssize_t n;
    cli_buf out;
    if (fd < 0)
        return;
    n = read(fd, line, sizeof line - 1);
    line[n > 0 ? n : 0] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    cli_buf_init(&out);
    if (strcmp(line, "status") == 0) {
        size_t q = 0;
        cli_buf_printf(&out, "{\"profile\":\"%s\",\"udp\":\"%s\","
                              "\"uptime_s\":%lld,\"alerts_waiting\":%zu,"
                              "\"sessions_ended\":%u,\"queued\":[",
                        pdm_ctx_profile_id(a->ctx), a->udp_name,
                        (long long)(time(NULL) - a->started),
                        pdm_ctx_pending_alerts(a->ctx, NULL),
                        a->sessions_ended);
        for (job *j = a->queue; j; j = j->next, q++) {
            char at[32] = "";
            struct tm tm;
            /* A retry: when it is due and why the last attempt failed
             * (null for a request not tried yet). */
            if (j->not_before && gmtime_r(&j->not_before, &tm))
                strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
            cli_buf_printf(&out, "%s{\"server\":\"%s\",\"initiated\":\"%s\","
                                  "\"attempts\":%u,\"next_attempt\":",
                            q ? "," : "", j->server ? j->server : "",
                            j->pkg0 ? "server" : "client", j->attempts);
            if (at[0])
                cli_buf_printf(&out, "\"%s\"", at);
            else
                cli_buf_puts(&out, "null");
            cli_buf_puts(&out, ",\"last_error\":");
            json_string(&out, j->last_error[0] ? j->last_error : NULL);
            cli_buf_puts(&out, "}");
        }
        cli_buf_puts(&out, "],\"last\":");
        json_string(&out, a->last[0] ? a->last : NULL);
        cli_buf_puts(&out, "}\n");
    } else if (strncmp(line, "alert\t", 6) == 0) {
        int rc = queue_alert_line(a->ctx, line + 6);
        if (rc == PDM_OK) {
            a->alerts_not_before = 0; /* deliver it now */
            cli_buf_puts(&out, "queued\n");
        } else {
            cli_buf_printf(&out, "error: %s\n", pdm_strerror(rc));
        }
    } else if (strncmp(line, "session", 7) == 0) {
        const char *srv = line[7] == ' ' ? line + 8 : NULL;
        enqueue(a, srv && *srv ? srv : NULL, NULL, 0, NULL, 0, true);
        cli_buf_puts(&out, "queued\n");
    } else {
        cli_buf_puts(&out, "error: unknown request\n");
    }
    if (cli_buf_ok(&out) && write(fd, out.data, out.len) < 0)
        pdm_ctx_log(a->ctx, PDM_LOG_WARN, "agent", "control reply lost");
    cli_buf_free(&out);
    close(fd);
}

static int open_udp(const char *listen_at, char *err, size_t errlen)
{
    char host[128];
    const char *colon = strrchr(listen_at, ':');
    long port;
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1;
    memset(&ss, 0, sizeof ss);
    if (!colon || cli_parse_long(colon + 1, 0, 65535, &port) != 0 ||
        (size_t)(colon - listen_at) >= sizeof host) {
        snprintf(err, errlen, "--listen %s: expected ADDR:PORT", listen_at);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen_at), listen_at);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) ==
               1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        sl = sizeof(struct sockaddr_in6);
    } else {
        snprintf(err, errlen, "--listen %s: not an IP address", host);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        snprintf(err, errlen, "cannot listen on UDP %s: %s", listen_at,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* The bound address, e.g. "127.0.0.1:40123" (with --listen ...:0 the
 * kernel picks the port; tests read it from here). */
static void bound_name(int fd, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(out, size, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             port);
}

static int open_control(agent *a, const char *state_dir)
{
    struct sockaddr_un sun;
    int fd;
    mode_t old;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    snprintf(a->sock_path, sizeof a->sock_path, "%s/agent.sock", state_dir);
    if (strlen(a->sock_path) >= sizeof sun.sun_path)
        return -1;
    memcpy(sun.sun_path, a->sock_path, strlen(a->sock_path) + 1);
    unlink(a->sock_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    old = umask(0077); /* the socket is the agent's: 0600 */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
        listen(fd, 4) != 0) {
        umask(old);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    umask(old);
    return fd;
}

static int agent_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"listen", required_argument, NULL, 'l'},
        {"wbxml", no_argument, NULL, 'w'},
        {"ui-script", required_argument, NULL, 'u'},
        {"device-state", required_argument, NULL, 'd'},
        {"syslog", no_argument, NULL, 's'},
        {"trace", required_argument, NULL, 't'},
        {"ca", required_argument, NULL, 'C'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"pin", required_argument, NULL, 'p'},
        {"exit-after", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *listen_at = "127.0.0.1:2948", *ui = NULL, *state = NULL;
    agent a;
    struct sigaction sa;
    char err[256];
    int opt, ex;
    long v;

    memset(&a, 0, sizeof a);
    a.c = c;
    a.udp = a.ctl = -1;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case 'l': listen_at = optarg; break;
        case 'w': a.net.wbxml = true; break;
        case 'u': ui = optarg; break;
        case 'd': state = optarg; break;
        case 's': c->syslog = true; break;
        case 't': a.trace = optarg; break;
        case 'C': a.net.ca = optarg; break;
        case 'c': a.net.cert = optarg; break;
        case 'k': a.net.key = optarg; break;
        case 'p': a.net.pin = optarg; break;
        case 'x':
            if (cli_parse_long(optarg, 1, 1000000, &v) != 0) {
                cli_err("agent: --exit-after wants a positive number");
                return CLI_USAGE;
            }
            a.exit_after = (unsigned)v;
            break;
        case 'h': cli_cmd_help(&cli_agent_cmds[0], stdout); return CLI_OK;
        default:
            cli_bad_option(&cli_agent_cmds[0], argv[optind - 1], lo);
            return CLI_USAGE;
        }
    }
    if (a.net.pin && pdm_key_pin_check(a.net.pin) != PDM_OK) {
        cli_err("agent: --pin: a pin is sha256//<base64 of the SHA-256 of "
                "the server's public key>, entries separated by ';'");
        return CLI_BADINPUT;
    }
    if (cli_device_init(&a.dev, ui, state) != 0)
        return CLI_BADINPUT;
    if (c->syslog)
        openlog("polydm", LOG_PID, LOG_DAEMON);
    c->hooks = &a.dev.hooks;
    if ((ex = cli_open(c, &a.ctx, 0)) != CLI_OK) {
        cli_device_fini(&a.dev);
        return ex;
    }
    a.rx = malloc(PUSH_MAX);
    a.udp = open_udp(listen_at, err, sizeof err);
    a.ctl = open_control(&a, c->state_dir);
    if (!a.rx) {
        cli_err("agent: out of memory");
        ex = CLI_IOERR;
        goto out;
    }
    if (a.udp < 0 || a.ctl < 0) {
        cli_err("agent: %s", a.udp < 0 ? err : "cannot create the control socket");
        ex = CLI_IOERR;
        goto out;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    a.started = time(NULL);
    load_queue(&a);
    /* Documents the profile's sources hold (the SIM, a CP file, the
     * factory document), then the sources that can say when they change. */
    bootstrap_scan(&a, "start-up");
    bootstrap_watch(&a);
    bound_name(a.udp, a.udp_name, sizeof a.udp_name);
    pdm_ctx_log(a.ctx, PDM_LOG_INFO, "agent",
                "listening for WAP push on udp %s, control %s", a.udp_name,
                a.sock_path);
    printf("polydm agent: listening on udp %s\n", a.udp_name);
    fflush(stdout);
    while (!stop_flag && !(a.exit_after && a.sessions_ended >= a.exit_after)) {
        struct pollfd pf[2 + AGENT_WATCH_MAX] = {{a.udp, POLLIN, 0},
                                                 {a.ctl, POLLIN, 0}};
        nfds_t npf = 2;
        int timeout = a.queue ? 200 : 1000;
        uint64_t since = mono_ms() - a.last_scan_ms;
        bool changed = false;
        if (since >= SCAN_GAP_MS)
            for (size_t i = 0; i < a.nwatch; i++)
                pf[npf++] = (struct pollfd){a.watch[i], POLLIN, 0};
        else if (a.nwatch && SCAN_GAP_MS - since < (uint64_t)timeout)
            timeout = (int)(SCAN_GAP_MS - since);
        if (poll(pf, npf, timeout) < 0 && errno != EINTR)
            break;
        if (pf[0].revents & POLLIN)
            on_push(&a);
        if (pf[1].revents & POLLIN)
            on_control(&a);
        for (nfds_t i = 2; i < npf; i++)
            changed |= (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
        if (changed)
            bootstrap_scan(&a, "a bootstrap source changed");
        refusals_flush(&a, false);
        maybe_deliver_alerts(&a);
        run_queue(&a);
    }
    refusals_flush(&a, true);
    pdm_ctx_log(a.ctx, PDM_LOG_INFO, "agent", "stopping (%u sessions)",
                a.sessions_ended);
    ex = CLI_OK;
out:
    save_queue(&a);
    if (a.udp >= 0)
        close(a.udp);
    if (a.ctl >= 0) {
        close(a.ctl);
        unlink(a.sock_path);
    }
    while (a.queue) {
        job *j = a.queue;
        a.queue = j->next;
        job_free(j);
    }
    pdm_ctx_close(a.ctx);
    cli_device_fini(&a.dev);
    free(a.rx);
    return ex;
}

/* ---- clients of the control socket ---------------------------------------------------- */

static int ask_agent(cli *c, const char *req)
{
    struct sockaddr_un sun;
    char buf[8192];
    ssize_t n;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s/agent.sock", c->state_dir);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        cli_err("no agent is running for state directory %s", c->state_dir);
        if (fd >= 0)
            close(fd);
        return CLI_REFUSED;
    }
    if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        return CLI_IOERR;
    }
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(fd);
    return CLI_OK;
}

static int status_cmd(cli *c, int argc, char **argv)
{
    int rc = cli_simple_opts(&cli_agent_cmds[1], argc, argv);
    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    return ask_agent(c, "status\n");
}

static int trigger_cmd(cli *c, int argc, char **argv)
{
    char req[300];
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_cmd_help(&cli_agent_cmds[2], stdout);
        return CLI_OK;
    }
    if (argc == 3 && strcmp(argv[1], "--server") == 0)
        snprintf(req, sizeof req, "session %s\n", argv[2]);
    else if (argc == 1)
        snprintf(req, sizeof req, "session\n");
    else {
        cli_err("trigger: usage: polydm trigger [--server ID]");
        return CLI_USAGE;
    }
    return ask_agent(c, req);
}

/* polydm alert: to the running agent, or into the store for the next
 * session when no agent runs. */
static int alert_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"type", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"data", required_argument, NULL, 'd'},
        {"source", required_argument, NULL, 's'},
        {"mark", required_argument, NULL, 'm'},
        {"correlator", required_argument, NULL, 'c'},
        {"server", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *v[7] = {"", "", "", "", "", "", ""}; /* wire order */
    cli_buf req;
    struct sockaddr_un sun;
    int opt, fd, ex;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case 'S': v[0] = optarg; break;
        case 's': v[1] = optarg; break;
        case 't': v[2] = optarg; break;
        case 'f': v[3] = optarg; break;
        case 'm': v[4] = optarg; break;
        case 'c': v[5] = optarg; break;
        case 'd': v[6] = optarg; break;
        case 'h': cli_cmd_help(&cli_agent_cmds[3], stdout); return CLI_OK;
        default:
            cli_bad_option(&cli_agent_cmds[3], argv[optind - 1], lo);
            return CLI_USAGE;
        }
    }
    if (optind != argc || !*v[0] || !*v[2] || !*v[3]) {
        cli_err("alert: --server, --type and --format are required, "
                "nothing else");
        return CLI_USAGE;
    }
    for (int i = 0; i < 7; i++)
        if (strpbrk(v[i], "\t\r\n")) {
            cli_err("alert: values may not contain tabs or newlines");
            return CLI_USAGE;
        }
    cli_buf_init(&req);
    cli_buf_puts(&req, "alert");
    for (int i = 0; i < 7; i++) {
        cli_buf_putc(&req, '\t');
        cli_buf_puts(&req, v[i]);
    }
    cli_buf_putc(&req, '\n');
    if (!cli_buf_ok(&req) || req.len >= 4000) {
        cli_buf_free(&req);
        cli_err("alert: too long");
        return CLI_USAGE;
    }
    /* A running agent takes it (and starts the session). */
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s/agent.sock", c->state_dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
        char buf[256];
        ssize_t n;
        ex = write(fd, req.data, req.len) == (ssize_t)req.len ? CLI_OK
                                                              : CLI_IOERR;
        n = ex == CLI_OK ? read(fd, buf, sizeof buf - 1) : -1;
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
        cli_buf_free(&req);
        if (strncmp(buf, "queued", 6) != 0) {
            cli_err("alert: the agent refused it: %s", buf[0] ? buf : "no answer");
            return CLI_REFUSED;
        }
        printf("queued; the agent delivers it\n");
        return ex;
    }
    if (fd >= 0)
        close(fd);
    {
        pdm_ctx *ctx;
        int rc;
        if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
            cli_buf_free(&req);
            return ex;
        }
        req.data[--req.len] = '\0'; /* the newline */
        rc = queue_alert_line(ctx, (char *)req.data + 6);
        pdm_ctx_close(ctx);
        cli_buf_free(&req);
        if (rc != PDM_OK) {
            cli_err("alert: %s", pdm_strerror(rc));
            return cli_exit_for_rc(rc);
        }
    }
    printf("queued for the next session\n");
    return CLI_OK;
}
