/*
 * The standard MOs the core provides (DevInfo, DevDetail, DMAcc, ConnMO, Inbox)
 * and the nodes that plugins' MO handlers declare.  Created as "factory"
 * nodes when missing, never deleted; the device MOs' values come from the
 * integrator's device hooks (or the profile) at read time.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "util/util.h"

typedef struct std_node {
    const char *path;
    uint32_t format;
    uint32_t flags;
    const char *type;
    const char *acl;
} std_node;

#define DEV (PDM_NODE_PERMANENT | PDM_NODE_HANDLER_VALUE | PDM_NODE_NO_REPLACE)

static const std_node std_nodes[] = {
    {"./DevInfo", PDM_FORMAT_NODE, PDM_NODE_PERMANENT,
     "urn:oma:mo:oma-dm-devinfo:1.0", "Get=*"},
    {"./DevInfo/DevId", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevInfo/Man", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevInfo/Mod", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevInfo/DmV", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevInfo/Lang", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail", PDM_FORMAT_NODE, PDM_NODE_PERMANENT,
     "urn:oma:mo:oma-dm-devdetail:1.0", "Get=*"},
    {"./DevDetail/URI", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL},
    {"./DevDetail/URI/MaxDepth", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/URI/MaxTotLen", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/URI/MaxSegLen", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/DevTyp", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/OEM", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/FwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/SwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/HwV", PDM_FORMAT_CHR, DEV, "text/plain", NULL},
    {"./DevDetail/LrgObj", PDM_FORMAT_BOOL, DEV, "text/plain", NULL},
    {"./DMAcc", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL},
    /* Where connectivity MOs are placed (bootstrap, Inbox): a core node,
     * so that no server becomes its creator and locks the others out. */
    {"./ConnMO", PDM_FORMAT_NODE, PDM_NODE_PERMANENT, NULL, NULL},
    {"./Inbox", PDM_FORMAT_NODE, PDM_NODE_PERMANENT | PDM_NODE_ADD_ONLY,
     "urn:oma:mo:oma-dm-inbox:1.0", NULL},
};

/* Creates a node if it is missing (an existing node keeps its ACL and
 * value: the store is the truth after the first start). */
static int ensure(pdm_ctx *ctx, const char *path, uint32_t format,
                  uint32_t flags, const char *type, const char *acl,
                  const char *value)
{
    pdm__node *n = pdm__tree_lookup(ctx->tree, path);
    if (n) {
        if (pdm__node_is_interior(n) != (format == PDM_FORMAT_NODE)) {
            pdm__ctx_error(ctx, PDM_ECORRUPT,
                           "%s exists in the store as %s, expected %s", path,
                           pdm__node_is_interior(n) ? "an interior node"
                                                    : "a leaf",
                           format == PDM_FORMAT_NODE ? "an interior node"
                                                     : "a leaf");
            return PDM_ECORRUPT;
        }
        return PDM_OK;
    }
    return pdm__tree_put(ctx->tree, path, format, flags, type, acl,
                         (const uint8_t *)value, value ? strlen(value) : 0,
                         "factory");
}

static int setup_plugin_mo(pdm_ctx *ctx, pdm__comp *c, pdm__mo_binding *b)
{
    const char *base = c->mo_base;
    int rc;
    const char *base_acl = NULL;
    b->kind = PDM_MO_PLUGIN;
    b->comp = c;
    /* The base itself may be declared (path ""): its ACL applies when the
     * base is created, before the loop below finds it existing. */
    for (const pdm_mo_node *mn = c->ops.mo.nodes; mn && mn->path; mn++)
        if (!*mn->path)
            base_acl = mn->acl;
    rc = ensure(ctx, base, PDM_FORMAT_NODE, PDM_NODE_PERMANENT, c->ops.mo.mo_id,
                base_acl, NULL);
    for (const pdm_mo_node *mn = c->ops.mo.nodes; rc == PDM_OK && mn && mn->path;
         mn++) {
        pdm__buf p;
        uint32_t flags = 0;
        pdm__buf_init(&p);
        pdm__buf_puts(&p, base);
        if (*mn->path) {
            pdm__buf_putc(&p, '/');
            pdm__buf_puts(&p, mn->path);
        }
        if (mn->flags & PDM_MO_PERMANENT)
            flags |= PDM_NODE_PERMANENT;
        if (mn->flags & PDM_MO_HANDLER_VALUE)
            flags |= PDM_NODE_HANDLER_VALUE;
        if (mn->flags & PDM_MO_EXEC)
            flags |= PDM_NODE_EXEC;
        if (mn->flags & PDM_MO_NO_GET)
            flags |= PDM_NODE_NO_GET;
        if (mn->flags & PDM_MO_NO_REPLACE)
            flags |= PDM_NODE_NO_REPLACE;
        if (mn->format > PDM_FORMAT_FLOAT) {
            pdm__ctx_error(ctx, PDM_EINVAL,
                           "plugin %s: MO node %s has an unknown format %u",
                           c->plugin->name, mn->path, (unsigned)mn->format);
            rc = PDM_EINVAL;
        } else if (!pdm__buf_ok(&p)) {
            rc = PDM_ENOMEM;
        } else {
            rc = ensure(ctx, (char *)p.data, mn->format, flags, mn->type,
                        mn->acl, mn->value);
            if (rc != PDM_OK && rc != PDM_ECORRUPT)
                pdm__ctx_error(ctx, rc,
                               "plugin %s: cannot create MO node %s: %s",
                               c->plugin->name, (char *)p.data,
                               pdm_strerror(rc));
        }
        pdm__buf_free(&p);
    }
    if (rc == PDM_OK)
        rc = pdm__tree_declare_mo(ctx->tree, base, b);
    return rc;
}

int pdm__stdmo_check_hook_value(pdm_ctx *ctx, const char *key,
                                const char *v)
{
    size_t bad;
    if (pdm__text_line_ok(v, strlen(v), &bad))
        return PDM_OK;
    pdm__logf(&ctx->log, PDM_LOG_ERROR, "device",
              "device hook info(\"%s\") returned a value that is not text "
              "(invalid UTF-8 or a control character at byte %zu): ./%s is "
              "not readable", key, bad + 1, key);
    return PDM_ERROR; /* the device failed, not the server's command: 500 */
}

int pdm__engine_setup_tree(pdm_ctx *ctx)
{
    size_t n = 0, i = 0;
    int rc = PDM_OK;

    ctx->device_mo.kind = PDM_MO_CORE_DEVICE;
    for (size_t k = 0; k < PDM__ARRAY_LEN(std_nodes) && rc == PDM_OK; k++)
        rc = ensure(ctx, std_nodes[k].path, std_nodes[k].format,
                    std_nodes[k].flags, std_nodes[k].type, std_nodes[k].acl,
                    NULL);
    if (rc == PDM_OK)
        rc = pdm__tree_declare_mo(ctx->tree, "./DevInfo", &ctx->device_mo);
    if (rc == PDM_OK)
        rc = pdm__tree_declare_mo(ctx->tree, "./DevDetail", &ctx->device_mo);
    if (rc != PDM_OK)
        return rc;

    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL, PDM_KIND_MO); c;
         c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_MO))
        n++;
    if (!n)
        return PDM_OK;
    /* Built again by a factory reset: the same components, the same
     * bindings. */
    if (!ctx->plugin_mos &&
        !(ctx->plugin_mos = pdm__calloc(n, sizeof(*ctx->plugin_mos))))
        return PDM_ENOMEM;
    ctx->nplugin_mos = n;
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL, PDM_KIND_MO);
         c && rc == PDM_OK; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_MO))
        rc = setup_plugin_mo(ctx, c, &ctx->plugin_mos[i++]);
    return rc;
}
