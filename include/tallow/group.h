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

/* What a sender offers, as the receiver learns it once keyed and before
 * anything is written (on_offer). Strings came from the network and are
 * already escaped (tl_text_sanitize). */
#define TL_GROUP_OFFER_NAMES 8
typedef struct tl_group_offer {
    const char *peer; /* the sender's peer id */
    const char *from; /* its display name (NAME frame), "" if it sent none */
    const char *sas;  /* the short authentication string, "123 456" */
    uint32_t files, folders;
    uint64_t total;                          /* bytes of all files */
    const char *names[TL_GROUP_OFFER_NAMES]; /* top-level names, manifest order */
    uint32_t n_names;                        /* of names[] */
    uint32_t more_names;                     /* top-level names not listed */
} tl_group_offer;

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
    /* The whole job ended: status is the CLI exit status (0, 1, 3,
     * TL_GROUP_STATUS_CANCELLED, TL_GROUP_STATUS_DECLINED, and
     * TL_GROUP_STATUS_NOSPACE for a receiver that refused an offer larger
     * than its free space) and
     * message a one-line summary. */
    void (*on_finished)(void *ud, int status, const char *message);
    /* The peer's display name arrived (inside the encrypted channel, after
     * keying; escaped). Reports about that peer may show it beside its id. */
    void (*on_name)(void *ud, const char *peer, const char *name);
    /* Receiver: the sender's offer, once keyed and before anything is
     * written. When set, the receiver waits for tl_group_receiver_answer()
     * (which may be called from inside this callback); NULL: it proceeds.
     * Asked once per job: a resumed session after a reconnection goes on. */
    void (*on_offer)(void *ud, const tl_group_offer *offer);
    /* The group fingerprint (six words, docs/CRYPTO.md §3): the sender's own
     * once the group exists; a receiver's for the sender it verified, once
     * keyed. The same on the sender and on every recipient keyed to it. */
    void (*on_sender)(void *ud, const char *fingerprint);
    /* Receiver: the offer needs `needed` more bytes than the `available`
     * ones of the file system of path (the output folder), so it was
     * refused before any data; on_finished(4, ...) follows. May be NULL. */
    void (*on_nospace)(void *ud, uint64_t needed, uint64_t available, const char *path);
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
    /* Display name sent to each recipient inside the encrypted channel once
     * keyed (at most 64 bytes are sent; NULL: none). */
    const char *display_name;
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

/* What a recipient is shown when its sender cancels (tl_group_sender_cancel). */
#define TL_GROUP_SENDER_CANCELLED                                                                  \
    "the sender cancelled \xe2\x80\x94 run the same command again to resume"

/* Exit status of a job cancelled by a person (CLI: interrupted, removed by
 * the sender, the sender cancelled, an offer declined); docs/CLI.md. */
#define TL_GROUP_STATUS_CANCELLED 4
/* Exit status of a receive whose offer was declined (nothing written). */
#define TL_GROUP_STATUS_DECLINED 5
/* Exit status of a receive that refused an offer larger than the free space
 * of its output folder's file system (before any data). */
#define TL_GROUP_STATUS_NOSPACE 6

/* ---- statistics (the seed's updateStats / getPeerQuality /
 * getConnectedPeerCount / getPrivacyStats) ---- */

/* One peer as of the call. Strings are static or held here; peer and name
 * came from the network: escape them (tl_text_sanitize) before printing. */
typedef struct tl_group_peer_stats {
    char peer[64];       /* remote peer id */
    char name[64];       /* its display name (NAME frame, escaped), "" until it comes */
    const char *state;   /* link state ("connecting", "connected", ...) or "done"/"failed" */
    const char *quality; /* tl_quality_name() of rtt_ms (thresholds 100/200/500 ms) */
    int connected;       /* 1 while its data channel is open */
    double rtt_ms;       /* SCTP smoothed round-trip time (0: not measured yet); not
                            delayed by queued file data, unlike transfer pings */
    const char *path;    /* "direct", "relayed" (a TURN candidate on either end), or
                            "" before ICE selected a pair */
    const char *local_candidate;  /* selected pair: "host", "srflx", "prflx", "relay", "" */
    const char *remote_candidate; /* the same for the remote end */
    uint64_t bytes;               /* file bytes sent to it (sender) / from it (receiver) */
    uint64_t total;               /* bytes of the whole transfer (0: unknown yet) */
    double rate_bps;              /* current rate, bytes/s (0 after 2 s without progress) */
    uint64_t transport_bytes;     /* data-channel payload bytes both ways */
    uint64_t retransmits;         /* SCTP DATA chunks retransmitted by this process:
                                     usrsctp keeps no per-association count, so with
                                     several peers every row shows the same sum */
} tl_group_peer_stats;

/* The whole group as of the call. */
typedef struct tl_group_stats {
    uint32_t peers;      /* peers known (recipients of the sender, or the one sender) */
    uint32_t connected;  /* of them, with an open data channel */
    uint32_t relayed;    /* of them, connected through a TURN relay */
    int relay_only;      /* ICE restricted to relay candidates (privacy mode) */
    uint64_t bytes;      /* sum of the peers' bytes */
    double rate_bps;     /* sum of the peers' rates */
    uint64_t limit;      /* sender: total limit in bytes/s (0: none) */
    uint64_t peer_limit; /* sender: per-recipient limit in bytes/s (0: none) */
} tl_group_stats;

/* Fills *total (may be NULL) and up to cap entries of peers (may be NULL
 * with cap 0); returns the number of peers, which may exceed cap. Finished
 * recipients stay listed until they are released (a few seconds). */
size_t tl_group_sender_stats(const tl_group_sender *s, tl_group_stats *total,
                             tl_group_peer_stats *peers, size_t cap);

/* ---- control of a running send (the seed's disconnectPeer,
 * setBandwidthLimit, invitations) ---- */

/* Removes one recipient: its session ends with a CANCEL saying "removed by
 * the sender" (it keeps what it verified, so running it again resumes), and
 * it no longer counts towards `expect` (a dropped recipient is neither
 * verified nor failed). Returns TL_OK, TL_ERR_NOT_FOUND (no such active
 * recipient), TL_ERR_INVALID_ARG. */
int tl_group_sender_drop(tl_group_sender *s, const char *peer);

/* Changes the total and per-recipient rate limits (bytes/s, 0: none) while
 * sending; every current and later recipient follows them from now on.
 * Returns TL_OK, TL_ERR_NOMEM. */
int tl_group_sender_set_limits(tl_group_sender *s, uint64_t limit, uint64_t peer_limit);

/* Invites one more registered device by name (as --to does at the start);
 * it counts towards `expect` like the first ones. An unregistered name is
 * asked for again every second. Returns TL_OK, TL_ERR_STATE (the group is
 * not created yet, or the job is over), TL_ERR_INVALID_ARG (empty or longer
 * than 63 bytes), TL_ERR_NOMEM. */
int tl_group_sender_invite(tl_group_sender *s, const char *name);

/* Ends the whole send at once (e.g. on SIGINT): every recipient's session
 * ends with a CANCEL saying TL_GROUP_SENDER_CANCELLED (they stop at once
 * and keep their partial files), nobody new is admitted, the session file
 * is kept so running the same send again resumes, and on_finished reports
 * status/message after a short linger that lets the CANCELs leave (none
 * when no recipient is connected). Returns TL_OK or TL_ERR_STATE (the job
 * was already decided). */
int tl_group_sender_cancel(tl_group_sender *s, int status, const char *message);

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
    /* Display name sent to the sender inside the encrypted channel once
     * keyed (NULL: none). Independent of `name` (the registered device). */
    const char *display_name;
} tl_group_receiver_config;

int tl_group_receiver_new(tl_group_receiver **out, tl_loop *loop,
                          const tl_group_receiver_config *cfg, const tl_group_callbacks *cb,
                          void *ud);
void tl_group_receiver_free(tl_group_receiver *r);

/* Leaves at once (e.g. on SIGINT): the session ends with a CANCEL ("cancelled
 * by the receiver"), the group is left on the signaling server (the sender
 * sees the recipient leave), partial files stay for a resume, and
 * on_finished reports status/message after a short linger. Returns TL_OK or
 * TL_ERR_STATE (already decided). */
int tl_group_receiver_cancel(tl_group_receiver *r, int status, const char *message);

/* Answers the pending offer (on_offer): accept lets the transfer start;
 * decline ends the session with a CANCEL ("declined by the receiver"),
 * writes nothing, and on_finished reports TL_GROUP_STATUS_DECLINED.
 * Returns TL_OK or TL_ERR_STATE (no offer pending). */
int tl_group_receiver_answer(tl_group_receiver *r, int accept);

/* The receiver's view of its sender: as tl_group_sender_stats (one peer at
 * most; limits 0). */
size_t tl_group_receiver_stats(const tl_group_receiver *r, tl_group_stats *total,
                               tl_group_peer_stats *peers, size_t cap);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
