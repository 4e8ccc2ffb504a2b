/*
 * Fuzz target for core/src/tree/acl: the input is one ACL string.  Besides
 * memory safety it checks:
 *  - parse -> format -> parse is a fixed point (same canonical string,
 *    pdm__acl_equal);
 *  - every listed id is granted its commands, entry indexes are in range;
 *  - edits (remove every id in turn, root and non-root; add; set; merge;
 *    copy) keep the ACL valid: its canonical form still parses to itself;
 *  - a failed parse leaves an empty ACL and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/acl.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static const int ops[] = {PDM_OP_ADD, PDM_OP_DELETE, PDM_OP_EXEC, PDM_OP_GET,
                          PDM_OP_REPLACE};

/* Canonical form must parse back to an equal ACL with the same text. */
static void fixed_point(const pdm__acl *a)
{
    pdm__buf b1, b2;
    pdm__acl x;
    char err[200];
    pdm__buf_init(&b1);
    pdm__buf_init(&b2);
    pdm__acl_format(a, &b1);
    CHECK(pdm__buf_ok(&b1));
    CHECK(pdm__acl_parsen(b1.data ? (const char *)b1.data : "", b1.len, &x,
                          err, sizeof err) == PDM_OK);
    pdm__acl_format(&x, &b2);
    CHECK(b1.len == b2.len && (b1.len == 0 || memcmp(b1.data, b2.data,
                                                     b1.len) == 0));
    CHECK(pdm__acl_equal(a, &x));
    CHECK(pdm__acl_is_empty(a) == (b1.len == 0));
    pdm__acl_free(&x);
    pdm__buf_free(&b1);
    pdm__buf_free(&b2);
}

static void check_allows(const pdm__acl *a)
{
    int entries = 0;
    for (int c = 0; c < PDM_ACL_NCMD; c++)
        entries += (a->present >> c) & 1;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        int op = ops[c], e;
        bool star = (a->star >> c) & 1;
        bool g = pdm__acl_allows(a, op, "\x01never-an-id", &e);
        CHECK(g == star);
        CHECK(e >= -1 && e < entries);
        CHECK((e >= 0) == pdm__acl_has(a, op));
        for (unsigned k = 0; k < a->count[c]; k++) {
            CHECK(pdm__acl_allows(a, op, a->ids[a->first[c] + k], &e));
            CHECK(e >= 0);
        }
    }
    CHECK(!pdm__acl_allows(a, PDM_OP_COPY, "x", NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__acl a, b;
    char err[200];
    int rc = pdm__acl_parsen((const char *)data, size, &a, err, sizeof err);
    CHECK(rc == PDM_OK || rc == PDM_EPARSE || rc == PDM_ETOOBIG);
    if (rc != PDM_OK) {
        CHECK(pdm__acl_is_empty(&a) && a.blk_ == NULL);
        CHECK(err[0] != '\0');
        pdm__acl_free(&a);
        return 0;
    }
    fixed_point(&a);
    check_allows(&a);

    /* copy + merge with itself: unchanged */
    CHECK(pdm__acl_copy(&b, &a) == PDM_OK);
    CHECK(pdm__acl_equal(&a, &b));
    CHECK(pdm__acl_merge(&b, &a) == PDM_OK);
    CHECK(pdm__acl_equal(&a, &b));

    /* creator rule and may_change never crash and agree with allows */
    {
        pdm__acl n;
        bool rep = pdm__acl_allows(&a, PDM_OP_REPLACE, "creator", NULL);
        CHECK(pdm__acl_for_new_node(true, &a, "creator", &n) == PDM_OK);
        CHECK(pdm__acl_is_empty(&n) == rep);
        pdm__acl_free(&n);
        CHECK((pdm__acl_may_change_acl(false, &a, &a, "creator") != 0) ==
              rep);
    }

    /* remove each id of the original in turn (non-root copy b, root copy) */
    {
        pdm__acl r;
        CHECK(pdm__acl_copy(&r, &a) == PDM_OK);
        for (unsigned k = 0; k < a.nids; k++) {
            const char *id = a.ids[k];
            bool ch, em;
            CHECK(pdm__acl_remove_server(&b, id, false, &ch, &em) == PDM_OK);
            CHECK(!pdm__acl_allows(&b, PDM_OP_GET, id, NULL) ||
                  ((b.star >> PDM_ACL_GET) & 1));
            fixed_point(&b);
            CHECK(pdm__acl_remove_server(&r, id, true, &ch, &em) == PDM_OK);
            CHECK(!em);
            fixed_point(&r);
        }
        /* a root ACL never loses a command */
        CHECK(r.present == a.present);
        CHECK(b.nids == 0);
        pdm__acl_free(&r);
    }

    /* add / set on the original */
    CHECK(pdm__acl_add_server(&a, PDM_OP_EXEC, "fz") == PDM_OK);
    CHECK(pdm__acl_allows(&a, PDM_OP_EXEC, "fz", NULL));
    fixed_point(&a);
    CHECK(pdm__acl_set(&a, PDM_OP_GET, "x+y+x", err, sizeof err) == PDM_OK);
    fixed_point(&a);
    CHECK(pdm__acl_set(&a, PDM_OP_ADD, NULL, err, sizeof err) == PDM_OK);
    CHECK(!pdm__acl_has(&a, PDM_OP_ADD));
    fixed_point(&a);

    /* the input as a server list for one command */
    {
        char *z = malloc(size + 1);
        if (z) {
            memcpy(z, data, size);
            z[size] = '\0';
            if (pdm__acl_set(&b, PDM_OP_REPLACE, z, err, sizeof err) ==
                PDM_OK)
                fixed_point(&b);
            free(z);
        }
    }
    pdm__acl_free(&a);
    pdm__acl_free(&b);
    return 0;
}
