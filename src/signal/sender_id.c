/* The sender's identity as people see it (docs/CRYPTO.md §3, "Sender
 * identity"): six code words (the group fingerprint, 60 bits of the identity
 * hash, compared by eye) and a 32-character base32 commitment (160 bits)
 * carried by a long code or a link. Pure functions, no I/O. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "signal/joincode.h"

static const char k_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Bits [at, at + n) of id, most significant first (n <= 16). */
static unsigned id_bits(const uint8_t *id, unsigned at, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned b = at + i;
        v = v << 1 | (unsigned)((id[b / 8] >> (7 - b % 8)) & 1u);
    }
    return v;
}

static void set_bits(uint8_t *out, unsigned at, unsigned n, unsigned v)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned b = at + i;
        if ((v >> (n - 1 - i)) & 1u)
            out[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    }
}

int tl_sender_fingerprint(const uint8_t id[32], char *out, size_t cap)
{
    size_t used = 0;
    if (!id || !out || !cap)
        return TL_ERR_INVALID_ARG;
    out[0] = '\0';
    for (unsigned w = 0; w < TL_SENDER_FP_WORDS; w++) {
        const char *word = tl_joincode_words[id_bits(id, 10 * w, 10)];
        int n = snprintf(out + used, cap - used, "%s%s", w ? " " : "", word);
        if (n < 0 || (size_t)n >= cap - used)
            return TL_ERR_TOO_BIG;
        used += (size_t)n;
    }
    return TL_OK;
}

int tl_sender_fingerprint_parse(const char *text, uint8_t out[32])
{
    if (!text || !out)
        return TL_ERR_INVALID_ARG;
    memset(out, 0, 32);
    unsigned words = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '-' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (isalpha((unsigned char)*p))
            p++;
        if (*p && *p != ' ' && *p != '-' && *p != '\t' && *p != ',')
            return TL_ERR_PARSE;
        int idx = tl_joincode_word_index(w, (size_t)(p - w));
        if (idx < 0 || words == TL_SENDER_FP_WORDS)
            return TL_ERR_PARSE;
        set_bits(out, 10 * words, 10, (unsigned)idx);
        words++;
    }
    return words == TL_SENDER_FP_WORDS ? TL_OK : TL_ERR_PARSE;
}

void tl_sender_commit_encode(const uint8_t id[32], char out[TL_SENDER_COMMIT_CHARS + 1])
{
    for (unsigned i = 0; i < TL_SENDER_COMMIT_CHARS; i++)
        out[i] = k_b32[id_bits(id, 5 * i, 5)];
    out[TL_SENDER_COMMIT_CHARS] = '\0';
}

int tl_sender_commit_decode(const char *s, size_t len, uint8_t out[TL_JOINCODE_SENDER_LEN])
{
    if (len != TL_SENDER_COMMIT_CHARS)
        return TL_ERR_PARSE;
    memset(out, 0, TL_JOINCODE_SENDER_LEN);
    for (unsigned i = 0; i < TL_SENDER_COMMIT_CHARS; i++) {
        const char *c = strchr(k_b32, tolower((unsigned char)s[i]));
        if (!c || !*c)
            return TL_ERR_PARSE;
        set_bits(out, 5 * i, 5, (unsigned)(c - k_b32));
    }
    return TL_OK;
}

int tl_joincode_long(const char *code, const uint8_t id[32], char *out, size_t cap)
{
    char commit[TL_SENDER_COMMIT_CHARS + 1];
    const char *at = strchr(code, '@');
    int body = at ? (int)(at - code) : (int)strlen(code);
    tl_sender_commit_encode(id, commit);
    int n = snprintf(out, cap, "%.*s-%s%s", body, code, commit, at ? at : "");
    return n < 0 || (size_t)n >= cap ? TL_ERR_TOO_BIG : TL_OK;
}
