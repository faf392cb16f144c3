/* tallow — hybrid post-quantum handshake (ML-KEM-768 + X25519), sans-I/O.
 *
 * Three messages over the (already DTLS-protected) data channel:
 *   1. initiator -> responder: HELLO  (ML-KEM-768 ek, X25519 public key)
 *   2. responder -> initiator: REPLY  (ML-KEM ciphertext, X25519 public key,
 *                                      responder key confirmation)
 *   3. initiator -> responder: FINISH (initiator key confirmation)
 * Keys come from HKDF-SHA256 over both shared secrets, bound to the
 * transcript hash, a protocol label, the group id, both DTLS fingerprints and
 * the join-code secret (docs/CRYPTO.md). No file data may flow before
 * tl_hs_is_done() is true on the receiving side.
 *
 * The state machine never reads a clock, a socket or a file; it draws
 * randomness from getrandom() unless a test seed is given. */
#ifndef TALLOW_HANDSHAKE_H
#define TALLOW_HANDSHAKE_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TL_HS_MAX_MSG_LEN 4096 /* every handshake message fits */
#define TL_HS_SAS_LEN 8        /* "123 456" plus NUL */
#define TL_SESSION_KEY_LEN 32

typedef struct tl_hs tl_hs;

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
    const uint8_t *code_secret; /* join-code secret; NULL when joined by invite */
    size_t code_secret_len;
} tl_hs_config;

/* Per-direction traffic secrets, wiped by tl_session_keys_wipe(). */
typedef struct tl_session_keys {
    uint8_t send[TL_SESSION_KEY_LEN];
    uint8_t recv[TL_SESSION_KEY_LEN];
} tl_session_keys;

/* Creates a handshake. cfg is copied. Returns TL_OK, TL_ERR_INVALID_ARG,
 * TL_ERR_NOMEM. */
int tl_hs_new(tl_hs **out, const tl_hs_config *cfg);

/* Wipes every secret and frees. NULL is allowed. */
void tl_hs_free(tl_hs *hs);

/* Initiator only: writes HELLO into out (cap >= TL_HS_MAX_MSG_LEN).
 * Returns TL_OK, TL_ERR_STATE, TL_ERR_IO (no randomness). */
int tl_hs_start(tl_hs *hs, uint8_t *out, size_t cap, size_t *out_len);

/* Consumes one message from the peer and writes the reply, if any, into out
 * (*out_len = 0 when there is none). Returns TL_OK; TL_ERR_PARSE (malformed),
 * TL_ERR_STATE (unexpected or replayed message), TL_ERR_AUTH (key
 * confirmation failed: swapped key, ciphertext, fingerprint or wrong join
 * code), TL_ERR_INVALID_ARG (bad ML-KEM key, all-zero X25519 secret). After
 * any error the handshake is dead and every later call returns TL_ERR_STATE. */
int tl_hs_recv(tl_hs *hs, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
               size_t *out_len);

/* 1 once this side has verified the peer's key confirmation. */
int tl_hs_is_done(const tl_hs *hs);

/* Short authentication string, identical on both sides: six decimal digits
 * as "123 456". Returns TL_OK or TL_ERR_STATE before keys exist. */
int tl_hs_sas(const tl_hs *hs, char out[TL_HS_SAS_LEN]);

/* Copies the traffic secrets out (send = ours, recv = the peer's). Valid only
 * when done. Returns TL_OK or TL_ERR_STATE. */
int tl_hs_session_keys(const tl_hs *hs, tl_session_keys *out);

void tl_session_keys_wipe(tl_session_keys *keys);

#ifdef __cplusplus
}
#endif
#endif
