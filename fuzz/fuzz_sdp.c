/* tl_sdp_parse on arbitrary bytes. Whatever parses must emit, and the
 * emitted text must parse back to the same transport parameters. */
#include <stdlib.h>
#include <string.h>

#include "rtc/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tl_sdp a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    /* a copy of exactly size bytes, so ASan catches any read past the end */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    int rc = tl_sdp_parse(text, size, &a, err, sizeof(err));
    free(text);
    if (rc != TL_OK) {
        if (err[0] == '\0' || strlen(err) >= sizeof(err))
            abort(); /* every failure carries a reason */
        return 0;
    }
    char *out = NULL;
    if (tl_sdp_emit(&a, &out) != TL_OK)
        abort();
    if (tl_sdp_parse(out, strlen(out), &b, err, sizeof(err)) != TL_OK)
        abort();
    tl_free(out);
    if (strcmp(a.ice_ufrag, b.ice_ufrag) != 0 || strcmp(a.ice_pwd, b.ice_pwd) != 0 ||
        strcmp(a.mid, b.mid) != 0 || memcmp(a.fingerprint, b.fingerprint, TL_FINGERPRINT_LEN) ||
        a.setup != b.setup || a.sctp_port != b.sctp_port ||
        a.max_message_size != b.max_message_size || a.n_candidates != b.n_candidates ||
        a.n_others != b.n_others || a.dc_index != b.dc_index ||
        a.end_of_candidates != b.end_of_candidates || a.session_id != b.session_id)
        abort();
    for (size_t i = 0; i < a.n_candidates; i++)
        if (strcmp(a.candidates[i].addr, b.candidates[i].addr) != 0 ||
            a.candidates[i].port != b.candidates[i].port ||
            a.candidates[i].type != b.candidates[i].type)
            abort();
    return 0;
}
