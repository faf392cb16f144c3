/* RFC 9380 hashing to curve25519 (src/crypto/h2c25519.h) against the RFC's
 * own vectors (tests/vectors/rfc9380/, see the README there):
 *   - expand_message_xmd: Appendix K.1 (SHA-256), K.2 (SHA-256, 256-byte
 *     DST, the oversize-DST rule) and K.3 (SHA-512), 10 cases each;
 *   - curve25519_XMD:SHA-512_ELL2_NU_ (Appendix J.4.2): msg -> u[0]
 *     (hash_to_field), u[0] -> Q (Elligator 2, both coordinates, so the sign
 *     rule is checked too), Q -> P (cofactor clearing), and msg -> P.x;
 *   - curve25519_XMD:SHA-512_ELL2_RO_ (Appendix J.4.1): u[0] -> Q0 and
 *     u[1] -> Q1 (map_to_curve alone; the RO point addition is not ours).
 * The case counts are asserted, so a missing or truncated file fails. Then
 * the map is checked against an independent big-number computation
 * (OpenSSL BN) for random and edge-case field elements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/bn.h>

#include "crypto/h2c25519.h"
#include "crypto/test_mlkem_util.h"
#include "tallow/common.h"
#include "tallow/crypto.h"

static cJSON *load_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/rfc9380/%s", TL_VECTORS_DIR, name);
    cJSON *root = tl_test_load_json(path, stderr);
    if (root == NULL)
        fail_msg("cannot load %s", path);
    return root;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

/* Hex (optional "0x") into out; returns the length. */
static size_t unhex(uint8_t *out, size_t cap, const char *h)
{
    if (h[0] == '0' && h[1] == 'x')
        h += 2;
    size_t n = 0;
    uint8_t *b = tl_test_hex_decode(h, &n);
    if (b == NULL)
        fail_msg("bad hex: %s", h);
    assert_true(n <= cap);
    memcpy(out, b, n);
    free(b);
    return n;
}

/* "0x..." field element (big-endian, as the RFC prints it) into 32 bytes
 * little-endian. */
static void fe_hex(uint8_t out[32], const char *h)
{
    uint8_t be[32];
    assert_int_equal(unhex(be, sizeof(be), h), 32);
    for (int i = 0; i < 32; i++)
        out[i] = be[31 - i];
}

static void expand_file(const char *name, tl_h2c_hash hash, int want)
{
    cJSON *root = load_json(name);
    const char *dst = jstr(root, "DST");
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
    int ran = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tests)
    {
        const char *msg = jstr(t, "msg");
        size_t len = strtoul(jstr(t, "len_in_bytes"), NULL, 16);
        uint8_t want_out[256], out[256];
        assert_int_equal(unhex(want_out, sizeof(want_out), jstr(t, "uniform_bytes")), len);
        assert_int_equal(tl_h2c_expand_xmd(hash, out, len, (const uint8_t *)msg, strlen(msg),
                                           (const uint8_t *)dst, strlen(dst)),
                         TL_OK);
        assert_memory_equal(out, want_out, len);
        ran++;
    }
    assert_int_equal(ran, want);
    cJSON_Delete(root);
}

static void test_expand_xmd(void **state)
{
    (void)state;
    expand_file("expand_message_xmd_SHA256_38.json", TL_H2C_SHA256, 10);  /* K.1 */
    expand_file("expand_message_xmd_SHA256_256.json", TL_H2C_SHA256, 10); /* K.2 */
    expand_file("expand_message_xmd_SHA512_38.json", TL_H2C_SHA512, 10);  /* K.3 */
    /* Limits: ell <= 255 and len >= 1. */
    uint8_t big[255 * 32 + 1];
    assert_int_equal(
        tl_h2c_expand_xmd(TL_H2C_SHA256, big, 255 * 32, NULL, 0, (const uint8_t *)"D", 1), TL_OK);
    assert_int_equal(
        tl_h2c_expand_xmd(TL_H2C_SHA256, big, 255 * 32 + 1, NULL, 0, (const uint8_t *)"D", 1),
        TL_ERR_INVALID_ARG);
    assert_int_equal(tl_h2c_expand_xmd(TL_H2C_SHA512, big, 0, NULL, 0, (const uint8_t *)"D", 1),
                     TL_ERR_INVALID_ARG);
}

static void check_map(const cJSON *u_hex, const cJSON *q)
{
    uint8_t u[32], qx[32], qy[32], x[32], y[32];
    fe_hex(u, u_hex->valuestring);
    fe_hex(qx, jstr(q, "x"));
    fe_hex(qy, jstr(q, "y"));
    tl_h2c25519_map(x, y, u);
    assert_memory_equal(x, qx, 32);
    assert_memory_equal(y, qy, 32);
}

static void test_curve25519_nu(void **state)
{
    (void)state;
    cJSON *root = load_json("curve25519_XMD_SHA-512_ELL2_NU_.json");
    const char *dst = jstr(root, "dst");
    assert_string_equal(jstr(root, "ciphersuite"), "curve25519_XMD:SHA-512_ELL2_NU_");
    int ran = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors"))
    {
        const char *msg = jstr(v, "msg");
        const cJSON *us = cJSON_GetObjectItemCaseSensitive(v, "u");
        assert_int_equal(cJSON_GetArraySize(us), 1);
        uint8_t u_want[32], u[32], px[32], qx[32], x[32], g[32];
        fe_hex(u_want, cJSON_GetArrayItem(us, 0)->valuestring);
        assert_int_equal(tl_h2c25519_hash_to_field(u, (const uint8_t *)msg, strlen(msg),
                                                   (const uint8_t *)dst, strlen(dst)),
                         TL_OK);
        assert_memory_equal(u, u_want, 32);
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(v, "Q");
        check_map(cJSON_GetArrayItem(us, 0), q);
        fe_hex(qx, jstr(q, "x"));
        fe_hex(px, jstr(cJSON_GetObjectItemCaseSensitive(v, "P"), "x"));
        tl_h2c25519_clear_cofactor(x, qx);
        assert_memory_equal(x, px, 32);
        assert_int_equal(tl_h2c25519_encode(g, (const uint8_t *)msg, strlen(msg),
                                            (const uint8_t *)dst, strlen(dst)),
                         TL_OK);
        assert_memory_equal(g, px, 32);
        ran++;
    }
    assert_int_equal(ran, 5);
    cJSON_Delete(root);
}

static void test_curve25519_ro_map(void **state)
{
    (void)state;
    cJSON *root = load_json("curve25519_XMD_SHA-512_ELL2_RO_.json");
    assert_string_equal(jstr(root, "ciphersuite"), "curve25519_XMD:SHA-512_ELL2_RO_");
    int ran = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors"))
    {
        const cJSON *us = cJSON_GetObjectItemCaseSensitive(v, "u");
        assert_int_equal(cJSON_GetArraySize(us), 2);
        check_map(cJSON_GetArrayItem(us, 0), cJSON_GetObjectItemCaseSensitive(v, "Q0"));
        check_map(cJSON_GetArrayItem(us, 1), cJSON_GetObjectItemCaseSensitive(v, "Q1"));
        ran += 2;
    }
    assert_int_equal(ran, 10);
    cJSON_Delete(root);
}

/* ---- independent reference with OpenSSL BN ------------------------------ */

static BIGNUM *bn_le(const uint8_t b[32], BIGNUM *r)
{
    assert_non_null(BN_lebin2bn(b, 32, r));
    return r;
}

/* Elligator 2 by the RFC's steps, in big numbers; x and y little-endian. */
static void ref_map(uint8_t x_out[32], int *y_odd, const uint8_t u_in[32], BN_CTX *bc)
{
    BN_CTX_start(bc);
    BIGNUM *p = BN_CTX_get(bc), *A = BN_CTX_get(bc), *u = BN_CTX_get(bc), *t = BN_CTX_get(bc),
           *x1 = BN_CTX_get(bc), *x = BN_CTX_get(bc), *g = BN_CTX_get(bc), *e = BN_CTX_get(bc);
    assert_non_null(e);
    BN_zero(p);
    BN_set_bit(p, 255);
    BN_sub_word(p, 19);
    BN_set_word(A, 486662);
    uint8_t uc[32];
    memcpy(uc, u_in, 32);
    uc[31] &= 0x7f;
    bn_le(uc, u);
    BN_mod_sqr(t, u, p, bc);
    BN_mul_word(t, 2);
    BN_add_word(t, 1);
    BN_mod(t, t, p, bc);
    assert_non_null(BN_mod_inverse(t, t, p, bc)); /* 1 + 2u^2 != 0 for Z = 2 */
    BN_mod_mul(x1, A, t, p, bc);
    BN_mod_sub(x1, p, x1, p, bc); /* -A / (1 + 2u^2) */
    /* g(x1) square? Euler's criterion. */
    BN_mod_add(t, x1, A, p, bc);
    BN_mod_mul(t, t, x1, p, bc);
    BN_add_word(t, 1);
    BN_mod_mul(g, t, x1, p, bc);
    BN_copy(e, p);
    BN_sub_word(e, 1);
    BN_rshift1(e, e);
    BN_mod_exp(t, g, e, p, bc);
    int square = BN_is_one(t) || BN_is_zero(t);
    if (square) {
        BN_copy(x, x1);
    } else {
        BN_mod_add(x, x1, A, p, bc);
        BN_mod_sub(x, p, x, p, bc); /* -x1 - A */
    }
    assert_int_equal(BN_bn2lebinpad(x, x_out, 32), 32);
    *y_odd = square; /* sgn0(y) = 1 for x1, 0 for x2 */
    BN_CTX_end(bc);
}

/* v^2 == u^3 + A u^2 + u, and the returned sign. */
static void check_on_curve(const uint8_t x[32], const uint8_t y[32], BN_CTX *bc)
{
    BN_CTX_start(bc);
    BIGNUM *p = BN_CTX_get(bc), *bx = BN_CTX_get(bc), *by = BN_CTX_get(bc), *l = BN_CTX_get(bc),
           *r = BN_CTX_get(bc), *t = BN_CTX_get(bc);
    assert_non_null(t);
    BN_zero(p);
    BN_set_bit(p, 255);
    BN_sub_word(p, 19);
    bn_le(x, bx);
    bn_le(y, by);
    assert_true(BN_cmp(bx, p) < 0 && BN_cmp(by, p) < 0); /* canonical */
    BN_mod_sqr(l, by, p, bc);
    BN_copy(t, bx);
    BN_add_word(t, 486662);
    BN_mod_mul(t, t, bx, p, bc);
    BN_add_word(t, 1);
    BN_mod_mul(r, t, bx, p, bc);
    assert_int_equal(BN_cmp(l, r), 0);
    BN_CTX_end(bc);
}

static void test_map_reference(void **state)
{
    (void)state;
    BN_CTX *bc = BN_CTX_new();
    assert_non_null(bc);
    uint8_t u[32], x[32], y[32], rx[32];
    int odd;
    for (int k = 0; k < 300; k++) {
        if (k == 0)
            memset(u, 0, 32); /* u = 0 */
        else if (k == 1)
            memset(u, 0xff, 32); /* 2^255 - 1 after the top bit: = 18 mod p */
        else if (k == 2) {
            memset(u, 0xff, 32); /* p - 1 */
            u[0] = 0xec;
            u[31] = 0x7f;
        } else
            assert_int_equal(tl_random(u, 32), TL_OK);
        tl_h2c25519_map(x, y, u);
        ref_map(rx, &odd, u, bc);
        assert_memory_equal(x, rx, 32);
        check_on_curve(x, y, bc);
        assert_int_equal(y[0] & 1, odd);
    }
    /* A non-canonical input equals its reduction: p + 1 and 1. */
    uint8_t one[32] = {1}, p1[32], y2[32];
    memset(p1, 0xff, 32);
    p1[0] = 0xee;
    p1[31] = 0x7f;
    tl_h2c25519_map(x, y, one);
    tl_h2c25519_map(rx, y2, p1);
    assert_memory_equal(x, rx, 32);
    assert_memory_equal(y, y2, 32);
    /* Cofactor clearing of a point of order 2 (u = 0) gives 0. */
    uint8_t zero[32] = {0};
    tl_h2c25519_clear_cofactor(x, zero);
    assert_memory_equal(x, zero, 32);
    BN_CTX_free(bc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_xmd),
        cmocka_unit_test(test_curve25519_nu),
        cmocka_unit_test(test_curve25519_ro_map),
        cmocka_unit_test(test_map_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
