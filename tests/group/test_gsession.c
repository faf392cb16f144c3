/* The send session file (tl_gsession_save, src/group/gcommon.c): saved with
 * GLib's consistent replace (temporary file, fsync, rename), so a sender
 * killed in the middle of a save leaves the old file or the new one whole,
 * never an empty or a cut one; and only its owner can read it (it holds the
 * join code). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "group/group_internal.h"

#define ROUNDS 150

static char dir[256], file[300], code_a[301], code_b[301];
static uint8_t seed_a[TL_HS_IDENTITY_SEED_LEN], seed_b[TL_HS_IDENTITY_SEED_LEN];
/* What each save writes: "CODE\nidentity HEX\n" */
#define FILE_LEN (300 + 1 + 9 + 2 * TL_HS_IDENTITY_SEED_LEN + 1)

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/tl-gsession-XXXXXX", g_get_tmp_dir());
    if (!g_mkdtemp(dir))
        return -1;
    snprintf(file, sizeof(file), "%s/send-test.session", dir);
    /* Two join-code-sized texts that differ in every byte. */
    memset(code_a, 'a', sizeof(code_a) - 1);
    memset(code_b, 'b', sizeof(code_b) - 1);
    memset(seed_a, 0xaa, sizeof(seed_a));
    memset(seed_b, 0xbb, sizeof(seed_b));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    return 0;
}

static void assert_whole(void)
{
    char *text = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(file, &text, &len, NULL));
    assert_int_equal(len, FILE_LEN);
    int a = !strncmp(text, code_a, 300), b = !strncmp(text, code_b, 300);
    assert_true(a || b);
    assert_int_equal(text[300], '\n');
    assert_int_equal(strncmp(text + 301, "identity ", 9), 0);
    for (size_t i = 0; i < 2 * TL_HS_IDENTITY_SEED_LEN; i++)
        assert_int_equal(text[310 + i], a ? 'a' : 'b'); /* 0xaa.. / 0xbb.. with its code */
    assert_int_equal(text[len - 1], '\n');
    g_free(text);
    uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
    assert_int_equal(tl_gsession_identity(file, seed), TL_OK);
    assert_memory_equal(seed, a ? seed_a : seed_b, sizeof(seed));
}

static void test_save_private(void **state)
{
    (void)state;
    tl_gsession_save(file, code_a, seed_a);
    assert_whole();
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    tl_gsession_save(file, code_b, seed_b);
    assert_whole();
    tl_gsession_save(NULL, code_b, seed_b); /* no file: nothing */
}

/* A child saves A, B, A, B, ... as fast as it can; it is SIGKILLed at a
 * different moment each round (0 to ~3 ms after its first save), and the
 * file must then hold one whole code. The old truncate-then-write save left
 * an empty or a short file in a large share of these rounds. */
static void test_kill_during_save(void **state)
{
    (void)state;
    int cut = 0;
    for (int round = 0; round < ROUNDS; round++) {
        tl_gsession_save(file, code_a, seed_a);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            tl_gsession_save(file, code_b, seed_b);
            if (write(fds[1], "x", 1) != 1)
                _exit(1);
            for (unsigned i = 0;; i++)
                tl_gsession_save(file, i & 1 ? code_b : code_a, i & 1 ? seed_b : seed_a);
        }
        close(fds[1]);
        char c;
        assert_int_equal(read(fds[0], &c, 1), 1); /* it is in its save loop */
        close(fds[0]);
        struct timespec d = {0, (long)(round % 30) * 100000L};
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));
        char *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(file, &text, &len, NULL) || len != FILE_LEN)
            cut++;
        g_free(text);
        assert_whole();
    }
    assert_int_equal(cut, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_private),
        cmocka_unit_test(test_kill_during_save),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
