/*
 * polydm profile check | keys
 */
#include "cli.h"

#include <string.h>

#include "loader/loader.h"
#include "profile/profile.h"

static int profile_check(cli *c, int argc, char **argv);
static int profile_keys(cli *c, int argc, char **argv);

const cli_cmd cli_profile_cmds[] = {
    {"profile check", "FILE...", "validate profiles offline",
     "Parses each profile and checks it against the descriptors of the\n"
     "plugins it names, without running any plugin's init: malformed lines,\n"
     "unknown sections and keys, bad values, unknown plugins, ABI mismatch,\n"
     "unknown or missing plugin options, wrong component kinds, duplicate\n"
     "MO base URIs.  Every problem is printed as FILE:LINE: message.\n"
     "An optional plugin (optional = true) whose module is not installed\n"
     "is no problem: it is reported as FILE:LINE: plugin NAME: optional,\n"
     "not installed (JSON: \"plugins\", \"installed\": false).\n"
     "Exit 0 if all files are valid, 3 otherwise.\n",
     profile_check, true},
    {"profile keys", "", "list the keys a profile may contain",
     "Every key of every section, with its type and meaning: the parser's\n"
     "own table (profiles/README.md documents the same keys).  A part in\n"
     "<> is a name of your choice: transport.pin.<ServerID>; plugin.* keys\n"
     "go in a [plugin <name>] section without the \"plugin.\" prefix.\n",
     profile_keys, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static int profile_check(cli *c, int argc, char **argv)
{
    int rc = cli_simple_opts(&cli_profile_cmds[0], argc, argv);
    int worst = CLI_OK;
    const char *search = pdm__plugin_search_path(c->plugin_path);
    cli_json j;

    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc < 2) {
        cli_err("profile check: expected one or more profile files");
        return CLI_USAGE;
    }
    if (c->json) {
        cj_begin(&j, stdout);
        cj_arr(&j, NULL);
    }
    for (int i = 1; i < argc; i++) {
        pdm__profile *p = NULL;
        pdm__diag d;
        pdm__diag_init(&d);
        rc = pdm__profile_load(&p, argv[i], &d);
        if (p && rc != PDM_ENOMEM)
            pdm__loader_check_profile(p, search, &d);
        if (c->json) {
            cj_obj(&j, NULL);
            cj_str(&j, "file", argv[i]);
            cj_bool(&j, "ok", d.errors == 0 && p);
            cj_arr(&j, "problems");
        }
        for (const pdm__diag_item *it = d.head; it; it = it->next) {
            if (c->json) {
                cj_obj(&j, NULL);
                cj_int(&j, "line", it->line);
                cj_str(&j, "severity", it->warning ? "warning" : "error");
                cj_str(&j, "message", it->msg);
                cj_end_obj(&j);
            } else {
                char line[800];
                pdm__diag_format(it, line, sizeof line);
                fprintf(stderr, "%s\n", line);
            }
        }
        if (c->json) {
            cj_end_arr(&j);
            /* Each plugin section: whether its module is there (the same
             * test the loader makes before it leaves one out). */
            cj_arr(&j, "plugins");
            for (const pdm__profile_plugin *pp = p ? p->plugins : NULL; pp;
                 pp = pp->next) {
                cj_obj(&j, NULL);
                cj_str(&j, "name", pp->name);
                cj_int(&j, "line", pp->line);
                cj_bool(&j, "optional", pp->optional);
                cj_bool(&j, "installed", pdm__plugin_installed(pp, search));
                cj_end_obj(&j);
            }
            cj_end_arr(&j);
            cj_end_obj(&j);
        } else if (!d.errors && p) {
            printf("%s: ok (profile %s, %zu plugin%s)\n", argv[i], p->id,
                   p->nplugins, p->nplugins == 1 ? "" : "s");
            for (const pdm__profile_plugin *pp = p->plugins; pp;
                 pp = pp->next)
                if (pp->optional && !pdm__plugin_installed(pp, search))
                    printf("%s:%u: plugin %s: optional, not installed\n",
                           argv[i], pp->optional_line, pp->name);
        } else if (!d.errors) {
            /* no profile and no diagnostic: out of memory */
            fprintf(stderr, "%s: %s\n", argv[i], pdm_strerror(rc));
        }
        if (rc == PDM_ENOMEM)
            worst = CLI_REFUSED;
        else if (rc == PDM_EIO && worst == CLI_OK)
            worst = CLI_IOERR;
        else if (d.errors)
            worst = CLI_BADINPUT;
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
    if (c->json) {
        cj_end_arr(&j);
        cj_finish(&j);
    }
    return worst;
}

static int profile_keys(cli *c, int argc, char **argv)
{
    int rc = cli_simple_opts(&cli_profile_cmds[1], argc, argv);
    cli_json j;
    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 1) {
        cli_err("profile keys: takes no arguments");
        return CLI_USAGE;
    }
    /* The parser's own table: what is listed is what it takes. */
    if (c->json) {
        cj_begin(&j, stdout);
        cj_arr(&j, NULL);
    }
    for (const pdm__profile_key *k = pdm__profile_keys(); k->key; k++) {
        if (c->json) {
            cj_obj(&j, NULL);
            cj_str(&j, "key", k->key);
            cj_str(&j, "type", k->type);
            cj_str(&j, "help", k->help);
            cj_end_obj(&j);
        } else {
            printf("%-28s %-20s %s\n", k->key, k->type, k->help);
        }
    }
    if (c->json) {
        cj_end_arr(&j);
        cj_finish(&j);
    }
    return CLI_OK;
}
