/* group_recv: receive the files of a group transfer with libtallow.
 *
 *   group_recv CODE [OUT_DIR]
 *
 * Joins with the code group_send (or tallow send) printed, writes the files
 * under OUT_DIR (default "."), each verified by SHA-256 before it is put in
 * place, and prints one line per verified file. Exit status 0 when every
 * file verified. */
#include <stdio.h>

#include <tallow/group.h>
#include <tallow/loop.h>

struct app {
    tl_loop *loop;
    int status;
};

static void on_peer(void *ud, const char *peer, const char *state, const char *quality,
                    const char *sas)
{
    (void)ud;
    (void)quality;
    printf("sender %s %s%s%s\n", peer, state, sas ? " sas " : "", sas ? sas : "");
    fflush(stdout);
}

/* The group fingerprint: six words, the same on the sender and on every
 * recipient keyed to it (docs/CRYPTO.md §3). */
static void on_sender(void *ud, const char *fingerprint)
{
    (void)ud;
    printf("sender fingerprint (the sender shows the same): %s\n", fingerprint);
}

static void on_progress(void *ud, const char *peer, uint64_t bytes, uint64_t total, double rate)
{
    (void)ud;
    (void)peer;
    printf("progress %llu/%llu bytes %.1f MB/s\n", (unsigned long long)bytes,
           (unsigned long long)total, rate / 1e6);
    fflush(stdout);
}

static void on_file(void *ud, const char *path, uint64_t size, const uint8_t sha256[32])
{
    (void)ud;
    printf("file %s %llu ", path, (unsigned long long)size);
    for (int i = 0; i < 32; i++)
        printf("%02x", sha256[i]);
    printf("\n");
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
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CODE [OUT_DIR]\n", argv[0]);
        return 2;
    }
    struct app a = {NULL, 3};
    tl_logger log = {NULL, NULL, TL_LOG_NONE};
    if (tl_loop_new(&a.loop, &log) != TL_OK)
        return 3;
    tl_group_receiver_config cfg = {0};
    cfg.code = argv[1];
    cfg.out_dir = argc > 2 ? argv[2] : ".";
    tl_group_callbacks cb = {0};
    cb.on_peer = on_peer;
    cb.on_sender = on_sender;
    cb.on_progress = on_progress;
    cb.on_file = on_file;
    cb.on_finished = on_finished;
    tl_group_receiver *r;
    int rc = tl_group_receiver_new(&r, a.loop, &cfg, &cb, &a);
    if (rc != TL_OK) {
        fprintf(stderr, "cannot start: %s\n", tl_strerror(rc));
        tl_loop_free(a.loop);
        return 3;
    }
    tl_loop_run(a.loop);
    tl_group_receiver_free(r);
    tl_loop_free(a.loop);
    return a.status;
}
