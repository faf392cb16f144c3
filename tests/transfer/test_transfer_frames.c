/* Frame codec and manifest codec: round trips of every frame type, every
 * truncation, malformed fields, and hostile manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "transfer/frames.h"

#include <stdlib.h>
#include <string.h>

static uint8_t hashes[TL_XFER_HASH_BLOCK * 32];
static uint8_t bytes[1000];

static int sample(int i, tl_frame *f)
{
    memset(f, 0, sizeof(*f));
    for (size_t k = 0; k < sizeof(bytes); k++)
        bytes[k] = (uint8_t)(k * 7);
    switch (i) {
    case 0:
        f->type = TL_FR_HELLO;
        f->u.hello.min_version = 1;
        f->u.hello.max_version = 3;
        f->u.hello.role = TL_FR_ROLE_SENDER;
        f->u.hello.max_message = 262144;
        memset(f->u.hello.session_id, 0x42, 16);
        return 1;
    case 1:
        f->type = TL_FR_HS;
        f->u.hs.msg = bytes;
        f->u.hs.len = 900;
        return 1;
    case 2:
        f->type = TL_FR_MANIFEST;
        f->u.manifest.total = 5000;
        f->u.manifest.offset = 4000;
        f->u.manifest.part = bytes;
        f->u.manifest.len = 1000;
        return 1;
    case 3:
        f->type = TL_FR_RESUME;
        f->u.resume.file = 7;
        f->u.resume.status = TL_XFER_WANT;
        f->u.resume.prefix = 123456789012ull;
        f->u.resume.bitmap = bytes;
        f->u.resume.bitmap_len = 33;
        return 1;
    case 4:
        f->type = TL_FR_RESUME_END;
        f->u.resume_end.count = 99;
        return 1;
    case 5:
        f->type = TL_FR_HASHES;
        f->u.hashes.file = 2;
        f->u.hashes.block = 3;
        f->u.hashes.count = TL_XFER_HASH_BLOCK;
        f->u.hashes.hashes = hashes;
        return 1;
    case 6:
        f->type = TL_FR_DATA;
        f->u.data.file = 0xfffffffe;
        f->u.data.chunk = 0x0102030405060708ull;
        f->u.data.data = bytes;
        f->u.data.len = 777;
        return 1;
    case 7:
        f->type = TL_FR_FILE_END;
        f->u.file_end.file = 5;
        return 1;
    case 8:
        f->type = TL_FR_FILE_RESULT;
        f->u.file_result.file = 5;
        f->u.file_result.error = 17;
        return 1;
    case 9:
        f->type = TL_FR_ACK;
        f->u.ack.frames = 1ull << 40;
        f->u.ack.bytes = 1ull << 50;
        return 1;
    case 10:
    case 11:
        f->type = i == 10 ? TL_FR_PING : TL_FR_PONG;
        f->u.ping.id = 9;
        f->u.ping.stamp = 123456;
        return 1;
    case 12:
        f->type = TL_FR_DONE;
        f->u.done.files_ok = 3;
        f->u.done.files_failed = 1;
        return 1;
    case 13:
    case 14:
        f->type = i == 13 ? TL_FR_CANCEL : TL_FR_ERROR;
        f->u.error.code = 20;
        f->u.error.text = "cancelled by user";
        f->u.error.text_len = strlen(f->u.error.text);
        return 1;
    case 15:
        f->type = TL_FR_NAME;
        f->u.name.text = "alice's laptop";
        f->u.name.len = strlen(f->u.name.text);
        return 1;
    default:
        return 0;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    tl_frame f, g;
    uint8_t buf[40000], copy[40000];
    for (int i = 0; sample(i, &f); i++) {
        size_t n;
        assert_int_equal(tl_frame_encode(&f, buf, sizeof(buf), &n), TL_OK);
        assert_int_equal(n, tl_frame_len(&f));
        assert_int_equal(tl_frame_decode(buf, n, &g), TL_OK);
        assert_int_equal(g.type, f.type);
        uint8_t again[40000];
        size_t m;
        assert_int_equal(tl_frame_encode(&g, again, sizeof(again), &m), TL_OK);
        assert_int_equal(m, n);
        assert_memory_equal(again, buf, n);
        assert_string_not_equal(tl_frame_name(f.type), "?");
        /* every truncation is rejected, except that MANIFEST and DATA carry
         * a tail to the end of the frame (1 byte is enough) */
        int tail = f.type == TL_FR_MANIFEST || f.type == TL_FR_DATA;
        size_t hdr = f.type == TL_FR_MANIFEST ? TL_FR_MANIFEST_HDR : TL_FR_DATA_HDR;
        for (size_t k = 0; k < n; k++) {
            memcpy(copy, buf, k);
            if (tail && k > hdr)
                assert_int_equal(tl_frame_decode(copy, k, &g), TL_OK);
            else
                assert_int_not_equal(tl_frame_decode(copy, k, &g), TL_OK);
        }
        /* one byte too many is rejected unless the tail runs to the end */
        if (f.type != TL_FR_MANIFEST && f.type != TL_FR_DATA) {
            memcpy(copy, buf, n);
            copy[n] = 0;
            assert_int_equal(tl_frame_decode(copy, n + 1, &g), TL_ERR_PARSE);
        }
        /* a too small buffer */
        assert_int_equal(tl_frame_encode(&f, buf, n - 1, &m), TL_ERR_TOO_BIG);
    }
    tl_frame d;
    sample(6, &f);
    tl_frame_encode(&f, buf, sizeof(buf), &(size_t){0});
    tl_frame_decode(buf, TL_FR_DATA_HDR + 777, &d);
    assert_int_equal(d.u.data.file, 0xfffffffe);
    assert_int_equal(d.u.data.chunk, 0x0102030405060708ull);
    assert_memory_equal(d.u.data.data, bytes, 777);
}

static void expect_bad(int i, void (*mutate)(uint8_t *, size_t *), int err)
{
    tl_frame f, g;
    uint8_t buf[40000];
    size_t n;
    sample(i, &f);
    assert_int_equal(tl_frame_encode(&f, buf, sizeof(buf), &n), TL_OK);
    mutate(buf, &n);
    assert_int_equal(tl_frame_decode(buf, n, &g), err);
}

static void bad_magic(uint8_t *b, size_t *n)
{
    (void)n;
    b[1] = 'X';
}
static void min_gt_max(uint8_t *b, size_t *n)
{
    (void)n;
    b[6] = 9;
}
static void role_2(uint8_t *b, size_t *n)
{
    (void)n;
    b[9] = 2;
}
static void hs_len_0(uint8_t *b, size_t *n)
{
    b[1] = b[2] = 0;
    *n = 3;
}
static void man_overrun(uint8_t *b, size_t *n)
{
    (void)n;
    tl_put32(b + 5, 4500); /* offset + len > total */
}
static void man_huge(uint8_t *b, size_t *n)
{
    (void)n;
    tl_put32(b + 1, TL_XFER_MAX_MANIFEST + 1);
}
static void resume_status(uint8_t *b, size_t *n)
{
    (void)n;
    b[5] = 3;
}
static void refuse_no_err(uint8_t *b, size_t *n)
{
    (void)n;
    b[5] = TL_XFER_REFUSE;
}
static void hashes_1025(uint8_t *b, size_t *n)
{
    tl_put16(b + 9, 1025);
    *n = 11 + 1025 * 32;
}
static void data_empty(uint8_t *b, size_t *n)
{
    (void)b;
    *n = TL_FR_DATA_HDR;
}
static void data_huge(uint8_t *b, size_t *n)
{
    (void)b;
    *n = TL_FR_DATA_HDR + TL_XFER_MAX_CHUNK + 1;
}
static void err_code_0(uint8_t *b, size_t *n)
{
    (void)n;
    b[1] = b[2] = 0;
}
static void err_text_long(uint8_t *b, size_t *n)
{
    tl_put16(b + 3, 300);
    *n = 5 + 300;
}
static void name_empty(uint8_t *b, size_t *n)
{
    tl_put16(b + 1, 0);
    *n = 3;
}
static void name_long(uint8_t *b, size_t *n)
{
    tl_put16(b + 1, 65);
    memset(b + 3, 'a', 65);
    *n = 3 + 65;
}
static void name_short(uint8_t *b, size_t *n)
{
    (*n)--; /* one byte fewer than its length says */
    (void)b;
}
static void unknown_type(uint8_t *b, size_t *n)
{
    (void)n;
    b[0] = 0x99;
}

static void test_malformed(void **state)
{
    (void)state;
    expect_bad(0, bad_magic, TL_ERR_PARSE);
    expect_bad(0, min_gt_max, TL_ERR_PARSE);
    expect_bad(0, role_2, TL_ERR_PARSE);
    expect_bad(1, hs_len_0, TL_ERR_PARSE);
    expect_bad(2, man_overrun, TL_ERR_PARSE);
    expect_bad(2, man_huge, TL_ERR_TOO_BIG);
    expect_bad(3, resume_status, TL_ERR_PARSE);
    expect_bad(3, refuse_no_err, TL_ERR_PARSE);
    expect_bad(5, hashes_1025, TL_ERR_PARSE);
    expect_bad(6, data_empty, TL_ERR_PARSE);
    expect_bad(6, data_huge, TL_ERR_PARSE);
    expect_bad(14, err_code_0, TL_ERR_PARSE);
    expect_bad(14, err_text_long, TL_ERR_PARSE);
    expect_bad(4, unknown_type, TL_ERR_PARSE);
    expect_bad(15, name_empty, TL_ERR_PARSE);
    expect_bad(15, name_long, TL_ERR_PARSE);
    expect_bad(15, name_short, TL_ERR_PARSE);
    tl_frame g;
    assert_int_equal(tl_frame_decode((const uint8_t *)"", 0, &g), TL_ERR_PARSE);
    tl_frame f = {.type = 0x77};
    uint8_t buf[64];
    size_t n;
    assert_int_equal(tl_frame_encode(&f, buf, sizeof(buf), &n), TL_ERR_INVALID_ARG);
    sample(5, &f);
    f.u.hashes.count = 0;
    assert_int_equal(tl_frame_encode(&f, buf, sizeof(buf), &n), TL_ERR_TOO_BIG);
}

static tl_xfer_manifest *sample_manifest(void)
{
    tl_xfer_manifest *m;
    uint8_t sha[32] = {1}, ch[3000 * 32];
    for (size_t i = 0; i < sizeof(ch); i++)
        ch[i] = (uint8_t)i;
    assert_int_equal(tl_xfer_manifest_new(&m, 4096, NULL), TL_OK);
    assert_int_equal(tl_xfer_manifest_add_dir(m, "photos", 0755), TL_OK);
    assert_int_equal(tl_xfer_manifest_add_file(m, "photos/AAAAAAA", 0644, 3000 * 4096 - 5,
                                               1700000000, sha, ch, NULL),
                     TL_OK);
    assert_int_equal(tl_xfer_manifest_add_file(m, "empty", 0600, 0, 1, sha, NULL, NULL), TL_OK);
    assert_int_equal(tl_xfer_manifest_add_file(m, "héllo wörld.txt", 0644, 10, 1, sha, ch, NULL),
                     TL_OK);
    return m;
}

static void test_manifest(void **state)
{
    (void)state;
    tl_xfer_manifest *m = sample_manifest(), *d;
    assert_int_equal(m->entries[1].nchunks, 3000);
    assert_int_equal(m->entries[1].nblocks, 3);
    uint8_t *b;
    size_t n;
    assert_int_equal(tl_xfer_manifest_encode(m, &b, &n), TL_OK);
    assert_int_equal(tl_xfer_manifest_decode(b, n, &d), TL_OK);
    assert_int_equal(d->count, 4);
    assert_int_equal(d->chunk_size, 4096);
    for (uint32_t i = 0; i < 4; i++) {
        assert_string_equal(d->entries[i].path, m->entries[i].path);
        assert_int_equal(d->entries[i].size, m->entries[i].size);
        assert_int_equal(d->entries[i].mode, m->entries[i].mode);
        assert_memory_equal(d->entries[i].content_id, m->entries[i].content_id, 32);
        assert_null(d->entries[i].chunk_hashes);
    }
    assert_memory_equal(d->entries[1].block_hashes, m->entries[1].block_hashes, 3 * 32);
    tl_xfer_manifest_free(d);
    /* every truncation and one extra byte */
    for (size_t k = 0; k < n; k += (k < 200 ? 1 : 31))
        assert_int_not_equal(tl_xfer_manifest_decode(b, k, &d), TL_OK);
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    assert_int_equal(tl_xfer_manifest_decode(longer, n + 1, &d), TL_ERR_PARSE);
    free(longer);
    /* hostile names patched over "photos/AAAAAAA" (14 bytes) */
    static const char *const bad[] = {"../../../etc/x", "/etc/passwd123",  "photos/A\001AAAAA",
                                      "photos/CON.txt", "photos\\AAAAAAA", "photos//AAAAAA"};
    uint8_t *p = NULL;
    for (size_t i = 0; i + 14 <= n; i++)
        if (memcmp(b + i, "photos/AAAAAAA", 14) == 0)
            p = b + i;
    assert_non_null(p);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(p, bad[i], 14);
        assert_int_equal(tl_xfer_manifest_decode(b, n, &d), TL_ERR_INVALID_ARG);
    }
    /* duplicate of the folder's name */
    memcpy(p, "photos\0AAAAAAA", 14);
    assert_int_equal(tl_xfer_manifest_decode(b, n, &d), TL_ERR_INVALID_ARG);
    memcpy(p, "photos/AAAAAAA", 14);
    b[0] = 2;
    assert_int_equal(tl_xfer_manifest_decode(b, n, &d), TL_ERR_UNSUPPORTED);
    b[0] = 1;
    tl_free(b);
    tl_xfer_manifest_free(m);

    /* a duplicate path */
    assert_int_equal(tl_xfer_manifest_new(&m, 4096, NULL), TL_OK);
    uint8_t sha[32] = {0};
    tl_xfer_manifest_add_file(m, "x", 0644, 0, 0, sha, NULL, NULL);
    tl_xfer_manifest_add_file(m, "x", 0644, 0, 0, sha, NULL, NULL);
    assert_int_equal(tl_xfer_manifest_encode(m, &b, &n), TL_OK);
    assert_int_equal(tl_xfer_manifest_decode(b, n, &d), TL_ERR_INVALID_ARG);
    tl_free(b);
    tl_xfer_manifest_free(m);
    assert_int_equal(tl_xfer_manifest_new(&m, 100, NULL), TL_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
