/* libFuzzer target: arbitrary bytes as each handshake message, in both
 * roles and every state (include/tallow/handshake.h, protocol version 2).
 *
 * Input: byte 0 selects the scenario, the rest is the message.
 *   sel % 5 == 0: a fresh responder receives it (as HELLO)
 *             1: an initiator that sent HELLO receives it (as REPLY)
 *             2: a responder that answered an honest HELLO receives it (as
 *                FINISH)
 *             3: an initiator that sent an honest FINISH receives it (as
 *                CONFIRM)
 *             4: the honest message for that step (HELLO, REPLY, FINISH or
 *                CONFIRM by (sel / 5) % 4) with the input written over it
 *                at offset byte 1, so deep paths with valid type and length
 *                are hit.
 * sel & 0x80: the initiator expects the sender's identity hash on its first
 * 60 bits (else any identity), so the TL_ERR_IDENTITY path is reached too.
 * Both sides use a deterministic generator and a fixed sender identity, so
 * every run is reproducible and fuzz/corpus/fuzz_handshake/ holds the real
 * messages of that run.
 * Invariants: no crash; after an error the handshake is dead (not done, no
 * keys, every call TL_ERR_STATE); the honest message is accepted; when the
 * initiator accepts a CONFIRM, both sides hold the same traffic keys. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tallow/handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int counter_rng(void *ctx, uint8_t *buf, size_t len)
{
    uint8_t *c = ctx;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(c[0]++ * 29 + c[1]);
    return 0;
}

/* The sender identity: made once from a fixed seed and kept for the whole
 * process (it is reachable, so not a leak). */
static const tl_hs_identity *sender_identity(uint8_t id_hash[TL_HS_IDENTITY_LEN])
{
    static tl_hs_identity *ident;
    static uint8_t hash[TL_HS_IDENTITY_LEN];
    if (ident == NULL) {
        uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
        for (size_t i = 0; i < sizeof(seed); i++)
            seed[i] = (uint8_t)(i * 13 + 7);
        if (tl_hs_identity_new(&ident, seed) != TL_OK)
            abort();
        tl_hs_identity_id(ident, hash);
    }
    memcpy(id_hash, hash, sizeof(hash));
    return ident;
}

static void config(tl_hs_config *c, tl_hs_role role, uint8_t *rng_state)
{
    static const uint8_t gid[] = "fuzz-group";
    memset(c, 0, sizeof(*c));
    c->role = role;
    c->group_id = gid;
    c->group_id_len = sizeof(gid) - 1;
    memset(role == TL_HS_INITIATOR ? c->local_fp : c->remote_fp, 0x11, 32);
    memset(role == TL_HS_INITIATOR ? c->remote_fp : c->local_fp, 0x22, 32);
    c->rng = counter_rng;
    c->rng_ctx = rng_state;
}

static void check_dead(tl_hs *hs)
{
    uint8_t buf[TL_HS_MAX_MSG_LEN];
    size_t n;
    tl_session_keys k;
    if (tl_hs_is_done(hs) || tl_hs_session_keys(hs, &k) != TL_ERR_STATE ||
        tl_hs_recv(hs, buf, 2, buf, sizeof(buf), &n) != TL_ERR_STATE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *msg = data + 1;
    size_t len = size - 1;
    uint8_t si[2] = {0, 1}, sr[2] = {0, 2}, expect[TL_HS_IDENTITY_LEN];
    tl_hs_config ci, cr;
    config(&ci, TL_HS_INITIATOR, si);
    config(&cr, TL_HS_RESPONDER, sr);
    cr.identity = sender_identity(expect);
    if (sel & 0x80) {
        ci.expect_identity = expect;
        ci.expect_identity_bits = 60;
    }
    tl_hs *i = NULL, *r = NULL;
    if (tl_hs_new(&i, &ci) != TL_OK || tl_hs_new(&r, &cr) != TL_OK)
        abort();
    static uint8_t hello[TL_HS_MAX_MSG_LEN], reply[TL_HS_MAX_MSG_LEN], fin[TL_HS_MAX_MSG_LEN],
        conf[TL_HS_MAX_MSG_LEN], out[TL_HS_MAX_MSG_LEN], spliced[TL_HS_MAX_MSG_LEN];
    size_t lh = 0, lr = 0, lf = 0, lc = 0, lo = 0;
    const uint8_t *in = msg;
    size_t in_len = len;
    int mode = (sel & 0x7f) % 5;
    int step = mode == 4 ? ((sel & 0x7f) / 5) % 4 : mode;
    /* Drive the honest exchange up to the step under test. */
    if (tl_hs_start(i, hello, sizeof(hello), &lh) != TL_OK)
        abort();
    if (step >= 1 && tl_hs_recv(r, hello, lh, reply, sizeof(reply), &lr) != TL_OK)
        abort();
    if (step >= 2 && (mode == 4 || step == 3) &&
        tl_hs_recv(i, reply, lr, fin, sizeof(fin), &lf) != TL_OK)
        abort();
    if (step >= 3 && tl_hs_recv(r, fin, lf, conf, sizeof(conf), &lc) != TL_OK)
        abort();
    tl_hs *target = step == 1 || step == 3 ? i : r;
    const uint8_t *honest = step == 0 ? hello : step == 1 ? reply : step == 2 ? fin : conf;
    size_t honest_len = step == 0 ? lh : step == 1 ? lr : step == 2 ? lf : lc;
    if (mode == 4) {
        memcpy(spliced, honest, honest_len);
        if (len >= 1) {
            size_t off = msg[0] % honest_len;
            size_t n = len - 1 < honest_len - off ? len - 1 : honest_len - off;
            memcpy(spliced + off, msg + 1, n);
        }
        in = spliced;
        in_len = honest_len;
    }
    int rc = tl_hs_recv(target, in, in_len, out, sizeof(out), &lo);
    if (mode == 4 && rc != TL_OK && memcmp(in, honest, in_len) == 0)
        abort(); /* the honest message itself must be accepted */
    if (rc != TL_OK) {
        if (lo != 0)
            abort();
        check_dead(target);
    } else if (lo > TL_HS_MAX_MSG_LEN) {
        abort();
    } else if (step == 3) {
        /* A CONFIRM was accepted: both sides must hold the same keys. */
        tl_session_keys ki, kr;
        if (!tl_hs_is_done(i) || lo != 0 || tl_hs_session_keys(i, &ki) != TL_OK ||
            tl_hs_session_keys(r, &kr) != TL_OK || memcmp(ki.send, kr.recv, 32) != 0 ||
            memcmp(ki.recv, kr.send, 32) != 0)
            abort();
        tl_session_keys_wipe(&ki);
        tl_session_keys_wipe(&kr);
    }
    tl_hs_free(i);
    tl_hs_free(r);
    return 0;
}
