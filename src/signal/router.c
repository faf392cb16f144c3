/* Signaling requests and the events that change shared state.
 *
 * A request is validated against this server's copy of the state; a request
 * that changes state (register, create, join, invite, leave, drop) becomes an
 * event published on the bus. Every server applies every event in the same
 * (Redis) order, so all copies agree; each server then tells its own local
 * clients. Relays (offer, answer, ...) go straight to the server holding the
 * target's connection. Without Redis the bus applies events at once. */
#define _GNU_SOURCE /* uv.h needs POSIX thread types */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/hostile.h"
#include "signal/server_internal.h"
#include "tallow/crypto.h"
#include "signal/snapshot.h"

typedef struct grace_entry {
    uint64_t expires_ms;
    int local_only; /* the owning server died: expire without an event */
} grace_entry;

static void reply_err(tl_sig_conn *c, tl_sig_err e, const tl_sig_msg *m, const char *detail)
{
    tl_sig_conn_send_str(
        c, tl_sig_build_error(e, tl_sig_type_name(m->type), m->has_rid, m->rid, detail));
}

static int random_hex(char *out, size_t nbytes)
{
    uint8_t r[32];
    if (nbytes > sizeof(r) || RAND_bytes(r, (int)nbytes) != 1)
        return -1;
    tl_sig_hex_encode(r, nbytes, out);
    return 0;
}

static void sha256(const char *s, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

/* A peer id is the hash of its resume token (docs/SIGNALING.md §4): after a
 * restart a server that knows nobody can still tell that whoever claims an
 * id holds its token, so nobody can take over another member's id (the
 * group creator's above all). */
static void peer_id_of_token(const char *token, char id[TL_SIG_ID_LEN + 1])
{
    static const char label[] = "tallow peer id ";
    char buf[sizeof(label) + TL_SIG_TOKEN_LEN];
    uint8_t h[32];
    snprintf(buf, sizeof(buf), "%s%s", label, token);
    sha256(buf, h);
    tl_sig_hex_encode(h, TL_SIG_ID_LEN / 2, id);
    OPENSSL_cleanse(buf, sizeof(buf));
}

static tl_sig_conn *conn_by_serial(tl_signal_server *s, uint64_t serial)
{
    return g_hash_table_lookup(s->conns, &serial);
}

static cJSON *event(tl_signal_server *s, const char *e, const tl_sig_peer *p, const char *pid)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "e", e);
    cJSON_AddStringToObject(o, "s", s->id);
    cJSON_AddStringToObject(o, "p", p ? p->id : pid);
    return o;
}

static void event_rid(cJSON *ev, const tl_sig_msg *m)
{
    if (ev && m->has_rid)
        cJSON_AddNumberToObject(ev, "r", (double)m->rid);
}

/* Sends text to every local member of g except skip. */
static void notify_group(tl_sig_group *g, const tl_sig_peer *skip, const char *text)
{
    if (!text)
        return;
    size_t len = strlen(text);
    for (size_t i = 0; i < g->n_members; i++) {
        tl_sig_peer *p = g->members[i];
        if (p != skip && p->conn)
            tl_sig_conn_send(p->conn, text, len);
    }
}

static char *member_event(const char *type, uint32_t group, const tl_sig_peer *p,
                          const char *reason, int rejoined)
{
    char g[8];
    tl_sig_group_str(group, g);
    cJSON *o = tl_sig_reply(type, 0, 0);
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "group", g);
    cJSON_AddStringToObject(o, "peer", p->id);
    if (!strcmp(type, "group-joined")) {
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddBoolToObject(o, "rejoined", rejoined);
    }
    if (reason)
        cJSON_AddStringToObject(o, "reason", reason);
    return tl_sig_print_free(o);
}

static void notify_member_event(tl_signal_server *s, const char *type, tl_sig_peer *p,
                                const char *reason, int rejoined)
{
    for (size_t i = 0; i < p->n_groups; i++) {
        tl_sig_group *g = tl_sig_group_find(&s->st, p->groups[i]);
        if (!g)
            continue;
        char *t = member_event(type, g->id, p, reason, rejoined);
        notify_group(g, p, t);
        cJSON_free(t);
    }
}

static cJSON *members_array(const tl_sig_group *g, const tl_sig_peer *skip)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < g->n_members; i++) {
        const tl_sig_peer *p = g->members[i];
        if (p == skip)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "peer", p->id);
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddBoolToObject(o, "online", p->online);
        if (!strcmp(p->id, g->creator) && !tl_hostile("anyoffer"))
            cJSON_AddBoolToObject(o, "creator", 1);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* ------------------------------------------------------------ requests */

/* "ice_servers" of a "registered" reply: the server's STUN/TURN URLs, each
 * turn: one with this peer's own short-lived TURN REST credential. */
static void add_ice_servers(tl_signal_server *s, cJSON *r, const char *peer)
{
    cJSON *arr = cJSON_AddArrayToObject(r, "ice_servers");
    uint64_t expiry = tl_sig_wall_s(s) + s->cfg.turn_ttl_s;
    for (size_t i = 0; arr && i < s->n_ice; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            return;
        cJSON_AddStringToObject(o, "urls", s->ice_urls[i]);
        char user[64], cred[40];
        if (!strncmp(s->ice_urls[i], "turn:", 5) &&
            tl_sig_turn_credential(s->turn_secret, expiry, peer, user, sizeof(user), cred,
                                   sizeof(cred)) == 0) {
            cJSON_AddStringToObject(o, "username", user);
            cJSON_AddStringToObject(o, "credential", cred);
            tl_wipe(cred, sizeof(cred));
        }
        cJSON_AddItemToArray(arr, o);
    }
}

static void h_register(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_signal_server *s = c->srv;
    if (c->peer || c->registering) {
        reply_err(c, TL_SIGE_ALREADY_REG, m, NULL);
        return;
    }
    char id[TL_SIG_ID_LEN + 1], token[TL_SIG_TOKEN_LEN + 1];
    uint8_t th[32];
    int fresh = 1;
    if (m->peer[0]) {
        tl_sig_peer *old = tl_sig_peer_find(&s->st, m->peer);
        char derived[TL_SIG_ID_LEN + 1];
        peer_id_of_token(m->token, derived);
        sha256(m->token, th);
        if (!strcmp(derived, m->peer) && (!old || CRYPTO_memcmp(old->token_hash, th, 32) == 0)) {
            memcpy(id, m->peer, sizeof(id));
            memcpy(token, m->token, sizeof(token));
            fresh = 0;
        }
    }
    if (fresh) {
        do {
            if (random_hex(token, TL_SIG_TOKEN_LEN / 2)) {
                reply_err(c, TL_SIGE_INTERNAL, m, NULL);
                return;
            }
            peer_id_of_token(token, id);
        } while (tl_sig_peer_find(&s->st, id));
        sha256(token, th);
    }
    if (m->name[0]) {
        tl_sig_peer *holder = tl_sig_peer_by_name(&s->st, m->name);
        if (holder && holder->online && strcmp(holder->id, id) != 0) {
            reply_err(c, TL_SIGE_NAME_TAKEN, m, NULL);
            return;
        }
    }
    char thx[65];
    tl_sig_hex_encode(th, 32, thx);
    cJSON *ev = event(s, "reg", NULL, id);
    if (!ev) {
        reply_err(c, TL_SIGE_INTERNAL, m, NULL);
        return;
    }
    cJSON_AddStringToObject(ev, "n", m->name);
    cJSON_AddStringToObject(ev, "th", thx);
    /* The token itself goes only to this connection, never onto the bus. */
    cJSON_AddNumberToObject(ev, "c", (double)c->serial);
    event_rid(ev, m);
    c->registering = 1;
    memcpy(c->token, token, sizeof(token));
    if (tl_sig_bus_publish(s, ev) < 0) {
        /* Without the shared state there is no registration: hang up, the
         * client reconnects with backoff. */
        c->registering = 0;
        reply_err(c, TL_SIGE_UNAVAILABLE, m, NULL);
        c->closing = 1;
        lws_callback_on_writable(c->wsi);
    }
}

/* Publishes a request's event; answers "unavailable" when it cannot. */
static void publish_req(tl_sig_conn *c, const tl_sig_msg *m, cJSON *ev)
{
    if (tl_sig_bus_publish(c->srv, ev) < 0)
        reply_err(c, TL_SIGE_UNAVAILABLE, m, NULL);
}

static int member_check(tl_sig_conn *c, const tl_sig_msg *m, tl_sig_group **gout)
{
    tl_sig_group *g = tl_sig_group_find(&c->srv->st, m->group);
    /* Same answer whether or not the group exists: outsiders learn nothing. */
    if (!g || !tl_sig_group_is_member(g, c->peer)) {
        reply_err(c, TL_SIGE_NOT_MEMBER, m, NULL);
        return 0;
    }
    *gout = g;
    return 1;
}

static void h_create(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_signal_server *s = c->srv;
    uint32_t max = m->max ? m->max : s->cfg.max_group;
    if (max > s->cfg.max_group || max < 2) {
        reply_err(c, TL_SIGE_BAD_FIELD, m, "max");
        return;
    }
    if (c->peer->n_groups >= TL_SIG_MAX_PEER_GROUPS) {
        reply_err(c, TL_SIGE_TOO_MANY_GROUPS, m, NULL);
        return;
    }
    uint32_t gid = m->group;
    if (gid != TL_SIG_GROUP_NONE) {
        if (tl_sig_group_find(&s->st, gid)) {
            reply_err(c, TL_SIGE_GROUP_EXISTS, m, NULL);
            return;
        }
    } else {
        int tries = 0;
        do {
            uint32_t r;
            if (RAND_bytes((uint8_t *)&r, sizeof(r)) != 1 || ++tries > 64) {
                reply_err(c, TL_SIGE_INTERNAL, m, NULL);
                return;
            }
            gid = r % 1000000u;
        } while (tl_sig_group_find(&s->st, gid));
    }
    char ver[48];
    tl_sig_b64_encode(m->proof, TL_SIG_PROOF_LEN, ver, sizeof(ver));
    cJSON *ev = event(s, "create", c->peer, NULL);
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "g", gid);
    cJSON_AddStringToObject(ev, "v", ver);
    cJSON_AddNumberToObject(ev, "m", max);
    event_rid(ev, m);
    publish_req(c, m, ev);
}

/* A wrong join code on connection c (g: the group if it exists). The
 * connection's limit is local; the group's counts on every server. */
static void wrong_join_at(tl_sig_conn *c, tl_sig_group *g, int has_rid, int64_t rid)
{
    uint64_t now = tl_sig_now(c->srv);
    tl_sig_bucket_take(&c->joins, now, TL_SIG_JOIN_RATE, TL_SIG_JOIN_BURST, 0);
    if (g) {
        tl_sig_bucket_take(&g->wrong_joins, now, TL_SIG_GJOIN_RATE, TL_SIG_GJOIN_BURST, 0);
        tl_sig_bus_wrong_join(c->srv, g->id);
    }
    tl_sig_conn_send_str(c, tl_sig_build_error(TL_SIGE_BAD_CODE, "join", has_rid, rid, NULL));
    if (++c->wrong_joins >= TL_SIG_WRONG_JOIN_CLOSE) {
        c->closing = 1; /* hang up once the error is out */
        lws_callback_on_writable(c->wsi);
    }
    tl_loop_log(c->srv->loop, TL_LOG_INFO, "signal", "conn %llu: wrong join code (%u)",
                (unsigned long long)c->serial, c->wrong_joins);
}

static void h_join(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_signal_server *s = c->srv;
    uint64_t now = tl_sig_now(s);
    cJSON *ev;
    if (tl_hostile("sigerr")) { /* test-only: a server whose words attack the terminal */
        reply_err(c, TL_SIGE_BAD_CODE, m, TL_HOSTILE_TEXT);
        return;
    }
    if (m->invite[0]) {
        tl_sig_invite *inv = tl_sig_invite_find(&s->st, m->invite, now);
        if (!inv || strcmp(inv->to, c->peer->id) != 0) {
            reply_err(c, TL_SIGE_NO_SUCH_INVITE, m, NULL);
            return;
        }
        ev = event(s, "join", c->peer, NULL);
        if (!ev)
            return;
        cJSON_AddNumberToObject(ev, "g", inv->group);
        cJSON_AddStringToObject(ev, "i", inv->id);
    } else {
        tl_sig_group *g = tl_sig_group_find(&s->st, m->group);
        /* Limits are checked before the code, so over-limit guesses learn
         * nothing; only wrong guesses use up tokens. */
        if (!tl_sig_bucket_take(&c->joins, now, TL_SIG_JOIN_RATE, TL_SIG_JOIN_BURST, 1) ||
            (g &&
             !tl_sig_bucket_take(&g->wrong_joins, now, TL_SIG_GJOIN_RATE, TL_SIG_GJOIN_BURST, 1))) {
            reply_err(c, TL_SIGE_JOIN_LIMITED, m, NULL);
            return;
        }
        if (!g) {
            /* Not in this replica (yet): with Redis the group may have been
             * created a moment ago through another server. The proof goes
             * into the event and is checked when it applies, in log order,
             * after any create before it. Without Redis it applies now. */
            char pf[48];
            tl_sig_b64_encode(m->proof, TL_SIG_PROOF_LEN, pf, sizeof(pf));
            ev = event(s, "join", c->peer, NULL);
            if (!ev)
                return;
            cJSON_AddNumberToObject(ev, "g", m->group);
            cJSON_AddStringToObject(ev, "pf", pf);
            event_rid(ev, m);
            publish_req(c, m, ev);
            return;
        }
        if (CRYPTO_memcmp(g->verifier, m->proof, TL_SIG_PROOF_LEN) != 0) {
            wrong_join_at(c, g, m->has_rid, m->rid);
            return;
        }
        if (!tl_sig_group_is_member(g, c->peer) && g->n_members >= g->max) {
            reply_err(c, TL_SIGE_GROUP_FULL, m, NULL);
            return;
        }
        ev = event(s, "join", c->peer, NULL);
        if (!ev)
            return;
        cJSON_AddNumberToObject(ev, "g", g->id);
    }
    event_rid(ev, m);
    publish_req(c, m, ev);
}

static void h_invite(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_signal_server *s = c->srv;
    tl_sig_group *g;
    if (!member_check(c, m, &g))
        return;
    tl_sig_peer *to = tl_sig_peer_by_name(&s->st, m->name);
    if (!to || !to->online) {
        reply_err(c, TL_SIGE_NO_SUCH_DEVICE, m, NULL);
        return;
    }
    char id[TL_SIG_INVITE_LEN + 1];
    if (random_hex(id, TL_SIG_INVITE_LEN / 2)) {
        reply_err(c, TL_SIGE_INTERNAL, m, NULL);
        return;
    }
    cJSON *ev = event(s, "inv", c->peer, NULL);
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "g", g->id);
    cJSON_AddStringToObject(ev, "t", to->id);
    cJSON_AddStringToObject(ev, "i", id);
    cJSON_AddStringToObject(ev, "b", m->blob ? m->blob : "");
    if (tl_sig_bus_publish(s, ev) < 0) {
        reply_err(c, TL_SIGE_UNAVAILABLE, m, NULL);
        return;
    }
    char gs[8];
    tl_sig_group_str(g->id, gs);
    cJSON *r = tl_sig_reply("invited", m->has_rid, m->rid);
    if (r) {
        cJSON_AddStringToObject(r, "group", gs);
        cJSON_AddStringToObject(r, "name", m->name);
    }
    tl_sig_conn_send_str(c, tl_sig_print_free(r));
}

static void h_members(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_sig_group *g;
    if (!member_check(c, m, &g))
        return;
    char gs[8];
    tl_sig_group_str(g->id, gs);
    cJSON *r = tl_sig_reply("members", m->has_rid, m->rid);
    if (!r)
        return;
    cJSON_AddStringToObject(r, "group", gs);
    cJSON_AddItemToObject(r, "members", members_array(g, NULL));
    tl_sig_conn_send_str(c, tl_sig_print_free(r));
}

static void h_leave(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_sig_group *g;
    if (!member_check(c, m, &g))
        return;
    cJSON *ev = event(c->srv, "leave", c->peer, NULL);
    if (!ev)
        return;
    cJSON_AddNumberToObject(ev, "g", g->id);
    event_rid(ev, m);
    publish_req(c, m, ev);
}

static void h_relay(tl_sig_conn *c, tl_sig_msg *m)
{
    tl_signal_server *s = c->srv;
    tl_sig_group *g;
    if (!member_check(c, m, &g))
        return;
    tl_sig_peer *to = tl_sig_peer_find(&s->st, m->to);
    if (!to || !tl_sig_group_is_member(g, to)) {
        reply_err(c, TL_SIGE_NO_SUCH_PEER, m, NULL);
        return;
    }
    if (!to->online) {
        reply_err(c, TL_SIGE_PEER_OFFLINE, m, NULL);
        return;
    }
    /* Only the group's creator sends files, so only it may start or restart
     * a connection: a member's offer never reaches another member. */
    if ((m->type == TL_SIG_OFFER || m->type == TL_SIG_ICE_RESTART) &&
        strcmp(g->creator, c->peer->id) != 0 && !tl_hostile("anyoffer")) {
        tl_loop_log(s->loop, TL_LOG_WARN, "signal", "%s: refused an %s from %s (not the creator)",
                    s->id, tl_sig_type_name(m->type), c->peer->id);
        reply_err(c, TL_SIGE_NOT_CREATOR, m, NULL);
        return;
    }
    /* Built without allocating unless it is large (SDP). */
    char small[2048], *text = small;
    size_t max = tl_sig_relay_max_len(m, c->peer->id);
    if (max >= sizeof(small) && !(text = malloc(max + 1))) {
        reply_err(c, TL_SIGE_INTERNAL, m, NULL);
        return;
    }
    size_t n = tl_sig_write_relay(m, c->peer->id, text);
    if (to->conn)
        tl_sig_conn_send(to->conn, text, n);
    else if (strcmp(to->srv, s->id) != 0)
        tl_sig_bus_route(s, to->srv, to->id, text, n);
    else
        reply_err(c, TL_SIGE_PEER_OFFLINE, m, NULL);
    if (text != small)
        free(text);
}

static void dispatch(tl_sig_conn *c, tl_sig_msg *m)
{
    if (m->type == TL_SIG_PING) {
        tl_sig_conn_send_str(c, tl_sig_print_free(tl_sig_reply("pong", m->has_rid, m->rid)));
        return;
    }
    if (m->type == TL_SIG_PONG)
        return;
    if (m->type == TL_SIG_REGISTER) {
        h_register(c, m);
        return;
    }
    if (!c->peer) {
        reply_err(c, TL_SIGE_NOT_REGISTERED, m, NULL);
        return;
    }
    switch (m->type) {
    case TL_SIG_CREATE_GROUP:
        h_create(c, m);
        break;
    case TL_SIG_INVITE:
        h_invite(c, m);
        break;
    case TL_SIG_JOIN:
        h_join(c, m);
        break;
    case TL_SIG_MEMBERS:
        h_members(c, m);
        break;
    case TL_SIG_LEAVE:
        h_leave(c, m);
        break;
    default:
        h_relay(c, m);
        break;
    }
}

void tl_sig_handle_text(tl_sig_conn *c, const char *buf, size_t len)
{
    tl_signal_server *s = c->srv;
    if (!tl_sig_bucket_take(&c->rate, tl_sig_now(s), s->cfg.rate_per_s, s->cfg.rate_burst, 0)) {
        tl_sig_conn_send_str(c, tl_sig_build_error(TL_SIGE_RATE_LIMITED, "", 0, 0, NULL));
        return;
    }
    tl_sig_msg m;
    const char *field = "";
    tl_sig_err e = tl_sig_parse(buf, len, s->cfg.max_msg, &m, &field);
    if (e != TL_SIGE_OK) {
        tl_sig_conn_send_str(c, tl_sig_build_error(e, tl_sig_type_name(m.type), m.has_rid, m.rid,
                                                   field[0] ? field : NULL));
        return;
    }
    dispatch(c, &m);
    tl_sig_msg_clear(&m);
}

void tl_sig_handle_too_big(tl_sig_conn *c)
{
    char detail[48];
    snprintf(detail, sizeof(detail), "limit %u bytes", (unsigned)c->srv->cfg.max_msg);
    tl_sig_conn_send_str(c, tl_sig_build_error(TL_SIGE_TOO_BIG, "", 0, 0, detail));
}

void tl_sig_handle_disconnect(tl_sig_conn *c)
{
    tl_signal_server *s = c->srv;
    tl_sig_peer *p = c->peer;
    if (!p)
        return;
    p->conn = NULL;
    c->peer = NULL;
    /* A clean close means the user is gone; a drop may come back. */
    cJSON *ev = event(s, c->clean_close ? "bye" : "off", p, NULL);
    if (ev && c->clean_close)
        cJSON_AddStringToObject(ev, "why", "closed");
    tl_sig_bus_publish(s, ev);
}

/* ------------------------------------------------------------ events */

typedef struct ev_args {
    const char *e, *srv, *pid, *name, *th, *ver, *inv, *to, *blob, *why, *pf;
    uint64_t conn;
    uint32_t max;
    uint32_t group;
    int has_rid;
    int64_t rid;
} ev_args;

static const char *ev_str(cJSON *o, const char *k)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int ev_num(cJSON *o, const char *k, double *out)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(it))
        return 0;
    *out = it->valuedouble;
    return 1;
}

/* The local connection of an event's originator, if it is ours. */
static tl_sig_conn *origin_conn(tl_signal_server *s, const ev_args *a, tl_sig_peer *p)
{
    if (!a->srv || strcmp(a->srv, s->id) != 0)
        return NULL;
    if (p && p->conn)
        return p->conn;
    return a->conn ? conn_by_serial(s, a->conn) : NULL;
}

static void origin_err(tl_signal_server *s, const ev_args *a, tl_sig_peer *p, tl_sig_type t,
                       tl_sig_err e)
{
    tl_sig_conn *c = origin_conn(s, a, p);
    if (c)
        tl_sig_conn_send_str(c,
                             tl_sig_build_error(e, tl_sig_type_name(t), a->has_rid, a->rid, NULL));
}

static void ap_reg(tl_signal_server *s, const ev_args *a)
{
    uint8_t th[32];
    if (!tl_sig_valid_hex(a->pid, TL_SIG_ID_LEN) || !a->th || tl_sig_hex_decode(a->th, th, 32) ||
        !a->srv || !tl_sig_valid_hex(a->srv, TL_SIG_SRV_LEN))
        return;
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    if (p && CRYPTO_memcmp(p->token_hash, th, 32) != 0) {
        /* The id was taken by someone else before this registration applied
         * (a server that did not know the peer yet accepted it): refuse. */
        tl_sig_conn *c = !strcmp(a->srv, s->id) ? conn_by_serial(s, a->conn) : NULL;
        if (c && c->registering) {
            c->registering = 0;
            tl_sig_conn_send_str(c, tl_sig_build_error(TL_SIGE_INTERNAL, "register", a->has_rid,
                                                       a->rid, "peer id conflict"));
            c->closing = 1;
            lws_callback_on_writable(c->wsi);
        }
        return;
    }
    p = tl_sig_peer_upsert(&s->st, a->pid);
    if (!p)
        return;
    memcpy(p->token_hash, th, 32);
    if (a->name && (!a->name[0] || tl_sig_valid_name(a->name))) {
        tl_sig_peer *holder = a->name[0] ? tl_sig_peer_by_name(&s->st, a->name) : NULL;
        if (holder && holder != p)
            tl_sig_peer_set_name(&s->st, holder, "");
        tl_sig_peer_set_name(&s->st, p, a->name);
    }
    int was_away = !p->online || strcmp(p->srv, a->srv) != 0 || p->conn;
    tl_sig_conn *old = p->conn;
    tl_sig_conn *c = !strcmp(a->srv, s->id) ? conn_by_serial(s, a->conn) : NULL;
    if (old && old != c) {
        old->peer = NULL; /* replaced by a newer connection */
        tl_sig_conn_close(old);
    }
    memcpy(p->srv, a->srv, TL_SIG_SRV_LEN + 1);
    p->online = 1;
    p->conn = NULL;
    g_hash_table_remove(s->grace, p->id);
    if (c && c->registering) {
        c->registering = 0;
        c->peer = p;
        p->conn = c;
        cJSON *r = tl_sig_reply("registered", a->has_rid, a->rid);
        if (r) {
            cJSON_AddNumberToObject(r, "v", TL_SIG_VERSION);
            cJSON_AddStringToObject(r, "peer", p->id);
            cJSON_AddStringToObject(r, "token", c->token);
            cJSON_AddBoolToObject(r, "resumed", p->n_groups > 0);
            cJSON *gs = cJSON_AddArrayToObject(r, "groups");
            for (size_t i = 0; gs && i < p->n_groups; i++) {
                char g[8];
                tl_sig_group_str(p->groups[i], g);
                cJSON_AddItemToArray(gs, cJSON_CreateString(g));
            }
            if (s->n_ice)
                add_ice_servers(s, r, p->id);
        }
        tl_sig_conn_send_str(c, tl_sig_print_free(r));
    } else if (!strcmp(a->srv, s->id)) {
        /* The connection closed before its registration applied. */
        p->online = 0;
        p->offline_since = tl_sig_now(s);
        tl_sig_bus_publish(s, event(s, "off", p, NULL));
    }
    if (was_away && p->n_groups)
        notify_member_event(s, "group-joined", p, NULL, 1);
}

/* Slack for servers other than the owner: the owner's "bye" comes first
 * unless the owner is gone. */
#define GRACE_SLACK_MS 5000u

/* The grace time of an offline peer runs from when it went offline. The owner
 * publishes "bye" when it ends; the others (local_only) remove the peer
 * themselves a little later if no "bye" came (the owner died). */
static void grace_start(tl_signal_server *s, tl_sig_peer *p, int local_only)
{
    grace_entry *ge = malloc(sizeof(*ge));
    char *key = g_strdup(p->id);
    if (!ge || !key) {
        free(ge);
        g_free(key);
        return;
    }
    ge->expires_ms = p->offline_since + (uint64_t)s->cfg.resume_grace_s * 1000u +
                     (local_only ? GRACE_SLACK_MS : 0);
    ge->local_only = local_only;
    g_hash_table_replace(s->grace, key, ge);
}

static void peer_offline(tl_signal_server *s, tl_sig_peer *p)
{
    p->online = 0;
    p->offline_since = tl_sig_now(s);
    if (p->conn) {
        p->conn->peer = NULL;
        p->conn = NULL;
    }
    notify_member_event(s, "peer-gone", p, NULL, 0);
}

static void ap_off(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    if (!p || !p->online || !a->srv || strcmp(p->srv, a->srv) != 0)
        return; /* already resumed elsewhere */
    peer_offline(s, p);
    grace_start(s, p, strcmp(a->srv, s->id) != 0);
}

static void peer_bye(tl_signal_server *s, tl_sig_peer *p, const char *why)
{
    for (size_t i = 0; i < p->n_groups; i++) {
        tl_sig_group *g = tl_sig_group_find(&s->st, p->groups[i]);
        if (!g)
            continue;
        char *t = member_event("group-left", g->id, p, why ? why : "gone", 0);
        notify_group(g, p, t);
        cJSON_free(t);
    }
    if (p->conn) {
        p->conn->peer = NULL;
        p->conn = NULL;
    }
    g_hash_table_remove(s->grace, p->id);
    tl_sig_peer_remove(&s->st, p);
}

static void ap_bye(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    if (!p || !a->srv || (p->online && strcmp(p->srv, a->srv) != 0))
        return;
    if (p->online && p->conn && !strcmp(a->srv, s->id))
        return; /* came back on this server before the event applied */
    peer_bye(s, p, a->why);
}

static void ap_create(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    uint8_t ver[TL_SIG_PROOF_LEN];
    if (!p || !a->ver || a->group > 999999u ||
        tl_sig_b64_decode(a->ver, strlen(a->ver), ver, sizeof(ver)) != TL_SIG_PROOF_LEN)
        return;
    if (tl_sig_group_find(&s->st, a->group)) {
        origin_err(s, a, p, TL_SIG_CREATE_GROUP, TL_SIGE_GROUP_EXISTS);
        return;
    }
    tl_sig_group *g = tl_sig_group_create(&s->st, a->group, ver, a->max < 2 ? 2 : a->max);
    if (!g)
        return;
    /* The creator is the group's only sender: its offers alone are relayed
     * (docs/SIGNALING.md §3, "Who may offer"). */
    memcpy(g->creator, p->id, TL_SIG_ID_LEN + 1);
    tl_sig_err e = tl_sig_group_add(g, p);
    if (e != TL_SIGE_OK) {
        tl_sig_group_remove(&s->st, g, p);
        g_hash_table_remove(s->st.groups, GUINT_TO_POINTER(a->group + 1u));
        origin_err(s, a, p, TL_SIG_CREATE_GROUP, e);
        return;
    }
    tl_sig_conn *c = origin_conn(s, a, p);
    if (!c)
        return;
    char gs[8];
    tl_sig_group_str(g->id, gs);
    cJSON *r = tl_sig_reply("group-created", a->has_rid, a->rid);
    if (r) {
        cJSON_AddStringToObject(r, "group", gs);
        cJSON_AddNumberToObject(r, "max", g->max);
    }
    tl_sig_conn_send_str(c, tl_sig_print_free(r));
}

static void ap_join(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    if (!p)
        return;
    tl_sig_group *g = tl_sig_group_find(&s->st, a->group);
    if (a->inv) {
        tl_sig_invite *inv = tl_sig_invite_find(&s->st, a->inv, tl_sig_now(s));
        if (!inv || strcmp(inv->to, p->id) != 0 || inv->group != a->group || !g) {
            origin_err(s, a, p, TL_SIG_JOIN, TL_SIGE_NO_SUCH_INVITE);
            return;
        }
        tl_sig_invite_remove(&s->st, a->inv);
    }
    if (a->pf) {
        /* A join by code that the requesting server could not check. */
        uint8_t pf[TL_SIG_PROOF_LEN];
        int ok = g && tl_sig_b64_decode(a->pf, strlen(a->pf), pf, sizeof(pf)) == TL_SIG_PROOF_LEN &&
                 CRYPTO_memcmp(g->verifier, pf, TL_SIG_PROOF_LEN) == 0;
        OPENSSL_cleanse(pf, sizeof(pf));
        if (!ok) {
            tl_sig_conn *c = origin_conn(s, a, p);
            if (g) /* every server applies this: the group's count stays local */
                tl_sig_bucket_take(&g->wrong_joins, tl_sig_now(s), TL_SIG_GJOIN_RATE,
                                   TL_SIG_GJOIN_BURST, 0);
            if (c)
                wrong_join_at(c, NULL, a->has_rid, a->rid);
            return;
        }
    }
    if (!g) {
        origin_err(s, a, p, TL_SIG_JOIN, TL_SIGE_BAD_CODE);
        return;
    }
    int already = tl_sig_group_is_member(g, p);
    tl_sig_err e = tl_sig_group_add(g, p);
    if (e != TL_SIGE_OK) {
        origin_err(s, a, p, TL_SIG_JOIN, e);
        return;
    }
    tl_sig_conn *c = origin_conn(s, a, p);
    if (c) {
        char gs[8];
        tl_sig_group_str(g->id, gs);
        cJSON *r = tl_sig_reply("joined", a->has_rid, a->rid);
        if (r) {
            cJSON_AddStringToObject(r, "group", gs);
            cJSON_AddItemToObject(r, "members", members_array(g, p));
        }
        tl_sig_conn_send_str(c, tl_sig_print_free(r));
    }
    if (!already) {
        char *t = member_event("group-joined", g->id, p, NULL, 0);
        notify_group(g, p, t);
        cJSON_free(t);
    }
}

static void ap_leave(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, a->pid);
    tl_sig_group *g = tl_sig_group_find(&s->st, a->group);
    if (!p || !g || !tl_sig_group_is_member(g, p))
        return;
    char *t = member_event("group-left", g->id, p, "left", 0);
    notify_group(g, p, t);
    cJSON_free(t);
    tl_sig_group_remove(&s->st, g, p); /* may free g */
    tl_sig_conn *c = origin_conn(s, a, p);
    if (c) {
        char gs[8];
        tl_sig_group_str(a->group, gs);
        cJSON *r = tl_sig_reply("left", a->has_rid, a->rid);
        if (r)
            cJSON_AddStringToObject(r, "group", gs);
        tl_sig_conn_send_str(c, tl_sig_print_free(r));
    }
}

static void ap_invite(tl_signal_server *s, const ev_args *a)
{
    tl_sig_peer *from = tl_sig_peer_find(&s->st, a->pid);
    tl_sig_peer *to = a->to ? tl_sig_peer_find(&s->st, a->to) : NULL;
    if (!from || !to || !a->inv || !tl_sig_valid_hex(a->inv, TL_SIG_INVITE_LEN))
        return;
    tl_sig_invite_add(&s->st, a->inv, a->group, to->id, tl_sig_now(s) + TL_SIG_INVITE_TTL_MS);
    if (!to->conn)
        return;
    char gs[8];
    tl_sig_group_str(a->group, gs);
    cJSON *r = tl_sig_reply("group-invite", 0, 0);
    if (r) {
        cJSON_AddStringToObject(r, "invite", a->inv);
        cJSON_AddStringToObject(r, "group", gs);
        cJSON_AddStringToObject(r, "from", from->id);
        cJSON_AddStringToObject(r, "from_name", from->name);
        cJSON_AddStringToObject(r, "blob", a->blob ? a->blob : "");
    }
    tl_sig_conn_send_str(to->conn, tl_sig_print_free(r));
}

static void parse_ev(cJSON *o, ev_args *a)
{
    double d;
    memset(a, 0, sizeof(*a));
    a->e = ev_str(o, "e");
    a->srv = ev_str(o, "s");
    a->pid = ev_str(o, "p");
    a->name = ev_str(o, "n");
    a->th = ev_str(o, "th");
    a->ver = ev_str(o, "v");
    a->inv = ev_str(o, "i");
    a->to = ev_str(o, "t");
    a->blob = ev_str(o, "b");
    a->why = ev_str(o, "why");
    a->pf = ev_str(o, "pf");
    a->group = ev_num(o, "g", &d) && d >= 0 && d <= 999999 ? (uint32_t)d : TL_SIG_GROUP_NONE;
    if (ev_num(o, "c", &d) && d >= 0)
        a->conn = (uint64_t)d;
    if (ev_num(o, "m", &d) && d >= 0 && d <= 100000)
        a->max = (uint32_t)d;
    if (ev_num(o, "r", &d)) {
        a->has_rid = 1;
        a->rid = (int64_t)d;
    }
}

void tl_sig_apply_event(tl_signal_server *s, const char *text, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o)
        return;
    ev_args a;
    parse_ev(o, &a);
    if (a.e && a.pid && tl_sig_valid_hex(a.pid, TL_SIG_ID_LEN)) {
        if (!strcmp(a.e, "reg"))
            ap_reg(s, &a);
        else if (!strcmp(a.e, "off"))
            ap_off(s, &a);
        else if (!strcmp(a.e, "bye"))
            ap_bye(s, &a);
        else if (!strcmp(a.e, "create"))
            ap_create(s, &a);
        else if (!strcmp(a.e, "join"))
            ap_join(s, &a);
        else if (!strcmp(a.e, "leave"))
            ap_leave(s, &a);
        else if (!strcmp(a.e, "inv"))
            ap_invite(s, &a);
    }
    cJSON_Delete(o);
}

void tl_sig_deliver_local(tl_signal_server *s, const char *peer, const char *text, size_t len)
{
    tl_sig_peer *p = tl_sig_peer_find(&s->st, peer);
    if (p && p->conn)
        tl_sig_conn_send(p->conn, text, len);
}

void tl_sig_server_dead(tl_signal_server *s, const char *srv_id)
{
    tl_loop_log(s->loop, TL_LOG_INFO, "signal", "server %s: peer server %s is silent", s->id,
                srv_id);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->st.peers);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_peer *p = v;
        if (p->online && !strcmp(p->srv, srv_id)) {
            peer_offline(s, p);
            grace_start(s, p, 1);
        }
    }
}

void tl_sig_tick(tl_signal_server *s)
{
    uint64_t now = tl_sig_now(s);
    tl_sig_invite_expire(&s->st, now);
    GHashTableIter it;
    gpointer k, v;
    GPtrArray *due = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_iter_init(&it, s->grace);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const grace_entry *ge = v;
        if (ge->expires_ms <= now)
            g_ptr_array_add(due, g_strdup(k));
    }
    for (guint i = 0; i < due->len; i++) {
        const char *id = g_ptr_array_index(due, i);
        const grace_entry *ge = g_hash_table_lookup(s->grace, id);
        int local_only = ge && ge->local_only;
        g_hash_table_remove(s->grace, id);
        tl_sig_peer *p = tl_sig_peer_find(&s->st, id);
        if (!p || p->online)
            continue;
        if (local_only) {
            peer_bye(s, p, "timeout");
        } else {
            cJSON *ev = event(s, "bye", p, NULL);
            if (ev)
                cJSON_AddStringToObject(ev, "why", "timeout");
            tl_sig_bus_publish(s, ev);
        }
    }
    g_ptr_array_free(due, TRUE);
    tl_sig_bus_tick(s);
}

void tl_sig_wrong_join_remote(tl_signal_server *s, uint32_t group)
{
    tl_sig_group *g = tl_sig_group_find(&s->st, group);
    if (g)
        tl_sig_bucket_take(&g->wrong_joins, tl_sig_now(s), TL_SIG_GJOIN_RATE, TL_SIG_GJOIN_BURST,
                           0);
}

/* Grace timers for the offline peers of a freshly loaded state. */
static void grace_fill(tl_signal_server *s)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->st.peers);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_peer *p = v;
        if (!p->online && !g_hash_table_contains(s->grace, p->id))
            grace_start(s, p, strcmp(p->srv, s->id) != 0);
    }
}

int tl_sig_state_replace(tl_signal_server *s, const char *snap, size_t len)
{
    tl_sig_state fresh = {0};
    if (snap) {
        const char *why = NULL;
        if (tl_sig_snapshot_load(&fresh, snap, len, tl_sig_now(s), &why) < 0) {
            tl_loop_log(s->loop, TL_LOG_ERROR, "signal", "server %s: snapshot refused: %s", s->id,
                        why ? why : "?");
            tl_sig_state_clear(&fresh);
            return -1;
        }
    } else {
        tl_sig_state_init(&fresh);
    }
    /* Local connections keep their peers by id across the swap. */
    GHashTable *bound = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->conns);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_conn *c = v;
        if (c->peer) {
            g_hash_table_insert(bound, c, g_strdup(c->peer->id));
            c->peer = NULL;
        }
    }
    tl_sig_state_clear(&s->st);
    s->st = fresh;
    g_hash_table_iter_init(&it, bound);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_conn *c = k;
        tl_sig_peer *p = tl_sig_peer_find(&s->st, v);
        if (p) {
            p->conn = c;
            c->peer = p;
        } else {
            tl_sig_conn_close(c); /* unknown now: the client registers again */
        }
    }
    g_hash_table_destroy(bound);
    /* Grace timers of peers that are gone or back online are void. */
    GPtrArray *stale = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_iter_init(&it, s->grace);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_peer *p = tl_sig_peer_find(&s->st, k);
        if (!p || p->online)
            g_ptr_array_add(stale, g_strdup(k));
    }
    for (guint i = 0; i < stale->len; i++)
        g_hash_table_remove(s->grace, g_ptr_array_index(stale, i));
    g_ptr_array_free(stale, TRUE);
    grace_fill(s);
    return 0;
}

void tl_sig_reconcile(tl_signal_server *s)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->conns);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_conn *c = v;
        tl_sig_peer *p = c->peer;
        if (c->registering) {
            /* Its "reg" event was lost with the link: start over. */
            c->registering = 0;
            tl_sig_conn_close(c);
        } else if (p && (!p->online || strcmp(p->srv, s->id) != 0)) {
            /* The others saw this server die meanwhile: let the client
             * register again (it resumes its id and groups if it can). */
            if (p->conn == c)
                p->conn = NULL;
            c->peer = NULL;
            tl_sig_conn_close(c);
        }
    }
    GPtrArray *gone = g_ptr_array_new();
    g_hash_table_iter_init(&it, s->st.peers);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        tl_sig_peer *p = v;
        if (p->online && !strcmp(p->srv, s->id) && !p->conn)
            g_ptr_array_add(gone, p); /* dropped while Redis was away */
    }
    for (guint i = 0; i < gone->len; i++) {
        tl_sig_peer *p = g_ptr_array_index(gone, i);
        tl_sig_bus_publish(s, event(s, "off", p, NULL));
    }
    g_ptr_array_free(gone, TRUE);
    grace_fill(s);
}
