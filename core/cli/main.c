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
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static const cli_cmd *const groups[] = {cli_plugins_cmds,
                                        cli_plugin_check_cmds, cli_profile_cmds,
                                        cli_tree_cmds, cli_session_cmds,
                                        cli_agent_cmds, cli_transcript_cmds,
                                        cli_bootstrap_cmds, cli_owner_cmds,
                                        cli_lock_cmds, cli_plugin_new_cmds,
                                        NULL};

/* --json: the first error of the run, for {"ok":false,"error":...} on
 * stdout when the command fails without a JSON document of its own. */
static bool json_mode;
static char first_error[1024];

static void keep_error(const char *msg)
{
    if (json_mode && !first_error[0])
        cli_strlcpy(first_error, msg, sizeof first_error);
}

void cli_err(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "polydm: %s\n", msg);
    keep_error(msg);
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
    if (level == PDM_LOG_ERROR)
        keep_error(msg);
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

int cli_open_read(cli *c, pdm_ctx **out)
{
    char db[4096];
    struct stat st;
    /* No store yet: the first command creates it, as any command does
     * (later reads then see the same tree, timestamps included).  Where
     * it cannot be created (a state directory this user may not write),
     * what a new store would hold is built in memory instead. */
    snprintf(db, sizeof db, "%s/polydm.db", c->state_dir);
    if (stat(db, &st) != 0 && errno == ENOENT)
        return cli_open(c, out,
                        stat(c->state_dir, &st) == 0 &&
                                access(c->state_dir, W_OK) != 0
                            ? PDM_CTX_NO_STORE
                            : 0);
    return cli_open(c, out, PDM_CTX_READONLY);
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
            static const struct option help[] = {{"help", no_argument, NULL,
                                                  'h'},
                                                 {NULL, 0, NULL, 0}};
            cli_bad_option(cmd, argv[i], help);
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
          "  --json              machine-readable output (the commands that\n"
          "                      print data; a failure prints\n"
          "                      {\"ok\":false,\"error\":...} on stdout)\n"
          "  -v, --verbose       more log output (repeatable)\n"
          "  -q, --quiet         errors only\n"
          "  -h, --help          this help;  --version  print the version\n"
          "\n"
          "Global options may also follow the command (polydm tree get URI\n"
          "--json); `--` ends them.\n"
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

/* Whether @word is the first word of a command of several words
 * ("tree", "plugins", "account"...). */
static bool is_group(const char *word)
{
    size_t n = strlen(word);
    for (size_t g = 0; groups[g]; g++)
        for (const cli_cmd *c = groups[g]; c->name; c++)
            if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
                return true;
    return false;
}

/* The subcommands of group @word, for `polydm tree` and its help. */
static void group_usage(const char *word, FILE *f)
{
    size_t n = strlen(word);
    fprintf(f, "usage: polydm [global options] %s <subcommand> [args]\n\n"
               "Subcommands:\n", word);
    for (size_t g = 0; groups[g]; g++)
        for (const cli_cmd *c = groups[g]; c->name; c++)
            if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
                fprintf(f, "  %-18s %s\n", c->name, c->summary);
    fprintf(f, "\n'polydm %s <subcommand> --help' describes one.\n", word);
}

/* An unknown command: "did you mean" among the first words (or, after a
 * group word, among its subcommands). */
static void unknown_command(int argc, char **argv)
{
    const char *cands[64], *best;
    size_t n = 0, glen = 0;
    bool sub = argc > 1 && is_group(argv[0]);
    const char *word = sub ? argv[1] : argv[0];
    if (sub)
        glen = strlen(argv[0]);
    for (size_t g = 0; groups[g]; g++)
        for (const cli_cmd *c = groups[g]; c->name && n + 1 < 64; c++) {
            const char *w = c->name;
            if (sub) {
                if (strncmp(w, argv[0], glen) != 0 || w[glen] != ' ')
                    continue;
                w += glen + 1;
                cands[n++] = w;
                continue;
            }
            /* the first word only, once ("tree get" -> "tree") */
            {
                static char words[64][24];
                size_t len = strcspn(w, " "), k;
                for (k = 0; k < n && !(strlen(cands[k]) == len &&
                                       strncmp(cands[k], w, len) == 0);
                     k++)
                    ;
                if (k < n || len >= sizeof words[0])
                    continue;
                memcpy(words[n], w, len);
                words[n][len] = '\0';
                cands[n] = words[n];
                n++;
            }
        }
    cands[n] = NULL;
    best = cli_closest(word, cands);
    if (sub && best)
        cli_err("unknown command '%s %s'; did you mean '%s %s'? (see polydm "
                "%s --help)", argv[0], word, argv[0], best, argv[0]);
    else if (sub)
        cli_err("unknown command '%s %s' (see polydm %s --help)", argv[0],
                word, argv[0]);
    else if (best)
        cli_err("unknown command '%s'; did you mean '%s'? (see polydm "
                "--help)", word, best);
    else
        cli_err("unknown command '%s' (see polydm --help)", word);
}

static const struct option global_opts[] = {
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

/* One global option: 0, or an exit code. */
static int global_opt(cli *c, int opt, const char *arg)
{
    switch (opt) {
    case 'P': c->profile = arg; break;
    case 'S':
        /* An empty option is a mistake (an unset variable in a
         * script), never "the default": that would be another
         * device's state. */
        if (!*arg) {
            cli_err("--state needs a directory (it is empty)");
            return CLI_USAGE;
        }
        c->state_dir = arg;
        break;
    case 'L': c->plugin_path = arg; break;
    case 'j': c->json = json_mode = true; break;
    case 'v': c->verbosity++; break;
    case 'q': c->verbosity--; break;
    }
    return 0;
}

/* Global options after the command words (polydm tree get --json URI):
 * taken out of argv[from..argc) up to "--", the rest keeps its order.
 * Only the exact long names, -v and -q: a command's own options (--prop,
 * -o...) and its operands stay.  Returns 0 or an exit code; *argc is the
 * new count. */
static int trailing_globals(cli *c, int *argc, char **argv, int from)
{
    int out = from;
    for (int i = from; i < *argc; i++) {
        const char *a = argv[i], *eq;
        const struct option *o = NULL;
        size_t len;
        int ex;
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "-q") == 0) {
            global_opt(c, a[1], NULL);
            continue;
        }
        if (strncmp(a, "--", 2) == 0) {
            eq = strchr(a, '=');
            len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            for (const struct option *g = global_opts; g->name; g++)
                if (g->val != 'h' && g->val != 'V' &&
                    strlen(g->name) == len && strncmp(g->name, a + 2, len) == 0)
                    o = g;
        }
        if (!o) {
            argv[out++] = argv[i];
            continue;
        }
        if (o->has_arg == required_argument && !eq && i + 1 >= *argc) {
            cli_err("option '--%s' needs a value", o->name);
            return CLI_USAGE;
        }
        if (o->has_arg == no_argument && eq) {
            cli_err("option '--%s' takes no value", o->name);
            return CLI_USAGE;
        }
        if ((ex = global_opt(c, o->val,
                             o->has_arg == no_argument ? NULL
                             : eq                      ? eq + 1
                                                       : argv[++i])) != 0)
            return ex;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

/* The end of every run: under --json a failure without a JSON document
 * of its own is {"ok":false,"error":"...","exit":N} on stdout (the text
 * went to stderr as always). */
static int finish(cli *c, int ex)
{
    if (c->json && ex != CLI_OK && !cli_json_written) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_bool(&j, "ok", false);
        cj_str(&j, "error", first_error[0] ? first_error : "failed");
        cj_int(&j, "exit", ex);
        cj_end_obj(&j);
        cj_finish(&j);
    }
    return ex;
}

static char default_state[4096];

int main(int argc, char **argv)
{
    cli c;
    const cli_cmd *cmd;
    int opt, nwords, ex;

    memset(&c, 0, sizeof c);
    c.argv0 = argv[0];
    c.profile = getenv("POLYDM_PROFILE");
    c.state_dir = getenv("POLYDM_STATE_DIR");
    opterr = 0; /* every message is ours (cli_err, JSON) */
    /* '+': stop at the command word; commands parse their own options. */
    while ((opt = getopt_long(argc, argv, "+vqh", global_opts, NULL)) != -1) {
        switch (opt) {
        case 'h': usage(stdout); return CLI_OK;
        case 'V': printf("polydm %s\n", pdm_version()); return CLI_OK;
        case '?':
        case ':': {
            const char *arg = argv[optind - 1], *names[16], *best;
            size_t n = 0;
            for (const struct option *g = global_opts; g->name; g++)
                names[n++] = g->name;
            names[n] = NULL;
            for (size_t k = 0; k < n && strncmp(arg, "--", 2) == 0; k++)
                if (strcmp(arg + 2, names[k]) == 0) {
                    cli_err("option '%s' needs a value", arg);
                    return finish(&c, CLI_USAGE);
                }
            best = strncmp(arg, "--", 2) == 0
                       ? cli_closest(arg + 2 + strspn(arg + 2, "-"), names)
                       : NULL;
            if (best)
                cli_err("unknown option '%s'; did you mean '--%s'? (see "
                        "polydm --help)", arg, best);
            else
                cli_err("unknown option '%s' (see polydm --help)", arg);
            return finish(&c, CLI_USAGE);
        }
        default:
            if ((ex = global_opt(&c, opt, optarg)) != 0)
                return finish(&c, ex);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 >= argc) {
            usage(stdout);
            return CLI_OK;
        }
        cmd = find_cmd(argc - optind - 1, argv + optind + 1, &nwords);
        if (cmd && nwords == argc - optind - 1) {
            cli_cmd_help(cmd, stdout);
            return CLI_OK;
        }
        if (!cmd && argc - optind == 2 && is_group(argv[optind + 1])) {
            group_usage(argv[optind + 1], stdout);
            return CLI_OK;
        }
        unknown_command(argc - optind - 1, argv + optind + 1);
        return finish(&c, CLI_USAGE);
    }
    cmd = find_cmd(argc - optind, argv + optind, &nwords);
    if (!cmd && is_group(argv[optind]) &&
        (optind + 1 >= argc || argv[optind + 1][0] == '-')) {
        /* `polydm tree`: its subcommands (asked for with --help: exit 0) */
        bool asked = optind + 1 < argc &&
                     (strcmp(argv[optind + 1], "--help") == 0 ||
                      strcmp(argv[optind + 1], "-h") == 0);
        group_usage(argv[optind], asked ? stdout : stderr);
        if (asked)
            return CLI_OK;
        cli_err("%s: a subcommand is needed", argv[optind]);
        return finish(&c, CLI_USAGE);
    }
    if (!cmd) {
        unknown_command(argc - optind, argv + optind);
        return finish(&c, CLI_USAGE);
    }
    if ((ex = trailing_globals(&c, &argc, argv, optind + nwords)) != 0)
        return finish(&c, ex);
    if (c.json && !cmd->json) {
        cli_err("%s: --json is not supported: this command prints no JSON "
                "(docs/cli.md lists the commands that do)", cmd->name);
        return finish(&c, CLI_USAGE);
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
    /* argv[0] of the command is its last word. */
    return finish(&c, cmd->run(&c, argc - optind - nwords + 1,
                               argv + optind + nwords - 1));
}
