/* Per-peer statistics of the group sender and receiver (group.h
 * tl_group_*_stats): one peer's row from its link (SCTP smoothed RTT,
 * selected candidate pair, transport bytes) and its transfer progress. */
#include <stdio.h>
#include <string.h>

#include "group/group_internal.h"

/* A rate is stale when nothing moved for this long. */
#define RATE_STALE_MS 2000

static const char *cand_name(tl_cand_type t)
{
    return t == TL_CAND_UNKNOWN ? "" : tl_cand_type_name(t);
}

void tl_gstats_peer(tl_group_peer_stats *o, const char *peer, const char *name, const tl_link *link,
                    const tl_gprogress *prog, const char *done_state, uint64_t now)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->peer, sizeof(o->peer), "%s", peer ? peer : "");
    snprintf(o->name, sizeof(o->name), "%s", name ? name : "");
    o->path = o->local_candidate = o->remote_candidate = "";
    o->state = done_state ? done_state : "disconnected";
    o->quality = tl_quality_name(TL_QUALITY_DISCONNECTED);
    if (prog) {
        o->bytes = prog->bytes;
        o->total = prog->total;
        o->rate_bps = now - prog->last_t > RATE_STALE_MS ? 0 : prog->rate;
    }
    if (!link)
        return;
    tl_pc_stats ps;
    if (tl_link_stats(link, &ps) != TL_OK)
        return;
    tl_link_state st = tl_link_get_state(link);
    if (!done_state)
        o->state = tl_link_state_name(st);
    o->connected = st == TL_LINK_OPEN;
    o->quality = tl_quality_name(tl_link_quality(link));
    o->rtt_ms = ps.srtt_ms;
    o->transport_bytes = ps.bytes_sent + ps.bytes_received;
    o->retransmits = ps.retransmissions;
    if (ps.pair_selected) {
        o->local_candidate = cand_name(ps.local_type);
        o->remote_candidate = cand_name(ps.remote_type);
        o->path = ps.local_type == TL_CAND_RELAY || ps.remote_type == TL_CAND_RELAY ? "relayed"
                                                                                    : "direct";
    }
}

void tl_gstats_add(tl_group_stats *t, const tl_group_peer_stats *p)
{
    t->peers++;
    t->connected += p->connected != 0;
    t->relayed += p->connected && !strcmp(p->path, "relayed");
    t->bytes += p->bytes;
    t->rate_bps += p->rate_bps;
}
