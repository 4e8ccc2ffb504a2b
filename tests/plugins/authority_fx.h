/*
 * The harness the authority plugins' tests share (operator_root_test.c,
 * 3gpp2_takeover_test.c): the plugin over the SDK's fake host with
 * options, one bootstrap's answer flattened, log/error lookups and the
 * grant assertions.  Define FX_ENTRY (the plugin's entry function) before
 * including it; each test keeps its own info() defaults.
 */
#ifndef PDM_TEST_AUTHORITY_FX_H
#define PDM_TEST_AUTHORITY_FX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <polydm/authority.h>
#include <polydm/testing/fake_host.h>

#include "cu_main.h"

typedef struct fx {
    pdm_fake_host *fh;
    const pdm_host_api *h;
    const pdm_plugin_desc *d;
    const pdm_authority_ops *ops;
    void *pdata, *inst;
    int create_rc;
} fx;

/* A fake host with options ("key", "value", ..., NULL) and an instance. */
static void fx_open(fx *f, ...)
{
    va_list ap;
    const char *k;
    memset(f, 0, sizeof *f);
    f->fh = pdm_fake_host_new();
    f->h = pdm_fake_host_api(f->fh);
    f->d = FX_ENTRY();
    f->ops = (const pdm_authority_ops *)f->d->components[0].ops;
    va_start(ap, f);
    while ((k = va_arg(ap, const char *)))
        pdm_fake_host_set_option(f->fh, k, va_arg(ap, const char *));
    va_end(ap);
    CU_ASSERT_EQUAL_FATAL(f->d->init(pdm_fake_host_ctx(f->fh), f->h, &f->pdata), PDM_OK);
    f->create_rc = f->ops->head.create(pdm_fake_host_ctx(f->fh), f->pdata, &f->inst);
}

static void fx_close(fx *f)
{
    if (f->create_rc == PDM_OK)
        f->ops->head.destroy(f->inst);
    CU_ASSERT_EQUAL(pdm_fake_host_live_allocs(f->fh), 0);
    pdm_fake_host_free(f->fh);
}

/* The answer to one bootstrap, flattened: rc, flags, the three strings
 * (copied, "(null)" for NULL) and the grant freed as the core would. */
typedef struct answer {
    int rc;
    uint32_t flags;
    char acc[160], root[160], owner[64];
} answer;

static answer boot(fx *f, const pdm_authority_info *who)
{
    answer a;
    pdm_authority_grant g;
    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    a.rc = f->ops->on_bootstrap(f->inst, who, &g);
    a.flags = g.flags;
    snprintf(a.acc, sizeof a.acc, "%s", pdm_test_nn(g.account_acl));
    snprintf(a.root, sizeof a.root, "%s", pdm_test_nn(g.root_acl));
    snprintf(a.owner, sizeof a.owner, "%s", pdm_test_nn(g.root_owner));
    if (a.rc != PDM_OK) /* rule 3: nothing may be left for the core */
        CU_ASSERT(!g.account_acl && !g.root_acl && !g.root_owner);
    f->h->free(g.account_acl);
    f->h->free(g.root_acl);
    f->h->free(g.root_owner);
    return a;
}

static bool has_error(fx *f, const char *part)
{
    for (size_t i = 0; pdm_fake_host_error(f->fh, i); i++)
        if (strstr(pdm_fake_host_error(f->fh, i), part))
            return true;
    return false;
}

static bool has_log(fx *f, const char *part)
{
    for (size_t i = 0; pdm_fake_host_log(f->fh, i); i++)
        if (strstr(pdm_fake_host_log(f->fh, i), part))
            return true;
    return false;
}

#define ASSERT_ACCOUNT_ONLY(a, sid)                                        \
    do {                                                                   \
        answer a_ = (a);                                                   \
        CU_ASSERT_EQUAL(a_.rc, PDM_OK);                                    \
        CU_ASSERT_EQUAL(a_.flags, 0);                                      \
        PDM_ASSERT_STR(a_.acc, "Get=" sid "&Replace=" sid "&Delete=" sid); \
        PDM_ASSERT_STR(a_.root, "(null)");                                 \
        PDM_ASSERT_STR(a_.owner, "(null)");                                \
    } while (0)

#endif
