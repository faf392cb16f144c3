/* Relay-only through a real coturn on 127.0.0.1: the connection works, the
 * selected pair is relay/relay on both sides, and no host or srflx
 * candidate is ever emitted (every on_local_candidate is recorded, and the
 * SDPs are checked too). Once over TURN/UDP, once over TURN/TCP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rtc/coturn.h"
#include "rtc/pc_pair.h"
#include "rtc/sdp.h"

static struct coturn g_turn;

static int setup_turn(void **state)
{
    (void)state;
    return coturn_start(&g_turn);
}

static int teardown_turn(void **state)
{
    (void)state;
    coturn_stop(&g_turn);
    return 0;
}

static int chan_opened(void *arg)
{
    return ((struct chan *)arg)->opened > 0;
}

static int got_msg(void *arg)
{
    return ((struct chan *)arg)->msgs > 0;
}

static int b_has_channel(void *arg)
{
    struct peer *pe = arg;
    return pe->n_chans > 0 && pe->chans[0].opened;
}

static void assert_relay_only_sdp(const char *sdp)
{
    tl_sdp *s = malloc(sizeof(*s));
    char err[128];
    assert_non_null(s);
    assert_int_equal(tl_sdp_parse(sdp, strlen(sdp), s, err, sizeof(err)), TL_OK);
    for (size_t i = 0; i < s->n_candidates; i++)
        assert_int_equal(s->candidates[i].type, TL_CAND_RELAY);
    free(s);
}

static void assert_relay_only_cands(const struct peer *pe)
{
    assert_true(pe->n_cands > 0);
    for (int i = 0; i < pe->n_cands; i++) {
        tl_sdp_candidate c;
        assert_int_equal(tl_sdp_parse_candidate(pe->cands[i], &c), TL_OK);
        assert_int_equal(c.type, TL_CAND_RELAY);
        assert_null(strstr(pe->cands[i], "typ host"));
        assert_null(strstr(pe->cands[i], "typ srflx"));
        /* The relay candidate never reveals the local address. */
        assert_string_equal(c.raddr, "0.0.0.0");
    }
}

static void run_relay(const char *transport_a, const char *transport_b)
{
    char url_a[96], url_b[96];
    snprintf(url_a, sizeof(url_a), "turn:127.0.0.1:%u?transport=%s", g_turn.port, transport_a);
    snprintf(url_b, sizeof(url_b), "turn:127.0.0.1:%u?transport=%s", g_turn.port, transport_b);
    tl_ice_server sa = {url_a, COTURN_USER, COTURN_PASS};
    tl_ice_server sb = {url_b, COTURN_USER, COTURN_PASS};
    static const char *const lo[] = {"127.0.0.1"};
    tl_pc_config ca = {0}, cb = {0};
    ca.ice_servers = &sa;
    ca.n_ice_servers = 1;
    ca.relay_only = 1;
    ca.allowed = lo;
    ca.n_allowed = 1;
    cb = ca;
    cb.ice_servers = &sb;

    struct pair p;
    assert_int_equal(pair_new(&p, &ca, &cb), TL_OK);
    tl_dc_init init;
    tl_dc_init_default(&init, "relayed");
    struct chan *x = peer_open(&p.a, &init);
    assert_non_null(x);

    char *offer = NULL, *answer = NULL;
    assert_int_equal(tl_pc_create_offer(p.a.pc, &offer), TL_OK);
    assert_relay_only_sdp(offer);
    assert_int_equal(tl_pc_set_remote_description(p.b.pc, offer, TL_SDP_OFFER), TL_OK);
    assert_int_equal(tl_pc_create_answer(p.b.pc, &answer), TL_OK);
    assert_relay_only_sdp(answer);
    assert_int_equal(tl_pc_set_remote_description(p.a.pc, answer, TL_SDP_ANSWER), TL_OK);
    tl_free(offer);
    tl_free(answer);

    /* A host candidate trickled by a careless peer is dropped (TL_OK). */
    assert_int_equal(tl_pc_add_remote_candidate(
                         p.a.pc, "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host", "0"),
                     TL_OK);

    assert_true(pair_wait_connected(&p, 20000));
    assert_true(pair_wait(&p, chan_opened, x, 10000));
    assert_true(pair_wait(&p, b_has_channel, &p.b, 10000));
    struct chan *y = &p.b.chans[0];
    assert_int_equal(tl_dc_send_text(x->dc, "through the relay", 17), TL_OK);
    assert_true(pair_wait(&p, got_msg, y, 10000));
    assert_int_equal(y->last_len, 17);
    assert_memory_equal(y->last, "through the relay", 17);
    assert_int_equal(tl_dc_send_binary(y->dc, "back", 4), TL_OK);
    assert_true(pair_wait(&p, got_msg, x, 10000));

    tl_pc_stats st;
    assert_int_equal(tl_pc_get_stats(p.a.pc, &st), TL_OK);
    assert_true(st.pair_selected);
    assert_int_equal(st.local_type, TL_CAND_RELAY);
    assert_int_equal(st.remote_type, TL_CAND_RELAY);
    assert_int_equal(tl_pc_get_stats(p.b.pc, &st), TL_OK);
    assert_true(st.pair_selected);
    assert_int_equal(st.local_type, TL_CAND_RELAY);
    assert_int_equal(st.remote_type, TL_CAND_RELAY);

    /* Let gathering finish so every candidate ever emitted is recorded. */
    pair_wait(&p, b_has_channel, &p.b, 0);
    assert_relay_only_cands(&p.a);
    assert_relay_only_cands(&p.b);
    pair_free(&p);
}

static void test_relay_udp(void **state)
{
    (void)state;
    run_relay("udp", "udp");
}

static void test_relay_tcp(void **state)
{
    (void)state;
    run_relay("tcp", "udp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_relay_udp, setup_turn, teardown_turn),
        cmocka_unit_test_setup_teardown(test_relay_tcp, setup_turn, teardown_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
