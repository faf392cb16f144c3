/* tallow — ML-KEM-768 (FIPS 203): K-PKE (§5) and ML-KEM (§6, §7).
 *
 * Secret data (d, z, m, sigma, r, s-hat, e, y, K, the decrypted message) is
 * never used in a branch or a table index: the decapsulation compares the
 * re-encrypted ciphertext with an OR-accumulator and picks K or J(z||c)
 * with a mask. Every intermediate secret is wiped with OPENSSL_cleanse
 * before return. Public data (ek, rho, c, the result of the §7.2/§7.3
 * input checks) may branch. */
#include "tallow/mlkem.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto/keccak.h"
#include "tallow/crypto.h"
#include "crypto/mlkem_poly.h"

#define K TL_MLKEM_K
#define PKE_CT_U_BYTES (K * TL_MLKEM_POLY_DU_BYTES) /* 960 */
#define DK_EK_OFF TL_MLKEM_POLYVEC_BYTES            /* 1152 */
#define DK_H_OFF (DK_EK_OFF + TL_MLKEM768_EK_LEN)   /* 2336 */
#define DK_Z_OFF (DK_H_OFF + 32)                    /* 2368 */

_Static_assert(DK_Z_OFF + 32 == TL_MLKEM768_DK_LEN, "dk layout");
_Static_assert(TL_MLKEM_POLYVEC_BYTES + 32 == TL_MLKEM768_EK_LEN, "ek layout");
_Static_assert(PKE_CT_U_BYTES + TL_MLKEM_POLY_DV_BYTES == TL_MLKEM768_CT_LEN, "ct layout");

/* Stops the compiler from reasoning about a mask's value (and turning a
 * masked select back into a branch). */
static inline uint8_t value_barrier_u8(uint8_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__ volatile("" : "+r"(x));
#endif
    return x;
}

/* 0xff if a and b differ in any of len bytes, else 0; constant time. */
static uint8_t ct_differ(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= (uint8_t)(a[i] ^ b[i]);
    /* acc in [0, 255]: (0 - acc) >> 8 is all ones exactly when acc != 0. */
    return value_barrier_u8((uint8_t)((0u - (uint32_t)acc) >> 8));
}

/* r = mask ? x : r, byte by byte; mask is 0x00 or 0xff. */
static void ct_cmov(uint8_t *r, const uint8_t *x, size_t len, uint8_t mask)
{
    for (size_t i = 0; i < len; i++)
        r[i] ^= (uint8_t)(mask & (r[i] ^ x[i]));
}

/* A-hat (transposed = 0) or A-hat^T (transposed = 1) from rho (Alg. 13
 * lines 3-7: A-hat[i][j] = SampleNTT(rho || j || i)). */
static void gen_matrix(tl_mlkem_polyvec a[K], const uint8_t rho[32], int transposed)
{
    for (unsigned i = 0; i < K; i++)
        for (unsigned j = 0; j < K; j++) {
            if (transposed)
                tl_mlkem_poly_sample_ntt(&a[i].p[j], rho, (uint8_t)i, (uint8_t)j);
            else
                tl_mlkem_poly_sample_ntt(&a[i].p[j], rho, (uint8_t)j, (uint8_t)i);
        }
}

/* K-PKE.KeyGen (Alg. 13) from the 32-byte seed d. */
static void pke_keygen(uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk_pke[TL_MLKEM_POLYVEC_BYTES],
                       const uint8_t d[32])
{
    uint8_t in[33], rhosigma[64];
    tl_mlkem_polyvec a[K], s, e, t;
    tl_mlkem_mulcache mc;

    memcpy(in, d, 32);
    in[32] = K;
    tl_sha3_512(rhosigma, in, sizeof in);
    const uint8_t *rho = rhosigma, *sigma = rhosigma + 32;
    TL_CT_DECLASSIFY(rho, 32); /* public: it is the last 32 bytes of ek */

    gen_matrix(a, rho, 0);
    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_cbd2(&s.p[i], sigma, (uint8_t)i);
    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_cbd2(&e.p[i], sigma, (uint8_t)(K + i));
    for (unsigned i = 0; i < K; i++) {
        tl_mlkem_poly_ntt(&s.p[i]);
        tl_mlkem_poly_ntt(&e.p[i]);
    }
    tl_mlkem_polyvec_mulcache(&mc, &s);
    for (unsigned i = 0; i < K; i++) {
        tl_mlkem_polyvec_basemul_acc(&t.p[i], &a[i], &s, &mc);
        tl_mlkem_poly_tomont(&t.p[i]);
        tl_mlkem_poly_add(&t.p[i], &e.p[i]);
        tl_mlkem_poly_canonical(&t.p[i]);
        tl_mlkem_poly_tobytes(ek + i * TL_MLKEM_POLY_BYTES, &t.p[i]);
        tl_mlkem_poly_canonical(&s.p[i]);
        tl_mlkem_poly_tobytes(dk_pke + i * TL_MLKEM_POLY_BYTES, &s.p[i]);
    }
    memcpy(ek + TL_MLKEM_POLYVEC_BYTES, rho, 32);

    OPENSSL_cleanse(in, sizeof in);
    OPENSSL_cleanse(rhosigma, sizeof rhosigma);
    OPENSSL_cleanse(&s, sizeof s);
    OPENSSL_cleanse(&e, sizeof e);
    OPENSSL_cleanse(&mc, sizeof mc);
    OPENSSL_cleanse(&t, sizeof t);
}

/* K-PKE.Encrypt (Alg. 14). ek's coefficients are reduced mod q on decoding
 * (ByteDecode_12), so ek need not have passed the modulus check here. */
static void pke_encrypt(uint8_t c[TL_MLKEM768_CT_LEN], const uint8_t ek[TL_MLKEM768_EK_LEN],
                        const uint8_t m[32], const uint8_t r[32])
{
    tl_mlkem_polyvec at[K], that, y, u;
    tl_mlkem_poly e2, v, mu;
    tl_mlkem_mulcache mc;

    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_frombytes(&that.p[i], ek + i * TL_MLKEM_POLY_BYTES);
    gen_matrix(at, ek + TL_MLKEM_POLYVEC_BYTES, 1);

    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_cbd2(&y.p[i], r, (uint8_t)i);
    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_cbd2(&u.p[i], r, (uint8_t)(K + i)); /* e1, added below */
    tl_mlkem_poly_cbd2(&e2, r, 2 * K);

    for (unsigned i = 0; i < K; i++)
        tl_mlkem_poly_ntt(&y.p[i]);
    tl_mlkem_polyvec_mulcache(&mc, &y);

    for (unsigned i = 0; i < K; i++) {
        tl_mlkem_poly w;
        tl_mlkem_polyvec_basemul_acc(&w, &at[i], &y, &mc);
        tl_mlkem_poly_invntt(&w);
        tl_mlkem_poly_add(&u.p[i], &w);
        tl_mlkem_poly_canonical(&u.p[i]);
        tl_mlkem_poly_compress10(c + i * TL_MLKEM_POLY_DU_BYTES, &u.p[i]);
        OPENSSL_cleanse(&w, sizeof w);
    }

    tl_mlkem_polyvec_basemul_acc(&v, &that, &y, &mc);
    tl_mlkem_poly_invntt(&v);
    tl_mlkem_poly_frommsg(&mu, m);
    tl_mlkem_poly_add(&v, &e2);
    tl_mlkem_poly_add(&v, &mu);
    tl_mlkem_poly_canonical(&v);
    tl_mlkem_poly_compress4(c + PKE_CT_U_BYTES, &v);

    OPENSSL_cleanse(&y, sizeof y);
    OPENSSL_cleanse(&u, sizeof u);
    OPENSSL_cleanse(&e2, sizeof e2);
    OPENSSL_cleanse(&v, sizeof v);
    OPENSSL_cleanse(&mu, sizeof mu);
    OPENSSL_cleanse(&mc, sizeof mc);
}

/* K-PKE.Decrypt (Alg. 15). */
static void pke_decrypt(uint8_t m[32], const uint8_t dk_pke[TL_MLKEM_POLYVEC_BYTES],
                        const uint8_t c[TL_MLKEM768_CT_LEN])
{
    tl_mlkem_polyvec u, s;
    tl_mlkem_poly v, w;
    tl_mlkem_mulcache mc;

    for (unsigned i = 0; i < K; i++) {
        tl_mlkem_poly_decompress10(&u.p[i], c + i * TL_MLKEM_POLY_DU_BYTES);
        tl_mlkem_poly_ntt(&u.p[i]);
        tl_mlkem_poly_frombytes(&s.p[i], dk_pke + i * TL_MLKEM_POLY_BYTES);
    }
    tl_mlkem_poly_decompress4(&v, c + PKE_CT_U_BYTES);

    tl_mlkem_polyvec_mulcache(&mc, &u);
    tl_mlkem_polyvec_basemul_acc(&w, &s, &u, &mc);
    tl_mlkem_poly_invntt(&w);
    tl_mlkem_poly_sub(&v, &w);
    tl_mlkem_poly_canonical(&v);
    tl_mlkem_poly_tomsg(m, &v);

    OPENSSL_cleanse(&s, sizeof s);
    OPENSSL_cleanse(&u, sizeof u);
    OPENSSL_cleanse(&v, sizeof v);
    OPENSSL_cleanse(&w, sizeof w);
    OPENSSL_cleanse(&mc, sizeof mc);
}

int tl_mlkem768_check_ek(const uint8_t ek[TL_MLKEM768_EK_LEN])
{
    if (ek == NULL)
        return TL_ERR_INVALID_ARG;
    /* ByteEncode_12(ByteDecode_12(ek)) == ek  <=>  every 12-bit value < q. */
    unsigned bad = 0;
    for (unsigned i = 0; i < TL_MLKEM_POLYVEC_BYTES; i += 3) {
        unsigned t0 = ek[i] | ((ek[i + 1] & 0x0fu) << 8);
        unsigned t1 = (ek[i + 1] >> 4) | ((unsigned)ek[i + 2] << 4);
        bad |= (t0 >= TL_MLKEM_Q) | (t1 >= TL_MLKEM_Q);
    }
    return bad ? TL_ERR_INVALID_ARG : TL_OK;
}

int tl_mlkem768_check_dk(const uint8_t dk[TL_MLKEM768_DK_LEN])
{
    if (dk == NULL)
        return TL_ERR_INVALID_ARG;
    uint8_t h[32];
    tl_sha3_256(h, dk + DK_EK_OFF, TL_MLKEM768_EK_LEN);
    /* ek and H(ek) are public parts of dk: a plain branch is fine. */
    int ok = memcmp(h, dk + DK_H_OFF, 32) == 0;
    return ok ? TL_OK : TL_ERR_INVALID_ARG;
}

int tl_mlkem768_keygen_internal(uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk[TL_MLKEM768_DK_LEN],
                                const uint8_t d[TL_MLKEM768_SEED_LEN],
                                const uint8_t z[TL_MLKEM768_SEED_LEN])
{
    if (ek == NULL || dk == NULL || d == NULL || z == NULL)
        return TL_ERR_INVALID_ARG;
    pke_keygen(ek, dk, d);
    memcpy(dk + DK_EK_OFF, ek, TL_MLKEM768_EK_LEN);
    tl_sha3_256(dk + DK_H_OFF, ek, TL_MLKEM768_EK_LEN);
    memcpy(dk + DK_Z_OFF, z, 32);
    return TL_OK;
}

int tl_mlkem768_encaps_internal(uint8_t ct[TL_MLKEM768_CT_LEN], uint8_t ss[TL_MLKEM768_SS_LEN],
                                const uint8_t ek[TL_MLKEM768_EK_LEN],
                                const uint8_t m[TL_MLKEM768_SEED_LEN])
{
    if (ct == NULL || ss == NULL || ek == NULL || m == NULL)
        return TL_ERR_INVALID_ARG;
    if (tl_mlkem768_check_ek(ek) != TL_OK) {
        memset(ct, 0, TL_MLKEM768_CT_LEN);
        memset(ss, 0, TL_MLKEM768_SS_LEN);
        return TL_ERR_INVALID_ARG;
    }
    uint8_t in[64], kr[64];
    memcpy(in, m, 32);
    tl_sha3_256(in + 32, ek, TL_MLKEM768_EK_LEN);
    tl_sha3_512(kr, in, sizeof in);
    pke_encrypt(ct, ek, m, kr + 32);
    memcpy(ss, kr, 32);
    OPENSSL_cleanse(in, sizeof in);
    OPENSSL_cleanse(kr, sizeof kr);
    return TL_OK;
}

int tl_mlkem768_decaps_internal(uint8_t ss[TL_MLKEM768_SS_LEN],
                                const uint8_t ct[TL_MLKEM768_CT_LEN],
                                const uint8_t dk[TL_MLKEM768_DK_LEN])
{
    if (ss == NULL || ct == NULL || dk == NULL)
        return TL_ERR_INVALID_ARG;
    if (tl_mlkem768_check_dk(dk) != TL_OK) {
        memset(ss, 0, TL_MLKEM768_SS_LEN);
        return TL_ERR_INVALID_ARG;
    }
    uint8_t in[64], kr[64], kbar[32], ct2[TL_MLKEM768_CT_LEN];
    tl_keccak_ctx j;

    pke_decrypt(in, dk, ct);
    memcpy(in + 32, dk + DK_H_OFF, 32);
    tl_sha3_512(kr, in, sizeof in);

    tl_shake256_init(&j);
    tl_keccak_absorb(&j, dk + DK_Z_OFF, 32);
    tl_keccak_absorb(&j, ct, TL_MLKEM768_CT_LEN);
    tl_keccak_squeeze(&j, kbar, sizeof kbar);

    pke_encrypt(ct2, dk + DK_EK_OFF, in, kr + 32);
    uint8_t reject = ct_differ(ct, ct2, TL_MLKEM768_CT_LEN);
#ifdef CTGRIND_SELFTEST
    /* Deliberate leak, compiled only into the ctgrind self-test: a branch on
     * the comparison result, which memcheck must report. */
    static volatile int selftest_sink;
    if (reject)
        selftest_sink++;
#endif
    ct_cmov(kr, kbar, 32, reject);
    memcpy(ss, kr, 32);

    tl_keccak_wipe(&j);
    OPENSSL_cleanse(in, sizeof in);
    OPENSSL_cleanse(kr, sizeof kr);
    OPENSSL_cleanse(kbar, sizeof kbar);
    OPENSSL_cleanse(ct2, sizeof ct2);
    OPENSSL_cleanse(&reject, sizeof reject);
    return TL_OK;
}

int tl_mlkem768_keygen(uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk[TL_MLKEM768_DK_LEN])
{
    if (ek == NULL || dk == NULL)
        return TL_ERR_INVALID_ARG;
    uint8_t dz[64];
    int rc = tl_random(dz, sizeof dz);
    if (rc == TL_OK)
        rc = tl_mlkem768_keygen_internal(ek, dk, dz, dz + 32);
    OPENSSL_cleanse(dz, sizeof dz);
    return rc;
}

int tl_mlkem768_encaps(uint8_t ct[TL_MLKEM768_CT_LEN], uint8_t ss[TL_MLKEM768_SS_LEN],
                       const uint8_t ek[TL_MLKEM768_EK_LEN])
{
    if (ct == NULL || ss == NULL || ek == NULL)
        return TL_ERR_INVALID_ARG;
    uint8_t m[32];
    int rc = tl_random(m, sizeof m);
    if (rc == TL_OK)
        rc = tl_mlkem768_encaps_internal(ct, ss, ek, m);
    OPENSSL_cleanse(m, sizeof m);
    return rc;
}

int tl_mlkem768_decaps(uint8_t ss[TL_MLKEM768_SS_LEN], const uint8_t ct[TL_MLKEM768_CT_LEN],
                       const uint8_t dk[TL_MLKEM768_DK_LEN])
{
    return tl_mlkem768_decaps_internal(ss, ct, dk);
}
