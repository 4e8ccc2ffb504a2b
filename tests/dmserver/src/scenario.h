/*
 * Scenario files of polydm-testserver: the parsed model.
 *
 * The format is documented in tests/dmserver/README.md.  A scenario is a
 * header (server identity, accounts, limits) followed by one or more
 * sessions; a session is optional pushes (package 0, bootstrap), the
 * expectations on the client's package 1, then steps (a server package
 * `send` and the expectations on the client's `reply`) and an end.
 *
 * Every string below is kept exactly as written (after unquoting):
 * ${variables} and data prefixes (hex:, b64:, file:, pattern:, text:) are
 * resolved by the engine when the value is used, because variables can be
 * captured from the client at run time.
 */
#ifndef DMS_SCENARIO_H
#define DMS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Authentication types (client-auth, server-auth, challenge). */
enum {
    SC_AUTH_NONE = 0,
    SC_AUTH_BASIC,
    SC_AUTH_MD5,
    SC_AUTH_HMAC
};
const char *sc_auth_name(int type);          /* "none", "basic", ... */
const char *sc_auth_meta_type(int type);     /* "syncml:auth-md5", ... */
int sc_auth_from_meta_type(const char *t);   /* -1 if unknown */

/* A set of status codes: "200", "200|212", "2xx", "*". */
typedef struct sc_codes {
    unsigned n;
    struct {
        int lo, hi;
    } r[8];
    bool any;
} sc_codes;
bool sc_codes_match(const sc_codes *c, int code);
void sc_codes_str(const sc_codes *c, char *buf, size_t size);

/* Server commands. */
enum {
    SC_GET = 1,
    SC_ADD,
    SC_REPLACE,
    SC_DELETE,
    SC_COPY,
    SC_EXEC,
    SC_ALERT,
    SC_ATOMIC,
    SC_SEQUENCE,
    SC_BREAK
};
const char *sc_cmd_name(int kind); /* SyncML element name: "Get", ... */

typedef struct sc_item {
    char *target;  /* Target/LocURI (NULL: none) */
    char *source;  /* Source/LocURI (NULL: none) */
    char *format;  /* Meta/Format (NULL: not sent) */
    char *type;    /* Meta/Type (NULL: not sent) */
    char *data;    /* data expression (NULL: no <Data>) */
    char *size;    /* declared Meta/Size override (NULL: the real size) */
    long chunk;    /* large object: bytes per chunk (0: only if needed) */
} sc_item;

typedef struct sc_cmd {
    int kind;
    int line;
    char *label;
    sc_item *items;
    size_t nitems;
    char *alert_code;  /* Alert: <Data> */
    char *correlator;  /* Exec, Alert */
    struct sc_cmd *kids; /* Atomic, Sequence */
    size_t nkids;
} sc_cmd;

/* Expectations on a client package. */
enum {
    EX_STATUS = 1,
    EX_RESULTS,
    EX_NO_RESULTS,
    EX_ALERT,
    EX_NO_ALERT,
    EX_GENERIC,
    EX_DEVINFO,
    EX_ABORT,
    EX_REFUSED,
    EX_SESSION_ID
};

/* Keys of expectation options (index into sc_expect.opt). */
enum {
    EK_TARGET = 0,
    EK_SOURCE,
    EK_FORMAT,
    EK_TYPE,
    EK_VALUE,
    EK_CHILDREN,
    EK_CHILDREN_INCL,
    EK_CONTAINS,
    EK_NOT_CONTAINS,
    EK_SIZE,
    EK_CAPTURE,
    EK_DATA,
    EK_MARK,
    EK_CORRELATOR,
    EK_STATUS,
    EK_CHAL,
    EK_COUNT_ /* number of keys */
};

typedef struct sc_expect {
    int kind;
    int line;
    char *label;        /* EX_STATUS/RESULTS/NO_RESULTS: command label or
                           "hdr"; EX_DEVINFO: leaf name; EX_SESSION_ID:
                           the value */
    sc_codes codes;     /* EX_STATUS */
    int alert_code;     /* EX_ALERT, EX_NO_ALERT */
    char *value;        /* EX_DEVINFO: expected value */
    char *opt[EK_COUNT_];
    char **items;       /* item=... (status items, alert items) */
    size_t nitems;
} sc_expect;

/* A scripted authentication challenge answering the client's package 1. */
typedef struct sc_challenge {
    int line;
    int code;   /* 401 or 407 */
    int type;   /* SC_AUTH_* */
    char *nonce; /* data expression, NULL: a fresh random nonce */
} sc_challenge;

/* Keys of push options (notify, bootstrap). */
enum {
    PK_UI = 0,
    PK_INITIATOR,
    PK_SESSION_ID,
    PK_VERSION,
    PK_TO,
    PK_FILE,
    PK_VENDOR,
    PK_SERVER_ID,
    PK_PASSWORD,
    PK_NONCE,
    PK_SEND,
    PK_CONTENT_TYPE,
    PK_SEC,
    PK_MAC,
    PK_IMSI,
    PK_PIN,
    PK_KEY_ORDER,
    PK_APP_ID,
    PK_OUT,
    PK_GENERATE, /* bootstrap generate=cp|cp-xml|dm|dm-xml */
    PK_ACCOUNT,  /* its account (Inbox node) name */
    PK_CONNMO,   /* its NAPDEF/ConnMO name */
    PK_TAMPER,   /* mac|body|none */
    PK_DOC_OUT,  /* write the generated document */
    PK_COUNT_
};

enum { SC_PUSH_NOTIFY = 1, SC_PUSH_BOOTSTRAP };

typedef struct sc_push {
    int kind;
    int line;
    char *opt[PK_COUNT_];
} sc_push;

typedef struct sc_step {
    int send_line;
    int reply_line;
    char *cred;       /* send cred=ok|wrong|none (NULL = ok) */
    long delay_ms;    /* send delay=MS: held back this long (0 = none) */
    sc_cmd *cmds;
    size_t ncmds;
    sc_expect *ex;
    size_t nex;
} sc_step;

/* How a session ends. */
enum {
    SC_END_SERVER = 1, /* `end`: the server closes, the client must not
                          answer */
    SC_END_CLIENT      /* the last reply expects abort or refusal */
};

typedef struct sc_session {
    int line;
    char *name;
    sc_push *pushes;
    size_t npushes;
    int pkg1_line;
    sc_expect *pkg1;
    size_t npkg1;
    sc_challenge *chal;
    size_t nchal;
    bool auth_fails;
    int auth_fails_line;
    sc_step *steps;
    size_t nsteps;
    int end_kind;
    int end_line;
    char *end_cred;
    long end_delay_ms;
} sc_session;

typedef struct sc_auth {
    int type;
    char *user;       /* client-auth user / server-auth name */
    char *password;
    char *nonce;      /* data expression (NULL = empty nonce) */
    char *next_nonce; /* client-auth: Chal NextNonce sent with 212 */
    bool initial_required;
    int line;
} sc_auth;

typedef struct sc_var {
    char *name;
    char *value;
} sc_var;

typedef struct scenario {
    char *file;   /* as given */
    char *dir;    /* directory of the file (for file: data) */
    char *server_id;
    char *server_url;   /* NULL: ${url} */
    char *devid;        /* expected client Source/LocURI, NULL: any */
    int encoding;       /* 0 any, 1 xml, 2 wbxml */
    long max_msg_size;  /* ours, in SyncHdr Meta */
    long max_obj_size;
    bool resp_uri;
    char *resp_uri_base; /* resp-uri URL: RespURI = URL?s=<token>, and the
                            client need not follow it (the scenario
                            checks what it does); NULL: scheme://Host */
    bool auth_per_message; /* auth-accept message */
    long end_wait_ms;
    long timeout_s;
    sc_auth client_auth;
    sc_auth server_auth;
    sc_var *vars;
    size_t nvars;
    sc_session *sessions;
    size_t nsessions;
} scenario;

/* Parses a scenario file.  On error returns NULL and writes
 * "FILE:LINE: error: message" into err. */
scenario *sc_load(const char *path, char *err, size_t errlen);
/* Same from a buffer (name is used in messages and for relative paths). */
scenario *sc_parse(const char *name, const char *text, size_t len, char *err,
                   size_t errlen);
void sc_free(scenario *s);

/* Finds a command by label in a step (searching Atomic/Sequence). */
const sc_cmd *sc_step_find(const sc_step *st, const char *label);

/* Built-in variable names (set by the engine). */
bool sc_is_builtin_var(const char *name);

#endif /* DMS_SCENARIO_H */
