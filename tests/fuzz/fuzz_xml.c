/*
 * Fuzz target for the XML codec (core/src/codec/xml.c).
 *
 * Every input is decoded with limits.  A failure must be one of the
 * documented codes with a message.  A decoded document is encoded (compact
 * and pretty); whatever the encoder accepts must decode again, and the
 * compact round trip must give the same tree (tags, names, text, attributes;
 * in pretty mode the text of elements that have children is not compared,
 * since indentation is added there).  Any violation aborts.
 */
#include "codec/codec.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const pdm__el *a, const pdm__el *b, bool pretty)
{
    const pdm__attr *x, *y;
    const pdm__el *ca, *cb;
    if (a->tag != b->tag)
        return false;
    if (a->tag == PDM_TAG_UNKNOWN && strcmp(a->name, b->name) != 0)
        return false;
    if (!(pretty && a->first) &&
        (a->len != b->len || (a->len && memcmp(a->text, b->text, a->len))))
        return false;
    for (x = a->attrs, y = b->attrs; x && y; x = x->next, y = y->next)
        if (strcmp(x->name, y->name) || strcmp(x->value, y->value))
            return false;
    if (x || y)
        return false;
    for (ca = a->first, cb = b->first; ca && cb; ca = ca->next, cb = cb->next)
        if (!same(ca, cb, pretty))
            return false;
    return !ca && !cb;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_xml: %s: %s\n", what, msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__doc d;
    pdm__codec_err err;
    pdm__codec_limits lim = {.max_bytes = 1u << 20, .max_elements = 100000};
    int rc;

    pdm__doc_init(&d);
    rc = pdm__xml_decode(&d, data, size, &lim, &err);
    if (rc != PDM_OK) {
        if (rc != PDM_EPARSE && rc != PDM_ETOOBIG)
            fail("unexpected decode rc", err.msg);
        if (err.rc != rc || !err.msg[0])
            fail("decode error without detail", err.msg);
        pdm__doc_free(&d);
        return 0;
    }
    if (!d.root)
        fail("decode", "PDM_OK without a root");

    for (int pretty = 0; pretty < 2; pretty++) {
        pdm__xml_opts o = {.pretty = pretty != 0, .no_decl = pretty != 0};
        pdm__buf b;
        pdm__doc d2;
        pdm__buf_init(&b);
        rc = pdm__xml_encode(&b, &d, &o, &err);
        if (rc != PDM_OK) {
            /* only values XML cannot carry may be refused */
            if (rc != PDM_EFORMAT || !err.msg[0])
                fail("unexpected encode rc", err.msg);
            pdm__buf_free(&b);
            continue;
        }
        pdm__doc_init(&d2);
        rc = pdm__xml_decode(&d2, b.data, b.len, NULL, &err);
        if (rc != PDM_OK)
            fail("encoder output does not decode", err.msg);
        if (!same(d.root, d2.root, pretty != 0) || d.lang != d2.lang)
            fail("round trip changed the document",
                 pretty ? "pretty" : "compact");
        pdm__doc_free(&d2);
        pdm__buf_free(&b);
    }
    pdm__doc_free(&d);
    return 0;
}
