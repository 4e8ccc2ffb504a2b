/*
 * Element identifiers of every markup vocabulary polydm reads or writes:
 * SyncML 1.2 (WBXML code page 0), MetInf 1.2 (page 1), DM DDF/TNDS 1.2
 * (page 2, also the only page of a standalone TNDS document) and OMA CP
 * PROV 1.0 elements.  Token values are from ../shared/spec/omadm-facts.md
 * §5.2-5.4 and §9.3.
 *
 * Both codecs use the same ids, so the rest of the core never compares
 * element names as strings.  The same name in two vocabularies ("Add" as a
 * SyncML command and as a DDF AccessType) gets two ids.
 */
#ifndef PDM_CODEC_TAGS_H
#define PDM_CODEC_TAGS_H

#include <stddef.h>
#include <stdint.h>

/* X(ID, token, "Name") */
#define PDM__SYNCML_TAGS(X)                                                  \
    X(ADD, 0x05, "Add") X(ALERT, 0x06, "Alert") X(ARCHIVE, 0x07, "Archive")  \
    X(ATOMIC, 0x08, "Atomic") X(CHAL, 0x09, "Chal") X(CMD, 0x0A, "Cmd")      \
    X(CMDID, 0x0B, "CmdID") X(CMDREF, 0x0C, "CmdRef") X(COPY, 0x0D, "Copy")  \
    X(CRED, 0x0E, "Cred") X(DATA, 0x0F, "Data") X(DELETE, 0x10, "Delete")    \
    X(EXEC, 0x11, "Exec") X(FINAL, 0x12, "Final") X(GET, 0x13, "Get")        \
    X(ITEM, 0x14, "Item") X(LANG, 0x15, "Lang")                              \
    X(LOCNAME, 0x16, "LocName") X(LOCURI, 0x17, "LocURI")                    \
    X(MAP, 0x18, "Map") X(MAPITEM, 0x19, "MapItem") X(META, 0x1A, "Meta")    \
    X(MSGID, 0x1B, "MsgID") X(MSGREF, 0x1C, "MsgRef")                        \
    X(NORESP, 0x1D, "NoResp") X(NORESULTS, 0x1E, "NoResults")                \
    X(PUT, 0x1F, "Put") X(REPLACE, 0x20, "Replace")                          \
    X(RESPURI, 0x21, "RespURI") X(RESULTS, 0x22, "Results")                  \
    X(SEARCH, 0x23, "Search") X(SEQUENCE, 0x24, "Sequence")                  \
    X(SESSIONID, 0x25, "SessionID") X(SFTDEL, 0x26, "SftDel")                \
    X(SOURCE, 0x27, "Source") X(SOURCEREF, 0x28, "SourceRef")                \
    X(STATUS, 0x29, "Status") X(SYNC, 0x2A, "Sync")                          \
    X(SYNCBODY, 0x2B, "SyncBody") X(SYNCHDR, 0x2C, "SyncHdr")                \
    X(SYNCML, 0x2D, "SyncML") X(TARGET, 0x2E, "Target")                      \
    X(TARGETREF, 0x2F, "TargetRef") X(VERDTD, 0x31, "VerDTD")                \
    X(VERPROTO, 0x32, "VerProto")                                            \
    X(NUMBEROFCHANGES, 0x33, "NumberOfChanges")                              \
    X(MOREDATA, 0x34, "MoreData") X(FIELD, 0x35, "Field")                    \
    X(FILTER, 0x36, "Filter") X(RECORD, 0x37, "Record")                      \
    X(FILTERTYPE, 0x38, "FilterType")                                        \
    X(SOURCEPARENT, 0x39, "SourceParent")                                    \
    X(TARGETPARENT, 0x3A, "TargetParent") X(MOVE, 0x3B, "Move")              \
    X(CORRELATOR, 0x3C, "Correlator")

#define PDM__METINF_TAGS(X)                                                  \
    X(MI_ANCHOR, 0x05, "Anchor") X(MI_EMI, 0x06, "EMI")                      \
    X(MI_FORMAT, 0x07, "Format") X(MI_FREEID, 0x08, "FreeID")                \
    X(MI_FREEMEM, 0x09, "FreeMem") X(MI_LAST, 0x0A, "Last")                  \
    X(MI_MARK, 0x0B, "Mark") X(MI_MAXMSGSIZE, 0x0C, "MaxMsgSize")            \
    X(MI_MEM, 0x0D, "Mem") X(MI_METINF, 0x0E, "MetInf")                      \
    X(MI_NEXT, 0x0F, "Next") X(MI_NEXTNONCE, 0x10, "NextNonce")              \
    X(MI_SHAREDMEM, 0x11, "SharedMem") X(MI_SIZE, 0x12, "Size")              \
    X(MI_TYPE, 0x13, "Type") X(MI_VERSION, 0x14, "Version")                  \
    X(MI_MAXOBJSIZE, 0x15, "MaxObjSize")                                     \
    X(MI_FIELDLEVEL, 0x16, "FieldLevel")

#define PDM__DDF_TAGS(X)                                                     \
    X(DDF_ACCESSTYPE, 0x05, "AccessType") X(DDF_ACL, 0x06, "ACL")            \
    X(DDF_ADD, 0x07, "Add") X(DDF_B64, 0x08, "b64") X(DDF_BIN, 0x09, "bin")  \
    X(DDF_BOOL, 0x0A, "bool") X(DDF_CHR, 0x0B, "chr")                        \
    X(DDF_CASESENSE, 0x0C, "CaseSense") X(DDF_CIS, 0x0D, "CIS")              \
    X(DDF_COPY, 0x0E, "Copy") X(DDF_CS, 0x0F, "CS")                          \
    X(DDF_DATE, 0x10, "date") X(DDF_DDFNAME, 0x11, "DDFName")                \
    X(DDF_DEFAULTVALUE, 0x12, "DefaultValue")                                \
    X(DDF_DELETE, 0x13, "Delete") X(DDF_DESCRIPTION, 0x14, "Description")    \
    X(DDF_DFFORMAT, 0x15, "DFFormat")                                        \
    X(DDF_DFPROPERTIES, 0x16, "DFProperties")                                \
    X(DDF_DFTITLE, 0x17, "DFTitle") X(DDF_DFTYPE, 0x18, "DFType")            \
    X(DDF_DYNAMIC, 0x19, "Dynamic") X(DDF_EXEC, 0x1A, "Exec")                \
    X(DDF_FLOAT, 0x1B, "float") X(DDF_FORMAT, 0x1C, "Format")                \
    X(DDF_GET, 0x1D, "Get") X(DDF_INT, 0x1E, "int") X(DDF_MAN, 0x1F, "Man")  \
    X(DDF_MGMTTREE, 0x20, "MgmtTree") X(DDF_MIME, 0x21, "MIME")              \
    X(DDF_MOD, 0x22, "Mod") X(DDF_NAME, 0x23, "Name")                        \
    X(DDF_NODE, 0x24, "Node") X(DDF_NODE_FMT, 0x25, "node")                  \
    X(DDF_NODENAME, 0x26, "NodeName") X(DDF_NULL, 0x27, "null")              \
    X(DDF_OCCURRENCE, 0x28, "Occurrence") X(DDF_ONE, 0x29, "One")            \
    X(DDF_ONEORMORE, 0x2A, "OneOrMore") X(DDF_ONEORN, 0x2B, "OneOrN")        \
    X(DDF_PATH, 0x2C, "Path") X(DDF_PERMANENT, 0x2D, "Permanent")            \
    X(DDF_REPLACE, 0x2E, "Replace")                                          \
    X(DDF_RTPROPERTIES, 0x2F, "RTProperties") X(DDF_SCOPE, 0x30, "Scope")    \
    X(DDF_SIZE, 0x31, "Size") X(DDF_TIME, 0x32, "time")                      \
    X(DDF_TITLE, 0x33, "Title") X(DDF_TSTAMP, 0x34, "TStamp")                \
    X(DDF_TYPE, 0x35, "Type") X(DDF_VALUE, 0x36, "Value")                    \
    X(DDF_VERDTD, 0x37, "VerDTD") X(DDF_VERNO, 0x38, "VerNo")                \
    X(DDF_XML, 0x39, "xml") X(DDF_ZEROORMORE, 0x3A, "ZeroOrMore")            \
    X(DDF_ZEROORN, 0x3B, "ZeroOrN") X(DDF_ZEROORONE, 0x3C, "ZeroOrOne")

/* OMA CP (PROV 1.0) elements; page 0 and page 1 share the element tokens.
 * Attribute tables live in the WBXML codec. */
#define PDM__PROV_TAGS(X)                                                    \
    X(PROV_DOC, 0x05, "wap-provisioningdoc")                                 \
    X(PROV_CHARACTERISTIC, 0x06, "characteristic")                           \
    X(PROV_PARM, 0x07, "parm")

typedef enum pdm__tag {
    PDM_TAG_NONE = 0,
    PDM_TAG_UNKNOWN, /* element not in any table; see pdm__el.name */
#define PDM__X(id, tok, name) PDM_TAG_##id,
    PDM__SYNCML_TAGS(PDM__X)
    PDM__METINF_TAGS(PDM__X)
    PDM__DDF_TAGS(PDM__X)
    PDM__PROV_TAGS(PDM__X)
#undef PDM__X
    PDM_TAG_COUNT
} pdm__tag;

/* Vocabulary (namespace) of a tag. */
typedef enum pdm__ns {
    PDM_NS_NONE = 0,
    PDM_NS_SYNCML, /* "SYNCML:SYNCML1.2" — WBXML page 0 */
    PDM_NS_METINF, /* "syncml:metinf"    — WBXML page 1 */
    PDM_NS_DDF,    /* "syncml:dmddf1.2"  — WBXML page 2 */
    PDM_NS_PROV    /* CP wap-provisioningdoc */
} pdm__ns;

typedef struct pdm__tag_info {
    const char *name; /* element name as written in XML */
    uint8_t ns;       /* pdm__ns */
    uint8_t token;    /* WBXML token on the vocabulary's code page */
} pdm__tag_info;

/* Table indexed by pdm__tag (defined in tags.c). */
extern const pdm__tag_info pdm__tags[PDM_TAG_COUNT];

/* Looks a name up in one vocabulary; PDM_TAG_NONE if absent.  O(1)-ish. */
pdm__tag pdm__tag_lookup(pdm__ns ns, const char *name, size_t len);
/* Looks a WBXML token up; page is the SyncML-document code page (0 SyncML,
 * 1 MetInf, 2 DDF) or, for ns == PDM_NS_PROV, ignored. */
pdm__tag pdm__tag_from_token(pdm__ns ns, uint8_t token);

#define PDM_NS_URI_SYNCML "SYNCML:SYNCML1.2"
#define PDM_NS_URI_METINF "syncml:metinf"
#define PDM_NS_URI_DDF "syncml:dmddf1.2"

#endif /* PDM_CODEC_TAGS_H */
