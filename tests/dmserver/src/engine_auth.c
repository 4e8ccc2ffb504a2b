/*
 * The client's credentials for each message: basic, MD5 digest with the
 * nonce we issued, or HMAC over the exact body (x-syncml-hmac), judged
 * with the server's own formulas (dmsauth.c, never the client's).  The
 * verdict (authres) gives the SyncHdr status, the challenge and the next
 * nonce; scripted challenges and `auth-fails` are followed here.
 */
#include "engine_int.h"

#include <ctype.h>

#include "dmsauth.h"

/* ---- client authentication --------------------------------------------------- */

void fresh_nonce(dms_engine *e, sess *s, authres *r)
{
    dms_random(r->nonce, 16);
    r->nlen = 16;
    memcpy(s->cnonce, r->nonce, r->nlen);
    s->cnonce_len = r->nlen;
    var_set_b64(e, "client-nonce", s->cnonce, s->cnonce_len);
}

static void auth_fail(dms_engine *e, sess *s, authres *r, int code,
                      const char *why)
{
    r->failed = true;
    r->code = code;
    r->chal_type = s->cauth;
    r->why = why;
    if (s->cauth == SC_AUTH_MD5 || s->cauth == SC_AUTH_HMAC)
        fresh_nonce(e, s, r);
}

void authenticate(dms_engine *e, sess *s, const pdm__el *hdr,
                  const dms_request *req, authres *r)
{
    const sc_auth *ca = &e->sc->client_auth;
    const pdm__el *cred = pdm__el_child(hdr, PDM_TAG_CRED);
    memset(r, 0, sizeof *r);
    r->code = 200;
    if (s->cauth == SC_AUTH_NONE)
        return;
    if (s->cauth == SC_AUTH_HMAC) {
        char user[256], mac[64], err[200];
        if (!req->hmac) {
            auth_fail(e, s, r, 407, "no x-syncml-hmac header");
            return;
        }
        if (dms_hmac_header_parse(req->hmac, user, sizeof user, mac,
                                  sizeof mac, err, sizeof err) != 0) {
            auth_fail(e, s, r, 401, "malformed x-syncml-hmac header");
            return;
        }
        if (strcmp(user, ca->user) != 0) {
            auth_fail(e, s, r, 401, "x-syncml-hmac username is not the "
                      "account's");
            return;
        }
        if (!dms_auth_mac_ok(ca->user, ca->password, s->cnonce,
                             s->cnonce_len, req->body, req->len, mac)) {
            auth_fail(e, s, r, 401, "x-syncml-hmac mac does not match the "
                      "body (wrong password or nonce)");
            return;
        }
        /* HMAC: 200 on every message, with a new nonce every time */
        s->cauthed = true;
        r->code = 200;
        r->chal_type = SC_AUTH_HMAC;
        fresh_nonce(e, s, r);
        return;
    }
    if (!cred) {
        if (s->cauthed && !e->sc->auth_per_message) {
            r->code = 200;
            return;
        }
        auth_fail(e, s, r, 407, "no credentials");
        return;
    }
    {
        const char *type = sml_meta(cred, PDM_TAG_MI_TYPE);
        const char *data = pdm__el_child_text(cred, PDM_TAG_DATA);
        int t = sc_auth_from_meta_type(type);
        bool ok = false;
        if (t != s->cauth) {
            auth_fail(e, s, r, 401, "credentials of another type than "
                      "challenged/configured");
            return;
        }
        if (!data) {
            auth_fail(e, s, r, 401, "Cred without Data");
            return;
        }
        if (t == SC_AUTH_BASIC) {
            pdm__buf b;
            size_t n = strlen(data);
            const char *p = data;
            while (n && isspace((unsigned char)p[n - 1]))
                n--;
            while (n && isspace((unsigned char)*p)) {
                p++;
                n--;
            }
            pdm__buf_init(&b);
            dms_auth_basic(ca->user, ca->password, &b);
            ok = b.data && b.len == n && memcmp(b.data, p, n) == 0;
            pdm__buf_free(&b);
        } else {
            const char *ln = sml_path_text(hdr, PDM_TAG_SOURCE,
                                           PDM_TAG_LOCNAME, 0);
            if (ln && strcmp(ln, ca->user) != 0) {
                auth_fail(e, s, r, 401, "Source/LocName is not the account's "
                          "user name");
                return;
            }
            ok = dms_auth_md5_ok(ca->user, ca->password, s->cnonce,
                                 s->cnonce_len, data, strlen(data));
        }
        if (!ok) {
            auth_fail(e, s, r, 401, t == SC_AUTH_MD5
                                        ? "wrong MD5 digest (password or "
                                          "nonce)"
                                        : "wrong user name or password");
            return;
        }
        s->cauthed = true;
        if (e->sc->auth_per_message) {
            r->code = 200;
            if (t == SC_AUTH_MD5) {
                r->chal_type = SC_AUTH_MD5;
                fresh_nonce(e, s, r);
            }
        } else {
            r->code = 212;
            if (t == SC_AUTH_MD5 && ca->next_nonce) {
                uint8_t *nn = NULL;
                size_t nl = 0;
                eval_data(e, &e->ra, ca->next_nonce, ca->line, &nn, &nl);
                if (nl <= NONCE_MAX) {
                    memcpy(r->nonce, nn, nl);
                    r->nlen = nl;
                    r->chal_type = SC_AUTH_MD5;
                }
            }
        }
    }
}
