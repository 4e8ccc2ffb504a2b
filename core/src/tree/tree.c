/*
 * Management tree structure: node storage with an O(1) (parent, name)
 * hash, the undo log behind Atomic and package rollback, loading from and
 * committing to the store, core-internal writes, and the audit queue.
 * Requests with access decisions are in tree_ops.c.
 */
#include "tree/tree_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* ---- hashing --------------------------------------------------------------- */

static uint32_t node_hash(const pdm__node *parent, const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 1099511628211ull;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static void hash_insert(pdm__tree *t, pdm__node *n)
{
    size_t b = n->hash & (t->nbuckets - 1);
    n->hnext = t->buckets[b];
    t->buckets[b] = n;
}

static void hash_remove(pdm__tree *t, pdm__node *n)
{
    pdm__node **pp = &t->buckets[n->hash & (t->nbuckets - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    n->hnext = NULL;
}

static int hash_grow(pdm__tree *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 1024;
    pdm__node **b = pdm__calloc(nb, sizeof(*b));
    if (!b)
        return PDM_ENOMEM;
    for (size_t i = 0; i < t->nbuckets; i++) {
        pdm__node *n = t->buckets[i];
        while (n) {
            pdm__node *next = n->hnext;
            size_t k = n->hash & (nb - 1);
            n->hnext = b[k];
            b[k] = n;
            n = next;
        }
    }
    pdm__free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return PDM_OK;
}

/* The child of @parent named @name (@len bytes) whose hash is @h. */
static pdm__node *child_hashed(const pdm__tree *t, const pdm__node *parent,
                               const char *name, size_t len, uint32_t h)
{
    for (pdm__node *n = t->buckets[h & (t->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == h && n->parent == parent &&
            strncmp(n->name, name, len) == 0 && n->name[len] == '\0')
            return n;
    return NULL;
}

pdm__node *pdm__tree_child(const pdm__tree *t, const pdm__node *parent,
                           const char *name, size_t len)
{
    return child_hashed(t, parent, name, len, node_hash(parent, name, len));
}

/* ---- nodes ------------------------------------------------------------------ */

/* A node with its name in name_buf (NULL on out-of-memory). */
static pdm__node *node_alloc(const char *name, size_t len)
{
    pdm__node *n = pdm__calloc(1, sizeof(*n) + len + 1);
    if (!n)
        return NULL;
    memcpy(n->name_buf, name, len);
    n->name_buf[len] = '\0';
    n->name = n->name_buf;
    return n;
}

static void node_free_fields(pdm__node *n)
{
    if (n->name != n->name_buf && !n->name_borrowed)
        pdm__free(n->name);
    pdm__free(n->type);
    pdm__free(n->title);
    pdm__free(n->acl_str);
    pdm__acl_free(&n->acl);
    /* Values are wiped, whatever the node: an AAuthSecret, a nonce, or a
     * PIN kept by an MO under another name, and their undo copies
     * (pdm__tree_touch), all leave through here. */
    pdm__free_wipe(n->value, n->value_len);
}

static void node_free(pdm__node *n)
{
    node_free_fields(n);
    pdm__free(n);
}

/* Frees a detached subtree (children first, iteratively by depth). */
static void subtree_free(pdm__node *n)
{
    pdm__node *c = n->first;
    while (c) {
        pdm__node *next = c->next;
        subtree_free(c);
        c = next;
    }
    node_free(n);
}

static void link_child(pdm__node *parent, pdm__node *n, pdm__node *after)
{
    n->parent = parent;
    n->prev = after;
    n->next = after ? after->next : parent->first;
    if (n->next)
        n->next->prev = n;
    else
        parent->last = n;
    if (after)
        after->next = n;
    else
        parent->first = n;
    parent->nchildren++;
}

static void unlink_child(pdm__node *n)
{
    pdm__node *p = n->parent;
    if (n->prev)
        n->prev->next = n->next;
    else
        p->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        p->last = n->prev;
    p->nchildren--;
    n->next = n->prev = NULL;
}

/* Adds/removes a subtree's nodes to/from the hash and the count. */
static void subtree_hash(pdm__tree *t, pdm__node *n, bool insert)
{
    if (insert) {
        hash_insert(t, n);
        t->count++;
    } else {
        hash_remove(t, n);
        t->count--;
    }
    for (pdm__node *c = n->first; c; c = c->next)
        subtree_hash(t, c, insert);
}

const char *pdm__tree_intern(pdm__tree *t, const char *s)
{
    pdm__intern *in;
    size_t len;
    if (!s)
        return NULL;
    for (in = t->interned; in; in = in->next)
        if (strcmp(in->s, s) == 0)
            return in->s;
    len = strlen(s);
    in = pdm__malloc(sizeof(*in) + len + 1);
    if (!in)
        return NULL;
    memcpy(in->s, s, len + 1);
    in->next = t->interned;
    t->interned = in;
    return in->s;
}

static int undo_push(pdm__tree *t, pdm__undo_kind k, pdm__node *n,
                     pdm__node *prev, pdm__node *saved)
{
    if (!t->in_tx)
        return PDM_OK; /* outside a transaction changes are final */
    if (t->nundo == t->capundo) {
        size_t cap = t->capundo ? t->capundo * 2 : 64;
        pdm__undo *u = pdm__realloc(t->undo, cap * sizeof(*u));
        if (!u)
            return PDM_ENOMEM;
        t->undo = u;
        t->capundo = cap;
    }
    t->undo[t->nundo].kind = k;
    t->undo[t->nundo].node = n;
    t->undo[t->nundo].prev = prev;
    t->undo[t->nundo].saved = saved;
    t->undo[t->nundo].mkey = NULL;
    t->undo[t->nundo].mold = NULL;
    t->nundo++;
    return PDM_OK;
}

static int64_t now_s(void) { return (int64_t)time(NULL); }

void pdm__node_bump(pdm__node *n)
{
    n->tstamp = now_s();
    n->verno = (uint16_t)(n->verno + 1); /* 16-bit, wraps FFFF -> 0000 */
}

pdm__node *pdm__tree_new_child(pdm__tree *t, pdm__node *parent,
                               const char *name, size_t len, uint32_t format,
                               const char *owner)
{
    pdm__node *n;
    if (t->count + 1 > t->nbuckets && hash_grow(t) != PDM_OK)
        return NULL;
    n = node_alloc(name, len);
    if (!n)
        return NULL;
    n->id = t->next_id++;
    n->format = format;
    if (pdm__tree_is_secret_name(n->name))
        n->flags |= PDM_NODE_SECRET;
    n->owner = pdm__tree_intern(t, owner);
    if (owner && !n->owner) {
        /* a node without its owner would change who may touch it */
        node_free(n);
        return NULL;
    }
    n->tstamp = now_s();
    n->hash = node_hash(parent, name, len);
    if (undo_push(t, U_CREATE, n, NULL, NULL) != PDM_OK) {
        node_free(n);
        return NULL;
    }
    link_child(parent, n, parent->last);
    hash_insert(t, n);
    t->count++;
    return n;
}

int pdm__tree_detach(pdm__tree *t, pdm__node *n)
{
    int rc = undo_push(t, U_DELETE, n, n->prev, NULL);
    pdm__node *parent = n->parent;
    if (rc != PDM_OK)
        return rc;
    subtree_hash(t, n, false);
    unlink_child(n);
    n->parent = parent; /* kept to reattach on rollback */
    n->detached = true;
    if (!t->in_tx)
        subtree_free(n);
    return PDM_OK;
}

/* The undo snapshot of n: everything a change may alter, the value only
 * when copy_value (pdm__tree_touch_value moves it over instead). */
static pdm__node *snapshot(const pdm__node *n, bool copy_value)
{
    pdm__node *s = pdm__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    /* A name still in the node's own allocation changes only by a rename,
     * which moves it elsewhere: the snapshot borrows it (the node outlives
     * its snapshots: undo runs LIFO, drop_undo frees snapshots first). */
    if (n->name == n->name_buf) {
        s->name = (char *)n->name_buf;
        s->name_borrowed = true;
    } else {
        s->name = pdm__strdup(n->name);
    }
    s->type = n->type ? pdm__strdup(n->type) : NULL;
    s->title = n->title ? pdm__strdup(n->title) : NULL;
    s->acl_str = n->acl_str ? pdm__strdup(n->acl_str) : NULL;
    s->value = copy_value && n->has_value
                   ? pdm__malloc(n->value_len ? n->value_len : 1)
                   : NULL;
    if (!s->name || (n->type && !s->type) || (n->title && !s->title) ||
        (n->acl_str && !s->acl_str) ||
        (copy_value && n->has_value && !s->value) ||
        /* most nodes have no ACL of their own: nothing to copy */
        (!pdm__acl_is_empty(&n->acl) &&
         pdm__acl_copy(&s->acl, &n->acl) != PDM_OK)) {
        node_free(s);
        return NULL;
    }
    if (copy_value) {
        if (n->value_len)
            memcpy(s->value, n->value, n->value_len);
        s->value_len = n->value_len;
        s->has_value = n->has_value;
    }
    s->format = n->format;
    s->flags = n->flags;
    s->owner = n->owner;
    s->tstamp = n->tstamp;
    s->verno = n->verno;
    s->handler = n->handler;
    return s;
}

int pdm__tree_touch(pdm__tree *t, pdm__node *n)
{
    pdm__node *s;
    int rc;
    if (!t->in_tx)
        return PDM_OK;
    s = snapshot(n, true);
    if (!s)
        return PDM_ENOMEM;
    rc = undo_push(t, U_MODIFY, n, NULL, s);
    if (rc != PDM_OK)
        node_free(s);
    return rc;
}

int pdm__tree_touch_value(pdm__tree *t, pdm__node *n, const uint8_t *v,
                          size_t len)
{
    pdm__node *s;
    uint8_t *nv;
    int rc;
    if (!t->in_tx)
        return pdm__node_set_value(n, v, len);
    nv = pdm__malloc(len ? len : 1);
    s = nv ? snapshot(n, false) : NULL;
    rc = s ? undo_push(t, U_MODIFY, n, NULL, s) : PDM_ENOMEM;
    if (rc != PDM_OK) {
        if (s)
            node_free(s);
        pdm__free(nv);
        return rc;
    }
    if (len)
        memcpy(nv, v, len);
    /* The old value goes to the snapshot (wiped when it is freed). */
    s->value = n->value;
    s->value_len = n->value_len;
    s->has_value = n->has_value;
    n->value = nv;
    n->value_len = len;
    n->has_value = true;
    return PDM_OK;
}

static void swap_fields(pdm__node *n, pdm__node *s)
{
    pdm__node tmp = *n;
    /* A name still in name_buf was never changed since the snapshot (a
     * rename moves it to its own allocation): it stays, and the snapshot
     * keeps (and frees) its copy. */
    bool keep_name = n->name == n->name_buf;
    if (!keep_name) /* renamed: its name is heap, the snapshot's either */
        n->name = s->name;
    n->type = s->type;
    n->title = s->title;
    n->acl_str = s->acl_str;
    n->acl = s->acl;
    n->value = s->value;
    n->value_len = s->value_len;
    n->has_value = s->has_value;
    n->format = s->format;
    n->flags = s->flags;
    n->owner = s->owner;
    n->tstamp = s->tstamp;
    n->verno = s->verno;
    n->handler = s->handler;
    if (!keep_name) {
        s->name = tmp.name;
        s->name_borrowed = false;
    }
    s->type = tmp.type;
    s->title = tmp.title;
    s->acl_str = tmp.acl_str;
    s->acl = tmp.acl;
    s->value = tmp.value;
    s->value_len = tmp.value_len; /* what node_free wipes */
}

int pdm__node_set_value(pdm__node *n, const uint8_t *v, size_t len)
{
    uint8_t *nv = NULL;
    if (v) {
        nv = pdm__malloc(len ? len : 1);
        if (!nv)
            return PDM_ENOMEM;
        if (len)
            memcpy(nv, v, len);
    }
    pdm__free_wipe(n->value, n->value_len);
    n->value = nv;
    n->value_len = v ? len : 0;
    n->has_value = v != NULL;
    return PDM_OK;
}

int pdm__node_set_str(char **field, const char *s)
{
    char *d = NULL;
    if (s && *s && !(d = pdm__strdup(s)))
        return PDM_ENOMEM;
    pdm__free(*field);
    *field = d;
    return PDM_OK;
}

int pdm__node_set_acl(pdm__node *n, const char *acl, char *err, size_t nerr)
{
    pdm__acl parsed;
    pdm__buf canon;
    char *str = NULL;
    int rc;
    if (!acl || !*acl) { /* most nodes: nothing to parse or format */
        pdm__acl_free(&n->acl);
        pdm__free(n->acl_str);
        n->acl_str = NULL;
        return PDM_OK;
    }
    rc = pdm__acl_parse(acl, &parsed, err, nerr);
    if (rc != PDM_OK)
        return rc;
    if (!pdm__acl_is_empty(&parsed)) {
        pdm__buf_init(&canon);
        pdm__acl_format(&parsed, &canon);
        str = (char *)pdm__buf_steal(&canon, NULL);
        if (!str) {
            pdm__acl_free(&parsed);
            return PDM_ENOMEM;
        }
    }
    pdm__acl_free(&n->acl);
    pdm__free(n->acl_str);
    n->acl = parsed;
    n->acl_str = str;
    return PDM_OK;
}

bool pdm__tree_is_secret_name(const char *name)
{
    /* DMAcc credentials (TND/DMAcc: "no Get") and the connectivity MO's
     * secrets as the CP mapping names them (docs/cp-mapping.md: NAP and
     * proxy AuthSecret, BasAuthSecret, ProxySecret).  Any node of these
     * names is treated as secret, wherever it is: failing closed costs
     * nothing. */
    static const char *const names[] = {"AAuthSecret", "AAuthData",
                                        "AuthSecret", "BasAuthSecret",
                                        "ProxySecret"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

int pdm__node_rename(pdm__tree *t, pdm__node *n, const char *name, size_t len)
{
    char *nn = pdm__strndup(name, len);
    if (!nn)
        return PDM_ENOMEM;
    /* Renaming never makes a secret readable; renaming to a secret name
     * makes the node secret. */
    if (pdm__tree_is_secret_name(nn))
        n->flags |= PDM_NODE_SECRET;
    hash_remove(t, n);
    if (n->name != n->name_buf)
        pdm__free(n->name);
    n->name = nn;
    n->hash = node_hash(n->parent, name, len);
    hash_insert(t, n);
    return PDM_OK;
}

void *pdm__node_handler(const pdm__node *n, const pdm__node **base)
{
    for (; n; n = n->parent)
        if (n->handler) {
            if (base)
                *base = n;
            return n->handler;
        }
    return NULL;
}

bool pdm__node_subtree_has(const pdm__node *n, uint32_t f)
{
    if (n->flags & f)
        return true;
    for (const pdm__node *c = n->first; c; c = c->next)
        if (pdm__node_subtree_has(c, f))
            return true;
    return false;
}

/* ---- accessors ---------------------------------------------------------------- */

pdm__node *pdm__tree_root(const pdm__tree *t) { return t->root; }
const char *pdm__tree_dmacc_acl(const pdm__tree *t)
{
    return t->cfg.dmacc_acl ? t->cfg.dmacc_acl : "Get=*";
}
size_t pdm__tree_count(const pdm__tree *t) { return t->count; }
pdm__node *pdm__node_parent(const pdm__node *n) { return n->parent; }
pdm__node *pdm__node_first_child(const pdm__node *n) { return n->first; }
pdm__node *pdm__node_next_sibling(const pdm__node *n) { return n->next; }
const char *pdm__node_name(const pdm__node *n) { return n->name; }
bool pdm__node_is_interior(const pdm__node *n)
{
    return n->format == PDM_FORMAT_NODE;
}
uint32_t pdm__node_format(const pdm__node *n) { return n->format; }
uint32_t pdm__node_flags(const pdm__node *n) { return n->flags; }
const char *pdm__node_type(const pdm__node *n) { return n->type ? n->type : ""; }
const char *pdm__node_title(const pdm__node *n)
{
    return n->title ? n->title : "";
}
const char *pdm__node_acl(const pdm__node *n)
{
    return n->acl_str ? n->acl_str : "";
}
const char *pdm__node_owner(const pdm__node *n)
{
    return n->owner ? n->owner : "";
}
int64_t pdm__node_tstamp(const pdm__node *n) { return n->tstamp; }
uint32_t pdm__node_verno(const pdm__node *n) { return n->verno; }
size_t pdm__node_child_count(const pdm__node *n) { return n->nchildren; }

const uint8_t *pdm__node_value(const pdm__node *n, size_t *len)
{
    if (len)
        *len = n->value_len;
    return n->value;
}

void pdm__node_path(const pdm__node *n, pdm__buf *b)
{
    const pdm__node *chain[256];
    size_t depth = 0;
    if (!n->parent) {
        pdm__buf_putc(b, '.');
        return;
    }
    for (const pdm__node *c = n; c->parent && depth < 256; c = c->parent)
        chain[depth++] = c;
    while (depth-- > 0) {
        pdm__buf_puts(b, chain[depth]->name);
        if (depth)
            pdm__buf_putc(b, '/');
    }
}

const pdm__acl *pdm__node_effective_acl(const pdm__node *n,
                                        const pdm__node **from)
{
    for (const pdm__node *c = n; c; c = c->parent) {
        if (!pdm__acl_is_empty(&c->acl)) {
            if (from)
                *from = c;
            return &c->acl;
        }
    }
    if (from)
        *from = NULL;
    return NULL;
}

pdm__node *pdm__tree_find(const pdm__tree *t, const char *path, size_t len)
{
    pdm__node *n = t->root;
    const char *p = path, *end = path + len;
    if (pdm__uri_is_root(path, len))
        return n;
    while (p < end && n) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t seg = slash ? (size_t)(slash - p) : (size_t)(end - p);
        n = pdm__tree_child(t, n, p, seg);
        p += seg + 1;
    }
    return n;
}

pdm__node *pdm__tree_lookup(const pdm__tree *t, const char *uri)
{
    pdm__uri u;
    pdm__node *n = NULL;
    if (!uri || pdm__uri_parse(&u, uri, strlen(uri), NULL, NULL, 0) != PDM_OK)
        return NULL;
    if (u.query == PDM_URI_Q_NONE)
        n = pdm__tree_find(t, u.path, u.len);
    pdm__uri_free(&u);
    return n;
}

void pdm__tree_set_limits(pdm__tree *t, const pdm__uri_limits *lim)
{
    t->cfg.limits = *lim;
}

const pdm__uri_limits *pdm__tree_limits(const pdm__tree *t)
{
    return &t->cfg.limits;
}

/* ---- the tree's stored facts --------------------------------------------------
 * Facts about the tree that are no node: the root owner (its own fact,
 * not the root node's creator) and the record of how each DM account
 * came (engine/authority.h).  They live in memory as key/value pairs,
 * change through the undo log like nodes (an abort or an Atomic rollback
 * restores them) and reach the store with the commit that changed them,
 * as one kv row ("core", KV_META): "M1\n" then "key\tvalue\n" per fact. */
#define KV_META "tree-meta"
#define META_ROOT_OWNER "root-owner"

static pdm__meta *meta_find(const pdm__tree *t, const char *key)
{
    for (size_t i = 0; i < t->nmeta; i++)
        if (strcmp(t->meta[i].key, key) == 0)
            return &t->meta[i];
    return NULL;
}

/* Sets @key to a copy of @value (NULL removes it) without undo.  A
 * removal or a change of an existing key cannot fail for want of slots;
 * only the copies may. */
static int meta_put(pdm__tree *t, const char *key, const char *value)
{
    pdm__meta *m = meta_find(t, key);
    char *v = NULL;
    if (value && !(v = pdm__strdup(value)))
        return PDM_ENOMEM;
    if (m) {
        pdm__free(m->value);
        if (v) {
            m->value = v;
            return PDM_OK;
        }
        pdm__free(m->key);
        *m = t->meta[--t->nmeta];
        return PDM_OK;
    }
    if (!v)
        return PDM_OK;
    if (t->nmeta == t->capmeta) {
        size_t cap = t->capmeta ? t->capmeta * 2 : 8;
        pdm__meta *nm = pdm__realloc(t->meta, cap * sizeof(*nm));
        if (!nm) {
            pdm__free(v);
            return PDM_ENOMEM;
        }
        t->meta = nm;
        t->capmeta = cap;
    }
    if (!(t->meta[t->nmeta].key = pdm__strdup(key))) {
        pdm__free(v);
        return PDM_ENOMEM;
    }
    t->meta[t->nmeta++].value = v;
    return PDM_OK;
}

/* A key or value the stored form can carry: one line without a tab. */
static bool meta_text_ok(const char *s, bool allow_empty)
{
    if (!s || (!*s && !allow_empty))
        return false;
    for (; *s; s++)
        if (*s == '\t' || *s == '\n' || *s == '\r')
            return false;
    return true;
}

const char *pdm__tree_meta_get(const pdm__tree *t, const char *key)
{
    const pdm__meta *m = key ? meta_find(t, key) : NULL;
    return m ? m->value : NULL;
}

int pdm__tree_meta_set(pdm__tree *t, const char *key, const char *value)
{
    const pdm__meta *m;
    char *k, *old = NULL;
    int rc;
    if (!meta_text_ok(key, false) || (value && !meta_text_ok(value, true)))
        return PDM_EINVAL;
    m = meta_find(t, key);
    if ((!m && !value) || (m && value && strcmp(m->value, value) == 0))
        return PDM_OK; /* nothing changes */
    if (!t->in_tx) {
        /* On its own: one transaction, stored at once. */
        if ((rc = pdm__tree_begin(t)) != PDM_OK)
            return rc;
        rc = pdm__tree_meta_set(t, key, value);
        if (rc != PDM_OK) {
            pdm__tree_abort(t);
            return rc;
        }
        return pdm__tree_commit(t);
    }
    if (!(k = pdm__strdup(key)) || (m && !(old = pdm__strdup(m->value)))) {
        pdm__free(k);
        return PDM_ENOMEM;
    }
    if ((rc = undo_push(t, U_META, NULL, NULL, NULL)) != PDM_OK) {
        pdm__free(k);
        pdm__free(old);
        return rc;
    }
    t->undo[t->nundo - 1].mkey = k;
    t->undo[t->nundo - 1].mold = old;
    rc = meta_put(t, key, value);
    if (rc != PDM_OK) { /* the change did not happen */
        t->nundo--;
        pdm__free(t->undo[t->nundo].mkey);
        pdm__free(t->undo[t->nundo].mold);
    }
    return rc;
}

int pdm__tree_meta_each(const pdm__tree *t, const char *prefix,
                        int (*cb)(void *user, const char *key,
                                  const char *value),
                        void *user)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    for (size_t i = 0; i < t->nmeta; i++) {
        int rc;
        if (pl && strncmp(t->meta[i].key, prefix, pl) != 0)
            continue;
        if ((rc = cb(user, t->meta[i].key, t->meta[i].value)) != 0)
            return rc;
    }
    return PDM_OK;
}

bool pdm__owner_is_server(const char *owner)
{
    return owner && *owner && strcmp(owner, "factory") != 0 &&
           strcmp(owner, "local") != 0 &&
           strncmp(owner, "bootstrap:", 10) != 0;
}

const char *pdm__tree_root_owner(const pdm__tree *t)
{
    const char *o = pdm__tree_meta_get(t, META_ROOT_OWNER);
    return o && *o ? o : NULL;
}

int pdm__tree_set_root_owner(pdm__tree *t, const char *server_id)
{
    if (server_id && !pdm__owner_is_server(server_id))
        return PDM_EINVAL;
    /* "" = nobody, stored as such: a store that says so explicitly is
     * never migrated (meta_load). */
    return pdm__tree_meta_set(t, META_ROOT_OWNER, server_id ? server_id : "");
}

static int meta_write(pdm__tree *t)
{
    pdm__buf b;
    int rc;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "M1\n");
    for (size_t i = 0; i < t->nmeta; i++)
        pdm__buf_printf(&b, "%s\t%s\n", t->meta[i].key, t->meta[i].value);
    rc = pdm__buf_ok(&b) ? pdm__store_kv_put(t->cfg.store, "core", KV_META,
                                             b.data, b.len)
                         : PDM_ENOMEM;
    pdm__buf_free(&b);
    return rc;
}

/* Reads the facts; a store written before they existed has none: its root
 * owner is what the old bootstrap grant code made of it, the root node's
 * owner when that is a ServerID (the root node itself was the factory's),
 * moved over once and written with the next commit. */
static int meta_load(pdm__tree *t, char *err, size_t errlen)
{
    uint8_t *v = NULL;
    size_t len = 0;
    int rc = PDM_OK;
    if (t->cfg.store) {
        rc = pdm__store_kv_get(t->cfg.store, "core", KV_META, &v, &len);
        if (rc == PDM_ENOTFOUND) {
            rc = PDM_OK;
        } else if (rc != PDM_OK) {
            snprintf(err, errlen, "%s", pdm__store_error(t->cfg.store));
            return rc;
        } else if (len < 3 || memcmp(v, "M1\n", 3) != 0) {
            rc = PDM_ECORRUPT;
        } else {
            for (size_t p = 3; p < len && rc == PDM_OK;) {
                const uint8_t *nl = memchr(v + p, '\n', len - p);
                const uint8_t *tab = nl ? memchr(v + p, '\t',
                                                 (size_t)(nl - (v + p)))
                                        : NULL;
                char *k, *val;
                if (!tab || tab == v + p || memchr(v + p, 0, (size_t)(nl - (v + p)))) {
                    rc = PDM_ECORRUPT;
                    break;
                }
                k = pdm__strndup((const char *)v + p, (size_t)(tab - (v + p)));
                val = pdm__strndup((const char *)tab + 1,
                                   (size_t)(nl - tab - 1));
                rc = k && val ? meta_put(t, k, val) : PDM_ENOMEM;
                pdm__free(k);
                pdm__free(val);
                p = (size_t)(nl - v) + 1;
            }
        }
        pdm__free(v);
        if (rc == PDM_ECORRUPT) {
            snprintf(err, errlen, "the tree's stored facts (root owner, "
                     "account records) are unreadable (store damaged)");
            return rc;
        }
        if (rc != PDM_OK)
            return rc;
    }
    if (!meta_find(t, META_ROOT_OWNER)) {
        const char *ro = t->root->owner;
        bool migrate = pdm__owner_is_server(ro);
        rc = meta_put(t, META_ROOT_OWNER, migrate ? ro : "");
        if (rc != PDM_OK)
            return rc;
        if (migrate) {
            const char *f = pdm__tree_intern(t, "factory");
            if (!f)
                return PDM_ENOMEM;
            t->root->owner = f;
        }
        t->meta_dirty = true;
    }
    return PDM_OK;
}

/* ---- open / load --------------------------------------------------------------- */

/* Loading: rows arrive in ascending id order, parents first.  Ids are
 * dense (they only grow and gaps come from deletions), so a plain array
 * indexed by id finds a parent in O(1) without hashing. */
typedef struct loader {
    pdm__tree *t;
    pdm__node **byid; /* index = id, sized max_id + 1 */
    int64_t max_id;
    char *err;
    size_t errlen;
} loader;

static pdm__node *id_find(const loader *L, int64_t id)
{
    return id > 0 && id <= L->max_id ? L->byid[id] : NULL;
}

static int id_put(loader *L, pdm__node *n)
{
    if (n->id <= 0 || n->id > L->max_id || L->byid[n->id])
        return PDM_ECORRUPT;
    L->byid[n->id] = n;
    return PDM_OK;
}

static int load_cb(void *user, const pdm__node_rec *r)
{
    loader *L = user;
    pdm__tree *t = L->t;
    pdm__node *n, *parent = NULL;
    size_t name_len = strlen(r->name);
    uint32_t h = 0;
    char aerr[160];
    int rc;

    if (r->id == 1) {
        if (t->root) {
            snprintf(L->err, L->errlen, "store holds two root nodes");
            return PDM_ECORRUPT;
        }
    } else {
        parent = id_find(L, r->parent);
        if (!parent) {
            snprintf(L->err, L->errlen,
                     "node %lld '%s' has no parent %lld (store damaged)",
                     (long long)r->id, r->name, (long long)r->parent);
            return PDM_ECORRUPT;
        }
        if (parent->format != PDM_FORMAT_NODE) {
            snprintf(L->err, L->errlen, "node %lld has a leaf as parent",
                     (long long)r->id);
            return PDM_ECORRUPT;
        }
        h = node_hash(parent, r->name, name_len);
        if (child_hashed(t, parent, r->name, name_len, h)) {
            snprintf(L->err, L->errlen, "duplicate node name '%s'", r->name);
            return PDM_ECORRUPT;
        }
    }
    if (r->format > PDM_FORMAT_FLOAT) {
        snprintf(L->err, L->errlen, "node %lld has unknown format %u",
                 (long long)r->id, (unsigned)r->format);
        return PDM_ECORRUPT;
    }
    if (t->count + 1 > t->nbuckets && hash_grow(t) != PDM_OK)
        return PDM_ENOMEM;
    n = node_alloc(r->name, name_len);
    if (!n)
        return PDM_ENOMEM;
    if (pdm__node_set_str(&n->type, r->type) != PDM_OK ||
        pdm__node_set_str(&n->title, r->title) != PDM_OK ||
        (r->has_value && pdm__node_set_value(n, r->value ? r->value : (const uint8_t *)"",
                                              r->value_len) != PDM_OK)) {
        node_free(n);
        return PDM_ENOMEM;
    }
    rc = pdm__node_set_acl(n, r->acl, aerr, sizeof aerr);
    if (rc != PDM_OK) {
        node_free(n);
        if (rc == PDM_ENOMEM)
            return rc;
        snprintf(L->err, L->errlen, "node %lld has an invalid ACL: %s",
                 (long long)r->id, aerr);
        return PDM_ECORRUPT;
    }
    n->id = r->id;
    n->format = r->format;
    n->flags = r->flags;
    n->owner = pdm__tree_intern(t, r->owner);
    if (r->owner && !n->owner) {
        /* loaded without its owner, the node would change hands */
        node_free(n);
        return PDM_ENOMEM;
    }
    n->tstamp = r->tstamp;
    n->verno = (uint16_t)r->verno;
    if (id_put(L, n) != PDM_OK) {
        snprintf(L->err, L->errlen, "node id %lld out of range or repeated",
                 (long long)r->id);
        node_free(n);
        return PDM_ECORRUPT;
    }
    if (!parent) {
        t->root = n;
        n->hash = node_hash(NULL, n->name, name_len);
        t->count++;
        return PDM_OK;
    }
    n->hash = h;
    link_child(parent, n, parent->last);
    hash_insert(t, n);
    t->count++;
    return PDM_OK;
}

static int make_root(pdm__tree *t)
{
    char err[128];
    pdm__node *r = node_alloc(".", 1);
    if (!r)
        return PDM_ENOMEM;
    r->id = 1;
    r->format = PDM_FORMAT_NODE;
    r->flags = PDM_NODE_PERMANENT;
    r->owner = pdm__tree_intern(t, "factory");
    if (!r->owner) {
        node_free(r);
        return PDM_ENOMEM;
    }
    r->tstamp = now_s();
    if (pdm__node_set_acl(r, t->cfg.root_acl ? t->cfg.root_acl
                                             : PDM_ACL_ROOT_DEFAULT,
                          err, sizeof err) != PDM_OK) {
        /* The engine checked the authority's ACL: only memory fails. */
        node_free(r);
        return PDM_ENOMEM;
    }
    t->root = r;
    t->count = 1;
    return PDM_OK;
}

int pdm__tree_open(pdm__tree **out, const pdm__tree_config *cfg, char *err,
                   size_t errlen)
{
    pdm__tree *t;
    int rc = PDM_OK;
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    t = pdm__calloc(1, sizeof(*t));
    if (!t)
        return PDM_ENOMEM;
    t->cfg = *cfg;
    t->next_id = 2;
    if (hash_grow(t) != PDM_OK) {
        pdm__free(t);
        return PDM_ENOMEM;
    }
    if (cfg->store) {
        loader L = {t, NULL, 0, err, errlen};
        L.max_id = pdm__store_max_node_id(cfg->store);
        if (L.max_id < 0 || L.max_id > (int64_t)(SIZE_MAX / sizeof(void *)) - 1) {
            rc = PDM_ECORRUPT;
            snprintf(err, errlen, "node ids out of range");
        } else if (!(L.byid = pdm__calloc((size_t)L.max_id + 1, sizeof(*L.byid)))) {
            rc = PDM_ENOMEM;
        } else {
            /* Size the name hash once instead of growing it row by row. */
            while (t->nbuckets < (size_t)L.max_id && rc == PDM_OK)
                rc = hash_grow(t);
            if (rc == PDM_OK)
                rc = pdm__store_load_nodes(cfg->store, load_cb, &L);
        }
        pdm__free(L.byid);
        if (rc == PDM_OK)
            t->next_id = L.max_id + 1 > 2 ? L.max_id + 1 : 2;
        else if (!err[0])
            snprintf(err, errlen, "%s", pdm__store_error(cfg->store));
    }
    if (rc == PDM_OK && !t->root)
        rc = t->count ? PDM_ECORRUPT : make_root(t);
    if (rc == PDM_OK)
        rc = meta_load(t, err, errlen);
    if (rc != PDM_OK) {
        if (rc == PDM_ECORRUPT && !err[0])
            snprintf(err, errlen, "store has nodes but no root");
        pdm__tree_free(t);
        return rc;
    }
    *out = t;
    return PDM_OK;
}

void pdm__tree_free(pdm__tree *t)
{
    if (!t)
        return;
    if (t->in_tx)
        pdm__tree_abort(t);
    if (t->root)
        subtree_free(t->root);
    pdm__free(t->buckets);
    pdm__free(t->undo);
    for (size_t i = 0; i < t->nmeta; i++) {
        pdm__free(t->meta[i].key);
        pdm__free(t->meta[i].value);
    }
    pdm__free(t->meta);
    while (t->interned) {
        pdm__intern *n = t->interned->next;
        pdm__free(t->interned);
        t->interned = n;
    }
    pdm__free(t);
}

/* ---- transactions ------------------------------------------------------------- */

int pdm__tree_begin(pdm__tree *t)
{
    if (t->in_tx)
        return PDM_EINVAL;
    t->in_tx = true;
    t->nundo = 0;
    return PDM_OK;
}

bool pdm__tree_in_transaction(const pdm__tree *t) { return t->in_tx; }

size_t pdm__tree_savepoint(const pdm__tree *t) { return t->nundo; }

static void undo_one(pdm__tree *t, pdm__undo *u)
{
    pdm__node *n = u->node;
    switch (u->kind) {
    case U_CREATE:
        /* Everything created below it later was undone first (LIFO). */
        hash_remove(t, n);
        unlink_child(n);
        t->count--;
        node_free(n);
        break;
    case U_DELETE:
        n->detached = false;
        link_child(n->parent, n, u->prev);
        subtree_hash(t, n, true);
        break;
    case U_MODIFY: {
        bool renamed = strcmp(n->name, u->saved->name) != 0;
        if (renamed)
            hash_remove(t, n);
        swap_fields(n, u->saved);
        if (renamed) {
            n->hash = node_hash(n->parent, n->name, strlen(n->name));
            hash_insert(t, n);
        }
        node_free(u->saved);
        break;
    }
    case U_META:
        meta_put(t, u->mkey, u->mold); /* restoring never grows: kept */
        pdm__free(u->mkey);
        pdm__free(u->mold);
        break;
    }
}

void pdm__tree_rollback_to(pdm__tree *t, size_t sp)
{
    while (t->nundo > sp)
        undo_one(t, &t->undo[--t->nundo]);
}

static bool node_live(const pdm__node *n)
{
    for (; n; n = n->parent)
        if (n->detached)
            return false;
    return true;
}

static void rec_from_node(pdm__node_rec *r, const pdm__node *n)
{
    r->id = n->id;
    r->parent = n->parent ? n->parent->id : 0;
    r->name = n->name;
    r->format = n->format;
    r->flags = n->flags;
    r->type = n->type;
    r->title = n->title;
    r->acl = n->acl_str;
    r->owner = n->owner;
    r->tstamp = n->tstamp;
    r->verno = n->verno;
    r->value = n->value;
    r->value_len = n->value_len;
    /* Handler-valued leaves keep no value in the store. */
    r->has_value = n->has_value;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether only what pdm__store_set_value writes changed since @u, the
 * node's first undo record of the package: its snapshot is the stored row
 * (every change is logged before it is made), except for the root while a
 * migration (meta_dirty) changed it in memory only.  Owners are interned,
 * so equal owners are the same pointer. */
static bool value_only(const pdm__tree *t, const pdm__undo *u)
{
    const pdm__node *n = u->node, *o = u->saved;
    return u->kind == U_MODIFY && !(t->meta_dirty && n == t->root) &&
           o->flags == n->flags && o->owner == n->owner &&
           strcmp(o->name, n->name) == 0 && same_str(o->title, n->title) &&
           same_str(o->acl_str, n->acl_str);
}

/* Deletes a node's row; a row that is not there (a node created and
 * deleted in the same package, or deleted twice) is fine. */
static int del_row(pdm__store *s, int64_t id)
{
    int rc = pdm__store_del_node(s, id);
    return rc == PDM_ENOTFOUND ? PDM_OK : rc;
}

static int del_subtree_rows(pdm__store *s, const pdm__node *n)
{
    int rc = del_row(s, n->id);
    for (const pdm__node *c = n->first; c && rc == PDM_OK; c = c->next)
        rc = del_subtree_rows(s, c);
    return rc;
}

/* The queued rows (pdm__tree_audit's packing: the time, a byte saying
 * whether there is a URI, then principal, op, [uri,] decision, component
 * and reason, each NUL-terminated), in the store's open transaction. */
static int write_audit(pdm__tree *t)
{
    int rc = PDM_OK;
    const unsigned char *p = t->audit_buf, *end = p + t->audit_len;
    while (p < end && rc == PDM_OK) {
        pdm__audit_rec r = {0};
        bool has_uri;
        memcpy(&r.ts_ms, p, sizeof r.ts_ms);
        has_uri = p[sizeof r.ts_ms];
        p += sizeof r.ts_ms + 1;
#define NEXT(f) (r.f = (const char *)p, p += strlen(r.f) + 1)
        NEXT(principal);
        NEXT(op);
        if (has_uri)
            NEXT(uri);
        NEXT(decision);
        NEXT(component);
        NEXT(reason);
#undef NEXT
        rc = pdm__store_audit_add(t->cfg.store, &r);
    }
    return rc;
}

/* Writes the queued rows in a store transaction of their own (or the
 * store's open one) and empties the queue; on failure they stay queued
 * (the commit tries again). */
static int flush_audit(pdm__tree *t)
{
    pdm__store *s = t->cfg.store;
    bool own = !pdm__store_in_transaction(s);
    int rc = own ? pdm__store_begin(s) : PDM_OK;
    if (rc == PDM_OK)
        rc = write_audit(t);
    if (own && rc == PDM_OK)
        rc = pdm__store_commit(s);
    else if (own)
        pdm__store_rollback(s);
    if (rc == PDM_OK)
        t->audit_len = 0;
    return rc;
}

/* Did the package change a secret (AAuthSecret, AAuthData): a value
 * replaced, a node created or deleted? */
static bool touched_secret(const pdm__tree *t)
{
    for (size_t i = 0; i < t->nundo; i++) {
        const pdm__undo *u = &t->undo[i];
        if (u->kind == U_META)
            continue;
        if ((u->node->flags & PDM_NODE_SECRET) ||
            (u->kind == U_MODIFY && (u->saved->flags & PDM_NODE_SECRET)) ||
            (u->kind == U_DELETE &&
             pdm__node_subtree_has(u->node, PDM_NODE_SECRET)))
            return true;
    }
    return false;
}

static void drop_undo(pdm__tree *t)
{
    /* MODIFY snapshots first: they may describe nodes inside subtrees that
     * are freed below.  Each detached root is unlinked from its parent, so
     * freeing one never reaches another. */
    for (size_t i = 0; i < t->nundo; i++)
        if (t->undo[i].kind == U_MODIFY) {
            node_free(t->undo[i].saved);
        } else if (t->undo[i].kind == U_META) {
            pdm__free(t->undo[i].mkey);
            pdm__free(t->undo[i].mold);
        }
    for (size_t i = 0; i < t->nundo; i++)
        if (t->undo[i].kind == U_DELETE && t->undo[i].node->detached)
            subtree_free(t->undo[i].node);
    t->nundo = 0;
}

int pdm__tree_commit(pdm__tree *t)
{
    pdm__store *s = t->cfg.store;
    int rc = PDM_OK;
    if (!t->in_tx)
        return PDM_EINVAL;
    /* A migration (meta_dirty) rides with the next commit that writes
     * anything: a read-only context never writes it, and loads the same
     * migration again. */
    if (s && (t->nundo || t->audit_len)) {
        bool meta = t->meta_dirty;
        rc = pdm__store_begin(s);
        /* Renamed nodes lose their old row first, so that a rename chain
         * (A->T, B->A, T->B) never trips the (parent, name) uniqueness. */
        for (size_t i = 0; i < t->nundo && rc == PDM_OK; i++) {
            pdm__undo *u = &t->undo[i];
            if (u->kind == U_MODIFY && node_live(u->node) &&
                strcmp(u->saved->name, u->node->name) != 0)
                rc = del_row(s, u->node->id);
        }
        t->mark_gen++;
        for (size_t i = 0; i < t->nundo && rc == PDM_OK; i++) {
            pdm__undo *u = &t->undo[i];
            pdm__node *n = u->node;
            if (u->kind == U_META) {
                meta = true;
                continue;
            }
            if (u->kind == U_DELETE) {
                if (n->detached)
                    rc = del_subtree_rows(s, n);
                continue;
            }
            if (n->mark == t->mark_gen || !node_live(n))
                continue;
            n->mark = t->mark_gen;
            pdm__node_rec r;
            rec_from_node(&r, n);
            /* A Replace of a value: a narrow UPDATE that leaves the
             * (parent, name) index alone (a fifth of the cost). */
            rc = value_only(t, u) ? pdm__store_set_value(s, &r) : PDM_ENOTFOUND;
            if (rc == PDM_ENOTFOUND)
                rc = pdm__store_put_node(s, &r);
        }
        if (rc == PDM_OK && t->meta_dirty && t->root->mark != t->mark_gen) {
            /* A migration changed the root row in memory only. */
            pdm__node_rec r;
            rec_from_node(&r, t->root);
            rc = pdm__store_put_node(s, &r);
        }
        if (rc == PDM_OK && meta)
            rc = meta_write(t);
        if (rc == PDM_OK)
            rc = write_audit(t);
        /* Fail closed: no change of the package is stored without the
         * audit rows of its decisions (a row that could not be written
         * earlier, see flush_audit). */
        if (rc == PDM_OK && t->audit_lost && t->nundo)
            rc = PDM_EIO;
        if (rc == PDM_OK)
            rc = pdm__store_commit(s);
        else
            pdm__store_rollback(s);
        if (rc == PDM_OK)
            t->meta_dirty = false;
        if (rc != PDM_OK) {
            pdm__logf(&t->cfg.log, PDM_LOG_ERROR, "tree",
                      "commit failed, package undone: %s",
                      pdm__store_error(s));
            pdm__tree_rollback_to(t, 0);
            t->in_tx = false;
            /* The audit entries still matter: try once on their own. */
            if (pdm__store_begin(s) == PDM_OK) {
                if (write_audit(t) == PDM_OK)
                    pdm__store_commit(s);
                else
                    pdm__store_rollback(s);
            }
            t->audit_len = 0;
            t->audit_lost = false;
            return rc == PDM_ENOSPC ? rc : PDM_EIO;
        }
        /* The old value of a secret is zeroed in the database pages
         * (secure_delete) but would stay in the WAL's older frames. */
        if (touched_secret(t) && pdm__store_checkpoint(s) != PDM_OK)
            pdm__logf(&t->cfg.log, PDM_LOG_WARN, "tree",
                      "the WAL still holds a replaced secret until the next "
                      "checkpoint: %s",
                      pdm__store_error(s));
    }
    drop_undo(t);
    t->audit_len = 0;
    t->audit_lost = false;
    t->in_tx = false;
    return PDM_OK;
}

void pdm__tree_abort(pdm__tree *t)
{
    if (!t->in_tx)
        return;
    pdm__tree_rollback_to(t, 0);
    t->in_tx = false;
    if (t->audit_len && flush_audit(t) != PDM_OK)
        pdm__logf(&t->cfg.log, PDM_LOG_ERROR, "audit",
                  "the audit rows of an undone package were not recorded: %s",
                  pdm__store_error(t->cfg.store));
    t->audit_len = 0;
    t->audit_lost = false;
}

/* Was n, or one of its ancestors, created by the open transaction? */
static bool created_in_tx(const pdm__tree *t, const pdm__node *n)
{
    for (size_t i = 0; i < t->nundo; i++)
        if (t->undo[i].kind == U_CREATE)
            for (const pdm__node *a = n; a; a = a->parent)
                if (t->undo[i].node == a)
                    return true;
    return false;
}

int pdm__tree_put_durable(pdm__tree *t, const char *path, uint32_t format,
                          uint32_t flags, const uint8_t *value, size_t len,
                          const char *owner)
{
    pdm__node *n, *fresh = NULL;
    const pdm__node *base;
    pdm__node_rec r;
    int rc = PDM_OK;

    if (!t->in_tx)
        return pdm__tree_put(t, path, format, flags, NULL, NULL, value, len,
                             owner);
    n = pdm__tree_lookup(t, path);
    if (!n) {
        const char *slash = strrchr(path, '/');
        char *pp = slash ? pdm__strndup(path, (size_t)(slash - path)) : NULL;
        pdm__node *parent = pp ? pdm__tree_lookup(t, pp) : NULL;
        pdm__free(pp);
        if (!slash)
            return PDM_EINVAL;
        if (!parent || parent->format != PDM_FORMAT_NODE || !slash[1])
            return PDM_ENOTFOUND;
        if (created_in_tx(t, parent))
            goto in_package;
        /* Created without an undo record: an abort must not remove it. */
        t->in_tx = false;
        fresh = pdm__tree_new_child(t, parent, slash + 1, strlen(slash + 1),
                                    format, owner);
        t->in_tx = true;
        if (!fresh)
            return PDM_ENOMEM;
        n = fresh;
    } else if (n->format == PDM_FORMAT_NODE) {
        return PDM_EEXISTS;
    } else if (created_in_tx(t, n)) {
        goto in_package;
    }
    /* The row written now is the committed state of the node (its first
     * snapshot in this package, if the package touched it) with the new
     * value: nothing else of the open package reaches the store early. */
    base = n;
    for (size_t i = 0; i < t->nundo; i++)
        if (t->undo[i].kind == U_MODIFY && t->undo[i].node == n) {
            base = t->undo[i].saved;
            break;
        }
    rec_from_node(&r, n);
    r.name = base->name;
    r.type = base->type;
    r.title = base->title;
    r.acl = base->acl_str;
    r.owner = base->owner;
    r.tstamp = base->tstamp;
    r.verno = base->verno;
    r.format = format;
    r.flags = flags | (base->flags & PDM_NODE_SECRET);
    r.value = value;
    r.value_len = len;
    r.has_value = true;
    if (t->cfg.store) {
        rc = pdm__store_begin(t->cfg.store);
        if (rc == PDM_OK)
            rc = pdm__store_put_node(t->cfg.store, &r);
        if (rc == PDM_OK)
            rc = pdm__store_commit(t->cfg.store);
        else
            pdm__store_rollback(t->cfg.store);
    }
    if (rc != PDM_OK) {
        if (fresh) {
            hash_remove(t, fresh);
            unlink_child(fresh);
            t->count--;
            node_free(fresh);
        }
        return rc;
    }
    /* In memory: the node and every snapshot of it, so that neither an
     * Atomic rollback nor a package abort brings the old value back. */
    n->format = format;
    n->flags = flags | (n->flags & PDM_NODE_SECRET);
    rc = pdm__node_set_value(n, value, len);
    for (size_t i = 0; i < t->nundo && rc == PDM_OK; i++)
        if (t->undo[i].kind == U_MODIFY && t->undo[i].node == n) {
            pdm__node *sv = t->undo[i].saved;
            sv->format = format;
            sv->flags = flags | (sv->flags & PDM_NODE_SECRET);
            rc = pdm__node_set_value(sv, value, len);
        }
    return rc;
in_package:
    /* The node exists only through the open package: it follows it. */
    return pdm__tree_put(t, path, format, flags, NULL, NULL, value, len,
                         owner);
}

/* ---- audit -------------------------------------------------------------------- */

void pdm__who_format(const pdm__who *w, char *buf, size_t size)
{
    switch (w ? w->principal : PDM_PRINCIPAL_NONE) {
    case PDM_PRINCIPAL_SERVER:
        snprintf(buf, size, "server:%s", w->server_id ? w->server_id : "?");
        break;
    case PDM_PRINCIPAL_LOCAL:
        snprintf(buf, size, "local");
        break;
    case PDM_PRINCIPAL_BOOTSTRAP:
        snprintf(buf, size, "bootstrap:%s", w->source ? w->source : "?");
        break;
    case PDM_PRINCIPAL_FACTORY:
        snprintf(buf, size, "factory");
        break;
    default:
        snprintf(buf, size, "unknown");
    }
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* No heap allocation here (the allocation-failure torture once showed
 * rows lost to out of memory): outside a transaction the row goes to the
 * store at once from the caller's strings; inside one it is packed into
 * the tree's buffer and written with the commit or abort, in the same
 * store transaction as the package's changes.  A full buffer is written
 * first in a transaction of its own (rows before their changes, as an
 * abort writes them too); a row larger than the whole buffer (a very
 * long URI) goes straight to the store after it.  Only a store failure
 * can lose a row: it is logged, and inside a transaction the commit then
 * fails closed (pdm__tree_commit), so that no change is stored without
 * the rows of its decisions. */
void pdm__tree_audit(pdm__tree *t, const pdm__who *w, const char *op,
                     const char *uri, const pdm__decision *dec)
{
    char who[160];
    const char *decision = !dec ? "info" : dec->rc == PDM_OK ? "allow"
                           : dec->rc == PDM_EDENIED || dec->rc == PDM_ENOTALLOWED ||
                                   dec->rc == PDM_ELOCKED
                               ? "deny"
                               : "error";
    pdm__audit_rec r = {0};
    size_t need;
    int rc = PDM_OK;
    pdm__who_format(w, who, sizeof who);
    pdm__logf(&t->cfg.log, dec && dec->rc ? PDM_LOG_INFO : PDM_LOG_DEBUG,
              "audit", "%s %s %s: %s (%s) %s", who, op, uri ? uri : "",
              decision, dec ? dec->component : "", dec ? dec->reason : "");
    /* a read-only context changes nothing and can record nothing */
    if (!t->cfg.store || pdm__store_readonly(t->cfg.store))
        return;
    r.ts_ms = now_ms();
    r.principal = who;
    r.op = op;
    r.uri = uri;
    r.decision = decision;
    r.component = dec && dec->component[0] ? dec->component : "core";
    r.reason = dec ? dec->reason : "";
    need = sizeof r.ts_ms + 1 + strlen(r.principal) + 1 + strlen(r.op) + 1 +
           (uri ? strlen(uri) + 1 : 0) + strlen(r.decision) + 1 +
           strlen(r.component) + 1 + strlen(r.reason) + 1;
    if (t->in_tx && need > sizeof t->audit_buf - t->audit_len &&
        t->audit_len)
        rc = flush_audit(t);
    if (rc == PDM_OK && t->in_tx && need <= sizeof t->audit_buf - t->audit_len) {
        unsigned char *p = t->audit_buf + t->audit_len;
        memcpy(p, &r.ts_ms, sizeof r.ts_ms);
        p[sizeof r.ts_ms] = uri != NULL;
        p += sizeof r.ts_ms + 1;
#define PUT(f) (memcpy(p, r.f, strlen(r.f) + 1), p += strlen(r.f) + 1)
        PUT(principal);
        PUT(op);
        if (uri)
            PUT(uri);
        PUT(decision);
        PUT(component);
        PUT(reason);
#undef PUT
        t->audit_len += need;
        return;
    }
    if (rc == PDM_OK)
        rc = pdm__store_audit_add(t->cfg.store, &r);
    if (rc == PDM_OK)
        return;
    if (t->in_tx)
        t->audit_lost = true;
    pdm__logf(&t->cfg.log, PDM_LOG_ERROR, "audit",
              "the audit row of %s %s %s (%s) was not recorded%s: %s", who,
              op, uri ? uri : "", decision,
              t->in_tx ? " (the package will not be committed)" : "",
              pdm__store_error(t->cfg.store));
}
