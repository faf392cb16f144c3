/* tallow tests — a tl_hs_config.rng that draws real randomness and records
 * every byte, so a test knows exactly what one side of a handshake drew
 * (hs_transcript for the browser re-implementation, test_handshake for the
 * attacker's view of the PAKE). */
#ifndef TL_TEST_HS_TAPE_H
#define TL_TEST_HS_TAPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tallow/crypto.h"

struct tape {
    uint8_t bytes[256];
    size_t len;
};

static inline int tape_rng(void *ctx, uint8_t *buf, size_t len)
{
    struct tape *t = ctx;
    if (t->len + len > sizeof(t->bytes) || tl_random(buf, len) != TL_OK)
        return -1;
    memcpy(t->bytes + t->len, buf, len);
    t->len += len;
    return 0;
}

#endif
