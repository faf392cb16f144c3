/* DCEP (RFC 8832) messages and the per-stream state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rtc/dcep.h"

static size_t encode(uint8_t type, uint32_t rel, const char *label, const char *proto, uint8_t *buf,
                     size_t cap)
{
    tl_dcep_open o = {.channel_type = type,
                      .priority = 256,
                      .reliability = rel,
                      .label = label,
                      .label_len = strlen(label),
                      .protocol = proto,
                      .protocol_len = strlen(proto)};
    size_t n = 0;
    assert_int_equal(tl_dcep_encode_open(&o, buf, cap, &n), TL_OK);
    return n;
}

static void test_open_bytes(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n =
        encode(TL_DCEP_PARTIAL_REXMIT | TL_DCEP_UNORDERED_BIT, 3, "chat", "x", buf, sizeof(buf));
    static const uint8_t want[] = {0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
                                   0x04, 0x00, 0x01, 'c',  'h',  'a',  't',  'x'};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    tl_dcep_msg m;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_OK);
    assert_int_equal(m.type, TL_DCEP_MSG_OPEN);
    assert_int_equal(m.open.channel_type, 0x81);
    assert_int_equal(m.open.priority, 256);
    assert_int_equal(m.open.reliability, 3);
    assert_int_equal(m.open.label_len, 4);
    assert_memory_equal(m.open.label, "chat", 4);
    assert_int_equal(m.open.protocol_len, 1);
    assert_memory_equal(m.open.protocol, "x", 1);
}

static void test_round_trip_all_types(void **state)
{
    (void)state;
    static const uint8_t types[] = {0x00, 0x01, 0x02, 0x80, 0x81, 0x82};
    uint8_t buf[128];
    for (size_t i = 0; i < sizeof(types); i++) {
        size_t n = encode(types[i], 0xdeadbeefu, "", "", buf, sizeof(buf));
        assert_int_equal(n, 12);
        tl_dcep_msg m;
        assert_int_equal(tl_dcep_parse(buf, n, &m), TL_OK);
        assert_int_equal(m.open.channel_type, types[i]);
        assert_int_equal(m.open.reliability, 0xdeadbeefu);
        assert_int_equal(m.open.label_len, 0);
        assert_int_equal(m.open.protocol_len, 0);
    }
    uint8_t ack[1];
    assert_int_equal(tl_dcep_encode_ack(ack), 1);
    assert_int_equal(ack[0], 0x02);
    tl_dcep_msg m;
    assert_int_equal(tl_dcep_parse(ack, 1, &m), TL_OK);
    assert_int_equal(m.type, TL_DCEP_MSG_ACK);
}

static void test_big_label(void **state)
{
    (void)state;
    static uint8_t buf[12 + 65535 + 65535];
    static char label[65536];
    memset(label, 'L', sizeof(label));
    tl_dcep_open o = {.label = label, .label_len = 65535, .protocol = label, .protocol_len = 65535};
    size_t n = 0;
    assert_int_equal(tl_dcep_encode_open(&o, buf, sizeof(buf), &n), TL_OK);
    assert_int_equal(n, sizeof(buf));
    tl_dcep_msg m;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_OK);
    assert_int_equal(m.open.label_len, 65535);
    o.label_len = 65536;
    assert_int_equal(tl_dcep_encode_open(&o, buf, sizeof(buf), &n), TL_ERR_TOO_BIG);
    o.label_len = 4;
    assert_int_equal(tl_dcep_encode_open(&o, buf, 15, &n), TL_ERR_TOO_BIG);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = encode(0, 0, "label", "proto", buf, sizeof(buf));
    tl_dcep_msg m;
    /* every truncation fails */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tl_dcep_parse(buf, i, &m), TL_ERR_PARSE);
    /* trailing byte */
    buf[n] = 0;
    assert_int_equal(tl_dcep_parse(buf, n + 1, &m), TL_ERR_PARSE);
    /* label length beyond the buffer */
    buf[8] = 0xff;
    buf[9] = 0xff;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_ERR_PARSE);
    buf[8] = 0;
    buf[9] = 5;
    buf[11] = 6; /* protocol one byte too long */
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_ERR_PARSE);
    buf[11] = 5;
    /* unknown channel type and message type */
    buf[1] = 0x03;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_ERR_UNSUPPORTED);
    buf[1] = 0x7f;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_ERR_UNSUPPORTED);
    buf[1] = 0;
    assert_int_equal(tl_dcep_parse(buf, n, &m), TL_OK);
    static const uint8_t unknown[] = {0x01}, ack2[] = {0x02, 0x00};
    assert_int_equal(tl_dcep_parse(unknown, 1, &m), TL_ERR_UNSUPPORTED);
    assert_int_equal(tl_dcep_parse(ack2, 2, &m), TL_ERR_PARSE);
    assert_int_equal(tl_dcep_parse(NULL, 0, &m), TL_ERR_PARSE);
}

static void test_state_opener(void **state)
{
    (void)state;
    tl_dcep_state st = TL_DCEP_IDLE;
    uint8_t ack[1], ackout[1];
    size_t ack_len = 99;
    tl_dcep_encode_ack(ack);
    assert_int_equal(tl_dcep_start_open(&st), TL_OK);
    assert_int_equal(st, TL_DCEP_OPENING);
    assert_int_equal(tl_dcep_start_open(&st), TL_ERR_STATE);
    assert_int_equal(tl_dcep_on_message(&st, ack, 1, NULL, ackout, &ack_len), TL_DCEP_EV_ACKED);
    assert_int_equal(st, TL_DCEP_OPEN);
    assert_int_equal(ack_len, 0);
    /* an ACK on an open stream is ignored, an OPEN is an error */
    assert_int_equal(tl_dcep_on_message(&st, ack, 1, NULL, ackout, &ack_len), TL_DCEP_EV_NONE);
    assert_int_equal(st, TL_DCEP_OPEN);

    /* user data before the ACK opens the channel (RFC 8832 §6); the ACK
     * that was overtaken arrives later and is ignored */
    st = TL_DCEP_IDLE;
    assert_int_equal(tl_dcep_start_open(&st), TL_OK);
    assert_int_equal(tl_dcep_on_user_data(&st), TL_DCEP_EV_ACKED);
    assert_int_equal(st, TL_DCEP_OPEN);
    assert_int_equal(tl_dcep_on_user_data(&st), TL_DCEP_EV_NONE);
    assert_int_equal(tl_dcep_on_message(&st, ack, 1, NULL, ackout, &ack_len), TL_DCEP_EV_NONE);
    assert_int_equal(st, TL_DCEP_OPEN);
    assert_int_equal(ack_len, 0);
    st = TL_DCEP_IDLE;
    assert_int_equal(tl_dcep_on_user_data(&st), TL_DCEP_EV_ERROR);
    assert_int_equal(st, TL_DCEP_ERRORED);
}

static void test_state_remote_open(void **state)
{
    (void)state;
    uint8_t buf[64], ack[1] = {0};
    size_t n = encode(TL_DCEP_RELIABLE, 0, "files", "tallow", buf, sizeof(buf));
    tl_dcep_state st = TL_DCEP_IDLE;
    tl_dcep_open o;
    size_t ack_len = 0;
    assert_int_equal(tl_dcep_on_message(&st, buf, n, &o, ack, &ack_len), TL_DCEP_EV_REMOTE_OPEN);
    assert_int_equal(st, TL_DCEP_OPEN);
    assert_int_equal(ack_len, 1);
    assert_int_equal(ack[0], TL_DCEP_MSG_ACK);
    assert_int_equal(o.label_len, 5);
    assert_memory_equal(o.label, "files", 5);
    assert_memory_equal(o.protocol, "tallow", 6);
    /* duplicate OPEN on an open stream */
    ack_len = 7;
    assert_int_equal(tl_dcep_on_message(&st, buf, n, &o, ack, &ack_len), TL_DCEP_EV_ERROR);
    assert_int_equal(st, TL_DCEP_ERRORED);
    assert_int_equal(ack_len, 0);
    /* stays errored */
    st = TL_DCEP_ERRORED;
    assert_int_equal(tl_dcep_on_message(&st, buf, n, &o, ack, &ack_len), TL_DCEP_EV_ERROR);

    /* OPEN while our own OPEN is pending (impossible with correct parity) */
    st = TL_DCEP_OPENING;
    assert_int_equal(tl_dcep_on_message(&st, buf, n, &o, ack, &ack_len), TL_DCEP_EV_ERROR);
    /* ACK on an idle stream, garbage on an idle stream */
    st = TL_DCEP_IDLE;
    uint8_t a[1];
    tl_dcep_encode_ack(a);
    assert_int_equal(tl_dcep_on_message(&st, a, 1, &o, ack, &ack_len), TL_DCEP_EV_ERROR);
    st = TL_DCEP_IDLE;
    assert_int_equal(tl_dcep_on_message(&st, buf, n - 1, &o, ack, &ack_len), TL_DCEP_EV_ERROR);
    st = TL_DCEP_IDLE;
    assert_int_equal(tl_dcep_on_message(&st, NULL, 0, &o, ack, &ack_len), TL_DCEP_EV_ERROR);
}

static void test_parity(void **state)
{
    (void)state;
    /* RFC 8832 §6: DTLS client even, server odd */
    assert_true(tl_dcep_id_is_local(0, 1));
    assert_true(tl_dcep_id_is_local(2, 1));
    assert_false(tl_dcep_id_is_local(1, 1));
    assert_true(tl_dcep_id_is_local(1, 0));
    assert_true(tl_dcep_id_is_local(65533, 0));
    assert_false(tl_dcep_id_is_local(0, 0));
    assert_false(tl_dcep_id_is_local(65534, 0));
    assert_true(tl_dcep_id_is_local(65534, 1));
    assert_false(tl_dcep_id_is_local(65535, 0)); /* reserved */
    assert_false(tl_dcep_id_is_local(65535, 1));
    for (uint32_t id = 0; id < 65535; id++)
        assert_true(tl_dcep_id_is_local((uint16_t)id, 1) != tl_dcep_id_is_local((uint16_t)id, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_bytes),   cmocka_unit_test(test_round_trip_all_types),
        cmocka_unit_test(test_big_label),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_state_opener), cmocka_unit_test(test_state_remote_open),
        cmocka_unit_test(test_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
