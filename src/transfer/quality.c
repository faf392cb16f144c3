/* tallow — peer quality, reconnect backoff and keep-alive schedule. Pure
 * policy: time is always a parameter (milliseconds). */
#include "tallow/transfer.h"

#include <string.h>

#define DEFAULT_ACTIVITY_TIMEOUT 30000u
#define RTT_EXCELLENT 100u
#define RTT_GOOD 200u
#define RTT_FAIR 500u

const char *tl_quality_name(tl_quality q)
{
    switch (q) {
    case TL_QUALITY_EXCELLENT:
        return "excellent";
    case TL_QUALITY_GOOD:
        return "good";
    case TL_QUALITY_FAIR:
        return "fair";
    case TL_QUALITY_POOR:
        return "poor";
    default:
        return "disconnected";
    }
}

tl_quality tl_quality_classify(int connected, uint32_t rtt_ms, uint64_t idle_ms,
                               uint32_t activity_timeout_ms)
{
    if (!activity_timeout_ms)
        activity_timeout_ms = DEFAULT_ACTIVITY_TIMEOUT;
    if (!connected)
        return TL_QUALITY_DISCONNECTED;
    if (idle_ms >= activity_timeout_ms || rtt_ms > RTT_FAIR)
        return TL_QUALITY_POOR;
    if (idle_ms >= activity_timeout_ms / 2 || rtt_ms >= RTT_GOOD)
        return TL_QUALITY_FAIR;
    if (rtt_ms >= RTT_EXCELLENT)
        return TL_QUALITY_GOOD;
    return TL_QUALITY_EXCELLENT;
}

void tl_quality_init(tl_quality_tracker *t, uint32_t activity_timeout_ms)
{
    memset(t, 0, sizeof(*t));
    t->activity_timeout_ms = activity_timeout_ms ? activity_timeout_ms : DEFAULT_ACTIVITY_TIMEOUT;
    t->current = TL_QUALITY_DISCONNECTED;
}

void tl_quality_set_connected(tl_quality_tracker *t, int connected, uint64_t now)
{
    t->connected = connected != 0;
    if (connected)
        t->last_activity = now;
}

void tl_quality_activity(tl_quality_tracker *t, uint64_t now)
{
    if (now > t->last_activity)
        t->last_activity = now;
}

void tl_quality_rtt(tl_quality_tracker *t, uint32_t rtt_ms, uint64_t now)
{
    t->rtt_ms = rtt_ms;
    tl_quality_activity(t, now);
}

int tl_quality_update(tl_quality_tracker *t, uint64_t now)
{
    uint64_t idle = now > t->last_activity ? now - t->last_activity : 0;
    tl_quality q = tl_quality_classify(t->connected, t->rtt_ms, idle, t->activity_timeout_ms);
    if (q == t->current)
        return 0;
    t->current = q;
    return 1;
}

static const uint32_t default_delays[] = {1000, 2000, 5000};

void tl_backoff_init(tl_backoff *b, uint32_t max_attempts)
{
    memset(b, 0, sizeof(*b));
    b->delays_ms = default_delays;
    b->ndelays = sizeof(default_delays) / sizeof(default_delays[0]);
    b->max_attempts = max_attempts ? max_attempts : 5;
}

void tl_backoff_init_doubling(tl_backoff *b, uint32_t min_ms, uint32_t max_ms, uint32_t jitter_pct,
                              uint32_t max_attempts)
{
    memset(b, 0, sizeof(*b));
    b->min_ms = min_ms ? min_ms : 1;
    b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
    b->jitter_pct = jitter_pct > 100 ? 100 : jitter_pct;
    b->max_attempts = max_attempts;
}

int tl_backoff_next_rnd(tl_backoff *b, uint64_t now, uint32_t rnd, uint64_t *at)
{
    if (!b->min_ms)
        return tl_backoff_next(b, now, at);
    if (b->max_attempts != TL_BACKOFF_FOREVER && b->attempt >= b->max_attempts)
        return TL_ERR_TIMEOUT;
    uint64_t d = b->min_ms;
    for (uint32_t i = 0; i < b->attempt && d < b->max_ms; i++)
        d *= 2;
    if (d > b->max_ms)
        d = b->max_ms;
    uint64_t spread = d * b->jitter_pct / 100; /* d - spread .. d + spread */
    d = d - spread + (uint64_t)rnd % (2 * spread + 1);
    if (b->attempt < UINT32_MAX)
        b->attempt++;
    *at = now + d;
    return TL_OK;
}

int tl_backoff_next(tl_backoff *b, uint64_t now, uint64_t *at)
{
    if (b->min_ms)
        return tl_backoff_next_rnd(b, now, 0x80000000u, at);
    const uint32_t *d = b->delays_ms ? b->delays_ms : default_delays;
    uint32_t n = b->delays_ms ? b->ndelays : 3;
    uint32_t max = b->max_attempts ? b->max_attempts : 5;
    if (b->attempt >= max || n == 0)
        return TL_ERR_TIMEOUT;
    uint32_t i = b->attempt < n ? b->attempt : n - 1;
    b->attempt++;
    *at = now + d[i];
    return TL_OK;
}

void tl_backoff_reset(tl_backoff *b)
{
    b->attempt = 0;
}

void tl_keepalive_init(tl_keepalive *k, uint32_t interval_ms, uint64_t now)
{
    memset(k, 0, sizeof(*k));
    k->interval_ms = interval_ms ? interval_ms : 5000;
    k->timeout_ms = 3 * k->interval_ms;
    k->last_ping = now;
    k->last_rx = now;
}

void tl_keepalive_rx(tl_keepalive *k, uint64_t now)
{
    if (now > k->last_rx)
        k->last_rx = now;
}

void tl_keepalive_pong(tl_keepalive *k, uint64_t now)
{
    k->ping_outstanding_since = 0;
    tl_keepalive_rx(k, now);
}

int tl_keepalive_due(tl_keepalive *k, uint64_t now)
{
    if (now < k->last_ping + k->interval_ms)
        return 0;
    k->last_ping = now;
    if (!k->ping_outstanding_since)
        k->ping_outstanding_since = now;
    return 1;
}

int tl_keepalive_expired(const tl_keepalive *k, uint64_t now)
{
    return now >= k->last_rx + k->timeout_ms;
}

uint64_t tl_keepalive_next(const tl_keepalive *k)
{
    uint64_t a = k->last_ping + k->interval_ms;
    uint64_t b = k->last_rx + k->timeout_ms;
    return a < b ? a : b;
}
