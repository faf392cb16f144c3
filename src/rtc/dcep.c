/* Data Channel Establishment Protocol (RFC 8832), sans-I/O. */
#include "rtc/dcep.h"
#include "common/bytes.h"

#include <string.h>

#define DCEP_OPEN_HDR 12

static int channel_type_ok(uint8_t t)
{
    uint8_t base = (uint8_t)(t & ~TL_DCEP_UNORDERED_BIT);
    return base == TL_DCEP_RELIABLE || base == TL_DCEP_PARTIAL_REXMIT ||
           base == TL_DCEP_PARTIAL_TIMED;
}

/* Layout (RFC 8832 §5.1): type(1) channel-type(1) priority(2)
 * reliability(4) label-length(2) protocol-length(2) label protocol. */
static int parse_open(const uint8_t *msg, size_t len, tl_dcep_open *o)
{
    if (len < DCEP_OPEN_HDR)
        return TL_ERR_PARSE;
    size_t label_len = tl_get16(msg + 8), proto_len = tl_get16(msg + 10);
    if (len - DCEP_OPEN_HDR != label_len + proto_len)
        return TL_ERR_PARSE; /* lengths beyond the buffer, or trailing bytes */
    if (!channel_type_ok(msg[1]))
        return TL_ERR_UNSUPPORTED;
    o->channel_type = msg[1];
    o->priority = tl_get16(msg + 2);
    o->reliability = tl_get32(msg + 4);
    o->label = (const char *)msg + DCEP_OPEN_HDR;
    o->label_len = label_len;
    o->protocol = (const char *)msg + DCEP_OPEN_HDR + label_len;
    o->protocol_len = proto_len;
    return TL_OK;
}

int tl_dcep_parse(const uint8_t *msg, size_t len, tl_dcep_msg *out)
{
    if (out == NULL)
        return TL_ERR_PARSE;
    memset(out, 0, sizeof(*out));
    if (msg == NULL || len == 0)
        return TL_ERR_PARSE;
    switch (msg[0]) {
    case TL_DCEP_MSG_ACK:
        if (len != 1)
            return TL_ERR_PARSE;
        out->type = TL_DCEP_MSG_ACK;
        return TL_OK;
    case TL_DCEP_MSG_OPEN:
        out->type = TL_DCEP_MSG_OPEN;
        return parse_open(msg, len, &out->open);
    default:
        return TL_ERR_UNSUPPORTED;
    }
}

int tl_dcep_encode_open(const tl_dcep_open *open, uint8_t *out, size_t cap, size_t *out_len)
{
    if (open == NULL || out == NULL || out_len == NULL)
        return TL_ERR_TOO_BIG;
    if (open->label_len > UINT16_MAX || open->protocol_len > UINT16_MAX ||
        (open->label_len > 0 && open->label == NULL) ||
        (open->protocol_len > 0 && open->protocol == NULL))
        return TL_ERR_TOO_BIG;
    size_t total = DCEP_OPEN_HDR + open->label_len + open->protocol_len;
    if (cap < total)
        return TL_ERR_TOO_BIG;
    out[0] = TL_DCEP_MSG_OPEN;
    out[1] = open->channel_type;
    tl_put16(out + 2, open->priority);
    tl_put32(out + 4, open->reliability);
    tl_put16(out + 8, (uint16_t)open->label_len);
    tl_put16(out + 10, (uint16_t)open->protocol_len);
    if (open->label_len > 0)
        memcpy(out + DCEP_OPEN_HDR, open->label, open->label_len);
    if (open->protocol_len > 0)
        memcpy(out + DCEP_OPEN_HDR + open->label_len, open->protocol, open->protocol_len);
    *out_len = total;
    return TL_OK;
}

size_t tl_dcep_encode_ack(uint8_t out[1])
{
    out[0] = TL_DCEP_MSG_ACK;
    return 1;
}

int tl_dcep_id_is_local(uint16_t id, int dtls_client)
{
    if (id == 65535)
        return 0; /* reserved (RFC 8831 §6.5) */
    return dtls_client ? (id % 2 == 0) : (id % 2 == 1);
}

int tl_dcep_start_open(tl_dcep_state *st)
{
    if (*st != TL_DCEP_IDLE)
        return TL_ERR_STATE;
    *st = TL_DCEP_OPENING;
    return TL_OK;
}

tl_dcep_event tl_dcep_on_message(tl_dcep_state *st, const uint8_t *msg, size_t len,
                                 tl_dcep_open *open, uint8_t ack_out[1], size_t *ack_len)
{
    tl_dcep_msg m;
    if (ack_len != NULL)
        *ack_len = 0;
    if (*st == TL_DCEP_ERRORED || tl_dcep_parse(msg, len, &m) != TL_OK)
        goto error;
    if (m.type == TL_DCEP_MSG_OPEN && *st == TL_DCEP_IDLE) {
        *st = TL_DCEP_OPEN;
        if (open != NULL)
            *open = m.open;
        if (ack_out != NULL && ack_len != NULL)
            *ack_len = tl_dcep_encode_ack(ack_out);
        return TL_DCEP_EV_REMOTE_OPEN;
    }
    if (m.type == TL_DCEP_MSG_ACK && *st == TL_DCEP_OPENING) {
        *st = TL_DCEP_OPEN;
        return TL_DCEP_EV_ACKED;
    }
    /* The ACK may arrive after user data already opened the channel
     * (tl_dcep_on_user_data): harmless, ignored. */
    if (m.type == TL_DCEP_MSG_ACK && *st == TL_DCEP_OPEN)
        return TL_DCEP_EV_NONE;
error:
    *st = TL_DCEP_ERRORED;
    return TL_DCEP_EV_ERROR;
}

tl_dcep_event tl_dcep_on_user_data(tl_dcep_state *st)
{
    switch (*st) {
    case TL_DCEP_OPENING:
        *st = TL_DCEP_OPEN;
        return TL_DCEP_EV_ACKED;
    case TL_DCEP_OPEN:
        return TL_DCEP_EV_NONE;
    default:
        *st = TL_DCEP_ERRORED;
        return TL_DCEP_EV_ERROR;
    }
}
