/*
 * Fuzz target for core/src/auth/wsp.c (WSP push PDUs, the agent's UDP
 * intake) and, on the same bytes taken as text, for the other transport
 * input parsers of core/src/auth: the x-syncml-hmac header value and
 * base64.  Besides memory safety it checks:
 *  - a failed WSP parse leaves no body and an error text;
 *  - a parsed PDU has its body at the end of the input, a SEC in range and
 *    printable texts; build -> parse reproduces every field;
 *  - a DM notification's body goes through the pkg0 parser;
 *  - an accepted x-syncml-hmac value has a non-empty username and base64
 *    mac, and build -> parse gives them back;
 *  - decoded base64 re-encodes and decodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <polydm/bootstrap.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static void check_text(const char *s)
{
    for (; *s; s++)
        CHECK(*s >= 0x20 && *s <= 0x7E);
}

static void fuzz_push(const uint8_t *data, size_t size)
{
    pdm__wsp_push w, w2;
    char err[160] = "";
    pdm__buf b;
    int rc = pdm__wsp_push_parse(data, size, &w, err, sizeof err);

    if (rc != PDM_OK) {
        CHECK(rc == PDM_EPARSE || rc == PDM_ENOTSUP);
        CHECK(strncmp(err, "WSP push: ", 10) == 0);
        CHECK(w.body == NULL && w.body_len == 0);
        return;
    }
    CHECK(w.pdu_type == PDM__WSP_PDU_PUSH);
    CHECK(w.body >= data && w.body + w.body_len == data + size);
    CHECK(w.sec >= PDM_SEC_NONE && w.sec <= PDM_SEC_USERPINMAC);
    check_text(w.content_type);
    check_text(w.mac);
    check_text(w.app_id);
    if (pdm__wsp_push_is_dm_notification(&w)) {
        pdm__pkg0 p;
        (void)pdm__pkg0_parse(&p, w.body, w.body_len, NULL, 0);
    }
    if (w.ct_code > 127 || (w.ct_code < 0 && !w.content_type[0]))
        return; /* long-integer content types are read, never written */
    pdm__buf_init(&b);
    CHECK(pdm__wsp_push_build(&w, &b, NULL, 0) == PDM_OK);
    CHECK(pdm__wsp_push_parse(b.data, b.len, &w2, err, sizeof err) == PDM_OK);
    CHECK(w2.tid == w.tid && w2.ct_code == w.ct_code && w2.sec == w.sec);
    if (w.ct_code < 0)
        CHECK(strcmp(w2.content_type, w.content_type) == 0);
    CHECK(strcmp(w2.mac, w.mac) == 0);
    CHECK(w2.app_id_code == w.app_id_code);
    CHECK(strcmp(w2.app_id, w.app_id) == 0);
    CHECK(w2.body_len == w.body_len);
    CHECK(w.body_len == 0 || memcmp(w2.body, w.body, w.body_len) == 0);
    pdm__buf_free(&b);
}

static void fuzz_hmac_header(const char *text, size_t size)
{
    pdm__auth_hmac_hdr h, h2;
    pdm__buf b;
    char err[160] = "";
    int rc = pdm__auth_hmac_header_parse(text, size, &h, err, sizeof err);
    if (rc != PDM_OK) {
        CHECK(rc == PDM_EPARSE || rc == PDM_ENOTSUP);
        CHECK(strncmp(err, "x-syncml-hmac: ", 15) == 0);
        return;
    }
    CHECK(strcmp(h.algorithm, "MD5") == 0 && h.username[0] && h.mac[0]);
    pdm__buf_init(&b);
    CHECK(pdm__auth_hmac_header_build(h.username, h.mac, &b) == PDM_OK);
    CHECK(pdm__auth_hmac_header_parse((const char *)b.data, b.len, &h2, NULL,
                                      0) == PDM_OK);
    CHECK(strcmp(h.username, h2.username) == 0);
    CHECK(strcmp(h.mac, h2.mac) == 0);
    pdm__buf_free(&b);
    /* never authenticates with a wrong secret */
    (void)pdm__auth_hmac_verify(h.username, "pw", NULL, 0, text, size, h.mac);
}

static void fuzz_b64(const char *text, size_t size)
{
    uint8_t *out, *back;
    size_t n, n2;
    pdm__buf b;
    if (pdm__b64_decode(text, size, &out, &n) != PDM_OK)
        return;
    pdm__buf_init(&b);
    CHECK(pdm__b64_encode(out, n, &b) == PDM_OK);
    CHECK(pdm__b64_decode((const char *)b.data, b.len, &back, &n2) == PDM_OK);
    CHECK(n2 == n && memcmp(back, out, n) == 0);
    pdm__free(back);
    pdm__free(out);
    pdm__buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_push(data, size);
    fuzz_hmac_header((const char *)data, size);
    fuzz_b64((const char *)data, size);
    return 0;
}
