/*
 * Makes fuzz inputs from recorded documents (built only with -DPDM_FUZZ=ON;
 * tests/fuzz/README.md says how the corpora were made):
 *
 *   mkseed session OUT FLAGS MSG1 [MSG2 [MSG3]]
 *       one fuzz_session input: each MSG file is a SyncML message, XML or
 *       WBXML; its SessionID becomes "1" (the fuzz target's session id)
 *       and it is written in the encoding FLAGS asks for (bit 1+i set:
 *       message i as WBXML, else compact XML).  OUT gets the FLAGS byte,
 *       then the messages separated by "\n~~~\n" (see fuzz_session.c).
 *   mkseed wbxml OUT FLAGS DOC
 *       the FLAGS byte, then DOC (XML or WBXML, e.g. TNDS) as WBXML
 *       (fuzz_tnds).
 *   mkseed dump FILE [SKIP]
 *       prints the document in FILE (after SKIP bytes, e.g. 1 for a flags
 *       byte) as indented XML, for reading fuzz inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

static int convert(const char *path, int wbxml, bool syncml, pdm__buf *out)
{
    uint8_t *in;
    size_t len, i = 0;
    pdm__doc d;
    pdm__codec_err e;
    pdm__el *hdr, *sid;
    int rc;
    if (pdm__read_file(path, 16u << 20, &in, &len) != PDM_OK) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    while (i < len && (in[i] == ' ' || in[i] == '\n' || in[i] == '\r' ||
                       in[i] == '\t'))
        i++;
    pdm__doc_init(&d);
    rc = i < len && in[i] == '<' ? pdm__xml_decode(&d, in, len, NULL, &e)
                                 : pdm__wbxml_decode(&d, in, len, NULL, &e);
    if (rc != PDM_OK || !d.root ||
        (syncml && d.root->tag != PDM_TAG_SYNCML)) {
        fprintf(stderr, "%s: not a %s (%s)\n", path,
                syncml ? "SyncML message" : "document", rc ? e.msg : "root");
        pdm__doc_free(&d);
        pdm__free(in);
        return -1;
    }
    hdr = syncml ? pdm__el_child(d.root, PDM_TAG_SYNCHDR) : NULL;
    sid = hdr ? pdm__el_child(hdr, PDM_TAG_SESSIONID) : NULL;
    if (sid) {
        sid->text = (uint8_t *)"1";
        sid->len = 1;
        sid->flags = 0;
    }
    if (wbxml) {
        rc = pdm__wbxml_encode(out, &d, NULL, &e);
    } else {
        pdm__xml_opts o = {false, true};
        rc = pdm__xml_encode(out, &d, &o, &e);
    }
    if (rc != PDM_OK)
        fprintf(stderr, "%s: cannot encode: %s\n", path, e.msg);
    pdm__doc_free(&d);
    pdm__free(in);
    return rc == PDM_OK ? 0 : -1;
}

static int dump(const char *path, size_t skip)
{
    uint8_t *in;
    size_t len;
    pdm__doc d;
    pdm__codec_err e;
    pdm__buf b;
    pdm__xml_opts o = {true, false};
    int rc;
    if (pdm__read_file(path, 16u << 20, &in, &len) != PDM_OK || skip > len) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    pdm__doc_init(&d);
    pdm__buf_init(&b);
    rc = len > skip && in[skip] == '<'
             ? pdm__xml_decode(&d, in + skip, len - skip, NULL, &e)
             : pdm__wbxml_decode(&d, in + skip, len - skip, NULL, &e);
    if (rc == PDM_OK)
        rc = pdm__xml_encode(&b, &d, &o, &e);
    if (rc == PDM_OK)
        fwrite(b.data, 1, b.len, stdout);
    else
        fprintf(stderr, "%s: %s\n", path, e.msg);
    pdm__buf_free(&b);
    pdm__doc_free(&d);
    pdm__free(in);
    return rc == PDM_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    pdm__buf b;
    unsigned flags;
    bool session;
    FILE *f;
    if (argc >= 3 && argc <= 4 && strcmp(argv[1], "dump") == 0)
        return dump(argv[2], argc == 4 ? strtoul(argv[3], NULL, 0) : 0);
    if (argc < 5 || argc > 7 ||
        !((session = strcmp(argv[1], "session") == 0) ||
          (strcmp(argv[1], "wbxml") == 0 && argc == 5))) {
        fprintf(stderr, "usage: mkseed session OUT FLAGS MSG1 [MSG2 [MSG3]]\n"
                        "       mkseed wbxml OUT FLAGS DOC\n"
                        "       mkseed dump FILE [SKIP]\n");
        return 2;
    }
    argv++;
    argc--;
    flags = (unsigned)strtoul(argv[2], NULL, 0);
    pdm__buf_init(&b);
    pdm__buf_putc(&b, (char)flags);
    for (int i = 3; i < argc; i++) {
        if (i > 3)
            pdm__buf_puts(&b, "\n~~~\n");
        if (convert(argv[i], session ? (flags >> (1 + (i - 3))) & 1 : 1,
                    session, &b) != 0) {
            pdm__buf_free(&b);
            return 1;
        }
    }
    if (!pdm__buf_ok(&b) || !(f = fopen(argv[1], "wb")) ||
        fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", argv[1]);
        pdm__buf_free(&b);
        return 1;
    }
    pdm__buf_free(&b);
    return 0;
}
