/*
 * Unit tests of the WBXML codec (core/src/codec/wbxml.c): real messages
 * from peers and public test vectors, header variants, every token kind,
 * hostile inputs, allocation failures, exact encoder bytes, round trips
 * and libwbxml2's command-line tools as an oracle.
 */
#define _POSIX_C_SOURCE 200809L
#include "cu_main.h"
#include "codec/codec.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH(...) ((const uint16_t[]){__VA_ARGS__, 0})

static const char FPI12[] = "-//SYNCML//DTD SyncML 1.2//EN"; /* 29 bytes */

/* ---- helpers ------------------------------------------------------------ */

/* Appends hex bytes ("02 A4 01"), ignoring spaces. */
static void hx(pdm__buf *b, const char *hex)
{
    while (*hex) {
        unsigned v;
        if (*hex == ' ') {
            hex++;
            continue;
        }
        if (sscanf(hex, "%2x", &v) != 1)
            abort();
        pdm__buf_putc(b, (int)v);
        hex += 2;
    }
}
/* Appends a string with its NUL (STR_I payload, string-table entry). */
static void sz(pdm__buf *b, const char *s) { pdm__buf_append(b, s, strlen(s) + 1); }

static int decode(pdm__doc *d, const void *p, size_t n,
                  const pdm__codec_limits *lim, pdm__codec_err *e)
{
    pdm__doc_init(d);
    return pdm__wbxml_decode(d, p, n, lim, e);
}

static int decode_buf(pdm__doc *d, const pdm__buf *b, pdm__codec_err *e)
{
    return decode(d, b->data, b->len, NULL, e);
}

static const char *text_at(const pdm__el *el, const uint16_t *path)
{
    const pdm__el *e = pdm__el_path(el, path);
    return e && e->text ? (const char *)e->text : NULL;
}

static pdm__el *nth(const pdm__el *parent, pdm__tag tag, int n)
{
    pdm__el *c = pdm__el_child(parent, tag);
    while (c && n-- > 0)
        c = pdm__el_next(c, tag);
    return c;
}

static size_t count(const pdm__el *parent, pdm__tag tag)
{
    size_t n = 0;
    for (const pdm__el *c = parent ? parent->first : NULL; c; c = c->next)
        if (tag == PDM_TAG_NONE || c->tag == tag)
            n++;
    return n;
}

static size_t count_all(const pdm__el *el)
{
    size_t n = 0;
    for (; el; el = el->next)
        n += 1 + count_all(el->first);
    return n;
}

/* Structural equality: tags, literal names, text bytes, OPAQUE flag,
 * attributes, children.  On mismatch writes a reason to why. */
static bool el_equal(const pdm__el *a, const pdm__el *b, char *why,
                     size_t wn)
{
    for (; a && b; a = a->next, b = b->next) {
        const pdm__attr *x = a->attrs, *y = b->attrs;
        if (a->tag != b->tag) {
            snprintf(why, wn, "tag %u vs %u", a->tag, b->tag);
            return false;
        }
        if (a->tag == PDM_TAG_UNKNOWN && strcmp(a->name, b->name) != 0) {
            snprintf(why, wn, "literal %s vs %s", a->name, b->name);
            return false;
        }
        if (!a->text != !b->text || a->len != b->len ||
            (a->text && memcmp(a->text, b->text, a->len) != 0)) {
            snprintf(why, wn, "text of <%s>", pdm__el_name(a));
            return false;
        }
        /* text with a NUL byte can only travel as OPAQUE */
        if ((a->flags & PDM_EL_OPAQUE) != (b->flags & PDM_EL_OPAQUE) &&
            !(a->text && memchr(a->text, 0, a->len))) {
            snprintf(why, wn, "opaque flag of <%s>", pdm__el_name(a));
            return false;
        }
        for (; x && y; x = x->next, y = y->next)
            if (strcmp(x->name, y->name) != 0 ||
                strcmp(x->value, y->value) != 0) {
                snprintf(why, wn, "attr %s=%s vs %s=%s", x->name, x->value,
                         y->name, y->value);
                return false;
            }
        if (x || y) {
            snprintf(why, wn, "attribute count of <%s>", pdm__el_name(a));
            return false;
        }
        if (!el_equal(a->first, b->first, why, wn))
            return false;
    }
    if (a || b) {
        snprintf(why, wn, "child count");
        return false;
    }
    return true;
}

static bool doc_equal(const pdm__doc *a, const pdm__doc *b)
{
    char why[200] = "";
    bool eq = a->lang == b->lang && el_equal(a->root, b->root, why, sizeof why);
    if (!eq)
        fprintf(stderr, "\n  docs differ: %s (lang %u/%u)\n", why, a->lang,
                b->lang);
    return eq;
}

/* encode(d) then decode: must be structurally equal. */
static void check_round_trip(const pdm__doc *d, const pdm__wbxml_opts *o)
{
    pdm__buf b;
    pdm__doc d2;
    pdm__codec_err e;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(pdm__wbxml_encode(&b, d, o, &e), PDM_OK);
    CU_ASSERT_EQUAL(decode_buf(&d2, &b, &e), PDM_OK);
    CU_ASSERT_TRUE(doc_equal(d, &d2));
    pdm__doc_free(&d2);
    pdm__buf_free(&b);
}

static void check_fails(const pdm__buf *b, int want_rc)
{
    pdm__doc d;
    pdm__codec_err e;
    int rc = decode_buf(&d, b, &e);
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_EQUAL(e.rc, want_rc);
    CU_ASSERT_TRUE(e.msg[0] != '\0');
    if (rc != want_rc)
        fprintf(stderr, "\n  rc %d (want %d): %s\n", rc, want_rc, e.msg);
    pdm__doc_free(&d);
}

/* SyncML 1.2 header with the numeric public id, then hex body. */
static void syncml_doc(pdm__buf *b, const char *body_hex)
{
    pdm__buf_init(b);
    hx(b, "02 A4 01 6A 00");
    hx(b, body_hex);
}

static const char *attr(const pdm__el *el, const char *name)
{
    return el ? pdm__el_attr(el, name) : NULL;
}

/* i-th child (any tag) */
static pdm__el *child(const pdm__el *p, int i)
{
    pdm__el *c = p ? p->first : NULL;
    while (c && i-- > 0)
        c = c->next;
    return c;
}

/* First parm under el whose name attribute is `name`. */
static const char *parm(const pdm__el *el, const char *name)
{
    for (pdm__el *c = el ? el->first : NULL; c; c = c->next)
        if (c->tag == PDM_TAG_PROV_PARM && attr(c, "name") &&
            strcmp(attr(c, "name"), name) == 0)
            return attr(c, "value");
    return NULL;
}

/* First characteristic child with type == type. */
static pdm__el *charac(const pdm__el *el, const char *type, int n)
{
    for (pdm__el *c = el ? el->first : NULL; c; c = c->next)
        if (c->tag == PDM_TAG_PROV_CHARACTERISTIC && attr(c, "type") &&
            strcmp(attr(c, "type"), type) == 0 && n-- == 0)
            return c;
    return NULL;
}

static bool has_bytes(const pdm__buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->data + i, p, n) == 0)
            return true;
    return false;
}

/* ---- real messages ------------------------------------------------------ */

/* Server package 2 with the SyncML *1.1* FPI in the string table but
 * VerDTD 1.2: decoded with the 1.2 tables. */
static void test_wbxml__cm_testadd(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/vectors/cm_dm12_testadd.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_SYNCML12);
    CU_ASSERT_EQUAL(d.wbxml_version, 0x02);
    CU_ASSERT_EQUAL(d.public_id, 0);
    pdm__el *r = d.root, *hdr = pdm__el_child(r, PDM_TAG_SYNCHDR);
    CU_ASSERT_EQUAL(r->tag, PDM_TAG_SYNCML);
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_VERDTD)), "1.2");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_VERPROTO)), "DM/1.2");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SESSIONID)), "30483");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_MSGID)), "1");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)), "000000011234564");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                   "http://10.72.34.217:80/Manage");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_RESPURI)), "http://10.72.34.217/Scts?4ELIAA==");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_CRED, PDM_TAG_META, PDM_TAG_MI_FORMAT)), "b64");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_CRED, PDM_TAG_META, PDM_TAG_MI_TYPE)),
                   "syncml:auth-basic");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_CRED, PDM_TAG_DATA)), "U2N0czpTYW1wbGVDbGllbnQ=");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_META, PDM_TAG_MI_MAXMSGSIZE)), "3500");
    pdm__el *body = pdm__el_child(r, PDM_TAG_SYNCBODY);
    CU_ASSERT_EQUAL(count(body, PDM_TAG_STATUS), 3);
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_STATUS, 0), PATH(PDM_TAG_CMD)), "SyncHdr");
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_STATUS, 0), PATH(PDM_TAG_DATA)), "212");
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_STATUS, 1), PATH(PDM_TAG_DATA)), "200");
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_STATUS, 2), PATH(PDM_TAG_CMD)), "Replace");
    pdm__el *item = pdm__el_path(body, PATH(PDM_TAG_ADD, PDM_TAG_ITEM));
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)), "./TestLeafNode");
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_META, PDM_TAG_MI_FORMAT)), "node");
    pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_PTR_NOT_NULL(data->text); /* empty STR_I: "" not NULL */
    CU_ASSERT_EQUAL(data->len, 0);
    pdm__el *fin = pdm__el_child(body, PDM_TAG_FINAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fin);
    CU_ASSERT_TRUE(fin->flags & PDM_EL_EMPTY_TAG);
    CU_ASSERT_PTR_NULL(fin->text);
    pdm__doc_free(&d);
    free(buf);
}

static void test_wbxml__cm_testget_delete(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/vectors/cm_dm12_testget.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    pdm__el *body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_GET, PDM_TAG_CMDID)), "4");
    PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_GET, PDM_TAG_ITEM, PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                   "./DevDetail/URI/MaxDepth");
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_SYNCHDR, PDM_TAG_RESPURI)),
                   "http://10.72.34.217/Scts?0JTIAA==");
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_SYNCHDR, PDM_TAG_SESSIONID)), "22100");
    pdm__doc_free(&d);
    free(buf);

    buf = pdm_test_read("tests/data/vectors/cm_dm12_testdelete.wbxml", &n);
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    CU_ASSERT_EQUAL(count(body, PDM_TAG_DELETE), 2);
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_DELETE, 0),
                           PATH(PDM_TAG_ITEM, PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                   "./TestLeafNode");
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_DELETE, 1),
                           PATH(PDM_TAG_ITEM, PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                   "./TestLeaf");
    PDM_ASSERT_STR(text_at(nth(body, PDM_TAG_DELETE, 1), PATH(PDM_TAG_CMDID)), "5");
    pdm__doc_free(&d);
    free(buf);
}

/* pdm__wbxml_decode_hdr stops after the root's SyncHdr: a message cut in
 * its body still gives the header (pdm_message_session_id). */
static void test_wbxml__header_only(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/vectors/cm_dm12_testget.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    pdm__el *h;
    CU_ASSERT_FATAL(n > 16);
    /* the body cut short: a full decode fails, the header is there */
    CU_ASSERT_EQUAL(decode(&d, buf, n - 8, NULL, &e), PDM_EPARSE);
    pdm__doc_free(&d);
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL_FATAL(pdm__wbxml_decode_hdr(&d, buf, n - 8, NULL, &e),
                          PDM_OK);
    h = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
    PDM_ASSERT_STR(h ? pdm__el_child_text(h, PDM_TAG_SESSIONID) : NULL,
                   "22100");
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_SYNCHDR, PDM_TAG_RESPURI)),
                   "http://10.72.34.217/Scts?0JTIAA==");
    CU_ASSERT_PTR_NULL(pdm__el_child(d.root, PDM_TAG_SYNCBODY));
    pdm__doc_free(&d);
    /* cut inside the header: still an error */
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode_hdr(&d, buf, 12, NULL, &e), PDM_EPARSE);
    pdm__doc_free(&d);
    free(buf);
}

/* Client package 1: LocName, Alert 1201, Replace with nine DevInfo items. */
static void test_wbxml__cm_testreplace(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/vectors/cm_dm12_testreplace.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    pdm__el *hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SESSIONID)), "24673");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                   "http://10.72.41.182:80/Manage");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_TARGET, PDM_TAG_LOCNAME)), "Scts");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)), "000000011234564");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCNAME)), "SampleServer");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_CRED, PDM_TAG_DATA)),
                   "U2FtcGxlU2VydmVyOlNhbXBsZVNlcnZlcg==");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_META, PDM_TAG_MI_MAXMSGSIZE)), "3500");
    pdm__el *body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_ALERT, PDM_TAG_DATA)), "1201");
    pdm__el *rep = pdm__el_child(body, PDM_TAG_REPLACE);
    CU_ASSERT_EQUAL(count(rep, PDM_TAG_ITEM), 9);
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 0), PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                   "./DevInfo/DevId");
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 1), PATH(PDM_TAG_DATA)), "1.2");
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 2), PATH(PDM_TAG_DATA)), "en");
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 3), PATH(PDM_TAG_DATA)),
                   "Motorola, Copyright 2005");
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 4), PATH(PDM_TAG_DATA)), "A780");
    PDM_ASSERT_STR(text_at(nth(rep, PDM_TAG_ITEM, 8), PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                   "./DevInfo/LangAuto");
    CU_ASSERT_PTR_NOT_NULL(pdm__el_child(body, PDM_TAG_FINAL));
    pdm__doc_free(&d);
    free(buf);
}

/* Funambol DM-profile bootstrap: string-table FPI without NUL, an outer
 * OPAQUE Data of 1291 bytes (itself a WBXML document) and one stray END
 * after the root (the OPAQUE is declared a byte short). */
static void test_wbxml__funambol_dm_bootstrap(void)
{
    size_t n;
    unsigned char *buf =
        pdm_test_read("tests/data/transcripts/funambol_dm_profile_bootstrap.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL(n, 1505);
    CU_ASSERT_EQUAL(buf[4], 0x1D); /* 29-byte table = FPI without NUL */
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_SYNCML12);
    CU_ASSERT_EQUAL(d.public_id, 0);
    pdm__el *hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SESSIONID)), "0");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)), "IMEI:493005100592800");
    PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                   "http://127.0.0.1:18081/funambol/dm");
    pdm__el *item = pdm__el_path(d.root, PATH(PDM_TAG_SYNCBODY, PDM_TAG_ADD, PDM_TAG_ITEM));
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)), "./Inbox");
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_META, PDM_TAG_MI_FORMAT)), "bin");
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_META, PDM_TAG_MI_TYPE)),
                   "application/vnd.syncml.dmtnds+wbxml");
    pdm__el *data = pdm__el_child(item, PDM_TAG_DATA);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_TRUE(data->flags & PDM_EL_OPAQUE);
    CU_ASSERT_EQUAL(data->len, 1291);
    CU_ASSERT_EQUAL(memcmp(data->text, buf + 0xCF, 1291), 0); /* bytes kept */
    CU_ASSERT_EQUAL(memcmp(data->text, "\x02\x00\x00\x6a\x1d-//SYNCML", 14), 0);
    CU_ASSERT_EQUAL(data->text[1291], 0);
    /* libwbxml reads the same structure: Final lands under SyncML */
    CU_ASSERT_PTR_NOT_NULL(pdm__el_child(d.root, PDM_TAG_FINAL));
    pdm__doc_free(&d);
    free(buf);
}

static void test_wbxml__funambol_cp_w7(void)
{
    size_t n;
    unsigned char *buf =
        pdm_test_read("tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_PROV10);
    CU_ASSERT_EQUAL(d.public_id, 0x0B);
    CU_ASSERT_EQUAL(d.root->tag, PDM_TAG_PROV_DOC);
    PDM_ASSERT_STR(attr(d.root, "version"), "1.0");
    pdm__el *app = charac(d.root, "APPLICATION", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(app);
    PDM_ASSERT_STR(parm(app, "APPID"), "w7");
    PDM_ASSERT_STR(parm(app, "PROVIDER-ID"), "funambol");
    PDM_ASSERT_STR(parm(app, "NAME"), "TestAcc");
    pdm__el *addr = charac(app, "APPADDR", 0);
    PDM_ASSERT_STR(parm(addr, "ADDR"), "http://127.0.0.1:18081/funambol/dm");
    PDM_ASSERT_STR(parm(charac(addr, "PORT", 0), "PORTNBR"), "18081");
    pdm__el *a1 = charac(app, "APPAUTH", 0), *a2 = charac(app, "APPAUTH", 1);
    PDM_ASSERT_STR(parm(a1, "AAUTHLEVEL"), "APPSRV"); /* value token 0x8D */
    PDM_ASSERT_STR(parm(a1, "AAUTHNAME"), "funambol");
    PDM_ASSERT_STR(parm(a1, "AAUTHSECRET"), "srvpwd");
    PDM_ASSERT_STR(parm(a1, "AAUTHDATA"), "c3J2bm9uY2U=");
    PDM_ASSERT_STR(parm(a2, "AAUTHLEVEL"), "CLIENT"); /* no token: STR_I */
    PDM_ASSERT_STR(parm(a2, "AAUTHSECRET"), "funambol");
    CU_ASSERT_PTR_NULL(charac(app, "APPAUTH", 2));
    /* attribute order is kept */
    pdm__el *p0 = child(app, 0);
    PDM_ASSERT_STR(p0->attrs->name, "name");
    PDM_ASSERT_STR(p0->attrs->next->name, "value");
    pdm__doc_free(&d);
    free(buf);
}

/* Mozilla's CHT document: SWITCH_PAGE inside attribute lists, page-0 and
 * page-1 attribute starts, value tokens, a parm without value. */
static void test_wbxml__mozilla_cp(void)
{
    size_t n;
    unsigned char *buf = pdm_test_read("tests/data/vectors/mozilla_cht_cp_codepage.wbxml", &n);
    pdm__doc d;
    pdm__codec_err e;
    CU_ASSERT_EQUAL(n, 501);
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_PROV10);
    CU_ASSERT_EQUAL(d.wbxml_version, 0x03);
    CU_ASSERT_PTR_NULL(d.root->attrs);
    PDM_ASSERT_STR(parm(charac(d.root, "BOOTSTRAP", 0), "NAME"), "CHT_emome");
    pdm__el *w2 = charac(d.root, "APPLICATION", 0), *w4 = charac(d.root, "APPLICATION", 1);
    PDM_ASSERT_STR(parm(w2, "APPID"), "w2");
    PDM_ASSERT_STR(parm(w2, "TO-PROXY"), "WPROXY");
    pdm__el *res = charac(w2, "RESOURCE", 0);
    PDM_ASSERT_STR(parm(res, "URI"), "http://wap.emome.net/");
    /* <parm name="STARTPAGE"/> */
    pdm__el *sp = child(res, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
    PDM_ASSERT_STR(attr(sp, "name"), "STARTPAGE");
    CU_ASSERT_PTR_NULL(attr(sp, "value"));
    PDM_ASSERT_STR(parm(w4, "APPID"), "w4");
    PDM_ASSERT_STR(parm(w4, "ADDR"), "http://mms:8002");
    pdm__el *px = charac(d.root, "PXLOGICAL", 0);
    PDM_ASSERT_STR(parm(px, "PROXY-ID"), "WPROXY");
    PDM_ASSERT_STR(parm(px, "STARTPAGE"), "http://wap.emome.net/");
    pdm__el *phys = charac(px, "PXPHYSICAL", 0);
    PDM_ASSERT_STR(parm(phys, "PHYSICAL-PROXY-ID"), "PROXY1");
    PDM_ASSERT_STR(parm(phys, "PXADDRTYPE"), "IPV4");
    PDM_ASSERT_STR(parm(charac(phys, "PORT", 0), "PORTNBR"), "8080");
    pdm__el *nap = charac(d.root, "NAPDEF", 0);
    PDM_ASSERT_STR(parm(nap, "NAPID"), "CHT_emome");
    PDM_ASSERT_STR(parm(nap, "BEARER"), "GSM-GPRS");
    PDM_ASSERT_STR(parm(nap, "NAP-ADDRESS"), "emome");
    PDM_ASSERT_STR(parm(nap, "NAP-ADDRTYPE"), "APN");
    CU_ASSERT_EQUAL(count(d.root, PDM_TAG_PROV_CHARACTERISTIC), 7);
    pdm__doc_free(&d);
    free(buf);

    buf = pdm_test_read("tests/data/vectors/mozilla_empty_prov.wbxml", &n);
    CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_PROV10);
    CU_ASSERT_EQUAL(d.root->tag, PDM_TAG_PROV_DOC);
    CU_ASSERT_PTR_NULL(d.root->first);
    CU_ASSERT_FALSE(d.root->flags & PDM_EL_EMPTY_TAG); /* 0x45: content */
    pdm__doc_free(&d);
    free(buf);
}

/* Every bench package decodes; spot checks on the ones the issue names. */
static void test_wbxml__bench_packages(void)
{
    char dir[4096];
    DIR *dh;
    struct dirent *de;
    int files = 0;
    snprintf(dir, sizeof dir, "%s/tests/bench/packages", pdm_test_source_dir());
    dh = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name), n;
        char path[4400];
        unsigned char *buf;
        pdm__doc d;
        pdm__codec_err e;
        if (l < 7 || strcmp(de->d_name + l - 6, ".wbxml") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        buf = pdm_test_read(path, &n);
        CU_ASSERT_EQUAL(decode(&d, buf, n, NULL, &e), PDM_OK);
        CU_ASSERT_EQUAL(d.public_id, 0x1201);
        pdm__el *hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
        PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SESSIONID)), "1");
        PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_TARGET, PDM_TAG_LOCURI)), "DMCtest");
        PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                       "http://127.0.0.1:8080/funambol/dm");
        pdm__el *body = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
        PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_STATUS, PDM_TAG_DATA)), "212");
        CU_ASSERT_PTR_NOT_NULL(pdm__el_child(body, PDM_TAG_FINAL));
        if (strcmp(de->d_name, "get-1000.wbxml") == 0) {
            pdm__el *g;
            CU_ASSERT_EQUAL(count(body, PDM_TAG_GET), 1000);
            CU_ASSERT_EQUAL(count_all(d.root), 5020);
            g = nth(body, PDM_TAG_GET, 999);
            PDM_ASSERT_STR(text_at(g, PATH(PDM_TAG_CMDID)), "1001");
            PDM_ASSERT_STR(text_at(g, PATH(PDM_TAG_ITEM, PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                           "./DevDetail/HwV");
        }
        if (strcmp(de->d_name, "replace-sqlite-1000.wbxml") == 0) {
            pdm__el *r0 = nth(body, PDM_TAG_REPLACE, 0), *r9 = nth(body, PDM_TAG_REPLACE, 999);
            pdm__el *data = pdm__el_path(r9, PATH(PDM_TAG_ITEM, PDM_TAG_DATA));
            CU_ASSERT_EQUAL(count(body, PDM_TAG_REPLACE), 1000);
            PDM_ASSERT_STR(text_at(r0, PATH(PDM_TAG_ITEM, PDM_TAG_TARGET, PDM_TAG_LOCURI)),
                           "./Vendor/test/bench/k0000");
            PDM_ASSERT_STR(text_at(r9, PATH(PDM_TAG_ITEM, PDM_TAG_META, PDM_TAG_MI_FORMAT)),
                           "chr");
            PDM_ASSERT_STR(text_at(r9, PATH(PDM_TAG_ITEM, PDM_TAG_META, PDM_TAG_MI_TYPE)),
                           "text/plain");
            CU_ASSERT_PTR_NOT_NULL_FATAL(data);
            PDM_ASSERT_STR((const char *)data->text, "v0999");
            CU_ASSERT_TRUE(data->flags & PDM_EL_OPAQUE); /* libwbxml hack */
        }
        if (strcmp(de->d_name, "trivial.wbxml") == 0)
            CU_ASSERT_EQUAL(count_all(d.root), 20);
        pdm__doc_free(&d);
        free(buf);
        files++;
    }
    closedir(dh);
    CU_ASSERT_TRUE(files >= 10);
}

/* ---- header variants ---------------------------------------------------- */

static void test_wbxml__header_variants(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;

    /* numeric 0x1201, as libdmclient sends */
    syncml_doc(&b, "6D 6C 71 03 31 2E 32 00 01 01 01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.public_id, 0x1201);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_SYNCML12);
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_SYNCHDR, PDM_TAG_VERDTD)), "1.2");
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* string-table FPI, without and with NUL */
    for (int nul = 0; nul < 2; nul++) {
        pdm__buf_init(&b);
        hx(&b, nul ? "02 00 00 6A 1E" : "02 00 00 6A 1D");
        pdm__buf_append(&b, FPI12, 29 + (size_t)nul);
        hx(&b, "6D 2C 01");
        CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
        CU_ASSERT_EQUAL(d.lang, PDM_LANG_SYNCML12);
        CU_ASSERT_EQUAL(d.public_id, 0);
        CU_ASSERT_EQUAL(d.root->first->tag, PDM_TAG_SYNCHDR);
        CU_ASSERT_TRUE(d.root->first->flags & PDM_EL_EMPTY_TAG);
        pdm__doc_free(&d);
        pdm__buf_free(&b);
    }

    /* FPI at a non-zero index, after another string */
    pdm__buf_init(&b);
    hx(&b, "02 00 04 6A 21");
    sz(&b, "abc");
    pdm__buf_append(&b, FPI12, 29);
    hx(&b, "2D");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.root->tag, PDM_TAG_SYNCML);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* WBXML 1.1 and 1.3 version bytes; 1.0 and 1.4 refused */
    for (unsigned v = 0; v <= 4; v++) {
        pdm__buf_init(&b);
        pdm__buf_putc(&b, (int)v);
        hx(&b, "A4 01 6A 00 2D");
        if (v >= 1 && v <= 3) {
            CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
            CU_ASSERT_EQUAL(d.wbxml_version, v);
            pdm__doc_free(&d);
        } else {
            check_fails(&b, PDM_EPARSE);
        }
        pdm__buf_free(&b);
    }

    /* other SyncML public ids use the 1.2 tables (Correlator is 1.2 only) */
    const char *pids[] = {"9F 53", "9F 51", "A4 02", "A4 01"};
    for (size_t i = 0; i < 4; i++) {
        pdm__buf_init(&b);
        hx(&b, "02");
        hx(&b, pids[i]);
        hx(&b, "6A 00 6D 7C 03 78 00 01 01");
        CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
        CU_ASSERT_EQUAL(d.lang, PDM_LANG_SYNCML12);
        PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_CORRELATOR)), "x");
        pdm__doc_free(&d);
        pdm__buf_free(&b);
    }

    /* charsets: 106 (also as a padded mb_u_int32), 3 and 0 accepted */
    const char *charsets[] = {"6A", "80 6A", "03", "00"};
    for (size_t i = 0; i < 4; i++) {
        pdm__buf_init(&b);
        hx(&b, "02 A4 01");
        hx(&b, charsets[i]);
        hx(&b, "00 2D");
        CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
        pdm__doc_free(&d);
        pdm__buf_free(&b);
    }

    /* DDF FPI: page 0 is the DDF page */
    pdm__buf_init(&b);
    hx(&b, "02 00 00 6A 1B");
    sz(&b, "-//OMA//DTD-DM-DDF 1.2//EN");
    hx(&b, "60 77 03 31 2E 32 00 01 64 66 03 78 00 01 01 01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_DDF12);
    CU_ASSERT_EQUAL(d.root->tag, PDM_TAG_DDF_MGMTTREE);
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DDF_VERDTD)), "1.2");
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DDF_NODE, PDM_TAG_DDF_NODENAME)), "x");
    pdm__doc_free(&d);
    pdm__buf_free(&b);
    /* ... and on page 2, as libwbxml writes standalone DDF; page 1 is empty */
    pdm__buf_init(&b);
    hx(&b, "02 00 00 6A 1B");
    sz(&b, "-//OMA//DTD-DM-DDF 1.2//EN");
    hx(&b, "00 02 60 64 66 03 78 00 01 01 01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DDF_NODE, PDM_TAG_DDF_NODENAME)), "x");
    pdm__doc_free(&d);
    b.data[b.len - 10] = 1;
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);

    /* PROV FPI in the string table */
    pdm__buf_init(&b);
    hx(&b, "03 00 00 6A 1E");
    sz(&b, "-//WAPFORUM//DTD PROV 1.0//EN");
    hx(&b, "C5 46 01 01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.lang, PDM_LANG_PROV10);
    PDM_ASSERT_STR(attr(d.root, "version"), "1.0");
    pdm__doc_free(&d);
    pdm__buf_free(&b);
}

static void test_wbxml__header_errors(void)
{
    pdm__buf b;
    /* unknown numeric public id (DevInf 1.2) */
    pdm__buf_init(&b);
    hx(&b, "02 A4 03 6A 00 2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* unknown FPI string */
    pdm__buf_init(&b);
    hx(&b, "02 00 00 6A 04");
    sz(&b, "abc");
    hx(&b, "2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* FPI index outside the string table */
    pdm__buf_init(&b);
    hx(&b, "02 00 05 6A 04");
    sz(&b, "abc");
    hx(&b, "2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* string table longer than the input */
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 7F 00 00");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* bad charset (ISO-8859-1) */
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 04 00 2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* empty input, header only */
    pdm__buf_init(&b);
    check_fails(&b, PDM_EPARSE);
    hx(&b, "02 A4 01 6A 00");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
}

/* ---- tokens ------------------------------------------------------------- */

/* STR_I, OPAQUE (with NUL), ENTITY and STR_T pieces form one text. */
static void test_wbxml__mixed_text(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 03");
    sz(&b, "zz");
    /* SyncML Data: "ab" OPAQUE(00 63) ENTITY(U+263A) STR_T(0) "z" */
    hx(&b, "6D 4F 03 61 62 00 C3 02 00 63 02 CC 3A 83 00 03 7A 00 01 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    pdm__el *data = pdm__el_child(d.root, PDM_TAG_DATA);
    CU_ASSERT_EQUAL(data->len, 10);
    CU_ASSERT_EQUAL(memcmp(data->text, "ab\0c\xe2\x98\xbazzz", 10), 0);
    CU_ASSERT_EQUAL(data->text[10], 0);
    CU_ASSERT_TRUE(data->flags & PDM_EL_OPAQUE);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* text around child elements is concatenated; children keep theirs */
    syncml_doc(&b, "6D 03 61 00 4F 03 78 00 C3 01 79 01 03 62 00 02 81 00 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.root->len, 4);
    PDM_ASSERT_STR((const char *)d.root->text, "ab\xc2\x80");
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DATA)), "xy");
    CU_ASSERT_FALSE(d.root->flags & PDM_EL_OPAQUE);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* entity at the top of the range is fine (4-byte UTF-8) */
    syncml_doc(&b, "4F 02 C3 FF 7F 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    CU_ASSERT_EQUAL(d.root->len, 4);
    CU_ASSERT_EQUAL(memcmp(d.root->text, "\xf4\x8f\xbf\xbf", 4), 0);
    pdm__doc_free(&d);
    pdm__buf_free(&b);
}

/* Meta with MetInf on page 1, DDF inline on page 2, a LITERAL element. */
static void test_wbxml__pages_and_literals(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 09");
    sz(&b, "Vendor");
    sz(&b, "X");
    /* SyncML Item(Meta(p1 Type) p2 MgmtTree(Node(NodeName)) p0 Data)
     * LITERAL_C "Vendor" with text, LITERAL "X" (empty) */
    hx(&b, "6D 54 5A 00 01 53 03 74 00 01 01 00 02 60 64 66 03 6E 00 01 01 01"
           " 00 00 4F 03 64 00 01 01 44 00 03 76 00 01 04 07 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    pdm__el *item = pdm__el_child(d.root, PDM_TAG_ITEM);
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_META, PDM_TAG_MI_TYPE)), "t");
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_DDF_MGMTTREE, PDM_TAG_DDF_NODE,
                                      PDM_TAG_DDF_NODENAME)),
                   "n");
    PDM_ASSERT_STR(text_at(item, PATH(PDM_TAG_DATA)), "d");
    pdm__el *lit = child(d.root, 1), *x = child(d.root, 2);
    CU_ASSERT_EQUAL_FATAL(lit->tag, PDM_TAG_UNKNOWN);
    PDM_ASSERT_STR(lit->name, "Vendor");
    PDM_ASSERT_STR(pdm__el_name(lit), "Vendor");
    PDM_ASSERT_STR((const char *)lit->text, "v");
    CU_ASSERT_EQUAL_FATAL(x->tag, PDM_TAG_UNKNOWN);
    PDM_ASSERT_STR(x->name, "X");
    CU_ASSERT_TRUE(x->flags & PDM_EL_EMPTY_TAG);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* tag on a page that does not exist */
    syncml_doc(&b, "6D 00 05 4F 01 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
}

/* Processing instructions are skipped before, inside and after the root;
 * stray ENDs after the root are tolerated (Funambol), nothing else is. */
static void test_wbxml__pi_and_epilog(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 04");
    sz(&b, "pi!");
    hx(&b, "43 04 00 03 61 00 01"      /* PI LITERAL "pi!" STR_I "a" END */
           "6D 43 05 83 00 C3 01 00 02 41 40 61 00 01 4F 03 78 00 01 01" /* in content */
           "43 06 01 01 01");          /* after root, then two ENDs */
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DATA)), "x");
    CU_ASSERT_PTR_NULL(d.root->text);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    syncml_doc(&b, "6D 01 01 05"); /* trailing tag after the stray END */
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "2D 00");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
}

/* PROV attributes: STR_T and ENTITY in values, LITERAL attribute names,
 * SWITCH_PAGE in attribute state, both AAUTHTYPE piece tables. */
static void test_wbxml__prov_attributes(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf_init(&b);
    hx(&b, "03 0B 6A 0D");
    sz(&b, "NAP1");
    sz(&b, "my-attr");
    /* characteristic type=NAPDEF; parm NAPID=STR_T NAP1; parm LITERAL
     * my-attr=v+ENTITY(U+00E9); parm name=BEARER value=GSM-GPRS (token) */
    hx(&b, "45 C6 55 01 87 11 06 83 00 01 87 04 05 03 76 00 02 81 69 01"
           " 87 10 06 AB 01 01"
           /* APPAUTH on page 1: AAUTHTYPE = HTTP- DIGEST , BASIC */
           " C6 00 01 57 01 87 33 06 91 93 90 92 01 01 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    pdm__el *nap = charac(d.root, "NAPDEF", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nap);
    PDM_ASSERT_STR(parm(nap, "NAPID"), "NAP1");
    PDM_ASSERT_STR(attr(child(nap, 1), "my-attr"), "v\xc3\xa9");
    PDM_ASSERT_STR(parm(nap, "BEARER"), "GSM-GPRS");
    PDM_ASSERT_STR(parm(charac(d.root, "APPAUTH", 0), "AAUTHTYPE"), "HTTP-DIGEST,BASIC");
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* older table: 0x80..0x83 with no string table */
    pdm__buf_init(&b);
    hx(&b, "03 0B 6A 00 45 C6 00 01 57 01 87 33 06 81 83 80 82 01 01 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    PDM_ASSERT_STR(parm(charac(d.root, "APPAUTH", 0), "AAUTHTYPE"), "HTTP-DIGEST,BASIC");
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* unknown attribute start / value tokens, value before any start */
    const char *bad[] = {"45 87 7F 01 01", "45 87 05 FF 01 01", "45 87 06 03 61 00 EE 01 01",
                         "45 87 85 01 01", "45 87 05 C3 01 00 01 01",
                         "45 87 05 44 01 01", "45 87 00 01 14 06 85 01 01"};
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        pdm__buf_init(&b);
        hx(&b, "03 0B 6A 00");
        hx(&b, bad[i]);
        check_fails(&b, PDM_EPARSE);
        pdm__buf_free(&b);
    }
    /* attributes on a SyncML element: only LITERAL names */
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 02 61 00 ED 04 00 03 31 00 01 01");
    CU_ASSERT_EQUAL_FATAL(decode_buf(&d, &b, &e), PDM_OK);
    PDM_ASSERT_STR(attr(d.root, "a"), "1");
    pdm__doc_free(&d);
    pdm__buf_free(&b);
    syncml_doc(&b, "ED 05 01 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
}

/* ---- hostile input ------------------------------------------------------ */

/* Every proper prefix of a real message fails cleanly. */
static void test_wbxml__truncation(void)
{
    const char *files[] = {"tests/data/vectors/cm_dm12_testreplace.wbxml",
                           "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml",
                           "tests/data/vectors/mozilla_cht_cp_codepage.wbxml"};
    for (size_t f = 0; f < PDM__ARRAY_LEN(files); f++) {
        size_t n;
        unsigned char *buf = pdm_test_read(files[f], &n);
        for (size_t cut = 0; cut < n; cut++) {
            /* a fresh copy of exactly `cut` bytes so ASan sees overreads */
            unsigned char *p = malloc(cut ? cut : 1);
            pdm__doc d;
            pdm__codec_err e;
            int rc;
            memcpy(p, buf, cut);
            rc = decode(&d, p, cut, NULL, &e);
            CU_ASSERT_EQUAL(rc, PDM_EPARSE);
            CU_ASSERT_TRUE(e.msg[0] != '\0');
            CU_ASSERT_TRUE(e.offset <= cut);
            pdm__doc_free(&d);
            free(p);
        }
        free(buf);
    }
}

static void test_wbxml__hostile(void)
{
    pdm__buf b;
    pdm__codec_err e;
    pdm__doc d;

    /* mb_u_int32: value 2^32, 6 bytes, truncated */
    pdm__buf_init(&b);
    hx(&b, "02 90 80 80 80 00 6A 00 2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    pdm__buf_init(&b);
    hx(&b, "02 80 80 80 80 80 01 6A 00 2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "4F C3 9F FF FF FF 7F 00 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* largest mb_u_int32 accepted by the parser, but as OPAQUE length it
     * exceeds the input */
    syncml_doc(&b, "4F C3 8F FF FF FF 7F 00 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* OPAQUE one byte longer than what is left */
    syncml_doc(&b, "4F C3 03 61 62 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* STR_T and LITERAL index out of range, unterminated STR_I */
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 03 61 62 00 4F 83 03 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 03 61 62 00 04 7F");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    pdm__buf_init(&b);
    hx(&b, "02 A4 01 6A 01 00 04 00"); /* LITERAL with an empty name */
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "4F 03 61 62");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);

    /* the 44-byte input that aborts libwbxml 0.11.8: ENTITY 0x80000000 */
    pdm__buf_init(&b);
    hx(&b, "02 00 00 6A 1D");
    pdm__buf_append(&b, FPI12, 29);
    hx(&b, "6D 4F 02 88 80 80 80 00 01 01");
    CU_ASSERT_EQUAL(b.len, 44);
    check_fails(&b, PDM_EPARSE);
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "0x80000000"));
    CU_ASSERT_EQUAL(e.offset, 36);
    pdm__doc_free(&d);
    pdm__buf_free(&b);
    /* other bad entities: surrogate, above U+10FFFF, NUL */
    const char *ents[] = {"02 83 B0 00", "02 C4 80 00", "02 00"};
    for (size_t i = 0; i < 3; i++) {
        pdm__buf_init(&b);
        hx(&b, "02 A4 01 6A 00 4F");
        hx(&b, ents[i]);
        hx(&b, "01");
        check_fails(&b, PDM_EPARSE);
        pdm__buf_free(&b);
    }

    /* unknown token on page 0 (0x30 is reserved): rc, offset, token */
    syncml_doc(&b, "6D 70 01 01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_EPARSE);
    CU_ASSERT_EQUAL(e.offset, 6);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "0x70"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "offset 6"));
    pdm__doc_free(&d);
    pdm__buf_free(&b);
    /* extension tokens */
    const char *exts[] = {"4F 40 61 00 01", "4F 80 00 01", "4F C0 01", "4F C2 01"};
    for (size_t i = 0; i < 4; i++) {
        syncml_doc(&b, exts[i]);
        check_fails(&b, PDM_EPARSE);
        pdm__buf_free(&b);
    }
    /* missing END, END without element, text outside the root */
    syncml_doc(&b, "6D 6C 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "03 61 00 2D");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* trailing garbage */
    syncml_doc(&b, "6D 12 01 FF");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* NUL in an attribute value */
    pdm__buf_init(&b);
    hx(&b, "03 0B 6A 00 C5 06 C3 02 61 00 01 01");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    /* attribute list or PI cut short */
    pdm__buf_init(&b);
    hx(&b, "03 0B 6A 00 C5 06 03 61 00");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
    syncml_doc(&b, "43 05 03 61");
    check_fails(&b, PDM_EPARSE);
    pdm__buf_free(&b);
}

/* Nesting beyond the depth limit is refused without recursion; deep
 * documents within a raised limit decode. */
static void test_wbxml__limits(void)
{
    pdm__buf b;
    pdm__doc d;
    pdm__codec_err e;
    pdm__codec_limits lim = {0, 0, 0};

    syncml_doc(&b, "");
    for (int i = 0; i < 100000; i++)
        hx(&b, "4E"); /* Cred with content, 100000 deep */
    check_fails(&b, PDM_ETOOBIG);
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_ETOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "64"));
    CU_ASSERT_EQUAL(e.offset, 5 + 64);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* exactly 64 levels pass */
    syncml_doc(&b, "");
    for (int i = 0; i < 64; i++)
        hx(&b, "4E");
    for (int i = 0; i < 64; i++)
        hx(&b, "01");
    CU_ASSERT_EQUAL(decode_buf(&d, &b, &e), PDM_OK);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* 3000 levels with max_depth 5000: the frame stack grows */
    syncml_doc(&b, "");
    for (int i = 0; i < 3000; i++)
        hx(&b, "4E 03 61 00");
    for (int i = 0; i < 3000; i++)
        hx(&b, "01");
    lim.max_depth = 5000;
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode(&d, b.data, b.len, &lim, &e), PDM_OK);
    CU_ASSERT_EQUAL(count_all(d.root), 3000);
    pdm__doc_free(&d);
    lim.max_depth = 2999;
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode(&d, b.data, b.len, &lim, &e), PDM_ETOOBIG);
    pdm__doc_free(&d);
    pdm__buf_free(&b);

    /* element count and message size */
    size_t n;
    unsigned char *buf = pdm_test_read("tests/bench/packages/trivial.wbxml", &n);
    lim = (pdm__codec_limits){0, 0, 19};
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode(&d, buf, n, &lim, &e), PDM_ETOOBIG);
    CU_ASSERT_TRUE(e.msg[0] != '\0');
    pdm__doc_free(&d);
    lim = (pdm__codec_limits){0, 0, 20};
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode(&d, buf, n, &lim, &e), PDM_OK);
    pdm__doc_free(&d);
    lim = (pdm__codec_limits){n - 1, 0, 0};
    pdm__doc_init(&d);
    CU_ASSERT_EQUAL(pdm__wbxml_decode(&d, buf, n, &lim, &e), PDM_ETOOBIG);
    CU_ASSERT_TRUE(e.msg[0] != '\0');
    pdm__doc_free(&d);
    free(buf);
}

/* Deterministic mutations of real files: decoding never crashes, fails
 * only with EPARSE/ETOOBIG, and whatever decodes re-encodes and decodes
 * to the same tree. */
static void test_wbxml__mutations(void)
{
    const char *files[] = {"tests/data/vectors/cm_dm12_testadd.wbxml",
                           "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml",
                           "tests/data/vectors/mozilla_cht_cp_codepage.wbxml",
                           "tests/bench/packages/trivial.wbxml"};
    uint32_t seed = 12345;
    unsigned ok = 0, bad = 0;
    for (size_t f = 0; f < PDM__ARRAY_LEN(files); f++) {
        size_t n;
        unsigned char *orig = pdm_test_read(files[f], &n);
        unsigned char *p = malloc(n);
        for (int iter = 0; iter < 4000; iter++) {
            pdm__doc d;
            pdm__codec_err e;
            int rc, k;
            memcpy(p, orig, n);
            seed = seed * 1103515245u + 12345u;
            k = 1 + (int)((seed >> 16) % 4);
            while (k--) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % n;
                seed = seed * 1103515245u + 12345u;
                p[at] = (unsigned char)(seed >> 16);
            }
            rc = decode(&d, p, n, NULL, &e);
            if (rc == PDM_OK) {
                ok++;
                check_round_trip(&d, NULL);
            } else {
                bad++;
                CU_ASSERT_TRUE(rc == PDM_EPARSE || rc == PDM_ETOOBIG);
                CU_ASSERT_TRUE(e.msg[0] != '\0');
            }
            pdm__doc_free(&d);
        }
        free(p);
        free(orig);
    }
    CU_ASSERT_TRUE(ok > 100);
    CU_ASSERT_TRUE(bad > 100);
}

/* Every allocation may fail: the result is PDM_OK or PDM_ENOMEM, never a
 * crash or a leak (the ASan build checks leaks). */
static void test_wbxml__alloc_failures(void)
{
    const char *files[] = {"tests/data/vectors/cm_dm12_testreplace.wbxml",
                           "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml",
                           "tests/bench/packages/replace-sqlite-100.wbxml"};
    for (size_t f = 0; f <= PDM__ARRAY_LEN(files); f++) {
        size_t n;
        unsigned char *buf;
        pdm__codec_limits lim = {0, 1000, 0};
        if (f < PDM__ARRAY_LEN(files)) {
            buf = pdm_test_read(files[f], &n);
        } else { /* deep, multi-piece text: frame stack and scratch */
            pdm__buf b;
            syncml_doc(&b, "");
            for (int i = 0; i < 300; i++)
                hx(&b, "4E 03 61 62 00 02 81 00");
            for (int i = 0; i < 300; i++)
                hx(&b, "01");
            buf = malloc(b.len);
            memcpy(buf, b.data, b.len);
            n = b.len;
            pdm__buf_free(&b);
        }
        for (long k = 0;; k++) {
            pdm__doc d;
            pdm__codec_err e;
            int rc;
            pdm__doc_init(&d);
            pdm__alloc_fail_after(k);
            rc = pdm__wbxml_decode(&d, buf, n, &lim, &e);
            pdm__alloc_fail_after(-1);
            CU_ASSERT_TRUE(rc == PDM_OK || rc == PDM_ENOMEM);
            if (rc == PDM_ENOMEM)
                CU_ASSERT_TRUE(e.msg[0] != '\0');
            if (rc == PDM_OK) {
                /* and the encoder, failing each allocation in turn */
                for (long j = 0;; j++) {
                    pdm__buf out;
                    int erc;
                    pdm__buf_init(&out);
                    pdm__alloc_fail_after(j);
                    erc = pdm__wbxml_encode(&out, &d, NULL, &e);
                    pdm__alloc_fail_after(-1);
                    CU_ASSERT_TRUE(erc == PDM_OK || erc == PDM_ENOMEM);
                    pdm__buf_free(&out);
                    if (erc == PDM_OK || j > 1000)
                        break;
                }
                pdm__doc_free(&d);
                break;
            }
            pdm__doc_free(&d);
            if (k > 100000) {
                CU_FAIL("decode never succeeded");
                break;
            }
        }
        free(buf);
    }
}

/* ---- encoder ------------------------------------------------------------ */

/* <SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>
 * <Cred><Meta><Format>b64</Format><Type>syncml:auth-basic</Type></Meta>
 * <Data>...</Data></Cred><Meta><MaxMsgSize>3500</MaxMsgSize></Meta>
 * </SyncHdr><SyncBody><Final/></SyncBody></SyncML> */
static void build_small_syncml(pdm__doc *d)
{
    pdm__el *r, *h, *c, *m;
    pdm__doc_init(d);
    d->lang = PDM_LANG_SYNCML12;
    r = pdm__el_add(d, NULL, PDM_TAG_SYNCML);
    h = pdm__el_add(d, r, PDM_TAG_SYNCHDR);
    pdm__el_add_str(d, h, PDM_TAG_VERDTD, "1.2");
    pdm__el_add_str(d, h, PDM_TAG_VERPROTO, "DM/1.2");
    c = pdm__el_add(d, h, PDM_TAG_CRED);
    m = pdm__el_add(d, c, PDM_TAG_META);
    pdm__el_add_str(d, m, PDM_TAG_MI_FORMAT, "b64");
    pdm__el_add_str(d, m, PDM_TAG_MI_TYPE, "syncml:auth-basic");
    pdm__el_add_str(d, c, PDM_TAG_DATA, "U2N0czpTYW1wbGVDbGllbnQ=");
    m = pdm__el_add(d, h, PDM_TAG_META);
    pdm__el_add_str(d, m, PDM_TAG_MI_MAXMSGSIZE, "3500");
    pdm__el_add(d, pdm__el_add(d, r, PDM_TAG_SYNCBODY), PDM_TAG_FINAL);
}

static void test_wbxml__encode_exact(void)
{
    pdm__doc d;
    pdm__buf out, want;
    pdm__codec_err e;
    build_small_syncml(&d);
    pdm__buf_init(&out);
    pdm__buf_init(&want);
    hx(&want, "02 A4 01 6A 00 6D 6C 71 03");
    sz(&want, "1.2");
    hx(&want, "01 72 03");
    sz(&want, "DM/1.2");
    hx(&want, "01 4E 5A 00 01 47 03");
    sz(&want, "b64");
    hx(&want, "01 53 03");
    sz(&want, "syncml:auth-basic");
    hx(&want, "01 01 00 00 4F 03");
    sz(&want, "U2N0czpTYW1wbGVDbGllbnQ=");
    hx(&want, "01 01 5A 00 01 4C 03");
    sz(&want, "3500");
    hx(&want, "01 01 01 00 00 6B 12 01 01");
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(out.len, want.len);
    CU_ASSERT_EQUAL(memcmp(out.data, want.data, want.len), 0);

    /* the encoder appends; string FPI and version options */
    pdm__wbxml_opts o = {0x03, true};
    size_t first = out.len;
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, &o, &e), PDM_OK);
    CU_ASSERT_EQUAL(memcmp(out.data + first, "\x03\x00\x00\x6a\x1e-//SYNCML//DTD SyncML 1.2//EN\0\x6d\x6c",
                           36), 0);
    CU_ASSERT_EQUAL(out.len - first, want.len - 5 + 35);
    pdm__doc_free(&d);
    pdm__buf_free(&out);
    pdm__buf_free(&want);
}

/* The body of every CM vector re-encodes byte for byte (only the header
 * changes to the numeric public id); Funambol's CP document entirely. */
static void test_wbxml__encode_reproduces_files(void)
{
    const char *cm[] = {"tests/data/vectors/cm_dm12_testadd.wbxml",
                        "tests/data/vectors/cm_dm12_testget.wbxml",
                        "tests/data/vectors/cm_dm12_testdelete.wbxml",
                        "tests/data/vectors/cm_dm12_testreplace.wbxml"};
    for (size_t i = 0; i <= PDM__ARRAY_LEN(cm); i++) {
        size_t n, hdr;
        unsigned char *buf = pdm_test_read(
            i < PDM__ARRAY_LEN(cm) ? cm[i]
                                   : "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml",
            &n);
        pdm__doc d;
        pdm__buf out;
        pdm__codec_err e;
        CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
        pdm__buf_init(&out);
        CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
        hdr = i < PDM__ARRAY_LEN(cm) ? 5 + 29 : 4;
        if (i < PDM__ARRAY_LEN(cm))
            CU_ASSERT_EQUAL(memcmp(out.data, "\x02\xa4\x01\x6a\x00", 5), 0);
        CU_ASSERT_EQUAL(out.len - (i < PDM__ARRAY_LEN(cm) ? 5 : 4), n - hdr);
        CU_ASSERT_EQUAL(memcmp(out.data + out.len - (n - hdr), buf + hdr, n - hdr), 0);
        pdm__buf_free(&out);
        pdm__doc_free(&d);
        free(buf);
    }
}

static void test_wbxml__round_trips(void)
{
    pdm__doc d;
    pdm__el *r, *it, *m, *t, *n;
    static const uint8_t bin[] = {0xde, 0x00, 0xad, 0x00, 0x00, 0xbe, 0xef, 0x00};

    /* SyncML with Meta page switches, binary Data, unknown elements */
    build_small_syncml(&d);
    r = pdm__el_child(d.root, PDM_TAG_SYNCBODY);
    it = pdm__el_add(&d, pdm__el_add(&d, r, PDM_TAG_REPLACE), PDM_TAG_ITEM);
    m = pdm__el_add(&d, it, PDM_TAG_META);
    pdm__el_add_str(&d, m, PDM_TAG_MI_FORMAT, "bin");
    pdm__el_add_str(&d, m, PDM_TAG_MI_TYPE, "application/octet-stream");
    pdm__el_add_text(&d, it, PDM_TAG_DATA, bin, sizeof bin); /* NUL: OPAQUE */
    n = pdm__el_add_str(&d, it, PDM_TAG_DATA, "flagged");
    n->flags |= PDM_EL_OPAQUE;
    n = pdm__el_add_str(&d, r, PDM_TAG_UNKNOWN, "lit-text");
    n->name = "VendorExt";
    n = pdm__el_add(&d, n, PDM_TAG_UNKNOWN);
    n->name = "VendorExt"; /* same name: one string-table entry */
    n = pdm__el_add(&d, r, PDM_TAG_UNKNOWN);
    n->name = "Other";
    pdm__el_add_str(&d, r, PDM_TAG_DATA, ""); /* empty but present */
    pdm__el_add_str(&d, r, PDM_TAG_CORRELATOR, "c");
    check_round_trip(&d, NULL);
    pdm__wbxml_opts o = {0x01, true};
    check_round_trip(&d, &o);
    {
        pdm__buf out;
        pdm__codec_err e;
        pdm__buf_init(&out);
        CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
        /* string table: "VendorExt\0Other\0" */
        CU_ASSERT_EQUAL(out.data[4], 16);
        CU_ASSERT_EQUAL(memcmp(out.data + 5, "VendorExt\0Other\0", 16), 0);
        /* OPAQUE len 8 with the binary bytes */
        CU_ASSERT_TRUE(has_bytes(&out, "\xc3\x08\xde\x00\xad", 5));
        pdm__buf_free(&out);
    }
    pdm__doc_free(&d);

    /* standalone TNDS (DDF page 0) and TNDS embedded in SyncML (page 2) */
    for (int embedded = 0; embedded < 2; embedded++) {
        pdm__doc_init(&d);
        d.lang = embedded ? PDM_LANG_SYNCML12 : PDM_LANG_DDF12;
        r = pdm__el_add(&d, NULL, embedded ? PDM_TAG_SYNCML : PDM_TAG_DDF_MGMTTREE);
        t = embedded ? pdm__el_add(&d, r, PDM_TAG_DDF_MGMTTREE) : r;
        pdm__el_add_str(&d, t, PDM_TAG_DDF_VERDTD, "1.2");
        n = pdm__el_add(&d, t, PDM_TAG_DDF_NODE);
        pdm__el_add_str(&d, n, PDM_TAG_DDF_NODENAME, "Inbox");
        m = pdm__el_add(&d, n, PDM_TAG_DDF_RTPROPERTIES);
        pdm__el_add(&d, pdm__el_add(&d, m, PDM_TAG_DDF_FORMAT), PDM_TAG_DDF_NODE_FMT);
        pdm__el_add_str(&d, pdm__el_add(&d, m, PDM_TAG_DDF_TYPE), PDM_TAG_DDF_DDFNAME,
                        "urn:oma:mo:oma-dm-dmacc:1.0");
        pdm__el_add_str(&d, pdm__el_add(&d, n, PDM_TAG_DDF_NODE), PDM_TAG_DDF_VALUE, "v");
        if (embedded)
            pdm__el_add_str(&d, r, PDM_TAG_DATA, "after");
        check_round_trip(&d, NULL);
        if (!embedded) {
            pdm__buf out;
            pdm__codec_err e;
            pdm__buf_init(&out);
            CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
            /* standalone TNDS: DDF tags on page 2, as libwbxml writes them */
            CU_ASSERT_EQUAL(memcmp(out.data, "\x02\x00\x00\x6a\x1b-//OMA//DTD-DM-DDF 1.2//EN\0\x00\x02\x60",
                                   35), 0);
            pdm__buf_free(&out);
        }
        pdm__doc_free(&d);
    }

    /* PROV document with attributes on both pages */
    {
        size_t len;
        unsigned char *buf = pdm_test_read("tests/data/vectors/mozilla_cht_cp_codepage.wbxml", &len);
        pdm__codec_err e;
        CU_ASSERT_EQUAL_FATAL(decode(&d, buf, len, NULL, &e), PDM_OK);
        check_round_trip(&d, NULL);
        /* add attributes without tokens and the AAUTHTYPE pieces */
        n = pdm__el_add(&d, d.root, PDM_TAG_PROV_CHARACTERISTIC);
        pdm__el_set_attr(&d, n, "type", "APPAUTH");
        t = pdm__el_add(&d, n, PDM_TAG_PROV_PARM);
        pdm__el_set_attr(&d, t, "name", "AAUTHTYPE");
        pdm__el_set_attr(&d, t, "value", "HTTP-DIGEST,BASIC");
        t = pdm__el_add(&d, n, PDM_TAG_PROV_PARM);
        pdm__el_set_attr(&d, t, "name", "X-VENDOR");
        pdm__el_set_attr(&d, t, "value", "IPV4");
        t = pdm__el_add(&d, n, PDM_TAG_PROV_PARM);
        pdm__el_set_attr(&d, t, "vendor-attr", "q");
        pdm__el_set_attr(&d, t, "name", "");
        pdm__el_set_attr(&d, d.root, "version", "1.0x");
        check_round_trip(&d, NULL);
        pdm__doc_free(&d);
        free(buf);
    }
}

/* PROV attribute encoding picks tokens from both pages, and never emits
 * the disputed AAUTHTYPE piece tokens. */
static void test_wbxml__encode_prov_exact(void)
{
    pdm__doc d;
    pdm__el *c, *p;
    pdm__buf out, want;
    pdm__codec_err e;
    pdm__doc_init(&d);
    d.lang = PDM_LANG_PROV10;
    c = pdm__el_add(&d, NULL, PDM_TAG_PROV_DOC);
    pdm__el_set_attr(&d, c, "version", "1.0");
    c = pdm__el_add(&d, c, PDM_TAG_PROV_CHARACTERISTIC);
    pdm__el_set_attr(&d, c, "type", "APPAUTH");
    p = pdm__el_add(&d, c, PDM_TAG_PROV_PARM);
    pdm__el_set_attr(&d, p, "name", "AAUTHTYPE");
    pdm__el_set_attr(&d, p, "value", "DIGEST");
    p = pdm__el_add(&d, c, PDM_TAG_PROV_PARM);
    pdm__el_set_attr(&d, p, "name", "AAUTHLEVEL");
    pdm__el_set_attr(&d, p, "value", "APPSRV");
    p = pdm__el_add(&d, c, PDM_TAG_PROV_PARM);
    pdm__el_set_attr(&d, p, "name", "PXADDRTYPE"); /* page 0 only */
    pdm__el_set_attr(&d, p, "value", "IPV4");
    pdm__buf_init(&out);
    pdm__buf_init(&want);
    hx(&want, "02 0B 6A 00 C5 46 01 C6 00 01 57 01 87 33 06 03");
    sz(&want, "DIGEST");
    hx(&want, "01 87 30 06 8D 01 87 00 00 21 06 85 01 01 01");
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(out.len, want.len);
    CU_ASSERT_EQUAL(memcmp(out.data, want.data, want.len), 0);
    pdm__buf_free(&out);
    pdm__buf_free(&want);
    pdm__doc_free(&d);
}

static void test_wbxml__encode_errors(void)
{
    pdm__doc d;
    pdm__buf out;
    pdm__codec_err e;
    pdm__wbxml_opts o = {0x04, false};
    pdm__buf_init(&out);
    pdm__buf_puts(&out, "keep");
    pdm__doc_init(&d);
    d.lang = PDM_LANG_SYNCML12;
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_EINVAL); /* no root */
    CU_ASSERT_TRUE(e.msg[0] != '\0');
    pdm__el_add(&d, pdm__el_add(&d, NULL, PDM_TAG_SYNCML), PDM_TAG_PROV_PARM);
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "parm"));
    CU_ASSERT_EQUAL(out.len, 4); /* left as it was */
    PDM_ASSERT_STR((const char *)out.data, "keep");
    d.root->first->tag = PDM_TAG_UNKNOWN; /* no name */
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_EINVAL);
    d.root->first->tag = PDM_TAG_FINAL;
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, &o, &e), PDM_EINVAL); /* version */
    d.lang = PDM_LANG_NONE;
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_EINVAL);
    d.lang = PDM_LANG_DDF12; /* SyncML tags are not DDF */
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_EINVAL);
    CU_ASSERT_EQUAL(out.len, 4);
    d.lang = PDM_LANG_SYNCML12;
    CU_ASSERT_EQUAL(pdm__wbxml_encode(&out, &d, NULL, &e), PDM_OK);
    CU_ASSERT_EQUAL(memcmp(out.data, "keep\x02\xa4\x01\x6a\x00\x6d\x12\x01", 12), 0);
    pdm__doc_free(&d);
    pdm__buf_free(&out);
}

/* ---- libwbxml2 tools as oracle ------------------------------------------ */

static bool have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    if (system(cmd) == 0)
        return true;
    printf("\n  NOTICE: %s not installed, oracle check skipped\n", name);
    return false;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Our encoder's output is readable by libwbxml's wbxml2xml (SyncML, PROV;
 * not a standalone DDF document: libwbxml expects its tags on page 2). */
static void test_wbxml__oracle_wbxml2xml(void)
{
    const char *dir = pdm_test_tmpdir();
    char in[512], outp[512], cmd[1200];
    if (!have_tool("wbxml2xml"))
        return;
    snprintf(in, sizeof in, "%s/enc.wbxml", dir);
    snprintf(outp, sizeof outp, "%s/enc.xml", dir);
    for (int k = 0; k < 2; k++) {
        pdm__doc d;
        pdm__buf b;
        pdm__codec_err e;
        unsigned char *xml;
        const char *expect[6] = {0};
        if (k == 0) {
            build_small_syncml(&d);
            pdm__el *al = pdm__el_add(&d, pdm__el_child(d.root, PDM_TAG_SYNCBODY), PDM_TAG_ALERT);
            pdm__el_add_str(&d, al, PDM_TAG_CMDID, "1");
            pdm__el_add_str(&d, al, PDM_TAG_DATA, "1201");
            expect[0] = "<VerDTD>1.2</VerDTD>";
            expect[1] = "<MaxMsgSize xmlns=\"syncml:metinf\">3500</MaxMsgSize>";
            expect[2] = "<Data>U2N0czpTYW1wbGVDbGllbnQ=</Data>";
            expect[3] = "<Data>1201</Data>";
            expect[4] = "<Final/>";
        } else {
            size_t n;
            unsigned char *buf = pdm_test_read("tests/data/vectors/mozilla_cht_cp_codepage.wbxml", &n);
            CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
            free(buf);
            expect[0] = "<characteristic type=\"APPLICATION\">";
            expect[1] = "<parm name=\"APPID\" value=\"w2\"/>";
            expect[2] = "<parm name=\"PXADDRTYPE\" value=\"IPV4\"/>";
            expect[3] = "<parm name=\"STARTPAGE\"/>";
        }
        pdm__buf_init(&b);
        CU_ASSERT_EQUAL_FATAL(pdm__wbxml_encode(&b, &d, NULL, &e), PDM_OK);
        write_file(in, b.data, b.len);
        remove(outp);
        snprintf(cmd, sizeof cmd, "wbxml2xml -o '%s' '%s' >/dev/null 2>&1", outp, in);
        CU_ASSERT_EQUAL(system(cmd), 0);
        xml = pdm_test_read(outp, NULL);
        for (int i = 0; expect[i]; i++) {
            CU_ASSERT_PTR_NOT_NULL(strstr((char *)xml, expect[i]));
            if (!strstr((char *)xml, expect[i]))
                fprintf(stderr, "\n  missing in wbxml2xml output: %s\n", expect[i]);
        }
        free(xml);
        pdm__buf_free(&b);
        pdm__doc_free(&d);
    }
}

/* We decode what libwbxml's xml2wbxml -v 1.2 produces (string table, STR_T,
 * its OPAQUE Replace/Add Data hack with LF->CRLF, PROV attributes). */
static void test_wbxml__oracle_xml2wbxml(void)
{
    const char *dir = pdm_test_tmpdir();
    char in[512], outp[512], cmd[1200];
    static const char syncml_xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE SyncML PUBLIC \"-//SYNCML//DTD SyncML 1.2//EN\" \"http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd\">\n"
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
        "<VerProto>DM/1.2</VerProto><SessionID>7A</SessionID><MsgID>2</MsgID>"
        "<Target><LocURI>IMEI:493005100592800</LocURI></Target>"
        "<Source><LocURI>http://srv.example/dm</LocURI><LocName>srv</LocName></Source>"
        "<Meta><MaxMsgSize xmlns=\"syncml:metinf\">5000</MaxMsgSize></Meta></SyncHdr>"
        "<SyncBody><Get><CmdID>3</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI>"
        "</Target></Item></Get><Replace><CmdID>4</CmdID><Item><Target>"
        "<LocURI>./Vendor/x</LocURI></Target><Meta><Format xmlns=\"syncml:metinf\">chr</Format>"
        "</Meta><Data>line1\nline2</Data></Item></Replace><Final/></SyncBody></SyncML>\n";
    static const char prov_xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE wap-provisioningdoc PUBLIC \"-//WAPFORUM//DTD PROV 1.0//EN\" \"http://www.wapforum.org/DTD/prov.dtd\">\n"
        "<wap-provisioningdoc version=\"1.0\"><characteristic type=\"APPLICATION\">"
        "<parm name=\"APPID\" value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"dmserver\"/>"
        "<characteristic type=\"APPADDR\"><parm name=\"ADDR\" value=\"http://dm.example:8080/dm\"/>"
        "</characteristic><characteristic type=\"APPAUTH\">"
        "<parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/><parm name=\"AAUTHNAME\" value=\"dmserver\"/>"
        "</characteristic></characteristic></wap-provisioningdoc>\n";
    static const char ddf_xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE MgmtTree PUBLIC \"-//OMA//DTD-DM-DDF 1.2//EN\" \"http://www.openmobilealliance.org/tech/DTD/dm_ddf-v1_2.dtd\">\n"
        "<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD><Node><NodeName>DMAcc</NodeName>"
        "<RTProperties><Format><node/></Format><Type><DDFName>urn:oma:mo:oma-dm-dmacc:1.0</DDFName>"
        "</Type></RTProperties></Node></MgmtTree>\n";
    if (!have_tool("xml2wbxml"))
        return;
    snprintf(in, sizeof in, "%s/in.xml", dir);
    snprintf(outp, sizeof outp, "%s/out.wbxml", dir);
    for (int k = 0; k < 3; k++) {
        size_t n;
        unsigned char *buf;
        pdm__doc d;
        pdm__codec_err e;
        const char *x = k == 0 ? syncml_xml : k == 1 ? prov_xml : ddf_xml;
        write_file(in, x, strlen(x));
        remove(outp);
        snprintf(cmd, sizeof cmd, "xml2wbxml -v 1.2 -o '%s' '%s' >/dev/null 2>&1", outp, in);
        CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
        buf = pdm_test_read(outp, &n);
        CU_ASSERT_EQUAL(buf[0], 0x02);
        CU_ASSERT_EQUAL_FATAL(decode(&d, buf, n, NULL, &e), PDM_OK);
        if (k == 0) {
            pdm__el *hdr = pdm__el_child(d.root, PDM_TAG_SYNCHDR);
            pdm__el *body = pdm__el_child(d.root, PDM_TAG_SYNCBODY), *data;
            CU_ASSERT_EQUAL(d.public_id, 0x1201);
            PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SESSIONID)), "7A");
            PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCURI)),
                           "http://srv.example/dm");
            PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_SOURCE, PDM_TAG_LOCNAME)), "srv");
            PDM_ASSERT_STR(text_at(hdr, PATH(PDM_TAG_META, PDM_TAG_MI_MAXMSGSIZE)), "5000");
            PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_GET, PDM_TAG_ITEM, PDM_TAG_TARGET,
                                              PDM_TAG_LOCURI)),
                           "./DevInfo/Man");
            PDM_ASSERT_STR(text_at(body, PATH(PDM_TAG_REPLACE, PDM_TAG_ITEM, PDM_TAG_META,
                                              PDM_TAG_MI_FORMAT)),
                           "chr");
            data = pdm__el_path(body, PATH(PDM_TAG_REPLACE, PDM_TAG_ITEM, PDM_TAG_DATA));
            CU_ASSERT_PTR_NOT_NULL_FATAL(data);
            CU_ASSERT_TRUE(data->flags & PDM_EL_OPAQUE);
            PDM_ASSERT_STR((const char *)data->text, "line1\r\nline2"); /* libwbxml */
            CU_ASSERT_PTR_NOT_NULL(pdm__el_child(body, PDM_TAG_FINAL));
        } else if (k == 2) { /* standalone DDF, tags on page 2 */
            CU_ASSERT_EQUAL(d.lang, PDM_LANG_DDF12);
            CU_ASSERT_EQUAL(d.root->tag, PDM_TAG_DDF_MGMTTREE);
            PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DDF_NODE, PDM_TAG_DDF_NODENAME)), "DMAcc");
            PDM_ASSERT_STR(text_at(d.root, PATH(PDM_TAG_DDF_NODE, PDM_TAG_DDF_RTPROPERTIES,
                                                PDM_TAG_DDF_TYPE, PDM_TAG_DDF_DDFNAME)),
                           "urn:oma:mo:oma-dm-dmacc:1.0");
            CU_ASSERT_PTR_NOT_NULL(pdm__el_path(d.root, PATH(PDM_TAG_DDF_NODE,
                                                             PDM_TAG_DDF_RTPROPERTIES,
                                                             PDM_TAG_DDF_FORMAT,
                                                             PDM_TAG_DDF_NODE_FMT)));
        } else {
            pdm__el *app = charac(d.root, "APPLICATION", 0);
            CU_ASSERT_EQUAL(d.lang, PDM_LANG_PROV10);
            PDM_ASSERT_STR(attr(d.root, "version"), "1.0");
            PDM_ASSERT_STR(parm(app, "APPID"), "w7");
            PDM_ASSERT_STR(parm(app, "PROVIDER-ID"), "dmserver");
            PDM_ASSERT_STR(parm(charac(app, "APPADDR", 0), "ADDR"), "http://dm.example:8080/dm");
            PDM_ASSERT_STR(parm(charac(app, "APPAUTH", 0), "AAUTHLEVEL"), "APPSRV");
        }
        pdm__doc_free(&d);
        free(buf);
    }
}

static const pdm_test decode_tests[] = {
    {"cm_testadd", test_wbxml__cm_testadd},
    {"cm_testget_delete", test_wbxml__cm_testget_delete},
    {"cm_testreplace", test_wbxml__cm_testreplace},
    {"funambol_dm_bootstrap", test_wbxml__funambol_dm_bootstrap},
    {"funambol_cp_w7", test_wbxml__funambol_cp_w7},
    {"mozilla_cp", test_wbxml__mozilla_cp},
    {"bench_packages", test_wbxml__bench_packages},
    {"header_variants", test_wbxml__header_variants},
    {"header_errors", test_wbxml__header_errors},
    {"mixed_text", test_wbxml__mixed_text},
    {"pages_and_literals", test_wbxml__pages_and_literals},
    {"pi_and_epilog", test_wbxml__pi_and_epilog},
    {"prov_attributes", test_wbxml__prov_attributes},
    {"header_only", test_wbxml__header_only},
    {NULL, NULL},
};

static const pdm_test hostile_tests[] = {
    {"truncation", test_wbxml__truncation},
    {"hostile", test_wbxml__hostile},
    {"limits", test_wbxml__limits},
    {"mutations", test_wbxml__mutations},
    {"alloc_failures", test_wbxml__alloc_failures},
    {NULL, NULL},
};

static const pdm_test encode_tests[] = {
    {"encode_exact", test_wbxml__encode_exact},
    {"encode_reproduces_files", test_wbxml__encode_reproduces_files},
    {"round_trips", test_wbxml__round_trips},
    {"encode_prov_exact", test_wbxml__encode_prov_exact},
    {"encode_errors", test_wbxml__encode_errors},
    {"oracle_wbxml2xml", test_wbxml__oracle_wbxml2xml},
    {"oracle_xml2wbxml", test_wbxml__oracle_xml2wbxml},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"wbxml_decode", decode_tests, NULL, NULL},
    {"wbxml_hostile", hostile_tests, NULL, NULL},
    {"wbxml_encode", encode_tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
