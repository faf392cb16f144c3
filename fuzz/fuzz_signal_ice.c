/* libFuzzer target: the "ice_servers" a signaling server hands a client in
 * "registered" (tl_sig_ice_servers_take). Whatever the server sends, the
 * client keeps at most TL_SIGNAL_MAX_ICE entries, each with a valid URL and,
 * for turn:, printable credentials, and frees them all. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *o = cJSON_ParseWithLength((const char *)data, size);
    if (!o)
        return 0;
    tl_ice_server s[TL_SIGNAL_MAX_ICE];
    size_t n = tl_sig_ice_servers_take(o, s);
    if (n > TL_SIGNAL_MAX_ICE)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!tl_sig_valid_ice_url(s[i].url))
            abort();
        int turn = !strncmp(s[i].url, "turn:", 5);
        if (turn != (s[i].username != NULL) || turn != (s[i].credential != NULL))
            abort();
        if (turn &&
            (!tl_sig_valid_text(s[i].username, 255) || !tl_sig_valid_text(s[i].credential, 255)))
            abort();
    }
    tl_sig_ice_servers_clear(s, n);
    cJSON_Delete(o);
    return 0;
}
