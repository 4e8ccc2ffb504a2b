/*
 * Private structures of the DM session engine (sans-I/O): the account a
 * session talks to, the session state, the queue of outgoing commands and
 * the large-object reassembly buffer.  session.c drives the state machine
 * and authentication, exec.c runs server commands, out.c builds and
 * encodes client messages, account.c reads DMAcc.
 */
#ifndef PDM_SESSION_INT_H
#define PDM_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/polydm.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "session/status.h"

/* Authentication types of DMAcc AppAuth/AAuthType the engine speaks,
 * ordered by strength (HMAC > MD5 > Basic): a lower value is a
 * downgrade. */
typedef enum pdm__auth_type {
    PDM_AUTH_NONE = 0,
    PDM_AUTH_BASIC,
    PDM_AUTH_MD5,  /* DIGEST: syncml:auth-md5 */
    PDM_AUTH_HMAC  /* HMAC: syncml:auth-MAC, x-syncml-hmac header */
} pdm__auth_type;

/* One AppAuth entry (CLCRED or SRVCRED). */
typedef struct pdm__cred {
    pdm__auth_type type;
    char *name;          /* AAuthName */
    char *secret;        /* AAuthSecret (never logged) */
    uint8_t *nonce;      /* AAuthData decoded */
    size_t nonce_len;
    char *nonce_uri;     /* where AAuthData lives (to store new nonces) */
} pdm__cred;

/* A DM account (./DMAcc/<x>) as the session needs it. */
typedef struct pdm__account {
    char *uri;        /* "./DMAcc/x" */
    char *server_id;  /* ServerID */
    char *addr;       /* AppAddr/<first>/Addr */
    pdm__cred cl;     /* client credentials (CLCRED) */
    pdm__cred srv;    /* server credentials (SRVCRED) */
    pdm__auth_type pref; /* AAuthPref (NONE: absent or not a type we
                            speak) */
} pdm__account;

/* Finds the account of @server_id (NULL: the only one).  Returns PDM_OK,
 * PDM_ENOTFOUND, PDM_EINVAL (several accounts and none named), PDM_EEXISTS
 * (two accounts carry @server_id: the tree is ambiguous and no account is
 * picked, tree/dmacc.h), PDM_ENOMEM; err names the problem. */
int pdm__account_load(pdm__account *out, pdm_ctx *ctx, const char *server_id,
                      char *err, size_t errlen);
void pdm__account_free(pdm__account *a);
/* Stores a new nonce into the entry's AAuthData, durably and on its own:
 * committed at once whatever package transaction is open, and kept when
 * that package is aborted (pdm__tree_put_durable).  PDM_ENOTFOUND when the
 * credentials entry no longer exists (never recreated). */
int pdm__account_store_nonce(pdm_ctx *ctx, pdm__cred *c, const uint8_t *n,
                             size_t len);
const char *pdm__auth_type_meta(pdm__auth_type t); /* "syncml:auth-md5" */
pdm__auth_type pdm__auth_type_from_meta(const char *s);

typedef enum pdm__sstate {
    PDM_SS_SEND,   /* a client message is ready or can be built */
    PDM_SS_WAIT,   /* waiting for the server's reply */
    PDM_SS_DONE,   /* over (result says how) */
} pdm__sstate;

/* A server command being reassembled from chunks (large object). */
typedef struct pdm__lo {
    bool active;
    int cmd_tag;       /* PDM_TAG_ADD or PDM_TAG_REPLACE */
    char *target;      /* Target LocURI */
    char *source;
    char *format;      /* Meta Format name */
    char *type;        /* Meta Type */
    size_t declared;   /* Meta Size of the first chunk */
    pdm__buf data;
} pdm__lo;

struct pdm_session {
    pdm_ctx *ctx;
    pdm__account acc;
    pdm__who who;             /* the server as principal */
    bool wbxml, tls;
    bool server_initiated;
    char session_id[8];       /* as sent, e.g. "1234" */
    unsigned msg_id;          /* our last MsgID */
    unsigned server_msg_id;   /* server's last MsgID */
    char *url;                /* server address or RespURI */
    char *devid;
    pdm__sstate state;
    int result;
    char err[384];
    unsigned max_msg;         /* what we advertise/accept */
    unsigned max_obj;
    unsigned server_max_msg;  /* what the server accepts (0 = unknown) */
    unsigned server_max_obj;
    unsigned max_msg_accept;  /* largest server message taken: max_msg plus
                                 the profile's tolerated overshoot */
    bool overshoot_warned;
    bool server_auth_required;

    /* What the transport verified (pdm_session_set_transport), for the
     * message in flight; tls above is derived from it. */
    bool tls_claimed;         /* PDM_SESSION_TLS, until facts are reported */
    bool transport_reports;   /* PDM_SESSION_TRANSPORT_FACTS */
    bool transport_known;     /* facts reported for the message in flight */
    char key_pin[64];         /* "sha256//...", "" when unknown */
    /* What the session policy last decided on. */
    bool policy_asked, policy_tls;
    char policy_pin[64];
    unsigned bad_requests;    /* 400s audited in this session (capped) */

    /* client authentication */
    pdm__auth_type cl_type;   /* type we use now */
    pdm__auth_type cl_floor;  /* weakest type the account allows */
    bool allow_downgrade;     /* profile session.allow_auth_downgrade */
    bool adopt_challenge;     /* profile session.adopt_challenge_type */
    bool cl_accepted;         /* server said 212: no more Cred */
    unsigned cl_attempts;     /* challenges answered */
    uint8_t cl_nonce[128];
    size_t cl_nonce_len;
    /* server authentication */
    bool srv_authed;
    unsigned srv_failures;
    uint8_t srv_next_nonce[16]; /* nonce we gave the server last */
    bool srv_nonce_issued;

    /* package bookkeeping */
    unsigned pkg;             /* our package number (1, 3, 5...) */
    bool end_audited;         /* the session's outcome is in the audit log
                                 (a refusal, or the row end_session writes) */
    bool in_package_tx;       /* a tree transaction spans the server's
                                 package */
    bool resend_pkg1;         /* server challenged pkg1: redo it */
    bool want_next_msg;       /* server package not final: ask 1222 */
    bool aborting;            /* send Alert 1223 and stop */
    pdm__lo lo;               /* large object in progress */

    /* outgoing: queued commands of the current package */
    pdm__doc out;             /* owns queued elements */
    pdm__el **queue;
    size_t nqueue, capqueue, qhead;
    pdm__el *hdr_status;      /* Status for the server's SyncHdr */
    pdm__buf msg;             /* the encoded current message */
    char hmac[320];           /* x-syncml-hmac value for msg */
    bool sent_final;          /* last message carried Final */
    pdm__el *split_el;        /* Results being sent in chunks, or NULL */
    pdm__el *deferred_el;     /* Results held back once to go whole */
    unsigned stalls;          /* messages in a row without progress */
    size_t last_unsent;       /* commands the last message left queued
                                 (SIZE_MAX: none, or a new package) */
    unsigned sent_cmds;       /* commands in the last message */

    /* replay/diagnostics */
    unsigned cmds_executed;
    bool msg_xml;             /* the server message being handled came
                                 as XML: libxml2 (no RECOVER) already
                                 refused any string that is not XML 1.0
                                 text, so the string checks are skipped */
    bool msg_cred;            /* the message being built / in flight
                                 carries a client credential */
    /* The failure was reported by the integrator (its transport): it
     * has the words already, so the core logs it at INFO, not WARN (one
     * message for one failure). */
    bool fail_reported;
    char first_cause[200];    /* the transport's first failure (an HTTP
                                 500 it retried), told before the error
                                 it led to */

    /* Resource bound (profile session.response_budget): the bytes the
     * answers of a package may hold (pdm__out_bytes).  Past it the
     * server's commands are refused with 420; past twice it the session
     * is aborted (exec.c). */
    size_t budget;
};

/* What the queued answers hold now: the arena of s->out and the queue. */
static inline size_t pdm__out_bytes(const pdm_session *s)
{
    return s->out.arena.bytes + s->capqueue * sizeof(*s->queue);
}

/* exec.c: runs the commands of one server message (body children). */
void pdm__session_exec_body(pdm_session *s, const pdm__el *body,
                            unsigned msg_ref);
/* out.c */
int pdm__out_init(pdm_session *s);
void pdm__out_reset(pdm_session *s);
/* The last message was sent (the reply came, or the transport failed):
 * its bytes are wiped. */
void pdm__out_sent(pdm_session *s);
/* Queues an element (built in s->out) as the next outgoing command;
 * PDM_ENOMEM for a NULL cmd (a failed build) or when the queue cannot
 * grow.  Inline: two per Get. */
int pdm__out_queue_grow(pdm_session *s, pdm__el *cmd);
static inline int pdm__out_queue(pdm_session *s, pdm__el *cmd)
{
    if (!cmd || s->nqueue == s->capqueue)
        return pdm__out_queue_grow(s, cmd);
    s->queue[s->nqueue++] = cmd;
    return PDM_OK;
}
/* Builds a Status element for (msg_ref, cmd_ref, cmd name). */
pdm__el *pdm__out_status(pdm_session *s, unsigned msg_ref,
                         const char *cmd_ref, const char *cmd, int code);
/* A text that several answers carry (the MsgRef of a server message, the
 * CmdRef of a command): copied into s->out once, measured once (length,
 * and whether it is PDM_EL_PLAIN), and then shared by the elements that
 * carry it (nothing writes through them).  Valid until pdm__out_reset. */
typedef struct pdm__out_text {
    const char *text;
    size_t len;
    bool plain;
} pdm__out_text;
/* Copies text (NULL: "0"); false on out-of-memory. */
bool pdm__out_text_copy(pdm_session *s, const char *text, pdm__out_text *out);
/* The same for a number in decimal. */
bool pdm__out_text_num(pdm_session *s, unsigned long long v,
                       pdm__out_text *out);
/* pdm__out_status for a command of the server's message: CmdRef and MsgRef
 * made above, Cmd the command's element name. */
pdm__el *pdm__out_status_for(pdm_session *s, const pdm__out_text *msg_ref,
                             const pdm__out_text *cmd_ref, const pdm__el *cmd,
                             int code);
/* Adds Target/SourceRef items to a status (for multi-item commands). */
void pdm__out_status_ref(pdm_session *s, pdm__el *st, const char *target,
                         const char *source);
/* What pdm__out_results will take from s->out for this result (an
 * upper bound), so that a Results over the budget is never built. */
size_t pdm__out_results_cost(const pdm_session *s, const char *uri,
                             const pdm__tree_result *r);
/* Builds a Results element for a Get item. */
pdm__el *pdm__out_results(pdm_session *s, const pdm__out_text *msg_ref,
                          const pdm__out_text *cmd_ref, const char *uri,
                          const pdm__tree_result *r);
/* Builds an Alert with a code (1201, 1200, 1222, 1223...). */
pdm__el *pdm__out_alert(pdm_session *s, int code);
/* Encodes the next message from the queue (header + what fits). */
int pdm__out_build(pdm_session *s);
/* Sets s->err and s->result; returns rc. */
int pdm__session_fail(pdm_session *s, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);
/* Audit helper for session-level events. */
/* pdm_session_transport_failed with the transport's own words (@why, or
 * NULL), which become the session's error, log line and audit reason;
 * PDM_ECANCELLED (shutdown) has its own text. */
void pdm__session_transport_failed(pdm_session *s, int rc, const char *why);
/* The transport retried a message after @why (e.g. "HTTP 500"): the first
 * such cause leads the session's error if the session then fails. */
void pdm__session_transport_retried(pdm_session *s, const char *why);
void pdm__session_audit(pdm_session *s, const char *op, const char *decision,
                        const char *reason);

/* pkg0admit.c: verifies the package 0 a session is opened with (fills
 * s->acc, s->session_id, the audit row); @server_id gets the ServerID it
 * claims.  Errors as pdm__pkg0_admit, with s->err set. */
int pdm__session_check_pkg0(pdm_session *s, const uint8_t *buf, size_t len,
                            char *server_id, size_t sidlen);
/* pkg0admit.c: a session with s's server ended normally: from now on its
 * package 0 needs the stored nonce (unless session.pkg0_resync_always). */
void pdm__pkg0_note_session_ok(pdm_session *s);
/* Verifies a package 0 exactly as a session opened with it would (digest
 * against the account's SRVCRED, the resynchronisation nonce only while
 * the profile allows it, the replay window), without opening a session:
 * the agent's intake, so that nothing unverified reaches its queue.  On
 * PDM_OK the notification is recorded as handled (a second admit or
 * session open with it is refused), one "package 0 verified" row is
 * audited, @server_id holds the account's ServerID and @sid the session id
 * ("1A2B") to run it with (PDM_SESSION_SERVER_INITIATED).  A refusal is
 * neither logged nor audited: @why says what was wrong (no secret), and
 * @server_id holds the ServerID the package claims, if it parsed; the
 * caller reports it (aggregated: the input is unauthenticated).  Returns
 * PDM_OK, PDM_EPARSE (malformed), PDM_ENOTFOUND/PDM_EINVAL (no such
 * account), PDM_EAUTH (bad digest, no SRVCRED), PDM_EEXISTS (replay),
 * PDM_EDENIED (verified, then refused by a policy asked PDM_OP_SESSION
 * with PDM_REQ_NOTIFICATION: this one is audited, as the server's, with
 * the deciding component; @why is "refused by <component>: <reason>";
 * the notification stays recorded as handled),
 * PDM_ENOTSUP (a context without a store: replays could not be refused),
 * or a store error (nothing recorded: refused). */
int pdm__pkg0_admit(pdm_ctx *ctx, const uint8_t *buf, size_t len,
                    char *server_id, size_t sidlen, char sid[5], char *why,
                    size_t whylen);

#endif
