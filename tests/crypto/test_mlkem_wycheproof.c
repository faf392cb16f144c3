/* ML-KEM-768 against every case of the Project Wycheproof files
 * tests/vectors/wycheproof/mlkem_768_*.json. A "valid" case must be accepted
 * and give the expected bytes; an "invalid" one must be rejected. The
 * public functions take fixed-size arrays, so wrong-length inputs are
 * rejected by the length check every caller makes before calling them (done
 * here exactly as in the handshake code); wrong-content inputs must be
 * rejected by libtallow itself (§7.2 modulus check, §7.3 hash check). The
 * number of cases run is asserted so a missing or cut file cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/test_mlkem_util.h"
#include "tallow/mlkem.h"

#define WP TL_VECTORS_DIR "/wycheproof/"

enum outcome { REJECTED = 0, ACCEPTED = 1, MISMATCH = 2 };

typedef struct counts {
    unsigned total, valid, invalid, rejected_by_lib;
} counts;

typedef enum outcome (*case_fn)(const cJSON *tc, counts *c);

static int eq(const uint8_t *a, const uint8_t *b, size_t blen, size_t want_len)
{
    return b != NULL && blen == want_len && memcmp(a, b, want_len) == 0;
}

/* seed -> (ek, dk): the keygen_seed file. */
static enum outcome keygen_case(const cJSON *tc, counts *c)
{
    (void)c;
    size_t sl, el, dl;
    uint8_t *seed = tl_test_json_hex(tc, "seed", &sl);
    uint8_t *ek = tl_test_json_hex(tc, "ek", &el);
    uint8_t *dk = tl_test_json_hex(tc, "dk", &dl);
    static uint8_t gek[TL_MLKEM768_EK_LEN], gdk[TL_MLKEM768_DK_LEN];
    enum outcome r = REJECTED;
    if (seed != NULL && sl == 64) {
        assert_int_equal(tl_mlkem768_keygen_internal(gek, gdk, seed, seed + 32), TL_OK);
        r = eq(gek, ek, el, sizeof gek) && eq(gdk, dk, dl, sizeof gdk) ? ACCEPTED : MISMATCH;
    }
    free(seed), free(ek), free(dk);
    return r;
}

/* (ek, m) -> (c, K), with invalid ek. */
static enum outcome encaps_case(const cJSON *tc, counts *c)
{
    size_t el, ml, cl, kl;
    uint8_t *ek = tl_test_json_hex(tc, "ek", &el);
    uint8_t *m = tl_test_json_hex(tc, "m", &ml);
    uint8_t *ct = tl_test_json_hex(tc, "c", &cl);
    uint8_t *k = tl_test_json_hex(tc, "K", &kl);
    uint8_t gct[TL_MLKEM768_CT_LEN], gk[32];
    enum outcome r = REJECTED;
    assert_non_null(m);
    assert_int_equal(ml, 32);
    if (ek != NULL && el == TL_MLKEM768_EK_LEN) {
        int rc = tl_mlkem768_encaps_internal(gct, gk, ek, m);
        if (rc == TL_OK) {
            r = eq(gct, ct, cl, sizeof gct) && eq(gk, k, kl, 32) ? ACCEPTED : MISMATCH;
        } else {
            assert_int_equal(rc, TL_ERR_INVALID_ARG);
            assert_int_equal(tl_mlkem768_check_ek(ek), TL_ERR_INVALID_ARG);
            uint8_t zero[TL_MLKEM768_CT_LEN] = {0};
            assert_memory_equal(gct, zero, sizeof gct); /* contract: outputs zeroed */
            assert_memory_equal(gk, zero, sizeof gk);
            c->rejected_by_lib++;
        }
    }
    free(ek), free(m), free(ct), free(k);
    return r;
}

/* seed -> keys, then Decaps(c) -> K; ek given for reference. */
static enum outcome decaps_seed_case(const cJSON *tc, counts *c)
{
    (void)c;
    size_t sl, el, cl, kl;
    uint8_t *seed = tl_test_json_hex(tc, "seed", &sl);
    uint8_t *ek = tl_test_json_hex(tc, "ek", &el);
    uint8_t *ct = tl_test_json_hex(tc, "c", &cl);
    uint8_t *k = tl_test_json_hex(tc, "K", &kl);
    static uint8_t gek[TL_MLKEM768_EK_LEN], gdk[TL_MLKEM768_DK_LEN];
    uint8_t gk[32];
    enum outcome r = REJECTED;
    if (seed != NULL && sl == 64 && ct != NULL && cl == TL_MLKEM768_CT_LEN) {
        assert_int_equal(tl_mlkem768_keygen_internal(gek, gdk, seed, seed + 32), TL_OK);
        assert_int_equal(tl_mlkem768_decaps_internal(gk, ct, gdk), TL_OK);
        r = eq(gk, k, kl, 32) && (ek == NULL || eq(gek, ek, el, sizeof gek)) ? ACCEPTED : MISMATCH;
    }
    free(seed), free(ek), free(ct), free(k);
    return r;
}

/* Expanded dk + c -> K, with dk validation. */
static enum outcome decaps_dk_case(const cJSON *tc, counts *c)
{
    size_t dl, cl, kl;
    uint8_t *dk = tl_test_json_hex(tc, "dk", &dl);
    uint8_t *ct = tl_test_json_hex(tc, "c", &cl);
    uint8_t *k = tl_test_json_hex(tc, "K", &kl);
    uint8_t gk[32];
    enum outcome r = REJECTED;
    if (dk != NULL && dl == TL_MLKEM768_DK_LEN && ct != NULL && cl == TL_MLKEM768_CT_LEN) {
        int rc = tl_mlkem768_decaps_internal(gk, ct, dk);
        if (rc == TL_OK) {
            r = eq(gk, k, kl, 32) ? ACCEPTED : MISMATCH;
        } else {
            assert_int_equal(rc, TL_ERR_INVALID_ARG);
            c->rejected_by_lib++;
        }
    }
    free(dk), free(ct), free(k);
    return r;
}

static void run_file(const char *path, case_fn fn, counts *c)
{
    memset(c, 0, sizeof *c);
    cJSON *j = tl_test_load_json(path, stderr);
    assert_non_null(j);
    const cJSON *g, *tc;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "testGroups"))
    {
        const cJSON *ps = cJSON_GetObjectItem(g, "parameterSet");
        assert_true(cJSON_IsString(ps) && strcmp(ps->valuestring, "ML-KEM-768") == 0);
        cJSON_ArrayForEach(tc, cJSON_GetObjectItem(g, "tests"))
        {
            const char *result = cJSON_GetObjectItem(tc, "result")->valuestring;
            int id = cJSON_GetObjectItem(tc, "tcId")->valueint;
            enum outcome o = fn(tc, c);
            int ok;
            if (strcmp(result, "valid") == 0) {
                ok = o == ACCEPTED;
                c->valid++;
            } else if (strcmp(result, "invalid") == 0) {
                ok = o == REJECTED;
                c->invalid++;
            } else {
                ok = o != MISMATCH;
            }
            if (!ok)
                fail_msg("%s: tcId %d (%s) gave outcome %d", path, id, result, (int)o);
            c->total++;
        }
    }
    assert_int_equal(c->total, cJSON_GetObjectItem(j, "numberOfTests")->valueint);
    cJSON_Delete(j);
}

static void test_keygen_seed(void **state)
{
    (void)state;
    counts c;
    run_file(WP "mlkem_768_keygen_seed_test.json", keygen_case, &c);
    assert_int_equal(c.total, 100);
    assert_int_equal(c.valid, 100);
}

static void test_encaps(void **state)
{
    (void)state;
    counts c;
    run_file(WP "mlkem_768_encaps_test.json", encaps_case, &c);
    assert_int_equal(c.total, 265);
    assert_int_equal(c.valid, 133);
    assert_int_equal(c.invalid, 132);
    assert_int_equal(c.rejected_by_lib, 112); /* modulus overflow, the rest bad lengths */
}

static void test_decaps(void **state)
{
    (void)state;
    counts c;
    run_file(WP "mlkem_768_test.json", decaps_seed_case, &c);
    assert_int_equal(c.total, 193);
    assert_int_equal(c.valid, 153);
    assert_int_equal(c.invalid, 40);
}

static void test_semi_expanded_decaps(void **state)
{
    (void)state;
    counts c;
    run_file(WP "mlkem_768_semi_expanded_decaps_test.json", decaps_dk_case, &c);
    assert_int_equal(c.total, 9);
    assert_int_equal(c.valid, 3);
    assert_int_equal(c.invalid, 6);
    assert_int_equal(c.rejected_by_lib, 2); /* corrupted hash / embedded ek */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_seed),
        cmocka_unit_test(test_encaps),
        cmocka_unit_test(test_decaps),
        cmocka_unit_test(test_semi_expanded_decaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
