/*
 * Minimal streaming JSON writer for --json output (strings are escaped per
 * RFC 8259; invalid UTF-8 bytes are written as \u00XX so output stays
 * valid JSON whatever a node value holds).
 */
#include "cli.h"

#include <string.h>

bool cli_json_written;

void cj_begin(cli_json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
    if (f == stdout)
        cli_json_written = true;
}

static void raw_string(FILE *f, const char *s, size_t n);

static void sep(cli_json *j, const char *key)
{
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    j->need_comma[j->depth] = true;
    if (key) {
        raw_string(j->f, key, strlen(key));
        fputc(':', j->f);
    }
}

static void raw_string(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch == '\n') {
            fputs("\\n", f);
        } else if (ch == '\r') {
            fputs("\\r", f);
        } else if (ch == '\t') {
            fputs("\\t", f);
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\u%04x", ch);
        } else if (ch < 0x80) {
            fputc(ch, f);
        } else {
            /* Copy a valid UTF-8 sequence as is, escape stray bytes. */
            size_t len = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC2 ? 2 : 0;
            bool ok = len && i + len <= n && ch <= 0xF4;
            for (size_t k = 1; ok && k < len; k++)
                ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
            if (ok) {
                fwrite(s + i, 1, len, f);
                i += len - 1;
            } else {
                fprintf(f, "\\u%04x", ch);
            }
        }
    }
    fputc('"', f);
}

void cj_strn(cli_json *j, const char *key, const char *val, size_t len)
{
    sep(j, key);
    raw_string(j->f, val, len);
}

void cj_str(cli_json *j, const char *key, const char *val)
{
    if (!val) {
        sep(j, key);
        fputs("null", j->f);
        return;
    }
    cj_strn(j, key, val, strlen(val));
}

void cj_opt(cli_json *j, const char *key, const char *val)
{
    cj_str(j, key, val && *val ? val : NULL);
}

void cj_obj(cli_json *j, const char *key)
{
    sep(j, key);
    fputc('{', j->f);
    j->depth++;
    j->need_comma[j->depth] = false;
}

void cj_arr(cli_json *j, const char *key)
{
    sep(j, key);
    fputc('[', j->f);
    j->depth++;
    j->need_comma[j->depth] = false;
}

void cj_end_obj(cli_json *j)
{
    j->depth--;
    fputc('}', j->f);
}

void cj_end_arr(cli_json *j)
{
    j->depth--;
    fputc(']', j->f);
}

void cj_int(cli_json *j, const char *key, long long v)
{
    sep(j, key);
    fprintf(j->f, "%lld", v);
}

void cj_bool(cli_json *j, const char *key, bool v)
{
    sep(j, key);
    fputs(v ? "true" : "false", j->f);
}

void cj_finish(cli_json *j) { fputc('\n', j->f); }
