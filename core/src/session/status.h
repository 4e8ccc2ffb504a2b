/*
 * The one place where pdm_rc values become SyncML status codes (and the
 * reverse for statuses a server sends).  Plugins and the tree never pick
 * wire codes.
 */
#ifndef PDM_SESSION_STATUS_H
#define PDM_SESSION_STATUS_H

/* SyncML status codes used by the engine. */
enum {
    PDM_SC_OK = 200,
    PDM_SC_ACCEPTED = 202,
    PDM_SC_AUTH_ACCEPTED = 212,
    PDM_SC_CHUNK_ACCEPTED = 213,
    PDM_SC_CANCELLED = 214,
    PDM_SC_NOT_EXECUTED = 215,
    PDM_SC_ATOMIC_ROLLBACK_OK = 216,
    PDM_SC_NOT_MODIFIED = 304,
    PDM_SC_BAD_REQUEST = 400,
    PDM_SC_INVALID_CRED = 401,
    PDM_SC_FORBIDDEN = 403,
    PDM_SC_NOT_FOUND = 404,
    PDM_SC_NOT_ALLOWED = 405,
    PDM_SC_OPTIONAL_NOT_SUPPORTED = 406,
    PDM_SC_MISSING_CRED = 407,
    PDM_SC_TIMEOUT = 408,
    PDM_SC_INCOMPLETE = 412,
    PDM_SC_TOO_LARGE = 413,
    PDM_SC_URI_TOO_LONG = 414,
    PDM_SC_UNSUPPORTED_MEDIA = 415,
    PDM_SC_RETRY_LATER = 417,
    PDM_SC_ALREADY_EXISTS = 418,
    PDM_SC_DEVICE_FULL = 420,
    PDM_SC_SIZE_MISMATCH = 424,
    PDM_SC_PERMISSION_DENIED = 425,
    PDM_SC_COMMAND_FAILED = 500,
    PDM_SC_NOT_IMPLEMENTED = 501,
    PDM_SC_DTD_VERSION = 505,
    PDM_SC_ATOMIC_FAILED = 507,
    PDM_SC_DATA_STORE_FAILURE = 510,
    PDM_SC_ATOMIC_ROLLBACK_FAILED = 516,
    PDM_SC_ATOMIC_TOO_LARGE = 517
};

/* Status code for the result of a command. */
int pdm__status_from_rc(int rc);
/* Short text of a status code ("Not found"); "" if unknown. */
const char *pdm__status_text(int code);
/* True for 2xx codes. */
static inline int pdm__status_ok(int code) { return code >= 200 && code < 300; }

#endif
