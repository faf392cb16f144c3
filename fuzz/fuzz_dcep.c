/* tl_dcep_parse and the stream state machine on arbitrary SCTP payloads
 * (PPID 50); a parsed OPEN must re-encode to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "rtc/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *msg = malloc(size ? size : 1);
    if (msg == NULL)
        return 0;
    if (size > 0)
        memcpy(msg, data, size);
    tl_dcep_msg m;
    if (tl_dcep_parse(msg, size, &m) == TL_OK && m.type == TL_DCEP_MSG_OPEN) {
        uint8_t *re = malloc(size);
        size_t n = 0;
        if (re == NULL || tl_dcep_encode_open(&m.open, re, size, &n) != TL_OK || n != size ||
            memcmp(re, msg, size) != 0)
            abort();
        free(re);
    }
    for (int s = TL_DCEP_IDLE; s <= TL_DCEP_ERRORED; s++) {
        tl_dcep_state st = (tl_dcep_state)s;
        tl_dcep_open o;
        uint8_t ack[1];
        size_t ack_len = 0;
        tl_dcep_event ev = tl_dcep_on_message(&st, msg, size, &o, ack, &ack_len);
        if (ev == TL_DCEP_EV_REMOTE_OPEN &&
            (s != TL_DCEP_IDLE || st != TL_DCEP_OPEN || ack_len != 1 || ack[0] != 0x02 ||
             o.label + o.label_len > (const char *)msg + size))
            abort();
        if (ev == TL_DCEP_EV_ERROR && st != TL_DCEP_ERRORED)
            abort();
    }
    free(msg);
    return 0;
}
