/* tallow — Keccak-f[1600] and the FIPS 202 functions built on it.
 *
 * The permutation keeps all 25 lanes in local variables and computes two
 * rounds per loop iteration (A -> E -> A), so no lane is copied between
 * rounds; each round's theta/rho/pi/chi/iota is written out lane by lane.
 * Lane i holds x = i % 5, y = i / 5 (FIPS 202 §3.1.2). */
#include "crypto/keccak.h"

#include <string.h>

#include <openssl/crypto.h>

#define ROL64(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static const uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* chi on one row b0..b4 into the five output lanes, with iota folded into
 * the first lane by the caller. */
#define CHI_ROW(o0, o1, o2, o3, o4)                                                                \
    do {                                                                                           \
        o0 = b0 ^ (~b1 & b2);                                                                      \
        o1 = b1 ^ (~b2 & b3);                                                                      \
        o2 = b2 ^ (~b3 & b4);                                                                      \
        o3 = b3 ^ (~b4 & b0);                                                                      \
        o4 = b4 ^ (~b0 & b1);                                                                      \
    } while (0)

/* One full round from lanes A##nn to lanes E##nn. The rho offsets and pi
 * destinations are those of FIPS 202 §3.2.2-3.2.3: lane (x, y) moves to
 * (y, 2x + 3y) after rotating by r[x, y]. */
#define KECCAK_ROUND(A, E, rc)                                                                     \
    do {                                                                                           \
        c0 = A##00 ^ A##05 ^ A##10 ^ A##15 ^ A##20;                                                \
        c1 = A##01 ^ A##06 ^ A##11 ^ A##16 ^ A##21;                                                \
        c2 = A##02 ^ A##07 ^ A##12 ^ A##17 ^ A##22;                                                \
        c3 = A##03 ^ A##08 ^ A##13 ^ A##18 ^ A##23;                                                \
        c4 = A##04 ^ A##09 ^ A##14 ^ A##19 ^ A##24;                                                \
        d0 = c4 ^ ROL64(c1, 1);                                                                    \
        d1 = c0 ^ ROL64(c2, 1);                                                                    \
        d2 = c1 ^ ROL64(c3, 1);                                                                    \
        d3 = c2 ^ ROL64(c4, 1);                                                                    \
        d4 = c3 ^ ROL64(c0, 1);                                                                    \
        b0 = A##00 ^ d0;                                                                           \
        b1 = ROL64(A##06 ^ d1, 44);                                                                \
        b2 = ROL64(A##12 ^ d2, 43);                                                                \
        b3 = ROL64(A##18 ^ d3, 21);                                                                \
        b4 = ROL64(A##24 ^ d4, 14);                                                                \
        CHI_ROW(E##00, E##01, E##02, E##03, E##04);                                                \
        E##00 ^= (rc);                                                                             \
        b0 = ROL64(A##03 ^ d3, 28);                                                                \
        b1 = ROL64(A##09 ^ d4, 20);                                                                \
        b2 = ROL64(A##10 ^ d0, 3);                                                                 \
        b3 = ROL64(A##16 ^ d1, 45);                                                                \
        b4 = ROL64(A##22 ^ d2, 61);                                                                \
        CHI_ROW(E##05, E##06, E##07, E##08, E##09);                                                \
        b0 = ROL64(A##01 ^ d1, 1);                                                                 \
        b1 = ROL64(A##07 ^ d2, 6);                                                                 \
        b2 = ROL64(A##13 ^ d3, 25);                                                                \
        b3 = ROL64(A##19 ^ d4, 8);                                                                 \
        b4 = ROL64(A##20 ^ d0, 18);                                                                \
        CHI_ROW(E##10, E##11, E##12, E##13, E##14);                                                \
        b0 = ROL64(A##04 ^ d4, 27);                                                                \
        b1 = ROL64(A##05 ^ d0, 36);                                                                \
        b2 = ROL64(A##11 ^ d1, 10);                                                                \
        b3 = ROL64(A##17 ^ d2, 15);                                                                \
        b4 = ROL64(A##23 ^ d3, 56);                                                                \
        CHI_ROW(E##15, E##16, E##17, E##18, E##19);                                                \
        b0 = ROL64(A##02 ^ d2, 62);                                                                \
        b1 = ROL64(A##08 ^ d3, 55);                                                                \
        b2 = ROL64(A##14 ^ d4, 39);                                                                \
        b3 = ROL64(A##15 ^ d0, 41);                                                                \
        b4 = ROL64(A##21 ^ d1, 2);                                                                 \
        CHI_ROW(E##20, E##21, E##22, E##23, E##24);                                                \
    } while (0)

void tl_keccak_f1600(uint64_t s[25])
{
    uint64_t a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4];
    uint64_t a05 = s[5], a06 = s[6], a07 = s[7], a08 = s[8], a09 = s[9];
    uint64_t a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14];
    uint64_t a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19];
    uint64_t a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
    uint64_t e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12;
    uint64_t e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
    uint64_t b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

    for (int r = 0; r < 24; r += 2) {
        KECCAK_ROUND(a, e, keccak_rc[r]);
        KECCAK_ROUND(e, a, keccak_rc[r + 1]);
    }

    s[0] = a00, s[1] = a01, s[2] = a02, s[3] = a03, s[4] = a04;
    s[5] = a05, s[6] = a06, s[7] = a07, s[8] = a08, s[9] = a09;
    s[10] = a10, s[11] = a11, s[12] = a12, s[13] = a13, s[14] = a14;
    s[15] = a15, s[16] = a16, s[17] = a17, s[18] = a18, s[19] = a19;
    s[20] = a20, s[21] = a21, s[22] = a22, s[23] = a23, s[24] = a24;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint64_t load64_le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void store64_le(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
#else
static inline uint64_t load64_le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void store64_le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
#endif

static void keccak_init(tl_keccak_ctx *ctx, unsigned rate, uint8_t dsbyte)
{
    memset(ctx->s, 0, sizeof ctx->s);
    ctx->rate = rate;
    ctx->pos = 0;
    ctx->dsbyte = dsbyte;
    ctx->squeezing = 0;
}

void tl_shake128_init(tl_keccak_ctx *ctx)
{
    keccak_init(ctx, TL_SHAKE128_RATE, 0x1f);
}

void tl_shake256_init(tl_keccak_ctx *ctx)
{
    keccak_init(ctx, TL_SHAKE256_RATE, 0x1f);
}

/* XORs len bytes into the state starting at byte offset pos (pos + len <= rate). */
static void xor_bytes(uint64_t s[25], unsigned pos, const uint8_t *in, size_t len)
{
    while (len > 0 && (pos & 7) != 0) {
        s[pos >> 3] ^= (uint64_t)*in++ << (8 * (pos & 7));
        pos++, len--;
    }
    while (len >= 8) {
        s[pos >> 3] ^= load64_le(in);
        in += 8, pos += 8, len -= 8;
    }
    while (len > 0) {
        s[pos >> 3] ^= (uint64_t)*in++ << (8 * (pos & 7));
        pos++, len--;
    }
}

void tl_keccak_absorb(tl_keccak_ctx *ctx, const uint8_t *in, size_t inlen)
{
    while (inlen > 0) {
        size_t take = ctx->rate - ctx->pos;
        if (take > inlen)
            take = inlen;
        xor_bytes(ctx->s, ctx->pos, in, take);
        ctx->pos += (unsigned)take;
        in += take, inlen -= take;
        if (ctx->pos == ctx->rate) {
            tl_keccak_f1600(ctx->s);
            ctx->pos = 0;
        }
    }
}

/* Pads (pad10*1 with the domain bits) and switches to squeezing; afterwards
 * pos == rate means "no unread output in the state". */
static void keccak_finalize(tl_keccak_ctx *ctx)
{
    ctx->s[ctx->pos >> 3] ^= (uint64_t)ctx->dsbyte << (8 * (ctx->pos & 7));
    ctx->s[(ctx->rate - 1) >> 3] ^= 0x80ULL << (8 * ((ctx->rate - 1) & 7));
    ctx->pos = ctx->rate;
    ctx->squeezing = 1;
}

void tl_keccak_squeeze(tl_keccak_ctx *ctx, uint8_t *out, size_t outlen)
{
    if (!ctx->squeezing)
        keccak_finalize(ctx);
    while (outlen > 0) {
        if (ctx->pos == ctx->rate) {
            tl_keccak_f1600(ctx->s);
            ctx->pos = 0;
        }
        size_t take = ctx->rate - ctx->pos;
        if (take > outlen)
            take = outlen;
        if ((ctx->pos & 7) == 0 && (take & 7) == 0) {
            for (size_t i = 0; i < take; i += 8)
                store64_le(out + i, ctx->s[(ctx->pos + i) >> 3]);
        } else {
            for (size_t i = 0; i < take; i++) {
                unsigned p = ctx->pos + (unsigned)i;
                out[i] = (uint8_t)(ctx->s[p >> 3] >> (8 * (p & 7)));
            }
        }
        ctx->pos += (unsigned)take;
        out += take, outlen -= take;
    }
}

void tl_keccak_squeezeblocks(tl_keccak_ctx *ctx, uint8_t *out, size_t nblocks)
{
    if (!ctx->squeezing)
        keccak_finalize(ctx);
    unsigned lanes = ctx->rate / 8;
    while (nblocks-- > 0) {
        tl_keccak_f1600(ctx->s);
        for (unsigned i = 0; i < lanes; i++)
            store64_le(out + 8 * i, ctx->s[i]);
        out += ctx->rate;
    }
    ctx->pos = ctx->rate;
}

void tl_keccak_wipe(tl_keccak_ctx *ctx)
{
    OPENSSL_cleanse(ctx, sizeof *ctx);
}

static void keccak_oneshot(unsigned rate, uint8_t dsbyte, uint8_t *out, size_t outlen,
                           const uint8_t *in, size_t inlen)
{
    tl_keccak_ctx ctx;
    keccak_init(&ctx, rate, dsbyte);
    tl_keccak_absorb(&ctx, in, inlen);
    tl_keccak_squeeze(&ctx, out, outlen);
    tl_keccak_wipe(&ctx);
}

void tl_sha3_256(uint8_t out[32], const uint8_t *in, size_t inlen)
{
    keccak_oneshot(TL_SHA3_256_RATE, 0x06, out, 32, in, inlen);
}

void tl_sha3_512(uint8_t out[64], const uint8_t *in, size_t inlen)
{
    keccak_oneshot(TL_SHA3_512_RATE, 0x06, out, 64, in, inlen);
}

void tl_shake128(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen)
{
    keccak_oneshot(TL_SHAKE128_RATE, 0x1f, out, outlen, in, inlen);
}

void tl_shake256(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen)
{
    keccak_oneshot(TL_SHAKE256_RATE, 0x1f, out, outlen, in, inlen);
}
