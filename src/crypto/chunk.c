/* Per-chunk AES-256-GCM with a one-way key ratchet (include/tallow/chunk.h,
 * docs/CRYPTO.md §5). */
#include <stdlib.h>
#include <string.h>

#include "crypto/chunk_internal.h"
#include "common/bytes.h"

static const char k_key0_label[] = "tallow-v1 chunk key";
static const char k_ratchet_label[] = "tallow-v1 chunk ratchet";

struct tl_chunk_sealer {
    uint8_t key[32]; /* key[epoch]; needed to ratchet */
    tl_aead *aead;   /* keyed with key[epoch] */
    uint8_t transfer_id[TL_TRANSFER_ID_LEN];
    uint32_t epoch;
    uint64_t epoch_start_ms;
    uint64_t chunks; /* sealed in this epoch */
    uint64_t bytes;  /* plaintext bytes sealed in this epoch */
    uint64_t last_index;
};

struct tl_chunk_opener {
    uint8_t key[32];
    tl_aead *aead;
    uint8_t transfer_id[TL_TRANSFER_ID_LEN];
    uint32_t epoch;
};

/* ---- building blocks -------------------------------------------------- */

int tl_chunk_key0(uint8_t key0[32], const uint8_t secret[32],
                  const uint8_t transfer_id[TL_TRANSFER_ID_LEN])
{
    uint8_t info[sizeof(k_key0_label) - 1 + TL_TRANSFER_ID_LEN];
    memcpy(info, k_key0_label, sizeof(k_key0_label) - 1);
    memcpy(info + sizeof(k_key0_label) - 1, transfer_id, TL_TRANSFER_ID_LEN);
    return tl_hkdf_expand(key0, 32, secret, 32, info, sizeof(info));
}

int tl_chunk_ratchet(uint8_t next[32], const uint8_t cur[32])
{
    return tl_hkdf_expand(next, 32, cur, 32, (const uint8_t *)k_ratchet_label,
                          sizeof(k_ratchet_label) - 1);
}

void tl_chunk_build_header(uint8_t hdr[TL_CHUNK_HDR_LEN], int final, uint32_t epoch, uint64_t index)
{
    hdr[0] = TL_CHUNK_VERSION;
    hdr[1] = final ? 1 : 0;
    tl_put32(hdr + 2, epoch);
    tl_put64(hdr + 6, index);
}

void tl_chunk_build_nonce(uint8_t nonce[TL_AEAD_NONCE_LEN], uint32_t epoch, uint64_t index)
{
    tl_put32(nonce, epoch);
    tl_put64(nonce + 4, index);
}

void tl_chunk_build_aad(uint8_t aad[TL_CHUNK_AAD_LEN],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN],
                        const uint8_t hdr[TL_CHUNK_HDR_LEN])
{
    memcpy(aad, transfer_id, TL_TRANSFER_ID_LEN);
    memcpy(aad + TL_TRANSFER_ID_LEN, hdr, TL_CHUNK_HDR_LEN);
}

/* Keys *aead with key (replacing and freeing the old one). */
static int rekey(tl_aead **aead, const uint8_t key[32])
{
    tl_aead *fresh = NULL;
    int rc = tl_aead_new(&fresh, key, 32);
    if (rc != TL_OK)
        return rc;
    tl_aead_free(*aead);
    *aead = fresh;
    return TL_OK;
}

/* ---- sealer ----------------------------------------------------------- */

int tl_chunk_sealer_new(tl_chunk_sealer **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN], uint64_t now_ms)
{
    *out = NULL;
    tl_chunk_sealer *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TL_ERR_NOMEM;
    memcpy(s->transfer_id, transfer_id, TL_TRANSFER_ID_LEN);
    s->epoch_start_ms = now_ms;
    int rc = tl_chunk_key0(s->key, key, transfer_id);
    if (rc == TL_OK)
        rc = rekey(&s->aead, s->key);
    if (rc != TL_OK) {
        tl_chunk_sealer_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

void tl_chunk_sealer_free(tl_chunk_sealer *s)
{
    if (s == NULL)
        return;
    tl_aead_free(s->aead);
    tl_wipe(s, sizeof(*s));
    free(s);
}

uint32_t tl_chunk_sealer_epoch(const tl_chunk_sealer *s)
{
    return s->epoch;
}

/* Moves the sealer to epoch+1: new key, old key wiped. */
static int sealer_rotate(tl_chunk_sealer *s, uint64_t now_ms)
{
    if (s->epoch == UINT32_MAX)
        return TL_ERR_LIMIT;
    uint8_t next[32];
    int rc = tl_chunk_ratchet(next, s->key);
    if (rc == TL_OK)
        rc = rekey(&s->aead, next);
    if (rc == TL_OK) {
        memcpy(s->key, next, sizeof(next));
        s->epoch++;
        s->epoch_start_ms = now_ms;
        s->chunks = 0;
        s->bytes = 0;
    }
    tl_wipe(next, sizeof(next));
    return rc;
}

static int sealer_due(const tl_chunk_sealer *s, uint64_t now_ms, uint64_t index, size_t len)
{
    if (now_ms >= s->epoch_start_ms && now_ms - s->epoch_start_ms >= TL_CHUNK_ROTATE_MS)
        return 1;
    if (s->chunks >= TL_CHUNK_ROTATE_CHUNKS || s->bytes + len > TL_CHUNK_ROTATE_BYTES)
        return 1;
    /* Never the same (epoch, index) twice: a resend or restart gets an epoch. */
    return s->chunks > 0 && index <= s->last_index;
}

int tl_chunk_seal(tl_chunk_sealer *s, uint64_t now_ms, uint64_t index, int final,
                  const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len)
{
    *out_len = 0;
    if (len > TL_CHUNK_MAX_PLAIN)
        return TL_ERR_TOO_BIG;
    if (sealer_due(s, now_ms, index, len)) {
        int rc = sealer_rotate(s, now_ms);
        if (rc != TL_OK)
            return rc;
    }
    uint8_t nonce[TL_AEAD_NONCE_LEN];
    uint8_t aad[TL_CHUNK_AAD_LEN];
    tl_chunk_build_header(out, final, s->epoch, index);
    tl_chunk_build_nonce(nonce, s->epoch, index);
    tl_chunk_build_aad(aad, s->transfer_id, out);
    int rc = tl_aead_seal(s->aead, nonce, sizeof(nonce), aad, sizeof(aad), plain, len,
                          out + TL_CHUNK_HDR_LEN, out + TL_CHUNK_HDR_LEN + len);
    if (rc != TL_OK)
        return rc;
    s->chunks++;
    s->bytes += len;
    s->last_index = index;
    *out_len = len + TL_CHUNK_OVERHEAD;
    return TL_OK;
}

/* ---- opener ----------------------------------------------------------- */

int tl_chunk_opener_new(tl_chunk_opener **out, const uint8_t key[32],
                        const uint8_t transfer_id[TL_TRANSFER_ID_LEN])
{
    *out = NULL;
    tl_chunk_opener *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return TL_ERR_NOMEM;
    memcpy(o->transfer_id, transfer_id, TL_TRANSFER_ID_LEN);
    int rc = tl_chunk_key0(o->key, key, transfer_id);
    if (rc == TL_OK)
        rc = rekey(&o->aead, o->key);
    if (rc != TL_OK) {
        tl_chunk_opener_free(o);
        return rc;
    }
    *out = o;
    return TL_OK;
}

void tl_chunk_opener_free(tl_chunk_opener *o)
{
    if (o == NULL)
        return;
    tl_aead_free(o->aead);
    tl_wipe(o, sizeof(*o));
    free(o);
}

uint32_t tl_chunk_opener_epoch(const tl_chunk_opener *o)
{
    return o->epoch;
}

/* Opens with the key of a later epoch: derives it, tries the frame, and
 * commits (wiping the old key) only if the frame authenticates. */
static int open_ahead(tl_chunk_opener *o, uint32_t epoch, const uint8_t nonce[12],
                      const uint8_t aad[TL_CHUNK_AAD_LEN], const uint8_t *ct, size_t len,
                      uint8_t *out, const uint8_t *tag)
{
    uint8_t key[32];
    tl_aead *aead = NULL;
    memcpy(key, o->key, sizeof(key));
    int rc = TL_OK;
    for (uint32_t e = o->epoch; e < epoch && rc == TL_OK; e++) {
        uint8_t next[32];
        rc = tl_chunk_ratchet(next, key);
        memcpy(key, next, sizeof(key));
        tl_wipe(next, sizeof(next));
    }
    if (rc == TL_OK)
        rc = tl_aead_new(&aead, key, sizeof(key));
    if (rc == TL_OK)
        rc = tl_aead_open(aead, nonce, TL_AEAD_NONCE_LEN, aad, TL_CHUNK_AAD_LEN, ct, len, out, tag);
    if (rc == TL_OK) {
        tl_aead_free(o->aead);
        o->aead = aead;
        memcpy(o->key, key, sizeof(key));
        o->epoch = epoch;
    } else {
        tl_aead_free(aead);
    }
    tl_wipe(key, sizeof(key));
    return rc;
}

int tl_chunk_open(tl_chunk_opener *o, uint64_t expected_index, const uint8_t *frame,
                  size_t frame_len, uint8_t *out, size_t *out_len, int *final)
{
    *out_len = 0;
    *final = 0;
    if (frame_len < TL_CHUNK_OVERHEAD || frame_len - TL_CHUNK_OVERHEAD > TL_CHUNK_MAX_PLAIN)
        return TL_ERR_PARSE;
    size_t len = frame_len - TL_CHUNK_OVERHEAD;
    if (frame[0] != TL_CHUNK_VERSION || (frame[1] & ~1u) != 0) {
        tl_wipe(out, len);
        return TL_ERR_PARSE;
    }
    uint32_t epoch = tl_get32(frame + 2);
    uint64_t index = tl_get64(frame + 6);
    int rc = TL_OK;
    if (index != expected_index || epoch < o->epoch)
        rc = TL_ERR_REPLAY;
    else if (epoch - o->epoch > TL_CHUNK_MAX_EPOCH_SKIP)
        rc = TL_ERR_PROTO;
    if (rc != TL_OK) {
        tl_wipe(out, len);
        return rc;
    }
    uint8_t nonce[TL_AEAD_NONCE_LEN];
    uint8_t aad[TL_CHUNK_AAD_LEN];
    tl_chunk_build_nonce(nonce, epoch, index);
    tl_chunk_build_aad(aad, o->transfer_id, frame);
    const uint8_t *ct = frame + TL_CHUNK_HDR_LEN;
    const uint8_t *tag = ct + len;
    if (epoch == o->epoch)
        rc = tl_aead_open(o->aead, nonce, sizeof(nonce), aad, sizeof(aad), ct, len, out, tag);
    else
        rc = open_ahead(o, epoch, nonce, aad, ct, len, out, tag);
    if (rc != TL_OK)
        return rc;
    *out_len = len;
    *final = frame[1] & 1;
    return TL_OK;
}
