/* SDP for data-channel-only sessions: parser and emitter (RFC 8866, 8841,
 * 8839, 8843), candidate lines. Sans-I/O; bounded sizes; never reads past
 * the input buffer (the input need not be NUL-terminated). */
#define _POSIX_C_SOURCE 200809L
#include "rtc/sdp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <arpa/inet.h>

#define CAND_LINE_MAX 1024
#define CAND_TOKENS_MAX 40
#define BUNDLE_MAX TL_SDP_MAX_MSECTIONS

/* ---- small string helpers (length-delimited views) ---- */

typedef struct sv {
    const char *p;
    size_t n;
} sv;

static int sv_eq(sv s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int sv_ieq(sv s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = s.p[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4) */
static int is_ice_chars(sv s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!is_alnum(s.p[i]) && s.p[i] != '+' && s.p[i] != '/')
            return 0;
    return 1;
}

/* token-char of RFC 8866: visible ASCII except a few separators. */
static int is_token_chars(sv s)
{
    if (s.n == 0)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return 0;
    }
    return 1;
}

/* Visible ASCII without spaces (proto "UDP/DTLS/SCTP", fmt). */
static int is_visible(sv s)
{
    if (s.n == 0)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    return 1;
}

/* Copies s into dst (cap bytes incl. NUL). Returns 0, or -1 if empty or too
 * long. */
static int sv_copy(char *dst, size_t cap, sv s)
{
    if (s.n == 0 || s.n >= cap)
        return -1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 0;
}

/* Decimal without sign or leading '+', at most 20 digits, <= max. */
static int sv_u64(sv s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 20)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (!is_digit(s.p[i]))
            return -1;
        uint64_t d = (uint64_t)(s.p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* Splits the next run of non-space characters off *rest. Returns 0 when
 * there is none. */
static int sv_next_token(sv *rest, sv *tok)
{
    size_t i = 0;
    while (i < rest->n && (rest->p[i] == ' ' || rest->p[i] == '\t'))
        i++;
    size_t start = i;
    while (i < rest->n && rest->p[i] != ' ' && rest->p[i] != '\t')
        i++;
    tok->p = rest->p + start;
    tok->n = i - start;
    rest->p += i;
    rest->n -= i;
    return tok->n > 0;
}

/* ---- candidates ---- */

static int cand_addr_ok(sv a)
{
    char tmp[64];
    unsigned char bin[16];
    if (sv_copy(tmp, sizeof(tmp), a) != 0)
        return 0;
    if (strchr(tmp, ':') != NULL)
        return inet_pton(AF_INET6, tmp, bin) == 1;
    int all_numeric = 1;
    for (size_t i = 0; i < a.n; i++)
        if (!is_digit(a.p[i]) && a.p[i] != '.')
            all_numeric = 0;
    if (all_numeric)
        return inet_pton(AF_INET, tmp, bin) == 1;
    /* A host name (an mDNS "<uuid>.local" in practice): labels of
     * letters, digits and '-', separated by single dots. */
    size_t label = 0;
    for (size_t i = 0; i < a.n; i++) {
        char c = a.p[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (is_alnum(c) || c == '-' || c == '_') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

static int cand_type_parse(sv t, tl_cand_type *out)
{
    static const char *const names[] = {"host", "srflx", "prflx", "relay"};
    for (int i = 0; i < 4; i++) {
        if (sv_eq(t, names[i])) {
            *out = (tl_cand_type)i;
            return 0;
        }
    }
    return -1;
}

static const char *cand_type_str(tl_cand_type t)
{
    switch (t) {
    case TL_CAND_HOST:
        return "host";
    case TL_CAND_SRFLX:
        return "srflx";
    case TL_CAND_PRFLX:
        return "prflx";
    case TL_CAND_RELAY:
        return "relay";
    default:
        return NULL;
    }
}

/* Parses the optional "name value" pairs after "typ <type>". */
static int cand_parse_ext(sv rest, tl_sdp_candidate *c)
{
    sv name, val;
    int n = 0, seen_rport = 0;
    while (sv_next_token(&rest, &name)) {
        if (!sv_next_token(&rest, &val) || !is_visible(name) || !is_visible(val))
            return TL_ERR_PARSE;
        if (++n > CAND_TOKENS_MAX)
            return TL_ERR_PARSE;
        uint64_t v;
        /* raddr, rport and tcptype appear at most once (RFC 8839 §5.1) */
        if (sv_eq(name, "raddr")) {
            if (c->raddr[0] != '\0' || !cand_addr_ok(val) ||
                sv_copy(c->raddr, sizeof(c->raddr), val) != 0)
                return TL_ERR_PARSE;
        } else if (sv_eq(name, "rport")) {
            if (seen_rport++ || sv_u64(val, 65535, &v) != 0 || val.n > 5)
                return TL_ERR_PARSE;
            c->rport = (uint16_t)v;
        } else if (sv_eq(name, "tcptype")) {
            if (c->tcptype[0] != '\0' ||
                (!sv_eq(val, "active") && !sv_eq(val, "passive") && !sv_eq(val, "so")))
                return TL_ERR_PARSE;
            sv_copy(c->tcptype, sizeof(c->tcptype), val);
        }
        /* generation, ufrag, network-id, network-cost, ...: ignored */
    }
    return TL_OK;
}

static int cand_parse_n(const char *line, size_t len, tl_sdp_candidate *c)
{
    memset(c, 0, sizeof(*c));
    if (len > CAND_LINE_MAX)
        return TL_ERR_PARSE;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    sv rest = {line, len};
    if (rest.n >= 2 && memcmp(rest.p, "a=", 2) == 0) {
        rest.p += 2;
        rest.n -= 2;
    }
    if (rest.n < 10 || memcmp(rest.p, "candidate:", 10) != 0)
        return TL_ERR_PARSE;
    rest.p += 10;
    rest.n -= 10;
    for (size_t i = 0; i < rest.n; i++)
        if ((unsigned char)rest.p[i] < 0x20 && rest.p[i] != '\t')
            return TL_ERR_PARSE;

    sv f[8];
    for (int i = 0; i < 8; i++)
        if (!sv_next_token(&rest, &f[i]))
            return TL_ERR_PARSE;
    uint64_t comp, prio, port;
    if (f[0].n > 32 || !is_ice_chars(f[0]) || sv_copy(c->foundation, sizeof(c->foundation), f[0]))
        return TL_ERR_PARSE;
    if (sv_u64(f[1], 256, &comp) != 0 || comp == 0 || f[1].n > 3)
        return TL_ERR_PARSE;
    if (sv_u64(f[3], UINT32_MAX, &prio) != 0 || f[3].n > 10)
        return TL_ERR_PARSE;
    if (!cand_addr_ok(f[4]) || sv_copy(c->addr, sizeof(c->addr), f[4]) != 0)
        return TL_ERR_PARSE;
    if (sv_u64(f[5], 65535, &port) != 0 || f[5].n > 5)
        return TL_ERR_PARSE;
    if (!sv_eq(f[6], "typ") || !is_token_chars(f[2]) || !is_token_chars(f[7]))
        return TL_ERR_PARSE;
    c->component = (uint32_t)comp;
    c->priority = (uint32_t)prio;
    c->port = (uint16_t)port;
    int rc = cand_parse_ext(rest, c);
    if (rc != TL_OK)
        return rc;
    /* Well-formed but not something we can use: the caller skips it. */
    if (sv_ieq(f[2], "udp"))
        memcpy(c->transport, "udp", 4);
    else if (sv_ieq(f[2], "tcp"))
        memcpy(c->transport, "tcp", 4);
    else
        return TL_ERR_UNSUPPORTED;
    if (cand_type_parse(f[7], &c->type) != 0) {
        c->type = TL_CAND_UNKNOWN;
        return TL_ERR_UNSUPPORTED;
    }
    if (c->type == TL_CAND_HOST) { /* related address: not for host (RFC 8839 §5.1) */
        memset(c->raddr, 0, sizeof(c->raddr));
        c->rport = 0;
    }
    return TL_OK;
}

int tl_sdp_parse_candidate(const char *line, tl_sdp_candidate *out)
{
    if (line == NULL || out == NULL)
        return TL_ERR_PARSE;
    size_t len = strnlen(line, CAND_LINE_MAX + 1);
    return cand_parse_n(line, len, out);
}

int tl_sdp_format_candidate(const tl_sdp_candidate *c, char *buf, size_t cap)
{
    const char *typ = cand_type_str(c->type);
    if (typ == NULL || cap == 0)
        return TL_ERR_TOO_BIG;
    int n = snprintf(buf, cap, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
                     (unsigned)c->component, c->transport, (unsigned)c->priority, c->addr,
                     (unsigned)c->port, typ);
    if (n < 0 || (size_t)n >= cap)
        return TL_ERR_TOO_BIG;
    size_t used = (size_t)n;
    if (c->type != TL_CAND_HOST) {
        n = snprintf(buf + used, cap - used, " raddr %s rport %u",
                     c->raddr[0] ? c->raddr : "0.0.0.0", (unsigned)c->rport);
        if (n < 0 || (size_t)n >= cap - used)
            return TL_ERR_TOO_BIG;
        used += (size_t)n;
    }
    if (c->tcptype[0] != '\0') {
        n = snprintf(buf + used, cap - used, " tcptype %s", c->tcptype);
        if (n < 0 || (size_t)n >= cap - used)
            return TL_ERR_TOO_BIG;
    }
    return TL_OK;
}

/* ---- the parser ---- */

/* Values one level (session or one m= section) declares. */
typedef struct sdp_level {
    char media[16];
    char proto[32];
    char fmt[33];
    char mid[33];
    uint32_t port;
    int bundle_only;
    int is_dc;  /* application + webrtc-datachannel (or legacy) */
    int legacy; /* DTLS/SCTP with a numeric format */
    char ufrag[257];
    char pwd[257];
    int has_fp;
    uint8_t fp[TL_FINGERPRINT_LEN];
    tl_sdp_setup setup;
    int trickle;
    int has_sctp_port;
    uint16_t sctp_port;
    int has_mms;
    size_t mms;
    int eoc;
    int n_cand;
} sdp_level;

typedef struct parse_ctx {
    tl_sdp *out;
    char *err;
    size_t errlen;
    unsigned line;
    int ice_lite;
    int seen_o, seen_s, seen_t;
    sdp_level sess;
    sdp_level secs[TL_SDP_MAX_MSECTIONS];
    size_t n_secs;
    char bundle[BUNDLE_MAX][33];
    size_t n_bundle;
    size_t cand_src; /* index of the section whose candidates are kept */
} parse_ctx;

__attribute__((format(printf, 3, 4))) static int fail(parse_ctx *c, int code, const char *fmt, ...)
{
    if (c->err != NULL && c->errlen > 0) {
        int n = 0;
        if (c->line > 0)
            n = snprintf(c->err, c->errlen, "line %u: ", c->line);
        else
            n = snprintf(c->err, c->errlen, "end of input: ");
        if (n >= 0 && (size_t)n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

static int parse_origin(parse_ctx *c, sv v)
{
    sv t[6];
    for (int i = 0; i < 6; i++)
        if (!sv_next_token(&v, &t[i]))
            return fail(c, TL_ERR_PARSE, "o= needs 6 fields");
    if (sv_u64(t[1], UINT64_MAX, &c->out->session_id) != 0)
        return fail(c, TL_ERR_PARSE, "o= session id is not a 64-bit number");
    if (sv_u64(t[2], UINT64_MAX, &c->out->session_version) != 0)
        return fail(c, TL_ERR_PARSE, "o= session version is not a 64-bit number");
    if (!sv_eq(t[3], "IN"))
        return fail(c, TL_ERR_PARSE, "o= network type is not IN");
    c->seen_o = 1;
    return TL_OK;
}

static int parse_mline(parse_ctx *c, sv v)
{
    if (c->n_secs >= TL_SDP_MAX_MSECTIONS)
        return fail(c, TL_ERR_TOO_BIG, "more than %d m= sections", TL_SDP_MAX_MSECTIONS);
    sdp_level *s = &c->secs[c->n_secs++];
    sv media, port, proto, fmt;
    if (!sv_next_token(&v, &media) || !sv_next_token(&v, &port) || !sv_next_token(&v, &proto) ||
        !sv_next_token(&v, &fmt))
        return fail(c, TL_ERR_PARSE, "m= needs media, port, proto and a format");
    if (!is_token_chars(media) || sv_copy(s->media, sizeof(s->media), media) != 0)
        return fail(c, TL_ERR_PARSE, "bad m= media");
    for (size_t i = 0; i < port.n; i++) {
        if (port.p[i] == '/') { /* "port/number-of-ports" */
            port.n = i;
            break;
        }
    }
    uint64_t p;
    if (sv_u64(port, 65535, &p) != 0)
        return fail(c, TL_ERR_PARSE, "bad m= port");
    s->port = (uint32_t)p;
    if (!is_visible(proto) || sv_copy(s->proto, sizeof(s->proto), proto) != 0)
        return fail(c, TL_ERR_PARSE, "bad m= proto");
    if (!is_visible(fmt) || sv_copy(s->fmt, sizeof(s->fmt), fmt) != 0)
        return fail(c, TL_ERR_PARSE, "bad m= format");
    if (sv_eq(media, "application")) {
        if ((sv_eq(proto, "UDP/DTLS/SCTP") || sv_eq(proto, "TCP/DTLS/SCTP")) &&
            sv_eq(fmt, "webrtc-datachannel")) {
            s->is_dc = 1;
        } else if (sv_eq(proto, "DTLS/SCTP") && sv_u64(fmt, 65535, &p) == 0 && p > 0) {
            s->is_dc = 1; /* draft-ietf-mmusic-sctp-sdp-05: a=sctpmap */
            s->legacy = 1;
            s->sctp_port = (uint16_t)p;
        }
    }
    return TL_OK;
}

static int parse_fingerprint(parse_ctx *c, sdp_level *l, sv v)
{
    sv hash, hex, extra;
    if (!sv_next_token(&v, &hash) || !sv_next_token(&v, &hex) || sv_next_token(&v, &extra))
        return fail(c, TL_ERR_PARSE, "a=fingerprint needs a hash function and a value");
    if (!sv_ieq(hash, "sha-256")) {
        if (!is_token_chars(hash))
            return fail(c, TL_ERR_PARSE, "bad a=fingerprint hash function");
        return TL_OK; /* sha-1, sha-384, ...: not used */
    }
    uint8_t fp[TL_FINGERPRINT_LEN];
    if (tl_fingerprint_parse(hex.p, hex.n, fp) != TL_OK)
        return fail(c, TL_ERR_PARSE, "bad a=fingerprint sha-256 value (want 32 hex pairs)");
    if (!l->has_fp) { /* several certificates: the first one is used */
        memcpy(l->fp, fp, sizeof(fp));
        l->has_fp = 1;
    }
    return TL_OK;
}

static int parse_ice_cred(parse_ctx *c, char *dst, size_t cap, sv v, size_t min, const char *name)
{
    if (dst[0] != '\0')
        return fail(c, TL_ERR_PARSE, "duplicate a=%s", name);
    if (v.n > 256)
        return fail(c, TL_ERR_TOO_BIG, "a=%s longer than 256 characters", name);
    if (v.n < min || !is_ice_chars(v))
        return fail(c, TL_ERR_PARSE, "a=%s must be %zu-256 ice-chars", name, min);
    sv_copy(dst, cap, v);
    return TL_OK;
}

static int parse_setup(parse_ctx *c, sdp_level *l, sv v)
{
    static const char *const names[] = {"actpass", "active", "passive", "holdconn"};
    if (l->setup != TL_SETUP_NONE)
        return fail(c, TL_ERR_PARSE, "duplicate a=setup");
    for (int i = 0; i < 4; i++) {
        if (sv_eq(v, names[i])) {
            l->setup = (tl_sdp_setup)(TL_SETUP_ACTPASS + i);
            return TL_OK;
        }
    }
    return fail(c, TL_ERR_PARSE, "bad a=setup value");
}

static int parse_group(parse_ctx *c, sv v)
{
    sv sem, mid;
    if (!sv_next_token(&v, &sem))
        return fail(c, TL_ERR_PARSE, "empty a=group");
    if (!sv_eq(sem, "BUNDLE"))
        return TL_OK; /* LS, FID, ...: not ours */
    if (c->n_bundle > 0)
        return TL_OK; /* only the first BUNDLE group is used */
    while (sv_next_token(&v, &mid)) {
        if (c->n_bundle >= BUNDLE_MAX)
            return fail(c, TL_ERR_TOO_BIG, "more than %d mids in a=group:BUNDLE", BUNDLE_MAX);
        if (!is_token_chars(mid) || sv_copy(c->bundle[c->n_bundle], 33, mid) != 0)
            return fail(c, TL_ERR_PARSE, "bad mid in a=group:BUNDLE");
        c->n_bundle++;
    }
    return TL_OK;
}

/* First pass: every candidate line is checked and counted; only those of
 * the section that supplies the data channel's transport are stored, by
 * collect_candidates() once that section is known. */
static int parse_candidate_attr(parse_ctx *c, sv line)
{
    tl_sdp_candidate scratch;
    if (c->n_secs == 0)
        return fail(c, TL_ERR_PARSE, "a=candidate at session level");
    int rc = cand_parse_n(line.p, line.n, &scratch);
    if (rc == TL_ERR_UNSUPPORTED)
        return TL_OK; /* e.g. Chromium's old "ssltcp": skipped */
    if (rc != TL_OK)
        return fail(c, TL_ERR_PARSE, "bad a=candidate");
    c->secs[c->n_secs - 1].n_cand++;
    return TL_OK;
}

static int parse_sctp_attr(parse_ctx *c, sdp_level *l, sv name, sv v)
{
    uint64_t n;
    if (sv_eq(name, "sctp-port")) {
        if (l->has_sctp_port)
            return fail(c, TL_ERR_PARSE, "duplicate a=sctp-port");
        if (sv_u64(v, 65535, &n) != 0 || n == 0)
            return fail(c, TL_ERR_PARSE, "bad a=sctp-port");
        l->has_sctp_port = 1;
        l->sctp_port = (uint16_t)n;
    } else if (sv_eq(name, "max-message-size")) {
        if (l->has_mms)
            return fail(c, TL_ERR_PARSE, "duplicate a=max-message-size");
        if (sv_u64(v, SIZE_MAX, &n) != 0)
            return fail(c, TL_ERR_PARSE, "bad a=max-message-size");
        l->has_mms = 1;
        l->mms = (size_t)n;
    } else { /* sctpmap:<port> webrtc-datachannel [<streams>] */
        sv port, app;
        if (!sv_next_token(&v, &port) || !sv_next_token(&v, &app) || sv_u64(port, 65535, &n) != 0 ||
            n == 0)
            return fail(c, TL_ERR_PARSE, "bad a=sctpmap");
        if (sv_eq(app, "webrtc-datachannel") && !l->has_sctp_port) {
            l->has_sctp_port = 1;
            l->sctp_port = (uint16_t)n;
        }
    }
    return TL_OK;
}

/* One "a=" line; l is the session level or the current m= section. */
static int parse_attr(parse_ctx *c, sdp_level *l, sv line)
{
    sv a = {line.p + 2, line.n - 2};
    sv name = a, v = {a.p + a.n, 0};
    const char *colon = memchr(a.p, ':', a.n);
    if (colon != NULL) {
        name.n = (size_t)(colon - a.p);
        v.p = colon + 1;
        v.n = a.n - name.n - 1;
    }
    int media = (l != &c->sess);
    if (sv_eq(name, "candidate"))
        return parse_candidate_attr(c, a);
    if (sv_eq(name, "ice-ufrag"))
        return parse_ice_cred(c, l->ufrag, sizeof(l->ufrag), v, 4, "ice-ufrag");
    if (sv_eq(name, "ice-pwd"))
        return parse_ice_cred(c, l->pwd, sizeof(l->pwd), v, 22, "ice-pwd");
    if (sv_eq(name, "fingerprint"))
        return parse_fingerprint(c, l, v);
    if (sv_eq(name, "setup"))
        return parse_setup(c, l, v);
    if (sv_eq(name, "ice-options")) {
        sv t;
        while (sv_next_token(&v, &t))
            if (sv_eq(t, "trickle"))
                l->trickle = 1;
        return TL_OK;
    }
    if (sv_eq(name, "end-of-candidates")) {
        l->eoc = 1;
        return TL_OK;
    }
    if (!media) {
        if (sv_eq(name, "group"))
            return parse_group(c, v);
        if (sv_eq(name, "ice-lite"))
            c->ice_lite = 1;
        return TL_OK;
    }
    if (sv_eq(name, "mid")) {
        if (l->mid[0] != '\0')
            return fail(c, TL_ERR_PARSE, "duplicate a=mid");
        if (!is_token_chars(v) || sv_copy(l->mid, sizeof(l->mid), v) != 0)
            return fail(c, TL_ERR_PARSE, "bad a=mid (1-32 token characters)");
        for (size_t i = 0; i + 1 < c->n_secs; i++)
            if (strcmp(c->secs[i].mid, l->mid) == 0)
                return fail(c, TL_ERR_PARSE, "a=mid repeats the mid of m= section %zu", i + 1);
        return TL_OK;
    }
    if (sv_eq(name, "bundle-only")) {
        l->bundle_only = 1;
        return TL_OK;
    }
    if (l->is_dc &&
        (sv_eq(name, "sctp-port") || sv_eq(name, "max-message-size") || sv_eq(name, "sctpmap")))
        return parse_sctp_attr(c, l, name, v);
    return TL_OK; /* rtpmap, msid, extmap, ...: not ours */
}

static int check_line_bytes(parse_ctx *c, sv line)
{
    for (size_t i = 0; i < line.n; i++) {
        unsigned char ch = (unsigned char)line.p[i];
        if (ch == 0)
            return fail(c, TL_ERR_PARSE, "NUL byte at column %zu", i + 1);
        if (ch < 0x20 && ch != '\t')
            return fail(c, TL_ERR_PARSE, "control character 0x%02x at column %zu", ch, i + 1);
    }
    return TL_OK;
}

static int parse_line(parse_ctx *c, sv line)
{
    int rc = check_line_bytes(c, line);
    if (rc != TL_OK)
        return rc;
    if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
        return fail(c, TL_ERR_PARSE, "expected <letter>=<value>");
    sv v = {line.p + 2, line.n - 2};
    if (c->line == 1 && line.p[0] != 'v')
        return fail(c, TL_ERR_PARSE, "first line must be v=0");
    switch (line.p[0]) {
    case 'v':
        if (c->line != 1 || !sv_eq(v, "0"))
            return fail(c, TL_ERR_PARSE, "v= must be the first line and be 0");
        return TL_OK;
    case 'o':
        if (c->n_secs > 0 || c->seen_o)
            return fail(c, TL_ERR_PARSE, "o= must appear once, at session level");
        return parse_origin(c, v);
    case 's':
        c->seen_s = 1;
        return TL_OK;
    case 't':
        c->seen_t = 1;
        return TL_OK;
    case 'm':
        if (!c->seen_o || !c->seen_s || !c->seen_t)
            return fail(c, TL_ERR_PARSE, "m= before the o=, s= and t= lines");
        return parse_mline(c, v);
    case 'a':
        return parse_attr(c, c->n_secs ? &c->secs[c->n_secs - 1] : &c->sess, line);
    default:
        return TL_OK; /* c=, b=, i=, u=, e=, p=, z=, k=, r=: nothing we use */
    }
}

static int in_bundle(const parse_ctx *c, const char *mid)
{
    for (size_t i = 0; i < c->n_bundle; i++)
        if (strcmp(c->bundle[i], mid) == 0)
            return 1;
    return 0;
}

/* The section whose transport the data-channel section uses: the BUNDLE tag
 * (first mid of the group) when the data-channel section is bundled. */
static const sdp_level *bundle_tag(const parse_ctx *c, const sdp_level *dc)
{
    if (c->n_bundle == 0 || dc->mid[0] == '\0' || !in_bundle(c, dc->mid))
        return NULL;
    for (size_t i = 0; i < c->n_secs; i++)
        if (strcmp(c->secs[i].mid, c->bundle[0]) == 0)
            return &c->secs[i] == dc ? NULL : &c->secs[i];
    return NULL;
}

static void resolve_transport(parse_ctx *c, const sdp_level *dc, const sdp_level *tag)
{
    tl_sdp *o = c->out;
    const sdp_level *lv[3] = {dc, tag ? tag : dc, &c->sess};
    for (int i = 2; i >= 0; i--) { /* most specific last, so it wins */
        const sdp_level *l = lv[i];
        if (l->ufrag[0] != '\0')
            memcpy(o->ice_ufrag, l->ufrag, sizeof(o->ice_ufrag));
        if (l->pwd[0] != '\0')
            memcpy(o->ice_pwd, l->pwd, sizeof(o->ice_pwd));
        if (l->has_fp) {
            memcpy(o->fingerprint, l->fp, sizeof(o->fingerprint));
            o->has_fingerprint = 1;
        }
        if (l->setup != TL_SETUP_NONE)
            o->setup = l->setup;
        if (l->trickle)
            o->ice_options_trickle = 1;
    }
    o->ice_lite = c->ice_lite;
    o->sctp_port = dc->has_sctp_port ? dc->sctp_port : (dc->legacy ? dc->sctp_port : 5000);
    o->max_message_size = dc->has_mms ? dc->mms : 65536;
    memcpy(o->mid, dc->mid, sizeof(o->mid));

    /* Candidates: the section's own, else the BUNDLE tag's. */
    size_t src = (size_t)(dc - c->secs);
    if (dc->n_cand == 0 && tag != NULL)
        src = (size_t)(tag - c->secs);
    o->end_of_candidates = c->secs[src].eoc || c->sess.eoc;
    c->cand_src = src;
}

static int finish(parse_ctx *c)
{
    c->line = 0;
    if (!c->seen_o || !c->seen_s || !c->seen_t)
        return fail(c, TL_ERR_PARSE, "missing o=, s= or t= line");
    const sdp_level *dc = NULL;
    for (size_t i = 0; i < c->n_secs && dc == NULL; i++) {
        const sdp_level *s = &c->secs[i];
        if (s->is_dc && (s->port != 0 || s->bundle_only))
            dc = s;
    }
    if (dc == NULL)
        return fail(c, TL_ERR_UNSUPPORTED, "no usable m=application webrtc-datachannel section");
    tl_sdp *o = c->out;
    o->has_datachannel = 1;
    o->dc_index = (int)(dc - c->secs);
    for (size_t i = 0; i < c->n_secs; i++) {
        const sdp_level *s = &c->secs[i];
        if (s == dc)
            continue;
        tl_sdp_other_section *os = &o->others[o->n_others++];
        memcpy(os->media, s->media, sizeof(os->media));
        memcpy(os->proto, s->proto, sizeof(os->proto));
        memcpy(os->mid, s->mid, sizeof(os->mid));
        memcpy(os->fmt, s->fmt, sizeof(os->fmt));
    }
    resolve_transport(c, dc, bundle_tag(c, dc));
    if (o->ice_ufrag[0] == '\0')
        return fail(c, TL_ERR_PARSE, "no a=ice-ufrag for the data-channel section");
    if (o->ice_pwd[0] == '\0')
        return fail(c, TL_ERR_PARSE, "no a=ice-pwd for the data-channel section");
    if (!o->has_fingerprint)
        return fail(c, TL_ERR_PARSE, "no a=fingerprint:sha-256 for the data-channel section");
    return TL_OK;
}

/* The next line at *pos without its LF or CRLF. Returns 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, sv *line)
{
    if (*pos >= len)
        return 0;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    line->p = text + *pos;
    line->n = end - *pos;
    if (line->n > 0 && line->p[line->n - 1] == '\r')
        line->n--;
    *pos = nl ? end + 1 : len;
    return 1;
}

/* Second pass: stores the candidates of section c->cand_src (already
 * validated by the first pass). */
static int collect_candidates(parse_ctx *c, const char *text, size_t len)
{
    tl_sdp *o = c->out;
    size_t pos = 0, sec = 0;
    sv line;
    c->line = 0;
    while (next_line(text, len, &pos, &line)) {
        c->line++;
        if (line.n >= 2 && line.p[0] == 'm' && line.p[1] == '=')
            sec++;
        if (sec != c->cand_src + 1 || line.n < 12 || memcmp(line.p, "a=candidate:", 12) != 0)
            continue;
        if (o->n_candidates >= TL_SDP_MAX_CANDIDATES)
            return fail(c, TL_ERR_TOO_BIG, "more than %d a=candidate lines", TL_SDP_MAX_CANDIDATES);
        if (cand_parse_n(line.p, line.n, &o->candidates[o->n_candidates]) == TL_OK)
            o->n_candidates++;
    }
    return TL_OK;
}

static int parse_all(parse_ctx *c, const char *text, size_t len)
{
    size_t pos = 0;
    sv line;
    while (next_line(text, len, &pos, &line)) {
        c->line++;
        if (line.n == 0) {
            if (pos >= len)
                break; /* a trailing empty line */
            return fail(c, TL_ERR_PARSE, "empty line");
        }
        int rc = parse_line(c, line);
        if (rc != TL_OK)
            return rc;
    }
    if (c->line == 0)
        return fail(c, TL_ERR_PARSE, "empty description");
    int rc = finish(c);
    if (rc != TL_OK)
        return rc;
    return collect_candidates(c, text, len);
}

int tl_sdp_parse(const char *text, size_t len, tl_sdp *out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || (text == NULL && len > 0)) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "no input");
        return TL_ERR_PARSE;
    }
    memset(out, 0, sizeof(*out));
    if (len > TL_SDP_MAX_TEXT) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "description of %zu bytes exceeds the %d-byte limit", len,
                     TL_SDP_MAX_TEXT);
        return TL_ERR_TOO_BIG;
    }
    parse_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return TL_ERR_NOMEM;
    c->out = out;
    c->err = err;
    c->errlen = errlen;
    int rc = parse_all(c, text, len);
    free(c);
    return rc;
}

/* ---- the emitter ---- */

static int emit_check(const tl_sdp *s)
{
    sv uf = {s->ice_ufrag, strnlen(s->ice_ufrag, sizeof(s->ice_ufrag))};
    sv pw = {s->ice_pwd, strnlen(s->ice_pwd, sizeof(s->ice_pwd))};
    if (uf.n < 4 || uf.n > 256 || !is_ice_chars(uf) || pw.n < 22 || pw.n > 256 ||
        !is_ice_chars(pw) || !s->has_fingerprint)
        return TL_ERR_INVALID_ARG;
    sv mid = {s->mid, strnlen(s->mid, sizeof(s->mid))};
    if (mid.n == sizeof(s->mid) || (mid.n > 0 && !is_token_chars(mid)))
        return TL_ERR_INVALID_ARG;
    if (s->setup < TL_SETUP_NONE || s->setup > TL_SETUP_HOLDCONN || s->sctp_port == 0)
        return TL_ERR_INVALID_ARG;
    if (s->n_candidates > TL_SDP_MAX_CANDIDATES || s->n_others > TL_SDP_MAX_MSECTIONS ||
        s->n_others + 1 > TL_SDP_MAX_MSECTIONS)
        return TL_ERR_INVALID_ARG;
    for (size_t i = 0; i < s->n_others; i++) {
        const tl_sdp_other_section *o = &s->others[i];
        sv m = {o->media, strnlen(o->media, sizeof(o->media))};
        sv p = {o->proto, strnlen(o->proto, sizeof(o->proto))};
        sv f = {o->fmt, strnlen(o->fmt, sizeof(o->fmt))};
        sv om = {o->mid, strnlen(o->mid, sizeof(o->mid))};
        if (m.n == sizeof(o->media) || !is_token_chars(m) || p.n == sizeof(o->proto) ||
            !is_visible(p) || f.n == sizeof(o->fmt) || !is_visible(f) || om.n == sizeof(o->mid) ||
            (om.n > 0 && !is_token_chars(om)))
            return TL_ERR_INVALID_ARG;
    }
    return TL_OK;
}

static void emit_other(GString *b, const tl_sdp_other_section *o)
{
    g_string_append_printf(b, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", o->media, o->proto, o->fmt);
    if (o->mid[0] != '\0')
        g_string_append_printf(b, "a=mid:%s\r\n", o->mid);
}

static int emit_datachannel(GString *b, const tl_sdp *s)
{
    char fp[96], cand[256];
    tl_sdp_candidate check;
    g_string_append_printf(
        b, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n");
    for (size_t i = 0; i < s->n_candidates; i++) {
        if (tl_sdp_format_candidate(&s->candidates[i], cand, sizeof(cand)) != TL_OK ||
            cand_parse_n(cand, strlen(cand), &check) != TL_OK)
            return TL_ERR_INVALID_ARG;
        g_string_append_printf(b, "a=%s\r\n", cand);
    }
    if (s->end_of_candidates)
        g_string_append_printf(b, "a=end-of-candidates\r\n");
    g_string_append_printf(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", s->ice_ufrag, s->ice_pwd);
    if (s->ice_options_trickle)
        g_string_append_printf(b, "a=ice-options:trickle\r\n");
    tl_fingerprint_format(s->fingerprint, fp);
    g_string_append_printf(b, "a=fingerprint:sha-256 %s\r\n", fp);
    if (s->setup != TL_SETUP_NONE)
        g_string_append_printf(b, "a=setup:%s\r\n", tl_sdp_setup_name(s->setup));
    if (s->mid[0] != '\0')
        g_string_append_printf(b, "a=mid:%s\r\n", s->mid);
    g_string_append_printf(b, "a=sctp-port:%u\r\na=max-message-size:%zu\r\n",
                           (unsigned)s->sctp_port, s->max_message_size);
    return TL_OK;
}

int tl_sdp_emit(const tl_sdp *s, char **out)
{
    if (out == NULL)
        return TL_ERR_INVALID_ARG;
    *out = NULL;
    if (s == NULL || emit_check(s) != TL_OK)
        return TL_ERR_INVALID_ARG;
    GString *b = g_string_sized_new(1024); /* aborts rather than fail on no memory */
    g_string_append_printf(b, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                           (unsigned long long)s->session_id,
                           (unsigned long long)s->session_version);
    if (s->ice_lite)
        g_string_append_printf(b, "a=ice-lite\r\n");
    if (s->mid[0] != '\0')
        g_string_append_printf(b, "a=group:BUNDLE %s\r\n", s->mid);
    g_string_append_printf(b, "a=msid-semantic: WMS\r\n");
    size_t dc_at = s->dc_index < 0 ? 0 : (size_t)s->dc_index;
    if (dc_at > s->n_others)
        dc_at = s->n_others;
    int rc = TL_OK;
    for (size_t i = 0; i <= s->n_others && rc == TL_OK; i++) {
        if (i == dc_at)
            rc = emit_datachannel(b, s);
        if (i < s->n_others)
            emit_other(b, &s->others[i]);
    }
    if (rc == TL_OK && !(*out = strdup(b->str))) /* the caller frees with tl_free() */
        rc = TL_ERR_NOMEM;
    g_string_free(b, TRUE);
    return rc;
}

void tl_sdp_init(tl_sdp *sdp)
{
    memset(sdp, 0, sizeof(*sdp));
    memcpy(sdp->mid, "0", 2);
    sdp->sctp_port = 5000;
    sdp->max_message_size = 65536;
    sdp->ice_options_trickle = 1;
}

void tl_sdp_init_answer(tl_sdp *answer, const tl_sdp *offer)
{
    tl_sdp_init(answer);
    memcpy(answer->mid, offer->mid, sizeof(answer->mid));
    answer->dc_index = offer->dc_index;
    answer->n_others = offer->n_others <= TL_SDP_MAX_MSECTIONS ? offer->n_others : 0;
    memcpy(answer->others, offer->others, answer->n_others * sizeof(answer->others[0]));
}

const char *tl_sdp_setup_name(tl_sdp_setup s)
{
    switch (s) {
    case TL_SETUP_ACTPASS:
        return "actpass";
    case TL_SETUP_ACTIVE:
        return "active";
    case TL_SETUP_PASSIVE:
        return "passive";
    case TL_SETUP_HOLDCONN:
        return "holdconn";
    default:
        return "";
    }
}
