/*
 * Plugin loading and validation (see loader.h).
 *
 * The order of checks matters: nothing of a descriptor is trusted before
 * its struct_size and ABI version are known to be acceptable, and nothing
 * of a vtable before its head (struct_size, kind) matched the component.
 * Every refusal names the file and the reason.
 */
#define _GNU_SOURCE /* dladdr-free, but RTLD_* and strdup need it on some libc */
#include "loader/loader.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <polydm/polydm.h>

#include "loader/loader_int.h"
#include "loader/registry.h"
#include "util/util.h"

const char *pdm__kind_name(uint32_t kind)
{
    switch (kind) {
    case PDM_KIND_BOOTSTRAP: return "bootstrap";
    case PDM_KIND_AUTHORITY: return "authority";
    case PDM_KIND_POLICY: return "policy";
    case PDM_KIND_MO: return "mo";
    }
    return "unknown";
}

/* Minimum (ABI 1.0) vtable size per kind; 0 = unknown kind. */
static size_t min_ops_size(uint32_t kind)
{
    switch (kind) {
    case PDM_KIND_BOOTSTRAP: return PDM_BOOTSTRAP_OPS_SIZE_1_0;
    case PDM_KIND_AUTHORITY: return PDM_AUTHORITY_OPS_SIZE_1_0;
    case PDM_KIND_POLICY: return PDM_POLICY_OPS_SIZE_1_0;
    case PDM_KIND_MO: return PDM_MO_OPS_SIZE_1_0;
    }
    return 0;
}

static size_t max_ops_size(uint32_t kind)
{
    switch (kind) {
    case PDM_KIND_BOOTSTRAP: return sizeof(pdm_bootstrap_ops);
    case PDM_KIND_AUTHORITY: return sizeof(pdm_authority_ops);
    case PDM_KIND_POLICY: return sizeof(pdm_policy_ops);
    case PDM_KIND_MO: return sizeof(pdm_mo_ops);
    }
    return 0;
}

const char *pdm__plugin_search_path(const char *explicit_path)
{
    const char *env;
    if (explicit_path && *explicit_path)
        return explicit_path;
    env = getenv("POLYDM_PLUGIN_PATH");
    if (env && *env)
        return env;
    /* Relative to the installed library, then the configured directory
     * (paths.c). */
    env = pdm_default_plugin_path();
    return *env ? env : NULL;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds "<name>.so" on the colon-separated search path. */
static char *find_module(const char *name, const char *search)
{
    const char *s = search;
    while (s && *s) {
        size_t n = strcspn(s, ":");
        if (n) {
            pdm__buf b;
            pdm__buf_init(&b);
            pdm__buf_printf(&b, "%.*s/%s.so", (int)n, s, name);
            if (pdm__buf_ok(&b) && file_exists((char *)b.data))
                return (char *)pdm__buf_steal(&b, NULL);
            pdm__buf_free(&b);
        }
        s += n;
        if (*s == ':')
            s++;
    }
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The entry function of a plugin linked into this build, or NULL. */
static pdm_plugin_entry_fn static_entry(const char *name)
{
    for (const pdm__static_plugin *sp = pdm__static_plugins; sp->name; sp++)
        if (strcmp(sp->name, name) == 0)
            return sp->entry;
    return NULL;
}

bool pdm__plugin_installed(const pdm__profile_plugin *pp, const char *search)
{
    char *found;
    if (pp->path)
        return file_exists(pp->path);
    if (static_entry(pp->name))
        return true;
    found = find_module(pp->name, search);
    pdm__free(found);
    return found != NULL;
}

bool pdm__reserved_plugin_id(const char *s)
{
    /* A plugin's key/value data lives under its id in the store: these
     * are the core's own namespaces there. */
    return s && (strcmp(s, "core") == 0 || strcmp(s, "agent") == 0);
}

bool pdm__valid_plugin_id(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return false;
    return true;
}

#define PROBLEM(rcv, ...) \
    do { \
        pdm__diag_add(d, file, line, (rcv), __VA_ARGS__); \
        rc = (rcv); \
        goto fail; \
    } while (0)

/* Reserved slots and unknown flag bits are refused, so that a later ABI
 * minor can give them a meaning without old plugins' garbage taking it. */
#define OPTION_FLAGS_1_0 (PDM_OPTION_REQUIRED | PDM_OPTION_SECRET)
#define MO_NODE_FLAGS_1_0                                                 \
    (PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE | PDM_MO_EXEC | PDM_MO_NO_GET | \
     PDM_MO_NO_REPLACE)
#define MAX_OPTIONS 256
#define MAX_MO_NODES 4096

static int check_options(pdm__plugin *p, const char *where, pdm__diag *d,
                         const char *file, unsigned line)
{
    int rc = PDM_OK;
    size_t n = 0;
    for (const pdm_option_desc *o = p->desc.options; o && o->key; o++, n++) {
        if (n >= MAX_OPTIONS)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s': more than %d options (missing "
                    "terminator?)",
                    where, p->desc.name, MAX_OPTIONS);
        if (o->flags & ~OPTION_FLAGS_1_0)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s', option '%s': flags 0x%x has bits "
                    "unknown in ABI %d.%d",
                    where, p->desc.name, o->key, (unsigned)o->flags,
                    PDM_ABI_MAJOR, PDM_ABI_MINOR);
        if (o->reserved0)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s', option '%s': reserved0 must be 0",
                    where, p->desc.name, o->key);
        for (size_t r = 0; r < PDM__ARRAY_LEN(o->reserved); r++)
            if (o->reserved[r])
                PROBLEM(PDM_EABI,
                        "%s: plugin '%s', option '%s': reserved[%zu] must "
                        "be NULL",
                        where, p->desc.name, o->key, r);
    }
fail:
    return rc;
}

static int check_mo_nodes(pdm__plugin *p, const pdm__comp *pc,
                          const char *where, pdm__diag *d, const char *file,
                          unsigned line)
{
    int rc = PDM_OK;
    size_t n = 0;
    for (const pdm_mo_node *mn = pc->ops.mo.nodes; mn && mn->path;
         mn++, n++) {
        if (n >= MAX_MO_NODES)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s', component '%s': more than %d nodes "
                    "(missing terminator?)",
                    where, p->desc.name, pc->name, MAX_MO_NODES);
        if (mn->flags & ~MO_NODE_FLAGS_1_0)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s', component '%s', node '%s': flags 0x%x "
                    "has bits unknown in ABI %d.%d",
                    where, p->desc.name, pc->name, mn->path,
                    (unsigned)mn->flags, PDM_ABI_MAJOR, PDM_ABI_MINOR);
        for (size_t r = 0; r < PDM__ARRAY_LEN(mn->reserved); r++)
            if (mn->reserved[r])
                PROBLEM(PDM_EABI,
                        "%s: plugin '%s', component '%s', node '%s': "
                        "reserved[%zu] must be NULL",
                        where, p->desc.name, pc->name, mn->path, r);
    }
fail:
    return rc;
}

/* Validates the descriptor and copies its components. */
int pdm__plugin_validate(pdm__plugin *p, const pdm_plugin_desc *raw,
                    const char *where, pdm__diag *d, const char *file,
                    unsigned line)
{
    int rc = PDM_OK;
    size_t n = 0;

    if (!raw)
        PROBLEM(PDM_EABI, "%s: entry function returned NULL", where);
    if (raw->struct_size < PDM_PLUGIN_DESC_SIZE_1_0)
        PROBLEM(PDM_EABI,
                "%s: descriptor is %u bytes, smaller than the ABI 1.0 "
                "descriptor (%zu bytes): not a valid polydm plugin",
                where, (unsigned)raw->struct_size,
                (size_t)PDM_PLUGIN_DESC_SIZE_1_0);
    if (raw->abi_major != PDM_ABI_MAJOR)
        PROBLEM(PDM_EABI,
                "%s: built for plugin ABI %u.%u, this polydm has ABI %d.%d "
                "(major version differs)",
                where, raw->abi_major, raw->abi_minor, PDM_ABI_MAJOR,
                PDM_ABI_MINOR);
    if (raw->abi_minor > PDM_ABI_MINOR)
        PROBLEM(PDM_EABI,
                "%s: built for plugin ABI %u.%u, newer than this polydm's "
                "ABI %d.%d (upgrade polydm or rebuild the plugin)",
                where, raw->abi_major, raw->abi_minor, PDM_ABI_MAJOR,
                PDM_ABI_MINOR);
    /* Now the head is trusted: copy what the plugin's struct size covers. */
    p->desc_size = raw->struct_size;
    memset(&p->desc, 0, sizeof p->desc);
    memcpy(&p->desc, raw,
           raw->struct_size < sizeof p->desc ? raw->struct_size
                                             : sizeof p->desc);
    if (!pdm__valid_plugin_id(p->desc.name))
        PROBLEM(PDM_EABI, "%s: invalid plugin name '%s' (expected [a-z0-9-]+)",
                where, p->desc.name ? p->desc.name : "(null)");
    if (pdm__reserved_plugin_id(p->desc.name))
        PROBLEM(PDM_EABI, "%s: plugin name '%s' is reserved (the core's own "
                "store namespace)", where, p->desc.name);
    if (!p->desc.components)
        PROBLEM(PDM_EABI, "%s: plugin '%s' has no component array", where,
                p->desc.name);
    if ((rc = check_options(p, where, d, file, line)) != PDM_OK)
        goto fail;
    while (p->desc.components[n].kind != PDM_KIND_END) {
        if (++n > 64)
            PROBLEM(PDM_EABI,
                    "%s: more than 64 components (missing terminator?)",
                    where);
    }
    if (n == 0)
        PROBLEM(PDM_EABI, "%s: plugin '%s' has no components", where,
                p->desc.name);
    p->comps = pdm__calloc(n, sizeof(*p->comps));
    if (!p->comps)
        return PDM_ENOMEM;
    p->ncomps = n;
    for (size_t i = 0; i < n; i++) {
        const pdm_component *c = &p->desc.components[i];
        pdm__comp *pc = &p->comps[i];
        const char *cn = c->name ? c->name : "(unnamed)";
        size_t minsz = min_ops_size(c->kind), maxsz = max_ops_size(c->kind);
        if (!c->name || !*c->name)
            PROBLEM(PDM_EABI, "%s: component #%zu has no name", where, i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->comps[j].name, c->name) == 0)
                PROBLEM(PDM_EABI, "%s: duplicate component name '%s'", where,
                        cn);
        if (!minsz)
            PROBLEM(PDM_EABI, "%s: component '%s' has unknown kind %u", where,
                    cn, (unsigned)c->kind);
        if (c->flags)
            PROBLEM(PDM_EABI,
                    "%s: plugin '%s', component '%s': flags is 0x%x, must "
                    "be 0 in ABI %d.%d",
                    where, p->desc.name, cn, (unsigned)c->flags,
                    PDM_ABI_MAJOR, PDM_ABI_MINOR);
        for (size_t r = 0; r < PDM__ARRAY_LEN(c->reserved); r++)
            if (c->reserved[r])
                PROBLEM(PDM_EABI,
                        "%s: plugin '%s', component '%s': reserved[%zu] "
                        "must be NULL",
                        where, p->desc.name, cn, r);
        if (!c->ops)
            PROBLEM(PDM_EABI, "%s: component '%s' has a NULL vtable", where,
                    cn);
        if (c->ops->kind != c->kind)
            PROBLEM(PDM_EABI,
                    "%s: component '%s' is declared as %s but its vtable "
                    "says kind %u (%s)",
                    where, cn, pdm__kind_name(c->kind),
                    (unsigned)c->ops->kind, pdm__kind_name(c->ops->kind));
        if (c->ops->struct_size < minsz)
            PROBLEM(PDM_EABI,
                    "%s: component '%s': %s vtable is %u bytes, smaller "
                    "than ABI 1.0's %zu",
                    where, cn, pdm__kind_name(c->kind),
                    (unsigned)c->ops->struct_size, minsz);
        pc->plugin = p;
        pc->kind = c->kind;
        pc->name = c->name;
        memcpy(&pc->ops, c->ops,
               c->ops->struct_size < maxsz ? c->ops->struct_size : maxsz);
        switch (c->kind) {
        case PDM_KIND_POLICY:
            if (!pc->ops.policy.check)
                PROBLEM(PDM_EABI, "%s: policy '%s' has no check method", where,
                        cn);
            break;
        case PDM_KIND_BOOTSTRAP:
            if (!pc->ops.bootstrap.probe || !pc->ops.bootstrap.read)
                PROBLEM(PDM_EABI,
                        "%s: bootstrap source '%s' lacks probe or read",
                        where, cn);
            break;
        case PDM_KIND_AUTHORITY:
            if (!pc->ops.authority.on_bootstrap)
                PROBLEM(PDM_EABI, "%s: authority '%s' has no on_bootstrap",
                        where, cn);
            break;
        case PDM_KIND_MO:
            if (!pc->ops.mo.base_uri ||
                strncmp(pc->ops.mo.base_uri, "./", 2) != 0)
                PROBLEM(PDM_EABI,
                        "%s: MO handler '%s' has no absolute base URI "
                        "(\"./...\")",
                        where, cn);
            pc->mo_base = pc->ops.mo.base_uri;
            if ((rc = check_mo_nodes(p, pc, where, d, file, line)) != PDM_OK)
                goto fail;
            break;
        }
    }
    return PDM_OK;
fail:
    return rc;
}

int pdm__plugin_read_module(pdm__plugin *p, const char *real, pdm__diag *d,
                            const char *file, unsigned line)
{
    pdm_plugin_entry_fn entry;
    int rc;
    /* RTLD_NOW: missing symbols fail here, not in the middle of a
     * session; RTLD_LOCAL: plugins cannot see each other. */
    p->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl)
        PROBLEM(PDM_EABI, "%s: cannot load: %s", p->path, dlerror());
    *(void **)&entry = dlsym(p->dl, PDM_PLUGIN_ENTRY_SYMBOL);
    if (!entry)
        PROBLEM(PDM_EABI, "%s: no entry symbol '%s' (not a polydm plugin, "
                "or built without the SDK's flags, which export it: cc "
                "$(pkg-config --cflags --libs polydm-sdk), or CMake "
                "find_package(polydm) and polydm_add_plugin)",
                p->path, PDM_PLUGIN_ENTRY_SYMBOL);
    return pdm__plugin_validate(p, entry(), p->path, d, file, line);
fail:
    return rc;
}

int pdm__plugin_open(pdm__plugin **out, const char *name, const char *path,
                     const char *search, const pdm__open_opts *o,
                     pdm__diag *d, const char *file, unsigned line)
{
    static const pdm__open_opts defaults = {false, false, 0};
    pdm__plugin *p;
    pdm_plugin_entry_fn entry = NULL;
    char *found = NULL, *real = NULL;
    const char *where;
    int rc;

    *out = NULL;
    if (!o)
        o = &defaults;
    p = pdm__calloc(1, sizeof(*p));
    if (!p)
        return PDM_ENOMEM;
    p->ctx.plugin = p;
    p->name = pdm__strdup(name ? name : base_name(path));
    if (!p->name) {
        rc = PDM_ENOMEM;
        goto fail;
    }
    if (!path) {
        entry = static_entry(name);
        if (!entry) {
            found = find_module(name, search);
            if (!found)
                PROBLEM(PDM_ENOTFOUND,
                        "unknown plugin '%s': no %s.so in plugin path '%s' "
                        "and not linked into this build (--plugin-path DIR "
                        "or POLYDM_PLUGIN_PATH names the directories to "
                        "search)",
                        name, name, search ? search : "");
            path = found;
        }
    }
    if (path) {
        p->path = pdm__strdup(path);
        if (!p->path) {
            rc = PDM_ENOMEM;
            goto fail;
        }
        if (!file_exists(path))
            PROBLEM(PDM_ENOTFOUND, "%s: no such plugin file", path);
        /* Who may replace the file decides what runs as us: checked
         * before anything of it is mapped, and the checked (resolved)
         * path is the one loaded. */
        rc = pdm__module_check(p->path, o->relaxed_modes, &real, d, file,
                               line);
        if (rc == PDM_OK)
            rc = o->isolated
                     ? pdm__plugin_read_isolated(p, real, o->timeout_ms, d,
                                                 file, line)
                     : pdm__plugin_read_module(p, real, d, file, line);
        if (rc != PDM_OK)
            goto fail;
    } else {
        /* Linked into this build: part of the core, nothing to isolate. */
        rc = pdm__plugin_validate(p, entry(), p->name, d, file, line);
        if (rc != PDM_OK)
            goto fail;
    }
    where = p->path ? p->path : p->name;
    if (p->path) {
        /* The file name is how profiles find a plugin: refuse a module
         * whose descriptor claims another name. */
        const char *bn = base_name(p->path);
        size_t bl = strlen(bn);
        if (bl < 4 || strcmp(bn + bl - 3, ".so") != 0 ||
            strlen(p->desc.name) != bl - 3 ||
            strncmp(bn, p->desc.name, bl - 3) != 0)
            PROBLEM(PDM_EABI,
                    "%s: descriptor name '%s' does not match the file name "
                    "(expected %s.so)",
                    p->path, p->desc.name, p->desc.name);
    }
    if (name && strcmp(name, p->desc.name) != 0)
        PROBLEM(PDM_EABI, "%s: is plugin '%s', not '%s'", where, p->desc.name,
                name);
    if (!name) {
        /* Opened by path: the descriptor's (verified) id is its name. */
        char *n = pdm__strdup(p->desc.name);
        if (!n) {
            rc = PDM_ENOMEM;
            goto fail;
        }
        pdm__free(p->name);
        p->name = n;
    }
    pdm__free(real);
    pdm__free(found);
    *out = p;
    return PDM_OK;
fail:
    pdm__free(real);
    pdm__free(found);
    pdm__plugin_close(p);
    return rc;
}

void pdm__plugin_close(pdm__plugin *p)
{
    if (!p)
        return;
    for (size_t i = p->ncomps; i-- > 0;) {
        pdm__comp *c = &p->comps[i];
        if (c->created && c->ops.head.destroy)
            c->ops.head.destroy(c->inst);
        c->created = false;
    }
    if (p->inited) {
        /* False while fini runs: the services init/fini may not use
         * (set_lock, ...) see it. */
        p->inited = false;
        if (p->desc.fini)
            p->desc.fini(&p->ctx, p->plugin_data);
    }
    /* Only now: no vtable or instance of the module is referenced. */
    if (p->dl)
        dlclose(p->dl);
    pdm__free(p->snap);
    pdm__free(p->snap_options);
    pdm__free(p->comps);
    pdm__free(p->name);
    pdm__free(p->path);
    pdm__free(p);
}

/* ---- profile check ------------------------------------------------------ */

static const char *const std_mos[] = {"./DevInfo", "./DevDetail", "./DMAcc",
                                      "./Inbox", NULL};

/* True if a and b are equal or one is an ancestor of the other. */
static bool uri_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    if (strncmp(a, b, n) != 0)
        return false;
    if (la == lb)
        return true;
    return (la > lb ? a[n] : b[n]) == '/';
}

typedef struct mo_claim {
    const char *base;
    const char *who; /* plugin/component */
    unsigned line;
} mo_claim;

static int check_plugin(const pdm__profile *prof,
                        const pdm__profile_plugin *pp, pdm__plugin *p,
                        pdm__diag *d)
{
    const char *file = prof->file;
    size_t before = d->errors;
    /* Options: every key declared, every required key present. */
    for (const pdm__kv *kv = pp->options; kv; kv = kv->next) {
        bool known = false;
        for (const pdm_option_desc *o = p->desc.options; o && o->key; o++)
            if (strcmp(o->key, kv->key) == 0)
                known = true;
        if (!known)
            pdm__diag_add(d, file, kv->line, PDM_EINVAL,
                          "unknown option 'option.%s' for plugin '%s'%s",
                          kv->key, pp->name,
                          p->desc.options ? " (see polydm plugins inspect)"
                                          : " (it declares no options)");
    }
    /* A secret option's value is never printed (PDM_OPTION_SECRET); a
     * profile that holds one should not be readable by everyone. */
    for (const pdm_option_desc *o = p->desc.options; o && o->key; o++) {
        const pdm__kv *kv;
        struct stat st;
        if (!(o->flags & PDM_OPTION_SECRET))
            continue;
        for (kv = pp->options; kv && strcmp(kv->key, o->key) != 0;
             kv = kv->next)
            ;
        if (kv && stat(file, &st) == 0 && (st.st_mode & 077))
            pdm__diag_add(d, file, kv->line, 0,
                          "option.%s of plugin '%s' is a secret, but the "
                          "profile is readable by group or others (mode "
                          "%03o): chmod 600 it",
                          o->key, pp->name, (unsigned)(st.st_mode & 0777));
    }
    for (const pdm_option_desc *o = p->desc.options; o && o->key; o++)
        if ((o->flags & PDM_OPTION_REQUIRED) &&
            !pdm__profile_plugin_option(pp, o->key))
            pdm__diag_add(d, file, pp->line, PDM_EINVAL,
                          "plugin '%s' requires option.%s (%s)", pp->name,
                          o->key, o->help ? o->help : "");
    /* mo.<component>.base must name an MO component of this plugin. */
    for (const pdm__kv *kv = pp->mo_base; kv; kv = kv->next) {
        pdm__comp *c = NULL;
        for (size_t i = 0; i < p->ncomps; i++)
            if (strcmp(p->comps[i].name, kv->key) == 0)
                c = &p->comps[i];
        if (!c)
            pdm__diag_add(d, file, kv->line, PDM_EINVAL,
                          "mo.%s.base: plugin '%s' has no component '%s'",
                          kv->key, pp->name, kv->key);
        else if (c->kind != PDM_KIND_MO)
            pdm__diag_add(d, file, kv->line, PDM_EINVAL,
                          "mo.%s.base: component '%s' of plugin '%s' is a %s "
                          "component, not an MO handler",
                          kv->key, kv->key, pp->name, pdm__kind_name(c->kind));
        else
            c->mo_base = kv->value;
    }
    return d->errors > before ? PDM_EINVAL : PDM_OK;
}

/* Resolves "plugin[/component]" of [profile] authority. */
static pdm__comp *find_authority(pdm__plugin **v, size_t n,
                                 const pdm__profile *prof, pdm__diag *d)
{
    const char *ref = prof->authority, *slash;
    size_t plen;
    pdm__comp *found = NULL;
    size_t count = 0;

    if (!ref) {
        /* Without the key, a single authority component is active; two
         * are ambiguous. */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; v[i] && j < v[i]->ncomps; j++)
                if (v[i]->comps[j].kind == PDM_KIND_AUTHORITY) {
                    found = &v[i]->comps[j];
                    count++;
                }
        if (count > 1) {
            pdm__diag_add(d, prof->file, 0, PDM_EINVAL,
                          "several authority components are loaded; choose "
                          "one with 'authority = plugin/component' in "
                          "[profile]");
            return NULL;
        }
        return found;
    }
    slash = strchr(ref, '/');
    plen = slash ? (size_t)(slash - ref) : strlen(ref);
    for (size_t i = 0; i < n; i++) {
        if (!v[i] || strlen(v[i]->name) != plen ||
            strncmp(v[i]->name, ref, plen) != 0)
            continue;
        bool named = false;
        for (size_t j = 0; j < v[i]->ncomps; j++) {
            pdm__comp *c = &v[i]->comps[j];
            if (slash && strcmp(c->name, slash + 1) != 0)
                continue;
            named = true;
            if (c->kind != PDM_KIND_AUTHORITY) {
                if (slash)
                    pdm__diag_add(d, prof->file, prof->authority_line,
                                  PDM_EINVAL,
                                  "authority = %s: component is a %s "
                                  "component, not an authority",
                                  ref, pdm__kind_name(c->kind));
                continue;
            }
            found = c;
            count++;
        }
        if (!found && !slash)
            pdm__diag_add(d, prof->file, prof->authority_line, PDM_EINVAL,
                          "authority = %s: plugin has no authority component",
                          ref);
        else if (!found && !named)
            pdm__diag_add(d, prof->file, prof->authority_line, PDM_EINVAL,
                          "authority = %s: no such component", ref);
        else if (count > 1)
            pdm__diag_add(d, prof->file, prof->authority_line, PDM_EINVAL,
                          "authority = %s: plugin has several authority "
                          "components; name one as plugin/component",
                          ref);
        return count == 1 ? found : NULL;
    }
    for (const pdm__profile_plugin *pp = prof->plugins; pp; pp = pp->next)
        if (strlen(pp->name) == plen && strncmp(pp->name, ref, plen) == 0)
            return NULL; /* listed, but it failed to open: reported */
    pdm__diag_add(d, prof->file, prof->authority_line, PDM_EINVAL,
                  "authority = %s: plugin '%.*s' is not listed in this "
                  "profile",
                  ref, (int)plen, ref);
    return NULL;
}

/* Optional plugins may only add: a bootstrap source or an MO handler that
 * is missing takes nothing away that the profile relies on.  A policy or
 * authority that is there in one build and not in the next would change
 * what is allowed without anyone saying so: refused (fail closed). */
static void check_optional(const pdm__profile *prof,
                           const pdm__profile_plugin *pp,
                           const pdm__plugin *p, pdm__diag *d)
{
    if (!pp->optional)
        return;
    for (size_t j = 0; j < p->ncomps; j++) {
        const pdm__comp *c = &p->comps[j];
        if (c->kind != PDM_KIND_POLICY && c->kind != PDM_KIND_AUTHORITY)
            continue;
        pdm__diag_add(d, prof->file, pp->optional_line, PDM_EINVAL,
                      "plugin '%s' is optional but provides the %s "
                      "component '%s': optional plugins may only provide "
                      "bootstrap sources and MO handlers",
                      pp->name, pdm__kind_name(c->kind), c->name);
    }
}

/* Opens every listed plugin (@isolated: in child processes) and runs the
 * offline checks; v gets the opened plugins (NULL where opening failed or
 * an optional plugin is not installed: logged to @log, may be NULL). */
static int open_and_check(const pdm__profile *prof, const char *search,
                          bool isolated, const pdm__logger *log,
                          pdm__plugin **v, pdm__comp **authority,
                          pdm__diag *d)
{
    size_t i = 0, nclaims = 0, before = d->errors;
    mo_claim *claims = NULL;
    size_t ncap = 0;
    int rc = PDM_OK;
    pdm__open_opts o = {
        !pdm__profile_get_bool(prof, "profile.plugin_strict_modes", true),
        isolated, 0};

    for (const pdm__profile_plugin *pp = prof->plugins; pp; pp = pp->next, i++) {
        int r;
        if (pp->optional && !pdm__plugin_installed(pp, search)) {
            pdm__logf(log, PDM_LOG_INFO, "loader",
                      "plugin %s: not installed (optional in %s:%u)",
                      pp->name, prof->file, pp->optional_line);
            continue;
        }
        r = pdm__plugin_open(&v[i], pp->path ? NULL : pp->name, pp->path,
                             search, &o, d, prof->file, pp->line);
        if (r == PDM_ENOMEM)
            return r;
        if (r != PDM_OK)
            continue;
        if (pp->path && strcmp(v[i]->desc.name, pp->name) != 0) {
            pdm__diag_add(d, prof->file, pp->path_line, PDM_EABI,
                          "%s is plugin '%s', but the section is [plugin %s]",
                          pp->path, v[i]->desc.name, pp->name);
            continue;
        }
        v[i]->conf = pp;
        check_optional(prof, pp, v[i], d);
        check_plugin(prof, pp, v[i], d);
        for (size_t j = 0; j < v[i]->ncomps; j++) {
            pdm__comp *c = &v[i]->comps[j];
            if (c->kind != PDM_KIND_MO)
                continue;
            if (nclaims == ncap) {
                mo_claim *nc;
                ncap = ncap ? ncap * 2 : 8;
                nc = pdm__realloc(claims, ncap * sizeof(*claims));
                if (!nc) {
                    pdm__free(claims);
                    return PDM_ENOMEM;
                }
                claims = nc;
            }
            claims[nclaims].base = c->mo_base;
            claims[nclaims].who = c->name;
            claims[nclaims].line = pp->line;
            for (const pdm__kv *kv = pp->mo_base; kv; kv = kv->next)
                if (strcmp(kv->key, c->name) == 0)
                    claims[nclaims].line = kv->line;
            for (size_t s = 0; std_mos[s]; s++)
                if (uri_overlap(c->mo_base, std_mos[s]))
                    pdm__diag_add(d, prof->file, claims[nclaims].line,
                                  PDM_EEXISTS,
                                  "MO handler %s/%s: base URI %s overlaps the "
                                  "core's standard MO %s",
                                  pp->name, c->name, c->mo_base, std_mos[s]);
            for (size_t k = 0; k < nclaims; k++)
                if (uri_overlap(c->mo_base, claims[k].base))
                    pdm__diag_add(d, prof->file, claims[nclaims].line,
                                  PDM_EEXISTS,
                                  "MO handler %s/%s: base URI %s overlaps "
                                  "%s of component '%s' (line %u)",
                                  pp->name, c->name, c->mo_base,
                                  claims[k].base, claims[k].who,
                                  claims[k].line);
            nclaims++;
        }
    }
    pdm__free(claims);
    *authority = find_authority(v, prof->nplugins, prof, d);
    if (d->errors > before)
        rc = d->first_rc ? d->first_rc : PDM_EINVAL;
    return rc;
}

int pdm__loader_check_profile(const pdm__profile *prof, const char *search,
                              pdm__diag *d)
{
    pdm__plugin **v;
    pdm__comp *auth;
    int rc;
    v = pdm__calloc(prof->nplugins ? prof->nplugins : 1, sizeof(*v));
    if (!v)
        return PDM_ENOMEM;
    rc = open_and_check(prof, search, true, NULL, v, &auth, d);
    for (size_t i = 0; i < prof->nplugins; i++)
        pdm__plugin_close(v[i]);
    pdm__free(v);
    return rc;
}

/* ---- host services -------------------------------------------------------- */

static pdm__plugin *ctx_plugin(pdm_plugin_ctx *pc)
{
    return pc ? pc->plugin : NULL;
}

static void host_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void host_log(pdm_plugin_ctx *pc, int level, const char *fmt, ...)
{
    pdm__plugin *p = ctx_plugin(pc);
    va_list ap;
    if (!p)
        return;
    va_start(ap, fmt);
    pdm__vlogf(&p->set->log, level, p->name, fmt, ap);
    va_end(ap);
}

static void host_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void host_set_error(pdm_plugin_ctx *pc, int rc, const char *fmt, ...)
{
    pdm__plugin *p = ctx_plugin(pc);
    va_list ap;
    if (!p)
        return;
    p->err_rc = rc;
    va_start(ap, fmt);
    pdm__verrf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
}

static void host_status(pdm_plugin_ctx *pc, int severity, const char *msg)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !msg)
        return;
    p->status_level = severity;
    pdm__strlcpy(p->status, msg, sizeof p->status);
    pdm__logf(&p->set->log, severity, p->name, "status: %s", msg);
}

static const char *host_get_option(pdm_plugin_ctx *pc, const char *key)
{
    pdm__plugin *p = ctx_plugin(pc);
    return p && key ? pdm__profile_plugin_option(p->conf, key) : NULL;
}

static int host_tree_read(pdm_plugin_ctx *pc, const char *uri, pdm_blob *out)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !uri || !out)
        return PDM_EINVAL;
    memset(out, 0, sizeof(*out));
    if (!p->set->svc.tree_read)
        return PDM_ENOTSUP;
    return p->set->svc.tree_read(p->set->svc.user, uri, out);
}

static uint64_t host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int host_random(void *buf, size_t n)
{
    if (!buf && n)
        return PDM_EINVAL;
    return gnutls_rnd(GNUTLS_RND_RANDOM, buf, n) == 0 ? PDM_OK : PDM_ERROR;
}

static int host_kv_get(pdm_plugin_ctx *pc, const char *key, pdm_blob *out)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !key || !out)
        return PDM_EINVAL;
    memset(out, 0, sizeof(*out));
    if (!p->set->svc.kv_get)
        return PDM_ENOTSUP;
    return p->set->svc.kv_get(p->set->svc.user, p->name, key, out);
}

static int host_kv_put(pdm_plugin_ctx *pc, const char *key, const void *val,
                       size_t len)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !key || (!val && len))
        return PDM_EINVAL;
    if (!p->set->svc.kv_put)
        return PDM_ENOTSUP;
    return p->set->svc.kv_put(p->set->svc.user, p->name, key, val, len);
}

static int host_kv_del(pdm_plugin_ctx *pc, const char *key)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !key)
        return PDM_EINVAL;
    if (!p->set->svc.kv_del)
        return PDM_ENOTSUP;
    return p->set->svc.kv_del(p->set->svc.user, p->name, key);
}

/* The ABI 1.0 struct ends with server_id: a smaller one is refused, a
 * larger one (a newer plugin) is read only as far as this core knows it. */
#define GENERIC_ALERT_SIZE_1_0 \
    (offsetof(pdm_generic_alert, server_id) + sizeof(const char *))

static int host_generic_alert(pdm_plugin_ctx *pc, const pdm_generic_alert *ga)
{
    pdm__plugin *p = ctx_plugin(pc);
    pdm_generic_alert g;
    if (!p || !ga || ga->struct_size < GENERIC_ALERT_SIZE_1_0)
        return PDM_EINVAL;
    memset(&g, 0, sizeof g);
    memcpy(&g, ga, ga->struct_size < sizeof g ? ga->struct_size : sizeof g);
    if (!g.type || !g.format || g.reserved0)
        return PDM_EINVAL;
    if (!p->set->svc.generic_alert)
        return PDM_ENOTSUP;
    return p->set->svc.generic_alert(p->set->svc.user, p->name, &g);
}

/* plugin.h: the text is shown to the user as one line. */
#define ASK_PIN_TEXT_MAX 200

static int host_ask_pin(pdm_plugin_ctx *pc, const char *text, int tries_left,
                        char *buf, size_t size)
{
    pdm__plugin *p = ctx_plugin(pc);
    size_t len, bad;
    int rc;
    if (buf && size)
        buf[0] = '\0'; /* "" on every failure, also the early ones */
    if (!p || !buf || !size || !text)
        return PDM_EINVAL;
    len = strnlen(text, ASK_PIN_TEXT_MAX + 1);
    if (!len || len > ASK_PIN_TEXT_MAX || !pdm__text_line_ok(text, len, &bad))
        return PDM_EINVAL;
    if (!p->set->svc.ask_pin)
        return PDM_ENOTSUP;
    /* The hook writes into the plugin's own buffer: the core holds no
     * copy of the PIN at any time. */
    rc = p->set->svc.ask_pin(p->set->svc.user, p->name, text,
                             tries_left < 0 ? -1 : tries_left, buf, size);
    buf[size - 1] = '\0';
    if (rc == PDM_OK && !buf[0])
        rc = PDM_ECANCELLED; /* an empty PIN is no answer */
    else if (rc > 0)
        rc = PDM_ERROR; /* a hook's success is 0 only */
    if (rc != PDM_OK)
        pdm__wipe(buf, size); /* whatever the hook wrote before failing */
    return rc;
}

static int host_root_owner(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    pdm__plugin *p = ctx_plugin(pc);
    const char *sid = NULL;
    size_t n;
    int rc;
    if (buf && size)
        buf[0] = '\0'; /* "" on every failure, also the early ones */
    if (!p || !buf || !size)
        return PDM_EINVAL;
    if (!p->set->svc.root_owner)
        return PDM_ENOTSUP;
    rc = p->set->svc.root_owner(p->set->svc.user, &sid);
    if (rc != PDM_OK)
        return rc;
    if (!sid || !*sid)
        return PDM_ENOTFOUND;
    n = strlen(sid);
    if (n >= size)
        return PDM_ENOSPC; /* never a truncated ServerID: it would name
                              another server */
    memcpy(buf, sid, n + 1);
    return PDM_OK;
}

/* The lost-device services (since 1.4): not from init or fini (the
 * plugin is not part of a context then), else the engine's. */
static pdm__plugin *lds_plugin(pdm_plugin_ctx *pc)
{
    pdm__plugin *p = ctx_plugin(pc);
    return p && p->inited ? p : NULL;
}

static int host_set_lock(pdm_plugin_ctx *pc, uint32_t level,
                         const char *server_id)
{
    pdm__plugin *p = lds_plugin(pc);
    if (!ctx_plugin(pc))
        return PDM_EINVAL;
    if (!p || !p->set->svc.set_lock)
        return PDM_ENOTSUP;
    return p->set->svc.set_lock(p->set->svc.user, p->name, level, server_id);
}

static int host_get_lock(pdm_plugin_ctx *pc, uint32_t *level)
{
    pdm__plugin *p = ctx_plugin(pc);
    if (!p || !level)
        return PDM_EINVAL;
    *level = PDM_LOCK_NONE;
    if (!p->set || !p->set->svc.get_lock)
        return PDM_OK; /* no context: never set */
    return p->set->svc.get_lock(p->set->svc.user, level);
}

static int host_device_action(pdm_plugin_ctx *pc, const pdm_device_action *a,
                              char *reason, size_t size)
{
    pdm__plugin *p = lds_plugin(pc);
    if (reason && size)
        reason[0] = '\0';
    if (!ctx_plugin(pc) || !a || (reason && !size))
        return PDM_EINVAL;
    if (!p || !p->set->svc.device_action)
        return PDM_ENOTSUP;
    return p->set->svc.device_action(p->set->svc.user, p->name, a, reason,
                                     size);
}

static int host_wipe_classes(pdm_plugin_ctx *pc, char *buf, size_t size)
{
    pdm__plugin *p = lds_plugin(pc);
    if (buf && size)
        buf[0] = '\0';
    if (!ctx_plugin(pc) || !buf || !size)
        return PDM_EINVAL;
    if (!p || !p->set->svc.wipe_classes)
        return PDM_ENOTFOUND; /* no device to ask: the plugin's default */
    return p->set->svc.wipe_classes(p->set->svc.user, p->name, buf, size);
}

static int host_factory_reset(pdm_plugin_ctx *pc)
{
    pdm__plugin *p = lds_plugin(pc);
    if (!ctx_plugin(pc))
        return PDM_EINVAL;
    if (!p || !p->set->svc.factory_reset)
        return PDM_ENOTSUP;
    return p->set->svc.factory_reset(p->set->svc.user, p->name);
}

static void *host_alloc(size_t n) { return pdm__malloc(n); }
static void host_free(void *ptr) { pdm__free(ptr); }
static char *host_strdup(const char *s) { return pdm__strdup(s); }

/* One table for every context and plugin, for as long as the core is
 * loaded: a plugin may keep the pointer anywhere (plugin.h).  Nothing in
 * it belongs to a context; that comes through the pdm_plugin_ctx. */
static const pdm_host_api host_table = {
    .struct_size = sizeof(pdm_host_api),
    .abi_major = PDM_ABI_MAJOR,
    .abi_minor = PDM_ABI_MINOR,
    .alloc = host_alloc,
    .free = host_free,
    .strdup = host_strdup,
    .log = host_log,
    .set_error = host_set_error,
    .status = host_status,
    .get_option = host_get_option,
    .tree_read = host_tree_read,
    .now_ms = host_now_ms,
    .random = host_random,
    .strerror = pdm_strerror,
    .kv_get = host_kv_get,
    .kv_put = host_kv_put,
    .kv_del = host_kv_del,
    .generic_alert = host_generic_alert,
    .ask_pin = host_ask_pin,
    .root_owner = host_root_owner,
    .set_lock = host_set_lock,
    .get_lock = host_get_lock,
    .device_action = host_device_action,
    .wipe_classes = host_wipe_classes,
    .factory_reset = host_factory_reset,
};

const pdm_host_api *pdm__host_table(void)
{
    return &host_table;
}

/* ---- start/stop ----------------------------------------------------------- */

int pdm__plugins_start(pdm__plugins *set, const pdm__profile *prof,
                       const char *search, const pdm__services *svc,
                       const pdm__logger *log, pdm__diag *d)
{
    int rc;
    memset(set, 0, sizeof(*set));
    if (svc)
        set->svc = *svc;
    if (log)
        set->log = *log;
    set->v = pdm__calloc(prof->nplugins ? prof->nplugins : 1,
                         sizeof(*set->v));
    set->absent = pdm__calloc(prof->nplugins ? prof->nplugins : 1,
                              sizeof(*set->absent));
    if (!set->v || !set->absent) {
        pdm__free(set->v);
        pdm__free(set->absent);
        memset(set, 0, sizeof(*set));
        return PDM_ENOMEM;
    }
    set->n = prof->nplugins;
    rc = open_and_check(prof, search, false, &set->log, set->v,
                        &set->authority, d);
    if (rc != PDM_OK)
        goto fail;
    /* Success: a hole in v is an optional plugin that is not installed.
     * The rest of the core sees only the loaded ones. */
    {
        size_t k = 0, i = 0;
        for (const pdm__profile_plugin *pp = prof->plugins; pp;
             pp = pp->next, i++) {
            if (set->v[i])
                set->v[k++] = set->v[i];
            else
                set->absent[set->nabsent++] = pp;
        }
        set->n = k;
    }
    for (size_t i = 0; i < set->n; i++) {
        pdm__plugin *p = set->v[i];
        p->set = set;
        if (p->desc.init) {
            p->err[0] = '\0';
            rc = p->desc.init(&p->ctx, &host_table, &p->plugin_data);
            if (rc != PDM_OK) {
                if (rc > 0)
                    rc = PDM_ERROR; /* only 0 is success for init */
                pdm__diag_add(d, prof->file, p->conf->line, rc,
                              "plugin '%s' failed to initialise: %s", p->name,
                              p->err[0] ? p->err : pdm_strerror(rc));
                goto fail;
            }
        }
        p->inited = true;
        for (size_t j = 0; j < p->ncomps; j++) {
            pdm__comp *c = &p->comps[j];
            if (c->ops.head.create) {
                p->err[0] = '\0';
                rc = c->ops.head.create(&p->ctx, p->plugin_data, &c->inst);
                if (rc != PDM_OK) {
                    if (rc > 0)
                        rc = PDM_ERROR;
                    pdm__diag_add(d, prof->file, p->conf->line, rc,
                                  "plugin '%s': component '%s' could not be "
                                  "created: %s",
                                  p->name, c->name,
                                  p->err[0] ? p->err : pdm_strerror(rc));
                    goto fail;
                }
            }
            c->created = true;
        }
        pdm__logf(&set->log, PDM_LOG_DEBUG, "loader", "loaded plugin %s %s (%s)",
                  p->name, p->desc.version ? p->desc.version : "",
                  p->path ? p->path : "static");
    }
    return PDM_OK;
fail:
    pdm__plugins_stop(set);
    return rc;
}

void pdm__plugins_stop(pdm__plugins *set)
{
    /* Reverse order: later plugins may depend on earlier ones' state. */
    for (size_t i = set->n; i-- > 0;)
        pdm__plugin_close(set->v[i]);
    pdm__free(set->v);
    pdm__free(set->absent);
    set->v = NULL;
    set->n = 0;
    set->absent = NULL;
    set->nabsent = 0;
    set->authority = NULL;
}

pdm__comp *pdm__plugins_next(const pdm__plugins *set, pdm__comp *prev,
                             uint32_t kind)
{
    size_t i = 0, j = 0;
    if (prev) {
        for (i = 0; i < set->n && set->v[i] != prev->plugin; i++)
            ;
        j = (size_t)(prev - set->v[i]->comps) + 1;
    }
    for (; i < set->n; i++, j = 0)
        for (; j < set->v[i]->ncomps; j++)
            if (set->v[i]->comps[j].kind == kind)
                return &set->v[i]->comps[j];
    return NULL;
}
