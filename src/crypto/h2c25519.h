/* Hashing to curve25519 (RFC 9380), internal to the crypto layer: the
 * generator of the join-code PAKE (docs/CRYPTO.md §3, "Join code").
 *
 * Suite curve25519_XMD:SHA-512_ELL2_NU_ (RFC 9380 §8.5): expand_message_xmd
 * with SHA-512 (§5.3.1), hash_to_field with L = 48 and count = 1 (§5.2),
 * Elligator 2 for curve25519 (§6.7.1, Z = 2) and cofactor clearing by 8
 * (h_eff = 8). Only u-coordinates leave this module (X25519 needs no more),
 * except tl_h2c25519_map, which also returns v so that the tests can check
 * it against RFC 9380 Appendix J.4.2.
 *
 * Field elements and u/v coordinates are 32 bytes little-endian, canonical
 * (< 2^255 - 19), as X25519 encodes them. Everything that can touch a secret
 * (the message, field elements, points) runs in constant time: no branch
 * and no memory index depends on it; intermediates are wiped. */
#ifndef TL_CRYPTO_H2C25519_H
#define TL_CRYPTO_H2C25519_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TL_H2C_SHA256 = 0,
    TL_H2C_SHA512 = 1,
} tl_h2c_hash;

/* expand_message_xmd(msg, DST, len) (RFC 9380 §5.3.1), including the
 * oversize-DST rule of §5.3.3 (a DST over 255 bytes is first hashed with
 * "H2C-OVERSIZE-DST-"). len is 1..255*hash length and at most 65535.
 * Returns TL_OK, TL_ERR_INVALID_ARG or TL_ERR_CRYPTO. */
int tl_h2c_expand_xmd(tl_h2c_hash hash, uint8_t *out, size_t len, const uint8_t *msg,
                      size_t msg_len, const uint8_t *dst, size_t dst_len);

/* hash_to_field(msg, count = 1) for GF(2^255 - 19) with SHA-512 and L = 48
 * (RFC 9380 §5.2): the 48 uniform bytes read big-endian, reduced mod p. */
int tl_h2c25519_hash_to_field(uint8_t u[32], const uint8_t *msg, size_t msg_len, const uint8_t *dst,
                              size_t dst_len);

/* map_to_curve_elligator2 for curve25519 (RFC 9380 §6.7.1, Z = 2): the
 * point (x, y) on v^2 = u^3 + 486662 u^2 + u for the field element u
 * (32 bytes little-endian; the top bit is ignored, the rest may be any
 * value, reduced mod p). */
void tl_h2c25519_map(uint8_t x[32], uint8_t y[32], const uint8_t u[32]);

/* u-coordinate of 8*Q from the u-coordinate of Q (three x-only doublings):
 * clear_cofactor for curve25519 (h_eff = 8). A point of order dividing 8
 * gives 0. */
void tl_h2c25519_clear_cofactor(uint8_t out[32], const uint8_t x[32]);

/* encode_to_curve(msg) of curve25519_XMD:SHA-512_ELL2_NU_ with this DST
 * (RFC 9380 §3): u-coordinate of clear_cofactor(map(hash_to_field(msg))).
 * Returns TL_OK, TL_ERR_INVALID_ARG or TL_ERR_CRYPTO (then g is zeroed). */
int tl_h2c25519_encode(uint8_t g[32], const uint8_t *msg, size_t msg_len, const uint8_t *dst,
                       size_t dst_len);

#endif
