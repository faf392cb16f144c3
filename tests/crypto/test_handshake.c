/* Hybrid handshake (include/tallow/handshake.h): an honest run agrees, and
 * every manipulation the header lists is detected with its documented
 * error. The "network" is a pair of in-memory buffers a test may rewrite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/handshake_internal.h"
#include "crypto/hs_tape.h"
#include "tallow/crypto.h"
#include "tallow/handshake.h"
#include "tallow/mlkem.h"

/* Offsets inside the messages (docs/CRYPTO.md §2). */
#define HELLO_EK (2 + 32)
#define HELLO_X (HELLO_EK + TL_MLKEM768_EK_LEN)
#define REPLY_CT 2
#define REPLY_X (2 + TL_MLKEM768_CT_LEN)

static const uint8_t k_group[] = "group-7f3a";
static const uint8_t k_code[] = "correct horse battery staple 128b";

struct side {
    tl_hs_config cfg;
    tl_hs *hs;
};

struct run {
    struct side i, r;
    uint8_t hello[TL_HS_MAX_MSG_LEN], reply[TL_HS_MAX_MSG_LEN], finish[TL_HS_MAX_MSG_LEN];
    size_t hello_len, reply_len, finish_len;
};

static void fp_fill(uint8_t fp[32], uint8_t v)
{
    for (int k = 0; k < 32; k++)
        fp[k] = (uint8_t)(v + k);
}

/* Configs for an honest pair; tests modify them before run_new(). */
static void run_config(struct run *x, int with_code)
{
    memset(x, 0, sizeof(*x));
    x->i.cfg.role = TL_HS_INITIATOR;
    x->r.cfg.role = TL_HS_RESPONDER;
    x->i.cfg.group_id = x->r.cfg.group_id = k_group;
    x->i.cfg.group_id_len = x->r.cfg.group_id_len = sizeof(k_group) - 1;
    fp_fill(x->i.cfg.local_fp, 0x10);
    fp_fill(x->r.cfg.remote_fp, 0x10);
    fp_fill(x->r.cfg.local_fp, 0x80);
    fp_fill(x->i.cfg.remote_fp, 0x80);
    if (with_code) {
        x->i.cfg.code_secret = x->r.cfg.code_secret = k_code;
        x->i.cfg.code_secret_len = x->r.cfg.code_secret_len = sizeof(k_code) - 1;
    }
}

static void run_new(struct run *x)
{
    assert_int_equal(tl_hs_new(&x->i.hs, &x->i.cfg), TL_OK);
    assert_int_equal(tl_hs_new(&x->r.hs, &x->r.cfg), TL_OK);
}

static void run_free(struct run *x)
{
    tl_hs_free(x->i.hs);
    tl_hs_free(x->r.hs);
    x->i.hs = x->r.hs = NULL;
}

static void do_hello(struct run *x)
{
    assert_int_equal(tl_hs_start(x->i.hs, x->hello, sizeof(x->hello), &x->hello_len), TL_OK);
    assert_int_equal(x->hello_len, TL_HS_HELLO_LEN);
}

static int do_reply(struct run *x)
{
    return tl_hs_recv(x->r.hs, x->hello, x->hello_len, x->reply, sizeof(x->reply), &x->reply_len);
}

static int do_finish(struct run *x)
{
    return tl_hs_recv(x->i.hs, x->reply, x->reply_len, x->finish, sizeof(x->finish),
                      &x->finish_len);
}

static int do_done(struct run *x)
{
    size_t n = 99;
    uint8_t none[TL_HS_MAX_MSG_LEN];
    int rc = tl_hs_recv(x->r.hs, x->finish, x->finish_len, none, sizeof(none), &n);
    assert_int_equal(n, 0);
    return rc;
}

/* A handshake that died: nothing usable, every call refused. */
static void assert_dead(tl_hs *hs)
{
    char sas[TL_HS_SAS_LEN];
    tl_session_keys k;
    uint8_t buf[TL_HS_MAX_MSG_LEN];
    size_t n;
    assert_int_equal(tl_hs_is_done(hs), 0);
    assert_int_equal(tl_hs_sas(hs, sas), TL_ERR_STATE);
    assert_int_equal(tl_hs_session_keys(hs, &k), TL_ERR_STATE);
    assert_int_equal(tl_hs_recv(hs, buf, 34, buf, sizeof(buf), &n), TL_ERR_STATE);
    assert_int_equal(tl_hs_start(hs, buf, sizeof(buf), &n), TL_ERR_STATE);
}

static void assert_agree(struct run *x)
{
    tl_session_keys ki, kr;
    char si[TL_HS_SAS_LEN], sr[TL_HS_SAS_LEN];
    assert_true(tl_hs_is_done(x->i.hs));
    assert_true(tl_hs_is_done(x->r.hs));
    assert_int_equal(tl_hs_session_keys(x->i.hs, &ki), TL_OK);
    assert_int_equal(tl_hs_session_keys(x->r.hs, &kr), TL_OK);
    assert_memory_equal(ki.send, kr.recv, 32);
    assert_memory_equal(ki.recv, kr.send, 32);
    assert_memory_not_equal(ki.send, ki.recv, 32);
    assert_int_equal(tl_hs_sas(x->i.hs, si), TL_OK);
    assert_int_equal(tl_hs_sas(x->r.hs, sr), TL_OK);
    assert_string_equal(si, sr);
    assert_int_equal(strlen(si), 7);
    assert_int_equal(si[3], ' ');
    tl_session_keys_wipe(&ki);
    tl_session_keys_wipe(&kr);
    assert_true(tl_ct_is_zero(&ki, sizeof(ki)));
}

static void honest(int with_code)
{
    struct run x;
    run_config(&x, with_code);
    run_new(&x);
    assert_int_equal(tl_hs_is_done(x.i.hs), 0);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(x.reply_len, TL_HS_REPLY_LEN);
    assert_int_equal(tl_hs_is_done(x.r.hs), 0); /* not before FINISH */
    char sas[TL_HS_SAS_LEN];
    assert_int_equal(tl_hs_sas(x.r.hs, sas), TL_ERR_STATE);
    assert_int_equal(do_finish(&x), TL_OK);
    assert_int_equal(x.finish_len, TL_HS_FINISH_LEN);
    assert_int_equal(tl_hs_is_done(x.i.hs), 1);
    assert_int_equal(do_done(&x), TL_OK);
    assert_agree(&x);
    run_free(&x);
}

static void test_honest(void **state)
{
    (void)state;
    honest(0);
    honest(1);
}

static void test_sessions_differ(void **state)
{
    (void)state;
    struct run a, b;
    tl_session_keys ka, kb;
    run_config(&a, 0);
    run_config(&b, 0);
    run_new(&a);
    run_new(&b);
    do_hello(&a);
    do_hello(&b);
    assert_int_equal(do_reply(&a), TL_OK);
    assert_int_equal(do_reply(&b), TL_OK);
    assert_int_equal(do_finish(&a), TL_OK);
    assert_int_equal(do_finish(&b), TL_OK);
    assert_int_equal(tl_hs_session_keys(a.i.hs, &ka), TL_OK);
    assert_int_equal(tl_hs_session_keys(b.i.hs, &kb), TL_OK);
    assert_memory_not_equal(ka.send, kb.send, 32);
    run_free(&a);
    run_free(&b);
}

/* A man in the middle replaces part of a message with the matching part of
 * another, honest session's message (a valid key, not garbage). */
static void swap_test(int msg, size_t off, size_t len)
{
    struct run x, other;
    run_config(&x, 0);
    run_config(&other, 0);
    run_new(&x);
    run_new(&other);
    do_hello(&x);
    do_hello(&other);
    if (msg == 1)
        memcpy(x.hello + off, other.hello + off, len);
    assert_int_equal(do_reply(&x), TL_OK); /* the responder cannot tell yet */
    assert_int_equal(do_reply(&other), TL_OK);
    if (msg == 2)
        memcpy(x.reply + off, other.reply + off, len);
    assert_int_equal(do_finish(&x), TL_ERR_AUTH);
    assert_int_equal(x.finish_len, 0);
    assert_dead(x.i.hs);
    run_free(&x);
    run_free(&other);
}

static void test_swapped_mlkem_key(void **state)
{
    (void)state;
    swap_test(1, HELLO_EK, TL_MLKEM768_EK_LEN);
}

static void test_swapped_ciphertext(void **state)
{
    (void)state;
    swap_test(2, REPLY_CT, TL_MLKEM768_CT_LEN);
}

static void test_swapped_x25519(void **state)
{
    (void)state;
    swap_test(1, HELLO_X, 32); /* the initiator's */
    swap_test(2, REPLY_X, 32); /* the responder's */
}

static void test_swapped_commitment(void **state)
{
    (void)state;
    /* HELLO's SAS commitment replaced: the initiator's transcript differs. */
    swap_test(1, 2, 32);
}

/* Config mismatch between the two sides: the initiator detects it at REPLY. */
static void mismatch_test(void (*tweak)(struct run *))
{
    struct run x;
    run_config(&x, 1);
    tweak(&x);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(do_finish(&x), TL_ERR_AUTH);
    assert_dead(x.i.hs);
    run_free(&x);
}

static void tweak_remote_fp(struct run *x)
{
    x->i.cfg.remote_fp[5] ^= 1; /* signaling swapped the responder's fingerprint */
}

static void tweak_local_fp(struct run *x)
{
    x->r.cfg.remote_fp[31] ^= 0x80; /* ... or the initiator's */
}

static void tweak_code(struct run *x)
{
    static const uint8_t wrong[] = "correct horse battery stapl3 128b";
    x->r.cfg.code_secret = wrong;
}

static void tweak_code_missing(struct run *x)
{
    x->r.cfg.code_secret = NULL;
    x->r.cfg.code_secret_len = 0;
}

static void tweak_code_missing_initiator(struct run *x)
{
    x->i.cfg.code_secret = NULL;
    x->i.cfg.code_secret_len = 0;
}

static void tweak_code_length(struct run *x)
{
    x->i.cfg.code_secret_len--; /* a prefix of the right code */
}

static void tweak_group(struct run *x)
{
    static const uint8_t g2[] = "group-7f3b";
    x->r.cfg.group_id = g2;
}

static void tweak_roles_fp(struct run *x)
{
    /* Both sides present the same pair but in swapped roles. */
    memcpy(x->r.cfg.local_fp, x->i.cfg.local_fp, 32);
    memcpy(x->r.cfg.remote_fp, x->i.cfg.remote_fp, 32);
}

static void test_swapped_fingerprint(void **state)
{
    (void)state;
    mismatch_test(tweak_remote_fp);
    mismatch_test(tweak_local_fp);
    mismatch_test(tweak_roles_fp);
}

static void test_wrong_code(void **state)
{
    (void)state;
    mismatch_test(tweak_code);
    mismatch_test(tweak_code_missing);
    mismatch_test(tweak_code_missing_initiator);
    mismatch_test(tweak_code_length);
}

/* ---- the PAKE: no offline test of a code guess ------------------------ */

/* The initiator's rng is a tape (crypto/hs_tape.h), so the test knows what
 * an attacker playing initiator knows: its ML-KEM seeds, n_I and x_I. */

/* The offline test an initiator can run on REPLY for a code guess: with
 * everything it drew (d, z, x_I) and saw, recompute conf_R as the responder
 * would if the code were `guess`. ss_M is Decaps(c) with its own dk; the
 * X25519 secret it can compute is X25519(x_I, X_R). Returns 1 when the
 * recomputed conf_R equals the one in REPLY (the guess is confirmed). */
static int offline_guess_matches(const struct run *x, const struct tape *t, const uint8_t *guess,
                                 size_t guess_len)
{
    const uint8_t *d = t->bytes, *z = t->bytes + 32, *x_i = t->bytes + 96;
    const uint8_t *ct = x->reply + REPLY_CT, *x_r = x->reply + REPLY_X;
    const uint8_t *conf = x->reply + TL_HS_REPLY_LEN - TL_HS_MAC_LEN;
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN];
    uint8_t ss_m[32], ss_x[32], psk[32], ctx[TL_HS_CTX_MAX], th1[32], prk[32], mk_r[32], mk_i[32],
        mac[32];
    static const uint8_t salt[] = "tallow-v1 join code";
    assert_int_equal(tl_mlkem768_keygen_internal(ek, dk, d, z), TL_OK);
    assert_memory_equal(ek, x->hello + HELLO_EK, TL_MLKEM768_EK_LEN); /* the tape is right */
    assert_int_equal(tl_mlkem768_decaps_internal(ss_m, ct, dk), TL_OK);
    assert_int_equal(tl_x25519_shared(ss_x, x_i, x_r), TL_OK);
    assert_int_equal(tl_hkdf_extract(psk, salt, sizeof(salt) - 1, guess, guess_len), TL_OK);
    size_t n = tl_hs_context(ctx, x->i.cfg.group_id, x->i.cfg.group_id_len, x->i.cfg.local_fp,
                             x->i.cfg.remote_fp, 1);
    tl_sha256_ctx *h = NULL;
    assert_int_equal(tl_sha256_new(&h), TL_OK);
    assert_int_equal(tl_sha256_update(h, ctx, n), TL_OK);
    assert_int_equal(tl_sha256_update(h, x->hello, x->hello_len), TL_OK);
    assert_int_equal(tl_sha256_update(h, x->reply, TL_HS_REPLY_LEN - TL_HS_MAC_LEN), TL_OK);
    assert_int_equal(tl_sha256_final(h, th1), TL_OK);
    tl_sha256_free(h);
    assert_int_equal(tl_hs_derive_prk(prk, th1, ss_m, ss_x, psk), TL_OK);
    assert_int_equal(tl_hs_confirm_keys(mk_r, mk_i, prk), TL_OK);
    assert_int_equal(tl_hmac_sha256(mac, mk_r, 32, th1, 32), TL_OK);
    return memcmp(mac, conf, 32) == 0;
}

/* One handshake with the initiator using `code_i`, the responder the right
 * code k_code; the initiator's draws land in *t. Returns tl_hs_recv's
 * verdict on REPLY. */
static int guess_run(struct run *x, struct tape *t, const uint8_t *code_i, size_t code_i_len)
{
    run_config(x, 1);
    x->i.cfg.code_secret = code_i;
    x->i.cfg.code_secret_len = code_i_len;
    memset(t, 0, sizeof(*t));
    x->i.cfg.rng = tape_rng;
    x->i.cfg.rng_ctx = t;
    run_new(x);
    do_hello(x);
    assert_int_equal(do_reply(x), TL_OK);
    assert_int_equal(t->len, 128); /* d, z, n_I, x_I */
    return do_finish(x);
}

static void test_no_offline_guess(void **state)
{
    (void)state;
    static const uint8_t guess_a[] = "correct horse battery stapl3 128b"; /* wrong */
    static const uint8_t guess_c[] = "correct horse battery staple 128c"; /* wrong */
    const size_t len = sizeof(k_code) - 1;
    struct run x;
    struct tape t;

    /* Control: an initiator whose generator equals the responder's (it knew
     * the code) can verify guesses offline against REPLY: the right one
     * matches, a wrong one does not. This is the old design's weakness for
     * every initiator, because its generator was always the base point 9
     * whatever the code; it shows the check below computes conf_R right. */
    assert_int_equal(guess_run(&x, &t, k_code, len), TL_OK);
    assert_true(offline_guess_matches(&x, &t, k_code, len));
    assert_false(offline_guess_matches(&x, &t, guess_a, len));
    run_free(&x);

    /* The attack: an initiator that knows everything but the code runs one
     * handshake with guess A. It fails online, as it must, and then no guess
     * can be confirmed offline from the REPLY it received, not even the right
     * code: the responder's share lives on the generator of the right code,
     * whose discrete log relative to A's generator the attacker does not
     * know. */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(guess_run(&x, &t, guess_a, len), TL_ERR_AUTH);
        assert_false(offline_guess_matches(&x, &t, k_code, len));
        assert_false(offline_guess_matches(&x, &t, guess_a, len));
        assert_false(offline_guess_matches(&x, &t, guess_c, len));
        run_free(&x);
    }

    /* The shares are on the code's generator, not on 9: X_I != X25519(x_I, 9),
     * and the generator depends on the code and on every context byte. */
    uint8_t pub9[32], g1[32], g2[32], g3[32], ctx[TL_HS_CTX_MAX];
    assert_int_equal(guess_run(&x, &t, k_code, len), TL_OK);
    assert_int_equal(tl_x25519_public(pub9, t.bytes + 96), TL_OK);
    assert_memory_not_equal(pub9, x.hello + HELLO_X, 32);
    size_t n = tl_hs_context(ctx, x.i.cfg.group_id, x.i.cfg.group_id_len, x.i.cfg.local_fp,
                             x.i.cfg.remote_fp, 1);
    assert_int_equal(tl_hs_generator(g1, k_code, len, ctx, n), TL_OK);
    uint8_t share[32];
    assert_int_equal(tl_x25519_shared(share, t.bytes + 96, g1), TL_OK);
    assert_memory_equal(share, x.hello + HELLO_X, 32); /* X_I = X25519(x_I, G) */
    assert_int_equal(tl_hs_generator(g2, guess_a, len, ctx, n), TL_OK);
    assert_memory_not_equal(g1, g2, 32);
    ctx[n - 2] ^= 1; /* last byte of fp_R */
    assert_int_equal(tl_hs_generator(g3, k_code, len, ctx, n), TL_OK);
    assert_memory_not_equal(g1, g3, 32);
    assert_int_equal(tl_hs_generator(g3, k_code, 0, ctx, n), TL_ERR_INVALID_ARG);
    run_free(&x);
}

static void test_wrong_group(void **state)
{
    (void)state;
    mismatch_test(tweak_group);
}

static void test_replay_same_session(void **state)
{
    (void)state;
    struct run x;
    uint8_t buf[TL_HS_MAX_MSG_LEN];
    size_t n;
    /* HELLO twice. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(tl_hs_recv(x.r.hs, x.hello, x.hello_len, buf, sizeof(buf), &n), TL_ERR_STATE);
    assert_dead(x.r.hs);
    run_free(&x);
    /* REPLY twice (after the initiator finished). */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(do_finish(&x), TL_OK);
    uint8_t finish[TL_HS_FINISH_LEN];
    memcpy(finish, x.finish, sizeof(finish));
    assert_int_equal(do_finish(&x), TL_ERR_STATE);
    assert_dead(x.i.hs);
    /* FINISH twice. */
    memcpy(x.finish, finish, sizeof(finish));
    x.finish_len = sizeof(finish);
    assert_int_equal(do_done(&x), TL_OK);
    assert_int_equal(do_done(&x), TL_ERR_STATE);
    assert_dead(x.r.hs);
    run_free(&x);
    /* Reflection: the initiator's own HELLO sent back to it; a second start. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(tl_hs_start(x.i.hs, buf, sizeof(buf), &n), TL_ERR_STATE);
    assert_dead(x.i.hs);
    run_free(&x);
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(tl_hs_recv(x.i.hs, x.hello, x.hello_len, buf, sizeof(buf), &n), TL_ERR_STATE);
    run_free(&x);
    /* FINISH before REPLY on the responder; start on a responder. */
    run_config(&x, 0);
    run_new(&x);
    assert_int_equal(tl_hs_start(x.r.hs, buf, sizeof(buf), &n), TL_ERR_STATE);
    run_free(&x);
}

static void test_replay_other_session(void **state)
{
    (void)state;
    struct run a, b;
    /* A REPLY recorded from session a, given to b's initiator. */
    run_config(&a, 1);
    run_config(&b, 1);
    run_new(&a);
    run_new(&b);
    do_hello(&a);
    do_hello(&b);
    assert_int_equal(do_reply(&a), TL_OK);
    assert_int_equal(do_reply(&b), TL_OK);
    memcpy(b.reply, a.reply, a.reply_len);
    assert_int_equal(do_finish(&b), TL_ERR_AUTH);
    assert_dead(b.i.hs);
    /* A FINISH recorded from session a, given to b's responder. */
    assert_int_equal(do_finish(&a), TL_OK);
    memcpy(b.finish, a.finish, a.finish_len);
    b.finish_len = a.finish_len;
    assert_int_equal(do_done(&b), TL_ERR_AUTH);
    assert_dead(b.r.hs);
    run_free(&a);
    run_free(&b);
    /* A whole recorded initiator side (HELLO then FINISH) replayed to a fresh
     * responder: it answers the HELLO, but the old FINISH fails. */
    run_config(&a, 0);
    run_new(&a);
    do_hello(&a);
    assert_int_equal(do_reply(&a), TL_OK);
    assert_int_equal(do_finish(&a), TL_OK);
    struct run c;
    run_config(&c, 0);
    run_new(&c);
    memcpy(c.hello, a.hello, a.hello_len);
    c.hello_len = a.hello_len;
    assert_int_equal(do_reply(&c), TL_OK);
    memcpy(c.finish, a.finish, a.finish_len);
    c.finish_len = a.finish_len;
    assert_int_equal(do_done(&c), TL_ERR_AUTH);
    assert_dead(c.r.hs);
    run_free(&a);
    run_free(&c);
}

static void test_tampered_finish(void **state)
{
    (void)state;
    for (size_t off = 2; off < TL_HS_FINISH_LEN; off += 31) {
        struct run x;
        run_config(&x, 0);
        run_new(&x);
        do_hello(&x);
        assert_int_equal(do_reply(&x), TL_OK);
        assert_int_equal(do_finish(&x), TL_OK);
        x.finish[off] ^= 4; /* the SAS nonce (commitment) or the MAC */
        assert_int_equal(do_done(&x), TL_ERR_AUTH);
        assert_dead(x.r.hs);
        run_free(&x);
    }
}

/* Parse errors in each state and role. */
static void test_malformed(void **state)
{
    (void)state;
    struct run x;
    uint8_t buf[TL_HS_MAX_MSG_LEN], garbage[TL_HS_MAX_MSG_LEN];
    size_t n;
    for (size_t k = 0; k < sizeof(garbage); k++)
        garbage[k] = (uint8_t)(k * 37 + 0xf1); /* type byte 0xf1: unknown */
    const struct {
        size_t len;
        int type;
        int version;
        int want;
    } cases[] = {
        {0, -1, -1, TL_ERR_PARSE},
        {1, TL_HS_MSG_HELLO, -1, TL_ERR_PARSE},
        {sizeof(garbage), -1, -1, TL_ERR_PARSE},
        {200, -1, -1, TL_ERR_PARSE},
        {TL_HS_HELLO_LEN - 1, TL_HS_MSG_HELLO, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_HELLO_LEN + 1, TL_HS_MSG_HELLO, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_REPLY_LEN - 1, TL_HS_MSG_REPLY, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_FINISH_LEN + 1, TL_HS_MSG_FINISH, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_REPLY_LEN, 0, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_REPLY_LEN, 4, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_HELLO_LEN, TL_HS_MSG_HELLO, 2, TL_ERR_UNSUPPORTED},
        {TL_HS_REPLY_LEN, TL_HS_MSG_REPLY, 0, TL_ERR_UNSUPPORTED},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int target = 0; target < 3; target++) {
            run_config(&x, 0);
            run_new(&x);
            do_hello(&x);
            tl_hs *hs = x.i.hs;
            if (target == 1) {
                hs = x.r.hs; /* responder waiting for HELLO */
            } else if (target == 2) {
                assert_int_equal(do_reply(&x), TL_OK);
                hs = x.r.hs; /* responder waiting for FINISH */
            }
            memcpy(buf, garbage, sizeof(buf));
            if (cases[c].type >= 0)
                buf[0] = (uint8_t)cases[c].type;
            if (cases[c].version >= 0)
                buf[1] = (uint8_t)cases[c].version;
            int rc = tl_hs_recv(hs, cases[c].len ? buf : NULL, cases[c].len, buf, sizeof(buf), &n);
            assert_int_equal(rc, cases[c].want);
            assert_int_equal(n, 0);
            assert_dead(hs);
            run_free(&x);
        }
    }
    /* Well-formed but garbage contents: a REPLY of random bytes fails
     * confirmation; an output buffer that is too small is refused. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    garbage[0] = TL_HS_MSG_REPLY;
    garbage[1] = TL_HS_VERSION;
    assert_int_equal(tl_hs_recv(x.i.hs, garbage, TL_HS_REPLY_LEN, buf, sizeof(buf), &n),
                     TL_ERR_AUTH);
    run_free(&x);
    run_config(&x, 0);
    run_new(&x);
    assert_int_equal(tl_hs_start(x.i.hs, buf, 100, &n), TL_ERR_INVALID_ARG);
    run_free(&x);
}

static void test_bad_keys(void **state)
{
    (void)state;
    struct run x;
    /* Low-order X25519 key (u = 0): all-zero shared secret, refused. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    memset(x.hello + HELLO_X, 0, 32);
    assert_int_equal(do_reply(&x), TL_ERR_INVALID_ARG);
    assert_int_equal(x.reply_len, 0);
    assert_dead(x.r.hs);
    run_free(&x);
    /* ... and from the responder's side. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    memset(x.reply + REPLY_X, 0, 32);
    x.reply[REPLY_X] = 1; /* u = 1, order 1 */
    assert_int_equal(do_finish(&x), TL_ERR_INVALID_ARG);
    run_free(&x);
    /* ML-KEM ek whose first coefficient is 4095 >= q: FIPS 203 §7.2. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    x.hello[HELLO_EK] = 0xff;
    x.hello[HELLO_EK + 1] |= 0x0f;
    assert_int_equal(do_reply(&x), TL_ERR_INVALID_ARG);
    assert_dead(x.r.hs);
    run_free(&x);
}

static void test_config_checks(void **state)
{
    (void)state;
    struct run x;
    tl_hs *hs = NULL;
    run_config(&x, 0);
    x.i.cfg.group_id_len = 0;
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    assert_null(hs);
    x.i.cfg.group_id_len = 65;
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    x.i.cfg.group_id_len = 64;
    x.i.cfg.code_secret = k_code;
    x.i.cfg.code_secret_len = 0;
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    x.i.cfg.code_secret_len = 1;
    x.i.cfg.role = (tl_hs_role)7;
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    tl_hs_free(NULL);
}

/* Deterministic generator for reproducible transcripts. */
static int counter_rng(void *ctx, uint8_t *buf, size_t len)
{
    uint8_t *ctr = ctx;
    for (size_t k = 0; k < len; k++)
        buf[k] = (*ctr)++;
    return 0;
}

static void test_deterministic_rng(void **state)
{
    (void)state;
    char sas[2][TL_HS_SAS_LEN];
    uint8_t finish[2][TL_HS_FINISH_LEN];
    for (int k = 0; k < 2; k++) {
        struct run x;
        uint8_t ci = 0, cr = 100;
        run_config(&x, 1);
        x.i.cfg.rng = counter_rng;
        x.i.cfg.rng_ctx = &ci;
        x.r.cfg.rng = counter_rng;
        x.r.cfg.rng_ctx = &cr;
        run_new(&x);
        do_hello(&x);
        assert_int_equal(do_reply(&x), TL_OK);
        assert_int_equal(do_finish(&x), TL_OK);
        assert_int_equal(do_done(&x), TL_OK);
        assert_agree(&x);
        assert_int_equal(tl_hs_sas(x.i.hs, sas[k]), TL_OK);
        memcpy(finish[k], x.finish, TL_HS_FINISH_LEN);
        run_free(&x);
    }
    assert_string_equal(sas[0], sas[1]);
    assert_memory_equal(finish[0], finish[1], TL_HS_FINISH_LEN);
}

static void test_sas_format(void **state)
{
    (void)state;
    char s[TL_HS_SAS_LEN];
    uint8_t b[8] = {0};
    tl_hs_sas_format(s, b);
    assert_string_equal(s, "000 000");
    b[5] = 0x0f; /* 1,000,000 = 0x0f4240 wraps to 0 */
    b[6] = 0x42;
    b[7] = 0x40;
    tl_hs_sas_format(s, b);
    assert_string_equal(s, "000 000");
    b[7] = 0x3f; /* 999,999 */
    tl_hs_sas_format(s, b);
    assert_string_equal(s, "999 999");
    memset(b, 0, 8);
    b[6] = 0x30;
    b[7] = 0x39; /* 12345 */
    tl_hs_sas_format(s, b);
    assert_string_equal(s, "012 345");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_honest),
        cmocka_unit_test(test_sessions_differ),
        cmocka_unit_test(test_swapped_mlkem_key),
        cmocka_unit_test(test_swapped_ciphertext),
        cmocka_unit_test(test_swapped_x25519),
        cmocka_unit_test(test_swapped_commitment),
        cmocka_unit_test(test_swapped_fingerprint),
        cmocka_unit_test(test_wrong_code),
        cmocka_unit_test(test_no_offline_guess),
        cmocka_unit_test(test_wrong_group),
        cmocka_unit_test(test_replay_same_session),
        cmocka_unit_test(test_replay_other_session),
        cmocka_unit_test(test_tampered_finish),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_config_checks),
        cmocka_unit_test(test_deterministic_rng),
        cmocka_unit_test(test_sas_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
