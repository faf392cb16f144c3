/* Cryptographic primitives over OpenSSL 3 EVP (include/tallow/crypto.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tallow/crypto.h"

/* ---- randomness, compare, wipe ---------------------------------------- */

int tl_random(uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return TL_ERR_IO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return TL_OK;
}

int tl_ct_verify(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a;
    const volatile uint8_t *y = b;
    uint32_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint32_t)(x[i] ^ y[i]);
    /* diff in 0..255: (diff - 1) >> 8 is all ones iff diff == 0. */
    uint32_t eq = ((diff - 1u) >> 8) & 1u;
    return (int)eq - 1;
}

int tl_ct_is_zero(const void *p, size_t len)
{
    const volatile uint8_t *x = p;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= x[i];
    return (int)(((acc - 1u) >> 8) & 1u);
}

void tl_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

/* ---- X25519 ----------------------------------------------------------- */

struct tl_x25519_key {
    EVP_PKEY *pkey; /* private key with its public key computed once */
};

int tl_x25519_key_new(tl_x25519_key **out, const uint8_t priv[TL_X25519_LEN])
{
    *out = NULL;
    tl_x25519_key *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return TL_ERR_NOMEM;
    k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, TL_X25519_LEN);
    if (k->pkey == NULL) {
        free(k);
        return TL_ERR_CRYPTO;
    }
    *out = k;
    return TL_OK;
}

void tl_x25519_key_free(tl_x25519_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey); /* OpenSSL cleanses the private key */
    free(k);
}

int tl_x25519_key_public(const tl_x25519_key *k, uint8_t pub[TL_X25519_LEN])
{
    size_t n = TL_X25519_LEN;
    if (EVP_PKEY_get_raw_public_key(k->pkey, pub, &n) != 1 || n != TL_X25519_LEN)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

int tl_x25519_key_shared(const tl_x25519_key *k, const uint8_t peer[TL_X25519_LEN],
                         uint8_t shared[TL_X25519_LEN])
{
    int rc = TL_ERR_CRYPTO;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, TL_X25519_LEN);
    if (theirs == NULL)
        goto out;
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    if (pctx == NULL || EVP_PKEY_derive_init(pctx) != 1 ||
        EVP_PKEY_derive_set_peer_ex(pctx, theirs, 0) != 1)
        goto out;
    size_t n = TL_X25519_LEN;
    /* OpenSSL's provider itself refuses an all-zero result and reports it as
     * a derive failure; the only other derive failure is a bad key object,
     * which the checks above already exclude. */
    if (EVP_PKEY_derive(pctx, shared, &n) != 1 || n != TL_X25519_LEN) {
        rc = TL_ERR_INVALID_ARG;
        goto out;
    }
    /* Branch-free on the (secret) result: zero it and report
     * TL_ERR_INVALID_ARG if it is all zero; the caller acts on the verdict. */
    int zero = tl_ct_is_zero(shared, TL_X25519_LEN);
    uint8_t keep = (uint8_t)(zero - 1); /* 0xff: keep, 0x00: all-zero result */
    for (size_t i = 0; i < TL_X25519_LEN; i++)
        shared[i] &= keep;
    rc = zero * TL_ERR_INVALID_ARG; /* TL_OK is 0 */
    goto done;
out:
    tl_wipe(shared, TL_X25519_LEN);
done:
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(theirs);
    return rc;
}

int tl_x25519_public(uint8_t pub[TL_X25519_LEN], const uint8_t priv[TL_X25519_LEN])
{
    tl_x25519_key *k = NULL;
    int rc = tl_x25519_key_new(&k, priv);
    if (rc == TL_OK)
        rc = tl_x25519_key_public(k, pub);
    tl_x25519_key_free(k);
    return rc;
}

int tl_x25519_keygen(uint8_t priv[TL_X25519_LEN], uint8_t pub[TL_X25519_LEN])
{
    int rc = tl_random(priv, TL_X25519_LEN);
    if (rc == TL_OK)
        rc = tl_x25519_public(pub, priv);
    if (rc != TL_OK)
        tl_wipe(priv, TL_X25519_LEN);
    return rc;
}

int tl_x25519_shared(uint8_t shared[TL_X25519_LEN], const uint8_t priv[TL_X25519_LEN],
                     const uint8_t peer[TL_X25519_LEN])
{
    tl_x25519_key *k = NULL;
    int rc = tl_x25519_key_new(&k, priv);
    if (rc == TL_OK)
        rc = tl_x25519_key_shared(k, peer, shared);
    else
        tl_wipe(shared, TL_X25519_LEN);
    tl_x25519_key_free(k);
    return rc;
}

/* ---- SHA-256 ---------------------------------------------------------- */

struct tl_sha256_ctx {
    EVP_MD_CTX *md;
};

int tl_sha256(uint8_t out[TL_SHA256_LEN], const void *data, size_t len)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != TL_SHA256_LEN)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

int tl_sha256_new(tl_sha256_ctx **out)
{
    *out = NULL;
    tl_sha256_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TL_ERR_NOMEM;
    c->md = EVP_MD_CTX_new();
    if (c->md == NULL) {
        free(c);
        return TL_ERR_NOMEM;
    }
    if (EVP_DigestInit_ex2(c->md, EVP_sha256(), NULL) != 1) {
        tl_sha256_free(c);
        return TL_ERR_CRYPTO;
    }
    *out = c;
    return TL_OK;
}

int tl_sha256_update(tl_sha256_ctx *c, const void *data, size_t len)
{
    if (len == 0)
        return TL_OK;
    return EVP_DigestUpdate(c->md, data, len) == 1 ? TL_OK : TL_ERR_CRYPTO;
}

int tl_sha256_peek(const tl_sha256_ctx *c, uint8_t out[TL_SHA256_LEN])
{
    EVP_MD_CTX *tmp = EVP_MD_CTX_new();
    if (tmp == NULL)
        return TL_ERR_NOMEM;
    unsigned int n = 0;
    int ok = EVP_MD_CTX_copy_ex(tmp, c->md) == 1 && EVP_DigestFinal_ex(tmp, out, &n) == 1 &&
             n == TL_SHA256_LEN;
    EVP_MD_CTX_free(tmp);
    return ok ? TL_OK : TL_ERR_CRYPTO;
}

int tl_sha256_final(tl_sha256_ctx *c, uint8_t out[TL_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != TL_SHA256_LEN)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

void tl_sha256_free(tl_sha256_ctx *c)
{
    if (c == NULL)
        return;
    EVP_MD_CTX_free(c->md); /* cleanses the digest state */
    free(c);
}

/* ---- HMAC / HKDF ------------------------------------------------------ */

int tl_hmac_sha256(uint8_t out[TL_SHA256_LEN], const uint8_t *key, size_t key_len, const void *data,
                   size_t len)
{
    size_t n = 0;
    static const uint8_t empty[1] = {0};
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key_len ? key : empty, key_len,
                  len ? data : empty, len, out, TL_SHA256_LEN, &n) == NULL ||
        n != TL_SHA256_LEN)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

struct tl_hmac_ctx {
    EVP_MAC_CTX *mac;
};

int tl_hmac_sha256_new(tl_hmac_ctx **out, const uint8_t *key, size_t key_len)
{
    *out = NULL;
    tl_hmac_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TL_ERR_NOMEM;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    c->mac = m ? EVP_MAC_CTX_new(m) : NULL;
    EVP_MAC_free(m);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (c->mac == NULL || EVP_MAC_init(c->mac, key, key_len, params) != 1) {
        tl_hmac_sha256_free(c);
        return TL_ERR_CRYPTO;
    }
    *out = c;
    return TL_OK;
}

int tl_hmac_sha256_update(tl_hmac_ctx *c, const void *data, size_t len)
{
    if (len == 0)
        return TL_OK;
    return EVP_MAC_update(c->mac, data, len) == 1 ? TL_OK : TL_ERR_CRYPTO;
}

int tl_hmac_sha256_final(tl_hmac_ctx *c, uint8_t out[TL_SHA256_LEN])
{
    size_t n = 0;
    if (EVP_MAC_final(c->mac, out, &n, TL_SHA256_LEN) != 1 || n != TL_SHA256_LEN)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

void tl_hmac_sha256_free(tl_hmac_ctx *c)
{
    if (c == NULL)
        return;
    EVP_MAC_CTX_free(c->mac); /* OpenSSL cleanses the key schedule */
    free(c);
}

int tl_hmac_sha1(uint8_t out[20], const uint8_t *key, size_t key_len, const void *data, size_t len)
{
    size_t n = 0;
    static const uint8_t empty[1] = {0};
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key_len ? key : empty, key_len,
                  len ? data : empty, len, out, 20, &n) == NULL ||
        n != 20)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

/* One EVP_KDF "HKDF" call in the given mode. */
static int hkdf_call(int mode, uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
                     const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
    if (kdf == NULL)
        return TL_ERR_CRYPTO;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (kctx == NULL)
        return TL_ERR_NOMEM;
    static uint8_t empty[1];
    OSSL_PARAM params[6];
    size_t i = 0;
    params[i++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    /* OpenSSL refuses an empty key; RFC 5869 allows empty IKM. An empty key
     * and an all-zero key of one byte differ, so pass a 0-length octet
     * string backed by a valid pointer. */
    params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    key_len ? (void *)key : empty, key_len);
    if (salt_len > 0)
        params[i++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len > 0)
        params[i++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    params[i] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(kctx); /* cleanses its copies of key, salt, info */
    return ok ? TL_OK : TL_ERR_CRYPTO;
}

int tl_hkdf_extract(uint8_t prk[TL_SHA256_LEN], const uint8_t *salt, size_t salt_len,
                    const uint8_t *ikm, size_t ikm_len)
{
    if (ikm_len == 0) {
        /* PRK = HMAC(salt, "") — OpenSSL's HKDF rejects an empty key, so
         * compute the extract step directly for this corner case. */
        static const uint8_t zeros[TL_SHA256_LEN];
        return tl_hmac_sha256(prk, salt_len ? salt : zeros, salt_len ? salt_len : sizeof(zeros),
                              NULL, 0);
    }
    int rc = hkdf_call(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, prk, TL_SHA256_LEN, ikm, ikm_len, salt,
                       salt_len, NULL, 0);
    if (rc != TL_OK)
        tl_wipe(prk, TL_SHA256_LEN);
    return rc;
}

int tl_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t *prk, size_t prk_len,
                   const uint8_t *info, size_t info_len)
{
    if (okm_len == 0 || okm_len > TL_HKDF_MAX_OKM || prk_len < TL_SHA256_LEN)
        return TL_ERR_INVALID_ARG;
    int rc = hkdf_call(EVP_KDF_HKDF_MODE_EXPAND_ONLY, okm, okm_len, prk, prk_len, NULL, 0, info,
                       info_len);
    if (rc != TL_OK)
        tl_wipe(okm, okm_len);
    return rc;
}

/* ---- AES-GCM ---------------------------------------------------------- */

struct tl_aead {
    EVP_CIPHER_CTX *ctx[2]; /* [0] decrypt, [1] encrypt; each keyed once */
};

void tl_aead_free(tl_aead *a)
{
    if (a == NULL)
        return;
    EVP_CIPHER_CTX_free(a->ctx[0]); /* the provider cleanses the key schedule */
    EVP_CIPHER_CTX_free(a->ctx[1]);
    free(a);
}

int tl_aead_new(tl_aead **out, const uint8_t *key, size_t key_len)
{
    *out = NULL;
    const EVP_CIPHER *cipher = key_len == 32   ? EVP_aes_256_gcm()
                               : key_len == 24 ? EVP_aes_192_gcm()
                               : key_len == 16 ? EVP_aes_128_gcm()
                                               : NULL;
    if (cipher == NULL)
        return TL_ERR_INVALID_ARG;
    tl_aead *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return TL_ERR_NOMEM;
    for (int enc = 0; enc < 2; enc++) {
        a->ctx[enc] = EVP_CIPHER_CTX_new();
        if (a->ctx[enc] == NULL) {
            tl_aead_free(a);
            return TL_ERR_NOMEM;
        }
        if (EVP_CipherInit_ex2(a->ctx[enc], cipher, key, NULL, enc, NULL) != 1) {
            tl_aead_free(a);
            return TL_ERR_CRYPTO;
        }
    }
    *out = a;
    return TL_OK;
}

static int aead_args(size_t nonce_len, size_t aad_len, size_t len)
{
    if (nonce_len == 0)
        return TL_ERR_INVALID_ARG;
    if (nonce_len != TL_AEAD_NONCE_LEN)
        return TL_ERR_UNSUPPORTED;
    if (len > TL_AEAD_MAX_LEN || aad_len > TL_AEAD_MAX_LEN)
        return TL_ERR_TOO_BIG;
    return TL_OK;
}

int tl_aead_seal(tl_aead *a, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 uint8_t tag[TL_AEAD_TAG_LEN])
{
    int rc = aead_args(nonce_len, aad_len, len);
    if (rc != TL_OK)
        return rc;
    EVP_CIPHER_CTX *c = a->ctx[1];
    int n = 0;
    if (EVP_EncryptInit_ex2(c, NULL, NULL, nonce, NULL) != 1)
        return TL_ERR_CRYPTO;
    if (aad_len > 0 && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
        return TL_ERR_CRYPTO;
    if (len > 0 && (EVP_EncryptUpdate(c, out, &n, in, (int)len) != 1 || (size_t)n != len))
        return TL_ERR_CRYPTO;
    if (EVP_EncryptFinal_ex(c, out + len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TL_AEAD_TAG_LEN, tag) != 1)
        return TL_ERR_CRYPTO;
    return TL_OK;
}

int tl_aead_open(tl_aead *a, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 const uint8_t tag[TL_AEAD_TAG_LEN])
{
    int rc = aead_args(nonce_len, aad_len, len);
    if (rc != TL_OK)
        return rc;
    EVP_CIPHER_CTX *c = a->ctx[0];
    int n = 0;
    uint8_t tagbuf[TL_AEAD_TAG_LEN];
    memcpy(tagbuf, tag, sizeof(tagbuf));
    if (EVP_DecryptInit_ex2(c, NULL, NULL, nonce, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TL_AEAD_TAG_LEN, tagbuf) != 1)
        return TL_ERR_CRYPTO;
    rc = TL_OK;
    if (aad_len > 0 && EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
        rc = TL_ERR_CRYPTO;
    if (rc == TL_OK && len > 0 &&
        (EVP_DecryptUpdate(c, out, &n, in, (int)len) != 1 || (size_t)n != len))
        rc = TL_ERR_CRYPTO;
    if (rc == TL_OK && EVP_DecryptFinal_ex(c, out + len, &n) != 1)
        rc = TL_ERR_AUTH;
    if (rc != TL_OK)
        tl_wipe(out, len);
    return rc;
}
