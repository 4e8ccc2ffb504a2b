/*
 * What several engine tests read back from a context
 * (bootstrap_test.c, authority_test.c, local_test.c): the whole tree as
 * TNDS, to prove a refusal changed nothing byte for byte, and the audit
 * rows of one operation.
 */
#ifndef PDM_TEST_ENGINE_FX_H
#define PDM_TEST_ENGINE_FX_H

#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "engine/engine.h"
#include "store/store.h"
#include "tree/tnds.h"

/* The whole tree as TNDS (every property, secrets redacted); free() it. */
static inline char *export(pdm_ctx *ctx)
{
    static const pdm__who fx_factory = {PDM_PRINCIPAL_FACTORY, NULL, NULL, 0,
                                        NULL};
    pdm__tnds_opts o;
    pdm__buf b;
    pdm__decision d;
    memset(&o, 0, sizeof o);
    o.list = PDM_URI_LIST_TNDS;
    o.props = 0xFFFFu;
    o.redact = true;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL(pdm__tnds_export(ctx->tree, &fx_factory, ".", &o, &b, &d),
                    PDM_OK);
    pdm__buf_putc(&b, '\0');
    return (char *)pdm__buf_steal(&b, NULL);
}

/* The audit rows with op @op (any op when NULL): how many, and the last. */
typedef struct audit_rows {
    const char *op;
    size_t n;
    char principal[128], decision[16], component[96], reason[400], uri[128];
} audit_rows;

static inline int audit_rows_cb(void *user, const pdm__audit_rec *a)
{
    audit_rows *s = user;
    if (s->op && strcmp(a->op, s->op) != 0)
        return 0;
    s->n++;
    snprintf(s->principal, sizeof s->principal, "%s", a->principal);
    snprintf(s->decision, sizeof s->decision, "%s", a->decision);
    snprintf(s->component, sizeof s->component, "%s", a->component);
    snprintf(s->reason, sizeof s->reason, "%s", a->reason ? a->reason : "");
    snprintf(s->uri, sizeof s->uri, "%s", a->uri ? a->uri : "");
    return 0;
}

static inline audit_rows audit_of(pdm_ctx *ctx, const char *op)
{
    audit_rows s;
    memset(&s, 0, sizeof s);
    s.op = op;
    pdm__store_audit_query(ctx->store, 0, audit_rows_cb, &s);
    return s;
}

#endif
