/* libFuzzer target: the signaling message parser/validator and the builders
 * fed from its output (the fast relay path checked against the cJSON path),
 * plus the join-code parser (long codes too) and the group-fingerprint
 * parser on the same bytes. */
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
        if (tl_joincode_parse(text, &jc) == TL_OK) {
            if (jc.group > TL_JOINCODE_MAX_GROUP)
                abort();
            /* A long code's commitment survives the round trip. */
            if (jc.has_sender) {
                uint8_t id[32] = {0};
                char c[TL_SENDER_COMMIT_CHARS + 1];
                uint8_t back[TL_JOINCODE_SENDER_LEN];
                memcpy(id, jc.sender, sizeof(jc.sender));
                tl_sender_commit_encode(id, c);
                if (tl_sender_commit_decode(c, strlen(c), back) != TL_OK ||
                    memcmp(back, jc.sender, sizeof(back)) != 0)
                    abort();
            }
        }
        tl_joincode_wipe(&jc);
        /* The group fingerprint a user types (--sender-fingerprint): six
         * words, or an error; what parses prints back as the same words. */
        uint8_t fp[32];
        if (tl_sender_fingerprint_parse(text, fp) == TL_OK) {
            char words[128];
            uint8_t again[32];
            if (tl_sender_fingerprint(fp, words, sizeof(words)) != TL_OK ||
                tl_sender_fingerprint_parse(words, again) != TL_OK || memcmp(fp, again, 32) != 0)
                abort();
        }
    }
    return 0;
}
