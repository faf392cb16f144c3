/* tallow — sans-I/O receiver state machine (docs/PROTOCOL.md §3).
 *
 * Holds the manifest (with block hashes, not chunk hashes), the current
 * hash block (32 KiB) and one opened record; WRITE and VERIFY actions hand
 * chunks and whole-file checks to the sink (an I/O edge) and must be
 * completed before the next call. */
#include "transfer/internal.h"
#include "transfer/session.h"

#include "common/hostile.h"

#include <stdlib.h>
#include <string.h>

#define ACK_DELAY_MS 10 /* ACK at the latest this long after a write */

typedef enum {
    RCV_HANDSHAKE = 0,
    RCV_MANIFEST,
    RCV_WAIT_ACCEPT,
    RCV_RECEIVING,
    RCV_FINISHED,
} rcv_phase;

typedef enum { PEND_NONE = 0, PEND_WRITE, PEND_VERIFY } pend_kind;

typedef struct rcv_file {
    uint8_t status;
    int ended;     /* FILE_END seen */
    int result;    /* 0 unknown, 1 verified, -1 failed */
    uint64_t next; /* lowest chunk index the next DATA may carry */
} rcv_file;

struct tl_xfer_receiver {
    tl_xsess s;
    rcv_phase phase;
    uint8_t *mbuf;
    uint32_t mtotal, mgot;
    tl_xfer_manifest *m;
    uint8_t manifest_hash[32];
    rcv_file *f;
    uint32_t cur_file;
    uint32_t blk_file;
    int64_t blk_index;
    uint8_t blk[TL_XFER_HASH_BLOCK * 32];
    pend_kind pend;
    int pend_given;
    uint32_t p_file;
    uint64_t p_chunk;
    size_t p_len;
    uint64_t frames_done, bytes_done, acked;
    uint32_t ack_every;
    uint64_t unacked_since; /* time the oldest un-acked frame was written */
    uint64_t base_bytes, total_bytes;
    uint32_t files_ok, files_failed;
    int first_err;
};

int tl_xfer_receiver_new(tl_xfer_receiver **out, const tl_xfer_config *cfg)
{
    if (!out || !cfg)
        return TL_ERR_INVALID_ARG;
    tl_xfer_receiver *r = calloc(1, sizeof(*r));
    if (!r)
        return TL_ERR_NOMEM;
    int rc = tl_xsess_init(&r->s, cfg, TL_FR_ROLE_RECEIVER);
    if (rc != TL_OK) {
        tl_xfer_receiver_free(r);
        return rc;
    }
    r->ack_every = cfg->ack_every ? cfg->ack_every : 8;
    r->blk_index = -1;
    *out = r;
    return TL_OK;
}

void tl_xfer_receiver_free(tl_xfer_receiver *r)
{
    if (!r)
        return;
    free(r->mbuf);
    free(r->f);
    tl_xfer_manifest_free(r->m);
    tl_xsess_cleanup(&r->s);
    free(r);
}

int tl_xfer_receiver_start(tl_xfer_receiver *r, uint64_t now)
{
    return r ? tl_xsess_start(&r->s, now) : TL_ERR_INVALID_ARG;
}

const tl_xfer_manifest *tl_xfer_receiver_manifest(const tl_xfer_receiver *r)
{
    return r && r->phase >= RCV_WAIT_ACCEPT ? r->m : NULL;
}

static int manifest_done(tl_xfer_receiver *r, uint64_t now)
{
    int rc = tl_xfer_manifest_decode(r->mbuf, r->mtotal, &r->m);
    if (rc == TL_OK)
        rc = tl_sha256(r->manifest_hash, r->mbuf, r->mtotal);
    free(r->mbuf);
    r->mbuf = NULL;
    if (rc != TL_OK)
        return tl_xsess_fail(&r->s, now, rc, 0,
                             rc == TL_ERR_INVALID_ARG ? "unsafe file name in manifest"
                                                      : "invalid manifest");
    r->f = calloc(r->m->count ? r->m->count : 1, sizeof(*r->f));
    if (!r->f)
        return tl_xsess_fail(&r->s, now, TL_ERR_NOMEM, 0, NULL);
    for (uint32_t i = 0; i < r->m->count; i++)
        r->total_bytes += r->m->entries[i].size;
    r->phase = RCV_WAIT_ACCEPT;
    tl_xfer_event ev = {.type = TL_XFER_EV_MANIFEST, .total = r->total_bytes};
    tl_xsess_event(&r->s, &ev);
    return TL_OK;
}

static int got_manifest(tl_xfer_receiver *r, uint64_t now, const tl_frame *fr)
{
    if (r->phase != RCV_MANIFEST)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "unexpected MANIFEST");
    if (!r->mbuf) {
        if (fr->u.manifest.offset != 0 || fr->u.manifest.total == 0)
            return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "manifest out of order");
        r->mbuf = malloc(fr->u.manifest.total);
        if (!r->mbuf)
            return tl_xsess_fail(&r->s, now, TL_ERR_NOMEM, 0, NULL);
        r->mtotal = fr->u.manifest.total;
    }
    if (fr->u.manifest.total != r->mtotal || fr->u.manifest.offset != r->mgot)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "manifest out of order");
    memcpy(r->mbuf + r->mgot, fr->u.manifest.part, fr->u.manifest.len);
    r->mgot += (uint32_t)fr->u.manifest.len;
    tl_xsess_progress(&r->s, now);
    return r->mgot == r->mtotal ? manifest_done(r, now) : TL_OK;
}

static int got_hashes(tl_xfer_receiver *r, uint64_t now, const tl_frame *fr)
{
    uint32_t i = fr->u.hashes.file;
    if (r->phase != RCV_RECEIVING || i >= r->m->count || r->f[i].status != TL_XFER_WANT ||
        r->f[i].ended || i < r->cur_file)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "unexpected HASHES");
    const tl_xfer_entry *e = &r->m->entries[i];
    uint64_t first = (uint64_t)fr->u.hashes.block * TL_XFER_HASH_BLOCK;
    if (fr->u.hashes.block >= e->nblocks ||
        fr->u.hashes.count !=
            (e->nchunks - first < TL_XFER_HASH_BLOCK ? e->nchunks - first : TL_XFER_HASH_BLOCK))
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "HASHES outside the file");
    uint8_t h[32];
    int rc = tl_sha256(h, fr->u.hashes.hashes, (size_t)fr->u.hashes.count * 32);
    if (rc != TL_OK)
        return tl_xsess_fail(&r->s, now, rc, 0, NULL);
    if (memcmp(h, e->block_hashes + (size_t)fr->u.hashes.block * 32, 32) != 0)
        return tl_xsess_fail(&r->s, now, TL_ERR_AUTH, 0, "chunk hashes do not match manifest");
    memcpy(r->blk, fr->u.hashes.hashes, (size_t)fr->u.hashes.count * 32);
    r->blk_file = i;
    r->blk_index = fr->u.hashes.block;
    return TL_OK;
}

static int got_data(tl_xfer_receiver *r, uint64_t now, const tl_frame *fr)
{
    uint32_t i = fr->u.data.file;
    uint64_t c = fr->u.data.chunk;
    if (r->phase != RCV_RECEIVING || i >= r->m->count || r->f[i].status != TL_XFER_WANT ||
        r->f[i].ended || i < r->cur_file)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "unexpected DATA");
    const tl_xfer_entry *e = &r->m->entries[i];
    if (c >= e->nchunks || c < r->f[i].next)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "DATA chunk out of order");
    if (r->blk_file != i || r->blk_index != (int64_t)(c / TL_XFER_HASH_BLOCK))
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "DATA without its HASHES");
    if (fr->u.data.len != tl_xfer_chunk_len(r->m, e, c))
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "DATA length wrong");
    r->cur_file = i;
    r->f[i].next = c + 1;
    r->pend = PEND_WRITE;
    r->pend_given = 0;
    r->p_file = i;
    r->p_chunk = c;
    r->p_len = fr->u.data.len;
    return TL_OK;
}

static int send_ack(tl_xfer_receiver *r, uint64_t now)
{
    if (r->acked == r->frames_done)
        return TL_OK;
    tl_frame a = {.type = TL_FR_ACK};
    a.u.ack.frames = r->frames_done;
    a.u.ack.bytes = r->bytes_done;
    int rc = tl_xsess_send(&r->s, now, &a);
    if (rc != TL_OK)
        return tl_xsess_fail(&r->s, now, rc, 0, NULL);
    r->acked = r->frames_done;
    tl_xfer_event ev = {.type = TL_XFER_EV_PROGRESS};
    ev.bytes = r->base_bytes + r->bytes_done;
    ev.total = r->total_bytes;
    tl_xsess_event(&r->s, &ev);
    return TL_OK;
}

static int got_file_end(tl_xfer_receiver *r, uint64_t now, const tl_frame *fr)
{
    uint32_t i = fr->u.file_end.file;
    if (r->phase != RCV_RECEIVING || i >= r->m->count || r->f[i].status != TL_XFER_WANT ||
        r->f[i].ended || i < r->cur_file)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "unexpected FILE_END");
    r->f[i].ended = 1;
    r->cur_file = i;
    tl_xsess_progress(&r->s, now);
    int rc = send_ack(r, now);
    if (rc != TL_OK)
        return rc;
    r->pend = PEND_VERIFY;
    r->pend_given = 0;
    r->p_file = i;
    return TL_OK;
}

static int got_done(tl_xfer_receiver *r, uint64_t now, const tl_frame *fr)
{
    if (r->phase != RCV_RECEIVING)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "unexpected DONE");
    for (uint32_t i = 0; i < r->m->count; i++)
        if (r->f[i].status == TL_XFER_WANT && !r->f[i].result)
            return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "DONE before every file");
    if (fr->u.done.files_ok != r->files_ok || fr->u.done.files_failed != r->files_failed)
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "DONE counts disagree");
    r->phase = RCV_FINISHED;
    r->s.state = TL_SS_DONE;
    tl_xfer_event ev = {.type = TL_XFER_EV_DONE, .error = r->first_err};
    tl_xsess_event(&r->s, &ev);
    return TL_OK;
}

int tl_xfer_receiver_recv(tl_xfer_receiver *r, uint64_t now, const uint8_t *msg, size_t len)
{
    if (!r)
        return TL_ERR_INVALID_ARG;
    if (r->pend != PEND_NONE)
        return TL_ERR_STATE; /* the caller must complete WRITE/VERIFY first */
    tl_frame fr;
    int rc = tl_xsess_recv(&r->s, now, msg, len, &fr);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (r->phase == RCV_HANDSHAKE && r->s.state == TL_SS_KEYED)
            r->phase = RCV_MANIFEST;
        return TL_OK;
    }
    switch (fr.type) {
    case TL_FR_MANIFEST:
        return got_manifest(r, now, &fr);
    case TL_FR_HASHES:
        return got_hashes(r, now, &fr);
    case TL_FR_DATA:
        return got_data(r, now, &fr);
    case TL_FR_FILE_END:
        return got_file_end(r, now, &fr);
    case TL_FR_DONE:
        return got_done(r, now, &fr);
    default:
        return tl_xsess_fail(&r->s, now, TL_ERR_PROTO, 0, "frame not valid for a receiver");
    }
}

static uint64_t have_bytes(const tl_xfer_manifest *m, const tl_xfer_entry *e, const tl_xfer_have *h,
                           uint64_t prefix, size_t blen)
{
    if (h->status == TL_XFER_COMPLETE)
        return e->size;
    if (h->status != TL_XFER_WANT)
        return 0;
    uint64_t b = prefix >= e->nchunks ? e->size : prefix * m->chunk_size;
    for (uint64_t i = 0; i < (uint64_t)blen * 8 && prefix + i < e->nchunks; i++)
        if ((h->bitmap[i / 8] >> (i % 8)) & 1)
            b += tl_xfer_chunk_len(m, e, prefix + i);
    return b;
}

static int accept_one(tl_xfer_receiver *r, uint64_t now, uint32_t i, const tl_xfer_have *h)
{
    const tl_xfer_entry *e = &r->m->entries[i];
    tl_frame f = {.type = TL_FR_RESUME};
    uint8_t st = (uint8_t)h->status;
    if (e->kind == TL_XFER_DIR && st == TL_XFER_WANT)
        st = TL_XFER_COMPLETE;
    if (tl_hostile("fakeresult")) /* claims files it never received */
        st = TL_XFER_COMPLETE;
    uint64_t prefix = h->prefix < e->nchunks ? h->prefix : e->nchunks;
    size_t blen = st == TL_XFER_WANT && h->bitmap ? h->bitmap_len : 0;
    if (blen > TL_FR_MAX_BITMAP) /* the tail beyond is simply sent again */
        blen = TL_FR_MAX_BITMAP;
    f.u.resume.file = i;
    f.u.resume.status = st;
    f.u.resume.error =
        st == TL_XFER_REFUSE ? tl_xsess_wire_code(h->error ? h->error : TL_ERR_IO) : 0;
    f.u.resume.prefix = st == TL_XFER_WANT ? prefix : 0;
    if (st == TL_XFER_COMPLETE)
        memcpy(f.u.resume.receipt, h->receipt, TL_FR_RECEIPT_LEN);
    f.u.resume.bitmap = h->bitmap;
    f.u.resume.bitmap_len = blen;
    r->f[i].status = st;
    tl_xfer_event ev = {.file = i};
    if (st == TL_XFER_REFUSE) {
        r->f[i].result = -1;
        r->files_failed++;
        ev.type = TL_XFER_EV_FILE_FAILED;
        ev.error = h->error ? h->error : TL_ERR_IO;
        if (!r->first_err)
            r->first_err = ev.error;
        tl_xsess_event(&r->s, &ev);
    } else if (st == TL_XFER_COMPLETE) {
        r->f[i].result = 1;
        r->files_ok++;
        ev.type = TL_XFER_EV_FILE_VERIFIED;
        tl_xsess_event(&r->s, &ev);
    }
    r->base_bytes += have_bytes(r->m, e, h, prefix, blen);
    return tl_xsess_send(&r->s, now, &f);
}

int tl_xfer_receiver_accept(tl_xfer_receiver *r, uint64_t now, const tl_xfer_have *have,
                            uint32_t count)
{
    if (!r || (!have && count))
        return TL_ERR_INVALID_ARG;
    if (r->phase != RCV_WAIT_ACCEPT || r->s.state != TL_SS_KEYED)
        return TL_ERR_STATE;
    if (count != r->m->count)
        return TL_ERR_INVALID_ARG;
    for (uint32_t i = 0; i < count; i++)
        if (have[i].status > TL_XFER_REFUSE || (have[i].bitmap_len && !have[i].bitmap))
            return TL_ERR_INVALID_ARG;
    int rc = TL_OK;
    for (uint32_t i = 0; i < count && rc == TL_OK; i++)
        rc = accept_one(r, now, i, &have[i]);
    if (rc == TL_OK) {
        tl_frame end = {.type = TL_FR_RESUME_END};
        end.u.resume_end.count = count;
        rc = tl_xsess_send(&r->s, now, &end);
    }
    if (rc != TL_OK)
        return tl_xsess_fail(&r->s, now, rc, 0, NULL);
    r->phase = RCV_RECEIVING;
    return TL_OK;
}

int tl_xfer_receiver_poll(tl_xfer_receiver *r, uint64_t now, int writable, tl_xfer_action *act)
{
    if (!r || !act)
        return TL_ERR_INVALID_ARG;
    memset(act, 0, sizeof(*act));
    (void)tl_xsess_timers(&r->s, now);
    if (r->s.state == TL_SS_KEYED && r->frames_done > r->acked &&
        now >= r->unacked_since + ACK_DELAY_MS)
        (void)send_ack(r, now); /* delayed ACK: a small sender window never stalls */
    if (tl_xsess_poll(&r->s, now, writable, act))
        return TL_OK;
    if (r->pend != PEND_NONE && !r->pend_given && r->s.state == TL_SS_KEYED) {
        r->pend_given = 1;
        act->file = r->p_file;
        if (r->pend == PEND_WRITE) {
            act->type = TL_XFER_ACT_WRITE;
            act->data = r->s.plain + TL_FR_DATA_HDR;
            act->len = r->p_len;
            act->chunk = r->p_chunk;
            act->offset = r->p_chunk * r->m->chunk_size;
            act->hash = r->blk + (size_t)(r->p_chunk % TL_XFER_HASH_BLOCK) * 32;
        } else {
            act->type = TL_XFER_ACT_VERIFY;
        }
        return TL_OK;
    }
    return r->s.state == TL_SS_DEAD ? r->s.err : TL_OK;
}

int tl_xfer_receiver_write_done(tl_xfer_receiver *r, uint64_t now, int err)
{
    if (!r)
        return TL_ERR_INVALID_ARG;
    if (r->pend != PEND_WRITE || !r->pend_given)
        return TL_ERR_STATE;
    r->pend = PEND_NONE;
    if (err)
        return tl_xsess_fail(&r->s, now, err, 0,
                             err == TL_ERR_AUTH      ? "chunk failed its hash check"
                             : err == TL_ERR_NOSPACE ? "no space left on the receiver"
                             : err == TL_ERR_PERM    ? "permission denied on the receiver"
                                                     : "write failed on the receiver");
    if (r->frames_done == r->acked)
        r->unacked_since = now;
    r->frames_done++;
    r->bytes_done += r->p_len;
    tl_xsess_progress(&r->s, now);
    if (r->frames_done - r->acked >= r->ack_every)
        return send_ack(r, now);
    return TL_OK;
}

const uint8_t *tl_xfer_receiver_receipt_key(const tl_xfer_receiver *r)
{
    return r && r->s.state == TL_SS_KEYED ? r->s.receipt_key : NULL;
}

int tl_xfer_receiver_verify_done(tl_xfer_receiver *r, uint64_t now, int err,
                                 const uint8_t receipt[32])
{
    if (!r)
        return TL_ERR_INVALID_ARG;
    if (r->pend != PEND_VERIFY || !r->pend_given)
        return TL_ERR_STATE;
    r->pend = PEND_NONE;
    uint32_t i = r->p_file;
    tl_frame f = {.type = TL_FR_FILE_RESULT};
    f.u.file_result.file = i;
    f.u.file_result.error = err ? tl_xsess_wire_code(err) : 0;
    if (!err && receipt)
        memcpy(f.u.file_result.receipt, receipt, TL_FR_RECEIPT_LEN);
    tl_xsess_progress(&r->s, now);
    tl_xfer_event ev = {.file = i, .error = err};
    ev.type = err ? TL_XFER_EV_FILE_FAILED : TL_XFER_EV_FILE_VERIFIED;
    r->f[i].result = err ? -1 : 1;
    if (err) {
        r->files_failed++;
        if (!r->first_err)
            r->first_err = err;
    } else {
        r->files_ok++;
    }
    tl_xsess_event(&r->s, &ev);
    int rc = tl_xsess_send(&r->s, now, &f);
    return rc == TL_OK ? TL_OK : tl_xsess_fail(&r->s, now, rc, 0, NULL);
}

uint64_t tl_xfer_need_bytes(const tl_xfer_manifest *m, const tl_xfer_have *have, uint32_t count)
{
    if (!m || !have || count != m->count)
        return 0;
    uint64_t need = 0;
    for (uint32_t i = 0; i < count; i++) {
        const tl_xfer_entry *e = &m->entries[i];
        if (e->kind != TL_XFER_FILE || have[i].status != TL_XFER_WANT)
            continue;
        uint64_t prefix = have[i].prefix < e->nchunks ? have[i].prefix : e->nchunks;
        size_t blen = have[i].bitmap ? have[i].bitmap_len : 0;
        uint64_t got = have_bytes(m, e, &have[i], prefix, blen);
        need += got < e->size ? e->size - got : 0;
    }
    return need;
}

int tl_xfer_receiver_refuse(tl_xfer_receiver *r, uint64_t now, int err, const char *text)
{
    if (!r || err >= 0)
        return TL_ERR_INVALID_ARG;
    if (r->phase != RCV_WAIT_ACCEPT || r->s.state != TL_SS_KEYED)
        return TL_ERR_STATE;
    tl_xsess_fail(&r->s, now, err, 0, text);
    return TL_OK;
}

int tl_xfer_receiver_cancel_reason(tl_xfer_receiver *r, uint64_t now, const char *text)
{
    if (!r)
        return TL_ERR_INVALID_ARG;
    if (r->s.state == TL_SS_DONE || r->s.state == TL_SS_DEAD)
        return TL_ERR_STATE;
    tl_xsess_fail(&r->s, now, TL_ERR_CANCELED, 0, text ? text : "cancelled by the receiver");
    return TL_OK;
}

int tl_xfer_receiver_cancel(tl_xfer_receiver *r, uint64_t now)
{
    return tl_xfer_receiver_cancel_reason(r, now, NULL);
}

uint64_t tl_xfer_receiver_next_timeout(const tl_xfer_receiver *r)
{
    if (!r)
        return UINT64_MAX;
    uint64_t t = tl_xsess_next_timeout(&r->s);
    if (r->s.state == TL_SS_KEYED && r->frames_done > r->acked &&
        r->unacked_since + ACK_DELAY_MS < t)
        t = r->unacked_since + ACK_DELAY_MS;
    return t;
}

int tl_xfer_receiver_is_done(const tl_xfer_receiver *r)
{
    return r && r->s.state == TL_SS_DONE;
}
