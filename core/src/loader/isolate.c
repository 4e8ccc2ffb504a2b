/*
 * What the loader does before and instead of running a module's code in
 * this process (see loader.h): the permission check of a module file
 * (sshd's StrictModes) and the reading of a descriptor in a child process.
 *
 * The child dlopen()s the module, validates the descriptor exactly as an
 * in-process load does, and writes the result to a pipe; the parent keeps
 * a copy.  Whatever arrives on the pipe was produced next to the module's
 * code (its constructors inherit the pipe), so the parent parses it as
 * untrusted input: bounded counts, every string inside the message and
 * NUL-terminated, and the same checks on names and kinds again.
 */
#define _GNU_SOURCE
#include "loader/loader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define DEFAULT_TIMEOUT_MS 5000u
#define MAX_ANSWER (1u << 20)
#define MAX_COMPONENTS 64
#define MAX_OPTIONS 256

/* ---- StrictModes ---------------------------------------------------------- */

static int mode_problem(pdm__diag *d, const char *file, unsigned line,
                        bool relaxed, const char *path, const char *what,
                        const struct stat *st, uid_t me)
{
    bool owner_ok = st->st_uid == 0 || st->st_uid == me;
    char why[96];
    if (!owner_ok)
        snprintf(why, sizeof why, "is owned by uid %u, not by root or uid %u",
                 (unsigned)st->st_uid, (unsigned)me);
    else
        snprintf(why, sizeof why, "is writable by %s (mode %04o)",
                 (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH)
                     ? "group and others"
                 : (st->st_mode & S_IWGRP) ? "its group"
                                           : "others",
                 (unsigned)(st->st_mode & 07777));
    if (relaxed) {
        pdm__diag_add(d, file, line, 0,
                      "%s: %s %s (accepted: plugin_strict_modes = false)",
                      path, what, why);
        return PDM_OK;
    }
    pdm__diag_add(d, file, line, PDM_EFORBIDDEN,
                  "%s: refused: %s %s; only root and the current user may "
                  "be able to change a plugin (chmod go-w / chown), or set "
                  "plugin_strict_modes = false in [profile] for development",
                  path, what, why);
    return PDM_EFORBIDDEN;
}

int pdm__module_check(const char *path, bool relaxed, char **real,
                      pdm__diag *d, const char *file, unsigned line)
{
    uid_t me = geteuid();
    struct stat st;
    char *r, *dir, what[PATH_MAX + 32];
    int rc = PDM_OK;

    *real = NULL;
    r = realpath(path, NULL);
    if (!r) {
        pdm__diag_add(d, file, line, PDM_ENOTFOUND, "%s: cannot resolve: %s",
                      path, strerror(errno));
        return PDM_ENOTFOUND;
    }
    dir = pdm__strdup(r);
    *real = pdm__strdup(r);
    free(r);
    if (!dir || !*real) {
        pdm__free(dir);
        pdm__free(*real);
        *real = NULL;
        return PDM_ENOMEM;
    }
    if (stat(*real, &st) != 0 || !S_ISREG(st.st_mode)) {
        pdm__diag_add(d, file, line, PDM_ENOTFOUND,
                      "%s: not a regular file", path);
        rc = PDM_ENOTFOUND;
    } else if ((st.st_uid != 0 && st.st_uid != me) ||
               (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(what, sizeof what, "the module %s", *real);
        rc = mode_problem(d, file, line, relaxed, path, what, &st, me);
    }
    /* Every directory up to /: whoever can rename one of them can put
     * another file in the module's place. */
    for (bool own_dir = true; rc == PDM_OK;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        if (slash == dir)
            slash[1] = '\0'; /* "/" itself */
        else
            *slash = '\0';
        if (stat(dir, &st) != 0) {
            pdm__diag_add(d, file, line, PDM_ENOTFOUND, "%s: cannot stat %s: %s",
                          path, dir, strerror(errno));
            rc = PDM_ENOTFOUND;
            break;
        }
        /* A sticky root-owned directory (/tmp) lets nobody rename what
         * others own in it; the module's own directory must be closed. */
        if ((st.st_uid != 0 && st.st_uid != me) ||
            ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
             (own_dir || !(st.st_mode & S_ISVTX) || st.st_uid != 0))) {
            snprintf(what, sizeof what, "%s %s",
                     own_dir ? "its directory" : "the directory", dir);
            rc = mode_problem(d, file, line, relaxed, path, what, &st, me);
        }
        own_dir = false;
        if (strcmp(dir, "/") == 0)
            break;
    }
    pdm__free(dir);
    if (rc != PDM_OK) {
        pdm__free(*real);
        *real = NULL;
    }
    return rc;
}

/* ---- the child's answer ------------------------------------------------------ */

static void put_u32(pdm__buf *b, uint32_t v) { pdm__buf_append(b, &v, 4); }

static void put_str(pdm__buf *b, const char *s)
{
    if (!s) {
        put_u32(b, UINT32_MAX);
        return;
    }
    put_u32(b, (uint32_t)strlen(s));
    pdm__buf_append(b, s, strlen(s) + 1);
}

/* Answer: "PDMI", rc, the diagnostics, and on success the descriptor data
 * the core uses after validation. */
static void encode(pdm__buf *b, int rc, const pdm__diag *d,
                   const pdm__plugin *p)
{
    uint32_t n = 0;
    pdm__buf_append(b, "PDMI", 4);
    put_u32(b, (uint32_t)rc);
    for (const pdm__diag_item *it = d->head; it; it = it->next)
        n++;
    put_u32(b, n);
    for (const pdm__diag_item *it = d->head; it; it = it->next) {
        put_u32(b, (uint32_t)it->rc);
        put_str(b, it->msg);
    }
    if (rc != PDM_OK)
        return;
    put_u32(b, p->desc_size);
    put_u32(b, p->desc.abi_major);
    put_u32(b, p->desc.abi_minor);
    put_str(b, p->desc.name);
    put_str(b, p->desc.version);
    put_str(b, p->desc.summary);
    n = 0;
    for (const pdm_option_desc *o = p->desc.options; o && o->key; o++)
        n++;
    put_u32(b, n);
    for (const pdm_option_desc *o = p->desc.options; o && o->key; o++) {
        put_str(b, o->key);
        put_str(b, o->help);
        put_str(b, o->def);
        put_u32(b, o->flags);
    }
    put_u32(b, (uint32_t)p->ncomps);
    for (size_t i = 0; i < p->ncomps; i++) {
        const pdm__comp *c = &p->comps[i];
        put_u32(b, c->kind);
        put_u32(b, c->ops.head.struct_size);
        put_str(b, c->name);
        put_str(b, c->kind == PDM_KIND_MO ? c->ops.mo.base_uri : NULL);
        put_str(b, c->kind == PDM_KIND_MO ? c->ops.mo.mo_id : NULL);
    }
}

typedef struct rd {
    uint8_t *p, *end;
    bool bad;
} rd;

static uint32_t get_u32(rd *r)
{
    uint32_t v = 0;
    if (r->end - r->p < 4) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, 4);
    r->p += 4;
    return v;
}

/* A string inside the answer (NUL-terminated there), or NULL. */
static const char *get_str(rd *r)
{
    uint32_t n = get_u32(r);
    const char *s;
    if (r->bad || n == UINT32_MAX)
        return NULL;
    if ((size_t)(r->end - r->p) <= n || r->p[n] != '\0' ||
        memchr(r->p, '\0', n)) {
        r->bad = true;
        return NULL;
    }
    s = (const char *)r->p;
    r->p += n + 1;
    return s;
}

static bool known_kind(uint32_t k)
{
    return k == PDM_KIND_BOOTSTRAP || k == PDM_KIND_AUTHORITY ||
           k == PDM_KIND_POLICY || k == PDM_KIND_MO;
}

/* Fills @p from a successful answer; false if it is garbled. */
static bool decode_plugin(rd *r, pdm__plugin *p)
{
    uint32_t nopt, ncomp;
    p->desc_size = get_u32(r);
    p->desc.struct_size = p->desc_size;
    p->desc.abi_major = (uint16_t)get_u32(r);
    p->desc.abi_minor = (uint16_t)get_u32(r);
    p->desc.name = get_str(r);
    p->desc.version = get_str(r);
    p->desc.summary = get_str(r);
    nopt = get_u32(r);
    if (r->bad || !pdm__valid_plugin_id(p->desc.name) || nopt > MAX_OPTIONS)
        return false;
    p->snap_options = pdm__calloc(nopt + 1, sizeof(*p->snap_options));
    if (!p->snap_options)
        return false;
    for (uint32_t i = 0; i < nopt; i++) {
        pdm_option_desc *o = &p->snap_options[i];
        o->key = get_str(r);
        o->help = get_str(r);
        o->def = get_str(r);
        o->flags = get_u32(r);
        if (r->bad || !o->key)
            return false;
    }
    p->desc.options = nopt ? p->snap_options : NULL;
    ncomp = get_u32(r);
    if (r->bad || ncomp == 0 || ncomp > MAX_COMPONENTS)
        return false;
    p->comps = pdm__calloc(ncomp, sizeof(*p->comps));
    if (!p->comps)
        return false;
    p->ncomps = ncomp;
    for (uint32_t i = 0; i < ncomp; i++) {
        pdm__comp *c = &p->comps[i];
        c->plugin = p;
        c->kind = get_u32(r);
        c->ops.head.kind = c->kind;
        c->ops.head.struct_size = get_u32(r);
        c->name = get_str(r);
        c->ops.mo.base_uri = get_str(r);
        c->ops.mo.mo_id = get_str(r);
        if (r->bad || !known_kind(c->kind) || !c->name || !*c->name)
            return false;
        if (c->kind != PDM_KIND_MO) {
            c->ops.mo.base_uri = c->ops.mo.mo_id = NULL;
            continue;
        }
        if (!c->ops.mo.base_uri || strncmp(c->ops.mo.base_uri, "./", 2) != 0)
            return false;
        c->mo_base = c->ops.mo.base_uri;
    }
    return r->p == r->end;
}

/* ---- the child process ------------------------------------------------------- */

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void child(int fd, pdm__plugin *p, const char *real)
{
    pdm__diag d;
    pdm__buf b;
    int rc;
    pdm__diag_init(&d);
    pdm__buf_init(&b);
    rc = pdm__plugin_read_module(p, real, &d, NULL, 0);
    encode(&b, rc, &d, p);
    /* No exit handlers, no stdio flush: the parent's state is not ours. */
    _exit(pdm__buf_ok(&b) && write_all(fd, b.data, b.len) ? 0 : 1);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads the child's answer until EOF or the deadline; false on timeout. */
static bool read_answer(int fd, pdm__buf *b, uint64_t deadline)
{
    for (;;) {
        uint64_t now = now_ms();
        struct pollfd pf = {fd, POLLIN, 0};
        uint8_t chunk[4096];
        ssize_t n;
        if (now >= deadline)
            return false;
        n = poll(&pf, 1, (int)(deadline - now));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return false;
        n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
        if (b->len + (size_t)n > MAX_ANSWER)
            return true; /* garbled: decoded as such */
        pdm__buf_append(b, chunk, (size_t)n);
    }
}

int pdm__plugin_read_isolated(pdm__plugin *p, const char *real,
                              unsigned timeout_ms, pdm__diag *d,
                              const char *file, unsigned line)
{
    int fds[2], status = 0, rc;
    pid_t pid;
    pdm__buf b;
    bool answered;
    rd r;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        pdm__diag_add(d, file, line, PDM_EIO, "%s: cannot create a pipe: %s",
                      p->path, strerror(errno));
        return PDM_EIO;
    }
    fflush(NULL); /* nothing buffered here is written twice */
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        pdm__diag_add(d, file, line, PDM_EIO,
                      "%s: cannot start a process to read the plugin: %s",
                      p->path, strerror(errno));
        return PDM_EIO;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], p, real);
    }
    close(fds[1]);
    pdm__buf_init(&b);
    answered = read_answer(fds[0], &b,
                           now_ms() + (timeout_ms ? timeout_ms
                                                  : DEFAULT_TIMEOUT_MS));
    close(fds[0]);
    if (!answered)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!answered) {
        pdm__diag_add(d, file, line, PDM_ETIMEOUT,
                      "%s: refused: reading its descriptor did not finish "
                      "within %u ms (its constructors or entry function "
                      "hang); the process was killed",
                      p->path, timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS);
        pdm__buf_free(&b);
        return PDM_ETIMEOUT;
    }
    if (WIFSIGNALED(status)) {
        pdm__diag_add(d, file, line, PDM_EABI,
                      "%s: refused: the plugin crashed while its descriptor "
                      "was read (signal %d, %s)",
                      p->path, WTERMSIG(status), strsignal(WTERMSIG(status)));
        pdm__buf_free(&b);
        return PDM_EABI;
    }
    r.p = b.data;
    r.end = b.data + b.len;
    r.bad = !pdm__buf_ok(&b) || b.len < 8 || memcmp(b.data, "PDMI", 4) != 0;
    if (!r.bad)
        r.p += 4;
    rc = (int)get_u32(&r);
    r.bad = r.bad || rc > 0;
    for (uint32_t i = 0, n = get_u32(&r); !r.bad && i < n && i < 64; i++) {
        int irc = (int)get_u32(&r);
        const char *msg = get_str(&r);
        if (!r.bad && msg)
            pdm__diag_add(d, file, line, irc < 0 ? irc : 0, "%s", msg);
    }
    /* The child's data stays in b: p's strings point into it. */
    p->snap = b.data;
    if (!r.bad && rc == PDM_OK && !(WIFEXITED(status) && WEXITSTATUS(status)))
        r.bad = !decode_plugin(&r, p);
    if (r.bad || (rc == PDM_OK && WIFEXITED(status) && WEXITSTATUS(status))) {
        pdm__diag_add(d, file, line, PDM_EABI,
                      "%s: refused: the process reading its descriptor %s",
                      p->path,
                      WIFEXITED(status) && WEXITSTATUS(status)
                          ? "exited early (its constructors call exit?)"
                          : "gave a garbled answer");
        return PDM_EABI;
    }
    return rc < 0 ? rc : PDM_OK;
}
