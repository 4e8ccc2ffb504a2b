/*
 * SyncML DM helpers (see sml.h).
 */
#include "sml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dmsauth.h"

int sml_ctype_encoding(const char *ctype)
{
    size_t n;
    if (!ctype)
        return 0;
    /* compare the media type only (parameters after ';' ignored) */
    n = strcspn(ctype, ";");
    while (n && isspace((unsigned char)ctype[n - 1]))
        n--;
    if (n == strlen(SML_CT_WBXML) && strncasecmp(ctype, SML_CT_WBXML, n) == 0)
        return 2;
    if (n == strlen(SML_CT_XML) && strncasecmp(ctype, SML_CT_XML, n) == 0)
        return 1;
    return 0;
}

pdm__el *sml_add(pdm__doc *d, pdm__el *parent, pdm__tag tag, const char *text)
{
    if (!text)
        return pdm__el_add(d, parent, tag);
    return pdm__el_add_str(d, parent, tag, text);
}

pdm__el *sml_addf(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                  const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return pdm__el_add_str(d, parent, tag, buf);
}

pdm__el *sml_add_bin(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                     const void *p, size_t n, bool opaque)
{
    pdm__el *e = pdm__el_add_text(d, parent, tag, p ? p : "", n);
    if (e && opaque)
        e->flags |= PDM_EL_OPAQUE;
    return e;
}

pdm__el *sml_add_meta(pdm__doc *d, pdm__el *parent, const char *format,
                      const char *type, long size)
{
    pdm__el *m;
    if (!format && !type && size < 0)
        return NULL;
    m = pdm__el_add(d, parent, PDM_TAG_META);
    if (format)
        sml_add(d, m, PDM_TAG_MI_FORMAT, format);
    if (type)
        sml_add(d, m, PDM_TAG_MI_TYPE, type);
    if (size >= 0)
        sml_addf(d, m, PDM_TAG_MI_SIZE, "%ld", size);
    return m;
}

pdm__el *sml_add_loc(pdm__doc *d, pdm__el *parent, pdm__tag tag,
                     const char *uri, const char *locname)
{
    pdm__el *e = pdm__el_add(d, parent, tag);
    sml_add(d, e, PDM_TAG_LOCURI, uri ? uri : "");
    if (locname)
        sml_add(d, e, PDM_TAG_LOCNAME, locname);
    return e;
}

void sml_unlink_last(pdm__el *parent)
{
    pdm__el *prev = NULL, *c;
    if (!parent || !parent->first)
        return;
    for (c = parent->first; c->next; c = c->next)
        prev = c;
    if (prev) {
        prev->next = NULL;
        parent->last = prev;
    } else {
        parent->first = parent->last = NULL;
    }
}

const char *sml_path_text(const pdm__el *el, ...)
{
    va_list ap;
    int tag;
    va_start(ap, el);
    while (el && (tag = va_arg(ap, int)) != 0)
        el = pdm__el_child(el, (pdm__tag)tag);
    va_end(ap);
    if (!el)
        return NULL;
    return el->text ? (const char *)el->text : "";
}

long sml_child_long(const pdm__el *el, pdm__tag tag)
{
    const char *t = el ? pdm__el_child_text(el, tag) : NULL;
    long v = 0;
    size_t n;
    if (!t)
        return -1;
    while (isspace((unsigned char)*t))
        t++;
    n = strlen(t);
    while (n && isspace((unsigned char)t[n - 1]))
        n--;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)t[i]))
            return -1;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

const char *sml_meta(const pdm__el *el, pdm__tag metatag)
{
    const pdm__el *m = el ? pdm__el_child(el, PDM_TAG_META) : NULL;
    const pdm__el *v;
    if (!m)
        return NULL;
    v = pdm__el_child(m, metatag);
    if (!v) {
        /* some peers wrap meta information in <MetInf> */
        const pdm__el *mi = pdm__el_child(m, PDM_TAG_MI_METINF);
        v = mi ? pdm__el_child(mi, metatag) : NULL;
    }
    if (!v)
        return NULL;
    return v->text ? (const char *)v->text : "";
}

int sml_encode(const pdm__doc *d, bool wbxml, pdm__buf *out, char *err,
               size_t errlen)
{
    pdm__codec_err ce;
    int rc;
    memset(&ce, 0, sizeof ce);
    if (wbxml) {
        pdm__wbxml_opts o = {0x02, false};
        rc = pdm__wbxml_encode(out, d, &o, &ce);
    } else {
        pdm__xml_opts o = {false, false};
        rc = pdm__xml_encode(out, d, &o, &ce);
    }
    if (rc != PDM_OK && err)
        snprintf(err, errlen, "%s encode: %s", wbxml ? "WBXML" : "XML",
                 ce.msg[0] ? ce.msg : "failed");
    return rc;
}

int sml_decode(pdm__doc *d, const uint8_t *p, size_t n, int enc, char *err,
               size_t errlen)
{
    pdm__codec_err ce;
    pdm__codec_limits lim = {64u << 20, 0, 0};
    int rc;
    memset(&ce, 0, sizeof ce);
    if (enc == 0) {
        size_t i = 0;
        while (i < n && isspace(p[i]))
            i++;
        enc = (i < n && p[i] == '<') ? 1 : 2;
    }
    if (enc == 2)
        rc = pdm__wbxml_decode(d, p, n, &lim, &ce);
    else
        rc = pdm__xml_decode(d, p, n, &lim, &ce);
    if (rc != PDM_OK && err)
        snprintf(err, errlen, "%s decode failed at %s %zu: %s",
                 enc == 2 ? "WBXML" : "XML", enc == 2 ? "byte" : "line",
                 ce.offset, ce.msg[0] ? ce.msg : "error");
    return rc;
}

bool sml_is_text(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            k = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (p[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return false;
        i += k + 1;
    }
    return true;
}

static void put_escaped(pdm__buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '&': pdm__buf_puts(out, "&amp;"); break;
        case '<': pdm__buf_puts(out, "&lt;"); break;
        case '>': pdm__buf_puts(out, "&gt;"); break;
        case '\r': pdm__buf_puts(out, "&#13;"); break;
        default: pdm__buf_putc(out, p[i]);
        }
    }
}

static void put_text(pdm__buf *out, const pdm__el *el)
{
    if (!el->text || !el->len)
        return;
    if (sml_is_text(el->text, el->len)) {
        put_escaped(out, el->text, el->len);
    } else {
        pdm__buf_printf(out, "[binary %zu bytes, b64:", el->len);
        dms_b64_encode(el->text, el->len, out);
        pdm__buf_putc(out, ']');
    }
}

static void render(const pdm__el *el, pdm__buf *out, int depth, bool indent)
{
    const char *name = pdm__el_name(el);
    if (indent)
        for (int i = 0; i < depth; i++)
            pdm__buf_puts(out, "  ");
    pdm__buf_printf(out, "<%s", name);
    for (const pdm__attr *a = el->attrs; a; a = a->next) {
        pdm__buf_printf(out, " %s=\"", a->name);
        put_escaped(out, (const uint8_t *)a->value, strlen(a->value));
        pdm__buf_putc(out, '"');
    }
    if (!el->first && (!el->text || !el->len)) {
        pdm__buf_puts(out, "/>");
    } else if (!el->first) {
        pdm__buf_putc(out, '>');
        put_text(out, el);
        pdm__buf_printf(out, "</%s>", name);
    } else {
        pdm__buf_putc(out, '>');
        put_text(out, el);
        if (indent)
            pdm__buf_putc(out, '\n');
        for (const pdm__el *c = el->first; c; c = c->next)
            render(c, out, depth + 1, indent);
        if (indent)
            for (int i = 0; i < depth; i++)
                pdm__buf_puts(out, "  ");
        pdm__buf_printf(out, "</%s>", name);
    }
    if (indent)
        pdm__buf_putc(out, '\n');
}

void sml_render(const pdm__el *el, pdm__buf *out)
{
    if (el)
        render(el, out, 0, true);
}

void sml_render_inline(const pdm__el *el, pdm__buf *out)
{
    if (!el)
        return;
    if (!el->first) {
        if (el->text)
            pdm__buf_append(out, el->text, el->len);
        return;
    }
    for (const pdm__el *c = el->first; c; c = c->next)
        render(c, out, 0, false);
}

void sml_hexdump(const uint8_t *p, size_t n, pdm__buf *out)
{
    for (size_t off = 0; off < n; off += 16) {
        pdm__buf_printf(out, "%06zx ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < n)
                pdm__buf_printf(out, " %02x", p[off + i]);
            else
                pdm__buf_puts(out, "   ");
        }
        pdm__buf_puts(out, "  |");
        for (size_t i = 0; i < 16 && off + i < n; i++) {
            uint8_t c = p[off + i];
            pdm__buf_putc(out, (c >= 0x20 && c < 0x7f) ? c : '.');
        }
        pdm__buf_puts(out, "|\n");
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int sml_data_eval(const char *expr, const char *dir, pdm__buf *out, char *err,
                  size_t errlen)
{
    if (strncmp(expr, "hex:", 4) == 0) {
        const char *p = expr + 4;
        while (*p) {
            int h, l;
            if (isspace((unsigned char)*p) || *p == ':') {
                p++;
                continue;
            }
            h = hexval((unsigned char)p[0]);
            l = p[1] ? hexval((unsigned char)p[1]) : -1;
            if (h < 0 || l < 0) {
                snprintf(err, errlen, "hex: data needs pairs of hex digits");
                return -1;
            }
            pdm__buf_putc(out, h * 16 + l);
            p += 2;
        }
        return 0;
    }
    if (strncmp(expr, "b64:", 4) == 0) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (dms_b64_decode(expr + 4, strlen(expr + 4), &b, &bl) != 0) {
            snprintf(err, errlen, "b64: data is not valid base64");
            return -1;
        }
        pdm__buf_append(out, b, bl);
        pdm__free(b);
        return 0;
    }
    if (strncmp(expr, "file:", 5) == 0) {
        char path[4096];
        uint8_t *b = NULL;
        size_t bl = 0;
        int rc;
        if (expr[5] == '/' || !dir || !*dir)
            snprintf(path, sizeof path, "%s", expr + 5);
        else
            snprintf(path, sizeof path, "%s%s", dir, expr + 5);
        rc = pdm__read_file(path, 256u << 20, &b, &bl);
        if (rc != PDM_OK) {
            snprintf(err, errlen, "file:%s cannot be read", expr + 5);
            return -1;
        }
        pdm__buf_append(out, b, bl);
        pdm__free(b);
        return 0;
    }
    if (strncmp(expr, "pattern:", 8) == 0) {
        static const char pat[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        long n;
        if (pdm__parse_long(expr + 8, 0, 256L << 20, &n) != PDM_OK) {
            snprintf(err, errlen, "pattern:N needs a byte count");
            return -1;
        }
        if (!pdm__buf_reserve(out, (size_t)n))
            return -1;
        for (long i = 0; i < n; i++)
            pdm__buf_putc(out, pat[i % (long)(sizeof pat - 1)]);
        return 0;
    }
    if (strncmp(expr, "text:", 5) == 0)
        expr += 5;
    pdm__buf_puts(out, expr);
    return 0;
}
