/* DTLS 1.2 over ICE with OpenSSL.
 *
 * Records leave through a custom BIO whose write method hands each record
 * (one BIO_write per record) to ICE as its own datagram; received datagrams
 * are fed through a memory BIO. The retransmission timer is a GLib source on
 * the loop, re-armed from DTLSv1_get_timeout() after every handshake step.
 *
 * Trust: the peer's certificate is self-signed, so the chain is not
 * verified; instead the verify callback compares the SHA-256 fingerprint of
 * the leaf certificate with the remote SDP's a=fingerprint (constant time,
 * tl_fingerprint_verify) and aborts the handshake on mismatch. After the
 * handshake the check runs once more before on_connected, so no application
 * data is accepted from an unverified peer. */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <stdlib.h>
#include <sys/time.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/loop_internal.h"
#include "rtc/rtc_internal.h"

#define TL_DTLS_MTU 1200

struct tl_dtls {
    tl_loop *loop;
    const char *subject;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio; /* memory BIO: received datagrams */
    int is_client;
    int connected, failed, verified;
    uint8_t remote_fp[TL_FINGERPRINT_LEN];
    GSource *timer;
    tl_dtls_cb cb;
    void *ud;
};

static int g_ssl_idx = -1;
static BIO_METHOD *g_out_method;
static GOnce g_once = G_ONCE_INIT;

static int out_write(BIO *b, const char *buf, int len)
{
    tl_dtls *d = BIO_get_data(b);
    if (d && len > 0)
        d->cb.send(d->ud, (const uint8_t *)buf, (size_t)len);
    return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
        return TL_DTLS_MTU;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        return 0;
    default:
        return 0;
    }
}

static int out_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static gpointer init_once(gpointer arg)
{
    (void)arg;
    g_ssl_idx = SSL_get_ex_new_index(0, "tl_dtls", NULL, NULL, NULL);
    g_out_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tl_dtls_out");
    if (g_out_method) {
        BIO_meth_set_write(g_out_method, out_write);
        BIO_meth_set_ctrl(g_out_method, out_ctrl);
        BIO_meth_set_create(g_out_method, out_create);
    }
    return NULL;
}

static int verify_peer_der(tl_dtls *d, X509 *peer)
{
    if (!peer)
        return TL_ERR_AUTH;
    unsigned char *der = NULL;
    int len = i2d_X509(peer, &der);
    if (len <= 0)
        return TL_ERR_AUTH;
    int rc = tl_fingerprint_verify(d->remote_fp, der, (size_t)len);
    OPENSSL_free(der);
    return rc;
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok; /* self-signed: the chain is not what we trust */
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tl_dtls *d = ssl ? SSL_get_ex_data(ssl, g_ssl_idx) : NULL;
    if (!d)
        return 0;
    if (X509_STORE_CTX_get_error_depth(store) != 0)
        return 1; /* only the leaf is bound to the fingerprint */
    if (verify_peer_der(d, X509_STORE_CTX_get_current_cert(store)) != TL_OK) {
        tl_loop_log(d->loop, TL_LOG_WARN, d->subject,
                    "dtls: peer certificate does not match the SDP fingerprint");
        return 0;
    }
    d->verified = 1;
    return 1;
}

static void fail(tl_dtls *d, int err)
{
    if (d->failed)
        return;
    d->failed = 1;
    if (d->timer)
        g_source_set_ready_time(d->timer, -1);
    d->cb.on_failed(d->ud, err);
}

static void arm_timer(tl_dtls *d)
{
    struct timeval tv;
    if (!d->connected && !d->failed && DTLSv1_get_timeout(d->ssl, &tv) == 1) {
        gint64 us = (gint64)tv.tv_sec * 1000000 + tv.tv_usec;
        g_source_set_ready_time(d->timer, g_get_monotonic_time() + us);
    } else {
        g_source_set_ready_time(d->timer, -1);
    }
}

static void log_ssl_errors(tl_dtls *d, const char *what)
{
    unsigned long e;
    char buf[160];
    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        tl_loop_log(d->loop, TL_LOG_DEBUG, d->subject, "dtls: %s: %s", what, buf);
    }
}

static void handshake_step(tl_dtls *d)
{
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) {
        /* Second, independent check: the verify callback must have run and
         * the negotiated peer certificate must match. */
        if (!d->verified || verify_peer_der(d, SSL_get0_peer_certificate(d->ssl)) != TL_OK) {
            fail(d, TL_ERR_AUTH);
            return;
        }
        d->connected = 1;
        arm_timer(d);
        tl_loop_log(d->loop, TL_LOG_INFO, d->subject, "dtls: connected (%s, %s)",
                    d->is_client ? "client" : "server", SSL_get_cipher_name(d->ssl));
        d->cb.on_connected(d->ud);
        return;
    }
    int e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        arm_timer(d);
        return;
    }
    log_ssl_errors(d, "handshake");
    fail(d, d->verified ? TL_ERR_PROTO : TL_ERR_AUTH);
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    tl_dtls *d = *(tl_dtls **)(src + 1);
    g_source_set_ready_time(src, -1);
    if (d->connected || d->failed)
        return G_SOURCE_CONTINUE;
    if (DTLSv1_handle_timeout(d->ssl) < 0) {
        log_ssl_errors(d, "timeout");
        fail(d, TL_ERR_TIMEOUT);
        return G_SOURCE_CONTINUE;
    }
    arm_timer(d);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {.dispatch = timer_dispatch};

static SSL_CTX *make_ctx(const tl_cert *cert)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    int ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
             SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
             SSL_CTX_use_certificate(ctx, cert->x509) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, cert->key) == 1 && SSL_CTX_check_private_key(ctx) == 1 &&
             /* AES-128-GCM first: fast with AES-NI, what browsers pick. */
             SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                          "ECDHE-ECDSA-CHACHA20-POLY1305:"
                                          "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                          "ECDHE-RSA-AES128-GCM-SHA256:"
                                          "ECDHE-RSA-AES256-GCM-SHA384") == 1 &&
             SSL_CTX_set1_groups_list(ctx, "X25519:P-256") == 1;
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

int tl_dtls_new(tl_dtls **out, tl_loop *loop, const tl_cert *cert, int is_client,
                const uint8_t remote_fp[TL_FINGERPRINT_LEN], const char *subject,
                const tl_dtls_cb *cb, void *ud)
{
    g_once(&g_once, init_once, NULL);
    if (g_ssl_idx < 0 || !g_out_method)
        return TL_ERR_CRYPTO;
    tl_dtls *d = calloc(1, sizeof(*d));
    if (!d)
        return TL_ERR_NOMEM;
    d->loop = loop;
    d->subject = subject;
    d->is_client = is_client;
    memcpy(d->remote_fp, remote_fp, TL_FINGERPRINT_LEN);
    d->cb = *cb;
    d->ud = ud;
    d->ctx = make_ctx(cert);
    d->ssl = d->ctx ? SSL_new(d->ctx) : NULL;
    BIO *wbio = d->ssl ? BIO_new(g_out_method) : NULL;
    d->rbio = wbio ? BIO_new(BIO_s_mem()) : NULL;
    if (!d->rbio) {
        BIO_free(wbio);
        tl_dtls_free(d);
        return TL_ERR_CRYPTO;
    }
    BIO_set_data(wbio, d);
    BIO_set_mem_eof_return(d->rbio, -1);
    SSL_set_bio(d->ssl, d->rbio, wbio);
    SSL_set_ex_data(d->ssl, g_ssl_idx, d);
    SSL_set_mtu(d->ssl, TL_DTLS_MTU);
    DTLS_set_link_mtu(d->ssl, TL_DTLS_MTU);
    if (is_client)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    d->timer = g_source_new(&timer_funcs, sizeof(GSource) + sizeof(tl_dtls *));
    *(tl_dtls **)(d->timer + 1) = d;
    g_source_attach(d->timer, tl_loop_gcontext(loop));
    *out = d;
    return TL_OK;
}

void tl_dtls_free(tl_dtls *d)
{
    if (!d)
        return;
    if (d->timer) {
        g_source_destroy(d->timer);
        g_source_unref(d->timer);
    }
    SSL_free(d->ssl); /* frees both BIOs */
    SSL_CTX_free(d->ctx);
    free(d);
}

int tl_dtls_start(tl_dtls *d)
{
    if (d->is_client && !d->connected && !d->failed)
        handshake_step(d);
    return d->failed ? TL_ERR_CRYPTO : TL_OK;
}

void tl_dtls_input(tl_dtls *d, const uint8_t *buf, size_t len)
{
    if (d->failed || len == 0 || len > INT32_MAX)
        return;
    BIO_write(d->rbio, buf, (int)len);
    if (!d->connected) {
        handshake_step(d);
        if (!d->connected || d->failed)
            return;
    }
    uint8_t pt[16384 + 256];
    for (;;) {
        int r = SSL_read(d->ssl, pt, sizeof(pt));
        if (r > 0) {
            d->cb.on_data(d->ud, pt, (size_t)r);
            if (d->failed)
                return;
            continue;
        }
        int e = SSL_get_error(d->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            tl_loop_log(d->loop, TL_LOG_INFO, d->subject, "dtls: peer sent close_notify");
            fail(d, TL_ERR_CLOSED);
        } else {
            log_ssl_errors(d, "read");
            fail(d, TL_ERR_PROTO);
        }
        break;
    }
    /* Drop whatever a broken datagram left behind. */
    (void)BIO_reset(d->rbio);
}

int tl_dtls_send(tl_dtls *d, const uint8_t *buf, size_t len)
{
    if (!d->connected || d->failed)
        return TL_ERR_STATE;
    int r = SSL_write(d->ssl, buf, (int)len);
    if (r != (int)len) {
        log_ssl_errors(d, "write");
        return TL_ERR_CRYPTO;
    }
    return TL_OK;
}

void tl_dtls_close(tl_dtls *d)
{
    if (d->connected && !d->failed)
        SSL_shutdown(d->ssl);
    d->failed = 1;
    g_source_set_ready_time(d->timer, -1);
}

int tl_dtls_connected(const tl_dtls *d)
{
    return d->connected && !d->failed;
}
