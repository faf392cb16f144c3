/* Token buckets, quality thresholds, reconnect backoff and keep-alive, all
 * with a fake clock (time is a parameter; nothing sleeps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tallow/transfer.h"

#define CHUNK 16384u

/* Simulates `ms` milliseconds; members in `want` try to take CHUNK bytes as
 * often as allowed. Returns bytes each got in got[]. */
static void run(tl_bucket_group *g, const int *ids, const int *want, int n, uint64_t *now,
                uint64_t ms, uint64_t *got)
{
    for (uint64_t t = 0; t < ms; t++) {
        (*now)++;
        for (int i = 0; i < n; i++)
            while (want[i] && tl_bucket_take(g, ids[i], CHUNK, *now))
                got[i] += CHUNK;
    }
}

static void test_bucket_fair_share(void **state)
{
    (void)state;
    tl_bucket_group *g;
    uint64_t now = 0;
    assert_int_equal(tl_bucket_group_new(&g, 1000000, 0, now), TL_OK);
    int ids[3] = {tl_bucket_add(g, 0), tl_bucket_add(g, 0), tl_bucket_add(g, 0)};
    int want[3] = {1, 1, 1};
    uint64_t got[3] = {0};
    run(g, ids, want, 3, &now, 10000, got); /* 10 s at 1 MB/s */
    uint64_t sum = got[0] + got[1] + got[2];
    assert_true(sum >= 9700000 && sum <= 10300000);
    for (int i = 0; i < 3; i++)
        assert_true(got[i] > sum / 3 - 200000 && got[i] < sum / 3 + 200000);
    tl_bucket_group_free(g);
}

static void test_bucket_slow_member_does_not_stall(void **state)
{
    (void)state;
    tl_bucket_group *g;
    uint64_t now = 0;
    assert_int_equal(tl_bucket_group_new(&g, 1000000, 0, now), TL_OK);
    int ids[2] = {tl_bucket_add(g, 0), tl_bucket_add(g, 0)};
    /* member 1 is stuck (its channel is full) but still marked active: its
     * share overflows to member 0 */
    int want[2] = {1, 0};
    uint64_t got[2] = {0};
    run(g, ids, want, 2, &now, 10000, got);
    assert_true(got[0] >= 9000000);
    /* marked idle: member 0 gets everything at once */
    tl_bucket_set_active(g, ids[1], 0);
    got[0] = 0;
    run(g, ids, want, 2, &now, 5000, got);
    assert_true(got[0] >= 4800000 && got[0] <= 5300000);
    tl_bucket_group_free(g);
}

static void test_bucket_per_peer_limit(void **state)
{
    (void)state;
    tl_bucket_group *g;
    uint64_t now = 0;
    assert_int_equal(tl_bucket_group_new(&g, 1000000, 0, now), TL_OK);
    int ids[2] = {tl_bucket_add(g, 100000), tl_bucket_add(g, 0)};
    int want[2] = {1, 1};
    uint64_t got[2] = {0};
    run(g, ids, want, 2, &now, 20000, got);
    /* member 0: 100 kB/s (+ initial burst); member 1 takes the rest */
    assert_true(got[0] <= 100000 * 20 + 300000);
    assert_true(got[0] >= 100000 * 20 - 50000);
    assert_true(got[1] >= 20000000 - got[0] - 600000);
    uint64_t w = tl_bucket_wait_ms(g, ids[0], CHUNK, now);
    assert_true(w > 0 && w <= 200);
    tl_bucket_group_free(g);
    /* unlimited group: everything passes */
    assert_int_equal(tl_bucket_group_new(&g, 0, 0, 0), TL_OK);
    int id = tl_bucket_add(g, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(tl_bucket_take(g, id, CHUNK, 0));
    assert_int_equal(tl_bucket_wait_ms(g, id, CHUNK, 0), 0);
    tl_bucket_group_free(g);
}

/* Send-then-charge: records of any size (here 16 KiB + 43) are sent while
 * ready and charged afterwards; debt delays the next send, so the rates hold
 * exactly over time. */
static void test_bucket_ready_consume(void **state)
{
    (void)state;
    tl_bucket_group *g;
    uint64_t now = 0;
    assert_int_equal(tl_bucket_group_new(&g, 2000000, 0, now), TL_OK);
    int a = tl_bucket_add(g, 0), b = tl_bucket_add(g, 500000);
    uint64_t got_a = 0, got_b = 0;
    for (int t = 0; t < 10000; t++) {
        now++;
        while (tl_bucket_ready(g, a, now)) {
            tl_bucket_consume(g, a, CHUNK + 43, now);
            got_a += CHUNK + 43;
        }
        while (tl_bucket_ready(g, b, now)) {
            tl_bucket_consume(g, b, CHUNK + 43, now);
            got_b += CHUNK + 43;
        }
    }
    /* b is held to 500 kB/s (+ its initial burst), a gets the rest of
     * 2 MB/s (less the burst b keeps reserved and cannot use) */
    assert_true(got_b >= 4900000 && got_b <= 5000000 + 300000);
    assert_true(got_a + got_b >= 19600000 && got_a + got_b <= 20000000 + 600000);
    assert_false(tl_bucket_ready(g, b, now));
    assert_true(tl_bucket_wait_ms(g, b, 1, now) > 0);
    tl_bucket_group_free(g);
}

/* Limits changed while members send (tl_group_sender_set_limits): each
 * phase holds the rate set for it, from the moment it is set. Members try
 * at most 16 chunks per millisecond, so the unlimited phases end. */
static void run_capped(tl_bucket_group *g, const int *ids, int n, uint64_t *now, uint64_t ms,
                       uint64_t *got)
{
    for (uint64_t t = 0; t < ms; t++) {
        (*now)++;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 16 && tl_bucket_take(g, ids[i], CHUNK, *now); k++)
                got[i] += CHUNK;
    }
}

static void test_bucket_rate_change(void **state)
{
    (void)state;
    tl_bucket_group *g;
    uint64_t now = 0;
    assert_int_equal(tl_bucket_group_new(&g, 0, 0, now), TL_OK);
    int ids[2] = {tl_bucket_add(g, 0), tl_bucket_add(g, 0)};
    uint64_t got[2] = {0};
    run_capped(g, ids, 2, &now, 1000, got); /* unlimited: the cap only */
    assert_int_equal(got[0], 16000ull * CHUNK);
    assert_int_equal(tl_bucket_rate(g), 0);
    /* total 1 MB/s for 10 s, fairly shared */
    tl_bucket_set_rate(g, 1000000, now);
    assert_int_equal(tl_bucket_rate(g), 1000000);
    got[0] = got[1] = 0;
    run_capped(g, ids, 2, &now, 10000, got);
    assert_true(got[0] + got[1] >= 9700000 && got[0] + got[1] <= 10300000);
    assert_true(got[0] > 4700000 && got[1] > 4700000);
    /* lowered to 200 kB/s: the old balance does not carry over */
    tl_bucket_set_rate(g, 200000, now);
    got[0] = got[1] = 0;
    run_capped(g, ids, 2, &now, 10000, got);
    assert_true(got[0] + got[1] >= 1900000 && got[0] + got[1] <= 2000000 + 300000);
    /* member 0 limited to 50 kB/s on its own (no burst), member 1 takes the rest */
    tl_bucket_set_peer_rate(g, ids[0], 50000, now);
    got[0] = got[1] = 0;
    run_capped(g, ids, 2, &now, 10000, got);
    assert_true(got[0] >= 500000 - 2 * CHUNK && got[0] <= 500000 + CHUNK);
    /* (member 0's unused half overflows to member 1 once it exceeds the burst) */
    assert_true(got[1] >= 1000000 && got[0] + got[1] <= 2000000 + 300000);
    /* both limits lifted: unlimited again */
    tl_bucket_set_peer_rate(g, ids[0], 0, now);
    tl_bucket_set_rate(g, 0, now);
    got[0] = got[1] = 0;
    run_capped(g, ids, 2, &now, 100, got);
    assert_int_equal(got[0], 1600ull * CHUNK);
    assert_int_equal(got[1], 1600ull * CHUNK);
    tl_bucket_group_free(g);
}

static void test_quality_thresholds(void **state)
{
    (void)state;
    const uint32_t T = 30000;
    assert_int_equal(tl_quality_classify(0, 10, 0, T), TL_QUALITY_DISCONNECTED);
    assert_int_equal(tl_quality_classify(1, 0, 0, T), TL_QUALITY_EXCELLENT);
    assert_int_equal(tl_quality_classify(1, 99, 0, T), TL_QUALITY_EXCELLENT);
    assert_int_equal(tl_quality_classify(1, 100, 0, T), TL_QUALITY_GOOD);
    assert_int_equal(tl_quality_classify(1, 199, 0, T), TL_QUALITY_GOOD);
    assert_int_equal(tl_quality_classify(1, 200, 0, T), TL_QUALITY_FAIR);
    assert_int_equal(tl_quality_classify(1, 500, 0, T), TL_QUALITY_FAIR);
    assert_int_equal(tl_quality_classify(1, 501, 0, T), TL_QUALITY_POOR);
    assert_int_equal(tl_quality_classify(1, 10, T / 2 - 1, T), TL_QUALITY_EXCELLENT);
    assert_int_equal(tl_quality_classify(1, 10, T / 2, T), TL_QUALITY_FAIR);
    assert_int_equal(tl_quality_classify(1, 10, T - 1, T), TL_QUALITY_FAIR);
    assert_int_equal(tl_quality_classify(1, 10, T, T), TL_QUALITY_POOR);
    assert_string_equal(tl_quality_name(TL_QUALITY_GOOD), "good");

    tl_quality_tracker q;
    tl_quality_init(&q, T);
    uint64_t now = 5000;
    assert_int_equal(tl_quality_update(&q, now), 0); /* starts disconnected */
    tl_quality_set_connected(&q, 1, now);
    assert_int_equal(tl_quality_update(&q, now), 1);
    assert_int_equal(q.current, TL_QUALITY_EXCELLENT);
    tl_quality_rtt(&q, 150, now + 10);
    assert_int_equal(tl_quality_update(&q, now + 10), 1);
    assert_int_equal(q.current, TL_QUALITY_GOOD);
    assert_int_equal(tl_quality_update(&q, now + 20), 0); /* no change, no event */
    assert_int_equal(tl_quality_update(&q, now + 10 + T / 2), 1);
    assert_int_equal(q.current, TL_QUALITY_FAIR);
    assert_int_equal(tl_quality_update(&q, now + 10 + T), 1);
    assert_int_equal(q.current, TL_QUALITY_POOR);
    tl_quality_activity(&q, now + 10 + T);
    assert_int_equal(tl_quality_update(&q, now + 10 + T), 1);
    assert_int_equal(q.current, TL_QUALITY_GOOD);
    tl_quality_set_connected(&q, 0, now + 20 + T);
    assert_int_equal(tl_quality_update(&q, now + 20 + T), 1);
    assert_int_equal(q.current, TL_QUALITY_DISCONNECTED);
}

/* The doubling schedule of the signaling client and the Redis bus. */
static void test_backoff_doubling(void **state)
{
    (void)state;
    tl_backoff b;
    uint64_t at;
    tl_backoff_init_doubling(&b, 250, 5000, 0, 7);
    const uint64_t expect[] = {250, 500, 1000, 2000, 4000, 5000, 5000};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(tl_backoff_next(&b, 10, &at), TL_OK);
        assert_int_equal(at, 10 + expect[i]);
    }
    assert_int_equal(tl_backoff_next(&b, 10, &at), TL_ERR_TIMEOUT);
    tl_backoff_reset(&b);
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 250);
    /* jitter: +-20 % of the step, chosen by the caller's random bits */
    tl_backoff_init_doubling(&b, 1000, 1000, 20, TL_BACKOFF_FOREVER);
    assert_int_equal(tl_backoff_next_rnd(&b, 0, 0, &at), TL_OK);
    assert_int_equal(at, 800);
    assert_int_equal(tl_backoff_next_rnd(&b, 0, 400, &at), TL_OK);
    assert_int_equal(at, 1200);
    assert_int_equal(tl_backoff_next_rnd(&b, 0, 401, &at), TL_OK);
    assert_int_equal(at, 800);
    for (uint32_t r = 0; r < 5000; r += 7) {
        assert_int_equal(tl_backoff_next_rnd(&b, 0, r * 2654435761u, &at), TL_OK);
        assert_true(at >= 800 && at <= 1200);
    }
    /* 0 attempts allowed: the first failure is the last */
    tl_backoff_init_doubling(&b, 250, 5000, 20, 0);
    assert_int_equal(tl_backoff_next_rnd(&b, 0, 1, &at), TL_ERR_TIMEOUT);
    /* a huge attempt count never overflows the delay */
    tl_backoff_init_doubling(&b, 250, 5000, 0, TL_BACKOFF_FOREVER);
    b.attempt = 4000000000u;
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 5000);
}

static void test_backoff(void **state)
{
    (void)state;
    tl_backoff b;
    uint64_t at;
    tl_backoff_init(&b, 5);
    const uint64_t expect[] = {1000, 2000, 5000, 5000, 5000};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(tl_backoff_next(&b, 100, &at), TL_OK);
        assert_int_equal(at, 100 + expect[i]);
    }
    assert_int_equal(tl_backoff_next(&b, 100, &at), TL_ERR_TIMEOUT);
    tl_backoff_reset(&b);
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 1000);
    static const uint32_t custom[] = {10, 20};
    tl_backoff_init(&b, 3);
    b.delays_ms = custom;
    b.ndelays = 2;
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 10);
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 20);
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_OK);
    assert_int_equal(at, 20);
    assert_int_equal(tl_backoff_next(&b, 0, &at), TL_ERR_TIMEOUT);
}

static void test_keepalive(void **state)
{
    (void)state;
    tl_keepalive k;
    tl_keepalive_init(&k, 5000, 1000);
    assert_int_equal(tl_keepalive_next(&k), 6000);
    assert_false(tl_keepalive_due(&k, 5999));
    assert_true(tl_keepalive_due(&k, 6000));
    assert_false(tl_keepalive_due(&k, 6001)); /* recorded as sent */
    assert_int_equal(k.ping_outstanding_since, 6000);
    tl_keepalive_pong(&k, 6040);
    assert_int_equal(k.ping_outstanding_since, 0);
    assert_false(tl_keepalive_expired(&k, 6040 + 14999));
    assert_true(tl_keepalive_expired(&k, 6040 + 15000));
    tl_keepalive_rx(&k, 20000);
    assert_false(tl_keepalive_expired(&k, 34999));
    assert_int_equal(tl_keepalive_next(&k), 11000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_fair_share),
        cmocka_unit_test(test_bucket_slow_member_does_not_stall),
        cmocka_unit_test(test_bucket_per_peer_limit),
        cmocka_unit_test(test_bucket_ready_consume),
        cmocka_unit_test(test_bucket_rate_change),
        cmocka_unit_test(test_quality_thresholds),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_backoff_doubling),
        cmocka_unit_test(test_keepalive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
