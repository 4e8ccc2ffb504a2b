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
 *   - whether a root owner may change nodes another authority created
 *     (override; used by the authority-isolation rule of S11).
 * The core applies the answers (writing ACLs, recording owners, auditing);
 * the component never touches the tree itself.  Without any authority
 * component the core behaves as the spec's default: root ACL
 * "Add=*&Get=*", nobody owns root, each authority keeps its own subtree, no
 * takeover, no override.
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
    uint32_t struct_size;
    uint32_t origin;          /**< pdm_bootstrap_origin that created it */
    uint32_t sec;             /**< pdm_sec of its bootstrap (or NONE) */
    uint32_t flags;           /**< 0 in 1.0 */
    const char *server_id;    /**< its ServerID */
    const char *account_uri;  /**< its DMAcc node, e.g. "./DMAcc/1" */
    const char *address;      /**< its server address, or NULL */
    const char *root_owner;   /**< current root owner ServerID, or NULL */
    const char *source;       /**< bootstrap source component, or NULL */
} pdm_authority_info;

/**
 * What the component wants done after a bootstrap created or changed an
 * account.  Zeroed with struct_size set by the core; strings are
 * host->alloc'd and become the core's on PDM_OK only (rules 2 and 3: on
 * any other return the component frees them and the core ignores the
 * grant).  NULL fields mean "no change".
 */
typedef struct pdm_authority_grant {
    uint32_t struct_size;
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
    pdm_ops_head head;
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
     * The core still asks the user to confirm and asks the policies.
     * Optional: NULL means takeover is never allowed.
     */
    int (*takeover)(void *inst, const pdm_authority_info *to,
                    pdm_verdict *out);
    /**
     * override() - may @actor (a ServerID) change a node created by another
     * authority @owner, where the node's ACL would allow it?
     * @out: (out) ALLOW lets the change go on; DENY or ABSTAIN keeps the
     * isolation rule's denial, and so does a return other than PDM_OK.
     * Optional: NULL means never.
     */
    int (*override)(void *inst, const char *actor, const char *owner,
                    const char *uri, pdm_verdict *out);
} pdm_authority_ops;

/** Size of the ABI 1.0 vtable (fixed forever): the smallest the core
 *  accepts.  Never sizeof(): that grows when methods are appended. */
#define PDM_AUTHORITY_OPS_SIZE_1_0 \
    (offsetof(pdm_authority_ops, override) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_AUTHORITY_H */
