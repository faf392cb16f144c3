/* Hybrid ML-KEM-768 + X25519 handshake, sans-I/O (include/tallow/handshake.h,
 * docs/CRYPTO.md §2–§4). */
#include <stdlib.h>
#include <string.h>

#include "crypto/h2c25519.h"
#include "crypto/handshake_internal.h"
#include "tallow/crypto.h"
#include "tallow/handshake.h"
#include "tallow/mlkem.h"

enum {
    ST_NEW,         /* initiator: before start; responder: waiting for HELLO */
    ST_HELLO_SENT,  /* initiator: waiting for REPLY */
    ST_REPLY_SENT,  /* responder: waiting for FINISH */
    ST_FINISH_SENT, /* initiator: waiting for CONFIRM */
    ST_DONE,        /* keys confirmed */
    ST_DEAD,        /* an error happened; everything wiped */
};

struct tl_hs {
    tl_hs_role role;
    int state;
    int (*rng)(void *rng_ctx, uint8_t *buf, size_t len);
    void *rng_ctx;
    tl_sha256_ctx *th; /* running transcript hash */
    uint8_t psk[32];   /* H(join-code secret) or zeros */
    int has_code;
    uint8_t gen[32]; /* join code: the PAKE generator G (secret), until used */
    /* Initiator, between HELLO and REPLY. */
    uint8_t dk[TL_MLKEM768_DK_LEN];
    tl_x25519_key *x_key; /* X25519 private key (inside OpenSSL) */
    tl_x25519_key *e_key; /* ephemeral for the static DH (base point 9) */
    uint8_t sas_nonce[TL_HS_NONCE_LEN];
    uint8_t expect_id[TL_HS_IDENTITY_LEN];
    unsigned expect_bits; /* 0: any identity */
    uint8_t peer_id[TL_HS_IDENTITY_LEN];
    int have_peer_id;
    /* Responder: the static identity (borrowed). */
    const tl_hs_identity *identity;
    /* Responder, between REPLY and FINISH. */
    uint8_t sas_commit[TL_SHA256_LEN];
    uint8_t prk[TL_SHA256_LEN];     /* first stage; then the final PRK */
    uint8_t mk_init[TL_SHA256_LEN]; /* initiator confirmation key */
    /* Initiator, between FINISH and CONFIRM. */
    uint8_t mk_sender[TL_SHA256_LEN]; /* sender identity confirmation key */
    /* Results. */
    tl_session_keys keys;
    char sas[TL_HS_SAS_LEN];
};

static const char k_label[] = TL_HS_LABEL;

/* ---- helpers ---------------------------------------------------------- */

static int hs_random(tl_hs *hs, uint8_t *buf, size_t len)
{
    if (hs->rng != NULL)
        return hs->rng(hs->rng_ctx, buf, len) == 0 ? TL_OK : TL_ERR_IO;
    return tl_random(buf, len);
}

/* Wipes every secret in the object (not the transcript hash, which is
 * public data). */
static void hs_wipe_secrets(tl_hs *hs)
{
    tl_wipe(hs->psk, sizeof(hs->psk));
    tl_wipe(hs->gen, sizeof(hs->gen));
    tl_wipe(hs->dk, sizeof(hs->dk));
    tl_x25519_key_free(hs->x_key);
    hs->x_key = NULL;
    tl_x25519_key_free(hs->e_key);
    hs->e_key = NULL;
    tl_wipe(hs->sas_nonce, sizeof(hs->sas_nonce));
    tl_wipe(hs->prk, sizeof(hs->prk));
    tl_wipe(hs->mk_init, sizeof(hs->mk_init));
    tl_wipe(hs->mk_sender, sizeof(hs->mk_sender));
}

/* Kills the handshake: wipes everything secret, including results. */
static int hs_fail(tl_hs *hs, int rc)
{
    hs_wipe_secrets(hs);
    tl_session_keys_wipe(&hs->keys);
    tl_wipe(hs->sas, sizeof(hs->sas));
    hs->state = ST_DEAD;
    return rc;
}

/* HKDF-Expand(prk, label || ctx, len). */
static int expand_label(uint8_t *out, size_t len, const uint8_t prk[32], const char *label,
                        const uint8_t *ctx, size_t ctx_len)
{
    uint8_t info[64 + TL_SHA256_LEN];
    size_t n = strlen(label);
    if (n + ctx_len > sizeof(info))
        return TL_ERR_INTERNAL;
    memcpy(info, label, n);
    if (ctx_len > 0)
        memcpy(info + n, ctx, ctx_len);
    return tl_hkdf_expand(out, len, prk, 32, info, n + ctx_len);
}

int tl_hs_derive_prk(uint8_t prk[32], const uint8_t th1[32], const uint8_t ss_mlkem[32],
                     const uint8_t ss_x25519[32], const uint8_t psk[32],
                     const uint8_t ss_static_x25519[32])
{
    uint8_t ikm[128];
    memcpy(ikm, ss_mlkem, 32);
    memcpy(ikm + 32, ss_x25519, 32);
    memcpy(ikm + 64, psk, 32);
    memcpy(ikm + 96, ss_static_x25519, 32);
    int rc = tl_hkdf_extract(prk, th1, 32, ikm, sizeof(ikm));
    tl_wipe(ikm, sizeof(ikm));
    return rc;
}

int tl_hs_derive_prk2(uint8_t prk2[32], const uint8_t th2[32], const uint8_t prk1[32],
                      const uint8_t ss_static_mlkem[32])
{
    uint8_t ikm[64];
    memcpy(ikm, prk1, 32);
    memcpy(ikm + 32, ss_static_mlkem, 32);
    int rc = tl_hkdf_extract(prk2, th2, 32, ikm, sizeof(ikm));
    tl_wipe(ikm, sizeof(ikm));
    return rc;
}

int tl_hs_identity_hash(uint8_t id[32], const uint8_t ek[TL_MLKEM768_EK_LEN],
                        const uint8_t x_pub[32])
{
    static const char label[] = TL_HS_ID_LABEL;
    uint8_t buf[sizeof(label) - 1 + TL_MLKEM768_EK_LEN + 32];
    memcpy(buf, label, sizeof(label) - 1);
    memcpy(buf + sizeof(label) - 1, ek, TL_MLKEM768_EK_LEN);
    memcpy(buf + sizeof(label) - 1 + TL_MLKEM768_EK_LEN, x_pub, 32);
    return tl_sha256(id, buf, sizeof(buf));
}

/* ---- sender identity -------------------------------------------------- */

struct tl_hs_identity {
    uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
    uint8_t ek[TL_MLKEM768_EK_LEN];
    uint8_t dk[TL_MLKEM768_DK_LEN];
    tl_x25519_key *x;
    uint8_t x_pub[TL_X25519_LEN];
    uint8_t id[TL_HS_IDENTITY_LEN];
};

void tl_hs_identity_free(tl_hs_identity *id)
{
    if (id == NULL)
        return;
    tl_x25519_key_free(id->x);
    tl_wipe(id, sizeof(*id));
    free(id);
}

int tl_hs_identity_new(tl_hs_identity **out, const uint8_t *seed)
{
    *out = NULL;
    tl_hs_identity *id = calloc(1, sizeof(*id));
    if (id == NULL)
        return TL_ERR_NOMEM;
    int rc = TL_OK;
    if (seed != NULL)
        memcpy(id->seed, seed, sizeof(id->seed));
    else
        rc = tl_random(id->seed, sizeof(id->seed));
    if (rc == TL_OK)
        rc = tl_mlkem768_keygen_internal(id->ek, id->dk, id->seed, id->seed + TL_MLKEM768_SEED_LEN);
    if (rc == TL_OK)
        rc = tl_x25519_key_new(&id->x, id->seed + 2 * TL_MLKEM768_SEED_LEN);
    if (rc == TL_OK)
        rc = tl_x25519_key_public(id->x, id->x_pub);
    if (rc == TL_OK)
        rc = tl_hs_identity_hash(id->id, id->ek, id->x_pub);
    if (rc != TL_OK) {
        tl_hs_identity_free(id);
        return rc;
    }
    *out = id;
    return TL_OK;
}

void tl_hs_identity_seed(const tl_hs_identity *id, uint8_t out[TL_HS_IDENTITY_SEED_LEN])
{
    memcpy(out, id->seed, TL_HS_IDENTITY_SEED_LEN);
}

void tl_hs_identity_id(const tl_hs_identity *id, uint8_t out[TL_HS_IDENTITY_LEN])
{
    memcpy(out, id->id, TL_HS_IDENTITY_LEN);
}

/* 1 when the first bits of a and b are equal. Public values (identity
 * hashes), but compared without an early exit anyway. */
static int id_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    uint8_t d = 0;
    for (unsigned i = 0; i < full; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    if (rest)
        d |= (uint8_t)((a[full] ^ b[full]) & (uint8_t)(0xffu << (8 - rest)));
    return d == 0;
}

int tl_hs_confirm_keys(uint8_t mk_resp[32], uint8_t mk_init[32], const uint8_t prk[32])
{
    int rc = expand_label(mk_resp, 32, prk, "tallow-v1 confirm responder", NULL, 0);
    if (rc == TL_OK)
        rc = expand_label(mk_init, 32, prk, "tallow-v1 confirm initiator", NULL, 0);
    return rc;
}

void tl_hs_sas_format(char out[TL_HS_SAS_LEN], const uint8_t bytes[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | bytes[i];
    uint32_t d = (uint32_t)(v % 1000000u); /* bias < 2^-44 */
    for (int i = 6; i >= 0; i--) {
        if (i == 3) {
            out[i] = ' ';
            continue;
        }
        out[i] = (char)('0' + d % 10u);
        d /= 10u;
    }
    out[7] = '\0';
}

/* Traffic keys and SAS from prk and the final transcript hash th2; then
 * wipes prk and the confirmation key. */
static int hs_finish_keys(tl_hs *hs, const uint8_t th2[32])
{
    uint8_t i2r[32], r2i[32], sas[8];
    int rc = expand_label(i2r, 32, hs->prk, "tallow-v1 traffic i2r", th2, 32);
    if (rc == TL_OK)
        rc = expand_label(r2i, 32, hs->prk, "tallow-v1 traffic r2i", th2, 32);
    if (rc == TL_OK)
        rc = expand_label(sas, 8, hs->prk, "tallow-v1 sas", th2, 32);
    if (rc == TL_OK) {
        int init = hs->role == TL_HS_INITIATOR;
        memcpy(hs->keys.send, init ? i2r : r2i, 32);
        memcpy(hs->keys.recv, init ? r2i : i2r, 32);
        tl_hs_sas_format(hs->sas, sas);
    }
    tl_wipe(i2r, sizeof(i2r));
    tl_wipe(r2i, sizeof(r2i));
    tl_wipe(sas, sizeof(sas));
    tl_wipe(hs->prk, sizeof(hs->prk));
    tl_wipe(hs->mk_init, sizeof(hs->mk_init));
    tl_wipe(hs->mk_sender, sizeof(hs->mk_sender));
    return rc;
}

static int sas_commitment(uint8_t out[32], const uint8_t nonce[TL_HS_NONCE_LEN])
{
    static const char label[] = "tallow-v1 sas commit";
    uint8_t buf[sizeof(label) - 1 + TL_HS_NONCE_LEN];
    memcpy(buf, label, sizeof(label) - 1);
    memcpy(buf + sizeof(label) - 1, nonce, TL_HS_NONCE_LEN);
    int rc = tl_sha256(out, buf, sizeof(buf));
    tl_wipe(buf, sizeof(buf));
    return rc;
}

/* ---- context and PAKE generator --------------------------------------- */

size_t tl_hs_context(uint8_t out[TL_HS_CTX_MAX], const uint8_t *group_id, size_t group_id_len,
                     const uint8_t fp_i[32], const uint8_t fp_r[32], int has_code)
{
    uint8_t *p = out;
    memcpy(p, k_label, sizeof(k_label)); /* includes the NUL */
    p += sizeof(k_label);
    *p++ = (uint8_t)group_id_len;
    memcpy(p, group_id, group_id_len);
    p += group_id_len;
    memcpy(p, fp_i, 32);
    p += 32;
    memcpy(p, fp_r, 32);
    p += 32;
    *p++ = has_code ? 1 : 0;
    return (size_t)(p - out);
}

int tl_hs_generator(uint8_t g[32], const uint8_t *code, size_t code_len, const uint8_t *ctx,
                    size_t ctx_len)
{
    static const char dst[] = TL_HS_PAKE_DST;
    uint8_t msg[2 + TL_HS_MAX_CODE_SECRET + TL_HS_CTX_MAX];
    if (code_len < 1 || code_len > TL_HS_MAX_CODE_SECRET || ctx_len > TL_HS_CTX_MAX)
        return TL_ERR_INVALID_ARG;
    msg[0] = (uint8_t)(code_len >> 8);
    msg[1] = (uint8_t)code_len;
    memcpy(msg + 2, code, code_len);
    memcpy(msg + 2 + code_len, ctx, ctx_len);
    int rc =
        tl_h2c25519_encode(g, msg, 2 + code_len + ctx_len, (const uint8_t *)dst, sizeof(dst) - 1);
    tl_wipe(msg, sizeof(msg));
    return rc;
}

/* Our X25519 share: X25519(x, G) with a join code (the PAKE), else the
 * ordinary public key X25519(x, 9). G is wiped: each side uses it once. */
static int hs_public_share(tl_hs *hs, const tl_x25519_key *key, uint8_t out[TL_X25519_LEN])
{
    if (!hs->has_code)
        return tl_x25519_key_public(key, out);
    int rc = tl_x25519_key_shared(key, hs->gen, out);
    tl_wipe(hs->gen, sizeof(hs->gen));
    return rc;
}

/* ---- lifecycle -------------------------------------------------------- */

/* The transcript starts with the context: label, group id, fingerprints in
 * role order, and whether a join code is in use. With a code, the same
 * context is the PAKE's session id. */
static int hs_context(tl_hs *hs, const tl_hs_config *cfg)
{
    const uint8_t *fp_i = cfg->role == TL_HS_INITIATOR ? cfg->local_fp : cfg->remote_fp;
    const uint8_t *fp_r = cfg->role == TL_HS_INITIATOR ? cfg->remote_fp : cfg->local_fp;
    uint8_t ctx[TL_HS_CTX_MAX];
    size_t n =
        tl_hs_context(ctx, cfg->group_id, cfg->group_id_len, fp_i, fp_r, cfg->code_secret != NULL);
    int rc = tl_sha256_update(hs->th, ctx, n);
    if (rc == TL_OK && cfg->code_secret != NULL)
        rc = tl_hs_generator(hs->gen, cfg->code_secret, cfg->code_secret_len, ctx, n);
    return rc;
}

int tl_hs_new(tl_hs **out, const tl_hs_config *cfg)
{
    *out = NULL;
    if ((cfg->role != TL_HS_INITIATOR && cfg->role != TL_HS_RESPONDER) || cfg->group_id == NULL ||
        cfg->group_id_len < 1 || cfg->group_id_len > 64 ||
        (cfg->code_secret != NULL &&
         (cfg->code_secret_len < 1 || cfg->code_secret_len > TL_HS_MAX_CODE_SECRET)) ||
        (cfg->role == TL_HS_RESPONDER && cfg->identity == NULL) ||
        (cfg->role == TL_HS_INITIATOR && cfg->expect_identity != NULL &&
         (cfg->expect_identity_bits < 1 || cfg->expect_identity_bits > 8 * TL_HS_IDENTITY_LEN)))
        return TL_ERR_INVALID_ARG;
    tl_hs *hs = calloc(1, sizeof(*hs));
    if (hs == NULL)
        return TL_ERR_NOMEM;
    hs->role = cfg->role;
    hs->state = ST_NEW;
    hs->rng = cfg->rng;
    hs->rng_ctx = cfg->rng_ctx;
    hs->has_code = cfg->code_secret != NULL;
    if (cfg->role == TL_HS_RESPONDER) {
        hs->identity = cfg->identity;
    } else if (cfg->expect_identity != NULL) {
        memcpy(hs->expect_id, cfg->expect_identity, (cfg->expect_identity_bits + 7) / 8);
        hs->expect_bits = cfg->expect_identity_bits;
    }
    int rc = tl_sha256_new(&hs->th);
    if (rc == TL_OK)
        rc = hs_context(hs, cfg);
    if (rc == TL_OK && cfg->code_secret != NULL) {
        static const uint8_t salt[] = "tallow-v1 join code";
        rc = tl_hkdf_extract(hs->psk, salt, sizeof(salt) - 1, cfg->code_secret,
                             cfg->code_secret_len);
    }
    if (rc != TL_OK) {
        tl_hs_free(hs);
        return rc;
    }
    *out = hs;
    return TL_OK;
}

void tl_hs_free(tl_hs *hs)
{
    if (hs == NULL)
        return;
    tl_sha256_free(hs->th);
    tl_x25519_key_free(hs->x_key);
    tl_x25519_key_free(hs->e_key);
    tl_wipe(hs, sizeof(*hs));
    free(hs);
}

int tl_hs_is_done(const tl_hs *hs)
{
    return hs->state == ST_DONE;
}

int tl_hs_peer_identity(const tl_hs *hs, uint8_t out[TL_HS_IDENTITY_LEN])
{
    if (hs->role != TL_HS_INITIATOR || !hs->have_peer_id)
        return TL_ERR_STATE;
    memcpy(out, hs->peer_id, TL_HS_IDENTITY_LEN);
    return TL_OK;
}

int tl_hs_sas(const tl_hs *hs, char out[TL_HS_SAS_LEN])
{
    if (hs->state != ST_DONE)
        return TL_ERR_STATE;
    memcpy(out, hs->sas, TL_HS_SAS_LEN);
    return TL_OK;
}

int tl_hs_session_keys(const tl_hs *hs, tl_session_keys *out)
{
    if (hs->state != ST_DONE)
        return TL_ERR_STATE;
    *out = hs->keys;
    return TL_OK;
}

void tl_session_keys_wipe(tl_session_keys *keys)
{
    tl_wipe(keys, sizeof(*keys));
}

/* ---- initiator -------------------------------------------------------- */

static int hs_write_hello(tl_hs *hs, uint8_t *out)
{
    uint8_t seeds[2 * TL_MLKEM768_SEED_LEN], x_priv[TL_X25519_LEN], e_priv[TL_X25519_LEN];
    uint8_t *p = out;
    *p++ = TL_HS_MSG_HELLO;
    *p++ = TL_HS_VERSION;
    int rc = hs_random(hs, seeds, sizeof(seeds));
    if (rc == TL_OK)
        rc = hs_random(hs, hs->sas_nonce, sizeof(hs->sas_nonce));
    if (rc == TL_OK)
        rc = hs_random(hs, x_priv, sizeof(x_priv));
    if (rc == TL_OK)
        rc = hs_random(hs, e_priv, sizeof(e_priv));
    if (rc == TL_OK)
        rc = tl_x25519_key_new(&hs->x_key, x_priv);
    if (rc == TL_OK)
        rc = tl_x25519_key_new(&hs->e_key, e_priv);
    tl_wipe(x_priv, sizeof(x_priv));
    tl_wipe(e_priv, sizeof(e_priv));
    if (rc == TL_OK)
        rc = sas_commitment(p, hs->sas_nonce);
    p += TL_SHA256_LEN;
    if (rc == TL_OK)
        rc = tl_mlkem768_keygen_internal(p, hs->dk, seeds, seeds + TL_MLKEM768_SEED_LEN);
    tl_wipe(seeds, sizeof(seeds));
    p += TL_MLKEM768_EK_LEN;
    if (rc == TL_OK)
        rc = hs_public_share(hs, hs->x_key, p);
    p += TL_X25519_LEN;
    /* The ephemeral for the static DH is an ordinary public key (base 9):
     * it is combined with the sender's static X25519 key, which is not on
     * the PAKE generator. */
    if (rc == TL_OK)
        rc = tl_x25519_key_public(hs->e_key, p);
    return rc;
}

int tl_hs_start(tl_hs *hs, uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (hs->state == ST_DEAD || hs->role != TL_HS_INITIATOR || hs->state != ST_NEW)
        return hs_fail(hs, TL_ERR_STATE);
    if (cap < TL_HS_MAX_MSG_LEN)
        return hs_fail(hs, TL_ERR_INVALID_ARG);
    int rc = hs_write_hello(hs, out);
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, out, TL_HS_HELLO_LEN);
    if (rc != TL_OK) {
        tl_wipe(out, TL_HS_HELLO_LEN);
        return hs_fail(hs, rc);
    }
    hs->state = ST_HELLO_SENT;
    *out_len = TL_HS_HELLO_LEN;
    return TL_OK;
}

/* REPLY -> FINISH. */
static int hs_on_reply(tl_hs *hs, const uint8_t *in, uint8_t *out, size_t *out_len)
{
    const uint8_t *ct = in + 2;
    const uint8_t *x_peer = ct + TL_MLKEM768_CT_LEN;
    const uint8_t *id_ek = x_peer + TL_X25519_LEN;
    const uint8_t *id_x = id_ek + TL_MLKEM768_EK_LEN;
    const uint8_t *conf = id_x + TL_X25519_LEN;
    uint8_t th1[32], th2[32], ss_m[32], ss_x[32], ss_sx[32], ss_sm[32], mk_resp[32], mac[32];
    uint8_t m[32], prk2[32];

    /* The identity first: a responder we were told not to trust gets no
     * FINISH (and no ciphertext to its key). */
    int rc = tl_hs_identity_hash(hs->peer_id, id_ek, id_x);
    if (rc != TL_OK)
        return rc;
    hs->have_peer_id = 1;
    if (hs->expect_bits && !id_prefix_equal(hs->peer_id, hs->expect_id, hs->expect_bits))
        return TL_ERR_IDENTITY;
    if (tl_mlkem768_check_ek(id_ek) != TL_OK)
        return TL_ERR_INVALID_ARG;

    rc = tl_sha256_update(hs->th, in, TL_HS_REPLY_LEN - TL_HS_MAC_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_peek(hs->th, th1);
    if (rc == TL_OK)
        rc = tl_mlkem768_decaps_internal(ss_m, ct, hs->dk);
    tl_wipe(hs->dk, sizeof(hs->dk));
    if (rc == TL_OK)
        rc = tl_x25519_key_shared(hs->x_key, x_peer, ss_x);
    tl_x25519_key_free(hs->x_key);
    hs->x_key = NULL;
    if (rc == TL_OK)
        rc = tl_x25519_key_shared(hs->e_key, id_x, ss_sx);
    tl_x25519_key_free(hs->e_key);
    hs->e_key = NULL;
    if (rc == TL_OK)
        rc = tl_hs_derive_prk(hs->prk, th1, ss_m, ss_x, hs->psk, ss_sx);
    tl_wipe(ss_m, sizeof(ss_m));
    tl_wipe(ss_x, sizeof(ss_x));
    tl_wipe(ss_sx, sizeof(ss_sx));
    tl_wipe(hs->psk, sizeof(hs->psk));
    if (rc == TL_OK)
        rc = tl_hs_confirm_keys(mk_resp, hs->mk_init, hs->prk);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(mac, mk_resp, 32, th1, 32);
    tl_wipe(mk_resp, sizeof(mk_resp));
    if (rc == TL_OK && tl_ct_verify(mac, conf, TL_HS_MAC_LEN) != 0)
        rc = TL_ERR_AUTH;
    /* FINISH = type | version | SAS nonce | Encaps(identity ek) |
     * HMAC(mk_init, th2). */
    uint8_t *c_s = out + 2 + TL_HS_NONCE_LEN;
    out[0] = TL_HS_MSG_FINISH;
    out[1] = TL_HS_VERSION;
    memcpy(out + 2, hs->sas_nonce, TL_HS_NONCE_LEN);
    if (rc == TL_OK)
        rc = hs_random(hs, m, sizeof(m));
    if (rc == TL_OK)
        rc = tl_mlkem768_encaps_internal(c_s, ss_sm, id_ek, m);
    tl_wipe(m, sizeof(m));
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, conf, TL_HS_MAC_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, out, TL_HS_FINISH_LEN - TL_HS_MAC_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_peek(hs->th, th2);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(out + TL_HS_FINISH_LEN - TL_HS_MAC_LEN, hs->mk_init, 32, th2, 32);
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, out + TL_HS_FINISH_LEN - TL_HS_MAC_LEN, TL_HS_MAC_LEN);
    /* The final PRK also needs the static ML-KEM secret: only the holder of
     * the identity's dk can compute CONFIRM and the traffic keys. */
    if (rc == TL_OK)
        rc = tl_hs_derive_prk2(prk2, th2, hs->prk, ss_sm);
    tl_wipe(ss_sm, sizeof(ss_sm));
    if (rc == TL_OK)
        memcpy(hs->prk, prk2, sizeof(prk2));
    tl_wipe(prk2, sizeof(prk2));
    tl_wipe(hs->mk_init, sizeof(hs->mk_init));
    if (rc == TL_OK)
        rc = expand_label(hs->mk_sender, 32, hs->prk, "tallow-v2 confirm sender", NULL, 0);
    if (rc != TL_OK) {
        tl_wipe(out, TL_HS_FINISH_LEN);
        return rc;
    }
    tl_wipe(hs->sas_nonce, sizeof(hs->sas_nonce));
    *out_len = TL_HS_FINISH_LEN;
    hs->state = ST_FINISH_SENT;
    return TL_OK;
}

/* CONFIRM -> done. */
static int hs_on_confirm(tl_hs *hs, const uint8_t *in)
{
    uint8_t th3[32], mac[32];
    int rc = tl_sha256_update(hs->th, in, 2);
    if (rc == TL_OK)
        rc = tl_sha256_final(hs->th, th3);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(mac, hs->mk_sender, 32, th3, 32);
    if (rc == TL_OK && tl_ct_verify(mac, in + 2, TL_HS_MAC_LEN) != 0)
        rc = TL_ERR_AUTH;
    if (rc == TL_OK)
        rc = hs_finish_keys(hs, th3);
    if (rc == TL_OK)
        hs->state = ST_DONE;
    return rc;
}

/* ---- responder -------------------------------------------------------- */

/* HELLO -> REPLY. */
static int hs_on_hello(tl_hs *hs, const uint8_t *in, uint8_t *out, size_t *out_len)
{
    const tl_hs_identity *id = hs->identity;
    const uint8_t *commit = in + 2;
    const uint8_t *ek = commit + TL_SHA256_LEN;
    const uint8_t *x_peer = ek + TL_MLKEM768_EK_LEN;
    const uint8_t *e_peer = x_peer + TL_X25519_LEN;
    uint8_t *ct = out + 2;
    uint8_t *x_pub = ct + TL_MLKEM768_CT_LEN;
    uint8_t *id_ek = x_pub + TL_X25519_LEN;
    uint8_t *id_x = id_ek + TL_MLKEM768_EK_LEN;
    uint8_t *conf = id_x + TL_X25519_LEN;
    uint8_t m[32], x_priv[32], ss_m[32], ss_x[32], ss_sx[32], th1[32], mk_resp[32];
    tl_x25519_key *x_key = NULL;

    memcpy(hs->sas_commit, commit, sizeof(hs->sas_commit));
    out[0] = TL_HS_MSG_REPLY;
    out[1] = TL_HS_VERSION;
    memcpy(id_ek, id->ek, TL_MLKEM768_EK_LEN);
    memcpy(id_x, id->x_pub, TL_X25519_LEN);
    int rc = hs_random(hs, m, sizeof(m));
    if (rc == TL_OK)
        rc = hs_random(hs, x_priv, sizeof(x_priv));
    if (rc == TL_OK)
        rc = tl_mlkem768_encaps_internal(ct, ss_m, ek, m);
    tl_wipe(m, sizeof(m));
    if (rc == TL_OK)
        rc = tl_x25519_key_new(&x_key, x_priv);
    tl_wipe(x_priv, sizeof(x_priv));
    if (rc == TL_OK)
        rc = hs_public_share(hs, x_key, x_pub);
    if (rc == TL_OK)
        rc = tl_x25519_key_shared(x_key, x_peer, ss_x);
    tl_x25519_key_free(x_key);
    if (rc == TL_OK)
        rc = tl_x25519_key_shared(id->x, e_peer, ss_sx);
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, in, TL_HS_HELLO_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, out, TL_HS_REPLY_LEN - TL_HS_MAC_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_peek(hs->th, th1);
    if (rc == TL_OK)
        rc = tl_hs_derive_prk(hs->prk, th1, ss_m, ss_x, hs->psk, ss_sx);
    tl_wipe(ss_m, sizeof(ss_m));
    tl_wipe(ss_x, sizeof(ss_x));
    tl_wipe(ss_sx, sizeof(ss_sx));
    tl_wipe(hs->psk, sizeof(hs->psk));
    if (rc == TL_OK)
        rc = tl_hs_confirm_keys(mk_resp, hs->mk_init, hs->prk);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(conf, mk_resp, 32, th1, 32);
    tl_wipe(mk_resp, sizeof(mk_resp));
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, conf, TL_HS_MAC_LEN);
    if (rc != TL_OK) {
        tl_wipe(out, TL_HS_REPLY_LEN);
        return rc;
    }
    *out_len = TL_HS_REPLY_LEN;
    hs->state = ST_REPLY_SENT;
    return TL_OK;
}

/* FINISH -> CONFIRM, done. */
static int hs_on_finish(tl_hs *hs, const uint8_t *in, uint8_t *out, size_t *out_len)
{
    const uint8_t *nonce = in + 2;
    const uint8_t *c_s = nonce + TL_HS_NONCE_LEN;
    const uint8_t *conf = in + TL_HS_FINISH_LEN - TL_HS_MAC_LEN;
    uint8_t commit[32], th2[32], th3[32], mac[32], ss_sm[32], prk2[32];
    int rc = sas_commitment(commit, nonce);
    if (rc == TL_OK && tl_ct_verify(commit, hs->sas_commit, sizeof(commit)) != 0)
        rc = TL_ERR_AUTH;
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, in, TL_HS_FINISH_LEN - TL_HS_MAC_LEN);
    if (rc == TL_OK)
        rc = tl_sha256_peek(hs->th, th2);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(mac, hs->mk_init, 32, th2, 32);
    if (rc == TL_OK && tl_ct_verify(mac, conf, TL_HS_MAC_LEN) != 0)
        rc = TL_ERR_AUTH;
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, conf, TL_HS_MAC_LEN);
    /* Implicit rejection: a wrong c_s gives a random secret, so the
     * initiator's CONFIRM check fails; never an error here. */
    if (rc == TL_OK)
        rc = tl_mlkem768_decaps_internal(ss_sm, c_s, hs->identity->dk);
    if (rc == TL_OK)
        rc = tl_hs_derive_prk2(prk2, th2, hs->prk, ss_sm);
    tl_wipe(ss_sm, sizeof(ss_sm));
    if (rc == TL_OK)
        memcpy(hs->prk, prk2, sizeof(prk2));
    tl_wipe(prk2, sizeof(prk2));
    if (rc == TL_OK)
        rc = expand_label(hs->mk_sender, 32, hs->prk, "tallow-v2 confirm sender", NULL, 0);
    /* CONFIRM = type | version | HMAC(mk_sender, th3). */
    out[0] = TL_HS_MSG_CONFIRM;
    out[1] = TL_HS_VERSION;
    if (rc == TL_OK)
        rc = tl_sha256_update(hs->th, out, 2);
    if (rc == TL_OK)
        rc = tl_sha256_final(hs->th, th3);
    if (rc == TL_OK)
        rc = tl_hmac_sha256(out + 2, hs->mk_sender, 32, th3, 32);
    if (rc == TL_OK)
        rc = hs_finish_keys(hs, th3);
    if (rc != TL_OK) {
        tl_wipe(out, TL_HS_CONFIRM_LEN);
        return rc;
    }
    *out_len = TL_HS_CONFIRM_LEN;
    hs->state = ST_DONE;
    return TL_OK;
}

/* ---- dispatch --------------------------------------------------------- */

int tl_hs_parse_header(const uint8_t *in, size_t in_len)
{
    if (in == NULL || in_len < 2)
        return TL_ERR_PARSE;
    size_t want = in[0] == TL_HS_MSG_HELLO     ? TL_HS_HELLO_LEN
                  : in[0] == TL_HS_MSG_REPLY   ? TL_HS_REPLY_LEN
                  : in[0] == TL_HS_MSG_FINISH  ? TL_HS_FINISH_LEN
                  : in[0] == TL_HS_MSG_CONFIRM ? TL_HS_CONFIRM_LEN
                                               : 0;
    if (want == 0)
        return TL_ERR_PARSE;
    if (in[1] != TL_HS_VERSION)
        return TL_ERR_UNSUPPORTED;
    if (in_len != want)
        return TL_ERR_PARSE;
    return in[0];
}

int tl_hs_recv(tl_hs *hs, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
               size_t *out_len)
{
    *out_len = 0;
    if (hs->state == ST_DEAD)
        return TL_ERR_STATE;
    if (cap < TL_HS_MAX_MSG_LEN)
        return hs_fail(hs, TL_ERR_INVALID_ARG);
    int type = tl_hs_parse_header(in, in_len);
    if (type < 0)
        return hs_fail(hs, type);
    int rc;
    if (type == TL_HS_MSG_HELLO && hs->role == TL_HS_RESPONDER && hs->state == ST_NEW)
        rc = hs_on_hello(hs, in, out, out_len);
    else if (type == TL_HS_MSG_REPLY && hs->state == ST_HELLO_SENT)
        rc = hs_on_reply(hs, in, out, out_len);
    else if (type == TL_HS_MSG_FINISH && hs->state == ST_REPLY_SENT)
        rc = hs_on_finish(hs, in, out, out_len);
    else if (type == TL_HS_MSG_CONFIRM && hs->state == ST_FINISH_SENT)
        rc = hs_on_confirm(hs, in);
    else
        rc = TL_ERR_STATE;
    if (rc != TL_OK) {
        *out_len = 0;
        return hs_fail(hs, rc);
    }
    return TL_OK;
}
