/* tallow — bytes on the wire: big-endian integers and the one hex encoder.
 * Header-only; every module that packs or prints bytes uses these rather
 * than its own shifts and "%02x" loops. The byte swaps are GLib's
 * GUINTnn_TO_BE/FROM_BE (compiler builtins): <endian.h>'s htobe32 family is
 * hidden under -std=c11 unless every file defines _DEFAULT_SOURCE before its
 * first system header. */
#ifndef TL_COMMON_BYTES_H
#define TL_COMMON_BYTES_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void tl_put16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_BE(v);
    memcpy(p, &v, 2);
}
static inline void tl_put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, 4);
}
static inline void tl_put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, 8);
}
static inline uint16_t tl_get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}
static inline uint32_t tl_get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_BE(v);
}
static inline uint64_t tl_get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

/* Lowercase hex of n bytes into out, which holds 2n+1 chars (NUL added). */
static inline void tl_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = '\0';
}

#endif
