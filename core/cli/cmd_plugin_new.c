/*
 * polydm plugin new NAME --kind KIND [--dir DIR] [--force] [--templates DIR]
 *
 * Writes an out-of-tree plugin project from the SDK's templates (issue 16
 * item 1).  The templates are installed with the dev component in
 * <datadir>/polydm/templates/{common,<kind>}/; they are found next to the profile
 * directory of this polydm (pdm_default_profile(): the install's
 * <datadir>/polydm/profiles, or the build tree's profiles directory, whose
 * sibling templates/ the build fills), so a moved install finds its own.
 *
 * Every template file is copied with @NAME@ (the plugin id), @CNAME@ (the
 * C identifier: '-' → '_'), @KIND@ and @DIR@ (the project's absolute
 * directory) replaced, in its name as well; @SESSION_CMAKE@ and
 * @SESSION_OPT@ are the kind's session test, as arguments of
 * polydm_add_plugin_test() and of polydm-plugin-test (session_args[]).
 * The
 * file `profile-section` is not copied: it is appended to the default
 * profile to make the sample profile @NAME@.profile.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int plugin_new(cli *c, int argc, char **argv);

const cli_cmd cli_plugin_new_cmds[] = {
    {"plugin new", "NAME --kind bootstrap|authority|policy|mo [--dir DIR] "
                   "[--force] [--templates DIR]",
     "write a new out-of-tree plugin project",
     "Writes DIR (default ./NAME) with one C file for the component, its\n"
     "unit test on the SDK's fake host, CMakeLists.txt (find_package(polydm),\n"
     "polydm_add_plugin, polydm_add_plugin_test), a Makefile using\n"
     "pkg-config polydm-sdk, a sample profile NAME.profile (the default\n"
     "profile plus a [plugin NAME] section), a session scenario for\n"
     "polydm-testserver and a README.  NAME is the plugin id: a lower-case\n"
     "letter, then lower-case letters, digits and '-' (at most 48); not\n"
     "`core` or `agent`.  An existing DIR is refused unless --force.\n"
     "--templates reads the templates from another directory (default: the\n"
     "SDK's, share/polydm/templates).  Exit 2 for a bad NAME, kind or DIR.\n",
     plugin_new, false},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static const char *const kinds[] = {"bootstrap", "authority", "policy", "mo",
                                    NULL};

/* The plugin id rule of polydm_add_plugin() and the loader, stricter on
 * the first character so that the C identifier is valid too. */
static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 48 || n[0] < 'a' || n[0] > 'z' || n[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') ||
              n[i] == '-'))
            return false;
    return strcmp(n, "core") != 0 && strcmp(n, "agent") != 0;
}

typedef struct subst {
    const char *name, *cname, *kind, *dir;
    const char *session_cmake, *session_opt; /* session_args[] */
} subst;

/* Each kind's session test: its scenarios and what they need (the
 * bootstrap source scans first and offers a document that carries the
 * test server's address; the authority's device knows two servers). */
static const struct {
    const char *kind, *cmake, *opt;
} session_args[] = {
    {"bootstrap", " SCENARIO session.scn SCAN URL_FILES provisioning.xml",
     " --scenario session.scn --scan --with-url provisioning.xml"},
    {"authority",
     " SCENARIO session.scn other.scn TREE tree.tnds.xml",
     " --scenario session.scn --scenario other.scn"
     " --tree tree.tnds.xml"},
    {NULL, " SCENARIO session.scn", " --scenario session.scn"},
};

/* @s with the placeholders replaced, malloc'd; NULL on out of memory. */
static char *expand(const char *s, size_t len, const subst *v)
{
    static const char *const keys[] = {"@NAME@", "@CNAME@", "@KIND@",
                                       "@DIR@", "@SESSION_CMAKE@",
                                       "@SESSION_OPT@"};
    const char *vals[] = {v->name, v->cname, v->kind, v->dir,
                          v->session_cmake, v->session_opt};
    size_t cap = len + 1, n = 0;
    char *out = malloc(cap);
    for (size_t i = 0; out && i < len;) {
        const char *add = s + i;
        size_t alen = 1, skip = 1;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t kl = strlen(keys[k]);
            if (len - i >= kl && memcmp(s + i, keys[k], kl) == 0) {
                add = vals[k];
                alen = strlen(vals[k]);
                skip = kl;
                break;
            }
        }
        if (n + alen + 1 > cap) {
            char *t;
            cap = 2 * cap + alen;
            t = realloc(out, cap);
            if (!t) {
                free(out);
                return NULL;
            }
            out = t;
        }
        memcpy(out + n, add, alen);
        n += alen;
        i += skip;
    }
    if (out)
        out[n] = '\0';
    return out;
}

static int write_file(const char *path, const char *a, const char *b,
                      mode_t mode)
{
    FILE *f = fopen(path, "w");
    int ok;
    if (!f) {
        cli_err("plugin new: cannot create %s: %s", path, strerror(errno));
        return CLI_IOERR;
    }
    ok = fputs(a, f) >= 0 && (!b || fputs(b, f) >= 0);
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        cli_err("plugin new: cannot write %s", path);
        return CLI_IOERR;
    }
    chmod(path, mode);
    return CLI_OK;
}

/* The SDK's template directory of this polydm (see the top comment). */
static bool default_templates(char out[PATH_MAX])
{
    const char *prof = pdm_default_profile();
    const char *end = prof ? prof + strlen(prof) : NULL;
    int n;
    /* <datadir>/polydm/profiles/default.profile -> <datadir>/polydm */
    for (int up = 0; end && up < 2; up++) {
        while (end > prof && end[-1] != '/')
            end--;
        end = end > prof ? end - 1 : NULL;
    }
    if (!end)
        return false;
    n = snprintf(out, PATH_MAX, "%.*s/templates", (int)(end - prof), prof);
    return n > 0 && n < PATH_MAX;
}

/* The sample profile: the default profile, then @section.  For an
 * authority, `authority = NAME` replaces the [profile] section's line (or
 * is added to it), so the new plugin is the active authority. */
static int write_profile(const char *path, const char *base, size_t blen,
                         const char *section, const subst *v)
{
    FILE *f = fopen(path, "w");
    bool in_profile = false, done = strcmp(v->kind, "authority") != 0;
    size_t i = 0;
    int ok = 1;
    if (!f) {
        cli_err("plugin new: cannot create %s: %s", path, strerror(errno));
        return CLI_IOERR;
    }
    while (i < blen) {
        const char *line = base + i, *nl = memchr(line, '\n', blen - i);
        size_t len = nl ? (size_t)(nl - line) : blen - i;
        const char *t = line;
        i += len + (nl != NULL);
        while (t < line + len && (*t == ' ' || *t == '\t'))
            t++;
        if (*t == '[') {
            if (in_profile && !done) { /* [profile] had no authority line */
                ok = ok && fprintf(f, "authority = %s\n", v->name) >= 0;
                done = true;
            }
            in_profile = strncmp(t, "[profile]", 9) == 0;
        } else if (in_profile && !done && strncmp(t, "authority", 9) == 0 &&
                   strspn(t + 9, " \t") + t + 9 < line + len &&
                   t[9 + strspn(t + 9, " \t")] == '=') {
            ok = ok && fprintf(f, "authority = %s\n", v->name) >= 0;
            done = true;
            continue;
        }
        ok = ok && fwrite(line, 1, len, f) == len && fputc('\n', f) != EOF;
    }
    if (!done)
        ok = ok && fprintf(f, "authority = %s\n", v->name) >= 0;
    ok = ok && fprintf(f, "\n%s", section) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        cli_err("plugin new: cannot write %s", path);
        return CLI_IOERR;
    }
    return CLI_OK;
}

/* Copies every file of @src into @dst, expanded.  The sample profile is
 * the default profile followed by the template's profile-section. */
static int copy_templates(const char *src, const char *dst, const subst *v)
{
    DIR *d = opendir(src);
    struct dirent *e;
    int rc = CLI_OK;
    if (!d) {
        cli_err("plugin new: no templates in %s: %s", src, strerror(errno));
        return CLI_IOERR;
    }
    while (rc == CLI_OK && (e = readdir(d)) != NULL) {
        char in[PATH_MAX], out[PATH_MAX];
        uint8_t *data = NULL, *base = NULL;
        size_t len = 0, blen = 0;
        char *text = NULL, *fname = NULL;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(in, sizeof in, "%s/%s", src, e->d_name) >= (int)sizeof in ||
            stat(in, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (cli_read_file(in, 1 << 20, &data, &len) != PDM_OK) {
            cli_err("plugin new: cannot read template %s", in);
            rc = CLI_IOERR;
            break;
        }
        text = expand((const char *)data, len, v);
        bool section = strcmp(e->d_name, "profile-section") == 0;
        fname = section ? expand("@NAME@.profile", 14, v)
                        : expand(e->d_name, strlen(e->d_name), v);
        if (!text || !fname) {
            cli_err("plugin new: out of memory");
            rc = CLI_REFUSED;
        } else if (snprintf(out, sizeof out, "%s/%s", dst, fname) >=
                   (int)sizeof out) {
            cli_err("plugin new: path too long: %s/%s", dst, fname);
            rc = CLI_USAGE;
        } else if (section) {
            const char *prof = pdm_default_profile();
            if (!prof || cli_read_file(prof, 1 << 20, &base, &blen) != PDM_OK ||
                memchr(base, '\0', blen)) {
                cli_err("plugin new: cannot read the default profile %s",
                        prof ? prof : "(none)");
                rc = CLI_IOERR;
            } else {
                rc = write_profile(out, (const char *)base, blen, text, v);
            }
        } else {
            rc = write_file(out, text, NULL, st.st_mode & 0755);
        }
        free(base);
        free(data);
        free(text);
        free(fname);
    }
    closedir(d);
    return rc;
}

static int plugin_new(cli *c, int argc, char **argv)
{
    const char *name = NULL, *kind = NULL, *dir = NULL, *tdir = NULL;
    char cname[64], tmpl[PATH_MAX], kdir[PATH_MAX], cdir[PATH_MAX];
    char dbuf[PATH_MAX], absdir[PATH_MAX];
    bool force = false, known = false;
    struct stat st;
    subst v;
    int rc;
    (void)c;
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_cmd_help(&cli_plugin_new_cmds[0], stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
            continue;
        } else if (strcmp(argv[i], "--kind") == 0) {
            slot = &kind;
        } else if (strcmp(argv[i], "--dir") == 0) {
            slot = &dir;
        } else if (strcmp(argv[i], "--templates") == 0) {
            slot = &tdir;
        } else if (argv[i][0] == '-') {
            cli_err("plugin new: unknown option '%s' (see polydm plugin new "
                    "--help)", argv[i]);
            return CLI_USAGE;
        } else if (!name) {
            name = argv[i];
            continue;
        } else {
            cli_err("plugin new: unexpected argument '%s'", argv[i]);
            return CLI_USAGE;
        }
        if (i + 1 >= argc) {
            cli_err("plugin new: %s needs a value", argv[i]);
            return CLI_USAGE;
        }
        *slot = argv[++i];
    }
    if (!name || !kind) {
        cli_err("plugin new: expected NAME and --kind "
                "bootstrap|authority|policy|mo (see --help)");
        return CLI_USAGE;
    }
    if (!valid_name(name)) {
        cli_err("plugin new: bad plugin name '%s': a lower-case letter, then "
                "lower-case letters, digits and '-' (at most 48, not ending "
                "in '-'); `core` and `agent` are reserved", name);
        return CLI_USAGE;
    }
    for (size_t k = 0; kinds[k]; k++)
        known = known || strcmp(kind, kinds[k]) == 0;
    if (!known) {
        cli_err("plugin new: unknown kind '%s' (bootstrap, authority, policy "
                "or mo)", kind);
        return CLI_USAGE;
    }
    if (!tdir) {
        if (!default_templates(tmpl)) {
            cli_err("plugin new: cannot locate the SDK templates (use "
                    "--templates DIR)");
            return CLI_IOERR;
        }
        tdir = tmpl;
    }
    if (snprintf(kdir, sizeof kdir, "%s/%s", tdir, kind) >= (int)sizeof kdir ||
        stat(kdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_err("plugin new: no %s template in %s (is the dev package "
                "installed?)", kind, tdir);
        return CLI_IOERR;
    }
    if (!dir) {
        snprintf(dbuf, sizeof dbuf, "%s", name);
        dir = dbuf;
    }
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            cli_err("plugin new: %s exists and is not a directory", dir);
            return CLI_USAGE;
        }
        if (!force) {
            cli_err("plugin new: %s already exists (use --force to write "
                    "into it)", dir);
            return CLI_USAGE;
        }
    } else if (mkdir(dir, 0755) != 0) {
        cli_err("plugin new: cannot create %s: %s", dir, strerror(errno));
        return CLI_IOERR;
    }
    snprintf(cname, sizeof cname, "%s", name);
    for (char *p = cname; *p; p++)
        if (*p == '-')
            *p = '_';
    v.name = name;
    v.cname = cname;
    v.kind = kind;
    if (!realpath(dir, absdir)) {
        cli_err("plugin new: %s: %s", dir, strerror(errno));
        return CLI_IOERR;
    }
    v.dir = absdir;
    for (size_t i = 0;; i++)
        if (!session_args[i].kind || !strcmp(session_args[i].kind, kind)) {
            v.session_cmake = session_args[i].cmake;
            v.session_opt = session_args[i].opt;
            break;
        }
    /* common/ first: a kind's own file of the same name replaces it. */
    if (snprintf(cdir, sizeof cdir, "%s/common", tdir) >= (int)sizeof cdir) {
        cli_err("plugin new: path too long: %s", tdir);
        return CLI_USAGE;
    }
    rc = copy_templates(cdir, dir, &v);
    if (rc == CLI_OK)
        rc = copy_templates(kdir, dir, &v);
    if (rc == CLI_OK)
        printf("wrote %s plugin %s in %s (see %s/README.md)\n", kind, name,
               dir, dir);
    return rc;
}
