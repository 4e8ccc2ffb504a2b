/*
 * ABI layout test: the binary layout of every public SDK struct, and every
 * enum value and flag macro that crosses the plugin ABI, compared with the
 * pinned table sdk/abi/layout.txt (x86_64, LP64).
 *
 * Three checks, each failing with a message that names the item, both
 * values and what to do (see sdk/abi/README.md):
 *
 *  1. The compiled values (sizeof/_Alignof of each struct, offsetof/sizeof of
 *     each field, each enumerator and ABI macro) equal the pinned table, and
 *     the table holds nothing the headers no longer have.
 *  2. Completeness: the SDK headers are scanned (a small declaration
 *     scanner, not a C parser) for structs with a body, their members,
 *     enumerators and object-like PDM_* macros; each one must be checked by
 *     the table below, so a field added to a header without a look at the
 *     ABI fails here instead of slipping through in a struct's padding.
 *  3. Rules that need no table: a growable struct starts with
 *     `uint32_t struct_size` or the `pdm_ops_head head`.
 *
 * Usage:
 *   layout_test [LAYOUT]        check (default: the source tree's table)
 *   layout_test --print [FILE]  write the current table to FILE or stdout;
 *                               this is the only way the table is
 *                               regenerated, and it is never run by a build
 *
 * Exit: 0 pass, 1 mismatch, 2 usage or I/O error, 77 skipped (not x86_64).
 */
#define _POSIX_C_SOURCE 200809L

#include <polydm/authority.h>
#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/plugin.h>
#include <polydm/policy.h>
#include <polydm/types.h>

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PDM_ABI_LAYOUT_FILE
#error "PDM_ABI_LAYOUT_FILE (path of sdk/abi/layout.txt) must be defined"
#endif
#ifndef PDM_ABI_HEADER_DIR
#error "PDM_ABI_HEADER_DIR (path of sdk/include/polydm) must be defined"
#endif

#if defined(__x86_64__) && defined(__LP64__)
#define ON_PINNED_TARGET 1
#else
#define ON_PINNED_TARGET 0
#endif

/* One compiled fact.  struct: a = sizeof, b = alignment; field: a = offset,
 * b = sizeof; value: a = the value; string: s = the text. */
typedef struct row {
    const char *kind;
    const char *name;
    long long a, b;
    const char *s;
} row;

#define STRUCT(T) {"struct", #T, (long long)sizeof(T), (long long)_Alignof(T), NULL}
#define FIELD(T, f)                                                        \
    {"field", #T "." #f, (long long)offsetof(T, f),                        \
     (long long)sizeof(((T *)0)->f), NULL}
#define VALUE(N) {"value", #N, (long long)(N), 0, NULL}
#define STRING(N) {"string", #N, 0, 0, N}

/*
 * The table.  Order is the order of sdk/abi/layout.txt: structs in header
 * order with their fields in declaration order, then values.  To add an
 * item after an ABI change, add a line here and regenerate the table with
 * --print (sdk/abi/README.md).
 */
static const row rows[] = {
    /* types.h */
    STRUCT(pdm_blob),
    FIELD(pdm_blob, data),
    FIELD(pdm_blob, len),
    STRUCT(pdm_verdict),
    FIELD(pdm_verdict, decision),
    FIELD(pdm_verdict, reserved),
    FIELD(pdm_verdict, reason),

    /* plugin.h */
    STRUCT(pdm_ops_head),
    FIELD(pdm_ops_head, struct_size),
    FIELD(pdm_ops_head, kind),
    FIELD(pdm_ops_head, create),
    FIELD(pdm_ops_head, destroy),
    STRUCT(pdm_component),
    FIELD(pdm_component, kind),
    FIELD(pdm_component, flags),
    FIELD(pdm_component, name),
    FIELD(pdm_component, ops),
    FIELD(pdm_component, reserved),
    STRUCT(pdm_option_desc),
    FIELD(pdm_option_desc, key),
    FIELD(pdm_option_desc, help),
    FIELD(pdm_option_desc, def),
    FIELD(pdm_option_desc, flags),
    FIELD(pdm_option_desc, reserved0),
    FIELD(pdm_option_desc, reserved),
    STRUCT(pdm_plugin_desc),
    FIELD(pdm_plugin_desc, struct_size),
    FIELD(pdm_plugin_desc, abi_major),
    FIELD(pdm_plugin_desc, abi_minor),
    FIELD(pdm_plugin_desc, name),
    FIELD(pdm_plugin_desc, version),
    FIELD(pdm_plugin_desc, summary),
    FIELD(pdm_plugin_desc, components),
    FIELD(pdm_plugin_desc, options),
    FIELD(pdm_plugin_desc, init),
    FIELD(pdm_plugin_desc, fini),
    STRUCT(pdm_generic_alert),
    FIELD(pdm_generic_alert, struct_size),
    FIELD(pdm_generic_alert, reserved0),
    FIELD(pdm_generic_alert, source_uri),
    FIELD(pdm_generic_alert, type),
    FIELD(pdm_generic_alert, format),
    FIELD(pdm_generic_alert, mark),
    FIELD(pdm_generic_alert, correlator),
    FIELD(pdm_generic_alert, data),
    FIELD(pdm_generic_alert, server_id),
    FIELD(pdm_generic_alert, once_key),
    STRUCT(pdm_host_api),
    FIELD(pdm_host_api, struct_size),
    FIELD(pdm_host_api, abi_major),
    FIELD(pdm_host_api, abi_minor),
    FIELD(pdm_host_api, alloc),
    FIELD(pdm_host_api, free),
    FIELD(pdm_host_api, strdup),
    FIELD(pdm_host_api, log),
    FIELD(pdm_host_api, set_error),
    FIELD(pdm_host_api, status),
    FIELD(pdm_host_api, get_option),
    FIELD(pdm_host_api, tree_read),
    FIELD(pdm_host_api, now_ms),
    FIELD(pdm_host_api, random),
    FIELD(pdm_host_api, strerror),
    FIELD(pdm_host_api, kv_get),
    FIELD(pdm_host_api, kv_put),
    FIELD(pdm_host_api, kv_del),
    FIELD(pdm_host_api, generic_alert),
    FIELD(pdm_host_api, ask_pin),
    FIELD(pdm_host_api, root_owner),
    FIELD(pdm_host_api, set_lock),
    FIELD(pdm_host_api, get_lock),
    FIELD(pdm_host_api, device_action),
    FIELD(pdm_host_api, wipe_classes),
    FIELD(pdm_host_api, factory_reset),

    /* bootstrap.h */
    STRUCT(pdm_bootstrap_doc),
    FIELD(pdm_bootstrap_doc, struct_size),
    FIELD(pdm_bootstrap_doc, origin),
    FIELD(pdm_bootstrap_doc, body),
    FIELD(pdm_bootstrap_doc, content_type),
    FIELD(pdm_bootstrap_doc, sec),
    FIELD(pdm_bootstrap_doc, reserved0),
    FIELD(pdm_bootstrap_doc, mac_hex),
    FIELD(pdm_bootstrap_doc, source_id),
    STRUCT(pdm_bootstrap_ops),
    FIELD(pdm_bootstrap_ops, head),
    FIELD(pdm_bootstrap_ops, probe),
    FIELD(pdm_bootstrap_ops, read),
    FIELD(pdm_bootstrap_ops, consumed),
    FIELD(pdm_bootstrap_ops, present_ids),
    FIELD(pdm_bootstrap_ops, accepts),
    FIELD(pdm_bootstrap_ops, origin),
    FIELD(pdm_bootstrap_ops, watch_fd),

    /* policy.h */
    STRUCT(pdm_policy_req),
    FIELD(pdm_policy_req, struct_size),
    FIELD(pdm_policy_req, op),
    FIELD(pdm_policy_req, principal),
    FIELD(pdm_policy_req, flags),
    FIELD(pdm_policy_req, server_id),
    FIELD(pdm_policy_req, uri),
    FIELD(pdm_policy_req, node_owner),
    FIELD(pdm_policy_req, root_owner),
    FIELD(pdm_policy_req, source),
    FIELD(pdm_policy_req, sec),
    FIELD(pdm_policy_req, origin),
    FIELD(pdm_policy_req, address),
    FIELD(pdm_policy_req, detail),
    FIELD(pdm_policy_req, key_pin),
    FIELD(pdm_policy_req, account_origins),
    FIELD(pdm_policy_req, account_exists),
    FIELD(pdm_policy_req, content_type),
    FIELD(pdm_policy_req, lock_server),
    STRUCT(pdm_policy_ops),
    FIELD(pdm_policy_ops, head),
    FIELD(pdm_policy_ops, check),

    /* authority.h */
    STRUCT(pdm_authority_info),
    FIELD(pdm_authority_info, struct_size),
    FIELD(pdm_authority_info, origin),
    FIELD(pdm_authority_info, sec),
    FIELD(pdm_authority_info, flags),
    FIELD(pdm_authority_info, server_id),
    FIELD(pdm_authority_info, account_uri),
    FIELD(pdm_authority_info, address),
    FIELD(pdm_authority_info, root_owner),
    FIELD(pdm_authority_info, source),
    FIELD(pdm_authority_info, home_plmn),
    STRUCT(pdm_authority_grant),
    FIELD(pdm_authority_grant, struct_size),
    FIELD(pdm_authority_grant, flags),
    FIELD(pdm_authority_grant, account_acl),
    FIELD(pdm_authority_grant, root_acl),
    FIELD(pdm_authority_grant, root_owner),
    STRUCT(pdm_authority_ops),
    FIELD(pdm_authority_ops, head),
    FIELD(pdm_authority_ops, on_bootstrap),
    FIELD(pdm_authority_ops, takeover),
    FIELD(pdm_authority_ops, override),
    FIELD(pdm_authority_ops, defaults),
    STRUCT(pdm_authority_defaults),
    FIELD(pdm_authority_defaults, struct_size),
    FIELD(pdm_authority_defaults, flags),
    FIELD(pdm_authority_defaults, root_acl),
    FIELD(pdm_authority_defaults, dmacc_acl),

    /* mo.h */
    STRUCT(pdm_mo_node),
    FIELD(pdm_mo_node, path),
    FIELD(pdm_mo_node, format),
    FIELD(pdm_mo_node, flags),
    FIELD(pdm_mo_node, type),
    FIELD(pdm_mo_node, acl),
    FIELD(pdm_mo_node, value),
    FIELD(pdm_mo_node, reserved),
    STRUCT(pdm_mo_ops),
    FIELD(pdm_mo_ops, head),
    FIELD(pdm_mo_ops, base_uri),
    FIELD(pdm_mo_ops, mo_id),
    FIELD(pdm_mo_ops, nodes),
    FIELD(pdm_mo_ops, get),
    FIELD(pdm_mo_ops, replace),
    FIELD(pdm_mo_ops, exec),
    FIELD(pdm_mo_ops, notify),
    FIELD(pdm_mo_ops, begin),
    FIELD(pdm_mo_ops, commit),
    FIELD(pdm_mo_ops, rollback),

    /* ABI version and the entry symbol. */
    VALUE(PDM_ABI_MAJOR),
    VALUE(PDM_ABI_MINOR),
    STRING(PDM_PLUGIN_ENTRY_SYMBOL),
    /* The 1.0 minimum sizes the core accepts: fixed for all of major 1. */
    VALUE(PDM_PLUGIN_DESC_SIZE_1_0),
    VALUE(PDM_BOOTSTRAP_OPS_SIZE_1_0),
    VALUE(PDM_POLICY_OPS_SIZE_1_0),
    VALUE(PDM_AUTHORITY_OPS_SIZE_1_0),
    VALUE(PDM_MO_OPS_SIZE_1_0),

    /* pdm_rc */
    VALUE(PDM_OK),
    VALUE(PDM_PENDING),
    VALUE(PDM_ERROR),
    VALUE(PDM_ENOMEM),
    VALUE(PDM_EINVAL),
    VALUE(PDM_ENOTFOUND),
    VALUE(PDM_EEXISTS),
    VALUE(PDM_EDENIED),
    VALUE(PDM_ENOTSUP),
    VALUE(PDM_ENOTALLOWED),
    VALUE(PDM_ENOSPC),
    VALUE(PDM_EABI),
    VALUE(PDM_EIO),
    VALUE(PDM_EPASSTHROUGH),
    VALUE(PDM_EFORBIDDEN),
    VALUE(PDM_ETOOLONG),
    VALUE(PDM_ETOOBIG),
    VALUE(PDM_EAUTH),
    VALUE(PDM_EFORMAT),
    VALUE(PDM_ECANCELLED),
    VALUE(PDM_ETIMEOUT),
    VALUE(PDM_ECORRUPT),
    VALUE(PDM_EBUSY),
    VALUE(PDM_EPARSE),
    VALUE(PDM_ESIZE),
    VALUE(PDM_ELOCKED),
    VALUE(PDM_ENOTEMPTY),
    VALUE(PDM_ECOMMAND),
    /* pdm_decision */
    VALUE(PDM_ABSTAIN),
    VALUE(PDM_ALLOW),
    VALUE(PDM_DENY),
    /* pdm_principal */
    VALUE(PDM_PRINCIPAL_NONE),
    VALUE(PDM_PRINCIPAL_SERVER),
    VALUE(PDM_PRINCIPAL_LOCAL),
    VALUE(PDM_PRINCIPAL_BOOTSTRAP),
    VALUE(PDM_PRINCIPAL_FACTORY),
    /* pdm_op */
    VALUE(PDM_OP_NONE),
    VALUE(PDM_OP_GET),
    VALUE(PDM_OP_ADD),
    VALUE(PDM_OP_REPLACE),
    VALUE(PDM_OP_DELETE),
    VALUE(PDM_OP_EXEC),
    VALUE(PDM_OP_COPY),
    VALUE(PDM_OP_BOOTSTRAP),
    VALUE(PDM_OP_SESSION),
    VALUE(PDM_OP_ACL_EDIT),
    VALUE(PDM_OP_TAKEOVER),
    VALUE(PDM_OP_SEND_SECRET),
    VALUE(PDM_OP_ACCOUNT_DELETE),
    VALUE(PDM_OP_TRANSFER),
    VALUE(PDM_LOCK_NONE),
    VALUE(PDM_LOCK_PARTIAL),
    VALUE(PDM_LOCK_FULL),
    VALUE(PDM_DEVACT_LOCK_FULL),
    VALUE(PDM_DEVACT_LOCK_PARTIAL),
    VALUE(PDM_DEVACT_UNLOCK),
    VALUE(PDM_DEVACT_WIPE),
    VALUE(PDM_DEVACT_FACTORY_RESET),
    VALUE(PDM_DEVACT_CAPABILITY),
    STRUCT(pdm_device_action),
    FIELD(pdm_device_action, struct_size),
    FIELD(pdm_device_action, kind),
    FIELD(pdm_device_action, server_id),
    FIELD(pdm_device_action, classes),
    FIELD(pdm_device_action, nclasses),
    FIELD(pdm_device_action, capability),
    FIELD(pdm_device_action, enable),
    FIELD(pdm_device_action, notify_user),
    /* pdm_log_level */
    VALUE(PDM_LOG_ERROR),
    VALUE(PDM_LOG_WARN),
    VALUE(PDM_LOG_INFO),
    VALUE(PDM_LOG_DEBUG),
    /* pdm_kind */
    VALUE(PDM_KIND_END),
    VALUE(PDM_KIND_BOOTSTRAP),
    VALUE(PDM_KIND_AUTHORITY),
    VALUE(PDM_KIND_POLICY),
    VALUE(PDM_KIND_MO),
    /* pdm_sec */
    VALUE(PDM_SEC_NONE),
    VALUE(PDM_SEC_NETWPIN),
    VALUE(PDM_SEC_USERPIN),
    VALUE(PDM_SEC_USERNETWPIN),
    VALUE(PDM_SEC_USERPINMAC),
    /* pdm_bootstrap_origin */
    VALUE(PDM_ORIGIN_UNKNOWN),
    VALUE(PDM_ORIGIN_FACTORY),
    VALUE(PDM_ORIGIN_SMARTCARD),
    VALUE(PDM_ORIGIN_PUSH),
    VALUE(PDM_ORIGIN_FILE),
    VALUE(PDM_ORIGIN_USER),
    /* pdm_format */
    VALUE(PDM_FORMAT_NODE),
    VALUE(PDM_FORMAT_CHR),
    VALUE(PDM_FORMAT_INT),
    VALUE(PDM_FORMAT_BOOL),
    VALUE(PDM_FORMAT_BIN),
    VALUE(PDM_FORMAT_B64),
    VALUE(PDM_FORMAT_NULL),
    VALUE(PDM_FORMAT_XML),
    VALUE(PDM_FORMAT_DATE),
    VALUE(PDM_FORMAT_TIME),
    VALUE(PDM_FORMAT_FLOAT),
    /* flag macros */
    VALUE(PDM_OPTION_REQUIRED),
    VALUE(PDM_OPTION_SECRET),
    VALUE(PDM_REQ_TLS),
    VALUE(PDM_REQ_AUTHENTICATED),
    VALUE(PDM_REQ_IN_ATOMIC),
    VALUE(PDM_REQ_DEVICE_LOCKED),
    VALUE(PDM_REQ_NOTIFICATION),
    VALUE(PDM_GRANT_REFUSE),
    VALUE(PDM_AUTH_INFO_DEVICE_LOCKED),
    VALUE(PDM_DEFAULTS_ROOT_ADD_OPEN),
    VALUE(PDM_MO_PERMANENT),
    VALUE(PDM_MO_HANDLER_VALUE),
    VALUE(PDM_MO_EXEC),
    VALUE(PDM_MO_NO_GET),
    VALUE(PDM_MO_NO_REPLACE),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* Structs that are array elements or embedded by value: their size never
 * changes within a major (plugin.h, "Versioning"). */
static const char *const fixed_structs[] = {
    "pdm_blob",      "pdm_verdict",     "pdm_ops_head",
    "pdm_component", "pdm_option_desc", "pdm_mo_node",
};

/* Object-like PDM_* macros in the headers that are not ABI facts: helpers,
 * attributes, and PDM_RC_MIN, which moves whenever an rc is appended. */
static const char *const not_abi_macros[] = {
    "PDM_API",           "PDM_PLUGIN_HIDDEN",    "PDM_PLUGIN_EXPORT",
    "PDM_PLUGIN_DESC_HEAD", "PDM_RC_MIN",
};

static int failures;

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}
#define IN_LIST(list, s) in_list(list, sizeof(list) / sizeof(list[0]), s)

/* Distinct hints of the failures so far, printed once at the end. */
static const char *hints[16];
static size_t nhints;

/* Reports one problem (printf-style) and remembers what to do about it. */
static void failf(const char *hint, const char *fmt, ...) PDM_PRINTF(2, 3);
static void failf(const char *hint, const char *fmt, ...)
{
    va_list ap;
    size_t i;
    fputs("FAIL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    for (i = 0; i < nhints && hints[i] != hint; i++)
        ;
    if (i == nhints && nhints < sizeof hints / sizeof hints[0])
        hints[nhints++] = hint;
    fprintf(stderr, "  [%zu]\n", i + 1);
    failures++;
}

/* ---- printing the table ---------------------------------------------- */

static void print_row(FILE *f, const row *r)
{
    if (strcmp(r->kind, "struct") == 0)
        fprintf(f, "struct  %-34s size %lld align %lld\n", r->name, r->a,
                r->b);
    else if (strcmp(r->kind, "field") == 0)
        fprintf(f, "field   %-34s offset %lld size %lld\n", r->name, r->a,
                r->b);
    else if (strcmp(r->kind, "value") == 0)
        fprintf(f, "value   %-34s %lld\n", r->name, r->a);
    else
        fprintf(f, "string  %-34s %s\n", r->name, r->s);
}

static int print_table(const char *path)
{
    FILE *f = stdout;
    if (path && !(f = fopen(path, "w"))) {
        perror(path);
        return 2;
    }
    fprintf(f,
            "# polydm SDK ABI %d.%d: pinned binary layout for x86_64 (LP64).\n"
            "#\n"
            "# Checked by tests/abi/layout_test.c (ctest -L abi).  Never edit\n"
            "# by hand and never regenerate to silence a failure: read\n"
            "# sdk/abi/README.md first.  Regenerate deliberately with\n"
            "#   <build>/tests/abi/layout_test --print sdk/abi/layout.txt\n"
            "#\n"
            "# struct <name> size <sizeof> align <_Alignof>\n"
            "# field  <struct>.<member> offset <offsetof> size <sizeof>\n"
            "# value  <enumerator or macro> <value>\n"
            "# string <macro> <text>\n",
            PDM_ABI_MAJOR, PDM_ABI_MINOR);
    for (size_t i = 0; i < NROWS; i++) {
        if (i > 0 && strcmp(rows[i].kind, "struct") == 0)
            fputc('\n', f);
        if (i > 0 && strcmp(rows[i].kind, "value") == 0 &&
            strcmp(rows[i - 1].kind, "field") == 0)
            fputc('\n', f);
        print_row(f, &rows[i]);
    }
    if (path && fclose(f) != 0) {
        perror(path);
        return 2;
    }
    return 0;
}

/* ---- reading the pinned table ---------------------------------------- */

typedef struct pinned {
    char kind[16];
    char name[128];
    long long a, b;
    char s[128];
    int line;
    int seen; /* matched by a compiled row */
} pinned;

static pinned *table;
static size_t ntable;

static int parse_ll(const char *t, long long *out)
{
    char *end;
    if (!t)
        return -1;
    *out = strtoll(t, &end, 10);
    return (*end || end == t) ? -1 : 0;
}

static int load_table(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int lineno = 0;
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *tok[8];
        int n = 0;
        char *save = NULL;
        pinned *p;
        lineno++;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 8;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[n++] = t;
        if (n == 0 || tok[0][0] == '#')
            continue;
        p = realloc(table, (ntable + 1) * sizeof(*table));
        if (!p) {
            fclose(f);
            return -1;
        }
        table = p;
        p = &table[ntable];
        memset(p, 0, sizeof(*p));
        p->line = lineno;
        if (n < 3 || strlen(tok[0]) >= sizeof p->kind ||
            strlen(tok[1]) >= sizeof p->name)
            goto bad;
        snprintf(p->kind, sizeof p->kind, "%s", tok[0]);
        snprintf(p->name, sizeof p->name, "%s", tok[1]);
        if (strcmp(p->kind, "struct") == 0) {
            if (n != 6 || strcmp(tok[2], "size") || strcmp(tok[4], "align") ||
                parse_ll(tok[3], &p->a) || parse_ll(tok[5], &p->b))
                goto bad;
        } else if (strcmp(p->kind, "field") == 0) {
            if (n != 6 || strcmp(tok[2], "offset") || strcmp(tok[4], "size") ||
                parse_ll(tok[3], &p->a) || parse_ll(tok[5], &p->b))
                goto bad;
        } else if (strcmp(p->kind, "value") == 0) {
            if (n != 3 || parse_ll(tok[2], &p->a))
                goto bad;
        } else if (strcmp(p->kind, "string") == 0) {
            if (n != 3 || strlen(tok[2]) >= sizeof p->s)
                goto bad;
            snprintf(p->s, sizeof p->s, "%s", tok[2]);
        } else {
            goto bad;
        }
        ntable++;
        continue;
    bad:
        fprintf(stderr, "%s:%d: malformed line\n", path, lineno);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static pinned *find_pinned(const char *kind, const char *name)
{
    for (size_t i = 0; i < ntable; i++)
        if (strcmp(table[i].kind, kind) == 0 &&
            strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static const row *find_row(const char *kind, const char *name)
{
    for (size_t i = 0; i < NROWS; i++)
        if (strcmp(rows[i].kind, kind) == 0 && strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

/* The struct part of "pdm_x.field" (static buffer). */
static const char *struct_of(const char *field)
{
    static char buf[128];
    size_t n = strcspn(field, ".");
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, field, n);
    buf[n] = '\0';
    return buf;
}

/* ---- check 1: compiled values against the pinned table ---------------- */

static const char *const HINT_BREAK =
    "an existing ABI item changed: that is an ABI break. Revert it, or bump "
    "PDM_ABI_MAJOR and the SONAME (sdk/abi/README.md, checklist item 3)";
static const char *const HINT_APPEND =
    "new item: if it was appended at the end of a growable struct (or is a "
    "new enumerator/flag), bump PDM_ABI_MINOR, tag it \"since 1.N\" and "
    "regenerate the table (sdk/abi/README.md, items 1-2)";

static const char *key_a(const char *kind)
{
    return strcmp(kind, "struct") == 0  ? "sizeof"
           : strcmp(kind, "field") == 0 ? "offsetof"
                                        : "value";
}

static void compare(const char *layout_path)
{
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        pinned *p = find_pinned(r->kind, r->name);
        int is_struct = strcmp(r->kind, "struct") == 0;
        if (!p) {
            failf(HINT_APPEND, "%s %s is in the headers but not in %s",
                  r->kind, r->name, layout_path);
            continue;
        }
        p->seen = 1;
        if (strcmp(r->kind, "string") == 0) {
            if (strcmp(r->s, p->s) != 0)
                failf(HINT_BREAK,
                      "%s is \"%s\" in this build but \"%s\" in the "
                      "pinned table", r->name, r->s, p->s);
            continue;
        }
        if (r->a != p->a) {
            const char *hint = HINT_BREAK;
            if (is_struct && IN_LIST(fixed_structs, r->name))
                hint = "this struct is an array element or embedded by "
                       "value and must never change size within a major: "
                       "use its reserved slots, or bump PDM_ABI_MAJOR";
            else if (is_struct && r->a > p->a)
                hint = "a growable struct grew: if members were only "
                       "appended at its end, bump PDM_ABI_MINOR, tag them "
                       "\"since 1.N\" and regenerate the table; otherwise "
                       "this is an ABI break (sdk/abi/README.md)";
            else if (strstr(r->name, "_SIZE_1_0") != NULL)
                hint = "a 1.0 minimum size must stay the same for all of "
                       "major 1: define it from the last 1.0 member "
                       "(offsetof + sizeof, like PDM_PLUGIN_DESC_SIZE_1_0), "
                       "not as sizeof() of the grown struct";
            else if (strcmp(r->name, "PDM_ABI_MINOR") == 0 && r->a > p->a)
                hint = "the ABI minor was bumped: regenerate the table "
                       "after checking that only appended items changed";
            failf(hint, "%s %s: %s is %lld in this build but %lld in the "
                  "pinned table", r->kind, r->name, key_a(r->kind), r->a,
                  p->a);
        }
        if (r->b != p->b)
            failf(HINT_BREAK, "%s %s: %s is %lld in this build but %lld in "
                  "the pinned table", r->kind, r->name,
                  is_struct ? "alignment" : "sizeof", r->b, p->b);
    }
    for (size_t i = 0; i < ntable; i++) {
        if (table[i].seen)
            continue;
        failf("removing or renaming an ABI item is an ABI break (bump "
              "PDM_ABI_MAJOR); if only the test lost the line, restore it "
              "in rows[] of tests/abi/layout_test.c",
              "%s %s is pinned in %s (line %d) but no longer compiled",
              table[i].kind, table[i].name, layout_path, table[i].line);
    }
}

/* ---- check 2 and 3: scanning the headers ------------------------------ */

/* Replaces comments and string/char literals' contents with spaces,
 * keeping newlines, so that line-based and token-based scans are simple. */
static void strip_comments(char *s)
{
    for (char *p = s; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            char *end = e ? e + 2 : p + strlen(p);
            for (; p < end; p++)
                if (*p != '\n')
                    *p = ' ';
            p--;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                *p++ = ' ';
            p--;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n') {
                if (*p == '\\' && p[1])
                    *p++ = ' ';
                *p++ = ' ';
            }
            if (!*p)
                break;
        }
    }
}

typedef struct found {
    char kind[8];    /* "struct", "field", "value" */
    char name[128];
    char file[64];
    int first;       /* field: first member of its struct */
} found;

static found *decls;
static size_t ndecls;

static void add_decl(const char *kind, const char *name, const char *file,
                     int first)
{
    found *d = realloc(decls, (ndecls + 1) * sizeof(*decls));
    if (!d) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    decls = d;
    d = &decls[ndecls++];
    memset(d, 0, sizeof(*d));
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->file, sizeof d->file, "%s", file);
    d->first = first;
}

/* Object-like `#define PDM_X value` lines: record PDM_X as a value; then
 * blank every preprocessor line (with continuations) for the token scan. */
static void scan_macros(char *text, const char *file)
{
    char *line = text;
    while (*line) {
        char *p = line, *eol;
        while (*p == ' ' || *p == '\t')
            p++;
        eol = p;
        /* the logical line, including backslash continuations */
        for (;;) {
            char *nl = strchr(eol, '\n');
            if (!nl) {
                eol = eol + strlen(eol);
                break;
            }
            if (*p == '#' && nl > eol && nl[-1] == '\\') {
                eol = nl + 1;
                continue;
            }
            eol = nl;
            break;
        }
        if (*p == '#') {
            char name[128];
            int n = 0;
            const char *q = p + 1;
            while (*q == ' ' || *q == '\t')
                q++;
            if (strncmp(q, "define", 6) == 0 && (q[6] == ' ' || q[6] == '\t')) {
                q += 6;
                while (*q == ' ' || *q == '\t')
                    q++;
                while ((isalnum((unsigned char)*q) || *q == '_') &&
                       n < (int)sizeof name - 1)
                    name[n++] = *q++;
                name[n] = '\0';
                /* object-like (no '(' right after the name) with a value */
                if (strncmp(name, "PDM_", 4) == 0 && *q != '(') {
                    while (*q == ' ' || *q == '\t')
                        q++;
                    if (q < eol && *q != '\n')
                        add_decl("value", name, file, 0);
                }
            }
            for (char *b = p; b < eol; b++)
                if (*b != '\n')
                    *b = ' ';
        }
        line = *eol ? eol + 1 : eol;
    }
}

typedef struct tok {
    char text[64];
} tok;

static tok *toks;
static size_t ntoks;

static void tokenize(const char *s)
{
    ntoks = 0;
    while (*s) {
        tok t;
        size_t n = 0;
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (isalpha((unsigned char)*s) || *s == '_') {
            while ((isalnum((unsigned char)*s) || *s == '_') &&
                   n < sizeof t.text - 1)
                t.text[n++] = *s++;
        } else if (isdigit((unsigned char)*s)) {
            while (isalnum((unsigned char)*s) && n < sizeof t.text - 1)
                t.text[n++] = *s++;
        } else {
            t.text[n++] = *s++;
        }
        t.text[n] = '\0';
        tok *nt = realloc(toks, (ntoks + 1) * sizeof(*toks));
        if (!nt) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        toks = nt;
        toks[ntoks++] = t;
    }
}

static int is_ident(const char *t)
{
    return isalpha((unsigned char)t[0]) || t[0] == '_';
}

/* One member declaration toks[b, e): record its declarator names. */
static void member_names(size_t b, size_t e, const char *sname,
                         const char *file, int *first)
{
    char full[128];
    /* function pointer: ... ( * name ) ( ... ) */
    for (size_t i = b; i + 2 < e; i++) {
        if (strcmp(toks[i].text, "(") == 0 && strcmp(toks[i + 1].text, "*") == 0 &&
            is_ident(toks[i + 2].text)) {
            snprintf(full, sizeof full, "%s.%s", sname, toks[i + 2].text);
            add_decl("field", full, file, *first);
            *first = 0;
            return;
        }
    }
    /* plain declarators separated by ',' at depth 0; name = last identifier
     * before any '[' */
    {
        int depth = 0;
        const char *last = NULL;
        for (size_t i = b; i <= e; i++) {
            const char *t = i < e ? toks[i].text : ",";
            if (strcmp(t, "[") == 0 || strcmp(t, "(") == 0)
                depth++;
            else if (strcmp(t, "]") == 0 || strcmp(t, ")") == 0)
                depth--;
            else if (depth == 0 && strcmp(t, ",") == 0) {
                if (last) {
                    snprintf(full, sizeof full, "%s.%s", sname, last);
                    add_decl("field", full, file, *first);
                    *first = 0;
                }
                last = NULL;
            } else if (depth == 0 && is_ident(t)) {
                last = t;
            }
        }
    }
}

static void scan_decls(const char *file)
{
    for (size_t i = 0; i + 2 < ntoks; i++) {
        int is_struct = strcmp(toks[i].text, "struct") == 0;
        int is_enum = strcmp(toks[i].text, "enum") == 0;
        size_t j, end;
        int depth;
        if ((!is_struct && !is_enum) || !is_ident(toks[i + 1].text) ||
            strcmp(toks[i + 2].text, "{") != 0)
            continue;
        /* find the matching '}' */
        depth = 0;
        for (end = i + 2; end < ntoks; end++) {
            if (strcmp(toks[end].text, "{") == 0)
                depth++;
            else if (strcmp(toks[end].text, "}") == 0 && --depth == 0)
                break;
        }
        if (is_struct) {
            const char *sname = toks[i + 1].text;
            int first = 1, pdepth = 0;
            size_t start = i + 3;
            add_decl("struct", sname, file, 0);
            for (j = i + 3; j < end; j++) {
                const char *t = toks[j].text;
                if (strcmp(t, "(") == 0)
                    pdepth++;
                else if (strcmp(t, ")") == 0)
                    pdepth--;
                else if (pdepth == 0 && strcmp(t, ";") == 0) {
                    member_names(start, j, sname, file, &first);
                    start = j + 1;
                }
            }
        } else {
            int expect = 1; /* next identifier starts an enumerator */
            int pdepth = 0;
            for (j = i + 3; j < end; j++) {
                const char *t = toks[j].text;
                if (strcmp(t, "(") == 0)
                    pdepth++;
                else if (strcmp(t, ")") == 0)
                    pdepth--;
                else if (pdepth == 0 && strcmp(t, ",") == 0)
                    expect = 1;
                else if (expect && is_ident(t)) {
                    add_decl("value", t, file, 0);
                    expect = 0;
                }
            }
        }
        i = end;
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (!f)
        return NULL;
    do {
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int scan_headers(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[64];
    size_t n = 0;
    if (!d) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 2 && strcmp(e->d_name + l - 2, ".h") == 0 && n < 64)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        char *text;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        text = slurp(path);
        if (!text) {
            perror(path);
            return -1;
        }
        strip_comments(text);
        scan_macros(text, names[i]);
        tokenize(text);
        scan_decls(names[i]);
        free(text);
        free(names[i]);
    }
    return (int)n;
}

static void check_complete(void)
{
    for (size_t i = 0; i < ndecls; i++) {
        const found *d = &decls[i];
        if (strcmp(d->kind, "value") == 0 && IN_LIST(not_abi_macros, d->name))
            continue;
        if (find_row(d->kind, d->name) ||
            (strcmp(d->kind, "value") == 0 && find_row("string", d->name)))
            continue;
        failf("add it to rows[] in tests/abi/layout_test.c (or, for a "
              "macro that is not an ABI fact, to not_abi_macros[]), then "
              "follow sdk/abi/README.md",
              "%s %s (declared in %s) is not covered by the layout test",
              d->kind, d->name, d->file);
    }
    /* Rule: a growable struct starts with struct_size (or the ops head). */
    for (size_t i = 0; i < ndecls; i++) {
        const found *d = &decls[i];
        const char *m;
        if (strcmp(d->kind, "field") != 0 || !d->first)
            continue;
        if (IN_LIST(fixed_structs, struct_of(d->name)))
            continue;
        m = strchr(d->name, '.') + 1;
        if (strcmp(m, "struct_size") != 0 && strcmp(m, "head") != 0)
            failf("a growable ABI struct must start with `uint32_t "
                  "struct_size` (or `pdm_ops_head head`); a fixed-size one "
                  "must be listed in fixed_structs[] and have reserved "
                  "slots (plugin.h, Versioning)",
                  "struct %s starts with '%s'", struct_of(d->name), m);
    }
}

int main(int argc, char **argv)
{
    const char *layout = PDM_ABI_LAYOUT_FILE;
    int nheaders;

    if (argc > 1 && strcmp(argv[1], "--print") == 0) {
        if (!ON_PINNED_TARGET) {
            fprintf(stderr, "layout_test: the table is pinned for x86_64 "
                            "(LP64); refusing to print another target's\n");
            return 2;
        }
        return print_table(argc > 2 ? argv[2] : NULL);
    }
    if (argc > 1 && argv[1][0] == '-') {
        fprintf(stderr, "usage: %s [LAYOUT] | --print [FILE]\n", argv[0]);
        return 2;
    }
    if (argc > 1)
        layout = argv[1];
    if (!ON_PINNED_TARGET) {
        printf("SKIP: sdk/abi/layout.txt is pinned for x86_64 (LP64)\n");
        return 77;
    }
    if (load_table(layout) != 0)
        return 2;
    if (ntable == 0) {
        fprintf(stderr, "FAIL: %s pins nothing; it must be generated once "
                        "with --print (sdk/abi/README.md)\n", layout);
        return 1;
    }
    compare(layout);
    nheaders = scan_headers(PDM_ABI_HEADER_DIR);
    if (nheaders < 0)
        return 2;
    check_complete();
    if (failures) {
        fprintf(stderr, "\n%d ABI layout problem(s).  What to do:\n",
                failures);
        for (size_t i = 0; i < nhints; i++)
            fprintf(stderr, "  [%zu] %s\n", i + 1, hints[i]);
        fprintf(stderr,
                "See sdk/abi/README.md.\n"
                "Only after a deliberate, reviewed ABI change: regenerate with\n"
                "  %s --print %s\n",
                argv[0], PDM_ABI_LAYOUT_FILE);
        return 1;
    }
    printf("ABI %d.%d layout OK: %zu items of %d headers match %s\n",
           PDM_ABI_MAJOR, PDM_ABI_MINOR, NROWS, nheaders, layout);
    free(table);
    free(decls);
    free(toks);
    return 0;
}
