/* Event loop: posted tasks run on the loop thread, timers fire in order,
 * stopped timers never fire, tl_loop_post is callable from another thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tallow/loop.h"

struct order {
    int seq[8];
    int n;
    tl_loop *loop;
};

static void record(struct order *o, int v)
{
    if (o->n < 8)
        o->seq[o->n++] = v;
}

static void t1(void *a)
{
    record(a, 1);
}
static void t2(void *a)
{
    record(a, 2);
}
static void never(void *a)
{
    record(a, 99);
}
static void stop(void *a)
{
    struct order *o = a;
    record(o, 3);
    tl_loop_stop(o->loop);
}

static void test_timers_and_posts(void **state)
{
    (void)state;
    struct order o = {0};
    assert_int_equal(tl_loop_new(&o.loop, NULL), TL_OK);
    assert_non_null(tl_timer_start(o.loop, 30, stop, &o));
    tl_timer *cancel = tl_timer_start(o.loop, 10, never, &o);
    assert_non_null(tl_timer_start(o.loop, 5, t2, &o));
    assert_int_equal(tl_loop_post(o.loop, t1, &o), TL_OK);
    tl_timer_stop(cancel);
    tl_loop_run(o.loop);
    assert_int_equal(o.n, 3);
    assert_int_equal(o.seq[0], 1);
    assert_int_equal(o.seq[1], 2);
    assert_int_equal(o.seq[2], 3);
    tl_loop_free(o.loop);
}

static void *poster(void *a)
{
    struct order *o = a;
    tl_loop_post(o->loop, stop, o);
    return NULL;
}

static void test_post_from_thread(void **state)
{
    (void)state;
    struct order o = {0};
    assert_int_equal(tl_loop_new(&o.loop, NULL), TL_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, poster, &o), 0);
    tl_loop_run(o.loop);
    pthread_join(th, NULL);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.seq[0], 3);
    tl_loop_free(o.loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_and_posts),
        cmocka_unit_test(test_post_from_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
