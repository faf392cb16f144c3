/* The event bus between signaling servers: Redis pub/sub (hiredis async on
 * the tl_loop's GMainContext), or a direct call when running alone.
 *
 * Channels: "tl:ev" carries state events (every server applies them in the
 * order Redis delivers them, its own included); "tl:srv:<id>" carries relays
 * for the clients of server <id> ("<peer id><json>"); "tl:hb" carries each
 * server's id once a second so the others notice when it dies. */
#define _GNU_SOURCE /* uv.h needs POSIX thread types */
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/glib.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/loop_internal.h"
#include "signal/server_internal.h"

struct tl_sig_bus {
    tl_signal_server *srv;
    redisAsyncContext *pub, *sub;
    GSource *pub_src, *sub_src;
    int subscribed;
    int dead_link;
    GQueue pending;        /* events published before SUBSCRIBE was confirmed */
    GHashTable *last_seen; /* server id -> uint64_t* ms */
};

static int parse_url(const char *url, char *host, size_t cap, int *port)
{
    const char *p = url;
    if (!strncmp(p, "redis://", 8))
        p += 8;
    const char *colon = strrchr(p, ':');
    size_t hl = colon ? (size_t)(colon - p) : strlen(p);
    if (hl == 0 || hl >= cap)
        return TL_ERR_INVALID_ARG;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = 6379;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if ((*end && *end != '/') || v <= 0 || v > 65535)
            return TL_ERR_INVALID_ARG;
        *port = (int)v;
    }
    return TL_OK;
}

static void publish_raw(tl_sig_bus *b, const char *chan, const char *data, size_t len)
{
    if (b->pub && !b->dead_link)
        redisAsyncCommand(b->pub, NULL, NULL, "PUBLISH %s %b", chan, data, len);
}

static void on_message(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    tl_sig_bus *b = priv;
    redisReply *rep = r;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = rep->element[0]->str;
    if (!strcmp(kind, "subscribe")) {
        if (rep->element[2]->type == REDIS_REPLY_INTEGER && rep->element[2]->integer == 3 &&
            !b->subscribed) {
            b->subscribed = 1;
            char *ev;
            while ((ev = g_queue_pop_head(&b->pending))) {
                publish_raw(b, "tl:ev", ev, strlen(ev));
                cJSON_free(ev);
            }
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
        tl_sig_apply_event(s, data, len);
    } else if (!strcmp(chan, "tl:hb")) {
        if (len == TL_SIG_SRV_LEN && strncmp(data, s->id, TL_SIG_SRV_LEN) != 0) {
            uint64_t *t = malloc(sizeof(*t));
            if (t) {
                *t = tl_sig_now(s);
                g_hash_table_replace(b->last_seen, g_strndup(data, len), t);
            }
        }
    } else if (len > TL_SIG_ID_LEN) {
        char peer[TL_SIG_ID_LEN + 1];
        memcpy(peer, data, TL_SIG_ID_LEN);
        peer[TL_SIG_ID_LEN] = '\0';
        tl_sig_deliver_local(s, peer, data + TL_SIG_ID_LEN, len - TL_SIG_ID_LEN);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    tl_sig_bus *b = ac->data;
    (void)status;
    if (!b)
        return;
    tl_loop_log(b->srv->loop, TL_LOG_ERROR, "signal", "server %s: lost the Redis connection",
                b->srv->id);
    b->dead_link = 1;
    if (ac == b->pub)
        b->pub = NULL;
    else
        b->sub = NULL;
}

static redisAsyncContext *async_connect(tl_sig_bus *b, const char *host, int port, GSource **src)
{
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        return NULL;
    }
    ac->data = b;
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    *src = redis_source_new(ac);
    g_source_attach(*src, tl_loop_gcontext(b->srv->loop));
    return ac;
}

int tl_sig_bus_new(tl_sig_bus **out, tl_signal_server *s, const char *url)
{
    char host[256];
    int port;
    if (parse_url(url, host, sizeof(host), &port) != TL_OK)
        return TL_ERR_INVALID_ARG;
    /* Fail early and clearly when Redis is not there. */
    struct timeval tv = {2, 0};
    redisContext *probe = redisConnectWithTimeout(host, port, tv);
    if (!probe || probe->err) {
        if (probe)
            redisFree(probe);
        return TL_ERR_IO;
    }
    redisFree(probe);
    tl_sig_bus *b = calloc(1, sizeof(*b));
    if (!b)
        return TL_ERR_NOMEM;
    b->srv = s;
    g_queue_init(&b->pending);
    b->last_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free);
    b->pub = async_connect(b, host, port, &b->pub_src);
    b->sub = async_connect(b, host, port, &b->sub_src);
    if (!b->pub || !b->sub) {
        tl_sig_bus_free(b);
        return TL_ERR_IO;
    }
    char chan[32];
    snprintf(chan, sizeof(chan), "tl:srv:%s", s->id);
    redisAsyncCommand(b->sub, on_message, b, "SUBSCRIBE tl:ev tl:hb %s", chan);
    *out = b;
    return TL_OK;
}

void tl_sig_bus_free(tl_sig_bus *b)
{
    if (!b)
        return;
    if (b->sub) {
        b->sub->data = NULL;
        redisAsyncFree(b->sub);
    }
    if (b->pub) {
        b->pub->data = NULL;
        redisAsyncFree(b->pub);
    }
    if (b->sub_src) {
        g_source_destroy(b->sub_src);
        g_source_unref(b->sub_src);
    }
    if (b->pub_src) {
        g_source_destroy(b->pub_src);
        g_source_unref(b->pub_src);
    }
    char *ev;
    while ((ev = g_queue_pop_head(&b->pending)))
        cJSON_free(ev);
    g_hash_table_destroy(b->last_seen);
    free(b);
}

void tl_sig_bus_publish(tl_signal_server *s, cJSON *ev_owned)
{
    char *text = tl_sig_print_free(ev_owned);
    if (!text)
        return;
    tl_sig_bus *b = s->bus;
    if (!b) {
        tl_sig_apply_event(s, text, strlen(text));
        cJSON_free(text);
        return;
    }
    if (!b->subscribed) {
        g_queue_push_tail(&b->pending, text);
        return;
    }
    publish_raw(b, "tl:ev", text, strlen(text));
    cJSON_free(text);
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

void tl_sig_bus_tick(tl_signal_server *s)
{
    tl_sig_bus *b = s->bus;
    if (!b)
        return;
    publish_raw(b, "tl:hb", s->id, TL_SIG_SRV_LEN);
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
}
