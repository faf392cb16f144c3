/* tallow — per-chunk AES-256-GCM sealing with a one-way key ratchet.
 *
 * A sealed chunk is a self-describing frame (integers big-endian):
 *   u8 version (1) | u8 flags (bit0 = final chunk, others 0) | u32 epoch |
 *   u64 index | ciphertext | 16-byte tag
 * Keys: key[0] = HKDF-Expand(traffic secret, "tallow-v1 chunk key" ||
 * transfer id, 32), so every transfer id has its own key chain; then the
 * one-way ratchet key[e+1] = HKDF-Expand(key[e], "tallow-v1 chunk ratchet",
 * 32), old keys wiped at once. Nonce = epoch(4) || index(8). Associated data =
 * transfer id(16) || the 14-byte frame header, so transfer, epoch, index and
 * final flag are all authenticated (docs/CRYPTO.md).
 *
 * Nonce uniqueness: the sealer never uses an (epoch, index) pair twice. It
 * moves to the next epoch when TL_CHUNK_ROTATE_MS have passed since the epoch
 * began, after TL_CHUNK_ROTATE_CHUNKS chunks or TL_CHUNK_ROTATE_BYTES bytes in
 * the epoch, and whenever the caller seals an index not greater than the last
 * one sealed in the current epoch (a resend gets a fresh epoch). The caller
 * must use each transfer id with at most one sealer per traffic secret (use
 * 16 random bytes).
 *
 * The opener follows the epoch in the frame forward only (never back, at most
 * TL_CHUNK_MAX_EPOCH_SKIP at a time), and only once a frame of the new epoch
 * has authenticated, so a forged frame cannot move it. */
#ifndef TALLOW_CHUNK_H
#define TALLOW_CHUNK_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

#define TL_CHUNK_HDR_LEN 14
#define TL_CHUNK_TAG_LEN 16
#define TL_CHUNK_OVERHEAD (TL_CHUNK_HDR_LEN + TL_CHUNK_TAG_LEN)
#define TL_CHUNK_MAX_PLAIN (1u << 20)
#define TL_TRANSFER_ID_LEN 16
#define TL_CHUNK_ROTATE_MS (5u * 60u * 1000u)
#define TL_CHUNK_ROTATE_CHUNKS (1u << 20)
#define TL_CHUNK_ROTATE_BYTES ((uint64_t)1 << 34) /* 16 GiB = 2^30 AES blocks */
#define TL_CHUNK_MAX_EPOCH_SKIP 64u
#define TL_CHUNK_VERSION 1

typedef struct tl_chunk_sealer tl_chunk_sealer;
typedef struct tl_chunk_opener tl_chunk_opener;

/* key: a traffic secret from tl_hs_session_keys() (send for the sealer, recv
 * for the opener; only the derived chunk key is kept). now_ms: the caller's
 * monotonic clock in ms, for the time-based rotation. Return TL_OK,
 * TL_ERR_NOMEM, TL_ERR_CRYPTO. */
int tl_chunk_sealer_new(tl_chunk_sealer **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN], uint64_t now_ms);
int tl_chunk_opener_new(tl_chunk_opener **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN]);
void tl_chunk_sealer_free(tl_chunk_sealer *s); /* wipes keys */
void tl_chunk_opener_free(tl_chunk_opener *o); /* wipes keys */

/* Seals plaintext chunk number index. out must hold len + TL_CHUNK_OVERHEAD
 * and may not overlap plain. Rotates first when due at now_ms (see above).
 * Returns TL_OK, TL_ERR_TOO_BIG (len > TL_CHUNK_MAX_PLAIN), TL_ERR_LIMIT
 * (epoch counter exhausted: 2^32 epochs), TL_ERR_CRYPTO. */
int tl_chunk_seal(tl_chunk_sealer *s, uint64_t now_ms, uint64_t index, int final,
                  const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len);

/* Opens a frame. expected_index: the index the caller expects (frames are
 * delivered in order on a reliable channel; a different index is a reorder or
 * replay). out must hold frame_len - TL_CHUNK_OVERHEAD and may not overlap
 * frame. *final receives the flag. Returns TL_OK, TL_ERR_PARSE (short or
 * oversized frame, bad version, reserved flag bits), TL_ERR_REPLAY (index not
 * the expected one, or an epoch older than the current one), TL_ERR_PROTO
 * (epoch more than TL_CHUNK_MAX_EPOCH_SKIP ahead), TL_ERR_AUTH (tag mismatch:
 * tampered, wrong final flag, or from another transfer or key). On failure
 * out is zeroed and the opener's state is unchanged, so the caller may
 * decide; tallow's transfer protocol treats any failure as fatal. */
int tl_chunk_open(tl_chunk_opener *o, uint64_t expected_index, const uint8_t *frame,
                  size_t frame_len, uint8_t *out, size_t *out_len, int *final);

/* Current epoch (for tests and stats). */
uint32_t tl_chunk_sealer_epoch(const tl_chunk_sealer *s);
uint32_t tl_chunk_opener_epoch(const tl_chunk_opener *o);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
