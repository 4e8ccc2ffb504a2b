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

static const pdm_test tests[] = {
    {"alert_rules", test_fake_host__alert_rules},
    {"alert_server", test_fake_host__alert_server},
    {"ask_pin", test_fake_host__ask_pin},
    {"root_owner", test_fake_host__root_owner},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"fake_host", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
