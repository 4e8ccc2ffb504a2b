/*
 * polydm replay: feed recorded server packages into one session offline
 * and write every client message (the tool for data-driven tests and for
 * debugging a transcript).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "util/util.h"

static int replay_cmd(cli *c, int argc, char **argv);

const cli_cmd cli_session_cmds[] = {
    {"replay", "[--wbxml] [--out DIR] [--server ID] [--pkg0 FILE] "
               "SERVER_PKG...",
     "run one session offline from recorded server packages",
     "Opens a session (client-initiated, or server-initiated from --pkg0)\n"
     "and answers each SERVER_PKG file (XML or WBXML) in turn, as if it came\n"
     "from the server.  Every client message is written to stdout (XML as\n"
     "text, WBXML as bytes) or, with --out DIR, to DIR/client-N.xml|.wbxml.\n"
     "The session id is taken from the first server package.  Changes are\n"
     "stored in the state directory like a real session.\n"
     "  --wbxml      the client speaks WBXML\n"
     "  --out DIR    write client messages to DIR\n"
     "  --server ID  the account (default: the only one)\n"
     "  --pkg0 FILE  start server-initiated from this package 0\n"
     "Exit 0 if the session ended normally, 1 otherwise.\n",
     replay_cmd},
    {NULL, NULL, NULL, NULL, NULL},
};

/* SessionID of a server package, for the session to match it. */
static int peek_session_id(const uint8_t *data, size_t len, char *out,
                           size_t size)
{
    pdm__doc d;
    pdm__codec_err e;
    int rc;
    const char *sid = NULL;
    pdm__doc_init(&d);
    rc = len && data[0] == '<' ? pdm__xml_decode(&d, data, len, NULL, &e)
                               : pdm__wbxml_decode(&d, data, len, NULL, &e);
    if (rc == PDM_OK && d.root) {
        pdm__el *h = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
        sid = h ? pdm__el_child_text(h, PDM_TAG_SESSIONID) : NULL;
        if (sid)
            pdm__strlcpy(out, sid, size);
    }
    pdm__doc_free(&d);
    return sid ? PDM_OK : PDM_EPARSE;
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
        snprintf(path, sizeof path, "%s/client-%u.%s", dir, n,
                 wbxml ? "wbxml" : "xml");
        f = fopen(path, "wb");
        if (!f || fwrite(m->body, 1, m->len, f) != m->len || fclose(f)) {
            cli_err("replay: cannot write %s", path);
            return -1;
        }
    }
    return 0;
}

typedef struct replay_opts {
    bool wbxml;
    const char *out, *server, *pkg0;
} replay_opts;

static int replay_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"wbxml", no_argument, NULL, 'w'},
        {"out", required_argument, NULL, 'o'},
        {"server", required_argument, NULL, 's'},
        {"pkg0", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    replay_opts o = {false, NULL, NULL, NULL};
    pdm_session_opts so;
    pdm_session *s = NULL;
    pdm_ctx *ctx;
    pdm_message m;
    uint8_t *pkg0 = NULL;
    size_t pkg0_len = 0;
    char sid[16] = "";
    unsigned n = 0;
    int opt, ex, rc;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'w': o.wbxml = true; break;
        case 'o': o.out = optarg; break;
        case 's': o.server = optarg; break;
        case 'p': o.pkg0 = optarg; break;
        case 'h': cli_cmd_help(&cli_session_cmds[0], stdout); return CLI_OK;
        default:
            cli_err("replay: bad option '%s' (see polydm replay --help)",
                    argv[optind - 1]);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        cli_err("replay: expected at least one server package file");
        return CLI_USAGE;
    }
    if (o.out && mkdir(o.out, 0755) != 0) {
        struct stat st;
        if (stat(o.out, &st) != 0 || !S_ISDIR(st.st_mode)) {
            cli_err("replay: cannot create %s", o.out);
            return CLI_IOERR;
        }
    }
    if (o.pkg0 && pdm__read_file(o.pkg0, 4096, &pkg0, &pkg0_len) != PDM_OK) {
        cli_err("replay: cannot read %s", o.pkg0);
        return CLI_BADINPUT;
    }
    {
        uint8_t *first;
        size_t flen;
        if (pdm__read_file(argv[optind], 64u << 20, &first, &flen) != PDM_OK) {
            cli_err("replay: cannot read %s", argv[optind]);
            pdm__free(pkg0);
            return CLI_BADINPUT;
        }
        rc = peek_session_id(first, flen, sid, sizeof sid);
        pdm__free(first);
        if (rc != PDM_OK && !o.pkg0) {
            cli_err("replay: %s: not a SyncML message with a SessionID",
                    argv[optind]);
            pdm__free(pkg0);
            return CLI_BADINPUT;
        }
    }
    if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
        pdm__free(pkg0);
        return ex;
    }
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = o.wbxml ? PDM_SESSION_WBXML : 0;
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
        if (write_msg(o.out, ++n, &m, o.wbxml) != 0) {
            ex = CLI_IOERR;
            goto out;
        }
        if (i >= argc)
            break; /* no more server packages: stop after this message */
        if (pdm__read_file(argv[i], 64u << 20, &data, &len) != PDM_OK) {
            cli_err("replay: cannot read %s", argv[i]);
            ex = CLI_BADINPUT;
            goto out;
        }
        rc = pdm_session_reply(s, data, len, NULL, NULL);
        pdm__free(data);
        if (rc != PDM_OK)
            break;
    }
    rc = pdm_session_result(s);
    if (rc != PDM_OK) {
        cli_err("replay: session ended: %s", pdm_session_error(s));
        ex = CLI_REFUSED;
    }
out:
    pdm_session_close(s);
    pdm_ctx_close(ctx);
    pdm__free(pkg0);
    return ex;
}
