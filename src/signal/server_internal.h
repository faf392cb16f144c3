/* Internal: shared between server.c (libwebsockets edge), router.c (request
 * handling and event application) and bus.c (Redis scale-out). */
#ifndef TL_SIGNAL_SERVER_INTERNAL_H
#define TL_SIGNAL_SERVER_INTERNAL_H

#include <glib.h>
#include <libwebsockets.h>
#include <uv.h>

#include "signal/groups.h"
#include "signal/proto.h"
#include "tallow/signal.h"

#define TL_SIG_OUTQ_MAX_BYTES (1u << 20) /* per connection, then it is dropped */
#define TL_SIG_JOIN_BURST 5.0            /* wrong joins per connection ... */
#define TL_SIG_JOIN_RATE (1.0 / 12.0)    /* ... refilled one per 12 s */
#define TL_SIG_GJOIN_BURST 10.0          /* wrong joins per group ... */
#define TL_SIG_GJOIN_RATE (1.0 / 6.0)    /* ... refilled one per 6 s */
#define TL_SIG_WRONG_JOIN_CLOSE 20       /* wrong joins before the server hangs up */
#define TL_SIG_INVITE_TTL_MS 300000u
#define TL_SIG_HB_MS 1000u
#define TL_SIG_SRV_DEAD_MS 5000u

typedef struct tl_sig_out {
    struct tl_sig_out *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes, then len bytes */
} tl_sig_out;

typedef struct tl_sig_conn {
    struct tl_signal_server *srv;
    struct lws *wsi;
    uint64_t serial;
    tl_sig_peer *peer; /* bound after registration */
    int registering;
    char token[TL_SIG_TOKEN_LEN + 1]; /* sent back in "registered" */
    tl_sig_bucket rate;
    tl_sig_bucket joins;
    unsigned wrong_joins;
    /* receive assembly */
    char *rx;
    size_t rx_len;
    int rx_overflow;
    /* send queue */
    tl_sig_out *out_head, *out_tail;
    size_t out_bytes;
    int closing;     /* hang up after the queue drains */
    int kill;        /* hang up now */
    int clean_close; /* peer sent a close frame with 1000 */
    int ping_due;    /* send a WebSocket ping at the next WRITEABLE */
    uint64_t last_rx_ms;
} tl_sig_conn;

typedef struct tl_sig_bus tl_sig_bus;

struct tl_signal_server {
    tl_loop *loop;
    GMainLoop *gloop; /* wraps the tl_loop's context for lws (GLib backend) */
    uv_loop_t *uv;    /* epoll backend: a libuv loop run from one GSource */
    GSource *uv_src;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    tl_signal_server_config cfg;
    char id[TL_SIG_SRV_LEN + 1];
    tl_sig_state st;
    GHashTable *conns; /* serial -> tl_sig_conn* */
    uint64_t next_serial;
    tl_sig_bus *bus;   /* NULL without Redis */
    GSource *tick;     /* 1 s housekeeping */
    GHashTable *grace; /* peer id -> expiry ms, peers this server will expire */
    int port;
    int freeing;
    char *ice_urls[TL_SIGNAL_MAX_ICE]; /* handed out in "registered" */
    size_t n_ice;
    char *turn_secret;          /* wiped on free */
    char *cert_path, *key_path; /* wss: re-read by tl_signal_server_reload_cert() */
    struct ssl_ctx_st *ssl_ctx; /* the vhost's SSL_CTX (owned by lws) */
};

/* server.c */
void tl_sig_conn_send(tl_sig_conn *c, const char *text, size_t len);
void tl_sig_conn_send_str(tl_sig_conn *c, char *text_owned);
void tl_sig_conn_close(tl_sig_conn *c);
uint64_t tl_sig_now(const struct tl_signal_server *s);
/* Wall clock, Unix seconds (TURN credential expiry only). */
uint64_t tl_sig_wall_s(const struct tl_signal_server *s);

/* router.c */
void tl_sig_handle_text(tl_sig_conn *c, const char *buf, size_t len);
void tl_sig_handle_too_big(tl_sig_conn *c);
void tl_sig_handle_disconnect(tl_sig_conn *c);
/* Applies one bus event (JSON text). Every server applies the same events in
 * the same order. */
void tl_sig_apply_event(struct tl_signal_server *s, const char *text, size_t len);
/* Delivers a relayed message to a local peer (from another server). */
void tl_sig_deliver_local(struct tl_signal_server *s, const char *peer, const char *text,
                          size_t len);
/* Housekeeping every second: grace expiry, invite expiry, dead servers. */
void tl_sig_tick(struct tl_signal_server *s);
void tl_sig_server_dead(struct tl_signal_server *s, const char *srv_id);
/* Scale-out catch-up: replaces the state with a snapshot (NULL: empty) and
 * re-binds local connections to their peers by id. Returns 0, or -1 if the
 * snapshot is malformed (the state is then left as it was). */
int tl_sig_state_replace(struct tl_signal_server *s, const char *snap, size_t len);
/* After a lost Redis link is back and caught up: local connections whose
 * peer the shared state no longer has online here are closed (the clients
 * register again), and peers the state has online here without a connection
 * are reported offline. */
void tl_sig_reconcile(struct tl_signal_server *s);
/* Another server saw a wrong join into group: it counts against the group's
 * limit here too. */
void tl_sig_wrong_join_remote(struct tl_signal_server *s, uint32_t group);

/* bus.c — without Redis, publish applies the event at once. With Redis it
 * returns -1 (and drops the event) while the server is not linked to Redis
 * and caught up; request handlers answer "unavailable" then. */
int tl_sig_bus_new(tl_sig_bus **out, struct tl_signal_server *s, const char *url);
void tl_sig_bus_free(tl_sig_bus *b);
int tl_sig_bus_publish(struct tl_signal_server *s, cJSON *ev_owned);
void tl_sig_bus_wrong_join(struct tl_signal_server *s, uint32_t group);
/* Sends text to peer on server srv_id. */
void tl_sig_bus_route(struct tl_signal_server *s, const char *srv_id, const char *peer,
                      const char *text, size_t len);
void tl_sig_bus_tick(struct tl_signal_server *s);

#endif
