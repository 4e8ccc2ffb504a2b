/*
 * Helpers of the reference CLI, agent and transport (see cli_util.h).
 */
#define _GNU_SOURCE
#include "cli_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cli_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    /* strtol would skip leading blanks and take a sign-only string as 0 */
    if (!s || !(*s == '-' || (*s >= '0' && *s <= '9')))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

bool cli_streq(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

void cli_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void cli_free_wipe(void *p, size_t n)
{
    cli_wipe(p, n);
    free(p);
}

void cli_buf_init(cli_buf *b)
{
    memset(b, 0, sizeof *b);
}

void cli_buf_free(cli_buf *b)
{
    cli_free_wipe(b->data, b->cap);
    cli_buf_init(b);
}

void cli_buf_reset(cli_buf *b)
{
    cli_wipe(b->data, b->cap);
    b->len = 0;
}

/* Room for n more bytes and the NUL. */
static bool room(cli_buf *b, size_t n)
{
    size_t cap;
    uint8_t *p;
    if (b->failed)
        return false;
    if (b->cap - b->len > n)
        return true;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return false;
    }
    for (cap = b->cap ? b->cap : 64; cap - b->len <= n; cap *= 2)
        ;
    /* Not realloc: the old block may hold credentials, wiped before it
     * goes back to the allocator. */
    if (!(p = malloc(cap))) {
        b->failed = true;
        return false;
    }
    if (b->data)
        memcpy(p, b->data, b->len);
    cli_free_wipe(b->data, b->cap);
    b->data = p;
    b->cap = cap;
    return true;
}

void cli_buf_append(cli_buf *b, const void *p, size_t n)
{
    if (!room(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s)
{
    cli_buf_append(b, s, strlen(s));
}

void cli_buf_putc(cli_buf *b, int c)
{
    uint8_t ch = (uint8_t)c;
    cli_buf_append(b, &ch, 1);
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!room(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

uint8_t *cli_buf_steal(cli_buf *b, size_t *len)
{
    uint8_t *p;
    /* An empty buffer still hands out a (NUL-terminated) block. */
    if (!room(b, 0)) {
        cli_buf_free(b);
        if (len)
            *len = 0;
        return NULL;
    }
    b->data[b->len] = '\0';
    p = b->data;
    if (len)
        *len = b->len;
    cli_buf_init(b);
    return p;
}
