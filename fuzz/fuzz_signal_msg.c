/* libFuzzer target: the signaling message parser/validator and the builders
 * fed from its output, plus the join-code parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/joincode.h"
#include "signal/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_sig_msg m;
    const char *field = NULL;
    tl_sig_err e = tl_sig_parse((const char *)data, size, 65536, &m, &field);
    if (e == TL_SIGE_OK) {
        char *relay = tl_sig_build_relay(&m, "0123456789abcdef");
        free(relay);
        tl_sig_msg_clear(&m);
    } else {
        if (!field)
            abort(); /* every error names a field ("" when none) */
        char *err = tl_sig_build_error(e, tl_sig_type_name(m.type), m.has_rid, m.rid, field);
        free(err);
    }
    if (size < 1024) {
        char text[1024];
        memcpy(text, data, size);
        text[size] = '\0';
        tl_joincode jc;
        if (tl_joincode_parse(text, &jc) == TL_OK && jc.group > TL_JOINCODE_MAX_GROUP)
            abort();
        tl_joincode_wipe(&jc);
    }
    return 0;
}
