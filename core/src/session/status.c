/*
 * pdm_rc -> SyncML status code: the single mapping table (see status.h and
 * docs/error-codes.md).
 */
#include "session/status.h"

#include <stddef.h>

#include <polydm/types.h>

static const struct {
    int rc;
    int code;
} map[] = {
    {PDM_OK, PDM_SC_OK},
    {PDM_PENDING, PDM_SC_ACCEPTED},
    {PDM_EINVAL, PDM_SC_BAD_REQUEST},
    {PDM_EPARSE, PDM_SC_BAD_REQUEST},
    {PDM_ENOTFOUND, PDM_SC_NOT_FOUND},
    {PDM_EEXISTS, PDM_SC_ALREADY_EXISTS},
    {PDM_EDENIED, PDM_SC_PERMISSION_DENIED},
    {PDM_ELOCKED, PDM_SC_PERMISSION_DENIED},
    {PDM_ENOTSUP, PDM_SC_OPTIONAL_NOT_SUPPORTED},
    {PDM_ENOTALLOWED, PDM_SC_NOT_ALLOWED},
    {PDM_ENOSPC, PDM_SC_DEVICE_FULL},
    {PDM_EFORBIDDEN, PDM_SC_FORBIDDEN},
    {PDM_ETOOLONG, PDM_SC_URI_TOO_LONG},
    {PDM_ETOOBIG, PDM_SC_TOO_LARGE},
    {PDM_EAUTH, PDM_SC_INVALID_CRED},
    {PDM_EFORMAT, PDM_SC_UNSUPPORTED_MEDIA},
    {PDM_ECANCELLED, PDM_SC_CANCELLED},
    {PDM_ETIMEOUT, PDM_SC_TIMEOUT},
    {PDM_EBUSY, PDM_SC_RETRY_LATER},
    {PDM_ESIZE, PDM_SC_SIZE_MISMATCH},
    {PDM_EIO, PDM_SC_DATA_STORE_FAILURE},
    {PDM_ECORRUPT, PDM_SC_DATA_STORE_FAILURE},
};

int pdm__status_from_rc(int rc)
{
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].rc == rc)
            return map[i].code;
    return PDM_SC_COMMAND_FAILED; /* ENOMEM, ERROR, ECOMMAND, unknown */
}

const char *pdm__status_text(int code)
{
    switch (code) {
    case 200: return "OK";
    case 202: return "Accepted for processing";
    case 212: return "Authentication accepted";
    case 213: return "Chunked item accepted";
    case 214: return "Operation cancelled";
    case 215: return "Not executed";
    case 216: return "Atomic roll back OK";
    case 304: return "Not modified";
    case 400: return "Bad request";
    case 401: return "Invalid credentials";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Command not allowed";
    case 406: return "Optional feature not supported";
    case 407: return "Missing credentials";
    case 408: return "Request timeout";
    case 412: return "Incomplete command";
    case 413: return "Request entity too large";
    case 414: return "URI too long";
    case 415: return "Unsupported media type or format";
    case 417: return "Retry later";
    case 418: return "Already exists";
    case 420: return "Device full";
    case 424: return "Size mismatch";
    case 425: return "Permission denied";
    case 500: return "Command failed";
    case 501: return "Command not implemented";
    case 505: return "DTD version not supported";
    case 507: return "Atomic failed";
    case 510: return "Data store failure";
    case 516: return "Atomic roll back failed";
    case 517: return "Atomic response too large to fit";
    }
    return "";
}
