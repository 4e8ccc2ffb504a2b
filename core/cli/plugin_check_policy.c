/*
 * `polydm plugin check`, a policy's methods (plugin_check_int.h):
 * check() on every op and principal, at the current or the ABI 1.0
 * request size (each request ending at a guard page), and a DELETE below
 * every URI among the profile's options (where its DENY paths are); the
 * verdicts must keep types.h's rules (policy.verdict).
 */
#define _GNU_SOURCE
#include "plugin_check_int.h"

#include <stdio.h>
#include <string.h>

void pc_run_policy(comp *cp, int mode)
{
    static const struct {
        uint32_t op, principal;
        const char *label;
    } reqs[] = {
        {PDM_OP_GET, PDM_PRINCIPAL_SERVER, "GET"},
        {PDM_OP_ADD, PDM_PRINCIPAL_SERVER, "ADD"},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_SERVER, "REPLACE"},
        {PDM_OP_DELETE, PDM_PRINCIPAL_SERVER, "DELETE"},
        {PDM_OP_EXEC, PDM_PRINCIPAL_SERVER, "EXEC"},
        {PDM_OP_COPY, PDM_PRINCIPAL_SERVER, "COPY"},
        {PDM_OP_REPLACE, PDM_PRINCIPAL_LOCAL, "REPLACE (local)"},
        {PDM_OP_BOOTSTRAP, PDM_PRINCIPAL_BOOTSTRAP, "BOOTSTRAP"},
        {PDM_OP_SESSION, PDM_PRINCIPAL_SERVER, "SESSION"},
        {PDM_OP_ACL_EDIT, PDM_PRINCIPAL_LOCAL, "ACL_EDIT"},
        {PDM_OP_TAKEOVER, PDM_PRINCIPAL_LOCAL, "TAKEOVER"},
        {PDM_OP_SEND_SECRET, PDM_PRINCIPAL_SERVER, "SEND_SECRET"},
        {PDM_OP_ACCOUNT_DELETE, PDM_PRINCIPAL_LOCAL, "ACCOUNT_DELETE"},
        {PDM_OP_TRANSFER, PDM_PRINCIPAL_LOCAL, "TRANSFER"},
        {99, PDM_PRINCIPAL_SERVER, "op 99 (unknown)"},
    };
    const char *rule = pc_mode_rule(mode, "policy.verdict");
    size_t size = mode == MODE_1_0 ? offsetof(pdm_policy_req, account_origins)
                                   : sizeof(pdm_policy_req);
    bool ok = true;
    size_t nreq = mode == MODE_ALLOC ? 3 : sizeof reqs / sizeof reqs[0];
    for (size_t i = 0; i < nreq; i++) {
        pdm_policy_req q;
        pdm_verdict *v;
        const pdm_policy_req *gq;
        char what[128];
        int rc;
        memset(&q, 0, sizeof q);
        q.op = reqs[i].op;
        q.principal = reqs[i].principal;
        q.flags = PDM_REQ_TLS | PDM_REQ_AUTHENTICATED;
        q.server_id = "chk-server";
        q.uri = "./Vendor/Check/Leaf";
        q.node_owner = "chk-other";
        q.root_owner = "chk-owner";
        q.address = "https://dm.example.invalid/dm";
        q.detail = "check";
        if (q.op == PDM_OP_BOOTSTRAP) {
            q.source = "chk-source/boot";
            q.sec = PDM_SEC_NETWPIN;
            q.origin = PDM_ORIGIN_PUSH;
            q.uri = NULL;
            q.content_type = "application/vnd.wap.connectivity-wbxml";
        }
        q.account_origins = 1u << PDM_ORIGIN_FACTORY;
        q.struct_size = (uint32_t)size;
        gq = pc_guarded(0, &q, size);
        v = pc_guarded(1, NULL, sizeof *v);
        snprintf(what, sizeof what, "policy '%s': check(%s, struct_size %zu)",
                 cp->name, reqs[i].label, size);
        pc_step(rule, "%s", what);
        rc = cp->ops.po.check(cp->inst, gq, v);
        pc_after_call();
        ok = pc_verdict_ok("policy.verdict", what, rc, v) && ok;
    }
    /* A URI among the plugin's options (a prefix it protects, a base it
     * guards) is where its DENY paths are: ask about a node below each. */
    for (size_t i = 0; mode != MODE_ALLOC && i < pc_h.in->nopts; i++) {
        const char *u = pc_h.in->opts[i].value;
        pdm_policy_req q;
        pdm_verdict *v;
        char what[160], uri[512];
        int rc;
        if (strncmp(u, "./", 2) != 0 || strlen(u) > 400)
            continue;
        snprintf(uri, sizeof uri, "%s/Chk", u);
        memset(&q, 0, sizeof q);
        q.op = PDM_OP_DELETE;
        q.principal = PDM_PRINCIPAL_SERVER;
        q.flags = PDM_REQ_TLS | PDM_REQ_AUTHENTICATED;
        q.server_id = "chk-server";
        q.uri = uri;
        q.node_owner = "chk-other";
        q.struct_size = (uint32_t)size;
        v = pc_guarded(1, NULL, sizeof *v);
        snprintf(what, sizeof what, "policy '%s': check(DELETE %.100s, "
                 "struct_size %zu)", cp->name, uri, size);
        pc_step(rule, "%s", what);
        rc = cp->ops.po.check(cp->inst, pc_guarded(0, &q, size), v);
        pc_after_call();
        ok = pc_verdict_ok("policy.verdict", what, rc, v) && ok;
        nreq++;
    }
    if (ok)
        pc_pass("policy.verdict", "%zu request(s) answered", nreq);
}
