/* libFuzzer: transfer frame codec, manifest codec and a receiver fed raw
 * messages. The first byte selects the target:
 *   0: tl_frame_decode; a decoded frame must re-encode to the same bytes.
 *   1: tl_xfer_manifest_decode; a decoded manifest must re-encode to the
 *      same bytes and every path must pass tl_name_check.
 *   2: a receiver state machine fed messages (u16 length-prefixed). */
#include "transfer/frames.h"

#include <stdlib.h>
#include <string.h>

static void frames(const uint8_t *d, size_t n)
{
    tl_frame f;
    if (tl_frame_decode(d, n, &f) != TL_OK)
        return;
    uint8_t *out = malloc(n);
    size_t m = 0;
    if (!out || tl_frame_encode(&f, out, n, &m) != TL_OK || m != n || memcmp(out, d, n) != 0)
        abort();
    free(out);
}

static void manifest(const uint8_t *d, size_t n)
{
    tl_xfer_manifest *m;
    if (tl_xfer_manifest_decode(d, n, &m) != TL_OK)
        return;
    for (uint32_t i = 0; i < m->count; i++)
        if (tl_name_check(m->entries[i].path, strlen(m->entries[i].path)) != TL_OK)
            abort();
    uint8_t *b;
    size_t len;
    if (tl_xfer_manifest_encode(m, &b, &len) != TL_OK || len != n || memcmp(b, d, n) != 0)
        abort();
    tl_free(b);
    tl_xfer_manifest_free(m);
}

static void receiver(const uint8_t *d, size_t n)
{
    static const uint8_t gid[] = "fuzz";
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = 4;
    memset(cfg.hs.remote_fp, 1, 32);
    tl_xfer_receiver *r;
    if (tl_xfer_receiver_new(&r, &cfg) != TL_OK)
        return;
    uint64_t now = 1;
    tl_xfer_receiver_start(r, now);
    while (n >= 2) {
        size_t len = (size_t)(d[0] << 8 | d[1]);
        d += 2;
        n -= 2;
        if (len > n)
            len = n;
        tl_xfer_receiver_recv(r, ++now, d, len);
        tl_xfer_action a;
        for (int i = 0; i < 64; i++) {
            if (tl_xfer_receiver_poll(r, now, 1, &a) != TL_OK || a.type == TL_XFER_ACT_NONE)
                break;
        }
        d += len;
        n -= len;
    }
    tl_xfer_receiver_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        frames(data + 1, size - 1);
        break;
    case 1:
        manifest(data + 1, size - 1);
        break;
    default:
        receiver(data + 1, size - 1);
        break;
    }
    return 0;
}
