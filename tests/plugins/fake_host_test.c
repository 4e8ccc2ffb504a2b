/*
 * The SDK's fake host itself: host->generic_alert refuses what the core
 * refuses (pdm_generic_alert), so a plugin's unit test catches an alert
 * the real host would not queue.
 */
#include <stddef.h>
#include <string.h>

#include <polydm/testing/fake_host.h>

#include "cu_main.h"

static pdm_generic_alert good(void)
{
    pdm_generic_alert ga;
    memset(&ga, 0, sizeof ga);
    ga.struct_size = sizeof ga;
    ga.type = "urn:oma:at:lawmo:1.0:OperationComplete";
    ga.format = "int";
    ga.correlator = "c-1";
    ga.source_uri = "./LAWMO/Operations/FullyLock";
    ga.data.data = (uint8_t *)"1200";
    ga.data.len = 4;
    ga.server_id = "srv";
    return ga;
}

static void test_fake_host__alert_rules(void)
{
    static char longs[1026];
    static const char *const bad[] = {"a\x01" "b", "\xff", "\xc3(",
                                      "\xc0\x80", "\xed\xa0\x80"};
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    pdm_generic_alert ga = good(), g;
    const char **fields[] = {&g.type,       &g.format,     &g.mark,
                             &g.correlator, &g.source_uri, &g.server_id};

    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_alert(fh, 0),
                   "urn:oma:at:lawmo:1.0:OperationComplete|int|"
                   "./LAWMO/Operations/FullyLock|c-1|1200");
    PDM_ASSERT_STR(pdm_fake_host_alert_server(fh, 0), "srv");

    g = ga;
    g.reserved0 = 1;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
    g = ga;
    g.struct_size = offsetof(pdm_generic_alert, server_id);
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
    g = ga;
    g.server_id = "";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
    g = ga;
    g.format = "";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
    g = ga;
    g.data.data = NULL;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        size_t max = f == 4 ? 1024 : 255;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            g = ga;
            *fields[f] = bad[i];
            CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
        }
        memset(longs, 'x', sizeof longs - 1);
        longs[max + 1] = 0;
        g = ga;
        *fields[f] = longs;
        CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_EINVAL);
        longs[max] = 0; /* at the limit: fine */
        CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_OK);
    }
    /* Text with TAB/LF and multi-byte UTF-8 is text. */
    g = ga;
    g.mark = "caf\xc3\xa9\t\xf0\x9f\x94\x92\n";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &g), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm_fake_host_alert(fh, 8));
    CU_ASSERT_PTR_NOT_NULL(pdm_fake_host_log(fh, 0));
    pdm_fake_host_free(fh);
}

/* Without server_id, the core binds an alert only on evidence (an MO
 * method handling a server's command, an accepted Exec it reports): the
 * fake host refuses it unless the test plays that evidence. */
static void test_fake_host__alert_server(void)
{
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    pdm_generic_alert ga = good();
    ga.server_id = NULL;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm_fake_host_alert(fh, 0));
    CU_ASSERT_EQUAL(pdm_fake_host_set_alert_server(fh, "srv-a"), PDM_OK);
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_alert_server(fh, 0), "srv-a");
    ga.server_id = "srv-b"; /* named: the plugin's choice */
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_alert_server(fh, 1), "srv-b");
    CU_ASSERT_EQUAL(pdm_fake_host_set_alert_server(fh, NULL), PDM_OK);
    ga.server_id = NULL;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm_fake_host_alert(fh, 2));
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
}

/* host->ask_pin: the core's argument checks, then the canned answer;
 * "" in the buffer on every failure. */
static void test_fake_host__ask_pin(void)
{
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    static const char *const bad[] = {"", "a\nb", "a\tb", "\xc3(", "a\x7f"};
    char buf[8], longtext[202];

    CU_ASSERT_TRUE(PDM_HOST_HAS(h, ask_pin));
    /* default: no PIN prompt */
    memset(buf, 'x', sizeof buf);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, buf, sizeof buf),
                    PDM_ENOTSUP);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(pdm_fake_host_set_pin(fh, PDM_OK, "1234"), PDM_OK);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "1234");
    PDM_ASSERT_STR(pdm_fake_host_pin_text(fh), "SIM PIN");
    CU_ASSERT_EQUAL(pdm_fake_host_pin_tries(fh), 3);
    CU_ASSERT_EQUAL(pdm_fake_host_pin_asks(fh), 2);
    /* bad arguments never reach the user */
    CU_ASSERT_EQUAL(h->ask_pin(pc, NULL, 3, buf, sizeof buf), PDM_EINVAL);
    PDM_ASSERT_STR(buf, "");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(h->ask_pin(pc, bad[i], 3, buf, sizeof buf),
                        PDM_EINVAL);
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    CU_ASSERT_EQUAL(h->ask_pin(pc, longtext, 3, buf, sizeof buf), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, NULL, 8), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, buf, 0), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_fake_host_pin_asks(fh), 2);
    /* cut to the buffer; an empty answer is a cancel; the user's rc */
    CU_ASSERT_EQUAL(pdm_fake_host_set_pin(fh, PDM_OK, "123456789"), PDM_OK);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", -5, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "1234567");
    CU_ASSERT_EQUAL(pdm_fake_host_pin_tries(fh), -1);
    CU_ASSERT_EQUAL(pdm_fake_host_set_pin(fh, PDM_OK, ""), PDM_OK);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, buf, sizeof buf),
                    PDM_ECANCELLED);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(pdm_fake_host_set_pin(fh, PDM_ECANCELLED, "1234"), PDM_OK);
    CU_ASSERT_EQUAL(h->ask_pin(pc, "SIM PIN", 3, buf, sizeof buf),
                    PDM_ECANCELLED);
    PDM_ASSERT_STR(buf, "");
    pdm_fake_host_free(fh);
}

/* host->root_owner (ABI 1.3): nobody by default, the set fact, the
 * core's checks; "" in the buffer on every failure. */
static void test_fake_host__root_owner(void)
{
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    char buf[6];

    CU_ASSERT_TRUE(PDM_HOST_HAS(h, root_owner));
    memset(buf, 'x', sizeof buf);
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, sizeof buf), PDM_ENOTFOUND);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(pdm_fake_host_set_root_owner(fh, PDM_OK, "srv-a"),
                    PDM_OK);
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "srv-a");
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, 5), PDM_ENOSPC);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(h->root_owner(pc, NULL, 8), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, 0), PDM_EINVAL);
    CU_ASSERT_EQUAL(pdm_fake_host_set_root_owner(fh, PDM_ENOTSUP, "srv-a"),
                    PDM_OK);
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, sizeof buf), PDM_ENOTSUP);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(pdm_fake_host_set_root_owner(fh, PDM_OK, ""), PDM_OK);
    CU_ASSERT_EQUAL(h->root_owner(pc, buf, sizeof buf), PDM_ENOTFOUND);
    CU_ASSERT_EQUAL(pdm_fake_host_root_owner_asks(fh), 5);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(fh), 0);
    pdm_fake_host_free(fh);
}

/* The 1.4 services: once_key as the core honours it. */
static void test_fake_host__once_key(void)
{
    static char longk[130];
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    pdm_generic_alert ga = good();
    ga.once_key = "k-1";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    ga.correlator = "c-2"; /* another alert, the same key: swallowed */
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    CU_ASSERT_PTR_NULL(pdm_fake_host_alert(fh, 1));
    PDM_ASSERT_STR(pdm_fake_host_alert_once_key(fh, 0), "k-1");
    ga.once_key = NULL;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_alert_once_key(fh, 2), "");
    /* A 1.3-sized alert has no once_key, whatever lies past it. */
    ga.once_key = "k-1";
    ga.struct_size = (uint32_t)offsetof(pdm_generic_alert, once_key);
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_alert_once_key(fh, 3), "");
    ga.struct_size = sizeof ga;
    memset(longk, 'k', 129);
    ga.once_key = longk;
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_EINVAL);
    ga.once_key = "";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_EINVAL);
    ga.once_key = "a\x01" "b";
    CU_ASSERT_EQUAL(h->generic_alert(pc, &ga), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm_fake_host_alert(fh, 4));
    pdm_fake_host_free(fh);
}

static void test_fake_host__lost_device(void)
{
    pdm_fake_host *fh = pdm_fake_host_new();
    const pdm_host_api *h = pdm_fake_host_api(fh);
    pdm_plugin_ctx *pc = pdm_fake_host_ctx(fh);
    pdm_device_action a;
    const char *cls[] = {"contacts", "media"}, *badcls[] = {"a b"};
    char buf[32], reason[32];
    uint32_t level = 9;

    CU_ASSERT_EQUAL(h->get_lock(pc, &level), PDM_OK);
    CU_ASSERT_EQUAL(level, PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(h->get_lock(pc, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->set_lock(pc, 3, NULL), PDM_EINVAL);
    CU_ASSERT_EQUAL(h->set_lock(pc, PDM_LOCK_FULL, "srv"), PDM_OK);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(fh), PDM_LOCK_FULL);
    PDM_ASSERT_STR(pdm_fake_host_lock_server(fh), "srv");
    CU_ASSERT_EQUAL(pdm_fake_host_lock_sets(fh), 1);
    pdm_fake_host_set_lock_rc(fh, PDM_EIO, PDM_EIO);
    CU_ASSERT_EQUAL(h->set_lock(pc, PDM_LOCK_NONE, NULL), PDM_EIO);
    CU_ASSERT_EQUAL(h->get_lock(pc, &level), PDM_EIO);
    CU_ASSERT_EQUAL(level, PDM_LOCK_NONE);
    CU_ASSERT_EQUAL(pdm_fake_host_lock_level(fh), PDM_LOCK_FULL);

    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.kind = PDM_DEVACT_WIPE;
    CU_ASSERT_EQUAL(h->device_action(pc, &a, NULL, 0), PDM_EINVAL);
    a.classes = badcls;
    a.nclasses = 1;
    CU_ASSERT_EQUAL(h->device_action(pc, &a, NULL, 0), PDM_EINVAL);
    a.classes = cls;
    a.nclasses = 2;
    a.notify_user = 1;
    a.server_id = "srv";
    CU_ASSERT_EQUAL(h->device_action(pc, &a, reason, sizeof reason), PDM_OK);
    PDM_ASSERT_STR(pdm_fake_host_device_call(fh, 0),
                   "wipe contacts,media notify server=srv");
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.kind = PDM_DEVACT_CAPABILITY;
    a.capability = "fax";
    CU_ASSERT_EQUAL(h->device_action(pc, &a, NULL, 0), PDM_EINVAL);
    a.capability = "voice";
    pdm_fake_host_set_device_rc(fh, PDM_ENOTSUP, "no radio");
    CU_ASSERT_EQUAL(h->device_action(pc, &a, reason, sizeof reason),
                    PDM_ENOTSUP);
    PDM_ASSERT_STR(reason, "no radio");
    PDM_ASSERT_STR(pdm_fake_host_device_call(fh, 1), "capability voice off");
    a.kind = 7;
    CU_ASSERT_EQUAL(h->device_action(pc, &a, NULL, 0), PDM_EINVAL);
    a.kind = PDM_DEVACT_LOCK_FULL;
    a.struct_size = 8;
    CU_ASSERT_EQUAL(h->device_action(pc, &a, NULL, 0), PDM_EINVAL);
    CU_ASSERT_PTR_NULL(pdm_fake_host_device_call(fh, 2));

    CU_ASSERT_EQUAL(h->wipe_classes(pc, buf, sizeof buf), PDM_ENOTFOUND);
    pdm_fake_host_set_wipe_classes(fh, PDM_OK, "contacts,media,sms");
    CU_ASSERT_EQUAL(h->wipe_classes(pc, buf, 8), PDM_ENOSPC);
    PDM_ASSERT_STR(buf, "");
    CU_ASSERT_EQUAL(h->wipe_classes(pc, buf, sizeof buf), PDM_OK);
    PDM_ASSERT_STR(buf, "contacts,media,sms");
    CU_ASSERT_EQUAL(h->wipe_classes(pc, NULL, 4), PDM_EINVAL);

    CU_ASSERT_EQUAL(h->factory_reset(pc), PDM_OK);
    pdm_fake_host_set_factory_reset_rc(fh, PDM_EIO);
    CU_ASSERT_EQUAL(h->factory_reset(pc), PDM_EIO);
    CU_ASSERT_EQUAL(pdm_fake_host_factory_resets(fh), 1);
    pdm_fake_host_free(fh);
}

static const pdm_test tests[] = {
    {"alert_rules", test_fake_host__alert_rules},
    {"alert_server", test_fake_host__alert_server},
    {"ask_pin", test_fake_host__ask_pin},
    {"root_owner", test_fake_host__root_owner},
    {"once_key", test_fake_host__once_key},
    {"lost_device", test_fake_host__lost_device},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"fake_host", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
