/* tallow — the real crypto behind tl_xfer_crypto: handshake.h + chunk.h. */
#include "tallow/transfer.h"

static int hs_new(void **hs, const tl_hs_config *cfg)
{
    return tl_hs_new((tl_hs **)hs, cfg);
}
static void hs_free(void *hs)
{
    tl_hs_free(hs);
}
static int hs_start(void *hs, uint8_t *out, size_t cap, size_t *out_len)
{
    return tl_hs_start(hs, out, cap, out_len);
}
static int hs_recv(void *hs, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                   size_t *out_len)
{
    return tl_hs_recv(hs, in, in_len, out, cap, out_len);
}
static int hs_is_done(const void *hs)
{
    return tl_hs_is_done(hs);
}
static int hs_sas(const void *hs, char out[TL_HS_SAS_LEN])
{
    return tl_hs_sas(hs, out);
}
static int hs_keys(const void *hs, tl_session_keys *out)
{
    return tl_hs_session_keys(hs, out);
}
static int hs_peer_id(const void *hs, uint8_t out[TL_HS_IDENTITY_LEN])
{
    return tl_hs_peer_identity(hs, out);
}
static int sealer_new(void **s, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN],
                      uint64_t now)
{
    return tl_chunk_sealer_new((tl_chunk_sealer **)s, key, tid, now);
}
static void sealer_free(void *s)
{
    tl_chunk_sealer_free(s);
}
static int seal(void *s, uint64_t now, uint64_t index, int final, const uint8_t *plain, size_t len,
                uint8_t *out, size_t *out_len)
{
    return tl_chunk_seal(s, now, index, final, plain, len, out, out_len);
}
static int opener_new(void **o, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN])
{
    return tl_chunk_opener_new((tl_chunk_opener **)o, key, tid);
}
static void opener_free(void *o)
{
    tl_chunk_opener_free(o);
}
static int open_frame(void *o, uint64_t expected, const uint8_t *frame, size_t frame_len,
                      uint8_t *out, size_t *out_len, int *final)
{
    return tl_chunk_open(o, expected, frame, frame_len, out, out_len, final);
}

static const tl_xfer_crypto real_crypto = {
    .hs_new = hs_new,
    .hs_free = hs_free,
    .hs_start = hs_start,
    .hs_recv = hs_recv,
    .hs_is_done = hs_is_done,
    .hs_sas = hs_sas,
    .hs_session_keys = hs_keys,
    .hs_peer_identity = hs_peer_id,
    .sealer_new = sealer_new,
    .sealer_free = sealer_free,
    .seal = seal,
    .opener_new = opener_new,
    .opener_free = opener_free,
    .open = open_frame,
};

const tl_xfer_crypto *tl_xfer_crypto_default(void)
{
    return &real_crypto;
}
