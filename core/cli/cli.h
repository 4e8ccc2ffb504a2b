/*
 * The polydm command-line tool: shared state of all subcommands, exit
 * codes, output helpers (text or --json) and the command table.
 */
#ifndef PDM_CLI_H
#define PDM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <polydm/polydm.h>

#include "cli_util.h"

/* Exit codes (documented in docs/cli.md and `polydm --help`). */
enum {
    CLI_OK = 0,       /* success */
    CLI_REFUSED = 1,  /* operation refused or failed */
    CLI_USAGE = 2,    /* bad command line */
    CLI_BADINPUT = 3, /* bad input file (profile, TNDS, package...) */
    CLI_IOERR = 4     /* I/O or store error */
};

typedef struct cli {
    const char *profile;     /* --profile, $POLYDM_PROFILE or default */
    const char *state_dir;   /* --state, $POLYDM_STATE_DIR or default */
    const char *plugin_path; /* --plugin-path or NULL */
    bool json;               /* --json */
    int verbosity;           /* -v: +1, -q: -1 */
    bool syslog;             /* agent: log to syslog instead of stderr */
    const pdm_device_hooks *hooks; /* device hooks for cli_open, or NULL */
    const char *argv0;
} cli;

typedef struct cli_cmd {
    const char *name;    /* "plugins list" (space-separated words) */
    const char *args;    /* synopsis of the arguments */
    const char *summary; /* one line */
    const char *help;    /* the --help text after the synopsis, or NULL */
    int (*run)(cli *c, int argc, char **argv); /* argv[0] = last word */
    /* Prints its data as JSON under --json (schemas in docs/cli.md);
     * false: --json is a usage error (exit 2) for this command. */
    bool json;
} cli_cmd;

/* Maps a pdm_rc to an exit code (input errors → 3, store/IO → 4). */
int cli_exit_for_rc(int rc);
/* Opens a context on the profile (flags: PDM_CTX_*).  On failure prints
 * the error and returns the exit code; on success returns CLI_OK. */
int cli_open(cli *c, pdm_ctx **out, unsigned flags);
/* cli_open for a command that only reads: an existing store read-only
 * (PDM_CTX_READONLY; a store the user may read but not write can be
 * inspected).  No store yet: created as by any first command, or, in a
 * state directory the user may not write, built in memory (nothing is
 * created). */
int cli_open_read(cli *c, pdm_ctx **out);
/* Reads a whole file of at most @max bytes into *out (free() it).
 * Returns PDM_OK, PDM_ENOTFOUND, PDM_EIO, PDM_ETOOBIG, PDM_ENOMEM. */
int cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Prints "polydm: <msg>" to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Handles "--help"/"-h" for a command with no other options: returns 1 if
 * help was printed (caller returns CLI_OK), 0 if not, -1 on a bad option. */
int cli_simple_opts(const cli_cmd *cmd, int argc, char **argv);
void cli_cmd_help(const cli_cmd *cmd, FILE *f);

/* ---- "did you mean" (suggest.c) ---- */
struct option;
/* The candidate (NULL-terminated list) closest to a misspelt @word, or
 * NULL when none is close enough to be a typo. */
const char *cli_closest(const char *word, const char *const *cands);
/* Reports an option @arg that @cmd does not take (getopt's '?'): a value
 * missing, or unknown with the closest of @lo's names. */
void cli_bad_option(const cli_cmd *cmd, const char *arg,
                    const struct option *lo);

/* ---- JSON output ---- */
typedef struct cli_json {
    FILE *f;
    int depth;
    bool need_comma[32];
} cli_json;
/* Starts a document on @f; one on stdout sets cli_json_written (a failing
 * command that wrote its own document gets no {"ok":false} after it). */
void cj_begin(cli_json *j, FILE *f);
extern bool cli_json_written;
void cj_obj(cli_json *j, const char *key);   /* key NULL inside arrays */
void cj_arr(cli_json *j, const char *key);
void cj_end_obj(cli_json *j);
void cj_end_arr(cli_json *j);
void cj_str(cli_json *j, const char *key, const char *val); /* NULL → null */
/* An optional field: NULL and "" (nothing there: no type, an inherited
 * ACL, no deciding node) are both null.  cj_str is for values where ""
 * is a value (a node's empty value). */
void cj_opt(cli_json *j, const char *key, const char *val);
void cj_strn(cli_json *j, const char *key, const char *val, size_t len);
void cj_int(cli_json *j, const char *key, long long v);
void cj_bool(cli_json *j, const char *key, bool v);
void cj_finish(cli_json *j); /* newline */

/* ---- sessions over HTTP(S) (net.c) ---- */
#include <signal.h>
typedef struct cli_net_opts {
    const char *server;  /* account, or NULL */
    const char *ca, *cert, *key, *pin; /* override the profile's [transport] */
    const char *trace;   /* directory for every message both ways, or NULL */
    const char *ui_script, *device_state; /* reference device hooks */
    bool wbxml;
} cli_net_opts;
/* Runs an opened session until it ends; *stop (may be NULL) ends it
 * between messages.  Returns pdm_session_result(). */
int cli_drive_session(pdm_ctx *ctx, pdm_session *s, const cli_net_opts *o,
                      volatile sig_atomic_t *stop);
/* A trace holds, next to client message NN (NN-client.*), the transport
 * facts reported for the connection that carried it (NN-transport:
 * lines tls_version=, verified=yes|no, key_pin=; nothing secret), so a
 * replay reports the same facts as the original session. */
typedef struct cli_trace_facts {
    pdm_transport_info ti; /* points into tls/pin */
    char tls[64], pin[128];
} cli_trace_facts;
/* Reads an NN-transport file.  Returns 0, or -1 with err "file:line: ...". */
int cli_trace_facts_read(const char *path, cli_trace_facts *f, char *err,
                         size_t errlen);

/* ---- reference device hooks (device.c) ---- */
typedef struct cli_device {
    pdm_device_hooks hooks;
    FILE *script;           /* scripted UI answers, or NULL */
    bool auto_ui;           /* "auto" read: every later prompt gets its
                               default response */
    const char *state_file; /* device-state log (JSON lines), or NULL */
} cli_device;
int cli_device_init(cli_device *d, const char *ui_script,
                    const char *state_file);
void cli_device_fini(cli_device *d);
/* Appends {"time":..,"action":..,"detail":..} to the device-state file. */
void cli_device_record(cli_device *d, const char *action, const char *detail);

/* Command groups (each file defines its commands). */
extern const cli_cmd cli_plugins_cmds[];
extern const cli_cmd cli_profile_cmds[];
extern const cli_cmd cli_tree_cmds[];
extern const cli_cmd cli_session_cmds[];
extern const cli_cmd cli_agent_cmds[];
extern const cli_cmd cli_transcript_cmds[];
extern const cli_cmd cli_bootstrap_cmds[];
extern const cli_cmd cli_owner_cmds[];
extern const cli_cmd cli_lock_cmds[];
extern const cli_cmd cli_plugin_check_cmds[];
extern const cli_cmd cli_plugin_new_cmds[]; /* cmd_plugin_new.c */

#endif
