/*
 * "Did you mean" for the CLI: misspelt commands and options.  The edit
 * distance is the core's (pdm__suggest, util.h), shared with the profile
 * parser's hints for misspelt keys, so both judge a typo alike.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "util/util.h"

const char *cli_closest(const char *word, const char *const *cands)
{
    pdm__suggest sg;
    pdm__suggest_init(&sg, word);
    for (; cands && *cands; cands++)
        pdm__suggest_add(&sg, *cands);
    return pdm__suggest_best(&sg);
}

void cli_bad_option(const cli_cmd *cmd, const char *arg,
                    const struct option *lo)
{
    pdm__suggest sg;
    const char *best;
    char name[64];
    size_t n;

    /* "--name=value" and "--name": the name alone */
    if (!arg)
        arg = "?";
    n = strncmp(arg, "--", 2) == 0 ? strcspn(arg + 2, "=") : 0;
    cli_strlcpy(name, arg + 2, n + 1 < sizeof name ? n + 1 : sizeof name);
    for (const struct option *o = lo; n && o && o->name; o++)
        if (strcmp(o->name, name) == 0 && o->has_arg == required_argument &&
            !strchr(arg, '=')) {
            cli_err("%s: option '--%s' needs a value (see polydm %s --help)",
                    cmd->name, name, cmd->name);
            return;
        }
    pdm__suggest_init(&sg, n ? name : arg);
    for (const struct option *o = lo; n && o && o->name; o++)
        pdm__suggest_add(&sg, o->name);
    if (n && (best = pdm__suggest_best(&sg)))
        cli_err("%s: unknown option '%s'; did you mean '--%s'? (see polydm "
                "%s --help)", cmd->name, arg, best, cmd->name);
    else
        cli_err("%s: unknown option '%s' (see polydm %s --help)", cmd->name,
                arg, cmd->name);
}
