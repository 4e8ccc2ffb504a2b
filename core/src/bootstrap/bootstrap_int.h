/*
 * What the bootstrap pipeline (bootstrap.c) offers the rest of the core
 * and the CLI besides the public API: the names it uses and the content
 * type sniffer.
 */
#ifndef PDM_BOOTSTRAP_INT_H
#define PDM_BOOTSTRAP_INT_H

#include <stddef.h>
#include <stdint.h>

/* The four content types the pipeline takes (polydm.h). */
#define PDM__CT_CP_WBXML "application/vnd.wap.connectivity-wbxml"
#define PDM__CT_CP_XML "text/vnd.wap.connectivity-xml"
#define PDM__CT_DM_WBXML "application/vnd.syncml.dm+wbxml"
#define PDM__CT_DM_XML "application/vnd.syncml.dm+xml"

/* Source names of documents no component hands over: a DM-profile
 * message given to pdm_ctx_bootstrap_submit, and the profile's
 * bootstrap.factory_file.  The principal is "bootstrap:<source>". */
#define PDM__BS_SOURCE_DM "core/dm-profile"
#define PDM__BS_SOURCE_FACTORY "core/factory-file"

/* The content type of a document from its first bytes: WBXML with public
 * id 0x0B (or the PROV 1.0/1.1 public id string) or XML whose root is
 * wap-provisioningdoc → OMA CP; WBXML with a SyncML public id (0x0FD3,
 * 0x1201 or a "-//SYNCML//DTD SyncML" string) or XML whose root is SyncML
 * → DM profile.  NULL when it is none of these.  Static string. */
const char *pdm__bs_sniff(const uint8_t *buf, size_t len);

#endif /* PDM_BOOTSTRAP_INT_H */
