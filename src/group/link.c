#define _GNU_SOURCE
/* Peer link: tl_pc + one reliable ordered channel + signaling glue +
 * reconnection by ICE restart + quality. See link.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/loop_internal.h"
#include "group/link.h"

#define LINK_LABEL "tallow"
#define LINK_HIGH_WATER (1u << 20)  /* bytes queued before we stop feeding */
#define LINK_LOW_WATER (512u << 10) /* on_writable fires below this */
#define LINK_TICK_MS 1000

struct tl_link {
    tl_loop *loop;
    tl_signal_client *sig;
    char group[16];
    char peer[64];
    char subject[80];
    int offerer;
    tl_pc *pc;
    tl_dc *dc;
    tl_link_state state;
    tl_link_callbacks cb;
    void *ud;
    int opened; /* on_open fired */
    tl_backoff backoff;
    tl_timer *restart_timer;
    tl_timer *tick_timer;
    uint64_t lost_since; /* when the connection was lost (0: connected) */
    uint64_t created;
    uint32_t connect_timeout_ms;
    uint32_t reconnect_window_ms; /* answerer: give up after this long lost */
    tl_quality_tracker quality;
    int have_srtt; /* SCTP's smoothed RTT drives quality (not transfer pings) */
};

const char *tl_link_state_name(tl_link_state s)
{
    switch (s) {
    case TL_LINK_CONNECTING:
        return "connecting";
    case TL_LINK_OPEN:
        return "connected";
    case TL_LINK_RECONNECTING:
        return "reconnecting";
    case TL_LINK_FAILED:
        return "failed";
    case TL_LINK_CLOSED:
        return "closed";
    }
    return "unknown";
}

/* Logs an SDP line by line at DEBUG (the signaling trace). */
static void log_sdp(tl_link *l, const char *what, const char *sdp)
{
    const tl_logger *lg = tl_loop_logger(l->loop);
    if (!lg->fn || lg->level > TL_LOG_DEBUG)
        return;
    tl_loop_log(l->loop, TL_LOG_DEBUG, l->subject, "%s", what);
    for (const char *p = sdp; *p;) {
        size_t n = strcspn(p, "\r\n");
        if (n)
            tl_loop_log(l->loop, TL_LOG_DEBUG, l->subject, "  %.*s", (int)n, p);
        p += n;
        p += strspn(p, "\r\n");
    }
}

static void set_state(tl_link *l, tl_link_state st)
{
    if (l->state == st)
        return;
    l->state = st;
    tl_loop_log(l->loop, TL_LOG_INFO, l->subject, "link %s", tl_link_state_name(st));
    if (l->cb.on_state)
        l->cb.on_state(l, st, l->ud);
}

static void update_quality(tl_link *l)
{
    uint64_t now = tl_loop_now_ms(l->loop);
    if (tl_quality_update(&l->quality, now) && l->cb.on_quality)
        l->cb.on_quality(l, l->quality.current, l->ud);
}

static void fail(tl_link *l, const char *why)
{
    if (l->state == TL_LINK_FAILED || l->state == TL_LINK_CLOSED)
        return;
    tl_loop_log(l->loop, TL_LOG_WARN, l->subject, "link failed: %s", why);
    tl_quality_set_connected(&l->quality, 0, tl_loop_now_ms(l->loop));
    set_state(l, TL_LINK_FAILED);
    update_quality(l);
}

/* ---- data channel ---- */

static void dc_open(tl_dc *dc, void *ud)
{
    tl_link *l = ud;
    (void)dc;
    tl_backoff_reset(&l->backoff);
    l->lost_since = 0;
    tl_quality_set_connected(&l->quality, 1, tl_loop_now_ms(l->loop));
    set_state(l, TL_LINK_OPEN);
    update_quality(l);
    if (!l->opened) {
        l->opened = 1;
        if (l->cb.on_open)
            l->cb.on_open(l, l->ud);
    }
}

static void dc_close(tl_dc *dc, void *ud)
{
    tl_link *l = ud;
    (void)dc;
    fail(l, "data channel closed by the peer");
}

static void dc_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    tl_link *l = ud;
    (void)dc;
    tl_quality_activity(&l->quality, tl_loop_now_ms(l->loop));
    if (l->cb.on_message)
        l->cb.on_message(l, data, len, l->ud);
}

static void dc_low(tl_dc *dc, void *ud)
{
    tl_link *l = ud;
    (void)dc;
    if (l->cb.on_writable)
        l->cb.on_writable(l, l->ud);
}

static void dc_error(tl_dc *dc, int err, void *ud)
{
    tl_link *l = ud;
    (void)dc;
    tl_loop_log(l->loop, TL_LOG_WARN, l->subject, "channel error: %s", tl_strerror(err));
}

static const tl_dc_callbacks dc_callbacks = {
    .on_open = dc_open,
    .on_close = dc_close,
    .on_binary = dc_binary,
    .on_buffered_amount_low = dc_low,
    .on_error = dc_error,
};

static void adopt_dc(tl_link *l, tl_dc *dc)
{
    l->dc = dc;
    tl_dc_set_buffered_amount_low_threshold(dc, LINK_LOW_WATER);
}

/* ---- peer connection ---- */

static void pc_candidate(tl_pc *pc, const char *cand, const char *mid, void *ud)
{
    tl_link *l = ud;
    (void)pc;
    /* The signaling trace: DEBUG only, since candidates carry addresses. */
    tl_loop_log(l->loop, TL_LOG_DEBUG, l->subject, "signal out: candidate %s", cand);
    tl_signal_client_send_candidate(l->sig, l->group, l->peer, cand, mid);
}

static void pc_gathered(tl_pc *pc, void *ud)
{
    tl_link *l = ud;
    (void)pc;
    tl_signal_client_send_end_of_candidates(l->sig, l->group, l->peer);
}

static void restart_fire(void *arg);

static void schedule_restart(tl_link *l)
{
    if (!l->offerer || l->restart_timer || l->state == TL_LINK_FAILED)
        return;
    uint64_t now = tl_loop_now_ms(l->loop), at = 0;
    if (tl_backoff_next(&l->backoff, now, &at) != TL_OK) {
        fail(l, "no answer to the last ICE restart");
        return;
    }
    l->restart_timer =
        tl_timer_start(l->loop, (uint32_t)(at > now ? at - now : 0), restart_fire, l);
}

static void restart_fire(void *arg)
{
    tl_link *l = arg;
    l->restart_timer = NULL;
    if (l->state != TL_LINK_RECONNECTING)
        return;
    if (tl_pc_get_state(l->pc) == TL_PC_CONNECTED) {
        /* Came back on its own; the channel survived. */
        l->lost_since = 0;
        tl_quality_set_connected(&l->quality, 1, tl_loop_now_ms(l->loop));
        set_state(l, TL_LINK_OPEN);
        return;
    }
    char *sdp = NULL;
    int rc = tl_pc_restart_ice(l->pc);
    if (rc == TL_OK)
        rc = tl_pc_create_offer(l->pc, &sdp);
    if (rc != TL_OK) {
        fail(l, tl_strerror(rc));
        return;
    }
    tl_loop_log(l->loop, TL_LOG_INFO, l->subject, "ICE restart, attempt %u", l->backoff.attempt);
    log_sdp(l, "signal out: ice-restart offer", sdp);
    tl_signal_client_send_ice_restart(l->sig, l->group, l->peer, sdp);
    tl_free(sdp);
    /* The next attempt is scheduled now; it is cancelled if we reconnect. */
    schedule_restart(l);
}

static void pc_state(tl_pc *pc, tl_pc_state st, void *ud)
{
    tl_link *l = ud;
    (void)pc;
    uint64_t now = tl_loop_now_ms(l->loop);
    switch (st) {
    case TL_PC_CONNECTED:
        if (l->state == TL_LINK_RECONNECTING && l->dc && tl_dc_get_state(l->dc) == TL_DC_OPEN) {
            if (l->restart_timer) {
                tl_timer_stop(l->restart_timer);
                l->restart_timer = NULL;
            }
            tl_backoff_reset(&l->backoff);
            l->lost_since = 0;
            tl_quality_set_connected(&l->quality, 1, now);
            set_state(l, TL_LINK_OPEN);
            update_quality(l);
        }
        break;
    case TL_PC_DISCONNECTED:
    case TL_PC_FAILED:
        if (l->state == TL_LINK_OPEN) {
            l->lost_since = now;
            tl_quality_set_connected(&l->quality, 0, now);
            set_state(l, TL_LINK_RECONNECTING);
            update_quality(l);
            schedule_restart(l);
        } else if (l->state == TL_LINK_CONNECTING && st == TL_PC_FAILED) {
            fail(l, "connection failed");
        }
        break;
    case TL_PC_CLOSED:
        fail(l, "connection closed");
        break;
    default:
        break;
    }
}

static void pc_datachannel(tl_pc *pc, tl_dc *dc, void *ud)
{
    tl_link *l = ud;
    (void)pc;
    if (l->dc || strcmp(tl_dc_label(dc), LINK_LABEL) != 0) {
        tl_dc_close(dc);
        return;
    }
    tl_dc_set_callbacks(dc, &dc_callbacks, l);
    adopt_dc(l, dc);
}

static void tick(void *arg)
{
    tl_link *l = arg;
    l->tick_timer = tl_timer_start(l->loop, LINK_TICK_MS, tick, l);
    uint64_t now = tl_loop_now_ms(l->loop);
    if (l->state == TL_LINK_CONNECTING && now - l->created > l->connect_timeout_ms)
        fail(l, "connection not established in time");
    if (l->state == TL_LINK_RECONNECTING && !l->offerer && l->lost_since &&
        now - l->lost_since > l->reconnect_window_ms)
        fail(l, "connection lost and not restored");
    /* Quality from SCTP's smoothed RTT: transfer pings queue behind file
     * data, so on a busy good link they read as poor. It is an RTT only,
     * not a sign of life (activity still comes from received messages). */
    tl_pc_stats ps;
    if (l->state == TL_LINK_OPEN && tl_pc_get_stats(l->pc, &ps) == TL_OK && ps.srtt_ms > 0) {
        l->have_srtt = 1;
        l->quality.rtt_ms = (uint32_t)(ps.srtt_ms + 0.5);
    }
    update_quality(l);
}

static void send_offer(tl_link *l)
{
    char *sdp = NULL;
    int rc = tl_pc_create_offer(l->pc, &sdp);
    if (rc != TL_OK) {
        fail(l, tl_strerror(rc));
        return;
    }
    log_sdp(l, "signal out: offer", sdp);
    tl_signal_client_send_offer(l->sig, l->group, l->peer, sdp);
    tl_free(sdp);
}

int tl_link_new(tl_link **out, const tl_link_config *cfg, const tl_link_callbacks *cb, void *ud)
{
    tl_link *l = calloc(1, sizeof(*l));
    if (!l)
        return TL_ERR_NOMEM;
    l->loop = cfg->loop;
    l->sig = cfg->sig;
    snprintf(l->group, sizeof(l->group), "%s", cfg->group);
    snprintf(l->peer, sizeof(l->peer), "%s", cfg->peer);
    snprintf(l->subject, sizeof(l->subject), "peer %s", cfg->peer);
    l->offerer = cfg->offerer;
    l->cb = *cb;
    l->ud = ud;
    l->created = tl_loop_now_ms(l->loop);
    l->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 30000;
    tl_backoff_init(&l->backoff,
                    cfg->reconnect_attempts ? cfg->reconnect_attempts : TL_LINK_RECONNECT_ATTEMPTS);
    /* The answerer waits as long as the offerer's whole backoff schedule. */
    l->reconnect_window_ms = TL_LINK_RECONNECT_WINDOW_MS;
    tl_quality_init(&l->quality, 0);
    static const tl_pc_callbacks pcb = {
        .on_local_candidate = pc_candidate,
        .on_gathering_done = pc_gathered,
        .on_state = pc_state,
        .on_datachannel = pc_datachannel,
    };
    int rc = tl_pc_new(&l->pc, l->loop, &cfg->pc, &pcb, l);
    if (rc != TL_OK) {
        free(l);
        return rc;
    }
    if (l->offerer) {
        tl_dc_init init;
        tl_dc_init_default(&init, LINK_LABEL);
        tl_dc *dc = NULL;
        rc = tl_pc_create_dc(l->pc, &init, &dc_callbacks, l, &dc);
        if (rc != TL_OK) {
            tl_pc_free(l->pc);
            free(l);
            return rc;
        }
        adopt_dc(l, dc);
        send_offer(l);
    }
    l->tick_timer = tl_timer_start(l->loop, LINK_TICK_MS, tick, l);
    *out = l;
    return TL_OK;
}

void tl_link_free(tl_link *l)
{
    if (!l)
        return;
    if (l->restart_timer)
        tl_timer_stop(l->restart_timer);
    if (l->tick_timer)
        tl_timer_stop(l->tick_timer);
    tl_pc_free(l->pc);
    free(l);
}

void tl_link_remote_offer(tl_link *l, const char *sdp)
{
    if (l->offerer)
        return;
    log_sdp(l, "signal in: offer", sdp);
    int rc = tl_pc_set_remote_description(l->pc, sdp, TL_SDP_OFFER);
    char *answer = NULL;
    if (rc == TL_OK)
        rc = tl_pc_create_answer(l->pc, &answer);
    if (rc != TL_OK) {
        fail(l, tl_strerror(rc));
        return;
    }
    log_sdp(l, "signal out: answer", answer);
    tl_signal_client_send_answer(l->sig, l->group, l->peer, answer);
    tl_free(answer);
}

void tl_link_remote_answer(tl_link *l, const char *sdp)
{
    if (!l->offerer)
        return;
    log_sdp(l, "signal in: answer", sdp);
    int rc = tl_pc_set_remote_description(l->pc, sdp, TL_SDP_ANSWER);
    if (rc != TL_OK)
        tl_loop_log(l->loop, TL_LOG_WARN, l->subject, "bad answer: %s", tl_strerror(rc));
}

void tl_link_remote_candidate(tl_link *l, const char *cand, const char *mid)
{
    tl_loop_log(l->loop, TL_LOG_DEBUG, l->subject, "signal in: candidate %s", cand);
    int rc = tl_pc_add_remote_candidate(l->pc, cand, mid);
    if (rc != TL_OK)
        tl_loop_log(l->loop, TL_LOG_DEBUG, l->subject, "candidate ignored: %s", tl_strerror(rc));
}

void tl_link_remote_end_of_candidates(tl_link *l)
{
    tl_pc_end_of_remote_candidates(l->pc);
}

int tl_link_send(tl_link *l, const uint8_t *data, size_t len)
{
    if (!l->dc || tl_dc_get_state(l->dc) != TL_DC_OPEN)
        return TL_ERR_STATE;
    return tl_dc_send_binary(l->dc, data, len);
}

int tl_link_writable(const tl_link *l)
{
    return l->state == TL_LINK_OPEN && l->dc && tl_dc_get_state(l->dc) == TL_DC_OPEN &&
           tl_dc_buffered_amount(l->dc) < LINK_HIGH_WATER;
}

void tl_link_rtt(tl_link *l, uint32_t rtt_ms)
{
    if (l->have_srtt) /* the transport's RTT is the better measure */
        tl_quality_activity(&l->quality, tl_loop_now_ms(l->loop));
    else
        tl_quality_rtt(&l->quality, rtt_ms, tl_loop_now_ms(l->loop));
    update_quality(l);
}

tl_link_state tl_link_get_state(const tl_link *l)
{
    return l->state;
}

tl_quality tl_link_quality(const tl_link *l)
{
    return l->quality.current;
}

const char *tl_link_peer(const tl_link *l)
{
    return l->peer;
}

int tl_link_fingerprints(const tl_link *l, uint8_t local[32], uint8_t remote[32])
{
    return tl_pc_fingerprints(l->pc, local, remote);
}

int tl_link_stats(const tl_link *l, tl_pc_stats *out)
{
    if (!l || !l->pc)
        return TL_ERR_STATE;
    return tl_pc_get_stats(l->pc, out);
}
