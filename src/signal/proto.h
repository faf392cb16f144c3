/* Internal: the signaling wire protocol (docs/SIGNALING.md), sans-I/O.
 *
 * tl_sig_parse() turns one WebSocket text message into a validated
 * tl_sig_msg or a protocol error; builders produce the JSON text of outgoing
 * messages. No sockets, no clock, no globals. */
#ifndef TL_SIGNAL_PROTO_H
#define TL_SIGNAL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tallow/signal.h"

#define TL_SIG_VERSION 1
#define TL_SIG_NAME_MAX 64
#define TL_SIG_ID_LEN 16     /* peer id: 16 lowercase hex digits */
#define TL_SIG_TOKEN_LEN 32  /* resume token: 32 lowercase hex digits */
#define TL_SIG_INVITE_LEN 32 /* invite id: 32 lowercase hex digits */
#define TL_SIG_SDP_MAX 60000
#define TL_SIG_CAND_MAX 1024
#define TL_SIG_MID_MAX 64
#define TL_SIG_BLOB_MAX 4096 /* base64 characters (3072 bytes) */
#define TL_SIG_PROOF_LEN 32
#define TL_SIG_GROUP_NONE UINT32_MAX

typedef enum {
    TL_SIG_NONE = 0,
    TL_SIG_REGISTER,
    TL_SIG_CREATE_GROUP,
    TL_SIG_INVITE,
    TL_SIG_JOIN,
    TL_SIG_MEMBERS,
    TL_SIG_OFFER,
    TL_SIG_ANSWER,
    TL_SIG_CANDIDATE,
    TL_SIG_EOC,
    TL_SIG_ICE_RESTART,
    TL_SIG_LEAVE,
    TL_SIG_PING,
    TL_SIG_PONG,
    TL_SIG_TYPE_COUNT
} tl_sig_type;

/* Error replies; tl_sig_err_code() gives the wire string. */
typedef enum {
    TL_SIGE_OK = 0,
    TL_SIGE_BAD_JSON,        /* "bad-json": not a JSON object */
    TL_SIGE_UNKNOWN_TYPE,    /* "unknown-type" */
    TL_SIGE_MISSING_FIELD,   /* "missing-field" */
    TL_SIGE_BAD_FIELD,       /* "bad-field": wrong JSON type or format */
    TL_SIGE_FIELD_TOO_BIG,   /* "field-too-big" */
    TL_SIGE_TOO_BIG,         /* "too-big": the message exceeds max_msg */
    TL_SIGE_VERSION,         /* "unsupported-version" */
    TL_SIGE_RATE_LIMITED,    /* "rate-limited" */
    TL_SIGE_NOT_REGISTERED,  /* "not-registered" */
    TL_SIGE_ALREADY_REG,     /* "already-registered" */
    TL_SIGE_NOT_MEMBER,      /* "not-member" */
    TL_SIGE_NO_SUCH_PEER,    /* "no-such-peer" (not a member of that group) */
    TL_SIGE_PEER_OFFLINE,    /* "peer-offline" */
    TL_SIGE_GROUP_FULL,      /* "group-full" */
    TL_SIGE_BAD_CODE,        /* "bad-code": no such group or wrong proof */
    TL_SIGE_JOIN_LIMITED,    /* "join-rate-limited" */
    TL_SIGE_NAME_TAKEN,      /* "name-taken" */
    TL_SIGE_NO_SUCH_DEVICE,  /* "no-such-device" */
    TL_SIGE_NO_SUCH_INVITE,  /* "no-such-invite" */
    TL_SIGE_GROUP_EXISTS,    /* "group-exists" */
    TL_SIGE_TOO_MANY_GROUPS, /* "too-many-groups" */
    TL_SIGE_INTERNAL,        /* "internal" */
    TL_SIGE_UNAVAILABLE,     /* "unavailable": scale-out store unreachable */
    TL_SIGE_NOT_CREATOR,     /* "not-creator": offers come from the group's creator only */
    TL_SIGE_COUNT
} tl_sig_err;

/* A piece of the received text. */
typedef struct tl_sig_span {
    const char *p; /* NULL when absent */
    size_t len;
} tl_sig_span;

typedef struct tl_sig_msg {
    tl_sig_type type;
    int has_rid;
    int64_t rid;
    char name[TL_SIG_NAME_MAX + 1]; /* register */
    char peer[TL_SIG_ID_LEN + 1];   /* register (resume) */
    char token[TL_SIG_TOKEN_LEN + 1];
    uint32_t group;             /* TL_SIG_GROUP_NONE if absent */
    char to[TL_SIG_ID_LEN + 1]; /* relays: target peer */
    char invite[TL_SIG_INVITE_LEN + 1];
    int has_proof; /* join (code) / create-group (verifier) */
    uint8_t proof[TL_SIG_PROOF_LEN];
    uint32_t max;    /* create-group: 0 = server default */
    const char *sdp; /* offer/answer/ice-restart; points into root */
    const char *candidate;
    const char *mid;  /* NULL if absent */
    const char *blob; /* invite: base64 text, NULL if absent */
    cJSON *root;      /* owns the strings above (cJSON path) */
    char *own;        /* owns them on the fast relay path (one block) */
    /* Fast relay path only: sdp, candidate and mid as they appear between
     * the quotes of the received text, which the fast path accepts only in
     * the escaped form cJSON prints; the relay builder copies them as they
     * are. p is NULL otherwise. */
    tl_sig_span sdp_json, candidate_json, mid_json;
} tl_sig_msg;

/* Parses and validates one message of len bytes (max_len: the message-size
 * limit). On TL_SIGE_OK the caller owns *out (tl_sig_msg_clear). On error
 * *out is cleared except type (set when the type was recognised) and rid, and
 * *field names the offending field ("" if none). Never reads beyond len.
 *
 * Relays (offer, answer, candidate, end-of-candidates, ice-restart) in the
 * plain shape clients send (a flat object of strings plus a numeric rid,
 * strings in the escaped form cJSON prints, no duplicate keys) are read by a
 * scanner without building a cJSON tree; anything else, and anything it is
 * unsure of, goes through cJSON. Both give the same result for every input
 * the scanner accepts (tests and the fuzz target check this). */
tl_sig_err tl_sig_parse(const char *buf, size_t len, size_t max_len, tl_sig_msg *out,
                        const char **field);
void tl_sig_msg_clear(tl_sig_msg *m);

const char *tl_sig_type_name(tl_sig_type t);
const char *tl_sig_err_code(tl_sig_err e);

/* Checks on identifiers (NUL-terminated). */
int tl_sig_valid_name(const char *s);
int tl_sig_valid_hex(const char *s, size_t len);
/* n bytes as 2n lowercase hex digits plus a NUL. */
void tl_sig_hex_encode(const uint8_t *in, size_t n, char *out);
/* Exactly 2n lowercase hex digits into n bytes. Returns 0, or -1 (out
 * untouched) for anything else. */
int tl_sig_hex_decode(const char *s, uint8_t *out, size_t n);

/* Standard base64 (with padding). Returns the decoded length or -1 when
 * invalid or longer than cap. */
long tl_sig_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap);
/* Writes NUL-terminated base64 of in; cap must be >= 4*((len+2)/3)+1.
 * Returns the text length or -1. */
long tl_sig_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

void tl_sig_group_str(uint32_t group, char out[8]);

/* An ICE server URL a server may hand out or a client may take from one:
 * "stun:" or "turn:" then 1..255 printable ASCII characters without blanks,
 * quotes or backslashes. */
int tl_sig_valid_ice_url(const char *url);
/* 1..max printable ASCII characters (0x21..0x7e). */
int tl_sig_valid_text(const char *s, size_t max);

/* The "ice_servers" of a "registered" message (SIGNALING.md §2, "ICE
 * servers") into out: at most TL_SIGNAL_MAX_ICE entries, each with a valid
 * stun:/turn: URL and, for turn:, a username and credential of 1..255
 * printable ASCII characters; anything else is skipped. The strings are
 * g_malloc'd: release with tl_sig_ice_servers_clear (wipes credentials).
 * Returns the number taken. */
size_t tl_sig_ice_servers_take(const cJSON *registered, tl_ice_server out[TL_SIGNAL_MAX_ICE]);
void tl_sig_ice_servers_clear(tl_ice_server *servers, size_t n);

/* TURN REST API credential (coturn use-auth-secret): user = "EXPIRY:PEER"
 * (EXPIRY in Unix seconds), cred = base64(HMAC-SHA1(secret, user)). Pure: the
 * caller supplies the expiry. ucap >= 48, ccap >= 29. Returns 0 or -1. */
int tl_sig_turn_credential(const char *secret, uint64_t expiry, const char *peer, char *user,
                           size_t ucap, char *cred, size_t ccap);

/* Builders: return malloc'd NUL-terminated JSON (free()), NULL on OOM.
 * ref: the request type answered ("" if unknown); detail may be NULL. */
char *tl_sig_build_error(tl_sig_err e, const char *ref, int has_rid, int64_t rid,
                         const char *detail);
/* A relay as delivered to the target: type, group, from + payload of m. */
char *tl_sig_build_relay(const tl_sig_msg *m, const char *from);
/* The same text without allocating: at most tl_sig_relay_max_len() bytes
 * written to buf plus a NUL; returns the length. */
size_t tl_sig_relay_max_len(const tl_sig_msg *m, const char *from);
size_t tl_sig_write_relay(const tl_sig_msg *m, const char *from, char *buf);
/* Parses with cJSON only (the reference for the fast relay path). */
tl_sig_err tl_sig_parse_slow(const char *buf, size_t len, size_t max_len, tl_sig_msg *out,
                             const char **field);
/* Prints obj unformatted and deletes it. */
char *tl_sig_print_free(cJSON *obj);
/* {"type":type} plus "rid" when has_rid. */
cJSON *tl_sig_reply(const char *type, int has_rid, int64_t rid);

#endif
