/* tallow — cryptographic primitives through OpenSSL 3 (EVP).
 *
 * X25519 (RFC 7748), HKDF-SHA256 (RFC 5869), HMAC-SHA256, SHA-256,
 * AES-GCM (128/192/256-bit keys, 96-bit nonces, 128-bit tags), OS randomness,
 * a constant-time compare and a wipe. Every function is safe to call from any
 * thread; handles (tl_sha256_ctx, tl_aead) belong to one thread at a time.
 *
 * Contracts that hold for every function here:
 *  - output buffers may not overlap inputs unless stated;
 *  - on failure, secret outputs (shared secrets, keys, plaintext) are zeroed;
 *  - caller-owned secret inputs are not wiped (the caller owns them), but
 *    every intermediate secret is wiped before return. */
#ifndef TALLOW_CRYPTO_H
#define TALLOW_CRYPTO_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

#define TL_X25519_LEN 32
#define TL_SHA256_LEN 32
#define TL_HKDF_MAX_OKM (255u * TL_SHA256_LEN)
#define TL_AEAD_NONCE_LEN 12
#define TL_AEAD_TAG_LEN 16
#define TL_AEAD_MAX_LEN ((size_t)1 << 30) /* per message; far below GCM's 2^36-32 */

/* ---- randomness, compare, wipe ---------------------------------------- */

/* Fills buf from getrandom(2) (blocking until the pool is initialised,
 * retrying on EINTR and short reads). Returns TL_OK or TL_ERR_IO. */
int tl_random(uint8_t *buf, size_t len);

/* Constant-time comparison: the time depends on len only, never on the
 * contents. Returns 0 when equal, -1 otherwise. */
int tl_ct_verify(const void *a, const void *b, size_t len);

/* 1 if all len bytes are zero, else 0; constant-time in the contents. */
int tl_ct_is_zero(const void *p, size_t len);

/* Overwrites len bytes with zeros in a way the compiler cannot elide
 * (OPENSSL_cleanse). NULL with len 0 is allowed. */
void tl_wipe(void *p, size_t len);

/* ---- X25519 ----------------------------------------------------------- */

/* Fresh key pair from tl_random(). Returns TL_OK, TL_ERR_IO, TL_ERR_CRYPTO. */
int tl_x25519_keygen(uint8_t priv[TL_X25519_LEN], uint8_t pub[TL_X25519_LEN]);

/* pub = X25519(priv, 9). Returns TL_OK or TL_ERR_CRYPTO. */
int tl_x25519_public(uint8_t pub[TL_X25519_LEN], const uint8_t priv[TL_X25519_LEN]);

/* shared = X25519(priv, peer). Returns TL_OK; TL_ERR_INVALID_ARG when the
 * result is all zero (a low-order peer key, RFC 7748 §6.1); TL_ERR_CRYPTO.
 * shared is zeroed on any failure. */
int tl_x25519_shared(uint8_t shared[TL_X25519_LEN], const uint8_t priv[TL_X25519_LEN],
                     const uint8_t peer[TL_X25519_LEN]);

/* A private key held inside OpenSSL with its public key computed once, so a
 * key pair that is used for both "send my public key" and "derive" costs one
 * fixed-base and one variable-base multiplication, not three. */
typedef struct tl_x25519_key tl_x25519_key;
/* Takes a copy of priv (the caller wipes its own). Returns TL_OK,
 * TL_ERR_NOMEM, TL_ERR_CRYPTO. */
int tl_x25519_key_new(tl_x25519_key **out, const uint8_t priv[TL_X25519_LEN]);
void tl_x25519_key_free(tl_x25519_key *k); /* cleanses; NULL allowed */
int tl_x25519_key_public(const tl_x25519_key *k, uint8_t pub[TL_X25519_LEN]);
/* As tl_x25519_shared. */
int tl_x25519_key_shared(const tl_x25519_key *k, const uint8_t peer[TL_X25519_LEN],
                         uint8_t shared[TL_X25519_LEN]);

/* ---- SHA-256, HMAC, HKDF ---------------------------------------------- */

int tl_sha256(uint8_t out[TL_SHA256_LEN], const void *data, size_t len);

/* Incremental SHA-256. new -> update* -> final (or peek any time: the digest
 * of everything so far, leaving the context usable). Return TL_OK,
 * TL_ERR_NOMEM, TL_ERR_CRYPTO. */
typedef struct tl_sha256_ctx tl_sha256_ctx;
int tl_sha256_new(tl_sha256_ctx **out);
int tl_sha256_update(tl_sha256_ctx *c, const void *data, size_t len);
int tl_sha256_peek(const tl_sha256_ctx *c, uint8_t out[TL_SHA256_LEN]);
int tl_sha256_final(tl_sha256_ctx *c, uint8_t out[TL_SHA256_LEN]); /* then only free */
void tl_sha256_free(tl_sha256_ctx *c);

/* HMAC-SHA256(key, data). Returns TL_OK or TL_ERR_CRYPTO. */
int tl_hmac_sha256(uint8_t out[TL_SHA256_LEN], const uint8_t *key, size_t key_len, const void *data,
                   size_t len);

/* HMAC-SHA1(key, data), 20 bytes: only for the TURN REST API credential
 * convention (coturn use-auth-secret), which fixes SHA-1; nothing of
 * tallow's own security rests on it. Returns TL_OK or TL_ERR_CRYPTO. */
int tl_hmac_sha1(uint8_t out[20], const uint8_t *key, size_t key_len, const void *data, size_t len);

/* Incremental HMAC-SHA256: new(key) -> update* -> final, then free (which
 * wipes the key schedule). Return TL_OK, TL_ERR_NOMEM, TL_ERR_CRYPTO. */
typedef struct tl_hmac_ctx tl_hmac_ctx;
int tl_hmac_sha256_new(tl_hmac_ctx **out, const uint8_t *key, size_t key_len);
int tl_hmac_sha256_update(tl_hmac_ctx *c, const void *data, size_t len);
int tl_hmac_sha256_final(tl_hmac_ctx *c, uint8_t out[TL_SHA256_LEN]);
void tl_hmac_sha256_free(tl_hmac_ctx *c);

/* HKDF-Extract(salt, ikm) -> prk (RFC 5869 §2.2). salt may be NULL/0 (then a
 * string of 32 zero bytes). Returns TL_OK or TL_ERR_CRYPTO. */
int tl_hkdf_extract(uint8_t prk[TL_SHA256_LEN], const uint8_t *salt, size_t salt_len,
                    const uint8_t *ikm, size_t ikm_len);

/* HKDF-Expand(prk, info, okm_len) (RFC 5869 §2.3). prk_len >= 32. Returns
 * TL_OK; TL_ERR_INVALID_ARG when okm_len is 0 or > TL_HKDF_MAX_OKM or prk_len
 * < 32; TL_ERR_CRYPTO. */
int tl_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                   const uint8_t *info, size_t info_len);

/* ---- AES-GCM ---------------------------------------------------------- */

/* A key schedule kept in two reusable EVP_CIPHER_CTXs (one per direction,
 * keyed once in tl_aead_new), so per-message cost is one IV set-up plus the
 * data. */
typedef struct tl_aead tl_aead;

/* key_len 16, 24 or 32 (AES-128/192/256-GCM); tallow itself uses 32 only.
 * The key is copied into OpenSSL's key schedule, not kept by tl_aead.
 * Returns TL_OK, TL_ERR_INVALID_ARG, TL_ERR_NOMEM, TL_ERR_CRYPTO. */
int tl_aead_new(tl_aead **out, const uint8_t *key, size_t key_len);
/* Wipes the key schedule (EVP_CIPHER_CTX_free cleanses it) and frees. */
void tl_aead_free(tl_aead *a);

/* Encrypts len bytes of in to out (same length; in == out allowed) and
 * writes the 16-byte tag. nonce_len must be 12: 0 gives TL_ERR_INVALID_ARG,
 * any other length TL_ERR_UNSUPPORTED. len > TL_AEAD_MAX_LEN: TL_ERR_TOO_BIG.
 * The caller guarantees a nonce is never used twice under one key. */
int tl_aead_seal(tl_aead *a, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 uint8_t tag[TL_AEAD_TAG_LEN]);

/* Decrypts and verifies (OpenSSL compares the tag in constant time).
 * Returns TL_OK, TL_ERR_AUTH (tag mismatch; out is zeroed), or the argument
 * errors of tl_aead_seal. in == out allowed. */
int tl_aead_open(tl_aead *a, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 const uint8_t tag[TL_AEAD_TAG_LEN]);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
