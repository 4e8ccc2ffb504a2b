/*
 * spec-authority: the authority model exactly as OMA DM 1.2 describes it.
 *
 * A bootstrapped server gets Get, Replace and Delete on its own account
 * node (DM_Bootstrap: "all mapped information MUST get Get, Replace, Delete
 * rights for the ServerID"), root ownership never changes, the local user
 * cannot move root ownership and no server may override another's subtree.
 * Markets that need more pick operator-root or 3gpp2-takeover instead.
 *
 * Isolation (S11): each server keeps its own subtree.  override() lets a
 * server change nodes of the factory, the local user or of unknown origin
 * (nodes from before owners were recorded) as their ACLs allow, and
 * refuses every change to nodes another server or a bootstrap created:
 * the same answer as the core's default, given explicitly.
 * defaults() gives the spec's root ACL "Add=*&Get=*" and ./DMAcc "Get=*"
 * (NULL fields: the core's spelling of the spec), Add stays at the root.
 *
 * option.account_rights: which commands the new authority gets on its
 * account, comma-separated (default "Get,Replace,Delete").
 */
#include <polydm/authority.h>

#include <string.h>

/* The core's one static host table (plugin.h rule 9): the same for every
 * context, so a static is safe.  Per-context state (the pdm_plugin_ctx,
 * the options) is never kept here. */
static const pdm_host_api *host;

typedef struct inst {
    unsigned rights; /* bit per command, see cmds[] */
} inst;

static const char *const cmds[] = {"Add", "Delete", "Exec", "Get", "Replace"};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static int parse_rights(const char *s, unsigned *out)
{
    unsigned r = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t i;
        while (n && s[0] == ' ') {
            s++;
            n--;
        }
        while (n && s[n - 1] == ' ')
            n--;
        for (i = 0; i < NCMDS; i++)
            if (strlen(cmds[i]) == n && strncmp(cmds[i], s, n) == 0)
                break;
        if (i == NCMDS)
            return PDM_EINVAL;
        r |= 1u << i;
        s += strcspn(s, ",");
        if (*s == ',')
            s++;
    }
    if (!r)
        return PDM_EINVAL;
    *out = r;
    return PDM_OK;
}

static int sa_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int sa_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    const char *opt = host->get_option(pc, "account_rights");
    inst *in = host->alloc(sizeof(*in));
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    in->rights = (1u << 1) | (1u << 3) | (1u << 4); /* Delete, Get, Replace */
    if (opt && parse_rights(opt, &in->rights) != PDM_OK) {
        host->set_error(pc, PDM_EINVAL,
                        "option.account_rights: '%s' is not a comma-separated "
                        "list of Add, Delete, Exec, Get, Replace", opt);
        host->free(in);
        return PDM_EINVAL;
    }
    *out = in;
    return PDM_OK;
}

static void sa_destroy(void *i) { host->free(i); }

static int sa_on_bootstrap(void *i, const pdm_authority_info *who,
                           pdm_authority_grant *out)
{
    const inst *in = i;
    size_t idlen = strlen(who->server_id), len = 0, n = 0;
    char *acl;
    for (size_t c = 0; c < NCMDS; c++)
        if (in->rights & (1u << c))
            len += strlen(cmds[c]) + 2 + idlen;
    acl = host->alloc(len + 1);
    if (!acl)
        return PDM_ENOMEM;
    for (size_t c = 0; c < NCMDS; c++) {
        if (!(in->rights & (1u << c)))
            continue;
        if (n)
            acl[n++] = '&';
        memcpy(acl + n, cmds[c], strlen(cmds[c]));
        n += strlen(cmds[c]);
        acl[n++] = '=';
        memcpy(acl + n, who->server_id, idlen);
        n += idlen;
    }
    acl[n] = '\0';
    out->account_acl = acl;
    return PDM_OK;
}

static int sa_override(void *i, const char *actor, const char *owner,
                       const char *uri, pdm_verdict *out)
{
    (void)i;
    if (!owner[0] || strcmp(owner, "factory") == 0 ||
        strcmp(owner, "local") == 0) {
        out->decision = PDM_ALLOW;
        return PDM_OK;
    }
    out->decision = PDM_DENY;
    /* snprintf is not in the host table: the reason is put together by
     * hand, cut to the verdict's size. */
    {
        const char *parts[] = {"spec-authority: ", uri,
                               " belongs to ", owner, ", not to ", actor,
                               " (each server keeps its own subtree)"};
        size_t n = 0;
        for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
            for (const char *c = parts[p]; *c && n + 1 < sizeof out->reason;
                 c++)
                out->reason[n++] = *c;
        out->reason[n] = '\0';
    }
    return PDM_OK;
}

static int sa_defaults(void *i, pdm_authority_defaults *out)
{
    (void)i;
    out->flags = 0;       /* Add stays "*" at the root (TND §8.3.7.1.2) */
    out->root_acl = NULL; /* "Add=*&Get=*" */
    out->dmacc_acl = NULL; /* "Get=*" */
    return PDM_OK;
}

static const pdm_authority_ops ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, sa_create, sa_destroy},
    sa_on_bootstrap,
    NULL, /* takeover: never */
    sa_override,
    sa_defaults,
};

static const pdm_component components[] = {
    {PDM_KIND_AUTHORITY, 0, "spec", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"account_rights", "commands a bootstrapped server gets on its account",
     "Get,Replace,Delete", 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "spec-authority",
    "1.0",
    "authority model of the OMA DM 1.2 spec: no root owner, no takeover, each server keeps its own subtree",
    components,
    options,
    sa_init,
    NULL,
};

PDM_PLUGIN_DEFINE(spec_authority, desc)
