/*
 * `polydm plugin check`: the conformance checker of a plugin module.
 *
 * Split in two: cmd_plugin_check.c is the parent (command line, the
 * core's loader and profile parser, one child process per case, the
 * table and JSON), plugin_check_run.c (with each kind's methods in
 * plugin_check_<kind>.c, plugin_check_int.h) runs one case inside a child: it
 * loads the module, plays the core through a host table of its own that
 * tracks every allocation it hands out, and reports on a pipe.  The
 * child side needs nothing of the core but the SDK headers, so a crash
 * or a hang there never touches the parent.
 *
 * Child -> parent protocol, one line each, fields separated by TAB
 * (tabs and newlines in the text are replaced by spaces):
 *   C <rule> <check> <what>   the step now running: a crash or a hang
 *                             before the next C line fails <rule>
 *   R <pass|fail|skip> <rule> <check> <detail>
 *   P <name>                  the descriptor's plugin name
 *   O <key> <type>            a declared option (type: see pc_opt_type)
 *   N <count>                 allocations of the alloc-count case
 *   B <0|1>                   lifecycle case: init and every create
 *                             succeeded with the profile's options
 *   F                         the descriptor cannot be used at all: stop
 *   D                         the case ran to its end
 */
#ifndef PDM_PLUGIN_CHECK_H
#define PDM_PLUGIN_CHECK_H

#include <stddef.h>

/* The rules, their source in the headers, and what they say. */
typedef struct pc_rule {
    const char *id;
    const char *source;
    const char *text;
} pc_rule;
extern const pc_rule pc_rules[]; /* id NULL terminates */
const pc_rule *pc_rule_find(const char *id);

/* An option value given to the plugin (borrowed). */
typedef struct pc_opt {
    const char *key;
    const char *value;
} pc_opt;

typedef enum pc_case_type {
    PC_CASE_DESC,       /* descriptor, components, vtables: no plugin code
                           but the entry function */
    PC_CASE_LIFECYCLE,  /* init, create, destroy, fini: leaks, options read */
    PC_CASE_METHODS,    /* every method at the current struct sizes */
    PC_CASE_SIZES_1_0,  /* every method at the ABI 1.0 struct sizes */
    PC_CASE_ODD_URIS,   /* MO handlers: long, percent-encoded, deep URIs */
    PC_CASE_ALLOC_COUNT,/* the methods' run, counting host allocations */
    PC_CASE_ALLOC_FAIL, /* the same with allocation number fail_at refused */
    PC_CASE_OPTION,     /* init with opt_key = opt_value added */
    PC_CASE_HOST_MINOR, /* the methods with the host table of the plugin's
                           ABI minor's size, at a guard page */
    PC_CASE_HOST_1_0,   /* the same with the ABI 1.0 host table */
} pc_case_type;

typedef struct pc_case {
    pc_case_type type;
    long fail_at;          /* PC_CASE_ALLOC_FAIL: 1-based */
    const char *opt_key;   /* PC_CASE_OPTION */
    const char *opt_value; /* PC_CASE_OPTION */
    const char *opt_type;  /* PC_CASE_OPTION: the key's declared type */
    const char *opt_label; /* PC_CASE_OPTION: the value, printable */
    /* PC_CASE_OPTION: init and every create succeed without the odd
     * value (so a refusal is the value's) */
    int baseline_ok;
} pc_case;

/* The input of every case: the module and what the profile gives it. */
typedef struct pc_input {
    const char *module;
    const pc_opt *opts; /* the profile section's options */
    size_t nopts;
    const pc_opt *mo_bases; /* key = component, value = base URI */
    size_t nmo_bases;
} pc_input;

/* Runs @cs in this (child) process, writing the protocol to @fd.
 * Returns when the case is done; the caller _exit()s. */
void pc_run_case(const pc_input *in, const pc_case *cs, int fd);

#endif
