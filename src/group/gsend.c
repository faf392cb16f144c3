#define _GNU_SOURCE
/* Group sender: one signaling client (with an embedded server unless a URL is
 * given), one tl_link + tl_xfer_sender per recipient, a shared tl_source and
 * token buckets. Each recipient is driven independently by its own events,
 * so a slow or failed recipient never stalls the others. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "common/hostile.h"
#include "common/parse.h"
#include "group/group_internal.h"
#include "signal/joincode.h"
#include "group/link.h"
#include "tallow/crypto.h"
#include "tallow/group.h"
#include "tallow/signal.h"
#include "tallow/transfer.h"

#define PROGRESS_EVERY_MS 250
/* A removed recipient's link stays until it left the group (it got the
 * CANCEL, which may wait behind file data already queued) or this long. */
#define DROP_LINGER_MS 15000

typedef struct recipient {
    struct tl_group_sender *s;
    char peer[64];
    char name[64];     /* registered device name (signaling), "" if none */
    char display[128]; /* display name it sent (NAME frame, escaped) */
    tl_link *link;
    tl_xfer_sender *xs;
    int bucket;
    int done;
    int ok;           /* it verified every file */
    int dropped;      /* removed by the sender (tl_group_sender_drop) */
    int left;         /* it left the group (signaling) */
    uint64_t done_at; /* when it was decided: reaped GROUP_LINGER_MS later */
    int pumping;
    tl_timer *timer;
    uint64_t timer_at;
    tl_gprogress prog;
    uint32_t sends_big;   /* DATA-sized records sent (test tamper hook) */
    uint32_t relinks;     /* new connections made after one was lost */
    uint64_t sent_before; /* payload bytes sent in earlier sessions (connections) */
    tl_timer *relink_timer;
    tl_link *dead_link; /* replaced link, freed outside its callbacks */
    int opened;         /* its data channel opened: a key exchange could start */
    int keyed;          /* the key exchange finished */
    uint64_t joined_ms; /* when it joined the group */
    struct recipient *next;
} recipient;

struct tl_group_sender {
    tl_loop *loop;
    tl_group_callbacks cb;
    void *ud;
    tl_group_sender_config cfg;
    char **to;
    tl_signal_server *server;
    tl_signal_client *sig;
    char location[300];
    char iface[64]; /* whose address the location carries ("" if none) */
    char group[16];
    uint8_t secret[TL_JOINCODE_SECRET_LEN];
    int have_group;
    tl_hs_identity *identity; /* the sender identity every recipient checks */
    uint8_t identity_id[TL_HS_IDENTITY_LEN];
    char fingerprint[64]; /* the group fingerprint: six words */
    tl_xfer_manifest *manifest;
    tl_source *source;
    tl_bucket_group *buckets;
    recipient *recipients;
    uint32_t n_ok, n_failed;
    uint32_t n_dropped;     /* removed by the sender: no longer expected */
    uint32_t n_failed_keys; /* recipients that connected but never keyed */
    tl_gjob job;
    long tamper_chunk; /* TALLOW_TEST_TAMPER_CHUNK, -1 when unset */
    recipient *tamper_target;
    int tamper_done;
    tl_timer *reap_timer;
    tl_timer *invite_timer;
    int *to_joined; /* per --to name: joined the group */
};

static void pump(recipient *r);

static recipient *find(tl_group_sender *s, const char *peer)
{
    for (recipient *r = s->recipients; r; r = r->next)
        if (!strcmp(r->peer, peer) && !r->done)
            return r;
    return NULL;
}

static int active_count(const tl_group_sender *s)
{
    int n = 0;
    for (const recipient *r = s->recipients; r; r = r->next)
        n += !r->done;
    return n;
}

/* The job is decided; it is reported after a short linger so the last
 * frames (DONE) queued to recipients are delivered before the caller tears
 * down. Once everyone has the files, the session file goes: a later send of
 * the same files is a new job. */
static void finish_job(tl_group_sender *s, int status, const char *msg)
{
    if (!s->job.decided && status == 0 && s->cfg.session_file)
        unlink(s->cfg.session_file);
    tl_gjob_decide(&s->job, status, msg, GROUP_LINGER_MS);
}

static void check_finished(tl_group_sender *s)
{
    char msg[160];
    uint32_t expect = s->cfg.expect > s->n_dropped ? s->cfg.expect - s->n_dropped : 0;
    if (!expect) {
        if (active_count(s) == 0)
            finish_job(s, 1, "every recipient was removed");
    } else if (s->n_ok >= expect) {
        snprintf(msg, sizeof(msg), "%u recipient(s) verified every file", s->n_ok);
        finish_job(s, s->n_failed ? 1 : 0, msg);
    } else if (s->n_ok + s->n_failed >= expect && active_count(s) == 0) {
        snprintf(msg, sizeof(msg), "%u verified, %u failed", s->n_ok, s->n_failed);
        finish_job(s, 1, msg);
    }
}

/* The recipient's session is over: report once, release its resources later
 * (we may be inside one of its callbacks). */
static void reap(void *arg);

static void recipient_result(recipient *r, int ok, const char *error)
{
    tl_group_sender *s = r->s;
    if (r->done)
        return;
    r->done = 1;
    r->ok = ok;
    r->done_at = tl_loop_now_ms(s->loop);
    uint64_t sent = r->sent_before + (r->xs ? tl_xfer_sender_bytes_sent(r->xs) : 0);
    if (ok)
        s->n_ok++;
    else if (!r->dropped)
        s->n_failed++;
    if (!ok && r->opened && !r->keyed && ++s->n_failed_keys == s->cfg.max_failed_keys)
        tl_loop_log(s->loop, TL_LOG_WARN, "send",
                    "%u recipients failed the key exchange (a wrong join code, or someone "
                    "guessing it): admitting nobody new",
                    s->n_failed_keys);
    if (s->buckets && r->bucket >= 0)
        tl_bucket_set_active(s->buckets, r->bucket, 0);
    if (s->cb.on_peer)
        s->cb.on_peer(s->ud, r->peer,
                      ok           ? "done"
                      : r->dropped ? "removed"
                                   : "failed",
                      tl_quality_name(r->link ? tl_link_quality(r->link) : TL_QUALITY_DISCONNECTED),
                      NULL);
    if (s->cb.on_result)
        s->cb.on_result(s->ud, r->peer, ok, error, sent);
    if (!s->reap_timer)
        s->reap_timer = tl_timer_start(s->loop, GROUP_LINGER_MS, reap, s);
    check_finished(s);
}

static void recipient_free(recipient *r)
{
    if (r->timer)
        tl_timer_stop(r->timer);
    if (r->relink_timer)
        tl_timer_stop(r->relink_timer);
    tl_link_free(r->dead_link);
    if (r->s->buckets && r->bucket >= 0)
        tl_bucket_remove(r->s->buckets, r->bucket);
    tl_xfer_sender_free(r->xs);
    tl_link_free(r->link);
    free(r);
}

static void reap(void *arg)
{
    tl_group_sender *s = arg;
    s->reap_timer = NULL;
    /* Finished recipients lingered GROUP_LINGER_MS so their last frames
     * were delivered; now release them. */
    /* Each one lingers its own GROUP_LINGER_MS: one decided just before
     * an earlier recipient's timer fires must still get its DONE out. */
    uint64_t now = tl_loop_now_ms(s->loop), next = UINT64_MAX;
    recipient **pp = &s->recipients;
    while (*pp) {
        recipient *r = *pp;
        uint64_t linger = r->dropped && !r->left ? DROP_LINGER_MS : GROUP_LINGER_MS;
        if (r->done && now - r->done_at < linger) {
            if (r->done_at + linger < next)
                next = r->done_at + linger;
            pp = &r->next;
        } else if (r->done && !r->pumping) {
            *pp = r->next;
            if (s->tamper_target == r)
                s->tamper_target = NULL;
            recipient_free(r);
        } else {
            pp = &r->next;
        }
    }
    if (next != UINT64_MAX)
        s->reap_timer = tl_timer_start(s->loop, (uint32_t)(next - now), reap, s);
}

/* ---- driving one recipient's transfer ---- */

static void timer_fire(void *arg)
{
    recipient *r = arg;
    r->timer = NULL;
    pump(r);
}

static void arm_timer(recipient *r, uint64_t now, uint64_t at)
{
    if (at == UINT64_MAX)
        return;
    if (r->timer && r->timer_at <= at)
        return;
    if (r->timer)
        tl_timer_stop(r->timer);
    r->timer_at = at;
    r->timer = tl_timer_start(r->s->loop, (uint32_t)(at > now ? at - now : 0), timer_fire, r);
}

static void send_record(recipient *r, const uint8_t *data, size_t len)
{
    tl_group_sender *s = r->s;
    uint8_t *copy = NULL;
    if (len >= s->manifest->chunk_size && s->tamper_chunk >= 0) {
        if (!s->tamper_target && !s->tamper_done)
            s->tamper_target = r;
        if (s->tamper_target == r && r->sends_big++ == (uint32_t)s->tamper_chunk) {
            s->tamper_done = 1;
            copy = malloc(len);
            if (copy) {
                memcpy(copy, data, len);
                copy[len / 2] ^= 0x5a;
                data = copy;
            }
        }
    }
    int rc = tl_link_send(r->link, data, len);
    free(copy);
    if (rc != TL_OK)
        tl_loop_log(s->loop, TL_LOG_DEBUG, r->peer, "send failed: %s", tl_strerror(rc));
    if (s->buckets && r->bucket >= 0)
        tl_bucket_consume(s->buckets, r->bucket, len, tl_loop_now_ms(s->loop));
}

/* Setup first: while a recipient that joined less than SETUP_GATE_MS ago is
 * still connecting or keying, the recipients already keyed hold their file
 * data, so one loop thread busy encrypting and sending does not delay the
 * others' ICE, DTLS, SCTP and key exchange. Returns when the gate opens
 * (0: open now). */
#define SETUP_GATE_MS 500u

static uint64_t setup_gate(const tl_group_sender *s, uint64_t now)
{
    uint64_t until = 0;
    for (const recipient *o = s->recipients; o; o = o->next)
        if (!o->done && !o->keyed && now < o->joined_ms + SETUP_GATE_MS &&
            o->joined_ms + SETUP_GATE_MS > until)
            until = o->joined_ms + SETUP_GATE_MS;
    return until;
}

static void on_event(recipient *r, const tl_xfer_event *ev, uint64_t now)
{
    tl_group_sender *s = r->s;
    switch (ev->type) {
    case TL_XFER_EV_KEYED:
        r->keyed = 1;
        if (!setup_gate(s, now)) /* the last one in setup: data for all */
            for (recipient *o = s->recipients; o; o = o->next)
                if (o != r && o->keyed && !o->done)
                    arm_timer(o, now, now);
        if (s->cb.on_peer)
            s->cb.on_peer(s->ud, r->peer, "keyed", tl_quality_name(tl_link_quality(r->link)),
                          ev->sas);
        break;
    case TL_XFER_EV_NAME:
        snprintf(r->display, sizeof(r->display), "%s", ev->message);
        if (s->cb.on_name)
            s->cb.on_name(s->ud, r->peer, r->display);
        break;
    case TL_XFER_EV_PROGRESS:
        if (tl_gprogress_update(&r->prog, ev->bytes, ev->total, now, PROGRESS_EVERY_MS) &&
            s->cb.on_progress)
            s->cb.on_progress(s->ud, r->peer, ev->bytes, ev->total, r->prog.rate);
        break;
    case TL_XFER_EV_RTT:
        tl_link_rtt(r->link, ev->rtt_ms);
        break;
    case TL_XFER_EV_FILE_FAILED:
        tl_loop_log(s->loop, TL_LOG_WARN, r->peer, "file %u failed: %s", ev->file,
                    tl_strerror(ev->error));
        break;
    case TL_XFER_EV_DONE:
        if (s->cb.on_progress)
            s->cb.on_progress(s->ud, r->peer, r->prog.total, r->prog.total, r->prog.rate);
        recipient_result(r, ev->error == 0,
                         ev->error ? (ev->message[0] ? ev->message : tl_strerror(ev->error))
                                   : NULL);
        break;
    case TL_XFER_EV_ERROR: {
        char msg[200];
        snprintf(msg, sizeof(msg), "%s%s%s", ev->remote ? "recipient reported: " : "",
                 ev->message[0] ? ev->message : tl_strerror(ev->error), ev->message[0] ? "" : "");
        recipient_result(r, 0, msg);
        break;
    }
    default:
        break;
    }
}

/* gate: setup_gate() as of this pump turn, for a keyed recipient (else 0). */
static int may_send(recipient *r, uint64_t now, uint64_t gate, uint64_t *wait_at)
{
    if (!tl_link_writable(r->link))
        return 0;
    tl_group_sender *s = r->s;
    if (gate) {
        if (gate < *wait_at)
            *wait_at = gate;
        return 0;
    }
    if (!s->buckets || r->bucket < 0)
        return 1;
    /* Send, then charge what was sent (tl_bucket_consume in send_record). */
    tl_bucket_set_active(s->buckets, r->bucket, 1);
    if (tl_bucket_ready(s->buckets, r->bucket, now))
        return 1;
    uint64_t w = tl_bucket_wait_ms(s->buckets, r->bucket, 1, now);
    *wait_at = now + (w ? w : 1);
    return 0;
}

static void pump(recipient *r)
{
    /* A finished session is still polled: its last frames (DONE, ERROR)
     * come after the event that finished it. */
    if (r->pumping || !r->xs || !r->link)
        return;
    tl_group_sender *s = r->s;
    r->pumping = 1;
    uint64_t now = tl_loop_now_ms(s->loop), wait_at = UINT64_MAX;
    /* Once per turn, not per record: it walks every recipient. A join
     * during the turn closes it from the next turn on. */
    uint64_t gate = r->keyed ? setup_gate(s, now) : 0;
    int guard;
    for (guard = 0; guard < 4096; guard++) {
        tl_xfer_action act;
        int writable = may_send(r, now, gate, &wait_at);
        int rc = tl_xfer_sender_poll(r->xs, now, writable, &act);
        if (rc != TL_OK || act.type == TL_XFER_ACT_NONE)
            break;
        if (act.type == TL_XFER_ACT_SEND) {
            send_record(r, act.data, act.len);
        } else if (act.type == TL_XFER_ACT_READ) {
            int err = tl_source_read(s->source, act.file, act.offset, act.buf, act.len);
            if (err != TL_OK)
                tl_loop_log(s->loop, TL_LOG_WARN, r->peer, "source: %s",
                            tl_source_last_error(s->source));
            tl_xfer_sender_read_done(r->xs, now, err);
        } else if (act.type == TL_XFER_ACT_EVENT) {
            on_event(r, &act.event, now);
            gate = r->keyed ? setup_gate(s, now) : 0; /* it may have just keyed */
        }
        if (act.type != TL_XFER_ACT_EVENT)
            now = tl_loop_now_ms(s->loop);
    }
    r->pumping = 0;
    if (!r->done) {
        uint64_t at = tl_xfer_sender_next_timeout(r->xs);
        if (wait_at < at)
            at = wait_at;
        arm_timer(r, now, at);
        /* More to do right away (the guard above bounds one turn). */
        if (guard == 4096)
            arm_timer(r, now, now + 1);
    }
}

/* ---- link callbacks ---- */

static int peer_was_invited(const tl_group_sender *s, const char *name)
{
    for (size_t i = 0; i < s->cfg.n_to; i++)
        if (name[0] && !strcmp(s->to[i], name))
            return 1;
    return 0;
}

static void link_open(tl_link *l, void *ud)
{
    recipient *r = ud;
    if (l != r->link)
        return;
    tl_group_sender *s = r->s;
    r->opened = 1;
    tl_xfer_config xc;
    memset(&xc, 0, sizeof(xc));
    xc.crypto = tl_xfer_crypto_default();
    xc.idle_timeout_ms = TL_LINK_SESSION_IDLE_MS;
    xc.stall_timeout_ms = s->cfg.net.stall_timeout_ms;
    xc.hs.group_id = (const uint8_t *)s->group;
    xc.hs.group_id_len = strlen(s->group);
    xc.name = s->cfg.display_name;
    xc.hs.identity = s->identity;
    if (tl_link_fingerprints(l, xc.hs.local_fp, xc.hs.remote_fp) != TL_OK) {
        recipient_result(r, 0, "no DTLS fingerprint");
        return;
    }
    /* Invited devices never saw the code, so only code joiners mix it in. */
    if (!peer_was_invited(s, r->name)) {
        xc.hs.code_secret = s->secret;
        xc.hs.code_secret_len = sizeof(s->secret);
    }
    int rc = tl_xfer_sender_new(&r->xs, s->manifest, &xc);
    if (rc == TL_OK)
        rc = tl_xfer_sender_start(r->xs, tl_loop_now_ms(s->loop));
    if (rc != TL_OK) {
        recipient_result(r, 0, tl_strerror(rc));
        return;
    }
    pump(r);
}

static void link_message(tl_link *l, const uint8_t *data, size_t len, void *ud)
{
    recipient *r = ud;
    if (l != r->link || !r->xs || r->done)
        return;
    tl_xfer_sender_recv(r->xs, tl_loop_now_ms(r->s->loop), data, len);
    pump(r);
}

static void link_writable(tl_link *l, void *ud)
{
    recipient *r = ud;
    if (l == r->link)
        pump(r);
}

static const tl_link_callbacks link_cb;

/* A connection was lost for good (ICE restarts exhausted, or the SCTP
 * association or DTLS closed under it): while the peer is still in the
 * group, replace it with a new connection; the new session resumes from
 * what the recipient has verified. */
static void relink(void *arg)
{
    recipient *r = arg;
    tl_group_sender *s = r->s;
    r->relink_timer = NULL;
    if (r->done)
        return;
    tl_link_free(r->dead_link);
    r->dead_link = NULL;
    /* bytes_sent counts every session of this recipient, not the last. */
    if (r->xs)
        r->sent_before += tl_xfer_sender_bytes_sent(r->xs);
    tl_xfer_sender_free(r->xs);
    r->xs = NULL;
    tl_link_config lc;
    tl_gnet_link_config(&lc, s->loop, s->sig, s->group, r->peer, 1, &s->cfg.net);
    lc.reconnect_attempts = s->cfg.reconnect_attempts;
    tl_loop_log(s->loop, TL_LOG_INFO, r->peer, "new connection (%u)", r->relinks);
    if (tl_link_new(&r->link, &lc, &link_cb, r) != TL_OK) {
        r->link = NULL;
        recipient_result(r, 0, "connection lost");
    }
}

static void link_state(tl_link *l, tl_link_state st, void *ud)
{
    recipient *r = ud;
    if (l != r->link)
        return;
    tl_group_sender *s = r->s;
    if (s->cb.on_peer && !r->done)
        s->cb.on_peer(s->ud, r->peer, tl_link_state_name(st), tl_quality_name(tl_link_quality(l)),
                      NULL);
    if (st == TL_LINK_FAILED && !r->done && r->relinks < GROUP_MAX_RELINKS && !s->job.decided) {
        r->relinks++;
        if (r->timer) {
            tl_timer_stop(r->timer);
            r->timer = NULL;
        }
        r->dead_link = r->link;
        r->link = NULL;
        r->relink_timer = tl_timer_start(s->loop, 1000, relink, r);
    } else if (st == TL_LINK_FAILED) {
        recipient_result(r, 0, "connection lost");
    } else if (st == TL_LINK_OPEN) {
        pump(r);
    }
}

static void link_quality(tl_link *l, tl_quality q, void *ud)
{
    recipient *r = ud;
    if (l != r->link)
        return;
    tl_group_sender *s = r->s;
    if (s->cb.on_peer && !r->done)
        s->cb.on_peer(s->ud, r->peer, tl_link_state_name(tl_link_get_state(l)), tl_quality_name(q),
                      NULL);
}

static const tl_link_callbacks link_cb = {
    .on_open = link_open,
    .on_message = link_message,
    .on_writable = link_writable,
    .on_state = link_state,
    .on_quality = link_quality,
};

static void add_recipient(tl_group_sender *s, const char *peer, const char *name)
{
    recipient *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->s = s;
    r->bucket = -1;
    r->joined_ms = tl_loop_now_ms(s->loop);
    snprintf(r->peer, sizeof(r->peer), "%s", peer);
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    if (s->buckets)
        r->bucket = tl_bucket_add(s->buckets, s->cfg.peer_limit);
    tl_link_config lc;
    tl_gnet_link_config(&lc, s->loop, s->sig, s->group, peer, 1, &s->cfg.net);
    lc.reconnect_attempts = s->cfg.reconnect_attempts;
    r->next = s->recipients;
    s->recipients = r;
    if (s->cb.on_peer)
        s->cb.on_peer(s->ud, peer, "joined", "disconnected", NULL);
    int rc = tl_link_new(&r->link, &lc, &link_cb, r);
    if (rc != TL_OK)
        recipient_result(r, 0, tl_strerror(rc));
}

/* ---- signaling ---- */

/* Test-only (tallow-hostile, TALLOW_HOSTILE=poser): join the group of the
 * code in TALLOW_POSER_CODE, as any recipient can, and act as its sender. */
static int poser_join(tl_group_sender *s)
{
    const char *text = getenv("TALLOW_POSER_CODE");
    tl_joincode jc;
    if (!text || tl_joincode_parse(text, &jc) != TL_OK)
        return TL_ERR_INVALID_ARG;
    memcpy(s->secret, jc.secret, sizeof(s->secret));
    snprintf(s->group, sizeof(s->group), "%06u", (unsigned)jc.group);
    s->have_group = 1;
    int rc = tl_signal_client_join_code(s->sig, &jc);
    tl_joincode_wipe(&jc);
    return rc;
}

static void sig_joined(void *ud, const char *group, const tl_signal_member *m, size_t n)
{
    tl_group_sender *s = ud;
    (void)group;
    if (!tl_hostile("poser"))
        return;
    /* The poser treats every member it finds as its recipient. */
    for (size_t i = 0; i < n; i++)
        if (!find(s, m[i].peer))
            add_recipient(s, m[i].peer, m[i].name);
}

static void sig_registered(void *ud, const char *peer_id, int resumed)
{
    tl_group_sender *s = ud;
    (void)peer_id;
    if (resumed || s->have_group)
        return;
    if (tl_hostile("poser")) {
        if (poser_join(s) != TL_OK)
            finish_job(s, 3, "poser: no TALLOW_POSER_CODE");
        return;
    }
    int rc = tl_gsession_create_group(s->sig, s->cfg.session_file, s->location);
    if (rc != TL_OK)
        finish_job(s, 3, "cannot create the group");
}

static void sig_group_created(void *ud, const char *group, const char *code,
                              const uint8_t secret[TL_JOINCODE_SECRET_LEN])
{
    tl_group_sender *s = ud;
    snprintf(s->group, sizeof(s->group), "%s", group);
    memcpy(s->secret, secret, sizeof(s->secret));
    s->have_group = 1;
    uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
    tl_hs_identity_seed(s->identity, seed);
    tl_gsession_save(s->cfg.session_file, code, seed);
    OPENSSL_cleanse(seed, sizeof(seed));
    /* A long code carries the commitment to our identity; the short one
     * is checked against the group fingerprint by eye. */
    char long_code[TL_JOINCODE_MAX_TEXT];
    int use_long = s->cfg.long_code &&
                   tl_joincode_long(code, s->identity_id, long_code, sizeof(long_code)) == TL_OK;
    if (s->cb.on_code)
        s->cb.on_code(s->ud, use_long ? long_code : code);
    if (s->cb.on_sender)
        s->cb.on_sender(s->ud, s->fingerprint);
    for (size_t i = 0; i < s->cfg.n_to; i++)
        tl_signal_client_invite(s->sig, s->group, s->to[i], NULL, 0);
}

static void invite_pending(void *arg)
{
    tl_group_sender *s = arg;
    s->invite_timer = NULL;
    for (size_t i = 0; i < s->cfg.n_to; i++)
        if (!s->to_joined[i])
            tl_signal_client_invite(s->sig, s->group, s->to[i], NULL, 0);
}

static void sig_peer_joined(void *ud, const char *group, const char *peer, const char *name,
                            int rejoined)
{
    tl_group_sender *s = ud;
    if (strcmp(group, s->group) != 0 || s->job.decided)
        return;
    for (size_t i = 0; i < s->cfg.n_to; i++)
        if (name && !strcmp(name, s->to[i]))
            s->to_joined[i] = 1;
    if (rejoined && find(s, peer))
        return; /* its signaling connection came back; the link survives */
    if (s->n_failed_keys >= s->cfg.max_failed_keys) {
        /* Each failed key exchange may have been one online guess of the
         * join code's key part (docs/CRYPTO.md §3): stop offering more. */
        tl_loop_log(s->loop, TL_LOG_WARN, peer, "refused: too many failed key exchanges");
        if (s->cb.on_peer)
            s->cb.on_peer(s->ud, peer, "refused", "disconnected", NULL);
        return;
    }
    recipient *old = find(s, peer);
    if (old)
        recipient_result(old, 0, "rejoined as a new session");
    add_recipient(s, peer, name);
}

static void sig_peer_left(void *ud, const char *group, const char *peer)
{
    tl_group_sender *s = ud;
    (void)group;
    for (recipient *o = s->recipients; o; o = o->next)
        if (o->dropped && !strcmp(o->peer, peer) && !o->left) {
            o->left = 1; /* its CANCEL arrived: released at the next reap */
            if (!s->reap_timer)
                s->reap_timer = tl_timer_start(s->loop, 0, reap, s);
        }
    recipient *r = find(s, peer);
    if (r && !(r->xs && tl_xfer_sender_is_done(r->xs)))
        recipient_result(r, 0, "recipient left the group");
}

static void sig_answer(void *ud, const char *group, const char *from, const char *sdp)
{
    recipient *r = find(ud, from);
    (void)group;
    if (r && r->link)
        tl_link_remote_answer(r->link, sdp);
}

static void sig_candidate(void *ud, const char *group, const char *from, const char *cand,
                          const char *mid)
{
    recipient *r = find(ud, from);
    (void)group;
    if (r && r->link)
        tl_link_remote_candidate(r->link, cand, mid);
}

static void sig_eoc(void *ud, const char *group, const char *from)
{
    recipient *r = find(ud, from);
    (void)group;
    if (r && r->link)
        tl_link_remote_end_of_candidates(r->link);
}

static void sig_error(void *ud, const char *code, const char *request, const char *message)
{
    tl_group_sender *s = ud;
    if (!strcmp(code, "certificate") && !s->have_group) {
        finish_job(s, 3, message); /* the server's wss certificate was refused */
        return;
    }
    tl_loop_log(s->loop, TL_LOG_WARN, "signal", "error %s (%s): %s", code, request, message);
    if (!strcmp(request, "create-group"))
        finish_job(s, 3, "the signaling server refused to create the group");
    /* An invited device that has not registered yet: ask again shortly. */
    if (!strcmp(request, "invite") && !strcmp(code, "no-such-device") && !s->invite_timer &&
        !s->job.decided)
        s->invite_timer = tl_timer_start(s->loop, 1000, invite_pending, s);
}

static void sig_state(void *ud, tl_signal_state st)
{
    tl_group_sender *s = ud;
    if (st == TL_SIGNAL_CLOSED && !s->have_group)
        finish_job(s, 3, "signaling server unreachable");
}

/* ---- setup ---- */

static int build_manifest(tl_group_sender *s)
{
    uint8_t tid[TL_TRANSFER_ID_LEN];
    int rc = tl_random(tid, sizeof(tid));
    if (rc == TL_OK)
        rc = tl_xfer_manifest_new(
            &s->manifest, s->cfg.chunk_size ? s->cfg.chunk_size : TL_XFER_DEFAULT_CHUNK, tid);
    for (size_t i = 0; rc == TL_OK && i < s->cfg.n_paths; i++) {
        char *name = g_path_get_basename(s->cfg.paths[i]); /* "dir/" -> "dir" */
        rc = tl_source_add_path(s->manifest, s->cfg.paths[i], name);
        g_free(name);
        if (rc != TL_OK)
            tl_loop_log(s->loop, TL_LOG_ERROR, "send", "cannot read %s: %s", s->cfg.paths[i],
                        tl_strerror(rc));
    }
    if (rc == TL_OK)
        tl_gtest_rename_first(s->manifest);
    if (rc == TL_OK)
        rc = tl_source_new(&s->source, s->manifest);
    return rc;
}

int tl_group_sender_new(tl_group_sender **out, tl_loop *loop, const tl_group_sender_config *cfg,
                        const tl_group_callbacks *cb, void *ud)
{
    if (!cfg || !cfg->n_paths)
        return TL_ERR_INVALID_ARG;
    tl_group_sender *s = calloc(1, sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    s->loop = loop;
    s->cb = *cb;
    s->ud = ud;
    s->job.loop = loop;
    s->job.cb = &s->cb;
    s->job.ud = ud;
    s->cfg = *cfg;
    if (!s->cfg.expect)
        s->cfg.expect = cfg->n_to ? (uint32_t)cfg->n_to : 1;
    if (!s->cfg.max_failed_keys)
        s->cfg.max_failed_keys = 16;
    /* Test hook: the chunk index to corrupt (docs/SECURITY.md); a value
     * that is not a whole number leaves it off. */
    const char *t = getenv("TALLOW_TEST_TAMPER_CHUNK");
    uint64_t tc;
    const char *why;
    s->tamper_chunk = t && !tl_parse_number(t, 0, LONG_MAX, &tc, &why) ? (long)tc : -1;
    s->to = calloc(cfg->n_to + 1, sizeof(char *));
    s->to_joined = calloc(cfg->n_to + 1, sizeof(int));
    for (size_t i = 0; s->to && i < cfg->n_to; i++)
        s->to[i] = strdup(cfg->to[i]);
    int rc = s->to && s->to_joined ? TL_OK : TL_ERR_NOMEM;
    /* The identity: the session file's (a resumed send: recipients that
     * verified it before check the same), else a fresh one. */
    if (rc == TL_OK) {
        uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
        int have = tl_gsession_identity(cfg->session_file, seed) == TL_OK;
        rc = tl_hs_identity_new(&s->identity, have ? seed : NULL);
        OPENSSL_cleanse(seed, sizeof(seed));
    }
    if (rc == TL_OK) {
        tl_hs_identity_id(s->identity, s->identity_id);
        rc = tl_sender_fingerprint(s->identity_id, s->fingerprint, sizeof(s->fingerprint));
    }
    if (rc == TL_OK)
        rc = build_manifest(s);
    /* Always there (unlimited costs nothing): limits may change while
     * sending (tl_group_sender_set_limits). */
    if (rc == TL_OK)
        rc = tl_bucket_group_new(&s->buckets, cfg->limit, 0, tl_loop_now_ms(loop));
    static const tl_signal_callbacks scb = {
        .on_state = sig_state,
        .on_registered = sig_registered,
        .on_group_created = sig_group_created,
        .on_joined = sig_joined,
        .on_peer_joined = sig_peer_joined,
        .on_peer_left = sig_peer_left,
        .on_answer = sig_answer,
        .on_candidate = sig_candidate,
        .on_end_of_candidates = sig_eoc,
        .on_error = sig_error,
    };
    /* With a TURN secret the embedded server hands out the ICE servers, to
     * this sender too (its own entry then has no credentials to use). */
    const char *urls[TL_SIGNAL_MAX_ICE];
    tl_gsignal_serve serve;
    memset(&serve, 0, sizeof(serve));
    if (rc == TL_OK && cfg->turn_secret && !cfg->signal_url) {
        if (cfg->net.n_ice_servers > TL_SIGNAL_MAX_ICE)
            rc = TL_ERR_INVALID_ARG;
        for (size_t i = 0; rc == TL_OK && i < cfg->net.n_ice_servers; i++)
            urls[i] = cfg->net.ice_servers[i].url;
        serve.ice_urls = urls;
        serve.n_ice_urls = cfg->net.n_ice_servers;
        serve.turn_secret = cfg->turn_secret;
        serve.turn_ttl_s = cfg->turn_ttl_s;
        s->cfg.net.ice_servers = NULL;
        s->cfg.net.n_ice_servers = 0;
    }
    if (rc == TL_OK)
        rc = tl_gsignal_start(loop, cfg->signal_url, cfg->listen, &s->server, &s->sig, s->location,
                              sizeof(s->location), &scb, s, NULL, &cfg->net, &serve);
    snprintf(s->iface, sizeof(s->iface), "%s", serve.iface);
    if (rc != TL_OK) {
        tl_group_sender_free(s);
        return rc;
    }
    tl_gnet_default_bind(&s->cfg.net, s->location);
    *out = s;
    return TL_OK;
}

const char *tl_group_sender_interface(const tl_group_sender *s)
{
    return s ? s->iface : "";
}

void tl_group_sender_free(tl_group_sender *s)
{
    if (!s)
        return;
    if (s->reap_timer)
        tl_timer_stop(s->reap_timer);
    tl_gjob_cancel(&s->job);
    if (s->invite_timer)
        tl_timer_stop(s->invite_timer);
    while (s->recipients) {
        recipient *r = s->recipients;
        s->recipients = r->next;
        recipient_free(r);
    }
    tl_signal_client_free(s->sig);
    tl_signal_server_free(s->server);
    tl_source_free(s->source);
    tl_xfer_manifest_free(s->manifest);
    tl_bucket_group_free(s->buckets);
    for (size_t i = 0; s->to && i < s->cfg.n_to; i++)
        free(s->to[i]);
    free(s->to);
    free(s->to_joined);
    OPENSSL_cleanse(s->secret, sizeof(s->secret));
    tl_hs_identity_free(s->identity);
    free(s);
}

/* ---- statistics and control (group.h) ---- */

size_t tl_group_sender_stats(const tl_group_sender *s, tl_group_stats *total,
                             tl_group_peer_stats *peers, size_t cap)
{
    tl_group_stats t;
    memset(&t, 0, sizeof(t));
    if (total)
        *total = t;
    if (!s)
        return 0;
    uint64_t now = tl_loop_now_ms(s->loop);
    size_t n = 0;
    for (const recipient *r = s->recipients; r; r = r->next) {
        tl_group_peer_stats p;
        const char *done = !r->done ? NULL : r->ok ? "done" : r->dropped ? "removed" : "failed";
        tl_gstats_peer(&p, r->peer, r->display, r->link, &r->prog, done, now);
        tl_gstats_add(&t, &p);
        if (n < cap)
            peers[n] = p;
        n++;
    }
    t.relay_only = s->cfg.net.relay_only != 0;
    t.limit = s->cfg.limit;
    t.peer_limit = s->cfg.peer_limit;
    if (total)
        *total = t;
    return n;
}

int tl_group_sender_drop(tl_group_sender *s, const char *peer)
{
    if (!s || !peer)
        return TL_ERR_INVALID_ARG;
    recipient *r = find(s, peer);
    if (!r)
        return TL_ERR_NOT_FOUND;
    tl_loop_log(s->loop, TL_LOG_INFO, r->peer, "removed by the sender");
    r->dropped = 1;
    s->n_dropped++;
    if (r->xs)
        tl_xfer_sender_cancel_reason(r->xs, tl_loop_now_ms(s->loop), "removed by the sender");
    recipient_result(r, 0, "removed by the sender");
    pump(r); /* the CANCEL leaves now; the link lingers until it is reaped */
    return TL_OK;
}

int tl_group_sender_set_limits(tl_group_sender *s, uint64_t limit, uint64_t peer_limit)
{
    if (!s)
        return TL_ERR_INVALID_ARG;
    if (!s->buckets)
        return TL_ERR_NOMEM;
    uint64_t now = tl_loop_now_ms(s->loop);
    s->cfg.limit = limit;
    s->cfg.peer_limit = peer_limit;
    tl_bucket_set_rate(s->buckets, limit, now);
    for (recipient *r = s->recipients; r; r = r->next) {
        if (r->bucket >= 0)
            tl_bucket_set_peer_rate(s->buckets, r->bucket, peer_limit, now);
        if (!r->done)
            arm_timer(r, now, now); /* a wait computed at the old rate may be too long */
    }
    tl_loop_log(s->loop, TL_LOG_INFO, "send", "limits now %llu B/s total, %llu B/s each",
                (unsigned long long)limit, (unsigned long long)peer_limit);
    return TL_OK;
}

int tl_group_sender_invite(tl_group_sender *s, const char *name)
{
    if (!s || !name || !name[0] || strlen(name) > 63)
        return TL_ERR_INVALID_ARG;
    if (!s->have_group || s->job.decided)
        return TL_ERR_STATE;
    char **to = realloc(s->to, (s->cfg.n_to + 2) * sizeof(char *));
    if (!to)
        return TL_ERR_NOMEM;
    s->to = to;
    int *joined = realloc(s->to_joined, (s->cfg.n_to + 2) * sizeof(int));
    if (!joined)
        return TL_ERR_NOMEM;
    s->to_joined = joined;
    char *copy = strdup(name);
    if (!copy)
        return TL_ERR_NOMEM;
    s->to[s->cfg.n_to] = copy;
    s->to_joined[s->cfg.n_to] = 0;
    s->cfg.n_to++;
    s->to[s->cfg.n_to] = NULL;
    s->cfg.expect++;
    s->cfg.to = NULL; /* the caller's list no longer describes ours */
    tl_signal_client_invite(s->sig, s->group, name, NULL, 0);
    return TL_OK;
}

int tl_group_sender_cancel(tl_group_sender *s, int status, const char *message)
{
    if (!s)
        return TL_ERR_INVALID_ARG;
    if (s->job.decided)
        return TL_ERR_STATE;
    uint64_t now = tl_loop_now_ms(s->loop);
    int live = 0;
    for (const recipient *r = s->recipients; r; r = r->next)
        live += !r->done && r->xs;
    /* Decided first: the recipients' results that follow do not decide it;
     * the linger lets the CANCELs leave (none to deliver: report now). */
    tl_gjob_decide(&s->job, status, message, live ? GROUP_LINGER_MS : 0);
    for (recipient *r = s->recipients; r; r = r->next) {
        if (r->done || !r->xs)
            continue;
        tl_xfer_sender_cancel_reason(r->xs, now, TL_GROUP_SENDER_CANCELLED);
        pump(r);
    }
    return TL_OK;
}

const char *tl_group_sender_fingerprint(const tl_group_sender *s)
{
    return s ? s->fingerprint : "";
}
