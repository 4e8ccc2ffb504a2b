/*
 * `polydm plugin check`, the child side (plugin_check.h): one case run
 * against the module through a host of the checker's own.
 *
 * The common part (plugin_check_int.h): the rules, reporting, the
 * checker's host, loading the module, init/create/destroy/fini, the
 * cases; each kind's methods are in plugin_check_<kind>.c.
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
#include "plugin_check_int.h"
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
void pc_step(const char *rule, const char *fmt, ...)
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

void pc_fail(const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    result("fail", rule, fmt, ap);
    va_end(ap);
}

bool pc_quiet; /* allocation runs: report failures only */

void pc_pass(const char *rule, const char *fmt, ...)
{
    va_list ap;
    if (pc_quiet)
        return;
    va_start(ap, fmt);
    result("pass", rule, fmt, ap);
    va_end(ap);
}

void pc_skip(const char *rule, const char *fmt, ...)
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

struct pdm_plugin_ctx {
    int unused;
};

pc_host_state pc_h;

static struct pdm_plugin_ctx the_pc;

static long blk_find(const void *p)
{
    for (size_t i = pc_h.n; i-- > 0;)
        if (pc_h.v[i].p == p)
            return (long)i;
    return -1;
}

static void *h_alloc(size_t n)
{
    void *p;
    pc_h.seq++;
    if (pc_h.fail_at && pc_h.seq == pc_h.fail_at) {
        pc_h.refused = true;
        return NULL;
    }
    if (pc_h.n == pc_h.cap) {
        size_t cap = pc_h.cap ? 2 * pc_h.cap : 64;
        blk *v = realloc(pc_h.v, cap * sizeof(*v));
        if (!v)
            return NULL;
        pc_h.v = v;
        pc_h.cap = cap;
    }
    if (!(p = malloc(n ? n : 1)))
        return NULL;
    pc_h.v[pc_h.n].p = p;
    pc_h.v[pc_h.n].n = n;
    cli_strlcpy(pc_h.v[pc_h.n].where, cur_what, sizeof pc_h.v[pc_h.n].where);
    pc_h.n++;
    return p;
}

static void h_free(void *p)
{
    long i;
    if (!p)
        return;
    if ((i = blk_find(p)) < 0) {
        /* Not ours (libc, static, freed twice): never free it. */
        if (!pc_h.bad_frees++)
            cli_strlcpy(pc_h.bad_free_where, cur_what,
                        sizeof pc_h.bad_free_where);
        return;
    }
    free(p);
    pc_h.v[i] = pc_h.v[--pc_h.n];
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
    if (pc_h.msgs_len + n + 2 >= sizeof pc_h.msgs)
        return;
    memcpy(pc_h.msgs + pc_h.msgs_len, s, n);
    pc_h.msgs_len += n;
    pc_h.msgs[pc_h.msgs_len++] = '\n';
    pc_h.msgs[pc_h.msgs_len] = 0;
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
    vsnprintf(pc_h.err, sizeof pc_h.err, fmt, ap);
    va_end(ap);
    pc_h.err_set = true;
    note(pc_h.err);
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
    if (pc_h.nread_keys < 32) {
        bool seen = false;
        for (size_t i = 0; i < pc_h.nread_keys; i++)
            seen = seen || strcmp(pc_h.read_keys[i], key) == 0;
        if (!seen)
            cli_strlcpy(pc_h.read_keys[pc_h.nread_keys++], key,
                        sizeof pc_h.read_keys[0]);
    }
    if (pc_h.extra && strcmp(pc_h.extra->key, key) == 0)
        return pc_h.extra->value;
    for (size_t i = 0; i < pc_h.in->nopts; i++)
        if (strcmp(pc_h.in->opts[i].key, key) == 0)
            return pc_h.in->opts[i].value;
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
    return pc_h.phase == PH_METHOD ? PDM_ENOTFOUND : PDM_ENOTSUP;
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
    for (kvent *e = pc_h.kv; e; e = e->next)
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
        e->next = pc_h.kv;
        pc_h.kv = e;
    }
    free(e->val);
    e->val = copy;
    e->len = len;
    return PDM_OK;
}

static int h_kv_del(pdm_plugin_ctx *pc, const char *key)
{
    (void)pc;
    for (kvent **pp = &pc_h.kv; key && *pp; pp = &(*pp)->next) {
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
    return pc_h.phase == PH_METHOD ? PDM_ENOTFOUND : PDM_ENOTSUP;
}

static int h_set_lock(pdm_plugin_ctx *pc, uint32_t level, const char *sid)
{
    (void)pc;
    (void)sid;
    if (pc_h.phase == PH_INIT || pc_h.phase == PH_FINI)
        return PDM_ENOTSUP;
    if (level > PDM_LOCK_FULL)
        return PDM_EINVAL;
    pc_h.lock = level;
    return PDM_OK;
}

static int h_get_lock(pdm_plugin_ctx *pc, uint32_t *level)
{
    (void)pc;
    if (!level)
        return PDM_EINVAL;
    *level = pc_h.lock;
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
    return pc_h.phase == PH_INIT || pc_h.phase == PH_FINI ? PDM_ENOTSUP : PDM_OK;
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
 * left open is a leak (plugin_check_bootstrap.c). */
fd_snap pc_fds_before_init;

void pc_fd_snapshot(fd_snap *s)
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

bool pc_fd_in(const fd_snap *s, int fd)
{
    return fd >= 0 && fd < FD_SNAP_MAX &&
           (s->open[fd / 8] & (1u << (fd % 8)));
}

bool pc_fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* A block the core may take: NULL (when allowed) or a live host block
 * starting exactly at @p. */
bool pc_owned(const void *p)
{
    return p == NULL || blk_find(p) >= 0;
}

/* Checks an out pointer handed over with PDM_OK; takes it as the core
 * would (host->free) when it is a host block. */
void pc_take(const char *what, const char *field, void *p, bool *ok)
{
    if (!p)
        return;
    if (!pc_owned(p)) {
        pc_fail("mem.ownership",
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
void pc_after_call(void)
{
    if (pc_h.bad_frees) {
        pc_fail("mem.ownership",
             "host->free got %ld pointer(s) the host never handed out (or "
             "freed twice), first in %s",
             pc_h.bad_frees, pc_h.bad_free_where);
        pc_h.bad_frees = 0;
    }
}

/* ---- the module --------------------------------------------------------- */

pc_module pc_m;

const char *pc_kind_name(uint32_t k)
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
    pc_step("abi.descriptor", "loading the module");
    pc_m.dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!pc_m.dl) {
        if (report)
            pc_fail("abi.descriptor", "cannot load: %s", dlerror());
        return false;
    }
    *(void **)&entry = dlsym(pc_m.dl, PDM_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        if (report)
            pc_fail("abi.descriptor", "no entry symbol '%s'",
                 PDM_PLUGIN_ENTRY_SYMBOL);
        return false;
    }
    pc_step("abi.descriptor", "calling the entry function");
    r = pc_m.raw = entry();
    if (!r) {
        if (report)
            pc_fail("abi.descriptor", "the entry function returned NULL");
        return false;
    }
    if (r->struct_size < PDM_PLUGIN_DESC_SIZE_1_0 ||
        r->abi_major != PDM_ABI_MAJOR || r->abi_minor > PDM_ABI_MINOR) {
        if (report)
            pc_fail("abi.descriptor",
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
            pc_fail("abi.descriptor",
                 "struct_size is %u bytes; ABI %u.%u defines %zu: set it "
                 "with PDM_PLUGIN_DESC_HEAD (sizeof(pdm_plugin_desc))",
                 (unsigned)r->struct_size, r->abi_major, r->abi_minor,
                 sizeof(pdm_plugin_desc));
    }
    memset(&pc_m.d, 0, sizeof pc_m.d);
    memcpy(&pc_m.d, r,
           r->struct_size < sizeof pc_m.d ? r->struct_size : sizeof pc_m.d);
    if (report) {
        const char *bn = base_name(module);
        size_t bl = strlen(bn);
        emit("P", pc_m.d.name && valid_id(pc_m.d.name) ? pc_m.d.name : "",
             (const char *)NULL);
        if (!valid_id(pc_m.d.name)) {
            names_ok = false;
            pc_fail("abi.names", "name '%s' is not [a-z0-9-]+",
                 pc_m.d.name ? pc_m.d.name : "(null)");
        } else if (!strcmp(pc_m.d.name, "core") || !strcmp(pc_m.d.name, "agent")) {
            names_ok = false;
            pc_fail("abi.names", "name '%s' is reserved for the core's store",
                 pc_m.d.name);
        } else if (bl < 4 || strcmp(bn + bl - 3, ".so") ||
                   strlen(pc_m.d.name) != bl - 3 ||
                   strncmp(bn, pc_m.d.name, bl - 3)) {
            names_ok = false;
            pc_fail("abi.names", "name '%s' but the file is '%s' (expected "
                              "%s.so)", pc_m.d.name, bn, pc_m.d.name);
        }
        if (!pc_m.d.version || !*pc_m.d.version) {
            names_ok = false;
            pc_fail("abi.names", "no version string");
        }
        if (!pc_m.d.summary || !*pc_m.d.summary) {
            names_ok = false;
            pc_fail("abi.names", "no summary");
        }
    }
    if (!pc_m.d.components) {
        if (report)
            pc_fail("abi.names", "no component array");
        return false;
    }
    while (n <= MAX_COMPS && pc_m.d.components[n].kind != PDM_KIND_END)
        n++;
    if (n == 0 || n > MAX_COMPS) {
        if (report && n)
            pc_fail("abi.names", "more than %d components (missing "
                              "terminator?)", MAX_COMPS);
        else if (report)
            pc_fail("abi.names", "no components");
        return false;
    }
    pc_m.ncomps = n;
    for (size_t i = 0; i < n; i++) {
        const pdm_component *c = &pc_m.d.components[i];
        comp *cp = &pc_m.comps[i];
        const char *cn = c->name && *c->name ? c->name : "(unnamed)";
        size_t minsz = ops_min(c->kind);
        cp->c = c;
        cp->kind = c->kind;
        cp->name = cn;
        cp->usable = false;
        if (!c->name || !*c->name) {
            names_ok = false;
            if (report)
                pc_fail("abi.names", "component #%zu has no name", i + 1);
        }
        for (size_t j = 0; c->name && j < i; j++)
            if (pc_m.comps[j].c->name && !strcmp(pc_m.comps[j].c->name, c->name)) {
                names_ok = false;
                if (report)
                    pc_fail("abi.names", "two components named '%s'", cn);
            }
        if (c->flags) {
            res_ok = false;
            if (report)
                pc_fail("abi.reserved", "component '%s': flags 0x%x (0 in ABI "
                                     "1.x)", cn, (unsigned)c->flags);
        }
        for (size_t k = 0; k < 2; k++)
            if (c->reserved[k]) {
                res_ok = false;
                if (report)
                    pc_fail("abi.reserved",
                         "component '%s': reserved[%zu] is not NULL", cn, k);
            }
        if (!minsz) {
            names_ok = false;
            if (report)
                pc_fail("abi.names", "component '%s': unknown kind %u", cn,
                     (unsigned)c->kind);
            continue;
        }
        if (!c->ops) {
            vt_ok = false;
            if (report)
                pc_fail("abi.vtable", "component '%s': NULL vtable", cn);
            continue;
        }
        if (c->ops->kind != c->kind || c->ops->struct_size < minsz) {
            vt_ok = false;
            if (report)
                pc_fail("abi.vtable",
                     "component '%s' (%s): vtable kind %u, struct_size %u "
                     "(ABI 1.0: %zu)",
                     cn, pc_kind_name(c->kind), (unsigned)c->ops->kind,
                     (unsigned)c->ops->struct_size, minsz);
            continue;
        }
        if (c->ops->struct_size > ops_at_minor(c->kind, pc_m.d.abi_minor) ||
            c->ops->struct_size % sizeof(void *)) {
            vt_ok = false;
            if (report)
                pc_fail("abi.vtable",
                     "component '%s': %s vtable struct_size %u, but ABI "
                     "%u.%u defines at most %zu: the core would call "
                     "methods that are not there",
                     cn, pc_kind_name(c->kind), (unsigned)c->ops->struct_size,
                     pc_m.d.abi_major, pc_m.d.abi_minor,
                     ops_at_minor(c->kind, pc_m.d.abi_minor));
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
            for (size_t k = 0; k < pc_h.in->nmo_bases; k++)
                if (!strcmp(pc_h.in->mo_bases[k].key, cn))
                    cp->base = pc_h.in->mo_bases[k].value;
            cp->usable = cp->base && !strncmp(cp->base, "./", 2);
            for (const pdm_mo_node *mn = cp->ops.mo.nodes; mn && mn->path;
                 mn++) {
                if ((mn->flags & ~NODE_FLAGS) || mn->reserved[0] ||
                    mn->reserved[1]) {
                    res_ok = false;
                    if (report)
                        pc_fail("abi.reserved",
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
                pc_fail("abi.vtable", "component '%s' (%s): a required method "
                                   "or the absolute base URI is missing",
                     cn, pc_kind_name(c->kind));
        }
    }
    for (const pdm_option_desc *o = pc_m.d.options; o && o->key; o++) {
        char type[160];
        if (o - pc_m.d.options >= 256) {
            names_ok = false;
            if (report)
                pc_fail("abi.names", "more than 256 options (missing "
                                  "terminator?)");
            break;
        }
        if ((o->flags & ~OPTION_FLAGS) || o->reserved0 || o->reserved[0] ||
            o->reserved[1]) {
            res_ok = false;
            if (report)
                pc_fail("abi.reserved", "option '%s': %s", o->key,
                     (o->flags & ~OPTION_FLAGS)
                         ? "flags has bits ABI 1.x does not define"
                     : o->reserved0 ? "reserved0 is not 0"
                                    : "a reserved slot is not NULL");
        }
        for (const pdm_option_desc *p = pc_m.d.options; p < o; p++)
            if (!strcmp(p->key, o->key)) {
                names_ok = false;
                if (report)
                    pc_fail("abi.names", "option '%s' declared twice", o->key);
            }
        option_type(o, type, sizeof type);
        if (report)
            emit("O", o->key, type, (const char *)NULL);
    }
    if (report) {
        if (desc_ok)
            pc_pass("abi.descriptor", "%u bytes, ABI %u.%u",
                 (unsigned)r->struct_size, r->abi_major, r->abi_minor);
        if (names_ok)
            pc_pass("abi.names", "'%s' %s, %zu component(s)", pc_m.d.name,
                 pc_m.d.version, n);
        if (res_ok)
            pc_pass("abi.reserved", "components, options, MO nodes");
        if (vt_ok)
            pc_pass("abi.vtable", "%zu vtable(s)", n);
    }
    return true;
}

static size_t live_bytes(void)
{
    size_t b = 0;
    for (size_t i = 0; i < pc_h.n; i++)
        b += pc_h.v[i].n;
    return b;
}

/* Runs init and create; false if init failed (reported per @why). */
static bool start(const char *rule)
{
    int rc = PDM_OK;
    pc_h.phase = PH_INIT;
    pc_m.pdata = NULL;
    pc_fd_snapshot(&pc_fds_before_init);
    for (size_t i = 0; i < pc_m.ncomps; i++) {
        pc_m.comps[i].wfd = -1;
        pc_m.comps[i].watched = false;
    }
    if (pc_m.d.init) {
        pc_step(rule, "init()");
        pc_h.err_set = false;
        rc = pc_m.d.init(&the_pc, cur_host, &pc_m.pdata);
        pc_after_call();
    }
    pc_m.init_rc = rc;
    if (rc != PDM_OK)
        return false;
    pc_m.inited = true;
    pc_h.phase = PH_CREATE;
    for (size_t i = 0; i < pc_m.ncomps; i++) {
        comp *cp = &pc_m.comps[i];
        if (!cp->usable)
            continue;
        cp->inst = NULL;
        if (cp->ops.head.create) {
            pc_step(rule, "%s '%s': create()", pc_kind_name(cp->kind), cp->name);
            pc_h.err_set = false;
            rc = cp->ops.head.create(&the_pc, pc_m.pdata, &cp->inst);
            pc_after_call();
            if (rc != PDM_OK) {
                cp->inst = NULL;
                continue;
            }
        }
        cp->created = true;
    }
    pc_h.phase = PH_METHOD;
    return true;
}

static void stop(const char *rule)
{
    pc_h.phase = PH_DESTROY;
    for (size_t i = pc_m.ncomps; i-- > 0;) {
        comp *cp = &pc_m.comps[i];
        if (!cp->created)
            continue;
        if (cp->wfd >= 0 && !pc_fd_open(cp->wfd))
            pc_fail("bootstrap.watch-fd",
                 "bootstrap '%s': descriptor %d from watch_fd() was closed "
                 "before destroy (the host polls it until then)",
                 cp->name, cp->wfd);
        if (cp->ops.head.destroy) {
            pc_step(rule, "%s '%s': destroy()", pc_kind_name(cp->kind), cp->name);
            cp->ops.head.destroy(cp->inst);
            pc_after_call();
        }
        cp->created = false;
    }
    pc_h.phase = PH_FINI;
    if (pc_m.inited && pc_m.d.fini) {
        pc_step(rule, "fini()");
        pc_m.d.fini(&the_pc, pc_m.pdata);
        pc_after_call();
    }
    pc_m.inited = false;
}

/* After fini: nothing of the host's may be left. */
static void leak_check(const char *after)
{
    if (pc_h.n)
        pc_fail("mem.leak",
             "%zu block(s), %zu bytes, still allocated after %s; the first "
             "from %s",
             pc_h.n, live_bytes(), after, pc_h.v[0].where);
    else
        pc_pass("mem.leak", "nothing left after %s", after);
}

/* A failed init: plugin.h says nothing runs after it, so it must have
 * cleaned up after itself and said why. */
static bool failed_init_check(int rc, const char *why)
{
    bool ok = true;
    if (rc >= 0) {
        pc_fail("lifecycle.failed-init", "init returned %d (%s): a failure must "
                                      "be a negative pdm_rc",
             rc, why);
        ok = false;
    }
    if (!pc_h.err_set) {
        pc_fail("lifecycle.failed-init",
             "init failed (%s) without host->set_error saying why", why);
        ok = false;
    }
    if (pc_h.n) {
        pc_fail("lifecycle.failed-init",
             "%zu block(s), %zu bytes, left after init failed (%s): fini "
             "and destroy never run after a failed init; first from %s",
             pc_h.n, live_bytes(), why, pc_h.v[0].where);
        ok = false;
    }
    if (ok)
        pc_pass("lifecycle.failed-init", "init failed cleanly (%s)", why);
    return ok;
}

/* ---- guard pages -------------------------------------------------------- */

/* Four guarded slots: a struct placed at the end of a page followed by a
 * PROT_NONE page, so that touching anything beyond struct_size faults. */
static uint8_t *guard_pages[4];
static size_t page_size;

void *pc_guarded(int slot, const void *src, size_t size)
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

const char *pc_mode_rule(int mode, const char *own)
{
    switch (mode) {
    case MODE_1_0: return "abi.struct-size";
    case MODE_HOST: return "abi.host-size";
    case MODE_ALLOC: return "mem.alloc-failure";
    case MODE_ODD: return "mo.odd-uri";
    }
    return own;
}

bool pc_verdict_ok(const char *rule, const char *what, int rc,
                       const pdm_verdict *v)
{
    if (rc != PDM_OK)
        return true; /* counts as DENY (fail closed) */
    if (v->decision > PDM_DENY) {
        pc_fail(rule, "%s answered decision %u: not ALLOW, DENY or ABSTAIN",
             what, (unsigned)v->decision);
        return false;
    }
    if (v->reserved) {
        pc_fail(rule, "%s left verdict.reserved %u (must be 0)", what,
             (unsigned)v->reserved);
        return false;
    }
    if (!memchr(v->reason, 0, sizeof v->reason)) {
        pc_fail(rule, "%s: the reason is not NUL-terminated", what);
        return false;
    }
    if (v->decision == PDM_DENY && !v->reason[0]) {
        pc_fail(rule, "%s answered DENY without a reason", what);
        return false;
    }
    return true;
}

static void run_comp(comp *cp, int mode)
{
    if (!cp->created) {
        if (mode != MODE_ALLOC && mode != MODE_HOST)
            pc_skip(pc_mode_rule(mode, "mem.ownership"),
                 "%s '%s' was not created here (%s)", pc_kind_name(cp->kind),
                 cp->name, pc_h.err_set ? pc_h.err : "create failed");
        return;
    }
    switch (cp->kind) {
    case PDM_KIND_POLICY: pc_run_policy(cp, mode); break;
    case PDM_KIND_AUTHORITY: pc_run_authority(cp, mode); break;
    case PDM_KIND_BOOTSTRAP: pc_run_bootstrap(cp, mode); break;
    case PDM_KIND_MO:
        if (mode != MODE_ODD || cp->ops.mo.get || cp->ops.mo.replace ||
            cp->ops.mo.exec)
            pc_run_mo(cp, mode);
        break;
    }
}

/* ---- cases -------------------------------------------------------------- */

/* Runs the methods of every component in @mode, each as its own check. */
static void case_methods(int mode, const char *label)
{
    set_check("plugin: %s", label);
    if (!start(pc_mode_rule(mode, "mem.leak"))) {
        pc_skip(pc_mode_rule(mode, "mem.leak"),
             "init failed: %s (give the plugin's options with --profile)",
             pc_h.err_set ? pc_h.err : "no error text");
        return;
    }
    for (size_t i = 0; i < pc_m.ncomps; i++) {
        comp *cp = &pc_m.comps[i];
        if (!cp->usable || (mode == MODE_ODD && cp->kind != PDM_KIND_MO))
            continue;
        set_check("%s %s: %s", pc_kind_name(cp->kind), cp->name, label);
        run_comp(cp, mode);
        if (mode == MODE_1_0 && cp->created)
            pc_pass("abi.struct-size", "ABI 1.0 sizes at a guard page");
    }
    set_check("plugin: %s", label);
    stop(pc_mode_rule(mode, "mem.leak"));
    if (mode == MODE_CUR) {
        leak_check("fini");
        pc_fd_leak_check();
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
    pdm_host_api *h = pc_guarded(3, &host, size);
    char label[96];
    h->struct_size = (uint32_t)size;
    h->abi_minor = (uint16_t)minor;
    snprintf(label, sizeof label, "host table of ABI 1.%u (%zu bytes)", minor,
             size);
    set_check("plugin: %s", label);
    cur_host = h;
    pc_quiet = true;
    if (!start("abi.host-size")) {
        pc_quiet = false;
        if (failed_init_check(pc_m.init_rc, label))
            pc_pass("abi.host-size", "init refused it: %s", pc_h.err);
        return;
    }
    for (size_t i = 0; i < pc_m.ncomps; i++)
        if (pc_m.comps[i].usable)
            run_comp(&pc_m.comps[i], MODE_HOST);
    stop("abi.host-size");
    pc_quiet = false;
    pc_pass("abi.host-size", "nothing read beyond struct_size %zu", size);
}

static void case_lifecycle(void)
{
    const char *unread;
    set_check("lifecycle: init, create, destroy, fini");
    if (!start("mem.leak")) {
        failed_init_check(pc_m.init_rc, "with the profile's options");
        pc_skip("mem.leak", "init failed: %s (give the plugin's options with "
                         "--profile)",
             pc_h.err_set ? pc_h.err : "no error text");
        return;
    }
    {
        bool all = true;
        for (size_t i = 0; i < pc_m.ncomps; i++)
            all = all && (!pc_m.comps[i].usable || pc_m.comps[i].created);
        emit("B", all ? "1" : "0", (const char *)NULL);
    }
    stop("mem.leak");
    leak_check("fini");
    set_check("options read");
    unread = NULL;
    for (size_t i = 0; i < pc_h.nread_keys; i++) {
        bool declared = false;
        for (const pdm_option_desc *o = pc_m.d.options; o && o->key; o++)
            declared = declared || !strcmp(o->key, pc_h.read_keys[i]);
        if (!declared) {
            unread = pc_h.read_keys[i];
            pc_fail("options.declared",
                 "the plugin reads option.%s, which it does not declare: a "
                 "profile setting it is refused",
                 unread);
        }
    }
    if (!unread)
        pc_pass("options.declared", "%zu option(s) read, all declared",
             pc_h.nread_keys);
}

static void case_alloc(long fail_at)
{
    set_check("allocation failures");
    pc_h.fail_at = fail_at;
    pc_quiet = true;
    if (!start("mem.alloc-failure")) {
        char why[64];
        snprintf(why, sizeof why, "allocation #%ld refused", fail_at);
        pc_quiet = false;
        if (fail_at && pc_h.refused)
            failed_init_check(pc_m.init_rc, why);
        else if (!fail_at)
            emit("N", "0", (const char *)NULL);
        return;
    }
    for (size_t i = 0; i < pc_m.ncomps; i++)
        if (pc_m.comps[i].usable)
            run_comp(&pc_m.comps[i], MODE_ALLOC);
    stop("mem.alloc-failure");
    pc_quiet = false;
    if (!fail_at) {
        char n[32];
        snprintf(n, sizeof n, "%ld", pc_h.seq);
        emit("N", n, (const char *)NULL);
        return;
    }
    if (pc_h.n) {
        pc_fail("mem.leak",
             "with allocation #%ld refused: %zu block(s), %zu bytes, left "
             "after fini; the first from %s",
             fail_at, pc_h.n, live_bytes(), pc_h.v[0].where);
    } else {
        pc_pass("mem.leak", "nothing left");
    }
    pc_pass("mem.alloc-failure", "no crash");
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
    pc_h.extra = &extra;
    if (!start("options.malformed")) {
        char why[160];
        snprintf(why, sizeof why, "option.%s = %s", cs->opt_key,
                 cs->opt_label);
        failed_init_check(pc_m.init_rc, why);
        if (!cs->baseline_ok)
            pc_skip("options.malformed", "init fails without it too");
        else if (pc_h.err_set && !strstr(pc_h.err, cs->opt_key))
            pc_fail("options.malformed",
                 "init refused option.%s = %s, but its error does not name "
                 "the option: \"%s\"",
                 cs->opt_key, cs->opt_label, pc_h.err);
        else
            pc_pass("options.malformed", "refused");
        return;
    }
    for (size_t i = 0; i < pc_m.ncomps; i++)
        if (pc_m.comps[i].usable && !pc_m.comps[i].created)
            created_all = false;
    if (!cs->baseline_ok)
        pc_skip("options.malformed", "a component cannot be created without "
                                  "it either");
    else if (!created_all && pc_h.err_set && !strstr(pc_h.err, cs->opt_key))
        pc_fail("options.malformed",
             "create refused option.%s = %s, but its error does not name "
             "the option: \"%s\"",
             cs->opt_key, cs->opt_label, pc_h.err);
    else if (created_all && bad && !strstr(pc_h.msgs, cs->opt_key))
        pc_fail("options.malformed",
             "option.%s = %s taken silently: the option is %s (no error, "
             "log or status names it)",
             cs->opt_key, cs->opt_label, cs->opt_type);
    else
        pc_pass("options.malformed", "%s", created_all ? "taken" : "refused");
    stop("options.malformed");
    if (pc_h.n)
        pc_fail("mem.leak",
             "option.%s = %s: %zu block(s) left after fini; the first from "
             "%s",
             cs->opt_key, cs->opt_label, pc_h.n, pc_h.v[0].where);
}

void pc_run_case(const pc_input *in, const pc_case *cs, int fd)
{
    out_fd = fd;
    memset(&pc_h, 0, sizeof pc_h);
    memset(&pc_m, 0, sizeof pc_m);
    pc_h.in = in;
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
    case PC_CASE_HOST_MINOR: case_host(pc_m.d.abi_minor); break;
    case PC_CASE_HOST_1_0:
        /* A plugin of ABI 1.0 or 1.1 had that table in the case above. */
        if (host_at_minor(pc_m.d.abi_minor) != host_at_minor(0))
            case_host(0);
        break;
    }
    emit("D", (const char *)NULL);
}
