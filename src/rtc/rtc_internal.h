/* Internal: the transport layers behind tl_pc, bottom to top.
 *
 *   ice.c   libnice agent, one stream / one component, UDP
 *   dtls.c  OpenSSL DTLS 1.2 (client or server) over the ICE component
 *   sctp.c  usrsctp AF_CONN association over DTLS application data
 *   dc.c    data channels (DCEP, queues, bufferedAmount) over SCTP streams
 *   pc.c    tl_pc: offer/answer, state machine, glue
 *
 * Each layer has new / input (bytes from below) / send (bytes from above) /
 * close, and reports upward through a callback struct with one user pointer.
 * A layer never calls the layer above except through those callbacks, and
 * never frees itself from inside one of its own callbacks: the owner (pc.c)
 * frees layers outside of any callback (deferred free). Everything runs on
 * the loop thread of the owning tl_pc. */
#ifndef TL_RTC_INTERNAL_H
#define TL_RTC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rtc/sdp.h"
#include "tallow/rtc.h"

/* ---- cert.c ---- */
struct tl_cert {
    EVP_PKEY *key;
    X509 *x509;
    uint8_t fp[TL_FINGERPRINT_LEN];
};

/* ---- ice.c ---- */
typedef struct tl_ice tl_ice;

typedef enum {
    TL_ICE_NEW = 0,
    TL_ICE_CHECKING,
    TL_ICE_CONNECTED, /* a pair is selected and usable */
    TL_ICE_DISCONNECTED,
    TL_ICE_FAILED,
} tl_ice_state;

typedef struct tl_ice_cb {
    /* A local candidate that passed the policy filter (never host/srflx in
     * relay-only mode). */
    void (*on_candidate)(void *ud, const tl_sdp_candidate *c);
    void (*on_gathering_done)(void *ud);
    void (*on_state)(void *ud, tl_ice_state st);
    /* One received datagram (DTLS records). */
    void (*on_recv)(void *ud, const uint8_t *buf, size_t len);
} tl_ice_cb;

int tl_ice_new(tl_ice **out, tl_loop *loop, const tl_pc_config *cfg, const char *subject,
               const tl_ice_cb *cb, void *ud);
void tl_ice_free(tl_ice *ice);
void tl_ice_set_controlling(tl_ice *ice, int controlling);
/* Starts gathering (once; later calls are no-ops). */
int tl_ice_gather(tl_ice *ice);
int tl_ice_gathering_done(const tl_ice *ice);
/* Local credentials (NUL-terminated, valid until the next restart). */
void tl_ice_local_credentials(const tl_ice *ice, char ufrag[257], char pwd[257]);
/* Remote credentials; a change from the previous ones is an ICE restart by
 * the far side. Returns TL_OK or TL_ERR_INVALID_ARG. */
int tl_ice_set_remote_credentials(tl_ice *ice, const char *ufrag, const char *pwd);
/* 1 if remote credentials were set before and these differ (a restart). */
int tl_ice_remote_changed(const tl_ice *ice, const char *ufrag, const char *pwd);
/* Adds a remote candidate; non-relay ones are dropped in relay-only mode,
 * mDNS names are dropped (not resolved). Returns TL_OK. */
int tl_ice_add_remote_candidate(tl_ice *ice, const tl_sdp_candidate *c);
void tl_ice_end_of_remote_candidates(tl_ice *ice);
/* Local candidates gathered so far (filtered), for SDP. Returns the count. */
size_t tl_ice_local_candidates(const tl_ice *ice, tl_sdp_candidate *out, size_t cap);
/* ICE restart: new local credentials, remote candidates cleared; the
 * selected pair keeps carrying data until a new one is chosen. */
int tl_ice_restart(tl_ice *ice);
/* Queues one datagram for the selected pair (sent by tl_ice_flush(), at the
 * latest on the next loop iteration). Returns TL_OK or TL_ERR_AGAIN. */
int tl_ice_send(tl_ice *ice, const uint8_t *buf, size_t len);
/* Sends the queued datagrams (one sendmmsg()). */
void tl_ice_flush(tl_ice *ice);
int tl_ice_selected_types(const tl_ice *ice, tl_cand_type *local, tl_cand_type *remote);

/* ---- dtls.c ---- */
typedef struct tl_dtls tl_dtls;

typedef struct tl_dtls_cb {
    /* A datagram to put on the wire (ICE). */
    void (*send)(void *ud, const uint8_t *buf, size_t len);
    /* Handshake done and the peer's fingerprint verified. */
    void (*on_connected)(void *ud);
    /* Decrypted application data (one SCTP packet). */
    void (*on_data)(void *ud, const uint8_t *buf, size_t len);
    /* Handshake failure, fingerprint mismatch (err TL_ERR_AUTH), fatal
     * alert, or close_notify from the peer (err TL_ERR_CLOSED). */
    void (*on_failed)(void *ud, int err);
} tl_dtls_cb;

int tl_dtls_new(tl_dtls **out, tl_loop *loop, const tl_cert *cert, int is_client,
                const uint8_t remote_fp[TL_FINGERPRINT_LEN], const char *subject,
                const tl_dtls_cb *cb, void *ud);
void tl_dtls_free(tl_dtls *d);
/* Client: sends the ClientHello; server: waits. */
int tl_dtls_start(tl_dtls *d);
/* A datagram from ICE. */
void tl_dtls_input(tl_dtls *d, const uint8_t *buf, size_t len);
/* Encrypts one record. Returns TL_OK, TL_ERR_STATE (not connected),
 * TL_ERR_CRYPTO. */
int tl_dtls_send(tl_dtls *d, const uint8_t *buf, size_t len);
/* Sends close_notify (if connected). */
void tl_dtls_close(tl_dtls *d);
int tl_dtls_connected(const tl_dtls *d);

/* ---- sctp.c ---- */
typedef struct tl_sctp tl_sctp;

typedef struct tl_sctp_cb {
    /* One SCTP packet for DTLS. */
    void (*send)(void *ud, const uint8_t *buf, size_t len);
    void (*on_connected)(void *ud);
    /* A complete message (reassembled). */
    void (*on_message)(void *ud, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len);
    /* Send buffer space became available. */
    void (*on_writable)(void *ud);
    /* The peer reset its outgoing stream sid (incoming for us). */
    void (*on_stream_reset)(void *ud, uint16_t sid);
    /* Association lost or shut down. */
    void (*on_closed)(void *ud);
} tl_sctp_cb;

typedef struct tl_sctp_sendinfo {
    uint16_t sid;
    uint32_t ppid;
    int unordered;
    int pr_policy; /* 0, SCTP_PR_SCTP_RTX or SCTP_PR_SCTP_TTL */
    uint32_t pr_value;
    int eor; /* last piece of the message */
} tl_sctp_sendinfo;

int tl_sctp_new(tl_sctp **out, tl_loop *loop, uint16_t local_port, uint16_t remote_port,
                const char *subject, const tl_sctp_cb *cb, void *ud);
void tl_sctp_free(tl_sctp *s);
/* Stops every callback from now on (the owner is closing). */
void tl_sctp_detach(tl_sctp *s);
/* Starts the association (both sides connect: simultaneous open). */
int tl_sctp_connect(tl_sctp *s);
/* One SCTP packet from DTLS. */
void tl_sctp_input(tl_sctp *s, const uint8_t *buf, size_t len);
/* Hands bytes to usrsctp. Returns the number of bytes accepted (possibly
 * fewer than len, or 0 when the buffer is full), or TL_ERR_* on error. */
long tl_sctp_send(tl_sctp *s, const tl_sctp_sendinfo *si, const uint8_t *buf, size_t len);
/* Resets our outgoing stream sid (RFC 8831 §6.7). */
int tl_sctp_reset_stream(tl_sctp *s, uint16_t sid);
/* Outgoing stream count negotiated (0 before connected). */
uint16_t tl_sctp_max_streams(const tl_sctp *s);
/* Largest message accepted from the peer (our a=max-message-size); larger
 * ones are discarded. */
void tl_sctp_set_max_message(tl_sctp *s, size_t max_recv);
int tl_sctp_stats(const tl_sctp *s, double *srtt_ms, uint64_t *retrans);

/* ---- dc.c ---- */
struct tl_dc {
    tl_pc *pc;
    struct tl_dc *next; /* in pc's list */
    uint16_t id;
    int has_id;
    char *label, *protocol;
    tl_dc_init init;
    tl_dc_state state;
    int dcep_state; /* tl_dcep_state */
    int reset_sent;
    int above;        /* bufferedAmount was above the threshold */
    int notify_open;  /* on_open pending (deferred) */
    int notify_close; /* on_close pending (deferred) */
    tl_dc_callbacks cb;
    void *ud;
    /* Send queue. */
    struct tl_dc_msg *q_head, *q_tail;
    size_t buffered, low_threshold;
};

/* Called by pc.c. */
void tl_dc_free_all(tl_pc *pc);
/* The association is up: assign ids, send OPENs, open negotiated channels. */
void tl_dc_on_sctp_connected(tl_pc *pc);
void tl_dc_on_message(tl_pc *pc, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len);
void tl_dc_on_writable(tl_pc *pc);
void tl_dc_on_stream_reset(tl_pc *pc, uint16_t sid);
/* Transport gone: every channel closes (on_close). */
void tl_dc_close_all(tl_pc *pc);
/* Fires deferred on_open/on_close (from pc's deferred source). */
void tl_dc_run_deferred(tl_pc *pc);

/* ---- pc.c (for dc.c) ---- */
tl_loop *tl_pc_loop(const tl_pc *pc);
const char *tl_pc_subject(const tl_pc *pc);
tl_sctp *tl_pc_sctp(const tl_pc *pc); /* NULL until the association is up */
int tl_pc_dtls_client(const tl_pc *pc);
size_t tl_pc_remote_max_message_size(const tl_pc *pc);
struct tl_dc **tl_pc_dc_list(tl_pc *pc);
/* Returns 0 once the pc is closing or freed: stop calling back. */
int tl_pc_alive(const tl_pc *pc);
/* Schedules tl_dc_run_deferred() soon, outside the current API call. */
void tl_pc_schedule_deferred(tl_pc *pc);
/* Round-robin cursor of the send pump (a channel with a partly sent message
 * must finish it before another stream sends: no I-DATA interleaving). */
struct tl_dc **tl_pc_pump_cursor(tl_pc *pc);
/* Counters for stats. */
void tl_pc_count_sent(tl_pc *pc, size_t bytes);
void tl_pc_count_received(tl_pc *pc, size_t bytes);
/* Sends what the layers queued for the wire (end of an API call). */
void tl_pc_flush(tl_pc *pc);
const tl_pc_callbacks *tl_pc_cbs(const tl_pc *pc, void **ud);

#endif
