/*
 * Element tree construction and navigation (see el.h).
 */
#include "codec/el.h"

#include <string.h>

void pdm__doc_init(pdm__doc *d)
{
    memset(d, 0, sizeof(*d));
    pdm__arena_init(&d->arena, 8192);
}

void pdm__doc_free(pdm__doc *d)
{
    pdm__arena_free(&d->arena);
    d->root = NULL;
}

pdm__el *pdm__el_add(pdm__doc *d, pdm__el *parent, pdm__tag tag)
{
    pdm__el *e = pdm__arena_alloc(&d->arena, sizeof(*e));
    if (!e)
        return NULL;
    /* A compound literal, not memset: a few stores instead of a call. */
    *e = (pdm__el){.parent = parent, .tag = (uint16_t)tag};
    if (!parent) {
        d->root = e;
    } else {
        if (parent->last)
            parent->last->next = e;
        else
            parent->first = e;
        parent->last = e;
    }
    return e;
}

int pdm__el_append_text(pdm__doc *d, pdm__el *el, const void *p, size_t n)
{
    uint8_t *t;
    if (!el->text) {
        el->text = (uint8_t *)pdm__arena_memdup(&d->arena, p, n);
        if (!el->text)
            return PDM_ENOMEM;
        el->len = n;
        return PDM_OK;
    }
    if (n == 0)
        return PDM_OK;
    /* Rare (several text pieces in one element): copy into a new block. */
    t = pdm__arena_alloc(&d->arena, el->len + n + 1);
    if (!t)
        return PDM_ENOMEM;
    memcpy(t, el->text, el->len);
    memcpy(t + el->len, p, n);
    t[el->len + n] = 0;
    el->text = t;
    el->len += n;
    return PDM_OK;
}

pdm__el *pdm__el_add_text(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                          const void *text, size_t len)
{
    pdm__el *e = pdm__el_add(d, parent, tag);
    if (e && pdm__el_append_text(d, e, text, len) != PDM_OK)
        return NULL;
    return e;
}

pdm__el *pdm__el_add_str(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                         const char *s)
{
    return pdm__el_add_text(d, parent, tag, s, strlen(s));
}

pdm__el *pdm__el_add_static(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                            const char *s, size_t len)
{
    pdm__el *e = pdm__el_add(d, parent, tag);
    if (e) {
        /* Never written through (see el.h): the cast only fits the
         * field's type. */
        e->text = (uint8_t *)(uintptr_t)s;
        e->len = len;
    }
    return e;
}

int pdm__el_set_attr(pdm__doc *d, pdm__el *el, const char *name,
                     const char *value)
{
    pdm__attr *a = pdm__arena_zalloc(&d->arena, sizeof(*a)), **pp;
    if (!a)
        return PDM_ENOMEM;
    a->name = pdm__arena_strdup(&d->arena, name);
    a->value = pdm__arena_strdup(&d->arena, value);
    if (!a->name || !a->value)
        return PDM_ENOMEM;
    for (pp = &el->attrs; *pp; pp = &(*pp)->next)
        ;
    *pp = a;
    return PDM_OK;
}

const char *pdm__el_attr(const pdm__el *el, const char *name)
{
    for (const pdm__attr *a = el->attrs; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a->value;
    return NULL;
}

pdm__el *pdm__el_path(const pdm__el *el, const uint16_t *tags)
{
    pdm__el *cur = (pdm__el *)el;
    for (; cur && *tags; tags++)
        cur = pdm__el_child(cur, (pdm__tag)*tags);
    return cur;
}

const char *pdm__el_name(const pdm__el *el)
{
    if (el->tag == PDM_TAG_UNKNOWN)
        return el->name ? el->name : "";
    return el->tag < PDM_TAG_COUNT ? pdm__tags[el->tag].name : "";
}
