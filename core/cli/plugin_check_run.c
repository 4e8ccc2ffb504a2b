/*
 * `polydm plugin check`, the child side (plugin_check.h): one case run
 * against the module through a host of the checker's own.
 *
 * Only the SDK headers and the public API: this file runs the plugin's
 * code and must not depend on core internals.  The host is deliberately
 * simple and deterministic (no tree, no prompt, an in-memory key/value
 * store), so that allocation number N is the same allocation in every
 * run, and it tracks every block it hands out: a pointer the plugin
 * hands to the core must be one of them, and none may be left once fini
 * returned.
 */
#define _GNU_SOURCE
#include "plugin_check.h"
#include "cli_util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <polydm/authority.h>
#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/plugin.h>
#include <polydm/policy.h>

const pc_rule pc_rules[] = {
    {"abi.descriptor", "plugin.h: Versioning; pdm_plugin_desc",
     "struct_size from the ABI 1.0 size up to what the plugin's ABI minor "
     "defines; abi_major equal, abi_minor not newer than the core's"},
    {"abi.names", "plugin.h: pdm_plugin_desc, pdm_component, "
                  "pdm_option_desc",
     "name [a-z0-9-]+, the module's file name, not reserved; version and "
     "summary set; components and options named, unique, terminated"},
    {"abi.reserved", "plugin.h: Versioning (reserved slots)",
     "reserved slots 0/NULL, flags only with bits the ABI defines "
     "(components, options, MO nodes)"},
    {"abi.vtable", "plugin.h: pdm_ops_head; <kind>.h: *_OPS_SIZE_1_0",
     "vtable kind equal to its component's, struct_size from the 1.0 size "
     "up to the plugin's ABI minor, required methods set, MO base "
     "absolute"},
    {"abi.loader", "docs/abi.md: What the loader refuses",
     "the core's loader accepts the module"},
    {"abi.struct-size", "plugin.h: Versioning (struct_size)",
     "methods accept structs of the ABI 1.0 size and touch nothing beyond "
     "struct_size"},
    {"abi.host-size", "plugin.h: pdm_host_api, PDM_HOST_HAS; Versioning",
     "with a host table of the plugin's ABI minor's size, and of the ABI "
     "1.0 size, nothing beyond its struct_size is read (members after 1.0 "
     "tested with PDM_HOST_HAS): the plugin works or init refuses cleanly"},
    {"mem.alloc-failure", "plugin.h: pdm_host_api.alloc; rules 3, 8",
     "with any one host allocation refused: no crash, no hang, an error "
     "or a valid result"},
    {"mem.leak", "plugin.h: rules 3, 5",
     "every host block is freed by the time fini returns, also after "
     "errors"},
    {"mem.ownership", "plugin.h: rule 2",
     "what the core receives is host->alloc'd (every string and array its "
     "own block); host->free gets only host blocks"},
    {"mem.out-on-error", "plugin.h: rule 3",
     "after a failure the out value is left empty"},
    {"lifecycle.failed-init", "plugin.h: pdm_plugin_desc.init; rule 5",
     "a failing init returns a negative pdm_rc after host->set_error and "
     "leaves nothing allocated (no fini, no destroy follows it)"},
    {"options.declared", "plugin.h: pdm_option_desc",
     "every option the plugin reads is declared (the core refuses "
     "undeclared keys)"},
    {"options.malformed", "plugin.h: pdm_plugin_desc.init; "
                          "docs/plugin-guide.md: Conformance check",
     "an odd value or key never crashes; a refusal names the option; a "
     "typed or required option never takes a bad value silently"},
    {"policy.verdict", "policy.h: check(); types.h: pdm_verdict",
     "PDM_OK with ALLOW, DENY or ABSTAIN, reserved 0, a reason with DENY"},
    {"authority.verdict", "authority.h: takeover(), override(); types.h: "
                          "pdm_verdict",
     "PDM_OK with ALLOW, DENY or ABSTAIN, reserved 0, a reason with DENY"},
    {"mo.odd-uri", "mo.h: get/replace/exec; plugin.h: rule 8",
     "long, percent-encoded and deep URIs under the base: no crash, PDM_OK "
     "(PDM_PENDING for exec) or a negative pdm_rc"},
    {"bootstrap.empty", "bootstrap.h: probe(), read()",
     "read() with nothing to offer: no crash, PDM_ENOTFOUND or a negative "
     "pdm_rc, the document left empty"},
    {"bootstrap.watch-fd", "bootstrap.h: watch_fd()",
     "watch_fd() returns an open descriptor that stays open until destroy, "
     "PDM_ENOTSUP, or a negative pdm_rc after host->set_error; no "
     "descriptor is left open after fini"},
    {NULL, NULL, NULL},
};

const pc_rule *pc_rule_find(const char *id)
{
    for (const pc_rule *r = pc_rules; r->id; r++)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

/* ---- reporting ---------------------------------------------------------- */

static int out_fd = -1;
static char cur_check[160];

static void put_field(char *buf, size_t *n, size_t cap, const char *s)
{
    for (; s && *s && *n + 2 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        buf[(*n)++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
}

/* One protocol line: @tag then the fields (NULL ends them). */
static void emit(const char *tag, ...)
{
    char buf[1024];
    size_t n = 0;
    const char *f;
    va_list ap;
    put_field(buf, &n, sizeof buf, tag);
    va_start(ap, tag);
    while ((f = va_arg(ap, const char *)) != NULL) {
        buf[n++] = '\t';
        put_field(buf, &n, sizeof buf, f);
    }
    va_end(ap);
    buf[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = write(out_fd, buf + off, n - off);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static char cur_what[256];

/* The step about to run: a crash or hang in it fails @rule. */
static void step(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void step(const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_what, sizeof cur_what, fmt, ap);
    va_end(ap);
    emit("C", rule, cur_check, cur_what, (const char *)NULL);
}

static void result(const char *res, const char *rule, const char *fmt,
                   va_list ap) __attribute__((format(printf, 3, 0)));
static void result(const char *res, const char *rule, const char *fmt,
                   va_list ap)
{
    char detail[768];
    vsnprintf(detail, sizeof detail, fmt, ap);
    emit("R", res, rule, cur_check, detail, (const char *)NULL);
}

static void fail(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    result("fail", rule, fmt, ap);
    va_end(ap);
}

static void pass(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool quiet; /* allocation runs: report failures only */

static void pass(const char *rule, const char *fmt, ...)
{
    va_list ap;
    if (quiet)
        return;
    va_start(ap, fmt);
    result("pass", rule, fmt, ap);
    va_end(ap);
}

static void skip(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void skip(const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    result("skip", rule, fmt, ap);
    va_end(ap);
}

static void set_check(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_check(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_check, sizeof cur_check, fmt, ap);
    va_end(ap);
}

/* ---- the checker's host ------------------------------------------------- */

enum { PH_INIT, PH_CREATE, PH_METHOD, PH_DESTROY, PH_FINI };

typedef struct blk {
    void *p;
    size_t n;
    char where[96]; /* the step that allocated it */
} blk;

typedef struct kvent {
    struct kvent *next;
    char *key;
    void *val;
    size_t len;
} kvent;

struct pdm_plugin_ctx {
    int unused;
};

static struct {
    blk *v;
    size_t n, cap;
    long seq;     /* allocations asked for so far */
    long fail_at; /* refuse this one (0: none) */
    bool refused; /* it was refused */
    int phase;
    const pc_input *in;
    const pc_opt *extra; /* an option case's value, or NULL */
    char err[512];
    bool err_set;
    char msgs[4096]; /* every log, error and status text, for options */
    size_t msgs_len;
    char read_keys[32][64]; /* options read */
    size_t nread_keys;
    long bad_frees;
    char bad_free_where[256];
    kvent *kv;
    uint32_t lock;
} H;

static struct pdm_plugin_ctx the_pc;

static long blk_find(const void *p)
{
    for (size_t i = H.n; i-- > 0;)
        if (H.v[i].p == p)
            return (long)i;
    return -1;
}

static void *h_alloc(size_t n)
{
    void *p;
    H.seq++;
    if (H.fail_at && H.seq == H.fail_at) {
        H.refused = true;
        return NULL;
    }
    if (H.n == H.cap) {
        size_t cap = H.cap ? 2 * H.cap : 64;
        blk *v = realloc(H.v, cap * sizeof(*v));
        if (!v)
            return NULL;
        H.v = v;
        H.cap = cap;
    }
    if (!(p = malloc(n ? n : 1)))
        return NULL;
    H.v[H.n].p = p;
    H.v[H.n].n = n;
    cli_strlcpy(H.v[H.n].where, cur_what, sizeof H.v[H.n].where);
    H.n++;
    return p;
}

static void h_free(void *p)
{
    long i;
    if (!p)
        return;
    if ((i = blk_find(p)) < 0) {
        /* Not ours (libc, static, freed twice): never free it. */
        if (!H.bad_frees++)
            cli_strlcpy(H.bad_free_where, cur_what,
                        sizeof H.bad_free_where);
        return;
    }
    free(p);
    H.v[i] = H.v[--H.n];
}

static char *h_strdup(const char *s)
{
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    if ((d = h_alloc(n)) != NULL)
        memcpy(d, s, n);
    return d;
}

static void note(const char *s)
{
    size_t n = strlen(s);
    if (H.msgs_len + n + 2 >= sizeof H.msgs)
        return;
    memcpy(H.msgs + H.msgs_len, s, n);
    H.msgs_len += n;
    H.msgs[H.msgs_len++] = '\n';
    H.msgs[H.msgs_len] = 0;
}

static void h_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void h_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    (void)pc;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    note(buf);
}

static void h_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void h_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
{
    va_list ap;
    (void)pc;
    (void)rc;
    va_start(ap, fmt);
    vsnprintf(H.err, sizeof H.err, fmt, ap);
    va_end(ap);
    H.err_set = true;
    note(H.err);
}

static void h_status(pdm_plugin_ctx *pc, int severity, const char *msg)
{
    (void)pc;
    (void)severity;
    if (msg)
        note(msg);
}

static const char *h_get_option(pdm_plugin_ctx *pc, const char *key)
{
    (void)pc;
    if (!key)
        return NULL;
    if (H.nread_keys < 32) {
        bool seen = false;
        for (size_t i = 0; i < H.nread_keys; i++)
            seen = seen || strcmp(H.read_keys[i], key) == 0;
        if (!seen)
            cli_strlcpy(H.read_keys[H.nread_keys++], key,
                        sizeof H.read_keys[0]);
    }
    if (H.extra && strcmp(H.extra->key, key) == 0)
        return H.extra->value;
    for (size_t i = 0; i < H.in->nopts; i++)
        if (strcmp(H.in->opts[i].key, key) == 0)
            return H.in->opts[i].value;
    return NULL;
}

static int blob_copy(pdm_blob *out, const void *p, size_t n)
{
    out->data = h_alloc(n + 1);
    if (!out->data)
        return PDM_ENOMEM;
    memcpy(out->data, p, n);
    out->data[n] = 0;
    out->len = n;
    return PDM_OK;
}

static int h_tree_read(pdm_plugin_ctx *pc, const char *uri, pdm_blob *out)
{
    (void)pc;
    if (!uri || !out)
        return PDM_EINVAL;
    out->data = NULL;
    out->len = 0;
    /* The checker has no tree: as the core in create/destroy/fini, and
     * an empty tree in methods. */
    return H.phase == PH_METHOD ? PDM_ENOTFOUND : PDM_ENOTSUP;
}

static uint64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int h_random(void *buf, size_t n)
{
    /* Deterministic on purpose: runs must repeat allocation by
     * allocation; nothing the checker does is secret. */
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 131u + 7u);
    return PDM_OK;
}

static kvent *kv_find(const char *key)
{
    for (kvent *e = H.kv; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static int h_kv_get(pdm_plugin_ctx *pc, const char *key, pdm_blob *out)
{
    kvent *e;
    (void)pc;
    if (!key || !out)
        return PDM_EINVAL;
    out->data = NULL;
    out->len = 0;
    if (!(e = kv_find(key)))
        return PDM_ENOTFOUND;
    return blob_copy(out, e->val, e->len);
}

static int h_kv_put(pdm_plugin_ctx *pc, const char *key, const void *val,
                    size_t len)
{
    kvent *e;
    void *copy;
    (void)pc;
    if (!key || (!val && len))
        return PDM_EINVAL;
    if (!(copy = malloc(len + 1)))
        return PDM_ENOMEM;
    if (len)
        memcpy(copy, val, len);
    if (!(e = kv_find(key))) {
        if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
            free(e);
            free(copy);
            return PDM_ENOMEM;
        }
        e->next = H.kv;
        H.kv = e;
    }
    free(e->val);
    e->val = copy;
    e->len = len;
    return PDM_OK;
}

static int h_kv_del(pdm_plugin_ctx *pc, const char *key)
{
    (void)pc;
    for (kvent **pp = &H.kv; key && *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            kvent *e = *pp;
            *pp = e->next;
            free(e->key);
            free(e->val);
            free(e);
            break;
        }
    }
    return key ? PDM_OK : PDM_EINVAL;
}

static int h_generic_alert(pdm_plugin_ctx *pc, const pdm_generic_alert *ga)
{
    (void)pc;
    if (!ga || ga->struct_size < offsetof(pdm_generic_alert, once_key) ||
        !ga->type || !*ga->type || !ga->format || !*ga->format ||
        ga->reserved0)
        return PDM_EINVAL;
    return PDM_OK;
}

static int h_ask_pin(pdm_plugin_ctx *pc, const char *text, int tries,
                     char *buf, size_t size)
{
    (void)pc;
    (void)tries;
    if (!buf || !size || !text)
        return PDM_EINVAL;
    buf[0] = 0;
    return PDM_ENOTSUP; /* a device without a PIN prompt */
}

static int h_root_owner(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    (void)pc;
    if (!buf || !size)
        return PDM_EINVAL;
    buf[0] = 0;
    return H.phase == PH_METHOD ? PDM_ENOTFOUND : PDM_ENOTSUP;
}

static int h_set_lock(pdm_plugin_ctx *pc, uint32_t level, const char *sid)
{
    (void)pc;
    (void)sid;
    if (H.phase == PH_INIT || H.phase == PH_FINI)
        return PDM_ENOTSUP;
    if (level > PDM_LOCK_FULL)
        return PDM_EINVAL;
    H.lock = level;
    return PDM_OK;
}

static int h_get_lock(pdm_plugin_ctx *pc, uint32_t *level)
{
    (void)pc;
    if (!level)
        return PDM_EINVAL;
    *level = H.lock;
    return PDM_OK;
}

static int h_device_action(pdm_plugin_ctx *pc, const pdm_device_action *a,
                           char *reason, size_t size)
{
    (void)pc;
    if (reason && size)
        reason[0] = 0;
    if (!a || a->struct_size < sizeof(*a) || a->kind < PDM_DEVACT_LOCK_FULL ||
        a->kind > PDM_DEVACT_CAPABILITY)
        return PDM_EINVAL;
    return PDM_OK;
}

static int h_wipe_classes(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    (void)pc;
    if (!buf || !size)
        return PDM_EINVAL;
    buf[0] = 0;
    return PDM_ENOTFOUND;
}

static int h_factory_reset(pdm_plugin_ctx *pc)
{
    (void)pc;
    return H.phase == PH_INIT || H.phase == PH_FINI ? PDM_ENOTSUP : PDM_OK;
}

static const pdm_host_api host = {
    .struct_size = sizeof(pdm_host_api),
    .abi_major = PDM_ABI_MAJOR,
    .abi_minor = PDM_ABI_MINOR,
    .alloc = h_alloc,
    .free = h_free,
    .strdup = h_strdup,
    .log = h_log,
    .set_error = h_set_error,
    .status = h_status,
    .get_option = h_get_option,
    .tree_read = h_tree_read,
    .now_ms = h_now_ms,
    .random = h_random,
    .strerror = pdm_strerror,
    .kv_get = h_kv_get,
    .kv_put = h_kv_put,
    .kv_del = h_kv_del,
    .generic_alert = h_generic_alert,
    .ask_pin = h_ask_pin,
    .root_owner = h_root_owner,
    .set_lock = h_set_lock,
    .get_lock = h_get_lock,
    .device_action = h_device_action,
    .wipe_classes = h_wipe_classes,
    .factory_reset = h_factory_reset,
};

/* The table init gets: the full one, or a shorter copy ending at a guard
 * page (case_host). */
static const pdm_host_api *cur_host = &host;

/* The host table's size at ABI 1.@minor (docs/abi.md, Minor versions):
 * what the oldest core that loads a plugin of that minor offers. */
static size_t host_at_minor(unsigned minor)
{
    return minor >= 4   ? sizeof(pdm_host_api)
           : minor == 3 ? offsetof(pdm_host_api, set_lock)
           : minor == 2 ? offsetof(pdm_host_api, root_owner)
                        : offsetof(pdm_host_api, ask_pin);
}

/* ---- descriptors -------------------------------------------------------- */

/* The open descriptors of this process (below FD_SNAP_MAX), from
 * /proc/self/fd: taken before init, so that a watch descriptor that was
 * open already is not the instance's own, and after fini, so that one
 * left open is a leak. */
#define FD_SNAP_MAX 1024
typedef struct fd_snap {
    uint8_t open[FD_SNAP_MAX / 8];
    bool ok;
} fd_snap;

static fd_snap fds_before_init;

static void fd_snapshot(fd_snap *s)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    memset(s, 0, sizeof *s);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end || fd < 0 || fd >= FD_SNAP_MAX ||
            fd == dirfd(d))
            continue;
        s->open[fd / 8] |= (uint8_t)(1u << (fd % 8));
    }
    closedir(d);
    s->ok = true;
}

static bool fd_in(const fd_snap *s, int fd)
{
    return fd >= 0 && fd < FD_SNAP_MAX &&
           (s->open[fd / 8] & (1u << (fd % 8)));
}

static bool fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* A block the core may take: NULL (when allowed) or a live host block
 * starting exactly at @p. */
static bool owned(const void *p)
{
    return p == NULL || blk_find(p) >= 0;
}

/* Checks an out pointer handed over with PDM_OK; takes it as the core
 * would (host->free) when it is a host block. */
static void take(const char *what, const char *field, void *p, bool *ok)
{
    if (!p)
        return;
    if (!owned(p)) {
        fail("mem.ownership",
             "%s: %s is not a block from host->alloc/strdup (a static "
             "string, libc memory, or a pointer into a block?): the core "
             "would host->free it",
             what, field);
        *ok = false;
        return;
    }
    h_free(p);
}

/* After every call: a host->free of foreign memory is a rule-2 break. */
static void after_call(void)
{
    if (H.bad_frees) {
        fail("mem.ownership",
             "host->free got %ld pointer(s) the host never handed out (or "
             "freed twice), first in %s",
             H.bad_frees, H.bad_free_where);
        H.bad_frees = 0;
    }
}

/* ---- the module --------------------------------------------------------- */

typedef union any_ops {
    pdm_ops_head head;
    pdm_bootstrap_ops bs;
    pdm_authority_ops au;
    pdm_policy_ops po;
    pdm_mo_ops mo;
} any_ops;

typedef struct comp {
    const pdm_component *c;
    uint32_t kind;
    const char *name;
    any_ops ops; /* zero-padded copy, as the core keeps it */
    bool usable;
    bool created;
    void *inst;
    int wfd;          /* bootstrap: what watch_fd() returned (-1: none) */
    bool watched;     /* watch_fd() was called */
    const char *base; /* MO: the effective base URI */
} comp;

#define MAX_COMPS 64

static struct {
    void *dl;
    const pdm_plugin_desc *raw;
    pdm_plugin_desc d; /* zero-padded copy */
    comp comps[MAX_COMPS];
    size_t ncomps;
    void *pdata;
    bool inited;
    int init_rc; /* what init returned */
} M;

static const char *kind_name(uint32_t k)
{
    switch (k) {
    case PDM_KIND_BOOTSTRAP: return "bootstrap";
    case PDM_KIND_AUTHORITY: return "authority";
    case PDM_KIND_POLICY: return "policy";
    case PDM_KIND_MO: return "mo";
    }
    return "unknown";
}

static size_t ops_min(uint32_t k)
{
    switch (k) {
    case PDM_KIND_BOOTSTRAP: return PDM_BOOTSTRAP_OPS_SIZE_1_0;
    case PDM_KIND_AUTHORITY: return PDM_AUTHORITY_OPS_SIZE_1_0;
    case PDM_KIND_POLICY: return PDM_POLICY_OPS_SIZE_1_0;
    case PDM_KIND_MO: return PDM_MO_OPS_SIZE_1_0;
    }
    return 0;
}

/* The vtable size ABI 1.@minor defines (docs/abi.md, Minor versions). */
static size_t ops_at_minor(uint32_t k, unsigned minor)
{
    switch (k) {
    case PDM_KIND_BOOTSTRAP:
        return minor >= 2   ? sizeof(pdm_bootstrap_ops)
               : minor == 1 ? offsetof(pdm_bootstrap_ops, origin)
                            : PDM_BOOTSTRAP_OPS_SIZE_1_0;
    case PDM_KIND_AUTHORITY:
        return minor >= 3 ? sizeof(pdm_authority_ops)
                          : PDM_AUTHORITY_OPS_SIZE_1_0;
    case PDM_KIND_POLICY: return sizeof(pdm_policy_ops);
    case PDM_KIND_MO: return sizeof(pdm_mo_ops);
    }
    return 0;
}

static bool valid_id(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return false;
    return true;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

#define OPTION_FLAGS (PDM_OPTION_REQUIRED | PDM_OPTION_SECRET)
#define NODE_FLAGS                                                        \
    (PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE | PDM_MO_EXEC | PDM_MO_NO_GET | \
     PDM_MO_NO_REPLACE)

/* The declared type of an option, from what its descriptor shows: a
 * boolean or numeric default, or a help text opening with "a|b|c:". */
static void option_type(const pdm_option_desc *o, char *buf, size_t size)
{
    const char *def = o->def, *h = o->help;
    size_t n;
    buf[0] = 0;
    if (def && (!strcmp(def, "true") || !strcmp(def, "false")))
        snprintf(buf, size, "bool");
    else if (def && *def && strspn(def, "0123456789") == strlen(def))
        snprintf(buf, size, "int");
    else if (h && (n = strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789-|")) &&
             h[n] == ':' && memchr(h, '|', n))
        snprintf(buf, size, "enum:%.*s", (int)n, h);
    else
        snprintf(buf, size, "text");
    if (o->flags & PDM_OPTION_REQUIRED)
        snprintf(buf + strlen(buf), size - strlen(buf), ",required");
}

/*
 * Reads the descriptor; with @report, emits the abi.* rows, the plugin's
 * name and its options.  Marks the components the checker can call.
 * Returns false when nothing can be called at all.
 */
static bool load(const char *module, bool report)
{
    pdm_plugin_entry_fn entry;
    const pdm_plugin_desc *r;
    bool names_ok = true, res_ok = true, vt_ok = true, desc_ok = true;
    size_t n = 0;

    set_check("descriptor");
    step("abi.descriptor", "loading the module");
    M.dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!M.dl) {
        if (report)
            fail("abi.descriptor", "cannot load: %s", dlerror());
        return false;
    }
    *(void **)&entry = dlsym(M.dl, PDM_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        if (report)
            fail("abi.descriptor", "no entry symbol '%s'",
                 PDM_PLUGIN_ENTRY_SYMBOL);
        return false;
    }
    step("abi.descriptor", "calling the entry function");
    r = M.raw = entry();
    if (!r) {
        if (report)
            fail("abi.descriptor", "the entry function returned NULL");
        return false;
    }
    if (r->struct_size < PDM_PLUGIN_DESC_SIZE_1_0 ||
        r->abi_major != PDM_ABI_MAJOR || r->abi_minor > PDM_ABI_MINOR) {
        if (report)
            fail("abi.descriptor",
                 "struct_size %u (ABI 1.0: %zu), ABI %u.%u (this polydm: "
                 "%d.%d): the core refuses it",
                 (unsigned)r->struct_size, (size_t)PDM_PLUGIN_DESC_SIZE_1_0,
                 r->abi_major, r->abi_minor, PDM_ABI_MAJOR, PDM_ABI_MINOR);
        return false;
    }
    if (r->struct_size > sizeof(pdm_plugin_desc) ||
        r->struct_size % sizeof(void *)) {
        /* Every ABI 1.x descriptor has the 1.0 layout: a larger size
         * claims fields no ABI minor defines. */
        desc_ok = false;
        if (report)
            fail("abi.descriptor",
                 "struct_size is %u bytes; ABI %u.%u defines %zu: set it "
                 "with PDM_PLUGIN_DESC_HEAD (sizeof(pdm_plugin_desc))",
                 (unsigned)r->struct_size, r->abi_major, r->abi_minor,
                 sizeof(pdm_plugin_desc));
    }
    memset(&M.d, 0, sizeof M.d);
    memcpy(&M.d, r,
           r->struct_size < sizeof M.d ? r->struct_size : sizeof M.d);
    if (report) {
        const char *bn = base_name(module);
        size_t bl = strlen(bn);
        emit("P", M.d.name && valid_id(M.d.name) ? M.d.name : "",
             (const char *)NULL);
        if (!valid_id(M.d.name)) {
            names_ok = false;
            fail("abi.names", "name '%s' is not [a-z0-9-]+",
                 M.d.name ? M.d.name : "(null)");
        } else if (!strcmp(M.d.name, "core") || !strcmp(M.d.name, "agent")) {
            names_ok = false;
            fail("abi.names", "name '%s' is reserved for the core's store",
                 M.d.name);
        } else if (bl < 4 || strcmp(bn + bl - 3, ".so") ||
                   strlen(M.d.name) != bl - 3 ||
                   strncmp(bn, M.d.name, bl - 3)) {
            names_ok = false;
            fail("abi.names", "name '%s' but the file is '%s' (expected "
                              "%s.so)", M.d.name, bn, M.d.name);
        }
        if (!M.d.version || !*M.d.version) {
            names_ok = false;
            fail("abi.names", "no version string");
        }
        if (!M.d.summary || !*M.d.summary) {
            names_ok = false;
            fail("abi.names", "no summary");
        }
    }
    if (!M.d.components) {
        if (report)
            fail("abi.names", "no component array");
        return false;
    }
    while (n <= MAX_COMPS && M.d.components[n].kind != PDM_KIND_END)
        n++;
    if (n == 0 || n > MAX_COMPS) {
        if (report && n)
            fail("abi.names", "more than %d components (missing "
                              "terminator?)", MAX_COMPS);
        else if (report)
            fail("abi.names", "no components");
        return false;
    }
    M.ncomps = n;
    for (size_t i = 0; i < n; i++) {
        const pdm_component *c = &M.d.components[i];
        comp *cp = &M.comps[i];
        const char *cn = c->name && *c->name ? c->name : "(unnamed)";
        size_t minsz = ops_min(c->kind);
        cp->c = c;
        cp->kind = c->kind;
        cp->name = cn;
        cp->usable = false;
        if (!c->name || !*c->name) {
            names_ok = false;
            if (report)
                fail("abi.names", "component #%zu has no name", i + 1);
        }
        for (size_t j = 0; c->name && j < i; j++)
            if (M.comps[j].c->name && !strcmp(M.comps[j].c->name, c->name)) {
                names_ok = false;
                if (report)
                    fail("abi.names", "two components named '%s'", cn);
            }
        if (c->flags) {
            res_ok = false;
            if (report)
                fail("abi.reserved", "component '%s': flags 0x%x (0 in ABI "
                                     "1.x)", cn, (unsigned)c->flags);
        }
        for (size_t k = 0; k < 2; k++)
            if (c->reserved[k]) {
                res_ok = false;
                if (report)
                    fail("abi.reserved",
                         "component '%s': reserved[%zu] is not NULL", cn, k);
            }
        if (!minsz) {
            names_ok = false;
            if (report)
                fail("abi.names", "component '%s': unknown kind %u", cn,
                     (unsigned)c->kind);
            continue;
        }
        if (!c->ops) {
            vt_ok = false;
            if (report)
                fail("abi.vtable", "component '%s': NULL vtable", cn);
            continue;
        }
        if (c->ops->kind != c->kind || c->ops->struct_size < minsz) {
            vt_ok = false;
            if (report)
                fail("abi.vtable",
                     "component '%s' (%s): vtable kind %u, struct_size %u "
                     "(ABI 1.0: %zu)",
                     cn, kind_name(c->kind), (unsigned)c->ops->kind,
                     (unsigned)c->ops->struct_size, minsz);
            continue;
        }
        if (c->ops->struct_size > ops_at_minor(c->kind, M.d.abi_minor) ||
            c->ops->struct_size % sizeof(void *)) {
            vt_ok = false;
            if (report)
                fail("abi.vtable",
                     "component '%s': %s vtable struct_size %u, but ABI "
                     "%u.%u defines at most %zu: the core would call "
                     "methods that are not there",
                     cn, kind_name(c->kind), (unsigned)c->ops->struct_size,
                     M.d.abi_major, M.d.abi_minor,
                     ops_at_minor(c->kind, M.d.abi_minor));
        }
        memset(&cp->ops, 0, sizeof cp->ops);
        memcpy(&cp->ops, c->ops,
               c->ops->struct_size < ops_at_minor(c->kind, PDM_ABI_MINOR)
                   ? c->ops->struct_size
                   : ops_at_minor(c->kind, PDM_ABI_MINOR));
        cp->usable = true;
        switch (c->kind) {
        case PDM_KIND_POLICY:
            cp->usable = cp->ops.po.check != NULL;
            break;
        case PDM_KIND_BOOTSTRAP:
            cp->usable = cp->ops.bs.probe && cp->ops.bs.read;
            break;
        case PDM_KIND_AUTHORITY:
            cp->usable = cp->ops.au.on_bootstrap != NULL;
            break;
        case PDM_KIND_MO:
            cp->base = cp->ops.mo.base_uri;
            for (size_t k = 0; k < H.in->nmo_bases; k++)
                if (!strcmp(H.in->mo_bases[k].key, cn))
                    cp->base = H.in->mo_bases[k].value;
            cp->usable = cp->base && !strncmp(cp->base, "./", 2);
            for (const pdm_mo_node *mn = cp->ops.mo.nodes; mn && mn->path;
                 mn++) {
                if ((mn->flags & ~NODE_FLAGS) || mn->reserved[0] ||
                    mn->reserved[1]) {
                    res_ok = false;
                    if (report)
                        fail("abi.reserved",
                             "component '%s', node '%s': %s",
                             cn, mn->path,
                             (mn->flags & ~NODE_FLAGS)
                                 ? "flags has bits ABI 1.x does not define"
                                 : "a reserved slot is not NULL");
                }
            }
            break;
        }
        if (!cp->usable) {
            vt_ok = false;
            if (report)
                fail("abi.vtable", "component '%s' (%s): a required method "
                                   "or the absolute base URI is missing",
                     cn, kind_name(c->kind));
        }
    }
    for (const pdm_option_desc *o = M.d.options; o && o->key; o++) {
        char type[160];
        if (o - M.d.options >= 256) {
            names_ok = false;
            if (report)
                fail("abi.names", "more than 256 options (missing "
                                  "terminator?)");
            break;
        }
        if ((o->flags & ~OPTION_FLAGS) || o->reserved0 || o->reserved[0] ||
            o->reserved[1]) {
            res_ok = false;
            if (report)
                fail("abi.reserved", "option '%s': %s", o->key,
                     (o->flags & ~OPTION_FLAGS)
                         ? "flags has bits ABI 1.x does not define"
                     : o->reserved0 ? "reserved0 is not 0"
                                    : "a reserved slot is not NULL");
        }
        for (const pdm_option_desc *p = M.d.options; p < o; p++)
            if (!strcmp(p->key, o->key)) {
                names_ok = false;
                if (report)
                    fail("abi.names", "option '%s' declared twice", o->key);
            }
        option_type(o, type, sizeof type);
        if (report)
            emit("O", o->key, type, (const char *)NULL);
    }
    if (report) {
        if (desc_ok)
            pass("abi.descriptor", "%u bytes, ABI %u.%u",
                 (unsigned)r->struct_size, r->abi_major, r->abi_minor);
        if (names_ok)
            pass("abi.names", "'%s' %s, %zu component(s)", M.d.name,
                 M.d.version, n);
        if (res_ok)
            pass("abi.reserved", "components, options, MO nodes");
        if (vt_ok)
            pass("abi.vtable", "%zu vtable(s)", n);
    }
    return true;
}

static size_t live_bytes(void)
{
    size_t b = 0;
    for (size_t i = 0; i < H.n; i++)
        b += H.v[i].n;
    return b;
}

/* Runs init and create; false if init failed (reported per @why). */
static bool start(const char *rule)
{
    int rc = PDM_OK;
    H.phase = PH_INIT;
    M.pdata = NULL;
    fd_snapshot(&fds_before_init);
    for (size_t i = 0; i < M.ncomps; i++) {
        M.comps[i].wfd = -1;
        M.comps[i].watched = false;
    }
    if (M.d.init) {
        step(rule, "init()");
        H.err_set = false;
        rc = M.d.init(&the_pc, cur_host, &M.pdata);
        after_call();
    }
    M.init_rc = rc;
    if (rc != PDM_OK)
        return false;
    M.inited = true;
    H.phase = PH_CREATE;
    for (size_t i = 0; i < M.ncomps; i++) {
        comp *cp = &M.comps[i];
        if (!cp->usable)
            continue;
        cp->inst = NULL;
        if (cp->ops.head.create) {
            step(rule, "%s '%s': create()", kind_name(cp->kind), cp->name);
            H.err_set = false;
            rc = cp->ops.head.create(&the_pc, M.pdata, &cp->inst);
            after_call();
            if (rc != PDM_OK) {
                cp->inst = NULL;
                continue;
            }
        }
        cp->created = true;
    }
    H.phase = PH_METHOD;
    return true;
}

static void stop(const char *rule)
{
    H.phase = PH_DESTROY;
    for (size_t i = M.ncomps; i-- > 0;) {
        comp *cp = &M.comps[i];
        if (!cp->created)
            continue;
        if (cp->wfd >= 0 && !fd_open(cp->wfd))
            fail("bootstrap.watch-fd",
                 "bootstrap '%s': descriptor %d from watch_fd() was closed "
                 "before destroy (the host polls it until then)",
                 cp->name, cp->wfd);
        if (cp->ops.head.destroy) {
            step(rule, "%s '%s': destroy()", kind_name(cp->kind), cp->name);
            cp->ops.head.destroy(cp->inst);
            after_call();
        }
        cp->created = false;
    }
    H.phase = PH_FINI;
    if (M.inited && M.d.fini) {
        step(rule, "fini()");
        M.d.fini(&the_pc, M.pdata);
        after_call();
    }
    M.inited = false;
}

/* After fini: nothing of the host's may be left. */
static void leak_check(const char *after)
{
    if (H.n)
        fail("mem.leak",
             "%zu block(s), %zu bytes, still allocated after %s; the first "
             "from %s",
             H.n, live_bytes(), after, H.v[0].where);
    else
        pass("mem.leak", "nothing left after %s", after);
}

/* A failed init: plugin.h says nothing runs after it, so it must have
 * cleaned up after itself and said why. */
static bool failed_init_check(int rc, const char *why)
{
    bool ok = true;
    if (rc >= 0) {
        fail("lifecycle.failed-init", "init returned %d (%s): a failure must "
                                      "be a negative pdm_rc",
             rc, why);
        ok = false;
    }
    if (!H.err_set) {
        fail("lifecycle.failed-init",
             "init failed (%s) without host->set_error saying why", why);
        ok = false;
    }
    if (H.n) {
        fail("lifecycle.failed-init",
             "%zu block(s), %zu bytes, left after init failed (%s): fini "
             "and destroy never run after a failed init; first from %s",
             H.n, live_bytes(), why, H.v[0].where);
        ok = false;
    }
    if (ok)
        pass("lifecycle.failed-init", "init failed cleanly (%s)", why);
    return ok;
}

/* ---- guard pages -------------------------------------------------------- */

/* Four guarded slots: a struct placed at the end of a page followed by a
 * PROT_NONE page, so that touching anything beyond struct_size faults. */
static uint8_t *guard_pages[4];
static size_t page_size;

static void *guarded(int slot, const void *src, size_t size)
{
    uint8_t *p;
    if (!guard_pages[slot]) {
        void *m;
        page_size = (size_t)sysconf(_SC_PAGESIZE);
        m = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            abort();
        if (mprotect((uint8_t *)m + page_size, page_size, PROT_NONE) != 0)
            abort();
        guard_pages[slot] = m;
    }
    p = guard_pages[slot] + page_size - size;
    if (src)
        memcpy(p, src, size);
    else
        memset(p, 0, size);
    return p;
}

/* ---- workloads ---------------------------------------------------------- */

enum { MODE_CUR, MODE_1_0, MODE_ALLOC, MODE_ODD, MODE_HOST };

static const char *mode_rule(int mode, const char *own)
{
    switch (mode) {
    case MODE_1_0: return "abi.struct-size";
    case MODE_HOST: return "abi.host-size";
    case MODE_ALLOC: return "mem.alloc-failure";
    case MODE_ODD: return "mo.odd-uri";
    }
    return own;
}

static bool verdict_ok(const char *rule, const char *what, int rc,
                       const pdm_verdict *v)
{
    if (rc != PDM_OK)
        return true; /* counts as DENY (fail closed) */
    if (v->decision > PDM_DENY) {
        fail(rule, "%s answered decision %u: not ALLOW, DENY or ABSTAIN",
             what, (unsigned)v->decision);
        return false;
    }
    if (v->reserved) {
        fail(rule, "%s left verdict.reserved %u (must be 0)", what,
             (unsigned)v->reserved);
        return false;
    }
    if (!memchr(v->reason, 0, sizeof v->reason)) {
        fail(rule, "%s: the reason is not NUL-terminated", what);
        return false;
    }
    if (v->decision == PDM_DENY && !v->reason[0]) {
        fail(rule, "%s answered DENY without a reason", what);
        return false;
    }
    return true;
}

static void run_policy(comp *cp, int mode)
{
    static const struct {
        uint32_t op, principal;
        const char *label;
    } reqs[] = {
        {PDM_OP_GET, PDM_PRINCIPAL_SERVER, "GET"},
        {PDM_OP_ADD, PDM_PRINCIPAL_SERVER, "ADD"},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "REPLACE"},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "DELETE"},
        {PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "EXEC"},
        {PDM_OP_COPY, PDM_PRINCIPAL_SERVER, "COPY"},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_LOCAL, "REPLACE (local)"},
        {PDM_OP_BOOTSTRAP, PDM_PRINCIPAL_BOOTSTRAP, "BOOTSTRAP"},
        {PDM_OP_SESSION, PDM_PRINCIPAL_SERVER, "SESSION"},
        {PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL, "ACL_EDIT"},
        {PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL, "TAKEOVER"},
        {PDM_OP_SEND_SECRET, PDM_PRINCIPAL_SERVER, "SEND_SECRET"},
        {PDM_OP_ACCOUNT_DELETE, PDM_PRINCIPAL_LOCAL, "ACCOUNT_DELETE"},
        {PDM_OP_TRANSFER, PDM_PRINCIPAL_LOCAL, "TRANSFER"},
        {99, PDM_PRINCIPAL_SERVER, "op 99 (unknown)"},
    };
    const char *rule = mode_rule(mode, "policy.verdict");
    size_t size = mode == MODE_1_0 ? offsetof(pdm_policy_req, account_origins)
                                   : sizeof(pdm_policy_req);
    bool ok = true;
    size_t nreq = mode == MODE_ALLOC ? 3 : sizeof reqs / sizeof reqs[0];
    for (size_t i = 0; i < nreq; i++) {
        pdm_policy_req q;
        pdm_verdict *v;
        const pdm_policy_req *gq;
        char what[128];
        int rc;
        memset(&q, 0, sizeof q);
        q.op = reqs[i].op;
        q.principal = reqs[i].principal;
        q.flags = PDM_REQ_TLS | PDM_REQ_AUTHENTICATED;
        q.server_id = "chk-server";
        q.uri = "./Vendor/Check/Leaf";
        q.node_owner = "chk-other";
        q.root_owner = "chk-owner";
        q.address = "https://dm.example.invalid/dm";
        q.detail = "check";
        if (q.op == PDM_OP_BOOTSTRAP) {
            q.source = "chk-source/boot";
            q.sec = PDM_SEC_NETWPIN;
            q.origin = PDM_ORIGIN_PUSH;
            q.uri = NULL;
            q.content_type = "application/vnd.wap.connectivity-wbxml";
        }
        q.account_origins = 1u << PDM_ORIGIN_FACTORY;
        q.struct_size = (uint32_t)size;
        gq = guarded(0, &q, size);
        v = guarded(1, NULL, sizeof *v);
        snprintf(what, sizeof what, "policy '%s': check(%s, struct_size %zu)",
                 cp->name, reqs[i].label, size);
        step(rule, "%s", what);
        rc = cp->ops.po.check(cp->inst, gq, v);
        after_call();
        ok = verdict_ok("policy.verdict", what, rc, v) && ok;
    }
    /* A URI among the plugin's options (a prefix it protects, a base it
     * guards) is where its DENY paths are: ask about a node below each. */
    for (size_t i = 0; mode != MODE_ALLOC && i < H.in->nopts; i++) {
        const char *u = H.in->opts[i].value;
        pdm_policy_req q;
        pdm_verdict *v;
        char what[160], uri[512];
        int rc;
        if (strncmp(u, "./", 2) != 0 || strlen(u) > 400)
            continue;
        snprintf(uri, sizeof uri, "%s/Chk", u);
        memset(&q, 0, sizeof q);
        q.op = PDM_OP_DELETE;
        q.principal = PDM_PRINCIPAL_SERVER;
        q.flags = PDM_REQ_TLS | PDM_REQ_AUTHENTICATED;
        q.server_id = "chk-server";
        q.uri = uri;
        q.node_owner = "chk-other";
        q.struct_size = (uint32_t)size;
        v = guarded(1, NULL, sizeof *v);
        snprintf(what, sizeof what, "policy '%s': check(DELETE %.100s, "
                 "struct_size %zu)", cp->name, uri, size);
        step(rule, "%s", what);
        rc = cp->ops.po.check(cp->inst, guarded(0, &q, size), v);
        after_call();
        ok = verdict_ok("policy.verdict", what, rc, v) && ok;
        nreq++;
    }
    if (ok)
        pass("policy.verdict", "%zu request(s) answered", nreq);
}

static void fill_info(pdm_authority_info *w, uint32_t origin, uint32_t sec)
{
    memset(w, 0, sizeof *w);
    w->origin = origin;
    w->sec = sec;
    w->server_id = "chk-server";
    w->account_uri = "./DMAcc/chk";
    w->address = "https://dm.example.invalid/dm";
    w->root_owner = NULL;
    w->source = "chk-source/boot";
    w->home_plmn = "001-01";
}

static void run_authority(comp *cp, int mode)
{
    static const uint32_t origins[][2] = {
        {PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE},
        {PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN},
        {PDM_ORIGIN_PUSH, PDM_SEC_USERPIN},
        {PDM_ORIGIN_FILE, PDM_SEC_NONE},
        {PDM_ORIGIN_FACTORY, PDM_SEC_NONE},
    };
    const char *rule = mode_rule(mode, "authority.verdict");
    size_t size = mode == MODE_1_0 ? offsetof(pdm_authority_info, home_plmn)
                                   : sizeof(pdm_authority_info);
    size_t n = mode == MODE_ALLOC ? 2 : sizeof origins / sizeof origins[0];
    bool vok = true, outok = true;
    for (size_t i = 0; i < n; i++) {
        pdm_authority_info w;
        const pdm_authority_info *gw;
        pdm_authority_grant *g;
        pdm_verdict *v;
        char what[160];
        int rc;
        fill_info(&w, origins[i][0], origins[i][1]);
        w.struct_size = (uint32_t)size;
        gw = guarded(0, &w, size);
        g = guarded(1, NULL, sizeof *g);
        g->struct_size = sizeof *g;
        snprintf(what, sizeof what,
                 "authority '%s': on_bootstrap(origin %u, sec %u, "
                 "struct_size %zu)",
                 cp->name, (unsigned)origins[i][0], (unsigned)origins[i][1],
                 size);
        step(rule, "%s", what);
        rc = cp->ops.au.on_bootstrap(cp->inst, gw, g);
        after_call();
        if (rc == PDM_OK) {
            take(what, "grant.account_acl", g->account_acl, &outok);
            take(what, "grant.root_acl", g->root_acl, &outok);
            take(what, "grant.root_owner", g->root_owner, &outok);
        } else if (g->account_acl || g->root_acl || g->root_owner) {
            fail("mem.out-on-error", "%s returned %d but left strings in "
                                     "the grant", what, rc);
            outok = false;
        }
        if (cp->ops.au.takeover && mode != MODE_ALLOC) {
            v = guarded(1, NULL, sizeof *v);
            snprintf(what, sizeof what,
                     "authority '%s': takeover(origin %u, struct_size %zu)",
                     cp->name, (unsigned)origins[i][0], size);
            step(rule, "%s", what);
            rc = cp->ops.au.takeover(cp->inst, gw, v);
            after_call();
            vok = verdict_ok("authority.verdict", what, rc, v) && vok;
        }
    }
    if (cp->ops.au.override) {
        static const char *const owners[] = {"factory", "local", "chk-other",
                                             "bootstrap:chk-source/boot"};
        for (size_t i = 0; i < 4; i++) {
            pdm_verdict *v = guarded(1, NULL, sizeof(pdm_verdict));
            char what[160];
            int rc;
            snprintf(what, sizeof what, "authority '%s': override(owner %s)",
                     cp->name, owners[i]);
            step(rule, "%s", what);
            rc = cp->ops.au.override(cp->inst, "chk-server", owners[i],
                                     "./Vendor/Check/Leaf", v);
            after_call();
            vok = verdict_ok("authority.verdict", what, rc, v) && vok;
        }
    }
    if (cp->ops.au.defaults) {
        pdm_authority_defaults *o = guarded(1, NULL, sizeof *o);
        char what[96];
        int rc;
        o->struct_size = sizeof *o;
        snprintf(what, sizeof what, "authority '%s': defaults()", cp->name);
        step(rule, "%s", what);
        rc = cp->ops.au.defaults(cp->inst, o);
        after_call();
        if (rc == PDM_OK) {
            take(what, "root_acl", o->root_acl, &outok);
            take(what, "dmacc_acl", o->dmacc_acl, &outok);
        } else if (o->root_acl || o->dmacc_acl) {
            fail("mem.out-on-error", "%s returned %d but left strings", what,
                 rc);
            outok = false;
        }
    }
    if (vok && (cp->ops.au.takeover || cp->ops.au.override))
        pass("authority.verdict", "takeover/override answered");
    if (outok)
        pass("mem.ownership", "grants and defaults");
}

/* watch_fd(), as pdm_ctx_bootstrap_watch calls it: once per instance,
 * before the scans.  The answer is judged at once; whether the
 * descriptor stays open until destroy is judged in stop(), and whether
 * it is closed after fini in case_methods(). */
static void watch(comp *cp, int mode)
{
    char what[128];
    int rc;
    snprintf(what, sizeof what, "bootstrap '%s': watch_fd()", cp->name);
    step(mode_rule(mode, "bootstrap.watch-fd"), "%s", what);
    H.err_set = false;
    rc = cp->ops.bs.watch_fd(cp->inst);
    after_call();
    cp->watched = true;
    /* Judged once, at the current sizes; the other runs (refused
     * allocations, the ABI 1.0 sizes, short host tables) only look for
     * a crash, and an error without its reason. */
    if (mode != MODE_CUR && (rc >= 0 || rc == PDM_ENOTSUP || H.err_set)) {
        cp->wfd = rc >= 0 && fd_open(rc) ? rc : -1;
        return;
    }
    if (rc >= 0) {
        if (!fd_open(rc))
            fail("bootstrap.watch-fd",
                 "%s returned %d, which is not an open descriptor (closed "
                 "already?): the host would poll nothing",
                 what, rc);
        else if (fd_in(&fds_before_init, rc))
            fail("bootstrap.watch-fd",
                 "%s returned %d, which was open before init: not a "
                 "descriptor of the instance's own",
                 what, rc);
        else
            cp->wfd = rc;
        if (cp->wfd >= 0)
            pass("bootstrap.watch-fd", "descriptor %d, open", rc);
    } else if (rc == PDM_ENOTSUP) {
        pass("bootstrap.watch-fd", "PDM_ENOTSUP: nothing to watch");
    } else if (!H.err_set) {
        fail("bootstrap.watch-fd",
             "%s returned %d without host->set_error saying why", what, rc);
    } else {
        pass("bootstrap.watch-fd", "returned %d: %s", rc, H.err);
    }
}

/* After fini: a descriptor opened since init and still open is a leak;
 * judged for plugins with a watch_fd() (the descriptors bootstrap.h
 * speaks of). */
static void fd_leak_check(void)
{
    fd_snap now;
    bool any = false;
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; i < M.ncomps; i++)
        any = any || M.comps[i].watched;
    if (!any || !fds_before_init.ok)
        return;
    fd_snapshot(&now);
    for (int fd = 0; now.ok && fd < FD_SNAP_MAX; fd++) {
        char link[64], target[128];
        ssize_t k;
        if (!fd_in(&now, fd) || fd_in(&fds_before_init, fd))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        k = readlink(link, target, sizeof target - 1);
        target[k > 0 ? k : 0] = 0;
        n++;
        if (strlen(list) + strlen(target) + 16 < sizeof list)
            snprintf(list + strlen(list), sizeof list - strlen(list),
                     "%s%d (%s)", *list ? ", " : "", fd, target);
    }
    if (n)
        fail("bootstrap.watch-fd",
             "%zu descriptor(s) opened since init still open after destroy "
             "and fini: %s",
             n, list);
    else
        pass("bootstrap.watch-fd", "no descriptor left open after fini");
}

static void run_bootstrap(comp *cp, int mode)
{
    static const char *const cts[] = {
        "application/vnd.wap.connectivity-wbxml",
        "application/vnd.syncml.dm+wbxml", "", "x/y;z",
    };
    const char *rule = mode_rule(mode, "bootstrap.empty");
    pdm_bootstrap_doc *doc;
    char what[128];
    int prc, rc;
    bool ok = true;
    if (cp->ops.bs.accepts && mode != MODE_ALLOC) {
        for (size_t i = 0; i < 4; i++) {
            step(rule, "bootstrap '%s': accepts(\"%s\")", cp->name, cts[i]);
            (void)cp->ops.bs.accepts(cp->inst, cts[i], PDM_ORIGIN_PUSH);
            after_call();
        }
    }
    if (cp->ops.bs.origin) {
        step(rule, "bootstrap '%s': origin()", cp->name);
        (void)cp->ops.bs.origin(cp->inst);
        after_call();
    }
    if (cp->ops.bs.watch_fd && !cp->watched)
        watch(cp, mode);
    step(rule, "bootstrap '%s': probe()", cp->name);
    prc = cp->ops.bs.probe(cp->inst);
    after_call();
    doc = guarded(0, NULL, sizeof *doc);
    doc->struct_size = sizeof *doc;
    snprintf(what, sizeof what, "bootstrap '%s': read() after probe() = %d",
             cp->name, prc);
    step(rule, "%s", what);
    rc = cp->ops.bs.read(cp->inst, doc);
    after_call();
    if (rc == PDM_OK) {
        take(what, "body.data", doc->body.data, &ok);
        take(what, "content_type", doc->content_type, &ok);
        take(what, "mac_hex", doc->mac_hex, &ok);
        take(what, "source_id", doc->source_id, &ok);
        if (cp->ops.bs.consumed) {
            step(rule, "bootstrap '%s': consumed(PDM_EDENIED)", cp->name);
            cp->ops.bs.consumed(cp->inst, PDM_EDENIED);
            after_call();
        }
        if (prc != PDM_OK && mode == MODE_CUR)
            skip("bootstrap.empty", "probe() returned %d but read() found "
                                    "a document", prc);
    } else {
        if (doc->body.data || doc->content_type || doc->mac_hex ||
            doc->source_id) {
            fail("mem.out-on-error", "%s returned %d but left pointers in "
                                     "the document", what, rc);
            ok = false;
        }
        if (rc > 0) {
            fail("bootstrap.empty", "%s returned %d: neither PDM_OK, "
                                    "PDM_ENOTFOUND nor a negative pdm_rc",
                 what, rc);
        } else if (mode == MODE_CUR) {
            if (prc == PDM_OK)
                skip("bootstrap.empty", "probe() found a document here");
            else
                pass("bootstrap.empty", "read() returned %d", rc);
        }
    }
    if (cp->ops.bs.present_ids) {
        char **ids = NULL;
        size_t n = 0;
        snprintf(what, sizeof what, "bootstrap '%s': present_ids()",
                 cp->name);
        step(rule, "%s", what);
        rc = cp->ops.bs.present_ids(cp->inst, &ids, &n);
        after_call();
        if (rc == PDM_OK) {
            if (ids && !owned(ids)) {
                take(what, "the array", ids, &ok);
            } else {
                for (size_t i = 0; ids && i < n; i++) {
                    char field[32];
                    snprintf(field, sizeof field, "id[%zu]", i);
                    take(what, field, ids[i], &ok);
                }
                take(what, "the array", ids, &ok);
            }
        } else if (ids || n) {
            fail("mem.out-on-error", "%s returned %d but set the out array",
                 what, rc);
            ok = false;
        }
    }
    if (ok)
        pass("mem.ownership", "documents and ids");
}

/* One get/replace/exec on @uri, as far as the handler has them. */
static void mo_call(comp *cp, const char *rule, const char *uri,
                    const char *label, bool get, bool repl, bool exec,
                    bool *ok)
{
    char what[192];
    int rc;
    if (get && cp->ops.mo.get) {
        pdm_blob out = {NULL, 0};
        snprintf(what, sizeof what, "mo '%s': get(%s)", cp->name, label);
        step(rule, "%s", what);
        rc = cp->ops.mo.get(cp->inst, uri, &out);
        after_call();
        if (rc == PDM_OK) {
            if (!out.data && out.len) {
                fail("mem.ownership", "%s: len %zu without data", what,
                     out.len);
                *ok = false;
            }
            take(what, "the value", out.data, ok);
        } else {
            if (out.data || out.len) {
                fail("mem.out-on-error", "%s returned %d but left a value",
                     what, rc);
                *ok = false;
            }
            if (rc > 0) {
                fail(rule, "%s returned %d, not PDM_OK nor a negative "
                           "pdm_rc", what, rc);
                *ok = false;
            }
        }
    }
    if (repl && cp->ops.mo.replace) {
        static const uint8_t val[] = "chk";
        pdm_blob in = {(uint8_t *)val, 3};
        snprintf(what, sizeof what, "mo '%s': replace(%s)", cp->name, label);
        step(rule, "%s", what);
        rc = cp->ops.mo.replace(cp->inst, uri, &in);
        after_call();
        if (rc > 0) {
            fail(rule, "%s returned %d, not PDM_OK nor a negative pdm_rc",
                 what, rc);
            *ok = false;
        }
    }
    if (exec && cp->ops.mo.exec) {
        pdm_blob in = {NULL, 0};
        snprintf(what, sizeof what, "mo '%s': exec(%s)", cp->name, label);
        step(rule, "%s", what);
        rc = cp->ops.mo.exec(cp->inst, uri, &in, "chk-correlator");
        after_call();
        if (rc > 0 && rc != PDM_PENDING) {
            fail(rule, "%s returned %d, not PDM_OK, PDM_PENDING nor a "
                       "negative pdm_rc", what, rc);
            *ok = false;
        }
    }
}

static void run_mo(comp *cp, int mode)
{
    const char *rule = mode_rule(mode, "mem.ownership");
    char uri[4096];
    bool ok = true;
    if (mode == MODE_ODD) {
        static char deep[2048], longseg[1400];
        const char *odd[4][2] = {
            {"a 1200-byte segment", longseg},
            {"percent-encoded", "/%2E%2E/%00%ZZ/a%2Fb%41"},
            {"300 levels deep", deep},
            {"bytes not UTF-8", "/\xc3\x28\xff\xfe"},
        };
        memset(longseg, 'a', sizeof longseg - 1);
        longseg[0] = '/';
        for (size_t i = 0; i + 2 < 600; i += 2)
            memcpy(deep + i, "/a", 2);
        for (size_t i = 0; i < 4; i++) {
            snprintf(uri, sizeof uri, "%s%s", cp->base, odd[i][1]);
            mo_call(cp, rule, uri, odd[i][0], true, true, true, &ok);
        }
        if (ok)
            pass("mo.odd-uri", "get/replace/exec on 4 odd URIs");
        return;
    }
    mo_call(cp, rule, cp->base, cp->base, true, false, false, &ok);
    for (const pdm_mo_node *mn = cp->ops.mo.nodes; mn && mn->path; mn++) {
        bool hv = mn->flags & PDM_MO_HANDLER_VALUE;
        if (!hv && !(mn->flags & PDM_MO_EXEC))
            continue;
        if (*mn->path)
            snprintf(uri, sizeof uri, "%s/%s", cp->base, mn->path);
        else
            snprintf(uri, sizeof uri, "%s", cp->base);
        mo_call(cp, rule, uri, uri, hv && !(mn->flags & PDM_MO_NO_GET),
                hv && !(mn->flags & PDM_MO_NO_REPLACE) && mode != MODE_ALLOC,
                (mn->flags & PDM_MO_EXEC) && mode != MODE_ALLOC, &ok);
    }
    if (cp->ops.mo.notify && mode != MODE_ALLOC) {
        snprintf(uri, sizeof uri, "%s/ChkNew", cp->base);
        step(rule, "mo '%s': notify(ADD)", cp->name);
        (void)cp->ops.mo.notify(cp->inst, PDM_OP_ADD, uri);
        after_call();
        step(rule, "mo '%s': notify(DELETE)", cp->name);
        (void)cp->ops.mo.notify(cp->inst, PDM_OP_DELETE, uri);
        after_call();
    }
    if (cp->ops.mo.begin) {
        step(rule, "mo '%s': begin()", cp->name);
        if (cp->ops.mo.begin(cp->inst) == PDM_OK) {
            after_call();
            if (cp->ops.mo.rollback) {
                step(rule, "mo '%s': rollback()", cp->name);
                cp->ops.mo.rollback(cp->inst);
            } else if (cp->ops.mo.commit) {
                step(rule, "mo '%s': commit()", cp->name);
                (void)cp->ops.mo.commit(cp->inst);
            }
        }
        after_call();
    }
    if (ok && mode == MODE_CUR)
        pass("mem.ownership", "values from get()");
}

static void run_comp(comp *cp, int mode)
{
    if (!cp->created) {
        if (mode != MODE_ALLOC && mode != MODE_HOST)
            skip(mode_rule(mode, "mem.ownership"),
                 "%s '%s' was not created here (%s)", kind_name(cp->kind),
                 cp->name, H.err_set ? H.err : "create failed");
        return;
    }
    switch (cp->kind) {
    case PDM_KIND_POLICY: run_policy(cp, mode); break;
    case PDM_KIND_AUTHORITY: run_authority(cp, mode); break;
    case PDM_KIND_BOOTSTRAP: run_bootstrap(cp, mode); break;
    case PDM_KIND_MO:
        if (mode != MODE_ODD || cp->ops.mo.get || cp->ops.mo.replace ||
            cp->ops.mo.exec)
            run_mo(cp, mode);
        break;
    }
}

/* ---- cases -------------------------------------------------------------- */

/* Runs the methods of every component in @mode, each as its own check. */
static void case_methods(int mode, const char *label)
{
    set_check("plugin: %s", label);
    if (!start(mode_rule(mode, "mem.leak"))) {
        skip(mode_rule(mode, "mem.leak"),
             "init failed: %s (give the plugin's options with --profile)",
             H.err_set ? H.err : "no error text");
        return;
    }
    for (size_t i = 0; i < M.ncomps; i++) {
        comp *cp = &M.comps[i];
        if (!cp->usable || (mode == MODE_ODD && cp->kind != PDM_KIND_MO))
            continue;
        set_check("%s %s: %s", kind_name(cp->kind), cp->name, label);
        run_comp(cp, mode);
        if (mode == MODE_1_0 && cp->created)
            pass("abi.struct-size", "ABI 1.0 sizes at a guard page");
    }
    set_check("plugin: %s", label);
    stop(mode_rule(mode, "mem.leak"));
    if (mode == MODE_CUR) {
        leak_check("fini");
        fd_leak_check();
    }
}

/*
 * The plugin with a host table of ABI 1.@minor's size, ending at a guard
 * page: reading a member beyond its struct_size faults.  At the plugin's
 * own minor (the smallest table a core that loads it offers) it must
 * work as with the full table; at 1.0 it must test every later member
 * with PDM_HOST_HAS and either cope or refuse in init (cleanly, as
 * lifecycle.failed-init says).  Runs only when init and every create
 * succeed with the full table (the parent knows from the lifecycle case).
 */
static void case_host(unsigned minor)
{
    size_t size = host_at_minor(minor);
    pdm_host_api *h = guarded(3, &host, size);
    char label[96];
    h->struct_size = (uint32_t)size;
    h->abi_minor = (uint16_t)minor;
    snprintf(label, sizeof label, "host table of ABI 1.%u (%zu bytes)", minor,
             size);
    set_check("plugin: %s", label);
    cur_host = h;
    quiet = true;
    if (!start("abi.host-size")) {
        quiet = false;
        if (failed_init_check(M.init_rc, label))
            pass("abi.host-size", "init refused it: %s", H.err);
        return;
    }
    for (size_t i = 0; i < M.ncomps; i++)
        if (M.comps[i].usable)
            run_comp(&M.comps[i], MODE_HOST);
    stop("abi.host-size");
    quiet = false;
    pass("abi.host-size", "nothing read beyond struct_size %zu", size);
}

static void case_lifecycle(void)
{
    const char *unread;
    set_check("lifecycle: init, create, destroy, fini");
    if (!start("mem.leak")) {
        failed_init_check(M.init_rc, "with the profile's options");
        skip("mem.leak", "init failed: %s (give the plugin's options with "
                         "--profile)",
             H.err_set ? H.err : "no error text");
        return;
    }
    {
        bool all = true;
        for (size_t i = 0; i < M.ncomps; i++)
            all = all && (!M.comps[i].usable || M.comps[i].created);
        emit("B", all ? "1" : "0", (const char *)NULL);
    }
    stop("mem.leak");
    leak_check("fini");
    set_check("options read");
    unread = NULL;
    for (size_t i = 0; i < H.nread_keys; i++) {
        bool declared = false;
        for (const pdm_option_desc *o = M.d.options; o && o->key; o++)
            declared = declared || !strcmp(o->key, H.read_keys[i]);
        if (!declared) {
            unread = H.read_keys[i];
            fail("options.declared",
                 "the plugin reads option.%s, which it does not declare: a "
                 "profile setting it is refused",
                 unread);
        }
    }
    if (!unread)
        pass("options.declared", "%zu option(s) read, all declared",
             H.nread_keys);
}

static void case_alloc(long fail_at)
{
    set_check("allocation failures");
    H.fail_at = fail_at;
    quiet = true;
    if (!start("mem.alloc-failure")) {
        char why[64];
        snprintf(why, sizeof why, "allocation #%ld refused", fail_at);
        quiet = false;
        if (fail_at && H.refused)
            failed_init_check(M.init_rc, why);
        else if (!fail_at)
            emit("N", "0", (const char *)NULL);
        return;
    }
    for (size_t i = 0; i < M.ncomps; i++)
        if (M.comps[i].usable)
            run_comp(&M.comps[i], MODE_ALLOC);
    stop("mem.alloc-failure");
    quiet = false;
    if (!fail_at) {
        char n[32];
        snprintf(n, sizeof n, "%ld", H.seq);
        emit("N", n, (const char *)NULL);
        return;
    }
    if (H.n) {
        fail("mem.leak",
             "with allocation #%ld refused: %zu block(s), %zu bytes, left "
             "after fini; the first from %s",
             fail_at, H.n, live_bytes(), H.v[0].where);
    } else {
        pass("mem.leak", "nothing left");
    }
    pass("mem.alloc-failure", "no crash");
}

static bool option_bad_for(const char *type, const char *value)
{
    const char *v = value;
    if (!strncmp(type, "bool", 4))
        return strcmp(v, "true") && strcmp(v, "false") && *v;
    if (!strncmp(type, "int", 3))
        return *v && strspn(v, "0123456789") != strlen(v);
    if (!strncmp(type, "enum:", 5)) {
        const char *s = type + 5;
        size_t n = strcspn(s, ",");
        while (n) {
            size_t w = strcspn(s, "|,");
            if (w == strlen(v) && !strncmp(s, v, w))
                return false;
            s += w;
            n -= w;
            if (*s == '|') {
                s++;
                n--;
            }
        }
        return *v != 0;
    }
    return false;
}

static void case_option(const pc_case *cs)
{
    pc_opt extra = {cs->opt_key, cs->opt_value};
    bool bad = option_bad_for(cs->opt_type, cs->opt_value) ||
               (strstr(cs->opt_type, "required") && !*cs->opt_value);
    bool created_all = true;
    set_check("option.%s: odd values", cs->opt_key);
    H.extra = &extra;
    if (!start("options.malformed")) {
        char why[160];
        snprintf(why, sizeof why, "option.%s = %s", cs->opt_key,
                 cs->opt_label);
        failed_init_check(M.init_rc, why);
        if (!cs->baseline_ok)
            skip("options.malformed", "init fails without it too");
        else if (H.err_set && !strstr(H.err, cs->opt_key))
            fail("options.malformed",
                 "init refused option.%s = %s, but its error does not name "
                 "the option: \"%s\"",
                 cs->opt_key, cs->opt_label, H.err);
        else
            pass("options.malformed", "refused");
        return;
    }
    for (size_t i = 0; i < M.ncomps; i++)
        if (M.comps[i].usable && !M.comps[i].created)
            created_all = false;
    if (!cs->baseline_ok)
        skip("options.malformed", "a component cannot be created without "
                                  "it either");
    else if (!created_all && H.err_set && !strstr(H.err, cs->opt_key))
        fail("options.malformed",
             "create refused option.%s = %s, but its error does not name "
             "the option: \"%s\"",
             cs->opt_key, cs->opt_label, H.err);
    else if (created_all && bad && !strstr(H.msgs, cs->opt_key))
        fail("options.malformed",
             "option.%s = %s taken silently: the option is %s (no error, "
             "log or status names it)",
             cs->opt_key, cs->opt_label, cs->opt_type);
    else
        pass("options.malformed", "%s", created_all ? "taken" : "refused");
    stop("options.malformed");
    if (H.n)
        fail("mem.leak",
             "option.%s = %s: %zu block(s) left after fini; the first from "
             "%s",
             cs->opt_key, cs->opt_label, H.n, H.v[0].where);
}

void pc_run_case(const pc_input *in, const pc_case *cs, int fd)
{
    out_fd = fd;
    memset(&H, 0, sizeof H);
    memset(&M, 0, sizeof M);
    H.in = in;
    if (!load(in->module, cs->type == PC_CASE_DESC)) {
        if (cs->type == PC_CASE_DESC)
            emit("F", (const char *)NULL);
        emit("D", (const char *)NULL);
        return;
    }
    switch (cs->type) {
    case PC_CASE_DESC: break;
    case PC_CASE_LIFECYCLE: case_lifecycle(); break;
    case PC_CASE_METHODS: case_methods(MODE_CUR, "methods"); break;
    case PC_CASE_SIZES_1_0:
        case_methods(MODE_1_0, "ABI 1.0 struct sizes");
        break;
    case PC_CASE_ODD_URIS: case_methods(MODE_ODD, "odd URIs"); break;
    case PC_CASE_ALLOC_COUNT: case_alloc(0); break;
    case PC_CASE_ALLOC_FAIL: case_alloc(cs->fail_at); break;
    case PC_CASE_OPTION: case_option(cs); break;
    case PC_CASE_HOST_MINOR: case_host(M.d.abi_minor); break;
    case PC_CASE_HOST_1_0:
        /* A plugin of ABI 1.0 or 1.1 had that table in the case above. */
        if (host_at_minor(M.d.abi_minor) != host_at_minor(0))
            case_host(0);
        break;
    }
    emit("D", (const char *)NULL);
}
