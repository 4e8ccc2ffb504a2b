/*
 * polydm replay: feed recorded server packages into one session offline
 * and write every client message (the tool for data-driven tests and for
 * debugging a transcript).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transport.h"

static int replay_cmd(cli *c, int argc, char **argv);
static int session_cmd(cli *c, int argc, char **argv);
static int notify_cmd(cli *c, int argc, char **argv);

#define DEVICE_HELP \
    "  --ui-script FILE     answers for UI prompts (see polydm agent --help)\n" \
    "  --device-state FILE  append every device action as a JSON line\n"

#define TRANSPORT_HELP \
    "  --ca FILE     PEM CA bundle (default: transport.ca_file of the profile)\n" \
    "  --cert FILE   client certificate (default: transport.client_cert)\n"    \
    "  --key FILE    client key (default: transport.client_key)\n"             \
    "  --pin PIN     server key pin sha256//... (default: transport.pin.<id>)\n" \
    "  --trace DIR   write every message both ways to DIR\n"                  \
    DEVICE_HELP

const cli_cmd cli_session_cmds[] = {
    {"replay", "[--wbxml] [--out DIR] [--server ID] [--pkg0 FILE] "
               "[--ui-script FILE] SERVER_PKG...",
     "run one session offline from recorded server packages",
     "Opens a session (client-initiated, or server-initiated from --pkg0)\n"
     "and answers each SERVER_PKG file (XML or WBXML) in turn, as if it came\n"
     "from the server.  Every client message is written to stdout (XML as\n"
     "text, WBXML as bytes) or, with --out DIR, to DIR/client-N.xml|.wbxml.\n"
     "The session id is taken from the first server package.  Changes are\n"
     "stored in the state directory like a real session.\n"
     "Each SERVER_PKG is taken to come over the connection of the client\n"
     "message it answers: for a trace file NN-server.* the transport facts\n"
     "recorded in (NN-1)-transport of the same folder (TLS version, verified,\n"
     "key pin) are reported to the session; without them, or for a message\n"
     "to an http:// address, the connection is plain HTTP (a Basic account\n"
     "then refuses to send its credentials).\n"
     "  --wbxml      the client speaks WBXML\n"
     "  --out DIR    write client messages to DIR\n"
     "  --server ID  the account (default: the only one)\n"
     "  --pkg0 FILE  start server-initiated from this package 0\n"
     DEVICE_HELP
     "Exit 0 if the session ended normally, 1 otherwise.\n",
     replay_cmd, false},
    {"session", "[--server ID] [--wbxml] [transport options]",
     "run a client-initiated session with a DM server",
     "Connects to the account's server address (HTTP or HTTPS), sends\n"
     "package 1 (Alert 1201 and DevInfo) and answers the server until the\n"
     "session ends.  Changes are stored one package at a time.\n"
     "  --server ID   the account (default: the only one)\n"
     "  --wbxml       use WBXML instead of XML\n" TRANSPORT_HELP
     "Exit 0 if the session ended normally, 1 if it was refused or failed.\n",
     session_cmd, false},
    {"notify", "FILE|- [--wbxml] [transport options]",
     "handle a package 0 (verify, then run the session)",
     "Reads a package 0 (the binary General Notification) from FILE or\n"
     "stdin, verifies its digest against the server credentials of the\n"
     "account it names, and runs the server-initiated session (Alert\n"
     "1200).  A bad digest, an unknown server or a repeated session id is\n"
     "refused (exit 1) and audited.\n"
     "  --wbxml       use WBXML instead of XML\n" TRANSPORT_HELP,
     notify_cmd, false},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static int parse_net(const cli_cmd *cmd, int argc, char **argv, cli_net_opts *o,
                     int *exit_code)
{
    static const struct option lo[] = {
        {"server", required_argument, NULL, 's'},
        {"wbxml", no_argument, NULL, 'w'},
        {"ca", required_argument, NULL, 'C'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"pin", required_argument, NULL, 'p'},
        {"trace", required_argument, NULL, 't'},
        {"ui-script", required_argument, NULL, 'u'},
        {"device-state", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case 's': o->server = optarg; break;
        case 'w': o->wbxml = true; break;
        case 'C': o->ca = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 'p': o->pin = optarg; break;
        case 't': o->trace = optarg; break;
        case 'u': o->ui_script = optarg; break;
        case 'd': o->device_state = optarg; break;
        case 'h': cli_cmd_help(cmd, stdout); *exit_code = CLI_OK; return -1;
        default:
            cli_bad_option(cmd, argv[optind - 1], lo);
            *exit_code = CLI_USAGE;
            return -1;
        }
    }
    /* A pin that cannot be right is a configuration error (like a bad
     * profile), not a reason to run without one. */
    if (o->pin && pdm_key_pin_check(o->pin) != PDM_OK) {
        cli_err("%s: --pin: a pin is sha256//<base64 of the SHA-256 of the "
                "server's public key>, entries separated by ';'", cmd->name);
        *exit_code = CLI_BADINPUT;
        return -1;
    }
    return optind;
}

static int run_session(cli *c, const cli_net_opts *o, const uint8_t *pkg0,
                       size_t pkg0_len)
{
    pdm_ctx *ctx;
    pdm_session *s = NULL;
    pdm_session_opts so;
    cli_device dev;
    int ex, rc;
    if (cli_device_init(&dev, o->ui_script, o->device_state) != 0)
        return CLI_BADINPUT;
    c->hooks = &dev.hooks;
    if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
        cli_device_fini(&dev);
        return ex;
    }
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    /* The transport reports what it verified (cli_drive_session). */
    so.flags = (o->wbxml ? PDM_SESSION_WBXML : 0) | PDM_SESSION_TRANSPORT_FACTS;
    so.server_id = o->server;
    so.pkg0 = pkg0;
    so.pkg0_len = pkg0_len;
    rc = pdm_session_open(&s, ctx, &so);
    if (rc != PDM_OK) {
        cli_err("%s", pdm_session_error(s));
        ex = rc == PDM_EPARSE ? CLI_BADINPUT : CLI_REFUSED;
    } else {
        rc = cli_drive_session(ctx, s, o, NULL);
        ex = rc == PDM_OK ? CLI_OK : CLI_REFUSED;
    }
    pdm_session_close(s);
    pdm_ctx_close(ctx);
    cli_device_fini(&dev);
    return ex;
}

static int session_cmd(cli *c, int argc, char **argv)
{
    cli_net_opts o;
    int ex = CLI_USAGE, first;
    memset(&o, 0, sizeof o);
    first = parse_net(&cli_session_cmds[1], argc, argv, &o, &ex);
    if (first < 0)
        return ex;
    if (first != argc) {
        cli_err("session: unexpected argument '%s'", argv[first]);
        return CLI_USAGE;
    }
    return run_session(c, &o, NULL, 0);
}

static int notify_cmd(cli *c, int argc, char **argv)
{
    cli_net_opts o;
    int ex = CLI_USAGE, first, rc;
    uint8_t *pkg0 = NULL;
    size_t len = 0;
    memset(&o, 0, sizeof o);
    first = parse_net(&cli_session_cmds[2], argc, argv, &o, &ex);
    if (first < 0)
        return ex;
    if (argc - first != 1) {
        cli_err("notify: expected one FILE (or - for stdin)");
        return CLI_USAGE;
    }
    if (strcmp(argv[first], "-") == 0) {
        cli_buf b;
        uint8_t tmp[1024];
        size_t r;
        cli_buf_init(&b);
        while ((r = fread(tmp, 1, sizeof tmp, stdin)) > 0 && b.len < 65536)
            cli_buf_append(&b, tmp, r);
        pkg0 = cli_buf_steal(&b, &len);
        rc = pkg0 ? PDM_OK : PDM_ENOMEM;
    } else {
        rc = cli_read_file(argv[first], 65536, &pkg0, &len);
    }
    if (rc != PDM_OK) {
        cli_err("notify: cannot read %s: %s", argv[first], pdm_strerror(rc));
        return CLI_BADINPUT;
    }
    ex = run_session(c, &o, pkg0, len);
    free(pkg0);
    return ex;
}

static int write_msg(const char *dir, unsigned n, const pdm_message *m,
                     bool wbxml)
{
    if (!dir) {
        fwrite(m->body, 1, m->len, stdout);
        if (!wbxml)
            putchar('\n');
        return 0;
    }
    {
        char path[4096];
        FILE *f;
        int fd;
        snprintf(path, sizeof path, "%s/client-%u.%s", dir, n,
                 wbxml ? "wbxml" : "xml");
        /* Client messages carry credentials: the owner's only. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f && fd >= 0)
            close(fd);
        if (!f || fwrite(m->body, 1, m->len, f) != m->len || fclose(f)) {
            cli_err("replay: cannot write %s", path);
            return -1;
        }
    }
    return 0;
}

/* The transport facts recorded for replayed client message @i (counted
 * like the SERVER_PKG arguments): the trace's NN-server.* answering it
 * came over that connection, so its facts are DIR/(NN-1)-transport; a
 * last message without an answer uses DIR/(NN+1)-transport of the
 * previous package.  Zeroed facts (plain HTTP) for other file names or
 * when the trace has none.  @path receives the file read ("" if none).
 * Returns 0, or -1 for a facts file that cannot be read or parsed. */
static int replay_facts(char **argv, int argc, int i, cli_trace_facts *f,
                        char *path, size_t size)
{
    const char *pkg = argv[i < argc ? i : i - 1], *base = strrchr(pkg, '/');
    char err[600], *end;
    unsigned long nn;
    int dlen;
    base = base ? base + 1 : pkg;
    dlen = (int)(base - pkg);
    memset(f, 0, sizeof *f);
    f->ti.struct_size = sizeof f->ti;
    path[0] = '\0';
    nn = strtoul(base, &end, 10);
    if (end == base || nn < 2 || nn > 99999 || strncmp(end, "-server.", 8))
        return 0;
    snprintf(path, size, "%.*s%02lu-transport", dlen, pkg,
             i < argc ? nn - 1 : nn + 1);
    if (access(path, F_OK) != 0) {
        path[0] = '\0';
        return 0;
    }
    if (cli_trace_facts_read(path, f, err, sizeof err) != 0) {
        cli_err("replay: %s", err);
        return -1;
    }
    return 0;
}

typedef struct replay_opts {
    bool wbxml;
    const char *out, *server, *pkg0, *ui_script, *device_state;
} replay_opts;

static int replay_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"wbxml", no_argument, NULL, 'w'},
        {"out", required_argument, NULL, 'o'},
        {"server", required_argument, NULL, 's'},
        {"pkg0", required_argument, NULL, 'p'},
        {"ui-script", required_argument, NULL, 'u'},
        {"device-state", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    replay_opts o = {false, NULL, NULL, NULL, NULL, NULL};
    cli_device dev;
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_ctx *ctx;
    pdm_message m;
    uint8_t *pkg0 = NULL;
    size_t pkg0_len = 0;
    char sid[16] = "";
    unsigned n = 0;
    cli_trace_facts facts;
    char fpath[4096];
    int opt, ex, rc;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'w': o.wbxml = true; break;
        case 'o': o.out = optarg; break;
        case 's': o.server = optarg; break;
        case 'p': o.pkg0 = optarg; break;
        case 'u': o.ui_script = optarg; break;
        case 'd': o.device_state = optarg; break;
        case 'h': cli_cmd_help(&cli_session_cmds[0], stdout); return CLI_OK;
        default:
            cli_bad_option(&cli_session_cmds[0], argv[optind - 1], lo);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        cli_err("replay: expected at least one server package file");
        return CLI_USAGE;
    }
    if (o.out && mkdir(o.out, 0700) != 0) {
        struct stat st;
        if (stat(o.out, &st) != 0 || !S_ISDIR(st.st_mode)) {
            cli_err("replay: cannot create %s", o.out);
            return CLI_IOERR;
        }
    }
    if (o.pkg0 && cli_read_file(o.pkg0, 4096, &pkg0, &pkg0_len) != PDM_OK) {
        cli_err("replay: cannot read %s", o.pkg0);
        return CLI_BADINPUT;
    }
    {
        uint8_t *first;
        size_t flen;
        if (cli_read_file(argv[optind], 64u << 20, &first, &flen) != PDM_OK) {
            cli_err("replay: cannot read %s", argv[optind]);
            free(pkg0);
            return CLI_BADINPUT;
        }
        /* The session must use the recorded package's SessionID. */
        rc = pdm_message_session_id(sid, sizeof sid, first, flen, NULL);
        free(first);
        if (rc != PDM_OK && !o.pkg0) {
            cli_err("replay: %s: not a SyncML message with a SessionID",
                    argv[optind]);
            free(pkg0);
            return CLI_BADINPUT;
        }
    }
    if (cli_device_init(&dev, o.ui_script, o.device_state) != 0) {
        free(pkg0);
        return CLI_BADINPUT;
    }
    c->hooks = &dev.hooks;
    if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
        free(pkg0);
        cli_device_fini(&dev);
        return ex;
    }
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    /* Every server package is reported with the facts of its recorded
     * connection (plain HTTP when none were recorded: fail closed). */
    so.flags = PDM_SESSION_TRANSPORT_FACTS | (o.wbxml ? PDM_SESSION_WBXML : 0);
    so.server_id = o.server;
    so.pkg0 = pkg0;
    so.pkg0_len = pkg0_len;
    so.session_id = o.pkg0 ? NULL : sid;
    rc = pdm_session_open(&s, ctx, &so);
    if (rc != PDM_OK) {
        cli_err("replay: %s", pdm_session_error(s));
        ex = cli_exit_for_rc(rc) == CLI_BADINPUT ? CLI_BADINPUT : CLI_REFUSED;
        goto out;
    }
    for (int i = optind;; i++) {
        uint8_t *data;
        size_t len;
        rc = pdm_session_next(s, &m);
        if (rc != PDM_OK || !m.body)
            break;
        /* Reported before the message counts as sent, as a live transport
         * does: a connection the session refuses carries nothing. */
        if (replay_facts(argv, argc, i, &facts, fpath, sizeof fpath) != 0) {
            ex = CLI_BADINPUT;
            goto out;
        }
        /* Recorded TLS never covers a message to a plain http:// URL (a
         * profile that differs from the traced one): no transport would
         * have made that connection TLS. */
        if (!m.url || strncasecmp(m.url, "https://", 8) != 0) {
            memset(&facts.ti, 0, sizeof facts.ti);
            facts.ti.struct_size = sizeof facts.ti;
        }
        rc = pdm_session_set_transport(s, &facts.ti);
        if (rc == PDM_EINVAL) {
            cli_err("replay: %s: the recorded transport facts are not valid "
                    "(key_pin is one sha256//<base64>)", fpath);
            ex = CLI_BADINPUT;
            goto out;
        }
        if (rc != PDM_OK)
            break; /* refused: the session is over, audited */
        if (write_msg(o.out, ++n, &m, o.wbxml) != 0) {
            ex = CLI_IOERR;
            goto out;
        }
        if (i >= argc)
            break; /* no more server packages: stop after this message */
        if (cli_read_file(argv[i], 64u << 20, &data, &len) != PDM_OK) {
            cli_err("replay: cannot read %s", argv[i]);
            ex = CLI_BADINPUT;
            goto out;
        }
        /* A refused package may leave the session abort (Alert 1223) to
         * write: the loop ends when there is no next message. */
        pdm_session_reply(s, data, len, NULL, NULL);
        free(data);
    }
    rc = pdm_session_result(s);
    if (rc != PDM_OK) {
        cli_err("replay: session ended: %s", pdm_session_error(s));
        ex = CLI_REFUSED;
    }
out:
    pdm_session_close(s);
    pdm_ctx_close(ctx);
    cli_device_fini(&dev);
    free(pkg0);
    return ex;
}
