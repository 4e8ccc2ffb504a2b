/*
 * hello-policy: a policy plugin (the plugin guide's worked example, and
 * examples/hello-plugin).  Component "window": DM servers may Replace,
 * Exec or Delete under a protected subtree only inside a daily maintenance
 * window (UTC); outside it those commands are DENIED with a reason.  A
 * Delete of an ancestor (which would delete the subtree too) counts.
 * Everything else is ABSTAINED: a policy only restricts what the ACLs
 * already allow, so it never needs ALLOW.
 *
 *   [plugin hello-policy]
 *   option.protect = ./Vendor/Hello   # required
 *   option.window = 02:00-04:00       # optional; without it: never
 */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <polydm/plugin.h>
#include <polydm/policy.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct hello_data {
    const pdm_host_api *host; /* one static table: safe to keep (rule 9) */
    char *shown;              /* option.protect, our copy (rule 1) */
    const char *path;         /* inside it: without "./" and a final '/' */
    size_t len;
    int from, to;             /* the window in minutes; from == to: none */
} hello_data;

/* Policies get "./A/B" (root "."); the option may say "A/B/". */
static const char *path_of(const char *uri, size_t *len)
{
    if (uri[0] == '.' && (uri[1] == '/' || uri[1] == '\0'))
        uri += uri[1] == '/' ? 2 : 1;
    *len = strlen(uri);
    while (*len > 0 && uri[*len - 1] == '/')
        (*len)--;
    return uri;
}

/* @a (@an bytes) is @b (@bn bytes) or below it; all is below the root. */
static int within(const char *a, size_t an, const char *b, size_t bn)
{
    return bn == 0 || (an >= bn && memcmp(a, b, bn) == 0 &&
                       (an == bn || a[bn] == '/'));
}

/* "HH:MM-HH:MM" (an end may be 24:00) into minutes; -1 if malformed. */
static int parse_window(const char *s, int *from, int *to)
{
    unsigned h1, m1, h2, m2;
    char extra;
    if (sscanf(s, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &extra) != 4 ||
        h1 > 23 || m1 > 59 || m2 > 59 || h2 * 60 + m2 > 24 * 60)
        return -1;
    *from = (int)(h1 * 60 + m1);
    *to = (int)(h2 * 60 + m2);
    return 0;
}

static int hello_init(pdm_plugin_ctx *pc, const pdm_host_api *host,
                      void **plugin_data)
{
    const char *protect = host->get_option(pc, "protect");
    const char *window = host->get_option(pc, "window");
    hello_data *d;
    int from = 0, to = 0;
    size_t n = 0;

    if (protect != NULL)
        path_of(protect, &n);
    if (protect == NULL || (n == 0 && strcmp(protect, ".") != 0)) {
        host->set_error(pc, PDM_EINVAL, "option.protect is required: the "
                        "URI prefix to protect, e.g. ./Vendor/Hello");
        return PDM_EINVAL;
    }
    if (window != NULL && parse_window(window, &from, &to) != 0) {
        host->set_error(pc, PDM_EINVAL, "option.window is not HH:MM-HH:MM "
                        "(UTC): '%.40s'", window);
        return PDM_EINVAL;
    }
    d = host->alloc(sizeof(*d));
    if (d == NULL || (d->shown = host->strdup(protect)) == NULL) {
        host->free(d); /* rule 3: nothing left behind on failure */
        host->set_error(pc, PDM_ENOMEM, "out of memory");
        return PDM_ENOMEM;
    }
    d->host = host;
    d->path = path_of(d->shown, &d->len);
    d->from = from;
    d->to = to;
    *plugin_data = d;
    return PDM_OK;
}

static void hello_fini(pdm_plugin_ctx *pc, void *plugin_data)
{
    hello_data *d = plugin_data;
    (void)pc;
    d->host->free(d->shown);
    d->host->free(d);
}

/* Stateless instances: each one is the plugin-wide configuration. */
static int hello_create(pdm_plugin_ctx *pc, void *plugin_data, void **inst)
{
    (void)pc;
    *inst = plugin_data;
    return PDM_OK;
}

static int in_window(const hello_data *d)
{
    time_t now = time(NULL);
    struct tm tm;
    int m;
    if (d->from == d->to || gmtime_r(&now, &tm) == NULL)
        return 0; /* no window, or no clock: closed */
    m = tm.tm_hour * 60 + tm.tm_min;
    return d->from < d->to ? m >= d->from && m < d->to  /* 02:00-04:00 */
                           : m >= d->from || m < d->to; /* 22:00-06:00 */
}

static int hello_check(void *inst, const pdm_policy_req *req,
                       pdm_verdict *out)
{
    const hello_data *d = inst;
    const char *what = req->op == PDM_OP_REPLACE ? "Replace"
                       : req->op == PDM_OP_EXEC  ? "Exec"
                       : req->op == PDM_OP_DELETE ? "Delete" : NULL;
    const char *uri;
    size_t n;

    /* Only ABI 1.0 request fields are read: no struct_size check. */
    out->decision = PDM_ABSTAIN;
    if (req->principal != PDM_PRINCIPAL_SERVER || req->uri == NULL ||
        what == NULL || in_window(d))
        return PDM_OK;
    uri = path_of(req->uri, &n);
    if (within(uri, n, d->path, d->len) ||
        (req->op == PDM_OP_DELETE && within(d->path, d->len, uri, n))) {
        out->decision = PDM_DENY;
        snprintf(out->reason, sizeof out->reason,
                 "%s of %s: %s is changed only in its maintenance window%s",
                 what, req->uri, d->shown,
                 d->from == d->to ? " (none set)" : "");
    }
    return PDM_OK;
}

static const pdm_policy_ops hello_ops = {
    {sizeof(pdm_policy_ops), PDM_KIND_POLICY, hello_create, NULL},
    hello_check,
};

static const pdm_component hello_components[] = {
    {PDM_KIND_POLICY, 0, "window", &hello_ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc hello_options[] = {
    {"protect", "URI prefix servers may Replace, Exec or Delete under only "
     "in the window, e.g. ./Vendor/Hello", NULL, PDM_OPTION_REQUIRED, 0,
     {NULL, NULL}},
    {"window", "HH:MM-HH:MM, UTC; none: never", NULL, 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc hello_desc = {
    PDM_PLUGIN_DESC_HEAD, "hello-policy", "2.0.0",
    "servers change a subtree only in a maintenance window",
    hello_components, hello_options, hello_init, hello_fini,
};

PDM_PLUGIN_DEFINE(hello_policy, hello_desc)
