/*
 * polydm-testserver: a scriptable OMA DM 1.2 server for tests and QA labs.
 * HTTP(S) with libmicrohttpd on loopback; the protocol and the scenario are
 * in engine*.c (engine_int.h); usage and the scenario format in
 * tests/dmserver/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "bsdoc.h"
#include "dmsauth.h"
#include "engine.h"
#include "push.h"
#include "scenario.h"
#include "sml.h"

#define MAX_BODY (32u << 20)

static volatile sig_atomic_t g_stop;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct options {
    const char *scenario;
    const char *transcript;
    const char *tls_cert, *tls_key, *tls_ca;
    bool require_client_cert;
    bool once;
    bool no_ipv6;
    int port;
    long timeout_s;
    long end_wait_ms;
    int verbose;
    const char *push_to;
    /* --notify */
    bool notify;
    const char *server_id, *password, *nonce, *session_id, *ui, *initiator,
        *version, *vendor, *pkg0_out;
    bool no_send;
    /* --push-bootstrap */
    const char *bootstrap, *content_type, *sec, *mac, *imsi, *pin, *key_order,
        *app_id, *pdu_out, *url, *account, *connmo, *tamper, *doc_out;
    bool check;
} options;

static options g_opt;
static dms_engine *g_engine;
static bool g_tls;
static FILE *g_transcript;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *f)
{
    fputs(
        "usage: polydm-testserver --scenario FILE [options]\n"
        "       polydm-testserver --check FILE...\n"
        "       polydm-testserver --notify [notify options]\n"
        "       polydm-testserver --push-bootstrap FILE --content-type CT "
        "[bootstrap options]\n"
        "\n"
        "Server:\n"
        "  --scenario FILE        scenario to run (format: tests/dmserver/"
        "README.md)\n"
        "  --port N               TCP port on 127.0.0.1 (and ::1); 0 = "
        "ephemeral (default)\n"
        "  --once                 exit when the scenario ends: 0 if every "
        "expectation held, 1 otherwise\n"
        "  --transcript FILE      write every message (both directions) to "
        "FILE\n"
        "  --timeout SEC          max wait for the client (default: scenario, "
        "30)\n"
        "  --end-wait MS          silence required after the last package "
        "(default: scenario, 500)\n"
        "  --tls-cert FILE --tls-key FILE   serve HTTPS (PEM)\n"
        "  --tls-ca FILE          CA for client certificates (requested)\n"
        "  --require-client-cert  answer 403 without a valid client "
        "certificate\n"
        "  --no-ipv6              listen on 127.0.0.1 only\n"
        "  --push-to HOST:PORT    destination of every WAP push (default "
        "127.0.0.1:2948)\n"
        "  -v, --verbose          progress on stderr (repeat for more)\n"
        "\n"
        "Package 0 (--notify; values default to the scenario's server-id and "
        "server-auth):\n"
        "  --server-id ID --password PW --nonce DATA --session-id HEX\n"
        "  --ui unspecified|background|informative|interactive|0..3\n"
        "  --initiator server|client --version 11|12 --vendor DATA\n"
        "  --pkg0-out FILE        also write the raw package 0\n"
        "  --no-send              only write, do not push\n"
        "\n"
        "Bootstrap (--push-bootstrap FILE):\n"
        "  --content-type CT      MIME name or WSP code (0x42, 0x36, ...)\n"
        "  --sec NAME --mac HEX   SEC method and MAC (or --imsi/--pin to "
        "compute it)\n"
        "  --key-order imsi-pin|pin:imsi  USERNETWPIN key (default imsi-pin)\n"
        "  --sec USERPINMAC --pin K  print the PIN the user must enter\n"
        "  --app-id ID            X-WAP-Application-ID (number or URI)\n"
        "  --pdu-out FILE         also write the push PDU\n"
        "  --push-bootstrap generate:cp|cp-xml|dm|dm-xml  generate the account\n"
        "                         of --scenario (server-id, client-auth,\n"
        "                         server-auth) at --url URL [--account NAME]\n"
        "                         [--connmo NAME] [--doc-out FILE]\n"
        "  --tamper mac|body      spoil the MAC or the document after MACing\n"
        "\n"
        "Exit codes: 0 passed/sent, 1 expectation failed, 2 usage or "
        "scenario error, 3 runtime error.\n",
        f);
}

static char *read_text(const char *path)
{
    uint8_t *b = NULL;
    size_t n = 0;
    char *s;
    if (pdm__read_file(path, 1u << 20, &b, &n) != PDM_OK)
        return NULL;
    s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    pdm__free(b);
    return s;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct req {
    pdm__buf body;
    bool too_big;
} req;

static enum MHD_Result send_plain(struct MHD_Connection *c, unsigned code,
                                  const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

/* Checks the TLS client certificate; returns NULL if acceptable, else the
 * reason.  cn gets the certificate's CN when there is one. */
static const char *check_client_cert(struct MHD_Connection *c, char *cn,
                                     size_t cnlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t tls = ci ? (gnutls_session_t)ci->tls_session : NULL;
    const gnutls_datum_t *peers;
    unsigned n = 0, status = 0;
    cn[0] = 0;
    if (!tls)
        return "no TLS session";
    peers = gnutls_certificate_get_peers(tls, &n);
    if (!peers || n == 0)
        return "no client certificate";
    {
        gnutls_x509_crt_t crt;
        if (gnutls_x509_crt_init(&crt) == 0) {
            size_t l = cnlen;
            if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) ==
                    0 &&
                gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                              0, 0, cn, &l) != 0)
                cn[0] = 0;
            gnutls_x509_crt_deinit(crt);
        }
    }
    if (gnutls_certificate_verify_peers2(tls, &status) < 0 || status != 0)
        return "client certificate not trusted";
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    req *r = *req_cls;
    dms_request rq;
    dms_response rs;
    struct MHD_Response *mr;
    enum MHD_Result rc;
    char cn[256] = "";
    (void)cls;
    (void)version;

    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        pdm__buf_init(&r->body);
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body.len + *upload_size > MAX_BODY)
            r->too_big = true;
        else
            pdm__buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (g_tls && g_opt.tls_ca) {
        const char *why = check_client_cert(c, cn, sizeof cn);
        if (why && g_opt.require_client_cert) {
            if (g_opt.verbose)
                fprintf(stderr, "polydm-testserver: 403: %s\n", why);
            pthread_mutex_lock(&g_lock);
            if (g_transcript) {
                fprintf(g_transcript, "=== HTTPS request refused with 403: "
                        "%s%s%s\n===\n\n", why, cn[0] ? ", CN " : "", cn);
                fflush(g_transcript);
            }
            pthread_mutex_unlock(&g_lock);
            return send_plain(c, MHD_HTTP_FORBIDDEN, why);
        }
    }
    if (r->too_big || !pdm__buf_ok(&r->body))
        return send_plain(c, 413, "message too large\n");

    memset(&rq, 0, sizeof rq);
    rq.body = r->body.data ? r->body.data : (const uint8_t *)"";
    rq.len = r->body.len;
    rq.method = method;
    rq.url = url;
    rq.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_TYPE);
    rq.hmac = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-syncml-hmac");
    rq.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                          MHD_HTTP_HEADER_HOST);
    rq.token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "s");
    rq.peer_cn = cn[0] ? cn : NULL;

    pthread_mutex_lock(&g_lock);
    dms_engine_handle(g_engine, &rq, &rs);
    pthread_mutex_unlock(&g_lock);
    if (rs.delay_ms > 0) {
        /* `send delay=`: a slow server.  Sleeping here stalls the daemon's
         * only thread, which is fine for the one client of a test. */
        struct timespec ts = {rs.delay_ms / 1000,
                              (rs.delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }

    mr = MHD_create_response_from_buffer(rs.len, rs.body,
                                         MHD_RESPMEM_MUST_COPY);
    if (!mr) {
        dms_response_free(&rs);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rs.content_type);
    if (rs.hmac)
        MHD_add_response_header(mr, "x-syncml-hmac", rs.hmac);
    rc = MHD_queue_response(c, (unsigned)rs.http_status, mr);
    MHD_destroy_response(mr);
    dms_response_free(&rs);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *r = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (r) {
        pdm__buf_free(&r->body);
        free(r);
        *req_cls = NULL;
    }
}

static struct MHD_Daemon *start_daemon(bool v6, int port, char *key,
                                       char *cert, char *ca)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem ops[8];
    int n = 0;

    if (v6) {
        memset(&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        a6.sin6_addr = in6addr_loopback;
        sa = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        memset(&a4, 0, sizeof a4);
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa = (struct sockaddr *)&a4;
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, sa};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
                                       (intptr_t)on_completed, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 60,
                                       NULL};
    if (cert) {
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
        if (ca)
            ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                               ca};
        ops[n++] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request,
                            NULL, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

/* ---- one-shot modes ------------------------------------------------------- */

static int eval_opt_data(const char *expr, const char *dir, pdm__buf *out)
{
    char err[256];
    if (!expr)
        return 0;
    if (sml_data_eval(expr, dir, out, err, sizeof err) != 0) {
        fprintf(stderr, "polydm-testserver: %s\n", err);
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        fprintf(stderr, "polydm-testserver: cannot write %s: %s\n", path,
                strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int do_notify(const scenario *sc)
{
    dms_pkg0_params p;
    pdm__buf nonce, vendor, pkg0, pdu;
    char err[256];
    int rc = 3;
    memset(&p, 0, sizeof p);
    pdm__buf_init(&nonce);
    pdm__buf_init(&vendor);
    pdm__buf_init(&pkg0);
    pdm__buf_init(&pdu);
    p.server_id = g_opt.server_id ? g_opt.server_id
                                  : (sc ? sc->server_id : NULL);
    p.password = g_opt.password ? g_opt.password
                                : (sc ? sc->server_auth.password : NULL);
    if (!p.server_id || !p.password) {
        fprintf(stderr, "polydm-testserver: --notify needs --server-id and "
                "--password (or a --scenario with server-id and "
                "server-auth)\n");
        return 2;
    }
    if (eval_opt_data(g_opt.nonce ? g_opt.nonce
                                  : (sc ? sc->server_auth.nonce : NULL),
                      sc ? sc->dir : "", &nonce) ||
        eval_opt_data(g_opt.vendor, "", &vendor))
        return 2;
    p.nonce = nonce.data;
    p.nonce_len = nonce.len;
    p.vendor = vendor.data;
    p.vendor_len = vendor.len;
    p.version = 11;
    if (g_opt.version) {
        long v;
        if (pdm__parse_long(g_opt.version, 0, 1023, &v) != PDM_OK) {
            fprintf(stderr, "polydm-testserver: --version is 0-1023 (a "
                    "10-bit field), not '%s'\n", g_opt.version);
            return 2;
        }
        p.version = (unsigned)v;
    }
    p.ui_mode = 1;
    if (g_opt.ui) {
        int ui = dms_ui_mode_parse(g_opt.ui);
        if (ui < 0) {
            fprintf(stderr, "polydm-testserver: bad --ui %s\n", g_opt.ui);
            return 2;
        }
        p.ui_mode = (unsigned)ui;
    }
    p.initiator = g_opt.initiator && (strcmp(g_opt.initiator, "client") == 0 ||
                                      strcmp(g_opt.initiator, "0") == 0)
                      ? 0
                      : 1;
    if (g_opt.session_id) {
        char *e;
        unsigned long v = strtoul(g_opt.session_id, &e, 16);
        if (*e || v > 0xFFFF || e == g_opt.session_id) {
            fprintf(stderr, "polydm-testserver: --session-id is 1-4 hex "
                    "digits\n");
            return 2;
        }
        p.session_id = (uint16_t)v;
    } else {
        uint8_t r[2];
        dms_random(r, sizeof r);
        p.session_id = (uint16_t)(((unsigned)r[0] << 8 | r[1]) % 0xFFFEu + 1u);
    }
    if (dms_pkg0_build(&p, &pkg0, err, sizeof err) != 0) {
        fprintf(stderr, "polydm-testserver: %s\n", err);
        rc = 2;
        goto out;
    }
    if (g_opt.pkg0_out && write_file(g_opt.pkg0_out, pkg0.data, pkg0.len))
        goto out;
    if (!g_opt.no_send) {
        uint8_t r[1];
        dms_random(r, sizeof r);
        if (dms_wsp_notification(pkg0.data, pkg0.len, r[0], &pdu, err,
                                 sizeof err) != 0 ||
            dms_udp_send(g_opt.push_to, pdu.data, pdu.len, err, sizeof err)) {
            fprintf(stderr, "polydm-testserver: push: %s\n", err);
            goto out;
        }
    }
    {
        char sid[5];
        dms_sid_hex(p.session_id, sid);
        printf("package 0: %zu bytes, session id %s%s%s\n", pkg0.len, sid,
               g_opt.no_send ? "" : ", pushed to ",
               g_opt.no_send ? ""
                             : (g_opt.push_to ? g_opt.push_to
                                              : DMS_PUSH_DEFAULT_TO));
        fflush(stdout);
    }
    rc = 0;
out:
    pdm__buf_free(&nonce);
    pdm__buf_free(&vendor);
    pdm__buf_free(&pkg0);
    pdm__buf_free(&pdu);
    return rc;
}

/* --push-bootstrap generate:KIND: the account of the scenario (or of
 * --server-id alone) at --url, as bsdoc.h builds it.  Returns 0 or 2. */
static int gen_bootstrap(const scenario *sc, int kind, uint8_t **doc,
                         size_t *len)
{
    dms_bs_account acc;
    pdm__buf cn, sn, out;
    char err[256];
    int rc = 2;
    memset(&acc, 0, sizeof acc);
    pdm__buf_init(&cn);
    pdm__buf_init(&sn);
    pdm__buf_init(&out);
    acc.server_id = g_opt.server_id ? g_opt.server_id
                                    : (sc ? sc->server_id : NULL);
    acc.url = g_opt.url;
    acc.name = g_opt.account ? g_opt.account : "bootstrap";
    acc.connmo = g_opt.connmo;
    if (!acc.url) {
        fprintf(stderr, "polydm-testserver: generate: needs --url (the "
                "server address the account gets)\n");
        goto out;
    }
    if (sc) {
        acc.devid = sc->devid;
        if (eval_opt_data(sc->client_auth.nonce, sc->dir, &cn) ||
            eval_opt_data(sc->server_auth.nonce, sc->dir, &sn))
            goto out;
        acc.client.type = dms_bs_auth_type(sc->client_auth.type);
        acc.client.name = sc->client_auth.user;
        acc.client.secret = sc->client_auth.password;
        acc.client.nonce = cn.data;
        acc.client.nonce_len = cn.len;
        acc.server.type = dms_bs_auth_type(sc->server_auth.type);
        acc.server.name = sc->server_auth.user;
        acc.server.secret = sc->server_auth.password;
        acc.server.nonce = sn.data;
        acc.server.nonce_len = sn.len;
    }
    if (dms_bs_build(kind, &acc, &out, err, sizeof err) != 0) {
        fprintf(stderr, "polydm-testserver: generate: %s\n", err);
        goto out;
    }
    if (g_opt.doc_out && write_file(g_opt.doc_out, out.data, out.len))
        goto out;
    *doc = out.data; /* the buffer's heap block: pdm__free */
    *len = out.len;
    out.data = NULL;
    rc = 0;
out:
    pdm__buf_free(&cn);
    pdm__buf_free(&sn);
    pdm__buf_free(&out);
    return rc;
}

static int do_bootstrap(const scenario *sc)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    int kind = -1, tamper = dms_tamper_parse(g_opt.tamper);
    pdm__buf pdu;
    char err[256];
    uint8_t r[1];
    dms_bootstrap_params b;
    char user_pin[DMS_USER_PIN_SIZE];
    int rc = 3;
    if (strncmp(g_opt.bootstrap, "generate:", 9) == 0 &&
        (kind = dms_bs_kind_parse(g_opt.bootstrap + 9)) < 0) {
        fprintf(stderr, "polydm-testserver: --push-bootstrap %s: generate:"
                "cp, cp-xml, dm or dm-xml\n", g_opt.bootstrap);
        return 2;
    }
    if (tamper < 0) {
        fprintf(stderr, "polydm-testserver: --tamper is mac, body or none\n");
        return 2;
    }
    if (kind < 0 && (g_opt.url || g_opt.account || g_opt.connmo ||
                     g_opt.doc_out)) {
        fprintf(stderr, "polydm-testserver: --url, --account, --connmo and "
                "--doc-out go with --push-bootstrap generate:KIND\n");
        return 2;
    }
    if (kind >= 0) {
        if (gen_bootstrap(sc, kind, &doc, &len))
            return 2;
        if (!g_opt.content_type)
            g_opt.content_type = dms_bs_kind_ctype(kind);
    } else if (!g_opt.content_type) {
        fprintf(stderr, "polydm-testserver: --push-bootstrap needs "
                "--content-type\n");
        return 2;
    } else if (pdm__read_file(g_opt.bootstrap, 16u << 20, &doc, &len) !=
               PDM_OK) {
        fprintf(stderr, "polydm-testserver: cannot read %s\n",
                g_opt.bootstrap);
        return 2;
    }
    pdm__buf_init(&pdu);
    dms_random(r, sizeof r);
    b.doc = doc;
    b.len = len;
    b.ctype = g_opt.content_type;
    b.sec = g_opt.sec;
    b.mac = g_opt.mac;
    b.imsi = g_opt.imsi;
    b.pin = g_opt.pin;
    b.key_order = g_opt.key_order;
    b.app_id = g_opt.app_id;
    b.tamper = tamper;
    if (dms_wsp_bootstrap(&b, g_opt.server_id ? g_opt.server_id
                                              : (sc ? sc->server_id : NULL),
                          r[0], &pdu, user_pin, err, sizeof err) != 0) {
        fprintf(stderr, "polydm-testserver: bootstrap: %s\n", err);
        rc = 2;
        goto out;
    }
    if (g_opt.pdu_out && write_file(g_opt.pdu_out, pdu.data, pdu.len))
        goto out;
    if (!g_opt.no_send &&
        dms_udp_send(g_opt.push_to, pdu.data, pdu.len, err, sizeof err)) {
        fprintf(stderr, "polydm-testserver: push: %s\n", err);
        goto out;
    }
    printf("bootstrap: %zu bytes document, %zu bytes push PDU%s%s\n", len,
           pdu.len, g_opt.no_send ? "" : ", pushed to ",
           g_opt.no_send ? ""
                         : (g_opt.push_to ? g_opt.push_to : DMS_PUSH_DEFAULT_TO));
    if (user_pin[0])
        printf("user PIN: %s\n", user_pin);
    rc = 0;
out:
    pdm__free(doc);
    pdm__buf_free(&pdu);
    return rc;
}

/* ---- main ---------------------------------------------------------------- */

enum {
    O_SCENARIO = 256, O_PORT, O_ONCE, O_TRANSCRIPT, O_TIMEOUT, O_END_WAIT,
    O_TLS_CERT, O_TLS_KEY, O_TLS_CA, O_REQ_CERT, O_NO_IPV6, O_PUSH_TO,
    O_NOTIFY, O_SERVER_ID, O_PASSWORD, O_NONCE, O_SESSION_ID, O_UI,
    O_INITIATOR, O_VERSION, O_VENDOR, O_PKG0_OUT, O_NO_SEND, O_BOOTSTRAP,
    O_CTYPE, O_SEC, O_MAC, O_IMSI, O_PIN, O_KEY_ORDER, O_APP_ID, O_PDU_OUT, O_URL,
    O_ACCOUNT, O_CONNMO, O_TAMPER, O_DOC_OUT,
    O_CHECK
};

static bool parse_num(const char *s, long min, long max, long *out)
{
    char *e;
    long v;
    errno = 0;
    v = strtol(s, &e, 10);
    if (errno || *e || e == s || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"scenario", required_argument, NULL, O_SCENARIO},
        {"port", required_argument, NULL, O_PORT},
        {"once", no_argument, NULL, O_ONCE},
        {"transcript", required_argument, NULL, O_TRANSCRIPT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"end-wait", required_argument, NULL, O_END_WAIT},
        {"tls-cert", required_argument, NULL, O_TLS_CERT},
        {"tls-key", required_argument, NULL, O_TLS_KEY},
        {"tls-ca", required_argument, NULL, O_TLS_CA},
        {"require-client-cert", no_argument, NULL, O_REQ_CERT},
        {"no-ipv6", no_argument, NULL, O_NO_IPV6},
        {"push-to", required_argument, NULL, O_PUSH_TO},
        {"notify", no_argument, NULL, O_NOTIFY},
        {"server-id", required_argument, NULL, O_SERVER_ID},
        {"password", required_argument, NULL, O_PASSWORD},
        {"nonce", required_argument, NULL, O_NONCE},
        {"session-id", required_argument, NULL, O_SESSION_ID},
        {"ui", required_argument, NULL, O_UI},
        {"initiator", required_argument, NULL, O_INITIATOR},
        {"version", required_argument, NULL, O_VERSION},
        {"vendor", required_argument, NULL, O_VENDOR},
        {"pkg0-out", required_argument, NULL, O_PKG0_OUT},
        {"no-send", no_argument, NULL, O_NO_SEND},
        {"push-bootstrap", required_argument, NULL, O_BOOTSTRAP},
        {"content-type", required_argument, NULL, O_CTYPE},
        {"sec", required_argument, NULL, O_SEC},
        {"mac", required_argument, NULL, O_MAC},
        {"imsi", required_argument, NULL, O_IMSI},
        {"pin", required_argument, NULL, O_PIN},
        {"key-order", required_argument, NULL, O_KEY_ORDER},
        {"app-id", required_argument, NULL, O_APP_ID},
        {"pdu-out", required_argument, NULL, O_PDU_OUT},
        {"url", required_argument, NULL, O_URL},
        {"account", required_argument, NULL, O_ACCOUNT},
        {"connmo", required_argument, NULL, O_CONNMO},
        {"tamper", required_argument, NULL, O_TAMPER},
        {"doc-out", required_argument, NULL, O_DOC_OUT},
        {"check", no_argument, NULL, O_CHECK},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    long v;
    scenario *sc = NULL;
    char err[1024];
    struct MHD_Daemon *d4 = NULL, *d6 = NULL;
    char *key = NULL, *cert = NULL, *ca = NULL;
    FILE *transcript = NULL;
    dms_config cfg;
    int port;
    size_t fails = 0;
    bool completed = false;

    g_opt.end_wait_ms = -1;
    while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
        switch (c) {
        case O_SCENARIO: g_opt.scenario = optarg; break;
        case O_PORT:
            if (!parse_num(optarg, 0, 65535, &v)) {
                fprintf(stderr, "polydm-testserver: bad --port\n");
                return 2;
            }
            g_opt.port = (int)v;
            break;
        case O_ONCE: g_opt.once = true; break;
        case O_TRANSCRIPT: g_opt.transcript = optarg; break;
        case O_TIMEOUT:
            if (!parse_num(optarg, 1, 86400, &g_opt.timeout_s)) {
                fprintf(stderr, "polydm-testserver: bad --timeout\n");
                return 2;
            }
            break;
        case O_END_WAIT:
            if (!parse_num(optarg, 0, 600000, &g_opt.end_wait_ms)) {
                fprintf(stderr, "polydm-testserver: bad --end-wait\n");
                return 2;
            }
            break;
        case O_TLS_CERT: g_opt.tls_cert = optarg; break;
        case O_TLS_KEY: g_opt.tls_key = optarg; break;
        case O_TLS_CA: g_opt.tls_ca = optarg; break;
        case O_REQ_CERT: g_opt.require_client_cert = true; break;
        case O_NO_IPV6: g_opt.no_ipv6 = true; break;
        case O_PUSH_TO: g_opt.push_to = optarg; break;
        case O_NOTIFY: g_opt.notify = true; break;
        case O_SERVER_ID: g_opt.server_id = optarg; break;
        case O_PASSWORD: g_opt.password = optarg; break;
        case O_NONCE: g_opt.nonce = optarg; break;
        case O_SESSION_ID: g_opt.session_id = optarg; break;
        case O_UI: g_opt.ui = optarg; break;
        case O_INITIATOR: g_opt.initiator = optarg; break;
        case O_VERSION: g_opt.version = optarg; break;
        case O_VENDOR: g_opt.vendor = optarg; break;
        case O_PKG0_OUT: g_opt.pkg0_out = optarg; break;
        case O_NO_SEND: g_opt.no_send = true; break;
        case O_BOOTSTRAP: g_opt.bootstrap = optarg; break;
        case O_CTYPE: g_opt.content_type = optarg; break;
        case O_SEC: g_opt.sec = optarg; break;
        case O_MAC: g_opt.mac = optarg; break;
        case O_IMSI: g_opt.imsi = optarg; break;
        case O_PIN: g_opt.pin = optarg; break;
        case O_KEY_ORDER: g_opt.key_order = optarg; break;
        case O_APP_ID: g_opt.app_id = optarg; break;
        case O_PDU_OUT: g_opt.pdu_out = optarg; break;
        case O_URL: g_opt.url = optarg; break;
        case O_ACCOUNT: g_opt.account = optarg; break;
        case O_CONNMO: g_opt.connmo = optarg; break;
        case O_TAMPER: g_opt.tamper = optarg; break;
        case O_DOC_OUT: g_opt.doc_out = optarg; break;
        case O_CHECK: g_opt.check = true; break;
        case 'v': g_opt.verbose++; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }

    if (g_opt.check) {
        int bad = 0;
        if (optind >= argc && !g_opt.scenario) {
            fprintf(stderr, "polydm-testserver: --check needs files\n");
            return 2;
        }
        if (g_opt.scenario)
            argv[--optind] = (char *)g_opt.scenario;
        for (int i = optind; i < argc; i++) {
            scenario *s = sc_load(argv[i], err, sizeof err);
            if (!s) {
                fprintf(stderr, "%s\n", err);
                bad = 1;
            } else {
                size_t ncmd = 0;
                for (size_t k = 0; k < s->nsessions; k++)
                    ncmd += s->sessions[k].nsteps;
                printf("%s: ok (%zu session%s, %zu server package%s)\n",
                       argv[i], s->nsessions, s->nsessions == 1 ? "" : "s",
                       ncmd, ncmd == 1 ? "" : "s");
                sc_free(s);
            }
        }
        return bad ? 2 : 0;
    }
    if (optind < argc) {
        fprintf(stderr, "polydm-testserver: unexpected argument %s\n",
                argv[optind]);
        usage(stderr);
        return 2;
    }
    if (g_opt.scenario) {
        sc = sc_load(g_opt.scenario, err, sizeof err);
        if (!sc) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
    }
    if (g_opt.notify) {
        int rc = do_notify(sc);
        sc_free(sc);
        return rc;
    }
    if (g_opt.bootstrap) {
        int rc = do_bootstrap(sc);
        sc_free(sc);
        return rc;
    }
    if (!sc) {
        usage(stderr);
        return 2;
    }
    if ((g_opt.tls_cert != NULL) != (g_opt.tls_key != NULL)) {
        fprintf(stderr, "polydm-testserver: --tls-cert and --tls-key go "
                "together\n");
        sc_free(sc);
        return 2;
    }
    if (g_opt.require_client_cert && !g_opt.tls_ca) {
        fprintf(stderr, "polydm-testserver: --require-client-cert needs "
                "--tls-ca\n");
        sc_free(sc);
        return 2;
    }
    if (g_opt.tls_cert) {
        cert = read_text(g_opt.tls_cert);
        key = read_text(g_opt.tls_key);
        ca = g_opt.tls_ca ? read_text(g_opt.tls_ca) : NULL;
        if (!cert || !key || (g_opt.tls_ca && !ca)) {
            fprintf(stderr, "polydm-testserver: cannot read the TLS files\n");
            sc_free(sc);
            return 2;
        }
        g_tls = true;
    }
    if (g_opt.transcript) {
        transcript = fopen(g_opt.transcript, "w");
        if (!transcript) {
            fprintf(stderr, "polydm-testserver: cannot write %s: %s\n",
                    g_opt.transcript, strerror(errno));
            sc_free(sc);
            return 2;
        }
    }

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    d4 = start_daemon(false, g_opt.port, key, cert, ca);
    if (!d4) {
        fprintf(stderr, "polydm-testserver: cannot listen on 127.0.0.1:%d\n",
                g_opt.port);
        sc_free(sc);
        return 3;
    }
    {
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(d4, MHD_DAEMON_INFO_BIND_PORT);
        port = di ? di->port : g_opt.port;
    }
    if (!g_opt.no_ipv6)
        d6 = start_daemon(true, port, key, cert, ca); /* best effort */

    memset(&cfg, 0, sizeof cfg);
    cfg.scheme = g_tls ? "https" : "http";
    cfg.port = port;
    cfg.end_wait_ms = g_opt.end_wait_ms;
    cfg.timeout_s = g_opt.timeout_s;
    cfg.push_to = g_opt.push_to;
    cfg.once = g_opt.once;
    cfg.verbose = g_opt.verbose;
    cfg.transcript = transcript;
    g_transcript = transcript;
    cfg.log = stderr;
    pthread_mutex_lock(&g_lock);
    g_engine = dms_engine_new(sc, &cfg);
    pthread_mutex_unlock(&g_lock);
    if (!g_engine) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        return 3;
    }

    printf("listening on %s://127.0.0.1:%d/dm\n", cfg.scheme, port);
    if (d6)
        printf("listening on %s://[::1]:%d/dm\n", cfg.scheme, port);
    fflush(stdout);

    while (!g_stop) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        bool done;
        pthread_mutex_lock(&g_lock);
        done = dms_engine_tick(g_engine);
        if (done) {
            fails = dms_engine_report(g_engine, stderr);
            if (!g_opt.once)
                dms_engine_restart(g_engine);
        }
        pthread_mutex_unlock(&g_lock);
        if (done && g_opt.once) {
            completed = true;
            break;
        }
        nanosleep(&ts, NULL);
    }
    if (d6)
        MHD_stop_daemon(d6);
    MHD_stop_daemon(d4);
    if (!completed && g_opt.once) {
        dms_engine_fail(g_engine, "interrupted before the scenario ended");
        fails = dms_engine_report(g_engine, stderr);
    }
    dms_engine_free(g_engine);
    sc_free(sc);
    if (transcript)
        fclose(transcript);
    free(key);
    free(cert);
    free(ca);
    if (!g_opt.once)
        return 0;
    return fails ? 1 : 0;
}
