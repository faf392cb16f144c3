/* tallow — receiver file sink: <name>.tallow-part + <name>.tallow-state,
 * per-chunk verification, resumable after any interruption, rename into
 * place only after the whole-file SHA-256 matched (docs/PROTOCOL.md §8).
 *
 * State file (all integers big-endian):
 *   "TLST" | u32 version (1) | content_id[32] | u64 nchunks | u32 chunk_size |
 *   bitmap[ceil(nchunks/8)] (bit i, LSB first = chunk i verified) |
 *   SHA-256 of everything before it [32]
 * It is replaced atomically (write temp, fsync, rename) and only after the
 * part file's data was fdatasync'ed, so a chunk marked verified is on disk. */
#define _GNU_SOURCE
#include "transfer/frames.h"
#include "transfer/internal.h"
#include "tallow/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC "TLST"
#define STATE_VERSION 1
#define STATE_HDR (4 + 4 + 32 + 8 + 4)
#define HASH_BUF (256u * 1024u)

struct tl_sink {
    tl_sink_config cfg;
    const tl_xfer_manifest *m;
    const tl_xfer_entry *e;
    int parent_fd; /* open only while the file is being written: a folder of */
    int part_fd;   /* 100k files must not hold 200k descriptors */
    int want;      /* this sink has a part file (status WANT) */
    char *leaf;
    char *part_name, *state_name, *tmp_name;
    uint8_t *bitmap;
    size_t bitmap_len;
    uint64_t verified;
    uint32_t unsynced;
    int finished;
    tl_sha256_ctx *run;   /* whole-file hash while chunks arrive in order from 0 */
    tl_hmac_ctx *run_mac; /* and the proof of receipt beside it */
    uint64_t run_next;    /* next chunk the running hash needs */
    uint32_t index;       /* manifest index (bound into the receipt) */
    uint8_t receipt[32];
    int have_receipt;
    char err[200];
};

__attribute__((format(printf, 2, 3))) static void set_err(tl_sink *k, const char *fmt, ...);

static void set_err(tl_sink *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, sizeof(k->err), fmt, ap);
    va_end(ap);
}

const char *tl_sink_last_error(const tl_sink *k)
{
    return k ? k->err : "no sink";
}

uint64_t tl_sink_verified_chunks(const tl_sink *k)
{
    return k ? k->verified : 0;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

static int get_bit(const tl_sink *k, uint64_t c)
{
    return (k->bitmap[c / 8] >> (c % 8)) & 1;
}

static int write_all(int fd, const uint8_t *p, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return tl_xfer_errno(errno);
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return TL_OK;
}

static int save_state(tl_sink *k)
{
    if (fdatasync(k->part_fd) != 0)
        return tl_xfer_errno(errno);
    size_t len = STATE_HDR + k->bitmap_len + 32;
    uint8_t *b = malloc(len);
    if (!b)
        return TL_ERR_NOMEM;
    memcpy(b, STATE_MAGIC, 4);
    tl_put32(b + 4, STATE_VERSION);
    memcpy(b + 8, k->e->content_id, 32);
    tl_put64(b + 40, k->e->nchunks);
    tl_put32(b + 48, k->m->chunk_size);
    memcpy(b + STATE_HDR, k->bitmap, k->bitmap_len);
    int rc = tl_sha256(b + len - 32, b, len - 32);
    int fd = -1;
    if (rc == TL_OK) {
        fd = openat(k->parent_fd, k->tmp_name,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        rc = fd < 0 ? tl_xfer_errno(errno) : write_all(fd, b, len, 0);
    }
    if (rc == TL_OK && fsync(fd) != 0)
        rc = tl_xfer_errno(errno);
    if (fd >= 0)
        close(fd);
    if (rc == TL_OK && renameat(k->parent_fd, k->tmp_name, k->parent_fd, k->state_name) != 0)
        rc = tl_xfer_errno(errno);
    if (rc != TL_OK) {
        unlinkat(k->parent_fd, k->tmp_name, 0);
        set_err(k, "cannot save resume state for %s: %s", k->e->path, tl_strerror(rc));
    } else {
        k->unsynced = 0;
    }
    free(b);
    return rc;
}

/* Loads a matching state file into k->bitmap; returns 1 if loaded. */
static int load_state(tl_sink *k)
{
    int fd = openat(k->parent_fd, k->state_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = STATE_HDR + k->bitmap_len + 32;
    uint8_t *b = malloc(len + 1);
    ssize_t n = b ? pread(fd, b, len + 1, 0) : -1;
    close(fd);
    uint8_t h[32];
    int ok = n == (ssize_t)len && memcmp(b, STATE_MAGIC, 4) == 0 &&
             tl_get32(b + 4) == STATE_VERSION && memcmp(b + 8, k->e->content_id, 32) == 0 &&
             tl_get64(b + 40) == k->e->nchunks && tl_get32(b + 48) == k->m->chunk_size &&
             tl_sha256(h, b, len - 32) == TL_OK && memcmp(h, b + len - 32, 32) == 0;
    if (ok) {
        memcpy(k->bitmap, b + STATE_HDR, k->bitmap_len);
        k->verified = 0;
        for (uint64_t c = 0; c < k->e->nchunks; c++)
            k->verified += (uint64_t)get_bit(k, c);
    }
    free(b);
    return ok;
}

/* The proof of receipt (tl_sink_receipt) starts with the file's index. */
static int receipt_start(const tl_sink *k, tl_hmac_ctx **mac)
{
    *mac = NULL;
    if (!k->cfg.receipt_key)
        return TL_OK;
    uint8_t idx[4] = {(uint8_t)(k->index >> 24), (uint8_t)(k->index >> 16),
                      (uint8_t)(k->index >> 8), (uint8_t)k->index};
    int rc = tl_hmac_sha256_new(mac, k->cfg.receipt_key, 32);
    if (rc == TL_OK)
        rc = tl_hmac_sha256_update(*mac, idx, sizeof(idx));
    return rc;
}

/* Sets k->receipt from mac (freed); no-op without one. */
static int receipt_end(tl_sink *k, tl_hmac_ctx *mac)
{
    int rc = TL_OK;
    if (mac) {
        rc = tl_hmac_sha256_final(mac, k->receipt);
        k->have_receipt = rc == TL_OK;
    }
    tl_hmac_sha256_free(mac);
    return rc;
}

/* SHA-256 of fd's first size bytes, and the receipt beside it. */
static int hash_fd(tl_sink *k, int fd, uint64_t size, uint8_t out[32])
{
    uint8_t *buf = malloc(HASH_BUF);
    tl_sha256_ctx *c = NULL;
    tl_hmac_ctx *mac = NULL;
    int rc = buf ? tl_sha256_new(&c) : TL_ERR_NOMEM;
    if (rc == TL_OK)
        rc = receipt_start(k, &mac);
    for (uint64_t off = 0; rc == TL_OK && off < size;) {
        size_t want = size - off < HASH_BUF ? (size_t)(size - off) : HASH_BUF;
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? tl_xfer_errno(errno) : TL_ERR_IO;
            break;
        }
        if (tl_sha256_update(c, buf, (size_t)r) != TL_OK ||
            (mac && tl_hmac_sha256_update(mac, buf, (size_t)r) != TL_OK))
            rc = TL_ERR_CRYPTO;
        off += (uint64_t)r;
    }
    if (rc == TL_OK)
        rc = tl_sha256_final(c, out);
    if (rc == TL_OK)
        rc = receipt_end(k, mac);
    else
        tl_hmac_sha256_free(mac);
    tl_sha256_free(c);
    free(buf);
    return rc;
}

/* An existing final file: COMPLETE if identical, else REFUSE/overwrite. */
static int check_existing(tl_sink *k, tl_xfer_have *have)
{
    struct stat st;
    if (fstatat(k->parent_fd, k->leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : tl_xfer_errno(errno);
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == k->e->size) {
        int fd = openat(k->parent_fd, k->leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        uint8_t h[32];
        int rc = fd < 0 ? tl_xfer_errno(errno) : hash_fd(k, fd, k->e->size, h);
        if (fd >= 0)
            close(fd);
        if (rc == TL_OK && memcmp(h, k->e->sha256, 32) == 0) {
            have->status = TL_XFER_COMPLETE;
            memcpy(have->receipt, k->receipt, sizeof(have->receipt));
            k->finished = 1;
            char *part = join(k->leaf, ".tallow-part"), *state = join(k->leaf, ".tallow-state");
            if (part) /* leftovers of an earlier run that completed elsewhere */
                unlinkat(k->parent_fd, part, 0);
            if (state)
                unlinkat(k->parent_fd, state, 0);
            free(part);
            free(state);
            return 1;
        }
    }
    if (!k->cfg.overwrite || !S_ISREG(st.st_mode)) {
        set_err(k, "%s exists (use overwrite to replace it)", k->e->path);
        return TL_ERR_EXISTS;
    }
    return 0;
}

static int open_dir_entry(tl_sink *k, tl_xfer_have *have)
{
    struct stat st;
    if (mkdirat(k->parent_fd, k->leaf, 0755) != 0 && errno != EEXIST) {
        int rc = tl_xfer_errno(errno);
        set_err(k, "cannot create folder %s: %s", k->e->path, tl_strerror(rc));
        return rc;
    }
    if (fstatat(k->parent_fd, k->leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
        set_err(k, "%s exists and is not a folder", k->e->path);
        return TL_ERR_EXISTS;
    }
    have->status = TL_XFER_COMPLETE;
    k->finished = 1;
    return TL_OK;
}

static int open_file_entry(tl_sink *k, tl_xfer_have *have)
{
    int rc = check_existing(k, have);
    if (rc != 0)
        return rc < 0 ? rc : TL_OK;
    k->part_name = join(k->leaf, ".tallow-part");
    k->state_name = join(k->leaf, ".tallow-state");
    k->tmp_name = join(k->leaf, ".tallow-state.tmp");
    k->bitmap_len = (size_t)((k->e->nchunks + 7) / 8);
    k->bitmap = calloc(k->bitmap_len ? k->bitmap_len : 1, 1);
    if (!k->part_name || !k->state_name || !k->tmp_name || !k->bitmap)
        return TL_ERR_NOMEM;
    k->part_fd =
        openat(k->parent_fd, k->part_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (k->part_fd < 0) {
        rc = tl_xfer_errno(errno);
        set_err(k, "cannot create %s.tallow-part: %s", k->e->path, tl_strerror(rc));
        return rc;
    }
    if (!load_state(k) && ftruncate(k->part_fd, 0) != 0) { /* untrusted leftovers */
        rc = tl_xfer_errno(errno);
        set_err(k, "cannot reset %s.tallow-part: %s", k->e->path, tl_strerror(rc));
        return rc;
    }
    if (k->verified == 0) { /* fresh file: hash while writing, skip the re-read */
        if (tl_sha256_new(&k->run) == TL_OK && receipt_start(k, &k->run_mac) != TL_OK) {
            tl_sha256_free(k->run);
            k->run = NULL;
        }
    }
    uint64_t prefix = 0;
    while (prefix < k->e->nchunks && get_bit(k, prefix))
        prefix++;
    prefix &= ~(uint64_t)7; /* the bitmap sent starts on a byte */
    size_t skip = (size_t)(prefix / 8), len = k->bitmap_len - skip;
    while (len > 0 && k->bitmap[skip + len - 1] == 0)
        len--;
    have->status = TL_XFER_WANT;
    k->want = 1;
    have->prefix = prefix;
    have->bitmap = len ? k->bitmap + skip : NULL;
    have->bitmap_len = len;
    return TL_OK;
}

static void close_fds(tl_sink *k)
{
    if (k->part_fd >= 0)
        close(k->part_fd);
    if (k->parent_fd >= 0)
        close(k->parent_fd);
    k->part_fd = k->parent_fd = -1;
}

/* Reopens the folder and the part file (never following symlinks). */
static int open_fds(tl_sink *k)
{
    if (k->part_fd >= 0)
        return TL_OK;
    const char *leaf;
    if (k->parent_fd < 0)
        k->parent_fd = tl_name_open_parent(k->cfg.out_dir_fd, k->e->path, 1, &leaf);
    int rc = k->parent_fd < 0 ? k->parent_fd : TL_OK;
    if (rc == TL_OK) {
        k->part_fd = openat(k->parent_fd, k->part_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (k->part_fd < 0)
            rc = tl_xfer_errno(errno);
    }
    if (rc != TL_OK) {
        set_err(k, "cannot reopen %s.tallow-part: %s", k->e->path, tl_strerror(rc));
        close_fds(k);
    }
    return rc;
}

int tl_sink_open(tl_sink **out, const tl_sink_config *cfg, const tl_xfer_manifest *m,
                 uint32_t index, tl_xfer_have *have)
{
    if (!out || !cfg || !m || !have || index >= m->count)
        return TL_ERR_INVALID_ARG;
    memset(have, 0, sizeof(*have));
    tl_sink *k = calloc(1, sizeof(*k));
    if (!k)
        return TL_ERR_NOMEM;
    k->cfg = *cfg;
    if (!k->cfg.sync_every)
        k->cfg.sync_every = 64;
    k->m = m;
    k->e = &m->entries[index];
    k->index = index;
    k->part_fd = -1;
    const char *leaf = NULL;
    k->parent_fd = tl_name_open_parent(cfg->out_dir_fd, k->e->path, 1, &leaf);
    int rc;
    if (k->parent_fd < 0) {
        rc = k->parent_fd;
        set_err(k, "cannot open the folder of %s: %s", k->e->path, tl_strerror(rc));
    } else {
        k->leaf = join(leaf, "");
        rc = !k->leaf                    ? TL_ERR_NOMEM
             : k->e->kind == TL_XFER_DIR ? open_dir_entry(k, have)
                                         : open_file_entry(k, have);
    }
    if (rc == TL_ERR_NOMEM) {
        tl_sink_abandon(k);
        return rc;
    }
    if (rc != TL_OK) {
        memset(have, 0, sizeof(*have));
        have->status = TL_XFER_REFUSE;
        have->error = rc;
        k->finished = 1;
        k->want = 0;
    }
    close_fds(k);
    *out = k;
    return TL_OK;
}

int tl_sink_write_chunk(tl_sink *k, uint64_t chunk, const uint8_t *data, size_t len,
                        const uint8_t hash[32])
{
    if (!k || !data || !hash || k->finished || !k->want || chunk >= k->e->nchunks ||
        len != tl_xfer_chunk_len(k->m, k->e, chunk))
        return TL_ERR_INVALID_ARG;
    uint8_t h[32];
    int rc = tl_sha256(h, data, len);
    if (rc != TL_OK)
        return rc;
    if (memcmp(h, hash, 32) != 0) {
        set_err(k, "chunk %llu of %s failed its hash check", (unsigned long long)chunk, k->e->path);
        return TL_ERR_AUTH;
    }
    rc = open_fds(k);
    if (rc != TL_OK)
        return rc;
    rc = write_all(k->part_fd, data, len, (off_t)(chunk * k->m->chunk_size));
    if (rc != TL_OK) {
        set_err(k, "writing %s: %s", k->e->path,
                rc == TL_ERR_NOSPACE ? "no space left on the device" : tl_strerror(rc));
        return rc;
    }
    if (!get_bit(k, chunk)) {
        k->bitmap[chunk / 8] |= (uint8_t)(1u << (chunk % 8));
        k->verified++;
    }
    if (k->run) {
        if (chunk == k->run_next && tl_sha256_update(k->run, data, len) == TL_OK &&
            (!k->run_mac || tl_hmac_sha256_update(k->run_mac, data, len) == TL_OK)) {
            k->run_next++;
        } else { /* out of order: finish() re-reads the part file instead */
            tl_sha256_free(k->run);
            k->run = NULL;
            tl_hmac_sha256_free(k->run_mac);
            k->run_mac = NULL;
        }
    }
    if (++k->unsynced >= k->cfg.sync_every)
        return save_state(k);
    return TL_OK;
}

static int place(tl_sink *k)
{
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)k->e->mtime}};
    (void)futimens(k->part_fd, ts); /* best effort */
    if (fchmod(k->part_fd, (mode_t)(k->e->mode & 0777)) != 0)
        return tl_xfer_errno(errno);
    if (fsync(k->part_fd) != 0)
        return tl_xfer_errno(errno);
    int r = k->cfg.overwrite
                ? renameat(k->parent_fd, k->part_name, k->parent_fd, k->leaf)
                : renameat2(k->parent_fd, k->part_name, k->parent_fd, k->leaf, RENAME_NOREPLACE);
    if (r != 0)
        return tl_xfer_errno(errno);
    unlinkat(k->parent_fd, k->state_name, 0);
    (void)fsync(k->parent_fd);
    return TL_OK;
}

int tl_sink_finish(tl_sink *k)
{
    if (!k)
        return TL_ERR_INVALID_ARG;
    if (k->finished)
        return k->want ? TL_ERR_STATE : TL_OK; /* folder, complete, or done */
    if (!k->want)
        return TL_ERR_STATE;
    if (k->verified != k->e->nchunks) {
        set_err(k, "%s is missing %llu chunks", k->e->path,
                (unsigned long long)(k->e->nchunks - k->verified));
        return TL_ERR_STATE;
    }
    uint8_t h[32];
    int rc = open_fds(k);
    if (rc != TL_OK)
        return rc;
    rc = ftruncate(k->part_fd, (off_t)k->e->size) == 0 ? TL_OK : tl_xfer_errno(errno);
    if (rc == TL_OK && k->run && k->run_next == k->e->nchunks) {
        rc = tl_sha256_final(k->run, h);
        if (rc == TL_OK)
            rc = receipt_end(k, k->run_mac);
        else
            tl_hmac_sha256_free(k->run_mac);
        k->run_mac = NULL;
    } else if (rc == TL_OK) {
        rc = hash_fd(k, k->part_fd, k->e->size, h);
    }
    tl_sha256_free(k->run);
    k->run = NULL;
    tl_hmac_sha256_free(k->run_mac);
    k->run_mac = NULL;
    if (rc == TL_OK && memcmp(h, k->e->sha256, 32) != 0) {
        set_err(k, "%s failed its whole-file SHA-256 check; discarded", k->e->path);
        unlinkat(k->parent_fd, k->part_name, 0);
        unlinkat(k->parent_fd, k->state_name, 0);
        k->finished = 1;
        close_fds(k);
        return TL_ERR_AUTH;
    }
    if (rc == TL_OK)
        rc = place(k);
    if (rc != TL_OK) {
        if (!k->err[0] || rc != TL_ERR_AUTH)
            set_err(k, "cannot put %s in place: %s", k->e->path,
                    rc == TL_ERR_EXISTS ? "a file with that name appeared" : tl_strerror(rc));
        (void)save_state(k);
        return rc;
    }
    k->finished = 1;
    close_fds(k);
    return TL_OK;
}

int tl_sink_receipt(const tl_sink *k, uint8_t out[32])
{
    if (!k || !k->have_receipt || !k->finished)
        return TL_ERR_STATE;
    memcpy(out, k->receipt, 32);
    return TL_OK;
}

static void release(tl_sink *k)
{
    tl_sha256_free(k->run);
    tl_hmac_sha256_free(k->run_mac);
    k->run_mac = NULL;
    OPENSSL_cleanse(k->receipt, sizeof(k->receipt));
    close_fds(k);
    free(k->leaf);
    free(k->part_name);
    free(k->state_name);
    free(k->tmp_name);
    free(k->bitmap);
    free(k);
}

void tl_sink_abandon(tl_sink *k)
{
    if (k)
        release(k);
}

void tl_sink_discard(tl_sink *k)
{
    if (!k)
        return;
    if (k->want && !k->finished && k->verified == 0 && k->part_name) {
        close_fds(k);
        const char *leaf;
        int dfd = tl_name_open_parent(k->cfg.out_dir_fd, k->e->path, 0, &leaf);
        if (dfd >= 0) {
            (void)unlinkat(dfd, k->part_name, 0);
            (void)unlinkat(dfd, k->state_name, 0);
            close(dfd);
        }
    }
    release(k);
}

void tl_sink_free(tl_sink *k)
{
    if (!k)
        return;
    if (!k->finished && k->want && k->unsynced && open_fds(k) == TL_OK)
        (void)save_state(k);
    release(k);
}
