/*
 * Client messages: the queue of outgoing commands of the current package
 * (Status, Results, Alerts, the DevInfo Replace) and their encoding into
 * messages that respect the server's MaxMsgSize, with CmdIDs numbered per
 * message, Final on the last message of the package and the credentials
 * of the SyncHdr (Cred element or x-syncml-hmac header).
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "session/session_int.h"
#include "util/util.h"

int pdm__out_init(pdm_session *s)
{
    pdm__doc_init(&s->out);
    pdm__buf_init(&s->msg);
    s->last_unsent = SIZE_MAX;
    return PDM_OK;
}

void pdm__out_sent(pdm_session *s)
{
    /* The caller's borrow of the message ends here; it may hold our Cred
     * (Basic: the password in base64), which must not wait in the buffer
     * for the next message. */
    pdm__buf_reset(&s->msg);
}

void pdm__out_reset(pdm_session *s)
{
    pdm__doc_free(&s->out);
    pdm__doc_init(&s->out);
    s->nqueue = s->qhead = 0;
    s->last_unsent = SIZE_MAX;
    s->hdr_status = NULL;
    /* They pointed into the freed document. */
    s->split_el = s->deferred_el = NULL;
}

int pdm__out_queue_grow(pdm_session *s, pdm__el *cmd)
{
    size_t cap = s->capqueue ? s->capqueue * 2 : 64;
    pdm__el **q;
    if (!cmd)
        return PDM_ENOMEM;
    q = pdm__realloc(s->queue, cap * sizeof(*q));
    if (!q)
        return PDM_ENOMEM;
    s->queue = q;
    s->capqueue = cap;
    s->queue[s->nqueue++] = cmd;
    return PDM_OK;
}

/* Outgoing commands are built by the thousand per package, so building
 * them is kept cheap: an element and the copy of its text share one
 * arena allocation (add_copy), and constant texts are not copied at all
 * (pdm__el_add_static).  Texts taken from the server's message (CmdID,
 * URIs) must be copies: that document is freed before the answer is
 * encoded, and the queue can outlive it by several messages. */

static void link_child(pdm__el *parent, pdm__el *e)
{
    if (parent->last)
        parent->last->next = e;
    else
        parent->first = e;
    parent->last = e;
}

/* A child of parent with a copy of text[0..len) (NUL-terminated). */
static pdm__el *add_copy(pdm_session *s, pdm__el *parent, pdm__tag tag,
                         const void *text, size_t len)
{
    pdm__el *e;
    uint8_t *t;
    if (len > SIZE_MAX - sizeof(*e) - 1)
        return NULL;
    e = pdm__arena_alloc(&s->out.arena, sizeof(*e) + len + 1);
    if (!e)
        return NULL;
    t = (uint8_t *)(e + 1);
    pdm__memcpy_small(t, text, len);
    t[len] = 0;
    *e = (pdm__el){.parent = parent, .text = t, .len = len,
                   .tag = (uint16_t)tag};
    link_child(parent, e);
    return e;
}

static pdm__el *add_str(pdm_session *s, pdm__el *parent, pdm__tag tag,
                        const char *text)
{
    return add_copy(s, parent, tag, text, strlen(text));
}

/* A leaf child for add_group: its text is copied, or kept as it is when
 * `keep` (static text, see pdm__el_add_static, or a pdm__out_text);
 * `plain` marks digits and constants (PDM_EL_PLAIN). */
typedef struct kid {
    pdm__tag tag;
    const char *text;
    size_t len;
    bool keep, plain;
} kid;

/* A new element `tag` with n leaf children, appended to parent (NULL: a
 * free-standing command), in one arena allocation together with the
 * copied texts. */
static pdm__el *add_group(pdm_session *s, pdm__el *parent, pdm__tag tag,
                          const kid *k, size_t n)
{
    size_t bytes = (n + 1) * sizeof(pdm__el);
    pdm__el *e;
    uint8_t *t;
    for (size_t i = 0; i < n; i++) {
        if (k[i].keep)
            continue;
        if (k[i].len > SIZE_MAX / 2 - bytes)
            return NULL;
        bytes += k[i].len + 1;
    }
    e = pdm__arena_alloc(&s->out.arena, bytes);
    if (!e)
        return NULL;
    t = (uint8_t *)(e + n + 1);
    e[0] = (pdm__el){.parent = parent, .first = n ? &e[1] : NULL,
                     .last = n ? &e[n] : NULL, .tag = (uint16_t)tag};
    for (size_t i = 0; i < n; i++) {
        uint8_t *txt = (uint8_t *)(uintptr_t)k[i].text;
        if (!k[i].keep) {
            txt = t;
            pdm__memcpy_small(t, k[i].text, k[i].len);
            t[k[i].len] = 0;
            t += k[i].len + 1;
        }
        e[i + 1] = (pdm__el){.parent = e,
                             .next = i + 1 < n ? &e[i + 2] : NULL,
                             .text = txt,
                             .len = k[i].len,
                             .tag = (uint16_t)k[i].tag,
                             .flags = k[i].plain ? PDM_EL_PLAIN : 0};
    }
    if (parent)
        link_child(parent, e);
    return e;
}

/* A command element with its CmdID placeholder as first child (encode()
 * sets the real CmdID per message). */
static pdm__el *new_cmd(pdm_session *s, pdm__tag tag)
{
    pdm__el *e = pdm__arena_alloc(&s->out.arena, sizeof(*e));
    /* Free-standing (no parent, not the root) until a message links it. */
    if (!e)
        return NULL;
    *e = (pdm__el){.tag = (uint16_t)tag};
    if (!pdm__el_add_static(&s->out, e, PDM_TAG_CMDID, "0", 1))
        return NULL;
    return e;
}

/* Bytes of PDM_EL_PLAIN texts: printable ASCII but & < > ". */
static const bool plain_byte[256] = {
    /* 0x20 */ [' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1,
    ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
    ['-'] = 1, ['.'] = 1, ['/'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1,
    ['='] = 1, ['?'] = 1, ['@'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['['] = 1, ['\\'] = 1, [']'] = 1, ['^'] = 1,
    ['_'] = 1, ['`'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

/* A copied leaf of add_group for a text from elsewhere (a CmdRef, a
 * command name): strlen and, in the same pass, whether the text is
 * PDM_EL_PLAIN, so that the XML encoder need not scan it again. */
static kid copied_kid(pdm__tag tag, const char *text)
{
    size_t n = 0;
    bool plain = true;
    for (unsigned char c; (c = (unsigned char)text[n]) != 0; n++)
        plain &= plain_byte[c];
    return (kid){tag, text, n, false, plain};
}

bool pdm__out_text_copy(pdm_session *s, const char *text, pdm__out_text *out)
{
    kid k = copied_kid(PDM_TAG_NONE, text ? text : "0");
    char *t = pdm__arena_alloc(&s->out.arena, k.len + 1);
    if (!t)
        return false;
    memcpy(t, k.text, k.len + 1);
    *out = (pdm__out_text){t, k.len, k.plain};
    return true;
}

bool pdm__out_text_num(pdm_session *s, unsigned long long v,
                       pdm__out_text *out)
{
    char *t = pdm__arena_alloc(&s->out.arena, 21);
    if (!t)
        return false;
    *out = (pdm__out_text){t, pdm__utoa(v, t), true};
    return true;
}

/* Writes a status code (or any number) in decimal; three digits, the
 * usual case, without pdm__utoa. */
static size_t code_text(int code, char *buf)
{
    if (code >= 100 && code <= 999) {
        buf[0] = (char)('0' + code / 100);
        buf[1] = (char)('0' + code / 10 % 10);
        buf[2] = (char)('0' + code % 10);
        buf[3] = '\0';
        return 3;
    }
    return pdm__utoa((unsigned)code, buf);
}

pdm__el *pdm__out_status(pdm_session *s, unsigned msg_ref,
                         const char *cmd_ref, const char *cmd, int code)
{
    char mr[24], dc[24];
    /* CmdID is a placeholder (encode() sets it per message).  Data last:
     * TargetRef/SourceRef/Chal go before it (DTD order); a copy, since
     * Atomic rewrites the code in place (exec.c, set_code). */
    kid k[] = {{PDM_TAG_CMDID, "0", 1, true, true},
               {PDM_TAG_MSGREF, mr, pdm__utoa(msg_ref, mr), false, true},
               copied_kid(PDM_TAG_CMDREF, cmd_ref ? cmd_ref : "0"),
               copied_kid(PDM_TAG_CMD, cmd),
               {PDM_TAG_DATA, dc, code_text(code, dc), false, true}};
    return add_group(s, NULL, PDM_TAG_STATUS, k, PDM__ARRAY_LEN(k));
}

/* A copy of p[0..n) and a NUL at *t, which then moves past it. */
static uint8_t *put_text(uint8_t **t, const void *p, size_t n)
{
    uint8_t *d = *t;
    pdm__memcpy_small(d, p, n);
    d[n] = 0;
    *t += n + 1;
    return d;
}

/* Sets up e as a leaf of parent (its sibling: next) with the given
 * text, which is not copied. */
static void leaf_at(pdm__el *e, pdm__el *parent, pdm__el *next, pdm__tag tag,
                    const void *text, size_t len, uint8_t flags)
{
    *e = (pdm__el){.parent = parent, .next = next,
                   .text = (uint8_t *)(uintptr_t)text, .len = len,
                   .tag = (uint16_t)tag, .flags = flags};
}

/* A shared text as a leaf. */
static void shared_at(pdm__el *e, pdm__el *parent, pdm__el *next,
                      pdm__tag tag, const pdm__out_text *t)
{
    leaf_at(e, parent, next, tag, t->text, t->len,
            t->plain ? PDM_EL_PLAIN : 0);
}

pdm__el *pdm__out_status_for(pdm_session *s, const pdm__out_text *msg_ref,
                             const pdm__out_text *cmd_ref, const pdm__el *cmd,
                             int code)
{
    /* A known command's name is the tag table's (static, plain); an
     * unknown element's name is the server's text: a copy. */
    const char *name = pdm__el_name(cmd);
    size_t nlen = strlen(name);
    bool copy_name = cmd->tag == PDM_TAG_UNKNOWN;
    pdm__el *e;
    uint8_t *t;
    char *dc;
    if (!msg_ref->text || !cmd_ref->text)
        return NULL; /* one of them could not be made (out of memory) */
    if (nlen > SIZE_MAX / 4)
        return NULL;
    /* Status, CmdID, MsgRef, CmdRef, Cmd, Data and the texts: one
     * allocation, like add_group's.  CmdID is a placeholder (encode()
     * sets it per message); Data is a copy, since Atomic rewrites the
     * code in place (exec.c, set_code), and last: TargetRef/SourceRef/
     * Chal go before it (DTD order). */
    e = pdm__arena_alloc(&s->out.arena,
                         6 * sizeof(*e) + 24 + (copy_name ? nlen + 1 : 0));
    if (!e)
        return NULL;
    t = (uint8_t *)(e + 6);
    dc = (char *)t;
    t += 24;
    e[0] = (pdm__el){.first = &e[1], .last = &e[5], .tag = PDM_TAG_STATUS};
    leaf_at(&e[1], e, &e[2], PDM_TAG_CMDID, "0", 1, PDM_EL_PLAIN);
    shared_at(&e[2], e, &e[3], PDM_TAG_MSGREF, msg_ref);
    shared_at(&e[3], e, &e[4], PDM_TAG_CMDREF, cmd_ref);
    leaf_at(&e[4], e, &e[5], PDM_TAG_CMD,
            copy_name ? put_text(&t, name, nlen) : (const uint8_t *)name, nlen,
            copy_name ? 0 : PDM_EL_PLAIN);
    leaf_at(&e[5], e, NULL, PDM_TAG_DATA, dc, code_text(code, dc),
            PDM_EL_PLAIN);
    return e;
}

/* Inserts el before the Data child of a Status (DTD element order). */
static void insert_before_data(pdm__el *st, pdm__el *el)
{
    pdm__el *prev = NULL;
    for (pdm__el *c = st->first; c; prev = c, c = c->next) {
        if (c == el)
            break;
        if (c->tag == PDM_TAG_DATA) {
            /* unlink el from the end */
            pdm__el *p = st->first;
            while (p && p->next != el)
                p = p->next;
            if (p) {
                p->next = NULL;
                st->last = p;
            }
            el->next = c;
            if (prev)
                prev->next = el;
            else
                st->first = el;
            return;
        }
    }
}

void pdm__out_status_ref(pdm_session *s, pdm__el *st, const char *target,
                         const char *source)
{
    if (target) {
        pdm__el *e = add_str(s, st, PDM_TAG_TARGETREF, target);
        if (e)
            insert_before_data(st, e);
    }
    if (source) {
        pdm__el *e = add_str(s, st, PDM_TAG_SOURCEREF, source);
        if (e)
            insert_before_data(st, e);
    }
}

/* One Results Item: Source, Meta Format (and Type), Data unless @data is
 * NULL (Struct lists: interior nodes and secrets).  One per Get: its
 * elements and copied texts are one arena allocation, like add_group's. */
static bool add_result_item(pdm_session *s, pdm__el *res, const char *uri,
                            uint32_t format, const char *type,
                            const uint8_t *data, size_t len, bool has_data)
{
    static const char text_plain[] = "text/plain";
    /* format names are static strings */
    const char *fmt = pdm__format_name(format);
    /* A stored value of a text Format that is not text (written before
     * the tree checked values, or by a handler) travels like a bin one,
     * and a Type that is not text is left out: one value never makes the
     * whole message unencodable. */
    bool binary = format == PDM_FORMAT_BIN ||
                  (has_data && !pdm__xml_is_text(data, len)),
         has_type = type && *type && pdm__xml_is_text(type, strlen(type)),
         tp = has_type && strcmp(type, text_plain) == 0;
    size_t ulen = strlen(uri), tlen = tp ? sizeof text_plain - 1
                                         : has_type ? strlen(type) : 0;
    /* Item, Source, LocURI, Meta, Format, [Type], [Data] */
    size_t nel = 5 + has_type + has_data, bytes;
    pdm__el *e, *item, *src, *meta, *last;
    uint8_t *t;
    pdm__buf b;

    pdm__buf_init(&b);
    /* Binary values travel raw (OPAQUE) in WBXML and base64 in XML, where
     * Meta Format says so. */
    if (binary && !s->wbxml && has_data) {
        fmt = "b64";
        if (pdm__b64_encode(data, len, &b) != PDM_OK || !pdm__buf_ok(&b)) {
            pdm__buf_free(&b);
            return false;
        }
        data = b.data;
        len = b.len;
    }
    if (ulen > SIZE_MAX / 4 || tlen > SIZE_MAX / 4 ||
        (has_data && len > SIZE_MAX / 4)) {
        pdm__buf_free(&b);
        return false;
    }
    bytes = nel * sizeof(pdm__el) + ulen + 1 + (has_type && !tp ? tlen + 1 : 0) +
            (has_data ? len + 1 : 0);
    e = pdm__arena_alloc(&s->out.arena, bytes);
    if (!e) {
        pdm__buf_free(&b);
        return false;
    }
    t = (uint8_t *)(e + nel);
    item = &e[0];
    src = &e[1];
    meta = &e[3];
    last = &e[nel - 1];
    e[0] = (pdm__el){.parent = res, .first = src,
                     .last = has_data ? last : meta, .tag = PDM_TAG_ITEM};
    e[1] = (pdm__el){.parent = item, .first = &e[2], .last = &e[2],
                     .next = meta, .tag = PDM_TAG_SOURCE};
    e[2] = (pdm__el){.parent = src, .text = put_text(&t, uri, ulen),
                     .len = ulen, .tag = PDM_TAG_LOCURI};
    e[3] = (pdm__el){.parent = item, .first = &e[4],
                     .last = has_type ? &e[5] : &e[4],
                     .next = has_data ? last : NULL, .tag = PDM_TAG_META};
    e[4] = (pdm__el){.parent = meta, .next = has_type ? &e[5] : NULL,
                     .text = (uint8_t *)(uintptr_t)fmt, .len = strlen(fmt),
                     .tag = PDM_TAG_MI_FORMAT, .flags = PDM_EL_PLAIN};
    if (has_type)
        e[5] = (pdm__el){.parent = meta,
                         .text = tp ? (uint8_t *)(uintptr_t)text_plain
                                    : put_text(&t, type, tlen),
                         .len = tlen, .tag = PDM_TAG_MI_TYPE,
                         .flags = tp ? PDM_EL_PLAIN : 0};
    if (has_data)
        *last = (pdm__el){.parent = item, .text = put_text(&t, data, len),
                          .len = len, .tag = PDM_TAG_DATA,
                          .flags = binary && s->wbxml ? PDM_EL_OPAQUE : 0};
    if (b.data)
        pdm__buf_free(&b);
    link_child(res, item);
    return true;
}

/* add_result_item's allocation for one item, with room for base64 and
 * the arena's rounding. */
static size_t item_cost(const pdm_session *s, const char *uri,
                        const char *type, size_t len, uint32_t format)
{
    size_t data = format == PDM_FORMAT_BIN && !s->wbxml ? len / 3 * 4 + 4 : len;
    return 7 * sizeof(pdm__el) + strlen(uri) + (type ? strlen(type) : 0) +
           data + 3 + 16;
}

size_t pdm__out_results_cost(const pdm_session *s, const char *uri,
                             const pdm__tree_result *r)
{
    size_t n = 4 * sizeof(pdm__el) + 16;
    if (!r->items)
        return n + item_cost(s, uri, r->type, r->len, r->format);
    for (size_t i = 0; i < r->nitems; i++)
        n += item_cost(s, r->items[i].uri, r->items[i].type, r->items[i].len,
                       r->items[i].format);
    return n;
}

pdm__el *pdm__out_results(pdm_session *s, const pdm__out_text *msg_ref,
                          const pdm__out_text *cmd_ref, const char *uri,
                          const pdm__tree_result *r)
{
    pdm__el *res;
    if (!msg_ref->text || !cmd_ref->text)
        return NULL; /* one of them could not be made (out of memory) */
    /* Results, CmdID (placeholder), MsgRef, CmdRef; the Items follow. */
    res = pdm__arena_alloc(&s->out.arena, 4 * sizeof(*res));
    if (!res)
        return NULL;
    res[0] = (pdm__el){.first = &res[1], .last = &res[3],
                       .tag = PDM_TAG_RESULTS};
    leaf_at(&res[1], res, &res[2], PDM_TAG_CMDID, "0", 1, PDM_EL_PLAIN);
    shared_at(&res[2], res, &res[3], PDM_TAG_MSGREF, msg_ref);
    shared_at(&res[3], res, NULL, PDM_TAG_CMDREF, cmd_ref);
    if (r->items) {
        /* ?list=Struct/StructData: one Item per node (TND 8.4.2). */
        for (size_t i = 0; i < r->nitems; i++) {
            const pdm__tree_list_item *it = &r->items[i];
            if (!add_result_item(s, res, it->uri, it->format, it->type,
                                 it->data, it->len, it->data != NULL))
                return NULL;
        }
        return res;
    }
    return add_result_item(s, res, uri, r->format, r->type, r->data, r->len,
                           true)
               ? res
               : NULL;
}

pdm__el *pdm__out_alert(pdm_session *s, int code)
{
    pdm__el *a = new_cmd(s, PDM_TAG_ALERT);
    char c[8];
    snprintf(c, sizeof c, "%d", code);
    if (!a || !pdm__el_add_str(&s->out, a, PDM_TAG_DATA, c))
        return NULL;
    return a;
}

/* ---- encoding ---------------------------------------------------------------- */

static int add_hdr(pdm_session *s, pdm__doc *d, pdm__el *root)
{
    pdm__el *h = pdm__el_add(d, root, PDM_TAG_SYNCHDR), *t, *src, *meta;
    char num[24];
    if (!h)
        return PDM_ENOMEM;
    pdm__el_add_str(d, h, PDM_TAG_VERDTD, "1.2");
    pdm__el_add_str(d, h, PDM_TAG_VERPROTO, "DM/1.2");
    pdm__el_add_str(d, h, PDM_TAG_SESSIONID, s->session_id);
    snprintf(num, sizeof num, "%u", s->msg_id);
    pdm__el_add_str(d, h, PDM_TAG_MSGID, num);
    t = pdm__el_add(d, h, PDM_TAG_TARGET);
    if (!t || !pdm__el_add_str(d, t, PDM_TAG_LOCURI, s->acc.addr))
        return PDM_ENOMEM;
    src = pdm__el_add(d, h, PDM_TAG_SOURCE);
    if (!src || !pdm__el_add_str(d, src, PDM_TAG_LOCURI, s->devid))
        return PDM_ENOMEM;
    /* LocName carries the user for MD5 digest (and names the account). */
    if (s->cl_type != PDM_AUTH_NONE && s->acc.cl.name &&
        !pdm__el_add_str(d, src, PDM_TAG_LOCNAME, s->acc.cl.name))
        return PDM_ENOMEM;
    if (!s->cl_accepted &&
        (s->cl_type == PDM_AUTH_BASIC || s->cl_type == PDM_AUTH_MD5)) {
        pdm__el *cred = pdm__el_add(d, h, PDM_TAG_CRED), *cm;
        char md5[PDM__B64_MD5_SIZE];
        pdm__buf b;
        int rc;
        cm = cred ? pdm__el_add(d, cred, PDM_TAG_META) : NULL;
        if (!cm || !pdm__el_add_str(d, cm, PDM_TAG_MI_FORMAT, "b64") ||
            !pdm__el_add_str(d, cm, PDM_TAG_MI_TYPE,
                             pdm__auth_type_meta(s->cl_type)))
            return PDM_ENOMEM;
        if (s->cl_type == PDM_AUTH_BASIC) {
            pdm__buf_init(&b);
            rc = pdm__auth_basic(s->acc.cl.name ? s->acc.cl.name : "",
                                 s->acc.cl.secret ? s->acc.cl.secret : "", &b);
            if (rc == PDM_OK &&
                !pdm__el_add_text(d, cred, PDM_TAG_DATA, b.data, b.len))
                rc = PDM_ENOMEM;
            /* the buffer held "user:password" in base64: wipe it */
            if (b.data)
                memset(b.data, 0, b.cap);
            pdm__buf_free(&b);
        } else {
            rc = pdm__auth_md5(s->acc.cl.name ? s->acc.cl.name : "",
                               s->acc.cl.secret ? s->acc.cl.secret : "",
                               s->cl_nonce, s->cl_nonce_len, md5);
            if (rc == PDM_OK && !pdm__el_add_str(d, cred, PDM_TAG_DATA, md5))
                rc = PDM_ENOMEM;
        }
        if (rc != PDM_OK)
            return rc;
    }
    meta = pdm__el_add(d, h, PDM_TAG_META);
    if (!meta)
        return PDM_ENOMEM;
    snprintf(num, sizeof num, "%u", s->max_msg);
    pdm__el_add_str(d, meta, PDM_TAG_MI_MAXMSGSIZE, num);
    snprintf(num, sizeof num, "%u", s->max_obj);
    if (!pdm__el_add_str(d, meta, PDM_TAG_MI_MAXOBJSIZE, num))
        return PDM_ENOMEM;
    return PDM_OK;
}

/* Adds one to the decimal number num[0..len) (NUL-terminated, room for
 * 20 digits and the NUL); returns the new length. */
static size_t dec_increment(char *num, size_t len)
{
    size_t i = len;
    while (i > 0 && num[i - 1] == '9')
        num[--i] = '0';
    if (i > 0) {
        num[i - 1]++;
        return len;
    }
    /* all nines: one digit more */
    memmove(num + 1, num, len + 1);
    num[0] = '1';
    return len + 1;
}

/* Encodes a message with queue[qhead .. qhead+n) and Final if asked. */
static int encode(pdm_session *s, size_t n, bool final, pdm__buf *out)
{
    pdm__doc d;
    pdm__el *root, *body, *fin = NULL;
    pdm__codec_err cerr;
    char *ids = NULL;
    int rc;

    pdm__doc_init(&d);
    d.lang = PDM_LANG_SYNCML12;
    root = pdm__el_add(&d, NULL, PDM_TAG_SYNCML);
    rc = root ? add_hdr(s, &d, root) : PDM_ENOMEM;
    body = rc == PDM_OK ? pdm__el_add(&d, root, PDM_TAG_SYNCBODY) : NULL;
    if (rc == PDM_OK && !body)
        rc = PDM_ENOMEM;
    if (rc == PDM_OK && final && !(fin = pdm__el_add(&d, NULL, PDM_TAG_FINAL)))
        rc = PDM_ENOMEM;
    /* The CmdIDs of this message, 1..n, in one block (at most 20 digits
     * and the NUL each), counted in decimal rather than converted one by
     * one. */
    if (rc == PDM_OK && n &&
        !(ids = n <= SIZE_MAX / 21 ? pdm__arena_alloc(&d.arena, n * 21) : NULL))
        rc = PDM_ENOMEM;
    if (rc == PDM_OK) {
        /* Link the queued commands in (borrowed from s->out). */
        pdm__el *prev = NULL;
        char num[21] = "0";
        size_t nlen = 1;
        for (size_t i = 0; i < n; i++) {
            pdm__el *c = s->queue[s->qhead + i];
            char *id = ids + 21 * i;
            nlen = dec_increment(num, nlen);
            memcpy(id, num, sizeof num);
            c->first->text = (uint8_t *)id;
            c->first->len = nlen;
            c->first->flags |= PDM_EL_PLAIN;
            c->parent = body;
            c->next = NULL;
            if (prev)
                prev->next = c;
            else
                body->first = c;
            prev = c;
        }
        if (fin) {
            fin->parent = body;
            if (prev)
                prev->next = fin;
            else
                body->first = fin;
            prev = fin;
        }
        body->last = prev;
        d.root = root;
        pdm__buf_reset(out);
        /* Room for a typical message of n commands at once, instead of a
         * dozen doublings (each a copy) while a big package is encoded;
         * only a guess, the buffer still grows when it is short. */
        if (n < SIZE_MAX / 512)
            pdm__buf_reserve(out, 512 + n * (s->wbxml ? 96 : 256));
        if (s->wbxml)
            rc = pdm__wbxml_encode(out, &d, NULL, &cerr);
        else
            rc = pdm__xml_encode(out, &d, NULL, &cerr);
        if (rc != PDM_OK)
            pdm__session_fail(s, rc, "cannot encode a message: %s", cerr.msg);
        /* Unlink again: the queue keeps its elements. */
        for (size_t i = 0; i < n; i++) {
            s->queue[s->qhead + i]->next = NULL;
            s->queue[s->qhead + i]->first->text = NULL;
        }
    }
    pdm__doc_free(&d);
    return rc;
}

/* A Results with several Items (a Struct list) that does not fit: the
 * Items that fit stay, the others move to a second Results for the same
 * command, queued right behind it (whole items: only a single object is
 * ever cut into MoreData chunks).  When not even the first Item fits, it
 * is sent alone in chunks (split_results). */
static int split_results(pdm_session *s, size_t pos, size_t limit);

static int split_items(pdm_session *s, size_t pos, size_t limit)
{
    pdm__el *head = s->queue[pos], *rest, **items;
    size_t k = 0, lo, hi, best = 0;
    pdm__buf probe;
    bool chunk_first;
    int rc = PDM_OK;

    for (pdm__el *i = pdm__el_child(head, PDM_TAG_ITEM); i;
         i = pdm__el_next(i, PDM_TAG_ITEM))
        k++;
    items = pdm__malloc(k * sizeof(*items));
    if (!items)
        return PDM_ENOMEM;
    k = 0;
    for (pdm__el *i = pdm__el_child(head, PDM_TAG_ITEM); i;
         i = pdm__el_next(i, PDM_TAG_ITEM))
        items[k++] = i;
    pdm__buf_init(&probe);
    lo = 1;
    hi = k - 1;
    while (lo <= hi && rc == PDM_OK) {
        size_t mid = lo + (hi - lo) / 2;
        pdm__el *cut = items[mid - 1], *after = cut->next, *last = head->last;
        cut->next = NULL;
        head->last = cut;
        rc = encode(s, pos - s->qhead + 1, false, &probe);
        cut->next = after;
        head->last = last;
        if (rc == PDM_OK && probe.len <= limit) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    pdm__buf_free(&probe);
    /* Not even the first Item fits: it goes alone, cut into MoreData
     * chunks like any large object (below, after the others moved). */
    chunk_first = rc == PDM_OK && !best;
    if (chunk_first)
        best = 1;
    if (rc == PDM_OK && !(rest = new_cmd(s, PDM_TAG_RESULTS)))
        rc = PDM_ENOMEM;
    if (rc == PDM_OK) {
        for (pdm__el *c = head->first->next; c && rc == PDM_OK; c = c->next)
            if (c->tag != PDM_TAG_ITEM &&
                !pdm__el_add_text(&s->out, rest, (pdm__tag)c->tag, c->text,
                                  c->len))
                rc = PDM_ENOMEM;
    }
    if (rc == PDM_OK && (rc = pdm__out_queue(s, rest)) == PDM_OK) {
        for (size_t i = best; i < k; i++)
            items[i]->parent = rest;
        rest->last->next = items[best];
        rest->last = head->last;
        items[best - 1]->next = NULL;
        head->last = items[best - 1];
        memmove(&s->queue[pos + 2], &s->queue[pos + 1],
                (s->nqueue - pos - 2) * sizeof(*s->queue));
        s->queue[pos + 1] = rest;
    }
    pdm__free(items);
    if (rc == PDM_OK && chunk_first)
        return split_results(s, pos, limit);
    return rc;
}

/* Splits the Results at the head of the queue: a first chunk that fits
 * the message (with MoreData, and Meta Size on the object's first chunk)
 * goes in front, the rest stays queued for the next message.  The server
 * acknowledges each chunk and asks for more with Alert 1222. */
static int split_results(pdm_session *s, size_t pos, size_t limit)
{
    pdm__el *head = s->queue[pos], *item, *data, *meta, *chunk, *citem,
            *cmeta = NULL, *cd;
    pdm__buf probe;
    size_t total, lo, hi, best = 0;
    uint8_t *full;
    bool first_chunk;
    int rc = PDM_OK;

    item = head->tag == PDM_TAG_RESULTS ? pdm__el_child(head, PDM_TAG_ITEM)
                                        : NULL;
    if (item && pdm__el_next(item, PDM_TAG_ITEM))
        return split_items(s, pos, limit);
    data = item ? pdm__el_child(item, PDM_TAG_DATA) : NULL;
    if (!data || data->len < 2)
        return pdm__session_fail(s, PDM_ETOOBIG,
                                 "a response command does not fit the "
                                 "server's MaxMsgSize of %zu bytes",
                                 limit);
    first_chunk = s->split_el != head;
    s->split_el = head;
    meta = pdm__el_child(item, PDM_TAG_META);
    total = data->len;
    full = data->text;
    chunk = new_cmd(s, PDM_TAG_RESULTS);
    if (!chunk)
        return PDM_ENOMEM;
    for (pdm__el *c = head->first->next; c; c = c->next)
        if (c->tag != PDM_TAG_ITEM &&
            !pdm__el_add_text(&s->out, chunk, (pdm__tag)c->tag, c->text, c->len))
            return PDM_ENOMEM;
    citem = pdm__el_add(&s->out, chunk, PDM_TAG_ITEM);
    if (!citem)
        return PDM_ENOMEM;
    for (pdm__el *c = item->first; c; c = c->next) {
        pdm__el *copy;
        if (c->tag == PDM_TAG_DATA || c->tag == PDM_TAG_META)
            continue;
        /* Source (and its LocURI) copied: encoders walk parent links, so
         * elements cannot be shared between two commands. */
        copy = pdm__el_add(&s->out, citem, (pdm__tag)c->tag);
        if (!copy)
            return PDM_ENOMEM;
        for (pdm__el *g = c->first; g; g = g->next)
            if (!pdm__el_add_text(&s->out, copy, (pdm__tag)g->tag, g->text,
                                  g->len))
                return PDM_ENOMEM;
    }
    if (meta) {
        cmeta = pdm__el_add(&s->out, citem, PDM_TAG_META);
        if (!cmeta)
            return PDM_ENOMEM;
        for (pdm__el *c = meta->first; c; c = c->next)
            if (!pdm__el_add_text(&s->out, cmeta, (pdm__tag)c->tag, c->text,
                                  c->len))
                return PDM_ENOMEM;
    }
    if (first_chunk) {
        /* Meta Size: the whole object, on its first chunk only. */
        char num[24];
        size_t nl = pdm__utoa(total, num);
        if (!cmeta && !(cmeta = pdm__el_add(&s->out, citem, PDM_TAG_META)))
            return PDM_ENOMEM;
        if (!pdm__el_add_text(&s->out, cmeta, PDM_TAG_MI_SIZE, num, nl))
            return PDM_ENOMEM;
    }
    cd = pdm__el_add(&s->out, citem, PDM_TAG_DATA);
    if (!cd || !pdm__el_add(&s->out, citem, PDM_TAG_MOREDATA))
        return PDM_ENOMEM;
    cd->flags = data->flags;
    /* Put the chunk in front of the rest. */
    if (pdm__out_queue(s, chunk) != PDM_OK)
        return PDM_ENOMEM;
    memmove(&s->queue[pos + 1], &s->queue[pos],
            (s->nqueue - pos - 1) * sizeof(*s->queue));
    s->queue[pos] = chunk;
    /* Largest prefix that fits: binary search on the encoded size (XML
     * escaping makes the size of a prefix hard to predict). */
    lo = 1;
    hi = total - 1;
    pdm__buf_init(&probe);
    cd->text = full;
    while (lo <= hi && rc == PDM_OK) {
        size_t mid = lo + (hi - lo) / 2;
        /* Element texts are NUL-terminated: the probe cuts the value in
         * place for a moment.  A copy per probe would stay in the arena
         * until the package ends: a dozen copies of the object for every
         * chunk sent. */
        uint8_t cut = full[mid];
        full[mid] = 0;
        cd->len = mid;
        rc = encode(s, pos - s->qhead + 1, false, &probe);
        full[mid] = cut;
        if (rc == PDM_OK && probe.len <= limit) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    pdm__buf_free(&probe);
    if (rc != PDM_OK)
        return rc;
    if (!best) {
        /* No room for data after what precedes it: undo, try next time. */
        memmove(&s->queue[pos], &s->queue[pos + 1],
                (s->nqueue - pos - 1) * sizeof(*s->queue));
        s->nqueue--;
        data->text = full;
        data->len = total;
        if (first_chunk)
            s->split_el = NULL;
        return pos == s->qhead ? pdm__session_fail(
                                     s, PDM_ETOOBIG,
                                     "the server's MaxMsgSize of %zu bytes "
                                     "leaves no room for data",
                                     limit)
                               : PDM_ENOTFOUND;
    }
    cd->text = (uint8_t *)pdm__arena_memdup(&s->out.arena, full, best);
    cd->len = best;
    if (!cd->text)
        return PDM_ENOMEM;
    /* The rest: same Results, the data after the chunk, no Size. */
    data->text = full + best;
    data->len = total - best;
    return PDM_OK;
}

/* Does the head of the queue, up to @n commands, hold more than
 * Statuses? */
static bool carries_commands(const pdm_session *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->queue[s->qhead + i]->tag != PDM_TAG_STATUS)
            return true;
    return false;
}

/* Would a message holding only the Results at @pos fit? */
static bool results_fit_alone(pdm_session *s, size_t pos, size_t limit)
{
    pdm__buf probe;
    size_t head = s->qhead;
    bool fits;
    pdm__buf_init(&probe);
    s->qhead = pos;
    fits = encode(s, 1, false, &probe) == PDM_OK && probe.len <= limit;
    s->qhead = head;
    pdm__buf_free(&probe);
    return fits;
}

int pdm__out_build(pdm_session *s)
{
    size_t left = s->nqueue - s->qhead, n = left;
    size_t limit = s->server_max_msg ? s->server_max_msg : (size_t)-1;
    int rc;

    s->msg_id++;
    rc = encode(s, n, !s->want_next_msg, &s->msg);
    if (rc != PDM_OK)
        return rc;
    if (s->msg.len > limit) {
        /* Too big for the server: the largest prefix of the queue that
         * fits (binary search on whole commands; rare, so a few encodes
         * are fine).  Without Final: the server asks for more (1222). */
        size_t lo = 1, hi = left - 1, best = 0;
        while (lo <= hi && hi > 0) {
            size_t mid = lo + (hi - lo) / 2;
            if ((rc = encode(s, mid, false, &s->msg)) != PDM_OK)
                return rc;
            if (s->msg.len <= limit) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (s->queue[s->qhead + best]->tag == PDM_TAG_RESULTS &&
            carries_commands(s, best) &&
            s->deferred_el != s->queue[s->qhead + best] &&
            results_fit_alone(s, s->qhead + best, limit)) {
            /* Objects that fit within one message MUST NOT be chunked (DM
             * Protocol 2.2): it goes whole into the next message, which
             * starts with Statuses only.  Once only, so that those
             * Statuses cannot hold it back for ever. */
            s->deferred_el = s->queue[s->qhead + best];
        } else if (s->queue[s->qhead + best]->tag == PDM_TAG_RESULTS) {
            /* The first command that does not fit is a Results: send what
             * fits of it now as a large-object chunk (MoreData). */
            rc = split_results(s, s->qhead + best, limit);
            if (rc == PDM_OK) {
                left = s->nqueue - s->qhead;
                best++;
            } else if (rc != PDM_ENOTFOUND) {
                return rc;
            }
        }
        if (!best)
            return pdm__session_fail(s, PDM_ETOOBIG,
                                     "a response command does not fit the "
                                     "server's MaxMsgSize of %zu bytes",
                                     limit);
        n = best;
        if ((rc = encode(s, n, false, &s->msg)) != PDM_OK)
            return rc;
    }
    /* A message that leaves commands queued yet carries none of them, and
     * leaves no fewer unsent than the last one (only the Statuses for the
     * server's latest message fitted), makes no progress; twice in a row
     * means the server's MaxMsgSize cannot carry what is left: fail rather
     * than loop for ever.  A long tail of Statuses (thousands of refused
     * commands) drains message by message: that is progress. */
    if (n < left && !carries_commands(s, n) && left - n >= s->last_unsent) {
        if (++s->stalls > 2)
            return pdm__session_fail(s, PDM_ETOOBIG,
                                     "the server's MaxMsgSize of %zu bytes "
                                     "leaves no room for the rest of our "
                                     "package",
                                     limit);
    } else {
        s->stalls = 0;
    }
    s->last_unsent = n < left ? left - n : SIZE_MAX;
    s->sent_final = n == left && !s->want_next_msg;
    s->sent_cmds = (unsigned)n;
    s->qhead += n;
    s->hmac[0] = '\0';
    if (s->cl_type == PDM_AUTH_HMAC) {
        char mac[PDM__B64_MD5_SIZE];
        pdm__buf h;
        rc = pdm__auth_hmac_mac(s->acc.cl.name ? s->acc.cl.name : "",
                                s->acc.cl.secret ? s->acc.cl.secret : "",
                                s->cl_nonce, s->cl_nonce_len, s->msg.data,
                                s->msg.len, mac);
        pdm__buf_init(&h);
        if (rc == PDM_OK)
            rc = pdm__auth_hmac_header_build(s->acc.cl.name ? s->acc.cl.name
                                                            : "",
                                             mac, &h);
        if (rc == PDM_OK)
            pdm__strlcpy(s->hmac, (char *)h.data, sizeof s->hmac);
        pdm__buf_free(&h);
        if (rc != PDM_OK)
            return pdm__session_fail(s, rc, "cannot compute the HMAC header");
    }
    return PDM_OK;
}
