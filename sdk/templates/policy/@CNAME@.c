/*
 * @NAME@: a polydm policy plugin (written by `polydm plugin new`), built
 * only against the installed SDK (<polydm/policy.h>; never a core header).
 *
 * It provides one policy component, "protect", that keeps DM servers from
 * changing or removing a vendor subtree:
 *
 *   - a server's Delete or Replace on the protected node or anywhere below
 *     it is DENIED, with a reason naming the prefix;
 *   - a server's Delete of an ancestor of the protected node (which would
 *     delete it too, e.g. Delete on ./Vendor) is DENIED as well;
 *   - everything else is ABSTAINED: other commands, other URIs, and
 *     requests from the local user, a bootstrap or the factory tree.
 *
 * A policy can only restrict (DESIGN.md §3): it never answers ALLOW,
 * because ALLOW would grant nothing the node's ACL did not already grant.
 *
 * Profile section:
 *
 *   [plugin @NAME@]
 *   option.protect = ./Vendor/Hello      # required
 *
 * Memory: the option is copied with host->strdup in init and released with
 * host->free in fini (ownership rules 1 and 2 of <polydm/plugin.h>).
 */
#include <polydm/plugin.h>
#include <polydm/policy.h>

#include <stdio.h>
#include <string.h>

/* Plugin-wide state, made by init and shared by every instance. */
typedef struct pol_data {
    const pdm_host_api *host; /* the core's static table (rule 9) */
    char *shown;              /* the option as configured, for reasons */
    const char *path;         /* shown without "./" and trailing '/' */
    size_t path_len;          /* 0: the protected node is the root */
} pol_data;

/* URIs reach policies normalised, without the "./" prefix ("Vendor/Hello",
 * root as "."); accept both spellings so the comparison does not depend on
 * it.  Returns the path part and its length in *len. */
static const char *strip_uri(const char *uri, size_t *len)
{
    size_t n;
    if (uri[0] == '.' && uri[1] == '/')
        uri += 2;
    else if (uri[0] == '.' && uri[1] == '\0')
        uri++;
    n = strlen(uri);
    while (n > 0 && uri[n - 1] == '/')
        n--;
    *len = n;
    return uri;
}

/* True if @uri (length @n) is @base (length @bn) or lies below it. */
static int is_within(const char *uri, size_t n, const char *base, size_t bn)
{
    if (bn == 0)
        return 1; /* everything is below the root */
    return n >= bn && memcmp(uri, base, bn) == 0 &&
           (n == bn || uri[bn] == '/');
}

static int pol_init(pdm_plugin_ctx *pc, const pdm_host_api *host,
                      void **plugin_data)
{
    const char *opt = host->get_option(pc, "protect");
    pol_data *d;
    size_t n = 0;

    if (opt != NULL)
        strip_uri(opt, &n);
    /* An empty prefix would protect the whole tree by accident; "." says
     * so explicitly. */
    if (opt == NULL || (n == 0 && strcmp(opt, ".") != 0)) {
        host->set_error(pc, PDM_EINVAL,
                        "option.protect is required: the URI prefix to "
                        "protect, e.g. ./Vendor/Hello (got %s%s%s)",
                        opt ? "'" : "", opt ? opt : "nothing",
                        opt ? "'" : "");
        return PDM_EINVAL;
    }
    d = host->alloc(sizeof(*d));
    if (d == NULL)
        goto out_nomem;
    d->host = host;
    d->shown = host->strdup(opt);
    if (d->shown == NULL)
        goto out_free_d;
    d->path = strip_uri(d->shown, &d->path_len);
    *plugin_data = d;
    return PDM_OK;

out_free_d:
    host->free(d);
out_nomem:
    host->set_error(pc, PDM_ENOMEM, "out of memory");
    return PDM_ENOMEM;
}

static void pol_fini(pdm_plugin_ctx *pc, void *plugin_data)
{
    pol_data *d = plugin_data;
    (void)pc;
    d->host->free(d->shown);
    d->host->free(d);
}

/* Instances are stateless: each one is the plugin-wide configuration.
 * (A component that needs per-instance state allocates it here with
 * host->alloc and frees it in destroy.) */
static int pol_create(pdm_plugin_ctx *pc, void *plugin_data, void **inst)
{
    (void)pc;
    *inst = plugin_data;
    return PDM_OK;
}

static int pol_check(void *inst, const pdm_policy_req *req,
                       pdm_verdict *out)
{
    const pol_data *d = inst;
    const char *uri;
    size_t n;

    /* Every field used here is part of the ABI 1.0 request, which the core
     * always supplies in full; fields added later would need a
     * req->struct_size check first. */
    out->decision = PDM_ABSTAIN;
    if (req->principal != PDM_PRINCIPAL_SERVER || req->uri == NULL)
        return PDM_OK;
    if (req->op != PDM_OP_DELETE && req->op != PDM_OP_REPLACE)
        return PDM_OK;

    uri = strip_uri(req->uri, &n);
    if (is_within(uri, n, d->path, d->path_len)) {
        out->decision = PDM_DENY;
        snprintf(out->reason, sizeof out->reason,
                 "%s is protected by @NAME@: servers may not %s "
                 "anything under it",
                 d->shown, req->op == PDM_OP_DELETE ? "Delete" : "Replace");
    } else if (req->op == PDM_OP_DELETE &&
               is_within(d->path, d->path_len, uri, n)) {
        /* Deleting an ancestor deletes the protected subtree with it. */
        out->decision = PDM_DENY;
        snprintf(out->reason, sizeof out->reason,
                 "%s is protected by @NAME@: deleting %s would "
                 "delete it", d->shown, req->uri);
    }
    return PDM_OK;
}

static const pdm_policy_ops pol_ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, pol_create, NULL},
    pol_check,
};

static const pdm_component pol_components[] = {
    {PDM_KIND_POLICY, 0, "protect", &pol_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc pol_options[] = {
    {"protect",
     "URI prefix servers may not Delete or Replace under, e.g. "
     "./Vendor/Hello",
     NULL, PDM_OPTION_REQUIRED, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc pol_desc = {
    PDM_PLUGIN_DESC_HEAD,
    "@NAME@",
    "1.0.0",
    "example policy: servers may not Delete or Replace under a prefix",
    pol_components,
    pol_options,
    pol_init,
    pol_fini,
};

PDM_PLUGIN_DEFINE(@CNAME@, pol_desc)
