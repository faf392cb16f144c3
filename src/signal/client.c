/* Signaling client: one WebSocket (libwebsockets on the tl_loop's GLib
 * context), a send queue, reconnect with backoff over a list of URLs, and
 * rejoining its groups with the same peer id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/loop_internal.h"
#include "signal/joincode.h"
#include "signal/proto.h"
#include "tallow/crypto.h"
#include "tallow/signal.h"

#define QUEUE_MAX 1024
#define RX_MAX (1u << 20)

enum role { ROLE_CREATOR = 1, ROLE_CODE, ROLE_INVITE };

typedef struct my_group {
    uint32_t group;
    int role;
    uint32_t max;
    uint8_t proof[TL_SIG_PROOF_LEN]; /* verifier (creator) or join proof (code) */
    int need_rejoin;                 /* a rejoin came before the creator re-created the group */
} my_group;

typedef struct pending {
    int64_t rid;
    int kind; /* TL_SIG_CREATE_GROUP or TL_SIG_JOIN */
    int rejoin;
    int fixed; /* the caller chose the group number (create_group_code) */
    uint32_t group;
    int role;
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    uint8_t proof[TL_SIG_PROOF_LEN];
    char location[256];
} pending;

struct tl_signal_client {
    tl_loop *loop;
    GMainLoop *gloop;
    struct lws_context *ctx;
    struct lws *wsi;
    char **urls;
    size_t n_urls, url_idx;
    char cur_url[256];
    char name[TL_SIG_NAME_MAX + 1];
    int insecure;
    uint32_t bo_min, bo_max, max_attempts, attempts, backoff;
    tl_signal_callbacks cb;
    void *ud;
    tl_signal_state state;
    char peer[TL_SIG_ID_LEN + 1];
    char token[TL_SIG_TOKEN_LEN + 1];
    GQueue prio;  /* register and rejoin requests: sent before READY */
    GQueue queue; /* user requests: sent when READY */
    GString *rx;
    GArray *groups;   /* my_group */
    GArray *pendings; /* pending */
    int64_t next_rid;
    tl_timer *retry;
    tl_timer *rejoin_timer; /* joins again while the creator is not back */
    unsigned rejoin_tries;
    SSL_CTX *ssl_ctx;   /* ours, lent to lws for wss (lws 4.1 leaks its own) */
    char cert_err[160]; /* why the server's certificate was refused ("" if not) */
    int doomed;
    /* ICE servers from the last "registered" (SIGNALING.md §2) */
    tl_ice_server ice[TL_SIGNAL_MAX_ICE];
    size_t n_ice;
};

/* ------------------------------------------------------------ helpers */

int tl_signal_client_create_group(tl_signal_client *c, const char *location);

static void set_state(tl_signal_client *c, tl_signal_state st)
{
    if (c->state == st)
        return;
    c->state = st;
    if (c->cb.on_state && !c->doomed)
        c->cb.on_state(c->ud, st);
}

static int enqueue(tl_signal_client *c, GQueue *q, cJSON *o)
{
    if (!o)
        return TL_ERR_NOMEM;
    if (g_queue_get_length(q) >= QUEUE_MAX) {
        cJSON_Delete(o);
        return TL_ERR_LIMIT;
    }
    char *t = tl_sig_print_free(o);
    if (!t)
        return TL_ERR_NOMEM;
    g_queue_push_tail(q, t);
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return TL_OK;
}

static void queue_clear(GQueue *q)
{
    char *t;
    while ((t = g_queue_pop_head(q)))
        cJSON_free(t);
}

static my_group *find_group(tl_signal_client *c, uint32_t g)
{
    for (guint i = 0; i < c->groups->len; i++) {
        my_group *m = &g_array_index(c->groups, my_group, i);
        if (m->group == g)
            return m;
    }
    return NULL;
}

static void forget_group(tl_signal_client *c, uint32_t g)
{
    for (guint i = 0; i < c->groups->len; i++) {
        my_group *m = &g_array_index(c->groups, my_group, i);
        if (m->group == g) {
            OPENSSL_cleanse(m, sizeof(*m));
            g_array_remove_index(c->groups, i);
            return;
        }
    }
}

static int take_pending(tl_signal_client *c, int64_t rid, pending *out)
{
    for (guint i = 0; i < c->pendings->len; i++) {
        pending *p = &g_array_index(c->pendings, pending, i);
        if (p->rid == rid) {
            *out = *p;
            OPENSSL_cleanse(p, sizeof(*p));
            g_array_remove_index(c->pendings, i);
            return 1;
        }
    }
    return 0;
}

static int parse_group(const char *s, uint32_t *out)
{
    if (!s || strlen(s) != 6)
        return 0;
    uint32_t g = 0;
    for (int i = 0; i < 6; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        g = g * 10 + (uint32_t)(s[i] - '0');
    }
    *out = g;
    return 1;
}

/* What the server says about peers is checked before anyone sees it: a
 * group number, a peer id, a device name in their documented formats
 * (SIGNALING.md §2), else the message is dropped. */
static int valid_peer_ref(const char *g, const char *peer)
{
    uint32_t n;
    return g && peer && parse_group(g, &n) && tl_sig_valid_hex(peer, TL_SIG_ID_LEN);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) && it->valuestring ? it->valuestring : NULL;
}

static cJSON *request(tl_signal_client *c, const char *type, int64_t *rid_out)
{
    int64_t rid = ++c->next_rid;
    if (rid_out)
        *rid_out = rid;
    return tl_sig_reply(type, 1, rid);
}

static void add_proof(cJSON *o, const char *k, const uint8_t proof[TL_SIG_PROOF_LEN])
{
    char b64[48];
    tl_sig_b64_encode(proof, TL_SIG_PROOF_LEN, b64, sizeof(b64));
    cJSON_AddStringToObject(o, k, b64);
}

/* ------------------------------------------------------------ server messages */

static void send_register(tl_signal_client *c)
{
    cJSON *o = request(c, "register", NULL);
    if (!o)
        return;
    cJSON_AddNumberToObject(o, "v", TL_SIG_VERSION);
    if (c->name[0])
        cJSON_AddStringToObject(o, "name", c->name);
    if (c->peer[0]) {
        cJSON_AddStringToObject(o, "peer", c->peer);
        cJSON_AddStringToObject(o, "token", c->token);
    }
    enqueue(c, &c->prio, o);
}

/* Sends a create-group (creator) or join (the rest) for a group we were in. */
static void send_rejoin(tl_signal_client *c, const my_group *m, int as_join)
{
    char gs[8];
    tl_sig_group_str(m->group, gs);
    pending p = {0};
    p.rejoin = 1;
    p.group = m->group;
    p.role = m->role;
    memcpy(p.proof, m->proof, sizeof(p.proof));
    cJSON *o;
    if (!as_join) {
        p.kind = TL_SIG_CREATE_GROUP;
        o = request(c, "create-group", &p.rid);
        if (o) {
            cJSON_AddStringToObject(o, "group", gs);
            if (m->max)
                cJSON_AddNumberToObject(o, "max", m->max);
            add_proof(o, "verifier", m->proof);
        }
    } else {
        p.kind = TL_SIG_JOIN;
        o = request(c, "join", &p.rid);
        if (o) {
            cJSON_AddStringToObject(o, "group", gs);
            add_proof(o, "proof", m->proof);
        }
    }
    g_array_append_val(c->pendings, p);
    enqueue(c, &c->prio, o);
    OPENSSL_cleanse(&p, sizeof(p));
}

/* After a registration that did not keep our groups (the server lost its
 * state): the creator re-creates its group (same number and verifier) and
 * the others join it. A joiner never re-creates a group, so the creator
 * stays the creator (docs/SIGNALING.md §4); a join that comes before the
 * creator is back fails and is reported ("rejoin-failed"), for the caller
 * to try again. */
static void rejoin_groups(tl_signal_client *c)
{
    for (guint i = 0; i < c->groups->len; i++) {
        my_group *m = &g_array_index(c->groups, my_group, i);
        if (m->role == ROLE_INVITE) {
            char gs[8];
            tl_sig_group_str(m->group, gs);
            if (c->cb.on_error)
                c->cb.on_error(c->ud, "rejoin-failed", "join", gs);
            continue;
        }
        send_rejoin(c, m, m->role != ROLE_CREATOR);
    }
}

static void clear_ice(tl_signal_client *c)
{
    tl_sig_ice_servers_clear(c->ice, c->n_ice);
    c->n_ice = 0;
}

static void take_ice(tl_signal_client *c, const cJSON *o)
{
    clear_ice(c);
    c->n_ice = tl_sig_ice_servers_take(o, c->ice);
}

size_t tl_signal_client_ice_servers(const tl_signal_client *c, const tl_ice_server **out)
{
    *out = c ? c->ice : NULL;
    return c ? c->n_ice : 0;
}

static void on_registered(tl_signal_client *c, const cJSON *o)
{
    const char *peer = jstr(o, "peer"), *token = jstr(o, "token");
    if (!peer || !token || !tl_sig_valid_hex(peer, TL_SIG_ID_LEN) ||
        !tl_sig_valid_hex(token, TL_SIG_TOKEN_LEN))
        return;
    int same = !strcmp(peer, c->peer);
    int resumed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "resumed"));
    memcpy(c->peer, peer, sizeof(c->peer));
    memcpy(c->token, token, sizeof(c->token));
    take_ice(c, o);
    c->attempts = 0;
    c->backoff = c->bo_min;
    if (!same) {
        /* A new identity: the old groups are gone for us. */
        for (guint i = 0; i < c->groups->len; i++)
            OPENSSL_cleanse(&g_array_index(c->groups, my_group, i), sizeof(my_group));
        g_array_set_size(c->groups, 0);
    } else if (!resumed && c->groups->len) {
        rejoin_groups(c);
    }
    set_state(c, TL_SIGNAL_READY);
    if (c->cb.on_registered)
        c->cb.on_registered(c->ud, c->peer, same && resumed);
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

static void on_group_created(tl_signal_client *c, const cJSON *o, int64_t rid)
{
    pending p;
    uint32_t g;
    if (!take_pending(c, rid, &p) || !parse_group(jstr(o, "group"), &g))
        return;
    if (p.rejoin)
        return;
    my_group m = {0};
    m.group = g;
    m.role = ROLE_CREATOR;
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(o, "max");
    m.max = cJSON_IsNumber(mx) ? (uint32_t)mx->valuedouble : 0;
    uint8_t secret[TL_JOINCODE_SECRET_LEN];
    char code[TL_JOINCODE_MAX_TEXT];
    const char *loc = p.location[0] ? p.location : c->cur_url;
    if (tl_joincode_derive(g, p.rnd, m.proof, secret) == TL_OK &&
        tl_joincode_format(g, p.rnd, loc, code, sizeof(code)) == TL_OK) {
        g_array_append_val(c->groups, m);
        if (c->cb.on_group_created)
            c->cb.on_group_created(c->ud, jstr(o, "group"), code, secret);
    } else if (c->cb.on_error) {
        c->cb.on_error(c->ud, "internal", "create-group", "cannot derive the join code");
    }
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(code, sizeof(code));
    OPENSSL_cleanse(&p, sizeof(p));
    OPENSSL_cleanse(&m, sizeof(m));
}

/* Rejoins that failed because the creator had not re-created its group yet
 * (a server restart, SIGNALING.md §4): tried again every second, for a
 * minute, before the caller hears "rejoin-failed". */
#define REJOIN_TRIES 60
static void rejoin_retry(void *arg)
{
    tl_signal_client *c = arg;
    c->rejoin_timer = NULL;
    int left = 0;
    for (guint i = 0; i < c->groups->len; i++) {
        my_group *m = &g_array_index(c->groups, my_group, i);
        if (m->need_rejoin) {
            send_rejoin(c, m, 1);
            left = 1;
        }
    }
    if (left)
        c->rejoin_tries++;
}

static void on_joined(tl_signal_client *c, const cJSON *o, int64_t rid)
{
    pending p;
    uint32_t g;
    if (!parse_group(jstr(o, "group"), &g))
        return;
    int had = take_pending(c, rid, &p);
    my_group *mine = find_group(c, g);
    if (mine)
        mine->need_rejoin = 0;
    if (had && p.rejoin)
        return;
    if (!find_group(c, g)) {
        my_group m = {0};
        m.group = g;
        m.role = had ? p.role : ROLE_INVITE;
        if (had)
            memcpy(m.proof, p.proof, sizeof(m.proof));
        g_array_append_val(c->groups, m);
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "members");
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(arr);
    tl_signal_member *mem = cap ? calloc(cap, sizeof(*mem)) : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *peer = jstr(it, "peer"), *name = jstr(it, "name");
        if (name && name[0] && !tl_sig_valid_name(name))
            name = "";
        if (mem && peer && tl_sig_valid_hex(peer, TL_SIG_ID_LEN) && n < cap) {
            mem[n].peer = peer;
            mem[n].name = name ? name : "";
            mem[n].creator = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "creator"));
            n++;
        }
    }
    if (c->cb.on_joined)
        c->cb.on_joined(c->ud, jstr(o, "group"), mem, n);
    free(mem);
}

static void on_invite(tl_signal_client *c, const cJSON *o)
{
    const char *inv = jstr(o, "invite"), *g = jstr(o, "group"), *from = jstr(o, "from");
    const char *fname = jstr(o, "from_name"), *blob = jstr(o, "blob");
    if (!valid_peer_ref(g, from) || !inv || !tl_sig_valid_hex(inv, TL_SIG_INVITE_LEN) ||
        !c->cb.on_invite)
        return;
    if (fname && fname[0] && !tl_sig_valid_name(fname))
        fname = "";
    uint8_t buf[TL_SIG_BLOB_MAX];
    long n = blob ? tl_sig_b64_decode(blob, strlen(blob), buf, sizeof(buf)) : 0;
    c->cb.on_invite(c->ud, inv, g, from, fname ? fname : "", buf, n > 0 ? (size_t)n : 0);
}

static void on_error_msg(tl_signal_client *c, const cJSON *o, int64_t rid, int has_rid)
{
    pending p;
    if (has_rid && take_pending(c, rid, &p)) {
        const char *code = jstr(o, "code");
        if (p.kind == TL_SIG_CREATE_GROUP && !p.rejoin && !p.fixed && code &&
            !strcmp(code, "group-exists")) {
            /* Our random group number is taken: draw another. */
            tl_signal_client_create_group(c, p.location[0] ? p.location : NULL);
            OPENSSL_cleanse(&p, sizeof(p));
            return;
        }
        if (p.rejoin && p.kind == TL_SIG_CREATE_GROUP && code && !strcmp(code, "group-exists")) {
            my_group *m = find_group(c, p.group);
            if (m)
                send_rejoin(c, m, 1);
            OPENSSL_cleanse(&p, sizeof(p));
            return;
        }
        if (p.rejoin && p.kind == TL_SIG_JOIN && code && !strcmp(code, "bad-code") &&
            c->rejoin_tries < REJOIN_TRIES) {
            my_group *m = find_group(c, p.group);
            if (m)
                m->need_rejoin = 1;
            if (m && !c->rejoin_timer)
                c->rejoin_timer = tl_timer_start(c->loop, 1000, rejoin_retry, c);
            OPENSSL_cleanse(&p, sizeof(p));
            return;
        }
        if (p.rejoin && c->cb.on_error) {
            char gs[8];
            tl_sig_group_str(p.group, gs);
            c->cb.on_error(c->ud, "rejoin-failed", jstr(o, "ref") ? jstr(o, "ref") : "", gs);
        }
        int rejoin = p.rejoin;
        OPENSSL_cleanse(&p, sizeof(p));
        if (rejoin)
            return;
    }
    if (c->cb.on_error) {
        const char *code = jstr(o, "code"), *ref = jstr(o, "ref"), *msg = jstr(o, "message");
        c->cb.on_error(c->ud, code ? code : "", ref ? ref : "", msg ? msg : "");
    }
}

static void on_relay(tl_signal_client *c, const char *type, const cJSON *o)
{
    const char *g = jstr(o, "group"), *from = jstr(o, "from");
    if (!valid_peer_ref(g, from))
        return;
    const char *sdp = jstr(o, "sdp");
    if (!strcmp(type, "offer") && sdp && c->cb.on_offer)
        c->cb.on_offer(c->ud, g, from, sdp);
    else if (!strcmp(type, "answer") && sdp && c->cb.on_answer)
        c->cb.on_answer(c->ud, g, from, sdp);
    else if (!strcmp(type, "candidate") && jstr(o, "candidate") && c->cb.on_candidate)
        c->cb.on_candidate(c->ud, g, from, jstr(o, "candidate"), jstr(o, "mid"));
    else if (!strcmp(type, "end-of-candidates") && c->cb.on_end_of_candidates)
        c->cb.on_end_of_candidates(c->ud, g, from);
    else if (!strcmp(type, "ice-restart") && c->cb.on_ice_restart)
        c->cb.on_ice_restart(c->ud, g, from, sdp ? sdp : "");
}

static void on_member_event(tl_signal_client *c, const char *type, const cJSON *o)
{
    const char *g = jstr(o, "group"), *peer = jstr(o, "peer");
    if (!valid_peer_ref(g, peer))
        return;
    if (!strcmp(type, "group-joined") && c->cb.on_peer_joined) {
        const char *name = jstr(o, "name");
        if (name && name[0] && !tl_sig_valid_name(name))
            name = "";
        int rej = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "rejoined"));
        c->cb.on_peer_joined(c->ud, g, peer, name ? name : "", rej);
    } else if (!strcmp(type, "group-left") && c->cb.on_peer_left) {
        c->cb.on_peer_left(c->ud, g, peer);
    } else if (!strcmp(type, "peer-gone") && c->cb.on_peer_gone) {
        c->cb.on_peer_gone(c->ud, g, peer);
    }
}

static void handle_server_text(tl_signal_client *c, const char *buf, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(buf, len);
    const char *type = o ? jstr(o, "type") : NULL;
    if (!type) {
        cJSON_Delete(o);
        return;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "rid");
    int has_rid = cJSON_IsNumber(r);
    int64_t rid = has_rid ? (int64_t)r->valuedouble : -1;
    if (!strcmp(type, "registered"))
        on_registered(c, o);
    else if (!strcmp(type, "group-created"))
        on_group_created(c, o, rid);
    else if (!strcmp(type, "joined"))
        on_joined(c, o, rid);
    else if (!strcmp(type, "group-invite"))
        on_invite(c, o);
    else if (!strcmp(type, "error"))
        on_error_msg(c, o, rid, has_rid);
    else if (!strcmp(type, "left")) {
        uint32_t g;
        if (parse_group(jstr(o, "group"), &g)) {
            forget_group(c, g);
            if (c->cb.on_left)
                c->cb.on_left(c->ud, jstr(o, "group"));
        }
    } else if (!strncmp(type, "group-", 6) || !strcmp(type, "peer-gone"))
        on_member_event(c, type, o);
    else
        on_relay(c, type, o);
    cJSON_Delete(o);
}

/* ------------------------------------------------------------ connection */

static void connect_now(tl_signal_client *c);

static void retry_cb(void *arg)
{
    tl_signal_client *c = arg;
    c->retry = NULL;
    connect_now(c);
}

static void schedule_reconnect(tl_signal_client *c)
{
    if (c->doomed || c->retry)
        return;
    c->wsi = NULL;
    c->attempts++;
    if (c->max_attempts && c->attempts >= c->max_attempts) {
        set_state(c, TL_SIGNAL_CLOSED);
        return;
    }
    set_state(c, TL_SIGNAL_RECONNECTING);
    uint32_t d = c->backoff;
    uint32_t j = 0;
    RAND_bytes((uint8_t *)&j, sizeof(j));
    d = d - d / 5 + (uint32_t)((uint64_t)j % (2 * (d / 5) + 1)); /* +-20% */
    c->backoff = c->backoff * 2 > c->bo_max ? c->bo_max : c->backoff * 2;
    c->url_idx = (c->url_idx + 1) % c->n_urls;
    c->retry = tl_timer_start(c->loop, d, retry_cb, c);
}

static void rx_text(tl_signal_client *c, struct lws *wsi, const char *in, size_t len)
{
    if (lws_is_first_fragment(wsi))
        g_string_truncate(c->rx, 0);
    if (c->rx->len + len <= RX_MAX)
        g_string_append_len(c->rx, in, (gssize)len);
    if (lws_is_final_fragment(wsi)) {
        handle_server_text(c, c->rx->str, c->rx->len);
        g_string_truncate(c->rx, 0);
    }
}

static int write_one(tl_signal_client *c, struct lws *wsi)
{
    GQueue *q = !g_queue_is_empty(&c->prio)   ? &c->prio
                : c->state == TL_SIGNAL_READY ? &c->queue
                                              : NULL;
    char *t = q ? g_queue_pop_head(q) : NULL;
    if (!t)
        return 0;
    size_t n = strlen(t);
    unsigned char *buf = malloc(LWS_PRE + n);
    if (!buf) {
        g_queue_push_head(q, t);
        return 0;
    }
    memcpy(buf + LWS_PRE, t, n);
    int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
    free(buf);
    cJSON_free(t);
    if (w < (int)n)
        return -1;
    if (!g_queue_is_empty(&c->prio) ||
        (c->state == TL_SIGNAL_READY && !g_queue_is_empty(&c->queue)))
        lws_callback_on_writable(wsi);
    return 0;
}

/* lws asks us about every certificate of the server's chain, after OpenSSL
 * checked it (chain to a trusted root, validity, and at depth 0 the host
 * name, which lws set with X509_VERIFY_PARAM_set1_host / _ip_asc): keep the
 * first failure, which the handshake then ends with, to tell the user. With
 * insecure set, lws has already let the usual failures through (the
 * LCCSCF_ALLOW_* flags); whatever else is wrong is let through here, since
 * clearing the error is how lws's verify callback is told to accept. */
static void note_cert_error(tl_signal_client *c, void *x509_ctx, int preverify_ok)
{
    X509_STORE_CTX *xs = x509_ctx;
    int err = xs ? X509_STORE_CTX_get_error(xs) : X509_V_OK;
    if (preverify_ok || err == X509_V_OK)
        return;
    if (c->insecure) {
        X509_STORE_CTX_set_error(xs, X509_V_OK);
        return;
    }
    if (c->cert_err[0])
        return;
    char subject[96] = "?";
    X509 *cert = X509_STORE_CTX_get_current_cert(xs);
    if (cert)
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    snprintf(c->cert_err, sizeof(c->cert_err), "certificate verify failed: %s (certificate %s)",
             X509_verify_cert_error_string(err), subject);
}

/* The server's certificate was refused: trying again cannot help (and must
 * not be made to), so the client reports it and closes. */
static void cert_refused(tl_signal_client *c)
{
    char msg[sizeof(c->cert_err) + sizeof(c->cur_url) + 8];
    snprintf(msg, sizeof(msg), "%s at %s", c->cert_err, c->cur_url);
    c->wsi = NULL;
    tl_loop_log(c->loop, TL_LOG_INFO, "signal client", "%s", msg);
    if (c->cb.on_error)
        c->cb.on_error(c->ud, "certificate", "connect", msg);
    set_state(c, TL_SIGNAL_CLOSED);
}

static int cb_client(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    (void)user;
    struct lws_context *ctx = lws_get_context(wsi);
    tl_signal_client *c = ctx ? lws_context_user(ctx) : NULL;
    if (!c || c->doomed)
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->wsi = wsi;
        queue_clear(&c->prio);
        g_string_truncate(c->rx, 0);
        send_register(c);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        rx_text(c, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return write_one(c, wsi);
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        note_cert_error(c, user, (int)len);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c->cert_err[0]) {
            cert_refused(c);
            return 0;
        }
        /* fall through */
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c->wsi == wsi || reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR) {
            c->wsi = NULL;
            tl_loop_log(c->loop, TL_LOG_INFO, "signal client", "connection %s; reconnecting",
                        reason == LWS_CALLBACK_CLIENT_CLOSED ? "lost" : "failed");
            schedule_reconnect(c);
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols client_protocols[] = {
    {"tallow-signal-1", cb_client, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Splits ws[s]://host:port[/path]. */
static int split_url(const char *url, int *tls, char *host, size_t hcap, int *port,
                     const char **path)
{
    const char *p;
    if (!strncmp(url, "ws://", 5)) {
        *tls = 0;
        p = url + 5;
    } else if (!strncmp(url, "wss://", 6)) {
        *tls = 1;
        p = url + 6;
    } else {
        return TL_ERR_INVALID_ARG;
    }
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            return TL_ERR_INVALID_ARG;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    size_t hl = (size_t)((colon ? colon : end) - p);
    if (hl == 0 || hl >= hcap)
        return TL_ERR_INVALID_ARG;
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (host[0] == '[') { /* lws wants the bare IPv6 literal */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    *port = *tls ? 443 : 80;
    if (colon) {
        char *e;
        long v = strtol(colon + 1, &e, 10);
        if (e != end || v <= 0 || v > 65535)
            return TL_ERR_INVALID_ARG;
        *port = (int)v;
    }
    *path = slash ? slash : "/";
    return TL_OK;
}

static void connect_now(tl_signal_client *c)
{
    const char *url = c->urls[c->url_idx];
    char host[256];
    int tls, port;
    const char *path;
    if (split_url(url, &tls, host, sizeof(host), &port, &path) != TL_OK) {
        schedule_reconnect(c);
        return;
    }
    snprintf(c->cur_url, sizeof(c->cur_url), "%s", url);
    char *slash = strchr(c->cur_url + 6, '/');
    if (slash)
        *slash = '\0'; /* the code's location has no path */
    set_state(c, c->peer[0] ? TL_SIGNAL_RECONNECTING : TL_SIGNAL_CONNECTING);
    c->cert_err[0] = '\0';
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = c->ctx;
    ci.address = host;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = host;
    ci.protocol = "tallow-signal-1";
    ci.local_protocol_name = "tallow-signal-1";
    if (tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (c->insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    struct lws *w = NULL;
    ci.pwsi = &w;
    if (!lws_client_connect_via_info(&ci) && !w) {
        /* lws already reported CONNECTION_ERROR, or failed before it could. */
        if (!c->retry)
            schedule_reconnect(c);
    }
}

int tl_signal_client_new(tl_signal_client **out, tl_loop *loop, const tl_signal_client_config *cfg,
                         const tl_signal_callbacks *cb, void *ud)
{
    if (!out || !loop || !cfg || !cfg->urls || !cfg->n_urls ||
        (cfg->name && !tl_sig_valid_name(cfg->name)))
        return TL_ERR_INVALID_ARG;
    int any_tls = 0;
    for (size_t i = 0; i < cfg->n_urls; i++) {
        char host[256];
        int tls, port;
        const char *path;
        if (!cfg->urls[i] || split_url(cfg->urls[i], &tls, host, sizeof(host), &port, &path))
            return TL_ERR_INVALID_ARG;
        any_tls |= tls;
    }
    tl_signal_client *c = calloc(1, sizeof(*c));
    if (!c)
        return TL_ERR_NOMEM;
    c->loop = loop;
    c->urls = calloc(cfg->n_urls, sizeof(char *));
    c->n_urls = cfg->n_urls;
    for (size_t i = 0; c->urls && i < cfg->n_urls; i++)
        c->urls[i] = g_strdup(cfg->urls[i]);
    if (cfg->name)
        snprintf(c->name, sizeof(c->name), "%s", cfg->name);
    c->insecure = cfg->insecure;
    c->bo_min = cfg->backoff_min_ms ? cfg->backoff_min_ms : 250;
    c->bo_max = cfg->backoff_max_ms ? cfg->backoff_max_ms : 5000;
    c->backoff = c->bo_min;
    c->max_attempts = cfg->max_attempts;
    if (cb)
        c->cb = *cb;
    c->ud = ud;
    g_queue_init(&c->prio);
    g_queue_init(&c->queue);
    c->rx = g_string_new(NULL);
    c->groups = g_array_new(FALSE, TRUE, sizeof(my_group));
    c->pendings = g_array_new(FALSE, TRUE, sizeof(pending));
    c->gloop = g_main_loop_new(tl_loop_gcontext(loop), FALSE);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *foreign[1] = {c->gloop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.user = c;
    info.options = LWS_SERVER_OPTION_GLIB;
    if (any_tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        c->ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (!c->ssl_ctx || !SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION) ||
            (cfg->ca_pem ? !SSL_CTX_load_verify_locations(c->ssl_ctx, cfg->ca_pem, NULL)
                         : !SSL_CTX_set_default_verify_paths(c->ssl_ctx))) {
            tl_signal_client_free(c);
            return TL_ERR_IO;
        }
        info.provided_client_ssl_ctx = c->ssl_ctx;
    }
    info.foreign_loops = foreign;
    info.fd_limit_per_thread = 16;
    c->ctx = c->urls ? lws_create_context(&info) : NULL;
    if (!c->ctx) {
        tl_signal_client_free(c);
        return TL_ERR_NOMEM;
    }
    *out = c;
    c->state = TL_SIGNAL_CONNECTING;
    connect_now(c);
    return TL_OK;
}

static void client_destroy(void *arg)
{
    tl_signal_client *c = arg;
    if (c->retry)
        tl_timer_stop(c->retry);
    if (c->rejoin_timer)
        tl_timer_stop(c->rejoin_timer);
    if (c->ctx)
        lws_context_destroy(c->ctx);
    if (c->ssl_ctx)
        SSL_CTX_free(c->ssl_ctx);
    queue_clear(&c->prio);
    queue_clear(&c->queue);
    if (c->rx)
        g_string_free(c->rx, TRUE);
    if (c->groups) {
        if (c->groups->len)
            OPENSSL_cleanse(c->groups->data, c->groups->len * sizeof(my_group));
        g_array_free(c->groups, TRUE);
    }
    if (c->pendings) {
        if (c->pendings->len)
            OPENSSL_cleanse(c->pendings->data, c->pendings->len * sizeof(pending));
        g_array_free(c->pendings, TRUE);
    }
    for (size_t i = 0; c->urls && i < c->n_urls; i++)
        g_free(c->urls[i]);
    free(c->urls);
    if (c->gloop)
        g_main_loop_unref(c->gloop);
    OPENSSL_cleanse(c->token, sizeof(c->token));
    clear_ice(c);
    free(c);
}

void tl_signal_client_free(tl_signal_client *c)
{
    if (!c || c->doomed)
        return;
    c->doomed = 1;
    /* lws may be on the stack (we can be inside one of its callbacks):
     * destroy from the loop instead. */
    if (tl_loop_post(c->loop, client_destroy, c) != TL_OK)
        client_destroy(c);
}

tl_signal_state tl_signal_client_state(const tl_signal_client *c)
{
    return c ? c->state : TL_SIGNAL_CLOSED;
}

const char *tl_signal_client_peer_id(const tl_signal_client *c)
{
    return c ? c->peer : "";
}

/* ------------------------------------------------------------ requests */

static int check_group(const char *g, uint32_t *out)
{
    return g && parse_group(g, out);
}

/* Sends create-group for a group number and random bits chosen by the caller. */
static int create_group_with(tl_signal_client *c, const char *location, uint32_t group,
                             const uint8_t rnd[TL_JOINCODE_RANDOM_LEN], int fixed)
{
    if (!c || c->doomed || (location && strlen(location) >= sizeof(((pending *)0)->location)))
        return TL_ERR_INVALID_ARG;
    pending p = {0};
    p.kind = TL_SIG_CREATE_GROUP;
    p.role = ROLE_CREATOR;
    memcpy(p.rnd, rnd, sizeof(p.rnd));
    p.rnd[0] &= 0x03; /* 50 bits */
    if (location)
        snprintf(p.location, sizeof(p.location), "%s", location);
    p.group = group;
    p.fixed = fixed;
    uint8_t secret[TL_JOINCODE_SECRET_LEN];
    int rc = tl_joincode_derive(p.group, p.rnd, p.proof, secret);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != TL_OK)
        return rc;
    cJSON *o = request(c, "create-group", &p.rid);
    if (!o)
        return TL_ERR_NOMEM;
    char gs[8];
    tl_sig_group_str(p.group, gs);
    cJSON_AddStringToObject(o, "group", gs);
    add_proof(o, "verifier", p.proof);
    rc = enqueue(c, &c->queue, o);
    if (rc == TL_OK)
        g_array_append_val(c->pendings, p);
    OPENSSL_cleanse(&p, sizeof(p));
    return rc;
}

int tl_signal_client_create_group(tl_signal_client *c, const char *location)
{
    /* The verifier depends on the group number, which the server cannot
     * pick for us; so the client picks the number itself (random) and the
     * server refuses a collision with group-exists. */
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    uint32_t r;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1 || RAND_bytes((uint8_t *)&r, sizeof(r)) != 1)
        return TL_ERR_CRYPTO;
    int rc = create_group_with(c, location, r % 1000000u, rnd, 0);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return rc;
}

int tl_signal_client_create_group_code(tl_signal_client *c, const char *code, const char *location)
{
    tl_joincode jc;
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN];
    int rc = tl_joincode_decode(code, &jc, rnd);
    if (rc == TL_OK)
        rc = create_group_with(c, location, jc.group, rnd, 1);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    tl_joincode_wipe(&jc);
    return rc;
}

int tl_signal_client_invite(tl_signal_client *c, const char *group, const char *name,
                            const uint8_t *blob, size_t blob_len)
{
    uint32_t g;
    if (!c || !check_group(group, &g) || !name || !tl_sig_valid_name(name) ||
        blob_len > TL_SIG_BLOB_MAX / 4 * 3 || (blob_len && !blob))
        return TL_ERR_INVALID_ARG;
    cJSON *o = request(c, "invite", NULL);
    if (!o)
        return TL_ERR_NOMEM;
    cJSON_AddStringToObject(o, "group", group);
    cJSON_AddStringToObject(o, "name", name);
    if (blob_len) {
        char b64[TL_SIG_BLOB_MAX + 1];
        tl_sig_b64_encode(blob, blob_len, b64, sizeof(b64));
        cJSON_AddStringToObject(o, "blob", b64);
    }
    return enqueue(c, &c->queue, o);
}

int tl_signal_client_join_code(tl_signal_client *c, const tl_joincode *code)
{
    if (!c || !code || code->group > TL_JOINCODE_MAX_GROUP)
        return TL_ERR_INVALID_ARG;
    pending p = {0};
    p.kind = TL_SIG_JOIN;
    p.role = ROLE_CODE;
    p.group = code->group;
    memcpy(p.proof, code->proof, sizeof(p.proof));
    cJSON *o = request(c, "join", &p.rid);
    if (!o)
        return TL_ERR_NOMEM;
    char gs[8];
    tl_sig_group_str(code->group, gs);
    cJSON_AddStringToObject(o, "group", gs);
    add_proof(o, "proof", code->proof);
    int rc = enqueue(c, &c->queue, o);
    if (rc == TL_OK)
        g_array_append_val(c->pendings, p);
    OPENSSL_cleanse(&p, sizeof(p));
    return rc;
}

int tl_signal_client_join_invite(tl_signal_client *c, const char *invite_id)
{
    if (!c || !invite_id || !tl_sig_valid_hex(invite_id, TL_SIG_INVITE_LEN))
        return TL_ERR_INVALID_ARG;
    pending p = {0};
    p.kind = TL_SIG_JOIN;
    p.role = ROLE_INVITE;
    cJSON *o = request(c, "join", &p.rid);
    if (!o)
        return TL_ERR_NOMEM;
    cJSON_AddStringToObject(o, "invite", invite_id);
    int rc = enqueue(c, &c->queue, o);
    if (rc == TL_OK)
        g_array_append_val(c->pendings, p);
    return rc;
}

int tl_signal_client_leave(tl_signal_client *c, const char *group)
{
    uint32_t g;
    if (!c || !check_group(group, &g))
        return TL_ERR_INVALID_ARG;
    cJSON *o = request(c, "leave", NULL);
    if (o)
        cJSON_AddStringToObject(o, "group", group);
    return enqueue(c, &c->queue, o);
}

static int relay(tl_signal_client *c, const char *type, const char *group, const char *peer,
                 const char *sdp, const char *cand, const char *mid)
{
    uint32_t g;
    if (!c || !check_group(group, &g) || !peer || !tl_sig_valid_hex(peer, TL_SIG_ID_LEN) ||
        (sdp && strlen(sdp) > TL_SIG_SDP_MAX) || (cand && strlen(cand) > TL_SIG_CAND_MAX) ||
        (mid && strlen(mid) > TL_SIG_MID_MAX))
        return TL_ERR_INVALID_ARG;
    cJSON *o = tl_sig_reply(type, 0, 0);
    if (!o)
        return TL_ERR_NOMEM;
    cJSON_AddStringToObject(o, "group", group);
    cJSON_AddStringToObject(o, "to", peer);
    if (sdp)
        cJSON_AddStringToObject(o, "sdp", sdp);
    if (cand)
        cJSON_AddStringToObject(o, "candidate", cand);
    if (mid)
        cJSON_AddStringToObject(o, "mid", mid);
    return enqueue(c, &c->queue, o);
}

int tl_signal_client_send_offer(tl_signal_client *c, const char *group, const char *peer,
                                const char *sdp)
{
    return sdp ? relay(c, "offer", group, peer, sdp, NULL, NULL) : TL_ERR_INVALID_ARG;
}

int tl_signal_client_send_answer(tl_signal_client *c, const char *group, const char *peer,
                                 const char *sdp)
{
    return sdp ? relay(c, "answer", group, peer, sdp, NULL, NULL) : TL_ERR_INVALID_ARG;
}

int tl_signal_client_send_candidate(tl_signal_client *c, const char *group, const char *peer,
                                    const char *candidate, const char *mid)
{
    return candidate ? relay(c, "candidate", group, peer, NULL, candidate, mid)
                     : TL_ERR_INVALID_ARG;
}

int tl_signal_client_send_end_of_candidates(tl_signal_client *c, const char *group,
                                            const char *peer)
{
    return relay(c, "end-of-candidates", group, peer, NULL, NULL, NULL);
}

int tl_signal_client_send_ice_restart(tl_signal_client *c, const char *group, const char *peer,
                                      const char *sdp)
{
    return relay(c, "ice-restart", group, peer, sdp, NULL, NULL);
}

int tl_signal_client_send_raw(tl_signal_client *c, const char *text, size_t len)
{
    if (!c || !text)
        return TL_ERR_INVALID_ARG;
    if (g_queue_get_length(&c->queue) >= QUEUE_MAX)
        return TL_ERR_LIMIT;
    char *t = cJSON_malloc(len + 1);
    if (!t)
        return TL_ERR_NOMEM;
    memcpy(t, text, len);
    t[len] = '\0';
    g_queue_push_tail(&c->queue, t);
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return TL_OK;
}
