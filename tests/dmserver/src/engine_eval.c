/*
 * The scenario's expectations against what the client sent: statuses
 * (codes, items, chunk statuses), results (value, format, children),
 * alerts and generic alerts, DevInfo, and the protocol rules every
 * package must follow (a status for each command sent, none for
 * Results).  Each check counts; each miss is a failure with file:line.
 */
#define _GNU_SOURCE /* memmem */
#include "engine_int.h"

#include "dmsauth.h"

/* ---- evaluation ------------------------------------------------------------- */

static rt_cmd *find_rt(rt_cmd *c, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        rt_cmd *k;
        if (c[i].sc && c[i].sc->label && strcmp(c[i].sc->label, label) == 0)
            return &c[i];
        k = find_rt(c[i].kids, c[i].nkids, label);
        if (k)
            return k;
    }
    return NULL;
}

static bool rec_of(const sent_rec *r, const rt_cmd *c, bool last_only)
{
    if (r->cmd != c)
        return false;
    return !last_only || r->chunk < 0 || r->last;
}

static bool status_is_for(const sess *s, const rx_status *st, const rt_cmd *c,
                          bool last_only)
{
    for (size_t i = 0; i < s->nsent; i++)
        if (rec_of(&s->sent[i], c, last_only) && s->sent[i].msgid == st->msgref &&
            s->sent[i].cmdid == st->cmdref)
            return true;
    return false;
}

static const char *describe(pdm__arena *a, const rt_cmd *c)
{
    char buf[700];
    const char *t = c->nitems ? c->items[0].target : NULL;
    if (c->kind == SC_ALERT)
        snprintf(buf, sizeof buf, "Alert %s '%s'", c->alert_code,
                 c->sc->label);
    else if (t)
        snprintf(buf, sizeof buf, "%s '%s' (%s%s)", sc_cmd_name(c->kind),
                 c->sc->label, t, c->nitems > 1 ? ", ..." : "");
    else
        snprintf(buf, sizeof buf, "%s '%s'", sc_cmd_name(c->kind),
                 c->sc->label);
    return adup(a, buf);
}

static const char *codes_got(pdm__arena *a, rx_status **v, size_t n)
{
    char buf[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof buf - 8; i++) {
        int w = snprintf(buf + off, sizeof buf - off, "%s%d", i ? ", " : "",
                         v[i]->code);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return adup(a, buf);
}

static size_t statuses_of(sess *s, const rt_cmd *c, bool last_only,
                          rx_status **out, size_t max)
{
    size_t n = 0;
    for (rx_status *st = s->st; st; st = st->next)
        if (st->cmdref > 0 && status_is_for(s, st, c, last_only) && n < max)
            out[n++] = st;
    return n;
}

/* Compares multisets of strings. */
static bool same_items(char **want, size_t nw, char **got, size_t ng)
{
    bool used[64] = {false};
    if (nw != ng || ng > 64)
        return false;
    for (size_t i = 0; i < nw; i++) {
        size_t k;
        for (k = 0; k < ng; k++)
            if (!used[k] && strcmp(want[i], got[k]) == 0) {
                used[k] = true;
                break;
            }
        if (k == ng)
            return false;
    }
    return true;
}

static const char *join(pdm__arena *a, char **v, size_t n)
{
    pdm__buf b;
    char *r;
    pdm__buf_init(&b);
    pdm__buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        pdm__buf_printf(&b, "%s\"%s\"", i ? ", " : "", v[i]);
    pdm__buf_putc(&b, ']');
    r = adupn(a, b.data, b.len);
    pdm__buf_free(&b);
    return r;
}

static void check_status_ex(dms_engine *e, sess *s, const sc_expect *x)
{
    pdm__arena *a = &e->ra;
    rx_status *v[256];
    size_t n = 0;
    char want[128];
    const char *what;
    const char *target = expand(e, a, x->opt[EK_TARGET], x->line);

    sc_codes_str(&x->codes, want, sizeof want);
    if (strcmp(x->label, "hdr") == 0) {
        for (rx_status *st = s->st; st; st = st->next)
            if (st->cmdref == 0 && n < 256)
                v[n++] = st;
        what = "Status for the server's SyncHdr";
    } else {
        rt_cmd *c = find_rt(s->cmds, s->ncmds, x->label);
        if (!c) {
            failf(e, x->line, "internal: label %s not sent", x->label);
            return;
        }
        n = statuses_of(s, c, true, v, 256);
        if (target) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                bool match = false;
                if (v[i]->targetref) {
                    match = strcmp(v[i]->targetref, target) == 0;
                } else {
                    /* one Status for the whole command covers each item */
                    for (size_t j = 0; j < c->nitems; j++)
                        if (c->items[j].target &&
                            strcmp(c->items[j].target, target) == 0)
                            match = true;
                }
                if (match)
                    v[k++] = v[i];
            }
            n = k;
        }
        what = describe(a, c);
    }
    if (n == 0) {
        failf(e, x->line, "%s%s%s: expected status %s, got no Status", what,
              target ? " for target " : "", target ? target : "", want);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sc_codes_match(&x->codes, v[i]->code)) {
            failf(e, x->line, "%s%s%s: expected status %s, got %s", what,
                  target ? " for target " : "", target ? target : "", want,
                  codes_got(a, v, n));
            return;
        }
    }
    if (x->opt[EK_CHAL]) {
        int t = sc_auth_from_meta_type(
            x->opt[EK_CHAL][0] == 's' ? x->opt[EK_CHAL]
                                      : (strcmp(x->opt[EK_CHAL], "md5") == 0
                                             ? "syncml:auth-md5"
                                         : strcmp(x->opt[EK_CHAL], "hmac") == 0
                                             ? "syncml:auth-MAC"
                                             : "syncml:auth-basic"));
        bool found = false;
        for (size_t i = 0; i < n; i++)
            if (v[i]->chal_type == t)
                found = true;
        if (!found) {
            failf(e, x->line, "%s: expected a Chal of type %s", what,
                  x->opt[EK_CHAL]);
            return;
        }
    }
    if (x->nitems) {
        char **want_items = azalloc(a, x->nitems * sizeof(char *));
        for (size_t i = 0; i < x->nitems; i++)
            want_items[i] = expand(e, a, x->items[i], x->line);
        /* items of all statuses together */
        {
            char *got[64];
            size_t ng = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < v[i]->nitems && ng < 64; k++)
                    got[ng++] = v[i]->items[k];
            if (!same_items(want_items, x->nitems, got, ng))
                failf(e, x->line, "%s: expected status items %s, got %s", what,
                      join(a, want_items, x->nitems), join(a, got, ng));
        }
    }
}

static bool bytes_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* The value bytes of an item: base64-decoded when its Format is b64. */
static void item_value(pdm__arena *a, const rx_item *ri, const uint8_t **p,
                       size_t *n)
{
    *p = ri->data;
    *n = ri->len;
    if (ri->format && strcmp(ri->format, "b64") == 0 && ri->data) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (dms_b64_decode((const char *)ri->data, ri->len, &b, &bl) == 0) {
            *p = (uint8_t *)adupn(a, b, bl);
            *n = bl;
        }
        pdm__free(b);
    }
}

static bool children_match(pdm__arena *a, const char *want, const uint8_t *got,
                           size_t gl, bool exact, const char **missing)
{
    /* split both at '/', compare as sets */
    char *g = adupn(a, got, gl), *w = adup(a, want);
    char *gv[512], *wv[512];
    size_t ng = 0, nw = 0;
    char *sv = NULL;
    for (char *t = strtok_r(g, "/", &sv); t && ng < 512;
         t = strtok_r(NULL, "/", &sv))
        gv[ng++] = t;
    for (char *t = strtok_r(w, "/", &sv); t && nw < 512;
         t = strtok_r(NULL, "/", &sv))
        wv[nw++] = t;
    *missing = NULL;
    for (size_t i = 0; i < nw; i++) {
        size_t k;
        for (k = 0; k < ng; k++)
            if (strcmp(wv[i], gv[k]) == 0)
                break;
        if (k == ng) {
            *missing = wv[i];
            return false;
        }
    }
    if (exact && ng != nw)
        return false;
    return true;
}

static void check_results_ex(dms_engine *e, sess *s, const sc_expect *x,
                             bool want_none)
{
    pdm__arena *a = &e->ra;
    rt_cmd *c = find_rt(s->cmds, s->ncmds, x->label);
    const rx_item *hit = NULL;
    size_t nitems = 0;
    const char *what;
    const char *src;
    if (!c)
        return;
    what = describe(a, c);
    src = x->opt[EK_SOURCE] ? expand(e, a, x->opt[EK_SOURCE], x->line)
                            : (c->nitems ? c->items[0].target : NULL);
    for (rx_cmd *r = s->res; r; r = r->next) {
        bool mine = false;
        for (size_t i = 0; i < s->nsent; i++)
            if (s->sent[i].cmd == c && s->sent[i].msgid == r->msgref &&
                s->sent[i].cmdid == r->cmdref)
                mine = true;
        if (!mine)
            continue;
        for (size_t i = 0; i < r->nitems; i++) {
            nitems++;
            if (!hit && src && r->items[i].source &&
                strcmp(r->items[i].source, src) == 0)
                hit = &r->items[i];
            if (!hit && !x->opt[EK_SOURCE] && r->nitems == 1 && c->nitems == 1)
                hit = &r->items[i]; /* the only item */
        }
    }
    if (want_none) {
        if (nitems)
            failf(e, x->line, "%s: expected no Results, got %zu item%s", what,
                  nitems, nitems == 1 ? "" : "s");
        return;
    }
    if (!hit) {
        failf(e, x->line, "%s: expected Results%s%s, got %s", what,
              src ? " for " : "", src ? src : "",
              nitems ? "Results for other sources" : "no Results");
        return;
    }
    {
        const char *fmt = hit->format ? hit->format : "chr";
        const char *typ = hit->type ? hit->type : "text/plain";
        const uint8_t *val;
        size_t vl;
        item_value(a, hit, &val, &vl);
        if (x->opt[EK_FORMAT]) {
            const char *w = expand(e, a, x->opt[EK_FORMAT], x->line);
            if (strcmp(w, fmt) != 0)
                failf(e, x->line, "%s: Results Format: expected %s, got %s%s",
                      what, w, fmt, hit->format ? "" : " (default)");
        }
        if (x->opt[EK_TYPE]) {
            const char *w = expand(e, a, x->opt[EK_TYPE], x->line);
            if (strcmp(w, typ) != 0)
                failf(e, x->line, "%s: Results Type: expected %s, got %s%s",
                      what, w, typ, hit->type ? "" : " (default)");
        }
        if (x->opt[EK_VALUE]) {
            uint8_t *w;
            size_t wl;
            if (eval_data(e, a, x->opt[EK_VALUE], x->line, &w, &wl) &&
                !bytes_eq(w, wl, val, vl))
                failf(e, x->line, "%s: Results value: expected %s, got %s",
                      what, show(a, w, wl), show(a, val, vl));
        }
        if (x->opt[EK_DATA]) {
            bool want = strcmp(x->opt[EK_DATA], "present") == 0;
            bool has = hit->has_data && hit->len > 0;
            if (want != has)
                failf(e, x->line, "%s: Results item %s: expected %s, got %s",
                      what, hit->source ? hit->source : "", want
                                                                ? "data"
                                                                : "no data",
                      has ? show(a, hit->data, hit->len) : "no data");
        }
        if (x->opt[EK_SIZE]) {
            /* validated 0..0x7fffffff by the scenario parser */
            long w = strtol(x->opt[EK_SIZE], NULL, 10);
            if ((size_t)w != vl)
                failf(e, x->line, "%s: Results size: expected %ld bytes, got "
                      "%zu", what, w, vl);
        }
        if (x->opt[EK_CHILDREN] || x->opt[EK_CHILDREN_INCL]) {
            bool exact = x->opt[EK_CHILDREN] != NULL;
            const char *w = expand(e, a, exact ? x->opt[EK_CHILDREN]
                                               : x->opt[EK_CHILDREN_INCL],
                                   x->line);
            const char *missing;
            if (strcmp(fmt, "node") != 0)
                failf(e, x->line, "%s: expected a child list (Format node), "
                      "got Format %s", what, fmt);
            else if (!children_match(a, w, val, vl, exact, &missing))
                failf(e, x->line, "%s: children: expected %s%s, got %s%s%s",
                      what, exact ? "exactly " : "at least ", shows(a, w),
                      show(a, val, vl), missing ? "; missing " : "",
                      missing ? missing : "");
        }
        if (x->opt[EK_CONTAINS]) {
            const char *w = expand(e, a, x->opt[EK_CONTAINS], x->line);
            if (!memmem(val, vl, w, strlen(w)))
                failf(e, x->line, "%s: Results value should contain %s, got "
                      "%s", what, shows(a, w), show(a, val, vl));
        }
        if (x->opt[EK_NOT_CONTAINS]) {
            const char *w = expand(e, a, x->opt[EK_NOT_CONTAINS], x->line);
            if (memmem(val, vl, w, strlen(w)))
                failf(e, x->line, "%s: Results value should not contain %s, "
                      "got %s", what, shows(a, w), show(a, val, vl));
        }
        if (x->opt[EK_CAPTURE]) {
            char *t = adupn(a, val, vl);
            var_set(e, x->opt[EK_CAPTURE], t);
        }
    }
}

static bool alert_item_matches(dms_engine *e, pdm__arena *a,
                               const sc_expect *x, const rx_cmd *al,
                               const rx_item *it)
{
    const uint8_t *val;
    size_t vl;
    item_value(a, it, &val, &vl);
    if (x->opt[EK_TYPE] &&
        (!it->type || strcmp(expand(e, a, x->opt[EK_TYPE], x->line), it->type)))
        return false;
    if (x->opt[EK_FORMAT] &&
        strcmp(expand(e, a, x->opt[EK_FORMAT], x->line),
               it->format ? it->format : "chr"))
        return false;
    if (x->opt[EK_SOURCE] &&
        (!it->source ||
         strcmp(expand(e, a, x->opt[EK_SOURCE], x->line), it->source)))
        return false;
    if (x->opt[EK_MARK] &&
        strcmp(expand(e, a, x->opt[EK_MARK], x->line),
               it->mark ? it->mark : "informational"))
        return false;
    if (x->opt[EK_CORRELATOR] &&
        (!al->correlator ||
         strcmp(expand(e, a, x->opt[EK_CORRELATOR], x->line), al->correlator)))
        return false;
    if (x->opt[EK_DATA]) {
        uint8_t *w;
        size_t wl;
        if (!eval_data(e, a, x->opt[EK_DATA], x->line, &w, &wl) ||
            !bytes_eq(w, wl, val, vl))
            return false;
    }
    if (x->opt[EK_CONTAINS]) {
        const char *w = expand(e, a, x->opt[EK_CONTAINS], x->line);
        if (!memmem(val, vl, w, strlen(w)))
            return false;
    }
    return true;
}

static void check_generic(dms_engine *e, sess *s, const sc_expect *x)
{
    pdm__arena *a = &e->ra;
    pdm__buf got;
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code != 1226 || al->used)
            continue;
        for (size_t i = 0; i < al->nitems; i++) {
            if (alert_item_matches(e, a, x, al, &al->items[i])) {
                al->used = true;
                if (x->opt[EK_CAPTURE]) {
                    const uint8_t *v;
                    size_t vl;
                    item_value(a, &al->items[i], &v, &vl);
                    var_set(e, x->opt[EK_CAPTURE], adupn(a, v, vl));
                }
                return;
            }
        }
    }
    pdm__buf_init(&got);
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code != 1226)
            continue;
        for (size_t i = 0; i < al->nitems; i++) {
            const rx_item *it = &al->items[i];
            pdm__buf_printf(&got, "%s{type=%s format=%s source=%s mark=%s "
                            "correlator=%s data=%s}",
                            got.len ? ", " : "", it->type ? it->type : "-",
                            it->format ? it->format : "-",
                            it->source ? it->source : "-",
                            it->mark ? it->mark : "-",
                            al->correlator ? al->correlator : "-",
                            show(a, it->data, it->len));
        }
    }
    failf(e, x->line, "expected a Generic Alert (1226)%s%s%s%s%s%s%s%s, got %s",
          x->opt[EK_TYPE] ? " type=" : "", x->opt[EK_TYPE] ? x->opt[EK_TYPE] : "",
          x->opt[EK_SOURCE] ? " source=" : "",
          x->opt[EK_SOURCE] ? x->opt[EK_SOURCE] : "",
          x->opt[EK_DATA] ? " data=" : "", x->opt[EK_DATA] ? x->opt[EK_DATA] : "",
          x->opt[EK_CORRELATOR] ? " correlator=" : "",
          x->opt[EK_CORRELATOR] ? x->opt[EK_CORRELATOR] : "",
          got.len ? (char *)got.data : "none");
    pdm__buf_free(&got);
}

static void check_alert(dms_engine *e, sess *s, const sc_expect *x, bool none)
{
    pdm__arena *a = &e->ra;
    size_t found = 0;
    for (rx_cmd *al = s->al; al; al = al->next) {
        bool ok = true;
        if (al->code != x->alert_code)
            continue;
        if (!none && x->opt[EK_DATA]) {
            uint8_t *w;
            size_t wl;
            ok = false;
            if (eval_data(e, a, x->opt[EK_DATA], x->line, &w, &wl))
                for (size_t i = 0; i < al->nitems; i++)
                    if (bytes_eq(w, wl, al->items[i].data, al->items[i].len))
                        ok = true;
        }
        if (ok && !none && x->nitems) {
            char *got[64];
            char **want = azalloc(a, x->nitems * sizeof(char *));
            size_t ng = 0;
            for (size_t i = 0; i < al->nitems && ng < 64; i++)
                got[ng++] = adupn(a, al->items[i].data, al->items[i].len);
            for (size_t i = 0; i < x->nitems; i++)
                want[i] = expand(e, a, x->items[i], x->line);
            ok = same_items(want, x->nitems, got, ng);
        }
        if (ok)
            found++;
    }
    if (none && found)
        failf(e, x->line, "expected no Alert %d, got %zu", x->alert_code,
              found);
    else if (!none && !found)
        failf(e, x->line, "expected Alert %d%s%s from the client, got none",
              x->alert_code, x->opt[EK_DATA] ? " with data " : "",
              x->opt[EK_DATA] ? x->opt[EK_DATA] : "");
}

static const rx_item *devinfo_item(const sess *s, const char *name)
{
    char uri[256];
    snprintf(uri, sizeof uri, "./DevInfo/%s", name);
    for (const rx_cmd *r = s->repl; r; r = r->next)
        for (size_t i = 0; i < r->nitems; i++) {
            const char *src = r->items[i].source;
            if (src && (strcmp(src, uri) == 0 || strcmp(src, uri + 2) == 0))
                return &r->items[i];
        }
    return NULL;
}

static void check_common(dms_engine *e, sess *s, const sc_expect *ex,
                         size_t nex)
{
    for (size_t i = 0; i < nex; i++) {
        const sc_expect *x = &ex[i];
        size_t before = e->nfails;
        switch (x->kind) {
        case EX_STATUS:
            check_status_ex(e, s, x);
            break;
        case EX_RESULTS:
            check_results_ex(e, s, x, false);
            break;
        case EX_NO_RESULTS:
            check_results_ex(e, s, x, true);
            break;
        case EX_ALERT:
            check_alert(e, s, x, false);
            break;
        case EX_NO_ALERT:
            check_alert(e, s, x, true);
            break;
        case EX_GENERIC:
            check_generic(e, s, x);
            break;
        case EX_ABORT:
            if (!s->abort_seen)
                failf(e, x->line, "expected the client to abort (Alert "
                      "1223), but it did not");
            break;
        case EX_DEVINFO: {
            const rx_item *it = devinfo_item(s, x->label);
            const char *w = expand(e, &e->ra, x->value, x->line);
            if (!it)
                failf(e, x->line, "package 1 has no DevInfo/%s", x->label);
            else if (!bytes_eq((const uint8_t *)w, strlen(w), it->data,
                               it->len))
                failf(e, x->line, "DevInfo/%s: expected %s, got %s", x->label,
                      shows(&e->ra, w), show(&e->ra, it->data, it->len));
            break;
        }
        case EX_SESSION_ID: {
            const char *w = expand(e, &e->ra, x->label, x->line);
            if (strcmp(w, s->sid) != 0)
                failf(e, x->line, "SessionID: expected %s, got %s", w, s->sid);
            break;
        }
        default:
            continue; /* refused: counted by eval_step */
        }
        (void)before;
        e->nchecks++;
    }
}

static bool expects(const sc_expect *ex, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++)
        if (ex[i].kind == kind)
            return true;
    return false;
}

void eval_pkg1(dms_engine *e, sess *s)
{
    const sc_session *se = s->sc;
    size_t n1200 = 0, n1201 = 0;
    static const char *const dev[] = {"DevId", "Man", "Mod", "DmV", "Lang"};
    set_where(e, s);
    for (rx_cmd *al = s->al; al; al = al->next) {
        if (al->code == 1200)
            n1200++;
        if (al->code == 1201)
            n1201++;
    }
    e->nchecks++;
    if (s->notified) {
        char sid[5];
        dms_sid_hex(s->pkg0_sid, sid);
        if (n1200 != 1)
            failf(e, se->pkg1_line, "a session started by package 0 must "
                  "begin with Alert 1200, got %zu Alert 1200 and %zu Alert "
                  "1201", n1200, n1201);
        if (strcmp(sid, s->sid) != 0)
            failf(e, se->pkg1_line, "SessionID: package 0 carried session "
                  "%s, the client sent %s", sid, s->sid);
    } else if (s->bootstrapped && (n1201 != 1 || n1200)) {
        failf(e, se->pkg1_line, "the first session of a bootstrapped account "
              "is client-initiated: package 1 must carry one Alert 1201, got "
              "%zu Alert 1200 and %zu Alert 1201", n1200, n1201);
    } else if (n1200 + n1201 != 1) {
        failf(e, se->pkg1_line, "package 1 must carry one Alert 1201 (or "
              "1200), got %zu Alert 1200 and %zu Alert 1201", n1200, n1201);
    }
    e->nchecks++;
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
        if (!devinfo_item(s, dev[i]))
            failf(e, se->pkg1_line, "package 1 lacks DevInfo/%s in its "
                  "Replace (DevInfo MUST be in the first message)", dev[i]);
    if (e->sc->devid) {
        e->nchecks++;
        if (strcmp(e->sc->devid, s->devid) != 0)
            failf(e, se->pkg1_line, "client Source/LocURI: expected %s, got %s",
                  e->sc->devid, s->devid);
    }
    check_common(e, s, se->pkg1, se->npkg1);
    if (s->abort_seen)
        failf(e, se->pkg1_line, "the client aborted the session (Alert 1223) "
              "in package 1");
}

static void check_sent(dms_engine *e, sess *s, rt_cmd *c, bool lenient)
{
    rx_status *v[256];
    size_t n;
    const char *what = describe(&e->ra, c);
    for (size_t k = 0; k < c->nkids; k++)
        check_sent(e, s, &c->kids[k], lenient);
    /* per chunk: 213 for all but the last */
    if (c->chunked) {
        for (size_t i = 0; i < s->nsent; i++) {
            const sent_rec *r = &s->sent[i];
            bool got = false;
            if (r->cmd != c || r->last)
                continue;
            for (rx_status *st = s->st; st; st = st->next)
                if (st->msgref == r->msgid && st->cmdref == r->cmdid) {
                    got = true;
                    if (st->code != 213)
                        failf(e, c->sc->line, "%s chunk %d: expected status "
                              "213 (chunk accepted), got %d", what,
                              r->chunk + 1, st->code);
                }
            if (!got && !lenient)
                failf(e, c->sc->line, "%s chunk %d: expected status 213, got "
                      "no Status", what, r->chunk + 1);
        }
    }
    n = statuses_of(s, c, true, v, 256);
    e->nchecks++;
    if (n == 0) {
        if (!lenient)
            failf(e, c->sc->line, "%s: no Status from the client (every "
                  "command MUST get one)", what);
        return;
    }
    if (c->kind == SC_GET) {
        bool ok200 = false, results = false;
        for (size_t i = 0; i < n; i++)
            if (v[i]->code == 200)
                ok200 = true;
        for (rx_cmd *r = s->res; r; r = r->next)
            for (size_t i = 0; i < s->nsent; i++)
                if (s->sent[i].cmd == c && s->sent[i].msgid == r->msgref &&
                    s->sent[i].cmdid == r->cmdref)
                    results = true;
        if (ok200 && !results)
            failf(e, c->sc->line, "%s: status 200 but no Results", what);
        if (!ok200 && results)
            failf(e, c->sc->line, "%s: Results although the status is %d",
                  what, v[0]->code);
    }
}

void eval_step(dms_engine *e, sess *s, bool silent)
{
    const sc_step *st = &s->sc->steps[s->step];
    bool refused_ok = false, lenient;
    bool want_refused = expects(st->ex, st->nex, EX_REFUSED);
    bool want_abort = expects(st->ex, st->nex, EX_ABORT);
    bool hdr_ex = false;
    set_where(e, s);

    for (size_t i = 0; i < st->nex; i++)
        if (st->ex[i].kind == EX_STATUS && strcmp(st->ex[i].label, "hdr") == 0)
            hdr_ex = true;

    if (want_refused) {
        bool executed = false;
        for (rx_status *x = s->st; x; x = x->next)
            if (x->cmdref > 0 && x->code >= 200 && x->code < 300)
                executed = true;
        if (silent || s->abort_seen ||
            ((s->hdr_refusal == 401 || s->hdr_refusal == 407) && !executed))
            refused_ok = true;
        e->nchecks++;
        if (!refused_ok)
            failf(e, st->reply_line, "expected the client to refuse the "
                  "server (SyncHdr status 401/407, no command executed, or "
                  "no answer), but it %s",
                  executed ? "executed commands" : "accepted the server");
    }
    lenient = silent || s->abort_seen || refused_ok;
    if (silent && !want_refused)
        failf(e, st->reply_line, "the client did not answer package %d",
              s->pkgno - 1);

    /* every server message of this exchange got a SyncHdr status */
    if (!lenient) {
        for (size_t i = 0; i < s->nsmsgs; i++) {
            bool got = false;
            for (rx_status *x = s->st; x; x = x->next)
                if (x->cmdref == 0 && x->msgref == s->smsgs[i]) {
                    got = true;
                    if (!hdr_ex && x->code != 200 && x->code != 212)
                        failf(e, st->reply_line, "Status for the server's "
                              "SyncHdr (message %d): expected 200 or 212, "
                              "got %d", s->smsgs[i], x->code);
                }
            e->nchecks++;
            if (!got)
                failf(e, st->reply_line, "no Status for the SyncHdr of the "
                      "server's message %d", s->smsgs[i]);
        }
        /* our Alert 1222 must be statused too */
        for (size_t i = 0; i < s->nsent; i++) {
            bool got = false;
            if (s->sent[i].cmd)
                continue;
            for (rx_status *x = s->st; x; x = x->next)
                if (x->msgref == s->sent[i].msgid &&
                    x->cmdref == s->sent[i].cmdid)
                    got = true;
            if (!got)
                failf(e, st->reply_line, "no Status for the server's Alert "
                      "1222 (message %d, CmdID %d)", s->sent[i].msgid,
                      s->sent[i].cmdid);
        }
    }
    for (size_t i = 0; i < s->ncmds; i++)
        if (s->cmds[i].kind != SC_BREAK)
            check_sent(e, s, &s->cmds[i], lenient);
    check_common(e, s, st->ex, st->nex);
    if (s->abort_seen && !want_abort)
        failf(e, st->reply_line, "the client aborted the session (Alert "
              "1223)");
}
