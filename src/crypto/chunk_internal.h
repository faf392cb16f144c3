/* Internal pieces of chunk sealing, exposed for the tests (ctgrind, unit). */
#ifndef TL_CRYPTO_CHUNK_INTERNAL_H
#define TL_CRYPTO_CHUNK_INTERNAL_H

#include <stdint.h>

#include "tallow/chunk.h"
#include "tallow/crypto.h"

#define TL_CHUNK_AAD_LEN (TL_TRANSFER_ID_LEN + TL_CHUNK_HDR_LEN)

/* key0 = HKDF-Expand(secret, "tallow-v1 chunk key" || transfer_id, 32). */
int tl_chunk_key0(uint8_t key0[32], const uint8_t secret[32],
                  const uint8_t transfer_id[TL_TRANSFER_ID_LEN]);
/* next = HKDF-Expand(cur, "tallow-v1 chunk ratchet", 32); next != cur. */
int tl_chunk_ratchet(uint8_t next[32], const uint8_t cur[32]);
/* The 14-byte header; flags is 0 or 1. */
void tl_chunk_build_header(uint8_t hdr[TL_CHUNK_HDR_LEN], int final, uint32_t epoch,
                           uint64_t index);
/* nonce = epoch(4, BE) || index(8, BE). */
void tl_chunk_build_nonce(uint8_t nonce[TL_AEAD_NONCE_LEN], uint32_t epoch, uint64_t index);
/* aad = transfer_id || hdr. */
void tl_chunk_build_aad(uint8_t aad[TL_CHUNK_AAD_LEN],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN],
                        const uint8_t hdr[TL_CHUNK_HDR_LEN]);

#endif
