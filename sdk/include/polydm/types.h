/*
 * polydm SDK — basic types shared by the core, plugins and integrators.
 *
 * This header is part of the plugin ABI (see <polydm/plugin.h> for the
 * ownership and versioning rules).  Everything here is append-only:
 *
 *  - pdm_rc values are never renumbered, removed or reused; new values are
 *    appended with the next free negative (or positive) number and carry
 *    "since ABI 1.N" in their comment.
 *  - pdm_blob and pdm_verdict are fixed-size forever (they are embedded by
 *    value in other structs).
 *
 * Functions in the SDK and the integrator API return `int` holding a pdm_rc
 * value rather than the enum type itself, so that a value appended in a later
 * version is still well defined when it crosses the ABI.  The core treats any
 * value it does not know as PDM_ERROR (and, for decisions, as DENY).
 */
#ifndef POLYDM_TYPES_H
#define POLYDM_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Symbol visibility for functions exported by libpolydm. */
#if defined(PDM_BUILDING_CORE) && defined(__GNUC__)
#define PDM_API __attribute__((visibility("default")))
#else
#define PDM_API
#endif

/** printf-style format checking where the compiler supports it. */
#if defined(__GNUC__)
#define PDM_PRINTF(fmt_idx, arg_idx) \
    __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define PDM_PRINTF(fmt_idx, arg_idx)
#endif

/**
 * Result codes.  0 is success, negative values are errors, the few positive
 * values are non-error states.  `rc < 0` always means failure, and a
 * plugin's result is a success only when it is PDM_OK (or PDM_PENDING where
 * a method documents it): the core reads any other value as a failure.
 *
 * Plugins and integrators never choose SyncML status codes: the core maps a
 * pdm_rc to a status in exactly one table (see docs/error-codes.md).  The
 * status each value usually becomes is given in brackets.
 */
typedef enum pdm_rc {
    PDM_OK = 0,                /**<  0 success [200] (since 1.0) */
    PDM_PENDING = 1,           /**<  1 accepted, completes later [202] (1.0) */

    PDM_ERROR = -1,            /**< -1 generic failure [500] (1.0) */
    PDM_ENOMEM = -2,           /**< -2 out of memory [500] (1.0) */
    PDM_EINVAL = -3,           /**< -3 invalid argument or value [400] (1.0) */
    PDM_ENOTFOUND = -4,        /**< -4 no such node/object [404] (1.0) */
    PDM_EEXISTS = -5,          /**< -5 already exists [418] (1.0) */
    PDM_EDENIED = -6,          /**< -6 permission denied by ACL or policy
                                    [425] (1.0) */
    PDM_ENOTSUP = -7,          /**< -7 optional feature not supported
                                    [406] (1.0) */
    PDM_ENOTALLOWED = -8,      /**< -8 command not allowed on this target,
                                    e.g. permanent node [405] (1.0) */
    PDM_ENOSPC = -9,           /**< -9 device full [420] (1.0) */
    PDM_EABI = -10,            /**< -10 ABI/version mismatch (1.0) */
    PDM_EIO = -11,             /**< -11 I/O or store error [510] (1.0) */
    PDM_EPASSTHROUGH = -12,    /**< -12 "not mine": behave as if this
                                    component were absent (1.0) */
    PDM_EFORBIDDEN = -13,      /**< -13 refused for a non-ACL reason [403]
                                    (1.0) */
    PDM_ETOOLONG = -14,        /**< -14 URI too long/deep [414] (1.0) */
    PDM_ETOOBIG = -15,         /**< -15 object or message too large
                                    [413] (1.0) */
    PDM_EAUTH = -16,           /**< -16 authentication failed [401] (1.0) */
    PDM_EFORMAT = -17,         /**< -17 unsupported media type or format
                                    [415] (1.0) */
    PDM_ECANCELLED = -18,      /**< -18 cancelled by the user [214] (1.0) */
    PDM_ETIMEOUT = -19,        /**< -19 timed out [408] (1.0) */
    PDM_ECORRUPT = -20,        /**< -20 stored data corrupt or foreign
                                    (1.0) */
    PDM_EBUSY = -21,           /**< -21 temporarily unavailable, retry later
                                    [417] (1.0) */
    PDM_EPARSE = -22,          /**< -22 malformed input [400] (1.0) */
    PDM_ESIZE = -23,           /**< -23 size mismatch [424] (1.0) */
    PDM_ELOCKED = -24,         /**< -24 refused while the device is locked
                                    [425] (1.0) */
    PDM_ENOTEMPTY = -25,       /**< -25 operation needs an empty target
                                    (1.0) */
    PDM_ECOMMAND = -26         /**< -26 command failed [500] (1.0) */
} pdm_rc;

/** The most negative pdm_rc this version of the header defines. */
#define PDM_RC_MIN PDM_ECOMMAND

/**
 * pdm_strerror() - a short English description of @rc.
 *
 * Returns a static string (never NULL, never to be freed).  Unknown values
 * give "unknown error".  Provided by libpolydm and also inline-free for
 * plugins through pdm_host_api::strerror (plugins never link the core).
 */
PDM_API const char *pdm_strerror(int rc);

/**
 * A byte string with an explicit length.  Binary-safe.  Fixed size forever.
 *
 * Ownership depends on where it appears and is stated there: an `in` blob
 * is borrowed for the duration of the call; an `out` blob is filled with
 * memory from pdm_host_api::alloc and becomes the receiver's.  `data` may be
 * NULL only when `len` is 0.
 */
typedef struct pdm_blob {
    uint8_t *data; /**< bytes; not necessarily NUL-terminated */
    size_t len;    /**< number of bytes at data */
} pdm_blob;

/** Answer of a policy or authority component. */
typedef enum pdm_decision {
    PDM_ABSTAIN = 0, /**< no opinion; the next component decides */
    PDM_ALLOW = 1,   /**< allow (cannot override an ACL denial) */
    PDM_DENY = 2     /**< deny; any DENY vetoes the request */
} pdm_decision;

/**
 * A decision together with its reason, filled in by a component.
 * Fixed size forever.  The core zeroes it before each call; the component
 * sets `decision` and, for DENY, a short human-readable `reason` (it is
 * audited and shown by `polydm tree explain`; never put secrets in it).
 */
typedef struct pdm_verdict {
    uint32_t decision; /**< a pdm_decision value */
    uint32_t reserved; /**< 0: a policy answer with it set counts as
                            DENY (fail closed; the reason names this
                            field), so it can be given a meaning later */
    char reason[184];  /**< NUL-terminated; truncated if longer */
} pdm_verdict;

/** Who asks for an operation. */
typedef enum pdm_principal {
    PDM_PRINCIPAL_NONE = 0,
    PDM_PRINCIPAL_SERVER = 1,    /**< an authenticated DM server (ServerID) */
    PDM_PRINCIPAL_LOCAL = 2,     /**< the local user through CLI or API */
    PDM_PRINCIPAL_BOOTSTRAP = 3, /**< a bootstrap document being applied */
    PDM_PRINCIPAL_FACTORY = 4    /**< the factory tree / the core itself */
} pdm_principal;

/** Operations a policy can be asked about. Append-only. */
typedef enum pdm_op {
    PDM_OP_NONE = 0,
    PDM_OP_GET = 1,
    PDM_OP_ADD = 2,
    PDM_OP_REPLACE = 3,
    PDM_OP_DELETE = 4,
    PDM_OP_EXEC = 5,
    PDM_OP_COPY = 6,
    PDM_OP_BOOTSTRAP = 7,     /**< accept a bootstrap document */
    PDM_OP_SESSION = 8,       /**< start a session with a server */
    PDM_OP_ACL_EDIT = 9,      /**< local change of an ACL (S4);
                                   detail = the new ACL */
    PDM_OP_TAKEOVER = 10,     /**< any change of the root owner (S3):
                                   asked with principal LOCAL for a
                                   takeover or a transfer, with principal
                                   BOOTSTRAP when an authority's
                                   on_bootstrap grant names a new root
                                   owner (sec/origin/source are the
                                   bootstrap's); server_id = the new
                                   owner, root_owner = the current one,
                                   detail = "root owner OLD -> NEW"
                                   ("(none)" for nobody) */
    PDM_OP_SEND_SECRET = 11,  /**< send credentials over a transport:
                                   asked before every client message that
                                   carries a credential (Cred or HMAC
                                   header); detail = its Meta Type (e.g.
                                   "syncml:auth-md5", never the secret),
                                   address = the URL it goes to, flags
                                   TLS/AUTHENTICATED; a DENY ends the
                                   session unsent (audited) */
    PDM_OP_ACCOUNT_DELETE = 12, /**< local deletion of a DM account;
                                     server_id = its ServerID */
    PDM_OP_TRANSFER = 13      /**< local transfer of management from one
                                   authority to another (S12), since 1.3:
                                   server_id = the new authority,
                                   node_owner = the old one, detail =
                                   "A -> B" and what happens to A's
                                   account ("keep"/"delete") */
} pdm_op;

/**
 * Lock levels of the device (S1), the core's stored fact (since 1.4).
 * Set by a plugin (pdm_host_api::set_lock, e.g. lost-device-lock's
 * LAWMO FullyLock/PartiallyLock/UnLock), cleared by a factory reset.
 * While it is not PDM_LOCK_NONE the core sets PDM_REQ_DEVICE_LOCKED on
 * every policy request and PDM_AUTH_INFO_DEVICE_LOCKED for authorities.
 */
typedef enum pdm_lock_level {
    PDM_LOCK_NONE = 0,    /**< unlocked (LAWMO State 30) */
    PDM_LOCK_PARTIAL = 1, /**< partially locked (LAWMO State 20) */
    PDM_LOCK_FULL = 2     /**< fully locked (LAWMO State 10) */
} pdm_lock_level;

/** Kinds of a device action (pdm_device_action::kind), since 1.4. */
typedef enum pdm_device_action_kind {
    PDM_DEVACT_LOCK_FULL = 1,     /**< lock everything but emergency calls */
    PDM_DEVACT_LOCK_PARTIAL = 2,  /**< lock the user interface partly (the
                                       device decides what stays usable,
                                       e.g. incoming calls) */
    PDM_DEVACT_UNLOCK = 3,        /**< end either lock */
    PDM_DEVACT_WIPE = 4,          /**< erase the data classes named */
    PDM_DEVACT_FACTORY_RESET = 5, /**< the device is about to be reset to
                                       its factory state (the core resets
                                       its own store afterwards) */
    PDM_DEVACT_CAPABILITY = 6     /**< enable or disable a capability */
} pdm_device_action_kind;

/**
 * A physical action the device is asked to do (S1): handed by a plugin to
 * pdm_host_api::device_action, which calls the integrator's
 * pdm_device_hooks::action with it.  Growable (struct_size first);
 * everything is borrowed for the call.  (since 1.4)
 */
typedef struct pdm_device_action {
    uint32_t struct_size;   /**< sizeof(pdm_device_action) */
    uint32_t kind;          /**< a pdm_device_action_kind */
    /** The ServerID that asked for it (the core fills it in when a plugin
     *  passes NULL from an MO method handling a server's command), or
     *  NULL. */
    const char *server_id;
    /** PDM_DEVACT_WIPE: the data class names (as pdm_device_hooks::
     *  wipe_classes gave them); else NULL. */
    const char *const *classes;
    size_t nclasses;  /**< entries in classes */
    /** PDM_DEVACT_CAPABILITY: "sms", "voice" (every call but emergency
     *  calls) or "data"; else NULL. */
    const char *capability;
    /** PDM_DEVACT_CAPABILITY: 1 enable, 0 disable; else 0. */
    uint32_t enable;
    /** 1 when the user is to be told (LAWMO LAWMOConfig/NotifyUser). */
    uint32_t notify_user;
} pdm_device_action;

/** Log levels (syslog order). */
typedef enum pdm_log_level {
    PDM_LOG_ERROR = 3,
    PDM_LOG_WARN = 4,
    PDM_LOG_INFO = 6,
    PDM_LOG_DEBUG = 7
} pdm_log_level;

/**
 * A Generic Alert (1226) for a DM server, from a plugin
 * (host->generic_alert) or the integrator (pdm_ctx_queue_alert).
 * Growable; struct_size must be at least the ABI 1.0 size (up to and
 * including server_id), else PDM_EINVAL.  Everything is borrowed for the
 * call and copied.  The alert is bound to one ServerID when it is queued
 * and only a session with exactly that server carries it.  Every string
 * must be text (UTF-8 without control bytes XML cannot carry) of at most
 * 255 bytes (source_uri: 1024), else PDM_EINVAL (logged, naming the
 * field); data may be binary.  A queued alert is a device fact, not
 * package state: a rolled-back package keeps it.  The queue is bounded:
 * at most 64 alerts and 256 KiB (data plus strings) per server, 256
 * alerts and 1 MiB in all; beyond a bound the new alert is refused with
 * PDM_ENOSPC (logged) and every queued one is kept.  (since 1.0)
 */
typedef struct pdm_generic_alert {
    uint32_t struct_size;   /**< sizeof(pdm_generic_alert) */
    uint32_t reserved0;     /**< 0 (PDM_EINVAL otherwise) */
    const char *source_uri; /**< Item/Source/LocURI (the MO node), or NULL */
    const char *type;       /**< Item Meta Type (URN), required */
    const char *format;     /**< Item Meta Format, required (e.g. "int") */
    const char *mark;       /**< Item Meta Mark, or NULL (informational) */
    const char *correlator; /**< Exec correlator to echo, or NULL */
    pdm_blob data;          /**< Item Data (only read) */
    const char *server_id;  /**< target server, or NULL (never ""): then
                                 the core binds it on evidence only, in
                                 this order: (1) the server of the
                                 accepted Exec (202, see pdm_mo_ops.exec)
                                 whose correlator and/or URI the alert's
                                 correlator and/or source_uri match, at
                                 any time, from a plugin or the
                                 integrator; (2) from a plugin inside an
                                 MO method (get, replace, exec, notify)
                                 called for a server's command: that
                                 server.  Refused with PDM_EINVAL when
                                 neither applies, when accepted Execs of
                                 two servers match, or when one matches
                                 while the alert equally matches another
                                 server's Exec being handled: never a
                                 guess */
    /* since 1.4 */
    /** Makes queueing idempotent, or NULL: when an alert queued from the
     *  same plugin (or, from pdm_ctx_queue_alert, by the integrator) with
     *  an equal once_key is still queued or was delivered (the core
     *  remembers the last 256 delivered keys, in its store), the call
     *  returns PDM_OK and queues nothing, whatever the server binding
     *  would be.  A plugin that records its work before doing it can so
     *  queue a result again after a crash and still have it delivered
     *  exactly once.  Text, at most 128 bytes. */
    const char *once_key;
} pdm_generic_alert;

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_TYPES_H */
