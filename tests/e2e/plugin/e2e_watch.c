/*
 * e2e-watch: a policy for the end-to-end tests that records what policies
 * are told.  Every request it is asked about becomes one line in the file
 * of option.log:
 *
 *   op=<pdm_op> flags=<PDM_REQ_* in hex> server=<id> pin=<key_pin or ->
 *
 * and it abstains, except that with option.require_pin a server's session
 * (PDM_OP_SESSION) whose peer key has another pin is denied.  The tests
 * read the file to see that a session over HTTPS reaches policies as TLS
 * with the server's key pin, and that a denial comes before anything is
 * sent.
 */
#include <polydm/plugin.h>
#include <polydm/policy.h>

#include <stdio.h>
#include <string.h>

static const pdm_host_api *host;
static const char *log_path;
static const char *require_pin;

static int watch_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)data;
    host = h;
    log_path = h->get_option(pc, "log");
    require_pin = h->get_option(pc, "require_pin");
    return PDM_OK;
}

static int watch_create(pdm_plugin_ctx *pc, void *data, void **out)
{
    (void)pc;
    (void)data;
    *out = NULL;
    return PDM_OK;
}

static int watch_check(void *inst, const pdm_policy_req *req, pdm_verdict *out)
{
    FILE *f = log_path ? fopen(log_path, "a") : NULL;
    (void)inst;
    if (f) {
        fprintf(f, "op=%u flags=%x server=%s pin=%s\n", (unsigned)req->op,
                (unsigned)req->flags, req->server_id ? req->server_id : "-",
                req->key_pin ? req->key_pin : "-");
        fclose(f);
    }
    out->decision = PDM_ABSTAIN;
    if (require_pin && req->op == PDM_OP_SESSION &&
        (!req->key_pin || strcmp(req->key_pin, require_pin) != 0)) {
        out->decision = PDM_DENY;
        snprintf(out->reason, sizeof out->reason,
                 "the server's key is not the one required (pin %.60s)",
                 req->key_pin ? req->key_pin : "unknown");
    }
    return PDM_OK;
}

static const pdm_policy_ops ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, watch_create, NULL},
    watch_check,
};

static const pdm_component components[] = {
    {PDM_KIND_POLICY, 0, "watch", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"log", "file that gets one line per policy request", NULL,
     PDM_OPTION_REQUIRED, 0, {NULL, NULL}},
    {"require_pin", "deny sessions whose server key has another pin", NULL, 0,
     0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "e2e-watch",
    "1.0",
    "test policy: records every request (flags, key pin) and abstains",
    components,
    options,
    watch_init,
    NULL,
};

PDM_PLUGIN_DEFINE(e2e_watch, desc)
