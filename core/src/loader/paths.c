/*
 * Where this libpolydm's shipped files are: the directories searched for
 * plugin modules and the default profile (issue 15 item 1: relocatable
 * installs).  Nothing is taken from the configure-time prefix alone, so
 * that `cmake --install --prefix /tmp/x` followed by `mv /tmp/x /opt/y`
 * still finds everything.
 *
 * The anchor is the file that holds this code: libpolydm.so for an
 * integrator, the executable itself when the core is linked in (the polydm
 * CLI, a static firmware image).  dladdr() names the shared object; for
 * the main program (glibc reports it with an empty link-map name) and
 * when dladdr knows nothing (a fully static executable), the anchor is
 * /proc/self/exe.  From the anchor's directory, in this order:
 *
 *  1. A build tree: the directory holds the marker file
 *     `polydm-build-tree` (written by core/CMakeLists.txt next to
 *     libpolydm.so and the CLI, never installed).  Its lines
 *     `plugins=DIR` and `profiles=DIR`, relative to the marker's
 *     directory, are used alone: a binary of the build tree never picks
 *     up an installed polydm's plugins.
 *  2. An install: the install layout's relative paths from the library
 *     directory (or, for an executable, the binary directory) to the
 *     plugin and profile directories, computed by CMake from
 *     CMAKE_INSTALL_LIBDIR/BINDIR and the plugin/profile install dirs
 *     (PDM_REL_LIB_* / PDM_REL_BIN_*), then
 *  3. the configured absolute directories (PDM_DEFAULT_PLUGIN_DIR,
 *     PDM_DEFAULT_PROFILE_DIR) as the fallback, when they differ.
 *
 * Computed once per process (pthread_once); the answers are static
 * strings.  docs/integrator-guide.md ("Where polydm finds its plugins and
 * profiles") documents the order.
 */
#define _GNU_SOURCE /* dladdr1, RTLD_DL_LINKMAP */
#include <polydm/polydm.h>

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define MARKER "polydm-build-tree"
#define DEFAULT_PROFILE "default.profile"

static pthread_once_t paths_once = PTHREAD_ONCE_INIT;
static char plugin_path[2 * PATH_MAX + 2];
static char profile_file[PATH_MAX + sizeof DEFAULT_PROFILE + 1];

/* Only its address is used: the anchor of the object holding the core. */
static const char anchor = 0;

/* realpath() of the file holding this code and whether it is the main
 * program.  False when neither dladdr nor /proc/self/exe tells. */
static bool anchor_file(char out[PATH_MAX], bool *is_exe)
{
    Dl_info info;
    struct link_map *lm = NULL;
    *is_exe = true;
#ifdef __GLIBC__
    if (dladdr1(&anchor, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm &&
        lm->l_name && lm->l_name[0]) {
        *is_exe = false;
        return realpath(lm->l_name, out) != NULL;
    }
#else
    (void)lm;
    if (dladdr(&anchor, &info) && info.dli_fname &&
        strchr(info.dli_fname, '/')) {
        char exe[PATH_MAX];
        if (!realpath(info.dli_fname, out))
            return false;
        *is_exe = realpath("/proc/self/exe", exe) && strcmp(exe, out) == 0;
        return true;
    }
#endif
    return realpath("/proc/self/exe", out) != NULL;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir "/" rel into out (PATH_MAX); false when it does not fit. */
static bool join(char *out, const char *dir, const char *rel)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);
    return n > 0 && n < PATH_MAX;
}

/* The marker's `key=` value joined to @dir, or false (no marker, no such
 * line).  Lines are at most PATH_MAX; '#' starts a comment line. */
static bool marker_value(const char *dir, const char *key, char *out)
{
    char path[PATH_MAX], line[PATH_MAX];
    size_t kl = strlen(key);
    bool found = false;
    FILE *f;
    if (!join(path, dir, MARKER) || !(f = fopen(path, "r")))
        return false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, key, kl) == 0 && line[kl] == '=' && line[kl + 1])
            found = join(out, dir, line + kl + 1);
    }
    fclose(f);
    return found;
}

/* Appends @dir to the colon-separated plugin_path unless it is there. */
static void add_plugin_dir(const char *dir)
{
    size_t have = strlen(plugin_path), n = strlen(dir);
    const char *s = plugin_path;
    while (*s) {
        size_t l = strcspn(s, ":");
        if (l == n && memcmp(s, dir, n) == 0)
            return;
        s += l;
        if (*s == ':')
            s++;
    }
    if (have + n + 2 > sizeof plugin_path)
        return;
    if (have)
        plugin_path[have++] = ':';
    memcpy(plugin_path + have, dir, n + 1);
}

/* Canonical form of an existing directory (so that the relative and the
 * configured directory compare equal when they are the same), else
 * @dir as it is. */
static void add_plugin_dir_canon(const char *dir)
{
    char canon[PATH_MAX];
    add_plugin_dir(is_dir(dir) && realpath(dir, canon) ? canon : dir);
}

/* profile_file = the default profile in directory @dir (canonical when
 * it exists). */
static void set_profile(const char *dir)
{
    char canon[PATH_MAX];
    snprintf(profile_file, sizeof profile_file, "%s/%s",
             is_dir(dir) && realpath(dir, canon) ? canon : dir,
             DEFAULT_PROFILE);
}

static void compute_paths(void)
{
    char self[PATH_MAX], dir[PATH_MAX], p[PATH_MAX];
    const char *rel_plugins = NULL, *rel_profiles = NULL;
    const char *configured_profiles = NULL;
    bool is_exe = false, have_dir = anchor_file(self, &is_exe);
    char *slash;

    plugin_path[0] = profile_file[0] = '\0';
    if (have_dir && (slash = strrchr(self, '/')) != NULL) {
        *slash = '\0';
        pdm__strlcpy(dir, self[0] ? self : "/", sizeof dir);
    } else {
        have_dir = false;
    }

    /* 1. the build tree: its directories alone. */
    if (have_dir && marker_value(dir, "plugins", p)) {
        add_plugin_dir_canon(p);
        if (marker_value(dir, "profiles", p))
            set_profile(p);
        return;
    }

    /* 2. relative to the installed library or executable. */
#if defined(PDM_REL_LIB_PLUGINS) && defined(PDM_REL_BIN_PLUGINS)
    rel_plugins = is_exe ? PDM_REL_BIN_PLUGINS : PDM_REL_LIB_PLUGINS;
    rel_profiles = is_exe ? PDM_REL_BIN_PROFILES : PDM_REL_LIB_PROFILES;
#endif
    if (have_dir && rel_plugins && join(p, dir, rel_plugins))
        add_plugin_dir_canon(p);
    if (have_dir && rel_profiles && join(p, dir, rel_profiles))
        set_profile(p);

    /* 3. the configured directories, as the fallback. */
#ifdef PDM_DEFAULT_PLUGIN_DIR
    add_plugin_dir_canon(PDM_DEFAULT_PLUGIN_DIR);
#endif
#ifdef PDM_DEFAULT_PROFILE_DIR
    configured_profiles = PDM_DEFAULT_PROFILE_DIR "/" DEFAULT_PROFILE;
#endif
    /* The relative profile wins when it exists (or nothing else does). */
    if (configured_profiles &&
        (!profile_file[0] ||
         (!is_file(profile_file) && is_file(configured_profiles))))
        pdm__strlcpy(profile_file, configured_profiles, sizeof profile_file);
}

PDM_API const char *pdm_default_plugin_path(void)
{
    pthread_once(&paths_once, compute_paths);
    return plugin_path;
}

PDM_API const char *pdm_default_profile(void)
{
    pthread_once(&paths_once, compute_paths);
    return profile_file;
}
