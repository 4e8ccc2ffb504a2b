/*
 * WSP connectionless push PDU (WAP-230-WSP §8.2.4.1 layout, §8.4 header
 * encoding): TID, PDU type, HeadersLen (uintvar), Content-Type, headers,
 * body.  Only what DM and CP pushes need is interpreted: the content type
 * with its SEC/MAC parameters and X-WAP-Application-ID; everything else is
 * skipped with the generic value rules.  See auth.h.
 */
#include "auth/auth.h"

#include <string.h>

#include <polydm/bootstrap.h>

#define WK_PARAM_Q 0x00
#define WK_PARAM_SEC 0x11
#define WK_PARAM_MAC 0x12
#define WK_HDR_APPID 0x2F
#define SHORT_LEN_MAX 30
#define LENGTH_QUOTE 31
#define SHIFT_DELIM 0x7F
#define QUOTE 0x22
#define TEXT_QUOTE 0x7F

static const struct {
    int code;
    const char *name;
} ct_table[] = {
    {PDM__WSP_CT_CONNECTIVITY_XML, "text/vnd.wap.connectivity-xml"},
    {PDM__WSP_CT_CONNECTIVITY_WBXML, "application/vnd.wap.connectivity-wbxml"},
    {PDM__WSP_CT_DM_WBXML, "application/vnd.syncml.dm+wbxml"},
    {PDM__WSP_CT_DM_XML, "application/vnd.syncml.dm+xml"},
    {PDM__WSP_CT_NOTIFICATION, "application/vnd.syncml.notification"},
};

const char *pdm__wsp_content_type_name(int code)
{
    for (size_t i = 0; i < PDM__ARRAY_LEN(ct_table); i++)
        if (ct_table[i].code == code)
            return ct_table[i].name;
    return NULL;
}

static int content_type_code(const char *name)
{
    for (size_t i = 0; i < PDM__ARRAY_LEN(ct_table); i++)
        if (pdm__strcaseeq(ct_table[i].name, name))
            return ct_table[i].code;
    return -1;
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t pos, end; /* reading p[pos..end) */
    char *err;
    size_t errlen;
} rd;

#define FAIL(r, ...)                                                  \
    do {                                                              \
        pdm__errf((r)->err, (r)->errlen, "WSP push: " __VA_ARGS__); \
        return PDM_EPARSE;                                            \
    } while (0)

static int get_byte(rd *r, uint8_t *b, const char *what)
{
    if (r->pos >= r->end)
        FAIL(r, "truncated (%s)", what);
    *b = r->p[r->pos++];
    return PDM_OK;
}

/* uintvar: 7 bits per byte, high bit = more; at most 5 bytes, 32 bits. */
static int get_uintvar(rd *r, uint32_t *v, const char *what)
{
    uint64_t acc = 0;
    for (int i = 0; i < 5; i++) {
        uint8_t b;
        int rc = get_byte(r, &b, what);
        if (rc)
            return rc;
        acc = acc << 7 | (b & 0x7Fu);
        if (!(b & 0x80)) {
            if (acc > UINT32_MAX)
                FAIL(r, "%s: uintvar out of range", what);
            *v = (uint32_t)acc;
            return PDM_OK;
        }
    }
    FAIL(r, "%s: uintvar longer than 5 bytes", what);
}

static int skip(rd *r, size_t n, const char *what)
{
    if (n > r->end - r->pos)
        FAIL(r, "%s: length %zu runs past the end", what, n);
    r->pos += n;
    return PDM_OK;
}

/* NUL-terminated text at pos.  If out != NULL copies it (must be visible
 * ASCII or space, at most outsz-1 bytes). */
static int get_text(rd *r, char *out, size_t outsz, const char *what)
{
    const uint8_t *s = r->p + r->pos;
    const uint8_t *nul = memchr(s, 0, r->end - r->pos);
    size_t n;
    if (!nul)
        FAIL(r, "%s: text without terminating NUL", what);
    n = (size_t)(nul - s);
    if (out) {
        if (n >= outsz)
            FAIL(r, "%s: text longer than %zu bytes", what, outsz - 1);
        for (size_t i = 0; i < n; i++)
            if (s[i] < 0x20 || s[i] > 0x7E)
                FAIL(r, "%s: non-printable byte in text", what);
        memcpy(out, s, n);
        out[n] = '\0';
    }
    r->pos += n + 1;
    return PDM_OK;
}

/* Value-length: Short-length (0..30) | Length-quote (31) uintvar. */
static int get_value_length(rd *r, size_t *n, const char *what)
{
    uint8_t b;
    int rc = get_byte(r, &b, what);
    if (rc)
        return rc;
    if (b <= SHORT_LEN_MAX) {
        *n = b;
    } else if (b == LENGTH_QUOTE) {
        uint32_t v;
        rc = get_uintvar(r, &v, what);
        if (rc)
            return rc;
        *n = v;
    } else {
        FAIL(r, "%s: value length expected", what);
    }
    if (*n > r->end - r->pos)
        FAIL(r, "%s: length %zu runs past the end", what, *n);
    return PDM_OK;
}

/* Integer-value: Short-integer (0x80|n) or Long-integer (Short-length
 * 1..30 then big-endian bytes; we take up to 4). */
static int get_integer(rd *r, uint32_t *v, const char *what)
{
    uint8_t b;
    int rc = get_byte(r, &b, what);
    if (rc)
        return rc;
    if (b & 0x80) {
        *v = b & 0x7Fu;
        return PDM_OK;
    }
    if (b == 0 || b > 4)
        FAIL(r, "%s: integer expected", what);
    *v = 0;
    for (uint8_t i = 0; i < b; i++) {
        uint8_t c;
        rc = get_byte(r, &c, what);
        if (rc)
            return rc;
        *v = *v << 8 | c;
    }
    return PDM_OK;
}

/* Does an Integer-value (short, or long of 1..4 bytes) start with b? */
static bool integer_start(uint8_t b) { return b >= 0x80 || (b >= 1 && b <= 4); }

/* Skips one value by the generic WSP rules (first octet decides). */
static int skip_value(rd *r, const char *what)
{
    uint8_t b;
    size_t n;
    if (r->pos >= r->end)
        FAIL(r, "truncated (%s)", what);
    b = r->p[r->pos];
    if (b <= LENGTH_QUOTE) {
        int rc = get_value_length(r, &n, what);
        return rc ? rc : skip(r, n, what);
    }
    if (b < 0x80)
        return get_text(r, NULL, 0, what);
    r->pos++;
    return PDM_OK;
}

/* Text-string: optional quote 0x7F, text, NUL. */
static int get_text_string(rd *r, char *out, size_t outsz, const char *what)
{
    if (r->pos < r->end && r->p[r->pos] == TEXT_QUOTE)
        r->pos++;
    return get_text(r, out, outsz, what);
}

/* Text-value: No-value (NUL) | Token-text | Quoted-string ('"' text NUL). */
static int get_text_value(rd *r, char *out, size_t outsz, const char *what)
{
    if (r->pos < r->end && r->p[r->pos] == QUOTE)
        r->pos++;
    return get_text(r, out, outsz, what);
}

/* Token-text of any length, left in place: *name is NUL-terminated inside
 * the PDU (get_text found the NUL). */
static int get_token(rd *r, const char **name, const char *what)
{
    size_t start = r->pos;
    int rc = get_text(r, NULL, 0, what);
    if (rc)
        return rc;
    *name = (const char *)r->p + start;
    return PDM_OK;
}

static int set_sec(rd *r, pdm__wsp_push *out, uint32_t wire)
{
    if (out->sec != PDM_SEC_NONE)
        FAIL(r, "SEC parameter given twice");
    if (wire > 3) {
        pdm__errf(r->err, r->errlen, "WSP push: unsupported SEC value "
                  "%u", (unsigned)wire);
        return PDM_ENOTSUP;
    }
    out->sec = (int)wire + PDM_SEC_NETWPIN;
    return PDM_OK;
}

static int get_mac(rd *r, pdm__wsp_push *out)
{
    int rc;
    if (out->mac[0])
        FAIL(r, "MAC parameter given twice");
    rc = get_text_value(r, out->mac, sizeof out->mac, "MAC parameter");
    if (rc)
        return rc;
    if (!out->mac[0])
        FAIL(r, "empty MAC parameter");
    return PDM_OK;
}

/* Parameters of a general-form content type, up to r->end. */
static int parse_params(rd *r, pdm__wsp_push *out)
{
    while (r->pos < r->end) {
        uint8_t b = r->p[r->pos];
        int rc;
        if (b >= 0x80 || b <= SHORT_LEN_MAX) {
            /* Typed-parameter: Well-known-parameter-token (Integer) */
            uint32_t code;
            rc = get_integer(r, &code, "parameter");
            if (rc)
                return rc;
            if (code == WK_PARAM_SEC) {
                uint32_t v;
                rc = get_integer(r, &v, "SEC parameter");
                if (!rc)
                    rc = set_sec(r, out, v);
            } else if (code == WK_PARAM_MAC) {
                rc = get_mac(r, out);
            } else if (code == WK_PARAM_Q) {
                uint32_t q;
                rc = get_uintvar(r, &q, "q parameter");
            } else {
                rc = skip_value(r, "parameter value");
            }
        } else if (b == LENGTH_QUOTE || b == TEXT_QUOTE) {
            FAIL(r, "parameter expected");
        } else {
            /* Untyped-parameter: Token-text Untyped-value */
            const char *name;
            rc = get_token(r, &name, "parameter name");
            if (rc)
                return rc;
            if (pdm__strcaseeq(name, "SEC")) {
                if (r->pos < r->end && integer_start(r->p[r->pos])) {
                    uint32_t v;
                    rc = get_integer(r, &v, "SEC parameter");
                    if (!rc)
                        rc = set_sec(r, out, v);
                } else {
                    char txt[32];
                    int sec;
                    rc = get_text_value(r, txt, sizeof txt, "SEC parameter");
                    if (rc)
                        return rc;
                    if (pdm__secmac_sec_parse(txt, &sec) != PDM_OK) {
                        pdm__errf(r->err, r->errlen, "WSP push: "
                                  "unsupported SEC value");
                        return PDM_ENOTSUP;
                    }
                    rc = set_sec(r, out, (uint32_t)(sec - PDM_SEC_NETWPIN));
                }
            } else if (pdm__strcaseeq(name, "MAC")) {
                rc = get_mac(r, out);
            } else {
                rc = skip_value(r, "parameter value");
            }
        }
        if (rc)
            return rc;
    }
    return PDM_OK;
}

/* Media (inside the general form): Integer-value or text. */
static int parse_media(rd *r, pdm__wsp_push *out)
{
    uint8_t b;
    if (r->pos >= r->end)
        FAIL(r, "truncated (content type)");
    b = r->p[r->pos];
    if (b >= 0x80 || b <= SHORT_LEN_MAX) {
        uint32_t code;
        int rc = get_integer(r, &code, "content type");
        if (rc)
            return rc;
        if (code > 0x7FFF)
            FAIL(r, "content type code out of range");
        out->ct_code = (int)code;
        return PDM_OK;
    }
    return get_text_string(r, out->content_type, sizeof out->content_type,
                           "content type");
}

static int parse_content_type(rd *r, pdm__wsp_push *out)
{
    uint8_t b = r->p[r->pos]; /* caller checked pos < end */
    int rc;
    out->ct_code = -1;
    if (b >= 0x80) {
        out->ct_code = b & 0x7F;
        r->pos++;
    } else if (b <= LENGTH_QUOTE) {
        size_t n, end;
        rc = get_value_length(r, &n, "content type");
        if (rc)
            return rc;
        end = r->end;
        r->end = r->pos + n;
        rc = parse_media(r, out);
        if (!rc)
            rc = parse_params(r, out);
        r->end = end;
        if (rc)
            return rc;
    } else if (b == TEXT_QUOTE) {
        FAIL(r, "content type expected");
    } else {
        rc = get_text(r, out->content_type, sizeof out->content_type,
                      "content type");
        if (rc)
            return rc;
    }
    if (out->ct_code >= 0) {
        const char *name = pdm__wsp_content_type_name(out->ct_code);
        pdm__strlcpy(out->content_type, name ? name : "",
                     sizeof out->content_type);
    } else {
        if (!out->content_type[0])
            FAIL(r, "empty content type");
        out->ct_code = content_type_code(out->content_type);
    }
    return PDM_OK;
}

static int parse_app_id(rd *r, pdm__wsp_push *out)
{
    uint8_t b;
    int rc;
    if (out->app_id_code >= 0 || out->app_id[0])
        FAIL(r, "X-WAP-Application-ID given twice");
    if (r->pos >= r->end)
        FAIL(r, "truncated (X-WAP-Application-ID)");
    b = r->p[r->pos];
    if (integer_start(b)) {
        uint32_t code;
        rc = get_integer(r, &code, "X-WAP-Application-ID");
        if (rc)
            return rc;
        out->app_id_code = (long)code;
        if (code == PDM__WSP_APPID_SYNCML_DM)
            pdm__strlcpy(out->app_id, PDM__WSP_APPID_SYNCML_DM_TEXT,
                         sizeof out->app_id);
        return PDM_OK;
    }
    if (b < 0x20 && b != 0)
        FAIL(r, "X-WAP-Application-ID: bad value");
    rc = get_text_string(r, out->app_id, sizeof out->app_id,
                         "X-WAP-Application-ID");
    if (rc)
        return rc;
    if (!out->app_id[0])
        FAIL(r, "empty X-WAP-Application-ID");
    return PDM_OK;
}

static int parse_headers(rd *r, pdm__wsp_push *out)
{
    unsigned page = 1;
    while (r->pos < r->end) {
        uint8_t b = r->p[r->pos];
        int rc;
        if (b == SHIFT_DELIM) {
            uint8_t pg;
            r->pos++;
            rc = get_byte(r, &pg, "header page shift");
            if (rc)
                return rc;
            page = pg;
        } else if (b >= 1 && b <= 31) {
            page = b; /* short-cut shift */
            r->pos++;
        } else if (b >= 0x80) {
            r->pos++;
            if (page == 1 && (b & 0x7F) == WK_HDR_APPID)
                rc = parse_app_id(r, out);
            else
                rc = skip_value(r, "header value");
            if (rc)
                return rc;
        } else if (b == 0) {
            FAIL(r, "header expected");
        } else {
            /* Application-header: Token-text Application-specific-value */
            const char *name;
            rc = get_token(r, &name, "application header");
            if (rc)
                return rc;
            if (pdm__strcaseeq(name, "X-WAP-Application-ID"))
                rc = parse_app_id(r, out);
            else
                rc = get_text_string(r, NULL, 0, "application header value");
            if (rc)
                return rc;
        }
    }
    return PDM_OK;
}

int pdm__wsp_push_parse(const uint8_t *buf, size_t len, pdm__wsp_push *out,
                        char *err, size_t errlen)
{
    rd r = {buf, 0, len, err, errlen};
    uint8_t tid, type;
    uint32_t hlen;
    size_t hend;
    int rc;

    if (!out || (!buf && len)) {
        pdm__errf(err, errlen, "WSP push: no input");
        return PDM_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->ct_code = -1;
    out->app_id_code = -1;
    if ((rc = get_byte(&r, &tid, "TID")) ||
        (rc = get_byte(&r, &type, "PDU type")))
        goto fail;
    if (type != PDM__WSP_PDU_PUSH) {
        pdm__errf(err, errlen, "WSP push: PDU type 0x%02X is not Push "
                  "(0x06)", type);
        rc = PDM_EPARSE;
        goto fail;
    }
    if ((rc = get_uintvar(&r, &hlen, "headers length")))
        goto fail;
    if (hlen == 0) {
        pdm__errf(err, errlen, "WSP push: no content type (headers "
                  "length 0)");
        rc = PDM_EPARSE;
        goto fail;
    }
    if (hlen > len - r.pos) {
        pdm__errf(err, errlen, "WSP push: headers length %u exceeds the "
                  "PDU (%zu bytes left)", (unsigned)hlen, len - r.pos);
        rc = PDM_EPARSE;
        goto fail;
    }
    hend = r.pos + hlen;
    r.end = hend;
    if ((rc = parse_content_type(&r, out)) || (rc = parse_headers(&r, out)))
        goto fail;
    out->tid = tid;
    out->pdu_type = type;
    out->body = buf + hend;
    out->body_len = len - hend;
    return PDM_OK;
fail:
    memset(out, 0, sizeof *out);
    out->ct_code = -1;
    out->app_id_code = -1;
    return rc;
}

bool pdm__wsp_push_is_dm_notification(const pdm__wsp_push *p)
{
    return p && p->ct_code == PDM__WSP_CT_NOTIFICATION &&
           (p->app_id_code == PDM__WSP_APPID_SYNCML_DM ||
            (p->app_id_code < 0 &&
             pdm__strcaseeq(p->app_id, PDM__WSP_APPID_SYNCML_DM_TEXT)));
}

/* ---- building ---------------------------------------------------------- */

static void put_uintvar(pdm__buf *b, uint32_t v)
{
    uint8_t tmp[5];
    int n = 0;
    do {
        tmp[n++] = (uint8_t)(v & 0x7F);
        v >>= 7;
    } while (v);
    while (n-- > 0)
        pdm__buf_putc(b, tmp[n] | (n ? 0x80 : 0));
}

static void put_integer(pdm__buf *b, uint32_t v)
{
    uint8_t tmp[4];
    int n = 0;
    if (v < 0x80) {
        pdm__buf_putc(b, (int)(v | 0x80));
        return;
    }
    while (v) {
        tmp[n++] = (uint8_t)v;
        v >>= 8;
    }
    pdm__buf_putc(b, n);
    while (n-- > 0)
        pdm__buf_putc(b, tmp[n]);
}

static bool printable_text(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return false;
    return true;
}

int pdm__wsp_push_build(const pdm__wsp_push *in, pdm__buf *out, char *err,
                        size_t errlen)
{
    pdm__buf ct, hdr;
    int rc = PDM_OK;
    bool general;

    if (!in || !out || (!in->body && in->body_len)) {
        pdm__errf(err, errlen, "WSP push: no input");
        return PDM_EINVAL;
    }
    if (in->ct_code > 127 ||
        (in->ct_code < 0 && !printable_text(in->content_type)) ||
        in->sec < PDM_SEC_NONE || in->sec > PDM_SEC_USERPINMAC ||
        (in->mac[0] && !printable_text(in->mac)) ||
        (in->app_id_code < 0 && in->app_id[0] &&
         !printable_text(in->app_id)) ||
        (in->app_id_code > 0 &&
         (unsigned long)in->app_id_code > 0xFFFFFFFFul)) {
        pdm__errf(err, errlen, "WSP push: a field cannot be encoded");
        return PDM_EINVAL;
    }
    general = in->sec != PDM_SEC_NONE || in->mac[0];
    pdm__buf_init(&ct);
    pdm__buf_init(&hdr);
    /* media */
    if (in->ct_code >= 0)
        pdm__buf_putc(&ct, in->ct_code | 0x80);
    else
        pdm__buf_append(&ct, in->content_type, strlen(in->content_type) + 1);
    if (in->sec != PDM_SEC_NONE) {
        pdm__buf_putc(&ct, 0x80 | WK_PARAM_SEC);
        pdm__buf_putc(&ct, 0x80 | (in->sec - PDM_SEC_NETWPIN));
    }
    if (in->mac[0]) {
        pdm__buf_putc(&ct, 0x80 | WK_PARAM_MAC);
        if (in->mac[0] == QUOTE) /* Quoted-string, so the '"' survives */
            pdm__buf_putc(&ct, QUOTE);
        pdm__buf_append(&ct, in->mac, strlen(in->mac) + 1);
    }
    if (general) {
        if (ct.len <= SHORT_LEN_MAX) {
            pdm__buf_putc(&hdr, (int)ct.len);
        } else {
            pdm__buf_putc(&hdr, LENGTH_QUOTE);
            put_uintvar(&hdr, (uint32_t)ct.len);
        }
    }
    if (pdm__buf_ok(&ct))
        pdm__buf_append(&hdr, ct.data, ct.len);
    else
        hdr.oom = true;
    if (in->app_id_code >= 0) {
        pdm__buf_putc(&hdr, 0x80 | WK_HDR_APPID);
        put_integer(&hdr, (uint32_t)in->app_id_code);
    } else if (in->app_id[0]) {
        pdm__buf_putc(&hdr, 0x80 | WK_HDR_APPID);
        pdm__buf_append(&hdr, in->app_id, strlen(in->app_id) + 1);
    }
    pdm__buf_putc(out, in->tid);
    pdm__buf_putc(out, PDM__WSP_PDU_PUSH);
    if (pdm__buf_ok(&hdr)) {
        put_uintvar(out, (uint32_t)hdr.len);
        pdm__buf_append(out, hdr.data, hdr.len);
        if (in->body_len)
            pdm__buf_append(out, in->body, in->body_len);
    }
    if (!pdm__buf_ok(&hdr) || !pdm__buf_ok(out)) {
        pdm__errf(err, errlen, "WSP push: out of memory");
        rc = PDM_ENOMEM;
    }
    pdm__buf_free(&ct);
    pdm__buf_free(&hdr);
    return rc;
}
