/* Internal: Data Channel Establishment Protocol (RFC 8832), sans-I/O, and
 * the SCTP payload protocol identifiers of RFC 8831. */
#ifndef TL_RTC_DCEP_H
#define TL_RTC_DCEP_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/common.h"

enum {
    TL_PPID_DCEP = 50,
    TL_PPID_STRING = 51,
    TL_PPID_BINARY = 53,
    TL_PPID_STRING_EMPTY = 56,
    TL_PPID_BINARY_EMPTY = 57,
};

enum {
    TL_DCEP_MSG_ACK = 0x02,
    TL_DCEP_MSG_OPEN = 0x03,
};

enum {
    TL_DCEP_RELIABLE = 0x00,
    TL_DCEP_PARTIAL_REXMIT = 0x01,
    TL_DCEP_PARTIAL_TIMED = 0x02,
    TL_DCEP_UNORDERED_BIT = 0x80,
};

typedef struct tl_dcep_open {
    uint8_t channel_type;
    uint16_t priority;
    uint32_t reliability; /* retransmits or lifetime in ms, by channel_type */
    const char *label;    /* not NUL-terminated; points into the message */
    size_t label_len;
    const char *protocol;
    size_t protocol_len;
} tl_dcep_open;

typedef struct tl_dcep_msg {
    uint8_t type; /* TL_DCEP_MSG_OPEN or TL_DCEP_MSG_ACK */
    tl_dcep_open open;
} tl_dcep_msg;

/* Parses a DCEP message (PPID 50). Returns TL_OK, TL_ERR_PARSE (short,
 * lengths beyond the buffer, trailing bytes), TL_ERR_UNSUPPORTED (unknown
 * message or channel type). */
int tl_dcep_parse(const uint8_t *msg, size_t len, tl_dcep_msg *out);

/* Encodes DATA_CHANNEL_OPEN. Returns TL_OK, TL_ERR_TOO_BIG (cap too small or
 * label/protocol over 65535 bytes). */
int tl_dcep_encode_open(const tl_dcep_open *open, uint8_t *out, size_t cap, size_t *out_len);

/* Encodes DATA_CHANNEL_ACK (1 byte). */
size_t tl_dcep_encode_ack(uint8_t out[1]);

/* Per-stream channel-establishment state machine. */
typedef enum {
    TL_DCEP_IDLE = 0,
    TL_DCEP_OPENING, /* we sent OPEN, waiting for ACK */
    TL_DCEP_OPEN,
    TL_DCEP_ERRORED,
} tl_dcep_state;

typedef enum {
    TL_DCEP_EV_NONE = 0,
    TL_DCEP_EV_REMOTE_OPEN, /* the peer opened this stream: send ack, announce channel */
    TL_DCEP_EV_ACKED,       /* our OPEN was acknowledged: channel open */
    TL_DCEP_EV_ERROR,       /* protocol error on this stream */
} tl_dcep_event;

/* Stream id parity (RFC 8832 §6): the DTLS client uses even ids, the server
 * odd ones. Returns 1 if id may be allocated locally. */
int tl_dcep_id_is_local(uint16_t id, int dtls_client);

/* Feeds one DCEP message received on a stream in state *st. Updates *st and
 * returns the event; on REMOTE_OPEN fills *open (pointing into msg) and
 * writes the ACK to send into ack_out (*ack_len = 1). *ack_len is 0 for every
 * other event. Transitions: IDLE+OPEN -> OPEN (REMOTE_OPEN); OPENING+ACK ->
 * OPEN (ACKED); OPEN+ACK -> OPEN (NONE: an ACK overtaken by user data, see
 * tl_dcep_on_user_data); anything else (a malformed message, an OPEN on a
 * stream that is opening or open, an ACK on an idle stream) -> ERRORED
 * (ERROR): the caller resets the stream. An ERRORED stream stays ERRORED. */
tl_dcep_event tl_dcep_on_message(tl_dcep_state *st, const uint8_t *msg, size_t len,
                                 tl_dcep_open *open, uint8_t ack_out[1], size_t *ack_len);

/* Moves IDLE -> OPENING when we are about to send our OPEN on this stream.
 * Returns TL_OK or TL_ERR_STATE (stream not idle). */
int tl_dcep_start_open(tl_dcep_state *st);

/* A user message (PPID 51/53/56/57) arrived on a stream in state *st.
 * RFC 8832 §6: the opener treats any message after its OPEN as an implicit
 * ACK (the ACK may be overtaken by unordered data), so OPENING -> OPEN with
 * TL_DCEP_EV_ACKED. OPEN: TL_DCEP_EV_NONE (deliver it). IDLE or ERRORED:
 * TL_DCEP_EV_ERROR (data on a stream nobody opened); *st becomes ERRORED. */
tl_dcep_event tl_dcep_on_user_data(tl_dcep_state *st);

#endif
