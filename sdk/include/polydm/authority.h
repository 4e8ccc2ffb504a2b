/*
 * polydm SDK — authority components (PDM_KIND_AUTHORITY).
 *
 * An authority is a management server known to the device: its DMAcc
 * account, the source that created it (factory, smart card, CP push, DM
 * push, user), its security level and the subtrees it owns.  Exactly one
 * authority component is active per profile.  It decides:
 *   - which ACLs a newly bootstrapped authority gets, and who owns root
 *     afterwards (on_bootstrap);
 *   - whether the local user may move root ownership to another known
 *     server, e.g. a 3GPP2 "friendly takeover" (takeover);
 *   - whether a server may change nodes another authority created
 *     (override; asked by the authority-isolation rule of S11, below);
 *   - the root ACL of a new tree and ./DMAcc's ACL (defaults, since 1.3).
 *
 * Authority isolation (S11), a core rule: every node records the
 * authority that created it (a ServerID, "factory", "local", or
 * "bootstrap:<plugin>/<component>" for bootstrap nodes that belong to no
 * single account).  When a server's Add (under the nearest existing
 * node), Replace (value or property), Delete (the node or anything in its
 * subtree) or Exec targets a node created by another authority, the core
 * denies it (rule "isolation", audited) even where the ACL allows it,
 * unless override() answers ALLOW.  Get is never isolated: ACLs govern
 * reads.  Nodes inside the server's own DM account are its own whoever
 * created them (the account rules govern them); a node of unknown origin
 * (a store from before owners were recorded) has the owner "".  Root
 * ownership is its own stored fact, separate from who created the root
 * node.
 * The core applies the answers (writing ACLs, recording owners, auditing);
 * the component never touches the tree itself.  Without any authority
 * component the core behaves as the spec's default: root ACL
 * "Add=*&Get=*", nobody owns root, each server keeps its own subtree
 * (isolation denies a server's change to another server's or a
 * bootstrap's nodes; factory and local nodes follow their ACLs), no
 * takeover.
 *
 * Ownership and versioning rules: see <polydm/plugin.h>.
 */
#ifndef POLYDM_AUTHORITY_H
#define POLYDM_AUTHORITY_H

#include <polydm/bootstrap.h>
#include <stddef.h>

#include <polydm/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Facts about an authority, passed to the component.  Borrowed (rule 1).
 *  Growable: read only fields within struct_size. */
typedef struct pdm_authority_info {
    uint32_t struct_size;     /**< set by the core */
    uint32_t origin;          /**< pdm_bootstrap_origin that created it */
    uint32_t sec;             /**< pdm_sec of its bootstrap (or NONE) */
    uint32_t flags;           /**< 0 in 1.0 */
    const char *server_id;    /**< its ServerID */
    const char *account_uri;  /**< its DMAcc node, e.g. "./DMAcc/1" */
    const char *address;      /**< its server address, or NULL */
    const char *root_owner;   /**< current root owner ServerID, or NULL */
    const char *source;       /**< bootstrap source component, or NULL */
    /* since 1.3 */
    /** The home network of the device's subscription, "MCC-MNC" (e.g.
     *  "001-01"), from the IMSI (network_id hook or device.imsi) and the
     *  profile's device.mnc_digits (2 or 3; default 2); NULL when the
     *  device has no IMSI.  The IMSI itself is never given. */
    const char *home_plmn;
} pdm_authority_info;

/** pdm_authority_info::flags (since 1.3): the device is locked (S1); a
 *  takeover should be refused.  Set like PDM_REQ_DEVICE_LOCKED, from the
 *  core's stored lock level (pdm_host_api::set_lock, since 1.4). */
#define PDM_AUTH_INFO_DEVICE_LOCKED 0x1u

/**
 * The tree's authority defaults (defaults(), since 1.3).  Zeroed with
 * struct_size set by the core; strings are host->alloc'd and become the
 * core's on PDM_OK only (rules 2 and 3).  NULL fields mean the spec's
 * default.
 */
typedef struct pdm_authority_defaults {
    uint32_t struct_size; /**< set by the core */
    uint32_t flags;   /**< PDM_DEFAULTS_* */
    /** ACL of the root of a new tree, and the value a root command falls
     *  back to when deleting a ServerID leaves it empty (TND §8.3.7.1.4);
     *  NULL: "Add=*&Get=*" (TND §8.3.7.1.2). */
    char *root_acl;
    /** ACL of the ./DMAcc node itself; NULL: "Get=*". */
    char *dmacc_acl;
} pdm_authority_defaults;

/** Servers may change the root ACL's Add command (by default Add stays
 *  "*" at the root, TND §8.3.7.1.2: a Replace removing it gets 405). */
#define PDM_DEFAULTS_ROOT_ADD_OPEN 0x1u

/**
 * What the component wants done after a bootstrap created or changed an
 * account.  Zeroed with struct_size set by the core; strings are
 * host->alloc'd and become the core's on PDM_OK only (rules 2 and 3: on
 * any other return the component frees them and the core ignores the
 * grant).  NULL fields mean "no change".
 */
typedef struct pdm_authority_grant {
    uint32_t struct_size;  /**< set by the core */
    uint32_t flags;        /**< PDM_GRANT_* */
    char *account_acl;     /**< ACL for the account node (e.g.
                                "Get=srv&Replace=srv&Delete=srv") */
    char *root_acl;        /**< new root ACL, or NULL to keep it */
    char *root_owner;      /**< new root owner ServerID, or NULL to keep */
} pdm_authority_grant;

/** Refuse the bootstrapped account altogether (the core undoes it). */
#define PDM_GRANT_REFUSE 0x1u

/** Authority vtable (kind PDM_KIND_AUTHORITY).  Growable. */
typedef struct pdm_authority_ops {
    pdm_ops_head head; /**< sizeof this vtable and its kind */
    /**
     * on_bootstrap() - a bootstrap created or updated the account @who.
     * @out: (out) see pdm_authority_grant.
     * Returns PDM_OK; anything else makes the core refuse the bootstrap
     * (fail closed).  Required.
     */
    int (*on_bootstrap)(void *inst, const pdm_authority_info *who,
                        pdm_authority_grant *out);
    /**
     * takeover() - the local user asks to make @to the root owner.
     * @out: (out) ALLOW, DENY (with a reason) or ABSTAIN (= deny).
     * A return other than PDM_OK, or an unknown decision, is a denial.
     * The core still asks the user to confirm and asks the policies
     * (PDM_OP_TAKEOVER).  Also asked for the root part of a transfer
     * (pdm_ctx_transfer) when the old authority owns root.
     * @to->flags has PDM_AUTH_INFO_DEVICE_LOCKED while the device is
     * locked.
     * Optional: NULL means takeover is never allowed.
     */
    int (*takeover)(void *inst, const pdm_authority_info *to,
                    pdm_verdict *out);
    /**
     * override() - may @actor (a ServerID) change a node created by another
     * authority @owner ("factory", "local", a ServerID or
     * "bootstrap:<source>"), where the node's ACL would allow it?  @uri is
     * the node ("./A/B").  Asked by the isolation rule (above) once per
     * (command, owner): a Delete of a subtree holding nodes of several
     * authorities asks for each.
     * @out: (out) ALLOW lets the change go on; DENY or ABSTAIN keeps the
     * isolation rule's denial, and so does a return other than PDM_OK.
     * Optional: NULL means never.
     */
    int (*override)(void *inst, const char *actor, const char *owner,
                    const char *uri, pdm_verdict *out);
    /**
     * defaults() - the root ACL of a new tree and ./DMAcc's ACL (see
     * pdm_authority_defaults).  Called once when the context opens, before
     * the factory tree is applied (create() ran; tree_read does not work
     * yet).  An ACL the core cannot parse fails the context's open (fail
     * closed).  Returns PDM_OK or a negative pdm_rc (the open fails).
     * Optional (since 1.3): NULL means the spec's defaults.
     */
    int (*defaults)(void *inst, pdm_authority_defaults *out);
} pdm_authority_ops;

/** Size of the ABI 1.0 vtable (fixed forever): the smallest the core
 *  accepts.  Never sizeof(): that grows when methods are appended. */
#define PDM_AUTHORITY_OPS_SIZE_1_0 \
    (offsetof(pdm_authority_ops, override) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_AUTHORITY_H */
