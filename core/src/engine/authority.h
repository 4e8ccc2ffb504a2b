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

#include <stdint.h>

#include "engine/engine.h"

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

/* The origins of the DM accounts that exist now, as a mask of
 * 1u << pdm_bootstrap_origin (pdm_policy_req::account_origins). */
uint32_t pdm__authority_origins(pdm_ctx *ctx);

#endif /* PDM_ENGINE_AUTHORITY_H */
