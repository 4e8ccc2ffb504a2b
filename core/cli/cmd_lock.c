/*
 * polydm lock status: the lost-device lock as the core stores it (S1),
 * through the public API only (pdm_ctx_lock_info, pdm_ctx_pending_exec,
 * pdm_ctx_pending_alerts).  There is deliberately no unlock command:
 * only a server's authorised LAWMO UnLock (through its plugin) or a
 * factory reset changes the level.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <string.h>
#include <time.h>

static int lock_status_cmd(cli *c, int argc, char **argv);

const cli_cmd cli_lock_cmds[] = {
    {"lock status", "",
     "the device's lost-device lock (LAWMO State), reset and pending Execs",
     "Prints the LAWMO State (10 fully locked, 20 partially locked, 30\n"
     "unlocked), the lock level, the server and plugin that set it and "
     "since when\n(UTC), whether a factory reset is scheduled, the "
     "accepted Execs whose result\nis still owed (server, URI, correlator, "
     "since) and the queued alerts.\nThere is no unlock command: only a "
     "server's authorised LAWMO UnLock or a\nfactory reset unlocks the "
     "device.  Opening the state runs a factory reset\nthat is due, as "
     "every command that opens it.\nExit 0, 4 store error.\n",
     lock_status_cmd, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

/* LAWMO State (OMA-TS-LAWMO §5.4) and its word for a pdm_lock_level. */
static int lawmo_state(uint32_t level, const char **word)
{
    switch (level) {
    case PDM_LOCK_FULL: *word = "fully locked"; return 10;
    case PDM_LOCK_PARTIAL: *word = "partially locked"; return 20;
    default: *word = "unlocked"; return 30;
    }
}

static const char *level_word(uint32_t level)
{
    return level == PDM_LOCK_FULL      ? "full"
           : level == PDM_LOCK_PARTIAL ? "partial"
                                       : "none";
}

/* ISO 8601 UTC, or NULL for 0 (never). */
static const char *iso(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || !gmtime_r(&tt, &tm) ||
        !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return buf;
}

static const char *or_none(const char *s)
{
    return s && *s ? s : NULL;
}

static int lock_status_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_lock_cmds[0];
    int h = cli_simple_opts(cmd, argc, argv), ex, rc, state;
    pdm_ctx *ctx;
    pdm_lock_info li;
    pdm_pending_exec pe;
    const char *word;
    char since[32];
    size_t alerts;
    if (h)
        return h > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 1) {
        cli_err("lock status: takes no arguments");
        return CLI_USAGE;
    }
    c->hooks = NULL;
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    memset(&li, 0, sizeof li);
    li.struct_size = sizeof li;
    if ((rc = pdm_ctx_lock_info(ctx, &li)) != PDM_OK) {
        cli_err("lock status: %s", pdm_strerror(rc));
        pdm_ctx_close(ctx);
        return cli_exit_for_rc(rc);
    }
    state = lawmo_state(li.level, &word);
    alerts = pdm_ctx_pending_alerts(ctx, NULL);
    memset(&pe, 0, sizeof pe);
    pe.struct_size = sizeof pe;
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_int(&j, "state", state);
        cj_str(&j, "state_text", word);
        cj_str(&j, "level", level_word(li.level));
        cj_str(&j, "server_id", or_none(li.server_id));
        cj_str(&j, "plugin", or_none(li.plugin));
        cj_str(&j, "since", iso(li.since, since, sizeof since));
        cj_bool(&j, "reset_pending", li.reset_pending != 0);
        cj_arr(&j, "pending_execs");
        for (size_t i = 0; pdm_ctx_pending_exec(ctx, i, &pe) == PDM_OK; i++) {
            cj_obj(&j, NULL);
            cj_str(&j, "server_id", pe.server_id);
            cj_str(&j, "uri", pe.uri);
            cj_str(&j, "correlator", pe.correlator);
            cj_str(&j, "since", iso(pe.since, since, sizeof since));
            cj_end_obj(&j);
        }
        cj_end_arr(&j);
        cj_int(&j, "queued_alerts", (long long)alerts);
        cj_end_obj(&j);
        cj_finish(&j);
    } else {
        const char *s = iso(li.since, since, sizeof since);
        printf("state: %d (%s)\n", state, word);
        printf("level: %s\n", level_word(li.level));
        printf("set by: server %s, plugin %s\n",
               li.server_id[0] ? li.server_id : "-",
               li.plugin[0] ? li.plugin : "-");
        printf("since: %s\n", s ? s : "never");
        printf("factory reset pending: %s\n", li.reset_pending ? "yes" : "no");
        printf("pending execs:");
        if (pdm_ctx_pending_exec(ctx, 0, &pe) != PDM_OK)
            printf(" none");
        printf("\n");
        for (size_t i = 0; pdm_ctx_pending_exec(ctx, i, &pe) == PDM_OK; i++) {
            s = iso(pe.since, since, sizeof since);
            printf("  %s %s correlator %s since %s\n", pe.server_id, pe.uri,
                   pe.correlator ? pe.correlator : "-", s ? s : "unknown");
        }
        printf("queued alerts: %zu\n", alerts);
    }
    pdm_ctx_close(ctx);
    return CLI_OK;
}
