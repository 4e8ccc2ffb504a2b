/*
 * polydm plugins list | inspect
 */
#define _GNU_SOURCE
#include "cli.h"

#include <string.h>

#include "engine/engine.h"
#include "loader/loader.h"

static int plugins_list(cli *c, int argc, char **argv);
static int plugins_inspect(cli *c, int argc, char **argv);

const cli_cmd cli_plugins_cmds[] = {
    {"plugins list", "", "list the plugins of the profile (runs their init)",
     "Loads the profile's plugins in profile order (policy order), starts\n"
     "them and prints name, version, file and components.  An optional\n"
     "plugin (optional = true) whose module is not installed is listed as\n"
     "\"optional, not installed\" (JSON: \"installed\": false).\n",
     plugins_list, true},
    {"plugins inspect", "FILE.so",
     "show a plugin's descriptor without starting it",
     "Reads the descriptor of a plugin module: name, version, ABI it was\n"
     "built for and whether this polydm accepts it, components and declared\n"
     "options.  The module is read in a child process (a crash or a hang\n"
     "there is reported; nothing of it runs in polydm itself), never its\n"
     "init.  Like every load, it refuses a module that others than root\n"
     "and the current user can change (see profiles/README.md,\n"
     "plugin_strict_modes).  Exit 3 if the module is refused.\n",
     plugins_inspect, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static int plugins_list(cli *c, int argc, char **argv)
{
    pdm_ctx *ctx;
    int rc = cli_simple_opts(&cli_plugins_cmds[0], argc, argv);
    size_t n, nabsent, i, shown = 0;
    cli_json j;

    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 1) {
        cli_err("plugins list: unexpected argument '%s'", argv[1]);
        return CLI_USAGE;
    }
    rc = cli_open(c, &ctx, PDM_CTX_NO_STORE);
    if (rc != CLI_OK)
        return rc;
    n = pdm_ctx_plugin_count(ctx);
    nabsent = ctx->plugins.nabsent;
    if (c->json) {
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "profile", pdm_ctx_profile_id(ctx));
        cj_arr(&j, "plugins");
    } else if (nabsent) {
        printf("profile %s: %zu plugin%s, %zu optional not installed\n",
               pdm_ctx_profile_id(ctx), n, n == 1 ? "" : "s", nabsent);
    } else {
        printf("profile %s: %zu plugin%s\n", pdm_ctx_profile_id(ctx), n,
               n == 1 ? "" : "s");
    }
    /* Profile order: the loaded plugins are the profile's sections minus
     * the absent ones, in the same order. */
    i = 0;
    for (const pdm__profile_plugin *pp = ctx->profile->plugins; pp;
         pp = pp->next, shown++) {
        pdm_plugin_info pi;
        const char *kind, *name;
        if (i >= n || pdm_ctx_plugin_info(&pi, ctx, i) != PDM_OK ||
            strcmp(pi.name, pp->name) != 0) {
            /* Not loaded, and the context opened: an optional plugin
             * that is not installed. */
            if (c->json) {
                cj_obj(&j, NULL);
                cj_str(&j, "name", pp->name);
                cj_str(&j, "version", NULL);
                cj_str(&j, "summary", NULL);
                cj_str(&j, "path", NULL);
                cj_bool(&j, "optional", true);
                cj_bool(&j, "installed", false);
                cj_arr(&j, "components");
                cj_end_arr(&j);
                cj_end_obj(&j);
            } else {
                printf("%zu. %s  [optional, not installed]\n", shown + 1,
                       pp->name);
            }
            continue;
        }
        if (c->json) {
            cj_obj(&j, NULL);
            cj_str(&j, "name", pi.name);
            cj_str(&j, "version", pi.version);
            cj_opt(&j, "summary", pi.summary);
            cj_opt(&j, "path", pi.path);
            cj_bool(&j, "optional", pp->optional);
            cj_bool(&j, "installed", true);
            cj_arr(&j, "components");
        } else {
            printf("%zu. %s %s  [%s%s]\n   %s\n", shown + 1, pi.name,
                   pi.version, *pi.path ? pi.path : "static",
                   pp->optional ? ", optional" : "", pi.summary);
        }
        for (size_t k = 0; pdm_ctx_component(&kind, &name, ctx, i, k) == 0;
             k++) {
            if (c->json) {
                cj_obj(&j, NULL);
                cj_str(&j, "kind", kind);
                cj_str(&j, "name", name);
                cj_end_obj(&j);
            } else {
                printf("   component: %s %s\n", kind, name);
            }
        }
        if (c->json) {
            cj_end_arr(&j);
            cj_end_obj(&j);
        }
        i++;
    }
    if (c->json) {
        cj_end_arr(&j);
        cj_end_obj(&j);
        cj_finish(&j);
    }
    pdm_ctx_close(ctx);
    return CLI_OK;
}

static void print_desc(cli *c, const char *file, const pdm__plugin *p)
{
    const pdm_plugin_desc *d = &p->desc;
    cli_json j;
    if (c->json) {
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "file", file);
        cj_str(&j, "name", d->name);
        cj_str(&j, "version", d->version);
        cj_str(&j, "summary", d->summary);
        cj_int(&j, "abi_major", d->abi_major);
        cj_int(&j, "abi_minor", d->abi_minor);
        cj_bool(&j, "compatible", true);
        cj_arr(&j, "components");
        for (size_t i = 0; i < p->ncomps; i++) {
            cj_obj(&j, NULL);
            cj_str(&j, "kind", pdm__kind_name(p->comps[i].kind));
            cj_str(&j, "name", p->comps[i].name);
            if (p->comps[i].kind == PDM_KIND_MO) {
                cj_str(&j, "base", p->comps[i].ops.mo.base_uri);
                cj_str(&j, "mo_id", p->comps[i].ops.mo.mo_id);
            }
            cj_end_obj(&j);
        }
        cj_end_arr(&j);
        cj_arr(&j, "options");
        for (const pdm_option_desc *o = d->options; o && o->key; o++) {
            bool secret = o->flags & PDM_OPTION_SECRET;
            cj_obj(&j, NULL);
            cj_str(&j, "key", o->key);
            cj_str(&j, "help", o->help);
            /* A secret's value is never printed, its default neither. */
            cj_str(&j, "default", secret ? NULL : o->def);
            cj_bool(&j, "required", o->flags & PDM_OPTION_REQUIRED);
            cj_bool(&j, "secret", secret);
            cj_end_obj(&j);
        }
        cj_end_arr(&j);
        cj_end_obj(&j);
        cj_finish(&j);
        return;
    }
    printf("file:      %s\n", file);
    printf("name:      %s\n", d->name);
    printf("version:   %s\n", d->version ? d->version : "");
    printf("summary:   %s\n", d->summary ? d->summary : "");
    printf("abi:       %u.%u (this polydm: %d.%d, compatible)\n", d->abi_major,
           d->abi_minor, PDM_ABI_MAJOR, PDM_ABI_MINOR);
    for (size_t i = 0; i < p->ncomps; i++) {
        const pdm__comp *cp = &p->comps[i];
        printf("component: %s %s", pdm__kind_name(cp->kind), cp->name);
        if (cp->kind == PDM_KIND_MO)
            printf(" (base %s%s%s)", cp->ops.mo.base_uri,
                   cp->ops.mo.mo_id ? ", " : "",
                   cp->ops.mo.mo_id ? cp->ops.mo.mo_id : "");
        putchar('\n');
    }
    for (const pdm_option_desc *o = d->options; o && o->key; o++) {
        bool secret = o->flags & PDM_OPTION_SECRET;
        const char *def = secret ? NULL : o->def;
        printf("option:    %s%s%s  %s%s%s%s\n", o->key,
               (o->flags & PDM_OPTION_REQUIRED) ? " (required)" : "",
               secret ? " (secret)" : "", o->help ? o->help : "",
               def ? " [default: " : "", def ? def : "", def ? "]" : "");
    }
}

/* A developer's profile may relax the file permission check
 * (plugin_strict_modes = false); without a readable profile it is
 * strict. */
static bool relaxed_modes(const cli *c)
{
    pdm__profile *prof = NULL;
    pdm__diag d;
    bool relaxed = false;
    pdm__diag_init(&d);
    if (c->profile && pdm__profile_load(&prof, c->profile, &d) == PDM_OK)
        relaxed = !pdm__profile_get_bool(prof, "profile.plugin_strict_modes",
                                         true);
    pdm__profile_free(prof);
    pdm__diag_free(&d);
    return relaxed;
}

static int plugins_inspect(cli *c, int argc, char **argv)
{
    int rc = cli_simple_opts(&cli_plugins_cmds[1], argc, argv);
    pdm__open_opts o = {false, true, 0};
    pdm__plugin *p;
    pdm__diag d;
    char path[4096];

    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc != 2) {
        cli_err("plugins inspect: expected one FILE.so (see --help)");
        return CLI_USAGE;
    }
    /* dlopen() searches the library path for names without a slash. */
    if (!strchr(argv[1], '/'))
        snprintf(path, sizeof path, "./%s", argv[1]);
    else
        snprintf(path, sizeof path, "%s", argv[1]);
    o.relaxed_modes = relaxed_modes(c);
    /* The module is read in a child process: none of its code (ELF
     * constructors, entry function) runs in this one. */
    pdm__diag_init(&d);
    rc = pdm__plugin_open(&p, NULL, path, NULL, &o, &d, NULL, 0);
    for (const pdm__diag_item *it = d.head; it; it = it->next)
        cli_err("%s%s", it->warning ? "warning: " : "", it->msg);
    if (rc != PDM_OK) {
        if (!d.head)
            cli_err("%s: %s", path, pdm_strerror(rc));
        pdm__diag_free(&d);
        return rc == PDM_ENOMEM ? CLI_REFUSED : CLI_BADINPUT;
    }
    print_desc(c, path, p);
    pdm__plugin_close(p);
    pdm__diag_free(&d);
    return CLI_OK;
}
