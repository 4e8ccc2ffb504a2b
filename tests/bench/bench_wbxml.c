/*
 * WBXML decoder benchmark (not a test): decodes each file N times with
 * pdm__wbxml_decode and prints ns per message, then the same bytes through
 * libwbxml2 0.11.8 when its shared library can be loaded at run time:
 *   - its SAX parser (wbxml_parser_parse with counting callbacks), the
 *     fair comparison (the target: ours at least 2x faster);
 *   - its WBXML->XML converter (wbxml_conv_wbxml2xml_run), for reference.
 * Debian installs no header for the SAX API, so the few entry points are
 * declared here by hand (only opaque pointers and a table of six callback
 * pointers are involved) and resolved with dlopen; without the library the
 * program times the `wbxml2xml` CLI instead (process start included).
 *
 *   bench_wbxml [-n N] [--ours] FILE... default N = 2000; --ours: only
 *                                       our codec (for perf/callgrind)
 *   bench_wbxml -n N --floor FILE       only libwbxml2's SAX parse with
 *                                       no-op handlers, N times: the WBXML
 *                                       floor of callgrind_session.sh
 *                                       (--toggle-collect=
 *                                       bench_wbxml_floor_once)
 *   bench_wbxml                         every .wbxml file in tests/bench/packages
 *
 * Times are thread CPU time (the wbxml2xml CLI fallback: wall-clock).
 * Build with -DCMAKE_BUILD_TYPE=Release for meaningful numbers.
 */
#define _POSIX_C_SOURCE 200809L
#include "codec/codec.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PDM_BENCH_PACKAGES
#define PDM_BENCH_PACKAGES "tests/bench/packages"
#endif

/* Thread CPU time: the shared build machines are often overloaded, and
 * wall-clock time would count the periods this process was descheduled. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- libwbxml2, resolved at run time ----------------------------------- */
typedef struct lw_handler { /* WBXMLContentHandler: six callbacks */
    void (*start_document)(void *ctx, int charset, const void *lang);
    void (*end_document)(void *ctx);
    void (*start_element)(void *ctx, void *tag, void **atts, int empty);
    void (*end_element)(void *ctx, void *tag, int empty);
    void (*characters)(void *ctx, unsigned char *ch, unsigned long start,
                       unsigned long len);
    void (*pi)(void *ctx, const unsigned char *target, unsigned char *data);
} lw_handler;

static struct {
    void *so;
    void *(*parser_create)(void);
    void (*parser_destroy)(void *p);
    void (*parser_set_user_data)(void *p, void *ctx);
    void (*parser_set_content_handler)(void *p, lw_handler *h);
    int (*parser_parse)(void *p, unsigned char *data, unsigned long len);
    int (*conv_create)(void **conv);
    int (*conv_run)(void *conv, unsigned char *wbxml, unsigned long len,
                    unsigned char **xml, unsigned long *xml_len);
    void (*conv_destroy)(void *conv);
} lw;

typedef struct counts {
    unsigned long elements, chars;
} counts;

static void lw_start_doc(void *ctx, int cs, const void *lang)
{
    (void)ctx;
    (void)cs;
    (void)lang;
}
static void lw_end_doc(void *ctx) { (void)ctx; }
static void lw_start(void *ctx, void *tag, void **atts, int empty)
{
    (void)tag;
    (void)atts;
    (void)empty;
    ((counts *)ctx)->elements++;
}
static void lw_end(void *ctx, void *tag, int empty)
{
    (void)ctx;
    (void)tag;
    (void)empty;
}
static void lw_chars(void *ctx, unsigned char *ch, unsigned long start,
                     unsigned long len)
{
    (void)ch;
    (void)start;
    (void)len;
    ((counts *)ctx)->chars++;
}

/* No-op handlers for the floor. */
static void lw_nop_doc(void *ctx, int cs, const void *lang)
{
    (void)ctx;
    (void)cs;
    (void)lang;
}
static void lw_nop_end_doc(void *ctx) { (void)ctx; }
static void lw_nop_start(void *ctx, void *tag, void **atts, int empty)
{
    (void)ctx;
    (void)tag;
    (void)atts;
    (void)empty;
}
static void lw_nop_chars(void *ctx, unsigned char *ch, unsigned long start,
                         unsigned long len)
{
    (void)ctx;
    (void)ch;
    (void)start;
    (void)len;
}

#define LW_SYM(field, name)                                                  \
    do {                                                                     \
        *(void **)(&lw.field) = dlsym(lw.so, name);                          \
        if (!lw.field)                                                       \
            ok = 0;                                                          \
    } while (0)

static int lw_load(void)
{
    int ok = 1;
    lw.so = dlopen("libwbxml2.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lw.so)
        return 0;
    LW_SYM(parser_create, "wbxml_parser_create");
    LW_SYM(parser_destroy, "wbxml_parser_destroy");
    LW_SYM(parser_set_user_data, "wbxml_parser_set_user_data");
    LW_SYM(parser_set_content_handler, "wbxml_parser_set_content_handler");
    LW_SYM(parser_parse, "wbxml_parser_parse");
    LW_SYM(conv_create, "wbxml_conv_wbxml2xml_create");
    LW_SYM(conv_run, "wbxml_conv_wbxml2xml_run");
    LW_SYM(conv_destroy, "wbxml_conv_wbxml2xml_destroy");
    return ok;
}

static double bench_lw_sax(unsigned char *buf, size_t len, long n,
                           counts *c)
{
    lw_handler h = {lw_start_doc, lw_end_doc, lw_start, lw_end, lw_chars,
                    NULL};
    double t0 = 0;
    for (long i = -n / 10 - 1; i < n; i++) { /* first 10%: warm-up */
        void *p;
        if (i == 0) {
            t0 = now_ns();
            memset(c, 0, sizeof *c);
        }
        p = lw.parser_create();
        lw.parser_set_user_data(p, c);
        lw.parser_set_content_handler(p, &h);
        if (lw.parser_parse(p, buf, len) != 0) {
            lw.parser_destroy(p);
            return -1;
        }
        lw.parser_destroy(p);
    }
    return (now_ns() - t0) / (double)n;
}

static unsigned char *read_all(const char *path, size_t *len);

/* One no-op SAX parse by libwbxml2 (the floor the session benchmark
 * compares our WBXML rows with); the only function callgrind counts. */
__attribute__((noinline)) int bench_wbxml_floor_once(unsigned char *buf,
                                                     size_t len);
__attribute__((noinline)) int bench_wbxml_floor_once(unsigned char *buf,
                                                     size_t len)
{
    static lw_handler h = {lw_nop_doc, lw_nop_end_doc, lw_nop_start,
                           lw_end, lw_nop_chars, NULL};
    void *p = lw.parser_create();
    int rc;
    if (!p)
        return -1;
    lw.parser_set_content_handler(p, &h);
    rc = lw.parser_parse(p, buf, len);
    lw.parser_destroy(p);
    return rc;
}

static int run_floor(const char *path, long n)
{
    size_t len;
    unsigned char *buf = read_all(path, &len);
    int rc = 0;
    if (!buf) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    for (long i = 0; i < n && rc == 0; i++)
        rc = bench_wbxml_floor_once(buf, len);
    if (rc != 0)
        fprintf(stderr, "%s: libwbxml2 parse failed (%d)\n", path, rc);
    free(buf);
    return rc != 0;
}

static double bench_lw_conv(unsigned char *buf, size_t len, long n)
{
    double t0 = 0;
    for (long i = -n / 10 - 1; i < n; i++) {
        void *conv = NULL;
        unsigned char *xml = NULL;
        unsigned long xml_len = 0;
        if (i == 0)
            t0 = now_ns();
        if (lw.conv_create(&conv) != 0)
            return -1;
        if (lw.conv_run(conv, buf, len, &xml, &xml_len) != 0) {
            lw.conv_destroy(conv);
            return -1;
        }
        free(xml);
        lw.conv_destroy(conv);
    }
    return (now_ns() - t0) / (double)n;
}

static double wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double bench_cli(const char *path, long n)
{
    char cmd[4200];
    double t0;
    snprintf(cmd, sizeof cmd, "wbxml2xml -o /dev/null '%s' >/dev/null 2>&1",
             path);
    if (system(cmd) != 0)
        return -1;
    t0 = wall_ns();
    for (long i = 0; i < n; i++)
        if (system(cmd) != 0)
            return -1;
    return (wall_ns() - t0) / (double)n;
}

/* ---- ours -------------------------------------------------------------- */
static size_t count_elements(const pdm__el *el)
{
    size_t n = 0;
    for (; el; el = el->next)
        n += 1 + count_elements(el->first);
    return n;
}

static double bench_ours(const uint8_t *buf, size_t len, long n,
                         size_t *elements)
{
    double t0 = 0;
    for (long i = -n / 10 - 1; i < n; i++) {
        pdm__doc d;
        pdm__codec_err err;
        if (i == 0)
            t0 = now_ns();
        pdm__doc_init(&d);
        if (pdm__wbxml_decode(&d, buf, len, NULL, &err) != PDM_OK) {
            fprintf(stderr, "decode failed: %s\n", err.msg);
            pdm__doc_free(&d);
            return -1;
        }
        if (i == -1)
            *elements = count_elements(d.root);
        pdm__doc_free(&d);
    }
    return (now_ns() - t0) / (double)n;
}

static double bench_ours_encode(const uint8_t *buf, size_t len, long n,
                                size_t *out_len)
{
    pdm__doc d;
    pdm__buf b;
    double t0;
    pdm__doc_init(&d);
    pdm__buf_init(&b);
    if (pdm__wbxml_decode(&d, buf, len, NULL, NULL) != PDM_OK) {
        pdm__doc_free(&d);
        return -1;
    }
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pdm__buf_reset(&b);
        if (pdm__wbxml_encode(&b, &d, NULL, NULL) != PDM_OK)
            break;
    }
    t0 = (now_ns() - t0) / (double)n;
    *out_len = b.len;
    pdm__buf_free(&b);
    pdm__doc_free(&d);
    return t0;
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

static int run_file(const char *path, long n, int have_lw)
{
    size_t len, elements = 0, enc_len = 0;
    unsigned char *buf = read_all(path, &len);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    double ours, enc, sax = -1, conv = -1, cli = -1;
    counts c = {0, 0};
    if (!buf) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    ours = bench_ours(buf, len, n, &elements);
    enc = bench_ours_encode(buf, len, n, &enc_len);
    if (have_lw > 0) {
        sax = bench_lw_sax(buf, len, n, &c);
        conv = bench_lw_conv(buf, len, n / 10 > 10 ? n / 10 : 10);
    } else if (have_lw == 0) {
        cli = bench_cli(path, 20);
    }
    printf("%-26s %7zu B %6zu el | ours decode %10.0f ns (%6.0f MB/s) "
           "encode %9.0f ns",
           base, len, elements, ours, ours > 0 ? len * 1e3 / ours : 0, enc);
    if (have_lw > 0)
        printf(" | libwbxml SAX %10.0f ns (%4.1fx) conv %11.0f ns (%5.1fx)",
               sax, sax > 0 && ours > 0 ? sax / ours : 0, conv,
               conv > 0 && ours > 0 ? conv / ours : 0);
    else if (have_lw == 0)
        printf(" | wbxml2xml CLI %12.0f ns/run", cli);
    printf("\n");
    free(buf);
    return ours < 0;
}

int main(int argc, char **argv)
{
    long n = 2000;
    int first = 1, fails = 0, have_lw;
    int ours_only = 0, floor_only = 0;
    for (; first < argc; first++) {
        if (strcmp(argv[first], "-n") == 0 && first + 1 < argc) {
            n = strtol(argv[++first], NULL, 10);
            if (n < 1)
                n = 1;
        } else if (strcmp(argv[first], "--ours") == 0) {
            ours_only = 1;
        } else if (strcmp(argv[first], "--floor") == 0) {
            floor_only = 1;
        } else {
            break;
        }
    }
    have_lw = ours_only ? -1 : lw_load();
    if (floor_only) {
        if (have_lw <= 0) {
            fprintf(stderr, "bench_wbxml: --floor needs libwbxml2.so.1\n");
            return 1;
        }
        for (int i = first; i < argc; i++)
            fails += run_floor(argv[i], n);
        dlclose(lw.so);
        return fails ? 1 : 0;
    }
    if (!have_lw)
        printf("libwbxml2.so.1 not loadable: comparing with the wbxml2xml "
               "CLI (process start included)\n");
    printf("iterations: %ld per file (libwbxml converter: %ld)\n", n,
           n / 10 > 10 ? n / 10 : 10);
    if (first < argc) {
        for (int i = first; i < argc; i++)
            fails += run_file(argv[i], n, have_lw);
    } else {
        DIR *dir = opendir(PDM_BENCH_PACKAGES);
        struct dirent *e;
        char *names[64];
        int count = 0;
        if (!dir) {
            fprintf(stderr, "%s: cannot open\n", PDM_BENCH_PACKAGES);
            return 1;
        }
        while ((e = readdir(dir)) && count < 64) {
            size_t l = strlen(e->d_name);
            if (l > 6 && strcmp(e->d_name + l - 6, ".wbxml") == 0)
                names[count++] = strdup(e->d_name);
        }
        closedir(dir);
        for (int i = 0; i < count; i++) /* sorted output */
            for (int j = i + 1; j < count; j++)
                if (strcmp(names[j], names[i]) < 0) {
                    char *t = names[i];
                    names[i] = names[j];
                    names[j] = t;
                }
        for (int i = 0; i < count; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", PDM_BENCH_PACKAGES, names[i]);
            fails += run_file(p, n, have_lw);
            free(names[i]);
        }
    }
    if (lw.so)
        dlclose(lw.so);
    return fails ? 1 : 0;
}
