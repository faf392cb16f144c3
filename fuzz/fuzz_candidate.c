/* tl_sdp_parse_candidate on arbitrary bytes; what parses must format and
 * parse back to the same candidate. */
#include <stdlib.h>
#include <string.h>

#include "rtc/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    tl_sdp_candidate c, d;
    int rc = tl_sdp_parse_candidate(line, &c);
    free(line);
    if (rc != TL_OK)
        return 0;
    char buf[256];
    if (tl_sdp_format_candidate(&c, buf, sizeof(buf)) != TL_OK)
        abort();
    if (tl_sdp_parse_candidate(buf, &d) != TL_OK)
        abort();
    if (c.type != TL_CAND_HOST && c.raddr[0] == '\0')
        memcpy(c.raddr, "0.0.0.0", 8); /* written as Chromium does */
    if (memcmp(&c, &d, sizeof(c)) != 0)
        abort();
    return 0;
}
