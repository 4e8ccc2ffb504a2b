/*
 * Internal utilities of libpolydm: the core allocator (with a failure hook
 * for allocation-torture tests), a bump arena for decoded messages, a
 * growable byte buffer and small string helpers.  Never installed.
 */
#ifndef PDM_UTIL_H
#define PDM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <polydm/types.h>

/* ---- allocator ---------------------------------------------------------
 * Every allocation of the core goes through these so that a test can fail
 * the Nth allocation (pdm__alloc_fail_after) and check that the caller
 * returns PDM_ENOMEM cleanly. */
void *pdm__malloc(size_t n);
void *pdm__calloc(size_t n, size_t size);
void *pdm__realloc(void *p, size_t n);
void pdm__free(void *p);
char *pdm__strdup(const char *s);
char *pdm__strndup(const char *s, size_t n);
/* Test hook: after `n` more successful allocations every allocation fails;
 * n < 0 disables the hook.  Returns the number of allocations counted since
 * the last call (so a test can first count, then fail each in turn). */
long pdm__alloc_fail_after(long n);
/* The same, but only that one allocation fails (curl's torture): the
 * caller's recovery runs with the allocator working again. */
long pdm__alloc_fail_nth(long n);
/* Test hook: called at each allocation the two above fail (a torture
 * prints where with it).  NULL by default. */
extern void (*pdm__alloc_fail_hook)(void);
/* Test hooks for memory bounds and secret hygiene (off by default; one
 * branch per call when off).  pdm__alloc_track(true) starts counting the
 * bytes the core holds (malloc_usable_size of each block, so frees of
 * blocks from before the start count too: measure around a fresh object)
 * and pdm__alloc_peak() returns the highest count since then.
 * pdm__alloc_watch(needle, n) makes every block the core frees, or leaves
 * behind when it grows one, be searched for @needle (n bytes, kept by the
 * caller; NULL stops); pdm__alloc_watch_hits() counts the blocks that
 * still held it: a secret that is wiped before free leaves none. */
void pdm__alloc_track(bool on);
long long pdm__alloc_peak(void);
void pdm__alloc_watch(const void *needle, size_t n);
unsigned long pdm__alloc_watch_hits(void);
/* Overwrites n bytes with zeros in a way the compiler cannot drop
 * (explicit_bzero): secrets are wiped before their memory is released. */
void pdm__wipe(void *p, size_t n);
/* pdm__wipe(p, n), then pdm__free(p). */
void pdm__free_wipe(void *p, size_t n);
/* A C string that held a secret: wiped (strlen), then freed. */
void pdm__free_secret(char *s);

/* ---- arena -------------------------------------------------------------
 * Bump allocator: many small objects, freed all at once.  Used for decoded
 * documents and per-package scratch data.  Chunks are wiped before they
 * are released (reset, free): arenas hold decoded messages, whose values
 * may be secrets (AAuthSecret, a Basic Cred, a PIN typed into a UI
 * alert), and no caller has to remember which ones did. */
typedef struct pdm__arena_chunk pdm__arena_chunk;
typedef struct pdm__arena {
    pdm__arena_chunk *head; /* current chunk, newest first */
    size_t chunk_size;      /* default size of new chunks */
    unsigned char *cur;     /* free space of head: [cur, cur + left) */
    size_t left;
    size_t bytes;           /* bytes of all chunks: what the arena holds */
} pdm__arena;

void pdm__arena_init(pdm__arena *a, size_t chunk_size);
/* The out-of-line part of pdm__arena_alloc: a new chunk. */
void *pdm__arena_alloc_slow(pdm__arena *a, size_t n);
/* Returns NULL on out-of-memory.  Memory is 16-byte aligned, not zeroed.
 * Inline: decoders and the session build thousands of small objects per
 * message, and the call would cost more than the bump itself. */
static inline void *pdm__arena_alloc(pdm__arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need >= n && need <= a->left) {
        void *p = a->cur;
        a->cur += need;
        a->left -= need;
        return p;
    }
    return pdm__arena_alloc_slow(a, n);
}
void *pdm__arena_zalloc(pdm__arena *a, size_t n);
/* Copies n bytes and appends a NUL (so text is usable as a C string). */
char *pdm__arena_memdup(pdm__arena *a, const void *p, size_t n);
char *pdm__arena_strdup(pdm__arena *a, const char *s);
void pdm__arena_reset(pdm__arena *a); /* keeps the first chunk */
void pdm__arena_free(pdm__arena *a);

/* ---- growable byte buffer ----------------------------------------------
 * `data` is always NUL-terminated when non-NULL (the NUL is not counted in
 * len), so text built in a buffer can be used as a C string.  After an
 * allocation failure the buffer sets `oom` and ignores further appends; the
 * caller checks once at the end (pdm__buf_ok).  Like arenas, buffers wipe
 * what they release: the old block when they grow, the bytes written when
 * reset, the whole block when freed (encoded messages carry credentials).
 * A block handed out by pdm__buf_steal is the caller's to wipe. */
typedef struct pdm__buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool oom;
} pdm__buf;

void pdm__buf_init(pdm__buf *b);
void pdm__buf_free(pdm__buf *b);
void pdm__buf_reset(pdm__buf *b); /* len = 0, keeps memory */
/* The out-of-line part of pdm__buf_reserve: grows the block. */
bool pdm__buf_grow(pdm__buf *b, size_t extra);
/* Makes room for `extra` more bytes (plus the NUL).  Inline: encoders
 * call it for every element and the room is nearly always there. */
static inline bool pdm__buf_reserve(pdm__buf *b, size_t extra)
{
    if (!b->oom && extra < b->cap - b->len)
        return true; /* cap > len always holds once data is allocated */
    return pdm__buf_grow(b, extra);
}
void pdm__buf_append(pdm__buf *b, const void *p, size_t n);
void pdm__buf_puts(pdm__buf *b, const char *s);
void pdm__buf_putc(pdm__buf *b, int c);
void pdm__buf_printf(pdm__buf *b, const char *fmt, ...) PDM_PRINTF(2, 3);
void pdm__buf_vprintf(pdm__buf *b, const char *fmt, va_list ap)
    PDM_PRINTF(2, 0);
static inline bool pdm__buf_ok(const pdm__buf *b) { return !b->oom; }
/* Hands the bytes to the caller (free with pdm__free); buffer becomes empty.
 * Returns NULL after an allocation failure. */
uint8_t *pdm__buf_steal(pdm__buf *b, size_t *len);

/* Copies n bytes like memcpy; inline for the short texts of DM messages
 * (CmdIDs, codes, URIs, small values), where the call and the size
 * dispatch of memcpy cost more than the copy. */
static inline void pdm__memcpy_small(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        uint64_t a, b; /* two overlapping words */
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n >= 2) {
        uint16_t a, b;
        memcpy(&a, s, 2);
        memcpy(&b, s + n - 2, 2);
        memcpy(d, &a, 2);
        memcpy(d + n - 2, &b, 2);
    } else if (n) {
        d[0] = s[0];
    }
}

/* ---- error texts ------------------------------------------------------
 * The core's one printf-style writer of an error text into a caller's
 * buffer: the modules' error paths (auth, ACL, URI, bootstrap, the tree's
 * decisions through pdm__decide, the local user's operations) all format
 * through it.  Nothing when @err is NULL or @errlen is 0; cut to fit and
 * always terminated otherwise.  Never pass a secret. */
void pdm__errf(char *err, size_t errlen, const char *fmt, ...)
    PDM_PRINTF(3, 4);
void pdm__verrf(char *err, size_t errlen, const char *fmt, va_list ap)
    PDM_PRINTF(3, 0);
/* A printable excerpt of untrusted bytes for a message: up to 32 bytes of
 * s[0..n), printable ASCII as is, every other byte as \xHH, "..." when
 * cut (if it fits).  Writes at most @dstsz bytes (>= 1) including the
 * NUL; returns @dst. */
const char *pdm__show(char *dst, size_t dstsz, const void *s, size_t n);

/* ---- strings -----------------------------------------------------------*/
/* Writes v in decimal to buf (>= 21 bytes); returns the length.  For hot
 * paths where snprintf costs more than the rest of the work. */
size_t pdm__utoa(unsigned long long v, char *buf);
/* Bounded copy that always terminates; returns strlen(src). */
size_t pdm__strlcpy(char *dst, const char *src, size_t size);
/* Parses a decimal integer in [min,max]; whole string must be used. */
int pdm__parse_long(const char *s, long min, long max, long *out);
bool pdm__streq(const char *a, const char *b); /* NULL-safe */
bool pdm__strcaseeq(const char *a, const char *b); /* ASCII, NULL-safe */
/* A TLS public-key pin list: "sha256//<base64 of 32 bytes>" entries
 * separated by ';' (what `certtool --pubkey-info` prints as pin-sha256:).
 * One syntax for the profile, the command line and the transport, so a
 * typo is a configuration error wherever it is written. */
bool pdm__key_pin_valid(const char *pin);
/* Whether p[0..n) is one line of text: valid UTF-8 (shortest forms, no
 * surrogates, at most U+10FFFF) without NUL, control characters (C0
 * including TAB/CR/LF, DEL, C1) or U+FFFE/U+FFFF: what a value sent as
 * text in every message (DevInfo) may hold.  On false, *bad (may be NULL)
 * is the offset of the first offending byte. */
bool pdm__text_line_ok(const void *p, size_t n, size_t *bad);
/* "Did you mean": the candidate closest to a misspelt word.  Feed every
 * candidate to pdm__suggest_add; pdm__suggest_best is the closest one
 * within a few edits (insert, delete, replace, swap of neighbours; ASCII
 * case ignored), or NULL when none is close enough to be a typo. */
typedef struct pdm__suggest {
    const char *word; /* borrowed */
    const char *best; /* borrowed from the candidates */
    unsigned dist;
} pdm__suggest;
void pdm__suggest_init(pdm__suggest *s, const char *word);
void pdm__suggest_add(pdm__suggest *s, const char *candidate);
const char *pdm__suggest_best(const pdm__suggest *s);
/* Reads a whole file (binary).  Returns PDM_OK, PDM_ENOTFOUND, PDM_EIO,
 * PDM_ETOOBIG (over max bytes) or PDM_ENOMEM. */
int pdm__read_file(const char *path, size_t max, uint8_t **out, size_t *len);

#define PDM__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* PDM_UTIL_H */
