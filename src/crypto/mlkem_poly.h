/* tallow — ML-KEM polynomial arithmetic over Z_q[X]/(X^256 + 1), q = 3329.
 *
 * Internal to libtallow (src/crypto/mlkem.c). Coefficients are int16_t.
 * Representations: "canonical" means every coefficient is in [0, q);
 * "bounded" means |c| < q. NTT-domain products carry a Montgomery factor
 * R^-1 (R = 2^16), removed by tl_mlkem_poly_tomont() or absorbed by the
 * scaling constant of tl_mlkem_poly_invntt().
 *
 * Constant time: no function branches on or indexes by coefficient values,
 * except tl_mlkem_poly_sample_ntt(), whose rejection sampling works on the
 * public seed rho only. */
#ifndef TL_CRYPTO_MLKEM_POLY_H
#define TL_CRYPTO_MLKEM_POLY_H

#include <stdint.h>

/* Marks data derived from secrets as public where the algorithm publishes it
 * (rho, which goes into ek). A no-op except in the ctgrind build
 * (tests/crypto/ctgrind_mlkem.c), where it tells valgrind the bytes are no
 * longer secret. */
#ifdef TL_CTGRIND
#include <valgrind/memcheck.h>
#define TL_CT_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define TL_CT_DECLASSIFY(p, n) ((void)0)
#endif

#define TL_MLKEM_N 256
#define TL_MLKEM_Q 3329
#define TL_MLKEM_K 3
#define TL_MLKEM_POLY_BYTES 384 /* ByteEncode_12 of one polynomial */
#define TL_MLKEM_POLYVEC_BYTES (TL_MLKEM_K * TL_MLKEM_POLY_BYTES)
#define TL_MLKEM_POLY_DU_BYTES 320 /* ByteEncode_10 */
#define TL_MLKEM_POLY_DV_BYTES 128 /* ByteEncode_4 */

typedef struct tl_mlkem_poly {
    int16_t c[TL_MLKEM_N];
} tl_mlkem_poly;

typedef struct tl_mlkem_polyvec {
    tl_mlkem_poly p[TL_MLKEM_K];
} tl_mlkem_polyvec;

/* Per-vector cache of b[2i+1] * gamma_i for the base multiplications, so a
 * vector multiplied by several others pays for it once. */
typedef struct tl_mlkem_mulcache {
    int16_t c[TL_MLKEM_K][TL_MLKEM_N / 2];
} tl_mlkem_mulcache;

/* Forward NTT (FIPS 203 Alg. 9); input bounded, output bounded, bit-reversed. */
void tl_mlkem_poly_ntt(tl_mlkem_poly *p);
/* Inverse NTT (Alg. 10) times R: maps a basemul result (which carries R^-1)
 * back to the plain representation; input and output bounded. */
void tl_mlkem_poly_invntt(tl_mlkem_poly *p);

void tl_mlkem_polyvec_mulcache(tl_mlkem_mulcache *mc, const tl_mlkem_polyvec *b);
/* r = sum_i a[i] * b[i] in the NTT domain (Alg. 11/12), times R^-1.
 * a bounded by q in absolute value, b bounded; output bounded. */
void tl_mlkem_polyvec_basemul_acc(tl_mlkem_poly *r, const tl_mlkem_polyvec *a,
                                  const tl_mlkem_polyvec *b, const tl_mlkem_mulcache *mc);

void tl_mlkem_poly_tomont(tl_mlkem_poly *p);                      /* times R, output bounded */
void tl_mlkem_poly_add(tl_mlkem_poly *r, const tl_mlkem_poly *b); /* r += b, no reduction */
void tl_mlkem_poly_sub(tl_mlkem_poly *r, const tl_mlkem_poly *b); /* r -= b, no reduction */
void tl_mlkem_poly_canonical(tl_mlkem_poly *p);                   /* any int16 values -> [0, q) */

/* SampleNTT (Alg. 7) from SHAKE128(rho || b0 || b1); output canonical. */
void tl_mlkem_poly_sample_ntt(tl_mlkem_poly *p, const uint8_t rho[32], uint8_t b0, uint8_t b1);
/* SamplePolyCBD_2(PRF_2(seed, nonce)) (Alg. 8 with eta = 2). */
void tl_mlkem_poly_cbd2(tl_mlkem_poly *p, const uint8_t seed[32], uint8_t nonce);

/* ByteEncode_12 of a canonical polynomial / ByteDecode_12 reduced mod q
 * (output canonical, constant time). */
void tl_mlkem_poly_tobytes(uint8_t r[TL_MLKEM_POLY_BYTES], const tl_mlkem_poly *p);
void tl_mlkem_poly_frombytes(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_BYTES]);

/* ByteEncode_d(Compress_d(p)) for canonical p and the inverse
 * Decompress_d(ByteDecode_d(a)) (output canonical); d = 10 and d = 4. */
void tl_mlkem_poly_compress10(uint8_t r[TL_MLKEM_POLY_DU_BYTES], const tl_mlkem_poly *p);
void tl_mlkem_poly_decompress10(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_DU_BYTES]);
void tl_mlkem_poly_compress4(uint8_t r[TL_MLKEM_POLY_DV_BYTES], const tl_mlkem_poly *p);
void tl_mlkem_poly_decompress4(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_DV_BYTES]);

/* Decompress_1(ByteDecode_1(m)) and ByteEncode_1(Compress_1(p)), p canonical. */
void tl_mlkem_poly_frommsg(tl_mlkem_poly *p, const uint8_t m[32]);
void tl_mlkem_poly_tomsg(uint8_t m[32], const tl_mlkem_poly *p);

#endif
