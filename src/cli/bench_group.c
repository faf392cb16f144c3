/* tallow bench group: one `tallow send` and N `tallow receive` processes on
 * loopback, measured from the outside.
 *
 *   tallow bench group --recipients N --size BYTES [--timeout SECONDS] [--json]
 *
 * Creates a random file of BYTES in a temporary directory, starts
 * `tallow send FILE --json --expect N` and, once its `code` event arrives, N
 * `tallow receive CODE --json --out DIR_i` as child processes (fork + exec of
 * /proc/self/exe, or of $TALLOW_BENCH_EXE when set), reads their JSON lines
 * (docs/CLI.md) and reports:
 *
 * - aggregate_mbps: N * BYTES / (last recipient `result` - first byte), in
 *   MB/s (10^6 bytes). "First byte" is the earliest of the sender's first
 *   `peer` `keyed` event and the first `progress` event with bytes > 0.
 * - slowest_s: max over recipients of (its `result` - its own `keyed` event,
 *   or its first `progress` event when it prints no `keyed`).
 * - setup_ms: sender's last `peer` `joined` event to its last `keyed` event.
 * - sender_rss_kib, recipient_rss_kib_max: ru_maxrss from wait4().
 * - cpu_s, mb_per_cpu_s: user + system CPU of all children (wait4), and
 *   N * BYTES per CPU-second (steadier than MB/s on a shared host).
 * - all_verified: every recipient exited 0 with a `result` ok:true whose
 *   files include one with the source's SHA-256, and the sender exited 0.
 *
 * Event times are the times lines arrive here, so children must flush each
 * JSON line as they write it. Children get XDG_STATE_HOME and
 * XDG_CONFIG_HOME (no client defaults, no TALLOW_SIGNAL) inside the
 * temporary directory. Every child is killed by PID on failure, timeout or
 * SIGINT/SIGTERM; the temporary directory is always removed. Exit status: 0
 * all verified, 1 a run that did not verify, 2 usage, 3 could not start. */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/parse.h"
#include "signal/proto.h"
#include "tallow/crypto.h"
#include "common/bytes.h"

#define BG_MAX_RECIPIENTS 1000
#define BG_MAX_LINE (1u << 20)

/* ------------------------------------------------------------------ state */

enum { BG_SENDER = 0 };

typedef struct {
    pid_t pid;  /* 0 once reaped */
    int fd;     /* read end of its stdout, -1 at EOF */
    char *line; /* partial line */
    size_t len, cap;
    int status;      /* wait status once reaped */
    long maxrss_kib; /* ru_maxrss once reaped */
    double cpu_s;    /* ru_utime + ru_stime once reaped */
    char errlog[PATH_MAX];
    /* events */
    double t_keyed; /* receiver: own keyed event; 0 = none */
    double t_first_progress;
    double t_result;
    int result_ok; /* -1 none, 0 false, 1 true */
    int sha_match;
} bg_proc;

typedef struct {
    long recipients;
    uint64_t size;
    long timeout_s;
    int json;
    char dir[PATH_MAX];
    char file[PATH_MAX];
    char sha[65];
    char code[512];
    const char *exe;
    bg_proc *p; /* [0] sender, [1..N] recipients */
    size_t nproc;
    /* sender-side event times (seconds, monotonic) */
    double t_last_joined, t_last_keyed, t_first_keyed, t_first_byte;
    int n_joined, n_keyed;
} bg_run;

static volatile sig_atomic_t bg_stop;

static void bg_on_signal(int sig)
{
    (void)sig;
    bg_stop = 1;
}

static double bg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ setup */

static int bg_usage(void)
{
    fprintf(stderr, "usage: tallow bench group --recipients N --size BYTES[k|M|G|Ki|Mi|Gi]\n"
                    "                          [--timeout SECONDS] [--json]\n");
    return 2;
}

static int bg_parse_args(bg_run *r, int argc, char **argv)
{
    static const struct option opts[] = {
        {"recipients", required_argument, 0, 'r'},
        {"size", required_argument, 0, 's'},
        {"timeout", required_argument, 0, 't'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0},
    };
    uint32_t v;
    int c;
    r->recipients = 2;
    r->size = 64u << 20;
    r->timeout_s = 600;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == '?')
            return -1;
        if (c == 'j')
            r->json = 1;
        if (c == 'r') {
            if (tl_opt_u32("bench group", "recipients", optarg, 1, BG_MAX_RECIPIENTS, &v))
                return -1;
            r->recipients = v;
        }
        if (c == 's' && tl_opt_size("bench group", "size", optarg, 1, UINT64_MAX, &r->size))
            return -1;
        if (c == 't') {
            if (tl_opt_u32("bench group", "timeout", optarg, 1, TL_TIMEOUT_MAX, &v))
                return -1;
            r->timeout_s = v;
        }
    }
    return optind < argc ? -1 : 0;
}

/* Writes r->size random bytes to r->file and hashes them into r->sha. */
static int bg_make_source(bg_run *r)
{
    int in = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    int out = open(r->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    static uint8_t buf[1 << 20];
    tl_sha256_ctx *s = NULL;
    uint8_t digest[TL_SHA256_LEN];
    uint64_t left = r->size;
    int rc = -1;
    if (in < 0 || out < 0) {
        fprintf(stderr, "bench group: cannot create %s: %s\n", r->file, strerror(errno));
        goto done;
    }
    if (tl_sha256_new(&s) != TL_OK)
        goto done;
    while (left > 0 && !bg_stop) {
        size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        ssize_t n = read(in, buf, want);
        if (n <= 0)
            goto done;
        if (tl_sha256_update(s, buf, (size_t)n) != TL_OK)
            goto done;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                fprintf(stderr, "bench group: writing %s: %s\n", r->file, strerror(errno));
                goto done;
            }
            off += w;
        }
        left -= (uint64_t)n;
    }
    if (left > 0)
        goto done; /* interrupted */
    if (tl_sha256_final(s, digest) != TL_OK)
        goto done;
    tl_hex_encode(digest, sizeof(digest), r->sha);
    rc = 0;
done:
    tl_sha256_free(s);
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0)
        rc = -1;
    return rc;
}

/* ------------------------------------------------------------------ children */

/* Starts exe with argv; its stdout goes to a non-blocking pipe kept in p->fd,
 * its stderr to p->errlog. Returns 0 or -1. */
static int bg_spawn(bg_run *r, bg_proc *p, char *const argv[])
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        char state[PATH_MAX + 8];
        int err = open(p->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        snprintf(state, sizeof(state), "%s/state", r->dir);
        if (err < 0 || dup2(fds[1], STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
            _exit(127);
        close(fds[0]);
        close(fds[1]);
        close(err);
        setenv("XDG_STATE_HOME", state, 1);
        /* Loopback only: the user's client defaults (a signaling server in
         * TALLOW_SIGNAL or ~/.config/tallow/config) must not apply. */
        setenv("XDG_CONFIG_HOME", state, 1);
        unsetenv("TALLOW_SIGNAL");
        execv(r->exe, argv);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    p->pid = pid;
    p->fd = fds[0];
    return 0;
}

static int bg_start_sender(bg_run *r)
{
    char expect[32], timeout[32];
    snprintf(expect, sizeof(expect), "%ld", r->recipients);
    snprintf(timeout, sizeof(timeout), "%ld", r->timeout_s);
    /* Loopback: the benchmark measures tallow, not this machine's NIC. */
    char *argv[] = {"tallow",    "send",  r->file,    "--json",      "--expect", expect,
                    "--timeout", timeout, "--listen", "127.0.0.1:0", NULL};
    return bg_spawn(r, &r->p[BG_SENDER], argv);
}

static int bg_start_receiver(bg_run *r, size_t i)
{
    char out[PATH_MAX], timeout[32];
    int len = snprintf(out, sizeof(out), "%s/r%zu", r->dir, i);
    snprintf(timeout, sizeof(timeout), "%ld", r->timeout_s);
    if (len < 0 || (size_t)len >= sizeof(out) || mkdir(out, 0700) < 0)
        return -1;
    char *argv[] = {"tallow", "receive",   r->code, "--json", "--out",
                    out,      "--timeout", timeout, NULL};
    return bg_spawn(r, &r->p[i], argv);
}

static void bg_kill_all(bg_run *r)
{
    for (size_t i = 0; i < r->nproc; i++) {
        if (r->p[i].pid > 0) {
            kill(r->p[i].pid, SIGKILL);
            waitpid(r->p[i].pid, NULL, 0);
            r->p[i].pid = 0;
        }
    }
}

/* ------------------------------------------------------------------ events */

static const char *bg_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void bg_sender_event(bg_run *r, const cJSON *ev, const char *type, double t)
{
    if (!strcmp(type, "code")) {
        const char *code = bg_str(ev, "code");
        if (code && !r->code[0] && strlen(code) < sizeof(r->code))
            memcpy(r->code, code, strlen(code) + 1);
    } else if (!strcmp(type, "peer")) {
        const char *st = bg_str(ev, "state");
        if (st && !strcmp(st, "joined")) {
            r->n_joined++;
            r->t_last_joined = t;
        } else if (st && !strcmp(st, "keyed")) {
            r->n_keyed++;
            r->t_last_keyed = t;
            if (r->t_first_keyed == 0)
                r->t_first_keyed = t;
        }
    }
}

static int bg_files_match(const bg_run *r, const cJSON *ev)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(ev, "files"))
    {
        const char *sha = bg_str(f, "sha256");
        if (sha && !strcmp(sha, r->sha))
            return 1;
    }
    return 0;
}

static void bg_event(bg_run *r, size_t i, const char *line, double t)
{
    cJSON *ev = cJSON_Parse(line);
    const char *type = ev ? bg_str(ev, "event") : NULL;
    bg_proc *p = &r->p[i];
    if (!type) {
        fprintf(stderr, "bench group: %s printed a non-event line: %.120s\n",
                i == BG_SENDER ? "sender" : "recipient", line);
        cJSON_Delete(ev);
        return;
    }
    if (i == BG_SENDER)
        bg_sender_event(r, ev, type, t);
    if (!strcmp(type, "progress")) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(ev, "bytes");
        if (cJSON_IsNumber(b) && b->valuedouble > 0) {
            if (p->t_first_progress == 0)
                p->t_first_progress = t;
            if (r->t_first_byte == 0 || t < r->t_first_byte)
                r->t_first_byte = t;
        }
    } else if (i != BG_SENDER && !strcmp(type, "peer")) {
        const char *st = bg_str(ev, "state");
        if (st && !strcmp(st, "keyed") && p->t_keyed == 0)
            p->t_keyed = t;
    } else if (i != BG_SENDER && !strcmp(type, "result")) {
        p->t_result = t;
        p->result_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "ok"));
        p->sha_match = bg_files_match(r, ev);
    }
    cJSON_Delete(ev);
}

/* Reads what is available from p->fd and handles every complete line.
 * Returns -1 on a line longer than BG_MAX_LINE. */
static int bg_drain(bg_run *r, size_t i)
{
    bg_proc *p = &r->p[i];
    char buf[65536];
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close(p->fd);
            p->fd = -1;
            if (p->len > 0) { /* a last line without its newline */
                p->line[p->len] = '\0';
                bg_event(r, i, p->line, bg_now());
                p->len = 0;
            }
            return 0;
        }
        if (n < 0)
            return 0;
        double t = bg_now();
        for (ssize_t k = 0; k < n; k++) {
            if (buf[k] != '\n') {
                if (p->len + 1 >= p->cap) {
                    if (p->cap >= BG_MAX_LINE)
                        return -1;
                    size_t cap = p->cap ? p->cap * 2 : 1024;
                    char *nl = realloc(p->line, cap);
                    if (!nl)
                        return -1;
                    p->line = nl;
                    p->cap = cap;
                }
                p->line[p->len++] = buf[k];
                continue;
            }
            if (p->len == 0)
                continue;
            p->line[p->len] = '\0';
            bg_event(r, i, p->line, t);
            p->len = 0;
        }
    }
}

/* Reaps every exited child (recording status and peak RSS). Returns the
 * number of children still running. */
static size_t bg_reap(bg_run *r)
{
    size_t running = 0;
    for (size_t i = 0; i < r->nproc; i++) {
        bg_proc *p = &r->p[i];
        struct rusage ru;
        int st;
        if (p->pid <= 0)
            continue;
        pid_t w = wait4(p->pid, &st, WNOHANG, &ru);
        if (w == p->pid) {
            p->status = st;
            p->maxrss_kib = ru.ru_maxrss;
            p->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
            p->pid = 0;
        } else {
            running++;
        }
    }
    return running;
}

/* One poll round over every open pipe (at most 50 ms). Returns -1 on a fatal
 * read error. */
static int bg_poll_once(bg_run *r)
{
    struct pollfd pf[BG_MAX_RECIPIENTS + 1];
    size_t idx[BG_MAX_RECIPIENTS + 1], n = 0;
    for (size_t i = 0; i < r->nproc; i++) {
        if (r->p[i].fd >= 0) {
            pf[n].fd = r->p[i].fd;
            pf[n].events = POLLIN;
            idx[n++] = i;
        }
    }
    if (poll(pf, n, 50) < 0 && errno != EINTR)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (pf[k].revents && bg_drain(r, idx[k]) < 0)
            return -1;
    return 0;
}

/* Runs the whole transfer. Returns 0 when every child exited in time, -1 on
 * a timeout, a signal or a start-up failure (children are killed). */
static int bg_run_children(bg_run *r)
{
    double deadline = bg_now() + (double)r->timeout_s + 30;
    size_t started = 1;
    if (bg_start_sender(r) < 0) {
        fprintf(stderr, "bench group: cannot start the sender: %s\n", strerror(errno));
        return -1;
    }
    for (;;) {
        if (bg_poll_once(r) < 0)
            break;
        if (r->code[0] && started == 1) {
            for (size_t i = 1; i < r->nproc; i++, started++)
                if (bg_start_receiver(r, i) < 0) {
                    fprintf(stderr, "bench group: cannot start recipient %zu\n", i);
                    bg_kill_all(r);
                    return -1;
                }
        }
        size_t running = bg_reap(r);
        int open_fds = 0;
        for (size_t i = 0; i < r->nproc; i++)
            open_fds |= r->p[i].fd >= 0;
        if (running == 0 && !open_fds) {
            if (started == r->nproc)
                return 0;
            fprintf(stderr, "bench group: the sender exited before printing a code\n");
            return -1;
        }
        if (bg_stop || bg_now() > deadline) {
            fprintf(stderr, "bench group: %s; killing every child\n",
                    bg_stop ? "interrupted" : "timed out");
            break;
        }
    }
    bg_kill_all(r);
    return -1;
}

/* ------------------------------------------------------------------ report */

static void bg_show_errlog(const bg_proc *p, const char *who)
{
    char buf[600];
    FILE *f = fopen(p->errlog, "r");
    if (!f)
        return;
    if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) < 0)
        rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (n)
        fprintf(stderr, "---- %s stderr (tail)\n%s\n", who, buf);
}

static int bg_exit_ok(const bg_proc *p)
{
    return WIFEXITED(p->status) && !WEXITSTATUS(p->status);
}

static int bg_report(bg_run *r, int ran)
{
    double t_last = 0, slowest = 0, cpu = r->p[BG_SENDER].cpu_s;
    long rx_rss = 0;
    int verified = ran && bg_exit_ok(&r->p[BG_SENDER]);
    for (size_t i = 1; i < r->nproc; i++) {
        bg_proc *p = &r->p[i];
        double t0 = p->t_keyed ? p->t_keyed : p->t_first_progress;
        int ok = ran && bg_exit_ok(p) && p->result_ok == 1 && p->sha_match;
        if (!ok) {
            char who[32];
            snprintf(who, sizeof(who), "recipient %zu", i);
            bg_show_errlog(p, who);
        }
        verified &= ok;
        t_last = p->t_result > t_last ? p->t_result : t_last;
        if (p->t_result && t0 && p->t_result - t0 > slowest)
            slowest = p->t_result - t0;
        rx_rss = p->maxrss_kib > rx_rss ? p->maxrss_kib : rx_rss;
        cpu += p->cpu_s;
    }
    if (!verified)
        bg_show_errlog(&r->p[BG_SENDER], "sender");
    double first = r->t_first_byte;
    if (r->t_first_keyed && (first == 0 || r->t_first_keyed < first))
        first = r->t_first_keyed;
    double secs = t_last > first && first > 0 ? t_last - first : 0;
    double mbps = secs > 0 ? (double)r->recipients * (double)r->size / secs / 1e6 : 0;
    double setup_ms = r->n_keyed && r->n_joined ? (r->t_last_keyed - r->t_last_joined) * 1e3 : -1;

    printf("group: %ld recipients x %" PRIu64 " bytes: %.1f MB/s aggregate, slowest %.2f s, "
           "setup %.1f ms, rss sender %ld KiB, recipient max %ld KiB, %s\n",
           r->recipients, r->size, mbps, slowest, setup_ms, r->p[BG_SENDER].maxrss_kib, rx_rss,
           verified ? "all verified" : "NOT all verified");
    if (r->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "bench", "group");
        cJSON_AddNumberToObject(o, "recipients", (double)r->recipients);
        cJSON_AddNumberToObject(o, "size", (double)r->size);
        cJSON_AddNumberToObject(o, "aggregate_mbps", (double)(long long)(mbps * 100) / 100);
        cJSON_AddNumberToObject(o, "slowest_s", (double)(long long)(slowest * 1000) / 1000);
        cJSON_AddNumberToObject(o, "setup_ms", (double)(long long)(setup_ms * 10) / 10);
        cJSON_AddNumberToObject(o, "sender_rss_kib", (double)r->p[BG_SENDER].maxrss_kib);
        cJSON_AddNumberToObject(o, "recipient_rss_kib_max", (double)rx_rss);
        double per_cpu = cpu > 0 ? (double)r->recipients * (double)r->size / cpu / 1e6 : 0;
        cJSON_AddNumberToObject(o, "cpu_s", (double)(long long)(cpu * 100) / 100);
        cJSON_AddNumberToObject(o, "mb_per_cpu_s", (double)(long long)(per_cpu * 100) / 100);
        cJSON_AddBoolToObject(o, "all_verified", verified);
        char *s = cJSON_PrintUnformatted(o);
        if (s)
            printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
    }
    return verified ? 0 : 1;
}

static int bg_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void bg_free(bg_run *r)
{
    if (r->p) {
        for (size_t i = 0; i < r->nproc; i++) {
            if (r->p[i].fd >= 0)
                close(r->p[i].fd);
            free(r->p[i].line);
        }
        free(r->p);
    }
    if (r->dir[0])
        nftw(r->dir, bg_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tl_bench_group(int argc, char **argv)
{
    bg_run r;
    memset(&r, 0, sizeof(r));
    if (bg_parse_args(&r, argc, argv) < 0)
        return bg_usage();
    r.exe = getenv("TALLOW_BENCH_EXE") ? getenv("TALLOW_BENCH_EXE") : "/proc/self/exe";
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    /* Leaves room below r.dir for every file name this benchmark makes. */
    if (strlen(tmp) > sizeof(r.dir) - 64) {
        fprintf(stderr, "bench group: TMPDIR too long\n");
        return 3;
    }
    int len = snprintf(r.dir, sizeof(r.dir), "%s/tallow-bench-XXXXXX", tmp);
    if (len < 0 || (size_t)len >= sizeof(r.dir) || !mkdtemp(r.dir)) {
        fprintf(stderr, "bench group: mkdtemp in %s: %s\n", tmp, strerror(errno));
        return 3;
    }
    len = snprintf(r.file, sizeof(r.file), "%s/bench.bin", r.dir);
    if (len < 0 || (size_t)len >= sizeof(r.file)) {
        bg_free(&r);
        return 3;
    }
    r.nproc = (size_t)r.recipients + 1;
    r.p = calloc(r.nproc, sizeof(*r.p));
    int rc = 3;
    if (!r.p)
        goto out;
    for (size_t i = 0; i < r.nproc; i++) {
        r.p[i].fd = -1;
        r.p[i].result_ok = -1;
    }
    for (size_t i = 0; i < r.nproc; i++) {
        len = snprintf(r.p[i].errlog, sizeof(r.p[i].errlog), "%s/%zu.err", r.dir, i);
        if (len < 0 || (size_t)len >= sizeof(r.p[i].errlog))
            goto out;
    }
    /* From here on SIGINT/SIGTERM only set bg_stop, so children are killed
     * and the temporary directory removed. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = bg_on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if (bg_make_source(&r) == 0)
        rc = bg_report(&r, bg_run_children(&r) == 0);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
out:
    bg_free(&r);
    return rc;
}
