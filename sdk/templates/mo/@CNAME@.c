/*
 * @NAME@: a polydm MO handler plugin (written by `polydm plugin new`).
 *
 * One component, "@CNAME@", owns the values and the Exec behaviour of a
 * small management object under ./Ext/@NAME@ (a profile may move it with
 * `mo.@CNAME@.base = URI`):
 *
 *   Level    int, Get/Replace: a setting from 0 to option.max_level,
 *            kept in the host's key/value store; it follows the tree's
 *            transactions (a rolled-back Atomic restores it)
 *   Reset    Exec: Level back to 0
 *   Report   Exec: answers 200 and sends the Level to the server in a
 *            Generic Alert (type urn:x-@NAME@:level, format int, the
 *            Exec's correlator echoed)
 *
 * The core owns the nodes (structure, ACLs, properties) and asks this
 * handler only for allowed requests.  Ownership: everything returned to
 * the core comes from host->alloc/host->strdup; nothing is left allocated
 * on an error (rules 2 and 3 of <polydm/plugin.h>).
 *
 * Profile section:
 *
 *   [plugin @NAME@]
 *   option.max_level = 100      # optional, 0..1000000, default 100
 */
#include <polydm/mo.h>
#include <polydm/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_LEVEL "level"
#define ALERT_TYPE "urn:x-@NAME@:level"
#define MAX_LEVEL 1000000L

/* Plugin-wide state (init): the host table (rule 9) and the options. */
typedef struct plugin_data {
    const pdm_host_api *host;
    long max_level;
} plugin_data;

/* One instance of the MO (create): the plugin context is per polydm
 * context (rule 9), so it lives here and not in a static. */
typedef struct mo_inst {
    const pdm_host_api *host;
    pdm_plugin_ctx *pc;
    long max_level;
    long level;     /* current value, committed or not */
    long committed; /* the value in the key/value store */
    long saved[8];  /* the value at each open begin() (savepoints) */
    unsigned depth;
} mo_inst;

/* Parses a decimal in [0, max] from @len bytes; -1 when it is not one. */
static long parse_level(const void *data, size_t len, long max)
{
    char buf[16], *end;
    long v;
    if (data == NULL || len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, data, len);
    buf[len] = '\0';
    if (buf[0] < '0' || buf[0] > '9')
        return -1;
    v = strtol(buf, &end, 10);
    return (*end == '\0' && v <= max) ? v : -1;
}

/* True if @uri is the node @leaf of this MO ("<base>/<leaf>"), wherever
 * the profile put the base. */
static int is_leaf(const char *uri, const char *leaf)
{
    size_t n = strlen(uri), l = strlen(leaf);
    return n > l && uri[n - l - 1] == '/' && strcmp(uri + n - l, leaf) == 0;
}

static int mo_init(pdm_plugin_ctx *pc, const pdm_host_api *host,
                   void **plugin_data_out)
{
    const char *opt = host->get_option(pc, "max_level");
    long max = 100;
    plugin_data *d;
    if (opt != NULL) {
        max = parse_level(opt, strlen(opt), MAX_LEVEL);
        if (max < 0) {
            host->set_error(pc, PDM_EINVAL,
                            "option.max_level must be a number from 0 to "
                            "%ld, got '%.40s'", MAX_LEVEL, opt);
            return PDM_EINVAL;
        }
    }
    d = host->alloc(sizeof(*d));
    if (d == NULL) {
        host->set_error(pc, PDM_ENOMEM, "out of memory");
        return PDM_ENOMEM;
    }
    d->host = host;
    d->max_level = max;
    *plugin_data_out = d;
    return PDM_OK;
}

static void mo_fini(pdm_plugin_ctx *pc, void *pdata)
{
    plugin_data *d = pdata;
    (void)pc;
    d->host->free(d);
}

static int mo_create(pdm_plugin_ctx *pc, void *pdata, void **out)
{
    const plugin_data *d = pdata;
    pdm_blob b = {NULL, 0};
    mo_inst *i = d->host->alloc(sizeof(*i));
    if (i == NULL) {
        d->host->set_error(pc, PDM_ENOMEM, "out of memory");
        return PDM_ENOMEM;
    }
    memset(i, 0, sizeof(*i));
    i->host = d->host;
    i->pc = pc;
    i->max_level = d->max_level;
    /* The stored Level survives restarts; a value the store no longer
     * accepts (max_level lowered) starts over at 0. */
    if (d->host->kv_get(pc, KV_LEVEL, &b) == PDM_OK) {
        long v = parse_level(b.data, b.len, i->max_level);
        i->level = i->committed = v < 0 ? 0 : v;
    }
    d->host->free(b.data);
    *out = i;
    return PDM_OK;
}

static void mo_destroy(void *inst)
{
    mo_inst *i = inst;
    i->host->free(i);
}

static int mo_get(void *inst, const char *uri, pdm_blob *out)
{
    mo_inst *i = inst;
    char buf[24];
    if (!is_leaf(uri, "Level"))
        return PDM_ENOTFOUND;
    snprintf(buf, sizeof buf, "%ld", i->level);
    out->data = (uint8_t *)i->host->strdup(buf); /* the core frees it */
    if (out->data == NULL)
        return PDM_ENOMEM;
    out->len = strlen(buf);
    return PDM_OK;
}

static int mo_replace(void *inst, const char *uri, const pdm_blob *value)
{
    mo_inst *i = inst;
    long v;
    if (!is_leaf(uri, "Level"))
        return PDM_ENOTFOUND;
    v = parse_level(value->data, value->len, i->max_level);
    if (v < 0) {
        i->host->set_error(i->pc, PDM_EINVAL,
                           "%s wants a number from 0 to %ld", uri,
                           i->max_level);
        return PDM_EINVAL;
    }
    i->level = v; /* stored at commit() */
    return PDM_OK;
}

static int mo_exec(void *inst, const char *uri, const pdm_blob *data,
                   const char *correlator)
{
    mo_inst *i = inst;
    (void)data;
    if (is_leaf(uri, "Reset")) {
        i->level = 0;
        return PDM_OK;
    }
    if (is_leaf(uri, "Report")) {
        pdm_generic_alert ga;
        char buf[24];
        snprintf(buf, sizeof buf, "%ld", i->level);
        memset(&ga, 0, sizeof ga);
        ga.struct_size = sizeof ga;
        ga.source_uri = uri;
        ga.type = ALERT_TYPE;
        ga.format = "int";
        ga.correlator = correlator;
        ga.data.data = (uint8_t *)buf; /* only read: the core copies it */
        ga.data.len = strlen(buf);
        /* server_id NULL: the server whose Exec this is. */
        return i->host->generic_alert(i->pc, &ga);
    }
    i->host->set_error(i->pc, PDM_ENOTSUP, "%s cannot be executed", uri);
    return PDM_ENOTSUP;
}

/* A server package or an Atomic: begin() saves, rollback() restores,
 * the outermost commit() stores the value. */
static int mo_begin(void *inst)
{
    mo_inst *i = inst;
    if (i->depth < sizeof i->saved / sizeof i->saved[0])
        i->saved[i->depth] = i->level;
    i->depth++;
    return PDM_OK;
}

static int mo_commit(void *inst)
{
    mo_inst *i = inst;
    char buf[24];
    int rc;
    if (i->depth > 0)
        i->depth--;
    if (i->depth > 0 || i->level == i->committed)
        return PDM_OK;
    snprintf(buf, sizeof buf, "%ld", i->level);
    rc = i->host->kv_put(i->pc, KV_LEVEL, buf, strlen(buf));
    if (rc == PDM_OK)
        i->committed = i->level;
    return rc;
}

static void mo_rollback(void *inst)
{
    mo_inst *i = inst;
    if (i->depth == 0)
        return;
    i->depth--;
    i->level = i->depth < sizeof i->saved / sizeof i->saved[0]
                   ? i->saved[i->depth]
                   : i->committed;
}

static const pdm_mo_node mo_nodes[] = {
    {"", PDM_FORMAT_NODE, PDM_MO_PERMANENT, "urn:x-@NAME@:mo:1.0",
     "Get=*&Replace=*&Exec=*", NULL, {NULL, NULL}},
    {"Level", PDM_FORMAT_INT, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE,
     "text/plain", NULL, NULL, {NULL, NULL}},
    {"Reset", PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC | PDM_MO_NO_GET,
     NULL, NULL, NULL, {NULL, NULL}},
    {"Report", PDM_FORMAT_NULL,
     PDM_MO_PERMANENT | PDM_MO_EXEC | PDM_MO_NO_GET, NULL, NULL, NULL,
     {NULL, NULL}},
    {NULL, 0, 0, NULL, NULL, NULL, {NULL, NULL}},
};

static const pdm_mo_ops mo_ops = {
    {sizeof(pdm_mo_ops), PDM_KIND_MO, mo_create, mo_destroy},
    "./Ext/@NAME@",
    "urn:x-@NAME@:mo:1.0",
    mo_nodes,
    mo_get,
    mo_replace,
    mo_exec,
    NULL,
    mo_begin,
    mo_commit,
    mo_rollback,
};

static const pdm_component components[] = {
    {PDM_KIND_MO, 0, "@CNAME@", &mo_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"max_level", "largest value of Level (0..1000000)", "100", 0, 0,
     {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "@NAME@",
    "0.1.0",
    "MO handler: a transactional Level with Reset and Report Execs",
    components,
    options,
    mo_init,
    mo_fini,
};

PDM_PLUGIN_DEFINE(@CNAME@, desc)
