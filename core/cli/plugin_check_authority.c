/*
 * `polydm plugin check`, an authority's methods (plugin_check_int.h):
 * on_bootstrap() for every origin and SEC method, takeover() and
 * override() (authority.verdict), defaults(); what a grant or the
 * defaults hand over must be host blocks (mem.ownership).
 */
#define _GNU_SOURCE
#include "plugin_check_int.h"

#include <stdio.h>
#include <string.h>

static void fill_info(pdm_authority_info *w, uint32_t origin, uint32_t sec)
{
    memset(w, 0, sizeof *w);
    w->origin = origin;
    w->sec = sec;
    w->server_id = "chk-server";
    w->account_uri = "./DMAcc/chk";
    w->address = "https://dm.example.invalid/dm";
    w->root_owner = NULL;
    w->source = "chk-source/boot";
    w->home_plmn = "001-01";
}

void pc_run_authority(comp *cp, int mode)
{
    static const uint32_t origins[][2] = {
        {PDM_ORIGIN_SMARTCARD, PDM_SEC_NONE},
        {PDM_ORIGIN_PUSH, PDM_SEC_NETWPIN},
        {PDM_ORIGIN_PUSH, PDM_SEC_USERPIN},
        {PDM_ORIGIN_FILE, PDM_SEC_NONE},
        {PDM_ORIGIN_FACTORY, PDM_SEC_NONE},
    };
    const char *rule = pc_mode_rule(mode, "authority.verdict");
    size_t size = mode == MODE_1_0 ? offsetof(pdm_authority_info, home_plmn)
                                   : sizeof(pdm_authority_info);
    size_t n = mode == MODE_ALLOC ? 2 : sizeof origins / sizeof origins[0];
    bool vok = true, outok = true;
    for (size_t i = 0; i < n; i++) {
        pdm_authority_info w;
        const pdm_authority_info *gw;
        pdm_authority_grant *g;
        pdm_verdict *v;
        char what[160];
        int rc;
        fill_info(&w, origins[i][0], origins[i][1]);
        w.struct_size = (uint32_t)size;
        gw = pc_guarded(0, &w, size);
        g = pc_guarded(1, NULL, sizeof *g);
        g->struct_size = sizeof *g;
        snprintf(what, sizeof what,
                 "authority '%s': on_bootstrap(origin %u, sec %u, "
                 "struct_size %zu)",
                 cp->name, (unsigned)origins[i][0], (unsigned)origins[i][1],
                 size);
        pc_step(rule, "%s", what);
        rc = cp->ops.au.on_bootstrap(cp->inst, gw, g);
        pc_after_call();
        if (rc == PDM_OK) {
            pc_take(what, "grant.account_acl", g->account_acl, &outok);
            pc_take(what, "grant.root_acl", g->root_acl, &outok);
            pc_take(what, "grant.root_owner", g->root_owner, &outok);
        } else if (g->account_acl || g->root_acl || g->root_owner) {
            pc_fail("mem.out-on-error", "%s returned %d but left strings in "
                                     "the grant", what, rc);
            outok = false;
        }
        if (cp->ops.au.takeover && mode != MODE_ALLOC) {
            v = pc_guarded(1, NULL, sizeof *v);
            snprintf(what, sizeof what,
                     "authority '%s': takeover(origin %u, struct_size %zu)",
                     cp->name, (unsigned)origins[i][0], size);
            pc_step(rule, "%s", what);
            rc = cp->ops.au.takeover(cp->inst, gw, v);
            pc_after_call();
            vok = pc_verdict_ok("authority.verdict", what, rc, v) && vok;
        }
    }
    if (cp->ops.au.override) {
        static const char *const owners[] = {"factory", "local", "chk-other",
                                             "bootstrap:chk-source/boot"};
        for (size_t i = 0; i < 4; i++) {
            pdm_verdict *v = pc_guarded(1, NULL, sizeof(pdm_verdict));
            char what[160];
            int rc;
            snprintf(what, sizeof what, "authority '%s': override(owner %s)",
                     cp->name, owners[i]);
            pc_step(rule, "%s", what);
            rc = cp->ops.au.override(cp->inst, "chk-server", owners[i],
                                     "./Vendor/Check/Leaf", v);
            pc_after_call();
            vok = pc_verdict_ok("authority.verdict", what, rc, v) && vok;
        }
    }
    if (cp->ops.au.defaults) {
        pdm_authority_defaults *o = pc_guarded(1, NULL, sizeof *o);
        char what[96];
        int rc;
        o->struct_size = sizeof *o;
        snprintf(what, sizeof what, "authority '%s': defaults()", cp->name);
        pc_step(rule, "%s", what);
        rc = cp->ops.au.defaults(cp->inst, o);
        pc_after_call();
        if (rc == PDM_OK) {
            pc_take(what, "root_acl", o->root_acl, &outok);
            pc_take(what, "dmacc_acl", o->dmacc_acl, &outok);
        } else if (o->root_acl || o->dmacc_acl) {
            pc_fail("mem.out-on-error", "%s returned %d but left strings", what,
                 rc);
            outok = false;
        }
    }
    if (vok && (cp->ops.au.takeover || cp->ops.au.override))
        pc_pass("authority.verdict", "takeover/override answered");
    if (outok)
        pc_pass("mem.ownership", "grants and defaults");
}
