/* tallow — ML-KEM polynomial arithmetic (see mlkem_poly.h).
 *
 * Montgomery arithmetic with R = 2^16: fqmul(a, b) = a * b * R^-1 mod q.
 * The twiddle tables hold zeta^BitRev7(i) * R mod q (FIPS 203 §4.3, zeta =
 * 17) and gamma_i = zeta^(2 BitRev7(i) + 1) * R mod q (Alg. 11), centred in
 * (-q/2, q/2); they were computed for this file from those definitions. */
#include "crypto/mlkem_poly.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto/keccak.h"

#define Q TL_MLKEM_Q
#define QINV (-3327)    /* q^-1 mod 2^16, as int16 */
#define MONT_R2 1353    /* R^2 mod q */
#define INVNTT_F 1441   /* R^2 / 128 mod q */
#define BARRETT_V 20159 /* round(2^26 / q) */

static const int16_t zetas[128] = {
    -1044, -758,  -359,  -1517, 1493,  1422,  287,   202,   -171,  622,   1577,  182,   962,
    -1202, -1474, 1468,  573,   -1325, 264,   383,   -829,  1458,  -1602, -130,  -681,  1017,
    732,   608,   -1542, 411,   -205,  -1571, 1223,  652,   -552,  1015,  -1293, 1491,  -282,
    -1544, 516,   -8,    -320,  -666,  -1618, -1162, 126,   1469,  -853,  -90,   -271,  830,
    107,   -1421, -247,  -951,  -398,  961,   -1508, -725,  448,   -1065, 677,   -1275, -1103,
    430,   555,   843,   -1251, 871,   1550,  105,   422,   587,   177,   -235,  -291,  -460,
    1574,  1653,  -246,  778,   1159,  -147,  -777,  1483,  -602,  1119,  -1590, 644,   -872,
    349,   418,   329,   -156,  -75,   817,   1097,  603,   610,   1322,  -1285, -1465, 384,
    -1215, -136,  1218,  -1335, -874,  220,   -1187, -1659, -1185, -1530, -1278, 794,   -1510,
    -854,  -870,  478,   -108,  -308,  996,   991,   958,   -1460, 1522,  1628,
};

static const int16_t gammas[128] = {
    -1103, 1103,  430,   -430,  555,   -555,  843,  -843,  -1251, 1251,  871,   -871,  1550,
    -1550, 105,   -105,  422,   -422,  587,   -587, 177,   -177,  -235,  235,   -291,  291,
    -460,  460,   1574,  -1574, 1653,  -1653, -246, 246,   778,   -778,  1159,  -1159, -147,
    147,   -777,  777,   1483,  -1483, -602,  602,  1119,  -1119, -1590, 1590,  644,   -644,
    -872,  872,   349,   -349,  418,   -418,  329,  -329,  -156,  156,   -75,   75,    817,
    -817,  1097,  -1097, 603,   -603,  610,   -610, 1322,  -1322, -1285, 1285,  -1465, 1465,
    384,   -384,  -1215, 1215,  -136,  136,   1218, -1218, -1335, 1335,  -874,  874,   220,
    -220,  -1187, 1187,  -1659, 1659,  -1185, 1185, -1530, 1530,  -1278, 1278,  794,   -794,
    -1510, 1510,  -854,  854,   -870,  870,   478,  -478,  -108,  108,   -308,  308,   996,
    -996,  991,   -991,  958,   -958,  -1460, 1460, 1522,  -1522, 1628,  -1628,
};

/* For |a| < q * 2^15 returns a * R^-1 mod q with |result| < q. The cast to
 * int16_t keeps the low 16 bits (two's complement, as gcc and clang define). */
static inline int16_t montgomery_reduce(int32_t a)
{
    int16_t t = (int16_t)((int16_t)a * QINV);
    return (int16_t)((a - (int32_t)t * Q) >> 16);
}

static inline int16_t fqmul(int16_t a, int16_t b)
{
    return montgomery_reduce((int32_t)a * b);
}

/* Any int16 a -> the representative of a mod q in [-(q-1)/2, (q-1)/2]
 * (checked exhaustively over all int16 inputs when the constant was chosen). */
static inline int16_t barrett_reduce(int16_t a)
{
    int16_t t = (int16_t)(((int32_t)BARRETT_V * a + (1 << 25)) >> 26);
    return (int16_t)(a - t * Q);
}

/* a in (-q, q) -> [0, q) without a branch. */
static inline int16_t caddq(int16_t a)
{
    return (int16_t)(a + ((a >> 15) & Q));
}

/* fqmul(a, z) for a constant z with zq = z * q^-1 mod 2^16, from 16-bit
 * high and low products only: the low halves of a * z and t * q agree, so
 * (a z - t q) >> 16 == hi(a z) - hi(t q). Same result as fqmul; this form
 * maps onto 16-bit SIMD multiplies when the compiler vectorises a layer. */
static inline int16_t fqmul_pre(int16_t a, int16_t z, int16_t zq)
{
    int16_t hi = (int16_t)(((int32_t)a * z) >> 16);
    int16_t t = (int16_t)(a * zq);
    return (int16_t)(hi - (int16_t)(((int32_t)t * Q) >> 16));
}

/* One Cooley-Tukey layer (Alg. 9 lines 3-10) with a constant len, so each
 * layer gets its own fully specialised, vectorisable loop. */
static inline __attribute__((always_inline)) void
ct_butterflies(int16_t *restrict lo, int16_t *restrict hi, unsigned len, int16_t zeta)
{
    int16_t zq = (int16_t)(zeta * QINV);
    for (unsigned j = 0; j < len; j++) {
        int16_t t = fqmul_pre(hi[j], zeta, zq);
        hi[j] = (int16_t)(lo[j] - t);
        lo[j] = (int16_t)(lo[j] + t);
    }
}

static inline __attribute__((always_inline)) void ntt_layer(int16_t *r, unsigned len, unsigned k)
{
    for (unsigned start = 0; start < TL_MLKEM_N; start += 2 * len)
        ct_butterflies(r + start, r + start + len, len, zetas[k++]);
}

void tl_mlkem_poly_ntt(tl_mlkem_poly *p)
{
    int16_t *r = p->c;
    ntt_layer(r, 128, 1);
    ntt_layer(r, 64, 2);
    ntt_layer(r, 32, 4);
    ntt_layer(r, 16, 8);
    ntt_layer(r, 8, 16);
    ntt_layer(r, 4, 32);
    ntt_layer(r, 2, 64);
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        r[j] = barrett_reduce(r[j]);
}

/* One Gentleman-Sande layer (Alg. 10 lines 3-10), zetas taken downwards. */
static inline __attribute__((always_inline)) void
gs_butterflies(int16_t *restrict lo, int16_t *restrict hi, unsigned len, int16_t zeta)
{
    int16_t zq = (int16_t)(zeta * QINV);
    for (unsigned j = 0; j < len; j++) {
        int16_t t = lo[j];
        lo[j] = barrett_reduce((int16_t)(t + hi[j]));
        hi[j] = fqmul_pre((int16_t)(hi[j] - t), zeta, zq);
    }
}

static inline __attribute__((always_inline)) void invntt_layer(int16_t *r, unsigned len, unsigned k)
{
    for (unsigned start = 0; start < TL_MLKEM_N; start += 2 * len)
        gs_butterflies(r + start, r + start + len, len, zetas[k--]);
}

void tl_mlkem_poly_invntt(tl_mlkem_poly *p)
{
    int16_t *r = p->c;
    invntt_layer(r, 2, 127);
    invntt_layer(r, 4, 63);
    invntt_layer(r, 8, 31);
    invntt_layer(r, 16, 15);
    invntt_layer(r, 32, 7);
    invntt_layer(r, 64, 3);
    invntt_layer(r, 128, 1);
    const int16_t f = INVNTT_F, fq = (int16_t)(INVNTT_F * QINV);
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        r[j] = fqmul_pre(r[j], f, fq);
}

void tl_mlkem_polyvec_mulcache(tl_mlkem_mulcache *mc, const tl_mlkem_polyvec *b)
{
    for (unsigned i = 0; i < TL_MLKEM_K; i++)
        for (unsigned j = 0; j < TL_MLKEM_N / 2; j++)
            mc->c[i][j] = fqmul(b->p[i].c[2 * j + 1], gammas[j]);
}

/* Products are accumulated in 32 bits and reduced once: each term is below
 * q * q in absolute value, six of them stay below q * 2^15. */
void tl_mlkem_polyvec_basemul_acc(tl_mlkem_poly *r, const tl_mlkem_polyvec *a,
                                  const tl_mlkem_polyvec *b, const tl_mlkem_mulcache *mc)
{
    for (unsigned j = 0; j < TL_MLKEM_N / 2; j++) {
        int32_t c0 = 0, c1 = 0;
        for (unsigned i = 0; i < TL_MLKEM_K; i++) {
            int32_t a0 = a->p[i].c[2 * j], a1 = a->p[i].c[2 * j + 1];
            int32_t b0 = b->p[i].c[2 * j], b1 = b->p[i].c[2 * j + 1];
            c0 += a0 * b0 + a1 * mc->c[i][j];
            c1 += a0 * b1 + a1 * b0;
        }
        r->c[2 * j] = montgomery_reduce(c0);
        r->c[2 * j + 1] = montgomery_reduce(c1);
    }
}

void tl_mlkem_poly_tomont(tl_mlkem_poly *p)
{
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        p->c[j] = fqmul(p->c[j], MONT_R2);
}

void tl_mlkem_poly_add(tl_mlkem_poly *r, const tl_mlkem_poly *b)
{
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        r->c[j] = (int16_t)(r->c[j] + b->c[j]);
}

void tl_mlkem_poly_sub(tl_mlkem_poly *r, const tl_mlkem_poly *b)
{
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        r->c[j] = (int16_t)(r->c[j] - b->c[j]);
}

void tl_mlkem_poly_canonical(tl_mlkem_poly *p)
{
    for (unsigned j = 0; j < TL_MLKEM_N; j++)
        p->c[j] = caddq(barrett_reduce(p->c[j]));
}

/* Accepts 12-bit candidates below q from buf (Alg. 7 lines 4-13); returns
 * the new count. Branches only on public (rho-derived) data. */
static unsigned rej_uniform(int16_t *c, unsigned ctr, const uint8_t *buf, unsigned buflen)
{
    unsigned pos = 0;
    /* While two more values surely fit, store each candidate and advance
     * only past accepted ones (a rejected one is overwritten next): no
     * unpredictable branch. */
    for (; ctr + 2 <= TL_MLKEM_N && pos + 3 <= buflen; pos += 3) {
        uint16_t d1 = (uint16_t)(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
        uint16_t d2 = (uint16_t)((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));
        c[ctr] = (int16_t)d1;
        ctr += d1 < Q;
        c[ctr] = (int16_t)d2;
        ctr += d2 < Q;
    }
    for (; ctr < TL_MLKEM_N && pos + 3 <= buflen; pos += 3) {
        uint16_t d1 = (uint16_t)(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
        uint16_t d2 = (uint16_t)((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));
        if (d1 < Q)
            c[ctr++] = (int16_t)d1;
        if (d2 < Q && ctr < TL_MLKEM_N)
            c[ctr++] = (int16_t)d2;
    }
    return ctr;
}

void tl_mlkem_poly_sample_ntt(tl_mlkem_poly *p, const uint8_t rho[32], uint8_t b0, uint8_t b1)
{
    /* Three blocks give 336 candidates; 256 accepted ones need about 315 on
     * average, so a fourth block is rarely squeezed. */
    uint8_t buf[3 * TL_SHAKE128_RATE];
    uint8_t ext[2] = {b0, b1};
    tl_keccak_ctx ctx;

    tl_shake128_init(&ctx);
    tl_keccak_absorb(&ctx, rho, 32);
    tl_keccak_absorb(&ctx, ext, 2);
    tl_keccak_squeezeblocks(&ctx, buf, 3);
    unsigned ctr = rej_uniform(p->c, 0, buf, sizeof buf);
    while (ctr < TL_MLKEM_N) {
        tl_keccak_squeezeblocks(&ctx, buf, 1);
        ctr = rej_uniform(p->c, ctr, buf, TL_SHAKE128_RATE);
    }
}

static uint32_t load32_le(const uint8_t *x)
{
    return (uint32_t)x[0] | ((uint32_t)x[1] << 8) | ((uint32_t)x[2] << 16) | ((uint32_t)x[3] << 24);
}

void tl_mlkem_poly_cbd2(tl_mlkem_poly *p, const uint8_t seed[32], uint8_t nonce)
{
    uint8_t buf[128];
    tl_keccak_ctx ctx;

    tl_shake256_init(&ctx);
    tl_keccak_absorb(&ctx, seed, 32);
    tl_keccak_absorb(&ctx, &nonce, 1);
    tl_keccak_squeeze(&ctx, buf, sizeof buf);
    tl_keccak_wipe(&ctx);

    for (unsigned i = 0; i < 32; i++) {
        uint32_t t = load32_le(buf + 4 * i);
        uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
        for (unsigned j = 0; j < 8; j++) {
            int16_t a = (int16_t)((d >> (4 * j)) & 3);
            int16_t b = (int16_t)((d >> (4 * j + 2)) & 3);
            p->c[8 * i + j] = (int16_t)(a - b);
        }
    }
    OPENSSL_cleanse(buf, sizeof buf);
}

void tl_mlkem_poly_tobytes(uint8_t r[TL_MLKEM_POLY_BYTES], const tl_mlkem_poly *p)
{
    for (unsigned i = 0; i < TL_MLKEM_N / 2; i++) {
        uint16_t t0 = (uint16_t)p->c[2 * i], t1 = (uint16_t)p->c[2 * i + 1];
        r[3 * i] = (uint8_t)t0;
        r[3 * i + 1] = (uint8_t)((t0 >> 8) | (t1 << 4));
        r[3 * i + 2] = (uint8_t)(t1 >> 4);
    }
}

/* x in [0, 4096) -> x mod q, without a branch. */
static inline int16_t reduce12(uint16_t x)
{
    int16_t t = (int16_t)(x - Q);
    return (int16_t)(t + ((t >> 15) & Q));
}

void tl_mlkem_poly_frombytes(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_BYTES])
{
    for (unsigned i = 0; i < TL_MLKEM_N / 2; i++) {
        uint16_t t0 = (uint16_t)(a[3 * i] | ((a[3 * i + 1] & 0x0f) << 8));
        uint16_t t1 = (uint16_t)((a[3 * i + 1] >> 4) | (a[3 * i + 2] << 4));
        p->c[2 * i] = reduce12(t0);
        p->c[2 * i + 1] = reduce12(t1);
    }
}

/* Compress_d(x) = round(2^d x / q) mod 2^d for x in [0, q), computed as
 * floor((2^d x + (q-1)/2) * M / 2^S): a multiply and a shift instead of a
 * division (whose timing may depend on its operands). The (M, S) pairs were
 * found by checking every x in [0, q) against the exact rounding. */
static inline uint16_t compress10(int16_t x)
{
    uint64_t t = ((uint64_t)(uint16_t)x << 10) + (Q - 1) / 2;
    return (uint16_t)(((t * 161271u) >> 29) & 0x3ff);
}

static inline uint8_t compress4(int16_t x)
{
    uint32_t t = ((uint32_t)(uint16_t)x << 4) + (Q - 1) / 2;
    return (uint8_t)(((t * 315u) >> 20) & 0xf);
}

static inline uint8_t compress1(int16_t x)
{
    uint32_t t = ((uint32_t)(uint16_t)x << 1) + (Q - 1) / 2;
    return (uint8_t)(((t * 315u) >> 20) & 1);
}

void tl_mlkem_poly_compress10(uint8_t r[TL_MLKEM_POLY_DU_BYTES], const tl_mlkem_poly *p)
{
    for (unsigned i = 0; i < TL_MLKEM_N / 4; i++) {
        uint16_t t[4];
        for (unsigned j = 0; j < 4; j++)
            t[j] = compress10(p->c[4 * i + j]);
        r[5 * i] = (uint8_t)t[0];
        r[5 * i + 1] = (uint8_t)((t[0] >> 8) | (t[1] << 2));
        r[5 * i + 2] = (uint8_t)((t[1] >> 6) | (t[2] << 4));
        r[5 * i + 3] = (uint8_t)((t[2] >> 4) | (t[3] << 6));
        r[5 * i + 4] = (uint8_t)(t[3] >> 2);
    }
}

/* Decompress_d(y) = round(q y / 2^d) = (q y + 2^(d-1)) >> d. */
void tl_mlkem_poly_decompress10(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_DU_BYTES])
{
    for (unsigned i = 0; i < TL_MLKEM_N / 4; i++) {
        const uint8_t *b = a + 5 * i;
        uint32_t t[4];
        t[0] = (uint32_t)(b[0] | (b[1] << 8)) & 0x3ff;
        t[1] = (uint32_t)((b[1] >> 2) | (b[2] << 6)) & 0x3ff;
        t[2] = (uint32_t)((b[2] >> 4) | (b[3] << 4)) & 0x3ff;
        t[3] = (uint32_t)((b[3] >> 6) | (b[4] << 2)) & 0x3ff;
        for (unsigned j = 0; j < 4; j++)
            p->c[4 * i + j] = (int16_t)((t[j] * Q + 512) >> 10);
    }
}

void tl_mlkem_poly_compress4(uint8_t r[TL_MLKEM_POLY_DV_BYTES], const tl_mlkem_poly *p)
{
    for (unsigned i = 0; i < TL_MLKEM_N / 2; i++)
        r[i] = (uint8_t)(compress4(p->c[2 * i]) | (compress4(p->c[2 * i + 1]) << 4));
}

void tl_mlkem_poly_decompress4(tl_mlkem_poly *p, const uint8_t a[TL_MLKEM_POLY_DV_BYTES])
{
    for (unsigned i = 0; i < TL_MLKEM_N / 2; i++) {
        p->c[2 * i] = (int16_t)(((uint32_t)(a[i] & 0x0f) * Q + 8) >> 4);
        p->c[2 * i + 1] = (int16_t)(((uint32_t)(a[i] >> 4) * Q + 8) >> 4);
    }
}

void tl_mlkem_poly_frommsg(tl_mlkem_poly *p, const uint8_t m[32])
{
    for (unsigned i = 0; i < 32; i++)
        for (unsigned j = 0; j < 8; j++) {
            uint16_t bit = (uint16_t)((m[i] >> j) & 1);
            p->c[8 * i + j] = (int16_t)((uint16_t)(-bit) & ((Q + 1) / 2));
        }
}

void tl_mlkem_poly_tomsg(uint8_t m[32], const tl_mlkem_poly *p)
{
    for (unsigned i = 0; i < 32; i++) {
        uint8_t byte = 0;
        for (unsigned j = 0; j < 8; j++)
            byte |= (uint8_t)(compress1(p->c[8 * i + j]) << j);
        m[i] = byte;
    }
}
