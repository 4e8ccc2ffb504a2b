/*
 * polydm SDK — the plugin ABI: entry symbol, descriptor, components and the
 * host services table.
 *
 * A plugin is a shared object (or, in a static firmware build, an archive)
 * that provides one or more *components*: bootstrap sources, authorities,
 * policies and MO handlers (one header per kind: bootstrap.h, authority.h,
 * policy.h, mo.h).  It exports exactly one symbol, `pdm_plugin_entry`, which
 * returns a pointer to a `static const pdm_plugin_desc`.  The entry function
 * must do nothing else, so that `polydm plugins inspect` and
 * `polydm profile check` can read a descriptor without running plugin logic.
 * Write it with PDM_PLUGIN_DEFINE() as the last line of the plugin.
 *
 * ===================== Versioning (ABI major.minor) ======================
 *  - The core accepts a plugin when plugin abi_major == PDM_ABI_MAJOR and
 *    plugin abi_minor <= the core's PDM_ABI_MINOR.  Anything else is refused
 *    with a message that names the file and both versions.
 *  - Every growable struct starts with `uint32_t struct_size` and only grows
 *    at its end.  The side that reads a struct supplied by the other side
 *    uses only the fields that fit in `struct_size` (the core copies
 *    min(struct_size, sizeof) into a zeroed copy, so unknown new fields read
 *    as 0/NULL).  Methods added after 1.0 are called only when they fit in
 *    the vtable's struct_size and are non-NULL.
 *  - Structs used as array elements (pdm_component, pdm_option_desc) or
 *    embedded by value (pdm_ops_head, pdm_blob, pdm_verdict) never change
 *    size; they carry reserved slots instead.  Reserved slots must be
 *    0/NULL and flags may hold only bits defined by the plugin's ABI
 *    minor: the loader refuses anything else, naming plugin, component
 *    (or option, MO node) and field, so that a later minor can give them
 *    a meaning.
 *  - Changing or removing anything bumps PDM_ABI_MAJOR (see docs/abi.md).
 *
 * ===================== Ownership and lifetime rules ======================
 *  1. Borrowed by default.  A pointer passed into a plugin function (and a
 *     pointer a host function passes back, unless stated otherwise) is valid
 *     only until that call returns.  To keep it, copy it with host->strdup
 *     or host->alloc.  Where a longer lifetime is guaranteed the
 *     documentation says so explicitly ("valid until fini").
 *  2. Out parameters belong to the receiver.  A plugin fills pdm_blob
 *     values, strings and arrays it hands to the core with memory from
 *     host->alloc/host->strdup; the core releases them with host->free.
 *     Nobody frees memory from the other side with libc free().
 *  3. Ownership transfers only on success.  If a function that would take
 *     ownership of an out value returns anything but success (rule 8), the
 *     plugin must free what it allocated and leave the out value empty;
 *     the core ignores the out value (it never frees nor reads it).  The
 *     same holds the other way: a host function that fails leaves its out
 *     value empty.
 *  4. Static plugin data (descriptor, components, vtables, option tables,
 *     strings in them) must be `static const` and stay valid for as long as
 *     the module is loaded.  The entry function never returns heap memory.
 *  5. Instances: the core calls a component's `destroy` exactly once for
 *     every successful `create`, and never after a failed one.  `create`
 *     cleans up after itself on failure.  `fini` is called once after every
 *     instance of the plugin has been destroyed, and only if `init`
 *     succeeded.  Closing a context stops its plugins before anything
 *     else: in destroy and fini the host services still work (key/value
 *     data, log, errors, status, options, Generic Alerts, which are kept
 *     for the next session), except tree_read (PDM_ENOTSUP: the tree's
 *     policies and handlers are the plugins being stopped) and ask_pin
 *     (PDM_ENOTSUP: no prompt while a context starts or stops).
 *  6. Threading: in ABI 1.x every plugin function is called from the one
 *     engine thread, never concurrently.  Host functions may only be called
 *     from that thread, during a call from the core (or from `init`).
 *  7. Secrets: plugins must never log or put into error text, verdict
 *     reasons or status messages any AAuthSecret, nonce, PIN or key.
 *  8. Results: PDM_OK (0) is the only success, and PDM_PENDING only where
 *     a method says so (mo.h exec).  Any other value (negative, positive,
 *     or one the core does not know) is a failure: the core treats it as
 *     that error or PDM_ERROR, a policy's check as DENY, and ignores out
 *     values (rule 3).
 *  9. Host table and plugin context: the pdm_host_api table is one static
 *     object of the core, the same for every context, valid while the core
 *     is loaded; a plugin may keep the pointer, even in a static variable.
 *     Everything that belongs to one context (its options, log, key/value
 *     data, tree) is reached through the pdm_plugin_ctx passed to init,
 *     create and every host function.  A module can be loaded by several
 *     contexts at once (each runs init with its own pdm_plugin_ctx): keep
 *     the pdm_plugin_ctx in plugin_data or the instance, never in a static.
 */
#ifndef POLYDM_PLUGIN_H
#define POLYDM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <polydm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major version: a plugin must be built with the same major. */
#define PDM_ABI_MAJOR 1
/** ABI minor version: a plugin's minor must not exceed the core's. */
#define PDM_ABI_MINOR 4

/** Name of the one symbol a plugin module exports. */
#define PDM_PLUGIN_ENTRY_SYMBOL "pdm_plugin_entry"

/**
 * Opaque per-plugin context.  The core creates one for each loaded plugin
 * of each context and passes it to init/fini/create; the plugin passes it
 * to every host function, so that logs, errors, options and key/value data
 * are attributed to the plugin and the context.  Valid from init until
 * fini returns (rule 9: one per context, never keep it in a static).
 */
typedef struct pdm_plugin_ctx pdm_plugin_ctx;

/** Component kinds.  Append-only; 0 terminates a component array. */
typedef enum pdm_kind {
    PDM_KIND_END = 0,       /**< terminator of a component array */
    PDM_KIND_BOOTSTRAP = 1, /**< bootstrap source (bootstrap.h) */
    PDM_KIND_AUTHORITY = 2, /**< authority model (authority.h) */
    PDM_KIND_POLICY = 3,    /**< policy (policy.h) */
    PDM_KIND_MO = 4         /**< management-object handler (mo.h) */
} pdm_kind;

/**
 * The head every component vtable starts with.  Embedded by value, so it
 * never changes (ABI 1.0 forever).
 */
typedef struct pdm_ops_head {
    /** sizeof the whole vtable as compiled into the plugin.  Must be at
     *  least the 1.0 size of that kind's vtable. */
    uint32_t struct_size;
    /** Must equal the kind of the component that points at this vtable. */
    uint32_t kind;
    /**
     * create() - make an instance of the component.
     * @pc:          (in) the plugin context.
     * @plugin_data: (in) what init stored in *plugin_data (may be NULL).
     * @inst:        (out) the instance handle, passed back to every method
     *               and to destroy.  May be set to NULL for stateless
     *               components.
     * Returns PDM_OK, or a negative pdm_rc after calling host->set_error.
     * Optional: NULL means "stateless; inst is NULL".
     * The key/value services already work here (the store opens before
     * plugins start); the management tree does not exist yet, so
     * tree_read returns PDM_ENOTSUP.
     */
    int (*create)(pdm_plugin_ctx *pc, void *plugin_data, void **inst);
    /** destroy() - release an instance made by create.  Host services
     *  work as described in rule 5 (no tree_read).  Optional. */
    void (*destroy)(void *inst);
} pdm_ops_head;

/**
 * One component of a plugin.  Array element: fixed size forever.
 * A plugin's components are an array terminated by an element whose kind is
 * PDM_KIND_END.
 */
typedef struct pdm_component {
    uint32_t kind;             /**< a pdm_kind value */
    uint32_t flags;            /**< 0 in ABI 1.0 (refused otherwise) */
    const char *name;          /**< unique within the plugin, e.g. "lock" */
    const pdm_ops_head *ops;   /**< the kind's vtable; never NULL */
    const void *reserved[2];   /**< NULL (refused otherwise) */
} pdm_component;

/** Flags of a declared option. */
#define PDM_OPTION_REQUIRED 0x1u /**< profile check fails if absent */
/** The value is never printed or logged: `plugins inspect` shows the option
 *  as "(secret)" without its default (JSON: "secret": true, "default":
 *  null), `profile check` warns when the profile holding a value is readable
 *  by group or others, and the core wipes option values when it frees the
 *  profile.  The plugin must not log the value either. */
#define PDM_OPTION_SECRET 0x2u

/**
 * One option a plugin accepts from its profile section
 * (`option.<key> = value`).  Declaring options lets `polydm profile check`
 * reject unknown or missing keys without running the plugin.  Array element:
 * fixed size forever; an element with key == NULL terminates the array.
 */
typedef struct pdm_option_desc {
    const char *key;         /**< e.g. "path" (without "option.") */
    const char *help;        /**< one line for `plugins inspect` */
    const char *def;         /**< default value shown in help, or NULL */
    uint32_t flags;          /**< PDM_OPTION_* */
    uint32_t reserved0;      /**< 0 (refused otherwise) */
    const void *reserved[2]; /**< NULL (refused otherwise) */
} pdm_option_desc;

typedef struct pdm_host_api pdm_host_api;

/**
 * The plugin descriptor: `static const` in the plugin, returned by the entry
 * function.  Growable: new fields are appended (see the versioning rules).
 */
typedef struct pdm_plugin_desc {
    uint32_t struct_size; /**< sizeof(pdm_plugin_desc) at build time */
    uint16_t abi_major;   /**< PDM_ABI_MAJOR at build time */
    uint16_t abi_minor;   /**< PDM_ABI_MINOR at build time */
    /** Unique plugin id: [a-z0-9-]+, equal to the module file name without
     *  ".so" (the loader refuses a mismatch).  Profiles name plugins by it. */
    const char *name;
    const char *version; /**< the plugin's own version, informational */
    const char *summary; /**< one line describing the plugin */
    const pdm_component *components; /**< terminated by PDM_KIND_END */
    const pdm_option_desc *options;  /**< terminated by key NULL; or NULL */
    /**
     * init() - called once after loading, before any create().
     * @pc:          (in) the plugin context, valid until fini returns.
     * @host:        (in) host services: the core's one static table
     *               (rule 9).  Store it.
     * @plugin_data: (out) plugin-wide state passed to create and fini.
     * Returns PDM_OK or a negative pdm_rc (call host->set_error first to say
     * why); on failure the plugin is unloaded and fini is not called.
     * Optional (NULL: nothing to initialise).
     */
    int (*init)(pdm_plugin_ctx *pc, const pdm_host_api *host,
                void **plugin_data);
    /** fini() - called once before unloading if init succeeded, after
     *  every instance was destroyed; host services as in rule 5.
     *  Optional. */
    void (*fini)(pdm_plugin_ctx *pc, void *plugin_data);
} pdm_plugin_desc;

/** Size of the ABI 1.0 descriptor: the smallest the core accepts. */
#define PDM_PLUGIN_DESC_SIZE_1_0 \
    (offsetof(pdm_plugin_desc, fini) + sizeof(void (*)(void)))

/* pdm_generic_alert (a Generic Alert to send) is in <polydm/types.h>:
 * integrators queue alerts too (pdm_ctx_queue_alert). */

/**
 * Services the core offers to plugins.  One static table of the core,
 * shared by every context and valid while the core is loaded (rule 9);
 * the context a call is for is its pdm_plugin_ctx argument.  Append-only:
 * test for members added after 1.0 with PDM_HOST_HAS(host, member).
 */
struct pdm_host_api {
    uint32_t struct_size; /**< sizeof(pdm_host_api) in the core */
    uint16_t abi_major;   /**< the core's PDM_ABI_MAJOR */
    uint16_t abi_minor;   /**< the core's PDM_ABI_MINOR */

    /** Memory for everything that crosses the ABI (rules 2 and 3).
     *  alloc returns NULL on failure; free(NULL) is a no-op; strdup(NULL)
     *  returns NULL.  (since 1.0) */
    void *(*alloc)(size_t n);
    void (*free)(void *p);           /**< see alloc */
    char *(*strdup)(const char *s);  /**< see alloc */

    /** Writes a log line attributed to the plugin.  @level is a
     *  pdm_log_level.  Never pass secrets.  (since 1.0) */
    void (*log)(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
        PDM_PRINTF(3, 4);
    /** Records why the current call fails; the core shows it with the
     *  plugin name when the call returns @rc.  (since 1.0) */
    void (*set_error)(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
        PDM_PRINTF(3, 4);
    /** Reports a lasting condition ("SIM bootstrap unavailable: no card"),
     *  shown by `polydm status`.  @severity is a pdm_log_level.  (1.0) */
    void (*status)(pdm_plugin_ctx *pc, int severity, const char *msg);

    /** Returns the value of `option.<key>` of the plugin's profile section,
     *  or NULL if absent.  Borrowed; valid until fini.  (since 1.0) */
    const char *(*get_option)(pdm_plugin_ctx *pc, const char *key);

    /**
     * tree_read() - read a leaf value of the management tree (no ACL check:
     * this is the device reading itself).  AAuthSecret/AAuthData are never
     * returned (PDM_EDENIED).  Called from a policy's check(), the read is
     * answered without asking the policies again (no recursion); reads
     * that nest through MO handlers' get() more than 4 deep fail with
     * PDM_EBUSY.
     * @out: (out) the value, owned by the caller (free with host->free).
     * Returns PDM_OK, PDM_ENOTFOUND, PDM_EDENIED, PDM_ENOMEM, PDM_EBUSY,
     * or PDM_ENOTSUP in create, destroy and fini (no tree).  (1.0)
     */
    int (*tree_read)(pdm_plugin_ctx *pc, const char *uri, pdm_blob *out);

    /** Milliseconds of a monotonic clock.  (since 1.0) */
    uint64_t (*now_ms)(void);
    /** Fills @buf with @n cryptographically random bytes.  (1.0) */
    int (*random)(void *buf, size_t n);
    /** pdm_strerror() for plugins (plugins do not link the core).  (1.0) */
    const char *(*strerror)(int rc);

    /**
     * Persistent key/value data private to the plugin.  kv_put and kv_del
     * are written to the store at once, each its own transaction, inside
     * a session too: they are not part of the current package.  Nothing
     * of the tree's undoes them (a failed Atomic, a package rolled back
     * or whose commit fails, a session that ends before its package is
     * committed): an MO handler that writes here from replace/exec puts
     * the data back in rollback() (mo.h), which brackets both packages
     * and Atomics.
     * kv_get: @out owned by the caller; PDM_ENOTFOUND if absent.
     * kv_put: copies @val.  kv_del: PDM_OK even if absent.  (since 1.0)
     */
    int (*kv_get)(pdm_plugin_ctx *pc, const char *key, pdm_blob *out);
    int (*kv_put)(pdm_plugin_ctx *pc, const char *key, const void *val,
                  size_t len); /**< see kv_get */
    int (*kv_del)(pdm_plugin_ctx *pc, const char *key); /**< see kv_get */

    /**
     * generic_alert() - queue a Generic Alert (1226) for one server: sent in
     * the current session if it is with that server, else in the next
     * session with it (the agent starts one).  A NULL @ga->server_id means
     * the server of the accepted (202) Exec the alert reports by its
     * correlator/source_uri, else the server whose command the plugin's
     * MO method is handling now; otherwise it is refused (the rules are
     * at pdm_generic_alert).  Copies everything.  Returns PDM_OK,
     * PDM_EINVAL (struct too small, no type or format, reserved0 not 0,
     * a string that is not text or too long, no server or an ambiguous
     * one), PDM_ENOSPC (the alert queue is full for that server or in
     * all: see pdm_generic_alert; queued alerts are kept, retry after a
     * session with the server), PDM_ENOMEM.  (since 1.0)
     */
    int (*generic_alert)(pdm_plugin_ctx *pc, const pdm_generic_alert *ga);

    /**
     * ask_pin() - ask the device's user for a PIN the plugin needs, e.g.
     * the smart card's PIN before reading a protected file, through the
     * integrator's pin hook (pdm_device_hooks::pin with sec PDM_SEC_NONE,
     * the plugin's name and @tries_left).  The core never sees the PIN
     * again and keeps no copy.
     * @text:       one line to show the user ("Enter the SIM PIN"), UTF-8
     *              without control characters, at most 200 bytes; never a
     *              secret.
     * @tries_left: attempts the plugin's medium still allows before it
     *              blocks (shown to the user), or -1 if unknown (any
     *              negative value reaches the hook as -1).  Asking
     *              does not spend a try; the plugin decides whether to
     *              spend one and must never spend the last one unasked.
     * @buf, @size: (out) the PIN, NUL-terminated.  The plugin wipes it
     *              after use and never logs it.  On any return other than
     *              PDM_OK, @buf holds an empty string.
     * Call only from the context's thread, inside a component method (not
     * from create, destroy, init or fini, and never from a thread of the
     * plugin's own).
     * Returns PDM_OK (an answer that is not empty), PDM_ECANCELLED (the
     * user declined or gave an empty PIN), PDM_ENOTSUP (the device has no
     * PIN prompt, or called from create/destroy/init/fini), PDM_EINVAL
     * (NULL or bad @text, @size 0), or another rc of the hook.  (since 1.2)
     */
    int (*ask_pin)(pdm_plugin_ctx *pc, const char *text, int tries_left,
                   char *buf, size_t size);

    /**
     * root_owner() - the ServerID that owns root: the core's stored fact
     * (set by a bootstrap's grant, a confirmed takeover, the local user's
     * pdm_ctx_takeover/pdm_ctx_transfer; cleared when that account is
     * deleted), the same value pdm_authority_info::root_owner carries.
     * Read it when needed rather than keeping a copy: it changes between
     * calls (a local takeover makes the new owner master at once).
     * @buf, @size: (out) the ServerID, NUL-terminated.  On any return
     *              other than PDM_OK, @buf holds an empty string.
     * Returns PDM_OK, PDM_ENOTFOUND (nobody owns root), PDM_ENOSPC
     * (@size too small for it), PDM_EINVAL (NULL @buf, @size 0), or
     * PDM_ENOTSUP in create, destroy, init and fini (no tree).
     * (since 1.3)
     */
    int (*root_owner)(pdm_plugin_ctx *pc, char *buf, size_t size);

    /* ---- the lost-device services (S1), since 1.4 ---------------------- */

    /**
     * set_lock() - set the device's lock level (a pdm_lock_level), the
     * core's stored fact: written to the store and audited ("DeviceLock",
     * naming the plugin, the level and @server_id) before the call
     * returns, so that a lock is never lost to a crash.  Setting the
     * level it already has changes nothing (no audit row).
     * @server_id: who ordered it, or NULL: the server whose command the
     *             plugin's MO method is handling now (else none).
     * Returns PDM_OK, PDM_EINVAL (unknown level), PDM_EIO, PDM_ENOTSUP in
     * init/fini or in a context without a store.
     */
    int (*set_lock)(pdm_plugin_ctx *pc, uint32_t level,
                    const char *server_id);
    /** get_lock() - the current lock level (PDM_LOCK_NONE when never set).
     *  @level: (out).  Returns PDM_OK or PDM_EINVAL (NULL @level). */
    int (*get_lock)(pdm_plugin_ctx *pc, uint32_t *level);
    /**
     * device_action() - ask the device to act (lock, unlock, wipe,
     * factory reset, capability) through the integrator's
     * pdm_device_hooks::action.  Blocks until the device answers.
     * @reason, @size: (out, optional) the device's one-line reason on
     *              failure; "" on PDM_OK.
     * Returns PDM_OK (done), PDM_ECANCELLED (the user refused: LAWMO
     * 1401), PDM_ENOTSUP (the device has no action hook or cannot do this
     * kind: not performed), PDM_EINVAL (bad struct, kind or fields), or
     * the hook's failure rc.  Every call is logged (never its data) and
     * the reference agent records it in its device-state file.
     */
    int (*device_action)(pdm_plugin_ctx *pc, const pdm_device_action *a,
                         char *reason, size_t size);
    /**
     * wipe_classes() - the data classes the device can wipe, from the
     * integrator's pdm_device_hooks::wipe_classes: names separated by
     * ',' (each [A-Za-z0-9_-], at most 32 bytes), NUL-terminated in @buf.
     * Returns PDM_OK, PDM_ENOTFOUND (the device names none: use your own
     * default), PDM_ENOSPC, PDM_EINVAL.
     */
    int (*wipe_classes)(pdm_plugin_ctx *pc, char *buf, size_t size);
    /**
     * factory_reset() - schedule the core's factory reset (S1): every DM
     * account and node not created by the factory is deleted (the factory
     * tree stays, with the values the factory gave it), nonces, the
     * package 0 and alert queues, pending sessions, bootstrap records and
     * accepted-Exec records are cleared, the lock level becomes
     * PDM_LOCK_NONE and the reset is audited ("FactoryReset").  Plugins'
     * own key/value data is kept (a plugin clears its own when told).
     * The reset is recorded in the store at once and runs when the
     * current session ends (whatever its outcome, so an alert queued
     * before it can still go out in that session), or at once outside a
     * session, or when the context next opens if it was interrupted.
     * Call pdm_device_action with PDM_DEVACT_FACTORY_RESET first.
     * Returns PDM_OK, PDM_EIO, PDM_ENOTSUP (no store, or init/fini).
     */
    int (*factory_reset)(pdm_plugin_ctx *pc);
};

/** True if @h offers member @fn (added in some 1.x) and it is non-NULL. */
#define PDM_HOST_HAS(h, fn)                                       \
    ((h) != NULL &&                                               \
     (h)->struct_size >= offsetof(pdm_host_api, fn) + sizeof((h)->fn) && \
     (h)->fn != NULL)

/** Type of the entry function. */
typedef const pdm_plugin_desc *(*pdm_plugin_entry_fn)(void);

/* ---- defining a plugin -------------------------------------------------- */

#if defined(__GNUC__)
#define PDM_PLUGIN_HIDDEN __attribute__((visibility("hidden")))
#define PDM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PDM_PLUGIN_HIDDEN
#define PDM_PLUGIN_EXPORT
#endif

#if defined(PDM_PLUGIN_BUILD_MODULE)
#define PDM__PLUGIN_MODULE_ENTRY(id)                                       \
    PDM_PLUGIN_EXPORT const pdm_plugin_desc *pdm_plugin_entry(void);        \
    PDM_PLUGIN_EXPORT const pdm_plugin_desc *pdm_plugin_entry(void)         \
    {                                                                       \
        return pdm_plugin_##id##_entry();                                   \
    }
#else
#define PDM__PLUGIN_MODULE_ENTRY(id)
#endif

/**
 * PDM_PLUGIN_DEFINE(id, desc) - the last line of every plugin.
 * @id:   the plugin name with '-' written as '_' (as the static registry
 *        derives it).  It is only pasted into pdm_plugin_<id>_entry, so it
 *        may start with a digit: "3gpp2_takeover" for "3gpp2-takeover".
 * @desc: the `static const pdm_plugin_desc` object.
 *
 * Always defines the hidden `pdm_plugin_<id>_entry()` used by a static build's
 * generated registry; when built as a MODULE (polydm_add_plugin() defines
 * PDM_PLUGIN_BUILD_MODULE) also the exported `pdm_plugin_entry()`.
 */
#define PDM_PLUGIN_DEFINE(id, desc)                                         \
    PDM_PLUGIN_HIDDEN const pdm_plugin_desc *pdm_plugin_##id##_entry(void); \
    PDM_PLUGIN_HIDDEN const pdm_plugin_desc *pdm_plugin_##id##_entry(void)  \
    {                                                                       \
        return &(desc);                                                     \
    }                                                                       \
    PDM__PLUGIN_MODULE_ENTRY(id)

/** Initialiser for a descriptor's head fields. */
#define PDM_PLUGIN_DESC_HEAD                                             \
    sizeof(pdm_plugin_desc), PDM_ABI_MAJOR, PDM_ABI_MINOR

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_PLUGIN_H */
