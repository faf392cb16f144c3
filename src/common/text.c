/* Text from the network made safe for a terminal or a log line, and the one
 * UTF-8 decoder both this and the file-name rules (transfer/names.c) use. */
#include <string.h>

#include "tallow/common.h"

size_t tl_utf8_seq(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    unsigned cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

size_t tl_text_sanitize(char *out, size_t cap, const char *in, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)in;
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; in && i < len;) {
        size_t k = tl_utf8_seq(s + i, len - i);
        /* C0 controls, DEL, C1 controls (U+0080..U+009F, 0xc2 0x80..0x9f)
         * and bytes that are not valid UTF-8 are shown as \xHH, one per
         * byte; everything else is copied whole (a sequence never split). */
        int esc =
            k == 0 || s[i] < 0x20 || s[i] == 0x7f || (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0);
        size_t nb = esc ? (k == 2 ? 2 : 1) : k;
        size_t need = esc ? 4 * nb : nb;
        if (o + need >= cap)
            break;
        for (size_t j = 0; j < nb; j++) {
            if (esc) {
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = hex[s[i + j] >> 4];
                out[o++] = hex[s[i + j] & 15];
            } else {
                out[o++] = (char)s[i + j];
            }
        }
        i += nb;
    }
    out[o] = '\0';
    return o;
}
