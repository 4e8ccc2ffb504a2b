/*
 * plugtest: the sim-bootstrap plugin (compiled in) driven line by line
 * through the SDK's fake host, for tests/sim/sim_watch.sh.  The shell
 * inserts and removes the emulated cards and starts and stops pcscd; this
 * program plays the core: it creates the instance, polls its watch_fd(),
 * calls probe()/read()/present_ids() and answers host->ask_pin.
 *
 * Commands on stdin, one per line; each answers one line on stdout that
 * starts with "ok" or "FAIL" (the plugin's log lines go to stderr):
 *   new [noask] [KEY=VALUE...]  a fresh fake host and instance with these
 *                         options; noask: a host without ask_pin (1.1)
 *   answer PIN|cancel     what the next ask_pin returns
 *   watch                 watch_fd(): a descriptor, non-blocking, CLOEXEC
 *   readable MS           the fd becomes readable within MS ms
 *   quiet MS              the fd stays unreadable for MS ms
 *   probe RC [pending]    probe() returns RC (0, -4 ...), and afterwards
 *                         the fd is not readable (pending: is readable, a
 *                         swap left for the next scan); prints asks and
 *                         tries
 *   read                  read(): the document's length and content type,
 *                         then consumed(PDM_OK) (the core applied it)
 *   present N             present_ids() returns N ids (printed)
 *   log TEXT              a log line of this instance contains TEXT
 *   nolog TEXT            no log line contains TEXT
 *   destroy MS            destroy() returns within MS ms, the fd is
 *                         closed, no thread is left, nothing leaked
 * A number out of range, a line over 511 bytes or a token over 63 is
 * refused with a FAIL line naming it.
 * Usage: plugtest < commands
 */
#define _GNU_SOURCE
#include <polydm/bootstrap.h>
#include <polydm/testing/fake_host.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const pdm_plugin_desc *pdm_plugin_sim_bootstrap_entry(void);

static pdm_host_api api; /* the fake host's table plus ask_pin */
static pdm_fake_host *fh;
static const pdm_bootstrap_ops *ops;
static void *pdata, *inst;
static int fd = -1;
static char answer[64];
static int asks, last_tries;
static char last_text[256];
static size_t logs_seen;
static int base_threads; /* before the instance (a sanitizer may add one) */

static int ask_pin(pdm_plugin_ctx *pc, const char *text, int tries_left,
                   char *buf, size_t size)
{
    (void)pc;
    asks++;
    last_tries = tries_left;
    snprintf(last_text, sizeof last_text, "%s", text);
    if (size)
        buf[0] = '\0';
    if (!answer[0] || strcmp(answer, "cancel") == 0)
        return PDM_ECANCELLED;
    if (strlen(answer) >= size)
        return PDM_EINVAL;
    snprintf(buf, size, "%s", answer);
    answer[0] = '\0'; /* one answer per question */
    return PDM_OK;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* A whole decimal number in [min, max] for @cmd, or a FAIL line naming
 * the bad argument and false. */
static bool num(const char *cmd, const char *arg, long min, long max,
                int *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE || v < min || v > max) {
        printf("FAIL %s: '%.40s' is not a number from %ld to %ld\n", cmd, arg,
               min, max);
        return false;
    }
    *out = (int)v;
    return true;
}

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* The new log lines to stderr (the test's log). */
static void flush_logs(void)
{
    const char *l;
    while (fh && (l = pdm_fake_host_log(fh, logs_seen))) {
        fprintf(stderr, "plugtest log: %s\n", l);
        logs_seen++;
    }
}

static int has_log(const char *text)
{
    const char *l;
    for (size_t i = 0; fh && (l = pdm_fake_host_log(fh, i)); i++)
        if (strstr(l, text))
            return 1;
    return 0;
}

static int readable(int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void cmd_new(char *args)
{
    const pdm_plugin_desc *d = pdm_plugin_sim_bootstrap_entry();
    int noask = 0, rc;
    if (inst) {
        puts("FAIL new: destroy the previous instance first");
        return;
    }
    fh = pdm_fake_host_new();
    api = *pdm_fake_host_api(fh);
    for (char *save = NULL, *t = strtok_r(args, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(t, '=');
        if (strlen(t) > 63 || (strcmp(t, "noask") != 0 && (!eq || eq == t))) {
            printf("FAIL new: '%.40s' is not noask or KEY=VALUE (63 bytes "
                   "at most)\n", t);
            pdm_fake_host_free(fh);
            fh = NULL;
            return;
        }
        if (!eq) {
            noask = 1;
        } else {
            *eq = '\0';
            pdm_fake_host_set_option(fh, t, eq + 1);
        }
    }
    api.ask_pin = noask ? NULL : ask_pin;
    base_threads = threads();
    logs_seen = 0;
    asks = 0;
    last_tries = 0;
    fd = -1;
    if ((rc = d->init(pdm_fake_host_ctx(fh), &api, &pdata)) != PDM_OK) {
        printf("FAIL new: init %d\n", rc);
        return;
    }
    ops = (const pdm_bootstrap_ops *)d->components[0].ops;
    rc = ops->head.create(pdm_fake_host_ctx(fh), pdata, &inst);
    if (rc != PDM_OK) {
        const char *e = pdm_fake_host_error(fh, 0);
        printf("ok create %d: %s\n", rc, e ? e : "(no error)");
        inst = NULL;
        pdm_fake_host_free(fh);
        fh = NULL;
        return;
    }
    printf("ok created, origin %u\n", ops->origin(inst));
}

static void cmd_destroy(int ms)
{
    long t0 = now_ms(), dt;
    int fl;
    ops->head.destroy(inst);
    dt = now_ms() - t0;
    inst = NULL;
    flush_logs();
    fl = fd >= 0 ? fcntl(fd, F_GETFD) : -1;
    if (dt > ms)
        printf("FAIL destroy took %ld ms\n", dt);
    else if (fd >= 0 && !(fl == -1 && errno == EBADF))
        printf("FAIL destroy left fd %d open\n", fd);
    else if (threads() != base_threads)
        printf("FAIL destroy left %d threads (%d before)\n", threads(),
               base_threads);
    else if (pdm_fake_host_live_allocs(fh) != 0)
        printf("FAIL destroy leaked %ld allocations\n",
               pdm_fake_host_live_allocs(fh));
    else
        printf("ok destroyed in %ld ms\n", dt);
    pdm_fake_host_free(fh);
    fh = NULL;
    fd = -1;
}

static void cmd_probe(int want, bool pending)
{
    int rc = ops->probe(inst);
    flush_logs();
    if (rc != want)
        printf("FAIL probe %d, expected %d\n", rc, want);
    else if (fd >= 0 && readable(0) != pending)
        printf("FAIL probe: the fd is %sreadable\n", pending ? "not " : "still ");
    else
        printf("ok probe %d asks=%d tries=%d text=%s\n", rc, asks,
               last_tries, asks ? last_text : "");
}

static void cmd_read(void)
{
    pdm_bootstrap_doc doc;
    int rc;
    memset(&doc, 0, sizeof doc);
    doc.struct_size = sizeof doc;
    rc = ops->read(inst, &doc);
    if (rc != PDM_OK) {
        printf("FAIL read %d\n", rc);
        return;
    }
    printf("ok read %zu bytes %s from %s\n", doc.body.len, doc.content_type,
           doc.source_id);
    api.free((void *)doc.body.data);
    api.free((void *)doc.content_type);
    api.free((void *)doc.source_id);
    if (doc.mac_hex)
        api.free((void *)doc.mac_hex);
    ops->consumed(inst, PDM_OK);
}

static void cmd_present(int want)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = ops->present_ids(inst, &ids, &n);
    flush_logs();
    if (rc != PDM_OK) {
        printf("FAIL present_ids %d\n", rc);
        return;
    }
    if ((int)n != want) {
        printf("FAIL present_ids gave %zu ids, expected %d\n", n, want);
    } else {
        printf("ok present %zu", n);
        for (size_t k = 0; k < n; k++)
            printf(" %s", ids[k]);
        putchar('\n');
    }
    for (size_t k = 0; k < n; k++)
        api.free(ids[k]);
    api.free(ids);
}

int main(void)
{
    char line[512];
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        char *arg, *sp;
        int v;
        if (!strchr(line, '\n') && !feof(stdin)) {
            int ch;
            while ((ch = getchar()) != EOF && ch != '\n')
                ;
            printf("FAIL line over %zu bytes: '%.20s...'\n",
                   sizeof line - 1, line);
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        arg = strchr(line, ' ');
        if (arg)
            *arg++ = '\0';
        else
            arg = line + strlen(line);
        if (strcmp(line, "new") == 0) {
            cmd_new(arg);
        } else if (!inst) {
            printf("FAIL %s: no instance\n", line);
        } else if (strcmp(line, "answer") == 0) {
            if (strlen(arg) >= sizeof answer) {
                printf("FAIL answer: over %zu bytes\n", sizeof answer - 1);
                continue;
            }
            snprintf(answer, sizeof answer, "%s", arg);
            puts("ok");
        } else if (strcmp(line, "watch") == 0) {
            int fl;
            fd = ops->watch_fd(inst);
            fl = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
            if (fd < 0)
                printf("FAIL watch_fd %d\n", fd);
            else if (!(fl & O_NONBLOCK) || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
                puts("FAIL watch_fd: not O_NONBLOCK|O_CLOEXEC");
            else if (ops->watch_fd(inst) != fd)
                puts("FAIL watch_fd: a second call gave another fd");
            else
                puts("ok watching");
        } else if (strcmp(line, "readable") == 0) {
            long t0 = now_ms();
            if (!num(line, arg, 0, 600000, &v))
                continue;
            if (readable(v))
                printf("ok readable after %ld ms\n", now_ms() - t0);
            else
                printf("FAIL not readable within %d ms\n", v);
        } else if (strcmp(line, "quiet") == 0) {
            long t0 = now_ms();
            if (!num(line, arg, 0, 600000, &v))
                continue;
            if (readable(v))
                printf("FAIL readable after %ld ms\n", now_ms() - t0);
            else
                puts("ok quiet");
        } else if (strcmp(line, "probe") == 0) {
            bool pending = false;
            if ((sp = strchr(arg, ' '))) {
                *sp++ = '\0';
                if (strcmp(sp, "pending") != 0) {
                    printf("FAIL probe: '%.40s' is not 'pending'\n", sp);
                    continue;
                }
                pending = true;
            }
            if (num(line, arg, INT_MIN, INT_MAX, &v))
                cmd_probe(v, pending);
        } else if (strcmp(line, "read") == 0) {
            cmd_read();
        } else if (strcmp(line, "present") == 0) {
            if (num(line, arg, 0, 16, &v))
                cmd_present(v);
        } else if (strcmp(line, "log") == 0 || strcmp(line, "nolog") == 0) {
            int want = line[0] == 'l';
            flush_logs();
            if (has_log(arg) == want)
                puts("ok");
            else
                printf("FAIL %s log line: %s\n", want ? "no" : "a", arg);
        } else if (strcmp(line, "destroy") == 0) {
            if (num(line, arg, 0, 600000, &v))
                cmd_destroy(v);
        } else {
            printf("FAIL unknown command %s\n", line);
        }
    }
    if (inst)
        cmd_destroy(1000);
    return 0;
}
