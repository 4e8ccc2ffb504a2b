/*
 * polydm CLI entry point: global options, command dispatch, help, and the
 * helpers shared by subcommands (see cli.h).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const cli_cmd *const groups[] = {cli_plugins_cmds, cli_profile_cmds,
                                        cli_tree_cmds, cli_session_cmds,
                                        cli_agent_cmds, cli_transcript_cmds,
                                        cli_bootstrap_cmds, cli_owner_cmds,
                                        cli_lock_cmds, cli_plugin_new_cmds,
                                        NULL};

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("polydm: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for_rc(int rc)
{
    switch (rc) {
    case PDM_OK:
        return CLI_OK;
    case PDM_EPARSE:
    case PDM_EINVAL:
    case PDM_EABI:
    case PDM_EFORMAT:
    case PDM_ETOOBIG:
    case PDM_ENOTFOUND:
        return CLI_BADINPUT;
    case PDM_EIO:
    case PDM_ECORRUPT:
        return CLI_IOERR;
    default:
        return CLI_REFUSED;
    }
}

int cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = PDM_OK;
    *out = NULL;
    *len = 0;
    if (!f)
        return errno == ENOENT ? PDM_ENOTFOUND : PDM_EIO;
    for (;;) {
        size_t got;
        if (n == cap) {
            uint8_t *nb;
            cap = cap ? 2 * cap : 16384;
            if (!(nb = realloc(buf, cap + 1))) {
                rc = PDM_ENOMEM;
                break;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            rc = PDM_ETOOBIG;
            break;
        }
        if (got == 0) {
            rc = ferror(f) ? PDM_EIO : PDM_OK;
            break;
        }
    }
    fclose(f);
    if (rc != PDM_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return PDM_OK;
}

static const char *level_name(int level)
{
    switch (level) {
    case PDM_LOG_ERROR: return "error";
    case PDM_LOG_WARN: return "warning";
    case PDM_LOG_INFO: return "info";
    default: return "debug";
    }
}

static void log_stderr(void *user, int level, const char *component,
                       const char *msg)
{
    const cli *c = user;
    if (c && c->syslog) {
        syslog(level, "[%s] %s", component, msg);
        return;
    }
    fprintf(stderr, "polydm[%s] %s: %s\n", component, level_name(level), msg);
}

int cli_open(cli *c, pdm_ctx **out, unsigned flags)
{
    pdm_config cfg;
    int rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.flags = flags;
    cfg.profile = c->profile;
    cfg.state_dir = c->state_dir;
    cfg.plugin_path = c->plugin_path;
    cfg.log = log_stderr;
    cfg.log_user = c;
    cfg.hooks = c->hooks;
    cfg.log_level = c->verbosity > 0   ? PDM_LOG_DEBUG
                    : c->verbosity < 0 ? PDM_LOG_ERROR
                                       : PDM_LOG_WARN;
    rc = pdm_ctx_open(out, &cfg);
    if (rc != PDM_OK) {
        /* The diagnostics were logged; make sure something is visible
         * even with -q. */
        if (c->verbosity < 0 && *out)
            cli_err("%s", pdm_ctx_last_error(*out));
        pdm_ctx_close(*out);
        *out = NULL;
        return cli_exit_for_rc(rc);
    }
    return CLI_OK;
}

void cli_cmd_help(const cli_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: polydm [global options] %s %s\n\n%s\n", cmd->name,
            cmd->args ? cmd->args : "", cmd->summary);
    if (cmd->help)
        fprintf(f, "\n%s", cmd->help);
}

int cli_simple_opts(const cli_cmd *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_cmd_help(cmd, stdout);
            return 1;
        }
        if (strcmp(argv[i], "--") == 0)
            break;
        if (argv[i][0] == '-' && argv[i][1]) {
            cli_err("%s: unknown option '%s' (see polydm %s --help)",
                    cmd->name, argv[i], cmd->name);
            return -1;
        }
    }
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: polydm [global options] <command> [args]\n"
          "\n"
          "polydm " PDM_VERSION " - multi-authority OMA DM 1.2 client\n"
          "\n"
          "Global options:\n"
          "  --profile FILE      market profile (default: $POLYDM_PROFILE or\n"
          "                      the installed default.profile)\n"
          "  --state DIR         state directory with the store, created with\n"
          "                      its parents (default: $POLYDM_STATE_DIR, else\n"
          "                      $XDG_STATE_HOME/polydm, else\n"
          "                      ~/.local/state/polydm)\n"
          "  --plugin-path DIRS  colon-separated plugin directories (default:\n"
          "                      $POLYDM_PLUGIN_PATH or the install dir)\n"
          "  --json              machine-readable output\n"
          "  -v, --verbose       more log output (repeatable)\n"
          "  -q, --quiet         errors only\n"
          "  -h, --help          this help;  --version  print the version\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t g = 0; groups[g]; g++)
        for (const cli_cmd *c = groups[g]; c->name; c++)
            fprintf(f, "  %-18s %s\n", c->name, c->summary);
    fputs("\n'polydm <command> --help' describes a command.\n"
          "\n"
          "Exit codes: 0 ok, 1 operation refused or failed, 2 usage error,\n"
          "3 bad input file, 4 I/O or store error.\n",
          f);
}

/* Finds the longest command whose words match argv; returns the number of
 * words consumed in *nwords. */
static const cli_cmd *find_cmd(int argc, char **argv, int *nwords)
{
    const cli_cmd *best = NULL;
    int bestn = 0;
    for (size_t g = 0; groups[g]; g++) {
        for (const cli_cmd *c = groups[g]; c->name; c++) {
            const char *w = c->name;
            int n = 0;
            bool ok = true;
            while (*w && ok) {
                size_t len = strcspn(w, " ");
                ok = n < argc && strlen(argv[n]) == len &&
                     strncmp(argv[n], w, len) == 0;
                n++;
                w += len;
                while (*w == ' ')
                    w++;
            }
            if (ok && n > bestn) {
                best = c;
                bestn = n;
            }
        }
    }
    *nwords = bestn;
    return best;
}

static char default_state[4096];

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'P'},
        {"state", required_argument, NULL, 'S'},
        {"plugin-path", required_argument, NULL, 'L'},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    cli c;
    const cli_cmd *cmd;
    int opt, nwords;

    memset(&c, 0, sizeof c);
    c.argv0 = argv[0];
    c.profile = getenv("POLYDM_PROFILE");
    c.state_dir = getenv("POLYDM_STATE_DIR");
    /* '+': stop at the command word; commands parse their own options. */
    while ((opt = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
        switch (opt) {
        case 'P': c.profile = optarg; break;
        case 'S':
            /* An empty option is a mistake (an unset variable in a
             * script), never "the default": that would be another
             * device's state. */
            if (!*optarg) {
                fprintf(stderr, "polydm: --state needs a directory (it is "
                                "empty)\n");
                return CLI_USAGE;
            }
            c.state_dir = optarg;
            break;
        case 'L': c.plugin_path = optarg; break;
        case 'j': c.json = true; break;
        case 'v': c.verbosity++; break;
        case 'q': c.verbosity--; break;
        case 'h': usage(stdout); return CLI_OK;
        case 'V': printf("polydm %s\n", pdm_version()); return CLI_OK;
        default: usage(stderr); return CLI_USAGE;
        }
    }
    if (!c.profile || !*c.profile)
        c.profile = pdm_default_profile(); /* next to the install */
    if (!c.state_dir || !*c.state_dir) {
        const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        if (xdg && *xdg)
            snprintf(default_state, sizeof default_state, "%s/polydm", xdg);
        else
            snprintf(default_state, sizeof default_state,
                     "%s/.local/state/polydm", home && *home ? home : ".");
        c.state_dir = default_state;
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 < argc) {
            cmd = find_cmd(argc - optind - 1, argv + optind + 1, &nwords);
            if (cmd) {
                cli_cmd_help(cmd, stdout);
                return CLI_OK;
            }
        }
        usage(stdout);
        return CLI_OK;
    }
    cmd = find_cmd(argc - optind, argv + optind, &nwords);
    if (!cmd) {
        cli_err("unknown command '%s' (see polydm --help)", argv[optind]);
        return CLI_USAGE;
    }
    /* argv[0] of the command is its last word. */
    return cmd->run(&c, argc - optind - nwords + 1, argv + optind + nwords - 1);
}
