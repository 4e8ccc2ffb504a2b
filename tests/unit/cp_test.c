/*
 * Unit tests of core/src/bootstrap/cp.c: OMA CP documents (XML and WBXML)
 * parsed, printed and mapped to a bootstrap fragment (docs/cp-mapping.md).
 * Vectors: test-vectors.md §E (E7 ProvCont 1.1 clause 6.1 / Appendix C,
 * E8 the CHT code-page document, E9 the w7 sample), the Funambol w7
 * transcript, and hand-made hostile inputs.
 */
#include "cu_main.h"
#include "bootstrap/bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E7_XML "tests/data/vectors/provcont11_6_1.xml"
#define E7_WBXML "tests/data/vectors/provcont11_appc.wbxml"
#define CHT "tests/data/vectors/mozilla_cht_cp_codepage.wbxml"
#define EMPTY "tests/data/vectors/mozilla_empty_prov.wbxml"
#define W7 "tests/data/transcripts/funambol_cp_w7_bootstrap.wbxml"

static uint8_t *rd(const char *path, size_t *len)
{
    return (uint8_t *)pdm_test_read(path, len);
}

/* Parses; returns rc, *xml (caller frees) = canonical XML with secrets. */
static int parse(const void *p, size_t n, bool wbxml, pdm__prov_doc **d,
                 char *err, size_t errlen)
{
    return pdm__cp_parse(p, n, wbxml, d, err, errlen);
}

static char *to_xml(const pdm__prov_doc *d, bool secrets)
{
    pdm__buf b;
    pdm__buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(pdm__cp_to_xml(d, secrets, &b), PDM_OK);
    return (char *)pdm__buf_steal(&b, NULL);
}

static char *file_xml(const char *path, bool wbxml)
{
    size_t n;
    uint8_t *buf = rd(path, &n);
    pdm__prov_doc *d = NULL;
    char err[256] = "", *x;
    CU_ASSERT_EQUAL_FATAL(parse(buf, n, wbxml, &d, err, sizeof err), PDM_OK);
    x = to_xml(d, true);
    pdm__cp_free(d);
    free(buf);
    return x;
}

/* ---- E7 ------------------------------------------------------------------ */

static const char e7_canon[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<wap-provisioningdoc version=\"1.0\">\n"
    "  <characteristic type=\"PXLOGICAL\">\n"
    "    <parm name=\"PROXY-ID\" value=\"170.187.51.4\"/>\n"
    "    <parm name=\"PROXY-PW\" value=\"***\"/>\n"
    "    <parm name=\"PPGAUTH-TYPE\" value=\"HTTP-BASIC\"/>\n"
    "    <parm name=\"NAME\" value=\"BankMainProxy\"/>\n"
    "    <parm name=\"STARTPAGE\" value=\"http://www.bank.com/startpage.wml\"/>\n"
    "    <parm name=\"PULLENABLED\" value=\"1\"/>\n"
    "    <characteristic type=\"PXAUTHINFO\">\n"
    "      <parm name=\"PXAUTH-TYPE\" value=\"HTTP-BASIC\"/>\n"
    "      <parm name=\"PXAUTH-ID\" value=\"pxusername\"/>\n"
    "      <parm name=\"PXAUTH-PW\" value=\"***\"/>\n"
    "    </characteristic>\n"
    "    <characteristic type=\"PXPHYSICAL\">\n"
    "      <parm name=\"PHYSICAL-PROXY-ID\" value=\"PROXY 1\"/>\n"
    "      <parm name=\"DOMAIN\" value=\"www.bank.com/\"/>\n"
    "      <parm name=\"PXADDR\" value=\"170.187.51.3\"/>\n"
    "      <parm name=\"PXADDRTYPE\" value=\"IPV4\"/>\n"
    "      <parm name=\"PXADDR-FQDN\" value=\"proxy1.operator.com\"/>\n"
    "      <parm name=\"TO-NAPID\" value=\"INTERNET\"/>\n"
    "      <parm name=\"TO-NAPID\" value=\"NAP1\"/>\n"
    "      <characteristic type=\"PORT\">\n"
    "        <parm name=\"PORTNBR\" value=\"9203\"/>\n"
    "      </characteristic>\n"
    "    </characteristic>\n"
    "  </characteristic>\n"
    "  <characteristic type=\"NAPDEF\">\n"
    "    <parm name=\"NAPID\" value=\"NAP1\"/>\n"
    "    <parm name=\"BEARER\" value=\"GSM-CSD\"/>\n"
    "    <parm name=\"NAME\" value=\"MY ISP CSD\"/>\n"
    "    <parm name=\"NAP-ADDRESS\" value=\"+35808124002\"/>\n"
    "    <parm name=\"NAP-ADDRTYPE\" value=\"E164\"/>\n"
    "    <parm name=\"DNS-ADDR\" value=\"170.187.51.2\"/>\n"
    "    <parm name=\"CALLTYPE\" value=\"ANALOG-MODEM\"/>\n"
    "    <parm name=\"MAX-NUM-RETRY\" value=\"3\"/>\n"
    "    <parm name=\"FIRST-RETRY-TIMEOUT\" value=\"6\"/>\n"
    "    <parm name=\"REREG-THRESHOLD\" value=\"30\"/>\n"
    "    <parm name=\"T-BIT\"/>\n"
    "    <characteristic type=\"NAPAUTHINFO\">\n"
    "      <parm name=\"AUTHTYPE\" value=\"PAP\"/>\n"
    "      <parm name=\"AUTHNAME\" value=\"wwwmmmuser\"/>\n"
    "      <parm name=\"AUTHSECRET\" value=\"***\"/>\n"
    "      <parm name=\"AUTH-ENTITY\" value=\"HA\"/>\n"
    "      <parm name=\"SPI\" value=\"FEDCBA98\"/>\n"
    "    </characteristic>\n"
    "    <characteristic type=\"VALIDITY\">\n"
    "      <parm name=\"COUNTRY\" value=\"228\"/>\n"
    "      <parm name=\"NETWORK\" value=\"001\"/>\n"
    "    </characteristic>\n"
    "  </characteristic>\n"
    "  <characteristic type=\"ACCESS\"/>\n"
    "</wap-provisioningdoc>\n";

/* E7: the clause 6.1 XML and its Appendix C WBXML are one document. */
static void test_cp__e7_xml_and_wbxml(void)
{
    char *a = file_xml(E7_XML, false), *b = file_xml(E7_WBXML, true);
    size_t n;
    uint8_t *buf = rd(E7_WBXML, &n);
    pdm__prov_doc *d = NULL;
    char *masked;
    PDM_ASSERT_STR(a, b);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "value=\"proxypasswd\""));
    CU_ASSERT_EQUAL_FATAL(parse(buf, n, true, &d, NULL, 0), PDM_OK);
    masked = to_xml(d, false);
    PDM_ASSERT_STR(masked, e7_canon);
    /* the STR_T reference (0x83 0x00 on attribute page 0) is "NAP1" */
    PDM_ASSERT_STR(d->chars[1].parms[0].value, "NAP1");
    PDM_ASSERT_STR(d->version, "1.0");
    pdm__cp_free(d);
    free(masked);
    free(buf);
    free(a);
    free(b);
}

/* ---- fragment checks ----------------------------------------------------- */

typedef struct want {
    const char *uri;
    uint32_t format;
    const char *type;  /* NULL: none */
    const char *value; /* NULL: interior */
    size_t len;        /* 0: strlen(value) */
} want;

static void check_frag(const pdm__bs_frag *f, const want *w, size_t n)
{
    CU_ASSERT_EQUAL(f->n, n);
    for (size_t i = 0; i < n && i < f->n; i++) {
        const pdm__bs_node *x = &f->v[i];
        size_t len = w[i].value ? (w[i].len ? w[i].len : strlen(w[i].value))
                                : 0;
        if (strcmp(x->uri, w[i].uri) != 0)
            fprintf(stderr, "node %zu: %s, expected %s\n", i, x->uri,
                    w[i].uri);
        PDM_ASSERT_STR(x->uri, w[i].uri);
        CU_ASSERT_EQUAL(x->op, PDM_OP_ADD);
        CU_ASSERT_EQUAL(x->format, w[i].format);
        if (w[i].type) {
            PDM_ASSERT_STR(x->type, w[i].type);
        } else {
            CU_ASSERT_PTR_NULL(x->type);
        }
        CU_ASSERT_PTR_NULL(x->acl);
        if (!w[i].value) {
            CU_ASSERT_PTR_NULL(x->data);
            continue;
        }
        CU_ASSERT_EQUAL(x->len, len);
        CU_ASSERT(x->data && memcmp(x->data, w[i].value, len) == 0);
    }
}

static const pdm__bs_node *frag_get(const pdm__bs_frag *f, const char *uri)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].uri, uri) == 0)
            return &f->v[i];
    return NULL;
}

static void check_leaf(const pdm__bs_frag *f, const char *uri, const char *v)
{
    const pdm__bs_node *x = frag_get(f, uri);
    CU_ASSERT_PTR_NOT_NULL(x);
    if (!x) {
        fprintf(stderr, "missing %s\n", uri);
    } else {
        PDM_ASSERT_STR((const char *)x->data, v);
    }
}

static int map_text(const char *xml, pdm__bs_frag *f, char *err,
                    size_t errlen)
{
    pdm__prov_doc *d = NULL;
    int rc = parse(xml, strlen(xml), false, &d, err, errlen);
    pdm__bs_frag_init(f);
    if (rc != PDM_OK)
        return rc;
    rc = pdm__cp_map(d, f, err, errlen);
    pdm__cp_free(d);
    return rc;
}

#define N(u) {u, PDM_FORMAT_NODE, NULL, NULL, 0}
#define C(u, v) {u, PDM_FORMAT_CHR, NULL, v, 0}
#define B(u, v) {u, PDM_FORMAT_BIN, NULL, v, 0}
#define L(u, v) {u, PDM_FORMAT_BOOL, NULL, v, 0}

/* E9 with its connectivity: the w7 sample of the CPClient test suite
 * (APPID w7, PROVIDER-ID dmserver, APPADDR with PORT 8080, APPAUTH APPSRV
 * and CLIENT, AAUTHTYPE DIGEST). */
static const char e9_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE wap-provisioningdoc PUBLIC \"-//WAPFORUM//DTD PROV 1.0//EN\"\n"
    "\"http://www.wapforum.org/DTD/prov.dtd\">\n"
    "<wap-provisioningdoc version=\"1.0\">\n"
    " <characteristic type=\"APPLICATION\">\n"
    "  <parm name=\"APPID\" value=\"w7\"/>\n"
    "  <parm name=\"PROVIDER-ID\" value=\"dmserver\"/>\n"
    "  <parm name=\"NAME\" value=\"DM Server\"/>\n"
    "  <characteristic type=\"APPADDR\">\n"
    "   <parm name=\"ADDR\" value=\"http://127.0.0.1/dm\"/>\n"
    "   <characteristic type=\"PORT\">\n"
    "    <parm name=\"PORTNBR\" value=\"8080\"/>\n"
    "   </characteristic>\n"
    "  </characteristic>\n"
    "  <characteristic type=\"APPAUTH\">\n"
    "   <parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>\n"
    "   <parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>\n"
    "   <parm name=\"AAUTHNAME\" value=\"username\"/>\n"
    "   <parm name=\"AAUTHSECRET\" value=\"password\"/>\n"
    "  </characteristic>\n"
    "  <characteristic type=\"APPAUTH\">\n"
    "   <parm name=\"AAUTHTYPE\" value=\"DIGEST\"/>\n"
    "   <parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>\n"
    "   <parm name=\"AAUTHNAME\" value=\"username\"/>\n"
    "   <parm name=\"AAUTHSECRET\" value=\"password\"/>\n"
    "  </characteristic>\n"
    " </characteristic>\n"
    "</wap-provisioningdoc>\n";

static void test_cp__e9_w7_mapping(void)
{
    static const want w[] = {
        {"./Inbox/dmserver", PDM_FORMAT_NODE, PDM__MOID_DMACC, NULL, 0},
        C("./Inbox/dmserver/AppID", "w7"),
        C("./Inbox/dmserver/ServerID", "dmserver"),
        C("./Inbox/dmserver/Name", "DM Server"),
        N("./Inbox/dmserver/AppAddr"),
        N("./Inbox/dmserver/AppAddr/1"),
        C("./Inbox/dmserver/AppAddr/1/Addr", "http://127.0.0.1/dm"),
        C("./Inbox/dmserver/AppAddr/1/AddrType", "URI"),
        N("./Inbox/dmserver/AppAddr/1/Port"),
        N("./Inbox/dmserver/AppAddr/1/Port/1"),
        C("./Inbox/dmserver/AppAddr/1/Port/1/PortNbr", "8080"),
        N("./Inbox/dmserver/AppAuth"),
        N("./Inbox/dmserver/AppAuth/1"),
        C("./Inbox/dmserver/AppAuth/1/AAuthLevel", "CLCRED"),
        C("./Inbox/dmserver/AppAuth/1/AAuthType", "DIGEST"),
        C("./Inbox/dmserver/AppAuth/1/AAuthName", "username"),
        C("./Inbox/dmserver/AppAuth/1/AAuthSecret", "password"),
        N("./Inbox/dmserver/AppAuth/2"),
        C("./Inbox/dmserver/AppAuth/2/AAuthLevel", "SRVCRED"),
        C("./Inbox/dmserver/AppAuth/2/AAuthType", "DIGEST"),
        C("./Inbox/dmserver/AppAuth/2/AAuthName", "username"),
        C("./Inbox/dmserver/AppAuth/2/AAuthSecret", "password"),
    };
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(map_text(e9_xml, &f, err, sizeof err), PDM_OK);
    check_frag(&f, w, PDM__ARRAY_LEN(w));
    CU_ASSERT(frag_get(&f, "./Inbox/dmserver/AppAuth/1/AAuthSecret")->secret);
    CU_ASSERT(!frag_get(&f, "./Inbox/dmserver/AppAuth/1/AAuthName")->secret);
    pdm__bs_frag_free(&f);
}

/* Funambol's WapBootstrapMessageBuilder output: parsed and mapped. */
static void test_cp__funambol_w7(void)
{
    static const want w[] = {
        {"./Inbox/funambol", PDM_FORMAT_NODE, PDM__MOID_DMACC, NULL, 0},
        C("./Inbox/funambol/AppID", "w7"),
        C("./Inbox/funambol/ServerID", "funambol"),
        C("./Inbox/funambol/Name", "TestAcc"),
        N("./Inbox/funambol/AppAddr"),
        N("./Inbox/funambol/AppAddr/1"),
        C("./Inbox/funambol/AppAddr/1/Addr",
          "http://127.0.0.1:18081/funambol/dm"),
        C("./Inbox/funambol/AppAddr/1/AddrType", "URI"),
        N("./Inbox/funambol/AppAddr/1/Port"),
        N("./Inbox/funambol/AppAddr/1/Port/1"),
        C("./Inbox/funambol/AppAddr/1/Port/1/PortNbr", "18081"),
        N("./Inbox/funambol/AppAuth"),
        N("./Inbox/funambol/AppAuth/1"),
        C("./Inbox/funambol/AppAuth/1/AAuthLevel", "CLCRED"),
        C("./Inbox/funambol/AppAuth/1/AAuthType", "DIGEST"),
        C("./Inbox/funambol/AppAuth/1/AAuthName", "funambol"),
        C("./Inbox/funambol/AppAuth/1/AAuthSecret", "srvpwd"),
        B("./Inbox/funambol/AppAuth/1/AAuthData", "srvnonce"),
        N("./Inbox/funambol/AppAuth/2"),
        C("./Inbox/funambol/AppAuth/2/AAuthLevel", "SRVCRED"),
        C("./Inbox/funambol/AppAuth/2/AAuthType", "DIGEST"),
        C("./Inbox/funambol/AppAuth/2/AAuthName", "funambol"),
        C("./Inbox/funambol/AppAuth/2/AAuthSecret", "funambol"),
        B("./Inbox/funambol/AppAuth/2/AAuthData", "clinonce"),
    };
    static const char canon[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<wap-provisioningdoc version=\"1.0\">\n"
        "  <characteristic type=\"APPLICATION\">\n"
        "    <parm name=\"APPID\" value=\"w7\"/>\n"
        "    <parm name=\"PROVIDER-ID\" value=\"funambol\"/>\n"
        "    <parm name=\"NAME\" value=\"TestAcc\"/>\n"
        "    <characteristic type=\"APPADDR\">\n"
        "      <parm name=\"ADDR\" value=\"http://127.0.0.1:18081/funambol/"
        "dm\"/>\n"
        "      <characteristic type=\"PORT\">\n"
        "        <parm name=\"PORTNBR\" value=\"18081\"/>\n"
        "      </characteristic>\n"
        "    </characteristic>\n"
        "    <characteristic type=\"APPAUTH\">\n"
        "      <parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>\n"
        "      <parm name=\"AAUTHNAME\" value=\"funambol\"/>\n"
        "      <parm name=\"AAUTHSECRET\" value=\"***\"/>\n"
        "      <parm name=\"AAUTHDATA\" value=\"***\"/>\n"
        "    </characteristic>\n"
        "    <characteristic type=\"APPAUTH\">\n"
        "      <parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>\n"
        "      <parm name=\"AAUTHNAME\" value=\"funambol\"/>\n"
        "      <parm name=\"AAUTHSECRET\" value=\"***\"/>\n"
        "      <parm name=\"AAUTHDATA\" value=\"***\"/>\n"
        "    </characteristic>\n"
        "  </characteristic>\n"
        "</wap-provisioningdoc>\n";
    size_t n;
    uint8_t *buf = rd(W7, &n);
    pdm__prov_doc *d = NULL;
    pdm__bs_frag f;
    char err[256] = "", *x;
    CU_ASSERT_EQUAL_FATAL(parse(buf, n, true, &d, err, sizeof err), PDM_OK);
    x = to_xml(d, false);
    PDM_ASSERT_STR(x, canon);
    free(x);
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__cp_map(d, &f, err, sizeof err), PDM_OK);
    check_frag(&f, w, PDM__ARRAY_LEN(w));
    CU_ASSERT(frag_get(&f, "./Inbox/funambol/AppAuth/2/AAuthData")->secret);
    pdm__bs_frag_free(&f);
    pdm__cp_free(d);
    free(buf);
}

/* ---- E8 ------------------------------------------------------------------ */

/* What wbxml2xml (libwbxml) prints for the CHT document, as a CP XML
 * document (its DOCTYPE kept: it is inert). */
static const char cht_libwbxml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE wap-provisioningdoc PUBLIC \"-//WAPFORUM//DTD PROV 1.0//EN\" "
    "\"http://www.wapforum.org/DTD/prov.dtd\">\n"
    "<wap-provisioningdoc>\n"
    "<characteristic type=\"BOOTSTRAP\">\n"
    "<parm name=\"NAME\" value=\"CHT_emome\"/>\n"
    "</characteristic>\n"
    "<characteristic type=\"APPLICATION\">\n"
    "<parm name=\"APPID\" value=\"w2\"/>\n"
    "<parm name=\"TO-PROXY\" value=\"WPROXY\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_emome\"/>\n"
    "<characteristic type=\"RESOURCE\">\n"
    "<parm name=\"URI\" value=\"http://wap.emome.net/\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_emome\"/>\n"
    "<parm name=\"STARTPAGE\"/>\n"
    "</characteristic>\n"
    "</characteristic>\n"
    "<characteristic type=\"APPLICATION\">\n"
    "<parm name=\"APPID\" value=\"w4\"/>\n"
    "<parm name=\"TO-PROXY\" value=\"MPROXY\"/>\n"
    "<parm name=\"ADDR\" value=\"http://mms:8002\"/>\n"
    "</characteristic>\n"
    "<characteristic type=\"PXLOGICAL\">\n"
    "<parm name=\"PROXY-ID\" value=\"WPROXY\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_emome\"/>\n"
    "<parm name=\"STARTPAGE\" value=\"http://wap.emome.net/\"/>\n"
    "<characteristic type=\"PXPHYSICAL\">\n"
    "<parm name=\"PHYSICAL-PROXY-ID\" value=\"PROXY1\"/>\n"
    "<parm name=\"PXADDR\" value=\"10.1.1.1\"/>\n"
    "<parm name=\"PXADDRTYPE\" value=\"IPV4\"/>\n"
    "<parm name=\"TO-NAPID\" value=\"CHT_emome\"/>\n"
    "<characteristic type=\"PORT\">\n"
    "<parm name=\"PORTNBR\" value=\"8080\"/>\n"
    "</characteristic>\n"
    "</characteristic>\n"
    "</characteristic>\n"
    "<characteristic type=\"PXLOGICAL\">\n"
    "<parm name=\"PROXY-ID\" value=\"MPROXY\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_MMS\"/>\n"
    "<characteristic type=\"PXPHYSICAL\">\n"
    "<parm name=\"PHYSICAL-PROXY-ID\" value=\"PROXY2\"/>\n"
    "<parm name=\"PXADDR\" value=\"10.1.1.1\"/>\n"
    "<parm name=\"PXADDRTYPE\" value=\"IPV4\"/>\n"
    "<parm name=\"TO-NAPID\" value=\"CHT_MMS\"/>\n"
    "<characteristic type=\"PORT\">\n"
    "<parm name=\"PORTNBR\" value=\"8080\"/>\n"
    "</characteristic>\n"
    "</characteristic>\n"
    "</characteristic>\n"
    "<characteristic type=\"NAPDEF\">\n"
    "<parm name=\"NAPID\" value=\"CHT_emome\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_emome\"/>\n"
    "<parm name=\"BEARER\" value=\"GSM-GPRS\"/>\n"
    "<parm name=\"NAP-ADDRESS\" value=\"emome\"/>\n"
    "<parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>\n"
    "</characteristic>\n"
    "<characteristic type=\"NAPDEF\">\n"
    "<parm name=\"NAPID\" value=\"CHT_MMS\"/>\n"
    "<parm name=\"NAME\" value=\"CHT_MMS\"/>\n"
    "<parm name=\"BEARER\" value=\"GSM-GPRS\"/>\n"
    "<parm name=\"NAP-ADDRESS\" value=\"emome\"/>\n"
    "<parm name=\"NAP-ADDRTYPE\" value=\"APN\"/>\n"
    "</characteristic>\n"
    "</wap-provisioningdoc>\n";

static void test_cp__e8_code_pages(void)
{
    static const want w[] = {
        {"./Inbox/WPROXY", PDM_FORMAT_NODE, PDM__MOID_CONNMO, NULL, 0},
        C("./Inbox/WPROXY/ID", "WPROXY"),
        C("./Inbox/WPROXY/Name", "CHT_emome"),
        C("./Inbox/WPROXY/StartPage", "http://wap.emome.net/"),
        N("./Inbox/WPROXY/PX"),
        N("./Inbox/WPROXY/PX/1"),
        C("./Inbox/WPROXY/PX/1/ID", "PROXY1"),
        C("./Inbox/WPROXY/PX/1/Addr", "10.1.1.1"),
        C("./Inbox/WPROXY/PX/1/AddrType", "IPV4"),
        C("./Inbox/WPROXY/PX/1/PrefConRef", "./Inbox/CHT_emome"),
        N("./Inbox/WPROXY/PX/1/Ports"),
        N("./Inbox/WPROXY/PX/1/Ports/1"),
        C("./Inbox/WPROXY/PX/1/Ports/1/PortNbr", "8080"),
        {"./Inbox/MPROXY", PDM_FORMAT_NODE, PDM__MOID_CONNMO, NULL, 0},
        C("./Inbox/MPROXY/ID", "MPROXY"),
        C("./Inbox/MPROXY/Name", "CHT_MMS"),
        N("./Inbox/MPROXY/PX"),
        N("./Inbox/MPROXY/PX/1"),
        C("./Inbox/MPROXY/PX/1/ID", "PROXY2"),
        C("./Inbox/MPROXY/PX/1/Addr", "10.1.1.1"),
        C("./Inbox/MPROXY/PX/1/AddrType", "IPV4"),
        C("./Inbox/MPROXY/PX/1/PrefConRef", "./Inbox/CHT_MMS"),
        N("./Inbox/MPROXY/PX/1/Ports"),
        N("./Inbox/MPROXY/PX/1/Ports/1"),
        C("./Inbox/MPROXY/PX/1/Ports/1/PortNbr", "8080"),
        {"./Inbox/CHT_emome", PDM_FORMAT_NODE, PDM__MOID_CONNMO, NULL, 0},
        C("./Inbox/CHT_emome/ID", "CHT_emome"),
        C("./Inbox/CHT_emome/Name", "CHT_emome"),
        N("./Inbox/CHT_emome/Bearer"),
        N("./Inbox/CHT_emome/Bearer/1"),
        C("./Inbox/CHT_emome/Bearer/1/BearerType", "GSM-GPRS"),
        C("./Inbox/CHT_emome/Addr", "emome"),
        C("./Inbox/CHT_emome/AddrType", "APN"),
        {"./Inbox/CHT_MMS", PDM_FORMAT_NODE, PDM__MOID_CONNMO, NULL, 0},
        C("./Inbox/CHT_MMS/ID", "CHT_MMS"),
        C("./Inbox/CHT_MMS/Name", "CHT_MMS"),
        N("./Inbox/CHT_MMS/Bearer"),
        N("./Inbox/CHT_MMS/Bearer/1"),
        C("./Inbox/CHT_MMS/Bearer/1/BearerType", "GSM-GPRS"),
        C("./Inbox/CHT_MMS/Addr", "emome"),
        C("./Inbox/CHT_MMS/AddrType", "APN"),
    };
    char *a = file_xml(CHT, true), *b;
    pdm__prov_doc *d = NULL;
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(
        parse(cht_libwbxml, strlen(cht_libwbxml), false, &d, err, sizeof err),
        PDM_OK);
    b = to_xml(d, true);
    PDM_ASSERT_STR(a, b);
    /* the value-less STARTPAGE of the RESOURCE stays value-less */
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "<parm name=\"STARTPAGE\"/>"));
    CU_ASSERT_PTR_NULL(d->version);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "<wap-provisioningdoc>\n"));
    /* w2/w4 and BOOTSTRAP are not mapped; the proxies and NAPs are */
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__cp_map(d, &f, err, sizeof err), PDM_OK);
    check_frag(&f, w, PDM__ARRAY_LEN(w));
    pdm__bs_frag_free(&f);
    pdm__cp_free(d);
    free(a);
    free(b);
}

static void test_cp__e7_connmo(void)
{
    size_t n;
    uint8_t *buf = rd(E7_WBXML, &n);
    pdm__prov_doc *d = NULL;
    pdm__bs_frag f;
    char err[256] = "";
    const pdm__bs_node *x;
    CU_ASSERT_EQUAL_FATAL(parse(buf, n, true, &d, err, sizeof err), PDM_OK);
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL_FATAL(pdm__cp_map(d, &f, err, sizeof err), PDM_OK);
    x = frag_get(&f, "./Inbox/170.187.51.4");
    CU_ASSERT(x && x->format == PDM_FORMAT_NODE &&
              pdm__streq(x->type, PDM__MOID_CONNMO));
    check_leaf(&f, "./Inbox/170.187.51.4/ProxySecret", "proxypasswd");
    CU_ASSERT(frag_get(&f, "./Inbox/170.187.51.4/ProxySecret")->secret);
    check_leaf(&f, "./Inbox/170.187.51.4/PPGAuthType", "HTTP-BASIC");
    check_leaf(&f, "./Inbox/170.187.51.4/PullEnabled", "true");
    CU_ASSERT_EQUAL(frag_get(&f, "./Inbox/170.187.51.4/PullEnabled")->format,
                    PDM_FORMAT_BOOL);
    check_leaf(&f, "./Inbox/170.187.51.4/Auth/1/AuthName", "pxusername");
    CU_ASSERT(frag_get(&f, "./Inbox/170.187.51.4/Auth/1/AuthSecret")->secret);
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/ID", "PROXY 1");
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/Domain/1/Addr",
               "www.bank.com/");
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/AddrFQDN",
               "proxy1.operator.com");
    /* two TO-NAPID: ToConRef, the known one as its Inbox root, INTERNET
     * as written */
    CU_ASSERT_PTR_NULL(frag_get(&f, "./Inbox/170.187.51.4/PX/1/PrefConRef"));
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/ToConRef/1/ConRef", "INTERNET");
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/ToConRef/2/ConRef",
               "./Inbox/NAP1");
    check_leaf(&f, "./Inbox/170.187.51.4/PX/1/Ports/1/PortNbr", "9203");
    check_leaf(&f, "./Inbox/NAP1/ID", "NAP1");
    check_leaf(&f, "./Inbox/NAP1/Addr", "+35808124002");
    check_leaf(&f, "./Inbox/NAP1/AddrType", "E164");
    check_leaf(&f, "./Inbox/NAP1/CallType", "ANALOG-MODEM");
    check_leaf(&f, "./Inbox/NAP1/DNS/1/Addr", "170.187.51.2");
    check_leaf(&f, "./Inbox/NAP1/Bearer/1/BearerType", "GSM-CSD");
    check_leaf(&f, "./Inbox/NAP1/Auth/1/AuthType", "PAP");
    check_leaf(&f, "./Inbox/NAP1/Auth/1/AuthSecret", "wwwmmmsecret");
    CU_ASSERT(frag_get(&f, "./Inbox/NAP1/Auth/1/AuthSecret")->secret);
    check_leaf(&f, "./Inbox/NAP1/Auth/1/AuthEntity/1/Entity", "HA");
    check_leaf(&f, "./Inbox/NAP1/Auth/1/SPI", "FEDCBA98");
    check_leaf(&f, "./Inbox/NAP1/Validity/1/Country", "228");
    check_leaf(&f, "./Inbox/NAP1/Validity/1/Network", "001");
    /* ACCESS is not mapped */
    for (size_t i = 0; i < f.n; i++)
        CU_ASSERT(strncmp(f.v[i].uri, "./Inbox/170.187.51.4", 20) == 0 ||
                  strncmp(f.v[i].uri, "./Inbox/NAP1", 12) == 0);
    /* parents come before children */
    for (size_t i = 0; i < f.n; i++) {
        char parent[256];
        char *slash;
        pdm__strlcpy(parent, f.v[i].uri, sizeof parent);
        slash = strrchr(parent, '/');
        *slash = '\0';
        if (strcmp(parent, "./Inbox") == 0)
            continue;
        x = frag_get(&f, parent);
        CU_ASSERT(x && x < &f.v[i] && x->format == PDM_FORMAT_NODE);
    }
    pdm__bs_frag_free(&f);
    pdm__cp_free(d);
    free(buf);
}

static void test_cp__empty_doc(void)
{
    size_t n;
    uint8_t *buf = rd(EMPTY, &n);
    pdm__prov_doc *d = NULL;
    pdm__bs_frag f;
    char *x;
    CU_ASSERT_EQUAL_FATAL(parse(buf, n, true, &d, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(d->nchars, 0);
    x = to_xml(d, false);
    PDM_ASSERT_STR(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<wap-provisioningdoc/>\n");
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__cp_map(d, &f, NULL, 0), PDM_OK);
    CU_ASSERT_EQUAL(f.n, 0);
    pdm__bs_frag_free(&f);
    pdm__cp_free(d);
    free(x);
    free(buf);
}

/* ---- AAUTHTYPE tokens ---------------------------------------------------- */

/* A w7 document in WBXML with the AAUTHTYPE value tokens given (attribute
 * page 1), no string table. */
static size_t w7_wbxml(uint8_t *out, const uint8_t *aauth, size_t alen)
{
    static const uint8_t head[] = {
        0x03, 0x0B, 0x6A, 0x00, 0x45,       /* <wap-provisioningdoc> */
        0xC6, 0x00, 0x01, 0x55, 0x01,       /* APPLICATION (page 1) */
        0x87, 0x36, 0x06, 0x03, 'w', '7', 0x00, 0x01,
        0x87, 0x38, 0x06, 0x03, 's', '1', 0x00, 0x01, /* PROVIDER-ID */
        0x87, 0x34, 0x06, 0x03, 'h', 't', 't', 'p', ':', '/', '/', 'x',
        0x00, 0x01,                          /* ADDR */
        0xC6, 0x57, 0x01,                    /* APPAUTH */
        0x87, 0x30, 0x06, 0x8D, 0x01,        /* AAUTHLEVEL APPSRV */
        0x87, 0x33, 0x06,                    /* AAUTHTYPE value= */
    };
    static const uint8_t tail[] = {0x01, 0x01, 0x01, 0x01};
    size_t n = 0;
    memcpy(out, head, sizeof head);
    n += sizeof head;
    memcpy(out + n, aauth, alen);
    n += alen;
    memcpy(out + n, tail, sizeof tail);
    return n + sizeof tail;
}

static void aauthtype_case(const uint8_t *tok, size_t n, const char *parsed,
                           const char *mapped)
{
    uint8_t buf[128];
    size_t len = w7_wbxml(buf, tok, n);
    pdm__prov_doc *d = NULL;
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(parse(buf, len, true, &d, err, sizeof err), PDM_OK);
    PDM_ASSERT_STR(d->chars[0].kids[0].parms[1].name, "AAUTHTYPE");
    PDM_ASSERT_STR(d->chars[0].kids[0].parms[1].value, parsed);
    pdm__bs_frag_init(&f);
    CU_ASSERT_EQUAL(pdm__cp_map(d, &f, err, sizeof err), PDM_OK);
    check_leaf(&f, "./Inbox/s1/AppAuth/1/AAuthType", mapped);
    check_leaf(&f, "./Inbox/s1/AppAddr/1/Addr", "http://x");
    pdm__bs_frag_free(&f);
    pdm__cp_free(d);
}

static void test_cp__aauthtype_ranges(void)
{
    /* ProvCont 1.1 range 0x90-0x93: "," "HTTP-" "BASIC" "DIGEST" */
    static const uint8_t new_digest_md5[] = {0x93, 0x90, 0x03, 'M', 'D', '5',
                                             0x00, 0x01};
    static const uint8_t new_http_basic[] = {0x91, 0x92, 0x01};
    /* the older range 0x80-0x83 (no string table: 0x83 is DIGEST) */
    static const uint8_t old_digest_md5[] = {0x83, 0x80, 0x03, 'M', 'D', '5',
                                             0x00, 0x01};
    static const uint8_t old_http_basic[] = {0x81, 0x82, 0x01};
    static const uint8_t basic_digest[] = {0x92, 0x90, 0x83, 0x01};
    static const uint8_t hmac[] = {0x03, 'H', 'M', 'A', 'C', 0x00, 0x01};
    aauthtype_case(new_digest_md5, sizeof new_digest_md5, "DIGEST,MD5",
                   "DIGEST");
    aauthtype_case(old_digest_md5, sizeof old_digest_md5, "DIGEST,MD5",
                   "DIGEST");
    aauthtype_case(new_http_basic, sizeof new_http_basic, "HTTP-BASIC",
                   "BASIC");
    aauthtype_case(old_http_basic, sizeof old_http_basic, "HTTP-BASIC",
                   "BASIC");
    aauthtype_case(basic_digest, sizeof basic_digest, "BASIC,DIGEST",
                   "DIGEST");
    aauthtype_case(hmac, sizeof hmac, "HMAC", "HMAC");
}

/* With a string table, 0x83 on attribute page 1 is STR_T (the older
 * AAUTHTYPE token cannot be told from it then). */
static void test_cp__str_t_on_page1(void)
{
    static const uint8_t doc[] = {
        0x03, 0x0B, 0x6A, 0x03, 'M', 'D', 0x00, 0x45, 0xC6, 0x00, 0x01,
        0x55, 0x01, 0x87, 0x36, 0x06, 0x83, 0x00, 0x01, 0x01, 0x01,
    };
    pdm__prov_doc *d = NULL;
    CU_ASSERT_EQUAL_FATAL(parse(doc, sizeof doc, true, &d, NULL, 0), PDM_OK);
    PDM_ASSERT_STR(d->chars[0].parms[0].name, "APPID");
    PDM_ASSERT_STR(d->chars[0].parms[0].value, "MD");
    pdm__cp_free(d);
}

/* ---- references and names ------------------------------------------------ */

static const char refs_xml[] =
    "<wap-provisioningdoc version=\"1.0\">"
    "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" value=\"nap-A\"/>"
    "<parm name=\"NAP-ADDRESS\" value=\"apn.example\"/>"
    "<parm name=\"INTERNET\"/></characteristic>"
    "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" value=\"w7\"/>"
    "<parm name=\"PROVIDER-ID\" value=\"one\"/>"
    "<parm name=\"TO-NAPID\" value=\"nap-A\"/>"
    "<parm name=\"ADDR\" value=\"https://one/dm\"/></characteristic>"
    "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" value=\"w7\"/>"
    "<parm name=\"PROVIDER-ID\" value=\"two\"/>"
    "<parm name=\"TO-NAPID\" value=\"elsewhere\"/>"
    "<parm name=\"ADDR\" value=\"https://two/dm\"/></characteristic>"
    "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" value=\"w7\"/>"
    "<parm name=\"PROVIDER-ID\" value=\"three\"/>"
    "<parm name=\"TO-NAPID\" value=\"nap-A\"/>"
    "<parm name=\"TO-PROXY\" value=\"px\"/>"
    "<parm name=\"TO-NAPID\" value=\"INTERNET\"/>"
    "<parm name=\"ADDR\" value=\"https://three/dm\"/>"
    "<parm name=\"ADDR\" value=\"https://three-b/dm\"/>"
    "<characteristic type=\"APPADDR\"><parm name=\"ADDR\" value=\"10.0.0.1\"/>"
    "<parm name=\"ADDRTYPE\" value=\"IPV4\"/></characteristic>"
    "</characteristic>"
    "<characteristic type=\"PXLOGICAL\"><parm name=\"PROXY-ID\" value=\"px\"/>"
    "</characteristic>"
    "<characteristic type=\"VENDORCONFIG\"><parm name=\"NAME\" value=\"v\"/>"
    "</characteristic>"
    "</wap-provisioningdoc>";

static void test_cp__to_napid(void)
{
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(map_text(refs_xml, &f, err, sizeof err), PDM_OK);
    /* in the document: its Inbox root; unknown: as written */
    check_leaf(&f, "./Inbox/one/PrefConRef", "./Inbox/nap-A");
    check_leaf(&f, "./Inbox/two/PrefConRef", "elsewhere");
    CU_ASSERT_PTR_NULL(frag_get(&f, "./Inbox/one/ToConRef"));
    /* several (TO-NAPID and TO-PROXY mixed, document order) */
    CU_ASSERT_PTR_NULL(frag_get(&f, "./Inbox/three/PrefConRef"));
    CU_ASSERT_EQUAL(frag_get(&f, "./Inbox/three/ToConRef")->format,
                    PDM_FORMAT_NODE);
    check_leaf(&f, "./Inbox/three/ToConRef/1/ConRef", "./Inbox/nap-A");
    check_leaf(&f, "./Inbox/three/ToConRef/2/ConRef", "./Inbox/px");
    check_leaf(&f, "./Inbox/three/ToConRef/3/ConRef", "INTERNET");
    CU_ASSERT_PTR_NULL(frag_get(&f, "./Inbox/three/ToConRef/4"));
    /* ADDR on the APPLICATION first, then the APPADDRs */
    check_leaf(&f, "./Inbox/three/AppAddr/1/Addr", "https://three/dm");
    check_leaf(&f, "./Inbox/three/AppAddr/2/Addr", "https://three-b/dm");
    check_leaf(&f, "./Inbox/three/AppAddr/3/Addr", "10.0.0.1");
    check_leaf(&f, "./Inbox/three/AppAddr/3/AddrType", "IPv4");
    CU_ASSERT_PTR_NULL(frag_get(&f, "./Inbox/three/AppAuth"));
    check_leaf(&f, "./Inbox/nap-A/Internet", "true");
    CU_ASSERT_EQUAL(frag_get(&f, "./Inbox/px")->format, PDM_FORMAT_NODE);
    /* VENDORCONFIG ignored: five MO roots, nothing else in ./Inbox */
    {
        size_t roots = 0;
        for (size_t i = 0; i < f.n; i++)
            roots += strchr(f.v[i].uri + 8, '/') == NULL;
        CU_ASSERT_EQUAL(roots, 5);
    }
    pdm__bs_frag_free(&f);
}

static void test_cp__node_names(void)
{
    static const char doc[] =
        "<wap-provisioningdoc>"
        "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "
        "value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"a/b\"/>"
        "<parm name=\"ADDR\" value=\"http://a\"/></characteristic>"
        "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "
        "value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"same\"/>"
        "<parm name=\"ADDR\" value=\"http://b\"/></characteristic>"
        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" value=\"same\"/>"
        "</characteristic>"
        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" value=\"..\"/>"
        "</characteristic>"
        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" "
        "value=\"nap-2\"/></characteristic>"
        "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "
        "value=\"w7\"/><parm name=\"PROVIDER-ID\" "
        "value=\"a-provider-id-longer-than-32-bytes\"/>"
        "<parm name=\"ADDR\" value=\"http://c\"/></characteristic>"
        "</wap-provisioningdoc>";
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(map_text(doc, &f, err, sizeof err), PDM_OK);
    /* '/' in the id, an id two MOs share, "..", over 32 bytes: fallback
     * names, skipping a name another MO has as id ("nap-2") */
    check_leaf(&f, "./Inbox/w7-1/ServerID", "a/b");
    check_leaf(&f, "./Inbox/w7-2/ServerID", "same");
    check_leaf(&f, "./Inbox/nap-1/ID", "same");
    check_leaf(&f, "./Inbox/nap-3/ID", "..");
    check_leaf(&f, "./Inbox/nap-2/ID", "nap-2");
    check_leaf(&f, "./Inbox/w7-3/ServerID",
               "a-provider-id-longer-than-32-bytes");
    pdm__bs_frag_free(&f);
}

/* ---- refusals: mapping --------------------------------------------------- */

static void map_refused(const char *doc, int rc, const char *msg)
{
    pdm__bs_frag f;
    char err[256] = "";
    CU_ASSERT_EQUAL(map_text(doc, &f, err, sizeof err), rc);
    if (!strstr(err, msg))
        fprintf(stderr, "err '%s' lacks '%s'\n", err, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
    CU_ASSERT_PTR_NULL(strstr(err, "s3cr3t"));
    CU_ASSERT_PTR_NULL(strstr(err, "bm9uY2U"));
    pdm__bs_frag_free(&f);
}

#define W7_OPEN                                                              \
    "<wap-provisioningdoc><characteristic type=\"BOOTSTRAP\"/>"              \
    "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" value=\"w7\"/>"
#define W7_CLOSE "</characteristic></wap-provisioningdoc>"
#define AUTH(level)                                                          \
    "<characteristic type=\"APPAUTH\">" level                                \
    "<parm name=\"AAUTHSECRET\" value=\"s3cr3t\"/>"                          \
    "<parm name=\"AAUTHDATA\" value=\"bm9uY2U=\"/></characteristic>"

static void test_cp__map_refusals(void)
{
    map_refused(W7_OPEN "<parm name=\"ADDR\" value=\"http://a\"/>" W7_CLOSE,
                PDM_EFORMAT,
                "CP: characteristic #2 (APPLICATION w7): a w7 APPLICATION "
                "without PROVIDER-ID");
    map_refused(W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>" AUTH(
                    "<parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>") W7_CLOSE,
                PDM_EFORMAT,
                "characteristic #2 (APPLICATION w7): a w7 APPLICATION "
                "without ADDR or APPADDR");
    map_refused(W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>"
                        "<parm name=\"ADDR\" value=\"http://a\"/>" AUTH(
                            "<parm name=\"AAUTHLEVEL\" value=\"HTTP\"/>")
                            W7_CLOSE,
                PDM_EFORMAT,
                "APPAUTH #1: AAUTHLEVEL 'HTTP' is not APPSRV, CLIENT or OBEX");
    map_refused(W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>"
                        "<parm name=\"ADDR\" value=\"http://a\"/>" AUTH("")
                            W7_CLOSE,
                PDM_EFORMAT, "APPAUTH #1 has no AAUTHLEVEL");
    map_refused(W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>"
                        "<parm name=\"PROVIDER-ID\" value=\"q\"/>"
                        "<parm name=\"ADDR\" value=\"http://a\"/>" W7_CLOSE,
                PDM_EFORMAT, "PROVIDER-ID given 2 times");
    map_refused(W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>"
                        "<characteristic type=\"APPADDR\"><parm "
                        "name=\"ADDRTYPE\" value=\"IPV4\"/></characteristic>"
                        W7_CLOSE,
                PDM_EFORMAT, "APPADDR #1 must have one ADDR with a value");
    map_refused("<wap-provisioningdoc><characteristic type=\"NAPDEF\">"
                "<parm name=\"NAME\" value=\"n\"/></characteristic>"
                "</wap-provisioningdoc>",
                PDM_EFORMAT, "characteristic #1 (NAPDEF) has no NAPID");
    map_refused("<wap-provisioningdoc><characteristic type=\"NAPDEF\">"
                "<parm name=\"NAPID\" value=\"n\"/></characteristic>"
                "<characteristic type=\"NAPDEF\">"
                "<parm name=\"NAPID\" value=\"n\"/></characteristic>"
                "</wap-provisioningdoc>",
                PDM_EFORMAT,
                "characteristic #2 (NAPDEF): NAPID 'n' is also that of "
                "characteristic #1");
    map_refused("<wap-provisioningdoc><characteristic type=\"PXLOGICAL\">"
                "<parm name=\"PROXY-ID\" value=\"x\"/>"
                "<parm name=\"TRUST\" value=\"maybe\"/></characteristic>"
                "</wap-provisioningdoc>",
                PDM_EFORMAT, "TRUST must be 1 or 0 (or no value)");
}

/* AAuthData that is not base64 is the nonce bytes as written; OBEX level
 * keeps its AAUTHTYPE. */
static void test_cp__aauthdata_and_obex(void)
{
    static const char doc[] =
        W7_OPEN "<parm name=\"PROVIDER-ID\" value=\"p\"/>"
                "<parm name=\"ADDR\" value=\"http://a\"/>"
                "<characteristic type=\"APPAUTH\">"
                "<parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>"
                "<parm name=\"AAUTHDATA\" value=\"not base64!\"/>"
                "</characteristic><characteristic type=\"APPAUTH\">"
                "<parm name=\"AAUTHLEVEL\" value=\"OBEX\"/>"
                "<parm name=\"AAUTHTYPE\" value=\"HTTP-DIGEST\"/>"
                "</characteristic>" W7_CLOSE;
    pdm__bs_frag f;
    char err[256] = "";
    const pdm__bs_node *x;
    CU_ASSERT_EQUAL_FATAL(map_text(doc, &f, err, sizeof err), PDM_OK);
    x = frag_get(&f, "./Inbox/p/AppAuth/1/AAuthData");
    CU_ASSERT(x && x->format == PDM_FORMAT_BIN && x->len == 11 &&
              memcmp(x->data, "not base64!", 11) == 0);
    check_leaf(&f, "./Inbox/p/AppAuth/1/AAuthLevel", "SRVCRED");
    check_leaf(&f, "./Inbox/p/AppAuth/1/AAuthType", "DIGEST");
    check_leaf(&f, "./Inbox/p/AppAuth/2/AAuthLevel", "OBEX");
    check_leaf(&f, "./Inbox/p/AppAuth/2/AAuthType", "HTTP-DIGEST");
    pdm__bs_frag_free(&f);
}

/* ---- refusals: parsing --------------------------------------------------- */

static void parse_refused(const void *p, size_t n, bool wbxml, int rc,
                          const char *msg)
{
    pdm__prov_doc *d = (pdm__prov_doc *)1;
    char err[256] = "";
    CU_ASSERT_EQUAL(parse(p, n, wbxml, &d, err, sizeof err), rc);
    CU_ASSERT_PTR_NULL(d);
    if (!strstr(err, msg))
        fprintf(stderr, "err '%s' lacks '%s'\n", err, msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
    CU_ASSERT_PTR_NULL(strstr(err, "s3cr3t"));
}

static void test_cp__wbxml_refusals(void)
{
    size_t n;
    uint8_t *w7 = rd(W7, &n);
    static const uint8_t syncml[] = {0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D,
                                     0x01};
    static const uint8_t pid[] = {0x03, 0x0C, 0x6A, 0x00, 0x45, 0x01};
    static const uint8_t tag[] = {0x03, 0x0B, 0x6A, 0x00, 0x45, 0x48, 0x01};
    static const uint8_t strt[] = {0x03, 0x0B, 0x6A, 0x02, 'a', 0x00, 0xC5,
                                   0x45, 0x83, 0x07, 0x01, 0x01};
    static const uint8_t ctl[] = {0x03, 0x0B, 0x6A, 0x00, 0x45, 0xC6, 0x55,
                                  0x01, 0x87, 0x07, 0x06, 0x03, 'a', 0x07,
                                  'b', 0x00, 0x01, 0x01, 0x01};
    static const uint8_t text[] = {0x03, 0x0B, 0x6A, 0x00, 0x45, 0x03,
                                   'h', 'i', 0x00, 0x01};
    uint8_t deep[256];
    size_t dn = 0;

    parse_refused(w7, 100, true, PDM_EPARSE, "CP: WBXML offset ");
    parse_refused(w7, 100, true, PDM_EPARSE, "input ends inside");
    parse_refused(w7, 3, true, PDM_EPARSE, "CP: WBXML offset 3");
    parse_refused(syncml, sizeof syncml, true, PDM_EPARSE,
                  "CP: WBXML offset 1: public id 0x1201 is not an OMA CP "
                  "document");
    parse_refused(pid, sizeof pid, true, PDM_EPARSE,
                  "CP: WBXML offset 1: unsupported public id 0xC");
    parse_refused(tag, sizeof tag, true, PDM_EPARSE,
                  "CP: WBXML offset 5: unknown tag token 0x48 on code page "
                  "0");
    parse_refused(strt, sizeof strt, true, PDM_EPARSE, "CP: WBXML offset 8");
    parse_refused(strt, sizeof strt, true, PDM_EPARSE,
                  "string table index 7 out of range (table has 2 bytes)");
    parse_refused(ctl, sizeof ctl, true, PDM_EPARSE,
                  "CP: WBXML offset 13: characteristic #1 (NAPDEF) > parm "
                  "NAME: the value is not one line of UTF-8 text (byte 1 of "
                  "the value)");
    parse_refused(text, sizeof text, true, PDM_EPARSE,
                  "CP: character data in <wap-provisioningdoc>");
    /* nesting: 20 characteristics */
    memcpy(deep, "\x03\x0B\x6A\x00\x45", 5);
    dn = 5;
    for (int i = 0; i < 20; i++) {
        memcpy(deep + dn, "\xC6\x55\x01", 3);
        dn += 3;
    }
    for (int i = 0; i < 21; i++)
        deep[dn++] = 0x01;
    parse_refused(deep, dn, true, PDM_ETOOBIG, "CP: WBXML offset 53: ");
    parse_refused(deep, dn, true, PDM_ETOOBIG, "nested deeper than");
    free(w7);
}

/* Exactly PDM__BS_MAX_DEPTH levels below the root (15 characteristics
 * and a parm) pass. */
static void test_cp__depth_limit(void)
{
    uint8_t doc[256];
    size_t n = 5;
    pdm__prov_doc *d = NULL;
    memcpy(doc, "\x03\x0B\x6A\x00\x45", 5);
    for (int i = 0; i < PDM__BS_MAX_DEPTH - 1; i++) {
        memcpy(doc + n, "\xC6\x55\x01", 3);
        n += 3;
    }
    memcpy(doc + n, "\x87\x07\x01", 3);
    n += 3;
    for (int i = 0; i < PDM__BS_MAX_DEPTH; i++)
        doc[n++] = 0x01;
    CU_ASSERT_EQUAL(parse(doc, n, true, &d, NULL, 0), PDM_OK);
    pdm__cp_free(d);
}

static void test_cp__xml_refusals(void)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE wap-provisioningdoc [\n"
        " <!ENTITY a \"aaaaaaaaaa\">\n"
        " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
        "]>\n"
        "<wap-provisioningdoc><characteristic type=\"&b;\"/>"
        "</wap-provisioningdoc>\n";
    static const char xxe[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE wap-provisioningdoc [\n"
        "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        "<wap-provisioningdoc><characteristic type=\"&x;\"/>"
        "</wap-provisioningdoc>\n";
    static const char undeclared[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE wap-provisioningdoc PUBLIC \"-//WAPFORUM//DTD PROV "
        "1.0//EN\" \"http://www.wapforum.org/DTD/prov.dtd\">\n"
        "<wap-provisioningdoc>\n<characteristic type=\"&x;\"/>"
        "</wap-provisioningdoc>\n";
    static const char syncml[] =
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr/></SyncML>";
    static const char unknown[] =
        "<wap-provisioningdoc>\n<characteristic type=\"A\">"
        "<foo/></characteristic></wap-provisioningdoc>";
    static const char notype[] =
        "<wap-provisioningdoc><characteristic/></wap-provisioningdoc>";
    static const char tab[] =
        "<wap-provisioningdoc><characteristic type=\"A\">"
        "<parm name=\"AAUTHSECRET\" value=\"s3cr3t&#9;x\"/>"
        "</characteristic></wap-provisioningdoc>";
    static const char attr[] =
        "<wap-provisioningdoc><characteristic type=\"A\" name=\"B\"/>"
        "</wap-provisioningdoc>";
    static const char truncated[] = "<wap-provisioningdoc>\n<characteristic";

    parse_refused(laughs, strlen(laughs), false, PDM_EPARSE,
                  "CP: XML line 3: DOCTYPE entity declarations are not "
                  "accepted");
    parse_refused(xxe, strlen(xxe), false, PDM_EPARSE,
                  "CP: XML line 3: DOCTYPE entity declarations are not "
                  "accepted");
    parse_refused(undeclared, strlen(undeclared), false, PDM_EPARSE,
                  "CP: XML line 4");
    parse_refused(syncml, strlen(syncml), false, PDM_EPARSE,
                  "CP: the root element is <SyncML>, not "
                  "<wap-provisioningdoc>");
    parse_refused(unknown, strlen(unknown), false, PDM_EPARSE,
                  "CP: characteristic #1 (A): unexpected element <foo> in a "
                  "characteristic");
    parse_refused(notype, strlen(notype), false, PDM_EPARSE,
                  "CP: characteristic #1: characteristic without type");
    parse_refused(tab, strlen(tab), false, PDM_EPARSE,
                  "CP: characteristic #1 (A) > parm AAUTHSECRET: the value "
                  "is not one line of UTF-8 text (byte 6 of the value)");
    parse_refused(attr, strlen(attr), false, PDM_EPARSE,
                  "unexpected attribute 'name' on <characteristic>");
    parse_refused(truncated, strlen(truncated), false, PDM_EPARSE,
                  "CP: XML line 2");
    parse_refused("", 0, false, PDM_EPARSE, "CP: empty document");
}

/* XML nesting is refused with the line; more MOs than PDM__BS_MAX_MOS
 * in one document is PDM_ETOOBIG. */
static void test_cp__xml_limits(void)
{
    pdm__buf b;
    pdm__bs_frag f;
    char err[256] = "";
    pdm__buf_init(&b);
    pdm__buf_puts(&b, "<wap-provisioningdoc>\n");
    for (int i = 0; i < 20; i++)
        pdm__buf_puts(&b, "<characteristic type=\"A\">\n");
    for (int i = 0; i < 20; i++)
        pdm__buf_puts(&b, "</characteristic>\n");
    pdm__buf_puts(&b, "</wap-provisioningdoc>\n");
    parse_refused(b.data, b.len, false, PDM_ETOOBIG, "CP: XML line 18: ");
    pdm__buf_reset(&b);
    pdm__buf_puts(&b, "<wap-provisioningdoc>");
    for (int i = 0; i <= PDM__BS_MAX_MOS; i++)
        pdm__buf_printf(&b,
                        "<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" "
                        "value=\"n%d\"/></characteristic>",
                        i);
    pdm__buf_puts(&b, "</wap-provisioningdoc>");
    CU_ASSERT_EQUAL(map_text((const char *)b.data, &f, err, sizeof err),
                    PDM_ETOOBIG);
    PDM_ASSERT_STR(err, "CP: characteristic #33 (NAPDEF): more than 32 "
                        "accounts and connectivity objects in one document");
    pdm__bs_frag_free(&f);
    pdm__buf_free(&b);
}

/* The PROV 1.0 FPI as a string-table public id (and the 1.1 one). */
static void test_cp__string_public_id(void)
{
    static const char fpi10[] = "-//WAPFORUM//DTD PROV 1.0//EN";
    static const char fpi11[] = "-//WAPFORUM//DTD PROV 1.1//EN";
    const char *fpis[] = {fpi10, fpi11};
    for (size_t i = 0; i < 2; i++) {
        uint8_t doc[64];
        size_t n = 0;
        pdm__prov_doc *d = NULL;
        doc[n++] = 0x03;
        doc[n++] = 0x00; /* public id in the string table */
        doc[n++] = 0x00; /* at index 0 */
        doc[n++] = 0x6A;
        doc[n++] = (uint8_t)(strlen(fpis[i]) + 1);
        memcpy(doc + n, fpis[i], strlen(fpis[i]) + 1);
        n += strlen(fpis[i]) + 1;
        doc[n++] = 0x45;
        doc[n++] = 0x01;
        CU_ASSERT_EQUAL(parse(doc, n, true, &d, NULL, 0), PDM_OK);
        pdm__cp_free(d);
    }
}

/* Every allocation failure ends in PDM_ENOMEM without a leak (ASan). */
static void test_cp__out_of_memory(void)
{
    size_t n;
    uint8_t *buf = rd(W7, &n);
    long total;
    pdm__alloc_fail_after(-1);
    pdm__alloc_fail_after(1000000);
    {
        pdm__prov_doc *d = NULL;
        pdm__bs_frag f;
        pdm__bs_frag_init(&f);
        CU_ASSERT_EQUAL(parse(buf, n, true, &d, NULL, 0), PDM_OK);
        CU_ASSERT_EQUAL(pdm__cp_map(d, &f, NULL, 0), PDM_OK);
        pdm__bs_frag_free(&f);
        pdm__cp_free(d);
    }
    total = pdm__alloc_fail_after(-1);
    for (long i = 0; i < total; i++) {
        pdm__prov_doc *d = NULL;
        pdm__bs_frag f;
        int rc;
        pdm__bs_frag_init(&f);
        pdm__alloc_fail_after(i);
        rc = parse(buf, n, true, &d, NULL, 0);
        if (rc == PDM_OK)
            rc = pdm__cp_map(d, &f, NULL, 0);
        pdm__alloc_fail_after(-1);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM);
        pdm__bs_frag_free(&f);
        pdm__cp_free(d);
    }
    free(buf);
}

static const pdm_test tests[] = {
    {"e7_xml_and_wbxml", test_cp__e7_xml_and_wbxml},
    {"e7_connmo", test_cp__e7_connmo},
    {"e8_code_pages", test_cp__e8_code_pages},
    {"e9_w7_mapping", test_cp__e9_w7_mapping},
    {"funambol_w7", test_cp__funambol_w7},
    {"empty_doc", test_cp__empty_doc},
    {"aauthtype_ranges", test_cp__aauthtype_ranges},
    {"str_t_on_page1", test_cp__str_t_on_page1},
    {"to_napid", test_cp__to_napid},
    {"node_names", test_cp__node_names},
    {"map_refusals", test_cp__map_refusals},
    {"aauthdata_and_obex", test_cp__aauthdata_and_obex},
    {"wbxml_refusals", test_cp__wbxml_refusals},
    {"depth_limit", test_cp__depth_limit},
    {"xml_refusals", test_cp__xml_refusals},
    {"xml_limits", test_cp__xml_limits},
    {"string_public_id", test_cp__string_public_id},
    {"out_of_memory", test_cp__out_of_memory},
    {NULL, NULL},
};

static const pdm_suite suites[] = {
    {"cp", tests, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
