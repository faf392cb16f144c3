/* The group statistics rows (src/group/gstats.c) from progress alone (no
 * link yet or any more), the totals, and the argument checks of the
 * statistics and control calls (group.h). The rows with a live link are
 * checked end to end by e2e_stats_events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "group/group_internal.h"

static void test_row_without_link(void **state)
{
    (void)state;
    tl_gprogress p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(tl_gprogress_update(&p, 0, 1000000, 1000, 250), 1);
    tl_gprogress_update(&p, 250000, 1000000, 1500, 250);
    tl_group_peer_stats s;
    tl_gstats_peer(&s, "abcd", "alice", NULL, &p, NULL, 1600);
    assert_string_equal(s.peer, "abcd");
    assert_string_equal(s.name, "alice");
    assert_string_equal(s.state, "disconnected");
    assert_string_equal(s.quality, "disconnected");
    assert_string_equal(s.path, "");
    assert_string_equal(s.local_candidate, "");
    assert_int_equal(s.connected, 0);
    assert_int_equal(s.bytes, 250000);
    assert_int_equal(s.total, 1000000);
    assert_true(s.rate_bps > 400000 && s.rate_bps < 600000); /* 250 kB in 0.5 s */
    /* a rate is stale 2 s after the last progress */
    tl_gstats_peer(&s, "abcd", NULL, NULL, &p, "done", 1500 + 2001);
    assert_true(s.rate_bps == 0);
    assert_string_equal(s.state, "done");
    assert_string_equal(s.name, "");
    /* an over-long id is cut, not overflowed */
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    tl_gstats_peer(&s, longid, longid, NULL, NULL, NULL, 0);
    assert_int_equal(strlen(s.peer), sizeof(s.peer) - 1);
    assert_int_equal(strlen(s.name), sizeof(s.name) - 1);
}

static void test_totals(void **state)
{
    (void)state;
    tl_group_stats t;
    memset(&t, 0, sizeof(t));
    tl_group_peer_stats a, b, c;
    tl_gstats_peer(&a, "a", "", NULL, NULL, NULL, 0);
    b = a;
    c = a;
    a.connected = 1;
    a.path = "direct";
    a.bytes = 100;
    a.rate_bps = 10;
    b.connected = 1;
    b.path = "relayed";
    b.bytes = 50;
    b.rate_bps = 5;
    c.path = "relayed"; /* not connected: not counted as relayed */
    tl_gstats_add(&t, &a);
    tl_gstats_add(&t, &b);
    tl_gstats_add(&t, &c);
    assert_int_equal(t.peers, 3);
    assert_int_equal(t.connected, 2);
    assert_int_equal(t.relayed, 1);
    assert_int_equal(t.bytes, 150);
    assert_true(t.rate_bps == 15);
}

static void test_api_arguments(void **state)
{
    (void)state;
    tl_group_stats t;
    memset(&t, 0xff, sizeof(t));
    assert_int_equal(tl_group_sender_stats(NULL, &t, NULL, 0), 0);
    assert_int_equal(t.peers, 0);
    assert_int_equal(tl_group_receiver_stats(NULL, NULL, NULL, 0), 0);
    assert_int_equal(tl_group_sender_drop(NULL, "x"), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_group_sender_set_limits(NULL, 1, 1), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_group_sender_invite(NULL, "x"), TL_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_without_link),
        cmocka_unit_test(test_totals),
        cmocka_unit_test(test_api_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
