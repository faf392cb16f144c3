/* tallow — transfer manifest: files, folders and their hash tree
 * (docs/PROTOCOL.md §5). */
#include "transfer/frames.h"
#include "transfer/internal.h"

#include <stdlib.h>
#include <string.h>

#define MANIFEST_VERSION 1
#define ENTRY_FIXED (1 + 2 + 4 + 8 + 8 + 32 + 4)
#define MAX_FILE_SIZE (UINT64_C(1) << 50) /* 1 PiB */

uint64_t tl_xfer_chunk_len(const tl_xfer_manifest *m, const tl_xfer_entry *e, uint64_t chunk)
{
    if (chunk >= e->nchunks)
        return 0;
    if (chunk + 1 < e->nchunks)
        return m->chunk_size;
    return e->size - chunk * m->chunk_size;
}

static int chunk_ok(uint32_t chunk_size)
{
    return chunk_size >= TL_XFER_MIN_CHUNK && chunk_size <= TL_XFER_MAX_CHUNK;
}

int tl_xfer_manifest_new(tl_xfer_manifest **out, uint32_t chunk_size,
                         const uint8_t transfer_id[TL_TRANSFER_ID_LEN])
{
    if (!out || !chunk_ok(chunk_size))
        return TL_ERR_INVALID_ARG;
    tl_xfer_manifest *m = calloc(1, sizeof(*m));
    if (!m)
        return TL_ERR_NOMEM;
    m->chunk_size = chunk_size;
    if (transfer_id)
        memcpy(m->transfer_id, transfer_id, TL_TRANSFER_ID_LEN);
    *out = m;
    return TL_OK;
}

void tl_xfer_manifest_free(tl_xfer_manifest *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->count; i++) {
        free(m->entries[i].path);
        free(m->entries[i].block_hashes);
        free(m->entries[i].chunk_hashes);
        free(m->entries[i].src_path);
    }
    free(m->entries);
    free(m);
}

static tl_xfer_entry *grow(tl_xfer_manifest *m)
{
    if (m->count >= TL_XFER_MAX_ENTRIES)
        return NULL;
    if (m->count == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 16;
        tl_xfer_entry *e = realloc(m->entries, (size_t)cap * sizeof(*e));
        if (!e)
            return NULL;
        m->entries = e;
        m->cap = cap;
    }
    tl_xfer_entry *e = &m->entries[m->count];
    memset(e, 0, sizeof(*e));
    return e;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* content_id = SHA-256("tallow-content-v1" | size | chunk_size | block |
 * sha256 | block hashes): identifies the bytes for resume, whatever the
 * name, mode or transfer. */
static int content_id(const tl_xfer_manifest *m, tl_xfer_entry *e)
{
    uint8_t hdr[17 + 8 + 4 + 4];
    memcpy(hdr, "tallow-content-v1", 17);
    tl_put64(hdr + 17, e->size);
    tl_put32(hdr + 25, m->chunk_size);
    tl_put32(hdr + 29, TL_XFER_HASH_BLOCK);
    tl_sha256_ctx *c = NULL;
    int rc = tl_sha256_new(&c);
    if (rc == TL_OK)
        rc = tl_sha256_update(c, hdr, sizeof(hdr));
    if (rc == TL_OK)
        rc = tl_sha256_update(c, e->sha256, 32);
    if (rc == TL_OK && e->nblocks)
        rc = tl_sha256_update(c, e->block_hashes, (size_t)e->nblocks * 32);
    if (rc == TL_OK)
        rc = tl_sha256_final(c, e->content_id);
    tl_sha256_free(c);
    return rc == TL_OK ? TL_OK : TL_ERR_CRYPTO;
}

int tl_xfer_manifest_add_dir(tl_xfer_manifest *m, const char *path, uint32_t mode)
{
    if (!m || !path || tl_name_check(path, strlen(path)) != TL_OK || mode > 07777)
        return TL_ERR_INVALID_ARG;
    tl_xfer_entry *e = grow(m);
    if (!e)
        return m->count >= TL_XFER_MAX_ENTRIES ? TL_ERR_LIMIT : TL_ERR_NOMEM;
    e->kind = TL_XFER_DIR;
    e->mode = mode;
    e->path = dup_n(path, strlen(path));
    if (!e->path)
        return TL_ERR_NOMEM;
    m->count++;
    return TL_OK;
}

static int fill_blocks(const tl_xfer_manifest *m, tl_xfer_entry *e)
{
    e->nchunks = (e->size + m->chunk_size - 1) / m->chunk_size;
    e->nblocks = (uint32_t)((e->nchunks + TL_XFER_HASH_BLOCK - 1) / TL_XFER_HASH_BLOCK);
    if (e->nblocks == 0)
        return TL_OK;
    e->block_hashes = malloc((size_t)e->nblocks * 32);
    if (!e->block_hashes)
        return TL_ERR_NOMEM;
    for (uint32_t b = 0; b < e->nblocks; b++) {
        uint64_t first = (uint64_t)b * TL_XFER_HASH_BLOCK;
        uint64_t cnt = e->nchunks - first;
        if (cnt > TL_XFER_HASH_BLOCK)
            cnt = TL_XFER_HASH_BLOCK;
        int rc = tl_sha256(e->block_hashes + (size_t)b * 32, e->chunk_hashes + first * 32,
                           (size_t)cnt * 32);
        if (rc != TL_OK)
            return rc;
    }
    return TL_OK;
}

int tl_xfer_manifest_add_file(tl_xfer_manifest *m, const char *path, uint32_t mode, uint64_t size,
                              uint64_t mtime, const uint8_t sha256[32], const uint8_t *chunk_hashes,
                              const char *src_path)
{
    if (!m || !path || !sha256 || tl_name_check(path, strlen(path)) != TL_OK || mode > 07777 ||
        size > MAX_FILE_SIZE || (size > 0 && !chunk_hashes))
        return TL_ERR_INVALID_ARG;
    tl_xfer_entry *e = grow(m);
    if (!e)
        return m->count >= TL_XFER_MAX_ENTRIES ? TL_ERR_LIMIT : TL_ERR_NOMEM;
    e->kind = TL_XFER_FILE;
    e->mode = mode;
    e->size = size;
    e->mtime = mtime;
    memcpy(e->sha256, sha256, 32);
    uint64_t nchunks = (size + m->chunk_size - 1) / m->chunk_size;
    e->path = dup_n(path, strlen(path));
    e->src_path = src_path ? dup_n(src_path, strlen(src_path)) : NULL;
    e->chunk_hashes = nchunks ? malloc((size_t)nchunks * 32) : NULL;
    int rc = TL_ERR_NOMEM;
    if (e->path && (!src_path || e->src_path) && (!nchunks || e->chunk_hashes)) {
        if (nchunks)
            memcpy(e->chunk_hashes, chunk_hashes, (size_t)nchunks * 32);
        rc = fill_blocks(m, e);
        if (rc == TL_OK)
            rc = content_id(m, e);
    }
    if (rc != TL_OK) {
        free(e->path);
        free(e->src_path);
        free(e->chunk_hashes);
        free(e->block_hashes);
        return rc;
    }
    m->count++;
    return TL_OK;
}

int tl_xfer_manifest_encode(const tl_xfer_manifest *m, uint8_t **out, size_t *out_len)
{
    if (!m || !out || !out_len)
        return TL_ERR_INVALID_ARG;
    size_t total = 1 + TL_TRANSFER_ID_LEN + 4 + 4 + 4;
    for (uint32_t i = 0; i < m->count; i++)
        total += ENTRY_FIXED + strlen(m->entries[i].path) + (size_t)m->entries[i].nblocks * 32;
    if (total > TL_XFER_MAX_MANIFEST)
        return TL_ERR_TOO_BIG;
    uint8_t *b = malloc(total);
    if (!b)
        return TL_ERR_NOMEM;
    uint8_t *p = b;
    *p++ = MANIFEST_VERSION;
    memcpy(p, m->transfer_id, TL_TRANSFER_ID_LEN);
    p += TL_TRANSFER_ID_LEN;
    tl_put32(p, m->chunk_size);
    tl_put32(p + 4, TL_XFER_HASH_BLOCK);
    tl_put32(p + 8, m->count);
    p += 12;
    for (uint32_t i = 0; i < m->count; i++) {
        const tl_xfer_entry *e = &m->entries[i];
        size_t pl = strlen(e->path);
        *p++ = (uint8_t)e->kind;
        tl_put16(p, (uint16_t)pl);
        memcpy(p + 2, e->path, pl);
        p += 2 + pl;
        tl_put32(p, e->mode);
        tl_put64(p + 4, e->size);
        tl_put64(p + 12, e->mtime);
        memcpy(p + 20, e->sha256, 32);
        tl_put32(p + 52, e->nblocks);
        p += 56;
        if (e->nblocks) {
            memcpy(p, e->block_hashes, (size_t)e->nblocks * 32);
            p += (size_t)e->nblocks * 32;
        }
    }
    *out = b;
    *out_len = total;
    return TL_OK;
}

static int cmp_path(const void *a, const void *b)
{
    const tl_xfer_entry *const *x = a;
    const tl_xfer_entry *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

static int check_duplicates(const tl_xfer_manifest *m)
{
    if (m->count < 2)
        return TL_OK;
    const tl_xfer_entry **v = malloc((size_t)m->count * sizeof(*v));
    if (!v)
        return TL_ERR_NOMEM;
    for (uint32_t i = 0; i < m->count; i++)
        v[i] = &m->entries[i];
    qsort(v, m->count, sizeof(*v), cmp_path);
    int rc = TL_OK;
    for (uint32_t i = 1; i < m->count; i++)
        if (strcmp(v[i - 1]->path, v[i]->path) == 0)
            rc = TL_ERR_INVALID_ARG;
    free(v);
    return rc;
}

/* Decodes one entry at *pp (end: e_end). */
static int decode_entry(tl_xfer_manifest *m, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    if ((size_t)(end - p) < 3)
        return TL_ERR_PARSE;
    uint8_t kind = p[0];
    size_t pl = tl_get16(p + 1);
    p += 3;
    if (kind > TL_XFER_DIR || (size_t)(end - p) < pl + ENTRY_FIXED - 3)
        return TL_ERR_PARSE;
    if (tl_name_check((const char *)p, pl) != TL_OK)
        return TL_ERR_INVALID_ARG;
    const uint8_t *path = p;
    p += pl;
    uint32_t mode = tl_get32(p);
    uint64_t size = tl_get64(p + 4);
    uint64_t nblocks = tl_get32(p + 52);
    uint64_t nchunks = (size + m->chunk_size - 1) / m->chunk_size;
    if (mode > 07777 || size > MAX_FILE_SIZE ||
        nblocks != (nchunks + TL_XFER_HASH_BLOCK - 1) / TL_XFER_HASH_BLOCK)
        return TL_ERR_PARSE;
    if (kind == TL_XFER_DIR && size != 0)
        return TL_ERR_PARSE;
    if ((size_t)(end - (p + 56)) < nblocks * 32)
        return TL_ERR_PARSE;
    tl_xfer_entry *e = grow(m);
    if (!e)
        return m->count >= TL_XFER_MAX_ENTRIES ? TL_ERR_TOO_BIG : TL_ERR_NOMEM;
    e->kind = (tl_xfer_kind)kind;
    e->mode = mode;
    e->size = size;
    e->mtime = tl_get64(p + 12);
    memcpy(e->sha256, p + 20, 32);
    e->nchunks = nchunks;
    e->nblocks = (uint32_t)nblocks;
    e->path = dup_n((const char *)path, pl);
    if (!e->path)
        return TL_ERR_NOMEM;
    p += 56;
    if (nblocks) {
        e->block_hashes = malloc((size_t)nblocks * 32);
        if (!e->block_hashes) {
            free(e->path);
            return TL_ERR_NOMEM;
        }
        memcpy(e->block_hashes, p, (size_t)nblocks * 32);
        p += nblocks * 32;
    }
    m->count++;
    if (kind == TL_XFER_FILE && content_id(m, e) != TL_OK)
        return TL_ERR_CRYPTO;
    *pp = p;
    return TL_OK;
}

int tl_xfer_manifest_decode(const uint8_t *in, size_t len, tl_xfer_manifest **out)
{
    if (!in || !out)
        return TL_ERR_INVALID_ARG;
    *out = NULL;
    if (len > TL_XFER_MAX_MANIFEST)
        return TL_ERR_TOO_BIG;
    if (len < 1 + TL_TRANSFER_ID_LEN + 12)
        return TL_ERR_PARSE;
    if (in[0] != MANIFEST_VERSION)
        return TL_ERR_UNSUPPORTED;
    uint32_t chunk = tl_get32(in + 17);
    uint32_t block = tl_get32(in + 21);
    uint32_t count = tl_get32(in + 25);
    if (!chunk_ok(chunk) || block != TL_XFER_HASH_BLOCK)
        return TL_ERR_PARSE;
    if (count > TL_XFER_MAX_ENTRIES)
        return TL_ERR_TOO_BIG;
    if (count > (len - 29) / ENTRY_FIXED)
        return TL_ERR_PARSE;
    tl_xfer_manifest *m;
    int rc = tl_xfer_manifest_new(&m, chunk, in + 1);
    if (rc != TL_OK)
        return rc;
    const uint8_t *p = in + 29, *end = in + len;
    for (uint32_t i = 0; i < count && rc == TL_OK; i++)
        rc = decode_entry(m, &p, end);
    if (rc == TL_OK && p != end)
        rc = TL_ERR_PARSE;
    if (rc == TL_OK)
        rc = check_duplicates(m);
    if (rc != TL_OK) {
        tl_xfer_manifest_free(m);
        return rc;
    }
    *out = m;
    return TL_OK;
}
