/*
 * pdm_strerror(): descriptions of pdm_rc values.  Compiled into libpolydm
 * and into the SDK's fake host (plugins get it through host->strerror).
 */
#include <polydm/types.h>

const char *pdm_strerror(int rc)
{
    switch (rc) {
    case PDM_OK: return "success";
    case PDM_PENDING: return "accepted, completes later";
    case PDM_ERROR: return "failure";
    case PDM_ENOMEM: return "out of memory";
    case PDM_EINVAL: return "invalid argument or value";
    case PDM_ENOTFOUND: return "not found";
    case PDM_EEXISTS: return "already exists";
    case PDM_EDENIED: return "permission denied";
    case PDM_ENOTSUP: return "not supported";
    case PDM_ENOTALLOWED: return "command not allowed";
    case PDM_ENOSPC: return "device full";
    case PDM_EABI: return "ABI version mismatch";
    case PDM_EIO: return "I/O or store error";
    case PDM_EPASSTHROUGH: return "not handled";
    case PDM_EFORBIDDEN: return "forbidden";
    case PDM_ETOOLONG: return "URI too long";
    case PDM_ETOOBIG: return "too large";
    case PDM_EAUTH: return "authentication failed";
    case PDM_EFORMAT: return "unsupported media type or format";
    case PDM_ECANCELLED: return "cancelled";
    case PDM_ETIMEOUT: return "timed out";
    case PDM_ECORRUPT: return "data corrupt or not a polydm store";
    case PDM_EBUSY: return "busy, retry later";
    case PDM_EPARSE: return "malformed input";
    case PDM_ESIZE: return "size mismatch";
    case PDM_ELOCKED: return "device is locked";
    case PDM_ENOTEMPTY: return "not empty";
    case PDM_ECOMMAND: return "command failed";
    }
    return "unknown error";
}
