/* tallow — transfer session core shared by sender and receiver. */
#include "transfer/session.h"

#include "common/hostile.h"
#include "tallow/crypto.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint16_t tl_xsess_wire_code(int err)
{
    if (err >= 0 || err < TL_ERR_IDENTITY)
        return (uint16_t)(-TL_ERR_INTERNAL);
    return (uint16_t)(-err);
}

int tl_xsess_from_wire(uint16_t code)
{
    if (code == 0 || code > (uint16_t)(-TL_ERR_IDENTITY))
        return TL_ERR_PROTO; /* unknown codes from a newer peer */
    return -(int)code;
}

int tl_xsess_init(tl_xsess *s, const tl_xfer_config *cfg, uint8_t role)
{
    memset(s, 0, sizeof(*s));
    if (!cfg)
        return TL_ERR_INVALID_ARG;
    s->c = cfg->crypto ? cfg->crypto : tl_xfer_crypto_default();
    s->cfg = *cfg;
    s->role = role;
    s->cfg.hs.role = role == TL_FR_ROLE_RECEIVER ? TL_HS_INITIATOR : TL_HS_RESPONDER;
    if (!s->cfg.ping_interval_ms)
        s->cfg.ping_interval_ms = 5000;
    if (!s->cfg.idle_timeout_ms)
        s->cfg.idle_timeout_ms = 30000;
    /* Twice the idle timeout: room for the sender's proof reads of a large
     * resumed file (docs/PROTOCOL.md §4.1), during which it sends no DATA. */
    if (!s->cfg.stall_timeout_ms)
        s->cfg.stall_timeout_ms =
            s->cfg.idle_timeout_ms > UINT32_MAX / 2 ? UINT32_MAX : 2 * s->cfg.idle_timeout_ms;
    s->plain = malloc(TL_XFER_MAX_PLAIN);
    if (!s->plain)
        return TL_ERR_NOMEM;
    if (role == TL_FR_ROLE_SENDER && tl_random(s->session_id, TL_TRANSFER_ID_LEN) != TL_OK)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

static void free_queue(tl_xsess *s)
{
    tl_outmsg *m = s->q_head;
    while (m) {
        tl_outmsg *n = m->next;
        free(m);
        m = n;
    }
    s->q_head = s->q_tail = NULL;
    s->q_len = s->q_data = 0;
}

void tl_xsess_cleanup(tl_xsess *s)
{
    if (s->hs)
        s->c->hs_free(s->hs);
    if (s->sealer)
        s->c->sealer_free(s->sealer);
    if (s->opener)
        s->c->opener_free(s->opener);
    free_queue(s);
    OPENSSL_cleanse(s->receipt_key, sizeof(s->receipt_key));
    free(s->last_out);
    free(s->ev);
    if (s->plain) {
        OPENSSL_cleanse(s->plain, TL_XFER_MAX_PLAIN);
        free(s->plain);
    }
    memset(s, 0, sizeof(*s));
}

void tl_xsess_progress(tl_xsess *s, uint64_t now)
{
    s->progress_at = now;
}

void tl_xsess_event(tl_xsess *s, const tl_xfer_event *ev)
{
    if (s->ev_pos == s->ev_len)
        s->ev_pos = s->ev_len = 0;
    if (s->ev_len == s->ev_cap) {
        size_t cap = s->ev_cap ? s->ev_cap * 2 : 8;
        tl_xfer_event *n = realloc(s->ev, cap * sizeof(*n));
        if (!n)
            return; /* events are best effort under memory pressure */
        s->ev = n;
        s->ev_cap = cap;
    }
    s->ev[s->ev_len++] = *ev;
}

static int enqueue(tl_xsess *s, const uint8_t *buf, size_t len, int is_data, uint8_t **slot)
{
    if (s->q_len >= TL_XSESS_MAX_QUEUE)
        return TL_ERR_LIMIT; /* the peer sends but does not read */
    tl_outmsg *m = malloc(sizeof(*m) + len);
    if (!m)
        return TL_ERR_NOMEM;
    m->next = NULL;
    m->is_data = is_data;
    m->len = len;
    if (buf)
        memcpy(m->buf, buf, len);
    if (slot)
        *slot = m->buf;
    if (s->q_tail)
        s->q_tail->next = m;
    else
        s->q_head = m;
    s->q_tail = m;
    s->q_len++;
    s->q_data += is_data != 0;
    return TL_OK;
}

static int send_clear(tl_xsess *s, const tl_frame *f)
{
    uint8_t buf[TL_FR_HELLO_LEN + TL_HS_MAX_MSG_LEN + 8];
    size_t n;
    int rc = tl_frame_encode(f, buf, sizeof(buf), &n);
    return rc == TL_OK ? enqueue(s, buf, n, 0, NULL) : rc;
}

int tl_xsess_send_plain(tl_xsess *s, uint64_t now, const uint8_t *plain, size_t len, int is_data)
{
    if (!s->sealer)
        return TL_ERR_STATE;
    uint8_t t = plain[0];
    int final = t == TL_FR_DONE || t == TL_FR_CANCEL || t == TL_FR_ERROR;
    size_t cap = len + TL_CHUNK_OVERHEAD, out_len = 0;
    if (cap > s->peer_max_message)
        return TL_ERR_TOO_BIG;
    uint8_t *slot;
    int rc = enqueue(s, NULL, cap, is_data, &slot);
    if (rc != TL_OK)
        return rc;
    rc = s->c->seal(s->sealer, now, s->send_seq, final, plain, len, slot, &out_len);
    if (rc != TL_OK)
        return rc; /* the session is failed by the caller; queue is dropped */
    s->q_tail->len = out_len;
    s->send_seq++;
    return TL_OK;
}

int tl_xsess_send(tl_xsess *s, uint64_t now, const tl_frame *f)
{
    size_t n = tl_frame_len(f);
    if (n == 0)
        return TL_ERR_INTERNAL;
    uint8_t *buf = malloc(n);
    if (!buf)
        return TL_ERR_NOMEM;
    int rc = tl_frame_encode(f, buf, n, &n);
    if (rc == TL_OK)
        rc = tl_xsess_send_plain(s, now, buf, n, 0);
    free(buf);
    return rc;
}

int tl_xsess_fail(tl_xsess *s, uint64_t now, int err, int remote, const char *text)
{
    if (s->state == TL_SS_DEAD || s->state == TL_SS_DONE)
        return err;
    tl_xfer_event ev = {.type = TL_XFER_EV_ERROR, .error = err, .remote = remote};
    snprintf(ev.message, sizeof(ev.message), "%s", text ? text : tl_strerror(err));
    if (err == TL_ERR_IDENTITY && s->hs && s->c->hs_peer_identity)
        ev.has_identity = s->c->hs_peer_identity(s->hs, ev.identity) == TL_OK;
    tl_xsess_event(s, &ev);
    /* Queued records keep their sequence numbers (resealing one would reuse
     * a nonce), so the ERROR goes after them. */
    if (!remote) {
        tl_frame f = {.type = err == TL_ERR_CANCELED ? TL_FR_CANCEL : TL_FR_ERROR};
        f.u.error.code = tl_xsess_wire_code(err);
        f.u.error.text = ev.message;
        f.u.error.text_len = strlen(ev.message);
        if (s->sealer)
            (void)tl_xsess_send(s, now, &f);
        else
            (void)send_clear(s, &f);
    }
    s->state = TL_SS_DEAD;
    s->err = err;
    return err;
}

int tl_xsess_start(tl_xsess *s, uint64_t now)
{
    if (s->state != TL_SS_NEW)
        return TL_ERR_STATE;
    tl_frame f = {.type = TL_FR_HELLO};
    f.u.hello.min_version = TL_XFER_MIN_VERSION;
    f.u.hello.max_version = TL_XFER_VERSION;
    f.u.hello.role = s->role;
    f.u.hello.max_message = TL_XFER_MAX_MESSAGE;
    memcpy(f.u.hello.session_id, s->session_id, TL_TRANSFER_ID_LEN);
    int rc = send_clear(s, &f);
    if (rc != TL_OK)
        return rc;
    s->state = TL_SS_HANDSHAKE;
    tl_keepalive_init(&s->ka, s->cfg.ping_interval_ms, now);
    s->ka.timeout_ms = s->cfg.idle_timeout_ms;
    return TL_OK;
}

static int got_hello(tl_xsess *s, uint64_t now, const tl_frame *f)
{
    if (s->got_hello)
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "second HELLO");
    if (f->u.hello.role == s->role)
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "both sides claim the same role");
    uint16_t v =
        f->u.hello.max_version < TL_XFER_VERSION ? f->u.hello.max_version : TL_XFER_VERSION;
    uint16_t lo =
        f->u.hello.min_version > TL_XFER_MIN_VERSION ? f->u.hello.min_version : TL_XFER_MIN_VERSION;
    if (v < lo)
        return tl_xsess_fail(s, now, TL_ERR_UNSUPPORTED, 0, "no common protocol version");
    if (f->u.hello.max_message < TL_XFER_MIN_MESSAGE)
        return tl_xsess_fail(s, now, TL_ERR_UNSUPPORTED, 0, "peer max message too small");
    s->version = v;
    s->peer_max_message = f->u.hello.max_message;
    if (s->role == TL_FR_ROLE_RECEIVER)
        memcpy(s->session_id, f->u.hello.session_id, TL_TRANSFER_ID_LEN);
    s->got_hello = 1;
    int rc = s->c->hs_new(&s->hs, &s->cfg.hs);
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, rc, 0, "handshake setup failed");
    if (s->role == TL_FR_ROLE_RECEIVER) {
        uint8_t msg[TL_HS_MAX_MSG_LEN];
        size_t n = 0;
        rc = s->c->hs_start(s->hs, msg, sizeof(msg), &n);
        if (rc != TL_OK)
            return tl_xsess_fail(s, now, rc, 0, "handshake start failed");
        tl_frame h = {.type = TL_FR_HS};
        h.u.hs.msg = msg;
        h.u.hs.len = n;
        rc = send_clear(s, &h);
        if (rc != TL_OK)
            return tl_xsess_fail(s, now, rc, 0, NULL);
    }
    return TL_OK;
}

static int keys_ready(tl_xsess *s, uint64_t now)
{
    tl_session_keys keys;
    tl_xfer_event ev = {.type = TL_XFER_EV_KEYED};
    int rc = s->c->hs_sas(s->hs, ev.sas);
    if (rc == TL_OK && s->role == TL_FR_ROLE_RECEIVER && s->c->hs_peer_identity)
        ev.has_identity = s->c->hs_peer_identity(s->hs, ev.identity) == TL_OK;
    if (rc == TL_OK)
        rc = s->c->hs_session_keys(s->hs, &keys);
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, rc, 0, "no session keys");
    rc = s->c->sealer_new(&s->sealer, keys.send, s->session_id, now);
    if (rc == TL_OK)
        rc = s->c->opener_new(&s->opener, keys.recv, s->session_id);
    /* Proof-of-receipt key (PROTOCOL.md §4 FILE_RESULT): from the
     * sender-to-receiver traffic secret, which both sides hold. */
    uint8_t prk[32];
    if (rc == TL_OK)
        rc = tl_hkdf_extract(prk, s->session_id, TL_TRANSFER_ID_LEN,
                             s->role == TL_FR_ROLE_SENDER ? keys.send : keys.recv,
                             sizeof(keys.send));
    if (rc == TL_OK)
        rc = tl_hkdf_expand(s->receipt_key, sizeof(s->receipt_key), prk, sizeof(prk),
                            (const uint8_t *)"tallow-v1 receipt", 17);
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(&keys, sizeof(keys));
    s->c->hs_free(s->hs);
    s->hs = NULL;
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, rc, 0, "record keys failed");
    s->state = TL_SS_KEYED;
    s->progress_at = now;
    s->pings_since = now;
    tl_xsess_event(s, &ev);
    /* Our display name goes first, inside the channel (never in the
     * handshake): a sender's NAME precedes its MANIFEST. */
    if (s->cfg.name && s->cfg.name[0]) {
        tl_frame nf = {.type = TL_FR_NAME};
        size_t n = strlen(s->cfg.name);
        nf.u.name.text = s->cfg.name;
        nf.u.name.len = n > TL_FR_MAX_NAME ? TL_FR_MAX_NAME : n;
        rc = tl_xsess_send(s, now, &nf);
        if (rc != TL_OK)
            return tl_xsess_fail(s, now, rc, 0, "cannot send the name");
    }
    s->cfg.name = NULL; /* borrowed until now */
    if (tl_hostile("errtext"))
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, TL_HOSTILE_TEXT);
    return TL_OK;
}

static int got_hs(tl_xsess *s, uint64_t now, const tl_frame *f)
{
    if (!s->got_hello || !s->hs)
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "handshake before HELLO");
    uint8_t reply[TL_HS_MAX_MSG_LEN];
    size_t n = 0;
    int rc = s->c->hs_recv(s->hs, f->u.hs.msg, f->u.hs.len, reply, sizeof(reply), &n);
    if (rc == TL_ERR_IDENTITY)
        return tl_xsess_fail(s, now, rc, 0, tl_strerror(rc));
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, rc, 0,
                             rc == TL_ERR_AUTH ? "key confirmation failed" : "handshake failed");
    if (n > 0) {
        tl_frame h = {.type = TL_FR_HS};
        h.u.hs.msg = reply;
        h.u.hs.len = n;
        rc = send_clear(s, &h);
        if (rc != TL_OK)
            return tl_xsess_fail(s, now, rc, 0, NULL);
    }
    if (s->c->hs_is_done(s->hs))
        return keys_ready(s, now);
    return TL_OK;
}

static int remote_error(tl_xsess *s, uint64_t now, const tl_frame *f)
{
    /* The peer's text reaches the user: escaped by the one sanitiser
     * (common.h), so no control sequence reaches a terminal or a log. */
    char text[sizeof(((tl_xfer_event *)0)->message)];
    size_t n = tl_text_sanitize(text, sizeof(text), f->u.error.text, f->u.error.text_len);
    int err = f->type == TL_FR_CANCEL ? TL_ERR_CANCELED : tl_xsess_from_wire(f->u.error.code);
    return tl_xsess_fail(s, now, err, 1, n ? text : NULL);
}

static int recv_clear(tl_xsess *s, uint64_t now, const uint8_t *msg, size_t len)
{
    tl_frame f;
    int rc = tl_frame_decode(msg, len, &f);
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, TL_ERR_PARSE, 0, "malformed handshake frame");
    switch (f.type) {
    case TL_FR_HELLO:
        return got_hello(s, now, &f);
    case TL_FR_HS:
        return got_hs(s, now, &f);
    case TL_FR_ERROR:
    case TL_FR_CANCEL:
        return remote_error(s, now, &f);
    default:
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "record before keys");
    }
}

static int recv_record(tl_xsess *s, uint64_t now, const uint8_t *msg, size_t len, tl_frame *f)
{
    size_t n = 0;
    int final = 0;
    if (len > TL_CHUNK_OVERHEAD + TL_XFER_MAX_PLAIN)
        return tl_xsess_fail(s, now, TL_ERR_PARSE, 0, "record size out of range");
    int rc = s->c->open(s->opener, s->recv_seq, msg, len, s->plain, &n, &final);
    if (rc != TL_OK && s->recv_seq == 0 && (msg[0] == TL_FR_ERROR || msg[0] == TL_FR_CANCEL) &&
        tl_frame_decode(msg, len, f) == TL_OK)
        return remote_error(s, now, f); /* the peer failed the handshake's last step */
    if (rc != TL_OK)
        return tl_xsess_fail(s, now, rc, 0, "record failed to authenticate");
    s->recv_seq++;
    rc = tl_frame_decode(s->plain, n, f);
    if (rc != TL_OK || f->type < TL_FR_MANIFEST)
        return tl_xsess_fail(s, now, TL_ERR_PARSE, 0, "malformed record");
    int closing = f->type == TL_FR_DONE || f->type == TL_FR_CANCEL || f->type == TL_FR_ERROR;
    if (closing != (final != 0))
        return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "final flag mismatch");
    switch (f->type) {
    case TL_FR_PING:
        /* A correct peer PINGs once per interval; a flood fails the
         * session. The PONG is owed, not queued: only the latest PING is
         * answered, sealed when the queue is empty (tl_xsess_poll), so a
         * peer that PINGs and stops reading costs us nothing. */
        if (now - s->pings_since >= s->cfg.ping_interval_ms) {
            s->pings_since = now;
            s->pings_seen = 0;
        }
        if (++s->pings_seen > TL_XSESS_MAX_PINGS)
            return tl_xsess_fail(s, now, TL_ERR_LIMIT, 0, "peer floods PINGs");
        s->pong_due = 1;
        s->pong_due_id = f->u.ping.id;
        s->pong_due_stamp = f->u.ping.stamp;
        return 0;
    case TL_FR_PONG:
        /* PINGs queue behind data, so a PONG may answer an older PING; its
         * echoed stamp still gives that PING's round trip. */
        if (f->u.ping.id > s->pong_id && f->u.ping.id <= s->ping_id) {
            s->pong_id = f->u.ping.id;
            if (f->u.ping.id == s->ping_id)
                tl_keepalive_pong(&s->ka, now);
            tl_xfer_event ev = {.type = TL_XFER_EV_RTT};
            uint64_t rtt = now >= f->u.ping.stamp ? now - f->u.ping.stamp : 0;
            ev.rtt_ms = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
            tl_xsess_event(s, &ev);
        }
        return 0;
    case TL_FR_NAME: {
        if (s->got_name++)
            return tl_xsess_fail(s, now, TL_ERR_PROTO, 0, "second NAME");
        tl_xfer_event ev = {.type = TL_XFER_EV_NAME};
        tl_text_sanitize(ev.message, sizeof(ev.message), f->u.name.text, f->u.name.len);
        tl_xsess_event(s, &ev);
        return 0;
    }
    case TL_FR_ERROR:
    case TL_FR_CANCEL:
        return remote_error(s, now, f);
    default:
        return 1;
    }
}

int tl_xsess_recv(tl_xsess *s, uint64_t now, const uint8_t *msg, size_t len, tl_frame *f)
{
    if (s->state == TL_SS_DEAD || s->state == TL_SS_DONE)
        return TL_ERR_STATE;
    if (s->state == TL_SS_NEW)
        return TL_ERR_STATE;
    if (!msg || len == 0)
        return tl_xsess_fail(s, now, TL_ERR_PARSE, 0, "empty message");
    tl_keepalive_rx(&s->ka, now);
    if (s->state == TL_SS_HANDSHAKE) {
        int rc = recv_clear(s, now, msg, len);
        return rc < 0 ? rc : 0;
    }
    return recv_record(s, now, msg, len, f);
}

int tl_xsess_timers(tl_xsess *s, uint64_t now)
{
    if (s->state != TL_SS_HANDSHAKE && s->state != TL_SS_KEYED)
        return TL_OK;
    if (tl_keepalive_expired(&s->ka, now))
        return tl_xsess_fail(s, now, TL_ERR_TIMEOUT, 0, "peer silent too long");
    if (s->state == TL_SS_KEYED && now - s->progress_at >= s->cfg.stall_timeout_ms)
        return tl_xsess_fail(s, now, TL_ERR_STALLED, 0, "peer stalled");
    if (s->state == TL_SS_KEYED && tl_hostile("pingflood")) {
        while (s->q_len < 64) { /* as many PINGs as the queue takes */
            tl_frame p = {.type = TL_FR_PING};
            p.u.ping.id = ++s->ping_id;
            p.u.ping.stamp = now;
            if (tl_xsess_send(s, now, &p) != TL_OK)
                break;
        }
    }
    if (s->state == TL_SS_KEYED && tl_keepalive_due(&s->ka, now)) {
        tl_frame p = {.type = TL_FR_PING};
        p.u.ping.id = ++s->ping_id;
        p.u.ping.stamp = now;
        int rc = tl_xsess_send(s, now, &p);
        if (rc != TL_OK)
            return tl_xsess_fail(s, now, rc, 0, NULL);
    }
    return TL_OK;
}

uint64_t tl_xsess_next_timeout(const tl_xsess *s)
{
    if (s->state == TL_SS_HANDSHAKE) /* no pings before keys: only the expiry */
        return s->ka.last_rx + s->ka.timeout_ms;
    if (s->state != TL_SS_KEYED)
        return UINT64_MAX;
    if (tl_hostile("pingflood"))
        return s->progress_at; /* flood: poll again at once */
    uint64_t t = tl_keepalive_next(&s->ka);
    uint64_t stall = s->progress_at + s->cfg.stall_timeout_ms;
    return stall < t ? stall : t;
}

int tl_xsess_poll(tl_xsess *s, uint64_t now, int writable, tl_xfer_action *act)
{
    free(s->last_out);
    s->last_out = NULL;
    if (s->ev_pos < s->ev_len) {
        act->type = TL_XFER_ACT_EVENT;
        act->event = s->ev[s->ev_pos++];
        return 1;
    }
    if (writable && !s->q_head && s->pong_due && s->state == TL_SS_KEYED) {
        tl_frame p = {.type = TL_FR_PONG};
        p.u.ping.id = s->pong_due_id;
        p.u.ping.stamp = s->pong_due_stamp;
        s->pong_due = 0;
        int rc = tl_xsess_send(s, now, &p);
        if (rc != TL_OK)
            tl_xsess_fail(s, now, rc, 0, NULL);
    }
    if (writable && s->q_head) {
        tl_outmsg *m = s->q_head;
        s->q_head = m->next;
        if (!s->q_head)
            s->q_tail = NULL;
        s->q_len--;
        s->q_data -= m->is_data != 0;
        s->last_out = m;
        act->type = TL_XFER_ACT_SEND;
        act->data = m->buf;
        act->len = m->len;
        return 1;
    }
    return 0;
}
