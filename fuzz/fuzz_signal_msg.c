/* libFuzzer target: the signaling message parser/validator and the builders
 * fed from its output (the fast relay path checked against the cJSON path),
 * plus the join-code parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/joincode.h"
#include "signal/proto.h"
#include "signal/proto_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_sig_msg m, ref;
    const char *field = NULL, *ref_field = NULL;
    tl_sig_err e = tl_sig_parse((const char *)data, size, 65536, &m, &field);
    /* The fast relay path must agree with the cJSON path on every input. */
    tl_sig_err ref_e = tl_sig_parse_slow((const char *)data, size, 65536, &ref, &ref_field);
    if (e != ref_e || !tl_sig_ref_msg_eq(&m, &ref) || (e && strcmp(field, ref_field)))
        abort();
    if (e == TL_SIGE_OK) {
        char *relay = tl_sig_build_relay(&m, "0123456789abcdef");
        char *relay_slow = tl_sig_build_relay(&ref, "0123456789abcdef");
        char *want = tl_sig_ref_relay(&ref, "0123456789abcdef");
        if (!relay || !relay_slow || !want || strcmp(relay, want) || strcmp(relay_slow, want))
            abort(); /* written directly == as cJSON prints it */
        free(relay);
        free(relay_slow);
        cJSON_free(want);
        tl_sig_msg_clear(&m);
        tl_sig_msg_clear(&ref);
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
