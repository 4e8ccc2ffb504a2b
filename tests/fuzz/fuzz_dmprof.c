/*
 * Fuzz target for the DM-profile bootstrap path before the tree is
 * written: pdm__dmprof_decode (core/src/bootstrap/dmprof.c) and then
 * pdm__bs_place (place.c) on a small in-memory tree.
 *
 * Input layout:
 *   byte 0   bit 0 the message is WBXML (else XML);
 *            bit 1 placement may replace an existing account;
 *            bit 2 the tree has URI limits (depth 8, length 64, segment
 *                  12), else none
 *   bytes 1  the message
 *
 * Besides memory safety it checks:
 *  - rc is a pdm_rc; a refusal says why (err set, terminated);
 *  - a decoded fragment: at most PDM__BS_MAX_NODES nodes, Add or Replace,
 *    "./" URIs, the secret flag set exactly for AAuthSecret/AAuthData;
 *  - placement never changes the tree (TNDS export before and after);
 *  - a placed fragment: URIs parse and fit the tree's limits, nothing in
 *    ./Inbox (neither a node nor a reference), no Add of a node that
 *    exists but below an account it replaces, no URI added twice, each
 *    MO's root under ./DMAcc or ./ConnMO (or where it was, "other"), a
 *    DMAcc with a ServerID;
 *  - a placement refusal never shows a secret value (unless the document
 *    also wrote it somewhere that is not secret).
 * $PDM_FUZZ_VERBOSE prints each outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap/bootstrap.h"
#include "tree/dmacc.h"
#include "tree/tnds.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static const pdm__who local = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};

static pdm__tree *new_tree(bool limits)
{
    pdm__tree_config cfg;
    pdm__tree *t = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.root_add_star = true;
    if (limits) {
        cfg.limits.max_depth = 8;
        cfg.limits.max_tot_len = 64;
        cfg.limits.max_seg_len = 12;
    }
    CHECK(pdm__tree_open(&t, &cfg, NULL, 0) == PDM_OK);
    CHECK(pdm__tree_put(t, "./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT,
                        NULL, "Get=*", NULL, 0, "factory") == PDM_OK);
    CHECK(pdm__tree_put(t, "./Inbox", PDM_FORMAT_NODE,
                        PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY,
                        "urn:oma:mo:oma-dm-inbox:1.0", NULL, NULL, 0,
                        "factory") == PDM_OK);
    CHECK(pdm__tree_put(t, "./DMAcc/acc0/ServerID", PDM_FORMAT_CHR, 0, NULL,
                        NULL, (const uint8_t *)"funambol", 8,
                        "factory") == PDM_OK);
    CHECK(pdm__tree_put(t, "./DMAcc/1/ServerID", PDM_FORMAT_CHR, 0, NULL,
                        NULL, (const uint8_t *)"srvA", 4, "factory") == PDM_OK);
    CHECK(pdm__tree_put(t, "./ConnMO/Internet/Name", PDM_FORMAT_CHR, 0, NULL,
                        NULL, (const uint8_t *)"n", 1, "factory") == PDM_OK);
    CHECK(pdm__tree_put(t, "./Vendor/x", PDM_FORMAT_CHR, 0, NULL, NULL,
                        (const uint8_t *)"v", 1, "factory") == PDM_OK);
    return t;
}

static uint8_t *export_all(pdm__tree *t, size_t *len)
{
    pdm__tnds_opts o;
    pdm__decision d;
    pdm__buf b;
    memset(&o, 0, sizeof o);
    o.list = PDM_URI_LIST_TNDS;
    o.props = PDM_URI_PROP_ALL;
    o.wbxml = true;
    pdm__buf_init(&b);
    CHECK(pdm__tnds_export(t, &local, ".", &o, &b, &d) == PDM_OK);
    return pdm__buf_steal(&b, len);
}

static bool valid_rc(int rc)
{
    return rc == PDM_OK || (rc <= PDM_ERROR && rc >= PDM_ECOMMAND);
}

static bool refused(const char *err, size_t size)
{
    return err[0] && memchr(err, 0, size);
}

static bool is_secret_uri(const char *uri)
{
    const char *leaf = strrchr(uri, '/');
    return pdm__tree_is_secret_name(leaf ? leaf + 1 : uri);
}

/* Does v[0..n) appear in a field of the fragment that is not secret? */
static bool shown_elsewhere(const pdm__bs_frag *f, const uint8_t *v, size_t n)
{
    char *s = pdm__strndup((const char *)v, n);
    bool found = false;
    CHECK(s);
    for (size_t i = 0; i < f->n && !found; i++) {
        const pdm__bs_node *x = &f->v[i];
        found = strstr(x->uri, s) || (x->type && strstr(x->type, s)) ||
                (x->acl && strstr(x->acl, s)) ||
                (!x->secret && x->data && strstr((const char *)x->data, s));
    }
    pdm__free(s);
    return found;
}

static void check_placed(pdm__tree *t, const pdm__bs_frag *f,
                         const pdm__bs_placed *p)
{
    const pdm__uri_limits *lim = pdm__tree_limits(t);
    CHECK(p->nmos <= PDM__BS_MAX_MOS);
    for (size_t m = 0; m < p->nmos; m++) {
        const pdm__bs_mo *o = &p->mos[m];
        CHECK(o->from && o->root);
        CHECK(strncmp(o->root, "./Inbox/", 8) != 0);
        if (o->kind == PDM__BS_MO_DMACC) {
            CHECK(!strncmp(o->root, "./DMAcc/", 8));
            CHECK(o->server_id);
            CHECK(!o->replaces || !strcmp(o->replaces, o->root));
        } else if (o->kind == PDM__BS_MO_CONNMO) {
            CHECK(!strncmp(o->root, "./ConnMO/", 9));
        } else {
            CHECK(!strcmp(o->root, o->from));
        }
    }
    for (size_t i = 0; i < f->n; i++) {
        const pdm__bs_node *x = &f->v[i];
        pdm__uri u;
        bool under_replaced = false;
        CHECK(x->op == PDM_OP_ADD || x->op == PDM_OP_REPLACE);
        CHECK(pdm__uri_parse(&u, x->uri, strlen(x->uri), lim, NULL, 0) ==
              PDM_OK);
        CHECK(strcmp(u.path, "Inbox") && strncmp(u.path, "Inbox/", 6));
        for (size_t m = 0; m < p->nmos; m++) {
            const char *r = p->mos[m].replaces;
            size_t rl = r ? strlen(r) : 0;
            if (r && !strncmp(x->uri, r, rl) &&
                (x->uri[rl] == '\0' || x->uri[rl] == '/'))
                under_replaced = true;
        }
        if (x->op == PDM_OP_ADD && !under_replaced)
            CHECK(!pdm__tree_find(t, u.path, u.len));
        pdm__uri_free(&u);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(f->v[j].uri, x->uri) != 0);
        if (!x->secret && x->format == PDM_FORMAT_CHR && x->data)
            CHECK(strncmp((const char *)x->data, "./Inbox/", 8) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__tree *t;
    pdm__bs_frag f;
    pdm__bs_placed p;
    pdm__bs_frag secrets;
    char err[256];
    uint8_t *before, *after;
    size_t lb, la;
    bool verbose = getenv("PDM_FUZZ_VERBOSE") != NULL;
    int rc;

    if (size < 1)
        return 0;
    pdm__bs_frag_init(&f);
    memset(err, 0x55, sizeof err);
    rc = pdm__dmprof_decode(data + 1, size - 1, data[0] & 1, &f, err,
                            sizeof err);
    CHECK(valid_rc(rc));
    if (verbose)
        fprintf(stderr, "fuzz_dmprof: decode %s: %s (%zu nodes)\n",
                pdm_strerror(rc), rc ? err : "", f.n);
    if (rc != PDM_OK) {
        CHECK(refused(err, sizeof err));
        pdm__bs_frag_free(&f);
        return 0;
    }
    CHECK(f.n <= PDM__BS_MAX_NODES);
    /* what the document holds secret, before placement moves it */
    pdm__bs_frag_init(&secrets);
    for (size_t i = 0; i < f.n; i++) {
        const pdm__bs_node *x = &f.v[i];
        CHECK(x->op == PDM_OP_ADD || x->op == PDM_OP_REPLACE);
        CHECK(!strncmp(x->uri, "./", 2) || !strcmp(x->uri, "."));
        CHECK(x->secret == is_secret_uri(x->uri));
        if (x->secret && x->data && x->len >= 6 &&
            !memchr(x->data, 0, x->len))
            CHECK(pdm__bs_frag_add(&secrets, PDM_OP_ADD, x->uri, x->format,
                                   NULL, NULL, x->data, x->len) == PDM_OK);
    }
    t = new_tree(data[0] & 4);
    before = export_all(t, &lb);
    memset(err, 0x55, sizeof err);
    rc = pdm__bs_place(t, &f, data[0] & 2, &p, err, sizeof err);
    CHECK(valid_rc(rc));
    if (verbose)
        fprintf(stderr, "fuzz_dmprof: place %s: %s (%zu MOs)\n",
                pdm_strerror(rc), rc ? err : "", rc ? 0 : p.nmos);
    after = export_all(t, &la);
    CHECK(la == lb && memcmp(before, after, lb) == 0);
    if (rc == PDM_OK) {
        check_placed(t, &f, &p);
        pdm__bs_placed_free(&p);
    } else {
        CHECK(refused(err, sizeof err));
        CHECK(p.nmos == 0 && !p.mos);
        for (size_t i = 0; i < secrets.n; i++)
            CHECK(!strstr(err, (const char *)secrets.v[i].data) ||
                  shown_elsewhere(&f, secrets.v[i].data, secrets.v[i].len));
    }
    pdm__free(before);
    pdm__free(after);
    pdm__bs_frag_free(&secrets);
    pdm__bs_frag_free(&f);
    pdm__tree_free(t);
    return 0;
}
