/*
 * polydm — integrator API.
 *
 * This is the API a device maker (OEM) uses to embed polydm: open a context
 * on a market profile and a state directory, supply device hooks, read and
 * change the management tree as the local user, run DM sessions through the
 * sans-I/O engine.  It is *source*-stable within a major version (the
 * plugin SDK in <polydm/plugin.h> is the binary-stable contract).
 *
 * Conventions (same as the SDK):
 *  - functions return `int` holding a pdm_rc (0 = success, < 0 = error);
 *    pdm_ctx_last_error() gives a message for the last failure on a context;
 *  - out parameters come first; objects returned through `**out` are owned
 *    by the caller and released with the matching _free/_close function;
 *    `const char *` results are borrowed from their parent object;
 *  - a context is used from one thread at a time.
 */
#ifndef POLYDM_POLYDM_H
#define POLYDM_POLYDM_H

#include <stddef.h>
#include <stdint.h>

#include <polydm/bootstrap.h>
#include <polydm/mo.h> /* pdm_format, of the tree reads */
#include <polydm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the polydm library as a string, e.g. "0.1.0".  Static. */
PDM_API const char *pdm_version(void);

/**
 * pdm_default_plugin_path() - the plugin directories this libpolydm
 * searches when neither pdm_config::plugin_path nor $POLYDM_PLUGIN_PATH
 * is set: colon-separated, found relative to the installed library (or to
 * the executable the core is linked into), so that a moved install still
 * finds its plugins, then the directory configured at build time.  A
 * binary of the build tree gets the build tree's plugin directory alone.
 * The order is in docs/integrator-guide.md ("Where polydm finds its
 * plugins and profiles"); pkg-config's `plugindir` of polydm-sdk is the
 * relative one of an install.
 * Returns a static string (computed once, thread-safe), "" when nothing is
 * known; never NULL.  Directories are not checked to exist.
 */
PDM_API const char *pdm_default_plugin_path(void);

/**
 * pdm_default_profile() - the shipped default profile file
 * (`<datadir>/polydm/profiles/default.profile`), found like
 * pdm_default_plugin_path(): relative to the installed library or
 * executable when the file exists there, else the configured one; in the
 * build tree the build's copy of the default profile.  Returns a static
 * string, "" when nothing is known; never NULL.  The file may be missing
 * (pdm_ctx_open then fails with PDM_ENOTFOUND naming it).
 */
PDM_API const char *pdm_default_profile(void);

/** A polydm context: profile, plugins, store, tree, audit log. */
typedef struct pdm_ctx pdm_ctx;

/**
 * Log sink.  @level is a pdm_log_level, @component the emitting part
 * ("core", "session", a plugin name), @msg one line without newline.
 * Messages never contain secrets.
 */
typedef void (*pdm_log_fn)(void *user, int level, const char *component,
                           const char *msg);

typedef struct pdm_ui_request pdm_ui_request;
typedef struct pdm_ui_response pdm_ui_response;
typedef struct pdm_pin_request pdm_pin_request;

/**
 * Device hooks: how the core learns facts only the device knows.  All
 * members are optional; set struct_size = sizeof(pdm_device_hooks).
 * Called from the thread that uses the context.
 */
typedef struct pdm_device_hooks {
    uint32_t struct_size; /**< sizeof(pdm_device_hooks) */
    void *user;           /**< passed to every hook */
    /**
     * info() - a DevInfo/DevDetail value, e.g. key "DevInfo/DevId",
     * "DevInfo/Man", "DevDetail/FwV".  Write a NUL-terminated value into
     * @buf (at most @size bytes) and return PDM_OK, or return PDM_ENOTFOUND
     * to use the profile's [device] value.  Any other rc fails the Get.
     * The value goes out as text in every session: it must be one line of
     * UTF-8 without control characters; any other value is not used (an
     * error naming the key is logged, a server's Get of it fails with 500
     * and package 1 leaves it out).
     */
    int (*info)(void *user, const char *key, char *buf, size_t size);
    /**
     * ui() - show a server's user-interaction alert (1100-1104) and wait
     * for the user.  Optional: without it UI alerts are answered 406.
     * Return PDM_OK with @resp filled, PDM_ECANCELLED (user cancelled),
     * PDM_ETIMEOUT (MAXDT elapsed without an answer) or another rc.
     */
    int (*ui)(void *user, const pdm_ui_request *req, pdm_ui_response *resp);
    /**
     * network_id() - a subscriber or equipment identity of kind @kind (a
     * pdm_network_id): PDM_NETID_IMSI keys the NETWPIN and USERNETWPIN
     * bootstrap MACs (OMA DM Security / ProvBoot).  Write it NUL-terminated
     * into @buf (at most @size bytes): an IMSI as 6 to 15 decimal digits.
     * Return PDM_OK, or PDM_ENOTFOUND to use the profile's device.imsi (a
     * document that needs an IMSI nobody has is refused).  The value is a
     * secret of the MAC check: the core never logs it and wipes its copy.
     * PDM_NETID_ESN and PDM_NETID_MEID name the 3GPP2 identities; the
     * core does not ask for them yet and never uses them as a MAC key:
     * the 3GPP2 key encoding is not published (omadm-facts §8.3,
     * UNVERIFIED), so a 3GPP2 device answers NETWPIN with its IMSI_M or
     * not at all.  Added after polydm 0.1: read only when struct_size
     * covers it.
     */
    int (*network_id)(void *user, int kind, char *buf, size_t size);
    /**
     * pin() - ask the user for the PIN of a bootstrap document secured with
     * USERPIN, USERNETWPIN or USERPINMAC (@req says which and where the
     * document came from), or, with @req->sec PDM_SEC_NONE, for a PIN a
     * plugin needs (@req->plugin, e.g. the SIM card's PIN before
     * sim-bootstrap reads a protected file; @req->tries_left says how many
     * attempts the card still allows, -1 unknown).  Write the PIN
     * NUL-terminated into @buf (at most @size bytes; the core wipes it
     * after use, a plugin's PIN goes straight to the plugin's buffer).
     * Return PDM_OK, PDM_ECANCELLED (the user declined: the document is
     * refused, the plugin goes without) or another rc (refused).  An
     * empty answer counts as declined.  Without this hook every document
     * that needs a PIN is refused and plugins get PDM_ENOTSUP.  Added
     * after polydm 0.1: read only when struct_size covers it.
     */
    int (*pin)(void *user, const pdm_pin_request *req, char *buf,
               size_t size);
    /**
     * action() - do a physical action a plugin asks for (S1: the LAWMO
     * lock, unlock, wipe and factory reset of lost-device-lock, and
     * capability switches): @a says which (pdm_device_action in
     * <polydm/types.h>), borrowed for the call.  Block until done.
     * Return PDM_OK (done), PDM_ECANCELLED (the user refused, where the
     * device asks), PDM_ENOTSUP (this device cannot do it), or another
     * rc with a one-line @reason (at most @size bytes, never a secret).
     * Without this hook every action is PDM_ENOTSUP.  Added after polydm
     * 0.3 (ABI 1.4): read only when struct_size covers it.
     */
    int (*action)(void *user, const pdm_device_action *a, char *reason,
                  size_t size);
    /**
     * wipe_classes() - the data classes this device can wipe, e.g.
     * "contacts,messages,media,accounts": names separated by ',', each of
     * [A-Za-z0-9_-] and at most 32 bytes, NUL-terminated in @buf (at
     * most @size bytes).  Return PDM_OK, or PDM_ENOTFOUND to let the
     * plugin use its own default.  Added with action.
     */
    int (*wipe_classes)(void *user, char *buf, size_t size);
} pdm_device_hooks;

/** Kinds of pdm_device_hooks::network_id. */
typedef enum pdm_network_id {
    PDM_NETID_IMSI = 1, /**< 3GPP IMSI, 6-15 digits (NETWPIN key) */
    PDM_NETID_ESN = 2,  /**< 3GPP2 ESN, 8 hex digits (never a MAC key) */
    PDM_NETID_MEID = 3  /**< 3GPP2 MEID, 14 hex digits (never a MAC key) */
} pdm_network_id;

/** What pdm_device_hooks::pin is asked for.  Borrowed for the call. */
struct pdm_pin_request {
    uint32_t struct_size; /**< set by the core: sizeof as it knows it */
    uint32_t sec;        /**< pdm_sec: USERPIN, USERNETWPIN, USERPINMAC */
    uint32_t origin;     /**< pdm_bootstrap_origin of the document */
    uint32_t attempt;    /**< 1 for the first question about a document */
    const char *text;    /**< one line to show the user, e.g. "Enter the
                              PIN of the configuration message" */
    /* Added after polydm 0.2: read only when struct_size covers them. */
    /** sec PDM_SEC_NONE: the plugin that asks (pdm_host_api::ask_pin),
     *  e.g. "sim-bootstrap" for the SIM's PIN; NULL for a document's PIN */
    const char *plugin;
    /** attempts left before the medium (the card) blocks, or -1 unknown */
    int32_t tries_left;
    uint32_t reserved0;  /**< 0 */
};

/** A user-interaction alert from a server, passed to pdm_device_hooks::ui.
 *  Everything is borrowed for the call. */
struct pdm_ui_request {
    uint32_t struct_size; /**< set by the core: sizeof as it knows it */
    int type;            /**< 1100 display, 1101 confirm, 1102 text input,
                              1103 single choice, 1104 multiple choice */
    const char *server_id; /**< who asks */
    const char *text;    /**< the message to show */
    const char *const *choices; /**< 1103/1104: choice texts, numbered from
                                     1 */
    size_t nchoices;     /**< number of choices (0 unless 1103/1104) */
    long mindt;          /**< MINDT seconds, or -1 */
    long maxdt;          /**< MAXDT seconds, or -1 */
    const char *dr;      /**< DR default response text, or NULL */
    long maxlen;         /**< MAXLEN for text input, or -1 */
    char it;             /**< IT input type: 'A','N','D','T','P','I' */
    char et;             /**< ET echo type: 'T' text, 'P' password */
};

/** The user's answer.  The core zeroes it before the call. */
struct pdm_ui_response {
    uint32_t struct_size; /**< set by the core: sizeof as it knows it */
    int accepted;        /**< 1101: 1 = yes, 0 = no */
    char text[512];      /**< 1102: the text entered */
    int chosen[32];      /**< 1103: chosen[0]; 1104: all chosen numbers */
    size_t nchosen;      /**< 1104: entries of chosen[] used */
};

/** Options of pdm_ctx_open.  Set struct_size = sizeof(pdm_config) and
 *  zero every field you do not use. */
typedef struct pdm_config {
    uint32_t struct_size;    /**< sizeof(pdm_config) */
    uint32_t flags;          /**< PDM_CTX_* */
    const char *profile;     /**< profile file (required) */
    const char *state_dir;   /**< directory of the store; created 0700 if
                                  missing (its missing parents as mkdir -p
                                  makes them); NULL with PDM_CTX_NO_STORE */
    const char *plugin_path; /**< colon-separated plugin directories, or
                                  NULL for $POLYDM_PLUGIN_PATH, else
                                  pdm_default_plugin_path() */
    pdm_log_fn log;          /**< NULL: no logging */
    void *log_user;          /**< passed to log */
    int log_level;           /**< highest pdm_log_level passed to log;
                                  0 means PDM_LOG_INFO */
    const pdm_device_hooks *hooks; /**< device hooks, or NULL (profile
                                        values only); borrowed until
                                        pdm_ctx_close */
} pdm_config;

/** Do not start plugins (init/create are not run).  For inspection only:
 *  when the profile lists plugins, their policies cannot decide, so the
 *  context runs no session (pdm_session_open: PDM_EDENIED) and the tree
 *  refuses every request of a server, the local user or a bootstrap
 *  (PDM_EDENIED); only the factory tree is loaded. */
#define PDM_CTX_NO_PLUGINS 0x1u
/** Do not open a store (everything is in memory and lost at close). */
#define PDM_CTX_NO_STORE 0x2u
/** Open the store read-only (inspection while an agent runs). */
#define PDM_CTX_READONLY 0x4u
/** Run the store's integrity check (SQLite's quick_check, which reads every
 *  page) at open even after a clean shutdown.  Without it the check runs
 *  only when the last shutdown was not clean (a killed process, a crash, a
 *  power loss); a damaged store is refused with PDM_ECORRUPT either way. */
#define PDM_CTX_CHECK_STORE 0x8u

/**
 * pdm_ctx_open() - load a profile, start its plugins, open the store.
 * @out: (out) the new context, owned by the caller (pdm_ctx_close).
 * @cfg: (in) options, borrowed for the duration of the call.
 *
 * Returns PDM_OK; PDM_EPARSE/PDM_EINVAL/PDM_EABI/PDM_ENOTFOUND for a bad
 * profile or plugin (the diagnostics are logged at PDM_LOG_ERROR and the
 * first is in the error text); PDM_ECORRUPT for a foreign or damaged store
 * (never overwritten); PDM_EIO for other store errors; PDM_ENOMEM.  On
 * failure *out is still set when it is not NULL so that
 * pdm_ctx_last_error() can be read; close it in every case.  A plugin the
 * profile marks `optional = true` whose module is not installed is left
 * out (one PDM_LOG_INFO line), not an error (profiles/README.md).
 */
PDM_API int pdm_ctx_open(pdm_ctx **out, const pdm_config *cfg);

/** Stops the plugins first (every instance's destroy, then each plugin's
 *  fini, while the store and the log are still open), then frees the tree,
 *  closes the store and frees the context.  NULL is a no-op. */
PDM_API void pdm_ctx_close(pdm_ctx *ctx);

/** Message of the last failure on @ctx ("" if none).  Borrowed until the
 *  next call on @ctx. */
PDM_API const char *pdm_ctx_last_error(const pdm_ctx *ctx);

/** Id of the context's profile (e.g. "gsm-operator").  Borrowed. */
PDM_API const char *pdm_ctx_profile_id(const pdm_ctx *ctx);

/** Description of a loaded plugin (borrowed from the context). */
typedef struct pdm_plugin_info {
    const char *name;     /**< plugin id */
    const char *version;  /**< plugin's own version, or "" */
    const char *summary;  /**< one line, or "" */
    const char *path;     /**< module file, or "" for a static plugin */
    unsigned abi_major;   /**< ABI the plugin was built for */
    unsigned abi_minor;   /**< its ABI minor */
    size_t ncomponents;   /**< number of components */
} pdm_plugin_info;

/** Number of plugins loaded by the profile, in profile order (an optional
 *  plugin that is not installed is not loaded and not counted). */
PDM_API size_t pdm_ctx_plugin_count(const pdm_ctx *ctx);
/** Fills @out for plugin @i (0-based).  PDM_ENOTFOUND past the end. */
PDM_API int pdm_ctx_plugin_info(pdm_plugin_info *out, const pdm_ctx *ctx,
                                size_t i);
/** Kind name ("policy", "mo", ...) and name of component @j of plugin @i.
 *  PDM_ENOTFOUND past the end.  Strings are borrowed. */
PDM_API int pdm_ctx_component(const char **kind, const char **name,
                              const pdm_ctx *ctx, size_t i, size_t j);

/* ---- bootstrap ----------------------------------------------------------- */

/**
 * A bootstrap document the integrator received (a WAP push the agent
 * took off the air, a file the user named, the factory image's document)
 * and hands to the core.  Everything is borrowed for the call.  Set
 * struct_size = sizeof(pdm_bootstrap_input) and zero what you do not use.
 */
typedef struct pdm_bootstrap_input {
    uint32_t struct_size;     /**< sizeof(pdm_bootstrap_input) */
    uint32_t origin;          /**< pdm_bootstrap_origin: PUSH, FILE,
                                   FACTORY or USER (SMARTCARD documents
                                   come only from a loaded source
                                   component, pdm_ctx_bootstrap_scan) */
    const uint8_t *body;      /**< the exact document bytes */
    size_t len;               /**< bytes in body */
    /** MIME type without parameters: "application/vnd.wap.connectivity-
     *  wbxml" or "text/vnd.wap.connectivity-xml" (OMA CP: needs a loaded
     *  bootstrap component that accepts it, e.g. cp-bootstrap), or
     *  "application/vnd.syncml.dm+wbxml" / "+xml" (DM profile: core). */
    const char *content_type;
    uint32_t sec;             /**< pdm_sec (PDM_SEC_NONE: no SEC given) */
    uint32_t flags;           /**< PDM_BOOTSTRAP_* (0: none) */
    const char *mac_hex;      /**< the MAC parameter as received (hex), or
                                   NULL */
    /** Where it came from, for the audit log and messages: e.g.
     *  "udp:127.0.0.1:40123" or a file name; one line of text, or NULL. */
    const char *via;
} pdm_bootstrap_input;

/** The caller hands over documents that anyone who can reach it may send
 *  (a WAP push intake) and records their forgeries itself, rate-limited:
 *  a refusal before the document was authenticated (bad arguments or
 *  content type, no accepting component, an unsigned document from an
 *  origin that needs SEC, a missing or wrong MAC, PIN or IMSI) then
 *  writes no audit row and no log line of the pipeline, so a flood of
 *  forged pushes cannot push real rows out of the audit retention.  Every
 *  refusal of an authenticated document (decoding, placement, conflicts,
 *  policies, the authority) and every success is audited as always.
 *  pdm_bootstrap_result::flags says which happened.  The reference agent
 *  sets it and audits the first such refusal per source and minute, then
 *  a count. */
#define PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES 0x1u

/** What pdm_ctx_bootstrap_submit did.  The core zeroes it (keeping
 *  struct_size, which the caller sets to sizeof(pdm_bootstrap_result)). */
typedef struct pdm_bootstrap_result {
    uint32_t struct_size;     /**< sizeof(pdm_bootstrap_result) */
    uint32_t naccounts;       /**< DM accounts created or replaced */
    uint32_t flags;           /**< PDM_BOOTSTRAP_RESULT_* */
    /** Applied: one line naming what was created ("./DMAcc/1 for
     *  ServerID x; ./ConnMO/NAP1"); refused: why (the same text as
     *  pdm_ctx_last_error).  Never a secret. */
    char summary[384];
    /** Who refused: "core" (structure, SEC/MAC, limits, conflicts),
     *  "policy:<plugin>/<component>" or "authority:<plugin>/<component>";
     *  "" when applied. */
    char component[96];
} pdm_bootstrap_result;

/** The pipeline wrote the document's audit row (always, unless the input
 *  had PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES and the document was refused
 *  before it was authenticated: then the caller records it). */
#define PDM_BOOTSTRAP_RESULT_AUDITED 0x1u

/**
 * pdm_ctx_bootstrap_submit() - verify and apply one bootstrap document.
 * The pipeline (docs/architecture.md, "Bootstrap"): size and structure
 * checks; the SEC/MAC check (the IMSI from network_id or device.imsi, the
 * PIN from the pin hook; MACs compared case-insensitively in constant
 * time; a document without SEC only from an origin the profile's
 * bootstrap.unsigned_origins lists); decoding (OMA CP w7/NAPDEF/PXLOGICAL
 * or a DM-profile SyncML message) and placement (./Inbox content moved to
 * where its MO identifier says, clashing names renamed and the document's
 * references rewritten); the policies (PDM_OP_BOOTSTRAP per account, then
 * every node change with the bootstrap principal: node ACLs do not apply,
 * policies do); the authority component's on_bootstrap for each account;
 * one store transaction; one audit row; and a client-initiated session is
 * queued for each new server (pdm_ctx_bootstrap_pending).  A refused
 * document changes nothing in the tree or the store.
 * @out: (out, optional) see pdm_bootstrap_result.
 * Returns PDM_OK (applied); PDM_EAUTH (MAC missing or wrong, wrong PIN,
 * no IMSI to check it with); PDM_ECANCELLED (the user declined the PIN
 * question); PDM_EDENIED (unsigned where not allowed, a policy or the
 * authority refused, or @ctx cannot run its profile's policies);
 * PDM_EEXISTS (an account for that ServerID exists and the profile does
 * not allow replacing it); PDM_ENOTSUP (no loaded component accepts this
 * content type); PDM_EPARSE / PDM_EFORMAT (malformed document);
 * PDM_ETOOBIG (over bootstrap.max_bytes or another limit); PDM_EINVAL
 * (bad arguments, an unknown flag); PDM_EIO; PDM_ENOMEM.  Every refusal
 * is audited, except the forgeries a caller with
 * PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES records itself.
 */
PDM_API int pdm_ctx_bootstrap_submit(pdm_ctx *ctx,
                                     const pdm_bootstrap_input *in,
                                     pdm_bootstrap_result *out);

/**
 * pdm_ctx_bootstrap_scan() - ask every loaded bootstrap source component
 * (in profile order) and the profile's factory document
 * (bootstrap.factory_file, applied once) for documents, and submit each.
 * A source's failure is logged and the scan goes on.  First, each source
 * that says which of its documents are still present (present_ids)
 * loses the accounts of the ones that are gone (bootstrap.removed_source:
 * remove or keep, audited either way).  A source that declares an origin
 * (pdm_bootstrap_ops::origin) the profile disables
 * (bootstrap.disabled_origins) is not touched at all; that is audited
 * once per context (BootstrapSourceDisabled).  A document with a
 * disabled origin (from a source that declares none, the factory file,
 * or pdm_ctx_bootstrap_submit) is refused with PDM_EDENIED.
 * @applied, @refused: (out, optional) counts.
 * Returns PDM_OK when every offered document was applied (or none was
 * offered), else the rc of the first refusal or failure.
 */
PDM_API int pdm_ctx_bootstrap_scan(pdm_ctx *ctx, size_t *applied,
                                   size_t *refused);

/**
 * pdm_ctx_bootstrap_watch() - the file descriptors that say when a
 * bootstrap source changed: each enabled source component's watch_fd()
 * (a card reader's insertions and removals).  Poll them for reading; when
 * one is readable, call pdm_ctx_bootstrap_scan() (which also removes the
 * accounts of a card that left).  The first call asks each source once
 * (a source may start a thread then); later calls return the same fds.
 * A source the profile disables (bootstrap.disabled_origins) is not
 * asked; a source whose watch fails is logged once and left out.
 * @fds: (out) room for @cap descriptors, borrowed: owned by the sources,
 *       valid until pdm_ctx_close(); never read, write or close them.
 * @n:   (out) how many there are (may exceed @cap: only @cap are written).
 * Returns PDM_OK, PDM_EINVAL (NULL @ctx or @n, or NULL @fds with @cap > 0),
 * PDM_EDENIED (the context is not usable).
 */
PDM_API int pdm_ctx_bootstrap_watch(pdm_ctx *ctx, int *fds, size_t cap,
                                    size_t *n);

/**
 * pdm_ctx_bootstrap_pending() - the ServerID of the @i-th (0-based)
 * bootstrapped server that still waits for its first client-initiated
 * session (Alert 1201; DM_Bootstrap: the client contacts each new server
 * at the next opportunity), or NULL past the end.  An entry leaves the
 * list (kept in the store) when a client-initiated session with that
 * server ends normally, or when its account is gone.  Borrowed until the
 * next call on @ctx.
 */
PDM_API const char *pdm_ctx_bootstrap_pending(pdm_ctx *ctx, size_t i);

/* ---- the integrator's intake, storage, audit rows and log ---------------- */

/*
 * What a device agent needs besides the tree and sessions: take a WAP push
 * apart, read a package 0's (unverified) header, keep its own small state
 * in the store, write its own audit rows and log lines through the
 * context.  The reference agent (core/cli/agent.c) uses only these.
 */

/** What a WAP push carries (pdm_push::kind), i.e. where it goes. */
typedef enum pdm_push_kind {
    /** Not for the DM client (another content type or application id):
     *  ignore it. */
    PDM_PUSH_OTHER = 0,
    /** A DM notification (package 0: application/vnd.syncml.notification
     *  for x-wap-application:syncml.dm): pdm_ctx_notification_admit. */
    PDM_PUSH_NOTIFICATION = 1,
    /** An OMA CP document (text/vnd.wap.connectivity-xml or
     *  application/vnd.wap.connectivity-wbxml): pdm_ctx_bootstrap_submit
     *  with origin PDM_ORIGIN_PUSH. */
    PDM_PUSH_BOOTSTRAP_CP = 2,
    /** A DM-profile bootstrap message (application/vnd.syncml.dm+wbxml or
     *  +xml; DM_Bootstrap): pdm_ctx_bootstrap_submit, origin PUSH. */
    PDM_PUSH_BOOTSTRAP_DM = 3
} pdm_push_kind;

/** A parsed WSP connectionless push (pdm_push_parse).  The core zeroes it
 *  (keeping struct_size, which the caller sets).  Nothing in it is
 *  verified: anyone who can reach the intake can send any of it. */
typedef struct pdm_push {
    uint32_t struct_size;   /**< sizeof(pdm_push), set by the caller */
    uint32_t kind;          /**< a pdm_push_kind */
    uint32_t sec;           /**< the SEC parameter (pdm_sec), PDM_SEC_NONE
                                 when absent */
    uint32_t reserved0;     /**< 0 */
    /** The body: points into the datagram given to pdm_push_parse
     *  (borrowed from it). */
    const uint8_t *body;
    size_t len;             /**< bytes at body */
    /** The content type: for the bootstrap kinds its canonical MIME name
     *  (what pdm_bootstrap_input::content_type takes); otherwise as
     *  received, "" for a well-known code polydm does not know. */
    char content_type[128];
    /** X-WAP-Application-ID as text ("x-wap-application:syncml.dm" also
     *  for its code 7), "" when absent or an unknown code. */
    char app_id[128];
    /** The MAC parameter as received (hex text), "" when absent: for
     *  pdm_bootstrap_input::mac_hex.  A MAC, not a secret. */
    char mac[65];
    /** PDM_EPARSE / PDM_ENOTSUP: why, one line ("WSP push: truncated
     *  (headers)"). */
    char why[256];
} pdm_push;

/**
 * pdm_push_parse() - take a WSP connectionless push PDU (the payload of a
 * UDP datagram to port 2948: TID, PDU type 0x06, headers, body;
 * WAP-230-WSP §8.2.4.1) apart and say where it goes.  No context: this
 * only reads the bytes, it decides nothing.  Every length is checked
 * against @len; texts must be printable ASCII.
 * Returns PDM_OK; PDM_EPARSE (malformed: another PDU type, a length past
 * the end, a text without NUL, a parameter given twice, ...) or
 * PDM_ENOTSUP (SEC outside 0..3), with @out->why; PDM_EINVAL (NULL
 * @out or @pdu, too small @out).
 */
PDM_API int pdm_push_parse(pdm_push *out, const uint8_t *pdu, size_t len);

/** The header of a package 0 (pdm_notification_parse).  The core zeroes
 *  it (keeping struct_size, which the caller sets). */
typedef struct pdm_notification_info {
    uint32_t struct_size; /**< sizeof(pdm_notification_info), set by the
                               caller */
    uint32_t version;    /**< 11 (DM 1.1) or 12 (DM 1.2) */
    /** 0 not specified, 1 background, 2 informative (show a message),
     *  3 user interaction (ask the user before the session) */
    uint32_t ui_mode;
    uint32_t initiator;  /**< 0 client (user), 1 server */
    /** The ServerID the package names: visible ASCII, 1-255 bytes. */
    char server_id[256];
    /** The session id in hex, as pdm_notification::session_id ("1A2B"). */
    char session_id[8];
    /** PDM_EPARSE / PDM_ENOTSUP: why, one line. */
    char why[160];
} pdm_notification_info;

/**
 * pdm_notification_parse() - read the header of a package 0 (the body of
 * a DM notification push) WITHOUT verifying it: the digest is not checked,
 * so nothing in @out is proven.  For decisions that need no proof: the
 * user-interaction mode of a notification pdm_ctx_notification_admit (or
 * pdm_session_open) already verified, or a diagnostic display.  Checks
 * the structure only: at least 24 bytes and the ServerID, version 11 or
 * 12, session id not 0, ServerID of visible ASCII inside the buffer.
 * Returns PDM_OK; PDM_EPARSE (malformed) or PDM_ENOTSUP (another
 * version), with @out->why; PDM_EINVAL (NULL @out or @pkg0, too small
 * @out).
 */
PDM_API int pdm_notification_parse(pdm_notification_info *out,
                                   const uint8_t *pkg0, size_t len);

/** Longest key of the integrator's storage (pdm_ctx_kv_put). */
#define PDM_KV_KEY_MAX 64
/** Largest value of the integrator's storage, in bytes. */
#define PDM_KV_VALUE_MAX (1024u * 1024u)
/** Most keys the integrator's storage holds. */
#define PDM_KV_KEYS_MAX 64

/**
 * pdm_ctx_kv_put() - store @len bytes of @val under @key in the
 * integrator's own namespace of the store (a device agent's job queue,
 * say), replacing what was there.  One namespace per store, separate from
 * every plugin's and the core's; kept across restarts, removed by nothing
 * but pdm_ctx_kv_del (a factory reset of the tree leaves it).  The store
 * is a file of the device's owner (mode 0600) and not encrypted: keep
 * secrets elsewhere.  Values are never logged, audited or exported.
 * @key: 1 to PDM_KV_KEY_MAX bytes of [A-Za-z0-9._-].
 * @val: may be NULL when @len is 0 (an empty value).
 * Written at once (its own store transaction) unless a session's package
 * is being applied (then PDM_EBUSY: call between session messages).
 * Returns PDM_OK; PDM_EINVAL (NULL @ctx or @key, NULL @val with @len,
 * a bad key); PDM_ETOOBIG (@len over PDM_KV_VALUE_MAX, or a new key when
 * PDM_KV_KEYS_MAX are stored); PDM_ENOTSUP (a context without a store);
 * PDM_EDENIED (a read-only context); PDM_EBUSY; PDM_EIO (store error, in
 * pdm_ctx_last_error).
 */
PDM_API int pdm_ctx_kv_put(pdm_ctx *ctx, const char *key, const void *val,
                           size_t len);

/**
 * pdm_ctx_kv_get() - the value stored under @key by pdm_ctx_kv_put.
 * @out: (out) a copy, owned by the caller (free with pdm_free); at least
 *       one byte is allocated, so an empty value is a non-NULL pointer
 *       with *@len 0.  NULL on failure.
 * @len: (out) its length.
 * Returns PDM_OK; PDM_ENOTFOUND (no such key); PDM_EINVAL (NULL argument,
 * bad key); PDM_ENOTSUP (no store); PDM_EIO; PDM_ENOMEM.
 */
PDM_API int pdm_ctx_kv_get(uint8_t **out, size_t *len, pdm_ctx *ctx,
                           const char *key);

/**
 * pdm_ctx_kv_del() - remove @key from the integrator's storage.
 * Returns PDM_OK; PDM_ENOTFOUND (no such key); otherwise as
 * pdm_ctx_kv_put.
 */
PDM_API int pdm_ctx_kv_del(pdm_ctx *ctx, const char *key);

/** Frees memory the library allocated for the caller where a function
 *  says so (pdm_ctx_kv_get).  NULL is a no-op. */
PDM_API void pdm_free(void *p);

/** One audit row of the integrator's own (pdm_ctx_audit_append).  Set
 *  struct_size = sizeof(pdm_audit_entry) and zero what you do not use.
 *  Everything is copied. */
typedef struct pdm_audit_entry {
    uint32_t struct_size;   /**< sizeof(pdm_audit_entry) */
    uint32_t reserved0;     /**< 0 */
    /** What happened: [A-Za-z]{1,32}, e.g. "Push". */
    const char *op;
    /** The node concerned, or NULL: one line of text, at most 255 bytes
     *  (not checked against the tree). */
    const char *uri;
    /** "allow", "deny", "error" or "info". */
    const char *decision;
    /** Who decided: [a-z0-9-]{1,32}, e.g. "agent"; not a name the core
     *  writes ("core", "acl", "session", "user", "local", "factory",
     *  "audit") and no "policy:"/"authority:" form, so an integrator
     *  row can never be taken for a decision of the core or a plugin. */
    const char *component;
    /** One line for humans, at most 255 bytes, never a secret; or NULL. */
    const char *reason;
} pdm_audit_entry;

/**
 * pdm_ctx_audit_append() - write one row of the integrator to the audit
 * log (pdm_ctx_audit_each; part of the hash chain like every row): e.g.
 * a refused push no core call saw.  The row's principal is "unknown" (the
 * integrator speaks about input nobody authenticated; rows of servers,
 * the user, bootstrap and factory come from the core alone).  The row is
 * also logged as the core logs its rows (component "audit", PDM_LOG_INFO
 * for "deny" and "error", else PDM_LOG_DEBUG).  The integrator bounds its
 * own rate: the core writes what it is given (the reference agent writes
 * one row per source, kind and minute, then a count).  Texts are refused,
 * not cut, when too long or not one line of text (control characters).
 * Returns PDM_OK (without a store: only logged); PDM_EINVAL (NULL @ctx
 * or @e, too small @e, reserved0 not 0, a field outside its syntax, a
 * reserved component); PDM_EDENIED (a read-only context); PDM_EBUSY (a
 * session's package is being applied: call between session messages).
 */
PDM_API int pdm_ctx_audit_append(pdm_ctx *ctx, const pdm_audit_entry *e);

/**
 * pdm_ctx_log() - write one line through the context's log sink
 * (pdm_config::log, with its level filter) as @component (NULL: "core"),
 * so that an integrator's lines and the core's go to one place.  @fmt is
 * printf-style; the line is cut at 1023 bytes.  Never pass a secret.
 * A NULL @ctx or @fmt is a no-op.
 */
PDM_API void pdm_ctx_log(pdm_ctx *ctx, int level, const char *component,
                         const char *fmt, ...) PDM_PRINTF(4, 5);

/**
 * pdm_key_pin_check() - whether @pin is a valid TLS public-key pin in
 * the syntax the profile's transport.pin.<ServerID> and
 * pdm_transport_info::key_pin use: "sha256//<base64 of 32 bytes>", or
 * several separated by ';' (what `certtool --pubkey-info` prints as
 * pin-sha256:).  For a tool that checks a command-line pin before it
 * opens anything.
 * Returns PDM_OK or PDM_EINVAL (NULL or malformed).
 */
PDM_API int pdm_key_pin_check(const char *pin);

/**
 * The profile's `[transport]` settings for sessions with one server
 * (pdm_ctx_transport_config): what the reference transport uses.
 * Allocated by the library, owned by the caller
 * (pdm_transport_config_free); the strings live as long as it.
 */
typedef struct pdm_transport_config {
    uint32_t struct_size; /**< the library's; read members added after
                               your header only when it covers them */
    uint32_t flags;       /**< PDM_TRANSPORT_CONFIG_* */
    /** transport.ca_file, client_cert, client_key: absolute paths (a
     *  relative one is taken against the profile's directory), or NULL
     *  when unset.  The key is a file name, never its contents. */
    const char *ca_file;
    const char *client_cert; /**< see ca_file */
    const char *client_key;  /**< see ca_file */
    /** transport.pin.SERVERID of the server asked for (syntax of
     *  pdm_key_pin_check), or NULL. */
    const char *pin;
    /** transport.timeout_ms (0: the transport's default). */
    long timeout_ms;
    /** transport.retries (default 2). */
    long retries;
} pdm_transport_config;

/** transport.allow_plain_http = true: http:// server addresses are
 *  allowed (tests; default false) */
#define PDM_TRANSPORT_CONFIG_ALLOW_PLAIN_HTTP 0x1u

/**
 * pdm_ctx_transport_config() - the profile's `[transport]` settings, with
 * the key pin of @server_id (NULL: none asked).  The profile was checked
 * at pdm_ctx_open, so the values have their syntax.
 * @out: (out) owned by the caller; NULL on failure.
 * Returns PDM_OK; PDM_EINVAL (NULL @out or @ctx); PDM_ENOMEM.
 */
PDM_API int pdm_ctx_transport_config(pdm_transport_config **out,
                                     pdm_ctx *ctx, const char *server_id);

/** Frees a pdm_ctx_transport_config answer.  NULL is a no-op. */
PDM_API void pdm_transport_config_free(pdm_transport_config *tc);

/**
 * pdm_message_session_id() - the SessionID in the SyncHdr of a DM message
 * (XML or WBXML, told apart by @content_type when it names one, else by
 * the first byte), e.g. of a recorded server message to replay.  Decodes
 * the message with the core's codec and its limits up to the end of the
 * SyncHdr only: what follows it is neither decoded nor validated (the
 * session does that when it gets the message), so a message whose body is
 * malformed still gives its SessionID.
 * @out: (out) the SessionID, NUL-terminated, at most @size bytes.
 * Returns PDM_OK; PDM_ENOTFOUND (a message without SyncHdr/SessionID);
 * PDM_EPARSE / PDM_EFORMAT (not a DM message); PDM_ETOOLONG (@size too
 * small); PDM_EINVAL (NULL argument, @size 0); PDM_ENOMEM.
 */
PDM_API int pdm_message_session_id(char *out, size_t size,
                                   const uint8_t *body, size_t len,
                                   const char *content_type);

/* ---- reading the tree and the audit log (the local user) ---------------- */

/*
 * Reads of the management tree as the device's user (principal local),
 * and of the audit log, for an integrator's settings screen and for
 * diagnostic tools (the reference CLI's `tree get|list|show|export|
 * import|explain` and `audit` use only these calls).
 *
 * A read is a request like any other: the core's structural rules apply
 * (an unknown node is PDM_ENOTFOUND, a Get of ./Inbox is
 * PDM_ENOTALLOWED) and so do the profile's policies (a refusal is
 * PDM_EDENIED and is audited as every denial); node ACLs do not, they
 * bind servers.  Reads work in a read-only context (PDM_CTX_READONLY)
 * and while a session runs; they change nothing.
 *
 * Secrets never leave the core through these calls: a Get of a secret
 * leaf (AAuthSecret, AAuthData, the connectivity MO's AuthSecret,
 * BasAuthSecret, ProxySecret) is PDM_ENOTALLOWED, a walk gives no value
 * for it, and an export shows "*****" in its place.
 *
 * URIs are as a server sends them ("./A/B", "A/B", "." the root), checked
 * against the profile's URI limits; a malformed one is PDM_EINVAL (or
 * PDM_ETOOLONG past a limit, PDM_ENOTSUP for an unknown ?prop= or ?list=).
 * On failure pdm_ctx_last_error() says why (one line, the node named, no
 * secret) unless the arguments themselves were NULL.
 */

/** Name of a pdm_format as TND writes it ("node", "chr", "int", "bin",
 *  ...), or "unknown".  Static. */
PDM_API const char *pdm_format_name(uint32_t format);

/**
 * pdm_uri_canonical() - check a URI's syntax without a context (the
 * default URI limits, no profile) and give its canonical path: "." for
 * the root, else "A/B" (no "./", no query).  For a tool that wants to
 * refuse a bad argument before it opens a context.
 * Returns PDM_OK with the path in @out; PDM_EINVAL (syntax), PDM_ENOTSUP
 * (unknown ?prop= / ?list=), PDM_ETOOLONG (a limit, or @size too small)
 * with one line saying why in @out instead.  @out must hold @size > 0
 * bytes.
 */
PDM_API int pdm_uri_canonical(char *out, size_t size, const char *uri);

/**
 * What pdm_ctx_tree_get (and pdm_ctx_tree_export) answer.  Allocated by
 * the library and owned by the caller (pdm_tree_value_free); everything
 * it points at lives as long as it.  struct_size is the library's: read
 * a member added after your header only when struct_size covers it.
 */
typedef struct pdm_tree_value {
    uint32_t struct_size; /**< the library's sizeof(pdm_tree_value) */
    /** pdm_format of data: the leaf's Format; PDM_FORMAT_NODE for an
     *  interior node, whose data is then its child names separated by
     *  '/' ("a/b/c", empty without children); PDM_FORMAT_CHR for a
     *  property; PDM_FORMAT_XML for a TNDS document (?list=TNDS, or an
     *  export in XML). */
    uint32_t format;
    const uint8_t *data; /**< the bytes (not NUL-terminated), or NULL */
    size_t len;          /**< bytes in data */
    /** The leaf's Type (MIME type or MO identifier), "text/plain" for a
     *  property, the TNDS MIME type for a document; or NULL. */
    const char *type;
    /** ?list=Struct and ?list=StructData: how many nodes the answer has
     *  (read them with pdm_tree_value_item; data is NULL then), else 0. */
    size_t nitems;
} pdm_tree_value;

/** One node of a ?list=Struct|StructData answer (pdm_tree_value_item).
 *  Strings borrowed from the pdm_tree_value. */
typedef struct pdm_tree_item {
    uint32_t struct_size; /**< set by the caller */
    uint32_t format;      /**< the node's pdm_format */
    const char *uri;      /**< "./A/B" */
    const char *type;     /**< its Type, or NULL */
    /** StructData: a leaf's value; NULL for interior nodes, for secrets
     *  and for ?list=Struct. */
    const uint8_t *data;
    size_t len;           /**< bytes in data */
} pdm_tree_item;

/**
 * pdm_ctx_tree_get() - what a Get of @uri answers the local user: a
 * leaf's value (an MO handler's leaf asks the handler), an interior
 * node's child names, one property ("?prop=ACL", Format, Name, Size,
 * Title, TStamp, Type, VerNo) or the subtree ("?list=Struct",
 * "?list=StructData", "?list=TNDS").
 * @out: (out) the answer, owned by the caller (pdm_tree_value_free);
 *       NULL on failure.
 * Returns PDM_OK; PDM_EINVAL (NULL argument, malformed URI); PDM_ENOTFOUND;
 * PDM_ENOTALLOWED (a secret, ./Inbox, a property that cannot be read);
 * PDM_EDENIED (a policy); PDM_ENOTSUP / PDM_ETOOLONG (URI); an MO
 * handler's error; PDM_ENOMEM.
 */
PDM_API int pdm_ctx_tree_get(pdm_tree_value **out, pdm_ctx *ctx,
                             const char *uri);

/** Node @i (0-based, document order: the node itself first) of a
 *  ?list=Struct|StructData answer.  @out->struct_size must cover the
 *  struct.  Returns PDM_OK, PDM_ENOTFOUND past the end, PDM_EINVAL. */
PDM_API int pdm_tree_value_item(pdm_tree_item *out, const pdm_tree_value *v,
                                size_t i);

/** Frees an answer of pdm_ctx_tree_get or pdm_ctx_tree_export.  NULL is a
 *  no-op. */
PDM_API void pdm_tree_value_free(pdm_tree_value *v);

/** pdm_node_info::flags */
#define PDM_NODE_IS_INTERIOR 0x1u  /**< an interior node */
#define PDM_NODE_IS_SECRET 0x2u    /**< its value never leaves the core */
#define PDM_NODE_IS_PERMANENT 0x4u /**< servers cannot Add or Delete it */
#define PDM_NODE_IS_MO 0x8u        /**< its value comes from an MO handler */
#define PDM_NODE_HAS_VALUE 0x10u   /**< pdm_ctx_tree_walk with
                                        PDM_WALK_VALUES: value/len hold the
                                        leaf's value */

/** A node and its properties (pdm_ctx_node_info, pdm_ctx_tree_walk).
 *  The core zeroes it (keeping struct_size, which the caller sets).
 *  Strings are never NULL and are borrowed: from pdm_ctx_node_info until
 *  the tree changes or the context closes; in a walk for the callback. */
typedef struct pdm_node_info {
    uint32_t struct_size; /**< set by the caller */
    uint32_t format;     /**< pdm_format (PDM_FORMAT_NODE: interior) */
    uint32_t flags;      /**< PDM_NODE_IS_*, PDM_NODE_HAS_VALUE */
    uint32_t verno;      /**< VerNo (TND §7.7.5) */
    int64_t tstamp;      /**< TStamp: Unix time (seconds) of the last
                              change */
    const char *name;    /**< the node's name */
    const char *type;    /**< Type (MIME type or MO identifier), or "" */
    const char *title;   /**< Title, or "" */
    /** The node's own ACL in TND syntax, "" when it inherits its
     *  parent's. */
    const char *acl;
    /** The authority that created it (authority isolation, S11): a
     *  ServerID, "factory", "local", "bootstrap:<source>", or "" when not
     *  known.  Not the root owner (pdm_ctx_root_owner). */
    const char *owner;
    size_t nchildren;    /**< number of children */
    /** Walks with PDM_WALK_VALUES, leaves only: the value when
     *  PDM_NODE_HAS_VALUE is set (borrowed for the callback); otherwise,
     *  for a leaf that is not a secret, @why says why there is none. */
    const uint8_t *value;
    size_t len;          /**< bytes in value */
    const char *why;     /**< see value: why a leaf has none, or NULL */
} pdm_node_info;

/**
 * pdm_ctx_node_info() - the properties of the node at @uri, which the
 * local user must be able to Get (as pdm_ctx_tree_get would answer it:
 * not a secret leaf, not ./Inbox).  No value (pdm_ctx_tree_get).
 * Returns PDM_OK; PDM_EINVAL (NULL argument, too small @out, malformed
 * URI); PDM_ENOTFOUND; PDM_ENOTALLOWED; PDM_EDENIED; PDM_ENOTSUP /
 * PDM_ETOOLONG (URI).
 */
PDM_API int pdm_ctx_node_info(pdm_node_info *out, pdm_ctx *ctx,
                              const char *uri);

/** pdm_ctx_tree_walk: also Get each leaf's value (not secrets') */
#define PDM_WALK_VALUES 0x1u
/** pdm_ctx_tree_walk: no depth limit */
#define PDM_WALK_ALL_DEPTHS 0xFFFFFFFFu

/** Visitor of pdm_ctx_tree_walk: @uri is the node's canonical URI
 *  ("./A/B", "." for the root), @depth 0 for the start node; everything
 *  is borrowed for the call.  Return 0 to go on, anything else stops the
 *  walk (pdm_ctx_tree_walk returns it).  It must not change the tree. */
typedef int (*pdm_tree_walk_fn)(void *user, const char *uri, unsigned depth,
                                const pdm_node_info *n);

/**
 * pdm_ctx_tree_walk() - visit the node at @uri (depth 0; the local user
 * must be able to Get it, as for pdm_ctx_node_info) and the nodes below
 * it down to @max_depth levels (0: the node alone; PDM_WALK_ALL_DEPTHS),
 * parents before children, children in tree order.  Every node below is
 * visited with its properties, also those a Get would refuse (./Inbox);
 * with PDM_WALK_VALUES each leaf's value is read as pdm_ctx_tree_get
 * would (secrets never are: PDM_NODE_IS_SECRET, no value).
 * Returns PDM_OK; the visitor's non-zero return; PDM_EINVAL (NULL
 * argument, unknown @flags, malformed URI); PDM_ENOTFOUND;
 * PDM_ENOTALLOWED; PDM_EDENIED; PDM_ENOMEM.
 */
PDM_API int pdm_ctx_tree_walk(pdm_ctx *ctx, const char *uri,
                              unsigned max_depth, uint32_t flags,
                              pdm_tree_walk_fn fn, void *user);

/** pdm_ctx_tree_export: names and Formats only (?list=Struct's subset
 *  of TNDS) */
#define PDM_EXPORT_STRUCT 0x1u
/** pdm_ctx_tree_export: names, Formats and values */
#define PDM_EXPORT_STRUCTDATA 0x2u
/** pdm_ctx_tree_export: WBXML instead of (indented) XML */
#define PDM_EXPORT_WBXML 0x4u

/**
 * pdm_ctx_tree_export() - the subtree at @uri (its query is ignored) as
 * a TNDS document (OMA DM TNDS): by default every node with all its
 * properties and values, XML indented for reading.  Nodes the local
 * user may not Get are left out with their subtree (./Inbox); secret
 * values appear as "*****".
 * @flags: at most one of PDM_EXPORT_STRUCT, PDM_EXPORT_STRUCTDATA, and
 *         PDM_EXPORT_WBXML.
 * @out: (out) the document (format PDM_FORMAT_XML in XML, PDM_FORMAT_BIN
 *       in WBXML; type its TNDS MIME type), owned by the caller
 *       (pdm_tree_value_free); NULL on failure.
 * Returns PDM_OK; PDM_EINVAL (NULL argument, bad flags, malformed URI);
 * PDM_ENOTFOUND; PDM_EDENIED / PDM_ENOTALLOWED (no Get on @uri itself);
 * PDM_ENOMEM.
 */
PDM_API int pdm_ctx_tree_export(pdm_tree_value **out, pdm_ctx *ctx,
                                const char *uri, uint32_t flags);

/** Defined in the next section (the local user's operations). */
typedef struct pdm_local_result pdm_local_result;

/**
 * pdm_ctx_tree_import() - the local user adds every node of a TNDS
 * document (XML or WBXML, told apart by its first bytes) below @target
 * (NULL: the root), all or nothing: each node is an Add of the local
 * user (policies and the creator rule apply as for single Adds), an
 * existing interior node is merged into, an existing leaf fails the
 * import.  Audited as the local user's Adds are.
 * @out: (out, optional) refused: why, naming the node, and the deciding
 *       component; done: what was imported.
 * Returns PDM_OK; PDM_EPARSE / PDM_EFORMAT (malformed document);
 * PDM_EINVAL (NULL @ctx or @doc, too small @out, malformed @target, a
 * bad node or value in the document; PDM_ENOTSUP / PDM_ETOOLONG for a
 * @target query or length); PDM_EEXISTS (a leaf exists); PDM_ENOTFOUND;
 * PDM_EDENIED (a policy, or a read-only context); PDM_EBUSY (a tree
 * transaction is open); PDM_EIO; PDM_ENOMEM.
 */
PDM_API int pdm_ctx_tree_import(pdm_ctx *ctx, const char *target,
                                const uint8_t *doc, size_t len,
                                pdm_local_result *out);

/** What pdm_ctx_explain decided.  The core zeroes it (keeping
 *  struct_size, which the caller sets).  Never a secret. */
typedef struct pdm_explanation {
    uint32_t struct_size; /**< set by the caller */
    /** PDM_OK: allowed; else the refusal (PDM_EDENIED for an ACL, the
     *  isolation rule or a policy; PDM_ENOTALLOWED for a structural rule;
     *  PDM_ENOTFOUND, PDM_EINVAL for a bad URI, ...). */
    int32_t result;
    /** The rule that decided: "acl", "acl-parent", "isolation",
     *  "permanent", "root", "secret", "inbox", "policy", "local", "uri",
     *  "missing", ... */
    char rule[48];
    char node[256];      /**< the node whose ACL decided, or "" */
    char entry[192];     /**< the deciding ACL entry ("Replace=srv-a",
                              "(none for Replace)"), or "" */
    /** Who decided: "acl", "core", "policy:<plugin>/<component>",
     *  "authority:<plugin>/<component>" */
    char component[96];
    char reason[256];    /**< one line for humans */
} pdm_explanation;

/**
 * pdm_ctx_explain() - would server @server_id (NULL: the local user) be
 * allowed to do @op (PDM_OP_GET, ADD, REPLACE, DELETE or EXEC) on @uri
 * (which may carry ?prop=, e.g. "./A?prop=ACL" for an ACL change), and
 * why: the DM account rules, the structural rules, the node's effective
 * ACL, authority isolation and the policies, exactly as for the real
 * request, without doing it and without an audit row.  @server_id need
 * not be a known account.
 * Returns @out->result (PDM_OK: allowed; otherwise the refusal, @out
 * saying which rule, node, entry and component), or PDM_EINVAL with
 * @out->rule "" for bad arguments (NULL @ctx, @out or @uri, too small
 * @out, another @op).
 */
PDM_API int pdm_ctx_explain(pdm_explanation *out, pdm_ctx *ctx,
                            const char *server_id, uint32_t op,
                            const char *uri);

/** One row of the audit log (pdm_ctx_audit_each).  Made by the library
 *  (struct_size is its own) and borrowed for the callback.  Rows hold no
 *  secret. */
typedef struct pdm_audit_row {
    uint32_t struct_size;   /**< the library's sizeof(pdm_audit_row) */
    uint32_t reserved0;     /**< 0 */
    int64_t seq;            /**< the row's number, increasing */
    int64_t time_ms;        /**< when (ms since the epoch, UTC) */
    const char *principal;  /**< "server:<ServerID>", "local", "factory",
                                 "bootstrap:<source>" */
    const char *op;         /**< "Get", "Add", ..., "Session", "Notify",
                                 "Bootstrap", "Takeover", ... */
    const char *uri;        /**< the node, or NULL */
    const char *decision;   /**< "allow", "deny", "error" or "info" */
    const char *component;  /**< who decided ("acl", "core", "session",
                                 "policy:<plugin>/<component>", ...) */
    const char *reason;     /**< one line, or NULL */
} pdm_audit_row;

/** Visitor of pdm_ctx_audit_each: 0 to go on, else stop (returned). */
typedef int (*pdm_audit_fn)(void *user, const pdm_audit_row *row);

/**
 * pdm_ctx_audit_each() - call @fn for every row of the store's audit
 * table with time_ms >= @since_ms (0: all), oldest first.  Rows archived
 * into segment files (profile [audit] segment_rows, segments_kept) are
 * not visited; pdm_ctx_audit_verify checks them.
 * Returns PDM_OK; the visitor's non-zero return; PDM_EINVAL (NULL);
 * PDM_ENOTSUP (a context without a store); PDM_EIO (store error, in
 * pdm_ctx_last_error).
 */
PDM_API int pdm_ctx_audit_each(pdm_ctx *ctx, int64_t since_ms,
                               pdm_audit_fn fn, void *user);

/** The verdict of pdm_ctx_audit_verify.  The core zeroes it (keeping
 *  struct_size, which the caller sets). */
typedef struct pdm_audit_check {
    uint32_t struct_size;      /**< set by the caller */
    uint32_t segments_kept;    /**< archived segment files checked */
    uint32_t segments_dropped; /**< older segments removed by retention */
    uint32_t reserved0;         /**< 0 */
    int64_t archived_rows;     /**< rows in the kept segment files */
    int64_t live_rows;         /**< rows in the store's audit table */
    /** PDM_ECORRUPT: what is wrong (the segment file or the rows). */
    char problem[512];
} pdm_audit_check;

/**
 * pdm_ctx_audit_verify() - check the audit log's hash chain: every kept
 * segment file against its recorded hash and its predecessor, that only
 * the oldest segments are missing, that the store's rows continue the
 * last segment without a gap.  The chain detects changed, reordered or
 * removed kept segments and missing rows; it is not a signature.
 * Returns PDM_OK (intact); PDM_ECORRUPT (@out->problem says what);
 * PDM_EINVAL (NULL, too small @out); PDM_ENOTSUP (no store); PDM_EIO
 * (store error, in pdm_ctx_last_error).
 */
PDM_API int pdm_ctx_audit_verify(pdm_audit_check *out, pdm_ctx *ctx);

/* ---- the local user: ownership, ACLs, accounts (seed S3, S4, S12) -------- */

/*
 * What the device's user (principal local) may do to the management tree,
 * each through the same decision path as everything else: the active
 * authority component where the operation needs one (takeover), then the
 * policies (PDM_OP_TAKEOVER, PDM_OP_ACL_EDIT, PDM_OP_ACCOUNT_DELETE,
 * PDM_OP_TRANSFER), then the user's confirmation through the ui hook
 * (a 1101 confirm alert with server_id "local"; declined or no hook:
 * PDM_ECANCELLED), then one store transaction, then one audit row naming
 * the deciding component (ops "Takeover", "Transfer", "AccountDelete",
 * and "Replace" of "<uri>?prop=ACL" for an ACL edit; a refusal gets its
 * row too, except for bad arguments: a NULL pointer, unknown flags, a
 * too small result struct; a read-only context).  A refused or failed
 * operation changes nothing.  Where TStamp/VerNo are kept they are
 * updated (TND §8.3.5).
 * Removing a ServerID from the tree scrubs it from every ACL as TND
 * §8.3.7.1.4 says (a command left without ids goes; an ACL left empty
 * inherits; a root command left without ids takes the entry the
 * authority's default root ACL (pdm_authority_defaults) has for it,
 * without that id, or goes, and a root ACL left empty becomes that
 * default; without an authority default such a command becomes "*",
 * TND's words); the account node of that
 * ServerID keeps the ACL the DMAcc rule gives it.
 * Common returns: PDM_EDENIED also when the context cannot run its
 * policies or is read-only (PDM_CTX_READONLY); PDM_EBUSY while a tree
 * transaction (a session's package) is open.
 */

/** Flags of the local operations: the integrator's own UI already had the user
 *  confirm this very operation; the core does not call the ui hook. */
#define PDM_LOCAL_CONFIRMED 0x1u
/** pdm_ctx_transfer: keep the old authority's DM account (without any
 *  rights); default: delete it. */
#define PDM_LOCAL_KEEP_ACCOUNT 0x2u

/** What a local operation did.  The core zeroes it (keeping struct_size,
 *  which the caller sets to sizeof(pdm_local_result)). */
typedef struct pdm_local_result {
    uint32_t struct_size; /**< set by the caller */
    uint32_t reserved0;   /**< 0 */
    /** Done: one line saying what changed; refused: why (as
     *  pdm_ctx_last_error).  Never a secret. */
    char summary[384];
    /** Who decided a refusal: "core", "user" (declined),
     *  "policy:<plugin>/<component>", "authority:<plugin>/<component>";
     *  "" when done. */
    char component[96];
} pdm_local_result;

/** One authority the device knows (pdm_ctx_authority). Borrowed until the
 *  next call on the context. */
typedef struct pdm_authority_entry {
    uint32_t struct_size;     /**< set by the caller */
    uint32_t origin;          /**< pdm_bootstrap_origin its account came
                                   from (FACTORY for the factory tree,
                                   USER for a local one) */
    uint32_t sec;             /**< pdm_sec of that bootstrap */
    uint32_t owns_root;       /**< 1 if it is the root owner */
    const char *server_id;    /**< its ServerID */
    const char *account_uri;  /**< "./DMAcc/x" */
    const char *address;      /**< its first server address, or NULL */
    const char *source;       /**< the bootstrap source, or NULL */
    /** The top-most nodes it created, separated by ';' (e.g.
     *  "./DMAcc/x;./Vendor/Op"), or "" */
    const char *subtrees;
} pdm_authority_entry;

/**
 * pdm_ctx_root_owner() - the ServerID that owns root (a stored fact,
 * changed only by an authority's bootstrap grant, a takeover or a
 * transfer), or NULL when nobody owns it.  Borrowed until the next call
 * that changes the tree.
 */
PDM_API const char *pdm_ctx_root_owner(pdm_ctx *ctx);

/**
 * pdm_ctx_authority() - the @i-th (0-based) DM account's authority, in
 * ./DMAcc order (accounts without a ServerID are not authorities and
 * are skipped).  @out->struct_size must cover the whole struct.
 * Returns PDM_OK, PDM_ENOTFOUND past the end, PDM_EINVAL, PDM_ENOMEM.
 */
PDM_API int pdm_ctx_authority(pdm_ctx *ctx, size_t i,
                              pdm_authority_entry *out);

/**
 * pdm_ctx_takeover() - the user makes @server_id (a known account) the
 * root owner (S3): the authority's takeover() decides first (NULL or no
 * authority: refused), then PDM_OP_TAKEOVER, then the user.  The root
 * ACL's Get/Replace/Delete/Exec go to the new owner (Add stays as it
 * is, TND §8.3.7.1.2), the old owner's ServerID is scrubbed from every
 * ACL, and the root owner becomes @server_id.
 * @flags: PDM_LOCAL_*.  @out: (out, optional).
 * Returns PDM_OK, PDM_ENOTFOUND (no such account), PDM_EDENIED,
 * PDM_ECANCELLED, PDM_EINVAL (not a valid ServerID, two accounts carry
 * it, bad flags), PDM_EBUSY, PDM_EIO, PDM_ENOMEM.
 */
PDM_API int pdm_ctx_takeover(pdm_ctx *ctx, const char *server_id,
                             uint32_t flags, pdm_local_result *out);

/**
 * pdm_ctx_transfer() - move management from authority @from to @to
 * (S12), both known accounts (bootstrap @to first: any allowed source).
 * PDM_OP_TRANSFER decides, and PDM_OP_TAKEOVER (with the authority's
 * takeover()) too when @from owns root; then the user.  In one
 * transaction: every ACL entry of @from goes to @to (where @to is
 * already there, it is only removed), nodes @from created become @to's,
 * root ownership moves if @from had it, and @from's account is deleted
 * (or kept without rights: PDM_LOCAL_KEEP_ACCOUNT; only its own account
 * node still names it, by the DMAcc rule).  Interrupted at any
 * point (power loss), the device has @from or @to in charge, never
 * neither.
 * Returns as pdm_ctx_takeover; PDM_EINVAL when @from equals @to.
 */
PDM_API int pdm_ctx_transfer(pdm_ctx *ctx, const char *from, const char *to,
                             uint32_t flags, pdm_local_result *out);

/**
 * pdm_ctx_acl_set() - the user replaces the ACL of @uri (S4), asked as
 * PDM_OP_ACL_EDIT (detail = @acl in canonical form, uri = the node as
 * "./A/B").  @acl is an ACL in TND syntax ("" = inherit; the root's ACL
 * cannot be empty).  ./DMAcc keeps "Get=*" and an account node's ACL
 * names only its own ServerID (the DMAcc rule, which the core restores
 * at every open): anything else there is PDM_EINVAL.
 * Returns PDM_OK, PDM_ENOTFOUND, PDM_EINVAL (bad URI or ACL),
 * PDM_EDENIED, PDM_ECANCELLED, PDM_EBUSY, PDM_EIO, PDM_ENOMEM.
 */
PDM_API int pdm_ctx_acl_set(pdm_ctx *ctx, const char *uri, const char *acl,
                            uint32_t flags, pdm_local_result *out);

/**
 * pdm_ctx_account_delete() - the user deletes the DM account of
 * @server_id, asked as PDM_OP_ACCOUNT_DELETE: the account subtree goes,
 * the ServerID is scrubbed from every ACL, root ownership goes if it had
 * it, and its pending first session, queued alerts and bootstrap records
 * go too.
 * Returns as pdm_ctx_takeover.
 */
PDM_API int pdm_ctx_account_delete(pdm_ctx *ctx, const char *server_id,
                                   uint32_t flags, pdm_local_result *out);

/* ---- the lost-device lock (seed S1) ------------------------------------- */

/** The device's lock state (pdm_ctx_lock_info).  The core zeroes it,
 *  keeping struct_size (the caller sets it). */
typedef struct pdm_lock_info {
    uint32_t struct_size;   /**< set by the caller */
    uint32_t level;         /**< a pdm_lock_level */
    /** Unix time (seconds) the level was last changed, 0 if never. */
    int64_t since;
    /** The ServerID that set the current level, "" if none or unknown. */
    char server_id[256];
    /** The plugin that set it (e.g. "lost-device-lock"), "" if never. */
    char plugin[64];
    /** 1 when a factory reset is scheduled and has not run yet. */
    uint32_t reset_pending;
    uint32_t reserved0;     /**< 0 */
} pdm_lock_info;

/**
 * pdm_ctx_lock_info() - the stored lock level, who set it and when.  There
 * is deliberately no call to unlock: only a plugin (a server's authorised
 * LAWMO UnLock) or a factory reset changes it.
 * Returns PDM_OK, PDM_EINVAL (NULL or too small @out).
 */
PDM_API int pdm_ctx_lock_info(pdm_ctx *ctx, pdm_lock_info *out);

/** One accepted (202) Exec whose result is still owed to its server
 *  (pdm_ctx_pending_exec).  Strings borrowed until the next call on the
 *  context. */
typedef struct pdm_pending_exec {
    uint32_t struct_size;   /**< set by the caller */
    uint32_t reserved0;     /**< 0 */
    const char *server_id;  /**< the server that sent the Exec */
    const char *uri;        /**< the node it executed ("./LAWMO/...") */
    const char *correlator; /**< its Correlator, or NULL */
    int64_t since;          /**< Unix time it was accepted */
} pdm_pending_exec;

/**
 * pdm_ctx_pending_exec() - the @i-th (0-based, oldest first) accepted Exec
 * whose result alert has not been queued yet (the core's records, kept
 * across restarts; see pdm_mo_ops.exec).
 * Returns PDM_OK, PDM_ENOTFOUND past the end, PDM_EINVAL.
 */
PDM_API int pdm_ctx_pending_exec(pdm_ctx *ctx, size_t i,
                                 pdm_pending_exec *out);

/* ---- sessions ------------------------------------------------------------ */

/**
 * A DM session with one server, driven by the integrator (sans-I/O): the
 * core produces client messages and consumes server replies; the
 * integrator moves the bytes (HTTP(S)) and passes them on unchanged.
 *
 *     pdm_session *s;  pdm_message m;
 *     pdm_session_open(&s, ctx, &opts);
 *     while (pdm_session_next(s, &m) == PDM_OK && m.body) {
 *         reply = http_post(m.url, m.body, m.len, m.content_type, m.hmac);
 *         pdm_session_reply(s, reply.body, reply.len, reply.content_type,
 *                           reply.hmac);
 *     }
 *     pdm_session_result(s) ...; pdm_session_close(s);
 */
typedef struct pdm_session pdm_session;

/** Use WBXML for this session's messages (default XML). */
#define PDM_SESSION_WBXML 0x1u
/** The integrator states that the transport is TLS with a verified
 *  server.  Policies see PDM_REQ_TLS from it only for messages to an
 *  https:// URL and only until the integrator reports verified facts with
 *  pdm_session_set_transport (which then decide, message by message). */
#define PDM_SESSION_TLS 0x2u
/** Answer a package 0 that an earlier pdm_session_open already verified
 *  (e.g. the retry after a network failure; the notification itself would
 *  now be refused as a repeat): a server-initiated session (Alert 1200)
 *  with opts.server_id and opts.session_id (the package 0's, 1-4 hex
 *  digits, required), nothing verified again.  The server still has to
 *  authenticate itself in the session. */
#define PDM_SESSION_SERVER_INITIATED 0x4u
/** The integrator reports every connection with pdm_session_set_transport
 *  (the reference CLI and agent do).  The session policy (PDM_OP_SESSION)
 *  is then asked when the first connection's facts arrive, not at
 *  pdm_session_open, and a server message whose connection was not
 *  reported is refused (fail closed). */
#define PDM_SESSION_TRANSPORT_FACTS 0x8u

/** Options of pdm_session_open.  Set struct_size and zero every field
 *  you do not use; borrowed for the call. */
typedef struct pdm_session_opts {
    uint32_t struct_size;  /**< sizeof(pdm_session_opts) */
    uint32_t flags;        /**< PDM_SESSION_* */
    const char *server_id; /**< account to use; NULL = the only account */
    /** Server-initiated: the package 0 that triggered the session (it is
     *  verified against the account's server credentials first; a failed
     *  check refuses the session).  The resynchronisation nonce is
     *  accepted only until a session with that server ended normally
     *  (profile session.pkg0_resync_always), and a package 0 whose session
     *  id is among the last 32 verified for that server is refused as a
     *  replay (the store remembers them; a context without a store refuses
     *  every package 0).  NULL for client-initiated. */
    const uint8_t *pkg0;
    size_t pkg0_len;       /**< bytes in pkg0 */
    /** Without pkg0: the SessionID to use (1-4 hex digits or a decimal up
     *  to 65535), or NULL to pick one (for replaying recorded server
     *  packages); required with PDM_SESSION_SERVER_INITIATED. */
    const char *session_id;
} pdm_session_opts;

/** A client message to send.  Borrowed from the session until the next
 *  call on it. */
typedef struct pdm_message {
    const uint8_t *body;      /**< NULL when the session is over */
    size_t len;               /**< bytes in body */
    const char *content_type; /**< application/vnd.syncml.dm+xml|+wbxml */
    const char *url;          /**< where to POST (server address/RespURI) */
    const char *hmac;         /**< value of the x-syncml-hmac header, or
                                   NULL */
} pdm_message;

/**
 * pdm_ctx_queue_alert() - queue a Generic Alert (1226) for a DM server,
 * e.g. a device event the integrator reports.  Everything in @ga is copied.
 * The queue is kept in the store: the alert goes out only in a session
 * with exactly its server and leaves the queue only when that session
 * ends normally; a failed session or a restart keeps it (it may then be
 * sent twice: use a correlator or data the server can recognise).  The
 * server is ga->server_id; NULL only for the result of a server's Exec
 * an MO handler accepted (202): the alert's correlator and/or
 * source_uri must then match that Exec (see pdm_generic_alert), an alert
 * for "any server" could reach the wrong one.  The reference agent
 * starts a session when alerts wait.
 * Returns PDM_OK, PDM_EINVAL (NULL, struct too small, no server (or an
 * ambiguous one), no type or format, a string that is not text or too
 * long, reserved0 not 0), PDM_ENOSPC (the queue is full for that
 * server or in all, see pdm_generic_alert; queued alerts are kept),
 * PDM_ENOMEM.
 */
PDM_API int pdm_ctx_queue_alert(pdm_ctx *ctx, const pdm_generic_alert *ga);

/**
 * pdm_ctx_pending_alerts() - how many queued Generic Alerts no session is
 * carrying now.  @server_id (may be NULL) receives the target server of
 * the oldest one (NULL when none waits); borrowed until the queue
 * changes.
 */
PDM_API size_t pdm_ctx_pending_alerts(const pdm_ctx *ctx,
                                      const char **server_id);

/**
 * pdm_session_open() - start a session (verifies a package 0 if given).
 * A package 0 that verifies is then asked about as a notification, as
 * pdm_ctx_notification_admit does (PDM_OP_SESSION with
 * PDM_REQ_NOTIFICATION; one "Notify" audit row, allowed or refused with
 * the deciding component); the session itself is asked later as always.
 * Returns PDM_OK, PDM_ENOTFOUND (no such account), PDM_EAUTH (package 0
 * digest wrong, or signed with the resynchronisation nonce after it was
 * turned off: refused and audited), PDM_EDENIED (a policy refused the
 * notification or the session, or @ctx cannot run its profile's
 * policies: pdm_ctx_open failed or PDM_CTX_NO_PLUGINS), PDM_EPARSE (malformed package 0), PDM_EEXISTS
 * (this package 0 session id was already handled), PDM_ENOTSUP (a
 * package 0 in a context without a store), PDM_ENOMEM.  On failure *out
 * is still
 * set (for pdm_session_error) unless NULL; close it in every case.
 */
PDM_API int pdm_session_open(pdm_session **out, pdm_ctx *ctx,
                             const pdm_session_opts *opts);

/** What pdm_ctx_notification_admit found.  The core zeroes it (keeping
 *  struct_size, which the caller sets).  Never a secret. */
typedef struct pdm_notification {
    uint32_t struct_size; /**< set by the caller */
    uint32_t reserved0;   /**< 0 */
    /** Admitted or refused by a policy: the account's ServerID.  Refused
     *  before it was verified: the ServerID the package claims (not
     *  proven: do not blame that server), or "" when it did not parse. */
    char server_id[256];
    /** Admitted: the package's session id ("1A2B"), to open the session
     *  with (PDM_SESSION_SERVER_INITIATED and opts.session_id). */
    char session_id[8];
    /** Refused: why ("refused by <component>: <reason>" for a policy). */
    char why[300];
} pdm_notification;

/**
 * pdm_ctx_notification_admit() - verify and admit a package 0 (the body
 * of a WAP push the integrator received: an
 * application/vnd.syncml.notification) without opening a session yet, so
 * that nothing unverified reaches the integrator's queue (the reference
 * agent's intake).  It is checked exactly as pdm_session_open checks
 * opts.pkg0: the digest against the account's server credentials, the
 * resynchronisation nonce only while the profile allows it, the replay
 * window; then the policies are asked PDM_OP_SESSION with
 * PDM_REQ_NOTIFICATION.  Admitted, the notification is recorded as
 * handled (a second admit, or a pdm_session_open with it, is refused as
 * a replay) with one "Notify" audit row: run its session with
 * PDM_SESSION_SERVER_INITIATED, @out->server_id and @out->session_id (no
 * second policy question about the notification).  Refused after it was
 * verified (a policy): audited as the server's with the deciding
 * component, and still recorded as handled.  Refused before (malformed,
 * unknown server, bad digest, replay): neither logged nor audited, since
 * anyone can send one; the caller reports it, rate-limited.
 * Returns PDM_OK; PDM_EPARSE (malformed); PDM_ENOTFOUND / PDM_EINVAL (no
 * such account; PDM_EINVAL also for NULL or too small @out); PDM_EAUTH
 * (bad digest, no server credentials); PDM_EEXISTS (replay);
 * PDM_EDENIED (a policy, or @ctx cannot run its policies); PDM_ENOTSUP
 * (a context without a store cannot refuse replays); a store error
 * (nothing recorded).
 */
PDM_API int pdm_ctx_notification_admit(pdm_notification *out, pdm_ctx *ctx,
                                       const uint8_t *pkg0, size_t len);
/** Produces the next client message into @out; out->body == NULL means
 *  the session is over.  Returns PDM_OK or an error. */
PDM_API int pdm_session_next(pdm_session *s, pdm_message *out);
/** Processes the server's reply to the last message.  @hmac is the
 *  x-syncml-hmac header value or NULL.  Returns PDM_OK (call next again)
 *  or an error: the session is then over.  In both cases, when the client
 *  gives up on a session whose transport still works (a message it cannot
 *  accept, failed authentication, a refused RespURI, a policy refusal),
 *  the next pdm_session_next gives one last message, the session abort
 *  (Alert 1223), to send without waiting for an answer. */
PDM_API int pdm_session_reply(pdm_session *s, const uint8_t *body,
                              size_t len, const char *content_type,
                              const char *hmac);
/** What the integrator's transport verified about the connection that
 *  carries one message.  Set struct_size = sizeof(pdm_transport_info) and
 *  zero what you do not know.  Growable: fields are only appended. */
typedef struct pdm_transport_info {
    uint32_t struct_size;    /**< sizeof(pdm_transport_info) */
    uint32_t flags;          /**< PDM_TRANSPORT_* */
    /** Negotiated protocol, e.g. "TLS1.3"; NULL or "" for plain HTTP. */
    const char *tls_version;
    /** The peer's public-key pin, "sha256//<base64 of the SHA-256 of its
     *  SubjectPublicKeyInfo>" (one entry, the form of CURLOPT_PINNEDPUBLICKEY
     *  and `certtool --pubkey-info`), or NULL when not TLS or unknown. */
    const char *key_pin;
} pdm_transport_info;

/** The peer's certificate chain and host name were verified (the
 *  reference transport always verifies, so a TLS connection it made is
 *  verified).  Without it TLS counts as plain HTTP for policies. */
#define PDM_TRANSPORT_VERIFIED 0x1u

/**
 * pdm_session_set_transport() - report the connection of the message in
 * flight: call it after pdm_session_next, once the connection (TLS
 * handshake) is up and, when the transport allows it, before the message
 * is sent (libcurl: CURLOPT_PREREQFUNCTION, which runs for new and reused
 * connections alike); at the latest before pdm_session_reply for the
 * answer that came over it.  Facts hold for one message: pdm_session_next
 * forgets them, so a RespURI to another address never inherits them.
 *
 * Policies get PDM_REQ_TLS (TLS and PDM_TRANSPORT_VERIFIED) and
 * pdm_policy_req::key_pin from them, in the session request and in every
 * command request of the server's answer.  When the facts differ from
 * those the session policy last decided on (first report, another key,
 * TLS lost), the session policy is asked again.  Everything in @ti is
 * copied.
 *
 * Returns PDM_OK; PDM_EDENIED when the session policy refuses the session
 * with these facts (the session is over, audited: do not send the
 * message); PDM_EINVAL for a NULL or too small @ti, a malformed key_pin,
 * or a session that is over (reporting the connection of the session
 * abort message is accepted and changes nothing).
 */
PDM_API int pdm_session_set_transport(pdm_session *s,
                                      const pdm_transport_info *ti);
/** Tells the session the transport failed; it ends without committing the
 *  package in progress. */
PDM_API void pdm_session_transport_failed(pdm_session *s, int rc);
/**
 * pdm_session_transport_error() - as pdm_session_transport_failed, with
 * the transport's own words: @why (one line, never a secret, e.g. "SSL
 * certificate problem: unable to get local issuer certificate") becomes
 * the session's error ("transport: <why>", pdm_session_error) and goes
 * into its audit row.  @why NULL or "" is pdm_session_transport_failed.
 * PDM_ECANCELLED means the integrator stopped the session (shutdown).
 */
PDM_API void pdm_session_transport_error(pdm_session *s, int rc,
                                         const char *why);
/** The transport retried a request of this session and then got through:
 *  @why (the first failure, e.g. "server answered HTTP 500") is kept as
 *  the session's first cause, so that a later error names it first
 *  ("<why> (retried); then: ...").  Only the first call counts; NULL or
 *  "" is ignored. */
PDM_API void pdm_session_transport_retried(pdm_session *s, const char *why);

/** pdm_session_info::flags: the session is over (pdm_session_result says
 *  how); a message pdm_session_next still gives is the session abort
 *  (Alert 1223), sent without waiting for an answer. */
#define PDM_SESSION_INFO_OVER 0x1u

/** A session's identity and state (pdm_session_get_info).  The core
 *  zeroes it (keeping struct_size, which the caller sets). */
typedef struct pdm_session_info {
    uint32_t struct_size;    /**< sizeof(pdm_session_info), set by the
                                  caller */
    uint32_t flags;          /**< PDM_SESSION_INFO_* */
    /** The server's ServerID ("" when no account was found). */
    char server_id[256];
    /** The SessionID as sent ("1A2B"), "" before it was chosen. */
    char session_id[8];
} pdm_session_info;

/**
 * pdm_session_get_info() - who the session is with and whether it is over
 * (for log lines and trace folders; the session's own outcome is
 * pdm_session_result).
 * Returns PDM_OK, PDM_EINVAL (NULL, too small @out).
 */
PDM_API int pdm_session_get_info(pdm_session_info *out,
                                 const pdm_session *s);

/**
 * pdm_session_decline() - the integrator does not run a session it opened
 * (a server-initiated one the user declined, asked because its package 0
 * is in user-interaction mode: pdm_notification_parse): the session ends
 * before its first message with result PDM_ECANCELLED and error @reason,
 * audited as one row of the server's (op "Session", "deny", component
 * "session", @reason).  Close it next.
 * @reason: one line, at most 255 bytes, never a secret.
 * Returns PDM_OK; PDM_EINVAL (NULL, a reason that is not one line of
 * text or too long, a session that is over or whose first message
 * pdm_session_next already gave).
 */
PDM_API int pdm_session_decline(pdm_session *s, const char *reason);
/** Outcome: PDM_OK if the session ended normally, else why not. */
PDM_API int pdm_session_result(const pdm_session *s);
/** Message describing the outcome (borrowed). */
PDM_API const char *pdm_session_error(const pdm_session *s);
PDM_API void pdm_session_close(pdm_session *s);

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_POLYDM_H */
