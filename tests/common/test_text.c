/* The one sanitiser for network text (tl_text_sanitize) and the UTF-8
 * decoder it shares with the file-name rules (tl_utf8_seq). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tallow/common.h"

static const char *san(const char *in, size_t len)
{
    static char out[512];
    tl_text_sanitize(out, sizeof(out), in, len);
    return out;
}
#define SAN(lit) san(lit, sizeof(lit) - 1)

static void test_controls_escaped(void **state)
{
    (void)state;
    assert_string_equal(SAN("plain text, 123"), "plain text, 123");
    assert_string_equal(SAN("\x1b]0;T\x07\x1b[2J"), "\\x1b]0;T\\x07\\x1b[2J");
    assert_string_equal(SAN("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
    assert_string_equal(SAN("del\x7f"), "del\\x7f");
    assert_string_equal(san("nul\0x", 5), "nul\\x00x");
    /* C1 controls as UTF-8 (U+009B CSI, U+0085 NEL) */
    assert_string_equal(SAN("\xc2\x9b"
                            "31m"),
                        "\\xc2\\x9b31m");
    assert_string_equal(SAN("\xc2\x85"), "\\xc2\\x85");
}

static void test_utf8_kept_invalid_escaped(void **state)
{
    (void)state;
    assert_string_equal(SAN("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82 \xc2\xa0"),
                        "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82 \xc2\xa0");
    assert_string_equal(SAN("\xff"), "\\xff");
    assert_string_equal(SAN("\xe6\x97"), "\\xe6\\x97");                   /* truncated */
    assert_string_equal(SAN("\xc0\xaf"), "\\xc0\\xaf");                   /* overlong '/' */
    assert_string_equal(SAN("\xed\xa0\x80"), "\\xed\\xa0\\x80");          /* surrogate */
    assert_string_equal(SAN("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
}

static void test_bounds_and_idempotence(void **state)
{
    (void)state;
    char out[8];
    /* never split an escape or a character: 7 bytes of room */
    assert_int_equal(tl_text_sanitize(out, sizeof(out), "ab\x1b\x1b", 4), 6);
    assert_string_equal(out, "ab\\x1b");
    assert_int_equal(tl_text_sanitize(out, sizeof(out), "abcde\xe6\x97\xa5", 8), 5);
    assert_string_equal(out, "abcde");
    assert_int_equal(tl_text_sanitize(out, sizeof(out), NULL, 3), 0);
    assert_string_equal(out, "");
    assert_int_equal(tl_text_sanitize(out, 1, "abc", 3), 0);
    const char *once = SAN("x\x1b[31m\xc2\x9b\xff y");
    char copy[512];
    strcpy(copy, once);
    assert_string_equal(san(copy, strlen(copy)), copy);
}

static void test_utf8_seq(void **state)
{
    (void)state;
    assert_int_equal(tl_utf8_seq((const uint8_t *)"a", 1), 1);
    assert_int_equal(tl_utf8_seq((const uint8_t *)"\xc3\xa9", 2), 2);
    assert_int_equal(tl_utf8_seq((const uint8_t *)"\xf0\x9f\x99\x82", 4), 4);
    assert_int_equal(tl_utf8_seq((const uint8_t *)"\xf0\x9f\x99", 3), 0);
    assert_int_equal(tl_utf8_seq((const uint8_t *)"\x80", 1), 0);
    assert_int_equal(tl_utf8_seq((const uint8_t *)"", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_escaped),
        cmocka_unit_test(test_utf8_kept_invalid_escaped),
        cmocka_unit_test(test_bounds_and_idempotence),
        cmocka_unit_test(test_utf8_seq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
