/* tallow — the event loop.
 *
 * Threading rules (apply to the whole public API unless a function says
 * otherwise):
 *  - Every object (peer connection, data channel, signaling client, transfer)
 *    belongs to the tl_loop it was created on. Its functions must be called on
 *    the thread that runs that loop: from inside a callback, or from a task
 *    posted with tl_loop_post().
 *  - tl_loop_post() and tl_loop_stop() are the only thread-safe calls.
 *  - Callbacks are always invoked on the loop thread, never re-entrantly from
 *    inside the API call that caused them unless the function says so.
 *
 * The loop wraps a GLib GMainContext (libnice needs one). Internal modules get
 * it through src/common/loop_internal.h. */
#ifndef TALLOW_LOOP_H
#define TALLOW_LOOP_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

typedef struct tl_loop tl_loop;
typedef struct tl_timer tl_timer;
typedef void (*tl_task_fn)(void *arg);

/* Creates a loop with its own GMainContext. logger may be NULL (silent); it is
 * copied. Returns TL_OK or TL_ERR_NOMEM. */
int tl_loop_new(tl_loop **out, const tl_logger *logger);

/* Frees the loop. All objects created on it must be freed first. */
void tl_loop_free(tl_loop *loop);

/* Runs the loop on the calling thread until tl_loop_stop(). Returns TL_OK. */
int tl_loop_run(tl_loop *loop);

/* Runs one iteration; blocks for events if may_block. Returns 1 if something
 * was dispatched, else 0. */
int tl_loop_iterate(tl_loop *loop, int may_block);

/* Makes tl_loop_run() return after the current dispatch. Thread-safe. */
void tl_loop_stop(tl_loop *loop);

/* Runs fn(arg) on the loop thread soon. Thread-safe. Returns TL_OK or
 * TL_ERR_NOMEM. */
int tl_loop_post(tl_loop *loop, tl_task_fn fn, void *arg);

/* Monotonic milliseconds. The only clock the I/O edges read; sans-I/O
 * modules receive the time as a parameter instead. */
uint64_t tl_loop_now_ms(const tl_loop *loop);

/* One-shot timer: fn(arg) runs on the loop thread after delay_ms unless
 * stopped first. The timer frees itself after firing; tl_timer_stop() on a
 * timer that has fired or was stopped is not allowed. Returns NULL on OOM. */
tl_timer *tl_timer_start(tl_loop *loop, uint32_t delay_ms, tl_task_fn fn, void *arg);

/* Cancels and frees a pending timer. */
void tl_timer_stop(tl_timer *timer);

/* Logs through the loop's logger (printf-style). subject may be NULL. */
void tl_loop_log(const tl_loop *loop, tl_log_level level, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
