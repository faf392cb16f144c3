/* tallow — signaling: join codes, the WebSocket signaling server and client.
 *
 * The wire protocol is described in docs/SIGNALING.md. The server only routes:
 * it sees device names, peer ids, group numbers, SDP/candidates and opaque
 * invite blobs, never file names, keys or content.
 *
 * Threading (tallow/loop.h): servers and clients belong to the tl_loop they
 * were created on (they use its GMainContext through libwebsockets' GLib
 * event-loop integration and hiredis' GLib adapter); call them only on that
 * loop's thread. Callbacks run on the loop thread, never from inside the API
 * call that caused them. Any client function, including tl_signal_client_free,
 * may be called from inside a client callback.
 *
 * Strings passed to callbacks are valid only during the callback. */
#ifndef TALLOW_SIGNAL_H
#define TALLOW_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/common.h"
#include "tallow/loop.h"
#include "tallow/rtc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

/* ---------------------------------------------------------------- join codes */

#define TL_JOINCODE_SECRET_LEN 32
#define TL_JOINCODE_PROOF_LEN 32
#define TL_JOINCODE_MAX_TEXT 360  /* including the NUL */
#define TL_JOINCODE_SENDER_LEN 20 /* a long code's commitment to the sender: 160 bits */

/* A parsed join code. secret feeds the key schedule and never leaves the
 * process; proof is what the server compares. Wipe with tl_joincode_wipe(). */
typedef struct tl_joincode {
    char url[256];  /* "ws://host:port" / "wss://host:port", "" if the code had none */
    uint32_t group; /* 0..999999 */
    uint8_t proof[TL_JOINCODE_PROOF_LEN];
    uint8_t secret[TL_JOINCODE_SECRET_LEN];
    /* A long code (or a link) also commits to the sender's identity: the
     * first 160 bits of its hash (docs/CRYPTO.md §3). */
    uint8_t sender[TL_JOINCODE_SENDER_LEN];
    int has_sender;
} tl_joincode;

/* Parses a code typed by a user: case-insensitive, words separated by '-' or
 * spaces, each word given whole or by its first four letters, optionally
 * followed by the 32-character commitment to the sender of a long code. Returns TL_OK,
 * TL_ERR_INVALID_ARG (NULL) or TL_ERR_PARSE (not a code / unknown word). */
int tl_joincode_parse(const char *text, tl_joincode *out);

/* Overwrites every field of jc (OPENSSL_cleanse). */
void tl_joincode_wipe(tl_joincode *jc);

/* ------------------------------------------------------------------- server */

typedef struct tl_signal_server tl_signal_server;

#define TL_SIGNAL_MAX_ICE 4 /* ICE servers a server hands out / a client keeps */

/* Zero-initialise and set what you need; 0 / NULL means the default. */
typedef struct tl_signal_server_config {
    const char *listen;   /* "HOST:PORT", "[V6]:PORT" or ":PORT"; default
                             "127.0.0.1:7788"; port 0 picks a free port */
    const char *cert_pem; /* with key_pem: serve wss (PEM file paths) */
    const char *key_pem;
    const char *redis_url;   /* "redis://[[USER]:PASS@]HOST:PORT": scale-out (SIGNALING.md §6) */
    uint32_t max_group;      /* members per group, default 64 */
    uint32_t max_msg;        /* bytes per WebSocket message, default 65536 */
    uint32_t rate_per_s;     /* per-connection token bucket refill, default 100/s */
    uint32_t rate_burst;     /* per-connection bucket size, default 400 */
    uint32_t idle_timeout_s; /* ping after half of it idle, drop after it; default 60 */
    uint32_t resume_grace_s; /* a dropped peer keeps its place this long, default 30 */
    uint32_t max_conns;      /* connections per server, default 16384 */
    uint32_t snapshot_every; /* with Redis: state events between snapshots of the shared
                                state (also every 10 s if it changed), default 500; the
                                log keeps 4x this many events before the snapshot */
    /* ICE servers handed to every client in "registered" (SIGNALING.md §2,
     * "ICE servers"): "stun:HOST[:PORT]" / "turn:HOST[:PORT][?transport=udp|tcp]".
     * turn: URLs need turn_secret: each client gets its own short-lived
     * credential per the TURN REST API convention (coturn use-auth-secret):
     * username "EXPIRY:PEER", password base64(HMAC-SHA1(secret, username)). */
    const char *const *ice_urls;
    size_t n_ice_urls;       /* at most TL_SIGNAL_MAX_ICE */
    const char *turn_secret; /* coturn's static-auth-secret */
    uint32_t turn_ttl_s;     /* credential lifetime, default 43200 (12 h) */
    int glib_io;             /* 1: lws' GLib plugin (a GSource per socket); 0 (default):
                                lws' libuv backend whose epoll descriptor is polled by one
                                GSource of the loop (O(ready sockets) per iteration) */
} tl_signal_server_config;

/* Creates a server listening on cfg->listen, running on loop. With
 * cfg->redis_url, connects to Redis first (synchronously, 2 s timeout).
 * Returns TL_OK, TL_ERR_INVALID_ARG (bad listen address, only one of
 * cert/key), TL_ERR_IO (cannot bind, cannot read the certificate, Redis
 * unreachable) or TL_ERR_NOMEM. */
int tl_signal_server_new(tl_signal_server **out, tl_loop *loop, const tl_signal_server_config *cfg);

/* The TCP port actually bound (useful with port 0). */
int tl_signal_server_port(const tl_signal_server *s);

/* wss only: re-reads the certificate chain and key from the files given as
 * cert_pem/key_pem and serves them on new connections; open connections are
 * kept. On any error (unreadable file, key not matching the certificate) the
 * old certificate stays in use. Returns TL_OK, TL_ERR_STATE (not wss),
 * TL_ERR_IO, TL_ERR_AUTH (mismatch), TL_ERR_CRYPTO or TL_ERR_NOMEM. */
int tl_signal_server_reload_cert(tl_signal_server *s);

/* Number of open client connections. */
size_t tl_signal_server_conn_count(const tl_signal_server *s);

/* Closes every connection and frees the server. Not from inside a callback of
 * a client on the same loop's stack of this server (no server callbacks exist).
 * NULL is a no-op. */
void tl_signal_server_free(tl_signal_server *s);

/* ------------------------------------------------------------------- client */

typedef struct tl_signal_client tl_signal_client;

typedef enum {
    TL_SIGNAL_CONNECTING = 0, /* opening the WebSocket */
    TL_SIGNAL_READY,          /* registered; requests are sent immediately */
    TL_SIGNAL_RECONNECTING,   /* connection lost, waiting for the next attempt */
    TL_SIGNAL_CLOSED,         /* gave up (max_attempts) or freed */
} tl_signal_state;

typedef struct tl_signal_member {
    const char *peer; /* peer id */
    const char *name; /* device name, "" if none */
    int creator;      /* the group's creator: its sender, the only member whose
                         offers the server relays */
} tl_signal_member;

/* Every callback is optional. group is the 6-digit group number as a string,
 * peer / from are peer ids. */
typedef struct tl_signal_callbacks {
    void (*on_state)(void *ud, tl_signal_state state);
    /* Registered (again, after a reconnect: resumed != 0 when the server kept
     * this peer id and its groups). */
    void (*on_registered)(void *ud, const char *peer_id, int resumed);
    /* tl_signal_client_create_group() succeeded. code is the text to show the
     * recipients; secret goes to the key schedule (the caller wipes copies). */
    void (*on_group_created)(void *ud, const char *group, const char *code,
                             const uint8_t secret[TL_JOINCODE_SECRET_LEN]);
    /* This client joined group (by code or invite); members lists the others. */
    void (*on_joined)(void *ud, const char *group, const tl_signal_member *members, size_t n);
    void (*on_invite)(void *ud, const char *invite_id, const char *group, const char *from,
                      const char *from_name, const uint8_t *blob, size_t blob_len);
    /* Another peer joined (rejoined != 0: it came back after a drop). */
    void (*on_peer_joined)(void *ud, const char *group, const char *peer, const char *name,
                           int rejoined);
    void (*on_peer_left)(void *ud, const char *group, const char *peer);
    /* The peer's connection dropped; it may come back (on_peer_joined with
     * rejoined) within the server's grace time. */
    void (*on_peer_gone)(void *ud, const char *group, const char *peer);
    void (*on_offer)(void *ud, const char *group, const char *from, const char *sdp);
    void (*on_answer)(void *ud, const char *group, const char *from, const char *sdp);
    void (*on_candidate)(void *ud, const char *group, const char *from, const char *candidate,
                         const char *mid);
    void (*on_end_of_candidates)(void *ud, const char *group, const char *from);
    void (*on_ice_restart)(void *ud, const char *group, const char *from, const char *sdp);
    void (*on_left)(void *ud, const char *group);
    /* An error reply. code is the protocol's error code ("not-member", ...),
     * request the type of the request it answers ("" if unknown). */
    void (*on_error)(void *ud, const char *code, const char *request, const char *message);
} tl_signal_callbacks;

typedef struct tl_signal_client_config {
    const char *const *urls; /* "ws://host:port" / "wss://host:port"; tried in turn */
    size_t n_urls;
    const char *name; /* device name to register, NULL for none */
    /* wss: the server's certificate must chain to a trusted root and name the
     * URL's host (DNS name or IP address); otherwise the client reports
     * on_error(code "certificate", request "connect", message naming the
     * problem, e.g. "certificate verify failed: self-signed certificate ...")
     * and goes to CLOSED at once, without retrying. */
    const char *ca_pem;      /* wss: trust only the certificates in this PEM file (a
                                private CA or a self-signed certificate); NULL = the
                                system store (OpenSSL's default paths, /etc/ssl/certs) */
    int insecure;            /* wss: accept any certificate and host name (explicit
                                opt-out: the connection is then open to a man in the middle) */
    uint32_t backoff_min_ms; /* reconnect backoff: default 250 ms, doubling ... */
    uint32_t backoff_max_ms; /* ... up to 5000 ms, with +-20% jitter */
    uint32_t max_attempts;   /* consecutive failed connects before CLOSED; 0 = forever */
} tl_signal_client_config;

/* Creates a client and starts connecting. urls and strings are copied.
 * Returns TL_OK, TL_ERR_INVALID_ARG (no URL, bad URL, bad name), TL_ERR_IO
 * (cannot set up TLS / read ca_pem) or TL_ERR_NOMEM. */
int tl_signal_client_new(tl_signal_client **out, tl_loop *loop, const tl_signal_client_config *cfg,
                         const tl_signal_callbacks *cb, void *ud);

/* Drops the connection and frees the client. The server sees a drop: the
 * groups get peer-gone now and group-left after its grace time; call
 * tl_signal_client_leave() first (and wait for on_left) to leave at once.
 * NULL is a no-op. Allowed inside callbacks (the release is deferred to the
 * loop; no callback runs after this call). */
void tl_signal_client_free(tl_signal_client *c);

tl_signal_state tl_signal_client_state(const tl_signal_client *c);

/* The peer id, or "" before the first registration. */
const char *tl_signal_client_peer_id(const tl_signal_client *c);

/* The ICE servers (STUN/TURN with credentials) the server handed out at the
 * last registration; valid until the next registration or free. Returns
 * their number (0 if the server gives none). */
size_t tl_signal_client_ice_servers(const tl_signal_client *c, const tl_ice_server **out);

/* Requests below are queued (at most 1024 while not READY) and sent in order.
 * Each returns TL_OK, TL_ERR_INVALID_ARG (NULL / over-long field),
 * TL_ERR_LIMIT (queue full) or TL_ERR_NOMEM; the outcome arrives through a
 * callback (or on_error). */

/* Creates a group; on_group_created gives its code. location is put into the
 * code ("ws://host:port"); NULL uses the URL this client is connected to. */
int tl_signal_client_create_group(tl_signal_client *c, const char *location);

/* Re-creates the group of an earlier join code (the creator restarting: same
 * group number, same secret, so joiners can come back). Fails with
 * "group-exists" through on_error if the group is live. Returns as above, or
 * TL_ERR_PARSE for a code that does not parse. */
int tl_signal_client_create_group_code(tl_signal_client *c, const char *code, const char *location);

/* Invites the device registered as name into group, with an opaque blob
 * (at most 3072 bytes; the sender may encrypt it). */
int tl_signal_client_invite(tl_signal_client *c, const char *group, const char *name,
                            const uint8_t *blob, size_t blob_len);

int tl_signal_client_join_code(tl_signal_client *c, const tl_joincode *code);
int tl_signal_client_join_invite(tl_signal_client *c, const char *invite_id);
int tl_signal_client_leave(tl_signal_client *c, const char *group);

int tl_signal_client_send_offer(tl_signal_client *c, const char *group, const char *peer,
                                const char *sdp);
int tl_signal_client_send_answer(tl_signal_client *c, const char *group, const char *peer,
                                 const char *sdp);
/* mid may be NULL. */
int tl_signal_client_send_candidate(tl_signal_client *c, const char *group, const char *peer,
                                    const char *candidate, const char *mid);
int tl_signal_client_send_end_of_candidates(tl_signal_client *c, const char *group,
                                            const char *peer);
int tl_signal_client_send_ice_restart(tl_signal_client *c, const char *group, const char *peer,
                                      const char *sdp);

/* Sends one raw text frame as is (tests and tools; bypasses validation). */
int tl_signal_client_send_raw(tl_signal_client *c, const char *text, size_t len);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
