/* ML-KEM-768 API behaviour: randomised round trips, implicit rejection
 * (a modified ciphertext gives exactly J(z || c)), the input checks and
 * their error contracts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/keccak.h"
#include "tallow/mlkem.h"

static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN], ct[TL_MLKEM768_CT_LEN];

static void test_roundtrip(void **state)
{
    (void)state;
    uint8_t ss1[32], ss2[32];
    for (int i = 0; i < 50; i++) {
        assert_int_equal(tl_mlkem768_keygen(ek, dk), TL_OK);
        assert_int_equal(tl_mlkem768_check_ek(ek), TL_OK);
        assert_int_equal(tl_mlkem768_check_dk(dk), TL_OK);
        assert_int_equal(tl_mlkem768_encaps(ct, ss1, ek), TL_OK);
        assert_int_equal(tl_mlkem768_decaps(ss2, ct, dk), TL_OK);
        assert_memory_equal(ss1, ss2, 32);
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    uint8_t d[32], z[32], m[32], ek2[TL_MLKEM768_EK_LEN], ss1[32], ss2[32];
    static uint8_t dk2[TL_MLKEM768_DK_LEN], ct2[TL_MLKEM768_CT_LEN];
    memset(d, 1, 32), memset(z, 2, 32), memset(m, 3, 32);
    assert_int_equal(tl_mlkem768_keygen_internal(ek, dk, d, z), TL_OK);
    assert_int_equal(tl_mlkem768_keygen_internal(ek2, dk2, d, z), TL_OK);
    assert_memory_equal(ek, ek2, sizeof ek);
    assert_memory_equal(dk, dk2, sizeof dk);
    /* dk = dk_PKE || ek || H(ek) || z */
    assert_memory_equal(dk + 1152, ek, sizeof ek);
    uint8_t h[32];
    tl_sha3_256(h, ek, sizeof ek);
    assert_memory_equal(dk + 2336, h, 32);
    assert_memory_equal(dk + 2368, z, 32);
    assert_int_equal(tl_mlkem768_encaps_internal(ct, ss1, ek, m), TL_OK);
    assert_int_equal(tl_mlkem768_encaps_internal(ct2, ss2, ek, m), TL_OK);
    assert_memory_equal(ct, ct2, sizeof ct);
    assert_memory_equal(ss1, ss2, 32);
}

/* Every byte position class of c (u part, v part, first, last) flipped:
 * decaps still returns TL_OK, with K-bar = SHAKE256(z || c', 32). */
static void test_implicit_rejection(void **state)
{
    (void)state;
    uint8_t ss[32], good[32], kbar[32], zc[32 + TL_MLKEM768_CT_LEN];
    assert_int_equal(tl_mlkem768_keygen(ek, dk), TL_OK);
    assert_int_equal(tl_mlkem768_encaps(ct, good, ek), TL_OK);
    const size_t pos[] = {0, 1, 500, 959, 960, 1000, TL_MLKEM768_CT_LEN - 1};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
        ct[pos[i]] ^= 0x01;
        assert_int_equal(tl_mlkem768_decaps(ss, ct, dk), TL_OK);
        memcpy(zc, dk + 2368, 32);
        memcpy(zc + 32, ct, sizeof ct);
        tl_shake256(kbar, 32, zc, sizeof zc);
        assert_memory_equal(ss, kbar, 32);
        assert_memory_not_equal(ss, good, 32);
        ct[pos[i]] ^= 0x01;
    }
    assert_int_equal(tl_mlkem768_decaps(ss, ct, dk), TL_OK);
    assert_memory_equal(ss, good, 32);
}

static void test_input_checks(void **state)
{
    (void)state;
    uint8_t ss[32], zero[TL_MLKEM768_CT_LEN] = {0};
    assert_int_equal(tl_mlkem768_keygen(ek, dk), TL_OK);

    /* A coefficient equal to q (0xD01) in the first position of ek. */
    uint8_t bad_ek[TL_MLKEM768_EK_LEN];
    memcpy(bad_ek, ek, sizeof ek);
    bad_ek[0] = 0x01;
    bad_ek[1] = (uint8_t)((bad_ek[1] & 0xf0) | 0x0d);
    assert_int_equal(tl_mlkem768_check_ek(bad_ek), TL_ERR_INVALID_ARG);
    memset(ct, 0xaa, sizeof ct), memset(ss, 0xaa, sizeof ss);
    assert_int_equal(tl_mlkem768_encaps(ct, ss, bad_ek), TL_ERR_INVALID_ARG);
    assert_memory_equal(ct, zero, sizeof ct);
    assert_memory_equal(ss, zero, sizeof ss);
    /* q - 1 in the last coefficient is fine. */
    memcpy(bad_ek, ek, sizeof ek);
    bad_ek[1150] = (uint8_t)((bad_ek[1150] & 0x0f) | 0x00);
    bad_ek[1151] = 0xd0;
    assert_int_equal(tl_mlkem768_check_ek(bad_ek), TL_OK);

    /* Any change to the embedded ek or H(ek) fails the §7.3 check. */
    assert_int_equal(tl_mlkem768_encaps(ct, ss, ek), TL_OK);
    dk[1152 + 7] ^= 0x80;
    assert_int_equal(tl_mlkem768_check_dk(dk), TL_ERR_INVALID_ARG);
    memset(ss, 0xaa, sizeof ss);
    assert_int_equal(tl_mlkem768_decaps(ss, ct, dk), TL_ERR_INVALID_ARG);
    assert_memory_equal(ss, zero, sizeof ss);
    dk[1152 + 7] ^= 0x80;
    dk[2336] ^= 1;
    assert_int_equal(tl_mlkem768_check_dk(dk), TL_ERR_INVALID_ARG);
    dk[2336] ^= 1;
    assert_int_equal(tl_mlkem768_check_dk(dk), TL_OK);

    assert_int_equal(tl_mlkem768_keygen(NULL, dk), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_mlkem768_encaps(ct, NULL, ek), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_mlkem768_decaps(ss, NULL, dk), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_mlkem768_check_ek(NULL), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_mlkem768_check_dk(NULL), TL_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_implicit_rejection),
        cmocka_unit_test(test_input_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
