/*
 * polydm plugin check MODULE.so: the conformance checker (plugin_check.h).
 *
 * This process never runs module code: every case runs in a child
 * (plugin_check_run.c), which reports on a pipe; a child that crashes,
 * exits or hangs fails the rule of the step it was in.  Internals used
 * here, and why: the profile parser (pdm__profile_load) for the options
 * of the plugin's [plugin NAME] section and its mo.<component>.base, as
 * a context would give them; the loader (pdm__plugin_open, isolated) for
 * the abi.loader row, so that the checker and the core never disagree on
 * what the core accepts.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader/loader.h"
#include "plugin_check.h"
#include "profile/profile.h"

static int plugin_check(cli *c, int argc, char **argv);
static int plugins_check(cli *c, int argc, char **argv);

#define CHECK_HELP                                                          \
    "Runs MODULE, in child processes, through the ABI and ownership rules\n" \
    "of <polydm/plugin.h> and its kind's header: descriptor and vtable\n"   \
    "sizes and reserved fields; every method at the ABI 1.0 and the\n"      \
    "current struct sizes (structs end at a guard page: reading beyond\n"   \
    "struct_size faults); host tables of the plugin's ABI minor's and of\n" \
    "the ABI 1.0 size, also at a guard page (abi.host-size); every host\n"  \
    "allocation refused in turn; leaks and ownership of what the plugin\n"  \
    "hands over; declared options given odd values; policy and authority\n" \
    "verdicts; MO handlers on odd URIs; a bootstrap source's read() with\n" \
    "nothing to offer and its watch_fd() descriptor (open, kept until\n"   \
    "destroy, none left open after fini: bootstrap.watch-fd).  A crash or\n" \
    "a hang fails the rule being checked.  Prints one row per check and\n" \
    "rule, then the text of each rule that appears (docs/plugin-guide.md,\n" \
    "\"Conformance check\", and docs/cli.md list them).\n"                  \
    "\n"                                                                    \
    "  --profile P      the plugin's options (and MO bases) from P's\n"     \
    "                   [plugin NAME] section (also the global --profile\n" \
    "                   or $POLYDM_PROFILE); without, no options\n"          \
    "  --json           one JSON document (also the global --json)\n"       \
    "  --timeout MS     longest a case may take (default 5000)\n"           \
    "  --max-allocs N   refuse at most the first N allocations (default\n"  \
    "                   500)\n"                                              \
    "\n"                                                                    \
    "Exit 0 every rule passed, 1 a rule failed, 2 usage, 3 MODULE or the\n" \
    "profile unreadable, or no [plugin NAME] section for it in the\n"       \
    "profile.\n"

const cli_cmd cli_plugin_check_cmds[] = {
    {"plugin check", "MODULE.so [--profile P] [--json] [--timeout MS]",
     "check a plugin module against the ABI and ownership rules",
     CHECK_HELP, plugin_check, true},
    {"plugins check", "MODULE.so [--profile P] [--json] [--timeout MS]",
     "the same as 'plugin check'", CHECK_HELP, plugins_check, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

/* ---- rows --------------------------------------------------------------- */

typedef struct row {
    char *check, *rule, *result, *detail;
    unsigned more; /* further failures merged into this row */
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
    bool oom;
} rows;

/* Adds a result; the same check and rule merge: a failure wins, and
 * counts the failures after the first. */
static void add_row(rows *r, const char *check, const char *rule,
                    const char *result, const char *detail)
{
    for (size_t i = 0; i < r->n; i++) {
        row *w = &r->v[i];
        if (strcmp(w->check, check) || strcmp(w->rule, rule))
            continue;
        if (!strcmp(result, "fail")) {
            if (!strcmp(w->result, "fail")) {
                w->more++;
                return;
            }
            free(w->result);
            free(w->detail);
            w->result = strdup(result);
            w->detail = strdup(detail);
            r->oom = r->oom || !w->result || !w->detail;
        } else if (!strcmp(w->result, "skip") && !strcmp(result, "pass")) {
            free(w->result);
            free(w->detail);
            w->result = strdup(result);
            w->detail = strdup(detail);
            r->oom = r->oom || !w->result || !w->detail;
        }
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        row *v = realloc(r->v, cap * sizeof(*v));
        if (!v) {
            r->oom = true;
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n].check = strdup(check);
    r->v[r->n].rule = strdup(rule);
    r->v[r->n].result = strdup(result);
    r->v[r->n].detail = strdup(detail);
    r->v[r->n].more = 0;
    r->oom = r->oom || !r->v[r->n].check || !r->v[r->n].rule ||
             !r->v[r->n].result || !r->v[r->n].detail;
    r->n++;
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].check);
        free(r->v[i].rule);
        free(r->v[i].result);
        free(r->v[i].detail);
    }
    free(r->v);
}

/* ---- running a case ------------------------------------------------------ */

#define MAX_OPTS 256

/* What the descriptor case tells the parent. */
typedef struct plan {
    char name[128];
    bool fatal;
    bool baseline_ok; /* B line of the lifecycle case */
    long nallocs;
    size_t nopts;
    char *opt_key[MAX_OPTS];
    char *opt_type[MAX_OPTS];
} plan;

/* How a case ended. */
typedef enum { END_DONE, END_CRASH } case_end;

/* Steps that crashed or hung at the current struct sizes, without any
 * refused allocation: the same crash in a later case (ABI 1.0 sizes,
 * refused allocations, option values) is that bug again, not a break of
 * the later case's rule.  Keyed by the step without its struct_size. */
typedef struct crashes {
    char key[16][256];
    size_t n;
} crashes;

static void step_key(const char *what, char *key, size_t size)
{
    size_t n = 0;
    for (const char *s = what; *s && n + 1 < size;) {
        if (!strncmp(s, ", struct_size ", 14) || !strncmp(s, "struct_size ", 12)) {
            s += *s == ',' ? 14 : 12;
            while (*s >= '0' && *s <= '9')
                s++;
            continue;
        }
        key[n++] = *s++;
    }
    key[n] = 0;
}

static bool crash_known(const crashes *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->key[i], key))
            return true;
    return false;
}

static char *field(char **s)
{
    char *f = *s, *t;
    if (!f)
        return (char *)"";
    t = strchr(f, '\t');
    if (t) {
        *t = 0;
        *s = t + 1;
    } else {
        *s = NULL;
    }
    return f;
}

typedef struct cur_step {
    char rule[64], check[160], what[256];
} cur_step;

static void handle_line(char *line, rows *r, plan *pl, cur_step *cur,
                        bool *done)
{
    char *s = line + 2, *a, *b, *c, *d;
    if (line[0] && line[1] != '\t' && line[1] != 0)
        return;
    switch (line[0]) {
    case 'C':
        a = field(&s), b = field(&s), c = field(&s);
        cli_strlcpy(cur->rule, a, sizeof cur->rule);
        cli_strlcpy(cur->check, b, sizeof cur->check);
        cli_strlcpy(cur->what, c, sizeof cur->what);
        break;
    case 'R':
        a = field(&s), b = field(&s), c = field(&s), d = field(&s);
        add_row(r, c, b, a, d);
        break;
    case 'P': cli_strlcpy(pl->name, field(&s), sizeof pl->name); break;
    case 'O':
        a = field(&s), b = field(&s);
        if (pl->nopts < MAX_OPTS) {
            pl->opt_key[pl->nopts] = strdup(a);
            pl->opt_type[pl->nopts] = strdup(b);
            if (pl->opt_key[pl->nopts] && pl->opt_type[pl->nopts])
                pl->nopts++;
        }
        break;
    case 'N': pl->nallocs = strtol(field(&s), NULL, 10); break;
    case 'F': pl->fatal = true; break;
    case 'B': pl->baseline_ok = !strcmp(field(&s), "1"); break;
    case 'D': *done = true; break;
    }
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000L +
           (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Forks a child for @cs and collects its report; a crash, an exit or a
 * hang before its end fails the rule of the step it was in. */
static case_end run_case(const pc_input *in, const pc_case *cs,
                         unsigned timeout_ms, bool quiet_child, rows *r,
                         plan *pl, crashes *known)
{
    int fds[2], st = 0;
    pid_t pid;
    char buf[8192];
    size_t have = 0;
    bool done = false, hung = false;
    cur_step cur = {"abi.descriptor", "descriptor", "loading the module"};
    struct timespec t0;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        add_row(r, "checker", "abi.loader", "fail", strerror(errno));
        return END_CRASH;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        add_row(r, "checker", "abi.loader", "fail", strerror(errno));
        return END_CRASH;
    }
    if (pid == 0) {
        /* The plugin's own output must not garble the table. */
        int null = open("/dev/null", O_WRONLY);
        close(fds[0]);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            if (quiet_child)
                dup2(null, STDERR_FILENO);
        }
        signal(SIGPIPE, SIG_DFL);
        pc_run_case(in, cs, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        long left = (long)timeout_ms - ms_since(&t0);
        ssize_t got;
        char *nl;
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            hung = true;
            kill(pid, SIGKILL);
            break;
        }
        got = read(fds[0], buf + have, sizeof buf - 1 - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        have += (size_t)got;
        buf[have] = 0;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = 0;
            handle_line(buf, r, pl, &cur, &done);
            memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
            have -= (size_t)(nl + 1 - buf);
        }
        if (have == sizeof buf - 1)
            have = 0; /* an overlong line: dropped */
    }
    close(fds[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (done && !hung)
        return END_DONE;
    {
        char detail[600], key[256];
        bool first = cs->type == PC_CASE_METHODS ||
                     cs->type == PC_CASE_ODD_URIS;
        step_key(cur.what, key, sizeof key);
        if (!first && crash_known(known, key)) {
            snprintf(detail, sizeof detail,
                     "not judged: %s fails at the current struct sizes "
                     "already (above)", cur.what);
            add_row(r, cur.check,
                    cs->type == PC_CASE_ALLOC_FAIL ? "mem.alloc-failure"
                                                   : cur.rule,
                    "skip", detail);
            return END_CRASH;
        }
        if (first && known->n < CLI_ARRAY_LEN(known->key))
            cli_strlcpy(known->key[known->n++], key, sizeof known->key[0]);
        if (hung)
            snprintf(detail, sizeof detail,
                     "no answer within %u ms, in %s", timeout_ms, cur.what);
        else if (WIFSIGNALED(st))
            snprintf(detail, sizeof detail, "crashed (signal %d, %s) in %s",
                     WTERMSIG(st), strsignal(WTERMSIG(st)), cur.what);
        else
            snprintf(detail, sizeof detail,
                     "the process ended (exit status %d) in %s: the plugin "
                     "exited, or a sanitizer stopped it",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1, cur.what);
        if (cs->type == PC_CASE_ALLOC_FAIL) {
            char d2[700];
            snprintf(d2, sizeof d2, "with allocation #%ld refused: %s",
                     cs->fail_at, detail);
            add_row(r, cur.check, "mem.alloc-failure", "fail", d2);
        } else {
            add_row(r, cur.check, cur.rule, "fail", detail);
        }
    }
    return END_CRASH;
}

/* ---- output ------------------------------------------------------------- */

static const char *rule_source(const char *id)
{
    const pc_rule *ru = pc_rule_find(id);
    return ru ? ru->source : "";
}

static void print_table(const rows *r, const char *module, const char *name,
                        size_t nfail)
{
    size_t wc = 5, wr = 4;
    for (size_t i = 0; i < r->n; i++) {
        size_t lc = strlen(r->v[i].check), lr = strlen(r->v[i].rule);
        wc = lc > wc ? lc : wc;
        wr = lr > wr ? lr : wr;
    }
    printf("%-6s %-*s %-*s %s\n", "RESULT", (int)wc, "CHECK", (int)wr, "RULE",
           "DETAIL");
    for (size_t i = 0; i < r->n; i++) {
        const row *w = &r->v[i];
        printf("%-6s %-*s %-*s %s", !strcmp(w->result, "fail") ? "FAIL"
                                                                 : w->result,
               (int)wc, w->check, (int)wr, w->rule, w->detail);
        if (w->more)
            printf(" (and %u more)", w->more);
        putchar('\n');
    }
    printf("\nrules:\n");
    for (const pc_rule *ru = pc_rules; ru->id; ru++)
        for (size_t i = 0; i < r->n; i++)
            if (!strcmp(r->v[i].rule, ru->id)) {
                printf("  %-*s %s (%s)\n", (int)wr, ru->id, ru->text,
                       ru->source);
                break;
            }
    printf("\n%s (%s): %zu row(s), %zu failed\n", module,
           *name ? name : "?", r->n, nfail);
}

static void print_json(const rows *r, const char *module, const char *name,
                       const char *profile, size_t nfail)
{
    cli_json j;
    cj_begin(&j, stdout);
    cj_obj(&j, NULL);
    cj_str(&j, "module", module);
    cj_str(&j, "plugin", *name ? name : NULL);
    cj_str(&j, "profile", profile);
    cj_bool(&j, "passed", nfail == 0);
    cj_int(&j, "failures", (long long)nfail);
    cj_arr(&j, "checks");
    for (size_t i = 0; i < r->n; i++) {
        cj_obj(&j, NULL);
        cj_str(&j, "check", r->v[i].check);
        cj_str(&j, "rule", r->v[i].rule);
        cj_str(&j, "source", rule_source(r->v[i].rule));
        cj_str(&j, "result", r->v[i].result);
        cj_str(&j, "detail", r->v[i].detail);
        cj_int(&j, "more", r->v[i].more);
        cj_end_obj(&j);
    }
    cj_end_arr(&j);
    cj_end_obj(&j);
    cj_finish(&j);
}

/* ---- the command -------------------------------------------------------- */

/* Odd values every declared option is given (plugin-guide.md). */
static const struct {
    const char *value, *label;
} odd_values[] = {
    {"", "'' (empty)"},
    {"chk-unknown-value", "'chk-unknown-value'"},
    {"12abc", "'12abc'"},
    {"%s%s%s%n", "'%s%s%s%n'"},
    {"a\001\033[2Jb", "control bytes"},
    {NULL, "5000 bytes"}, /* built at run time */
};

static bool profile_given(const cli *c, const char *own)
{
    /* The command's own --profile, else the global one or
     * $POLYDM_PROFILE (main() puts the installed default there
     * otherwise: that one is not "given"). */
    if (own)
        return true;
    return c->profile &&
           strcmp(c->profile, pdm_default_profile());
}

static int check_main(const cli_cmd *self, cli *c, int argc, char **argv);

static int plugin_check(cli *c, int argc, char **argv)
{
    return check_main(&cli_plugin_check_cmds[0], c, argc, argv);
}

/* The alias: its --help names it. */
static int plugins_check(cli *c, int argc, char **argv)
{
    return check_main(&cli_plugin_check_cmds[1], c, argc, argv);
}

static int check_main(const cli_cmd *self, cli *c, int argc, char **argv)
{
    const char *module = NULL, *prof_path = NULL;
    unsigned timeout_ms = 5000;
    long max_allocs = 500;
    bool json = c->json;
    char path[4096];
    pdm__profile *prof = NULL;
    const pdm__profile_plugin *pp = NULL;
    pc_opt opts[MAX_OPTS], bases[64];
    pc_input in = {NULL, opts, 0, bases, 0};
    plan pl;
    crashes known;
    rows r = {NULL, 0, 0, false};
    size_t nfail = 0;
    char *longval = NULL;
    int ret = CLI_OK;
    struct stat st;

    memset(&pl, 0, sizeof pl);
    memset(&known, 0, sizeof known);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_cmd_help(self, stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--profile") && i + 1 < argc) {
            prof_path = argv[++i];
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            long v;
            if (cli_parse_long(argv[++i], 100, 600000, &v) != 0) {
                cli_err("plugin check: --timeout wants 100..600000 ms, not "
                        "'%s'", argv[i]);
                return CLI_USAGE;
            }
            timeout_ms = (unsigned)v;
        } else if (!strcmp(a, "--max-allocs") && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 0, 100000, &max_allocs) != 0) {
                cli_err("plugin check: --max-allocs wants 0..100000, not "
                        "'%s'", argv[i]);
                return CLI_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_err("plugin check: unknown option or missing value '%s' "
                    "(see polydm plugin check --help)", a);
            return CLI_USAGE;
        } else if (!module) {
            module = a;
        } else {
            cli_err("plugin check: one MODULE.so only ('%s' is extra)", a);
            return CLI_USAGE;
        }
    }
    if (!module) {
        cli_err("plugin check: expected a MODULE.so (see --help)");
        return CLI_USAGE;
    }
    if (!prof_path && profile_given(c, NULL))
        prof_path = c->profile;
    /* dlopen() searches the library path for names without a slash. */
    snprintf(path, sizeof path, "%s%s", strchr(module, '/') ? "" : "./",
             module);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        cli_err("plugin check: %s: %s", path,
                stat(path, &st) != 0 ? strerror(errno) : "not a file");
        return CLI_BADINPUT;
    }
    if (prof_path) {
        pdm__diag d;
        int rc;
        pdm__diag_init(&d);
        rc = pdm__profile_load(&prof, prof_path, &d);
        for (const pdm__diag_item *it = d.head; it; it = it->next)
            cli_err("%s", it->msg);
        pdm__diag_free(&d);
        if (rc != PDM_OK) {
            pdm__profile_free(prof);
            return CLI_BADINPUT;
        }
    }
    in.module = path;

    /* 1. The descriptor (only the entry function runs). */
    {
        pc_case cs = {PC_CASE_DESC, 0, NULL, NULL, NULL, NULL, 0};
        run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known);
    }
    /* 2. The core's own loader, in its isolated mode. */
    {
        pdm__open_opts o = {false, true, timeout_ms};
        pdm__plugin *p = NULL;
        pdm__diag d;
        pdm__diag_init(&d);
        o.relaxed_modes =
            prof && !pdm__profile_get_bool(prof, "profile.plugin_strict_modes",
                                           true);
        if (pdm__plugin_open(&p, NULL, path, NULL, &o, &d, NULL, 0) ==
            PDM_OK) {
            add_row(&r, "loader", "abi.loader", "pass",
                    "the core's loader accepts it");
        } else {
            add_row(&r, "loader", "abi.loader", "fail",
                    d.head ? d.head->msg : "refused");
        }
        pdm__plugin_close(p);
        pdm__diag_free(&d);
    }
    if (pl.fatal || !*pl.name)
        goto report;
    /* The profile's section for this plugin. */
    if (prof) {
        for (pp = prof->plugins; pp && strcmp(pp->name, pl.name);
             pp = pp->next)
            ;
        if (!pp) {
            cli_err("plugin check: profile %s has no [plugin %s] section",
                    prof_path, pl.name);
            ret = CLI_BADINPUT;
            goto out;
        }
        for (const pdm__kv *kv = pp->options; kv && in.nopts < MAX_OPTS;
             kv = kv->next)
            opts[in.nopts++] = (pc_opt){kv->key, kv->value};
        for (const pdm__kv *kv = pp->mo_base; kv && in.nmo_bases < 64;
             kv = kv->next)
            bases[in.nmo_bases++] = (pc_opt){kv->key, kv->value};
    }
    /* 3. Lifecycle, methods, struct sizes, odd URIs. */
    {
        static const pc_case_type types[] = {
            PC_CASE_LIFECYCLE, PC_CASE_METHODS, PC_CASE_ODD_URIS,
            PC_CASE_SIZES_1_0};
        for (size_t i = 0; i < CLI_ARRAY_LEN(types); i++) {
            pc_case cs = {types[i], 0, NULL, NULL, NULL, NULL, 0};
            run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known);
        }
    }
    /* 3b. Shorter host tables: judged only where the full one works. */
    if (pl.baseline_ok) {
        static const pc_case_type types[] = {PC_CASE_HOST_MINOR,
                                             PC_CASE_HOST_1_0};
        for (size_t i = 0; i < CLI_ARRAY_LEN(types); i++) {
            pc_case cs = {types[i], 0, NULL, NULL, NULL, NULL, 0};
            run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known);
        }
    } else {
        add_row(&r, "host tables", "abi.host-size", "skip",
                "not run: init or a create fails with the full host table "
                "(above)");
    }
    /* 4. Every allocation refused in turn; the first crash ends it. */
    {
        pc_case cs = {PC_CASE_ALLOC_COUNT, 0, NULL, NULL, NULL, NULL, 0};
        long n;
        pl.nallocs = 0;
        if (run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known) != END_DONE)
            pl.nallocs = -1; /* the methods fail without it (above) */
        n = pl.nallocs < max_allocs ? pl.nallocs : max_allocs;
        if (pl.nallocs > 0) {
            char d[96];
            snprintf(d, sizeof d, "%ld allocation(s), each refused in turn",
                     n);
            add_row(&r, "allocation failures", "mem.alloc-failure", "pass",
                    d);
        }
        cs.type = PC_CASE_ALLOC_FAIL;
        for (cs.fail_at = 1; cs.fail_at <= n; cs.fail_at++)
            if (run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known) !=
                END_DONE)
                break;
        if (pl.nallocs < 0)
            add_row(&r, "allocation failures", "mem.alloc-failure", "skip",
                    "not run: the methods fail without refused allocations");
        else if (pl.nallocs == 0)
            add_row(&r, "allocation failures", "mem.alloc-failure", "skip",
                    "the plugin allocates nothing from the host");
        else if (pl.nallocs > n)
            add_row(&r, "allocation failures", "mem.alloc-failure", "pass",
                    "(only the first allocations were refused: "
                    "--max-allocs)");
    }
    /* 5. Odd values for every declared option, and an undeclared key. */
    longval = malloc(5001);
    if (longval) {
        memset(longval, 'x', 5000);
        longval[5000] = 0;
    }
    for (size_t k = 0; k <= pl.nopts; k++) {
        if (k < pl.nopts) {
            char chk[160], d[200];
            snprintf(chk, sizeof chk, "option.%s: odd values", pl.opt_key[k]);
            snprintf(d, sizeof d, "%zu odd values (declared: %s): no crash, "
                     "refusals name it", CLI_ARRAY_LEN(odd_values),
                     pl.opt_type[k]);
            add_row(&r, chk, "options.malformed", "pass", d);
        }
        for (size_t v = 0; v < CLI_ARRAY_LEN(odd_values); v++) {
            pc_case cs = {PC_CASE_OPTION, 0, NULL, NULL, NULL, NULL, 0};
            cs.opt_key = k < pl.nopts ? pl.opt_key[k] : "chk-undeclared";
            cs.opt_type = k < pl.nopts ? pl.opt_type[k] : "text";
            cs.opt_value = odd_values[v].value ? odd_values[v].value
                                               : longval;
            cs.opt_label = odd_values[v].label;
            cs.baseline_ok = pl.baseline_ok;
            if (!cs.opt_value)
                continue;
            run_case(&in, &cs, timeout_ms, c->verbosity <= 0, &r, &pl,
                     &known);
            if (k == pl.nopts)
                break; /* the undeclared key: one value is enough */
        }
    }

report:
    if (r.oom) {
        cli_err("plugin check: out of memory");
        ret = CLI_REFUSED;
        goto out;
    }
    for (size_t i = 0; i < r.n; i++)
        nfail += !strcmp(r.v[i].result, "fail");
    if (json)
        print_json(&r, path, pl.name, prof_path, nfail);
    else
        print_table(&r, path, pl.name, nfail);
    ret = nfail ? CLI_REFUSED : CLI_OK;
out:
    free(longval);
    for (size_t i = 0; i < pl.nopts; i++) {
        free(pl.opt_key[i]);
        free(pl.opt_type[i]);
    }
    rows_free(&r);
    pdm__profile_free(prof);
    return ret;
}
