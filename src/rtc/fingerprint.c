/* Certificate fingerprints (RFC 8122 §5): "AB:CD:..." text and SHA-256
 * verification of a peer certificate. */
#include "rtc/sdp.h"
#include "tallow/crypto.h"

#include <string.h>

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tl_fingerprint_parse(const char *hex, size_t len, uint8_t out[TL_FINGERPRINT_LEN])
{
    /* 32 pairs and 31 colons */
    if (hex == NULL || len != TL_FINGERPRINT_LEN * 3 - 1)
        return TL_ERR_PARSE;
    uint8_t tmp[TL_FINGERPRINT_LEN];
    for (size_t i = 0; i < TL_FINGERPRINT_LEN; i++) {
        const char *p = hex + i * 3;
        int hi = hex_val(p[0]), lo = hex_val(p[1]);
        if (hi < 0 || lo < 0)
            return TL_ERR_PARSE;
        if (i + 1 < TL_FINGERPRINT_LEN && p[2] != ':')
            return TL_ERR_PARSE;
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(out, tmp, sizeof(tmp));
    return TL_OK;
}

void tl_fingerprint_format(const uint8_t fp[TL_FINGERPRINT_LEN], char buf[96])
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < TL_FINGERPRINT_LEN; i++) {
        buf[i * 3] = digits[fp[i] >> 4];
        buf[i * 3 + 1] = digits[fp[i] & 15];
        buf[i * 3 + 2] = (i + 1 < TL_FINGERPRINT_LEN) ? ':' : '\0';
    }
}

int tl_fingerprint_verify(const uint8_t expected[TL_FINGERPRINT_LEN], const uint8_t *der,
                          size_t der_len)
{
    uint8_t md[TL_SHA256_LEN];
    if (expected == NULL || der == NULL || der_len == 0)
        return TL_ERR_AUTH;
    if (tl_sha256(md, der, der_len) != TL_OK)
        return TL_ERR_AUTH;
    int diff = tl_ct_verify(md, expected, TL_FINGERPRINT_LEN);
    tl_wipe(md, sizeof(md));
    return diff == 0 ? TL_OK : TL_ERR_AUTH;
}
