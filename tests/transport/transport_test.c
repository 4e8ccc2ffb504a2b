/*
 * The agent's HTTP(S) transport (core/cli/transport.c) against real TLS
 * servers on 127.0.0.1, with a throwaway PKI made by certtool at test time.
 *
 * Servers (all in this process, on ephemeral loopback ports):
 *  - mhd_tls:   libmicrohttpd, TLS 1.2/1.3, server cert for 127.0.0.1 /
 *               localhost signed by CA 1; it *requests* a client certificate
 *               and answers 403 unless one signed by CA 1 was presented.
 *               Paths pick the behaviour (echo, 503 twice, 404, 302...).
 *  - mhd_other: same CA, but a certificate for other.example only.
 *  - mhd_expired: same CA, a certificate that expired in 2021.
 *  - mhd_plain: plain HTTP, same handler.
 *  - raw GnuTLS servers (a thread each) for what libmicrohttpd cannot do:
 *    *require* a client certificate at the TLS level (TLS 1.2 and TLS 1.3
 *    variants, which fail differently on the client) and speak only
 *    TLS 1.0/1.1.
 * A bound but not listening socket gives "connection refused".
 */
#define _GNU_SOURCE
#include "cu_main.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "transport.h"

#define CLIENT_CN "IMEI:493005100592800"
#define REQ_HMAC "algorithm=MD5, username=\"dmclient\", mac=Q2xpZW50TWFjVmFsdWU="
#define RESP_HMAC "algorithm=MD5, username=\"dmserver\", mac=U2VydmVyTWFjVmFsdWU="
#define WBXML "application/vnd.syncml.dm+wbxml"

/* ---- throwaway PKI ---------------------------------------------------- */

static char dir[300];
static char ca_pem[400], ca2_pem[400], cli_pem[400], cli_key[400],
    cli2_pem[400], cli2_key[400], srv_pem[400], srv_key[400],
    other_pem[400], expired_pem[400];
static char pin_good[128], pin_bad[128], pin_list[300];

static int sh(const char *fmt, ...) PDM_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return -1;
    }
    return 0;
}

static int write_file(const char *name, const char *text)
{
    char path[400];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* "sha256//<b64>" of the public key in @pem, from certtool's pin-sha256. */
static int pin_of(const char *pem, char *out, size_t len)
{
    char cmd[600], line[512];
    FILE *p;
    int rc = -1;
    snprintf(cmd, sizeof cmd, "%s --pubkey-info --infile '%s' 2>/dev/null",
             PDM_CERTTOOL, pem);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        char *s = strstr(line, "pin-sha256:");
        if (s && rc != 0) {
            s += strlen("pin-sha256:");
            s[strcspn(s, "\r\n")] = '\0';
            snprintf(out, len, "sha256//%s", s);
            rc = 0;
        }
    }
    pclose(p);
    return rc;
}

static int make_key(const char *name)
{
    return sh("%s --generate-privkey --key-type ecdsa --curve secp256r1 "
              "--outfile '%s/%s.key' >/dev/null 2>&1",
              PDM_CERTTOOL, dir, name);
}

static int make_pki(void)
{
    snprintf(dir, sizeof dir, "%s", pdm_test_tmpdir());
#define P(var, file) snprintf(var, sizeof var, "%s/" file, dir)
    P(ca_pem, "ca.pem");
    P(ca2_pem, "ca2.pem");
    P(cli_pem, "cli.pem");
    P(cli_key, "cli.key");
    P(cli2_pem, "cli2.pem");
    P(cli2_key, "cli2.key");
    P(srv_pem, "srv.pem");
    P(srv_key, "srv.key");
    P(other_pem, "other.pem");
    P(expired_pem, "expired.pem");
#undef P
    if (write_file("ca.tmpl", "cn = \"polydm test CA\"\nca\n"
                              "cert_signing_key\nexpiration_days = 2\n") ||
        write_file("ca2.tmpl", "cn = \"unrelated CA\"\nca\n"
                               "cert_signing_key\nexpiration_days = 2\n") ||
        write_file("srv.tmpl", "cn = \"localhost\"\ndns_name = \"localhost\"\n"
                               "ip_address = \"127.0.0.1\"\n"
                               "ip_address = \"::1\"\ntls_www_server\n"
                               "signing_key\nencryption_key\n"
                               "expiration_days = 2\n") ||
        write_file("other.tmpl", "cn = \"other.example\"\n"
                                 "dns_name = \"other.example\"\n"
                                 "tls_www_server\nsigning_key\n"
                                 "expiration_days = 2\n") ||
        write_file("expired.tmpl",
                   "cn = \"localhost\"\nip_address = \"127.0.0.1\"\n"
                   "tls_www_server\nsigning_key\n"
                   "activation_date = \"2020-01-01 00:00:00\"\n"
                   "expiration_date = \"2021-01-01 00:00:00\"\n") ||
        write_file("cli.tmpl", "cn = \"" CLIENT_CN "\"\n"
                               "organization = \"polydm test device\"\n"
                               "tls_www_client\nsigning_key\n"
                               "expiration_days = 2\n"))
        return -1;
    if (make_key("ca") || make_key("ca2") || make_key("srv") ||
        make_key("cli") || make_key("cli2"))
        return -1;
    if (sh("cd '%s' && %s --generate-self-signed --load-privkey ca.key "
           "--template ca.tmpl --outfile ca.pem >/dev/null 2>&1 && "
           "%s --generate-self-signed --load-privkey ca2.key "
           "--template ca2.tmpl --outfile ca2.pem >/dev/null 2>&1",
           dir, PDM_CERTTOOL, PDM_CERTTOOL))
        return -1;
#define SIGN(cert, key, tmpl, ca)                                          \
    sh("cd '%s' && %s --generate-certificate --load-privkey " key          \
       " --load-ca-certificate " ca ".pem --load-ca-privkey " ca ".key "   \
       "--template " tmpl " --outfile " cert " >/dev/null 2>&1",           \
       dir, PDM_CERTTOOL)
    if (SIGN("srv.pem", "srv.key", "srv.tmpl", "ca") ||
        SIGN("other.pem", "srv.key", "other.tmpl", "ca") ||
        SIGN("expired.pem", "srv.key", "expired.tmpl", "ca") ||
        SIGN("cli.pem", "cli.key", "cli.tmpl", "ca") ||
        SIGN("cli2.pem", "cli2.key", "cli.tmpl", "ca2"))
        return -1;
#undef SIGN
    if (pin_of(srv_pem, pin_good, sizeof pin_good) ||
        pin_of(ca2_pem, pin_bad, sizeof pin_bad))
        return -1;
    snprintf(pin_list, sizeof pin_list, "%s;%s", pin_bad, pin_good);
    return 0;
}

static char *slurp(const char *path)
{
    size_t n;
    return (char *)pdm_test_read(path, &n);
}

/* ---- libmicrohttpd servers -------------------------------------------- */

enum route { R_ECHO, R_FLAKY, R_503, R_404, R_401, R_REDIR, R_BIG, R_CHUNKED,
             R_SLOW, R_COUNT };
static const char *const route_path[R_COUNT] = {
    "/echo", "/flaky", "/always503", "/404", "/401", "/redirect", "/big",
    "/chunked", "/slow"};

#define BIG_LEN 8192
#define CHUNKED_LEN (1024 * 1024)

typedef struct mhd_srv {
    struct MHD_Daemon *d;
    int port;
    bool tls;
    atomic_int hits[R_COUNT];
    atomic_int connections;
    pthread_mutex_t mu; /* protects the "last request" fields */
    char last_hmac[256], last_ct[128], last_accept[256], last_cc[64],
        last_cn[128];
    bool last_expect;
} mhd_srv;

static mhd_srv mhd_tls, mhd_other, mhd_expired, mhd_plain;

typedef struct req {
    char *data;
    size_t len, cap;
} req;

static void copy_hdr(struct MHD_Connection *c, const char *name, char *out,
                     size_t len)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, len, "%s", v ? v : "");
}

/* Has the client presented a certificate signed by CA 1?  Records its
 * CN.  (libmicrohttpd only requests a certificate; the check is ours.) */
static bool client_cert_ok(mhd_srv *s, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t gs;
    const gnutls_datum_t *peers;
    unsigned n = 0, status = 0;
    gnutls_x509_crt_t crt;
    char cn[128] = "";
    size_t cnlen = sizeof cn;
    if (!ci || !ci->tls_session)
        return false;
    gs = ci->tls_session;
    peers = gnutls_certificate_get_peers(gs, &n);
    if (!peers || n == 0)
        return false;
    if (gnutls_certificate_verify_peers2(gs, &status) != 0 || status != 0)
        return false;
    if (gnutls_x509_crt_init(&crt) == 0) {
        if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0)
            gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                          0, 0, cn, &cnlen);
        gnutls_x509_crt_deinit(crt);
    }
    pthread_mutex_lock(&s->mu);
    snprintf(s->last_cn, sizeof s->last_cn, "%s", cn);
    pthread_mutex_unlock(&s->mu);
    return true;
}

static ssize_t chunked_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    size_t n;
    (void)cls;
    if (pos >= CHUNKED_LEN)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = CHUNKED_LEN - (size_t)pos < max ? CHUNKED_LEN - (size_t)pos : max;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const void *body, size_t len, const char *ct)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    if (ct)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    mhd_srv *s = cls;
    req *rq = *req_cls;
    int route = -1;
    struct MHD_Response *r;
    enum MHD_Result ret;
    (void)method;
    (void)version;

    if (!rq) { /* first call: headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size) { /* body arrives in pieces */
        size_t n = *upload_data_size;
        if (rq->len + n > rq->cap) {
            size_t cap = (rq->len + n) * 2;
            char *d = realloc(rq->data, cap);
            if (!d)
                return MHD_NO;
            rq->data = d;
            rq->cap = cap;
        }
        memcpy(rq->data + rq->len, upload_data, n);
        rq->len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }

    for (int i = 0; i < R_COUNT; i++)
        if (strcmp(url, route_path[i]) == 0)
            route = i;
    if (route < 0)
        return reply(c, 404, "no such route", 13, "text/plain");
    atomic_fetch_add(&s->hits[route], 1);

    pthread_mutex_lock(&s->mu);
    copy_hdr(c, "x-syncml-hmac", s->last_hmac, sizeof s->last_hmac);
    copy_hdr(c, "Content-Type", s->last_ct, sizeof s->last_ct);
    copy_hdr(c, "Accept", s->last_accept, sizeof s->last_accept);
    copy_hdr(c, "Cache-Control", s->last_cc, sizeof s->last_cc);
    s->last_expect =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect") != NULL;
    pthread_mutex_unlock(&s->mu);

    if (s->tls && !client_cert_ok(s, c))
        return reply(c, 403, "client certificate required", 27,
                     "text/plain");

    switch (route) {
    case R_FLAKY:
        if (atomic_load(&s->hits[R_FLAKY]) <= 2)
            return reply(c, 503, "busy", 4, "text/plain");
        /* fall through */
    case R_ECHO:
        r = MHD_create_response_from_buffer(rq->len, rq->data ? rq->data : "",
                                            MHD_RESPMEM_MUST_COPY);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "Application/VND.SyncML.DM+WBXML; "
                                "charset=UTF-8");
        MHD_add_response_header(r, "x-syncml-hmac", RESP_HMAC);
        ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    case R_503:
        return reply(c, 503, "busy", 4, "text/plain");
    case R_404:
        return reply(c, 404, "gone", 4, "text/plain");
    case R_401:
        return reply(c, 401, "who?", 4, "text/plain");
    case R_REDIR: {
        char loc[128];
        snprintf(loc, sizeof loc, "%s://127.0.0.1:%d/echo",
                 s->tls ? "https" : "http", s->port);
        r = MHD_create_response_from_buffer(0, (void *)"",
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        ret = MHD_queue_response(c, 302, r);
        MHD_destroy_response(r);
        return ret;
    }
    case R_BIG: {
        static char big[BIG_LEN];
        memset(big, 'b', sizeof big);
        return reply(c, 200, big, sizeof big, WBXML);
    }
    case R_CHUNKED:
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                              chunked_body, NULL, NULL);
        if (!r)
            return MHD_NO;
        ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    case R_SLOW: {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        return reply(c, 200, "late", 4, WBXML);
    }
    default:
        return MHD_NO;
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *rq = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (rq) {
        free(rq->data);
        free(rq);
        *req_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    mhd_srv *s = cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&s->connections, 1);
}

static int mhd_start(mhd_srv *s, bool tls, const char *cert_file)
{
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION;
    char *cert = NULL, *key = NULL, *ca = NULL;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->tls = tls;
    pthread_mutex_init(&s->mu, NULL);
    if (tls) {
        cert = slurp(cert_file);
        key = slurp(srv_key);
        ca = slurp(ca_pem);
        s->d = MHD_start_daemon(
            flags | MHD_USE_TLS, 0, NULL, NULL, on_request, s,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
            MHD_OPTION_HTTPS_MEM_TRUST, ca,
            MHD_OPTION_HTTPS_PRIORITIES,
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
            (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
            s, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    }
    /* libmicrohttpd copies the PEM data at start. */
    free(cert);
    free(key);
    free(ca);
    if (!s->d)
        return -1;
    di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (!di || !di->port)
        return -1;
    s->port = di->port;
    return 0;
}

static void mhd_stop(mhd_srv *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    s->d = NULL;
}

static void reset_counts(mhd_srv *s)
{
    for (int i = 0; i < R_COUNT; i++)
        atomic_store(&s->hits[i], 0);
    atomic_store(&s->connections, 0);
}

/* ---- raw GnuTLS servers ----------------------------------------------- */

typedef struct raw_srv {
    int lfd;
    int port;
    pthread_t th;
    bool started;
    atomic_bool stop;
    const char *prio;
    bool reset; /* on a failed handshake: RST without an alert */
    gnutls_certificate_credentials_t cred;
    atomic_int handshakes_ok;
    atomic_int handshakes_failed;
} raw_srv;

static raw_srv raw12, raw12_rst, raw13, raw13_rst, raw_old;

static int listen_loopback(int *port, bool do_listen)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        (do_listen && listen(fd, 16) != 0) ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* One connection: handshake (client certificate required and verified
 * against CA 1), then read one request and answer 200. */
static void raw_serve(raw_srv *s, int fd)
{
    gnutls_session_t gs;
    char buf[4096];
    size_t have = 0;
    int ret;
    struct timeval tv = {3, 0};
    static const char resp[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: " WBXML "\r\n"
                               "Content-Length: 2\r\n"
                               "Connection: close\r\n\r\nok";

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (gnutls_init(&gs, GNUTLS_SERVER) != 0)
        return;
    gnutls_priority_set_direct(gs, s->prio, NULL);
    gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, s->cred);
    gnutls_certificate_server_set_request(gs, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(gs, NULL, 0);
    gnutls_transport_set_int(gs, fd);
    gnutls_handshake_set_timeout(gs, 3000);
    do {
        ret = gnutls_handshake(gs);
    } while (ret < 0 && !gnutls_error_is_fatal(ret));
    if (ret < 0) {
        atomic_fetch_add(&s->handshakes_failed, 1);
        if (s->reset) {
            /* abortive close: the client sees a reset, no alert */
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        } else {
            /* alert, then a lingering close so that the client reads
             * the alert instead of a reset */
            gnutls_alert_send_appropriate(gs, ret);
            shutdown(fd, SHUT_WR);
            tv.tv_sec = 1;
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            while (recv(fd, buf, sizeof buf, 0) > 0)
                ;
        }
        gnutls_deinit(gs);
        return;
    }
    atomic_fetch_add(&s->handshakes_ok, 1);
    /* the request: headers, then Content-Length bytes */
    for (;;) {
        char *end;
        ssize_t n = gnutls_record_recv(gs, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "Content-Length:");
            size_t want = (size_t)(end + 4 - buf) +
                          (cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0);
            if (have >= want || have >= sizeof buf - 1) {
                gnutls_record_send(gs, resp, sizeof resp - 1);
                break;
            }
        }
        if (have >= sizeof buf - 1)
            break;
    }
    gnutls_bye(gs, GNUTLS_SHUT_WR);
    gnutls_deinit(gs);
}

static void *raw_main(void *arg)
{
    raw_srv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        int fd;
        if (poll(&p, 1, 50) <= 0)
            continue;
        fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        raw_serve(s, fd);
        close(fd);
    }
    return NULL;
}

static int raw_start(raw_srv *s, const char *prio, bool reset)
{
    s->prio = prio;
    s->reset = reset;
    if (gnutls_certificate_allocate_credentials(&s->cred) != 0 ||
        gnutls_certificate_set_x509_key_file(s->cred, srv_pem, srv_key,
                                             GNUTLS_X509_FMT_PEM) != 0 ||
        gnutls_certificate_set_x509_trust_file(s->cred, ca_pem,
                                               GNUTLS_X509_FMT_PEM) < 1)
        return -1;
    s->lfd = listen_loopback(&s->port, true);
    if (s->lfd < 0)
        return -1;
    if (pthread_create(&s->th, NULL, raw_main, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

static void raw_stop(raw_srv *s)
{
    if (s->started) {
        atomic_store(&s->stop, true);
        pthread_join(s->th, NULL);
        close(s->lfd);
        s->started = false;
    }
    if (s->cred)
        gnutls_certificate_free_credentials(s->cred);
    s->cred = NULL;
}

/* ---- suite setup -------------------------------------------------------*/

static int refused_fd = -1, refused_port;
static int stall_fd = -1, stall_port;

static int setup(void)
{
    /* The tests talk to 127.0.0.1 directly, never through a proxy. */
    static const char *const proxy_vars[] = {
        "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
        "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof *proxy_vars; i++)
        unsetenv(proxy_vars[i]);
    if (make_pki() != 0) {
        fprintf(stderr, "could not make the test PKI with %s\n",
                PDM_CERTTOOL);
        return -1;
    }
    if (mhd_start(&mhd_tls, true, srv_pem) ||
        mhd_start(&mhd_other, true, other_pem) ||
        mhd_start(&mhd_expired, true, expired_pem) ||
        mhd_start(&mhd_plain, false, NULL)) {
        fprintf(stderr, "could not start libmicrohttpd servers\n");
        return -1;
    }
    if (raw_start(&raw12, "NORMAL:-VERS-ALL:+VERS-TLS1.2", false) ||
        raw_start(&raw12_rst, "NORMAL:-VERS-ALL:+VERS-TLS1.2", true) ||
        raw_start(&raw13, "NORMAL:-VERS-ALL:+VERS-TLS1.3", false) ||
        raw_start(&raw13_rst, "NORMAL:-VERS-ALL:+VERS-TLS1.3", true) ||
        raw_start(&raw_old, "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0",
                  false)) {
        fprintf(stderr, "could not start the GnuTLS servers\n");
        return -1;
    }
    /* bound, never listening: connecting to it is refused */
    refused_fd = listen_loopback(&refused_port, false);
    /* listening, never accepting: TCP connects, TLS never starts */
    stall_fd = listen_loopback(&stall_port, true);
    return refused_fd < 0 || stall_fd < 0 ? -1 : 0;
}

static int teardown(void)
{
    mhd_stop(&mhd_tls);
    mhd_stop(&mhd_other);
    mhd_stop(&mhd_expired);
    mhd_stop(&mhd_plain);
    raw_stop(&raw12);
    raw_stop(&raw12_rst);
    raw_stop(&raw13);
    raw_stop(&raw13_rst);
    raw_stop(&raw_old);
    if (refused_fd >= 0)
        close(refused_fd);
    if (stall_fd >= 0)
        close(stall_fd);
    return 0;
}

/* ---- helpers for the tests -------------------------------------------- */

static char err[512];

static pdm_http_opts good_opts(void)
{
    pdm_http_opts o;
    memset(&o, 0, sizeof o);
    o.ca_file = ca_pem;
    o.client_cert = cli_pem;
    o.client_key = cli_key;
    o.pin = pin_good;
    o.connect_timeout_ms = 3000;
    o.timeout_ms = 5000;
    return o;
}

static const char *url(const char *scheme, int port, const char *path)
{
    static char u[4][256];
    static int next;
    char *p = u[next++ % 4];
    snprintf(p, 256, "%s://127.0.0.1:%d%s", scheme, port, path);
    return p;
}

static const char *tls_url(const mhd_srv *s, enum route r)
{
    return url("https", s->port, route_path[r]);
}

/* POST "hello" with @o; returns the pdm_rc and leaves the message in err. */
static int post(const pdm_http_opts *o, const char *u, pdm_http_resp *resp)
{
    return pdm_http_post(resp, u, (const uint8_t *)"hello", 5, WBXML, NULL, o,
                         err, sizeof err);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define ASSERT_ERR_HAS(sub)                                               \
    do {                                                                  \
        if (getenv("PDM_TEST_VERBOSE"))                                   \
            fprintf(stderr, "\n  [%s] %s", __func__, err);                \
        if (!strstr(err, (sub)))                                          \
            fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", err, sub); \
        CU_ASSERT_PTR_NOT_NULL(strstr(err, (sub)));                       \
    } while (0)

/* ---- the tests -------------------------------------------------------- */

/* What on_connect was told, for the tests. */
typedef struct peer_log {
    int calls;
    bool verified;
    char tls_version[32], key_pin[128];
    int refuse; /* return value */
} peer_log;

static int record_peer(void *user, const pdm_http_peer *p)
{
    peer_log *l = user;
    l->calls++;
    l->verified = p->verified;
    snprintf(l->tls_version, sizeof l->tls_version, "%s",
             p->tls_version ? p->tls_version : "(none)");
    snprintf(l->key_pin, sizeof l->key_pin, "%s",
             p->key_pin ? p->key_pin : "(none)");
    return l->refuse;
}

/* Mutual TLS with CA + pin: a > 64 KiB binary body with NUL bytes arrives
 * and comes back byte-exact; the request headers and hmac arrive; the
 * response hmac and media type are returned; a second message reuses the
 * connection. */
static void test_echo_mutual_tls(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_session *s = NULL;
    pdm_http_resp r;
    size_t n = 100 * 1024 + 7;
    uint8_t *body = malloc(n);
    peer_log pl;
    int rc;

    memset(&pl, 0, sizeof pl);
    o.on_connect = record_peer;
    o.on_connect_user = &pl;
    for (size_t i = 0; i < n; i++)
        body[i] = (uint8_t)(i % 7 == 0 ? 0 : (i * 31) & 0xff);
    reset_counts(&mhd_tls);
    CU_ASSERT_EQUAL_FATAL(pdm_http_session_open(&s, &o, err, sizeof err),
                          PDM_OK);
    rc = pdm_http_session_post(s, &r, tls_url(&mhd_tls, R_ECHO), body, n,
                               WBXML, REQ_HMAC, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    PDM_ASSERT_STR(err, "");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL_FATAL(r.len, n);
    CU_ASSERT(memcmp(r.body, body, n) == 0);
    PDM_ASSERT_STR(r.content_type, WBXML);
    PDM_ASSERT_STR(r.hmac, RESP_HMAC);
    PDM_ASSERT_STR(r.tls_version, "TLS1.3");
    /* The verified facts: the server key's pin as certtool computes it. */
    PDM_ASSERT_STR(r.key_pin, pin_good);
    CU_ASSERT_EQUAL(pl.calls, 1);
    CU_ASSERT_TRUE(pl.verified);
    PDM_ASSERT_STR(pl.tls_version, "TLS1.3");
    PDM_ASSERT_STR(pl.key_pin, pin_good);
    pthread_mutex_lock(&mhd_tls.mu);
    PDM_ASSERT_STR(mhd_tls.last_hmac, REQ_HMAC);
    PDM_ASSERT_STR(mhd_tls.last_ct, WBXML);
    PDM_ASSERT_STR(mhd_tls.last_accept, "application/vnd.syncml.dm+wbxml, "
                                        "application/vnd.syncml.dm+xml");
    PDM_ASSERT_STR(mhd_tls.last_cc, "no-store");
    PDM_ASSERT_STR(mhd_tls.last_cn, CLIENT_CN);
    CU_ASSERT_FALSE(mhd_tls.last_expect);
    pthread_mutex_unlock(&mhd_tls.mu);
    pdm_http_resp_free(&r);

    /* second message of the session, XML and without hmac: same
     * connection */
    rc = pdm_http_session_post(s, &r, tls_url(&mhd_tls, R_ECHO),
                               (const uint8_t *)"<SyncML/>", 9,
                               "application/vnd.syncml.dm+xml", NULL, err,
                               sizeof err);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(r.len, 9);
    pthread_mutex_lock(&mhd_tls.mu);
    PDM_ASSERT_STR(mhd_tls.last_hmac, "");
    PDM_ASSERT_STR(mhd_tls.last_ct, "application/vnd.syncml.dm+xml");
    pthread_mutex_unlock(&mhd_tls.mu);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_ECHO]), 2);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.connections), 1);
    /* A reused connection is reported for its request too. */
    CU_ASSERT_EQUAL(pl.calls, 2);
    PDM_ASSERT_STR(pl.key_pin, pin_good);
    pdm_http_resp_free(&r);
    pdm_http_resp_free(&r); /* idempotent */
    pdm_http_session_close(s);
    free(body);
}

/* on_connect refuses the peer: the request is never sent (the server
 * sees the connection, not the request), PDM_EDENIED, no retry. */
static void test_on_connect_refuses(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    peer_log pl;
    memset(&pl, 0, sizeof pl);
    pl.refuse = -1;
    o.on_connect = record_peer;
    o.on_connect_user = &pl;
    o.retries = 2;
    reset_counts(&mhd_tls);
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EDENIED);
    ASSERT_ERR_HAS("the session refused the connection before the request "
                   "was sent");
    CU_ASSERT_EQUAL(pl.calls, 1);
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_ECHO]), 0);
    pdm_http_resp_free(&r);
}

/* A pin list matches when any entry matches; the one-shot API works. */
static void test_pin_list(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.pin = pin_list;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_OK);
    CU_ASSERT_EQUAL(r.len, 5);
    CU_ASSERT(r.body && memcmp(r.body, "hello", 5) == 0);
    pdm_http_resp_free(&r);
}

static void test_wrong_ca(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.ca_file = ca2_pem;
    o.pin = NULL;
    o.retries = 2;
    reset_counts(&mhd_tls);
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server certificate not trusted by CA file ");
    ASSERT_ERR_HAS(ca2_pem);
    ASSERT_ERR_HAS(url("https", mhd_tls.port, ":"));
    CU_ASSERT_EQUAL(r.attempts, 1); /* never retried */
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NULL(r.body);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_ECHO]), 0);
    pdm_http_resp_free(&r);
}

static void test_wrong_pin(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.pin = pin_bad;
    o.retries = 2;
    reset_counts(&mhd_tls);
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server public key does not match the pinned key");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_ECHO]), 0);
    pdm_http_resp_free(&r);
}

/* The right pin does not make an untrusted chain acceptable. */
static void test_pin_does_not_bypass_ca(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.ca_file = ca2_pem;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server certificate not trusted by CA file ");
    pdm_http_resp_free(&r);
}

static void test_wrong_host(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.pin = NULL;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_other, R_ECHO), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server certificate was not issued for this host name");
    pdm_http_resp_free(&r);
}

static void test_expired_server_cert(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.pin = NULL;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_expired, R_ECHO), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server certificate has expired");
    pdm_http_resp_free(&r);
}

static void test_bad_options(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_session *s = (pdm_http_session *)(uintptr_t)1;
    pdm_http_resp r;

    o.pin = "sha256//tooShort=";
    CU_ASSERT_EQUAL(pdm_http_session_open(&s, &o, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    ASSERT_ERR_HAS("sha256//");
    o.pin = srv_pem; /* a file name is not accepted as a pin */
    CU_ASSERT_EQUAL(pdm_http_session_open(&s, &o, err, sizeof err),
                    PDM_EINVAL);
    o = good_opts();
    o.retries = 6;
    CU_ASSERT_EQUAL(pdm_http_session_open(&s, &o, err, sizeof err),
                    PDM_EINVAL);
    ASSERT_ERR_HAS("0..5");
    o = good_opts();
    o.timeout_ms = -1;
    CU_ASSERT_EQUAL(pdm_http_session_open(&s, &o, err, sizeof err),
                    PDM_EINVAL);

    o = good_opts();
    CU_ASSERT_EQUAL(post(&o, "ftp://127.0.0.1/x", &r), PDM_EINVAL);
    CU_ASSERT_EQUAL(r.attempts, 0);
    CU_ASSERT_EQUAL(post(&o, "not a url", &r), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_http_post(&r, tls_url(&mhd_tls, R_ECHO),
                                  (const uint8_t *)"x", 1,
                                  "text/plain\r\nX-Evil: 1", NULL, &o, err,
                                  sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_http_post(&r, tls_url(&mhd_tls, R_ECHO),
                                  (const uint8_t *)"x", 1, WBXML,
                                  "mac=1\nX-Evil: 1", &o, err, sizeof err),
                    PDM_EINVAL);
    CU_ASSERT_PTR_NULL(strstr(err, "mac=1"));
    CU_ASSERT_EQUAL(pdm_http_post(&r, tls_url(&mhd_tls, R_ECHO),
                                  (const uint8_t *)"x", 1, NULL, NULL, &o,
                                  err, sizeof err),
                    PDM_EINVAL);
    /* a missing client certificate file is a local configuration error */
    o.client_cert = "/nonexistent/cli.pem";
    o.client_key = "/nonexistent/cli.key";
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EINVAL);
    ASSERT_ERR_HAS("client certificate /nonexistent/cli.pem");
    pdm_http_resp_free(&r);
    o = good_opts();
    o.ca_file = "/nonexistent/ca.pem";
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EINVAL);
    ASSERT_ERR_HAS("CA file /nonexistent/ca.pem");
    pdm_http_resp_free(&r);
}

/* A server that requires a client certificate in the TLS handshake.
 * TLS 1.2 fails in the handshake (libcurl: SSL connect error); TLS 1.3
 * only after it (libcurl: send/receive error).  Both must read alike. */
static void check_required_cert(raw_srv *srv, const char *version)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    const char *u = url("https", srv->port, "/dm");
    int ok_before = atomic_load(&srv->handshakes_ok);

    o.client_cert = o.client_key = NULL;
    o.retries = 2;
    o.retry_delay_ms = 10;
    CU_ASSERT_EQUAL(post(&o, u, &r), PDM_EAUTH);
    ASSERT_ERR_HAS("server requires a client certificate");
    ASSERT_ERR_HAS("none is configured");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_EQUAL(atomic_load(&srv->handshakes_ok), ok_before);
    pdm_http_resp_free(&r);

    /* a certificate from an unrelated CA is refused as well */
    o.client_cert = cli2_pem;
    o.client_key = cli2_key;
    CU_ASSERT_EQUAL(post(&o, u, &r), PDM_EAUTH);
    ASSERT_ERR_HAS("did not accept the client certificate");
    ASSERT_ERR_HAS(cli2_pem);
    CU_ASSERT_EQUAL(r.attempts, 1);
    pdm_http_resp_free(&r);

    /* control: the same server with the right certificate answers */
    o = good_opts();
    CU_ASSERT_EQUAL(post(&o, u, &r), PDM_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    PDM_ASSERT_STR(r.tls_version, version);
    CU_ASSERT(r.len == 2 && r.body && memcmp(r.body, "ok", 2) == 0);
    pdm_http_resp_free(&r);
}

/* TLS 1.2: the server's alert arrives during the handshake. */
static void test_client_cert_required_tls12(void)
{
    check_required_cert(&raw12, "TLS1.2");
}

/* TLS 1.2, but the server resets the connection without an alert (what a
 * quick close often looks like): the transport asks the server itself
 * whether it wants a certificate. */
static void test_client_cert_required_tls12_reset(void)
{
    check_required_cert(&raw12_rst, "TLS1.2");
}

/* TLS 1.3: the handshake completes on the client side; the rejection
 * shows when the request is sent or the answer read. */
static void test_client_cert_required_tls13(void)
{
    check_required_cert(&raw13, "TLS1.3");
}

static void test_client_cert_required_tls13_reset(void)
{
    check_required_cert(&raw13_rst, "TLS1.3");
}

/* libmicrohttpd only asks for a certificate; the server then answers
 * 403 itself. */
static void test_client_cert_missing_http403(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.client_cert = o.client_key = NULL;
    o.retries = 2;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_ECHO), &r), PDM_EFORBIDDEN);
    ASSERT_ERR_HAS("HTTP 403");
    ASSERT_ERR_HAS("asked for a client certificate");
    CU_ASSERT_EQUAL(r.status, 403);
    CU_ASSERT_EQUAL(r.attempts, 1);
    pdm_http_resp_free(&r);
}

static void test_old_tls_refused(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.retries = 2;
    CU_ASSERT_EQUAL(post(&o, url("https", raw_old.port, "/dm"), &r),
                    PDM_EFORBIDDEN);
    ASSERT_ERR_HAS("TLS version below 1.2 refused");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(atomic_load(&raw_old.handshakes_ok), 0);
    pdm_http_resp_free(&r);
}

static void test_plain_http(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    const char *u = url("http", mhd_plain.port, "/echo");
    reset_counts(&mhd_plain);
    CU_ASSERT_EQUAL(post(&o, u, &r), PDM_EFORBIDDEN);
    ASSERT_ERR_HAS("plain http:// refused");
    ASSERT_ERR_HAS("allow_plain_http = true in its [transport] section");
    ASSERT_ERR_HAS(url("http", mhd_plain.port, ""));
    CU_ASSERT_EQUAL(r.attempts, 0);
    CU_ASSERT_EQUAL(atomic_load(&mhd_plain.connections), 0);
    pdm_http_resp_free(&r);

    o.allow_plain_http = true;
    {
        peer_log pl;
        memset(&pl, 0, sizeof pl);
        o.on_connect = record_peer;
        o.on_connect_user = &pl;
        CU_ASSERT_EQUAL(post(&o, u, &r), PDM_OK);
        CU_ASSERT_EQUAL(pl.calls, 1);
        CU_ASSERT_FALSE(pl.verified);
        PDM_ASSERT_STR(pl.tls_version, "(none)");
        PDM_ASSERT_STR(pl.key_pin, "(none)");
    }
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT(r.len == 5 && memcmp(r.body, "hello", 5) == 0);
    CU_ASSERT_PTR_NULL(r.tls_version);
    CU_ASSERT_PTR_NULL(r.key_pin);
    CU_ASSERT_EQUAL(atomic_load(&mhd_plain.hits[R_ECHO]), 1);
    pdm_http_resp_free(&r);
}

/* retries = 2, first delay 100 ms: 3 attempts, 100 + 200 ms of backoff. */
static void test_connection_refused_retried(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    double t0 = now_ms(), dt;
    o.retries = 2;
    o.retry_delay_ms = 100;
    CU_ASSERT_EQUAL(post(&o, url("https", refused_port, "/dm"), &r), PDM_EIO);
    dt = now_ms() - t0;
    ASSERT_ERR_HAS("connection refused (server unreachable)");
    ASSERT_ERR_HAS("gave up after 3 attempts");
    CU_ASSERT_EQUAL(r.attempts, 3);
    CU_ASSERT(dt >= 295 && dt < 3000);
    pdm_http_resp_free(&r);

    o.retries = 0;
    CU_ASSERT_EQUAL(post(&o, url("https", refused_port, "/dm"), &r), PDM_EIO);
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_PTR_NULL(strstr(err, "attempts"));
    pdm_http_resp_free(&r);
}

static void test_503_twice_then_200(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    reset_counts(&mhd_tls);
    o.retries = 3;
    o.retry_delay_ms = 20;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_FLAKY), &r), PDM_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.attempts, 3);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_FLAKY]), 3);
    CU_ASSERT(r.len == 5 && memcmp(r.body, "hello", 5) == 0);
    PDM_ASSERT_STR(err, "");
    pdm_http_resp_free(&r);
}

/* on_retry hears each retry, with its attempt number and reason. */
typedef struct retry_log {
    unsigned n, attempts[8];
    long delay[8];
    char why[8][256];
} retry_log;

static void note_retry(void *user, unsigned attempt, const char *why,
                       long delay_ms)
{
    retry_log *l = user;
    if (l->n < 8) {
        l->attempts[l->n] = attempt;
        l->delay[l->n] = delay_ms;
        snprintf(l->why[l->n], sizeof l->why[0], "%s", why);
    }
    l->n++;
}

static void test_retry_hook(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    retry_log l;
    memset(&l, 0, sizeof l);
    reset_counts(&mhd_tls);
    o.retries = 3;
    o.retry_delay_ms = 20;
    o.on_retry = note_retry;
    o.retry_user = &l;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_FLAKY), &r), PDM_OK);
    CU_ASSERT_EQUAL(r.attempts, 3);
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_EQUAL(l.attempts[0], 1);
    CU_ASSERT_EQUAL(l.attempts[1], 2);
    /* the wait before each next attempt: the delay, then doubled */
    CU_ASSERT_EQUAL(l.delay[0], 20);
    CU_ASSERT_EQUAL(l.delay[1], 40);
    CU_ASSERT_PTR_NOT_NULL(strstr(l.why[0], "HTTP 503"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l.why[0], "https://"));
    pdm_http_resp_free(&r);
}

static void test_503_exhausted(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    reset_counts(&mhd_tls);
    o.retries = 2;
    o.retry_delay_ms = 20;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_503), &r), PDM_EBUSY);
    ASSERT_ERR_HAS("HTTP 503");
    ASSERT_ERR_HAS("gave up after 3 attempts");
    CU_ASSERT_EQUAL(r.status, 503);
    CU_ASSERT(r.len == 4 && memcmp(r.body, "busy", 4) == 0);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_503]), 3);
    pdm_http_resp_free(&r);
}

static void test_4xx_not_retried(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    reset_counts(&mhd_tls);
    o.retries = 3;
    o.retry_delay_ms = 20;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_404), &r), PDM_ENOTFOUND);
    ASSERT_ERR_HAS("HTTP 404");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(r.status, 404);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_404]), 1);
    pdm_http_resp_free(&r);
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_401), &r), PDM_EAUTH);
    ASSERT_ERR_HAS("HTTP 401");
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_401]), 1);
    pdm_http_resp_free(&r);
}

static void test_response_too_big(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    o.max_response = 4096;
    o.retries = 2;
    /* announced by Content-Length */
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_BIG), &r), PDM_ETOOBIG);
    ASSERT_ERR_HAS("response larger than 4096 bytes refused");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_PTR_NULL(r.body);
    pdm_http_resp_free(&r);
    /* chunked, length unknown: cut off while receiving */
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_CHUNKED), &r), PDM_ETOOBIG);
    ASSERT_ERR_HAS("response larger than 4096 bytes refused");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_PTR_NULL(r.body);
    pdm_http_resp_free(&r);
    /* exactly at the limit is fine */
    o.max_response = BIG_LEN;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_BIG), &r), PDM_OK);
    CU_ASSERT_EQUAL(r.len, BIG_LEN);
    pdm_http_resp_free(&r);
}

/* The server needs 1 s; the limit is 300 ms; one retry. */
static void test_timeout(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    double t0 = now_ms(), dt;
    o.timeout_ms = 300;
    o.retries = 1;
    o.retry_delay_ms = 20;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_SLOW), &r), PDM_ETIMEOUT);
    dt = now_ms() - t0;
    ASSERT_ERR_HAS("timed out after 300 ms");
    ASSERT_ERR_HAS("gave up after 2 attempts");
    CU_ASSERT_EQUAL(r.attempts, 2);
    CU_ASSERT(dt >= 600 && dt < 2000);
    pdm_http_resp_free(&r);
}

/* The shutdown hook (pdm_http_opts.cancel), raised 200 ms into a call. */
static volatile sig_atomic_t cancel_flag;

static void *raise_cancel(void *arg)
{
    (void)arg;
    usleep(200 * 1000);
    cancel_flag = 1;
    return NULL;
}

/* Posts to @u with the flag raised 200 ms into the call: it must end
 * with PDM_ECANCELLED, @why, one attempt, in less than @max_ms. */
static void post_cancelled(pdm_http_opts *o, const char *u, const char *why,
                           double max_ms)
{
    pdm_http_resp r;
    pthread_t th;
    double t0 = now_ms(), dt;
    cancel_flag = 0;
    o->cancel = &cancel_flag;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, raise_cancel, NULL) == 0);
    CU_ASSERT_EQUAL(post(o, u, &r), PDM_ECANCELLED);
    dt = now_ms() - t0;
    pthread_join(th, NULL);
    ASSERT_ERR_HAS(why);
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT(dt >= 190 && dt < max_ms);
    pdm_http_resp_free(&r);
}

/* A server that never answers the TLS handshake (5 s connect limit): the
 * request is abandoned within about a second (libcurl's progress period),
 * long before the limit, and not retried. */
static void test_cancel_in_flight(void)
{
    pdm_http_opts o = good_opts();
    o.connect_timeout_ms = 5000;
    o.retries = 2;
    o.retry_delay_ms = 20;
    post_cancelled(&o, url("https", stall_port, "/dm"),
                   "request abandoned (shutdown)", 2500);
}

/* Raised during a 5 s backoff: no further attempt, no full wait. */
static void test_cancel_in_backoff(void)
{
    pdm_http_opts o = good_opts();
    o.retries = 3;
    o.retry_delay_ms = 5000;
    post_cancelled(&o, url("https", refused_port, "/dm"),
                   "not retried (shutdown)", 1500);
}

/* TCP connects but the TLS handshake never gets an answer: the connect
 * timeout (which covers TCP and TLS) ends it. */
static void test_connect_timeout(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    double t0 = now_ms(), dt;
    o.connect_timeout_ms = 200;
    CU_ASSERT_EQUAL(post(&o, url("https", stall_port, "/dm"), &r),
                    PDM_ETIMEOUT);
    dt = now_ms() - t0;
    ASSERT_ERR_HAS("could not connect within 200 ms");
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT(dt >= 190 && dt < 2000);
    pdm_http_resp_free(&r);
}

static void test_redirect_not_followed(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    reset_counts(&mhd_tls);
    o.retries = 2;
    CU_ASSERT_EQUAL(post(&o, tls_url(&mhd_tls, R_REDIR), &r), PDM_EFORBIDDEN);
    ASSERT_ERR_HAS("HTTP 302");
    ASSERT_ERR_HAS("redirects are not followed");
    CU_ASSERT_EQUAL(r.status, 302);
    CU_ASSERT_EQUAL(r.attempts, 1);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_REDIR]), 1);
    CU_ASSERT_EQUAL(atomic_load(&mhd_tls.hits[R_ECHO]), 0);
    pdm_http_resp_free(&r);
}

/* Messages name the server but never the path/query, the hmac or the
 * body. */
static void test_messages_hold_no_secrets(void)
{
    pdm_http_opts o = good_opts();
    pdm_http_resp r;
    char u[256];
    snprintf(u, sizeof u, "https://127.0.0.1:%d/404?token=SECRETTOKEN",
             mhd_tls.port);
    CU_ASSERT_EQUAL(pdm_http_post(&r, u, (const uint8_t *)"SECRETBODY", 10,
                                  WBXML, "mac=SECRETMAC", &o, err,
                                  sizeof err),
                    PDM_ENOTFOUND);
    CU_ASSERT_PTR_NULL(strstr(err, "SECRET"));
    pdm_http_resp_free(&r);
    snprintf(u, sizeof u, "https://127.0.0.1:%d/x?token=SECRETTOKEN",
             refused_port);
    CU_ASSERT_EQUAL(pdm_http_post(&r, u, (const uint8_t *)"SECRETBODY", 10,
                                  WBXML, "mac=SECRETMAC", &o, err,
                                  sizeof err),
                    PDM_EIO);
    CU_ASSERT_PTR_NULL(strstr(err, "SECRET"));
    pdm_http_resp_free(&r);
    snprintf(u, sizeof u, "https://user:SECRETPW@127.0.0.1:%d/x",
             raw_old.port);
    CU_ASSERT_EQUAL(pdm_http_post(&r, u, (const uint8_t *)"SECRETBODY", 10,
                                  WBXML, "mac=SECRETMAC", &o, err,
                                  sizeof err),
                    PDM_EFORBIDDEN);
    CU_ASSERT_PTR_NULL(strstr(err, "SECRET"));
    pdm_http_resp_free(&r);
}

static const pdm_test tests[] = {
    {"echo_mutual_tls", test_echo_mutual_tls},
    {"pin_list", test_pin_list},
    {"on_connect_refuses", test_on_connect_refuses},
    {"wrong_ca", test_wrong_ca},
    {"wrong_pin", test_wrong_pin},
    {"pin_does_not_bypass_ca", test_pin_does_not_bypass_ca},
    {"wrong_host", test_wrong_host},
    {"expired_server_cert", test_expired_server_cert},
    {"bad_options", test_bad_options},
    {"client_cert_required_tls12", test_client_cert_required_tls12},
    {"client_cert_required_tls12_reset",
     test_client_cert_required_tls12_reset},
    {"client_cert_required_tls13", test_client_cert_required_tls13},
    {"client_cert_required_tls13_reset",
     test_client_cert_required_tls13_reset},
    {"client_cert_missing_http403", test_client_cert_missing_http403},
    {"old_tls_refused", test_old_tls_refused},
    {"plain_http", test_plain_http},
    {"connection_refused_retried", test_connection_refused_retried},
    {"503_twice_then_200", test_503_twice_then_200},
    {"retry_hook", test_retry_hook},
    {"503_exhausted", test_503_exhausted},
    {"4xx_not_retried", test_4xx_not_retried},
    {"response_too_big", test_response_too_big},
    {"timeout", test_timeout},
    {"cancel_in_flight", test_cancel_in_flight},
    {"cancel_in_backoff", test_cancel_in_backoff},
    {"connect_timeout", test_connect_timeout},
    {"redirect_not_followed", test_redirect_not_followed},
    {"messages_hold_no_secrets", test_messages_hold_no_secrets},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"transport", tests, setup, teardown},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
