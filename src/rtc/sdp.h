/* Internal: SDP for data-channel-only sessions (RFC 8866, RFC 8841, RFC 8839),
 * sans-I/O. The parser accepts what Chromium and Firefox emit (CRLF or LF,
 * unknown attributes, extra media sections, bundle groups) and rejects
 * malformed input with a reason in err, never a crash. */
#ifndef TL_RTC_SDP_H
#define TL_RTC_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/rtc.h"

#define TL_SDP_MAX_CANDIDATES 64
#define TL_SDP_MAX_MSECTIONS 16
#define TL_SDP_MAX_TEXT (64 * 1024) /* longer input is rejected */

typedef enum {
    TL_SETUP_NONE = 0, /* absent */
    TL_SETUP_ACTPASS,
    TL_SETUP_ACTIVE,
    TL_SETUP_PASSIVE,
    TL_SETUP_HOLDCONN,
} tl_sdp_setup;

typedef struct tl_sdp_candidate {
    char foundation[33];
    uint32_t component;
    char transport[4]; /* "udp" or "tcp" (lower case) */
    uint32_t priority;
    char addr[64]; /* IPv4, IPv6 or an mDNS .local name */
    uint16_t port;
    tl_cand_type type;
    char raddr[64]; /* "" if absent */
    uint16_t rport;
    char tcptype[8]; /* "active", "passive", "so" or "" */
} tl_sdp_candidate;

/* A media section that is not ours (audio, video, a second application
 * section): kept only so an answer can reject it with port 0. */
typedef struct tl_sdp_other_section {
    char media[16]; /* "audio", "video", ... */
    char proto[32]; /* e.g. "UDP/TLS/RTP/SAVPF" */
    char mid[33];   /* "" if the section had no a=mid */
    char fmt[33];   /* its first format (e.g. "111"), repeated when rejecting it */
} tl_sdp_other_section;

typedef struct tl_sdp {
    uint64_t session_id;
    uint64_t session_version;
    /* The application/webrtc-datachannel section ("UDP/DTLS/SCTP" or
     * "DTLS/SCTP" legacy). */
    int has_datachannel;
    int dc_index; /* position of that section among all m= sections */
    char mid[33];
    char ice_ufrag[257];
    char ice_pwd[257];
    int ice_lite;
    int ice_options_trickle;
    int has_fingerprint; /* a sha-256 fingerprint was present */
    uint8_t fingerprint[TL_FINGERPRINT_LEN];
    tl_sdp_setup setup;
    uint16_t sctp_port;      /* a=sctp-port, 5000 when absent */
    size_t max_message_size; /* a=max-message-size; 65536 when absent (RFC 8841 §6.1);
                              * 0 means the peer accepts any size */
    tl_sdp_candidate candidates[TL_SDP_MAX_CANDIDATES];
    size_t n_candidates;
    int end_of_candidates;
    tl_sdp_other_section others[TL_SDP_MAX_MSECTIONS];
    size_t n_others;
} tl_sdp;

/* Sets every field to zero, then the defaults of a local description:
 * mid "0", sctp_port 5000, max_message_size 65536, ice_options_trickle 1.
 * The caller fills ice_ufrag/ice_pwd, fingerprint (+has_fingerprint), setup,
 * session_id/version and candidates. */
void tl_sdp_init(tl_sdp *sdp);

/* Prepares a local answer to offer: tl_sdp_init() plus the offer's mid,
 * dc_index and other sections (which the answer rejects), and setup left
 * TL_SETUP_NONE for the caller (active or passive). */
void tl_sdp_init_answer(tl_sdp *answer, const tl_sdp *offer);

/* "actpass", "active", "passive", "holdconn", or "" for TL_SETUP_NONE. */
const char *tl_sdp_setup_name(tl_sdp_setup s);

/* Parses text (len bytes, need not be NUL-terminated). On failure returns
 * TL_ERR_PARSE and writes a one-line reason into err (errlen > 0), e.g.
 * "line 7: bad a=fingerprint". Session-level ice/fingerprint/setup attributes
 * apply when the media section has none. Returns TL_OK, TL_ERR_PARSE,
 * TL_ERR_TOO_BIG, TL_ERR_UNSUPPORTED (no data-channel section).
 *
 * The data-channel section is the first "m=application" section with
 * UDP/DTLS/SCTP or TCP/DTLS/SCTP webrtc-datachannel (or legacy DTLS/SCTP
 * with a=sctpmap) whose port is not 0 (or that is a=bundle-only). Its
 * attributes come from the section itself, then from the BUNDLE tag section
 * when it is bundled with one, then from the session level; the same goes
 * for its candidates. A usable description needs ice-ufrag (4-256
 * ice-chars), ice-pwd (22-256) and a sha-256 fingerprint; other hash
 * functions are ignored. Candidates with a transport or type we do not know
 * are skipped. Every error string names the line ("line 7: ...") or says
 * "end of input: ..." for something missing. On failure *out is
 * unspecified. */
int tl_sdp_parse(const char *text, size_t len, tl_sdp *out, char *err, size_t errlen);

/* Writes a complete offer or answer for sdp (its candidates as a=candidate
 * lines, a=end-of-candidates when set; the other sections rejected with port
 * 0 in their original order). *out is malloc'd, NUL-terminated; release with
 * tl_free(). Returns TL_OK, TL_ERR_NOMEM, TL_ERR_INVALID_ARG. */
int tl_sdp_emit(const tl_sdp *sdp, char **out);

/* Parses one candidate: "candidate:..." with or without a leading "a=", a
 * trailing CR/LF tolerated, at most 1024 bytes. Unknown extension
 * attributes (generation, ufrag, network-id, network-cost, ...) are skipped.
 * Returns TL_OK, TL_ERR_PARSE, or TL_ERR_UNSUPPORTED for a well-formed
 * candidate whose transport (not udp/tcp) or type (not
 * host/srflx/prflx/relay) we do not handle: callers skip those. */
int tl_sdp_parse_candidate(const char *line, tl_sdp_candidate *out);

/* Formats as "candidate:..." (no "a=", no CRLF). A non-host candidate
 * without raddr is written with "raddr 0.0.0.0 rport 0" as Chromium does.
 * 256 bytes always suffice. Returns TL_OK or TL_ERR_TOO_BIG. */
int tl_sdp_format_candidate(const tl_sdp_candidate *c, char *buf, size_t cap);

/* "AB:CD:..." (32 hex pairs, either case) -> 32 bytes. TL_OK / TL_ERR_PARSE. */
int tl_fingerprint_parse(const char *hex, size_t len, uint8_t out[TL_FINGERPRINT_LEN]);
/* 32 bytes -> "AB:CD:...", NUL-terminated; buf must hold 96 bytes. */
void tl_fingerprint_format(const uint8_t fp[TL_FINGERPRINT_LEN], char buf[96]);

/* Verifies a peer certificate (DER) against the fingerprint from the SDP:
 * SHA-256 of der compared in constant time. Returns TL_OK or TL_ERR_AUTH. */
int tl_fingerprint_verify(const uint8_t expected[TL_FINGERPRINT_LEN], const uint8_t *der,
                          size_t der_len);

#endif
