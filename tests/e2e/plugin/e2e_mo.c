/*
 * e2e-mo: a management object for the end-to-end tests, built like any
 * third-party MO handler.  It gives the test server a real Exec target
 * and a handler-owned value whose changes must follow the package and
 * Atomic transactions:
 *
 *   ./Ext/E2E            interior, Type urn:polydm:mo:e2e:1.0
 *   ./Ext/E2E/Counter    int, value kept by the handler (get/replace),
 *                        undone on rollback, saved in the plugin's
 *                        key/value store when the package commits
 *   ./Ext/E2E/Run        Exec: done at once (200); counts the runs in the
 *                        plugin's key/value store ("runs")
 *   ./Ext/E2E/Async      Exec: accepted (202); the result follows as a
 *                        Generic Alert (type urn:polydm:at:e2e:done, Data
 *                        "200") echoing the Exec's Correlator
 *   ./Ext/E2E/Later      Exec: accepted (202) and finished later: the
 *                        work is kept in the plugin's key/value store
 *                        ("later": the correlator) and done on the
 *                        handler's next get, maybe in another process and
 *                        another server's session; its result is a
 *                        Generic Alert (type urn:polydm:at:e2e:later,
 *                        Data "200", Source the Exec's URI, its
 *                        Correlator) queued WITHOUT a server id: the core
 *                        binds it to the server whose Exec it reports
 *   ./Ext/E2E/Fail       Exec: refused with PDM_EINVAL (a 4xx status)
 */
#include <polydm/mo.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pdm_host_api *host;

typedef struct inst {
    pdm_plugin_ctx *pc;
    long counter, committed; /* current and last committed value */
    long saved[8];           /* values at each open begin() */
    int depth;
} inst;

static int mo_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int mo_create(pdm_plugin_ctx *pc, void *data, void **out)
{
    inst *i = host->alloc(sizeof *i);
    (void)data;
    if (!i)
        return PDM_ENOMEM;
    memset(i, 0, sizeof *i);
    i->pc = pc;
    {
        pdm_blob b = {NULL, 0};
        char buf[24];
        if (host->kv_get(pc, "counter", &b) == PDM_OK && b.len < sizeof buf) {
            memcpy(buf, b.data, b.len);
            buf[b.len] = '\0';
            i->counter = i->committed = strtol(buf, NULL, 10);
        }
        host->free(b.data);
    }
    *out = i;
    return PDM_OK;
}

static void mo_destroy(void *p) { host->free(p); }

/* The work a Later Exec left: done now, its result reported. */
static void finish_later(inst *i)
{
    pdm_blob b = {NULL, 0};
    pdm_generic_alert ga;
    char corr[64];
    if (host->kv_get(i->pc, "later", &b) != PDM_OK || b.len >= sizeof corr) {
        host->free(b.data);
        return;
    }
    memcpy(corr, b.data, b.len);
    corr[b.len] = '\0';
    host->free(b.data);
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.source_uri = "./Ext/E2E/Later";
    ga.type = "urn:polydm:at:e2e:later";
    ga.format = "int";
    ga.correlator = corr[0] ? corr : NULL;
    ga.data.data = (uint8_t *)"200";
    ga.data.len = 3;
    if (host->generic_alert(i->pc, &ga) == PDM_OK)
        host->kv_del(i->pc, "later");
    else
        host->log(i->pc, PDM_LOG_WARN, "the Later result was refused");
}

static int mo_get(void *p, const char *uri, pdm_blob *out)
{
    inst *i = p;
    char buf[24];
    finish_later(i);
    if (strcmp(uri, "./Ext/E2E/Counter") != 0)
        return PDM_ENOTFOUND;
    snprintf(buf, sizeof buf, "%ld", i->counter);
    out->data = (uint8_t *)host->strdup(buf);
    out->len = strlen(buf);
    return out->data ? PDM_OK : PDM_ENOMEM;
}

static int mo_replace(void *p, const char *uri, const pdm_blob *v)
{
    inst *i = p;
    char buf[24], *end;
    long n;
    if (strcmp(uri, "./Ext/E2E/Counter") != 0 || v->len == 0 ||
        v->len >= sizeof buf)
        return PDM_EINVAL;
    memcpy(buf, v->data, v->len);
    buf[v->len] = '\0';
    n = strtol(buf, &end, 10);
    if (*end) {
        host->set_error(i->pc, PDM_EINVAL, "Counter wants an integer");
        return PDM_EINVAL;
    }
    i->counter = n;
    return PDM_OK;
}

static int mo_exec(void *p, const char *uri, const pdm_blob *data,
                   const char *correlator)
{
    inst *i = p;
    (void)data;
    if (strcmp(uri, "./Ext/E2E/Run") == 0) {
        pdm_blob b = {NULL, 0};
        char buf[24];
        long runs = 0;
        if (host->kv_get(i->pc, "runs", &b) == PDM_OK && b.len < sizeof buf) {
            memcpy(buf, b.data, b.len);
            buf[b.len] = '\0';
            runs = strtol(buf, NULL, 10);
        }
        host->free(b.data);
        snprintf(buf, sizeof buf, "%ld", runs + 1);
        host->log(i->pc, PDM_LOG_INFO, "Run executed (%ld)", runs + 1);
        return host->kv_put(i->pc, "runs", buf, strlen(buf));
    }
    if (strcmp(uri, "./Ext/E2E/Async") == 0) {
        pdm_generic_alert ga;
        memset(&ga, 0, sizeof ga);
        ga.struct_size = sizeof ga;
        ga.source_uri = uri;
        ga.type = "urn:polydm:at:e2e:done";
        ga.format = "int";
        ga.correlator = correlator;
        ga.data.data = (uint8_t *)"200"; /* only read: the core copies it */
        ga.data.len = 3;
        if (host->generic_alert(i->pc, &ga) != PDM_OK)
            return PDM_ERROR;
        return PDM_PENDING;
    }
    if (strcmp(uri, "./Ext/E2E/Later") == 0) {
        const char *c = correlator ? correlator : "";
        if (host->kv_put(i->pc, "later", c, strlen(c)) != PDM_OK)
            return PDM_ERROR;
        return PDM_PENDING;
    }
    host->set_error(i->pc, PDM_EINVAL, "%s refuses to run", uri);
    return PDM_EINVAL;
}

/* Packages and Atomics: the Counter follows the tree's transactions. */
static int mo_begin(void *p)
{
    inst *i = p;
    if (i->depth < 8)
        i->saved[i->depth] = i->counter;
    i->depth++;
    return PDM_OK;
}

static int mo_commit(void *p)
{
    inst *i = p;
    if (i->depth > 0 && --i->depth == 0 && i->committed != i->counter) {
        char buf[24];
        snprintf(buf, sizeof buf, "%ld", i->counter);
        i->committed = i->counter;
        return host->kv_put(i->pc, "counter", buf, strlen(buf));
    }
    return PDM_OK;
}

static void mo_rollback(void *p)
{
    inst *i = p;
    if (i->depth > 0 && --i->depth < 8)
        i->counter = i->saved[i->depth];
}

static const pdm_mo_node nodes[] = {
    {"", PDM_FORMAT_NODE, PDM_MO_PERMANENT, "urn:polydm:mo:e2e:1.0",
     "Get=*&Replace=*&Exec=*", NULL, {NULL, NULL}},
    {"Counter", PDM_FORMAT_INT, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE,
     "text/plain", NULL, NULL, {NULL, NULL}},
    {"Run", PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC, NULL, NULL, NULL,
     {NULL, NULL}},
    {"Async", PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC, NULL, NULL,
     NULL, {NULL, NULL}},
    {"Later", PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC, NULL, NULL,
     NULL, {NULL, NULL}},
    {"Fail", PDM_FORMAT_NULL, PDM_MO_PERMANENT | PDM_MO_EXEC, NULL, NULL, NULL,
     {NULL, NULL}},
    {NULL, 0, 0, NULL, NULL, NULL, {NULL, NULL}},
};

static const pdm_mo_ops ops = {
    {sizeof(pdm_mo_ops), PDM_KIND_MO, mo_create, mo_destroy},
    "./Ext/E2E",
    "urn:polydm:mo:e2e:1.0",
    nodes,
    mo_get,
    mo_replace,
    mo_exec,
    NULL,
    mo_begin,
    mo_commit,
    mo_rollback,
};

static const pdm_component components[] = {
    {PDM_KIND_MO, 0, "e2e", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "e2e-mo",
    "1.0",
    "test MO for the end-to-end tests: Exec targets and a transactional value",
    components,
    NULL,
    mo_init,
    NULL,
};

PDM_PLUGIN_DEFINE(e2e_mo, desc)
