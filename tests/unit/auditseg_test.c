/*
 * Audit retention (core/src/store/store.c): the audit table is rotated
 * into hash-chained segment files, only the newest are kept, and
 * pdm__store_audit_verify detects a changed, removed or reordered segment
 * and rows deleted behind the store's back.  SQL can still not rewrite or
 * delete a row that was not archived, nor a segment record.
 */
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cu_main.h"
#include "store/store.h"
#include "util/util.h"

static char dir[600];

static pdm__store *open_store(void)
{
    pdm__store *s = NULL;
    char err[256];
    CU_ASSERT_EQUAL(pdm__store_open(&s, dir, 0, err, sizeof err), PDM_OK);
    if (s)
        pdm__store_audit_retention(s, 10, 3);
    return s;
}

static void add_rows(pdm__store *s, int n)
{
    static int k;
    for (int i = 0; i < n; i++) {
        char reason[64];
        pdm__audit_rec r = {0, 1000 + k, "server:x", "Notify", NULL, "deny",
                            "test", reason};
        snprintf(reason, sizeof reason, "row %d\twith a tab\nand a newline",
                 k++);
        CU_ASSERT_EQUAL(pdm__store_audit_add(s, &r), PDM_OK);
    }
}

static void seg(int id, char *out, size_t len)
{
    snprintf(out, len, "%s/audit/%06d.log", dir, id);
}

static int raw(const char *sql)
{
    sqlite3 *db;
    char path[700];
    int rc;
    snprintf(path, sizeof path, "%s/polydm.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int count_rows(void *user, const pdm__audit_rec *a)
{
    (void)a;
    ++*(int *)user;
    return 0;
}

static int setup(void)
{
    snprintf(dir, sizeof dir, "%s/auditseg", pdm_test_tmpdir());
    return 0;
}

/* 35 rows with 10 per segment: three segments, 5 rows left; the table
 * stays bounded and the chain verifies. */
static void test_auditseg__rotate_and_chain(void)
{
    pdm__store *s = open_store();
    pdm__audit_verdict v;
    char p[700], line[200], want[200];
    uint8_t *data = NULL, d[32];
    size_t len;
    int n = 0;
    FILE *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    add_rows(s, 35);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, count_rows, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.kept, 3);
    CU_ASSERT_EQUAL(v.dropped, 0);
    CU_ASSERT_EQUAL(v.archived_rows, 30);
    CU_ASSERT_EQUAL(v.live_rows, 5);

    /* segment 2 starts with the SHA-256 of segment 1 */
    seg(1, p, sizeof p);
    CU_ASSERT_EQUAL_FATAL(pdm__read_file(p, 1 << 20, &data, &len), PDM_OK);
    gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
    pdm__free(data);
    strcpy(want, "prev ");
    for (int i = 0; i < 32; i++)
        snprintf(want + 5 + 2 * i, 3, "%02x", d[i]);
    strcat(want, "\n");
    seg(2, p, sizeof p);
    f = fopen(p, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    PDM_ASSERT_STR(line, "polydm-audit-segment 1\n");
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    PDM_ASSERT_STR(line, want);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    PDM_ASSERT_STR(line, "11\t1010\tserver:x\tNotify\t\\N\tdeny\ttest\trow 10"
                         "\\twith a tab\\nand a newline\n");
    fclose(f);

    /* retention: 20 more rows, segments 4 and 5; files 1 and 2 go */
    add_rows(s, 20);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.kept, 3);
    CU_ASSERT_EQUAL(v.dropped, 2);
    seg(2, p, sizeof p);
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
    seg(5, p, sizeof p);
    CU_ASSERT_EQUAL(access(p, F_OK), 0);
    pdm__store_close(s);
}

/* Rows appended inside a transaction are archived after its commit. */
static void test_auditseg__after_commit(void)
{
    pdm__store *s = open_store();
    pdm__audit_verdict v;
    int n = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(pdm__store_begin(s), PDM_OK);
    add_rows(s, 12);
    CU_ASSERT_EQUAL(pdm__store_commit(s), PDM_OK);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, count_rows, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.kept, 3);
    pdm__store_close(s);
}

/* Tampering: a changed byte in a kept segment, a removed middle segment,
 * rows deleted with the triggers dropped. */
static void test_auditseg__tamper(void)
{
    pdm__store *s = open_store();
    pdm__audit_verdict v;
    char p[700], bak[720];
    uint8_t *data = NULL;
    size_t len;
    FILE *f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    add_rows(s, 25); /* segments 7, 8 (6 was the commit test's) */
    CU_ASSERT_EQUAL_FATAL(pdm__store_audit_verify(s, &v), PDM_OK);
    seg(7, p, sizeof p);
    CU_ASSERT_EQUAL_FATAL(pdm__read_file(p, 1 << 20, &data, &len), PDM_OK);
    snprintf(bak, sizeof bak, "%s.bak", p);
    CU_ASSERT_EQUAL(rename(p, bak), 0);
    f = fopen(p, "wb");
    data[len - 3] ^= 1; /* one bit of the last row's reason */
    fwrite(data, 1, len, f);
    fclose(f);
    pdm__free(data);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.why, "000007.log: changed"));

    /* removed (a newer one is kept) */
    CU_ASSERT_EQUAL(unlink(p), 0);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.why, "000007.log is missing"));
    CU_ASSERT_EQUAL(rename(bak, p), 0);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    pdm__store_close(s);

    /* SQL refuses to rewrite the log or its segment records ... */
    CU_ASSERT_NOT_EQUAL(raw("DELETE FROM audit"), SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(raw("UPDATE audit SET reason = 'x'"), SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(raw("DELETE FROM audit_seg"), SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(raw("UPDATE audit_seg SET hash = 'x'"), SQLITE_OK);
    CU_ASSERT_NOT_EQUAL(raw("INSERT INTO audit_seg VALUES(99, 1, 2, 2, 0,"
                            " 'a', 'b')"), SQLITE_OK);
    /* ... and rows deleted around the triggers are reported */
    CU_ASSERT_EQUAL(raw("DROP TRIGGER audit_no_delete;"
                        " DELETE FROM audit WHERE seq = (SELECT min(seq)"
                        " FROM audit)"), SQLITE_OK);
    s = open_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_ECORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.why, "audit rows are missing"));
    pdm__store_close(s);
}

/* A store of schema version 1 (as shipped: the audit table with its
 * triggers) is upgraded: its rows stay, are archived by the next rotation
 * and the chain verifies; the old unconditional delete trigger is gone. */
static void test_auditseg__upgrade_v1(void)
{
    static const char v1[] =
        "PRAGMA application_id = 1346653489;" /* "PDM1" */
        "CREATE TABLE nodes(id INTEGER PRIMARY KEY, parent INTEGER NOT NULL,"
        " name TEXT NOT NULL, format INTEGER NOT NULL, flags INTEGER NOT NULL,"
        " type TEXT, title TEXT, acl TEXT, owner TEXT, tstamp INTEGER NOT NULL,"
        " verno INTEGER NOT NULL, value BLOB);"
        "CREATE UNIQUE INDEX nodes_parent_name ON nodes(parent, name);"
        "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " ts_ms INTEGER NOT NULL, principal TEXT NOT NULL, op TEXT NOT NULL,"
        " uri TEXT, decision TEXT NOT NULL, component TEXT, reason TEXT);"
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
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
        "INSERT INTO audit(ts_ms, principal, op, decision, reason)"
        " VALUES(1, 'local', 'Add', 'allow', 'kept 1'),"
        " (2, 'local', 'Add', 'allow', 'kept 2');"
        "PRAGMA user_version = 1;";
    pdm__store *s;
    pdm__audit_verdict v;
    char saved[600];
    int n = 0;

    snprintf(saved, sizeof saved, "%s", dir);
    snprintf(dir, sizeof dir, "%s/auditseg-v1", pdm_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(raw(v1), SQLITE_OK);
    s = open_store();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, count_rows, &n), PDM_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    add_rows(s, 8); /* 10 rows: archived */
    CU_ASSERT_EQUAL(pdm__store_audit_verify(s, &v), PDM_OK);
    CU_ASSERT_EQUAL(v.kept, 1);
    CU_ASSERT_EQUAL(v.archived_rows, 10);
    CU_ASSERT_EQUAL(v.live_rows, 0);
    pdm__store_close(s);
    snprintf(dir, sizeof dir, "%s", saved);
}

static const pdm_test tests[] = {
    {"rotate_and_chain", test_auditseg__rotate_and_chain},
    {"after_commit", test_auditseg__after_commit},
    {"tamper", test_auditseg__tamper},
    {"upgrade_v1", test_auditseg__upgrade_v1},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"auditseg", tests, setup, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
