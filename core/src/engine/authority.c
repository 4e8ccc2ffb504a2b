/*
 * The record of how each DM account came (engine/authority.h) and the
 * public root owner query.  Records are tree facts "account:<ServerID>"
 * = "<origin> <sec> <source>", so that they follow the tree's
 * transactions (an aborted bootstrap leaves none behind).
 */
#include "engine/authority.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/bootstrap.h>

#include "tree/dmacc.h"

#define REC_PREFIX "account:"

static int rec_key(char *buf, size_t size, const char *server_id)
{
    int n;
    if (!server_id || !*server_id)
        return PDM_EINVAL;
    n = snprintf(buf, size, REC_PREFIX "%s", server_id);
    return n > 0 && (size_t)n < size ? PDM_OK : PDM_EINVAL;
}

int pdm__authority_record(pdm_ctx *ctx, const char *server_id,
                          uint32_t *origin, uint32_t *sec,
                          const char **source)
{
    char key[300];
    const char *v;
    pdm__node *acc = NULL;
    uint32_t o = PDM_ORIGIN_UNKNOWN, s = 0;
    const char *src = NULL;
    int rc;

    if (!ctx || !ctx->tree || rec_key(key, sizeof key, server_id) != PDM_OK)
        return PDM_EINVAL;
    /* A record outlives nothing: without the account it means nothing
     * (an account deleted by a path that does not drop it). */
    rc = pdm__dmacc_find(ctx->tree, server_id, &acc, NULL);
    if (rc == PDM_ENOTFOUND)
        return rc;
    v = pdm__tree_meta_get(ctx->tree, key);
    if (v) {
        char *end;
        unsigned long lo = strtoul(v, &end, 10), ls = 0;
        if (*end == ' ') {
            ls = strtoul(end + 1, &end, 10);
            if (*end == ' ') {
                src = *++end ? end : NULL;
                o = lo <= PDM_ORIGIN_USER ? (uint32_t)lo : PDM_ORIGIN_UNKNOWN;
                s = (uint32_t)ls;
            }
        }
    } else if (acc && strcmp(pdm__node_owner(acc), "factory") == 0) {
        o = PDM_ORIGIN_FACTORY;
    }
    if (origin)
        *origin = o;
    if (sec)
        *sec = s;
    if (source)
        *source = src;
    return PDM_OK;
}

int pdm__authority_record_set(pdm_ctx *ctx, const char *server_id,
                              uint32_t origin, uint32_t sec,
                              const char *source)
{
    char key[300], val[300];
    int n;
    if (!ctx || !ctx->tree || rec_key(key, sizeof key, server_id) != PDM_OK)
        return PDM_EINVAL;
    n = snprintf(val, sizeof val, "%u %u %s", (unsigned)origin,
                 (unsigned)sec, source ? source : "");
    if (n < 0 || (size_t)n >= sizeof val)
        return PDM_EINVAL;
    return pdm__tree_meta_set(ctx->tree, key, val);
}

int pdm__authority_record_drop(pdm_ctx *ctx, const char *server_id)
{
    char key[300];
    if (!ctx || !ctx->tree || rec_key(key, sizeof key, server_id) != PDM_OK)
        return PDM_EINVAL;
    return pdm__tree_meta_set(ctx->tree, key, NULL);
}

/* Collects the record keys (pdm__tree_meta_each callback). */
typedef struct rec_keys {
    char **v;
    size_t n, cap;
    int rc;
} rec_keys;

static int rec_collect(void *user, const char *key, const char *value)
{
    rec_keys *k = user;
    (void)value;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        char **nv = pdm__realloc(k->v, cap * sizeof *nv);
        if (!nv)
            return k->rc = PDM_ENOMEM;
        k->v = nv;
        k->cap = cap;
    }
    if (!(k->v[k->n] = pdm__strdup(key)))
        return k->rc = PDM_ENOMEM;
    k->n++;
    return 0;
}

int pdm__authority_records_clear(pdm_ctx *ctx)
{
    rec_keys k;
    int rc;
    if (!ctx || !ctx->tree)
        return PDM_EINVAL;
    memset(&k, 0, sizeof k);
    /* Collected first: removing a fact while walking them moves them. */
    pdm__tree_meta_each(ctx->tree, REC_PREFIX, rec_collect, &k);
    rc = k.rc;
    for (size_t i = 0; i < k.n; i++) {
        if (rc == PDM_OK)
            rc = pdm__tree_meta_set(ctx->tree, k.v[i], NULL);
        pdm__free(k.v[i]);
    }
    pdm__free(k.v);
    return rc;
}

uint32_t pdm__authority_origins(pdm_ctx *ctx)
{
    pdm__node *dm = ctx && ctx->tree ? pdm__dmacc_root(ctx->tree) : NULL;
    uint32_t mask = 0;
    for (pdm__node *a = dm ? pdm__node_first_child(dm) : NULL; a;
         a = pdm__node_next_sibling(a)) {
        size_t len = 0;
        const uint8_t *sid = pdm__dmacc_server_id(ctx->tree, a, &len);
        char buf[256];
        uint32_t o = PDM_ORIGIN_UNKNOWN;
        if (!sid || !len || len >= sizeof buf)
            continue;
        memcpy(buf, sid, len);
        buf[len] = '\0';
        if (pdm__authority_record(ctx, buf, &o, NULL, NULL) == PDM_OK)
            mask |= 1u << o;
    }
    return mask;
}

int pdm__authority_override(void *user, const char *actor, const char *owner,
                            const char *uri, pdm__decision *dec)
{
    pdm_ctx *ctx = user;
    pdm__comp *ac = ctx->plugins.authority;
    pdm_verdict v;
    int rc;

    if (!ac || !PDM__AUTH_HAS(ac, override)) {
        if (pdm__isolation_default(owner))
            return PDM_OK;
        snprintf(dec->component, sizeof dec->component, "core");
        snprintf(dec->reason, sizeof dec->reason, "%s",
                 ac ? "the authority has no override" : "no authority overrides");
        return PDM_EDENIED;
    }
    snprintf(dec->component, sizeof dec->component, "authority:%s/%s",
             ac->plugin->name, ac->name);
    memset(&v, 0, sizeof v);
    ac->plugin->err[0] = '\0';
    rc = ac->ops.authority.override(ac->inst, actor, owner, uri, &v);
    v.reason[sizeof v.reason - 1] = '\0';
    if (rc != PDM_OK) {
        snprintf(dec->reason, sizeof dec->reason,
                 "override failed (%s)%s%.120s", pdm_strerror(rc),
                 ac->plugin->err[0] ? ": " : "", ac->plugin->err);
        return PDM_EDENIED;
    }
    if (v.decision == PDM_ALLOW && v.reserved == 0)
        return PDM_OK;
    snprintf(dec->reason, sizeof dec->reason, "%s",
             v.decision == PDM_DENY && v.reason[0] ? v.reason
             : v.decision == PDM_DENY || v.decision == PDM_ABSTAIN
                 ? "no override"
                 : "unknown answer from override");
    return PDM_EDENIED;
}

int pdm__authority_home_plmn(pdm_ctx *ctx, char *buf, size_t size)
{
    char imsi[32];
    const char *v;
    size_t n;
    int rc = PDM_ENOTFOUND;
    long mnc = pdm__profile_get_long(ctx->profile, "device.mnc_digits", 2);

    if (!buf || size < 8)
        return PDM_EINVAL;
    buf[0] = '\0';
    imsi[0] = '\0';
    if (ctx->hooks.network_id &&
        ctx->hooks.network_id(ctx->hooks.user, PDM_NETID_IMSI, imsi,
                              sizeof imsi) == PDM_OK)
        imsi[sizeof imsi - 1] = '\0';
    else
        imsi[0] = '\0';
    if (!imsi[0] && (v = pdm__profile_get(ctx->profile, "device.imsi")))
        pdm__strlcpy(imsi, v, sizeof imsi);
    n = strlen(imsi);
    if (mnc != 3)
        mnc = 2;
    if (n >= 6 && n <= 15 && strspn(imsi, "0123456789") == n) {
        snprintf(buf, size, "%.3s-%.*s", imsi, (int)mnc, imsi + 3);
        rc = PDM_OK;
    }
    pdm__wipe(imsi, sizeof imsi);
    return rc;
}

/* One ACL of defaults(): parsed and made canonical into *out (NULL in:
 * NULL out). */
static int canon_acl(pdm_ctx *ctx, const char *who, const char *field,
                     const char *in, bool root, char **out)
{
    pdm__acl a;
    pdm__buf b;
    char err[160];
    int rc;
    *out = NULL;
    if (!in)
        return PDM_OK;
    rc = pdm__acl_parse(in, &a, err, sizeof err);
    if (rc == PDM_ENOMEM)
        return rc;
    if (rc != PDM_OK || (root && pdm__acl_is_empty(&a))) {
        pdm__ctx_error(ctx, PDM_EINVAL,
                       "authority %s: defaults() gave %s '%.100s': %s", who,
                       field, in,
                       rc != PDM_OK ? err : "the root ACL cannot be empty");
        pdm__acl_free(&a);
        return PDM_EINVAL;
    }
    pdm__buf_init(&b);
    pdm__acl_format(&a, &b);
    pdm__buf_putc(&b, '\0');
    pdm__acl_free(&a);
    if (!pdm__buf_ok(&b))
        return PDM_ENOMEM;
    *out = (char *)pdm__buf_steal(&b, NULL);
    return PDM_OK;
}

int pdm__authority_defaults(pdm_ctx *ctx)
{
    pdm__comp *ac = ctx->plugins.authority;
    pdm_authority_defaults d;
    char who[96];
    int rc;

    if (!ac || !PDM__AUTH_HAS(ac, defaults))
        return PDM_OK;
    snprintf(who, sizeof who, "%s/%s", ac->plugin->name, ac->name);
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ac->plugin->err[0] = '\0';
    rc = ac->ops.authority.defaults(ac->inst, &d);
    if (rc != PDM_OK) {
        /* Rule 3: on failure the strings stayed the plugin's. */
        pdm__ctx_error(ctx, rc, "authority %s: defaults() failed (%s)%s%.200s",
                       who, pdm_strerror(rc), ac->plugin->err[0] ? ": " : "",
                       ac->plugin->err);
        return rc < 0 && rc >= PDM_RC_MIN ? rc : PDM_ERROR;
    }
    rc = canon_acl(ctx, who, "root_acl", d.root_acl, true, &ctx->auth_root_acl);
    if (rc == PDM_OK)
        rc = canon_acl(ctx, who, "dmacc_acl", d.dmacc_acl, false,
                       &ctx->auth_dmacc_acl);
    ctx->auth_root_add_open = (d.flags & PDM_DEFAULTS_ROOT_ADD_OPEN) != 0;
    pdm__free(d.root_acl);
    pdm__free(d.dmacc_acl);
    if (rc == PDM_ENOMEM)
        pdm__ctx_error(ctx, rc, "authority %s: defaults(): out of memory", who);
    return rc;
}

PDM_API const char *pdm_ctx_root_owner(pdm_ctx *ctx)
{
    return ctx && ctx->tree ? pdm__tree_root_owner(ctx->tree) : NULL;
}
