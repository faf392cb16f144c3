/* Join codes: text <-> (group, 50 random bits, location), HKDF derivations. */
#include "signal/joincode.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/uri.h"
#include "signal/proto.h"
#include "tallow/crypto.h"

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

/* A code's location: ws[s]://HOST:PORT (the one URL parser, with an explicit
 * port and no path), in the few characters a code may carry. */
static int valid_url(const char *url)
{
    const char *p = !strncmp(url, "ws://", 5)    ? url + 5
                    : !strncmp(url, "wss://", 6) ? url + 6
                                                 : NULL;
    size_t n = p ? strlen(p) : 0;
    if (n < 3 || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr(".-:[]_", p[i]))
            return 0;
    tl_uri u;
    int ok = !tl_uri_parse(&u, TL_URI_WS, url, NULL) && u.port_given && !strcmp(u.path, "/");
    tl_uri_wipe(&u);
    return ok;
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

/* HKDF-SHA256 with the join-code salt, through crypto.h. */
static int hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t out[32])
{
    static const char salt[] = "tallow joincode v1";
    uint8_t prk[TL_SHA256_LEN];
    int rc = tl_hkdf_extract(prk, (const uint8_t *)salt, sizeof(salt) - 1, ikm, ikm_len);
    if (rc == TL_OK)
        rc = tl_hkdf_expand(out, 32, prk, sizeof(prk), (const uint8_t *)info, strlen(info));
    tl_wipe(prk, sizeof(prk));
    return rc;
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
    tl_wipe(ikm, sizeof(ikm));
    tl_wipe(&v, sizeof(v));
    tl_wipe(&pw, sizeof(pw));
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
    while (body_len && isspace((unsigned char)text[body_len - 1])) /* "…-actor\n" */
        body_len--;
    if (at && parse_location(at + 1, out) != TL_OK)
        return TL_ERR_PARSE;

    /* Group number: exactly six digits. */
    const char *p = text, *end = text + body_len;
    uint32_t group = 0;
    if (!tl_sig_group_parse_n(p, body_len < 6 ? body_len : 6, &group))
        return TL_ERR_PARSE;
    p += 6;
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
    tl_wipe(&v, sizeof(v));
    out->group = group;
    return TL_OK;
}

int tl_joincode_parse(const char *text, tl_joincode *out)
{
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    int rc = tl_joincode_decode(text, out, rnd);
    if (rc != TL_OK) {
        tl_wipe(rnd, sizeof(rnd));
        return rc;
    }
    rc = tl_joincode_derive(out->group, rnd, out->proof, out->secret);
    tl_wipe(rnd, sizeof(rnd));
    if (rc != TL_OK)
        tl_joincode_wipe(out);
    return rc;
}

void tl_joincode_wipe(tl_joincode *jc)
{
    if (jc)
        tl_wipe(jc, sizeof(*jc));
}

/* Optimal-string-alignment distance (edits: insert, delete, substitute,
 * swap two neighbours) between a and b, lower case; both at most 16 bytes. */
static int word_distance(const char *a, size_t al, const char *b, size_t bl)
{
    int d[17][17];
    for (size_t i = 0; i <= al; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= bl; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= al; i++) {
        for (size_t j = 1; j <= bl; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == b[j - 2] &&
                tolower((unsigned char)a[i - 2]) == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[al][bl];
}

size_t tl_joincode_suggest(const char *w, size_t len, int *out, size_t max)
{
    if (!w || !len || len > 16 || !out || !max)
        return 0;
    int best = 3; /* only words at most two edits away */
    size_t n = 0;
    for (int i = 0; i < TL_JOINCODE_NWORDS; i++) {
        const char *c = tl_joincode_words[i];
        size_t cl = strlen(c);
        int dist = word_distance(w, len, c, cl);
        /* A word typed only in part is one edit from every word it begins. */
        if (len >= 2 && len < cl && dist > 1) {
            size_t k = 0;
            while (k < len && tolower((unsigned char)w[k]) == c[k])
                k++;
            if (k == len)
                dist = 1;
        }
        if (dist > best)
            continue;
        if (dist < best) {
            best = dist;
            n = 0;
        }
        if (n < max)
            out[n++] = i;
    }
    return n;
}

int tl_joincode_explain(const char *text, char *msg, size_t cap)
{
    if (!text || !msg || !cap)
        return TL_ERR_INVALID_ARG;
    msg[0] = '\0';
    while (isspace((unsigned char)*text))
        text++;
    const char *at = strchr(text, '@');
    const char *end = at ? at : text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1]))
        end--;
    if (text == end) {
        snprintf(msg, cap, "no join code given");
        return TL_ERR_PARSE;
    }
    const char *p = text;
    int digits = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (digits != 6 || (p < end && *p != '-' && *p != ' ' && *p != '\t')) {
        snprintf(msg, cap, "a join code starts with the 6-digit group number (like 123456-word-…)");
        return TL_ERR_PARSE;
    }
    int words = 0;
    while (p < end) {
        while (p < end && (*p == '-' || *p == ' ' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        const char *w = p;
        while (p < end && *p != '-' && *p != ' ' && *p != '\t')
            p++;
        size_t wl = (size_t)(p - w);
        int alpha = 1;
        for (size_t i = 0; i < wl; i++)
            alpha &= isalpha((unsigned char)w[i]) != 0;
        /* A long code: the commitment to the sender follows the words. */
        uint8_t commit[TL_JOINCODE_SENDER_LEN];
        if (words == NWORDS_IN_CODE && tl_sender_commit_decode(w, wl, commit) == TL_OK)
            continue;
        words++;
        if (alpha && tl_joincode_word_index(w, wl) >= 0)
            continue;
        /* Shown back to the user who typed it: printable ASCII only. */
        char shown[20];
        size_t k = 0;
        for (size_t i = 0; i < wl && k + 1 < sizeof(shown); i++)
            shown[k++] = isprint((unsigned char)w[i]) ? w[i] : '?';
        shown[k] = '\0';
        int near[4];
        size_t nn = alpha ? tl_joincode_suggest(w, wl, near, 4) : 0;
        int n = snprintf(msg, cap, "'%s%s' is not a code word", shown, k < wl ? "…" : "");
        for (size_t i = 0; i < nn && n >= 0 && (size_t)n < cap; i++)
            n += snprintf(msg + n, cap - (size_t)n, "%s%s", i ? ", " : ": did you mean ",
                          tl_joincode_words[near[i]]);
        if (nn && n >= 0 && (size_t)n < cap)
            snprintf(msg + n, cap - (size_t)n, "?");
        return TL_ERR_PARSE;
    }
    if (words != NWORDS_IN_CODE) {
        snprintf(msg, cap, "a join code has %d words after the group number, this one has %d",
                 NWORDS_IN_CODE, words);
        return TL_ERR_PARSE;
    }
    tl_joincode jc;
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    int rc = tl_joincode_decode(text, &jc, rnd);
    tl_wipe(rnd, sizeof(rnd));
    tl_joincode_wipe(&jc);
    if (rc != TL_OK) {
        snprintf(msg, cap,
                 "the server location after '@' is not host:port, ws://host:port or "
                 "wss://host:port");
        return TL_ERR_PARSE;
    }
    return TL_OK;
}
