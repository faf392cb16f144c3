/* Internal helpers shared by the group sender and receiver. */
#ifndef TL_GROUP_INTERNAL_H
#define TL_GROUP_INTERNAL_H

#include <openssl/crypto.h>

#include "group/link.h"
#include "tallow/group.h"
#include "tallow/signal.h"
#include "tallow/transfer.h"

#define GROUP_LINGER_MS 1500
#define GROUP_MAX_RELINKS 3 /* new connections per recipient after losing one */

/* The outcome of a send or receive job: decided once, reported through
 * on_finished after delay_ms (a linger that lets the last frames queued to
 * peers leave before the caller tears everything down). */
typedef struct tl_gjob {
    tl_loop *loop;
    const tl_group_callbacks *cb;
    void *ud;
    int decided;
    int status;
    char msg[200];
    tl_timer *timer;
} tl_gjob;

/* Records the outcome (first call wins) and reports it after delay_ms. */
void tl_gjob_decide(tl_gjob *j, int status, const char *msg, uint32_t delay_ms);
/* Cancels a pending report (the job is being freed). */
void tl_gjob_cancel(tl_gjob *j);

/* Progress with a smoothed rate, reported at most every `every_ms`. */
typedef struct tl_gprogress {
    uint64_t bytes, total;
    uint64_t last_bytes, last_t, last_emit;
    double rate; /* bytes/s, exponentially smoothed */
} tl_gprogress;

/* Records a progress sample; returns 1 when it should be reported now. */
int tl_gprogress_update(tl_gprogress *p, uint64_t bytes, uint64_t total, uint64_t now,
                        uint32_t every_ms);

/* Fills a link configuration from the shared network options. */
void tl_gnet_link_config(tl_link_config *lc, tl_loop *loop, tl_signal_client *sig,
                         const char *group, const char *peer, int offerer, const tl_group_net *net);

/* What the embedded server hands out and reports (tl_gsignal_start). */
typedef struct tl_gsignal_serve {
    const char *const *ice_urls; /* STUN/TURN URLs for every client (SIGNALING.md §2) */
    size_t n_ice_urls;
    const char *turn_secret; /* TURN REST API secret for the turn: URLs */
    uint32_t turn_ttl_s;
    char iface[64]; /* out: interface whose address the location carries ("" if none) */
} tl_gsignal_serve;

/* Starts signaling: with url == NULL an embedded server and a client
 * connected to it; location receives the URL recipients should use. The
 * embedded server listens on `listen`; NULL means every interface, with the
 * location carrying the address of the default-route interface (loopback on
 * a machine without one); a wildcard host (0.0.0.0, [::]) advertises that
 * address too, never the wildcard. name: device name to register (may be
 * NULL). A wss server's certificate is verified as net->ca_file /
 * net->insecure say. serve: may be NULL. Returns TL_OK or TL_ERR_IO /
 * TL_ERR_NOMEM / TL_ERR_INVALID_ARG. */
int tl_gsignal_start(tl_loop *loop, const char *url, const char *listen, tl_signal_server **server,
                     tl_signal_client **client, char *location, size_t location_len,
                     const tl_signal_callbacks *cb, void *ud, const char *name,
                     const tl_group_net *net, tl_gsignal_serve *serve);

/* Creates the group, or re-creates the one saved in session_file (so a
 * re-run of the same send keeps its join code and recipients can resume). */
int tl_gsession_create_group(tl_signal_client *sig, const char *session_file, const char *location);
/* Saves the join code to session_file (mode 0600); no-op when NULL. */
void tl_gsession_save(const char *session_file, const char *code,
                      const uint8_t seed[TL_HS_IDENTITY_SEED_LEN]);
/* The sender identity's seed kept in the session file: TL_OK, or
 * TL_ERR_NOT_FOUND (no file, or a file from before identities). */
int tl_gsession_identity(const char *session_file, uint8_t seed[TL_HS_IDENTITY_SEED_LEN]);

/* With no --bind and a signaling location on loopback, every peer is on
 * this machine: restrict ICE to 127.0.0.1 so nothing else is gathered. */
void tl_gnet_default_bind(tl_group_net *net, const char *location);

/* Last path component of path (without trailing slashes) into name. */

/* Test hook: TALLOW_TEST_SEND_NAME renames the first manifest entry (so the
 * hostile-name tests can make a sender advertise a bad name). */
void tl_gtest_rename_first(tl_xfer_manifest *m);

/* gstats.c: one peer's statistics from its link (NULL: none now) and
 * progress (may be NULL); done_state overrides the link state ("done",
 * "failed"). */
void tl_gstats_peer(tl_group_peer_stats *o, const char *peer, const char *name, const tl_link *link,
                    const tl_gprogress *prog, const char *done_state, uint64_t now);
/* Adds one peer to the totals. */
void tl_gstats_add(tl_group_stats *t, const tl_group_peer_stats *p);

#endif
