/* tallow bench dc: data-channel throughput and setup time on loopback.
 *
 * Two peer connections in this process on one loop (127.0.0.1 only), one
 * reliable ordered channel. The sender keeps bufferedAmount between a low
 * and a high mark (as a careful application does); the receiver counts the
 * bytes. MB/s uses 10^6 bytes. CPU seconds and peak RSS cover the whole
 * process (both peers). With --conns N, N more connection pairs are set up
 * at once and left idle to measure setup time and RSS per connection. */
#define _DEFAULT_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/parse.h"
#include "tallow/loop.h"
#include "tallow/rtc.h"

struct bpeer {
    tl_pc *pc;
    struct bpeer *other;
    tl_dc *dc;
    int open;
};

struct bpair {
    struct bpeer a, b;
};

struct bench {
    tl_loop *loop;
    size_t total, msg;
    size_t sent, received;
    uint8_t *buf;
    tl_dc *tx;
    int failed;
};

static struct bench g;

static void on_cand(tl_pc *pc, const char *cand, const char *mid, void *ud)
{
    (void)pc;
    struct bpeer *p = ud;
    tl_pc_add_remote_candidate(p->other->pc, cand, mid);
}

static void on_gathered(tl_pc *pc, void *ud)
{
    (void)pc;
    struct bpeer *p = ud;
    tl_pc_end_of_remote_candidates(p->other->pc);
}

static void on_state(tl_pc *pc, tl_pc_state st, void *ud)
{
    (void)pc;
    (void)ud;
    if (st == TL_PC_FAILED || st == TL_PC_CLOSED)
        g.failed = 1;
}

static void on_open(tl_dc *dc, void *ud)
{
    (void)dc;
    ((struct bpeer *)ud)->open = 1;
}

static void pump(void);

static void on_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    (void)dc;
    (void)data;
    (void)ud;
    g.received += len;
}

static void on_low(tl_dc *dc, void *ud)
{
    (void)dc;
    (void)ud;
    pump();
}

static const tl_dc_callbacks dc_cbs = {
    .on_open = on_open, .on_binary = on_binary, .on_buffered_amount_low = on_low};

static void on_dc(tl_pc *pc, tl_dc *dc, void *ud)
{
    (void)pc;
    struct bpeer *p = ud;
    p->dc = dc;
    tl_dc_set_callbacks(dc, &dc_cbs, p);
}

static const tl_pc_callbacks pc_cbs = {on_cand, on_gathered, on_state, on_dc};

#define HIGH_MARK (4u << 20)
#define LOW_MARK (1u << 20)

static void pump(void)
{
    while (g.sent < g.total && tl_dc_buffered_amount(g.tx) < HIGH_MARK) {
        size_t n = g.total - g.sent < g.msg ? g.total - g.sent : g.msg;
        if (tl_dc_send_binary(g.tx, g.buf, n) != TL_OK) {
            g.failed = 1;
            return;
        }
        g.sent += n;
    }
}

static int pair_start(struct bpair *bp, tl_loop *loop)
{
    static const char *const lo[] = {"127.0.0.1"};
    tl_pc_config cfg = {0};
    cfg.allowed = lo;
    cfg.n_allowed = 1;
    memset(bp, 0, sizeof(*bp));
    bp->a.other = &bp->b;
    bp->b.other = &bp->a;
    if (tl_pc_new(&bp->a.pc, loop, &cfg, &pc_cbs, &bp->a) != TL_OK ||
        tl_pc_new(&bp->b.pc, loop, &cfg, &pc_cbs, &bp->b) != TL_OK)
        return -1;
    tl_dc_init init;
    tl_dc_init_default(&init, "bench");
    if (tl_pc_create_dc(bp->a.pc, &init, &dc_cbs, &bp->a, &bp->a.dc) != TL_OK)
        return -1;
    char *offer = NULL, *answer = NULL;
    int rc = tl_pc_create_offer(bp->a.pc, &offer);
    if (rc == TL_OK)
        rc = tl_pc_set_remote_description(bp->b.pc, offer, TL_SDP_OFFER);
    if (rc == TL_OK)
        rc = tl_pc_create_answer(bp->b.pc, &answer);
    if (rc == TL_OK)
        rc = tl_pc_set_remote_description(bp->a.pc, answer, TL_SDP_ANSWER);
    tl_free(offer);
    tl_free(answer);
    return rc == TL_OK ? 0 : -1;
}

static void pair_stop(struct bpair *bp)
{
    tl_pc_free(bp->a.pc);
    tl_pc_free(bp->b.pc);
}

static int pairs_open(struct bpair *bp, int n)
{
    for (int i = 0; i < n; i++)
        if (!bp[i].a.open || !bp[i].b.open)
            return 0;
    return 1;
}

/* Runs the loop until every pair's channel is open; returns 0 or -1. */
static int wait_open(struct bpair *bp, int n, uint64_t timeout_ms)
{
    uint64_t deadline = tl_loop_now_ms(g.loop) + timeout_ms;
    while (!pairs_open(bp, n)) {
        if (g.failed || tl_loop_now_ms(g.loop) > deadline)
            return -1;
        tl_loop_iterate(g.loop, 1);
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long current_rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * 4;
}

/* Sets up conns pairs at once: time until every channel is open, and RSS
 * per idle peer connection (both ends live here: 2 * conns of them). */
static int measure_conns(int conns, double *setup_ms, long *rss_per_conn)
{
    struct bpair *bp = calloc((size_t)conns, sizeof(*bp));
    if (!bp)
        return -1;
    long rss0 = current_rss_kib();
    uint64_t t1 = tl_loop_now_ms(g.loop);
    for (int i = 0; i < conns; i++)
        if (pair_start(&bp[i], g.loop))
            g.failed = 1;
    int rc = wait_open(bp, conns, 30000);
    if (rc == 0) {
        *setup_ms = (double)(tl_loop_now_ms(g.loop) - t1);
        /* Let the connections settle (idle) before sampling RSS. */
        uint64_t settle = tl_loop_now_ms(g.loop) + 200;
        while (tl_loop_now_ms(g.loop) < settle)
            tl_loop_iterate(g.loop, 1);
        *rss_per_conn = (current_rss_kib() - rss0) / (2L * conns);
    }
    for (int i = 0; i < conns; i++)
        pair_stop(&bp[i]);
    free(bp);
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: tallow bench dc [--size BYTES] [--msg BYTES] [--conns N] [--json]\n"
                    "  sizes: a number with k M G (powers of 1000) or Ki Mi Gi (of 1024)\n");
    return 2;
}

int tl_bench_dc(int argc, char **argv)
{
    uint64_t total = 256u << 20, msg = 64u << 10;
    uint32_t nconns = 0;
    int json = 0, c;
    static const struct option opts[] = {
        {"size", required_argument, 0, 's'},
        {"msg", required_argument, 0, 'm'},
        {"conns", required_argument, 0, 'c'},
        {"json", no_argument, 0, 'j'},
        {0, 0, 0, 0},
    };
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if ((c == 's' && tl_opt_size("bench dc", "size", optarg, 1, SIZE_MAX, &total)) ||
            (c == 'm' &&
             tl_opt_size("bench dc", "msg", optarg, 1, TL_DEFAULT_MAX_MESSAGE_SIZE, &msg)) ||
            (c == 'c' && tl_opt_u32("bench dc", "conns", optarg, 1, 1000, &nconns)) || c == '?')
            return usage();
        json |= c == 'j';
    }
    if (optind < argc)
        return usage();
    int conns = (int)nconns;
    memset(&g, 0, sizeof(g));
    g.total = total;
    g.msg = msg;
    g.buf = malloc(msg);
    if (!g.buf || tl_loop_new(&g.loop, NULL) != TL_OK)
        return 1;
    for (size_t i = 0; i < msg; i++)
        g.buf[i] = (uint8_t)(i * 131 + 7);

    struct bpair main_pair;
    uint64_t t0 = tl_loop_now_ms(g.loop);
    if (pair_start(&main_pair, g.loop) || wait_open(&main_pair, 1, 10000)) {
        fprintf(stderr, "bench dc: setup failed\n");
        return 1;
    }
    double setup_ms = (double)(tl_loop_now_ms(g.loop) - t0);

    double setup_n_ms = 0;
    long rss_per_conn = 0;
    if (conns > 0 && measure_conns(conns, &setup_n_ms, &rss_per_conn)) {
        fprintf(stderr, "bench dc: %d-connection setup failed\n", conns);
        return 1;
    }
    g.tx = main_pair.a.dc;
    tl_dc_set_buffered_amount_low_threshold(g.tx, LOW_MARK);
    double cpu0 = tl_cli_cpu_seconds();
    double w0 = now_s();
    pump();
    while (g.received < g.total && !g.failed)
        tl_loop_iterate(g.loop, 1);
    double secs = now_s() - w0;
    double cpu = tl_cli_cpu_seconds() - cpu0;
    double mbps = (double)g.total / 1e6 / secs;
    if (g.failed) {
        fprintf(stderr, "bench dc: connection failed during the transfer\n");
        return 1;
    }
    tl_pc_stats st;
    tl_pc_get_stats(main_pair.a.pc, &st);

    pair_stop(&main_pair);
    tl_loop_free(g.loop);
    free(g.buf);

    long rss = tl_cli_peak_rss_kib();
    if (!json) {
        printf("transfer: %zu bytes in %zu-byte messages, %.3f s\n", total, msg, secs);
        printf("throughput: %.1f MB/s\n", mbps);
        printf("cpu: %.2f s (%.0f%% of one core)\n", cpu, 100.0 * cpu / secs);
        printf("peak rss: %ld KiB\n", rss);
        printf("setup (offer to channel open): %.1f ms\n", setup_ms);
        printf("sctp srtt: %.1f ms\n", st.srtt_ms);
        if (conns > 0) {
            printf("setup of %d connections at once: %.1f ms\n", conns, setup_n_ms);
            printf("rss per idle peer connection: %ld KiB\n", rss_per_conn);
        }
    }
    if (!json)
        return 0;
    printf("{\"mbps\":%.1f,\"cpu_s\":%.3f,\"rss_kib\":%ld,\"setup_ms\":%.1f,\"bytes\":%zu,"
           "\"msg\":%zu,\"secs\":%.3f",
           mbps, cpu, rss, setup_ms, total, msg, secs);
    if (conns > 0)
        printf(",\"conns\":%d,\"setup_ms_n\":%.1f,\"rss_per_conn_kib\":%ld", conns, setup_n_ms,
               rss_per_conn);
    printf("}\n");
    return 0;
}
