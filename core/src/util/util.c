/*
 * Core allocator, arena, byte buffer and string helpers (see util.h).
 */
#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE /* explicit_bzero, memmem */
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- allocator --------------------------------------------------------- */

static long fail_after = -1; /* allocations left before failing, -1 = off */
static bool fail_once;       /* only that one fails (pdm__alloc_fail_nth) */
static long alloc_count;

/* Test hooks (util.h): byte accounting and the search for a secret in
 * released blocks; `hooked` keeps the normal path at one branch. */
static bool hooked, tracking;
static long long live_bytes, peak_bytes;
static const unsigned char *watch_needle;
static size_t watch_len;
static unsigned long watch_hits;

void (*pdm__alloc_fail_hook)(void);

static bool alloc_should_fail(void)
{
    alloc_count++;
    if (fail_after < 0)
        return false;
    if (fail_after == 0) {
        if (fail_once)
            fail_after = -1;
        if (pdm__alloc_fail_hook)
            pdm__alloc_fail_hook();
        return true;
    }
    fail_after--;
    return false;
}

long pdm__alloc_fail_after(long n)
{
    long c = alloc_count;
    alloc_count = 0;
    fail_after = n;
    fail_once = false;
    return c;
}

long pdm__alloc_fail_nth(long n)
{
    long c = pdm__alloc_fail_after(n);
    fail_once = n >= 0;
    return c;
}

void pdm__alloc_track(bool on)
{
    tracking = on;
    live_bytes = peak_bytes = 0;
    hooked = tracking || watch_needle;
}

long long pdm__alloc_peak(void) { return peak_bytes; }

void pdm__alloc_watch(const void *needle, size_t n)
{
    watch_needle = n ? needle : NULL;
    watch_len = n;
    watch_hits = 0;
    hooked = tracking || watch_needle;
}

unsigned long pdm__alloc_watch_hits(void) { return watch_hits; }

static void hook_alloc(void *p)
{
    if (p && tracking) {
        live_bytes += (long long)malloc_usable_size(p);
        if (live_bytes > peak_bytes)
            peak_bytes = live_bytes;
    }
}

/* A block fresh from malloc may hold bytes another owner left behind
 * (memory libxml2 or SQLite freed without wiping, which this allocator
 * never sees): while a watch runs, new blocks start zeroed so that a hit
 * is always something polydm itself wrote and freed unwiped. */
static void hook_fresh(void *p)
{
    if (p && watch_needle)
        memset(p, 0, malloc_usable_size(p));
}

static void hook_release(void *p)
{
    size_t n;
    if (!p)
        return;
    n = malloc_usable_size(p);
    if (tracking)
        live_bytes -= (long long)n;
    if (watch_needle && n >= watch_len &&
        memmem(p, n, watch_needle, watch_len))
        watch_hits++;
}

void *pdm__malloc(size_t n)
{
    void *p;
    if (alloc_should_fail())
        return NULL;
    p = malloc(n ? n : 1);
    if (hooked) {
        hook_fresh(p);
        hook_alloc(p);
    }
    return p;
}

void *pdm__calloc(size_t n, size_t size)
{
    void *p;
    if (alloc_should_fail())
        return NULL;
    p = calloc(n ? n : 1, size ? size : 1);
    if (hooked)
        hook_alloc(p);
    return p;
}

void *pdm__realloc(void *p, size_t n)
{
    void *q;
    if (alloc_should_fail())
        return NULL;
    if (hooked && p) {
        /* Moved by hand, so that the block left behind can be searched
         * before it goes. */
        size_t old = malloc_usable_size(p);
        q = malloc(n ? n : 1);
        if (!q)
            return NULL;
        hook_fresh(q);
        memcpy(q, p, old < n ? old : n);
        hook_alloc(q);
        hook_release(p);
        free(p);
        return q;
    }
    q = realloc(p, n ? n : 1);
    if (hooked)
        hook_alloc(q);
    return q;
}

void pdm__free(void *p)
{
    if (hooked)
        hook_release(p);
    free(p);
}

void pdm__wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void pdm__free_wipe(void *p, size_t n)
{
    pdm__wipe(p, n);
    pdm__free(p);
}

void pdm__free_secret(char *s)
{
    if (s)
        pdm__free_wipe(s, strlen(s));
}

char *pdm__strndup(const char *s, size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = pdm__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *pdm__strdup(const char *s)
{
    return s ? pdm__strndup(s, strlen(s)) : NULL;
}

/* ---- arena ------------------------------------------------------------- */

struct pdm__arena_chunk {
    pdm__arena_chunk *next;
    size_t size;
    size_t used; /* bytes handed out, once the chunk is not the head */
    /* max_align_t keeps the payload aligned for any object */
    _Alignas(16) unsigned char mem[];
};

void pdm__arena_init(pdm__arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 8192;
    a->cur = NULL;
    a->left = 0;
    a->bytes = 0;
}

void *pdm__arena_alloc_slow(pdm__arena *a, size_t n)
{
    pdm__arena_chunk *c;
    size_t need = (n + 15) & ~(size_t)15, sz;
    if (need < n)
        return NULL; /* overflow */
    if (need > a->chunk_size && a->head) {
        /* A big request gets a chunk of its own, behind the current one,
         * whose free space stays in use. */
        c = pdm__malloc(sizeof(*c) + need);
        if (!c)
            return NULL;
        c->size = c->used = need;
        c->next = a->head->next;
        a->head->next = c;
        a->bytes += sizeof(*c) + need;
        return c->mem;
    }
    sz = need > a->chunk_size ? need : a->chunk_size;
    c = pdm__malloc(sizeof(*c) + sz);
    if (!c)
        return NULL;
    c->size = sz;
    c->used = 0;
    if (a->head)
        a->head->used = a->head->size - a->left;
    c->next = a->head;
    a->head = c;
    a->bytes += sizeof(*c) + sz;
    a->cur = c->mem + need;
    a->left = sz - need;
    /* Grow the default size slowly so that huge documents do not need
     * thousands of chunks. */
    if (a->chunk_size < (1u << 20))
        a->chunk_size *= 2;
    return c->mem;
}

void *pdm__arena_zalloc(pdm__arena *a, size_t n)
{
    void *p = pdm__arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *pdm__arena_memdup(pdm__arena *a, const void *p, size_t n)
{
    char *d = pdm__arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

char *pdm__arena_strdup(pdm__arena *a, const char *s)
{
    return s ? pdm__arena_memdup(a, s, strlen(s)) : NULL;
}

/* Only the bytes handed out are wiped: the rest was never written, and
 * touching it would map pages that were never needed. */
static void chunk_free(pdm__arena_chunk *c)
{
    pdm__wipe(c->mem, c->used);
    pdm__free(c);
}

void pdm__arena_reset(pdm__arena *a)
{
    pdm__arena_chunk *c = a->head, *keep = NULL;
    if (c)
        c->used = c->size - a->left;
    while (c) {
        pdm__arena_chunk *n = c->next;
        if (!n) {
            keep = c; /* the oldest (first) chunk */
            break;
        }
        chunk_free(c);
        c = n;
    }
    a->head = keep;
    a->cur = keep ? keep->mem : NULL;
    a->left = keep ? keep->size : 0;
    a->bytes = keep ? sizeof(*keep) + keep->size : 0;
    if (keep)
        pdm__wipe(keep->mem, keep->used);
}

void pdm__arena_free(pdm__arena *a)
{
    pdm__arena_chunk *c = a->head;
    if (c)
        c->used = c->size - a->left;
    while (c) {
        pdm__arena_chunk *n = c->next;
        chunk_free(c);
        c = n;
    }
    a->head = NULL;
    a->cur = NULL;
    a->left = 0;
    a->bytes = 0;
}

/* ---- buffer ------------------------------------------------------------ */

void pdm__buf_init(pdm__buf *b) { memset(b, 0, sizeof(*b)); }

void pdm__buf_free(pdm__buf *b)
{
    pdm__free_wipe(b->data, b->cap);
    memset(b, 0, sizeof(*b));
}

void pdm__buf_reset(pdm__buf *b)
{
    pdm__wipe(b->data, b->len);
    b->len = 0;
    b->oom = false;
}

bool pdm__buf_grow(pdm__buf *b, size_t extra)
{
    size_t need;
    if (b->oom)
        return false;
    need = b->len + extra + 1;
    if (need < b->len) {
        b->oom = true;
        return false;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) {
            if (cap > SIZE_MAX / 2) {
                cap = need;
                break;
            }
            cap *= 2;
        }
        /* Not realloc: the block left behind would keep its bytes. */
        uint8_t *d = pdm__malloc(cap);
        if (!d) {
            b->oom = true;
            return false;
        }
        if (b->data) {
            memcpy(d, b->data, b->len + 1);
            pdm__free_wipe(b->data, b->cap);
        }
        b->data = d;
        b->cap = cap;
        d[b->len] = 0; /* the invariant holds from the first allocation */
    }
    return true;
}

void pdm__buf_append(pdm__buf *b, const void *p, size_t n)
{
    if (!pdm__buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void pdm__buf_puts(pdm__buf *b, const char *s) { pdm__buf_append(b, s, strlen(s)); }

void pdm__buf_putc(pdm__buf *b, int c)
{
    unsigned char ch = (unsigned char)c;
    pdm__buf_append(b, &ch, 1);
}

void pdm__buf_vprintf(pdm__buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !pdm__buf_reserve(b, (size_t)n)) {
        b->oom = true;
        return;
    }
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pdm__buf_printf(pdm__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdm__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

uint8_t *pdm__buf_steal(pdm__buf *b, size_t *len)
{
    uint8_t *d;
    if (b->oom) {
        pdm__buf_free(b);
        return NULL;
    }
    if (!b->data && !pdm__buf_reserve(b, 0))
        return NULL;
    d = b->data;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return d;
}

/* ---- strings ----------------------------------------------------------- */

/* "00" .. "99": two digits per step. */
static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* 10^0 .. 10^19: v has n digits when pow10[n-1] <= v < pow10[n]. */
static const unsigned long long pow10[] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull};

size_t pdm__utoa(unsigned long long v, char *buf)
{
    size_t n;
    char *p;
    if (v < 10) {
        buf[0] = (char)('0' + v);
        buf[1] = '\0';
        return 1;
    }
    /* Count the digits (compares, no divisions), then write them from the
     * end two at a time: no temporary and no copy (CmdIDs, MsgRefs and
     * codes are short). */
    for (n = 2; n < PDM__ARRAY_LEN(pow10) && v >= pow10[n]; n++)
        ;
    p = buf + n;
    *p = '\0';
    while (v >= 100) {
        p -= 2;
        memcpy(p, digits2 + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

void pdm__verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
}

void pdm__errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdm__verrf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *pdm__show(char *dst, size_t dstsz, const void *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    const unsigned char *p = s;
    size_t o = 0, i;
    for (i = 0; i < n && i < 32 && o + 5 < dstsz; i++) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7F) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hx[c >> 4];
            dst[o++] = hx[c & 15];
        }
    }
    if (i < n && o + 4 < dstsz) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

size_t pdm__strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int pdm__parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (!s || !*s || isspace((unsigned char)*s))
        return PDM_EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return PDM_EINVAL;
    *out = v;
    return PDM_OK;
}

bool pdm__streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool pdm__text_line_ok(const void *p, size_t n, size_t *bad)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = s[i], min;
        size_t k;
        if (cp < 0x80)
            k = 0, min = 0;
        else if (cp >= 0xC2 && cp <= 0xDF)
            k = 1, min = 0x80, cp &= 0x1F;
        else if (cp >= 0xE0 && cp <= 0xEF)
            k = 2, min = 0x800, cp &= 0x0F;
        else if (cp >= 0xF0 && cp <= 0xF4)
            k = 3, min = 0x10000, cp &= 0x07;
        else
            goto fail;
        if (n - i <= k)
            goto fail;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                goto fail;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF ||
            cp > 0x10FFFF)
            goto fail;
        i += k + 1;
    }
    return true;
fail:
    if (bad)
        *bad = i;
    return false;
}

bool pdm__key_pin_valid(const char *pin)
{
    const char *p = pin;
    if (!p)
        return false;
    for (;;) {
        size_t n = 0;
        if (strncmp(p, "sha256//", 8) != 0)
            return false;
        p += 8;
        while (p[n] && p[n] != ';') {
            if (!isalnum((unsigned char)p[n]) && p[n] != '+' &&
                p[n] != '/' && p[n] != '=')
                return false;
            n++;
        }
        /* 32 bytes are 43 base64 characters and one '=' of padding. */
        if (n != 44 || p[43] != '=' || p[42] == '=')
            return false;
        p += n;
        if (*p == '\0')
            return true;
        p++; /* ';' (libcurl takes no spaces around it) */
    }
}

/* Optimal string alignment distance (Damerau-Levenshtein without
 * repeated edits of a substring), ASCII case-insensitive; words longer
 * than 63 bytes are never close. */
static unsigned edit_distance(const char *a, const char *b)
{
    enum { MAXW = 64 };
    unsigned d[3][MAXW + 1]; /* rows i-2, i-1, i (rolling) */
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXW || lb >= MAXW)
        return UINT_MAX;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i - 2) % 3];
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            unsigned v = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
        }
    }
    return d[la % 3][lb];
}

void pdm__suggest_init(pdm__suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = UINT_MAX;
}

void pdm__suggest_add(pdm__suggest *s, const char *candidate)
{
    unsigned d;
    if (!candidate || !s->word)
        return;
    d = edit_distance(s->word, candidate);
    if (d < s->dist) {
        s->dist = d;
        s->best = candidate;
    }
}

const char *pdm__suggest_best(const pdm__suggest *s)
{
    size_t n = s->word ? strlen(s->word) : 0;
    /* A third of the word, at least one edit and at most three: "tre"
     * is "tree", "sesion" is "session", "xyz" is nothing. */
    unsigned max = n < 6 ? 1 : n < 9 ? 2 : 3;
    return s->best && s->dist <= max && strcmp(s->best, s->word) != 0
               ? s->best
               : NULL;
}

bool pdm__strcaseeq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    while (*a && *b) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
    return *a == *b;
}

int pdm__read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    pdm__buf b;
    uint8_t tmp[16384];
    size_t n;
    if (!f)
        return errno == ENOENT ? PDM_ENOTFOUND : PDM_EIO;
    pdm__buf_init(&b);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            pdm__buf_free(&b);
            return PDM_ETOOBIG;
        }
        pdm__buf_append(&b, tmp, n);
    }
    if (ferror(f)) {
        fclose(f);
        pdm__buf_free(&b);
        return PDM_EIO;
    }
    fclose(f);
    *out = pdm__buf_steal(&b, len);
    return *out ? PDM_OK : PDM_ENOMEM;
}
