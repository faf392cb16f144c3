/* libFuzzer target: the scale-out state snapshot loader (text another server
 * wrote into Redis). Whatever loads must dump and load again to the same
 * sizes; whatever is refused leaves the state empty. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/groups.h"
#include "signal/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_sig_state st = {0};
    const char *why = NULL;
    if (tl_sig_snapshot_load(&st, (const char *)data, size, 1000000, &why) == 0) {
        char *text = tl_sig_snapshot_dump(&st, 1000000);
        if (!text)
            abort();
        tl_sig_state again = {0};
        if (tl_sig_snapshot_load(&again, text, strlen(text), 1000000, &why) != 0 ||
            g_hash_table_size(again.peers) != g_hash_table_size(st.peers) ||
            g_hash_table_size(again.groups) != g_hash_table_size(st.groups))
            abort();
        tl_sig_state_clear(&again);
        cJSON_free(text);
    } else if (!why || g_hash_table_size(st.peers) || g_hash_table_size(st.groups)) {
        abort();
    }
    tl_sig_state_clear(&st);
    return 0;
}
