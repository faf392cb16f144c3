/* tallow — what the sender and receiver state machines share: HELLO and
 * version negotiation, the handshake (opaque, via tl_xfer_crypto), the
 * record layer (every frame after the handshake sealed with chunk.h), the
 * FIFO of outgoing messages, events, ping/pong and fatal errors. */
#ifndef TL_TRANSFER_SESSION_H
#define TL_TRANSFER_SESSION_H

#include "transfer/frames.h"

#define TL_XFER_MAX_MESSAGE 262144u /* what we accept (advertised in HELLO) */
#define TL_XFER_MIN_MESSAGE 65664u  /* smallest max_message a peer may announce */
#define TL_XFER_MAX_PLAIN (TL_FR_DATA_HDR + TL_XFER_MAX_CHUNK)
/* Bounds on what a peer can make us hold (docs/SECURITY.md). Every record
 * we queue is either our own data (one DATA, the manifest parts, one HASHES
 * block) or a reply to the peer; replies are bounded: PONGs coalesce into
 * one pending slot, ACKs are cumulative. A queue longer than this means the
 * peer sends but does not read: the session fails (TL_ERR_LIMIT) instead of
 * growing. 8 MiB of manifest is at most 128 parts. */
#define TL_XSESS_MAX_QUEUE 512u
/* A PING flood: more than this many PINGs in one ping interval (a correct
 * peer sends one) fails the session with TL_ERR_LIMIT. */
#define TL_XSESS_MAX_PINGS 32u

typedef enum {
    TL_SS_NEW = 0,
    TL_SS_HANDSHAKE, /* HELLO sent; handshake running */
    TL_SS_KEYED,     /* records flowing */
    TL_SS_DONE,      /* finished cleanly */
    TL_SS_DEAD,      /* failed; see err */
} tl_ss_state;

typedef struct tl_outmsg {
    struct tl_outmsg *next;
    int is_data;
    size_t len;
    uint8_t buf[];
} tl_outmsg;

typedef struct tl_xsess {
    const tl_xfer_crypto *c;
    tl_xfer_config cfg;
    uint8_t role; /* TL_FR_ROLE_* (ours) */
    tl_ss_state state;
    int err;
    int got_hello;
    uint16_t version;
    uint32_t peer_max_message;
    uint8_t session_id[TL_TRANSFER_ID_LEN];
    void *hs, *sealer, *opener;
    uint64_t send_seq, recv_seq;
    tl_outmsg *q_head, *q_tail, *last_out;
    size_t q_len, q_data;
    tl_xfer_event *ev;
    size_t ev_len, ev_cap, ev_pos;
    tl_keepalive ka;
    uint64_t ping_id; /* last PING sent */
    uint64_t pong_id; /* last PING answered */
    int pong_due;     /* a PONG is owed: sealed when the queue is empty */
    uint64_t pong_due_id, pong_due_stamp;
    uint64_t pings_since;    /* start of the current PING-counting interval */
    uint32_t pings_seen;     /* PINGs received in it */
    uint64_t progress_at;    /* last progress (tl_xsess_progress) */
    uint8_t receipt_key[32]; /* proof-of-receipt MAC key (PROTOCOL.md §4) */
    uint8_t *plain;          /* opened record (TL_XFER_MAX_PLAIN) */
    int got_name;            /* the peer's NAME arrived (at most one) */
} tl_xsess;

int tl_xsess_init(tl_xsess *s, const tl_xfer_config *cfg, uint8_t role);
void tl_xsess_cleanup(tl_xsess *s);

/* Queues HELLO. */
int tl_xsess_start(tl_xsess *s, uint64_t now);

/* Processes one message. Plaintext frames (HELLO, HS, ERROR before keys)
 * are handled here. For a record, the opened inner frame is decoded into *f
 * and 1 is returned so the role handles it (PING/PONG/ERROR/CANCEL are
 * handled here and 0 is returned). Returns 0, 1 or a fatal TL_ERR_*. */
int tl_xsess_recv(tl_xsess *s, uint64_t now, const uint8_t *msg, size_t len, tl_frame *f);

/* Encodes and seals f, appends it to the queue. Returns TL_OK or fatal. */
int tl_xsess_send(tl_xsess *s, uint64_t now, const tl_frame *f);

/* Seals plain (an encoded frame) as the next record; is_data marks DATA. */
int tl_xsess_send_plain(tl_xsess *s, uint64_t now, const uint8_t *plain, size_t len, int is_data);

/* Fails the session: records err, emits EV_ERROR, queues an ERROR frame
 * with text for the peer unless the peer reported it (remote). Returns err. */
int tl_xsess_fail(tl_xsess *s, uint64_t now, int err, int remote, const char *text);

void tl_xsess_event(tl_xsess *s, const tl_xfer_event *ev);

/* The role saw progress (see tl_xfer_config.stall_timeout_ms). */
void tl_xsess_progress(tl_xsess *s, uint64_t now);

/* Events, then queued messages (when writable), then timers. Returns 1 if
 * act was filled, 0 if nothing is pending here. */
int tl_xsess_poll(tl_xsess *s, uint64_t now, int writable, tl_xfer_action *act);

/* Keep-alive due / idle timeout handling; call from the role's poll. */
int tl_xsess_timers(tl_xsess *s, uint64_t now);
uint64_t tl_xsess_next_timeout(const tl_xsess *s);

/* Wire code for a TL_ERR_* (docs/PROTOCOL.md §7) and back. */
uint16_t tl_xsess_wire_code(int err);
int tl_xsess_from_wire(uint16_t code);

#endif
