/*
 * 3gpp2-takeover: the authority model of 3GPP2 markets (S3).
 *
 * Bootstraps follow the spec (the new server gets its account, root is not
 * touched; option.root_on_netwpin lets an IMSI-keyed CP push take root
 * while nobody else owns it).  What sets the market apart: the local user
 * may move root ownership to another known server (a "friendly takeover",
 * facts §11), confirmed by the user and checked by the policies in the
 * core; this component only says whether the market allows it (option
 * allow_takeover, option takeover_origins, never while the device is
 * locked).  The root owner is master over the tree (override), as in
 * operator-root.  README.md has the options and why.
 *
 * The plugin id starts with a digit; PDM_PLUGIN_DEFINE only pastes its id
 * into pdm_plugin_<id>_entry, so "3gpp2_takeover" (the id with '-' as '_',
 * which the static registry of core/CMakeLists.txt also derives) gives the
 * valid identifier pdm_plugin_3gpp2_takeover_entry.
 */
#include <polydm/authority.h>

#include <stdbool.h>
#include <string.h>

#include "../common/authority_util.h"

/* The core's one static host table (plugin.h rule 9). */
static const pdm_host_api *host;

typedef struct inst {
    pdm_plugin_ctx *pc;
    bool root_on_netwpin; /* a NETWPIN/USERNETWPIN push takes free root */
    bool allow;           /* the user may take over at all */
    unsigned origins;     /* bit per pdm_bootstrap_origin; 0: any */
} inst;

/* Index = pdm_bootstrap_origin (0, unknown, is never listable). */
static const char *const origin_names[] = {NULL,   "factory", "smartcard",
                                           "push", "file",    "user"};
#define NORIGINS (sizeof origin_names / sizeof origin_names[0])

static int tk_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int tk_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    const char *orig = host->get_option(pc, "takeover_origins");
    inst *in = host->alloc(sizeof(*in));
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    if (au_opt_bool(host, pc, "root_on_netwpin", false,
                    &in->root_on_netwpin) ||
        au_opt_bool(host, pc, "allow_takeover", true, &in->allow))
        goto bad;
    if (orig &&
        au_parse_list(orig, origin_names, NORIGINS, &in->origins) != PDM_OK) {
        host->set_error(pc, PDM_EINVAL,
                        "option.takeover_origins: '%.60s' is not a "
                        "comma-separated list of factory, smartcard, push, "
                        "file, user", orig);
        goto bad;
    }
    *out = in;
    return PDM_OK;
bad:
    host->free(in);
    return PDM_EINVAL;
}

static void tk_destroy(void *i) { host->free(i); }

static int tk_on_bootstrap(void *i, const pdm_authority_info *who,
                           pdm_authority_grant *out)
{
    inst *in = i;
    const char *sid, *ro;
    int rc = au_check_info(host, in->pc, who, out);
    bool netwpin;
    if (rc != PDM_OK)
        return rc;
    sid = who->server_id;
    ro = au_server_id_ok(who->root_owner) ? who->root_owner : NULL;
    out->account_acl = au_account_acl(host, sid);
    if (!out->account_acl)
        return PDM_ENOMEM;
    netwpin = who->origin == PDM_ORIGIN_PUSH &&
              (who->sec == PDM_SEC_NETWPIN || who->sec == PDM_SEC_USERNETWPIN);
    if (!in->root_on_netwpin || !netwpin)
        return PDM_OK;
    /* In this market root moves by the user's takeover, never by a push:
     * an owned root stays with its owner. */
    if (ro && strcmp(ro, sid) != 0) {
        host->log(in->pc, PDM_LOG_INFO,
                  "%s bootstrapped with SEC %s; root stays with %s (root "
                  "moves only by takeover)", sid, au_sec_name(who->sec), ro);
        return PDM_OK;
    }
    out->root_acl = au_owner_root_acl(host, sid);
    out->root_owner = ro ? NULL : host->strdup(sid); /* NULL: already it */
    if (!out->root_acl || (!ro && !out->root_owner)) {
        host->free(out->account_acl);
        host->free(out->root_acl);
        host->free(out->root_owner);
        out->account_acl = out->root_acl = out->root_owner = NULL;
        return PDM_ENOMEM;
    }
    return PDM_OK;
}

/* DENY with a reason. */
static int deny(pdm_verdict *out, const char *fmt, ...) PDM_PRINTF(2, 3);
static int deny(pdm_verdict *out, const char *fmt, ...)
{
    va_list ap;
    out->decision = PDM_DENY;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    return PDM_OK;
}

static int tk_takeover(void *i, const pdm_authority_info *to,
                       pdm_verdict *out)
{
    inst *in = i;
    char allowed[64] = "";
    if (!out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    if (!to || to->struct_size < AU_INFO_SIZE_1_0 ||
        !au_server_id_ok(to->server_id)) {
        deny(out, "takeover: no valid ServerID to move root to");
        host->set_error(in->pc, PDM_EINVAL, "%s", out->reason);
        return PDM_EINVAL;
    }
    if (!in->allow)
        return deny(out, "takeover is not allowed on this device "
                         "(option.allow_takeover = false)");
    if (to->flags & PDM_AUTH_INFO_DEVICE_LOCKED)
        return deny(out, "refused while the device is locked");
    if (!to->account_uri || !*to->account_uri)
        return deny(out, "%s is not a known account", to->server_id);
    if (in->origins && (to->origin >= NORIGINS ||
                        !(in->origins & (1u << to->origin)))) {
        for (size_t o = 1; o < NORIGINS; o++)
            if (in->origins & (1u << o))
                snprintf(allowed + strlen(allowed),
                         sizeof allowed - strlen(allowed), "%s%s",
                         *allowed ? "," : "", origin_names[o]);
        return deny(out, "%s was bootstrapped from %s; takeover only to a "
                         "server from %s (option.takeover_origins)",
                    to->server_id, au_origin_name(to->origin), allowed);
    }
    out->decision = PDM_ALLOW;
    snprintf(out->reason, sizeof out->reason,
             "the user may move root to a known server (3GPP2 takeover)");
    /* Not the owner yet: the user confirms and the policies agree after
     * this; override() sees the new owner once the core has recorded it
     * (host->root_owner), not before. */
    return PDM_OK;
}

static int tk_override(void *i, const char *actor, const char *owner,
                       const char *uri, pdm_verdict *out)
{
    const inst *in = i;
    return au_override(host, in->pc, actor, owner, uri, out);
}

static int tk_defaults(void *i, pdm_authority_defaults *out)
{
    (void)i;
    return au_defaults(host, out);
}

static const pdm_authority_ops ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, tk_create, tk_destroy},
    tk_on_bootstrap,
    tk_takeover,
    tk_override,
    tk_defaults,
};

static const pdm_component components[] = {
    {PDM_KIND_AUTHORITY, 0, "takeover", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"allow_takeover", "true: the user may move root to another known "
     "server (confirmed through the UI)", "true", 0, 0, {NULL, NULL}},
    {"takeover_origins", "only to servers bootstrapped from these origins "
     "(factory, smartcard, push, file, user); unset: any", NULL, 0, 0,
     {NULL, NULL}},
    {"root_on_netwpin", "true: a NETWPIN/USERNETWPIN push takes root while "
     "nobody owns it", "false", 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "3gpp2-takeover",
    "1.0",
    "3GPP2 markets: the user may move root to another known server",
    components,
    options,
    tk_init,
    NULL,
};

PDM_PLUGIN_DEFINE(3gpp2_takeover, desc)
