/*
 * Small helpers of the reference CLI, agent and transport (cli_util.c):
 * the files a device maker copies need nothing of the core but the public
 * API, so they carry these few libc-level functions themselves.
 */
#ifndef PDM_CLI_UTIL_H
#define PDM_CLI_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Copies at most size-1 bytes and terminates; returns strlen(src), so a
 * result >= size says it was cut. */
size_t cli_strlcpy(char *dst, const char *src, size_t size);
/* A whole decimal string in [min,max] into *out: 0, or -1. */
int cli_parse_long(const char *s, long min, long max, long *out);
/* strcmp that takes NULL (equal only to NULL). */
bool cli_streq(const char *a, const char *b);
/* Zeroes memory that held a secret (a PIN, a message with credentials)
 * so that the compiler cannot drop it. */
void cli_wipe(void *p, size_t n);
/* cli_wipe(p, n), then free(p). */
void cli_free_wipe(void *p, size_t n);

/* A growing byte buffer, always NUL-terminated after its data.  After an
 * allocation failure it stays failed (cli_buf_ok false) and ignores
 * appends.  Memory is wiped when reset or freed (messages may carry
 * credentials). */
typedef struct cli_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} cli_buf;
void cli_buf_init(cli_buf *b);
void cli_buf_free(cli_buf *b);
void cli_buf_reset(cli_buf *b);
void cli_buf_append(cli_buf *b, const void *p, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_putc(cli_buf *b, int c);
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline bool cli_buf_ok(const cli_buf *b) { return !b->failed; }
/* The bytes, the caller's to free() (and wipe); the buffer is empty
 * after.  NULL after a failure. */
uint8_t *cli_buf_steal(cli_buf *b, size_t *len);

#endif
