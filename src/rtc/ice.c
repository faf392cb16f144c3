/* ICE over libnice: one agent per connection on the loop's GMainContext, one
 * stream with one UDP component, RFC 5245 compatibility, trickle.
 *
 * Policy lives here: in relay-only mode the agent runs with "force-relay",
 * and every local candidate that is not a relay candidate is dropped before
 * it can reach the SDP or the on_candidate callback; remote non-relay
 * candidates are dropped too, and a STUN server is not even configured, so a
 * relay-only agent talks to the TURN server alone (docs/SECURITY.md). IPv6
 * link-local addresses are never gathered: their EUI-64 form carries the
 * interface's MAC address. Log lines at INFO never contain an address. */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <netdb.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include <nice/agent.h>
#include <nice/interfaces.h>

#include "common/loop_internal.h"
#include "rtc/rtc_internal.h"
#include "common/uri.h"

#define TL_ICE_SOCKBUF (4 * 1024 * 1024)
#define TL_ICE_BATCH 32  /* datagrams per sendmmsg() */
#define TL_ICE_SLOT 1500 /* larger datagrams bypass the batch */
/* After an ICE restart, how long a "failed" from libnice waits for the new
 * generation to recover before it counts (see on_component_state). */
#define TL_ICE_RESTART_GRACE_MS 10000

struct tl_ice {
    tl_loop *loop;
    const char *subject;
    NiceAgent *agent;
    guint stream;
    int relay_only;
    int gathering_started, gathering_done;
    int controlling;
    tl_ice_state state;
    char remote_ufrag[257], remote_pwd[257];
    tl_cand_type sel_local, sel_remote;
    int selected;
    /* An ICE restart whose generation has not connected yet, and the timer
     * that ends the grace given to a "failed" reported meanwhile. */
    int restart_pending;
    tl_timer *fail_timer;
    tl_ice_cb cb;
    void *ud;
    /* Outgoing datagrams collected during one dispatch and sent with one
     * sendmmsg(): flushed by tl_ice_flush() at the end of each entry point
     * of the layers above, by the flush source otherwise. */
    GSource *flush_src;
    unsigned n_batch;
    size_t batch_len[TL_ICE_BATCH];
    uint8_t batch[TL_ICE_BATCH][TL_ICE_SLOT];
};

static tl_cand_type from_nice_type(NiceCandidateType t)
{
    switch (t) {
    case NICE_CANDIDATE_TYPE_HOST:
        return TL_CAND_HOST;
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
        return TL_CAND_SRFLX;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
        return TL_CAND_PRFLX;
    case NICE_CANDIDATE_TYPE_RELAYED:
        return TL_CAND_RELAY;
    }
    return TL_CAND_UNKNOWN;
}

static int to_sdp_candidate(const NiceCandidate *nc, tl_sdp_candidate *out)
{
    memset(out, 0, sizeof(*out));
    if (nc->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        return TL_ERR_UNSUPPORTED;
    g_strlcpy(out->foundation, nc->foundation, sizeof(out->foundation));
    out->component = nc->component_id;
    g_strlcpy(out->transport, "udp", sizeof(out->transport));
    out->priority = nc->priority;
    char a[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&nc->addr, a);
    g_strlcpy(out->addr, a, sizeof(out->addr));
    out->port = (uint16_t)nice_address_get_port(&nc->addr);
    out->type = from_nice_type(nc->type);
    if (out->type == TL_CAND_SRFLX) {
        nice_address_to_string(&nc->base_addr, a);
        g_strlcpy(out->raddr, a, sizeof(out->raddr));
        out->rport = (uint16_t)nice_address_get_port(&nc->base_addr);
    } else if (out->type == TL_CAND_RELAY) {
        /* Never reveal the local address behind a relay candidate. */
        g_strlcpy(out->raddr, nice_address_ip_version(&nc->addr) == 6 ? "::" : "0.0.0.0",
                  sizeof(out->raddr));
        out->rport = 0;
    }
    return TL_OK;
}

/* fe80::/10 */
static int is_link_local(const NiceAddress *a)
{
    if (nice_address_ip_version(a) != 6)
        return 0;
    const uint8_t *b = a->s.ip6.sin6_addr.s6_addr;
    return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

static int allowed_local(const tl_ice *ice, const NiceCandidate *nc)
{
    if (nc->transport != NICE_CANDIDATE_TRANSPORT_UDP)
        return 0;
    if (is_link_local(&nc->addr) || is_link_local(&nc->base_addr))
        return 0;
    return !ice->relay_only || nc->type == NICE_CANDIDATE_TYPE_RELAYED;
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *nc, gpointer data)
{
    (void)agent;
    tl_ice *ice = data;
    tl_sdp_candidate c;
    if (!allowed_local(ice, nc) || to_sdp_candidate(nc, &c) != TL_OK)
        return;
    tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject, "ice: local %s candidate",
                tl_cand_type_name(c.type));
    ice->cb.on_candidate(ice->ud, &c);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
    (void)agent;
    (void)stream;
    tl_ice *ice = data;
    if (ice->gathering_done)
        return;
    ice->gathering_done = 1;
    tl_loop_log(ice->loop, TL_LOG_INFO, ice->subject, "ice: gathering done");
    ice->cb.on_gathering_done(ice->ud);
}

static void set_state(tl_ice *ice, tl_ice_state st)
{
    if (ice->state == st)
        return;
    ice->state = st;
    ice->cb.on_state(ice->ud, st);
}

static void stop_fail_timer(tl_ice *ice)
{
    if (ice->fail_timer)
        tl_timer_stop(ice->fail_timer);
    ice->fail_timer = NULL;
}

static void restart_grace_over(void *arg)
{
    tl_ice *ice = arg;
    ice->fail_timer = NULL;
    if (nice_agent_get_component_state(ice->agent, ice->stream, 1) == NICE_COMPONENT_STATE_FAILED) {
        tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject,
                    "ice: the restarted generation did not recover");
        set_state(ice, TL_ICE_FAILED);
    }
}

static void on_component_state(NiceAgent *agent, guint stream, guint comp, guint state,
                               gpointer data)
{
    (void)agent;
    (void)stream;
    (void)comp;
    tl_ice *ice = data;
    tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject, "ice: component %s",
                nice_component_state_to_string(state));
    switch (state) {
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
        stop_fail_timer(ice);
        ice->restart_pending = 0;
        set_state(ice, TL_ICE_CONNECTED);
        break;
    case NICE_COMPONENT_STATE_FAILED:
        /* libnice keeps the stream's "peer finished gathering" flag across
         * nice_agent_restart_stream() (0.1.21 nice_stream_restart), so after
         * a restart it can call the component failed as soon as the first
         * new pairs fail, before the peer's checks of the new generation
         * arrive. Its "failed" is not final (a pair nominated later takes
         * the component back to connecting and ready): give the restarted
         * generation a grace period before it counts. */
        if (ice->restart_pending) {
            if (!ice->fail_timer) {
                tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject,
                            "ice: failed during a restart; waiting for the new generation");
                ice->fail_timer =
                    tl_timer_start(ice->loop, TL_ICE_RESTART_GRACE_MS, restart_grace_over, ice);
            }
            break;
        }
        set_state(ice, TL_ICE_FAILED);
        break;
    case NICE_COMPONENT_STATE_CONNECTING:
        stop_fail_timer(ice);
        /* During an ICE restart the old pair keeps working: stay connected
         * (a restart after a failure goes back to checking). */
        if (ice->state != TL_ICE_CONNECTED)
            set_state(ice, TL_ICE_CHECKING);
        break;
    default:
        break;
    }
}

/* Bursts of a fast SCTP sender overflow the default UDP receive buffer
 * (~208 KiB, ~90 datagrams); every drop costs a retransmission. Ask for
 * 4 MiB each way on the selected socket (the kernel caps it at
 * net.core.rmem_max / wmem_max). */
static void enlarge_buffers(tl_ice *ice)
{
    GSocket *gs = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
    if (!gs)
        return;
    int fd = g_socket_get_fd(gs);
    int size = TL_ICE_SOCKBUF;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    g_object_unref(gs);
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l,
                             NiceCandidate *r, gpointer data)
{
    (void)agent;
    (void)stream;
    (void)comp;
    tl_ice *ice = data;
    ice->selected = 1;
    ice->sel_local = from_nice_type(l->type);
    ice->sel_remote = from_nice_type(r->type);
    tl_loop_log(ice->loop, TL_LOG_INFO, ice->subject, "ice: selected pair %s/%s",
                tl_cand_type_name(ice->sel_local), tl_cand_type_name(ice->sel_remote));
    enlarge_buffers(ice);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                    gpointer data)
{
    (void)agent;
    (void)stream;
    (void)comp;
    tl_ice *ice = data;
    ice->cb.on_recv(ice->ud, (const uint8_t *)buf, len);
}

/* Splits "scheme:host[:port][?transport=x]" with the one URL parser
 * (src/common/uri.c); resolves host to a numeric address (IPv4 preferred).
 * Credentials come separately (tl_ice_server.username/credential). */
static int parse_url(const char *url, char *scheme, size_t scap, char ip[64], unsigned *port,
                     int *tcp)
{
    tl_uri u;
    if (tl_uri_parse(&u, TL_URI_ICE, url, NULL) || u.has_user ||
        snprintf(scheme, scap, "%s", u.scheme) >= (int)scap) {
        tl_uri_wipe(&u);
        return TL_ERR_INVALID_ARG;
    }
    *port = (unsigned)u.port;
    *tcp = u.tcp;
    const char *host = u.host;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return TL_ERR_INVALID_ARG;
    struct addrinfo *pick = res;
    for (struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    int rc = getnameinfo(pick->ai_addr, pick->ai_addrlen, ip, 64, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return rc == 0 ? TL_OK : TL_ERR_INVALID_ARG;
}

static int add_servers(tl_ice *ice, const tl_pc_config *cfg)
{
    for (size_t i = 0; i < cfg->n_ice_servers; i++) {
        const tl_ice_server *s = &cfg->ice_servers[i];
        char scheme[8], ip[64];
        unsigned port;
        int tcp;
        if (!s->url || parse_url(s->url, scheme, sizeof(scheme), ip, &port, &tcp) != TL_OK)
            return TL_ERR_INVALID_ARG;
        if (!strcmp(scheme, "stun")) {
            if (!ice->relay_only) /* relay-only: nobody but the TURN server */
                g_object_set(ice->agent, "stun-server", ip, "stun-server-port", port, NULL);
        } else if (!strcmp(scheme, "turn")) {
            if (!nice_agent_set_relay_info(
                    ice->agent, ice->stream, 1, ip, port, s->username ? s->username : "",
                    s->credential ? s->credential : "",
                    tcp ? NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP))
                return TL_ERR_INVALID_ARG;
        } else {
            return TL_ERR_INVALID_ARG; /* turns: and others are not supported */
        }
    }
    return TL_OK;
}

/* Every interface (no --bind): the local addresses libnice would use, less
 * IPv6 link-local ones, given explicitly so those are never gathered. */
static int add_all_but_link_local(tl_ice *ice)
{
    GList *ips = nice_interfaces_get_local_ips(FALSE);
    int rc = TL_OK;
    for (GList *l = ips; l; l = l->next) {
        NiceAddress addr;
        nice_address_init(&addr);
        if (!nice_address_set_from_string(&addr, l->data) || is_link_local(&addr))
            continue;
        if (!nice_agent_add_local_address(ice->agent, &addr))
            rc = TL_ERR_INVALID_ARG;
    }
    g_list_free_full(ips, g_free);
    return rc;
}

static int add_allowed(tl_ice *ice, const tl_pc_config *cfg)
{
    if (cfg->n_allowed == 0)
        return add_all_but_link_local(ice);
    for (size_t i = 0; i < cfg->n_allowed; i++) {
        const char *a = cfg->allowed[i];
        NiceAddress addr;
        nice_address_init(&addr);
        if (!a)
            return TL_ERR_INVALID_ARG;
        if (!nice_address_set_from_string(&addr, a)) {
            gchar *ip = nice_interfaces_get_ip_for_interface((gchar *)a);
            int ok = ip && nice_address_set_from_string(&addr, ip);
            g_free(ip);
            if (!ok)
                return TL_ERR_INVALID_ARG;
        }
        if (!nice_agent_add_local_address(ice->agent, &addr))
            return TL_ERR_INVALID_ARG;
    }
    return TL_OK;
}

/* libnice reports through GLib's default log handler, which prints to
 * stderr; the library never prints, so its messages are dropped (the
 * states they describe reach the tl_loop logger through our signals). The
 * notable one: "still have alive TURN refreshes" when an agent with relay
 * candidates is released; coturn then expires the allocation itself. */
static void drop_nice_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                          gpointer data)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)data;
}

static gpointer install_log_handler(gpointer arg)
{
    (void)arg;
    g_log_set_handler(
        "libnice", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
        drop_nice_log, NULL);
    return NULL;
}

static gboolean flush_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    g_source_set_ready_time(src, -1);
    tl_ice_flush(*(tl_ice **)(src + 1));
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_funcs = {.dispatch = flush_dispatch};

int tl_ice_new(tl_ice **out, tl_loop *loop, const tl_pc_config *cfg, const char *subject,
               const tl_ice_cb *cb, void *ud)
{
    if (cfg->port_min > cfg->port_max || (cfg->port_min == 0) != (cfg->port_max == 0))
        return TL_ERR_INVALID_ARG;
    static GOnce once = G_ONCE_INIT;
    g_once(&once, install_log_handler, NULL);
    tl_ice *ice = calloc(1, sizeof(*ice));
    if (!ice)
        return TL_ERR_NOMEM;
    ice->loop = loop;
    ice->subject = subject;
    ice->relay_only = cfg->relay_only;
    ice->cb = *cb;
    ice->ud = ud;
    ice->flush_src = g_source_new(&flush_funcs, sizeof(GSource) + sizeof(tl_ice *));
    *(tl_ice **)(ice->flush_src + 1) = ice;
    g_source_attach(ice->flush_src, tl_loop_gcontext(loop));
    ice->agent =
        nice_agent_new_full(tl_loop_gcontext(loop), NICE_COMPATIBILITY_RFC5245,
                            NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
    if (!ice->agent) {
        tl_ice_free(ice);
        return TL_ERR_NOMEM;
    }
    g_object_set(ice->agent, "ice-tcp", FALSE, "ice-udp", TRUE, "upnp", FALSE, "stun-pacing-timer",
                 5u, "force-relay", cfg->relay_only ? TRUE : FALSE, NULL);
    ice->stream = nice_agent_add_stream(ice->agent, 1);
    int rc = ice->stream ? TL_OK : TL_ERR_NOMEM;
    if (rc == TL_OK && cfg->port_min)
        nice_agent_set_port_range(ice->agent, ice->stream, 1, cfg->port_min, cfg->port_max);
    if (rc == TL_OK)
        rc = add_servers(ice, cfg);
    if (rc == TL_OK)
        rc = add_allowed(ice, cfg);
    if (rc != TL_OK) {
        tl_ice_free(ice);
        return rc;
    }
    g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
    g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
    g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
    g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
    nice_agent_attach_recv(ice->agent, ice->stream, 1, tl_loop_gcontext(loop), on_recv, ice);
    *out = ice;
    return TL_OK;
}

void tl_ice_free(tl_ice *ice)
{
    if (!ice)
        return;
    stop_fail_timer(ice);
    if (ice->agent)
        tl_ice_flush(ice); /* a final ABORT or close_notify */
    if (ice->flush_src) {
        g_source_destroy(ice->flush_src);
        g_source_unref(ice->flush_src);
    }
    if (ice->agent) {
        g_signal_handlers_disconnect_by_data(ice->agent, ice);
        if (ice->stream) {
            nice_agent_attach_recv(ice->agent, ice->stream, 1, tl_loop_gcontext(ice->loop), NULL,
                                   NULL);
            nice_agent_remove_stream(ice->agent, ice->stream);
        }
        g_object_unref(ice->agent);
    }
    free(ice);
}

void tl_ice_set_controlling(tl_ice *ice, int controlling)
{
    ice->controlling = controlling;
    g_object_set(ice->agent, "controlling-mode", controlling ? TRUE : FALSE, NULL);
}

int tl_ice_gather(tl_ice *ice)
{
    if (ice->gathering_started)
        return TL_OK;
    ice->gathering_started = 1;
    if (!nice_agent_gather_candidates(ice->agent, ice->stream))
        return TL_ERR_IO;
    return TL_OK;
}

int tl_ice_gathering_done(const tl_ice *ice)
{
    return ice->gathering_done;
}

void tl_ice_local_credentials(const tl_ice *ice, char ufrag[257], char pwd[257])
{
    gchar *u = NULL, *p = NULL;
    ufrag[0] = pwd[0] = 0;
    if (nice_agent_get_local_credentials(ice->agent, ice->stream, &u, &p)) {
        g_strlcpy(ufrag, u, 257);
        g_strlcpy(pwd, p, 257);
    }
    g_free(u);
    g_free(p);
}

int tl_ice_remote_changed(const tl_ice *ice, const char *ufrag, const char *pwd)
{
    return ice->remote_ufrag[0] &&
           (strcmp(ufrag, ice->remote_ufrag) || strcmp(pwd, ice->remote_pwd));
}

int tl_ice_set_remote_credentials(tl_ice *ice, const char *ufrag, const char *pwd)
{
    if (!ufrag[0] || !pwd[0])
        return TL_ERR_INVALID_ARG;
    if (!strcmp(ufrag, ice->remote_ufrag) && !strcmp(pwd, ice->remote_pwd))
        return TL_OK;
    g_strlcpy(ice->remote_ufrag, ufrag, sizeof(ice->remote_ufrag));
    g_strlcpy(ice->remote_pwd, pwd, sizeof(ice->remote_pwd));
    if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd))
        return TL_ERR_INVALID_ARG;
    return TL_OK;
}

static NiceCandidateType to_nice_type(tl_cand_type t)
{
    switch (t) {
    case TL_CAND_SRFLX:
        return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
    case TL_CAND_PRFLX:
        return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
    case TL_CAND_RELAY:
        return NICE_CANDIDATE_TYPE_RELAYED;
    default:
        return NICE_CANDIDATE_TYPE_HOST;
    }
}

int tl_ice_add_remote_candidate(tl_ice *ice, const tl_sdp_candidate *c)
{
    if (ice->relay_only && c->type != TL_CAND_RELAY) {
        tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject,
                    "ice: relay-only: dropped a remote %s candidate", tl_cand_type_name(c->type));
        return TL_OK;
    }
    if (strcmp(c->transport, "udp") != 0 || c->component != 1)
        return TL_OK; /* TCP candidates and RTCP components are not used */
    NiceCandidate *nc = nice_candidate_new(to_nice_type(c->type));
    if (!nc)
        return TL_ERR_NOMEM;
    nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    nc->stream_id = ice->stream;
    nc->component_id = 1;
    nc->priority = c->priority;
    g_strlcpy(nc->foundation, c->foundation, sizeof(nc->foundation));
    if (!nice_address_set_from_string(&nc->addr, c->addr)) {
        /* mDNS names (.local) are not resolved. */
        tl_loop_log(ice->loop, TL_LOG_DEBUG, ice->subject,
                    "ice: dropped an unresolvable candidate");
        nice_candidate_free(nc);
        return TL_OK;
    }
    nice_address_set_port(&nc->addr, c->port);
    GSList *l = g_slist_append(NULL, nc);
    nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, l);
    g_slist_free(l);
    nice_candidate_free(nc);
    return TL_OK;
}

void tl_ice_end_of_remote_candidates(tl_ice *ice)
{
    nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

size_t tl_ice_local_candidates(const tl_ice *ice, tl_sdp_candidate *out, size_t cap)
{
    GSList *l = nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
    size_t n = 0;
    for (GSList *i = l; i; i = i->next) {
        NiceCandidate *nc = i->data;
        if (n < cap && allowed_local(ice, nc) && to_sdp_candidate(nc, &out[n]) == TL_OK)
            n++;
        nice_candidate_free(nc);
    }
    g_slist_free(l);
    return n;
}

int tl_ice_restart(tl_ice *ice)
{
    if (!nice_agent_restart_stream(ice->agent, ice->stream))
        return TL_ERR_STATE;
    ice->remote_ufrag[0] = ice->remote_pwd[0] = 0;
    /* Only a restart of a working connection gets the grace below: after a
     * loss of connectivity a failure is reported as before. */
    ice->restart_pending = ice->state == TL_ICE_CONNECTED;
    stop_fail_timer(ice);
    tl_loop_log(ice->loop, TL_LOG_INFO, ice->subject, "ice: restart (new credentials)");
    return TL_OK;
}

void tl_ice_flush(tl_ice *ice)
{
    if (!ice->n_batch)
        return;
    GOutputVector vec[TL_ICE_BATCH];
    NiceOutputMessage msg[TL_ICE_BATCH];
    for (unsigned i = 0; i < ice->n_batch; i++) {
        vec[i].buffer = ice->batch[i];
        vec[i].size = ice->batch_len[i];
        msg[i].buffers = &vec[i];
        msg[i].n_buffers = 1;
    }
    /* UDP semantics: what the socket refuses (buffer full) is lost and
     * SCTP / DTLS retransmit it. */
    nice_agent_send_messages_nonblocking(ice->agent, ice->stream, 1, msg, ice->n_batch, NULL, NULL);
    ice->n_batch = 0;
}

int tl_ice_send(tl_ice *ice, const uint8_t *buf, size_t len)
{
    if (len > TL_ICE_SLOT) {
        tl_ice_flush(ice);
        gint r = nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)buf);
        return r < 0 ? TL_ERR_AGAIN : TL_OK;
    }
    if (ice->n_batch == TL_ICE_BATCH)
        tl_ice_flush(ice);
    if (ice->n_batch == 0)
        g_source_set_ready_time(ice->flush_src, 0);
    memcpy(ice->batch[ice->n_batch], buf, len);
    ice->batch_len[ice->n_batch++] = len;
    return TL_OK;
}

int tl_ice_selected_types(const tl_ice *ice, tl_cand_type *local, tl_cand_type *remote)
{
    *local = ice->sel_local;
    *remote = ice->sel_remote;
    return ice->selected;
}
