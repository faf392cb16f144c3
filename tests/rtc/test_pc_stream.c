/* A long stream on one reliable ordered channel, checked with SHA-256 on
 * both ends; the sender honours bufferedAmount with the low-threshold
 * callback. Built twice:
 *  - test_pc_bulk: 1 GiB (256 MiB under AddressSanitizer, where 1 GiB takes
 *    minutes); TL_TEST_BULK_BYTES overrides.
 *  - test_pc_restart (TL_STREAM_RESTART): 256 MiB with an ICE restart in the
 *    middle (64 MiB under AddressSanitizer); the ICE credentials must change
 *    and every byte arrive intact. TL_TEST_RESTART_BYTES overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rtc/pc_pair.h"
#include "rtc/sdp.h"

#if defined(__SANITIZE_ADDRESS__)
#define TL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TL_ASAN 1
#endif
#endif

#define MSG (64 * 1024)
#define POOL (1024 * 1024)
#define HIGH (4u << 20)
#define LOW (1u << 20)

struct stream {
    struct pair *p;
    struct chan *tx, *rx;
    uint64_t total, sent, received;
    uint64_t counter;
    uint8_t *pool;
    uint8_t msg[MSG];
    EVP_MD_CTX *tx_md, *rx_md;
    int failed;
};

static struct stream g;

static void produce(void)
{
    while (g.sent < g.total && tl_dc_buffered_amount(g.tx->dc) < HIGH) {
        size_t n = g.total - g.sent < MSG ? (size_t)(g.total - g.sent) : MSG;
        /* A counter at the start of each message makes every one distinct. */
        size_t off = (size_t)((g.counter * 7919u) % (POOL - MSG));
        memcpy(g.msg, g.pool + off, n);
        memcpy(g.msg, &g.counter, n < 8 ? n : 8);
        g.counter++;
        if (tl_dc_send_binary(g.tx->dc, g.msg, n) != TL_OK) {
            g.failed = 1;
            return;
        }
        EVP_DigestUpdate(g.tx_md, g.msg, n);
        g.sent += n;
    }
}

static void on_low(tl_dc *dc, void *ud)
{
    (void)dc;
    (void)ud;
    produce();
}

static void on_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    (void)dc;
    (void)ud;
    EVP_DigestUpdate(g.rx_md, data, len);
    g.received += len;
}

static int chan_opened(void *arg)
{
    return ((struct chan *)arg)->opened > 0;
}

static int rx_ready(void *arg)
{
    struct pair *p = arg;
    g.rx = peer_find(&p->b, "bulk");
    return g.rx && g.rx->opened;
}

static int reached(void *arg)
{
    if (tl_pc_get_state(g.p->a.pc) != TL_PC_CONNECTED ||
        tl_pc_get_state(g.p->b.pc) != TL_PC_CONNECTED)
        g.failed = 1;
    return g.failed || g.received >= *(uint64_t *)arg;
}

static uint64_t env_size(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    return strtoull(v, NULL, 10);
}

static void stream_start(struct pair *p, uint64_t total)
{
    memset(&g, 0, sizeof(g));
    g.p = p;
    g.total = total;
    g.pool = malloc(POOL);
    assert_non_null(g.pool);
    fill_pattern(g.pool, POOL, 42);
    g.tx_md = EVP_MD_CTX_new();
    g.rx_md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestInit_ex(g.tx_md, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestInit_ex(g.rx_md, EVP_sha256(), NULL), 1);

    assert_int_equal(pair_new(p, NULL, NULL), TL_OK);
    tl_dc_init init;
    tl_dc_init_default(&init, "bulk");
    g.tx = peer_open(&p->a, &init);
    assert_non_null(g.tx);
    assert_int_equal(pair_negotiate(p, NULL), TL_OK);
    assert_true(pair_wait_connected(p, 10000));
    assert_true(pair_wait(p, chan_opened, g.tx, 10000));
    assert_true(pair_wait(p, rx_ready, p, 10000));
    tl_dc_callbacks cb = pair_dc_callbacks;
    cb.on_buffered_amount_low = on_low;
    tl_dc_set_callbacks(g.tx->dc, &cb, g.tx);
    cb = pair_dc_callbacks;
    cb.on_binary = on_binary;
    tl_dc_set_callbacks(g.rx->dc, &cb, g.rx);
    tl_dc_set_buffered_amount_low_threshold(g.tx->dc, LOW);
    produce();
}

static void stream_finish(struct pair *p, int timeout_ms)
{
    uint64_t total = g.total;
    assert_true(pair_wait(p, reached, &total, timeout_ms));
    assert_false(g.failed);
    assert_int_equal(g.sent, g.total);
    assert_int_equal(g.received, g.total);
    uint8_t h1[32], h2[32];
    unsigned l1 = 0, l2 = 0;
    EVP_DigestFinal_ex(g.tx_md, h1, &l1);
    EVP_DigestFinal_ex(g.rx_md, h2, &l2);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(tl_dc_buffered_amount(g.tx->dc), 0);
    tl_pc_stats st;
    assert_int_equal(tl_pc_get_stats(p->b.pc, &st), TL_OK);
    assert_int_equal(st.bytes_received, g.total);
    EVP_MD_CTX_free(g.tx_md);
    EVP_MD_CTX_free(g.rx_md);
    free(g.pool);
    pair_free(p);
}

#ifndef TL_STREAM_RESTART
static void test_bulk(void **state)
{
    (void)state;
#ifdef TL_ASAN
    uint64_t def = 256ull << 20;
#else
    uint64_t def = 1ull << 30;
#endif
    struct pair p;
    stream_start(&p, env_size("TL_TEST_BULK_BYTES", def));
    stream_finish(&p, 600000);
}
#else
static void ufrag_of(const char *sdp, char out[257])
{
    tl_sdp *s = malloc(sizeof(*s));
    char err[128];
    assert_non_null(s);
    assert_int_equal(tl_sdp_parse(sdp, strlen(sdp), s, err, sizeof(err)), TL_OK);
    memcpy(out, s->ice_ufrag, 257);
    free(s);
}

static void test_restart(void **state)
{
    (void)state;
    struct pair p;
#ifdef TL_ASAN
    uint64_t def = 64ull << 20; /* ASan is ~8x slower per byte */
#else
    uint64_t def = 256ull << 20;
#endif
    stream_start(&p, env_size("TL_TEST_RESTART_BYTES", def));
    char *o1 = NULL, *a1 = NULL;
    char u_off2[257], u_ans2[257];
    uint64_t quarter = g.total / 4;
    assert_true(pair_wait(&p, reached, &quarter, 60000));
    assert_int_equal(tl_pc_restart_ice(p.a.pc), TL_OK);
    assert_int_equal(tl_pc_create_offer(p.a.pc, &o1), TL_OK);
    ufrag_of(o1, u_off2);
    assert_int_equal(tl_pc_set_remote_description(p.b.pc, o1, TL_SDP_OFFER), TL_OK);
    assert_int_equal(tl_pc_create_answer(p.b.pc, &a1), TL_OK);
    ufrag_of(a1, u_ans2);
    assert_int_equal(tl_pc_set_remote_description(p.a.pc, a1, TL_SDP_ANSWER), TL_OK);
    tl_free(o1);
    tl_free(a1);
    assert_string_not_equal(u_off2, p.a.ufrag0);
    assert_string_not_equal(u_ans2, p.b.ufrag0);
    stream_finish(&p, 300000);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifndef TL_STREAM_RESTART
        cmocka_unit_test(test_bulk),
#else
        cmocka_unit_test(test_restart),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
