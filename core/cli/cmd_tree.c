/*
 * polydm tree get | list | export | import | explain, and polydm audit.
 * The CLI acts as the local user (PDM_PRINCIPAL_LOCAL); explain evaluates
 * a request as a given server would make it, without doing anything.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/engine.h"
#include "tree/tnds.h"
#include "util/util.h"

static int tree_get(cli *c, int argc, char **argv);
static int tree_list(cli *c, int argc, char **argv);
static int tree_export(cli *c, int argc, char **argv);
static int tree_show(cli *c, int argc, char **argv);
static int tree_import(cli *c, int argc, char **argv);
static int tree_explain(cli *c, int argc, char **argv);
static int audit_cmd(cli *c, int argc, char **argv);

enum { C_GET, C_LIST, C_EXPORT, C_IMPORT, C_EXPLAIN, C_AUDIT, C_SHOW };

const cli_cmd cli_tree_cmds[] = {
    [C_GET] = {"tree get", "URI [--prop NAME]",
               "print a node's value, child list or property",
               "Reads as the local user.  An interior node prints its children, "
               "one per line.\n"
               "  --prop NAME   a property: ACL, Format, Name, Size, Title, "
               "TStamp, Type, VerNo\n"
               "AAuthSecret and AAuthData are never shown (exit 1).\n",
               tree_get},
    [C_LIST] = {"tree list", "[URI]",
                "list a node's children with format, ACL and owner", NULL,
                tree_list},
    [C_EXPORT] = {"tree export", "[URI] [--tnds|--struct|--structdata] "
                                 "[--wbxml] [-o FILE]",
                  "export a subtree as TNDS (secrets redacted)",
                  "  --tnds        names, all properties and values (default)\n"
                  "  --struct      names and formats only\n"
                  "  --structdata  names, formats and values\n"
                  "  --wbxml       WBXML instead of XML\n"
                  "  -o FILE       write to FILE instead of stdout\n"
                  "Secret values (AAuthSecret, AAuthData) appear as *****.\n",
                  tree_export},
    [C_IMPORT] = {"tree import", "FILE [--target URI]",
                  "add the nodes of a TNDS file (XML or WBXML)",
                  "Adds every node of the file below URI (default the root) "
                  "as the local user,\nall or nothing.  Existing interior "
                  "nodes are merged into; an existing leaf fails the import.\n"
                  "Exit 3 for a malformed file, 1 if refused.\n",
                  tree_import},
    [C_EXPLAIN] = {"tree explain", "--server ID --op OP URI",
                   "tell whether a server may do OP on URI, and why",
                   "OP is Get, Add, Replace, Delete or Exec; URI may carry "
                   "?prop=NAME (e.g. to\nask about changing an ACL).  Prints "
                   "allow or deny, the rule, and the node\nand ACL entry (or "
                   "the policy) that decided.  Exit 0 if allowed, 1 if "
                   "denied.\n",
                   tree_explain},
    [C_AUDIT] = {"audit", "[--since TIME] [--verify]", "print the audit log",
                 "TIME: seconds since the epoch, YYYY-MM-DD[THH:MM[:SS]] (UTC),"
                 "\nor an age like 30m, 2h, 7d.  The log keeps the rows of "
                 "the store and the\nnewest archived segments "
                 "(<state>/audit/*.log, profile [audit]\nsegment_rows and "
                 "segments_kept); only the store's rows are printed.\n"
                 "  --verify  check the hash chain of the kept segments and "
                 "that no row is\n            missing; exit 0 if intact, 4 "
                 "naming what was changed\n",
                 audit_cmd},
    [C_SHOW] = {"tree show", "[URI]",
                "print a subtree with its values, indented",
                "One line per node: leaves with their value (cut at 60 "
                "bytes; binary\nvalues as a size; AAuthSecret/AAuthData as "
                "*****), interior nodes\nwith the authority that created "
                "them.\n",
                tree_show},
    {NULL, NULL, NULL, NULL, NULL},
};

static const pdm__who LOCAL = {PDM_PRINCIPAL_LOCAL, NULL, NULL, 0, NULL};

/* Parses the options of a command; returns the index of the first operand,
 * or -1 after printing help (CLI_OK) or an error (CLI_USAGE) into *exit. */
static int parse_opts(const cli_cmd *cmd, int argc, char **argv,
                      const struct option *lo, const char *so,
                      int (*set)(int opt, const char *arg, void *u), void *u,
                      int *exit_code)
{
    int opt;
    optind = 0; /* 0, not 1: glibc then also resets its scanning mode */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (opt == 'h') {
            cli_cmd_help(cmd, stdout);
            *exit_code = CLI_OK;
            return -1;
        }
        if (opt == '?' || opt == ':' || set(opt, optarg, u) != 0) {
            cli_err("%s: bad option '%s' (see polydm %s --help)", cmd->name,
                    argv[optind - 1], cmd->name);
            *exit_code = CLI_USAGE;
            return -1;
        }
    }
    return optind;
}

static int open_ctx(cli *c, pdm_ctx **ctx)
{
    return cli_open(c, ctx, 0);
}

static int exit_for_dec(int rc)
{
    switch (rc) {
    case PDM_OK:
    case PDM_PENDING:
        return CLI_OK;
    case PDM_EIO:
    case PDM_ECORRUPT:
    case PDM_ENOSPC:
        return CLI_IOERR;
    default:
        return CLI_REFUSED;
    }
}

static void print_dec_error(const char *what, const char *uri,
                            const pdm__decision *d)
{
    cli_err("%s %s: %s (%s)", what, uri, d->reason[0] ? d->reason : "failed",
            pdm_strerror(d->rc));
}

/* ---- get ---------------------------------------------------------------------- */

typedef struct get_opts {
    const char *prop;
} get_opts;

static int get_set(int opt, const char *arg, void *u)
{
    get_opts *o = u;
    if (opt != 'p')
        return -1;
    o->prop = arg;
    return 0;
}

static bool printable(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] == 0 || (d[i] < 0x20 && d[i] != '\n' && d[i] != '\t' &&
                          d[i] != '\r'))
            return false;
    return true;
}

static int tree_get(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {{"prop", required_argument, NULL, 'p'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    get_opts o = {NULL};
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_GET], argc, argv, lo, "p:h",
                               get_set, &o, &ex);
    pdm_ctx *ctx;
    pdm__tree_result r;
    pdm__decision d;
    char uri[2048];
    int rc;

    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("tree get: expected one URI");
        return CLI_USAGE;
    }
    snprintf(uri, sizeof uri, "%s%s%s", argv[first], o.prop ? "?prop=" : "",
             o.prop ? o.prop : "");
    if ((ex = open_ctx(c, &ctx)) != CLI_OK)
        return ex;
    rc = pdm__tree_get(ctx->tree, &LOCAL, uri, &r, &d);
    if (rc != PDM_OK) {
        print_dec_error("get", uri, &d);
        pdm_ctx_close(ctx);
        return exit_for_dec(rc);
    }
    if (r.items) {
        /* ?list=Struct/StructData: one node per line (or JSON object). */
        cli_json j;
        if (c->json) {
            cj_begin(&j, stdout);
            cj_arr(&j, NULL);
        }
        for (size_t i = 0; i < r.nitems; i++) {
            const pdm__tree_list_item *it = &r.items[i];
            bool show = it->data && printable(it->data, it->len);
            if (c->json) {
                cj_obj(&j, NULL);
                cj_str(&j, "uri", it->uri);
                cj_str(&j, "format", pdm__format_name(it->format));
                cj_str(&j, "type", it->type);
                if (it->data && show)
                    cj_strn(&j, "value", (const char *)it->data, it->len);
                cj_end_obj(&j);
            } else {
                printf("%s	%s", it->uri, pdm__format_name(it->format));
                if (it->data && show)
                    printf("	%.*s", (int)it->len, (const char *)it->data);
                else if (it->data)
                    printf("	(%zu bytes)", it->len);
                putchar('\n');
            }
        }
        if (c->json) {
            cj_end_arr(&j);
            cj_finish(&j);
        }
    } else if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "uri", uri);
        cj_str(&j, "format", pdm__format_name(r.format));
        cj_str(&j, "type", r.type);
        if (r.format == PDM_FORMAT_NODE) {
            const char *s = (const char *)r.data;
            cj_arr(&j, "children");
            while (r.len && *s) {
                size_t n = strcspn(s, "/");
                cj_strn(&j, NULL, s, n);
                s += n + (s[n] == '/');
            }
            cj_end_arr(&j);
        } else {
            cj_strn(&j, "value", (const char *)r.data, r.len);
        }
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (r.format == PDM_FORMAT_NODE) {
        for (size_t i = 0; i < r.len; i++)
            putchar(r.data[i] == '/' ? '\n' : r.data[i]);
        if (r.len)
            putchar('\n');
    } else if (printable(r.data, r.len)) {
        fwrite(r.data, 1, r.len, stdout);
        putchar('\n');
    } else {
        /* Binary values are shown as hex: never raw bytes on a terminal. */
        for (size_t i = 0; i < r.len; i++)
            printf("%02x", r.data[i]);
        putchar('\n');
    }
    pdm__tree_result_free(&r);
    pdm_ctx_close(ctx);
    return CLI_OK;
}

/* ---- list --------------------------------------------------------------------- */

/* The start of `tree list` and `tree show`: options, at most one URI
 * (default the root), a context, and the node if the local user may Get
 * it.  Returns the exit code; *ctx is NULL when there is nothing more to
 * do (help printed, or an error). */
static int open_one_node(cli *c, int which, int argc, char **argv,
                         pdm_ctx **ctx, pdm__node **n)
{
    int rc = cli_simple_opts(&cli_tree_cmds[which], argc, argv), ex;
    const char *uri = argc > 1 ? argv[1] : ".";
    const char *verb = cli_tree_cmds[which].name + 5; /* after "tree " */
    pdm__decision d;

    *ctx = NULL;
    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 2) {
        cli_err("tree %s: expected at most one URI", verb);
        return CLI_USAGE;
    }
    if ((ex = open_ctx(c, ctx)) != CLI_OK)
        return ex;
    rc = pdm__tree_check((*ctx)->tree, &LOCAL, PDM_OP_GET, uri, &d);
    *n = rc == PDM_OK ? pdm__tree_lookup((*ctx)->tree, uri) : NULL;
    if (!*n) {
        print_dec_error(verb, uri, &d);
        pdm_ctx_close(*ctx);
        *ctx = NULL;
        return exit_for_dec(rc ? rc : PDM_ENOTFOUND);
    }
    return CLI_OK;
}

static int tree_list(cli *c, int argc, char **argv)
{
    pdm_ctx *ctx;
    pdm__node *n = NULL;
    cli_json j;
    int ex = open_one_node(c, C_LIST, argc, argv, &ctx, &n);

    if (!ctx)
        return ex;
    if (c->json) {
        cj_begin(&j, stdout);
        cj_arr(&j, NULL);
    }
    for (pdm__node *k = pdm__node_is_interior(n) ? pdm__node_first_child(n) : n;
         k; k = k == n ? NULL : pdm__node_next_sibling(k)) {
        if (c->json) {
            cj_obj(&j, NULL);
            cj_str(&j, "name", pdm__node_name(k));
            cj_str(&j, "format", pdm__format_name(pdm__node_format(k)));
            cj_str(&j, "type", pdm__node_type(k));
            cj_str(&j, "acl", pdm__node_acl(k));
            cj_str(&j, "owner", pdm__node_owner(k));
            cj_int(&j, "children", (long long)pdm__node_child_count(k));
            cj_end_obj(&j);
        } else {
            printf("%-5s %-24s %-12s acl=%s%s\n",
                   pdm__format_name(pdm__node_format(k)), pdm__node_name(k),
                   pdm__node_owner(k), pdm__node_acl(k)[0] ? pdm__node_acl(k)
                                                           : "(inherited)",
                   pdm__node_is_interior(k) ? "/" : "");
        }
    }
    if (c->json) {
        cj_end_arr(&j);
        cj_finish(&j);
    }
    pdm_ctx_close(ctx);
    return CLI_OK;
}

/* ---- export ------------------------------------------------------------------- */

typedef struct export_opts {
    int list;
    bool wbxml;
    const char *out;
} export_opts;

static int export_set(int opt, const char *arg, void *u)
{
    export_opts *o = u;
    switch (opt) {
    case 't': o->list = PDM_URI_LIST_TNDS; return 0;
    case 's': o->list = PDM_URI_LIST_STRUCT; return 0;
    case 'd': o->list = PDM_URI_LIST_STRUCTDATA; return 0;
    case 'w': o->wbxml = true; return 0;
    case 'o': o->out = arg; return 0;
    }
    return -1;
}

/* ---- show ------------------------------------------------------------------- */

static void show_node(pdm_ctx *ctx, const pdm__node *n, pdm__buf *path,
                      int depth)
{
    size_t mark = path->len;
    const char *owner = pdm__node_owner(n);
    pdm__buf_putc(path, '/');
    pdm__buf_puts(path, pdm__node_name(n));
    printf("%*s%s", 2 * depth, "", pdm__node_name(n));
    if (pdm__node_is_interior(n)) {
        printf("/%s%s%s\n", *owner ? "  (" : "", owner,
               *owner ? ")" : "");
    } else if (pdm__node_flags(n) & PDM_NODE_SECRET) {
        printf(" = *****\n");
    } else {
        pdm__tree_result r;
        pdm__decision d;
        if (!pdm__buf_ok(path) ||
            pdm__tree_get(ctx->tree, &LOCAL, (char *)path->data, &r, &d) !=
                PDM_OK)
            printf(" (unreadable: %s)", d.reason);
        else if (!r.len && pdm__node_format(n) == PDM_FORMAT_NULL)
            ; /* e.g. an Exec target: nothing to show */
        else if (!printable(r.data, r.len))
            printf(" = (%zu bytes)", r.len);
        else if (r.len > 60)
            printf(" = %.57s... (%zu bytes)", (const char *)r.data, r.len);
        else
            printf(" = %.*s", (int)r.len, r.data ? (const char *)r.data : "");
        if (pdm__buf_ok(path))
            pdm__tree_result_free(&r);
        /* Who wrote it, when it was not the factory. */
        if (*owner && strcmp(owner, "factory") != 0)
            printf("  (%s)", owner);
        putchar('\n');
    }
    for (const pdm__node *k = pdm__node_first_child(n); k;
         k = pdm__node_next_sibling(k))
        show_node(ctx, k, path, depth + 1);
    path->len = mark;
    if (path->data)
        path->data[mark] = '\0';
}

static int tree_show(cli *c, int argc, char **argv)
{
    pdm_ctx *ctx;
    pdm__node *n = NULL;
    pdm__buf path;
    int ex = open_one_node(c, C_SHOW, argc, argv, &ctx, &n);

    if (!ctx)
        return ex;
    /* An interior node is printed with its full URI and its subtree
     * indented below; a leaf as one line below its parent's URI. */
    {
        const pdm__node *top = pdm__node_is_interior(n) ? n : pdm__node_parent(n);
        pdm__buf_init(&path);
        if (pdm__node_parent(top)) {
            pdm__buf_puts(&path, "./");
            pdm__node_path(top, &path);
        } else {
            pdm__buf_puts(&path, ".");
        }
        printf("%s\n", pdm__buf_ok(&path) ? (char *)path.data : "?");
        if (top == n) {
            for (const pdm__node *k = pdm__node_first_child(n); k;
                 k = pdm__node_next_sibling(k))
                show_node(ctx, k, &path, 1);
        } else {
            show_node(ctx, n, &path, 1);
        }
    }
    pdm__buf_free(&path);
    pdm_ctx_close(ctx);
    return CLI_OK;
}

static int tree_export(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"tnds", no_argument, NULL, 't'},  {"struct", no_argument, NULL, 's'},
        {"structdata", no_argument, NULL, 'd'},
        {"wbxml", no_argument, NULL, 'w'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    export_opts o = {PDM_URI_LIST_TNDS, false, NULL};
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_EXPORT], argc, argv, lo,
                               "o:h", export_set, &o, &ex);
    pdm_ctx *ctx;
    pdm__uri u;
    pdm__tnds_opts to;
    pdm__decision d;
    pdm__buf b;
    char err[200];
    int rc;

    if (first < 0)
        return ex;
    if (argc - first > 1) {
        cli_err("tree export: expected at most one URI");
        return CLI_USAGE;
    }
    if (pdm__uri_parse(&u, first < argc ? argv[first] : ".",
                       strlen(first < argc ? argv[first] : "."), NULL, err,
                       sizeof err) != PDM_OK) {
        cli_err("tree export: %s", err);
        return CLI_USAGE;
    }
    if ((ex = open_ctx(c, &ctx)) != CLI_OK) {
        pdm__uri_free(&u);
        return ex;
    }
    memset(&to, 0, sizeof to);
    to.list = o.list;
    to.props = PDM_URI_PROP_ALL;
    to.wbxml = o.wbxml;
    to.pretty = !o.wbxml;
    to.redact = true;
    pdm__buf_init(&b);
    rc = pdm__tnds_export(ctx->tree, &LOCAL, u.path, &to, &b, &d);
    if (rc == PDM_OK) {
        FILE *f = o.out ? fopen(o.out, "wb") : stdout;
        if (!f) {
            cli_err("tree export: cannot write %s", o.out);
            ex = CLI_IOERR;
        } else {
            if (fwrite(b.data, 1, b.len, f) != b.len || (o.out && fclose(f)))
                ex = CLI_IOERR;
            if (!o.wbxml && !o.out)
                putchar('\n');
        }
    } else {
        print_dec_error("export", u.path, &d);
        ex = exit_for_dec(rc);
    }
    pdm__buf_free(&b);
    pdm__uri_free(&u);
    pdm_ctx_close(ctx);
    return ex;
}

/* ---- import ------------------------------------------------------------------- */

static int import_set(int opt, const char *arg, void *u)
{
    if (opt != 'T')
        return -1;
    *(const char **)u = arg;
    return 0;
}

static int tree_import(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"target", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *target = ".";
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_IMPORT], argc, argv, lo, "h",
                               import_set, &target, &ex);
    pdm_ctx *ctx;
    pdm__decision d;
    pdm__uri u;
    uint8_t *data;
    size_t len;
    char err[200];
    int rc;

    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("tree import: expected one FILE");
        return CLI_USAGE;
    }
    rc = pdm__read_file(argv[first], 64u << 20, &data, &len);
    if (rc != PDM_OK) {
        cli_err("%s: %s", argv[first], pdm_strerror(rc));
        return rc == PDM_ENOMEM ? CLI_REFUSED : CLI_BADINPUT;
    }
    if (pdm__uri_parse(&u, target, strlen(target), NULL, err, sizeof err) !=
        PDM_OK) {
        cli_err("tree import: --target: %s", err);
        pdm__free(data);
        return CLI_USAGE;
    }
    if ((ex = open_ctx(c, &ctx)) == CLI_OK) {
        rc = pdm__tnds_import(ctx->tree, &LOCAL, u.path, data, len, &d);
        if (rc == PDM_OK) {
            printf("%s: imported below %s\n", argv[first], target);
        } else {
            cli_err("%s: %s (%s)", argv[first], d.reason, pdm_strerror(rc));
            ex = rc == PDM_EPARSE || rc == PDM_EFORMAT || rc == PDM_EINVAL
                     ? CLI_BADINPUT
                     : exit_for_dec(rc);
        }
        pdm_ctx_close(ctx);
    }
    pdm__uri_free(&u);
    pdm__free(data);
    return ex;
}

/* ---- explain ------------------------------------------------------------------ */

typedef struct explain_opts {
    const char *server;
    const char *op;
} explain_opts;

static int explain_set(int opt, const char *arg, void *u)
{
    explain_opts *o = u;
    if (opt == 's')
        o->server = arg;
    else if (opt == 'o')
        o->op = arg;
    else
        return -1;
    return 0;
}

static int tree_explain(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"server", required_argument, NULL, 's'},
        {"op", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"Get", PDM_OP_GET}, {"Add", PDM_OP_ADD},
               {"Replace", PDM_OP_REPLACE}, {"Delete", PDM_OP_DELETE},
               {"Exec", PDM_OP_EXEC}};
    explain_opts o = {NULL, NULL};
    int ex = CLI_USAGE, op = 0, first = parse_opts(&cli_tree_cmds[C_EXPLAIN], argc, argv,
                                       lo, "h", explain_set, &o, &ex);
    pdm_ctx *ctx;
    pdm__decision d;
    pdm__who w = {PDM_PRINCIPAL_SERVER, NULL, NULL, 0, NULL};
    int rc;

    if (first < 0)
        return ex;
    if (!o.server || !o.op || argc - first != 1) {
        cli_err("tree explain: usage: tree explain --server ID --op OP URI");
        return CLI_USAGE;
    }
    for (size_t i = 0; i < PDM__ARRAY_LEN(ops); i++)
        if (pdm__strcaseeq(ops[i].name, o.op))
            op = ops[i].op;
    if (!op) {
        cli_err("tree explain: --op must be Get, Add, Replace, Delete or Exec");
        return CLI_USAGE;
    }
    w.server_id = o.server;
    if ((ex = open_ctx(c, &ctx)) != CLI_OK)
        return ex;
    rc = pdm__tree_explain(ctx->tree, &w, op, argv[first], &d);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "decision", rc == PDM_OK ? "allow" : "deny");
        cj_str(&j, "status", pdm_strerror(rc));
        cj_str(&j, "rule", d.rule);
        cj_str(&j, "node", d.node);
        cj_str(&j, "entry", d.entry);
        cj_str(&j, "component", d.component);
        cj_str(&j, "reason", d.reason);
        cj_end_obj(&j);
        cj_finish(&j);
    } else {
        printf("%s: %s %s %s\n", rc == PDM_OK ? "allow" : "deny", o.server,
               o.op, argv[first]);
        printf("  rule:      %s\n", d.rule);
        if (d.node[0])
            printf("  node:      %s\n", d.node);
        if (d.entry[0])
            printf("  entry:     %s\n", d.entry);
        printf("  decided by %s: %s\n", d.component, d.reason);
        if (rc != PDM_OK)
            printf("  result:    %s\n", pdm_strerror(rc));
    }
    pdm_ctx_close(ctx);
    return rc == PDM_OK ? CLI_OK : CLI_REFUSED;
}

/* ---- audit -------------------------------------------------------------------- */

/* Parses --since: epoch seconds, ISO date[time] (UTC) or an age. */
static int parse_since(const char *s, int64_t *ms)
{
    struct tm tm;
    char *end;
    long long v;
    size_t n = strlen(s);
    memset(&tm, 0, sizeof tm);
    if (n >= 2 && isdigit((unsigned char)s[0]) && strchr("smhd", s[n - 1]) &&
        strspn(s, "0123456789") == n - 1) {
        static const int64_t unit[] = {1000, 60000, 3600000, 86400000};
        v = strtoll(s, &end, 10);
        *ms = (int64_t)time(NULL) * 1000 - v * unit[strchr("smhd", s[n - 1]) - "smhd"];
        return 0;
    }
    if (strspn(s, "0123456789") == n && n > 0) {
        *ms = strtoll(s, &end, 10) * 1000;
        return 0;
    }
    end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
    if (!end || *end) {
        memset(&tm, 0, sizeof tm);
        end = strptime(s, "%Y-%m-%d", &tm);
    }
    if (!end || *end)
        return -1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return 0;
}

typedef struct audit_ctx {
    cli *c;
    cli_json j;
    size_t n;
} audit_ctx;

static int audit_row(void *user, const pdm__audit_rec *a)
{
    audit_ctx *ac = user;
    time_t t = (time_t)(a->ts_ms / 1000);
    struct tm tm;
    char ts[40];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03dZ",
             (int)(a->ts_ms % 1000));
    if (ac->c->json) {
        cj_obj(&ac->j, NULL);
        cj_int(&ac->j, "seq", a->seq);
        cj_str(&ac->j, "time", ts);
        cj_str(&ac->j, "principal", a->principal);
        cj_str(&ac->j, "op", a->op);
        cj_str(&ac->j, "uri", a->uri);
        cj_str(&ac->j, "decision", a->decision);
        cj_str(&ac->j, "component", a->component);
        cj_str(&ac->j, "reason", a->reason);
        cj_end_obj(&ac->j);
    } else {
        printf("%s %-5s %-22s %-8s %-28s %-22s %s\n", ts, a->decision,
               a->principal, a->op, a->uri ? a->uri : "-", a->component,
               a->reason ? a->reason : "");
    }
    ac->n++;
    return 0;
}

typedef struct audit_opts {
    int64_t since;
    bool verify;
} audit_opts;

static int audit_set(int opt, const char *arg, void *u)
{
    audit_opts *o = u;
    if (opt == 'V') {
        o->verify = true;
        return 0;
    }
    if (opt != 'S')
        return -1;
    return parse_since(arg, &o->since);
}

static int audit_verify(cli *c, pdm_ctx *ctx)
{
    pdm__audit_verdict v;
    int rc = pdm__store_audit_verify(ctx->store, &v);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_bool(&j, "intact", rc == PDM_OK);
        cj_int(&j, "segments_kept", v.kept);
        cj_int(&j, "segments_dropped", v.dropped);
        cj_int(&j, "archived_rows", v.archived_rows);
        cj_int(&j, "live_rows", v.live_rows);
        if (rc != PDM_OK)
            cj_str(&j, "problem", rc == PDM_ECORRUPT ? v.why
                                                     : pdm__store_error(ctx->store));
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (rc == PDM_OK) {
        printf("audit log intact: %u archived segment(s) with %lld rows, "
               "%u older segment(s) removed by retention, %lld rows in the "
               "store\n",
               v.kept, (long long)v.archived_rows, v.dropped,
               (long long)v.live_rows);
    }
    if (rc == PDM_ECORRUPT)
        cli_err("audit: NOT intact: %s", v.why);
    else if (rc != PDM_OK)
        cli_err("audit: %s", pdm__store_error(ctx->store));
    return rc == PDM_OK ? CLI_OK : CLI_IOERR;
}

static int audit_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {{"since", required_argument, NULL, 'S'},
                                       {"verify", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    audit_opts o = {0, false};
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_AUDIT], argc, argv, lo, "h",
                               audit_set, &o, &ex);
    audit_ctx ac;
    pdm_ctx *ctx;
    int rc;

    if (first < 0)
        return ex;
    if (first != argc) {
        cli_err("audit: unexpected argument '%s'", argv[first]);
        return CLI_USAGE;
    }
    if ((ex = open_ctx(c, &ctx)) != CLI_OK)
        return ex;
    if (o.verify) {
        ex = audit_verify(c, ctx);
        pdm_ctx_close(ctx);
        return ex;
    }
    memset(&ac, 0, sizeof ac);
    ac.c = c;
    if (c->json) {
        cj_begin(&ac.j, stdout);
        cj_arr(&ac.j, NULL);
    }
    rc = pdm__store_audit_query(ctx->store, o.since, audit_row, &ac);
    if (c->json) {
        cj_end_arr(&ac.j);
        cj_finish(&ac.j);
    }
    if (rc != PDM_OK) {
        cli_err("audit: %s", pdm__store_error(ctx->store));
        ex = CLI_IOERR;
    }
    pdm_ctx_close(ctx);
    return ex;
}
