/* tallow — the one parser for URLs and HOST:PORT (docs/CLI.md, DEPLOY.md).
 *
 * Built on GLib's GUri (g_uri_split_with_user, g_uri_split_network), so
 * IPv6 literals in brackets, percent-encoding and port ranges follow RFC
 * 3986. The kinds:
 *
 *   TL_URI_WS        ws://HOST[:PORT][/PATH[?QUERY]]  (80)
 *                    wss://...                        (443)
 *   TL_URI_REDIS     redis://[[USER]:PASS@]HOST[:PORT][/DB]  (6379)
 *   TL_URI_ICE       stun:HOST[:PORT]                 (3478)
 *                    turn:[USER:PASS@]HOST[:PORT][?transport=udp|tcp]
 *   TL_URI_HOSTPORT  HOST:PORT, [V6]:PORT, :PORT (HOST "" = any); port 0 ok
 *
 * User names and passwords are percent-decoded: a ':' inside a TURN REST
 * user name ("EXPIRY:NAME") is written %3A, an '@' in a password %40. A
 * userinfo with more than one unencoded ':' or '@' is refused, never split
 * on a guess. Hosts are printable ASCII with no blank (an IPv6 zone "%25if"
 * is decoded to "%if"). Every refusal comes with a reason. */
#ifndef TL_COMMON_URI_H
#define TL_COMMON_URI_H

#include <stddef.h>

typedef enum { TL_URI_WS, TL_URI_REDIS, TL_URI_ICE, TL_URI_HOSTPORT } tl_uri_kind;

#define TL_URI_MAX 1024 /* longest text accepted */

typedef struct {
    char scheme[8]; /* "ws", "wss", "redis", "stun", "turn"; "" for HOSTPORT */
    char host[256]; /* no brackets; "" only for HOSTPORT ":PORT" */
    int port;       /* given, or the scheme's default */
    int port_given;
    int v6;         /* host is an IPv6 literal */
    int tcp;        /* ICE: ?transport=tcp */
    char path[512]; /* WS: path and query ("/" when none); REDIS: "/DB" or "" */
    int has_user;   /* a userinfo was given (REDIS, turn:) */
    char user[256]; /* percent-decoded, "" when absent */
    char pass[256]; /* percent-decoded, "" when absent; tl_uri_wipe clears */
} tl_uri;

/* Parses text as kind. Returns 0 and fills *u, or -1 with *why (when
 * non-NULL) set to a static English reason; *u is wiped on failure. */
int tl_uri_parse(tl_uri *u, tl_uri_kind kind, const char *text, const char **why);

/* Wipes the credentials (and everything else) of u. */
void tl_uri_wipe(tl_uri *u);

/* "HOST:PORT" with brackets around an IPv6 host, into out. Returns the
 * length, or -1 if it did not fit. */
int tl_uri_hostport(const tl_uri *u, char *out, size_t cap);

#endif
