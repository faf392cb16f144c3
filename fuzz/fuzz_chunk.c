/* libFuzzer target: the chunk frame parser/opener (include/tallow/chunk.h).
 *
 * Input: byte 0 selects the scenario, the rest is data.
 *   sel % 3 == 0: the data is a frame; open it expecting index 0 and 1.
 *             1: seal the data (up to 64 KiB) as chunk 0, open it (must
 *                round-trip), then flip the bit chosen by byte 1 and open
 *                again (must fail).
 *             2: seal one honest frame, then write the data over it at the
 *                offset in byte 1 and open: succeeds only if unchanged.
 * Invariants: no crash; a failed open zeroes its output and reports no
 * length; only authentic frames open. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tallow/chunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PLAIN 65536

static const uint8_t k_key[32] = {0x42, 1, 2, 3};
static const uint8_t k_tid[TL_TRANSFER_ID_LEN] = {7, 7, 7};
static uint8_t g_frame[MAX_PLAIN + TL_CHUNK_OVERHEAD + 1];
static uint8_t g_out[MAX_PLAIN + TL_CHUNK_OVERHEAD + 1];

static int open_frame(tl_chunk_opener *o, uint64_t idx, const uint8_t *f, size_t n)
{
    size_t olen = 7;
    int fin = 7;
    int rc = tl_chunk_open(o, idx, f, n, g_out, &olen, &fin);
    if (rc != TL_OK) {
        if (olen != 0 || fin != 0)
            abort();
        if (n >= TL_CHUNK_OVERHEAD && n - TL_CHUNK_OVERHEAD <= MAX_PLAIN)
            for (size_t i = 0; i < n - TL_CHUNK_OVERHEAD; i++)
                if (g_out[i] != 0)
                    abort();
    } else if (olen != n - TL_CHUNK_OVERHEAD || (fin != 0 && fin != 1)) {
        abort();
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_PLAIN + TL_CHUNK_OVERHEAD)
        return 0;
    tl_chunk_sealer *s = NULL;
    tl_chunk_opener *o = NULL;
    if (tl_chunk_sealer_new(&s, k_key, k_tid, 0) != TL_OK ||
        tl_chunk_opener_new(&o, k_key, k_tid) != TL_OK)
        abort();
    const uint8_t *d = data + 1;
    size_t n = size - 1, flen = 0;
    switch (data[0] % 3) {
    case 0:
        /* Forged frames never open (the key is not derivable from input). */
        if (open_frame(o, 0, d, n) == TL_OK || open_frame(o, 1, d, n) == TL_OK)
            abort();
        break;
    case 1: {
        size_t len = n > MAX_PLAIN ? MAX_PLAIN : n;
        if (tl_chunk_seal(s, 0, 0, n & 1, d, len, g_frame, &flen) != TL_OK)
            abort();
        if (open_frame(o, 0, g_frame, flen) != TL_OK || memcmp(g_out, d, len) != 0)
            abort();
        if (tl_chunk_seal(s, 0, 1, 0, d, len, g_frame, &flen) != TL_OK)
            abort();
        size_t bit = n ? (size_t)d[0] * 8 % (flen * 8) : 0;
        g_frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (open_frame(o, 1, g_frame, flen) == TL_OK)
            abort();
        break;
    }
    default: {
        static const uint8_t plain[100] = {1, 2, 3};
        uint8_t orig[100 + TL_CHUNK_OVERHEAD];
        if (tl_chunk_seal(s, 0, 0, 1, plain, sizeof(plain), g_frame, &flen) != TL_OK)
            abort();
        memcpy(orig, g_frame, flen);
        size_t off = n ? d[0] % flen : 0;
        size_t m = n > 1 ? n - 1 : 0;
        if (m > flen - off)
            m = flen - off;
        if (m)
            memcpy(g_frame + off, d + 1, m);
        int same = memcmp(orig, g_frame, flen) == 0;
        if ((open_frame(o, 0, g_frame, flen) == TL_OK) != same)
            abort();
        break;
    }
    }
    tl_chunk_sealer_free(s);
    tl_chunk_opener_free(o);
    return 0;
}
