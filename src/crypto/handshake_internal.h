/* Internal layout and key-schedule pieces of the hybrid handshake, shared
 * with the tests, the fuzzer and the ctgrind check (docs/CRYPTO.md §2). */
#ifndef TL_CRYPTO_HANDSHAKE_INTERNAL_H
#define TL_CRYPTO_HANDSHAKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/handshake.h"
#include "tallow/mlkem.h"

#define TL_HS_LABEL "tallow-v1 hybrid handshake ML-KEM-768+X25519"
#define TL_HS_VERSION 2 /* 2: sender identity (CONFIRM, static keys) */
#define TL_HS_MSG_HELLO 1
#define TL_HS_MSG_REPLY 2
#define TL_HS_MSG_FINISH 3
#define TL_HS_MSG_CONFIRM 4
#define TL_HS_NONCE_LEN 32
#define TL_HS_MAC_LEN 32
#define TL_HS_MAX_CODE_SECRET 256
/* The PAKE generator's domain-separation tag (RFC 9380 §3.1). */
#define TL_HS_PAKE_DST "tallow-v1 CPace curve25519_XMD:SHA-512_ELL2_NU_"
/* label+NUL | u8 len | group id (<= 64) | fp_I | fp_R | u8 has_code */
#define TL_HS_CTX_MAX (sizeof(TL_HS_LABEL) + 1 + 64 + 32 + 32 + 1)

/* type | version | commit(32) | ek | x25519 share | x25519 ephemeral (base 9) */
#define TL_HS_HELLO_LEN (2 + 32 + TL_MLKEM768_EK_LEN + 32 + 32)
/* type | version | ct | x25519 share | identity ek | identity x25519 | MAC */
#define TL_HS_REPLY_LEN (2 + TL_MLKEM768_CT_LEN + 32 + TL_MLKEM768_EK_LEN + 32 + TL_HS_MAC_LEN)
/* type | version | SAS nonce | ct to the identity ek | initiator MAC */
#define TL_HS_FINISH_LEN (2 + TL_HS_NONCE_LEN + TL_MLKEM768_CT_LEN + TL_HS_MAC_LEN)
/* type | version | sender MAC */
#define TL_HS_CONFIRM_LEN (2 + TL_HS_MAC_LEN)
/* The identity label: id = SHA-256(label || ek_S || S). */
#define TL_HS_ID_LABEL "tallow-v2 sender identity"

/* The message type (TL_HS_MSG_*) of a well-formed message, or TL_ERR_PARSE /
 * TL_ERR_UNSUPPORTED. Checks type, version and exact length only. */
int tl_hs_parse_header(const uint8_t *in, size_t in_len);

/* The context that starts the transcript (docs/CRYPTO.md §3); returns its
 * length. group_id_len must be 1..64. */
size_t tl_hs_context(uint8_t out[TL_HS_CTX_MAX], const uint8_t *group_id, size_t group_id_len,
                     const uint8_t fp_i[32], const uint8_t fp_r[32], int has_code);
/* The join-code PAKE generator G (u-coordinate): encode_to_curve of
 * curve25519_XMD:SHA-512_ELL2_NU_ with DST TL_HS_PAKE_DST over
 * msg = u16 len(code) || code || ctx. Returns TL_OK, TL_ERR_INVALID_ARG or
 * TL_ERR_CRYPTO. */
int tl_hs_generator(uint8_t g[32], const uint8_t *code, size_t code_len, const uint8_t *ctx,
                    size_t ctx_len);

/* prk = HKDF-Extract(salt = th1, ikm = ss_mlkem || ss_x25519 || psk ||
 * ss_static_x25519). */
int tl_hs_derive_prk(uint8_t prk[32], const uint8_t th1[32], const uint8_t ss_mlkem[32],
                     const uint8_t ss_x25519[32], const uint8_t psk[32],
                     const uint8_t ss_static_x25519[32]);
/* prk2 = HKDF-Extract(salt = th2, ikm = prk1 || ss_static_mlkem). */
int tl_hs_derive_prk2(uint8_t prk2[32], const uint8_t th2[32], const uint8_t prk1[32],
                      const uint8_t ss_static_mlkem[32]);
/* id = SHA-256(TL_HS_ID_LABEL || ek || x25519 public key). */
int tl_hs_identity_hash(uint8_t id[32], const uint8_t ek[TL_MLKEM768_EK_LEN],
                        const uint8_t x_pub[32]);
/* The two key-confirmation keys from prk. */
int tl_hs_confirm_keys(uint8_t mk_resp[32], uint8_t mk_init[32], const uint8_t prk[32]);
/* "123 456" from the first 8 SAS bytes (big-endian integer mod 10^6). */
void tl_hs_sas_format(char out[TL_HS_SAS_LEN], const uint8_t bytes[8]);

#endif
