/* Data channels (RFC 8831) over SCTP streams, opened with DCEP (RFC 8832,
 * sans-I/O in dcep.c).
 *
 * Sending: tl_dc_send_* copies the message into the channel's queue;
 * bufferedAmount is the number of queued bytes not yet accepted by usrsctp.
 * The pump hands queued bytes to usrsctp in pieces of at most 64 KiB with
 * explicit EOR (so a message larger than usrsctp's free buffer still makes
 * progress); a partly sent message is finished before another stream sends,
 * because without I-DATA the fragments of one message must be contiguous.
 * The pump runs on every send (without callbacks) and whenever usrsctp has
 * room again (with on_buffered_amount_low).
 *
 * Closing: the queue drains first, then our outgoing stream is reset; the
 * channel is closed once the peer's reset of its outgoing stream arrives.
 * A reset initiated by the peer is answered with ours at once. */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <stdlib.h>
#include <string.h>

#include <usrsctp.h>

#include "rtc/dcep.h"
#include "rtc/rtc_internal.h"

#define TL_DC_PIECE 65536

struct tl_dc_msg {
    struct tl_dc_msg *next;
    size_t len, off;
    size_t payload; /* user bytes of the whole message, for stats */
    uint32_t ppid;
    uint8_t data[];
};

void tl_dc_init_default(tl_dc_init *init, const char *label)
{
    memset(init, 0, sizeof(*init));
    init->label = label;
    init->max_retransmits = -1;
    init->max_packet_life_time_ms = -1;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static tl_dc *find_by_id(tl_pc *pc, uint16_t id)
{
    for (tl_dc *dc = *tl_pc_dc_list(pc); dc; dc = dc->next)
        if (dc->has_id && dc->id == id && dc->state != TL_DC_CLOSED)
            return dc;
    return NULL;
}

static tl_dc *dc_alloc(tl_pc *pc, const char *label, size_t llen, const char *proto, size_t plen)
{
    tl_dc *dc = calloc(1, sizeof(*dc));
    if (!dc)
        return NULL;
    dc->pc = pc;
    dc->label = dup_n(label ? label : "", label ? llen : 0);
    dc->protocol = dup_n(proto ? proto : "", proto ? plen : 0);
    if (!dc->label || !dc->protocol) {
        free(dc->label);
        free(dc->protocol);
        free(dc);
        return NULL;
    }
    tl_dc_init_default(&dc->init, NULL);
    struct tl_dc **head = tl_pc_dc_list(pc);
    dc->next = *head;
    *head = dc;
    return dc;
}

static void queue_free(tl_dc *dc)
{
    struct tl_dc_msg *m = dc->q_head;
    while (m) {
        struct tl_dc_msg *n = m->next;
        free(m);
        m = n;
    }
    dc->q_head = dc->q_tail = NULL;
    dc->buffered = 0;
}

void tl_dc_free_all(tl_pc *pc)
{
    struct tl_dc **head = tl_pc_dc_list(pc);
    tl_dc *dc = *head;
    while (dc) {
        tl_dc *n = dc->next;
        queue_free(dc);
        free(dc->label);
        free(dc->protocol);
        free(dc);
        dc = n;
    }
    *head = NULL;
}

static int alloc_id(tl_pc *pc, uint16_t *out)
{
    uint16_t max = tl_sctp_max_streams(tl_pc_sctp(pc));
    for (uint32_t id = tl_pc_dtls_client(pc) ? 0 : 1; id < max; id += 2)
        if (!find_by_id(pc, (uint16_t)id)) {
            *out = (uint16_t)id;
            return TL_OK;
        }
    return TL_ERR_LIMIT;
}

static void sctp_info(const tl_dc *dc, tl_sctp_sendinfo *si, uint32_t ppid)
{
    memset(si, 0, sizeof(*si));
    si->sid = dc->id;
    si->ppid = ppid;
    if (ppid == TL_PPID_DCEP)
        return; /* DCEP messages: ordered, reliable */
    /* Until the ACK arrives user messages go ordered (RFC 8832 §6). */
    si->unordered = dc->init.unordered && dc->dcep_state == TL_DCEP_OPEN;
    if (dc->init.max_retransmits >= 0) {
        si->pr_policy = SCTP_PR_SCTP_RTX;
        si->pr_value = (uint32_t)dc->init.max_retransmits;
    } else if (dc->init.max_packet_life_time_ms >= 0) {
        si->pr_policy = SCTP_PR_SCTP_TTL;
        si->pr_value = (uint32_t)dc->init.max_packet_life_time_ms;
    }
}

static void set_closed(tl_dc *dc)
{
    if (dc->state == TL_DC_CLOSED)
        return;
    dc->state = TL_DC_CLOSED;
    queue_free(dc);
    dc->notify_close = 1;
    tl_pc_schedule_deferred(dc->pc);
}

static void send_open(tl_dc *dc)
{
    uint8_t buf[16 + 2 * 65535];
    size_t n = 0;
    tl_dcep_open o = {0};
    o.channel_type = dc->init.unordered ? TL_DCEP_UNORDERED_BIT : 0;
    if (dc->init.max_retransmits >= 0) {
        o.channel_type |= TL_DCEP_PARTIAL_REXMIT;
        o.reliability = (uint32_t)dc->init.max_retransmits;
    } else if (dc->init.max_packet_life_time_ms >= 0) {
        o.channel_type |= TL_DCEP_PARTIAL_TIMED;
        o.reliability = (uint32_t)dc->init.max_packet_life_time_ms;
    }
    o.label = dc->label;
    o.label_len = strlen(dc->label);
    o.protocol = dc->protocol;
    o.protocol_len = strlen(dc->protocol);
    tl_sctp_sendinfo si;
    sctp_info(dc, &si, TL_PPID_DCEP);
    si.eor = 1;
    tl_dcep_state st = (tl_dcep_state)dc->dcep_state;
    if (tl_dcep_start_open(&st) != TL_OK ||
        tl_dcep_encode_open(&o, buf, sizeof(buf), &n) != TL_OK ||
        tl_sctp_send(tl_pc_sctp(dc->pc), &si, buf, n) != (long)n) {
        dc->dcep_state = TL_DCEP_ERRORED;
        set_closed(dc);
        return;
    }
    dc->dcep_state = st;
}

/* Starts a channel on a live association: id, then OPEN or open at once. */
static int start(tl_dc *dc)
{
    if (!dc->has_id) {
        int rc = alloc_id(dc->pc, &dc->id);
        if (rc != TL_OK) {
            set_closed(dc);
            return rc;
        }
        dc->has_id = 1;
    }
    if (dc->id >= tl_sctp_max_streams(tl_pc_sctp(dc->pc))) {
        set_closed(dc); /* a negotiated id beyond the association's streams */
        return TL_ERR_LIMIT;
    }
    if (dc->init.negotiated) {
        dc->dcep_state = TL_DCEP_OPEN;
        dc->state = TL_DC_OPEN;
        dc->notify_open = 1;
        tl_pc_schedule_deferred(dc->pc);
    } else {
        send_open(dc);
    }
    return TL_OK;
}

int tl_pc_create_dc(tl_pc *pc, const tl_dc_init *init, const tl_dc_callbacks *cb, void *ud,
                    tl_dc **out)
{
    if (!init || (init->max_retransmits >= 0 && init->max_packet_life_time_ms >= 0))
        return TL_ERR_INVALID_ARG;
    tl_pc_state st = tl_pc_get_state(pc);
    if (st == TL_PC_CLOSED || st == TL_PC_CLOSING || st == TL_PC_FAILED)
        return TL_ERR_STATE;
    if (init->negotiated) {
        if (init->id >= 65535 || find_by_id(pc, init->id))
            return TL_ERR_INVALID_ARG;
    }
    const char *l = init->label ? init->label : "";
    const char *p = init->protocol ? init->protocol : "";
    if (strlen(l) > 65535 || strlen(p) > 65535)
        return TL_ERR_INVALID_ARG;
    tl_dc *dc = dc_alloc(pc, l, strlen(l), p, strlen(p));
    if (!dc)
        return TL_ERR_NOMEM;
    dc->init = *init;
    dc->init.label = dc->label;
    dc->init.protocol = dc->protocol;
    if (init->negotiated) {
        dc->id = init->id;
        dc->has_id = 1;
    }
    if (cb)
        dc->cb = *cb;
    dc->ud = ud;
    dc->state = TL_DC_CONNECTING;
    if (tl_pc_sctp(pc)) {
        int rc = start(dc);
        if (rc != TL_OK)
            return rc;
    }
    if (out)
        *out = dc;
    return TL_OK;
}

void tl_dc_on_sctp_connected(tl_pc *pc)
{
    for (tl_dc *dc = *tl_pc_dc_list(pc); dc; dc = dc->next)
        if (dc->state == TL_DC_CONNECTING && dc->dcep_state == TL_DCEP_IDLE)
            start(dc);
}

void tl_dc_set_callbacks(tl_dc *dc, const tl_dc_callbacks *cb, void *ud)
{
    if (cb)
        dc->cb = *cb;
    else
        memset(&dc->cb, 0, sizeof(dc->cb));
    dc->ud = ud;
}

static void remote_open(tl_pc *pc, uint16_t sid, const tl_dcep_open *o, const uint8_t *ack,
                        size_t ack_len)
{
    tl_dc *dc = dc_alloc(pc, o->label, o->label_len, o->protocol, o->protocol_len);
    if (!dc)
        return;
    dc->id = sid;
    dc->has_id = 1;
    dc->dcep_state = TL_DCEP_OPEN;
    dc->init.label = dc->label;
    dc->init.protocol = dc->protocol;
    dc->init.unordered = (o->channel_type & TL_DCEP_UNORDERED_BIT) != 0;
    uint8_t kind = o->channel_type & 0x7f;
    if (kind == TL_DCEP_PARTIAL_REXMIT)
        dc->init.max_retransmits = (int)(o->reliability > 65535 ? 65535 : o->reliability);
    else if (kind == TL_DCEP_PARTIAL_TIMED)
        dc->init.max_packet_life_time_ms =
            (int)(o->reliability > 0x7fffffff ? 0x7fffffff : o->reliability);
    tl_sctp_sendinfo si;
    sctp_info(dc, &si, TL_PPID_DCEP);
    si.eor = 1;
    tl_sctp_send(tl_pc_sctp(pc), &si, ack, ack_len);
    dc->state = TL_DC_OPEN;
    void *ud;
    const tl_pc_callbacks *pcb = tl_pc_cbs(pc, &ud);
    if (pcb->on_datachannel)
        pcb->on_datachannel(pc, dc, ud);
    if (tl_pc_alive(pc) && dc->state == TL_DC_OPEN && dc->cb.on_open)
        dc->cb.on_open(dc, dc->ud);
}

static void on_dcep(tl_pc *pc, uint16_t sid, const uint8_t *data, size_t len)
{
    tl_dc *dc = find_by_id(pc, sid);
    tl_dcep_state st = dc ? (tl_dcep_state)dc->dcep_state : TL_DCEP_IDLE;
    tl_dcep_open o;
    uint8_t ack[1];
    size_t ack_len = 0;
    tl_dcep_event ev = tl_dcep_on_message(&st, data, len, &o, ack, &ack_len);
    switch (ev) {
    case TL_DCEP_EV_REMOTE_OPEN:
        if (!dc)
            remote_open(pc, sid, &o, ack, ack_len);
        break;
    case TL_DCEP_EV_ACKED:
        if (dc && dc->state == TL_DC_CONNECTING) {
            dc->dcep_state = st;
            dc->state = TL_DC_OPEN;
            if (dc->cb.on_open)
                dc->cb.on_open(dc, dc->ud);
        }
        break;
    case TL_DCEP_EV_ERROR:
        /* dcep.h: the stream is reset on a protocol error. */
        tl_loop_log(tl_pc_loop(pc), TL_LOG_WARN, tl_pc_subject(pc),
                    "dcep: protocol error on stream %u", sid);
        if (dc) {
            dc->dcep_state = st;
            if (dc->cb.on_error)
                dc->cb.on_error(dc, TL_ERR_PROTO, dc->ud);
            if (tl_pc_alive(pc))
                tl_dc_close(dc);
        } else if (tl_pc_sctp(pc)) {
            tl_sctp_reset_stream(tl_pc_sctp(pc), sid);
        }
        break;
    default:
        break;
    }
}

void tl_dc_on_message(tl_pc *pc, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len)
{
    if (ppid == TL_PPID_DCEP) {
        on_dcep(pc, sid, data, len);
        return;
    }
    tl_dc *dc = find_by_id(pc, sid);
    if (!dc || dc->state == TL_DC_CLOSED)
        return;
    tl_dcep_state st = (tl_dcep_state)dc->dcep_state;
    tl_dcep_event ev = tl_dcep_on_user_data(&st);
    dc->dcep_state = st;
    if (ev == TL_DCEP_EV_ERROR)
        return;
    if (ev == TL_DCEP_EV_ACKED && dc->state == TL_DC_CONNECTING) {
        /* Data overtook the ACK: it counts as one (RFC 8832 §6). */
        dc->state = TL_DC_OPEN;
        if (dc->cb.on_open)
            dc->cb.on_open(dc, dc->ud);
        if (!tl_pc_alive(pc) || dc->state != TL_DC_OPEN)
            return;
    }
    switch (ppid) {
    case TL_PPID_STRING_EMPTY:
    case TL_PPID_BINARY_EMPTY:
        len = 0;
        break;
    case TL_PPID_STRING:
    case TL_PPID_BINARY:
        break;
    default:
        return; /* deprecated partial PPIDs and unknown ones are ignored */
    }
    tl_pc_count_received(pc, len);
    if (ppid == TL_PPID_STRING || ppid == TL_PPID_STRING_EMPTY) {
        if (dc->cb.on_text)
            dc->cb.on_text(dc, (const char *)(len ? data : (const uint8_t *)""), len, dc->ud);
    } else if (dc->cb.on_binary) {
        dc->cb.on_binary(dc, data, len, dc->ud);
    }
}

/* Sends pieces of dc's head message. Returns 1 if the message completed, 0 if
 * usrsctp is full, -1 if the message failed (dropped). */
static int send_head(tl_dc *dc, tl_sctp *sctp)
{
    struct tl_dc_msg *m = dc->q_head;
    while (m->off < m->len) {
        size_t piece = m->len - m->off;
        if (piece > TL_DC_PIECE)
            piece = TL_DC_PIECE;
        tl_sctp_sendinfo si;
        sctp_info(dc, &si, m->ppid);
        si.eor = m->off + piece == m->len;
        long n = tl_sctp_send(sctp, &si, m->data + m->off, piece);
        if (n == 0)
            return 0;
        if (n < 0)
            return -1;
        m->off += (size_t)n;
        dc->buffered -= (size_t)n;
    }
    return 1;
}

static void pop_head(tl_dc *dc)
{
    struct tl_dc_msg *m = dc->q_head;
    dc->q_head = m->next;
    if (!dc->q_head)
        dc->q_tail = NULL;
    dc->buffered -= m->len - m->off;
    free(m);
}

/* Returns 0 when usrsctp is full, 1 when every queue is empty. */
static int pump(tl_pc *pc)
{
    tl_sctp *sctp = tl_pc_sctp(pc);
    if (!sctp)
        return 0;
    struct tl_dc **cursor = tl_pc_pump_cursor(pc);
    /* Finish a partly sent message first. */
    if (*cursor) {
        tl_dc *dc = *cursor;
        int r = dc->q_head ? send_head(dc, sctp) : 1;
        if (r == 0)
            return 0;
        if (dc->q_head) {
            if (r < 0 && dc->cb.on_error)
                dc->cb.on_error(dc, TL_ERR_IO, dc->ud);
            tl_pc_count_sent(pc, dc->q_head->payload);
            pop_head(dc);
        }
        *cursor = NULL;
    }
    for (;;) {
        int progressed = 0;
        for (tl_dc *dc = *tl_pc_dc_list(pc); dc; dc = dc->next) {
            if (!dc->q_head || dc->state == TL_DC_CLOSED || dc->state == TL_DC_CONNECTING)
                continue;
            int r = send_head(dc, sctp);
            if (r == 0) {
                if (dc->q_head->off > 0)
                    *cursor = dc;
                return 0;
            }
            tl_pc_count_sent(pc, dc->q_head->payload);
            pop_head(dc);
            progressed = 1;
        }
        if (!progressed)
            return 1;
    }
}

static void after_pump(tl_pc *pc, int notify)
{
    for (tl_dc *dc = *tl_pc_dc_list(pc); dc; dc = dc->next) {
        if (dc->state == TL_DC_CLOSING && !dc->q_head && !dc->reset_sent) {
            dc->reset_sent = 1;
            if (!tl_pc_sctp(pc) || tl_sctp_reset_stream(tl_pc_sctp(pc), dc->id) != TL_OK)
                set_closed(dc);
        }
        if (notify && dc->above && dc->buffered <= dc->low_threshold) {
            dc->above = 0;
            if (dc->cb.on_buffered_amount_low)
                dc->cb.on_buffered_amount_low(dc, dc->ud);
            if (!tl_pc_alive(pc))
                return;
        }
    }
}

void tl_dc_on_writable(tl_pc *pc)
{
    pump(pc);
    after_pump(pc, 1);
}

/* With nothing queued on this channel and no other message half sent,
 * hands the message straight to usrsctp (no copy into our queue). Returns
 * how many bytes usrsctp took. */
static size_t direct_send(tl_dc *dc, uint32_t ppid, const void *data, size_t len)
{
    tl_sctp *sctp = tl_pc_sctp(dc->pc);
    if (dc->q_head || !sctp || *tl_pc_pump_cursor(dc->pc))
        return 0;
    size_t done = 0;
    while (done < len) {
        size_t piece = len - done < TL_DC_PIECE ? len - done : TL_DC_PIECE;
        tl_sctp_sendinfo si;
        sctp_info(dc, &si, ppid);
        si.eor = done + piece == len;
        long n = tl_sctp_send(sctp, &si, (const uint8_t *)data + done, piece);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

static int dc_send(tl_dc *dc, uint32_t ppid, uint32_t ppid_empty, const void *data, size_t len)
{
    if (dc->state != TL_DC_OPEN)
        return TL_ERR_STATE;
    if (len > tl_pc_remote_max_message_size(dc->pc))
        return TL_ERR_TOO_BIG;
    static const uint8_t zero = 0;
    if (len == 0) {
        ppid = ppid_empty;
        data = &zero;
        len = 1; /* RFC 8831 §6.6: empty messages carry one byte */
    }
    size_t payload = ppid == ppid_empty ? 0 : len;
    size_t done = direct_send(dc, ppid, data, len);
    if (done == len) {
        tl_pc_count_sent(dc->pc, payload);
        tl_pc_flush(dc->pc);
        return TL_OK;
    }
    struct tl_dc_msg *m = malloc(sizeof(*m) + (len - done));
    if (!m)
        return TL_ERR_NOMEM; /* (done == 0 here unless usrsctp took a piece) */
    m->next = NULL;
    m->len = len - done;
    m->off = 0;
    m->payload = payload;
    m->ppid = ppid;
    memcpy(m->data, (const uint8_t *)data + done, len - done);
    if (done > 0)
        *tl_pc_pump_cursor(dc->pc) = dc; /* finish this message first */
    if (dc->q_tail)
        dc->q_tail->next = m;
    else
        dc->q_head = m;
    dc->q_tail = m;
    dc->buffered += len - done;
    pump(dc->pc);
    tl_pc_flush(dc->pc);
    if (dc->buffered > dc->low_threshold)
        dc->above = 1;
    return TL_OK;
}

int tl_dc_send_binary(tl_dc *dc, const void *data, size_t len)
{
    return dc_send(dc, TL_PPID_BINARY, TL_PPID_BINARY_EMPTY, data, len);
}

int tl_dc_send_text(tl_dc *dc, const char *text, size_t len)
{
    return dc_send(dc, TL_PPID_STRING, TL_PPID_STRING_EMPTY, text, len);
}

size_t tl_dc_buffered_amount(const tl_dc *dc)
{
    return dc->buffered;
}

void tl_dc_set_buffered_amount_low_threshold(tl_dc *dc, size_t threshold)
{
    dc->low_threshold = threshold;
}

int tl_dc_close(tl_dc *dc)
{
    if (dc->state == TL_DC_CLOSED || dc->state == TL_DC_CLOSING)
        return TL_OK;
    if (!dc->has_id || !tl_pc_sctp(dc->pc)) {
        set_closed(dc);
        return TL_OK;
    }
    dc->state = TL_DC_CLOSING;
    if (!dc->q_head) {
        dc->reset_sent = 1;
        if (tl_sctp_reset_stream(tl_pc_sctp(dc->pc), dc->id) != TL_OK)
            set_closed(dc);
    }
    return TL_OK;
}

void tl_dc_on_stream_reset(tl_pc *pc, uint16_t sid)
{
    tl_dc *dc = find_by_id(pc, sid);
    if (!dc)
        return;
    if (!dc->reset_sent) {
        dc->reset_sent = 1;
        queue_free(dc);
        if (tl_pc_sctp(pc))
            tl_sctp_reset_stream(tl_pc_sctp(pc), sid);
    }
    set_closed(dc);
}

void tl_dc_close_all(tl_pc *pc)
{
    for (tl_dc *dc = *tl_pc_dc_list(pc); dc; dc = dc->next)
        set_closed(dc);
}

void tl_dc_run_deferred(tl_pc *pc)
{
    for (tl_dc *dc = *tl_pc_dc_list(pc); dc && tl_pc_alive(pc); dc = dc->next) {
        if (dc->notify_open) {
            dc->notify_open = 0;
            if (dc->state == TL_DC_OPEN && dc->cb.on_open)
                dc->cb.on_open(dc, dc->ud);
        }
        if (dc->notify_close && tl_pc_alive(pc)) {
            dc->notify_close = 0;
            if (dc->cb.on_close)
                dc->cb.on_close(dc, dc->ud);
        }
    }
}

tl_dc_state tl_dc_get_state(const tl_dc *dc)
{
    return dc->state;
}

const char *tl_dc_label(const tl_dc *dc)
{
    return dc->label;
}

const char *tl_dc_protocol(const tl_dc *dc)
{
    return dc->protocol;
}

uint16_t tl_dc_id(const tl_dc *dc)
{
    return dc->id;
}

tl_pc *tl_dc_pc(const tl_dc *dc)
{
    return dc->pc;
}
