/*
 * Inbox placement (bootstrap.h, pdm__bs_place): decides where each MO of
 * a bootstrap document goes and rewrites the fragment to say so.  It
 * reads the tree (tree.h, dmacc.h) only to find free names and existing
 * accounts; it never changes it.  On failure the fragment is left in an
 * unspecified but valid state (the caller refuses the document and frees
 * it).
 *
 * The rules, in the order they run:
 *   1. Every URI is parsed to its canonical path; a query (?prop=) or an
 *      op other than Add/Replace is a format error.
 *   2. Containers: an interior Add of "./Inbox", "./DMAcc" or "./ConnMO"
 *      without value is left out when the node exists (and always for
 *      ./Inbox: nothing stays there); ./DMAcc and ./ConnMO are kept
 *      when the tree lacks them.
 *   3. MO instances: ./Inbox/<x>, ./DMAcc/<x>, ./ConnMO/<x> are roots;
 *      any other node belongs to the MO rooted at its shortest missing
 *      ancestor ("other": added where it is), which must not be a
 *      top-level node.  A node inside an EXISTING ./DMAcc/<x> or
 *      ./ConnMO/<x> is refused unless the document adds that root itself
 *      (it is then a new MO that gets another name, or the account it
 *      replaces).
 *   4. Kind of an Inbox MO: the Type of its root (PDM__MOID_*).  Lenient:
 *      a root without a known Type whose AppID is "w7" (or the w7 MO id)
 *      and that has a ServerID leaf is a DMAcc (CP mappers and old
 *      servers omit the Type).  Anything else is dropped and recorded.
 *   5. In document order: a repeated Add of an interior node whose parent
 *      is a DMAcc dynamic list (AppAuth, AppAddr, Port, ToConRef) gets
 *      "<name>-2", "-3", ... (the first free), and the nodes after it that
 *      name the repeated path follow it until the path repeats again (so
 *      Funambol's two AppAuth/Client become Client and Client-2).  Any
 *      other repeated Add is a format error.  A Replace of a node the
 *      document added earlier sets that Add's value and is folded into it.
 *   6. DMAcc: its ServerID leaf (required, valid), no two accounts of the
 *      document with one ServerID; an existing account with it is
 *      replaced (@replace_existing) or the document refused.
 *   7. Names: DMAcc keeps its name when free and valid, else the lowest
 *      free decimal; ConnMO keeps its name or becomes "<name>-2", ...
 *      (S15).  "Free": no such node in the tree and no other MO of the
 *      document placed there.
 *   8. Node URIs move to the final roots; a chr value (secrets excepted)
 *      that is a "./"-URI naming a moved root or a node below it is
 *      rewritten (PrefConRef, ToConRef/<x>/ConRef, ./Inbox/<path>
 *      cross references, a renamed account).  A value still naming
 *      ./Inbox afterwards is refused: nothing stays in the Inbox.  Final
 *      URIs and rewritten values must fit the tree's URI limits.
 *   9. ./ConnMO is created first (interior, no ACL of its own: it inherits
 *      the root's, like the other top-level MOs the core creates) when a
 *      ConnMO is placed and neither the tree nor the document has it.
 */
#include "bootstrap/bootstrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tree/dmacc.h"

typedef struct mo {
    pdm__bs_mo_kind kind;
    bool inbox;    /* rooted in ./Inbox */
    bool dropped;
    char *from;    /* canonical root as in the document */
    char *root;    /* final canonical root */
    char *replaces;
    char *sid;     /* DMAcc: ServerID (validated: printable ASCII) */
    char *addr;
    long root_idx; /* fragment node adding the root, or -1 */
} mo;

typedef struct ren {
    char *old; /* path as the document spells it */
    char *cur; /* the name it was given */
} ren;

typedef struct pctx {
    pdm__tree *t;
    pdm__bs_frag *f;
    const pdm__uri_limits *lim;
    char **path;  /* canonical path per node */
    long *mo_of;  /* MO per node; -1: a container */
    bool *keep;
    mo mos[PDM__BS_MAX_MOS];
    size_t nmos;
    ren *rens;
    size_t nrens;
    char *err;
    size_t errlen;
} pctx;

static const char INBOX[] = "Inbox", DMACC[] = "DMAcc", CONNMO[] = "ConnMO";

#define fail(x, rc, ...) pdm__bs_err((x)->err, (x)->errlen, (rc), __VA_ARGS__)

/* A document string fit for a message: printable ASCII, others as '?',
 * cut at 80 characters.  Never called on secret values. */
static const char *san(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; s && *s && i + 4 < size && i < 80; s++)
        buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (s && *s && i + 4 <= size) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static bool exists(const pctx *c, const char *path)
{
    return pdm__tree_find(c->t, path, strlen(path)) != NULL;
}

static bool under(const char *anc, const char *p, bool or_self)
{
    return pdm__uri_is_ancestor(anc, strlen(anc), p, strlen(p), or_self);
}

/* Length of the first k segments of canonical path p (k >= 1), or 0 when
 * p has fewer. */
static size_t seg_prefix(const char *p, size_t k)
{
    const char *s = p;
    for (size_t i = 0; i < k; i++) {
        const char *sl = strchr(s, '/');
        if (i + 1 == k)
            return sl ? (size_t)(sl - p) : strlen(p);
        if (!sl)
            return 0;
        s = sl + 1;
    }
    return 0;
}

static bool first_seg_is(const char *p, const char *name)
{
    size_t n = strlen(name);
    return strncmp(p, name, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* root + tail of p below from; NULL on allocation failure. */
static char *rebase(const char *p, const char *from, const char *root)
{
    size_t fl = strlen(from), rl = strlen(root), tl = strlen(p) - fl;
    char *r = pdm__malloc(rl + tl + 1);
    if (r) {
        memcpy(r, root, rl);
        memcpy(r + rl, p + fl, tl + 1);
    }
    return r;
}

static void set_path(pctx *c, size_t i, char *p)
{
    pdm__free(c->path[i]);
    c->path[i] = p;
}

static void node_clear(pdm__bs_node *x)
{
    pdm__free(x->uri);
    pdm__free(x->type);
    pdm__free(x->acl);
    if (x->data)
        pdm__free_wipe(x->data, x->len + 1);
    memset(x, 0, sizeof *x);
}

static void note_dropped(pdm__bs_placed *out, const char *line)
{
    size_t have = strlen(out->dropped), need = strlen(line) + (have ? 1 : 0);
    if (have + need < sizeof out->dropped) {
        if (have)
            out->dropped[have++] = '\n';
        memcpy(out->dropped + have, line, strlen(line) + 1);
    } else if (have + 4 < sizeof out->dropped &&
               !strstr(out->dropped, "...")) {
        memcpy(out->dropped + have, "\n...", 5);
    }
}

/* ---- 1-2: canonical paths and containers -------------------------------- */

static int canonicalise(pctx *c)
{
    pdm__buf b;
    char e[160], s[96];
    pdm__buf_init(&b);
    for (size_t i = 0; i < c->f->n; i++) {
        pdm__bs_node *x = &c->f->v[i];
        int rc;
        if (x->op != PDM_OP_ADD && x->op != PDM_OP_REPLACE) {
            pdm__buf_free(&b);
            return fail(c, PDM_EFORMAT, "%s: a bootstrap only adds",
                        san(x->uri, s, sizeof s));
        }
        pdm__buf_reset(&b);
        rc = pdm__uri_canon(&b, x->uri, strlen(x->uri), NULL, e, sizeof e);
        if (rc == PDM_ENOMEM || !pdm__buf_ok(&b)) {
            pdm__buf_free(&b);
            return PDM_ENOMEM;
        }
        if (rc != PDM_OK) {
            pdm__buf_free(&b);
            return fail(c, PDM_EFORMAT, "%s: %s", san(x->uri, s, sizeof s),
                        e);
        }
        if (pdm__uri_is_root((const char *)b.data, b.len)) {
            pdm__buf_free(&b);
            return fail(c, PDM_EFORMAT, "%s: a bootstrap never adds the root",
                        san(x->uri, s, sizeof s));
        }
        if (!(c->path[i] = pdm__strdup((const char *)b.data))) {
            pdm__buf_free(&b);
            return PDM_ENOMEM;
        }
    }
    pdm__buf_free(&b);
    return PDM_OK;
}

static bool is_container(const char *p)
{
    return !strcmp(p, INBOX) || !strcmp(p, DMACC) || !strcmp(p, CONNMO);
}

static int containers(pctx *c)
{
    for (size_t i = 0; i < c->f->n; i++) {
        const pdm__bs_node *x = &c->f->v[i];
        const char *p = c->path[i];
        if (!is_container(p))
            continue;
        if (x->op != PDM_OP_ADD)
            return fail(c, PDM_EEXISTS, "./%s: a bootstrap never replaces "
                        "existing data", p);
        if (x->format != PDM_FORMAT_NODE || x->data)
            return fail(c, PDM_EFORMAT, "./%s must be an interior node", p);
        c->mo_of[i] = -1;
        if (!strcmp(p, INBOX) || exists(c, p))
            c->keep[i] = false;
    }
    return PDM_OK;
}

/* ---- 3-4: MO instances and their kinds ------------------------------------ */

static long mo_find(const pctx *c, const char *from)
{
    for (size_t m = 0; m < c->nmos; m++)
        if (!strcmp(c->mos[m].from, from))
            return (long)m;
    return -1;
}

static int mo_get(pctx *c, const char *p, size_t rootlen, pdm__bs_mo_kind k,
                  bool inbox, long *out)
{
    char *from = pdm__strndup(p, rootlen);
    long m;
    if (!from)
        return PDM_ENOMEM;
    if ((m = mo_find(c, from)) >= 0) {
        pdm__free(from);
        *out = m;
        return PDM_OK;
    }
    if (c->nmos == PDM__BS_MAX_MOS) {
        pdm__free(from);
        return fail(c, PDM_ETOOBIG, "more than %d MO instances",
                    PDM__BS_MAX_MOS);
    }
    memset(&c->mos[c->nmos], 0, sizeof c->mos[0]);
    c->mos[c->nmos].kind = k;
    c->mos[c->nmos].inbox = inbox;
    c->mos[c->nmos].from = from;
    c->mos[c->nmos].root_idx = -1;
    *out = (long)c->nmos++;
    return PDM_OK;
}

static int classify(pctx *c)
{
    char s[96];
    for (size_t i = 0; i < c->f->n; i++) {
        const char *p = c->path[i];
        size_t rl;
        long m;
        int rc;
        if (c->mo_of[i] == -1)
            continue; /* container */
        if (first_seg_is(p, INBOX) || first_seg_is(p, DMACC) ||
            first_seg_is(p, CONNMO)) {
            pdm__bs_mo_kind k = first_seg_is(p, CONNMO) ? PDM__BS_MO_CONNMO
                                                       : PDM__BS_MO_DMACC;
            rc = mo_get(c, p, seg_prefix(p, 2), k, first_seg_is(p, INBOX),
                        &m);
        } else {
            /* "other": rooted at the shortest missing ancestor, never a
             * new top-level node */
            size_t k = 1;
            while ((rl = seg_prefix(p, k)) != 0 &&
                   pdm__tree_find(c->t, p, rl) != NULL)
                k++;
            if (rl == 0)
                return fail(c, PDM_EEXISTS, "./%s exists: a bootstrap never "
                            "changes existing data", san(p, s, sizeof s));
            if (k == 1)
                return fail(c, PDM_EFORMAT, "./%s is outside any MO the "
                            "device can place", san(p, s, sizeof s));
            rc = mo_get(c, p, rl, PDM__BS_MO_OTHER, false, &m);
        }
        if (rc != PDM_OK)
            return rc;
        c->mo_of[i] = m;
        if (c->mos[m].root_idx < 0 && c->f->v[i].op == PDM_OP_ADD &&
            !strcmp(p, c->mos[m].from))
            c->mos[m].root_idx = (long)i;
    }
    for (size_t m = 0; m < c->nmos; m++) {
        const mo *o = &c->mos[m];
        if (o->kind != PDM__BS_MO_OTHER && !o->inbox && o->root_idx < 0 &&
            exists(c, o->from)) {
            char s2[96];
            size_t i = 0;
            while (c->mo_of[i] != (long)m)
                i++;
            return fail(c, PDM_EEXISTS, "%s ./%s: ./%s exists, a bootstrap "
                        "never merges into existing data",
                        c->f->v[i].op == PDM_OP_ADD ? "Add" : "Replace",
                        san(c->path[i], s2, sizeof s2),
                        san(o->from, s, sizeof s));
        }
        if (o->root_idx >= 0 && o->kind != PDM__BS_MO_OTHER &&
            c->f->v[o->root_idx].format != PDM_FORMAT_NODE)
            return fail(c, PDM_EFORMAT, "./%s: an MO root must be an "
                        "interior node", san(o->from, s, sizeof s));
    }
    return PDM_OK;
}

/* The first kept Add of from/<leaf>, or NULL. */
static const pdm__bs_node *leaf_of(const pctx *c, long m, const char *leaf)
{
    size_t fl = strlen(c->mos[m].from);
    for (size_t i = 0; i < c->f->n; i++) {
        const char *p = c->path[i];
        if (c->keep[i] && c->mo_of[i] == m && c->f->v[i].op == PDM_OP_ADD &&
            !strncmp(p, c->mos[m].from, fl) && p[fl] == '/' &&
            !strcmp(p + fl + 1, leaf))
            return &c->f->v[i];
    }
    return NULL;
}

static bool val_is(const pdm__bs_node *x, const char *s)
{
    return x && x->data && x->len == strlen(s) && !memcmp(x->data, s, x->len);
}

static void drop_mo(pctx *c, long m, pdm__bs_placed *out, const char *why)
{
    char line[200], s[96];
    c->mos[m].dropped = true;
    for (size_t i = 0; i < c->f->n; i++)
        if (c->mo_of[i] == m)
            c->keep[i] = false;
    snprintf(line, sizeof line, "./%s: %s", san(c->mos[m].from, s, sizeof s),
             why);
    note_dropped(out, line);
}

static void kinds(pctx *c, pdm__bs_placed *out)
{
    char why[128], s[96];
    for (size_t m = 0; m < c->nmos; m++) {
        mo *o = &c->mos[m];
        const char *type;
        if (!o->inbox)
            continue;
        type = o->root_idx >= 0 ? c->f->v[o->root_idx].type : NULL;
        if (pdm__streq(type, PDM__MOID_DMACC) ||
            pdm__streq(type, PDM__MOID_DMACC_W7)) {
            o->kind = PDM__BS_MO_DMACC;
        } else if (pdm__streq(type, PDM__MOID_CONNMO)) {
            o->kind = PDM__BS_MO_CONNMO;
        } else if ((val_is(leaf_of(c, (long)m, "AppID"), "w7") ||
                    val_is(leaf_of(c, (long)m, "AppID"), PDM__MOID_DMACC_W7))
                   && leaf_of(c, (long)m, "ServerID")) {
            o->kind = PDM__BS_MO_DMACC;
        } else {
            if (type && *type)
                snprintf(why, sizeof why, "unknown MO id '%s'",
                         san(type, s, sizeof s));
            else
                snprintf(why, sizeof why, "no MO id");
            drop_mo(c, (long)m, out, why);
        }
    }
}

/* ---- 5: repeated dynamic names, Replace folding --------------------------- */

static bool dyn_parent(const char *p)
{
    static const char *const names[] = {"AppAuth", "AppAddr", "Port",
                                        "ToConRef"};
    size_t plen, nl;
    const char *par = pdm__uri_parent(p, strlen(p), &plen), *name;
    if (!par)
        return false;
    name = pdm__uri_last(par, plen, &nl);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (nl == strlen(names[k]) && !memcmp(name, names[k], nl))
            return true;
    return false;
}

/* Applies the longest rename whose old path is p or an ancestor of it. */
static int apply_renames(pctx *c, size_t i)
{
    const ren *best = NULL;
    for (size_t r = 0; r < c->nrens; r++)
        if (under(c->rens[r].old, c->path[i], true) &&
            (!best || strlen(c->rens[r].old) > strlen(best->old)))
            best = &c->rens[r];
    if (best) {
        char *n = rebase(c->path[i], best->old, best->cur);
        if (!n)
            return PDM_ENOMEM;
        set_path(c, i, n);
    }
    return PDM_OK;
}

static long added_before(const pctx *c, size_t i, const char *p)
{
    for (size_t j = 0; j < i; j++)
        if (c->keep[j] && c->f->v[j].op == PDM_OP_ADD &&
            !strcmp(c->path[j], p))
            return (long)j;
    return -1;
}

static int record_rename(pctx *c, const char *old, const char *cur)
{
    size_t w = 0;
    ren *r;
    /* renames below the previous occurrence of old belonged to it */
    for (size_t k = 0; k < c->nrens; k++) {
        if (under(old, c->rens[k].old, true)) {
            pdm__free(c->rens[k].old);
            pdm__free(c->rens[k].cur);
        } else {
            c->rens[w++] = c->rens[k];
        }
    }
    c->nrens = w;
    r = &c->rens[c->nrens];
    r->old = pdm__strdup(old);
    r->cur = pdm__strdup(cur);
    if (!r->old || !r->cur) {
        pdm__free(r->old);
        pdm__free(r->cur);
        return PDM_ENOMEM;
    }
    c->nrens++;
    return PDM_OK;
}

static int repeated(pctx *c, size_t i, const char *orig)
{
    pdm__buf b;
    char s[96];
    const pdm__bs_node *x = &c->f->v[i];
    const char *name;
    size_t plen;
    int rc;
    if (c->mos[c->mo_of[i]].kind != PDM__BS_MO_DMACC ||
        x->format != PDM_FORMAT_NODE || !dyn_parent(c->path[i]))
        return fail(c, PDM_EFORMAT, "./%s is added twice",
                    san(c->path[i], s, sizeof s));
    /* "<name>-k" from the name the document gave, under the parent as
     * renamed: the third Client becomes Client-3, not Client-2-2 */
    plen = (size_t)(strrchr(c->path[i], '/') - c->path[i]);
    name = strrchr(orig, '/') + 1;
    pdm__buf_init(&b);
    for (unsigned k = 2; k <= PDM__BS_MAX_NODES + 1; k++) {
        pdm__buf_reset(&b);
        pdm__buf_append(&b, c->path[i], plen);
        pdm__buf_printf(&b, "/%s-%u", name, k);
        if (!pdm__buf_ok(&b))
            break;
        if (added_before(c, i, (const char *)b.data) < 0) {
            char *n = pdm__strdup((const char *)b.data);
            pdm__buf_free(&b);
            if (!n)
                return PDM_ENOMEM;
            if ((rc = record_rename(c, orig, n)) != PDM_OK) {
                pdm__free(n);
                return rc;
            }
            set_path(c, i, n);
            return PDM_OK;
        }
    }
    pdm__buf_free(&b);
    return PDM_ENOMEM; /* more names than nodes cannot all be taken */
}

static int fold_replace(pctx *c, size_t i)
{
    char s[96];
    pdm__bs_node *x = &c->f->v[i], *a;
    long j = added_before(c, i, c->path[i]);
    if (j < 0) {
        if (exists(c, c->path[i]))
            return fail(c, PDM_EEXISTS, "Replace ./%s: a bootstrap never "
                        "changes existing data", san(c->path[i], s, sizeof s));
        return fail(c, PDM_EFORMAT, "Replace ./%s: the document does not "
                    "add that node", san(c->path[i], s, sizeof s));
    }
    a = &c->f->v[j];
    if (a->format == PDM_FORMAT_NODE || x->format == PDM_FORMAT_NODE)
        return fail(c, PDM_EFORMAT, "Replace ./%s: not a leaf value",
                    san(c->path[i], s, sizeof s));
    if (a->data)
        pdm__free_wipe(a->data, a->len + 1);
    a->data = x->data;
    a->len = x->len;
    a->format = x->format;
    x->data = NULL;
    x->len = 0;
    if (x->type) {
        pdm__free(a->type);
        a->type = x->type;
        x->type = NULL;
    }
    c->keep[i] = false;
    return PDM_OK;
}

static int in_order(pctx *c)
{
    for (size_t i = 0; i < c->f->n; i++) {
        char *orig;
        int rc;
        if (!c->keep[i] || c->mo_of[i] < 0)
            continue;
        if (!(orig = pdm__strdup(c->path[i])))
            return PDM_ENOMEM;
        rc = apply_renames(c, i);
        if (rc == PDM_OK && c->f->v[i].op == PDM_OP_REPLACE)
            rc = fold_replace(c, i);
        else if (rc == PDM_OK && added_before(c, i, c->path[i]) >= 0)
            rc = repeated(c, i, orig);
        pdm__free(orig);
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

/* ---- 6: accounts ---------------------------------------------------------- */

static int account(pctx *c, long m, bool replace_existing)
{
    mo *o = &c->mos[m];
    const pdm__bs_node *sid = leaf_of(c, m, "ServerID");
    size_t fl = strlen(o->from);
    pdm__decision dec;
    char s[96], s2[96], s3[96];
    int rc;
    if (!sid || !sid->data || sid->format == PDM_FORMAT_NODE)
        return fail(c, PDM_EFORMAT, "DMAcc ./%s has no ServerID",
                    san(o->from, s, sizeof s));
    memset(&dec, 0, sizeof dec);
    rc = pdm__dmacc_check_server_id(c->t, NULL, sid->data, sid->len, &dec);
    if (rc == PDM_EINVAL)
        return fail(c, PDM_EFORMAT, "DMAcc ./%s: %s",
                    san(o->from, s, sizeof s), dec.reason);
    if (rc != PDM_OK && rc != PDM_EEXISTS)
        return rc;
    /* valid: printable ASCII without NUL, so a C string */
    if (!(o->sid = pdm__strndup((const char *)sid->data, sid->len)))
        return PDM_ENOMEM;
    for (long k = 0; k < m; k++)
        if (!c->mos[k].dropped && c->mos[k].sid &&
            !strcmp(c->mos[k].sid, o->sid))
            return fail(c, PDM_EFORMAT, "ServerID '%s' is given to two "
                        "accounts: ./%s and ./%s", san(o->sid, s2, sizeof s2),
                        san(c->mos[k].from, s3, sizeof s3),
                        san(o->from, s, sizeof s));
    if (rc == PDM_EEXISTS) {
        pdm__node *acc = NULL, *dup = NULL;
        pdm__buf b;
        if (pdm__dmacc_find(c->t, o->sid, &acc, &dup) != PDM_OK || !acc)
            return fail(c, PDM_EEXISTS, "ServerID '%s': %s",
                        san(o->sid, s2, sizeof s2), dec.reason);
        pdm__buf_init(&b);
        pdm__node_path(acc, &b);
        if (!pdm__buf_ok(&b))
            return PDM_ENOMEM;
        if (!replace_existing) {
            rc = fail(c, PDM_EEXISTS, "DMAcc ./%s: ServerID '%s' belongs to "
                      "the existing account ./%s", san(o->from, s, sizeof s),
                      san(o->sid, s2, sizeof s2), (const char *)b.data);
            pdm__buf_free(&b);
            return rc;
        }
        o->replaces = (char *)pdm__buf_steal(&b, NULL);
        if (!o->replaces)
            return PDM_ENOMEM;
    }
    /* address: the first AppAddr/<x>/Addr in document order */
    for (size_t i = 0; i < c->f->n && !o->addr; i++) {
        const char *p = c->path[i], *t;
        const pdm__bs_node *x = &c->f->v[i];
        if (!c->keep[i] || c->mo_of[i] != m || x->op != PDM_OP_ADD ||
            !x->data || x->format == PDM_FORMAT_NODE ||
            strncmp(p + fl, "/AppAddr/", 9))
            continue;
        t = strchr(p + fl + 9, '/');
        if (t && !strcmp(t, "/Addr") &&
            !(o->addr = pdm__strndup((const char *)x->data, x->len)))
            return PDM_ENOMEM;
    }
    return PDM_OK;
}

/* ---- 7: names ---------------------------------------------------------------- */

static bool taken(const pctx *c, const char *root)
{
    if (exists(c, root))
        return true;
    for (size_t m = 0; m < c->nmos; m++)
        if (c->mos[m].root && !strcmp(c->mos[m].root, root))
            return true;
    return false;
}

static int name_mo(pctx *c, long m)
{
    mo *o = &c->mos[m];
    const char *base = o->kind == PDM__BS_MO_DMACC ? DMACC : CONNMO;
    size_t nl, tries;
    const char *name = pdm__uri_last(o->from, strlen(o->from), &nl);
    pdm__node *par = pdm__tree_find(c->t, base, strlen(base));
    pdm__buf b;
    char e[128], s[96];
    pdm__buf_init(&b);
    /* every candidate taken is a distinct child or MO: this many tries
     * always find a free one */
    tries = (par ? pdm__node_child_count(par) : 0) + c->nmos + 2;
    for (size_t k = 1; k <= tries; k++) {
        pdm__buf_reset(&b);
        if (k == 1) {
            pdm__buf_printf(&b, "%s/", base);
            pdm__buf_append(&b, name, nl);
        } else if (o->kind == PDM__BS_MO_DMACC) {
            pdm__buf_printf(&b, "%s/%zu", base, k - 1);
        } else {
            pdm__buf_printf(&b, "%s/", base);
            pdm__buf_append(&b, name, nl);
            pdm__buf_printf(&b, "-%zu", k);
        }
        if (!pdm__buf_ok(&b))
            return PDM_ENOMEM;
        if (pdm__uri_check_limits((const char *)b.data, b.len, c->lim, e,
                                  sizeof e) != PDM_OK) {
            if (o->kind == PDM__BS_MO_DMACC && k == 1)
                continue; /* the decimal names are shorter */
            pdm__buf_free(&b);
            return fail(c, PDM_EFORMAT, "./%s cannot be placed: %s",
                        san(o->from, s, sizeof s), e);
        }
        if (!taken(c, (const char *)b.data)) {
            o->root = (char *)pdm__buf_steal(&b, NULL);
            return o->root ? PDM_OK : PDM_ENOMEM;
        }
    }
    pdm__buf_free(&b);
    return fail(c, PDM_EFORMAT, "./%s: no free name", san(o->from, s,
                                                         sizeof s));
}

static int place_roots(pctx *c)
{
    int rc;
    for (size_t m = 0; m < c->nmos; m++) {
        mo *o = &c->mos[m];
        if (o->dropped || (o->kind != PDM__BS_MO_OTHER && !o->replaces))
            continue;
        if (!(o->root = pdm__strdup(o->replaces ? o->replaces : o->from)))
            return PDM_ENOMEM;
    }
    for (size_t m = 0; m < c->nmos; m++)
        if (!c->mos[m].dropped && !c->mos[m].root &&
            (rc = name_mo(c, (long)m)) != PDM_OK)
            return rc;
    return PDM_OK;
}

/* ---- 8: move nodes, rewrite values ---------------------------------------- */

static int move_nodes(pctx *c)
{
    char e[128], s[96];
    for (size_t i = 0; i < c->f->n; i++) {
        const mo *o;
        char *n;
        if (!c->keep[i] || c->mo_of[i] < 0)
            continue;
        o = &c->mos[c->mo_of[i]];
        if (!(n = rebase(c->path[i], o->from, o->root)))
            return PDM_ENOMEM;
        set_path(c, i, n);
        if (pdm__uri_check_limits(n, strlen(n), c->lim, e, sizeof e) != PDM_OK)
            return fail(c, PDM_EFORMAT, "./%s: %s", san(n, s, sizeof s), e);
        /* the rules above make this hold; checked, never assumed */
        if (!(o->replaces && under(o->replaces, n, true)) && exists(c, n))
            return fail(c, PDM_EEXISTS, "./%s exists: a bootstrap never "
                        "changes existing data", san(n, s, sizeof s));
    }
    return PDM_OK;
}

static int rewrite_value(pctx *c, size_t i)
{
    pdm__bs_node *x = &c->f->v[i];
    pdm__buf b, nb;
    char e[128], s[96], s2[96];
    const char *v;
    int rc = PDM_OK;
    if (x->secret || x->format != PDM_FORMAT_CHR || !x->data || x->len < 2 ||
        memcmp(x->data, "./", 2))
        return PDM_OK;
    pdm__buf_init(&b);
    if (memchr(x->data, 0, x->len) ||
        pdm__uri_canon(&b, (const char *)x->data, x->len, NULL, NULL, 0) !=
            PDM_OK) {
        bool oom = !pdm__buf_ok(&b);
        pdm__buf_free(&b);
        if (oom)
            return PDM_ENOMEM;
        /* not a node URI; but one that starts like an Inbox reference
         * is refused rather than kept pointing nowhere */
        if (x->len >= 7 && !memcmp(x->data, "./Inbox", 7) &&
            (x->len == 7 || x->data[7] == '/'))
            return fail(c, PDM_EFORMAT, "./%s names ./Inbox with an "
                        "invalid URI", san(c->path[i], s, sizeof s));
        return PDM_OK;
    }
    v = (const char *)b.data;
    for (size_t m = 0; m < c->nmos; m++) {
        const mo *o = &c->mos[m];
        if (o->dropped || !strcmp(o->from, o->root) || !under(o->from, v, true))
            continue;
        pdm__buf_init(&nb);
        pdm__buf_puts(&nb, "./");
        pdm__buf_puts(&nb, o->root);
        pdm__buf_puts(&nb, v + strlen(o->from));
        if (!pdm__buf_ok(&nb)) {
            rc = PDM_ENOMEM;
        } else if (pdm__uri_check_limits((const char *)nb.data + 2, nb.len - 2,
                                         c->lim, e, sizeof e) != PDM_OK) {
            rc = fail(c, PDM_EFORMAT, "./%s: the reference to ./%s: %s",
                      san(c->path[i], s, sizeof s), san(v, s2, sizeof s2), e);
        } else {
            pdm__free_wipe(x->data, x->len + 1);
            x->data = pdm__buf_steal(&nb, &x->len);
            rc = x->data ? PDM_OK : PDM_ENOMEM;
            if (!x->data)
                x->len = 0;
        }
        pdm__buf_free(&nb);
        pdm__buf_free(&b);
        return rc;
    }
    if (under(INBOX, v, true))
        rc = fail(c, PDM_EFORMAT, "./%s names ./%s, which the document does "
                  "not place", san(c->path[i], s, sizeof s),
                  san(v, s2, sizeof s2));
    pdm__buf_free(&b);
    return rc;
}

/* ---- 9: the fragment and the result ---------------------------------------- */

static int finish(pctx *c, pdm__bs_placed *out)
{
    pdm__bs_frag *f = c->f;
    bool need_connmo = false, have_connmo = exists(c, CONNMO);
    size_t w = 0;
    int rc;
    for (size_t i = 0; i < f->n; i++) {
        char *u;
        if (!c->keep[i]) {
            node_clear(&f->v[i]);
            pdm__free(c->path[i]);
            c->path[i] = NULL;
            continue;
        }
        if (!strcmp(c->path[i], CONNMO))
            have_connmo = true;
        if (!(u = pdm__malloc(strlen(c->path[i]) + 3)))
            return PDM_ENOMEM;
        memcpy(u, "./", 2);
        memcpy(u + 2, c->path[i], strlen(c->path[i]) + 1);
        pdm__free(f->v[i].uri);
        f->v[i].uri = u;
        f->v[w] = f->v[i];
        c->path[w] = c->path[i];
        c->keep[w] = true;
        if (w != i) {
            memset(&f->v[i], 0, sizeof f->v[i]);
            c->path[i] = NULL;
        }
        w++;
    }
    f->n = w;
    for (size_t m = 0; m < c->nmos; m++)
        need_connmo |= !c->mos[m].dropped &&
                       c->mos[m].kind == PDM__BS_MO_CONNMO;
    if (need_connmo && !have_connmo) {
        pdm__bs_node x;
        if ((rc = pdm__bs_frag_add(f, PDM_OP_ADD, "./ConnMO", PDM_FORMAT_NODE,
                                   NULL, NULL, NULL, 0)) != PDM_OK)
            return rc == PDM_ETOOBIG ? fail(c, rc, "more than %d nodes",
                                            PDM__BS_MAX_NODES) : rc;
        x = f->v[f->n - 1];
        memmove(&f->v[1], &f->v[0], (f->n - 1) * sizeof f->v[0]);
        f->v[0] = x;
    }
    if (!(out->mos = pdm__calloc(c->nmos ? c->nmos : 1, sizeof *out->mos)))
        return PDM_ENOMEM;
    for (size_t m = 0; m < c->nmos; m++) {
        mo *o = &c->mos[m];
        pdm__bs_mo *r;
        if (o->dropped)
            continue;
        r = &out->mos[out->nmos++];
        r->kind = o->kind;
        if (!(r->from = pdm__malloc(strlen(o->from) + 3)) ||
            !(r->root = pdm__malloc(strlen(o->root) + 3)) ||
            (o->replaces && !(r->replaces = pdm__malloc(strlen(o->replaces) +
                                                          3))))
            return PDM_ENOMEM;
        snprintf(r->from, strlen(o->from) + 3, "./%s", o->from);
        snprintf(r->root, strlen(o->root) + 3, "./%s", o->root);
        if (o->replaces)
            snprintf(r->replaces, strlen(o->replaces) + 3, "./%s",
                     o->replaces);
        r->server_id = o->sid;
        r->address = o->addr;
        o->sid = o->addr = NULL;
    }
    return PDM_OK;
}

void pdm__bs_placed_free(pdm__bs_placed *p)
{
    if (!p)
        return;
    for (size_t m = 0; m < p->nmos; m++) {
        pdm__free(p->mos[m].from);
        pdm__free(p->mos[m].root);
        pdm__free(p->mos[m].server_id);
        pdm__free(p->mos[m].address);
        pdm__free(p->mos[m].replaces);
    }
    pdm__free(p->mos);
    memset(p, 0, sizeof *p);
}

static int run(pctx *c, bool replace_existing, pdm__bs_placed *out)
{
    int rc;
    if ((rc = canonicalise(c)) != PDM_OK || (rc = containers(c)) != PDM_OK ||
        (rc = classify(c)) != PDM_OK)
        return rc;
    kinds(c, out);
    if ((rc = in_order(c)) != PDM_OK)
        return rc;
    for (size_t m = 0; m < c->nmos; m++)
        if (!c->mos[m].dropped && c->mos[m].kind == PDM__BS_MO_DMACC &&
            (rc = account(c, (long)m, replace_existing)) != PDM_OK)
            return rc;
    if ((rc = place_roots(c)) != PDM_OK || (rc = move_nodes(c)) != PDM_OK)
        return rc;
    for (size_t i = 0; i < c->f->n; i++)
        if (c->keep[i] && (rc = rewrite_value(c, i)) != PDM_OK)
            return rc;
    return finish(c, out);
}

int pdm__bs_place(pdm__tree *t, pdm__bs_frag *f, bool replace_existing,
                  pdm__bs_placed *out, char *err, size_t errlen)
{
    pctx c;
    size_t n;
    int rc;
    if (!out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    if (!t || !f)
        return PDM_EINVAL;
    memset(&c, 0, sizeof c);
    c.t = t;
    c.f = f;
    c.lim = pdm__tree_limits(t);
    c.err = err;
    c.errlen = errlen;
    n = f->n ? f->n : 1;
    c.path = pdm__calloc(n, sizeof *c.path);
    c.mo_of = pdm__calloc(n, sizeof *c.mo_of);
    c.keep = pdm__calloc(n, sizeof *c.keep);
    c.rens = pdm__calloc(n, sizeof *c.rens);
    if (!c.path || !c.mo_of || !c.keep || !c.rens) {
        rc = PDM_ENOMEM;
    } else {
        for (size_t i = 0; i < f->n; i++)
            c.keep[i] = true;
        rc = run(&c, replace_existing, out);
    }
    for (size_t i = 0; c.path && i < n; i++)
        pdm__free(c.path[i]);
    for (size_t r = 0; r < c.nrens; r++) {
        pdm__free(c.rens[r].old);
        pdm__free(c.rens[r].cur);
    }
    for (size_t m = 0; m < c.nmos; m++) {
        pdm__free(c.mos[m].from);
        pdm__free(c.mos[m].root);
        pdm__free(c.mos[m].replaces);
        pdm__free(c.mos[m].sid);
        pdm__free(c.mos[m].addr);
    }
    pdm__free(c.path);
    pdm__free(c.mo_of);
    pdm__free(c.keep);
    pdm__free(c.rens);
    if (rc != PDM_OK) {
        char keep[sizeof out->dropped];
        memcpy(keep, out->dropped, sizeof keep);
        pdm__bs_placed_free(out);
        memcpy(out->dropped, keep, sizeof keep);
    }
    return rc;
}
