/*
 * Fuzz target for core/src/auth/pkg0.c: the input is one package 0 (the
 * body of a WAP push or UDP notification).  Besides memory safety it checks:
 *  - a failed parse leaves a zeroed result and an error text;
 *  - a parsed package obeys the documented rules (version 11/12, session id
 *    not 0, visible-ASCII server id, trigger/vendor inside the input);
 *  - the SessionID string is 1-4 upper-case hex digits of the session id;
 *  - verify never crashes, with every resync flag;
 *  - build from the parsed fields reproduces the trigger byte for byte, and
 *    its digest verifies with the stored nonce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t nonce[] = {'n', 'o', 'n', 'c', 'e'};
    pdm__pkg0 p;
    char err[160] = "";
    char sid[5];
    unsigned which = 99;
    size_t idlen;
    pdm__buf b;
    int rc;

    rc = pdm__pkg0_parse(&p, data, size, err, sizeof err);
    if (rc != PDM_OK) {
        CHECK(rc == PDM_EPARSE || rc == PDM_ENOTSUP);
        CHECK(strncmp(err, "pkg0: ", 6) == 0);
        CHECK(p.trigger == NULL && p.server_id[0] == 0);
        return 0;
    }
    CHECK(p.version == 11 || p.version == 12);
    CHECK(p.session_id != 0 && p.ui_mode <= 3 && p.initiator <= 1);
    idlen = strlen(p.server_id);
    CHECK(idlen >= 1 && idlen <= 255);
    for (size_t i = 0; i < idlen; i++)
        CHECK(p.server_id[i] > 0x20 && p.server_id[i] < 0x7F);
    CHECK(p.trigger == data + PDM__MD5_LEN && p.trigger_len == size - 16);
    CHECK(p.vendor == data + 24 + idlen && p.vendor_len == size - 24 - idlen);

    pdm__pkg0_session_id_str(p.session_id, sid);
    CHECK(strlen(sid) >= 1 && strlen(sid) <= 4);
    CHECK(strtoul(sid, NULL, 16) == p.session_id);
    for (const char *s = sid; *s; s++)
        CHECK((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F'));
    CHECK(sid[0] != '0');

    rc = pdm__pkg0_verify(&p, "secret", nonce, sizeof nonce,
                          PDM__PKG0_RESYNC | PDM__PKG0_RESYNC_B64TEXT, &which);
    CHECK(rc == PDM_OK || rc == PDM_EAUTH);
    if (rc == PDM_OK)
        CHECK(which <= PDM__PKG0_NONCE_B64TEXT);

    pdm__buf_init(&b);
    CHECK(pdm__pkg0_build(&p, "pw", nonce, sizeof nonce, &b) == PDM_OK);
    CHECK(b.len == size);
    CHECK(memcmp(b.data + 16, data + 16, size - 16) == 0);
    {
        pdm__pkg0 q;
        CHECK(pdm__pkg0_parse(&q, b.data, b.len, NULL, 0) == PDM_OK);
        which = 99;
        CHECK(pdm__pkg0_verify(&q, "pw", nonce, sizeof nonce, 0, &which) ==
              PDM_OK);
        CHECK(which == PDM__PKG0_NONCE_STORED);
    }
    pdm__buf_free(&b);
    return 0;
}
