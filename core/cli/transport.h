/*
 * HTTP(S) transport of the reference agent (libcurl with GnuTLS).
 *
 * The polydm core is sans-I/O: it hands the agent a SyncML DM message
 * (WBXML or XML bytes) and a server URL, and the agent POSTs it here.  This
 * module is the only place that talks to the network.
 *
 * Security rules that no option can weaken (DESIGN.md S7-S9):
 *  - TLS 1.2 is the minimum version; TLS 1.0/1.1 servers are refused.
 *  - The server certificate chain and the host name are always verified.
 *    A public-key pin is checked *in addition* to that, never instead.
 *  - When ca_file is given it is the only trust anchor (the system store is
 *    not consulted).
 *  - Plain http:// is refused unless the caller explicitly allows it.
 *  - HTTP redirects are never followed (a DM server moves a session with
 *    RespURI inside the protocol); only http and https are spoken.
 *  - Error messages name the server (scheme://host:port) and the reason;
 *    they never contain message bodies, credentials, hmac values or the
 *    URL's path/query.
 *
 * Two ways to use it:
 *  - pdm_http_post(): one request, one connection.
 *  - pdm_http_session_open() / _post() / _close(): a context reused across
 *    the messages of one DM session, so that the TLS connection to the same
 *    server is kept alive between packages.
 *
 * Thread safety: a session is used by one thread at a time; different
 * sessions (and pdm_http_post calls) may run in parallel.  libcurl's global
 * initialisation happens once, on first use (pthread_once); it is never
 * undone.  Signals are not used for timeouts (CURLOPT_NOSIGNAL).
 *
 * Proxies: libcurl's environment variables (https_proxy, no_proxy...) are
 * honoured, as for any libcurl program; TLS is still end-to-end.
 */
#ifndef PDM_CLI_TRANSPORT_H
#define PDM_CLI_TRANSPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <polydm/types.h>

/* Defaults applied when the corresponding field is 0. */
#define PDM_HTTP_CONNECT_TIMEOUT_MS 10000L
#define PDM_HTTP_TIMEOUT_MS 60000L
#define PDM_HTTP_RETRY_DELAY_MS 500L
#define PDM_HTTP_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
/* Limits: retries above this are refused (PDM_EINVAL); a single backoff
 * never exceeds PDM_HTTP_MAX_RETRY_DELAY_MS however often it doubled. */
#define PDM_HTTP_MAX_RETRIES 5
#define PDM_HTTP_MAX_RETRY_DELAY_MS 30000L

/** What an attempt's connection verified, for pdm_http_opts.on_connect.
 *  Borrowed for the call. */
typedef struct pdm_http_peer {
    /** Negotiated protocol, e.g. "TLS1.3"; NULL for plain HTTP. */
    const char *tls_version;
    /** The certificate chain and host name were verified (always true for
     *  a TLS connection this module made: it refuses the others). */
    bool verified;
    /** "sha256//<base64>" of the server's SubjectPublicKeyInfo (the form
     *  of a pin), or NULL for plain HTTP or when it cannot be computed. */
    const char *key_pin;
} pdm_http_peer;

/**
 * Connection options.  A zeroed struct is valid: system CA store, no client
 * certificate, no pin, https only, default timeouts, no retries.
 *
 * Strings are borrowed for the duration of the call that receives the
 * struct; a session copies what it needs, so the caller may free them
 * after pdm_http_session_open() returns.  Files are read by libcurl at
 * connection time (so a renewed certificate is picked up by the next
 * connection).  None of the strings is secret except that client_key names
 * a key file; the key itself is never read by this module.
 */
typedef struct pdm_http_opts {
    /** PEM bundle of the CAs that may sign the server certificate.  When
     *  set it is the *only* trust anchor; NULL = the system store. */
    const char *ca_file;
    /** PEM client certificate for mutual TLS (may hold the chain), or NULL
     *  for none. */
    const char *client_cert;
    /** PEM private key of client_cert (unencrypted), or NULL when the key
     *  is in the client_cert file.  Ignored without client_cert. */
    const char *client_key;
    /** Pinned server public key(s): "sha256//<base64>" entries separated
     *  by ';' (the form `certtool --pubkey-info` prints as pin-sha256:).
     *  The connection is refused unless the server key matches one entry.
     *  NULL = no pinning.  Malformed pins are refused with PDM_EINVAL. */
    const char *pin;
    /** http:// URLs are refused with PDM_EFORBIDDEN unless this is true
     *  (the profile decides; credentials then travel in clear). */
    bool allow_plain_http;
    /** TCP + TLS connection setup limit in ms; 0 = 10000.  < 0: EINVAL. */
    long connect_timeout_ms;
    /** Limit for a whole request (one attempt) in ms; 0 = 60000. */
    long timeout_ms;
    /** Extra attempts after a connection failure, a timeout, a dropped
     *  connection or an HTTP 5xx answer; 0..5 (else PDM_EINVAL).  Never
     *  retried: TLS failures (verification, pin, version, client
     *  certificate), HTTP 3xx/4xx, oversized responses, local errors.
     *  A message whose connection dropped after it was sent may reach
     *  the server twice; the DM session layer sees the same MsgID. */
    int retries;
    /** First backoff in ms, doubled before each further retry (capped at
     *  30000); 0 = 500.  < 0: EINVAL. */
    long retry_delay_ms;
    /** Largest response body accepted; a bigger one is abandoned while it
     *  is received and the call fails with PDM_ETOOBIG.  0 = 16 MiB. */
    size_t max_response;
    /** Shutdown hook, or NULL.  When *cancel becomes non-zero (e.g. from a
     *  SIGTERM handler) a request in progress is abandoned within about a
     *  second and no further attempt is started; the call fails with
     *  PDM_ECANCELLED.  Borrowed: it must outlive the session. */
    volatile sig_atomic_t *cancel;
    /** Told before each retry, or NULL: @attempt is the number of the
     *  attempt that failed (1 for the first), @why the reason with the
     *  server's scheme://host:port (the same words as the error text:
     *  never a body, credential or URL path), @delay_ms the wait before
     *  the next attempt.  Called on the caller's thread; must not call
     *  back into this session. */
    void (*on_retry)(void *user, unsigned attempt, const char *why,
                     long delay_ms);
    void *retry_user; /**< passed to on_retry */
    /** Called for every attempt once its connection (new or reused) is up
     *  and before the request is sent, with what it verified.  A non-zero
     *  return abandons the request (nothing of it is sent) and the call
     *  fails with PDM_EDENIED, not retried.  NULL = no hook. */
    int (*on_connect)(void *user, const pdm_http_peer *peer);
    void *on_connect_user;
} pdm_http_opts;

/**
 * A response.  Every field is owned by the struct and released by
 * pdm_http_resp_free().  pdm_http_post() always initialises *out first,
 * so freeing is correct after any return value.
 */
typedef struct pdm_http_resp {
    /** HTTP status of the last attempt, 0 if no HTTP answer arrived. */
    long status;
    /** Response body (malloc'd, NUL-terminated for convenience; the
     *  NUL is not counted in len), NULL when empty.  Kept for HTTP error
     *  statuses too, so a caller can look at a server's error page. */
    uint8_t *body;
    size_t len;
    /** Media type of the body without parameters, lower-case, e.g.
     *  "application/vnd.syncml.dm+wbxml"; NULL if the server sent none. */
    char *content_type;
    /** Value of the x-syncml-hmac response header (DM HMAC authentication,
     *  omadm-facts §3.2), verbatim, or NULL.  Secret-adjacent: do not log. */
    char *hmac;
    /** Negotiated protocol, e.g. "TLS1.3"; NULL for plain HTTP or when no
     *  connection was made. */
    char *tls_version;
    /** The server's key pin ("sha256//<base64>"), NULL as tls_version. */
    char *key_pin;
    /** Number of HTTP attempts made (1 + retries used); 0 if the request
     *  was refused before connecting. */
    unsigned attempts;
} pdm_http_resp;

/** Frees every field of @r and zeroes it.  NULL-safe; idempotent. */
void pdm_http_resp_free(pdm_http_resp *r);

/** A transport context: one libcurl handle and its connection cache. */
typedef struct pdm_http_session pdm_http_session;

/**
 * pdm_http_session_open() - a context for the requests of one DM session.
 * @out:   receives the session (NULL on failure); free with _close().
 * @opts:  options, copied; NULL = all defaults.
 * @err:   receives a message on failure ("" on success); may be NULL.
 *
 * Returns PDM_OK, PDM_EINVAL (an option is out of range or the pin is
 * malformed), PDM_ENOMEM or PDM_ERROR (libcurl could not be initialised,
 * or lacks a feature this module requires).
 */
int pdm_http_session_open(pdm_http_session **out, const pdm_http_opts *opts,
                          char *err, size_t errlen);

/**
 * pdm_http_session_post() - POSTs one DM message and reads the answer.
 * @s:            the session.
 * @out:          initialised here, filled as described for pdm_http_resp;
 *                the caller frees it with pdm_http_resp_free() whatever
 *                the return value.
 * @url:          http:// or https:// URL of the DM server.  May change
 *                between calls (RespURI); a connection to the same host
 *                and port is reused.
 * @body, @len:   the message, binary-safe (WBXML with NUL bytes).  @body
 *                may be NULL when @len is 0.  Borrowed for the call.
 * @content_type: Content-Type of the request, e.g.
 *                "application/vnd.syncml.dm+wbxml".  Required.
 * @hmac_header:  value for the x-syncml-hmac request header, or NULL.
 *                Never copied into messages or logs.
 * @err, @errlen: receives a one-line message on failure, "" on success;
 *                may be NULL/0.
 *
 * The request carries Content-Type, Accept (DM WBXML and XML),
 * Cache-Control: no-store and, when given, x-syncml-hmac.  HTTP/1.1 is
 * used.
 *
 * Returns PDM_OK for an HTTP 2xx answer, otherwise:
 *  - PDM_EINVAL    bad arguments (URL unparsable or not http/https,
 *                  content_type missing, CR/LF in a header value), or a
 *                  local file (CA, client certificate/key) that libcurl
 *                  could not load.
 *  - PDM_EFORBIDDEN http:// without allow_plain_http (nothing is sent);
 *                  TLS version below 1.2 offered by the server; HTTP 3xx
 *                  (a redirect, not followed); HTTP 403.
 *  - PDM_EAUTH     the server could not be authenticated (certificate not
 *                  trusted, expired, issued for another host, public key
 *                  not matching the pin) or did not accept this client
 *                  (client certificate missing or refused); HTTP 401/407.
 *  - PDM_ETIMEOUT  connection or request timed out (after the retries);
 *                  HTTP 408.
 *  - PDM_ETOOBIG   response body above max_response; HTTP 413.
 *  - PDM_EIO       connection refused, host not found, connection dropped,
 *                  other TLS failures, HTTP 5xx other than 503 (after the
 *                  retries).
 *  - PDM_EBUSY     HTTP 503 after the retries; HTTP 429.
 *  - PDM_EDENIED   opts.on_connect refused the connection.
 *  - PDM_ENOTFOUND HTTP 404;  PDM_EFORMAT HTTP 415;  PDM_EINVAL other 4xx.
 *  - PDM_ENOMEM, PDM_ERROR (unexpected libcurl failure).
 * For HTTP statuses out->status and the body are filled.
 */
int pdm_http_session_post(pdm_http_session *s, pdm_http_resp *out,
                          const char *url, const uint8_t *body, size_t len,
                          const char *content_type, const char *hmac_header,
                          char *err, size_t errlen);

/** Closes the connections and frees @s.  NULL-safe. */
void pdm_http_session_close(pdm_http_session *s);

/**
 * pdm_http_post() - one request without a session: open, post, close.
 * Arguments, results and return values as pdm_http_session_open() and
 * pdm_http_session_post().
 */
int pdm_http_post(pdm_http_resp *out, const char *url, const uint8_t *body,
                  size_t len, const char *content_type,
                  const char *hmac_header, const pdm_http_opts *opts,
                  char *err, size_t errlen);

#endif
