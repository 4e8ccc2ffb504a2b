/*
 * Fuzz target for the profile parser (core/src/profile/): the input is a
 * profile file.  Besides memory safety it checks:
 *  - the rc is PDM_OK exactly when no error was reported, else PDM_EPARSE,
 *    and the profile is returned in both cases;
 *  - every problem carries the file name and the line it is about (a line
 *    of the input; only "missing required key 'id'", about the whole
 *    file, has none), and formats as "file:line: error: ...";
 *  - a parsed profile keeps what the format promises: a valid id, known
 *    "section.key" settings with non-empty values and the line they came
 *    from, whose key is the whole key written there, values of typed
 *    keys inside their range, plugin sections with
 *    valid, unique names, MO bases starting with "."; relative paths are
 *    made absolute against the profile's directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

#define NAME "fuzz.profile"
#define DIR "/etc/polydm"

static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return false;
    return true;
}

static const pdm__profile_key *find_key(const char *key)
{
    for (const pdm__profile_key *k = pdm__profile_keys(); k->key; k++)
        if (strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static void check_line(unsigned line, unsigned nlines)
{
    CHECK(line >= 1 && line <= nlines);
}

static const uint8_t *input;
static size_t input_len;

/* The key written on line @line of the input (before '=', trimmed). */
static char *key_on_line(unsigned line)
{
    const uint8_t *p = input, *end = input + input_len, *eq, *e;
    for (unsigned l = 1; l < line; l++) {
        p = memchr(p, '\n', (size_t)(end - p));
        CHECK(p);
        p++;
    }
    e = memchr(p, '\n', (size_t)(end - p));
    e = e ? e : end;
    eq = memchr(p, '=', (size_t)(e - p));
    CHECK(eq);
    while (p < eq && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    while (eq > p && (eq[-1] == ' ' || (eq[-1] >= '\t' && eq[-1] <= '\r')))
        eq--;
    return pdm__strndup((const char *)p, (size_t)(eq - p));
}

/* A stored key is the key of its line, whole: @prefix key @suffix. */
static void check_key(const pdm__kv *kv, const char *prefix,
                      const char *suffix)
{
    char *k = key_on_line(kv->line);
    size_t pl = strlen(prefix), sl = strlen(suffix), kl = strlen(k);
    CHECK(kl == pl + strlen(kv->key) + sl);
    CHECK(memcmp(k, prefix, pl) == 0 && strcmp(k + kl - sl, suffix) == 0);
    CHECK(memcmp(k + pl, kv->key, kl - pl - sl) == 0);
    pdm__free(k);
}

static void check_profile(const pdm__profile *p, unsigned nlines, bool ok)
{
    size_t n = 0;
    CHECK(p->file && strcmp(p->file, NAME) == 0);
    CHECK(p->dir && strcmp(p->dir, DIR) == 0);
    CHECK(ok ? p->id && valid_id(p->id) : !p->id || valid_id(p->id));
    for (const pdm__kv *kv = p->settings; kv; kv = kv->next) {
        const pdm__profile_key *k = find_key(kv->key);
        const char *dot = strchr(kv->key, '.');
        check_line(kv->line, nlines);
        /* "section.key", the key as written on its line */
        CHECK(dot);
        {
            char *written = key_on_line(kv->line);
            if (strcmp(written, dot + 1) != 0)
                fprintf(stderr, "fuzz_profile: line %u: key '%s' stored as "
                                "'%s'\n", kv->line, written, kv->key);
            CHECK(strcmp(written, dot + 1) == 0);
            pdm__free(written);
        }
        CHECK(k || strncmp(kv->key, "transport.pin.", 14) == 0);
        CHECK(pdm__profile_get(p, kv->key) != NULL);
        for (const pdm__kv *o = kv->next; o; o = o->next)
            CHECK(strcmp(o->key, kv->key) != 0);
        if (!k) {
            CHECK(strncmp(kv->value, "sha256//", 8) == 0);
            continue;
        }
        if (strcmp(k->type, "bool") == 0) {
            bool a = pdm__profile_get_bool(p, kv->key, false);
            CHECK(a == pdm__profile_get_bool(p, kv->key, true));
        } else if (strcmp(k->type, "uint16") == 0) {
            long v = pdm__profile_get_long(p, kv->key, -1);
            CHECK(v >= 0 && v <= 65535);
        } else if (strcmp(k->type, "size") == 0) {
            long v = pdm__profile_get_long(p, kv->key, -1);
            CHECK(v >= 1024 && v <= (256L << 20));
        } else if (strcmp(k->type, "id") == 0) {
            CHECK(valid_id(kv->value));
        } else if (strcmp(k->type, "path") == 0) {
            char *abs = pdm__profile_path(p, kv->key);
            CHECK(abs && abs[0] == '/');
            pdm__free(abs);
            CHECK(kv->value[0]);
        } else if (strcmp(k->type, "abi") != 0) {
            CHECK(kv->value[0]);
        }
    }
    if (p->factory_tree) {
        CHECK(p->factory_tree[0] == '/');
        check_line(p->factory_tree_line, nlines);
    }
    if (p->authority)
        check_line(p->authority_line, nlines);
    for (const pdm__profile_plugin *pp = p->plugins; pp; pp = pp->next) {
        n++;
        CHECK(valid_id(pp->name));
        check_line(pp->line, nlines);
        for (const pdm__profile_plugin *o = pp->next; o; o = o->next)
            CHECK(strcmp(o->name, pp->name) != 0 && o->line > pp->line);
        if (pp->path) {
            CHECK(pp->path[0] == '/');
            check_line(pp->path_line, nlines);
            CHECK(pp->path_line > pp->line);
        }
        for (const pdm__kv *kv = pp->options; kv; kv = kv->next) {
            check_line(kv->line, nlines);
            check_key(kv, "option.", "");
            CHECK(kv->key[0] && kv->line > pp->line);
            CHECK(pdm__profile_plugin_option(pp, kv->key) == kv->value ||
                  strcmp(pdm__profile_plugin_option(pp, kv->key),
                         kv->value) == 0);
        }
        for (const pdm__kv *kv = pp->mo_base; kv; kv = kv->next) {
            check_line(kv->line, nlines);
            check_key(kv, "mo.", ".base");
            CHECK(kv->key[0] && kv->value[0] == '.');
        }
    }
    CHECK(n == p->nplugins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pdm__profile *p = NULL;
    pdm__diag d;
    unsigned nlines = 1;
    size_t errors = 0, warnings = 0;
    int rc;

    input = data;
    input_len = size;
    for (size_t i = 0; i < size; i++)
        nlines += data[i] == '\n';
    pdm__diag_init(&d);
    rc = pdm__profile_parse(&p, NAME, DIR, (const char *)data, size, &d);
    if (getenv("PDM_FUZZ_VERBOSE"))
        for (const pdm__diag_item *it = d.head; it; it = it->next) {
            char line[700];
            pdm__diag_format(it, line, sizeof line);
            fprintf(stderr, "fuzz_profile: %s\n", line);
        }
    CHECK(rc == PDM_OK || rc == PDM_EPARSE);
    CHECK(p != NULL);
    CHECK((rc == PDM_OK) == (d.errors == 0));
    CHECK((d.first_rc != 0) == (d.errors != 0));
    for (const pdm__diag_item *it = d.head; it; it = it->next) {
        char line[700], want[64];
        CHECK(it->msg && it->msg[0]);
        CHECK(it->file && strcmp(it->file, NAME) == 0);
        if (it->warning) {
            warnings++;
        } else {
            errors++;
            CHECK(it->rc < 0);
        }
        if (it->line == 0) {
            CHECK(strstr(it->msg, "missing required key 'id'") != NULL);
            continue;
        }
        check_line(it->line, nlines);
        pdm__diag_format(it, line, sizeof line);
        snprintf(want, sizeof want, NAME ":%u: %s: ", it->line,
                 it->warning ? "warning" : "error");
        CHECK(strncmp(line, want, strlen(want)) == 0);
    }
    CHECK(errors == d.errors && warnings == d.warnings);
    check_profile(p, nlines, rc == PDM_OK);
    pdm__profile_free(p);
    pdm__diag_free(&d);
    return 0;
}
