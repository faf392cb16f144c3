/* tallow — bounded reassembly of SCTP messages; see reasm.h. */
#include "rtc/reasm.h"

#include <stdlib.h>

void tl_reasm_init(tl_reasm *r, size_t max)
{
    r->buf = NULL;
    r->len = r->cap = 0;
    r->max = max ? max : 1;
}

void tl_reasm_free(tl_reasm *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

uint8_t *tl_reasm_space(tl_reasm *r, size_t want, size_t *room)
{
    size_t limit = r->max + 1; /* one byte past max tells a message is too long */
    *room = 0;
    if (r->len >= limit || want == 0)
        return NULL; /* cannot happen: commit reports OVERSIZE at limit */
    size_t n = limit - r->len < want ? limit - r->len : want;
    if (r->cap - r->len < n) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap - r->len < n)
            cap *= 2;
        if (cap > limit)
            cap = limit;
        uint8_t *nb = realloc(r->buf, cap);
        if (!nb)
            return NULL;
        r->buf = nb;
        r->cap = cap;
    }
    *room = n;
    return r->buf + r->len;
}

tl_reasm_result tl_reasm_commit(tl_reasm *r, size_t n, int eor)
{
    r->len += n;
    if (r->len > r->max)
        return TL_REASM_OVERSIZE;
    return eor ? TL_REASM_MESSAGE : TL_REASM_MORE;
}

void tl_reasm_reset(tl_reasm *r)
{
    r->len = 0;
}
