/* Prints handshake transcripts for the browser-side re-implementation check
 * (tests/crypto/browser/hybrid_webcrypto.mjs).
 *
 *   hs_transcript [COUNT]
 *
 * Runs COUNT honest handshakes (half with a join code) with fresh
 * randomness from getrandom(), recording every random byte each side drew
 * and the responder's sender-identity seed, then seals two chunks with the
 * initiator's send key (the second after a time rotation, so epoch 1). One
 * JSON object per line, byte strings in hex: the inputs (group id,
 * fingerprints, code, identity seed, both sides' random bytes), all four
 * messages, the identity hash the initiator saw, the traffic keys, the SAS
 * and the frames. The script recomputes everything from the inputs with
 * only @noble/post-quantum and WebCrypto and must get the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hs_tape.h"
#include "tallow/chunk.h"
#include "tallow/crypto.h"
#include "tallow/handshake.h"

static void hex(const char *name, const uint8_t *p, size_t n, int last)
{
    printf("\"%s\":\"", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\"%s", last ? "}\n" : ",");
}

static int one(int with_code)
{
    uint8_t gid[17], fp_i[32], fp_r[32], code[32], tid[TL_TRANSFER_ID_LEN];
    uint8_t id_seed[TL_HS_IDENTITY_SEED_LEN], id_hash[TL_HS_IDENTITY_LEN];
    if (tl_random(gid, sizeof(gid)) || tl_random(fp_i, 32) || tl_random(fp_r, 32) ||
        tl_random(code, sizeof(code)) || tl_random(tid, sizeof(tid)) ||
        tl_random(id_seed, sizeof(id_seed)))
        return 1;
    tl_hs_identity *ident = NULL;
    if (tl_hs_identity_new(&ident, id_seed))
        return 1;
    struct tape ti = {0}, tr = {0};
    tl_hs_config ci = {.role = TL_HS_INITIATOR, .group_id = gid, .group_id_len = sizeof(gid)};
    ci.rng = tape_rng;
    ci.rng_ctx = &ti;
    memcpy(ci.local_fp, fp_i, 32);
    memcpy(ci.remote_fp, fp_r, 32);
    if (with_code) {
        ci.code_secret = code;
        ci.code_secret_len = sizeof(code);
    }
    tl_hs_config cr = ci;
    cr.role = TL_HS_RESPONDER;
    cr.rng_ctx = &tr;
    cr.identity = ident;
    memcpy(cr.local_fp, fp_r, 32);
    memcpy(cr.remote_fp, fp_i, 32);
    tl_hs *i = NULL, *r = NULL;
    static uint8_t hello[TL_HS_MAX_MSG_LEN], reply[TL_HS_MAX_MSG_LEN], fin[TL_HS_MAX_MSG_LEN],
        conf[TL_HS_MAX_MSG_LEN], none[TL_HS_MAX_MSG_LEN];
    size_t lh, lr, lf, lc, ln;
    tl_session_keys ki;
    char sas[TL_HS_SAS_LEN];
    if (tl_hs_new(&i, &ci) || tl_hs_new(&r, &cr) || tl_hs_start(i, hello, sizeof(hello), &lh) ||
        tl_hs_recv(r, hello, lh, reply, sizeof(reply), &lr) ||
        tl_hs_recv(i, reply, lr, fin, sizeof(fin), &lf) ||
        tl_hs_recv(r, fin, lf, conf, sizeof(conf), &lc) ||
        tl_hs_recv(i, conf, lc, none, sizeof(none), &ln) || ln != 0 || !tl_hs_is_done(i) ||
        !tl_hs_is_done(r) || tl_hs_peer_identity(i, id_hash) || tl_hs_session_keys(i, &ki) ||
        tl_hs_sas(i, sas))
        return 1;
    /* Two frames from the initiator: epoch 0, then epoch 1 after 5 minutes. */
    static const uint8_t plain[] = "file bytes sealed by libtallow";
    uint8_t f0[sizeof(plain) + TL_CHUNK_OVERHEAD], f1[sizeof(plain) + TL_CHUNK_OVERHEAD];
    size_t l0, l1;
    tl_chunk_sealer *s = NULL;
    if (tl_chunk_sealer_new(&s, ki.send, tid, 0) ||
        tl_chunk_seal(s, 1, 0, 0, plain, sizeof(plain), f0, &l0) ||
        tl_chunk_seal(s, TL_CHUNK_ROTATE_MS, 1, 1, plain, sizeof(plain), f1, &l1))
        return 1;
    printf("{");
    hex("group_id", gid, sizeof(gid), 0);
    hex("fp_i", fp_i, 32, 0);
    hex("fp_r", fp_r, 32, 0);
    hex("code", code, with_code ? sizeof(code) : 0, 0);
    hex("identity_seed", id_seed, sizeof(id_seed), 0);
    hex("rng_i", ti.bytes, ti.len, 0);
    hex("rng_r", tr.bytes, tr.len, 0);
    hex("hello", hello, lh, 0);
    hex("reply", reply, lr, 0);
    hex("finish", fin, lf, 0);
    hex("confirm", conf, lc, 0);
    hex("identity", id_hash, sizeof(id_hash), 0);
    hex("k_i2r", ki.send, 32, 0);
    hex("k_r2i", ki.recv, 32, 0);
    hex("sas", (const uint8_t *)sas, 7, 0);
    hex("transfer_id", tid, sizeof(tid), 0);
    hex("plain", plain, sizeof(plain), 0);
    hex("frame0", f0, l0, 0);
    hex("frame1", f1, l1, 1);
    tl_chunk_sealer_free(s);
    tl_session_keys_wipe(&ki);
    tl_hs_free(i);
    tl_hs_free(r);
    tl_hs_identity_free(ident);
    tl_wipe(id_seed, sizeof(id_seed));
    return 0;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 20;
    for (int k = 0; k < count; k++)
        if (one(k & 1) != 0) {
            fprintf(stderr, "hs_transcript: handshake %d failed\n", k);
            return 1;
        }
    return 0;
}
