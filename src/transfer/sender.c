/* tallow — sans-I/O sender state machine (docs/PROTOCOL.md §3).
 *
 * Memory is independent of file size: one chunk buffer, at most one sealed
 * DATA record queued, the resume bitmaps the receiver sent, and a borrowed
 * manifest. Chunks are read from disk on demand (READ actions), so nothing
 * is kept for retransmission: the reliable channel retransmits, and a new
 * session resumes from what the receiver verified. */
#include "transfer/internal.h"
#include "transfer/session.h"

#include "common/hostile.h"
#include "tallow/crypto.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    SND_HANDSHAKE = 0,
    SND_WAIT_RESUME,
    SND_SENDING,
    SND_WAIT_RESULTS,
    SND_FINISHED,
} snd_phase;

typedef struct snd_file {
    uint8_t status;
    int error;
    uint64_t prefix;
    uint8_t *bitmap;
    size_t bitmap_len;
    int ended;  /* FILE_END sent */
    int result; /* 0 unknown, 1 verified, -1 failed */
    /* Proof of receipt (PROTOCOL.md §4): the receipt we computed while
     * sending the whole file in order (have_expect), and the receiver's
     * claim waiting for us to compute ours by reading the file again. */
    uint8_t have_expect, claimed;
    uint8_t *receipt; /* 32 bytes while needed: ours, or the claim; else NULL */
} snd_file;

struct tl_xfer_sender {
    tl_xsess s;
    const tl_xfer_manifest *m;
    snd_phase phase;
    snd_file *f;
    uint32_t resume_next;
    uint32_t cur_file;
    uint64_t cur_chunk;
    int64_t cur_block;
    int read_pending, read_given;
    int read_proof;       /* the pending READ is for a proof, not DATA */
    tl_hmac_ctx *mac;     /* receipt of cur_file while its chunks go out in order */
    uint64_t mac_next;    /* next chunk mac needs */
    int64_t proof_file;   /* file whose receipt we are computing, -1 none */
    uint64_t proof_chunk; /* next chunk to read for it */
    tl_hmac_ctx *proof_mac;
    uint8_t *rbuf;
    size_t read_len;
    uint64_t data_sent, data_acked, bytes_sent, bytes_acked;
    uint64_t base_bytes, total_bytes;
    uint32_t window;
    uint32_t files_ok, files_failed;
    uint32_t receipts_failed; /* files whose proof of receipt did not match */
    uint32_t claims;          /* receipts waiting for a proof read */
    int first_err;
};

int tl_xfer_sender_new(tl_xfer_sender **out, const tl_xfer_manifest *m, const tl_xfer_config *cfg)
{
    if (!out || !m || !cfg)
        return TL_ERR_INVALID_ARG;
    for (uint32_t i = 0; i < m->count; i++)
        if (m->entries[i].kind == TL_XFER_FILE && m->entries[i].nchunks &&
            !m->entries[i].chunk_hashes)
            return TL_ERR_INVALID_ARG;
    tl_xfer_sender *x = calloc(1, sizeof(*x));
    if (!x)
        return TL_ERR_NOMEM;
    int rc = tl_xsess_init(&x->s, cfg, TL_FR_ROLE_SENDER);
    x->m = m;
    x->window = cfg->window ? cfg->window : TL_XFER_DEFAULT_WINDOW;
    x->f = calloc(m->count ? m->count : 1, sizeof(*x->f));
    x->rbuf = malloc(TL_FR_DATA_HDR + m->chunk_size);
    if (rc == TL_OK && (!x->f || !x->rbuf))
        rc = TL_ERR_NOMEM;
    if (rc != TL_OK) {
        tl_xfer_sender_free(x);
        return rc;
    }
    for (uint32_t i = 0; i < m->count; i++)
        x->total_bytes += m->entries[i].size;
    x->cur_block = -1;
    x->proof_file = -1;
    *out = x;
    return TL_OK;
}

void tl_xfer_sender_free(tl_xfer_sender *x)
{
    if (!x)
        return;
    if (x->f)
        for (uint32_t i = 0; i < x->m->count; i++) {
            free(x->f[i].bitmap);
            free(x->f[i].receipt);
        }
    free(x->f);
    free(x->rbuf);
    tl_hmac_sha256_free(x->mac);
    tl_hmac_sha256_free(x->proof_mac);
    tl_xsess_cleanup(&x->s);
    free(x);
}

int tl_xfer_sender_start(tl_xfer_sender *x, uint64_t now)
{
    return x ? tl_xsess_start(&x->s, now) : TL_ERR_INVALID_ARG;
}

static int send_manifest(tl_xfer_sender *x, uint64_t now)
{
    if ((uint64_t)x->m->chunk_size + TL_FR_DATA_HDR + TL_CHUNK_OVERHEAD > x->s.peer_max_message)
        return tl_xsess_fail(&x->s, now, TL_ERR_TOO_BIG, 0, "chunk size above peer's limit");
    uint8_t *blob;
    size_t len;
    int rc = tl_xfer_manifest_encode(x->m, &blob, &len);
    if (rc != TL_OK)
        return tl_xsess_fail(&x->s, now, rc, 0, "manifest too large");
    size_t part = TL_FR_MANIFEST_PART;
    for (size_t off = 0; off < len && rc == TL_OK; off += part) {
        tl_frame f = {.type = TL_FR_MANIFEST};
        f.u.manifest.total = (uint32_t)len;
        f.u.manifest.offset = (uint32_t)off;
        f.u.manifest.part = blob + off;
        f.u.manifest.len = len - off < part ? len - off : part;
        rc = tl_xsess_send(&x->s, now, &f);
    }
    free(blob);
    if (rc != TL_OK)
        return tl_xsess_fail(&x->s, now, rc, 0, NULL);
    x->phase = SND_WAIT_RESUME;
    return TL_OK;
}

static int have_chunk(const snd_file *f, uint64_t c)
{
    if (c < f->prefix)
        return 1;
    uint64_t i = c - f->prefix;
    return i / 8 < f->bitmap_len && (f->bitmap[i / 8] >> (i % 8)) & 1;
}

static uint64_t have_bytes(const tl_xfer_sender *x, uint32_t i)
{
    const tl_xfer_entry *e = &x->m->entries[i];
    if (x->f[i].status == TL_XFER_COMPLETE)
        return e->size;
    if (x->f[i].status != TL_XFER_WANT)
        return 0;
    uint64_t b = 0;
    for (uint64_t c = 0; c < e->nchunks; c++) {
        if (c < x->f[i].prefix) { /* whole prefix at once */
            c = x->f[i].prefix - 1;
            b += x->f[i].prefix >= e->nchunks ? e->size : x->f[i].prefix * x->m->chunk_size;
            continue;
        }
        if (have_chunk(&x->f[i], c))
            b += tl_xfer_chunk_len(x->m, e, c);
    }
    return b;
}

static void file_result(tl_xfer_sender *x, uint32_t i, int err)
{
    tl_xfer_event ev = {.file = i, .error = err};
    ev.type = err ? TL_XFER_EV_FILE_FAILED : TL_XFER_EV_FILE_VERIFIED;
    x->f[i].result = err ? -1 : 1;
    if (err) {
        x->files_failed++;
        if (!x->first_err)
            x->first_err = err;
    } else {
        x->files_ok++;
    }
    tl_xsess_event(&x->s, &ev);
}

/* The receiver's receipt against ours: only a match counts as verified. */
static void prove(tl_xfer_sender *x, uint32_t i, const uint8_t *claim, const uint8_t *ours)
{
    int ok = CRYPTO_memcmp(claim, ours, TL_FR_RECEIPT_LEN) == 0;
    if (x->f[i].claimed)
        x->claims--;
    x->f[i].claimed = 0;
    x->f[i].have_expect = 0;
    free(x->f[i].receipt); /* claim or ours may point here: compared above */
    x->f[i].receipt = NULL;
    x->receipts_failed += !ok;
    file_result(x, i, ok ? 0 : TL_ERR_AUTH);
}

static int receipt_start(const tl_xfer_sender *x, uint32_t i, tl_hmac_ctx **mac)
{
    uint8_t idx[4];
    tl_put32(idx, i);
    int rc = tl_hmac_sha256_new(mac, x->s.receipt_key, sizeof(x->s.receipt_key));
    if (rc == TL_OK)
        rc = tl_hmac_sha256_update(*mac, idx, sizeof(idx));
    return rc;
}

static void progress(tl_xfer_sender *x)
{
    tl_xfer_event ev = {.type = TL_XFER_EV_PROGRESS};
    ev.bytes = x->base_bytes + x->bytes_acked;
    ev.total = x->total_bytes;
    tl_xsess_event(&x->s, &ev);
}

static int got_resume(tl_xfer_sender *x, uint64_t now, const tl_frame *fr)
{
    uint32_t i = fr->u.resume.file;
    if (x->phase != SND_WAIT_RESUME || i != x->resume_next || i >= x->m->count)
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "unexpected RESUME");
    const tl_xfer_entry *e = &x->m->entries[i];
    snd_file *f = &x->f[i];
    f->status = fr->u.resume.status;
    if (e->kind == TL_XFER_DIR && f->status == TL_XFER_WANT)
        f->status = TL_XFER_COMPLETE;
    f->prefix = fr->u.resume.prefix < e->nchunks ? fr->u.resume.prefix : e->nchunks;
    if (fr->u.resume.bitmap_len > (e->nchunks - f->prefix + 7) / 8) /* bounds our memory */
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "RESUME bitmap beyond the file");
    if (f->status == TL_XFER_WANT && fr->u.resume.bitmap_len) {
        f->bitmap = malloc(fr->u.resume.bitmap_len);
        if (!f->bitmap)
            return tl_xsess_fail(&x->s, now, TL_ERR_NOMEM, 0, NULL);
        memcpy(f->bitmap, fr->u.resume.bitmap, fr->u.resume.bitmap_len);
        f->bitmap_len = fr->u.resume.bitmap_len;
    }
    x->resume_next++;
    tl_xsess_progress(&x->s, now);
    if (f->status == TL_XFER_REFUSE) {
        file_result(x, i, tl_xsess_from_wire(fr->u.resume.error));
    } else if (f->status == TL_XFER_COMPLETE && e->kind == TL_XFER_FILE) {
        f->receipt = malloc(TL_FR_RECEIPT_LEN); /* proved in poll */
        if (!f->receipt)
            return tl_xsess_fail(&x->s, now, TL_ERR_NOMEM, 0, NULL);
        memcpy(f->receipt, fr->u.resume.receipt, TL_FR_RECEIPT_LEN);
        f->claimed = 1;
        x->claims++;
    } else if (f->status == TL_XFER_COMPLETE) {
        file_result(x, i, 0); /* a folder holds no bytes to prove */
    }
    return TL_OK;
}

static int got_resume_end(tl_xfer_sender *x, uint64_t now, const tl_frame *fr)
{
    if (x->phase != SND_WAIT_RESUME || fr->u.resume_end.count != x->m->count ||
        x->resume_next != x->m->count)
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "RESUME_END does not match");
    for (uint32_t i = 0; i < x->m->count; i++)
        x->base_bytes += have_bytes(x, i);
    x->phase = SND_SENDING;
    progress(x);
    return TL_OK;
}

static int got_ack(tl_xfer_sender *x, uint64_t now, const tl_frame *fr)
{
    if (fr->u.ack.frames < x->data_acked || fr->u.ack.frames > x->data_sent ||
        fr->u.ack.bytes < x->bytes_acked || fr->u.ack.bytes > x->bytes_sent)
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "ACK out of range");
    if (fr->u.ack.frames > x->data_acked)
        tl_xsess_progress(&x->s, now);
    x->data_acked = fr->u.ack.frames;
    x->bytes_acked = fr->u.ack.bytes;
    progress(x);
    return TL_OK;
}

static int check_done(tl_xfer_sender *x, uint64_t now)
{
    if (x->phase != SND_WAIT_RESULTS || x->files_ok + x->files_failed != x->m->count)
        return TL_OK;
    tl_frame f = {.type = TL_FR_DONE};
    f.u.done.files_ok = x->files_ok;
    f.u.done.files_failed = x->files_failed;
    int rc = tl_xsess_send(&x->s, now, &f);
    if (rc != TL_OK)
        return tl_xsess_fail(&x->s, now, rc, 0, NULL);
    x->phase = SND_FINISHED;
    x->s.state = TL_SS_DONE;
    tl_xfer_event ev = {.type = TL_XFER_EV_DONE, .error = x->first_err};
    if (x->receipts_failed)
        snprintf(ev.message, sizeof(ev.message),
                 "%u file(s) not proven received (the recipient's receipt did not match)",
                 x->receipts_failed);
    tl_xsess_event(&x->s, &ev);
    return TL_OK;
}

static int got_result(tl_xfer_sender *x, uint64_t now, const tl_frame *fr)
{
    uint32_t i = fr->u.file_result.file;
    if (i >= x->m->count || !x->f[i].ended || x->f[i].result || x->f[i].claimed)
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "unexpected FILE_RESULT");
    tl_xsess_progress(&x->s, now);
    snd_file *f = &x->f[i];
    if (fr->u.file_result.error) {
        file_result(x, i, tl_xsess_from_wire(fr->u.file_result.error));
    } else if (f->have_expect) {
        prove(x, i, fr->u.file_result.receipt, f->receipt);
    } else { /* resumed: our receipt needs the whole file read again (poll) */
        f->receipt = malloc(TL_FR_RECEIPT_LEN);
        if (!f->receipt)
            return tl_xsess_fail(&x->s, now, TL_ERR_NOMEM, 0, NULL);
        memcpy(f->receipt, fr->u.file_result.receipt, TL_FR_RECEIPT_LEN);
        f->claimed = 1;
        x->claims++;
    }
    return check_done(x, now);
}

int tl_xfer_sender_recv(tl_xfer_sender *x, uint64_t now, const uint8_t *msg, size_t len)
{
    if (!x)
        return TL_ERR_INVALID_ARG;
    tl_frame fr;
    int rc = tl_xsess_recv(&x->s, now, msg, len, &fr);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (x->phase == SND_HANDSHAKE && x->s.state == TL_SS_KEYED)
            return send_manifest(x, now);
        return TL_OK;
    }
    switch (fr.type) {
    case TL_FR_RESUME:
        return got_resume(x, now, &fr);
    case TL_FR_RESUME_END:
        return got_resume_end(x, now, &fr);
    case TL_FR_ACK:
        return got_ack(x, now, &fr);
    case TL_FR_FILE_RESULT:
        return got_result(x, now, &fr);
    default:
        return tl_xsess_fail(&x->s, now, TL_ERR_PROTO, 0, "frame not valid for a sender");
    }
}

/* Moves the cursor to the next chunk to send, queueing FILE_END for files
 * it passes. Returns 1 with a chunk, 0 when every file is ended, <0 error. */
static int advance(tl_xfer_sender *x, uint64_t now)
{
    while (x->cur_file < x->m->count) {
        const tl_xfer_entry *e = &x->m->entries[x->cur_file];
        snd_file *f = &x->f[x->cur_file];
        if (e->kind == TL_XFER_FILE && f->status == TL_XFER_WANT && !f->ended) {
            while (x->cur_chunk < e->nchunks && have_chunk(f, x->cur_chunk))
                x->cur_chunk++;
            if (x->cur_chunk < e->nchunks)
                return 1;
            tl_frame fe = {.type = TL_FR_FILE_END};
            fe.u.file_end.file = x->cur_file;
            int rc = tl_xsess_send(&x->s, now, &fe);
            if (rc != TL_OK)
                return rc;
            f->ended = 1;
            if (x->mac && x->mac_next == e->nchunks &&
                (f->receipt = malloc(TL_FR_RECEIPT_LEN)) != NULL) {
                if (tl_hmac_sha256_final(x->mac, f->receipt) == TL_OK) {
                    f->have_expect = 1;
                } else { /* falls back to a proof read */
                    free(f->receipt);
                    f->receipt = NULL;
                }
            }
            tl_hmac_sha256_free(x->mac);
            x->mac = NULL;
        }
        x->cur_file++;
        x->cur_chunk = 0;
        x->cur_block = -1;
    }
    return 0;
}

static int send_hashes(tl_xfer_sender *x, uint64_t now, const tl_xfer_entry *e)
{
    uint64_t block = x->cur_chunk / TL_XFER_HASH_BLOCK;
    uint64_t first = block * TL_XFER_HASH_BLOCK;
    uint64_t cnt =
        e->nchunks - first < TL_XFER_HASH_BLOCK ? e->nchunks - first : TL_XFER_HASH_BLOCK;
    tl_frame h = {.type = TL_FR_HASHES};
    h.u.hashes.file = x->cur_file;
    h.u.hashes.block = (uint32_t)block;
    h.u.hashes.count = (uint16_t)cnt;
    h.u.hashes.hashes = e->chunk_hashes + first * 32;
    x->cur_block = (int64_t)block;
    return tl_xsess_send(&x->s, now, &h);
}

static int want_read(tl_xfer_sender *x, uint64_t now, tl_xfer_action *act)
{
    int rc = advance(x, now);
    if (rc < 0)
        return tl_xsess_fail(&x->s, now, rc, 0, NULL);
    if (rc == 0) {
        x->phase = SND_WAIT_RESULTS;
        return check_done(x, now);
    }
    const tl_xfer_entry *e = &x->m->entries[x->cur_file];
    if (tl_hostile("stall") && x->cur_file + 1 == x->m->count && x->cur_chunk + 1 == e->nchunks)
        return TL_OK; /* keeps the last chunk back for ever */
    if ((int64_t)(x->cur_chunk / TL_XFER_HASH_BLOCK) != x->cur_block) {
        rc = send_hashes(x, now, e);
        if (rc != TL_OK)
            return tl_xsess_fail(&x->s, now, rc, 0, NULL);
    }
    x->read_pending = 1;
    x->read_proof = 0;
    x->read_len = (size_t)tl_xfer_chunk_len(x->m, e, x->cur_chunk);
    act->type = TL_XFER_ACT_READ;
    act->buf = x->rbuf + TL_FR_DATA_HDR;
    act->len = x->read_len;
    act->file = x->cur_file;
    act->chunk = x->cur_chunk;
    act->offset = x->cur_chunk * x->m->chunk_size;
    return TL_OK;
}

/* Ends the proof of file proof_file: compares and reports. */
static void proof_end(tl_xfer_sender *x, uint64_t now)
{
    uint32_t i = (uint32_t)x->proof_file;
    uint8_t ours[TL_FR_RECEIPT_LEN];
    int rc = tl_hmac_sha256_final(x->proof_mac, ours);
    tl_hmac_sha256_free(x->proof_mac);
    x->proof_mac = NULL;
    x->proof_file = -1;
    if (rc != TL_OK) {
        tl_xsess_fail(&x->s, now, rc, 0, NULL);
        return;
    }
    prove(x, i, x->f[i].receipt, ours);
    OPENSSL_cleanse(ours, sizeof(ours));
    (void)check_done(x, now);
}

/* A claimed receipt we must compute by reading the file (a resumed or
 * already-complete file): READ actions of one chunk at a time, before any
 * new DATA. Returns 1 if act was filled. */
static int want_proof_read(tl_xfer_sender *x, uint64_t now, tl_xfer_action *act)
{
    if (x->proof_file < 0) {
        uint32_t i = 0;
        while (i < x->m->count && !x->f[i].claimed)
            i++;
        if (i == x->m->count)
            return 0;
        if (receipt_start(x, i, &x->proof_mac) != TL_OK) {
            tl_xsess_fail(&x->s, now, TL_ERR_CRYPTO, 0, NULL);
            return 0;
        }
        x->proof_file = i;
        x->proof_chunk = 0;
    }
    const tl_xfer_entry *e = &x->m->entries[x->proof_file];
    if (x->proof_chunk >= e->nchunks) { /* empty file */
        proof_end(x, now);
        return 0;
    }
    x->read_pending = 1;
    x->read_proof = 1;
    x->read_len = (size_t)tl_xfer_chunk_len(x->m, e, x->proof_chunk);
    act->type = TL_XFER_ACT_READ;
    act->buf = x->rbuf + TL_FR_DATA_HDR;
    act->len = x->read_len;
    act->file = (uint32_t)x->proof_file;
    act->chunk = x->proof_chunk;
    act->offset = x->proof_chunk * x->m->chunk_size;
    return 1;
}

static int proof_read_done(tl_xfer_sender *x, uint64_t now, int err)
{
    if (err)
        return tl_xsess_fail(&x->s, now, err, 0,
                             err == TL_ERR_NOT_FOUND ? "source file vanished"
                                                     : "source file changed or unreadable");
    if (tl_hmac_sha256_update(x->proof_mac, x->rbuf + TL_FR_DATA_HDR, x->read_len) != TL_OK)
        return tl_xsess_fail(&x->s, now, TL_ERR_CRYPTO, 0, NULL);
    tl_xsess_progress(&x->s, now);
    if (++x->proof_chunk == x->m->entries[x->proof_file].nchunks)
        proof_end(x, now);
    return x->s.state == TL_SS_DEAD ? x->s.err : TL_OK;
}

int tl_xfer_sender_poll(tl_xfer_sender *x, uint64_t now, int writable, tl_xfer_action *act)
{
    if (!x || !act)
        return TL_ERR_INVALID_ARG;
    memset(act, 0, sizeof(*act));
    (void)tl_xsess_timers(&x->s, now);
    if (tl_xsess_poll(&x->s, now, writable, act))
        return TL_OK;
    if (x->s.state == TL_SS_KEYED && !x->read_pending && want_proof_read(x, now, act))
        return x->s.state == TL_SS_DEAD ? x->s.err : TL_OK;
    if (x->s.state == TL_SS_KEYED && x->phase == SND_SENDING && writable && !x->read_pending &&
        x->s.q_len == 0 && x->data_sent - x->data_acked < x->window) {
        int rc = want_read(x, now, act);
        if (rc < 0)
            return rc;
        if (act->type == TL_XFER_ACT_NONE && tl_xsess_poll(&x->s, now, writable, act))
            return TL_OK;
    }
    return x->s.state == TL_SS_DEAD && act->type == TL_XFER_ACT_NONE ? x->s.err : TL_OK;
}

int tl_xfer_sender_read_done(tl_xfer_sender *x, uint64_t now, int err)
{
    if (!x)
        return TL_ERR_INVALID_ARG;
    if (!x->read_pending)
        return TL_ERR_STATE;
    x->read_pending = 0;
    if (x->s.state != TL_SS_KEYED)
        return x->s.err ? x->s.err : TL_ERR_STATE;
    if (x->read_proof)
        return proof_read_done(x, now, err);
    if (err)
        return tl_xsess_fail(&x->s, now, err, 0,
                             err == TL_ERR_NOT_FOUND ? "source file vanished"
                                                     : "source file changed or unreadable");
    tl_frame d = {.type = TL_FR_DATA};
    d.u.data.file = x->cur_file;
    d.u.data.chunk = x->cur_chunk;
    d.u.data.data = x->rbuf + TL_FR_DATA_HDR;
    d.u.data.len = x->read_len;
    size_t n;
    int rc = tl_frame_encode(&d, x->rbuf, TL_FR_DATA_HDR + x->m->chunk_size, &n);
    if (rc == TL_OK)
        rc = tl_xsess_send_plain(&x->s, now, x->rbuf, n, 1);
    if (rc != TL_OK)
        return tl_xsess_fail(&x->s, now, rc, 0, NULL);
    /* The receipt of a file sent whole, in order, from chunk 0 is computed
     * on the way; any gap (a resume) leaves it to a proof read later. */
    if (x->cur_chunk == 0) {
        tl_hmac_sha256_free(x->mac);
        x->mac = NULL;
        x->mac_next = 0;
        if (receipt_start(x, x->cur_file, &x->mac) != TL_OK) {
            tl_hmac_sha256_free(x->mac);
            x->mac = NULL;
        }
    }
    if (x->mac && x->mac_next == x->cur_chunk &&
        tl_hmac_sha256_update(x->mac, x->rbuf + TL_FR_DATA_HDR, x->read_len) == TL_OK) {
        x->mac_next++;
    } else if (x->mac) {
        tl_hmac_sha256_free(x->mac);
        x->mac = NULL;
    }
    x->data_sent++;
    x->bytes_sent += x->read_len;
    x->cur_chunk++;
    return TL_OK;
}

int tl_xfer_sender_cancel_reason(tl_xfer_sender *x, uint64_t now, const char *text)
{
    if (!x)
        return TL_ERR_INVALID_ARG;
    if (x->s.state == TL_SS_DONE || x->s.state == TL_SS_DEAD)
        return TL_ERR_STATE;
    tl_xsess_fail(&x->s, now, TL_ERR_CANCELED, 0, text ? text : "cancelled by the sender");
    return TL_OK;
}

int tl_xfer_sender_cancel(tl_xfer_sender *x, uint64_t now)
{
    return tl_xfer_sender_cancel_reason(x, now, NULL);
}

uint64_t tl_xfer_sender_next_timeout(const tl_xfer_sender *x)
{
    if (x && x->s.state == TL_SS_KEYED && x->claims && !x->read_pending)
        return 0; /* proof reads to do: poll again at once */
    return x ? tl_xsess_next_timeout(&x->s) : UINT64_MAX;
}

uint64_t tl_xfer_sender_bytes_sent(const tl_xfer_sender *x)
{
    return x ? x->bytes_sent : 0;
}

int tl_xfer_sender_is_done(const tl_xfer_sender *x)
{
    return x && x->s.state == TL_SS_DONE;
}
