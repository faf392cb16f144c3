/* Progress rows fitted to the terminal width (src/cli/progress.c): no row is
 * ever as wide as the terminal, so none wraps and the cursor-up redraw stays
 * exact on an 80-, 40- or 20-column terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/progress.h"

static char line[512];

static size_t row(unsigned cols, const char *peer, double frac, const char *note)
{
    size_t n = tl_progress_row(line, sizeof(line), cols, peer, frac, "12.3 MB", "15s",
                               "transferring", "excellent", note);
    assert_int_equal(n, strlen(line));
    return n;
}

static void test_wide_terminal(void **state)
{
    (void)state;
    size_t n = row(200, "alice", 0.5, "SAS 1234");
    assert_true(n < 200);
    assert_non_null(strstr(line, "[###############...............]")); /* full 30-cell bar */
    assert_non_null(strstr(line, " 50.0%"));
    assert_non_null(strstr(line, "SAS 1234"));
    assert_int_equal(strncmp(line, "alice       ", 12), 0);
}

static void test_narrow_terminals(void **state)
{
    (void)state;
    for (unsigned cols = 1; cols <= 160; cols++) {
        size_t n = row(cols, "a-very-long-peer-name", 0.25, "verified 3 files, 1 refused");
        assert_true(n <= (cols > 1 ? cols - 1 : 1));
    }
    /* 80 columns: the row that used to be ~111 wide fits, with a shorter bar */
    size_t n = row(80, "bob", 1.0, "");
    assert_true(n <= 79);
    assert_non_null(strchr(line, '['));
    assert_non_null(strstr(line, "100.0%"));
    /* 40 columns: no room for a bar at all; the percentage stays */
    n = row(40, "bob", 0.5, "");
    assert_true(n <= 39);
    assert_null(strchr(line, '['));
    assert_non_null(strstr(line, " 50.0%"));
}

static void test_utf8_not_split(void **state)
{
    (void)state;
    /* a peer's (sanitised) UTF-8 name: cut between sequences, never inside */
    const char *name = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    for (unsigned cols = 2; cols < 16; cols++) {
        size_t n = row(cols, name, 0, "");
        assert_true(n <= cols - 1);
        size_t k = 0;
        while (k < n && (unsigned char)line[k] == 0xc3 && k + 1 < n &&
               (unsigned char)line[k + 1] == 0xa9)
            k += 2;
        assert_true(k == n || (unsigned char)line[k] < 0x80);
    }
}

static void test_fraction_clamped(void **state)
{
    (void)state;
    row(200, "x", 7.0, "");
    assert_non_null(strstr(line, "100.0%"));
    row(200, "x", -1.0, "");
    assert_non_null(strstr(line, "  0.0%"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_terminal),
        cmocka_unit_test(test_narrow_terminals),
        cmocka_unit_test(test_utf8_not_split),
        cmocka_unit_test(test_fraction_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
