/* Real `tallow signal` processes: two servers sharing one redis-server
 * (a group split across them, every message type, kill -9 of one server and
 * its clients resuming on the other), wss with a self-signed certificate,
 * and a clean SIGTERM shutdown. Every process is stopped by PID, also when a
 * test fails (proc_kill_all at teardown and at exit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "signal/sig_helpers.h"

#define T 8000
#define TALLOW TL_BINARY_DIR "/tallow"

typedef struct fx {
    tl_loop *loop;
    char dir[128];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_int_equal(tl_loop_new(&f->loop, NULL), TL_OK);
    snprintf(f->dir, sizeof(f->dir), "/tmp/tl-sig-XXXXXX");
    assert_non_null(g_mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    proc_kill_all();
    run_for(f->loop, 20);
    tl_loop_free(f->loop);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

static void wait_ok(fx *f, rec *r, const char *prefix)
{
    if (rec_wait(f->loop, r, prefix, T) < 0)
        fail_msg("missing event '%s'", prefix);
}

/* Starts `tallow signal` with extra args; returns its port. */
static int start_server(fx *f, const char *tag, pid_t *pid, const char *a1, const char *a2,
                        const char *a3, const char *a4)
{
    char err[192];
    snprintf(err, sizeof(err), "%s/%s.log", f->dir, tag);
    char *argv[] = {TALLOW,     "signal",   "--listen", "127.0.0.1:0", (char *)a1,
                    (char *)a2, (char *)a3, (char *)a4, NULL};
    *pid = proc_start(argv, err);
    assert_true(*pid > 0);
    int port = proc_wait_port(err, 10000);
    if (port <= 0) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "cat '%s' >&2", err);
        if (system(cmd) != 0)
            fprintf(stderr, "no log\n");
        fail_msg("server %s did not start", tag);
    }
    return port;
}

static void test_redis_two_servers(void **state)
{
    fx *f = *state;
    pid_t rpid, s1, s2;
    int rport = redis_start(&rpid);
    assert_true(rport > 0);
    char redis[64];
    snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", rport);
    int p1 = start_server(f, "s1", &s1, "--redis", redis, "--grace", "30");
    int p2 = start_server(f, "s2", &s2, "--redis", redis, "--grace", "30");
    char u1[64], u2[64];
    snprintf(u1, sizeof(u1), "ws://127.0.0.1:%d", p1);
    snprintf(u2, sizeof(u2), "ws://127.0.0.1:%d", p2);
    const char *on1[] = {u1, u2, NULL}, *on2[] = {u2, u1, NULL};

    rec *a = rec_new(f->loop, on1, "alice"); /* server 1, falls back to 2 */
    rec *b = rec_new(f->loop, on2, "bob");   /* server 2 */
    rec *c = rec_new(f->loop, on1, "carol"); /* server 1, falls back to 2 */
    wait_ok(f, a, "registered ");
    wait_ok(f, b, "registered ");
    wait_ok(f, c, "registered ");
    char pa[17], pb[17], pc[17];
    snprintf(pa, sizeof(pa), "%s", tl_signal_client_peer_id(a->c));
    snprintf(pb, sizeof(pb), "%s", tl_signal_client_peer_id(b->c));
    snprintf(pc, sizeof(pc), "%s", tl_signal_client_peer_id(c->c));

    /* Group created on server 1, joined by code from server 2. */
    assert_int_equal(tl_signal_client_create_group(a->c, NULL), TL_OK);
    wait_ok(f, a, "created ");
    tl_joincode jc;
    assert_int_equal(tl_joincode_parse(a->code, &jc), TL_OK);
    assert_int_equal(tl_signal_client_join_code(b->c, &jc), TL_OK);
    tl_joincode_wipe(&jc);
    const char *g = a->group;
    char want[160];
    snprintf(want, sizeof(want), "joined %s 1 %s:alice", g, pa);
    wait_ok(f, b, want);
    snprintf(want, sizeof(want), "peer-joined %s %s bob 0", g, pb);
    wait_ok(f, a, want);

    /* Invite across servers: B (server 2) invites carol (server 1). */
    tl_signal_client_invite(b->c, g, "carol", (const uint8_t *)"x", 1);
    snprintf(want, sizeof(want), "invite %s %s bob x", g, pb);
    wait_ok(f, c, want);
    tl_signal_client_join_invite(c->c, c->last_invite);
    snprintf(want, sizeof(want), "joined %s 2", g);
    wait_ok(f, c, want);
    snprintf(want, sizeof(want), "peer-joined %s %s carol 0", g, pc);
    wait_ok(f, b, want);

    /* Every relay type, both directions across the two servers. */
    tl_signal_client_send_offer(a->c, g, pb, "o1");
    tl_signal_client_send_answer(b->c, g, pa, "a1");
    tl_signal_client_send_candidate(b->c, g, pa, "cand-b", "0");
    tl_signal_client_send_end_of_candidates(b->c, g, pa);
    tl_signal_client_send_ice_restart(a->c, g, pc, "r1"); /* the creator's */
    snprintf(want, sizeof(want), "offer %s %s o1", g, pa);
    wait_ok(f, b, want);
    snprintf(want, sizeof(want), "answer %s %s a1", g, pb);
    wait_ok(f, a, want);
    snprintf(want, sizeof(want), "candidate %s %s cand-b|0", g, pb);
    wait_ok(f, a, want);
    snprintf(want, sizeof(want), "eoc %s %s", g, pb);
    wait_ok(f, a, want);
    snprintf(want, sizeof(want), "ice-restart %s %s r1", g, pa);
    wait_ok(f, c, want);

    /* Server 1 dies hard. A and C resume on server 2 with their ids. */
    proc_kill(s1, SIGKILL);
    snprintf(want, sizeof(want), "registered %s 1", pa);
    wait_ok(f, a, want);
    snprintf(want, sizeof(want), "registered %s 1", pc);
    wait_ok(f, c, want);
    snprintf(want, sizeof(want), "peer-joined %s %s alice 1", g, pa);
    wait_ok(f, b, want);
    /* The group goes on: relays among the survivors. */
    tl_signal_client_send_offer(a->c, g, pb, "o2");
    tl_signal_client_send_candidate(c->c, g, pa, "cand-c", NULL);
    snprintf(want, sizeof(want), "offer %s %s o2", g, pa);
    wait_ok(f, b, want);
    snprintf(want, sizeof(want), "candidate %s %s cand-c|-", g, pc);
    wait_ok(f, a, want);
    /* Leave after the failover. */
    tl_signal_client_leave(c->c, g);
    snprintf(want, sizeof(want), "peer-left %s %s", g, pc);
    wait_ok(f, a, want);
    wait_ok(f, b, want);

    rec_free(a);
    rec_free(b);
    rec_free(c);
    run_for(f->loop, 20);
    proc_kill(s2, SIGTERM);
    proc_kill(rpid, SIGTERM);
}

/* Runs redis-cli against the test's Redis. */
static void redis_cli(int port, const char *args)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d %s >/dev/null", port, args);
    assert_int_equal(system(cmd), 0);
}

/* A joiner by code through server url; waits for its "joined" with n others. */
static rec *join_by_code(fx *f, const char *url, const char *name, const char *code, int n)
{
    const char *urls[] = {url, NULL};
    rec *r = rec_new(f->loop, urls, name);
    wait_ok(f, r, "registered ");
    tl_joincode jc;
    assert_int_equal(tl_joincode_parse(code, &jc), TL_OK);
    assert_int_equal(tl_signal_client_join_code(r->c, &jc), TL_OK);
    tl_joincode_wipe(&jc);
    char want[64];
    snprintf(want, sizeof(want), "joined %.6s %d", code, n);
    wait_ok(f, r, want);
    return r;
}

/* The shared state lives in Redis: a server started after a group was made
 * knows it; servers survive losing their Redis links, and Redis losing all
 * its data (they write their copy back). */
static void test_redis_state(void **state)
{
    fx *f = *state;
    pid_t rpid, s1, s2, s3;
    int rport = redis_start(&rpid);
    assert_true(rport > 0);
    char redis[64];
    snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", rport);
    /* Snapshots every 2 events and a log of 8: servers that start late or
     * come back load a snapshot, not only the log. */
    int p1 = start_server(f, "s1", &s1, "--redis", redis, "--snapshot-every", "2");
    char u1[64], u2[64], u3[64], log1[192], log2[192];
    snprintf(u1, sizeof(u1), "ws://127.0.0.1:%d", p1);
    snprintf(log1, sizeof(log1), "%s/s1.log", f->dir);
    snprintf(log2, sizeof(log2), "%s/s2.log", f->dir);
    const char *on1[] = {u1, NULL};
    rec *a = rec_new(f->loop, on1, "alice");
    wait_ok(f, a, "registered ");
    char pa[17];
    snprintf(pa, sizeof(pa), "%s", tl_signal_client_peer_id(a->c));
    assert_int_equal(tl_signal_client_create_group(a->c, NULL), TL_OK);
    wait_ok(f, a, "created ");
    const char *g = a->group;
    rec *b = join_by_code(f, u1, "bob", a->code, 1);

    /* Server 2 starts after the group exists and learns it from Redis. */
    int p2 = start_server(f, "s2", &s2, "--redis", redis, "--snapshot-every", "2");
    snprintf(u2, sizeof(u2), "ws://127.0.0.1:%d", p2);
    rec *c = join_by_code(f, u2, "carol", a->code, 2);
    char want[160];
    snprintf(want, sizeof(want), "peer-joined %s %s carol 0", g, tl_signal_client_peer_id(c->c));
    wait_ok(f, a, want);
    tl_signal_client_send_answer(c->c, g, pa, "a-late");
    snprintf(want, sizeof(want), "answer %s %s a-late", g, tl_signal_client_peer_id(c->c));
    wait_ok(f, a, want);
    /* The late server learnt the creator from Redis: C may not offer. */
    tl_signal_client_send_offer(c->c, g, pa, "o-late");
    wait_ok(f, c, "error not-creator");
    /* A wrong code is refused on the late server too. */
    tl_joincode jc;
    assert_int_equal(tl_joincode_parse(a->code, &jc), TL_OK);
    jc.proof[0] ^= 1;
    assert_int_equal(tl_signal_client_join_code(b->c, &jc), TL_OK);
    tl_joincode_wipe(&jc);
    wait_ok(f, b, "error bad-code join");

    /* Redis drops every server connection: both reconnect and catch up.
     * Meanwhile carol leaves through server 2; alice (server 1) hears it. */
    redis_cli(rport, "CLIENT KILL TYPE pubsub");
    redis_cli(rport, "CLIENT KILL TYPE normal");
    if (wait_log(f->loop, log1, "Redis is back", 1, T) ||
        wait_log(f->loop, log2, "Redis is back", 1, T))
        fail_msg("servers did not relink to Redis");
    tl_signal_client_leave(c->c, g);
    snprintf(want, sizeof(want), "peer-left %s %s", g, tl_signal_client_peer_id(c->c));
    wait_ok(f, a, want);
    rec *d = join_by_code(f, u2, "dave", a->code, 2);
    /* Relays are checked against each server's replica: wait until server 1
     * has applied dave's join (alice hears of it). */
    snprintf(want, sizeof(want), "peer-joined %s %s dave 0", g, tl_signal_client_peer_id(d->c));
    wait_ok(f, a, want);
    tl_signal_client_send_answer(a->c, g, tl_signal_client_peer_id(d->c), "a-relinked");
    snprintf(want, sizeof(want), "answer %s %s a-relinked", g, pa);
    wait_ok(f, d, want);

    /* Redis restarts empty: the servers write the state back, and a third
     * server started afterwards still knows the group. */
    proc_kill(rpid, SIGKILL);
    assert_int_equal(redis_start_on(rport, &rpid), rport);
    if (wait_log(f->loop, log1, "Redis is back", 2, T) ||
        wait_log(f->loop, log2, "Redis is back", 2, T))
        fail_msg("servers did not relink to the restarted Redis");
    assert_true(log_count(log1, "writing ours back") + log_count(log2, "writing ours back") >= 1);
    int p3 = start_server(f, "s3", &s3, "--redis", redis, "--snapshot-every", "2");
    snprintf(u3, sizeof(u3), "ws://127.0.0.1:%d", p3);
    char log3[192];
    snprintf(log3, sizeof(log3), "%s/s3.log", f->dir);
    assert_int_equal(log_count(log3, "loaded the shared state"), 1); /* from the snapshot */
    rec *e = join_by_code(f, u3, "erin", a->code, 3);
    tl_signal_client_send_candidate(e->c, g, tl_signal_client_peer_id(d->c), "cand-e", "0");
    snprintf(want, sizeof(want), "candidate %s %s cand-e|0", g, tl_signal_client_peer_id(e->c));
    wait_ok(f, d, want);
    snprintf(want, sizeof(want), "peer-joined %s %s erin 0", g, tl_signal_client_peer_id(e->c));
    wait_ok(f, a, want);
    wait_ok(f, b, want);
    tl_signal_client_send_offer(a->c, g, tl_signal_client_peer_id(e->c), "o-after");
    snprintf(want, sizeof(want), "offer %s %s o-after", g, pa);
    wait_ok(f, e, want);

    rec_free(a);
    rec_free(b);
    rec_free(c);
    rec_free(d);
    rec_free(e);
    run_for(f->loop, 20);
    proc_kill(s3, SIGTERM);
    proc_kill(s2, SIGTERM);
    proc_kill(s1, SIGTERM);
    proc_kill(rpid, SIGTERM);
}

static void test_wss(void **state)
{
    fx *f = *state;
    char cert[192], key[192], cmd[640];
    snprintf(cert, sizeof(cert), "%s/cert.pem", f->dir);
    snprintf(key, sizeof(key), "%s/key.pem", f->dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
             "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
             "-keyout '%s' -out '%s' 2>/dev/null",
             key, cert);
    assert_int_equal(system(cmd), 0);
    pid_t pid;
    int port = start_server(f, "wss", &pid, "--cert", cert, "--key", key);
    char url[64];
    snprintf(url, sizeof(url), "wss://127.0.0.1:%d", port);
    const char *urls[] = {url, NULL};
    /* Not trusted (only the system store): refused at once, no retry. */
    rec *x = rec_new(f->loop, urls, "mallory");
    wait_ok(f, x, "error certificate connect certificate verify failed: self-signed certificate");
    wait_ok(f, x, "state 3");
    assert_int_equal(tl_signal_client_state(x->c), TL_SIGNAL_CLOSED);
    assert_int_equal(rec_find(x, "registered", 0), -1);
    rec_free(x);
    /* Trusted with the certificate as CA; 127.0.0.1 is in its subjectAltName. */
    rec *a = rec_new_ca(f->loop, urls, "alice", cert), *b = rec_new_ca(f->loop, urls, "bob", cert);
    wait_ok(f, a, "registered ");
    wait_ok(f, b, "registered ");
    tl_signal_client_create_group(a->c, NULL);
    wait_ok(f, a, "created ");
    assert_non_null(strstr(a->code, "@wss://127.0.0.1:"));
    tl_joincode jc;
    assert_int_equal(tl_joincode_parse(a->code, &jc), TL_OK);
    assert_string_equal(jc.url, url);
    tl_signal_client_join_code(b->c, &jc);
    tl_joincode_wipe(&jc);
    wait_ok(f, b, "joined ");
    tl_signal_client_send_offer(a->c, a->group, tl_signal_client_peer_id(b->c), "over-tls");
    wait_ok(f, b, "offer ");
    rec_free(a);
    rec_free(b);
    run_for(f->loop, 500);
    proc_kill(pid, SIGTERM);
}

/* A Redis that requires a password: refused without it (the server exits
 * with an error instead of serving without shared state), served with it. */
static void test_redis_auth(void **state)
{
    fx *f = *state;
    pid_t rpid, s1;
    int rport = redis_start(&rpid);
    assert_true(rport > 0);
    redis_cli(rport, "CONFIG SET requirepass tl-test-pass");
    char url[96];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", rport);
    char *argv[] = {TALLOW, "signal", "--listen", "127.0.0.1:0", "--redis", url, NULL};
    pid_t p = proc_start(argv, "/dev/null");
    int st = 0;
    assert_int_equal(waitpid(p, &st, 0), p);
    proc_forget(p);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 0);

    snprintf(url, sizeof(url), "redis://:tl-test-pass@127.0.0.1:%d", rport);
    int port = start_server(f, "auth", &s1, "--redis", url, NULL, NULL);
    char u[64];
    snprintf(u, sizeof(u), "ws://127.0.0.1:%d", port);
    const char *urls[] = {u, NULL};
    rec *a = rec_new(f->loop, urls, "alice");
    wait_ok(f, a, "registered ");
    assert_int_equal(tl_signal_client_create_group(a->c, NULL), TL_OK);
    wait_ok(f, a, "created "); /* the event went through Redis and back */
    rec_free(a);
    run_for(f->loop, 20);
    proc_kill(s1, SIGTERM);
    proc_kill(rpid, SIGTERM);
}

static void test_sigterm_and_usage(void **state)
{
    fx *f = *state;
    pid_t pid;
    start_server(f, "term", &pid, NULL, NULL, NULL, NULL);
    kill(pid, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    proc_forget(pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char log[192];
    snprintf(log, sizeof(log), "%s/term.log", f->dir);
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "shutting down"));

    /* Usage errors exit 2. */
    char *argv[] = {TALLOW, "signal", "--cert", "only-cert.pem", NULL};
    pid_t p2 = proc_start(argv, "/dev/null");
    assert_int_equal(waitpid(p2, &st, 0), p2);
    proc_forget(p2);
    assert_int_equal(WEXITSTATUS(st), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_two_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_and_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
