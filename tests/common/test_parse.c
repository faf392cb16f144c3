/* The one number/size parser (src/common/parse.c): what people type in
 * options, and the edge cases that used to slip through (issue #21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/parse.h"

static int num(const char *s, uint64_t min, uint64_t max, uint64_t *v, const char **why)
{
    return tl_parse_number(s, min, max, v, why);
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t v = 7;
    const char *why = NULL;
    assert_int_equal(num("0", 0, 10, &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(num("4294967295", 0, UINT64_MAX, &v, &why), 0);
    assert_int_equal(v, 4294967295u);
    assert_int_equal(num("18446744073709551615", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == UINT64_MAX);
    /* refused: with the reason */
    static const char *const bad[] = {"",     "-1",  "+1",  " 1",   "1 ", "1.5",
                                      "1e30", "inf", "nan", "0x10", "5x", "one"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 99;
        assert_int_equal(num(bad[i], 0, UINT64_MAX, &v, &why), -1);
        assert_string_equal(why, "not a whole number");
        assert_int_equal(v, 99); /* untouched */
    }
    assert_int_equal(num("18446744073709551616", 0, UINT64_MAX, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(num("99999999999999999999999999", 0, UINT64_MAX, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(num("99999999999", 1, 2592000, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(num("0", 1, 10, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(tl_parse_number(NULL, 0, 1, &v, &why), -1);
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t v = 0;
    const char *why;
    assert_int_equal(tl_parse_size("64M", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 64000000u);
    assert_int_equal(tl_parse_size("64Mi", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 64u << 20);
    assert_int_equal(tl_parse_size("64MiB", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 64u << 20);
    assert_int_equal(tl_parse_size("10MB", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 10000000u);
    assert_int_equal(tl_parse_size("500k", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 500000u);
    assert_int_equal(tl_parse_size("500K", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 500000u);
    assert_int_equal(tl_parse_size("1Gi", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 1ull << 30);
    assert_int_equal(tl_parse_size("2T", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 2000000000000ull);
    assert_int_equal(tl_parse_size("12345", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 12345u);
    assert_int_equal(tl_parse_size("100B", 0, UINT64_MAX, &v, &why), 0);
    assert_true(v == 100u);
    static const char *const bad[] = {"",       "M",    "-1",   "-1M",  "inf",
                                      "nan",    "1e30", "1.5M", "64m",  "64mi",
                                      "64MiBB", "64 M", "64Mb", "0x40", "B"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 5;
        assert_int_equal(tl_parse_size(bad[i], 0, UINT64_MAX, &v, &why), -1);
        assert_int_equal(v, 5);
        assert_non_null(why);
    }
    /* overflow after the unit, and the caller's bounds */
    assert_int_equal(tl_parse_size("18446744073709551615k", 0, UINT64_MAX, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(tl_parse_size("16777216Ti", 0, UINT64_MAX, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(tl_parse_size("18446744073709551616", 0, UINT64_MAX, &v, &why), -1);
    assert_string_equal(why, "out of range");
    assert_int_equal(tl_parse_size("2T", 0, 1000000000000ull, &v, &why), -1);
    assert_int_equal(tl_parse_size("0", 1, 10, &v, &why), -1);
}

static void test_opt_forms(void **state)
{
    (void)state;
    uint32_t v32 = 3;
    uint64_t v = 0;
    assert_int_equal(tl_opt_u32("send", "expect", "4294967295", 1, UINT32_MAX, &v32), 0);
    assert_true(v32 == UINT32_MAX);
    assert_int_equal(tl_opt_u32("send", "expect", "4294967296", 1, UINT32_MAX, &v32), -1);
    assert_int_equal(tl_opt_u32(NULL, "timeout", "-1", 1, 100, &v32), -1);
    assert_true(v32 == UINT32_MAX);
    assert_int_equal(tl_opt_size("send", "limit", "inf", 0, UINT64_MAX, &v), -1);
    assert_int_equal(tl_opt_size("send", "limit", "1e30", 0, UINT64_MAX, &v), -1);
    assert_int_equal(tl_opt_number("x", "y", "12", 0, 20, &v), 0);
    assert_true(v == 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_opt_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
