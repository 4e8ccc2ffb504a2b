/*
 * Profile file parser (see profile.h and profiles/README.md).
 *
 * The format is deliberately small: `[section]` or `[plugin <id>]` headers,
 * `key = value` lines, `#`/`;` comments (full line, or after whitespace at
 * the end of a value).  Every malformed line is reported with its line
 * number and parsing goes on, so one run shows every problem of a file.
 */
#include "profile/profile.h"
#include "profile/keys.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <polydm/plugin.h>

#include "util/util.h"

/* transport.timeout_ms and transport.retries: the bounds the HTTP
 * transport enforces (core/cli/transport.h: PDM_HTTP_MAX_RETRIES). */
#define TIMEOUT_MS_MIN 100L
#define TIMEOUT_MS_MAX 600000L
#define RETRIES_MAX 5L

/* The keys a profile may hold: name and type from keys.def (its help
 * texts are in keys.c, for `polydm profile keys`). */
typedef struct keydef {
    /* "section.key"; a part in <> stands for any non-empty name
     * (transport.pin.<ServerID>, plugin.option.<key>) */
    const char *key;
    enum vtype type;
} keydef;

static const keydef keydefs[] = {
#define PDM__KEY(name, type, help) {name, type},
#include "profile/keys.def"
#undef PDM__KEY
    {NULL, V_STRING},
};

static const char *const sections[] = {"profile", "device", "session",
                                      "transport", "audit", "bootstrap",
                                      NULL};

/* Whether @full ("section.key") is the key of @k: equal, or for a key
 * with a <name> part, the same text around a non-empty name. */
static bool key_match(const keydef *k, const char *full)
{
    const char *lt = strchr(k->key, '<'), *gt;
    size_t pre, suf, n = strlen(full);
    if (!lt)
        return strcmp(k->key, full) == 0;
    gt = strchr(lt, '>');
    pre = (size_t)(lt - k->key);
    suf = strlen(gt + 1);
    return n > pre + suf && strncmp(full, k->key, pre) == 0 &&
           strcmp(full + n - suf, gt + 1) == 0;
}

/* "(did you mean 'x'?)" for a misspelt key of @section (its part after
 * "section."), or "". */
static const char *key_hint(const char *section, const char *key,
                            char *buf, size_t size)
{
    pdm__suggest sg;
    size_t sl = strlen(section);
    const char *best;
    pdm__suggest_init(&sg, key);
    for (const keydef *k = keydefs; k->key; k++)
        if (strncmp(k->key, section, sl) == 0 && k->key[sl] == '.')
            pdm__suggest_add(&sg, k->key + sl + 1);
    best = pdm__suggest_best(&sg);
    if (!best)
        return "";
    snprintf(buf, size, "; did you mean '%s'?", best);
    return buf;
}

static bool valid_id(const char *s)
{
    if (!*s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
              *s == '-'))
            return false;
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"};
    static const char *const f[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (pdm__strcaseeq(v, t[i])) {
            *out = true;
            return true;
        }
        if (pdm__strcaseeq(v, f[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static char *join_path(const char *dir, const char *rel)
{
    pdm__buf b;
    if (rel[0] == '/' || !dir || !*dir)
        return pdm__strdup(rel);
    pdm__buf_init(&b);
    pdm__buf_printf(&b, "%s/%s", dir, rel);
    return (char *)pdm__buf_steal(&b, NULL);
}

static int kv_append(pdm__kv **head, const char *key, const char *val,
                     unsigned line)
{
    pdm__kv *kv = pdm__calloc(1, sizeof(*kv)), **pp;
    if (!kv)
        return PDM_ENOMEM;
    kv->key = pdm__strdup(key);
    kv->value = pdm__strdup(val);
    kv->line = line;
    if (!kv->key || !kv->value) {
        pdm__free(kv->key);
        pdm__free(kv->value);
        pdm__free(kv);
        return PDM_ENOMEM;
    }
    for (pp = head; *pp; pp = &(*pp)->next)
        ;
    *pp = kv;
    return PDM_OK;
}

static pdm__kv *kv_find(pdm__kv *l, const char *key)
{
    for (; l; l = l->next)
        if (strcmp(l->key, key) == 0)
            return l;
    return NULL;
}

static void kv_free(pdm__kv *l)
{
    while (l) {
        pdm__kv *n = l->next;
        pdm__free(l->key);
        /* A plugin option may be PDM_OPTION_SECRET (a password, a key):
         * every value is wiped, the profile does not know which. */
        pdm__free_secret(l->value);
        pdm__free(l);
        l = n;
    }
}

typedef struct parser {
    pdm__profile *p;
    pdm__diag *diag;
    const char *name;
    unsigned line;
    const char *section;         /* core section name, or NULL */
    pdm__profile_plugin *plugin; /* current plugin section */
    bool in_section;             /* a header has been seen */
    bool bad_section;            /* current section header was invalid */
    int rc;                      /* PDM_ENOMEM if memory ran out */
    bool id_seen;                /* an "id" line was there (maybe bad) */
    unsigned section_line[6];    /* first header line of each sections[] */
} parser;

#define ERR(ps, ...) pdm__diag_add((ps)->diag, (ps)->name, (ps)->line, \
                                   PDM_EPARSE, __VA_ARGS__)

static void section_header(parser *ps, char *s, char *end)
{
    char *name = trim(s, end);
    ps->section = NULL;
    ps->plugin = NULL;
    ps->in_section = true;
    ps->bad_section = true;
    if (strncmp(name, "plugin", 6) == 0 &&
        (name[6] == '\0' || isspace((unsigned char)name[6]))) {
        char *id = trim(name + 6, name + strlen(name));
        pdm__profile_plugin *pp, **tail;
        if (!*id) {
            ERR(ps, "[plugin] section without a plugin name");
            return;
        }
        if (!valid_id(id)) {
            ERR(ps, "invalid plugin name '%s' (expected [a-z0-9-]+)", id);
            return;
        }
        for (pp = ps->p->plugins; pp; pp = pp->next) {
            if (strcmp(pp->name, id) == 0) {
                ERR(ps, "duplicate section [plugin %s] (first at line %u)", id,
                    pp->line);
                return;
            }
        }
        pp = pdm__calloc(1, sizeof(*pp));
        if (!pp || !(pp->name = pdm__strdup(id))) {
            pdm__free(pp);
            ps->rc = PDM_ENOMEM;
            return;
        }
        pp->line = ps->line;
        for (tail = &ps->p->plugins; *tail; tail = &(*tail)->next)
            ;
        *tail = pp;
        ps->p->nplugins++;
        ps->plugin = pp;
        ps->bad_section = false;
        return;
    }
    for (size_t i = 0; sections[i]; i++) {
        if (strcmp(name, sections[i]) == 0) {
            /* Two [device] sections would make one device's settings
             * depend on which half a reader looks at. */
            if (ps->section_line[i]) {
                ERR(ps, "duplicate section [%s] (first at line %u): keep "
                        "one [%s] section", name, ps->section_line[i], name);
                return;
            }
            ps->section_line[i] = ps->line;
            ps->section = sections[i];
            ps->bad_section = false;
            return;
        }
    }
    {
        pdm__suggest sg;
        const char *best;
        char hint[80] = "";
        pdm__suggest_init(&sg, name);
        for (size_t i = 0; sections[i]; i++)
            pdm__suggest_add(&sg, sections[i]);
        if ((best = pdm__suggest_best(&sg)))
            snprintf(hint, sizeof hint, "did you mean [%s]? ", best);
        ERR(ps, "unknown section [%s] (%sexpected [profile], [device], "
                "[session], [transport], [audit], [bootstrap] or [plugin "
                "<name>])", name, hint);
    }
}

static void plugin_key(parser *ps, const char *key, const char *val)
{
    pdm__profile_plugin *pp = ps->plugin;
    if (strcmp(key, "path") == 0) {
        if (pp->path) {
            ERR(ps, "duplicate key 'path' (first at line %u)", pp->path_line);
            return;
        }
        if (!*val) {
            ERR(ps, "empty value for 'path'");
            return;
        }
        pp->path = join_path(ps->p->dir, val);
        pp->path_line = ps->line;
        if (!pp->path)
            ps->rc = PDM_ENOMEM;
        return;
    }
    if (strncmp(key, "option.", 7) == 0 && key[7]) {
        pdm__kv *old = kv_find(pp->options, key + 7);
        if (old) {
            ERR(ps, "duplicate key '%s' (first at line %u)", key, old->line);
            return;
        }
        if (kv_append(&pp->options, key + 7, val, ps->line) != PDM_OK)
            ps->rc = PDM_ENOMEM;
        return;
    }
    if (strncmp(key, "mo.", 3) == 0) {
        const char *comp = key + 3;
        const char *dot = strrchr(comp, '.');
        char cname[128];
        pdm__kv *old;
        if (!dot || dot == comp || strcmp(dot, ".base") != 0 ||
            (size_t)(dot - comp) >= sizeof cname) {
            ERR(ps, "unknown key '%s' (MO keys are mo.<component>.base)",
                key);
            return;
        }
        memcpy(cname, comp, (size_t)(dot - comp));
        cname[dot - comp] = '\0';
        if ((old = kv_find(pp->mo_base, cname))) {
            ERR(ps, "duplicate key '%s' (first at line %u)", key, old->line);
            return;
        }
        if (val[0] != '.') {
            ERR(ps, "%s: MO base must be an absolute URI starting with './'",
                key);
            return;
        }
        if (kv_append(&pp->mo_base, cname, val, ps->line) != PDM_OK)
            ps->rc = PDM_ENOMEM;
        return;
    }
    if (strcmp(key, "optional") == 0) {
        if (pp->optional_line) {
            ERR(ps, "duplicate key 'optional' (first at line %u)",
                pp->optional_line);
            return;
        }
        if (!parse_bool(val, &pp->optional)) {
            ERR(ps, "optional: '%s' is not a boolean "
                    "(true/false/yes/no/on/off)", val);
            return;
        }
        pp->optional_line = ps->line;
        return;
    }
    {
        char hint[96];
        pdm__buf exp;
        const char *sep = "";
        /* the expected keys, from the table `profile keys` prints */
        pdm__buf_init(&exp);
        for (const keydef *k = keydefs; k->key; k++)
            if (strncmp(k->key, "plugin.", 7) == 0) {
                pdm__buf_printf(&exp, "%s%s", sep, k->key + 7);
                sep = ", ";
            }
        ERR(ps, "unknown key '%s' in [plugin %s]%s (expected %s)", key,
            pp->name, key_hint("plugin", key, hint, sizeof hint),
            pdm__buf_ok(&exp) && exp.data ? (const char *)exp.data : "");
        pdm__buf_free(&exp);
    }
}

/* A core key: @full is "section.key", @key as written. */
static void core_setting(parser *ps, const char *full, const char *key,
                         const char *val)
{
    const keydef *kd = NULL;
    pdm__kv *old;
    bool b;
    long l;
    size_t bad;

    if (strcmp(full, "profile.id") == 0)
        ps->id_seen = true;
    for (const keydef *k = keydefs; k->key && !kd; k++)
        if (key_match(k, full))
            kd = k;
    if (!kd) {
        char hint[96];
        ERR(ps, "unknown key '%s' in [%s]%s (polydm profile keys lists "
                "them)", key, ps->section,
            key_hint(ps->section, key, hint, sizeof hint));
        return;
    }
    if ((old = kv_find(ps->p->settings, full))) {
        ERR(ps, "duplicate key '%s' (first at line %u)", key, old->line);
        return;
    }
    switch (kd->type) {
    case V_ID:
        if (!valid_id(val)) {
            ERR(ps, "%s: invalid id '%s' (expected [a-z0-9-]+)", key, val);
            return;
        }
        break;
    case V_BOOL:
        if (!parse_bool(val, &b)) {
            ERR(ps, "%s: '%s' is not a boolean (true/false/yes/no/on/off)",
                key, val);
            return;
        }
        break;
    case V_UINT16:
        if (pdm__parse_long(val, 0, 65535, &l) != PDM_OK) {
            ERR(ps, "%s: '%s' is not an integer in 0..65535", key, val);
            return;
        }
        break;
    case V_SIZE:
        if (pdm__parse_long(val, 1024, 256L << 20, &l) != PDM_OK) {
            ERR(ps, "%s: '%s' is not a size in bytes (1024..268435456)", key,
                val);
            return;
        }
        break;
    case V_MS:
        if (pdm__parse_long(val, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX, &l) !=
            PDM_OK) {
            ERR(ps, "%s: '%s' is not a time in milliseconds (%ld..%ld)", key,
                val, TIMEOUT_MS_MIN, TIMEOUT_MS_MAX);
            return;
        }
        break;
    case V_RETRIES:
        if (pdm__parse_long(val, 0, RETRIES_MAX, &l) != PDM_OK) {
            ERR(ps, "%s: '%s' is not a number of retries in 0..%ld", key, val,
                RETRIES_MAX);
            return;
        }
        break;
    case V_PIN:
        /* transport.pin.<ServerID> = sha256//...: a TLS key pin per
         * server. */
        if (!pdm__key_pin_valid(val)) {
            ERR(ps, "%s: a pin is sha256//<base64 of the SHA-256 of the "
                    "server's public key>, entries separated by ';' "
                    "(certtool --pubkey-info prints it)", key);
            return;
        }
        break;
    case V_PLUGIN_PATH:
    case V_PLUGIN_OPTION:
    case V_PLUGIN_MO:
    case V_PLUGIN_OPTIONAL:
    case V__COUNT:
        return; /* [plugin] keys never get here (plugin_key) */
    case V_PERCENT:
        if (pdm__parse_long(val, 0, 100, &l) != PDM_OK) {
            ERR(ps, "%s: '%s' is not a percentage in 0..100", key, val);
            return;
        }
        break;
    case V_RESPURI_HOST:
        if (strcmp(val, "same") != 0 && strcmp(val, "any") != 0) {
            ERR(ps, "%s: '%s' is neither 'same' nor 'any'", key, val);
            return;
        }
        break;
    case V_MNC_DIGITS:
        if (strcmp(val, "2") != 0 && strcmp(val, "3") != 0) {
            ERR(ps, "%s: '%s' is neither 2 nor 3", key, val);
            return;
        }
        break;
    case V_PKG0_RESYNC:
        if (strcmp(val, "never") != 0 && strcmp(val, "first-session") != 0 &&
            strcmp(val, "always") != 0) {
            ERR(ps, "%s: '%s' is not never, first-session or always", key,
                val);
            return;
        }
        break;
    case V_BS_REMOVED:
        if (strcmp(val, "remove") != 0 && strcmp(val, "keep") != 0) {
            ERR(ps, "%s: '%s' is neither 'remove' nor 'keep'", key, val);
            return;
        }
        break;
    case V_IMSI: {
        /* The value is a secret: the message says what is wrong, never
         * what was written. */
        size_t n = strlen(val), digits = strspn(val, "0123456789");
        if (digits != n || n < 6 || n > 15) {
            ERR(ps, "%s: an IMSI is 6 to 15 decimal digits (value not "
                    "shown: it is a secret)", key);
            return;
        }
        break;
    }
    case V_ORIGINS:
        if (!pdm__bs_origins_parse(val, NULL)) {
            ERR(ps, "%s: '%s' is not a comma list of factory, smartcard, "
                    "push, file, user (or none)", key, val);
            return;
        }
        break;
    case V_BS_CTYPE:
        if (!pdm__bs_ctype_known(val)) {
            ERR(ps, "%s: '%s' is not a bootstrap content type "
                    "(application/vnd.wap.connectivity-wbxml, "
                    "text/vnd.wap.connectivity-xml, "
                    "application/vnd.syncml.dm+wbxml, "
                    "application/vnd.syncml.dm+xml)", key, val);
            return;
        }
        break;
    case V_ABI:
        if (pdm__parse_long(val, 0, INT_MAX, &l) != PDM_OK) {
            ERR(ps, "%s: '%s' is not an ABI major number", key, val);
            return;
        }
        if (l != PDM_ABI_MAJOR) {
            pdm__diag_add(ps->diag, ps->name, ps->line, PDM_EABI,
                          "profile is written for plugin ABI %ld, this polydm "
                          "has ABI %d", l, PDM_ABI_MAJOR);
            return;
        }
        break;
    case V_PATH:
    case V_REF:
    case V_STRING:
        if (!*val) {
            ERR(ps, "%s: empty value", key);
            return;
        }
        /* Strings go out as text ([device] values in every message's
         * DevInfo): a byte that is not would break every session. */
        if (kd->type == V_STRING &&
            !pdm__text_line_ok(val, strlen(val), &bad)) {
            ERR(ps, "%s: the value is not text: invalid UTF-8 or a control "
                    "character at byte %zu of the value", key, bad + 1);
            return;
        }
        break;
    }
    if (kv_append(&ps->p->settings, full, val, ps->line) != PDM_OK) {
        ps->rc = PDM_ENOMEM;
        return;
    }
    if (strcmp(full, "profile.id") == 0) {
        if (!(ps->p->id = pdm__strdup(val)))
            ps->rc = PDM_ENOMEM;
    } else if (strcmp(full, "profile.description") == 0) {
        if (!(ps->p->description = pdm__strdup(val)))
            ps->rc = PDM_ENOMEM;
    } else if (strcmp(full, "profile.authority") == 0) {
        if (!(ps->p->authority = pdm__strdup(val)))
            ps->rc = PDM_ENOMEM;
        ps->p->authority_line = ps->line;
    } else if (strcmp(full, "profile.factory_tree") == 0) {
        ps->p->factory_tree = join_path(ps->p->dir, val);
        ps->p->factory_tree_line = ps->line;
        if (!ps->p->factory_tree)
            ps->rc = PDM_ENOMEM;
    }
}

static void core_key(parser *ps, const char *key, const char *val)
{
    char *full;
    pdm__buf fb;

    /* "section.key" of any length: a fixed buffer cut long keys (e.g.
     * transport.pin.<long ServerID>), stored under a name nobody looks
     * up. */
    pdm__buf_init(&fb);
    pdm__buf_printf(&fb, "%s.%s", ps->section, key);
    if (!pdm__buf_ok(&fb) || !(full = (char *)pdm__buf_steal(&fb, NULL))) {
        pdm__buf_free(&fb);
        ps->rc = PDM_ENOMEM;
        return;
    }
    core_setting(ps, full, key, val);
    pdm__free(full);
}

static void key_line(parser *ps, char *s, char *end)
{
    char *eq = memchr(s, '=', (size_t)(end - s));
    char *key, *val, *vend;
    if (!eq) {
        ERR(ps, "expected 'key = value' or '[section]'");
        return;
    }
    key = trim(s, eq);
    vend = end;
    /* An inline comment starts at whitespace followed by # or ;. */
    for (char *c = eq + 1; c < end; c++) {
        if ((*c == '#' || *c == ';') && isspace((unsigned char)c[-1])) {
            vend = c;
            break;
        }
    }
    val = trim(eq + 1, vend);
    if (strlen(val) >= 2 && val[0] == '"' && val[strlen(val) - 1] == '"') {
        val[strlen(val) - 1] = '\0';
        val++;
    }
    if (!*key) {
        ERR(ps, "missing key before '='");
        return;
    }
    for (const char *k = key; *k; k++) {
        if (!(isalnum((unsigned char)*k) || *k == '_' || *k == '.' ||
              *k == '-')) {
            ERR(ps, "invalid key '%s'", key);
            return;
        }
    }
    if (!ps->in_section) {
        ERR(ps, "key '%s' outside of any section", key);
        return;
    }
    if (ps->bad_section)
        return; /* already reported at the header */
    if (ps->plugin)
        plugin_key(ps, key, val);
    else
        core_key(ps, key, val);
}

/* The authority decides who may bootstrap and manage the device: a build
 * that silently lacks it would run another trust model than the profile
 * says.  Fail closed: it can never be optional. */
static void check_optional_authority(parser *ps)
{
    const char *ref = ps->p->authority;
    size_t plen;
    if (!ref)
        return;
    plen = strcspn(ref, "/");
    for (const pdm__profile_plugin *pp = ps->p->plugins; pp; pp = pp->next) {
        if (!pp->optional || strlen(pp->name) != plen ||
            strncmp(pp->name, ref, plen) != 0)
            continue;
        pdm__diag_add(ps->diag, ps->name, ps->p->authority_line, PDM_EPARSE,
                      "authority = %s: plugin '%s' is optional (line %u); "
                      "the authority plugin cannot be optional",
                      ref, pp->name, pp->optional_line);
    }
}

/* session.pkg0_resync and its old boolean spelling may both be given,
 * but must say the same. */
static void check_pkg0_resync(parser *ps)
{
    const pdm__kv *e = kv_find(ps->p->settings, "session.pkg0_resync");
    const pdm__kv *b = kv_find(ps->p->settings, "session.pkg0_resync_always");
    bool always;
    if (!e || !b || !parse_bool(b->value, &always))
        return;
    if (strcmp(e->value, always ? "always" : "first-session") != 0)
        pdm__diag_add(ps->diag, ps->name, b->line, PDM_EPARSE,
                      "session.pkg0_resync_always = %s means "
                      "session.pkg0_resync = %s, but line %u says %s: keep "
                      "one of them",
                      b->value, always ? "always" : "first-session", e->line,
                      e->value);
}

const char *pdm__profile_pkg0_resync(const pdm__profile *p)
{
    const char *e = pdm__profile_get(p, "session.pkg0_resync");
    if (e)
        return e;
    return pdm__profile_get_bool(p, "session.pkg0_resync_always", false)
               ? "always"
               : "first-session";
}

int pdm__profile_parse(pdm__profile **out, const char *name, const char *dir,
                       const char *text, size_t len, pdm__diag *diag)
{
    parser ps;
    pdm__profile *p;
    size_t errors_before = diag->errors, bom;
    char *copy;

    *out = NULL;
    p = pdm__calloc(1, sizeof(*p));
    if (!p)
        return PDM_ENOMEM;
    p->file = pdm__strdup(name);
    p->dir = pdm__strdup(dir ? dir : ".");
    copy = pdm__strndup(text, len);
    if (!p->file || !p->dir || !copy) {
        pdm__free_wipe(copy, len);
        pdm__profile_free(p);
        return PDM_ENOMEM;
    }
    memset(&ps, 0, sizeof ps);
    ps.p = p;
    ps.diag = diag;
    ps.name = name;
    /* A NUL byte would silently cut the file short: refuse the file. */
    if (memchr(text, '\0', len)) {
        const char *nul = memchr(text, '\0', len);
        ps.line = 1;
        for (const char *c = text; c < nul; c++)
            ps.line += *c == '\n';
        ERR(&ps, "NUL byte in profile (binary file?)");
        pdm__free_wipe(copy, len);
        *out = p;
        return PDM_EPARSE;
    }
    /* A UTF-8 byte order mark (editors on Windows write one) is no part of
     * the first line. */
    bom = len >= 3 && memcmp(copy, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (char *line = copy + bom; line && ps.rc == PDM_OK;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        char *s;
        ps.line++;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        s = trim(line, end);
        if (*s == '\0' || *s == '#' || *s == ';') {
            /* blank or comment */
        } else if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close) {
                ERR(&ps, "section header without ']'");
            } else {
                char *after = trim(close + 1, s + strlen(s));
                if (*after && *after != '#' && *after != ';')
                    ERR(&ps, "unexpected text after section header");
                else
                    section_header(&ps, s + 1, close);
            }
        } else {
            key_line(&ps, s, s + strlen(s));
        }
        line = nl ? nl + 1 : NULL;
    }
    pdm__free_wipe(copy, len);
    if (ps.rc != PDM_OK) {
        pdm__profile_free(p);
        return ps.rc;
    }
    /* At the [profile] header when there is one: the id belongs there. */
    if (!p->id && !pdm__profile_get(p, "profile.id") && !ps.id_seen)
        pdm__diag_add(diag, name, ps.section_line[0], PDM_EPARSE,
                      "missing required key 'id' in [profile]");
    check_optional_authority(&ps);
    check_pkg0_resync(&ps);
    *out = p;
    return diag->errors > errors_before ? PDM_EPARSE : PDM_OK;
}

int pdm__profile_load(pdm__profile **out, const char *path, pdm__diag *diag)
{
    uint8_t *text;
    size_t len;
    char *dir, *slash;
    struct stat st;
    int rc;

    *out = NULL;
    /* A directory is "no profile file there", as a missing file is: the
     * same error, the same exit code. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        pdm__diag_add(diag, path, 0, PDM_ENOTFOUND,
                      "cannot read profile: it is a directory, not a file");
        return PDM_ENOTFOUND;
    }
    rc = pdm__read_file(path, 1u << 20, &text, &len);
    if (rc != PDM_OK) {
        pdm__diag_add(diag, path, 0, rc == PDM_ENOTFOUND ? PDM_ENOTFOUND : rc,
                      "cannot read profile: %s", pdm_strerror(rc));
        return rc;
    }
    dir = pdm__strdup(path);
    if (!dir) {
        pdm__free(text);
        return PDM_ENOMEM;
    }
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        pdm__strlcpy(dir, ".", 2);
    rc = pdm__profile_parse(out, path, slash ? (slash == dir ? "/" : dir) : ".",
                            (const char *)text, len, diag);
    pdm__free(dir);
    pdm__free_wipe(text, len); /* it may hold secret plugin options */
    return rc;
}

void pdm__profile_free(pdm__profile *p)
{
    pdm__profile_plugin *pp;
    if (!p)
        return;
    pp = p->plugins;
    while (pp) {
        pdm__profile_plugin *n = pp->next;
        pdm__free(pp->name);
        pdm__free(pp->path);
        kv_free(pp->options);
        kv_free(pp->mo_base);
        pdm__free(pp);
        pp = n;
    }
    kv_free(p->settings);
    pdm__free(p->file);
    pdm__free(p->dir);
    pdm__free(p->id);
    pdm__free(p->description);
    pdm__free(p->authority);
    pdm__free(p->factory_tree);
    pdm__free(p);
}

const char *pdm__profile_get(const pdm__profile *p, const char *key)
{
    pdm__kv *kv = p ? kv_find(p->settings, key) : NULL;
    return kv ? kv->value : NULL;
}

bool pdm__profile_get_bool(const pdm__profile *p, const char *key, bool def)
{
    const char *v = pdm__profile_get(p, key);
    bool b;
    return v && parse_bool(v, &b) ? b : def;
}

long pdm__profile_get_long(const pdm__profile *p, const char *key, long def)
{
    const char *v = pdm__profile_get(p, key);
    long l;
    return v && pdm__parse_long(v, LONG_MIN, LONG_MAX, &l) == PDM_OK ? l : def;
}

char *pdm__profile_path(const pdm__profile *p, const char *key)
{
    const char *v = pdm__profile_get(p, key);
    return v ? join_path(p->dir, v) : NULL;
}

const char *pdm__profile_plugin_option(const pdm__profile_plugin *pp,
                                       const char *key)
{
    pdm__kv *kv = pp ? kv_find(pp->options, key) : NULL;
    return kv ? kv->value : NULL;
}

bool pdm__bs_origins_parse(const char *v, unsigned *mask)
{
    /* Indexed by pdm_bootstrap_origin. */
    static const char *const names[] = {NULL, "factory", "smartcard",
                                        "push", "file", "user"};
    unsigned m = 0;
    if (strcmp(v, "none") == 0) {
        if (mask)
            *mask = 0;
        return true;
    }
    for (const char *p = v;;) {
        size_t n;
        bool found = false;
        while (*p == ' ')
            p++;
        n = strcspn(p, ", ");
        for (size_t i = 1; i < PDM__ARRAY_LEN(names); i++)
            if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0) {
                m |= 1u << i;
                found = true;
            }
        if (!found)
            return false;
        p += n;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*p++ != ',')
            return false;
    }
    if (mask)
        *mask = m;
    return true;
}

bool pdm__bs_ctype_known(const char *ct)
{
    return pdm__strcaseeq(ct, "application/vnd.wap.connectivity-wbxml") ||
           pdm__strcaseeq(ct, "text/vnd.wap.connectivity-xml") ||
           pdm__strcaseeq(ct, "application/vnd.syncml.dm+wbxml") ||
           pdm__strcaseeq(ct, "application/vnd.syncml.dm+xml");
}
