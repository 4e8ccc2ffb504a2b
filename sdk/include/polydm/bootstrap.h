/*
 * polydm SDK — bootstrap source components (PDM_KIND_BOOTSTRAP).
 *
 * A bootstrap source *finds* bootstrap documents: a smart card's
 * EF(DM_Bootstrap), an OMA CP document received by WAP push or read from a
 * file, a factory file.  It hands the core the raw bytes, their content type
 * and the security metadata that came with them (SEC method and MAC).  It
 * never validates: MAC/PIN verification, schema checks, the bootstrap
 * acceptance policy and applying the document to the tree are core code
 * (DESIGN.md §3, "the core owns security").
 *
 * Ownership and versioning rules: see <polydm/plugin.h>.
 */
#ifndef POLYDM_BOOTSTRAP_H
#define POLYDM_BOOTSTRAP_H

#include <stddef.h>

#include <polydm/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Security method of a bootstrap document (the SEC parameter).  The wire
 *  values are SEC 0..3; 0 here means "no SEC parameter given". */
typedef enum pdm_sec {
    PDM_SEC_NONE = 0,        /**< unauthenticated document */
    PDM_SEC_NETWPIN = 1,     /**< SEC=0: key from the IMSI */
    PDM_SEC_USERPIN = 2,     /**< SEC=1: key = user PIN */
    PDM_SEC_USERNETWPIN = 3, /**< SEC=2: IMSI and user PIN */
    PDM_SEC_USERPINMAC = 4   /**< SEC=3: PIN carries the MAC */
} pdm_sec;

/** Where a bootstrap document came from (its origin class). */
typedef enum pdm_bootstrap_origin {
    PDM_ORIGIN_UNKNOWN = 0,
    PDM_ORIGIN_FACTORY = 1,   /**< built into the device image */
    PDM_ORIGIN_SMARTCARD = 2, /**< read from the SIM/UICC */
    PDM_ORIGIN_PUSH = 3,      /**< received over the air (WAP push/SMS) */
    PDM_ORIGIN_FILE = 4,      /**< a file named by the user or integrator */
    PDM_ORIGIN_USER = 5       /**< typed in or chosen by the user */
} pdm_bootstrap_origin;

/**
 * One bootstrap document, filled by bootstrap_ops::read.  Growable.
 *
 * The core zeroes it and sets struct_size to the size it knows before the
 * call; the plugin writes only fields that fit within that struct_size.
 * Every pointer the plugin sets is allocated with host->alloc/host->strdup
 * and becomes the core's on PDM_OK only (rule 2); on any other return the
 * plugin frees them and the core ignores the document (rule 3).
 */
typedef struct pdm_bootstrap_doc {
    uint32_t struct_size;  /**< set by the core */
    uint32_t origin;       /**< a pdm_bootstrap_origin */
    pdm_blob body;         /**< the exact document bytes (WBXML or XML) */
    char *content_type;    /**< e.g. "application/vnd.wap.connectivity-wbxml"
                                or "application/vnd.syncml.dm+wbxml" */
    uint32_t sec;          /**< a pdm_sec value */
    uint32_t reserved0;    /**< 0 */
    char *mac_hex;         /**< MAC parameter as sent (hex), or NULL */
    char *source_id;       /**< stable id of this document's origin, used
                                to remove accounts when it disappears (e.g.
                                the card's ICCID); or NULL */
} pdm_bootstrap_doc;

/** Bootstrap-source vtable.  Starts with the common head (kind
 *  PDM_KIND_BOOTSTRAP).  Growable. */
typedef struct pdm_bootstrap_ops {
    pdm_ops_head head; /**< sizeof this vtable and its kind */
    /**
     * probe() - is a document available now?
     * Returns PDM_OK (call read next), PDM_ENOTFOUND (nothing to offer), or
     * another negative pdm_rc on failure (the core logs it and continues
     * with other sources).  Required.
     */
    int (*probe)(void *inst);
    /**
     * read() - hand over the available document.
     * @out: (out) see pdm_bootstrap_doc.
     * Returns PDM_OK, PDM_ENOTFOUND, or a negative pdm_rc.  Required.
     */
    int (*read)(void *inst, pdm_bootstrap_doc *out);
    /**
     * consumed() - the core finished with the document that read() gave.
     * @outcome: PDM_OK if applied, otherwise why it was refused.  A source
     * should not offer the same document again after PDM_OK.  Optional.
     */
    void (*consumed)(void *inst, int outcome);
    /**
     * present_ids() - which source_ids (see pdm_bootstrap_doc) are still
     * present, so the core can remove accounts from a removed card (S2).
     * @out: (out) array of host->alloc'd strings, itself host->alloc'd;
     * @n:   (out) its length.  Both the core's on PDM_OK only (rule 3).
     * Returns PDM_OK or a negative pdm_rc.
     * Optional: NULL means "accounts from this source never disappear".
     */
    int (*present_ids)(void *inst, char ***out, size_t *n);
    /**
     * accepts() - does this component take documents of @content_type
     * (MIME, no parameters) from @origin (a pdm_bootstrap_origin) that the
     * integrator hands over (pdm_ctx_bootstrap_submit, e.g. a WAP push)?
     * Return PDM_OK to take them: they are then applied with the principal
     * "bootstrap:<plugin>/<component>" and policies see this component as
     * their source.  Any other return declines.  An OMA CP document is
     * refused unless some loaded component accepts it.  Optional (since 1.1):
     * NULL declines everything.
     */
    int (*accepts)(void *inst, const char *content_type, uint32_t origin);
    /**
     * origin() - the origin (a pdm_bootstrap_origin) of every document
     * read() gives, answered without touching the medium, so that a
     * profile can switch the source off (`bootstrap.disabled_origins`,
     * seed S2) and the core then never calls probe(), read(),
     * present_ids() or watch_fd().  A document whose origin differs from
     * this answer is refused.  Optional (since 1.2): NULL or
     * PDM_ORIGIN_UNKNOWN means the core learns the origin from each
     * document (a disabled origin is then refused after read()).
     */
    uint32_t (*origin)(void *inst);
    /**
     * watch_fd() - a file descriptor that becomes readable when this
     * source's documents or present ids may have changed (a card inserted,
     * removed or swapped, a reader plugged in).  The host only polls it
     * (it never reads, writes or closes it) and then runs a scan, which
     * calls probe(): the source clears the readiness there (a change
     * signalled after that probe makes the fd readable again), or leaves
     * it readable on purpose when it saw a change this scan cannot act on
     * in order (a card swapped after present_ids(): probe() offers nothing
     * so that the next scan first removes the old source's accounts); the
     * host then scans again, as for any readiness.  Owned by
     * the instance, valid until destroy.  Called from the context's
     * thread, at most once per instance; the source starts watching (e.g.
     * a thread of its own that never calls host services) only then, so
     * a one-shot scan (`polydm bootstrap --scan`) starts nothing.
     * Returns the fd (>= 0), PDM_ENOTSUP (nothing to watch), or another
     * negative pdm_rc after host->set_error (the host logs it; scans still
     * work).  Optional (since 1.2): NULL means changes are found only when
     * the integrator scans.
     */
    int (*watch_fd)(void *inst);
} pdm_bootstrap_ops;

/** Size of the ABI 1.0 vtable (fixed forever): the smallest the core
 *  accepts.  Never sizeof(): that grows when methods are appended. */
#define PDM_BOOTSTRAP_OPS_SIZE_1_0 \
    (offsetof(pdm_bootstrap_ops, present_ids) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* POLYDM_BOOTSTRAP_H */
