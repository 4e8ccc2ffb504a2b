/*
 * The DM-profile bootstrap decoder (bootstrap.h, pdm__dmprof_decode): a
 * SyncML DM 1.2 message whose Add/Replace commands become fragment nodes.
 * It reads the message with the project codec and every TNDS through
 * pdm__tnds_walk (the importer's parser), so a bootstrap and a session
 * see the same bytes the same way.  Nothing here touches a tree.
 *
 * Items, as the session reads them (exec.c): Meta Format/Type from the
 * item, else from the command; no Format means chr, or node for an Add
 * without Data; a value is kept as it came (Format b64 stays base64 text,
 * as the tree stores it).  An item is a TNDS when its Data holds a
 * MgmtTree element (XML) or its Meta Type is a TNDS MIME type; then the
 * bytes are XML or WBXML by their first byte, whatever the Type says,
 * base64-decoded first when the Format is b64 (a WBXML TNDS in an XML
 * message).  Each TNDS Node becomes one fragment node under the item's
 * Target with its Format, Type and ACL (Title is not carried: the
 * fragment has no field for it).
 *
 * Funambol (DMBootstrapMessageBuilder, ../shared/omadm-peer-transcripts)
 * sends a TNDS that no conforming decoder reads, and we accept it on
 * purpose, as the only DM-profile producer we have seen:
 *   - an outer LITERAL element whose OPAQUE content is the real document
 *     and which is never closed (the OPAQUE runs to the end of the Data);
 *   - element and Format names written as LITERALs whose indexes point
 *     into a string table it never sends (the table it sends holds only
 *     the FPI).  The indexes are the offsets of a table filled in first
 *     use order, which for its DMAcc documents is FUNAMBOL_TABLE below;
 *   - Format and Type as MetInf elements, Type with its text inline;
 *   - the AppAuth Node closed before its entries, which follow it as
 *     siblings (TestAcc/Client instead of TestAcc/AppAuth/Client): a Node
 *     after an empty AppAuth whose child Nodes are all AAuth* leaves is
 *     moved under it.
 * The repair is tried only after the document failed to decode as it is;
 * an index beyond the rebuilt table still fails (EPARSE).
 */
#include "bootstrap/bootstrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "codec/codec.h"
#include "tree/tnds.h"

#define MAX_GROUP_DEPTH 4 /* Atomic/Sequence nesting */
#define MAX_TNDS_NEST 2   /* Funambol's wrapper around the real TNDS */

static const char FUNAMBOL_TABLE[] =
    "MgmtTree\0Node\0NodeName\0RTProperties\0node\0Value\0chr\0int";
static const char SYNCML12_FPI[] = "-//SYNCML//DTD SyncML 1.2//EN";

typedef struct dctx {
    pdm__bs_frag *out;
    char *err;
    size_t errlen;
    /* the item being read, for messages */
    int op;
    const char *cmd;
    char cmdid[24];
    unsigned item;
    char target[96];
} dctx;

#define fail(x, rc, ...) pdm__bs_err((x)->err, (x)->errlen, (rc), __VA_ARGS__)

/* Document text fit for a message (never called on values): printable
 * ASCII, others as '?', at most 64 characters. */
static const char *san(const uint8_t *s, size_t n, char *buf, size_t size)
{
    size_t i = 0;
    for (; s && i < n && i + 4 < size && i < 64; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (s && i < n && i + 4 <= size) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static const char *el_san(const pdm__el *e, char *buf, size_t size)
{
    return san(e ? e->text : NULL, e ? e->len : 0, buf, size);
}

/* "Add (CmdID 3) item 2 ./Inbox" */
static int item_fail(dctx *c, int rc, const char *fmt, ...) PDM_PRINTF(3, 4);
static int item_fail(dctx *c, int rc, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!c->cmdid[0]) /* one item on its own (pdm__dmprof_item) */
        return fail(c, rc, "%s%s%s: %s", c->cmd, c->target[0] ? " " : "",
                    c->target, what);
    return fail(c, rc, "%s (CmdID %s) item %u%s%s: %s", c->cmd, c->cmdid,
                c->item, c->target[0] ? " " : "", c->target, what);
}

/* ---- TNDS ------------------------------------------------------------------- */

static int visit(void *user, const pdm__tnds_node *n, pdm__decision *dec)
{
    dctx *c = user;
    pdm__buf u;
    const void *data = n->data;
    int rc;
    pdm__buf_init(&u);
    if (strcmp(n->path, ".") != 0)
        pdm__buf_puts(&u, "./");
    pdm__buf_puts(&u, n->path);
    if (!pdm__buf_ok(&u))
        return PDM_ENOMEM;
    if (n->format != PDM_FORMAT_NODE && !data)
        data = ""; /* a leaf without Value holds the empty value */
    rc = pdm__bs_frag_add(c->out, c->op, (const char *)u.data, n->format,
                          n->type, n->acl, data, n->len);
    pdm__buf_free(&u);
    if (rc == PDM_ETOOBIG) {
        dec->rc = rc;
        snprintf(dec->reason, sizeof dec->reason, "more than %d nodes",
                 PDM__BS_MAX_NODES);
    }
    return rc;
}

/* The WBXML header of p[0..n): offsets of the string table and body,
 * public id.  False when it is not one. */
static bool wb_header(const uint8_t *p, size_t n, uint32_t *pid,
                      size_t *tbl, size_t *tbl_len, size_t *body)
{
    size_t i = 1;
    uint32_t v[4] = {0, 0, 0, 0};
    int k = 0;
    if (n < 4 || p[0] < 1 || p[0] > 3)
        return false;
    while (k < 4) {
        uint32_t x = 0;
        int bytes = 0;
        do {
            if (i >= n || ++bytes > 5)
                return false;
            x = (x << 7) | (p[i] & 0x7F);
        } while (p[i++] & 0x80);
        v[k++] = x;
        if (k == 1 && x != 0)
            k++; /* a numeric public id has no index */
    }
    if (v[3] > n - i)
        return false;
    *pid = v[0];
    *tbl = i;
    *tbl_len = v[3];
    *body = i + v[3];
    return true;
}

static void normalise(pdm__doc *d, pdm__el *e, unsigned depth);
static void funambol_appauth(pdm__el *e, unsigned depth);

static int tnds_decode(dctx *c, const uint8_t *p, size_t n, pdm__doc *doc,
                       unsigned nest);

/* Funambol's two quirks (see the top of the file), tried after a WBXML
 * TNDS failed to decode.  PDM_EPARSE when neither applies. */
static int tnds_repair(dctx *c, const uint8_t *p, size_t n, pdm__doc *doc,
                       unsigned nest)
{
    uint32_t pid, len = 0;
    size_t tbl, tl, b, i;
    pdm__buf fixed;
    pdm__codec_err ce;
    pdm__codec_limits lim = {0, 64, 1u << 16};
    int rc;
    if (!wb_header(p, n, &pid, &tbl, &tl, &b) || pid != 0 ||
        tl != strlen(SYNCML12_FPI) || memcmp(p + tbl, SYNCML12_FPI, tl))
        return PDM_EPARSE;
    /* the wrapper: LITERAL_C <idx> OPAQUE <len> running to the end */
    i = b;
    if (i + 2 < n && p[i] == 0x44 && !(p[i + 1] & 0x80) && p[i + 2] == 0xC3 &&
        nest < MAX_TNDS_NEST) {
        i += 3;
        for (int k = 0; i < n && k < 5; k++) {
            len = (len << 7) | (p[i] & 0x7F);
            if (!(p[i++] & 0x80))
                break;
        }
        if (i <= n && len == n - i)
            return tnds_decode(c, p + i, len, doc, nest + 1);
    }
    /* the table it meant: numeric SyncML 1.2 id, the rebuilt table */
    pdm__buf_init(&fixed);
    pdm__buf_putc(&fixed, p[0]);
    pdm__buf_append(&fixed, "\xA4\x01\x6A", 3);
    pdm__buf_putc(&fixed, (int)sizeof FUNAMBOL_TABLE);
    pdm__buf_append(&fixed, FUNAMBOL_TABLE, sizeof FUNAMBOL_TABLE);
    pdm__buf_append(&fixed, p + b, n - b);
    if (!pdm__buf_ok(&fixed))
        return PDM_ENOMEM;
    pdm__doc_free(doc);
    pdm__doc_init(doc);
    memset(&ce, 0, sizeof ce);
    rc = pdm__wbxml_decode(doc, fixed.data, fixed.len, &lim, &ce);
    pdm__buf_free(&fixed);
    if (rc != PDM_OK)
        return rc == PDM_ENOMEM ? rc : PDM_EPARSE;
    normalise(doc, doc->root, 0);
    funambol_appauth(doc->root, 0);
    return PDM_OK;
}

/* Funambol's names to the DDF vocabulary: LITERAL elements named like
 * DDF elements, MetInf Format and Type (Type with inline text gets the
 * MIME child the walk reads). */
static void normalise(pdm__doc *d, pdm__el *e, unsigned depth)
{
    if (!e || depth > 64)
        return;
    if (e->tag == PDM_TAG_UNKNOWN && e->name) {
        pdm__tag t = pdm__tag_lookup(PDM_NS_DDF, e->name, strlen(e->name));
        if (t != PDM_TAG_NONE)
            e->tag = (uint16_t)t;
    } else if (e->tag == PDM_TAG_MI_FORMAT) {
        e->tag = PDM_TAG_DDF_FORMAT;
    } else if (e->tag == PDM_TAG_MI_TYPE) {
        e->tag = PDM_TAG_DDF_TYPE;
        if (!e->first && e->text && pdm__el_add_text(d, e, PDM_TAG_DDF_MIME,
                                                     e->text, e->len))
            e->len = 0;
    }
    for (pdm__el *k = e->first; k; k = k->next)
        normalise(d, k, depth + 1);
}

static bool node_named(const pdm__el *n, const char *name, bool prefix)
{
    const pdm__el *nm = pdm__el_child(n, PDM_TAG_DDF_NODENAME);
    size_t l = strlen(name);
    return n->tag == PDM_TAG_DDF_NODE && nm && nm->text &&
           (prefix ? nm->len > l : nm->len == l) && !memcmp(nm->text, name, l);
}

static bool is_aauth_entry(const pdm__el *n)
{
    size_t k = 0;
    if (n->tag != PDM_TAG_DDF_NODE)
        return false;
    for (const pdm__el *c = pdm__el_child(n, PDM_TAG_DDF_NODE); c;
         c = pdm__el_next(c, PDM_TAG_DDF_NODE), k++)
        if (!node_named(c, "AAuth", true))
            return false;
    return k > 0;
}

/* Funambol's AppAuth entries back under their AppAuth (see the top). */
static void funambol_appauth(pdm__el *e, unsigned depth)
{
    if (!e || depth > 64)
        return;
    for (pdm__el *c = e->first; c; c = c->next) {
        if (node_named(c, "AppAuth", false) &&
            !pdm__el_child(c, PDM_TAG_DDF_NODE)) {
            while (c->next && is_aauth_entry(c->next)) {
                pdm__el *m = c->next;
                c->next = m->next;
                if (e->last == m)
                    e->last = c;
                m->next = NULL;
                m->parent = c;
                if (c->last)
                    c->last->next = m;
                else
                    c->first = m;
                c->last = m;
            }
        }
        funambol_appauth(c, depth + 1);
    }
}

/* Decodes a TNDS document (XML or WBXML by its first byte) into doc. */
static int tnds_decode(dctx *c, const uint8_t *p, size_t n, pdm__doc *doc,
                       unsigned nest)
{
    pdm__codec_limits lim = {0, 64, 1u << 16};
    pdm__codec_err ce;
    size_t i = 0;
    int rc;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
                     p[i] == '\t' || p[i] == 0xEF || p[i] == 0xBB ||
                     p[i] == 0xBF))
        i++;
    pdm__doc_free(doc);
    pdm__doc_init(doc);
    memset(&ce, 0, sizeof ce);
    if (i < n && p[i] == '<') {
        rc = pdm__xml_decode(doc, p, n, &lim, &ce);
    } else {
        rc = pdm__wbxml_decode(doc, p, n, &lim, &ce);
        if (rc == PDM_OK) {
            normalise(doc, doc->root, 0);
        } else if (rc != PDM_ENOMEM) {
            int r2 = tnds_repair(c, p, n, doc, nest);
            if (r2 == PDM_OK || r2 == PDM_ENOMEM)
                return r2;
        }
    }
    if (rc == PDM_ENOMEM)
        return rc;
    if (rc != PDM_OK)
        return item_fail(c, PDM_EPARSE, "malformed TNDS: %s", ce.msg);
    return PDM_OK;
}

static int tnds_walk(dctx *c, const pdm__el *mt, const char *target)
{
    pdm__decision dec;
    int rc;
    memset(&dec, 0, sizeof dec);
    rc = pdm__tnds_walk(mt, target, NULL, PDM__BS_MAX_DEPTH, visit, c, &dec);
    if (rc == PDM_OK || rc == PDM_ENOMEM)
        return rc;
    return item_fail(c, rc == PDM_ETOOBIG ? rc : PDM_EFORMAT, "TNDS: %s",
                     dec.reason[0] ? dec.reason : "invalid");
}

/* ---- commands ------------------------------------------------------------------ */

/* Meta of the item, else of the command. */
static const pdm__el *meta_of(const pdm__el *cmd, const pdm__el *item,
                              pdm__tag tag)
{
    const pdm__el *m = pdm__el_child(pdm__el_child(item, PDM_TAG_META), tag);
    return m ? m : pdm__el_child(pdm__el_child(cmd, PDM_TAG_META), tag);
}

static bool is_tnds_type(const char *t)
{
    return t && (pdm__strcaseeq(t, PDM_MIME_TNDS_XML) ||
                 pdm__strcaseeq(t, PDM_MIME_TNDS_WBXML));
}

/* One item, from its parts (see pdm__dmprof_item): c->op, c->cmd and
 * c->target are set. */
static int item_frag(dctx *c, const uint8_t *tu, size_t tulen,
                     const char *fmt, const char *type, const pdm__el *mt,
                     const uint8_t *data, size_t dlen, bool has_data)
{
    char e[160], s[80];
    pdm__buf path;
    int rc, f = PDM_FORMAT_CHR;

    pdm__buf_init(&path);
    rc = pdm__uri_canon(&path, (const char *)tu, tulen, NULL, e, sizeof e);
    if (rc == PDM_ENOMEM || !pdm__buf_ok(&path)) {
        pdm__buf_free(&path);
        return PDM_ENOMEM;
    }
    if (rc != PDM_OK) {
        pdm__buf_free(&path);
        return item_fail(c, PDM_EFORMAT, "%s", e);
    }
    if (mt) {
        rc = tnds_walk(c, mt, (const char *)path.data);
    } else if (is_tnds_type(type)) {
        const uint8_t *p = has_data ? data : NULL;
        size_t n = p ? dlen : 0;
        uint8_t *raw = NULL;
        pdm__doc doc;
        if (fmt && pdm__strcaseeq(fmt, "b64") &&
            (rc = pdm__b64_decode((const char *)p, n, &raw, &n)) != PDM_OK) {
            pdm__buf_free(&path);
            return rc == PDM_ENOMEM ? rc : item_fail(c, PDM_EFORMAT,
                                                     "the b64 TNDS is not "
                                                     "base64");
        }
        pdm__doc_init(&doc);
        rc = tnds_decode(c, raw ? raw : p, n, &doc, 0);
        if (rc == PDM_OK && (!doc.root || doc.root->tag != PDM_TAG_DDF_MGMTTREE))
            rc = item_fail(c, PDM_EFORMAT, "Meta Type %s but no MgmtTree",
                           san((const uint8_t *)type, strlen(type), s,
                               sizeof s));
        if (rc == PDM_OK)
            rc = tnds_walk(c, doc.root, (const char *)path.data);
        pdm__doc_free(&doc);
        if (raw)
            pdm__free_wipe(raw, n);
    } else {
        const void *v = has_data && data ? data : (const void *)"";
        size_t n = has_data && data ? dlen : 0;
        pdm__buf u;
        /* back to the "./" form the fragment holds */
        pdm__buf_init(&u);
        if (!pdm__uri_is_root((const char *)path.data, path.len))
            pdm__buf_puts(&u, "./");
        pdm__buf_append(&u, path.data, path.len);
        pdm__buf_free(&path);
        path = u;
        if (!pdm__buf_ok(&path)) {
            rc = PDM_ENOMEM;
        } else if (fmt) {
            f = pdm__format_from_name(fmt, strlen(fmt));
            if (f < 0)
                rc = item_fail(c, PDM_EFORMAT, "unknown Meta Format '%s'",
                               san((const uint8_t *)fmt, strlen(fmt), s,
                                   sizeof s));
        } else {
            f = c->op == PDM_OP_ADD && !has_data ? PDM_FORMAT_NODE
                                                 : PDM_FORMAT_CHR;
        }
        if (rc == PDM_OK && f == PDM_FORMAT_NODE && n)
            rc = item_fail(c, PDM_EFORMAT, "an interior node has Data");
        if (rc == PDM_OK) {
            rc = pdm__bs_frag_add(c->out, c->op, (const char *)path.data,
                                  (uint32_t)f, type, NULL,
                                  f == PDM_FORMAT_NODE ? NULL : v,
                                  f == PDM_FORMAT_NODE ? 0 : n);
            if (rc == PDM_ETOOBIG)
                rc = item_fail(c, rc, "more than %d nodes",
                               PDM__BS_MAX_NODES);
        }
    }
    pdm__buf_free(&path);
    return rc;
}

static int do_item(dctx *c, const pdm__el *cmd, const pdm__el *item)
{
    const pdm__el *tu = pdm__el_child(pdm__el_child(item, PDM_TAG_TARGET),
                                      PDM_TAG_LOCURI);
    const pdm__el *fe = meta_of(cmd, item, PDM_TAG_MI_FORMAT);
    const pdm__el *te = meta_of(cmd, item, PDM_TAG_MI_TYPE);
    const pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);

    c->target[0] = '\0';
    if (!tu || !tu->text)
        return item_fail(c, PDM_EFORMAT, "no Target LocURI");
    el_san(tu, c->target, sizeof c->target);
    if (pdm__el_child(item, PDM_TAG_MOREDATA))
        return item_fail(c, PDM_EFORMAT, "a large object (MoreData) has no "
                         "place in a bootstrap");
    if ((fe && fe->text && !pdm__xml_is_text(fe->text, fe->len)) ||
        (te && te->text && !pdm__xml_is_text(te->text, te->len)))
        return item_fail(c, PDM_EFORMAT, "Meta Format or Type is not text");
    return item_frag(c, tu->text, tu->len,
                     fe && fe->text ? (const char *)fe->text : NULL,
                     te && te->text ? (const char *)te->text : NULL,
                     pdm__el_child(data, PDM_TAG_DDF_MGMTTREE),
                     data ? data->text : NULL, data && data->text ? data->len
                                                                   : 0,
                     data != NULL);
}

int pdm__dmprof_item(int op, const char *target, const char *format,
                     const char *type, const pdm__el *mgmttree,
                     const uint8_t *data, size_t len, bool has_data,
                     pdm__bs_frag *out, char *err, size_t errlen)
{
    dctx c;
    if (err && errlen)
        err[0] = '\0';
    if (!out || !target || (op != PDM_OP_ADD && op != PDM_OP_REPLACE) ||
        (!data && len))
        return PDM_EINVAL;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.err = err;
    c.errlen = errlen;
    c.op = op;
    c.cmd = op == PDM_OP_ADD ? "Add" : "Replace";
    c.item = 1;
    san((const uint8_t *)target, strlen(target), c.target, sizeof c.target);
    return item_frag(&c, (const uint8_t *)target, strlen(target), format,
                     type, mgmttree, data, len, has_data);
}

static int do_cmd(dctx *c, const pdm__el *cmd)
{
    const pdm__el *id = pdm__el_child(cmd, PDM_TAG_CMDID);
    unsigned k = 0;
    el_san(id, c->cmdid, sizeof c->cmdid);
    c->cmd = cmd->tag == PDM_TAG_ADD ? "Add" : "Replace";
    c->op = cmd->tag == PDM_TAG_ADD ? PDM_OP_ADD : PDM_OP_REPLACE;
    c->target[0] = '\0';
    for (const pdm__el *it = pdm__el_child(cmd, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        int rc;
        c->item = ++k;
        if ((rc = do_item(c, cmd, it)) != PDM_OK)
            return rc;
    }
    if (!k)
        return fail(c, PDM_EFORMAT, "%s (CmdID %s) has no Item", c->cmd,
                    c->cmdid);
    return PDM_OK;
}

static int do_group(dctx *c, const pdm__el *g, unsigned depth)
{
    char s[80], id[24];
    for (const pdm__el *e = g->first; e; e = e->next) {
        int rc = PDM_OK;
        switch (e->tag) {
        case PDM_TAG_ADD:
        case PDM_TAG_REPLACE:
            rc = do_cmd(c, e);
            break;
        case PDM_TAG_ATOMIC:
        case PDM_TAG_SEQUENCE:
            if (depth >= MAX_GROUP_DEPTH)
                return fail(c, PDM_ETOOBIG, "%s (CmdID %s): Atomic/Sequence "
                            "nested more than %d deep", pdm__el_name(e),
                            el_san(pdm__el_child(e, PDM_TAG_CMDID), id,
                                   sizeof id), MAX_GROUP_DEPTH);
            rc = do_group(c, e, depth + 1);
            break;
        case PDM_TAG_FINAL:
            if (depth == 0)
                break;
            goto refuse;
        case PDM_TAG_CMDID:
        case PDM_TAG_META:
        case PDM_TAG_NORESP:
            if (depth > 0)
                break; /* parts of the Atomic/Sequence itself */
            goto refuse;
        default:
        refuse:
            return fail(c, PDM_EFORMAT, "%s (CmdID %s): a bootstrap message "
                        "only adds and replaces",
                        san((const uint8_t *)pdm__el_name(e),
                            strlen(pdm__el_name(e)), s, sizeof s),
                        el_san(pdm__el_child(e, PDM_TAG_CMDID), id,
                               sizeof id));
        }
        if (rc != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

int pdm__dmprof_decode(const uint8_t *buf, size_t len, bool wbxml,
                       pdm__bs_frag *out, char *err, size_t errlen)
{
    pdm__codec_limits lim = {0, 64, 1u << 18};
    pdm__codec_err ce;
    pdm__doc doc;
    const pdm__el *hdr, *body, *ver, *proto;
    dctx c;
    char s1[80], s2[80];
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out || (!buf && len))
        return PDM_EINVAL;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.err = err;
    c.errlen = errlen;
    pdm__doc_init(&doc);
    memset(&ce, 0, sizeof ce);
    rc = wbxml ? pdm__wbxml_decode(&doc, buf, len, &lim, &ce)
               : pdm__xml_decode(&doc, buf, len, &lim, &ce);
    if (rc != PDM_OK) {
        pdm__doc_free(&doc);
        if (rc == PDM_ENOMEM)
            return rc;
        return fail(&c, rc == PDM_ETOOBIG ? rc : PDM_EPARSE,
                    "malformed DM-profile message (%s %zu): %s",
                    wbxml ? "byte" : "line", ce.offset, ce.msg);
    }
    hdr = pdm__el_child(doc.root, PDM_TAG_SYNCHDR);
    body = pdm__el_child(doc.root, PDM_TAG_SYNCBODY);
    if (!doc.root || doc.root->tag != PDM_TAG_SYNCML || !hdr || !body) {
        pdm__doc_free(&doc);
        return fail(&c, PDM_EFORMAT, "not a SyncML message (SyncML with "
                    "SyncHdr and SyncBody)");
    }
    ver = pdm__el_child(hdr, PDM_TAG_VERDTD);
    proto = pdm__el_child(hdr, PDM_TAG_VERPROTO);
    if (!ver || !ver->text || strcmp((const char *)ver->text, "1.2") ||
        ver->len != 3 || !proto || !proto->text || proto->len != 6 ||
        strcmp((const char *)proto->text, "DM/1.2")) {
        rc = fail(&c, PDM_EFORMAT, "VerDTD '%s' VerProto '%s': a "
                  "DM-profile bootstrap is VerDTD 1.2, VerProto DM/1.2",
                  el_san(ver, s1, sizeof s1), el_san(proto, s2, sizeof s2));
        pdm__doc_free(&doc);
        return rc;
    }
    rc = do_group(&c, body, 0);
    pdm__doc_free(&doc);
    return rc;
}
