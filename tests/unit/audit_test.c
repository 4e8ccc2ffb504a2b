/*
 * Audit log through the tree and the store: what is recorded (refusals,
 * non-server changes, control-shifting server changes), that entries
 * survive a rolled-back package, that they never contain secret values,
 * and that the store survives reopening with the same committed tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cu_main.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/util.h"

typedef struct rows {
    char text[64][512];
    size_t n;
} rows;

static int collect(void *user, const pdm__audit_rec *a)
{
    rows *r = user;
    if (r->n < 64)
        snprintf(r->text[r->n++], 512, "%s|%s|%s|%s|%s|%s", a->principal,
                 a->op, a->uri ? a->uri : "", a->decision, a->component,
                 a->reason);
    return 0;
}

static const pdm__who LOCAL = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};
static const pdm__who SA = {PDM_PRINCIPAL_SERVER, "ServerA", NULL, 0, NULL};
static const pdm__who SB = {PDM_PRINCIPAL_SERVER, "ServerB", NULL, 0, NULL};

static void open_all(const char *dir, pdm__store **s, pdm__tree **t)
{
    pdm__tree_config cfg;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(pdm__store_open(s, dir, 0, err, sizeof err), PDM_OK);
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *s;
    cfg.root_add_star = true;
    CU_ASSERT_EQUAL_FATAL(pdm__tree_open(t, &cfg, err, sizeof err), PDM_OK);
}

static int contains(const rows *r, const char *needle)
{
    for (size_t i = 0; i < r->n; i++)
        if (strstr(r->text[i], needle))
            return 1;
    return 0;
}

/* What gets audited, and persistence of tree + audit across reopen. */
static void test_audit__what_is_recorded(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    rows r;
    pdm__tree_item v = {(const uint8_t *)"v", 1, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item secret = {(const uint8_t *)"Sup3rS3cret", 11, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item acl = {(const uint8_t *)"Get=ServerA&Replace=ServerA", 27, PDM_FORMAT_CHR, NULL, false};

    snprintf(dir, sizeof dir, "%s/audit1", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    /* local change: recorded */
    CU_ASSERT_EQUAL(pdm__tree_add(t, &LOCAL, "./L", &v, &d), PDM_OK);
    /* package: a server adds and replaces values (not recorded), changes
     * an ACL (recorded), is refused once (recorded) */
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &SA, "./S", &v, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &SA, "./Acc/AAuthSecret", &secret, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &SA, "./Acc?prop=ACL", &acl, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &SB, "./Acc/AAuthSecret", &v, &d), PDM_EDENIED);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    /* a rolled-back package keeps its audit entries */
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(t, &LOCAL, "./S", &d), PDM_OK);
    pdm__tree_abort(t);
    pdm__tree_free(t);
    pdm__store_close(s);

    open_all(dir, &s, &t);
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(t, "./S")); /* abort undid it */
    CU_ASSERT_PTR_NOT_NULL(pdm__tree_lookup(t, "./Acc/AAuthSecret"));
    PDM_ASSERT_STR(pdm__node_acl(pdm__tree_lookup(t, "./Acc")), "Get=ServerA&Replace=ServerA");
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, collect, &r), PDM_OK);
    CU_ASSERT(contains(&r, "local|Add|./L|allow|core|local user"));
    CU_ASSERT(contains(&r, "server:ServerA|Replace|./Acc?prop=ACL|allow|acl|"));
    CU_ASSERT(contains(&r, "server:ServerB|Replace|./Acc/AAuthSecret|deny|acl|Replace not granted to ServerB"));
    CU_ASSERT(contains(&r, "local|Delete|./S|allow"));
    CU_ASSERT_FALSE(contains(&r, "|Add|./S|"));
    CU_ASSERT_FALSE(contains(&r, "Sup3rS3cret"));
    CU_ASSERT_EQUAL(r.n, 4);
    pdm__tree_free(t);
    pdm__store_close(s);
}

/* A rename chain inside one package commits (no unique-name clash). */
static void test_audit__rename_chain_commits(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    pdm__tree_item v = {(const uint8_t *)"a", 1, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item n1 = {(const uint8_t *)"T", 1, PDM_FORMAT_CHR, NULL, false};
    pdm__tree_item n2 = {(const uint8_t *)"A", 1, PDM_FORMAT_CHR, NULL, false};
    pdm__tree_item n3 = {(const uint8_t *)"B", 1, PDM_FORMAT_CHR, NULL, false};
    snprintf(dir, sizeof dir, "%s/audit2", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    pdm__tree_add(t, &LOCAL, "./A", &v, &d);
    v.data = (const uint8_t *)"b";
    pdm__tree_add(t, &LOCAL, "./B", &v, &d);
    pdm__tree_begin(t);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &LOCAL, "./A?prop=Name", &n1, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &LOCAL, "./B?prop=Name", &n2, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &LOCAL, "./T?prop=Name", &n3, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    pdm__tree_free(t);
    pdm__store_close(s);
    open_all(dir, &s, &t);
    {
        size_t l;
        const uint8_t *a = pdm__node_value(pdm__tree_lookup(t, "./A"), &l);
        const uint8_t *b = pdm__node_value(pdm__tree_lookup(t, "./B"), &l);
        CU_ASSERT(a && a[0] == 'b');
        CU_ASSERT(b && b[0] == 'a');
    }
    pdm__tree_free(t);
    pdm__store_close(s);
}

/* A node created and deleted in the same package commits (its row never
 * existed); so does a subtree deleted after a child was deleted. */
static void test_audit__create_delete_same_package(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    pdm__tree_item v = {(const uint8_t *)"x", 1, PDM_FORMAT_CHR, NULL, true};
    snprintf(dir, sizeof dir, "%s/audit3", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    pdm__tree_add(t, &LOCAL, "./P/old", &v, &d);
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &LOCAL, "./P/tmp/leaf", &v, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(t, &LOCAL, "./P/tmp/leaf", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(t, &LOCAL, "./P/old", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_delete(t, &LOCAL, "./P", &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    pdm__tree_free(t);
    pdm__store_close(s);
    open_all(dir, &s, &t);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./P"));
    pdm__tree_free(t);
    pdm__store_close(s);
}

typedef struct count {
    const char *needle;
    size_t n;
} count;

static int count_cb(void *user, const pdm__audit_rec *a)
{
    count *c = user;
    char row[8192];
    snprintf(row, sizeof row, "%s|%s|%s|%s|", a->principal, a->op,
             a->uri ? a->uri : "", a->decision);
    c->n += strstr(row, c->needle) != NULL;
    return 0;
}

static size_t count_rows(pdm__store *s, const char *needle)
{
    count c = {needle, 0};
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, count_cb, &c), PDM_OK);
    return c.n;
}

/* Out of memory at any allocation of a package never leaves the effect of
 * a decision without its audit row (the row of an ACL refusal, of a local
 * change): the allocation-failure torture found rows lost when the audit
 * queue itself could not allocate, the package committed all the same.
 * Each N fails the Nth allocation of the package (begin, a refused server
 * Replace, a local Add, commit); what must hold every time: the refusal
 * has its "deny" row, and the local node exists (committed) only with its
 * "allow" row, in the store. */
static void test_audit__no_effect_without_row_oom(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    pdm__tree_item v = {(const uint8_t *)"v", 1, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item acl = {(const uint8_t *)"Get=ServerA&Replace=ServerA", 27,
                          PDM_FORMAT_CHR, NULL, false};
    long total = -1, denies = 0;
    snprintf(dir, sizeof dir, "%s/audit-oom", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &SA, "./Acc/Secret", &v, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &SA, "./Acc?prop=ACL", &acl, &d),
                    PDM_OK);
    for (long n = 0; total < 0 || n <= total; n++) {
        char uri[64], row[96];
        int rrc, arc, crc;
        size_t before = count_rows(s, "server:ServerB|Replace|./Acc/Secret|deny|");
        snprintf(uri, sizeof uri, "./L%ld", n);
        pdm__alloc_fail_nth(n);
        crc = pdm__tree_begin(t);
        rrc = pdm__tree_replace(t, &SB, "./Acc/Secret", &v, &d);
        arc = pdm__tree_add(t, &LOCAL, uri, &v, &d);
        if (crc == PDM_OK)
            crc = pdm__tree_commit(t);
        if (pdm__tree_in_transaction(t))
            pdm__tree_abort(t);
        if (pdm__alloc_fail_after(-1) <= n) /* none failed: the last N */
            total = n;
        snprintf(row, sizeof row, "local|Add|%s|allow|", uri);
        if (rrc == PDM_EDENIED) {
            denies++;
            CU_ASSERT_EQUAL(count_rows(s, "server:ServerB|Replace|./Acc/"
                                          "Secret|deny|"),
                            before + 1);
        }
        if (pdm__tree_lookup(t, uri)) {
            CU_ASSERT_EQUAL(arc, PDM_OK);
            CU_ASSERT_EQUAL(crc, PDM_OK);
            CU_ASSERT_EQUAL(count_rows(s, row), 1);
        }
        if (n > 5000)
            break; /* a runaway loop, not a test */
    }
    CU_ASSERT(total >= 3); /* the package allocates: the sweep failed some */
    CU_ASSERT(denies >= total);
    pdm__tree_free(t);
    pdm__store_close(s);
    /* committed nodes are in the store too, each with its row */
    open_all(dir, &s, &t);
    for (long n = 0; n <= total; n++) {
        char uri[64], row[96];
        snprintf(uri, sizeof uri, "./L%ld", n);
        snprintf(row, sizeof row, "local|Add|%s|allow|", uri);
        if (pdm__tree_lookup(t, uri))
            CU_ASSERT_EQUAL(count_rows(s, row), 1);
    }
    pdm__tree_free(t);
    pdm__store_close(s);
}

/* Many audited decisions in one package (more than the tree's row
 * buffer holds) and a URI longer than the whole buffer: every row is
 * stored, whole and in order. */
static void test_audit__many_rows_and_long_uri(void)
{
    char dir[512], *longuri;
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    rows r;
    pdm__tree_item v = {(const uint8_t *)"v", 1, PDM_FORMAT_CHR, NULL, true};
    pdm__tree_item acl = {(const uint8_t *)"Get=ServerA&Replace=ServerA", 27,
                          PDM_FORMAT_CHR, NULL, false};
    size_t refused = 0;
    snprintf(dir, sizeof dir, "%s/audit-many", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &SA, "./Acc/Secret", &v, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_replace(t, &SA, "./Acc?prop=ACL", &acl, &d),
                    PDM_OK);
    longuri = malloc(6002);
    CU_ASSERT_PTR_NOT_NULL_FATAL(longuri);
    memcpy(longuri, "./Acc/", 6);
    memset(longuri + 6, 'x', 5995);
    longuri[6001] = '\0';
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    for (int i = 0; i < 60; i++) {
        CU_ASSERT_EQUAL(pdm__tree_replace(t, &SB, "./Acc/Secret", &v, &d),
                        PDM_EDENIED);
        refused++;
        if (i == 30) {
            CU_ASSERT_NOT_EQUAL(pdm__tree_replace(t, &SB, longuri, &v, &d),
                                PDM_OK);
            refused++;
        }
    }
    CU_ASSERT_EQUAL(pdm__tree_add(t, &LOCAL, "./Last", &v, &d), PDM_OK);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_OK);
    pdm__tree_free(t);
    pdm__store_close(s);
    open_all(dir, &s, &t);
    CU_ASSERT_EQUAL(count_rows(s, "server:ServerB|Replace|./Acc/Secret|deny|"),
                    60);
    CU_ASSERT_EQUAL(count_rows(s, longuri), 1);
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(pdm__store_audit_query(s, 0, collect, &r), PDM_OK);
    /* the ACL change (a server's Add is not audited), 61 refusals, the
     * local Add, in order */
    CU_ASSERT_EQUAL(r.n, 63);
    CU_ASSERT(strstr(r.text[0], "server:ServerA|Replace|./Acc?prop=ACL|allow") != NULL);
    CU_ASSERT(strstr(r.text[32], "|Replace|./Acc/xxxx") != NULL);
    CU_ASSERT(strstr(r.text[62], "local|Add|./Last|allow") != NULL);
    free(longuri);
    pdm__tree_free(t);
    pdm__store_close(s);
}

/* A row that the store refuses while the package is still open (the
 * buffer filled up and was written early) makes the package's commit fail
 * closed: its change is not stored without the rows of its decisions. */
static void test_audit__lost_row_fails_commit(void)
{
    char dir[512];
    pdm__store *s;
    pdm__tree *t;
    pdm__decision d;
    sqlite3 *db;
    const pdm__decision boom = {PDM_OK, "", "", "", "core", "refused"};
    pdm__tree_item v = {(const uint8_t *)"v", 1, PDM_FORMAT_CHR, NULL, true};
    snprintf(dir, sizeof dir, "%s/audit-lost", pdm_test_tmpdir());
    open_all(dir, &s, &t);
    /* the store refuses one row: as a disk error would */
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(pdm__store_path(s), &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON "
                                     "audit WHEN NEW.op = 'Boom' BEGIN "
                                     "SELECT RAISE(ABORT, 'boom'); END;",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    CU_ASSERT_EQUAL(pdm__tree_begin(t), PDM_OK);
    pdm__tree_audit(t, &LOCAL, "Boom", NULL, &boom);
    CU_ASSERT_EQUAL(pdm__tree_add(t, &LOCAL, "./X", &v, &d), PDM_OK);
    /* more rows than the buffer holds: it is written early, and fails
     * (the rows after it find no room: lost) */
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(pdm__tree_replace(t, &SB, "./X", &v, &d), PDM_EDENIED);
    /* the store works again by the commit: the queued rows could be
     * written, the lost ones not */
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DROP TRIGGER boom", NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(pdm__tree_commit(t), PDM_EIO);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./X"));
    pdm__tree_free(t);
    pdm__store_close(s);
    open_all(dir, &s, &t);
    CU_ASSERT_PTR_NULL(pdm__tree_lookup(t, "./X"));
    /* the rows that were queued are there (the package undone) */
    CU_ASSERT_EQUAL(count_rows(s, "local|Add|./X|allow|"), 1);
    CU_ASSERT_EQUAL(count_rows(s, "local|Boom||allow|"), 1);
    CU_ASSERT(count_rows(s, "server:ServerB|Replace|./X|deny|") < 100);
    pdm__tree_free(t);
    pdm__store_close(s);
}

static const pdm_test tests[] = {
    {"lost_row_fails_commit", test_audit__lost_row_fails_commit},
    {"no_effect_without_row_oom", test_audit__no_effect_without_row_oom},
    {"many_rows_and_long_uri", test_audit__many_rows_and_long_uri},
    {"create_delete_same_package", test_audit__create_delete_same_package},
    {"what_is_recorded", test_audit__what_is_recorded},
    {"rename_chain_commits", test_audit__rename_chain_commits},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"audit", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
