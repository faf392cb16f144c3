/* Signaling message parsing, validation and building (sans-I/O). */
#include "signal/proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "tallow/crypto.h"

static const char *const type_names[TL_SIG_TYPE_COUNT] = {
    [TL_SIG_NONE] = "",
    [TL_SIG_REGISTER] = "register",
    [TL_SIG_CREATE_GROUP] = "create-group",
    [TL_SIG_INVITE] = "invite",
    [TL_SIG_JOIN] = "join",
    [TL_SIG_MEMBERS] = "members",
    [TL_SIG_OFFER] = "offer",
    [TL_SIG_ANSWER] = "answer",
    [TL_SIG_CANDIDATE] = "candidate",
    [TL_SIG_EOC] = "end-of-candidates",
    [TL_SIG_ICE_RESTART] = "ice-restart",
    [TL_SIG_LEAVE] = "leave",
    [TL_SIG_PING] = "ping",
    [TL_SIG_PONG] = "pong",
};

static const char *const err_codes[TL_SIGE_COUNT] = {
    [TL_SIGE_OK] = "ok",
    [TL_SIGE_BAD_JSON] = "bad-json",
    [TL_SIGE_UNKNOWN_TYPE] = "unknown-type",
    [TL_SIGE_MISSING_FIELD] = "missing-field",
    [TL_SIGE_BAD_FIELD] = "bad-field",
    [TL_SIGE_FIELD_TOO_BIG] = "field-too-big",
    [TL_SIGE_TOO_BIG] = "too-big",
    [TL_SIGE_VERSION] = "unsupported-version",
    [TL_SIGE_RATE_LIMITED] = "rate-limited",
    [TL_SIGE_NOT_REGISTERED] = "not-registered",
    [TL_SIGE_ALREADY_REG] = "already-registered",
    [TL_SIGE_NOT_MEMBER] = "not-member",
    [TL_SIGE_NO_SUCH_PEER] = "no-such-peer",
    [TL_SIGE_PEER_OFFLINE] = "peer-offline",
    [TL_SIGE_GROUP_FULL] = "group-full",
    [TL_SIGE_BAD_CODE] = "bad-code",
    [TL_SIGE_JOIN_LIMITED] = "join-rate-limited",
    [TL_SIGE_NAME_TAKEN] = "name-taken",
    [TL_SIGE_NO_SUCH_DEVICE] = "no-such-device",
    [TL_SIGE_NO_SUCH_INVITE] = "no-such-invite",
    [TL_SIGE_GROUP_EXISTS] = "group-exists",
    [TL_SIGE_NOT_CREATOR] = "not-creator",
    [TL_SIGE_TOO_MANY_GROUPS] = "too-many-groups",
    [TL_SIGE_INTERNAL] = "internal",
    [TL_SIGE_UNAVAILABLE] = "unavailable",
};

const char *tl_sig_type_name(tl_sig_type t)
{
    return (unsigned)t < TL_SIG_TYPE_COUNT ? type_names[t] : "";
}

const char *tl_sig_err_code(tl_sig_err e)
{
    return (unsigned)e < TL_SIGE_COUNT ? err_codes[e] : "internal";
}

int tl_sig_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > TL_SIG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int tl_sig_valid_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

void tl_sig_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_val(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

int tl_sig_hex_decode(const char *s, uint8_t *out, size_t n)
{
    if (!tl_sig_valid_hex(s, 2 * n))
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
    return 0;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long tl_sig_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap)
{
    if (in_len % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            if (c == '=' && i + 4 == in_len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad)
                return -1; /* data after padding */
            v[k] = b64_val(c);
            if (v[k] < 0)
                return -1;
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        size_t nb = 3 - (size_t)pad;
        if (o + nb > cap)
            return -1;
        for (size_t k = 0; k < nb; k++)
            out[o++] = (uint8_t)(w >> (16 - 8 * k));
    }
    return (long)o;
}

long tl_sig_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = 4 * ((len + 2) / 3) + 1;
    if (cap < need)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            w |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            w |= in[i + 2];
        out[o++] = tab[(w >> 18) & 63];
        out[o++] = tab[(w >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(w >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[w & 63] : '=';
    }
    out[o] = '\0';
    return (long)o;
}

int tl_sig_valid_ice_url(const char *url)
{
    if (!url || (strncmp(url, "stun:", 5) != 0 && strncmp(url, "turn:", 5) != 0))
        return 0;
    size_t n = strlen(url);
    if (n < 6 || n > 260)
        return 0;
    for (size_t i = 5; i < n; i++) {
        unsigned char ch = (unsigned char)url[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            return 0;
    }
    return 1;
}

int tl_sig_valid_text(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

static const char *ice_str(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) && it->valuestring ? it->valuestring : NULL;
}

void tl_sig_ice_servers_clear(tl_ice_server *servers, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_free((char *)servers[i].url);
        g_free((char *)servers[i].username);
        if (servers[i].credential) {
            tl_wipe((char *)servers[i].credential, strlen(servers[i].credential));
            g_free((char *)servers[i].credential);
        }
        memset(&servers[i], 0, sizeof(servers[i]));
    }
}

size_t tl_sig_ice_servers_take(const cJSON *registered, tl_ice_server out[TL_SIGNAL_MAX_ICE])
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(registered, "ice_servers");
    size_t n = 0;
    memset(out, 0, TL_SIGNAL_MAX_ICE * sizeof(*out));
    if (!cJSON_IsArray(arr))
        return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (n == TL_SIGNAL_MAX_ICE)
            break;
        const char *url = ice_str(it, "urls");
        const char *user = ice_str(it, "username"), *cred = ice_str(it, "credential");
        if (!url || !tl_sig_valid_ice_url(url))
            continue;
        int turn = !strncmp(url, "turn:", 5);
        if (turn && (!tl_sig_valid_text(user, 255) || !tl_sig_valid_text(cred, 255)))
            continue;
        out[n].url = g_strdup(url);
        out[n].username = turn ? g_strdup(user) : NULL;
        out[n].credential = turn ? g_strdup(cred) : NULL;
        n++;
    }
    return n;
}

int tl_sig_turn_credential(const char *secret, uint64_t expiry, const char *peer, char *user,
                           size_t ucap, char *cred, size_t ccap)
{
    int n = snprintf(user, ucap, "%llu:%s", (unsigned long long)expiry, peer ? peer : "");
    if (!secret || n < 0 || (size_t)n >= ucap)
        return -1;
    uint8_t mac[20];
    int rc = tl_hmac_sha1(mac, (const uint8_t *)secret, strlen(secret), user, (size_t)n);
    long len = rc == TL_OK ? tl_sig_b64_encode(mac, sizeof(mac), cred, ccap) : -1;
    tl_wipe(mac, sizeof(mac));
    return len < 0 ? -1 : 0;
}

void tl_sig_group_str(uint32_t group, char out[8])
{
    /* "%06u" of group % 1000000, without printf (once per relay) */
    group %= 1000000u;
    for (int i = 5; i >= 0; i--) {
        out[i] = (char)('0' + group % 10);
        group /= 10;
    }
    out[6] = '\0';
}

/* ------------------------------------------------------------ field access */

typedef struct {
    tl_sig_msg *m;
    const char **field;
} ctx;

static tl_sig_err fail(ctx *c, tl_sig_err e, const char *name)
{
    *c->field = name;
    return e;
}

/* A string field; *out NULL when absent and optional. */
static tl_sig_err get_str(ctx *c, const char *name, int required, size_t max, const char **out)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(c->m->root, name);
    *out = NULL;
    if (!it)
        return required ? fail(c, TL_SIGE_MISSING_FIELD, name) : TL_SIGE_OK;
    if (!cJSON_IsString(it) || !it->valuestring)
        return fail(c, TL_SIGE_BAD_FIELD, name);
    if (strlen(it->valuestring) > max)
        return fail(c, TL_SIGE_FIELD_TOO_BIG, name);
    *out = it->valuestring;
    return TL_SIGE_OK;
}

static tl_sig_err get_hex(ctx *c, const char *name, int required, size_t len, char *dst)
{
    const char *s;
    tl_sig_err e = get_str(c, name, required, 256, &s);
    if (e || !s)
        return e;
    if (!tl_sig_valid_hex(s, len))
        return fail(c, TL_SIGE_BAD_FIELD, name);
    memcpy(dst, s, len + 1);
    return TL_SIGE_OK;
}

static tl_sig_err get_group(ctx *c, int required)
{
    const char *s;
    tl_sig_err e = get_str(c, "group", required, 64, &s);
    if (e || !s)
        return e;
    if (strlen(s) != 6)
        return fail(c, TL_SIGE_BAD_FIELD, "group");
    uint32_t g = 0;
    for (int i = 0; i < 6; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(c, TL_SIGE_BAD_FIELD, "group");
        g = g * 10 + (uint32_t)(s[i] - '0');
    }
    c->m->group = g;
    return TL_SIGE_OK;
}

static tl_sig_err get_uint(ctx *c, const char *name, double maxv, int64_t *out, int *present)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(c->m->root, name);
    *present = 0;
    if (!it)
        return TL_SIGE_OK;
    if (!cJSON_IsNumber(it))
        return fail(c, TL_SIGE_BAD_FIELD, name);
    double d = it->valuedouble;
    if (!(d >= 0 && d <= maxv) || floor(d) != d)
        return fail(c, TL_SIGE_BAD_FIELD, name);
    *out = (int64_t)d;
    *present = 1;
    return TL_SIGE_OK;
}

static tl_sig_err get_proof(ctx *c, const char *name, int required)
{
    const char *s;
    tl_sig_err e = get_str(c, name, required, 64, &s);
    if (e || !s)
        return e;
    if (tl_sig_b64_decode(s, strlen(s), c->m->proof, sizeof(c->m->proof)) != TL_SIG_PROOF_LEN)
        return fail(c, TL_SIGE_BAD_FIELD, name);
    c->m->has_proof = 1;
    return TL_SIGE_OK;
}

/* ------------------------------------------------------------ per type */

static tl_sig_err parse_register(ctx *c)
{
    tl_sig_msg *m = c->m;
    int64_t v = TL_SIG_VERSION;
    int has_v;
    tl_sig_err e = get_uint(c, "v", 1e6, &v, &has_v);
    if (e)
        return e;
    if (has_v && v != TL_SIG_VERSION)
        return fail(c, TL_SIGE_VERSION, "v");
    const char *name;
    if ((e = get_str(c, "name", 0, TL_SIG_NAME_MAX, &name)))
        return e;
    if (name) {
        if (!tl_sig_valid_name(name))
            return fail(c, TL_SIGE_BAD_FIELD, "name");
        memcpy(m->name, name, strlen(name) + 1);
    }
    if ((e = get_hex(c, "peer", 0, TL_SIG_ID_LEN, m->peer)))
        return e;
    if ((e = get_hex(c, "token", m->peer[0] != '\0', TL_SIG_TOKEN_LEN, m->token)))
        return e;
    if (m->token[0] && !m->peer[0])
        return fail(c, TL_SIGE_MISSING_FIELD, "peer");
    return TL_SIGE_OK;
}

static tl_sig_err parse_create(ctx *c)
{
    int64_t max = 0;
    int has;
    tl_sig_err e = get_uint(c, "max", 100000, &max, &has);
    if (e)
        return e;
    c->m->max = (uint32_t)max;
    if ((e = get_group(c, 0)))
        return e;
    return get_proof(c, "verifier", 1);
}

static tl_sig_err parse_invite(ctx *c)
{
    tl_sig_err e = get_group(c, 1);
    if (e)
        return e;
    const char *name;
    if ((e = get_str(c, "name", 1, TL_SIG_NAME_MAX, &name)))
        return e;
    if (!tl_sig_valid_name(name))
        return fail(c, TL_SIGE_BAD_FIELD, "name");
    memcpy(c->m->name, name, strlen(name) + 1);
    if ((e = get_str(c, "blob", 0, TL_SIG_BLOB_MAX, &c->m->blob)))
        return e;
    if (c->m->blob) {
        uint8_t tmp[TL_SIG_BLOB_MAX];
        if (tl_sig_b64_decode(c->m->blob, strlen(c->m->blob), tmp, sizeof(tmp)) < 0)
            return fail(c, TL_SIGE_BAD_FIELD, "blob");
    }
    return TL_SIGE_OK;
}

static tl_sig_err parse_join(ctx *c)
{
    tl_sig_err e = get_hex(c, "invite", 0, TL_SIG_INVITE_LEN, c->m->invite);
    if (e)
        return e;
    if (c->m->invite[0])
        return TL_SIGE_OK;
    if ((e = get_group(c, 1)))
        return e;
    return get_proof(c, "proof", 1);
}

static tl_sig_err parse_relay(ctx *c)
{
    tl_sig_msg *m = c->m;
    tl_sig_err e = get_group(c, 1);
    if (e || (e = get_hex(c, "to", 1, TL_SIG_ID_LEN, m->to)))
        return e;
    switch (m->type) {
    case TL_SIG_OFFER:
    case TL_SIG_ANSWER:
        return get_str(c, "sdp", 1, TL_SIG_SDP_MAX, &m->sdp);
    case TL_SIG_ICE_RESTART:
        return get_str(c, "sdp", 0, TL_SIG_SDP_MAX, &m->sdp);
    case TL_SIG_CANDIDATE:
        if ((e = get_str(c, "candidate", 1, TL_SIG_CAND_MAX, &m->candidate)))
            return e;
        return get_str(c, "mid", 0, TL_SIG_MID_MAX, &m->mid);
    default:
        return TL_SIGE_OK;
    }
}

static tl_sig_err parse_body(ctx *c)
{
    switch (c->m->type) {
    case TL_SIG_REGISTER:
        return parse_register(c);
    case TL_SIG_CREATE_GROUP:
        return parse_create(c);
    case TL_SIG_INVITE:
        return parse_invite(c);
    case TL_SIG_JOIN:
        return parse_join(c);
    case TL_SIG_MEMBERS:
    case TL_SIG_LEAVE:
        return get_group(c, 1);
    case TL_SIG_OFFER:
    case TL_SIG_ANSWER:
    case TL_SIG_CANDIDATE:
    case TL_SIG_EOC:
    case TL_SIG_ICE_RESTART:
        return parse_relay(c);
    case TL_SIG_PING:
    case TL_SIG_PONG:
        return TL_SIGE_OK;
    default:
        return fail(c, TL_SIGE_UNKNOWN_TYPE, "type");
    }
}

void tl_sig_msg_clear(tl_sig_msg *m)
{
    if (m->root)
        cJSON_Delete(m->root);
    free(m->own);
    memset(m, 0, sizeof(*m));
    m->group = TL_SIG_GROUP_NONE;
}

/* ------------------------------------------------------------ fast relay path
 *
 * The relay is nearly all of a server's traffic. This scanner reads a relay
 * without a cJSON tree (cJSON costs two dozen allocations per message). It
 * accepts a subset of what the cJSON path accepts and then must agree with
 * it exactly; it returns 0 ("use cJSON") on anything else, including every
 * message the cJSON path would reject, so errors always come from there. */

typedef struct fstr {
    const char *p; /* between the quotes */
    size_t len;    /* as received */
    size_t dlen;   /* decoded */
    int esc;       /* has escapes */
} fstr;

enum { K_TYPE, K_GROUP, K_TO, K_SDP, K_CAND, K_MID, K_RID, K_COUNT };

static const char *const fast_keys[K_COUNT] = {
    [K_TYPE] = "type",      [K_GROUP] = "group", [K_TO] = "to",   [K_SDP] = "sdp",
    [K_CAND] = "candidate", [K_MID] = "mid",     [K_RID] = "rid",
};

static int fast_key(const char *p, size_t n)
{
    for (int i = 0; i < K_COUNT; i++)
        if (strlen(fast_keys[i]) == n && !memcmp(fast_keys[i], p, n))
            return i;
    return -1;
}

static size_t skip_ws(const char *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

/* A string starting at the quote b[*i]. Only the form cJSON prints: no
 * control characters, and of the escapes only \" \\ \b \f \n \r \t (no \u,
 * no \/), so the received text can be relayed as it is. */
static int fast_str(const char *b, size_t len, size_t *i, fstr *out)
{
    size_t k = *i + 1, dl = 0;
    int esc = 0;
    while (k < len) {
        unsigned char ch = (unsigned char)b[k];
        if (ch == '"') {
            out->p = b + *i + 1;
            out->len = k - *i - 1;
            out->dlen = dl;
            out->esc = esc;
            *i = k + 1;
            return 1;
        }
        if (ch < 0x20)
            return 0;
        if (ch == '\\') {
            if (k + 1 >= len)
                return 0;
            switch (b[k + 1]) {
            case '"':
            case '\\':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                break;
            default:
                return 0;
            }
            esc = 1;
            k += 2;
        } else {
            k++;
        }
        dl++;
    }
    return 0;
}

static char *fast_decode(const fstr *s, char *o)
{
    for (size_t k = 0; k < s->len; k++) {
        char ch = s->p[k];
        if (ch == '\\') {
            switch (s->p[++k]) {
            case 'b':
                ch = '\b';
                break;
            case 'f':
                ch = '\f';
                break;
            case 'n':
                ch = '\n';
                break;
            case 'r':
                ch = '\r';
                break;
            case 't':
                ch = '\t';
                break;
            default: /* '"' or '\\' */
                ch = s->p[k];
                break;
            }
        }
        *o++ = ch;
    }
    *o++ = '\0';
    return o;
}

static int fast_is(const fstr *s, const char *lit)
{
    return !s->esc && s->len == strlen(lit) && !memcmp(s->p, lit, s->len);
}

/* 1: *m is the parsed relay (owned); 0: not for this path, *m untouched. */
static int parse_fast(const char *b, size_t len, tl_sig_msg *m)
{
    fstr v[K_COUNT];
    unsigned seen = 0;
    int64_t rid = 0;
    size_t i = skip_ws(b, len, 0);
    if (i >= len || b[i] != '{')
        return 0;
    i++;
    for (;;) {
        fstr k;
        i = skip_ws(b, len, i);
        if (i >= len || b[i] != '"' || !fast_str(b, len, &i, &k) || k.esc)
            return 0;
        i = skip_ws(b, len, i);
        if (i >= len || b[i] != ':')
            return 0;
        i = skip_ws(b, len, i + 1);
        if (i >= len)
            return 0;
        int key = fast_key(k.p, k.len);
        if (key >= 0 && (seen & (1u << key)))
            return 0; /* duplicates: cJSON's first-one-wins is left to cJSON */
        if (key == K_RID) {
            size_t st = i;
            while (i < len && b[i] >= '0' && b[i] <= '9' && i - st < 10)
                rid = rid * 10 + (b[i++] - '0');
            if (i == st || rid > 2147483647 ||
                (i < len && ((b[i] >= '0' && b[i] <= '9') || b[i] == '.' || b[i] == 'e' ||
                             b[i] == 'E' || b[i] == '+' || b[i] == '-')))
                return 0;
        } else {
            fstr val;
            if (b[i] != '"' || !fast_str(b, len, &i, &val))
                return 0; /* only strings (and rid) on this path */
            if (key >= 0)
                v[key] = val;
        }
        if (key >= 0)
            seen |= 1u << key;
        i = skip_ws(b, len, i);
        if (i >= len)
            return 0;
        if (b[i] == '}')
            break;
        if (b[i] != ',')
            return 0;
        i++;
    }
    if (skip_ws(b, len, i + 1) != len)
        return 0;

    tl_sig_type t;
    if (!(seen & (1u << K_TYPE)))
        return 0;
    if (fast_is(&v[K_TYPE], "offer"))
        t = TL_SIG_OFFER;
    else if (fast_is(&v[K_TYPE], "answer"))
        t = TL_SIG_ANSWER;
    else if (fast_is(&v[K_TYPE], "candidate"))
        t = TL_SIG_CANDIDATE;
    else if (fast_is(&v[K_TYPE], "end-of-candidates"))
        t = TL_SIG_EOC;
    else if (fast_is(&v[K_TYPE], "ice-restart"))
        t = TL_SIG_ICE_RESTART;
    else
        return 0;

    const fstr *g = &v[K_GROUP], *to = &v[K_TO];
    if (!(seen & (1u << K_GROUP)) || g->esc || g->len != 6)
        return 0;
    uint32_t group = 0;
    for (int k = 0; k < 6; k++) {
        if (g->p[k] < '0' || g->p[k] > '9')
            return 0;
        group = group * 10 + (uint32_t)(g->p[k] - '0');
    }
    if (!(seen & (1u << K_TO)) || to->esc || to->len != TL_SIG_ID_LEN)
        return 0;
    for (size_t k = 0; k < TL_SIG_ID_LEN; k++)
        if (!((to->p[k] >= '0' && to->p[k] <= '9') || (to->p[k] >= 'a' && to->p[k] <= 'f')))
            return 0;

    /* The payload fields this type carries (as parse_relay). */
    unsigned want = 0, need = 0;
    switch (t) {
    case TL_SIG_OFFER:
    case TL_SIG_ANSWER:
        want = need = 1u << K_SDP;
        break;
    case TL_SIG_ICE_RESTART:
        want = 1u << K_SDP;
        break;
    case TL_SIG_CANDIDATE:
        want = (1u << K_CAND) | (1u << K_MID);
        need = 1u << K_CAND;
        break;
    default:
        break;
    }
    if ((seen & need) != need)
        return 0;
    want &= seen;
    if (((want & (1u << K_SDP)) && v[K_SDP].dlen > TL_SIG_SDP_MAX) ||
        ((want & (1u << K_CAND)) && v[K_CAND].dlen > TL_SIG_CAND_MAX) ||
        ((want & (1u << K_MID)) && v[K_MID].dlen > TL_SIG_MID_MAX))
        return 0;
    size_t total = 1;
    for (int k = K_SDP; k <= K_MID; k++)
        if (want & (1u << k))
            total += v[k].dlen + 1;
    char *own = malloc(total), *o = own;
    if (!own)
        return 0; /* the cJSON path reports it */

    memset(m, 0, sizeof(*m));
    m->type = t;
    m->group = group;
    m->has_rid = (seen & (1u << K_RID)) != 0;
    m->rid = m->has_rid ? rid : 0;
    memcpy(m->to, to->p, TL_SIG_ID_LEN);
    m->to[TL_SIG_ID_LEN] = '\0';
    m->own = own;
    if (want & (1u << K_SDP)) {
        m->sdp = o;
        o = fast_decode(&v[K_SDP], o);
        m->sdp_json = (tl_sig_span){v[K_SDP].p, v[K_SDP].len};
    }
    if (want & (1u << K_CAND)) {
        m->candidate = o;
        o = fast_decode(&v[K_CAND], o);
        m->candidate_json = (tl_sig_span){v[K_CAND].p, v[K_CAND].len};
    }
    if (want & (1u << K_MID)) {
        m->mid = o;
        o = fast_decode(&v[K_MID], o);
        m->mid_json = (tl_sig_span){v[K_MID].p, v[K_MID].len};
    }
    return 1;
}

tl_sig_err tl_sig_parse(const char *buf, size_t len, size_t max_len, tl_sig_msg *out,
                        const char **field)
{
    static const char *dummy;
    if (!field)
        field = &dummy;
    *field = "";
    if (len <= max_len && parse_fast(buf, len, out))
        return TL_SIGE_OK;
    return tl_sig_parse_slow(buf, len, max_len, out, field);
}

tl_sig_err tl_sig_parse_slow(const char *buf, size_t len, size_t max_len, tl_sig_msg *out,
                             const char **field)
{
    static const char *dummy;
    if (!field)
        field = &dummy;
    *field = "";
    memset(out, 0, sizeof(*out));
    out->group = TL_SIG_GROUP_NONE;
    if (len > max_len)
        return TL_SIGE_TOO_BIG;
    ctx c = {out, field};
    out->root = cJSON_ParseWithLength(buf, len);
    if (!out->root || !cJSON_IsObject(out->root)) {
        tl_sig_msg_clear(out);
        return TL_SIGE_BAD_JSON;
    }
    int64_t rid;
    int has_rid;
    tl_sig_err e = get_uint(&c, "rid", 2147483647.0, &rid, &has_rid);
    if (!e) {
        out->has_rid = has_rid;
        out->rid = has_rid ? rid : 0;
    }
    const char *type = NULL;
    if (!e)
        e = get_str(&c, "type", 1, 32, &type);
    if (!e) {
        for (int t = 1; t < TL_SIG_TYPE_COUNT; t++)
            if (!strcmp(type, type_names[t]))
                out->type = (tl_sig_type)t;
        e = parse_body(&c);
    }
    if (e) {
        tl_sig_type t = out->type;
        int hr = out->has_rid;
        int64_t r = out->rid;
        tl_sig_msg_clear(out);
        out->type = t;
        out->has_rid = hr;
        out->rid = r;
    }
    return e;
}

/* ------------------------------------------------------------ builders */

char *tl_sig_print_free(cJSON *obj)
{
    if (!obj)
        return NULL;
    char *s = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return s;
}

cJSON *tl_sig_reply(const char *type, int has_rid, int64_t rid)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "type", type);
    if (has_rid)
        cJSON_AddNumberToObject(o, "rid", (double)rid);
    return o;
}

char *tl_sig_build_error(tl_sig_err e, const char *ref, int has_rid, int64_t rid,
                         const char *detail)
{
    cJSON *o = tl_sig_reply("error", has_rid, rid);
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "code", tl_sig_err_code(e));
    cJSON_AddStringToObject(o, "ref", ref ? ref : "");
    if (detail)
        cJSON_AddStringToObject(o, "message", detail);
    return tl_sig_print_free(o);
}

/* The relay is written directly rather than through a cJSON tree; strings
 * are escaped as cJSON prints them (the tests compare the two byte for byte):
 * \" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx, the rest as is. */
static char *put_esc(char *o, const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"':
        case '\\':
            *o++ = (char)ch;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hexd[ch >> 4];
            o[4] = hexd[ch & 15];
            o += 5;
            break;
        }
    }
    return o;
}

static char *put_lit(char *o, const char *lit)
{
    size_t n = strlen(lit);
    memcpy(o, lit, n);
    return o + n;
}

/* ,"key":"value" from the received text when there is one, else escaped. */
static char *put_field(char *o, const char *key, const char *val, tl_sig_span raw)
{
    o = put_lit(o, ",\"");
    o = put_lit(o, key);
    o = put_lit(o, "\":\"");
    if (raw.p) {
        memcpy(o, raw.p, raw.len);
        o += raw.len;
    } else {
        o = put_esc(o, val);
    }
    *o++ = '"';
    return o;
}

static size_t field_max(const char *key, const char *val, tl_sig_span raw)
{
    if (!val)
        return 0;
    return strlen(key) + 6 + (raw.p ? raw.len : 6 * strlen(val));
}

size_t tl_sig_relay_max_len(const tl_sig_msg *m, const char *from)
{
    return 64 + strlen(tl_sig_type_name(m->type)) + 6 * strlen(from) +
           field_max("sdp", m->sdp, m->sdp_json) +
           field_max("candidate", m->candidate, m->candidate_json) +
           field_max("mid", m->mid, m->mid_json);
}

size_t tl_sig_write_relay(const tl_sig_msg *m, const char *from, char *buf)
{
    char g[8];
    tl_sig_group_str(m->group, g);
    char *o = put_lit(buf, "{\"type\":\"");
    o = put_esc(o, tl_sig_type_name(m->type));
    o = put_lit(o, "\",\"group\":\"");
    o = put_lit(o, g);
    o = put_lit(o, "\",\"from\":\"");
    o = put_esc(o, from);
    *o++ = '"';
    if (m->sdp)
        o = put_field(o, "sdp", m->sdp, m->sdp_json);
    if (m->candidate)
        o = put_field(o, "candidate", m->candidate, m->candidate_json);
    if (m->mid)
        o = put_field(o, "mid", m->mid, m->mid_json);
    *o++ = '}';
    *o = '\0';
    return (size_t)(o - buf);
}

char *tl_sig_build_relay(const tl_sig_msg *m, const char *from)
{
    char *buf = malloc(tl_sig_relay_max_len(m, from) + 1);
    if (buf)
        tl_sig_write_relay(m, from, buf);
    return buf;
}
