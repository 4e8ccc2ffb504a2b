/*
 * Loader tests: the ABI acceptance rules and the init/create/destroy/fini
 * pairing, with fixture plugins that misbehave (tests/loader/fixtures).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cu_main.h"
#include "loader/loader.h"
#include "profile/profile.h"
#include "util/util.h"

#define FX(name) FX_DIR "/" name ".so"

static char logbuf[4096];

static void rec_log(void *user, int level, const char *comp, const char *msg)
{
    (void)user;
    (void)level;
    if (strcmp(comp, "loader") == 0)
        return;
    snprintf(logbuf + strlen(logbuf), sizeof logbuf - strlen(logbuf),
             "%s:%s;", comp, msg);
}

/* Opens a fixture (with @o, NULL = in process) and returns rc; *msg gets
 * the first diagnostic. */
static int open_fx_with(const char *path, const pdm__open_opts *o,
                        pdm__plugin **out, char *msg, size_t n)
{
    pdm__diag d;
    int rc;
    pdm__diag_init(&d);
    rc = pdm__plugin_open(out, NULL, path, NULL, o, &d, NULL, 0);
    msg[0] = '\0';
    if (d.head)
        pdm__strlcpy(msg, d.head->msg, n);
    pdm__diag_free(&d);
    return rc;
}

static int open_fx(const char *path, pdm__plugin **out, char *msg, size_t n)
{
    return open_fx_with(path, NULL, out, msg, n);
}

static const pdm__open_opts isolated = {false, true, 2000};

static void expect_refused_with(const char *path, const pdm__open_opts *o,
                                int want, const char *needle)
{
    pdm__plugin *p = (pdm__plugin *)1;
    char msg[512];
    int rc = open_fx_with(path, o, &p, msg, sizeof msg);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NULL(p);
    if (!strstr(msg, needle) || !strstr(msg, ".so")) {
        fprintf(stderr, "\n  %s: message '%s' lacks '%s'\n", path, msg, needle);
        CU_FAIL("refusal message");
    }
}

/* Every refusal is the same whether the descriptor is read here or in a
 * child process. */
static void expect_refused(const char *path, const char *needle)
{
    expect_refused_with(path, NULL, PDM_EABI, needle);
    expect_refused_with(path, &isolated, PDM_EABI, needle);
}

/* A well-formed plugin opens with its components and vtables copied. */
static void test_loader__good(void)
{
    pdm__plugin *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(open_fx(FX("fx-good"), &p, msg, sizeof msg), PDM_OK);
    PDM_ASSERT_STR(p->name, "fx-good");
    PDM_ASSERT_STR(p->desc.version, "1.2.3");
    CU_ASSERT_EQUAL(p->ncomps, 4);
    CU_ASSERT_EQUAL(p->comps[0].kind, PDM_KIND_POLICY);
    CU_ASSERT_PTR_NOT_NULL(p->comps[0].ops.policy.check);
    CU_ASSERT_EQUAL(p->comps[3].kind, PDM_KIND_MO);
    PDM_ASSERT_STR(p->comps[3].mo_base, "./FxGood");
    CU_ASSERT_FALSE(p->inited); /* open never runs init */
    pdm__plugin_close(p);
}

/* Each ABI violation is refused with a reason that names the file. */
static void test_loader__refusals(void)
{
    expect_refused(FX("fx-bad-major"), "major version differs");
    expect_refused(FX("fx-newer-minor"), "newer than this polydm");
    expect_refused(FX("fx-short-desc"), "smaller than the ABI 1.0 descriptor");
    expect_refused(FX("fx-no-entry"), "no entry symbol 'pdm_plugin_entry'");
    expect_refused(FX("fx-entry-null"), "entry function returned NULL");
    expect_refused(FX("fx-null-vtable"), "NULL vtable");
    expect_refused(FX("fx-wrong-kind"), "declared as mo but its vtable says kind 3");
    expect_refused(FX("fx-short-vtable"), "smaller than ABI 1.0");
    expect_refused(FX("fx-unknown-kind"), "unknown kind 99");
    expect_refused(FX("fx-misnamed"), "does not match the file name");
    /* its key/value data would be the core's own */
    expect_refused(FX("core"), "plugin name 'core' is reserved");
}

/* Reserved slots and unknown flag bits are refused at load, naming the
 * plugin, the component (or option, node) and the field. */
static void test_loader__reserved(void)
{
    expect_refused(FX("fx-reserved-comp"),
                   "plugin 'fx-reserved-comp', component 'pol': reserved[1] "
                   "must be NULL");
    expect_refused(FX("fx-comp-flags"),
                   "plugin 'fx-comp-flags', component 'pol': flags is 0x4, "
                   "must be 0");
    expect_refused(FX("fx-reserved-node"),
                   "plugin 'fx-reserved-node', component 'mo', node 'Leaf': "
                   "reserved[0] must be NULL");
    expect_refused(FX("fx-reserved-option"),
                   "plugin 'fx-reserved-option', option 'mode': reserved0 "
                   "must be 0");
}

/* Read in a child process, a plugin gives the same data as in process,
 * and none of its code runs here: constructors (a marker with the pid), a
 * crash, an abort, a hang are the child's. */
static void test_loader__isolated(void)
{
    pdm__plugin *p;
    char msg[512], marker[600], buf[32] = "";
    FILE *f;
    CU_ASSERT_EQUAL_FATAL(open_fx_with(FX("fx-good"), &isolated, &p, msg,
                                       sizeof msg),
                          PDM_OK);
    PDM_ASSERT_STR(p->name, "fx-good");
    PDM_ASSERT_STR(p->desc.version, "1.2.3");
    CU_ASSERT_PTR_NULL(p->dl);
    CU_ASSERT_EQUAL(p->ncomps, 4);
    CU_ASSERT_EQUAL(p->comps[0].kind, PDM_KIND_POLICY);
    PDM_ASSERT_STR(p->comps[0].name, "pol");
    PDM_ASSERT_STR(p->comps[3].mo_base, "./FxGood");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p->desc.options);
    PDM_ASSERT_STR(p->desc.options[0].key, "color");
    PDM_ASSERT_STR(p->desc.options[0].def, "blue");
    CU_ASSERT_EQUAL(p->desc.options[1].flags, PDM_OPTION_REQUIRED);
    PDM_ASSERT_STR(p->desc.options[2].key, "password");
    CU_ASSERT_EQUAL(p->desc.options[2].flags, PDM_OPTION_SECRET);
    CU_ASSERT_PTR_NULL(p->desc.options[3].key);
    pdm__plugin_close(p);

    snprintf(marker, sizeof marker, "%s/ctor-marker", pdm_test_tmpdir());
    remove(marker);
    setenv("FX_MARKER", marker, 1);
    CU_ASSERT_EQUAL_FATAL(open_fx_with(FX("fx-ctor-marker"), &isolated, &p,
                                       msg, sizeof msg),
                          PDM_OK);
    pdm__plugin_close(p);
    f = fopen(marker, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof buf, f));
    fclose(f);
    CU_ASSERT_NOT_EQUAL(strtol(buf, NULL, 10), (long)getpid());
    unsetenv("FX_MARKER");

    /* SIGSEGV (SIGABRT under a sanitizer, which catches it) */
    expect_refused_with(FX("fx-entry-crash"), &isolated, PDM_EABI,
                        "crashed while its descriptor was read (signal ");
    expect_refused_with(FX("fx-ctor-abort"), &isolated, PDM_EABI,
                        "crashed while its descriptor was read (signal 6");
    {
        pdm__open_opts quick = {false, true, 300};
        expect_refused_with(FX("fx-ctor-hang"), &quick, PDM_ETIMEOUT,
                            "did not finish within 300 ms");
    }
}

/* Copies fixture @name into the directory @dir (mode 0755), mode 0644. */
static void copy_fx(const char *name, const char *dir, char *out, size_t n)
{
    char src[600], buf[8192];
    FILE *in, *o;
    size_t k;
    mkdir(dir, 0755);
    CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
    snprintf(src, sizeof src, FX_DIR "/%s.so", name);
    snprintf(out, n, "%s/%s.so", dir, name);
    in = fopen(src, "rb");
    o = fopen(out, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, k, o);
    fclose(in);
    fclose(o);
    CU_ASSERT_EQUAL(chmod(out, 0644), 0);
}

/* A module that others than root and its user can change is refused
 * (the file, its directory, a directory above it), in process and
 * isolated, before any of it is loaded; plugin_strict_modes = false makes
 * it a warning. */
static void test_loader__strict_modes(void)
{
    static const pdm__open_opts strict_iso = {false, true, 2000};
    static const pdm__open_opts relaxed = {true, false, 0};
    char dir[600], sub[700], mod[800], msg[512], marker[600];
    pdm__plugin *p;
    pdm__diag d;
    snprintf(dir, sizeof dir, "%s/modes", pdm_test_tmpdir());
    snprintf(sub, sizeof sub, "%s/plugins", dir);
    mkdir(dir, 0755);
    copy_fx("fx-ctor-marker", sub, mod, sizeof mod);
    snprintf(marker, sizeof marker, "%s/modes-marker", pdm_test_tmpdir());
    setenv("FX_MARKER", marker, 1);

    CU_ASSERT_EQUAL(open_fx_with(mod, NULL, &p, msg, sizeof msg), PDM_OK);
    pdm__plugin_close(p);
    remove(marker);

    CU_ASSERT_EQUAL(chmod(mod, 0664), 0);
    expect_refused_with(mod, NULL, PDM_EFORBIDDEN,
                        "is writable by its group (mode 0664)");
    expect_refused_with(mod, &strict_iso, PDM_EFORBIDDEN, "refused: the module");
    CU_ASSERT_EQUAL(chmod(mod, 0646), 0);
    expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "writable by others");
    CU_ASSERT_EQUAL(access(marker, F_OK), -1); /* nothing of it ran */

    /* Relaxed: loaded, with a warning that names the problem. */
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(pdm__plugin_open(&p, NULL, mod, NULL, &relaxed, &d,
                                     "t.profile", 3),
                    PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    CU_ASSERT_EQUAL(d.warnings, 1);
    CU_ASSERT(d.head && strstr(d.head->msg, "plugin_strict_modes = false"));
    pdm__plugin_close(p);
    pdm__diag_free(&d);
    remove(marker);
    CU_ASSERT_EQUAL(chmod(mod, 0644), 0);

    /* Its directory, then a directory above it (even sticky: only the
     * root-owned sticky /tmp kind is accepted above the module's own). */
    CU_ASSERT_EQUAL(chmod(sub, 0777), 0);
    expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "its directory");
    CU_ASSERT_EQUAL(chmod(sub, 01777), 0);
    expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "its directory");
    CU_ASSERT_EQUAL(chmod(sub, 0755), 0);
    CU_ASSERT_EQUAL(chmod(dir, 0775), 0);
    expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "the directory");
    if (geteuid() == 0) {
        CU_ASSERT_EQUAL(chmod(dir, 01777), 0);
        CU_ASSERT_EQUAL(open_fx_with(mod, NULL, &p, msg, sizeof msg), PDM_OK);
        pdm__plugin_close(p);
        CU_ASSERT_EQUAL(chown(dir, 4242, 0), 0);
        expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "owned by uid 4242");
        CU_ASSERT_EQUAL(chown(dir, 0, 0), 0);
        CU_ASSERT_EQUAL(chown(mod, 4242, 0), 0);
        expect_refused_with(mod, NULL, PDM_EFORBIDDEN, "owned by uid 4242");
        CU_ASSERT_EQUAL(chown(mod, 0, 0), 0);
    }
    CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
    CU_ASSERT_EQUAL(open_fx_with(mod, NULL, &p, msg, sizeof msg), PDM_OK);
    pdm__plugin_close(p);
    unsetenv("FX_MARKER");
}

/* A descriptor larger than the core knows (same minor) is accepted and only
 * the known part is used. */
static void test_loader__larger_descriptor(void)
{
    pdm__plugin *p;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(open_fx(FX("fx-larger-desc"), &p, msg, sizeof msg),
                          PDM_OK);
    CU_ASSERT(p->desc_size > sizeof(pdm_plugin_desc));
    PDM_ASSERT_STR(p->desc.name, "fx-larger-desc");
    pdm__plugin_close(p);
}

/* A missing file and a missing plugin name are reported as not found. */
static void test_loader__not_found(void)
{
    pdm__plugin *p;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(pdm__plugin_open(&p, NULL, FX_DIR "/nope.so", NULL, NULL,
                                     &d, "x.profile", 7),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__plugin_open(&p, "nope", NULL, FX_DIR, NULL, &d,
                                     "x.profile", 8),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(d.errors, 2);
    CU_ASSERT_EQUAL(d.head->line, 7);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.tail->msg, "unknown plugin 'nope'"));
    pdm__diag_free(&d);
}

static pdm__profile *profile_from(const char *text, pdm__diag *d)
{
    pdm__profile *p = NULL;
    pdm__profile_parse(&p, "t.profile", FX_DIR, text, strlen(text), d);
    return p;
}

static int start(const char *text, pdm__plugins *set, pdm__diag *d)
{
    pdm__logger lg = {rec_log, NULL, PDM_LOG_DEBUG};
    pdm__profile *p = profile_from(text, d);
    int rc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    logbuf[0] = '\0';
    rc = pdm__plugins_start(set, p, FX_DIR, NULL, &lg, d);
    if (rc == PDM_OK)
        pdm__plugins_stop(set);
    pdm__profile_free(p);
    return rc;
}

/* init/create on start, destroy/fini on stop, each exactly once. */
static void test_loader__lifecycle(void)
{
    pdm__plugins set;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(start("[profile]\nid = t\n[plugin fx-good]\n"
                          "option.needed = yes\n",
                          &set, &d),
                    PDM_OK);
    PDM_ASSERT_STR(logbuf, "fx-good:init;fx-good:create;fx-good:destroy;"
                           "fx-good:fini plugin-data;");
    CU_ASSERT_EQUAL(d.errors, 0);
    pdm__diag_free(&d);
}

/* init failing: refused with the plugin's reason, fini never called. */
static void test_loader__init_fails(void)
{
    pdm__plugins set;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(start("[profile]\nid = t\n[plugin fx-init-fails]\n", &set,
                          &d),
                    PDM_EIO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d.head);
    PDM_ASSERT_STR(d.head->msg, "plugin 'fx-init-fails' failed to initialise: "
                                "cannot open /dev/fixture");
    CU_ASSERT_EQUAL(d.head->line, 3);
    PDM_ASSERT_STR(logbuf, "");
    pdm__diag_free(&d);
}

/* create failing: earlier instances destroyed, no destroy for the failed
 * one, fini runs because init succeeded. */
static void test_loader__create_fails(void)
{
    pdm__plugins set;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(start("[profile]\nid = t\n[plugin fx-create-fails]\n",
                          &set, &d),
                    PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d.head);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.head->msg, "option.mode is wrong"));
    PDM_ASSERT_STR(logbuf, "fx-create-fails:init;fx-create-fails:create;"
                           "fx-create-fails:destroy;"
                           "fx-create-fails:fini plugin-data;");
    pdm__diag_free(&d);
}

static int alert_calls;
static char alert_server[64];

static int stub_alert(void *user, const char *plugin,
                      const pdm_generic_alert *ga)
{
    (void)user;
    (void)plugin;
    alert_calls++;
    pdm__strlcpy(alert_server, ga->server_id ? ga->server_id : "(null)",
                 sizeof alert_server);
    return PDM_OK;
}

/* host->generic_alert reads only what the plugin's struct_size covers: a
 * struct that ends before server_id (ABI 1.0 has it) is refused instead
 * of reading a server id from whatever follows it; a larger one (newer
 * plugin) is read as far as the core knows it. */
static void test_loader__alert_struct_size(void)
{
    pdm__services svc = {.generic_alert = stub_alert};
    pdm__logger lg = {rec_log, NULL, PDM_LOG_DEBUG};
    pdm__plugins set;
    pdm__diag d;
    pdm__profile *p;
    struct {
        pdm_generic_alert ga;
        char future[16];
    } big;
    pdm_plugin_ctx *pc;
    pdm__diag_init(&d);
    p = profile_from("[profile]\nid = t\n[plugin fx-good]\noption.needed = 1\n",
                     &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL_FATAL(pdm__plugins_start(&set, p, FX_DIR, &svc, &lg, &d),
                          PDM_OK);
    pc = &set.v[0]->ctx;
    memset(&big, 0, sizeof big);
    big.ga.type = "urn:x";
    big.ga.format = "chr";
    big.ga.server_id = "victim"; /* beyond the declared struct */
    big.ga.struct_size = offsetof(pdm_generic_alert, server_id);
    alert_calls = 0;
    CU_ASSERT_EQUAL(pdm__host_table()->generic_alert(pc, &big.ga), PDM_EINVAL);
    CU_ASSERT_EQUAL(alert_calls, 0);
    big.ga.struct_size = sizeof big;
    memset(big.future, 0x55, sizeof big.future);
    CU_ASSERT_EQUAL(pdm__host_table()->generic_alert(pc, &big.ga), PDM_OK);
    CU_ASSERT_EQUAL(alert_calls, 1);
    PDM_ASSERT_STR(alert_server, "victim");
    big.ga.reserved0 = 1;
    CU_ASSERT_EQUAL(pdm__host_table()->generic_alert(pc, &big.ga), PDM_EINVAL);
    CU_ASSERT_EQUAL(alert_calls, 1);
    pdm__plugins_stop(&set);
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* The engine's side of host->ask_pin, steered by the test. */
static int pin_calls, pin_rc, pin_tries;
static const char *pin_answer; /* written as is (may fill the buffer) */
static char pin_plugin[64], pin_text[256];

static int stub_pin(void *user, const char *plugin, const char *text,
                    int tries_left, char *buf, size_t size)
{
    (void)user;
    pin_calls++;
    pin_tries = tries_left;
    pdm__strlcpy(pin_plugin, plugin, sizeof pin_plugin);
    pdm__strlcpy(pin_text, text, sizeof pin_text);
    if (pin_answer)
        memcpy(buf, pin_answer,
               strlen(pin_answer) + 1 < size ? strlen(pin_answer) + 1 : size);
    return pin_rc;
}

/* host->ask_pin's own checks, before the engine sees anything: the
 * text (NULL, empty, two lines, a control character, over 200 bytes),
 * the buffer; an empty answer is a cancel, a failing hook's partial
 * answer is wiped, the buffer always ends in NUL, and without the
 * engine's service the answer is PDM_ENOTSUP. */
static void test_loader__ask_pin_arguments(void)
{
    pdm__services svc = {.ask_pin = stub_pin};
    pdm__logger lg = {rec_log, NULL, PDM_LOG_DEBUG};
    const pdm_host_api *h = pdm__host_table();
    pdm__plugins set;
    pdm__diag d;
    pdm__profile *p;
    pdm_plugin_ctx *pc;
    char buf[8], longtext[202];
    static const char *const bad[] = {"", "two\nlines", "tab\there",
                                      "bell\a", "bad utf-8 \xC3("};
    pdm__diag_init(&d);
    p = profile_from("[profile]\nid = t\n[plugin fx-good]\noption.needed = 1\n",
                     &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL_FATAL(pdm__plugins_start(&set, p, FX_DIR, &svc, &lg, &d),
                          PDM_OK);
    pc = &set.v[0]->ctx;
    CU_ASSERT_TRUE(PDM_HOST_HAS(h, ask_pin));
    pin_calls = 0;
    pin_rc = PDM_OK;
    pin_answer = "1234";

    /* bad arguments: the hook is not asked, buf is "" */
    memset(buf, 'x', sizeof buf);
    CU_ASSERT_EQUAL(h->ask_pin(pc, NULL, 3, buf, sizeof buf), PDM_EINVAL);
    PDM_ASSERT_STR(buf, "");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(buf, 'x', sizeof buf);
        CU_ASSERT_EQUAL(h->ask_pin(pc, bad[i], 3, buf, sizeof buf),
                        PDM_EINVAL);
        PDM_ASSERT_STR(buf, "");
    }
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0'; /* 201 bytes */
    CU_ASSERT_EQUAL(h->ask_pin(pc, longtext, 3, buf, sizeof buf), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, NULL, 8), PDM_EINVAL);
    buf[0] = 'x';
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, buf, 0), PDM_EINVAL);
    CU_ASSERT_EQUAL(buf[0], 'x'); /* size 0: not written */
    CU_ASSERT_EQUAL(h->ask_pin(NULL, "PIN?", 3, buf, sizeof buf), PDM_EINVAL);
    CU_ASSERT_EQUAL(pin_calls, 0);

    /* 200 bytes is still one line to show */
    longtext[200] = '\0';
    CU_ASSERT_EQUAL(h->ask_pin(pc, longtext, 3, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "1234");
    CU_ASSERT_EQUAL(pin_calls, 1);
    PDM_ASSERT_STR(pin_plugin, "fx-good");
    CU_ASSERT_EQUAL(pin_tries, 3);
    /* UTF-8 text; tries_left below -1 is "unknown" */
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN der Karte \xC3\xBC", -7, buf,
                               sizeof buf), PDM_OK);
    PDM_ASSERT_STR(pin_text, "PIN der Karte \xC3\xBC");
    CU_ASSERT_EQUAL(pin_tries, -1);
    /* an answer that fills the buffer is cut, NUL-terminated */
    pin_answer = "123456789012";
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "1234567");
    /* empty answer: cancelled */
    pin_answer = "";
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, buf, sizeof buf),
                    PDM_ECANCELLED);
    PDM_ASSERT_STR(buf, "");
    /* a failing hook's partial answer is wiped; a positive rc is an
     * error (only 0 is success) */
    pin_answer = "99";
    pin_rc = PDM_EIO;
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, buf, sizeof buf), PDM_EIO);
    CU_ASSERT_EQUAL(memcmp(buf, "\0\0\0", 3), 0);
    pin_rc = 7;
    CU_ASSERT_EQUAL(h->ask_pin(pc, "PIN?", 3, buf, sizeof buf), PDM_ERROR);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(pin_calls, 6);
    pdm__plugins_stop(&set);

    /* no engine service behind the table */
    svc.ask_pin = NULL;
    CU_ASSERT_EQUAL_FATAL(pdm__plugins_start(&set, p, FX_DIR, &svc, &lg, &d),
                          PDM_OK);
    memset(buf, 'x', sizeof buf);
    CU_ASSERT_EQUAL(h->ask_pin(&set.v[0]->ctx, "PIN?", 3, buf, sizeof buf),
                    PDM_ENOTSUP);
    PDM_ASSERT_STR(buf, "");
    pdm__plugins_stop(&set);
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

static const pdm__diag_item *find_diag(const pdm__diag *d, const char *needle)
{
    for (const pdm__diag_item *it = d->head; it; it = it->next)
        if (strstr(it->msg, needle))
            return it;
    return NULL;
}

/* Offline profile check: options, MO bases, authority reference. */
static void test_loader__check_profile(void)
{
    pdm__diag d;
    const pdm__diag_item *it;
    pdm__profile *p;
    pdm__diag_init(&d);
    p = profile_from("[profile]\n"                 /* 1 */
                     "id = t\n"                    /* 2 */
                     "authority = fx-good/pol\n"   /* 3 */
                     "[plugin fx-good]\n"          /* 4 */
                     "option.colour = red\n"       /* 5 */
                     "mo.mo.base = ./DevInfo/Ext\n" /* 6 */
                     "mo.pol.base = ./X\n"         /* 7 */
                     "[plugin fx-larger-desc]\n",  /* 8 */
                     &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_NOT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d), PDM_OK);
    it = find_diag(&d, "unknown option 'option.colour'");
    CU_ASSERT(it && it->line == 5);
    it = find_diag(&d, "requires option.needed");
    CU_ASSERT(it && it->line == 4);
    it = find_diag(&d, "overlaps the core's standard MO ./DevInfo");
    CU_ASSERT(it && it->line == 6);
    it = find_diag(&d, "is a policy component, not an MO handler");
    CU_ASSERT(it && it->line == 7);
    it = find_diag(&d, "not an authority");
    CU_ASSERT(it && it->line == 3);
    CU_ASSERT_EQUAL(d.errors, 5);
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* The offline profile check reads every module in a child process: a
 * constructor that aborts is a refusal with its reason, one that leaves a
 * marker left it from another process; a group-writable module is refused
 * unless the profile relaxes the check. */
static void test_loader__check_profile_isolated(void)
{
    pdm__diag d;
    pdm__profile *p;
    char marker[600], buf[32] = "", text[1200], dir[600], mod[800];
    FILE *f;
    snprintf(marker, sizeof marker, "%s/check-marker", pdm_test_tmpdir());
    remove(marker);
    setenv("FX_MARKER", marker, 1);
    pdm__diag_init(&d);
    p = profile_from("[profile]\nid = t\n"
                     "[plugin fx-ctor-marker]\n"
                     "[plugin fx-ctor-abort]\n",
                     &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_NOT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d), PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 1);
    CU_ASSERT(d.head && d.head->line == 4 &&
              strstr(d.head->msg, "fx-ctor-abort.so: refused: the plugin "
                                  "crashed while its descriptor was read "
                                  "(signal 6"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
    f = fopen(marker, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof buf, f));
    fclose(f);
    CU_ASSERT(strtol(buf, NULL, 10) > 0);
    CU_ASSERT_NOT_EQUAL(strtol(buf, NULL, 10), (long)getpid());
    unsetenv("FX_MARKER");

    snprintf(dir, sizeof dir, "%s/check-modes", pdm_test_tmpdir());
    copy_fx("fx-plain", dir, mod, sizeof mod);
    CU_ASSERT_EQUAL(chmod(mod, 0666), 0);
    for (int relaxed = 0; relaxed < 2; relaxed++) {
        snprintf(text, sizeof text,
                 "[profile]\nid = t\n%s[plugin fx-plain]\npath = %s\n",
                 relaxed ? "plugin_strict_modes = false\n" : "", mod);
        pdm__diag_init(&d);
        p = profile_from(text, &d);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d),
                        relaxed ? PDM_OK : PDM_EFORBIDDEN);
        CU_ASSERT_EQUAL(d.errors, relaxed ? 0 : 1);
        CU_ASSERT_EQUAL(d.warnings, relaxed ? 1 : 0);
        CU_ASSERT(d.head && strstr(d.head->msg, "writable by group and others"));
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
}

/* Two plugins with the same MO base URI clash. */
static void test_loader__mo_clash(void)
{
    pdm__diag d;
    pdm__profile *p;
    pdm__diag_init(&d);
    p = profile_from("[profile]\nid = t\n"
                     "[plugin fx-good]\noption.needed = 1\n"
                     "[plugin fx-plain]\npath = fx-good.so\n",
                     &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_NOT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d), PDM_OK);
    /* the section is fx-plain but the file is fx-good */
    CU_ASSERT_PTR_NOT_NULL(find_diag(&d, "but the section is [plugin fx-plain]"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* The loader's own lines (rec_log leaves them out). */
static char loaderlog[1024];

static void rec_loader_log(void *user, int level, const char *comp,
                           const char *msg)
{
    (void)user;
    if (strcmp(comp, "loader") != 0 || level != PDM_LOG_INFO)
        return;
    snprintf(loaderlog + strlen(loaderlog),
             sizeof loaderlog - strlen(loaderlog), "%s;", msg);
}

/* Starts @text; *set stays started on PDM_OK (caller stops it). */
static int start_kept(const char *text, pdm__profile **prof,
                      pdm__plugins *set, pdm__diag *d)
{
    pdm__logger lg = {rec_loader_log, NULL, PDM_LOG_DEBUG};
    *prof = profile_from(text, d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*prof);
    CU_ASSERT_EQUAL(d->errors, 0);
    loaderlog[0] = '\0';
    return pdm__plugins_start(set, *prof, FX_DIR, NULL, &lg, d);
}

/* An optional plugin whose module is not there (not on the plugin path,
 * not linked in, or its path = file missing) is left out: the others
 * start, one INFO line says so, set->absent lists it; the offline check
 * agrees. */
static void test_loader__optional_missing(void)
{
    static const char text[] = "[profile]\n"              /* 1 */
                               "id = t\n"                 /* 2 */
                               "[plugin fx-nowhere]\n"    /* 3 */
                               "optional = true\n"        /* 4 */
                               "[plugin fx-plain]\n"      /* 5 */
                               "[plugin fx-gone]\n"       /* 6 */
                               "path = /nonexistent/fx-gone.so\n" /* 7 */
                               "optional = yes\n";        /* 8 */
    pdm__plugins set;
    pdm__profile *p;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL_FATAL(start_kept(text, &p, &set, &d), PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    CU_ASSERT_EQUAL(d.warnings, 0);
    CU_ASSERT_EQUAL(set.n, 1);
    PDM_ASSERT_STR(set.v[0]->name, "fx-plain");
    CU_ASSERT_EQUAL_FATAL(set.nabsent, 2);
    PDM_ASSERT_STR(set.absent[0]->name, "fx-nowhere");
    PDM_ASSERT_STR(set.absent[1]->name, "fx-gone");
    PDM_ASSERT_STR(loaderlog,
                   "plugin fx-nowhere: not installed (optional in "
                   "t.profile:4);plugin fx-gone: not installed (optional "
                   "in t.profile:8);");
    /* The rest of the core sees only the loaded plugin. */
    CU_ASSERT_PTR_NOT_NULL(pdm__plugins_next(&set, NULL, PDM_KIND_POLICY));
    CU_ASSERT_PTR_NULL(pdm__plugins_next(&set, NULL, PDM_KIND_BOOTSTRAP));
    CU_ASSERT(!pdm__plugin_installed(p->plugins, FX_DIR));
    CU_ASSERT(pdm__plugin_installed(p->plugins->next, FX_DIR));
    CU_ASSERT(!pdm__plugin_installed(p->plugins->next->next, FX_DIR));
    pdm__plugins_stop(&set);
    CU_ASSERT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d), PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* An optional plugin that is there is loaded like any other, and every
 * problem it has is still an error (here: a foreign ABI major). */
static void test_loader__optional_present(void)
{
    pdm__plugins set;
    pdm__profile *p;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL_FATAL(start_kept("[profile]\nid = t\n"
                                     "[plugin fx-boot-only]\n"
                                     "optional = true\n",
                                     &p, &set, &d),
                          PDM_OK);
    CU_ASSERT_EQUAL(set.n, 1);
    CU_ASSERT_EQUAL(set.nabsent, 0);
    PDM_ASSERT_STR(set.v[0]->name, "fx-boot-only");
    CU_ASSERT_PTR_NOT_NULL(pdm__plugins_next(&set, NULL, PDM_KIND_BOOTSTRAP));
    CU_ASSERT_PTR_NOT_NULL(pdm__plugins_next(&set, NULL, PDM_KIND_MO));
    PDM_ASSERT_STR(loaderlog, "");
    pdm__plugins_stop(&set);
    pdm__profile_free(p);
    pdm__diag_free(&d);

    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(start("[profile]\nid = t\n[plugin fx-bad-major]\n"
                          "optional = true\n",
                          &set, &d),
                    PDM_EABI);
    CU_ASSERT(d.head && d.head->line == 3 &&
              strstr(d.head->msg, "fx-bad-major.so: built for plugin ABI"));
    pdm__diag_free(&d);
}

/* Fail closed: an optional plugin that provides a policy or an authority
 * is refused, at load and in the offline check, naming the rule. */
static void test_loader__optional_refused(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[profile]\nid = t\n[plugin fx-plain]\noptional = true\n",
         "plugin 'fx-plain' is optional but provides the policy component "
         "'pol': optional plugins may only provide bootstrap sources and MO "
         "handlers"},
        {"[profile]\nid = t\n[plugin fx-auth-only]\noptional = true\n",
         "plugin 'fx-auth-only' is optional but provides the authority "
         "component 'auth': optional plugins may only provide bootstrap "
         "sources and MO handlers"},
    };
    for (size_t i = 0; i < PDM__ARRAY_LEN(cases); i++) {
        pdm__plugins set;
        pdm__profile *p;
        pdm__diag d;
        pdm__diag_init(&d);
        CU_ASSERT_EQUAL(start(cases[i].text, &set, &d), PDM_EINVAL);
        CU_ASSERT_EQUAL(d.errors, 1);
        CU_ASSERT(d.head && d.head->line == 4);
        if (d.head)
            PDM_ASSERT_STR(d.head->msg, cases[i].msg);
        PDM_ASSERT_STR(logbuf, ""); /* its init never ran */
        pdm__diag_free(&d);
        pdm__diag_init(&d);
        p = profile_from(cases[i].text, &d);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL(pdm__loader_check_profile(p, FX_DIR, &d), PDM_EINVAL);
        CU_ASSERT(d.head && d.head->line == 4 &&
                  strcmp(d.head->msg, cases[i].msg) == 0);
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
}

/* A plugin that is not optional and not there fails the load as before. */
static void test_loader__required_missing(void)
{
    pdm__plugins set;
    pdm__diag d;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(start("[profile]\nid = t\n[plugin fx-plain]\n"
                          "[plugin fx-nowhere]\noptional = false\n",
                          &set, &d),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(d.errors, 1);
    CU_ASSERT(d.head && d.head->line == 4);
    if (d.head)
        PDM_ASSERT_STR(d.head->msg,
                       "unknown plugin 'fx-nowhere': no fx-nowhere.so in "
                       "plugin path '" FX_DIR "' and not linked into this "
                       "build (--plugin-path DIR or POLYDM_PLUGIN_PATH names "
                       "the directories to search)");
    /* Nothing was started: the load failed before any init. */
    PDM_ASSERT_STR(logbuf, "");
    pdm__diag_free(&d);
}

static const pdm_test tests[] = {
    {"optional_missing", test_loader__optional_missing},
    {"optional_present", test_loader__optional_present},
    {"optional_refused", test_loader__optional_refused},
    {"required_missing", test_loader__required_missing},
    {"good", test_loader__good},
    {"refusals", test_loader__refusals},
    {"reserved", test_loader__reserved},
    {"larger_descriptor", test_loader__larger_descriptor},
    {"isolated", test_loader__isolated},
    {"strict_modes", test_loader__strict_modes},
    {"not_found", test_loader__not_found},
    {"lifecycle", test_loader__lifecycle},
    {"init_fails", test_loader__init_fails},
    {"create_fails", test_loader__create_fails},
    {"check_profile", test_loader__check_profile},
    {"mo_clash", test_loader__mo_clash},
    {"check_profile_isolated", test_loader__check_profile_isolated},
    {"alert_struct_size", test_loader__alert_struct_size},
    {"ask_pin_arguments", test_loader__ask_pin_arguments},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"loader", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
