/* RFC 9380 hashing to curve25519 (src/crypto/h2c25519.h): expand_message_xmd
 * over OpenSSL's SHA-256/SHA-512, and GF(2^255 - 19) arithmetic of our own
 * for hash_to_field, Elligator 2 and cofactor clearing.
 *
 * Constant time: a field element is five 51-bit limbs in uint64_t, products
 * are taken in unsigned __int128 and every operation runs the same
 * instructions whatever the values. Exponents (inversion, square root) are
 * public constants evaluated by fixed addition chains; selections use masks
 * (fe_cmov), comparisons fold bytes with OR. No branch and no table index
 * depends on a field element, so the join-code secret this hashes never
 * steers control flow (checked under valgrind by tests/crypto/ctgrind_keys.c).
 * Every secret intermediate is wiped with OPENSSL_cleanse before return. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/h2c25519.h"
#include "tallow/common.h"

typedef unsigned __int128 u128;

#define MASK51 ((uint64_t)0x7ffffffffffff)

typedef struct {
    uint64_t v[5];
} fe;

/* ---- field arithmetic mod p = 2^255 - 19 -------------------------------- */

static uint64_t load64_le(const uint8_t *s)
{
    uint64_t r = 0;
    for (int i = 7; i >= 0; i--)
        r = r << 8 | s[i];
    return r;
}

static void store64_le(uint8_t *s, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        s[i] = (uint8_t)(v >> (8 * i));
}

/* Bits 0..254 of s (bit 255 ignored), not necessarily reduced. */
static void fe_frombytes(fe *h, const uint8_t s[32])
{
    h->v[0] = load64_le(s) & MASK51;
    h->v[1] = (load64_le(s + 6) >> 3) & MASK51;
    h->v[2] = (load64_le(s + 12) >> 6) & MASK51;
    h->v[3] = (load64_le(s + 19) >> 1) & MASK51;
    h->v[4] = (load64_le(s + 24) >> 12) & MASK51;
}

/* Weak reduction: every limb below 2^51 + 2^13 afterwards. */
static void fe_carry(fe *h)
{
    uint64_t c;
    c = h->v[0] >> 51;
    h->v[0] &= MASK51;
    h->v[1] += c;
    c = h->v[1] >> 51;
    h->v[1] &= MASK51;
    h->v[2] += c;
    c = h->v[2] >> 51;
    h->v[2] &= MASK51;
    h->v[3] += c;
    c = h->v[3] >> 51;
    h->v[3] &= MASK51;
    h->v[4] += c;
    c = h->v[4] >> 51;
    h->v[4] &= MASK51;
    h->v[0] += 19 * c;
    c = h->v[0] >> 51;
    h->v[0] &= MASK51;
    h->v[1] += c;
}

/* Canonical little-endian encoding (fully reduced mod p). */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
    fe h = *f;
    fe_carry(&h);
    fe_carry(&h);
    /* q = 1 iff h >= p, i.e. h + 19 carries out of bit 255. */
    uint64_t q = (h.v[0] + 19) >> 51;
    q = (h.v[1] + q) >> 51;
    q = (h.v[2] + q) >> 51;
    q = (h.v[3] + q) >> 51;
    q = (h.v[4] + q) >> 51;
    h.v[0] += 19 * q;
    uint64_t c = h.v[0] >> 51;
    h.v[0] &= MASK51;
    h.v[1] += c;
    c = h.v[1] >> 51;
    h.v[1] &= MASK51;
    h.v[2] += c;
    c = h.v[2] >> 51;
    h.v[2] &= MASK51;
    h.v[3] += c;
    c = h.v[3] >> 51;
    h.v[3] &= MASK51;
    h.v[4] += c;
    h.v[4] &= MASK51; /* h + 19q - 2^255 q = h - q p */
    store64_le(s, h.v[0] | h.v[1] << 51);
    store64_le(s + 8, h.v[1] >> 13 | h.v[2] << 38);
    store64_le(s + 16, h.v[2] >> 26 | h.v[3] << 25);
    store64_le(s + 24, h.v[3] >> 39 | h.v[4] << 12);
    OPENSSL_cleanse(&h, sizeof(h));
}

static void fe_set_small(fe *h, uint64_t v)
{
    memset(h, 0, sizeof(*h));
    h->v[0] = v;
}

static void fe_add(fe *h, const fe *a, const fe *b)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = a->v[i] + b->v[i];
    fe_carry(h);
}

/* h = a - b, computed as a + 2p - b (b weakly reduced, so no underflow). */
static void fe_sub(fe *h, const fe *a, const fe *b)
{
    h->v[0] = a->v[0] + 0xfffffffffffdaULL - b->v[0];
    for (int i = 1; i < 5; i++)
        h->v[i] = a->v[i] + 0xffffffffffffeULL - b->v[i];
    fe_carry(h);
}

static void fe_neg(fe *h, const fe *a)
{
    fe z;
    fe_set_small(&z, 0);
    fe_sub(h, &z, a);
}

static void fe_mul(fe *h, const fe *a, const fe *b)
{
    const uint64_t *f = a->v, *g = b->v;
    uint64_t g1_19 = 19 * g[1], g2_19 = 19 * g[2], g3_19 = 19 * g[3], g4_19 = 19 * g[4];
    u128 r0 = (u128)f[0] * g[0] + (u128)f[1] * g4_19 + (u128)f[2] * g3_19 + (u128)f[3] * g2_19 +
              (u128)f[4] * g1_19;
    u128 r1 = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4_19 + (u128)f[3] * g3_19 +
              (u128)f[4] * g2_19;
    u128 r2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] + (u128)f[3] * g4_19 +
              (u128)f[4] * g3_19;
    u128 r3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] + (u128)f[3] * g[0] +
              (u128)f[4] * g4_19;
    u128 r4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] + (u128)f[3] * g[1] +
              (u128)f[4] * g[0];
    r1 += (uint64_t)(r0 >> 51);
    uint64_t h0 = (uint64_t)r0 & MASK51;
    r2 += (uint64_t)(r1 >> 51);
    uint64_t h1 = (uint64_t)r1 & MASK51;
    r3 += (uint64_t)(r2 >> 51);
    uint64_t h2 = (uint64_t)r2 & MASK51;
    r4 += (uint64_t)(r3 >> 51);
    uint64_t h3 = (uint64_t)r3 & MASK51;
    uint64_t c = (uint64_t)(r4 >> 51);
    uint64_t h4 = (uint64_t)r4 & MASK51;
    h0 += c * 19;
    h1 += h0 >> 51;
    h0 &= MASK51;
    h->v[0] = h0;
    h->v[1] = h1;
    h->v[2] = h2;
    h->v[3] = h3;
    h->v[4] = h4;
}

static void fe_sq(fe *h, const fe *a)
{
    fe_mul(h, a, a);
}

/* h = a^(2^n), n >= 1. */
static void fe_sqn(fe *h, const fe *a, int n)
{
    fe_sq(h, a);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

/* f = g when b == 1, unchanged when b == 0 (b is 0 or 1). */
static void fe_cmov(fe *f, const fe *g, uint64_t b)
{
    uint64_t m = (uint64_t)0 - b;
    for (int i = 0; i < 5; i++)
        f->v[i] ^= m & (f->v[i] ^ g->v[i]);
}

/* 1 if a == b mod p, else 0. */
static uint64_t fe_equal(const fe *a, const fe *b)
{
    uint8_t sa[32], sb[32];
    fe_tobytes(sa, a);
    fe_tobytes(sb, b);
    uint8_t d = 0;
    for (int i = 0; i < 32; i++)
        d |= (uint8_t)(sa[i] ^ sb[i]);
    OPENSSL_cleanse(sa, sizeof(sa));
    OPENSSL_cleanse(sb, sizeof(sb));
    return 1 ^ (((uint64_t)d + 0xff) >> 8); /* d == 0 -> 1 */
}

static uint64_t fe_iszero(const fe *a)
{
    fe z;
    fe_set_small(&z, 0);
    return fe_equal(a, &z);
}

/* sgn0 (RFC 9380 §4.1, m = 1): the parity of the canonical value. */
static uint64_t fe_sgn0(const fe *a)
{
    uint8_t s[32];
    fe_tobytes(s, a);
    uint64_t r = s[0] & 1;
    OPENSSL_cleanse(s, sizeof(s));
    return r;
}

/* z^(2^250 - 1) and z^11, the common head of both chains below. */
static void fe_pow_head(fe *z250, fe *z11, const fe *z)
{
    fe z2, z9, t, a, b;
    fe_sq(&z2, z);         /* 2 */
    fe_sqn(&t, &z2, 2);    /* 8 */
    fe_mul(&z9, &t, z);    /* 9 */
    fe_mul(z11, &z9, &z2); /* 11 */
    fe_sq(&t, z11);        /* 22 */
    fe_mul(&a, &t, &z9);   /* 2^5 - 1 */
    fe_sqn(&t, &a, 5);     /* 2^10 - 2^5 */
    fe_mul(&a, &t, &a);    /* 2^10 - 1 */
    fe_sqn(&t, &a, 10);    /* 2^20 - 2^10 */
    fe_mul(&b, &t, &a);    /* 2^20 - 1 */
    fe_sqn(&t, &b, 20);    /* 2^40 - 2^20 */
    fe_mul(&t, &t, &b);    /* 2^40 - 1 */
    fe_sqn(&t, &t, 10);    /* 2^50 - 2^10 */
    fe_mul(&a, &t, &a);    /* 2^50 - 1 */
    fe_sqn(&t, &a, 50);    /* 2^100 - 2^50 */
    fe_mul(&b, &t, &a);    /* 2^100 - 1 */
    fe_sqn(&t, &b, 100);   /* 2^200 - 2^100 */
    fe_mul(&t, &t, &b);    /* 2^200 - 1 */
    fe_sqn(&t, &t, 50);    /* 2^250 - 2^50 */
    fe_mul(z250, &t, &a);  /* 2^250 - 1 */
    OPENSSL_cleanse(&z2, sizeof(z2));
    OPENSSL_cleanse(&z9, sizeof(z9));
    OPENSSL_cleanse(&t, sizeof(t));
    OPENSSL_cleanse(&a, sizeof(a));
    OPENSSL_cleanse(&b, sizeof(b));
}

/* h = z^(p - 2) = z^(2^255 - 21): 1/z, and 0 for z = 0 (inv0). */
static void fe_invert(fe *h, const fe *z)
{
    fe z250, z11, t;
    fe_pow_head(&z250, &z11, z);
    fe_sqn(&t, &z250, 5); /* 2^255 - 32 */
    fe_mul(h, &t, &z11);  /* 2^255 - 21 */
    OPENSSL_cleanse(&z250, sizeof(z250));
    OPENSSL_cleanse(&z11, sizeof(z11));
    OPENSSL_cleanse(&t, sizeof(t));
}

/* h = z^((p - 5) / 8) = z^(2^252 - 3). */
static void fe_pow22523(fe *h, const fe *z)
{
    fe z250, z11, t;
    fe_pow_head(&z250, &z11, z);
    fe_sqn(&t, &z250, 2); /* 2^252 - 4 */
    fe_mul(h, &t, z);     /* 2^252 - 3 */
    OPENSSL_cleanse(&z250, sizeof(z250));
    OPENSSL_cleanse(&z11, sizeof(z11));
    OPENSSL_cleanse(&t, sizeof(t));
}

/* sqrt(-1) = 2^((p - 1) / 4) mod p, little-endian. */
static const uint8_t k_sqrt_m1[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};

/* p = 5 mod 8: c = g^((p + 3) / 8) satisfies c^2 = +-g when g is a square
 * (then y = c or c*sqrt(-1)) and c^2 = +-sqrt(-1)*g when it is not. Returns
 * 1 and a root of g in y if g is a square (0 included), else 0 (y is then
 * meaningless). */
static uint64_t fe_sqrt(fe *y, const fe *g)
{
    fe c, c2, ng, i, ci;
    fe_pow22523(&c, g);
    fe_mul(&c, &c, g);
    fe_sq(&c2, &c);
    fe_neg(&ng, g);
    fe_frombytes(&i, k_sqrt_m1);
    fe_mul(&ci, &c, &i);
    uint64_t plus = fe_equal(&c2, g);
    uint64_t minus = fe_equal(&c2, &ng);
    *y = c;
    fe_cmov(y, &ci, minus);
    OPENSSL_cleanse(&c, sizeof(c));
    OPENSSL_cleanse(&c2, sizeof(c2));
    OPENSSL_cleanse(&ng, sizeof(ng));
    OPENSSL_cleanse(&ci, sizeof(ci));
    return plus | minus;
}

/* ---- expand_message_xmd ------------------------------------------------- */

struct part {
    const uint8_t *p;
    size_t n;
};

static int digest(const EVP_MD *md, uint8_t *out, const struct part *parts, size_t count)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL) == 1;
    for (size_t k = 0; ok && k < count; k++)
        ok = parts[k].n == 0 || EVP_DigestUpdate(ctx, parts[k].p, parts[k].n) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx); /* cleanses the hash state */
    return ok ? TL_OK : TL_ERR_CRYPTO;
}

int tl_h2c_expand_xmd(tl_h2c_hash hash, uint8_t *out, size_t len, const uint8_t *msg,
                      size_t msg_len, const uint8_t *dst, size_t dst_len)
{
    const EVP_MD *md = hash == TL_H2C_SHA512 ? EVP_sha512() : EVP_sha256();
    size_t b_len = hash == TL_H2C_SHA512 ? 64 : 32;  /* b_in_bytes */
    size_t s_len = hash == TL_H2C_SHA512 ? 128 : 64; /* s_in_bytes */
    if ((hash != TL_H2C_SHA256 && hash != TL_H2C_SHA512) || len == 0 || len > 65535 ||
        (len + b_len - 1) / b_len > 255 || (dst == NULL && dst_len > 0) ||
        (msg == NULL && msg_len > 0))
        return TL_ERR_INVALID_ARG;
    size_t ell = (len + b_len - 1) / b_len;
    static const uint8_t zpad[128];
    static const uint8_t oversize[] = "H2C-OVERSIZE-DST-";
    uint8_t dst_buf[64], dst_n, lib[3], b0[64], bi[64] = {0}, ctr;
    int rc = TL_OK;
    if (dst_len > 255) { /* §5.3.3 */
        struct part p[] = {{oversize, sizeof(oversize) - 1}, {dst, dst_len}};
        rc = digest(md, dst_buf, p, 2);
        dst = dst_buf;
        dst_len = b_len;
    }
    dst_n = (uint8_t)dst_len;
    lib[0] = (uint8_t)(len >> 8);
    lib[1] = (uint8_t)len;
    lib[2] = 0;
    if (rc == TL_OK) {
        struct part p[] = {{zpad, s_len}, {msg, msg_len}, {lib, 3}, {dst, dst_len}, {&dst_n, 1}};
        rc = digest(md, b0, p, 5);
    }
    for (size_t i = 1; rc == TL_OK && i <= ell; i++) {
        uint8_t x[64];
        for (size_t k = 0; k < b_len; k++)
            x[k] = (uint8_t)(b0[k] ^ (i == 1 ? 0 : bi[k]));
        ctr = (uint8_t)i;
        struct part p[] = {{x, b_len}, {&ctr, 1}, {dst, dst_len}, {&dst_n, 1}};
        rc = digest(md, bi, p, 4);
        OPENSSL_cleanse(x, sizeof(x));
        if (rc == TL_OK) {
            size_t off = (i - 1) * b_len, n = len - off < b_len ? len - off : b_len;
            memcpy(out + off, bi, n);
        }
    }
    OPENSSL_cleanse(b0, sizeof(b0));
    OPENSSL_cleanse(bi, sizeof(bi));
    if (rc != TL_OK)
        OPENSSL_cleanse(out, len);
    return rc;
}

/* ---- hash_to_field, Elligator 2, cofactor ------------------------------- */

int tl_h2c25519_hash_to_field(uint8_t u[32], const uint8_t *msg, size_t msg_len, const uint8_t *dst,
                              size_t dst_len)
{
    uint8_t be[48], le[48], lo[32], hi[32] = {0};
    int rc = tl_h2c_expand_xmd(TL_H2C_SHA512, be, sizeof(be), msg, msg_len, dst, dst_len);
    if (rc != TL_OK) {
        memset(u, 0, 32);
        return rc;
    }
    /* n = be as a 384-bit big-endian integer = hi * 2^255 + lo, and
     * 2^255 = 19 mod p, so n = lo + 19 * hi (hi < 2^129). */
    for (int i = 0; i < 48; i++)
        le[i] = be[47 - i];
    memcpy(lo, le, 32); /* fe_frombytes drops bit 255 */
    for (int i = 0; i < 17; i++)
        hi[i] = (uint8_t)(le[31 + i] >> 7 | (i < 16 ? le[32 + i] << 1 : 0));
    fe a, b, n19;
    fe_frombytes(&a, lo);
    fe_frombytes(&b, hi);
    fe_set_small(&n19, 19);
    fe_mul(&b, &b, &n19);
    fe_add(&a, &a, &b);
    fe_tobytes(u, &a);
    OPENSSL_cleanse(be, sizeof(be));
    OPENSSL_cleanse(le, sizeof(le));
    OPENSSL_cleanse(lo, sizeof(lo));
    OPENSSL_cleanse(hi, sizeof(hi));
    OPENSSL_cleanse(&a, sizeof(a));
    OPENSSL_cleanse(&b, sizeof(b));
    return TL_OK;
}

#define CURVE_A 486662

/* g(x) = x^3 + A x^2 + x = x (x (x + A) + 1). */
static void curve_g(fe *gx, const fe *x)
{
    fe a, one, t;
    fe_set_small(&a, CURVE_A);
    fe_set_small(&one, 1);
    fe_add(&t, x, &a);
    fe_mul(&t, &t, x);
    fe_add(&t, &t, &one);
    fe_mul(gx, &t, x);
    OPENSSL_cleanse(&t, sizeof(t));
}

void tl_h2c25519_map(uint8_t x_out[32], uint8_t y_out[32], const uint8_t u_in[32])
{
    fe u, t, one, a, ma, x1, x2, gx1, gx2, y1, y2, x, y, ny;
    fe_frombytes(&u, u_in);
    fe_set_small(&one, 1);
    fe_set_small(&a, CURVE_A);
    fe_neg(&ma, &a);
    /* 1. x1 = -A * inv0(1 + Z u^2), Z = 2. */
    fe_sq(&t, &u);
    fe_add(&t, &t, &t);
    fe_add(&t, &t, &one);
    fe_invert(&t, &t);
    fe_mul(&x1, &ma, &t);
    /* 2. x1 == 0 (1 + Z u^2 == 0, impossible for Z = 2 but specified) -> -A. */
    fe_cmov(&x1, &ma, fe_iszero(&x1));
    /* 3.-5. */
    curve_g(&gx1, &x1);
    fe_sub(&x2, &ma, &x1);
    curve_g(&gx2, &x2);
    /* 6.-7. x1 with sgn0(y) = 1 if g(x1) is square, else x2 with sgn0(y) = 0. */
    uint64_t sq1 = fe_sqrt(&y1, &gx1);
    (void)fe_sqrt(&y2, &gx2);
    x = x2;
    y = y2;
    fe_cmov(&x, &x1, sq1);
    fe_cmov(&y, &y1, sq1);
    fe_neg(&ny, &y);
    fe_cmov(&y, &ny, fe_sgn0(&y) ^ sq1);
    /* 8.-10. K = 1 for curve25519: (s, t) = (x, y). */
    fe_tobytes(x_out, &x);
    fe_tobytes(y_out, &y);
    OPENSSL_cleanse(&u, sizeof(u));
    OPENSSL_cleanse(&t, sizeof(t));
    OPENSSL_cleanse(&x1, sizeof(x1));
    OPENSSL_cleanse(&x2, sizeof(x2));
    OPENSSL_cleanse(&gx1, sizeof(gx1));
    OPENSSL_cleanse(&gx2, sizeof(gx2));
    OPENSSL_cleanse(&y1, sizeof(y1));
    OPENSSL_cleanse(&y2, sizeof(y2));
    OPENSSL_cleanse(&x, sizeof(x));
    OPENSSL_cleanse(&y, sizeof(y));
    OPENSSL_cleanse(&ny, sizeof(ny));
    OPENSSL_cleanse(&sq1, sizeof(sq1));
}

void tl_h2c25519_clear_cofactor(uint8_t out[32], const uint8_t x_in[32])
{
    /* Projective (X : Z), doubled three times with the x-only formula of
     * RFC 7748's ladder: AA = (X+Z)^2, BB = (X-Z)^2, E = AA - BB,
     * X' = AA*BB, Z' = E*(AA + a24*E), a24 = (A - 2)/4 = 121665. */
    fe X, Z, s, d, aa, bb, e, a24;
    fe_frombytes(&X, x_in);
    fe_set_small(&Z, 1);
    fe_set_small(&a24, 121665);
    for (int k = 0; k < 3; k++) {
        fe_add(&s, &X, &Z);
        fe_sub(&d, &X, &Z);
        fe_sq(&aa, &s);
        fe_sq(&bb, &d);
        fe_sub(&e, &aa, &bb);
        fe_mul(&X, &aa, &bb);
        fe_mul(&s, &a24, &e);
        fe_add(&s, &s, &aa);
        fe_mul(&Z, &e, &s);
    }
    fe_invert(&Z, &Z); /* 0 for the point at infinity: u = 0 */
    fe_mul(&X, &X, &Z);
    fe_tobytes(out, &X);
    OPENSSL_cleanse(&X, sizeof(X));
    OPENSSL_cleanse(&Z, sizeof(Z));
    OPENSSL_cleanse(&s, sizeof(s));
    OPENSSL_cleanse(&d, sizeof(d));
    OPENSSL_cleanse(&aa, sizeof(aa));
    OPENSSL_cleanse(&bb, sizeof(bb));
    OPENSSL_cleanse(&e, sizeof(e));
}

int tl_h2c25519_encode(uint8_t g[32], const uint8_t *msg, size_t msg_len, const uint8_t *dst,
                       size_t dst_len)
{
    uint8_t u[32], x[32], y[32];
    int rc = tl_h2c25519_hash_to_field(u, msg, msg_len, dst, dst_len);
    if (rc == TL_OK) {
        tl_h2c25519_map(x, y, u);
        tl_h2c25519_clear_cofactor(g, x);
    } else {
        memset(g, 0, 32);
    }
    OPENSSL_cleanse(u, sizeof(u));
    OPENSSL_cleanse(x, sizeof(x));
    OPENSSL_cleanse(y, sizeof(y));
    return rc;
}
