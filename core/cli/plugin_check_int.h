/*
 * `polydm plugin check`, the child side's internals (plugin_check.h says
 * what the child does): plugin_check_run.c is the common part (the
 * checker's host, loading the module, the lifecycle, the cases) and each
 * kind's workload is its own file: plugin_check_policy.c,
 * plugin_check_authority.c, plugin_check_bootstrap.c, plugin_check_mo.c.
 * One case runs per child process, so the state below is process-wide.
 */
#ifndef PDM_PLUGIN_CHECK_INT_H
#define PDM_PLUGIN_CHECK_INT_H

#include "plugin_check.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/authority.h>
#include <polydm/bootstrap.h>
#include <polydm/mo.h>
#include <polydm/plugin.h>
#include <polydm/policy.h>

/* ---- reporting (the protocol of plugin_check.h) ------------------------- */

/* The step about to run: a crash or hang in it fails @rule. */
void pc_step(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pc_fail(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Not reported while pc_quiet (allocation and host-table runs). */
void pc_pass(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pc_skip(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
extern bool pc_quiet;

/* ---- the checker's host ------------------------------------------------- */

enum { PH_INIT, PH_CREATE, PH_METHOD, PH_DESTROY, PH_FINI };

typedef struct blk {
    void *p;
    size_t n;
    char where[96]; /* the step that allocated it */
} blk;

typedef struct kvent {
    struct kvent *next;
    char *key;
    void *val;
    size_t len;
} kvent;

typedef struct pc_host_state {
    blk *v;
    size_t n, cap;
    long seq;     /* allocations asked for so far */
    long fail_at; /* refuse this one (0: none) */
    bool refused; /* it was refused */
    int phase;
    const pc_input *in;
    const pc_opt *extra; /* an option case's value, or NULL */
    char err[512];
    bool err_set;
    char msgs[4096]; /* every log, error and status text, for options */
    size_t msgs_len;
    char read_keys[32][64]; /* options read */
    size_t nread_keys;
    long bad_frees;
    char bad_free_where[256];
    kvent *kv;
    uint32_t lock;
} pc_host_state;

extern pc_host_state pc_h;

/* A block the core may take: NULL or a live host block at @p. */
bool pc_owned(const void *p);
/* Checks an out pointer handed over with PDM_OK and frees it as the core
 * would; clears *@ok on a rule-2 break. */
void pc_take(const char *what, const char *field, void *p, bool *ok);
/* After every call: a host->free of foreign memory is a rule-2 break. */
void pc_after_call(void);

/* ---- descriptors -------------------------------------------------------- */

#define FD_SNAP_MAX 1024
typedef struct fd_snap {
    uint8_t open[FD_SNAP_MAX / 8];
    bool ok;
} fd_snap;

extern fd_snap pc_fds_before_init; /* taken by every init */
void pc_fd_snapshot(fd_snap *s);
bool pc_fd_in(const fd_snap *s, int fd);
bool pc_fd_open(int fd);

/* ---- the module --------------------------------------------------------- */

typedef union any_ops {
    pdm_ops_head head;
    pdm_bootstrap_ops bs;
    pdm_authority_ops au;
    pdm_policy_ops po;
    pdm_mo_ops mo;
} any_ops;

typedef struct comp {
    const pdm_component *c;
    uint32_t kind;
    const char *name;
    any_ops ops; /* zero-padded copy, as the core keeps it */
    bool usable;
    bool created;
    void *inst;
    int wfd;          /* bootstrap: what watch_fd() returned (-1: none) */
    bool watched;     /* watch_fd() was called */
    const char *base; /* MO: the effective base URI */
} comp;

#define MAX_COMPS 64

typedef struct pc_module {
    void *dl;
    const pdm_plugin_desc *raw;
    pdm_plugin_desc d; /* zero-padded copy */
    comp comps[MAX_COMPS];
    size_t ncomps;
    void *pdata;
    bool inited;
    int init_rc; /* what init returned */
} pc_module;

extern pc_module pc_m;

const char *pc_kind_name(uint32_t k);

/* ---- workloads ---------------------------------------------------------- */

/* Four guarded slots: a struct of @size bytes placed at the end of a
 * page followed by a PROT_NONE page (copied from @src, or zeroed). */
void *pc_guarded(int slot, const void *src, size_t size);

enum { MODE_CUR, MODE_1_0, MODE_ALLOC, MODE_ODD, MODE_HOST };

/* The rule a step of @mode checks: the mode's own, else @own. */
const char *pc_mode_rule(int mode, const char *own);
/* A policy's or authority's verdict (@rc its return) keeps types.h's
 * rules; false after reporting the break. */
bool pc_verdict_ok(const char *rule, const char *what, int rc,
                   const pdm_verdict *v);

/* Each kind's methods, in @mode (plugin_check_<kind>.c). */
void pc_run_policy(comp *cp, int mode);
void pc_run_authority(comp *cp, int mode);
void pc_run_bootstrap(comp *cp, int mode);
void pc_run_mo(comp *cp, int mode);
/* After fini, for plugins that watch: descriptors left open. */
void pc_fd_leak_check(void);

#endif
