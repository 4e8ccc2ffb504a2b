/*
 * DM accounts (DMAcc, DM 1.2 layout): finding the account of a server and
 * reading its address and credentials.  The core reads the secrets
 * directly from the tree nodes; they never pass through Get.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "session/session_int.h"
#include "tree/dmacc.h"
#include "tree/tree_int.h"
#include "util/util.h"

/* Child of n by a relative path "A/B"; NULL if absent. */
static pdm__node *rel(pdm__tree *t, pdm__node *n, const char *path)
{
    while (n && *path) {
        size_t len = strcspn(path, "/");
        n = pdm__tree_child(t, n, path, len);
        path += len + (path[len] == '/');
    }
    return n;
}

/* Value of a leaf as a NUL-terminated copy, or NULL when there is none;
 * a copy that could not be made sets *rc to PDM_ENOMEM (an account read
 * without its AAuthSecret or AAuthLevel for lack of memory would
 * authenticate differently, not fail). */
static char *leaf_str(pdm__tree *t, pdm__node *n, const char *path, int *rc)
{
    pdm__node *l = rel(t, n, path);
    size_t len;
    const uint8_t *v;
    char *r;
    if (!l || pdm__node_is_interior(l))
        return NULL;
    v = pdm__node_value(l, &len);
    if (!v)
        return NULL;
    if (!(r = pdm__strndup((const char *)v, len)))
        *rc = PDM_ENOMEM;
    return r;
}

const char *pdm__auth_type_meta(pdm__auth_type t)
{
    switch (t) {
    case PDM_AUTH_BASIC: return "syncml:auth-basic";
    case PDM_AUTH_MD5: return "syncml:auth-md5";
    case PDM_AUTH_HMAC: return "syncml:auth-MAC";
    default: return "";
    }
}

pdm__auth_type pdm__auth_type_from_meta(const char *s)
{
    if (!s)
        return PDM_AUTH_NONE;
    if (pdm__strcaseeq(s, "syncml:auth-basic"))
        return PDM_AUTH_BASIC;
    if (pdm__strcaseeq(s, "syncml:auth-md5"))
        return PDM_AUTH_MD5;
    if (pdm__strcaseeq(s, "syncml:auth-MAC"))
        return PDM_AUTH_HMAC;
    return PDM_AUTH_NONE;
}

/* DMAcc AAuthType names (DM 1.2 table): BASIC, DIGEST, HMAC. */
static pdm__auth_type type_from_dmacc(const char *s)
{
    if (!s)
        return PDM_AUTH_NONE;
    if (pdm__strcaseeq(s, "BASIC"))
        return PDM_AUTH_BASIC;
    if (pdm__strcaseeq(s, "DIGEST"))
        return PDM_AUTH_MD5;
    if (pdm__strcaseeq(s, "HMAC"))
        return PDM_AUTH_HMAC;
    return PDM_AUTH_NONE;
}

/* AAuthData holds the nonce: raw bytes for Format bin, otherwise base64
 * text (how TNDS files and servers usually write it). */
static int read_nonce(pdm__tree *t, pdm__node *entry, pdm__cred *c)
{
    pdm__node *l = rel(t, entry, "AAuthData");
    pdm__buf path;
    size_t len;
    const uint8_t *v;
    pdm__buf_init(&path);
    pdm__buf_puts(&path, "./");
    pdm__node_path(entry, &path);
    pdm__buf_puts(&path, "/AAuthData");
    if (!pdm__buf_ok(&path))
        return PDM_ENOMEM;
    c->nonce_uri = (char *)pdm__buf_steal(&path, NULL);
    if (!c->nonce_uri)
        return PDM_ENOMEM;
    if (!l)
        return PDM_OK;
    v = pdm__node_value(l, &len);
    if (!v || !len)
        return PDM_OK;
    if (pdm__node_format(l) != PDM_FORMAT_BIN) {
        int rc = pdm__b64_decode((const char *)v, len, &c->nonce,
                                 &c->nonce_len);
        /* not base64: the bytes as they are; out of memory is not that */
        if (rc == PDM_OK || rc == PDM_ENOMEM)
            return rc;
    }
    c->nonce = pdm__malloc(len);
    if (!c->nonce)
        return PDM_ENOMEM;
    memcpy(c->nonce, v, len);
    c->nonce_len = len;
    return PDM_OK;
}

static int read_cred(pdm__tree *t, pdm__node *entry, pdm__cred *c)
{
    int rc = PDM_OK;
    char *type = leaf_str(t, entry, "AAuthType", &rc);
    c->type = type_from_dmacc(type);
    pdm__free(type);
    c->name = leaf_str(t, entry, "AAuthName", &rc);
    c->secret = leaf_str(t, entry, "AAuthSecret", &rc);
    return rc != PDM_OK ? rc : read_nonce(t, entry, c);
}

static void cred_free(pdm__cred *c)
{
    pdm__free(c->name);
    /* Secrets do not linger in freed heap memory. */
    pdm__free_secret(c->secret);
    pdm__free_wipe(c->nonce, c->nonce_len);
    pdm__free(c->nonce_uri);
    memset(c, 0, sizeof(*c));
}

void pdm__account_free(pdm__account *a)
{
    pdm__free(a->uri);
    pdm__free(a->server_id);
    pdm__free(a->addr);
    cred_free(&a->cl);
    cred_free(&a->srv);
    memset(a, 0, sizeof(*a));
}

int pdm__account_load(pdm__account *out, pdm_ctx *ctx, const char *server_id,
                      char *err, size_t errlen)
{
    pdm__tree *t = ctx->tree;
    pdm__node *dmacc = pdm__dmacc_root(t), *acc = NULL, *dup = NULL;
    char *pref = NULL;
    size_t len;
    const uint8_t *sid;
    int rc = PDM_OK;

    memset(out, 0, sizeof(*out));
    if (server_id) {
        /* A ServerID is an identity: two accounts carrying it make the
         * tree ambiguous, and picking one would run one server's session
         * with the other's address and credentials. */
        rc = pdm__dmacc_find(t, server_id, &acc, &dup);
        if (rc == PDM_EEXISTS) {
            snprintf(err, errlen,
                     "ServerID '%s' is carried by two accounts (./DMAcc/%s "
                     "and ./DMAcc/%s): refusing to choose one",
                     server_id, pdm__node_name(acc),
                     dup ? pdm__node_name(dup) : "?");
            return rc;
        }
    } else {
        size_t count = 0;
        for (pdm__node *n = dmacc ? pdm__node_first_child(dmacc) : NULL; n;
             n = pdm__node_next_sibling(n))
            if (pdm__dmacc_server_id(t, n, &len) && count++ == 0)
                acc = n;
        if (count > 1) {
            snprintf(err, errlen, "several DM accounts: name the server");
            return PDM_EINVAL;
        }
    }
    if (!acc) {
        snprintf(err, errlen, server_id ? "no DM account for server '%s'"
                                        : "no DM account in ./DMAcc%s",
                 server_id ? server_id : "");
        return PDM_ENOTFOUND;
    }
    sid = pdm__dmacc_server_id(t, acc, &len);
    out->server_id = sid ? pdm__strndup((const char *)sid, len) : NULL;
    {
        pdm__buf b;
        pdm__buf_init(&b);
        pdm__buf_puts(&b, "./");
        pdm__node_path(acc, &b);
        out->uri = (char *)pdm__buf_steal(&b, NULL);
    }
    {
        pdm__node *aa = rel(t, acc, "AppAddr");
        pdm__node *first = aa ? pdm__node_first_child(aa) : NULL;
        out->addr = first ? leaf_str(t, first, "Addr", &rc) : NULL;
    }
    pref = leaf_str(t, acc, "AAuthPref", &rc);
    out->pref = type_from_dmacc(pref);
    {
        pdm__node *auth = rel(t, acc, "AppAuth");
        pdm__node *cl = NULL;
        for (pdm__node *e = auth ? pdm__node_first_child(auth) : NULL;
             e && rc == PDM_OK; e = pdm__node_next_sibling(e)) {
            char *level = leaf_str(t, e, "AAuthLevel", &rc);
            char *type = leaf_str(t, e, "AAuthType", &rc);
            if (rc != PDM_OK) {
                /* out of memory: no entry is judged on a missing leaf */
            } else if (level && pdm__strcaseeq(level, "SRVCRED") &&
                       !out->srv.type) {
                rc = read_cred(t, e, &out->srv);
            } else if (level && pdm__strcaseeq(level, "CLCRED")) {
                /* AAuthPref picks the client entry to use first; else the
                 * first CLCRED entry. */
                if (!cl || (pref && type && pdm__strcaseeq(pref, type)))
                    cl = e;
            }
            pdm__free(level);
            pdm__free(type);
        }
        if (rc == PDM_OK && cl)
            rc = read_cred(t, cl, &out->cl);
    }
    pdm__free(pref);
    if (rc == PDM_OK && (!out->uri || !out->server_id))
        rc = PDM_ENOMEM;
    if (rc == PDM_OK && !out->addr) {
        snprintf(err, errlen, "account %s has no AppAddr/<x>/Addr", out->uri);
        rc = PDM_EINVAL;
    }
    if (rc != PDM_OK)
        pdm__account_free(out);
    return rc;
}

int pdm__account_store_nonce(pdm_ctx *ctx, pdm__cred *c, const uint8_t *n,
                             size_t len)
{
    uint8_t *copy;
    const char *slash;
    char *parent;
    pdm__node *p;
    int rc;
    if (!c->nonce_uri)
        return PDM_EINVAL;
    /* Only into the credentials entry that exists: an account the server
     * deleted during the session is not brought back as a nonce. */
    slash = strrchr(c->nonce_uri, '/');
    parent = slash ? pdm__strndup(c->nonce_uri, (size_t)(slash - c->nonce_uri))
                   : NULL;
    if (slash && !parent)
        return PDM_ENOMEM; /* not ENOTFOUND: the caller keeps that quiet */
    p = parent ? pdm__tree_lookup(ctx->tree, parent) : NULL;
    pdm__free(parent);
    if (!p)
        return PDM_ENOTFOUND;
    /* Not part of the server's package: a nonce rotation the peer has seen
     * must survive an aborted package (or the next session's credentials
     * and package 0 digests no longer match). */
    rc = pdm__tree_put_durable(ctx->tree, c->nonce_uri, PDM_FORMAT_BIN,
                               PDM_NODE_SECRET, n, len, "factory");
    if (rc != PDM_OK)
        return rc;
    copy = pdm__malloc(len ? len : 1);
    if (!copy)
        return PDM_ENOMEM;
    memcpy(copy, n, len);
    pdm__free_wipe(c->nonce, c->nonce_len);
    c->nonce = copy;
    c->nonce_len = len;
    return PDM_OK;
}
