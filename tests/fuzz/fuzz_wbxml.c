/*
 * Fuzz target for core/src/codec/wbxml.c: the input is one WBXML document
 * (SyncML DM, DDF or OMA CP).  Besides memory safety it checks:
 *  - a failed decode returns EPARSE or ETOOBIG with rc, offset (inside the
 *    input) and a message filled in;
 *  - a decoded tree is well formed: parent/child links agree, every text
 *    is NUL-terminated at len, unknown elements have a name;
 *  - encode(decode(x)) succeeds and decodes to the same tree, and encoding
 *    that tree again gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static size_t check_tree(const pdm__el *root)
{
    size_t n = 0;
    for (const pdm__el *el = root; el;) {
        const pdm__el *last = NULL;
        n++;
        CHECK(el->tag > PDM_TAG_NONE && el->tag < PDM_TAG_COUNT);
        CHECK(el->tag != PDM_TAG_UNKNOWN || (el->name && el->name[0]));
        CHECK(!el->text || el->text[el->len] == 0);
        for (const pdm__attr *a = el->attrs; a; a = a->next)
            CHECK(a->name && a->name[0] && a->value);
        for (const pdm__el *c = el->first; c; c = c->next) {
            CHECK(c->parent == el);
            last = c;
        }
        CHECK(el->last == last);
        if (el->first) {
            el = el->first;
            continue;
        }
        while (el != root && !el->next)
            el = el->parent;
        el = el == root ? NULL : el->next;
    }
    return n;
}

/* Same tags, names, text bytes and attributes (depth is bounded by the
 * decoder's limit, so recursion is fine here). */
static int same(const pdm__el *a, const pdm__el *b)
{
    for (; a && b; a = a->next, b = b->next) {
        const pdm__attr *x = a->attrs, *y = b->attrs;
        if (a->tag != b->tag || !a->text != !b->text || a->len != b->len)
            return 0;
        if (a->tag == PDM_TAG_UNKNOWN && strcmp(a->name, b->name) != 0)
            return 0;
        if (a->text && memcmp(a->text, b->text, a->len) != 0)
            return 0;
        for (; x && y; x = x->next, y = y->next)
            if (strcmp(x->name, y->name) || strcmp(x->value, y->value))
                return 0;
        if (x || y || !same(a->first, b->first))
            return 0;
    }
    return !a && !b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__doc d, d2;
    pdm__codec_err err;
    pdm__codec_limits lim = {0, 0, 200000};
    pdm__buf b1, b2;
    int rc;

    pdm__doc_init(&d);
    rc = pdm__wbxml_decode(&d, data, size, &lim, &err);
    if (rc != PDM_OK) {
        CHECK(rc == PDM_EPARSE || rc == PDM_ETOOBIG);
        CHECK(err.rc == rc && err.msg[0] && err.offset <= size);
        pdm__doc_free(&d);
        return 0;
    }
    CHECK(d.root && d.lang != PDM_LANG_NONE);
    CHECK(d.wbxml_version >= 1 && d.wbxml_version <= 3);
    CHECK(check_tree(d.root) <= 200000);

    pdm__buf_init(&b1);
    pdm__buf_init(&b2);
    CHECK(pdm__wbxml_encode(&b1, &d, NULL, &err) == PDM_OK);
    pdm__doc_init(&d2);
    CHECK(pdm__wbxml_decode(&d2, b1.data, b1.len, &lim, &err) == PDM_OK);
    CHECK(d2.lang == d.lang && same(d.root, d2.root));
    CHECK(pdm__wbxml_encode(&b2, &d2, NULL, &err) == PDM_OK);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    pdm__buf_free(&b1);
    pdm__buf_free(&b2);
    pdm__doc_free(&d2);
    pdm__doc_free(&d);
    return 0;
}
