/*
 * `polydm plugin check`, a bootstrap source's methods
 * (plugin_check_int.h): accepts(), origin(), watch_fd() (its descriptor:
 * bootstrap.watch-fd), probe() and read() with nothing to offer
 * (bootstrap.empty), consumed(), present_ids(); documents and ids handed
 * over must be host blocks (mem.ownership).
 */
#define _GNU_SOURCE
#include "plugin_check_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* watch_fd(), as pdm_ctx_bootstrap_watch calls it: once per instance,
 * before the scans.  The answer is judged at once; whether the
 * descriptor stays open until destroy is judged in stop(), and whether
 * it is closed after fini in case_methods(). */
static void watch(comp *cp, int mode)
{
    char what[128];
    int rc;
    snprintf(what, sizeof what, "bootstrap '%s': watch_fd()", cp->name);
    pc_step(pc_mode_rule(mode, "bootstrap.watch-fd"), "%s", what);
    pc_h.err_set = false;
    rc = cp->ops.bs.watch_fd(cp->inst);
    pc_after_call();
    cp->watched = true;
    /* Judged once, at the current sizes; the other runs (refused
     * allocations, the ABI 1.0 sizes, short host tables) only look for
     * a crash, and an error without its reason. */
    if (mode != MODE_CUR && (rc >= 0 || rc == PDM_ENOTSUP || pc_h.err_set)) {
        cp->wfd = rc >= 0 && pc_fd_open(rc) ? rc : -1;
        return;
    }
    if (rc >= 0) {
        if (!pc_fd_open(rc))
            pc_fail("bootstrap.watch-fd",
                 "%s returned %d, which is not an open descriptor (closed "
                 "already?): the host would poll nothing",
                 what, rc);
        else if (pc_fd_in(&pc_fds_before_init, rc))
            pc_fail("bootstrap.watch-fd",
                 "%s returned %d, which was open before init: not a "
                 "descriptor of the instance's own",
                 what, rc);
        else
            cp->wfd = rc;
        if (cp->wfd >= 0)
            pc_pass("bootstrap.watch-fd", "descriptor %d, open", rc);
    } else if (rc == PDM_ENOTSUP) {
        pc_pass("bootstrap.watch-fd", "PDM_ENOTSUP: nothing to watch");
    } else if (!pc_h.err_set) {
        pc_fail("bootstrap.watch-fd",
             "%s returned %d without host->set_error saying why", what, rc);
    } else {
        pc_pass("bootstrap.watch-fd", "returned %d: %s", rc, pc_h.err);
    }
}

/* After fini: a descriptor opened since init and still open is a leak;
 * judged for plugins with a watch_fd() (the descriptors bootstrap.h
 * speaks of). */
void pc_fd_leak_check(void)
{
    fd_snap now;
    bool any = false;
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; i < pc_m.ncomps; i++)
        any = any || pc_m.comps[i].watched;
    if (!any || !pc_fds_before_init.ok)
        return;
    pc_fd_snapshot(&now);
    for (int fd = 0; now.ok && fd < FD_SNAP_MAX; fd++) {
        char link[64], target[128];
        ssize_t k;
        if (!pc_fd_in(&now, fd) || pc_fd_in(&pc_fds_before_init, fd))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        k = readlink(link, target, sizeof target - 1);
        target[k > 0 ? k : 0] = 0;
        n++;
        if (strlen(list) + strlen(target) + 16 < sizeof list)
            snprintf(list + strlen(list), sizeof list - strlen(list),
                     "%s%d (%s)", *list ? ", " : "", fd, target);
    }
    if (n)
        pc_fail("bootstrap.watch-fd",
             "%zu descriptor(s) opened since init still open after destroy "
             "and fini: %s",
             n, list);
    else
        pc_pass("bootstrap.watch-fd", "no descriptor left open after fini");
}

void pc_run_bootstrap(comp *cp, int mode)
{
    static const char *const cts[] = {
        "application/vnd.wap.connectivity-wbxml",
        "application/vnd.syncml.dm+wbxml", "", "x/y;z",
    };
    const char *rule = pc_mode_rule(mode, "bootstrap.empty");
    pdm_bootstrap_doc *doc;
    char what[128];
    int prc, rc;
    bool ok = true;
    if (cp->ops.bs.accepts && mode != MODE_ALLOC) {
        for (size_t i = 0; i < 4; i++) {
            pc_step(rule, "bootstrap '%s': accepts(\"%s\")", cp->name, cts[i]);
            (void)cp->ops.bs.accepts(cp->inst, cts[i], PDM_ORIGIN_PUSH);
            pc_after_call();
        }
    }
    if (cp->ops.bs.origin) {
        pc_step(rule, "bootstrap '%s': origin()", cp->name);
        (void)cp->ops.bs.origin(cp->inst);
        pc_after_call();
    }
    if (cp->ops.bs.watch_fd && !cp->watched)
        watch(cp, mode);
    pc_step(rule, "bootstrap '%s': probe()", cp->name);
    prc = cp->ops.bs.probe(cp->inst);
    pc_after_call();
    doc = pc_guarded(0, NULL, sizeof *doc);
    doc->struct_size = sizeof *doc;
    snprintf(what, sizeof what, "bootstrap '%s': read() after probe() = %d",
             cp->name, prc);
    pc_step(rule, "%s", what);
    rc = cp->ops.bs.read(cp->inst, doc);
    pc_after_call();
    if (rc == PDM_OK) {
        pc_take(what, "body.data", doc->body.data, &ok);
        pc_take(what, "content_type", doc->content_type, &ok);
        pc_take(what, "mac_hex", doc->mac_hex, &ok);
        pc_take(what, "source_id", doc->source_id, &ok);
        if (cp->ops.bs.consumed) {
            pc_step(rule, "bootstrap '%s': consumed(PDM_EDENIED)", cp->name);
            cp->ops.bs.consumed(cp->inst, PDM_EDENIED);
            pc_after_call();
        }
        if (prc != PDM_OK && mode == MODE_CUR)
            pc_skip("bootstrap.empty", "probe() returned %d but read() found "
                                    "a document", prc);
    } else {
        if (doc->body.data || doc->content_type || doc->mac_hex ||
            doc->source_id) {
            pc_fail("mem.out-on-error", "%s returned %d but left pointers in "
                                     "the document", what, rc);
            ok = false;
        }
        if (rc > 0) {
            pc_fail("bootstrap.empty", "%s returned %d: neither PDM_OK, "
                                    "PDM_ENOTFOUND nor a negative pdm_rc",
                 what, rc);
        } else if (mode == MODE_CUR) {
            if (prc == PDM_OK)
                pc_skip("bootstrap.empty", "probe() found a document here");
            else
                pc_pass("bootstrap.empty", "read() returned %d", rc);
        }
    }
    if (cp->ops.bs.present_ids) {
        char **ids = NULL;
        size_t n = 0;
        snprintf(what, sizeof what, "bootstrap '%s': present_ids()",
                 cp->name);
        pc_step(rule, "%s", what);
        rc = cp->ops.bs.present_ids(cp->inst, &ids, &n);
        pc_after_call();
        if (rc == PDM_OK) {
            if (ids && !pc_owned(ids)) {
                pc_take(what, "the array", ids, &ok);
            } else {
                for (size_t i = 0; ids && i < n; i++) {
                    char field[32];
                    snprintf(field, sizeof field, "id[%zu]", i);
                    pc_take(what, field, ids[i], &ok);
                }
                pc_take(what, "the array", ids, &ok);
            }
        } else if (ids || n) {
            pc_fail("mem.out-on-error", "%s returned %d but set the out array",
                 what, rc);
            ok = false;
        }
    }
    if (ok)
        pc_pass("mem.ownership", "documents and ids");
}
