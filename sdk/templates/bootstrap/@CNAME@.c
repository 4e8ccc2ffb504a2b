/*
 * @NAME@: a polydm bootstrap-source plugin (written by `polydm plugin
 * new`).
 *
 * Component "@CNAME@" offers one provisioning document from a file the
 * device image carries (origin factory): an OMA CP document
 * (text/vnd.wap.connectivity-xml or -wbxml) or a DM profile
 * (application/vnd.syncml.dm+xml or +wbxml), named by option.file.
 *
 *   probe     PDM_OK while the file exists and was not applied yet
 *             (the key/value store remembers the applied file's size and
 *             modification time); PDM_ENOTFOUND otherwise
 *   read      the file's bytes, host->alloc'd (the core frees them)
 *   consumed  on PDM_OK remembers the file so it is not offered again;
 *             a refusal is logged and the file is offered at the next scan
 *   origin    PDM_ORIGIN_FACTORY (so `bootstrap.disabled_origins =
 *             factory` switches it off without touching the file)
 *
 * The core checks SEC/MAC, asks the policies and the authority, and
 * applies the document; the source only hands it over.
 *
 *   [plugin @NAME@]
 *   option.file = /etc/device/provisioning.xml          # required
 *   option.content_type = text/vnd.wap.connectivity-xml # optional
 */
#include <polydm/bootstrap.h>
#include <polydm/plugin.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define KV_APPLIED "applied"
#define MAX_DOC (256 * 1024)

typedef struct bs_data {
    const pdm_host_api *host;
    char *file;
    char *content_type;
} bs_data;

typedef struct bs_inst {
    const bs_data *d;
    pdm_plugin_ctx *pc; /* per context (rule 9) */
    char offered[64];   /* signature of the file read() gave, or "" */
} bs_inst;

/* "size:mtime" of the file, or "" when it is missing or not a file. */
static void signature(const char *path, char *out, size_t size)
{
    struct stat st;
    out[0] = '\0';
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(out, size, "%lld:%lld", (long long)st.st_size,
                 (long long)st.st_mtime);
}

static int bs_init(pdm_plugin_ctx *pc, const pdm_host_api *host,
                   void **plugin_data)
{
    const char *file = host->get_option(pc, "file");
    const char *ct = host->get_option(pc, "content_type");
    bs_data *d;
    if (file == NULL || file[0] == '\0') {
        host->set_error(pc, PDM_EINVAL,
                        "option.file is required: the provisioning "
                        "document to offer");
        return PDM_EINVAL;
    }
    if (ct == NULL)
        ct = "text/vnd.wap.connectivity-xml";
    d = host->alloc(sizeof(*d));
    if (d == NULL)
        goto nomem;
    d->host = host;
    d->file = host->strdup(file);
    d->content_type = host->strdup(ct);
    if (d->file == NULL || d->content_type == NULL) {
        host->free(d->file);
        host->free(d->content_type);
        host->free(d);
        goto nomem;
    }
    *plugin_data = d;
    return PDM_OK;
nomem:
    host->set_error(pc, PDM_ENOMEM, "out of memory");
    return PDM_ENOMEM;
}

static void bs_fini(pdm_plugin_ctx *pc, void *plugin_data)
{
    bs_data *d = plugin_data;
    (void)pc;
    d->host->free(d->file);
    d->host->free(d->content_type);
    d->host->free(d);
}

static int bs_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    const bs_data *d = plugin_data;
    bs_inst *i = d->host->alloc(sizeof(*i));
    if (i == NULL)
        return PDM_ENOMEM;
    memset(i, 0, sizeof(*i));
    i->d = d;
    i->pc = pc;
    *out = i;
    return PDM_OK;
}

static void bs_destroy(void *inst)
{
    bs_inst *i = inst;
    i->d->host->free(i);
}

static int bs_probe(void *inst)
{
    bs_inst *i = inst;
    const pdm_host_api *host = i->d->host;
    pdm_blob b = {NULL, 0};
    char sig[64];
    int applied;
    signature(i->d->file, sig, sizeof sig);
    if (sig[0] == '\0')
        return PDM_ENOTFOUND;
    applied = host->kv_get(i->pc, KV_APPLIED, &b) == PDM_OK &&
              b.len == strlen(sig) && memcmp(b.data, sig, b.len) == 0;
    host->free(b.data);
    return applied ? PDM_ENOTFOUND : PDM_OK;
}

static int bs_read(void *inst, pdm_bootstrap_doc *out)
{
    bs_inst *i = inst;
    const pdm_host_api *host = i->d->host;
    FILE *f;
    long len;
    uint8_t *body = NULL;
    char *ct = NULL;

    signature(i->d->file, i->offered, sizeof i->offered);
    f = fopen(i->d->file, "rb");
    if (f == NULL)
        return PDM_ENOTFOUND;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || len == 0 || len > MAX_DOC) {
        fclose(f);
        host->set_error(i->pc, PDM_EINVAL, "%s: empty, unreadable or over "
                        "%d bytes", i->d->file, MAX_DOC);
        return PDM_EINVAL;
    }
    body = host->alloc((size_t)len);
    ct = host->strdup(i->d->content_type);
    if (body == NULL || ct == NULL ||
        fread(body, 1, (size_t)len, f) != (size_t)len) {
        int rc = (body == NULL || ct == NULL) ? PDM_ENOMEM : PDM_EIO;
        fclose(f);
        host->free(body); /* rule 3: nothing handed over on failure */
        host->free(ct);
        host->set_error(i->pc, rc, "%s: cannot read", i->d->file);
        return rc;
    }
    fclose(f);
    out->origin = PDM_ORIGIN_FACTORY;
    out->body.data = body;
    out->body.len = (size_t)len;
    out->content_type = ct;
    out->sec = PDM_SEC_NONE;
    return PDM_OK;
}

static void bs_consumed(void *inst, int outcome)
{
    bs_inst *i = inst;
    const pdm_host_api *host = i->d->host;
    if (outcome != PDM_OK) {
        host->log(i->pc, PDM_LOG_WARN, "%s was refused (%d)", i->d->file,
                  outcome);
        return;
    }
    if (i->offered[0] != '\0')
        host->kv_put(i->pc, KV_APPLIED, i->offered, strlen(i->offered));
}

static uint32_t bs_origin(void *inst)
{
    (void)inst;
    return PDM_ORIGIN_FACTORY;
}

static const pdm_bootstrap_ops bs_ops = {
    {sizeof(pdm_bootstrap_ops), PDM_KIND_BOOTSTRAP, bs_create, bs_destroy},
    bs_probe,
    bs_read,
    bs_consumed,
    NULL, /* present_ids: accounts from this file never disappear */
    NULL, /* accepts: takes no documents from the integrator */
    bs_origin,
    NULL, /* watch_fd: found when the integrator scans */
};

static const pdm_component components[] = {
    {PDM_KIND_BOOTSTRAP, 0, "@CNAME@", &bs_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"file", "the provisioning document to offer (OMA CP or DM profile)",
     NULL, PDM_OPTION_REQUIRED, 0, {NULL, NULL}},
    {"content_type", "its MIME type", "text/vnd.wap.connectivity-xml", 0, 0,
     {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "@NAME@",
    "0.1.0",
    "bootstrap source: a provisioning file of the device image",
    components,
    options,
    bs_init,
    bs_fini,
};

PDM_PLUGIN_DEFINE(@CNAME@, desc)
