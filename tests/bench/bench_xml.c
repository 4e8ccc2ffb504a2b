/*
 * XML codec benchmark (a program, not a test).
 *
 *   bench_xml [-n ITER] [-r REPS] [-m floor|decode|encode|writer|all] FILE...
 *
 * For each file it prints nanoseconds per message for
 *   floor    libxml2 SAX2 parse of the same bytes with no-op handlers (same
 *            context set-up and options as pdm__xml_decode),
 *   decode   pdm__xml_decode into a fresh pdm__doc (init+decode+free),
 *   encode   pdm__xml_encode of the decoded document,
 *   writer   for comparison only: the same document written with libxml2's
 *            xmlTextWriter (the encoder's first design, see xml.c),
 * each the best of REPS runs of ITER iterations (thread CPU time), and
 * decode/floor.
 *
 * For instruction counts run under callgrind and collect one function:
 *   valgrind --tool=callgrind --toggle-collect=bench_floor_once \
 *       ./bench_xml -n 20 -r 1 -m floor FILE
 * (likewise bench_decode_once, bench_encode_once, bench_writer_once), then
 * divide the reported Ir by ITER.
 */
#define _POSIX_C_SOURCE 200809L
#include "codec/codec.h"
#include "util/util.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

/* Thread CPU time: other processes on a shared machine do not count. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- floor: SAX2 with no-op handlers ---------------------------------- */
static void nop_start(void *c, const xmlChar *l, const xmlChar *p,
                      const xmlChar *u, int nn, const xmlChar **ns, int na,
                      int nd, const xmlChar **a)
{
}
static void nop_end(void *c, const xmlChar *l, const xmlChar *p,
                    const xmlChar *u)
{
}
static void nop_chars(void *c, const xmlChar *s, int n) {}
static void nop_serror(void *c, xmlErrorPtr e) {}

static volatile int sink;

NOINLINE static int bench_floor_once(const uint8_t *buf, size_t len)
{
    xmlSAXHandler h;
    xmlParserCtxtPtr ctxt;
    int ok;
    memset(&h, 0, sizeof(h));
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = nop_start;
    h.endElementNs = nop_end;
    h.characters = nop_chars;
    h.ignorableWhitespace = nop_chars;
    h.cdataBlock = nop_chars;
    h.serror = nop_serror;
    ctxt = xmlCreateMemoryParserCtxt((const char *)buf, (int)len);
    if (!ctxt)
        return -1;
    memcpy(ctxt->sax, &h, sizeof(h));
    ctxt->userData = &h;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    xmlParseDocument(ctxt);
    ok = ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);
    return ok ? 0 : -1;
}

/* ---- ours ---------------------------------------------------------------- */
NOINLINE static int bench_decode_once(const uint8_t *buf, size_t len)
{
    pdm__doc d;
    pdm__codec_err err;
    int rc;
    pdm__doc_init(&d);
    rc = pdm__xml_decode(&d, buf, len, NULL, &err);
    pdm__doc_free(&d);
    return rc;
}

NOINLINE static int bench_encode_once(const pdm__doc *d, pdm__buf *out)
{
    pdm__codec_err err;
    pdm__buf_reset(out);
    return pdm__xml_encode(out, d, NULL, &err);
}

/* ---- comparison encoder: the same document through xmlTextWriter ------- */
static int w_write(void *ctx, const char *p, int n)
{
    pdm__buf_append(ctx, p, (size_t)n);
    return n;
}
static int w_close(void *ctx) { return 0; }

static const char *uri_of(unsigned ns)
{
    return ns == PDM_NS_SYNCML   ? PDM_NS_URI_SYNCML
           : ns == PDM_NS_METINF ? PDM_NS_URI_METINF
           : ns == PDM_NS_DDF    ? PDM_NS_URI_DDF
                                 : NULL;
}

static void writer_el(xmlTextWriterPtr w, const pdm__el *el, unsigned scope)
{
    unsigned ns = el->tag > PDM_TAG_UNKNOWN ? pdm__tags[el->tag].ns : 0;
    xmlTextWriterStartElement(w, (const xmlChar *)pdm__el_name(el));
    if (uri_of(ns) && ns != scope) {
        xmlTextWriterWriteAttribute(w, (const xmlChar *)"xmlns",
                                    (const xmlChar *)uri_of(ns));
        scope = ns;
    }
    for (const pdm__attr *a = el->attrs; a; a = a->next)
        xmlTextWriterWriteAttribute(w, (const xmlChar *)a->name,
                                    (const xmlChar *)a->value);
    if (el->text && el->len)
        xmlTextWriterWriteString(w, el->text);
    for (const pdm__el *c = el->first; c; c = c->next)
        writer_el(w, c, scope);
    xmlTextWriterEndElement(w);
}

NOINLINE static int bench_writer_once(const pdm__doc *d, pdm__buf *out)
{
    xmlOutputBufferPtr ob;
    xmlTextWriterPtr w;
    pdm__buf_reset(out);
    ob = xmlOutputBufferCreateIO(w_write, w_close, out, NULL);
    w = ob ? xmlNewTextWriter(ob) : NULL;
    if (!w)
        return -1;
    xmlTextWriterWriteRaw(
        w, (const xmlChar *)"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writer_el(w, d->root, 0);
    xmlFreeTextWriter(w);
    return pdm__buf_ok(out) ? 0 : -1;
}

/* ---- driver --------------------------------------------------------------- */
enum { M_FLOOR = 1, M_DECODE = 2, M_ENCODE = 4, M_WRITER = 8 };

static double best_of(int mode, int reps, long iters, const uint8_t *buf,
                      size_t len, const pdm__doc *d, pdm__buf *out)
{
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns(), t;
        int acc = 0;
        for (long i = 0; i < iters; i++) {
            switch (mode) {
            case M_FLOOR:
                acc |= bench_floor_once(buf, len);
                break;
            case M_DECODE:
                acc |= bench_decode_once(buf, len);
                break;
            case M_ENCODE:
                acc |= bench_encode_once(d, out);
                break;
            default:
                acc |= bench_writer_once(d, out);
                break;
            }
        }
        t = (now_ns() - t0) / (double)iters;
        sink = acc;
        if (acc) {
            fprintf(stderr, "bench_xml: an iteration failed (mode %d)\n", mode);
            exit(1);
        }
        if (r == 0 || t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    long iters = 0;
    int reps = 5, modes = M_FLOOR | M_DECODE | M_ENCODE | M_WRITER;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            if (pdm__parse_long(argv[++i], 1, 1000000000L, &iters) != PDM_OK) {
                fprintf(stderr, "bench_xml: -n must be 1..1000000000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            long r;
            if (pdm__parse_long(argv[++i], 1, 1000, &r) != PDM_OK) {
                fprintf(stderr, "bench_xml: -r must be 1..1000\n");
                return 2;
            }
            reps = (int)r;
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            modes = strcmp(m, "floor") == 0     ? M_FLOOR
                    : strcmp(m, "decode") == 0  ? M_DECODE
                    : strcmp(m, "encode") == 0  ? M_ENCODE
                    : strcmp(m, "writer") == 0 ? M_WRITER
                                                : 15;
        } else {
            fprintf(stderr, "usage: %s [-n ITER] [-r REPS] "
                            "[-m floor|decode|encode|writer|all] FILE...\n",
                    argv[0]);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "bench_xml: no input files\n");
        return 2;
    }
    if (reps < 1)
        reps = 1;
    xmlInitParser();
    printf("%-28s %8s %6s %12s %12s %6s %12s %12s\n", "file", "bytes", "iters",
           "floor ns", "decode ns", "ratio", "encode ns", "writer ns");
    for (; i < argc; i++) {
        uint8_t *buf;
        size_t len;
        pdm__doc d;
        pdm__codec_err err;
        pdm__buf out;
        long n = iters;
        double tf = 0, td = 0, te = 0, th = 0;
        const char *base = strrchr(argv[i], '/');
        if (pdm__read_file(argv[i], 64u << 20, &buf, &len) != PDM_OK) {
            fprintf(stderr, "bench_xml: cannot read %s\n", argv[i]);
            return 1;
        }
        pdm__doc_init(&d);
        if (pdm__xml_decode(&d, buf, len, NULL, &err) != PDM_OK) {
            fprintf(stderr, "bench_xml: %s: %s\n", argv[i], err.msg);
            return 1;
        }
        pdm__buf_init(&out);
        if (n <= 0)
            n = len ? (long)(40000000 / len) + 10 : 1000;
        if (modes & M_FLOOR)
            tf = best_of(M_FLOOR, reps, n, buf, len, &d, &out);
        if (modes & M_DECODE)
            td = best_of(M_DECODE, reps, n, buf, len, &d, &out);
        if (modes & M_ENCODE)
            te = best_of(M_ENCODE, reps, n, buf, len, &d, &out);
        if (modes & M_WRITER)
            th = best_of(M_WRITER, reps, n, buf, len, &d, &out);
        printf("%-28s %8zu %6ld %12.0f %12.0f %6.2f %12.0f %12.0f\n",
               base ? base + 1 : argv[i], len, n, tf, td,
               tf > 0 ? td / tf : 0.0, te, th);
        pdm__buf_free(&out);
        pdm__doc_free(&d);
        pdm__free(buf);
    }
    xmlCleanupParser();
    return 0;
}
