/*
 * HTTP(S) transport of the reference agent: libcurl (GnuTLS build).
 * See transport.h for the contract and the security rules.
 *
 * Implementation notes (facts from /work/shared/notes/libraries.md §2):
 *  - CURL_SSLVERSION_TLSv1_2 is always set: with the default, GnuTLS'
 *    NORMAL priority on Debian 12 still negotiates TLS 1.0/1.1.
 *  - CURLOPT_POSTFIELDSIZE_LARGE is always set: without it libcurl sends a
 *    WBXML body only up to its first NUL byte.
 *  - When a CA file is configured CURLOPT_CAPATH is cleared, otherwise
 *    libcurl-gnutls also loads /etc/ssl/certs and every public CA would be
 *    trusted in addition to the configured one.
 *  - TLS failures are told apart by libcurl's error code, the GnuTLS
 *    verification status (CURLINFO_SSL_VERIFYRESULT), the alert name or
 *    GnuTLS error text that libcurl puts in its error buffer, and what the
 *    GnuTLS session showed when the request was about to be sent
 *    (CURLOPT_PREREQFUNCTION: negotiated version, whether the server asked
 *    for a client certificate).  The last one matters for TLS 1.3, where a
 *    server rejects a missing client certificate only after the handshake
 *    and libcurl reports a plain send/receive error (CURLE_SEND_ERROR).
 *  - In TLS 1.2 a server that rejects the client's (missing) certificate
 *    either sends an alert, which libcurl names, or just closes the
 *    connection, which reads like any dropped connection.  Only then, and
 *    only for a direct connection, a second bare handshake without
 *    credentials (probe_cert_request) asks the server whether it wants a
 *    client certificate; nothing is sent after that handshake.
 */
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <polydm/polydm.h>

#include "cli_util.h"

#ifndef PDM_VERSION
#define PDM_VERSION "dev"
#endif

_Static_assert(sizeof(curl_off_t) == sizeof(int64_t), "64-bit curl_off_t");

#define DM_ACCEPT \
    "Accept: application/vnd.syncml.dm+wbxml, application/vnd.syncml.dm+xml"

struct pdm_http_session {
    CURL *curl;
    char *ca_file;     /* copies of the options (NULL when unset) */
    char *client_cert;
    char *client_key;
    char *pin;
    bool allow_plain_http;
    long connect_timeout_ms;
    long timeout_ms;
    long retry_delay_ms;
    int retries;
    size_t max_response;
    volatile sig_atomic_t *cancel; /* borrowed (pdm_http_opts.cancel) */
    void (*on_retry)(void *user, unsigned attempt, const char *why,
                     long delay_ms);
    void *retry_user;
    int (*on_connect)(void *user, const pdm_http_peer *peer);
    void *on_connect_user;
    char errbuf[CURL_ERROR_SIZE]; /* libcurl's CURLOPT_ERRORBUFFER */
};

/* State of one attempt, shared with the libcurl callbacks. */
typedef struct xfer {
    CURL *curl;
    cli_buf body;
    size_t max;
    bool too_big;        /* the body passed max: receiving was stopped */
    bool reached_http;   /* the request was about to be sent (prereq ran) */
    bool tls;            /* ... over TLS */
    bool cert_requested; /* the server asked for a client certificate */
    char tls_version[24];
    char key_pin[64];    /* "sha256//..." of the server key, or "" */
    bool refused;        /* on_connect refused the connection */
    const pdm_http_session *s;
    const char *sni;     /* URL host when it is a DNS name, else NULL */
} xfer;

/* The result of classifying one attempt. */
typedef struct verdict {
    int rc;
    bool retry;     /* worth another attempt */
    char why[384];  /* the reason, without the "scheme://host:port: " */
} verdict;

/* ---- small helpers ---------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    PDM_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void why(verdict *v, int rc, bool retry, const char *fmt, ...)
    PDM_PRINTF(4, 5);

static void why(verdict *v, int rc, bool retry, const char *fmt, ...)
{
    va_list ap;
    v->rc = rc;
    v->retry = retry;
    va_start(ap, fmt);
    vsnprintf(v->why, sizeof v->why, fmt, ap);
    va_end(ap);
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A header value may not contain control characters (header injection). */
static bool header_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static char *dup_opt(const char *s, bool *oom)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

static const char *status_words(long st)
{
    switch (st) {
    case 400: return "bad request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 407: return "proxy authentication required";
    case 408: return "request timeout";
    case 413: return "payload too large";
    case 415: return "unsupported media type";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 501: return "not implemented";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: return NULL;
    }
}

/* ---- libcurl callbacks ------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    xfer *x = user;
    size_t n = size * nmemb;
    if (n > x->max - x->body.len) {
        x->too_big = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    cli_buf_append(&x->body, data, n);
    return cli_buf_ok(&x->body) ? n : 0;
}

/* The pin of the server's key: SHA-256 of its SubjectPublicKeyInfo, the
 * value CURLOPT_PINNEDPUBLICKEY compares. */
static void peer_pin(gnutls_session_t gs, char *out, size_t size)
{
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(gs, &n);
    gnutls_pubkey_t pk = NULL;
    gnutls_datum_t spki = {NULL, 0}, b64 = {NULL, 0}, dg;
    unsigned char d[32];
    out[0] = '\0';
    if (!certs || n == 0 || gnutls_pubkey_init(&pk) < 0)
        return;
    if (gnutls_pubkey_import_x509_raw(pk, &certs[0], GNUTLS_X509_FMT_DER, 0) >=
            0 &&
        gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki) >= 0 &&
        gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, d) >= 0) {
        dg.data = d;
        dg.size = sizeof d;
        if (gnutls_base64_encode2(&dg, &b64) >= 0 && b64.size + 9 <= size) {
            memcpy(out, "sha256//", 8);
            memcpy(out + 8, b64.data, b64.size);
            out[8 + b64.size] = '\0';
        }
    }
    gnutls_free(spki.data);
    gnutls_free(b64.data);
    gnutls_pubkey_deinit(pk);
}

/* Runs once the connection (and TLS handshake) is up, just before the
 * request is sent, for new and reused connections alike. */
static int on_prereq(void *user, char *primary_ip, char *local_ip,
                     int primary_port, int local_port)
{
    xfer *x = user;
    struct curl_tlssessioninfo *ti = NULL;
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    x->reached_http = true;
    if (curl_easy_getinfo(x->curl, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK &&
        ti && ti->backend == CURLSSLBACKEND_GNUTLS && ti->internals) {
        gnutls_session_t gs = ti->internals;
        const char *name =
            gnutls_protocol_get_name(gnutls_protocol_get_version(gs));
        x->tls = true;
        x->cert_requested = gnutls_certificate_client_get_request_status(gs);
        cli_strlcpy(x->tls_version, name ? name : "TLS", sizeof x->tls_version);
        peer_pin(gs, x->key_pin, sizeof x->key_pin);
    }
    if (x->s->on_connect) {
        pdm_http_peer peer;
        long vr = -1;
        peer.tls_version = x->tls ? x->tls_version : NULL;
        /* Verification is on for every https request: a handshake that
         * got here passed it; the GnuTLS status says so explicitly. */
        peer.verified = x->tls &&
                        curl_easy_getinfo(x->curl, CURLINFO_SSL_VERIFYRESULT,
                                          &vr) == CURLE_OK &&
                        vr == 0;
        peer.key_pin = x->key_pin[0] ? x->key_pin : NULL;
        if (x->s->on_connect(x->s->on_connect_user, &peer) != 0) {
            x->refused = true;
            return CURL_PREREQFUNC_ABORT;
        }
    }
    return CURL_PREREQFUNC_OK;
}

/* ---- session ---------------------------------------------------------- */

void pdm_http_resp_free(pdm_http_resp *r)
{
    if (!r)
        return;
    /* A server message may carry secrets (a Replace of AAuthSecret). */
    cli_free_wipe(r->body, r->len);
    free(r->content_type);
    free(r->hmac);
    free(r->tls_version);
    free(r->key_pin);
    memset(r, 0, sizeof *r);
}

void pdm_http_session_close(pdm_http_session *s)
{
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    free(s->ca_file);
    free(s->client_cert);
    free(s->client_key);
    free(s->pin);
    free(s);
}

/* libcurl calls this at least once a second while a transfer waits: the
 * way to abandon it at shutdown (CURLOPT_NOSIGNAL: a signal alone does
 * not end libcurl's wait). */
static int on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    const pdm_http_session *s = p;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return s->cancel && *s->cancel ? 1 : 0;
}

/* Options that are the same for every request of a session. */
static CURLcode setup_handle(pdm_http_session *s)
{
    CURL *h = s->curl;
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                  \
    do {                                               \
        if (c == CURLE_OK)                             \
            c = curl_easy_setopt(h, opt, val);         \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, s->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_USERAGENT, "polydm/" PDM_VERSION);
    SET(CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, s->timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE,
        (uint64_t)s->max_response > (uint64_t)INT64_MAX
            ? (curl_off_t)INT64_MAX
            : (curl_off_t)s->max_response);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    if (s->cancel) {
        SET(CURLOPT_XFERINFOFUNCTION, on_progress);
        SET(CURLOPT_XFERINFODATA, s);
        SET(CURLOPT_NOPROGRESS, 0L);
    }
    /* TLS: none of these is configurable downwards. */
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_file) {
        SET(CURLOPT_CAINFO, s->ca_file);
        SET(CURLOPT_CAPATH, (char *)NULL); /* only the configured CAs */
    }
    if (s->client_cert) {
        SET(CURLOPT_SSLCERT, s->client_cert);
        SET(CURLOPT_SSLCERTTYPE, "PEM");
        SET(CURLOPT_SSLKEY, s->client_key ? s->client_key : s->client_cert);
        SET(CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (s->pin)
        SET(CURLOPT_PINNEDPUBLICKEY, s->pin);
#undef SET
    return c;
}

int pdm_http_session_open(pdm_http_session **out, const pdm_http_opts *opts,
                          char *err, size_t errlen)
{
    static const pdm_http_opts defaults;
    pdm_http_session *s;
    bool oom = false;
    CURLcode c;

    set_err(err, errlen, "%s", "");
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->retries < 0 || opts->retries > PDM_HTTP_MAX_RETRIES) {
        set_err(err, errlen, "HTTP retries must be 0..%d, not %d",
                PDM_HTTP_MAX_RETRIES, opts->retries);
        return PDM_EINVAL;
    }
    if (opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 ||
        opts->retry_delay_ms < 0) {
        set_err(err, errlen, "HTTP timeouts and retry delay must not be "
                             "negative");
        return PDM_EINVAL;
    }
    if (opts->pin && !(pdm_key_pin_check(opts->pin) == PDM_OK)) {
        set_err(err, errlen, "public-key pin must be sha256//<base64 of "
                             "the SHA-256 of the key> (several separated by "
                             "';'), as `certtool --pubkey-info` prints it");
        return PDM_EINVAL;
    }
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        set_err(err, errlen, "libcurl initialisation failed: %s",
                curl_easy_strerror(global_rc));
        return PDM_ERROR;
    }

    s = calloc(1, sizeof *s);
    if (!s) {
        set_err(err, errlen, "out of memory");
        return PDM_ENOMEM;
    }
    s->ca_file = dup_opt(opts->ca_file, &oom);
    s->client_cert = dup_opt(opts->client_cert, &oom);
    s->client_key = opts->client_cert ? dup_opt(opts->client_key, &oom)
                                      : NULL;
    s->pin = dup_opt(opts->pin, &oom);
    if (oom) {
        pdm_http_session_close(s);
        set_err(err, errlen, "out of memory");
        return PDM_ENOMEM;
    }
    s->allow_plain_http = opts->allow_plain_http;
    s->connect_timeout_ms = opts->connect_timeout_ms
                                ? opts->connect_timeout_ms
                                : PDM_HTTP_CONNECT_TIMEOUT_MS;
    s->timeout_ms = opts->timeout_ms ? opts->timeout_ms : PDM_HTTP_TIMEOUT_MS;
    s->retry_delay_ms = opts->retry_delay_ms ? opts->retry_delay_ms
                                             : PDM_HTTP_RETRY_DELAY_MS;
    s->retries = opts->retries;
    s->cancel = opts->cancel;
    s->on_retry = opts->on_retry;
    s->retry_user = opts->retry_user;
    s->on_connect = opts->on_connect;
    s->on_connect_user = opts->on_connect_user;
    s->max_response =
        opts->max_response ? opts->max_response : PDM_HTTP_MAX_RESPONSE;

    s->curl = curl_easy_init();
    if (!s->curl) {
        pdm_http_session_close(s);
        set_err(err, errlen, "libcurl could not create a handle");
        return PDM_ERROR;
    }
    c = setup_handle(s);
    if (c != CURLE_OK) {
        /* e.g. a libcurl without PROTOCOLS_STR or pinning support: we
         * refuse to run with weaker settings. */
        set_err(err, errlen, "libcurl lacks a required feature: %s",
                curl_easy_strerror(c));
        pdm_http_session_close(s);
        return c == CURLE_OUT_OF_MEMORY ? PDM_ENOMEM : PDM_ERROR;
    }
    *out = s;
    return PDM_OK;
}

/* ---- classification of an attempt ------------------------------------- */

/* The text after "gnutls_handshake() failed: " in libcurl's error buffer:
 * an alert name (gnutls_alert_get_name) or a GnuTLS error text. */
static const char *handshake_reason(const char *eb)
{
    static const char tag[] = "gnutls_handshake() failed: ";
    const char *p = strstr(eb, tag);
    return p ? p + sizeof tag - 1 : NULL;
}

static bool is_alert(const char *reason, gnutls_alert_description_t a)
{
    const char *name = gnutls_alert_get_name(a);
    return reason && name && strcmp(reason, name) == 0;
}

static bool is_gnutls_error(const char *reason, int code)
{
    const char *text = gnutls_strerror(code);
    return reason && text && strcmp(reason, text) == 0;
}

/* The server's certificate failed verification (CURLE_PEER_FAILED_
 * VERIFICATION): say why in a field engineer's words. */
static void classify_verify(const pdm_http_session *s, verdict *v)
{
    long st = 0;
    char trust[300];
    if (s->ca_file)
        snprintf(trust, sizeof trust, "CA file %s", s->ca_file);
    else
        snprintf(trust, sizeof trust, "the system CA store");
    curl_easy_getinfo(s->curl, CURLINFO_SSL_VERIFYRESULT, &st);
    if (st & GNUTLS_CERT_EXPIRED)
        why(v, PDM_EAUTH, false, "server certificate has expired");
    else if (st & GNUTLS_CERT_NOT_ACTIVATED)
        why(v, PDM_EAUTH, false, "server certificate is not valid yet "
                                 "(check the device clock)");
    else if (st & GNUTLS_CERT_REVOKED)
        why(v, PDM_EAUTH, false, "server certificate has been revoked");
    else if (st & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
        why(v, PDM_EAUTH, false, "server certificate not trusted by %s",
            trust);
    else if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
        why(v, PDM_EAUTH, false, "server certificate uses an insecure "
                                 "signature algorithm");
    else if (st != 0)
        why(v, PDM_EAUTH, false, "server certificate not trusted by %s "
                                 "(GnuTLS status 0x%lx)", trust, st);
    else if (strstr(s->errbuf, "does not match target host name"))
        why(v, PDM_EAUTH, false, "server certificate was not issued for "
                                 "this host name");
    else
        why(v, PDM_EAUTH, false, "server certificate verification failed "
                                 "(%s)", s->errbuf);
}

/* Does the server at @ip:@port ask for a client certificate?  A bare
 * TLS >= 1.2 handshake without any credentials, after which nothing is
 * sent; used only to explain a handshake libcurl saw fail.  Returns 1 (it
 * asks), 0 (it completed a handshake without asking) or -1 (unknown). */
static int probe_cert_request(const char *ip, long port, const char *sni,
                              long timeout_ms)
{
    struct addrinfo hints, *ai = NULL;
    gnutls_session_t gs = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    struct timeval tv;
    char portstr[24];
    int fd = -1, ret, result = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(portstr, sizeof portstr, "%ld", port);
    if (getaddrinfo(ip, portstr, &hints, &ai) != 0 || !ai)
        return -1;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    /* Linux applies SO_SNDTIMEO to connect() too. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        goto out;
    if (gnutls_init(&gs, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL) != 0) {
        gs = NULL;
        goto out;
    }
    if (gnutls_certificate_allocate_credentials(&cred) != 0) {
        cred = NULL;
        goto out;
    }
    if (gnutls_priority_set_direct(
            gs, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL) != 0 ||
        gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, cred) != 0)
        goto out;
    if (sni)
        gnutls_server_name_set(gs, GNUTLS_NAME_DNS, sni, strlen(sni));
    gnutls_transport_set_int(gs, fd);
    gnutls_handshake_set_timeout(gs, (unsigned)timeout_ms);
    do {
        ret = gnutls_handshake(gs);
    } while (ret < 0 && !gnutls_error_is_fatal(ret));
    if (gnutls_certificate_client_get_request_status(gs))
        result = 1;
    else if (ret == 0)
        result = 0;
out:
    if (gs)
        gnutls_deinit(gs);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return result;
}

/* Only a direct connection can be probed (a proxy would be probed
 * instead of the server). */
static bool proxy_configured(void)
{
    static const char *const vars[] = {"https_proxy", "HTTPS_PROXY",
                                       "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < CLI_ARRAY_LEN(vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return true;
    }
    return false;
}

/* The server side of the failed handshake: does it ask for a client
 * certificate?  1 yes, 0 no, -1 unknown. */
static int server_asks_cert(const pdm_http_session *s, const xfer *x)
{
    char *ip = NULL;
    long port = 0;
    if (proxy_configured() ||
        curl_easy_getinfo(s->curl, CURLINFO_PRIMARY_IP, &ip) != CURLE_OK ||
        !ip || !*ip ||
        curl_easy_getinfo(s->curl, CURLINFO_PRIMARY_PORT, &port) !=
            CURLE_OK ||
        port <= 0)
        return -1;
    return probe_cert_request(ip, port, x->sni,
                              s->connect_timeout_ms < 5000
                                  ? s->connect_timeout_ms
                                  : 5000);
}

/* A failed TLS handshake (CURLE_SSL_CONNECT_ERROR). */
static void classify_handshake(const pdm_http_session *s, const xfer *x,
                               verdict *v)
{
    const char *r = handshake_reason(s->errbuf);
    bool cert_alert, dropped;
    int asks;

    if (is_gnutls_error(r, GNUTLS_E_UNSUPPORTED_VERSION_PACKET) ||
        is_alert(r, GNUTLS_A_PROTOCOL_VERSION)) {
        why(v, PDM_EFORBIDDEN, false,
            "TLS version below 1.2 refused (the server offers only an "
            "older TLS version)");
        return;
    }
    if (is_gnutls_error(r, GNUTLS_E_NO_CIPHER_SUITES) ||
        is_gnutls_error(r, GNUTLS_E_INSUFFICIENT_SECURITY) ||
        is_alert(r, GNUTLS_A_INSUFFICIENT_SECURITY)) {
        why(v, PDM_EFORBIDDEN, false,
            "the server offers no TLS cipher this client accepts");
        return;
    }
    if (strstr(s->errbuf, "error reading X.509")) {
        why(v, PDM_EINVAL, false,
            "client certificate %s or its key %s could not be loaded",
            s->client_cert ? s->client_cert : "(none)",
            s->client_key ? s->client_key : "(in the certificate file)");
        return;
    }
    /* Alerts a server sends about the client certificate.  GnuTLS servers
     * answer a missing one with decode_error in TLS 1.2. */
    cert_alert = is_alert(r, GNUTLS_A_CERTIFICATE_REQUIRED) ||
                 is_alert(r, GNUTLS_A_BAD_CERTIFICATE) ||
                 is_alert(r, GNUTLS_A_UNKNOWN_CA) ||
                 is_alert(r, GNUTLS_A_CERTIFICATE_UNKNOWN) ||
                 is_alert(r, GNUTLS_A_CERTIFICATE_EXPIRED) ||
                 is_alert(r, GNUTLS_A_CERTIFICATE_REVOKED) ||
                 is_alert(r, GNUTLS_A_UNSUPPORTED_CERTIFICATE) ||
                 is_alert(r, GNUTLS_A_ACCESS_DENIED) ||
                 is_alert(r, GNUTLS_A_DECODE_ERROR) ||
                 is_alert(r, GNUTLS_A_HANDSHAKE_FAILURE);
    /* The server closed or reset the connection in the middle of the
     * handshake: what a server that rejects the client's certificate
     * often looks like when it closes before reading everything. */
    dropped = !r || is_gnutls_error(r, GNUTLS_E_PUSH_ERROR) ||
              is_gnutls_error(r, GNUTLS_E_PULL_ERROR) ||
              is_gnutls_error(r, GNUTLS_E_PREMATURE_TERMINATION);
    if (!cert_alert && !dropped) {
        why(v, PDM_EIO, false, "TLS handshake failed (%s)", r);
        return;
    }
    asks = server_asks_cert(s, x);
    if (asks == 1 && !s->client_cert)
        why(v, PDM_EAUTH, false,
            "server requires a client certificate and none is configured "
            "(the TLS handshake failed: %s)", r ? r : s->errbuf);
    else if (asks == 1 || (asks == -1 && s->client_cert && cert_alert))
        why(v, PDM_EAUTH, false,
            "server did not accept the client certificate %s (the TLS "
            "handshake failed: %s)", s->client_cert, r ? r : s->errbuf);
    else if (asks == -1 && cert_alert)
        why(v, PDM_EAUTH, false,
            "server refused the TLS handshake (alert \"%s\"); it probably "
            "requires a client certificate and none is configured", r);
    else if (cert_alert)
        why(v, PDM_EAUTH, false, "server refused the TLS handshake (alert "
                                 "\"%s\")", r);
    else
        why(v, PDM_EIO, true, "connection dropped during the TLS handshake "
                              "(%s)", r ? r : s->errbuf);
}

static void classify_curl(const pdm_http_session *s, const xfer *x,
                          CURLcode cc, verdict *v)
{
    long oserr = 0, rcode = 0, fresh = 0;
    curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &oserr);
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &rcode);

    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        /* "(server unreachable)": no connection at all, as opposed to a
         * server that answered badly */
        if (oserr == ECONNREFUSED)
            why(v, PDM_EIO, true, "connection refused (server unreachable)");
        else if (oserr)
            why(v, PDM_EIO, true, "could not connect (%s; server "
                                  "unreachable)", strerror((int)oserr));
        else
            why(v, PDM_EIO, true, "could not connect (server unreachable)");
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        why(v, PDM_EIO, true, "host name not found (server unreachable)");
        return;
    case CURLE_COULDNT_RESOLVE_PROXY:
        why(v, PDM_EIO, true, "proxy host name not found (server "
                              "unreachable)");
        return;
    case CURLE_OPERATION_TIMEDOUT:
        if (!x->reached_http)
            why(v, PDM_ETIMEOUT, true, "could not connect within %ld ms "
                "(server unreachable)",
                s->connect_timeout_ms < s->timeout_ms ? s->connect_timeout_ms
                                                      : s->timeout_ms);
        else
            why(v, PDM_ETIMEOUT, true, "timed out after %ld ms",
                s->timeout_ms);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
        classify_verify(s, v);
        return;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        why(v, PDM_EAUTH, false,
            "server public key does not match the pinned key");
        return;
    case CURLE_SSL_CONNECT_ERROR:
        classify_handshake(s, x, v);
        return;
    case CURLE_SSL_CACERT_BADFILE:
        why(v, PDM_EINVAL, false, "CA file %s could not be loaded",
            s->ca_file ? s->ca_file : "(system store)");
        return;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_INITFAILED:
        why(v, PDM_EINVAL, false,
            "client certificate %s or its key %s could not be loaded",
            s->client_cert ? s->client_cert : "(none)",
            s->client_key ? s->client_key : "(in the certificate file)");
        return;
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CIPHER:
        why(v, PDM_EFORBIDDEN, false,
            "the server offers no TLS cipher this client accepts");
        return;
    case CURLE_FILESIZE_EXCEEDED:
        why(v, PDM_ETOOBIG, false, "response larger than %zu bytes refused",
            s->max_response);
        return;
    case CURLE_WRITE_ERROR:
        if (x->too_big)
            why(v, PDM_ETOOBIG, false,
                "response larger than %zu bytes refused", s->max_response);
        else
            why(v, PDM_ENOMEM, false, "out of memory receiving the response");
        return;
    case CURLE_OUT_OF_MEMORY:
        why(v, PDM_ENOMEM, false, "out of memory");
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
        if (rcode == 0 && x->reached_http) {
            why(v, PDM_EIO, true, "server did not answer with HTTP (%s)",
                s->errbuf);
            return;
        }
        why(v, PDM_EINVAL, false, "only http:// and https:// URLs are "
                                  "supported");
        return;
    case CURLE_URL_MALFORMAT:
        why(v, PDM_EINVAL, false, "malformed URL");
        return;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        /* TLS 1.3: the handshake is complete from the client's view
         * before the server checks the client certificate, so a
         * rejection only shows as a connection dropped before any answer
         * on a connection made for this request. */
        if (x->tls && x->cert_requested && rcode == 0 &&
            curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &fresh) ==
                CURLE_OK &&
            fresh > 0) {
            if (!s->client_cert)
                why(v, PDM_EAUTH, false,
                    "server requires a client certificate and none is "
                    "configured (it closed the %s connection after asking "
                    "for one)", x->tls_version);
            else
                why(v, PDM_EAUTH, false,
                    "server closed the %s connection after the handshake: "
                    "it probably did not accept the client certificate %s",
                    x->tls_version, s->client_cert);
            return;
        }
        why(v, PDM_EIO, true, "connection dropped (%s)",
            curl_easy_strerror(cc));
        return;
    case CURLE_ABORTED_BY_CALLBACK:
        why(v, PDM_ECANCELLED, false, "request abandoned (shutdown)");
        return;
    default:
        why(v, PDM_ERROR, false, "%s", s->errbuf[0] ? s->errbuf
                                                    : curl_easy_strerror(cc));
        return;
    }
}

static void classify_status(long st, bool have_cert, bool cert_requested,
                            verdict *v)
{
    const char *w = status_words(st);
    char code[64];
    if (w)
        snprintf(code, sizeof code, "HTTP %ld (%s)", st, w);
    else
        snprintf(code, sizeof code, "HTTP %ld", st);

    if (st >= 300 && st < 400)
        why(v, PDM_EFORBIDDEN, false,
            "%s: the server redirects elsewhere; HTTP redirects are not "
            "followed (a DM server moves a session with RespURI)", code);
    else if (st == 401 || st == 407)
        why(v, PDM_EAUTH, false, "%s", code);
    else if (st == 403 && !have_cert && cert_requested)
        why(v, PDM_EFORBIDDEN, false, "%s; the server asked for a client "
                                      "certificate and none is configured",
            code);
    else if (st == 403)
        why(v, PDM_EFORBIDDEN, false, "%s", code);
    else if (st == 404)
        why(v, PDM_ENOTFOUND, false, "%s", code);
    else if (st == 408)
        why(v, PDM_ETIMEOUT, false, "%s", code);
    else if (st == 413)
        why(v, PDM_ETOOBIG, false, "%s", code);
    else if (st == 415)
        why(v, PDM_EFORMAT, false, "%s", code);
    else if (st == 429)
        why(v, PDM_EBUSY, false, "%s", code);
    else if (st >= 400 && st < 500)
        why(v, PDM_EINVAL, false, "%s", code);
    else if (st == 503)
        why(v, PDM_EBUSY, true, "%s", code);
    else if (st >= 500 && st < 600)
        why(v, PDM_EIO, true, "%s", code);
    else
        why(v, PDM_EIO, false, "unexpected %s", code);
}

/* ---- the request ------------------------------------------------------ */

/* Backoff between attempts, cut short by the shutdown hook: slept in
 * slices of 100 ms because the signal that raises the flag may be handled
 * by another thread and never interrupt this one. */
static void sleep_ms(long ms, volatile sig_atomic_t *cancel)
{
    while (ms > 0 && !(cancel && *cancel)) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {0, step * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR &&
               !(cancel && *cancel))
            ;
        ms -= step;
    }
}

/* "application/Vnd.SyncML.DM+WBXML; charset=x" -> lower-case type only. */
static char *media_type(const char *ct)
{
    size_t n;
    char *out;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, "; \t");
    if (n == 0)
        return NULL;
    out = strndup(ct, n);
    for (size_t i = 0; out && i < n; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    return out;
}

/* "scheme://host:port" of @url for messages (never the path or query,
 * which may carry session tokens, nor any user:password), and the host
 * name for SNI in @sni (empty for an IP address literal). */
static int url_origin(const char *url, char *origin, size_t len,
                      char *sni, size_t snilen, bool *https)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = PDM_EINVAL;
    if (!u)
        return PDM_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK) {
        struct in_addr a4;
        snprintf(origin, len, "%s://%s:%s", scheme, host, port);
        if (host[0] == '[' || inet_pton(AF_INET, host, &a4) == 1 ||
            strlen(host) >= snilen)
            sni[0] = '\0';
        else
            cli_strlcpy(sni, host, snilen);
        if (strcmp(scheme, "https") == 0) {
            *https = true;
            rc = PDM_OK;
        } else if (strcmp(scheme, "http") == 0) {
            *https = false;
            rc = PDM_OK;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* A configured file libcurl will need: say clearly when it is missing,
 * instead of a TLS error later. */
static bool readable(const char *what, const char *path, const char *origin,
                     char *err, size_t errlen)
{
    FILE *f;
    if (!path)
        return true;
    f = fopen(path, "r");
    if (f) {
        fclose(f);
        return true;
    }
    set_err(err, errlen, "%s: %s %s cannot be read: %s", origin, what, path,
            strerror(errno));
    return false;
}

static struct curl_slist *build_headers(const char *content_type,
                                        const char *hmac)
{
    struct curl_slist *l = NULL, *t;
    cli_buf b;
    const char *fixed[] = {DM_ACCEPT, "Cache-Control: no-store",
                           "Expect:" /* no 100-continue round trip */};
    cli_buf_init(&b);
    cli_buf_printf(&b, "Content-Type: %s", content_type);
    if (!cli_buf_ok(&b) || !(l = curl_slist_append(NULL, (char *)b.data)))
        goto fail;
    for (size_t i = 0; i < CLI_ARRAY_LEN(fixed); i++) {
        if (!(t = curl_slist_append(l, fixed[i])))
            goto fail;
        l = t;
    }
    if (hmac) {
        cli_buf_reset(&b);
        cli_buf_printf(&b, "x-syncml-hmac: %s", hmac);
        if (!cli_buf_ok(&b) || !(t = curl_slist_append(l, (char *)b.data)))
            goto fail;
        l = t;
    }
    cli_buf_free(&b);
    return l;
fail:
    cli_buf_free(&b);
    curl_slist_free_all(l);
    return NULL;
}

/* Copies what the caller keeps from a finished attempt into @out. */
static int fill_resp(pdm_http_session *s, xfer *x, bool answered,
                     long status, pdm_http_resp *out)
{
    char *ct = NULL;
    struct curl_header *hh = NULL;
    out->status = status;
    if (x->tls) {
        out->tls_version = strdup(x->tls_version);
        if (!out->tls_version)
            return PDM_ENOMEM;
        if (x->key_pin[0] && !(out->key_pin = strdup(x->key_pin)))
            return PDM_ENOMEM;
    }
    if (!answered)
        return PDM_OK; /* no complete answer: no partial body or headers */
    if (x->body.len) {
        out->len = x->body.len;
        out->body = cli_buf_steal(&x->body, &out->len);
        if (!out->body)
            return PDM_ENOMEM;
    }
    if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
        ct) {
        out->content_type = media_type(ct);
        if (!out->content_type && *ct && strcspn(ct, "; \t") > 0)
            return PDM_ENOMEM;
    }
    if (curl_easy_header(s->curl, "x-syncml-hmac", 0, CURLH_HEADER, -1,
                         &hh) == CURLHE_OK &&
        hh && hh->value) {
        out->hmac = strdup(hh->value);
        if (!out->hmac)
            return PDM_ENOMEM;
    }
    return PDM_OK;
}

int pdm_http_session_post(pdm_http_session *s, pdm_http_resp *out,
                          const char *url, const uint8_t *body, size_t len,
                          const char *content_type, const char *hmac_header,
                          char *err, size_t errlen)
{
    char origin[300], sni[256];
    bool https = false;
    struct curl_slist *hdrs = NULL;
    verdict v;
    long delay, status = 0;
    int rc;
    CURLcode c = CURLE_OK;
    xfer x;

    memset(out, 0, sizeof *out);
    set_err(err, errlen, "%s", "");
    if (!s || !url) {
        set_err(err, errlen, "no session or URL");
        return PDM_EINVAL;
    }
    rc = url_origin(url, origin, sizeof origin, sni, sizeof sni, &https);
    if (rc == PDM_ENOMEM) {
        set_err(err, errlen, "out of memory");
        return rc;
    }
    if (rc != PDM_OK) {
        set_err(err, errlen, "DM server URL is not a valid http:// or "
                             "https:// URL");
        return PDM_EINVAL;
    }
    if (!https && !s->allow_plain_http) {
        set_err(err, errlen, "%s: plain http:// refused: this profile "
                             "requires https:// for DM servers (to allow "
                             "http, set allow_plain_http = true in its "
                             "[transport] section)", origin);
        return PDM_EFORBIDDEN;
    }
    if (!content_type || !*content_type || !header_value_ok(content_type) ||
        (hmac_header && !header_value_ok(hmac_header))) {
        set_err(err, errlen, "%s: missing Content-Type or control "
                             "characters in a request header value", origin);
        return PDM_EINVAL;
    }
    if (!body && len) {
        set_err(err, errlen, "%s: no message body", origin);
        return PDM_EINVAL;
    }
    if (https && (!readable("CA file", s->ca_file, origin, err, errlen) ||
                  !readable("client certificate", s->client_cert, origin,
                            err, errlen) ||
                  !readable("client key", s->client_key, origin, err,
                            errlen)))
        return PDM_EINVAL;
    hdrs = build_headers(content_type, hmac_header);
    if (!hdrs) {
        set_err(err, errlen, "out of memory");
        return PDM_ENOMEM;
    }

    memset(&x, 0, sizeof x);
    x.curl = s->curl;
    x.max = s->max_response;
    x.sni = sni[0] ? sni : NULL;
    x.s = s;
    cli_buf_init(&x.body);
#define SET(opt, val)                                  \
    do {                                               \
        if (c == CURLE_OK)                             \
            c = curl_easy_setopt(s->curl, opt, val);   \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, body ? (const char *)body : "");
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_WRITEDATA, &x);
    SET(CURLOPT_PREREQDATA, &x);
#undef SET
    if (c != CURLE_OK) {
        rc = c == CURLE_OUT_OF_MEMORY ? PDM_ENOMEM : PDM_ERROR;
        set_err(err, errlen, "%s: %s", origin, curl_easy_strerror(c));
        goto done;
    }

    delay = s->retry_delay_ms;
    for (;;) {
        cli_buf_reset(&x.body);
        x.too_big = x.refused = x.reached_http = x.tls = x.cert_requested = false;
        x.tls_version[0] = x.key_pin[0] = '\0';
        s->errbuf[0] = '\0';
        out->attempts++;

        status = 0;
        c = curl_easy_perform(s->curl);
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        if (x.refused)
            why(&v, PDM_EDENIED, false, "the session refused the connection "
                                        "before the request was sent");
        else if (c != CURLE_OK)
            classify_curl(s, &x, c, &v);
        else if (status >= 200 && status < 300)
            why(&v, PDM_OK, false, "%s", "");
        else
            classify_status(status, s->client_cert != NULL,
                            x.cert_requested, &v);
        if (v.rc == PDM_OK || !v.retry ||
            out->attempts > (unsigned)s->retries)
            break;
        if (s->on_retry) {
            char msg[700];
            snprintf(msg, sizeof msg, "%s: %s", origin, v.why);
            s->on_retry(s->retry_user, out->attempts, msg, delay);
        }
        sleep_ms(delay, s->cancel);
        if (s->cancel && *s->cancel) {
            why(&v, PDM_ECANCELLED, false, "not retried (shutdown)");
            break;
        }
        delay = delay * 2 > PDM_HTTP_MAX_RETRY_DELAY_MS
                    ? PDM_HTTP_MAX_RETRY_DELAY_MS
                    : delay * 2;
    }
    rc = v.rc;
    if (fill_resp(s, &x, c == CURLE_OK, status, out) != PDM_OK) {
        unsigned attempts = out->attempts;
        pdm_http_resp_free(out);
        out->attempts = attempts;
        set_err(err, errlen, "out of memory");
        rc = PDM_ENOMEM;
    } else if (rc != PDM_OK && out->attempts > 1) {
        set_err(err, errlen, "%s: %s; gave up after %u attempts", origin,
                v.why, out->attempts);
    } else if (rc != PDM_OK) {
        set_err(err, errlen, "%s: %s", origin, v.why);
    }
done:
    /* Do not leave pointers to the caller's data or our stack in the
     * handle between calls. */
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, (void *)NULL);
    curl_easy_setopt(s->curl, CURLOPT_PREREQDATA, (void *)NULL);
    curl_slist_free_all(hdrs);
    cli_buf_free(&x.body);
    return rc;
}

int pdm_http_post(pdm_http_resp *out, const char *url, const uint8_t *body,
                  size_t len, const char *content_type,
                  const char *hmac_header, const pdm_http_opts *opts,
                  char *err, size_t errlen)
{
    pdm_http_session *s = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    rc = pdm_http_session_open(&s, opts, err, errlen);
    if (rc != PDM_OK)
        return rc;
    rc = pdm_http_session_post(s, out, url, body, len, content_type,
                               hmac_header, err, errlen);
    pdm_http_session_close(s);
    return rc;
}
