/*
 * Fuzz target for the DM session engine (core/src/session/): the input is
 * what a DM server sends back to a client-initiated session, the most
 * exposed surface of the client.
 *
 * Input layout:
 *   byte 0      flags: bit 0   the session speaks WBXML (else XML);
 *                      bit 1-3 content type of server message 1-3
 *                              (set: WBXML, clear: XML);
 *                      bit 4-5 account: srv-none, srv-basic (client Basic
 *                              credentials), srv-md5, srv-hmac (client and
 *                              server credentials: the server is
 *                              challenged);
 *                      bit 6   the device has a UI hook (answers "yes")
 *                      bit 7   persistent: the context has a store, and
 *                              the tree must load again from it (about
 *                              3x slower, so only these inputs pay it)
 *   bytes 1...  up to three server messages separated by SEP ("\n~~~\n");
 *               the session id is always "1".
 *
 * Every context starts from the same factory tree (the accounts and ./Test
 * of tests/session/tree.tnds.xml), in memory or (bit 7) in a store copied
 * from a factory-state template.  Besides memory safety it checks:
 *  - every client message decodes (in the session's encoding) to a SyncML
 *    message with SessionID 1 and MsgIDs 1, 2, 3...;
 *  - once a server message gave a MaxMsgSize, no client message is larger;
 *  - pdm_session_next returns PDM_OK or a pdm_rc, and a session whose
 *    messages ran out ends (transport failure) with a non-OK result;
 *  - pdm_session_result is a valid pdm_rc and the session is bounded (at
 *    most one client message per server message, plus the first);
 *  - persistent inputs: the tree stays loadable: a new context on the
 *    same store opens, and its tree holds exactly the nodes (names,
 *    properties, flags, owners, values) the session left behind.
 *
 * The store lives in $PDM_FUZZ_TMP, else /dev/shm (no fsync cost), else
 * $TMPDIR or /tmp.  $PDM_FUZZ_VERBOSE prints how each session ended.
 */
#define _GNU_SOURCE /* memmem, mkdtemp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <polydm/polydm.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PDM_FUZZ_NODES
#include "fuzz_check.h"

#define SEP "\n~~~\n"
#define MAX_SERVER_MSGS 3

/* The accounts and ./Test of tests/session/tree.tnds.xml (README there). */
static const char factory_tree[] =
    "<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD>"
    "<Node><NodeName>DMAcc</NodeName>"
    "<Node><NodeName>none</NodeName><RTProperties><ACL>Get=srv-none&amp;"
    "Replace=srv-none</ACL><Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0"
    "</DDFName></Type></RTProperties>"
    "<Node><NodeName>AppID</NodeName><Value>w7</Value></Node>"
    "<Node><NodeName>ServerID</NodeName><Value>srv-none</Value></Node>"
    "<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName><Node>"
    "<NodeName>Addr</NodeName><Value>http://srv-none.test/dm</Value></Node>"
    "</Node></Node></Node>"
    "<Node><NodeName>basic</NodeName><RTProperties><Type><DDFName>"
    "urn:oma:mo:oma-dm-dmacc:1.0</DDFName></Type></RTProperties>"
    "<Node><NodeName>ServerID</NodeName><Value>srv-basic</Value></Node>"
    "<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName><Node>"
    "<NodeName>Addr</NodeName><Value>http://srv-basic.test/dm</Value></Node>"
    "</Node></Node>"
    "<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>"
    "<Node><NodeName>AAuthLevel</NodeName><Value>CLCRED</Value></Node>"
    "<Node><NodeName>AAuthType</NodeName><Value>BASIC</Value></Node>"
    "<Node><NodeName>AAuthName</NodeName><Value>Bruce2</Value></Node>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>OhBehave</Value></Node>"
    "</Node></Node></Node>"
    "<Node><NodeName>md5</NodeName><RTProperties><ACL>Get=srv-md5&amp;"
    "Replace=srv-md5</ACL><Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0"
    "</DDFName></Type></RTProperties>"
    "<Node><NodeName>ServerID</NodeName><Value>srv-md5</Value></Node>"
    "<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName><Node>"
    "<NodeName>Addr</NodeName><Value>http://srv-md5.test/dm</Value></Node>"
    "</Node></Node>"
    "<Node><NodeName>AAuthPref</NodeName><Value>DIGEST</Value></Node>"
    "<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>"
    "<Node><NodeName>AAuthLevel</NodeName><Value>CLCRED</Value></Node>"
    "<Node><NodeName>AAuthType</NodeName><Value>DIGEST</Value></Node>"
    "<Node><NodeName>AAuthName</NodeName><Value>Bruce2</Value></Node>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>OhBehave</Value></Node>"
    "<Node><NodeName>AAuthData</NodeName><Value>Tm9uY2U=</Value></Node>"
    "</Node><Node><NodeName>2</NodeName>"
    "<Node><NodeName>AAuthLevel</NodeName><Value>SRVCRED</Value></Node>"
    "<Node><NodeName>AAuthType</NodeName><Value>DIGEST</Value></Node>"
    "<Node><NodeName>AAuthName</NodeName><Value>srv-md5</Value></Node>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>srvpw</Value></Node>"
    "<Node><NodeName>AAuthData</NodeName><Value>c3J2bm9uY2U=</Value></Node>"
    "</Node></Node></Node>"
    "<Node><NodeName>hmac</NodeName><RTProperties><Type><DDFName>"
    "urn:oma:mo:oma-dm-dmacc:1.0</DDFName></Type></RTProperties>"
    "<Node><NodeName>ServerID</NodeName><Value>srv-hmac</Value></Node>"
    "<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName><Node>"
    "<NodeName>Addr</NodeName><Value>http://srv-hmac.test/dm</Value></Node>"
    "</Node></Node>"
    "<Node><NodeName>AppAuth</NodeName><Node><NodeName>1</NodeName>"
    "<Node><NodeName>AAuthLevel</NodeName><Value>CLCRED</Value></Node>"
    "<Node><NodeName>AAuthType</NodeName><Value>HMAC</Value></Node>"
    "<Node><NodeName>AAuthName</NodeName><Value>Bruce2</Value></Node>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>OhBehave</Value></Node>"
    "<Node><NodeName>AAuthData</NodeName><Value>Tm9uY2U=</Value></Node>"
    "</Node><Node><NodeName>2</NodeName>"
    "<Node><NodeName>AAuthLevel</NodeName><Value>SRVCRED</Value></Node>"
    "<Node><NodeName>AAuthType</NodeName><Value>HMAC</Value></Node>"
    "<Node><NodeName>AAuthName</NodeName><Value>srv-hmac</Value></Node>"
    "<Node><NodeName>AAuthSecret</NodeName><Value>srvpw</Value></Node>"
    "<Node><NodeName>AAuthData</NodeName><Value>c3J2bm9uY2U=</Value></Node>"
    "</Node></Node></Node>"
    "</Node>"
    "<Node><NodeName>Test</NodeName><RTProperties><ACL>Add=*&amp;Get=*&amp;"
    "Replace=*&amp;Delete=*&amp;Exec=*</ACL></RTProperties>"
    "<Node><NodeName>leaf</NodeName><RTProperties><Format><chr/></Format>"
    "<Type><MIME>text/plain</MIME></Type></RTProperties><Value>hello</Value>"
    "</Node>"
    "<Node><NodeName>dir</NodeName>"
    "<Node><NodeName>a</NodeName><Value>1</Value></Node>"
    "<Node><NodeName>b</NodeName><Value>2</Value></Node></Node>"
    "<Node><NodeName>locked</NodeName><RTProperties><ACL>Get=nobody&amp;"
    "Replace=nobody</ACL></RTProperties><Value>keep out</Value></Node>"
    "<Node><NodeName>bin</NodeName><RTProperties><Format><bin/></Format>"
    "</RTProperties><Value>AAEC/w==</Value></Node>"
    "</Node></MgmtTree>\n";

static const char profile_text[] =
    "[profile]\nid = fuzz-session\nfactory_tree = tree.tnds.xml\n"
    "[device]\ndevid = IMEI:493005100592800\nman = polydm\nmod = test\n"
    "dmv = 1.2\nlang = en\nmax_depth = 12\nmax_tot_len = 256\n"
    "max_seg_len = 40\n"
    "[session]\nserver_auth = false\nmax_msg_size = 65536\n"
    "max_obj_size = 16384\n";

static const char *const accounts[] = {"srv-none", "srv-basic", "srv-md5",
                                       "srv-hmac"};

static char workdir[512], profile_path[600], state_dir[600];
static bool verbose; /* $PDM_FUZZ_VERBOSE: each session's outcome */

static int ui_yes(void *user, const pdm_ui_request *rq, pdm_ui_response *rs)
{
    (void)user;
    rs->accepted = 1;
    snprintf(rs->text, sizeof rs->text, "fuzz");
    if (rq->nchoices) {
        rs->chosen[0] = 1;
        rs->nchosen = 1;
    }
    return PDM_OK;
}

static pdm_ctx *open_ctx(bool ui, bool store)
{
    static pdm_device_hooks hooks;
    pdm_config cfg;
    pdm_ctx *ctx = NULL;
    int rc;
    memset(&hooks, 0, sizeof hooks);
    hooks.struct_size = sizeof hooks;
    hooks.ui = ui ? ui_yes : NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.flags = PDM_CTX_NO_PLUGINS | (store ? 0 : PDM_CTX_NO_STORE);
    cfg.profile = profile_path;
    cfg.state_dir = store ? state_dir : NULL;
    cfg.hooks = &hooks;
    cfg.log_level = PDM_LOG_ERROR;
    rc = pdm_ctx_open(&ctx, &cfg);
    if (rc != PDM_OK)
        fprintf(stderr, "fuzz_session: context: %s\n", pdm_ctx_last_error(ctx));
    CHECK(rc == PDM_OK);
    return ctx;
}

/* Store files of the state directory, and the factory state every input
 * starts from (a fresh store takes a few ms more to create than to copy). */
static const char *const db_files[] = {"polydm.db", "polydm.db-wal",
                                       "polydm.db-shm", "polydm.db-journal"};
static uint8_t *template_db;
static size_t template_len;

static void reset_store(void)
{
    char p[700];
    FILE *f;
    for (size_t i = 0; i < PDM__ARRAY_LEN(db_files); i++) {
        snprintf(p, sizeof p, "%s/%s", state_dir, db_files[i]);
        unlink(p);
    }
    if (!template_db)
        return;
    snprintf(p, sizeof p, "%s/polydm.db", state_dir);
    f = fopen(p, "wb");
    CHECK(f && fwrite(template_db, 1, template_len, f) == template_len &&
          fclose(f) == 0);
}

static void cleanup(void)
{
    char p[700];
    reset_store();
    rmdir(state_dir);
    snprintf(p, sizeof p, "%s/tree.tnds.xml", workdir);
    unlink(p);
    unlink(profile_path);
    rmdir(workdir);
    pdm__free(template_db);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void setup(void)
{
    const char *base = getenv("PDM_FUZZ_TMP");
    char p[700];
    if (!base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(workdir, sizeof workdir, "%s/pdm-fuzz-session.XXXXXX",
             base ? base : "/tmp");
    CHECK(mkdtemp(workdir));
    snprintf(profile_path, sizeof profile_path, "%s/fuzz.profile", workdir);
    snprintf(state_dir, sizeof state_dir, "%s/state", workdir);
    atexit(cleanup);
    snprintf(p, sizeof p, "%s/tree.tnds.xml", workdir);
    write_file(p, factory_tree);
    write_file(profile_path, profile_text);
    /* The factory state: a new store with the factory tree, closed (its
     * WAL checkpointed), kept as bytes. */
    pdm_ctx_close(open_ctx(false, true));
    snprintf(p, sizeof p, "%s/polydm.db-wal", state_dir);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/polydm.db", state_dir);
    CHECK(pdm__read_file(p, 64u << 20, &template_db, &template_len) ==
          PDM_OK);
}

/* Node by node: what a reopened store loads is what the tree held. */
static void same_tree(const pdm__node *a, const pdm__node *b)
{
    const pdm__node *ca, *cb;
    fuzz_same_node(a, b);
    CHECK(pdm__node_child_count(a) == pdm__node_child_count(b));
    for (ca = pdm__node_first_child(a); ca; ca = pdm__node_next_sibling(ca)) {
        const char *n = pdm__node_name(ca);
        /* children may load in another order: find by name */
        for (cb = pdm__node_first_child(b);
             cb && !fuzz_same_str(n, pdm__node_name(cb));
             cb = pdm__node_next_sibling(cb))
            ;
        CHECK(cb);
        same_tree(ca, cb);
    }
}

static bool valid_rc(int rc)
{
    return rc == PDM_OK || rc == PDM_PENDING ||
           (rc <= PDM_ERROR && rc >= PDM_ECOMMAND);
}

/* Checks one client message; returns its MsgID. */
static long check_client_msg(const pdm_message *m, bool wbxml, long last_id)
{
    pdm__doc d;
    pdm__codec_err e;
    const pdm__el *hdr;
    const char *sid, *mid;
    long id = -1;
    CHECK(m->content_type &&
          strcmp(m->content_type, wbxml ? "application/vnd.syncml.dm+wbxml"
                                        : "application/vnd.syncml.dm+xml") ==
              0);
    CHECK(m->url && m->url[0]);
    pdm__doc_init(&d);
    CHECK((wbxml ? pdm__wbxml_decode(&d, m->body, m->len, NULL, &e)
                 : pdm__xml_decode(&d, m->body, m->len, NULL, &e)) == PDM_OK);
    CHECK(d.root && d.root->tag == PDM_TAG_SYNCML);
    hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
    CHECK(hdr && pdm__el_child(d.root, PDM_TAG_SYNCBODY));
    sid = pdm__el_child_text(hdr, PDM_TAG_SESSIONID);
    mid = pdm__el_child_text(hdr, PDM_TAG_MSGID);
    CHECK(sid && strcmp(sid, "1") == 0);
    CHECK(mid && pdm__parse_long(mid, 1, 0x7fffffffL, &id) == PDM_OK);
    CHECK(id == last_id + 1);
    pdm__doc_free(&d);
    return id;
}

/* The server's MaxMsgSize in a message, or 0 (none, or not a number the
 * client would use).  Same decoding rules as the session. */
static long server_max_msg(const uint8_t *body, size_t len, bool wbxml)
{
    pdm__doc d;
    pdm__codec_err e;
    pdm__codec_limits lim = {65536, 0, 0};
    const pdm__el *hdr, *meta;
    const char *v;
    long n = 0;
    pdm__doc_init(&d);
    if ((wbxml ? pdm__wbxml_decode(&d, body, len, &lim, &e)
               : pdm__xml_decode(&d, body, len, &lim, &e)) == PDM_OK &&
        d.root && d.root->tag == PDM_TAG_SYNCML &&
        (hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR)) &&
        (meta = pdm__el_child(hdr, PDM_TAG_META)) &&
        (v = pdm__el_child_text(meta, PDM_TAG_MI_MAXMSGSIZE)) &&
        pdm__parse_long(v, 1, 0x7fffffffL, &n) != PDM_OK)
        n = 0;
    pdm__doc_free(&d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *msgs[MAX_SERVER_MSGS];
    size_t lens[MAX_SERVER_MSGS], nmsgs = 0;
    uint8_t flags;
    bool wbxml, persist;
    pdm_ctx *ctx;
    pdm_session *s = NULL;
    pdm_session_opts so;
    pdm_message m;
    long limit = 0, last_id = 0;
    size_t sent = 0, replied = 0;
    int rc;

    if (size < 1)
        return 0;
    if (!workdir[0]) {
        setup();
        verbose = getenv("PDM_FUZZ_VERBOSE") != NULL;
    }
    flags = data[0];
    wbxml = flags & 1;
    persist = flags & 0x80;
    /* Split the rest into at most three server messages. */
    {
        const uint8_t *p = data + 1, *end = data + size;
        while (nmsgs < MAX_SERVER_MSGS) {
            const uint8_t *sep =
                nmsgs + 1 < MAX_SERVER_MSGS
                    ? memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1)
                    : NULL;
            msgs[nmsgs] = p;
            lens[nmsgs++] = (size_t)((sep ? sep : end) - p);
            if (!sep)
                break;
            p = sep + sizeof SEP - 1;
        }
    }

    if (persist)
        reset_store();
    ctx = open_ctx(flags & 0x40, persist);
    memset(&so, 0, sizeof so);
    so.struct_size = sizeof so;
    so.flags = wbxml ? PDM_SESSION_WBXML : 0;
    so.server_id = accounts[(flags >> 4) & 3];
    so.session_id = "1";
    CHECK(pdm_session_open(&s, ctx, &so) == PDM_OK);

    for (;;) {
        rc = pdm_session_next(s, &m);
        CHECK(valid_rc(rc) && rc != PDM_PENDING);
        if (rc != PDM_OK || !m.body) {
            CHECK(!m.body);
            break;
        }
        sent++;
        /* Bounded: one message to start, then one per server message. */
        CHECK(sent <= replied + 1);
        /* The session abort after a refused server message is exempt:
         * the MaxMsgSize of a message the client did not accept is not
         * known to it. */
        if (limit > 0 && pdm_session_result(s) == PDM_OK)
            CHECK(m.len <= (size_t)limit);
        last_id = check_client_msg(&m, wbxml, last_id);
        if (replied == nmsgs) {
            /* The server has nothing more to say: the connection drops. */
            pdm_session_transport_failed(s, PDM_EIO);
            CHECK(pdm_session_next(s, &m) == PDM_OK && !m.body);
            CHECK(pdm_session_result(s) != PDM_OK);
            break;
        }
        {
            bool wb = (flags >> (1 + replied)) & 1;
            long l = server_max_msg(msgs[replied], lens[replied], wb);
            rc = pdm_session_reply(s, msgs[replied], lens[replied],
                                   wb ? "application/vnd.syncml.dm+wbxml"
                                      : "application/vnd.syncml.dm+xml",
                                   NULL);
            CHECK(valid_rc(rc) && rc != PDM_PENDING);
            if (l > 0)
                limit = l;
        }
        replied++;
    }
    rc = pdm_session_result(s);
    CHECK(valid_rc(rc) && rc != PDM_PENDING);
    if (verbose)
        fprintf(stderr, "fuzz_session: %zu sent, %zu replies: %s (%s)\n", sent,
                replied, pdm_strerror(rc), pdm_session_error(s));
    CHECK(pdm_session_error(s) != NULL);
    pdm_session_close(s);

    /* The store holds what the tree holds, and loads again. */
    if (persist) {
        pdm_ctx *again = open_ctx(false, true);
        CHECK(pdm__tree_count(ctx->tree) == pdm__tree_count(again->tree));
        same_tree(pdm__tree_root(ctx->tree), pdm__tree_root(again->tree));
        pdm_ctx_close(again);
    }
    pdm_ctx_close(ctx);
    return 0;
}
