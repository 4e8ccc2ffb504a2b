/*
 * Shared by the fuzz targets: the check that turns a broken promise into
 * a crash libFuzzer reports (with the failed condition on stderr), and
 * the comparison of two tree nodes' own data.
 */
#ifndef PDM_FUZZ_CHECK_H
#define PDM_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                             \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                    __LINE__, #c);                                           \
            abort();                                                         \
        }                                                                    \
    } while (0)

#ifdef PDM_FUZZ_NODES
#include "tree/tree_int.h"

static inline int fuzz_same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Everything a node holds but its children, TStamp and VerNo (the
 * callers decide about those). */
static inline void fuzz_same_node(const pdm__node *a, const pdm__node *b)
{
    size_t la, lb;
    const uint8_t *va = pdm__node_value(a, &la), *vb = pdm__node_value(b, &lb);
    CHECK(fuzz_same_str(pdm__node_name(a), pdm__node_name(b)));
    CHECK(pdm__node_format(a) == pdm__node_format(b));
    CHECK(pdm__node_flags(a) == pdm__node_flags(b));
    CHECK(fuzz_same_str(pdm__node_type(a), pdm__node_type(b)));
    CHECK(fuzz_same_str(pdm__node_title(a), pdm__node_title(b)));
    CHECK(fuzz_same_str(pdm__node_acl(a), pdm__node_acl(b)));
    CHECK(fuzz_same_str(pdm__node_owner(a), pdm__node_owner(b)));
    CHECK(!va == !vb && la == lb && (!la || memcmp(va, vb, la) == 0));
}
#endif

#endif
