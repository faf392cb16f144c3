/* tallow — token buckets: a total rate shared fairly by the active members
 * of a group, plus an optional per-member rate. Work-conserving: a member's
 * share that it does not use (it is slow or its channel is full) overflows
 * into a pool the other members draw from, so a slow recipient never holds
 * the others back. Tokens are kept in milli-bytes so that rate * elapsed_ms
 * needs no division. */
#include "tallow/transfer.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS 4096

typedef struct member {
    int used;
    int active;
    uint64_t peer_rate; /* bytes/s, 0 = unlimited */
    uint64_t share;     /* milli-bytes of the total given to this member */
    uint64_t own;       /* milli-bytes of the per-member bucket */
    uint64_t own_last;  /* last refill of own */
} member;

struct tl_bucket_group {
    uint64_t rate;  /* bytes/s, 0 = unlimited */
    uint64_t burst; /* bytes */
    uint64_t last;
    uint64_t pool; /* milli-bytes nobody claimed */
    member *m;
    int n, cap;
};

int tl_bucket_group_new(tl_bucket_group **out, uint64_t total_rate, uint64_t burst, uint64_t now)
{
    if (!out)
        return TL_ERR_INVALID_ARG;
    tl_bucket_group *g = calloc(1, sizeof(*g));
    if (!g)
        return TL_ERR_NOMEM;
    g->rate = total_rate;
    g->burst = burst ? burst : (total_rate / 10 > 262144 ? total_rate / 10 : 262144);
    g->last = now;
    *out = g;
    return TL_OK;
}

void tl_bucket_group_free(tl_bucket_group *g)
{
    if (!g)
        return;
    free(g->m);
    free(g);
}

int tl_bucket_add(tl_bucket_group *g, uint64_t peer_rate)
{
    if (!g)
        return TL_ERR_INVALID_ARG;
    for (int i = 0; i < g->n; i++) {
        if (!g->m[i].used) {
            memset(&g->m[i], 0, sizeof(member));
            g->m[i].used = 1;
            g->m[i].active = 1;
            g->m[i].peer_rate = peer_rate;
            g->m[i].own = peer_rate ? g->burst * 1000 : 0;
            g->m[i].own_last = g->last;
            return i;
        }
    }
    if (g->n >= MAX_MEMBERS)
        return TL_ERR_LIMIT;
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 8;
        member *m = realloc(g->m, (size_t)cap * sizeof(*m));
        if (!m)
            return TL_ERR_NOMEM;
        g->m = m;
        g->cap = cap;
    }
    g->n++;
    g->m[g->n - 1].used = 0;
    return tl_bucket_add(g, peer_rate);
}

void tl_bucket_remove(tl_bucket_group *g, int id)
{
    if (g && id >= 0 && id < g->n) {
        g->pool += g->m[id].share;
        memset(&g->m[id], 0, sizeof(member));
    }
}

void tl_bucket_set_active(tl_bucket_group *g, int id, int active)
{
    if (g && id >= 0 && id < g->n && g->m[id].used) {
        g->m[id].active = active != 0;
        if (!active) { /* give its unused share to the others */
            g->pool += g->m[id].share;
            g->m[id].share = 0;
        }
    }
}

static uint64_t cap_mb(const tl_bucket_group *g)
{
    return g->burst * 1000;
}

static void refill(tl_bucket_group *g, uint64_t now)
{
    if (now <= g->last || g->rate == 0) {
        if (now > g->last)
            g->last = now;
        return;
    }
    uint64_t add = g->rate * (now - g->last);
    g->last = now;
    int act = 0;
    for (int i = 0; i < g->n; i++)
        act += g->m[i].used && g->m[i].active;
    uint64_t each = act ? add / (uint64_t)act : 0;
    uint64_t spill = act ? 0 : add;
    for (int i = 0; i < g->n; i++) {
        member *m = &g->m[i];
        if (!m->used || !m->active)
            continue;
        m->share += each;
        if (m->share > cap_mb(g)) {
            spill += m->share - cap_mb(g);
            m->share = cap_mb(g);
        }
    }
    g->pool += spill;
    if (g->pool > cap_mb(g))
        g->pool = cap_mb(g);
}

static void refill_own(const tl_bucket_group *g, member *m, uint64_t now)
{
    if (!m->peer_rate || now <= m->own_last)
        return;
    m->own += m->peer_rate * (now - m->own_last);
    m->own_last = now;
    if (m->own > cap_mb(g))
        m->own = cap_mb(g);
}

int tl_bucket_take(tl_bucket_group *g, int id, uint64_t n, uint64_t now)
{
    if (!g || id < 0 || id >= g->n || !g->m[id].used)
        return 0;
    member *m = &g->m[id];
    refill(g, now);
    refill_own(g, m, now);
    uint64_t need = n * 1000;
    if (m->peer_rate && m->own < need)
        return 0;
    if (g->rate && m->share + g->pool < need)
        return 0;
    if (m->peer_rate)
        m->own -= need;
    if (g->rate) {
        if (m->share >= need) {
            m->share -= need;
        } else {
            g->pool -= need - m->share;
            m->share = 0;
        }
    }
    return 1;
}

uint64_t tl_bucket_wait_ms(tl_bucket_group *g, int id, uint64_t n, uint64_t now)
{
    if (!g || id < 0 || id >= g->n || !g->m[id].used)
        return 0;
    member *m = &g->m[id];
    refill(g, now);
    refill_own(g, m, now);
    uint64_t need = n * 1000, wait = 0;
    if (m->peer_rate && m->own < need)
        wait = (need - m->own + m->peer_rate - 1) / m->peer_rate;
    if (g->rate && m->share + g->pool < need) {
        int act = 0;
        for (int i = 0; i < g->n; i++)
            act += g->m[i].used && g->m[i].active;
        uint64_t per = g->rate / (uint64_t)(act ? act : 1);
        uint64_t w = (need - m->share - g->pool + per - 1) / (per ? per : 1);
        if (w > wait)
            wait = w;
    }
    return wait;
}
