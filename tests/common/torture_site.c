/*
 * Allocation sites of absorbed torture failures (see torture_site.h).
 */
#define _GNU_SOURCE
#include "torture_site.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The core's hook; weak: a program without the core has none. */
extern void (*pdm__alloc_fail_hook)(void) __attribute__((weak));
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));
extern void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out,
                                     size_t size) __attribute__((weak));

#define DEPTH 24
static void *g_pc[DEPTH];
static int g_npc;
static bool g_print;

typedef struct site {
    char key[400];
    char example[400];
    size_t count;
} site;
static site *g_sites;
static size_t g_nsites, g_cap;

static void on_failure(void)
{
    g_npc = backtrace(g_pc, DEPTH);
    if (g_print && __sanitizer_print_stack_trace)
        __sanitizer_print_stack_trace();
}

void torture_site_arm(bool print)
{
    void *warm[2];
    if (!&pdm__alloc_fail_hook)
        return;
    backtrace(warm, 2); /* loads libgcc's unwinder now, not in the hook */
    g_print = print;
    pdm__alloc_fail_hook = on_failure;
}

void torture_site_disarm(void)
{
    if (&pdm__alloc_fail_hook)
        pdm__alloc_fail_hook = NULL;
}

void torture_site_clear(void) { g_npc = 0; }

bool torture_site_hit(void) { return g_npc > 0; }

/* "function file:line" of one return address (the call instruction just
 * before it): the sanitizer's symbolizer when there is one, else dladdr
 * (exported names only; the rest as module+offset, for addr2line). */
static void frame_name(void *ret, char *out, size_t size)
{
    void *pc = (char *)ret - 1;
    Dl_info di;
    out[0] = '\0';
    if (__sanitizer_symbolize_pc) {
        __sanitizer_symbolize_pc(pc, "%f %s:%l", out, size);
        if (out[0])
            return;
    }
    if (dladdr(pc, &di) && di.dli_sname)
        snprintf(out, size, "%s+%#lx", di.dli_sname,
                 (unsigned long)((uintptr_t)pc - (uintptr_t)di.dli_saddr));
    else if (dladdr(pc, &di) && di.dli_fname)
        snprintf(out, size, "%s+%#lx", di.dli_fname,
                 (unsigned long)((uintptr_t)pc - (uintptr_t)di.dli_fbase));
    else
        snprintf(out, size, "%p", pc);
}

/* The allocator's own frames (util.c, this file, libc's unwinder) say
 * nothing about the site: skipped. */
static bool allocator_frame(const char *name)
{
    static const char *const skip[] = {
        "on_failure", "alloc_should_fail", "pdm__malloc", "pdm__calloc",
        "pdm__realloc", "pdm__strdup", "pdm__strndup", "backtrace",
        "pdm__buf_", "pdm__arena_", "util/util.c", "util/util.h",
        "torture_site.c", NULL};
    for (int i = 0; skip[i]; i++)
        if (strstr(name, skip[i]))
            return true;
    return false;
}

void torture_site_absorbed(const char *example)
{
    char key[400] = "", f[200], where[200] = "", ex[400];
    int used = 0;
    size_t i;
    for (int k = 0; k < g_npc && used < 3; k++) {
        char *sp;
        frame_name(g_pc[k], f, sizeof f);
        if (!used && allocator_frame(f))
            continue;
        /* the allocating function and two callers, by name (one class
         * whatever the line); the first one's line in the example */
        if (!used)
            snprintf(where, sizeof where, "%s", f);
        if ((sp = strchr(f, ' ')))
            *sp = '\0';
        snprintf(key + strlen(key), sizeof key - strlen(key), "%s%s",
                 used ? " < " : "", f);
        used++;
    }
    snprintf(ex, sizeof ex, "%s\n          at %s", example ? example : "",
             where);
    example = ex;
    if (!used)
        snprintf(key, sizeof key, "(no stack recorded)");
    for (i = 0; i < g_nsites; i++)
        if (strcmp(g_sites[i].key, key) == 0)
            break;
    if (i == g_nsites) {
        if (g_nsites == g_cap) {
            size_t cap = g_cap ? g_cap * 2 : 32;
            site *n = realloc(g_sites, cap * sizeof *n);
            if (!n)
                return;
            g_sites = n;
            g_cap = cap;
        }
        memset(&g_sites[i], 0, sizeof g_sites[i]);
        snprintf(g_sites[i].key, sizeof g_sites[i].key, "%s", key);
        snprintf(g_sites[i].example, sizeof g_sites[i].example, "%s",
                 example ? example : "");
        g_nsites++;
    }
    g_sites[i].count++;
}

static int by_count(const void *a, const void *b)
{
    const site *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1
                                                           : strcmp(x->key, y->key);
}

size_t torture_site_report(void)
{
    size_t n = g_nsites;
    if (!n)
        return 0;
    qsort(g_sites, n, sizeof *g_sites, by_count);
    printf("\n  absorbed failures by allocation site (allocating function "
           "< its caller):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %6zu  %s\n          e.g. %s\n", g_sites[i].count,
               g_sites[i].key, g_sites[i].example);
    free(g_sites);
    g_sites = NULL;
    g_nsites = g_cap = 0;
    return n;
}
