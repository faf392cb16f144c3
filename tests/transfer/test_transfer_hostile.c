/* Hostile peers at the state-machine level (docs/SECURITY.md): unearned
 * "verified" (proof of receipt), a stalled peer, a PING flood and a peer
 * that does not read. The same attacks through real processes are
 * tests/e2e/hostile_peer.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "transfer/fake_crypto.h"
#include "transfer/harness.h"
#include "transfer/session.h"

typedef struct fx {
    char *root, src[600], out[600];
    int out_fd;
} fx;

static const char *const one[] = {"data.bin"};

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->root = hx_tmpdir();
    snprintf(f->src, sizeof(f->src), "%s/src", f->root);
    snprintf(f->out, sizeof(f->out), "%s/out", f->root);
    mkdir(f->src, 0755);
    mkdir(f->out, 0755);
    f->out_fd = open(f->out, O_RDONLY | O_DIRECTORY);
    char p[700];
    snprintf(p, sizeof(p), "%s/data.bin", f->src);
    hx_write_random(p, 100000, 7);
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

/* The receiver has the file, but its receipt is wrong: not verified. */
static void test_receipt_lie_after_transfer(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.bad_receipt = 1;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.S.file_err[0], TL_ERR_AUTH);
    assert_int_equal(h.S.verified, 0);
    assert_int_equal(h.S.err, TL_ERR_AUTH); /* DONE with an error */
    hx_teardown(&h, 0);
    /* the honest receipt of the same receiver is accepted */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.scfg.overwrite = 1;
    assert_int_equal(hx_run(&h), 0);
    assert_int_equal(h.S.verified, 1);
    hx_teardown(&h, 0);
}

/* COMPLETE claims are proved by the sender re-reading its file. */
static void test_receipt_lie_complete(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0); /* now the file is in place */
    hx_teardown(&h, 0);
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0); /* COMPLETE with a true receipt */
    assert_int_equal(h.S.verified, 1);
    assert_int_equal(tl_xfer_sender_bytes_sent(h.s), 0);
    hx_teardown(&h, 0);
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.bad_receipt = 1; /* COMPLETE, but the receipt is made up */
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.S.file_err[0], TL_ERR_AUTH);
    assert_int_equal(h.S.verified, 0);
    hx_teardown(&h, 0);
}

/* Nothing the receiver sends arrives after it is keyed (so the sender never
 * is): the receiver hears the sender's handshake but sees no progress and
 * ends with STALLED at the stall timeout, well before the idle timeout. */
static void test_stall(void **state)
{
    fx *f = *state;
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 1024, one, 1), f->out_fd);
    h.drop_r2s = 1;
    h.stall_ms = 5000;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_STALLED);
    assert_string_equal(h.R.msg, "peer stalled");
    assert_int_equal(h.S.err, TL_ERR_TIMEOUT); /* never keyed: only idle applies */
    hx_teardown(&h, 0);
}

/* Two sessions keyed to each other (fake crypto), driven by hand. */
typedef struct pair {
    tl_xsess a, b; /* a: receiver role, b: sender role */
    uint64_t now;
} pair;

static void flush(tl_xsess *from, tl_xsess *to, uint64_t now)
{
    tl_xfer_action act;
    tl_frame f;
    while (tl_xsess_poll(from, now, 1, &act))
        if (act.type == TL_XFER_ACT_SEND)
            tl_xsess_recv(to, now, act.data, act.len, &f);
}

static void pair_up(pair *p)
{
    static const uint8_t gid[] = "g";
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = fake_crypto();
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = 1;
    cfg.hs.code_secret = (const uint8_t *)"c";
    cfg.hs.code_secret_len = 1;
    memset(cfg.hs.local_fp, 0x5a, 32);
    memset(cfg.hs.remote_fp, 0xa5, 32);
    p->now = 1000;
    assert_int_equal(tl_xsess_init(&p->a, &cfg, TL_FR_ROLE_RECEIVER), TL_OK);
    memset(cfg.hs.local_fp, 0xa5, 32);
    memset(cfg.hs.remote_fp, 0x5a, 32);
    assert_int_equal(tl_xsess_init(&p->b, &cfg, TL_FR_ROLE_SENDER), TL_OK);
    tl_xsess_start(&p->a, p->now);
    tl_xsess_start(&p->b, p->now);
    for (int i = 0; i < 8; i++) {
        flush(&p->a, &p->b, p->now);
        flush(&p->b, &p->a, p->now);
    }
    assert_int_equal(p->a.state, TL_SS_KEYED);
    assert_int_equal(p->b.state, TL_SS_KEYED);
    assert_memory_equal(p->a.receipt_key, p->b.receipt_key, 32); /* both derive K_r */
}

static void ping(pair *p, uint64_t id)
{
    tl_frame f = {.type = TL_FR_PING};
    f.u.ping.id = id;
    f.u.ping.stamp = p->now;
    p->b.ping_id = id; /* as the keep-alive timer would */
    assert_int_equal(tl_xsess_send(&p->b, p->now, &f), TL_OK);
}

/* PINGs to a side that cannot write: one PONG owed, none queued; the
 * latest PING is the one answered once it can write. */
static void test_pong_coalesced(void **state)
{
    (void)state;
    pair p;
    pair_up(&p);
    tl_frame f;
    tl_xfer_action act;
    for (uint64_t id = 1; id <= 20; id++) {
        ping(&p, id);
        p.now += 200;
        while (tl_xsess_poll(&p.b, p.now, 1, &act))
            if (act.type == TL_XFER_ACT_SEND)
                assert_true(tl_xsess_recv(&p.a, p.now, act.data, act.len, &f) >= 0);
        assert_false(tl_xsess_poll(&p.a, p.now, 0, &act) && act.type == TL_XFER_ACT_SEND);
    }
    assert_int_equal(p.a.q_len, 0);
    assert_int_equal(p.a.pong_due, 1);
    assert_int_equal(p.a.state, TL_SS_KEYED);
    flush(&p.a, &p.b, p.now); /* writable again: one PONG, for PING 20 */
    assert_int_equal(p.b.pong_id, 20);
    assert_int_equal(p.a.pong_due, 0);
    tl_xsess_cleanup(&p.a);
    tl_xsess_cleanup(&p.b);
}

/* More than TL_XSESS_MAX_PINGS in one interval: the session fails. */
static void test_ping_flood_fails(void **state)
{
    (void)state;
    pair p;
    pair_up(&p);
    tl_frame f;
    tl_xfer_action act;
    for (uint64_t id = 1; id <= TL_XSESS_MAX_PINGS + 1; id++) {
        ping(&p, id);
        while (tl_xsess_poll(&p.b, p.now, 1, &act))
            if (act.type == TL_XFER_ACT_SEND)
                tl_xsess_recv(&p.a, p.now, act.data, act.len, &f);
    }
    assert_int_equal(p.a.state, TL_SS_DEAD);
    assert_int_equal(p.a.err, TL_ERR_LIMIT);
    tl_xsess_cleanup(&p.a);
    tl_xsess_cleanup(&p.b);
}

/* A peer that never reads: the queue stops at TL_XSESS_MAX_QUEUE. */
static void test_queue_bounded(void **state)
{
    (void)state;
    pair p;
    pair_up(&p);
    tl_frame f = {.type = TL_FR_ACK};
    int rc = TL_OK;
    for (uint64_t i = 1; i <= TL_XSESS_MAX_QUEUE + 10 && rc == TL_OK; i++) {
        f.u.ack.frames = f.u.ack.bytes = i;
        rc = tl_xsess_send(&p.a, p.now, &f);
    }
    assert_int_equal(rc, TL_ERR_LIMIT);
    assert_int_equal(p.a.q_len, TL_XSESS_MAX_QUEUE);
    tl_xsess_cleanup(&p.a);
    tl_xsess_cleanup(&p.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receipt_lie_after_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipt_lie_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
        cmocka_unit_test(test_pong_coalesced),
        cmocka_unit_test(test_ping_flood_fails),
        cmocka_unit_test(test_queue_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
