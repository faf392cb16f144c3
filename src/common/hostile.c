/* tallow — TALLOW_HOSTILE mode lookup; linked into tallow-hostile only. */
#include "common/hostile.h"

#include <stdlib.h>
#include <string.h>

int tl_hostile(const char *mode)
{
    const char *v = getenv("TALLOW_HOSTILE");
    size_t n = strlen(mode);
    while (v && *v) {
        const char *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        if (len == n && !memcmp(v, mode, n))
            return 1;
        v = end ? end + 1 : NULL;
    }
    return 0;
}
