/*
 * polydm owner | takeover | transfer | acl set | account list | account
 * delete: the local user's operations (polydm.h, "the local user").  The
 * CLI decides nothing and reaches no internal header: every check, the
 * authority, the policies, the transaction and the audit row are the
 * core's.  What it adds is the user's side of the confirmation: --yes
 * (the user confirmed on the command line: PDM_LOCAL_CONFIRMED), a
 * --ui-script line, or a y/N question on the terminal; with none of them
 * the core has no way to ask and refuses.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int owner_cmd(cli *c, int argc, char **argv);
static int takeover_cmd(cli *c, int argc, char **argv);
static int transfer_cmd(cli *c, int argc, char **argv);
static int acl_set_cmd(cli *c, int argc, char **argv);
static int account_list_cmd(cli *c, int argc, char **argv);
static int account_delete_cmd(cli *c, int argc, char **argv);

enum { C_OWNER, C_TAKEOVER, C_TRANSFER, C_ACL_SET, C_ACC_LIST, C_ACC_DELETE };

#define CONFIRM_HELP                                                         \
    "Confirmation: --yes (you confirm here), a --ui-script FILE line\n"      \
    "confirm=yes|no (or yes|no), or a y/N question when stdin is a\n"        \
    "terminal; otherwise refused.  --device-state FILE records the "         \
    "question.\n"                                                            \
    "Exit 0 done, 1 refused (the reason and the deciding component on\n"     \
    "stderr; audited; nothing changed), 2 usage, 4 store error.\n"

const cli_cmd cli_owner_cmds[] = {
    [C_OWNER] = {"owner", "",
                 "who owns root, and what each authority owns",
                 "Prints the root owner (a ServerID, or nobody) and each DM "
                 "account's authority:\nhow its account came (origin, SEC, "
                 "bootstrap source), its server address\nand the top-most "
                 "nodes it created.\n",
                 owner_cmd, true},
    [C_TAKEOVER] = {"takeover", "SERVERID [--yes] [--ui-script F]",
                    "make a known server the root owner (S3)",
                    "The profile's authority decides first (none, or one "
                    "without takeover: refused),\nthen the policies "
                    "(PDM_OP_TAKEOVER), then you.  The root ACL's Get, "
                    "Replace,\nDelete and Exec go to SERVERID (Add stays), "
                    "the old owner is scrubbed from\nevery ACL.\n" CONFIRM_HELP,
                    takeover_cmd, true},
    [C_TRANSFER] = {"transfer",
                    "--from A --to B [--keep-account] [--yes] [--ui-script F]",
                    "move management from authority A to B (S12)",
                    "Both must be known accounts (bootstrap B first).  In one "
                    "transaction every\nACL entry of A goes to B, the nodes A "
                    "created become B's, root ownership\nmoves if A had it, "
                    "and A's account is deleted (--keep-account: kept\nwithout "
                    "rights).  Asked as PDM_OP_TRANSFER (and the authority's "
                    "takeover with\nPDM_OP_TAKEOVER when A owns root).\n"
                    CONFIRM_HELP,
                    transfer_cmd, true},
    [C_ACL_SET] = {"acl set", "URI ACL [--yes] [--ui-script F]",
                   "replace a node's ACL as the local user (S4)",
                   "ACL in TND syntax, e.g. 'Get=*&Replace=srv-a'; '' makes "
                   "the node inherit\n(not the root).  Asked as "
                   "PDM_OP_ACL_EDIT; TStamp/VerNo are updated.\n" CONFIRM_HELP,
                   acl_set_cmd, true},
    [C_ACC_LIST] = {"account list", "",
                    "list the DM accounts and their authorities",
                    "One line per account: ServerID, account node, origin, "
                    "SEC, source, and\n\"root owner\" for the one that owns "
                    "root (the list of `polydm owner`).\n",
                    account_list_cmd, true},
    [C_ACC_DELETE] = {"account delete", "SERVERID [--yes] [--ui-script F]",
                      "delete a DM account as the local user",
                      "Asked as PDM_OP_ACCOUNT_DELETE.  The account subtree "
                      "goes, its ServerID is\nscrubbed from every ACL, root "
                      "ownership goes if it had it, and its pending\nfirst "
                      "session, queued alerts and bootstrap records go too.\n"
                      CONFIRM_HELP,
                      account_delete_cmd, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

/* ---- output ------------------------------------------------------------------ */

static const char *origin_name(uint32_t o)
{
    static const char *const n[] = {"unknown", "factory", "smartcard",
                                    "push", "file", "user"};
    return o < sizeof n / sizeof n[0] ? n[o] : "unknown";
}

static const char *sec_name(uint32_t s)
{
    static const char *const n[] = {"none", "NETWPIN", "USERPIN",
                                    "USERNETWPIN", "USERPINMAC"};
    return s < sizeof n / sizeof n[0] ? n[s] : "unknown";
}

/* Lists the authorities as text or as a JSON array named @key. */
static int list_authorities(cli *c, pdm_ctx *ctx, cli_json *j, const char *key,
                            bool details)
{
    pdm_authority_entry e;
    int rc;
    if (j)
        cj_arr(j, key);
    for (size_t i = 0;; i++) {
        memset(&e, 0, sizeof e);
        e.struct_size = sizeof e;
        rc = pdm_ctx_authority(ctx, i, &e);
        if (rc == PDM_ENOTFOUND)
            break;
        if (rc != PDM_OK) {
            if (j)
                cj_end_arr(j);
            cli_err("cannot list the authorities: %s (%s)",
                    pdm_ctx_last_error(ctx), pdm_strerror(rc));
            return rc == PDM_EIO ? CLI_IOERR : CLI_REFUSED;
        }
        if (j) {
            const char *s = e.subtrees;
            cj_obj(j, NULL);
            cj_str(j, "server_id", e.server_id);
            cj_str(j, "account", e.account_uri);
            cj_str(j, "origin", origin_name(e.origin));
            cj_str(j, "sec", sec_name(e.sec));
            cj_opt(j, "source", e.source);
            cj_opt(j, "address", e.address);
            cj_bool(j, "owns_root", e.owns_root != 0);
            cj_arr(j, "subtrees");
            while (s && *s) {
                size_t n = strcspn(s, ";");
                cj_strn(j, NULL, s, n);
                s += n + (s[n] == ';');
            }
            cj_end_arr(j);
            cj_end_obj(j);
            continue;
        }
        printf("%s\t%s\torigin %s, SEC %s, source %s%s\n", e.server_id,
               e.account_uri, origin_name(e.origin), sec_name(e.sec),
               e.source ? e.source : "-", e.owns_root ? "\troot owner" : "");
        if (details) {
            printf("  address: %s\n", e.address ? e.address : "-");
            printf("  subtrees: %s\n", e.subtrees[0] ? e.subtrees : "-");
        }
    }
    if (j)
        cj_end_arr(j);
    (void)c;
    return CLI_OK;
}

/* ---- confirmation -------------------------------------------------------------- */

/* The terminal's answer to a 1101 confirm: only "y" or "yes" is yes. */
static int tty_ui(void *user, const pdm_ui_request *rq, pdm_ui_response *rs)
{
    char line[64];
    (void)user;
    if (rq->type != 1101)
        return PDM_ENOTSUP;
    fprintf(stderr, "%s [y/N] ", rq->text ? rq->text : "Confirm?");
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return PDM_ECANCELLED;
    line[strcspn(line, "\r\n")] = '\0';
    rs->accepted = strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 ||
                   strcmp(line, "yes") == 0;
    return PDM_OK;
}

typedef struct op_opts {
    bool yes, keep;
    const char *ui_script, *device_state, *from, *to;
} op_opts;

/* Parses the options of an operation; returns the index of the first
 * operand, or -1 with *ex set (help printed: CLI_OK; else CLI_USAGE). */
static int op_parse(const cli_cmd *cmd, int argc, char **argv, op_opts *o,
                    bool transfer, int *ex)
{
    static const struct option lo[] = {
        {"yes", no_argument, NULL, 'y'},
        {"ui-script", required_argument, NULL, 'u'},
        {"device-state", required_argument, NULL, 'd'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"keep-account", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "yh", lo, NULL)) != -1) {
        switch (opt) {
        case 'y': o->yes = true; break;
        case 'u': o->ui_script = optarg; break;
        case 'd': o->device_state = optarg; break;
        case 'f':
        case 't':
        case 'k':
            if (!transfer)
                goto bad;
            if (opt == 'f')
                o->from = optarg;
            else if (opt == 't')
                o->to = optarg;
            else
                o->keep = true;
            break;
        case 'h': cli_cmd_help(cmd, stdout); *ex = CLI_OK; return -1;
        default: goto bad;
        }
    }
    return optind;
bad:
    cli_bad_option(cmd, argv[optind - 1], lo);
    *ex = CLI_USAGE;
    return -1;
}

typedef int (*op_fn)(pdm_ctx *ctx, const char *a, const char *b,
                     uint32_t flags, pdm_local_result *out);

static int do_takeover(pdm_ctx *ctx, const char *a, const char *b,
                       uint32_t flags, pdm_local_result *out)
{
    (void)b;
    return pdm_ctx_takeover(ctx, a, flags, out);
}

static int do_transfer(pdm_ctx *ctx, const char *a, const char *b,
                       uint32_t flags, pdm_local_result *out)
{
    return pdm_ctx_transfer(ctx, a, b, flags, out);
}

static int do_acl_set(pdm_ctx *ctx, const char *a, const char *b,
                      uint32_t flags, pdm_local_result *out)
{
    return pdm_ctx_acl_set(ctx, a, b, flags, out);
}

static int do_account_delete(pdm_ctx *ctx, const char *a, const char *b,
                             uint32_t flags, pdm_local_result *out)
{
    (void)b;
    return pdm_ctx_account_delete(ctx, a, flags, out);
}

/* Opens the context with the right ui hook, runs @fn, prints the result. */
static int run_op(cli *c, const cli_cmd *cmd, const op_opts *o, op_fn fn,
                  const char *a, const char *b, uint32_t flags)
{
    cli_device dev;
    pdm_device_hooks tty;
    pdm_local_result r;
    pdm_ctx *ctx;
    bool asks;
    int rc, ex;

    if (cli_device_init(&dev, o->ui_script, o->device_state) != 0)
        return CLI_BADINPUT;
    /* The script answers first; else a terminal; else nobody can. */
    if (!o->ui_script && !o->yes && isatty(STDIN_FILENO)) {
        memset(&tty, 0, sizeof tty);
        tty.struct_size = sizeof tty;
        tty.ui = tty_ui;
        c->hooks = &tty;
    } else {
        c->hooks = &dev.hooks;
    }
    asks = c->hooks->ui != NULL;
    if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
        cli_device_fini(&dev);
        return ex;
    }
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    rc = fn(ctx, a, b, flags | (o->yes ? PDM_LOCAL_CONFIRMED : 0), &r);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_bool(&j, "done", rc == PDM_OK);
        cj_str(&j, "rc", pdm_strerror(rc));
        cj_str(&j, "summary", r.summary);
        cj_str(&j, "component", r.component[0] ? r.component : NULL);
        cj_str(&j, "root_owner", pdm_ctx_root_owner(ctx));
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (rc == PDM_OK) {
        printf("done: %s\n", r.summary);
    }
    if (rc != PDM_OK) {
        cli_err("%s refused by %s: %s (%s)", cmd->name,
                r.component[0] ? r.component : "core",
                r.summary[0] ? r.summary : pdm_ctx_last_error(ctx),
                pdm_strerror(rc));
        if (rc == PDM_ECANCELLED && !asks && !o->yes)
            cli_err("%s: nobody to confirm it: give --yes, or --ui-script "
                    "FILE, or run it on a terminal",
                    cmd->name);
    }
    pdm_ctx_close(ctx);
    cli_device_fini(&dev);
    switch (rc) {
    case PDM_OK: return CLI_OK;
    case PDM_EIO:
    case PDM_ECORRUPT:
    case PDM_ENOSPC: return CLI_IOERR;
    default: return CLI_REFUSED;
    }
}

/* ---- commands ------------------------------------------------------------------ */

static int owner_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_OWNER];
    int h = cli_simple_opts(cmd, argc, argv), ex;
    pdm_ctx *ctx;
    const char *ro;
    if (h)
        return h > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 1) {
        cli_err("owner: takes no arguments");
        return CLI_USAGE;
    }
    c->hooks = NULL;
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    ro = pdm_ctx_root_owner(ctx);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_str(&j, "root_owner", ro);
        ex = list_authorities(c, ctx, &j, "authorities", true);
        cj_end_obj(&j);
        cj_finish(&j);
    } else {
        printf("root owner: %s\n", ro ? ro : "nobody");
        ex = list_authorities(c, ctx, NULL, NULL, true);
    }
    pdm_ctx_close(ctx);
    return ex;
}

static int account_list_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_ACC_LIST];
    int h = cli_simple_opts(cmd, argc, argv), ex;
    pdm_ctx *ctx;
    if (h)
        return h > 0 ? CLI_OK : CLI_USAGE;
    if (argc > 1) {
        cli_err("account list: takes no arguments");
        return CLI_USAGE;
    }
    c->hooks = NULL;
    if ((ex = cli_open_read(c, &ctx)) != CLI_OK)
        return ex;
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        ex = list_authorities(c, ctx, &j, "accounts", false);
        cj_end_obj(&j);
        cj_finish(&j);
    } else {
        ex = list_authorities(c, ctx, NULL, NULL, false);
    }
    pdm_ctx_close(ctx);
    return ex;
}

static int takeover_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_TAKEOVER];
    op_opts o;
    int ex, first = op_parse(cmd, argc, argv, &o, false, &ex);
    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("takeover: expected one SERVERID");
        return CLI_USAGE;
    }
    return run_op(c, cmd, &o, do_takeover, argv[first], NULL, 0);
}

static int transfer_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_TRANSFER];
    op_opts o;
    int ex, first = op_parse(cmd, argc, argv, &o, true, &ex);
    if (first < 0)
        return ex;
    if (argc != first || !o.from || !o.to) {
        cli_err("transfer: expected --from A --to B and nothing else");
        return CLI_USAGE;
    }
    return run_op(c, cmd, &o, do_transfer, o.from, o.to,
                  o.keep ? PDM_LOCAL_KEEP_ACCOUNT : 0);
}

static int acl_set_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_ACL_SET];
    op_opts o;
    int ex, first = op_parse(cmd, argc, argv, &o, false, &ex);
    if (first < 0)
        return ex;
    if (argc - first != 2) {
        cli_err("acl set: expected URI and ACL ('' to inherit)");
        return CLI_USAGE;
    }
    return run_op(c, cmd, &o, do_acl_set, argv[first], argv[first + 1], 0);
}

static int account_delete_cmd(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = &cli_owner_cmds[C_ACC_DELETE];
    op_opts o;
    int ex, first = op_parse(cmd, argc, argv, &o, false, &ex);
    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("account delete: expected one SERVERID");
        return CLI_USAGE;
    }
    return run_op(c, cmd, &o, do_account_delete, argv[first], NULL, 0);
}
