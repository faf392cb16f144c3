/* ML-KEM-768 against the NIST ACVP vectors in tests/vectors/acvp: every case
 * of the shipped keyGen and encapDecap sets, with the case counts asserted so
 * that a missing or truncated file cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crypto/test_mlkem_util.h"

#define ACVP TL_VECTORS_DIR "/acvp/"

static void test_keygen(void **state)
{
    (void)state;
    tl_acvp_counts c;
    assert_int_equal(tl_acvp_mlkem_run(ACVP "ML-KEM-keyGen-FIPS203/prompt.json",
                                       ACVP "ML-KEM-keyGen-FIPS203/expectedResults.json", &c,
                                       stderr),
                     0);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.keygen, 12);
    assert_int_equal(c.passed, 12);
}

static void test_encap_decap(void **state)
{
    (void)state;
    tl_acvp_counts c;
    assert_int_equal(tl_acvp_mlkem_run(ACVP "ML-KEM-encapDecap-FIPS203/prompt.json",
                                       ACVP "ML-KEM-encapDecap-FIPS203/expectedResults.json", &c,
                                       stderr),
                     0);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.encaps, 12);
    assert_int_equal(c.decaps, 5);
    assert_int_equal(c.dk_check, 5);
    assert_int_equal(c.ek_check, 5);
    assert_int_equal(c.passed, 27);
}

/* The checker itself must notice a wrong expected value and bad input. */
static void test_checker_detects_mismatch(void **state)
{
    (void)state;
    tl_acvp_counts c;
    cJSON *exp = tl_test_load_json(ACVP "ML-KEM-encapDecap-FIPS203/expectedResults.json", NULL);
    assert_non_null(exp);
    /* Flip testPassed of the first key-check case and one nibble of the first k. */
    cJSON *g;
    int flipped_bool = 0, flipped_k = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(exp, "testGroups"))
    {
        cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(g, "tests"), 0);
        cJSON *tp = cJSON_GetObjectItem(t, "testPassed");
        cJSON *k = cJSON_GetObjectItem(t, "k");
        if (tp != NULL && !flipped_bool) {
            cJSON_ReplaceItemInObject(t, "testPassed", cJSON_CreateBool(!cJSON_IsTrue(tp)));
            flipped_bool = 1;
        } else if (k != NULL && !flipped_k) {
            k->valuestring[0] = k->valuestring[0] == '0' ? '1' : '0';
            flipped_k = 1;
        }
    }
    assert_true(flipped_bool && flipped_k);
    char *text = cJSON_PrintUnformatted(exp);
    cJSON_Delete(exp);
    assert_non_null(text);
    const char *path = TL_BINARY_DIR "/test_mlkem_acvp_bad.json";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    cJSON_free(text);
    assert_int_equal(
        tl_acvp_mlkem_run(ACVP "ML-KEM-encapDecap-FIPS203/prompt.json", path, &c, NULL), 0);
    assert_int_equal(c.failed, 2);
    assert_int_equal(c.passed, 25);
    remove(path);

    assert_int_equal(tl_acvp_mlkem_run(ACVP "nonexistent.json", ACVP "nonexistent.json", &c, NULL),
                     -1);
}

/* Groups of other parameter sets are skipped and counted, not failed. */
static void test_checker_skips_other_sets(void **state)
{
    (void)state;
    tl_acvp_counts c;
    cJSON *prompt = tl_test_load_json(ACVP "ML-KEM-encapDecap-FIPS203/prompt.json", NULL);
    assert_non_null(prompt);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(prompt, "testGroups"), 0);
    cJSON_ReplaceItemInObject(g, "parameterSet", cJSON_CreateString("ML-KEM-1024"));
    char *text = cJSON_PrintUnformatted(prompt);
    cJSON_Delete(prompt);
    assert_non_null(text);
    const char *path = TL_BINARY_DIR "/test_mlkem_acvp_1024.json";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    cJSON_free(text);
    assert_int_equal(
        tl_acvp_mlkem_run(path, ACVP "ML-KEM-encapDecap-FIPS203/expectedResults.json", &c, NULL),
        0);
    assert_int_equal(c.skipped, 12);
    assert_int_equal(c.passed, 15);
    assert_int_equal(c.failed, 0);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_encap_decap),
        cmocka_unit_test(test_checker_detects_mismatch),
        cmocka_unit_test(test_checker_skips_other_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
