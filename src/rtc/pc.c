/* tl_pc: the peer connection. Owns the layers (ice -> dtls -> sctp) and the
 * channels, runs offer/answer, and maps layer events to connection states:
 *
 *   NEW --set descriptions--> CONNECTING --ICE+DTLS+SCTP up--> CONNECTED
 *   CONNECTED --ICE lost--> DISCONNECTED --ICE back--> CONNECTED
 *   any --ICE failed / DTLS failed (bad fingerprint)--> FAILED
 *   any --tl_pc_close--> CLOSED;  peer close_notify / ABORT --> CLOSED
 *
 * Callbacks to the user are made only from loop dispatch, never from inside
 * an API call: state changes, local candidates and channel open/close
 * notices that arise inside an API call are queued and delivered by the
 * "deferred" source. Layer teardown never happens while a layer is on the
 * stack: when tl_pc_close()/tl_pc_free() run inside a callback (depth > 0)
 * the layers are detached at once and freed from the deferred source. */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/loop_internal.h"
#include "rtc/rtc_internal.h"
#include "tallow/crypto.h"

#define TL_SCTP_PORT 5000
#define TL_EARLY_MAX 16 /* datagrams held until DTLS exists */
#define TL_STATE_RING 16

struct cand_note {
    struct cand_note *next;
    int done; /* gathering-done marker */
    char text[];
};

struct early_pkt {
    struct early_pkt *next;
    size_t len;
    uint8_t data[];
};

struct tl_pc {
    tl_loop *loop;
    char subject[32];
    tl_pc_config cfg;
    tl_ice_server *servers;
    char **allowed;
    tl_pc_callbacks cb;
    void *ud;
    tl_cert *cert;
    int own_cert;

    tl_ice *ice;
    tl_dtls *dtls;
    tl_sctp *sctp;
    int sctp_up;
    tl_pc_state state;
    int ice_connected;

    int have_local, have_remote;
    int offerer;          /* we made the first offer */
    int pending_offer;    /* local offer made, answer awaited */
    tl_sdp *remote_offer; /* kept from set_remote(offer) until the answer */
    int dtls_client, dtls_role_known, dtls_started;
    uint8_t remote_fp[TL_FINGERPRINT_LEN];
    int has_remote_fp;
    size_t remote_mms;
    uint16_t remote_sctp_port;
    uint64_t session_id, session_version;
    char mid[33];
    int restart_pending;

    struct early_pkt *early;
    size_t n_early;

    tl_dc *dcs;
    tl_dc *pump_cursor;

    uint64_t bytes_sent, bytes_received, msgs_sent, msgs_received;

    GSource *deferred;
    struct cand_note *cands_head, *cands_tail;
    tl_pc_state state_ring[TL_STATE_RING];
    unsigned ring_r, ring_w;
    int depth;
    int teardown_pending;
    int freed;
};

static gint g_pc_counter; /* names "pc N" in logs */

const char *tl_pc_state_name(tl_pc_state s)
{
    static const char *names[] = {"new",    "connecting", "connected", "disconnected",
                                  "failed", "closing",    "closed"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *tl_cand_type_name(tl_cand_type t)
{
    static const char *names[] = {"host", "srflx", "prflx", "relay", "unknown"};
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* ---- accessors for dc.c ---- */

tl_loop *tl_pc_loop(const tl_pc *pc)
{
    return pc->loop;
}
const char *tl_pc_subject(const tl_pc *pc)
{
    return pc->subject;
}
tl_sctp *tl_pc_sctp(const tl_pc *pc)
{
    return pc->sctp_up && !pc->teardown_pending ? pc->sctp : NULL;
}
int tl_pc_dtls_client(const tl_pc *pc)
{
    return pc->dtls_client;
}
size_t tl_pc_remote_max_message_size(const tl_pc *pc)
{
    return pc->remote_mms;
}
struct tl_dc **tl_pc_dc_list(tl_pc *pc)
{
    return &pc->dcs;
}
struct tl_dc **tl_pc_pump_cursor(tl_pc *pc)
{
    return &pc->pump_cursor;
}
void tl_pc_count_sent(tl_pc *pc, size_t bytes)
{
    pc->bytes_sent += bytes;
    pc->msgs_sent++;
}
void tl_pc_count_received(tl_pc *pc, size_t bytes)
{
    pc->bytes_received += bytes;
    pc->msgs_received++;
}
int tl_pc_alive(const tl_pc *pc)
{
    return !pc->freed;
}
const tl_pc_callbacks *tl_pc_cbs(const tl_pc *pc, void **ud)
{
    *ud = pc->ud;
    return &pc->cb;
}
tl_pc_state tl_pc_get_state(const tl_pc *pc)
{
    return pc->state;
}

void tl_pc_flush(tl_pc *pc)
{
    if (pc->ice)
        tl_ice_flush(pc->ice);
}

void tl_pc_schedule_deferred(tl_pc *pc)
{
    if (pc->deferred)
        g_source_set_ready_time(pc->deferred, 0);
}

static void set_state(tl_pc *pc, tl_pc_state st)
{
    if (pc->state == st)
        return;
    if (pc->state == TL_PC_CLOSED || (pc->state == TL_PC_FAILED && st != TL_PC_CLOSED))
        return; /* terminal */
    pc->state = st;
    tl_loop_log(pc->loop, TL_LOG_INFO, pc->subject, "state %s", tl_pc_state_name(st));
    if (pc->ring_w - pc->ring_r < TL_STATE_RING)
        pc->state_ring[pc->ring_w++ % TL_STATE_RING] = st;
    tl_pc_schedule_deferred(pc);
}

/* ---- teardown ---- */

static void free_layers(tl_pc *pc)
{
    /* Top down: SCTP's ABORT still leaves through DTLS and ICE. */
    tl_sctp_free(pc->sctp);
    pc->sctp = NULL;
    pc->sctp_up = 0;
    if (pc->dtls)
        tl_dtls_close(pc->dtls); /* close_notify */
    tl_dtls_free(pc->dtls);
    pc->dtls = NULL;
    tl_ice_free(pc->ice);
    pc->ice = NULL;
    while (pc->early) {
        struct early_pkt *n = pc->early->next;
        free(pc->early);
        pc->early = n;
    }
    pc->n_early = 0;
    pc->teardown_pending = 0;
}

/* Stops the transports. Inside a callback the layers are only detached; the
 * deferred source frees them. */
static void shutdown_transports(tl_pc *pc)
{
    if (pc->sctp)
        tl_sctp_detach(pc->sctp);
    tl_dc_close_all(pc);
    if (pc->depth > 0) {
        pc->teardown_pending = 1;
        tl_pc_schedule_deferred(pc);
    } else {
        free_layers(pc);
    }
}

static void free_all(tl_pc *pc)
{
    free_layers(pc);
    tl_dc_free_all(pc);
    while (pc->cands_head) {
        struct cand_note *n = pc->cands_head->next;
        free(pc->cands_head);
        pc->cands_head = n;
    }
    if (pc->deferred) {
        g_source_destroy(pc->deferred);
        g_source_unref(pc->deferred);
    }
    free(pc->remote_offer);
    if (pc->own_cert)
        tl_cert_free(pc->cert);
    for (size_t i = 0; i < pc->cfg.n_ice_servers; i++) {
        free((char *)pc->servers[i].url);
        free((char *)pc->servers[i].username);
        free((char *)pc->servers[i].credential);
    }
    free(pc->servers);
    for (size_t i = 0; i < pc->cfg.n_allowed; i++)
        free(pc->allowed[i]);
    free(pc->allowed);
    free(pc);
}

/* ---- deferred source ---- */

static void run_deferred(tl_pc *pc)
{
    if (pc->teardown_pending)
        free_layers(pc);
    while (!pc->freed && pc->cands_head) {
        struct cand_note *n = pc->cands_head;
        pc->cands_head = n->next;
        if (!pc->cands_head)
            pc->cands_tail = NULL;
        if (n->done && pc->cb.on_gathering_done)
            pc->cb.on_gathering_done(pc, pc->ud);
        else if (!n->done && pc->cb.on_local_candidate)
            pc->cb.on_local_candidate(pc, n->text, pc->mid, pc->ud);
        free(n);
    }
    while (!pc->freed && pc->ring_r != pc->ring_w) {
        tl_pc_state st = pc->state_ring[pc->ring_r++ % TL_STATE_RING];
        if (pc->cb.on_state)
            pc->cb.on_state(pc, st, pc->ud);
    }
    if (!pc->freed)
        tl_dc_run_deferred(pc);
    if (pc->teardown_pending && !pc->freed)
        free_layers(pc);
}

static gboolean deferred_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    tl_pc *pc = *(tl_pc **)(src + 1);
    g_source_set_ready_time(src, -1);
    pc->depth++;
    run_deferred(pc);
    pc->depth--;
    if (pc->freed && pc->depth == 0)
        free_all(pc);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs deferred_funcs = {.dispatch = deferred_dispatch};

/* Handlers called by the layers run between enter() and leave(). */
static void enter(tl_pc *pc)
{
    pc->depth++;
}
static void leave(tl_pc *pc)
{
    pc->depth--;
    if (pc->depth == 0 && (pc->freed || pc->teardown_pending))
        tl_pc_schedule_deferred(pc);
}

/* ---- SCTP handlers ---- */

static void sctp_send_cb(void *ud, const uint8_t *buf, size_t len)
{
    tl_pc *pc = ud;
    if (pc->dtls)
        tl_dtls_send(pc->dtls, buf, len);
}

static void sctp_connected_cb(void *ud)
{
    tl_pc *pc = ud;
    enter(pc);
    pc->sctp_up = 1;
    set_state(pc, TL_PC_CONNECTED);
    tl_dc_on_sctp_connected(pc);
    leave(pc);
}

static void sctp_message_cb(void *ud, uint16_t sid, uint32_t ppid, const uint8_t *d, size_t len)
{
    tl_pc *pc = ud;
    if (pc->freed || pc->teardown_pending)
        return;
    enter(pc);
    tl_dc_on_message(pc, sid, ppid, d, len);
    leave(pc);
}

static void sctp_writable_cb(void *ud)
{
    tl_pc *pc = ud;
    if (pc->freed || pc->teardown_pending)
        return;
    enter(pc);
    tl_dc_on_writable(pc);
    tl_pc_flush(pc);
    leave(pc);
}

static void sctp_reset_cb(void *ud, uint16_t sid)
{
    tl_pc *pc = ud;
    enter(pc);
    tl_dc_on_stream_reset(pc, sid);
    leave(pc);
}

static void sctp_closed_cb(void *ud)
{
    tl_pc *pc = ud;
    enter(pc);
    set_state(pc, TL_PC_CLOSED);
    shutdown_transports(pc);
    leave(pc);
}

static const tl_sctp_cb sctp_cbs = {sctp_send_cb,     sctp_connected_cb, sctp_message_cb,
                                    sctp_writable_cb, sctp_reset_cb,     sctp_closed_cb};

/* ---- DTLS handlers ---- */

static void dtls_send_cb(void *ud, const uint8_t *buf, size_t len)
{
    tl_pc *pc = ud;
    if (pc->ice)
        tl_ice_send(pc->ice, buf, len);
}

static void dtls_connected_cb(void *ud)
{
    tl_pc *pc = ud;
    enter(pc);
    int rc = tl_sctp_new(&pc->sctp, pc->loop, TL_SCTP_PORT, pc->remote_sctp_port, pc->subject,
                         &sctp_cbs, pc);
    if (rc == TL_OK) {
        size_t local = pc->cfg.max_message_size;
        tl_sctp_set_max_message(pc->sctp, local);
        rc = tl_sctp_connect(pc->sctp);
    }
    if (rc != TL_OK) {
        tl_loop_log(pc->loop, TL_LOG_ERROR, pc->subject, "sctp setup failed: %s", tl_strerror(rc));
        set_state(pc, TL_PC_FAILED);
        shutdown_transports(pc);
    }
    leave(pc);
}

static void dtls_data_cb(void *ud, const uint8_t *buf, size_t len)
{
    tl_pc *pc = ud;
    if (pc->sctp)
        tl_sctp_input(pc->sctp, buf, len);
}

static void dtls_failed_cb(void *ud, int err)
{
    tl_pc *pc = ud;
    enter(pc);
    tl_loop_log(pc->loop, err == TL_ERR_CLOSED ? TL_LOG_INFO : TL_LOG_WARN, pc->subject, "dtls: %s",
                err == TL_ERR_CLOSED ? "closed by peer" : tl_strerror(err));
    set_state(pc, err == TL_ERR_CLOSED && pc->sctp_up ? TL_PC_CLOSED : TL_PC_FAILED);
    shutdown_transports(pc);
    leave(pc);
}

static const tl_dtls_cb dtls_cbs = {dtls_send_cb, dtls_connected_cb, dtls_data_cb, dtls_failed_cb};

static void maybe_start_dtls(tl_pc *pc)
{
    if (!pc->dtls_role_known || !pc->has_remote_fp || pc->state >= TL_PC_FAILED || !pc->ice)
        return;
    if (!pc->dtls) {
        int rc = tl_dtls_new(&pc->dtls, pc->loop, pc->cert, pc->dtls_client, pc->remote_fp,
                             pc->subject, &dtls_cbs, pc);
        if (rc != TL_OK) {
            set_state(pc, TL_PC_FAILED);
            return;
        }
        /* Server: feed what arrived before we knew our role. */
        while (pc->early && pc->dtls) {
            struct early_pkt *p = pc->early;
            pc->early = p->next;
            tl_dtls_input(pc->dtls, p->data, p->len);
            free(p);
        }
        pc->n_early = 0;
    }
    if (pc->dtls_client && pc->ice_connected && pc->dtls && !pc->dtls_started) {
        pc->dtls_started = 1;
        tl_dtls_start(pc->dtls);
    }
}

/* ---- ICE handlers ---- */

static void queue_note(tl_pc *pc, const char *text, int done)
{
    size_t n = text ? strlen(text) : 0;
    struct cand_note *c = malloc(sizeof(*c) + n + 1);
    if (!c)
        return;
    c->next = NULL;
    c->done = done;
    if (n)
        memcpy(c->text, text, n);
    c->text[n] = 0;
    if (pc->cands_tail)
        pc->cands_tail->next = c;
    else
        pc->cands_head = c;
    pc->cands_tail = c;
    tl_pc_schedule_deferred(pc);
}

static void ice_candidate_cb(void *ud, const tl_sdp_candidate *c)
{
    tl_pc *pc = ud;
    char buf[512];
    if (tl_sdp_format_candidate(c, buf, sizeof(buf)) == TL_OK)
        queue_note(pc, buf, 0);
}

static void ice_gathering_done_cb(void *ud)
{
    queue_note(ud, NULL, 1);
}

static void ice_state_cb(void *ud, tl_ice_state st)
{
    tl_pc *pc = ud;
    enter(pc);
    switch (st) {
    case TL_ICE_CHECKING:
        if (pc->state == TL_PC_NEW)
            set_state(pc, TL_PC_CONNECTING);
        break;
    case TL_ICE_CONNECTED:
        if (!pc->ice_connected) {
            pc->ice_connected = 1;
            maybe_start_dtls(pc);
        }
        if (pc->state == TL_PC_DISCONNECTED)
            set_state(pc, TL_PC_CONNECTED);
        break;
    case TL_ICE_DISCONNECTED:
        if (pc->state == TL_PC_CONNECTED)
            set_state(pc, TL_PC_DISCONNECTED);
        break;
    case TL_ICE_FAILED:
        if (pc->sctp_up) {
            /* Consent lost on a live connection: DTLS and SCTP stay up, so
             * an ICE restart can bring the same channels back. SCTP gives
             * up on its own (heartbeats) if nothing happens. */
            tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "ice: connectivity lost");
            set_state(pc, TL_PC_DISCONNECTED);
            break;
        }
        tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "ice failed");
        set_state(pc, TL_PC_FAILED);
        shutdown_transports(pc);
        break;
    default:
        break;
    }
    leave(pc);
}

static void ice_recv_cb(void *ud, const uint8_t *buf, size_t len)
{
    tl_pc *pc = ud;
    if (pc->freed || pc->teardown_pending)
        return;
    enter(pc);
    /* RFC 7983 demux: only DTLS (first byte 20..63) goes up. */
    if (len > 0 && buf[0] >= 20 && buf[0] <= 63) {
        if (pc->dtls) {
            tl_dtls_input(pc->dtls, buf, len);
        } else if (pc->n_early < TL_EARLY_MAX) {
            struct early_pkt *p = malloc(sizeof(*p) + len);
            if (p) {
                p->len = len;
                memcpy(p->data, buf, len);
                p->next = NULL;
                struct early_pkt **t = &pc->early;
                while (*t)
                    t = &(*t)->next;
                *t = p;
                pc->n_early++;
            }
        }
    }
    leave(pc);
}

static const tl_ice_cb ice_cbs = {ice_candidate_cb, ice_gathering_done_cb, ice_state_cb,
                                  ice_recv_cb};

/* ---- construction ---- */

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int copy_config(tl_pc *pc, const tl_pc_config *cfg)
{
    pc->cfg = *cfg;
    pc->cfg.ice_servers = NULL;
    pc->cfg.allowed = NULL;
    if (!pc->cfg.max_message_size)
        pc->cfg.max_message_size = TL_DEFAULT_MAX_MESSAGE_SIZE;
    if (cfg->n_ice_servers) {
        pc->servers = calloc(cfg->n_ice_servers, sizeof(*pc->servers));
        if (!pc->servers) {
            pc->cfg.n_ice_servers = 0;
            return TL_ERR_NOMEM;
        }
        for (size_t i = 0; i < cfg->n_ice_servers; i++) {
            const tl_ice_server *s = &cfg->ice_servers[i];
            pc->servers[i].url = dup_str(s->url);
            pc->servers[i].username = dup_str(s->username);
            pc->servers[i].credential = dup_str(s->credential);
            if (!s->url)
                return TL_ERR_INVALID_ARG;
            if (!pc->servers[i].url || (s->username && !pc->servers[i].username) ||
                (s->credential && !pc->servers[i].credential))
                return TL_ERR_NOMEM;
        }
        pc->cfg.ice_servers = pc->servers;
    }
    if (cfg->n_allowed) {
        pc->allowed = calloc(cfg->n_allowed, sizeof(char *));
        if (!pc->allowed) {
            pc->cfg.n_allowed = 0;
            return TL_ERR_NOMEM;
        }
        for (size_t i = 0; i < cfg->n_allowed; i++) {
            if (!cfg->allowed[i])
                return TL_ERR_INVALID_ARG;
            if (!(pc->allowed[i] = strdup(cfg->allowed[i])))
                return TL_ERR_NOMEM;
        }
        pc->cfg.allowed = (const char *const *)pc->allowed;
    }
    return TL_OK;
}

int tl_pc_new(tl_pc **out, tl_loop *loop, const tl_pc_config *cfg, const tl_pc_callbacks *cb,
              void *ud)
{
    if (!out || !loop)
        return TL_ERR_INVALID_ARG;
    tl_pc *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return TL_ERR_NOMEM;
    static const tl_pc_config defaults = {0};
    pc->loop = loop;
    snprintf(pc->subject, sizeof(pc->subject), "pc %u",
             (unsigned)g_atomic_int_add(&g_pc_counter, 1) + 1);
    if (cb)
        pc->cb = *cb;
    pc->ud = ud;
    pc->remote_mms = 65536;
    pc->remote_sctp_port = TL_SCTP_PORT;
    g_strlcpy(pc->mid, "0", sizeof(pc->mid));
    pc->deferred = g_source_new(&deferred_funcs, sizeof(GSource) + sizeof(tl_pc *));
    *(tl_pc **)(pc->deferred + 1) = pc;
    g_source_attach(pc->deferred, tl_loop_gcontext(loop));
    int rc = copy_config(pc, cfg ? cfg : &defaults);
    if (rc == TL_OK) {
        if (pc->cfg.cert) {
            pc->cert = pc->cfg.cert;
        } else {
            rc = tl_cert_new(&pc->cert);
            pc->own_cert = rc == TL_OK;
        }
    }
    if (rc == TL_OK)
        rc = tl_ice_new(&pc->ice, loop, &pc->cfg, pc->subject, &ice_cbs, pc);
    uint64_t sid = 0;
    if (rc == TL_OK && tl_random((uint8_t *)&sid, sizeof(sid)) != TL_OK)
        rc = TL_ERR_CRYPTO;
    if (rc != TL_OK) {
        free_all(pc);
        return rc;
    }
    pc->session_id = sid & 0x3fffffffffffffffULL;
    pc->state = TL_PC_NEW;
    tl_loop_log(loop, TL_LOG_INFO, pc->subject, "created%s",
                pc->cfg.relay_only ? " (relay-only)" : "");
    *out = pc;
    return TL_OK;
}

int tl_pc_close(tl_pc *pc)
{
    if (pc->state == TL_PC_CLOSED && !pc->ice)
        return TL_OK;
    pc->state = TL_PC_CLOSED; /* local close: no state callback (as in W3C) */
    pc->ring_r = pc->ring_w;
    shutdown_transports(pc);
    return TL_OK;
}

void tl_pc_free(tl_pc *pc)
{
    if (!pc || pc->freed)
        return;
    tl_pc_close(pc);
    pc->freed = 1;
    if (pc->depth > 0) {
        tl_pc_schedule_deferred(pc);
        return;
    }
    free_all(pc);
}

/* ---- descriptions ---- */

static void fill_local_sdp(tl_pc *pc, tl_sdp *s)
{
    memset(s, 0, sizeof(*s));
    s->session_id = pc->session_id;
    s->session_version = ++pc->session_version;
    s->has_datachannel = 1;
    g_strlcpy(s->mid, pc->mid, sizeof(s->mid));
    tl_ice_local_credentials(pc->ice, s->ice_ufrag, s->ice_pwd);
    s->ice_options_trickle = 1;
    s->has_fingerprint = 1;
    memcpy(s->fingerprint, pc->cert->fp, TL_FINGERPRINT_LEN);
    s->sctp_port = TL_SCTP_PORT;
    s->max_message_size = pc->cfg.max_message_size;
    s->n_candidates = tl_ice_local_candidates(pc->ice, s->candidates, TL_SDP_MAX_CANDIDATES);
    /* Candidates and their end are trickled (on_local_candidate,
     * on_gathering_done); announcing the end here too would make everything
     * trickled afterwards arrive after end-of-candidates (RFC 8838 §4). */
    s->end_of_candidates = 0;
}

int tl_pc_create_offer(tl_pc *pc, char **sdp)
{
    if (!sdp)
        return TL_ERR_INVALID_ARG;
    if (pc->state >= TL_PC_FAILED || !pc->ice || pc->remote_offer)
        return TL_ERR_STATE;
    if (!pc->have_local && !pc->have_remote) {
        pc->offerer = 1;
        tl_ice_set_controlling(pc->ice, 1);
    }
    if (pc->restart_pending && pc->have_remote) {
        int rc = tl_ice_restart(pc->ice);
        if (rc != TL_OK)
            return rc;
    }
    pc->restart_pending = 0;
    int rc = tl_ice_gather(pc->ice);
    if (rc != TL_OK)
        return rc;
    tl_sdp *s = malloc(sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    fill_local_sdp(pc, s);
    if (!pc->dtls_role_known)
        s->setup = TL_SETUP_ACTPASS;
    else
        s->setup = pc->dtls_client ? TL_SETUP_ACTIVE : TL_SETUP_PASSIVE;
    rc = tl_sdp_emit(s, sdp);
    free(s);
    if (rc != TL_OK)
        return rc;
    pc->have_local = 1;
    pc->pending_offer = 1;
    return TL_OK;
}

int tl_pc_create_answer(tl_pc *pc, char **sdp)
{
    if (!sdp)
        return TL_ERR_INVALID_ARG;
    if (pc->state >= TL_PC_FAILED || !pc->ice || !pc->remote_offer)
        return TL_ERR_STATE;
    tl_sdp *r = pc->remote_offer;
    if (!pc->dtls_role_known) {
        /* Answerer: active (DTLS client) unless the offerer insists on it. */
        pc->dtls_client = r->setup != TL_SETUP_ACTIVE;
        pc->dtls_role_known = 1;
    }
    int rc = tl_ice_gather(pc->ice);
    if (rc != TL_OK)
        return rc;
    tl_sdp *s = malloc(sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    g_strlcpy(pc->mid, r->mid, sizeof(pc->mid));
    fill_local_sdp(pc, s);
    s->setup = pc->dtls_client ? TL_SETUP_ACTIVE : TL_SETUP_PASSIVE;
    s->dc_index = r->dc_index;
    s->n_others = r->n_others;
    memcpy(s->others, r->others, sizeof(s->others));
    rc = tl_sdp_emit(s, sdp);
    free(s);
    if (rc != TL_OK)
        return rc;
    free(pc->remote_offer);
    pc->remote_offer = NULL;
    pc->have_local = 1;
    maybe_start_dtls(pc);
    return TL_OK;
}

static int apply_remote_ice(tl_pc *pc, const tl_sdp *r, int is_offer)
{
    tl_ice *ice = pc->ice;
    /* A re-offer with new credentials is an ICE restart by the far side:
     * restart too, so our answer carries new local credentials. */
    if (is_offer && tl_ice_remote_changed(ice, r->ice_ufrag, r->ice_pwd)) {
        int rc = tl_ice_restart(ice);
        if (rc != TL_OK)
            return rc;
    }
    int rc = tl_ice_set_remote_credentials(ice, r->ice_ufrag, r->ice_pwd);
    if (rc != TL_OK)
        return rc;
    for (size_t i = 0; i < r->n_candidates; i++)
        tl_ice_add_remote_candidate(ice, &r->candidates[i]);
    if (r->end_of_candidates)
        tl_ice_end_of_remote_candidates(ice);
    return TL_OK;
}

static int check_remote(tl_pc *pc, const tl_sdp *r)
{
    if (!r->has_fingerprint) {
        tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "remote SDP has no sha-256 fingerprint");
        return TL_ERR_PARSE;
    }
    if (!r->ice_ufrag[0] || !r->ice_pwd[0]) {
        tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "remote SDP has no ICE credentials");
        return TL_ERR_PARSE;
    }
    if (pc->has_remote_fp && CRYPTO_memcmp(pc->remote_fp, r->fingerprint, TL_FINGERPRINT_LEN)) {
        tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "remote fingerprint changed");
        return TL_ERR_UNSUPPORTED;
    }
    return TL_OK;
}

/* Our DTLS role from the answer's a=setup (we made the offer). */
static void role_from_answer(tl_pc *pc, const tl_sdp *r)
{
    if (pc->dtls_role_known)
        return;
    /* active answerer -> we are the server; passive -> we are the client.
     * actpass or absent in an answer is invalid: behave as if active. */
    pc->dtls_client = r->setup == TL_SETUP_PASSIVE;
    pc->dtls_role_known = 1;
}

int tl_pc_set_remote_description(tl_pc *pc, const char *sdp, tl_sdp_type type)
{
    if (!sdp || (type != TL_SDP_OFFER && type != TL_SDP_ANSWER))
        return TL_ERR_INVALID_ARG;
    if (pc->state >= TL_PC_FAILED || !pc->ice)
        return TL_ERR_STATE;
    if ((type == TL_SDP_ANSWER && !pc->pending_offer) ||
        (type == TL_SDP_OFFER && pc->pending_offer))
        return TL_ERR_STATE; /* glare is not supported */
    tl_sdp *r = malloc(sizeof(*r));
    if (!r)
        return TL_ERR_NOMEM;
    char err[160] = "";
    int rc = tl_sdp_parse(sdp, strlen(sdp), r, err, sizeof(err));
    if (rc != TL_OK) {
        tl_loop_log(pc->loop, TL_LOG_WARN, pc->subject, "remote SDP rejected: %s", err);
        free(r);
        return rc == TL_ERR_UNSUPPORTED ? rc : TL_ERR_PARSE;
    }
    rc = check_remote(pc, r);
    if (rc == TL_OK) {
        if (!pc->have_remote) {
            if (type == TL_SDP_OFFER)
                tl_ice_set_controlling(pc->ice, 0);
            memcpy(pc->remote_fp, r->fingerprint, TL_FINGERPRINT_LEN);
            pc->has_remote_fp = 1;
            pc->remote_sctp_port = r->sctp_port ? r->sctp_port : TL_SCTP_PORT;
        }
        pc->remote_mms = r->max_message_size ? r->max_message_size : SIZE_MAX;
        rc = apply_remote_ice(pc, r, type == TL_SDP_OFFER);
    }
    if (rc != TL_OK) {
        free(r);
        return rc;
    }
    pc->have_remote = 1;
    if (pc->state == TL_PC_NEW)
        set_state(pc, TL_PC_CONNECTING);
    if (type == TL_SDP_ANSWER) {
        pc->pending_offer = 0;
        role_from_answer(pc, r);
        if (pc->mid[0] == 0 || strcmp(pc->mid, r->mid) != 0)
            tl_loop_log(pc->loop, TL_LOG_DEBUG, pc->subject, "answer mid differs from offer");
        free(r);
        maybe_start_dtls(pc);
    } else {
        free(pc->remote_offer);
        pc->remote_offer = r;
    }
    return TL_OK;
}

int tl_pc_add_remote_candidate(tl_pc *pc, const char *candidate, const char *mid)
{
    if (!candidate)
        return TL_ERR_INVALID_ARG;
    if (!pc->have_remote || !pc->ice || pc->state >= TL_PC_FAILED)
        return TL_ERR_STATE;
    (void)mid; /* one media section: every candidate belongs to it */
    tl_sdp_candidate c;
    if (tl_sdp_parse_candidate(candidate, &c) != TL_OK)
        return TL_ERR_PARSE;
    return tl_ice_add_remote_candidate(pc->ice, &c);
}

int tl_pc_end_of_remote_candidates(tl_pc *pc)
{
    if (!pc->have_remote || !pc->ice || pc->state >= TL_PC_FAILED)
        return TL_ERR_STATE;
    tl_ice_end_of_remote_candidates(pc->ice);
    return TL_OK;
}

int tl_pc_restart_ice(tl_pc *pc)
{
    if (!pc->ice || pc->state >= TL_PC_CLOSING || !pc->have_remote)
        return TL_ERR_STATE;
    pc->restart_pending = 1;
    return TL_OK;
}

int tl_pc_fingerprints(const tl_pc *pc, uint8_t local[TL_FINGERPRINT_LEN],
                       uint8_t remote[TL_FINGERPRINT_LEN])
{
    if (local)
        memcpy(local, pc->cert->fp, TL_FINGERPRINT_LEN);
    if (!pc->has_remote_fp)
        return TL_ERR_STATE;
    if (remote)
        memcpy(remote, pc->remote_fp, TL_FINGERPRINT_LEN);
    return TL_OK;
}

int tl_pc_get_stats(const tl_pc *pc, tl_pc_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->state = pc->state;
    out->bytes_sent = pc->bytes_sent;
    out->bytes_received = pc->bytes_received;
    out->messages_sent = pc->msgs_sent;
    out->messages_received = pc->msgs_received;
    out->local_type = out->remote_type = TL_CAND_UNKNOWN;
    if (pc->ice)
        out->pair_selected = tl_ice_selected_types(pc->ice, &out->local_type, &out->remote_type);
    if (pc->sctp && pc->sctp_up)
        tl_sctp_stats(pc->sctp, &out->srtt_ms, &out->retransmissions);
    return TL_OK;
}
