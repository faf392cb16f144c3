/* The transfer session with the real hybrid handshake (ML-KEM-768 + X25519)
 * and AES-256-GCM chunk sealing (tl_xfer_crypto_default()): several files and
 * a folder, a tampered record, a wrong join code, resume after a crash. */
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

typedef struct fx {
    char *root, src[600], out[600];
    int out_fd;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->root = hx_tmpdir();
    snprintf(f->src, sizeof(f->src), "%s/src", f->root);
    snprintf(f->out, sizeof(f->out), "%s/out", f->root);
    mkdir(f->src, 0755);
    mkdir(f->out, 0755);
    f->out_fd = open(f->out, O_RDONLY | O_DIRECTORY);
    char p[1200];
    snprintf(p, sizeof(p), "%s/big.bin", f->src);
    hx_write_random(p, (3u << 20) + 5, 21);
    snprintf(p, sizeof(p), "%s/empty", f->src);
    hx_write_random(p, 0, 22);
    snprintf(p, sizeof(p), "%s/dir", f->src);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/dir/small.txt", f->src);
    hx_write_random(p, 999, 23);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    close(f->out_fd);
    hx_rmrf(f->root);
    free(f->root);
    free(f);
    return 0;
}

static const char *const names[] = {"big.bin", "empty", "dir"};

static int same(const fx *f, const char *name)
{
    char a[1200], b[1200];
    snprintf(a, sizeof(a), "%s/%s", f->src, name);
    snprintf(b, sizeof(b), "%s/%s", f->out, name);
    return hx_same_file(a, b);
}

static void test_real_session(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 65536, names, 3), f->out_fd);
    h.code_s = h.code_r = "join-code-secret";
    assert_int_equal(hx_run(&h), 0);
    assert_true(h.S.keyed && h.R.keyed);
    assert_string_equal(h.S.sas, h.R.sas);
    assert_int_equal(strlen(h.S.sas), 7);
    hx_teardown(&h, 0);
    assert_true(same(f, "big.bin"));
    assert_true(same(f, "empty"));
    assert_true(same(f, "dir/small.txt"));
}

static void test_real_tamper(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 65536, names, 3), f->out_fd);
    h.tamper_msg = 9;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_int_equal(h.S.err, TL_ERR_AUTH);
    hx_teardown(&h, 0);
    char p[1200];
    struct stat st;
    snprintf(p, sizeof(p), "%s/big.bin", f->out);
    assert_int_not_equal(stat(p, &st), 0);
}

static void test_real_wrong_code(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 65536, names, 3), f->out_fd);
    h.code_s = "123-456";
    h.code_r = "123-457";
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_false(h.R.keyed);
    assert_int_equal(h.nsinks, 0); /* no name was revealed */
    hx_teardown(&h, 0);
}

static void test_real_resume(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 65536, names, 3), f->out_fd);
    h.stop_after = 26;     /* about half of 49 DATA records */
    h.scfg.sync_every = 2; /* 128 KiB unsynced at most: < 10% of 3 MiB */
    assert_int_equal(hx_run(&h), 1);
    uint64_t written = h.written;
    hx_teardown(&h, 1);
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 65536, names, 3), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    assert_true(written > (1u << 20));
    uint64_t total = (3u << 20) + 5 + 999;
    uint64_t resent = tl_xfer_sender_bytes_sent(h.s) + written - total;
    assert_true(resent < total / 10);
    hx_teardown(&h, 0);
    assert_true(same(f, "big.bin"));
}

/* Time passes quickly (20 s per step): the chunk keys rotate every 5
 * minutes on the way, keep-alive pings flow, and the file still verifies. */
static void test_real_key_rotation(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, tl_xfer_crypto_default(), hx_manifest(f->src, 16384, names, 3), f->out_fd);
    h.step_ms = 20000;   /* below the 30 s idle timeout; ~200 DATA records */
    h.stall_ms = 600000; /* one record per 20 s step: an ACK every few minutes */
    assert_int_equal(hx_run(&h), 0);
    assert_true(h.max_epoch >= 2);
    hx_teardown(&h, 0);
    assert_true(same(f, "big.bin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_wrong_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_key_rotation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
