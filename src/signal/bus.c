/* Scale-out: the shared state lives in Redis; servers keep a replica.
 *
 * Keys (docs/SIGNALING.md §6):
 *   tl:seq      the number of the last state event
 *   tl:log      list of "<seq> <event JSON>", the recent events in order
 *   tl:snap     "<seq> <state JSON>": the whole state after event <seq>
 *   tl:snapseq  <seq> of tl:snap (compare-and-set guard)
 * Channels:
 *   tl:ev       every state event as it is logged ("<seq> <JSON>")
 *   tl:srv:<id> relays for the clients of server <id> ("<peer id><JSON>")
 *   tl:hb       each server's id once a second (dead-server detection)
 *   tl:wj       "<server id> <group>": a wrong join, for the per-group limit
 *
 * A state event is appended and published by one Lua script, so its number
 * and its place in the log and on the channel agree. Every server applies
 * events strictly in number order; an event that arrives with a gap, a
 * server that starts late and a server that lost its Redis link all catch up
 * the same way: read tl:snap + tl:log (one script, atomic), load the
 * snapshot if the log no longer reaches back far enough, apply the missing
 * events, then the ones held meanwhile. The server whose id is lowest among
 * the live ones writes a new snapshot every cfg.snapshot_every events or
 * SNAP_MS, and the log is trimmed to LOG_KEEP times that many events before
 * it (so a server that was away briefly catches up event by event and its
 * clients hear every change). If Redis lost its
 * data (restarted without persistence), the first server to notice writes
 * its own copy back. Hiredis runs async on the tl_loop's GMainContext; the
 * first read at start-up is synchronous, so a server never accepts a request
 * before it has the state. */
#define _GNU_SOURCE /* uv.h needs POSIX thread types */
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/glib.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "common/loop_internal.h"
#include "signal/server_internal.h"
#include "signal/snapshot.h"
#include "common/uri.h"
#include "tallow/transfer.h"
#include "common/parse.h"

#define SNAP_MS                                                                                    \
    10000u /* a snapshot every cfg.snapshot_every events or this                                   \
              long, if anything changed; the log keeps                                             \
              LOG_KEEP x snapshot_every events before it */
#define LOG_KEEP 4u
#define HELD_MAX 100000u  /* events held while catching up, then dropped */
#define RETRY_MIN_MS 250u /* reconnect backoff */
#define RETRY_MAX_MS 4000u

static const char *const K_SEQ = "tl:seq", *const K_LOG = "tl:log", *const K_SNAP = "tl:snap",
                         *const K_SNAPSEQ = "tl:snapseq";

/* KEYS: seq log; ARGV: event. Returns the event's number. */
static const char LUA_PUBLISH[] = "local n = redis.call('INCR', KEYS[1])\n"
                                  "local m = n .. ' ' .. ARGV[1]\n"
                                  "redis.call('RPUSH', KEYS[2], m)\n"
                                  "redis.call('PUBLISH', 'tl:ev', m)\n"
                                  "return n\n";

/* KEYS: snap log seq. Returns {snapshot or '', log, seq or '0'}. */
static const char LUA_READ[] = "local s = redis.call('GET', KEYS[1])\n"
                               "local l = redis.call('LRANGE', KEYS[2], 0, -1)\n"
                               "local q = redis.call('GET', KEYS[3])\n"
                               "return {s or '', l, q or '0'}\n";

/* KEYS: snap snapseq log; ARGV: seq state keep. Stores the snapshot unless a
 * newer one is there; trims the log to `keep` events before it. */
static const char LUA_SNAP[] = "local n = tonumber(ARGV[1])\n"
                               "local cur = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
                               "if n <= cur then return cur end\n"
                               "redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])\n"
                               "redis.call('SET', KEYS[2], ARGV[1])\n"
                               "local cut = n - tonumber(ARGV[3])\n"
                               "while true do\n"
                               "  local h = redis.call('LINDEX', KEYS[3], 0)\n"
                               "  if not h then break end\n"
                               "  local s = tonumber(string.match(h, '^(%d+) '))\n"
                               "  if s and s > cut then break end\n"
                               "  redis.call('LPOP', KEYS[3])\n"
                               "end\n"
                               "return n\n";

/* KEYS: seq snap snapseq log; ARGV: seq state. After Redis lost its data:
 * writes our copy back unless someone already did (or Redis is ahead). */
static const char LUA_SEED[] = "local n = tonumber(ARGV[1])\n"
                               "if tonumber(redis.call('GET', KEYS[1]) or '0') >= n then\n"
                               "  return 0 end\n"
                               "redis.call('SET', KEYS[1], ARGV[1])\n"
                               "redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2])\n"
                               "redis.call('SET', KEYS[3], ARGV[1])\n"
                               "redis.call('DEL', KEYS[4])\n"
                               "return 1\n";

typedef struct held_ev {
    uint64_t seq;
    size_t len;
    char text[];
} held_ev;

struct tl_sig_bus {
    tl_signal_server *srv;
    char host[256];
    int port;
    char user[128], pass[256]; /* AUTH, when the URL has them */
    redisAsyncContext *pub, *sub;
    GSource *pub_src, *sub_src;
    GSource *retry;
    tl_backoff bo;         /* reconnect schedule: RETRY_MIN_MS doubling to RETRY_MAX_MS */
    int subscribed;        /* the subscription is confirmed */
    int ready;             /* linked and caught up at least once since the last loss */
    int lost;              /* the link was lost: reconcile after the next catch-up */
    int syncing;           /* a catch-up read is in flight */
    int sync_again;        /* another gap appeared meanwhile */
    uint64_t applied;      /* number of the last event applied */
    uint64_t snap_seq;     /* newest snapshot we know of */
    uint64_t snap_ms;      /* when we last wrote or saw one */
    GQueue held;           /* held_ev*, in arrival order */
    GHashTable *last_seen; /* server id -> uint64_t* ms */
};

static void link_lost(tl_sig_bus *b);
static void start_sync(tl_sig_bus *b);

/* "redis://[[USER]:PASSWORD@]HOST[:PORT][/...]" through the one URL parser
 * (src/common/uri.c): the host without brackets, as hiredis wants it. */
static int parse_url(tl_sig_bus *b, const char *url)
{
    tl_uri u;
    if (tl_uri_parse(&u, TL_URI_REDIS, url, NULL))
        return TL_ERR_INVALID_ARG;
    int bad = snprintf(b->host, sizeof(b->host), "%s", u.host) >= (int)sizeof(b->host) ||
              snprintf(b->user, sizeof(b->user), "%s", u.user) >= (int)sizeof(b->user) ||
              snprintf(b->pass, sizeof(b->pass), "%s", u.pass) >= (int)sizeof(b->pass);
    b->port = u.port;
    tl_uri_wipe(&u);
    return bad ? TL_ERR_INVALID_ARG : TL_OK;
}

/* "<seq> <text>": the number, and the text after the space. */
static int split_seq(const char *s, size_t len, uint64_t *seq, const char **text, size_t *tlen)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < len && i < 20 && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (uint64_t)(s[i++] - '0');
    if (i == 0 || i >= len || s[i] != ' ')
        return -1;
    *seq = v;
    *text = s + i + 1;
    *tlen = len - i - 1;
    return 0;
}

static void held_clear(tl_sig_bus *b)
{
    held_ev *h;
    while ((h = g_queue_pop_head(&b->held)))
        free(h);
}

/* Applies event seq if it is the next one. Returns 1 if applied, 0 if it is
 * old (skipped), -1 if there is a gap before it. */
static int apply_next(tl_sig_bus *b, uint64_t seq, const char *text, size_t len)
{
    if (seq <= b->applied)
        return 0;
    if (seq != b->applied + 1)
        return -1;
    b->applied = seq;
    tl_sig_apply_event(b->srv, text, len);
    return 1;
}

static void drain_held(tl_sig_bus *b)
{
    held_ev *h;
    while ((h = g_queue_peek_head(&b->held))) {
        if (apply_next(b, h->seq, h->text, h->len) < 0) {
            start_sync(b);
            return;
        }
        free(g_queue_pop_head(&b->held));
    }
}

static void on_event(tl_sig_bus *b, const char *data, size_t len)
{
    uint64_t seq;
    const char *text;
    size_t tlen;
    if (split_seq(data, len, &seq, &text, &tlen))
        return;
    if (b->syncing || !g_queue_is_empty(&b->held) || seq > b->applied + 1) {
        if (seq <= b->applied)
            return;
        if (g_queue_get_length(&b->held) >= HELD_MAX)
            held_clear(b); /* the catch-up read will bring them */
        held_ev *h = malloc(sizeof(*h) + tlen + 1);
        if (!h)
            return;
        h->seq = seq;
        h->len = tlen;
        memcpy(h->text, text, tlen);
        h->text[tlen] = '\0';
        g_queue_push_tail(&b->held, h);
        if (!b->syncing)
            start_sync(b);
        return;
    }
    apply_next(b, seq, text, tlen);
}

static void note_servers(tl_sig_bus *b)
{
    /* Servers named in the state that we have not heard: start their clock,
     * so one that is gone is found dead like any other. */
    tl_signal_server *s = b->srv;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->st.peers);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const tl_sig_peer *p = v;
        if (strcmp(p->srv, s->id) != 0 && !g_hash_table_contains(b->last_seen, p->srv)) {
            uint64_t *t = malloc(sizeof(*t));
            if (!t)
                continue;
            *t = tl_sig_now(s);
            g_hash_table_replace(b->last_seen, g_strdup(p->srv), t);
        }
    }
}

static void on_seed_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)r;
    tl_sig_bus *b = priv;
    if (!b || !r || !b->pub || !b->syncing)
        return;
    b->syncing = 0;
    start_sync(b); /* read again: someone else may have seeded first */
}

/* Redis is behind us: it lost its data. Write our copy back. */
static void seed(tl_sig_bus *b)
{
    tl_signal_server *s = b->srv;
    char *snap = tl_sig_snapshot_dump(&s->st, tl_sig_now(s));
    if (!snap) {
        b->syncing = 0;
        return;
    }
    char seq[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)b->applied);
    tl_loop_log(s->loop, TL_LOG_ERROR, "signal",
                "server %s: Redis has lost the shared state; writing ours back (event %s)", s->id,
                seq);
    redisAsyncCommand(b->pub, on_seed_reply, b, "EVAL %s 4 %s %s %s %s %s %s", LUA_SEED, K_SEQ,
                      K_SNAP, K_SNAPSEQ, K_LOG, seq, snap);
    cJSON_free(snap);
}

/* Handles the LUA_READ reply: {snapshot, log, seq}. Returns 0 when caught up,
 * 1 when a seed was started, -1 on a malformed reply. */
static int apply_sync(tl_sig_bus *b, const redisReply *rep)
{
    tl_signal_server *s = b->srv;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_ARRAY ||
        rep->element[2]->type != REDIS_REPLY_STRING)
        return -1;
    const redisReply *snap = rep->element[0], *log = rep->element[1];
    uint64_t redis_seq, first = 0, sseq = 0;
    const char *bad;
    if (tl_parse_number(rep->element[2]->str, 0, UINT64_MAX, &redis_seq, &bad))
        return -1;
    const char *stext = NULL, *t;
    size_t slen = 0, tl;
    if (snap->len && split_seq(snap->str, snap->len, &sseq, &stext, &slen))
        return -1;
    if (log->elements && log->element[0]->type == REDIS_REPLY_STRING &&
        split_seq(log->element[0]->str, log->element[0]->len, &first, &t, &tl))
        return -1;
    if (sseq > b->snap_seq) {
        b->snap_seq = sseq;
        b->snap_ms = tl_sig_now(s);
    }
    if (redis_seq < b->applied) {
        seed(b);
        return 1;
    }
    int covered = redis_seq == b->applied || (log->elements && first <= b->applied + 1);
    if (!covered) {
        const char *why = NULL;
        if (!snap->len) {
            tl_sig_state_replace(s, NULL, 0);
            b->applied = 0;
        } else if (tl_sig_state_replace(s, stext, slen) == 0) {
            b->applied = sseq;
        } else {
            why = "malformed snapshot";
        }
        if (why) {
            tl_loop_log(s->loop, TL_LOG_ERROR, "signal", "server %s: %s in Redis", s->id, why);
            return -1;
        }
        tl_loop_log(s->loop, TL_LOG_INFO, "signal",
                    "server %s: loaded the shared state at event %llu", s->id,
                    (unsigned long long)b->applied);
    }
    for (size_t i = 0; i < log->elements; i++) {
        uint64_t seq;
        if (log->element[i]->type != REDIS_REPLY_STRING ||
            split_seq(log->element[i]->str, log->element[i]->len, &seq, &t, &tl))
            continue;
        if (apply_next(b, seq, t, tl) < 0) {
            tl_loop_log(s->loop, TL_LOG_ERROR, "signal", "server %s: gap in the Redis log at %llu",
                        s->id, (unsigned long long)seq);
            return -1;
        }
    }
    note_servers(b);
    return 0;
}

static void finish_sync(tl_sig_bus *b)
{
    tl_signal_server *s = b->srv;
    b->syncing = 0;
    if (b->lost) {
        b->lost = 0;
        tl_loop_log(s->loop, TL_LOG_INFO, "signal", "server %s: Redis is back, at event %llu",
                    s->id, (unsigned long long)b->applied);
        tl_sig_reconcile(s);
        /* We heard nobody while away: give every server a fresh start. */
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, b->last_seen);
        while (g_hash_table_iter_next(&it, &k, &v))
            *(uint64_t *)v = tl_sig_now(s);
    }
    b->ready = 1;
    tl_backoff_reset(&b->bo);
    if (b->sync_again) {
        b->sync_again = 0;
        start_sync(b);
        return;
    }
    drain_held(b);
}

static void on_sync_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    tl_sig_bus *b = priv;
    if (!b || !r || !b->syncing || !b->subscribed)
        return; /* the link was lost meanwhile: the reconnect syncs again */
    int rc = apply_sync(b, r);
    if (rc == 1)
        return; /* seeding; on_seed_reply reads again */
    if (rc < 0) {
        b->syncing = 0;
        link_lost(b); /* start over after the backoff */
        return;
    }
    finish_sync(b);
}

static void start_sync(tl_sig_bus *b)
{
    if (b->syncing) {
        b->sync_again = 1;
        return;
    }
    if (!b->pub)
        return;
    b->syncing = 1;
    redisAsyncCommand(b->pub, on_sync_reply, b, "EVAL %s 3 %s %s %s", LUA_READ, K_SNAP, K_LOG,
                      K_SEQ);
}

static void publish_raw(tl_sig_bus *b, const char *chan, const char *data, size_t len)
{
    if (b->pub)
        redisAsyncCommand(b->pub, NULL, NULL, "PUBLISH %s %b", chan, data, len);
}

static void on_message(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    tl_sig_bus *b = priv;
    redisReply *rep = r;
    if (!b || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = rep->element[0]->str;
    if (!strcmp(kind, "subscribe")) {
        if (rep->element[2]->type == REDIS_REPLY_INTEGER && rep->element[2]->integer == 4 &&
            !b->subscribed) {
            b->subscribed = 1;
            start_sync(b); /* events published before the subscription */
        }
        return;
    }
    if (strcmp(kind, "message") != 0 || rep->element[1]->type != REDIS_REPLY_STRING ||
        rep->element[2]->type != REDIS_REPLY_STRING)
        return;
    const char *chan = rep->element[1]->str;
    const char *data = rep->element[2]->str;
    size_t len = rep->element[2]->len;
    tl_signal_server *s = b->srv;
    if (!strcmp(chan, "tl:ev")) {
        on_event(b, data, len);
    } else if (!strcmp(chan, "tl:hb")) {
        if (len == TL_SIG_SRV_LEN && strncmp(data, s->id, TL_SIG_SRV_LEN) != 0) {
            uint64_t *t = malloc(sizeof(*t));
            if (t) {
                *t = tl_sig_now(s);
                g_hash_table_replace(b->last_seen, g_strndup(data, len), t);
            }
        }
    } else if (!strcmp(chan, "tl:wj")) {
        if (len > TL_SIG_SRV_LEN + 1 && strncmp(data, s->id, TL_SIG_SRV_LEN) != 0) {
            uint32_t g;
            if (tl_sig_group_parse_n(data + TL_SIG_SRV_LEN + 1, len - TL_SIG_SRV_LEN - 1, &g)) {
                tl_sig_wrong_join_remote(s, g);
            }
        }
    } else if (len > TL_SIG_ID_LEN) {
        char peer[TL_SIG_ID_LEN + 1];
        memcpy(peer, data, TL_SIG_ID_LEN);
        peer[TL_SIG_ID_LEN] = '\0';
        tl_sig_deliver_local(s, peer, data + TL_SIG_ID_LEN, len - TL_SIG_ID_LEN);
    }
}

/* Frees a context (if any) and its GSource. Never from inside a hiredis
 * callback: the adapter's cleanup must run while the GSource still exists. */
static void drop_ctx(redisAsyncContext **ac, GSource **src)
{
    redisAsyncContext *a = *ac;
    *ac = NULL;
    if (a) {
        a->data = NULL;
        redisAsyncFree(a);
    }
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    tl_sig_bus *b = ac->data;
    if (!b)
        return;
    /* hiredis frees this context itself after the callback; its GSource goes
     * at the reconnect. */
    if (ac == b->pub)
        b->pub = NULL;
    else if (ac == b->sub)
        b->sub = NULL;
    link_lost(b);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status == REDIS_OK)
        return;
    on_disconnect(ac, status); /* a failed connect is freed by hiredis too */
}

static redisAsyncContext *async_connect(tl_sig_bus *b, GSource **src)
{
    redisAsyncContext *ac = redisAsyncConnect(b->host, b->port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        return NULL;
    }
    ac->data = b;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    *src = redis_source_new(ac);
    g_source_attach(*src, tl_loop_gcontext(b->srv->loop));
    /* Pipelined: AUTH goes before anything else on this link. */
    if (b->pass[0] && b->user[0])
        redisAsyncCommand(ac, NULL, NULL, "AUTH %s %s", b->user, b->pass);
    else if (b->pass[0])
        redisAsyncCommand(ac, NULL, NULL, "AUTH %s", b->pass);
    return ac;
}

/* Opens both links and subscribes; the subscription confirmation starts the
 * catch-up read. */
static int link_up(tl_sig_bus *b)
{
    b->pub = async_connect(b, &b->pub_src);
    b->sub = async_connect(b, &b->sub_src);
    if (!b->pub || !b->sub)
        return -1;
    char chan[32];
    snprintf(chan, sizeof(chan), "tl:srv:%s", b->srv->id);
    redisAsyncCommand(b->sub, on_message, b, "SUBSCRIBE tl:ev tl:hb tl:wj %s", chan);
    return 0;
}

static gboolean retry_cb(gpointer data)
{
    tl_sig_bus *b = data;
    g_source_unref(b->retry);
    b->retry = NULL;
    drop_ctx(&b->pub, &b->pub_src);
    drop_ctx(&b->sub, &b->sub_src);
    if (link_up(b) < 0)
        link_lost(b);
    return G_SOURCE_REMOVE;
}

/* Called from hiredis callbacks too: the contexts are dropped by the retry
 * timer, outside them. Events that still arrive meanwhile are applied in
 * order or held; requests are refused until the catch-up after the
 * reconnect (ready). */
static void link_lost(tl_sig_bus *b)
{
    tl_signal_server *s = b->srv;
    if (!b->lost)
        tl_loop_log(s->loop, TL_LOG_ERROR, "signal",
                    "server %s: lost the Redis connection; retrying", s->id);
    b->lost = 1;
    b->ready = 0;
    held_clear(b); /* the catch-up re-reads them (or Redis lost them) */
    b->subscribed = 0;
    b->syncing = 0;
    b->sync_again = 0;
    if (b->retry)
        return;
    uint64_t d = RETRY_MAX_MS;
    tl_backoff_next(&b->bo, 0, &d); /* no limit: always TL_OK */
    b->retry = g_timeout_source_new((guint)d);
    g_source_set_callback(b->retry, retry_cb, b, NULL);
    g_source_attach(b->retry, tl_loop_gcontext(s->loop));
}

int tl_sig_bus_new(tl_sig_bus **out, tl_signal_server *s, const char *url)
{
    tl_sig_bus *b = calloc(1, sizeof(*b));
    if (!b)
        return TL_ERR_NOMEM;
    if (parse_url(b, url) != TL_OK) {
        OPENSSL_cleanse(b->pass, sizeof(b->pass));
        free(b);
        return TL_ERR_INVALID_ARG;
    }
    b->srv = s;
    tl_backoff_init_doubling(&b->bo, RETRY_MIN_MS, RETRY_MAX_MS, 0, TL_BACKOFF_FOREVER);
    g_queue_init(&b->held);
    b->last_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free);
    /* The first read is synchronous: fail early and clearly when Redis is
     * not there, and never serve a request without the shared state. */
    struct timeval tv = {2, 0};
    redisContext *rc = redisConnectWithTimeout(b->host, b->port, tv);
    redisReply *rep = NULL;
    int authed = 1;
    if (rc && !rc->err)
        redisSetTimeout(rc, tv); /* a Redis that hangs fails the start too */
    if (rc && !rc->err && b->pass[0]) {
        rep = b->user[0] ? redisCommand(rc, "AUTH %s %s", b->user, b->pass)
                         : redisCommand(rc, "AUTH %s", b->pass);
        authed = rep && rep->type == REDIS_REPLY_STATUS;
        if (rep)
            freeReplyObject(rep);
        rep = NULL;
    }
    if (rc && !rc->err && authed)
        rep = redisCommand(rc, "EVAL %s 3 %s %s %s", LUA_READ, K_SNAP, K_LOG, K_SEQ);
    int ok = rep && apply_sync(b, rep) == 0;
    if (rep)
        freeReplyObject(rep);
    if (rc)
        redisFree(rc);
    if (!ok || link_up(b) < 0) {
        tl_sig_bus_free(b);
        return TL_ERR_IO;
    }
    b->ready = 1;
    *out = b;
    return TL_OK;
}

void tl_sig_bus_free(tl_sig_bus *b)
{
    if (!b)
        return;
    drop_ctx(&b->sub, &b->sub_src);
    drop_ctx(&b->pub, &b->pub_src);
    if (b->retry) {
        g_source_destroy(b->retry);
        g_source_unref(b->retry);
    }
    held_clear(b);
    g_hash_table_destroy(b->last_seen);
    OPENSSL_cleanse(b->pass, sizeof(b->pass));
    free(b);
}

int tl_sig_bus_publish(tl_signal_server *s, cJSON *ev_owned)
{
    char *text = tl_sig_print_free(ev_owned);
    if (!text)
        return -1;
    tl_sig_bus *b = s->bus;
    if (!b) {
        tl_sig_apply_event(s, text, strlen(text));
        cJSON_free(text);
        return 0;
    }
    int rc = -1;
    if (b->ready && b->pub) {
        redisAsyncCommand(b->pub, NULL, NULL, "EVAL %s 2 %s %s %s", LUA_PUBLISH, K_SEQ, K_LOG,
                          text);
        rc = 0;
    }
    cJSON_free(text);
    return rc;
}

void tl_sig_bus_route(tl_signal_server *s, const char *srv_id, const char *peer, const char *text,
                      size_t len)
{
    tl_sig_bus *b = s->bus;
    if (!b)
        return;
    char chan[32];
    snprintf(chan, sizeof(chan), "tl:srv:%s", srv_id);
    char *buf = malloc(TL_SIG_ID_LEN + len);
    if (!buf)
        return;
    memcpy(buf, peer, TL_SIG_ID_LEN);
    memcpy(buf + TL_SIG_ID_LEN, text, len);
    publish_raw(b, chan, buf, TL_SIG_ID_LEN + len);
    free(buf);
}

void tl_sig_bus_wrong_join(tl_signal_server *s, uint32_t group)
{
    if (!s->bus)
        return;
    char msg[TL_SIG_SRV_LEN + 16], g[8];
    tl_sig_group_str(group, g); /* six digits, as tl_sig_group_parse_n reads them */
    int n = snprintf(msg, sizeof(msg), "%s %s", s->id, g);
    publish_raw(s->bus, "tl:wj", msg, (size_t)n);
}

/* The lowest id among the live servers writes the snapshots. */
static int is_leader(tl_sig_bus *b)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, b->last_seen);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (strcmp(k, b->srv->id) < 0)
            return 0;
    return 1;
}

static void on_snap_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    tl_sig_bus *b = priv;
    redisReply *rep = r;
    if (b && rep && rep->type == REDIS_REPLY_INTEGER && (uint64_t)rep->integer > b->snap_seq)
        b->snap_seq = (uint64_t)rep->integer;
}

static void maybe_snapshot(tl_sig_bus *b)
{
    tl_signal_server *s = b->srv;
    uint64_t now = tl_sig_now(s);
    if (!b->ready || !b->pub || b->syncing || b->applied <= b->snap_seq || !is_leader(b) ||
        (b->applied - b->snap_seq < s->cfg.snapshot_every && now - b->snap_ms < SNAP_MS))
        return;
    char *snap = tl_sig_snapshot_dump(&s->st, now);
    if (!snap)
        return;
    char seq[24], keep[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)b->applied);
    snprintf(keep, sizeof(keep), "%llu", (unsigned long long)LOG_KEEP * s->cfg.snapshot_every);
    redisAsyncCommand(b->pub, on_snap_reply, b, "EVAL %s 3 %s %s %s %s %s %s", LUA_SNAP, K_SNAP,
                      K_SNAPSEQ, K_LOG, seq, snap, keep);
    cJSON_free(snap);
    b->snap_ms = now;
}

void tl_sig_bus_tick(tl_signal_server *s)
{
    tl_sig_bus *b = s->bus;
    if (!b)
        return;
    publish_raw(b, "tl:hb", s->id, TL_SIG_SRV_LEN);
    if (!b->ready)
        return; /* deaf meanwhile: silence says nothing about the others */
    uint64_t now = tl_sig_now(s);
    GHashTableIter it;
    gpointer k, v;
    GPtrArray *dead = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_iter_init(&it, b->last_seen);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (now - *(uint64_t *)v > TL_SIG_SRV_DEAD_MS)
            g_ptr_array_add(dead, g_strdup(k));
    for (guint i = 0; i < dead->len; i++) {
        g_hash_table_remove(b->last_seen, g_ptr_array_index(dead, i));
        tl_sig_server_dead(s, g_ptr_array_index(dead, i));
    }
    g_ptr_array_free(dead, TRUE);
    maybe_snapshot(b);
}
