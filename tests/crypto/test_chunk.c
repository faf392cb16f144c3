/* Chunk sealing (include/tallow/chunk.h): round trips, every rejection the
 * header promises, and the ratchet driven by a fake clock and by count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/chunk_internal.h"
#include "tallow/chunk.h"
#include "tallow/crypto.h"

static const uint8_t k_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t k_tid[TL_TRANSFER_ID_LEN] = {0xaa, 0xbb, 0xcc};
static const uint8_t k_tid2[TL_TRANSFER_ID_LEN] = {0xaa, 0xbb, 0xcd};

struct pair {
    tl_chunk_sealer *s;
    tl_chunk_opener *o;
    uint8_t *plain, *frame, *out;
};

static int pair_setup(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    assert_int_equal(tl_chunk_sealer_new(&p->s, k_key, k_tid, 1000), TL_OK);
    assert_int_equal(tl_chunk_opener_new(&p->o, k_key, k_tid), TL_OK);
    p->plain = malloc(TL_CHUNK_MAX_PLAIN + 1);
    p->frame = malloc(TL_CHUNK_MAX_PLAIN + TL_CHUNK_OVERHEAD + 1);
    p->out = malloc(TL_CHUNK_MAX_PLAIN + 1);
    assert_true(p->plain && p->frame && p->out);
    for (size_t i = 0; i <= TL_CHUNK_MAX_PLAIN; i++)
        p->plain[i] = (uint8_t)(i * 131 + 7);
    *state = p;
    return 0;
}

static int pair_teardown(void **state)
{
    struct pair *p = *state;
    tl_chunk_sealer_free(p->s);
    tl_chunk_opener_free(p->o);
    free(p->plain);
    free(p->frame);
    free(p->out);
    free(p);
    return 0;
}

/* Seals index at now and opens it, expecting success. */
static void round_trip(struct pair *p, uint64_t now, uint64_t index, size_t len, int final)
{
    size_t flen = 0, olen = 0;
    int fin = -1;
    assert_int_equal(tl_chunk_seal(p->s, now, index, final, p->plain, len, p->frame, &flen), TL_OK);
    assert_int_equal(flen, len + TL_CHUNK_OVERHEAD);
    assert_int_equal(tl_chunk_open(p->o, index, p->frame, flen, p->out, &olen, &fin), TL_OK);
    assert_int_equal(olen, len);
    assert_int_equal(fin, final);
    assert_memory_equal(p->out, p->plain, len);
    assert_int_equal(tl_chunk_opener_epoch(p->o), tl_chunk_sealer_epoch(p->s));
}

static void test_round_trip_sizes(void **state)
{
    struct pair *p = *state;
    const size_t sizes[] = {0, 1, 15, 16, 17, 1000, 16384, 65536, 65537, TL_CHUNK_MAX_PLAIN};
    uint64_t i = 0;
    for (; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        round_trip(p, 1000, i, sizes[i], i + 1 == sizeof(sizes) / sizeof(sizes[0]));
    size_t flen;
    assert_int_equal(
        tl_chunk_seal(p->s, 1000, i, 0, p->plain, TL_CHUNK_MAX_PLAIN + 1, p->frame, &flen),
        TL_ERR_TOO_BIG);
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 0);
}

static void test_frame_layout(void **state)
{
    struct pair *p = *state;
    size_t flen;
    assert_int_equal(
        tl_chunk_seal(p->s, 1000, 0x0102030405060708ull, 1, p->plain, 10, p->frame, &flen), TL_OK);
    const uint8_t hdr[TL_CHUNK_HDR_LEN] = {1, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(p->frame, hdr, sizeof(hdr));
    /* Independent check of the construction: key0 from HKDF, nonce and AAD. */
    uint8_t key0[32], nonce[12], aad[TL_CHUNK_AAD_LEN], ct[10], tag[16];
    assert_int_equal(tl_chunk_key0(key0, k_key, k_tid), TL_OK);
    tl_chunk_build_nonce(nonce, 0, 0x0102030405060708ull);
    const uint8_t want_nonce[12] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(nonce, want_nonce, 12);
    tl_chunk_build_aad(aad, k_tid, hdr);
    tl_aead *a = NULL;
    assert_int_equal(tl_aead_new(&a, key0, 32), TL_OK);
    assert_int_equal(tl_aead_seal(a, nonce, 12, aad, sizeof(aad), p->plain, 10, ct, tag), TL_OK);
    tl_aead_free(a);
    assert_memory_equal(p->frame + TL_CHUNK_HDR_LEN, ct, 10);
    assert_memory_equal(p->frame + TL_CHUNK_HDR_LEN + 10, tag, 16);
}

/* Opening frame (copied) must fail with want and leave out zeroed. */
static void expect_reject(struct pair *p, uint64_t expected, const uint8_t *frame, size_t flen,
                          int want)
{
    size_t olen = 99;
    int fin = 5;
    memset(p->out, 0xee, flen);
    assert_int_equal(tl_chunk_open(p->o, expected, frame, flen, p->out, &olen, &fin), want);
    assert_int_equal(olen, 0);
    assert_int_equal(fin, 0);
    if (flen >= TL_CHUNK_OVERHEAD)
        assert_true(tl_ct_is_zero(p->out, flen - TL_CHUNK_OVERHEAD));
}

static void test_tamper(void **state)
{
    struct pair *p = *state;
    size_t flen;
    assert_int_equal(tl_chunk_seal(p->s, 1000, 0, 0, p->plain, 300, p->frame, &flen), TL_OK);
    uint8_t *copy = malloc(flen);
    assert_non_null(copy);
    /* Every single-bit flip in ciphertext, tag and final flag fails the tag;
     * in version or reserved flags it fails parsing; in epoch or index it is
     * out of sequence (or, for an epoch jump, fails the tag of that epoch). */
    for (size_t i = 0; i < flen; i += (i < TL_CHUNK_HDR_LEN ? 1 : 37)) {
        memcpy(copy, p->frame, flen);
        copy[i] ^= 1;
        int want = TL_ERR_AUTH; /* ciphertext, tag, final flag, epoch 0 -> 1 */
        if (i == 0)
            want = TL_ERR_PARSE;
        else if (i >= 2 && i <= 4)
            want = TL_ERR_PROTO; /* epoch jumps by 2^8 or more */
        else if (i >= 6 && i < 14)
            want = TL_ERR_REPLAY;
        expect_reject(p, 0, copy, flen, want);
        if (i == 1) {
            copy[i] ^= 0x81; /* reserved flag bit */
            expect_reject(p, 0, copy, flen, TL_ERR_PARSE);
        }
    }
    /* Short frames and oversize frames. */
    expect_reject(p, 0, p->frame, TL_CHUNK_OVERHEAD - 1, TL_ERR_PARSE);
    expect_reject(p, 0, p->frame, 0, TL_ERR_PARSE);
    expect_reject(p, 0, p->frame, flen - 1, TL_ERR_AUTH); /* truncated ciphertext */
    /* The untouched frame still opens: failures do not change the opener. */
    size_t olen;
    int fin;
    assert_int_equal(tl_chunk_open(p->o, 0, p->frame, flen, p->out, &olen, &fin), TL_OK);
    assert_memory_equal(p->out, p->plain, 300);
    free(copy);
}

static void test_final_flag(void **state)
{
    struct pair *p = *state;
    size_t flen;
    assert_int_equal(tl_chunk_seal(p->s, 1000, 0, 1, p->plain, 64, p->frame, &flen), TL_OK);
    p->frame[1] = 0; /* claim "not final" */
    expect_reject(p, 0, p->frame, flen, TL_ERR_AUTH);
    assert_int_equal(tl_chunk_seal(p->s, 1000, 1, 0, p->plain, 64, p->frame, &flen), TL_OK);
    p->frame[1] = 1; /* claim "final": a truncation attack */
    expect_reject(p, 1, p->frame, flen, TL_ERR_AUTH);
}

static void test_reorder_replay(void **state)
{
    struct pair *p = *state;
    uint8_t *f0 = malloc(200), *f1 = malloc(200);
    size_t l0, l1, olen;
    int fin;
    assert_int_equal(tl_chunk_seal(p->s, 1000, 0, 0, p->plain, 100, f0, &l0), TL_OK);
    assert_int_equal(tl_chunk_seal(p->s, 1000, 1, 0, p->plain, 100, f1, &l1), TL_OK);
    /* Reordered: 1 arrives when 0 is expected. */
    expect_reject(p, 0, f1, l1, TL_ERR_REPLAY);
    assert_int_equal(tl_chunk_open(p->o, 0, f0, l0, p->out, &olen, &fin), TL_OK);
    /* Replayed: 0 again when 1 is expected. */
    expect_reject(p, 1, f0, l0, TL_ERR_REPLAY);
    assert_int_equal(tl_chunk_open(p->o, 1, f1, l1, p->out, &olen, &fin), TL_OK);
    /* A header rewritten to the expected index no longer authenticates. */
    memcpy(p->frame, f0, l0);
    p->frame[13] = 2;
    expect_reject(p, 2, p->frame, l0, TL_ERR_AUTH);
    free(f0);
    free(f1);
}

static void test_cross_transfer(void **state)
{
    struct pair *p = *state;
    tl_chunk_opener *other = NULL;
    tl_chunk_opener *wrong_key = NULL;
    uint8_t key2[32];
    memcpy(key2, k_key, 32);
    key2[31] ^= 1;
    assert_int_equal(tl_chunk_opener_new(&other, k_key, k_tid2), TL_OK);
    assert_int_equal(tl_chunk_opener_new(&wrong_key, key2, k_tid), TL_OK);
    size_t flen, olen;
    int fin;
    assert_int_equal(tl_chunk_seal(p->s, 1000, 0, 0, p->plain, 500, p->frame, &flen), TL_OK);
    assert_int_equal(tl_chunk_open(other, 0, p->frame, flen, p->out, &olen, &fin), TL_ERR_AUTH);
    assert_int_equal(tl_chunk_open(wrong_key, 0, p->frame, flen, p->out, &olen, &fin), TL_ERR_AUTH);
    assert_true(tl_ct_is_zero(p->out, 500));
    assert_int_equal(tl_chunk_open(p->o, 0, p->frame, flen, p->out, &olen, &fin), TL_OK);
    tl_chunk_opener_free(other);
    tl_chunk_opener_free(wrong_key);
}

static void test_rotate_by_time(void **state)
{
    struct pair *p = *state;
    uint64_t t = 1000, idx = 0;
    round_trip(p, t, idx++, 100, 0);
    round_trip(p, t + TL_CHUNK_ROTATE_MS - 1, idx++, 100, 0);
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 0);
    /* Keep the frame of epoch 0 to replay after rotation. */
    size_t old_len, flen, olen;
    int fin;
    uint8_t *old = malloc(200);
    assert_int_equal(tl_chunk_seal(p->s, t + 1, idx, 0, p->plain, 100, old, &old_len), TL_OK);
    assert_int_equal(tl_chunk_open(p->o, idx, old, old_len, p->out, &olen, &fin), TL_OK);
    idx++;
    /* Five minutes after the epoch began: the next seal ratchets first. */
    round_trip(p, t + TL_CHUNK_ROTATE_MS, idx++, 100, 0);
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 1);
    assert_int_equal(tl_chunk_opener_epoch(p->o), 1);
    t += TL_CHUNK_ROTATE_MS;
    for (uint32_t e = 2; e < 6; e++) {
        t += TL_CHUNK_ROTATE_MS;
        round_trip(p, t, idx++, 1000, 0);
        assert_int_equal(tl_chunk_sealer_epoch(p->s), e);
    }
    /* An epoch-0 frame rewritten to the expected index: old epoch, rejected. */
    old[13] = (uint8_t)idx;
    expect_reject(p, idx, old, old_len, TL_ERR_REPLAY);
    /* A sealer that re-seals an old index gets a fresh epoch (no nonce reuse). */
    assert_int_equal(tl_chunk_seal(p->s, t, idx - 1, 0, p->plain, 10, p->frame, &flen), TL_OK);
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 6);
    assert_int_equal(tl_chunk_open(p->o, idx - 1, p->frame, flen, p->out, &olen, &fin), TL_OK);
    assert_int_equal(tl_chunk_opener_epoch(p->o), 6);
    free(old);
}

static void test_rotate_by_count(void **state)
{
    struct pair *p = *state;
    /* 2^20 chunks per epoch: seal empty chunks to get there quickly. */
    size_t flen, olen;
    int fin;
    uint64_t idx = 0;
    for (; idx < TL_CHUNK_ROTATE_CHUNKS; idx++) {
        assert_int_equal(tl_chunk_seal(p->s, 1000, idx, 0, p->plain, 0, p->frame, &flen), TL_OK);
        if (idx % 4096 == 0 || idx + 1 == TL_CHUNK_ROTATE_CHUNKS)
            assert_int_equal(tl_chunk_open(p->o, idx, p->frame, flen, p->out, &olen, &fin), TL_OK);
    }
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 0);
    round_trip(p, 1000, idx++, 64, 0);
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 1);
    assert_int_equal(tl_chunk_opener_epoch(p->o), 1);
}

static void test_epoch_skip(void **state)
{
    struct pair *p = *state;
    /* The opener follows several epochs at once (frames it never saw). */
    size_t flen, olen;
    int fin;
    uint64_t t = 1000;
    for (int i = 0; i < 3; i++) {
        t += TL_CHUNK_ROTATE_MS;
        assert_int_equal(tl_chunk_seal(p->s, t, (uint64_t)i, 0, p->plain, 10, p->frame, &flen),
                         TL_OK);
    }
    assert_int_equal(tl_chunk_sealer_epoch(p->s), 3);
    assert_int_equal(tl_chunk_open(p->o, 2, p->frame, flen, p->out, &olen, &fin), TL_OK);
    assert_int_equal(tl_chunk_opener_epoch(p->o), 3);
    /* A forged far-future epoch is refused before any work; a near one that
     * fails the tag leaves the opener where it was. */
    uint8_t *forged = malloc(flen);
    memcpy(forged, p->frame, flen);
    forged[13] = 3;
    forged[2] = 0x10;
    expect_reject(p, 3, forged, flen, TL_ERR_PROTO);
    forged[2] = 0;
    forged[5] = 5;
    expect_reject(p, 3, forged, flen, TL_ERR_AUTH);
    assert_int_equal(tl_chunk_opener_epoch(p->o), 3);
    free(forged);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip_sizes), T(test_frame_layout),    T(test_tamper),
        T(test_final_flag),       T(test_reorder_replay),  T(test_cross_transfer),
        T(test_rotate_by_time),   T(test_rotate_by_count), T(test_epoch_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
