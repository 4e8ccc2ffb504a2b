/*
 * operator-root: the authority model of 3GPP operator markets.
 *
 * The operator - the server bootstrapped from the smart card, or pushed
 * with an IMSI-keyed SEC (NETWPIN, USERNETWPIN) - owns root: the root ACL
 * gives it every command but Add (which stays "*", TND §8.3.7.1.2) and it
 * is master over the whole tree (override).  Every other bootstrapped
 * server gets only its account, keeps the subtrees it creates and cannot
 * touch the operator's (the core's isolation rule, S11).  The user never
 * moves root (takeover always DENY).  Optionally an operator bootstrap is
 * accepted only for a server address derived from the home network's
 * MCC/MNC (option.address_pattern, S5); a second operator is refused
 * unless option.replace_operator.  README.md has the options and why.
 */
#include <polydm/authority.h>

#include <stdbool.h>
#include <string.h>

#include "../common/authority_util.h"

/* The core's one static host table (plugin.h rule 9).  Per-context state
 * (the pdm_plugin_ctx, the options) lives in the instance. */
static const pdm_host_api *host;

/* Longest address_pattern and server address the plugin matches: longer
 * ones are refused, not truncated. */
#define PATTERN_MAX 512
#define ADDRESS_MAX 2048

typedef struct inst {
    pdm_plugin_ctx *pc;
    unsigned secs;       /* bit per pdm_sec that makes a pushed operator */
    bool smartcard;      /* a smart-card bootstrap makes the operator */
    bool replace;        /* a second operator takes root over */
    const char *pattern; /* option.address_pattern (valid until fini) */
} inst;

/* Index = pdm_sec; NULL entries are not accepted in operator_secs: a
 * user PIN proves nothing about the network (S6), NONE proves nothing. */
static const char *const sec_names[] = {NULL, "NETWPIN", NULL,
                                        "USERNETWPIN", NULL};
#define NSECS (sizeof sec_names / sizeof sec_names[0])

/* ---- address_pattern -------------------------------------------------- */

/* The placeholder at @p ("{mcc}", "{mnc}", "{mnc3}"): its length, or 0. */
static size_t placeholder(const char *p)
{
    static const char *const ph[] = {"{mcc}", "{mnc}", "{mnc3}"};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(p, ph[i], strlen(ph[i])) == 0)
            return strlen(ph[i]);
    return 0;
}

/* Validated at create: known placeholders only, and a final '*' only in
 * the path (after "scheme://host/"): there it would otherwise match any
 * host ("https://dm.op.com*" accepts "https://dm.op.com.evil.org/"). */
static int check_pattern(pdm_plugin_ctx *pc, const char *pat)
{
    size_t n = strlen(pat);
    const char *host_start = strstr(pat, "://");
    if (n == 0 || n > PATTERN_MAX) {
        host->set_error(pc, PDM_EINVAL, "option.address_pattern: empty or "
                                        "longer than %d bytes", PATTERN_MAX);
        return PDM_EINVAL;
    }
    for (const char *p = pat; *p; p++) {
        if (*p == '{' && !placeholder(p)) {
            host->set_error(pc, PDM_EINVAL,
                            "option.address_pattern: unknown placeholder at "
                            "'%.20s' (known: {mcc}, {mnc}, {mnc3})", p);
            return PDM_EINVAL;
        }
        if (*p == '{')
            p += placeholder(p) - 1;
        else if (*p == '}') {
            host->set_error(pc, PDM_EINVAL,
                            "option.address_pattern: '}' without '{'");
            return PDM_EINVAL;
        }
    }
    if (pat[n - 1] == '*' &&
        (!host_start || host_start + 3 >= pat + n - 1 ||
         !memchr(host_start + 3, '/',
                 (size_t)(pat + n - 1 - (host_start + 3))))) {
        host->set_error(pc, PDM_EINVAL,
                        "option.address_pattern: a final '*' must be in the "
                        "path, after \"scheme://host/\" (it would match any "
                        "host)");
        return PDM_EINVAL;
    }
    return PDM_OK;
}

/* "MCC-MNC" into its parts ({mnc3}: the MNC zero-padded to 3 digits, as
 * 3GPP TS 23.003 writes it in pub.3gppnetwork.org names). */
static bool parse_plmn(const char *s, char mcc[4], char mnc[4], char mnc3[4])
{
    size_t m = strspn(s, "0123456789"), k;
    if (m != 3 || s[3] != '-')
        return false;
    k = strspn(s + 4, "0123456789");
    if ((k != 2 && k != 3) || s[4 + k])
        return false;
    memcpy(mcc, s, 3);
    mcc[3] = '\0';
    memcpy(mnc, s + 4, k);
    mnc[k] = '\0';
    /* {mnc3}: the MNC zero-padded to 3 digits. */
    mnc3[0] = k == 2 ? '0' : mnc[0];
    memcpy(mnc3 + 1, k == 2 ? mnc : mnc + 1, 2);
    mnc3[3] = '\0';
    return true;
}

/* The pattern with its placeholders filled (never longer: every
 * placeholder is longer than its digits). */
static void expand(const char *pat, const char *mcc, const char *mnc,
                   const char *mnc3, char *out)
{
    while (*pat) {
        size_t k = *pat == '{' ? placeholder(pat) : 0;
        const char *v = k == 5 ? (pat[2] == 'c' ? mcc : mnc) : mnc3;
        if (!k) {
            *out++ = *pat++;
            continue;
        }
        memcpy(out, v, strlen(v));
        out += strlen(v);
        pat += k;
    }
    *out = '\0';
}

/* Glob match of a whole address: a final '*' matches the rest; any other
 * '*' matches a run of characters without '/', '?', '#', '@' or ':' (it
 * stays inside one host label run or path segment, and cannot smuggle in
 * userinfo or a port).  Everything else matches exactly, case included.
 * Dynamic programming over the address: linear memory, no backtracking
 * blow-up whatever the pattern.  1 match, 0 not, PDM_ENOMEM. */
static int glob_match(const char *pat, const char *addr)
{
    size_t pl = strlen(pat), al = strlen(addr);
    bool *rows, *prev, *cur;
    int m;
    if (al > ADDRESS_MAX)
        return 0;
    if (!(rows = host->alloc(2 * (al + 1) * sizeof *rows)))
        return PDM_ENOMEM;
    prev = rows;
    cur = rows + al + 1;
    memset(prev, 0, al + 1);
    prev[0] = true;
    for (size_t i = 1; i <= pl; i++) {
        char c = pat[i - 1];
        bool final_star = c == '*' && i == pl;
        bool *t;
        cur[0] = c == '*' && prev[0];
        for (size_t j = 1; j <= al; j++) {
            if (c == '*')
                cur[j] = prev[j] ||
                         (cur[j - 1] &&
                          (final_star || !strchr("/?#@:", addr[j - 1])));
            else
                cur[j] = prev[j - 1] && c == addr[j - 1];
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    m = prev[al];
    host->free(rows);
    return m;
}

/* PDM_OK when @who's address is what the pattern derives from the home
 * network; PDM_EDENIED with the reason in @why; PDM_ENOMEM. */
static int address_ok(const inst *in, const pdm_authority_info *who,
                      char *why, size_t size)
{
    const char *plmn = au_home_plmn(who);
    char mcc[4], mnc[4], mnc3[4], want[PATTERN_MAX + 1], shown[201];
    int m;
    if (!plmn) {
        snprintf(why, size, "the home network (MCC-MNC of the IMSI) is "
                            "unknown, so option.address_pattern cannot be "
                            "checked");
        return PDM_EDENIED;
    }
    if (!parse_plmn(plmn, mcc, mnc, mnc3)) {
        snprintf(why, size, "the home network is not MCC-MNC (3 digits, "
                            "'-', 2 or 3 digits)");
        return PDM_EDENIED;
    }
    if (!who->address || !*who->address) {
        snprintf(why, size, "it has no server address to check against "
                            "option.address_pattern");
        return PDM_EDENIED;
    }
    expand(in->pattern, mcc, mnc, mnc3, want);
    if ((m = glob_match(want, who->address)) < 0)
        return m;
    if (!m) {
        snprintf(why, size, "its address %.160s is not %.160s (option."
                            "address_pattern for home network %s)",
                 au_printable(who->address, shown, sizeof shown), want, plmn);
        return PDM_EDENIED;
    }
    return PDM_OK;
}

/* ---- the component ---------------------------------------------------- */

static int or_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int or_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    const char *secs = host->get_option(pc, "operator_secs");
    inst *in = host->alloc(sizeof(*in));
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    in->secs = (1u << PDM_SEC_NETWPIN) | (1u << PDM_SEC_USERNETWPIN);
    if (secs && strcmp(secs, "none") == 0)
        in->secs = 0; /* only the smart card makes the operator */
    else if (secs && au_parse_list(secs, sec_names, NSECS, &in->secs) != PDM_OK) {
        host->set_error(pc, PDM_EINVAL,
                        "option.operator_secs: '%.60s' is not 'none' or a "
                        "comma-separated list of NETWPIN, USERNETWPIN "
                        "(USERPIN cannot make an operator: S6)", secs);
        goto bad;
    }
    if (au_opt_bool(host, pc, "smartcard_operator", true, &in->smartcard) ||
        au_opt_bool(host, pc, "replace_operator", false, &in->replace))
        goto bad;
    in->pattern = host->get_option(pc, "address_pattern");
    if (in->pattern && check_pattern(pc, in->pattern) != PDM_OK)
        goto bad;
    *out = in;
    return PDM_OK;
bad:
    host->free(in);
    return PDM_EINVAL;
}

static void or_destroy(void *i) { host->free(i); }

static bool is_operator(const inst *in, const pdm_authority_info *who)
{
    if (who->origin == PDM_ORIGIN_SMARTCARD)
        return in->smartcard;
    return who->origin == PDM_ORIGIN_PUSH && who->sec < 32 &&
           (in->secs & (1u << who->sec));
}

static int or_on_bootstrap(void *i, const pdm_authority_info *who,
                           pdm_authority_grant *out)
{
    inst *in = i;
    const char *sid, *ro;
    char why[400];
    int rc = au_check_info(host, in->pc, who, out);
    if (rc != PDM_OK)
        return rc;
    sid = who->server_id;
    ro = au_server_id_ok(who->root_owner) ? who->root_owner : NULL;
    if (!is_operator(in, who)) {
        /* The operator's account is re-bootstrapped only the way it was
         * made: else any USERPIN push naming its ServerID would replace
         * the credentials of the server that owns the device. */
        if (ro && strcmp(ro, sid) == 0)
            return au_refuse(host, in->pc, out,
                             "ServerID %s owns root as the operator; a "
                             "bootstrap from %s with SEC %s cannot "
                             "re-bootstrap its account", sid,
                             au_origin_name(who->origin),
                             au_sec_name(who->sec));
        out->account_acl = au_account_acl(host, sid);
        return out->account_acl ? PDM_OK : PDM_ENOMEM;
    }
    if (in->pattern &&
        (rc = address_ok(in, who, why, sizeof why)) != PDM_OK) {
        if (rc != PDM_EDENIED)
            return rc;
        return au_refuse(host, in->pc, out,
                         "operator bootstrap of ServerID %s refused: %s", sid,
                         why);
    }
    if (ro && strcmp(ro, sid) != 0 && !in->replace)
        return au_refuse(host, in->pc, out,
                         "ServerID %s already owns root as the operator; a "
                         "second operator (%s) is refused "
                         "(option.replace_operator = false)", ro, sid);
    out->account_acl = au_account_acl(host, sid);
    out->root_acl = au_owner_root_acl(host, sid);
    /* NULL keeps the owner: a re-bootstrap of the operator is no change
     * of root owner. */
    out->root_owner = ro && strcmp(ro, sid) == 0 ? NULL : host->strdup(sid);
    if (!out->account_acl || !out->root_acl ||
        (!out->root_owner && !(ro && strcmp(ro, sid) == 0))) {
        host->free(out->account_acl);
        host->free(out->root_acl);
        host->free(out->root_owner);
        out->account_acl = out->root_acl = out->root_owner = NULL;
        return PDM_ENOMEM;
    }
    host->log(in->pc, PDM_LOG_INFO, "operator %s (%s, SEC %s) owns root", sid,
              au_origin_name(who->origin), au_sec_name(who->sec));
    return PDM_OK;
}

static int or_takeover(void *i, const pdm_authority_info *to,
                       pdm_verdict *out)
{
    (void)i;
    (void)to;
    if (!out)
        return PDM_EINVAL;
    memset(out, 0, sizeof *out);
    out->decision = PDM_DENY;
    snprintf(out->reason, sizeof out->reason,
             "the operator owns the device; the user cannot move root");
    return PDM_OK;
}

static int or_override(void *i, const char *actor, const char *owner,
                       const char *uri, pdm_verdict *out)
{
    const inst *in = i;
    return au_override(host, in->pc, actor, owner, uri, out);
}

static int or_defaults(void *i, pdm_authority_defaults *out)
{
    (void)i;
    return au_defaults(host, out);
}

static const pdm_authority_ops ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, or_create, or_destroy},
    or_on_bootstrap,
    or_takeover,
    or_override,
    or_defaults,
};

static const pdm_component components[] = {
    {PDM_KIND_AUTHORITY, 0, "operator", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"operator_secs", "SEC methods that make a pushed bootstrap the operator "
     "(NETWPIN, USERNETWPIN, or none)", "NETWPIN,USERNETWPIN", 0, 0,
     {NULL, NULL}},
    {"smartcard_operator", "true: the smart card's server is the operator",
     "true", 0, 0, {NULL, NULL}},
    {"replace_operator", "true: a second operator takes root over; false: "
     "it is refused", "false", 0, 0, {NULL, NULL}},
    {"address_pattern", "operator address from the home network, e.g. "
     "https://dm.mnc{mnc3}.mcc{mcc}.pub.3gppnetwork.org/*", NULL, 0, 0,
     {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "operator-root",
    "1.0",
    "3GPP operator markets: the smart-card or NETWPIN operator owns root",
    components,
    options,
    or_init,
    NULL,
};

PDM_PLUGIN_DEFINE(operator_root, desc)
