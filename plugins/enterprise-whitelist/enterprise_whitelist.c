/*
 * enterprise-whitelist: only listed servers bootstrap, are contacted and
 * run sessions; the listed enterprise server owns root (seed S5).
 *
 * A whitelist entry is "<ServerID> <address-pattern> <pin>[ owner]":
 *   - ServerID: the account's ServerID, exactly (case-sensitive);
 *   - address pattern: an https:// URL where '*' stands for a run of one
 *     or more host/path characters [A-Za-z0-9._~-] (never '/', ':', '@',
 *     so a '*' cannot cross from the host into the path or the port);
 *     scheme and host compare without case, the path with it; the
 *     address's query (what a RespURI adds) is not compared;
 *   - pin: the TLS public-key pin of the server, "sha256//<base64>", or
 *     several separated by ';' (a key rollover), the syntax of the core's
 *     transport.pin.* (pdm__key_pin_valid, mirrored here: a plugin does
 *     not link the core);
 *   - "owner": this server owns root (at most one entry).
 * Entries come from option.entry.1 ... option.entry.16 and/or the file
 * named by option.file (one entry a line, '#' comments).  At least one is
 * required; a malformed one fails create() naming it.
 *
 * The list lives in the plugin's key/value data: seeded from the profile
 * when the store has none (the first start, or after a factory reset wiped
 * the store), and from then on the stored list is the one in force:
 * editing the profile changes nothing until a factory reset.  The owner
 * server changes it over DM by replacing ./Vendor/polydm/Whitelist/List
 * (the "whitelist" MO component); the policy lets no one else at those
 * nodes.
 *
 * Components: "policy" (PDM_KIND_POLICY), "authority"
 * (PDM_KIND_AUTHORITY) and "whitelist" (PDM_KIND_MO) share one list
 * through the plugin data.  Every decision that uses the list re-reads
 * the stored one first: the store is the one truth (the Replace of a
 * rolled-back package or failed Atomic is put back by the MO's
 * rollback()).
 */
#include <polydm/authority.h>
#include <polydm/mo.h>
#include <polydm/policy.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const pdm_host_api *host; /* plugin.h rule 9 */

#define KV_LIST "entries"   /* the list in force, canonical lines */
#define MAX_OPT_ENTRIES 16  /* option.entry.1 .. option.entry.16 */
#define MAX_FILE 65536
#define MAX_SID 255
#define MAX_PATTERN 512
#define MAX_ADDRESS 2048
#define MAX_STARS 8
#define MAX_PINS 8
#define PIN_LEN 52 /* "sha256//" and 44 base64 characters */
/* The MO's base.  The policy guards this subtree; the handler refuses to
 * serve anywhere else (a mo.whitelist.base override would leave the
 * nodes unguarded: the plugin cannot learn the override). */
#define MO_BASE "./Vendor/polydm/Whitelist"

/* ABI 1.0 sizes of the structs the core hands us: never read past
 * struct_size, never accept less than 1.0 (fail closed). */
#define REQ_SIZE_1_0 (offsetof(pdm_policy_req, key_pin) + sizeof(const char *))
#define INFO_SIZE_1_0 \
    (offsetof(pdm_authority_info, source) + sizeof(const char *))
#define GRANT_SIZE_1_0 \
    (offsetof(pdm_authority_grant, root_owner) + sizeof(char *))
#define DEFAULTS_SIZE_1_3 \
    (offsetof(pdm_authority_defaults, dmacc_acl) + sizeof(char *))

typedef struct entry {
    char *sid, *pattern, *pin;
    int owner;
    char where[128]; /* "option.entry.2", "/etc/wl:7": for errors */
} entry;

typedef struct list {
    entry *v;
    size_t n, cap;
} list;

/* Plugin data, shared by both components of one context. */
/* The stored list as it was when a package or Atomic began (MO
 * begin()), to put back on rollback(). */
typedef struct snap {
    char *text; /* host memory, or NULL: nothing stored (no store) */
    size_t len;
} snap;

#define MAX_SAVEPOINTS 32

typedef struct wl {
    pdm_plugin_ctx *pc;
    int loaded;
    list l;
    char *text;      /* the stored text l was parsed from, or NULL (no */
    size_t text_len; /* store) */
    snap sp[MAX_SAVEPOINTS]; /* begin() stack */
    size_t depth, overflow;  /* overflow: begins beyond the stack */
    snap released;           /* popped by the last commit() */
    int has_released;
} wl;

/* ---- small helpers ------------------------------------------------------- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static char *dupn(const char *s, size_t n)
{
    char *d = host->alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void entry_free(entry *e)
{
    host->free(e->sid);
    host->free(e->pattern);
    host->free(e->pin);
    memset(e, 0, sizeof *e);
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        entry_free(&l->v[i]);
    host->free(l->v);
    memset(l, 0, sizeof *l);
}

static const entry *find(const list *l, const char *sid)
{
    for (size_t i = 0; sid && i < l->n; i++)
        if (strcmp(l->v[i].sid, sid) == 0)
            return &l->v[i];
    return NULL;
}

static const entry *owner_of(const list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].owner)
            return &l->v[i];
    return NULL;
}

static void verdict(pdm_verdict *out, uint32_t decision, const char *fmt, ...)
    PDM_PRINTF(3, 4);
static void verdict(pdm_verdict *out, uint32_t decision, const char *fmt, ...)
{
    va_list ap;
    out->decision = decision;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* ---- syntax of an entry ---------------------------------------------------- */

/* The core's pin syntax (pdm__key_pin_valid): entries "sha256//" + 43
 * base64 characters + '=', separated by ';' without spaces.  Here also at
 * most MAX_PINS of them. */
static int pin_valid(const char *p, size_t n)
{
    const char *end = p + n;
    size_t count = 0;
    for (;;) {
        size_t k = 0;
        if ((size_t)(end - p) < 8 || memcmp(p, "sha256//", 8) != 0)
            return 0;
        p += 8;
        while (p + k < end && p[k] != ';') {
            if (!is_alnum((unsigned char)p[k]) && p[k] != '+' &&
                p[k] != '/' && p[k] != '=')
                return 0;
            k++;
        }
        if (k != 44 || p[43] != '=' || p[42] == '=')
            return 0;
        p += k;
        if (++count > MAX_PINS)
            return 0;
        if (p == end)
            return 1;
        p++; /* ';' */
    }
}

/* Does the peer's one pin equal one of the entry's? */
static int pin_matches(const char *pins, const char *peer)
{
    if (!peer || strlen(peer) != PIN_LEN)
        return 0;
    for (const char *p = pins;; p += PIN_LEN + 1) {
        if (memcmp(p, peer, PIN_LEN) == 0)
            return 1;
        if (p[PIN_LEN] != ';')
            return 0;
    }
}

/* Characters a '*' may stand for: a host label's or a path segment's,
 * never a delimiter that would let it reach another part of the URL. */
static int star_char(int c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Why @p (length @n) is not an address pattern, or NULL. */
static const char *pattern_error(const char *p, size_t n)
{
    static const char https[] = "https://";
    size_t stars = 0, host_end, i;
    int fixed = 0;
    if (n > MAX_PATTERN)
        return "is longer than 512 bytes";
    for (i = 0; i < 8; i++)
        if (i >= n || lower((unsigned char)p[i]) != https[i])
            return "is not an https:// URL";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f)
            return "has a character that is not printable ASCII";
        if (c == '@')
            return "has '@' (user information is never part of a "
                   "whitelisted address)";
        if (c == '?' || c == '#')
            return "has '?' or '#' (the query and fragment are not "
                   "compared)";
        if (c == '\\')
            return "has '\\'";
        if (c == '*') {
            if (++stars > MAX_STARS)
                return "has more than 8 '*'";
            if (i + 1 < n && p[i + 1] == '*')
                return "has '**' (one '*' already stands for a run of "
                       "characters)";
        }
    }
    host_end = 8 + strcspn(p + 8, "/:");
    if (host_end > n)
        host_end = n;
    if (host_end == 8)
        return "has no host";
    for (i = 8; i < host_end; i++)
        if (p[i] != '*' && p[i] != '.')
            fixed = 1;
    if (!fixed)
        return "has no fixed part in its host (it would match every "
               "server)";
    return NULL;
}

/* Does @addr match @pat (a valid pattern)?  Dynamic programming over
 * (pattern prefix, address prefix): linear in each, whatever the stars.
 * The query and fragment of the address are not compared. */
static int address_matches(const char *pat, const char *addr)
{
    unsigned char prev[MAX_ADDRESS + 1], cur[MAX_ADDRESS + 1];
    size_t m, pn = strlen(pat), auth_end = 8 + strcspn(pat + 8, "/");
    if (!addr)
        return 0;
    m = strcspn(addr, "?#");
    if (m > MAX_ADDRESS)
        return 0;
    memset(prev, 0, m + 1);
    prev[0] = 1;
    for (size_t i = 1; i <= pn; i++) {
        int pc = (unsigned char)pat[i - 1];
        cur[0] = 0;
        for (size_t j = 1; j <= m; j++) {
            int ac = (unsigned char)addr[j - 1];
            if (pc == '*')
                cur[j] = star_char(ac) && (prev[j - 1] || cur[j - 1]);
            else if (i - 1 < auth_end) /* scheme and authority: no case */
                cur[j] = prev[j - 1] && lower(pc) == lower(ac);
            else
                cur[j] = prev[j - 1] && pc == ac;
        }
        memcpy(prev, cur, m + 1);
    }
    return prev[m];
}

/* Parses "<ServerID> <pattern> <pin>[ owner]" into @e (host memory).
 * On failure: @why says what is wrong, @e is left empty. */
static int parse_entry(const char *text, entry *e, char *why, size_t wn)
{
    const char *tok[5];
    size_t len[5], nt = 0;
    const char *p = text, *perr;
    memset(e, 0, sizeof *e);
    while (nt < 5) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        tok[nt] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        len[nt] = (size_t)(p - tok[nt]);
        nt++;
    }
    if (nt < 3) {
        snprintf(why, wn, "expected '<ServerID> <address-pattern> "
                          "<pin>[ owner]'");
        return PDM_EINVAL;
    }
    if (nt == 5 || (nt == 4 && (len[3] != 5 || memcmp(tok[3], "owner", 5)))) {
        snprintf(why, wn, "unexpected '%.*s' after the pin (only 'owner' "
                 "may follow)", (int)(len[3] > 40 ? 40 : len[3]), tok[3]);
        return PDM_EINVAL;
    }
    if (len[0] > MAX_SID) {
        snprintf(why, wn, "ServerID longer than %d bytes", MAX_SID);
        return PDM_EINVAL;
    }
    for (size_t i = 0; i < len[0]; i++)
        if ((unsigned char)tok[0][i] < 0x20 || tok[0][i] == 0x7f) {
            snprintf(why, wn, "ServerID has a control character");
            return PDM_EINVAL;
        }
    if ((perr = pattern_error(tok[1], len[1]))) {
        snprintf(why, wn, "address pattern '%.*s' %s",
                 (int)(len[1] > 60 ? 60 : len[1]), tok[1], perr);
        return PDM_EINVAL;
    }
    if (!pin_valid(tok[2], len[2])) {
        snprintf(why, wn, "key pin '%.*s' is not sha256//<base64 of the "
                 "SHA-256 of the server's public key> (up to %d, separated "
                 "by ';')", (int)(len[2] > 60 ? 60 : len[2]), tok[2],
                 MAX_PINS);
        return PDM_EINVAL;
    }
    e->sid = dupn(tok[0], len[0]);
    e->pattern = dupn(tok[1], len[1]);
    e->pin = dupn(tok[2], len[2]);
    e->owner = nt == 4;
    if (!e->sid || !e->pattern || !e->pin) {
        entry_free(e);
        snprintf(why, wn, "out of memory");
        return PDM_ENOMEM;
    }
    return PDM_OK;
}

/* Appends @e (taken over on success) after the list-wide rules: each
 * ServerID once, at most one owner. */
static int list_add(list *l, entry *e, char *why, size_t wn)
{
    const entry *old = find(l, e->sid), *own = owner_of(l);
    if (old) {
        snprintf(why, wn, "ServerID '%.60s' is listed twice (first at %s)",
                 e->sid, old->where);
        return PDM_EINVAL;
    }
    if (e->owner && own) {
        snprintf(why, wn, "a second owner entry (the first is '%.60s' at "
                 "%s): one enterprise server owns root", own->sid,
                 own->where);
        return PDM_EINVAL;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        entry *v = host->alloc(cap * sizeof *v);
        if (!v) {
            snprintf(why, wn, "out of memory");
            return PDM_ENOMEM;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        host->free(l->v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *e;
    memset(e, 0, sizeof *e);
    return PDM_OK;
}

/* One entry from @text, labelled @where, into @l.  On failure @why is
 * "<where>: <what>". */
static int add_text(list *l, const char *text, const char *where, char *why,
                    size_t wn)
{
    char what[300];
    entry e;
    int rc = parse_entry(text, &e, what, sizeof what);
    if (rc == PDM_OK) {
        snprintf(e.where, sizeof e.where, "%s", where);
        if ((rc = list_add(l, &e, what, sizeof what)) != PDM_OK)
            entry_free(&e);
    }
    if (rc != PDM_OK)
        snprintf(why, wn, "%s: %s", where, what);
    return rc;
}

/* Entries of a text, one a line, blank lines and '#' comments (a line
 * starting with '#', or '#' after a blank) skipped.  @label names the
 * text in errors ("<label>:<line>"). */
static int add_lines(list *l, const char *buf, size_t len, const char *label,
                     char *why, size_t wn)
{
    char line[1024], where[128];
    size_t ln = 0, pos = 0;
    while (pos < len) {
        size_t n = 0, end;
        int rc;
        ln++;
        for (end = pos; end < len && buf[end] != '\n'; end++)
            ;
        snprintf(where, sizeof where, "%.100s:%zu", label, ln);
        if (memchr(buf + pos, '\0', end - pos)) {
            snprintf(why, wn, "%s: a NUL byte (not a text file)", where);
            return PDM_EINVAL;
        }
        if (end - pos >= sizeof line) {
            snprintf(why, wn, "%s: line longer than %zu bytes", where,
                     sizeof line - 1);
            return PDM_EINVAL;
        }
        for (size_t i = pos; i < end; i++) {
            if (buf[i] == '#' && (n == 0 || line[n - 1] == ' ' ||
                                  line[n - 1] == '\t'))
                break;
            line[n++] = buf[i];
        }
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
                     line[n - 1] == '\r'))
            n--;
        line[n] = '\0';
        pos = end + 1;
        if (strspn(line, " \t") == n)
            continue;
        if ((rc = add_text(l, line, where, why, wn)) != PDM_OK)
            return rc;
    }
    return PDM_OK;
}

/* option.file: reads it whole (bounded) and adds its entries. */
static int add_file(list *l, const char *path, char *why, size_t wn)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    int rc;
    if (!f) {
        int err = errno;
        snprintf(why, wn, "option.file: cannot open %.200s: %s", path,
                 strerror(err));
        return err == ENOENT ? PDM_ENOTFOUND : PDM_EIO;
    }
    if (!(buf = host->alloc(MAX_FILE + 1))) {
        fclose(f);
        snprintf(why, wn, "option.file: out of memory");
        return PDM_ENOMEM;
    }
    n = fread(buf, 1, MAX_FILE + 1, f);
    if (ferror(f)) {
        snprintf(why, wn, "option.file: cannot read %.200s", path);
        rc = PDM_EIO;
    } else if (n > MAX_FILE) {
        snprintf(why, wn, "option.file: %.200s is larger than %d bytes",
                 path, MAX_FILE);
        rc = PDM_ETOOBIG;
    } else {
        rc = add_lines(l, buf, n, path, why, wn);
    }
    fclose(f);
    host->free(buf);
    return rc;
}

/* The whitelist the profile gives: option.entry.N in N order, then the
 * file's.  Calls set_error on failure. */
static int profile_list(pdm_plugin_ctx *pc, list *out)
{
    char why[400], key[32];
    const char *v;
    int rc = PDM_OK;
    memset(out, 0, sizeof *out);
    for (int i = 1; i <= MAX_OPT_ENTRIES && rc == PDM_OK; i++) {
        snprintf(key, sizeof key, "entry.%d", i);
        if ((v = host->get_option(pc, key))) {
            char where[40];
            snprintf(where, sizeof where, "option.%s", key);
            rc = add_text(out, v, where, why, sizeof why);
        }
    }
    if (rc == PDM_OK && (v = host->get_option(pc, "file")))
        rc = add_file(out, v, why, sizeof why);
    if (rc == PDM_OK && out->n == 0) {
        snprintf(why, sizeof why, "no whitelist entry: give at least one "
                 "in option.entry.1 ... option.entry.%d or in the file "
                 "named by option.file", MAX_OPT_ENTRIES);
        rc = PDM_EINVAL;
    }
    if (rc != PDM_OK) {
        host->set_error(pc, rc, "%s", why);
        list_free(out);
    }
    return rc;
}

/* Canonical text of a list: "sid pattern pin[ owner]\n" per entry,
 * host->alloc'd. */
static char *serialize(const list *l, size_t *len)
{
    size_t n = 0, at = 0;
    char *s;
    for (size_t i = 0; i < l->n; i++)
        n += strlen(l->v[i].sid) + strlen(l->v[i].pattern) +
             strlen(l->v[i].pin) + 9;
    if (!(s = host->alloc(n + 1)))
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        at += (size_t)snprintf(s + at, n + 1 - at, "%s %s %s%s\n",
                               l->v[i].sid, l->v[i].pattern, l->v[i].pin,
                               l->v[i].owner ? " owner" : "");
    *len = at;
    return s;
}

/* The list in force: the stored one, else the profile's (stored now).
 * The profile is checked either way, so that a mistake shows now rather
 * than after a factory reset. */
static int load(wl *w)
{
    list prof, stored;
    pdm_blob b = {NULL, 0};
    char why[400], *text;
    size_t len = 0;
    int rc;

    if (w->loaded)
        return PDM_OK;
    if ((rc = profile_list(w->pc, &prof)) != PDM_OK)
        return rc;
    if (!(text = serialize(&prof, &len))) {
        list_free(&prof);
        host->set_error(w->pc, PDM_ENOMEM, "out of memory");
        return PDM_ENOMEM;
    }
    rc = host->kv_get(w->pc, KV_LIST, &b);
    if (rc == PDM_ENOTFOUND) {
        /* First start, or the store was wiped (factory reset). */
        rc = host->kv_put(w->pc, KV_LIST, text, len);
        if (rc != PDM_OK) {
            host->set_error(w->pc, rc, "cannot store the whitelist: %s",
                            host->strerror(rc));
        } else {
            host->log(w->pc, PDM_LOG_INFO,
                      "whitelist seeded from the profile (%zu entries)",
                      prof.n);
            w->l = prof;
            memset(&prof, 0, sizeof prof);
            w->text = text;
            w->text_len = len;
            text = NULL;
        }
    } else if (rc == PDM_ENOTSUP) {
        /* No store: nothing can change the list anyway. */
        host->log(w->pc, PDM_LOG_WARN, "no key/value store: the profile's "
                  "whitelist (%zu entries) applies", prof.n);
        w->l = prof;
        memset(&prof, 0, sizeof prof);
        rc = PDM_OK;
    } else if (rc != PDM_OK) {
        host->set_error(w->pc, rc, "cannot read the stored whitelist: %s",
                        host->strerror(rc));
    } else {
        memset(&stored, 0, sizeof stored);
        rc = add_lines(&stored, (const char *)b.data, b.len,
                       "stored whitelist", why, sizeof why);
        if (rc != PDM_OK) {
            list_free(&stored);
            rc = rc == PDM_ENOMEM ? rc : PDM_ECORRUPT;
            host->set_error(w->pc, rc, "%s (a factory reset restores the "
                            "profile's list)", why);
        } else {
            if (b.len != len || memcmp(b.data, text, len) != 0)
                host->log(w->pc, PDM_LOG_INFO,
                          "the stored whitelist (%zu entries) is in force; "
                          "the profile's differs and applies only after a "
                          "factory reset", stored.n);
            w->l = stored;
            w->text = (char *)b.data;
            w->text_len = b.len;
            b.data = NULL;
        }
    }
    host->free(b.data);
    host->free(text);
    list_free(&prof);
    if (rc == PDM_OK)
        w->loaded = 1;
    return rc;
}

/* Brings w->l up to the stored list (changed by a Replace of the MO, or
 * put back by its rollback()).  Cheap when nothing changed: one kv read
 * and a compare.  PDM_OK, or an error: the caller decides fail-closed. */
static int refresh(wl *w)
{
    pdm_blob b = {NULL, 0};
    list l;
    char why[400];
    int rc;
    if (!w->text)
        return PDM_OK; /* no store: the profile's list, fixed */
    rc = host->kv_get(w->pc, KV_LIST, &b);
    if (rc != PDM_OK) {
        host->free(b.data);
        return rc == PDM_ENOTFOUND ? PDM_ECORRUPT : rc;
    }
    if (b.len == w->text_len && memcmp(b.data, w->text, b.len) == 0) {
        host->free(b.data);
        return PDM_OK;
    }
    memset(&l, 0, sizeof l);
    if ((rc = add_lines(&l, (const char *)b.data, b.len, "stored whitelist",
                        why, sizeof why)) != PDM_OK) {
        list_free(&l);
        host->free(b.data);
        host->log(w->pc, PDM_LOG_ERROR, "%s: every decision fails closed",
                  why);
        return PDM_ECORRUPT;
    }
    list_free(&w->l);
    host->free(w->text);
    w->l = l;
    w->text = (char *)b.data;
    w->text_len = b.len;
    return PDM_OK;
}

/* ---- plugin ------------------------------------------------------------------ */

static int wl_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    wl *w;
    host = h;
    if (!(w = h->alloc(sizeof *w))) {
        h->set_error(pc, PDM_ENOMEM, "out of memory");
        return PDM_ENOMEM;
    }
    memset(w, 0, sizeof *w);
    w->pc = pc;
    *data = w;
    return PDM_OK;
}

static void wl_fini(pdm_plugin_ctx *pc, void *data)
{
    wl *w = data;
    (void)pc;
    if (w) {
        list_free(&w->l);
        host->free(w->text);
        for (size_t i = 0; i < w->depth; i++)
            host->free(w->sp[i].text);
        host->free(w->released.text);
    }
    host->free(w);
}

/* Both components: the shared list, loaded by whichever starts first. */
static int wl_create(pdm_plugin_ctx *pc, void *data, void **inst)
{
    wl *w = data;
    int rc;
    (void)pc;
    if ((rc = load(w)) != PDM_OK)
        return rc;
    *inst = w;
    return PDM_OK;
}

/* The instance is the plugin data; fini frees it. */
static void wl_destroy(void *inst) { (void)inst; }

/* ---- policy ------------------------------------------------------------------ */

/* The checks of a server the device talks to (session, credentials):
 * listed, at its address, over verified TLS, with its key. */
static void check_contact(const wl *w, const pdm_policy_req *r,
                          pdm_verdict *out)
{
    const entry *e = find(&w->l, r->server_id);
    if (!r->server_id)
        verdict(out, PDM_DENY, "no ServerID: only whitelisted servers are "
                "contacted");
    else if (!e)
        verdict(out, PDM_DENY, "ServerID '%.60s' is not on the whitelist",
                r->server_id);
    else if (!address_matches(e->pattern, r->address))
        verdict(out, PDM_DENY, "address '%.50s' does not match '%.50s' "
                "(whitelist entry of %.30s)",
                r->address ? r->address : "(none)", e->pattern, e->sid);
    else if (r->op == PDM_OP_SESSION && (r->flags & PDM_REQ_NOTIFICATION))
        /* A verified package 0 asking for a session: no transport yet,
         * TLS and pin are checked when the session itself is asked. */
        verdict(out, PDM_ALLOW, "whitelisted server (notification)");
    else if (!(r->flags & PDM_REQ_TLS))
        verdict(out, PDM_DENY, "no TLS: %.60s is contacted only over "
                "verified TLS", e->sid);
    else if (!r->key_pin)
        verdict(out, PDM_DENY, "no key pin: the transport reported none "
                "for %.60s", e->sid);
    else if (!pin_matches(e->pin, r->key_pin))
        verdict(out, PDM_DENY, "key pin does not match the whitelist "
                "entry of %.60s", e->sid);
    else
        verdict(out, PDM_ALLOW, "whitelisted, pinned server");
}

/* A bootstrap is asked once per DM account it brings; a document with
 * none (connectivity settings only) is asked once without a ServerID:
 * it installs no server, so the whitelist has no opinion. */
static void check_bootstrap(const wl *w, const pdm_policy_req *r,
                            pdm_verdict *out)
{
    const entry *e = find(&w->l, r->server_id);
    if (!r->server_id)
        verdict(out, PDM_ABSTAIN, "no DM account");
    else if (!e)
        verdict(out, PDM_DENY, "ServerID '%.60s' is not on the whitelist",
                r->server_id);
    else if (!address_matches(e->pattern, r->address))
        verdict(out, PDM_DENY, "address '%.50s' does not match '%.50s' "
                "(whitelist entry of %.30s)",
                r->address ? r->address : "(none)", e->pattern, e->sid);
    else
        verdict(out, PDM_ALLOW, "whitelisted server");
}

/* Is @uri the MO's base or below it, or (@or_above) one of its ancestors,
 * whose Delete would take the whitelist along? */
static int in_mo(const char *uri, int or_above)
{
    size_t n = strlen(MO_BASE), u;
    if (!uri)
        return 0;
    u = strlen(uri);
    if (strncmp(uri, MO_BASE, n) == 0 && (uri[n] == '\0' || uri[n] == '/'))
        return 1;
    return or_above && u < n && strncmp(MO_BASE, uri, u) == 0 &&
           MO_BASE[u] == '/';
}

/* The whitelist's own nodes: read and changed by the owner server only
 * (its ACLs then decide), read by the local user, changed by nobody else:
 * no other server, no bootstrap document, no local edit.  The factory
 * (the core creating the MO's nodes) is not the whitelist's business.
 * Returns 1 when it decided. */
static int guard(const wl *w, const pdm_policy_req *r, pdm_verdict *out)
{
    const entry *own = owner_of(&w->l);
    int change = r->op == PDM_OP_ADD || r->op == PDM_OP_REPLACE ||
                 r->op == PDM_OP_DELETE || r->op == PDM_OP_EXEC ||
                 r->op == PDM_OP_COPY || r->op == PDM_OP_ACL_EDIT;
    if (r->principal == PDM_PRINCIPAL_FACTORY ||
        !(change || r->op == PDM_OP_GET) ||
        !in_mo(r->uri, r->op == PDM_OP_DELETE))
        return 0;
    if (r->principal == PDM_PRINCIPAL_SERVER && own &&
        streq(r->server_id, own->sid))
        return 0;
    if (r->op == PDM_OP_GET && r->principal == PDM_PRINCIPAL_LOCAL)
        return 0;
    verdict(out, PDM_DENY, "%.60s: the whitelist is %s only by its owner "
            "server (%.60s)", r->uri, change ? "changed" : "read",
            own ? own->sid : "none is listed");
    return 1;
}

static int wl_check(void *inst, const pdm_policy_req *in, pdm_verdict *out)
{
    wl *w = inst;
    pdm_policy_req r;
    const entry *own;
    int rc;
    if (!in || in->struct_size < REQ_SIZE_1_0) {
        verdict(out, PDM_DENY, "request struct smaller than ABI 1.0");
        return PDM_OK;
    }
    memset(&r, 0, sizeof r);
    memcpy(&r, in, in->struct_size < sizeof r ? in->struct_size : sizeof r);
    if (r.op != PDM_OP_BOOTSTRAP && r.op != PDM_OP_SESSION &&
        r.op != PDM_OP_SEND_SECRET && r.op != PDM_OP_TAKEOVER &&
        r.op != PDM_OP_TRANSFER && !in_mo(r.uri, 1)) {
        out->decision = PDM_ABSTAIN; /* not the whitelist's business */
        return PDM_OK;
    }
    if ((rc = refresh(w)) != PDM_OK) {
        verdict(out, PDM_DENY, "the stored whitelist cannot be read (%s)",
                host->strerror(rc));
        return PDM_OK;
    }
    if (guard(w, &r, out))
        return PDM_OK;
    switch (r.op) {
    case PDM_OP_BOOTSTRAP:
        check_bootstrap(w, &r, out);
        break;
    case PDM_OP_SESSION:
    case PDM_OP_SEND_SECRET:
        check_contact(w, &r, out);
        break;
    case PDM_OP_TAKEOVER:
        /* Root goes to the owner entry only (the authority grants it at
         * the owner's bootstrap; its takeover() refuses every other). */
        own = owner_of(&w->l);
        if (own && streq(r.server_id, own->sid))
            verdict(out, PDM_ALLOW, "the enterprise owner");
        else
            verdict(out, PDM_DENY, "new root owner '%.60s' is not the "
                    "whitelist's owner (%.60s)",
                    r.server_id ? r.server_id : "(none)",
                    own ? own->sid : "none is listed");
        break;
    case PDM_OP_TRANSFER:
        if (find(&w->l, r.server_id))
            verdict(out, PDM_ABSTAIN, "whitelisted");
        else
            verdict(out, PDM_DENY, "ServerID '%.60s' is not on the "
                    "whitelist", r.server_id ? r.server_id : "(none)");
        break;
    default:
        out->decision = PDM_ABSTAIN;
        break;
    }
    return PDM_OK;
}

static const pdm_policy_ops policy_ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, wl_create, wl_destroy},
    wl_check,
};

/* ---- authority --------------------------------------------------------------- */

static char *acl_printf(const char *fmt, ...) PDM_PRINTF(1, 2);
static char *acl_printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = host->alloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A listed server gets its account (DM_Bootstrap's Get/Replace/Delete);
 * the owner entry also gets root, when it does not own it already (a
 * re-bootstrap keeps a root ACL the owner has since changed).  Anyone
 * else is refused: the policy denied it already, this is the second
 * lock. */
static int wl_on_bootstrap(void *inst, const pdm_authority_info *in,
                           pdm_authority_grant *out)
{
    wl *w = inst;
    pdm_authority_info who;
    const entry *e;
    char *acl = NULL, *root = NULL, *owner = NULL;
    int rc;
    if (!in || in->struct_size < INFO_SIZE_1_0 || !out ||
        out->struct_size < GRANT_SIZE_1_0) {
        host->set_error(w->pc, PDM_EINVAL, "authority structs smaller than "
                        "ABI 1.0");
        return PDM_EINVAL;
    }
    if ((rc = refresh(w)) != PDM_OK) {
        host->set_error(w->pc, rc, "the stored whitelist cannot be read: %s",
                        host->strerror(rc));
        return rc;
    }
    memset(&who, 0, sizeof who);
    memcpy(&who, in, in->struct_size < sizeof who ? in->struct_size
                                                  : sizeof who);
    e = find(&w->l, who.server_id);
    if (!e || !address_matches(e->pattern, who.address)) {
        host->log(w->pc, PDM_LOG_INFO, "bootstrap of '%.60s' refused: %s",
                  who.server_id ? who.server_id : "(no ServerID)",
                  e ? "its address does not match its whitelist entry"
                    : "not on the whitelist");
        out->flags |= PDM_GRANT_REFUSE;
        return PDM_OK;
    }
    acl = acl_printf("Get=%s&Replace=%s&Delete=%s", e->sid, e->sid, e->sid);
    if (e->owner && !streq(who.root_owner, e->sid)) {
        root = acl_printf("Add=*&Get=*&Replace=%s&Delete=%s&Exec=%s", e->sid,
                          e->sid, e->sid);
        owner = host->strdup(e->sid);
        if (!root || !owner)
            goto nomem;
    }
    if (!acl)
        goto nomem;
    out->account_acl = acl;
    out->root_acl = root;
    out->root_owner = owner;
    return PDM_OK;
nomem:
    host->free(acl);
    host->free(root);
    host->free(owner);
    return PDM_ENOMEM;
}

static int wl_takeover(void *inst, const pdm_authority_info *to,
                       pdm_verdict *out)
{
    (void)inst;
    (void)to;
    verdict(out, PDM_DENY, "enterprise devices change owner only by the "
            "enterprise or a factory reset");
    return PDM_OK;
}

/* Isolation: the root owner is the master of the tree; factory and local
 * nodes follow their ACLs; no other server touches another's.  The root
 * owner is the core's fact (host->root_owner, asked every time, never
 * copied): the owner entry gets it at its bootstrap, and a new owner
 * entry becomes master only when its bootstrap moves root.  No answer (an
 * older core, an error) or a stored list that cannot be read: nobody is
 * master. */
static int wl_override(void *inst, const char *actor, const char *owner,
                       const char *uri, pdm_verdict *out)
{
    wl *w = inst;
    char ro[MAX_SID + 1] = "";
    int rc;
    (void)uri;
    if ((rc = refresh(w)) != PDM_OK) {
        verdict(out, PDM_DENY, "the stored whitelist cannot be read (%s)",
                host->strerror(rc));
        return PDM_OK;
    }
    if (!PDM_HOST_HAS(host, root_owner) ||
        host->root_owner(w->pc, ro, sizeof ro) != PDM_OK)
        ro[0] = '\0';
    if (streq(owner, "factory") || streq(owner, "local"))
        verdict(out, PDM_ALLOW, "factory and local nodes follow their ACLs");
    else if (*ro && streq(actor, ro))
        verdict(out, PDM_ALLOW, "the enterprise owner (owns root)");
    else
        verdict(out, PDM_DENY, "only the root owner (%.60s) changes nodes "
                "of another authority (%.60s)", *ro ? ro : "nobody owns root",
                owner ? owner : "(none)");
    return PDM_OK;
}

/* The spec's root ACL until the enterprise server bootstraps. */
static int wl_defaults(void *inst, pdm_authority_defaults *out)
{
    const wl *w = inst;
    if (!out || out->struct_size < DEFAULTS_SIZE_1_3) {
        host->set_error(w->pc, PDM_EINVAL, "defaults struct too small");
        return PDM_EINVAL;
    }
    if (!(out->root_acl = host->strdup("Add=*&Get=*")))
        return PDM_ENOMEM;
    return PDM_OK;
}

static const pdm_authority_ops authority_ops = {
    {sizeof(pdm_authority_ops), PDM_KIND_AUTHORITY, wl_create, wl_destroy},
    wl_on_bootstrap,
    wl_takeover,
    wl_override,
    wl_defaults,
};

/* ---- MO: the owner edits the list over DM ---------------------------------------- */

/* The handler serves List at MO_BASE only (see MO_BASE). */
static int mo_uri_ok(wl *w, const char *uri)
{
    if (streq(uri, MO_BASE "/List"))
        return 1;
    host->set_error(w->pc, PDM_EFORBIDDEN, "%.200s: the whitelist is served "
                    "only at " MO_BASE " (the policy guards that subtree; "
                    "mo.whitelist.base cannot move it)", uri ? uri : "(null)");
    return 0;
}

/* List: the list in force, canonical lines "<ServerID> <pattern>
 * <pin>[ owner]". */
static int mo_get(void *inst, const char *uri, pdm_blob *out)
{
    wl *w = inst;
    size_t len = 0;
    char *text;
    int rc;
    if (!mo_uri_ok(w, uri))
        return PDM_EFORBIDDEN;
    if ((rc = refresh(w)) != PDM_OK) {
        host->set_error(w->pc, rc, "the stored whitelist cannot be read: %s",
                        host->strerror(rc));
        return rc;
    }
    if (!(text = serialize(&w->l, &len)))
        return PDM_ENOMEM;
    out->data = (uint8_t *)text;
    out->len = len;
    return PDM_OK;
}

/* Replace of List: the whole new list, in the file's syntax (comments
 * allowed, stored canonical).  Every entry is checked as at start-up, and
 * the list must keep an owner entry: without one nothing but a factory
 * reset could change it again.  Stored with the package (a rolled-back
 * package takes it back). */
static int mo_replace(void *inst, const char *uri, const pdm_blob *value)
{
    wl *w = inst;
    list l;
    char why[400], *text;
    size_t len = 0;
    int rc;
    if (!mo_uri_ok(w, uri))
        return PDM_EFORBIDDEN;
    if (!value || (value->len && !value->data)) {
        host->set_error(w->pc, PDM_EINVAL, "List: no value");
        return PDM_EINVAL;
    }
    if (value->len > MAX_FILE) {
        host->set_error(w->pc, PDM_ETOOBIG, "List: larger than %d bytes",
                        MAX_FILE);
        return PDM_ETOOBIG;
    }
    memset(&l, 0, sizeof l);
    rc = add_lines(&l, (const char *)value->data, value->len, "List", why,
                   sizeof why);
    if (rc == PDM_OK && l.n == 0) {
        snprintf(why, sizeof why, "List: no entry");
        rc = PDM_EINVAL;
    }
    if (rc == PDM_OK && !owner_of(&l)) {
        snprintf(why, sizeof why, "List: no owner entry (nothing but a "
                 "factory reset could change the list again)");
        rc = PDM_EINVAL;
    }
    if (rc != PDM_OK) {
        list_free(&l);
        host->set_error(w->pc, rc, "%s", why);
        return rc;
    }
    if (!(text = serialize(&l, &len))) {
        list_free(&l);
        return PDM_ENOMEM;
    }
    if ((rc = host->kv_put(w->pc, KV_LIST, text, len)) != PDM_OK) {
        list_free(&l);
        host->free(text);
        host->set_error(w->pc, rc, "cannot store the whitelist: %s",
                        host->strerror(rc));
        return rc;
    }
    host->log(w->pc, PDM_LOG_INFO, "whitelist replaced over DM (%zu "
              "entries, owner %s)", l.n, owner_of(&l)->sid);
    list_free(&w->l);
    host->free(w->text);
    w->l = l;
    w->text = text;
    w->text_len = len;
    return PDM_OK;
}

/* The core brackets every server package and every Atomic with
 * begin/commit/rollback.  The key/value store does not follow an Atomic's
 * savepoint (and today writes at once, not with the package): a Replace
 * of List in a package or Atomic that fails is undone here, by putting
 * back the stored text of its begin(). */
static void released_drop(wl *w)
{
    host->free(w->released.text);
    memset(&w->released, 0, sizeof w->released);
    w->has_released = 0;
}

static int mo_begin(void *inst)
{
    wl *w = inst;
    pdm_blob b = {NULL, 0};
    int rc;
    released_drop(w);
    if (w->depth == MAX_SAVEPOINTS) {
        w->overflow++;
        host->log(w->pc, PDM_LOG_ERROR, "more than %d nested packages and "
                  "Atomics: a rollback there cannot restore the whitelist",
                  MAX_SAVEPOINTS);
        return PDM_ENOSPC;
    }
    rc = host->kv_get(w->pc, KV_LIST, &b);
    if (rc != PDM_OK) {
        host->free(b.data);
        memset(&b, 0, sizeof b);
        if (rc != PDM_ENOTFOUND && rc != PDM_ENOTSUP) {
            w->overflow++; /* no snapshot: keep commit/rollback paired */
            return rc;
        }
    }
    w->sp[w->depth].text = (char *)b.data;
    w->sp[w->depth].len = b.len;
    w->depth++;
    return PDM_OK;
}

static int mo_commit(void *inst)
{
    wl *w = inst;
    released_drop(w);
    if (w->overflow) {
        w->overflow--;
        return PDM_OK;
    }
    if (w->depth) {
        /* kept a moment: the core may still roll back what it just
         * committed (a failed store commit, another handler's refusal) */
        w->released = w->sp[--w->depth];
        w->has_released = 1;
    }
    return PDM_OK;
}

/* Puts @s back into the store if it differs, then re-reads the list. */
static void restore(wl *w, const snap *s)
{
    pdm_blob b = {NULL, 0};
    if (s->text && (host->kv_get(w->pc, KV_LIST, &b) != PDM_OK ||
                    b.len != s->len || memcmp(b.data, s->text, s->len))) {
        int rc = host->kv_put(w->pc, KV_LIST, s->text, s->len);
        if (rc != PDM_OK)
            host->log(w->pc, PDM_LOG_ERROR, "cannot restore the whitelist "
                      "after a rollback: %s", host->strerror(rc));
        else
            host->log(w->pc, PDM_LOG_INFO, "whitelist change rolled back");
    }
    host->free(b.data);
    refresh(w);
}

static void mo_rollback(void *inst)
{
    wl *w = inst;
    snap s = {NULL, 0};
    if (w->has_released) {
        /* a rollback of what commit() just released */
        s = w->released;
        memset(&w->released, 0, sizeof w->released);
        w->has_released = 0;
    } else if (w->overflow) {
        w->overflow--;
        host->log(w->pc, PDM_LOG_ERROR, "a rollback without a saved "
                  "whitelist: the stored one stays");
    } else if (w->depth) {
        s = w->sp[--w->depth];
    }
    restore(w, &s);
    host->free(s.text);
}

static const pdm_mo_node mo_nodes[] = {
    {"", PDM_FORMAT_NODE, PDM_MO_PERMANENT, NULL, NULL, NULL, {NULL, NULL}},
    {"List", PDM_FORMAT_CHR, PDM_MO_PERMANENT | PDM_MO_HANDLER_VALUE,
     "text/plain", NULL, NULL, {NULL, NULL}},
    {NULL, 0, 0, NULL, NULL, NULL, {NULL, NULL}},
};

static const pdm_mo_ops mo_ops = {
    {sizeof(pdm_mo_ops), PDM_KIND_MO, wl_create, wl_destroy},
    MO_BASE,
    "urn:polydm:mo:whitelist:1.0",
    mo_nodes,
    mo_get,
    mo_replace,
    NULL, /* exec */
    NULL, /* notify */
    mo_begin,
    mo_commit,
    mo_rollback,
};

/* ---- descriptor ---------------------------------------------------------------- */

static const pdm_component components[] = {
    {PDM_KIND_POLICY, 0, "policy", &policy_ops.head, {NULL, NULL}},
    {PDM_KIND_AUTHORITY, 0, "authority", &authority_ops.head, {NULL, NULL}},
    {PDM_KIND_MO, 0, "whitelist", &mo_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

#define ENTRY_OPT(n) \
    {"entry." #n, "another whitelist entry (as entry.1)", NULL, 0, 0, {NULL, NULL}}

static const pdm_option_desc options[] = {
    {"entry.1", "whitelist entry: <ServerID> <https-address-pattern> "
                "<sha256//pin>[;<pin>...] [owner]; read only while the "
                "store holds no list (first start, factory reset)",
     NULL, 0, 0, {NULL, NULL}},
    ENTRY_OPT(2),  ENTRY_OPT(3),  ENTRY_OPT(4),
    ENTRY_OPT(5),  ENTRY_OPT(6),  ENTRY_OPT(7),  ENTRY_OPT(8),
    ENTRY_OPT(9),  ENTRY_OPT(10), ENTRY_OPT(11), ENTRY_OPT(12),
    ENTRY_OPT(13), ENTRY_OPT(14), ENTRY_OPT(15), ENTRY_OPT(16),
    {"file", "file of whitelist entries, one a line, '#' comments (read "
             "like entry.N)", NULL, 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "enterprise-whitelist",
    "1.0",
    "enterprise whitelist: only listed, pinned servers bootstrap and run "
    "sessions; the listed enterprise server owns root",
    components,
    options,
    wl_init,
    wl_fini,
};

PDM_PLUGIN_DEFINE(enterprise_whitelist, desc)
