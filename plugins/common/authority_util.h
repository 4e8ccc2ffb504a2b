/*
 * Helpers shared by the market authority plugins (operator-root,
 * 3gpp2-takeover): option parsing, ACL strings, and override(), which asks
 * the core who owns root (host->root_owner).
 *
 * Header-only (static functions) on purpose: every plugin stays one
 * self-contained module or static archive, and two plugins linked into one
 * static firmware never define the same symbol.  Not part of the SDK: a
 * third-party plugin is not meant to include it.
 *
 * The plugins keep no record of the root owner: the core's stored fact
 * (pdm_authority_info::root_owner in on_bootstrap/takeover,
 * host->root_owner in override) is the one truth.
 */
#ifndef PDM_PLUGINS_AUTHORITY_UTIL_H
#define PDM_PLUGINS_AUTHORITY_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <polydm/authority.h>

/* The ABI 1.0 size of pdm_authority_info: smaller is malformed. */
#define AU_INFO_SIZE_1_0 \
    (offsetof(pdm_authority_info, source) + sizeof(const char *))

/* Longest ServerID the plugins put into an ACL or their records. */
#define AU_SID_MAX 255

/* home_plmn only where the core's struct has it (since 1.3): never read
 * past struct_size. */
static inline const char *au_home_plmn(const pdm_authority_info *i)
{
    if (i->struct_size < offsetof(pdm_authority_info, home_plmn) +
                             sizeof(i->home_plmn))
        return NULL;
    return i->home_plmn;
}

/* A ServerID that can stand in an ACL as one server-id (TND ACL grammar:
 * printable, not '=', '&', '*', '+' or whitespace).  Anything else would
 * let the ServerID rewrite the ACL it is put into ("x&Replace=*"). */
static inline bool au_server_id_ok(const char *s)
{
    size_t n = 0;
    if (!s || !*s)
        return false;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c <= 0x20 || c == 0x7f || c == '=' || c == '&' || c == '*' ||
            c == '+')
            return false;
    }
    return n <= AU_SID_MAX;
}

static inline const char *au_origin_name(uint32_t o)
{
    static const char *const names[] = {"unknown", "factory", "smartcard",
                                        "push", "file", "user"};
    return o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

static inline const char *au_sec_name(uint32_t s)
{
    static const char *const names[] = {"NONE", "NETWPIN", "USERPIN",
                                        "USERNETWPIN", "USERPINMAC"};
    return s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* @s for a log line or reason: at most @size - 1 bytes, every byte that
 * is not printable ASCII as '?' (a pushed address is the sender's text:
 * no line breaks or terminal escapes into the device's log). */
static inline const char *au_printable(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    for (; s && s[n] && n + 1 < size; n++)
        buf[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
    buf[n] = '\0';
    return buf;
}

/* option.<key> as true/false; absent means @def.  Anything else fails
 * create with a message naming key and value. */
static inline int au_opt_bool(const pdm_host_api *h, pdm_plugin_ctx *pc,
                              const char *key, bool def, bool *out)
{
    const char *v = h->get_option(pc, key);
    *out = def;
    if (!v)
        return PDM_OK;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *out = v[0] == 't';
        return PDM_OK;
    }
    h->set_error(pc, PDM_EINVAL, "option.%s: '%.40s' is not true or false",
                 key, v);
    return PDM_EINVAL;
}

/* A comma-separated list of names (spaces around items allowed) as a bit
 * per index into @names; an unknown or empty item is PDM_EINVAL. */
static inline int au_parse_list(const char *s, const char *const *names,
                                size_t nnames, unsigned *out)
{
    unsigned r = 0;
    for (;;) {
        size_t n = strcspn(s, ","), i;
        const char *e;
        while (n && *s == ' ') {
            s++;
            n--;
        }
        for (e = s + n; e > s && e[-1] == ' '; e--)
            ;
        for (i = 0; i < nnames; i++)
            if (names[i] && strlen(names[i]) == (size_t)(e - s) &&
                strncmp(names[i], s, (size_t)(e - s)) == 0)
                break;
        if (i == nnames)
            return PDM_EINVAL;
        r |= 1u << i;
        s += n;
        if (!*s)
            break;
        s++; /* the comma: an item must follow */
    }
    *out = r;
    return PDM_OK;
}

/* printf into host memory (rule 2); NULL on out-of-memory. */
static inline char *au_printf(const pdm_host_api *h, const char *fmt, ...)
    PDM_PRINTF(2, 3);
static inline char *au_printf(const pdm_host_api *h, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = h->alloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* The account ACL every bootstrapped server gets (DM_Bootstrap: Get,
 * Replace and Delete for the ServerID on what was mapped for it). */
static inline char *au_account_acl(const pdm_host_api *h, const char *sid)
{
    return au_printf(h, "Get=%s&Replace=%s&Delete=%s", sid, sid, sid);
}

/* The root owner's root ACL: every command but Add, which stays "*" so
 * any server can still extend the tree (TND §8.3.7.1.2). */
static inline char *au_owner_root_acl(const pdm_host_api *h, const char *sid)
{
    return au_printf(h, "Add=*&Get=*&Replace=%s&Delete=%s&Exec=%s", sid, sid,
                     sid);
}

/* Refuses the account (PDM_GRANT_REFUSE, no strings) and says why in the
 * plugin's log and error text.  on_bootstrap still returns PDM_OK: the
 * refusal is the answer, not a failure. */
static inline int au_refuse(const pdm_host_api *h, pdm_plugin_ctx *pc,
                            pdm_authority_grant *out, const char *fmt, ...)
    PDM_PRINTF(4, 5);
static inline int au_refuse(const pdm_host_api *h, pdm_plugin_ctx *pc,
                            pdm_authority_grant *out, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    out->flags |= PDM_GRANT_REFUSE;
    out->account_acl = out->root_acl = out->root_owner = NULL;
    h->log(pc, PDM_LOG_WARN, "refused: %s", why);
    h->set_error(pc, PDM_EDENIED, "%s", why);
    return PDM_OK;
}

/* The checks every on_bootstrap starts with: a 1.0-sized info and a
 * ServerID an ACL can hold.  PDM_EINVAL (with set_error) otherwise. */
static inline int au_check_info(const pdm_host_api *h, pdm_plugin_ctx *pc,
                                const pdm_authority_info *who,
                                pdm_authority_grant *out)
{
    if (!who || !out || out->struct_size < sizeof(pdm_authority_grant) ||
        who->struct_size < AU_INFO_SIZE_1_0) {
        h->set_error(pc, PDM_EINVAL, "on_bootstrap: missing or short "
                                     "pdm_authority_info/grant");
        return PDM_EINVAL;
    }
    if (!au_server_id_ok(who->server_id)) {
        h->set_error(pc, PDM_EINVAL,
                     "on_bootstrap: the ServerID is empty, longer than %d "
                     "bytes or holds a character an ACL cannot (space, "
                     "control, '=', '&', '+', '*')", AU_SID_MAX);
        return PDM_EINVAL;
    }
    return PDM_OK;
}

/* ---- the root owner -------------------------------------------------- */

/* The root owner, the core's stored fact (host->root_owner, since 1.3),
 * into @buf.  override() gets no pdm_authority_info, so it asks the core
 * each time instead of keeping a copy: a copy goes stale (a grant the core
 * then refused, a takeover the user did not confirm, the local user's
 * pdm_ctx_takeover, an account deleted), the fact never is.  False (and
 * "" in @buf) when nobody owns root, the core is older than 1.3, the call
 * fails, or the answer is no ServerID an ACL can hold: nobody is master
 * (fail closed). */
static inline bool au_root_owner(const pdm_host_api *h, pdm_plugin_ctx *pc,
                                 char *buf, size_t size)
{
    if (!size)
        return false;
    buf[0] = '\0';
    if (!PDM_HOST_HAS(h, root_owner) ||
        h->root_owner(pc, buf, size) != PDM_OK || !au_server_id_ok(buf)) {
        buf[0] = '\0';
        return false;
    }
    return true;
}

/* override() of both plugins: the root owner is master over the whole
 * tree; nodes of the factory and the local user (and nodes without a
 * recorded creator, "") follow their ACLs; every other server's and
 * bootstrap's nodes stay theirs. */
static inline int au_override(const pdm_host_api *h, pdm_plugin_ctx *pc,
                              const char *actor, const char *owner,
                              const char *uri, pdm_verdict *out)
{
    char ro[AU_SID_MAX + 1];
    if (!out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    out->decision = PDM_DENY;
    if (!au_server_id_ok(actor) || !owner) {
        snprintf(out->reason, sizeof out->reason,
                 "override: no valid actor ServerID or node owner");
        return PDM_OK;
    }
    if (strcmp(owner, actor) == 0) { /* not asked by the core; harmless */
        out->decision = PDM_ALLOW;
        snprintf(out->reason, sizeof out->reason, "its own node");
        return PDM_OK;
    }
    if (!*owner || strcmp(owner, "factory") == 0 ||
        strcmp(owner, "local") == 0) {
        out->decision = PDM_ALLOW;
        snprintf(out->reason, sizeof out->reason,
                 "%s nodes follow their ACLs", *owner ? owner : "unowned");
        return PDM_OK;
    }
    if (au_root_owner(h, pc, ro, sizeof ro) && strcmp(ro, actor) == 0) {
        out->decision = PDM_ALLOW;
        snprintf(out->reason, sizeof out->reason,
                 "%s owns root: master over the whole tree", actor);
        return PDM_OK;
    }
    snprintf(out->reason, sizeof out->reason,
             "%.50s belongs to %.60s; only the root owner may change "
             "another authority's nodes", uri ? uri : "the node", owner);
    return PDM_OK;
}

/* defaults() of both plugins: the spec's root ACL, said explicitly so
 * that the tree's origin is this component. */
static inline int au_defaults(const pdm_host_api *h,
                              pdm_authority_defaults *out)
{
    if (!out || out->struct_size < offsetof(pdm_authority_defaults, root_acl) +
                                       sizeof(out->root_acl))
        return PDM_EINVAL;
    out->root_acl = h->strdup("Add=*&Get=*");
    return out->root_acl ? PDM_OK : PDM_ENOMEM;
}

#endif /* PDM_PLUGINS_AUTHORITY_UTIL_H */
