/*
 * terminal-policy: the terminal's own rules on bootstraps, the local user's
 * operations and where credentials may travel (issue 12 item 6; seed S2,
 * S4, S6, S9, S13).
 *
 * One policy component ("terminal").  A policy only restricts (policy.h):
 * every rule here answers DENY with a reason that names the option and its
 * value, or ABSTAIN; the one ALLOW (user_acl_edit = always) cannot
 * override an ACL or authority refusal either.  Options and the requests
 * they govern:
 *   smartcard             BOOTSTRAP from origin SMARTCARD (S2)
 *   precedence            BOOTSTRAP: smart card vs over the air (S13)
 *   <origin>_secs,        BOOTSTRAP: SEC methods accepted per origin;
 *   require_usernetwpin   NETWPIN alone over the air (S6)
 *   privileged_userpin    TAKEOVER by a USERPIN/USERPINMAC bootstrap (S6)
 *   cp_rebootstrap        BOOTSTRAP of OMA CP replacing an account (S6)
 *   user_acl_edit,        ACL_EDIT, TAKEOVER/TRANSFER, ACCOUNT_DELETE by
 *   user_takeover,        the local user (S4, S3, S12)
 *   user_account_delete
 *   secrets_tls_only      SEND_SECRET, SESSION, a server's ADD/REPLACE of
 *                         a secret leaf without TLS (S9)
 * Everything else abstains.  README.md has the table and the reasons.
 *
 * Requests are read only within their struct_size (policy.h): a request of
 * an older core lacks account_origins, account_exists and content_type,
 * which then read as 0/NULL.
 */
#include <polydm/bootstrap.h>
#include <polydm/policy.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const pdm_host_api *host; /* plugin.h rule 9 */

/* The ABI 1.0 request: up to and including key_pin.  A smaller one is not
 * a request this plugin can read (answered as an error: DENY). */
#define REQ_SIZE_1_0 \
    (offsetof(pdm_policy_req, key_pin) + sizeof(const char *))

#define NSEC (PDM_SEC_USERPINMAC + 1)
#define ALL_SECS ((1u << NSEC) - 1)
#define SEC_BIT(s) (1u << (s))

enum { PREC_FIRST, PREC_SMARTCARD, PREC_OTA };
enum { ACL_NEVER, ACL_ALWAYS, ACL_CP_ONLY };

typedef struct inst {
    pdm_plugin_ctx *pc;
    int smartcard;           /* 1: smart-card bootstraps may run */
    int precedence;          /* PREC_* */
    unsigned secs[PDM_ORIGIN_USER + 1]; /* SEC_BIT set per origin */
    int require_usernetwpin; /* 1: NETWPIN alone refused over the air */
    int privileged_userpin;  /* 1: allow */
    int cp_rebootstrap;      /* 1: allow */
    int user_acl_edit;       /* ACL_* */
    int user_takeover;       /* 1: allow (the authority decides) */
    int user_account_delete; /* 1: allow */
    int secrets_tls_only;    /* 1: credentials only over TLS */
} inst;

/* ---- options ------------------------------------------------------------ */

static const char *const sec_names[NSEC] = {"NONE", "NETWPIN", "USERPIN",
                                            "USERNETWPIN", "USERPINMAC"};

/* The option that holds each origin's SEC list.  An origin the core cannot
 * name (UNKNOWN) may have come over the air: it gets the push rules. */
static const char *const secs_key[PDM_ORIGIN_USER + 1] = {
    [PDM_ORIGIN_UNKNOWN] = "push_secs",
    [PDM_ORIGIN_FACTORY] = "factory_secs",
    [PDM_ORIGIN_SMARTCARD] = "smartcard_secs",
    [PDM_ORIGIN_PUSH] = "push_secs",
    [PDM_ORIGIN_FILE] = "file_secs",
    [PDM_ORIGIN_USER] = "user_secs",
};

/* option.<key> as one of @names (case-insensitive) -> its index in *out;
 * absent -> @def.  A bad value fails create naming key, value and the
 * accepted ones. */
static int choice(inst *in, const char *key, const char *const *names,
                  size_t n, int def, int *out)
{
    const char *v = host->get_option(in->pc, key);
    char list[96];
    size_t len = 0;
    *out = def;
    if (!v)
        return PDM_OK;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0) {
            *out = (int)i;
            return PDM_OK;
        }
    list[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? (i + 1 == n ? " or " : ", ") : "",
                                names[i]);
    host->set_error(in->pc, PDM_EINVAL, "option.%s: '%s' is not %s", key, v,
                    list);
    return PDM_EINVAL;
}

/* "NETWPIN, USERPIN" -> SEC bits; every item a known method (any case),
 * at least one. */
static int parse_secs(const char *s, unsigned *out)
{
    unsigned bits = 0;
    for (;;) {
        size_t n = strcspn(s, ","), i;
        const char *p = s;
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        for (i = 0; i < NSEC; i++)
            if (strlen(sec_names[i]) == n && strncasecmp(sec_names[i], p, n) == 0)
                break;
        if (i == NSEC)
            return PDM_EINVAL;
        bits |= SEC_BIT(i);
        s += strcspn(s, ",");
        if (!*s)
            break;
        s++;
    }
    *out = bits;
    return PDM_OK;
}

static int secs_option(inst *in, const char *key, unsigned def)
{
    const char *v = host->get_option(in->pc, key);
    unsigned bits = def;
    if (v && parse_secs(v, &bits) != PDM_OK) {
        host->set_error(in->pc, PDM_EINVAL,
                        "option.%s: '%s' is not a comma-separated list of "
                        "NONE, NETWPIN, USERPIN, USERNETWPIN, USERPINMAC "
                        "(at least one; bootstrap.disabled_origins turns an "
                        "origin off)", key, v);
        return PDM_EINVAL;
    }
    for (size_t o = 0; o < sizeof in->secs / sizeof in->secs[0]; o++)
        if (strcmp(secs_key[o], key) == 0)
            in->secs[o] = bits;
    return PDM_OK;
}

static const char *const on_off[] = {"off", "on"};
static const char *const false_true[] = {"false", "true"};
static const char *const deny_allow[] = {"deny", "allow"};
static const char *const precedences[] = {"first", "smartcard", "ota"};
static const char *const acl_edits[] = {"never", "always", "cp-only"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int tp_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int tp_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    inst *in = host->alloc(sizeof *in);
    int rc;
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    /* Over the air a document with no SEC proves nothing: push accepts
     * only signed ones by default.  Other origins accept every method (the
     * core's bootstrap.unsigned_origins still decides about NONE). */
    in->secs[PDM_ORIGIN_UNKNOWN] = in->secs[PDM_ORIGIN_PUSH] =
        ALL_SECS & ~SEC_BIT(PDM_SEC_NONE);
    for (size_t o = PDM_ORIGIN_FACTORY; o <= PDM_ORIGIN_USER; o++)
        if (o != PDM_ORIGIN_PUSH)
            in->secs[o] = ALL_SECS;
    if ((rc = choice(in, "smartcard", on_off, N(on_off), 1,
                     &in->smartcard)) != PDM_OK ||
        (rc = choice(in, "precedence", precedences, N(precedences),
                     PREC_FIRST, &in->precedence)) != PDM_OK ||
        (rc = secs_option(in, "push_secs", in->secs[PDM_ORIGIN_PUSH])) != PDM_OK ||
        (rc = secs_option(in, "file_secs", ALL_SECS)) != PDM_OK ||
        (rc = secs_option(in, "smartcard_secs", ALL_SECS)) != PDM_OK ||
        (rc = secs_option(in, "factory_secs", ALL_SECS)) != PDM_OK ||
        (rc = secs_option(in, "user_secs", ALL_SECS)) != PDM_OK ||
        (rc = choice(in, "require_usernetwpin", false_true, N(false_true), 0,
                     &in->require_usernetwpin)) != PDM_OK ||
        (rc = choice(in, "privileged_userpin", deny_allow, N(deny_allow), 0,
                     &in->privileged_userpin)) != PDM_OK ||
        (rc = choice(in, "cp_rebootstrap", deny_allow, N(deny_allow), 0,
                     &in->cp_rebootstrap)) != PDM_OK ||
        (rc = choice(in, "user_acl_edit", acl_edits, N(acl_edits),
                     ACL_CP_ONLY, &in->user_acl_edit)) != PDM_OK ||
        (rc = choice(in, "user_takeover", deny_allow, N(deny_allow), 1,
                     &in->user_takeover)) != PDM_OK ||
        (rc = choice(in, "user_account_delete", deny_allow, N(deny_allow), 1,
                     &in->user_account_delete)) != PDM_OK ||
        (rc = choice(in, "secrets_tls_only", false_true, N(false_true), 0,
                     &in->secrets_tls_only)) != PDM_OK) {
        host->free(in);
        return rc;
    }
    *out = in;
    return PDM_OK;
}

static void tp_destroy(void *i) { host->free(i); }

/* ---- rules ---------------------------------------------------------------- */

static int deny(pdm_verdict *out, const char *fmt, ...) PDM_PRINTF(2, 3);
static int deny(pdm_verdict *out, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(out->reason, sizeof out->reason, "terminal-policy: ");
    va_start(ap, fmt);
    vsnprintf(out->reason + n, sizeof out->reason - (size_t)n, fmt, ap);
    va_end(ap);
    out->decision = PDM_DENY;
    return PDM_OK;
}

static const char *origin_name(uint32_t o)
{
    static const char *const names[] = {"unknown", "factory", "smartcard",
                                        "push", "file", "user"};
    return o < N(names) ? names[o] : "unknown";
}

/* Over the air: PUSH, and an origin the core cannot name. */
static int over_the_air(uint32_t origin)
{
    return origin == PDM_ORIGIN_PUSH || origin > PDM_ORIGIN_USER ||
           origin == PDM_ORIGIN_UNKNOWN;
}

/* OMA CP, by MIME type without parameters, any case.  The XML form is
 * registered as text/ (WSP 0x35); application/ is accepted too. */
static int is_cp(const char *ct)
{
    static const char *const cts[] = {"application/vnd.wap.connectivity-wbxml",
                                      "text/vnd.wap.connectivity-xml",
                                      "application/vnd.wap.connectivity-xml"};
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < N(cts); i++)
        if (strlen(cts[i]) == n && strncasecmp(cts[i], ct, n) == 0)
            return 1;
    return 0;
}

static int bootstrap_rules(const inst *in, const pdm_policy_req *r,
                           pdm_verdict *out)
{
    uint32_t o = r->origin;
    unsigned have = r->account_origins;
    size_t idx = o <= PDM_ORIGIN_USER ? o : PDM_ORIGIN_UNKNOWN;

    if (!in->smartcard && o == PDM_ORIGIN_SMARTCARD)
        return deny(out, "smartcard = off: smart-card bootstrap is disabled "
                         "on this terminal");
    if (in->precedence == PREC_SMARTCARD && over_the_air(o) &&
        (have & (1u << PDM_ORIGIN_SMARTCARD)))
        return deny(out, "precedence = smartcard: an over-the-air bootstrap "
                         "is refused while the smart card's account exists");
    if (in->precedence == PREC_OTA && o == PDM_ORIGIN_SMARTCARD &&
        (have & (1u << PDM_ORIGIN_PUSH)))
        return deny(out, "precedence = ota: a smart-card bootstrap is "
                         "refused while an over-the-air account exists");
    if (r->sec >= NSEC)
        return deny(out, "unknown SEC method %u from origin %s: refused",
                    (unsigned)r->sec, origin_name(o));
    /* NETWPIN's key is the IMSI, which travels in clear on the radio: a
     * document sent over the air must also carry the user's PIN. */
    if (in->require_usernetwpin && over_the_air(o) &&
        r->sec == PDM_SEC_NETWPIN)
        return deny(out, "require_usernetwpin = true: NETWPIN alone is "
                         "refused over the air (it rests on the "
                         "interceptable IMSI)");
    if (!(in->secs[idx] & SEC_BIT(r->sec)))
        return deny(out, "%s: SEC %s is not accepted from origin %s",
                    secs_key[idx], sec_names[r->sec], origin_name(o));
    /* A CP document that would replace an existing DM account: the
     * account's server is the one to change it, by DM.  A type the core
     * did not say while it says an account is replaced may be CP: refused
     * too (fail closed). */
    if (!in->cp_rebootstrap && r->account_exists &&
        (!r->content_type || is_cp(r->content_type)))
        return deny(out, "cp_rebootstrap = deny: an OMA CP bootstrap may not "
                         "replace an existing DM account");
    return PDM_OK;
}

/* Leaf names that carry a credential: the core's secret names
 * (AAuthSecret, AAuthData, AuthSecret, BasAuthSecret, ProxySecret) and,
 * more broadly, any *Secret, *PW or *Password leaf (DM 1.1 ClientPW,
 * ServerPW, the CP mapping's *-PW parameters). */
static int secret_leaf(const char *uri)
{
    static const char *const suffixes[] = {"Secret", "PW", "Password"};
    const char *name = strrchr(uri, '/');
    size_t n;
    name = name ? name + 1 : uri;
    n = strcspn(name, "?");
    if (n == 9 && strncmp(name, "AAuthData", 9) == 0)
        return 1;
    for (size_t i = 0; i < N(suffixes); i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && strncasecmp(name + n - k, suffixes[i], k) == 0)
            return 1;
    }
    return 0;
}

/* Reads the value (or, for an interior node, the child list) at @uri into
 * @buf, NUL-terminated.  The host's rc, or PDM_ENOSPC when it does not fit
 * (never a guess from half a list). */
static int read_node(const inst *in, const char *uri, char *buf, size_t size)
{
    pdm_blob b = {NULL, 0};
    int rc = host->tree_read(in->pc, uri, &b);
    if (rc != PDM_OK)
        return rc;
    if (b.len >= size) {
        rc = PDM_ENOSPC;
    } else {
        if (b.len)
            memcpy(buf, b.data, b.len);
        buf[b.len] = '\0';
    }
    host->free(b.data);
    return rc;
}

/* Is @name one of the '/'-separated child names in @list? */
static int has_child(const char *list, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, "/");
        if (n == k && strncmp(p, name, k) == 0)
            return 1;
        p += n;
        if (*p == '/')
            p++;
    }
    return 0;
}

/* Would a session with the account at @acc send a client credential?  The
 * core sends one when a CLCRED AppAuth entry has an AAuthSecret.  The
 * secret's value is never readable, but child names are: walking interior
 * nodes' child lists finds it without a refused or failing read (each of
 * those would be audited).  Anything the tree cannot answer counts as yes:
 * the rule fails closed. */
static int sends_credentials(const inst *in, const char *acc)
{
    char uri[512], list[1024], entry[1024], level[16];
    if (!acc || read_node(in, acc, list, sizeof list) != PDM_OK)
        return 1;
    if (!has_child(list, "AppAuth"))
        return 0;
    if (snprintf(uri, sizeof uri, "%s/AppAuth", acc) >= (int)sizeof uri ||
        read_node(in, uri, list, sizeof list) != PDM_OK)
        return 1;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, "/");
        if (snprintf(uri, sizeof uri, "%s/AppAuth/%.*s", acc, (int)n, p) >=
                (int)sizeof uri ||
            read_node(in, uri, entry, sizeof entry) != PDM_OK)
            return 1;
        if (has_child(entry, "AAuthLevel") && has_child(entry, "AAuthSecret")) {
            if (snprintf(uri, sizeof uri, "%s/AppAuth/%.*s/AAuthLevel", acc,
                         (int)n, p) >= (int)sizeof uri ||
                read_node(in, uri, level, sizeof level) != PDM_OK ||
                strcasecmp(level, "CLCRED") == 0)
                return 1;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int tp_check(void *i, const pdm_policy_req *req, pdm_verdict *out)
{
    const inst *in = i;
    pdm_policy_req r;
    int tls;

    if (req->struct_size < REQ_SIZE_1_0) {
        host->set_error(in->pc, PDM_EINVAL,
                        "policy request of %u bytes, smaller than ABI 1.0's",
                        (unsigned)req->struct_size);
        return PDM_EINVAL;
    }
    /* Fields past struct_size are not there: they read as 0/NULL. */
    memset(&r, 0, sizeof r);
    memcpy(&r, req, req->struct_size < sizeof r ? req->struct_size : sizeof r);
    tls = (r.flags & PDM_REQ_TLS) != 0;
    out->decision = PDM_ABSTAIN;

    switch (r.op) {
    case PDM_OP_BOOTSTRAP:
        return bootstrap_rules(in, &r, out);
    case PDM_OP_TAKEOVER:
        /* A PIN the user typed proves the user agreed, not who sent the
         * document: a rogue CP server that talks the user into a PIN must
         * not end up owning root. */
        if (r.principal == PDM_PRINCIPAL_BOOTSTRAP && !in->privileged_userpin &&
            (r.sec == PDM_SEC_USERPIN || r.sec == PDM_SEC_USERPINMAC))
            return deny(out, "privileged_userpin = deny: a %s bootstrap "
                             "never grants root", sec_names[r.sec]);
        if (r.principal == PDM_PRINCIPAL_LOCAL && !in->user_takeover)
            return deny(out, "user_takeover = deny: the user may not change "
                             "the root owner");
        return PDM_OK;
    case PDM_OP_TRANSFER:
        if (r.principal == PDM_PRINCIPAL_LOCAL && !in->user_takeover)
            return deny(out, "user_takeover = deny: the user may not transfer "
                             "management to another authority");
        return PDM_OK;
    case PDM_OP_ACL_EDIT:
        if (r.principal == PDM_PRINCIPAL_LOCAL) {
            if (in->user_acl_edit == ACL_ALWAYS) {
                out->decision = PDM_ALLOW;
                return PDM_OK;
            }
            if (in->user_acl_edit == ACL_NEVER)
                return deny(out, "user_acl_edit = never: the user may not "
                                 "edit an ACL");
            return deny(out, "user_acl_edit = cp-only: the user may change "
                             "ACLs only within a CP bootstrap, never as a DM "
                             "operation");
        }
        if (r.principal == PDM_PRINCIPAL_BOOTSTRAP &&
            in->user_acl_edit == ACL_NEVER)
            return deny(out, "user_acl_edit = never: ACL changes are refused "
                             "within a bootstrap too");
        return PDM_OK;
    case PDM_OP_ACCOUNT_DELETE:
        if (r.principal == PDM_PRINCIPAL_LOCAL && !in->user_account_delete)
            return deny(out, "user_account_delete = deny: the user may not "
                             "delete a DM account");
        return PDM_OK;
    case PDM_OP_SEND_SECRET:
        if (in->secrets_tls_only && !tls)
            return deny(out, "secrets_tls_only = true: %.40s credentials are "
                             "sent only over TLS with a verified server",
                        r.detail ? r.detail : "the");
        return PDM_OK;
    case PDM_OP_SESSION:
        /* A verified package 0 asking for a session has no transport yet:
         * the missing TLS flag says nothing.  Only an address that can
         * never be TLS refuses it now; the session is asked again with
         * the transport's facts. */
        if ((r.flags & PDM_REQ_NOTIFICATION) && !has_prefix(r.address,
                                                            "http://"))
            return PDM_OK;
        if (in->secrets_tls_only && !tls && sends_credentials(in, r.uri))
            return deny(out, "secrets_tls_only = true: the account's "
                             "credentials would be sent %s",
                        has_prefix(r.address, "http://")
                            ? "to an http:// address"
                            : "without TLS to a verified server");
        return PDM_OK;
    case PDM_OP_ADD:
    case PDM_OP_REPLACE:
        if (in->secrets_tls_only && !tls &&
            r.principal == PDM_PRINCIPAL_SERVER && r.uri && secret_leaf(r.uri))
            return deny(out, "secrets_tls_only = true: a server's %s of a "
                             "secret (%.60s) is accepted only over TLS with a "
                             "verified server",
                        r.op == PDM_OP_ADD ? "Add" : "Replace",
                        strrchr(r.uri, '/') ? strrchr(r.uri, '/') + 1 : r.uri);
        return PDM_OK;
    default:
        return PDM_OK; /* not this policy's business: abstain */
    }
}

static const pdm_policy_ops ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, tp_create, tp_destroy},
    tp_check,
};

static const pdm_component components[] = {
    {PDM_KIND_POLICY, 0, "terminal", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

#define OPT(key, help, def) {key, help, def, 0, 0, {NULL, NULL}}
static const pdm_option_desc options[] = {
    OPT("smartcard", "on|off: off refuses every smart-card bootstrap (S2)",
        "on"),
    OPT("precedence", "smartcard|ota|first: which bootstrap source refuses "
        "the other while its account exists", "first"),
    OPT("push_secs", "SEC methods accepted over the air (NONE, NETWPIN, "
        "USERPIN, USERNETWPIN, USERPINMAC)",
        "NETWPIN,USERPIN,USERNETWPIN,USERPINMAC"),
    OPT("file_secs", "SEC methods accepted from a file",
        "NONE,NETWPIN,USERPIN,USERNETWPIN,USERPINMAC"),
    OPT("smartcard_secs", "SEC methods accepted from the smart card",
        "NONE,NETWPIN,USERPIN,USERNETWPIN,USERPINMAC"),
    OPT("factory_secs", "SEC methods accepted from the factory",
        "NONE,NETWPIN,USERPIN,USERNETWPIN,USERPINMAC"),
    OPT("user_secs", "SEC methods accepted from the user",
        "NONE,NETWPIN,USERPIN,USERNETWPIN,USERPINMAC"),
    OPT("require_usernetwpin", "true|false: true refuses NETWPIN alone over "
        "the air (the IMSI can be intercepted)", "false"),
    OPT("privileged_userpin", "deny|allow: whether a USERPIN/USERPINMAC "
        "bootstrap may make its server the root owner (S6)", "deny"),
    OPT("cp_rebootstrap", "allow|deny: whether an OMA CP bootstrap may "
        "replace an existing DM account", "deny"),
    OPT("user_acl_edit", "never|always|cp-only: local ACL edits (S4)",
        "cp-only"),
    OPT("user_takeover", "allow|deny: local takeover and transfer (deny "
        "refuses; allow leaves it to the authority)", "allow"),
    OPT("user_account_delete", "allow|deny: local deletion of a DM account",
        "allow"),
    OPT("secrets_tls_only", "true|false: credentials sent or accepted only "
        "over TLS with a verified server (S9)", "false"),
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "terminal-policy",
    "1.0",
    "terminal rules: bootstrap sources and SEC, the local user's operations, "
    "credentials only over TLS",
    components,
    options,
    tp_init,
    NULL,
};

PDM_PLUGIN_DEFINE(terminal_policy, desc)
