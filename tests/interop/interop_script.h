/* The scripted exchange of the browser interop tests, shared in spirit with
 * interop_script.js (which must generate byte-identical messages for the
 * same seed, so each side's hashes can also be checked against the Node
 * driver's own).
 *
 * Message i of a script with seed s:
 *   0          text  "hello from " + 8 hex digits of s
 *   1          binary 262144 bytes (256 KiB, the default a=max-message-size)
 *   2          text   262144 bytes of UTF-8 (1- to 4-byte characters)
 *   3          binary, empty (PPID 57)
 *   4          text, empty (PPID 56)
 *   5 + k      the burst, k < SCRIPT_BURST: binary for even k, text for odd;
 *              empty if k % 97 == 0, 65536 bytes if k % 250 == 249, else
 *              1..1500 bytes
 * Content comes from xorshift32 seeded with (s ^ i * 0x9E3779B1) | 1.
 *
 * The hash of a sequence of messages is SHA-256 over, per message: one byte
 * 't' or 'b', the length as 4 bytes big-endian, the bytes. */
#ifndef TL_INTEROP_SCRIPT_H
#define TL_INTEROP_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#define SCRIPT_SEED_TALLOW 0x7a11c0deu
#define SCRIPT_SEED_CHROMIUM 0xc4c0b10bu
#define SCRIPT_BURST 1000
#define SCRIPT_BIG 262144
#define SCRIPT_HASH_HEX 65 /* 64 hex digits + NUL */

typedef struct script_msg {
    int text;
    uint8_t *data; /* malloc'd, NULL when len == 0 */
    size_t len;
} script_msg;

typedef struct script_hash {
    void *ctx; /* EVP_MD_CTX */
} script_hash;

size_t script_count(void);

/* Fills *m with message i of the script seeded with seed. Returns 0, or -1
 * when out of memory or i >= script_count(). Free with script_msg_free(). */
int script_message(uint32_t seed, size_t i, script_msg *m);
void script_msg_free(script_msg *m);

int script_hash_init(script_hash *h);
void script_hash_update(script_hash *h, int text, const uint8_t *data, size_t len);
/* Writes the lowercase hex digest to hex (if not NULL) and releases h.
 * Returns 0 or -1. */
int script_hash_final(script_hash *h, char hex[SCRIPT_HASH_HEX]);

#endif
