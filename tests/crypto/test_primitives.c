/* Unit tests for include/tallow/crypto.h: known answers from the RFCs and
 * FIPS 180-4, argument checks, and the compare/wipe helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tallow/crypto.h"

static void unhex(uint8_t *out, const char *hex)
{
    for (size_t i = 0; hex[2 * i] != '\0'; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
}

static void test_ct_helpers(void **state)
{
    (void)state;
    uint8_t a[33], b[33];
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    assert_int_equal(tl_ct_verify(a, b, sizeof(a)), 0);
    assert_int_equal(tl_ct_verify(a, b, 0), 0);
    for (size_t i = 0; i < sizeof(a); i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(tl_ct_verify(a, b, sizeof(a)), -1);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    uint8_t z[40] = {0};
    assert_int_equal(tl_ct_is_zero(z, sizeof(z)), 1);
    z[39] = 0x80;
    assert_int_equal(tl_ct_is_zero(z, sizeof(z)), 0);
    tl_wipe(a, sizeof(a));
    assert_int_equal(tl_ct_is_zero(a, sizeof(a)), 1);
    tl_wipe(NULL, 0);
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[64] = {0}, b[64] = {0};
    assert_int_equal(tl_random(a, sizeof(a)), TL_OK);
    assert_int_equal(tl_random(b, sizeof(b)), TL_OK);
    assert_int_equal(tl_ct_is_zero(a, sizeof(a)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(tl_random(a, 0), TL_OK);
}

static void test_sha256(void **state)
{
    (void)state;
    uint8_t want[32], got[32], peek[32];
    /* FIPS 180-4 examples: "abc" and the 448-bit message. */
    unhex(want, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(tl_sha256(got, "abc", 3), TL_OK);
    assert_memory_equal(got, want, 32);
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    unhex(want, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    tl_sha256_ctx *c = NULL;
    assert_int_equal(tl_sha256_new(&c), TL_OK);
    assert_int_equal(tl_sha256_update(c, "abc", 3), TL_OK);
    assert_int_equal(tl_sha256_peek(c, peek), TL_OK);
    unhex(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_memory_equal(peek, got, 32); /* peek = digest so far */
    assert_int_equal(tl_sha256_update(c, m2 + 3, strlen(m2) - 3), TL_OK);
    assert_int_equal(tl_sha256_update(c, NULL, 0), TL_OK);
    assert_int_equal(tl_sha256_final(c, got), TL_OK);
    assert_memory_equal(got, want, 32);
    tl_sha256_free(c);
    tl_sha256_free(NULL);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t want[32], got[32];
    /* RFC 4231 test case 2. */
    unhex(want, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(
        tl_hmac_sha256(got, (const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28), TL_OK);
    assert_memory_equal(got, want, 32);
}

static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    /* RFC 5869 A.1 and A.3 (empty salt and info). */
    uint8_t ikm[22], salt[13], info[10], prk[32], want_prk[32], okm[42], want[42];
    memset(ikm, 0x0b, sizeof(ikm));
    unhex(salt, "000102030405060708090a0b0c");
    unhex(info, "f0f1f2f3f4f5f6f7f8f9");
    unhex(want_prk, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    unhex(want, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                "34007208d5b887185865");
    assert_int_equal(tl_hkdf_extract(prk, salt, sizeof(salt), ikm, sizeof(ikm)), TL_OK);
    assert_memory_equal(prk, want_prk, 32);
    assert_int_equal(tl_hkdf_expand(okm, sizeof(okm), prk, 32, info, sizeof(info)), TL_OK);
    assert_memory_equal(okm, want, sizeof(okm));

    unhex(want_prk, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    unhex(want, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                "9d201395faa4b61a96c8");
    assert_int_equal(tl_hkdf_extract(prk, NULL, 0, ikm, sizeof(ikm)), TL_OK);
    assert_memory_equal(prk, want_prk, 32);
    assert_int_equal(tl_hkdf_expand(okm, sizeof(okm), prk, 32, NULL, 0), TL_OK);
    assert_memory_equal(okm, want, sizeof(okm));

    /* Empty IKM is legal in RFC 5869: PRK = HMAC(salt, ""). */
    uint8_t h[32];
    assert_int_equal(tl_hkdf_extract(prk, salt, sizeof(salt), NULL, 0), TL_OK);
    assert_int_equal(tl_hmac_sha256(h, salt, sizeof(salt), NULL, 0), TL_OK);
    assert_memory_equal(prk, h, 32);

    /* Limits. */
    static uint8_t big[TL_HKDF_MAX_OKM + 1];
    assert_int_equal(tl_hkdf_expand(big, TL_HKDF_MAX_OKM, prk, 32, NULL, 0), TL_OK);
    assert_int_equal(tl_hkdf_expand(big, TL_HKDF_MAX_OKM + 1, prk, 32, NULL, 0),
                     TL_ERR_INVALID_ARG);
    assert_int_equal(tl_hkdf_expand(big, 0, prk, 32, NULL, 0), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_hkdf_expand(big, 32, prk, 31, NULL, 0), TL_ERR_INVALID_ARG);
}

static void test_x25519_rfc7748(void **state)
{
    (void)state;
    /* RFC 7748 §6.1. */
    uint8_t a[32], apub[32], b[32], bpub[32], k[32], got[32], ka[32], kb[32];
    unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(apub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    unhex(bpub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    unhex(k, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_int_equal(tl_x25519_public(got, a), TL_OK);
    assert_memory_equal(got, apub, 32);
    assert_int_equal(tl_x25519_public(got, b), TL_OK);
    assert_memory_equal(got, bpub, 32);
    assert_int_equal(tl_x25519_shared(got, a, bpub), TL_OK);
    assert_memory_equal(got, k, 32);
    assert_int_equal(tl_x25519_shared(got, b, apub), TL_OK);
    assert_memory_equal(got, k, 32);

    assert_int_equal(tl_x25519_keygen(a, apub), TL_OK);
    assert_int_equal(tl_x25519_keygen(b, bpub), TL_OK);
    assert_int_equal(tl_x25519_shared(ka, a, bpub), TL_OK);
    assert_int_equal(tl_x25519_shared(kb, b, apub), TL_OK);
    assert_memory_equal(ka, kb, 32);

    /* The key object gives the same results. */
    tl_x25519_key *kobj = NULL;
    assert_int_equal(tl_x25519_key_new(&kobj, a), TL_OK);
    assert_int_equal(tl_x25519_key_public(kobj, got), TL_OK);
    assert_memory_equal(got, apub, 32);
    assert_int_equal(tl_x25519_key_shared(kobj, bpub, got), TL_OK);
    assert_memory_equal(got, ka, 32);
    uint8_t zpt[32] = {0};
    assert_int_equal(tl_x25519_key_shared(kobj, zpt, got), TL_ERR_INVALID_ARG);
    assert_true(tl_ct_is_zero(got, 32));
    tl_x25519_key_free(kobj);
    tl_x25519_key_free(NULL);

    /* Low-order points give zero: rejected, output zeroed. */
    uint8_t zero_pt[32] = {0}, one_pt[32] = {1};
    memset(got, 0xaa, sizeof(got));
    assert_int_equal(tl_x25519_shared(got, a, zero_pt), TL_ERR_INVALID_ARG);
    assert_true(tl_ct_is_zero(got, 32));
    assert_int_equal(tl_x25519_shared(got, a, one_pt), TL_ERR_INVALID_ARG);
}

static void test_aead(void **state)
{
    (void)state;
    uint8_t key[32], nonce[12] = {1, 2, 3}, aad[7] = "header";
    uint8_t msg[1000], ct[1000], out[1000], tag[16];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7);
    memset(key, 0x42, sizeof(key));
    tl_aead *a = NULL;
    assert_int_equal(tl_aead_new(&a, key, 31), TL_ERR_INVALID_ARG);
    assert_null(a);
    assert_int_equal(tl_aead_new(&a, key, 32), TL_OK);
    for (size_t len = 0; len <= sizeof(msg); len += 333) {
        assert_int_equal(tl_aead_seal(a, nonce, 12, aad, sizeof(aad), msg, len, ct, tag), TL_OK);
        assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, len, out, tag), TL_OK);
        assert_memory_equal(out, msg, len);
    }
    /* In place, and with no AAD. */
    memcpy(out, msg, sizeof(msg));
    assert_int_equal(tl_aead_seal(a, nonce, 12, NULL, 0, out, sizeof(out), out, tag), TL_OK);
    assert_int_equal(tl_aead_open(a, nonce, 12, NULL, 0, out, sizeof(out), out, tag), TL_OK);
    assert_memory_equal(out, msg, sizeof(msg));
    /* Tampering with each input fails and zeroes the output. */
    assert_int_equal(tl_aead_seal(a, nonce, 12, aad, sizeof(aad), msg, 100, ct, tag), TL_OK);
    ct[50] ^= 1;
    assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, 100, out, tag), TL_ERR_AUTH);
    assert_true(tl_ct_is_zero(out, 100));
    ct[50] ^= 1;
    aad[0] ^= 1;
    assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, 100, out, tag), TL_ERR_AUTH);
    aad[0] ^= 1;
    nonce[11] ^= 1;
    assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, 100, out, tag), TL_ERR_AUTH);
    nonce[11] ^= 1;
    tag[15] ^= 1;
    assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, 100, out, tag), TL_ERR_AUTH);
    tag[15] ^= 1;
    /* The context is still good after failures. */
    assert_int_equal(tl_aead_open(a, nonce, 12, aad, sizeof(aad), ct, 100, out, tag), TL_OK);
    assert_memory_equal(out, msg, 100);
    /* Nonce sizes and limits. */
    assert_int_equal(tl_aead_seal(a, nonce, 0, NULL, 0, msg, 1, ct, tag), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_aead_seal(a, nonce, 8, NULL, 0, msg, 1, ct, tag), TL_ERR_UNSUPPORTED);
    assert_int_equal(tl_aead_open(a, nonce, 16, NULL, 0, ct, 1, out, tag), TL_ERR_UNSUPPORTED);
    assert_int_equal(tl_aead_seal(a, nonce, 12, NULL, 0, msg, TL_AEAD_MAX_LEN + 1, ct, tag),
                     TL_ERR_TOO_BIG);
    tl_aead_free(a);
    tl_aead_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_helpers),   cmocka_unit_test(test_random),
        cmocka_unit_test(test_sha256),       cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hkdf_rfc5869), cmocka_unit_test(test_x25519_rfc7748),
        cmocka_unit_test(test_aead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
