/* SCTP over DTLS with usrsctp (AF_CONN, RFC 8261).
 *
 * usrsctp is process-global. It is initialised with usrsctp_init_nothreads()
 * on first use and finished when the last association is gone (reference
 * count under g_lock). Without its threads, usrsctp's timers only advance
 * when usrsctp_handle_timers() is called: every GMainContext that owns at
 * least one association runs a 10 ms "tick" source that passes the real
 * elapsed time (shared across contexts) to usrsctp_handle_timers().
 *
 * No usrsctp callback ever runs user code. conn_output (a packet to send)
 * goes straight to DTLS when it runs on the association's own thread (it
 * always does with a single loop); a packet produced on another loop's
 * thread (its timer tick) is queued under g_lock and flushed by the owner.
 * The socket upcall only schedules the association's "process" source;
 * reading (usrsctp_recvv), notifications and writability are handled there,
 * outside of any usrsctp call, so upper layers may call back into usrsctp
 * freely. Pointers handed to usrsctp are checked against the live set
 * (g_live) before use: usrsctp may report late for a closed socket. */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <usrsctp.h>

#include "common/hostile.h"
#include "common/loop_internal.h"
#include "rtc/reasm.h"
#include "rtc/rtc_internal.h"

#define TL_SCTP_MTU 1191 /* SCTP packet; + DTLS (37) + UDP/IPv6 (48) <= 1280 */
#define TL_SCTP_STREAMS 256
#define TL_SCTP_BUF (2 * 1024 * 1024)
#define TL_SCTP_TICK_MS 10

struct xpacket {
    struct xpacket *next;
    size_t len;
    uint8_t data[];
};

struct tl_sctp {
    tl_loop *loop;
    GMainContext *ctx;
    pthread_t thread;
    const char *subject;
    struct socket *sock;
    uint16_t lport, rport;
    int connected, closed;
    uint16_t ostreams;
    GSource *proc;
    struct xpacket *xq_head, *xq_tail; /* under g_lock */
    tl_reasm rx;                       /* the message being received, at most max_recv + 1 bytes */
    uint64_t hostile_msgs, hostile_sent; /* TALLOW_HOSTILE noread / noeor */
    tl_sctp_cb cb;
    void *ud;
};

struct driver {
    struct driver *next;
    GMainContext *ctx;
    int refs;
    GSource *tick;
};

static GMutex g_lock;
static int g_refs;
static int g_inited;
static GHashTable *g_live;
static struct driver *g_drivers;
static gint64 g_last_tick_us;

/* ---- CRC32c ----
 * usrsctp computes and checks the SCTP checksum byte by byte in software,
 * which is the largest user-space cost per packet. With SSE4.2 we compute
 * it with the crc32 instruction instead: usrsctp's offload switch turns off
 * both its computing and its checking, and we do both here for every packet
 * (conn_output fills the field, tl_sctp_input verifies it), so the wire
 * format and the integrity check are unchanged. A self-test against
 * usrsctp_crc32c() decides at start-up; without SSE4.2 nothing changes. */

static int g_hw_crc;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t crc32c_update(uint32_t crc, const uint8_t *p,
                                                                size_t len)
{
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

static int hw_crc_available(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_update(uint32_t crc, const uint8_t *p, size_t len)
{
    (void)p;
    (void)len;
    return crc;
}

static int hw_crc_available(void)
{
    return 0;
}
#endif

/* The SCTP checksum of a packet, computed as if its checksum field (bytes
 * 8..11) were zero; returned in the byte order usrsctp stores it. */
static uint32_t packet_crc(const uint8_t *pkt, size_t len)
{
    static const uint8_t zero[4] = {0};
    uint32_t c = crc32c_update(0xffffffffu, pkt, 8);
    c = crc32c_update(c, zero, 4);
    c = crc32c_update(c, pkt + 12, len - 12);
    return ~c;
}

static int crc_self_test(void)
{
    uint8_t pkt[64];
    for (size_t i = 0; i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)(i * 29 + 3);
    memset(pkt + 8, 0, 4);
    return packet_crc(pkt, sizeof(pkt)) == usrsctp_crc32c(pkt, sizeof(pkt)) &&
           packet_crc(pkt, 13) == usrsctp_crc32c(pkt, 13);
}

/* ---- usrsctp callbacks (may run inside any usrsctp call) ---- */

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
    (void)tos;
    (void)set_df;
    tl_sctp *s = addr;
    g_mutex_lock(&g_lock);
    if (!g_live || !g_hash_table_contains(g_live, s)) {
        g_mutex_unlock(&g_lock);
        return 0;
    }
    if (!pthread_equal(s->thread, pthread_self())) {
        struct xpacket *p = malloc(sizeof(*p) + len);
        if (p) {
            p->next = NULL;
            p->len = len;
            memcpy(p->data, buf, len);
            if (g_hw_crc && len >= 12) {
                uint32_t crc = packet_crc(p->data, len);
                memcpy(p->data + 8, &crc, 4);
            }
            if (s->xq_tail)
                s->xq_tail->next = p;
            else
                s->xq_head = p;
            s->xq_tail = p;
            g_source_set_ready_time(s->proc, 0);
        }
        g_mutex_unlock(&g_lock);
        return 0;
    }
    g_mutex_unlock(&g_lock);
    if (g_hw_crc && len >= 12) {
        uint32_t crc = packet_crc(buf, len);
        memcpy((uint8_t *)buf + 8, &crc, 4);
    }
    s->cb.send(s->ud, buf, len);
    return 0;
}

static void upcall(struct socket *sock, void *arg, int flags)
{
    (void)sock;
    (void)flags;
    tl_sctp *s = arg;
    g_mutex_lock(&g_lock);
    if (g_live && g_hash_table_contains(g_live, s))
        g_source_set_ready_time(s->proc, 0);
    g_mutex_unlock(&g_lock);
}

/* ---- global init and timer driving ---- */

static gboolean tick_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    g_source_set_ready_time(src, g_source_get_time(src) + TL_SCTP_TICK_MS * 1000);
    g_mutex_lock(&g_lock);
    gint64 now = g_get_monotonic_time();
    uint32_t elapsed = (uint32_t)((now - g_last_tick_us) / 1000);
    if (elapsed > 0)
        g_last_tick_us += (gint64)elapsed * 1000;
    g_mutex_unlock(&g_lock);
    if (elapsed > 0)
        usrsctp_handle_timers(elapsed);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs tick_funcs = {.dispatch = tick_dispatch};

static void global_init_locked(void)
{
    if (g_inited)
        return;
    usrsctp_init_nothreads(0, conn_output, NULL);
    g_hw_crc = hw_crc_available() && crc_self_test();
    if (g_hw_crc)
        usrsctp_enable_crc32c_offload();
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_asconf_enable(0);
    usrsctp_sysctl_set_sctp_auth_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    usrsctp_sysctl_set_sctp_nrsack_enable(0);
    usrsctp_sysctl_set_sctp_pktdrop_enable(0);
    /* Enough queued chunks for large windows of 1191-byte packets. */
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(64 * 1024);
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_min_default(200);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_heartbeat_interval_default(10000);
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
    g_inited = 1;
    g_last_tick_us = g_get_monotonic_time();
}

static void driver_ref_locked(GMainContext *ctx)
{
    for (struct driver *d = g_drivers; d; d = d->next)
        if (d->ctx == ctx) {
            d->refs++;
            return;
        }
    struct driver *d = calloc(1, sizeof(*d));
    if (!d)
        return; /* timers then advance only with other loops; logged by caller */
    d->ctx = ctx;
    d->refs = 1;
    d->tick = g_source_new(&tick_funcs, sizeof(GSource));
    g_source_set_ready_time(d->tick, g_get_monotonic_time() + TL_SCTP_TICK_MS * 1000);
    g_source_attach(d->tick, ctx);
    d->next = g_drivers;
    g_drivers = d;
}

static void driver_unref_locked(GMainContext *ctx)
{
    for (struct driver **p = &g_drivers; *p; p = &(*p)->next) {
        struct driver *d = *p;
        if (d->ctx != ctx)
            continue;
        if (--d->refs == 0) {
            *p = d->next;
            g_source_destroy(d->tick);
            g_source_unref(d->tick);
            free(d);
        }
        return;
    }
}

/* ---- per-association processing (owner thread, outside usrsctp) ---- */

static void handle_notification(tl_sctp *s, const union sctp_notification *n, size_t len)
{
    if (len < sizeof(n->sn_header))
        return;
    switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
        const struct sctp_assoc_change *ac = &n->sn_assoc_change;
        if (ac->sac_state == SCTP_COMM_UP && !s->connected) {
            s->connected = 1;
            s->ostreams = ac->sac_outbound_streams;
            tl_loop_log(s->loop, TL_LOG_INFO, s->subject, "sctp: association up (%u/%u streams)",
                        ac->sac_outbound_streams, ac->sac_inbound_streams);
            s->cb.on_connected(s->ud);
        } else if (ac->sac_state == SCTP_COMM_LOST || ac->sac_state == SCTP_SHUTDOWN_COMP ||
                   ac->sac_state == SCTP_CANT_STR_ASSOC) {
            tl_loop_log(s->loop, TL_LOG_INFO, s->subject, "sctp: association closed (%u)",
                        ac->sac_state);
            s->closed = 1;
            s->cb.on_closed(s->ud);
        }
        break;
    }
    case SCTP_SHUTDOWN_EVENT:
        s->closed = 1;
        s->cb.on_closed(s->ud);
        break;
    case SCTP_STREAM_RESET_EVENT: {
        const struct sctp_stream_reset_event *e = &n->sn_strreset_event;
        if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
            tl_loop_log(s->loop, TL_LOG_WARN, s->subject, "sctp: stream reset refused");
            break;
        }
        if (!(e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN))
            break;
        size_t cnt = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
        for (size_t i = 0; i < cnt && !s->closed; i++)
            s->cb.on_stream_reset(s->ud, e->strreset_stream_list[i]);
        break;
    }
    case SCTP_SENDER_DRY_EVENT:
        s->cb.on_writable(s->ud);
        break;
    case SCTP_REMOTE_ERROR:
        tl_loop_log(s->loop, TL_LOG_WARN, s->subject, "sctp: remote error");
        break;
    case SCTP_PARTIAL_DELIVERY_EVENT:
        tl_reasm_reset(&s->rx);
        break;
    default:
        break;
    }
}

static void flush_xq(tl_sctp *s)
{
    g_mutex_lock(&g_lock);
    struct xpacket *p = s->xq_head;
    s->xq_head = s->xq_tail = NULL;
    g_mutex_unlock(&g_lock);
    while (p) {
        struct xpacket *next = p->next;
        if (!s->closed)
            s->cb.send(s->ud, p->data, p->len);
        free(p);
        p = next;
    }
}

/* A message longer than we advertised: the peer ignores the limit (or
 * sends a message without end), so the association ends here, with an
 * ABORT, instead of our memory growing (docs/SECURITY.md). */
static void abort_oversize(tl_sctp *s)
{
    tl_loop_log(s->loop, TL_LOG_WARN, s->subject,
                "sctp: message longer than %zu bytes, association aborted", s->rx.max);
    tl_reasm_reset(&s->rx);
    struct sctp_sndinfo si;
    memset(&si, 0, sizeof(si));
    si.snd_flags = SCTP_ABORT;
    (void)usrsctp_sendv(s->sock, NULL, 0, NULL, 0, &si, sizeof(si), SCTP_SENDV_SNDINFO, 0);
    s->closed = 1;
    s->cb.on_closed(s->ud);
}

/* Test-only (tallow-hostile, TALLOW_HOSTILE=noeor): one data-channel
 * message that never ends, as fast as the association takes it. */
static void hostile_flood(tl_sctp *s)
{
    static uint8_t junk[65536];
    while (s->connected && !s->closed && s->hostile_sent < ((uint64_t)1 << 30)) {
        struct sctp_sndinfo si;
        memset(&si, 0, sizeof(si));
        si.snd_sid = 0;
        si.snd_ppid = htonl(53); /* binary, never EOR */
        ssize_t n = usrsctp_sendv(s->sock, junk, sizeof(junk), NULL, 0, &si, sizeof(si),
                                  SCTP_SENDV_SNDINFO, 0);
        if (n <= 0)
            break;
        s->hostile_sent += (uint64_t)n;
    }
}

/* Reads until usrsctp has nothing more; returns after delivering at most a
 * bounded number of messages so one busy association cannot starve the
 * loop (the source stays ready). */
static void process(tl_sctp *s)
{
    flush_xq(s);
    if (tl_hostile("noeor"))
        hostile_flood(s);
    if (tl_hostile("noread") && s->hostile_msgs >= 100)
        return; /* test-only: stops reading once the transfer is under way */
    for (int budget = 256; budget > 0 && !s->closed; budget--) {
        size_t room = 0;
        uint8_t *at = tl_reasm_space(&s->rx, 65536, &room);
        if (!at) {
            tl_loop_log(s->loop, TL_LOG_WARN, s->subject, "sctp: out of memory, message dropped");
            tl_reasm_reset(&s->rx);
            return;
        }
        struct sctp_rcvinfo info;
        socklen_t infolen = sizeof(info);
        unsigned int infotype = 0;
        int flags = 0;
        struct sockaddr_conn from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = usrsctp_recvv(s->sock, at, room, (struct sockaddr *)&from, &fromlen, &info,
                                  &infolen, &infotype, &flags);
        if (n < 0) {
            if (errno != EWOULDBLOCK && errno != EAGAIN)
                tl_loop_log(s->loop, TL_LOG_DEBUG, s->subject, "sctp: recv errno %d", errno);
            break;
        }
        if (n == 0)
            break;
        tl_reasm_result rr = tl_reasm_commit(&s->rx, (size_t)n, (flags & MSG_EOR) != 0);
        if (rr == TL_REASM_OVERSIZE) {
            abort_oversize(s);
            return;
        }
        if (rr != TL_REASM_MESSAGE)
            continue;
        if (flags & MSG_NOTIFICATION) {
            handle_notification(s, (const union sctp_notification *)s->rx.buf, s->rx.len);
        } else if (infotype == SCTP_RECVV_RCVINFO) {
            s->hostile_msgs++;
            s->cb.on_message(s->ud, info.rcv_sid, ntohl(info.rcv_ppid), s->rx.buf, s->rx.len);
        }
        tl_reasm_reset(&s->rx);
        if (budget == 1)
            g_source_set_ready_time(s->proc, 0); /* more may be waiting */
    }
    if (!s->closed && s->connected && (usrsctp_get_events(s->sock) & SCTP_EVENT_WRITE))
        s->cb.on_writable(s->ud);
}

static gboolean proc_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    g_source_set_ready_time(src, -1);
    tl_sctp *s = *(tl_sctp **)(src + 1);
    process(s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs proc_funcs = {.dispatch = proc_dispatch};

/* ---- socket setup ---- */

static int set_opt(struct socket *so, int level, int name, const void *v, socklen_t len)
{
    return usrsctp_setsockopt(so, level, name, v, len) == 0 ? 0 : -1;
}

static int configure(tl_sctp *s)
{
    struct socket *so = s->sock;
    int one = 1, zero = 0;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    struct sctp_assoc_value av = {.assoc_id = SCTP_ALL_ASSOC,
                                  .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
    struct sctp_initmsg im = {.sinit_num_ostreams = TL_SCTP_STREAMS,
                              .sinit_max_instreams = TL_SCTP_STREAMS};
    int buf = TL_SCTP_BUF;
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof(pp));
    pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
    pp.spp_flags = SPP_PMTUD_DISABLE;
    pp.spp_pathmtu = TL_SCTP_MTU;
    int rc = 0;
    rc |= usrsctp_set_non_blocking(so, 1);
    rc |= set_opt(so, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    rc |= set_opt(so, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    rc |= set_opt(so, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &one, sizeof(one));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &zero, sizeof(zero));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im));
    rc |= set_opt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
    static const uint16_t events[] = {SCTP_ASSOC_CHANGE,       SCTP_SHUTDOWN_EVENT,
                                      SCTP_STREAM_RESET_EVENT, SCTP_SENDER_DRY_EVENT,
                                      SCTP_REMOTE_ERROR,       SCTP_PARTIAL_DELIVERY_EVENT};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
        rc |= set_opt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev));
    }
    return rc ? TL_ERR_IO : TL_OK;
}

int tl_sctp_new(tl_sctp **out, tl_loop *loop, uint16_t local_port, uint16_t remote_port,
                const char *subject, const tl_sctp_cb *cb, void *ud)
{
    tl_sctp *s = calloc(1, sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    s->loop = loop;
    s->ctx = tl_loop_gcontext(loop);
    s->thread = pthread_self();
    s->subject = subject;
    s->lport = local_port;
    s->rport = remote_port;
    tl_reasm_init(&s->rx, TL_DEFAULT_MAX_MESSAGE_SIZE);
    s->cb = *cb;
    s->ud = ud;
    s->proc = g_source_new(&proc_funcs, sizeof(GSource) + sizeof(tl_sctp *));
    *(tl_sctp **)(s->proc + 1) = s;
    g_source_set_priority(s->proc, G_PRIORITY_DEFAULT);
    g_source_attach(s->proc, s->ctx);

    g_mutex_lock(&g_lock);
    global_init_locked();
    g_refs++;
    driver_ref_locked(s->ctx);
    if (!g_live)
        g_live = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(g_live, s);
    g_mutex_unlock(&g_lock);
    usrsctp_register_address(s);

    s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    int rc = s->sock ? TL_OK : TL_ERR_IO;
    if (rc == TL_OK) {
        usrsctp_set_upcall(s->sock, upcall, s);
        rc = configure(s);
    }
    if (rc == TL_OK) {
        struct sockaddr_conn sc = {
            .sconn_family = AF_CONN, .sconn_port = htons(local_port), .sconn_addr = s};
        if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof(sc)) != 0)
            rc = TL_ERR_IO;
    }
    if (rc != TL_OK) {
        tl_sctp_free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

void tl_sctp_set_max_message(tl_sctp *s, size_t max_recv)
{
    tl_reasm_free(&s->rx);
    tl_reasm_init(&s->rx, max_recv);
}

void tl_sctp_detach(tl_sctp *s)
{
    s->closed = 1;
}

int tl_sctp_connect(tl_sctp *s)
{
    struct sockaddr_conn sc = {
        .sconn_family = AF_CONN, .sconn_port = htons(s->rport), .sconn_addr = s};
    if (usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof(sc)) != 0 && errno != EINPROGRESS) {
        tl_loop_log(s->loop, TL_LOG_WARN, s->subject, "sctp: connect failed (errno %d)", errno);
        return TL_ERR_IO;
    }
    return TL_OK;
}

void tl_sctp_free(tl_sctp *s)
{
    if (!s)
        return;
    if (s->sock) {
        usrsctp_set_upcall(s->sock, NULL, NULL);
        /* SO_LINGER 0: the ABORT still leaves through conn_output (DTLS is
         * freed after us), and no association state lingers. */
        usrsctp_close(s->sock);
    }
    g_mutex_lock(&g_lock);
    g_hash_table_remove(g_live, s);
    g_mutex_unlock(&g_lock);
    usrsctp_deregister_address(s);
    g_source_destroy(s->proc);
    g_source_unref(s->proc);
    s->closed = 1;
    flush_xq(s);
    tl_reasm_free(&s->rx);

    g_mutex_lock(&g_lock);
    driver_unref_locked(s->ctx);
    if (--g_refs == 0) {
        /* usrsctp_finish() fails while associations are still being torn
         * down; keep the stack initialised then and reuse it next time. */
        if (usrsctp_finish() == 0) {
            g_inited = 0;
            g_hash_table_destroy(g_live);
            g_live = NULL;
        }
    }
    g_mutex_unlock(&g_lock);
    free(s);
}

void tl_sctp_input(tl_sctp *s, const uint8_t *buf, size_t len)
{
    if (s->closed || len < 12)
        return;
    if (g_hw_crc) {
        uint32_t got;
        memcpy(&got, buf + 8, 4);
        if (packet_crc(buf, len) != got) {
            tl_loop_log(s->loop, TL_LOG_DEBUG, s->subject, "sctp: bad checksum, dropped");
            return;
        }
    }
    usrsctp_conninput(s, buf, len, 0);
}

long tl_sctp_send(tl_sctp *s, const tl_sctp_sendinfo *si, const uint8_t *buf, size_t len)
{
    if (!s->connected || s->closed)
        return TL_ERR_STATE;
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = si->sid;
    spa.sendv_sndinfo.snd_ppid = htonl(si->ppid);
    spa.sendv_sndinfo.snd_flags =
        (uint16_t)((si->eor ? SCTP_EOR : 0) | (si->unordered ? SCTP_UNORDERED : 0));
    if (si->pr_policy) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = (uint16_t)si->pr_policy;
        spa.sendv_prinfo.pr_value = si->pr_value;
    }
    ssize_t n = usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
    if (n < 0) {
        if (errno == EWOULDBLOCK || errno == EAGAIN)
            return 0;
        tl_loop_log(s->loop, TL_LOG_DEBUG, s->subject, "sctp: send errno %d", errno);
        return errno == EMSGSIZE ? TL_ERR_TOO_BIG : TL_ERR_IO;
    }
    return (long)n;
}

int tl_sctp_reset_stream(tl_sctp *s, uint16_t sid)
{
    if (!s->connected || s->closed)
        return TL_ERR_STATE;
    uint8_t raw[sizeof(struct sctp_reset_streams) + sizeof(uint16_t)];
    struct sctp_reset_streams *rs = (struct sctp_reset_streams *)raw;
    memset(raw, 0, sizeof(raw));
    rs->srs_assoc_id = SCTP_ALL_ASSOC;
    rs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    rs->srs_number_streams = 1;
    rs->srs_stream_list[0] = sid;
    if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, rs, sizeof(raw)) != 0) {
        tl_loop_log(s->loop, TL_LOG_DEBUG, s->subject, "sctp: reset stream errno %d", errno);
        return TL_ERR_IO;
    }
    return TL_OK;
}

uint16_t tl_sctp_max_streams(const tl_sctp *s)
{
    return s->connected ? s->ostreams : 0;
}

int tl_sctp_stats(const tl_sctp *s, double *srtt_ms, uint64_t *retrans)
{
    struct sctp_status st;
    socklen_t len = sizeof(st);
    memset(&st, 0, sizeof(st));
    /* usrsctp 0.9.5 keeps no per-association retransmission counter: this
     * is the process-wide count of retransmitted DATA chunks (rtc.h). */
    struct sctpstat ss;
    memset(&ss, 0, sizeof(ss));
    usrsctp_get_stat(&ss);
    *retrans = ss.sctps_sendretransdata;
    *srtt_ms = 0;
    if (!s->connected || s->closed)
        return TL_ERR_STATE;
    if (usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) != 0)
        return TL_ERR_IO;
    *srtt_ms = (double)st.sstat_primary.spinfo_srtt;
    return TL_OK;
}
