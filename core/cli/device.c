/*
 * The reference agent's device hooks: identity comes from the profile (the
 * core falls back to it when a hook says PDM_ENOTFOUND), UI prompts are
 * answered from a script file (one answer per line: yes, no (also
 * confirm=yes, confirm=no), cancel,
 * timeout, text=..., choose=1,3; a PIN question, a bootstrap
 * document's or a plugin's such as the SIM card's, takes pin=... or
 * cancel) or refused when there is none, and every
 * action the device is asked to do is appended to a device-state file as
 * one JSON object per line, so tests can observe what happened.  An OEM
 * replaces this file with calls into the real device.
 *
 * Device actions (lock, unlock, wipe, factory reset, capability; ABI 1.4)
 * are recorded and done: the next script line answers one only when it
 * starts with "action=" (ok, cancel, fail, unsupported, hang), so scripts of
 * UI and PIN answers keep working.  The wipe classes are
 * $POLYDM_WIPE_CLASSES, else DEFAULT_WIPE_CLASSES.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void cli_device_record(cli_device *d, const char *action, const char *detail)
{
    FILE *f;
    if (!d || !d->state_file)
        return;
    f = fopen(d->state_file, "a");
    if (!f)
        return;
    fprintf(f, "{\"time\":%lld,\"action\":", (long long)time(NULL));
    json_str(f, action);
    fprintf(f, ",\"detail\":");
    json_str(f, detail ? detail : "");
    fprintf(f, "}\n");
    fclose(f);
}

/* Next scripted answer, or NULL when the script is exhausted. */
static char *next_answer(cli_device *d)
{
    char line[600];
    if (!d->script)
        return NULL;
    while (fgets(line, sizeof line, d->script)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != '#') {
            char *a = strdup(line);
            cli_wipe(line, sizeof line); /* it may be a PIN */
            return a;
        }
    }
    return NULL;
}

/* The next script line when it is a device action's answer
 * ("action=..."), else NULL with the line left for the UI or PIN hook. */
static char *next_action_answer(cli_device *d)
{
    char line[200];
    long pos;
    if (!d->script || (pos = ftell(d->script)) < 0)
        return NULL;
    while (fgets(line, sizeof line, d->script)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (strncmp(line, "action=", 7) == 0)
            return strdup(line + 7);
        break;
    }
    fseek(d->script, pos, SEEK_SET);
    return NULL;
}

#define DEFAULT_WIPE_CLASSES "contacts,messages,media,accounts"

static int dev_action(void *user, const pdm_device_action *a, char *reason,
                      size_t size)
{
    static const char *const names[] = {
        "?", "lock-full", "lock-partial", "unlock", "wipe", "factory-reset",
        "capability"};
    cli_device *d = user;
    char *ans = next_action_answer(d);
    const char *how = ans ? ans : "ok";
    char detail[900], what[600] = "";
    int rc = PDM_OK;
    if (a->kind == PDM_DEVACT_WIPE) {
        for (size_t i = 0; i < a->nclasses; i++)
            snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s",
                     i ? "," : "", a->classes[i]);
    } else if (a->kind == PDM_DEVACT_CAPABILITY) {
        snprintf(what, sizeof what, "%s=%s", a->capability,
                 a->enable ? "on" : "off");
    }
    snprintf(detail, sizeof detail, "%s%sserver=%s%s; answer=%s", what,
             what[0] ? "; " : "", a->server_id ? a->server_id : "-",
             a->notify_user ? "; notify" : "", how);
    cli_device_record(d, a->kind <= PDM_DEVACT_CAPABILITY ? names[a->kind]
                                                          : "?",
                      detail);
    if (strcmp(how, "hang") == 0) {
        /* The device never answers (recorded first): crash tests kill
         * the process here, inside the action.  Bounded, so a test that
         * forgets to kill it still ends. */
        for (int i = 0; i < 600; i++)
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        rc = PDM_EIO;
        snprintf(reason, size, "the device did not answer (scripted)");
    } else if (strcmp(how, "ok") == 0) {
        rc = PDM_OK;
    } else if (strcmp(how, "cancel") == 0) {
        rc = PDM_ECANCELLED;
        snprintf(reason, size, "the user refused");
    } else if (strcmp(how, "unsupported") == 0) {
        rc = PDM_ENOTSUP;
        snprintf(reason, size, "this device cannot do it");
    } else {
        rc = PDM_EIO;
        snprintf(reason, size, "the device failed (scripted)");
    }
    free(ans);
    return rc;
}

static int dev_wipe_classes(void *user, char *buf, size_t size)
{
    const char *env = getenv("POLYDM_WIPE_CLASSES");
    (void)user;
    if (cli_strlcpy(buf, env && *env ? env : DEFAULT_WIPE_CLASSES, size) >=
        size)
        return PDM_ENOSPC;
    return PDM_OK;
}

/* The user takes the server's default response (DR), the way a test UI
 * that "just presses OK" does: 1101 DR=0 is "no", anything else "yes";
 * 1102 the DR text; 1103/1104 the DR number(s) ('-' separated) or 1. */
static void default_answer(const pdm_ui_request *rq, pdm_ui_response *rs)
{
    const char *dr = rq->dr ? rq->dr : "";
    switch (rq->type) {
    case 1101: rs->accepted = strcmp(dr, "0") != 0; break;
    case 1102: cli_strlcpy(rs->text, dr, sizeof rs->text); break;
    case 1103:
    case 1104:
        for (const char *p = dr; *p && rs->nchosen < 32;) {
            long v;
            char num[16];
            size_t n = strcspn(p, "-");
            snprintf(num, sizeof num, "%.*s", (int)(n < 15 ? n : 15), p);
            if (cli_parse_long(num, 1, 1000, &v) == 0 &&
                (size_t)v <= rq->nchoices)
                rs->chosen[rs->nchosen++] = (int)v;
            p += n + (p[n] == '-');
            if (rq->type == 1103)
                break;
        }
        if (!rs->nchosen)
            rs->chosen[rs->nchosen++] = 1;
        break;
    default: rs->accepted = 1; break;
    }
}

static int dev_ui(void *user, const pdm_ui_request *rq, pdm_ui_response *rs)
{
    cli_device *d = user;
    char *a = d->auto_ui ? strdup("auto") : next_answer(d);
    char detail[900];
    int rc = PDM_OK;

    if (!a) {
        snprintf(detail, sizeof detail, "%d from %s: \"%.300s\": no answer",
                 rq->type, rq->server_id ? rq->server_id : "?",
                 rq->text ? rq->text : "");
        cli_device_record(d, "ui", detail);
        return PDM_ECANCELLED;
    }
    if (strcmp(a, "auto") == 0 || strcmp(a, "default") == 0) {
        d->auto_ui |= strcmp(a, "auto") == 0;
        default_answer(rq, rs);
    } else if (strcmp(a, "yes") == 0 || strcmp(a, "confirm=yes") == 0) {
        rs->accepted = 1;
    } else if (strcmp(a, "no") == 0 || strcmp(a, "confirm=no") == 0) {
        rs->accepted = 0;
    } else if (strcmp(a, "cancel") == 0) {
        rc = PDM_ECANCELLED;
    } else if (strcmp(a, "timeout") == 0) {
        rc = PDM_ETIMEOUT;
    } else if (strncmp(a, "text=", 5) == 0) {
        cli_strlcpy(rs->text, a + 5, sizeof rs->text);
    } else if (strncmp(a, "choose=", 7) == 0) {
        for (const char *p = a + 7; *p && rs->nchosen < 32;) {
            long v;
            char num[16];
            size_t n = strcspn(p, ",");
            snprintf(num, sizeof num, "%.*s", (int)(n < 15 ? n : 15), p);
            if (cli_parse_long(num, 1, 1000, &v) == 0)
                rs->chosen[rs->nchosen++] = (int)v;
            p += n + (p[n] == ',');
        }
    }
    snprintf(detail, sizeof detail, "%d from %s: \"%.300s\": %s", rq->type,
             rq->server_id ? rq->server_id : "?", rq->text ? rq->text : "", a);
    cli_device_record(d, "ui", detail);
    free(a);
    return rc;
}

/* A PIN question: a bootstrap document's (sec USERPIN...) or a plugin's
 * own, e.g. the SIM card's (sec NONE, host->ask_pin).  The next script
 * line "pin=<PIN>" answers it, "cancel" (or anything else, or no line)
 * declines.  The device-state record says whose PIN was asked and how
 * it was answered, never the PIN. */
static int dev_pin(void *user, const pdm_pin_request *rq, char *buf,
                   size_t size)
{
    cli_device *d = user;
    char *a = next_answer(d);
    char detail[300], tries[32] = "";
    const char *how;
    int rc = PDM_ECANCELLED;
    bool plugin = rq->sec == PDM_SEC_NONE &&
                  rq->struct_size >= offsetof(pdm_pin_request, tries_left) +
                                         sizeof rq->tries_left &&
                  rq->plugin;
    if (a && strncmp(a, "pin=", 4) == 0 && a[4] &&
        cli_strlcpy(buf, a + 4, size) < size)
        rc = PDM_OK;
    else if (size)
        cli_wipe(buf, size);
    how = rc == PDM_OK ? "answered" : a ? "declined" : "no answer";
    if (plugin) {
        if (rq->tries_left >= 0)
            snprintf(tries, sizeof tries, " (%d %s left)", (int)rq->tries_left,
                     rq->tries_left == 1 ? "try" : "tries");
        snprintf(detail, sizeof detail, "card PIN for %.64s%s: %s",
                 rq->plugin, tries, how);
    } else {
        snprintf(detail, sizeof detail, "SEC %u, origin %u: %s",
                 (unsigned)rq->sec, (unsigned)rq->origin, how);
    }
    cli_device_record(d, "pin", detail);
    if (a) {
        cli_wipe(a, strlen(a));
        free(a);
    }
    return rc;
}

int cli_device_init(cli_device *d, const char *ui_script,
                    const char *state_file)
{
    memset(d, 0, sizeof(*d));
    d->state_file = state_file;
    if (ui_script && !(d->script = fopen(ui_script, "r"))) {
        cli_err("cannot read UI script %s", ui_script);
        return -1;
    }
    d->hooks.struct_size = sizeof d->hooks;
    d->hooks.user = d;
    /* Identity: the profile's [device] section (info hook left NULL). */
    d->hooks.ui = ui_script ? dev_ui : NULL;
    /* The IMSI: the profile's device.imsi (network_id left NULL). */
    d->hooks.pin = ui_script ? dev_pin : NULL;
    /* Device actions are done (and recorded) unless the script says. */
    d->hooks.action = dev_action;
    d->hooks.wipe_classes = dev_wipe_classes;
    return 0;
}

void cli_device_fini(cli_device *d)
{
    if (d->script)
        fclose(d->script);
    d->script = NULL;
}
