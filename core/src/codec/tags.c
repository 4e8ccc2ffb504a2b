/*
 * Tag tables and name/token lookups shared by the XML and WBXML codecs.
 */
#include "codec/tags.h"

#include <pthread.h>
#include <string.h>

const pdm__tag_info pdm__tags[PDM_TAG_COUNT] = {
    [PDM_TAG_NONE] = {"", PDM_NS_NONE, 0},
    [PDM_TAG_UNKNOWN] = {"", PDM_NS_NONE, 0},
#define PDM__X(id, tok, nm) [PDM_TAG_##id] = {nm, PDM_NS_SYNCML, tok},
    PDM__SYNCML_TAGS(PDM__X)
#undef PDM__X
#define PDM__X(id, tok, nm) [PDM_TAG_##id] = {nm, PDM_NS_METINF, tok},
    PDM__METINF_TAGS(PDM__X)
#undef PDM__X
#define PDM__X(id, tok, nm) [PDM_TAG_##id] = {nm, PDM_NS_DDF, tok},
    PDM__DDF_TAGS(PDM__X)
#undef PDM__X
#define PDM__X(id, tok, nm) [PDM_TAG_##id] = {nm, PDM_NS_PROV, tok},
    PDM__PROV_TAGS(PDM__X)
#undef PDM__X
};

/* Open-addressing hash of (ns, name) -> tag and a direct token table, built
 * once.  Names are short, so FNV-1a over the bytes is cheap. */
#define HSIZE 512
static uint16_t htab[HSIZE];
static uint16_t tok_tab[5][64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t hash(unsigned ns, const char *s, size_t n)
{
    uint32_t h = 2166136261u ^ ns;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static void build(void)
{
    for (unsigned t = PDM_TAG_UNKNOWN + 1; t < PDM_TAG_COUNT; t++) {
        const pdm__tag_info *ti = &pdm__tags[t];
        uint32_t h = hash(ti->ns, ti->name, strlen(ti->name)) & (HSIZE - 1);
        while (htab[h])
            h = (h + 1) & (HSIZE - 1);
        htab[h] = (uint16_t)t;
        if (ti->token < 64)
            tok_tab[ti->ns][ti->token] = (uint16_t)t;
    }
}

pdm__tag pdm__tag_lookup(pdm__ns ns, const char *name, size_t len)
{
    uint32_t h;
    pthread_once(&once, build);
    h = hash(ns, name, len) & (HSIZE - 1);
    while (htab[h]) {
        const pdm__tag_info *ti = &pdm__tags[htab[h]];
        if (ti->ns == ns && strncmp(ti->name, name, len) == 0 &&
            ti->name[len] == '\0')
            return (pdm__tag)htab[h];
        h = (h + 1) & (HSIZE - 1);
    }
    return PDM_TAG_NONE;
}

pdm__tag pdm__tag_from_token(pdm__ns ns, uint8_t token)
{
    pthread_once(&once, build);
    if ((unsigned)ns >= 5 || token >= 64)
        return PDM_TAG_NONE;
    return (pdm__tag)tok_tab[ns][token];
}
