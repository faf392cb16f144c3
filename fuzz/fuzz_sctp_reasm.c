/* libFuzzer: bounded SCTP message reassembly (src/rtc/reasm.c), driven as
 * sctp.c drives it, with pieces and end-of-record flags chosen by the input:
 * u16 max | then per piece: u8 flags (bit0 eor) | u16 size. Checks that the
 * buffer never holds more than max + 1 bytes, that a delivered message is
 * exactly the concatenation of its pieces and at most max long, and that a
 * message over max is reported OVERSIZE (not delivered). */
#include "rtc/reasm.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = (size_t)((data[0] << 8) | data[1]) + 1;
    data += 2;
    size -= 2;
    tl_reasm r;
    tl_reasm_init(&r, max);
    uint8_t *shadow = malloc(max + 1); /* what the message should hold */
    size_t slen = 0;
    uint8_t fill = 0;
    while (size >= 3 && shadow) {
        int eor = data[0] & 1;
        size_t want = (size_t)((data[1] << 8) | data[2]);
        data += 3;
        size -= 3;
        size_t room = 0;
        uint8_t *at = tl_reasm_space(&r, want, &room);
        if (!at) {
            if (want != 0)
                abort(); /* space exists until OVERSIZE was reported */
            continue;
        }
        if (room == 0 || room > want || r.len + room > max + 1 || r.cap > max + 1)
            abort();
        size_t n = room / 2 + 1; /* the stack may return less than asked */
        memset(at, fill, n);     /* each piece its own byte value */
        if (slen + n <= max + 1)
            memset(shadow + slen, fill, n);
        slen += n;
        fill++;
        tl_reasm_result rr = tl_reasm_commit(&r, n, eor);
        if (r.len > max + 1)
            abort();
        if (rr == TL_REASM_OVERSIZE) {
            if (slen <= max)
                abort();
            tl_reasm_reset(&r);
            slen = 0;
        } else if (rr == TL_REASM_MESSAGE) {
            if (!eor || r.len != slen || slen > max || memcmp(r.buf, shadow, slen) != 0)
                abort();
            tl_reasm_reset(&r);
            slen = 0;
        } else if (eor || slen > max) {
            abort();
        }
    }
    free(shadow);
    tl_reasm_free(&r);
    return 0;
}
