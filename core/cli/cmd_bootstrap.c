/*
 * polydm bootstrap FILE | --scan: hand a bootstrap document (OMA CP or a
 * DM-profile message) to the core's pipeline, or scan the loaded sources
 * and the profile's factory document.  The CLI decides nothing: every
 * check is pdm_ctx_bootstrap_submit's.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "bootstrap/bootstrap_int.h"

static int bootstrap_cmd(cli *c, int argc, char **argv);

const cli_cmd cli_bootstrap_cmds[] = {
    {"bootstrap",
     "FILE [--content-type T] [--sec METHOD] [--mac HEX] [--origin O] | "
     "--scan",
     "apply a bootstrap document (OMA CP or DM profile)",
     "Hands FILE to the core's bootstrap pipeline (docs/architecture.md,\n"
     "\"Bootstrap\"): limits, SEC/MAC check, policies, placement, the\n"
     "authority's grant, one transaction, one audit row.  Prints what was\n"
     "created and the new servers waiting for their first session.\n"
     "  --content-type T  application/vnd.wap.connectivity-wbxml,\n"
     "                    text/vnd.wap.connectivity-xml,\n"
     "                    application/vnd.syncml.dm+wbxml or +xml\n"
     "                    (default: from the bytes: PROV public id 0x0B or\n"
     "                    <wap-provisioningdoc> is OMA CP, SyncML is DM)\n"
     "  --sec METHOD      NETWPIN, USERPIN, USERNETWPIN, USERPINMAC or the\n"
     "                    wire value 0..3 (default: none, unsigned)\n"
     "  --mac HEX         the MAC parameter (40 hex digits)\n"
     "  --origin O        push, file (default), factory or user\n"
     "  --scan            ask the loaded bootstrap sources and the profile's\n"
     "                    bootstrap.factory_file instead of reading FILE\n"
     "  --ui-script FILE  answers for prompts; a line pin=DIGITS answers a\n"
     "                    PIN question, the document's or a source's own\n"
     "                    (a SIM card's during --scan); cancel declines it\n"
     "  --device-state FILE  append every device action as a JSON line\n"
     "The IMSI of NETWPIN/USERNETWPIN comes from the profile's device.imsi.\n"
     "Exit 0 if applied (every offered document, for --scan), 1 if refused\n"
     "(the reason on stderr; audited), 2 usage, 3 unreadable FILE,\n"
     "4 store error.\n",
     bootstrap_cmd, true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

static int parse_origin(const char *s, uint32_t *o)
{
    static const struct {
        const char *name;
        uint32_t v;
    } t[] = {{"push", PDM_ORIGIN_PUSH},
             {"file", PDM_ORIGIN_FILE},
             {"factory", PDM_ORIGIN_FACTORY},
             {"user", PDM_ORIGIN_USER}};
    for (size_t i = 0; i < PDM__ARRAY_LEN(t); i++)
        if (strcmp(s, t[i].name) == 0) {
            *o = t[i].v;
            return 0;
        }
    return -1;
}

static void print_pending(cli *c, pdm_ctx *ctx, cli_json *j)
{
    const char *sid;
    if (j)
        cj_arr(j, "pending");
    for (size_t i = 0; (sid = pdm_ctx_bootstrap_pending(ctx, i)); i++) {
        if (j)
            cj_str(j, NULL, sid);
        else
            printf("next: a client-initiated session to %s; `polydm session "
                   "--server %s` or the agent runs it\n",
                   sid, sid);
    }
    if (j)
        cj_end_arr(j);
    (void)c;
}

static int run_scan(cli *c, pdm_ctx *ctx)
{
    size_t applied = 0, refused = 0;
    int rc = pdm_ctx_bootstrap_scan(ctx, &applied, &refused);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_int(&j, "applied", (long long)applied);
        cj_int(&j, "refused", (long long)refused);
        cj_opt(&j, "error", rc == PDM_OK ? NULL : pdm_ctx_last_error(ctx));
        print_pending(c, ctx, &j);
        cj_end_obj(&j);
        cj_finish(&j);
    } else {
        printf("scan: %zu applied, %zu refused\n", applied, refused);
        print_pending(c, ctx, NULL);
    }
    if (rc != PDM_OK)
        cli_err("bootstrap scan: %s (%s)", pdm_ctx_last_error(ctx),
                pdm_strerror(rc));
    return rc == PDM_OK ? CLI_OK : rc == PDM_EIO ? CLI_IOERR : CLI_REFUSED;
}

static int run_file(cli *c, pdm_ctx *ctx, const char *file,
                    pdm_bootstrap_input *in)
{
    pdm_bootstrap_result r;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = cli_read_file(file, 16u << 20, &data, &len);
    if (rc != PDM_OK) {
        cli_err("bootstrap: cannot read %s: %s", file, pdm_strerror(rc));
        return rc == PDM_EIO ? CLI_IOERR : CLI_BADINPUT;
    }
    if (!in->content_type && !(in->content_type = pdm__bs_sniff(data, len))) {
        cli_err("bootstrap: %s is neither an OMA CP document nor a SyncML "
                "DM message (give --content-type)", file);
        free(data);
        return CLI_BADINPUT;
    }
    in->body = data;
    in->len = len;
    in->via = file;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    rc = pdm_ctx_bootstrap_submit(ctx, in, &r);
    free(data);
    if (c->json) {
        cli_json j;
        cj_begin(&j, stdout);
        cj_obj(&j, NULL);
        cj_bool(&j, "applied", rc == PDM_OK);
        cj_str(&j, "rc", pdm_strerror(rc));
        cj_str(&j, "summary", r.summary);
        cj_str(&j, "component", r.component[0] ? r.component : NULL);
        cj_int(&j, "accounts", r.naccounts);
        print_pending(c, ctx, &j);
        cj_end_obj(&j);
        cj_finish(&j);
    } else if (rc == PDM_OK) {
        printf("applied: %s\n", r.summary);
        print_pending(c, ctx, NULL);
    }
    if (rc != PDM_OK) {
        cli_err("bootstrap refused by %s: %s (%s)",
                r.component[0] ? r.component : "core", r.summary,
                pdm_strerror(rc));
        return rc == PDM_EIO ? CLI_IOERR : CLI_REFUSED;
    }
    return CLI_OK;
}

static int bootstrap_cmd(cli *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"content-type", required_argument, NULL, 't'},
        {"sec", required_argument, NULL, 's'},
        {"mac", required_argument, NULL, 'm'},
        {"origin", required_argument, NULL, 'o'},
        {"scan", no_argument, NULL, 'S'},
        {"ui-script", required_argument, NULL, 'u'},
        {"device-state", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const cli_cmd *cmd = &cli_bootstrap_cmds[0];
    const char *ui_script = NULL, *state = NULL;
    pdm_bootstrap_input in;
    bool scan = false;
    cli_device dev;
    pdm_ctx *ctx;
    int opt, sec, ex;

    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.origin = PDM_ORIGIN_FILE;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case 't': in.content_type = optarg; break;
        case 's':
            if (pdm__secmac_sec_parse(optarg, &sec) != PDM_OK) {
                cli_err("bootstrap: --sec '%s' is not NETWPIN, USERPIN, "
                        "USERNETWPIN, USERPINMAC or 0..3", optarg);
                return CLI_USAGE;
            }
            in.sec = (uint32_t)sec;
            break;
        case 'm': in.mac_hex = optarg; break;
        case 'o':
            if (parse_origin(optarg, &in.origin) != 0) {
                cli_err("bootstrap: --origin '%s' is not push, file, factory "
                        "or user", optarg);
                return CLI_USAGE;
            }
            break;
        case 'S': scan = true; break;
        case 'u': ui_script = optarg; break;
        case 'd': state = optarg; break;
        case 'h': cli_cmd_help(cmd, stdout); return CLI_OK;
        default:
            cli_bad_option(cmd, argv[optind - 1], lo);
            return CLI_USAGE;
        }
    }
    if (scan ? optind != argc : optind + 1 != argc) {
        cli_err(scan ? "bootstrap: --scan takes no FILE"
                     : "bootstrap: expected one FILE (or --scan)");
        return CLI_USAGE;
    }
    if (scan && (in.content_type || in.sec || in.mac_hex)) {
        cli_err("bootstrap: --scan takes no --content-type, --sec or --mac");
        return CLI_USAGE;
    }
    if (cli_device_init(&dev, ui_script, state) != 0)
        return CLI_BADINPUT;
    c->hooks = &dev.hooks;
    if ((ex = cli_open(c, &ctx, 0)) != CLI_OK) {
        cli_device_fini(&dev);
        return ex;
    }
    ex = scan ? run_scan(c, ctx) : run_file(c, ctx, argv[optind], &in);
    pdm_ctx_close(ctx);
    cli_device_fini(&dev);
    return ex;
}
