/* Fake crypto for transfer tests (see fake_crypto.h). */
#include "transfer/fake_crypto.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

typedef struct fhs {
    int role, step, done;
    uint8_t code[32];
    uint8_t n1[16], n2[16];
} fhs;

typedef struct fkey {
    uint8_t key[32], tid[16];
} fkey;

static void h256(const void *a, size_t al, const void *b, size_t bl, const void *c, size_t cl,
                 uint8_t out[32])
{
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    unsigned n;
    EVP_DigestInit_ex(x, EVP_sha256(), NULL);
    EVP_DigestUpdate(x, a, al);
    EVP_DigestUpdate(x, b, bl);
    EVP_DigestUpdate(x, c, cl);
    EVP_DigestFinal_ex(x, out, &n);
    EVP_MD_CTX_free(x);
}

static uint64_t counter;

static int hs_new(void **out, const tl_hs_config *cfg)
{
    fhs *h = calloc(1, sizeof(*h));
    if (!h)
        return TL_ERR_NOMEM;
    h->role = cfg->role;
    if (cfg->code_secret)
        h256(cfg->code_secret, cfg->code_secret_len, "", 0, "", 0, h->code);
    *out = h;
    return TL_OK;
}
static void hs_free(void *h)
{
    free(h);
}
static void nonce(uint8_t n[16])
{
    counter++;
    memset(n, 0, 16);
    memcpy(n, &counter, sizeof(counter));
}
static void confirm(const fhs *h, const char *label, uint8_t out[32])
{
    uint8_t t[32];
    h256(h->n1, 16, h->n2, 16, h->code, 32, t);
    h256(label, strlen(label), t, 32, "", 0, out);
}
static int hs_start(void *hv, uint8_t *out, size_t cap, size_t *len)
{
    fhs *h = hv;
    if (h->role != TL_HS_INITIATOR || h->step != 0 || cap < 17)
        return TL_ERR_STATE;
    nonce(h->n1);
    out[0] = 'A';
    memcpy(out + 1, h->n1, 16);
    *len = 17;
    h->step = 1;
    return TL_OK;
}
static int hs_recv(void *hv, const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    fhs *h = hv;
    uint8_t c[32];
    *len = 0;
    if (h->role == TL_HS_RESPONDER && h->step == 0) {
        if (n != 17 || in[0] != 'A' || cap < 49)
            return TL_ERR_PARSE;
        memcpy(h->n1, in + 1, 16);
        nonce(h->n2);
        out[0] = 'B';
        memcpy(out + 1, h->n2, 16);
        confirm(h, "resp", out + 17);
        *len = 49;
        h->step = 1;
        return TL_OK;
    }
    if (h->role == TL_HS_INITIATOR && h->step == 1) {
        if (n != 49 || in[0] != 'B' || cap < 33)
            return TL_ERR_PARSE;
        memcpy(h->n2, in + 1, 16);
        confirm(h, "resp", c);
        if (memcmp(c, in + 17, 32) != 0)
            return TL_ERR_AUTH;
        out[0] = 'C';
        confirm(h, "init", out + 1);
        *len = 33;
        h->step = 2;
        h->done = 1;
        return TL_OK;
    }
    if (h->role == TL_HS_RESPONDER && h->step == 1) {
        if (n != 33 || in[0] != 'C')
            return TL_ERR_PARSE;
        confirm(h, "init", c);
        if (memcmp(c, in + 1, 32) != 0)
            return TL_ERR_AUTH;
        h->step = 2;
        h->done = 1;
        return TL_OK;
    }
    return TL_ERR_STATE;
}
static int hs_is_done(const void *h)
{
    return ((const fhs *)h)->done;
}
static int hs_sas(const void *hv, char out[TL_HS_SAS_LEN])
{
    const fhs *h = hv;
    uint8_t t[32];
    confirm(h, "sas", t);
    unsigned v = ((unsigned)t[0] << 16 | (unsigned)t[1] << 8 | t[2]) % 1000000u;
    out[0] = (char)('0' + v / 100000);
    out[1] = (char)('0' + v / 10000 % 10);
    out[2] = (char)('0' + v / 1000 % 10);
    out[3] = ' ';
    out[4] = (char)('0' + v / 100 % 10);
    out[5] = (char)('0' + v / 10 % 10);
    out[6] = (char)('0' + v % 10);
    out[7] = '\0';
    return h->done ? TL_OK : TL_ERR_STATE;
}
static int hs_keys(const void *hv, tl_session_keys *k)
{
    const fhs *h = hv;
    uint8_t a[32], b[32];
    confirm(h, "i2r", a);
    confirm(h, "r2i", b);
    memcpy(h->role == TL_HS_INITIATOR ? k->send : k->recv, a, 32);
    memcpy(h->role == TL_HS_INITIATOR ? k->recv : k->send, b, 32);
    return TL_OK;
}
static int key_new(void **out, const uint8_t key[32], const uint8_t tid[16])
{
    fkey *k = calloc(1, sizeof(*k));
    if (!k)
        return TL_ERR_NOMEM;
    memcpy(k->key, key, 32);
    memcpy(k->tid, tid, 16);
    *out = k;
    return TL_OK;
}
static int sealer_new(void **s, const uint8_t key[32], const uint8_t tid[16], uint64_t now)
{
    (void)now;
    return key_new(s, key, tid);
}
static void key_free(void *k)
{
    free(k);
}
static void tag(const fkey *k, const uint8_t *hdr, const uint8_t *p, size_t n, uint8_t t[32])
{
    uint8_t kt[48];
    memcpy(kt, k->key, 32);
    memcpy(kt + 32, k->tid, 16);
    h256(kt, 48, hdr, 14, p, n, t);
}
static int seal(void *sv, uint64_t now, uint64_t index, int final, const uint8_t *plain, size_t len,
                uint8_t *out, size_t *out_len)
{
    (void)now;
    uint8_t t[32];
    if (len > TL_CHUNK_MAX_PLAIN)
        return TL_ERR_TOO_BIG;
    out[0] = 1;
    out[1] = final ? 1 : 0;
    memset(out + 2, 0, 4);
    for (int i = 0; i < 8; i++)
        out[6 + i] = (uint8_t)(index >> (56 - 8 * i));
    memmove(out + 14, plain, len);
    tag(sv, out, out + 14, len, t);
    memcpy(out + 14 + len, t, 16);
    *out_len = len + 30;
    return TL_OK;
}
static int open_frame(void *ov, uint64_t expected, const uint8_t *f, size_t n, uint8_t *out,
                      size_t *out_len, int *final)
{
    uint8_t t[32];
    if (n < 30 || f[0] != 1)
        return TL_ERR_PARSE;
    uint64_t idx = 0;
    for (int i = 0; i < 8; i++)
        idx = idx << 8 | f[6 + i];
    if (idx != expected)
        return TL_ERR_REPLAY;
    tag(ov, f, f + 14, n - 30, t);
    if (memcmp(t, f + n - 16, 16) != 0)
        return TL_ERR_AUTH;
    memcpy(out, f + 14, n - 30);
    *out_len = n - 30;
    *final = f[1] & 1;
    return TL_OK;
}

static const tl_xfer_crypto fake = {
    .hs_new = hs_new,
    .hs_free = hs_free,
    .hs_start = hs_start,
    .hs_recv = hs_recv,
    .hs_is_done = hs_is_done,
    .hs_sas = hs_sas,
    .hs_session_keys = hs_keys,
    .sealer_new = sealer_new,
    .sealer_free = key_free,
    .seal = seal,
    .opener_new = key_new,
    .opener_free = key_free,
    .open = open_frame,
};

const tl_xfer_crypto *fake_crypto(void)
{
    return &fake;
}
