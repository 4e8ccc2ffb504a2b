/*
 * TNDS export and import (see tnds.h).
 *
 * Export builds a MgmtTree document in the codec's element model and
 * encodes it as XML or WBXML.  Import decodes either form and replays the
 * document as tree operations by the requesting principal inside one
 * savepoint, so the access rules are exactly those of single commands and
 * a failure anywhere leaves the tree unchanged.
 *
 * Value encoding: TNDS XML carries text, so values of Format bin are
 * written base64-encoded and decoded again on import; WBXML carries them
 * raw as OPAQUE.  Values of Format b64 are base64 text already and are
 * kept as they are.
 */
#include "tree/tnds.h"

#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "codec/codec.h"
#include "tree/tree_int.h"

static const uint16_t format_tags[] = {
    PDM_TAG_DDF_NODE_FMT, PDM_TAG_DDF_CHR,  PDM_TAG_DDF_INT,
    PDM_TAG_DDF_BOOL,     PDM_TAG_DDF_BIN,  PDM_TAG_DDF_B64,
    PDM_TAG_DDF_NULL,     PDM_TAG_DDF_XML,  PDM_TAG_DDF_DATE,
    PDM_TAG_DDF_TIME,     PDM_TAG_DDF_FLOAT};

static int format_from_tag(uint16_t tag)
{
    for (size_t i = 0; i < PDM__ARRAY_LEN(format_tags); i++)
        if (format_tags[i] == tag)
            return (int)i;
    return -1;
}

/* ---- export ---------------------------------------------------------------- */

typedef struct exporter {
    pdm__tree *t;
    const pdm__who *w;
    const pdm__tnds_opts *o;
    pdm__doc doc;
    pdm__buf path; /* scratch */
    int rc;
} exporter;

static bool want(const exporter *x, pdm__uri_prop p)
{
    if (x->o->list == PDM_URI_LIST_STRUCT)
        return p == PDM_URI_PROP_FORMAT;
    if (x->o->list == PDM_URI_LIST_STRUCTDATA)
        return p == PDM_URI_PROP_FORMAT || p == PDM_URI_PROP_VALUE;
    return (x->o->props & PDM_URI_PROP_BIT(p)) != 0;
}

static bool may_get(exporter *x, const pdm__node *n)
{
    pdm__decision d;
    pdm__buf_reset(&x->path);
    pdm__buf_puts(&x->path, "./");
    pdm__node_path(n, &x->path);
    /* A secret's structure may be listed, its value never: ask for a
     * property so that only the ACL decides. */
    if (n->flags & PDM_NODE_SECRET)
        pdm__buf_puts(&x->path, "?prop=Format");
    if (!pdm__buf_ok(&x->path))
        return false;
    if (!n->parent)
        return pdm__tree_check(x->t, x->w, PDM_OP_GET, ".", &d) == PDM_OK;
    return pdm__tree_check(x->t, x->w, PDM_OP_GET, (char *)x->path.data, &d) ==
           PDM_OK;
}

static pdm__el *add_str(exporter *x, pdm__el *parent, pdm__tag tag,
                        const char *s)
{
    pdm__el *e = pdm__el_add_str(&x->doc, parent, tag, s);
    if (!e)
        x->rc = PDM_ENOMEM;
    return e;
}

/* The value of leaf n to export into *v (*owned: v->data must be freed);
 * false when there is none to write (secrets, unreadable handler values,
 * no value). */
static bool export_get_value(exporter *x, const pdm__node *n, pdm_blob *v,
                             bool *owned)
{
    *owned = false;
    if (n->flags & PDM_NODE_SECRET)
        return false; /* a secret never leaves the device */
    if (n->flags & PDM_NODE_HANDLER_VALUE) {
        pdm__tree_result r;
        pdm__decision d;
        pdm__buf_reset(&x->path);
        pdm__buf_puts(&x->path, "./");
        pdm__node_path(n, &x->path);
        if (!pdm__buf_ok(&x->path) ||
            pdm__tree_get(x->t, x->w, (char *)x->path.data, &r, &d) != PDM_OK)
            return false; /* unreadable handler values are left out */
        v->data = r.data;
        v->len = r.len;
        r.data = NULL;
        pdm__tree_result_free(&r);
        *owned = true;
        return true;
    }
    if (!n->has_value)
        return false;
    v->data = n->value;
    v->len = n->value_len;
    return true;
}

/* Writes the Value of a leaf exported with Format fmt: bin as base64 text
 * in XML and raw OPAQUE in WBXML, anything else as text. */
static void export_value(exporter *x, pdm__el *en, uint32_t fmt,
                         const pdm_blob *v)
{
    pdm__el *ve = NULL;
    if (fmt == PDM_FORMAT_BIN && !x->o->wbxml) {
        pdm__buf b64;
        pdm__buf_init(&b64);
        if (pdm__b64_encode(v->data, v->len, &b64) != PDM_OK ||
            !pdm__buf_ok(&b64))
            x->rc = PDM_ENOMEM;
        else
            ve = pdm__el_add_text(&x->doc, en, PDM_TAG_DDF_VALUE, b64.data,
                                  b64.len);
        pdm__buf_free(&b64);
        return;
    }
    ve = pdm__el_add_text(&x->doc, en, PDM_TAG_DDF_VALUE, v->data, v->len);
    if (ve && x->o->wbxml && fmt == PDM_FORMAT_BIN)
        ve->flags |= PDM_EL_OPAQUE;
    if (!ve)
        x->rc = PDM_ENOMEM;
}

static bool is_text(const char *s)
{
    return s && pdm__xml_is_text(s, strlen(s));
}

static void export_node(exporter *x, pdm__el *parent, const pdm__node *n,
                        const char *path_attr)
{
    pdm__el *en, *rt;
    char num[32];
    pdm_blob v = {NULL, 0};
    bool has_v = false, owned = false;
    uint32_t fmt = n->format;
    /* A name that is not text cannot be written (nor addressed by any
     * URI): the node is left out, like one the principal may not read. */
    if (x->rc != PDM_OK || (n->parent && !is_text(n->name)) || !may_get(x, n))
        return;
    /* The element model is bigger than its encoding: past the limit, the
     * document would be too. */
    if (x->o->max_bytes && x->doc.arena.bytes > x->o->max_bytes) {
        x->rc = PDM_ETOOBIG;
        return;
    }
    if (n->format != PDM_FORMAT_NODE && want(x, PDM_URI_PROP_VALUE))
        has_v = export_get_value(x, n, &v, &owned);
    /* A stored value of a text Format that is not text (written before
     * the tree checked values) is exported as bin, losslessly: the export
     * never fails for one value, and imports back. */
    if (has_v && fmt != PDM_FORMAT_BIN && !pdm__xml_is_text(v.data, v.len))
        fmt = PDM_FORMAT_BIN;
    en = pdm__el_add(&x->doc, parent, PDM_TAG_DDF_NODE);
    if (!en) {
        x->rc = PDM_ENOMEM;
        goto out;
    }
    add_str(x, en, PDM_TAG_DDF_NODENAME, n->parent ? n->name : "");
    if (path_attr)
        add_str(x, en, PDM_TAG_DDF_PATH, path_attr);
    rt = pdm__el_add(&x->doc, en, PDM_TAG_DDF_RTPROPERTIES);
    if (!rt) {
        x->rc = PDM_ENOMEM;
        goto out;
    }
    if (want(x, PDM_URI_PROP_ACL) && n->acl_str)
        add_str(x, rt, PDM_TAG_DDF_ACL, n->acl_str);
    if (want(x, PDM_URI_PROP_FORMAT) && fmt < PDM__ARRAY_LEN(format_tags)) {
        pdm__el *f = pdm__el_add(&x->doc, rt, PDM_TAG_DDF_FORMAT);
        if (!f || !pdm__el_add(&x->doc, f, (pdm__tag)format_tags[fmt]))
            x->rc = PDM_ENOMEM;
    }
    if (want(x, PDM_URI_PROP_NAME))
        add_str(x, rt, PDM_TAG_DDF_NAME, n->parent ? n->name : ".");
    if (want(x, PDM_URI_PROP_SIZE) && n->format != PDM_FORMAT_NODE &&
        !(n->flags & (PDM_NODE_SECRET | PDM_NODE_HANDLER_VALUE))) {
        snprintf(num, sizeof num, "%zu", n->value_len);
        add_str(x, rt, PDM_TAG_DDF_SIZE, num);
    }
    if (want(x, PDM_URI_PROP_TITLE) && is_text(n->title))
        add_str(x, rt, PDM_TAG_DDF_TITLE, n->title);
    if (want(x, PDM_URI_PROP_TSTAMP) && n->tstamp) {
        time_t tt = (time_t)n->tstamp;
        struct tm tm;
        if (gmtime_r(&tt, &tm)) {
            strftime(num, sizeof num, "%Y%m%dT%H%M%SZ", &tm);
            add_str(x, rt, PDM_TAG_DDF_TSTAMP, num);
        }
    }
    if (want(x, PDM_URI_PROP_TYPE) && is_text(n->type)) {
        pdm__el *ty = pdm__el_add(&x->doc, rt, PDM_TAG_DDF_TYPE);
        if (!ty || !add_str(x, ty, n->format == PDM_FORMAT_NODE
                                       ? PDM_TAG_DDF_DDFNAME
                                       : PDM_TAG_DDF_MIME,
                            n->type))
            x->rc = PDM_ENOMEM;
    }
    if (want(x, PDM_URI_PROP_VERNO)) {
        snprintf(num, sizeof num, "%u", (unsigned)n->verno);
        add_str(x, rt, PDM_TAG_DDF_VERNO, num);
    }
    if (has_v)
        export_value(x, en, fmt, &v);
    else if ((n->flags & PDM_NODE_SECRET) && x->o->redact &&
             want(x, PDM_URI_PROP_VALUE))
        add_str(x, en, PDM_TAG_DDF_VALUE, "*****");
    for (const pdm__node *c = n->first; c && x->rc == PDM_OK; c = c->next)
        export_node(x, en, c, NULL);
out:
    if (owned)
        pdm__free(v.data);
}

/* The top node of an export or a list: it exists and @w may Get it. */
static int readable_top(pdm__tree *t, const pdm__who *w, const char *path,
                        pdm__node **n, pdm__decision *dec)
{
    memset(dec, 0, sizeof(*dec));
    *n = pdm__tree_find(t, path, strlen(path));
    if (!*n) {
        dec->rc = PDM_ENOTFOUND;
        snprintf(dec->reason, sizeof dec->reason, "%s does not exist", path);
        return PDM_ENOTFOUND;
    }
    return pdm__tree_check(t, w, PDM_OP_GET, path, dec);
}

int pdm__tnds_export(pdm__tree *t, const pdm__who *w, const char *path,
                     const pdm__tnds_opts *opts, pdm__buf *out,
                     pdm__decision *dec)
{
    exporter x;
    pdm__node *n;
    pdm__codec_err cerr;
    pdm__el *root;
    int rc = readable_top(t, w, path, &n, dec);

    if (rc != PDM_OK)
        return rc;
    memset(&x, 0, sizeof x);
    x.t = t;
    x.w = w;
    x.o = opts;
    pdm__doc_init(&x.doc);
    pdm__buf_init(&x.path);
    x.doc.lang = PDM_LANG_DDF12;
    root = pdm__el_add(&x.doc, NULL, PDM_TAG_DDF_MGMTTREE);
    if (!root || !add_str(&x, root, PDM_TAG_DDF_VERDTD, "1.2"))
        x.rc = PDM_ENOMEM;
    if (x.rc == PDM_OK) {
        if (!n->parent) {
            for (const pdm__node *c = n->first; c && x.rc == PDM_OK; c = c->next)
                export_node(&x, root, c, NULL);
        } else {
            pdm__buf pp;
            pdm__buf_init(&pp);
            pdm__buf_puts(&pp, "./");
            pdm__node_path(n->parent, &pp);
            if (!n->parent->parent) {
                pdm__buf_reset(&pp);
                pdm__buf_puts(&pp, ".");
            }
            if (pdm__buf_ok(&pp))
                export_node(&x, root, n, (char *)pp.data);
            else
                x.rc = PDM_ENOMEM;
            pdm__buf_free(&pp);
        }
    }
    if (x.rc == PDM_OK) {
        if (opts->wbxml) {
            rc = pdm__wbxml_encode(out, &x.doc, NULL, &cerr);
        } else {
            pdm__xml_opts xo = {opts->pretty, false};
            rc = pdm__xml_encode(out, &x.doc, &xo, &cerr);
            if (rc == PDM_EFORMAT) {
                snprintf(dec->reason, sizeof dec->reason,
                         "a value cannot be written as XML text: %s",
                         cerr.msg);
            }
        }
    } else {
        rc = x.rc;
    }
    if (rc == PDM_OK && opts->max_bytes && out->len > opts->max_bytes)
        rc = PDM_ETOOBIG;
    if (rc == PDM_ETOOBIG)
        snprintf(dec->reason, sizeof dec->reason,
                 "the TNDS document of %s is larger than %zu bytes", path,
                 opts->max_bytes);
    pdm__buf_free(&x.path);
    pdm__doc_free(&x.doc);
    dec->rc = rc;
    return rc;
}

/* ---- ?list=Struct / StructData ---------------------------------------------- */

typedef struct lister {
    exporter x; /* for may_get (its scratch path and rights) */
    bool with_data;
    pdm__tree_result *out;
    size_t cap;
    size_t bytes, max; /* what the items hold so far, and the limit */
} lister;

static int list_value(lister *l, const pdm__node *n, pdm__tree_list_item *it)
{
    if (n->format == PDM_FORMAT_NODE || (n->flags & PDM_NODE_SECRET))
        return PDM_OK; /* a secret never leaves the device */
    if (n->flags & PDM_NODE_HANDLER_VALUE) {
        pdm__tree_result r;
        pdm__decision d;
        if (pdm__tree_get(l->x.t, l->x.w, it->uri, &r, &d) != PDM_OK)
            return PDM_OK; /* unreadable handler values are left out */
        it->data = r.data;
        it->len = r.len;
        r.data = NULL;
        pdm__tree_result_free(&r);
        return PDM_OK;
    }
    if (!n->has_value)
        return PDM_OK;
    it->data = pdm__malloc(n->value_len + 1);
    if (!it->data)
        return PDM_ENOMEM;
    memcpy(it->data, n->value, n->value_len);
    it->data[n->value_len] = 0;
    it->len = n->value_len;
    return PDM_OK;
}

static int list_node(lister *l, const pdm__node *n)
{
    pdm__tree_list_item *it;
    pdm__buf uri;
    int rc;
    if ((n->parent && !is_text(n->name)) || !may_get(&l->x, n))
        return PDM_OK; /* see export_node */
    if (l->out->nitems == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        pdm__tree_list_item *v =
            pdm__realloc(l->out->items, cap * sizeof(*v));
        if (!v)
            return PDM_ENOMEM;
        l->out->items = v;
        l->cap = cap;
    }
    it = &l->out->items[l->out->nitems];
    memset(it, 0, sizeof(*it));
    pdm__buf_init(&uri);
    if (n->parent) {
        pdm__buf_puts(&uri, "./");
        pdm__node_path(n, &uri);
    } else {
        pdm__buf_puts(&uri, ".");
    }
    if (!pdm__buf_ok(&uri)) {
        pdm__buf_free(&uri);
        return PDM_ENOMEM;
    }
    it->uri = (char *)pdm__buf_steal(&uri, NULL);
    it->format = n->format;
    l->out->nitems++;
    if (n->type && !(it->type = pdm__strdup(n->type)))
        return PDM_ENOMEM;
    if (l->with_data && (rc = list_value(l, n, it)) != PDM_OK)
        return rc;
    l->bytes += sizeof(*it) + strlen(it->uri) +
                (it->type ? strlen(it->type) : 0) + it->len;
    if (l->bytes > l->max)
        return PDM_ETOOBIG;
    for (const pdm__node *c = n->first; c; c = c->next)
        if ((rc = list_node(l, c)) != PDM_OK)
            return rc;
    return PDM_OK;
}

int pdm__tnds_list(pdm__tree *t, const pdm__who *w, const char *path,
                   bool with_data, size_t max, pdm__tree_result *out,
                   pdm__decision *dec)
{
    lister l;
    pdm__node *n;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = readable_top(t, w, path, &n, dec);
    if (rc != PDM_OK)
        return rc;
    memset(&l, 0, sizeof l);
    l.x.t = t;
    l.x.w = w;
    l.with_data = with_data;
    l.out = out;
    l.max = max;
    pdm__buf_init(&l.x.path);
    rc = list_node(&l, n);
    pdm__buf_free(&l.x.path);
    if (rc == PDM_ETOOBIG)
        snprintf(dec->reason, sizeof dec->reason,
                 "the list of %s is larger than %zu bytes", path, max);
    if (rc != PDM_OK)
        pdm__tree_result_free(out);
    dec->rc = rc;
    return rc;
}

/* ---- import ------------------------------------------------------------------ */

/* The walk over a MgmtTree (pdm__tnds_walk): parses each Node into a
 * pdm__tnds_node and hands it to the visitor, parents before children. */
typedef struct walker {
    const pdm__uri_limits *lim;
    size_t max_depth;
    pdm__tnds_visit_fn fn;
    void *user;
    pdm__decision *dec;
} walker;

/* A refusal of the TNDS reader (rule "tnds", decided by the core). */
#define fail(dec, rc, ...) pdm__decide(dec, rc, "tnds", "core", __VA_ARGS__)

/* Text of a child element, or NULL; *len gets its length. */
static const char *child_text(const pdm__el *e, pdm__tag tag, size_t *len)
{
    pdm__el *c = pdm__el_child(e, tag);
    if (!c)
        return NULL;
    if (len)
        *len = c->len;
    return c->text ? (const char *)c->text : "";
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Trims XML indentation around short texts (names, properties): a run of
 * whitespace at either end that holds a line break.  Other spaces are
 * part of the text: the tree allows a node name such as "a " and the
 * exporter writes it as it is, so trimming it would import another node
 * than was exported. */
static char *trimmed(const char *s, size_t *len)
{
    size_t n = *len, a = 0, b;
    bool nl = false;
    for (; a < n && is_ws(s[a]); a++)
        nl |= s[a] == '\n' || s[a] == '\r';
    if (nl) {
        s += a;
        n -= a;
    }
    nl = false;
    for (b = n; b && is_ws(s[b - 1]); b--)
        nl |= s[b - 1] == '\n' || s[b - 1] == '\r';
    if (nl)
        n = b;
    *len = n;
    return pdm__strndup(s, n);
}

static int walk_node(walker *wk, const pdm__el *en, const char *parent,
                     size_t depth);

/* The name of a text field of a Node (name, path, properties) that holds
 * a NUL byte, or NULL.  They are read as strings, so a NUL would cut
 * them short (and name another node).  Values carry bytes: the tree
 * checks them against their Format. */
static const char *nul_field(const pdm__el *en)
{
    static const pdm__tag own[] = {PDM_TAG_DDF_NODENAME, PDM_TAG_DDF_PATH};
    static const pdm__tag props[] = {PDM_TAG_DDF_ACL, PDM_TAG_DDF_TITLE,
                                     PDM_TAG_DDF_TYPE};
    const pdm__el *rt = pdm__el_child(en, PDM_TAG_DDF_RTPROPERTIES);
    for (size_t i = 0; i < PDM__ARRAY_LEN(own); i++) {
        const pdm__el *e = pdm__el_child(en, own[i]);
        if (e && e->text && memchr(e->text, 0, e->len))
            return pdm__el_name(e);
    }
    for (size_t i = 0; rt && i < PDM__ARRAY_LEN(props); i++) {
        const pdm__el *e = pdm__el_child(rt, props[i]);
        if (e && e->first)
            e = e->first; /* Type holds MIME or DDFName */
        if (e && e->text && memchr(e->text, 0, e->len))
            return pdm__el_name(e);
    }
    return NULL;
}

static int walk_children(walker *wk, const pdm__el *e, const char *path,
                         size_t depth)
{
    for (pdm__el *c = pdm__el_child(e, PDM_TAG_DDF_NODE); c;
         c = pdm__el_next(c, PDM_TAG_DDF_NODE)) {
        int rc = walk_node(wk, c, path, depth + 1);
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

/* A run-time property (ACL, Title) as the document gives it, trimmed;
 * NULL with *rc PDM_OK when absent. */
static char *prop_text(const pdm__el *rt, pdm__tag tag, int *rc)
{
    size_t len = 0;
    const char *v = rt ? child_text(rt, tag, &len) : NULL;
    char *r;
    *rc = PDM_OK;
    if (!v)
        return NULL;
    if (!(r = trimmed(v, &len)))
        *rc = PDM_ENOMEM;
    return r;
}

static int walk_node(walker *wk, const pdm__el *en, const char *parent,
                     size_t depth)
{
    const pdm__el *rt = pdm__el_child(en, PDM_TAG_DDF_RTPROPERTIES);
    const pdm__el *fe = rt ? pdm__el_child(rt, PDM_TAG_DDF_FORMAT) : NULL;
    const pdm__el *te = rt ? pdm__el_child(rt, PDM_TAG_DDF_TYPE) : NULL;
    const pdm__el *ve = pdm__el_child(en, PDM_TAG_DDF_VALUE);
    pdm__decision *dec = wk->dec;
    const char *s;
    size_t len = 0;
    char *name = NULL, *relpath = NULL, *type = NULL, *path = NULL;
    char *acl = NULL, *title = NULL;
    uint8_t *bin = NULL;
    pdm__tnds_node node;
    pdm__buf b;
    int rc = PDM_OK, fmt;

    if (depth > wk->max_depth)
        return fail(dec, PDM_ETOOLONG, "TNDS nesting is too deep");
    if ((s = nul_field(en)) != NULL)
        return fail(dec, PDM_EINVAL, "a NUL byte inside <%s> of a TNDS Node",
                    s);
    pdm__buf_init(&b);
    memset(&node, 0, sizeof node);
    s = child_text(en, PDM_TAG_DDF_NODENAME, &len);
    if (!s)
        return fail(dec, PDM_EPARSE, "a Node has no NodeName");
    name = trimmed(s, &len);
    if (!name) {
        rc = PDM_ENOMEM;
        goto out;
    }
    if (*name) {
        char err[160];
        if (pdm__uri_check_name(name, len, wk->lim, err, sizeof err) !=
            PDM_OK) {
            rc = fail(dec, PDM_EINVAL, "invalid NodeName '%.64s': %s", name,
                      err);
            goto out;
        }
    }
    if ((s = child_text(en, PDM_TAG_DDF_PATH, &len)) != NULL) {
        relpath = trimmed(s, &len);
        if (!relpath) {
            rc = PDM_ENOMEM;
            goto out;
        }
    }
    /* The node's URI: parent [/ Path] / NodeName; Path is relative to the
     * import target (a leading "./" or "." is the target itself). */
    if (strcmp(parent, ".") != 0)
        pdm__buf_puts(&b, parent);
    if (relpath) {
        const char *r = relpath;
        if (r[0] == '.' && r[1] == '/')
            r += 2;
        else if (r[0] == '.' && r[1] == '\0')
            r++;
        if (*r) {
            if (b.len)
                pdm__buf_putc(&b, '/');
            pdm__buf_puts(&b, r);
        }
    }
    if (*name) {
        if (b.len)
            pdm__buf_putc(&b, '/');
        pdm__buf_puts(&b, name);
    }
    if (!b.len)
        pdm__buf_putc(&b, '.');
    if (!pdm__buf_ok(&b)) {
        rc = PDM_ENOMEM;
        goto out;
    }
    path = (char *)pdm__buf_steal(&b, NULL);
    if (!path) {
        rc = PDM_ENOMEM;
        goto out;
    }
    /* Format: the element inside <Format> names it. */
    fmt = -1;
    if (fe && fe->first)
        fmt = format_from_tag(fe->first->tag);
    if (fe && fmt < 0) {
        rc = fail(dec, PDM_EFORMAT, "unknown Format in TNDS node %s", path);
        goto out;
    }
    if (fmt < 0) /* no Format: a Value makes a leaf */
        fmt = ve ? PDM_FORMAT_CHR : PDM_FORMAT_NODE;
    if (fmt == PDM_FORMAT_NODE && ve && ve->len) {
        rc = fail(dec, PDM_EINVAL, "interior node %s has a Value", path);
        goto out;
    }
    if (fmt != PDM_FORMAT_NODE && pdm__el_child(en, PDM_TAG_DDF_NODE)) {
        rc = fail(dec, PDM_EINVAL, "leaf node %s has child nodes", path);
        goto out;
    }
    if (te && te->first && te->first->text) {
        len = te->first->len;
        type = trimmed((const char *)te->first->text, &len);
        if (!type) {
            rc = PDM_ENOMEM;
            goto out;
        }
    }
    node.path = path;
    node.format = (uint32_t)fmt;
    node.type = type;
    if (ve && ve->len) {
        if (fmt == PDM_FORMAT_BIN && !(ve->flags & PDM_EL_OPAQUE)) {
            rc = pdm__b64_decode((const char *)ve->text, ve->len, &bin, &len);
            if (rc != PDM_OK) {
                rc = fail(dec, PDM_EINVAL,
                          "the bin Value of %s is not valid base64", path);
                goto out;
            }
            node.data = bin;
            node.len = len;
        } else {
            node.data = ve->text;
            node.len = ve->len;
        }
    }
    if ((acl = prop_text(rt, PDM_TAG_DDF_ACL, &rc)) == NULL && rc != PDM_OK)
        goto out;
    if ((title = prop_text(rt, PDM_TAG_DDF_TITLE, &rc)) == NULL &&
        rc != PDM_OK)
        goto out;
    node.acl = acl;
    node.title = title;
    if ((rc = wk->fn(wk->user, &node, dec)) != PDM_OK)
        goto out;
    rc = walk_children(wk, en, path, depth);
out:
    if (rc == PDM_ENOMEM && !dec->rc)
        fail(dec, rc, "out of memory");
    pdm__buf_free(&b);
    pdm__free(name);
    pdm__free(relpath);
    pdm__free(type);
    pdm__free(path);
    pdm__free(acl);
    pdm__free(title);
    if (bin)
        pdm__free_wipe(bin, len);
    return rc;
}

int pdm__tnds_walk(const pdm__el *mgmttree, const char *target,
                   const pdm__uri_limits *lim, size_t max_depth,
                   pdm__tnds_visit_fn fn, void *user, pdm__decision *dec)
{
    walker wk = {lim, max_depth, fn, user, dec};
    if (!mgmttree || mgmttree->tag != PDM_TAG_DDF_MGMTTREE)
        return fail(dec, PDM_EFORMAT,
                    "not a TNDS document (root element must be MgmtTree)");
    return walk_children(&wk, mgmttree, target, 0);
}

/* The importer: the walk's visitor that replays each node as tree
 * operations by the requesting principal. */
typedef struct importer {
    pdm__tree *t;
    const pdm__who *w;
    pdm__buf uri; /* scratch: the request URI of a node */
} importer;

/* "./path[?prop=prop]" (or "." for the root) in im->uri; NULL when out of
 * memory.  Built to any length: a fixed buffer would cut a long URI and
 * create a node at another place than the document says. */
static const char *node_uri(importer *im, const char *path, const char *prop)
{
    pdm__buf_reset(&im->uri);
    if (strcmp(path, ".") != 0)
        pdm__buf_puts(&im->uri, "./");
    pdm__buf_puts(&im->uri, path);
    if (prop) {
        pdm__buf_puts(&im->uri, "?prop=");
        pdm__buf_puts(&im->uri, prop);
    }
    return pdm__buf_ok(&im->uri) && im->uri.data ? (const char *)im->uri.data
                                                 : NULL;
}

static int import_visit(void *user, const pdm__tnds_node *n,
                        pdm__decision *dec)
{
    importer *im = user;
    const char *const props[][2] = {{n->acl, "ACL"}, {n->title, "Title"}};
    pdm__tree_item item;
    pdm__node *existing = pdm__tree_lookup(im->t, n->path);
    pdm__decision d;
    int rc;

    memset(&item, 0, sizeof item);
    item.format = n->format;
    item.has_format = true;
    item.type = n->type;
    item.data = n->data;
    item.len = n->len;
    if (existing && existing->format == PDM_FORMAT_NODE &&
        n->format == PDM_FORMAT_NODE) {
        /* Merge into an existing interior node (e.g. ./DMAcc). */
    } else {
        const char *uri = node_uri(im, n->path, NULL);
        if (!uri)
            return PDM_ENOMEM;
        rc = pdm__tree_add(im->t, im->w, uri, &item, &d);
        if (rc != PDM_OK) {
            *dec = d;
            return rc;
        }
    }
    for (size_t i = 0; i < PDM__ARRAY_LEN(props); i++) {
        const char *uri;
        pdm__tree_item pi;
        if (!props[i][0])
            continue;
        memset(&pi, 0, sizeof pi);
        pi.data = (const uint8_t *)props[i][0];
        pi.len = strlen(props[i][0]);
        pi.format = PDM_FORMAT_CHR;
        if (!(uri = node_uri(im, n->path, props[i][1])))
            return PDM_ENOMEM;
        rc = pdm__tree_replace(im->t, im->w, uri, &pi, &d);
        if (rc != PDM_OK) {
            *dec = d;
            return rc;
        }
    }
    return PDM_OK;
}

int pdm__tnds_import_el(pdm__tree *t, const pdm__who *w, const char *target,
                        const pdm__el *mgmttree, pdm__decision *dec)
{
    importer im;
    size_t sp;
    bool began = false;
    int rc;

    memset(dec, 0, sizeof(*dec));
    if (!mgmttree || mgmttree->tag != PDM_TAG_DDF_MGMTTREE) {
        dec->rc = PDM_EFORMAT;
        snprintf(dec->rule, sizeof dec->rule, "tnds");
        snprintf(dec->reason, sizeof dec->reason,
                 "not a TNDS document (root element must be MgmtTree)");
        return PDM_EFORMAT;
    }
    if (!pdm__tree_find(t, target, strlen(target))) {
        dec->rc = PDM_ENOTFOUND;
        snprintf(dec->rule, sizeof dec->rule, "missing");
        snprintf(dec->reason, sizeof dec->reason,
                 "TNDS target %s does not exist", target);
        return PDM_ENOTFOUND;
    }
    memset(&im, 0, sizeof im);
    im.t = t;
    im.w = w;
    pdm__buf_init(&im.uri);
    if (!pdm__tree_in_transaction(t))
        began = pdm__tree_begin(t) == PDM_OK;
    sp = pdm__tree_savepoint(t);
    rc = pdm__tnds_walk(mgmttree, target, pdm__tree_limits(t), 64,
                        import_visit, &im, dec);
    pdm__buf_free(&im.uri);
    if (rc != PDM_OK) {
        pdm__tree_rollback_to(t, sp); /* all or nothing */
        if (!dec->rc)
            dec->rc = rc;
    } else {
        snprintf(dec->rule, sizeof dec->rule, "tnds");
        snprintf(dec->reason, sizeof dec->reason, "TNDS document imported");
    }
    if (began) {
        if (rc == PDM_OK) {
            int c = pdm__tree_commit(t);
            if (c != PDM_OK)
                rc = c;
        } else {
            pdm__tree_abort(t);
        }
    }
    return rc;
}

int pdm__tnds_import(pdm__tree *t, const pdm__who *w, const char *target,
                     const uint8_t *data, size_t len, pdm__decision *dec)
{
    pdm__doc doc;
    pdm__codec_err cerr;
    pdm__codec_limits lim = {16u << 20, 0, 0};
    size_t i = 0;
    int rc;

    memset(dec, 0, sizeof(*dec));
    pdm__doc_init(&doc);
    memset(&cerr, 0, sizeof cerr);
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' ||
                       data[i] == '\t' || data[i] == 0xEF || data[i] == 0xBB ||
                       data[i] == 0xBF))
        i++;
    if (i < len && data[i] == '<')
        rc = pdm__xml_decode(&doc, data, len, &lim, &cerr);
    else
        rc = pdm__wbxml_decode(&doc, data, len, &lim, &cerr);
    if (rc != PDM_OK) {
        dec->rc = rc == PDM_ENOMEM ? rc : PDM_EPARSE;
        snprintf(dec->rule, sizeof dec->rule, "tnds");
        snprintf(dec->component, sizeof dec->component, "core");
        snprintf(dec->reason, sizeof dec->reason, "malformed TNDS document: %s",
                 cerr.msg);
        pdm__doc_free(&doc);
        return dec->rc;
    }
    rc = pdm__tnds_import_el(t, w, target, doc.root, dec);
    pdm__doc_free(&doc);
    return rc;
}
