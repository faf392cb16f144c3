/* Two in-process peers on loopback: connection setup, messages of many
 * sizes both ways (binary, text, empty), unordered and partially reliable
 * channels, many channels, negotiated channels, close from either side, and
 * a wrong DTLS fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtc/pc_pair.h"
#include "rtc/sdp.h"

struct msgwait {
    struct chan *c;
    uint64_t want;
};

static int got_msgs(void *arg)
{
    struct msgwait *w = arg;
    return w->c->msgs >= w->want;
}

static int chan_opened(void *arg)
{
    return ((struct chan *)arg)->opened > 0;
}

static int chan_closed(void *arg)
{
    return ((struct chan *)arg)->closed > 0;
}

struct find {
    struct peer *pe;
    const char *label;
    struct chan *found;
};

static int remote_chan(void *arg)
{
    struct find *f = arg;
    f->found = peer_find(f->pe, f->label);
    return f->found && f->found->opened;
}

/* Connects a pair with one reliable channel "main" from a; returns b's. */
static void setup(struct pair *p, struct chan **ca, struct chan **cb)
{
    assert_int_equal(pair_new(p, NULL, NULL), TL_OK);
    tl_dc_init init;
    tl_dc_init_default(&init, "main");
    *ca = peer_open(&p->a, &init);
    assert_non_null(*ca);
    assert_int_equal(pair_negotiate(p, NULL), TL_OK);
    assert_true(pair_wait_connected(p, 10000));
    assert_true(pair_wait(p, chan_opened, *ca, 10000));
    struct find f = {&p->b, "main", NULL};
    assert_true(pair_wait(p, remote_chan, &f, 10000));
    *cb = f.found;
}

static void exchange(struct pair *p, struct chan *from, struct chan *to, size_t len, int text)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    fill_pattern(buf, len, len * 2 + (size_t)text);
    if (text)
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)('a' + buf[i] % 26);
    struct msgwait w = {to, to->msgs + 1};
    int rc = text ? tl_dc_send_text(from->dc, (const char *)buf, len)
                  : tl_dc_send_binary(from->dc, buf, len);
    assert_int_equal(rc, TL_OK);
    assert_true(pair_wait(p, got_msgs, &w, 10000));
    assert_int_equal(to->last_len, len);
    assert_int_equal(to->last_text, text);
    if (len)
        assert_memory_equal(to->last, buf, len);
    free(buf);
}

static void test_messages(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    static const size_t sizes[] = {0, 1, 2, 1199, 1200, 1201, 16384, 65535, 65536, 65537, 262144};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int text = 0; text < 2; text++) {
            exchange(&p, ca, cb, sizes[i], text);
            exchange(&p, cb, ca, sizes[i], text);
        }
    /* Above the peer's a=max-message-size (256 KiB default). */
    uint8_t *big = calloc(1, 262145);
    assert_int_equal(tl_dc_send_binary(ca->dc, big, 262145), TL_ERR_TOO_BIG);
    free(big);
    tl_pc_stats st;
    assert_int_equal(tl_pc_get_stats(p.a.pc, &st), TL_OK);
    assert_int_equal(st.state, TL_PC_CONNECTED);
    assert_int_equal(st.messages_sent, 22);
    assert_int_equal(st.messages_received, 22);
    assert_true(st.pair_selected);
    assert_int_equal(st.local_type, TL_CAND_HOST);
    pair_free(&p);
}

/* Waits for b's side of a channel labelled label. */
static struct chan *remote_of(struct pair *p, struct peer *pe, const char *label)
{
    struct find f = {pe, label, NULL};
    assert_true(pair_wait(p, remote_chan, &f, 10000));
    return f.found;
}

static void test_unordered_and_partial(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    tl_dc_init init;
    tl_dc_init_default(&init, "unordered");
    init.unordered = 1;
    struct chan *u = peer_open(&p.a, &init);
    tl_dc_init_default(&init, "rexmit");
    init.unordered = 1;
    init.max_retransmits = 0;
    struct chan *r = peer_open(&p.a, &init);
    tl_dc_init_default(&init, "lifetime");
    init.max_packet_life_time_ms = 500;
    struct chan *l = peer_open(&p.a, &init);
    tl_dc_init_default(&init, "bad");
    init.max_retransmits = 1;
    init.max_packet_life_time_ms = 1;
    tl_dc *bad = NULL;
    assert_int_equal(tl_pc_create_dc(p.a.pc, &init, NULL, NULL, &bad), TL_ERR_INVALID_ARG);
    assert_non_null(u);
    assert_non_null(r);
    assert_non_null(l);
    struct chan *chans[3] = {u, r, l};
    const char *labels[3] = {"unordered", "rexmit", "lifetime"};
    for (int i = 0; i < 3; i++) {
        assert_true(pair_wait(&p, chan_opened, chans[i], 10000));
        struct chan *rc = remote_of(&p, &p.b, labels[i]);
        /* Loopback loses nothing: every message arrives, in any order. */
        for (int k = 0; k < 20; k++)
            exchange(&p, chans[i], rc, 1000 + (size_t)k, 0);
        exchange(&p, rc, chans[i], 4000, 1);
    }
    struct chan *rr = remote_of(&p, &p.b, "rexmit");
    struct chan *rl = remote_of(&p, &p.b, "lifetime");
    assert_int_equal(p.b.chans[rr - p.b.chans].msgs, 20);
    assert_int_equal(rl->msgs, 20);
    pair_free(&p);
}

static void test_many_channels(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    enum { N = 32 };
    struct chan *mine[N];
    char label[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(label[i], sizeof(label[i]), "ch%d", i);
        tl_dc_init init;
        tl_dc_init_default(&init, label[i]);
        init.protocol = "proto";
        /* Half from each side. */
        mine[i] = peer_open(i % 2 ? &p.b : &p.a, &init);
        assert_non_null(mine[i]);
    }
    for (int i = 0; i < N; i++) {
        assert_true(pair_wait(&p, chan_opened, mine[i], 10000));
        struct chan *other = remote_of(&p, i % 2 ? &p.a : &p.b, label[i]);
        assert_string_equal(tl_dc_protocol(other->dc), "proto");
        assert_int_equal(tl_dc_id(other->dc), tl_dc_id(mine[i]->dc));
        exchange(&p, mine[i], other, 100 + (size_t)i, i % 2);
        exchange(&p, other, mine[i], 200 + (size_t)i, 0);
    }
    /* Stream ids by DTLS role: b answered (active, DTLS client): even ids. */
    for (int i = 0; i < N; i++)
        assert_int_equal(tl_dc_id(mine[i]->dc) % 2, i % 2 ? 0 : 1);
    pair_free(&p);
}

static void test_negotiated(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    tl_dc_init init;
    tl_dc_init_default(&init, "pre");
    init.negotiated = 1;
    init.id = 41;
    struct chan *x = peer_open(&p.a, &init);
    struct chan *y = peer_open(&p.b, &init);
    assert_non_null(x);
    assert_non_null(y);
    assert_true(pair_wait(&p, chan_opened, x, 5000));
    assert_true(pair_wait(&p, chan_opened, y, 5000));
    assert_int_equal(tl_dc_id(x->dc), 41);
    exchange(&p, x, y, 777, 0);
    exchange(&p, y, x, 0, 1);
    /* The id is taken now. */
    assert_int_equal(tl_pc_create_dc(p.a.pc, &init, NULL, NULL, NULL), TL_ERR_INVALID_ARG);
    pair_free(&p);
}

static void close_from(struct pair *p, struct chan *closer, struct chan *other)
{
    /* Queue data first: it must still arrive before the close. */
    struct msgwait w = {other, other->msgs + 3};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_dc_send_binary(closer->dc, "xyz", 3), TL_OK);
    assert_int_equal(tl_dc_close(closer->dc), TL_OK);
    assert_true(pair_wait(p, chan_closed, closer, 10000));
    assert_true(pair_wait(p, chan_closed, other, 10000));
    assert_true(got_msgs(&w));
    assert_int_equal(closer->closed, 1);
    assert_int_equal(other->closed, 1);
    assert_int_equal(tl_dc_get_state(closer->dc), TL_DC_CLOSED);
    assert_int_equal(tl_dc_get_state(other->dc), TL_DC_CLOSED);
    assert_int_equal(tl_dc_send_binary(closer->dc, "x", 1), TL_ERR_STATE);
}

static void test_close_either_side(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    tl_dc_init init;
    tl_dc_init_default(&init, "second");
    struct chan *sa = peer_open(&p.a, &init);
    assert_true(pair_wait(&p, chan_opened, sa, 10000));
    struct chan *sb = remote_of(&p, &p.b, "second");
    close_from(&p, ca, cb); /* the opener closes */
    close_from(&p, sb, sa); /* the other side closes */
    /* The connection and new channels still work (stream ids reused). */
    tl_dc_init_default(&init, "third");
    struct chan *ta = peer_open(&p.a, &init);
    assert_true(pair_wait(&p, chan_opened, ta, 10000));
    struct chan *tb = remote_of(&p, &p.b, "third");
    exchange(&p, ta, tb, 5000, 0);
    assert_int_equal(tl_pc_get_state(p.a.pc), TL_PC_CONNECTED);
    pair_free(&p);
}

static void corrupt_fingerprint(char *sdp)
{
    char *fp = strstr(sdp, "a=fingerprint:sha-256 ");
    assert_non_null(fp);
    char *c = fp + strlen("a=fingerprint:sha-256 ") + 3;
    *c = *c == 'A' ? 'B' : 'A';
}

static int both_settled(void *arg)
{
    struct pair *p = arg;
    return p->a.failed && p->b.failed;
}

static void test_wrong_fingerprint(void **state)
{
    (void)state;
    struct pair p;
    assert_int_equal(pair_new(&p, NULL, NULL), TL_OK);
    tl_dc_init init;
    tl_dc_init_default(&init, "never");
    struct chan *c = peer_open(&p.a, &init);
    assert_non_null(c);
    assert_int_equal(pair_negotiate(&p, corrupt_fingerprint), TL_OK);
    /* a rejects b's certificate; b sees the handshake fail. */
    assert_true(pair_wait(&p, both_settled, &p, 15000));
    assert_int_equal(tl_pc_get_state(p.a.pc), TL_PC_FAILED);
    assert_int_equal(tl_pc_get_state(p.b.pc), TL_PC_FAILED);
    assert_false(p.a.ever_connected);
    assert_false(p.b.ever_connected);
    assert_int_equal(c->opened, 0);
    assert_int_equal(p.b.n_chans, 0);
    for (int i = 0; i < p.a.n_states; i++)
        assert_int_not_equal(p.a.states[i], TL_PC_CONNECTED);
    pair_free(&p);
}

/* The answerer restarts ICE: it makes the offer this time; DTLS roles and
 * channels survive, and the credentials change on both sides. */
static void test_restart_by_answerer(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    assert_int_equal(tl_pc_restart_ice(p.b.pc), TL_OK);
    char *offer = NULL, *answer = NULL;
    assert_int_equal(tl_pc_create_offer(p.b.pc, &offer), TL_OK);
    assert_non_null(strstr(offer, "a=setup:active"));
    assert_null(strstr(offer, p.b.ufrag0));
    assert_int_equal(tl_pc_set_remote_description(p.a.pc, offer, TL_SDP_OFFER), TL_OK);
    assert_int_equal(tl_pc_create_answer(p.a.pc, &answer), TL_OK);
    assert_non_null(strstr(answer, "a=setup:passive"));
    assert_null(strstr(answer, p.a.ufrag0));
    assert_int_equal(tl_pc_set_remote_description(p.b.pc, answer, TL_SDP_ANSWER), TL_OK);
    tl_free(offer);
    tl_free(answer);
    for (int i = 0; i < 5; i++) {
        exchange(&p, ca, cb, 70000, 0);
        exchange(&p, cb, ca, 300, 1);
    }
    assert_int_equal(tl_pc_get_state(p.a.pc), TL_PC_CONNECTED);
    assert_int_equal(tl_pc_get_state(p.b.pc), TL_PC_CONNECTED);
    pair_free(&p);
}

static int both_gathered(void *arg)
{
    struct pair *p = arg;
    return p->a.gathering_done && p->b.gathering_done;
}

/* a gave up on the connection, or held on through libnice's early
 * "failed" of the new generation (what the fix logs). */
static int a_failed_or_held(void *arg)
{
    struct pair *p = arg;
    return tl_pc_get_state(p->a.pc) != TL_PC_CONNECTED || pair_log_hits > 0;
}

/* Keeps the session-level lines and the media section's, minus every
 * candidate and end-of-candidates, and adds one candidate nobody answers. */
static char *with_dead_candidate(const char *sdp)
{
    size_t n = strlen(sdp);
    char *out = malloc(n + 128);
    assert_non_null(out);
    size_t o = 0;
    for (const char *l = sdp; *l;) {
        const char *e = strstr(l, "\r\n");
        size_t len = e ? (size_t)(e - l) + 2 : strlen(l);
        if (strncmp(l, "a=candidate:", 12) && strncmp(l, "a=end-of-candidates", 19)) {
            memcpy(out + o, l, len);
            o += len;
        }
        l += len;
    }
    o += (size_t)snprintf(out + o, 128, "a=candidate:9 1 udp 2130706431 127.0.0.1 9 typ host\r\n");
    out[o] = '\0';
    return out;
}

/* A restart of a live connection whose new checks come late (the peer's
 * answer is delivered seconds after its offer, and the offer names only a
 * dead candidate): libnice keeps "the peer finished gathering" from the first
 * generation and would call the new one failed at once; the connection must
 * stay up on the old pair and move to the new generation when its checks
 * arrive (docs/INTEROP.md, the Chromium-started restart). */
static void test_restart_late_checks(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    assert_true(pair_wait(&p, both_gathered, &p, 10000));
    p.a.trickle = p.b.trickle = 0;
    assert_int_equal(tl_pc_restart_ice(p.b.pc), TL_OK);
    char *offer = NULL, *answer = NULL;
    assert_int_equal(tl_pc_create_offer(p.b.pc, &offer), TL_OK);
    char *dead = with_dead_candidate(offer);
    assert_int_equal(tl_pc_set_remote_description(p.a.pc, dead, TL_SDP_OFFER), TL_OK);
    assert_int_equal(tl_pc_create_answer(p.a.pc, &answer), TL_OK);
    /* libnice fails the dead pair after about 10 s; a must hold on. */
    pair_log_watch = "failed during a restart";
    pair_log_hits = 0;
    assert_true(pair_wait(&p, a_failed_or_held, &p, 60000));
    assert_int_equal(tl_pc_get_state(p.a.pc), TL_PC_CONNECTED);
    pair_log_watch = NULL;
    assert_int_equal(tl_pc_set_remote_description(p.b.pc, answer, TL_SDP_ANSWER), TL_OK);
    for (int i = 0; i < p.a.n_cands; i++)
        tl_pc_add_remote_candidate(p.b.pc, p.a.cands[i], "0");
    exchange(&p, ca, cb, 70000, 0);
    exchange(&p, cb, ca, 300, 1);
    assert_int_equal(tl_pc_get_state(p.a.pc), TL_PC_CONNECTED);
    assert_int_equal(tl_pc_get_state(p.b.pc), TL_PC_CONNECTED);
    free(dead);
    tl_free(offer);
    tl_free(answer);
    pair_free(&p);
}

/* Port range and allow-list honoured; bad configurations rejected. */
static void test_config(void **state)
{
    (void)state;
    static const char *const lo[] = {"lo"}; /* an interface name */
    tl_pc_config cfg = {0};
    cfg.allowed = lo;
    cfg.n_allowed = 1;
    cfg.port_min = 42100;
    cfg.port_max = 42199;
    struct pair p;
    assert_int_equal(pair_new(&p, &cfg, &cfg), TL_OK);
    struct chan *ca, *cb;
    tl_dc_init init;
    tl_dc_init_default(&init, "main");
    ca = peer_open(&p.a, &init);
    assert_int_equal(pair_negotiate(&p, NULL), TL_OK);
    assert_true(pair_wait_connected(&p, 10000));
    assert_true(pair_wait(&p, chan_opened, ca, 10000));
    cb = remote_of(&p, &p.b, "main");
    exchange(&p, ca, cb, 10, 0);
    struct peer *peers[2] = {&p.a, &p.b};
    for (int k = 0; k < 2; k++) {
        assert_true(peers[k]->n_cands > 0);
        for (int i = 0; i < peers[k]->n_cands; i++) {
            tl_sdp_candidate c;
            assert_int_equal(tl_sdp_parse_candidate(peers[k]->cands[i], &c), TL_OK);
            assert_string_equal(c.addr, "127.0.0.1");
            assert_in_range(c.port, 42100, 42199);
        }
    }
    pair_free(&p);

    tl_loop *loop;
    tl_pc *pc = NULL;
    assert_int_equal(tl_loop_new(&loop, NULL), TL_OK);
    tl_pc_config bad = {0};
    bad.port_min = 5000;
    bad.port_max = 4000;
    assert_int_equal(tl_pc_new(&pc, loop, &bad, NULL, NULL), TL_ERR_INVALID_ARG);
    tl_ice_server srv = {"http://example.invalid", NULL, NULL};
    tl_pc_config bad2 = {0};
    bad2.ice_servers = &srv;
    bad2.n_ice_servers = 1;
    assert_int_equal(tl_pc_new(&pc, loop, &bad2, NULL, NULL), TL_ERR_INVALID_ARG);
    static const char *const nosuch[] = {"nosuchif0"};
    tl_pc_config bad3 = {0};
    bad3.allowed = nosuch;
    bad3.n_allowed = 1;
    assert_int_equal(tl_pc_new(&pc, loop, &bad3, NULL, NULL), TL_ERR_INVALID_ARG);
    /* No remote description yet: candidates and answers are refused. */
    assert_int_equal(tl_pc_new(&pc, loop, NULL, NULL, NULL), TL_OK);
    char *sdp = NULL;
    assert_int_equal(tl_pc_create_answer(pc, &sdp), TL_ERR_STATE);
    assert_int_equal(
        tl_pc_add_remote_candidate(pc, "candidate:1 1 udp 1 127.0.0.1 9 typ host", "0"),
        TL_ERR_STATE);
    assert_int_equal(tl_pc_set_remote_description(pc, "v=0\r\n", TL_SDP_ANSWER), TL_ERR_STATE);
    assert_int_not_equal(tl_pc_set_remote_description(pc, "garbage", TL_SDP_OFFER), TL_OK);
    tl_pc_free(pc);
    tl_loop_free(loop);
}

static void test_free_inside_callback_state(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_unordered_and_partial),
        cmocka_unit_test(test_many_channels),
        cmocka_unit_test(test_negotiated),
        cmocka_unit_test(test_close_either_side),
        cmocka_unit_test(test_wrong_fingerprint),
        cmocka_unit_test(test_restart_by_answerer),
        cmocka_unit_test(test_restart_late_checks),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_free_inside_callback_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tl_pc_free() from inside a message callback: no crash, no further
 * callbacks, memory released (ASan checks). */
static struct pair *g_pair;
static int g_after_free;

static void free_on_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    (void)data;
    (void)len;
    (void)ud;
    if (g_pair->b.pc) {
        assert_ptr_equal(tl_dc_pc(dc), g_pair->b.pc);
        tl_pc_free(g_pair->b.pc);
        g_pair->b.pc = NULL;
    } else {
        g_after_free++;
    }
}

static int b_gone_and_a_notified(void *arg)
{
    struct pair *p = arg;
    return p->b.pc == NULL && tl_pc_get_state(p->a.pc) != TL_PC_CONNECTED;
}

static void test_free_inside_callback_state(void **state)
{
    (void)state;
    struct pair p;
    struct chan *ca, *cb;
    setup(&p, &ca, &cb);
    g_pair = &p;
    g_after_free = 0;
    tl_dc_callbacks cbs = pair_dc_callbacks;
    cbs.on_binary = free_on_binary;
    tl_dc_set_callbacks(cb->dc, &cbs, cb);
    for (int i = 0; i < 10; i++)
        assert_int_equal(tl_dc_send_binary(ca->dc, "hello", 5), TL_OK);
    /* b frees itself on the first message; a sees the association end. */
    assert_true(pair_wait(&p, b_gone_and_a_notified, &p, 15000));
    assert_int_equal(g_after_free, 0);
    pair_free(&p);
}
