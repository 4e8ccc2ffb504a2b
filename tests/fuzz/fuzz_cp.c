/*
 * Fuzz target for core/src/bootstrap/cp.c (OMA CP documents).
 *
 * Input: byte 0 chooses the form (even: XML, odd: WBXML), the rest is the
 * document.  Besides memory safety it checks:
 *  - a refused parse returns PDM_EPARSE/PDM_ETOOBIG with a "CP: " message
 *    and no document;
 *  - a parsed document prints as canonical XML that parses again to the
 *    same canonical XML, and the masked form parses to "***" for every
 *    secret parm value;
 *  - the mapping ends in PDM_OK, PDM_EFORMAT or PDM_ETOOBIG (with a "CP: "
 *    message) and, on success, every node is under ./Inbox/<name> with its
 *    parent emitted before it as an interior node, every MO root typed
 *    DMAcc or ConnMO, no URI twice, AAuthSecret/AAuthData marked secret.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static bool is_secret(const char *name)
{
    return strcmp(name, "AAUTHSECRET") == 0 ||
           strcmp(name, "AAUTHDATA") == 0 ||
           strcmp(name, "AUTHSECRET") == 0 ||
           strcmp(name, "PXAUTH-PW") == 0 ||
           strcmp(name, "BASAUTH-PW") == 0 || strcmp(name, "PROXY-PW") == 0;
}

/* The masked print shows every secret parm value as "***". */
static void masked(const pdm__prov_char *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < c[i].nparms; j++) {
            const pdm__prov_parm *p = &c[i].parms[j];
            if (is_secret(p->name) && p->value)
                CHECK(strcmp(p->value, "***") == 0);
        }
        masked(c[i].kids, c[i].nkids);
    }
}

static void check_frag(const pdm__bs_frag *f)
{
    for (size_t i = 0; i < f->n; i++) {
        const pdm__bs_node *x = &f->v[i];
        const char *rest, *slash, *leaf;
        CHECK(strncmp(x->uri, "./Inbox/", 8) == 0);
        rest = x->uri + 8;
        CHECK(*rest && *rest != '/');
        slash = strrchr(x->uri, '/');
        leaf = slash + 1;
        CHECK(*leaf);
        if (!strchr(rest, '/')) { /* an MO root */
            CHECK(x->format == PDM_FORMAT_NODE && x->type &&
                  (strcmp(x->type, PDM__MOID_DMACC) == 0 ||
                   strcmp(x->type, PDM__MOID_CONNMO) == 0));
        } else {
            bool found = false;
            size_t plen = (size_t)(slash - x->uri);
            for (size_t j = 0; j < i && !found; j++)
                found = strlen(f->v[j].uri) == plen &&
                        memcmp(f->v[j].uri, x->uri, plen) == 0 &&
                        f->v[j].format == PDM_FORMAT_NODE;
            CHECK(found);
        }
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(f->v[j].uri, x->uri) != 0);
        if (strcmp(leaf, "AAuthSecret") == 0 ||
            strcmp(leaf, "AAuthData") == 0)
            CHECK(x->secret);
        CHECK((x->format == PDM_FORMAT_NODE) == (x->data == NULL));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__prov_doc *d = NULL, *d2 = NULL;
    pdm__buf a, b, m;
    pdm__bs_frag f;
    char err[256] = "";
    bool wbxml;
    int rc;

    if (size < 1)
        return 0;
    wbxml = data[0] & 1;
    rc = pdm__cp_parse(data + 1, size - 1, wbxml, &d, err, sizeof err);
    if (rc != PDM_OK) {
        CHECK(rc == PDM_EPARSE || rc == PDM_ETOOBIG || rc == PDM_ENOMEM);
        CHECK(d == NULL);
        CHECK(strncmp(err, "CP: ", 4) == 0);
        return 0;
    }
    CHECK(d != NULL);
    pdm__buf_init(&a);
    pdm__buf_init(&b);
    pdm__buf_init(&m);
    CHECK(pdm__cp_to_xml(d, true, &a) == PDM_OK);
    CHECK(pdm__cp_to_xml(d, false, &m) == PDM_OK);
    CHECK(pdm__cp_parse(m.data, m.len, false, &d2, err, sizeof err) ==
          PDM_OK);
    masked(d2->chars, d2->nchars);
    pdm__cp_free(d2);
    d2 = NULL;
    rc = pdm__cp_parse(a.data, a.len, false, &d2, err, sizeof err);
    if (rc != PDM_OK)
        fprintf(stderr, "reparse: %s\n", err);
    CHECK(rc == PDM_OK);
    CHECK(pdm__cp_to_xml(d2, true, &b) == PDM_OK);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);

    pdm__bs_frag_init(&f);
    err[0] = '\0';
    rc = pdm__cp_map(d, &f, err, sizeof err);
    if (rc == PDM_OK) {
        check_frag(&f);
    } else {
        CHECK(rc == PDM_EFORMAT || rc == PDM_ETOOBIG || rc == PDM_ENOMEM);
        CHECK(strncmp(err, "CP: ", 4) == 0);
    }
    pdm__bs_frag_free(&f);
    pdm__buf_free(&a);
    pdm__buf_free(&b);
    pdm__buf_free(&m);
    pdm__cp_free(d2);
    pdm__cp_free(d);
    return 0;
}
