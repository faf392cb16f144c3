/* One send to several recipients, each its own sender/receiver state
 * machine pair over its own channel, sharing one manifest, one clock and
 * one token-bucket group: a slow recipient and a failing one never hold the
 * others back; the total and per-recipient limits hold (fake clock). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "transfer/fake_crypto.h"
#include "transfer/harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 4
#define SIZE (2u << 20)

typedef struct grp {
    char *root, src[600], out[N][600];
    int out_fd[N];
    tl_xfer_manifest *m;
    hx h[N];
    uint64_t done_at[N];
} grp;

static int setup(void **state)
{
    grp *g = calloc(1, sizeof(*g));
    g->root = hx_tmpdir();
    snprintf(g->src, sizeof(g->src), "%s/src", g->root);
    mkdir(g->src, 0755);
    char p[700];
    snprintf(p, sizeof(p), "%s/movie.bin", g->src);
    hx_write_random(p, SIZE, 31);
    snprintf(p, sizeof(p), "%s/notes", g->src);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/notes/a.txt", g->src);
    hx_write_random(p, 5000, 32);
    for (int i = 0; i < N; i++) {
        snprintf(g->out[i], sizeof(g->out[i]), "%s/out%d", g->root, i);
        mkdir(g->out[i], 0755);
        g->out_fd[i] = open(g->out[i], O_RDONLY | O_DIRECTORY);
    }
    static const char *const names[] = {"movie.bin", "notes"};
    g->m = hx_manifest(g->src, 16384, names, 2);
    for (int i = 0; i < N; i++) {
        hx_init(&g->h[i], fake_crypto(), g->m, g->out_fd[i]);
        g->h[i].shared_manifest = 1;
    }
    *state = g;
    return 0;
}

static int teardown(void **state)
{
    grp *g = *state;
    for (int i = 0; i < N; i++) {
        hx_teardown(&g->h[i], 0);
        close(g->out_fd[i]);
    }
    tl_xfer_manifest_free(g->m);
    hx_rmrf(g->root);
    free(g->root);
    free(g);
    return 0;
}

/* Runs every session on one clock (1 ms per step) until all are over. */
static void run_all(grp *g, uint64_t limit_ms)
{
    for (int i = 0; i < N; i++)
        assert_int_equal(hx_start(&g->h[i]), 0);
    for (uint64_t now = 1001; now < 1000 + limit_ms; now++) {
        int over = 0;
        for (int i = 0; i < N; i++) {
            g->h[i].now = now;
            hx_step(&g->h[i]);
            if (hx_over(&g->h[i])) {
                if (!g->done_at[i])
                    g->done_at[i] = now - 1000;
                over++;
            }
        }
        if (over == N)
            return;
    }
    fail_msg("group did not finish in %llu ms", (unsigned long long)limit_ms);
}

static int verified(const grp *g, int i)
{
    char a[1200], b[1200];
    snprintf(a, sizeof(a), "%s/movie.bin", g->src);
    snprintf(b, sizeof(b), "%s/movie.bin", g->out[i]);
    int ok = hx_same_file(a, b);
    snprintf(a, sizeof(a), "%s/notes/a.txt", g->src);
    snprintf(b, sizeof(b), "%s/notes/a.txt", g->out[i]);
    return ok && hx_same_file(a, b);
}

static void test_slow_recipient_shared_limit(void **state)
{
    grp *g = *state;
    tl_bucket_group *b;
    assert_int_equal(tl_bucket_group_new(&b, 8000000, 0, 1000), TL_OK); /* 8 MB/s total */
    for (int i = 0; i < N; i++) {
        g->h[i].bucket = b;
        g->h[i].bucket_id = tl_bucket_add(b, 0);
    }
    g->h[3].deliver_every = 100; /* 4 messages per 100 ms: ~0.65 MB/s at most */
    run_all(g, 60000);
    for (int i = 0; i < N; i++) {
        assert_true(g->h[i].S.done && g->h[i].R.done);
        assert_int_equal(g->h[i].S.err, 0);
        assert_true(verified(g, i));
    }
    /* the fast three finish together, long before the slow one */
    uint64_t fast_max = 0, fast_min = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        fast_max = g->done_at[i] > fast_max ? g->done_at[i] : fast_max;
        fast_min = g->done_at[i] < fast_min ? g->done_at[i] : fast_min;
    }
    print_message("fast recipients done at %llu..%llu ms, slow at %llu ms\n",
                  (unsigned long long)fast_min, (unsigned long long)fast_max,
                  (unsigned long long)g->done_at[3]);
    assert_true(fast_max - fast_min < fast_max / 5);
    assert_true(g->done_at[3] > fast_max + fast_max / 4);
    /* the total limit held: 4 x 2 MiB cannot move faster than 8 MB/s, and
     * the fast three got the slow one's unused share (not 1/4 each) */
    uint64_t moved_by_fast_max = 3ull * SIZE + (uint64_t)SIZE * fast_max / g->done_at[3];
    assert_true(fast_max * 8000 + 300000 >= 3ull * SIZE);
    assert_true(fast_max * 8000 <= moved_by_fast_max * 13 / 10);
    tl_bucket_group_free(b);
}

static void test_failed_recipient_others_complete(void **state)
{
    grp *g = *state;
    g->h[1].tamper_msg = 30; /* recipient 1's channel corrupts a record */
    unlink(g->out[2]);       /* harmless: the folder fd stays valid */
    run_all(g, 60000);
    assert_int_equal(g->h[1].R.err, TL_ERR_AUTH);
    assert_int_equal(g->h[1].S.err, TL_ERR_AUTH);
    for (int i = 0; i < N; i++) {
        if (i == 1)
            continue;
        assert_true(g->h[i].S.done && g->h[i].R.done);
        assert_int_equal(g->h[i].R.err, 0);
        assert_true(verified(g, i));
    }
    char p[1200];
    struct stat st;
    snprintf(p, sizeof(p), "%s/movie.bin", g->out[1]);
    assert_int_not_equal(stat(p, &st), 0);
}

static void test_per_recipient_limit(void **state)
{
    grp *g = *state;
    tl_bucket_group *b;
    assert_int_equal(tl_bucket_group_new(&b, 0, 0, 1000), TL_OK); /* no total limit */
    for (int i = 0; i < N; i++) {
        g->h[i].bucket = b;
        g->h[i].bucket_id = tl_bucket_add(b, i == 0 ? 1000000 : 0); /* #0: 1 MB/s */
    }
    run_all(g, 60000);
    for (int i = 0; i < N; i++)
        assert_true(verified(g, i));
    /* 2 MiB at 1 MB/s (after a 256 KiB burst) takes ~1.8 s */
    assert_true(g->done_at[0] >= 1700 && g->done_at[0] <= 2600);
    for (int i = 1; i < N; i++)
        assert_true(g->done_at[i] < g->done_at[0] / 3);
    tl_bucket_group_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_recipient_shared_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_recipient_others_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_recipient_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
