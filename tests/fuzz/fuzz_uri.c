/*
 * Fuzz target for core/src/tree/uri: the input is one URI.  Besides memory
 * safety it checks the documented properties:
 *  - a successful parse gives a canonical path that parses to itself, and
 *    pdm__uri_format output (with or without ASCII escaping, "./" prefix
 *    and query) parses back to the same path and query;
 *  - segments, names, parent/last/depth/ancestor agree with the path;
 *  - limits only ever turn a result into PDM_ETOOLONG, and exactly when
 *    a limit is exceeded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/uri.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void same(const pdm__uri *a, const pdm__uri *b, bool query)
{
    CHECK(a->len == b->len && memcmp(a->path, b->path, a->len) == 0);
    CHECK(a->nseg == b->nseg);
    if (!query) {
        CHECK(b->query == PDM_URI_Q_NONE);
        return;
    }
    CHECK(a->query == b->query);
    if (a->query == PDM_URI_Q_PROP)
        CHECK(a->prop == b->prop);
    if (a->query == PDM_URI_Q_LIST)
        CHECK(a->list == b->list && a->list_props == b->list_props &&
              (a->list_props == 0 || a->list_sel == b->list_sel));
}

static void reparse(const pdm__uri *u, unsigned flags)
{
    pdm__buf b;
    pdm__uri v;
    pdm__buf_init(&b);
    pdm__uri_format(&b, u, flags);
    CHECK(pdm__buf_ok(&b));
    CHECK(pdm__uri_parse(&v, (const char *)b.data, b.len, NULL, NULL, 0) ==
          PDM_OK);
    same(u, &v, flags & PDM_URI_FMT_QUERY);
    pdm__uri_free(&v);
    pdm__buf_free(&b);
}

static void check_ok(const pdm__uri *u)
{
    CHECK(strlen(u->path) == u->len);
    if (u->nseg == 0) {
        CHECK(pdm__uri_is_root(u->path, u->len));
    } else {
        size_t pos = 0;
        for (size_t i = 0; i < u->nseg; i++) {
            const char *nm = pdm__uri_seg_name(u, i);
            size_t n = pdm__uri_seg_len(u, i);
            CHECK(u->segs[i].off == pos);
            CHECK(strlen(nm) == n);
            CHECK(memcmp(u->path + pos, nm, n) == 0);
            CHECK(pdm__uri_check_name(nm, n, NULL, NULL, 0) == PDM_OK);
            pos += n;
            CHECK(u->path[pos] == (i + 1 < u->nseg ? '/' : '\0'));
            pos++;
        }
        size_t pl, ll;
        const char *p = pdm__uri_parent(u->path, u->len, &pl);
        const char *l = pdm__uri_last(u->path, u->len, &ll);
        CHECK(p != NULL);
        CHECK(ll == pdm__uri_seg_len(u, u->nseg - 1));
        CHECK(memcmp(l, pdm__uri_seg_name(u, u->nseg - 1), ll) == 0);
        CHECK(pdm__uri_is_ancestor(p, pl, u->path, u->len, false));
        CHECK(!pdm__uri_is_ancestor(u->path, u->len, p, pl, true));
        /* join(parent, last) gives the path back */
        pdm__buf b;
        pdm__buf_init(&b);
        CHECK(pdm__uri_join(&b, p, pl, l, ll, NULL, 0) == PDM_OK);
        CHECK(b.len == u->len && memcmp(b.data, u->path, b.len) == 0);
        pdm__buf_free(&b);
    }
    CHECK(pdm__uri_depth(u->path, u->len) == u->nseg);
    CHECK(pdm__uri_is_ancestor(".", 1, u->path, u->len, true));

    reparse(u, 0);
    reparse(u, PDM_URI_FMT_QUERY);
    reparse(u, PDM_URI_FMT_DOT | PDM_URI_FMT_QUERY);
    reparse(u, PDM_URI_FMT_ASCII | PDM_URI_FMT_QUERY);
}

static size_t g_maxseg(const pdm__uri *u)
{
    size_t m = 0;
    for (size_t i = 0; i < u->nseg; i++) {
        size_t c = chars(pdm__uri_seg_name(u, i), pdm__uri_seg_len(u, i));
        if (c > m)
            m = c;
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pdm__uri_limits lims[] = {
        {1, 1, 1}, {2, 8, 3}, {3, 24, 8}, {0, 16, 0}, {4, 0, 0}, {0, 0, 2},
    };
    const char *s = (const char *)data;
    char err[200];
    pdm__uri u;
    int rc = pdm__uri_parse(&u, s, size, NULL, err, sizeof err);
    CHECK(rc == PDM_OK || rc == PDM_EINVAL || rc == PDM_ENOTSUP ||
          rc == PDM_ENOMEM);
    if (rc != PDM_OK)
        CHECK(err[0] != '\0' && strlen(err) < sizeof err);
    else
        check_ok(&u);

    for (size_t k = 0; k < sizeof lims / sizeof lims[0]; k++) {
        pdm__uri v;
        int r2 = pdm__uri_parse(&v, s, size, &lims[k], err, sizeof err);
        if (rc == PDM_OK) {
            const pdm__uri_limits *lm = &lims[k];
            bool over = (lm->max_depth && u.nseg > lm->max_depth) ||
                        (lm->max_tot_len && u.chars > lm->max_tot_len) ||
                        (lm->max_seg_len && g_maxseg(&u) > lm->max_seg_len);
            CHECK(r2 == (over ? PDM_ETOOLONG : PDM_OK));
            if (r2 == PDM_OK) {
                same(&u, &v, true);
                /* the canonical spelling is never longer than the
                 * received one, so it passes the same limits */
                CHECK(pdm__uri_check_limits(v.path, v.len, &lims[k], NULL,
                                            0) == PDM_OK);
            }
        } else {
            CHECK(r2 == rc || r2 == PDM_ETOOLONG);
        }
        pdm__uri_free(&v);
    }
    pdm__uri_free(&u);

    /* the same bytes as a single node name */
    (void)pdm__uri_check_name(s, size, &lims[1], err, sizeof err);
    return 0;
}
