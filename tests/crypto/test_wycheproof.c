/* Project Wycheproof vectors (tests/vectors/wycheproof/) against the
 * primitives of include/tallow/crypto.h: X25519, AES-GCM, HKDF-SHA256.
 * Every case runs; the counts of run, skipped and failed cases are asserted
 * exactly, so a missing or truncated file cannot pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "crypto/test_mlkem_util.h"
#include "tallow/crypto.h"

static cJSON *load_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/wycheproof/%s", TL_VECTORS_DIR, name);
    cJSON *root = tl_test_load_json(path, stderr);
    if (root == NULL)
        fail_msg("cannot load %s", path);
    return root;
}

/* Decodes the hex string field name of obj into a fresh buffer (at least one
 * byte allocated) and its length. */
static uint8_t *hex_field(const cJSON *obj, const char *name, size_t *len)
{
    uint8_t *out = tl_test_json_hex(obj, name, len);
    if (out == NULL)
        fail_msg("field %s is missing or not hex", name);
    return out;
}

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static int int_field(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsNumber(item));
    return item->valueint;
}

static int has_flag(const cJSON *test, const char *flag)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(test, "flags"))
    {
        if (cJSON_IsString(f) && strcmp(f->valuestring, flag) == 0)
            return 1;
    }
    return 0;
}

/* ---- X25519 ----------------------------------------------------------- */

static void test_x25519(void **state)
{
    (void)state;
    cJSON *root = load_json("x25519_test.json");
    int total = 0, valid = 0, acc_ok = 0, acc_rejected = 0, zero_rejected = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root, "testGroups"))
    {
        assert_string_equal(str_field(g, "curve"), "curve25519");
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            size_t lpub, lpriv, lsh;
            uint8_t *pub = hex_field(t, "public", &lpub);
            uint8_t *priv = hex_field(t, "private", &lpriv);
            uint8_t *shared = hex_field(t, "shared", &lsh);
            const char *result = str_field(t, "result");
            assert_int_equal(lpub, 32);
            assert_int_equal(lpriv, 32);
            uint8_t out[32];
            int rc = tl_x25519_shared(out, priv, pub);
            int tc = int_field(t, "tcId");
            if (has_flag(t, "ZeroSharedSecret")) {
                /* Must be rejected, and must really be the zero case. */
                if (rc != TL_ERR_INVALID_ARG)
                    fail_msg("tcId %d: all-zero shared secret accepted (rc %d)", tc, rc);
                assert_true(tl_ct_is_zero(shared, lsh));
                assert_true(tl_ct_is_zero(out, 32));
                zero_rejected++;
            } else if (strcmp(result, "valid") == 0) {
                if (rc != TL_OK || memcmp(out, shared, 32) != 0)
                    fail_msg("tcId %d: valid case failed (rc %d)", tc, rc);
                valid++;
            } else {
                assert_string_equal(result, "acceptable");
                if (rc == TL_OK) {
                    if (memcmp(out, shared, 32) != 0)
                        fail_msg("tcId %d: acceptable case gave a wrong secret", tc);
                    acc_ok++;
                } else {
                    acc_rejected++;
                }
            }
            total++;
            free(pub);
            free(priv);
            free(shared);
        }
    }
    assert_int_equal(int_field(root, "numberOfTests"), 518);
    assert_int_equal(total, 518);
    assert_int_equal(valid, 264);
    assert_int_equal(zero_rejected, 31);
    /* Twist points, non-canonical keys etc. are computed as RFC 7748 says. */
    assert_int_equal(acc_ok, 518 - 264 - 31);
    assert_int_equal(acc_rejected, 0);
    print_message("x25519: %d cases: %d valid ok, %d acceptable computed, %d zero rejected\n",
                  total, valid, acc_ok, zero_rejected);
    cJSON_Delete(root);
}

/* ---- AES-GCM ---------------------------------------------------------- */

struct gcm_counts {
    int total, valid_ok, invalid_rejected, skipped, skipped_invalid;
    int by_key[3]; /* run cases with 128/192/256-bit keys */
};

static void gcm_case(const cJSON *g, const cJSON *t, struct gcm_counts *c)
{
    size_t lk, liv, laad, lmsg, lct, ltag;
    uint8_t *key = hex_field(t, "key", &lk);
    uint8_t *iv = hex_field(t, "iv", &liv);
    uint8_t *aad = hex_field(t, "aad", &laad);
    uint8_t *msg = hex_field(t, "msg", &lmsg);
    uint8_t *ct = hex_field(t, "ct", &lct);
    uint8_t *tag = hex_field(t, "tag", &ltag);
    const char *result = str_field(t, "result");
    int tc = int_field(t, "tcId");
    assert_int_equal(lk * 8, (size_t)int_field(g, "keySize"));
    assert_int_equal(ltag, 16);
    assert_int_equal(lct, lmsg);
    uint8_t *buf = malloc(lmsg + 1);
    assert_non_null(buf);
    uint8_t tagout[16];
    tl_aead *a = NULL;
    assert_int_equal(tl_aead_new(&a, key, lk), TL_OK);
    if (liv != TL_AEAD_NONCE_LEN) {
        /* Only 96-bit nonces are supported: any other size is refused, a
         * zero-length one as invalid, the rest as unsupported. */
        int want = liv == 0 ? TL_ERR_INVALID_ARG : TL_ERR_UNSUPPORTED;
        assert_int_equal(tl_aead_seal(a, iv, liv, aad, laad, msg, lmsg, buf, tagout), want);
        assert_int_equal(tl_aead_open(a, iv, liv, aad, laad, ct, lct, buf, tag), want);
        if (liv == 0) {
            assert_string_equal(result, "invalid");
            c->skipped_invalid++;
        }
        c->skipped++;
    } else if (strcmp(result, "valid") == 0) {
        if (tl_aead_seal(a, iv, liv, aad, laad, msg, lmsg, buf, tagout) != TL_OK ||
            memcmp(buf, ct, lct) != 0 || memcmp(tagout, tag, 16) != 0)
            fail_msg("tcId %d (key %zu bits): seal mismatch", tc, lk * 8);
        if (tl_aead_open(a, iv, liv, aad, laad, ct, lct, buf, tag) != TL_OK ||
            memcmp(buf, msg, lmsg) != 0)
            fail_msg("tcId %d (key %zu bits): open failed", tc, lk * 8);
        c->valid_ok++;
        c->by_key[lk / 8 - 2]++;
    } else {
        assert_string_equal(result, "invalid");
        int rc = tl_aead_open(a, iv, liv, aad, laad, ct, lct, buf, tag);
        if (rc != TL_ERR_AUTH)
            fail_msg("tcId %d (key %zu bits): invalid case opened (rc %d)", tc, lk * 8, rc);
        for (size_t i = 0; i < lct; i++)
            assert_int_equal(buf[i], 0); /* output zeroed on failure */
        c->invalid_rejected++;
        c->by_key[lk / 8 - 2]++;
    }
    tl_aead_free(a);
    c->total++;
    free(key);
    free(iv);
    free(aad);
    free(msg);
    free(ct);
    free(tag);
    free(buf);
}

static void test_aes_gcm(void **state)
{
    (void)state;
    cJSON *root = load_json("aes_gcm_test.json");
    struct gcm_counts c = {0};
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root, "testGroups"))
    {
        assert_int_equal(int_field(g, "tagSize"), 128);
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            gcm_case(g, t, &c);
        }
    }
    assert_int_equal(int_field(root, "numberOfTests"), 316);
    assert_int_equal(c.total, 316);
    assert_int_equal(c.valid_ok, 116);        /* all valid 96-bit-IV cases */
    assert_int_equal(c.invalid_rejected, 81); /* every ModifiedTag case */
    assert_int_equal(c.skipped, 119);         /* other IV sizes */
    assert_int_equal(c.skipped_invalid, 6);   /* the ZeroLengthIv cases */
    assert_int_equal(c.by_key[0], 67);
    assert_int_equal(c.by_key[1], 64);
    assert_int_equal(c.by_key[2], 66); /* every 256-bit key, 96-bit IV case */
    print_message("aes_gcm: %d cases: %d valid ok, %d invalid rejected, %d skipped "
                  "(unsupported IV size; %d of them invalid zero-length IVs, refused)\n",
                  c.total, c.valid_ok, c.invalid_rejected, c.skipped, c.skipped_invalid);
    cJSON_Delete(root);
}

/* ---- HKDF-SHA256 ------------------------------------------------------ */

static void test_hkdf(void **state)
{
    (void)state;
    cJSON *root = load_json("hkdf_sha256_test.json");
    int total = 0, valid = 0, invalid = 0;
    const cJSON *g, *t;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root, "testGroups"))
    {
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
        {
            size_t likm, lsalt, linfo, lokm;
            uint8_t *ikm = hex_field(t, "ikm", &likm);
            uint8_t *salt = hex_field(t, "salt", &lsalt);
            uint8_t *info = hex_field(t, "info", &linfo);
            uint8_t *okm = hex_field(t, "okm", &lokm);
            size_t size = (size_t)int_field(t, "size");
            int tc = int_field(t, "tcId");
            uint8_t prk[32];
            uint8_t *out = malloc(size);
            assert_non_null(out);
            assert_int_equal(tl_hkdf_extract(prk, salt, lsalt, ikm, likm), TL_OK);
            int rc = tl_hkdf_expand(out, size, prk, sizeof(prk), info, linfo);
            if (strcmp(str_field(t, "result"), "valid") == 0) {
                if (rc != TL_OK || lokm != size || memcmp(out, okm, size) != 0)
                    fail_msg("tcId %d: HKDF mismatch (rc %d)", tc, rc);
                valid++;
            } else {
                assert_string_equal(str_field(t, "result"), "invalid");
                assert_true(size > TL_HKDF_MAX_OKM);
                if (rc != TL_ERR_INVALID_ARG)
                    fail_msg("tcId %d: too-long output accepted (rc %d)", tc, rc);
                invalid++;
            }
            total++;
            free(out);
            free(ikm);
            free(salt);
            free(info);
            free(okm);
        }
    }
    assert_int_equal(int_field(root, "numberOfTests"), 86);
    assert_int_equal(total, 86);
    assert_int_equal(valid, 83);
    assert_int_equal(invalid, 3);
    print_message("hkdf_sha256: %d cases: %d valid ok, %d invalid rejected\n", total, valid,
                  invalid);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x25519),
        cmocka_unit_test(test_aes_gcm),
        cmocka_unit_test(test_hkdf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
