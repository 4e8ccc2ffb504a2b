/*
 * The fragment: what one bootstrap document wants done, before anything
 * is done (bootstrap.h).  Values may be AAuthSecret/AAuthData: wiped when
 * freed.
 */
#include "bootstrap/bootstrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pdm__bs_frag_init(pdm__bs_frag *f) { memset(f, 0, sizeof *f); }

static bool secret_uri(const char *uri)
{
    const char *leaf = strrchr(uri, '/');
    return pdm__tree_is_secret_name(leaf ? leaf + 1 : uri);
}

void pdm__bs_frag_free(pdm__bs_frag *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        pdm__bs_node *x = &f->v[i];
        pdm__free(x->uri);
        pdm__free(x->type);
        pdm__free(x->acl);
        if (x->data)
            pdm__free_wipe(x->data, x->len + 1);
    }
    pdm__free(f->v);
    memset(f, 0, sizeof *f);
}

static char *dup_opt(const char *s, bool *oom)
{
    char *d;
    if (!s)
        return NULL;
    if (!(d = pdm__strdup(s)))
        *oom = true;
    return d;
}

int pdm__bs_frag_add(pdm__bs_frag *f, int op, const char *uri,
                     uint32_t format, const char *type, const char *acl,
                     const void *data, size_t len)
{
    pdm__bs_node x;
    bool oom = false;
    if (!f || !uri || (len && !data))
        return PDM_EINVAL;
    if (f->n >= PDM__BS_MAX_NODES)
        return PDM_ETOOBIG;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 32;
        pdm__bs_node *v = pdm__realloc(f->v, cap * sizeof *v);
        if (!v)
            return PDM_ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    memset(&x, 0, sizeof x);
    x.op = op;
    x.format = format;
    x.uri = dup_opt(uri, &oom);
    x.type = dup_opt(type, &oom);
    x.acl = dup_opt(acl, &oom);
    if (data) {
        /* one spare NUL so text values can be read as strings */
        if ((x.data = pdm__malloc(len + 1))) {
            memcpy(x.data, data, len);
            x.data[len] = '\0';
            x.len = len;
        } else {
            oom = true;
        }
    }
    if (oom) {
        pdm__free(x.uri);
        pdm__free(x.type);
        pdm__free(x.acl);
        if (x.data)
            pdm__free_wipe(x.data, x.len + 1);
        return PDM_ENOMEM;
    }
    x.secret = secret_uri(uri);
    f->v[f->n++] = x;
    return PDM_OK;
}

int pdm__bs_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdm__verrf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}
