/*
 * The core's authority model (docs/architecture.md, "Authority model"):
 * the record of how each DM account came, kept with the tree as one of
 * its stored facts (pdm__tree_meta_*), beside the root owner
 * (pdm__tree_root_owner).
 *
 * A record is written by whoever creates an account (the bootstrap
 * pipeline, at apply time, inside the same tree transaction, so it is
 * committed or undone with the account) and removed when the account
 * goes.  Accounts without a record (from before records existed, or
 * from the factory tree) count as PDM_ORIGIN_FACTORY when the factory
 * created their node, else PDM_ORIGIN_UNKNOWN.
 */
#ifndef PDM_ENGINE_AUTHORITY_H
#define PDM_ENGINE_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Does authority component @c's vtable reach member @m (and set it)?  A
 * 1.0-1.2 plugin's vtable ends before the 1.3 members (sdk/abi/README.md,
 * item 4): the core never reads past its struct_size. */
#define PDM__AUTH_HAS(c, m)                                                 \
    ((c)->ops.head.struct_size >=                                           \
         offsetof(pdm_authority_ops, m) + sizeof((c)->ops.authority.m) &&   \
     (c)->ops.authority.m != NULL)

/* The tree's isolation hook (pdm__override_fn) for @ctx: the active
 * authority component's override(), or the core default without one
 * (or with override NULL).  ALLOW lets the change go on; DENY, ABSTAIN,
 * an error or an unknown answer is a denial naming the component. */
int pdm__authority_override(void *ctx, const char *actor, const char *owner,
                            const char *uri, pdm__decision *dec);

/* How the DM account of @server_id came: *origin (pdm_bootstrap_origin),
 * *sec (pdm_sec of its bootstrap, 0 when none), *source (the bootstrap
 * source "plugin/component", or NULL).  Out pointers may be NULL; the
 * string is borrowed until the next change of the tree.
 * Returns PDM_OK, PDM_ENOTFOUND (no account carries @server_id),
 * PDM_EINVAL. */
int pdm__authority_record(pdm_ctx *ctx, const char *server_id,
                          uint32_t *origin, uint32_t *sec,
                          const char **source);

/* Records how the account of @server_id came (@source may be NULL or
 * ""; one line without a tab).  Part of the current tree transaction
 * (outside one: its own, committed at once).
 * Returns PDM_OK, PDM_EINVAL, PDM_ENOMEM (PDM_EIO/PDM_ENOSPC outside a
 * transaction). */
int pdm__authority_record_set(pdm_ctx *ctx, const char *server_id,
                              uint32_t origin, uint32_t sec,
                              const char *source);

/* Removes the record of @server_id (its account went).  Same
 * transaction rules as pdm__authority_record_set; no record is PDM_OK. */
int pdm__authority_record_drop(pdm_ctx *ctx, const char *server_id);

/* Removes every record (a factory reset: the accounts left are the
 * factory's, which have none).  Same transaction rules. */
int pdm__authority_records_clear(pdm_ctx *ctx);

/* The origins of the DM accounts that exist now, as a mask of
 * 1u << pdm_bootstrap_origin (pdm_policy_req::account_origins). */
uint32_t pdm__authority_origins(pdm_ctx *ctx);

/* The home network of the subscription, "MCC-MNC" (e.g. "001-01"), from
 * the IMSI (network_id hook, else the profile's device.imsi) and
 * device.mnc_digits (2 or 3, default 2), into @buf (at least 8 bytes)
 * for pdm_authority_info::home_plmn.  The IMSI itself never leaves this
 * function (wiped).  Returns PDM_OK, PDM_ENOTFOUND (no IMSI, or one that
 * is not 6-15 digits), PDM_EINVAL (@buf too small). */
int pdm__authority_home_plmn(pdm_ctx *ctx, char *buf, size_t size);

/* Asks the active authority's defaults() (ABI 1.3; NULL or an older
 * vtable: the spec's) once at open, after create() and before the tree
 * opens, and keeps the canonical ACLs in @ctx (auth_root_acl,
 * auth_dmacc_acl, auth_root_add_open).  A failing defaults() or an ACL
 * the core cannot parse (an empty root ACL too) fails the open with an
 * error naming the component (fail closed).
 * Returns PDM_OK, PDM_EINVAL, PDM_ENOMEM or the component's rc. */
int pdm__authority_defaults(pdm_ctx *ctx);

#endif /* PDM_ENGINE_AUTHORITY_H */
