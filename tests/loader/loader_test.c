/*
 * Loader tests: the ABI acceptance rules and the init/create/destroy/fini
 * pairing, with fixture plugins that misbehave (tests/loader/fixtures).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/* Opens a fixture and returns rc; *msg gets the first diagnostic. */
static int open_fx(const char *path, pdm__plugin **out, char *msg, size_t n)
{
    pdm__diag d;
    int rc;
    pdm__diag_init(&d);
    rc = pdm__plugin_open(out, NULL, path, NULL, &d, NULL, 0);
    msg[0] = '\0';
    if (d.head)
        pdm__strlcpy(msg, d.head->msg, n);
    pdm__diag_free(&d);
    return rc;
}

static void expect_refused(const char *path, const char *needle)
{
    pdm__plugin *p = (pdm__plugin *)1;
    char msg[512];
    int rc = open_fx(path, &p, msg, sizeof msg);
    CU_ASSERT_EQUAL(rc, PDM_EABI);
    CU_ASSERT_PTR_NULL(p);
    if (!strstr(msg, needle) || !strstr(msg, ".so")) {
        fprintf(stderr, "\n  %s: message '%s' lacks '%s'\n", path, msg, needle);
        CU_FAIL("refusal message");
    }
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
    CU_ASSERT_EQUAL(pdm__plugin_open(&p, NULL, FX_DIR "/nope.so", NULL, &d,
                                     "x.profile", 7),
                    PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm__plugin_open(&p, "nope", NULL, FX_DIR, &d,
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
    pdm__services svc = {NULL, NULL, NULL, NULL, NULL, stub_alert};
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
    CU_ASSERT_EQUAL(set.host.generic_alert(pc, &big.ga), PDM_EINVAL);
    CU_ASSERT_EQUAL(alert_calls, 0);
    big.ga.struct_size = sizeof big;
    memset(big.future, 0x55, sizeof big.future);
    CU_ASSERT_EQUAL(set.host.generic_alert(pc, &big.ga), PDM_OK);
    CU_ASSERT_EQUAL(alert_calls, 1);
    PDM_ASSERT_STR(alert_server, "victim");
    big.ga.reserved0 = 1;
    CU_ASSERT_EQUAL(set.host.generic_alert(pc, &big.ga), PDM_EINVAL);
    CU_ASSERT_EQUAL(alert_calls, 1);
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

static const pdm_test tests[] = {
    {"good", test_loader__good},
    {"refusals", test_loader__refusals},
    {"reserved", test_loader__reserved},
    {"larger_descriptor", test_loader__larger_descriptor},
    {"not_found", test_loader__not_found},
    {"lifecycle", test_loader__lifecycle},
    {"init_fails", test_loader__init_fails},
    {"create_fails", test_loader__create_fails},
    {"check_profile", test_loader__check_profile},
    {"mo_clash", test_loader__mo_clash},
    {"alert_struct_size", test_loader__alert_struct_size},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"loader", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
