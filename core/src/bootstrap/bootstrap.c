/*
 * The bootstrap pipeline: pdm_ctx_bootstrap_submit/_scan/_pending
 * (polydm.h; stages in docs/architecture.md, "Bootstrap").
 *
 * One document goes through: checks and limits → its source (core for a
 * DM profile, a component that accepts OMA CP) → SEC/MAC → decode →
 * placement → PDM_OP_BOOTSTRAP policy per account → one tree transaction
 * (node changes with the bootstrap principal, the document's ACLs, the
 * nodes' owners, the authority's grant with PDM_OP_TAKEOVER asked for a
 * new root owner, the record of how each account came) → commit → one audit row → the pending first
 * sessions.  Every refusal happens before the commit, so the tree and
 * the store are left as they were; each refusal and each success leaves
 * exactly one "Bootstrap" audit row (the tree adds its own rows for the
 * node changes of an applied document).
 */
#include "bootstrap/bootstrap.h"
#include "bootstrap/bootstrap_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth/auth.h"
#include "engine/authority.h"
#include "engine/engine.h"
#include "tree/dmacc.h"

#define BS_MAX_BYTES_DEFAULT 65536L
#define BS_VIA_MAX 255
#define BS_FLAG_SOURCE_RESERVED 0x80000000u /* scan: doc.reserved0 != 0 */
#define KV_PENDING "bootstrap-pending"
#define KV_FACTORY "bootstrap-factory-sha256"
#define KV_SOURCES "bootstrap-sources"
#define SOURCES_MAX 64      /* accounts tied to a source id (a card) */
#define SOURCE_ID_MAX 127   /* bytes of a pdm_bootstrap_doc.source_id */
#define PENDING_MAX 64      /* servers waiting for their first session */
#define SCAN_PER_SOURCE 16  /* documents one source may hand over per scan:
                               a source that never says "nothing more" must
                               not hold the scan for ever */

/* One document on its way through the pipeline. */
typedef struct job {
    pdm_ctx *ctx;
    pdm_bootstrap_input in; /* the caller's, zero-padded */
    bool cp, wbxml;
    char source[96];
    pdm__who who;
    unsigned variant;       /* the MAC key that matched (secmac) */
    bool authenticated;     /* SEC/MAC verified, or unsigned and allowed */
    pdm__bs_frag frag;
    pdm__bs_placed placed;
    bool in_tx;
    int rc;
    char component[96];     /* who refused */
    char why[320];          /* refusal text, never a secret */
    char created[384];      /* applied: what was made */
    char granted[96];       /* the authority that granted, or "" */
    uint32_t origins;       /* account_origins before the document */
} job;

static int refuse(job *j, int rc, const char *component, const char *fmt, ...)
    PDM_PRINTF(4, 5);
static int refuse(job *j, int rc, const char *component, const char *fmt, ...)
{
    va_list ap;
    j->rc = rc;
    pdm__strlcpy(j->component, component, sizeof j->component);
    va_start(ap, fmt);
    vsnprintf(j->why, sizeof j->why, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *origin_name(uint32_t o)
{
    static const char *const n[] = {"unknown", "factory", "smartcard",
                                    "push", "file", "user"};
    return o < PDM__ARRAY_LEN(n) ? n[o] : "unknown";
}

/* bootstrap.disabled_origins as a mask of 1u << pdm_bootstrap_origin
 * (default none). */
static unsigned disabled_origins(const pdm_ctx *ctx)
{
    const char *list = pdm__profile_get(ctx->profile,
                                        "bootstrap.disabled_origins");
    unsigned mask = 0;
    if (list && !pdm__bs_origins_parse(list, &mask))
        mask = ~0u; /* validated at load; fail closed anyway */
    return mask;
}

/* The origin a source component declares for everything it reads
 * (origin(), ABI 1.2), or PDM_ORIGIN_UNKNOWN when it declares none (a
 * 1.0/1.1 vtable, a NULL method, the factory file's stand-in). */
static uint32_t declared_origin(const pdm__comp *c)
{
    if (c->ops.head.struct_size <
            offsetof(pdm_bootstrap_ops, origin) + sizeof(void (*)(void)) ||
        !c->ops.bootstrap.origin)
        return PDM_ORIGIN_UNKNOWN;
    return c->ops.bootstrap.origin(c->inst);
}

/* Does the profile switch source @c off?  Only a declared origin can
 * say so before the medium is touched; a source without one is asked
 * and its documents are refused one by one (check_input).  The first
 * time a context skips @c it writes one BootstrapSourceDisabled row and
 * one log line; later skips are silent. */
static bool source_disabled(pdm_ctx *ctx, pdm__comp *c)
{
    uint32_t o = declared_origin(c);
    pdm__who who = {PDM_PRINCIPAL_BOOTSTRAP, NULL, NULL, 0, NULL};
    pdm__decision dec;
    char comp[96];

    if (o == PDM_ORIGIN_UNKNOWN || o > PDM_ORIGIN_USER ||
        !(disabled_origins(ctx) & (1u << o)))
        return false;
    /* Inside a transaction the row would wait for its commit (and go
     * with an abort): noted at the next call instead. */
    if (c->bs_disabled_noted || pdm__tree_in_transaction(ctx->tree))
        return true;
    c->bs_disabled_noted = true;
    snprintf(comp, sizeof comp, "%s/%s", c->plugin->name, c->name);
    who.source = comp;
    memset(&dec, 0, sizeof dec);
    dec.rc = PDM_EDENIED;
    pdm__strlcpy(dec.rule, "bootstrap", sizeof dec.rule);
    pdm__strlcpy(dec.component, comp, sizeof dec.component);
    snprintf(dec.reason, sizeof dec.reason,
             "source %s (origin %s) not used: bootstrap.disabled_origins "
             "disables %s",
             comp, origin_name(o), origin_name(o));
    pdm__tree_audit(ctx->tree, &who, "BootstrapSourceDisabled", NULL, &dec);
    pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap", "%s", dec.reason);
    return true;
}

/* "./A/B" → "A/B", "." → "." (the tree's canonical form). */
static const char *canon(const char *uri)
{
    return uri[0] == '.' && uri[1] == '/' ? uri + 2 : uri;
}

static void host_free(void *p)
{
    if (p)
        pdm__host_table()->free(p);
}

/* ---- stage 1: arguments, context, limits ---------------------------------- */

/* @from: the source component that read the document, or NULL. */
static int check_input(job *j, const pdm__comp *from)
{
    const pdm_bootstrap_input *in = &j->in;
    const char *ct = in->content_type;
    size_t bad;
    long max = pdm__profile_get_long(j->ctx->profile, "bootstrap.max_bytes",
                                     BS_MAX_BYTES_DEFAULT);
    const char *why = pdm__engine_unusable(j->ctx);

    if (!in->body || !in->len)
        return refuse(j, PDM_EINVAL, "core", "empty document");
    if (in->flags & ~(uint32_t)PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES)
        return refuse(j, PDM_EINVAL, "core",
                      in->flags & BS_FLAG_SOURCE_RESERVED
                          ? "the source's pdm_bootstrap_doc.reserved0 is not 0"
                          : "unknown pdm_bootstrap_input.flags 0x%x",
                      (unsigned)in->flags);
    if (in->sec > PDM_SEC_USERPINMAC)
        return refuse(j, PDM_EINVAL, "core", "unknown SEC method %u",
                      (unsigned)in->sec);
    /* SMARTCARD documents come only from a source component: nobody
     * else can vouch for a card. */
    if (in->origin < PDM_ORIGIN_FACTORY || in->origin > PDM_ORIGIN_USER ||
        (in->origin == PDM_ORIGIN_SMARTCARD && !from))
        return refuse(j, PDM_EINVAL, "core",
                      "origin %u is not push, file, factory or user",
                      (unsigned)in->origin);
    /* The origin decides what a document may skip (unsigned_origins)
     * and whether it is taken at all: a source that declared one origin
     * does not get another past the profile. */
    if (from) {
        uint32_t o = declared_origin(from);
        if (o != PDM_ORIGIN_UNKNOWN && o != in->origin)
            return refuse(j, PDM_EDENIED, "core",
                          "the source declares origin %s (origin()) but its "
                          "document says %s",
                          o <= PDM_ORIGIN_USER ? origin_name(o) : "(invalid)",
                          origin_name(in->origin));
    }
    if (disabled_origins(j->ctx) & (1u << in->origin))
        return refuse(j, PDM_EDENIED, "core",
                      "origin %s is disabled (bootstrap.disabled_origins)",
                      origin_name(in->origin));
    if (in->mac_hex && (strlen(in->mac_hex) > PDM__WSP_MAC_MAX ||
                        !pdm__text_line_ok(in->mac_hex,
                                           strlen(in->mac_hex), &bad)))
        return refuse(j, PDM_EAUTH, "core",
                      "the MAC parameter is not one line of hex digits");
    if (!ct)
        return refuse(j, PDM_EINVAL, "core", "no content type given");
    if (pdm__strcaseeq(ct, PDM__CT_CP_WBXML) ||
        pdm__strcaseeq(ct, PDM__CT_CP_XML)) {
        j->cp = true;
        j->wbxml = pdm__strcaseeq(ct, PDM__CT_CP_WBXML);
        j->in.content_type = j->wbxml ? PDM__CT_CP_WBXML : PDM__CT_CP_XML;
    } else if (pdm__strcaseeq(ct, PDM__CT_DM_WBXML) ||
               pdm__strcaseeq(ct, PDM__CT_DM_XML)) {
        j->wbxml = pdm__strcaseeq(ct, PDM__CT_DM_WBXML);
        j->in.content_type = j->wbxml ? PDM__CT_DM_WBXML : PDM__CT_DM_XML;
    } else {
        /* The type may be anything the caller got: keep it out of the
         * message unless it is printable text. */
        return refuse(j, PDM_ENOTSUP, "core",
                      "content type '%.80s' is not a bootstrap document type",
                      pdm__text_line_ok(ct, strlen(ct), &bad) ? ct : "?");
    }
    if (why)
        return refuse(j, PDM_EDENIED, "core", "%s", why);
    if (j->ctx->flags & PDM_CTX_READONLY)
        return refuse(j, PDM_EDENIED, "core",
                      "the context is read-only: nothing can be applied");
    if (in->len > (size_t)max) /* max: 1024.. (profile check) */
        return refuse(j, PDM_ETOOBIG, "core",
                      "document of %zu bytes is over bootstrap.max_bytes "
                      "(%ld)", in->len, max);
    return PDM_OK;
}

/* ---- stage 2: the source --------------------------------------------------- */

static int pick_source(job *j, const pdm__comp *from)
{
    pdm_ctx *ctx = j->ctx;
    if (from)
        return PDM_OK; /* set by run() */
    if (!j->cp) {
        pdm__strlcpy(j->source, PDM__BS_SOURCE_DM, sizeof j->source);
        return PDM_OK;
    }
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL,
                                          PDM_KIND_BOOTSTRAP);
         c; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_BOOTSTRAP)) {
        /* accepts() is ABI 1.1: a 1.0 vtable does not have it. */
        if (c->ops.head.struct_size <
                offsetof(pdm_bootstrap_ops, accepts) + sizeof(void (*)(void)) ||
            !c->ops.bootstrap.accepts)
            continue;
        if (c->ops.bootstrap.accepts(c->inst, j->in.content_type,
                                     j->in.origin) == PDM_OK) {
            snprintf(j->source, sizeof j->source, "%s/%s", c->plugin->name,
                     c->name);
            return PDM_OK;
        }
    }
    return refuse(j, PDM_ENOTSUP, "core",
                  "no loaded bootstrap component accepts %s (profile %s)",
                  j->in.content_type,
                  ctx->profile->id ? ctx->profile->id : "?");
}

/* ---- stage 3: SEC/MAC ------------------------------------------------------- */

static int get_imsi(job *j, char *buf, size_t size)
{
    pdm_ctx *ctx = j->ctx;
    const char *v;
    buf[0] = '\0';
    if (ctx->hooks.network_id) {
        int rc = ctx->hooks.network_id(ctx->hooks.user, PDM_NETID_IMSI, buf,
                                       size);
        buf[size - 1] = '\0';
        if (rc == PDM_OK && buf[0])
            return PDM_OK;
        pdm__wipe(buf, size);
        if (rc != PDM_ENOTFOUND)
            return refuse(j, PDM_EAUTH, "core",
                          "the network_id hook failed (%s): no IMSI to check "
                          "the %s MAC with",
                          pdm_strerror(rc), pdm__secmac_sec_name((int)j->in.sec));
    }
    v = pdm__profile_get(ctx->profile, "device.imsi");
    if (!v || pdm__strlcpy(buf, v, size) >= size) {
        pdm__wipe(buf, size);
        return refuse(j, PDM_EAUTH, "core",
                      "SEC %s needs the IMSI and neither the network_id hook "
                      "nor the profile's device.imsi gives one",
                      pdm__secmac_sec_name((int)j->in.sec));
    }
    return PDM_OK;
}

static int get_pin(job *j, char *buf, size_t size)
{
    pdm_ctx *ctx = j->ctx;
    pdm_pin_request rq;
    int rc;
    buf[0] = '\0';
    if (!ctx->hooks.pin)
        return refuse(j, PDM_EAUTH, "core",
                      "SEC %s needs the user's PIN and the device has no PIN "
                      "prompt (pin hook)",
                      pdm__secmac_sec_name((int)j->in.sec));
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.sec = j->in.sec;
    rq.origin = j->in.origin;
    rq.attempt = 1;
    rq.text = "Enter the PIN of the configuration message";
    rq.plugin = NULL; /* the document's PIN, not a plugin's */
    rq.tries_left = -1;
    rc = ctx->hooks.pin(ctx->hooks.user, &rq, buf, size);
    buf[size - 1] = '\0';
    if (rc == PDM_OK && buf[0])
        return PDM_OK;
    pdm__wipe(buf, size);
    if (rc == PDM_ECANCELLED)
        return refuse(j, PDM_ECANCELLED, "core",
                      "the user declined the PIN question");
    return refuse(j, PDM_EAUTH, "core", "no PIN: the pin hook %s",
                  rc == PDM_OK ? "answered an empty PIN" : pdm_strerror(rc));
}

static int verify(job *j)
{
    const pdm_bootstrap_input *in = &j->in;
    const char *list = pdm__profile_get(j->ctx->profile,
                                        "bootstrap.unsigned_origins");
    unsigned mask = 1u << PDM_ORIGIN_FACTORY;
    char imsi[32], pin[PDM__SECMAC_PIN_MAX + 2], err[200] = "";
    bool has_mac = in->mac_hex && in->mac_hex[0];
    int rc;

    if (list && !pdm__bs_origins_parse(list, &mask))
        mask = 0; /* validated at load; fail closed anyway */
    if (in->sec == PDM_SEC_NONE) {
        if (has_mac)
            return refuse(j, PDM_EAUTH, "core",
                          "a MAC without a SEC method cannot be checked");
        if (!(mask & (1u << in->origin)))
            return refuse(j, PDM_EDENIED, "core",
                          "unsigned document (no SEC/MAC) from origin %s: "
                          "bootstrap.unsigned_origins is %s",
                          origin_name(in->origin), list ? list : "factory");
        return PDM_OK;
    }
    if (in->sec != PDM_SEC_USERPINMAC && !has_mac)
        return refuse(j, PDM_EAUTH, "core", "SEC %s given without a MAC",
                      pdm__secmac_sec_name((int)in->sec));
    imsi[0] = pin[0] = '\0';
    if ((in->sec == PDM_SEC_NETWPIN || in->sec == PDM_SEC_USERNETWPIN) &&
        (rc = get_imsi(j, imsi, sizeof imsi)) != PDM_OK)
        return rc;
    if (in->sec != PDM_SEC_NETWPIN &&
        (rc = get_pin(j, pin, sizeof pin)) != PDM_OK) {
        pdm__wipe(imsi, sizeof imsi);
        return rc;
    }
    /* CP senders use IMSI||PIN only; for DM-profile documents both
     * USERNETWPIN key orders are tried (omadm-facts §8.3). */
    rc = pdm__secmac_verify((int)in->sec, imsi[0] ? imsi : NULL,
                            pin[0] ? pin : NULL, in->body, in->len,
                            in->mac_hex,
                            j->cp ? PDM__SECMAC_CP : PDM__SECMAC_DM,
                            &j->variant, err, sizeof err);
    pdm__wipe(imsi, sizeof imsi);
    pdm__wipe(pin, sizeof pin);
    switch (rc) {
    case PDM_OK:
        return PDM_OK;
    case PDM_EAUTH:
        return refuse(j, PDM_EAUTH, "core",
                      "the %s MAC does not match: wrong %s or an altered "
                      "document",
                      pdm__secmac_sec_name((int)in->sec),
                      in->sec == PDM_SEC_NETWPIN       ? "IMSI"
                      : in->sec == PDM_SEC_USERNETWPIN ? "IMSI or PIN"
                                                       : "PIN");
    case PDM_ERROR:
    case PDM_ENOMEM:
        return refuse(j, rc, "core", "MAC check failed: %s", err);
    default:
        /* secmac's texts name the rule, never the IMSI or the PIN. */
        return refuse(j, PDM_EAUTH, "core", "%s MAC not checked: %s",
                      pdm__secmac_sec_name((int)in->sec), err);
    }
}

/* ---- stage 4: decode and place ---------------------------------------------- */

static int decode(job *j)
{
    char err[256] = "";
    int rc;
    if (j->cp) {
        pdm__prov_doc *d = NULL;
        rc = pdm__cp_parse(j->in.body, j->in.len, j->wbxml, &d, err,
                           sizeof err);
        if (rc == PDM_OK)
            rc = pdm__cp_map(d, &j->frag, err, sizeof err);
        pdm__cp_free(d);
    } else {
        rc = pdm__dmprof_decode(j->in.body, j->in.len, j->wbxml, &j->frag,
                                err, sizeof err);
    }
    if (rc != PDM_OK)
        return refuse(j,
                      rc == PDM_EPARSE || rc == PDM_ETOOBIG ||
                              rc == PDM_ENOMEM
                          ? rc
                          : PDM_EFORMAT,
                      "core", "%s document refused: %s",
                      j->cp ? "OMA CP" : "DM-profile",
                      err[0] ? err : pdm_strerror(rc));
    if (!j->frag.n)
        return refuse(j, PDM_EFORMAT, "core",
                      "the document creates no account or connectivity MO");
    return PDM_OK;
}

static int place(job *j)
{
    pdm__tree *t = j->ctx->tree;
    bool replace = pdm__profile_get_bool(j->ctx->profile,
                                         "bootstrap.replace_existing", false);
    char err[256] = "";
    int rc = pdm__bs_place(t, &j->frag, replace, &j->placed, err, sizeof err);
    if (rc == PDM_EEXISTS)
        return refuse(j, rc, "core", "%s%s", err,
                      replace ? "" : " (bootstrap.replace_existing is false)");
    if (rc != PDM_OK)
        return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EFORMAT, "core", "%s",
                      err[0] ? err : pdm_strerror(rc));
    if (!j->placed.nmos)
        return refuse(j, PDM_EFORMAT, "core",
                      "the document creates no account or connectivity "
                      "MO%s%s",
                      j->placed.dropped[0] ? ": " : "", j->placed.dropped);
    /* The account rules (tree/dmacc.h) once more, before anything is
     * written: a bootstrap checks them before it starts. */
    for (size_t i = 0; i < j->placed.nmos; i++) {
        const pdm__bs_mo *m = &j->placed.mos[i];
        pdm__decision dec;
        if (m->kind != PDM__BS_MO_DMACC)
            continue;
        if (!m->server_id)
            return refuse(j, PDM_EFORMAT, "core", "%s: account without ServerID",
                          m->root);
        memset(&dec, 0, sizeof dec);
        rc = pdm__dmacc_check_server_id(
            t, m->replaces ? pdm__tree_lookup(t, m->replaces) : NULL,
            (const uint8_t *)m->server_id, strlen(m->server_id), &dec);
        if (rc != PDM_OK)
            return refuse(j, rc == PDM_EEXISTS ? rc : PDM_EFORMAT, "core",
                          "%s: %s", m->root, dec.reason);
    }
    return PDM_OK;
}

/* ---- stage 5: PDM_OP_BOOTSTRAP policy ---------------------------------------- */

/* The document's MIME type, as decoded (policy req content_type). */
static const char *doc_type(const job *j)
{
    return j->cp ? (j->wbxml ? PDM__CT_CP_WBXML : PDM__CT_CP_XML)
                 : (j->wbxml ? PDM__CT_DM_WBXML : PDM__CT_DM_XML);
}

static int ask(job *j, const pdm__bs_mo *m)
{
    pdm_policy_req req;
    pdm__decision dec;
    char detail[300];
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = PDM_OP_BOOTSTRAP;
    req.principal = PDM_PRINCIPAL_BOOTSTRAP;
    req.source = j->source;
    req.sec = j->in.sec;
    req.origin = j->in.origin;
    req.root_owner = pdm__tree_root_owner(j->ctx->tree);
    req.account_origins = j->origins;
    req.account_exists = m && m->replaces ? 1u : 0u;
    req.content_type = doc_type(j);
    if (m) {
        const pdm__node *old = m->replaces ? pdm__tree_lookup(j->ctx->tree,
                                                              m->replaces)
                                           : NULL;
        req.server_id = m->server_id;
        req.uri = m->root;
        req.address = m->address;
        req.node_owner = old && pdm__node_owner(old)[0] ? pdm__node_owner(old)
                                                        : NULL;
        if (m->replaces)
            snprintf(detail, sizeof detail, "replaces %s", m->replaces);
        else
            snprintf(detail, sizeof detail, "new account %s", m->root);
    } else {
        snprintf(detail, sizeof detail, "connectivity settings only (%s)",
                 j->placed.mos[0].root);
    }
    req.detail = detail;
    if (pdm__engine_policy(j->ctx, &req, &dec) != PDM_OK)
        return refuse(j, PDM_EDENIED, dec.component, "%s: %s",
                      m ? m->server_id : "bootstrap", dec.reason);
    return PDM_OK;
}

static int policy(job *j)
{
    size_t asked = 0;
    j->origins = pdm__authority_origins(j->ctx);
    for (size_t i = 0; i < j->placed.nmos; i++) {
        if (j->placed.mos[i].kind != PDM__BS_MO_DMACC)
            continue;
        asked++;
        if (ask(j, &j->placed.mos[i]) != PDM_OK)
            return j->rc;
    }
    /* A document without accounts is still asked about once: a policy
     * that refuses bootstraps from a source refuses those too. */
    return asked ? PDM_OK : ask(j, NULL);
}

/* ---- stage 6: apply ------------------------------------------------------------- */

/* Did an earlier fragment node lie below @uri (so that the tree created
 * it as a missing parent)? */
static bool made_as_parent(const job *j, size_t i)
{
    const char *u = j->frag.v[i].uri;
    size_t n = strlen(u);
    for (size_t k = 0; k < i; k++)
        if (strncmp(j->frag.v[k].uri, u, n) == 0 && j->frag.v[k].uri[n] == '/')
            return true;
    return false;
}

static int apply_nodes(job *j)
{
    pdm__tree *t = j->ctx->tree;
    pdm__decision dec;
    char err[200];
    int rc;

    /* The account a document replaces goes first, whole: a bootstrap
     * never merges into existing data. */
    for (size_t i = 0; i < j->placed.nmos; i++) {
        const char *old = j->placed.mos[i].replaces;
        pdm__node *acc = old ? pdm__tree_lookup(t, old) : NULL;
        size_t sl = 0;
        const uint8_t *sid = acc ? pdm__dmacc_server_id(t, acc, &sl) : NULL;
        char osid[256];
        if (!acc)
            continue;
        /* Its record goes with it (a new one follows in record()). */
        if (sid && sl && sl < sizeof osid) {
            memcpy(osid, sid, sl);
            osid[sl] = '\0';
            if ((rc = pdm__authority_record_drop(j->ctx, osid)) != PDM_OK)
                return refuse(j, rc, "core", "%s: %s", old, pdm_strerror(rc));
        }
        rc = pdm__tree_delete(t, &j->who, old, &dec);
        if (rc != PDM_OK)
            return refuse(j, rc, dec.component[0] ? dec.component : "core",
                          "%s: %s", old, dec.reason);
    }
    for (size_t i = 0; i < j->frag.n; i++) {
        const pdm__bs_node *n = &j->frag.v[i];
        pdm__tree_item it;
        memset(&it, 0, sizeof it);
        it.data = n->data;
        it.len = n->len;
        it.format = n->format;
        it.type = n->type;
        it.has_format = true;
        if (n->op == PDM_OP_ADD) {
            rc = pdm__tree_add(t, &j->who, n->uri, &it, &dec);
            if (rc == PDM_EEXISTS && n->format == PDM_FORMAT_NODE &&
                !n->type && made_as_parent(j, i))
                rc = PDM_OK; /* listed after its children: same node */
        } else if (n->op == PDM_OP_REPLACE) {
            rc = pdm__tree_replace(t, &j->who, n->uri, &it, &dec);
        } else {
            return refuse(j, PDM_EFORMAT, "core", "%s: operation %d in a "
                          "bootstrap", n->uri, n->op);
        }
        if (rc != PDM_OK)
            return refuse(j, rc == PDM_ENOMEM ? rc
                             : rc == PDM_EDENIED || rc == PDM_ENOTALLOWED
                                 ? PDM_EDENIED
                                 : rc == PDM_EEXISTS ? rc : PDM_EFORMAT,
                          dec.component[0] ? dec.component : "core",
                          "%s: %s", n->uri, dec.reason);
    }
    /* Node ACLs the document gives (TNDS ACL) are set as given, after
     * every node exists. */
    for (size_t i = 0; i < j->frag.n; i++) {
        const pdm__bs_node *n = &j->frag.v[i];
        if (!n->acl)
            continue;
        err[0] = '\0';
        rc = pdm__tree_set_acl(t, canon(n->uri), n->acl, err, sizeof err);
        if (rc != PDM_OK)
            return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EFORMAT, "core",
                          "%s: ACL refused: %s", n->uri, err);
    }
    return PDM_OK;
}

/* The ACL a fragment node gave for @root, or NULL. */
static const char *doc_acl(const job *j, const char *root)
{
    for (size_t i = 0; i < j->frag.n; i++)
        if (strcmp(j->frag.v[i].uri, root) == 0)
            return j->frag.v[i].acl;
    return NULL;
}

/* OMA CP (ProvCont, facts §8.1): the mapped connectivity settings get
 * Get, Replace and Delete for the document's w7 PROVIDER-IDs. */
static int connmo_rights(job *j)
{
    pdm__buf ids, acl;
    char err[200];
    int rc = PDM_OK;
    if (!j->cp)
        return PDM_OK;
    pdm__buf_init(&ids);
    for (size_t i = 0; i < j->placed.nmos; i++)
        if (j->placed.mos[i].kind == PDM__BS_MO_DMACC)
            pdm__buf_printf(&ids, "%s%s", ids.len ? "+" : "",
                            j->placed.mos[i].server_id);
    pdm__buf_init(&acl);
    if (ids.len)
        pdm__buf_printf(&acl, "Get=%.*s&Replace=%.*s&Delete=%.*s",
                        (int)ids.len, (const char *)ids.data, (int)ids.len,
                        (const char *)ids.data, (int)ids.len,
                        (const char *)ids.data);
    pdm__buf_putc(&acl, '\0');
    if (!pdm__buf_ok(&ids) || !pdm__buf_ok(&acl))
        rc = refuse(j, PDM_ENOMEM, "core", "out of memory");
    for (size_t i = 0; rc == PDM_OK && ids.len && i < j->placed.nmos; i++) {
        const pdm__bs_mo *m = &j->placed.mos[i];
        if (m->kind != PDM__BS_MO_CONNMO || doc_acl(j, m->root))
            continue;
        err[0] = '\0';
        rc = pdm__tree_set_acl(j->ctx->tree, canon(m->root),
                               (const char *)acl.data, err, sizeof err);
        if (rc != PDM_OK)
            refuse(j, rc == PDM_ENOMEM ? rc : PDM_EFORMAT, "core",
                   "%s: %s", m->root, err);
    }
    pdm__buf_free(&ids);
    pdm__buf_free(&acl);
    return rc;
}

static void grant_free(pdm_authority_grant *g)
{
    host_free(g->account_acl);
    host_free(g->root_acl);
    host_free(g->root_owner);
    memset(g, 0, sizeof *g);
}

/* May the grant for @m make @owner the root owner?  The policies decide
 * (PDM_OP_TAKEOVER with the bootstrap's principal, sec, origin and
 * source); a refusal refuses the whole document. */
static int takeover(job *j, const pdm__bs_mo *m, const char *owner)
{
    pdm_policy_req req;
    pdm__decision dec;
    const char *cur = pdm__tree_root_owner(j->ctx->tree);
    char detail[300];
    uint32_t exists = 1; /* an account of the tree already */
    for (size_t i = 0; i < j->placed.nmos; i++) {
        const pdm__bs_mo *o = &j->placed.mos[i];
        if (o->kind == PDM__BS_MO_DMACC && o->server_id &&
            strcmp(o->server_id, owner) == 0)
            exists = o->replaces ? 1u : 0u;
    }
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = PDM_OP_TAKEOVER;
    req.principal = PDM_PRINCIPAL_BOOTSTRAP;
    req.server_id = owner;
    req.uri = ".";
    req.root_owner = cur;
    req.source = j->source;
    req.sec = j->in.sec;
    req.origin = j->in.origin;
    req.address = m->address;
    req.account_origins = j->origins;
    req.account_exists = exists;
    snprintf(detail, sizeof detail, "root owner %s -> %s",
             cur ? cur : "(none)", owner);
    req.detail = detail;
    if (pdm__engine_policy(j->ctx, &req, &dec) != PDM_OK)
        return refuse(j, PDM_EDENIED, dec.component,
                      "the grant for %s names %s root owner (%s): %s",
                      m->server_id, owner, detail, dec.reason);
    return PDM_OK;
}

/* The authority component's answer for one account, applied. */
static int authority(job *j, const pdm__bs_mo *m)
{
    pdm_ctx *ctx = j->ctx;
    pdm__tree *t = ctx->tree;
    pdm__comp *ac = ctx->plugins.authority;
    pdm_authority_grant g;
    char who[96] = "core", def[512], err[200] = "", plmn[16];
    const char *acl;
    pdm__node *acc;
    int rc = PDM_OK;

    memset(&g, 0, sizeof g);
    g.struct_size = sizeof g;
    if (ac && ac->ops.authority.on_bootstrap) {
        pdm_authority_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        info.origin = j->in.origin;
        info.sec = j->in.sec;
        info.server_id = m->server_id;
        info.account_uri = m->root;
        info.address = m->address;
        info.root_owner = pdm__tree_root_owner(t);
        info.source = j->source;
        info.flags = pdm__lock_auth_flags(ctx);
        info.home_plmn = pdm__authority_home_plmn(ctx, plmn, sizeof plmn) ==
                                 PDM_OK
                             ? plmn
                             : NULL;
        snprintf(who, sizeof who, "authority:%s/%s", ac->plugin->name,
                 ac->name);
        ac->plugin->err[0] = '\0';
        rc = ac->ops.authority.on_bootstrap(ac->inst, &info, &g);
        if (rc != PDM_OK) /* rule 3: the strings stayed the plugin's */
            return refuse(j, PDM_EDENIED, who,
                          "on_bootstrap failed for ServerID %s (%s)%s%.120s",
                          m->server_id, pdm_strerror(rc),
                          ac->plugin->err[0] ? ": " : "", ac->plugin->err);
        if (g.flags & PDM_GRANT_REFUSE) {
            grant_free(&g);
            /* Its set_error text says why (au_refuse and the whitelist
             * set one): the refusal names it, like a failed call. */
            return refuse(j, PDM_EDENIED, who,
                          "the authority refused the account for ServerID "
                          "%s%s%.200s", m->server_id,
                          ac->plugin->err[0] ? ": " : "", ac->plugin->err);
        }
        pdm__strlcpy(j->granted, who, sizeof j->granted);
        /* A new root owner is a takeover (PDM_OP_TAKEOVER, principal
         * bootstrap), asked before anything of the grant is applied. */
        if (g.root_owner &&
            !pdm__streq(g.root_owner, pdm__tree_root_owner(t)) &&
            takeover(j, m, g.root_owner) != PDM_OK) {
            grant_free(&g);
            return j->rc;
        }
    }
    /* Without an answer the spec's default (DM_Bootstrap): the server
     * gets Get, Replace and Delete on its own account. */
    snprintf(def, sizeof def, "Get=%s&Replace=%s&Delete=%s", m->server_id,
             m->server_id, m->server_id);
    acl = g.account_acl ? g.account_acl : def;
    rc = pdm__tree_set_acl(t, canon(m->root), acl, err, sizeof err);
    /* The account rule of tree/dmacc.h still holds: an ACL naming other
     * servers than the account's own becomes the default. */
    if (rc == PDM_OK && (acc = pdm__tree_lookup(t, m->root)))
        rc = pdm__dmacc_set_account_acl(t, acc);
    if (rc != PDM_OK) {
        grant_free(&g);
        return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EDENIED, who,
                      "account ACL for %s refused: %s", m->root, err);
    }
    if (g.root_acl &&
        (rc = pdm__tree_set_acl(t, ".", g.root_acl, err, sizeof err)) !=
            PDM_OK) {
        grant_free(&g);
        return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EDENIED, who,
                      "root ACL refused: %s", err);
    }
    if (g.root_owner) {
        pdm__node *o = NULL;
        /* An owner is an authority the device knows: a ServerID with an
         * account (this one or another). */
        if (pdm__dmacc_find(t, g.root_owner, &o, NULL) != PDM_OK) {
            grant_free(&g);
            return refuse(j, PDM_EDENIED, who,
                          "root owner given is not the ServerID of exactly "
                          "one DM account");
        }
        rc = pdm__tree_set_root_owner(t, g.root_owner);
        if (rc != PDM_OK) {
            grant_free(&g);
            return refuse(j, rc, "core", "cannot set the root owner");
        }
    }
    grant_free(&g);
    return PDM_OK;
}

/* Who owns what the document made (isolation, S11): the nodes of an
 * account are its server's, and so are the MOs of a document for one
 * account only (its connectivity settings); the MOs of a document with
 * several accounts belong to none of them and stay the bootstrap's
 * ("bootstrap:<source>", as the tree created them). */
static int owners(job *j)
{
    char boot[128];
    const char *single = NULL;
    size_t naccounts = 0;
    snprintf(boot, sizeof boot, "bootstrap:%s", j->source);
    for (size_t i = 0; i < j->placed.nmos; i++)
        if (j->placed.mos[i].kind == PDM__BS_MO_DMACC) {
            single = j->placed.mos[i].server_id;
            naccounts++;
        }
    for (size_t i = 0; i < j->placed.nmos; i++) {
        const pdm__bs_mo *m = &j->placed.mos[i];
        const char *owner = m->kind == PDM__BS_MO_DMACC ? m->server_id
                            : naccounts == 1          ? single
                                                      : NULL;
        int rc;
        if (!owner || !pdm__tree_lookup(j->ctx->tree, m->root))
            continue;
        rc = pdm__tree_reassign_owner(j->ctx->tree, canon(m->root), boot,
                                      owner, NULL, NULL);
        if (rc != PDM_OK)
            return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EFORMAT, "core",
                          "%s: cannot record its owner (%s)", m->root,
                          pdm_strerror(rc));
    }
    return PDM_OK;
}

/* How the account came (engine/authority.h), in the same transaction
 * as its nodes. */
static int record(job *j, const pdm__bs_mo *m)
{
    int rc = pdm__authority_record_set(j->ctx, m->server_id, j->in.origin,
                                       j->in.sec, j->source);
    if (rc != PDM_OK)
        return refuse(j, rc == PDM_ENOMEM ? rc : PDM_EFORMAT, "core",
                      "%s: cannot record how the account came (%s)", m->root,
                      pdm_strerror(rc));
    return PDM_OK;
}

static void describe(job *j)
{
    size_t n = 0;
    j->created[0] = '\0';
    for (size_t i = 0; i < j->placed.nmos; i++) {
        const pdm__bs_mo *m = &j->placed.mos[i];
        int w;
        if (n >= sizeof j->created)
            break;
        if (m->kind == PDM__BS_MO_DMACC)
            w = snprintf(j->created + n, sizeof j->created - n,
                         "%s%s for ServerID %s%s", n ? "; " : "", m->root,
                         m->server_id, m->replaces ? " (replaced)" : "");
        else
            w = snprintf(j->created + n, sizeof j->created - n, "%s%s",
                         n ? "; " : "", m->root);
        n += w > 0 ? (size_t)w : 0;
    }
}

static int apply(job *j)
{
    pdm__tree *t = j->ctx->tree;
    int rc = pdm__tree_begin(t);
    if (rc != PDM_OK)
        return refuse(j, PDM_EBUSY, "core",
                      "the management tree is busy (a session or change is "
                      "open): try again");
    j->in_tx = true;
    if (apply_nodes(j) != PDM_OK || connmo_rights(j) != PDM_OK ||
        owners(j) != PDM_OK)
        return j->rc;
    for (size_t i = 0; i < j->placed.nmos; i++)
        if (j->placed.mos[i].kind == PDM__BS_MO_DMACC &&
            (authority(j, &j->placed.mos[i]) != PDM_OK ||
             record(j, &j->placed.mos[i]) != PDM_OK))
            return j->rc;
    describe(j);
    return PDM_OK;
}

/* ---- stage 7: the audit row --------------------------------------------------- */

static void audit(job *j)
{
    pdm__decision dec;
    const char *uri = NULL;
    char tail[128];
    memset(&dec, 0, sizeof dec);
    for (size_t i = 0; i < j->placed.nmos && !uri; i++)
        if (j->placed.mos[i].kind == PDM__BS_MO_DMACC)
            uri = j->placed.mos[i].root;
    /* Never the MAC, the PIN or the IMSI: only which method was used. */
    snprintf(tail, sizeof tail, "origin %s%s%.40s, SEC %s%s",
             origin_name(j->in.origin), j->in.via ? " via " : "",
             j->in.via ? j->in.via : "", pdm__secmac_sec_name((int)j->in.sec),
             j->rc == PDM_OK && j->in.sec ? " verified" : "");
    pdm__strlcpy(dec.rule, "bootstrap", sizeof dec.rule);
    if (j->rc == PDM_OK) {
        dec.rc = PDM_OK;
        pdm__strlcpy(dec.component, j->granted[0] ? j->granted : "core",
                     sizeof dec.component);
        snprintf(dec.reason, sizeof dec.reason, "applied: %.160s (%.80s)",
                 j->created, tail);
    } else {
        /* A refusal is a denial in the log, an internal failure an
         * error. */
        dec.rc = j->rc == PDM_ENOMEM || j->rc == PDM_EIO ||
                         j->rc == PDM_ENOSPC || j->rc == PDM_ERROR ||
                         j->rc == PDM_EBUSY
                     ? j->rc
                     : PDM_EDENIED;
        char head[64];
        int room;
        pdm__strlcpy(dec.component, j->component, sizeof dec.component);
        /* The refusal text gets all the row has left after the head and
         * the tail: a policy's or authority's reason comes after the
         * core's own prefix and must survive it. */
        snprintf(head, sizeof head, "refused (%s): ", pdm_strerror(j->rc));
        room = (int)sizeof dec.reason - 1 - (int)strlen(head) -
               (int)strlen(tail) - 3;
        snprintf(dec.reason, sizeof dec.reason, "%s%.*s (%s)", head,
                 room > 0 ? room : 0, j->why, tail);
    }
    pdm__tree_audit(j->ctx->tree, &j->who, "Bootstrap", uri, &dec);
}

/* ---- stage 8: pending first sessions ---------------------------------------- */

static int pending_add(pdm_ctx *ctx, const char *sid)
{
    char **v, *s;
    for (size_t i = 0; i < ctx->bs_npending; i++)
        if (strcmp(ctx->bs_pending[i], sid) == 0)
            return PDM_OK;
    if (ctx->bs_npending >= PENDING_MAX) {
        /* The oldest waited longest; it is logged, not silently lost. */
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "pending first-session list full: %s dropped from it",
                  ctx->bs_pending[0]);
        pdm__free(ctx->bs_pending[0]);
        memmove(ctx->bs_pending, ctx->bs_pending + 1,
                (ctx->bs_npending - 1) * sizeof *ctx->bs_pending);
        ctx->bs_npending--;
    }
    v = pdm__realloc(ctx->bs_pending,
                     (ctx->bs_npending + 1) * sizeof *ctx->bs_pending);
    if (!v)
        return PDM_ENOMEM;
    ctx->bs_pending = v;
    if (!(s = pdm__strdup(sid)))
        return PDM_ENOMEM;
    v[ctx->bs_npending++] = s;
    return PDM_OK;
}

/* Saved as "B1\n" then one ServerID per line (a valid ServerID has no
 * blank: tree/dmacc.h). */
static void pending_save(pdm_ctx *ctx)
{
    pdm__buf b;
    int rc;
    if (!ctx->store || (ctx->flags & PDM_CTX_READONLY))
        return;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "B1\n");
    for (size_t i = 0; i < ctx->bs_npending; i++)
        pdm__buf_printf(&b, "%s\n", ctx->bs_pending[i]);
    rc = !pdm__buf_ok(&b) ? PDM_ENOMEM
         : ctx->bs_npending
             ? pdm__store_kv_put(ctx->store, "core", KV_PENDING, b.data, b.len)
             : pdm__store_kv_del(ctx->store, "core", KV_PENDING);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "cannot save the pending first sessions: %s",
                  pdm_strerror(rc));
    pdm__buf_free(&b);
}

static void pending_load(pdm_ctx *ctx)
{
    uint8_t *v = NULL;
    size_t len = 0;
    if (ctx->bs_pending_loaded)
        return;
    ctx->bs_pending_loaded = true;
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", KV_PENDING, &v, &len) != PDM_OK)
        return;
    if (len < 3 || memcmp(v, "B1\n", 3) != 0) {
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "saved pending first sessions unreadable: dropped");
    } else {
        for (size_t p = 3; p < len;) {
            const uint8_t *nl = memchr(v + p, '\n', len - p);
            size_t n = nl ? (size_t)(nl - (v + p)) : len - p;
            size_t bad;
            char sid[256];
            if (n && n < sizeof sid && pdm__text_line_ok(v + p, n, &bad) &&
                !memchr(v + p, ' ', n)) {
                memcpy(sid, v + p, n);
                sid[n] = '\0';
                if (pending_add(ctx, sid) != PDM_OK)
                    break;
            }
            p += n + 1;
        }
    }
    pdm__free(v);
}

/* Entries whose account is gone leave the list (an ambiguous tree keeps
 * them: nobody may pick). */
static void pending_prune(pdm_ctx *ctx)
{
    size_t k = 0;
    bool changed = false;
    for (size_t i = 0; i < ctx->bs_npending; i++) {
        pdm__node *acc = NULL;
        if (pdm__dmacc_find(ctx->tree, ctx->bs_pending[i], &acc, NULL) ==
            PDM_ENOTFOUND) {
            pdm__free(ctx->bs_pending[i]);
            changed = true;
            continue;
        }
        ctx->bs_pending[k++] = ctx->bs_pending[i];
    }
    ctx->bs_npending = k;
    if (changed)
        pending_save(ctx);
}

/* Takes @server_id off the list (saved); false if it was not on it. */
static bool pending_drop(pdm_ctx *ctx, const char *server_id)
{
    pending_load(ctx);
    for (size_t i = 0; i < ctx->bs_npending; i++) {
        if (strcmp(ctx->bs_pending[i], server_id) != 0)
            continue;
        pdm__free(ctx->bs_pending[i]);
        memmove(ctx->bs_pending + i, ctx->bs_pending + i + 1,
                (ctx->bs_npending - i - 1) * sizeof *ctx->bs_pending);
        ctx->bs_npending--;
        pending_save(ctx);
        return true;
    }
    return false;
}

void pdm__bootstrap_session_ok(pdm_ctx *ctx, const char *server_id)
{
    if (!ctx || !server_id)
        return;
    if (pending_drop(ctx, server_id))
        pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap",
                  "first session with bootstrapped server %s done",
                  server_id);
}

PDM_API const char *pdm_ctx_bootstrap_pending(pdm_ctx *ctx, size_t i)
{
    if (!ctx || !ctx->tree)
        return NULL;
    pending_load(ctx);
    if (i == 0 && !pdm__tree_in_transaction(ctx->tree))
        pending_prune(ctx);
    return i < ctx->bs_npending ? ctx->bs_pending[i] : NULL;
}

/* ---- stage 8b: accounts tied to a source id ------------------------------------ */

/* Which accounts came from a source id (a card's ICCID): ServerID →
 * (component "plugin/component", source id), so that a scan can remove
 * them when the component no longer reports the id (srcs_gone).  Saved
 * in kv "core"/bootstrap-sources as "S1\n" then one
 * "ServerID\tcomponent\tsource id\n" per account (none of the three has
 * a tab or a newline: dmacc.h, plugin names, one_line() below). */
typedef struct bs_src {
    char sid[256], comp[96], id[SOURCE_ID_MAX + 1];
} bs_src;

typedef struct bs_srcs {
    bs_src *v;
    size_t n;
    bool dirty;
} bs_srcs;

/* Copies v[0..n) into dst if it is one line of text without a tab. */
static bool field(char *dst, size_t size, const uint8_t *v, size_t n)
{
    size_t bad;
    if (!n || n >= size || !pdm__text_line_ok(v, n, &bad) || memchr(v, '\t', n))
        return false;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return true;
}

/* Loads the records; unreadable ones are dropped with a log line (and
 * gone from the store at the next save).  PDM_ENOMEM only. */
static int srcs_load(pdm_ctx *ctx, bs_srcs *s)
{
    uint8_t *v = NULL;
    size_t len = 0, dropped = 0;
    memset(s, 0, sizeof *s);
    if (!(s->v = pdm__calloc(SOURCES_MAX, sizeof *s->v)))
        return PDM_ENOMEM;
    if (!ctx->store ||
        pdm__store_kv_get(ctx->store, "core", KV_SOURCES, &v, &len) != PDM_OK)
        return PDM_OK;
    if (len < 3 || memcmp(v, "S1\n", 3) != 0) {
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "saved bootstrap source records unreadable: dropped");
        s->dirty = true;
        pdm__free(v);
        return PDM_OK;
    }
    for (size_t p = 3; p < len;) {
        const uint8_t *line = v + p, *nl = memchr(line, '\n', len - p);
        size_t n = nl ? (size_t)(nl - line) : len - p;
        const uint8_t *t1 = memchr(line, '\t', n);
        const uint8_t *t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - line))
                               : NULL;
        bs_src *r = &s->v[s->n];
        p += n + 1;
        if (s->n < SOURCES_MAX && t1 && t2 &&
            field(r->sid, sizeof r->sid, line, (size_t)(t1 - line)) &&
            !strchr(r->sid, ' ') &&
            field(r->comp, sizeof r->comp, t1 + 1, (size_t)(t2 - t1 - 1)) &&
            field(r->id, sizeof r->id, t2 + 1, n - (size_t)(t2 + 1 - line)))
            s->n++;
        else
            dropped++;
    }
    if (dropped) {
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "%zu saved bootstrap source record(s) unreadable: dropped",
                  dropped);
        s->dirty = true;
    }
    pdm__free(v);
    return PDM_OK;
}

static void srcs_save(pdm_ctx *ctx, bs_srcs *s)
{
    pdm__buf b;
    int rc;
    if (!s->dirty || !ctx->store || (ctx->flags & PDM_CTX_READONLY))
        return;
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "S1\n");
    for (size_t i = 0; i < s->n; i++)
        pdm__buf_printf(&b, "%s\t%s\t%s\n", s->v[i].sid, s->v[i].comp,
                        s->v[i].id);
    rc = !pdm__buf_ok(&b) ? PDM_ENOMEM
         : s->n ? pdm__store_kv_put(ctx->store, "core", KV_SOURCES, b.data,
                                    b.len)
                : pdm__store_kv_del(ctx->store, "core", KV_SOURCES);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "cannot save the bootstrap source records: %s",
                  pdm_strerror(rc));
    pdm__buf_free(&b);
}

static void srcs_drop(bs_srcs *s, size_t i)
{
    memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof *s->v);
    s->n--;
    s->dirty = true;
}

/* The account for @sid now comes from (@comp, @id), or from no source id
 * at all when @comp is NULL (a push, a file, the factory file, a source
 * without ids): the last bootstrap of a ServerID decides, so a card's
 * removal never takes an account that was bootstrapped again since. */
static void srcs_set(pdm_ctx *ctx, bs_srcs *s, const char *sid,
                     const char *comp, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].sid, sid) == 0) {
            srcs_drop(s, i);
            break;
        }
    if (!comp)
        return;
    if (s->n >= SOURCES_MAX) {
        /* Like the pending list: the oldest goes, logged. */
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "bootstrap source records full: ServerID %s is no longer "
                  "removed with its source",
                  s->v[0].sid);
        srcs_drop(s, 0);
    }
    if (strlen(sid) >= sizeof s->v[0].sid || strlen(comp) >= sizeof s->v[0].comp)
        return; /* cannot happen: dmacc.h and plugin names bound both */
    pdm__strlcpy(s->v[s->n].sid, sid, sizeof s->v[0].sid);
    pdm__strlcpy(s->v[s->n].comp, comp, sizeof s->v[0].comp);
    pdm__strlcpy(s->v[s->n].id, id, sizeof s->v[0].id);
    s->n++;
    s->dirty = true;
}

/* After a commit: who the accounts of @j came from. */
static void srcs_record(job *j, const char *source_id)
{
    bs_srcs s;
    if (srcs_load(j->ctx, &s) != PDM_OK) {
        pdm__logf(&j->ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "out of memory: the source of %s is not recorded",
                  j->created);
        return;
    }
    for (size_t i = 0; i < j->placed.nmos; i++)
        if (j->placed.mos[i].kind == PDM__BS_MO_DMACC)
            srcs_set(j->ctx, &s, j->placed.mos[i].server_id,
                     source_id ? j->source : NULL, source_id);
    srcs_save(j->ctx, &s);
    pdm__free(s.v);
}

void pdm__bootstrap_forget(pdm_ctx *ctx, const char *server_id)
{
    bs_srcs s;
    if (!ctx || !server_id || (ctx->flags & PDM_CTX_READONLY))
        return;
    pending_drop(ctx, server_id);
    if (srcs_load(ctx, &s) != PDM_OK) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "out of memory: the source record of %s stays (dropped "
                  "at the next scan)",
                  server_id);
        return;
    }
    for (size_t i = 0; i < s.n; i++)
        if (strcmp(s.v[i].sid, server_id) == 0) {
            srcs_drop(&s, i);
            break;
        }
    srcs_save(ctx, &s);
    pdm__free(s.v);
}

static bool id_present(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] && strcmp(ids[i], id) == 0)
            return true;
    return false;
}

/* The audit text: "./DMAcc/x (ServerID s): source p/c no longer has
 * <id>: <what>" (cut to the row's size). */
static void gone_reason(pdm__decision *d, const char *uri, const bs_src *r,
                        const char *what)
{
    char m[1100];
    snprintf(m, sizeof m,
             "%.256s (ServerID %.256s): source %.96s no longer has %.128s: "
             "%.300s",
             uri, r->sid, r->comp, r->id, what);
    pdm__strlcpy(d->reason, m, sizeof d->reason);
}

/* Record @r's source id is gone: remove its account (with its ServerID
 * from every ACL, TND §6.8, and from the pending first sessions) in one
 * tree transaction, or keep it, per bootstrap.removed_source; one audit
 * row either way.  Returns true when the record is done with. */
static bool src_gone(pdm_ctx *ctx, const bs_src *r, bool keep)
{
    pdm__tree *t = ctx->tree;
    pdm__who who = {PDM_PRINCIPAL_BOOTSTRAP, NULL, r->comp, 0, NULL};
    pdm__node *acc = NULL;
    pdm__decision dec, del;
    pdm__buf b;
    char uri[300], what[300];
    size_t scrubbed = 0;
    int rc = pdm__dmacc_find(t, r->sid, &acc, NULL);

    if (rc == PDM_ENOTFOUND)
        return true; /* gone already: nothing to do, nothing to say */
    if (rc != PDM_OK) {
        /* Two accounts carry it: nobody may pick one (dmacc.h). */
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "source %s no longer has %s, but ServerID %s is ambiguous "
                  "in the tree: nothing removed",
                  r->comp, r->id, r->sid);
        return false;
    }
    pdm__buf_init(&b);
    pdm__node_path(acc, &b);
    snprintf(uri, sizeof uri, "./%.*s", (int)b.len,
             b.data ? (const char *)b.data : "");
    pdm__buf_free(&b);
    memset(&dec, 0, sizeof dec);
    dec.rc = PDM_OK;
    pdm__strlcpy(dec.rule, "bootstrap", sizeof dec.rule);
    pdm__strlcpy(dec.component, r->comp, sizeof dec.component);
    if (keep) {
        /* Kept once is kept: the account is an ordinary one from now on
         * (the record goes, so later scans do not audit it again). */
        gone_reason(&dec, uri, r, "kept (bootstrap.removed_source)");
        pdm__tree_audit(t, &who, "BootstrapSourceGone", uri, &dec);
        pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap", "%s", dec.reason);
        return true;
    }
    if (pdm__tree_begin(t) != PDM_OK) {
        pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                  "source %s no longer has %s: the tree is busy, %s is "
                  "removed at the next scan",
                  r->comp, r->id, uri);
        return false;
    }
    memset(&del, 0, sizeof del);
    rc = pdm__tree_delete(t, &who, uri, &del);
    if (rc == PDM_OK)
        rc = pdm__tree_remove_server(t, r->sid, &scrubbed);
    if (rc == PDM_OK)
        rc = pdm__authority_record_drop(ctx, r->sid);
    if (rc == PDM_OK && pdm__tree_root_owner(t) &&
        strcmp(pdm__tree_root_owner(t), r->sid) == 0)
        rc = pdm__tree_set_root_owner(t, NULL); /* its owner is gone */
    if (rc == PDM_OK) {
        snprintf(what, sizeof what, "removed (ACLs of %zu node(s) scrubbed)",
                 scrubbed);
        gone_reason(&dec, uri, r, what);
        pdm__tree_audit(t, &who, "BootstrapSourceGone", uri, &dec);
        rc = pdm__tree_commit(t);
        if (rc == PDM_OK) {
            pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap", "%s", dec.reason);
            pending_drop(ctx, r->sid);
            return true;
        }
        pdm__strlcpy(del.reason,
                     ctx->store ? pdm__store_error(ctx->store) : "store",
                     sizeof del.reason);
    } else {
        if (!del.reason[0])
            pdm__strlcpy(del.reason, pdm_strerror(rc), sizeof del.reason);
        dec.rc = rc == PDM_ENOMEM ? rc : PDM_EDENIED;
        if (del.component[0])
            pdm__strlcpy(dec.component, del.component, sizeof dec.component);
        snprintf(what, sizeof what, "not removed: %s", del.reason);
        gone_reason(&dec, uri, r, what);
        pdm__tree_audit(t, &who, "BootstrapSourceGone", uri, &dec);
        pdm__tree_abort(t);
    }
    /* The record stays: the next scan tries again. */
    pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
              "source %s no longer has %s: %s not removed (%s)", r->comp,
              r->id, uri, del.reason);
    return false;
}

/* Before a scan reads documents: the accounts whose source id their
 * component no longer reports (present_ids). */
static void srcs_gone(pdm_ctx *ctx)
{
    const char *mode = pdm__profile_get(ctx->profile,
                                        "bootstrap.removed_source");
    bool keep = mode && strcmp(mode, "keep") == 0;
    bs_srcs s;

    if (srcs_load(ctx, &s) != PDM_OK) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "out of memory: removed sources not checked");
        return;
    }
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL,
                                          PDM_KIND_BOOTSTRAP);
         c && s.n; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_BOOTSTRAP)) {
        char comp[96], **ids = NULL;
        size_t nids = 0, mine = 0;
        int rc;
        snprintf(comp, sizeof comp, "%s/%s", c->plugin->name, c->name);
        for (size_t i = 0; i < s.n; i++)
            mine += strcmp(s.v[i].comp, comp) == 0;
        if (!mine || !c->ops.bootstrap.present_ids)
            continue; /* NULL: its accounts never disappear */
        /* Switched off: not asked, so its accounts stay as they are (as
         * for a source that cannot tell). */
        if (source_disabled(ctx, c))
            continue;
        rc = c->ops.bootstrap.present_ids(c->inst, &ids, &nids);
        if (rc != PDM_OK || (nids && !ids)) {
            /* Fail safe: a reader error must not wipe accounts.  Rule 3:
             * on failure nothing of the answer is ours. */
            pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                      "source %s: present_ids failed (%s): its %zu "
                      "account(s) are left as they are",
                      comp, rc != PDM_OK ? pdm_strerror(rc) : "no array", mine);
            continue;
        }
        for (size_t i = 0; i < s.n;) {
            if (strcmp(s.v[i].comp, comp) != 0 ||
                id_present(ids, nids, s.v[i].id) ||
                !src_gone(ctx, &s.v[i], keep)) {
                i++;
                continue;
            }
            srcs_drop(&s, i);
        }
        for (size_t i = 0; i < nids; i++)
            host_free(ids[i]);
        host_free(ids);
    }
    srcs_save(ctx, &s);
    pdm__free(s.v);
}

/* ---- the pipeline ----------------------------------------------------------------- */

/* @source_id: the document's pdm_bootstrap_doc.source_id (a source
 * component's), or NULL. */
static int run(pdm_ctx *ctx, const pdm_bootstrap_input *in,
               const pdm__comp *from, const char *source_id,
               pdm_bootstrap_result *out)
{
    job j;
    int rc;

    memset(&j, 0, sizeof j);
    j.ctx = ctx;
    memcpy(&j.in, in,
           in->struct_size < sizeof j.in ? in->struct_size : sizeof j.in);
    j.in.struct_size = sizeof j.in;
    pdm__bs_frag_init(&j.frag);
    /* A component's document is its own from the start; a submitted one
     * is "unknown" in the audit row until a source takes it. */
    if (from)
        snprintf(j.source, sizeof j.source, "%s/%s", from->plugin->name,
                 from->name);
    else
        pdm__strlcpy(j.source, "unknown", sizeof j.source);
    j.who.principal = PDM_PRINCIPAL_BOOTSTRAP;
    j.who.source = j.source;
    if (j.in.via) {
        size_t bad, vl = strnlen(j.in.via, BS_VIA_MAX + 1);
        if (vl > BS_VIA_MAX || !pdm__text_line_ok(j.in.via, vl, &bad)) {
            j.in.via = NULL;
            refuse(&j, PDM_EINVAL, "core", "'via' is not one line of text");
            goto done;
        }
    }
    if (source_id) {
        size_t bad, sl = strnlen(source_id, SOURCE_ID_MAX + 1);
        if (!sl || sl > SOURCE_ID_MAX ||
            !pdm__text_line_ok(source_id, sl, &bad) ||
            memchr(source_id, '\t', sl)) {
            refuse(&j, PDM_EINVAL, "core",
                   "the source's source_id is not one line of text of 1 to "
                   "%d bytes without a tab", SOURCE_ID_MAX);
            goto done;
        }
    }
    if ((rc = check_input(&j, from)) != PDM_OK ||
        (rc = pick_source(&j, from)) != PDM_OK ||
        (rc = verify(&j)) != PDM_OK ||
        (j.authenticated = true, (rc = decode(&j)) != PDM_OK) ||
        (rc = place(&j)) != PDM_OK || (rc = policy(&j)) != PDM_OK ||
        (rc = apply(&j)) != PDM_OK)
        goto done;
    audit(&j);
    if (out)
        out->flags |= PDM_BOOTSTRAP_RESULT_AUDITED;
    rc = pdm__tree_commit(ctx->tree);
    j.in_tx = false;
    if (rc != PDM_OK) {
        refuse(&j, rc, "core", "cannot store the bootstrap: %s",
               ctx->store ? pdm__store_error(ctx->store) : pdm_strerror(rc));
        goto done;
    }
    pending_load(ctx);
    for (size_t i = 0; i < j.placed.nmos; i++)
        if (j.placed.mos[i].kind == PDM__BS_MO_DMACC) {
            pending_add(ctx, j.placed.mos[i].server_id);
            if (out)
                out->naccounts++;
        }
    pending_save(ctx);
    srcs_record(&j, source_id);
    pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap",
              "bootstrap from %s applied: %s", j.source, j.created);
    if (out)
        pdm__strlcpy(out->summary, j.created, sizeof out->summary);
    goto out;
done:
    if (j.in_tx)
        pdm__tree_abort(ctx->tree);
    pdm__strlcpy(ctx->err, j.why, sizeof ctx->err);
    /* A forgery the caller records itself (rate-limited) leaves no row
     * and no line here: see PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES. */
    if (j.authenticated ||
        !(j.in.flags & PDM_BOOTSTRAP_CALLER_AUDITS_FORGERIES)) {
        if (ctx->tree && !pdm__tree_in_transaction(ctx->tree)) {
            audit(&j);
            if (out)
                out->flags |= PDM_BOOTSTRAP_RESULT_AUDITED;
        }
        /* INFO: the caller reports the refusal (pdm_ctx_last_error);
         * the audit row is the record. */
        pdm__logf(&ctx->log, PDM_LOG_INFO, "bootstrap",
                  "bootstrap from %s refused by %s: %s (%s)", j.source,
                  j.component, j.why, pdm_strerror(j.rc));
    }
    if (out) {
        out->naccounts = 0;
        pdm__strlcpy(out->summary, j.why, sizeof out->summary);
        pdm__strlcpy(out->component, j.component, sizeof out->component);
    }
out:
    pdm__bs_placed_free(&j.placed);
    pdm__bs_frag_free(&j.frag);
    return j.rc;
}

PDM_API int pdm_ctx_bootstrap_submit(pdm_ctx *ctx,
                                     const pdm_bootstrap_input *in,
                                     pdm_bootstrap_result *out)
{
    if (out) {
        if (out->struct_size < sizeof *out)
            return PDM_EINVAL;
        memset(out, 0, sizeof *out);
        out->struct_size = sizeof *out;
    }
    if (!ctx || !in ||
        in->struct_size < offsetof(pdm_bootstrap_input, via) + sizeof(char *))
        return PDM_EINVAL;
    if (!ctx->tree) {
        pdm__strlcpy(ctx->err, "the context is not open", sizeof ctx->err);
        return PDM_EDENIED;
    }
    return run(ctx, in, NULL, NULL, out);
}

/* ---- stage 9: scan ------------------------------------------------------------------- */

const char *pdm__bs_sniff(const uint8_t *b, size_t len)
{
    /* WBXML: version, public id (mb_u_int32; 0 = string table index). */
    if (len >= 4 && b[0] >= 0x01 && b[0] <= 0x03) {
        uint32_t id = 0;
        size_t p = 1;
        do {
            id = (id << 7) | (b[p] & 0x7F);
        } while (b[p++] & 0x80 && p < len && p < 6);
        if (id == 0x0B)
            return PDM__CT_CP_WBXML;
        if (id == 0x0FD3 || id == 0x1201 || id == 0x0FD1)
            return PDM__CT_DM_WBXML;
        if (id == 0) {
            /* The string table holds the public id text. */
            static const char prov[] = "-//WAPFORUM//DTD PROV";
            static const char sml[] = "-//SYNCML//DTD SyncML";
            for (size_t k = p; k + sizeof prov <= len && k < 64; k++) {
                if (memcmp(b + k, prov, sizeof prov - 1) == 0)
                    return PDM__CT_CP_WBXML;
                if (k + sizeof sml <= len &&
                    memcmp(b + k, sml, sizeof sml - 1) == 0)
                    return PDM__CT_DM_WBXML;
            }
        }
        return NULL;
    }
    /* XML: the first element's name, after the prolog. */
    for (size_t p = 0; p < len;) {
        if (p + 3 <= len && memcmp(b + p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
        } else if (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' ||
                   b[p] == '\n') {
            p++;
        } else if (b[p] == '<' && p + 1 < len &&
                   (b[p + 1] == '?' || b[p + 1] == '!')) {
            const uint8_t *gt = memchr(b + p, '>', len - p);
            if (!gt)
                return NULL;
            p = (size_t)(gt - b) + 1;
        } else if (b[p] == '<') {
            static const char cp[] = "wap-provisioningdoc", dm[] = "SyncML";
            const uint8_t *e = b + p + 1;
            size_t rest = len - p - 1;
            if (rest >= sizeof cp && memcmp(e, cp, sizeof cp - 1) == 0 &&
                strchr(" \t\r\n>/", e[sizeof cp - 1]))
                return PDM__CT_CP_XML;
            if (rest >= sizeof dm && memcmp(e, dm, sizeof dm - 1) == 0 &&
                strchr(" \t\r\n>/", e[sizeof dm - 1]))
                return PDM__CT_DM_XML;
            return NULL;
        } else {
            return NULL;
        }
    }
    return NULL;
}

typedef struct scan_counts {
    size_t applied, refused;
    int first;
} scan_counts;

static void count(scan_counts *c, int rc)
{
    if (rc == PDM_OK) {
        c->applied++;
        return;
    }
    c->refused++;
    if (c->first == PDM_OK)
        c->first = rc;
}

static void scan_source(pdm_ctx *ctx, pdm__comp *c, scan_counts *sc)
{
    if (source_disabled(ctx, c))
        return;
    for (int k = 0; k < SCAN_PER_SOURCE; k++) {
        pdm_bootstrap_doc doc;
        pdm_bootstrap_input in;
        int rc = c->ops.bootstrap.probe ? c->ops.bootstrap.probe(c->inst)
                                        : PDM_ENOTFOUND;
        if (rc == PDM_ENOTFOUND)
            return;
        if (rc != PDM_OK) {
            pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                      "source %s/%s: probe failed (%s)", c->plugin->name,
                      c->name, pdm_strerror(rc));
            count(sc, rc < 0 && rc >= PDM_RC_MIN ? rc : PDM_ERROR);
            return;
        }
        memset(&doc, 0, sizeof doc);
        doc.struct_size = sizeof doc;
        rc = c->ops.bootstrap.read(c->inst, &doc);
        if (rc == PDM_ENOTFOUND)
            return;
        if (rc != PDM_OK) { /* rule 3: nothing of doc is ours */
            pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
                      "source %s/%s: read failed (%s)", c->plugin->name,
                      c->name, pdm_strerror(rc));
            count(sc, rc < 0 && rc >= PDM_RC_MIN ? rc : PDM_ERROR);
            return;
        }
        memset(&in, 0, sizeof in);
        in.struct_size = sizeof in;
        in.origin = doc.origin;
        in.body = doc.body.data;
        in.len = doc.body.len;
        in.content_type = doc.content_type;
        in.sec = doc.sec;
        /* A reserved field a plugin set is refused (fail closed) under
         * a flag bit no caller can give. */
        in.flags = doc.reserved0 ? BS_FLAG_SOURCE_RESERVED : 0;
        in.mac_hex = doc.mac_hex;
        in.via = NULL;
        rc = run(ctx, &in, c, doc.source_id, NULL);
        count(sc, rc);
        if (c->ops.bootstrap.consumed)
            c->ops.bootstrap.consumed(c->inst, rc);
        /* Rule 2: on PDM_OK the pointers became the core's. */
        host_free(doc.body.data);
        host_free(doc.content_type);
        host_free(doc.mac_hex);
        host_free(doc.source_id);
    }
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, d) != 0) {
        out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void scan_factory(pdm_ctx *ctx, scan_counts *sc)
{
    char *path = pdm__profile_path(ctx->profile, "bootstrap.factory_file");
    const char *ct = pdm__profile_get(ctx->profile,
                                      "bootstrap.factory_content_type");
    long max = pdm__profile_get_long(ctx->profile, "bootstrap.max_bytes",
                                     BS_MAX_BYTES_DEFAULT);
    pdm__comp src;
    pdm__plugin fake;
    pdm_bootstrap_input in;
    uint8_t *data = NULL, *seen = NULL;
    size_t len = 0, slen = 0;
    char hash[65];
    int rc;

    if (!path)
        return;
    /* A disabled factory origin: the file is refused (audited) once per
     * context and its hash is not kept, so that the file is applied once
     * a profile enables the origin again. */
    if ((disabled_origins(ctx) & (1u << PDM_ORIGIN_FACTORY)) &&
        ctx->bs_factory_refused) {
        pdm__free(path);
        return;
    }
    rc = pdm__read_file(path, (size_t)max + 1, &data, &len);
    if (rc != PDM_OK) {
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "bootstrap.factory_file %s: %s", path, pdm_strerror(rc));
        count(sc, rc);
        pdm__free(path);
        return;
    }
    sha256_hex(data, len, hash);
    /* Applied once: the same bytes are not offered again. */
    if (hash[0] && ctx->store &&
        pdm__store_kv_get(ctx->store, "core", KV_FACTORY, &seen, &slen) ==
            PDM_OK &&
        slen == 64 && memcmp(seen, hash, 64) == 0) {
        pdm__free(seen);
        pdm__free(data);
        pdm__free(path);
        return;
    }
    pdm__free(seen);
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_FACTORY;
    in.body = data;
    in.len = len;
    in.content_type = ct ? ct : pdm__bs_sniff(data, len);
    if (!in.content_type)
        pdm__logf(&ctx->log, PDM_LOG_ERROR, "bootstrap",
                  "bootstrap.factory_file %s is neither OMA CP nor SyncML DM "
                  "(set bootstrap.factory_content_type)",
                  path);
    in.via = path;
    /* The source name of the factory file, in the shape of a component
     * ("core/factory-file"). */
    memset(&fake, 0, sizeof fake);
    memset(&src, 0, sizeof src);
    fake.name = (char *)"core";
    src.plugin = &fake;
    src.name = "factory-file";
    rc = run(ctx, &in, &src, NULL, NULL);
    count(sc, rc);
    if (disabled_origins(ctx) & (1u << PDM_ORIGIN_FACTORY)) {
        ctx->bs_factory_refused = true;
        pdm__free(data);
        pdm__free(path);
        return;
    }
    /* A refusal that another try could change (the store, memory, a busy
     * tree) leaves the file to the next scan; anything else is final for
     * these bytes. */
    if (hash[0] && ctx->store && rc != PDM_ENOMEM && rc != PDM_EIO &&
        rc != PDM_ENOSPC && rc != PDM_EBUSY && rc != PDM_ECANCELLED)
        pdm__store_kv_put(ctx->store, "core", KV_FACTORY,
                          (const uint8_t *)hash, 64);
    pdm__free(data);
    pdm__free(path);
}

PDM_API int pdm_ctx_bootstrap_scan(pdm_ctx *ctx, size_t *applied,
                                   size_t *refused)
{
    scan_counts sc = {0, 0, PDM_OK};
    if (applied)
        *applied = 0;
    if (refused)
        *refused = 0;
    if (!ctx)
        return PDM_EINVAL;
    if (!ctx->tree || pdm__engine_unusable(ctx)) {
        const char *why = pdm__engine_unusable(ctx);
        pdm__strlcpy(ctx->err, why ? why : "the context is not open",
                     sizeof ctx->err);
        return PDM_EDENIED;
    }
    /* Accounts from a card that is gone go first: a swapped card's new
     * document may reuse the old one's ServerID. */
    if (!(ctx->flags & PDM_CTX_READONLY))
        srcs_gone(ctx);
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL,
                                          PDM_KIND_BOOTSTRAP);
         c; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_BOOTSTRAP))
        scan_source(ctx, c, &sc);
    scan_factory(ctx, &sc);
    if (applied)
        *applied = sc.applied;
    if (refused)
        *refused = sc.refused;
    return sc.first;
}

/* ---- watch -------------------------------------------------------------------------- */

/* Asks @c for its watch fd, once per context (watch_fd() may start a
 * thread: bootstrap.h); the answer stays in the component record. */
static void watch_ask(pdm_ctx *ctx, pdm__comp *c)
{
    int rc;
    c->bs_watch_asked = true;
    c->bs_watch_fd = -1;
    if (c->ops.head.struct_size <
            offsetof(pdm_bootstrap_ops, watch_fd) + sizeof(void (*)(void)) ||
        !c->ops.bootstrap.watch_fd)
        return; /* changes are found by the integrator's scans */
    c->plugin->err[0] = '\0';
    rc = c->ops.bootstrap.watch_fd(c->inst);
    if (rc >= 0) {
        c->bs_watch_fd = rc;
        return;
    }
    if (rc == PDM_ENOTSUP)
        return; /* nothing to watch: not a failure */
    pdm__logf(&ctx->log, PDM_LOG_WARN, "bootstrap",
              "source %s/%s: watch_fd failed (%s)%s%.200s: its changes are "
              "found only by scans",
              c->plugin->name, c->name,
              rc >= PDM_RC_MIN ? pdm_strerror(rc) : "unknown error",
              c->plugin->err[0] ? ": " : "", c->plugin->err);
}

PDM_API int pdm_ctx_bootstrap_watch(pdm_ctx *ctx, int *fds, size_t cap,
                                    size_t *n)
{
    size_t k = 0;
    if (n)
        *n = 0;
    if (!ctx || !n || (!fds && cap))
        return PDM_EINVAL;
    if (!ctx->tree || pdm__engine_unusable(ctx)) {
        const char *why = pdm__engine_unusable(ctx);
        pdm__strlcpy(ctx->err, why ? why : "the context is not open",
                     sizeof ctx->err);
        return PDM_EDENIED;
    }
    for (pdm__comp *c = pdm__plugins_next(&ctx->plugins, NULL,
                                          PDM_KIND_BOOTSTRAP);
         c; c = pdm__plugins_next(&ctx->plugins, c, PDM_KIND_BOOTSTRAP)) {
        if (source_disabled(ctx, c))
            continue;
        if (!c->bs_watch_asked)
            watch_ask(ctx, c);
        if (c->bs_watch_fd < 0)
            continue;
        if (k < cap)
            fds[k] = c->bs_watch_fd;
        k++;
    }
    *n = k;
    return PDM_OK;
}

/* ---- factory reset ------------------------------------------------------------- */

void pdm__bootstrap_reset(pdm_ctx *ctx)
{
    for (size_t i = 0; i < ctx->bs_npending; i++)
        pdm__free(ctx->bs_pending[i]);
    pdm__free(ctx->bs_pending);
    ctx->bs_pending = NULL;
    ctx->bs_npending = 0;
    ctx->bs_pending_loaded = true;
    pending_save(ctx); /* none left: the record goes */
    if (!ctx->store || (ctx->flags & PDM_CTX_READONLY))
        return;
    /* The factory document's mark goes too: the factory state includes
     * what bootstrap.factory_file gives, applied again at the next scan. */
    pdm__store_kv_del(ctx->store, "core", KV_SOURCES);
    pdm__store_kv_del(ctx->store, "core", KV_FACTORY);
}
