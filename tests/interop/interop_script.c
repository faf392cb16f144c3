/* See interop_script.h. */
#include "interop/interop_script.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

typedef struct rng {
    uint32_t x;
} rng;

static uint32_t rng_next(rng *r)
{
    uint32_t x = r->x;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->x = x;
    return x;
}

size_t script_count(void)
{
    return 5 + SCRIPT_BURST;
}

static const char *const tokens[] = {
    "a", "b", "Z", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\n", "0"};
#define N_TOKENS (sizeof tokens / sizeof tokens[0])

static void fill_text(rng *r, uint8_t *out, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *t = tokens[rng_next(r) % N_TOKENS];
        size_t tl = strlen(t);
        if (tl > len - pos) {
            t = "a";
            tl = 1;
        }
        memcpy(out + pos, t, tl);
        pos += tl;
    }
}

static void fill_binary(rng *r, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(rng_next(r) & 0xff);
}

int script_message(uint32_t seed, size_t i, script_msg *m)
{
    rng r = {(seed ^ ((uint32_t)i * 0x9E3779B1u)) | 1u};
    memset(m, 0, sizeof *m);
    if (i >= script_count())
        return -1;
    if (i == 0) {
        static const char hex[] = "0123456789abcdef";
        static const char prefix[] = "hello from ";
        m->text = 1;
        m->len = sizeof prefix - 1 + 8;
        m->data = malloc(m->len);
        if (!m->data)
            return -1;
        memcpy(m->data, prefix, sizeof prefix - 1);
        for (int k = 0; k < 8; k++)
            m->data[sizeof prefix - 1 + (size_t)k] = (uint8_t)hex[(seed >> (28 - 4 * k)) & 15];
        return 0;
    }
    if (i <= 4) {
        m->text = (i == 2 || i == 4);
        m->len = i <= 2 ? SCRIPT_BIG : 0;
    } else {
        size_t k = i - 5;
        m->text = (int)(k & 1);
        if (k % 97 == 0)
            m->len = 0;
        else if (k % 250 == 249)
            m->len = 65536;
        else
            m->len = rng_next(&r) % 1500 + 1;
    }
    if (m->len == 0)
        return 0;
    m->data = malloc(m->len);
    if (!m->data)
        return -1;
    if (m->text)
        fill_text(&r, m->data, m->len);
    else
        fill_binary(&r, m->data, m->len);
    return 0;
}

void script_msg_free(script_msg *m)
{
    free(m->data);
    m->data = NULL;
    m->len = 0;
}

int script_hash_init(script_hash *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    h->ctx = c;
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->ctx = NULL;
        return -1;
    }
    return 0;
}

void script_hash_update(script_hash *h, int text, const uint8_t *data, size_t len)
{
    uint8_t hdr[5] = {text ? 't' : 'b', (uint8_t)(len >> 24), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 8), (uint8_t)len};
    if (!h->ctx)
        return;
    EVP_DigestUpdate(h->ctx, hdr, sizeof hdr);
    if (len)
        EVP_DigestUpdate(h->ctx, data, len);
}

int script_hash_final(script_hash *h, char hex[SCRIPT_HASH_HEX])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t md[32];
    unsigned mdlen = 0;
    int ok = h->ctx && EVP_DigestFinal_ex(h->ctx, md, &mdlen) == 1 && mdlen == sizeof md;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    if (!ok)
        return -1;
    if (hex) {
        for (size_t i = 0; i < sizeof md; i++) {
            hex[2 * i] = digits[md[i] >> 4];
            hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[64] = '\0';
    }
    return 0;
}
