/*
 * Bootstrap documents of the test server (see bsdoc.h).  The CP document
 * is one list of characteristic/parm items rendered as XML or as WBXML by
 * the small PROV 1.0 encoder below (omadm-facts §9.3: tags on page 0,
 * attribute starts and values on page 0 or 1, SWITCH_PAGE in the
 * attribute state; AAUTHTYPE values always as inline strings, so neither
 * disputed token range is emitted).  The DM-profile message is built with
 * the SyncML helpers (sml.h) like every other server message.
 */
#include "bsdoc.h"

#include <stdio.h>
#include <string.h>

#include "dmsauth.h"
#include "scenario.h"
#include "sml.h"

int dms_bs_kind_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "cp") == 0 || strcmp(s, "cp-wbxml") == 0)
        return DMS_BS_CP_WBXML;
    if (strcmp(s, "cp-xml") == 0)
        return DMS_BS_CP_XML;
    if (strcmp(s, "dm") == 0 || strcmp(s, "dm-wbxml") == 0)
        return DMS_BS_DM_WBXML;
    if (strcmp(s, "dm-xml") == 0)
        return DMS_BS_DM_XML;
    return -1;
}

const char *dms_bs_kind_ctype(int kind)
{
    switch (kind) {
    case DMS_BS_CP_WBXML: return "application/vnd.wap.connectivity-wbxml";
    case DMS_BS_CP_XML: return "text/vnd.wap.connectivity-xml";
    case DMS_BS_DM_WBXML: return SML_CT_WBXML;
    case DMS_BS_DM_XML: return SML_CT_XML;
    default: return NULL;
    }
}

const char *dms_bs_auth_type(int t)
{
    switch (t) {
    case SC_AUTH_BASIC: return "BASIC";
    case SC_AUTH_MD5: return "DIGEST";
    case SC_AUTH_HMAC: return "HMAC";
    default: return NULL;
    }
}

/* ---- the CP document as items ------------------------------------------- */

enum { IT_OPEN = 1, IT_PARM, IT_CLOSE };

typedef struct item {
    int kind;
    const char *a; /* characteristic type or parm name */
    char *v;       /* parm value (owned: pdm__free) */
} item;

typedef struct items {
    item v[64];
    size_t n;
    bool oom;
} items;

static void put(items *l, int kind, const char *a, const char *v, size_t vlen)
{
    item *it;
    if (l->n == sizeof l->v / sizeof l->v[0]) {
        l->oom = true;
        return;
    }
    it = &l->v[l->n++];
    it->kind = kind;
    it->a = a;
    it->v = v ? pdm__strndup(v, vlen) : NULL;
    if (v && !it->v)
        l->oom = true;
}

static void parm(items *l, const char *name, const char *value)
{
    put(l, IT_PARM, name, value, strlen(value));
}

/* The port of a URL ("http://h:8080/x" -> "8080"), or "" without one. */
static void url_port(const char *url, char out[8])
{
    const char *h = strstr(url, "://"), *end, *colon;
    out[0] = '\0';
    h = h ? h + 3 : url;
    end = h + strcspn(h, "/?#");
    if (*h == '[') { /* [v6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        h = rb ? rb : h;
    }
    colon = memchr(h, ':', (size_t)(end - h));
    if (colon && end - colon - 1 > 0 && end - colon - 1 < 8) {
        memcpy(out, colon + 1, (size_t)(end - colon - 1));
        out[end - colon - 1] = '\0';
    }
}

static void appauth(items *l, const char *level, const dms_bs_cred *c)
{
    put(l, IT_OPEN, "APPAUTH", NULL, 0);
    parm(l, "AAUTHLEVEL", level);
    parm(l, "AAUTHTYPE", c->type);
    if (c->name)
        parm(l, "AAUTHNAME", c->name);
    if (c->secret)
        parm(l, "AAUTHSECRET", c->secret);
    if (c->nonce_len) {
        /* CP values are text: the nonce as base64, as Funambol's builder
         * writes it. */
        pdm__buf b;
        pdm__buf_init(&b);
        dms_b64_encode(c->nonce, c->nonce_len, &b);
        if (pdm__buf_ok(&b))
            put(l, IT_PARM, "AAUTHDATA", (const char *)b.data, b.len);
        else
            l->oom = true;
        pdm__buf_free(&b);
    }
    put(l, IT_CLOSE, NULL, NULL, 0);
}

static void cp_items(const dms_bs_account *a, items *l)
{
    char port[8];
    if (a->connmo) {
        put(l, IT_OPEN, "NAPDEF", NULL, 0);
        parm(l, "NAPID", a->connmo);
        parm(l, "NAME", a->connmo);
        parm(l, "BEARER", "GSM-GPRS");
        parm(l, "NAP-ADDRESS", "internet.example");
        parm(l, "NAP-ADDRTYPE", "APN");
        put(l, IT_CLOSE, NULL, NULL, 0);
    }
    put(l, IT_OPEN, "APPLICATION", NULL, 0);
    parm(l, "APPID", "w7");
    parm(l, "PROVIDER-ID", a->server_id);
    parm(l, "NAME", a->name);
    if (a->connmo)
        parm(l, "TO-NAPID", a->connmo);
    put(l, IT_OPEN, "APPADDR", NULL, 0);
    parm(l, "ADDR", a->url);
    url_port(a->url, port);
    if (port[0]) {
        put(l, IT_OPEN, "PORT", NULL, 0);
        parm(l, "PORTNBR", port);
        put(l, IT_CLOSE, NULL, NULL, 0);
    }
    put(l, IT_CLOSE, NULL, NULL, 0);
    if (a->client.type)
        appauth(l, "APPSRV", &a->client);
    if (a->server.type)
        appauth(l, "CLIENT", &a->server);
    put(l, IT_CLOSE, NULL, NULL, 0);
}

static void xml_escape(pdm__buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': pdm__buf_puts(b, "&amp;"); break;
        case '<': pdm__buf_puts(b, "&lt;"); break;
        case '>': pdm__buf_puts(b, "&gt;"); break;
        case '"': pdm__buf_puts(b, "&quot;"); break;
        case '\'': pdm__buf_puts(b, "&apos;"); break;
        default: pdm__buf_putc(b, *s);
        }
    }
}

static void cp_xml(const items *l, pdm__buf *out)
{
    int depth = 1;
    pdm__buf_puts(out, "<?xml version=\"1.0\"?>\n"
                       "<!DOCTYPE wap-provisioningdoc PUBLIC \"-//WAPFORUM//"
                       "DTD PROV 1.0//EN\" \"http://www.wapforum.org/DTD/"
                       "prov.dtd\">\n<wap-provisioningdoc version=\"1.0\">\n");
    for (size_t i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        if (it->kind == IT_CLOSE)
            depth--;
        for (int d = 0; d < depth; d++)
            pdm__buf_puts(out, "  ");
        if (it->kind == IT_OPEN) {
            pdm__buf_printf(out, "<characteristic type=\"%s\">\n", it->a);
            depth++;
        } else if (it->kind == IT_CLOSE) {
            pdm__buf_puts(out, "</characteristic>\n");
        } else {
            pdm__buf_printf(out, "<parm name=\"%s\" value=\"", it->a);
            xml_escape(out, it->v);
            pdm__buf_puts(out, "\"/>\n");
        }
    }
    pdm__buf_puts(out, "</wap-provisioningdoc>\n");
}

/* ---- PROV 1.0 WBXML (omadm-facts §9.3) ----------------------------------- */

typedef struct tok {
    int page;
    uint8_t code;
    const char *name;
} tok;

/* Attribute starts "name=X" used by cp_items. */
static const tok name_toks[] = {
    {1, 0x36, "APPID"},      {1, 0x38, "PROVIDER-ID"}, {1, 0x07, "NAME"},
    {1, 0x22, "TO-NAPID"},   {1, 0x34, "ADDR"},        {1, 0x23, "PORTNBR"},
    {1, 0x30, "AAUTHLEVEL"}, {1, 0x33, "AAUTHTYPE"},   {1, 0x31, "AAUTHNAME"},
    {1, 0x32, "AAUTHSECRET"}, {1, 0x2F, "AAUTHDATA"},  {0, 0x07, "NAME"},
    {0, 0x11, "NAPID"},      {0, 0x10, "BEARER"},      {0, 0x08, "NAP-ADDRESS"},
    {0, 0x09, "NAP-ADDRTYPE"},
};
/* Attribute starts "type=X". */
static const tok type_toks[] = {
    {1, 0x55, "APPLICATION"}, {1, 0x56, "APPADDR"}, {1, 0x57, "APPAUTH"},
    {1, 0x53, "PORT"},        {0, 0x53, "PORT"},    {0, 0x55, "NAPDEF"},
};
/* Attribute values. */
static const tok value_toks[] = {
    {1, 0x8D, "APPSRV"}, {0, 0x89, "APN"}, {0, 0xAB, "GSM-GPRS"},
};

#define WB_SWITCH 0x00
#define WB_END 0x01
#define WB_STR_I 0x03
#define WB_ATTR_NAME 0x05  /* "name=" on both pages */
#define WB_ATTR_VALUE 0x06 /* "value=" on both pages */
#define WB_ATTR_TYPE 0x50  /* "type=" on both pages */

/* A token for @name: one of the current page first, else one of another
 * page (switching to it); NULL if none. */
static const tok *find_tok(const tok *t, size_t n, const char *name, int page)
{
    const tok *other = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) {
            if (t[i].page == page)
                return &t[i];
            if (!other)
                other = &t[i];
        }
    return other;
}

static void wb_str(pdm__buf *b, const char *s)
{
    pdm__buf_putc(b, WB_STR_I);
    pdm__buf_append(b, s, strlen(s) + 1);
}

static void wb_page(pdm__buf *b, int *page, int want)
{
    if (*page != want) {
        pdm__buf_putc(b, WB_SWITCH);
        pdm__buf_putc(b, (char)want);
        *page = want;
    }
}

/* An attribute start from @t for @name, or @literal followed by the
 * name as an inline string. */
static void wb_start(pdm__buf *b, int *page, const tok *t, size_t n,
                     uint8_t literal, const char *name)
{
    const tok *k = find_tok(t, n, name, *page);
    if (k) {
        wb_page(b, page, k->page);
        pdm__buf_putc(b, (char)k->code);
    } else {
        pdm__buf_putc(b, (char)literal);
        wb_str(b, name);
    }
}

static void cp_wbxml(const items *l, pdm__buf *out)
{
    /* WBXML 1.3, public id 0x0B (PROV 1.0), UTF-8 (106), no string table */
    static const uint8_t head[] = {0x03, 0x0B, 0x6A, 0x00};
    int page = 0;
    pdm__buf_append(out, head, sizeof head);
    /* <wap-provisioningdoc version="1.0">: tag 05 with content and
     * attributes, attribute 0x46 = version="1.0" (page 0) */
    pdm__buf_putc(out, (char)0xC5);
    wb_page(out, &page, 0);
    pdm__buf_putc(out, 0x46);
    pdm__buf_putc(out, WB_END);
    for (size_t i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        if (it->kind == IT_CLOSE) {
            pdm__buf_putc(out, WB_END);
            continue;
        }
        if (it->kind == IT_OPEN) {
            /* characteristic (06) with attributes and content */
            pdm__buf_putc(out, (char)0xC6);
            wb_start(out, &page, type_toks,
                     sizeof type_toks / sizeof type_toks[0], WB_ATTR_TYPE,
                     it->a);
        } else {
            const tok *v;
            /* parm (07) with attributes, no content */
            pdm__buf_putc(out, (char)0x87);
            wb_start(out, &page, name_toks,
                     sizeof name_toks / sizeof name_toks[0], WB_ATTR_NAME,
                     it->a);
            pdm__buf_putc(out, WB_ATTR_VALUE);
            v = strcmp(it->a, "AAUTHTYPE") == 0
                    ? NULL
                    : find_tok(value_toks,
                               sizeof value_toks / sizeof value_toks[0], it->v,
                               page);
            if (v && v->page == page)
                pdm__buf_putc(out, (char)v->code);
            else
                wb_str(out, it->v); /* a value token must be on the
                                       page of its attribute start */
        }
        pdm__buf_putc(out, WB_END); /* end of the attribute list */
    }
    pdm__buf_putc(out, WB_END); /* </wap-provisioningdoc> */
}

/* ---- DM profile ------------------------------------------------------------ */

static void tnds_leaf(pdm__buf *b, const char *name, const char *fmt,
                      const char *value)
{
    pdm__buf_printf(b, "<Node><NodeName>%s</NodeName><RTProperties><Format>"
                       "<%s/></Format></RTProperties><Value>",
                    name, fmt);
    xml_escape(b, value);
    pdm__buf_puts(b, "</Value></Node>");
}

static void tnds_open(pdm__buf *b, const char *name, const char *moid)
{
    pdm__buf_printf(b, "<Node><NodeName>%s</NodeName><RTProperties><Format>"
                       "<node/></Format>", name);
    if (moid)
        pdm__buf_printf(b, "<Type><DDFName>%s</DDFName></Type>", moid);
    pdm__buf_puts(b, "</RTProperties>");
}

static void tnds_appauth(pdm__buf *b, const char *x, const char *level,
                         const dms_bs_cred *c)
{
    tnds_open(b, x, NULL);
    tnds_leaf(b, "AAuthLevel", "chr", level);
    tnds_leaf(b, "AAuthType", "chr", c->type);
    if (c->name)
        tnds_leaf(b, "AAuthName", "chr", c->name);
    if (c->secret)
        tnds_leaf(b, "AAuthSecret", "chr", c->secret);
    if (c->nonce_len) {
        pdm__buf n;
        pdm__buf_init(&n);
        dms_b64_encode(c->nonce, c->nonce_len, &n);
        pdm__buf_putc(&n, '\0');
        if (pdm__buf_ok(&n)) /* bin: base64 in TNDS XML */
            tnds_leaf(b, "AAuthData", "bin", (const char *)n.data);
        pdm__buf_free(&n);
    }
    pdm__buf_puts(b, "</Node>");
}

static void dm_tnds(const dms_bs_account *a, pdm__buf *b)
{
    char port[8];
    pdm__buf_puts(b, "<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD>");
    if (a->connmo) {
        tnds_open(b, a->connmo, "urn:oma:mo:oma-dm-connmo:1.0");
        tnds_leaf(b, "Name", "chr", a->connmo);
        tnds_leaf(b, "Addr", "chr", "internet.example");
        tnds_leaf(b, "AddrType", "chr", "APN");
        pdm__buf_puts(b, "</Node>");
    }
    tnds_open(b, a->name, "urn:oma:mo:oma-dm-dmacc:1.0");
    tnds_leaf(b, "AppID", "chr", "w7");
    tnds_leaf(b, "ServerID", "chr", a->server_id);
    tnds_leaf(b, "Name", "chr", a->name);
    if (a->connmo) {
        char ref[300];
        snprintf(ref, sizeof ref, "./Inbox/%s", a->connmo);
        tnds_leaf(b, "PrefConRef", "chr", ref);
    }
    tnds_open(b, "AppAddr", NULL);
    tnds_open(b, "1", NULL);
    tnds_leaf(b, "Addr", "chr", a->url);
    tnds_leaf(b, "AddrType", "chr", "URI");
    url_port(a->url, port);
    if (port[0]) {
        tnds_open(b, "Port", NULL);
        tnds_open(b, "1", NULL);
        tnds_leaf(b, "PortNbr", "chr", port);
        pdm__buf_puts(b, "</Node></Node>");
    }
    pdm__buf_puts(b, "</Node></Node>");
    if (a->client.type)
        tnds_leaf(b, "AAuthPref", "chr", a->client.type);
    if (a->client.type || a->server.type) {
        tnds_open(b, "AppAuth", NULL);
        if (a->client.type)
            tnds_appauth(b, "1", "CLCRED", &a->client);
        if (a->server.type)
            tnds_appauth(b, "2", "SRVCRED", &a->server);
        pdm__buf_puts(b, "</Node>");
    }
    pdm__buf_puts(b, "</Node></MgmtTree>");
}

static int dm_message(const dms_bs_account *a, bool wbxml, pdm__buf *out,
                      char *err, size_t errlen)
{
    pdm__doc d;
    pdm__el *root, *hdr, *body, *add, *it;
    pdm__buf tnds;
    int rc;
    pdm__doc_init(&d);
    d.lang = PDM_LANG_SYNCML12;
    pdm__buf_init(&tnds);
    dm_tnds(a, &tnds);
    if (!pdm__buf_ok(&tnds)) {
        pdm__buf_free(&tnds);
        pdm__doc_free(&d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    root = pdm__el_add(&d, NULL, PDM_TAG_SYNCML);
    hdr = pdm__el_add(&d, root, PDM_TAG_SYNCHDR);
    sml_add(&d, hdr, PDM_TAG_VERDTD, "1.2");
    sml_add(&d, hdr, PDM_TAG_VERPROTO, "DM/1.2");
    sml_add(&d, hdr, PDM_TAG_SESSIONID, "0");
    sml_add(&d, hdr, PDM_TAG_MSGID, "1");
    sml_add_loc(&d, hdr, PDM_TAG_TARGET, a->devid ? a->devid : "*", NULL);
    sml_add_loc(&d, hdr, PDM_TAG_SOURCE, a->url, NULL);
    body = pdm__el_add(&d, root, PDM_TAG_SYNCBODY);
    add = pdm__el_add(&d, body, PDM_TAG_ADD);
    sml_add(&d, add, PDM_TAG_CMDID, "1");
    it = pdm__el_add(&d, add, PDM_TAG_ITEM);
    sml_add_loc(&d, it, PDM_TAG_TARGET, "./Inbox", NULL);
    sml_add_meta(&d, it, "xml", "application/vnd.syncml.dmtnds+xml", -1);
    /* the TNDS document as the Data text (OPAQUE in WBXML) */
    sml_add_bin(&d, it, PDM_TAG_DATA, tnds.data, tnds.len, true);
    pdm__el_add(&d, body, PDM_TAG_FINAL);
    rc = sml_encode(&d, wbxml, out, err, errlen);
    pdm__buf_free(&tnds);
    pdm__doc_free(&d);
    return rc == PDM_OK ? 0 : -1;
}

/* Node names and ServerIDs end up in URIs and ACLs: keep the generator to
 * plain names so a scenario typo is an error here, not a client refusal. */
static bool plain_name(const char *s)
{
    return s && *s && strlen(s) < 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_-.") == strlen(s);
}

int dms_bs_build(int kind, const dms_bs_account *a, pdm__buf *out, char *err,
                 size_t errlen)
{
    if (!a->server_id || !*a->server_id || !a->url || !*a->url) {
        snprintf(err, errlen, "a bootstrap document needs a server id and "
                 "a server URL");
        return -1;
    }
    if (!plain_name(a->name) || (a->connmo && !plain_name(a->connmo))) {
        snprintf(err, errlen, "account and connmo names are 1-63 of "
                 "[A-Za-z0-9_.-]");
        return -1;
    }
    if (kind == DMS_BS_CP_WBXML || kind == DMS_BS_CP_XML) {
        items l;
        memset(&l, 0, sizeof l);
        cp_items(a, &l);
        if (!l.oom) {
            if (kind == DMS_BS_CP_XML)
                cp_xml(&l, out);
            else
                cp_wbxml(&l, out);
        }
        for (size_t i = 0; i < l.n; i++)
            pdm__free(l.v[i].v);
        if (l.oom || !pdm__buf_ok(out)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (kind == DMS_BS_DM_WBXML || kind == DMS_BS_DM_XML)
        return dm_message(a, kind == DMS_BS_DM_WBXML, out, err, errlen);
    snprintf(err, errlen, "unknown bootstrap document kind %d", kind);
    return -1;
}
