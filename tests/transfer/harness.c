/* In-memory sender<->receiver harness (see harness.h). */
#define _GNU_SOURCE
#include "transfer/harness.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHAN_HIGH (1u << 20) /* "bufferedAmount" threshold */

static void chan_push(hx_chan *c, const uint8_t *d, size_t n)
{
    hx_msg *m = malloc(sizeof(*m) + n);
    if (!m)
        abort();
    m->next = NULL;
    m->len = n;
    memcpy(m->data, d, n);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->bytes += n;
    c->count++;
}

static hx_msg *chan_pop(hx_chan *c)
{
    hx_msg *m = c->head;
    if (!m)
        return NULL;
    c->head = m->next;
    if (!c->head)
        c->tail = NULL;
    c->bytes -= m->len;
    c->count--;
    return m;
}

static void chan_clear(hx_chan *c)
{
    hx_msg *m;
    while ((m = chan_pop(c)) != NULL)
        free(m);
}

static void on_event(hx_side *s, const tl_xfer_event *ev)
{
    switch (ev->type) {
    case TL_XFER_EV_KEYED:
        s->keyed = 1;
        memcpy(s->sas, ev->sas, sizeof(s->sas));
        break;
    case TL_XFER_EV_PROGRESS:
        s->progress_bytes = ev->bytes;
        s->progress_total = ev->total;
        break;
    case TL_XFER_EV_FILE_VERIFIED:
        s->verified++;
        break;
    case TL_XFER_EV_NAME:
        snprintf(s->peer_name, sizeof(s->peer_name), "%s", ev->message);
        s->name_late = s->manifest_seen;
        break;
    case TL_XFER_EV_MANIFEST:
        s->manifest_seen = 1;
        break;
    case TL_XFER_EV_RTT:
        s->rtt_ms = ev->rtt_ms;
        s->rtt_count++;
        break;
    case TL_XFER_EV_FILE_FAILED:
        s->failed++;
        if (ev->file < 64)
            s->file_err[ev->file] = ev->error;
        break;
    case TL_XFER_EV_DONE:
        s->done = 1;
        s->err = ev->error;
        break;
    case TL_XFER_EV_ERROR:
        s->err = ev->error;
        s->remote = ev->remote;
        snprintf(s->msg, sizeof(s->msg), "%s", ev->message);
        break;
    default:
        break;
    }
}

void hx_init(hx *h, const tl_xfer_crypto *c, tl_xfer_manifest *m, int out_fd)
{
    memset(h, 0, sizeof(*h));
    h->crypto = c;
    h->m = m;
    h->scfg.out_dir_fd = out_fd;
    h->scfg.sync_every = 8;
    h->now = 1000;
}

/* The sender's identity (handshake v2): one from a fixed seed, shared by
 * every live harness session, freed when the last sender is torn down. */
static tl_hs_identity *g_identity;
static unsigned g_identity_refs;

static const tl_hs_identity *identity_ref(void)
{
    if (g_identity_refs++ == 0) {
        uint8_t seed[TL_HS_IDENTITY_SEED_LEN];
        for (size_t i = 0; i < sizeof(seed); i++)
            seed[i] = (uint8_t)(0xa0 + i);
        if (tl_hs_identity_new(&g_identity, seed) != TL_OK)
            abort();
    }
    return g_identity;
}

static void identity_unref(void)
{
    if (g_identity_refs > 0 && --g_identity_refs == 0) {
        tl_hs_identity_free(g_identity);
        g_identity = NULL;
    }
}

static tl_xfer_config make_cfg(hx *h, const char *code, int sender)
{
    static const uint8_t gid[] = "group-1";
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = h->crypto;
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = sizeof(gid) - 1;
    cfg.hs.code_secret = (const uint8_t *)code;
    cfg.hs.code_secret_len = code ? strlen(code) : 0;
    cfg.window = h->window;
    cfg.stall_timeout_ms = h->stall_ms;
    cfg.name = sender ? h->name_s : h->name_r;
    /* DTLS fingerprints as each side would see them */
    memset(sender ? cfg.hs.local_fp : cfg.hs.remote_fp, 0xa5, 32);
    memset(sender ? cfg.hs.remote_fp : cfg.hs.local_fp, 0x5a, 32);
    return cfg;
}

static void on_manifest(hx *h)
{
    const tl_xfer_manifest *rm = tl_xfer_receiver_manifest(h->r);
    tl_xfer_have *have = calloc(rm->count ? rm->count : 1, sizeof(*have));
    h->sinks = calloc(rm->count ? rm->count : 1, sizeof(*h->sinks));
    h->nsinks = rm->count;
    h->scfg.receipt_key = tl_xfer_receiver_receipt_key(h->r);
    for (uint32_t i = 0; i < rm->count; i++) {
        if (tl_sink_open(&h->sinks[i], &h->scfg, rm, i, &have[i]) != TL_OK)
            abort();
        if (have[i].status == TL_XFER_REFUSE)
            snprintf(h->sink_err, sizeof(h->sink_err), "%s", tl_sink_last_error(h->sinks[i]));
    }
    for (uint32_t i = 0; h->bad_receipt && i < rm->count; i++)
        have[i].receipt[0] ^= 1;
    h->need = tl_xfer_need_bytes(rm, have, rm->count);
    if (h->space && h->need > h->space)
        (void)tl_xfer_receiver_refuse(h->r, h->now, TL_ERR_NOSPACE, "not enough space");
    else
        (void)tl_xfer_receiver_accept(h->r, h->now, have, rm->count);
    free(have);
}

/* Drives the sender until it has nothing to do. Returns work done. */
static int pump_sender(hx *h)
{
    int work = 0;
    for (;;) {
        tl_xfer_action a;
        int writable = h->s2r.bytes < CHAN_HIGH &&
                       (!h->bucket || tl_bucket_ready(h->bucket, h->bucket_id, h->now));
        int rc = tl_xfer_sender_poll(h->s, h->now, writable, &a);
        if (rc != TL_OK || a.type == TL_XFER_ACT_NONE)
            return work;
        work = 1;
        if (a.type == TL_XFER_ACT_SEND) {
            chan_push(&h->s2r, a.data, a.len);
            if (h->bucket)
                tl_bucket_consume(h->bucket, h->bucket_id, a.len, h->now);
        } else if (a.type == TL_XFER_ACT_READ) {
            int err = tl_source_read(h->src, a.file, a.offset, a.buf, a.len);
            tl_xfer_sender_read_done(h->s, h->now, err);
        } else if (a.type == TL_XFER_ACT_EVENT) {
            on_event(&h->S, &a.event);
        }
    }
}

static int pump_receiver(hx *h)
{
    int work = 0;
    for (;;) {
        tl_xfer_action a;
        int rc = tl_xfer_receiver_poll(h->r, h->now, h->r2s.bytes < CHAN_HIGH, &a);
        if (rc != TL_OK || a.type == TL_XFER_ACT_NONE)
            return work;
        work = 1;
        if (a.type == TL_XFER_ACT_SEND) {
            chan_push(&h->r2s, a.data, a.len);
        } else if (a.type == TL_XFER_ACT_WRITE) {
            int err = tl_sink_write_chunk(h->sinks[a.file], a.chunk, a.data, a.len, a.hash);
            if (err)
                snprintf(h->sink_err, sizeof(h->sink_err), "%s",
                         tl_sink_last_error(h->sinks[a.file]));
            else
                h->written += a.len;
            tl_xfer_receiver_write_done(h->r, h->now, err);
        } else if (a.type == TL_XFER_ACT_VERIFY) {
            int err = tl_sink_finish(h->sinks[a.file]);
            if (err)
                snprintf(h->sink_err, sizeof(h->sink_err), "%s",
                         tl_sink_last_error(h->sinks[a.file]));
            uint8_t receipt[32] = {0};
            if (err == TL_OK)
                (void)tl_sink_receipt(h->sinks[a.file], receipt);
            receipt[0] ^= (uint8_t)(h->bad_receipt != 0);
            tl_xfer_receiver_verify_done(h->r, h->now, err, receipt);
        } else if (a.type == TL_XFER_ACT_EVENT) {
            on_event(&h->R, &a.event);
            if (a.event.type == TL_XFER_EV_MANIFEST)
                on_manifest(h);
        }
    }
}

static int deliver(hx *h)
{
    int work = 0;
    hx_msg *m;
    int per = h->deliver_per_step ? (int)h->deliver_per_step : 4;
    h->steps++;
    if (h->deliver_every > 1 && h->steps % h->deliver_every != 0)
        per = 0;
    for (int i = 0; i < per && (m = chan_pop(&h->s2r)) != NULL; i++) {
        h->delivered_s2r++;
        if (h->tamper_msg && h->delivered_s2r == h->tamper_msg)
            m->data[m->len / 2] ^= 0x40;
        if (h->R.keyed && m->len >= 14) { /* a record: u8 ver, u8 flags, u32 epoch */
            uint32_t e = (uint32_t)m->data[2] << 24 | (uint32_t)m->data[3] << 16 |
                         (uint32_t)m->data[4] << 8 | m->data[5];
            if (e > h->max_epoch)
                h->max_epoch = e;
        }
        tl_xfer_receiver_recv(h->r, h->now, m->data, m->len);
        free(m);
        work = 1;
        pump_receiver(h);
        if (h->stop_after && h->delivered_s2r >= h->stop_after) {
            h->interrupted = 1;
            return work;
        }
    }
    for (int i = 0; i < 4 && (m = chan_pop(&h->r2s)) != NULL; i++) {
        if (h->drop_r2s && h->R.keyed) {
            free(m);
            continue;
        }
        tl_xfer_sender_recv(h->s, h->now, m->data, m->len);
        free(m);
        work = 1;
    }
    return work;
}

int hx_start(hx *h)
{
    tl_xfer_config cs = make_cfg(h, h->code_s, 1), cr = make_cfg(h, h->code_r, 0);
    cs.hs.identity = identity_ref(); /* released with the sender in hx_teardown */
    if (tl_xfer_sender_new(&h->s, h->m, &cs) != TL_OK)
        identity_unref();
    if (h->s == NULL || tl_xfer_receiver_new(&h->r, &cr) != TL_OK ||
        tl_source_new(&h->src, h->m) != TL_OK)
        return -1;
    tl_xfer_sender_start(h->s, h->now);
    tl_xfer_receiver_start(h->r, h->now);
    return 0;
}

int hx_step(hx *h)
{
    int work = pump_sender(h);
    work |= pump_receiver(h);
    work |= deliver(h);
    return work;
}

int hx_over(const hx *h)
{
    return (h->S.done || h->S.err) && (h->R.done || h->R.err);
}

int hx_run(hx *h)
{
    if (!h->s && hx_start(h) != 0)
        return -1;
    int idle = 0;
    for (long step = 0; step < 10000000; step++) {
        h->now += h->step_ms ? h->step_ms : 1;
        int work = hx_step(h);
        if (h->interrupted)
            return 1;
        if (work)
            idle = 0;
        if (!work) {
            if (hx_over(h) || ++idle > 1000)
                break;
            uint64_t t = tl_xfer_sender_next_timeout(h->s);
            uint64_t u = tl_xfer_receiver_next_timeout(h->r);
            t = u < t ? u : t;
            if (t == UINT64_MAX)
                break;
            h->now = t > h->now ? t : h->now + 1;
        }
    }
    return (h->S.done && h->R.done && !h->S.err && !h->R.err) ? 0 : 1;
}

void hx_teardown(hx *h, int crash)
{
    for (uint32_t i = 0; i < h->nsinks; i++) {
        if (crash)
            tl_sink_abandon(h->sinks[i]);
        else
            tl_sink_free(h->sinks[i]);
    }
    free(h->sinks);
    tl_xfer_sender_free(h->s);
    if (h->s != NULL)
        identity_unref();
    tl_xfer_receiver_free(h->r);
    tl_source_free(h->src);
    if (!h->shared_manifest)
        tl_xfer_manifest_free(h->m);
    chan_clear(&h->s2r);
    chan_clear(&h->r2s);
    h->s = NULL;
    h->r = NULL;
    h->src = NULL;
    h->m = NULL;
    h->sinks = NULL;
    h->nsinks = 0;
}

tl_xfer_manifest *hx_manifest(const char *dir, uint32_t cs, const char *const *names, int n)
{
    tl_xfer_manifest *m;
    static const uint8_t tid[TL_TRANSFER_ID_LEN] = {1, 2, 3};
    if (tl_xfer_manifest_new(&m, cs, tid) != TL_OK)
        return NULL;
    for (int i = 0; i < n; i++) {
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        if (tl_source_add_path(m, p, names[i]) != TL_OK) {
            tl_xfer_manifest_free(m);
            return NULL;
        }
    }
    return m;
}

void hx_write_random(const char *path, size_t len, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    uint32_t x = seed * 2654435761u + 1;
    uint8_t buf[65536];
    while (len > 0) {
        size_t n = len < sizeof(buf) ? len : sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        if (fwrite(buf, 1, n, f) != n)
            abort();
        len -= n;
    }
    fclose(f);
}

int hx_same_file(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    int same = x && y;
    while (same) {
        int c = fgetc(x), d = fgetc(y);
        if (c != d)
            same = 0;
        if (c == EOF || d == EOF)
            break;
    }
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return same;
}

char *hx_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof(buf), "%s/tallow-xfer-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(buf))
        abort();
    chmod(buf, 0755);
    return strdup(buf);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void hx_rmrf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
