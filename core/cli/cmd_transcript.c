/*
 * polydm transcript DIR: a session trace (polydm session/agent --trace) as
 * a readable conversation: what the server asked, what the device
 * answered.  Credentials are never shown (only that they were present),
 * nor values of secret nodes (AAuthSecret, AAuthData) or TNDS documents
 * (they may carry them); long values are cut, binary values summarised.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "codec/codec.h"
#include "session/status.h"
#include "tree/tree.h"
#include "util/util.h"

static int transcript_cmd(cli *c, int argc, char **argv);

const cli_cmd cli_transcript_cmds[] = {
    {"transcript", "DIR",
     "show a traced session as a readable conversation",
     "DIR is a folder written by `polydm session --trace` or one session's\n"
     "folder of `polydm agent --trace` (NN-client.*, NN-server.*, and\n"
     "00-pkg0.bin for a server-initiated session).  Each message is listed\n"
     "with its commands; statuses name the command they answer; a client\n"
     "message with the transport it went over (NN-transport).\n"
     "Credentials are never printed.\n",
     transcript_cmd, false},
    {NULL, NULL, NULL, NULL, NULL, false},
};

/* Every command sent, by "<sender> msgid/cmdid", to name it in the other
 * side's statuses. */
typedef struct asked {
    char key[24];
    char what[160];
} asked;

typedef struct tx {
    asked *a;
    size_t n, cap;
    unsigned msg_id;
} tx;

static const char *txt(const pdm__el *e, pdm__tag t)
{
    return pdm__el_child_text(e, t);
}

static void remember(tx *t, bool from_server, unsigned msg, const char *cmdid,
                     const char *what)
{
    if (!cmdid)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        asked *v = realloc(t->a, cap * sizeof(*v));
        if (!v)
            return;
        t->a = v;
        t->cap = cap;
    }
    snprintf(t->a[t->n].key, sizeof t->a[t->n].key, "%c%u/%s",
             from_server ? 's' : 'c', msg, cmdid);
    pdm__strlcpy(t->a[t->n].what, what, sizeof t->a[t->n].what);
    t->n++;
}

/* A Status from one side answers a command of the other side. */
static const char *recall(const tx *t, bool status_from_server,
                          const char *msgref, const char *cmdref)
{
    char key[24];
    snprintf(key, sizeof key, "%c%s/%s", status_from_server ? 'c' : 's',
             msgref ? msgref : "?", cmdref ? cmdref : "?");
    for (size_t i = t->n; i-- > 0;)
        if (strcmp(t->a[i].key, key) == 0)
            return t->a[i].what;
    return NULL;
}

/* A value for a human: quoted text, cut at 60 bytes; binary as a size. */
static void value(char *out, size_t size, const pdm__el *data)
{
    size_t n = data && data->text ? data->len : 0;
    bool printable = true;
    for (size_t i = 0; i < n; i++)
        if ((data->text[i] < 0x20 && data->text[i] != '\n' &&
             data->text[i] != '\t') ||
            data->text[i] == 0x7f)
            printable = false;
    if (data && data->first)
        snprintf(out, size, "(XML data)");
    else if (!data)
        out[0] = '\0';
    else if (!printable)
        snprintf(out, size, "(%zu bytes of binary data)", n);
    else if (n > 60)
        snprintf(out, size, "\"%.57s...\" (%zu bytes)", (const char *)data->text,
                 n);
    else
        snprintf(out, size, "\"%.*s\"", (int)n, (const char *)data->text);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

static const char *item_uri(const pdm__el *item, pdm__tag which)
{
    const pdm__el *e = pdm__el_child(item, which);
    return e ? txt(e, PDM_TAG_LOCURI) : NULL;
}

/* The value of an Item for a human, with the tree's secrecy rule: a
 * secret node's value or a TNDS document is never printed. */
static void item_value(char *out, size_t size, const pdm__el *cmd,
                       const pdm__el *item, const char *uri)
{
    const pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
    const pdm__el *m = pdm__el_child(item, PDM_TAG_META);
    const char *type = m ? txt(m, PDM_TAG_MI_TYPE) : NULL;
    const char *last = uri ? strrchr(uri, '/') : NULL;
    if (!type && (m = pdm__el_child(cmd, PDM_TAG_META)))
        type = txt(m, PDM_TAG_MI_TYPE);
    if (data && last && pdm__tree_is_secret_name(last + 1)) {
        snprintf(out, size, "*****");
    } else if (data && type && strstr(type, "dmtnds")) {
        snprintf(out, size, "(a TNDS document, %zu bytes)",
                 data->text ? data->len : (size_t)0);
    } else {
        value(out, size, data);
    }
}

static const char *alert_name(long code)
{
    switch (code) {
    case 1100: return "display";
    case 1101: return "confirm";
    case 1102: return "text input";
    case 1103: return "single choice";
    case 1104: return "multiple choice";
    case 1200: return "server-initiated session";
    case 1201: return "client-initiated session";
    case 1222: return "next message, please";
    case 1223: return "session aborted";
    case 1224: return "client event";
    case 1225: return "end of data not received";
    case 1226: return "generic alert";
    default: return "";
    }
}

static void show_cmds(tx *t, const pdm__el *parent, bool from_server, int depth);

static void show_item_cmd(tx *t, const pdm__el *c, bool from_server,
                          const char *ind)
{
    const char *name = pdm__el_name(c);
    const char *id = txt(c, PDM_TAG_CMDID);
    char first[160] = "";
    size_t count = 0;
    for (const pdm__el *it = pdm__el_child(c, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        const char *tg = item_uri(it, PDM_TAG_TARGET);
        const char *sc = item_uri(it, PDM_TAG_SOURCE);
        char v[128], what[160];
        item_value(v, sizeof v, c, it, tg ? tg : sc);
        if (c->tag == PDM_TAG_COPY)
            snprintf(what, sizeof what, "Copy %s to %s", sc ? sc : "?",
                     tg ? tg : "?");
        else
            snprintf(what, sizeof what, "%s %s", name,
                     tg ? tg : (sc ? sc : "?"));
        printf("%s%s%s%s%s\n", ind, what,
               (c->tag == PDM_TAG_ADD || c->tag == PDM_TAG_REPLACE) && v[0]
                   ? " = "
                   : "",
               (c->tag == PDM_TAG_ADD || c->tag == PDM_TAG_REPLACE) ? v : "",
               pdm__el_child(it, PDM_TAG_MOREDATA) ? " (more data follows)"
                                                   : "");
        if (!count++)
            pdm__strlcpy(first, what, sizeof first);
    }
    /* A multi-item command is named by its first item. */
    if (count > 1)
        snprintf(first + strlen(first), sizeof first - strlen(first),
                 " and %zu more", count - 1);
    remember(t, from_server, t->msg_id, id, first);
}

static void show_alert(tx *t, const pdm__el *c, bool from_server,
                       const char *ind)
{
    long code = 0;
    const char *d = txt(c, PDM_TAG_DATA);
    const pdm__el *it;
    char what[160];
    size_t k = 0;
    if (d)
        pdm__parse_long(d, 0, 99999, &code);
    snprintf(what, sizeof what, "Alert %ld %s", code, alert_name(code));
    printf("%s%s", ind, what);
    for (it = pdm__el_child(c, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM), k++) {
        char v[128];
        value(v, sizeof v, pdm__el_child(it, PDM_TAG_DATA));
        if (code >= 1100 && code <= 1104 && k == 0)
            continue; /* the UI options */
        if (code == 1226) {
            const pdm__el *m = pdm__el_child(it, PDM_TAG_META);
            const char *ty = m ? txt(m, PDM_TAG_MI_TYPE) : NULL;
            printf(" %s%s%s", ty ? ty : "", ty ? " " : "", v);
        } else if (v[0]) {
            printf("%s%s", k > (code >= 1100 && code <= 1104 ? 1u : 0u)
                               ? ", "
                               : ": ",
                   v);
        }
    }
    if (txt(c, PDM_TAG_CORRELATOR))
        printf(" (correlator %s)", txt(c, PDM_TAG_CORRELATOR));
    putchar('\n');
    remember(t, from_server, t->msg_id, txt(c, PDM_TAG_CMDID), what);
}

static void show_status(const tx *t, const pdm__el *c, bool from_server,
                        const char *ind)
{
    long code = 0;
    const char *cmd = txt(c, PDM_TAG_CMD);
    const char *d = txt(c, PDM_TAG_DATA);
    const char *what = recall(t, from_server, txt(c, PDM_TAG_MSGREF),
                              txt(c, PDM_TAG_CMDREF));
    const char *tref = txt(c, PDM_TAG_TARGETREF);
    char items[200] = "";
    if (d)
        pdm__parse_long(d, 0, 9999, &code);
    for (const pdm__el *it = pdm__el_child(c, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        char v[128];
        value(v, sizeof v, pdm__el_child(it, PDM_TAG_DATA));
        snprintf(items + strlen(items), sizeof items - strlen(items), "%s%s",
                 items[0] ? ", " : " answer ", v);
    }
    if (cmd && strcmp(cmd, "SyncHdr") == 0)
        printf("%s%ld %s <- the message header%s\n", ind, code,
               pdm__status_text((int)code),
               pdm__el_child(c, PDM_TAG_CHAL) ? " (with a challenge)" : "");
    else
        printf("%s%ld %s <- %s%s%s%s\n", ind, code, pdm__status_text((int)code),
               what ? what : (cmd ? cmd : "?"),
               tref && (!what || !strstr(what, tref)) ? " " : "",
               tref && (!what || !strstr(what, tref)) ? tref : "", items);
}

static void show_results(const tx *t, const pdm__el *c, const char *ind)
{
    (void)t;
    for (const pdm__el *it = pdm__el_child(c, PDM_TAG_ITEM); it;
         it = pdm__el_next(it, PDM_TAG_ITEM)) {
        const char *sc = item_uri(it, PDM_TAG_SOURCE);
        const pdm__el *m = pdm__el_child(it, PDM_TAG_META);
        const char *fmt = m ? txt(m, PDM_TAG_MI_FORMAT) : NULL;
        char v[128];
        item_value(v, sizeof v, c, it, sc);
        if (fmt && strcmp(fmt, "node") == 0 && v[0])
            printf("%sResults %s: children %s\n", ind, sc ? sc : "?", v);
        else if (!v[0] && fmt)
            printf("%sResults %s (%s)\n", ind, sc ? sc : "?", fmt);
        else
            printf("%sResults %s%s%s%s\n", ind, sc ? sc : "?", v[0] ? " = " : "",
                   v, pdm__el_child(it, PDM_TAG_MOREDATA) ? " (more data follows)"
                                                         : "");
    }
}

static void show_cmds(tx *t, const pdm__el *parent, bool from_server, int depth)
{
    char ind[40];
    snprintf(ind, sizeof ind, "%*s", 4 + 2 * depth, "");
    for (const pdm__el *c = parent->first; c; c = c->next) {
        switch (c->tag) {
        case PDM_TAG_STATUS: show_status(t, c, from_server, ind); break;
        case PDM_TAG_RESULTS: show_results(t, c, ind); break;
        case PDM_TAG_ALERT: show_alert(t, c, from_server, ind); break;
        case PDM_TAG_ADD:
        case PDM_TAG_REPLACE:
        case PDM_TAG_DELETE:
        case PDM_TAG_GET:
        case PDM_TAG_COPY:
        case PDM_TAG_EXEC: show_item_cmd(t, c, from_server, ind); break;
        case PDM_TAG_ATOMIC:
        case PDM_TAG_SEQUENCE: {
            char what[64];
            snprintf(what, sizeof what, "%s (all or nothing)",
                     c->tag == PDM_TAG_ATOMIC ? "Atomic" : "Sequence");
            if (c->tag == PDM_TAG_SEQUENCE)
                snprintf(what, sizeof what, "Sequence (in order)");
            printf("%s%s\n", ind, what);
            remember(t, from_server, t->msg_id, txt(c, PDM_TAG_CMDID), what);
            show_cmds(t, c, from_server, depth + 1);
            break;
        }
        case PDM_TAG_FINAL: printf("%s(end of package)\n", ind); break;
        default: break;
        }
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The transport facts recorded for client message NN (NN-transport), if
 * the trace has them. */
static void show_facts(const char *dir, const char *name)
{
    char path[4096], err[600];
    cli_trace_facts f;
    unsigned long nn = strtoul(name, NULL, 10);
    snprintf(path, sizeof path, "%s/%02lu-transport", dir, nn);
    if (access(path, F_OK) != 0)
        return;
    if (cli_trace_facts_read(path, &f, err, sizeof err) != 0) {
        printf("  transport: %s\n", err);
        return;
    }
    if (!f.ti.tls_version)
        printf("  transport: plain HTTP\n");
    else
        printf("  transport: %s, %s, server key %s\n", f.ti.tls_version,
               f.ti.flags & PDM_TRANSPORT_VERIFIED ? "verified"
                                                   : "NOT verified",
               f.ti.key_pin ? f.ti.key_pin : "unknown");
}

static int show_message(tx *t, const char *dir, const char *name)
{
    char path[4096];
    uint8_t *buf;
    size_t len;
    pdm__doc d;
    pdm__codec_err e;
    bool from_server = strstr(name, "-server.") != NULL;
    bool wbxml = strstr(name, ".wbxml") != NULL;
    pdm__el *hdr, *body;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (pdm__read_file(path, 64u << 20, &buf, &len) != PDM_OK) {
        cli_err("transcript: cannot read %s", path);
        return CLI_IOERR;
    }
    if (strstr(name, "pkg0")) {
        pdm__pkg0 p;
        char err[160], sid[5];
        if (pdm__pkg0_parse(&p, buf, len, err, sizeof err) != PDM_OK) {
            printf("%s: not a package 0: %s\n", name, err);
        } else {
            pdm__pkg0_session_id_str(p.session_id, sid);
            printf("server -> device  package 0 (WAP push): server %s asks "
                   "for session %s, ui-mode %u\n\n",
                   p.server_id, sid, p.ui_mode);
        }
        pdm__free(buf);
        return CLI_OK;
    }
    pdm__doc_init(&d);
    rc = wbxml ? pdm__wbxml_decode(&d, buf, len, NULL, &e)
               : pdm__xml_decode(&d, buf, len, NULL, &e);
    pdm__free(buf);
    if (rc != PDM_OK || !d.root) {
        cli_err("transcript: %s: %s", path, rc != PDM_OK ? e.msg : "empty");
        pdm__doc_free(&d);
        return CLI_BADINPUT;
    }
    hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
    body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    {
        long m = 0;
        const char *mid = hdr ? txt(hdr, PDM_TAG_MSGID) : NULL;
        if (mid)
            pdm__parse_long(mid, 0, 0x7fffffffL, &m);
        t->msg_id = (unsigned)m;
        printf("%s  message %ld (%zu bytes %s)%s\n",
               from_server ? "server -> device" : "device -> server", m, len,
               wbxml ? "WBXML" : "XML",
               hdr && pdm__el_child(hdr, PDM_TAG_CRED)
                   ? (from_server ? ", server credentials"
                                  : ", device credentials")
                   : "");
    }
    if (!from_server)
        show_facts(dir, name);
    if (body)
        show_cmds(t, body, from_server, 0);
    putchar('\n');
    pdm__doc_free(&d);
    return CLI_OK;
}

static int transcript_cmd(cli *c, int argc, char **argv)
{
    int rc = cli_simple_opts(&cli_transcript_cmds[0], argc, argv);
    DIR *d;
    struct dirent *ent;
    char **names = NULL;
    size_t n = 0, cap = 0;
    tx t;
    int ex = CLI_OK;

    (void)c;
    if (rc)
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (argc != 2) {
        cli_err("transcript: expected one trace folder");
        return CLI_USAGE;
    }
    if (!(d = opendir(argv[1]))) {
        cli_err("transcript: cannot open %s", argv[1]);
        return CLI_IOERR;
    }
    while ((ent = readdir(d))) {
        if (!strstr(ent->d_name, "-client.") && !strstr(ent->d_name, "-server.") &&
            !strstr(ent->d_name, "-pkg0."))
            continue;
        if (n == cap) {
            char **v = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*v));
            if (!v)
                break;
            names = v;
        }
        names[n++] = strdup(ent->d_name);
    }
    closedir(d);
    if (!n) {
        cli_err("transcript: %s holds no traced messages", argv[1]);
        free(names);
        return CLI_BADINPUT;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < n; i++) {
        if (ex == CLI_OK && names[i])
            ex = show_message(&t, argv[1], names[i]);
        free(names[i]);
    }
    free(names);
    free(t.a);
    return ex;
}
