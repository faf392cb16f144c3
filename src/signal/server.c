/* Signaling server: the libwebsockets edge (listen, frames, send queues,
 * idle pings) on the tl_loop's GMainContext. Requests go to router.c. */
#define _GNU_SOURCE /* uv.h needs POSIX thread types */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include "common/loop_internal.h"
#include "signal/server_internal.h"
#include "common/uri.h"
#include "tallow/crypto.h"
#include "common/bytes.h"

#define DEF_LISTEN "127.0.0.1:7788"
#define TL_SIG_DIRECT_MAX 4096

uint64_t tl_sig_now(const tl_signal_server *s)
{
    return tl_loop_now_ms(s->loop);
}

uint64_t tl_sig_wall_s(const tl_signal_server *s)
{
    (void)s;
    return (uint64_t)g_get_real_time() / 1000000u;
}

/* Copies the ICE servers to hand out (the caller's strings may go away). */
static int keep_ice(tl_signal_server *s, const tl_signal_server_config *c)
{
    if (c->n_ice_urls > TL_SIGNAL_MAX_ICE || (c->n_ice_urls && !c->ice_urls))
        return TL_ERR_INVALID_ARG;
    for (size_t i = 0; i < c->n_ice_urls; i++) {
        if (!tl_sig_valid_ice_url(c->ice_urls[i]))
            return TL_ERR_INVALID_ARG;
        if (!strncmp(c->ice_urls[i], "turn:", 5) && (!c->turn_secret || !c->turn_secret[0]))
            return TL_ERR_INVALID_ARG;
        if (!(s->ice_urls[i] = strdup(c->ice_urls[i])))
            return TL_ERR_NOMEM;
        s->n_ice = i + 1;
    }
    if (c->turn_secret && c->turn_secret[0] && !(s->turn_secret = strdup(c->turn_secret)))
        return TL_ERR_NOMEM;
    s->cfg.ice_urls = NULL;
    s->cfg.n_ice_urls = 0;
    s->cfg.turn_secret = NULL;
    return TL_OK;
}

static void out_free_all(tl_sig_conn *c)
{
    while (c->out_head) {
        tl_sig_out *o = c->out_head;
        c->out_head = o->next;
        free(o);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

void tl_sig_conn_close(tl_sig_conn *c)
{
    if (c->kill)
        return;
    c->kill = 1;
    lws_callback_on_writable(c->wsi);
}

void tl_sig_conn_send(tl_sig_conn *c, const char *text, size_t len)
{
    if (c->kill || c->closing)
        return;
    if (c->out_bytes + len > TL_SIG_OUTQ_MAX_BYTES) {
        /* A reader that does not keep up is dropped rather than buffered. */
        tl_loop_log(c->srv->loop, TL_LOG_INFO, "signal", "conn %llu: send queue full, closing",
                    (unsigned long long)c->serial);
        tl_sig_conn_close(c);
        return;
    }
    if (!c->out_head && !c->ping_due && !lws_partial_buffered(c->wsi)) {
        /* Fast path: write now. Saves two epoll_ctl calls and a loop
         * iteration per relayed message. No poll() for POLLOUT first (it was
         * a third syscall per relay): with nothing buffered, lws 4.1's
         * lws_issue_raw() keeps whatever send() did not take (all of it on
         * EAGAIN) on its buflist, returns the full length and finishes the
         * frame itself on the next WRITEABLE. While that buflist is not
         * empty, messages wait in our queue (bounded by
         * TL_SIG_OUTQ_MAX_BYTES), because lws_write() would append them to
         * the buflist unbounded and return only what it sent of the older
         * data. */
        unsigned char small[LWS_PRE + TL_SIG_DIRECT_MAX], *buf = small;
        if (len > TL_SIG_DIRECT_MAX && !(buf = malloc(LWS_PRE + len))) {
            tl_sig_conn_close(c);
            return;
        }
        memcpy(buf + LWS_PRE, text, len);
        if (lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
            tl_sig_conn_close(c);
        if (buf != small)
            free(buf);
        return;
    }
    tl_sig_out *o = malloc(sizeof(*o) + LWS_PRE + len);
    if (!o) {
        tl_sig_conn_close(c);
        return;
    }
    o->next = NULL;
    o->len = len;
    memcpy(o->buf + LWS_PRE, text, len);
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->out_bytes += len;
    lws_callback_on_writable(c->wsi);
}

void tl_sig_conn_send_str(tl_sig_conn *c, char *text_owned)
{
    if (!text_owned)
        return;
    tl_sig_conn_send(c, text_owned, strlen(text_owned));
    cJSON_free(text_owned);
}

static int on_writeable(tl_sig_conn *c)
{
    if (c->kill)
        return -1;
    if (c->ping_due) {
        /* A payload: lws 4.1 drops an empty pong before
         * LWS_CALLBACK_RECEIVE_PONG, so a client answering empty pings
         * would still be hung up as idle. */
        unsigned char buf[LWS_PRE + 4];
        memcpy(buf + LWS_PRE, "tlka", 4);
        c->ping_due = 0;
        if (lws_write(c->wsi, buf + LWS_PRE, 4, LWS_WRITE_PING) < 0)
            return -1;
        if (c->out_head)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    tl_sig_out *o = c->out_head;
    if (!o)
        return c->closing ? -1 : 0;
    int n = lws_write(c->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
    if (n < (int)o->len)
        return -1;
    c->out_head = o->next;
    if (!c->out_head)
        c->out_tail = NULL;
    c->out_bytes -= o->len;
    free(o);
    if (c->out_head || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

/* Whole messages in one frame (the usual case) are handled straight from
 * lws' buffer; fragmented ones are assembled in a buffer that grows to at
 * most max_msg and is released after the message. */
static void on_receive(tl_sig_conn *c, const char *in, size_t len)
{
    size_t max = c->srv->cfg.max_msg;
    int first = lws_is_first_fragment(c->wsi), final = lws_is_final_fragment(c->wsi);
    if (first && final && !lws_remaining_packet_payload(c->wsi)) {
        if (len > max)
            tl_sig_handle_too_big(c);
        else
            tl_sig_handle_text(c, in, len);
        return;
    }
    if (first) {
        c->rx_len = 0;
        c->rx_overflow = 0;
    }
    if (!c->rx_overflow) {
        if (c->rx_len + len > max) {
            c->rx_overflow = 1;
        } else {
            char *nb = realloc(c->rx, c->rx_len + len + 1);
            if (!nb) {
                c->rx_overflow = 1;
            } else {
                c->rx = nb;
                memcpy(c->rx + c->rx_len, in, len);
                c->rx_len += len;
            }
        }
    }
    if (!final || lws_remaining_packet_payload(c->wsi))
        return;
    if (c->rx_overflow)
        tl_sig_handle_too_big(c);
    else
        tl_sig_handle_text(c, c->rx, c->rx_len);
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
    c->rx_overflow = 0;
}

static tl_sig_conn *conn_new(tl_signal_server *s, struct lws *wsi)
{
    tl_sig_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->srv = s;
    c->wsi = wsi;
    c->serial = ++s->next_serial;
    c->last_rx_ms = tl_sig_now(s);
    g_hash_table_insert(s->conns, &c->serial, c);
    return c;
}

static void conn_free(tl_sig_conn *c)
{
    g_hash_table_remove(c->srv->conns, &c->serial);
    out_free_all(c);
    free(c->rx);
    free(c);
}

static int cb_signal(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    tl_signal_server *s = lws_context_user(lws_get_context(wsi));
    if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS) {
        /* The vhost's server SSL_CTX: tl_signal_server_reload_cert() swaps
         * the certificate in it. */
        if (s)
            s->ssl_ctx = user;
        return 0;
    }
    tl_sig_conn **pc = user;
    tl_sig_conn *c = pc ? *pc : NULL;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        if (g_hash_table_size(s->conns) >= s->cfg.max_conns)
            return -1;
        /* Signaling is latency-bound small messages: no Nagle. */
        int one = 1;
        setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        *pc = conn_new(s, wsi);
        return *pc ? 0 : -1;
    }
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c)
            c->last_rx_ms = tl_sig_now(s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!c || c->kill)
            return c ? -1 : 0;
        c->last_rx_ms = tl_sig_now(s);
        if (lws_frame_is_binary(wsi)) {
            tl_sig_handle_text(c, "", 0); /* answered as bad-json */
            return 0;
        }
        on_receive(c, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? on_writeable(c) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2 &&
            ((((const unsigned char *)in)[0] << 8) | ((const unsigned char *)in)[1]) ==
                LWS_CLOSE_STATUS_NORMAL)
            c->clean_close = 1;
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (c) {
            if (!s->freeing)
                tl_sig_handle_disconnect(c);
            conn_free(c);
            *pc = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    /* 1 KiB receive buffer per connection: candidates fit; larger messages
     * (SDP) arrive in pieces and are assembled in on_receive(). It is most
     * of the per-connection memory at 10,000 clients. tx_packet_size (no
     * memory): without it lws 4.1 caps each send() at the receive buffer
     * size, so a 5 KB SDP took five send() calls and four WRITEABLE rounds. */
    {"tallow-signal-1", cb_signal, sizeof(tl_sig_conn *), 1024, 0, NULL, 65536 + 16},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_quiet(int level, const char *line)
{
    (void)level;
    (void)line; /* the library never prints; lws lines may carry addresses */
}

/* Idle connections: a WebSocket ping after half the idle timeout, a hang-up
 * after all of it. Done here, once a second, rather than with lws' per-
 * connection validity timers (lws 4.1 re-sorts a timer list on every frame). */
static void idle_check(tl_signal_server *s)
{
    uint64_t now = tl_sig_now(s), idle = (uint64_t)s->cfg.idle_timeout_s * 1000u;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->conns);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_conn *c = v;
        uint64_t quiet = now - c->last_rx_ms;
        if (quiet >= idle) {
            tl_sig_conn_close(c);
        } else if (quiet >= idle / 2 && !c->ping_due) {
            c->ping_due = 1;
            lws_callback_on_writable(c->wsi);
        }
    }
}

static gboolean tick_cb(gpointer data)
{
    tl_signal_server *s = data;
    idle_check(s);
    tl_sig_tick(s);
    return G_SOURCE_CONTINUE;
}

/* The epoll backend: lws runs on a libuv loop whose epoll descriptor is one
 * unix-fd source of the tl_loop's GMainContext, so every callback still runs
 * in a dispatch of the tl_loop, on its thread. GLib's own per-descriptor
 * sources (lws' GLib plugin) cost O(connections) per loop iteration; this
 * costs O(ready descriptors). */
typedef struct uv_gsource {
    GSource base;
    uv_loop_t *uv;
    gpointer tag;
} uv_gsource;

static gboolean uvs_prepare(GSource *src, gint *timeout)
{
    uv_gsource *u = (uv_gsource *)src;
    uv_update_time(u->uv);
    *timeout = uv_backend_timeout(u->uv);
    return *timeout == 0;
}

static gboolean uvs_check(GSource *src)
{
    uv_gsource *u = (uv_gsource *)src;
    return (g_source_query_unix_fd(src, u->tag) & G_IO_IN) || uv_backend_timeout(u->uv) == 0;
}

static gboolean uvs_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    uv_run(((uv_gsource *)src)->uv, UV_RUN_NOWAIT);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs uvs_funcs = {uvs_prepare, uvs_check, uvs_dispatch, NULL, NULL, NULL};

static int uv_backend_start(tl_signal_server *s)
{
    s->uv = malloc(sizeof(*s->uv));
    if (!s->uv || uv_loop_init(s->uv) != 0) {
        free(s->uv);
        s->uv = NULL;
        return TL_ERR_NOMEM;
    }
    uv_gsource *u = (uv_gsource *)g_source_new(&uvs_funcs, sizeof(*u));
    u->uv = s->uv;
    u->tag = g_source_add_unix_fd(&u->base, uv_backend_fd(s->uv), G_IO_IN);
    s->uv_src = &u->base;
    g_source_attach(s->uv_src, tl_loop_gcontext(s->loop));
    return TL_OK;
}

static void uv_backend_stop(tl_signal_server *s)
{
    if (!s->uv)
        return;
    /* Let lws close its handles; with a foreign libuv loop lws 4.1 finishes
     * the context only when lws_context_destroy() is called again after
     * the handles closed. */
    for (int i = 0; i < 10000 && uv_run(s->uv, UV_RUN_NOWAIT); i++)
        ;
    if (s->ctx)
        lws_context_destroy(s->ctx);
    s->ctx = NULL;
    for (int i = 0; i < 10000 && uv_run(s->uv, UV_RUN_NOWAIT); i++)
        ;
    if (s->uv_src) {
        g_source_destroy(s->uv_src);
        g_source_unref(s->uv_src);
    }
    uv_loop_close(s->uv);
    free(s->uv);
    s->uv = NULL;
}

static void apply_defaults(tl_signal_server_config *c)
{
    if (!c->listen)
        c->listen = DEF_LISTEN;
    if (!c->max_group)
        c->max_group = 64;
    if (!c->max_msg)
        c->max_msg = 65536;
    if (!c->rate_per_s)
        c->rate_per_s = 100;
    if (!c->rate_burst)
        c->rate_burst = 400;
    if (!c->idle_timeout_s)
        c->idle_timeout_s = 60;
    if (!c->resume_grace_s)
        c->resume_grace_s = 30;
    if (!c->snapshot_every)
        c->snapshot_every = 500;
    if (!c->max_conns)
        c->max_conns = 16384;
    if (!c->turn_ttl_s)
        c->turn_ttl_s = 43200;
}

static int create_context(tl_signal_server *s, const char *host, int port)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *foreign[1] = {s->cfg.glib_io ? (void *)s->gloop : (void *)s->uv};
    info.port = port;
    info.iface = host[0] ? host : NULL;
    info.protocols = protocols;
    info.user = s;
    info.options = (s->cfg.glib_io ? LWS_SERVER_OPTION_GLIB : LWS_SERVER_OPTION_LIBUV) |
                   LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    info.foreign_loops = foreign;
    /* No fd_limit_per_thread: with it lws 4.1 finds a socket's wsi by a
     * linear search over all of them (wsi_from_fd), 23% of the server's time
     * at 5,000 clients. Sized from ulimit -n, the lookup is direct. */
    info.pt_serv_buf_size = 16384;
    /* Handshakes on a loaded box (thousands of clients arriving at once) can
     * take longer than lws' default 5 s. */
    info.timeout_secs = 30;
    if (s->cfg.cert_pem) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = s->cfg.cert_pem;
        info.ssl_private_key_filepath = s->cfg.key_pem;
    }
    s->ctx = lws_create_context(&info);
    if (!s->ctx)
        return TL_ERR_IO;
    s->vh = lws_get_vhost_by_name(s->ctx, "default");
    s->port = s->vh ? lws_get_vhost_listen_port(s->vh) : port;
    return TL_OK;
}

int tl_signal_server_new(tl_signal_server **out, tl_loop *loop, const tl_signal_server_config *cfg)
{
    if (!out || !loop)
        return TL_ERR_INVALID_ARG;
    tl_signal_server_config c = {0};
    if (cfg)
        c = *cfg;
    apply_defaults(&c);
    if (!c.cert_pem != !c.key_pem || c.max_group < 2 || c.max_msg < 1024)
        return TL_ERR_INVALID_ARG;
    tl_uri lu; /* HOST:PORT, [V6]:PORT or :PORT (host "" = any) */
    if (tl_uri_parse(&lu, TL_URI_HOSTPORT, c.listen, NULL))
        return TL_ERR_INVALID_ARG;
    const char *host = lu.host;
    int port = lu.port;

    tl_signal_server *s = calloc(1, sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    s->loop = loop;
    s->cfg = c;
    s->cfg.listen = NULL; /* not kept: the caller's strings may go away */
    uint8_t rnd[8];
    if (tl_random(rnd, sizeof(rnd)) != TL_OK) {
        free(s);
        return TL_ERR_CRYPTO;
    }
    tl_hex_encode(rnd, sizeof(rnd), s->id);
    tl_sig_state_init(&s->st);
    s->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
    s->grace = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free);
    s->gloop = g_main_loop_new(tl_loop_gcontext(loop), FALSE);
    lws_set_log_level(LLL_ERR, lws_quiet);

    int rc = keep_ice(s, &c);
    if (rc == TL_OK && !c.glib_io)
        rc = uv_backend_start(s);
    if (rc == TL_OK && c.redis_url)
        rc = tl_sig_bus_new(&s->bus, s, c.redis_url);
    if (rc == TL_OK && c.cert_pem) {
        s->cert_path = strdup(c.cert_pem);
        s->key_path = strdup(c.key_pem);
        if (!s->cert_path || !s->key_path)
            rc = TL_ERR_NOMEM;
    }
    if (rc == TL_OK)
        rc = create_context(s, host, port);
    if (rc == TL_OK && c.cert_pem && !s->ssl_ctx)
        rc = TL_ERR_INTERNAL; /* lws did not show us its SSL_CTX */
    if (rc != TL_OK) {
        s->cfg.cert_pem = s->cfg.key_pem = s->cfg.redis_url = NULL;
        tl_signal_server_free(s);
        return rc;
    }
    s->cfg.cert_pem = s->cfg.key_pem = s->cfg.redis_url = NULL;
    s->tick = g_timeout_source_new(TL_SIG_HB_MS);
    g_source_set_callback(s->tick, tick_cb, s, NULL);
    g_source_attach(s->tick, tl_loop_gcontext(loop));
    tl_loop_log(loop, TL_LOG_INFO, "signal", "server %s listening on port %d%s%s", s->id, s->port,
                cfg && cfg->cert_pem ? " (wss)" : "", s->bus ? " with redis" : "");
    *out = s;
    return TL_OK;
}

/* Reads the certificate chain (leaf first) and the key, checks that they
 * belong together, and only then installs them in the vhost's SSL_CTX.
 * Connections already open keep the TLS session they have. */
int tl_signal_server_reload_cert(tl_signal_server *s)
{
    if (!s)
        return TL_ERR_INVALID_ARG;
    if (!s->cert_path || !s->ssl_ctx)
        return TL_ERR_STATE;
    int rc = TL_ERR_IO;
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    BIO *bc = BIO_new_file(s->cert_path, "r");
    BIO *bk = BIO_new_file(s->key_path, "r");
    if (!chain || !bc || !bk)
        goto out;
    leaf = PEM_read_bio_X509_AUX(bc, NULL, NULL, NULL);
    key = PEM_read_bio_PrivateKey(bk, NULL, NULL, NULL);
    if (!leaf || !key)
        goto out;
    X509 *ca;
    while ((ca = PEM_read_bio_X509(bc, NULL, NULL, NULL)))
        if (!sk_X509_push(chain, ca)) {
            X509_free(ca);
            rc = TL_ERR_NOMEM;
            goto out;
        }
    rc = TL_ERR_AUTH;
    if (X509_check_private_key(leaf, key) != 1)
        goto out;
    rc = TL_ERR_CRYPTO;
    if (SSL_CTX_use_cert_and_key(s->ssl_ctx, leaf, key, chain, 1) != 1)
        goto out;
    rc = TL_OK;
out:
    ERR_clear_error();
    X509_free(leaf);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    BIO_free(bc);
    BIO_free(bk);
    tl_loop_log(s->loop, rc == TL_OK ? TL_LOG_INFO : TL_LOG_ERROR, "signal",
                "certificate reload: %s", rc == TL_OK ? "ok" : tl_strerror(rc));
    return rc;
}

int tl_signal_server_port(const tl_signal_server *s)
{
    return s ? s->port : 0;
}

size_t tl_signal_server_conn_count(const tl_signal_server *s)
{
    return s ? g_hash_table_size(s->conns) : 0;
}

void tl_signal_server_free(tl_signal_server *s)
{
    if (!s)
        return;
    s->freeing = 1;
    if (s->tick) {
        g_source_destroy(s->tick);
        g_source_unref(s->tick);
    }
    if (s->ctx)
        lws_context_destroy(s->ctx);
    uv_backend_stop(s);
    if (s->bus)
        tl_sig_bus_free(s->bus);
    /* Connections lws did not report closed (none expected) are freed here. */
    GList *left = g_hash_table_get_values(s->conns);
    for (GList *l = left; l; l = l->next)
        conn_free(l->data);
    g_list_free(left);
    g_hash_table_destroy(s->conns);
    g_hash_table_destroy(s->grace);
    tl_sig_state_clear(&s->st);
    if (s->gloop)
        g_main_loop_unref(s->gloop);
    for (size_t i = 0; i < s->n_ice; i++)
        free(s->ice_urls[i]);
    if (s->turn_secret) {
        tl_wipe(s->turn_secret, strlen(s->turn_secret));
        free(s->turn_secret);
    }
    free(s->cert_path);
    free(s->key_path);
    free(s);
}
