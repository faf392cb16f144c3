/* Hybrid handshake v2 (include/tallow/handshake.h): an honest run agrees,
 * every manipulation the header lists is detected with its documented
 * error, and only the holder of the sender identity's private keys can
 * complete a handshake under that identity. The "network" is a set of
 * in-memory buffers a test may rewrite. */
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

/* Offsets inside the messages (handshake_internal.h). */
#define HELLO_EK (2 + 32)
#define HELLO_X (HELLO_EK + TL_MLKEM768_EK_LEN)
#define HELLO_E (HELLO_X + 32)
#define REPLY_CT 2
#define REPLY_X (REPLY_CT + TL_MLKEM768_CT_LEN)
#define REPLY_EK_S (REPLY_X + 32)
#define REPLY_S (REPLY_EK_S + TL_MLKEM768_EK_LEN)
#define REPLY_CONF (REPLY_S + 32)
#define FINISH_NONCE 2
#define FINISH_CS (FINISH_NONCE + TL_HS_NONCE_LEN)
#define FINISH_CONF (FINISH_CS + TL_MLKEM768_CT_LEN)
#define CONFIRM_CONF 2

/* What the initiator draws (hs_tape.h): d, z, n_I, x_I, e_I in HELLO, then
 * m for the ciphertext to the identity key once REPLY verified. */
#define TAPE_D 0
#define TAPE_Z 32
#define TAPE_N 64
#define TAPE_X 96
#define TAPE_E 128
#define TAPE_HELLO_LEN 160
#define TAPE_FINISH_LEN 192

static const uint8_t k_group[] = "group-7f3a";
static const uint8_t k_code[] = "correct horse battery staple 128b";

/* The real sender's identity and an insider's (another group member, or
 * anyone who learnt the join code), from fixed seeds. */
static tl_hs_identity *g_sender, *g_insider;
static uint8_t g_sender_seed[TL_HS_IDENTITY_SEED_LEN], g_insider_seed[TL_HS_IDENTITY_SEED_LEN];
static uint8_t g_sender_id[TL_HS_IDENTITY_LEN], g_insider_id[TL_HS_IDENTITY_LEN];

static int identities_setup(void **state)
{
    (void)state;
    for (size_t k = 0; k < TL_HS_IDENTITY_SEED_LEN; k++) {
        g_sender_seed[k] = (uint8_t)(k * 7 + 1);
        g_insider_seed[k] = (uint8_t)(k * 11 + 5);
    }
    if (tl_hs_identity_new(&g_sender, g_sender_seed) != TL_OK ||
        tl_hs_identity_new(&g_insider, g_insider_seed) != TL_OK)
        return -1;
    tl_hs_identity_id(g_sender, g_sender_id);
    tl_hs_identity_id(g_insider, g_insider_id);
    return 0;
}

static int identities_teardown(void **state)
{
    (void)state;
    tl_hs_identity_free(g_sender);
    tl_hs_identity_free(g_insider);
    g_sender = g_insider = NULL;
    return 0;
}

/* An identity's public keys, recomputed from its seed d || z || s. */
static void identity_public(const uint8_t seed[TL_HS_IDENTITY_SEED_LEN],
                            uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk[TL_MLKEM768_DK_LEN],
                            uint8_t s_pub[32])
{
    assert_int_equal(tl_mlkem768_keygen_internal(ek, dk, seed, seed + 32), TL_OK);
    assert_int_equal(tl_x25519_public(s_pub, seed + 64), TL_OK);
}

struct side {
    tl_hs_config cfg;
    tl_hs *hs;
};

struct run {
    struct side i, r;
    uint8_t hello[TL_HS_MAX_MSG_LEN], reply[TL_HS_MAX_MSG_LEN], finish[TL_HS_MAX_MSG_LEN],
        confirm[TL_HS_MAX_MSG_LEN];
    size_t hello_len, reply_len, finish_len, confirm_len;
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
    x->r.cfg.identity = g_sender;
}

/* The initiator requires the real sender's identity on its first `bits`. */
static void expect_sender(struct run *x, unsigned bits)
{
    x->i.cfg.expect_identity = g_sender_id;
    x->i.cfg.expect_identity_bits = bits;
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

/* The four steps: each delivers one message and keeps the answer. */
static void do_hello(struct run *x)
{
    assert_int_equal(tl_hs_start(x->i.hs, x->hello, sizeof(x->hello), &x->hello_len), TL_OK);
    assert_int_equal(x->hello_len, TL_HS_HELLO_LEN);
}

static int do_reply(struct run *x)
{
    int rc = tl_hs_recv(x->r.hs, x->hello, x->hello_len, x->reply, sizeof(x->reply), &x->reply_len);
    assert_int_equal(x->reply_len, rc == TL_OK ? TL_HS_REPLY_LEN : 0);
    return rc;
}

static int do_finish(struct run *x)
{
    int rc =
        tl_hs_recv(x->i.hs, x->reply, x->reply_len, x->finish, sizeof(x->finish), &x->finish_len);
    assert_int_equal(x->finish_len, rc == TL_OK ? TL_HS_FINISH_LEN : 0);
    return rc;
}

static int do_confirm(struct run *x)
{
    int rc = tl_hs_recv(x->r.hs, x->finish, x->finish_len, x->confirm, sizeof(x->confirm),
                        &x->confirm_len);
    assert_int_equal(x->confirm_len, rc == TL_OK ? TL_HS_CONFIRM_LEN : 0);
    return rc;
}

static int do_done(struct run *x)
{
    size_t n = 99;
    uint8_t none[TL_HS_MAX_MSG_LEN];
    int rc = tl_hs_recv(x->i.hs, x->confirm, x->confirm_len, none, sizeof(none), &n);
    assert_int_equal(n, 0);
    return rc;
}

/* The whole honest exchange. */
static void do_all(struct run *x)
{
    do_hello(x);
    assert_int_equal(do_reply(x), TL_OK);
    assert_int_equal(do_finish(x), TL_OK);
    assert_int_equal(do_confirm(x), TL_OK);
    assert_int_equal(do_done(x), TL_OK);
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
    assert_int_equal(n, 0);
    assert_int_equal(tl_hs_start(hs, buf, sizeof(buf), &n), TL_ERR_STATE);
}

/* Alive but not done: no keys, no SAS yet. */
static void assert_not_done(tl_hs *hs)
{
    char sas[TL_HS_SAS_LEN];
    tl_session_keys k;
    assert_int_equal(tl_hs_is_done(hs), 0);
    assert_int_equal(tl_hs_sas(hs, sas), TL_ERR_STATE);
    assert_int_equal(tl_hs_session_keys(hs, &k), TL_ERR_STATE);
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

static void honest(int with_code, unsigned expect_bits)
{
    struct run x;
    uint8_t id[TL_HS_IDENTITY_LEN];
    char sas[TL_HS_SAS_LEN];
    run_config(&x, with_code);
    if (expect_bits)
        expect_sender(&x, expect_bits);
    run_new(&x);
    assert_not_done(x.i.hs);
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_ERR_STATE); /* no REPLY yet */
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_not_done(x.r.hs); /* not before FINISH */
    assert_int_equal(tl_hs_sas(x.r.hs, sas), TL_ERR_STATE);
    assert_int_equal(do_finish(&x), TL_OK);
    assert_not_done(x.i.hs); /* not before CONFIRM */
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_OK);
    assert_memory_equal(id, g_sender_id, TL_HS_IDENTITY_LEN);
    assert_int_equal(do_confirm(&x), TL_OK);
    assert_true(tl_hs_is_done(x.r.hs));
    assert_not_done(x.i.hs);
    assert_int_equal(do_done(&x), TL_OK);
    assert_agree(&x);
    /* The responder has no peer identity to report. */
    assert_int_equal(tl_hs_peer_identity(x.r.hs, id), TL_ERR_STATE);
    run_free(&x);
}

static void test_honest(void **state)
{
    (void)state;
    honest(0, 0);
    honest(1, 0);
    honest(1, 60);
    honest(0, 160);
    honest(1, 256);
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
    do_all(&a);
    do_all(&b);
    assert_int_equal(tl_hs_session_keys(a.i.hs, &ka), TL_OK);
    assert_int_equal(tl_hs_session_keys(b.i.hs, &kb), TL_OK);
    assert_memory_not_equal(ka.send, kb.send, 32);
    /* Same identity, different sessions: the static-key parts differ too. */
    assert_memory_equal(a.reply + REPLY_EK_S, b.reply + REPLY_EK_S, TL_MLKEM768_EK_LEN + 32);
    assert_memory_not_equal(a.finish + FINISH_CS, b.finish + FINISH_CS, TL_MLKEM768_CT_LEN);
    assert_memory_not_equal(a.confirm, b.confirm, TL_HS_CONFIRM_LEN);
    run_free(&a);
    run_free(&b);
}

/* A man in the middle replaces part of message `msg` (1 HELLO .. 4 CONFIRM)
 * with the matching part of another honest session's message (a valid key,
 * not garbage); both sessions use the same sender identity. The first side
 * that can tell refuses with TL_ERR_AUTH and sends nothing. */
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
    if (msg <= 2) {
        assert_int_equal(do_finish(&x), TL_ERR_AUTH);
        assert_dead(x.i.hs);
        goto out;
    }
    assert_int_equal(do_finish(&x), TL_OK);
    assert_int_equal(do_finish(&other), TL_OK);
    if (msg == 3) {
        memcpy(x.finish + off, other.finish + off, len);
        assert_int_equal(do_confirm(&x), TL_ERR_AUTH);
        assert_dead(x.r.hs);
        goto out;
    }
    assert_int_equal(do_confirm(&x), TL_OK);
    assert_int_equal(do_confirm(&other), TL_OK);
    memcpy(x.confirm + off, other.confirm + off, len);
    assert_int_equal(do_done(&x), TL_ERR_AUTH);
    assert_dead(x.i.hs);
out:
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
    /* The ciphertext to the identity key: a valid one for the same key,
     * from another session. */
    swap_test(3, FINISH_CS, TL_MLKEM768_CT_LEN);
}

static void test_swapped_x25519(void **state)
{
    (void)state;
    swap_test(1, HELLO_X, 32); /* the initiator's share */
    swap_test(2, REPLY_X, 32); /* the responder's */
    swap_test(1, HELLO_E, 32); /* the initiator's ephemeral for the static DH */
}

static void test_swapped_commitment(void **state)
{
    (void)state;
    /* HELLO's SAS commitment replaced: the initiator's transcript differs. */
    swap_test(1, 2, 32);
    /* FINISH's SAS nonce replaced: the commitment check fails. */
    swap_test(3, FINISH_NONCE, TL_HS_NONCE_LEN);
}

static void test_swapped_confirmations(void **state)
{
    (void)state;
    swap_test(2, REPLY_CONF, TL_HS_MAC_LEN);
    swap_test(3, FINISH_CONF, TL_HS_MAC_LEN);
    swap_test(4, CONFIRM_CONF, TL_HS_MAC_LEN);
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
 * an attacker playing initiator knows: its ML-KEM seeds, n_I, x_I and e_I. */

/* The offline test an initiator can run on REPLY for a code guess: with
 * everything it drew (d, z, x_I, e_I) and saw, recompute conf_R as the
 * responder would if the code were `guess`. ss_M is Decaps(c) with its own
 * dk; the X25519 secret it can compute is X25519(x_I, X_R); the static one is
 * X25519(e_I, S) with S from REPLY. Returns 1 when the recomputed conf_R
 * equals the one in REPLY (the guess is confirmed). */
static int offline_guess_matches(const struct run *x, const struct tape *t, const uint8_t *guess,
                                 size_t guess_len)
{
    const uint8_t *d = t->bytes + TAPE_D, *z = t->bytes + TAPE_Z, *x_i = t->bytes + TAPE_X;
    const uint8_t *e_i = t->bytes + TAPE_E;
    const uint8_t *ct = x->reply + REPLY_CT, *x_r = x->reply + REPLY_X, *s = x->reply + REPLY_S;
    const uint8_t *conf = x->reply + REPLY_CONF;
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN];
    uint8_t ss_m[32], ss_x[32], ss_sx[32], psk[32], ctx[TL_HS_CTX_MAX], th1[32], prk[32], mk_r[32],
        mk_i[32], mac[32], e_pub[32];
    static const uint8_t salt[] = "tallow-v1 join code";
    assert_int_equal(tl_mlkem768_keygen_internal(ek, dk, d, z), TL_OK);
    assert_memory_equal(ek, x->hello + HELLO_EK, TL_MLKEM768_EK_LEN); /* the tape is right */
    assert_int_equal(tl_x25519_public(e_pub, e_i), TL_OK);
    assert_memory_equal(e_pub, x->hello + HELLO_E, 32); /* E_I = X25519(e_I, 9) */
    assert_int_equal(tl_mlkem768_decaps_internal(ss_m, ct, dk), TL_OK);
    assert_int_equal(tl_x25519_shared(ss_x, x_i, x_r), TL_OK);
    assert_int_equal(tl_x25519_shared(ss_sx, e_i, s), TL_OK);
    assert_int_equal(tl_hkdf_extract(psk, salt, sizeof(salt) - 1, guess, guess_len), TL_OK);
    size_t n = tl_hs_context(ctx, x->i.cfg.group_id, x->i.cfg.group_id_len, x->i.cfg.local_fp,
                             x->i.cfg.remote_fp, 1);
    tl_sha256_ctx *h = NULL;
    assert_int_equal(tl_sha256_new(&h), TL_OK);
    assert_int_equal(tl_sha256_update(h, ctx, n), TL_OK);
    assert_int_equal(tl_sha256_update(h, x->hello, x->hello_len), TL_OK);
    assert_int_equal(tl_sha256_update(h, x->reply, REPLY_CONF), TL_OK);
    assert_int_equal(tl_sha256_final(h, th1), TL_OK);
    tl_sha256_free(h);
    assert_int_equal(tl_hs_derive_prk(prk, th1, ss_m, ss_x, psk, ss_sx), TL_OK);
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
    assert_int_equal(t->len, TAPE_HELLO_LEN); /* d, z, n_I, x_I, e_I */
    assert_int_equal(do_reply(x), TL_OK);
    int rc = do_finish(x);
    /* m for the ciphertext to the identity key only after REPLY verified. */
    assert_int_equal(t->len, rc == TL_OK ? TAPE_FINISH_LEN : TAPE_HELLO_LEN);
    return rc;
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
     * know. The sender identity changes nothing here: the attacker computes
     * the static secret X25519(e_I, S) itself. */
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
    assert_int_equal(tl_x25519_public(pub9, t.bytes + TAPE_X), TL_OK);
    assert_memory_not_equal(pub9, x.hello + HELLO_X, 32);
    size_t n = tl_hs_context(ctx, x.i.cfg.group_id, x.i.cfg.group_id_len, x.i.cfg.local_fp,
                             x.i.cfg.remote_fp, 1);
    assert_int_equal(tl_hs_generator(g1, k_code, len, ctx, n), TL_OK);
    uint8_t share[32];
    assert_int_equal(tl_x25519_shared(share, t.bytes + TAPE_X, g1), TL_OK);
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

/* ---- sender identity -------------------------------------------------- */

/* An insider knows the join code but holds its own identity: it passes the
 * PAKE, and an initiator that expects the real sender's identity hash (on
 * `bits` bits) refuses it before FINISH: no FINISH, no ciphertext to its
 * key (the initiator never drew m), the handshake dead. */
static void insider_refused(unsigned bits)
{
    struct run x;
    struct tape t;
    uint8_t id[TL_HS_IDENTITY_LEN];
    memset(&t, 0, sizeof(t));
    run_config(&x, 1);
    x.r.cfg.identity = g_insider;
    expect_sender(&x, bits);
    x.i.cfg.rng = tape_rng;
    x.i.cfg.rng_ctx = &t;
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(do_finish(&x), TL_ERR_IDENTITY);
    assert_int_equal(t.len, TAPE_HELLO_LEN);
    assert_dead(x.i.hs);
    /* The identity it refused stays readable, for the error message. */
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_OK);
    assert_memory_equal(id, g_insider_id, TL_HS_IDENTITY_LEN);
    run_free(&x);
}

/* The initiator expects `expect` on `bits` bits; the real sender answers. */
static int prefix_run(const uint8_t *expect, unsigned bits)
{
    struct run x;
    run_config(&x, 1);
    x.i.cfg.expect_identity = expect;
    x.i.cfg.expect_identity_bits = bits;
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    int rc = do_finish(&x);
    if (rc == TL_OK) {
        assert_int_equal(do_confirm(&x), TL_OK);
        assert_int_equal(do_done(&x), TL_OK);
        assert_agree(&x);
    } else {
        assert_dead(x.i.hs);
    }
    run_free(&x);
    return rc;
}

static void test_insider_identity(void **state)
{
    (void)state;
    struct run x;
    uint8_t id[TL_HS_IDENTITY_LEN];
    assert_memory_not_equal(g_insider_id, g_sender_id, TL_HS_IDENTITY_LEN);
    /* Without an expectation the insider completes the handshake: the code
     * alone does not tell senders apart; the caller shows the identity. */
    run_config(&x, 1);
    x.r.cfg.identity = g_insider;
    run_new(&x);
    do_all(&x);
    assert_agree(&x);
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_OK);
    assert_memory_equal(id, g_insider_id, TL_HS_IDENTITY_LEN);
    run_free(&x);
    /* With one (group fingerprint, link or long code, pinned) it is refused. */
    insider_refused(60);
    insider_refused(160);
    insider_refused(256);
    /* Only the first `bits` bits count, most significant bit first: an
     * expectation that differs in bit 60 passes at 60 bits, not at 61; one
     * that differs in the very last bit passes at 255, not at 256. */
    uint8_t near[TL_HS_IDENTITY_LEN];
    memcpy(near, g_sender_id, sizeof(near));
    near[7] ^= 0x08; /* bit 60 */
    assert_int_equal(prefix_run(near, 60), TL_OK);
    assert_int_equal(prefix_run(near, 61), TL_ERR_IDENTITY);
    memcpy(near, g_sender_id, sizeof(near));
    near[31] ^= 0x01;
    assert_int_equal(prefix_run(near, 255), TL_OK);
    assert_int_equal(prefix_run(near, 256), TL_ERR_IDENTITY);
    near[0] ^= 0x80; /* the first bit */
    assert_int_equal(prefix_run(near, 1), TL_ERR_IDENTITY);
}

/* An attacker playing responder, written from the specification with the
 * library's primitives only: it presents the REAL sender's public identity
 * keys (ek_S, S) in REPLY but holds only the private keys it is given. With
 * both real private keys it must be indistinguishable from the sender (the
 * control that shows the forgery is computed right). */
struct forger {
    uint8_t tr[8192]; /* context and every message byte so far */
    size_t n;
    uint8_t prk1[32], mk_i[32];
};

static void tr_add(struct forger *f, const uint8_t *p, size_t n)
{
    assert_true(f->n + n <= sizeof(f->tr));
    memcpy(f->tr + f->n, p, n);
    f->n += n;
}

static void tr_hash(const struct forger *f, uint8_t out[32])
{
    assert_int_equal(tl_sha256(out, f->tr, f->n), TL_OK);
}

/* REPLY with s_priv as the X25519 static private key. */
static void forge_reply(struct run *x, struct forger *f, const uint8_t s_priv[32])
{
    static const uint8_t salt[] = "tallow-v1 join code";
    static uint8_t ek_s[TL_MLKEM768_EK_LEN], dk_s[TL_MLKEM768_DK_LEN];
    const tl_hs_config *c = &x->r.cfg;
    uint8_t ctx[TL_HS_CTX_MAX], m[32], x_r[32], gen[32], ss_m[32], ss_x[32], ss_sx[32],
        psk[32] = {0}, th1[32], mk_r[32], s_pub[32];
    uint8_t *r = x->reply;
    identity_public(g_sender_seed, ek_s, dk_s, s_pub);
    f->n = 0;
    size_t n = tl_hs_context(ctx, c->group_id, c->group_id_len, c->remote_fp, c->local_fp,
                             c->code_secret != NULL);
    tr_add(f, ctx, n);
    tr_add(f, x->hello, x->hello_len);
    memset(m, 0x3c, sizeof(m));
    memset(x_r, 0x5d, sizeof(x_r));
    r[0] = TL_HS_MSG_REPLY;
    r[1] = TL_HS_VERSION;
    assert_int_equal(tl_mlkem768_encaps_internal(r + REPLY_CT, ss_m, x->hello + HELLO_EK, m),
                     TL_OK);
    if (c->code_secret != NULL) {
        assert_int_equal(tl_hs_generator(gen, c->code_secret, c->code_secret_len, ctx, n), TL_OK);
        assert_int_equal(tl_x25519_shared(r + REPLY_X, x_r, gen), TL_OK);
        assert_int_equal(
            tl_hkdf_extract(psk, salt, sizeof(salt) - 1, c->code_secret, c->code_secret_len),
            TL_OK);
    } else {
        assert_int_equal(tl_x25519_public(r + REPLY_X, x_r), TL_OK);
    }
    assert_int_equal(tl_x25519_shared(ss_x, x_r, x->hello + HELLO_X), TL_OK);
    memcpy(r + REPLY_EK_S, ek_s, TL_MLKEM768_EK_LEN);
    memcpy(r + REPLY_S, s_pub, 32);
    assert_int_equal(tl_x25519_shared(ss_sx, s_priv, x->hello + HELLO_E), TL_OK);
    tr_add(f, r, REPLY_CONF);
    tr_hash(f, th1);
    assert_int_equal(tl_hs_derive_prk(f->prk1, th1, ss_m, ss_x, psk, ss_sx), TL_OK);
    assert_int_equal(tl_hs_confirm_keys(mk_r, f->mk_i, f->prk1), TL_OK);
    assert_int_equal(tl_hmac_sha256(r + REPLY_CONF, mk_r, 32, th1, 32), TL_OK);
    tr_add(f, r + REPLY_CONF, TL_HS_MAC_LEN);
    x->reply_len = TL_HS_REPLY_LEN;
}

/* CONFIRM for the initiator's FINISH, decapsulating c_S with dk. */
static void forge_confirm(struct run *x, struct forger *f, const uint8_t *dk)
{
    static const char label[] = "tallow-v2 confirm sender";
    uint8_t th2[32], th3[32], mac[32], ss_sm[32], prk2[32], mk_s[32];
    tr_add(f, x->finish, FINISH_CONF);
    tr_hash(f, th2);
    assert_int_equal(tl_hmac_sha256(mac, f->mk_i, 32, th2, 32), TL_OK);
    assert_memory_equal(mac, x->finish + FINISH_CONF, 32); /* the initiator is honest */
    tr_add(f, x->finish + FINISH_CONF, TL_HS_MAC_LEN);
    assert_int_equal(tl_mlkem768_decaps_internal(ss_sm, x->finish + FINISH_CS, dk), TL_OK);
    assert_int_equal(tl_hs_derive_prk2(prk2, th2, f->prk1, ss_sm), TL_OK);
    assert_int_equal(tl_hkdf_expand(mk_s, 32, prk2, 32, (const uint8_t *)label, sizeof(label) - 1),
                     TL_OK);
    x->confirm[0] = TL_HS_MSG_CONFIRM;
    x->confirm[1] = TL_HS_VERSION;
    tr_add(f, x->confirm, 2);
    tr_hash(f, th3);
    assert_int_equal(tl_hmac_sha256(x->confirm + CONFIRM_CONF, mk_s, 32, th3, 32), TL_OK);
    x->confirm_len = TL_HS_CONFIRM_LEN;
}

/* The initiator expects the real sender (all 256 bits) and knows the code;
 * the forger holds s_priv and dk. want_reply: the verdict on REPLY,
 * want_confirm: on CONFIRM (when REPLY passed). */
static void impostor(const uint8_t *s_priv, const uint8_t *dk, int want_reply, int want_confirm)
{
    static struct forger f;
    struct run x;
    uint8_t id[TL_HS_IDENTITY_LEN];
    run_config(&x, 1);
    expect_sender(&x, 256);
    assert_int_equal(tl_hs_new(&x.i.hs, &x.i.cfg), TL_OK);
    do_hello(&x);
    forge_reply(&x, &f, s_priv);
    assert_int_equal(do_finish(&x), want_reply);
    /* The identity check itself passed: these are the real public keys. */
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_OK);
    assert_memory_equal(id, g_sender_id, TL_HS_IDENTITY_LEN);
    if (want_reply != TL_OK) {
        assert_dead(x.i.hs);
        run_free(&x);
        return;
    }
    assert_not_done(x.i.hs);
    forge_confirm(&x, &f, dk);
    assert_int_equal(do_done(&x), want_confirm);
    if (want_confirm == TL_OK)
        assert_true(tl_hs_is_done(x.i.hs));
    else
        assert_dead(x.i.hs);
    run_free(&x);
}

static void test_impostor_public_keys(void **state)
{
    (void)state;
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk_sender[TL_MLKEM768_DK_LEN],
        dk_insider[TL_MLKEM768_DK_LEN];
    uint8_t s_pub[32];
    const uint8_t *s_sender = g_sender_seed + 64, *s_insider = g_insider_seed + 64;
    identity_public(g_insider_seed, ek, dk_insider, s_pub);
    identity_public(g_sender_seed, ek, dk_sender, s_pub);
    /* Control: both private keys, the forger is the sender. */
    impostor(s_sender, dk_sender, TL_OK, TL_OK);
    /* Public keys only (its own private keys): it cannot compute
     * ss_SX = X25519(s, E_I), so conf_R fails and no FINISH is sent. */
    impostor(s_insider, dk_insider, TL_ERR_AUTH, 0);
    /* The X25519 static key leaked but not the ML-KEM dk: REPLY passes,
     * but it cannot decapsulate c_S, so CONFIRM fails and the initiator
     * never becomes done (the post-quantum half of the identity holds). */
    impostor(s_sender, dk_insider, TL_OK, TL_ERR_AUTH);
}

static void test_tampered_confirm(void **state)
{
    (void)state;
    static const size_t offs[] = {CONFIRM_CONF, CONFIRM_CONF + 17, TL_HS_CONFIRM_LEN - 1};
    for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        struct run x;
        run_config(&x, 1);
        run_new(&x);
        do_hello(&x);
        assert_int_equal(do_reply(&x), TL_OK);
        assert_int_equal(do_finish(&x), TL_OK);
        assert_int_equal(do_confirm(&x), TL_OK);
        assert_true(tl_hs_is_done(x.r.hs));
        x.confirm[offs[k]] ^= 0x40;
        assert_int_equal(do_done(&x), TL_ERR_AUTH);
        assert_dead(x.i.hs);
        run_free(&x);
    }
}

static void test_tampered_identity_keys(void **state)
{
    (void)state;
    /* S or the public seed rho of ek_S changed in flight: another identity
     * whose keys nobody holds; without an expectation conf_R fails, with
     * one the identity check refuses first. */
    static const size_t offs[] = {REPLY_S, REPLY_S + 31, REPLY_EK_S + 1152 + 5};
    for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        for (unsigned bits = 0; bits <= 256; bits += 256) {
            struct run x;
            run_config(&x, 0);
            if (bits)
                expect_sender(&x, bits);
            run_new(&x);
            do_hello(&x);
            assert_int_equal(do_reply(&x), TL_OK);
            x.reply[offs[k]] ^= 0x02;
            assert_int_equal(do_finish(&x), bits ? TL_ERR_IDENTITY : TL_ERR_AUTH);
            assert_dead(x.i.hs);
            run_free(&x);
        }
    }
}

static void test_identity_api(void **state)
{
    (void)state;
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN];
    static const char label[] = "tallow-v2 sender identity";
    static uint8_t buf[sizeof(label) - 1 + TL_MLKEM768_EK_LEN + 32];
    uint8_t seed[TL_HS_IDENTITY_SEED_LEN], id[TL_HS_IDENTITY_LEN], id2[TL_HS_IDENTITY_LEN],
        s_pub[32];
    tl_hs_identity *a = NULL, *b = NULL;
    /* The same seed gives the same identity; the seed round-trips. */
    assert_int_equal(tl_hs_identity_new(&a, g_sender_seed), TL_OK);
    tl_hs_identity_id(a, id);
    assert_memory_equal(id, g_sender_id, TL_HS_IDENTITY_LEN);
    tl_hs_identity_seed(a, seed);
    assert_memory_equal(seed, g_sender_seed, sizeof(seed));
    tl_hs_identity_free(a);
    /* id = SHA-256("tallow-v2 sender identity" || ek_S || S). */
    identity_public(g_sender_seed, ek, dk, s_pub);
    memcpy(buf, label, sizeof(label) - 1);
    memcpy(buf + sizeof(label) - 1, ek, TL_MLKEM768_EK_LEN);
    memcpy(buf + sizeof(label) - 1 + TL_MLKEM768_EK_LEN, s_pub, 32);
    assert_int_equal(tl_sha256(id, buf, sizeof(buf)), TL_OK);
    assert_memory_equal(id, g_sender_id, TL_HS_IDENTITY_LEN);
    assert_int_equal(tl_hs_identity_hash(id2, ek, s_pub), TL_OK);
    assert_memory_equal(id2, g_sender_id, TL_HS_IDENTITY_LEN);
    /* A fresh identity: random, and recreated from its seed. */
    assert_int_equal(tl_hs_identity_new(&a, NULL), TL_OK);
    tl_hs_identity_seed(a, seed);
    assert_int_equal(tl_hs_identity_new(&b, seed), TL_OK);
    tl_hs_identity_id(a, id);
    tl_hs_identity_id(b, id2);
    assert_memory_equal(id, id2, TL_HS_IDENTITY_LEN);
    assert_memory_not_equal(id, g_sender_id, TL_HS_IDENTITY_LEN);
    tl_wipe(seed, sizeof(seed));
    tl_hs_identity_free(a);
    tl_hs_identity_free(b);
    tl_hs_identity_free(NULL);
    /* REPLY carries exactly the identity's public keys, and the initiator
     * reports their hash. */
    struct run x;
    run_config(&x, 0);
    run_new(&x);
    do_all(&x);
    assert_memory_equal(x.reply + REPLY_EK_S, ek, TL_MLKEM768_EK_LEN);
    assert_memory_equal(x.reply + REPLY_S, s_pub, 32);
    assert_int_equal(tl_hs_peer_identity(x.i.hs, id), TL_OK);
    tl_hs_identity_id(g_sender, id2);
    assert_memory_equal(id, id2, TL_HS_IDENTITY_LEN);
    run_free(&x);
}

/* ---- replays, tampering, malformed input ------------------------------ */

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
    assert_int_equal(n, 0);
    assert_dead(x.r.hs);
    run_free(&x);
    /* REPLY twice (after the initiator sent FINISH). */
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
    assert_int_equal(do_confirm(&x), TL_OK);
    assert_int_equal(do_confirm(&x), TL_ERR_STATE);
    assert_dead(x.r.hs);
    run_free(&x);
    /* CONFIRM twice; CONFIRM reflected to the responder that sent it. */
    run_config(&x, 0);
    run_new(&x);
    do_all(&x);
    assert_int_equal(do_done(&x), TL_ERR_STATE);
    assert_dead(x.i.hs);
    assert_int_equal(tl_hs_recv(x.r.hs, x.confirm, x.confirm_len, buf, sizeof(buf), &n),
                     TL_ERR_STATE);
    assert_dead(x.r.hs);
    run_free(&x);
    /* CONFIRM early: to an initiator still waiting for REPLY, and to a
     * responder waiting for FINISH (a well-formed CONFIRM of another run). */
    struct run other;
    run_config(&other, 0);
    run_new(&other);
    do_all(&other);
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(tl_hs_recv(x.i.hs, other.confirm, other.confirm_len, buf, sizeof(buf), &n),
                     TL_ERR_STATE);
    assert_dead(x.i.hs);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(tl_hs_recv(x.r.hs, other.confirm, other.confirm_len, buf, sizeof(buf), &n),
                     TL_ERR_STATE);
    assert_dead(x.r.hs);
    run_free(&x);
    run_free(&other);
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
    assert_dead(x.i.hs);
    run_free(&x);
    /* The initiator's FINISH reflected to it; start on a responder. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(do_finish(&x), TL_OK);
    assert_int_equal(tl_hs_recv(x.i.hs, x.finish, x.finish_len, buf, sizeof(buf), &n),
                     TL_ERR_STATE);
    assert_dead(x.i.hs);
    run_free(&x);
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
    assert_int_equal(do_confirm(&b), TL_ERR_AUTH);
    assert_dead(b.r.hs);
    run_free(&a);
    run_free(&b);
    /* A CONFIRM recorded from session a (same sender identity), given to
     * b's initiator. */
    run_config(&a, 1);
    run_config(&b, 1);
    run_new(&a);
    run_new(&b);
    do_all(&a);
    do_hello(&b);
    assert_int_equal(do_reply(&b), TL_OK);
    assert_int_equal(do_finish(&b), TL_OK);
    assert_int_equal(do_confirm(&b), TL_OK);
    memcpy(b.confirm, a.confirm, a.confirm_len);
    assert_int_equal(do_done(&b), TL_ERR_AUTH);
    assert_dead(b.i.hs);
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
    assert_int_equal(do_confirm(&c), TL_ERR_AUTH);
    assert_dead(c.r.hs);
    run_free(&a);
    run_free(&c);
}

static void test_tampered_finish(void **state)
{
    (void)state;
    /* The SAS nonce (commitment), the ciphertext to the identity key (bound
     * by conf_I) and the MAC. */
    static const size_t offs[] = {FINISH_NONCE,    FINISH_NONCE + 31,   FINISH_CS,
                                  FINISH_CS + 600, FINISH_CONF - 1,     FINISH_CONF,
                                  FINISH_CONF + 9, TL_HS_FINISH_LEN - 1};
    for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
        struct run x;
        run_config(&x, 0);
        run_new(&x);
        do_hello(&x);
        assert_int_equal(do_reply(&x), TL_OK);
        assert_int_equal(do_finish(&x), TL_OK);
        x.finish[offs[k]] ^= 4;
        assert_int_equal(do_confirm(&x), TL_ERR_AUTH);
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
        {TL_HS_REPLY_LEN + 1, TL_HS_MSG_REPLY, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_FINISH_LEN - 1, TL_HS_MSG_FINISH, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_FINISH_LEN + 1, TL_HS_MSG_FINISH, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_CONFIRM_LEN - 1, TL_HS_MSG_CONFIRM, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_CONFIRM_LEN + 1, TL_HS_MSG_CONFIRM, TL_HS_VERSION, TL_ERR_PARSE},
        {2, TL_HS_MSG_CONFIRM, TL_HS_VERSION, TL_ERR_PARSE},
        /* Version 1's lengths with version 2: truncated v2 messages. */
        {1250, TL_HS_MSG_HELLO, TL_HS_VERSION, TL_ERR_PARSE},
        {1154, TL_HS_MSG_REPLY, TL_HS_VERSION, TL_ERR_PARSE},
        {66, TL_HS_MSG_FINISH, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_REPLY_LEN, 0, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_CONFIRM_LEN, 5, TL_HS_VERSION, TL_ERR_PARSE},
        {TL_HS_REPLY_LEN, TL_HS_MSG_CONFIRM, TL_HS_VERSION, TL_ERR_PARSE},
        /* A version-1 peer, and a newer one. */
        {1250, TL_HS_MSG_HELLO, 1, TL_ERR_UNSUPPORTED},
        {1154, TL_HS_MSG_REPLY, 1, TL_ERR_UNSUPPORTED},
        {66, TL_HS_MSG_FINISH, 1, TL_ERR_UNSUPPORTED},
        {TL_HS_HELLO_LEN, TL_HS_MSG_HELLO, 3, TL_ERR_UNSUPPORTED},
        {TL_HS_REPLY_LEN, TL_HS_MSG_REPLY, 0, TL_ERR_UNSUPPORTED},
        {TL_HS_CONFIRM_LEN, TL_HS_MSG_CONFIRM, 3, TL_ERR_UNSUPPORTED},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        /* 0: initiator waiting for REPLY, 1: responder waiting for HELLO,
         * 2: responder waiting for FINISH, 3: initiator waiting for CONFIRM. */
        for (int target = 0; target < 4; target++) {
            run_config(&x, 0);
            run_new(&x);
            do_hello(&x);
            tl_hs *hs = x.i.hs;
            if (target == 1) {
                hs = x.r.hs;
            } else if (target == 2) {
                assert_int_equal(do_reply(&x), TL_OK);
                hs = x.r.hs;
            } else if (target == 3) {
                assert_int_equal(do_reply(&x), TL_OK);
                assert_int_equal(do_finish(&x), TL_OK);
            }
            memcpy(buf, garbage, sizeof(buf));
            if (cases[c].type >= 0)
                buf[0] = (uint8_t)cases[c].type;
            if (cases[c].version >= 0)
                buf[1] = (uint8_t)cases[c].version;
            n = 99;
            int rc = tl_hs_recv(hs, cases[c].len ? buf : NULL, cases[c].len, buf, sizeof(buf), &n);
            assert_int_equal(rc, cases[c].want);
            assert_int_equal(n, 0);
            assert_dead(hs);
            run_free(&x);
        }
    }
    /* Well-formed but garbage contents fail confirmation: a REPLY (with
     * valid identity keys, else the ek check refuses it first), a FINISH
     * and a CONFIRM of garbage. An output buffer that is too small is
     * refused. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    memcpy(buf, garbage, sizeof(buf));
    buf[0] = TL_HS_MSG_REPLY;
    buf[1] = TL_HS_VERSION;
    memcpy(buf + REPLY_EK_S, x.reply + REPLY_EK_S, TL_MLKEM768_EK_LEN + 32);
    assert_int_equal(tl_hs_recv(x.i.hs, buf, TL_HS_REPLY_LEN, buf, sizeof(buf), &n), TL_ERR_AUTH);
    assert_dead(x.i.hs);
    garbage[0] = TL_HS_MSG_FINISH;
    garbage[1] = TL_HS_VERSION;
    assert_int_equal(tl_hs_recv(x.r.hs, garbage, TL_HS_FINISH_LEN, buf, sizeof(buf), &n),
                     TL_ERR_AUTH);
    assert_dead(x.r.hs);
    run_free(&x);
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    assert_int_equal(do_finish(&x), TL_OK);
    garbage[0] = TL_HS_MSG_CONFIRM;
    assert_int_equal(tl_hs_recv(x.i.hs, garbage, TL_HS_CONFIRM_LEN, buf, sizeof(buf), &n),
                     TL_ERR_AUTH);
    assert_dead(x.i.hs);
    /* The responder, answered FINISH with a buffer too small. */
    assert_int_equal(tl_hs_recv(x.r.hs, x.finish, x.finish_len, buf, 100, &n), TL_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_dead(x.r.hs);
    run_free(&x);
    run_config(&x, 0);
    run_new(&x);
    assert_int_equal(tl_hs_start(x.i.hs, buf, 100, &n), TL_ERR_INVALID_ARG);
    assert_dead(x.i.hs);
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
    assert_dead(x.r.hs);
    run_free(&x);
    /* ... the same for the ephemeral E_I of the static DH ... */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    memset(x.hello + HELLO_E, 0, 32);
    assert_int_equal(do_reply(&x), TL_ERR_INVALID_ARG);
    assert_dead(x.r.hs);
    run_free(&x);
    /* ... and from the responder's side: its share, its static key. */
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    memset(x.reply + REPLY_X, 0, 32);
    x.reply[REPLY_X] = 1; /* u = 1, order 1 */
    assert_int_equal(do_finish(&x), TL_ERR_INVALID_ARG);
    assert_dead(x.i.hs);
    run_free(&x);
    run_config(&x, 0);
    run_new(&x);
    do_hello(&x);
    assert_int_equal(do_reply(&x), TL_OK);
    memset(x.reply + REPLY_S, 0, 32);
    assert_int_equal(do_finish(&x), TL_ERR_INVALID_ARG);
    assert_dead(x.i.hs);
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
    /* The same in the identity's ek_S: refused before any ciphertext is
     * made for it; with an expectation, the identity check comes first. */
    for (unsigned bits = 0; bits <= 256; bits += 256) {
        struct tape t;
        memset(&t, 0, sizeof(t));
        run_config(&x, 0);
        if (bits)
            expect_sender(&x, bits);
        x.i.cfg.rng = tape_rng;
        x.i.cfg.rng_ctx = &t;
        run_new(&x);
        do_hello(&x);
        assert_int_equal(do_reply(&x), TL_OK);
        x.reply[REPLY_EK_S] = 0xff;
        x.reply[REPLY_EK_S + 1] |= 0x0f;
        assert_int_equal(do_finish(&x), bits ? TL_ERR_IDENTITY : TL_ERR_INVALID_ARG);
        assert_int_equal(t.len, TAPE_HELLO_LEN);
        assert_dead(x.i.hs);
        run_free(&x);
    }
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
    assert_null(hs);
    /* A responder needs an identity. */
    run_config(&x, 0);
    x.r.cfg.identity = NULL;
    assert_int_equal(tl_hs_new(&hs, &x.r.cfg), TL_ERR_INVALID_ARG);
    assert_null(hs);
    /* expect_identity_bits must be 1..256 when an identity is expected. */
    run_config(&x, 0);
    expect_sender(&x, 0);
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    assert_null(hs);
    expect_sender(&x, 257);
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_ERR_INVALID_ARG);
    assert_null(hs);
    expect_sender(&x, 1);
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_OK);
    tl_hs_free(hs);
    expect_sender(&x, 256);
    assert_int_equal(tl_hs_new(&hs, &x.i.cfg), TL_OK);
    tl_hs_free(hs);
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
    uint8_t finish[2][TL_HS_FINISH_LEN], confirm[2][TL_HS_CONFIRM_LEN];
    for (int k = 0; k < 2; k++) {
        struct run x;
        uint8_t ci = 0, cr = 100;
        run_config(&x, 1);
        x.i.cfg.rng = counter_rng;
        x.i.cfg.rng_ctx = &ci;
        x.r.cfg.rng = counter_rng;
        x.r.cfg.rng_ctx = &cr;
        run_new(&x);
        do_all(&x);
        assert_agree(&x);
        assert_int_equal(ci, (uint8_t)TAPE_FINISH_LEN); /* d, z, n_I, x_I, e_I, m */
        assert_int_equal(cr, (uint8_t)(100 + 64));      /* m, x_R */
        assert_int_equal(tl_hs_sas(x.i.hs, sas[k]), TL_OK);
        memcpy(finish[k], x.finish, TL_HS_FINISH_LEN);
        memcpy(confirm[k], x.confirm, TL_HS_CONFIRM_LEN);
        run_free(&x);
    }
    assert_string_equal(sas[0], sas[1]);
    assert_memory_equal(finish[0], finish[1], TL_HS_FINISH_LEN);
    assert_memory_equal(confirm[0], confirm[1], TL_HS_CONFIRM_LEN);
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
        cmocka_unit_test(test_swapped_confirmations),
        cmocka_unit_test(test_swapped_fingerprint),
        cmocka_unit_test(test_wrong_code),
        cmocka_unit_test(test_no_offline_guess),
        cmocka_unit_test(test_wrong_group),
        cmocka_unit_test(test_insider_identity),
        cmocka_unit_test(test_impostor_public_keys),
        cmocka_unit_test(test_tampered_identity_keys),
        cmocka_unit_test(test_identity_api),
        cmocka_unit_test(test_replay_same_session),
        cmocka_unit_test(test_replay_other_session),
        cmocka_unit_test(test_tampered_finish),
        cmocka_unit_test(test_tampered_confirm),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_config_checks),
        cmocka_unit_test(test_deterministic_rng),
        cmocka_unit_test(test_sas_format),
    };
    return cmocka_run_group_tests(tests, identities_setup, identities_teardown);
}
