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
 *
 * A store object belongs to one thread at a time (the SQLite connection is
 * opened without its own mutex).  Error messages never contain node values,
 * nonces or plugin data.
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
    PDM_STORE_NO_CREATE = 1u << 1, /* fail with PDM_ENOTFOUND if missing */
    PDM_STORE_CHECK = 1u << 2      /* run the integrity check at open even
                                      after a clean shutdown */
};

/* Opens (creating if needed) "<dir>/polydm.db".  Creates dir (0700) if
 * missing (only the last component; an existing dir is never chmod-ed).
 * err gets a message naming the file and the problem.
 * Returns PDM_OK, PDM_ECORRUPT (not a polydm store, damaged, or newer
 * schema), PDM_EIO (cannot create/open/permission; also an existing dir
 * that group or others may write to, and a database that is a symlink),
 * PDM_ENOTFOUND (NO_CREATE or READONLY and missing or an empty file),
 * PDM_EBUSY (locked by another writer; READONLY on an older schema that
 * needs a read-write open to upgrade), PDM_ENOMEM.
 * A file is checked through a read-only connection (application_id,
 * user_version) before anything is written to it; PRAGMA quick_check runs
 * too when the last shutdown was not clean (no marker "polydm.db-clean",
 * which only the close of the last connection writes and every read-write
 * open removes first; or a write-ahead log with content) or when flags
 * hold PDM_STORE_CHECK.  After a clean shutdown damage is found as the
 * pages are read (PDM_ECORRUPT from the read that meets it), and a file
 * shorter than its header says is refused at once.
 * An empty file, or an empty SQLite database, counts as new. */
int pdm__store_open(pdm__store **out, const char *dir, unsigned flags,
                    char *err, size_t errlen);
void pdm__store_close(pdm__store *s);
/* True if this open ran the integrity check (PRAGMA quick_check). */
bool pdm__store_checked(const pdm__store *s);
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
/* Largest node id in the store (0 if empty; a negative pdm_rc on
 * failure). */
int64_t pdm__store_max_node_id(pdm__store *s);

/* ---- transactions --------------------------------------------------------
 * Node writes happen between begin and commit/rollback; outside a
 * transaction they return PDM_EINVAL.  Nested begin is PDM_EINVAL, so is
 * any write on a READONLY store.  begin takes the write lock at once
 * (BEGIN IMMEDIATE) and returns PDM_EBUSY if another writer keeps it for
 * more than 2 s.  If commit fails the transaction is rolled back and none
 * of it is stored.  After a failed write the caller rolls back; the store
 * stays usable.  rollback without a transaction does nothing. */
int pdm__store_begin(pdm__store *s);
int pdm__store_commit(pdm__store *s);
void pdm__store_rollback(pdm__store *s);
bool pdm__store_in_transaction(const pdm__store *s);
bool pdm__store_readonly(const pdm__store *s);
/* Copies the WAL into the database file and truncates the WAL, so that
 * pages holding replaced values (with secure_delete, zeroed in the file)
 * do not survive as old frames in the WAL.  For commits that changed a
 * secret.  PDM_EBUSY if a reader kept part of the WAL (it is copied by a
 * later checkpoint), PDM_EINVAL inside a transaction or read-only. */
int pdm__store_checkpoint(pdm__store *s);

int pdm__store_put_node(pdm__store *s, const pdm__node_rec *r); /* upsert */
/* Writes only format, type, tstamp, verno and the value (has_value,
 * value, value_len) of the existing row r->id: what a Replace of a value
 * changes; the other fields of r are not read.  Much cheaper than
 * put_node, which rewrites the (parent, name) index.  PDM_ENOTFOUND if
 * there is no such row (nothing written). */
int pdm__store_set_value(pdm__store *s, const pdm__node_rec *r);
/* Row only; PDM_ENOTFOUND if there is no such row. */
int pdm__store_del_node(pdm__store *s, int64_t id);

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

/* Part of the current transaction if one is open, otherwise its own
 * (autocommit) transaction.  principal, op and decision are required.
 * Stored entries can never be changed or deleted (SQL triggers refuse). */
int pdm__store_audit_add(pdm__store *s, const pdm__audit_rec *a);
/* Calls cb for entries with ts_ms >= since_ms in sequence order. */
int pdm__store_audit_query(pdm__store *s, int64_t since_ms,
                           int (*cb)(void *user, const pdm__audit_rec *a),
                           void *user);

/* ---- audit retention -------------------------------------------------------
 * The audit table holds at most about segment_rows rows: when an append
 * outside a transaction (or a commit) finds it full, its rows are archived
 * into "<dir>/audit/NNNNNN.log" (0600) and removed from the table (see
 * store.c for the format).  Each segment file starts with the SHA-256 of
 * the previous one, and the store records every segment's seq range and
 * hash in an append-only table whose triggers refuse a segment that does
 * not continue the chain; a row leaves the audit table only once its
 * segment is recorded.  The newest segments_kept files are kept, older
 * ones removed: the log's size is bounded by about
 * (segments_kept + 1) * segment_rows rows, and what is kept stays
 * append-only and verifiable.  The chain detects a changed, reordered or
 * removed kept segment and missing rows; it is not a signature (someone who
 * can rewrite the database can rewrite the chain). */
#define PDM__AUDIT_SEGMENT_ROWS 10000u /* default rows per segment */
#define PDM__AUDIT_SEGMENTS_KEPT 8u    /* default archived files kept */
#define PDM__AUDIT_HASH_HEX 64
#define PDM__AUDIT_HASH_ZERO                                                 \
    "0000000000000000000000000000000000000000000000000000000000000000"

/* Sets the bounds (segment_rows 0: never rotate; segments_kept 0 counts as
 * 1).  The store starts with the defaults above. */
void pdm__store_audit_retention(pdm__store *s, unsigned segment_rows,
                                unsigned segments_kept);
/* Archives every row of the audit table now (no-op when it is empty).
 * Returns PDM_OK, PDM_EINVAL (read-only, inside a transaction), PDM_EIO
 * (cannot write the segment; the rows stay), or a store error. */
int pdm__store_audit_rotate(pdm__store *s);

typedef struct pdm__audit_verdict {
    unsigned kept;          /* segment files checked */
    unsigned dropped;       /* older segments removed by retention */
    int64_t archived_rows;  /* rows in the kept files */
    int64_t live_rows;      /* rows in the audit table */
    char why[512];          /* what is wrong (PDM_ECORRUPT) */
} pdm__audit_verdict;

/* Checks the chain: every kept segment file against its recorded hash,
 * its first row against the previous segment's hash, its seq range and
 * row count; that only the oldest files are missing; that the table's
 * rows continue the last segment without a gap.  Returns PDM_OK, or
 * PDM_ECORRUPT with v->why naming the segment file or the rows. */
int pdm__store_audit_verify(pdm__store *s, pdm__audit_verdict *v);

/* ---- nonces (per account) ------------------------------------------------- */
/* kind: "client" (nonce we use to answer the server's challenge) or
 * "server" (nonce we gave the server to authenticate itself).
 * get: PDM_ENOTFOUND when absent; on success *out is allocated with
 * pdm__malloc (caller frees with pdm__free), never NULL even for a
 * zero-length value.  put overwrites; it is part of the current
 * transaction if one is open, otherwise its own (autocommit) transaction. */
int pdm__store_nonce_get(pdm__store *s, const char *server_id,
                         const char *kind, uint8_t **out, size_t *len);
int pdm__store_nonce_put(pdm__store *s, const char *server_id,
                         const char *kind, const uint8_t *val, size_t len);

/* ---- per-plugin key/value ---------------------------------------------------
 * Same rules as the nonces: get returns PDM_ENOTFOUND when absent and a
 * pdm__malloc copy otherwise; put (overwrites) and del (PDM_ENOTFOUND when
 * absent) are part of the current transaction if one is open, otherwise
 * their own (autocommit) transaction. */
int pdm__store_kv_get(pdm__store *s, const char *plugin, const char *key,
                      uint8_t **out, size_t *len);
int pdm__store_kv_put(pdm__store *s, const char *plugin, const char *key,
                      const uint8_t *val, size_t len);
int pdm__store_kv_del(pdm__store *s, const char *plugin, const char *key);
/* Deletes every key of @plugin starting with @prefix (non-empty); none is
 * PDM_OK.  Same transaction rules. */
int pdm__store_kv_del_prefix(pdm__store *s, const char *plugin,
                             const char *prefix);
/* How many keys @plugin has (*n). */
int pdm__store_kv_count(pdm__store *s, const char *plugin, size_t *n);
/* Deletes every stored nonce (a factory reset).  Same transaction
 * rules. */
int pdm__store_nonce_clear(pdm__store *s);

/* ---- tests only ---------------------------------------------------------- */
/* Pretends this build knows n more schema versions: extra[i] is the SQL
 * that upgrades version B+i to B+i+1, B being the built-in version (1), so
 * the current version becomes B+n.  NULL or n == 0 restores the built-in
 * schema.  Lets tests exercise the upgrade mechanism before a version 2
 * exists.  Not thread-safe. */
void pdm__store_test_schema(const char *const *extra, int n);

#endif /* PDM_STORE_H */
