/* tallow — per-chunk AES-256-GCM sealing with a one-way key ratchet.
 *
 * A sealed chunk is a self-describing frame:
 *   u8 version | u8 flags (bit0 = final chunk) | u32 epoch | u64 index |
 *   ciphertext | 16-byte tag          (integers big-endian)
 * Nonce = 4-byte zero || epoch(4) ... derived so that (epoch, index) never
 * repeats under one key; the associated data binds transfer id, epoch, index
 * and the final flag (docs/CRYPTO.md). The epoch key ratchets one way:
 * key[e+1] = HKDF-Expand(key[e], "tallow chunk ratchet"), old keys wiped.
 * The sealer moves to the next epoch at least every TL_CHUNK_ROTATE_MS and
 * every TL_CHUNK_ROTATE_CHUNKS chunks; the opener follows the epoch in the
 * frame forward only (never back), so old epochs cannot be replayed. */
#ifndef TALLOW_CHUNK_H
#define TALLOW_CHUNK_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TL_CHUNK_HDR_LEN 14
#define TL_CHUNK_TAG_LEN 16
#define TL_CHUNK_OVERHEAD (TL_CHUNK_HDR_LEN + TL_CHUNK_TAG_LEN)
#define TL_CHUNK_MAX_PLAIN (1u << 20)
#define TL_TRANSFER_ID_LEN 16
#define TL_CHUNK_ROTATE_MS (5u * 60u * 1000u)
#define TL_CHUNK_ROTATE_CHUNKS (1u << 20)

typedef struct tl_chunk_sealer tl_chunk_sealer;
typedef struct tl_chunk_opener tl_chunk_opener;

/* key: a traffic secret from tl_hs_session_keys() (copied). now_ms: the
 * caller's clock, for the time-based rotation. Return TL_OK, TL_ERR_NOMEM,
 * TL_ERR_CRYPTO. */
int tl_chunk_sealer_new(tl_chunk_sealer **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN], uint64_t now_ms);
int tl_chunk_opener_new(tl_chunk_opener **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN]);
void tl_chunk_sealer_free(tl_chunk_sealer *s); /* wipes keys */
void tl_chunk_opener_free(tl_chunk_opener *o); /* wipes keys */

/* Seals plaintext chunk number index. out must hold len + TL_CHUNK_OVERHEAD.
 * Rotates first when due at now_ms. Returns TL_OK, TL_ERR_TOO_BIG,
 * TL_ERR_CRYPTO. */
int tl_chunk_seal(tl_chunk_sealer *s, uint64_t now_ms, uint64_t index, int final,
                  const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len);

/* Opens a frame. expected_index: the index the caller expects (frames are
 * delivered in order on a reliable channel; a different index is a reorder or
 * replay). out must hold frame_len - TL_CHUNK_OVERHEAD. *final receives the
 * flag. Returns TL_OK, TL_ERR_PARSE (short frame, bad version), TL_ERR_REPLAY
 * (index or epoch not the expected one), TL_ERR_AUTH (tag mismatch: tampered or
 * from another transfer). out is zeroed on failure. */
int tl_chunk_open(tl_chunk_opener *o, uint64_t expected_index, const uint8_t *frame,
                  size_t frame_len, uint8_t *out, size_t *out_len, int *final);

/* Current epoch (for tests and stats). */
uint32_t tl_chunk_sealer_epoch(const tl_chunk_sealer *s);
uint32_t tl_chunk_opener_epoch(const tl_chunk_opener *o);

#ifdef __cplusplus
}
#endif
#endif
