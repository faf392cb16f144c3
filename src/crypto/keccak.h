/* tallow — Keccak-f[1600], SHA3-256/512 and SHAKE128/256 (FIPS 202).
 *
 * Internal to libtallow (used by ML-KEM). We own this code rather than use
 * OpenSSL's because OpenSSL 3.0's EVP_DigestFinalXOF can be called only once
 * per context: it cannot squeeze a SHAKE128 stream block by block, which the
 * ML-KEM matrix sampling needs (it reads an unknown number of 168-byte blocks),
 * and the EVP call overhead would dominate the ~100 permutations one ML-KEM
 * operation needs. OpenSSL 3.3+ adds EVP_DigestSqueeze; this module keeps the
 * library independent of that.
 *
 * Nothing here branches on or indexes by data: the only branches depend on
 * lengths, which are public. Contexts hold secret state when fed secrets;
 * callers wipe them with tl_keccak_wipe(). */
#ifndef TL_CRYPTO_KECCAK_H
#define TL_CRYPTO_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define TL_SHAKE128_RATE 168
#define TL_SHAKE256_RATE 136
#define TL_SHA3_256_RATE 136
#define TL_SHA3_512_RATE 72

/* An incremental sponge. `pos` is the byte offset inside the current block:
 * while absorbing, bytes already XORed in; while squeezing, bytes already
 * handed out. */
typedef struct tl_keccak_ctx {
    uint64_t s[25];
    unsigned rate; /* bytes */
    unsigned pos;
    uint8_t dsbyte; /* domain separation + first pad bit: 0x06 SHA3, 0x1f SHAKE */
    uint8_t squeezing;
} tl_keccak_ctx;

/* The permutation itself, on 25 lanes in host order (lane i = x + 5y). */
void tl_keccak_f1600(uint64_t s[25]);

/* One-shot hashes. Inputs and outputs may not overlap. */
void tl_sha3_256(uint8_t out[32], const uint8_t *in, size_t inlen);
void tl_sha3_512(uint8_t out[64], const uint8_t *in, size_t inlen);
void tl_shake128(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen);
void tl_shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen);

/* Incremental SHAKE: init, absorb any number of times, then squeeze any
 * number of times (absorbing after the first squeeze is a contract
 * violation). tl_shake*_squeezeblocks() requires that no partial block has
 * been squeezed yet, and writes nblocks full rate-sized blocks. */
void tl_shake128_init(tl_keccak_ctx *ctx);
void tl_shake256_init(tl_keccak_ctx *ctx);
void tl_keccak_absorb(tl_keccak_ctx *ctx, const uint8_t *in, size_t inlen);
void tl_keccak_squeeze(tl_keccak_ctx *ctx, uint8_t *out, size_t outlen);
void tl_keccak_squeezeblocks(tl_keccak_ctx *ctx, uint8_t *out, size_t nblocks);

/* Zeroes the context (OPENSSL_cleanse). */
void tl_keccak_wipe(tl_keccak_ctx *ctx);

#endif
