/* Event loop over a GLib main context. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/loop_internal.h"

struct tl_loop {
    GMainContext *ctx;
    GMainLoop *main;
    tl_logger logger;
};

struct tl_timer {
    GSource *src;
    tl_task_fn fn;
    void *arg;
};

struct post_task {
    tl_task_fn fn;
    void *arg;
};

int tl_loop_new(tl_loop **out, const tl_logger *logger)
{
    tl_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return TL_ERR_NOMEM;
    l->ctx = g_main_context_new();
    l->main = g_main_loop_new(l->ctx, FALSE);
    if (logger)
        l->logger = *logger;
    else
        l->logger.level = TL_LOG_NONE;
    *out = l;
    return TL_OK;
}

void tl_loop_free(tl_loop *loop)
{
    if (!loop)
        return;
    /* Drain what is still queued so posted tasks free their arguments. */
    while (g_main_context_iteration(loop->ctx, FALSE))
        ;
    g_main_loop_unref(loop->main);
    g_main_context_unref(loop->ctx);
    free(loop);
}

int tl_loop_run(tl_loop *loop)
{
    g_main_context_push_thread_default(loop->ctx);
    g_main_loop_run(loop->main);
    g_main_context_pop_thread_default(loop->ctx);
    return TL_OK;
}

int tl_loop_iterate(tl_loop *loop, int may_block)
{
    return g_main_context_iteration(loop->ctx, may_block ? TRUE : FALSE) ? 1 : 0;
}

static gboolean stop_cb(gpointer data)
{
    tl_loop *loop = data;
    g_main_loop_quit(loop->main);
    return G_SOURCE_REMOVE;
}

void tl_loop_stop(tl_loop *loop)
{
    /* g_main_loop_quit is thread-safe, but quitting from the loop thread via
     * an idle keeps the "after the current dispatch" promise either way. */
    GSource *s = g_idle_source_new();
    g_source_set_priority(s, G_PRIORITY_HIGH);
    g_source_set_callback(s, stop_cb, loop, NULL);
    g_source_attach(s, loop->ctx);
    g_source_unref(s);
}

static gboolean post_cb(gpointer data)
{
    struct post_task *t = data;
    t->fn(t->arg);
    return G_SOURCE_REMOVE;
}

int tl_loop_post(tl_loop *loop, tl_task_fn fn, void *arg)
{
    struct post_task *t = malloc(sizeof(*t));
    if (!t)
        return TL_ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    GSource *s = g_idle_source_new();
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_set_callback(s, post_cb, t, free);
    g_source_attach(s, loop->ctx);
    g_source_unref(s);
    return TL_OK;
}

uint64_t tl_loop_now_ms(const tl_loop *loop)
{
    (void)loop;
    return (uint64_t)(g_get_monotonic_time() / 1000);
}

static gboolean timer_cb(gpointer data)
{
    tl_timer *t = data;
    tl_task_fn fn = t->fn;
    void *arg = t->arg;
    g_source_unref(t->src);
    free(t);
    fn(arg);
    return G_SOURCE_REMOVE;
}

tl_timer *tl_timer_start(tl_loop *loop, uint32_t delay_ms, tl_task_fn fn, void *arg)
{
    tl_timer *t = malloc(sizeof(*t));
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->src = g_timeout_source_new(delay_ms);
    g_source_set_callback(t->src, timer_cb, t, NULL);
    g_source_attach(t->src, loop->ctx);
    return t;
}

void tl_timer_stop(tl_timer *timer)
{
    if (!timer)
        return;
    g_source_destroy(timer->src);
    g_source_unref(timer->src);
    free(timer);
}

GMainContext *tl_loop_gcontext(const tl_loop *loop)
{
    return loop->ctx;
}

const tl_logger *tl_loop_logger(const tl_loop *loop)
{
    return &loop->logger;
}

void tl_loop_log(const tl_loop *loop, tl_log_level level, const char *subject, const char *fmt, ...)
{
    if (!loop || !loop->logger.fn || level < loop->logger.level)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    loop->logger.fn(loop->logger.user_data, level, subject ? subject : "", buf);
}
