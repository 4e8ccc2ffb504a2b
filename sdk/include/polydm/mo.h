/*
 * polydm SDK — management-object handler components (PDM_KIND_MO).
 *
 * An MO handler owns the values and the Exec behaviour of one subtree of
 * the management tree, e.g. LAWMO under ./LAWMO or a vendor's FUMO.  The
 * core owns the tree *structure* and every node property (ACL, Format,
 * Type, Title, TStamp, VerNo, owner): it creates the nodes the handler
 * declares, enforces ACLs and policies before any handler call, and stores
 * values of nodes the handler does not claim.  The handler is called only
 * for requests that were already allowed.
 *
 * URIs passed to methods are absolute and normalised ("./LAWMO/State").
 *
 * Ownership and versioning rules: see <polydm/plugin.h>.
 */
#ifndef POLYDM_MO_H
#define POLYDM_MO_H

#include <stddef.h>

#include <polydm/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Node formats (the Format property). */
typedef enum pdm_format {
    PDM_FORMAT_NODE = 0, /**< interior node */
    PDM_FORMAT_CHR = 1,
    PDM_FORMAT_INT = 2,
    PDM_FORMAT_BOOL = 3,
    PDM_FORMAT_BIN = 4,
    PDM_FORMAT_B64 = 5,
    PDM_FORMAT_NULL = 6,
    PDM_FORMAT_XML = 7,
    PDM_FORMAT_DATE = 8,
    PDM_FORMAT_TIME = 9,
    PDM_FORMAT_FLOAT = 10
} pdm_format;

/** Flags of a declared node. */
#define PDM_MO_PERMANENT 0x1u   /**< servers may not Add/Delete it (405) */
#define PDM_MO_HANDLER_VALUE 0x2u /**< value comes from get/replace */
#define PDM_MO_EXEC 0x4u        /**< Exec goes to the exec method */
#define PDM_MO_NO_GET 0x8u      /**< Get on it is not allowed (405) */
#define PDM_MO_NO_REPLACE 0x10u /**< Replace on it is not allowed (405) */

/**
 * One node the handler declares under its base URI.  Array element: fixed
 * size forever; an element with path == NULL terminates the array.  The core
 * creates missing declared nodes when the component is started (they are
 * owned by "factory"), and never deletes them on its own.
 */
typedef struct pdm_mo_node {
    const char *path;    /**< relative to the base, "" = the base itself,
                              e.g. "Operations/FullyLock" */
    uint32_t format;     /**< a pdm_format */
    uint32_t flags;      /**< PDM_MO_* */
    const char *type;    /**< Type property: MIME type for leaves, MO
                              identifier (URN) for interior; or NULL */
    const char *acl;     /**< initial ACL, or NULL (inherit) */
    const char *value;   /**< initial value of a core-stored leaf, or NULL */
    const void *reserved[2]; /**< NULL (refused otherwise) */
} pdm_mo_node;

/** MO handler vtable (kind PDM_KIND_MO).  Growable. */
typedef struct pdm_mo_ops {
    pdm_ops_head head; /**< sizeof this vtable and its kind */
    /** Default base URI, e.g. "./LAWMO"; a profile may override it with
     *  `mo.<component>.base = URI`.  Required. */
    const char *base_uri;
    /** MO identifier for the base node's Type, e.g.
     *  "urn:oma:mo:oma-lawmo:1.0", or NULL. */
    const char *mo_id;
    /** Declared nodes, terminated by path == NULL; or NULL. */
    const pdm_mo_node *nodes;

    /**
     * get() - value of a PDM_MO_HANDLER_VALUE leaf.
     * @out: (out) host->alloc'd bytes, the core's on PDM_OK only; on any
     *       other return the core ignores *out, so free what you allocated
     *       (plugin.h rule 3).
     * Returns PDM_OK, PDM_ENOTFOUND or a negative pdm_rc (any other value
     * is a failure).  Optional.
     */
    int (*get)(void *inst, const char *uri, pdm_blob *out);
    /**
     * replace() - a server (or the local user) sets a PDM_MO_HANDLER_VALUE
     * leaf.  @value is borrowed.  Returns PDM_OK or a negative pdm_rc
     * (e.g. PDM_EINVAL for a bad value); any other value is a failure.
     * Optional (NULL: 405).
     */
    int (*replace)(void *inst, const char *uri, const pdm_blob *value);
    /**
     * exec() - Exec on a PDM_MO_EXEC node.
     * @data: (in) the Exec's Data (may be empty).
     * @correlator: (in) the Exec's Correlator, or NULL.
     * Returns PDM_OK (done: 200), PDM_PENDING (accepted: 202; report the
     * result with host->generic_alert, echoing the correlator and with
     * source_uri = @uri), or a negative pdm_rc; any other value is a
     * failure.  An alert queued during this call with a NULL server_id
     * goes to the server that sent the Exec.  For PDM_PENDING the core
     * records the server, @uri and @correlator in its store (bounded,
     * kept across sessions, package rollbacks and restarts): a later
     * alert with a NULL server_id whose correlator and/or source_uri
     * match that record goes to that server (the record is consumed),
     * whenever and from wherever it is queued; see pdm_generic_alert.
     * Optional (NULL: 405).
     */
    int (*exec)(void *inst, const char *uri, const pdm_blob *data,
                const char *correlator);
    /**
     * notify() - the core added (@op PDM_OP_ADD) or deleted (PDM_OP_DELETE)
     * a node below the base, e.g. a new AvailableWipeList entry.  Returning
     * anything but PDM_OK makes the command fail and be undone.  Optional.
     */
    int (*notify)(void *inst, int op, const char *uri);
    /**
     * begin()/commit()/rollback() - bracket a server package or an Atomic
     * so the handler can undo replace/exec effects that have not been
     * committed.  Nested begin() calls are savepoints.  Optional.
     */
    int (*begin)(void *inst);
    int (*commit)(void *inst);     /**< see begin(); optional */
    void (*rollback)(void *inst);  /**< see begin(); optional */
} pdm_mo_ops;

/** Size of the ABI 1.0 vtable (fixed forever): the smallest the core
 *  accepts.  Never sizeof(): that grows when methods are appended. */
#define PDM_MO_OPS_SIZE_1_0 \
    (offsetof(pdm_mo_ops, rollback) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_MO_H */
