#define _GNU_SOURCE
/* Group receiver: joins by code or invitation, answers the sender's offer,
 * runs one tl_xfer_receiver session over the link and writes through one
 * tl_sink per manifest entry. Transport loss (the sender restarting, the
 * network dropping) ends only the session: the receiver waits for the next
 * offer and resumes from what its sinks have verified. Protocol and
 * integrity failures end the job. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "group/group_internal.h"
#include "signal/joincode.h"

struct tl_group_receiver {
    tl_loop *loop;
    tl_group_callbacks cb;
    void *ud;
    tl_group_receiver_config cfg;
    tl_signal_server *unused_server;
    tl_signal_client *sig;
    char location[300];
    tl_joincode code;
    int have_code;
    char group[16];
    char sender[64];
    tl_link *link;
    tl_link *old_link; /* freed outside its callbacks */
    tl_xfer_receiver *xr;
    tl_xfer_receiver *old_xr;
    tl_sink **sinks;
    uint32_t n_sinks;
    int out_fd;
    int pumping;
    tl_gjob job;
    tl_timer *timer;
    uint64_t timer_at;
    tl_timer *gc_timer;
    tl_gprogress prog;
    tl_timer *join_timer;
    unsigned join_retries;
    tl_timer *gone_timer; /* no session: the sender is gone when this fires */
    char sas[TL_HS_SAS_LEN];
    char from[128];    /* the sender's display name (escaped), "" if none */
    int offer_pending; /* on_offer called, waiting for tl_group_receiver_answer */
    int accepted;      /* the offer was accepted (asked once per job) */
    /* Sender identity (docs/CRYPTO.md §3): what the code, the link or
     * --sender-fingerprint commits to, then the identity pinned at the first
     * keyed session (every later session must present the same). */
    uint8_t expect_id[TL_HS_IDENTITY_LEN];
    unsigned expect_bits;
    int pinned;
    int refused;      /* a session failed the identity check */
    char creator[64]; /* the group's creator as the server named it */
    /* An offer from another member while a session runs: kept (the latest
     * one only) until the running session ends. */
    char pend_from[64], pend_group[16];
    char *pend_sdp;
    tl_timer *pend_timer;
    tl_timer *refuse_timer; /* ends a refused session once its ERROR is out */
    char sink_err[200];     /* the last write/verify error, said once (keep_sink_error) */
};

static void pump(tl_group_receiver *r);
static void sender_gone(void *arg);
static void pending_offer(void *arg);
static void drop_refused(void *arg);

/* The job is decided. A failure is reported after a short linger so the
 * ERROR frame queued for the sender is delivered first. */
static void finish(tl_group_receiver *r, int status, const char *msg)
{
    tl_gjob_decide(&r->job, status, msg, status && r->link ? GROUP_LINGER_MS : 0);
}

static void close_sinks(tl_group_receiver *r)
{
    for (uint32_t i = 0; i < r->n_sinks; i++)
        tl_sink_free(r->sinks[i]);
    free(r->sinks);
    r->sinks = NULL;
    r->n_sinks = 0;
}

static void gc(void *arg)
{
    tl_group_receiver *r = arg;
    r->gc_timer = NULL;
    tl_link_free(r->old_link);
    r->old_link = NULL;
    tl_xfer_receiver_free(r->old_xr);
    r->old_xr = NULL;
}

/* Ends the current session (not the job): the sinks keep what is verified. */
static void drop_session(tl_group_receiver *r, const char *why)
{
    if (r->refuse_timer) {
        tl_timer_stop(r->refuse_timer);
        r->refuse_timer = NULL;
    }
    if (!r->link)
        return;
    tl_loop_log(r->loop, TL_LOG_INFO, "receive", "session ended (%s); waiting for the sender", why);
    if (r->timer) {
        tl_timer_stop(r->timer);
        r->timer = NULL;
    }
    gc(r);
    r->old_link = r->link;
    r->old_xr = r->xr;
    r->link = NULL;
    r->xr = NULL;
    close_sinks(r);
    r->gc_timer = tl_timer_start(r->loop, 0, gc, r);
    if (r->cb.on_peer)
        r->cb.on_peer(r->ud, r->sender, "disconnected", "disconnected", NULL);
    if (!r->gone_timer)
        r->gone_timer = tl_timer_start(r->loop, TL_LINK_RECONNECT_WINDOW_MS, sender_gone, r);
    if (r->pend_sdp && !r->pend_timer)
        r->pend_timer = tl_timer_start(r->loop, 0, pending_offer, r);
}

/* No new offer within the reconnection window after a session ended: the
 * sender is gone (crashed, frozen, or it gave us up), say so and stop. */
static void sender_gone(void *arg)
{
    tl_group_receiver *r = arg;
    r->gone_timer = NULL;
    if (r->link || r->job.decided)
        return;
    if (r->cb.on_peer)
        r->cb.on_peer(r->ud, r->sender, "gone", "disconnected", NULL);
    finish(r, 1,
           r->refused && !r->pinned ? tl_strerror(TL_ERR_IDENTITY)
                                    : "the sender is gone (no reconnection within the window)");
}

static void timer_fire(void *arg)
{
    tl_group_receiver *r = arg;
    r->timer = NULL;
    pump(r);
}

/* "4.2 GB" (powers of 1000, as the CLI shows sizes). */
static void human_size(uint64_t v, char *buf, size_t cap)
{
    static const char *unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double d = (double)v;
    int i = 0;
    while (d >= 1000 && i < 5) {
        d /= 1000;
        i++;
    }
    snprintf(buf, cap, i ? "%.1f %s" : "%.0f %s", d, unit[i]);
}

/* Free-space check before answering the offer (docs/CLI.md): what the
 * offer still needs (less what a resume already has) against what the
 * output folder's file system gives this user. When it does not fit, the
 * offer is refused with both numbers, the sinks are discarded, the sender
 * is told why, and the job ends with status 6 (TL_GROUP_STATUS_NOSPACE). Returns 1 when it fits (or
 * the free space cannot be known). */
static int enough_space(tl_group_receiver *r, const tl_xfer_manifest *m, const tl_xfer_have *have)
{
    uint64_t need = tl_xfer_need_bytes(m, have, m->count);
    struct statvfs vs;
    if (!need || fstatvfs(r->out_fd, &vs) != 0)
        return 1;
    uint64_t avail = (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
    if (need <= avail)
        return 1;
    const char *dir = r->cfg.out_dir ? r->cfg.out_dir : ".";
    char real[PATH_MAX];
    if (realpath(dir, real))
        dir = real;
    char n[32], a[32], msg[200];
    human_size(need, n, sizeof(n));
    human_size(avail, a, sizeof(a));
    snprintf(msg, sizeof(msg), "not enough space: needs %s, %s free on %.70s", n, a, dir);
    tl_loop_log(r->loop, TL_LOG_DEBUG, "receive", "%s (%llu > %llu bytes)", msg,
                (unsigned long long)need, (unsigned long long)avail);
    if (r->cb.on_nospace)
        r->cb.on_nospace(r->ud, need, avail, dir);
    finish(r, TL_GROUP_STATUS_NOSPACE, msg);
    for (uint32_t i = 0; i < r->n_sinks; i++) {
        tl_sink_discard(r->sinks[i]);
        r->sinks[i] = NULL;
    }
    close_sinks(r);
    tl_xfer_receiver_refuse(r->xr, tl_loop_now_ms(r->loop), TL_ERR_NOSPACE, msg);
    return 0;
}

static int open_sinks(tl_group_receiver *r)
{
    const tl_xfer_manifest *m = tl_xfer_receiver_manifest(r->xr);
    close_sinks(r);
    r->sinks = calloc(m->count ? m->count : 1, sizeof(*r->sinks));
    tl_xfer_have *have = calloc(m->count ? m->count : 1, sizeof(*have));
    if (!r->sinks || !have) {
        free(have);
        return TL_ERR_NOMEM;
    }
    tl_sink_config sc = {.out_dir_fd = r->out_fd,
                         .overwrite = r->cfg.overwrite,
                         .receipt_key = tl_xfer_receiver_receipt_key(r->xr)};
    int rc = TL_OK;
    for (uint32_t i = 0; i < m->count && rc == TL_OK; i++) {
        rc = tl_sink_open(&r->sinks[i], &sc, m, i, &have[i]);
        r->n_sinks = i + 1;
        if (rc == TL_OK && have[i].status == TL_XFER_REFUSE)
            tl_loop_log(r->loop, TL_LOG_WARN, "receive", "refusing %s: %s", m->entries[i].path,
                        r->sinks[i] ? tl_sink_last_error(r->sinks[i]) : tl_strerror(have[i].error));
    }
    if (rc == TL_OK && !enough_space(r, m, have))
        rc = TL_ERR_NOSPACE;
    else if (rc == TL_OK)
        rc = tl_xfer_receiver_accept(r->xr, tl_loop_now_ms(r->loop), have, m->count);
    free(have);
    return rc;
}

/* A sink's error (with the file's name) is said once: as the reason of the
 * file's failure or of the job's end, not also as a log line of its own. */
static void keep_sink_error(tl_group_receiver *r, const tl_sink *k)
{
    snprintf(r->sink_err, sizeof(r->sink_err), "%s", tl_sink_last_error(k));
    tl_loop_log(r->loop, TL_LOG_DEBUG, "receive", "%s", r->sink_err);
}

/* Tells the application what is offered (on_offer) and waits. */
static void make_offer(tl_group_receiver *r, const tl_xfer_manifest *m)
{
    tl_group_offer o;
    memset(&o, 0, sizeof(o));
    char names[TL_GROUP_OFFER_NAMES][256];
    o.peer = r->sender;
    o.from = r->from;
    o.sas = r->sas;
    for (uint32_t i = 0; m && i < m->count; i++) {
        const tl_xfer_entry *e = &m->entries[i];
        if (e->kind == TL_XFER_FILE) {
            o.files++;
            o.total += e->size;
        } else {
            o.folders++;
        }
        if (strchr(e->path, '/'))
            continue;
        if (o.n_names < TL_GROUP_OFFER_NAMES) {
            tl_text_sanitize(names[o.n_names], sizeof(names[0]), e->path, strlen(e->path));
            o.names[o.n_names] = names[o.n_names];
            o.n_names++;
        } else {
            o.more_names++;
        }
    }
    r->offer_pending = 1;
    r->cb.on_offer(r->ud, &o);
}

static int is_transport_error(int err)
{
    return err == TL_ERR_TIMEOUT || err == TL_ERR_CLOSED;
}

static void on_event(tl_group_receiver *r, const tl_xfer_event *ev, uint64_t now)
{
    const tl_xfer_manifest *m = tl_xfer_receiver_manifest(r->xr);
    switch (ev->type) {
    case TL_XFER_EV_KEYED:
        snprintf(r->sas, sizeof(r->sas), "%s", ev->sas);
        if (ev->has_identity && !r->pinned) {
            char fp[64];
            memcpy(r->expect_id, ev->identity, sizeof(r->expect_id));
            r->expect_bits = 8 * TL_HS_IDENTITY_LEN;
            r->pinned = 1;
            if (tl_sender_fingerprint(ev->identity, fp, sizeof(fp)) == TL_OK && r->cb.on_sender)
                r->cb.on_sender(r->ud, fp);
        }
        if (r->cb.on_peer)
            r->cb.on_peer(r->ud, r->sender, "keyed", tl_quality_name(tl_link_quality(r->link)),
                          ev->sas);
        break;
    case TL_XFER_EV_NAME:
        snprintf(r->from, sizeof(r->from), "%s", ev->message);
        if (r->cb.on_name)
            r->cb.on_name(r->ud, r->sender, r->from);
        break;
    case TL_XFER_EV_MANIFEST: {
        if (r->cb.on_offer && !r->accepted) { /* nothing is written until accepted */
            make_offer(r, m);
            break;
        }
        int rc = open_sinks(r);
        if (rc != TL_OK && rc != TL_ERR_NOSPACE) /* NOSPACE: reported already */
            tl_loop_log(r->loop, TL_LOG_ERROR, "receive", "cannot accept: %s", tl_strerror(rc));
        break;
    }
    case TL_XFER_EV_PROGRESS:
        if (tl_gprogress_update(&r->prog, ev->bytes, ev->total, now, 250) && r->cb.on_progress)
            r->cb.on_progress(r->ud, r->sender, ev->bytes, ev->total, r->prog.rate);
        break;
    case TL_XFER_EV_RTT:
        tl_link_rtt(r->link, ev->rtt_ms);
        break;
    case TL_XFER_EV_FILE_VERIFIED:
        if (m && ev->file < m->count && m->entries[ev->file].kind == TL_XFER_FILE && r->cb.on_file)
            r->cb.on_file(r->ud, m->entries[ev->file].path, m->entries[ev->file].size,
                          m->entries[ev->file].sha256);
        break;
    case TL_XFER_EV_FILE_FAILED:
        if (r->sink_err[0])
            tl_loop_log(r->loop, TL_LOG_WARN, "receive", "%s", r->sink_err);
        else
            tl_loop_log(r->loop, TL_LOG_WARN, "receive", "%s failed: %s",
                        m && ev->file < m->count ? m->entries[ev->file].path : "file",
                        tl_strerror(ev->error));
        r->sink_err[0] = '\0';
        break;
    case TL_XFER_EV_DONE:
        if (r->cb.on_progress)
            r->cb.on_progress(r->ud, r->sender, r->prog.total, r->prog.total, r->prog.rate);
        finish(r, ev->error ? 1 : 0, ev->error ? tl_strerror(ev->error) : "every file verified");
        break;
    case TL_XFER_EV_ERROR:
        if (ev->error == TL_ERR_IDENTITY && !ev->remote) {
            /* Someone who knows the code but is not the sender: refuse it,
             * keep nothing from it, and wait for the real sender. */
            char fp[64] = "";
            if (ev->has_identity)
                (void)tl_sender_fingerprint(ev->identity, fp, sizeof(fp));
            tl_loop_log(r->loop, TL_LOG_ERROR, "receive", "%s%s%s%s", tl_strerror(ev->error),
                        fp[0] ? " (it is \"" : "", fp, fp[0] ? "\")" : "");
            r->refused = 1;
            /* After a short linger, so the peer gets our ERROR (and does not
             * retry a connection that will be refused again). */
            if (!r->refuse_timer)
                r->refuse_timer = tl_timer_start(r->loop, GROUP_LINGER_MS, drop_refused, r);
        } else if (is_transport_error(ev->error) && !ev->remote) {
            drop_session(r, ev->message[0] ? ev->message : tl_strerror(ev->error));
        } else {
            char msg[200];
            if (!ev->remote && r->sink_err[0]) /* our disk: the sink's words */
                snprintf(msg, sizeof(msg), "%s", r->sink_err);
            else
                snprintf(msg, sizeof(msg), "%s%s", ev->remote ? "sender reported: " : "",
                         ev->message[0] ? ev->message : tl_strerror(ev->error));
            /* The sender's CANCEL (interrupted, or it removed us) is a
             * person's decision, not a failure: its own status. */
            if (ev->remote && ev->error == TL_ERR_CANCELED)
                tl_gjob_decide(&r->job, TL_GROUP_STATUS_CANCELLED, msg, 0);
            else
                finish(r, 1, msg);
        }
        break;
    default:
        break;
    }
}

static void pump(tl_group_receiver *r)
{
    /* Still polled after the job is decided: the last frames go out. */
    if (r->pumping || !r->xr)
        return;
    r->pumping = 1;
    uint64_t now = tl_loop_now_ms(r->loop);
    for (int guard = 0; guard < 4096 && r->xr; guard++) {
        tl_xfer_action act;
        int rc = tl_xfer_receiver_poll(r->xr, now, tl_link_writable(r->link), &act);
        if (rc != TL_OK || act.type == TL_XFER_ACT_NONE)
            break;
        tl_xfer_receiver *xr = r->xr;
        if (act.type == TL_XFER_ACT_SEND) {
            tl_link_send(r->link, act.data, act.len);
        } else if (act.type == TL_XFER_ACT_WRITE) {
            int err = act.file < r->n_sinks && r->sinks[act.file]
                          ? tl_sink_write_chunk(r->sinks[act.file], act.chunk, act.data, act.len,
                                                act.hash)
                          : TL_ERR_STATE;
            if (err != TL_OK && act.file < r->n_sinks && r->sinks[act.file])
                keep_sink_error(r, r->sinks[act.file]);
            tl_xfer_receiver_write_done(xr, now, err);
        } else if (act.type == TL_XFER_ACT_VERIFY) {
            int err = act.file < r->n_sinks && r->sinks[act.file]
                          ? tl_sink_finish(r->sinks[act.file])
                          : TL_ERR_STATE;
            if (err != TL_OK && act.file < r->n_sinks && r->sinks[act.file])
                keep_sink_error(r, r->sinks[act.file]);
            uint8_t receipt[32] = {0};
            if (err == TL_OK)
                (void)tl_sink_receipt(r->sinks[act.file], receipt);
            tl_xfer_receiver_verify_done(xr, now, err, receipt);
        } else if (act.type == TL_XFER_ACT_EVENT) {
            on_event(r, &act.event, now);
        }
    }
    r->pumping = 0;
    if (r->xr && !r->job.decided) {
        uint64_t at = tl_xfer_receiver_next_timeout(r->xr);
        if (at != UINT64_MAX && (!r->timer || at < r->timer_at)) {
            if (r->timer)
                tl_timer_stop(r->timer);
            r->timer_at = at;
            r->timer = tl_timer_start(r->loop, (uint32_t)(at > now ? at - now : 0), timer_fire, r);
        }
    }
}

/* ---- link ---- */

static void link_open(tl_link *l, void *ud)
{
    tl_group_receiver *r = ud;
    tl_xfer_config xc;
    memset(&xc, 0, sizeof(xc));
    xc.crypto = tl_xfer_crypto_default();
    xc.idle_timeout_ms = TL_LINK_SESSION_IDLE_MS;
    xc.stall_timeout_ms = r->cfg.net.stall_timeout_ms;
    xc.hs.group_id = (const uint8_t *)r->group;
    xc.hs.group_id_len = strlen(r->group);
    xc.name = r->cfg.display_name;
    if (tl_link_fingerprints(l, xc.hs.local_fp, xc.hs.remote_fp) != TL_OK) {
        finish(r, 1, "no DTLS fingerprint");
        return;
    }
    if (r->have_code) {
        xc.hs.code_secret = r->code.secret;
        xc.hs.code_secret_len = sizeof(r->code.secret);
    }
    if (r->expect_bits) {
        xc.hs.expect_identity = r->expect_id;
        xc.hs.expect_identity_bits = r->expect_bits;
    }
    int rc = tl_xfer_receiver_new(&r->xr, &xc);
    if (rc == TL_OK)
        rc = tl_xfer_receiver_start(r->xr, tl_loop_now_ms(r->loop));
    if (rc != TL_OK) {
        finish(r, 1, tl_strerror(rc));
        return;
    }
    pump(r);
}

static void link_message(tl_link *l, const uint8_t *data, size_t len, void *ud)
{
    tl_group_receiver *r = ud;
    if (l != r->link || !r->xr)
        return;
    tl_xfer_receiver_recv(r->xr, tl_loop_now_ms(r->loop), data, len);
    pump(r);
}

static void link_writable(tl_link *l, void *ud)
{
    tl_group_receiver *r = ud;
    if (l == r->link)
        pump(r);
}

static void link_state(tl_link *l, tl_link_state st, void *ud)
{
    tl_group_receiver *r = ud;
    if (l != r->link)
        return;
    if (r->cb.on_peer)
        r->cb.on_peer(r->ud, r->sender, tl_link_state_name(st), tl_quality_name(tl_link_quality(l)),
                      NULL);
    if (st == TL_LINK_FAILED)
        drop_session(r, "connection lost");
    else if (st == TL_LINK_OPEN)
        pump(r);
}

static void link_quality(tl_link *l, tl_quality q, void *ud)
{
    tl_group_receiver *r = ud;
    if (l == r->link && r->cb.on_peer)
        r->cb.on_peer(r->ud, r->sender, tl_link_state_name(tl_link_get_state(l)),
                      tl_quality_name(q), NULL);
}

static const tl_link_callbacks link_cb = {
    .on_open = link_open,
    .on_message = link_message,
    .on_writable = link_writable,
    .on_state = link_state,
    .on_quality = link_quality,
};

/* ---- signaling ---- */

static void sig_registered(void *ud, const char *peer_id, int resumed)
{
    tl_group_receiver *r = ud;
    (void)peer_id;
    /* After a server restart the group must be joined again. */
    if (!resumed && r->have_code)
        tl_signal_client_join_code(r->sig, &r->code);
}

static void sig_joined(void *ud, const char *group, const tl_signal_member *m, size_t n)
{
    tl_group_receiver *r = ud;
    /* The creator is the sender. The first one named is kept: a server
     * restart does not make another member the sender (its peer id cannot
     * be claimed without its token either, SIGNALING.md §4). */
    for (size_t i = 0; i < n && !r->creator[0]; i++)
        if (m[i].creator)
            snprintf(r->creator, sizeof(r->creator), "%s", m[i].peer);
    snprintf(r->group, sizeof(r->group), "%s", group);
    r->join_retries = 0;
    tl_loop_log(r->loop, TL_LOG_INFO, "receive", "joined the group; waiting for the sender");
}

static void sig_invite(void *ud, const char *invite, const char *group, const char *from,
                       const char *from_name, const uint8_t *blob, size_t blob_len)
{
    tl_group_receiver *r = ud;
    (void)group;
    (void)from;
    (void)blob;
    (void)blob_len;
    tl_loop_log(r->loop, TL_LOG_INFO, "receive", "invitation from %s", from_name);
    if (r->cfg.accept)
        tl_signal_client_join_invite(r->sig, invite);
    else
        finish(r, 1, "invitation received but not accepted (use --accept)");
}

static void drop_refused(void *arg)
{
    tl_group_receiver *r = arg;
    r->refuse_timer = NULL;
    drop_session(r, "not the sender");
}

static void take_offer(tl_group_receiver *r, const char *group, const char *from, const char *sdp)
{
    /* An offer from the sender we are talking to starts a new connection
     * (ICE restarts arrive as ice-restart): it replaces a connection it
     * lost, and the new session resumes from what the sinks have verified. */
    drop_session(r, "the sender reconnected");
    if (r->gone_timer)
        tl_timer_stop(r->gone_timer);
    r->gone_timer = NULL;
    snprintf(r->sender, sizeof(r->sender), "%s", from);
    snprintf(r->group, sizeof(r->group), "%s", group);
    memset(&r->prog, 0, sizeof(r->prog));
    tl_link_config lc;
    tl_gnet_link_config(&lc, r->loop, r->sig, group, from, 0, &r->cfg.net);
    if (r->cb.on_peer)
        r->cb.on_peer(r->ud, from, "connecting", "disconnected", NULL);
    int rc = tl_link_new(&r->link, &lc, &link_cb, r);
    if (rc != TL_OK) {
        finish(r, 1, tl_strerror(rc));
        return;
    }
    tl_link_remote_offer(r->link, sdp);
}

static void clear_pending(tl_group_receiver *r)
{
    free(r->pend_sdp);
    r->pend_sdp = NULL;
    r->pend_from[0] = '\0';
}

/* The running session ended: an offer that waited for it goes now. */
static void pending_offer(void *arg)
{
    tl_group_receiver *r = arg;
    r->pend_timer = NULL;
    if (r->link || r->job.decided || !r->pend_sdp)
        return;
    char from[64], group[16];
    char *sdp = r->pend_sdp;
    r->pend_sdp = NULL;
    snprintf(from, sizeof(from), "%s", r->pend_from);
    snprintf(group, sizeof(group), "%s", r->pend_group);
    clear_pending(r);
    take_offer(r, group, from, sdp);
    free(sdp);
}

static void sig_offer(void *ud, const char *group, const char *from, const char *sdp)
{
    tl_group_receiver *r = ud;
    if (r->job.decided)
        return;
    /* Only the group's creator sends. An honest server relays nobody
     * else's offer; this check covers a server that does. */
    if (r->creator[0] && strcmp(from, r->creator) != 0) {
        tl_loop_log(r->loop, TL_LOG_WARN, "receive",
                    "ignored an offer from %s: not the group's sender", from);
        return;
    }
    /* Another peer while a session runs: a member (or a lying server)
     * must not tear down the transfer. Its offer waits until this session
     * ends; the identity check then decides. */
    if (r->link && strcmp(from, r->sender) != 0) {
        tl_loop_log(r->loop, TL_LOG_WARN, "receive",
                    "an offer from %s waits: a session with %s is running", from, r->sender);
        clear_pending(r);
        r->pend_sdp = strdup(sdp);
        snprintf(r->pend_from, sizeof(r->pend_from), "%s", from);
        snprintf(r->pend_group, sizeof(r->pend_group), "%s", group);
        return;
    }
    take_offer(r, group, from, sdp);
}

static void sig_ice_restart(void *ud, const char *group, const char *from, const char *sdp)
{
    tl_group_receiver *r = ud;
    (void)group;
    if (r->link && !strcmp(r->sender, from))
        tl_link_remote_offer(r->link, sdp);
}

static void sig_candidate(void *ud, const char *group, const char *from, const char *cand,
                          const char *mid)
{
    tl_group_receiver *r = ud;
    (void)group;
    if (r->link && !strcmp(r->sender, from))
        tl_link_remote_candidate(r->link, cand, mid);
}

static void sig_eoc(void *ud, const char *group, const char *from)
{
    tl_group_receiver *r = ud;
    (void)group;
    if (r->link && !strcmp(r->sender, from))
        tl_link_remote_end_of_candidates(r->link);
}

static void join_again(void *arg)
{
    tl_group_receiver *r = arg;
    r->join_timer = NULL;
    if (!r->job.decided)
        tl_signal_client_join_code(r->sig, &r->code);
}

static void sig_error(void *ud, const char *code, const char *request, const char *message)
{
    tl_group_receiver *r = ud;
    if (!strcmp(code, "certificate")) {
        finish(r, 3, message); /* the server's wss certificate was refused */
        return;
    }
    tl_loop_log(r->loop, TL_LOG_WARN, "signal", "error %s (%s): %s", code, request, message);
    /* We were in the group before: the sender is restarting and has not
     * re-created it yet. Try again for a while. */
    if (!strcmp(request, "join") && r->group[0] && r->have_code && !r->join_timer &&
        r->join_retries++ < 60) {
        r->join_timer = tl_timer_start(r->loop, 1000, join_again, r);
        return;
    }
    if (!strcmp(request, "join")) {
        char msg[200];
        snprintf(msg, sizeof(msg), "cannot join: %s", message[0] ? message : code);
        finish(r, 1, msg);
    }
}

static void sig_state(void *ud, tl_signal_state st)
{
    tl_group_receiver *r = ud;
    if (st == TL_SIGNAL_CLOSED)
        finish(r, 3, "signaling server unreachable");
}

int tl_group_receiver_new(tl_group_receiver **out, tl_loop *loop,
                          const tl_group_receiver_config *cfg, const tl_group_callbacks *cb,
                          void *ud)
{
    tl_group_receiver *r = calloc(1, sizeof(*r));
    if (!r)
        return TL_ERR_NOMEM;
    r->loop = loop;
    r->cb = *cb;
    r->ud = ud;
    r->job.loop = loop;
    r->job.cb = &r->cb;
    r->job.ud = ud;
    r->cfg = *cfg;
    r->out_fd = -1;
    int rc = TL_OK;
    if (cfg->code) {
        rc = tl_joincode_parse(cfg->code, &r->code);
        r->have_code = rc == TL_OK;
    } else if (!cfg->name) {
        rc = TL_ERR_INVALID_ARG;
    }
    const char *url = cfg->signal_url ? cfg->signal_url : (r->have_code ? r->code.url : NULL);
    if (!url || !url[0])
        url = cfg->fallback_signal_url;
    if (rc == TL_OK && (!url || !url[0]))
        rc = TL_ERR_INVALID_ARG;
    /* What the sender must be: a long code's commitment (160 bits) or the
     * group fingerprint given by the user (60 bits); both must agree. */
    uint8_t fp[TL_HS_IDENTITY_LEN];
    if (rc == TL_OK && cfg->sender_fingerprint &&
        tl_sender_fingerprint_parse(cfg->sender_fingerprint, fp) != TL_OK)
        rc = TL_ERR_PARSE;
    if (rc == TL_OK && r->have_code && r->code.has_sender) {
        memcpy(r->expect_id, r->code.sender, sizeof(r->code.sender));
        r->expect_bits = 8 * sizeof(r->code.sender);
    }
    if (rc == TL_OK && cfg->sender_fingerprint) {
        if (r->expect_bits &&
            (memcmp(fp, r->expect_id, 7) != 0 || ((fp[7] ^ r->expect_id[7]) & 0xf0) != 0))
            rc = TL_ERR_IDENTITY; /* the code and the fingerprint name different senders */
        if (!r->expect_bits) {
            memcpy(r->expect_id, fp, sizeof(fp));
            r->expect_bits = TL_SENDER_FP_BITS;
        }
    }
    if (rc == TL_OK) {
        r->out_fd = open(cfg->out_dir ? cfg->out_dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->out_fd < 0)
            rc = TL_ERR_NOT_FOUND;
    }
    static const tl_signal_callbacks scb = {
        .on_state = sig_state,
        .on_registered = sig_registered,
        .on_joined = sig_joined,
        .on_invite = sig_invite,
        .on_offer = sig_offer,
        .on_ice_restart = sig_ice_restart,
        .on_candidate = sig_candidate,
        .on_end_of_candidates = sig_eoc,
        .on_error = sig_error,
    };
    if (rc == TL_OK)
        rc = tl_gsignal_start(loop, url, NULL, &r->unused_server, &r->sig, r->location,
                              sizeof(r->location), &scb, r, cfg->name, &cfg->net, NULL);
    if (rc != TL_OK) {
        tl_group_receiver_free(r);
        return rc;
    }
    tl_gnet_default_bind(&r->cfg.net, r->location);
    *out = r;
    return TL_OK;
}

void tl_group_receiver_free(tl_group_receiver *r)
{
    if (!r)
        return;
    if (r->timer)
        tl_timer_stop(r->timer);
    if (r->gc_timer)
        tl_timer_stop(r->gc_timer);
    tl_gjob_cancel(&r->job);
    if (r->join_timer)
        tl_timer_stop(r->join_timer);
    if (r->gone_timer)
        tl_timer_stop(r->gone_timer);
    if (r->pend_timer)
        tl_timer_stop(r->pend_timer);
    if (r->refuse_timer)
        tl_timer_stop(r->refuse_timer);
    clear_pending(r);
    gc(r);
    close_sinks(r); /* first: a sink saves its state through the session's manifest */
    tl_xfer_receiver_free(r->xr);
    tl_link_free(r->link);
    tl_signal_client_free(r->sig);
    if (r->out_fd >= 0)
        close(r->out_fd);
    tl_joincode_wipe(&r->code);
    free(r);
}

size_t tl_group_receiver_stats(const tl_group_receiver *r, tl_group_stats *total,
                               tl_group_peer_stats *peers, size_t cap)
{
    tl_group_stats t;
    memset(&t, 0, sizeof(t));
    if (total)
        *total = t;
    if (!r)
        return 0;
    size_t n = 0;
    if (r->sender[0]) {
        tl_group_peer_stats p;
        tl_gstats_peer(&p, r->sender, r->from, r->link, &r->prog, NULL, tl_loop_now_ms(r->loop));
        tl_gstats_add(&t, &p);
        if (cap)
            peers[0] = p;
        n = 1;
    }
    t.relay_only = r->cfg.net.relay_only != 0;
    if (total)
        *total = t;
    return n;
}

int tl_group_receiver_cancel(tl_group_receiver *r, int status, const char *message)
{
    if (!r)
        return TL_ERR_INVALID_ARG;
    if (r->job.decided)
        return TL_ERR_STATE;
    int live = r->xr && r->link;
    tl_gjob_decide(&r->job, status, message, live ? GROUP_LINGER_MS / 3 : 0);
    if (live) {
        tl_xfer_receiver_cancel(r->xr, tl_loop_now_ms(r->loop));
        pump(r);
    }
    if (r->sig && r->group[0])
        tl_signal_client_leave(r->sig, r->group);
    return TL_OK;
}

int tl_group_receiver_answer(tl_group_receiver *r, int accept)
{
    if (!r || !r->offer_pending)
        return TL_ERR_STATE;
    r->offer_pending = 0;
    uint64_t now = tl_loop_now_ms(r->loop);
    if (!accept) {
        tl_loop_log(r->loop, TL_LOG_INFO, "receive", "offer declined");
        tl_gjob_decide(&r->job, TL_GROUP_STATUS_DECLINED, "declined: nothing was written",
                       r->link ? GROUP_LINGER_MS / 3 : 0);
        if (r->xr)
            tl_xfer_receiver_cancel_reason(r->xr, now, "declined by the receiver");
        pump(r);
        return TL_OK;
    }
    r->accepted = 1;
    if (r->xr && tl_xfer_receiver_manifest(r->xr)) {
        int rc = open_sinks(r);
        if (rc != TL_OK)
            tl_loop_log(r->loop, TL_LOG_ERROR, "receive", "cannot accept: %s", tl_strerror(rc));
    }
    pump(r);
    return TL_OK;
}
