/*
 * Policy fixture of the session cases (profile section
 * [plugin fx-secret-policy]): it answers PDM_OP_SEND_SECRET only.
 * option.deny names a credential Meta Type (e.g. syncml:auth-md5) whose
 * sending it refuses; everything else gets ABSTAIN.  Its DENY reason
 * repeats what the core asked (type, address, server, flags), so a case
 * can check the request in the audit row.
 */
#include <stdio.h>
#include <string.h>

#include <polydm/policy.h>

static const pdm_host_api *host;
static pdm_plugin_ctx *plugin;

static int fx_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    host = h;
    plugin = pc;
    *data = NULL;
    return PDM_OK;
}

static int fx_check(void *inst, const pdm_policy_req *req, pdm_verdict *out)
{
    const char *deny = host->get_option(plugin, "deny");
    (void)inst;
    out->decision = PDM_ABSTAIN;
    if (req->op != PDM_OP_SEND_SECRET || !deny || !req->detail ||
        strcmp(deny, req->detail) != 0)
        return PDM_OK;
    out->decision = PDM_DENY;
    snprintf(out->reason, sizeof out->reason,
             "send-secret %s to %s for %s flags=%u", req->detail,
             req->address ? req->address : "?",
             req->server_id ? req->server_id : "?", (unsigned)req->flags);
    return PDM_OK;
}

static const pdm_policy_ops fx_ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, NULL, NULL},
    fx_check,
};
static const pdm_component comps[] = {
    {PDM_KIND_POLICY, 0, "secrets", &fx_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}}};
static const pdm_option_desc opts[] = {
    {"deny", "credential Meta Type whose sending is refused", NULL, 0, 0,
     {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}}};
static const pdm_plugin_desc desc = {PDM_PLUGIN_DESC_HEAD, "fx-secret-policy",
    "1.0", "fixture: refuses sending one credential type", comps, opts,
    fx_init, NULL};
PDM_PLUGIN_DEFINE(fx_secret_policy, desc)
