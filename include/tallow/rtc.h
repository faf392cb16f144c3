/* tallow — WebRTC data channels (RTCPeerConnection / RTCDataChannel model).
 *
 * Data-channel-only: ICE (libnice) -> DTLS 1.2 (OpenSSL) -> SCTP (usrsctp,
 * AF_CONN) -> DCEP (RFC 8832). See docs/ARCHITECTURE.md.
 *
 * Threading: see tallow/loop.h. Every function here must be called on the
 * thread running the loop the peer connection was created on; every callback
 * runs on that thread. All functions may be called from inside callbacks,
 * including tl_pc_free() on the connection that is calling back: the
 * connection is then closed at once and its memory released after the
 * callback returns (no further callbacks are made for it).
 *
 * Ownership: a tl_dc belongs to its tl_pc. It stays valid (for reading label,
 * id, state) until tl_pc_free(), even after it closes. */
#ifndef TALLOW_RTC_H
#define TALLOW_RTC_H

#include "tallow/common.h"
#include "tallow/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

typedef struct tl_pc tl_pc;
typedef struct tl_dc tl_dc;
typedef struct tl_cert tl_cert;

#define TL_FINGERPRINT_LEN 32 /* SHA-256 of the DER certificate */
#define TL_DEFAULT_MAX_MESSAGE_SIZE 262144

typedef enum {
    TL_PC_NEW = 0,
    TL_PC_CONNECTING,
    TL_PC_CONNECTED, /* ICE + DTLS + SCTP up: channels can open */
    TL_PC_DISCONNECTED,
    TL_PC_FAILED,
    TL_PC_CLOSING,
    TL_PC_CLOSED,
} tl_pc_state;

const char *tl_pc_state_name(tl_pc_state s);

typedef enum {
    TL_CAND_HOST = 0,
    TL_CAND_SRFLX,
    TL_CAND_PRFLX,
    TL_CAND_RELAY,
    TL_CAND_UNKNOWN,
} tl_cand_type;

const char *tl_cand_type_name(tl_cand_type t);

typedef enum {
    TL_SDP_OFFER = 0,
    TL_SDP_ANSWER = 1,
} tl_sdp_type;

typedef struct tl_ice_server {
    /* "stun:HOST[:PORT]", "turn:HOST[:PORT][?transport=udp|tcp]" */
    const char *url;
    const char *username;   /* TURN only */
    const char *credential; /* TURN only */
} tl_ice_server;

typedef struct tl_pc_config {
    const tl_ice_server *ice_servers;
    size_t n_ice_servers;
    /* iceTransportPolicy "relay": gather, emit and pair relay candidates only;
     * remote non-relay candidates are dropped. */
    int relay_only;
    /* Local addresses or interface names to gather host candidates on.
     * n_allowed == 0 means every interface. Tests use "127.0.0.1" or a
     * namespace's veth. */
    const char *const *allowed;
    size_t n_allowed;
    uint16_t port_min, port_max; /* 0,0: any port */
    /* Our a=max-message-size; 0 means TL_DEFAULT_MAX_MESSAGE_SIZE. */
    size_t max_message_size;
    /* Certificate to use; NULL generates a fresh ECDSA P-256 one for this
     * connection. A shared tl_cert must outlive the connection. */
    tl_cert *cert;
} tl_pc_config;

typedef struct tl_pc_callbacks {
    /* A local ICE candidate: SDP attribute value without "a=" (it starts
     * with "candidate:"), and the media id it belongs to. */
    void (*on_local_candidate)(tl_pc *pc, const char *candidate, const char *mid, void *ud);
    /* Gathering finished (send end-of-candidates). */
    void (*on_gathering_done)(tl_pc *pc, void *ud);
    void (*on_state)(tl_pc *pc, tl_pc_state state, void *ud);
    /* The far side opened a channel. Set its callbacks with
     * tl_dc_set_callbacks() before returning or its first messages are lost. */
    void (*on_datachannel)(tl_pc *pc, tl_dc *dc, void *ud);
} tl_pc_callbacks;

/* Certificates: ECDSA P-256, self-signed. */
int tl_cert_new(tl_cert **out);
void tl_cert_free(tl_cert *cert);
/* SHA-256 fingerprint of the certificate's DER encoding. */
void tl_cert_fingerprint(const tl_cert *cert, uint8_t fp[TL_FINGERPRINT_LEN]);

/* Creates a peer connection in state TL_PC_NEW. cfg and callbacks are copied
 * (strings included). Returns TL_OK, TL_ERR_INVALID_ARG (bad URL, bad port
 * range), TL_ERR_NOMEM or TL_ERR_CRYPTO. */
int tl_pc_new(tl_pc **out, tl_loop *loop, const tl_pc_config *cfg, const tl_pc_callbacks *cb,
              void *ud);

/* Closes (if not closed) and frees. Safe inside callbacks (see above). */
void tl_pc_free(tl_pc *pc);

/* Creates an offer and applies it as the local description; starts
 * gathering. *sdp receives a string to release with tl_free(). Returns TL_OK,
 * TL_ERR_STATE, TL_ERR_NOMEM. */
int tl_pc_create_offer(tl_pc *pc, char **sdp);

/* Creates the answer to the remote offer and applies it as the local
 * description. Same returns as tl_pc_create_offer(). */
int tl_pc_create_answer(tl_pc *pc, char **sdp);

/* Applies a remote description. Returns TL_OK, TL_ERR_PARSE (with the reason
 * logged), TL_ERR_UNSUPPORTED (no application/webrtc-datachannel section),
 * TL_ERR_STATE. */
int tl_pc_set_remote_description(tl_pc *pc, const char *sdp, tl_sdp_type type);

/* Adds a trickled remote candidate ("candidate:..." with or without "a=").
 * In relay-only mode a non-relay candidate is dropped and TL_OK returned.
 * Returns TL_OK, TL_ERR_PARSE, TL_ERR_STATE. */
int tl_pc_add_remote_candidate(tl_pc *pc, const char *candidate, const char *mid);

/* The far side has no more candidates. */
int tl_pc_end_of_remote_candidates(tl_pc *pc);

/* Marks the connection for ICE restart: the next tl_pc_create_offer() has new
 * ICE credentials; the DTLS and SCTP associations and all channels survive.
 * Returns TL_OK or TL_ERR_STATE. */
int tl_pc_restart_ice(tl_pc *pc);

/* Closes every channel and the transports; state goes to TL_PC_CLOSED. */
int tl_pc_close(tl_pc *pc);

tl_pc_state tl_pc_get_state(const tl_pc *pc);

/* DTLS certificate fingerprints (channel binding for the key exchange).
 * remote is only valid once the remote description is set. Returns TL_OK or
 * TL_ERR_STATE. */
int tl_pc_fingerprints(const tl_pc *pc, uint8_t local[TL_FINGERPRINT_LEN],
                       uint8_t remote[TL_FINGERPRINT_LEN]);

typedef struct tl_pc_stats {
    tl_pc_state state;
    uint64_t bytes_sent, bytes_received;       /* data-channel payload bytes */
    uint64_t messages_sent, messages_received; /* data-channel messages */
    double srtt_ms;                            /* SCTP smoothed RTT, 0 if unknown */
    uint64_t retransmissions;                  /* SCTP retransmitted DATA chunks, process-wide
                                                  (usrsctp has no per-association count) */
    int pair_selected;                         /* 1 once ICE selected a pair */
    tl_cand_type local_type, remote_type;      /* of the selected pair */
} tl_pc_stats;

int tl_pc_get_stats(const tl_pc *pc, tl_pc_stats *out);

/* ---- data channels ---- */

typedef enum {
    TL_DC_CONNECTING = 0,
    TL_DC_OPEN,
    TL_DC_CLOSING,
    TL_DC_CLOSED,
} tl_dc_state;

typedef struct tl_dc_init {
    const char *label;    /* may be NULL (empty) */
    const char *protocol; /* may be NULL (empty) */
    int unordered;
    int max_retransmits;         /* -1: not set */
    int max_packet_life_time_ms; /* -1: not set; at most one of the two */
    int negotiated;              /* pre-negotiated: no DCEP, both sides create id */
    uint16_t id;                 /* only with negotiated */
} tl_dc_init;

/* Fills *init with a reliable ordered channel named label. */
void tl_dc_init_default(tl_dc_init *init, const char *label);

typedef struct tl_dc_callbacks {
    void (*on_open)(tl_dc *dc, void *ud);
    void (*on_close)(tl_dc *dc, void *ud);
    void (*on_binary)(tl_dc *dc, const uint8_t *data, size_t len, void *ud);
    void (*on_text)(tl_dc *dc, const char *text, size_t len, void *ud);
    /* bufferedAmount fell to or below the low threshold. */
    void (*on_buffered_amount_low)(tl_dc *dc, void *ud);
    void (*on_error)(tl_dc *dc, int err, void *ud);
} tl_dc_callbacks;

/* Creates a channel. It opens (on_open) once the connection is up and DCEP
 * is acknowledged (or at once for negotiated channels). Can be called before
 * the offer is created. Returns TL_OK, TL_ERR_INVALID_ARG, TL_ERR_LIMIT (no
 * stream id left), TL_ERR_STATE (closed). */
int tl_pc_create_dc(tl_pc *pc, const tl_dc_init *init, const tl_dc_callbacks *cb, void *ud,
                    tl_dc **out);

void tl_dc_set_callbacks(tl_dc *dc, const tl_dc_callbacks *cb, void *ud);

/* Queues a message. Returns TL_OK, TL_ERR_STATE (not open), TL_ERR_TOO_BIG
 * (above the remote a=max-message-size). The message is copied; memory grows
 * with bufferedAmount, which callers bound with the low-threshold callback. */
int tl_dc_send_binary(tl_dc *dc, const void *data, size_t len);
int tl_dc_send_text(tl_dc *dc, const char *text, size_t len);

/* Bytes queued but not yet handed to SCTP. */
size_t tl_dc_buffered_amount(const tl_dc *dc);
void tl_dc_set_buffered_amount_low_threshold(tl_dc *dc, size_t threshold);

/* Closes with an SCTP stream reset (RFC 8831 §6.7); on_close follows. */
int tl_dc_close(tl_dc *dc);

tl_dc_state tl_dc_get_state(const tl_dc *dc);
const char *tl_dc_label(const tl_dc *dc);
const char *tl_dc_protocol(const tl_dc *dc);
uint16_t tl_dc_id(const tl_dc *dc);
tl_pc *tl_dc_pc(const tl_dc *dc);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
