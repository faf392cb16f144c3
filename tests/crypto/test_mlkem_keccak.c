/* Keccak/SHA-3/SHAKE: FIPS 202 known answers, and the incremental SHAKE
 * (random absorb and squeeze splits, block squeezing) against OpenSSL's
 * one-shot EVP digests on random inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/keccak.h"
#include "crypto/test_mlkem_util.h"

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
    size_t n;
    uint8_t *want = tl_test_hex_decode(hex, &n);
    assert_non_null(want);
    assert_int_equal(n, len);
    assert_memory_equal(got, want, len);
    free(want);
}

static void test_known_answers(void **state)
{
    (void)state;
    uint8_t out[64];
    const uint8_t *abc = (const uint8_t *)"abc";

    tl_sha3_256(out, NULL, 0);
    assert_hex(out, 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    tl_sha3_256(out, abc, 3);
    assert_hex(out, 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    tl_sha3_512(out, NULL, 0);
    assert_hex(out, 64,
               "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a6"
               "15b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26");
    tl_sha3_512(out, abc, 3);
    assert_hex(out, 64,
               "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
               "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
    tl_shake128(out, 32, NULL, 0);
    assert_hex(out, 32, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    tl_shake256(out, 64, NULL, 0);
    assert_hex(out, 64,
               "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"
               "d75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be");
    tl_shake128(out, 32, abc, 3);
    assert_hex(out, 32, "5881092dd818bf5cf8a3ddb793fbcba74097d5c526a6d35f97b83351940f2cc8");
}

static void evp_digest(const char *name, uint8_t *out, size_t outlen, const uint8_t *in,
                       size_t inlen)
{
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(md);
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, in, inlen), 1);
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) {
        assert_int_equal(EVP_DigestFinalXOF(ctx, out, outlen), 1);
    } else {
        unsigned int n = 0;
        assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
        assert_int_equal(n, outlen);
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
}

static size_t rnd(size_t bound)
{
    uint32_t r;
    assert_int_equal(RAND_bytes((uint8_t *)&r, sizeof r), 1);
    return bound ? r % bound : 0;
}

/* 300 random messages of 0..700 bytes (crossing every rate boundary), fed in
 * random pieces, squeezed in random pieces up to 600 bytes. */
static void test_shake_vs_openssl(void **state)
{
    (void)state;
    static uint8_t in[700], want[600], got[600];
    for (int iter = 0; iter < 300; iter++) {
        size_t inlen = rnd(sizeof in + 1), outlen = 1 + rnd(sizeof want);
        assert_int_equal(RAND_bytes(in, sizeof in), 1);
        int is128 = iter & 1;
        evp_digest(is128 ? "SHAKE128" : "SHAKE256", want, outlen, in, inlen);

        tl_keccak_ctx ctx;
        if (is128)
            tl_shake128_init(&ctx);
        else
            tl_shake256_init(&ctx);
        for (size_t off = 0; off < inlen;) {
            size_t n = 1 + rnd(inlen - off < 200 ? inlen - off : 200);
            tl_keccak_absorb(&ctx, in + off, n);
            off += n;
        }
        for (size_t off = 0; off < outlen;) {
            size_t n = 1 + rnd(outlen - off);
            tl_keccak_squeeze(&ctx, got + off, n);
            off += n;
        }
        assert_memory_equal(got, want, outlen);

        /* One-shot forms too. */
        if (is128)
            tl_shake128(got, outlen, in, inlen);
        else
            tl_shake256(got, outlen, in, inlen);
        assert_memory_equal(got, want, outlen);
    }
}

static void test_sha3_vs_openssl(void **state)
{
    (void)state;
    static uint8_t in[700];
    uint8_t want[64], got[64];
    for (int iter = 0; iter < 200; iter++) {
        size_t inlen = rnd(sizeof in + 1);
        assert_int_equal(RAND_bytes(in, sizeof in), 1);
        evp_digest("SHA3-256", want, 32, in, inlen);
        tl_sha3_256(got, in, inlen);
        assert_memory_equal(got, want, 32);
        evp_digest("SHA3-512", want, 64, in, inlen);
        tl_sha3_512(got, in, inlen);
        assert_memory_equal(got, want, 64);
    }
}

/* squeezeblocks as used by the matrix sampling: whole 168-byte blocks, then
 * more blocks, equal to a long one-shot output. */
static void test_squeezeblocks(void **state)
{
    (void)state;
    uint8_t seed[34];
    static uint8_t want[6 * TL_SHAKE128_RATE], got[6 * TL_SHAKE128_RATE];
    for (int iter = 0; iter < 20; iter++) {
        assert_int_equal(RAND_bytes(seed, sizeof seed), 1);
        evp_digest("SHAKE128", want, sizeof want, seed, sizeof seed);
        tl_keccak_ctx ctx;
        tl_shake128_init(&ctx);
        tl_keccak_absorb(&ctx, seed, 32);
        tl_keccak_absorb(&ctx, seed + 32, 2);
        tl_keccak_squeezeblocks(&ctx, got, 3);
        tl_keccak_squeezeblocks(&ctx, got + 3 * TL_SHAKE128_RATE, 1);
        tl_keccak_squeezeblocks(&ctx, got + 4 * TL_SHAKE128_RATE, 2);
        assert_memory_equal(got, want, sizeof want);
        tl_keccak_wipe(&ctx);
        for (size_t i = 0; i < sizeof ctx; i++)
            assert_int_equal(((const uint8_t *)&ctx)[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_shake_vs_openssl),
        cmocka_unit_test(test_sha3_vs_openssl),
        cmocka_unit_test(test_squeezeblocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
