/*
 * Private structures of the management tree, shared by tree.c (structure,
 * undo log, persistence) and tree_ops.c (requests and access decisions).
 */
#ifndef PDM_TREE_INT_H
#define PDM_TREE_INT_H

#include "tree/tree.h"

struct pdm__node {
    pdm__node *parent;
    pdm__node *first, *last;  /* children in creation order */
    pdm__node *next, *prev;   /* siblings */
    pdm__node *hnext;         /* (parent, name) hash chain */
    char *name;               /* "." for the root; name_buf until the node
                                 is renamed, then its own allocation */
    uint32_t hash;            /* hash of (parent, name) */
    uint32_t nchildren;
    int64_t id;               /* store row id; root = 1 */
    uint32_t format;          /* pdm_format */
    uint32_t flags;           /* PDM_NODE_* */
    char *type;               /* NULL = none */
    char *title;
    char *acl_str;            /* NULL = empty ACL (inherit) */
    pdm__acl acl;             /* parsed acl_str (empty when NULL) */
    const char *owner;        /* interned authority string, or NULL */
    uint8_t *value;           /* NULL when !has_value */
    size_t value_len;
    bool has_value;
    bool detached;            /* root of a deleted (undo-able) subtree */
    int64_t tstamp;
    uint16_t verno;
    void *handler;            /* MO handler bound at this node, or NULL */
    uint32_t mark;            /* commit bookkeeping */
    bool name_borrowed;       /* undo snapshot: name is its node's name_buf
                                 (which outlives it), not its own */
    char name_buf[];          /* the name given at creation, in the node's
                                 own allocation (one malloc less per node;
                                 empty in undo snapshots) */
};

/* Undo log entry. */
typedef enum { U_CREATE, U_DELETE, U_MODIFY, U_META } pdm__undo_kind;

typedef struct pdm__undo {
    pdm__undo_kind kind;
    pdm__node *node;  /* NULL for U_META */
    pdm__node *prev;  /* U_DELETE: sibling it followed, to reinsert */
    pdm__node *saved; /* U_MODIFY: detached copy of the old fields */
    char *mkey;       /* U_META: the key changed */
    char *mold;       /* U_META: its old value, NULL when it had none */
} pdm__undo;

/* One stored fact about the tree (pdm__tree_meta_set). */
typedef struct pdm__meta {
    char *key;
    char *value;
} pdm__meta;

/* The audit rows of the open transaction, packed one after the other in
 * a buffer of the tree (tree.c, "audit"): recording a row needs no heap
 * allocation, so that running out of memory never loses the row of a
 * security decision. */
#define PDM__AUDIT_BUF 4096

typedef struct pdm__intern {
    struct pdm__intern *next;
    char s[];
} pdm__intern;

struct pdm__tree {
    pdm__tree_config cfg;
    pdm__node *root;
    pdm__node **buckets;
    size_t nbuckets;
    size_t count;        /* live nodes */
    int64_t next_id;
    bool in_tx;
    pdm__undo *undo;
    size_t nundo, capundo;
    uint32_t mark_gen;
    unsigned char audit_buf[PDM__AUDIT_BUF]; /* queued rows (tree.c) */
    size_t audit_len;
    bool audit_lost;     /* a row of the transaction could not be written:
                            its commit fails closed */
    pdm__intern *interned;
    pdm__meta *meta;     /* the tree's facts, unordered */
    size_t nmeta, capmeta;
    bool meta_dirty;     /* facts (and the root row) to write at the next
                            commit without an undo record: a migration */
};

/* tree.c internals used by tree_ops.c */
pdm__node *pdm__tree_child(const pdm__tree *t, const pdm__node *parent,
                           const char *name, size_t len);
/* Creates a child (undo-logged).  Returns NULL on out-of-memory. */
pdm__node *pdm__tree_new_child(pdm__tree *t, pdm__node *parent,
                               const char *name, size_t len, uint32_t format,
                               const char *owner);
/* Detaches a subtree (undo-logged). */
int pdm__tree_detach(pdm__tree *t, pdm__node *n);
/* Saves the node's fields before a change (undo-logged). */
int pdm__tree_touch(pdm__tree *t, pdm__node *n);
/* pdm__tree_touch, then pdm__node_set_value(n, v, len) (v non-NULL), in
 * one step: the snapshot takes the old value over instead of a copy.  On
 * failure nothing changed. */
int pdm__tree_touch_value(pdm__tree *t, pdm__node *n, const uint8_t *v,
                          size_t len);
/* Sets fields of a touched node. */
int pdm__node_set_value(pdm__node *n, const uint8_t *v, size_t len);
int pdm__node_set_str(char **field, const char *s);
int pdm__node_set_acl(pdm__node *n, const char *acl, char *err, size_t n_err);
int pdm__node_rename(pdm__tree *t, pdm__node *n, const char *name, size_t len);
/* Bumps TStamp and VerNo (wraps at 0xFFFF). */
void pdm__node_bump(pdm__node *n);
const char *pdm__tree_intern(pdm__tree *t, const char *s);
/* Nearest MO handler bound at n or above (NULL if none); *base gets the
 * node it is bound at. */
void *pdm__node_handler(const pdm__node *n, const pdm__node **base);
/* True if n or a node below it has flag f. */
bool pdm__node_subtree_has(const pdm__node *n, uint32_t f);

#endif
