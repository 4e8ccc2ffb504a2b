/*
 * The persistent store: one SQLite database per state directory holding
 * the management tree (nodes with values, properties and owner authority),
 * per-account nonces, the audit log, per-plugin key/value data and the
 * schema version.
 *
 * Crash safety comes from SQLite: the tree module writes one server package
 * (or one local change) as ONE transaction (pdm__store_begin ... commit), so
 * after a crash at any instant the database holds exactly the state after
 * some whole committed package.  Atomic rollback happens in memory in the
 * tree module before anything reaches the store.
 *
 * A database that is not ours (other application_id), damaged, or of a newer
 * schema is refused with PDM_ECORRUPT and a clear message; it is never
 * overwritten or "repaired" silently.  New files are created with mode 0600
 * (the store holds AAuthSecret values), and the state directory 0700.
 */
#ifndef PDM_STORE_H
#define PDM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/types.h>

typedef struct pdm__store pdm__store;

enum {
    PDM_STORE_READONLY = 1u << 0, /* open existing database read-only */
    PDM_STORE_NO_CREATE = 1u << 1 /* fail with PDM_ENOTFOUND if missing */
};

/* Opens (creating if needed) "<dir>/polydm.db".  Creates dir (0700) if
 * missing.  err gets a message naming the file and the problem.
 * Returns PDM_OK, PDM_ECORRUPT (not a polydm store, damaged, or newer
 * schema), PDM_EIO (cannot create/open/permission), PDM_ENOTFOUND
 * (NO_CREATE and missing), PDM_EBUSY (locked by another writer), PDM_ENOMEM. */
int pdm__store_open(pdm__store **out, const char *dir, unsigned flags,
                    char *err, size_t errlen);
void pdm__store_close(pdm__store *s);
/* True if the database was created by this open (empty tree). */
bool pdm__store_is_new(const pdm__store *s);
/* Path of the database file (borrowed). */
const char *pdm__store_path(const pdm__store *s);
/* Message of the last failure (borrowed; "" if none). */
const char *pdm__store_error(const pdm__store *s);

/* ---- nodes -------------------------------------------------------------- */
/* One node row.  Root has id 1 and parent 0.  Strings may be NULL (absent
 * property); `value` is binary-safe; has_value distinguishes an empty value
 * from none (interior nodes). */
typedef struct pdm__node_rec {
    int64_t id;
    int64_t parent;
    const char *name;
    uint32_t format; /* pdm_format */
    uint32_t flags;  /* tree-defined node flags */
    const char *type;
    const char *title;
    const char *acl;
    const char *owner;
    int64_t tstamp; /* seconds since the epoch, UTC; 0 = never */
    uint32_t verno;
    const uint8_t *value;
    size_t value_len;
    bool has_value;
} pdm__node_rec;

/* Calls cb for every node in ascending id order (so a parent always comes
 * before its children).  The record is borrowed for the call.  A non-zero
 * return from cb stops and is returned. */
int pdm__store_load_nodes(pdm__store *s,
                          int (*cb)(void *user, const pdm__node_rec *r),
                          void *user);
/* Largest node id in the store (0 if empty). */
int64_t pdm__store_max_node_id(pdm__store *s);

/* ---- transactions --------------------------------------------------------
 * All writes happen between begin and commit/rollback.  Writes outside a
 * transaction return PDM_EINVAL.  Nested begin is an error. */
int pdm__store_begin(pdm__store *s);
int pdm__store_commit(pdm__store *s);
void pdm__store_rollback(pdm__store *s);

int pdm__store_put_node(pdm__store *s, const pdm__node_rec *r); /* upsert */
int pdm__store_del_node(pdm__store *s, int64_t id); /* row only */

/* ---- audit log (append-only) ---------------------------------------------- */
typedef struct pdm__audit_rec {
    int64_t seq;            /* assigned by the store (read side only) */
    int64_t ts_ms;          /* wall clock, ms since the epoch (UTC) */
    const char *principal;  /* "server:<id>", "local", "bootstrap:<src>", ... */
    const char *op;         /* "Get", "Add", "Replace", ..., "Session", ... */
    const char *uri;        /* may be NULL */
    const char *decision;   /* "allow", "deny", "error", "info" */
    const char *component;  /* deciding component: "acl", "policy:x/y", ... */
    const char *reason;     /* human readable, never a secret */
} pdm__audit_rec;

int pdm__store_audit_add(pdm__store *s, const pdm__audit_rec *a);
/* Calls cb for entries with ts_ms >= since_ms in sequence order. */
int pdm__store_audit_query(pdm__store *s, int64_t since_ms,
                           int (*cb)(void *user, const pdm__audit_rec *a),
                           void *user);

/* ---- nonces (per account) ------------------------------------------------- */
/* kind: "client" (nonce we use to answer the server's challenge) or
 * "server" (nonce we gave the server to authenticate itself). */
int pdm__store_nonce_get(pdm__store *s, const char *server_id,
                         const char *kind, uint8_t **out, size_t *len);
int pdm__store_nonce_put(pdm__store *s, const char *server_id,
                         const char *kind, const uint8_t *val, size_t len);

/* ---- per-plugin key/value --------------------------------------------------- */
int pdm__store_kv_get(pdm__store *s, const char *plugin, const char *key,
                      uint8_t **out, size_t *len);
int pdm__store_kv_put(pdm__store *s, const char *plugin, const char *key,
                      const uint8_t *val, size_t len);
int pdm__store_kv_del(pdm__store *s, const char *plugin, const char *key);

#endif /* PDM_STORE_H */
