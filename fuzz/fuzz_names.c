/* libFuzzer: tl_name_check. Whatever it accepts must be a relative path that
 * cannot leave the output folder: no leading '/', no "." or ".."
 * components, no empty component, no backslash, no control character. */
#include "tallow/transfer.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    if (tl_name_check(p, size) != TL_OK)
        return 0;
    if (size == 0 || p[0] == '/' || size > TL_XFER_MAX_PATH)
        abort();
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && (data[i] < 0x20 || data[i] == 0x7f || data[i] == '\\'))
            abort();
        if (i == size || p[i] == '/') {
            size_t n = i - start;
            if (n == 0 || (n == 1 && p[start] == '.') ||
                (n == 2 && p[start] == '.' && p[start + 1] == '.'))
                abort();
            start = i + 1;
        }
    }
    return 0;
}
