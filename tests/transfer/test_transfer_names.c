/* Name sanitising and symlink-safe opening below the output folder. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "transfer/harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ok(const char *s)
{
    return tl_name_check(s, strlen(s)) == TL_OK;
}

static void test_good_names(void **state)
{
    (void)state;
    static const char *const good[] = {"a",       "file.txt", "dir/sub/file.tar.gz",
                                       ".hidden", "..foo",    "foo..bar",
                                       "con1",    "CONSOLE",  "com10",
                                       "lpt",     "nul_",     "héllo/wörld 😀.txt",
                                       "a b/c d", "x.tallow", "COM",
                                       "a/...b"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!ok(good[i]))
            fail_msg("rejected good name '%s'", good[i]);
    }
    char max[TL_XFER_MAX_NAME + 1];
    memset(max, 'a', TL_XFER_MAX_NAME);
    max[TL_XFER_MAX_NAME] = '\0';
    assert_true(ok(max));
}

static void test_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "/",
                                      "/etc/passwd",
                                      "..",
                                      ".",
                                      "../x",
                                      "../../x",
                                      "a/../b",
                                      "a/..",
                                      "./a",
                                      "a/./b",
                                      "a//b",
                                      "a/",
                                      "a\\b",
                                      "..\\x",
                                      "C:x",
                                      "a\x01",
                                      "a\x1f"
                                      "b",
                                      "a\x7f",
                                      "\xc2\x85",
                                      "a\nb",
                                      "CON",
                                      "con",
                                      "Con.txt",
                                      "NUL",
                                      "nul.tar.gz",
                                      "PRN",
                                      "AUX",
                                      "COM1",
                                      "com9.log",
                                      "LPT1",
                                      "lpt0",
                                      "dir/CON",
                                      "CON /x",
                                      "conin$",
                                      "trailing.",
                                      "a/.../b",
                                      "trailing ",
                                      "x.tallow-part",
                                      "d/x.tallow-state",
                                      "\xff",
                                      "\xc0\xaf",
                                      "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80",
                                      "\xe2\x82"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ok(bad[i]))
            fail_msg("accepted bad name #%zu", i);
    }
    assert_int_equal(tl_name_check("a\0b", 3), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_name_check(NULL, 0), TL_ERR_INVALID_ARG);
    char longc[TL_XFER_MAX_NAME + 2];
    memset(longc, 'a', sizeof(longc) - 1);
    longc[sizeof(longc) - 1] = '\0';
    assert_false(ok(longc));
    size_t plen = TL_XFER_MAX_PATH + 1;
    char *longp = malloc(plen + 1);
    for (size_t i = 0; i < plen; i++)
        longp[i] = (i % 10 == 9) ? '/' : 'a';
    longp[plen] = '\0';
    assert_false(ok(longp));
    free(longp);
}

static void test_openat_symlinks(void **state)
{
    (void)state;
    char *root = hx_tmpdir();
    char p[1024], q[1024];
    snprintf(p, sizeof(p), "%s/out", root);
    mkdir(p, 0755);
    snprintf(q, sizeof(q), "%s/outside", root);
    mkdir(q, 0755);
    int dfd = open(p, O_RDONLY | O_DIRECTORY);
    /* normal create with folders made on the way */
    int fd = tl_name_openat(dfd, "a/b/c.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, 1);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tl_name_openat(dfd, "a/b/c.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, 1),
                     TL_ERR_EXISTS);
    assert_int_equal(tl_name_openat(dfd, "nope/x", O_RDONLY, 0, 0), TL_ERR_NOT_FOUND);
    /* a symlinked folder inside the output folder is never followed */
    snprintf(p, sizeof(p), "%s/out/link", root);
    assert_int_equal(symlink(q, p), 0);
    assert_int_equal(tl_name_openat(dfd, "link/x", O_WRONLY | O_CREAT, 0644, 1),
                     TL_ERR_INVALID_ARG);
    /* nor a symlink as the last component */
    snprintf(p, sizeof(p), "%s/out/leaf", root);
    snprintf(q, sizeof(q), "%s/outside/target", root);
    assert_int_equal(symlink(q, p), 0);
    assert_int_equal(tl_name_openat(dfd, "leaf", O_WRONLY | O_CREAT, 0644, 1), TL_ERR_INVALID_ARG);
    struct stat st;
    assert_int_not_equal(stat(q, &st), 0);
    snprintf(q, sizeof(q), "%s/outside/x", root);
    assert_int_not_equal(stat(q, &st), 0);
    assert_int_equal(tl_name_openat(dfd, "../x", O_WRONLY | O_CREAT, 0644, 1), TL_ERR_INVALID_ARG);
    close(dfd);
    hx_rmrf(root);
    free(root);
}

static void test_sink_refuses_symlinked_folder(void **state)
{
    (void)state;
    char *root = hx_tmpdir();
    char p[1024], q[1024];
    snprintf(p, sizeof(p), "%s/out", root);
    mkdir(p, 0755);
    snprintf(q, sizeof(q), "%s/elsewhere", root);
    mkdir(q, 0755);
    snprintf(p, sizeof(p), "%s/out/docs", root);
    assert_int_equal(symlink(q, p), 0);
    snprintf(p, sizeof(p), "%s/out", root);
    int dfd = open(p, O_RDONLY | O_DIRECTORY);
    tl_xfer_manifest *m;
    uint8_t sha[32] = {0}, ch[32] = {0};
    assert_int_equal(tl_xfer_manifest_new(&m, 4096, NULL), TL_OK);
    assert_int_equal(tl_xfer_manifest_add_file(m, "docs/secret", 0644, 10, 0, sha, ch, NULL),
                     TL_OK);
    tl_sink_config cfg = {.out_dir_fd = dfd};
    tl_sink *k;
    tl_xfer_have have;
    assert_int_equal(tl_sink_open(&k, &cfg, m, 0, &have), TL_OK);
    assert_int_equal(have.status, TL_XFER_REFUSE);
    assert_int_equal(have.error, TL_ERR_INVALID_ARG);
    tl_sink_free(k);
    snprintf(q, sizeof(q), "%s/elsewhere/secret.tallow-part", root);
    struct stat st;
    assert_int_not_equal(stat(q, &st), 0);
    tl_xfer_manifest_free(m);
    close(dfd);
    hx_rmrf(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_names),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_openat_symlinks),
        cmocka_unit_test(test_sink_refuses_symlinked_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
