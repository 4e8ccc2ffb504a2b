/*
 * Profile parser: syntax, core keys and values, plugin sections, and that
 * every malformed line is reported with its own line number.
 */
#include <stdio.h>
#include <string.h>

#include "cu_main.h"
#include "profile/profile.h"
#include <polydm/bootstrap.h>
#include "util/util.h"

static pdm__profile *parse(const char *text, pdm__diag *d, int *rc)
{
    pdm__profile *p = NULL;
    pdm__diag_init(d);
    *rc = pdm__profile_parse(&p, "t.profile", "/etc/pdm", text, strlen(text), d);
    return p;
}

/* The problem reported for @line, or NULL. */
static const char *at_line(const pdm__diag *d, unsigned line)
{
    for (const pdm__diag_item *it = d->head; it; it = it->next)
        if (it->line == line)
            return it->msg;
    return NULL;
}

/* True if the problem at @line contains @needle. */
static int line_has(const pdm__diag *d, unsigned line, const char *needle)
{
    const char *m = at_line(d, line);
    return m && strstr(m, needle);
}

/* A complete profile: sections, comments, quotes, plugin order, options. */
static void test_profile__valid(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("# comment\n"
                            "; another\n"
                            "[profile]\n"
                            "id = gsm-x\n"
                            "description = \"  spaced  \"\n"
                            "abi = 1\n"
                            "factory_tree = trees/f.xml   # inline comment\n"
                            "\n"
                            "[device]\r\n"
                            "devid = IMEI:1#2\n"
                            "max_depth = 16\n"
                            "[plugin b-first]\n"
                            "option.x = 1\n"
                            "option.url = http://h/p?a=b\n"
                            "mo.lock.base = ./LAWMO\n"
                            "[ plugin   a-second ]\n"
                            "path = /opt/a-second.so\n",
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    PDM_ASSERT_STR(p->id, "gsm-x");
    PDM_ASSERT_STR(p->description, "  spaced  ");
    PDM_ASSERT_STR(p->factory_tree, "/etc/pdm/trees/f.xml");
    PDM_ASSERT_STR(pdm__profile_get(p, "device.devid"), "IMEI:1#2");
    CU_ASSERT_EQUAL(pdm__profile_get_long(p, "device.max_depth", 0), 16);
    CU_ASSERT_EQUAL(p->nplugins, 2);
    PDM_ASSERT_STR(p->plugins->name, "b-first");
    PDM_ASSERT_STR(p->plugins->next->name, "a-second");
    PDM_ASSERT_STR(pdm__profile_plugin_option(p->plugins, "url"), "http://h/p?a=b");
    PDM_ASSERT_STR(p->plugins->mo_base->key, "lock");
    PDM_ASSERT_STR(p->plugins->mo_base->value, "./LAWMO");
    PDM_ASSERT_STR(p->plugins->next->path, "/opt/a-second.so");
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* Every malformed line gets its own error with its line number. */
static void test_profile__errors_have_lines(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("key = outside\n"            /* 1 */
                            "[profile]\n"                /* 2 */
                            "id = Not_Valid\n"           /* 3 */
                            "abi = 7\n"                  /* 4 */
                            "authority =\n"              /* 5 */
                            "nonsense\n"                 /* 6 */
                            "[profile\n"                 /* 7 */
                            "[devices]\n"                /* 8 */
                            "devid = x\n"                /* 9: in bad section */
                            "[device]\n"                 /* 10 */
                            "max_seg_len = 70000\n"      /* 11 */
                            "max_depth = 1\n"            /* 12 */
                            "max_depth = 2\n"            /* 13 */
                            "bogus = 1\n"                /* 14 */
                            "[plugin]\n"                 /* 15 */
                            "[plugin Bad]\n"             /* 16 */
                            "[plugin ok]\n"              /* 17 */
                            "option.a = 1\n"             /* 18 */
                            "option.a = 2\n"             /* 19 */
                            "mo.x = ./X\n"               /* 20 */
                            "mo.x.base = X\n"            /* 21 */
                            "frob = 1\n"                 /* 22 */
                            "[plugin ok]\n"              /* 23 */
                            "= v\n"                      /* 24 */
                            "k!y = v\n",                 /* 25 */
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 1, "outside of any section"));
    CU_ASSERT(line_has(&d, 3, "invalid id 'Not_Valid'"));
    CU_ASSERT(line_has(&d, 4, "plugin ABI 7"));
    CU_ASSERT(line_has(&d, 5, "empty value"));
    CU_ASSERT(line_has(&d, 6, "expected 'key = value'"));
    CU_ASSERT(line_has(&d, 7, "without ']'"));
    CU_ASSERT(line_has(&d, 8, "unknown section [devices]"));
    CU_ASSERT_PTR_NULL(at_line(&d, 9)); /* reported once, at the header */
    CU_ASSERT(line_has(&d, 11, "0..65535"));
    CU_ASSERT_PTR_NULL(at_line(&d, 12));
    CU_ASSERT(line_has(&d, 13, "duplicate key 'max_depth' (first at line 12)"));
    CU_ASSERT(line_has(&d, 14, "unknown key 'bogus' in [device]"));
    CU_ASSERT(line_has(&d, 15, "without a plugin name"));
    CU_ASSERT(line_has(&d, 16, "invalid plugin name 'Bad'"));
    CU_ASSERT(line_has(&d, 19, "duplicate key 'option.a'"));
    CU_ASSERT(line_has(&d, 20, "mo.<component>.base"));
    CU_ASSERT(line_has(&d, 21, "absolute URI"));
    CU_ASSERT(line_has(&d, 22, "unknown key 'frob' in [plugin ok]"));
    CU_ASSERT(line_has(&d, 23, "duplicate section [plugin ok] (first at line 17)"));
    CU_ASSERT(line_has(&d, 24, "missing key"));
    CU_ASSERT(line_has(&d, 25, "invalid key"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* A file without [profile] id is refused; a NUL byte is refused with its
 * line; an empty file too. */
static void test_profile__missing_id_and_binary(void)
{
    pdm__diag d;
    pdm__profile *p = NULL;
    int rc;
    p = parse("[device]\ndevid = x\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.head->msg, "missing required key 'id'"));
    pdm__profile_free(p);
    pdm__diag_free(&d);

    pdm__diag_init(&d);
    rc = pdm__profile_parse(&p, "b.profile", ".", "[profile]\nid = a\n\0x\n",
                            20, &d);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT_EQUAL(d.head->line, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.head->msg, "NUL byte"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* Unreadable file: not found, with the path in the message. */
static void test_profile__unreadable(void)
{
    pdm__diag d;
    pdm__profile *p = NULL;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(pdm__profile_load(&p, "/nonexistent/x.profile", &d),
                    PDM_ENOTFOUND);
    CU_ASSERT_PTR_NULL(p);
    PDM_ASSERT_STR(d.head->file, "/nonexistent/x.profile");
    pdm__diag_free(&d);
}

/* Every shipped profile parses cleanly. */
static void test_profile__shipped(void)
{
    static const char *const names[] = {"gsm-operator", "cdma-3gpp2",
                                        "enterprise", "open-market"};
    for (size_t i = 0; i < 4; i++) {
        char path[1024];
        pdm__diag d;
        pdm__profile *p = NULL;
        pdm__diag_init(&d);
        snprintf(path, sizeof path, "%s/profiles/%s.profile",
                 pdm_test_source_dir(), names[i]);
        CU_ASSERT_EQUAL(pdm__profile_load(&p, path, &d), PDM_OK);
        CU_ASSERT_EQUAL(d.errors, 0);
        if (p)
            PDM_ASSERT_STR(p->id, names[i]);
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
}

/* Allocation failures give PDM_ENOMEM (or a clean success), never a crash
 * or leak. */
static void test_profile__alloc_failures(void)
{
    const char *text = "[profile]\nid = a\n[device]\ndevid = x\n"
                       "[plugin p]\noption.k = v\nmo.c.base = ./C\n";
    for (long n = 0;; n++) {
        pdm__diag d;
        pdm__profile *p = NULL;
        int rc;
        pdm__diag_init(&d);
        pdm__alloc_fail_after(n);
        rc = pdm__profile_parse(&p, "t", ".", text, strlen(text), &d);
        pdm__alloc_fail_after(-1);
        CU_ASSERT(rc == PDM_OK || rc == PDM_ENOMEM || rc == PDM_EPARSE);
        pdm__profile_free(p);
        pdm__diag_free(&d);
        if (rc == PDM_OK)
            break;
        if (n > 10000) {
            CU_FAIL("never succeeded");
            break;
        }
    }
}

/* [device] values go out as DevInfo text in every session: a value that is
 * not one line of UTF-8 text is refused at load, with its line; UTF-8 text
 * is taken as it is. */
static void test_profile__device_values_are_text(void)
{
    static const char *const bad[] = {
        "\xff",             /* not UTF-8 */
        "a\xc3",            /* truncated sequence */
        "\xc0\xaf",         /* overlong '/' */
        "\xed\xa0\x80",     /* surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xef\xbf\xbf",     /* U+FFFF */
        "a\x01b",           /* C0 control */
        "a\tb",             /* TAB inside */
        "a\x7f",            /* DEL */
        "a\xc2\x85",        /* C1 control (NEL) */
        "a\x1b[31m",        /* terminal escape */
    };
    static const char *const keys[] = {"devid", "man", "mod", "dmv", "lang",
                                       "devtyp", "oem", "fwv", "swv", "hwv"};
    char text[256];
    pdm__diag d;
    int rc;
    pdm__profile *p;
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        /* line 4: a good line, line 5: the bad value */
        snprintf(text, sizeof text, "[profile]\nid = a\n[device]\n"
                 "max_depth = 8\n%s = %s\n",
                 keys[i % PDM__ARRAY_LEN(keys)], bad[i]);
        p = parse(text, &d, &rc);
        CU_ASSERT_EQUAL(rc, PDM_EPARSE);
        CU_ASSERT(line_has(&d, 5, "the value is not text"));
        CU_ASSERT_EQUAL(d.errors, 1);
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
    p = parse("[profile]\nid = a\n[device]\nman = Soci\xc3\xa9t\xc3\xa9 "
              "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\xb1\nmod = X  Y\n",
              &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    PDM_ASSERT_STR(pdm__profile_get(p, "device.man"),
                   "Soci\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
                   "\xf0\x9f\x93\xb1");
    pdm__profile_free(p);
    pdm__diag_free(&d);
    /* the message names the key and the byte, with file:line */
    p = parse("[profile]\nid = a\n[device]\nhwv = r1\x02x\n", &d, &rc);
    CU_ASSERT(line_has(&d, 4, "hwv: the value is not text: invalid UTF-8 or "
                              "a control character at byte 3"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* The bootstrap keys; device.imsi is a secret: never echoed. */
static void test_profile__bootstrap_keys(void)
{
    pdm__diag d;
    int rc;
    unsigned mask = 99;
    pdm__profile *p = parse(
        "[profile]\nid = a\n[device]\nimsi = 001010123456789\n"
        "[bootstrap]\nmax_bytes = 4096\nunsigned_origins = factory, push\n"
        "replace_existing = yes\nfactory_file = f.wbxml\n"
        "factory_content_type = Application/Vnd.Syncml.DM+wbxml\n"
        "removed_source = keep\ndisabled_origins = smartcard,push\n",
        &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT(pdm__bs_origins_parse(
        pdm__profile_get(p, "bootstrap.disabled_origins"), &mask));
    CU_ASSERT_EQUAL(mask,
                    (1u << PDM_ORIGIN_SMARTCARD) | (1u << PDM_ORIGIN_PUSH));
    PDM_ASSERT_STR(pdm__profile_get(p, "bootstrap.removed_source"), "keep");
    CU_ASSERT_EQUAL(pdm__profile_get_long(p, "bootstrap.max_bytes", 0), 4096);
    CU_ASSERT(pdm__profile_get_bool(p, "bootstrap.replace_existing", false));
    CU_ASSERT(pdm__bs_origins_parse(
        pdm__profile_get(p, "bootstrap.unsigned_origins"), &mask));
    CU_ASSERT_EQUAL(mask, (1u << PDM_ORIGIN_FACTORY) | (1u << PDM_ORIGIN_PUSH));
    pdm__profile_free(p);
    pdm__diag_free(&d);
    CU_ASSERT(pdm__bs_origins_parse("none", &mask));
    CU_ASSERT_EQUAL(mask, 0);
    CU_ASSERT(!pdm__bs_origins_parse("factory,,push", NULL));
    CU_ASSERT(!pdm__bs_origins_parse("sim", NULL));
    p = parse("[profile]\nid = a\n[device]\nimsi = 12345x7890\n"
              "[bootstrap]\nunsigned_origins = factory, sim\n"
              "factory_content_type = text/plain\n"
              "removed_source = delete\n"
              "disabled_origins = smartcard, card\n",
              &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 4, "imsi: an IMSI is 6 to 15 decimal digits "
                              "(value not shown: it is a secret)"));
    CU_ASSERT(!line_has(&d, 4, "12345x7890"));
    CU_ASSERT(line_has(&d, 6, "unsigned_origins: 'factory, sim' is not"));
    CU_ASSERT(line_has(&d, 7, "factory_content_type: 'text/plain' is not a "
                              "bootstrap content type"));
    CU_ASSERT(line_has(&d, 8, "removed_source: 'delete' is neither 'remove' "
                              "nor 'keep'"));
    CU_ASSERT(line_has(&d, 9, "disabled_origins: 'smartcard, card' is not a "
                              "comma list of factory, smartcard, push, file, "
                              "user (or none)"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* Issue 12: device.mnc_digits, session.pkg0_resync (with its old
 * boolean spelling, which must agree), session.adopt_challenge_type. */
static void test_profile__authority_keys(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("[profile]\nid = a\n[device]\nmnc_digits = 3\n"
                            "[session]\npkg0_resync = never\n"
                            "adopt_challenge_type = false\n",
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(pdm__profile_get_long(p, "device.mnc_digits", 2), 3);
    PDM_ASSERT_STR(pdm__profile_pkg0_resync(p), "never");
    CU_ASSERT(!pdm__profile_get_bool(p, "session.adopt_challenge_type", true));
    pdm__profile_free(p);
    pdm__diag_free(&d);
    /* defaults, and the old spelling alone */
    p = parse("[profile]\nid = a\n", &d, &rc);
    PDM_ASSERT_STR(pdm__profile_pkg0_resync(p), "first-session");
    pdm__profile_free(p);
    pdm__diag_free(&d);
    p = parse("[profile]\nid = a\n[session]\npkg0_resync_always = yes\n", &d,
              &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    PDM_ASSERT_STR(pdm__profile_pkg0_resync(p), "always");
    pdm__profile_free(p);
    pdm__diag_free(&d);
    /* both, agreeing */
    p = parse("[profile]\nid = a\n[session]\npkg0_resync_always = false\n"
              "pkg0_resync = first-session\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    pdm__profile_free(p);
    pdm__diag_free(&d);
    /* bad values and a conflict, each at its line */
    p = parse("[profile]\nid = a\n[device]\nmnc_digits = 4\n[session]\n"
              "pkg0_resync = sometimes\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 4, "mnc_digits: '4' is neither 2 nor 3"));
    CU_ASSERT(line_has(&d, 6, "pkg0_resync: 'sometimes' is not never, "
                              "first-session or always"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
    p = parse("[profile]\nid = a\n[session]\npkg0_resync = never\n"
              "pkg0_resync_always = true\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 5, "session.pkg0_resync_always = true means "
                              "session.pkg0_resync = always, but line 4 "
                              "says never"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* [plugin] optional = <bool>: stored with its line, checked like every
 * boolean, once per section; an authority plugin cannot be optional. */
static void test_profile__optional(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("[profile]\n"                   /* 1 */
                            "id = a\n"                      /* 2 */
                            "[plugin sim]\n"                /* 3 */
                            "optional = true   # S14\n"     /* 4 */
                            "[plugin other]\n"              /* 5 */
                            "optional = Off\n"              /* 6 */
                            "[plugin plain]\n",             /* 7 */
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(d.errors, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT(p->plugins->optional);
    CU_ASSERT_EQUAL(p->plugins->optional_line, 4);
    CU_ASSERT(!p->plugins->next->optional);
    CU_ASSERT_EQUAL(p->plugins->next->optional_line, 6);
    CU_ASSERT(!p->plugins->next->next->optional);
    CU_ASSERT_EQUAL(p->plugins->next->next->optional_line, 0);
    pdm__profile_free(p);
    pdm__diag_free(&d);

    p = parse("[profile]\n"                    /* 1 */
              "id = a\n"                       /* 2 */
              "authority = auth/main\n"        /* 3 */
              "[plugin sim]\n"                 /* 4 */
              "optional = maybe\n"             /* 5 */
              "[plugin mo]\n"                  /* 6 */
              "optional = yes\n"               /* 7 */
              "optional = no\n"                /* 8 */
              "[plugin auth]\n"                /* 9 */
              "optional = 1\n",                /* 10 */
              &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT_EQUAL(d.errors, 3);
    CU_ASSERT(line_has(&d, 5, "optional: 'maybe' is not a boolean "
                              "(true/false/yes/no/on/off)"));
    CU_ASSERT(line_has(&d, 8, "duplicate key 'optional' (first at line 7)"));
    CU_ASSERT(line_has(&d, 3, "authority = auth/main: plugin 'auth' is "
                              "optional (line 10); the authority plugin "
                              "cannot be optional"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT(!p->plugins->optional); /* the bad value set nothing */
    CU_ASSERT(p->plugins->next->optional); /* the first of the two */
    pdm__profile_free(p);
    pdm__diag_free(&d);

    /* The key order does not matter: authority after the section. */
    p = parse("[plugin auth]\noptional = on\n[profile]\nid = a\n"
              "authority = auth\n",
              &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 5, "authority = auth: plugin 'auth' is optional "
                              "(line 2)"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* gsm-operator names sim-bootstrap optional (seed S14) and takes the
 * card's unsigned documents; no other shipped profile names it. */
static void test_profile__shipped_sim(void)
{
    static const char *const names[] = {"gsm-operator", "cdma-3gpp2",
                                        "enterprise", "open-market"};
    for (size_t i = 0; i < 4; i++) {
        char path[1024];
        pdm__diag d;
        pdm__profile *p = NULL;
        const pdm__profile_plugin *sim = NULL;
        unsigned mask = 0;
        pdm__diag_init(&d);
        snprintf(path, sizeof path, "%s/profiles/%s.profile",
                 pdm_test_source_dir(), names[i]);
        CU_ASSERT_EQUAL_FATAL(pdm__profile_load(&p, path, &d), PDM_OK);
        for (const pdm__profile_plugin *pp = p->plugins; pp; pp = pp->next)
            if (strcmp(pp->name, "sim-bootstrap") == 0)
                sim = pp;
        if (i == 0) {
            CU_ASSERT(sim && sim->optional);
            CU_ASSERT(pdm__bs_origins_parse(
                pdm__profile_get(p, "bootstrap.unsigned_origins"), &mask));
            CU_ASSERT_EQUAL(mask, (1u << PDM_ORIGIN_FACTORY) |
                                      (1u << PDM_ORIGIN_SMARTCARD));
        } else {
            CU_ASSERT_PTR_NULL(sim);
        }
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
}

/* [transport]: timeout_ms is milliseconds in 100..600000, retries 0..5;
 * transport.pin.<ServerID> is checked as a pin (issue 15 item 6). */
static void test_profile__transport_keys(void)
{
    static const char *const bad[] = {"timeout_ms = 99", "timeout_ms = 600001",
                                      "timeout_ms = 0", "timeout_ms = 1s",
                                      "retries = 6", "retries = -1",
                                      "retries = 65535", "pin.srv = x"};
    pdm__diag d;
    char text[200];
    int rc;
    pdm__profile *p = parse("[profile]\nid = a\n[transport]\n"
                            "timeout_ms = 100\nretries = 5\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    CU_ASSERT_EQUAL(pdm__profile_get_long(p, "transport.timeout_ms", 0), 100);
    CU_ASSERT_EQUAL(pdm__profile_get_long(p, "transport.retries", 2), 5);
    pdm__profile_free(p);
    pdm__diag_free(&d);
    p = parse("[profile]\nid = a\n[transport]\ntimeout_ms = 600000\n"
              "retries = 0\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    pdm__profile_free(p);
    pdm__diag_free(&d);
    for (size_t i = 0; i < PDM__ARRAY_LEN(bad); i++) {
        snprintf(text, sizeof text, "[profile]\nid = a\n[transport]\n%s\n",
                 bad[i]);
        p = parse(text, &d, &rc);
        CU_ASSERT_EQUAL(rc, PDM_EPARSE);
        CU_ASSERT_EQUAL(d.errors, 1);
        CU_ASSERT(at_line(&d, 4) != NULL); /* the key's line */
        CU_ASSERT(line_has(&d, 4, i < 4   ? "milliseconds (100..600000)"
                                  : i < 7 ? "retries in 0..5"
                                          : "a pin is sha256//"));
        pdm__profile_free(p);
        pdm__diag_free(&d);
    }
}

/* A second [device] (or any core section) is an error naming both lines;
 * its keys are not taken. */
static void test_profile__duplicate_section(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("[profile]\nid = a\n[device]\nman = x\n"
                            "[session]\n[device]\nmod = y\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT_EQUAL(d.errors, 1);
    CU_ASSERT(line_has(&d, 6, "duplicate section [device] (first at line 3)"));
    CU_ASSERT_PTR_NULL(pdm__profile_get(p, "device.mod"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* A UTF-8 byte order mark is skipped; line numbers are unchanged. */
static void test_profile__bom(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("\xEF\xBB\xBF[profile]\nid = a\nbogus = 1\n",
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT_EQUAL(d.errors, 1);
    CU_ASSERT(line_has(&d, 3, "unknown key 'bogus' in [profile]"));
    PDM_ASSERT_STR(p->id, "a");
    pdm__profile_free(p);
    pdm__diag_free(&d);
    p = parse("\xEF\xBB\xBF[profile]\nid = a\n", &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_OK);
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* Misspelt keys and sections: "did you mean", at the key's own line; a
 * missing id at the [profile] header. */
static void test_profile__did_you_mean(void)
{
    pdm__diag d;
    int rc;
    pdm__profile *p = parse("# x\n[profile]\ndescription = d\n"
                            "[transport]\ntimout_ms = 100\n"
                            "alow_plain_http = true\nzzz = 1\n[sesion]\n"
                            "[plugin x]\noptionl = true\n",
                            &d, &rc);
    CU_ASSERT_EQUAL(rc, PDM_EPARSE);
    CU_ASSERT(line_has(&d, 5, "did you mean 'timeout_ms'?"));
    CU_ASSERT(line_has(&d, 6, "did you mean 'allow_plain_http'?"));
    CU_ASSERT(line_has(&d, 7, "unknown key 'zzz' in [transport]"));
    CU_ASSERT(!line_has(&d, 7, "did you mean"));
    CU_ASSERT(line_has(&d, 8, "did you mean [session]?"));
    CU_ASSERT(line_has(&d, 10, "did you mean 'optional'?"));
    CU_ASSERT(line_has(&d, 2, "missing required key 'id'"));
    pdm__profile_free(p);
    pdm__diag_free(&d);
}

/* A directory is refused as a missing file is (same rc: same exit). */
static void test_profile__directory(void)
{
    pdm__diag d;
    pdm__profile *p = NULL;
    pdm__diag_init(&d);
    CU_ASSERT_EQUAL(pdm__profile_load(&p, "/", &d), PDM_ENOTFOUND);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.head->msg, "is a directory"));
    pdm__diag_free(&d);
}

/* The key table lists the pattern keys too, and the parser takes every
 * key it lists (one table: `profile keys` cannot drift from the parser). */
static void test_profile__key_table(void)
{
    bool pin = false, opt = false;
    for (const pdm__profile_key *k = pdm__profile_keys(); k->key; k++) {
        pin |= strcmp(k->key, "transport.pin.<ServerID>") == 0;
        opt |= strcmp(k->key, "plugin.option.<key>") == 0;
        CU_ASSERT(k->type && k->help && *k->help);
    }
    CU_ASSERT(pin && opt);
}

static const pdm_test tests[] = {
    {"transport_keys", test_profile__transport_keys},
    {"duplicate_section", test_profile__duplicate_section},
    {"bom", test_profile__bom},
    {"did_you_mean", test_profile__did_you_mean},
    {"directory", test_profile__directory},
    {"key_table", test_profile__key_table},
    {"optional", test_profile__optional},
    {"authority_keys", test_profile__authority_keys},
    {"shipped_sim", test_profile__shipped_sim},
    {"bootstrap_keys", test_profile__bootstrap_keys},
    {"valid", test_profile__valid},
    {"errors_have_lines", test_profile__errors_have_lines},
    {"missing_id_and_binary", test_profile__missing_id_and_binary},
    {"unreadable", test_profile__unreadable},
    {"shipped", test_profile__shipped},
    {"alloc_failures", test_profile__alloc_failures},
    {"device_values_are_text", test_profile__device_values_are_text},
    {NULL, NULL},
};

static const pdm_suite suites[] = {{"profile", tests, NULL, NULL},
                                   {NULL, NULL, NULL, NULL}};

int main(int argc, char **argv) { return pdm_test_run(suites, argc, argv); }
