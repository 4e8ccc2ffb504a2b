/*
 * cp-bootstrap: OMA CP (ProvBoot/ProvCont) bootstrap documents as a
 * bootstrap source.
 *
 * The component "cp" does two things, and no security: decoding, the
 * SEC/MAC check, policy and the w7 mapping are core code (core/src/
 * bootstrap/cp.c), so a plugin can never weaken them.
 *   - accepts(): it takes the OMA CP content types the integrator hands to
 *     pdm_ctx_bootstrap_submit (a WAP push the agent received, a file the
 *     user named) from the origins of option.origins.  Without a loaded
 *     component that accepts them the core refuses every CP document.
 *   - probe()/read(): option.file names a CP document on the device (a
 *     provisioning file dropped by the integrator); pdm_ctx_bootstrap_scan
 *     gets it (origin FILE) with option.sec/option.mac as its SEC and MAC.
 *     Once applied (consumed(PDM_OK)) its SHA-256 is kept in the plugin's
 *     key/value data and the same content is never offered again; a
 *     changed file is.  A refused document is not offered again by this
 *     process (a scan loop must not retry it forever) but is after a
 *     restart: the refusal may have been for a reason that has since
 *     gone (no IMSI yet, a policy changed).
 *   - origin() (since ABI 1.2): FILE, the origin of everything read()
 *     gives, so `bootstrap.disabled_origins = file` turns the file off.
 *
 * Options: origins (default "push,file,user,factory"), file, sec, mac.
 */
#include <polydm/bootstrap.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

static const pdm_host_api *host; /* plugin.h rule 9 */

#define CT_WBXML "application/vnd.wap.connectivity-wbxml"
#define CT_XML "text/vnd.wap.connectivity-xml"
#define MAX_FILE (1024 * 1024) /* the core has its own, lower limit */
#define KV_APPLIED "applied-sha256"

typedef struct inst {
    pdm_plugin_ctx *pc;
    unsigned origins;    /* bit (1 << pdm_bootstrap_origin) */
    const char *file;    /* option values: borrowed until fini */
    const char *mac;
    uint32_t sec;
    uint8_t *doc;        /* what probe() found, handed over by read() */
    size_t len;
    uint8_t sha[32];     /* of doc */
    uint8_t skip[32];    /* offered or refused by this process */
    int have_skip;
} inst;

/* ---- SHA-256: GnuTLS, the project's crypto library ---------------------- */

static int sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    /* the core logs the probe's failure */
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, d, n, out) == 0 ? PDM_OK
                                                              : PDM_ERROR;
}

/* ---- options ------------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t origin;
} origin_names[] = {
    {"factory", PDM_ORIGIN_FACTORY}, {"smartcard", PDM_ORIGIN_SMARTCARD},
    {"push", PDM_ORIGIN_PUSH},       {"file", PDM_ORIGIN_FILE},
    {"user", PDM_ORIGIN_USER},
};
#define NORIGINS (sizeof origin_names / sizeof origin_names[0])

/* "push, file" -> bits; every item must be a known name, at least one. */
static int parse_origins(const char *s, unsigned *out)
{
    unsigned bits = 0;
    for (;;) {
        size_t n = strcspn(s, ","), i;
        const char *p = s;
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        for (i = 0; i < NORIGINS; i++)
            if (strlen(origin_names[i].name) == n &&
                strncmp(origin_names[i].name, p, n) == 0)
                break;
        if (i == NORIGINS)
            return PDM_EINVAL;
        bits |= 1u << origin_names[i].origin;
        s += strcspn(s, ",");
        if (!*s)
            break;
        s++;
    }
    *out = bits;
    return PDM_OK;
}

/* SEC names of ProvBoot and of DM Security (facts §8.3: both spellings). */
static int parse_sec(const char *s, uint32_t *out)
{
    static const struct {
        const char *name;
        uint32_t sec;
    } secs[] = {
        {"NONE", PDM_SEC_NONE},          {"NETWPIN", PDM_SEC_NETWPIN},
        {"NETWORKID", PDM_SEC_NETWPIN},  {"USERPIN", PDM_SEC_USERPIN},
        {"USERNETWPIN", PDM_SEC_USERNETWPIN},
        {"USERPIN_NETWORKID", PDM_SEC_USERNETWPIN},
        {"USERPINMAC", PDM_SEC_USERPINMAC},
    };
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
        if (strcmp(secs[i].name, s) == 0) {
            *out = secs[i].sec;
            return PDM_OK;
        }
    return PDM_EINVAL;
}

/* HMAC-SHA1 as hex: 40 hex digits, either case. */
static int mac_ok(const char *s)
{
    return strlen(s) == 40 && strspn(s, "0123456789abcdefABCDEF") == 40;
}

static int cp_init(pdm_plugin_ctx *pc, const pdm_host_api *h, void **data)
{
    (void)pc;
    (void)data;
    host = h;
    return PDM_OK;
}

static int cp_create(pdm_plugin_ctx *pc, void *plugin_data, void **out)
{
    const char *origins = host->get_option(pc, "origins");
    const char *sec = host->get_option(pc, "sec");
    inst *in = host->alloc(sizeof(*in));
    (void)plugin_data;
    if (!in)
        return PDM_ENOMEM;
    memset(in, 0, sizeof *in);
    in->pc = pc;
    in->file = host->get_option(pc, "file");
    in->mac = host->get_option(pc, "mac");
    if (parse_origins(origins ? origins : "push,file,user,factory",
                      &in->origins) != PDM_OK) {
        host->set_error(pc, PDM_EINVAL,
                        "option.origins: '%s' is not a comma-separated list "
                        "of factory, smartcard, push, file, user", origins);
        goto bad;
    }
    if (sec && parse_sec(sec, &in->sec) != PDM_OK) {
        host->set_error(pc, PDM_EINVAL,
                        "option.sec: '%s' is not NONE, NETWPIN, USERPIN, "
                        "USERNETWPIN or USERPINMAC", sec);
        goto bad;
    }
    /* The MAC value is not secret (it travels in the push header) but it
     * is not echoed either: the message names the rule it breaks. */
    if (in->mac && !mac_ok(in->mac)) {
        host->set_error(pc, PDM_EINVAL,
                        "option.mac: not 40 hex digits (an HMAC-SHA1)");
        goto bad;
    }
    if ((in->sec || in->mac) && !in->file) {
        host->set_error(pc, PDM_EINVAL,
                        "option.sec and option.mac need option.file");
        goto bad;
    }
    if (in->mac && in->sec == PDM_SEC_NONE) {
        host->set_error(pc, PDM_EINVAL,
                        "option.mac without option.sec: say which SEC "
                        "method the MAC is for");
        goto bad;
    }
    if (in->file && !*in->file) {
        host->set_error(pc, PDM_EINVAL, "option.file: empty");
        goto bad;
    }
    *out = in;
    return PDM_OK;
bad:
    host->free(in);
    return PDM_EINVAL;
}

static void drop_doc(inst *in)
{
    host->free(in->doc);
    in->doc = NULL;
    in->len = 0;
}

static void cp_destroy(void *i)
{
    inst *in = i;
    drop_doc(in);
    host->free(in);
}

static int cp_accepts(void *i, const char *content_type, uint32_t origin)
{
    const inst *in = i;
    if (origin >= 32 || !(in->origins & (1u << origin)))
        return PDM_EDENIED;
    if (strcmp(content_type, CT_WBXML) == 0 || strcmp(content_type, CT_XML) == 0)
        return PDM_OK;
    return PDM_ENOTSUP;
}

/* Reads option.file into in->doc.  PDM_ENOTFOUND when it does not exist
 * (nothing to offer yet), else PDM_OK or an error with set_error. */
static int load_file(inst *in)
{
    FILE *f = fopen(in->file, "rb");
    uint8_t *buf;
    size_t n;
    if (!f) {
        if (errno == ENOENT)
            return PDM_ENOTFOUND;
        host->set_error(in->pc, PDM_EIO, "option.file %s: %s", in->file,
                        strerror(errno));
        return PDM_EIO;
    }
    buf = host->alloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        return PDM_ENOMEM;
    }
    n = fread(buf, 1, MAX_FILE + 1, f);
    if (ferror(f) || n == 0 || n > MAX_FILE) {
        int rc = ferror(f) ? PDM_EIO : n ? PDM_ETOOBIG : PDM_EFORMAT;
        host->set_error(in->pc, rc, "option.file %s: %s", in->file,
                        rc == PDM_EIO ? "read error"
                        : n ? "larger than 1 MiB" : "empty");
        fclose(f);
        host->free(buf);
        return rc;
    }
    fclose(f);
    in->doc = buf;
    in->len = n;
    return PDM_OK;
}

/* The content type: from the extension, else from the first bytes (WBXML
 * starts with its version 0x01..0x03, XML with '<' after an optional BOM
 * and blanks).  NULL: neither. */
static const char *content_type(const inst *in)
{
    const char *dot = strrchr(in->file, '.');
    size_t i = 0;
    if (dot && strcmp(dot, ".xml") == 0)
        return CT_XML;
    if (dot && strcmp(dot, ".wbxml") == 0)
        return CT_WBXML;
    if (in->doc[0] >= 0x01 && in->doc[0] <= 0x03)
        return CT_WBXML;
    if (in->len >= 3 && memcmp(in->doc, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < in->len && (in->doc[i] == ' ' || in->doc[i] == '\t' ||
                           in->doc[i] == '\r' || in->doc[i] == '\n'))
        i++;
    return i < in->len && in->doc[i] == '<' ? CT_XML : NULL;
}

static int cp_probe(void *i)
{
    inst *in = i;
    pdm_blob kv = {NULL, 0};
    int rc, applied;
    if (!in->file)
        return PDM_ENOTFOUND;
    drop_doc(in);
    if ((rc = load_file(in)) != PDM_OK)
        return rc;
    if ((rc = sha256(in->doc, in->len, in->sha)) != PDM_OK) {
        drop_doc(in);
        return rc;
    }
    if (in->have_skip && memcmp(in->skip, in->sha, 32) == 0) {
        drop_doc(in);
        return PDM_ENOTFOUND;
    }
    rc = host->kv_get(in->pc, KV_APPLIED, &kv);
    if (rc != PDM_OK && rc != PDM_ENOTFOUND) {
        /* Without the record a once-applied file could be applied again:
         * offer nothing rather than guess. */
        host->set_error(in->pc, rc, "cannot read what was applied: %s",
                        host->strerror(rc));
        drop_doc(in);
        return rc;
    }
    applied = rc == PDM_OK && kv.len == 32 && memcmp(kv.data, in->sha, 32) == 0;
    host->free(kv.data);
    if (applied) {
        drop_doc(in);
        return PDM_ENOTFOUND;
    }
    if (!content_type(in)) {
        host->set_error(in->pc, PDM_EFORMAT,
                        "option.file %s: neither WBXML nor XML (name it "
                        ".wbxml or .xml)", in->file);
        memcpy(in->skip, in->sha, 32); /* once per process is enough */
        in->have_skip = 1;
        drop_doc(in);
        return PDM_EFORMAT;
    }
    return PDM_OK;
}

static int cp_read(void *i, pdm_bootstrap_doc *out)
{
    inst *in = i;
    pdm_bootstrap_doc d;
    if (!in->doc)
        return PDM_ENOTFOUND;
    if (out->struct_size < offsetof(pdm_bootstrap_doc, source_id))
        return PDM_EINVAL;
    memset(&d, 0, sizeof d);
    d.origin = PDM_ORIGIN_FILE;
    d.sec = in->sec;
    d.content_type = host->strdup(content_type(in));
    d.mac_hex = in->mac ? host->strdup(in->mac) : NULL;
    if (!d.content_type || (in->mac && !d.mac_hex)) {
        host->free(d.content_type);
        host->free(d.mac_hex);
        return PDM_ENOMEM;
    }
    /* The buffer probe() filled goes over as it is: the bytes handed over
     * are exactly the ones hashed. */
    d.body.data = in->doc;
    d.body.len = in->len;
    in->doc = NULL;
    in->len = 0;
    /* Offered: not again in this process until consumed() says applied
     * (then the kv entry keeps it out for good). */
    memcpy(in->skip, in->sha, 32);
    in->have_skip = 1;
    out->origin = d.origin;
    out->body = d.body;
    out->content_type = d.content_type;
    out->sec = d.sec;
    out->mac_hex = d.mac_hex;
    return PDM_OK;
}

static void cp_consumed(void *i, int outcome)
{
    inst *in = i;
    if (!in->have_skip)
        return;
    if (outcome == PDM_OK) {
        int rc = host->kv_put(in->pc, KV_APPLIED, in->skip, 32);
        if (rc != PDM_OK)
            host->log(in->pc, PDM_LOG_WARN,
                      "cannot remember the applied file (%s): it will be "
                      "offered again at the next start", host->strerror(rc));
    } else {
        host->log(in->pc, PDM_LOG_INFO,
                  "%s refused (%s): not offered again until restart or "
                  "change", in->file, host->strerror(outcome));
    }
}

/* What probe()/read() offer is always option.file, origin FILE (read()
 * says so too): a profile that disables `file` (bootstrap.disabled_origins)
 * switches that off without the file being opened.  Submitted documents
 * (accepts()) keep their own origins. */
static uint32_t cp_origin(void *i)
{
    (void)i;
    return PDM_ORIGIN_FILE;
}

static const pdm_bootstrap_ops ops = {
    {sizeof(pdm_bootstrap_ops), PDM_KIND_BOOTSTRAP, cp_create, cp_destroy},
    cp_probe,
    cp_read,
    cp_consumed,
    NULL, /* present_ids: a file's accounts stay when it goes */
    cp_accepts,
    cp_origin,
    NULL, /* watch_fd: a file is found when the integrator scans */
};

static const pdm_component components[] = {
    {PDM_KIND_BOOTSTRAP, 0, "cp", &ops.head, {NULL, NULL}},
    {PDM_KIND_END, 0, NULL, NULL, {NULL, NULL}},
};

static const pdm_option_desc options[] = {
    {"origins", "origins whose submitted CP documents this takes "
     "(factory, smartcard, push, file, user)", "push,file,user,factory", 0, 0,
     {NULL, NULL}},
    {"file", "a CP document (.xml or .wbxml) offered to bootstrap scans",
     NULL, 0, 0, {NULL, NULL}},
    {"sec", "SEC method of option.file: NETWPIN, USERPIN, USERNETWPIN, "
     "USERPINMAC or NONE", "NONE", 0, 0, {NULL, NULL}},
    {"mac", "MAC of option.file (40 hex digits)", NULL, 0, 0, {NULL, NULL}},
    {NULL, NULL, NULL, 0, 0, {NULL, NULL}},
};

static const pdm_plugin_desc desc = {
    PDM_PLUGIN_DESC_HEAD,
    "cp-bootstrap",
    "1.0",
    "OMA CP bootstrap documents: pushed or submitted, and a provisioning file",
    components,
    options,
    cp_init,
    NULL,
};

PDM_PLUGIN_DEFINE(cp_bootstrap, desc)
