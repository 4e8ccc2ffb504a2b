/*
 * Independent oracles for every WBXML message the client produces: each
 * file in the dump directory (written by the session cases and by
 * `polydm replay --wbxml`) must
 *   - decode with libwbxml2's wbxml2xml, and the XML it prints must decode
 *     (with our XML codec) to the same element tree as our own decoding of
 *     the WBXML bytes;
 *   - dissect in tshark (Wireshark's WBXML dissector, raw WBXML in a pcap
 *     with a user link type) without "Malformed" or error expert items.
 * Usage: oracle_test DIR
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

static int fails;

static void trim_text(pdm__el *e)
{
    /* wbxml2xml re-indents: compare texts without surrounding space. */
    for (; e; e = e->next) {
        if (e->text) {
            size_t a = 0, n = e->len;
            while (a < n && strchr(" \t\r\n", e->text[a]))
                a++;
            while (n > a && strchr(" \t\r\n", e->text[n - 1]))
                n--;
            e->text += a;
            e->len = n - a;
        }
        trim_text(e->first);
    }
}

static int same(const pdm__el *a, const pdm__el *b, const char *file)
{
    for (; a && b; a = a->next, b = b->next) {
        if (a->tag != b->tag || a->len != b->len ||
            (a->len && memcmp(a->text, b->text, a->len) != 0)) {
            fprintf(stderr, "%s: <%s> differs from wbxml2xml's <%s> ('%.*s' vs "
                            "'%.*s')\n",
                    file, pdm__el_name(a), pdm__el_name(b), (int)a->len,
                    a->text ? (char *)a->text : "", (int)b->len,
                    b->text ? (char *)b->text : "");
            return 0;
        }
        if (!same(a->first, b->first, file))
            return 0;
    }
    if (a || b) {
        fprintf(stderr, "%s: element count differs at <%s>\n", file,
                pdm__el_name(a ? a : b));
        return 0;
    }
    return 1;
}

static void check_wbxml2xml(const char *path)
{
    char cmd[4400], xmlpath[2100];
    uint8_t *w, *x;
    size_t wl, xl;
    pdm__doc dw, dx;
    pdm__codec_err e;
    snprintf(xmlpath, sizeof xmlpath, "%s.oracle.xml", path);
    snprintf(cmd, sizeof cmd, "wbxml2xml -o '%s' '%s' >/dev/null 2>&1", xmlpath,
             path);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s: wbxml2xml failed\n", path);
        fails++;
        return;
    }
    if (pdm__read_file(path, 64u << 20, &w, &wl) != PDM_OK ||
        pdm__read_file(xmlpath, 64u << 20, &x, &xl) != PDM_OK) {
        fails++;
        return;
    }
    pdm__doc_init(&dw);
    pdm__doc_init(&dx);
    if (pdm__wbxml_decode(&dw, w, wl, NULL, &e) != PDM_OK ||
        pdm__xml_decode(&dx, x, xl, NULL, &e) != PDM_OK) {
        fprintf(stderr, "%s: decode failed: %s\n", path, e.msg);
        fails++;
    } else {
        trim_text(dw.root);
        trim_text(dx.root);
        if (!same(dw.root, dx.root, path))
            fails++;
    }
    pdm__doc_free(&dw);
    pdm__doc_free(&dx);
    pdm__free(w);
    pdm__free(x);
    remove(xmlpath);
}

int main(int argc, char **argv)
{
    DIR *d;
    struct dirent *ent;
    char hexpath[512], pcap[512], cmd[4096];
    FILE *hex;
    int n = 0;
    if (argc != 2 || !(d = opendir(argv[1]))) {
        fprintf(stderr, "usage: oracle_test DIR\n");
        return 2;
    }
    snprintf(hexpath, sizeof hexpath, "%s/all.hex", argv[1]);
    snprintf(pcap, sizeof pcap, "%s/all.pcap", argv[1]);
    hex = fopen(hexpath, "w");
    while ((ent = readdir(d))) {
        char path[2048];
        uint8_t *b;
        size_t len;
        if (!strstr(ent->d_name, ".wbxml") || strstr(ent->d_name, ".oracle"))
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], ent->d_name);
        check_wbxml2xml(path);
        if (pdm__read_file(path, 64u << 20, &b, &len) != PDM_OK)
            continue;
        /* One pcap frame per message: text2pcap starts a new frame
         * where the offset goes back to 0. */
        for (size_t i = 0; i < len; i += 16) {
            fprintf(hex, "%06zx", i);
            for (size_t k = i; k < len && k < i + 16; k++)
                fprintf(hex, " %02x", b[k]);
            fputc('\n', hex);
        }
        pdm__free(b);
        n++;
    }
    closedir(d);
    fclose(hex);
    if (n == 0) {
        fprintf(stderr, "oracle: no WBXML messages in %s\n", argv[1]);
        return 1;
    }
    snprintf(cmd, sizeof cmd,
             "text2pcap -q -l 147 '%s' '%s' && "
             "tshark -r '%s' -o 'uat:user_dlts:\"User 0 (DLT=147)\",\"wbxml\",\"0\",\"\",\"0\",\"\"' "
             "-V 2>/dev/null | grep -ciE 'malformed|expert info \\(error' > '%s.bad'",
             hexpath, pcap, pcap, hexpath);
    if (system(cmd) < 0) {
        fails++;
    } else {
        char bad[64] = "";
        FILE *f;
        snprintf(cmd, sizeof cmd, "%s.bad", hexpath);
        f = fopen(cmd, "r");
        if (!f || !fgets(bad, sizeof bad, f) || strtol(bad, NULL, 10) != 0) {
            fprintf(stderr, "tshark reports %s malformed/error items\n",
                    bad[0] ? bad : "?");
            fails++;
        }
        if (f)
            fclose(f);
        /* and the frames were really dissected as WBXML */
        snprintf(cmd, sizeof cmd,
                 "tshark -r '%s' -o 'uat:user_dlts:\"User 0 (DLT=147)\",\"wbxml\",\"0\",\"\",\"0\",\"\"' "
                 "-Y wbxml 2>/dev/null | wc -l",
                 pcap);
        f = popen(cmd, "r");
        if (!f || !fgets(bad, sizeof bad, f) || strtol(bad, NULL, 10) != n) {
            fprintf(stderr, "tshark dissected %s of %d messages as WBXML\n",
                    bad, n);
            fails++;
        }
        if (f)
            pclose(f);
    }
    printf("oracle: %d WBXML messages, %d problem(s)\n", n, fails);
    return fails ? 1 : 0;
}
