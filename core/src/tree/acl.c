/*
 * ACL property: parse, format, check, edit, and the tree-free TND rules.
 * See acl.h for the grammar and every decision (D1..D8).
 *
 * Representation invariant (kept by every function here):
 *   - for each command c: first[c] == sum of count[c'] for c' < c, so the
 *     ids are grouped by command in canonical order and ids[0..nids) is
 *     dense;
 *   - star bit set => present bit set and count == 0;
 *   - present bit set and star clear => count >= 1;
 *   - no id repeats within one command;
 *   - nids == 0 => blk_ == NULL and ids == NULL.
 */
#include "tree/acl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const cmd_names[PDM_ACL_NCMD] = {
    "Add", "Delete", "Exec", "Get", "Replace",
};
static const uint8_t cmd_len[PDM_ACL_NCMD] = {3, 6, 4, 3, 7};

/* ---- commands --------------------------------------------------------- */

int pdm__acl_cmd_from_op(int op)
{
    switch (op) {
    case PDM_OP_ADD: return PDM_ACL_ADD;
    case PDM_OP_DELETE: return PDM_ACL_DELETE;
    case PDM_OP_EXEC: return PDM_ACL_EXEC;
    case PDM_OP_GET: return PDM_ACL_GET;
    case PDM_OP_REPLACE: return PDM_ACL_REPLACE;
    default: return -1;
    }
}

int pdm__acl_cmd_to_op(int cmd)
{
    static const int ops[PDM_ACL_NCMD] = {PDM_OP_ADD, PDM_OP_DELETE,
                                          PDM_OP_EXEC, PDM_OP_GET,
                                          PDM_OP_REPLACE};
    return cmd >= 0 && cmd < PDM_ACL_NCMD ? ops[cmd] : PDM_OP_NONE;
}

const char *pdm__acl_op_name(int op)
{
    int c = pdm__acl_cmd_from_op(op);
    return c < 0 ? NULL : cmd_names[c];
}

static int cmd_lookup(const char *s, size_t n, bool icase)
{
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        if (n != cmd_len[c])
            continue;
        if (!icase) {
            if (memcmp(s, cmd_names[c], n) == 0)
                return c;
        } else {
            size_t i;
            for (i = 0; i < n; i++)
                if ((s[i] | 0x20) != (cmd_names[c][i] | 0x20))
                    break;
            if (i == n)
                return c;
        }
    }
    return -1;
}

/* ---- basics ------------------------------------------------------------ */

void pdm__acl_init(pdm__acl *acl) { memset(acl, 0, sizeof(*acl)); }

void pdm__acl_free(pdm__acl *acl)
{
    if (!acl)
        return;
    pdm__free(acl->blk_);
    pdm__acl_init(acl);
}

static inline bool idchar(unsigned char c)
{
    return c > 0x20 && c < 0x7F && c != '=' && c != '&' && c != '*' &&
           c != '+';
}

bool pdm__acl_valid_server_id(const char *sid, size_t n)
{
    if (!sid || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!idchar((unsigned char)sid[i]))
            return false;
    return true;
}

bool pdm__acl_has(const pdm__acl *acl, int op)
{
    int c = pdm__acl_cmd_from_op(op);
    return c >= 0 && (acl->present >> c & 1u);
}

static const uint8_t popcnt5[32] = {
    0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5,
};

bool pdm__acl_allows(const pdm__acl *acl, int op, const char *server_id,
                     int *entry_index)
{
    int c = pdm__acl_cmd_from_op(op);
    if (c < 0 || !(acl->present >> c & 1u)) {
        if (entry_index)
            *entry_index = -1;
        return false;
    }
    if (entry_index)
        *entry_index = popcnt5[acl->present & ((1u << c) - 1u)];
    if (acl->star >> c & 1u)
        return true;
    if (!server_id)
        return false;
    const char *const *p = acl->ids + acl->first[c];
    for (unsigned k = acl->count[c]; k; k--, p++)
        if (**p == *server_id && strcmp(*p, server_id) == 0)
            return true;
    return false;
}

/* ---- format ------------------------------------------------------------ */

static void format_cmd(const pdm__acl *acl, int c, pdm__buf *b)
{
    pdm__buf_append(b, cmd_names[c], cmd_len[c]);
    pdm__buf_putc(b, '=');
    if (acl->star >> c & 1u) {
        pdm__buf_putc(b, '*');
        return;
    }
    for (unsigned k = 0; k < acl->count[c]; k++) {
        if (k)
            pdm__buf_putc(b, '+');
        pdm__buf_puts(b, acl->ids[acl->first[c] + k]);
    }
}

void pdm__acl_format(const pdm__acl *acl, pdm__buf *b)
{
    bool any = false;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        if (!(acl->present >> c & 1u))
            continue;
        if (any)
            pdm__buf_putc(b, '&');
        any = true;
        format_cmd(acl, c, b);
    }
}

void pdm__acl_format_entry(const pdm__acl *acl, int op, pdm__buf *b)
{
    int c = pdm__acl_cmd_from_op(op);
    if (c >= 0 && (acl->present >> c & 1u))
        format_cmd(acl, c, b);
}

bool pdm__acl_equal(const pdm__acl *a, const pdm__acl *b)
{
    if (a->present != b->present || a->star != b->star ||
        a->nids != b->nids)
        return false;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        if (a->count[c] != b->count[c])
            return false;
        for (unsigned k = 0; k < a->count[c]; k++)
            if (strcmp(a->ids[a->first[c] + k], b->ids[b->first[c] + k]))
                return false;
    }
    return true;
}

/* ---- parse --------------------------------------------------------------
 * Pass 1 validates the whole string and records, per command, where its
 * server list is and how many ids / bytes it needs; pass 2 allocates one
 * block and copies the ids in canonical order, dropping repeats. */

typedef struct scan {
    uint8_t present, star;
    int entry_no[PDM_ACL_NCMD]; /* 1-based entry that defined the command */
    size_t pos[PDM_ACL_NCMD];   /* server list of command c: s[pos, pos+len) */
    size_t len[PDM_ACL_NCMD];
    size_t nids;                /* ids to store (before removing repeats) */
    size_t bytes;               /* their bytes including NULs */
} scan;

/* Scans the server list of command c (entry number `entry`) starting at
 * s[i]; stops at '&' or the end, *end = that offset. */
static int scan_servers(const char *s, size_t n, size_t i, int entry, int c,
                        scan *r, size_t *end, char *err, size_t errlen)
{
    size_t ids = 0, bytes = 0;
    bool star = false;
    char tmp[160];
    r->pos[c] = i;
    if (i == n || s[i] == '&') {
        pdm__errf(err, errlen, "entry %d (%s): empty server list at offset %zu",
                  entry, cmd_names[c], i);
        return PDM_EPARSE;
    }
    for (;;) {
        size_t k = i;
        if (k < n && s[k] == '*') {
            k++;
            if (k < n && s[k] != '+' && s[k] != '&') {
                pdm__errf(err, errlen, "entry %d (%s): '*' must be a server "
                          "id on its own (offset %zu)", entry, cmd_names[c], i);
                return PDM_EPARSE;
            }
            star = true;
        } else {
            while (k < n && idchar((unsigned char)s[k]))
                k++;
            if (k < n && s[k] != '+' && s[k] != '&') {
                pdm__errf(err, errlen, "entry %d (%s): invalid character '%s' "
                          "in server id at offset %zu", entry, cmd_names[c],
                          pdm__show(tmp, sizeof tmp, s + k, 1), k);
                return PDM_EPARSE;
            }
            if (k == i) {
                pdm__errf(err, errlen, "entry %d (%s): empty server id at "
                          "offset %zu", entry, cmd_names[c], i);
                return PDM_EPARSE;
            }
            ids++;
            bytes += k - i + 1;
        }
        if (k == n || s[k] == '&') {
            *end = k;
            break;
        }
        i = k + 1; /* after '+' */
    }
    r->len[c] = *end - r->pos[c];
    r->present |= (uint8_t)(1u << c);
    if (star) {
        r->star |= (uint8_t)(1u << c); /* D5: "*" wins, ids dropped */
    } else {
        r->nids += ids;
        r->bytes += bytes;
    }
    if (r->nids > PDM_ACL_MAX_IDS) {
        pdm__errf(err, errlen, "more than %d server ids in one ACL",
                  PDM_ACL_MAX_IDS);
        return PDM_ETOOBIG;
    }
    return PDM_OK;
}

static int scan_acl(const char *s, size_t n, scan *r, char *err,
                    size_t errlen)
{
    char tmp[160];
    size_t i = 0;
    int entry = 1;
    memset(r, 0, sizeof(*r));
    if (n == 0)
        return PDM_OK;
    for (;; entry++) {
        size_t j = i;
        while (j < n && s[j] != '=' && s[j] != '&')
            j++;
        if (j == i) {
            if (j < n && s[j] == '=')
                pdm__errf(err, errlen, "entry %d has no command before '=' "
                          "(offset %zu)", entry, i);
            else
                pdm__errf(err, errlen, "entry %d is empty (offset %zu%s)",
                          entry, i,
                          i == 0     ? ", leading '&'"
                          : j == n   ? ", trailing '&'"
                                  : ", '&&'");
            return PDM_EPARSE;
        }
        if (j == n || s[j] == '&') {
            pdm__errf(err, errlen, "entry %d ('%s') has no '=' (offset %zu)",
                      entry, pdm__show(tmp, sizeof tmp, s + i, j - i), i);
            return PDM_EPARSE;
        }
        int c = cmd_lookup(s + i, j - i, false);
        if (c < 0) {
            int ci = cmd_lookup(s + i, j - i, true);
            if (ci >= 0)
                pdm__errf(err, errlen, "entry %d: unknown command '%s' at "
                          "offset %zu (commands are case-sensitive: '%s')",
                          entry, pdm__show(tmp, sizeof tmp, s + i, j - i), i,
                          cmd_names[ci]);
            else
                pdm__errf(err, errlen, "entry %d: unknown command '%s' at "
                          "offset %zu (Add, Delete, Exec, Get or Replace)",
                          entry, pdm__show(tmp, sizeof tmp, s + i, j - i), i);
            return PDM_EPARSE;
        }
        if (r->present >> c & 1u) {
            pdm__errf(err, errlen, "duplicate entry for '%s' (entries %d and "
                      "%d, offset %zu)", cmd_names[c], r->entry_no[c], entry,
                      i);
            return PDM_EPARSE;
        }
        r->entry_no[c] = entry;
        size_t end;
        int rc = scan_servers(s, n, j + 1, entry, c, r, &end, err, errlen);
        if (rc != PDM_OK)
            return rc;
        if (end == n)
            return PDM_OK;
        i = end + 1;
    }
}

/* Is the n-byte id at p already among ids[from, to)? */
static bool has_id(const char **ids, size_t from, size_t to, const char *p,
                   size_t n)
{
    for (size_t k = from; k < to; k++)
        if (ids[k][0] == p[0] && strncmp(ids[k], p, n) == 0 &&
            ids[k][n] == '\0')
            return true;
    return false;
}

/* Pass 2: builds *out from a successful scan of s.  out is overwritten. */
static int build(const char *s, const scan *r, pdm__acl *out)
{
    pdm__acl a;
    char *dst = NULL;
    size_t w = 0;
    pdm__acl_init(&a);
    a.present = r->present;
    a.star = r->star;
    if (r->nids) {
        a.blk_ = pdm__malloc(r->nids * sizeof(char *) + r->bytes);
        if (!a.blk_)
            return PDM_ENOMEM;
        a.ids = a.blk_;
        dst = (char *)a.blk_ + r->nids * sizeof(char *);
    }
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        a.first[c] = (uint16_t)w;
        if (!(r->present >> c & 1u) || (r->star >> c & 1u))
            continue;
        const char *p = s + r->pos[c], *e = p + r->len[c];
        while (p < e) {
            const char *q = memchr(p, '+', (size_t)(e - p));
            size_t n = q ? (size_t)(q - p) : (size_t)(e - p);
            if (!has_id(a.ids, a.first[c], w, p, n)) { /* D6 */
                memcpy(dst, p, n);
                dst[n] = '\0';
                a.ids[w++] = dst;
                dst += n + 1;
            }
            p += n + 1;
        }
        a.count[c] = (uint16_t)(w - a.first[c]);
    }
    a.nids = (uint16_t)w;
    *out = a;
    return PDM_OK;
}

int pdm__acl_parsen(const char *s, size_t n, pdm__acl *out, char *err,
                    size_t errlen)
{
    scan r;
    int rc;
    pdm__acl_init(out);
    if (err && errlen)
        err[0] = '\0';
    if (!s)
        n = 0;
    rc = scan_acl(s, n, &r, err, errlen);
    if (rc == PDM_OK)
        rc = build(s, &r, out);
    if (rc == PDM_ENOMEM)
        pdm__errf(err, errlen, "out of memory");
    return rc;
}

int pdm__acl_parse(const char *s, pdm__acl *out, char *err, size_t errlen)
{
    return pdm__acl_parsen(s, s ? strlen(s) : 0, out, err, errlen);
}

/* ---- editing ------------------------------------------------------------ */

enum { SRC_A = 1, SRC_B = 2 };

/* *out = per command c: the union of the sources in mode[c] (a, then b);
 * "*" wins.  a/b may alias each other or the ACL being replaced; *out is
 * only written on success. */
static int combine(pdm__acl *out, const pdm__acl *a, const pdm__acl *b,
                   const uint8_t mode[PDM_ACL_NCMD])
{
    const pdm__acl *src[2] = {a, b};
    size_t nids = 0, bytes = 0, w = 0;
    pdm__acl r;
    char *dst = NULL;
    pdm__acl_init(&r);
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        for (int s = 0; s < 2; s++)
            if ((mode[c] >> s & 1u) && (src[s]->star >> c & 1u))
                r.star |= (uint8_t)(1u << c);
        if (r.star >> c & 1u)
            continue;
        for (int s = 0; s < 2; s++) {
            if (!(mode[c] >> s & 1u))
                continue;
            for (unsigned k = 0; k < src[s]->count[c]; k++) {
                nids++;
                bytes += strlen(src[s]->ids[src[s]->first[c] + k]) + 1;
            }
        }
    }
    if (nids > PDM_ACL_MAX_IDS)
        return PDM_ETOOBIG;
    if (nids) {
        r.blk_ = pdm__malloc(nids * sizeof(char *) + bytes);
        if (!r.blk_)
            return PDM_ENOMEM;
        r.ids = r.blk_;
        dst = (char *)r.blk_ + nids * sizeof(char *);
    }
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        r.first[c] = (uint16_t)w;
        if (r.star >> c & 1u) {
            r.present |= (uint8_t)(1u << c);
            continue;
        }
        for (int s = 0; s < 2; s++) {
            if (!(mode[c] >> s & 1u))
                continue;
            for (unsigned k = 0; k < src[s]->count[c]; k++) {
                const char *id = src[s]->ids[src[s]->first[c] + k];
                size_t n = strlen(id);
                if (has_id(r.ids, r.first[c], w, id, n))
                    continue;
                memcpy(dst, id, n + 1);
                r.ids[w++] = dst;
                dst += n + 1;
            }
        }
        r.count[c] = (uint16_t)(w - r.first[c]);
        if (r.count[c])
            r.present |= (uint8_t)(1u << c);
    }
    r.nids = (uint16_t)w;
    if (w == 0 && r.blk_) { /* everything was a repeat: cannot happen
                               with non-empty sources, kept for safety */
        pdm__free(r.blk_);
        r.blk_ = NULL;
        r.ids = NULL;
    }
    *out = r;
    return PDM_OK;
}

/* Replaces *acl by r (r's storage moves in, acl's old storage is freed). */
static void replace_with(pdm__acl *acl, const pdm__acl *r)
{
    pdm__free(acl->blk_);
    *acl = *r;
}

/* A one-id ACL on the stack (no storage): commands in `mask`. */
static void single(pdm__acl *t, const char **idp, unsigned mask, bool star)
{
    pdm__acl_init(t);
    t->ids = idp;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        if (!(mask >> c & 1u))
            continue;
        t->present |= (uint8_t)(1u << c);
        if (star) {
            t->star |= (uint8_t)(1u << c);
        } else {
            t->first[c] = 0;
            t->count[c] = 1;
        }
    }
    t->nids = star ? 0 : 1;
}

int pdm__acl_add_server(pdm__acl *acl, int op, const char *sid)
{
    int c = pdm__acl_cmd_from_op(op);
    bool star;
    pdm__acl t, r;
    uint8_t mode[PDM_ACL_NCMD] = {SRC_A, SRC_A, SRC_A, SRC_A, SRC_A};
    int rc;
    if (c < 0 || !sid)
        return PDM_EINVAL;
    star = strcmp(sid, "*") == 0;
    if (!star && !pdm__acl_valid_server_id(sid, strlen(sid)))
        return PDM_EINVAL;
    if (acl->star >> c & 1u)
        return PDM_OK; /* already everyone */
    if (!star && pdm__acl_allows(acl, op, sid, NULL))
        return PDM_OK;
    single(&t, &sid, 1u << c, star);
    mode[c] = SRC_A | SRC_B;
    rc = combine(&r, acl, &t, mode);
    if (rc == PDM_OK)
        replace_with(acl, &r);
    return rc;
}

int pdm__acl_set(pdm__acl *acl, int op, const char *servers, char *err,
                 size_t errlen)
{
    int c = pdm__acl_cmd_from_op(op);
    uint8_t mode[PDM_ACL_NCMD] = {SRC_A, SRC_A, SRC_A, SRC_A, SRC_A};
    pdm__acl t, r;
    int rc;
    if (err && errlen)
        err[0] = '\0';
    if (c < 0) {
        pdm__errf(err, errlen, "operation %d has no ACL entry", op);
        return PDM_EINVAL;
    }
    pdm__acl_init(&t);
    if (servers && *servers) {
        scan sc;
        size_t n = strlen(servers), end;
        memset(&sc, 0, sizeof sc);
        rc = scan_servers(servers, n, 0, 1, c, &sc, &end, err, errlen);
        if (rc != PDM_OK)
            return rc;
        if (end != n) {
            pdm__errf(err, errlen, "'&' is not allowed in a server list "
                      "(offset %zu)", end);
            return PDM_EPARSE;
        }
        rc = build(servers, &sc, &t);
        if (rc != PDM_OK)
            goto out;
        mode[c] = SRC_B;
    } else {
        if (!(acl->present >> c & 1u))
            return PDM_OK;
        mode[c] = 0;
    }
    rc = combine(&r, acl, &t, mode);
    if (rc == PDM_OK)
        replace_with(acl, &r);
out:
    if (rc == PDM_ENOMEM)
        pdm__errf(err, errlen, "out of memory");
    else if (rc == PDM_ETOOBIG)
        pdm__errf(err, errlen, "more than %d server ids in one ACL",
                  PDM_ACL_MAX_IDS);
    pdm__acl_free(&t);
    return rc;
}

int pdm__acl_remove_server(pdm__acl *acl, const char *sid, bool is_root,
                           bool *changed, bool *became_empty)
{
    bool was = acl->present != 0, ch = false;
    size_t w = 0;
    if (changed)
        *changed = false;
    if (became_empty)
        *became_empty = false;
    if (!sid || !pdm__acl_valid_server_id(sid, strlen(sid)))
        return PDM_EINVAL;
    for (int c = 0; c < PDM_ACL_NCMD; c++) {
        size_t from = acl->first[c], n = acl->count[c], nf = w;
        for (size_t k = from; k < from + n; k++) {
            if (strcmp(acl->ids[k], sid) == 0)
                ch = true;
            else
                acl->ids[w++] = acl->ids[k];
        }
        acl->first[c] = (uint16_t)nf;
        acl->count[c] = (uint16_t)(w - nf);
        if (n && w == nf) {
            /* §6.8: the command lost its last id */
            if (is_root)
                acl->star |= (uint8_t)(1u << c);
            else
                acl->present &= (uint8_t)~(1u << c);
        }
    }
    acl->nids = (uint16_t)w;
    if (w == 0 && acl->blk_) {
        pdm__free(acl->blk_);
        acl->blk_ = NULL;
        acl->ids = NULL;
    }
    if (changed)
        *changed = ch;
    if (became_empty)
        *became_empty = was && acl->present == 0;
    return PDM_OK;
}

int pdm__acl_merge(pdm__acl *dst, const pdm__acl *src)
{
    static const uint8_t mode[PDM_ACL_NCMD] = {
        SRC_A | SRC_B, SRC_A | SRC_B, SRC_A | SRC_B, SRC_A | SRC_B,
        SRC_A | SRC_B};
    pdm__acl r;
    int rc = combine(&r, dst, src, mode);
    if (rc == PDM_OK)
        replace_with(dst, &r);
    return rc;
}

int pdm__acl_copy(pdm__acl *dst, const pdm__acl *src)
{
    static const uint8_t mode[PDM_ACL_NCMD] = {SRC_A, SRC_A, SRC_A, SRC_A,
                                               SRC_A};
    pdm__acl r;
    int rc = combine(&r, src, src, mode);
    if (rc == PDM_OK)
        *dst = r;
    else
        pdm__acl_init(dst);
    return rc;
}

/* ---- TND rules --------------------------------------------------------- */

pdm__acl_change pdm__acl_may_change_acl(bool is_interior,
                                        const pdm__acl *node_eff,
                                        const pdm__acl *parent_eff,
                                        const char *server)
{
    /* facts §6.6: interior -> own Replace counts; leaf -> it does not. */
    if (is_interior && node_eff &&
        pdm__acl_allows(node_eff, PDM_OP_REPLACE, server, NULL))
        return PDM_ACL_CHANGE_BY_NODE;
    /* facts §6.6: Replace on the parent covers the child's ACL. */
    if (parent_eff && pdm__acl_allows(parent_eff, PDM_OP_REPLACE, server, NULL))
        return PDM_ACL_CHANGE_BY_PARENT;
    return PDM_ACL_CHANGE_DENIED;
}

int pdm__acl_creator(const char *sid, pdm__acl *out)
{
    static const uint8_t mode[PDM_ACL_NCMD] = {SRC_A, SRC_A, SRC_A, SRC_A,
                                               SRC_A};
    pdm__acl t;
    int rc;
    pdm__acl_init(out);
    if (!sid || !pdm__acl_valid_server_id(sid, strlen(sid)))
        return PDM_EINVAL;
    single(&t, &sid,
           1u << PDM_ACL_ADD | 1u << PDM_ACL_DELETE | 1u << PDM_ACL_REPLACE,
           false);
    rc = combine(out, &t, &t, mode);
    return rc;
}

int pdm__acl_for_new_node(bool is_interior, const pdm__acl *parent_eff,
                          const char *sid, pdm__acl *out)
{
    pdm__acl_init(out);
    if (!is_interior || !sid)
        return PDM_OK; /* leaf, or no server: empty ACL, inherits */
    if (parent_eff && pdm__acl_allows(parent_eff, PDM_OP_REPLACE, sid, NULL))
        return PDM_OK; /* creator may set the ACL itself (§6.6) */
    return pdm__acl_creator(sid, out);
}

int pdm__acl_check_root(const pdm__acl *acl, bool require_add_star,
                        char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (pdm__acl_is_empty(acl)) {
        pdm__errf(err, errlen, "the root ACL must not be empty");
        return PDM_ENOTALLOWED;
    }
    if (require_add_star && !(acl->star >> PDM_ACL_ADD & 1u)) {
        pdm__errf(err, errlen, "the root ACL must grant Add to '*'");
        return PDM_ENOTALLOWED;
    }
    return PDM_OK;
}
