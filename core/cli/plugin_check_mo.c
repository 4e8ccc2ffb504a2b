/*
 * `polydm plugin check`, an MO handler's methods (plugin_check_int.h):
 * get/replace/exec on its base and its nodes, on odd URIs under the base
 * (mo.odd-uri), notify(), begin/commit/rollback; values handed over must
 * be host blocks (mem.ownership), nothing left on error
 * (mem.out-on-error).
 */
#define _GNU_SOURCE
#include "plugin_check_int.h"

#include <stdio.h>
#include <string.h>

/* One get/replace/exec on @uri, as far as the handler has them. */
static void mo_call(comp *cp, const char *rule, const char *uri,
                    const char *label, bool get, bool repl, bool exec,
                    bool *ok)
{
    char what[192];
    int rc;
    if (get && cp->ops.mo.get) {
        pdm_blob out = {NULL, 0};
        snprintf(what, sizeof what, "mo '%s': get(%s)", cp->name, label);
        pc_step(rule, "%s", what);
        rc = cp->ops.mo.get(cp->inst, uri, &out);
        pc_after_call();
        if (rc == PDM_OK) {
            if (!out.data && out.len) {
                pc_fail("mem.ownership", "%s: len %zu without data", what,
                     out.len);
                *ok = false;
            }
            pc_take(what, "the value", out.data, ok);
        } else {
            if (out.data || out.len) {
                pc_fail("mem.out-on-error", "%s returned %d but left a value",
                     what, rc);
                *ok = false;
            }
            if (rc > 0) {
                pc_fail(rule, "%s returned %d, not PDM_OK nor a negative "
                           "pdm_rc", what, rc);
                *ok = false;
            }
        }
    }
    if (repl && cp->ops.mo.replace) {
        static const uint8_t val[] = "chk";
        pdm_blob in = {(uint8_t *)val, 3};
        snprintf(what, sizeof what, "mo '%s': replace(%s)", cp->name, label);
        pc_step(rule, "%s", what);
        rc = cp->ops.mo.replace(cp->inst, uri, &in);
        pc_after_call();
        if (rc > 0) {
            pc_fail(rule, "%s returned %d, not PDM_OK nor a negative pdm_rc",
                 what, rc);
            *ok = false;
        }
    }
    if (exec && cp->ops.mo.exec) {
        pdm_blob in = {NULL, 0};
        snprintf(what, sizeof what, "mo '%s': exec(%s)", cp->name, label);
        pc_step(rule, "%s", what);
        rc = cp->ops.mo.exec(cp->inst, uri, &in, "chk-correlator");
        pc_after_call();
        if (rc > 0 && rc != PDM_PENDING) {
            pc_fail(rule, "%s returned %d, not PDM_OK, PDM_PENDING nor a "
                       "negative pdm_rc", what, rc);
            *ok = false;
        }
    }
}

void pc_run_mo(comp *cp, int mode)
{
    const char *rule = pc_mode_rule(mode, "mem.ownership");
    char uri[4096];
    bool ok = true;
    if (mode == MODE_ODD) {
        static char deep[2048], longseg[1400];
        const char *odd[4][2] = {
            {"a 1200-byte segment", longseg},
            {"percent-encoded", "/%2E%2E/%00%ZZ/a%2Fb%41"},
            {"300 levels deep", deep},
            {"bytes not UTF-8", "/\xc3\x28\xff\xfe"},
        };
        memset(longseg, 'a', sizeof longseg - 1);
        longseg[0] = '/';
        for (size_t i = 0; i + 2 < 600; i += 2)
            memcpy(deep + i, "/a", 2);
        for (size_t i = 0; i < 4; i++) {
            snprintf(uri, sizeof uri, "%s%s", cp->base, odd[i][1]);
            mo_call(cp, rule, uri, odd[i][0], true, true, true, &ok);
        }
        if (ok)
            pc_pass("mo.odd-uri", "get/replace/exec on 4 odd URIs");
        return;
    }
    mo_call(cp, rule, cp->base, cp->base, true, false, false, &ok);
    for (const pdm_mo_node *mn = cp->ops.mo.nodes; mn && mn->path; mn++) {
        bool hv = mn->flags & PDM_MO_HANDLER_VALUE;
        if (!hv && !(mn->flags & PDM_MO_EXEC))
            continue;
        if (*mn->path)
            snprintf(uri, sizeof uri, "%s/%s", cp->base, mn->path);
        else
            snprintf(uri, sizeof uri, "%s", cp->base);
        mo_call(cp, rule, uri, uri, hv && !(mn->flags & PDM_MO_NO_GET),
                hv && !(mn->flags & PDM_MO_NO_REPLACE) && mode != MODE_ALLOC,
                (mn->flags & PDM_MO_EXEC) && mode != MODE_ALLOC, &ok);
    }
    if (cp->ops.mo.notify && mode != MODE_ALLOC) {
        snprintf(uri, sizeof uri, "%s/ChkNew", cp->base);
        pc_step(rule, "mo '%s': notify(ADD)", cp->name);
        (void)cp->ops.mo.notify(cp->inst, PDM_OP_ADD, uri);
        pc_after_call();
        pc_step(rule, "mo '%s': notify(DELETE)", cp->name);
        (void)cp->ops.mo.notify(cp->inst, PDM_OP_DELETE, uri);
        pc_after_call();
    }
    if (cp->ops.mo.begin) {
        pc_step(rule, "mo '%s': begin()", cp->name);
        if (cp->ops.mo.begin(cp->inst) == PDM_OK) {
            pc_after_call();
            if (cp->ops.mo.rollback) {
                pc_step(rule, "mo '%s': rollback()", cp->name);
                cp->ops.mo.rollback(cp->inst);
            } else if (cp->ops.mo.commit) {
                pc_step(rule, "mo '%s': commit()", cp->name);
                (void)cp->ops.mo.commit(cp->inst);
            }
        }
        pc_after_call();
    }
    if (ok && mode == MODE_CUR)
        pc_pass("mem.ownership", "values from get()");
}
