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
    int64_t share;      /* milli-bytes of the total given to this member (< 0: debt) */
    int64_t own;        /* milli-bytes of the per-member bucket (< 0: debt) */
    uint64_t own_last;  /* last refill of own */
} member;

struct tl_bucket_group {
    uint64_t rate;  /* bytes/s, 0 = unlimited */
    uint64_t burst; /* bytes */
    int auto_burst; /* burst follows the rate (0 given at creation) */
    uint64_t last;
    int64_t pool; /* milli-bytes nobody claimed (>= 0) */
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
    g->auto_burst = burst == 0;
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
            g->m[i].own = peer_rate ? (int64_t)g->burst * 1000 : 0;
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
        if (g->m[id].share > 0)
            g->pool += g->m[id].share;
        memset(&g->m[id], 0, sizeof(member));
    }
}

void tl_bucket_set_active(tl_bucket_group *g, int id, int active)
{
    if (g && id >= 0 && id < g->n && g->m[id].used) {
        g->m[id].active = active != 0;
        if (!active && g->m[id].share > 0) { /* give its unused share to the others */
            g->pool += g->m[id].share;
            g->m[id].share = 0;
        }
    }
}

static int64_t cap_mb(const tl_bucket_group *g)
{
    return (int64_t)g->burst * 1000;
}

static int active_count(const tl_bucket_group *g)
{
    int act = 0;
    for (int i = 0; i < g->n; i++)
        act += g->m[i].used && g->m[i].active;
    return act;
}

static void refill(tl_bucket_group *g, uint64_t now)
{
    if (now <= g->last || g->rate == 0) {
        if (now > g->last)
            g->last = now;
        return;
    }
    int64_t add = (int64_t)(g->rate * (now - g->last));
    g->last = now;
    int act = active_count(g);
    int64_t each = act ? add / act : 0;
    int64_t spill = act ? 0 : add;
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
    m->own += (int64_t)(m->peer_rate * (now - m->own_last));
    m->own_last = now;
    if (m->own > cap_mb(g))
        m->own = cap_mb(g);
}

static member *get(tl_bucket_group *g, int id, uint64_t now)
{
    if (!g || id < 0 || id >= g->n || !g->m[id].used)
        return NULL;
    refill(g, now);
    refill_own(g, &g->m[id], now);
    return &g->m[id];
}

static void charge(tl_bucket_group *g, member *m, int64_t need)
{
    if (m->peer_rate)
        m->own -= need;
    if (!g->rate)
        return;
    int64_t from_share = m->share > 0 ? (m->share < need ? m->share : need) : 0;
    m->share -= from_share;
    need -= from_share;
    int64_t from_pool = g->pool < need ? g->pool : need;
    g->pool -= from_pool;
    m->share -= need - from_pool; /* the rest is debt */
}

int tl_bucket_take(tl_bucket_group *g, int id, uint64_t n, uint64_t now)
{
    member *m = get(g, id, now);
    if (!m)
        return 0;
    int64_t need = (int64_t)n * 1000;
    if (m->peer_rate && m->own < need)
        return 0;
    if (g->rate && m->share + g->pool < need)
        return 0;
    charge(g, m, need);
    return 1;
}

int tl_bucket_ready(tl_bucket_group *g, int id, uint64_t now)
{
    member *m = get(g, id, now);
    if (!m)
        return 0;
    return (!m->peer_rate || m->own > 0) && (!g->rate || m->share + g->pool > 0);
}

void tl_bucket_consume(tl_bucket_group *g, int id, uint64_t n, uint64_t now)
{
    member *m = get(g, id, now);
    if (m)
        charge(g, m, (int64_t)n * 1000);
}

uint64_t tl_bucket_wait_ms(tl_bucket_group *g, int id, uint64_t n, uint64_t now)
{
    member *m = get(g, id, now);
    if (!m)
        return 0;
    int64_t need = (int64_t)n * 1000;
    uint64_t wait = 0;
    if (m->peer_rate && m->own < need)
        wait = (uint64_t)(need - m->own + (int64_t)m->peer_rate - 1) / m->peer_rate;
    if (g->rate && m->share + g->pool < need) {
        int act = active_count(g);
        int64_t per = (int64_t)(g->rate / (uint64_t)(act ? act : 1));
        if (per < 1)
            per = 1;
        uint64_t w = (uint64_t)((need - m->share - g->pool + per - 1) / per);
        if (w > wait)
            wait = w;
    }
    return wait;
}

static void clamp_balances(tl_bucket_group *g)
{
    if (g->pool > cap_mb(g))
        g->pool = cap_mb(g);
    for (int i = 0; i < g->n; i++) {
        if (g->m[i].share > cap_mb(g))
            g->m[i].share = cap_mb(g);
        if (g->m[i].own > cap_mb(g))
            g->m[i].own = cap_mb(g);
    }
}

void tl_bucket_set_rate(tl_bucket_group *g, uint64_t total_rate, uint64_t now)
{
    if (!g)
        return;
    refill(g, now); /* credit the time so far at the old rate */
    if (g->rate == 0 && total_rate) {
        /* No shares were kept while unlimited: start from empty. */
        g->pool = 0;
        for (int i = 0; i < g->n; i++)
            g->m[i].share = 0;
    }
    g->rate = total_rate;
    g->last = now > g->last ? now : g->last;
    if (g->auto_burst)
        g->burst = total_rate / 10 > 262144 ? total_rate / 10 : 262144;
    clamp_balances(g);
}

void tl_bucket_set_peer_rate(tl_bucket_group *g, int id, uint64_t peer_rate, uint64_t now)
{
    if (!g || id < 0 || id >= g->n || !g->m[id].used)
        return;
    member *m = &g->m[id];
    refill_own(g, m, now);
    if (!m->peer_rate)
        m->own = 0;
    m->peer_rate = peer_rate;
    m->own_last = now;
    clamp_balances(g);
}

uint64_t tl_bucket_rate(const tl_bucket_group *g)
{
    return g ? g->rate : 0;
}
