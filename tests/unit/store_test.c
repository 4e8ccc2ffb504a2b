/*
 * Unit tests of core/src/store: node round trip and load order,
 * transaction rules, audit log (append-only even for raw SQL), nonces and
 * plugin key/value data, file permissions, refusal of foreign / newer /
 * damaged files without touching them, schema upgrades, a read-only open
 * next to a writer in another process, and allocation failures.
 *
 * Every test works in its own subdirectory of pdm_test_tmpdir().
 */
#define _GNU_SOURCE /* memmem */
#include "cu_main.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/util.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define APP_ID 0x50444D31

/* ---- helpers -------------------------------------------------------------- */
/* "<tmp>/<name>" in a static buffer (one at a time per slot). */
static const char *case_dir(const char *name)
{
    static char buf[16][512];
    static int slot;
    char *p = buf[slot++ % 16];
    snprintf(p, sizeof buf[0], "%s/%s", pdm_test_tmpdir(), name);
    return p;
}

static const char *db_path(const char *dir)
{
    static char buf[4][600];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, sizeof buf[0], "%s/polydm.db", dir);
    return p;
}

static pdm__store *open_ok(const char *dir, unsigned flags)
{
    pdm__store *s = NULL;
    char err[512];
    int rc = pdm__store_open(&s, dir, flags, err, sizeof err);
    if (rc != PDM_OK)
        fprintf(stderr, "open %s: %d %s\n", dir, rc, err);
    CU_ASSERT_EQUAL_FATAL(rc, PDM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static pdm__node_rec node(int64_t id, int64_t parent, const char *name,
                          const char *value)
{
    pdm__node_rec r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.parent = parent;
    r.name = name;
    r.format = 1;
    r.value = (const uint8_t *)value;
    r.value_len = value ? strlen(value) : 0;
    r.has_value = value != NULL;
    return r;
}

/* Owned copy of a loaded node. */
typedef struct got_node {
    pdm__node_rec r;
    char *name, *type, *title, *acl, *owner;
    uint8_t *value;
} got_node;

typedef struct got_nodes {
    got_node n[64];
    int count;
} got_nodes;

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int collect(void *user, const pdm__node_rec *r)
{
    got_nodes *g = user;
    got_node *n;
    if (g->count >= (int)PDM__ARRAY_LEN(g->n))
        return -100;
    n = &g->n[g->count++];
    n->r = *r;
    n->name = dup_or_null(r->name);
    n->type = dup_or_null(r->type);
    n->title = dup_or_null(r->title);
    n->acl = dup_or_null(r->acl);
    n->owner = dup_or_null(r->owner);
    n->value = NULL;
    CU_ASSERT(!r->has_value || r->value != NULL);
    if (r->has_value) {
        n->value = malloc(r->value_len + 1);
        memcpy(n->value, r->value, r->value_len);
    }
    return 0;
}

static void got_free(got_nodes *g)
{
    for (int i = 0; i < g->count; i++) {
        free(g->n[i].name);
        free(g->n[i].type);
        free(g->n[i].title);
        free(g->n[i].acl);
        free(g->n[i].owner);
        free(g->n[i].value);
    }
    g->count = 0;
}

static int load(pdm__store *s, got_nodes *g)
{
    got_free(g);
    return pdm__store_load_nodes(s, collect, g);
}

static const got_node *find(const got_nodes *g, int64_t id)
{
    for (int i = 0; i < g->count; i++)
        if (g->n[i].r.id == id)
            return &g->n[i];
    return NULL;
}

/* Whole file into a malloc'd buffer (NULL if missing). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void write_file(const char *path, const void *p, size_t n, mode_t mode)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
    chmod(path, mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void mkdir_private(const char *dir) { CU_ASSERT_EQUAL(mkdir(dir, 0700), 0); }

/* Runs SQL on a raw SQLite handle; returns the SQLite result code. */
static int raw_exec(const char *path, const char *sql, char *msg, size_t n)
{
    sqlite3 *db = NULL;
    char *e = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &e);
    if (msg)
        snprintf(msg, n, "%s", e ? e : "");
    sqlite3_free(e);
    sqlite3_close(db);
    return rc;
}

/* One integer from a raw read-only query (-1 on error). */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void put_commit(pdm__store *s, const pdm__node_rec *r)
{
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, r), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
}

/* ---- nodes ---------------------------------------------------------------- */
/* Every field survives a round trip (binary value, NULL vs empty value, NULL
 * strings), also across a reopen; update and delete work. */
static void test_store__node_round_trip(void)
{
    const char *dir = case_dir("rt");
    static const uint8_t bin[] = {'a', 0, 'b', 0, 0xff, 0};
    pdm__store *s = open_ok(dir, 0);
    got_nodes g = {.count = 0};
    pdm__node_rec full = node(2, 1, "Full", NULL);
    pdm__node_rec empty = node(3, 1, "Empty", NULL);
    pdm__node_rec bare = node(4, 1, "Bare", NULL);
    pdm__node_rec root = node(1, 0, ".", NULL);
    const got_node *n;

    CU_ASSERT_TRUE(pdm__store_is_new(s));
    PDM_ASSERT_STR(pdm__store_path(s), db_path(dir));
    PDM_ASSERT_STR(pdm__store_error(s), "");
    full.format = 7;
    full.flags = 0x80000001u;
    full.type = "application/octet-stream";
    full.title = "A title";
    full.acl = "Get=*&Replace=srv1";
    full.owner = "server:srv1";
    full.tstamp = 1700000000123LL;
    full.verno = 65535;
    full.value = bin;
    full.value_len = sizeof bin;
    full.has_value = true;
    empty.has_value = true; /* empty value: NULL pointer, length 0 */
    root.format = 0;

    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &root), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &full), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &empty), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &bare), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    pdm__store_close(s);

    s = open_ok(dir, 0);
    CU_ASSERT_FALSE(pdm__store_is_new(s));
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 4);
    n = find(&g, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->r.parent, 1);
    PDM_ASSERT_STR(n->name, "Full");
    CU_ASSERT_EQUAL(n->r.format, 7);
    CU_ASSERT_EQUAL(n->r.flags, 0x80000001u);
    PDM_ASSERT_STR(n->type, "application/octet-stream");
    PDM_ASSERT_STR(n->title, "A title");
    PDM_ASSERT_STR(n->acl, "Get=*&Replace=srv1");
    PDM_ASSERT_STR(n->owner, "server:srv1");
    CU_ASSERT_EQUAL(n->r.tstamp, 1700000000123LL);
    CU_ASSERT_EQUAL(n->r.verno, 65535);
    CU_ASSERT_TRUE(n->r.has_value);
    CU_ASSERT_EQUAL_FATAL(n->r.value_len, sizeof bin);
    CU_ASSERT_EQUAL(memcmp(n->value, bin, sizeof bin), 0);

    n = find(&g, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_TRUE(n->r.has_value);
    CU_ASSERT_EQUAL(n->r.value_len, 0);
    n = find(&g, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_FALSE(n->r.has_value);
    CU_ASSERT_EQUAL(n->r.value_len, 0);
    CU_ASSERT_PTR_NULL(n->type);
    CU_ASSERT_PTR_NULL(n->title);
    CU_ASSERT_PTR_NULL(n->acl);
    CU_ASSERT_PTR_NULL(n->owner);
    CU_ASSERT_EQUAL(n->r.tstamp, 0);
    /* The database itself holds NULL vs a zero-length blob. */
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "SELECT count(*) FROM nodes WHERE "
                            "id=3 AND typeof(value)='blob' AND length(value)=0"),
                    1);
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "SELECT count(*) FROM nodes WHERE "
                            "id=4 AND value IS NULL AND type IS NULL"), 1);

    /* Update: value removed, title dropped, renamed; delete another. */
    full.has_value = false;
    full.value = NULL;
    full.value_len = 0;
    full.title = NULL;
    full.name = "Renamed";
    full.verno = 1;
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &full), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_del_node(s, 3), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_del_node(s, 3), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 3);
    CU_ASSERT_PTR_NULL(find(&g, 3));
    n = find(&g, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    PDM_ASSERT_STR(n->name, "Renamed");
    CU_ASSERT_PTR_NULL(n->title);
    CU_ASSERT_FALSE(n->r.has_value);
    CU_ASSERT_EQUAL(n->r.verno, 1);
    PDM_ASSERT_STR(n->acl, "Get=*&Replace=srv1");
    got_free(&g);
    pdm__store_close(s);
}

static int stop_after_first(void *user, const pdm__node_rec *r)
{
    (*(int *)user)++;
    return 42;
}

static int nested_load(void *user, const pdm__node_rec *r)
{
    pdm__store *s = user;
    return pdm__store_load_nodes(s, stop_after_first, &(int){0});
}

/* Loading returns ascending ids (parents first) whatever the insert order;
 * max_node_id; a callback's non-zero return stops and is returned. */
static void test_store__load_order(void)
{
    pdm__store *s = open_ok(case_dir("order"), 0);
    got_nodes g = {.count = 0};
    pdm__node_rec recs[] = {node(10, 5, "leaf", "v"), node(5, 1, "b", NULL),
                            node(7, 1, "a", NULL), node(1, 0, ".", NULL),
                            node(6, 5, "leaf2", "w")};
    static const int64_t want[] = {1, 5, 6, 7, 10};
    int calls = 0;

    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 0);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 0);
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    for (size_t i = 0; i < PDM__ARRAY_LEN(recs); i++)
        CU_ASSERT_EQUAL(pdm__store_put_node(s, &recs[i]), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);

    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(g.count, 5);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(g.n[i].r.id, want[i]);
    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 10);

    CU_ASSERT_EQUAL(pdm__store_load_nodes(s, stop_after_first, &calls), 42);
    CU_ASSERT_EQUAL(calls, 1);
    /* Re-entering load from its own callback is refused, not corrupted. */
    CU_ASSERT_EQUAL(pdm__store_load_nodes(s, nested_load, s), PDM_EINVAL);
    /* Still usable after both. */
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 5);
    got_free(&g);
    pdm__store_close(s);
}

/* ---- transactions --------------------------------------------------------- */
/* Rollback discards; nested begin and writes outside a transaction are
 * refused; a commit is visible after reopening; a failed statement followed
 * by rollback leaves the store usable; error text names the file. */
static void test_store__transactions(void)
{
    const char *dir = case_dir("tx");
    pdm__store *s = open_ok(dir, 0);
    got_nodes g = {.count = 0};
    pdm__node_rec root = node(1, 0, ".", NULL);
    pdm__node_rec a = node(2, 1, "a", "s3cret-value");
    pdm__node_rec dup = node(3, 1, "a", "an0ther-s3cret");
    const char *msg;

    CU_ASSERT_EQUAL(pdm__store_put_node(s, &root), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_del_node(s, 1), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_EINVAL);
    pdm__store_rollback(s); /* no transaction: nothing happens */

    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_begin(s), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &root), PDM_OK);
    pdm__store_rollback(s);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 0);
    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 0);

    put_commit(s, &root);

    /* A statement fails (same parent and name twice): roll back, go on. */
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &a), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &dup), PDM_EIO);
    msg = pdm__store_error(s);
    CU_ASSERT_EQUAL(strncmp(msg, db_path(dir), strlen(db_path(dir))), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, ": cannot store node: UNIQUE"));
    CU_ASSERT_PTR_NULL(strstr(msg, "s3cret"));
    pdm__store_rollback(s);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 1);

    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &dup), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    pdm__store_close(s);

    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(g.count, 2);
    CU_ASSERT_EQUAL(g.n[1].r.id, 3);
    /* An uncommitted transaction is dropped at close. */
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_del_node(s, 3), PDM_OK);
    pdm__store_close(s);
    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 3);
    pdm__store_close(s);

    /* Nothing can be written through a read-only store. */
    s = open_ok(dir, PDM_STORE_READONLY);
    CU_ASSERT_EQUAL(pdm__store_begin(s), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "p", "k", (const uint8_t *)"v", 1),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "client",
                                         (const uint8_t *)"v", 1),
                    PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_kv_del(s, "p", "k"), PDM_EINVAL);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 2);
    got_free(&g);
    pdm__store_close(s);
}

/* ---- audit ------------------------------------------------------------------ */
typedef struct audit_got {
    int count;
    int64_t seq[8], ts[8];
    char uri[8][32], reason[8][32];
    bool uri_null[8];
} audit_got;

static int audit_collect(void *user, const pdm__audit_rec *a)
{
    audit_got *g = user;
    if (g->count >= 8)
        return -1;
    g->seq[g->count] = a->seq;
    g->ts[g->count] = a->ts_ms;
    g->uri_null[g->count] = a->uri == NULL;
    snprintf(g->uri[g->count], 32, "%s", a->uri ? a->uri : "");
    snprintf(g->reason[g->count], 32, "%s", a->reason ? a->reason : "");
    g->count++;
    return 0;
}

/* Entries come back in sequence order filtered by time; inside a rolled
 * back transaction they vanish, outside one they persist; raw SQL cannot
 * update or delete them. */
static void test_store__audit(void)
{
    const char *dir = case_dir("audit");
    pdm__store *s = open_ok(dir, 0);
    pdm__audit_rec a = {0, 2000, "server:srv1", "Replace", "./DevInfo/Lang",
                        "deny", "acl", "no Replace right"};
    pdm__audit_rec b = {0, 1000, "local", "Session", NULL, "info",
                        NULL, "late entry with an older clock"};
    pdm__audit_rec c = {0, 3000, "bootstrap:sim", "Add", "./DMAcc/x",
                        "allow", "policy:terminal/sim", "ok"};
    pdm__audit_rec bad = {0, 1, NULL, "Add", NULL, "allow", NULL, NULL};
    audit_got g = {0};
    char msg[256];

    CU_ASSERT_EQUAL(pdm__store_audit_add(s, &bad), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm__store_audit_add(s, &a), PDM_OK); /* autocommit */
    CU_ASSERT_EQUAL(pdm__store_audit_add(s, &b), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_audit_add(s, &c), PDM_OK);
    pdm__store_rollback(s);
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_audit_add(s, &c), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    pdm__store_close(s);

    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, audit_collect, &g), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(g.count, 3);
    CU_ASSERT(g.seq[0] < g.seq[1] && g.seq[1] < g.seq[2]);
    CU_ASSERT_EQUAL(g.ts[0], 2000);
    CU_ASSERT_EQUAL(g.ts[1], 1000);
    CU_ASSERT_EQUAL(g.ts[2], 3000);
    PDM_ASSERT_STR(g.uri[0], "./DevInfo/Lang");
    CU_ASSERT_TRUE(g.uri_null[1]);
    PDM_ASSERT_STR(g.reason[1], "late entry with an older clock");
    PDM_ASSERT_STR(g.uri[2], "./DMAcc/x");

    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 2000, audit_collect, &g), PDM_OK);
    CU_ASSERT_EQUAL_FATAL(g.count, 2);
    CU_ASSERT_EQUAL(g.ts[0], 2000);
    CU_ASSERT_EQUAL(g.ts[1], 3000);
    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 3001, audit_collect, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 0);

    /* Raw SQL on the file, also while our connection is open. */
    CU_ASSERT_EQUAL(raw_exec(db_path(dir), "UPDATE audit SET reason = 'x'",
                             msg, sizeof msg) & 0xff, SQLITE_CONSTRAINT);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "append-only"));
    CU_ASSERT_EQUAL(raw_exec(db_path(dir), "DELETE FROM audit WHERE seq = 1",
                             msg, sizeof msg) & 0xff, SQLITE_CONSTRAINT);
    CU_ASSERT_EQUAL(raw_exec(db_path(dir), "DELETE FROM audit", msg,
                             sizeof msg) & 0xff, SQLITE_CONSTRAINT);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "append-only"));
    CU_ASSERT_EQUAL(raw_exec(db_path(dir), "INSERT OR REPLACE INTO audit"
                             "(seq, ts_ms, principal, op, decision) VALUES"
                             "(1, 0, 'x', 'y', 'allow')", msg, sizeof msg) &
                        0xff, SQLITE_CONSTRAINT);
    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, audit_collect, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 3);
    PDM_ASSERT_STR(g.reason[0], "no Replace right");
    pdm__store_close(s);
}

/* ---- nonces and kv ---------------------------------------------------------- */
/* put/get/overwrite, zero-length values (non-NULL buffer), absent keys,
 * independent kinds and plugins; kv delete; kv inside a rolled back
 * transaction. */
static void test_store__nonces_kv(void)
{
    const char *dir = case_dir("nkv");
    pdm__store *s = open_ok(dir, 0);
    static const uint8_t n1[] = {0, 1, 2, 0, 0xfe};
    uint8_t *out = (uint8_t *)"sentinel";
    size_t len = 99;

    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "srv", "client", &out, &len),
                    PDM_ENOTFOUND);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "client", n1, sizeof n1),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "server",
                                         (const uint8_t *)"zz", 2), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "srv", "client", &out, &len),
                    PDM_OK);
    CU_ASSERT_EQUAL_FATAL(len, sizeof n1);
    CU_ASSERT_EQUAL(memcmp(out, n1, sizeof n1), 0);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "other", "client", &out, &len),
                    PDM_ENOTFOUND);
    /* Overwrite with an empty nonce. */
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "client", NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "srv", "client", &out, &len),
                    PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(out);
    CU_ASSERT_EQUAL(len, 0);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "srv", "server", &out, &len),
                    PDM_OK);
    CU_ASSERT_EQUAL(len, 2);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "client", NULL, 3),
                    PDM_EINVAL);

    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "k", &out, &len),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_kv_del(s, "plug", "k"), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "plug", "k", (const uint8_t *)"one",
                                      3), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "plug2", "k", (const uint8_t *)"x",
                                      1), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "plug", "k", (const uint8_t *)"two!",
                                      4), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "plug", "empty",
                                      (const uint8_t *)"", 0), PDM_OK);
    pdm__store_close(s);

    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "k", &out, &len), PDM_OK);
    CU_ASSERT_EQUAL(len, 4);
    CU_ASSERT_EQUAL(memcmp(out, "two!", 4), 0);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "empty", &out, &len), PDM_OK);
    CU_ASSERT_PTR_NOT_NULL(out);
    CU_ASSERT_EQUAL(len, 0);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug2", "k", &out, &len), PDM_OK);
    CU_ASSERT_EQUAL(len, 1);
    pdm__free(out);

    CU_ASSERT_EQUAL(pdm__store_kv_del(s, "plug", "k"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "k", &out, &len),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug2", "k", &out, &len), PDM_OK);
    pdm__free(out);

    /* Inside a transaction they share its fate. */
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "plug", "tx", (const uint8_t *)"t",
                                      1), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_del(s, "plug2", "k"), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_nonce_put(s, "srv", "client",
                                         (const uint8_t *)"n", 1), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "tx", &out, &len), PDM_OK);
    pdm__free(out);
    pdm__store_rollback(s);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug", "tx", &out, &len),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "plug2", "k", &out, &len), PDM_OK);
    pdm__free(out);
    CU_ASSERT_EQUAL(pdm__store_nonce_get(s, "srv", "client", &out, &len),
                    PDM_OK);
    CU_ASSERT_EQUAL(len, 0);
    pdm__free(out);
    pdm__store_close(s);
}

/* ---- files, permissions, identity -------------------------------------------- */
static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return (mode_t)-1;
    return st.st_mode & 07777;
}

/* With umask 0: a missing dir is created 0700 (one level), the database
 * 0600, and SQLite's -wal and -shm files are not readable by others. */
static void test_store__permissions(void)
{
    const char *dir = case_dir("perm");
    char wal[700], shm[700];
    mode_t old = umask(0);
    pdm__store *s = open_ok(dir, 0);
    pdm__node_rec root = node(1, 0, ".", "secret");
    umask(old);

    snprintf(wal, sizeof wal, "%s-wal", db_path(dir));
    snprintf(shm, sizeof shm, "%s-shm", db_path(dir));
    CU_ASSERT_EQUAL(mode_of(dir), 0700);
    CU_ASSERT_EQUAL(mode_of(db_path(dir)), 0600);
    put_commit(s, &root);
    CU_ASSERT_TRUE(exists(wal));
    CU_ASSERT_TRUE(exists(shm));
    CU_ASSERT_EQUAL(mode_of(wal) & 077, 0);
    CU_ASSERT_EQUAL(mode_of(shm) & 077, 0);
    CU_ASSERT_EQUAL(mode_of(wal), 0600);
    CU_ASSERT_EQUAL(mode_of(shm), 0600);
    pdm__store_close(s);

    /* A umask that strips the owner's write bit does not cripple the store:
     * modes are set exactly, not through the umask. */
    old = umask(0277);
    s = open_ok(case_dir("perm_umask"), 0);
    umask(old);
    CU_ASSERT_EQUAL(mode_of(case_dir("perm_umask")), 0700);
    CU_ASSERT_EQUAL(mode_of(db_path(case_dir("perm_umask"))), 0600);
    put_commit(s, &root);
    pdm__store_close(s);

    /* Missing parents are created too (a fresh account has no
     * ~/.local/state), the last part 0700; a parent that is a file is a
     * clear error. */
    {
        char deep[700], file[600], err[512];
        FILE *f;
        snprintf(deep, sizeof deep, "%s/no/such", case_dir("perm2"));
        s = open_ok(deep, 0);
        CU_ASSERT_EQUAL(mode_of(deep), 0700);
        pdm__store_close(s);
        snprintf(file, sizeof file, "%s/afile", case_dir("perm3"));
        snprintf(deep, sizeof deep, "%s/below/state", file);
        mkdir(case_dir("perm3"), 0700);
        f = fopen(file, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fclose(f);
        CU_ASSERT_EQUAL(pdm__store_open(&s, deep, 0, err, sizeof err),
                        PDM_EIO);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Not a directory"));
    }
}

/* An existing dir writable by group/others is refused (and not chmod-ed);
 * a symlinked database is refused; missing stores are ENOTFOUND for
 * NO_CREATE and READONLY and nothing is created. */
static void test_store__refuse_paths(void)
{
    const char *gw = case_dir("groupw"), *ln = case_dir("link");
    const char *miss = case_dir("missing");
    pdm__store *s = (pdm__store *)1;
    char err[512], target[600];

    CU_ASSERT_EQUAL(mkdir(gw, 0700), 0);
    CU_ASSERT_EQUAL(chmod(gw, 0770), 0);
    CU_ASSERT_EQUAL(pdm__store_open(&s, gw, 0, err, sizeof err), PDM_EIO);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by group or others"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, gw));
    CU_ASSERT_EQUAL(mode_of(gw), 0770);
    CU_ASSERT_FALSE(exists(db_path(gw)));

    mkdir_private(ln);
    snprintf(target, sizeof target, "%s/real.db", ln);
    write_file(target, "", 0, 0600);
    CU_ASSERT_EQUAL(symlink(target, db_path(ln)), 0);
    CU_ASSERT_EQUAL(pdm__store_open(&s, ln, 0, err, sizeof err), PDM_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));

    CU_ASSERT_EQUAL(pdm__store_open(&s, miss, PDM_STORE_READONLY, err,
                                    sizeof err), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__store_open(&s, miss, PDM_STORE_NO_CREATE, err,
                                    sizeof err), PDM_ENOTFOUND);
    CU_ASSERT_FALSE(exists(miss));
    mkdir_private(miss);
    CU_ASSERT_EQUAL(pdm__store_open(&s, miss, PDM_STORE_NO_CREATE, err,
                                    sizeof err), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, db_path(miss)));
    CU_ASSERT_FALSE(exists(db_path(miss)));
    CU_ASSERT_EQUAL(pdm__store_open(NULL, miss, 0, err, sizeof err),
                    PDM_EINVAL);
}

/* A 0-byte file and an empty SQLite database count as new stores; READONLY
 * does not create one.  A new store carries our application_id, schema
 * version 1, WAL mode and its meta rows. */
static void test_store__empty_and_identity(void)
{
    const char *d0 = case_dir("empty0"), *d1 = case_dir("emptydb");
    pdm__store *s;
    sqlite3 *db;
    char err[512];

    mkdir_private(d0);
    write_file(db_path(d0), "", 0, 0600);
    CU_ASSERT_EQUAL(pdm__store_open(&s, d0, PDM_STORE_READONLY, err,
                                    sizeof err), PDM_ENOTFOUND);
    s = open_ok(d0, 0);
    CU_ASSERT_TRUE(pdm__store_is_new(s));
    pdm__store_close(s);
    CU_ASSERT_EQUAL(raw_int(db_path(d0), "PRAGMA application_id"), APP_ID);
    CU_ASSERT_EQUAL(raw_int(db_path(d0), "PRAGMA user_version"), 2);
    CU_ASSERT_EQUAL(raw_int(db_path(d0), "SELECT count(*) FROM meta WHERE "
                            "key IN ('created', 'polydm_version')"), 2);
    CU_ASSERT_EQUAL(raw_int(db_path(d0), "SELECT count(*) FROM "
                            "pragma_journal_mode WHERE journal_mode='wal'"), 1);
    s = open_ok(d0, PDM_STORE_READONLY);
    CU_ASSERT_FALSE(pdm__store_is_new(s));
    pdm__store_close(s);

    /* An SQLite file with nothing in it (e.g. a crash during creation). */
    mkdir_private(d1);
    CU_ASSERT_EQUAL(sqlite3_open(db_path(d1), &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA journal_mode=WAL; "
                                 "PRAGMA page_size=4096; VACUUM", NULL, NULL,
                                 NULL), SQLITE_OK);
    sqlite3_close(db);
    chmod(db_path(d1), 0600);
    s = open_ok(d1, 0);
    CU_ASSERT_TRUE(pdm__store_is_new(s));
    pdm__store_close(s);
    CU_ASSERT_EQUAL(raw_int(db_path(d1), "PRAGMA application_id"), APP_ID);
}

/* Opening the store in dir must fail with PDM_ECORRUPT and a message that
 * names the file and contains `what`, and leave every byte as it was: no
 * journal, and no WAL content (SQLite may leave an empty -wal behind after
 * a read-only look at a WAL database; a foreign file must not get even
 * that). */
static void expect_refused(const char *dir, const char *what, bool foreign)
{
    const char *path = db_path(dir);
    char err[512], aux[700];
    size_t n0 = 0, n1 = 0;
    unsigned char *before = slurp(path, &n0), *after;
    pdm__store *s = (pdm__store *)1;
    int rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    for (int ro = 0; ro < 2; ro++) {
        rc = pdm__store_open(&s, dir, ro ? PDM_STORE_READONLY : 0, err,
                             sizeof err);
        CU_ASSERT_EQUAL(rc, PDM_ECORRUPT);
        CU_ASSERT_PTR_NULL(s);
        if (!strstr(err, path) || !strstr(err, what))
            fprintf(stderr, "\n  message: %s\n  wanted: %s\n", err, what);
        if (getenv("PDM_TEST_VERBOSE"))
            fprintf(stderr, "\n  refused: %s\n", err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
    }
    after = slurp(path, &n1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    CU_ASSERT_EQUAL(n0, n1);
    CU_ASSERT(n0 == n1 && memcmp(before, after, n0) == 0);
    snprintf(aux, sizeof aux, "%s-journal", path);
    CU_ASSERT_FALSE(exists(aux));
    snprintf(aux, sizeof aux, "%s-wal", path);
    if (foreign) {
        CU_ASSERT_FALSE(exists(aux));
        snprintf(aux, sizeof aux, "%s-shm", path);
        CU_ASSERT_FALSE(exists(aux));
    } else {
        struct stat st;
        CU_ASSERT(stat(aux, &st) != 0 || st.st_size == 0);
    }
    free(before);
    free(after);
}

/* Builds a real store with `count` nodes carrying values in dir. */
static void make_store(const char *dir, int count)
{
    pdm__store *s = open_ok(dir, 0);
    char name[32], value[120];
    pdm__node_rec root = node(1, 0, ".", NULL);
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_put_node(s, &root), PDM_OK);
    for (int i = 2; i <= count; i++) {
        pdm__node_rec r;
        snprintf(name, sizeof name, "node%d", i);
        snprintf(value, sizeof value, "value-%d-%0100d", i, i);
        r = node(i, 1, name, value);
        CU_ASSERT_EQUAL(pdm__store_put_node(s, &r), PDM_OK);
    }
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    pdm__store_close(s);
}

/* "<dir>/polydm.db-clean": the clean-shutdown marker. */
static const char *clean_marker(const char *dir)
{
    static char p[600];
    snprintf(p, sizeof p, "%s-clean", db_path(dir));
    return p;
}

/* Overwrites 3000 bytes in the middle page of the store in dir (node rows
 * of make_store's stores). */
static void garble(const char *dir)
{
    size_t n = 0;
    unsigned char *bytes = slurp(db_path(dir), &n);
    CU_ASSERT_FATAL(bytes && n >= 16 * 4096);
    for (size_t i = (n / 4096 / 2) * 4096; i < (n / 4096 / 2) * 4096 + 3000;
         i++)
        bytes[i] = (unsigned char)(0xA5 ^ i);
    write_file(db_path(dir), bytes, n, 0600);
    free(bytes);
}

/* Text file, other application's database, newer schema, damaged and
 * truncated stores: PDM_ECORRUPT, clear message, file untouched. */
static void test_store__refuse_files(void)
{
    const char *text = case_dir("text"), *tiny = case_dir("tiny");
    const char *other = case_dir("other"), *newer = case_dir("newer");
    const char *garbled = case_dir("garbled"), *trunc = case_dir("trunc");
    static const char line[] = "This is not a database, just some text.\n";
    char big[40 * (sizeof line - 1) + 1];
    sqlite3 *db;
    unsigned char *bytes;
    size_t n = 0;

    mkdir_private(text);
    for (int i = 0; i < 40; i++)
        memcpy(big + i * (sizeof line - 1), line, sizeof line);
    write_file(db_path(text), big, strlen(big), 0600);
    expect_refused(text, "not a polydm store (not an SQLite database)", true);
    mkdir_private(tiny);
    write_file(db_path(tiny), "x", 1, 0600);
    expect_refused(tiny, "not a polydm store (not an SQLite database)", true);

    mkdir_private(other);
    CU_ASSERT_EQUAL(sqlite3_open(db_path(other), &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA application_id = 0x12345678;"
                                 "CREATE TABLE t(x); INSERT INTO t VALUES(1)",
                                 NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_refused(other, "not a polydm store (application_id 0x12345678)", true);
    /* Another application that did not set an application_id at all. */
    CU_ASSERT_EQUAL(raw_exec(db_path(other), "PRAGMA application_id = 0",
                             NULL, 0), SQLITE_OK);
    expect_refused(other, "not a polydm store (application_id 0x00000000)", true);

    make_store(newer, 2);
    CU_ASSERT_EQUAL(raw_exec(db_path(newer), "PRAGMA user_version = 99", NULL,
                             0), SQLITE_OK);
    expect_refused(newer, "schema version 99 is newer than this polydm (2)", true);

    /* Damage pages in the middle of a real store that was not closed
     * cleanly (no marker: the integrity check runs; test_store__clean_
     * shutdown has the other cases). */
    make_store(garbled, 600);
    garble(garbled);
    CU_ASSERT_EQUAL(unlink(clean_marker(garbled)), 0);
    expect_refused(garbled, "database is damaged: ", false);
    bytes = NULL;

    free(bytes);

    /* A copy cut short (as by a broken copy, not by a crash). */
    make_store(trunc, 600);
    bytes = slurp(db_path(trunc), &n);
    CU_ASSERT_FATAL(bytes && n >= 16 * 4096);
    write_file(db_path(trunc), bytes, n / 2, 0600);
    free(bytes);
    expect_refused(trunc, "database is damaged: ", false);
}

/* The integrity check at open runs after an unclean shutdown and on
 * request, not after a clean one; damage is found in every case that can
 * see it. */
static int count_cb(void *user, const pdm__node_rec *r)
{
    (void)r;
    ++*(int *)user;
    return 0;
}

static void test_store__clean_shutdown(void)
{
    const char *dir = case_dir("clean"), *killed = case_dir("killed");
    const char *held = case_dir("held");
    pdm__store *s, *s2;
    char err[512];
    int up[2], nodes = 0, status = 0;
    pid_t pid;
    char c;

    /* A new store has no marker yet (its check costs nothing); a clean
     * close leaves the marker (0600) and the next open takes it away
     * again, before anything else. */
    s = open_ok(dir, 0);
    CU_ASSERT_TRUE(pdm__store_checked(s));
    pdm__store_close(s);
    make_store(dir, 600);
    {
        struct stat st;
        CU_ASSERT_EQUAL_FATAL(lstat(clean_marker(dir), &st), 0);
        CU_ASSERT(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
    }
    s = open_ok(dir, 0);
    CU_ASSERT_FALSE(pdm__store_checked(s));
    CU_ASSERT_FALSE(exists(clean_marker(dir)));
    /* A second handle while the first is open: unclean for it. */
    s2 = open_ok(dir, 0);
    CU_ASSERT_TRUE(pdm__store_checked(s2));
    pdm__store_close(s2);
    CU_ASSERT_FALSE(exists(clean_marker(dir))); /* s is still open */
    pdm__store_close(s);
    CU_ASSERT_TRUE(exists(clean_marker(dir)));
    /* On request; read-only opens look at the marker and keep it. */
    s = open_ok(dir, PDM_STORE_CHECK);
    CU_ASSERT_TRUE(pdm__store_checked(s));
    pdm__store_close(s);
    s = open_ok(dir, PDM_STORE_READONLY);
    CU_ASSERT_FALSE(pdm__store_checked(s));
    pdm__store_close(s);
    CU_ASSERT_TRUE(exists(clean_marker(dir)));

    /* Damage after a clean shutdown: open skips the check, the check on
     * request finds it, and so does the load that reads the page; a close
     * after SQLite reported damage leaves no marker, so the next open
     * checks and refuses the store. */
    garble(dir);
    s = open_ok(dir, 0);
    CU_ASSERT_FALSE(pdm__store_checked(s));
    CU_ASSERT_EQUAL(pdm__store_load_nodes(s, count_cb, &nodes), PDM_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(pdm__store_error(s), db_path(dir)));
    pdm__store_close(s);
    CU_ASSERT_FALSE(exists(clean_marker(dir)));
    s = (pdm__store *)1;
    CU_ASSERT_EQUAL(pdm__store_open(&s, dir, 0, err, sizeof err),
                    PDM_ECORRUPT);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "database is damaged: "));

    /* kill -9 of a writer, then damage: the next open checks and refuses
     * the store, read-write and read-only alike. */
    make_store(killed, 600);
    CU_ASSERT_TRUE_FATAL(exists(clean_marker(killed)));
    CU_ASSERT_EQUAL_FATAL(pipe(up), 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pdm__store *w = NULL;
        c = pdm__store_open(&w, killed, 0, err, sizeof err) == PDM_OK ? 'o'
                                                                      : 'x';
        if (write(up[1], &c, 1) != 1)
            _exit(3);
        for (;;)
            pause();
    }
    close(up[1]);
    CU_ASSERT_EQUAL(read(up[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'o');
    close(up[0]);
    kill(pid, SIGKILL);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_FALSE(exists(clean_marker(killed)));
    garble(killed);
    expect_refused(killed, "database is damaged: ", false);

    /* Without damage a killed writer costs one check, nothing else. */
    make_store(held, 20);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pdm__store *w = NULL;
        _exit(pdm__store_open(&w, held, 0, err, sizeof err) == PDM_OK ? 0 : 1);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    s = open_ok(held, 0);
    CU_ASSERT_TRUE(pdm__store_checked(s));
    nodes = 0;
    CU_ASSERT_EQUAL(pdm__store_load_nodes(s, count_cb, &nodes), PDM_OK);
    CU_ASSERT_EQUAL(nodes, 20);
    pdm__store_close(s);
    s = open_ok(held, 0);
    CU_ASSERT_FALSE(pdm__store_checked(s));
    pdm__store_close(s);
}

/* ---- concurrency ---------------------------------------------------------- */
/* A read-only open works while another process holds a write transaction
 * (it sees the committed state only, then the new one after the commit); a
 * read-write open works too, but its begin gives PDM_EBUSY. */
static void test_store__readonly_beside_writer(void)
{
    const char *dir = case_dir("ro");
    int up[2], down[2];
    pid_t pid;
    char c;
    got_nodes g = {.count = 0};
    pdm__store *s;

    make_store(dir, 3);
    CU_ASSERT_EQUAL_FATAL(pipe(up), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(down), 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        /* Writer: open, begin, change, tell the parent, wait, commit. */
        pdm__store *w = NULL;
        char err[256];
        pdm__node_rec r = node(50, 1, "fresh", "v");
        int ok = pdm__store_open(&w, dir, 0, err, sizeof err) == PDM_OK &&
                 pdm__store_begin(w) == PDM_OK &&
                 pdm__store_put_node(w, &r) == PDM_OK &&
                 pdm__store_del_node(w, 2) == PDM_OK;
        c = ok ? 'b' : 'x';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(3);
        ok = ok && pdm__store_commit(w) == PDM_OK;
        pdm__store_close(w);
        c = ok ? 'c' : 'x';
        if (write(up[1], &c, 1) != 1)
            _exit(3);
        _exit(ok ? 0 : 2);
    }
    close(up[1]);
    close(down[0]);
    CU_ASSERT_EQUAL_FATAL(read(up[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'b');

    s = open_ok(dir, PDM_STORE_READONLY);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 3);
    CU_ASSERT_PTR_NOT_NULL(find(&g, 2));
    CU_ASSERT_PTR_NULL(find(&g, 50));
    {
        /* Read-write open succeeds; taking the write lock does not. */
        pdm__store *w2 = open_ok(dir, 0);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CU_ASSERT_EQUAL(pdm__store_begin(w2), PDM_EBUSY);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CU_ASSERT(t1.tv_sec - t0.tv_sec >= 1); /* waited for busy_timeout */
        CU_ASSERT_PTR_NOT_NULL(strstr(pdm__store_error(w2), "locked"));
        CU_ASSERT_EQUAL(pdm__store_kv_put(w2, "p", "k", (const uint8_t *)"v",
                                          1), PDM_EBUSY);
        pdm__store_close(w2);
    }

    c = 'g';
    CU_ASSERT_EQUAL(write(down[1], &c, 1), 1);
    CU_ASSERT_EQUAL(read(up[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'c');
    {
        int status = 0;
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 3);
    CU_ASSERT_PTR_NULL(find(&g, 2));
    CU_ASSERT_PTR_NOT_NULL(find(&g, 50));
    got_free(&g);
    pdm__store_close(s);
    close(up[0]);
    close(down[1]);
}

/* A "full device" for SQLite: a VFS wrapping the default one whose WAL
 * files cannot grow beyond full_limit bytes: a write past it fails with
 * SQLITE_FULL, as the unix VFS does on ENOSPC.  Installed as the default
 * VFS in a child process only. */
static sqlite3_vfs full_vfs, *real_vfs;
static sqlite3_io_methods full_methods;
static const sqlite3_io_methods *real_methods;
static sqlite3_int64 full_limit;

static int full_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    if (off + n > full_limit)
        return SQLITE_FULL;
    return real_methods->xWrite(f, p, n, off);
}

static int full_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                     int flags, int *out_flags)
{
    int rc = real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && f->pMethods) {
        if (!real_methods) {
            real_methods = f->pMethods;
            full_methods = *f->pMethods;
            full_methods.xWrite = full_write;
        }
        if (f->pMethods == real_methods)
            f->pMethods = &full_methods;
    }
    return rc;
}

static void install_full_vfs(sqlite3_int64 limit)
{
    real_vfs = sqlite3_vfs_find(NULL);
    full_vfs = *real_vfs;
    full_vfs.zName = "pdm-test-full";
    full_vfs.xOpen = full_open;
    full_limit = limit;
    sqlite3_vfs_register(&full_vfs, 1);
}

/* A package that does not fit on the device: PDM_ENOSPC from put or
 * commit, the package is rolled back, the store stays usable and keeps the
 * old state, also after reopening. */
static void test_store__disk_full(void)
{
    const char *dir = case_dir("full");
    got_nodes g = {.count = 0};
    pid_t pid;
    int status = 0;
    pdm__store *s;

    make_store(dir, 3);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        /* Exit codes: 0 as expected, 10+ which step went wrong. */
        static uint8_t big[4096];
        pdm__store *w = NULL;
        char err[256];
        int rc = PDM_OK, i;
        install_full_vfs(256 * 1024);
        if (pdm__store_open(&w, dir, 0, err, sizeof err) != PDM_OK ||
            pdm__store_begin(w) != PDM_OK) {
            fprintf(stderr, "disk full: open: %s\n", err);
            _exit(12);
        }
        memset(big, 'x', sizeof big);
        for (i = 0; i < 200 && rc == PDM_OK; i++) {
            char name[16];
            pdm__node_rec r = node(100 + i, 1, name, NULL);
            snprintf(name, sizeof name, "big%d", i);
            r.value = big;
            r.value_len = sizeof big;
            r.has_value = true;
            rc = pdm__store_put_node(w, &r);
        }
        if (rc == PDM_OK)
            rc = pdm__store_commit(w);
        else
            pdm__store_rollback(w);
        if (rc != PDM_ENOSPC) {
            fprintf(stderr, "disk full gave %d: %s\n", rc,
                    pdm__store_error(w));
            _exit(13);
        }
        if (!strstr(pdm__store_error(w), "database or disk is full")) {
            fprintf(stderr, "disk full said: %s\n", pdm__store_error(w));
            _exit(14);
        }
        if (pdm__store_max_node_id(w) != 3) {
            fprintf(stderr, "after disk full: max id %lld: %s\n",
                    (long long)pdm__store_max_node_id(w), pdm__store_error(w));
            _exit(15);
        }
        /* Small writes still fit. */
        rc = pdm__store_kv_put(w, "p", "k", (const uint8_t *)"v", 1);
        if (rc != PDM_OK) {
            fprintf(stderr, "after disk full: kv_put %d: %s\n", rc,
                    pdm__store_error(w));
            _exit(16);
        }
        pdm__store_close(w);
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(load(s, &g), PDM_OK);
    CU_ASSERT_EQUAL(g.count, 3);
    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 3);
    got_free(&g);
    pdm__store_close(s);
}

/* ---- schema upgrades ---------------------------------------------------- */
/* An older store is upgraded in one transaction (data kept); a failing
 * step leaves the file at its old version; after the upgrade an older
 * build refuses the file as newer. */
static void test_store__upgrade(void)
{
    const char *dir = case_dir("upgrade"), *fresh = case_dir("upgrade_new");
    static const char *const good[] = {
        "ALTER TABLE kv ADD COLUMN note TEXT; CREATE TABLE v2_extra(x);"};
    static const char *const bad[] = {
        "CREATE TABLE v2_half(x); INSERT INTO no_such_table VALUES(1);"};
    pdm__store *s = (pdm__store *)1;
    uint8_t *out;
    size_t len;
    char err[512];

    make_store(dir, 5);
    s = open_ok(dir, 0);
    CU_ASSERT_EQUAL(pdm__store_kv_put(s, "p", "k", (const uint8_t *)"kept", 4),
                    PDM_OK);
    pdm__store_close(s);

    pdm__store_test_schema(bad, 1);
    CU_ASSERT_EQUAL(pdm__store_open(&s, dir, 0, err, sizeof err), PDM_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema upgrade 2->3 failed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no_such_table"));
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "PRAGMA user_version"), 2);
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "SELECT count(*) FROM sqlite_master"
                            " WHERE name = 'v2_half'"), 0);
    /* A read-only open cannot upgrade. */
    pdm__store_test_schema(good, 1);
    CU_ASSERT_EQUAL(pdm__store_open(&s, dir, PDM_STORE_READONLY, err,
                                    sizeof err), PDM_EBUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs an upgrade"));

    s = open_ok(dir, 0);
    CU_ASSERT_FALSE(pdm__store_is_new(s));
    CU_ASSERT_EQUAL(pdm__store_max_node_id(s), 5);
    CU_ASSERT_EQUAL(pdm__store_kv_get(s, "p", "k", &out, &len), PDM_OK);
    CU_ASSERT(len == 4 && memcmp(out, "kept", 4) == 0);
    pdm__free(out);
    pdm__store_close(s);
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "PRAGMA user_version"), 3);
    CU_ASSERT_EQUAL(raw_int(db_path(dir), "SELECT count(*) FROM sqlite_master"
                            " WHERE name = 'v2_extra'"), 1);

    /* A new store runs every step. */
    s = open_ok(fresh, 0);
    CU_ASSERT_TRUE(pdm__store_is_new(s));
    pdm__store_close(s);
    CU_ASSERT_EQUAL(raw_int(db_path(fresh), "PRAGMA user_version"), 3);
    CU_ASSERT_EQUAL(raw_int(db_path(fresh), "SELECT count(*) FROM "
                            "sqlite_master WHERE name = 'v2_extra'"), 1);

    pdm__store_test_schema(NULL, 0);
    /* raw_int's read-only connections left empty -wal/-shm files. */
    CU_ASSERT_EQUAL(raw_exec(db_path(dir), "SELECT count(*) FROM sqlite_master",
                             NULL, 0), SQLITE_OK);
    expect_refused(dir, "schema version 3 is newer than this polydm (2)", true);
}

/* ---- allocation failures ------------------------------------------------- */
static int count_nodes(void *user, const pdm__node_rec *r)
{
    (*(int *)user)++;
    return 0;
}

/* Failing each allocation of open + load + kv_get in turn gives
 * PDM_ENOMEM and no leak (SQLite's own allocations are not hooked). */
static void test_store__alloc_failures(void)
{
    const char *dir = case_dir("oom");
    long total = -1;

    make_store(dir, 20);
    {
        pdm__store *s = open_ok(dir, 0);
        CU_ASSERT_EQUAL(pdm__store_kv_put(s, "p", "k", (const uint8_t *)"v",
                                          1), PDM_OK);
        pdm__store_close(s);
    }
    for (long i = -1;; i++) {
        pdm__store *s = NULL;
        char err[512];
        uint8_t *out = NULL;
        size_t len;
        int nodes = 0, rc;
        long used;

        pdm__alloc_fail_after(i);
        rc = pdm__store_open(&s, dir, 0, err, sizeof err);
        if (rc == PDM_OK)
            rc = pdm__store_load_nodes(s, count_nodes, &nodes);
        if (rc == PDM_OK)
            rc = pdm__store_kv_get(s, "p", "k", &out, &len);
        used = pdm__alloc_fail_after(-1);
        pdm__free(out);
        pdm__store_close(s);
        if (i < 0) {
            CU_ASSERT_EQUAL_FATAL(rc, PDM_OK);
            CU_ASSERT_EQUAL(nodes, 20);
            total = used;
            CU_ASSERT(total >= 3);
            continue;
        }
        if (i >= total) {
            CU_ASSERT_EQUAL(rc, PDM_OK);
            break;
        }
        CU_ASSERT_EQUAL(rc, PDM_ENOMEM);
        if (rc == PDM_ENOMEM && s == NULL)
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of memory"));
    }
}

/* ---- secrets ---------------------------------------------------------------- */
/* Does the file hold the text?  A missing file holds nothing. */
static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    static unsigned char buf[1 << 20];
    size_t n;
    if (!f)
        return false;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, text, strlen(text)) != NULL;
}

/* Every new connection starts as a SQLite built without SECURE_DELETE
 * (Debian's has it on by default; many embedded builds do not). */
static int secure_delete_off(sqlite3 *db, const char **err, const void *api)
{
    (void)err;
    (void)api;
    return sqlite3_exec(db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
}

/* A replaced and a deleted value (AAuthSecret, AAuthData) leave no copy in
 * the database file once committed and checkpointed (secure_delete). */
static void test_store__secure_delete(void)
{
    const char *dir = case_dir("secdel");
    char wal[700];
    pdm__store *s;
    sqlite3_auto_extension((void (*)(void))secure_delete_off);
    s = open_ok(dir, 0);
    pdm__node_rec root = node(1, 0, ".", NULL);
    pdm__node_rec secret = node(2, 1, "AAuthSecret", "old-secret-4f1c9e");
    pdm__node_rec data = node(3, 1, "AAuthData", "old-nonce-77a0b3");

    root.format = 0;
    put_commit(s, &root);
    put_commit(s, &secret);
    put_commit(s, &data);
    pdm__store_close(s); /* checkpoint: the values are in the file */
    CU_ASSERT_TRUE(file_has(db_path(dir), "old-secret-4f1c9e"));
    s = open_ok(dir, 0);
    secret = node(2, 1, "AAuthSecret", "new");
    put_commit(s, &secret);
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_del_node(s, 3), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    pdm__store_close(s);
    snprintf(wal, sizeof wal, "%s-wal", db_path(dir));
    CU_ASSERT_FALSE(file_has(db_path(dir), "old-secret-4f1c9e"));
    CU_ASSERT_FALSE(file_has(db_path(dir), "old-nonce-77a0b3"));
    CU_ASSERT_FALSE(file_has(wal, "old-secret-4f1c9e"));
    CU_ASSERT_FALSE(file_has(wal, "old-nonce-77a0b3"));
    sqlite3_reset_auto_extension();
}

/* While the store stays open, a replaced secret's old page images are in
 * the WAL; a checkpoint (the tree runs one after a package that changed a
 * secret) leaves them neither there nor in the database. */
static void test_store__checkpoint_secret(void)
{
    const char *dir = case_dir("ckpt");
    char wal[700];
    pdm__store *s;
    pdm__node_rec root = node(1, 0, ".", NULL);
    pdm__node_rec secret = node(2, 1, "AAuthSecret", "wal-secret-3d9a");
    sqlite3_auto_extension((void (*)(void))secure_delete_off);
    s = open_ok(dir, 0);
    snprintf(wal, sizeof wal, "%s-wal", db_path(dir));
    root.format = 0;
    put_commit(s, &root);
    put_commit(s, &secret);
    secret = node(2, 1, "AAuthSecret", "new");
    put_commit(s, &secret);
    CU_ASSERT_TRUE(file_has(wal, "wal-secret-3d9a")); /* the precondition */
    CU_ASSERT_EQUAL(pdm__store_checkpoint(s), PDM_OK);
    CU_ASSERT_FALSE(file_has(wal, "wal-secret-3d9a"));
    CU_ASSERT_FALSE(file_has(db_path(dir), "wal-secret-3d9a"));
    CU_ASSERT_EQUAL_FATAL(pdm__store_begin(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_checkpoint(s), PDM_EINVAL);
    pdm__store_rollback(s);
    pdm__store_close(s);
    sqlite3_reset_auto_extension();
}

/* The tree runs that checkpoint itself after a package that replaced a
 * secret: with the store still open, no copy of the old secret is in the
 * files. */
static void test_store__tree_secret_commit(void)
{
    const char *dir = case_dir("treeckpt");
    static const pdm__who server = {PDM_PRINCIPAL_SERVER, "srv", NULL, 0, NULL};
    pdm__tree_item it = {(const uint8_t *)"new", 3, PDM_FORMAT_CHR, NULL,
                         false};
    pdm__tree_config cfg;
    pdm__decision d;
    pdm__store *s;
    pdm__tree *t;
    char wal[700], err[256];
    const char *uri = "./DMAcc/x/AppAuth/1/AAuthSecret";
    sqlite3_auto_extension((void (*)(void))secure_delete_off);
    s = open_ok(dir, 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.store = s;
    cfg.root_add_star = true;
    CU_ASSERT_EQUAL_FATAL(pdm__tree_open(&t, &cfg, err, sizeof err), PDM_OK);
    snprintf(wal, sizeof wal, "%s-wal", db_path(dir));
    /* srv's own account: a server reaches no other (tree/dmacc.h). */
    CU_ASSERT_EQUAL(pdm__tree_put(t, "./DMAcc/x/ServerID", PDM_FORMAT_CHR, 0,
                                  NULL, NULL, (const uint8_t *)"srv", 3,
                                  "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_put(t, uri, PDM_FORMAT_CHR, PDM_NODE_SECRET,
                                  NULL, "Replace=srv",
                                  (const uint8_t *)"tree-secret-81fe", 16,
                                  "factory"),
                    PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &server, uri, &it, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    CU_ASSERT_FALSE(file_has(wal, "tree-secret-81fe"));
    CU_ASSERT_FALSE(file_has(db_path(dir), "tree-secret-81fe"));
    pdm__tree_free(t);
    pdm__store_close(s);
    sqlite3_reset_auto_extension();
}

static const pdm_test tests[] = {
    {"node_round_trip", test_store__node_round_trip},
    {"load_order", test_store__load_order},
    {"transactions", test_store__transactions},
    {"audit", test_store__audit},
    {"nonces_kv", test_store__nonces_kv},
    {"permissions", test_store__permissions},
    {"refuse_paths", test_store__refuse_paths},
    {"empty_and_identity", test_store__empty_and_identity},
    {"refuse_files", test_store__refuse_files},
    {"clean_shutdown", test_store__clean_shutdown},
    {"readonly_beside_writer", test_store__readonly_beside_writer},
    {"disk_full", test_store__disk_full},
    {"upgrade", test_store__upgrade},
    {"alloc_failures", test_store__alloc_failures},
    {"secure_delete", test_store__secure_delete},
    {"checkpoint_secret", test_store__checkpoint_secret},
    {"tree_secret_commit", test_store__tree_secret_commit},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"store", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
