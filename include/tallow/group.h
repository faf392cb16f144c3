/* tallow — group transfer: one sender, many recipients (the seed's
 * GroupTransferManager + DataChannelManager), built from the signaling client
 * (signal.h), one peer connection per recipient (rtc.h), the hybrid handshake
 * and chunk sealing (handshake.h, chunk.h) and the transfer protocol
 * (transfer.h).
 *
 * Threading: see loop.h. Both objects run on their loop; callbacks run on the
 * loop thread. Do not free an object from inside its own callback: post a task
 * or stop the loop and free it afterwards. */
#ifndef TALLOW_GROUP_H
#define TALLOW_GROUP_H

#include "tallow/common.h"
#include "tallow/loop.h"
#include "tallow/rtc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

/* Progress and state reports, shared by sender and receiver. peer is the
 * remote peer id (the receiver reports about its sender). */
typedef struct tl_group_callbacks {
    /* Sender: the join code exists (show it to the recipients). */
    void (*on_code)(void *ud, const char *code);
    /* A peer changed state ("joined", "connecting", "connected", "keyed",
     * "reconnecting", "disconnected", "failed") or quality; sas is set once keyed. */
    void (*on_peer)(void *ud, const char *peer, const char *state, const char *quality,
                    const char *sas);
    void (*on_progress)(void *ud, const char *peer, uint64_t bytes, uint64_t total,
                        double rate_bps);
    /* Sender: one per recipient session. error is NULL when ok. */
    void (*on_result)(void *ud, const char *peer, int ok, const char *error, uint64_t bytes_sent);
    /* Receiver: one per file verified and in place (path relative to out). */
    void (*on_file)(void *ud, const char *path, uint64_t size, const uint8_t sha256[32]);
    /* The whole job ended: status is the CLI exit status (0, 1, 3) and
     * message a one-line summary. */
    void (*on_finished)(void *ud, int status, const char *message);
    /* The group fingerprint (six words, docs/CRYPTO.md §3): the sender's own
     * once the group exists; a receiver's for the sender it verified, once
     * keyed. The same on the sender and on every recipient keyed to it. */
    void (*on_sender)(void *ud, const char *fingerprint);
} tl_group_callbacks;

/* Network options common to both sides. */
typedef struct tl_group_net {
    const char *const *bind; /* local addresses/interfaces for ICE (NULL: all) */
    size_t n_bind;
    const tl_ice_server *ice_servers;
    size_t n_ice_servers;
    int relay_only;
    const char *ca_file;       /* wss signaling: trust this PEM file instead of the system store */
    int insecure;              /* wss signaling: do not verify the server's certificate */
    uint32_t stall_timeout_ms; /* transfer.h stall_timeout_ms (0: twice the session idle timeout) */
} tl_group_net;

typedef struct tl_group_sender tl_group_sender;

typedef struct tl_group_sender_config {
    const char *const *paths; /* files and folders to send */
    size_t n_paths;
    const char *signal_url; /* NULL: embed a signaling server on listen */
    const char *listen;     /* embedded server address; NULL: every interface, the code
                               carrying the default-route interface's address (loopback
                               on a machine without a network); see docs/CLI.md */
    const char *const *to;  /* device names to invite (may be empty) */
    size_t n_to;
    uint32_t expect;     /* finish after this many verified recipients */
    uint64_t limit;      /* total bytes/s shared fairly (0: none) */
    uint64_t peer_limit; /* per-recipient bytes/s (0: none) */
    uint32_t chunk_size; /* 0: default */
    uint32_t reconnect_attempts;
    const char *session_file; /* keeps group + secret so a re-run resumes */
    uint32_t max_failed_keys; /* after this many recipients connected but failed the key
                                 exchange (wrong code, or someone testing guesses of it
                                 one handshake at a time), admit nobody new; 0: 16 */
    tl_group_net net;
    /* With the embedded server: hand net.ice_servers' URLs to every client
     * (this sender included) with per-client TURN REST credentials made
     * from this secret (coturn's static-auth-secret), valid turn_ttl_s
     * (0: 12 h). NULL: each side uses its own net.ice_servers. */
    const char *turn_secret;
    uint32_t turn_ttl_s;
    /* on_code gets the long code: the short one plus a 160-bit commitment
     * to the sender identity, which receivers then check automatically. */
    int long_code;
} tl_group_sender_config;

/* Hashes the sources, starts signaling and waits for recipients. Returns
 * TL_OK, TL_ERR_NOT_FOUND/TL_ERR_PERM/TL_ERR_IO (a source), TL_ERR_IO (cannot
 * listen / connect), TL_ERR_INVALID_ARG, TL_ERR_NOMEM. */
int tl_group_sender_new(tl_group_sender **out, tl_loop *loop, const tl_group_sender_config *cfg,
                        const tl_group_callbacks *cb, void *ud);
void tl_group_sender_free(tl_group_sender *s);

/* The interface whose address the join code carries when the embedded server
 * listens on every interface ("" otherwise: an explicit address, loopback,
 * or a separate signaling server). */
const char *tl_group_sender_interface(const tl_group_sender *s);

/* The group fingerprint: six words every recipient shows for the sender it
 * is keyed to ("" before the sender exists). */
const char *tl_group_sender_fingerprint(const tl_group_sender *s);

typedef struct tl_group_receiver tl_group_receiver;

typedef struct tl_group_receiver_config {
    const char *code;                /* join code, or NULL to wait for an invitation */
    const char *name;                /* device name to register (invitations) */
    const char *signal_url;          /* overrides the code's location */
    const char *fallback_signal_url; /* used when neither signal_url nor the code
                                        names a server (TALLOW_SIGNAL, config file) */
    int accept;                      /* accept invitations without asking */
    /* The group fingerprint the sender shows (six words): a sender with
     * another identity is refused (TL_ERR_IDENTITY). NULL: shown, not
     * checked, unless the code is a long one (its commitment is checked). */
    const char *sender_fingerprint;
    const char *out_dir; /* default "." */
    int overwrite;
    tl_group_net net;
} tl_group_receiver_config;

int tl_group_receiver_new(tl_group_receiver **out, tl_loop *loop,
                          const tl_group_receiver_config *cfg, const tl_group_callbacks *cb,
                          void *ud);
void tl_group_receiver_free(tl_group_receiver *r);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
