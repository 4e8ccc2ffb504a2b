/*
 * lost-device-lock: OMA LAWMO (lock, unlock, wipe, factory reset), an
 * SDoUE-style capability switch, and the lock policy (issue 13, seed S1).
 *
 * Two components:
 *   "lawmo" (PDM_KIND_MO)     the LAWMO tree under option.base (default
 *                             ./LAWMO); docs/lawmo.md has the layout
 *   "lock"  (PDM_KIND_POLICY) only the lock authority writes the LAWMO;
 *                             while locked, every local change is refused
 *
 * Why option.base: an MO component is never told its base (mo.h gives
 * absolute URIs to its methods only), and the policy must know it before
 * the first method call.  A profile that moves the MO with
 * mo.lawmo.base sets option.base to the same URI; a handler whose URIs
 * are not under option.base refuses every call (the policy would not
 * guard them: fail closed).
 *
 * Exec is asynchronous and exactly-once across crashes: a pending-op
 * record is written to the plugin's key/value store before anything is
 * done, advanced after the device acted, and deleted once the result
 * alert is queued; the alert's once_key ("lawmo-op-<seq>") lets a record
 * left by a crash be completed again in create without a second alert.
 */
#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/policy.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const pdm_host_api *host; /* plugin.h rule 9 */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_BASE "./LAWMO"
#define DEFAULT_CLASSES "contacts,calendar,messages,media,accounts"
#define NSLOTS 8         /* AvailableWipeList/1..8: nodes are static */
#define CLASS_MAX 32     /* bytes of a class name (pdm_device_hooks) */
#define MAX_PENDING 8    /* unfinished operations kept at once */
#define MAX_FRAMES 16    /* nested begin() (package, Atomics) */
#define NKEYS (1 + NSLOTS + 3) /* undoable values: NotifyUser, slots, caps */
#define ALERT_TYPE "urn:oma:at:lawmo:1.0:OperationComplete"

/* ---- shared helpers ------------------------------------------------------ */

/* A '/'-free, absolute, normalised URI of at most 255 bytes: "./A/B". */
static int base_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 255 || strncmp(b, "./", 2) != 0 || b[n - 1] == '/' ||
        strstr(b, "//") || strstr(b, "/./") || strstr(b, "/../"))
        return 0;
    for (const unsigned char *p = (const unsigned char *)b; *p; p++)
        if (*p < 0x20 || *p == 0x7F || *p == '?')
            return 0;
    return 1;
}

/* @uri is @base or below it: the part after "base/" ("" for the base). */
static const char *below(const char *base, const char *uri)
{
    size_t n = strlen(base);
    if (!uri || strncmp(uri, base, n) != 0)
        return NULL;
    if (!uri[n])
        return uri + n;
    return uri[n] == '/' ? uri + n + 1 : NULL;
}

static int option_base(pdm_plugin_ctx *pc, char *out, size_t size)
{
    const char *v = host->get_option(pc, "base");
    if (!v)
        v = DEFAULT_BASE;
    if (!base_ok(v) || strlen(v) >= size) {
        host->set_error(pc, PDM_EINVAL,
                        "option.base: '%s' is not an absolute URI such as "
                        "./LAWMO (no trailing '/', at most 255 bytes)", v);
        return PDM_EINVAL;
    }
    memcpy(out, v, strlen(v) + 1);
    return PDM_OK;
}

/* A data class name: [A-Za-z0-9_-], 1..32 bytes (pdm_device_hooks). */
static int class_ok(const char *s, size_t n)
{
    if (!n || n > CLASS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_-", s[i]) || !s[i])
            return 0;
    return 1;
}

/* ---- A. the LAWMO handler ------------------------------------------------ */

enum { OP_FULL, OP_PARTIAL, OP_UNLOCK, OP_FACTORY, OP_WIPE };
static const char *const op_paths[] = {
    "Operations/FullyLock", "Operations/PartiallyLock", "Operations/UnLock",
    "Operations/FactoryReset", "Operations/Wipe"};

/* The capability subtree (SDoUE idea): node name, pdm_device_action name. */
static const char *const cap_nodes[] = {"SMS", "Voice", "Data"};
static const char *const cap_names[] = {"sms", "voice", "data"};
#define CAP_PREFIX "Ext/Capabilities/"

/* One value a replace() changed inside an open begin(): its kv key and
 * what it held before, so rollback() can put it back. */
typedef struct undo {
    char key[64];
    int old;
    int cap; /* index into cap_names, or -1 */
} undo;

typedef struct lawmo {
    pdm_plugin_ctx *pc;
    char base[256];
    char classes[NSLOTS * (CLASS_MAX + 1) + 1]; /* option.wipe_classes */
    int depth;
    size_t marks[MAX_FRAMES];
    undo log[MAX_FRAMES * NKEYS];
    size_t nlog;
    /* Completing a previous run's operation (create): a device that
     * answers PDM_ENOTSUP then is taken as "no device in this process"
     * (every CLI command opens a context, only the agent has the
     * device), and the operation waits for one: @deferred is set. */
    int recovering, deferred;
} lawmo;

/* A pending operation (kv "op.<seq>").  Stages: 0 recorded (act), 1 the
 * device acted and @result is final (queue the alert), 2 the alert is
 * queued (FactoryReset only: schedule the core's reset). */
typedef struct oprec {
    unsigned long seq;
    int op, stage, result;
    unsigned prev;  /* lock level before a lock (restored on failure) */
    char uri[1025];
    char corr[256];
    int has_corr;
} oprec;

static int kv_text(lawmo *in, const char *key, char *buf, size_t size)
{
    pdm_blob b = {NULL, 0};
    int rc = host->kv_get(in->pc, key, &b);
    if (rc != PDM_OK)
        return rc;
    if (b.len >= size || memchr(b.data, 0, b.len)) {
        rc = PDM_ECORRUPT;
    } else {
        memcpy(buf, b.data, b.len);
        buf[b.len] = '\0';
    }
    host->free(b.data);
    return rc;
}

static int kv_puts(lawmo *in, const char *key, const char *s)
{
    return host->kv_put(in->pc, key, s, strlen(s));
}

/* "true"/"false" in any case -> 1/0, else -1. */
static int parse_bool(const uint8_t *v, size_t n)
{
    if (n == 4 && strncasecmp((const char *)v, "true", 4) == 0)
        return 1;
    if (n == 5 && strncasecmp((const char *)v, "false", 5) == 0)
        return 0;
    return -1;
}

/* A stored bool (absent or unreadable: @def). */
static int kv_bool(lawmo *in, const char *key, int def)
{
    char buf[8];
    int v;
    if (kv_text(in, key, buf, sizeof buf) != PDM_OK)
        return def;
    v = parse_bool((const uint8_t *)buf, strlen(buf));
    return v < 0 ? def : v;
}

/* The device's wipeable classes (the hook, else option.wipe_classes)
 * into @names; *n of them.  Names the device gives that are not valid
 * are skipped (logged), as are those past the NSLOTS slots. */
static int wipe_classes(lawmo *in, char names[NSLOTS][CLASS_MAX + 1],
                        size_t *n)
{
    char buf[1024];
    const char *p = buf;
    int rc = host->wipe_classes(in->pc, buf, sizeof buf);
    *n = 0;
    if (rc == PDM_ENOTFOUND)
        p = in->classes;
    else if (rc != PDM_OK)
        return rc;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (!class_ok(p, len))
            host->log(in->pc, PDM_LOG_WARN,
                      "the device's wipe class '%.*s' is not a name of "
                      "[A-Za-z0-9_-] (at most 32 bytes): not offered",
                      (int)(len > 40 ? 40 : len), p);
        else if (*n == NSLOTS)
            host->log(in->pc, PDM_LOG_WARN,
                      "wipe class '%.*s' not offered: AvailableWipeList has "
                      "%d slots", (int)len, p, NSLOTS);
        else {
            memcpy(names[*n], p, len);
            names[(*n)++][len] = '\0';
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return PDM_OK;
}

/* "AvailableWipeList/<k>/<leaf>" -> slot k-1 (0..NSLOTS-1), else -1. */
static int slot_of(const char *rel, const char *leaf)
{
    static const char pre[] = "AvailableWipeList/";
    const char *p;
    if (strncmp(rel, pre, sizeof pre - 1) != 0)
        return -1;
    p = rel + sizeof pre - 1;
    if (p[0] < '1' || p[0] > '0' + NSLOTS || p[1] != '/' ||
        strcmp(p + 2, leaf) != 0)
        return -1;
    return p[0] - '1';
}

static int cap_of(const char *rel)
{
    if (strncmp(rel, CAP_PREFIX, sizeof CAP_PREFIX - 1) != 0)
        return -1;
    for (size_t i = 0; i < N(cap_nodes); i++)
        if (strcmp(rel + sizeof CAP_PREFIX - 1, cap_nodes[i]) == 0)
            return (int)i;
    return -1;
}

/* The path below the base, or NULL (after set_error) for a URI outside
 * option.base: mo.lawmo.base was moved without option.base. */
static const char *rel_of(lawmo *in, const char *uri)
{
    const char *r = below(in->base, uri);
    if (!r)
        host->set_error(in->pc, PDM_EFORBIDDEN,
                        "%s is not below option.base (%s): set option.base "
                        "to the profile's mo.lawmo.base, else the lock "
                        "policy would not guard it", uri, in->base);
    return r;
}

static int blob_str(const char *s, pdm_blob *out)
{
    out->data = (uint8_t *)host->strdup(s);
    out->len = out->data ? strlen(s) : 0;
    return out->data ? PDM_OK : PDM_ENOMEM;
}

static int lawmo_get(void *i, const char *uri, pdm_blob *out)
{
    lawmo *in = i;
    const char *rel = rel_of(in, uri);
    char names[NSLOTS][CLASS_MAX + 1], key[64];
    size_t n;
    int slot, c, rc;
    if (!rel)
        return PDM_EFORBIDDEN;
    if (strcmp(rel, "State") == 0) {
        uint32_t level;
        if ((rc = host->get_lock(in->pc, &level)) != PDM_OK)
            return rc;
        return blob_str(level == PDM_LOCK_FULL      ? "10"
                        : level == PDM_LOCK_PARTIAL ? "20"
                                                    : "30",
                        out);
    }
    if (strcmp(rel, "LAWMOConfig/NotifyUser") == 0)
        return blob_str(kv_bool(in, "notify_user", 0) ? "true" : "false", out);
    if ((c = cap_of(rel)) >= 0) {
        snprintf(key, sizeof key, "cap.%s", cap_names[c]);
        return blob_str(kv_bool(in, key, 1) ? "true" : "false", out);
    }
    if ((slot = slot_of(rel, "ListItemName")) >= 0 ||
        (slot = slot_of(rel, "ToBeWiped")) >= 0) {
        int name = strstr(rel, "/ListItemName") != NULL;
        if ((rc = wipe_classes(in, names, &n)) != PDM_OK)
            return rc;
        /* A slot the device does not use: an empty name, not selected. */
        if ((size_t)slot >= n)
            return blob_str(name ? "" : "false", out);
        if (name)
            return blob_str(names[slot], out);
        snprintf(key, sizeof key, "wipe.%.32s", names[slot]);
        return blob_str(kv_bool(in, key, 0) ? "true" : "false", out);
    }
    return PDM_ENOTFOUND;
}

/* Remembers @key's old value for the innermost open begin(), once. */
static void remember(lawmo *in, const char *key, int old, int cap)
{
    size_t from = in->depth ? in->marks[in->depth - 1] : 0;
    if (!in->depth)
        return; /* no transaction: nothing to undo */
    for (size_t k = from; k < in->nlog; k++)
        if (strcmp(in->log[k].key, key) == 0)
            return;
    if (in->nlog == N(in->log))
        return; /* cannot happen: NKEYS keys per frame */
    snprintf(in->log[in->nlog].key, sizeof in->log[0].key, "%s", key);
    in->log[in->nlog].old = old;
    in->log[in->nlog].cap = cap;
    in->nlog++;
}

static int notify_flag(lawmo *in) { return kv_bool(in, "notify_user", 0); }

/* Switches capability @c on the device; PDM_OK or the device's rc (its
 * reason in set_error). */
static int set_capability(lawmo *in, int c, int enable)
{
    pdm_device_action a;
    char reason[200];
    int rc;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.kind = PDM_DEVACT_CAPABILITY;
    a.capability = cap_names[c];
    a.enable = (uint32_t)enable;
    a.notify_user = (uint32_t)notify_flag(in);
    rc = host->device_action(in->pc, &a, reason, sizeof reason);
    if (rc != PDM_OK)
        host->set_error(in->pc, rc < 0 ? rc : PDM_ERROR,
                        "the device could not %s %s: %s",
                        enable ? "enable" : "disable", cap_names[c],
                        reason[0] ? reason : host->strerror(rc));
    return rc < 0 ? rc : rc ? PDM_ERROR : PDM_OK;
}

static int lawmo_replace(void *i, const char *uri, const pdm_blob *v)
{
    lawmo *in = i;
    const char *rel = rel_of(in, uri);
    char names[NSLOTS][CLASS_MAX + 1], key[64];
    int val = parse_bool(v->data, v->len), slot, c, rc, old;
    size_t n;
    if (!rel)
        return PDM_EFORBIDDEN;
    if (strcmp(rel, "LAWMOConfig/NotifyUser") == 0) {
        snprintf(key, sizeof key, "notify_user");
        c = -1;
        old = kv_bool(in, key, 0);
    } else if ((c = cap_of(rel)) >= 0) {
        snprintf(key, sizeof key, "cap.%s", cap_names[c]);
        old = kv_bool(in, key, 1);
    } else if ((slot = slot_of(rel, "ToBeWiped")) >= 0) {
        if ((rc = wipe_classes(in, names, &n)) != PDM_OK)
            return rc;
        if ((size_t)slot >= n) {
            host->set_error(in->pc, PDM_ENOTFOUND,
                            "%s: the device has no data class in slot %d",
                            uri, slot + 1);
            return PDM_ENOTFOUND;
        }
        snprintf(key, sizeof key, "wipe.%.32s", names[slot]);
        old = kv_bool(in, key, 0);
    } else {
        return PDM_ENOTALLOWED;
    }
    if (val < 0) {
        host->set_error(in->pc, PDM_EINVAL, "%s is a bool: true or false",
                        uri);
        return PDM_EINVAL;
    }
    if (c >= 0 && val != old && (rc = set_capability(in, c, val)) != PDM_OK)
        return rc;
    rc = kv_puts(in, key, val ? "true" : "false");
    if (rc != PDM_OK) {
        if (c >= 0 && val != old)
            set_capability(in, c, old); /* keep device and record equal */
        host->set_error(in->pc, rc, "%s could not be stored: %s", uri,
                        host->strerror(rc));
        return rc;
    }
    remember(in, key, old, c);
    return PDM_OK;
}

static int lawmo_begin(void *i)
{
    lawmo *in = i;
    if (in->depth == MAX_FRAMES) {
        host->set_error(in->pc, PDM_ENOSPC,
                        "more than %d nested Atomics", MAX_FRAMES);
        return PDM_ENOSPC;
    }
    in->marks[in->depth++] = in->nlog;
    return PDM_OK;
}

/* The outer frame keeps the inner one's old values: an outer rollback
 * undoes a committed inner Atomic too. */
static int lawmo_commit(void *i)
{
    lawmo *in = i;
    if (in->depth > 0 && --in->depth == 0)
        in->nlog = 0;
    return PDM_OK;
}

/* The key/value store is written at once (plugin.h), so what this frame
 * changed is put back, newest first; a capability goes back on the
 * device too.  Lock, unlock, wipe and factory reset are device facts
 * and are not undone. */
static void lawmo_rollback(void *i)
{
    lawmo *in = i;
    size_t mark;
    if (in->depth == 0)
        return;
    mark = in->marks[--in->depth];
    while (in->nlog > mark) {
        undo *u = &in->log[--in->nlog];
        if (u->cap >= 0 && set_capability(in, u->cap, u->old) != PDM_OK)
            host->log(in->pc, PDM_LOG_ERROR,
                      "rollback: %s could not be switched back %s on the "
                      "device", cap_names[u->cap], u->old ? "on" : "off");
        if (kv_puts(in, u->key, u->old ? "true" : "false") != PDM_OK)
            host->log(in->pc, PDM_LOG_ERROR,
                      "rollback: %s could not be restored", u->key);
    }
}

/* ---- pending operations -------------------------------------------------- */

static int rec_key(char *buf, size_t size, unsigned long seq)
{
    return snprintf(buf, size, "op.%lu", seq) < (int)size ? PDM_OK
                                                          : PDM_ERROR;
}

static int rec_save(lawmo *in, const oprec *r)
{
    char key[32], buf[1400];
    int n = snprintf(buf, sizeof buf, "%lu %d %d %d %u\n%s\n%c%s", r->seq,
                     r->op, r->stage, r->result, r->prev, r->uri,
                     r->has_corr ? 'C' : 'N', r->has_corr ? r->corr : "");
    if (n < 0 || (size_t)n >= sizeof buf || rec_key(key, sizeof key, r->seq))
        return PDM_ERROR;
    return host->kv_put(in->pc, key, buf, (size_t)n);
}

static int rec_load(lawmo *in, unsigned long seq, oprec *r)
{
    char key[32], buf[1400], *uri, *corr, *end;
    int rc;
    memset(r, 0, sizeof *r);
    if (rec_key(key, sizeof key, seq) != PDM_OK)
        return PDM_ECORRUPT;
    if ((rc = kv_text(in, key, buf, sizeof buf)) != PDM_OK)
        return rc;
    uri = strchr(buf, '\n');
    corr = uri ? strchr(uri + 1, '\n') : NULL;
    if (!corr)
        return PDM_ECORRUPT;
    *uri++ = '\0';
    *corr++ = '\0';
    r->seq = strtoul(buf, &end, 10);
    if (sscanf(end, " %d %d %d %u", &r->op, &r->stage, &r->result,
               &r->prev) != 4 || r->seq != seq || r->op < OP_FULL ||
        r->op > OP_WIPE || r->stage < 0 || r->stage > 2 ||
        strlen(uri) >= sizeof r->uri || strlen(corr) > sizeof r->corr ||
        (corr[0] != 'C' && corr[0] != 'N'))
        return PDM_ECORRUPT;
    memcpy(r->uri, uri, strlen(uri) + 1);
    r->has_corr = corr[0] == 'C';
    memcpy(r->corr, corr + 1, strlen(corr + 1) + 1);
    return PDM_OK;
}

/* The index "pending": the seqs of unfinished records, oldest first. */
static size_t pending_list(lawmo *in, unsigned long *seqs, size_t max)
{
    char buf[256], *p = buf, *end;
    size_t n = 0;
    if (kv_text(in, "pending", buf, sizeof buf) != PDM_OK)
        return 0;
    while (n < max) {
        unsigned long s = strtoul(p, &end, 10);
        if (end == p)
            break;
        seqs[n++] = s;
        p = end;
    }
    return n;
}

static int pending_write(lawmo *in, const unsigned long *seqs, size_t n)
{
    char buf[256];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lu",
                                k ? " " : "", seqs[k]);
    return n ? kv_puts(in, "pending", buf) : host->kv_del(in->pc, "pending");
}

/* Forgets record @seq: the index first, so that a crash between the two
 * leaves an orphan record that is never read, not a finished op that is
 * done again. */
static void rec_drop(lawmo *in, unsigned long seq)
{
    unsigned long seqs[MAX_PENDING];
    size_t n = pending_list(in, seqs, MAX_PENDING), m = 0;
    char key[32];
    for (size_t k = 0; k < n; k++)
        if (seqs[k] != seq)
            seqs[m++] = seqs[k];
    if (pending_write(in, seqs, m) != PDM_OK)
        host->log(in->pc, PDM_LOG_ERROR,
                  "operation %lu finished but could not be unlisted", seq);
    if (rec_key(key, sizeof key, seq) == PDM_OK)
        host->kv_del(in->pc, key);
}

/* ---- the operations ---------------------------------------------------- */

static int device_act(lawmo *in, uint32_t kind, const char *const *classes,
                      size_t nclasses, const char *what)
{
    pdm_device_action a;
    char reason[200];
    int rc;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.kind = kind;
    a.classes = classes;
    a.nclasses = nclasses;
    a.notify_user = (uint32_t)notify_flag(in);
    rc = host->device_action(in->pc, &a, reason, sizeof reason);
    if (rc == PDM_ENOTSUP && in->recovering) {
        in->deferred = 1;
        return rc;
    }
    if (rc != PDM_OK)
        host->log(in->pc, rc == PDM_ECANCELLED ? PDM_LOG_INFO : PDM_LOG_WARN,
                  "%s: the device answered %s%s%s", what, host->strerror(rc),
                  reason[0] ? ": " : "", reason);
    return rc;
}

/* LAWMO result code of a device answer: @fail for a failure. */
static int code_of(int rc, int ok, int fail)
{
    return rc == PDM_OK ? ok : rc == PDM_ECANCELLED ? 1401 : fail;
}

static int do_lock(lawmo *in, oprec *r)
{
    int full = r->op == OP_FULL, rc;
    uint32_t level = full ? PDM_LOCK_FULL : PDM_LOCK_PARTIAL;
    int fail = full ? 1402 : 1403;
    uint32_t now = PDM_LOCK_NONE;
    /* The stored lock first: the policy holds from here on, and a crash
     * before the device locks redoes both (a redo finds it stored). */
    if ((!in->recovering || host->get_lock(in->pc, &now) != PDM_OK ||
         now != level) &&
        (rc = host->set_lock(in->pc, level, NULL)) != PDM_OK) {
        host->log(in->pc, PDM_LOG_ERROR, "%s: the lock could not be stored: "
                  "%s", op_paths[r->op], host->strerror(rc));
        return fail;
    }
    rc = device_act(in, full ? PDM_DEVACT_LOCK_FULL : PDM_DEVACT_LOCK_PARTIAL,
                    NULL, 0, op_paths[r->op]);
    if (in->deferred)
        return 0; /* no device here: the lock stays as stored */
    /* The device did not lock: State must say so (the alert reports the
     * failure), so the level before the Exec comes back. */
    if (rc != PDM_OK && host->set_lock(in->pc, r->prev, NULL) != PDM_OK)
        host->log(in->pc, PDM_LOG_ERROR, "%s failed and the previous lock "
                  "level could not be restored", op_paths[r->op]);
    return code_of(rc, 1200, fail);
}

static int do_unlock(lawmo *in, oprec *r)
{
    int rc = device_act(in, PDM_DEVACT_UNLOCK, NULL, 0, op_paths[r->op]);
    if (rc != PDM_OK)
        return code_of(rc, 1200, 1404);
    if ((rc = host->set_lock(in->pc, PDM_LOCK_NONE, NULL)) != PDM_OK) {
        host->log(in->pc, PDM_LOG_ERROR, "UnLock: the device unlocked but the "
                  "stored lock could not be cleared: %s", host->strerror(rc));
        return 1404;
    }
    return 1200;
}

static int do_wipe(lawmo *in, oprec *r)
{
    char names[NSLOTS][CLASS_MAX + 1], key[64];
    const char *sel[NSLOTS];
    size_t n, k = 0;
    int rc = wipe_classes(in, names, &n);
    if (rc != PDM_OK) {
        host->log(in->pc, PDM_LOG_WARN, "Wipe: the device's data classes "
                  "are unknown: %s", host->strerror(rc));
        return 1405;
    }
    for (size_t j = 0; j < n; j++) {
        snprintf(key, sizeof key, "wipe.%.32s", names[j]);
        if (kv_bool(in, key, 0))
            sel[k++] = names[j];
    }
    if (!k) {
        host->log(in->pc, PDM_LOG_INFO, "Wipe: no class has ToBeWiped true: "
                  "nothing wiped (1406)");
        return 1406;
    }
    rc = device_act(in, PDM_DEVACT_WIPE, sel, k, op_paths[r->op]);
    return rc == PDM_ENOTSUP ? 1406 : code_of(rc, 1201, 1405);
}

static int do_factory(lawmo *in, oprec *r)
{
    int rc = device_act(in, PDM_DEVACT_FACTORY_RESET, NULL, 0,
                        op_paths[r->op]);
    return rc == PDM_ENOTSUP ? 1406 : code_of(rc, 1200, 1405);
}

/* The plugin's own settings go with the factory reset (the core keeps
 * plugins' key/value data); the sequence and pending records stay. */
static void clear_settings(lawmo *in)
{
    char key[64];
    host->kv_del(in->pc, "notify_user");
    for (size_t c = 0; c < N(cap_names); c++) {
        snprintf(key, sizeof key, "cap.%s", cap_names[c]);
        host->kv_del(in->pc, key);
    }
    {
        char names[NSLOTS][CLASS_MAX + 1];
        size_t n;
        if (wipe_classes(in, names, &n) == PDM_OK)
            for (size_t j = 0; j < n; j++) {
                snprintf(key, sizeof key, "wipe.%.32s", names[j]);
                host->kv_del(in->pc, key);
            }
    }
}

static int queue_result(lawmo *in, const oprec *r)
{
    pdm_generic_alert ga;
    char data[16], once[48];
    snprintf(data, sizeof data, "%d", r->result);
    snprintf(once, sizeof once, "lawmo-op-%lu", r->seq);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.source_uri = r->uri;
    ga.type = ALERT_TYPE;
    ga.format = "int";
    ga.correlator = r->has_corr ? r->corr : NULL;
    ga.data.data = (uint8_t *)data; /* only read: the core copies it */
    ga.data.len = strlen(data);
    ga.server_id = NULL; /* the core binds it to the Exec's server */
    ga.once_key = once;
    return host->generic_alert(in->pc, &ga);
}

/* Takes @r as far as it can go.  @act: 0 when no device action may run
 * (destroy: only the alert and the reset are retried).  Returns PDM_OK
 * when the record is finished (and dropped), else the rc that stopped it
 * (the record stays for the next create or destroy). */
static int advance(lawmo *in, oprec *r, int act)
{
    int rc;
    if (r->stage == 0) {
        if (!act)
            return PDM_EBUSY;
        in->deferred = 0;
        switch (r->op) {
        case OP_FULL:
        case OP_PARTIAL: r->result = do_lock(in, r); break;
        case OP_UNLOCK: r->result = do_unlock(in, r); break;
        case OP_WIPE: r->result = do_wipe(in, r); break;
        default: r->result = do_factory(in, r); break;
        }
        if (in->deferred) {
            /* Before this fix a CLI command (no device: PDM_ENOTSUP) that
             * opened the store after a crash "failed" the lock, put the
             * level back to unlocked and reported 1402 (issue 13). */
            host->log(in->pc, PDM_LOG_INFO, "%s (operation %lu) waits for "
                      "a process with the device (this one has none)",
                      r->uri, r->seq);
            return PDM_EBUSY;
        }
        r->stage = 1;
        if (rec_save(in, r) != PDM_OK) /* a crash now redoes the action */
            host->log(in->pc, PDM_LOG_WARN, "operation %lu: its result %d "
                      "could not be recorded", r->seq, r->result);
    }
    if (r->stage == 1) {
        rc = queue_result(in, r);
        if (rc == PDM_EINVAL) {
            /* No server to tell (its Exec record is gone: the account was
             * deleted, or the crash came before the 202): never a guess. */
            host->log(in->pc, PDM_LOG_ERROR, "%s (operation %lu): result %d "
                      "cannot be reported to any server: dropped", r->uri,
                      r->seq, r->result);
        } else if (rc != PDM_OK) {
            host->log(in->pc, PDM_LOG_WARN, "%s (operation %lu): result %d "
                      "not queued yet (%s): retried at the next start",
                      r->uri, r->seq, r->result, host->strerror(rc));
            return rc;
        }
        r->stage = 2;
        if (r->op == OP_FACTORY && r->result == 1200 && rec_save(in, r) != PDM_OK)
            host->log(in->pc, PDM_LOG_WARN, "operation %lu: stage not "
                      "recorded", r->seq);
    }
    if (r->op == OP_FACTORY && r->result == 1200) {
        /* After the alert: the reset runs when the session ends, so the
         * result still goes out in it. */
        if ((rc = host->factory_reset(in->pc)) != PDM_OK) {
            host->log(in->pc, PDM_LOG_ERROR, "FactoryReset: the core's reset "
                      "could not be scheduled: %s (retried at the next "
                      "start)", host->strerror(rc));
            host->status(in->pc, PDM_LOG_ERROR,
                         "LAWMO factory reset pending: could not be "
                         "scheduled");
            return rc;
        }
        clear_settings(in);
    }
    rec_drop(in, r->seq);
    return PDM_OK;
}

/* Finishes what a previous run left (a crash between Exec and alert).
 * Only from create and destroy: no server's command is being handled
 * then, so an alert the core cannot bind to the Exec's own server is
 * refused instead of going to whoever is talking now. */
static void recover(lawmo *in, int act)
{
    unsigned long seqs[MAX_PENDING];
    size_t n = pending_list(in, seqs, MAX_PENDING);
    for (size_t k = 0; k < n; k++) {
        oprec r;
        int rc = rec_load(in, seqs[k], &r);
        if (rc != PDM_OK) {
            host->log(in->pc, PDM_LOG_ERROR, "pending operation %lu is "
                      "unreadable (%s): dropped", seqs[k], host->strerror(rc));
            rec_drop(in, seqs[k]);
            continue;
        }
        host->log(in->pc, PDM_LOG_INFO, "completing %s (operation %lu) left "
                  "by a previous run", r.uri, r.seq);
        advance(in, &r, act);
    }
}

static int next_seq(lawmo *in, unsigned long *seq)
{
    char buf[24];
    unsigned long s = 0;
    int rc = kv_text(in, "seq", buf, sizeof buf);
    if (rc == PDM_OK)
        s = strtoul(buf, NULL, 10);
    else if (rc != PDM_ENOTFOUND)
        return rc; /* never reuse a seq: its once_key may be remembered */
    snprintf(buf, sizeof buf, "%lu", s + 1);
    if ((rc = kv_puts(in, "seq", buf)) != PDM_OK)
        return rc;
    *seq = s + 1;
    return PDM_OK;
}

static int lawmo_exec(void *i, const char *uri, const pdm_blob *data,
                      const char *correlator)
{
    lawmo *in = i;
    const char *rel = rel_of(in, uri);
    unsigned long seqs[MAX_PENDING + 1];
    size_t n;
    oprec r;
    int op = -1, rc;
    uint32_t level = PDM_LOCK_NONE;
    (void)data;
    if (!rel)
        return PDM_EFORBIDDEN;
    for (size_t k = 0; k < N(op_paths); k++)
        if (strcmp(rel, op_paths[k]) == 0)
            op = (int)k;
    if (op < 0)
        return PDM_ENOTALLOWED;
    memset(&r, 0, sizeof r);
    if (strlen(uri) >= sizeof r.uri ||
        (correlator && strlen(correlator) >= sizeof r.corr)) {
        host->set_error(in->pc, PDM_EINVAL, "%s: URI or Correlator too long "
                        "to report a result", uri);
        return PDM_EINVAL;
    }
    n = pending_list(in, seqs, MAX_PENDING);
    if (n >= MAX_PENDING) {
        host->set_error(in->pc, PDM_EBUSY, "%zu LAWMO results are still "
                        "waiting to be queued: retry later", n);
        return PDM_EBUSY;
    }
    /* The level a failed lock goes back to; unknown: the strictest, so
     * that a failure never lowers a lock. */
    if (host->get_lock(in->pc, &level) != PDM_OK)
        level = PDM_LOCK_FULL;
    r.op = op;
    r.prev = level;
    memcpy(r.uri, uri, strlen(uri) + 1);
    if ((r.has_corr = correlator != NULL))
        memcpy(r.corr, correlator, strlen(correlator) + 1);
    /* Recorded before anything is done; not accepted if it cannot be. */
    if ((rc = next_seq(in, &r.seq)) == PDM_OK &&
        (rc = rec_save(in, &r)) == PDM_OK) {
        seqs[n++] = r.seq;
        if ((rc = pending_write(in, seqs, n)) != PDM_OK)
            rec_drop(in, r.seq);
    }
    if (rc != PDM_OK) {
        host->set_error(in->pc, PDM_EIO, "%s: the operation could not be "
                        "recorded: %s", uri, host->strerror(rc));
        return PDM_EIO;
    }
    advance(in, &r, 1);
    return PDM_PENDING;
}

static int lawmo_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    lawmo *in;
    const char *cl = host->get_option(pc, "wipe_classes");
    size_t ncl = 0;
    (void)plugin_data;
    if (!cl)
        cl = DEFAULT_CLASSES;
    for (const char *p = cl;; ncl++) {
        size_t len = strcspn(p, ",");
        if (!class_ok(p, len) || ncl == NSLOTS) {
            host->set_error(pc, PDM_EINVAL,
                            "option.wipe_classes: '%s' is not a list of 1 to "
                            "%d names of [A-Za-z0-9_-] (at most 32 bytes "
                            "each) separated by ','", cl, NSLOTS);
            return PDM_EINVAL;
        }
        p += len;
        if (!*p++)
            break;
    }
    if (!(in = host->alloc(sizeof *in)))
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    memcpy(in->classes, cl, strlen(cl) + 1);
    if (option_base(pc, in->base, sizeof in->base) != PDM_OK) {
        host->free(in);
        return PDM_EINVAL;
    }
    /* The key/value store, lock level, device and alert queue work here
     * (plugin.h, and the core loads its alert queue and accepted-Exec
     * records before plugins start for exactly this). */
    in->recovering = 1;
    recover(in, 1);
    in->recovering = 0;
    *out = in;
    return PDM_OK;
}

static void lawmo_destroy(void *i)
{
    lawmo *in = i;
    recover(in, 0); /* an alert or reset that failed to queue: once more */
    host->free(in);
}

#define LEAF(path, fmt, flags) \
    {path, fmt, PDM_MO_PERMANENT | (flags), "text/plain", NULL, NULL, {NULL, NULL}}
#define NODE(path) \
    {path, PDM_FORMAT_NODE, PDM_MO_PERMANENT, NULL, NULL, NULL, {NULL, NULL}}
#define GETONLY (PDM_MO_HANDLER_VALUE | PDM_MO_NO_REPLACE)
#define GETREP PDM_MO_HANDLER_VALUE
#define OPER(path) \
    {path, PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC | \
     PDM_MO_NO_REPLACE, NULL, NULL, NULL, {NULL, NULL}}
#define SLOT(k) NODE("AvailableWipeList/" #k),                              \
    LEAF("AvailableWipeList/" #k "/ListItemName", PDM_FORMAT_CHR, GETONLY), \
    LEAF("AvailableWipeList/" #k "/ToBeWiped", PDM_FORMAT_BOOL, GETREP)

/* The ACL opens Get, Replace and Exec to every server; the "lock" policy
 * narrows writes to the lock authority (an ACL cannot name "the root
 * owner", and a policy can only restrict, so together: the authority). */
static const pdm_mo_node nodes[] = {
    {"", PDM_FORMAT_NODE, PDM_MO_PERMANENT, "urn:oma:mo:oma-lawmo:1.0",
     "Get=*&Replace=*&Exec=*", NULL, {NULL, NULL}},
    LEAF("State", PDM_FORMAT_INT, GETONLY),
    NODE("AvailableWipeList"),
    SLOT(1), SLOT(2), SLOT(3), SLOT(4), SLOT(5), SLOT(6), SLOT(7), SLOT(8),
    NODE("LAWMOConfig"),
    LEAF("LAWMOConfig/NotifyUser", PDM_FORMAT_BOOL, GETREP),
    NODE("Operations"),
    OPER("Operations/FullyLock"),
    OPER("Operations/PartiallyLock"),
    OPER("Operations/UnLock"),
    OPER("Operations/FactoryReset"),
    OPER("Operations/Wipe"),
    NODE("Ext"),
    NODE("Ext/Capabilities"),
    LEAF("Ext/Capabilities/SMS", PDM_FORMAT_BOOL, GETREP),
    LEAF("Ext/Capabilities/Voice", PDM_FORMAT_BOOL, GETREP),
    LEAF("Ext/Capabilities/Data", PDM_FORMAT_BOOL, GETREP),
    {NULL, 0, 0, NULL, NULL, NULL, {NULL, NULL}},
};

static const pdm_mo_ops mo_ops = {
    {sizeof(pdm_mo_ops), PDM_KIND_MO, lawmo_create, lawmo_destroy},
    DEFAULT_BASE,
    "urn:oma:mo:oma-lawmo:1.0",
    nodes,
    lawmo_get,
    lawmo_replace,
    lawmo_exec,
    NULL,
    lawmo_begin,
    lawmo_commit,
    lawmo_rollback,
};

/* ---- B. the lock policy ------------------------------------------------- */

/* What option.locked_deny can refuse while the device is locked. */
enum {
    LD_TAKEOVER = 1u << 0,
    LD_TRANSFER = 1u << 1,
    LD_ACL_EDIT = 1u << 2,
    LD_ACCOUNT_DELETE = 1u << 3,
    LD_USERPIN = 1u << 4,
    LD_CP = 1u << 5,
    LD_LOCAL_TREE = 1u << 6,
};
static const char *const ld_names[] = {
    "takeover", "transfer", "acl-edit", "account-delete",
    "userpin-bootstrap", "cp-bootstrap", "local-tree"};
#define LD_ALL ((1u << N(ld_names)) - 1)

enum { SC_DENY_OTHER, SC_ALLOW, SC_DENY };
static const char *const sc_names[] = {"deny-other-operator", "allow", "deny"};

typedef struct lockpol {
    pdm_plugin_ctx *pc;
    char base[256];
    char *authority;   /* option.lock_authority as given (host->strdup) */
    unsigned deny;     /* LD_* */
    int smartcard;     /* SC_* */
} lockpol;

#define REQ_SIZE_1_0 \
    (offsetof(pdm_policy_req, key_pin) + sizeof(const char *))

/* Each item of a ','-separated list, trimmed of spaces; @fn returns 0 to
 * stop.  Returns 0 when an item is empty. */
static int each_item(const char *s, int (*fn)(void *, const char *, size_t),
                     void *arg)
{
    for (;;) {
        size_t n = strcspn(s, ",");
        const char *p = s;
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (!n || !fn(arg, p, n))
            return 0;
        s += strcspn(s, ",");
        if (!*s++)
            return 1;
    }
}

static int ld_item(void *arg, const char *p, size_t n)
{
    unsigned *mask = arg;
    for (size_t i = 0; i < N(ld_names); i++)
        if (strlen(ld_names[i]) == n && strncasecmp(ld_names[i], p, n) == 0) {
            *mask |= 1u << i;
            return 1;
        }
    return 0;
}

/* A ServerID or the token root-owner: text without control bytes. */
static int auth_item(void *arg, const char *p, size_t n)
{
    (void)arg;
    if (n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7F)
            return 0;
    return 1;
}

typedef struct match {
    const char *server, *root_owner;
    int hit;
} match;

static int auth_match(void *arg, const char *p, size_t n)
{
    match *m = arg;
    if (n == 10 && strncasecmp(p, "root-owner", 10) == 0)
        m->hit = m->root_owner && *m->root_owner &&
                 strcmp(m->root_owner, m->server) == 0;
    else
        m->hit = strlen(m->server) == n && strncmp(m->server, p, n) == 0;
    return !m->hit;
}

static int lock_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    lockpol *in;
    const char *a = host->get_option(pc, "lock_authority");
    const char *d = host->get_option(pc, "locked_deny");
    const char *s = host->get_option(pc, "locked_smartcard");
    unsigned deny = 0;
    int sc = SC_DENY_OTHER;
    (void)plugin_data;
    if (!a)
        a = "root-owner";
    if (!each_item(a, auth_item, NULL)) {
        host->set_error(pc, PDM_EINVAL, "option.lock_authority: '%s' is not "
                        "root-owner or a ','-separated list of ServerIDs "
                        "(and root-owner)", a);
        return PDM_EINVAL;
    }
    if (!d || strcasecmp(d, "all") == 0)
        deny = LD_ALL;
    else if (strcasecmp(d, "none") != 0 && !each_item(d, ld_item, &deny)) {
        host->set_error(pc, PDM_EINVAL, "option.locked_deny: '%s' is not all, "
                        "none or a ','-separated list of takeover, transfer, "
                        "acl-edit, account-delete, userpin-bootstrap, "
                        "cp-bootstrap, local-tree", d);
        return PDM_EINVAL;
    }
    if (s) {
        for (sc = 0; sc < (int)N(sc_names); sc++)
            if (strcasecmp(s, sc_names[sc]) == 0)
                break;
        if (sc == (int)N(sc_names)) {
            host->set_error(pc, PDM_EINVAL, "option.locked_smartcard: '%s' is "
                            "not deny-other-operator, allow or deny", s);
            return PDM_EINVAL;
        }
    }
    if (!(in = host->alloc(sizeof *in)))
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    in->deny = deny;
    in->smartcard = sc;
    if (option_base(pc, in->base, sizeof in->base) != PDM_OK) {
        host->free(in);
        return PDM_EINVAL;
    }
    if (!(in->authority = host->strdup(a))) {
        host->free(in);
        return PDM_ENOMEM;
    }
    *out = in;
    return PDM_OK;
}

static void lock_destroy(void *i)
{
    lockpol *in = i;
    host->free(in->authority);
    host->free(in);
}

static int deny(pdm_verdict *out, const char *fmt, ...) PDM_PRINTF(2, 3);
static int deny(pdm_verdict *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    out->decision = PDM_DENY;
    return PDM_OK;
}

static const char *op_name(uint32_t op)
{
    static const char *const names[] = {"?", "Get", "Add", "Replace",
                                        "Delete", "Exec", "Copy"};
    return op < N(names) ? names[op] : "?";
}

static int is_write(uint32_t op)
{
    return op == PDM_OP_ADD || op == PDM_OP_REPLACE || op == PDM_OP_DELETE ||
           op == PDM_OP_EXEC || op == PDM_OP_COPY;
}

/* OMA CP by MIME type (as terminal-policy reads it); an unknown type
 * counts as CP: fail closed. */
static int maybe_cp(const char *ct)
{
    static const char *const cts[] = {"application/vnd.wap.connectivity-wbxml",
                                      "text/vnd.wap.connectivity-xml",
                                      "application/vnd.wap.connectivity-xml"};
    size_t n;
    if (!ct)
        return 1;
    n = strcspn(ct, "; \t");
    for (size_t i = 0; i < N(cts); i++)
        if (strlen(cts[i]) == n && strncasecmp(cts[i], ct, n) == 0)
            return 1;
    return 0;
}

/* @uri is a DM account's root, "./DMAcc/<name>" (the core's account
 * place, DESIGN.md), whatever the name. */
static int dmacc_root(const char *uri)
{
    const char *n = uri && strncmp(uri, "./DMAcc/", 8) == 0 ? uri + 8 : NULL;
    return n && *n && !strchr(n, '/');
}

/* Locked by the request's flag or by the stored level; a level that
 * cannot be read counts as locked. */
static int locked(const lockpol *in, const pdm_policy_req *r)
{
    uint32_t level = PDM_LOCK_NONE;
    if (r->flags & PDM_REQ_DEVICE_LOCKED)
        return 1;
    return host->get_lock(in->pc, &level) != PDM_OK || level != PDM_LOCK_NONE;
}

static int locked_rules(const lockpol *in, const pdm_policy_req *r,
                        pdm_verdict *out)
{
    int local = r->principal == PDM_PRINCIPAL_LOCAL;
    unsigned bit = 0;
    const char *what = NULL;
    switch (r->op) {
    case PDM_OP_TAKEOVER: bit = LD_TAKEOVER; what = "a takeover of root"; break;
    case PDM_OP_TRANSFER: bit = LD_TRANSFER; what = "a transfer of management"; break;
    case PDM_OP_ACL_EDIT: bit = LD_ACL_EDIT; what = "an ACL edit"; break;
    case PDM_OP_ACCOUNT_DELETE:
        bit = LD_ACCOUNT_DELETE;
        what = "deleting a DM account";
        break;
    case PDM_OP_DELETE:
        /* A bootstrap source that no longer has an account (a pulled
         * card, bootstrap.removed_source = delete) removes it with the
         * bootstrap principal.  While locked that is the thief's act, a
         * local account deletion like any other: it took the lock
         * authority's account and root with it, and left a lock nobody
         * could lift (matrix finding 1). */
        if (r->principal == PDM_PRINCIPAL_BOOTSTRAP && dmacc_root(r->uri)) {
            local = 1;
            bit = LD_ACCOUNT_DELETE;
            what = "removing a DM account whose bootstrap source went "
                   "(a pulled card)";
        } else {
            bit = LD_LOCAL_TREE;
            what = "a local change of the management tree";
        }
        break;
    case PDM_OP_BOOTSTRAP:
        local = 1; /* whoever delivers it, a bootstrap is a local change */
        if (r->sec == PDM_SEC_USERPIN || r->sec == PDM_SEC_USERPINMAC) {
            bit = LD_USERPIN;
            what = r->sec == PDM_SEC_USERPIN ? "a USERPIN bootstrap"
                                             : "a USERPINMAC bootstrap";
        } else if (r->origin == PDM_ORIGIN_SMARTCARD) {
            const char *sid = r->server_id ? r->server_id : "";
            if (in->smartcard == SC_DENY)
                return deny(out, "device locked: a smart-card bootstrap is "
                                 "refused (locked_smartcard = deny)");
            /* The owner's card coming back: the root owner's, or the
             * locker's when root moved or was cleared meanwhile (its card
             * pulled where removals are allowed).  It brings back an
             * account only; the LAWMO stays the locker's (lock_check). */
            if (in->smartcard == SC_DENY_OTHER &&
                (!r->root_owner || strcmp(r->root_owner, sid) != 0) &&
                (!r->lock_server || strcmp(r->lock_server, sid) != 0))
                return deny(out, "device locked: a smart-card bootstrap of "
                                 "%.60s, not the root owner%s%.60s%s, is "
                                 "refused (locked_smartcard = "
                                 "deny-other-operator)", sid,
                            r->lock_server ? " nor " : "",
                            r->lock_server ? r->lock_server : "",
                            r->lock_server ? " that locked it" : "");
            return PDM_OK;
        } else if (maybe_cp(r->content_type) && !r->account_exists) {
            bit = LD_CP;
            what = "an OMA CP bootstrap of a new server";
        }
        break;
    default:
        if (is_write(r->op)) {
            bit = LD_LOCAL_TREE;
            what = "a local change of the management tree";
        }
        break;
    }
    if (bit && local && (in->deny & bit))
        return deny(out, "device locked: %s is refused until the lock "
                         "authority unlocks it (locked_deny has %s)",
                    what, ld_names[__builtin_ctz(bit)]);
    return PDM_OK;
}

static int lock_check(void *i, const pdm_policy_req *req, pdm_verdict *out)
{
    const lockpol *in = i;
    pdm_policy_req r;
    const char *rel;

    if (req->struct_size < REQ_SIZE_1_0) {
        host->set_error(in->pc, PDM_EINVAL, "policy request of %u bytes, "
                        "smaller than ABI 1.0's", (unsigned)req->struct_size);
        return PDM_EINVAL;
    }
    memset(&r, 0, sizeof r);
    memcpy(&r, req, req->struct_size < sizeof r ? req->struct_size : sizeof r);
    out->decision = PDM_ABSTAIN;

    /* The LAWMO itself: written by the lock authority only, locked or
     * not (the local user can neither unlock nor switch a capability
     * back on). */
    rel = below(in->base, r.uri);
    if (rel && is_write(r.op) && r.principal != PDM_PRINCIPAL_FACTORY) {
        /* While locked, "root-owner" is the root owner of the moment the
         * lock was set: the server the core's lock record names.  A
         * pulled card or a cleared root owner must not strand the lock,
         * and a new root owner must not gain it (docs/lawmo.md).  No
         * record (a core before it, a lock set by no server): the root
         * owner now, as before. */
        const char *owner = r.lock_server && locked(in, &r) ? r.lock_server
                                                            : r.root_owner;
        match m = {r.server_id, owner, 0};
        if (r.principal != PDM_PRINCIPAL_SERVER || !r.server_id)
            return deny(out, "lost-device-lock: %s of %.80s is for the lock "
                             "authority only, never %s", op_name(r.op), r.uri,
                        r.principal == PDM_PRINCIPAL_LOCAL ? "the local user"
                                                           : "a bootstrap");
        each_item(in->authority, auth_match, &m);
        if (!m.hit)
            return deny(out, "lost-device-lock: %s of %.60s is for the lock "
                             "authority only (lock_authority = %.40s%s); "
                             "%.40s is not it", op_name(r.op), r.uri,
                        in->authority, owner != r.root_owner
                            ? ", held by the server that locked it"
                            : owner ? "" : ", nobody owns root",
                        r.server_id);
        out->decision = PDM_ALLOW;
        return PDM_OK;
    }
    /* A server's command is never stopped by the lock: its authority
     * must be able to unlock and wipe, and the others are held by their
     * ACLs.  A bootstrap is judged whoever delivers it. */
    if ((r.principal == PDM_PRINCIPAL_SERVER && r.op != PDM_OP_BOOTSTRAP) ||
        r.op == PDM_OP_GET || r.op == PDM_OP_SESSION ||
        r.op == PDM_OP_SEND_SECRET)
        return PDM_OK;
    if (!locked(in, &r))
        return PDM_OK;
    return locked_rules(in, &r, out);
}

static const pdm_policy_ops policy_ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, lock_create, lock_destroy},
    lock_check,
};

/* ---- the plugin ------------------------------------------------------------ */

static int ldl_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)data;
    host = h;
    if (!PDM_HOST_HAS(h, set_lock) || !PDM_HOST_HAS(h, get_lock) ||
        !PDM_HOST_HAS(h, device_action) || !PDM_HOST_HAS(h, wipe_classes) ||
        !PDM_HOST_HAS(h, factory_reset)) {
        h->set_error(pc, PDM_EABI, "the core lacks the lost-device services "
                     "of ABI 1.4");
        return PDM_EABI;
    }
    return PDM_OK;
}

static const pdm_component components[] = {
    {PDM_KIND_MO, 0, "lawmo", &mo_ops.head, {NULL, NULL}},
    {PDM_KIND_POLICY, 0, "lock", &policy_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

#define OPT(key, help, def) {key, help, def, 0, 0, {NULL, NULL}}
static const pdm_option_desc options[] = {
    OPT("base", "the LAWMO's base URI; equal to mo.lawmo.base when a profile "
        "moves the MO (the lock policy guards this URI)", DEFAULT_BASE),
    OPT("wipe_classes", "data classes offered in AvailableWipeList when the "
        "device's wipe_classes hook names none (1 to 8, ','-separated)",
        DEFAULT_CLASSES),
    OPT("lock_authority", "who may Exec and Replace in the LAWMO: root-owner "
        "(while locked: the server that locked it) and/or ServerIDs, "
        "','-separated", "root-owner"),
    OPT("locked_deny", "local changes refused while locked: all, none or a "
        "list of takeover, transfer, acl-edit, account-delete, "
        "userpin-bootstrap, cp-bootstrap, local-tree", "all"),
    OPT("locked_smartcard", "smart-card bootstrap while locked: "
        "deny-other-operator (only the root owner's or the locker's "
        "ServerID), allow or deny",
        "deny-other-operator"),
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "lost-device-lock",
    "1.0",
    "OMA LAWMO lock, unlock, wipe and factory reset, capability switches, "
    "and the lock policy (S1)",
    components,
    options,
    ldl_init,
    NULL,
};

PDM_PLUGIN_DEFINE(lost_device_lock, desc)
