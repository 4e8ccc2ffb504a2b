/*
 * A small scripted OMA DM 1.2 client for testing polydm-testserver without
 * the polydm session engine: libcurl for HTTP(S), the core's codec for
 * XML/WBXML, auth for credentials (basic, md5, HMAC both ways) and the
 * core's management tree (ACLs, ?list=, ?prop=) to execute the server's
 * commands.  It checks the server's messages for protocol correctness and
 * can misbehave on purpose (forced statuses, missing Alert 1222, ...).
 *
 * UI alerts are answered by the "auto UI" convention of the scenarios
 * (tests/dmserver/README.md): the default response (DR) when the server
 * gives one, else accept / first choice / empty text.
 */
#ifndef DMS_FAKECLIENT_H
#define DMS_FAKECLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fc_override {
    const char *uri;  /* target URI as sent by the server */
    const char *cmd;  /* "Get", ... or NULL for any */
    int code;         /* status to answer instead of executing */
} fc_override;

typedef struct fc_config {
    const char *url;          /* server URL */
    bool wbxml;
    const char *devid;        /* default IMEI:493005100592800 */
    const char *session_id;   /* default "1" */
    int alert;                /* 1201 (default) or 1200 */
    long max_msg_size;        /* advertised MaxMsgSize (0: none) */
    long max_obj_size;        /* advertised MaxObjSize (0: none) */
    /* credentials the client sends (SC_AUTH_*) */
    int cauth;
    const char *cuser, *cpw;
    const uint8_t *cnonce;
    size_t cnonce_len;
    bool no_initial_cred;     /* wait for a challenge before sending Cred */
    /* credentials the server must present */
    int sauth;
    const char *sname, *spw;
    const uint8_t *snonce;
    size_t snonce_len;
    const char *server_id;    /* ServerID for ACL checks (default funambol) */
    const char *tree;         /* factory tree (TNDS XML) */
    /* TLS */
    const char *ca, *cert, *key;
    /* behaviour */
    fc_override overrides[8];
    size_t noverrides;
    const char *generic_type, *generic_format, *generic_data,
        *generic_source, *generic_correlator, *generic_mark;
    bool split_results;       /* each Results in its own message */
    long results_chunk;       /* send Results data in chunks of this size */
    bool answer_after_end;    /* misbehave: answer the server's end package */
    bool no_1222;             /* misbehave: no Alert 1222 for more messages */
    bool drop_status;         /* misbehave: omit the status of the first
                                 server command of each package */
    bool abort_session;       /* answer the first server package that has
                                 commands with Alert 1223 (session abort) */
    int max_roundtrips;       /* safety (default 60) */
    bool wbxml_oracle;        /* run wbxml2xml on every WBXML body */
    int verbose;
} fc_config;

typedef struct fc_msg {
    uint8_t *body;
    size_t len;
    char ctype[128];
    char hmac[512];
    long http;
} fc_msg;

typedef struct fc_result {
    int rc;                /* 0: no problem found */
    char err[2048];        /* the problems found (server protocol errors,
                              transport failures), one per line */
    int nsent;             /* messages sent */
    fc_msg *rx;            /* server messages received */
    size_t nrx;
    int server_auth_ok;    /* server messages whose credentials verified */
    int server_auth_bad;   /* ... that failed verification */
    bool refused_server;   /* the client refused the server at least once */
    bool auth_refused;     /* the server refused our credentials for good */
    long http_last;
    long curl_code;        /* CURLcode of a transport failure */
    int wbxml_checked;     /* WBXML bodies checked with wbxml2xml */
    char next_nonce[128];  /* last NextNonce the server sent us (b64) */
    int ui_alerts;         /* UI alerts answered */
} fc_result;

void fc_config_init(fc_config *c);
int fc_run(const fc_config *c, fc_result *r);
void fc_result_free(fc_result *r);

/* Compact structure of received message i, e.g.
 * "Status:SyncHdr=212 Status:Alert=200 Get:./A Replace:./B[chr] Final". */
char *fc_skeleton(const fc_result *r, size_t i);

#endif /* DMS_FAKECLIENT_H */
