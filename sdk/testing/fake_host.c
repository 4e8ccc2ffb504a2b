/*
 * The SDK's fake host (see fake_host.h).  Simple lists; tests are small.
 */
#define _POSIX_C_SOURCE 200809L
#include "fake_host.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct kv {
    struct kv *next;
    char *key;
    void *val;
    size_t len;
} kv;

typedef struct strlist {
    char **v;
    size_t n;
} strlist;

struct pdm_plugin_ctx {
    pdm_fake_host *fh;
};

struct pdm_fake_host {
    struct pdm_plugin_ctx ctx;
    kv *options, *tree, *store;
    strlist logs, errors, statuses, alerts, alert_servers, alert_keys;
    char *alert_server; /* binds an alert without server_id, or NULL */
    int pin_rc;         /* ask_pin: the user's answer (pdm_fake_host_set_pin) */
    char *pin, *pin_text;
    size_t pin_asks;
    int pin_tries;
    int owner_rc;       /* root_owner: pdm_fake_host_set_root_owner */
    char *owner;        /* NULL: nobody owns root */
    size_t owner_asks;
    uint32_t lock_level; /* set_lock/get_lock (since 1.4) */
    int lock_set_rc, lock_get_rc;
    size_t lock_sets;
    char *lock_server;
    int dev_rc;          /* device_action's answer */
    char *dev_reason;
    strlist dev_calls;
    int wipe_rc;         /* wipe_classes' answer */
    char *wipe_classes;
    int reset_rc;
    size_t resets;
    int last_rc;
    long live;
    long fail_after;
};

/* The host functions receive no fake-host pointer, so the allocator
 * counts through the one active instance. */
static pdm_fake_host *active;

static void *fh_alloc(size_t n)
{
    void *p;
    if (active && active->fail_after == 0)
        return NULL;
    if (active && active->fail_after > 0)
        active->fail_after--;
    p = malloc(n ? n : 1);
    if (p && active)
        active->live++;
    return p;
}

static void fh_free(void *p)
{
    if (p && active)
        active->live--;
    free(p);
}

static char *fh_strdup(const char *s)
{
    char *d;
    if (!s)
        return NULL;
    d = fh_alloc(strlen(s) + 1);
    if (d)
        memcpy(d, s, strlen(s) + 1);
    return d;
}

static void push(strlist *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v)
        return;
    l->v = v;
    l->v[l->n] = strdup(s);
    if (l->v[l->n])
        l->n++;
}

static void vpush(strlist *l, const char *fmt, va_list ap) PDM_PRINTF(2, 0);
static void vpush(strlist *l, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    push(l, buf);
}

static void fh_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void fh_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
{
    va_list ap;
    (void)level;
    va_start(ap, fmt);
    vpush(&pc->fh->logs, fmt, ap);
    va_end(ap);
}

static void fh_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void fh_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
{
    va_list ap;
    pc->fh->last_rc = rc;
    va_start(ap, fmt);
    vpush(&pc->fh->errors, fmt, ap);
    va_end(ap);
}

static void fh_status(pdm_plugin_ctx *pc, int severity, const char *msg)
{
    (void)severity;
    push(&pc->fh->statuses, msg);
}

static kv *kv_find(kv *l, const char *key)
{
    for (; l; l = l->next)
        if (strcmp(l->key, key) == 0)
            return l;
    return NULL;
}

static int kv_set(kv **l, const char *key, const void *val, size_t len)
{
    kv *e = kv_find(*l, key);
    void *copy = malloc(len + 1);
    if (!copy)
        return PDM_ENOMEM;
    memcpy(copy, val, len);
    ((char *)copy)[len] = 0;
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e || !(e->key = strdup(key))) {
            free(e);
            free(copy);
            return PDM_ENOMEM;
        }
        e->next = *l;
        *l = e;
    } else {
        free(e->val);
    }
    e->val = copy;
    e->len = len;
    return PDM_OK;
}

static const char *fh_get_option(pdm_plugin_ctx *pc, const char *key)
{
    kv *e = kv_find(pc->fh->options, key);
    return e ? e->val : NULL;
}

static int blob_out(const kv *e, pdm_blob *out)
{
    out->data = fh_alloc(e->len + 1);
    if (!out->data)
        return PDM_ENOMEM;
    memcpy(out->data, e->val, e->len);
    out->data[e->len] = 0;
    out->len = e->len;
    return PDM_OK;
}

static int fh_tree_read(pdm_plugin_ctx *pc, const char *uri, pdm_blob *out)
{
    kv *e = kv_find(pc->fh->tree, uri);
    if (strstr(uri, "AAuthSecret") || strstr(uri, "AAuthData"))
        return PDM_EDENIED;
    return e ? blob_out(e, out) : PDM_ENOTFOUND;
}

static uint64_t fh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int fh_random(void *buf, size_t n)
{
    /* Deterministic bytes: tests want reproducible output. */
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)buf)[i] = (unsigned char)(i * 31u + 7u);
    return PDM_OK;
}

static int fh_kv_get(pdm_plugin_ctx *pc, const char *key, pdm_blob *out)
{
    kv *e = kv_find(pc->fh->store, key);
    return e ? blob_out(e, out) : PDM_ENOTFOUND;
}

static int fh_kv_put(pdm_plugin_ctx *pc, const char *key, const void *val,
                     size_t len)
{
    return kv_set(&pc->fh->store, key, val, len);
}

static int fh_kv_del(pdm_plugin_ctx *pc, const char *key)
{
    for (kv **pp = &pc->fh->store; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            kv *e = *pp;
            *pp = e->next;
            free(e->key);
            free(e->val);
            free(e);
            break;
        }
    }
    return PDM_OK;
}

/* The core's rule for alert strings, without linking the core: UTF-8
 * (no overlong form, surrogate, U+FFFE/U+FFFF) with no control byte but
 * TAB, LF and CR, at most @max bytes.  NULL passes (absent). */
static bool alert_text(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = s ? strnlen(s, max + 1) : 0;
    if (!s)
        return true;
    if (n > max)
        return false;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i], k;
        uint32_t cp;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return false;
        if (n - i <= k)
            return false;
        for (unsigned j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            cp == 0xFFFE || cp == 0xFFFF)
            return false;
        i += k + 1;
    }
    return true;
}

static const char *alert_bad_field(const pdm_generic_alert *g)
{
    return !alert_text(g->type, 255)         ? "type"
           : !alert_text(g->format, 255)     ? "format"
           : !alert_text(g->mark, 255)       ? "mark"
           : !alert_text(g->correlator, 255) ? "correlator"
           : !alert_text(g->source_uri, 1024) ? "source_uri"
           : !alert_text(g->server_id, 255)  ? "server_id"
                                             : NULL;
}

/* The checks the core makes (fake_host.h), so that a plugin's unit test
 * sees the PDM_EINVAL the real host would return. */
static int fh_generic_alert(pdm_plugin_ctx *pc, const pdm_generic_alert *ga)
{
    pdm_fake_host *fh = pc->fh;
    pdm_generic_alert g;
    const char *bad, *srv;
    char buf[1024];
    if (!ga || ga->struct_size < offsetof(pdm_generic_alert, server_id) +
                                     sizeof(ga->server_id))
        return PDM_EINVAL;
    memset(&g, 0, sizeof g);
    memcpy(&g, ga, ga->struct_size < sizeof g ? ga->struct_size : sizeof g);
    if (!g.type || !*g.type || !g.format || !*g.format || g.reserved0 ||
        (g.data.len && !g.data.data) || (g.server_id && !*g.server_id)) {
        push(&fh->logs, "generic_alert refused: type/format missing, "
                        "reserved0 not 0, data without bytes or an empty "
                        "server_id");
        return PDM_EINVAL;
    }
    if ((bad = alert_bad_field(&g))) {
        snprintf(buf, sizeof buf,
                 "generic_alert refused: its %s is not text of at most %d "
                 "bytes",
                 bad, strcmp(bad, "source_uri") == 0 ? 1024 : 255);
        push(&fh->logs, buf);
        return PDM_EINVAL;
    }
    /* once_key (since 1.4): only within the plugin's struct_size */
    if (ga->struct_size < offsetof(pdm_generic_alert, once_key) +
                              sizeof(ga->once_key))
        g.once_key = NULL;
    if (g.once_key && (!*g.once_key || !alert_text(g.once_key, 128))) {
        push(&fh->logs, "generic_alert refused: its once_key is not text of "
                        "at most 128 bytes");
        return PDM_EINVAL;
    }
    if (g.once_key)
        for (size_t i = 0; i < fh->alert_keys.n; i++)
            if (strcmp(fh->alert_keys.v[i], g.once_key) == 0)
                return PDM_OK; /* queued or delivered already */
    srv = g.server_id ? g.server_id : fh->alert_server;
    if (!srv) {
        push(&fh->logs, "generic_alert refused: it names no server and no "
                        "server is set (pdm_fake_host_set_alert_server)");
        return PDM_EINVAL;
    }
    snprintf(buf, sizeof buf, "%s|%s|%s|%s|%.*s", g.type, g.format,
             g.source_uri ? g.source_uri : "",
             g.correlator ? g.correlator : "", (int)g.data.len,
             g.data.data ? (const char *)g.data.data : "");
    push(&fh->alerts, buf);
    push(&fh->alert_servers, srv);
    push(&fh->alert_keys, g.once_key ? g.once_key : "");
    return PDM_OK;
}

/* The core's ask_pin checks (plugin.h), then the canned answer. */
static int fh_ask_pin(pdm_plugin_ctx *pc, const char *text, int tries_left,
                      char *buf, size_t size)
{
    pdm_fake_host *fh = pc->fh;
    size_t n;
    int rc;
    if (buf && size)
        buf[0] = '\0';
    if (!buf || !size || !text)
        return PDM_EINVAL;
    n = strnlen(text, 201);
    /* one line: alert_text() lets TAB/LF/CR through, a prompt does not */
    if (!n || n > 200 || !alert_text(text, 200) || strpbrk(text, "\t\n\r") ||
        strchr(text, 0x7F))
        return PDM_EINVAL;
    fh->pin_asks++;
    fh->pin_tries = tries_left < 0 ? -1 : tries_left;
    free(fh->pin_text);
    fh->pin_text = strdup(text);
    rc = fh->pin_rc;
    if (rc == PDM_OK && fh->pin && *fh->pin) {
        if (strlen(fh->pin) >= size)
            memcpy(buf, fh->pin, size - 1); /* cut, as the hook's buffer */
        else
            memcpy(buf, fh->pin, strlen(fh->pin) + 1);
        buf[size - 1] = '\0';
        return PDM_OK;
    }
    return rc == PDM_OK ? PDM_ECANCELLED : rc > 0 ? PDM_ERROR : rc;
}

/* The core's root_owner checks (plugin.h), then the set fact. */
static int fh_root_owner(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    pdm_fake_host *fh = pc->fh;
    if (buf && size)
        buf[0] = '\0';
    if (!buf || !size)
        return PDM_EINVAL;
    fh->owner_asks++;
    if (fh->owner_rc != PDM_OK)
        return fh->owner_rc;
    if (!fh->owner || !*fh->owner)
        return PDM_ENOTFOUND;
    if (strlen(fh->owner) >= size)
        return PDM_ENOSPC;
    memcpy(buf, fh->owner, strlen(fh->owner) + 1);
    return PDM_OK;
}

/* ---- the lost-device services (since 1.4) ---------------------------- */

static int fh_set_lock(pdm_plugin_ctx *pc, uint32_t level,
                       const char *server_id)
{
    pdm_fake_host *fh = pc->fh;
    if (level > PDM_LOCK_FULL)
        return PDM_EINVAL;
    if (fh->lock_set_rc != PDM_OK)
        return fh->lock_set_rc;
    fh->lock_sets++;
    free(fh->lock_server);
    fh->lock_server = strdup(server_id ? server_id : "");
    fh->lock_level = level;
    return PDM_OK;
}

static int fh_get_lock(pdm_plugin_ctx *pc, uint32_t *level)
{
    if (!level)
        return PDM_EINVAL;
    *level = PDM_LOCK_NONE;
    if (pc->fh->lock_get_rc != PDM_OK)
        return pc->fh->lock_get_rc;
    *level = pc->fh->lock_level;
    return PDM_OK;
}

/* The class names of a wipe: one or more, each [A-Za-z0-9_-]{1,32}. */
static bool class_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 32)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_-") == n;
}

static int fh_device_action(pdm_plugin_ctx *pc, const pdm_device_action *a,
                            char *reason, size_t size)
{
    static const char *const kinds[] = {NULL, "lock-full", "lock-partial",
                                        "unlock", "wipe", "factory-reset",
                                        "capability"};
    pdm_fake_host *fh = pc->fh;
    char buf[1024];
    size_t len;
    if (reason && size)
        reason[0] = '\0';
    if (!a || a->struct_size < sizeof(*a) || a->kind < PDM_DEVACT_LOCK_FULL ||
        a->kind > PDM_DEVACT_CAPABILITY || a->notify_user > 1)
        return PDM_EINVAL;
    if (a->kind == PDM_DEVACT_WIPE && (!a->nclasses || !a->classes))
        return PDM_EINVAL;
    if (a->kind == PDM_DEVACT_CAPABILITY &&
        (!a->capability || a->enable > 1 ||
         (strcmp(a->capability, "sms") != 0 &&
          strcmp(a->capability, "voice") != 0 &&
          strcmp(a->capability, "data") != 0)))
        return PDM_EINVAL;
    len = (size_t)snprintf(buf, sizeof buf, "%s", kinds[a->kind]);
    for (size_t i = 0; a->kind == PDM_DEVACT_WIPE && i < a->nclasses; i++) {
        if (!class_name_ok(a->classes[i]))
            return PDM_EINVAL;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%c%s",
                                i ? ',' : ' ', a->classes[i]);
    }
    if (a->kind == PDM_DEVACT_CAPABILITY)
        len += (size_t)snprintf(buf + len, sizeof buf - len, " %s %s",
                                a->capability, a->enable ? "on" : "off");
    if (a->notify_user)
        len += (size_t)snprintf(buf + len, sizeof buf - len, " notify");
    if (a->server_id && len < sizeof buf)
        snprintf(buf + len, sizeof buf - len, " server=%s", a->server_id);
    push(&fh->dev_calls, buf);
    if (fh->dev_rc != PDM_OK && reason && size && fh->dev_reason)
        snprintf(reason, size, "%s", fh->dev_reason);
    return fh->dev_rc;
}

static int fh_wipe_classes(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    pdm_fake_host *fh = pc->fh;
    if (buf && size)
        buf[0] = '\0';
    if (!buf || !size)
        return PDM_EINVAL;
    if (fh->wipe_rc != PDM_OK)
        return fh->wipe_rc;
    if (!fh->wipe_classes || strlen(fh->wipe_classes) >= size)
        return fh->wipe_classes ? PDM_ENOSPC : PDM_ENOTFOUND;
    memcpy(buf, fh->wipe_classes, strlen(fh->wipe_classes) + 1);
    return PDM_OK;
}

static int fh_factory_reset(pdm_plugin_ctx *pc)
{
    if (pc->fh->reset_rc != PDM_OK)
        return pc->fh->reset_rc;
    pc->fh->resets++;
    return PDM_OK;
}

/* Like the core's: one static table for every fake host (plugin.h rule
 * 9); the plugin context says which fake host a call is for. */
static const pdm_host_api fake_api = {
    .struct_size = sizeof(pdm_host_api),
    .abi_major = PDM_ABI_MAJOR,
    .abi_minor = PDM_ABI_MINOR,
    .alloc = fh_alloc,
    .free = fh_free,
    .strdup = fh_strdup,
    .log = fh_log,
    .set_error = fh_set_error,
    .status = fh_status,
    .get_option = fh_get_option,
    .tree_read = fh_tree_read,
    .now_ms = fh_now_ms,
    .random = fh_random,
    .strerror = pdm_strerror,
    .kv_get = fh_kv_get,
    .kv_put = fh_kv_put,
    .kv_del = fh_kv_del,
    .generic_alert = fh_generic_alert,
    .ask_pin = fh_ask_pin,
    .root_owner = fh_root_owner,
    .set_lock = fh_set_lock,
    .get_lock = fh_get_lock,
    .device_action = fh_device_action,
    .wipe_classes = fh_wipe_classes,
    .factory_reset = fh_factory_reset,
};

pdm_fake_host *pdm_fake_host_new(void)
{
    pdm_fake_host *fh = calloc(1, sizeof(*fh));
    if (!fh)
        return NULL;
    fh->ctx.fh = fh;
    fh->fail_after = -1;
    fh->pin_rc = PDM_ENOTSUP;
    fh->pin_tries = -1;
    fh->wipe_rc = PDM_ENOTFOUND;
    active = fh;
    return fh;
}

static void kv_free(kv *l)
{
    while (l) {
        kv *n = l->next;
        free(l->key);
        free(l->val);
        free(l);
        l = n;
    }
}

static void list_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

void pdm_fake_host_free(pdm_fake_host *fh)
{
    if (!fh)
        return;
    kv_free(fh->options);
    kv_free(fh->tree);
    kv_free(fh->store);
    list_free(&fh->logs);
    list_free(&fh->errors);
    list_free(&fh->statuses);
    list_free(&fh->alerts);
    list_free(&fh->alert_servers);
    list_free(&fh->alert_keys);
    list_free(&fh->dev_calls);
    free(fh->lock_server);
    free(fh->dev_reason);
    free(fh->wipe_classes);
    free(fh->alert_server);
    if (fh->pin) {
        memset(fh->pin, 0, strlen(fh->pin));
        free(fh->pin);
    }
    free(fh->pin_text);
    free(fh->owner);
    if (active == fh)
        active = NULL;
    free(fh);
}

const pdm_host_api *pdm_fake_host_api(pdm_fake_host *fh)
{
    (void)fh;
    return &fake_api;
}
pdm_plugin_ctx *pdm_fake_host_ctx(pdm_fake_host *fh) { return &fh->ctx; }

int pdm_fake_host_set_option(pdm_fake_host *fh, const char *key,
                             const char *value)
{
    return kv_set(&fh->options, key, value, strlen(value));
}

int pdm_fake_host_set_tree(pdm_fake_host *fh, const char *uri,
                           const char *value)
{
    return kv_set(&fh->tree, uri, value, strlen(value));
}

static const char *at(const strlist *l, size_t i)
{
    return i < l->n ? l->v[i] : NULL;
}

const char *pdm_fake_host_log(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->logs, i);
}
const char *pdm_fake_host_error(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->errors, i);
}
const char *pdm_fake_host_status(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->statuses, i);
}
const char *pdm_fake_host_alert(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->alerts, i);
}
const char *pdm_fake_host_alert_server(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->alert_servers, i);
}

int pdm_fake_host_set_alert_server(pdm_fake_host *fh, const char *server_id)
{
    char *copy = server_id ? strdup(server_id) : NULL;
    if (server_id && !copy)
        return PDM_ENOMEM;
    free(fh->alert_server);
    fh->alert_server = copy;
    return PDM_OK;
}

int pdm_fake_host_set_pin(pdm_fake_host *fh, int rc, const char *answer)
{
    char *copy = answer ? strdup(answer) : NULL;
    if (answer && !copy)
        return PDM_ENOMEM;
    if (fh->pin) {
        memset(fh->pin, 0, strlen(fh->pin));
        free(fh->pin);
    }
    fh->pin = copy;
    fh->pin_rc = rc;
    return PDM_OK;
}

int pdm_fake_host_set_root_owner(pdm_fake_host *fh, int rc,
                                 const char *server_id)
{
    char *copy = server_id ? strdup(server_id) : NULL;
    if (server_id && !copy)
        return PDM_ENOMEM;
    free(fh->owner);
    fh->owner = copy;
    fh->owner_rc = rc;
    return PDM_OK;
}

size_t pdm_fake_host_root_owner_asks(const pdm_fake_host *fh)
{
    return fh->owner_asks;
}

size_t pdm_fake_host_pin_asks(const pdm_fake_host *fh) { return fh->pin_asks; }
const char *pdm_fake_host_pin_text(const pdm_fake_host *fh)
{
    return fh->pin_text;
}
int pdm_fake_host_pin_tries(const pdm_fake_host *fh) { return fh->pin_tries; }

int pdm_fake_host_last_error_rc(const pdm_fake_host *fh) { return fh->last_rc; }

const void *pdm_fake_host_kv(const pdm_fake_host *fh, const char *key,
                             size_t *len)
{
    kv *e = kv_find(fh->store, key);
    if (e && len)
        *len = e->len;
    return e ? e->val : NULL;
}

long pdm_fake_host_live_allocs(const pdm_fake_host *fh) { return fh->live; }

void pdm_fake_host_fail_alloc_after(pdm_fake_host *fh, long n)
{
    fh->fail_after = n;
}

uint32_t pdm_fake_host_lock_level(const pdm_fake_host *fh)
{
    return fh->lock_level;
}

void pdm_fake_host_set_lock_level(pdm_fake_host *fh, uint32_t level)
{
    fh->lock_level = level;
}

void pdm_fake_host_set_lock_rc(pdm_fake_host *fh, int set_rc, int get_rc)
{
    fh->lock_set_rc = set_rc;
    fh->lock_get_rc = get_rc;
}

size_t pdm_fake_host_lock_sets(const pdm_fake_host *fh)
{
    return fh->lock_sets;
}

const char *pdm_fake_host_lock_server(const pdm_fake_host *fh)
{
    return fh->lock_server;
}

int pdm_fake_host_set_device_rc(pdm_fake_host *fh, int rc, const char *reason)
{
    char *copy = reason ? strdup(reason) : NULL;
    if (reason && !copy)
        return PDM_ENOMEM;
    free(fh->dev_reason);
    fh->dev_reason = copy;
    fh->dev_rc = rc;
    return PDM_OK;
}

const char *pdm_fake_host_device_call(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->dev_calls, i);
}

int pdm_fake_host_set_wipe_classes(pdm_fake_host *fh, int rc,
                                   const char *classes)
{
    char *copy = classes ? strdup(classes) : NULL;
    if (classes && !copy)
        return PDM_ENOMEM;
    free(fh->wipe_classes);
    fh->wipe_classes = copy;
    fh->wipe_rc = rc;
    return PDM_OK;
}

void pdm_fake_host_set_factory_reset_rc(pdm_fake_host *fh, int rc)
{
    fh->reset_rc = rc;
}

size_t pdm_fake_host_factory_resets(const pdm_fake_host *fh)
{
    return fh->resets;
}

const char *pdm_fake_host_alert_once_key(const pdm_fake_host *fh, size_t i)
{
    return at(&fh->alert_keys, i);
}
