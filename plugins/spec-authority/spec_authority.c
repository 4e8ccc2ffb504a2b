/*
 * spec-authority: the authority model exactly as OMA DM 1.2 describes it.
 *
 * A bootstrapped server gets Get, Replace and Delete on its own account
 * node (DM_Bootstrap: "all mapped information MUST get Get, Replace, Delete
 * rights for the ServerID"), root ownership never changes, the local user
 * cannot move root ownership and no server may override another's subtree.
 * Markets that need more pick operator-root or 3gpp2-takeover instead.
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

static const pdm_authority_ops ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, sa_create, sa_destroy},
    sa_on_bootstrap,
    NULL, /* takeover: never */
    NULL, /* override: never */
    NULL, /* defaults: the spec's */
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
    "authority model of the OMA DM 1.2 spec: no root owner, no takeover",
    components,
    options,
    sa_init,
    NULL,
};

PDM_PLUGIN_DEFINE(spec_authority, desc)
