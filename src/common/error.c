/* Error strings and library-owned memory release. */
#include <stdlib.h>

#include "tallow/common.h"

const char *tl_strerror(int err)
{
    switch (err) {
    case TL_OK:
        return "success";
    case TL_ERR_INVALID_ARG:
        return "invalid argument";
    case TL_ERR_NOMEM:
        return "out of memory";
    case TL_ERR_PROTO:
        return "protocol violation by the peer";
    case TL_ERR_AUTH:
        return "authentication failed";
    case TL_ERR_STATE:
        return "operation not valid in the current state";
    case TL_ERR_IO:
        return "I/O error";
    case TL_ERR_CLOSED:
        return "closed";
    case TL_ERR_AGAIN:
        return "would block, try again later";
    case TL_ERR_TOO_BIG:
        return "too big";
    case TL_ERR_NOT_FOUND:
        return "not found";
    case TL_ERR_TIMEOUT:
        return "timed out";
    case TL_ERR_CRYPTO:
        return "crypto library failure";
    case TL_ERR_REPLAY:
        return "replayed message";
    case TL_ERR_UNSUPPORTED:
        return "not supported";
    case TL_ERR_PARSE:
        return "malformed input";
    case TL_ERR_LIMIT:
        return "limit exceeded";
    case TL_ERR_NOSPACE:
        return "no space left on device";
    case TL_ERR_PERM:
        return "permission denied";
    case TL_ERR_EXISTS:
        return "file exists";
    case TL_ERR_CANCELED:
        return "cancelled";
    case TL_ERR_INTERNAL:
        return "internal error";
    case TL_ERR_STALLED:
        return "peer stalled";
    case TL_ERR_IDENTITY:
        return "the peer is not the sender this code belongs to";
    default:
        return "unknown error";
    }
}

void tl_free(void *p)
{
    free(p);
}
