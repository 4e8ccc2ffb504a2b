/*
 * OMA CP wap-provisioningdoc (ProvCont / ProvBoot, facts §9): parse (XML or
 * WBXML) into a prov tree, print it as canonical XML, and map it to a
 * bootstrap fragment under ./Inbox (bootstrap.h; the mapping as built is
 * in docs/cp-mapping.md).
 *
 * Parsing goes through the project codecs, which carry the security of
 * the wire formats: xml.c (no DTD loading, no entity expansion, no
 * network, internal-subset declarations refused) and wbxml.c (PROV code
 * pages 0 and 1, both AAUTHTYPE token ranges, every length checked; its
 * errors name the byte offset, xml.c's the line).  This file then checks
 * the vocabulary (only wap-provisioningdoc / characteristic / parm with
 * their own attributes, no character data) and that every string is one
 * line of UTF-8 text, and copies the result out of the decoder's arena,
 * so that nothing of the wire format survives the parse.
 *
 * Mapping never reads the tree: it decides names inside the document only
 * (placement makes them unique in the tree) and refuses what it cannot map
 * without guessing who is who (a w7 without PROVIDER-ID or address, an
 * APPAUTH whose level is missing or unknown, a repeated identity parm).
 */
#include "bootstrap/bootstrap.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "codec/codec.h"

/* Open elements the decoders accept: the root and PDM__BS_MAX_DEPTH
 * levels below it, a parm counting as one (so parms sit at most 15
 * characteristics deep); the decoders name the offset or line. */
#define CP_MAX_DEPTH (PDM__BS_MAX_DEPTH + 1)
/* Elements plus attributes (the WBXML decoder counts both). */
#define CP_MAX_ITEMS 16384
#define CP_MAX_NAME 32 /* bytes of a node name taken from the document */

/* ======================================================================== */
/* Parse                                                                    */
/* ======================================================================== */

typedef struct cp_parse {
    const uint8_t *buf;
    size_t len;
    bool wbxml;
    char *err;
    size_t errlen;
} cp_parse;

#define perr(x, rc, ...) pdm__bs_err((x)->err, (x)->errlen, (rc), __VA_ARGS__)

/* Where the bad byte of a WBXML string value is, when the value is in the
 * input as one piece (an inline string or a string-table entry: the usual
 * case); SIZE_MAX when it is not (built from several tokens).  The element
 * tree keeps no positions; this is only for the message. */
static size_t wbxml_where(const cp_parse *p, const char *v, size_t n,
                          size_t bad)
{
    if (!p->wbxml || n < 2 || n > 256 || n > p->len) /* linear enough */
        return SIZE_MAX;
    for (size_t i = 0; i + n <= p->len; i++)
        if (p->buf[i] == (uint8_t)v[0] && memcmp(p->buf + i, v, n) == 0)
            return i + bad;
    return SIZE_MAX;
}

/* A string of the document must be one line of UTF-8 text: the tree would
 * refuse control characters anyway, and a NUL or a line break in a name
 * or a ServerID is never meant. */
static int check_text(cp_parse *p, const char *where, const char *what,
                      const char *v)
{
    size_t n = strlen(v), bad = 0, at;
    if (pdm__text_line_ok(v, n, &bad))
        return PDM_OK;
    at = wbxml_where(p, v, n, bad);
    if (at != SIZE_MAX)
        return perr(p, PDM_EPARSE,
                    "CP: WBXML offset %zu: %s: %s is not one line of UTF-8 "
                    "text (byte %zu of the value)",
                    at, where, what, bad);
    return perr(p, PDM_EPARSE,
                "CP: %s: %s is not one line of UTF-8 text (byte %zu of the "
                "value)",
                where, what, bad);
}

static const char *el_kind(const pdm__el *e)
{
    return e->tag == PDM_TAG_UNKNOWN && e->name ? e->name : pdm__el_name(e);
}

/* Only the attributes the DTD gives the element, each at most once. */
static int check_attrs(cp_parse *p, const pdm__el *e, const char *where,
                       const char *a1, const char *a2)
{
    for (const pdm__attr *a = e->attrs; a; a = a->next) {
        if (!pdm__streq(a->name, a1) && !pdm__streq(a->name, a2))
            return perr(p, PDM_EPARSE,
                        "CP: %s: unexpected attribute '%.32s' on <%s>", where,
                        a->name, el_kind(e));
        for (const pdm__attr *b = a->next; b; b = b->next)
            if (strcmp(a->name, b->name) == 0)
                return perr(p, PDM_EPARSE,
                            "CP: %s: attribute '%s' given twice on <%s>",
                            where, a->name, el_kind(e));
    }
    return PDM_OK;
}

static char *dup_str(const char *s, bool *oom)
{
    char *d = s ? pdm__strdup(s) : NULL;
    if (s && !d)
        *oom = true;
    return d;
}

static void char_free(pdm__prov_char *c)
{
    for (size_t i = 0; i < c->nparms; i++) {
        pdm__free(c->parms[i].name);
        /* any parm may be a secret (AAUTHSECRET, PXAUTH-PW, ...) */
        pdm__free_secret(c->parms[i].value);
    }
    pdm__free(c->parms);
    for (size_t i = 0; i < c->nkids; i++)
        char_free(&c->kids[i]);
    pdm__free(c->kids);
    pdm__free(c->type);
}

/* Copies characteristic element e (path: its place, for messages). */
static int build_char(cp_parse *p, const pdm__el *e, pdm__prov_char *out,
                      const char *path, unsigned depth)
{
    char where[160], sub[160];
    const char *type = pdm__el_attr(e, "type");
    size_t np = 0, nk = 0, ip = 0, ik = 0;
    bool oom = false;
    int rc;

    if (depth > PDM__BS_MAX_DEPTH) /* the decoders refuse it first */
        return perr(p, PDM_ETOOBIG,
                    "CP: %s: characteristics nested deeper than %d levels",
                    path, PDM__BS_MAX_DEPTH);
    if ((rc = check_attrs(p, e, path, "type", NULL)) != PDM_OK)
        return rc;
    if (!type || !*type)
        return perr(p, PDM_EPARSE, "CP: %s: characteristic without type",
                    path);
    if ((rc = check_text(p, path, "the type", type)) != PDM_OK)
        return rc;
    snprintf(where, sizeof where, "%s (%.32s)", path, type);
    if (e->text && e->len)
        return perr(p, PDM_EPARSE, "CP: %s: character data in <%s>", where,
                    el_kind(e));
    for (const pdm__el *k = e->first; k; k = k->next) {
        if (k->tag == PDM_TAG_PROV_PARM)
            np++;
        else if (k->tag == PDM_TAG_PROV_CHARACTERISTIC)
            nk++;
        else
            return perr(p, PDM_EPARSE,
                        "CP: %s: unexpected element <%.32s> in a "
                        "characteristic",
                        where, el_kind(k));
    }
    out->type = dup_str(type, &oom);
    out->parms = np ? pdm__calloc(np, sizeof *out->parms) : NULL;
    out->kids = nk ? pdm__calloc(nk, sizeof *out->kids) : NULL;
    if (oom || (np && !out->parms) || (nk && !out->kids))
        return PDM_ENOMEM;
    for (const pdm__el *k = e->first; k; k = k->next) {
        if (k->tag == PDM_TAG_PROV_CHARACTERISTIC) {
            snprintf(sub, sizeof sub, "%.100s > characteristic #%zu", where,
                     ik + 1);
            rc = build_char(p, k, &out->kids[ik], sub, depth + 1);
            out->nkids = ++ik; /* freed with the rest on failure */
            if (rc != PDM_OK)
                return rc;
        } else {
            const char *name = pdm__el_attr(k, "name");
            const char *value = pdm__el_attr(k, "value");
            pdm__prov_parm *pp = &out->parms[ip];
            snprintf(sub, sizeof sub, "%.100s > parm #%zu", where, ip + 1);
            if ((rc = check_attrs(p, k, sub, "name", "value")) != PDM_OK)
                return rc;
            if (!name || !*name)
                return perr(p, PDM_EPARSE, "CP: %s: parm without name", sub);
            if (k->first || (k->text && k->len))
                return perr(p, PDM_EPARSE, "CP: %s: parm with content", sub);
            if ((rc = check_text(p, sub, "the name", name)) != PDM_OK)
                return rc;
            snprintf(sub, sizeof sub, "%.100s > parm %.32s", where, name);
            if (value && (rc = check_text(p, sub, "the value", value)) !=
                             PDM_OK)
                return rc;
            pp->name = dup_str(name, &oom);
            pp->value = dup_str(value, &oom);
            out->nparms = ++ip;
            if (oom)
                return PDM_ENOMEM;
        }
    }
    return PDM_OK;
}

static int build_doc(cp_parse *p, const pdm__doc *doc, pdm__prov_doc *d)
{
    const pdm__el *r = doc->root;
    const char *ver;
    size_t n = 0, i = 0;
    bool oom = false;
    int rc;

    if (!r || r->tag != PDM_TAG_PROV_DOC)
        return perr(p, PDM_EPARSE,
                    "CP: the root element is <%.32s>, not "
                    "<wap-provisioningdoc>",
                    r ? el_kind(r) : "?");
    if ((rc = check_attrs(p, r, "wap-provisioningdoc", "version", NULL)) !=
        PDM_OK)
        return rc;
    ver = pdm__el_attr(r, "version");
    if (ver && (rc = check_text(p, "wap-provisioningdoc", "the version",
                                ver)) != PDM_OK)
        return rc;
    if (r->text && r->len)
        return perr(p, PDM_EPARSE,
                    "CP: character data in <wap-provisioningdoc>");
    for (const pdm__el *k = r->first; k; k = k->next, n++)
        if (k->tag != PDM_TAG_PROV_CHARACTERISTIC)
            return perr(p, PDM_EPARSE,
                        "CP: <%.32s> directly in <wap-provisioningdoc> "
                        "(only characteristics are allowed there)",
                        el_kind(k));
    d->version = dup_str(ver, &oom);
    d->chars = n ? pdm__calloc(n, sizeof *d->chars) : NULL;
    if (oom || (n && !d->chars))
        return PDM_ENOMEM;
    for (const pdm__el *k = r->first; k; k = k->next) {
        char path[40];
        snprintf(path, sizeof path, "characteristic #%zu", i + 1);
        rc = build_char(p, k, &d->chars[i], path, 1);
        d->nchars = ++i;
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

int pdm__cp_parse(const uint8_t *buf, size_t len, bool wbxml,
                  pdm__prov_doc **out, char *err, size_t errlen)
{
    cp_parse p = {buf, len, wbxml, err, errlen};
    pdm__codec_limits lim = {0, CP_MAX_DEPTH, CP_MAX_ITEMS};
    pdm__codec_err cerr;
    pdm__doc doc;
    pdm__prov_doc *d;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return PDM_EINVAL;
    *out = NULL;
    if (!buf && len)
        return perr(&p, PDM_EINVAL, "CP: no input");
    pdm__doc_init(&doc);
    rc = wbxml ? pdm__wbxml_decode(&doc, buf, len, &lim, &cerr)
               : pdm__xml_decode(&doc, buf, len, &lim, &cerr);
    if (rc != PDM_OK) {
        perr(&p, rc, "CP: %s", cerr.msg);
        pdm__doc_free(&doc);
        return rc;
    }
    if (doc.lang != PDM_LANG_PROV10 && wbxml) {
        /* a SyncML or DDF document: refused here, not mapped */
        pdm__doc_free(&doc);
        return perr(&p, PDM_EPARSE,
                    "CP: WBXML offset 1: public id 0x%X is not an OMA CP "
                    "document (0x0B or -//WAPFORUM//DTD PROV 1.x//EN)",
                    (unsigned)doc.public_id);
    }
    if (!(d = pdm__calloc(1, sizeof *d))) {
        pdm__doc_free(&doc);
        return PDM_ENOMEM;
    }
    rc = build_doc(&p, &doc, d);
    pdm__doc_free(&doc);
    if (rc != PDM_OK) {
        if (rc == PDM_ENOMEM)
            perr(&p, rc, "CP: out of memory");
        pdm__cp_free(d);
        return rc;
    }
    *out = d;
    return PDM_OK;
}

void pdm__cp_free(pdm__prov_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nchars; i++)
        char_free(&d->chars[i]);
    pdm__free(d->chars);
    pdm__free(d->version);
    pdm__free(d);
}

/* ======================================================================== */
/* Canonical XML                                                            */
/* ======================================================================== */

static bool secret_parm(const char *name)
{
    static const char *const names[] = {"AAUTHSECRET", "AAUTHDATA",
                                        "AUTHSECRET",  "PXAUTH-PW",
                                        "BASAUTH-PW",  "PROXY-PW"};
    for (size_t i = 0; i < PDM__ARRAY_LEN(names); i++)
        if (pdm__strcaseeq(name, names[i]))
            return true;
    return false;
}

static void put_attr(pdm__buf *b, const char *name, const char *v)
{
    pdm__buf_printf(b, " %s=\"", name);
    for (; *v; v++) {
        switch (*v) {
        case '&': pdm__buf_puts(b, "&amp;"); break;
        case '<': pdm__buf_puts(b, "&lt;"); break;
        case '>': pdm__buf_puts(b, "&gt;"); break;
        case '"': pdm__buf_puts(b, "&quot;"); break;
        default: pdm__buf_putc(b, *v); break;
        }
    }
    pdm__buf_putc(b, '"');
}

static void put_indent(pdm__buf *b, unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        pdm__buf_puts(b, "  ");
}

static void put_char(pdm__buf *b, const pdm__prov_char *c, bool secrets,
                     unsigned depth)
{
    put_indent(b, depth);
    pdm__buf_puts(b, "<characteristic");
    put_attr(b, "type", c->type);
    if (!c->nparms && !c->nkids) {
        pdm__buf_puts(b, "/>\n");
        return;
    }
    pdm__buf_puts(b, ">\n");
    for (size_t i = 0; i < c->nparms; i++) {
        const pdm__prov_parm *pp = &c->parms[i];
        put_indent(b, depth + 1);
        pdm__buf_puts(b, "<parm");
        put_attr(b, "name", pp->name);
        if (pp->value)
            put_attr(b, "value",
                     secrets || !secret_parm(pp->name) ? pp->value : "***");
        pdm__buf_puts(b, "/>\n");
    }
    for (size_t i = 0; i < c->nkids; i++)
        put_char(b, &c->kids[i], secrets, depth + 1);
    put_indent(b, depth);
    pdm__buf_puts(b, "</characteristic>\n");
}

int pdm__cp_to_xml(const pdm__prov_doc *d, bool with_secrets, pdm__buf *out)
{
    if (!d || !out)
        return PDM_EINVAL;
    pdm__buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<wap-provisioningdoc");
    if (d->version)
        put_attr(out, "version", d->version);
    if (!d->nchars) {
        pdm__buf_puts(out, "/>\n");
    } else {
        pdm__buf_puts(out, ">\n");
        for (size_t i = 0; i < d->nchars; i++)
            put_char(out, &d->chars[i], with_secrets, 1);
        pdm__buf_puts(out, "</wap-provisioningdoc>\n");
    }
    return pdm__buf_ok(out) ? PDM_OK : PDM_ENOMEM;
}

/* ======================================================================== */
/* Mapping                                                                  */
/* ======================================================================== */

typedef enum mo_kind { MO_W7, MO_NAP, MO_PX } mo_kind;

/* One MO the document makes: a w7 APPLICATION, a NAPDEF or a PXLOGICAL. */
typedef struct cp_mo {
    const pdm__prov_char *c;
    mo_kind kind;
    size_t index;   /* 1-based place among the top-level characteristics */
    const char *id; /* PROVIDER-ID / NAPID / PROXY-ID */
    char name[CP_MAX_NAME + 8];
} cp_mo;

typedef struct cp_map {
    pdm__bs_frag *f;
    cp_mo mos[PDM__BS_MAX_MOS];
    size_t nmos;
    char *err;
    size_t errlen;
    char where[96]; /* the MO being mapped, for messages */
} cp_map;

#define merr(x, rc, ...) pdm__bs_err((x)->err, (x)->errlen, (rc), __VA_ARGS__)

static const char *parm_value(const pdm__prov_char *c, const char *name,
                              size_t *count)
{
    const char *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->nparms; i++)
        if (strcmp(c->parms[i].name, name) == 0 && n++ == 0)
            v = c->parms[i].value ? c->parms[i].value : "";
    if (count)
        *count = n;
    return v;
}

/* A name taken from the document can name a node: printable ASCII, no
 * '/', '?' or '%' (URI syntax), not "." or "..", at most 32 bytes. */
static bool valid_node_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CP_MAX_NAME || strcmp(s, ".") == 0 ||
        strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7E || *s == '/' || *s == '?' || *s == '%')
            return false;
    return true;
}

static bool name_taken(const cp_map *m, const char *name, size_t upto)
{
    for (size_t i = 0; i < m->nmos; i++)
        if ((i < upto && strcmp(m->mos[i].name, name) == 0) ||
            (m->mos[i].id && strcmp(m->mos[i].id, name) == 0 &&
             valid_node_name(m->mos[i].id)))
            return true;
    return false;
}

/* Node names: the document's id when it is a valid name no other MO of the
 * document has as id; else "<prefix>-<k>" (k its place among the MOs of
 * its kind), counted up past names already used or written as ids. */
static void assign_names(cp_map *m)
{
    static const char *const prefix[] = {"w7", "nap", "px"};
    size_t ord[3] = {0, 0, 0};
    for (size_t i = 0; i < m->nmos; i++) {
        cp_mo *mo = &m->mos[i];
        bool unique = valid_node_name(mo->id);
        size_t k = ++ord[mo->kind];
        for (size_t j = 0; j < m->nmos && unique; j++)
            if (j != i && m->mos[j].id && strcmp(m->mos[j].id, mo->id) == 0)
                unique = false;
        if (unique) {
            pdm__strlcpy(mo->name, mo->id, sizeof mo->name);
            continue;
        }
        do
            snprintf(mo->name, sizeof mo->name, "%s-%zu", prefix[mo->kind],
                     k++);
        while (name_taken(m, mo->name, i));
    }
}

/* The reference a TO-NAPID / TO-PROXY value makes: the Inbox root of the
 * NAPDEF / PXLOGICAL of this document with that id, else the id itself
 * (an implementation id, e.g. "INTERNET" or a connectivity object the
 * device already has). */
static void ref_value(const cp_map *m, mo_kind kind, const char *id,
                      pdm__buf *out)
{
    for (size_t i = 0; i < m->nmos; i++)
        if (m->mos[i].kind == kind && strcmp(m->mos[i].id, id) == 0) {
            pdm__buf_printf(out, "./Inbox/%s", m->mos[i].name);
            return;
        }
    pdm__buf_puts(out, id);
}

/* Appends one node; uri is base + "/" + rel (rel NULL: base itself). */
static int emit(cp_map *m, const char *base, const char *rel,
                uint32_t format, const char *type, const void *data,
                size_t len, bool secret)
{
    pdm__buf u;
    int rc;
    pdm__buf_init(&u);
    pdm__buf_puts(&u, base);
    if (rel) {
        pdm__buf_putc(&u, '/');
        pdm__buf_puts(&u, rel);
    }
    if (!pdm__buf_ok(&u)) {
        pdm__buf_free(&u);
        return PDM_ENOMEM;
    }
    rc = pdm__bs_frag_add(m->f, PDM_OP_ADD, (const char *)u.data, format,
                          type, NULL, data, len);
    pdm__buf_free(&u);
    if (rc == PDM_OK && secret)
        m->f->v[m->f->n - 1].secret = true;
    if (rc == PDM_ETOOBIG)
        return merr(m, rc, "CP: %s: more than %d nodes in the document",
                    m->where, PDM__BS_MAX_NODES);
    return rc;
}

static int emit_str(cp_map *m, const char *base, const char *rel,
                    const char *v, bool secret)
{
    return emit(m, base, rel, PDM_FORMAT_CHR, NULL, v, strlen(v), secret);
}

static int emit_node(cp_map *m, const char *base, const char *rel)
{
    return emit(m, base, rel, PDM_FORMAT_NODE, NULL, NULL, 0, false);
}

/* base/<coll>/<k> */
static void sub_uri(pdm__buf *b, const char *base, const char *coll,
                    size_t k)
{
    pdm__buf_reset(b);
    pdm__buf_printf(b, "%s/%s/%zu", base, coll, k);
}

/* The references a characteristic makes with parms named p1 (to kind k1)
 * and p2 (to k2), in document order: PrefConRef for one, ToConRef/<k>/
 * ConRef for several. */
static int emit_refs(cp_map *m, const char *base, const pdm__prov_char *c,
                     const char *p1, mo_kind k1, const char *p2, mo_kind k2)
{
    size_t n = 0, k = 0;
    pdm__buf v, s;
    int rc = PDM_OK;
    for (size_t i = 0; i < c->nparms; i++)
        if (strcmp(c->parms[i].name, p1) == 0 ||
            (p2 && strcmp(c->parms[i].name, p2) == 0))
            n++;
    if (!n)
        return PDM_OK;
    pdm__buf_init(&v);
    pdm__buf_init(&s);
    if (n > 1)
        rc = emit_node(m, base, "ToConRef");
    for (size_t i = 0; i < c->nparms && rc == PDM_OK; i++) {
        const pdm__prov_parm *pp = &c->parms[i];
        bool first = strcmp(pp->name, p1) == 0;
        if (!first && !(p2 && strcmp(pp->name, p2) == 0))
            continue;
        if (!pp->value || !*pp->value) {
            rc = merr(m, PDM_EFORMAT, "CP: %s: %s without a value", m->where,
                      pp->name);
            break;
        }
        pdm__buf_reset(&v);
        ref_value(m, first ? k1 : k2, pp->value, &v);
        if (!pdm__buf_ok(&v)) {
            rc = PDM_ENOMEM;
            break;
        }
        if (n == 1) {
            rc = emit_str(m, base, "PrefConRef", (const char *)v.data, false);
            break;
        }
        sub_uri(&s, base, "ToConRef", ++k);
        if (!pdm__buf_ok(&s)) {
            rc = PDM_ENOMEM;
            break;
        }
        if ((rc = emit_node(m, (const char *)s.data, NULL)) == PDM_OK)
            rc = emit_str(m, (const char *)s.data, "ConRef",
                          (const char *)v.data, false);
    }
    pdm__buf_free(&v);
    pdm__buf_free(&s);
    return rc;
}

/* ---- connectivity MOs (NAPDEF, PXLOGICAL): table driven ----------------- */

typedef enum leaf_kind {
    L_ONE,    /* one chr leaf; the parm may appear once */
    L_SECRET, /* the same, a secret */
    L_FLAG,   /* bool leaf: no value, 1/true → true, 0/false → false */
    L_LIST,   /* repeatable: <coll>/<k>/<leaf> */
    L_REF     /* TO-NAPID: PrefConRef / ToConRef (emit_refs) */
} leaf_kind;

typedef struct leaf_def {
    const char *parm;
    leaf_kind kind;
    const char *leaf; /* L_LIST: "Coll/Leaf" */
} leaf_def;

typedef struct char_def char_def;
typedef struct sub_def {
    const char *type; /* characteristic type */
    const char *coll; /* <coll>/<k> */
    const char_def *def;
} sub_def;

struct char_def {
    const leaf_def *leaves;
    size_t nleaves;
    const sub_def *subs;
    size_t nsubs;
};

#define DEF(l, s) {l, PDM__ARRAY_LEN(l), s, PDM__ARRAY_LEN(s)}
#define DEF_LEAVES(l) {l, PDM__ARRAY_LEN(l), NULL, 0}

static const leaf_def napauth_leaves[] = {
    {"AUTHTYPE", L_ONE, "AuthType"},
    {"AUTHNAME", L_ONE, "AuthName"},
    {"AUTHSECRET", L_SECRET, "AuthSecret"},
    {"AUTH-ENTITY", L_LIST, "AuthEntity/Entity"},
    {"SPI", L_ONE, "SPI"},
};
static const leaf_def validity_leaves[] = {
    {"COUNTRY", L_ONE, "Country"}, {"NETWORK", L_ONE, "Network"},
    {"SID", L_ONE, "SID"},         {"SOC", L_ONE, "SOC"},
    {"VALIDUNTIL", L_ONE, "ValidUntil"},
};
static const char_def napauth_def = DEF_LEAVES(napauth_leaves);
static const char_def validity_def = DEF_LEAVES(validity_leaves);

static const leaf_def nap_leaves[] = {
    {"NAPID", L_ONE, "ID"},
    {"NAME", L_ONE, "Name"},
    {"NAP-ADDRESS", L_ONE, "Addr"},
    {"NAP-ADDRTYPE", L_ONE, "AddrType"},
    {"BEARER", L_LIST, "Bearer/BearerType"},
    {"INTERNET", L_FLAG, "Internet"},
    {"CALLTYPE", L_ONE, "CallType"},
    {"LOCAL-ADDR", L_ONE, "LocalAddr"},
    {"LOCAL-ADDRTYPE", L_ONE, "LocalAddrType"},
    {"LINKSPEED", L_ONE, "LinkSpeed"},
    {"DNLINKSPEED", L_ONE, "DnLinkSpeed"},
    {"LINGER", L_ONE, "Linger"},
    {"DNS-ADDR", L_LIST, "DNS/Addr"},
};
static const sub_def nap_subs[] = {
    {"NAPAUTHINFO", "Auth", &napauth_def},
    {"VALIDITY", "Validity", &validity_def},
};
static const char_def nap_def = DEF(nap_leaves, nap_subs);

static const leaf_def pxauth_leaves[] = {
    {"PXAUTH-TYPE", L_ONE, "AuthType"},
    {"PXAUTH-ID", L_ONE, "AuthName"},
    {"PXAUTH-PW", L_SECRET, "AuthSecret"},
};
static const leaf_def port_leaves[] = {
    {"PORTNBR", L_ONE, "PortNbr"},
    {"SERVICE", L_LIST, "Service/Name"},
};
static const char_def pxauth_def = DEF_LEAVES(pxauth_leaves);
static const char_def port_def = DEF_LEAVES(port_leaves);

static const leaf_def pxphys_leaves[] = {
    {"PHYSICAL-PROXY-ID", L_ONE, "ID"},
    {"PXADDR", L_ONE, "Addr"},
    {"PXADDRTYPE", L_ONE, "AddrType"},
    {"PXADDR-FQDN", L_ONE, "AddrFQDN"},
    {"WSP-VERSION", L_ONE, "WSPVersion"},
    {"PUSHENABLED", L_FLAG, "PushEnabled"},
    {"PULLENABLED", L_FLAG, "PullEnabled"},
    {"DOMAIN", L_LIST, "Domain/Addr"},
    {"TO-NAPID", L_REF, NULL},
};
static const sub_def pxphys_subs[] = {{"PORT", "Ports", &port_def}};
static const char_def pxphys_def = DEF(pxphys_leaves, pxphys_subs);

static const leaf_def px_leaves[] = {
    {"PROXY-ID", L_ONE, "ID"},
    {"NAME", L_ONE, "Name"},
    {"PROXY-PROVIDER-ID", L_ONE, "ProviderID"},
    {"STARTPAGE", L_ONE, "StartPage"},
    {"BASAUTH-ID", L_ONE, "BasAuthName"},
    {"BASAUTH-PW", L_SECRET, "BasAuthSecret"},
    {"PROXY-PW", L_SECRET, "ProxySecret"},
    {"PPGAUTH-TYPE", L_ONE, "PPGAuthType"},
    {"WSP-VERSION", L_ONE, "WSPVersion"},
    {"TRUST", L_FLAG, "Trust"},
    {"MASTER", L_FLAG, "Master"},
    {"PUSHENABLED", L_FLAG, "PushEnabled"},
    {"PULLENABLED", L_FLAG, "PullEnabled"},
    {"DOMAIN", L_LIST, "Domain/Addr"},
};
static const sub_def px_subs[] = {
    {"PXAUTHINFO", "Auth", &pxauth_def},
    {"PORT", "Ports", &port_def},
    {"PXPHYSICAL", "PX", &pxphys_def},
};
static const char_def px_def = DEF(px_leaves, px_subs);

#define CP_MAX_LEAVES 16 /* leaves of the largest char_def */
#define CP_MAX_SUBS 4    /* sub-characteristics of the largest char_def */
_Static_assert(PDM__ARRAY_LEN(px_subs) <= CP_MAX_SUBS &&
                   PDM__ARRAY_LEN(nap_subs) <= CP_MAX_SUBS,
               "map_conn counts entries per sub_def");
_Static_assert(PDM__ARRAY_LEN(nap_leaves) <= CP_MAX_LEAVES &&
                   PDM__ARRAY_LEN(px_leaves) <= CP_MAX_LEAVES &&
                   PDM__ARRAY_LEN(pxphys_leaves) <= CP_MAX_LEAVES,
               "map_conn counts list entries per leaf_def");

static const leaf_def *find_leaf(const char_def *d, const char *parm)
{
    for (size_t i = 0; i < d->nleaves; i++)
        if (strcmp(d->leaves[i].parm, parm) == 0)
            return &d->leaves[i];
    return NULL;
}

static int flag_value(cp_map *m, const char *parm, const char *v,
                      const char **out)
{
    if (!*v || strcmp(v, "1") == 0 || pdm__strcaseeq(v, "true"))
        *out = "true";
    else if (strcmp(v, "0") == 0 || pdm__strcaseeq(v, "false"))
        *out = "false";
    else
        return merr(m, PDM_EFORMAT,
                    "CP: %s: %s must be 1 or 0 (or no value)", m->where,
                    parm);
    return PDM_OK;
}

/* Maps characteristic c onto the node at base (already emitted) by def:
 * its parms in document order, then its sub-characteristics. */
static int map_conn(cp_map *m, const char *base, const pdm__prov_char *c,
                    const char_def *def)
{
    size_t seen[CP_MAX_LEAVES] = {0}; /* per leaf_def: entries so far */
    size_t nsub[CP_MAX_SUBS] = {0};   /* per sub_def: entries so far */
    pdm__buf s;
    int rc = PDM_OK;

    /* a repeated single-valued parm would make two values for one node */
    for (size_t i = 0; i < c->nparms; i++) {
        const leaf_def *l = find_leaf(def, c->parms[i].name);
        size_t n;
        if (!l || (l->kind != L_ONE && l->kind != L_SECRET &&
                   l->kind != L_FLAG))
            continue;
        parm_value(c, l->parm, &n);
        if (n > 1)
            return merr(m, PDM_EFORMAT, "CP: %s: %s > parm %s given %zu times",
                        m->where, c->type, l->parm, n);
    }
    pdm__buf_init(&s);
    /* parms in document order; a list's collection node comes with its
     * first entry, the references with the first TO-NAPID */
    for (size_t i = 0; i < c->nparms && rc == PDM_OK; i++) {
        const pdm__prov_parm *pp = &c->parms[i];
        const leaf_def *l = find_leaf(def, pp->name);
        const char *v = pp->value ? pp->value : "";
        const char *b = NULL, *slash;
        size_t li;
        if (!l)
            continue; /* not mapped: see docs/cp-mapping.md */
        li = (size_t)(l - def->leaves);
        switch (l->kind) {
        case L_ONE:
        case L_SECRET:
            rc = emit_str(m, base, l->leaf, v, l->kind == L_SECRET);
            break;
        case L_FLAG:
            if ((rc = flag_value(m, pp->name, v, &b)) == PDM_OK)
                rc = emit(m, base, l->leaf, PDM_FORMAT_BOOL, NULL, b,
                          strlen(b), false);
            break;
        case L_REF:
            if (seen[li]++ == 0)
                rc = emit_refs(m, base, c, l->parm, MO_NAP, NULL, MO_NAP);
            break;
        case L_LIST:
            slash = strchr(l->leaf, '/');
            pdm__buf_reset(&s);
            pdm__buf_printf(&s, "%s/%.*s", base, (int)(slash - l->leaf),
                            l->leaf);
            if (!pdm__buf_ok(&s)) {
                rc = PDM_ENOMEM;
                break;
            }
            if (seen[li] == 0 &&
                (rc = emit_node(m, (const char *)s.data, NULL)) != PDM_OK)
                break;
            pdm__buf_printf(&s, "/%zu", ++seen[li]);
            if (!pdm__buf_ok(&s)) {
                rc = PDM_ENOMEM;
                break;
            }
            if ((rc = emit_node(m, (const char *)s.data, NULL)) == PDM_OK)
                rc = emit_str(m, (const char *)s.data, slash + 1, v, false);
            break;
        }
    }
    /* sub-characteristics in document order, numbered per type */
    for (size_t j = 0; j < c->nkids && rc == PDM_OK; j++) {
        const sub_def *sd = NULL;
        size_t si = 0;
        char *sb;
        for (; si < def->nsubs && !sd; si++)
            if (strcmp(c->kids[j].type, def->subs[si].type) == 0)
                sd = &def->subs[si];
        if (!sd)
            continue; /* not mapped */
        if (nsub[si - 1]++ == 0 &&
            (rc = emit_node(m, base, sd->coll)) != PDM_OK)
            break;
        sub_uri(&s, base, sd->coll, nsub[si - 1]);
        if (!pdm__buf_ok(&s) || !(sb = pdm__strdup((const char *)s.data))) {
            rc = PDM_ENOMEM;
            break;
        }
        if ((rc = emit_node(m, sb, NULL)) == PDM_OK)
            rc = map_conn(m, sb, &c->kids[j], sd->def);
        pdm__free(sb);
    }
    pdm__buf_free(&s);
    return rc;
}

/* ---- w7 APPLICATION → DMAcc --------------------------------------------- */

/* AAUTHLEVEL → AAuthLevel (facts §9.2: the spec's table, not NetComm's). */
static const char *auth_level(const char *v)
{
    if (pdm__strcaseeq(v, "APPSRV"))
        return "CLCRED";
    if (pdm__strcaseeq(v, "CLIENT"))
        return "SRVCRED";
    if (pdm__strcaseeq(v, "OBEX"))
        return "OBEX";
    return NULL;
}

/* AAUTHTYPE → AAuthType for a DM-level entry (CLCRED/SRVCRED): the names
 * the session engine reads (account.c: BASIC, DIGEST, HMAC).  Absent or
 * empty: DIGEST (DM 1.2's mandatory scheme; NetComm does the same).  A
 * list ("DIGEST,MD5", "BASIC,DIGEST"): the strongest scheme it names.
 * HTTP-BASIC / HTTP-DIGEST at DM level: BASIC / DIGEST (CP has no HTTP
 * level to put them on).  Anything else is kept as written (the engine
 * then sends no credentials of that entry). */
static void auth_type(const char *v, bool dm_level, char *out, size_t outsz)
{
    int best = 0; /* 1 BASIC, 2 DIGEST, 3 HMAC */
    const char *p = v ? v : "";
    if (!*p) {
        pdm__strlcpy(out, dm_level ? "DIGEST" : "", outsz);
        return;
    }
    if (!dm_level) {
        pdm__strlcpy(out, v, outsz);
        return;
    }
    while (*p) {
        size_t n = strcspn(p, ","), a = 0, b = n;
        char tok[16];
        int s = 0;
        while (a < b && p[a] == ' ')
            a++;
        while (b > a && p[b - 1] == ' ')
            b--;
        if (b - a < sizeof tok) {
            memcpy(tok, p + a, b - a);
            tok[b - a] = '\0';
            if (pdm__strcaseeq(tok, "BASIC") ||
                pdm__strcaseeq(tok, "HTTP-BASIC"))
                s = 1;
            else if (pdm__strcaseeq(tok, "DIGEST") ||
                     pdm__strcaseeq(tok, "HTTP-DIGEST") ||
                     pdm__strcaseeq(tok, "MD5"))
                s = 2;
            else if (pdm__strcaseeq(tok, "HMAC"))
                s = 3;
        }
        if (s > best)
            best = s;
        p += n + (p[n] == ',');
    }
    pdm__strlcpy(out,
                 best == 3   ? "HMAC"
                 : best == 2 ? "DIGEST"
                 : best == 1 ? "BASIC"
                             : v,
                 outsz);
}

static int map_appauth(cp_map *m, const char *base, const pdm__prov_char *a,
                       size_t k)
{
    static const char *const single[] = {"AAUTHLEVEL", "AAUTHTYPE",
                                         "AAUTHNAME", "AAUTHSECRET",
                                         "AAUTHDATA"};
    const char *lv = parm_value(a, "AAUTHLEVEL", NULL);
    const char *level = lv ? auth_level(lv) : NULL;
    const char *name = parm_value(a, "AAUTHNAME", NULL);
    const char *secret = parm_value(a, "AAUTHSECRET", NULL);
    const char *data = parm_value(a, "AAUTHDATA", NULL);
    char type[64];
    int rc;

    for (size_t i = 0; i < PDM__ARRAY_LEN(single); i++) {
        size_t n;
        parm_value(a, single[i], &n);
        if (n > 1)
            return merr(m, PDM_EFORMAT,
                        "CP: %s: APPAUTH #%zu gives %s %zu times", m->where,
                        k, single[i], n);
    }
    if (!lv)
        return merr(m, PDM_EFORMAT, "CP: %s: APPAUTH #%zu has no AAUTHLEVEL",
                    m->where, k);
    if (!level)
        return merr(m, PDM_EFORMAT,
                    "CP: %s: APPAUTH #%zu: AAUTHLEVEL '%.16s' is not APPSRV, "
                    "CLIENT or OBEX",
                    m->where, k, lv);
    auth_type(parm_value(a, "AAUTHTYPE", NULL), strcmp(level, "OBEX") != 0,
              type, sizeof type);
    if ((rc = emit_node(m, base, NULL)) != PDM_OK ||
        (rc = emit_str(m, base, "AAuthLevel", level, false)) != PDM_OK)
        return rc;
    if (*type && (rc = emit_str(m, base, "AAuthType", type, false)) != PDM_OK)
        return rc;
    if (name && (rc = emit_str(m, base, "AAuthName", name, false)) != PDM_OK)
        return rc;
    if (secret &&
        (rc = emit_str(m, base, "AAuthSecret", secret, true)) != PDM_OK)
        return rc;
    if (data) {
        /* The nonce travels base64 in CP (Funambol); the tree keeps the
         * bytes (Format bin, as account.c stores a new nonce).  A value
         * that is not base64 is taken as the nonce bytes themselves. */
        uint8_t *raw = NULL;
        size_t rlen = 0;
        rc = pdm__b64_decode(data, strlen(data), &raw, &rlen);
        if (rc == PDM_ENOMEM)
            return rc;
        if (rc == PDM_OK)
            rc = emit(m, base, "AAuthData", PDM_FORMAT_BIN, NULL, raw, rlen,
                      true);
        else
            rc = emit(m, base, "AAuthData", PDM_FORMAT_BIN, NULL, data,
                      strlen(data), true);
        if (raw)
            pdm__free_wipe(raw, rlen + 1);
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

/* ADDRTYPE → AddrType: URI when absent (DMAcc default), the DMAcc spelling
 * of IPv4/IPv6, else as written. */
static const char *addr_type(const char *v)
{
    if (!v || !*v)
        return "URI";
    if (pdm__strcaseeq(v, "IPV4"))
        return "IPv4";
    if (pdm__strcaseeq(v, "IPV6"))
        return "IPv6";
    return v;
}

static int map_w7(cp_map *m, const cp_mo *mo)
{
    static const char *const single[] = {"PROVIDER-ID", "NAME"};
    const pdm__prov_char *c = mo->c;
    pdm__buf root, s, p;
    size_t naddr = 0, k = 0, na = 0, ai = 0;
    const char *name = parm_value(c, "NAME", NULL);
    int rc;

    for (size_t i = 0; i < PDM__ARRAY_LEN(single); i++) {
        size_t n;
        parm_value(c, single[i], &n);
        if (n > 1)
            return merr(m, PDM_EFORMAT, "CP: %s: %s given %zu times",
                        m->where, single[i], n);
    }
    if (!mo->id || !*mo->id)
        return merr(m, PDM_EFORMAT,
                    "CP: %s: a w7 APPLICATION without PROVIDER-ID (the "
                    "ServerID of the account)",
                    m->where);
    for (size_t i = 0; i < c->nparms; i++)
        if (strcmp(c->parms[i].name, "ADDR") == 0) {
            if (!c->parms[i].value || !*c->parms[i].value)
                return merr(m, PDM_EFORMAT, "CP: %s: ADDR without a value",
                            m->where);
            naddr++;
        }
    for (size_t i = 0; i < c->nkids; i++) {
        const pdm__prov_char *a = &c->kids[i];
        size_t n;
        const char *v;
        if (strcmp(a->type, "APPADDR") != 0)
            continue;
        na++;
        v = parm_value(a, "ADDR", &n);
        if (n != 1 || !*v)
            return merr(m, PDM_EFORMAT,
                        "CP: %s: APPADDR #%zu must have one ADDR with a "
                        "value",
                        m->where, na);
        parm_value(a, "ADDRTYPE", &n);
        if (n > 1)
            return merr(m, PDM_EFORMAT,
                        "CP: %s: APPADDR #%zu gives ADDRTYPE %zu times",
                        m->where, na, n);
        naddr++;
    }
    if (!naddr)
        return merr(m, PDM_EFORMAT,
                    "CP: %s: a w7 APPLICATION without ADDR or APPADDR (the "
                    "server's address)",
                    m->where);

    pdm__buf_init(&root);
    pdm__buf_init(&s);
    pdm__buf_init(&p);
    pdm__buf_printf(&root, "./Inbox/%s", mo->name);
    if (!pdm__buf_ok(&root)) {
        rc = PDM_ENOMEM;
        goto out;
    }
#define R ((const char *)root.data)
#define S ((const char *)s.data)
#define P ((const char *)p.data)
#define OK_OR_OUT(x)                                                         \
    do {                                                                     \
        if ((rc = (x)) != PDM_OK)                                            \
            goto out;                                                        \
    } while (0)
#define BUF_OK(b)                                                            \
    do {                                                                     \
        if (!pdm__buf_ok(&(b))) {                                            \
            rc = PDM_ENOMEM;                                                 \
            goto out;                                                        \
        }                                                                    \
    } while (0)

    OK_OR_OUT(emit(m, R, NULL, PDM_FORMAT_NODE, PDM__MOID_DMACC, NULL, 0,
                   false));
    OK_OR_OUT(emit_str(m, R, "AppID", "w7", false));
    OK_OR_OUT(emit_str(m, R, "ServerID", mo->id, false));
    if (name)
        OK_OR_OUT(emit_str(m, R, "Name", name, false));
    OK_OR_OUT(emit_refs(m, R, c, "TO-PROXY", MO_PX, "TO-NAPID", MO_NAP));

    /* AppAddr: ADDR parms of the APPLICATION first, then each APPADDR */
    OK_OR_OUT(emit_node(m, R, "AppAddr"));
    for (size_t i = 0; i < c->nparms; i++) {
        if (strcmp(c->parms[i].name, "ADDR") != 0)
            continue;
        sub_uri(&s, R, "AppAddr", ++k);
        BUF_OK(s);
        OK_OR_OUT(emit_node(m, S, NULL));
        OK_OR_OUT(emit_str(m, S, "Addr", c->parms[i].value, false));
        OK_OR_OUT(emit_str(m, S, "AddrType", "URI", false));
    }
    for (size_t i = 0; i < c->nkids; i++) {
        const pdm__prov_char *a = &c->kids[i];
        size_t np = 0;
        if (strcmp(a->type, "APPADDR") != 0)
            continue;
        ai++;
        sub_uri(&s, R, "AppAddr", ++k);
        BUF_OK(s);
        OK_OR_OUT(emit_node(m, S, NULL));
        OK_OR_OUT(emit_str(m, S, "Addr", parm_value(a, "ADDR", NULL), false));
        OK_OR_OUT(emit_str(m, S, "AddrType",
                           addr_type(parm_value(a, "ADDRTYPE", NULL)), false));
        for (size_t j = 0; j < a->nkids; j++) {
            const pdm__prov_char *port = &a->kids[j];
            const char *nbr;
            size_t n;
            if (strcmp(port->type, "PORT") != 0)
                continue;
            nbr = parm_value(port, "PORTNBR", &n);
            if (n != 1 || !*nbr) {
                rc = merr(m, PDM_EFORMAT,
                          "CP: %s: APPADDR #%zu: PORT #%zu must have one "
                          "PORTNBR with a value",
                          m->where, ai, np + 1);
                goto out;
            }
            if (np == 0)
                OK_OR_OUT(emit_node(m, S, "Port"));
            sub_uri(&p, S, "Port", ++np);
            BUF_OK(p);
            OK_OR_OUT(emit_node(m, P, NULL));
            OK_OR_OUT(emit_str(m, P, "PortNbr", nbr, false));
        }
    }
    /* AppAuth: one entry per APPAUTH */
    k = 0;
    for (size_t i = 0; i < c->nkids; i++) {
        if (strcmp(c->kids[i].type, "APPAUTH") != 0)
            continue;
        if (k == 0)
            OK_OR_OUT(emit_node(m, R, "AppAuth"));
        sub_uri(&s, R, "AppAuth", ++k);
        BUF_OK(s);
        OK_OR_OUT(map_appauth(m, S, &c->kids[i], k));
    }
#undef R
#undef S
#undef P
#undef OK_OR_OUT
#undef BUF_OK
out:
    pdm__buf_free(&root);
    pdm__buf_free(&s);
    pdm__buf_free(&p);
    return rc;
}

static int map_connmo(cp_map *m, const cp_mo *mo)
{
    char root[CP_MAX_NAME + 24];
    int rc;
    snprintf(root, sizeof root, "./Inbox/%s", mo->name);
    rc = emit(m, root, NULL, PDM_FORMAT_NODE, PDM__MOID_CONNMO, NULL, 0,
              false);
    if (rc == PDM_OK)
        rc = map_conn(m, root, mo->c, mo->kind == MO_NAP ? &nap_def : &px_def);
    return rc;
}

/* Collects the MOs of the document and checks their identities. */
static int collect(cp_map *m, const pdm__prov_doc *d)
{
    for (size_t i = 0; i < d->nchars; i++) {
        const pdm__prov_char *c = &d->chars[i];
        const char *appid;
        cp_mo *mo;
        mo_kind kind;
        size_t n;
        const char *idp;
        if (strcmp(c->type, "APPLICATION") == 0) {
            appid = parm_value(c, "APPID", &n);
            if (!appid || strcmp(appid, "w7") != 0)
                continue; /* other applications are not ours to map */
            if (n > 1)
                return merr(m, PDM_EFORMAT,
                            "CP: characteristic #%zu (APPLICATION): APPID "
                            "given %zu times",
                            i + 1, n);
            kind = MO_W7;
            idp = "PROVIDER-ID";
        } else if (strcmp(c->type, "NAPDEF") == 0) {
            kind = MO_NAP;
            idp = "NAPID";
        } else if (strcmp(c->type, "PXLOGICAL") == 0) {
            kind = MO_PX;
            idp = "PROXY-ID";
        } else {
            continue; /* BOOTSTRAP, CLIENTIDENTITY, VENDORCONFIG, ... */
        }
        if (m->nmos == PDM__BS_MAX_MOS)
            return merr(m, PDM_ETOOBIG,
                        "CP: characteristic #%zu (%s): more than %d "
                        "accounts and connectivity objects in one document",
                        i + 1, c->type, PDM__BS_MAX_MOS);
        mo = &m->mos[m->nmos++];
        mo->c = c;
        mo->kind = kind;
        mo->index = i + 1;
        mo->id = parm_value(c, idp, &n);
        if (n > 1)
            return merr(m, PDM_EFORMAT,
                        "CP: characteristic #%zu (%s): %s given %zu times",
                        i + 1, c->type, idp, n);
        if (kind != MO_W7 && (!mo->id || !*mo->id))
            return merr(m, PDM_EFORMAT,
                        "CP: characteristic #%zu (%s) has no %s", i + 1,
                        c->type, idp);
    }
    /* references must name one connectivity object, not two */
    for (size_t i = 0; i < m->nmos; i++)
        for (size_t j = i + 1; j < m->nmos; j++)
            if (m->mos[i].kind != MO_W7 && m->mos[i].kind == m->mos[j].kind &&
                strcmp(m->mos[i].id, m->mos[j].id) == 0)
                return merr(m, PDM_EFORMAT,
                            "CP: characteristic #%zu (%s): %s '%.32s' is "
                            "also that of characteristic #%zu",
                            m->mos[j].index, m->mos[j].c->type,
                            m->mos[j].kind == MO_NAP ? "NAPID" : "PROXY-ID",
                            m->mos[j].id, m->mos[i].index);
    return PDM_OK;
}

int pdm__cp_map(const pdm__prov_doc *d, pdm__bs_frag *out, char *err,
                size_t errlen)
{
    cp_map *m;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!d || !out)
        return PDM_EINVAL;
    if (!(m = pdm__calloc(1, sizeof *m)))
        return PDM_ENOMEM;
    m->f = out;
    m->err = err;
    m->errlen = errlen;
    rc = collect(m, d);
    if (rc == PDM_OK)
        assign_names(m);
    for (size_t i = 0; i < m->nmos && rc == PDM_OK; i++) {
        const cp_mo *mo = &m->mos[i];
        snprintf(m->where, sizeof m->where, "characteristic #%zu (%s%s)",
                 mo->index, mo->c->type, mo->kind == MO_W7 ? " w7" : "");
        rc = mo->kind == MO_W7 ? map_w7(m, mo) : map_connmo(m, mo);
    }
    if (rc == PDM_ENOMEM)
        merr(m, rc, "CP: out of memory");
    pdm__free(m);
    return rc;
}
