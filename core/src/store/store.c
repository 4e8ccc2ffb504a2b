/*
 * The persistent store: one SQLite database "<dir>/polydm.db" holding the
 * management tree, nonces, the audit log, per-plugin key/value data and the
 * schema version (contract in store.h).
 *
 * Opening happens in two steps so that a file that is not ours is never
 * written to: a READ-ONLY connection first identifies the file (SQLite
 * header, application_id, user_version, and PRAGMA quick_check when that
 * is due: see take_clean_marker); only when the file is ours, or an empty
 * database, is it reopened read-write.  A
 * read-write connection could otherwise roll back a foreign hot journal or
 * checkpoint a foreign WAL into the file when it is closed.
 *
 * The schema is a list of steps: step v upgrades version v to v+1, and
 * step 0 creates version 1 from an empty database.  Creation and every
 * upgrade run in one BEGIN IMMEDIATE transaction together with
 * `PRAGMA user_version`, so a crash leaves either the old or the new schema.
 * An empty SQLite database (application_id 0, user_version 0, no schema
 * objects) counts as new: that is what a crash during the very first open
 * leaves behind, and there is nothing in it to lose.
 *
 * Durability: WAL journal with synchronous=FULL, so a COMMIT that returned
 * survives power loss, not only a process crash.  Every statement is
 * prepared once at open and cached in the store object.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "util/util.h"

#ifndef PDM_VERSION
#define PDM_VERSION "unknown"
#endif

/* SQLITE_OPEN_NOFOLLOW (3.31), sqlite3_prepare_v3 (3.20), UPSERT (3.24). */
#if SQLITE_VERSION_NUMBER < 3031000
#error "the polydm store needs SQLite 3.31 or later"
#endif

#define STORE_FILE "polydm.db"
#define STORE_APP_ID 0x50444D31 /* "PDM1": PRAGMA application_id */
#define STORE_BUSY_MS 2000      /* wait this long for another writer */
#define STORE_WAL_LIMIT (4 * 1024 * 1024) /* WAL size kept after checkpoint */
/* Clean-shutdown marker "<db>-clean" next to the database (see
 * take_clean_marker). */
#define STORE_CLEAN_SUFFIX "-clean"

/* ---- schema ---------------------------------------------------------------
 * Version 1.  nodes.value is NULL for "no value" and a (possibly zero-
 * length) blob otherwise.  The audit log is append-only: triggers refuse
 * UPDATE and DELETE whoever asks, so not even a bug in the core can rewrite
 * history through SQL.  INSERT OR REPLACE deletes the old row without
 * firing DELETE triggers (unless recursive_triggers is on), hence the third
 * trigger refusing an insert that reuses an existing seq.  (Someone able to
 * write the file can still drop the triggers; they guard against mistakes,
 * the file mode guards against others.) */
static const char schema_v1[] =
    "CREATE TABLE nodes("
    " id INTEGER PRIMARY KEY, parent INTEGER NOT NULL, name TEXT NOT NULL,"
    " format INTEGER NOT NULL, flags INTEGER NOT NULL, type TEXT,"
    " title TEXT, acl TEXT, owner TEXT, tstamp INTEGER NOT NULL,"
    " verno INTEGER NOT NULL, value BLOB);"
    "CREATE UNIQUE INDEX nodes_parent_name ON nodes(parent, name);"
    "CREATE TABLE audit("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL,"
    " principal TEXT NOT NULL, op TEXT NOT NULL, uri TEXT,"
    " decision TEXT NOT NULL, component TEXT, reason TEXT);"
    "CREATE INDEX audit_ts ON audit(ts_ms);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit"
    " WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq)"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
    "CREATE TABLE nonces(server_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " value BLOB NOT NULL, PRIMARY KEY(server_id, kind));"
    "CREATE TABLE kv(plugin TEXT NOT NULL, key TEXT NOT NULL,"
    " value BLOB NOT NULL, PRIMARY KEY(plugin, key));"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);";

/* Version 2: audit retention.  Rows leave the audit table only after they
 * were archived into a segment file and the segment recorded in audit_seg
 * (append-only too, each segment contiguous with the previous one and
 * chained to its hash); the delete trigger refuses every other row. */
static const char schema_v2[] =
    "CREATE TABLE audit_seg("
    " id INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL,"
    " last_seq INTEGER NOT NULL, nrows INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TRIGGER audit_seg_no_update BEFORE UPDATE ON audit_seg"
    " BEGIN SELECT RAISE(ABORT, 'audit segments are append-only'); END;"
    "CREATE TRIGGER audit_seg_no_delete BEFORE DELETE ON audit_seg"
    " BEGIN SELECT RAISE(ABORT, 'audit segments are append-only'); END;"
    "CREATE TRIGGER audit_seg_chain BEFORE INSERT ON audit_seg"
    " WHEN NEW.id != coalesce((SELECT max(id) FROM audit_seg), 0) + 1"
    " OR NEW.first_seq != coalesce((SELECT max(last_seq) FROM audit_seg), 0) + 1"
    " OR NEW.prev_hash != coalesce((SELECT hash FROM audit_seg"
    "  ORDER BY id DESC LIMIT 1), '" PDM__AUDIT_HASH_ZERO "')"
    " BEGIN SELECT RAISE(ABORT, 'audit segments must form a chain'); END;"
    "DROP TRIGGER audit_no_delete;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " WHEN OLD.seq > coalesce((SELECT max(last_seq) FROM audit_seg), 0)"
    " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;";

/* steps[v] upgrades version v to v+1.  Append a step (never edit one that
 * shipped) and the current version follows. */
static const char *const builtin_steps[] = {schema_v1, schema_v2};
#define BUILTIN_VERSION ((int)PDM__ARRAY_LEN(builtin_steps))

/* Steps after the built-in ones, set only by pdm__store_test_schema(). */
static const char *const *extra_steps;
static int schema_version = BUILTIN_VERSION;

void pdm__store_test_schema(const char *const *extra, int n)
{
    extra_steps = extra && n > 0 ? extra : NULL;
    schema_version = BUILTIN_VERSION + (extra_steps ? n : 0);
}

static const char *schema_step(int v)
{
    return v < BUILTIN_VERSION ? builtin_steps[v]
                               : extra_steps[v - BUILTIN_VERSION];
}

/* ---- cached statements ------------------------------------------------- */
enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_LOAD_NODES,
    ST_MAX_ID,
    ST_PUT_NODE,
    ST_SET_VALUE,
    ST_DEL_NODE,
    ST_AUDIT_ADD,
    ST_AUDIT_QUERY,
    ST_NONCE_GET,
    ST_NONCE_PUT,
    ST_KV_GET,
    ST_KV_PUT,
    ST_KV_DEL,
    ST_KV_DEL_PREFIX,
    ST_KV_COUNT,
    ST_NONCE_CLEAR,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_LOAD_NODES] = "SELECT id, parent, name, format, flags, type, title,"
                      " acl, owner, tstamp, verno, value FROM nodes"
                      " ORDER BY id",
    [ST_MAX_ID] = "SELECT coalesce(max(id), 0) FROM nodes",
    [ST_PUT_NODE] =
        "INSERT INTO nodes(id, parent, name, format, flags, type, title, acl,"
        " owner, tstamp, verno, value)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT(id) DO UPDATE SET parent = excluded.parent,"
        " name = excluded.name, format = excluded.format,"
        " flags = excluded.flags, type = excluded.type,"
        " title = excluded.title, acl = excluded.acl,"
        " owner = excluded.owner, tstamp = excluded.tstamp,"
        " verno = excluded.verno, value = excluded.value",
    /* Neither parent nor name: the (parent, name) index stays as it is. */
    [ST_SET_VALUE] = "UPDATE OR FAIL nodes SET format = ?2, type = ?3,"
                     " tstamp = ?4,"
                     " verno = ?5, value = ?6 WHERE id = ?1",
    [ST_DEL_NODE] = "DELETE FROM nodes WHERE id = ?1",
    [ST_AUDIT_ADD] = "INSERT INTO audit(ts_ms, principal, op, uri, decision,"
                     " component, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_AUDIT_QUERY] = "SELECT seq, ts_ms, principal, op, uri, decision,"
                       " component, reason FROM audit WHERE ts_ms >= ?1"
                       " ORDER BY seq",
    [ST_NONCE_GET] = "SELECT value FROM nonces"
                     " WHERE server_id = ?1 AND kind = ?2",
    [ST_NONCE_PUT] = "INSERT INTO nonces(server_id, kind, value)"
                     " VALUES(?1, ?2, ?3) ON CONFLICT(server_id, kind)"
                     " DO UPDATE SET value = excluded.value",
    [ST_KV_GET] = "SELECT value FROM kv WHERE plugin = ?1 AND key = ?2",
    [ST_KV_PUT] = "INSERT INTO kv(plugin, key, value) VALUES(?1, ?2, ?3)"
                  " ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value",
    [ST_KV_DEL] = "DELETE FROM kv WHERE plugin = ?1 AND key = ?2",
    /* substr, not LIKE: a key may hold '%' or '_'. */
    [ST_KV_DEL_PREFIX] = "DELETE FROM kv WHERE plugin = ?1"
                         " AND substr(key, 1, length(?2)) = ?2",
    [ST_NONCE_CLEAR] = "DELETE FROM nonces",
    [ST_KV_COUNT] = "SELECT count(*) FROM kv WHERE plugin = ?1",
};

struct pdm__store {
    sqlite3 *db;
    char *path;                  /* "<dir>/polydm.db" */
    char *clean_path;            /* "<dir>/polydm.db-clean": the marker */
    char *seg_dir;               /* "<dir>/audit": archived audit segments */
    unsigned seg_rows, seg_kept; /* audit retention (store.h) */
    bool rotating;               /* inside audit_rotate */
    bool readonly;               /* opened with PDM_STORE_READONLY */
    bool is_new;                 /* schema created by this open */
    bool in_tx;                  /* between begin and commit/rollback */
    bool opened;                 /* open succeeded: close may mark clean */
    bool checked;                /* quick_check ran at this open */
    bool saw_corrupt;            /* SQLite reported damage: never mark
                                    this store clean */
    sqlite3_stmt *st[ST__COUNT]; /* prepared at open, reset after each use */
    char err[512];               /* last failure; never holds a value */
};

/* ---- errors -------------------------------------------------------------- */
/* Used for failures only: an unexpected SQLITE_ROW or SQLITE_DONE (a query
 * without its row) is an error too. */
static int map_sqlite(int src)
{
    switch (src & 0xff) {
    case SQLITE_OK:
        return PDM_OK;
    case SQLITE_FULL:
        return PDM_ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PDM_EBUSY;
    case SQLITE_NOMEM:
        return PDM_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return PDM_ECORRUPT;
    case SQLITE_TOOBIG:
        return PDM_ETOOBIG;
    default:
        return PDM_EIO;
    }
}

/* "<file>: <message>" into s->err; returns rc. */
PDM_PRINTF(3, 4)
static int set_err(pdm__store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->err, sizeof s->err, "%s: ",
                     s->path ? s->path : "polydm store");
    if (n < 0 || (size_t)n >= sizeof s->err)
        return rc;
    va_start(ap, fmt);
    vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

/* "<file>: <what>: <sqlite message>"; returns the mapped pdm_rc.  SQLite's
 * messages name tables and columns, never bound values.  For an I/O error
 * the system's errno is added, and a full disk, an exceeded quota or file
 * size limit count as PDM_ENOSPC (SQLite says SQLITE_FULL only for some of
 * them). */
static int fail(pdm__store *s, sqlite3 *db, int src, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(src);
    int rc = map_sqlite(src), e = 0;
    if (rc == PDM_ECORRUPT)
        s->saw_corrupt = true;
    if (db && (sqlite3_extended_errcode(db) & 0xff) != (src & 0xff))
        msg = sqlite3_errstr(src); /* db's message belongs to another error */
    if (db && (src & 0xff) == SQLITE_IOERR)
        e = sqlite3_system_errno(db);
    if (e == ENOSPC || e == EFBIG
#ifdef EDQUOT
        || e == EDQUOT
#endif
    )
        rc = PDM_ENOSPC;
    if (e)
        return set_err(s, rc, "%s: %s (%s)", what, msg, strerror(e));
    return set_err(s, rc, "%s: %s", what, msg);
}

/* ---- small helpers --------------------------------------------------------- */
/* Makes the statement reusable and drops the (borrowed) bindings. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows, then resets it. */
static int run(pdm__store *s, sqlite3_stmt *st, const char *what)
{
    int src = sqlite3_step(st);
    int rc = PDM_OK;
    if (src != SQLITE_DONE)
        rc = fail(s, s->db, src, what);
    done(st);
    return rc;
}

static int bind_value(sqlite3_stmt *st, int i, const uint8_t *v, size_t len)
{
    /* A NULL pointer would bind SQL NULL; an empty value is a 0-byte blob. */
    if (len == 0)
        return sqlite3_bind_zeroblob(st, i, 0);
    return sqlite3_bind_blob64(st, i, v, (sqlite3_uint64)len, SQLITE_STATIC);
}

static int exec(pdm__store *s, sqlite3 *db, const char *sql, const char *what)
{
    int src = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? PDM_OK : fail(s, db, src, what);
}

/* Runs a one-row integer query (a PRAGMA) on db. */
static int query_int(pdm__store *s, sqlite3 *db, const char *sql,
                     int64_t *out, int *src_out)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            src = SQLITE_OK;
        }
    }
    *src_out = src;
    if (src != SQLITE_OK) {
        int rc = fail(s, db, src, sql);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return PDM_OK;
}

/* fsync of a directory, so that a file created in it survives power loss. */
static void sync_dir_fd(int dfd)
{
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

/* ---- opening ---------------------------------------------------------------- */
static int make_path(pdm__store *s, const char *dir)
{
    size_t n = strlen(dir);
    bool slash = n > 0 && dir[n - 1] == '/';
    s->path = pdm__malloc(n + sizeof "/" STORE_FILE);
    if (!s->path)
        return set_err(s, PDM_ENOMEM, "out of memory");
    memcpy(s->path, dir, n);
    memcpy(s->path + n, &"/" STORE_FILE[slash ? 1 : 0],
           sizeof "/" STORE_FILE - (slash ? 1 : 0));
    s->clean_path = pdm__malloc(strlen(s->path) + sizeof STORE_CLEAN_SUFFIX);
    if (!s->clean_path)
        return set_err(s, PDM_ENOMEM, "out of memory");
    memcpy(s->clean_path, s->path, strlen(s->path));
    memcpy(s->clean_path + strlen(s->path), STORE_CLEAN_SUFFIX,
           sizeof STORE_CLEAN_SUFFIX);
    s->seg_dir = pdm__malloc(n + sizeof "/audit");
    if (!s->seg_dir)
        return set_err(s, PDM_ENOMEM, "out of memory");
    memcpy(s->seg_dir, dir, n);
    memcpy(s->seg_dir + n, &"/audit"[slash ? 1 : 0],
           sizeof "/audit" - (slash ? 1 : 0));
    return PDM_OK;
}

/* The missing parents of @dir, as `mkdir -p` makes them (0777 through the
 * umask): a fresh account has no ~/.local/state.  The caller makes @dir
 * itself, 0700. */
static int make_parents(pdm__store *s, const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n >= sizeof path)
        return set_err(s, PDM_EINVAL, "directory name too long: %.80s...",
                       dir);
    memcpy(path, dir, n + 1);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            *p = '/';
            return set_err(s, PDM_EIO, "cannot create directory %s: %s",
                           path, strerror(e));
        }
        *p = '/';
    }
    return PDM_OK;
}

/* The state directory: created 0700 when missing (with its missing
 * parents); an existing one is never chmod-ed but refused when group or
 * others may write to it (they could replace the database or plant links
 * next to it). */
static int prepare_dir(pdm__store *s, const char *dir, unsigned flags)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return set_err(s, PDM_EIO, "cannot access directory %s: %s", dir,
                           strerror(errno));
        if (flags & (PDM_STORE_READONLY | PDM_STORE_NO_CREATE))
            return set_err(s, PDM_ENOTFOUND, "no such file (directory %s is "
                           "missing)", dir);
        int rc = make_parents(s, dir);
        if (rc != PDM_OK)
            return rc;
        if (mkdir(dir, 0700) != 0) {
            if (errno != EEXIST)
                return set_err(s, PDM_EIO, "cannot create directory %s: %s",
                               dir, strerror(errno));
        } else {
            /* mkdir's mode went through the umask; set exactly 0700 on the
             * directory just made (by descriptor: no symlink swapped in). */
            int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                    O_CLOEXEC);
            if (dfd < 0 || fchmod(dfd, 0700) != 0) {
                int e = errno;
                if (dfd >= 0)
                    close(dfd);
                return set_err(s, PDM_EIO, "cannot set the mode of directory "
                               "%s: %s", dir, strerror(e));
            }
            sync_dir_fd(openat(dfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            close(dfd);
        }
        if (stat(dir, &st) != 0)
            return set_err(s, PDM_EIO, "cannot access directory %s: %s", dir,
                           strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return set_err(s, PDM_EIO, "%s is not a directory", dir);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return set_err(s, PDM_EIO,
                       "directory %s is writable by group or others (mode "
                       "%04o); refusing to keep the store there",
                       dir, (unsigned)(st.st_mode & 07777));
    return PDM_OK;
}

/* The database file: must be a regular file (never a symlink); a missing
 * one is created here with mode 0600 so that SQLite (which gives its -wal
 * and -shm files the database's mode) never creates anything wider. */
static int prepare_file(pdm__store *s, const char *dir, unsigned flags)
{
    struct stat st;
    for (int tries = 0; tries < 2; tries++) {
        int fd;
        if (lstat(s->path, &st) == 0) {
            if (S_ISLNK(st.st_mode))
                return set_err(s, PDM_EIO, "is a symbolic link; refusing to "
                               "follow it");
            if (!S_ISREG(st.st_mode))
                return set_err(s, PDM_EIO, "not a regular file");
            return PDM_OK;
        }
        if (errno != ENOENT)
            return set_err(s, PDM_EIO, "cannot access: %s", strerror(errno));
        if (flags & (PDM_STORE_READONLY | PDM_STORE_NO_CREATE))
            return set_err(s, PDM_ENOTFOUND, "no such file");
        fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue; /* created by someone else meanwhile: look again */
            return set_err(s, PDM_EIO, "cannot create: %s", strerror(errno));
        }
        /* The umask may have removed bits; we want exactly 0600. */
        if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
            int e = errno;
            close(fd);
            return set_err(s, PDM_EIO, "cannot create: %s", strerror(e));
        }
        close(fd);
        sync_dir_fd(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return PDM_OK;
    }
    return set_err(s, PDM_EIO, "cannot create: file appears and vanishes");
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* Looks at the 100-byte SQLite header of the file itself before SQLite
 * opens it: even a read-only SQLite connection creates -wal and -shm files
 * next to a WAL database, and a foreign file must not get them.  Decides
 * only what the header proves (a page 1 in a WAL can be newer than the
 * file's, but never turns a foreign file into ours or lowers a version);
 * everything else is left to inspect().
 * After a clean shutdown (@clean: no WAL, so the file's header is the
 * current one) it also proves what inspect() would: *ours is the schema
 * version when the application_id is ours (0 otherwise); and the file must
 * hold the pages its header counts (a copy cut short does not; the count
 * is valid when its version-valid-for number matches the change
 * counter). */
static int check_header(pdm__store *s, bool clean, int *ours)
{
    static const char magic[16] = "SQLite format 3";
    uint8_t h[100];
    struct stat st;
    ssize_t n;
    uint32_t psize;
    int fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    *ours = 0;
    if (fd < 0)
        return set_err(s, PDM_EIO, "cannot open: %s", strerror(errno));
    n = pread(fd, h, sizeof h, 0);
    if (n >= 0 && fstat(fd, &st) != 0)
        n = -1;
    close(fd);
    if (n < 0)
        return set_err(s, PDM_EIO, "cannot read: %s", strerror(errno));
    if (n == 0)
        return PDM_OK; /* empty file: a new store */
    if ((size_t)n < sizeof h || memcmp(h, magic, sizeof magic) != 0)
        return set_err(s, PDM_ECORRUPT,
                       "not a polydm store (not an SQLite database)");
    if (be32(h + 68) != 0 && be32(h + 68) != STORE_APP_ID)
        return set_err(s, PDM_ECORRUPT,
                       "not a polydm store (application_id 0x%08x)",
                       (unsigned)be32(h + 68));
    if (be32(h + 68) == STORE_APP_ID && be32(h + 60) > (uint32_t)schema_version)
        return set_err(s, PDM_ECORRUPT,
                       "schema version %u is newer than this polydm (%d)",
                       (unsigned)be32(h + 60), schema_version);
    if (!clean)
        return PDM_OK;
    psize = (uint32_t)h[16] << 8 | h[17];
    if (psize == 1)
        psize = 65536;
    if (be32(h + 92) == be32(h + 24) && be32(h + 28) != 0 &&
        (uint64_t)st.st_size < (uint64_t)be32(h + 28) * psize)
        return set_err(s, PDM_ECORRUPT, "database is damaged: the file holds "
                       "%lld bytes, its header counts %u pages of %u bytes",
                       (long long)st.st_size, (unsigned)be32(h + 28),
                       (unsigned)psize);
    if (be32(h + 68) == STORE_APP_ID)
        *ours = (int)be32(h + 60);
    return PDM_OK;
}

static int db_open(pdm__store *s, sqlite3 **db, int oflags)
{
    int src = sqlite3_open_v2(s->path, db,
                              oflags | SQLITE_OPEN_NOFOLLOW |
                                  SQLITE_OPEN_NOMUTEX,
                              NULL);
    if (src != SQLITE_OK) {
        int rc;
        if (!*db)
            return set_err(s, PDM_ENOMEM, "out of memory");
        if (sqlite3_system_errno(*db))
            rc = set_err(s, map_sqlite(src), "cannot open: %s (%s)",
                         sqlite3_errmsg(*db),
                         strerror(sqlite3_system_errno(*db)));
        else
            rc = fail(s, *db, src, "cannot open");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, STORE_BUSY_MS);
    return PDM_OK;
}

/* A read-only open of a WAL database needs its -shm index: SQLite creates
 * it when missing, which a directory we may not write to does not allow
 * (every read then fails with "attempt to write a readonly database").
 * When the writer has closed the store cleanly there is no -wal left and
 * the database file holds everything: it is read as immutable (no -shm, no
 * locks).  A -wal left over (an unclean shutdown, or a writer that is
 * running: then the -shm exists) is never ignored: refused, since an
 * immutable read would show a state older than the store's. */
static int db_open_readonly(pdm__store *s, const char *dir, sqlite3 **db)
{
    char shm[4096], wal[4096];
    struct stat st;
    pdm__buf uri;
    int rc;

    snprintf(shm, sizeof shm, "%s-shm", s->path);
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (access(dir, W_OK) == 0 || stat(shm, &st) == 0)
        return db_open(s, db, SQLITE_OPEN_READONLY);
    if (stat(wal, &st) == 0 && st.st_size > 0)
        return set_err(s, PDM_EBUSY, "a journal (%s) is left over and the "
                       "directory is not writable: open the store once "
                       "read-write (as its owner) to recover it", wal);
    /* "file:" URI with the path percent-encoded (it may hold ?, # or %). */
    pdm__buf_init(&uri);
    pdm__buf_puts(&uri, "file:");
    for (const unsigned char *c = (const unsigned char *)s->path; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
            (*c >= '0' && *c <= '9') || strchr("/-_.~", *c))
            pdm__buf_putc(&uri, *c);
        else
            pdm__buf_printf(&uri, "%%%02X", *c);
    }
    pdm__buf_puts(&uri, "?immutable=1");
    if (!pdm__buf_ok(&uri)) {
        pdm__buf_free(&uri);
        return set_err(s, PDM_ENOMEM, "out of memory");
    }
    if (sqlite3_open_v2((const char *)uri.data, db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                            SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = *db ? fail(s, *db, sqlite3_errcode(*db), "cannot open")
                 : set_err(s, PDM_ENOMEM, "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        pdm__buf_free(&uri);
        return rc;
    }
    pdm__buf_free(&uri);
    sqlite3_extended_result_codes(*db, 1);
    return PDM_OK;
}

/* Identifies the database on db without writing to it.  *empty: a fresh
 * database (nothing to lose); otherwise *version is our schema version.
 * Anything else is PDM_ECORRUPT with a message saying what is wrong. */
static int inspect(pdm__store *s, sqlite3 *db, bool quick_check, bool *empty,
                   int *version)
{
    int64_t app_id = 0, user_version = 0, objects = 0;
    int src, rc;

    *empty = false;
    *version = 0;
    rc = query_int(s, db, "PRAGMA application_id", &app_id, &src);
    if (rc == PDM_OK)
        rc = query_int(s, db, "PRAGMA user_version", &user_version, &src);
    if (rc == PDM_OK)
        rc = query_int(s, db, "SELECT count(*) FROM sqlite_master", &objects,
                       &src);
    if (rc != PDM_OK) {
        if ((src & 0xff) == SQLITE_NOTADB)
            return set_err(s, PDM_ECORRUPT, "not a polydm store: %s",
                           sqlite3_errstr(src));
        if (rc == PDM_ECORRUPT)
            return set_err(s, rc, "database is damaged: %s",
                           sqlite3_errmsg(db));
        return rc;
    }
    if (app_id == 0 && user_version == 0 && objects == 0) {
        *empty = true;
        return PDM_OK;
    }
    if (app_id != STORE_APP_ID)
        return set_err(s, PDM_ECORRUPT,
                       "not a polydm store (application_id 0x%08x)",
                       (unsigned)(uint32_t)app_id);
    if (user_version > schema_version)
        return set_err(s, PDM_ECORRUPT,
                       "schema version %lld is newer than this polydm (%d)",
                       (long long)user_version, schema_version);
    if (user_version < 1)
        return set_err(s, PDM_ECORRUPT, "invalid schema version %lld",
                       (long long)user_version);
    *version = (int)user_version;

    if (quick_check) {
        sqlite3_stmt *st = NULL;
        src = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            const char *res = (const char *)sqlite3_column_text(st, 0);
            const char *nl;
            /* First finding, without the "*** in database main ***" line. */
            if (res && strncmp(res, "*** ", 4) == 0 && (nl = strchr(res, '\n')))
                res = nl + 1;
            if (!res || strcmp(res, "ok") != 0)
                rc = set_err(s, PDM_ECORRUPT, "database is damaged: %.*s",
                             res ? (int)strcspn(res, "\n") : 11,
                             res ? res : "(no result)");
        } else if ((src & 0xff) == SQLITE_CORRUPT ||
                   (src & 0xff) == SQLITE_NOTADB) {
            rc = set_err(s, PDM_ECORRUPT, "database is damaged: %s",
                         sqlite3_errmsg(db));
        } else {
            rc = fail(s, db, src, "integrity check");
        }
        sqlite3_finalize(st);
    }
    return rc;
}

/* Creates or upgrades the schema to schema_version in ONE transaction.
 * The state is inspected again under the write lock: another process may
 * have done the work meanwhile. */
static int upgrade(pdm__store *s)
{
    bool empty;
    int from, rc;
    char sql[160];

    rc = exec(s, s->db, "BEGIN IMMEDIATE", "cannot lock for schema upgrade");
    if (rc != PDM_OK)
        return rc;
    rc = inspect(s, s->db, false, &empty, &from);
    if (rc != PDM_OK)
        goto out_rollback;
    if (empty)
        from = 0;
    for (int v = from; v < schema_version; v++) {
        snprintf(sql, sizeof sql, "schema upgrade %d->%d failed", v, v + 1);
        rc = exec(s, s->db, schema_step(v), sql);
        if (rc != PDM_OK)
            goto out_rollback;
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        rc = exec(s, s->db, sql, "cannot set schema version");
        if (rc != PDM_OK)
            goto out_rollback;
    }
    if (from == 0) {
        char created[32];
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) ||
            strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(created, sizeof created, "%lld", (long long)now);
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id = %d;"
                 "INSERT INTO meta(key, value) VALUES('created', '%s')",
                 STORE_APP_ID, created);
        rc = exec(s, s->db, sql, "cannot initialise");
        if (rc != PDM_OK)
            goto out_rollback;
    }
    if (from < schema_version) {
        rc = exec(s, s->db,
                  "INSERT INTO meta(key, value) VALUES('polydm_version', '"
                  PDM_VERSION "') ON CONFLICT(key) DO UPDATE SET"
                  " value = excluded.value",
                  "cannot record version");
        if (rc != PDM_OK)
            goto out_rollback;
    }
    rc = exec(s, s->db, "COMMIT", "cannot commit schema upgrade");
    if (rc != PDM_OK)
        goto out_rollback;
    s->is_new = empty;
    return PDM_OK;

out_rollback:
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int prepare_all(pdm__store *s)
{
    for (int i = 0; i < ST__COUNT; i++) {
        int src = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                                     SQLITE_PREPARE_PERSISTENT, &s->st[i],
                                     NULL);
        if (src == SQLITE_OK)
            continue;
        if ((src & 0xff) == SQLITE_ERROR) /* no such table or column */
            return set_err(s, PDM_ECORRUPT,
                           "schema does not match version %d: %s",
                           schema_version, sqlite3_errmsg(s->db));
        return fail(s, s->db, src, "cannot prepare statements");
    }
    return PDM_OK;
}

/* Whether PRAGMA quick_check runs at open.  It reads every page (for a
 * 10,000-node store it cost more than loading the tree), and SQLite keeps
 * the file consistent across a killed process by itself; what the check is
 * for is damage from outside: a power loss on a disk that lies about its
 * flushes, a broken copy, bit rot.  So it runs on request (PDM_STORE_CHECK)
 * and whenever the last shutdown was not known to be clean:
 *
 *  - The marker "<db>-clean" is created only by a close that found itself
 *    the last connection (SQLite checkpointed the WAL into the file, synced
 *    it and removed the WAL), after that close.  A process killed, a crash
 *    or a power loss never creates it, nor does a close that saw SQLite
 *    report damage.
 *  - A read-write open removes the marker (and syncs the directory) before
 *    it even reads the file, so from then until its own close the store
 *    counts as unclean for every other open, whatever happens to this one.
 *  - A write-ahead log with content means a writer is running or died:
 *    checked too.
 * A read-only open cannot remove the marker and only looks at it.  A
 * cleanly closed store is still checked page by page as it loads: SQLite
 * reports a damaged node page as SQLITE_CORRUPT, which becomes
 * PDM_ECORRUPT just the same; and a file shorter than its header says (a
 * copy cut short) is refused at once (check_length). */
static int take_clean_marker(pdm__store *s, const char *dir, bool *clean)
{
    struct stat st;
    *clean = false;
    if (s->readonly) {
        *clean = lstat(s->clean_path, &st) == 0 && S_ISREG(st.st_mode);
        return PDM_OK;
    }
    if (unlink(s->clean_path) == 0) {
        *clean = true;
        /* Durable before anything else happens: a power loss from here
         * on must find the store unclean. */
        sync_dir_fd(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        return PDM_OK;
    }
    if (errno == ENOENT)
        return PDM_OK;
    /* A marker we cannot remove would vouch for a crash of this process. */
    return set_err(s, PDM_EIO, "cannot remove the clean-shutdown marker %s: "
                   "%s", s->clean_path, strerror(errno));
}

static bool wal_has_content(const pdm__store *s)
{
    struct stat st;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    return stat(wal, &st) == 0 && st.st_size > 0;
}

/* Called by close after the connection is gone: marks a clean shutdown
 * when this was the last connection (SQLite removed the WAL after
 * checkpointing it and syncing the file).  Not synced: a marker lost to a
 * power loss only costs the next open a check; only its removal
 * (take_clean_marker) must be durable. */
static void put_clean_marker(pdm__store *s)
{
    char wal[4096];
    struct stat st;
    int fd;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (lstat(wal, &st) == 0 || errno != ENOENT)
        return; /* another connection is open, or a reader kept the WAL */
    fd = open(s->clean_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
                                 O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static int open_db(pdm__store *s, const char *dir, unsigned flags)
{
    sqlite3 *ro = NULL;
    sqlite3_stmt *st = NULL;
    bool empty = false, clean;
    int version = 0, rc, src;

    /* A store we may read but not write: say so before anything tries to
     * write (the clean-shutdown marker, then SQLite's first write) and
     * fails with a less helpful message. */
    if (!s->readonly && access(s->path, F_OK) == 0 &&
        (access(s->path, W_OK) != 0 || access(dir, W_OK) != 0))
        return set_err(s, PDM_EIO, "the store is read-only for this user "
                       "(the file or its directory is not writable): "
                       "commands that only read (tree get, audit, lock "
                       "status...) work, this one writes");

    /* 0. Whether the last shutdown was clean; from now on it is not. */
    rc = take_clean_marker(s, dir, &clean);
    if (rc != PDM_OK)
        return rc;
    s->checked = (flags & PDM_STORE_CHECK) || !clean || wal_has_content(s);

    /* 1. Identify the file: its header, then a read-only connection --
     * unless the header of a cleanly closed store (no WAL) already proves
     * it ours and current: a read-write open goes straight to step 2. */
    rc = check_header(s, !s->checked, &version);
    if (rc == PDM_OK && !s->readonly && version == schema_version)
        goto read_write;
    if (rc == PDM_OK)
        rc = s->readonly ? db_open_readonly(s, dir, &ro)
                         : db_open(s, &ro, SQLITE_OPEN_READONLY);
    if (rc == PDM_OK)
        rc = inspect(s, ro, s->checked, &empty, &version);
    if (rc == PDM_OK && empty &&
        (flags & (PDM_STORE_READONLY | PDM_STORE_NO_CREATE)))
        rc = set_err(s, PDM_ENOTFOUND, "empty file (no polydm store yet)");
    if (rc == PDM_OK && s->readonly && version < schema_version)
        rc = set_err(s, PDM_EBUSY, "schema version %d needs an upgrade to "
                     "%d; open it read-write once", version, schema_version);
    if (rc != PDM_OK || s->readonly) {
        if (rc == PDM_OK) {
            s->db = ro;
            return prepare_all(s);
        }
        sqlite3_close(ro);
        return rc;
    }
    sqlite3_close(ro);

    /* 2. Ours (or empty): reopen read-write and configure the journal. */
read_write:
    rc = db_open(s, &s->db, SQLITE_OPEN_READWRITE);
    if (rc != PDM_OK)
        return rc;
    src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                             NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            rc = set_err(s, PDM_EIO, "cannot use WAL journal (mode is %s)",
                         mode ? mode : "unknown");
    } else {
        rc = fail(s, s->db, src, "cannot set WAL journal");
    }
    sqlite3_finalize(st);
    if (rc != PDM_OK)
        return rc;
    /* FULL: the WAL is synced at every commit (power-loss durability).
     * secure_delete: a replaced or deleted value (AAuthSecret, a nonce) is
     * overwritten with zeros in the file, not left in free space. */
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;"
             " PRAGMA journal_size_limit = %d; PRAGMA secure_delete = ON",
             STORE_WAL_LIMIT);
    rc = exec(s, s->db, pragmas, "cannot configure");
    if (rc != PDM_OK)
        return rc;

    /* 3. Create or upgrade the schema. */
    if (empty || version < schema_version) {
        rc = upgrade(s);
        if (rc != PDM_OK)
            return rc;
    }
    return prepare_all(s);
}

int pdm__store_open(pdm__store **out, const char *dir, unsigned flags,
                    char *err, size_t errlen)
{
    pdm__store *s;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out || !dir || !*dir) {
        if (err)
            pdm__strlcpy(err, "polydm store: invalid arguments", errlen);
        return PDM_EINVAL;
    }
    *out = NULL;
    s = pdm__calloc(1, sizeof *s);
    if (!s) {
        if (err)
            pdm__strlcpy(err, "polydm store: out of memory", errlen);
        return PDM_ENOMEM;
    }
    s->readonly = (flags & PDM_STORE_READONLY) != 0;
    s->seg_rows = PDM__AUDIT_SEGMENT_ROWS;
    s->seg_kept = PDM__AUDIT_SEGMENTS_KEPT;
    rc = make_path(s, dir);
    if (rc == PDM_OK)
        rc = prepare_dir(s, dir, flags);
    if (rc == PDM_OK)
        rc = prepare_file(s, dir, flags);
    if (rc == PDM_OK)
        rc = open_db(s, dir, flags);
    if (rc == PDM_OK)
        s->opened = true;
    if (rc != PDM_OK) {
        if (err)
            pdm__strlcpy(err, s->err, errlen);
        pdm__store_close(s);
        return rc;
    }
    *out = s;
    return PDM_OK;
}

void pdm__store_close(pdm__store *s)
{
    if (!s)
        return;
    if (s->in_tx)
        pdm__store_rollback(s);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    /* sqlite3_close, not _v2: every statement is finalized, and the marker
     * must only follow a connection that is really gone. */
    if (sqlite3_close(s->db) != SQLITE_OK)
        sqlite3_close_v2(s->db); /* freed once SQLite lets go of it */
    else if (s->db && s->opened && !s->readonly && !s->saw_corrupt)
        put_clean_marker(s);
    pdm__free(s->path);
    pdm__free(s->clean_path);
    pdm__free(s->seg_dir);
    pdm__free(s);
}

bool pdm__store_is_new(const pdm__store *s) { return s->is_new; }

bool pdm__store_checked(const pdm__store *s) { return s->checked; }

const char *pdm__store_path(const pdm__store *s) { return s->path; }

const char *pdm__store_error(const pdm__store *s) { return s->err; }

static void audit_maybe_rotate(pdm__store *s);

/* ---- transactions ------------------------------------------------------ */
/* Checks before any write: not read-only, and if a transaction is open,
 * SQLite has not rolled it back behind our back (it does so on I/O errors,
 * SQLITE_FULL, ...) -- otherwise later writes would each autocommit and a
 * package could be stored in part. */
static int writable(pdm__store *s)
{
    if (s->readonly)
        return set_err(s, PDM_EINVAL, "store is open read-only");
    if (s->in_tx && sqlite3_get_autocommit(s->db))
        return set_err(s, PDM_EIO, "transaction was rolled back after an "
                       "earlier error; roll back and start again");
    return PDM_OK;
}

int pdm__store_begin(pdm__store *s)
{
    int rc;
    if (s->in_tx)
        return set_err(s, PDM_EINVAL, "transaction already open");
    rc = writable(s);
    if (rc == PDM_OK)
        rc = run(s, s->st[ST_BEGIN], "cannot begin transaction");
    if (rc == PDM_OK)
        s->in_tx = true;
    return rc;
}

int pdm__store_commit(pdm__store *s)
{
    int rc;
    if (!s->in_tx)
        return set_err(s, PDM_EINVAL, "no transaction to commit");
    rc = writable(s);
    if (rc == PDM_OK)
        rc = run(s, s->st[ST_COMMIT], "cannot commit");
    if (rc != PDM_OK && !sqlite3_get_autocommit(s->db))
        run(s, s->st[ST_ROLLBACK], "cannot roll back");
    s->in_tx = false;
    if (rc == PDM_OK)
        audit_maybe_rotate(s);
    return rc;
}

bool pdm__store_in_transaction(const pdm__store *s) { return s->in_tx; }

bool pdm__store_readonly(const pdm__store *s) { return s->readonly; }

int pdm__store_checkpoint(pdm__store *s)
{
    int busy = 0, src;
    if (s->readonly || s->in_tx)
        return set_err(s, PDM_EINVAL, "checkpoint needs a writable store "
                                      "outside a transaction");
    src = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                    NULL, &busy);
    if (src == SQLITE_BUSY)
        return set_err(s, PDM_EBUSY, "checkpoint: a reader holds the WAL");
    return src == SQLITE_OK ? PDM_OK : fail(s, s->db, src, "cannot checkpoint");
}

void pdm__store_rollback(pdm__store *s)
{
    if (!s->in_tx)
        return;
    /* SQLite may already have rolled back after an error. */
    if (!sqlite3_get_autocommit(s->db))
        run(s, s->st[ST_ROLLBACK], "cannot roll back");
    s->in_tx = false;
}

/* ---- nodes --------------------------------------------------------------- */
int pdm__store_load_nodes(pdm__store *s,
                          int (*cb)(void *user, const pdm__node_rec *r),
                          void *user)
{
    sqlite3_stmt *st = s->st[ST_LOAD_NODES];
    int src, rc = PDM_OK;

    if (!cb)
        return set_err(s, PDM_EINVAL, "load_nodes: no callback");
    if (sqlite3_stmt_busy(st)) /* called again from inside a callback */
        return set_err(s, PDM_EINVAL, "load_nodes: nested call");
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        pdm__node_rec r;
        r.id = sqlite3_column_int64(st, 0);
        r.parent = sqlite3_column_int64(st, 1);
        r.format = (uint32_t)sqlite3_column_int64(st, 3);
        r.flags = (uint32_t)sqlite3_column_int64(st, 4);
        r.tstamp = sqlite3_column_int64(st, 9);
        r.verno = (uint32_t)sqlite3_column_int64(st, 10);
        r.name = (const char *)sqlite3_column_text(st, 2);
        r.type = (const char *)sqlite3_column_text(st, 5);
        r.title = (const char *)sqlite3_column_text(st, 6);
        r.acl = (const char *)sqlite3_column_text(st, 7);
        r.owner = (const char *)sqlite3_column_text(st, 8);
        r.value = sqlite3_column_blob(st, 11);
        r.value_len = (size_t)sqlite3_column_bytes(st, 11);
        /* A zero-length blob reads as NULL too: only then ask the type. */
        r.has_value = r.value || sqlite3_column_type(st, 11) != SQLITE_NULL;
        if (!r.name || (r.has_value && !r.value && r.value_len > 0)) {
            rc = set_err(s, PDM_ENOMEM, "load_nodes: out of memory");
            break;
        }
        if (r.has_value && !r.value)
            r.value = (const uint8_t *)""; /* zero-length value */
        rc = cb(user, &r);
        if (rc != 0)
            break;
    }
    if (rc == PDM_OK && src != SQLITE_DONE)
        rc = fail(s, s->db, src, "cannot load nodes");
    done(st);
    return rc;
}

int64_t pdm__store_max_node_id(pdm__store *s)
{
    sqlite3_stmt *st = s->st[ST_MAX_ID];
    int src = sqlite3_step(st);
    int64_t id;
    if (src == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    else
        id = fail(s, s->db, src, "cannot read largest node id");
    done(st);
    return id;
}

int pdm__store_put_node(pdm__store *s, const pdm__node_rec *r)
{
    sqlite3_stmt *st = s->st[ST_PUT_NODE];
    int b, rc;

    if (!s->in_tx)
        return set_err(s, PDM_EINVAL, "put_node outside a transaction");
    if (!r || r->id <= 0 || !r->name || (!r->value && r->value_len > 0))
        return set_err(s, PDM_EINVAL, "put_node: invalid record");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    b = sqlite3_bind_int64(st, 1, r->id);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 2, r->parent);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 4, r->format);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 5, r->flags);
    /* A NULL string binds SQL NULL (absent property). */
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 6, r->type, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 7, r->title, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 8, r->acl, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 9, r->owner, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 10, r->tstamp);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 11, r->verno);
    if (b == SQLITE_OK)
        b = r->has_value ? bind_value(st, 12, r->value, r->value_len)
                         : sqlite3_bind_null(st, 12);
    if (b != SQLITE_OK) {
        done(st);
        return fail(s, s->db, b, "cannot store node");
    }
    return run(s, st, "cannot store node");
}

int pdm__store_set_value(pdm__store *s, const pdm__node_rec *r)
{
    sqlite3_stmt *st = s->st[ST_SET_VALUE];
    int b, rc;

    if (!s->in_tx)
        return set_err(s, PDM_EINVAL, "set_value outside a transaction");
    if (!r || r->id <= 0 || (!r->value && r->value_len > 0))
        return set_err(s, PDM_EINVAL, "set_value: invalid record");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    b = sqlite3_bind_int64(st, 1, r->id);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 2, r->format);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 3, r->type, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 4, r->tstamp);
    if (b == SQLITE_OK)
        b = sqlite3_bind_int64(st, 5, r->verno);
    if (b == SQLITE_OK)
        b = r->has_value ? bind_value(st, 6, r->value, r->value_len)
                         : sqlite3_bind_null(st, 6);
    if (b != SQLITE_OK) {
        done(st);
        return fail(s, s->db, b, "cannot store node value");
    }
    /* Every parameter is bound again before each step: a reset without
     * sqlite3_clear_bindings is enough (a package steps this once per
     * Replace). */
    if (sqlite3_step(st) == SQLITE_DONE) {
        sqlite3_reset(st);
        rc = PDM_OK;
    } else {
        rc = fail(s, s->db, sqlite3_reset(st), "cannot store node value");
    }
    if (rc == PDM_OK && sqlite3_changes(s->db) == 0)
        return set_err(s, PDM_ENOTFOUND, "set_value: no node %lld",
                       (long long)r->id);
    return rc;
}

int pdm__store_del_node(pdm__store *s, int64_t id)
{
    sqlite3_stmt *st = s->st[ST_DEL_NODE];
    int rc;

    if (!s->in_tx)
        return set_err(s, PDM_EINVAL, "del_node outside a transaction");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = run(s, st, "cannot delete node");
    if (rc == PDM_OK && sqlite3_changes(s->db) == 0)
        return PDM_ENOTFOUND;
    return rc;
}

/* ---- audit log ----------------------------------------------------------- */
int pdm__store_audit_add(pdm__store *s, const pdm__audit_rec *a)
{
    sqlite3_stmt *st = s->st[ST_AUDIT_ADD];
    int b, rc;

    if (!a || !a->principal || !a->op || !a->decision)
        return set_err(s, PDM_EINVAL, "audit_add: invalid record");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    b = sqlite3_bind_int64(st, 1, a->ts_ms);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 2, a->principal, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 3, a->op, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 4, a->uri, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 5, a->decision, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 6, a->component, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 7, a->reason, -1, SQLITE_STATIC);
    if (b != SQLITE_OK) {
        done(st);
        return fail(s, s->db, b, "cannot append audit entry");
    }
    rc = run(s, st, "cannot append audit entry");
    if (rc == PDM_OK && !s->in_tx)
        audit_maybe_rotate(s);
    return rc;
}

int pdm__store_audit_query(pdm__store *s, int64_t since_ms,
                           int (*cb)(void *user, const pdm__audit_rec *a),
                           void *user)
{
    sqlite3_stmt *st = s->st[ST_AUDIT_QUERY];
    int src, rc = PDM_OK;

    if (!cb)
        return set_err(s, PDM_EINVAL, "audit_query: no callback");
    if (sqlite3_stmt_busy(st))
        return set_err(s, PDM_EINVAL, "audit_query: nested call");
    sqlite3_bind_int64(st, 1, since_ms);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        pdm__audit_rec a;
        a.seq = sqlite3_column_int64(st, 0);
        a.ts_ms = sqlite3_column_int64(st, 1);
        a.principal = (const char *)sqlite3_column_text(st, 2);
        a.op = (const char *)sqlite3_column_text(st, 3);
        a.uri = (const char *)sqlite3_column_text(st, 4);
        a.decision = (const char *)sqlite3_column_text(st, 5);
        a.component = (const char *)sqlite3_column_text(st, 6);
        a.reason = (const char *)sqlite3_column_text(st, 7);
        if (!a.principal || !a.op || !a.decision) {
            rc = set_err(s, PDM_ENOMEM, "audit_query: out of memory");
            break;
        }
        rc = cb(user, &a);
        if (rc != 0)
            break;
    }
    if (rc == PDM_OK && src != SQLITE_DONE)
        rc = fail(s, s->db, src, "cannot read audit log");
    done(st);
    return rc;
}

/* ---- audit retention: archived, hash-chained segments -------------------
 * When the audit table holds seg_rows rows, they are written to
 * "<dir>/audit/NNNNNN.log" (0600):
 *   polydm-audit-segment 1
 *   prev <SHA-256 of the previous segment file, hex; zeros for the first>
 *   <seq> TAB <ts_ms> TAB <principal> TAB <op> TAB <uri> TAB <decision>
 *       TAB <component> TAB <reason>          (one line per row, escaped)
 * then, in one transaction, the segment (its seq range and the SHA-256 of
 * the file) is appended to audit_seg and its rows are deleted (the only
 * deletion the trigger lets through).  The newest seg_kept files are kept,
 * older files are removed; their audit_seg rows stay, so the chain is
 * checked from the first kept file on (pdm__store_audit_verify). */

/* "\\t", "\\n", "\\r", "\\\\" for the separators; "\\N" for SQL NULL. */
static void seg_field(pdm__buf *b, const unsigned char *v)
{
    if (!v) {
        pdm__buf_puts(b, "\\N");
        return;
    }
    for (; *v; v++) {
        switch (*v) {
        case '\t': pdm__buf_puts(b, "\\t"); break;
        case '\n': pdm__buf_puts(b, "\\n"); break;
        case '\r': pdm__buf_puts(b, "\\r"); break;
        case '\\': pdm__buf_puts(b, "\\\\"); break;
        default: pdm__buf_putc(b, (char)*v);
        }
    }
}

static void hex_digest(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void seg_path(const pdm__store *s, int64_t id, char *out, size_t len)
{
    snprintf(out, len, "%s/%06lld.log", s->seg_dir, (long long)id);
}

/* The last segment's id and hash (0 and zeros before the first). */
static int seg_last(pdm__store *s, int64_t *id, int64_t *last_seq,
                    char hash[PDM__AUDIT_HASH_HEX + 1])
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "SELECT id, last_seq, hash FROM"
                                 " audit_seg ORDER BY id DESC LIMIT 1", -1,
                                 &st, NULL);
    *id = *last_seq = 0;
    snprintf(hash, PDM__AUDIT_HASH_HEX + 1, "%s", PDM__AUDIT_HASH_ZERO);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *last_seq = sqlite3_column_int64(st, 1);
        snprintf(hash, PDM__AUDIT_HASH_HEX + 1, "%s",
                 (const char *)sqlite3_column_text(st, 2));
        src = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? PDM_OK
                              : fail(s, s->db, src, "cannot read audit segments");
}

/* Writes rows [first, last] of the audit table into @path (via a
 * temporary file, synced, renamed); @hash gets the file's SHA-256. */
static int seg_write(pdm__store *s, const char *path, int64_t last,
                     const char *prev, char hash[PDM__AUDIT_HASH_HEX + 1],
                     int64_t *nrows)
{
    sqlite3_stmt *st = NULL;
    gnutls_hash_hd_t h = NULL;
    uint8_t d[32];
    char tmp[PATH_MAX];
    pdm__buf b;
    int fd, src, rc = PDM_OK, dfd;

    *nrows = 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return set_err(s, PDM_EIO, "segment path too long: %.300s", path);
    if (mkdir(s->seg_dir, 0700) != 0 && errno != EEXIST)
        return set_err(s, PDM_EIO, "cannot create %s: %s", s->seg_dir,
                       strerror(errno));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return set_err(s, PDM_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0) {
        close(fd);
        unlink(tmp);
        return set_err(s, PDM_ERROR, "cannot hash the audit segment");
    }
    pdm__buf_init(&b);
    pdm__buf_printf(&b, "polydm-audit-segment 1\nprev %s\n", prev);
    src = sqlite3_prepare_v2(s->db, "SELECT seq, ts_ms, principal, op, uri,"
                             " decision, component, reason FROM audit"
                             " WHERE seq <= ?1 ORDER BY seq", -1, &st, NULL);
    if (src == SQLITE_OK)
        sqlite3_bind_int64(st, 1, last);
    while (src == SQLITE_OK || src == SQLITE_ROW) {
        if ((src = sqlite3_step(st)) == SQLITE_ROW) {
            pdm__buf_printf(&b, "%lld\t%lld\t", (long long)sqlite3_column_int64(st, 0),
                            (long long)sqlite3_column_int64(st, 1));
            for (int i = 2; i < 8; i++) {
                seg_field(&b, sqlite3_column_text(st, i));
                pdm__buf_putc(&b, i < 7 ? '\t' : '\n');
            }
            ++*nrows;
        }
        /* written in pieces: a segment holds up to 65535 rows */
        if (pdm__buf_ok(&b) && (b.len > 65536 || src != SQLITE_ROW) && b.len) {
            if (write(fd, b.data, b.len) != (ssize_t)b.len) {
                rc = set_err(s, PDM_EIO, "cannot write %s: %s", tmp,
                             strerror(errno));
                break;
            }
            gnutls_hash(h, b.data, b.len);
            b.len = 0;
        }
        if (!pdm__buf_ok(&b)) {
            rc = set_err(s, PDM_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == PDM_OK && src != SQLITE_DONE)
        rc = fail(s, s->db, src, "cannot read audit log");
    sqlite3_finalize(st);
    pdm__buf_free(&b);
    gnutls_hash_deinit(h, d);
    hex_digest(d, sizeof d, hash);
    if (rc == PDM_OK && fsync(fd) != 0)
        rc = set_err(s, PDM_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == PDM_OK && rename(tmp, path) != 0)
        rc = set_err(s, PDM_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc != PDM_OK) {
        unlink(tmp);
        return rc;
    }
    dfd = open(s->seg_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    sync_dir_fd(dfd);
    return PDM_OK;
}

/* Records segment @id over rows [first, last] and drops those rows. */
static int seg_record(pdm__store *s, int64_t id, int64_t first, int64_t last,
                      int64_t nrows, const char *prev, const char *hash)
{
    sqlite3_stmt *st = NULL;
    char sql[80];
    int src = sqlite3_prepare_v2(s->db, "INSERT INTO audit_seg(id, first_seq,"
                                 " last_seq, nrows, ts_ms, prev_hash, hash)"
                                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
                                 &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, first);
        sqlite3_bind_int64(st, 3, last);
        sqlite3_bind_int64(st, 4, nrows);
        sqlite3_bind_int64(st, 5, (int64_t)time(NULL) * 1000);
        sqlite3_bind_text(st, 6, prev, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, hash, -1, SQLITE_STATIC);
        src = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return fail(s, s->db, src, "cannot record audit segment");
    snprintf(sql, sizeof sql, "DELETE FROM audit WHERE seq <= %lld",
             (long long)last);
    return exec(s, s->db, sql, "cannot drop archived audit rows");
}

int pdm__store_audit_rotate(pdm__store *s)
{
    char prev[PDM__AUDIT_HASH_HEX + 1], hash[PDM__AUDIT_HASH_HEX + 1];
    char path[PATH_MAX];
    int64_t id, prev_last, first = 0, last = 0, nrows = 0;
    sqlite3_stmt *st = NULL;
    int rc, src;

    if (s->readonly || s->in_tx)
        return set_err(s, PDM_EINVAL, "audit_rotate: store is read-only or "
                       "in a transaction");
    /* Everything under the write lock: another process rotating the same
     * store must neither pick the same segment id nor lose its file. */
    rc = pdm__store_begin(s);
    if (rc != PDM_OK)
        return rc;
    rc = seg_last(s, &id, &prev_last, prev);
    if (rc == PDM_OK) {
        src = sqlite3_prepare_v2(s->db, "SELECT coalesce(min(seq), 0),"
                                 " coalesce(max(seq), 0) FROM audit", -1, &st,
                                 NULL);
        if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
            first = sqlite3_column_int64(st, 0);
            last = sqlite3_column_int64(st, 1);
            src = SQLITE_DONE;
        }
        sqlite3_finalize(st);
        if (src != SQLITE_DONE)
            rc = fail(s, s->db, src, "cannot read audit log");
    }
    if (rc != PDM_OK || last == 0) { /* or nothing to archive */
        pdm__store_rollback(s);
        return rc;
    }
    seg_path(s, id + 1, path, sizeof path);
    rc = seg_write(s, path, last, prev, hash, &nrows);
    if (rc == PDM_OK)
        rc = seg_record(s, id + 1, first, last, nrows, prev, hash);
    if (rc != PDM_OK) {
        /* The rows stay in the table; the file goes while the lock is
         * still ours. */
        unlink(path);
        pdm__store_rollback(s);
        return rc;
    }
    s->rotating = true; /* this commit must not rotate again */
    rc = pdm__store_commit(s);
    s->rotating = false;
    if (rc != PDM_OK)
        return rc; /* an unrecorded file: the next rotation replaces it */
    /* Retention: the newest seg_kept files stay. */
    for (int64_t old = id + 1 - s->seg_kept; old > 0; old--) {
        seg_path(s, old, path, sizeof path);
        if (unlink(path) != 0)
            break;
    }
    return PDM_OK;
}

static void audit_maybe_rotate(pdm__store *s)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (s->readonly || s->in_tx || s->rotating || !s->seg_rows)
        return;
    if (sqlite3_prepare_v2(s->db, "SELECT max(seq) - min(seq) + 1 FROM audit",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    /* A failed rotation leaves the rows where they are: the log only
     * grows past its bound, nothing is lost; the next append retries. */
    if (n >= (int64_t)s->seg_rows)
        pdm__store_audit_rotate(s);
}

void pdm__store_audit_retention(pdm__store *s, unsigned segment_rows,
                                unsigned segments_kept)
{
    s->seg_rows = segment_rows;
    s->seg_kept = segments_kept ? segments_kept : 1;
}

/* Checks one kept segment file against its audit_seg row. */
static int seg_check(pdm__store *s, const char *path, int64_t first,
                     int64_t last, int64_t nrows, const char *prev,
                     const char *hash, char *why, size_t whylen)
{
    uint8_t *data = NULL, d[32];
    size_t len = 0, lines = 0;
    char hex[PDM__AUDIT_HASH_HEX + 1], head[128];
    const char *p, *end;
    int64_t want = first;
    int rc = pdm__read_file(path, 1u << 30, &data, &len);
    if (rc != PDM_OK) {
        snprintf(why, whylen, "%.300s: cannot read it", path);
        return PDM_ECORRUPT;
    }
    gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
    hex_digest(d, sizeof d, hex);
    snprintf(head, sizeof head, "polydm-audit-segment 1\nprev %s\n", prev);
    rc = PDM_ECORRUPT;
    if (strcmp(hex, hash) != 0)
        snprintf(why, whylen, "%.300s: changed after it was archived (its SHA-256 "
                 "is not the one recorded)", path);
    else if (len < strlen(head) || memcmp(data, head, strlen(head)) != 0)
        snprintf(why, whylen, "%.300s: its first row does not carry the previous "
                 "segment's hash", path);
    else
        rc = PDM_OK;
    for (p = (const char *)data + strlen(head), end = (const char *)data + len;
         rc == PDM_OK && p < end; lines++, want++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        long long seq = strtoll(p, NULL, 10);
        if (!nl || seq != want) {
            snprintf(why, whylen, "%.300s: row %zu is not seq %lld", path,
                     lines + 1, (long long)want);
            rc = PDM_ECORRUPT;
        }
        p = nl ? nl + 1 : end;
    }
    if (rc == PDM_OK && ((int64_t)lines != nrows || want != last + 1)) {
        snprintf(why, whylen, "%.300s: holds %zu rows, %lld recorded", path, lines,
                 (long long)nrows);
        rc = PDM_ECORRUPT;
    }
    pdm__free(data);
    return rc;
}

int pdm__store_audit_verify(pdm__store *s, pdm__audit_verdict *v)
{
    sqlite3_stmt *st = NULL;
    char prev[PDM__AUDIT_HASH_HEX + 1] = PDM__AUDIT_HASH_ZERO;
    int64_t expect_first = 1, live_min = 0, live_max = 0, live_n = 0;
    int rc = PDM_OK, src;
    bool seen_file = false;

    memset(v, 0, sizeof *v);
    src = sqlite3_prepare_v2(s->db, "SELECT id, first_seq, last_seq, nrows,"
                             " prev_hash, hash FROM audit_seg ORDER BY id",
                             -1, &st, NULL);
    while (rc == PDM_OK && src == SQLITE_OK &&
           (src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int64_t first = sqlite3_column_int64(st, 1);
        int64_t last = sqlite3_column_int64(st, 2);
        const char *ph = (const char *)sqlite3_column_text(st, 4);
        const char *h = (const char *)sqlite3_column_text(st, 5);
        char path[PATH_MAX];
        struct stat sb;
        src = SQLITE_OK;
        seg_path(s, id, path, sizeof path);
        if (!ph || !h || strcmp(ph, prev) != 0 || first != expect_first) {
            snprintf(v->why, sizeof v->why, "audit segment %lld does not "
                     "follow segment %lld (chain or seq range broken)",
                     (long long)id, (long long)id - 1);
            rc = PDM_ECORRUPT;
        } else if (lstat(path, &sb) != 0) {
            /* Retention removes the oldest files only. */
            if (seen_file) {
                snprintf(v->why, sizeof v->why, "%.400s is missing, but a "
                         "newer segment is kept", path);
                rc = PDM_ECORRUPT;
            }
            v->dropped++;
        } else {
            seen_file = true;
            rc = seg_check(s, path, first, last, sqlite3_column_int64(st, 3),
                           ph, h, v->why, sizeof v->why);
            v->kept++;
            v->archived_rows += sqlite3_column_int64(st, 3);
        }
        snprintf(prev, sizeof prev, "%s", h ? h : "");
        expect_first = last + 1;
    }
    if (rc == PDM_OK && src != SQLITE_DONE && src != SQLITE_OK)
        rc = fail(s, s->db, src, "cannot read audit segments");
    sqlite3_finalize(st);
    if (rc == PDM_OK && v->dropped && !v->kept) {
        snprintf(v->why, sizeof v->why, "the newest audit segment file is "
                 "missing (%.400s)", s->seg_dir);
        rc = PDM_ECORRUPT;
    }
    if (rc != PDM_OK)
        return rc;
    /* The live rows continue the last segment without a gap. */
    if (sqlite3_prepare_v2(s->db, "SELECT coalesce(min(seq), 0),"
                           " coalesce(max(seq), 0), count(*) FROM audit", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        live_min = sqlite3_column_int64(st, 0);
        live_max = sqlite3_column_int64(st, 1);
        live_n = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    v->live_rows = live_n;
    if (live_n && (live_min != expect_first ||
                   live_max - live_min + 1 != live_n)) {
        snprintf(v->why, sizeof v->why, "audit rows are missing: the table "
                 "holds %lld rows between seq %lld and %lld, expected from "
                 "%lld on without gaps", (long long)live_n,
                 (long long)live_min, (long long)live_max,
                 (long long)expect_first);
        return PDM_ECORRUPT;
    }
    return PDM_OK;
}

/* ---- nonces and plugin key/value ----------------------------------------- */
/* One value by a two-part key; *out is a pdm__malloc copy (never NULL). */
static int blob_get(pdm__store *s, enum stmt_id id, const char *k1,
                    const char *k2, uint8_t **out, size_t *len,
                    const char *what)
{
    sqlite3_stmt *st = s->st[id];
    int src, rc = PDM_OK;

    if (!k1 || !k2 || !out || !len)
        return set_err(s, PDM_EINVAL, "%s: invalid arguments", what);
    *out = NULL;
    *len = 0;
    sqlite3_bind_text(st, 1, k1, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k2, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (!p && n > 0) {
            rc = set_err(s, PDM_ENOMEM, "%s: out of memory", what);
        } else if (!(*out = pdm__malloc(n ? n : 1))) {
            rc = set_err(s, PDM_ENOMEM, "%s: out of memory", what);
        } else {
            if (n)
                memcpy(*out, p, n);
            *len = n;
        }
    } else if (src == SQLITE_DONE) {
        rc = PDM_ENOTFOUND;
    } else {
        rc = fail(s, s->db, src, what);
    }
    done(st);
    return rc;
}

static int blob_put(pdm__store *s, enum stmt_id id, const char *k1,
                    const char *k2, const uint8_t *val, size_t len,
                    const char *what)
{
    sqlite3_stmt *st = s->st[id];
    int b, rc;

    if (!k1 || !k2 || (!val && len > 0))
        return set_err(s, PDM_EINVAL, "%s: invalid arguments", what);
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    b = sqlite3_bind_text(st, 1, k1, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = sqlite3_bind_text(st, 2, k2, -1, SQLITE_STATIC);
    if (b == SQLITE_OK)
        b = bind_value(st, 3, val, len);
    if (b != SQLITE_OK) {
        done(st);
        return fail(s, s->db, b, what);
    }
    return run(s, st, what);
}

int pdm__store_nonce_get(pdm__store *s, const char *server_id,
                         const char *kind, uint8_t **out, size_t *len)
{
    return blob_get(s, ST_NONCE_GET, server_id, kind, out, len,
                    "cannot read nonce");
}

int pdm__store_nonce_put(pdm__store *s, const char *server_id,
                         const char *kind, const uint8_t *val, size_t len)
{
    return blob_put(s, ST_NONCE_PUT, server_id, kind, val, len,
                    "cannot store nonce");
}

int pdm__store_kv_get(pdm__store *s, const char *plugin, const char *key,
                      uint8_t **out, size_t *len)
{
    return blob_get(s, ST_KV_GET, plugin, key, out, len,
                    "cannot read plugin data");
}

int pdm__store_kv_put(pdm__store *s, const char *plugin, const char *key,
                      const uint8_t *val, size_t len)
{
    return blob_put(s, ST_KV_PUT, plugin, key, val, len,
                    "cannot store plugin data");
}

int pdm__store_kv_del(pdm__store *s, const char *plugin, const char *key)
{
    sqlite3_stmt *st = s->st[ST_KV_DEL];
    int rc;

    if (!plugin || !key)
        return set_err(s, PDM_EINVAL, "kv_del: invalid arguments");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    rc = run(s, st, "cannot delete plugin data");
    if (rc == PDM_OK && sqlite3_changes(s->db) == 0)
        return PDM_ENOTFOUND;
    return rc;
}

int pdm__store_kv_del_prefix(pdm__store *s, const char *plugin,
                             const char *prefix)
{
    sqlite3_stmt *st = s->st[ST_KV_DEL_PREFIX];
    int rc;

    if (!plugin || !prefix || !*prefix)
        return set_err(s, PDM_EINVAL, "kv_del_prefix: invalid arguments");
    rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
    return run(s, st, "cannot delete plugin data");
}

int pdm__store_kv_count(pdm__store *s, const char *plugin, size_t *n)
{
    sqlite3_stmt *st = s->st[ST_KV_COUNT];
    int src, rc = PDM_OK;

    if (!plugin || !n)
        return set_err(s, PDM_EINVAL, "kv_count: invalid arguments");
    *n = 0;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *n = (size_t)sqlite3_column_int64(st, 0);
    else
        rc = fail(s, s->db, src, "cannot count plugin data");
    done(st);
    return rc;
}

int pdm__store_nonce_clear(pdm__store *s)
{
    int rc = writable(s);
    if (rc != PDM_OK)
        return rc;
    return run(s, s->st[ST_NONCE_CLEAR], "cannot delete the nonces");
}
