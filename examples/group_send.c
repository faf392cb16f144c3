/* group_send: send files to N recipients with libtallow's group API.
 *
 *   group_send N FILE...
 *
 * Embeds a signaling server on a free loopback port, prints the join code,
 * waits for N recipients (group_recv CODE, or tallow receive CODE), sends
 * every file to each of them over its own encrypted data channel and prints
 * per-recipient progress and results. Exit status: 0 when every recipient
 * verified every file. */
#include <stdio.h>
#include <stdlib.h>

#include <tallow/group.h>
#include <tallow/loop.h>
#include <tallow/version.h>

struct app {
    tl_loop *loop;
    int status;
};

static void on_code(void *ud, const char *code)
{
    (void)ud;
    printf("code %s\n", code);
    fflush(stdout);
}

static void on_peer(void *ud, const char *peer, const char *state, const char *quality,
                    const char *sas)
{
    (void)ud;
    (void)quality;
    printf("peer %s %s%s%s\n", peer, state, sas ? " sas " : "", sas ? sas : "");
    fflush(stdout);
}

/* The group fingerprint: six words, the same on the sender and on every
 * recipient keyed to it (docs/CRYPTO.md §3). */
static void on_sender(void *ud, const char *fingerprint)
{
    (void)ud;
    printf("group fingerprint (every recipient must show the same): %s\n", fingerprint);
}

static void on_progress(void *ud, const char *peer, uint64_t bytes, uint64_t total, double rate)
{
    (void)ud;
    printf("progress %s %llu/%llu bytes %.1f MB/s\n", peer, (unsigned long long)bytes,
           (unsigned long long)total, rate / 1e6);
    fflush(stdout);
}

static void on_result(void *ud, const char *peer, int ok, const char *error, uint64_t sent)
{
    (void)ud;
    printf("result %s %s %llu bytes%s%s\n", peer, ok ? "ok" : "FAILED", (unsigned long long)sent,
           error ? ": " : "", error ? error : "");
    fflush(stdout);
}

static void on_finished(void *ud, int status, const char *message)
{
    struct app *a = ud;
    printf("finished %d %s\n", status, message);
    a->status = status;
    tl_loop_stop(a->loop);
}

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: %s N FILE...   (libtallow %s)\n", argv[0], tl_version());
        return 2;
    }
    struct app a = {NULL, 3};
    tl_logger log = {NULL, NULL, TL_LOG_NONE};
    if (tl_loop_new(&a.loop, &log) != TL_OK)
        return 3;
    tl_group_sender_config cfg = {0};
    cfg.paths = (const char *const *)(argv + 2);
    cfg.n_paths = (size_t)(argc - 2);
    cfg.expect = (uint32_t)atoi(argv[1]);
    cfg.listen = "127.0.0.1:0";
    tl_group_callbacks cb = {0};
    cb.on_code = on_code;
    cb.on_peer = on_peer;
    cb.on_sender = on_sender;
    cb.on_progress = on_progress;
    cb.on_result = on_result;
    cb.on_finished = on_finished;
    tl_group_sender *s;
    int rc = tl_group_sender_new(&s, a.loop, &cfg, &cb, &a);
    if (rc != TL_OK) {
        fprintf(stderr, "cannot start: %s\n", tl_strerror(rc));
        tl_loop_free(a.loop);
        return 3;
    }
    tl_loop_run(a.loop); /* until on_finished */
    tl_group_sender_free(s);
    tl_loop_free(a.loop);
    return a.status;
}
