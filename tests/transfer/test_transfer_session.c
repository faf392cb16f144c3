/* Full sender<->receiver sessions in memory with real files on both ends:
 * several files, empty ones and a folder; resume after interruption at
 * random points; tampering; wrong hashes; hostile names; disk full;
 * permission denied; a vanished source; existing files; wrong join code.
 * Crypto is the test stand-in (fake_crypto.c) so this runs without the
 * crypto branch; test_transfer_real runs the same flow with the real one. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "transfer/fake_crypto.h"
#include "transfer/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fx {
    char *root, src[600], out[600];
    int out_fd;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->root = hx_tmpdir();
    snprintf(f->src, sizeof(f->src), "%s/src", f->root);
    snprintf(f->out, sizeof(f->out), "%s/out", f->root);
    mkdir(f->src, 0755);
    mkdir(f->out, 0755);
    f->out_fd = open(f->out, O_RDONLY | O_DIRECTORY);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    close(f->out_fd);
    hx_rmrf(f->root);
    free(f->root);
    free(f);
    return 0;
}

static void path(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static int exists(const char *dir, const char *name)
{
    char p[1200];
    struct stat st;
    path(p, sizeof(p), dir, name);
    return lstat(p, &st) == 0;
}

static void assert_same(const fx *f, const char *name)
{
    char a[1200], b[1200];
    path(a, sizeof(a), f->src, name);
    path(b, sizeof(b), f->out, name);
    assert_true(hx_same_file(a, b));
}

static void make_tree(const fx *f)
{
    char p[1200];
    path(p, sizeof(p), f->src, "big.bin");
    hx_write_random(p, (1u << 20) + 777, 1);
    path(p, sizeof(p), f->src, "empty.txt");
    hx_write_random(p, 0, 2);
    path(p, sizeof(p), f->src, "folder");
    mkdir(p, 0755);
    path(p, sizeof(p), f->src, "folder/a.txt");
    hx_write_random(p, 100, 3);
    path(p, sizeof(p), f->src, "folder/b");
    mkdir(p, 0755);
    path(p, sizeof(p), f->src, "folder/b/c.bin");
    hx_write_random(p, 40000, 4);
    path(p, sizeof(p), f->src, "folder/b/empty");
    hx_write_random(p, 0, 5);
    path(p, sizeof(p), f->src, "folder/emptydir");
    mkdir(p, 0755);
}

static const char *const tree[] = {"big.bin", "empty.txt", "folder"};

static void test_full_session(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    assert_non_null(h.m);
    assert_int_equal(hx_run(&h), 0);
    assert_true(h.S.keyed && h.R.keyed);
    assert_string_equal(h.S.sas, h.R.sas);
    assert_int_equal(h.S.verified, h.m->count);
    assert_int_equal(h.R.verified, h.m->count);
    assert_int_equal(h.R.progress_bytes, h.R.progress_total);
    assert_int_equal(h.S.progress_bytes, (1u << 20) + 777 + 100 + 40000);
    hx_teardown(&h, 0);
    assert_same(f, "big.bin");
    assert_same(f, "empty.txt");
    assert_same(f, "folder/a.txt");
    assert_same(f, "folder/b/c.bin");
    assert_same(f, "folder/b/empty");
    assert_true(exists(f->out, "folder/emptydir"));
    assert_false(exists(f->out, "big.bin.tallow-part"));
    assert_false(exists(f->out, "big.bin.tallow-state"));

    /* Sending the same again: every file is already complete, nothing moves. */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    assert_int_equal(tl_xfer_sender_bytes_sent(h.s), 0);
    hx_teardown(&h, 0);
}

/* Interrupt (crash both sides, sinks unsynced) after `stop` messages, then
 * run a fresh session (sender restarted, manifest rebuilt from disk).
 * Returns the bytes the second session sent again. */
static uint64_t interrupted_run(fx *f, uint64_t stop, uint64_t total)
{
    static const char *const one[] = {"data.bin"};
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.stop_after = stop;
    int rc = hx_run(&h);
    uint64_t written = h.written;
    hx_teardown(&h, 1);
    if (rc == 0)
        return 0;    /* finished before the interruption point */
    if (stop == 140) /* about half of the 256 DATA records: really interrupted */
        assert_true(written > total / 3 && written < total * 2 / 3);
    assert_false(exists(f->out, "data.bin"));
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    uint64_t sent = tl_xfer_sender_bytes_sent(h.s);
    hx_teardown(&h, 0);
    assert_same(f, "data.bin");
    assert_true(sent + written >= total);
    return sent + written - total;
}

static void test_resume_random_points(void **state)
{
    fx *f = *state;
    const uint64_t total = 4u << 20;
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, total, 7);
    srand(12345);
    uint64_t points[6] = {140, 5, 40}; /* ~half, very early, early */
    for (int i = 3; i < 6; i++)
        points[i] = 5 + (uint64_t)(rand() % 270);
    for (int i = 0; i < 6; i++) {
        char o[1200];
        path(o, sizeof(o), f->out, "data.bin");
        unlink(o);
        uint64_t resent = interrupted_run(f, points[i], total);
        print_message("interrupt after %llu messages: %llu bytes sent again\n",
                      (unsigned long long)points[i], (unsigned long long)resent);
        /* unsynced chunks (sync_every = 8) plus the window in flight */
        assert_true(resent < total / 10);
    }
}

static void test_resume_twice_then_complete(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 1u << 20, 8);
    for (int round = 0; round < 2; round++) {
        hx h;
        hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
        h.stop_after = 25;
        assert_int_equal(hx_run(&h), 1);
        hx_teardown(&h, round == 0); /* one crash, one clean stop */
    }
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    assert_true(tl_xfer_sender_bytes_sent(h.s) < (1u << 20) * 3 / 4);
    hx_teardown(&h, 0);
    assert_same(f, "data.bin");
}

/* The sender removes a recipient mid-transfer (tl_group_sender_drop): the
 * recipient sees a CANCEL with the sender's reason, keeps what it verified,
 * and a later session resumes instead of starting over. */
static void test_sender_removes(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 2u << 20, 11);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.stop_after = 80;
    assert_int_equal(hx_run(&h), 1);
    h.stop_after = 0;
    h.interrupted = 0;
    assert_int_equal(tl_xfer_sender_cancel_reason(h.s, h.now, "removed by the sender"), TL_OK);
    assert_int_equal(tl_xfer_sender_cancel_reason(h.s, h.now, "twice"), TL_ERR_STATE);
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_CANCELED);
    assert_true(h.R.remote);
    assert_string_equal(h.R.msg, "removed by the sender");
    assert_int_equal(h.S.err, TL_ERR_CANCELED);
    assert_false(h.R.done);
    hx_teardown(&h, 0);
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    /* resumed: less than the whole file went again */
    assert_true(tl_xfer_sender_bytes_sent(h.s) < (2u << 20) - 200000);
    hx_teardown(&h, 0);
    assert_same(f, "data.bin");
}

/* Display names travel inside the channel after keying, both ways; the
 * sender's arrives before its MANIFEST, escaped for printing; a name over
 * 64 bytes is cut; none is sent when none is set. */
static void test_names(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 100000, 12);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.name_s = "alice\x1b[2J";
    h.name_r = "bob's phone with a name that is far too long to be sent in one NAME fr";
    assert_int_equal(hx_run(&h), 0);
    assert_string_equal(h.R.peer_name, "alice\\x1b[2J");
    assert_false(h.R.name_late);
    assert_int_equal(strlen(h.S.peer_name), 64);
    assert_memory_equal(h.S.peer_name, h.name_r, 64);
    hx_teardown(&h, 0);
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    assert_string_equal(h.R.peer_name, "");
    assert_string_equal(h.S.peer_name, "");
    hx_teardown(&h, 0);
}

static void test_tampered_record(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    h.tamper_msg = 12; /* a DATA record after HELLO, HS, MANIFEST, ... */
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_int_equal(h.S.err, TL_ERR_AUTH);
    assert_true(h.S.remote);
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "big.bin"));
    assert_true(exists(f->out, "big.bin.tallow-part"));
}

static void test_tampered_chunk(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 200000, 9);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    /* change one byte in place after hashing, keeping size and mtime */
    struct stat st;
    stat(p, &st);
    int fd = open(p, O_WRONLY);
    assert_int_equal(pwrite(fd, "X", 1, 50000), 1);
    close(fd);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, p, ts, 0);
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_non_null(strstr(h.sink_err, "hash check"));
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "data.bin"));
}

static void test_wrong_hashes(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 100000, 10);
    /* chunk hash list that does not match the manifest's hash tree */
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.m->entries[0].chunk_hashes[5 * 32] ^= 1;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "data.bin"));
    /* whole-file hash in the manifest wrong: the file fails, nothing kept */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.m->entries[0].sha256[0] ^= 1;
    assert_int_equal(hx_run(&h), 1);
    assert_true(h.R.done && h.S.done);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_int_equal(h.S.file_err[0], TL_ERR_AUTH);
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "data.bin"));
    assert_false(exists(f->out, "data.bin.tallow-part"));
}

static void test_hostile_names(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    static const char *const bad[] = {"../../x", "/etc/x",    "a\001b", "CON",
                                      "nul.txt", "a/../../b", "a\\b",   "x/./y"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 5000, 11);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hx h;
        hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
        free(h.m->entries[0].path);
        h.m->entries[0].path = strdup(bad[i]);
        assert_int_equal(hx_run(&h), 1);
        assert_int_equal(h.R.err, TL_ERR_INVALID_ARG);
        assert_int_equal(h.S.err, TL_ERR_INVALID_ARG);
        assert_int_equal(h.nsinks, 0); /* nothing was opened */
        hx_teardown(&h, 0);
    }
    char up[1200];
    path(up, sizeof(up), f->root, "x");
    assert_false(exists(f->root, "x"));
}

static void test_disk_full(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 1u << 20, 12);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 300000;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = hx_run(&h);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, 1);
    assert_int_equal(h.R.err, TL_ERR_NOSPACE);
    assert_int_equal(h.S.err, TL_ERR_NOSPACE);
    assert_non_null(strstr(h.sink_err, "no space"));
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "data.bin"));
    assert_true(exists(f->out, "data.bin.tallow-part"));
    /* space again: resumes and sends only what is missing */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 0);
    assert_true(tl_xfer_sender_bytes_sent(h.s) <= (1u << 20) - 300000 + 16384 * 9);
    hx_teardown(&h, 0);
    assert_same(f, "data.bin");
}

/* The free-space answer: what an offer still needs counts only what is not
 * verified yet, and refusing it ends both sides with NOSPACE and the
 * receiver's text before any data. */
static void test_refuse_nospace(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 1u << 20, 13);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.space = (1u << 20) - 1;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.need, 1u << 20);
    assert_int_equal(h.R.err, TL_ERR_NOSPACE);
    assert_int_equal(h.S.err, TL_ERR_NOSPACE);
    assert_true(h.S.remote);
    assert_string_equal(h.S.msg, "not enough space");
    assert_int_equal(tl_xfer_sender_bytes_sent(h.s), 0);
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "data.bin"));
    /* Interrupted after some data (closed normally: state synced): the
     * resume needs only the rest. */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.stop_after = 30;
    assert_int_equal(hx_run(&h), 1);
    uint64_t written = h.written;
    hx_teardown(&h, 0);
    assert_true(written > 0);
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.space = (1u << 20) - written; /* exactly what is left */
    assert_int_equal(hx_run(&h), 0);
    assert_int_equal(h.need, (1u << 20) - written);
    hx_teardown(&h, 0);
    assert_same(f, "data.bin");
}

static void test_permission_denied(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200];
    path(p, sizeof(p), f->src, "data.bin");
    hx_write_random(p, 50000, 13);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0) { /* root ignores modes: become nobody */
            if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
                _exit(3);
        } else {
            chmod(f->out, 0555);
        }
        hx h;
        hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
        int rc = hx_run(&h);
        int ok = rc == 1 && h.R.done && h.R.err == TL_ERR_PERM && h.S.file_err[0] == TL_ERR_PERM &&
                 strstr(h.sink_err, "permission") != NULL;
        hx_teardown(&h, 0);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    chmod(f->out, 0755);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(exists(f->out, "data.bin"));
}

static void test_vanished_source(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    char p[1200];
    path(p, sizeof(p), f->src, "folder/b/c.bin");
    unlink(p);
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.S.err, TL_ERR_NOT_FOUND);
    assert_int_equal(h.R.err, TL_ERR_NOT_FOUND);
    assert_true(h.R.remote);
    hx_teardown(&h, 0);
    assert_same(f, "big.bin"); /* earlier files completed and verified */
    assert_false(exists(f->out, "folder/b/c.bin"));
}

static void test_existing_file(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"data.bin"};
    char p[1200], o[1200];
    path(p, sizeof(p), f->src, "data.bin");
    path(o, sizeof(o), f->out, "data.bin");
    hx_write_random(p, 30000, 14);
    hx_write_random(o, 30000, 15);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_EXISTS);
    assert_int_equal(h.S.file_err[0], TL_ERR_EXISTS);
    hx_teardown(&h, 0);
    assert_false(hx_same_file(p, o)); /* untouched */
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    h.scfg.overwrite = 1;
    assert_int_equal(hx_run(&h), 0);
    hx_teardown(&h, 0);
    assert_true(hx_same_file(p, o));
}

static void test_wrong_code(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    h.code_s = "correct horse";
    h.code_r = "wrong horse";
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.R.err, TL_ERR_AUTH);
    assert_int_equal(h.S.err, TL_ERR_AUTH);
    assert_false(h.R.keyed);
    assert_int_equal(h.nsinks, 0);
    hx_teardown(&h, 0);
}

static void test_small_window(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 1024, tree, 3), f->out_fd);
    h.window = 1;
    int rc = hx_run(&h);
    if (rc)
        print_message("S err %d '%s' R err %d '%s' done %d %d\n", h.S.err, h.S.msg, h.R.err,
                      h.R.msg, h.S.done, h.R.done);
    assert_int_equal(rc, 0);
    hx_teardown(&h, 0);
    assert_same(f, "big.bin");
    assert_same(f, "folder/b/c.bin");
}

/* The receiver goes silent after the handshake: the sender pings, hears
 * nothing for the idle timeout (30 s of fake clock) and fails with TIMEOUT. */
static void test_idle_timeout(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    h.drop_r2s = 1;
    assert_int_equal(hx_run(&h), 1);
    assert_int_equal(h.S.err, TL_ERR_TIMEOUT);
    assert_true(h.now >= 30000);
    hx_teardown(&h, 0);
    assert_false(exists(f->out, "big.bin"));
}

/* With a slow clock, pings measure an RTT and keep a slow session alive. */
static void test_ping_rtt(void **state)
{
    fx *f = *state;
    make_tree(f);
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, tree, 3), f->out_fd);
    h.step_ms = 700; /* PINGs queue behind DATA: RTT includes that */
    assert_int_equal(hx_run(&h), 0);
    assert_true(h.S.rtt_count > 0 && h.R.rtt_count > 0);
    assert_true(h.S.rtt_ms >= 2 * 700); /* at least one step each way */
    hx_teardown(&h, 0);
    assert_same(f, "big.bin");
}

/* A folder of many small files under a low descriptor limit: sinks hold
 * descriptors only while their file is written. */
static void test_many_files_few_fds(void **state)
{
    fx *f = *state;
    static const char *const one[] = {"many"};
    char p[1200];
    path(p, sizeof(p), f->src, "many");
    mkdir(p, 0755);
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "%s/many/f%03d.txt", f->src, i);
        hx_write_random(p, (size_t)(i * 37), (unsigned)i);
    }
    hx h;
    hx_init(&h, fake_crypto(), hx_manifest(f->src, 16384, one, 1), f->out_fd);
    assert_int_equal(h.m->count, 301);
    struct rlimit old, lim;
    getrlimit(RLIMIT_NOFILE, &old);
    lim = old;
    lim.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    int rc = hx_run(&h);
    setrlimit(RLIMIT_NOFILE, &old);
    assert_int_equal(rc, 0);
    assert_int_equal(h.R.verified, 301);
    hx_teardown(&h, 0);
    assert_same(f, "many/f000.txt");
    assert_same(f, "many/f299.txt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_random_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_twice_then_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender_removes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_nospace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vanished_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_rtt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_files_few_fds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
