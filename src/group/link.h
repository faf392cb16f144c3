/* Internal: one peer link of the peer manager — a tl_pc with its single
 * reliable ordered "tallow" data channel, wired to the signaling client for
 * offer/answer/candidates, with reconnection by ICE restart (backoff 1 s, 2 s,
 * 5 s, ... from transfer.h's tl_backoff), quality tracking (tl_quality_*) and
 * per-peer stats. The offerer (the file sender) drives ICE restarts; the
 * answerer follows the restart offers it receives.
 *
 * Everything runs on the loop thread. Callbacks may call tl_link_send() but
 * must not free the link; free it from outside callbacks (e.g. a posted task). */
#ifndef TL_GROUP_LINK_H
#define TL_GROUP_LINK_H

#include "tallow/rtc.h"
#include "tallow/signal.h"
#include "tallow/transfer.h"

typedef struct tl_link tl_link;

/* Default reconnection budget: ICE restarts after 1 s, 2 s, then every 5 s,
 * 8 attempts (about 33 s of outage survived); the answerer gives up a little
 * after the offerer would. Transfer sessions use an idle timeout above this
 * so a session outlives the outage (see gsend.c / grecv.c). */
#define TL_LINK_RECONNECT_ATTEMPTS 8
#define TL_LINK_RECONNECT_WINDOW_MS 45000
#define TL_LINK_SESSION_IDLE_MS 60000

typedef enum {
    TL_LINK_CONNECTING = 0, /* offer/answer and ICE/DTLS/SCTP under way */
    TL_LINK_OPEN,           /* data channel open */
    TL_LINK_RECONNECTING,   /* connection lost; ICE restarts under way */
    TL_LINK_FAILED,         /* gave up after the last attempt */
    TL_LINK_CLOSED,
} tl_link_state;

const char *tl_link_state_name(tl_link_state s);

typedef struct tl_link_config {
    tl_loop *loop;
    tl_signal_client *sig; /* borrowed */
    const char *group;     /* copied */
    const char *peer;      /* remote peer id, copied */
    int offerer;
    tl_pc_config pc;             /* copied shallowly: strings must outlive the link */
    uint32_t reconnect_attempts; /* 0: TL_LINK_RECONNECT_ATTEMPTS */
    uint32_t connect_timeout_ms; /* initial connection deadline; 0: 30000 */
} tl_link_config;

typedef struct tl_link_callbacks {
    void (*on_open)(tl_link *l, void *ud); /* channel open (once) */
    void (*on_message)(tl_link *l, const uint8_t *data, size_t len, void *ud);
    void (*on_writable)(tl_link *l, void *ud); /* buffered amount fell low */
    void (*on_state)(tl_link *l, tl_link_state st, void *ud);
    void (*on_quality)(tl_link *l, tl_quality q, void *ud);
} tl_link_callbacks;

/* Creates the link; the offerer sends its offer at once. Returns TL_OK,
 * TL_ERR_NOMEM or an error of tl_pc_new/tl_pc_create_offer. */
int tl_link_new(tl_link **out, const tl_link_config *cfg, const tl_link_callbacks *cb, void *ud);
void tl_link_free(tl_link *l);

/* Signaling input for this peer. */
void tl_link_remote_offer(tl_link *l, const char *sdp);
void tl_link_remote_answer(tl_link *l, const char *sdp);
void tl_link_remote_candidate(tl_link *l, const char *cand, const char *mid);
void tl_link_remote_end_of_candidates(tl_link *l);

/* Sends one binary message. Returns TL_OK, TL_ERR_STATE (not open),
 * TL_ERR_TOO_BIG. */
int tl_link_send(tl_link *l, const uint8_t *data, size_t len);

/* 1 when the channel is open and its buffered amount is under the high-water
 * mark (then a send will not grow memory beyond it). */
int tl_link_writable(const tl_link *l);

/* Feeds an RTT measured above (transfer ping/pong) into the quality tracker. */
void tl_link_rtt(tl_link *l, uint32_t rtt_ms);

tl_link_state tl_link_get_state(const tl_link *l);
tl_quality tl_link_quality(const tl_link *l);
const char *tl_link_peer(const tl_link *l);
int tl_link_fingerprints(const tl_link *l, uint8_t local[32], uint8_t remote[32]);
int tl_link_stats(const tl_link *l, tl_pc_stats *out);

#endif
