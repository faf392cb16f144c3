/* Join codes: text <-> (group, 50 random bits, location), HKDF derivations. */
#include "signal/joincode.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define NWORDS_IN_CODE 5

int tl_joincode_word_index(const char *w, size_t len)
{
    if (len < 3 || len > 16)
        return -1;
    char low[17];
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)w[i]);
    low[len] = '\0';
    /* A word matches whole, or by its first four letters (unique in the list). */
    for (int i = 0; i < TL_JOINCODE_NWORDS; i++) {
        const char *c = tl_joincode_words[i];
        size_t cl = strlen(c);
        if ((cl == len && !memcmp(c, low, len)) || (len == 4 && cl > 4 && !memcmp(c, low, 4)))
            return i;
    }
    return -1;
}

static uint64_t bits50(const uint8_t rnd[TL_JOINCODE_RANDOM_LEN])
{
    uint64_t v = 0;
    for (int i = 0; i < TL_JOINCODE_RANDOM_LEN; i++)
        v = (v << 8) | rnd[i];
    return v & ((UINT64_C(1) << 50) - 1);
}

static int valid_url(const char *url)
{
    const char *p;
    if (!strncmp(url, "ws://", 5))
        p = url + 5;
    else if (!strncmp(url, "wss://", 6))
        p = url + 6;
    else
        return 0;
    size_t n = strlen(p);
    if (n < 3 || n > 200 || !strchr(p, ':'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr(".-:[]_", p[i]))
            return 0;
    return 1;
}

int tl_joincode_format(uint32_t group, const uint8_t rnd[TL_JOINCODE_RANDOM_LEN], const char *url,
                       char *out, size_t outlen)
{
    if (group > TL_JOINCODE_MAX_GROUP || !rnd || !out || (url && !valid_url(url)))
        return TL_ERR_INVALID_ARG;
    uint64_t v = bits50(rnd);
    int n = snprintf(out, outlen, "%06u", (unsigned)group);
    if (n < 0 || (size_t)n >= outlen)
        return TL_ERR_TOO_BIG;
    size_t used = (size_t)n;
    for (int i = NWORDS_IN_CODE - 1; i >= 0; i--) {
        unsigned idx = (unsigned)((v >> (10 * i)) & 0x3ff);
        n = snprintf(out + used, outlen - used, "-%s", tl_joincode_words[idx]);
        if (n < 0 || (size_t)n >= outlen - used)
            return TL_ERR_TOO_BIG;
        used += (size_t)n;
    }
    if (url) {
        /* ws:// is the default scheme and is left out to keep codes short. */
        const char *loc = !strncmp(url, "ws://", 5) ? url + 5 : url;
        n = snprintf(out + used, outlen - used, "@%s", loc);
        if (n < 0 || (size_t)n >= outlen - used)
            return TL_ERR_TOO_BIG;
    }
    return TL_OK;
}

static int hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t out[32])
{
    static const char salt[] = "tallow joincode v1";
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return TL_ERR_CRYPTO;
    EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!kc)
        return TL_ERR_CRYPTO;
    OSSL_PARAM params[5];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    params[2] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
    params[4] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(kc, out, 32, params) == 1;
    EVP_KDF_CTX_free(kc);
    return ok ? TL_OK : TL_ERR_CRYPTO;
}

int tl_joincode_derive(uint32_t group, const uint8_t rnd[TL_JOINCODE_RANDOM_LEN],
                       uint8_t proof[TL_JOINCODE_PROOF_LEN], uint8_t secret[TL_JOINCODE_SECRET_LEN])
{
    uint64_t v = bits50(rnd);
    uint8_t ikm[3 + TL_JOINCODE_RANDOM_LEN];
    ikm[0] = (uint8_t)(group >> 16);
    ikm[1] = (uint8_t)(group >> 8);
    ikm[2] = (uint8_t)group;
    /* Proof: group + the 20-bit join password only (the top 20 of 50 bits). */
    uint64_t pw = v >> 30;
    ikm[3] = (uint8_t)(pw >> 16);
    ikm[4] = (uint8_t)(pw >> 8);
    ikm[5] = (uint8_t)pw;
    int rc = hkdf(ikm, 6, "join proof", proof);
    /* Secret: group + all 50 bits. */
    for (int i = 0; i < TL_JOINCODE_RANDOM_LEN; i++)
        ikm[3 + i] = (uint8_t)(v >> (8 * (TL_JOINCODE_RANDOM_LEN - 1 - i)));
    if (rc == TL_OK)
        rc = hkdf(ikm, sizeof(ikm), "key schedule secret", secret);
    OPENSSL_cleanse(ikm, sizeof(ikm));
    OPENSSL_cleanse(&v, sizeof(v));
    OPENSSL_cleanse(&pw, sizeof(pw));
    return rc;
}

/* Parses the location after '@' into jc->url. */
static int parse_location(const char *loc, tl_joincode *jc)
{
    int n;
    if (!strncmp(loc, "ws://", 5) || !strncmp(loc, "wss://", 6))
        n = snprintf(jc->url, sizeof(jc->url), "%s", loc);
    else
        n = snprintf(jc->url, sizeof(jc->url), "ws://%s", loc);
    if (n < 0 || (size_t)n >= sizeof(jc->url))
        return TL_ERR_PARSE;
    /* Trailing whitespace typed by a user. */
    size_t len = strlen(jc->url);
    while (len && isspace((unsigned char)jc->url[len - 1]))
        jc->url[--len] = '\0';
    return valid_url(jc->url) ? TL_OK : TL_ERR_PARSE;
}

int tl_joincode_decode(const char *text, tl_joincode *out, uint8_t rnd[TL_JOINCODE_RANDOM_LEN])
{
    if (!text || !out)
        return TL_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    while (isspace((unsigned char)*text))
        text++;
    const char *at = strchr(text, '@');
    size_t body_len = at ? (size_t)(at - text) : strlen(text);
    if (at && parse_location(at + 1, out) != TL_OK)
        return TL_ERR_PARSE;

    /* Group number: exactly six digits. */
    const char *p = text, *end = text + body_len;
    uint32_t group = 0;
    for (int i = 0; i < 6; i++, p++) {
        if (p >= end || !isdigit((unsigned char)*p))
            return TL_ERR_PARSE;
        group = group * 10 + (uint32_t)(*p - '0');
    }
    uint64_t v = 0;
    int words = 0;
    while (p < end) {
        while (p < end && (*p == '-' || *p == ' ' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        const char *w = p;
        while (p < end && isalnum((unsigned char)*p))
            p++;
        if (p < end && *p != '-' && *p != ' ' && *p != '\t')
            return TL_ERR_PARSE;
        if (words == NWORDS_IN_CODE && !out->has_sender) {
            /* A long code: the commitment to the sender follows the words. */
            if (tl_sender_commit_decode(w, (size_t)(p - w), out->sender) != TL_OK)
                return TL_ERR_PARSE;
            out->has_sender = 1;
            continue;
        }
        int idx = tl_joincode_word_index(w, (size_t)(p - w));
        if (idx < 0 || words == NWORDS_IN_CODE)
            return TL_ERR_PARSE;
        v = (v << 10) | (uint64_t)idx;
        words++;
    }
    if (words != NWORDS_IN_CODE)
        return TL_ERR_PARSE;
    for (int i = 0; i < TL_JOINCODE_RANDOM_LEN; i++)
        rnd[i] = (uint8_t)(v >> (8 * (TL_JOINCODE_RANDOM_LEN - 1 - i)));
    OPENSSL_cleanse(&v, sizeof(v));
    out->group = group;
    return TL_OK;
}

int tl_joincode_parse(const char *text, tl_joincode *out)
{
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    int rc = tl_joincode_decode(text, out, rnd);
    if (rc != TL_OK) {
        OPENSSL_cleanse(rnd, sizeof(rnd));
        return rc;
    }
    rc = tl_joincode_derive(out->group, rnd, out->proof, out->secret);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    if (rc != TL_OK)
        tl_joincode_wipe(out);
    return rc;
}

void tl_joincode_wipe(tl_joincode *jc)
{
    if (jc)
        OPENSSL_cleanse(jc, sizeof(*jc));
}
