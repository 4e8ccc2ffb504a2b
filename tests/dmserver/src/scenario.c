/*
 * Scenario file parser (format: tests/dmserver/README.md).
 *
 * Line oriented: one directive per line, tokens separated by blanks,
 * `key=value` options, double-quoted strings with C escapes, comments from
 * a token starting with '#'.  Every error names FILE:LINE.
 */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsdoc.h"
#include "dmssec.h"
#include "push.h"

#define MAX_TOKS 64
#define MAX_DEPTH 8

/* ---- small helpers ------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "polydm-testserver: out of memory\n");
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s);
    d = xrealloc(NULL, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

#define GROW(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), \
                      memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

const char *sc_auth_name(int type)
{
    switch (type) {
    case SC_AUTH_BASIC: return "basic";
    case SC_AUTH_MD5: return "md5";
    case SC_AUTH_HMAC: return "hmac";
    default: return "none";
    }
}

const char *sc_auth_meta_type(int type)
{
    switch (type) {
    case SC_AUTH_BASIC: return "syncml:auth-basic";
    case SC_AUTH_MD5: return "syncml:auth-md5";
    case SC_AUTH_HMAC: return "syncml:auth-MAC";
    default: return "";
    }
}

int sc_auth_from_meta_type(const char *t)
{
    if (!t)
        return -1;
    if (strcmp(t, "syncml:auth-basic") == 0)
        return SC_AUTH_BASIC;
    if (strcmp(t, "syncml:auth-md5") == 0)
        return SC_AUTH_MD5;
    if (strcmp(t, "syncml:auth-MAC") == 0 || strcmp(t, "syncml:auth-mac") == 0)
        return SC_AUTH_HMAC;
    return -1;
}

static int auth_from_name(const char *n)
{
    if (strcmp(n, "none") == 0)
        return SC_AUTH_NONE;
    if (strcmp(n, "basic") == 0)
        return SC_AUTH_BASIC;
    if (strcmp(n, "md5") == 0 || strcmp(n, "digest") == 0)
        return SC_AUTH_MD5;
    if (strcmp(n, "hmac") == 0)
        return SC_AUTH_HMAC;
    return -1;
}

const char *sc_cmd_name(int kind)
{
    static const char *const names[] = {
        "?", "Get", "Add", "Replace", "Delete", "Copy", "Exec", "Alert",
        "Atomic", "Sequence", "break"};
    if (kind < 0 || kind > SC_BREAK)
        return "?";
    return names[kind];
}

bool sc_codes_match(const sc_codes *c, int code)
{
    if (c->any)
        return true;
    for (unsigned i = 0; i < c->n; i++)
        if (code >= c->r[i].lo && code <= c->r[i].hi)
            return true;
    return false;
}

void sc_codes_str(const sc_codes *c, char *buf, size_t size)
{
    size_t off = 0;
    if (size)
        buf[0] = 0;
    if (c->any) {
        snprintf(buf, size, "any");
        return;
    }
    for (unsigned i = 0; i < c->n && off < size; i++) {
        int w;
        if (c->r[i].lo == c->r[i].hi)
            w = snprintf(buf + off, size - off, "%s%d", i ? " or " : "",
                         c->r[i].lo);
        else
            w = snprintf(buf + off, size - off, "%s%dxx", i ? " or " : "",
                         c->r[i].lo / 100);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

/* "200", "200|212", "4xx", "*" */
static bool codes_parse(const char *s, sc_codes *c)
{
    memset(c, 0, sizeof *c);
    if (strcmp(s, "*") == 0 || strcmp(s, "any") == 0) {
        c->any = true;
        return true;
    }
    while (*s) {
        const char *e = strchr(s, '|');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (c->n >= 8)
            return false;
        if (n == 3 && isdigit((unsigned char)s[0]) &&
            (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
            c->r[c->n].lo = (s[0] - '0') * 100;
            c->r[c->n].hi = c->r[c->n].lo + 99;
        } else if (n == 3 && isdigit((unsigned char)s[0]) &&
                   isdigit((unsigned char)s[1]) &&
                   isdigit((unsigned char)s[2])) {
            c->r[c->n].lo = c->r[c->n].hi =
                (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
        } else {
            return false;
        }
        c->n++;
        s += n;
        if (*s == '|') {
            s++;
            if (!*s)
                return false;
        }
    }
    return c->n > 0;
}

/* ---- tokenizer -------------------------------------------------------- */

typedef struct tok {
    char *key; /* NULL for a positional token */
    char *val;
} tok;

static bool key_char(int c, bool first)
{
    return isalpha(c) || (!first && (isdigit(c) || c == '-' || c == '_'));
}

/* Reads a double-quoted string starting at *pp (on the quote), writes the
 * unescaped bytes in place (the output never grows), returns the start or
 * NULL with *why set. */
static char *unquote(char **pp, const char **why)
{
    char *p = *pp + 1, *out = *pp, *start = out;
    for (;;) {
        int c = (unsigned char)*p;
        if (c == 0) {
            *why = "unterminated quoted string";
            return NULL;
        }
        if (c == '"') {
            p++;
            break;
        }
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': *out++ = '\n'; p++; break;
            case 't': *out++ = '\t'; p++; break;
            case 'r': *out++ = '\r'; p++; break;
            case '0': *out++ = '\0'; p++; break;
            case '\\': *out++ = '\\'; p++; break;
            case '"': *out++ = '"'; p++; break;
            case 'x': {
                int v = 0;
                for (int i = 1; i <= 2; i++) {
                    int h = p[i];
                    if (!isxdigit(h)) {
                        *why = "\\x needs two hex digits";
                        return NULL;
                    }
                    v = v * 16 + (isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
                }
                *out++ = (char)v;
                p += 3;
                break;
            }
            default:
                *why = "unknown escape in quoted string";
                return NULL;
            }
            continue;
        }
        *out++ = (char)c;
        p++;
    }
    if (*p && !isspace((unsigned char)*p)) {
        *why = "a quoted string must be followed by a blank";
        return NULL;
    }
    *out = 0;
    *pp = p;
    return start;
}

/* Splits a line in place.  Returns the number of tokens or -1 (why set). */
static int tokenize(char *line, tok *t, const char **why)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        if (n == MAX_TOKS) {
            *why = "too many tokens on one line";
            return -1;
        }
        t[n].key = NULL;
        if (*p == '"') {
            t[n].val = unquote(&p, why);
            if (!t[n].val)
                return -1;
        } else {
            char *s = p, *eq = NULL;
            if (key_char((unsigned char)*p, true)) {
                char *q = p;
                while (key_char((unsigned char)*q, q == p))
                    q++;
                if (*q == '=')
                    eq = q;
            }
            if (eq) {
                *eq = 0;
                t[n].key = s;
                p = eq + 1;
                if (*p == '"') {
                    t[n].val = unquote(&p, why);
                    if (!t[n].val)
                        return -1;
                } else {
                    t[n].val = p;
                    while (*p && !isspace((unsigned char)*p))
                        p++;
                    if (*p)
                        *p++ = 0;
                }
            } else {
                t[n].val = s;
                while (*p && !isspace((unsigned char)*p))
                    p++;
                if (*p)
                    *p++ = 0;
            }
        }
        n++;
    }
    return n;
}

/* ---- parser state ------------------------------------------------------- */

enum {
    CTX_HEADER = 0,
    CTX_SESSION, /* after `session`, before pkg1 */
    CTX_PKG1,
    CTX_SEND,
    CTX_REPLY,
    CTX_ENDED
};

typedef struct pstate {
    scenario *s;
    const char *name;
    int line;
    char *err;
    size_t errlen;
    int ctx;
    sc_session *sess;
    sc_step *step;
    int depth;               /* Atomic/Sequence nesting in the send */
    size_t path[MAX_DEPTH];  /* index of the open container at each level */
    int open_kind[MAX_DEPTH];
    bool have_last;          /* a command to which `item` can apply */
    char **known;            /* variables set or captured so far */
    size_t nknown;
    bool client_ended;       /* last reply expects abort */
    bool refused;            /* last reply expects refused */
} pstate;

static bool perr(pstate *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool perr(pstate *ps, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(ps->err, ps->errlen, "%s:%d: error: ", ps->name,
                     ps->line);
    if (n < 0 || (size_t)n >= ps->errlen)
        return false;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static const char *const builtin_vars[] = {
    "port", "host", "url", "resp-uri", "session-id", "devid", "server-id",
    "client-nonce", "server-nonce", "scheme", NULL};

bool sc_is_builtin_var(const char *name)
{
    for (int i = 0; builtin_vars[i]; i++)
        if (strcmp(builtin_vars[i], name) == 0)
            return true;
    return false;
}

static bool var_known(pstate *ps, const char *name, size_t len)
{
    char buf[128];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, name, len);
    buf[len] = 0;
    if (sc_is_builtin_var(buf))
        return true;
    for (size_t i = 0; i < ps->nknown; i++)
        if (strcmp(ps->known[i], buf) == 0)
            return true;
    return false;
}

static void var_learn(pstate *ps, const char *name)
{
    for (size_t i = 0; i < ps->nknown; i++)
        if (strcmp(ps->known[i], name) == 0)
            return;
    *GROW(ps->known, ps->nknown) = xstrdup(name);
}

/* Checks that every ${name} in s refers to a known variable. */
static bool check_vars(pstate *ps, const char *s)
{
    const char *p = s;
    if (!s)
        return true;
    while ((p = strstr(p, "${")) != NULL) {
        const char *e = strchr(p + 2, '}');
        if (!e)
            return perr(ps, "unterminated ${ in \"%.60s\"", s);
        if (e == p + 2)
            return perr(ps, "empty variable name ${}");
        if (!var_known(ps, p + 2, (size_t)(e - p - 2)))
            return perr(ps, "unknown variable ${%.*s} (not built in, not set "
                        "with `set` and not captured before this line)",
                        (int)(e - p - 2), p + 2);
        p = e + 1;
    }
    return true;
}

static bool valid_name(const char *n)
{
    if (!*n || strlen(n) > 64)
        return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Generic option handling: a table of allowed keys mapped to slots. */
typedef struct keyspec {
    const char *key;
    int slot;     /* index into opt[], or -1 for the repeatable `item` */
} keyspec;

static bool take_opts(pstate *ps, const char *dir, tok *t, int nt,
                      const keyspec *ks, char **opt, char ***items,
                      size_t *nitems)
{
    for (int i = 0; i < nt; i++) {
        const keyspec *k;
        if (!t[i].key)
            continue;
        for (k = ks; k && k->key; k++)
            if (strcmp(k->key, t[i].key) == 0)
                break;
        if (!k || !k->key) {
            char allowed[400] = "";
            size_t off = 0;
            for (const keyspec *a = ks; a && a->key; a++) {
                int w = snprintf(allowed + off, sizeof allowed - off, "%s%s",
                                 off ? ", " : "", a->key);
                if (w < 0 || (size_t)w >= sizeof allowed - off)
                    break;
                off += (size_t)w;
            }
            return perr(ps, "`%s` has no option `%s`%s%s", dir, t[i].key,
                        off ? " (allowed: " : " (it takes no options",
                        off ? allowed : "");
        }
        if (!check_vars(ps, t[i].val))
            return false;
        if (k->slot < 0) {
            *GROW(*items, *nitems) = xstrdup(t[i].val);
        } else {
            if (opt[k->slot])
                return perr(ps, "option `%s` given twice", t[i].key);
            opt[k->slot] = xstrdup(t[i].val);
        }
    }
    return true;
}

/* Positional tokens (key == NULL) in order. */
static int positionals(tok *t, int nt, char **pos, int max)
{
    int n = 0;
    for (int i = 1; i < nt; i++)
        if (!t[i].key) {
            if (n < max)
                pos[n] = t[i].val;
            n++;
        }
    return n;
}

/* ---- sessions ------------------------------------------------------------ */

static sc_session *new_session(pstate *ps, const char *name)
{
    sc_session *se = GROW(ps->s->sessions, ps->s->nsessions);
    se->line = ps->line;
    se->name = xstrdup(name);
    ps->sess = se;
    ps->step = NULL;
    ps->client_ended = ps->refused = false;
    return se;
}

/* Closes the current session; false on error. */
static bool finish_session(pstate *ps)
{
    sc_session *se = ps->sess;
    if (!se)
        return true;
    if (ps->ctx == CTX_SEND)
        return perr(ps, "the `send` at line %d has no `reply`",
                    ps->step ? ps->step->send_line : 0);
    if (se->end_kind)
        return true;
    if (ps->client_ended || ps->refused || se->auth_fails) {
        se->end_kind = SC_END_CLIENT;
    } else {
        se->end_kind = SC_END_SERVER; /* implicit `end` */
        se->end_line = ps->line;
    }
    return true;
}

static bool need_session(pstate *ps)
{
    if (ps->ctx == CTX_HEADER) {
        new_session(ps, NULL);
        ps->sess->line = ps->line;
        ps->ctx = CTX_SESSION;
    }
    return true;
}

/* ---- commands ------------------------------------------------------------ */

/* The command list the next command goes into. */
static void cur_list(pstate *ps, sc_cmd ***arr, size_t **n)
{
    sc_cmd **a = &ps->step->cmds;
    size_t *cnt = &ps->step->ncmds;
    for (int d = 0; d < ps->depth; d++) {
        sc_cmd *c = &(*a)[ps->path[d]];
        a = &c->kids;
        cnt = &c->nkids;
    }
    *arr = a;
    *n = cnt;
}

static sc_cmd *last_cmd(pstate *ps)
{
    sc_cmd **a;
    size_t *n;
    cur_list(ps, &a, &n);
    return *n ? &(*a)[*n - 1] : NULL;
}

static bool label_used(const sc_cmd *c, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i].label && strcmp(c[i].label, label) == 0)
            return true;
        if (label_used(c[i].kids, c[i].nkids, label))
            return true;
    }
    return false;
}

static const sc_cmd *find_cmd(const sc_cmd *c, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        const sc_cmd *k;
        if (c[i].label && strcmp(c[i].label, label) == 0)
            return &c[i];
        k = find_cmd(c[i].kids, c[i].nkids, label);
        if (k)
            return k;
    }
    return NULL;
}

const sc_cmd *sc_step_find(const sc_step *st, const char *label)
{
    return find_cmd(st->cmds, st->ncmds, label);
}

static const keyspec item_keys[] = {
    {"source", 1}, {"format", 2}, {"type", 3}, {"data", 4}, {"size", 5},
    {"chunk", 6}, {NULL, 0}};

/* Fills an item from options (slots as in item_keys). */
static bool item_from_opts(pstate *ps, sc_item *it, char **o)
{
    it->source = o[1];
    it->format = o[2];
    it->type = o[3];
    it->data = o[4];
    it->size = o[5];
    if (o[5]) {
        long v;
        if (!strstr(o[5], "${") && !parse_long(o[5], 0, 0x7fffffffL, &v))
            return perr(ps, "size=%s is not a byte count", o[5]);
    }
    if (o[6]) {
        if (!parse_long(o[6], 1, 0x7fffffffL, &it->chunk))
            return perr(ps, "chunk=%s is not a positive byte count", o[6]);
        free(o[6]);
    }
    return true;
}

static bool do_command(pstate *ps, const char *dir, tok *t, int nt)
{
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {{"get", SC_GET},         {"add", SC_ADD},
                 {"replace", SC_REPLACE}, {"delete", SC_DELETE},
                 {"copy", SC_COPY},       {"exec", SC_EXEC},
                 {"alert", SC_ALERT},     {"atomic", SC_ATOMIC},
                 {"sequence", SC_SEQUENCE}};
    int kind = 0;
    char *pos[MAX_TOKS];
    int np = positionals(t, nt, pos, MAX_TOKS);
    sc_cmd **arr;
    size_t *n;
    sc_cmd *c;
    char *o[8] = {0};
    char **items = NULL;
    size_t nitems = 0;

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, dir) == 0)
            kind = kinds[i].kind;
    if (np < 1)
        return perr(ps, "`%s` needs a label", dir);
    if (!valid_name(pos[0]) || strcmp(pos[0], "hdr") == 0)
        return perr(ps, "invalid command label \"%s\" (letters, digits, "
                    "'-', '_', '.'; \"hdr\" is reserved)", pos[0]);
    if (label_used(ps->step->cmds, ps->step->ncmds, pos[0]))
        return perr(ps, "label \"%s\" is already used in this package",
                    pos[0]);
    /* Nested Atomic and Get inside Atomic are allowed on purpose: they
     * test the client's 500 (omadm-facts §1.3). */
    cur_list(ps, &arr, &n);
    c = GROW(*arr, *n);
    c->kind = kind;
    c->line = ps->line;
    c->label = xstrdup(pos[0]);

    switch (kind) {
    case SC_GET:
    case SC_DELETE:
        if (!take_opts(ps, dir, t, nt, NULL, o, NULL, NULL))
            return false;
        if (np < 2)
            return perr(ps, "`%s LABEL URI...` needs at least one URI", dir);
        for (int i = 1; i < np; i++) {
            sc_item *it;
            if (!check_vars(ps, pos[i]))
                return false;
            it = GROW(c->items, c->nitems);
            it->target = xstrdup(pos[i]);
        }
        break;
    case SC_ADD:
    case SC_REPLACE: {
        sc_item *it;
        if (!take_opts(ps, dir, t, nt, item_keys, o, NULL, NULL))
            return false;
        if (np != 2)
            return perr(ps, "`%s LABEL URI [format=] [type=] [data=] "
                        "[size=] [chunk=]` takes exactly one URI (add more "
                        "with `item`)", dir);
        if (o[1])
            return perr(ps, "`%s` has no source=", dir);
        if (!check_vars(ps, pos[1]))
            return false;
        it = GROW(c->items, c->nitems);
        it->target = xstrdup(pos[1]);
        if (!item_from_opts(ps, it, o))
            return false;
        break;
    }
    case SC_COPY: {
        static const keyspec ck[] = {{"format", 2}, {"type", 3}, {NULL, 0}};
        sc_item *it;
        if (!take_opts(ps, dir, t, nt, ck, o, NULL, NULL))
            return false;
        if (np != 3)
            return perr(ps, "`copy LABEL TARGET SOURCE` needs a target and "
                        "a source URI");
        if (!check_vars(ps, pos[1]) || !check_vars(ps, pos[2]))
            return false;
        it = GROW(c->items, c->nitems);
        it->target = xstrdup(pos[1]);
        it->source = xstrdup(pos[2]);
        it->format = o[2];
        it->type = o[3];
        break;
    }
    case SC_EXEC: {
        static const keyspec ek[] = {{"format", 2}, {"type", 3}, {"data", 4},
                                     {"correlator", 7}, {NULL, 0}};
        sc_item *it;
        if (!take_opts(ps, dir, t, nt, ek, o, NULL, NULL))
            return false;
        if (np != 2)
            return perr(ps, "`exec LABEL URI [data=] [correlator=]` takes "
                        "exactly one URI");
        if (!check_vars(ps, pos[1]))
            return false;
        it = GROW(c->items, c->nitems);
        it->target = xstrdup(pos[1]);
        it->format = o[2];
        it->type = o[3];
        it->data = o[4];
        c->correlator = o[7];
        break;
    }
    case SC_ALERT: {
        static const keyspec ak[] = {{"correlator", 7}, {"item", -1},
                                     {NULL, 0}};
        long code;
        if (!take_opts(ps, dir, t, nt, ak, o, &items, &nitems))
            return false;
        if (np != 2 || !parse_long(pos[1], 1000, 9999, &code))
            return perr(ps, "`alert LABEL CODE [item=DATA]...` needs a "
                        "4-digit alert code");
        c->alert_code = xstrdup(pos[1]);
        c->correlator = o[7];
        for (size_t i = 0; i < nitems; i++) {
            sc_item *it = GROW(c->items, c->nitems);
            it->data = items[i];
        }
        free(items);
        break;
    }
    case SC_ATOMIC:
    case SC_SEQUENCE:
        if (!take_opts(ps, dir, t, nt, NULL, o, NULL, NULL))
            return false;
        if (np != 1)
            return perr(ps, "`%s LABEL` takes only a label", dir);
        if (ps->depth >= MAX_DEPTH)
            return perr(ps, "Atomic/Sequence nested too deeply");
        ps->path[ps->depth] = *n - 1;
        ps->open_kind[ps->depth] = kind;
        ps->depth++;
        ps->have_last = false;
        return true;
    default:
        return perr(ps, "internal: unknown command %s", dir);
    }
    ps->have_last = true;
    return true;
}

static bool do_item(pstate *ps, tok *t, int nt)
{
    sc_cmd *c = ps->have_last ? last_cmd(ps) : NULL;
    char *pos[4];
    int np = positionals(t, nt, pos, 4);
    char *o[8] = {0};
    sc_item *it;
    if (!c || c->kind == SC_ALERT || c->kind == SC_ATOMIC ||
        c->kind == SC_SEQUENCE)
        return perr(ps, "`item` must follow a get, add, replace, delete, "
                    "copy or exec command");
    if (!take_opts(ps, "item", t, nt, item_keys, o, NULL, NULL))
        return false;
    if (np != 1)
        return perr(ps, "`item URI [source=] [format=] [type=] [data=]` "
                    "takes exactly one URI");
    if (!check_vars(ps, pos[0]))
        return false;
    if ((c->kind == SC_GET || c->kind == SC_DELETE) &&
        (o[1] || o[2] || o[3] || o[4] || o[5] || o[6]))
        return perr(ps, "items of %s carry only a URI", sc_cmd_name(c->kind));
    if (c->kind == SC_COPY && !o[1])
        return perr(ps, "items of copy need source=");
    it = GROW(c->items, c->nitems);
    it->target = xstrdup(pos[0]);
    return item_from_opts(ps, it, o);
}

/* ---- expectations -------------------------------------------------------- */

static const keyspec status_keys[] = {
    {"target", EK_TARGET}, {"item", -1}, {"chal", EK_CHAL}, {NULL, 0}};
static const keyspec results_keys[] = {
    {"source", EK_SOURCE},
    {"format", EK_FORMAT},
    {"type", EK_TYPE},
    {"value", EK_VALUE},
    {"children", EK_CHILDREN},
    {"children-include", EK_CHILDREN_INCL},
    {"contains", EK_CONTAINS},
    {"not-contains", EK_NOT_CONTAINS},
    {"size", EK_SIZE},
    {"capture", EK_CAPTURE},
    {"data", EK_DATA},
    {NULL, 0}};
static const keyspec alert_keys[] = {
    {"data", EK_DATA}, {"item", -1}, {NULL, 0}};
static const keyspec generic_keys[] = {
    {"type", EK_TYPE},   {"format", EK_FORMAT},
    {"source", EK_SOURCE}, {"data", EK_DATA},
    {"contains", EK_CONTAINS}, {"mark", EK_MARK},
    {"correlator", EK_CORRELATOR}, {"status", EK_STATUS},
    {"capture", EK_CAPTURE}, {NULL, 0}};

static sc_expect *new_expect(pstate *ps, int kind)
{
    sc_expect *e;
    if (ps->ctx == CTX_PKG1)
        e = GROW(ps->sess->pkg1, ps->sess->npkg1);
    else
        e = GROW(ps->step->ex, ps->step->nex);
    e->kind = kind;
    e->line = ps->line;
    return e;
}

static bool check_label(pstate *ps, const char *label, int need_kind)
{
    const sc_cmd *c;
    if (strcmp(label, "hdr") == 0)
        return need_kind == 0 ? true
                              : perr(ps, "\"hdr\" has no results");
    c = sc_step_find(ps->step, label);
    if (!c)
        return perr(ps, "no command labelled \"%s\" in the `send` at line %d",
                    label, ps->step->send_line);
    if (need_kind && c->kind != need_kind)
        return perr(ps, "\"%s\" is not a %s (it labels %s)", label,
                    sc_cmd_name(need_kind), sc_cmd_name(c->kind));
    return true;
}

static bool do_expect(pstate *ps, const char *dir, tok *t, int nt)
{
    char *pos[MAX_TOKS];
    int np = positionals(t, nt, pos, MAX_TOKS);
    sc_expect *e;
    bool in_pkg1 = ps->ctx == CTX_PKG1;

    if (strcmp(dir, "status") == 0 || strcmp(dir, "results") == 0 ||
        strcmp(dir, "no-results") == 0) {
        bool st = dir[0] == 's', res = dir[0] == 'r';
        if (in_pkg1)
            return perr(ps, "`%s` belongs in a `reply` block (package 1 "
                        "answers no server command)", dir);
        if (np < 1)
            return perr(ps, "`%s` needs a command label", dir);
        if (!check_label(ps, pos[0], st ? 0 : SC_GET))
            return false;
        e = new_expect(ps, st ? EX_STATUS : res ? EX_RESULTS
                                                : EX_NO_RESULTS);
        e->label = xstrdup(pos[0]);
        if (st) {
            if (np != 2 || !codes_parse(pos[1], &e->codes))
                return perr(ps, "`status LABEL CODES` needs codes like 200, "
                            "200|212, 4xx or *");
            if (!take_opts(ps, dir, t, nt, status_keys, e->opt, &e->items,
                           &e->nitems))
                return false;
        } else {
            if (np != 1)
                return perr(ps, "`%s LABEL` takes one label", dir);
            if (!take_opts(ps, dir, t, nt, res ? results_keys : NULL, e->opt,
                           NULL, NULL))
                return false;
            if (e->opt[EK_CAPTURE]) {
                if (!valid_name(e->opt[EK_CAPTURE]))
                    return perr(ps, "capture=%s is not a variable name",
                                e->opt[EK_CAPTURE]);
                var_learn(ps, e->opt[EK_CAPTURE]);
            }
            if (e->opt[EK_SIZE]) {
                long v;
                if (!parse_long(e->opt[EK_SIZE], 0, 0x7fffffffL, &v))
                    return perr(ps, "size=%s is not a byte count",
                                e->opt[EK_SIZE]);
            }
            if (e->opt[EK_DATA] && strcmp(e->opt[EK_DATA], "absent") &&
                strcmp(e->opt[EK_DATA], "present"))
                return perr(ps, "results data= must be absent or present");
        }
        return true;
    }
    if (strcmp(dir, "alert") == 0 || strcmp(dir, "no-alert") == 0) {
        long code;
        bool no = dir[0] == 'n';
        if (np != 1 || !parse_long(pos[0], 1000, 9999, &code))
            return perr(ps, "`%s CODE` needs a 4-digit alert code", dir);
        if (code == 1226 && !no)
            return perr(ps, "use `generic-alert` for Alert 1226");
        e = new_expect(ps, no ? EX_NO_ALERT : EX_ALERT);
        e->alert_code = (int)code;
        return take_opts(ps, dir, t, nt, no ? NULL : alert_keys, e->opt,
                         &e->items, &e->nitems);
    }
    if (strcmp(dir, "generic-alert") == 0) {
        if (np)
            return perr(ps, "`generic-alert` takes only key=value options");
        e = new_expect(ps, EX_GENERIC);
        if (!take_opts(ps, dir, t, nt, generic_keys, e->opt, NULL, NULL))
            return false;
        if (e->opt[EK_STATUS]) {
            long v;
            if (!parse_long(e->opt[EK_STATUS], 100, 599, &v))
                return perr(ps, "status=%s is not a status code",
                            e->opt[EK_STATUS]);
        }
        if (e->opt[EK_CAPTURE]) {
            if (!valid_name(e->opt[EK_CAPTURE]))
                return perr(ps, "capture=%s is not a variable name",
                            e->opt[EK_CAPTURE]);
            var_learn(ps, e->opt[EK_CAPTURE]);
        }
        return true;
    }
    if (strcmp(dir, "devinfo") == 0) {
        if (!in_pkg1)
            return perr(ps, "`devinfo` belongs in the `pkg1` block");
        if (np != 2 || !take_opts(ps, dir, t, nt, NULL, NULL, NULL, NULL))
            return perr(ps, "`devinfo NAME VALUE` (e.g. devinfo Lang en)");
        if (!check_vars(ps, pos[1]))
            return false;
        e = new_expect(ps, EX_DEVINFO);
        e->label = xstrdup(pos[0]);
        e->value = xstrdup(pos[1]);
        return true;
    }
    if (strcmp(dir, "session-id") == 0) {
        if (!in_pkg1)
            return perr(ps, "`session-id` belongs in the `pkg1` block");
        if (np != 1 || !take_opts(ps, dir, t, nt, NULL, NULL, NULL, NULL))
            return perr(ps, "`session-id VALUE`");
        if (!check_vars(ps, pos[0]))
            return false;
        e = new_expect(ps, EX_SESSION_ID);
        e->label = xstrdup(pos[0]);
        return true;
    }
    if (strcmp(dir, "abort") == 0 || strcmp(dir, "refused") == 0) {
        bool ab = dir[0] == 'a';
        if (in_pkg1)
            return perr(ps, "`%s` belongs in a `reply` block", dir);
        if (np || !take_opts(ps, dir, t, nt, NULL, NULL, NULL, NULL))
            return perr(ps, "`%s` takes no arguments", dir);
        e = new_expect(ps, ab ? EX_ABORT : EX_REFUSED);
        if (ab)
            ps->client_ended = true;
        else
            ps->refused = true;
        return true;
    }
    if (strcmp(dir, "challenge") == 0) {
        sc_challenge *c;
        long code;
        int type;
        static const keyspec ck[] = {{"nonce", 0}, {NULL, 0}};
        char *o[1] = {0};
        if (!in_pkg1)
            return perr(ps, "`challenge` belongs in the `pkg1` block");
        if (np != 2 || !parse_long(pos[0], 401, 407, &code) ||
            (code != 401 && code != 407))
            return perr(ps, "`challenge 401|407 basic|md5|hmac [nonce=]`");
        type = auth_from_name(pos[1]);
        if (type <= 0)
            return perr(ps, "challenge type must be basic, md5 or hmac");
        if (!take_opts(ps, dir, t, nt, ck, o, NULL, NULL))
            return false;
        if (o[0] && type == SC_AUTH_BASIC)
            return perr(ps, "a basic challenge has no nonce");
        c = GROW(ps->sess->chal, ps->sess->nchal);
        c->line = ps->line;
        c->code = (int)code;
        c->type = type;
        c->nonce = o[0];
        return true;
    }
    if (strcmp(dir, "auth-fails") == 0) {
        if (!in_pkg1)
            return perr(ps, "`auth-fails` belongs in the `pkg1` block");
        if (np || !take_opts(ps, dir, t, nt, NULL, NULL, NULL, NULL))
            return perr(ps, "`auth-fails` takes no arguments");
        ps->sess->auth_fails = true;
        ps->sess->auth_fails_line = ps->line;
        return true;
    }
    return perr(ps, "internal: unknown expectation %s", dir);
}

/* ---- header ------------------------------------------------------------- */

static bool do_auth(pstate *ps, sc_auth *a, bool client, tok *t, int nt)
{
    static const keyspec ck[] = {{"user", 0},       {"password", 1},
                                 {"nonce", 2},      {"next-nonce", 3},
                                 {"initial", 4},    {NULL, 0}};
    static const keyspec sk[] = {{"name", 0}, {"password", 1}, {"nonce", 2},
                                 {NULL, 0}};
    char *pos[4], *o[5] = {0};
    int np = positionals(t, nt, pos, 4);
    const char *dir = client ? "client-auth" : "server-auth";
    if (np != 1 || (a->type = auth_from_name(pos[0])) < 0)
        return perr(ps, "`%s none|basic|md5|hmac ...`", dir);
    if (!take_opts(ps, dir, t, nt, client ? ck : sk, o, NULL, NULL))
        return false;
    a->line = ps->line;
    a->user = o[0];
    a->password = o[1];
    a->nonce = o[2];
    a->next_nonce = o[3];
    if (o[4]) {
        if (strcmp(o[4], "required") == 0)
            a->initial_required = true;
        else if (strcmp(o[4], "optional") != 0)
            return perr(ps, "initial= must be required or optional");
        free(o[4]);
    }
    if (a->type != SC_AUTH_NONE && (!a->user || !a->password))
        return perr(ps, "`%s %s` needs %s= and password=", dir,
                    pos[0], client ? "user" : "name");
    if (a->type == SC_AUTH_BASIC && (a->nonce || a->next_nonce))
        return perr(ps, "basic authentication has no nonce");
    if (!client && a->type == SC_AUTH_BASIC && strchr(a->user, ':'))
        return perr(ps, "a basic user name cannot contain ':'");
    return true;
}

static bool do_header(pstate *ps, const char *dir, tok *t, int nt)
{
    scenario *s = ps->s;
    char *pos[4];
    int np = positionals(t, nt, pos, 4);
    if (ps->ctx != CTX_HEADER)
        return perr(ps, "header directive `%s` must come before the first "
                    "session", dir);
    if (strcmp(dir, "client-auth") == 0)
        return do_auth(ps, &s->client_auth, true, t, nt);
    if (strcmp(dir, "server-auth") == 0)
        return do_auth(ps, &s->server_auth, false, t, nt);
    if (!take_opts(ps, dir, t, nt, NULL, NULL, NULL, NULL))
        return false;
    if (strcmp(dir, "set") == 0) {
        sc_var *v;
        if (np != 2 || !valid_name(pos[0]) || sc_is_builtin_var(pos[0]))
            return perr(ps, "`set NAME VALUE` (NAME not a built-in variable)");
        if (!check_vars(ps, pos[1]))
            return false;
        v = GROW(s->vars, s->nvars);
        v->name = xstrdup(pos[0]);
        v->value = xstrdup(pos[1]);
        var_learn(ps, pos[0]);
        return true;
    }
    if (np != 1)
        return perr(ps, "`%s` takes exactly one value", dir);
    if (strcmp(dir, "server-id") == 0) {
        free(s->server_id);
        s->server_id = xstrdup(pos[0]);
    } else if (strcmp(dir, "server-url") == 0) {
        if (!check_vars(ps, pos[0]))
            return false;
        free(s->server_url);
        s->server_url = xstrdup(pos[0]);
    } else if (strcmp(dir, "devid") == 0) {
        free(s->devid);
        s->devid = xstrdup(pos[0]);
    } else if (strcmp(dir, "encoding") == 0) {
        if (strcmp(pos[0], "any") == 0)
            s->encoding = 0;
        else if (strcmp(pos[0], "xml") == 0)
            s->encoding = 1;
        else if (strcmp(pos[0], "wbxml") == 0)
            s->encoding = 2;
        else
            return perr(ps, "encoding must be xml, wbxml or any");
    } else if (strcmp(dir, "max-msg-size") == 0) {
        if (!parse_long(pos[0], 256, 0x7fffffffL, &s->max_msg_size))
            return perr(ps, "max-msg-size must be a byte count >= 256");
    } else if (strcmp(dir, "max-obj-size") == 0) {
        if (!parse_long(pos[0], 1, 0x7fffffffL, &s->max_obj_size))
            return perr(ps, "max-obj-size must be a positive byte count");
    } else if (strcmp(dir, "resp-uri") == 0) {
        if (strcmp(pos[0], "on") == 0)
            s->resp_uri = true;
        else if (strcmp(pos[0], "off") == 0)
            s->resp_uri = false;
        else if (strstr(pos[0], "://") && !strpbrk(pos[0], "?#")) {
            s->resp_uri = true;
            free(s->resp_uri_base);
            s->resp_uri_base = xstrdup(pos[0]);
        } else
            return perr(ps, "resp-uri must be on, off or a URL without a "
                            "query");
    } else if (strcmp(dir, "auth-accept") == 0) {
        if (strcmp(pos[0], "session") == 0)
            s->auth_per_message = false;
        else if (strcmp(pos[0], "message") == 0)
            s->auth_per_message = true;
        else
            return perr(ps, "auth-accept must be session or message");
    } else if (strcmp(dir, "end-wait") == 0) {
        if (!parse_long(pos[0], 0, 600000, &s->end_wait_ms))
            return perr(ps, "end-wait is milliseconds (0..600000)");
    } else if (strcmp(dir, "timeout") == 0) {
        if (!parse_long(pos[0], 1, 86400, &s->timeout_s))
            return perr(ps, "timeout is seconds (1..86400)");
    } else {
        return perr(ps, "internal: unknown header directive %s", dir);
    }
    return true;
}

static bool do_push(pstate *ps, const char *dir, tok *t, int nt)
{
    static const keyspec nk[] = {
        {"ui", PK_UI},           {"initiator", PK_INITIATOR},
        {"session-id", PK_SESSION_ID}, {"version", PK_VERSION},
        {"to", PK_TO},           {"file", PK_FILE},
        {"vendor", PK_VENDOR},   {"server-id", PK_SERVER_ID},
        {"password", PK_PASSWORD}, {"nonce", PK_NONCE},
        {"send", PK_SEND},       {NULL, 0}};
    static const keyspec bk[] = {
        {"file", PK_FILE},   {"content-type", PK_CONTENT_TYPE},
        {"sec", PK_SEC},     {"mac", PK_MAC},
        {"imsi", PK_IMSI},   {"pin", PK_PIN},
        {"key-order", PK_KEY_ORDER},
        {"app-id", PK_APP_ID}, {"to", PK_TO},
        {"out", PK_OUT},     {"generate", PK_GENERATE},
        {"account", PK_ACCOUNT}, {"connmo", PK_CONNMO},
        {"tamper", PK_TAMPER}, {"doc-out", PK_DOC_OUT}, {NULL, 0}};
    bool notify = dir[0] == 'n';
    sc_push *p;
    char *pos[2];
    need_session(ps);
    if (ps->ctx != CTX_SESSION)
        return perr(ps, "`%s` must come before `pkg1` of its session", dir);
    if (positionals(t, nt, pos, 2))
        return perr(ps, "`%s` takes only key=value options", dir);
    p = GROW(ps->sess->pushes, ps->sess->npushes);
    p->kind = notify ? SC_PUSH_NOTIFY : SC_PUSH_BOOTSTRAP;
    p->line = ps->line;
    if (!take_opts(ps, dir, t, nt, notify ? nk : bk, p->opt, NULL, NULL))
        return false;
    if (notify) {
        long v;
        if (p->opt[PK_VERSION] && !parse_long(p->opt[PK_VERSION], 0, 1023, &v))
            return perr(ps, "version= is the 10-bit version field (e.g. 11 "
                        "or 12)");
        if (p->opt[PK_SESSION_ID] && strcmp(p->opt[PK_SESSION_ID], "auto") &&
            !strstr(p->opt[PK_SESSION_ID], "${")) {
            char *e;
            unsigned long sid = strtoul(p->opt[PK_SESSION_ID], &e, 16);
            if (*e || sid > 0xFFFF || e == p->opt[PK_SESSION_ID])
                return perr(ps, "session-id= is 1-4 hex digits or auto");
        }
        if (p->opt[PK_SEND] && strcmp(p->opt[PK_SEND], "yes") &&
            strcmp(p->opt[PK_SEND], "no"))
            return perr(ps, "send= must be yes or no");
        var_learn(ps, "pkg0-session-id");
    } else {
        if (p->opt[PK_GENERATE]) {
            if (p->opt[PK_FILE])
                return perr(ps, "`bootstrap`: file= or generate=, not both");
            if (!strstr(p->opt[PK_GENERATE], "${") &&
                dms_bs_kind_parse(p->opt[PK_GENERATE]) < 0)
                return perr(ps, "unknown generate=%s (cp, cp-xml, dm, "
                            "dm-xml)", p->opt[PK_GENERATE]);
        } else if (!p->opt[PK_FILE] || !p->opt[PK_CONTENT_TYPE]) {
            return perr(ps, "`bootstrap` needs file= and content-type=, or "
                        "generate=");
        } else if (p->opt[PK_ACCOUNT] || p->opt[PK_CONNMO] ||
                   p->opt[PK_DOC_OUT]) {
            return perr(ps, "account=/connmo=/doc-out= go with generate=");
        }
        if (p->opt[PK_TAMPER] && !strstr(p->opt[PK_TAMPER], "${") &&
            dms_tamper_parse(p->opt[PK_TAMPER]) < 0)
            return perr(ps, "tamper= must be mac, body or none");
        if ((p->opt[PK_IMSI] || p->opt[PK_PIN]) && !p->opt[PK_SEC])
            return perr(ps, "imsi=/pin= need sec=");
        if ((p->opt[PK_MAC] || p->opt[PK_KEY_ORDER]) && !p->opt[PK_SEC])
            return perr(ps, "mac=/key-order= need sec=");
        if (p->opt[PK_SEC] && !strstr(p->opt[PK_SEC], "${") &&
            dms_sec_parse(p->opt[PK_SEC]) < 0)
            return perr(ps, "unknown sec=%s (NETWPIN, USERPIN, USERNETWPIN, "
                        "USERPINMAC or 0..3)", p->opt[PK_SEC]);
        if (p->opt[PK_KEY_ORDER] && !strstr(p->opt[PK_KEY_ORDER], "${") &&
            dms_key_order_parse(p->opt[PK_KEY_ORDER]) < 0)
            return perr(ps, "key-order= must be imsi-pin or pin:imsi");
        var_learn(ps, "bootstrap-pin");
    }
    return true;
}

/* ---- the line dispatcher ------------------------------------------------- */

static bool is_header(const char *d)
{
    static const char *const h[] = {
        "server-id", "server-url", "devid",   "encoding",    "max-msg-size",
        "max-obj-size", "resp-uri", "auth-accept", "client-auth", "server-auth",
        "end-wait",  "timeout",    "set",      NULL};
    for (int i = 0; h[i]; i++)
        if (strcmp(h[i], d) == 0)
            return true;
    return false;
}

static bool is_command(const char *d)
{
    static const char *const c[] = {"get",  "add",    "replace", "delete",
                                    "copy", "exec",   "alert",   "atomic",
                                    "sequence", NULL};
    for (int i = 0; c[i]; i++)
        if (strcmp(c[i], d) == 0)
            return true;
    return false;
}

static bool is_expect(const char *d)
{
    static const char *const e[] = {
        "status", "results", "no-results", "alert", "no-alert",
        "generic-alert", "devinfo", "session-id", "abort", "refused",
        "challenge", "auth-fails", NULL};
    for (int i = 0; e[i]; i++)
        if (strcmp(e[i], d) == 0)
            return true;
    return false;
}

static bool send_opts(pstate *ps, const char *dir, tok *t, int nt,
                      char **cred, long *delay_ms)
{
    static const keyspec sk[] = {{"cred", 0}, {"delay", 1}, {NULL, 0}};
    char *o[2] = {0};
    char *pos[2];
    if (positionals(t, nt, pos, 2))
        return perr(ps, "`%s` takes only cred=ok|wrong|none and delay=MS",
                    dir);
    if (!take_opts(ps, dir, t, nt, sk, o, NULL, NULL))
        return false;
    *delay_ms = 0;
    if (o[0] && strcmp(o[0], "ok") && strcmp(o[0], "wrong") &&
        strcmp(o[0], "none")) {
        free(o[0]);
        free(o[1]);
        return perr(ps, "cred= must be ok, wrong or none");
    }
    if (o[1] && !parse_long(o[1], 0, 60000, delay_ms)) {
        free(o[0]);
        free(o[1]);
        return perr(ps, "delay= must be a number of milliseconds (0-60000)");
    }
    free(o[1]);
    *cred = o[0]; /* the caller owns it */
    return true;
}

static bool do_line(pstate *ps, tok *t, int nt)
{
    const char *d;
    if (t[0].key)
        return perr(ps, "a line must start with a directive, not `%s=`",
                    t[0].key);
    d = t[0].val;

    if (ps->depth > 0 && strcmp(d, "end-atomic") && strcmp(d, "end-sequence") &&
        !is_command(d) && strcmp(d, "item") && strcmp(d, "break"))
        return perr(ps, "`%s` inside an open %s (close it with end-%s)", d,
                    sc_cmd_name(ps->open_kind[ps->depth - 1]),
                    ps->open_kind[ps->depth - 1] == SC_ATOMIC ? "atomic"
                                                              : "sequence");
    if (is_header(d))
        return do_header(ps, d, t, nt);
    if (strcmp(d, "session") == 0) {
        char *pos[2];
        int np = positionals(t, nt, pos, 2);
        if (np > 1 || !take_opts(ps, d, t, nt, NULL, NULL, NULL, NULL))
            return perr(ps, "`session [NAME]`");
        if (!finish_session(ps))
            return false;
        new_session(ps, np ? pos[0] : NULL);
        ps->ctx = CTX_SESSION;
        return true;
    }
    if (strcmp(d, "notify") == 0 || strcmp(d, "bootstrap") == 0)
        return do_push(ps, d, t, nt);
    if (strcmp(d, "pkg1") == 0) {
        need_session(ps);
        if (ps->ctx != CTX_SESSION)
            return perr(ps, "`pkg1` must start its session (after `session`, "
                        "`notify` or `bootstrap`)");
        if (nt > 1)
            return perr(ps, "`pkg1` takes no arguments");
        ps->sess->pkg1_line = ps->line;
        ps->ctx = CTX_PKG1;
        return true;
    }
    if (strcmp(d, "send") == 0) {
        char *cred = NULL;
        long delay_ms = 0;
        need_session(ps);
        if (ps->ctx == CTX_SEND)
            return perr(ps, "the `send` at line %d has no `reply`",
                        ps->step->send_line);
        if (ps->ctx == CTX_ENDED)
            return perr(ps, "this session has ended (start another with "
                        "`session`)");
        if (ps->client_ended)
            return perr(ps, "the client aborted the session in the previous "
                        "reply; nothing can follow in this session");
        if (ps->sess->auth_fails && ps->sess->nsteps == 0)
            return perr(ps, "after `auth-fails` the session ends");
        if (!send_opts(ps, d, t, nt, &cred, &delay_ms))
            return false;
        ps->step = GROW(ps->sess->steps, ps->sess->nsteps);
        ps->step->send_line = ps->line;
        ps->step->cred = cred;
        ps->step->delay_ms = delay_ms;
        ps->refused = false;
        ps->ctx = CTX_SEND;
        ps->have_last = false;
        return true;
    }
    if (strcmp(d, "reply") == 0) {
        bool any = false;
        if (ps->ctx != CTX_SEND)
            return perr(ps, "`reply` must follow a `send` block");
        if (nt > 1)
            return perr(ps, "`reply` takes no arguments");
        for (size_t i = 0; i < ps->step->ncmds; i++)
            if (ps->step->cmds[i].kind != SC_BREAK)
                any = true;
        if (!any)
            return perr(ps, "the `send` at line %d has no command: a package "
                        "without commands ends the session (use `end`)",
                        ps->step->send_line);
        ps->step->reply_line = ps->line;
        ps->ctx = CTX_REPLY;
        return true;
    }
    if (strcmp(d, "end") == 0) {
        char *cred = NULL;
        long delay_ms = 0;
        if (ps->ctx == CTX_SEND)
            return perr(ps, "`end` after a `send` without `reply`");
        if (ps->ctx == CTX_ENDED)
            return perr(ps, "this session has already ended");
        if (ps->client_ended)
            return perr(ps, "the client aborts in the previous reply; the "
                        "session ends without `end`");
        if (ps->sess && ps->sess->auth_fails && ps->sess->nsteps == 0)
            return perr(ps, "after `auth-fails` the session ends without "
                        "`end`");
        need_session(ps);
        if (!send_opts(ps, d, t, nt, &cred, &delay_ms))
            return false;
        ps->sess->end_kind = SC_END_SERVER;
        ps->sess->end_line = ps->line;
        ps->sess->end_cred = cred;
        ps->sess->end_delay_ms = delay_ms;
        ps->ctx = CTX_ENDED;
        return true;
    }
    if (strcmp(d, "end-atomic") == 0 || strcmp(d, "end-sequence") == 0) {
        int want = d[4] == 'a' ? SC_ATOMIC : SC_SEQUENCE;
        if (ps->depth == 0 || ps->open_kind[ps->depth - 1] != want)
            return perr(ps, "`%s` without a matching open block", d);
        if (nt > 1)
            return perr(ps, "`%s` takes no arguments", d);
        ps->depth--;
        ps->have_last = false;
        return true;
    }
    if (strcmp(d, "alert") == 0 && ps->ctx != CTX_SEND && ps->depth == 0)
        return is_expect(d) && (ps->ctx == CTX_PKG1 || ps->ctx == CTX_REPLY)
                   ? do_expect(ps, d, t, nt)
                   : perr(ps, "`alert` outside a `send` (command) or a "
                          "`pkg1`/`reply` block (expectation)");
    if (is_command(d) || strcmp(d, "item") == 0 || strcmp(d, "break") == 0) {
        if (ps->ctx != CTX_SEND)
            return perr(ps, "command `%s` outside a `send` block", d);
        if (strcmp(d, "item") == 0)
            return do_item(ps, t, nt);
        if (strcmp(d, "break") == 0) {
            sc_cmd **arr;
            size_t *n;
            sc_cmd *c;
            if (nt > 1)
                return perr(ps, "`break` takes no arguments");
            if (ps->depth)
                return perr(ps, "`break` cannot split an %s",
                            sc_cmd_name(ps->open_kind[ps->depth - 1]));
            cur_list(ps, &arr, &n);
            c = GROW(*arr, *n);
            c->kind = SC_BREAK;
            c->line = ps->line;
            ps->have_last = false;
            return true;
        }
        /* `alert` is a command in a send block, an expectation elsewhere */
        return do_command(ps, d, t, nt);
    }
    if (is_expect(d)) {
        if (ps->ctx == CTX_HEADER || ps->ctx == CTX_SESSION)
            return perr(ps, "expectation `%s` outside a `pkg1` or `reply` "
                        "block", d);
        if (ps->ctx == CTX_SEND)
            return perr(ps, "expectation `%s` inside a `send` block (start "
                        "the `reply` first)", d);
        if (ps->ctx == CTX_ENDED)
            return perr(ps, "expectation `%s` after `end`", d);
        return do_expect(ps, d, t, nt);
    }
    return perr(ps, "unknown directive `%s`", d);
}

/* ---- entry points ------------------------------------------------------- */

static void free_item(sc_item *it)
{
    free(it->target);
    free(it->source);
    free(it->format);
    free(it->type);
    free(it->data);
    free(it->size);
}

static void free_cmds(sc_cmd *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].label);
        for (size_t k = 0; k < c[i].nitems; k++)
            free_item(&c[i].items[k]);
        free(c[i].items);
        free(c[i].alert_code);
        free(c[i].correlator);
        free_cmds(c[i].kids, c[i].nkids);
    }
    free(c);
}

static void free_expects(sc_expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].label);
        free(e[i].value);
        for (int k = 0; k < EK_COUNT_; k++)
            free(e[i].opt[k]);
        for (size_t k = 0; k < e[i].nitems; k++)
            free(e[i].items[k]);
        free(e[i].items);
    }
    free(e);
}

static void free_auth(sc_auth *a)
{
    free(a->user);
    free(a->password);
    free(a->nonce);
    free(a->next_nonce);
}

void sc_free(scenario *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->dir);
    free(s->server_id);
    free(s->server_url);
    free(s->resp_uri_base);
    free(s->devid);
    free_auth(&s->client_auth);
    free_auth(&s->server_auth);
    for (size_t i = 0; i < s->nvars; i++) {
        free(s->vars[i].name);
        free(s->vars[i].value);
    }
    free(s->vars);
    for (size_t i = 0; i < s->nsessions; i++) {
        sc_session *se = &s->sessions[i];
        free(se->name);
        for (size_t k = 0; k < se->npushes; k++)
            for (int j = 0; j < PK_COUNT_; j++)
                free(se->pushes[k].opt[j]);
        free(se->pushes);
        free_expects(se->pkg1, se->npkg1);
        for (size_t k = 0; k < se->nchal; k++)
            free(se->chal[k].nonce);
        free(se->chal);
        for (size_t k = 0; k < se->nsteps; k++) {
            free(se->steps[k].cred);
            free_cmds(se->steps[k].cmds, se->steps[k].ncmds);
            free_expects(se->steps[k].ex, se->steps[k].nex);
        }
        free(se->steps);
        free(se->end_cred);
    }
    free(s->sessions);
    free(s);
}

scenario *sc_parse(const char *name, const char *text, size_t len, char *err,
                   size_t errlen)
{
    pstate ps;
    scenario *s = xrealloc(NULL, sizeof *s);
    const char *p = text, *end = text + len;
    char *slash;
    bool ok = true;

    memset(s, 0, sizeof *s);
    s->file = xstrdup(name);
    s->dir = xstrdup(name);
    slash = strrchr(s->dir, '/');
    if (slash)
        slash[1] = 0;
    else
        s->dir[0] = 0;
    s->server_id = xstrdup("polydm-testserver");
    s->max_msg_size = 65536;
    s->max_obj_size = 4 * 1024 * 1024;
    s->resp_uri = true;
    s->end_wait_ms = 500;
    s->timeout_s = 30;

    memset(&ps, 0, sizeof ps);
    ps.s = s;
    ps.name = name;
    ps.err = err;
    ps.errlen = errlen;
    if (errlen)
        err[0] = 0;

    if (memchr(text, 0, len)) {
        ps.line = 1;
        perr(&ps, "NUL byte in the scenario file");
        sc_free(s);
        return NULL;
    }
    while (ok && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = xrealloc(NULL, n + 1);
        tok t[MAX_TOKS];
        const char *why = NULL;
        int nt;
        memcpy(line, p, n);
        line[n] = 0;
        if (n && line[n - 1] == '\r')
            line[n - 1] = 0;
        ps.line++;
        nt = tokenize(line, t, &why);
        if (nt < 0)
            ok = perr(&ps, "%s", why);
        else if (nt > 0)
            ok = do_line(&ps, t, nt);
        free(line);
        p = nl ? nl + 1 : end;
    }
    ps.line++;
    if (ok && ps.depth)
        ok = perr(&ps, "unclosed %s at the end of the file",
                  sc_cmd_name(ps.open_kind[ps.depth - 1]));
    if (ok)
        ok = finish_session(&ps);
    if (ok && s->nsessions == 0) {
        /* an empty scenario: the client connects, the server ends */
        new_session(&ps, NULL);
        ps.ctx = CTX_SESSION;
        ok = finish_session(&ps);
    }
    for (size_t i = 0; i < ps.nknown; i++)
        free(ps.known[i]);
    free(ps.known);
    if (!ok) {
        sc_free(s);
        return NULL;
    }
    return s;
}

scenario *sc_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    scenario *s;
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    for (;;) {
        size_t r;
        if (len == cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20)) {
                fclose(f);
                free(buf);
                snprintf(err, errlen, "%s: error: file too large", path);
                return NULL;
            }
            buf = xrealloc(buf, cap);
        }
        r = fread(buf + len, 1, cap - len, f);
        if (r == 0)
            break;
        len += r;
    }
    fclose(f);
    s = sc_parse(path, buf ? buf : "", len, err, errlen);
    free(buf);
    return s;
}
