/*
 * Internal tables of the WBXML codec (wbxml.c): OMA CP PROV 1.0 attribute
 * start and attribute value tokens, code pages 0 and 1
 * (../shared/spec/omadm-facts.md §9.3).  Not used outside codec/.
 */
#ifndef PDM_CODEC_WBXML_INT_H
#define PDM_CODEC_WBXML_INT_H

#include <stdint.h>

/* An ATTRSTART token: attribute `name` whose value starts with `prefix`
 * (e.g. 0x36 on page 1 = name="APPID").  name == NULL: undefined token. */
typedef struct pdm__wbxml_astart {
    const char *name;
    const char *prefix;
    uint8_t prefix_len;
} pdm__wbxml_astart;

/* Indexed by [page][token & 0x7F] for tokens 0x05..0x7F. */
extern const pdm__wbxml_astart pdm__prov_astart[2][128];
/* ATTRVALUE tokens, indexed by [page][token & 0x7F] for tokens 0x85..0xFF;
 * NULL = undefined.  Page 1 holds the AAUTHTYPE pieces at 0x90..0x93
 * (ProvCont 1.1); the decoder also maps 0x80..0x82 and, when there is no
 * string table, 0x83 to the same pieces (older table, see §9.3). */
extern const char *const pdm__prov_avalue[2][128];

/* The four AAUTHTYPE pieces `,` `HTTP-` `BASIC` `DIGEST`: first token on
 * page 1 in the ProvCont 1.1 table and in the older (colliding) table. */
#define PDM__PROV_AAUTH_PIECE_TOKEN 0x90
#define PDM__PROV_AAUTH_PIECE_OLD 0x80

#endif /* PDM_CODEC_WBXML_INT_H */
