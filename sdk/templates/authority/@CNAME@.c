/*
 * @NAME@: a polydm authority plugin (written by `polydm plugin new`).
 *
 * An authority decides who controls the device.  This one, component
 * "@CNAME@", keeps the spec's model (nobody owns root) and adds a list of
 * trusted DM servers (option.trusted):
 *
 *   on_bootstrap  the bootstrapped server gets Get, Replace and Delete on
 *                 its own account node; a server that is not trusted and
 *                 was bootstrapped without security is refused when
 *                 option.require_sec is true
 *   takeover      the user may make a trusted server the root owner;
 *                 anyone else is DENIED with a reason
 *   override      a trusted server may change nodes another authority
 *                 created (where the node's ACL allows it); others may not
 *   defaults      not provided: the spec's default ACLs
 *
 * Make it the active authority with `authority = @NAME@` in [profile] (the
 * sample profile does).  Ownership: the grant's strings come from
 * host->alloc/strdup and are the core's only on PDM_OK (rules 2, 3).
 *
 *   [plugin @NAME@]
 *   option.trusted = a.server,b.server   # ServerIDs, comma-separated
 *   option.require_sec = false           # optional
 */
#include <polydm/authority.h>
#include <polydm/plugin.h>

#include <stdio.h>
#include <string.h>

typedef struct auth_data {
    const pdm_host_api *host;
    char *trusted;   /* ",a,b," for whole-word matching, or "" */
    int require_sec; /* refuse untrusted servers bootstrapped without SEC */
} auth_data;

/* True if @server_id is one of the trusted ServerIDs. */
static int is_trusted(const auth_data *d, const char *server_id)
{
    const char *p = d->trusted;
    size_t n;
    if (server_id == NULL || server_id[0] == '\0' || strchr(server_id, ','))
        return 0;
    n = strlen(server_id);
    while ((p = strstr(p, server_id)) != NULL) {
        if (p[-1] == ',' && p[n] == ',')
            return 1;
        p++;
    }
    return 0;
}

static int auth_init(pdm_plugin_ctx *pc, const pdm_host_api *host,
                     void **plugin_data)
{
    const char *list = host->get_option(pc, "trusted");
    const char *sec = host->get_option(pc, "require_sec");
    size_t len = list ? strlen(list) : 0;
    auth_data *d;
    int require = 0;

    if (sec != NULL) {
        if (strcmp(sec, "true") == 0)
            require = 1;
        else if (strcmp(sec, "false") != 0) {
            host->set_error(pc, PDM_EINVAL,
                            "option.require_sec must be true or false");
            return PDM_EINVAL;
        }
    }
    d = host->alloc(sizeof(*d));
    if (d == NULL)
        goto nomem;
    d->host = host;
    d->require_sec = require;
    d->trusted = host->alloc(len + 3);
    if (d->trusted == NULL) {
        host->free(d);
        goto nomem;
    }
    /* ",a,b," without blanks: whole ServerIDs compare with strstr. */
    {
        size_t o = 0;
        d->trusted[o++] = ',';
        for (size_t i = 0; i < len; i++)
            if (list[i] != ' ' && list[i] != '\t')
                d->trusted[o++] = list[i];
        if (o > 1 && d->trusted[o - 1] != ',')
            d->trusted[o++] = ',';
        d->trusted[o] = '\0';
    }
    *plugin_data = d;
    return PDM_OK;
nomem:
    host->set_error(pc, PDM_ENOMEM, "out of memory");
    return PDM_ENOMEM;
}

static void auth_fini(pdm_plugin_ctx *pc, void *plugin_data)
{
    auth_data *d = plugin_data;
    (void)pc;
    d->host->free(d->trusted);
    d->host->free(d);
}

/* Stateless instances: the plugin-wide configuration is enough. */
static int auth_create(pdm_plugin_ctx *pc, void *plugin_data, void **inst)
{
    (void)pc;
    *inst = plugin_data;
    return PDM_OK;
}

static int auth_on_bootstrap(void *inst, const pdm_authority_info *who,
                             pdm_authority_grant *out)
{
    const auth_data *d = inst;
    char acl[512];
    int n;
    if (d->require_sec && who->sec == PDM_SEC_NONE &&
        !is_trusted(d, who->server_id)) {
        out->flags |= PDM_GRANT_REFUSE;
        return PDM_OK;
    }
    n = snprintf(acl, sizeof acl, "Get=%s&Replace=%s&Delete=%s",
                 who->server_id, who->server_id, who->server_id);
    if (n < 0 || (size_t)n >= sizeof acl)
        return PDM_EINVAL; /* the core refuses the bootstrap: fail closed */
    out->account_acl = d->host->strdup(acl); /* the core's on PDM_OK */
    return out->account_acl ? PDM_OK : PDM_ENOMEM;
}

static int auth_takeover(void *inst, const pdm_authority_info *to,
                         pdm_verdict *out)
{
    const auth_data *d = inst;
    if (is_trusted(d, to->server_id)) {
        out->decision = PDM_ALLOW;
        return PDM_OK;
    }
    out->decision = PDM_DENY;
    snprintf(out->reason, sizeof out->reason,
             "@NAME@: %.100s is not a trusted server (option.trusted)",
             to->server_id ? to->server_id : "(none)");
    return PDM_OK;
}

static int auth_override(void *inst, const char *actor, const char *owner,
                         const char *uri, pdm_verdict *out)
{
    const auth_data *d = inst;
    (void)owner;
    (void)uri;
    out->decision = is_trusted(d, actor) ? PDM_ALLOW : PDM_ABSTAIN;
    return PDM_OK;
}

static const pdm_authority_ops auth_ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, auth_create, NULL},
    auth_on_bootstrap,
    auth_takeover,
    auth_override,
    NULL, /* defaults: the spec's */
};

static const pdm_component components[] = {
    {PDM_KIND_AUTHORITY, 0, "@CNAME@", &auth_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"trusted", "comma-separated ServerIDs that may take over root and "
                "change other authorities' nodes", NULL, 0, 0, {NULL, NULL}},
    {"require_sec", "refuse untrusted servers bootstrapped without SEC "
                    "(true/false)", "false", 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "@NAME@",
    "0.1.0",
    "authority: the spec's model plus a list of trusted servers",
    components,
    options,
    auth_init,
    auth_fini,
};

PDM_PLUGIN_DEFINE(@CNAME@, desc)
