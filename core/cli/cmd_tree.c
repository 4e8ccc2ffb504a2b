/*
 * polydm tree get | list | show | export | import | explain, and polydm
 * audit.  The CLI acts as the local user (PDM_PRINCIPAL_LOCAL); explain
 * evaluates a request as a given server would make it, without doing
 * anything.  Only the integrator API (polydm.h, "reading the tree and the
 * audit log"): what is shown here is what any integrator can show.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
               tree_get, true},
    [C_LIST] = {"tree list", "[URI]",
                "list a node's children with format, ACL and owner", NULL,
                tree_list, true},
    [C_EXPORT] = {"tree export", "[URI] [--tnds|--struct|--structdata] "
                                 "[--wbxml] [-o FILE]",
                  "export a subtree as TNDS (secrets redacted)",
                  "  --tnds        names, all properties and values (default)\n"
                  "  --struct      names and formats only\n"
                  "  --structdata  names, formats and values\n"
                  "  --wbxml       WBXML instead of XML\n"
                  "  -o FILE       write to FILE instead of stdout\n"
                  "Secret values (AAuthSecret, AAuthData) appear as *****.\n",
                  tree_export, false},
    [C_IMPORT] = {"tree import", "FILE [--target URI]",
                  "add the nodes of a TNDS file (XML or WBXML)",
                  "Adds every node of the file below URI (default the root) "
                  "as the local user,\nall or nothing.  Existing interior "
                  "nodes are merged into; an existing leaf fails the import.\n"
                  "Exit 3 for a malformed file, 1 if refused.\n",
                  tree_import, false},
    [C_EXPLAIN] = {"tree explain", "--server ID --op OP URI",
                   "tell whether a server may do OP on URI, and why",
                   "OP is Get, Add, Replace, Delete or Exec; URI may carry "
                   "?prop=NAME (e.g. to\nask about changing an ACL).  Prints "
                   "allow or deny, the rule, and the node\nand ACL entry (or "
                   "the policy) that decided.  Exit 0 if allowed, 1 if "
                   "denied.\n",
                   tree_explain, true},
    [C_AUDIT] = {"audit", "[--since TIME] [--verify]", "print the audit log",
                 "TIME: seconds since the epoch, YYYY-MM-DD[THH:MM[:SS]] (UTC),"
                 "\nor an age like 30m, 2h, 7d.  The log keeps the rows of "
                 "the store and the\nnewest archived segments "
                 "(<state>/audit/*.log, profile [audit]\nsegment_rows and "
                 "segments_kept); only the store's rows are printed.\n"
                 "  --verify  check the hash chain of the kept segments and "
                 "that no row is\n            missing; exit 0 if intact, 4 "
                 "naming what was changed\n",
                 audit_cmd, true},
    [C_SHOW] = {"tree show", "[URI]",
                "print a subtree with its values, indented",
                "One line per node: leaves with their value (cut at 60 "
                "bytes; binary\nvalues as a size; AAuthSecret/AAuthData as "
                "*****), interior nodes\nwith the authority that created "
                "them.\n",
                tree_show, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

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
            cli_bad_option(cmd, argv[optind - 1], lo);
            *exit_code = CLI_USAGE;
            return -1;
        }
    }
    return optind;
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

/* "get URI: why (status)" for a refused read. */
static void print_refusal(const char *what, const char *uri, pdm_ctx *ctx,
                          int rc)
{
    const char *why = pdm_ctx_last_error(ctx);
    cli_err("%s %s: %s (%s)", what, uri, why[0] ? why : "failed",
            pdm_strerror(rc));
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

/* ?list=Struct/StructData: one node per line (or JSON object). */
static void print_items(cli *c, const pdm_tree_value *v)
{
    cli_json j;
    pdm_tree_item it;
    if (c->json) {
        cj_begin(&j, stdout);
        cj_arr(&j, NULL);
    }
    for (size_t i = 0; i < v->nitems; i++) {
        bool show;
        it.struct_size = sizeof it;
        if (pdm_tree_value_item(&it, v, i) != PDM_OK)
            break;
        show = it.data && printable(it.data, it.len);
        if (c->json) {
            cj_obj(&j, NULL);
            cj_str(&j, "uri", it.uri);
            cj_str(&j, "format", pdm_format_name(it.format));
            cj_opt(&j, "type", it.type);
            if (it.data && show)
                cj_strn(&j, "value", (const char *)it.data, it.len);
            cj_end_obj(&j);
        } else {
            printf("%s	%s", it.uri, pdm_format_name(it.format));
            if (it.data && show)
                printf("	%.*s", (int)it.len, (const char *)it.data);
            else if (it.data)
                printf("	(%zu bytes)", it.len);
            putchar('\n');
        }
    }
    if (c->json) {
        cj_end_arr(&j);
        cj_finish(&j);
    }
}

static void print_value(cli *c, const char *uri, const pdm_tree_value *v)
{
    const char *s = (const char *)v->data, *end = s + v->len;
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "uri", uri);
        cj_str(&j, "format", pdm_format_name(v->format));
        cj_opt(&j, "type", v->type);
        if (v->format == PDM_FORMAT_NODE) {
            /* the child names, "a/b/c" */
            cj_arr(&j, "children");
            while (s && s < end) {
                const char *sl = memchr(s, '/', (size_t)(end - s));
                size_t n = sl ? (size_t)(sl - s) : (size_t)(end - s);
                cj_strn(&j, NULL, s, n);
                s += n + (sl != NULL);
            }
            cj_end_arr(&j);
        } else {
            cj_strn(&j, "value", s, v->len);
        }
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (v->format == PDM_FORMAT_NODE) {
        for (size_t i = 0; i < v->len; i++)
            putchar(v->data[i] == '/' ? '\n' : v->data[i]);
        if (v->len)
            putchar('\n');
    } else if (printable(v->data, v->len)) {
        fwrite(v->data, 1, v->len, stdout);
        putchar('\n');
    } else {
        /* Binary values are shown as hex: never raw bytes on a terminal. */
        for (size_t i = 0; i < v->len; i++)
            printf("%02x", v->data[i]);
        putchar('\n');
    }
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
    pdm_tree_value *v;
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
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    rc = pdm_ctx_tree_get(&v, ctx, uri);
    if (rc != PDM_OK) {
        print_refusal("get", uri, ctx, rc);
        pdm_ctx_close(ctx);
        return exit_for_dec(rc);
    }
    if (v->nitems)
        print_items(c, v);
    else
        print_value(c, uri, v);
    pdm_tree_value_free(v);
    pdm_ctx_close(ctx);
    return CLI_OK;
}

/* ---- list and show --------------------------------------------------------------- */

/* The start of `tree list` and `tree show`: options, at most one URI
 * (default the root), a context, and the node if the local user may Get
 * it.  Returns the exit code; *ctx is NULL when there is nothing more to
 * do (help printed, or an error). */
static int open_one_node(cli *c, int which, int argc, char **argv,
                         pdm_ctx **ctx, const char **uri)
{
    int rc = cli_simple_opts(&cli_tree_cmds[which], argc, argv), ex;
    const char *verb = cli_tree_cmds[which].name + 5; /* after "tree " */
    pdm_node_info n;

    *ctx = NULL;
    *uri = argc > 1 ? argv[1] : ".";
    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 2) {
        cli_err("tree %s: expected at most one URI", verb);
        return CLI_USAGE;
    }
    if ((ex = cli_open_read(c, ctx)) != CLI_OK)
        return ex;
    n.struct_size = sizeof n;
    if ((rc = pdm_ctx_node_info(&n, *ctx, *uri)) != PDM_OK) {
        print_refusal(verb, *uri, *ctx, rc);
        pdm_ctx_close(*ctx);
        *ctx = NULL;
        return exit_for_dec(rc);
    }
    return CLI_OK;
}

typedef struct list_walk {
    cli *c;
    cli_json j;
} list_walk;

/* `tree list`: an interior node's children, or the leaf itself. */
static int list_node(void *user, const char *uri, unsigned depth,
                     const pdm_node_info *n)
{
    list_walk *lw = user;
    bool interior = (n->flags & PDM_NODE_IS_INTERIOR) != 0;
    (void)uri;
    if (depth == 0 && interior)
        return 0;
    if (lw->c->json) {
        cj_obj(&lw->j, NULL);
        cj_str(&lw->j, "name", n->name);
        cj_str(&lw->j, "format", pdm_format_name(n->format));
        /* null, not "": no type, an inherited ACL, no recorded creator */
        cj_opt(&lw->j, "type", n->type);
        cj_opt(&lw->j, "acl", n->acl);
        cj_opt(&lw->j, "owner", n->owner);
        cj_int(&lw->j, "children", (long long)n->nchildren);
        cj_end_obj(&lw->j);
    } else {
        printf("%-5s %-24s %-12s acl=%s%s\n", pdm_format_name(n->format),
               n->name, n->owner, n->acl[0] ? n->acl : "(inherited)",
               interior ? "/" : "");
    }
    return 0;
}

static int tree_list(cli *c, int argc, char **argv)
{
    pdm_ctx *ctx;
    const char *uri;
    list_walk lw;
    int ex = open_one_node(c, C_LIST, argc, argv, &ctx, &uri), rc;

    if (!ctx)
        return ex;
    lw.c = c;
    if (c->json) {
        cj_begin(&lw.j, stdout);
        cj_arr(&lw.j, NULL);
    }
    rc = pdm_ctx_tree_walk(ctx, uri, 1, 0, list_node, &lw);
    if (c->json) {
        cj_end_arr(&lw.j);
        cj_finish(&lw.j);
    }
    if (rc != PDM_OK) {
        print_refusal("list", uri, ctx, rc);
        ex = exit_for_dec(rc);
    }
    pdm_ctx_close(ctx);
    return ex;
}

/* `tree show --json`: one object per node, in walk order (schema in
 * docs/cli.md); the value only when it is text and not a secret. */
static int show_node_json(void *user, const char *uri, unsigned depth,
                          const pdm_node_info *n)
{
    cli_json *j = user;
    bool interior = (n->flags & PDM_NODE_IS_INTERIOR) != 0;
    bool secret = (n->flags & PDM_NODE_IS_SECRET) != 0;
    bool has = (n->flags & PDM_NODE_HAS_VALUE) != 0;
    cj_obj(j, NULL);
    cj_str(j, "uri", uri);
    cj_int(j, "depth", depth);
    cj_bool(j, "interior", interior);
    cj_str(j, "format", pdm_format_name(n->format));
    cj_opt(j, "owner", n->owner);
    if (!interior) {
        cj_bool(j, "secret", secret);
        cj_int(j, "size", secret || !has ? -1 : (long long)n->len);
        if (!secret && has && n->value && printable(n->value, n->len))
            cj_strn(j, "value", (const char *)n->value, n->len);
        else
            cj_str(j, "value", NULL);
        cj_str(j, "unreadable", !secret && !has ? (n->why ? n->why : "")
                                                : NULL);
    }
    cj_end_obj(j);
    return 0;
}

/* `tree show`: one line per node, indented.  An interior start node is
 * printed as its full URI with its subtree indented below; a leaf as one
 * line below its parent's URI. */
static int show_node(void *user, const char *uri, unsigned depth,
                     const pdm_node_info *n)
{
    const char *owner = n->owner;
    (void)user;
    if (depth == 0) {
        if (n->flags & PDM_NODE_IS_INTERIOR) {
            printf("%s\n", uri);
            return 0;
        }
        /* "./A/B" -> "./A"; "./A" -> "." */
        printf("%.*s\n", (int)(strrchr(uri, '/') - uri), uri);
        depth = 1;
    }
    printf("%*s%s", 2 * (int)depth, "", n->name);
    if (n->flags & PDM_NODE_IS_INTERIOR) {
        printf("/%s%s%s\n", *owner ? "  (" : "", owner, *owner ? ")" : "");
        return 0;
    }
    if (n->flags & PDM_NODE_IS_SECRET) {
        printf(" = *****\n");
        return 0;
    }
    if (!(n->flags & PDM_NODE_HAS_VALUE))
        printf(" (unreadable: %s)", n->why ? n->why : "");
    else if (!n->len && n->format == PDM_FORMAT_NULL)
        ; /* e.g. an Exec target: nothing to show */
    else if (!printable(n->value, n->len))
        printf(" = (%zu bytes)", n->len);
    else if (n->len > 60)
        printf(" = %.57s... (%zu bytes)", (const char *)n->value, n->len);
    else
        printf(" = %.*s", (int)n->len,
               n->value ? (const char *)n->value : "");
    /* Who wrote it, when it was not the factory. */
    if (*owner && strcmp(owner, "factory") != 0)
        printf("  (%s)", owner);
    putchar('\n');
    return 0;
}

static int tree_show(cli *c, int argc, char **argv)
{
    pdm_ctx *ctx;
    const char *uri;
    int ex = open_one_node(c, C_SHOW, argc, argv, &ctx, &uri), rc;

    if (!ctx)
        return ex;
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_arr(&j, NULL);
        rc = pdm_ctx_tree_walk(ctx, uri, PDM_WALK_ALL_DEPTHS, PDM_WALK_VALUES,
                               show_node_json, &j);
        cj_end_arr(&j);
        cj_finish(&j);
    } else {
        rc = pdm_ctx_tree_walk(ctx, uri, PDM_WALK_ALL_DEPTHS, PDM_WALK_VALUES,
                               show_node, NULL);
    }
    if (rc != PDM_OK) {
        print_refusal("show", uri, ctx, rc);
        ex = exit_for_dec(rc);
    }
    pdm_ctx_close(ctx);
    return ex;
}

/* ---- export ------------------------------------------------------------------- */

typedef struct export_opts {
    uint32_t list; /* 0 (TNDS), PDM_EXPORT_STRUCT or PDM_EXPORT_STRUCTDATA */
    bool wbxml;
    const char *out;
} export_opts;

static int export_set(int opt, const char *arg, void *u)
{
    export_opts *o = u;
    switch (opt) {
    case 't': o->list = 0; return 0;
    case 's': o->list = PDM_EXPORT_STRUCT; return 0;
    case 'd': o->list = PDM_EXPORT_STRUCTDATA; return 0;
    case 'w': o->wbxml = true; return 0;
    case 'o': o->out = arg; return 0;
    }
    return -1;
}

static int tree_export(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"tnds", no_argument, NULL, 't'},  {"struct", no_argument, NULL, 's'},
        {"structdata", no_argument, NULL, 'd'},
        {"wbxml", no_argument, NULL, 'w'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    export_opts o = {0, false, NULL};
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_EXPORT], argc, argv, lo,
                               "o:h", export_set, &o, &ex);
    const char *uri = first >= 0 && first < argc ? argv[first] : ".";
    pdm_ctx *ctx;
    pdm_tree_value *v;
    char path[2048];
    int rc;

    if (first < 0)
        return ex;
    if (argc - first > 1) {
        cli_err("tree export: expected at most one URI");
        return CLI_USAGE;
    }
    if (pdm_uri_canonical(path, sizeof path, uri) != PDM_OK) {
        cli_err("tree export: %s", path);
        return CLI_USAGE;
    }
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    rc = pdm_ctx_tree_export(&v, ctx, uri,
                             o.list | (o.wbxml ? PDM_EXPORT_WBXML : 0));
    if (rc == PDM_OK) {
        FILE *f = o.out ? fopen(o.out, "wb") : stdout;
        if (!f) {
            cli_err("tree export: cannot write %s", o.out);
            ex = CLI_IOERR;
        } else {
            if (fwrite(v->data, 1, v->len, f) != v->len || (o.out && fclose(f)))
                ex = CLI_IOERR;
            if (!o.wbxml && !o.out)
                putchar('\n');
        }
        pdm_tree_value_free(v);
    } else {
        print_refusal("export", path, ctx, rc);
        ex = exit_for_dec(rc);
    }
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
    pdm_local_result res;
    uint8_t *data;
    size_t len;
    char path[2048];
    int rc;

    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("tree import: expected one FILE");
        return CLI_USAGE;
    }
    rc = cli_read_file(argv[first], 64u << 20, &data, &len);
    if (rc != PDM_OK) {
        cli_err("%s: %s", argv[first], pdm_strerror(rc));
        return rc == PDM_ENOMEM ? CLI_REFUSED : CLI_BADINPUT;
    }
    if (pdm_uri_canonical(path, sizeof path, target) != PDM_OK) {
        cli_err("tree import: --target: %s", path);
        free(data);
        return CLI_USAGE;
    }
    if ((ex = cli_open(c, &ctx, 0)) == CLI_OK) {
        res.struct_size = sizeof res;
        rc = pdm_ctx_tree_import(ctx, target, data, len, &res);
        if (rc == PDM_OK) {
            printf("%s: imported below %s\n", argv[first], target);
        } else {
            cli_err("%s: %s (%s)", argv[first], res.summary, pdm_strerror(rc));
            ex = rc == PDM_EPARSE || rc == PDM_EFORMAT || rc == PDM_EINVAL
                     ? CLI_BADINPUT
                     : exit_for_dec(rc);
        }
        pdm_ctx_close(ctx);
    }
    free(data);
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
        uint32_t op;
    } ops[] = {{"Get", PDM_OP_GET}, {"Add", PDM_OP_ADD},
               {"Replace", PDM_OP_REPLACE}, {"Delete", PDM_OP_DELETE},
               {"Exec", PDM_OP_EXEC}};
    explain_opts o = {NULL, NULL};
    uint32_t op = 0;
    int ex = CLI_USAGE, first = parse_opts(&cli_tree_cmds[C_EXPLAIN], argc, argv,
                                       lo, "h", explain_set, &o, &ex);
    pdm_ctx *ctx;
    pdm_explanation d;
    int rc;

    if (first < 0)
        return ex;
    if (!o.server || !o.op || argc - first != 1) {
        cli_err("tree explain: usage: tree explain --server ID --op OP URI");
        return CLI_USAGE;
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcasecmp(ops[i].name, o.op) == 0)
            op = ops[i].op;
    if (!op) {
        cli_err("tree explain: --op must be Get, Add, Replace, Delete or Exec");
        return CLI_USAGE;
    }
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    d.struct_size = sizeof d;
    rc = pdm_ctx_explain(&d, ctx, o.server, op, argv[first]);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "decision", rc == PDM_OK ? "allow" : "deny");
        cj_str(&j, "status", pdm_strerror(rc));
        cj_opt(&j, "rule", d.rule);
        cj_opt(&j, "node", d.node);
        cj_opt(&j, "entry", d.entry);
        cj_opt(&j, "component", d.component);
        cj_opt(&j, "reason", d.reason);
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

static int audit_row(void *user, const pdm_audit_row *a)
{
    audit_ctx *ac = user;
    time_t t = (time_t)(a->time_ms / 1000);
    struct tm tm;
    char ts[40];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03dZ",
             (int)(a->time_ms % 1000));
    if (ac->c->json) {
        cj_obj(&ac->j, NULL);
        cj_int(&ac->j, "seq", a->seq);
        cj_str(&ac->j, "time", ts);
        cj_str(&ac->j, "principal", a->principal);
        cj_str(&ac->j, "op", a->op);
        cj_opt(&ac->j, "uri", a->uri);
        cj_str(&ac->j, "decision", a->decision);
        cj_opt(&ac->j, "component", a->component);
        cj_opt(&ac->j, "reason", a->reason);
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
    pdm_audit_check v;
    int rc;
    v.struct_size = sizeof v;
    rc = pdm_ctx_audit_verify(&v, ctx);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_bool(&j, "intact", rc == PDM_OK);
        cj_int(&j, "segments_kept", v.segments_kept);
        cj_int(&j, "segments_dropped", v.segments_dropped);
        cj_int(&j, "archived_rows", v.archived_rows);
        cj_int(&j, "live_rows", v.live_rows);
        if (rc != PDM_OK)
            cj_str(&j, "problem", rc == PDM_ECORRUPT ? v.problem
                                                     : pdm_ctx_last_error(ctx));
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (rc == PDM_OK) {
        printf("audit log intact: %u archived segment(s) with %lld rows, "
               "%u older segment(s) removed by retention, %lld rows in the "
               "store\n",
               v.segments_kept, (long long)v.archived_rows,
               v.segments_dropped,
               (long long)v.live_rows);
    }
    if (rc == PDM_ECORRUPT)
        cli_err("audit: NOT intact: %s", v.problem);
    else if (rc != PDM_OK)
        cli_err("audit: %s", pdm_ctx_last_error(ctx));
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
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
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
    rc = pdm_ctx_audit_each(ctx, o.since, audit_row, &ac);
    if (c->json) {
        cj_end_arr(&ac.j);
        cj_finish(&ac.j);
    }
    if (rc != PDM_OK) {
        cli_err("audit: %s", pdm_ctx_last_error(ctx));
        ex = CLI_IOERR;
    }
    pdm_ctx_close(ctx);
    return ex;
}
