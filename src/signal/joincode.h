/* Internal: join-code encoding and derivation (see docs/SIGNALING.md §3).
 *
 * A code is "GGGGGG-w1-w2-w3-w4-w5[-COMMIT][@LOCATION]":
 *   GGGGGG  the group number (6 decimal digits, assigned by the server),
 *   w1..w5  50 random bits in five words of tl_joincode_words (10 bits each):
 *           the first 20 bits are the join password, the last 30 the key part,
 *   COMMIT  optional (a long code, a link): 32 base32 characters, the first
 *           160 bits of the sender's identity hash (sender_id.c),
 *   LOCATION where the server is: "host:port" (ws), "ws://host:port" or
 *           "wss://host:port"; absent when the caller knows the server.
 * Only the proof (HKDF of the group number and the join password) reaches the
 * server; the 32-byte secret is HKDF of all 50 bits and the group number.
 * Pure functions: no I/O, no clock, no globals besides the constant list. */
#ifndef TL_SIGNAL_JOINCODE_H
#define TL_SIGNAL_JOINCODE_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/signal.h"

#define TL_JOINCODE_NWORDS 1024
#define TL_JOINCODE_RANDOM_LEN 7 /* bytes holding the 50 random bits */
#define TL_JOINCODE_MAX_GROUP 999999u

extern const char *const tl_joincode_words[TL_JOINCODE_NWORDS];

/* The sender's identity for people (sender_id.c, docs/CRYPTO.md §3). */
#define TL_SENDER_FP_WORDS 6      /* group fingerprint: six code words */
#define TL_SENDER_FP_BITS 60      /* ... the first 60 bits of the identity hash */
#define TL_SENDER_COMMIT_CHARS 32 /* long code / link: base32 of 160 bits */

/* "word word word word word word" from the identity hash. */
int tl_sender_fingerprint(const uint8_t id[32], char *out, size_t cap);
/* Six words (whole or four-letter prefixes, any case, spaces/hyphens/commas)
 * -> the first 60 bits of out (the rest zero). TL_OK or TL_ERR_PARSE. */
int tl_sender_fingerprint_parse(const char *text, uint8_t out[32]);
void tl_sender_commit_encode(const uint8_t id[32], char out[TL_SENDER_COMMIT_CHARS + 1]);
int tl_sender_commit_decode(const char *s, size_t len, uint8_t out[TL_JOINCODE_SENDER_LEN]);
/* code with the commitment to id inserted after the words (before '@'). */
int tl_joincode_long(const char *code, const uint8_t id[32], char *out, size_t cap);

/* Index of word w (exact, or its first four letters when it has more; case
 * insensitive, length len), or -1. */
int tl_joincode_word_index(const char *w, size_t len);

/* Writes the code text for group and the 50 low bits of rnd (big-endian, the
 * top 6 bits of rnd[0] are ignored) into out (NUL-terminated). url may be
 * NULL (no location) or "ws://host:port" / "wss://host:port". Returns TL_OK,
 * TL_ERR_INVALID_ARG (group > 999999, bad url) or TL_ERR_TOO_BIG (out). */
int tl_joincode_format(uint32_t group, const uint8_t rnd[TL_JOINCODE_RANDOM_LEN], const char *url,
                       char *out, size_t outlen);

/* Derives the server proof and the key-schedule secret from the group and the
 * random bits. Returns TL_OK or TL_ERR_CRYPTO. */
int tl_joincode_derive(uint32_t group, const uint8_t rnd[TL_JOINCODE_RANDOM_LEN],
                       uint8_t proof[TL_JOINCODE_PROOF_LEN],
                       uint8_t secret[TL_JOINCODE_SECRET_LEN]);

/* Decodes the text of a code: group, location and the random bits, without
 * deriving (the creator needs the random bits to re-create its group after
 * a restart). Returns TL_OK or TL_ERR_PARSE / TL_ERR_INVALID_ARG. */
int tl_joincode_decode(const char *text, tl_joincode *out, uint8_t rnd[TL_JOINCODE_RANDOM_LEN]);

#endif
