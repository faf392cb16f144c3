/* tallow — hybrid post-quantum handshake (ML-KEM-768 + X25519), sans-I/O.
 *
 * Four messages over the (already DTLS-protected) data channel; each starts
 * with a type byte and the protocol version (2):
 *   1. initiator -> responder: HELLO   (SAS commitment, ML-KEM-768 ek,
 *                                       X25519 share, X25519 ephemeral) 1282
 *   2. responder -> initiator: REPLY   (ML-KEM ciphertext, X25519 share, the
 *                                       sender's static identity keys,
 *                                       responder key confirmation)     2370
 *   3. initiator -> responder: FINISH  (SAS nonce, ML-KEM ciphertext to the
 *                                       identity key, initiator key
 *                                       confirmation)                   1154
 *   4. responder -> initiator: CONFIRM (sender identity confirmation)     34
 * Keys come from HKDF-SHA256 over both ephemeral shared secrets, the
 * join-code secret and both static-key secrets, salted with transcript
 * hashes (SHA-256 over a protocol label, the group id, both DTLS
 * fingerprints ordered by role, and every byte exchanged); docs/CRYPTO.md
 * gives the layout byte by byte. With a join code the X25519 part is a PAKE
 * (CPace-style): both shares are taken on a generator hashed to curve25519
 * from the code and the context (RFC 9380), so the code can only be guessed
 * online, one guess per handshake.
 *
 * Sender identity (docs/CRYPTO.md §3, "Sender identity"): the responder holds
 * a per-session static key pair (ML-KEM-768 + X25519, tl_hs_identity) shared
 * by every recipient of a group. It is authenticated KEM-style: the
 * initiator derives an X25519 secret with the static key and encapsulates to
 * the static ML-KEM key, and only the key's holder can produce REPLY's and
 * CONFIRM's MACs. The identity's hash is what a link, a long code or the
 * group fingerprint commits to; the initiator refuses another identity with
 * TL_ERR_IDENTITY. The responder is done once FINISH verifies (it sends
 * CONFIRM); the initiator once CONFIRM verifies. No file data may flow before
 * tl_hs_is_done() is true on the receiving side.
 *
 * Errors: TL_ERR_PARSE for an unknown type byte or a wrong length,
 * TL_ERR_UNSUPPORTED for another protocol version, TL_ERR_STATE for a
 * well-formed message that is not the one expected now (a message replayed in
 * the same session, or a HELLO sent to an initiator), TL_ERR_AUTH when key
 * confirmation fails (swapped ML-KEM key, ciphertext or X25519 key, swapped
 * DTLS fingerprint, wrong join code, a message recorded from another session,
 * a static key its sender does not hold), TL_ERR_IDENTITY when the
 * responder's identity is not the one expected.
 *
 * The state machine never reads a clock, a socket or a file; it draws
 * randomness from getrandom() unless the config supplies a generator. */
#ifndef TALLOW_HANDSHAKE_H
#define TALLOW_HANDSHAKE_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

#define TL_HS_MAX_MSG_LEN 4096 /* every handshake message fits */
#define TL_HS_SAS_LEN 8        /* "123 456" plus NUL */
#define TL_SESSION_KEY_LEN 32
#define TL_HS_IDENTITY_SEED_LEN 96 /* ML-KEM d || z || X25519 private key */
#define TL_HS_IDENTITY_LEN 32      /* SHA-256 identity hash */

typedef struct tl_hs tl_hs;

/* A sender's static identity: ML-KEM-768 + X25519 key pair, made from 96
 * seed bytes. One per sending session, shared by every recipient. */
typedef struct tl_hs_identity tl_hs_identity;

/* seed NULL: a fresh one from getrandom(). Returns TL_OK, TL_ERR_NOMEM,
 * TL_ERR_IO, TL_ERR_CRYPTO. */
int tl_hs_identity_new(tl_hs_identity **out, const uint8_t *seed);
void tl_hs_identity_free(tl_hs_identity *id); /* wipes; NULL allowed */
/* The seed (secret: keep it in a 0600 file at most, wipe the copy). */
void tl_hs_identity_seed(const tl_hs_identity *id, uint8_t out[TL_HS_IDENTITY_SEED_LEN]);
/* The public identity hash SHA-256("tallow-v2 sender identity" || ek || X). */
void tl_hs_identity_id(const tl_hs_identity *id, uint8_t out[TL_HS_IDENTITY_LEN]);

typedef enum {
    TL_HS_INITIATOR = 0, /* sends HELLO (in tallow: the receiver of files) */
    TL_HS_RESPONDER = 1, /* encapsulates (in tallow: the sender of files) */
} tl_hs_role;

typedef struct tl_hs_config {
    tl_hs_role role;
    const uint8_t *group_id; /* opaque, 1..64 bytes */
    size_t group_id_len;
    uint8_t local_fp[32];       /* our DTLS certificate SHA-256 fingerprint */
    uint8_t remote_fp[32];      /* the peer's, as verified by DTLS */
    const uint8_t *code_secret; /* join-code secret; NULL when joined by invite.
                                   1..256 bytes, the same on both sides. It is
                                   the password of a PAKE (docs/CRYPTO.md §3):
                                   an active attacker can test one guess per
                                   handshake, never offline, so it needs as
                                   many bits as the online guessing limit calls
                                   for (tallow: 30 bits the signaling server
                                   does not know, and every guess is a failed
                                   handshake the sender sees; SIGNALING.md
                                   §3), not 128. It must not be
                                   predictable; against an attacker able to
                                   compute X25519 discrete logs only >= 128
                                   bits of entropy would resist offline search. */
    size_t code_secret_len;
    /* Responder: its static identity (required; borrowed, must outlive the
     * handshake). Ignored by the initiator. */
    const tl_hs_identity *identity;
    /* Initiator: the identity hash the responder must have, compared on its
     * first expect_identity_bits bits (1..256: 60 for a group fingerprint,
     * 160 for a link or long code, 256 for a pinned identity). NULL: any
     * identity (the caller shows tl_hs_peer_identity() to a human). */
    const uint8_t *expect_identity;
    unsigned expect_identity_bits;
    /* Tests and fuzzing only: a deterministic generator. NULL: getrandom().
     * Returns 0 on success. */
    int (*rng)(void *rng_ctx, uint8_t *buf, size_t len);
    void *rng_ctx;
} tl_hs_config;

/* Per-direction traffic secrets, wiped by tl_session_keys_wipe(). */
typedef struct tl_session_keys {
    uint8_t send[TL_SESSION_KEY_LEN];
    uint8_t recv[TL_SESSION_KEY_LEN];
} tl_session_keys;

/* Creates a handshake. cfg is copied (group id, code secret and expected
 * identity too; the caller may wipe its copy afterwards; the identity is
 * borrowed). Returns TL_OK, TL_ERR_INVALID_ARG (bad role, group id length,
 * code secret length, a responder without identity, expect_identity_bits), TL_ERR_NOMEM,
 * TL_ERR_CRYPTO. */
int tl_hs_new(tl_hs **out, const tl_hs_config *cfg);

/* Wipes every secret and frees. NULL is allowed. */
void tl_hs_free(tl_hs *hs);

/* Initiator only, once: writes HELLO into out (cap >= TL_HS_MAX_MSG_LEN).
 * Returns TL_OK, TL_ERR_STATE, TL_ERR_INVALID_ARG (cap), TL_ERR_IO (no
 * randomness), TL_ERR_CRYPTO. */
int tl_hs_start(tl_hs *hs, uint8_t *out, size_t cap, size_t *out_len);

/* Consumes one message from the peer and writes the reply, if any, into out
 * (cap >= TL_HS_MAX_MSG_LEN; *out_len = 0 when there is none). Returns TL_OK;
 * TL_ERR_PARSE (malformed), TL_ERR_UNSUPPORTED (other version), TL_ERR_STATE
 * (unexpected or replayed message, or the handshake is dead), TL_ERR_AUTH
 * (key confirmation or SAS commitment failed: swapped key, ciphertext,
 * fingerprint, wrong join code, message from another session),
 * TL_ERR_IDENTITY (initiator: the responder's identity is not the expected
 * one), TL_ERR_INVALID_ARG (cap too small, ML-KEM ek fails the FIPS 203
 * modulus check, all-zero X25519 secret), TL_ERR_IO, TL_ERR_CRYPTO. After any error
 * the handshake is dead: every secret is wiped, tl_hs_is_done() is 0 and
 * every later call returns TL_ERR_STATE. */
int tl_hs_recv(tl_hs *hs, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
               size_t *out_len);

/* 1 once this side has verified the peer's key confirmation (and the
 * handshake has not died since). */
int tl_hs_is_done(const tl_hs *hs);

/* Initiator: the responder's identity hash, known once a REPLY arrived (also
 * after TL_ERR_IDENTITY; authenticated only when tl_hs_is_done()). Returns TL_OK or TL_ERR_STATE.
 */
int tl_hs_peer_identity(const tl_hs *hs, uint8_t out[TL_HS_IDENTITY_LEN]);

/* Short authentication string, identical on both sides: six decimal digits
 * as "123 456". Returns TL_OK or TL_ERR_STATE before keys exist. */
int tl_hs_sas(const tl_hs *hs, char out[TL_HS_SAS_LEN]);

/* Copies the traffic secrets out (send = ours, recv = the peer's): feed them
 * to tl_chunk_sealer_new / tl_chunk_opener_new. Valid only when done. The
 * caller wipes its copy with tl_session_keys_wipe(). Returns TL_OK or
 * TL_ERR_STATE. */
int tl_hs_session_keys(const tl_hs *hs, tl_session_keys *out);

void tl_session_keys_wipe(tl_session_keys *keys);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
