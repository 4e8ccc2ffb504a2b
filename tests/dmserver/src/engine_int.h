/*
 * What the engine's files share (not part of the server's interface; see
 * engine.h for that): the runtime model of a session and the helpers one
 * seam calls in another.  The engine is split along its seams:
 *
 *   engine.c        lifetime, session flow, dms_engine_handle/tick
 *   engine_common.c arena/allocation helpers, failures, variables,
 *                   transcripts
 *   engine_push.c   package 0 and bootstrap pushes of a session
 *   engine_build.c  the server's messages (packing, large objects, Cred)
 *   engine_read.c   the client's message (statuses, results, alerts)
 *   engine_auth.c   the client's credentials (basic, md5, HMAC)
 *   engine_eval.c   the scenario's expectations against what arrived
 *
 * Not thread-safe, like the engine.
 */
#ifndef DMS_ENGINE_INT_H
#define DMS_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/types.h>

#include "engine.h"
#include "sml.h"

#define NONCE_MAX 256
#define MAX_SMSGS 512
#define SIZE_MARGIN 16 /* room for <Final/> after a size check */

/* ---- runtime model ------------------------------------------------------ */

typedef struct rt_item {
    char *target, *source, *format, *type;
    uint8_t *data; /* wire bytes (base64 text for b64/bin in XML) */
    size_t len;
    bool has_data;
    bool opaque;   /* WBXML OPAQUE */
    long size_override;
} rt_item;

typedef struct rt_cmd {
    const sc_cmd *sc;
    int kind;
    rt_item *items;
    size_t nitems;
    char *alert_code, *correlator;
    struct rt_cmd *kids;
    size_t nkids;
    /* large object */
    bool chunked;
    size_t chunk_size;
    size_t off;       /* wire bytes already sent */
    int nchunks;      /* chunks sent */
    bool warned;
} rt_cmd;

typedef struct sent_rec {
    rt_cmd *cmd;      /* NULL: our own Alert 1222 */
    int msgid, cmdid;
    int chunk;        /* -1: not a chunk */
    bool last;        /* last chunk */
} sent_rec;

typedef struct rx_item {
    char *source, *target, *format, *type, *mark;
    uint8_t *data;
    size_t len;
    bool has_data;
    bool moredata;
    long size;
} rx_item;

typedef struct rx_status {
    struct rx_status *next;
    int cmsg;
    int msgref, cmdref;
    char *cmd;
    int code;
    char *targetref, *sourceref;
    char **items;
    size_t nitems;
    int chal_type;
} rx_status;

/* Results, Alert and Replace from the client. */
typedef struct rx_cmd {
    struct rx_cmd *next;
    int cmsg;
    int cmdid;
    int msgref, cmdref;
    int code;          /* Alert code */
    char *correlator;
    rx_item *items;
    size_t nitems;
    bool used;
} rx_cmd;

/* A status we owe the client (answered in our next message). */
typedef struct pend {
    struct pend *next;
    int msgref, cmdref;
    const char *cmd;
    int code;
    const char *targetref, *sourceref;
    int chal_type;     /* 0: no Chal */
    uint8_t nonce[NONCE_MAX];
    size_t nlen;
} pend;

enum { ST_PKG1 = 1, ST_STEP, ST_WAIT_END, ST_DONE };
enum { MSG_PACKAGE = 1, MSG_NEXT, MSG_END, MSG_AUTHFAIL, MSG_ABORT };

typedef struct sess {
    size_t idx;
    const sc_session *sc;
    pdm__arena sa; /* session lifetime */
    pdm__arena pa; /* the current exchange (server package + reply) */
    char *sid, *devid, *token, *server_url;
    int state;
    long step;     /* -1 during package 1 */
    int pkgno;     /* client package being collected: 1, 3, 5 ... */
    int last_cmsg;
    int smsg;
    int enc;       /* 1 XML, 2 WBXML */
    long cmax_msg, cmax_obj;
    /* client authentication */
    int cauth;
    bool cauthed;
    int cfails;
    size_t chal_next;
    bool auth_failed_once;
    bool expect_fail_done;
    uint8_t cnonce[NONCE_MAX];
    size_t cnonce_len;
    int nmsgs;
    /* server authentication */
    bool saccepted;
    uint8_t snonce[NONCE_MAX];
    size_t snonce_len;
    /* the package being sent */
    rt_cmd *cmds;
    size_t ncmds;
    size_t unit;
    bool final_sent;
    sent_rec *sent;
    size_t nsent, capsent;
    int smsgs[MAX_SMSGS];
    size_t nsmsgs;
    /* what the client sent in its current package */
    rx_status *st;
    rx_cmd *res, *al, *repl;
    bool final_seen, abort_seen;
    int hdr_refusal;
    /* a chunked Results from the client */
    pdm__buf lo;
    bool lo_on;
    int lo_msgref, lo_cmdref;
    long lo_size;
    char *lo_source;
    /* timers */
    double t_last, deadline;
    bool silence_ok;
    bool notified;
    bool bootstrapped; /* first session of a generated account */
    uint16_t pkg0_sid;
    bool resp_uri_sent;
} sess;

struct dms_engine {
    scenario *sc;
    dms_config cfg;
    char **vn, **vv;
    size_t nv;
    char **fails;
    size_t nfails;
    unsigned long nchecks;
    size_t next_session;
    size_t pushed;
    bool pushes_ok;
    bool pending_notified;
    uint16_t pending_sid;
    bool pending_bootstrapped; /* a generated account was pushed */
    sess *cur;
    bool done, aborted;
    double t_start, t_wait;
    char where[200];
    unsigned seq;
    pdm__arena ra; /* per request */
    pend *pend;
};

/* The verdict on the client's credentials for one message. */
typedef struct authres {
    int code;        /* status for the client's SyncHdr */
    int chal_type;   /* 0 none */
    uint8_t nonce[NONCE_MAX];
    size_t nlen;
    bool failed;     /* 401/407 */
    const char *why;
} authres;

/* ---- shared helpers, by the file that defines them ---------------------- */

/* engine_common.c */
double now_ms(void);
void *xmalloc(size_t n);
char *xstrdup(const char *s);
void *azalloc(pdm__arena *a, size_t n);
char *adupn(pdm__arena *a, const void *p, size_t n);
char *adup(pdm__arena *a, const char *s);
long end_wait(const dms_engine *e);
long timeout_ms(const dms_engine *e);
const char *show(pdm__arena *a, const uint8_t *p, size_t n);
const char *shows(pdm__arena *a, const char *s);
void failf(dms_engine *e, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void logv(dms_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void set_where(dms_engine *e, const sess *s);
void var_set(dms_engine *e, const char *name, const char *value);
void var_set_b64(dms_engine *e, const char *name, const uint8_t *p,
                 size_t n);
char *expand(dms_engine *e, pdm__arena *a, const char *s, int line);
bool eval_data(dms_engine *e, pdm__arena *a, const char *expr, int line,
               uint8_t **out, size_t *len);

/* engine_push.c */
void do_pushes(dms_engine *e, const sc_session *se);

/* engine_build.c */
void emit(dms_engine *e, sess *s, int kind, const char *host,
          dms_response *resp);
void reset_exchange(sess *s);
void start_step(dms_engine *e, sess *s, long k);

/* engine_read.c */
pend *add_pend(dms_engine *e, int msgref, int cmdref, const char *cmd,
               int code);
void hdr_status(dms_engine *e, sess *s, const pdm__el *st, int code,
                int msgref);
void read_body(dms_engine *e, sess *s, const pdm__el *body, int cmsg,
               bool *final, bool *saw1222, bool *has_results);

/* engine_auth.c */
void fresh_nonce(dms_engine *e, sess *s, authres *r);
void authenticate(dms_engine *e, sess *s, const pdm__el *hdr,
                  const dms_request *req, authres *r);

/* engine_eval.c */
void eval_pkg1(dms_engine *e, sess *s);
void eval_step(dms_engine *e, sess *s, bool silent);

#endif /* DMS_ENGINE_INT_H */
