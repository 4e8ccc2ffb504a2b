/*
 * polydm SDK — policy components (PDM_KIND_POLICY).
 *
 * A policy *restricts*.  For every request the core first applies the
 * node's ACL (for servers) or the spec's rule (for local and bootstrap
 * principals); only if that grants does it ask each policy component in
 * profile order.  Each answers ALLOW, DENY or ABSTAIN:
 *   - any DENY vetoes the request (it is audited with the component name and
 *     the verdict's reason);
 *   - any return other than PDM_OK (an error, a positive value), or a
 *     decision value the core does not know, counts as DENY (fail closed);
 *   - a context that cannot run the profile's policies (opened with
 *     PDM_CTX_NO_PLUGINS) refuses every request they would decide;
 *   - ALLOW and ABSTAIN let the request go on.  ALLOW can never override an
 *     ACL denial: policies add restrictions, never bypasses.
 *
 * Ownership and versioning rules: see <polydm/plugin.h>.
 */
#ifndef POLYDM_POLICY_H
#define POLYDM_POLICY_H

#include <stddef.h>

#include <polydm/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Flags of a policy request. */
#define PDM_REQ_TLS 0x1u          /**< transport is TLS (server verified) */
#define PDM_REQ_AUTHENTICATED 0x2u /**< the server passed authentication */
#define PDM_REQ_IN_ATOMIC 0x4u    /**< inside an Atomic */
/** The device is locked (S1): the core's stored lock level is not
 *  PDM_LOCK_NONE (pdm_host_api::set_lock, since 1.4); set on every
 *  request. */
#define PDM_REQ_DEVICE_LOCKED 0x8u
/** PDM_OP_SESSION (since 1.3): a package 0 (notification) whose digest
 *  verified asks for a session; server_id and address are its account's.
 *  No transport facts exist yet (no PDM_REQ_TLS, no key_pin): a policy
 *  must not deny for their absence, the session itself is asked again
 *  with them.  A DENY refuses the notification (nothing is queued). */
#define PDM_REQ_NOTIFICATION 0x10u

/**
 * A request a policy is asked about.  Built by the core; every pointer is
 * borrowed for the duration of check() (rule 1); absent values are NULL.
 * Growable: read only fields within struct_size.
 */
typedef struct pdm_policy_req {
    uint32_t struct_size;   /**< sizeof as known to the core */
    uint32_t op;            /**< a pdm_op */
    uint32_t principal;     /**< a pdm_principal */
    uint32_t flags;         /**< PDM_REQ_* */
    const char *server_id;  /**< ServerID for PDM_PRINCIPAL_SERVER; the
                                 bootstrap's target ServerID for
                                 PDM_OP_BOOTSTRAP; else NULL */
    const char *uri;        /**< target node URI, absolute and
                                 normalised: "./A/B", root "." (the same
                                 form MO handlers get); or NULL */
    const char *node_owner; /**< authority that created the target node
                                 (or its nearest existing ancestor): a
                                 ServerID, "local", "factory" or
                                 "bootstrap:<source>"; or NULL */
    const char *root_owner; /**< authority that owns root, or NULL */
    const char *source;     /**< for bootstrap: the bootstrap source
                                 component ("plugin/component"); or NULL */
    uint32_t sec;           /**< for bootstrap: a pdm_sec value */
    uint32_t origin;        /**< for bootstrap: a pdm_bootstrap_origin */
    const char *address;    /**< server address (URL) when known */
    const char *detail;     /**< op-specific text, e.g. the new ACL value
                                 for PDM_OP_ACL_EDIT, the new owner for
                                 PDM_OP_TAKEOVER; never a secret */
    const char *key_pin;    /**< TLS public-key pin of the peer
                                 ("sha256//..."), when known */
    /* since 1.3 */
    /** For PDM_OP_BOOTSTRAP and PDM_OP_TAKEOVER: the origins of the DM
     *  accounts that exist now, as a mask of 1u << pdm_bootstrap_origin
     *  (from the core's record of how each account came: a factory
     *  account counts as PDM_ORIGIN_FACTORY); 0 otherwise. */
    uint32_t account_origins;
    /** For PDM_OP_BOOTSTRAP, PDM_OP_TAKEOVER by a bootstrap and
     *  PDM_OP_TRANSFER: 1 when the account named by server_id exists
     *  already (a re-bootstrap replaces it), else 0. */
    uint32_t account_exists;
    /** For PDM_OP_BOOTSTRAP: the document's MIME type, e.g.
     *  "application/vnd.wap.connectivity-wbxml" (OMA CP) or
     *  "application/vnd.syncml.dm+wbxml" (DM profile); else NULL. */
    const char *content_type;
    /* since 1.4 (the lost-device services) */
    /** While the device is locked (PDM_REQ_DEVICE_LOCKED): the ServerID
     *  the core's lock record names as the one that ordered the lock
     *  (host set_lock's server_id, or the server whose command the
     *  locking MO method handled: pdm_lock_info.server_id); NULL when
     *  unlocked or when the record names no server.  It stays what it
     *  was when the lock was set, whatever happens to root ownership or
     *  to that server's account meanwhile. */
    const char *lock_server;
} pdm_policy_req;

/** Policy vtable (kind PDM_KIND_POLICY).  Growable. */
typedef struct pdm_policy_ops {
    pdm_ops_head head; /**< sizeof this vtable and its kind */
    /**
     * check() - decide on @req.
     * @out: (out) zeroed by the core; set out->decision and, for DENY, a
     *       reason.
     * May read the tree with host->tree_read: those reads are answered
     * without asking the policies again (no recursion).
     * Returns PDM_OK; anything else counts as DENY, and so does a
     * decision that is not a pdm_decision value or out->reserved left
     * non-zero.  Required.
     */
    int (*check)(void *inst, const pdm_policy_req *req, pdm_verdict *out);
} pdm_policy_ops;

/** Size of the ABI 1.0 vtable (fixed forever): the smallest the core
 *  accepts.  Never sizeof(): that grows when methods are appended. */
#define PDM_POLICY_OPS_SIZE_1_0 \
    (offsetof(pdm_policy_ops, check) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_POLICY_H */
