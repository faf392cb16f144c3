/* Signaling load generator: N WebSocket clients on loopback in one epoll
 * loop, grouped by 10, relaying offers and candidates. Speaks tallow's
 * signaling protocol (docs/SIGNALING.md) or Socket.IO v4 (Engine.IO 4 over
 * WebSocket) against bench/signal/sio_relay.js, so both servers get the same
 * load from the same client code.
 *
 *   loadgen --proto tallow|sio --port P --clients N [--group 10]
 *           [--duration S] [--paced-rate R] [--paced-duration S] [--server-pid PID]
 *
 * Phase 1 (throughput): in every group, members are paired (0-1, 2-3, ...);
 * each pair bounces one message back and forth (offer one way, candidate the
 * other) as fast as the server relays. Phase 2 (latency): each client sends
 * R messages per second to its partner (open loop). Latency is measured per
 * relay from the timestamp inside the message (one process, one clock).
 * Prints one JSON line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { P_TALLOW, P_SIO };
enum { S_CONNECTING, S_HANDSHAKE, S_OPEN, S_REGISTERED, S_JOINED };

typedef struct cl {
    int fd, idx, state, partner;
    char id[40]; /* peer id (tallow) or socket id (sio) */
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    int want_out;
} cl;

static int proto, port, nclients, gsize = 10, gbase, server_pid;
static double duration = 5, paced_duration = 5, paced_rate = 1;
static cl *cls;
static int ep;
static long n_registered, n_joined, errors;
static int phase; /* 0 setup, 1 throughput, 2 paced */
static long relayed[3];
static double *lat[3];
static size_t nlat[3], caplat[3];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *m)
{
    perror(m);
    exit(1);
}

static void out_add(cl *c, const void *p, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        c->out_cap = (c->out_len + n) * 2;
        c->out = realloc(c->out, c->out_cap);
        if (!c->out)
            die("realloc");
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void flush(cl *c)
{
    while (c->out_len) {
        ssize_t w = write(c->fd, c->out, c->out_len);
        if (w < 0) {
            if (errno == EAGAIN)
                break;
            errors++;
            c->out_len = 0;
            return;
        }
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    int want = c->out_len > 0;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET | (want ? EPOLLOUT : 0),
                                 .data.u32 = (uint32_t)c->idx};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
}

/* One masked text frame (RFC 6455 §5.2; the mask key is fixed: fine for a
 * benchmark, the server only has to unmask). */
static void ws_send(cl *c, const char *text, size_t n)
{
    static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    uint8_t h[14];
    size_t hl = 2;
    h[0] = 0x81;
    if (n < 126) {
        h[1] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        h[1] = 0x80 | 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    memcpy(h + hl, key, 4);
    hl += 4;
    out_add(c, h, hl);
    size_t at = c->out_len;
    out_add(c, text, n);
    for (size_t i = 0; i < n; i++)
        c->out[at + i] ^= (char)key[i & 3];
}

static void ws_send_str(cl *c, const char *s)
{
    ws_send(c, s, strlen(s));
}

static char *put(char *o, const char *lit)
{
    size_t n = strlen(lit);
    memcpy(o, lit, n);
    return o + n;
}

/* v in decimal, at least width digits (zero-padded). */
static char *put_u(char *o, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < width);
    while (n)
        *o++ = tmp[--n];
    return o;
}

/* The same message text as printf("%06d", group) / "t=%.9f" would give,
 * written without printf (the load generator shares the cores with the
 * server under test, so it should be cheap per message; same cost for both
 * protocols). */
static void send_relay(cl *c, int offer)
{
    cl *p = &cls[c->partner];
    char msg[512], *o = msg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (proto == P_SIO)
        o = put(o, "42[\"relay\",");
    o = put(o, offer ? "{\"type\":\"offer\",\"group\":\"" : "{\"type\":\"candidate\",\"group\":\"");
    o = put_u(o, (uint64_t)(gbase + c->idx / gsize), 6);
    o = put(o, "\",\"to\":\"");
    o = put(o, p->id);
    o = put(o,
            offer ? "\",\"sdp\":\"v=0 t=" : "\",\"candidate\":\"candidate:1 1 udp 2122260223 t=");
    o = put_u(o, (uint64_t)ts.tv_sec, 1);
    *o++ = '.';
    o = put_u(o, (uint64_t)ts.tv_nsec, 9);
    o = put(o, " ph=");
    o = put_u(o, (uint64_t)phase, 1);
    o = put(o, offer ? " o=- 4611731400430051336 2 IN IP4 127.0.0.1\"}"
                     : " typ host\",\"mid\":\"0\"}");
    if (proto == P_SIO)
        *o++ = ']';
    ws_send(c, msg, (size_t)(o - msg));
}

static void record(int ph, double l)
{
    if (nlat[ph] == caplat[ph]) {
        caplat[ph] = caplat[ph] ? caplat[ph] * 2 : 65536;
        lat[ph] = realloc(lat[ph], caplat[ph] * sizeof(double));
        if (!lat[ph])
            die("realloc");
    }
    lat[ph][nlat[ph]++] = l;
}

static void copy_field(const char *msg, const char *key, char *dst, size_t cap)
{
    const char *p = strstr(msg, key);
    dst[0] = '\0';
    if (!p)
        return;
    p += strlen(key);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < cap) {
        dst[i] = p[i];
        i++;
    }
    dst[i] = '\0';
}

static void on_relay(cl *c, const char *msg)
{
    const char *t = strstr(msg, "t=");
    const char *ph = strstr(msg, "ph=");
    if (!t || !ph)
        return;
    /* "t=SECONDS.NNNNNNNNN" (see send_relay) */
    const char *q = t + 2;
    uint64_t sec = 0, ns = 0;
    while (*q >= '0' && *q <= '9')
        sec = sec * 10 + (uint64_t)(*q++ - '0');
    if (*q == '.') {
        q++;
        for (int i = 0; i < 9; i++) {
            ns *= 10;
            if (*q >= '0' && *q <= '9')
                ns += (uint64_t)(*q++ - '0');
        }
    }
    double sent = (double)sec + (double)ns / 1e9;
    int mph = atoi(ph + 3);
    if (mph >= 1 && mph <= 2) {
        relayed[mph]++;
        record(mph, now_s() - sent);
    }
    /* Throughput phase: bounce straight back. */
    if (phase == 1 && mph == 1)
        send_relay(c, strstr(msg, "candidate") == NULL ? 0 : 1);
}

static void on_text(cl *c, char *msg, size_t n)
{
    msg[n] = '\0';
    if (proto == P_TALLOW) {
        if (c->state == S_OPEN && strstr(msg, "\"registered\"")) {
            copy_field(msg, "\"peer\":\"", c->id, sizeof(c->id));
            c->state = S_REGISTERED;
            n_registered++;
        } else if (strstr(msg, "\"group-created\"") || strstr(msg, "\"type\":\"joined\"")) {
            c->state = S_JOINED;
            n_joined++;
        } else if (strstr(msg, "\"offer\"") || strstr(msg, "\"candidate\"")) {
            on_relay(c, msg);
        } else if (strstr(msg, "\"error\"")) {
            if (errors++ < 5)
                fprintf(stderr, "server error: %s\n", msg);
        }
        return;
    }
    /* Socket.IO: Engine.IO packet type is the first character. */
    if (msg[0] == '2') { /* ping */
        ws_send_str(c, "3");
    } else if (msg[0] == '0') { /* engine open: connect to namespace "/" */
        ws_send_str(c, "40");
    } else if (!strncmp(msg, "40", 2) && c->state == S_OPEN) {
        copy_field(msg, "\"sid\":\"", c->id, sizeof(c->id));
        c->state = S_REGISTERED;
        n_registered++;
    } else if (!strncmp(msg, "42[\"joined\"", 11)) {
        c->state = S_JOINED;
        n_joined++;
    } else if (!strncmp(msg, "42[\"signal\"", 11)) {
        on_relay(c, msg);
    } else if (!strncmp(msg, "42[\"error\"", 10)) {
        if (errors++ < 5)
            fprintf(stderr, "server error: %s\n", msg);
    }
}

/* Parses complete frames out of c->in. */
static void on_frames(cl *c)
{
    size_t off = 0;
    for (;;) {
        size_t avail = c->in_len - off;
        uint8_t *p = (uint8_t *)c->in + off;
        if (avail < 2)
            break;
        uint64_t len = p[1] & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (avail < 4)
                break;
            len = ((uint64_t)p[2] << 8) | p[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = (len << 8) | p[2 + i];
            hl = 10;
        }
        if (avail < hl + len) /* in_cap > in_len: room for the NUL on_text writes */
            break;
        int op = p[0] & 0x0f;
        char save = c->in[off + hl + len];
        if (op == 1)
            on_text(c, (char *)p + hl, (size_t)len);
        else if (op == 9) { /* ping -> pong with the same payload */
            uint8_t h[6] = {0x8a, (uint8_t)(0x80 | len), 0, 0, 0, 0};
            if (len < 126) {
                out_add(c, h, 6);
                out_add(c, p + hl, (size_t)len);
            }
        }
        c->in[off + hl + len] = save;
        off += hl + (size_t)len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void on_readable(cl *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 65536) {
            c->in_cap = c->in_cap * 2 + 65536;
            c->in = realloc(c->in, c->in_cap);
            if (!c->in)
                die("realloc");
        }
        size_t room = c->in_cap - c->in_len - 1;
        ssize_t r = read(c->fd, c->in + c->in_len, room);
        if (r == 0) {
            if (errors++ < 5)
                fprintf(stderr, "client %d: closed by server\n", c->idx);
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            return;
        }
        if (r < 0)
            break;
        c->in_len += (size_t)r;
        /* A short read emptied the socket: no second read() just to see
         * EAGAIN (data arriving later is a new epoll edge). */
        if ((size_t)r < room)
            break;
    }
    if (c->state == S_HANDSHAKE) {
        c->in[c->in_len] = '\0';
        char *end = strstr(c->in, "\r\n\r\n");
        if (!end)
            return;
        if (strncmp(c->in, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "client %d: upgrade refused: %.60s\n", c->idx, c->in);
            exit(1);
        }
        size_t hl = (size_t)(end + 4 - c->in);
        memmove(c->in, c->in + hl, c->in_len - hl);
        c->in_len -= hl;
        c->state = S_OPEN;
        if (proto == P_TALLOW)
            ws_send_str(c, "{\"type\":\"register\",\"v\":1}");
    }
    on_frames(c);
    flush(c);
}

static void start_connect(cl *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        die("socket (raise ulimit -n)");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
        die("connect");
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     proto == P_SIO ? "/socket.io/?EIO=4&transport=websocket" : "/", port,
                     proto == P_TALLOW ? "Sec-WebSocket-Protocol: tallow-signal-1\r\n" : "");
    out_add(c, req, (size_t)n);
    c->state = S_HANDSHAKE;
    /* Edge-triggered: epoll does not look at a socket again after reporting
     * it (level-triggered costs a second poll of every ready socket). A short
     * read() means the socket is empty; new data is a new edge. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)c->idx};
    c->want_out = 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void pump(double until, long *counter, long target)
{
    struct epoll_event evs[1024];
    while (now_s() < until && (!counter || *counter < target)) {
        int n = epoll_wait(ep, evs, 1024, 10);
        for (int i = 0; i < n; i++) {
            cl *c = &cls[evs[i].data.u32];
            if (evs[i].events & EPOLLOUT)
                flush(c);
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(c);
        }
    }
}

/* CPU seconds (user + system) of this process, or of --server-pid: the
 * throughput phase reports both per relayed message, a figure that does not
 * depend on how the two cores are shared. */
static double cpu_self_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double cpu_server_s(void)
{
    char path[64], buf[1024];
    if (!server_pid)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", server_pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* fields after the command name */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(int ph, double q)
{
    if (!nlat[ph])
        return -1;
    qsort(lat[ph], nlat[ph], sizeof(double), cmp);
    size_t i = (size_t)(q * (double)(nlat[ph] - 1));
    return lat[ph][i] * 1000.0;
}

static void join_groups(void)
{
    const char *ver = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    char msg[256];
    /* Leaders create, then members join (the group must exist first). */
    for (int i = 0; i < nclients; i += gsize) {
        if (proto == P_TALLOW)
            snprintf(msg, sizeof(msg),
                     "{\"type\":\"create-group\",\"group\":\"%06d\",\"verifier\":\"%s\"}",
                     gbase + i / gsize, ver);
        else
            snprintf(msg, sizeof(msg), "42[\"join\",{\"group\":\"%06d\"}]", gbase + i / gsize);
        ws_send_str(&cls[i], msg);
        flush(&cls[i]);
    }
    long leaders = (nclients + gsize - 1) / gsize;
    pump(now_s() + 60, &n_joined, leaders);
    for (int i = 0; i < nclients; i++) {
        if (i % gsize == 0)
            continue;
        if (proto == P_TALLOW)
            snprintf(msg, sizeof(msg), "{\"type\":\"join\",\"group\":\"%06d\",\"proof\":\"%s\"}",
                     gbase + i / gsize, ver);
        else
            snprintf(msg, sizeof(msg), "42[\"join\",{\"group\":\"%06d\"}]", gbase + i / gsize);
        ws_send_str(&cls[i], msg);
        flush(&cls[i]);
    }
    pump(now_s() + 120, &n_joined, nclients);
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--proto"))
            proto = !strcmp(argv[i + 1], "sio") ? P_SIO : P_TALLOW;
        else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--clients"))
            nclients = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--group"))
            gsize = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration"))
            duration = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--paced-rate"))
            paced_rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--group-base"))
            gbase = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--paced-duration"))
            paced_duration = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--server-pid"))
            server_pid = atoi(argv[i + 1]);
    }
    if (!port || nclients < 2 || gsize < 2) {
        fprintf(stderr, "usage: loadgen --proto tallow|sio --port P --clients N [--group 10] "
                        "[--duration S] [--paced-rate R] [--paced-duration S] "
                        "[--server-pid PID]\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    cls = calloc((size_t)nclients, sizeof(*cls));
    ep = epoll_create1(0);
    if (!cls || ep < 0)
        die("init");
    double t0 = now_s();
    for (int i = 0; i < nclients; i++) {
        cls[i].idx = i;
        /* pairs inside a group: 0-1, 2-3, ...; an odd last member pairs with 0 */
        int base = i - i % gsize, k = i % gsize,
            gs = nclients - base < gsize ? nclients - base : gsize;
        cls[i].partner = base + ((k ^ 1) < gs ? (k ^ 1) : 0);
        start_connect(&cls[i]);
        /* At most 256 handshakes in flight: a burst of thousands only
         * measures the listen backlog. */
        while (i + 1 - n_registered >= 256)
            pump(now_s() + 0.01, NULL, 0);
    }
    pump(now_s() + 120, &n_registered, nclients);
    if (n_registered < nclients) {
        fprintf(stderr, "only %ld of %d clients registered\n", n_registered, nclients);
        return 1;
    }
    double t_conn = now_s() - t0;
    join_groups();
    if (n_joined < nclients) {
        fprintf(stderr, "only %ld of %d clients joined\n", n_joined, nclients);
        return 1;
    }

    /* Phase 1: every pair bounces one message; the even member starts. */
    phase = 1;
    for (int i = 0; i < nclients; i++) {
        if (cls[i].partner != i && (i % gsize) % 2 == 0) {
            send_relay(&cls[i], 1);
            flush(&cls[i]);
        }
    }
    double t1 = now_s(), c1 = cpu_self_s(), s1 = cpu_server_s();
    pump(t1 + duration, NULL, 0);
    double thr = (double)relayed[1] / (now_s() - t1);
    double lg_us = relayed[1] ? (cpu_self_s() - c1) * 1e6 / (double)relayed[1] : -1;
    double srv_us =
        relayed[1] && server_pid ? (cpu_server_s() - s1) * 1e6 / (double)relayed[1] : -1;

    /* Phase 2: open loop, paced_rate messages per client per second. */
    phase = 2;
    pump(now_s() + 1.0, NULL, 0); /* drain phase-1 messages in flight */
    double t2 = now_s(), step = 1.0 / (paced_rate * nclients), next = t2;
    long sent = 0;
    while (now_s() < t2 + paced_duration) {
        double t = now_s();
        while (next <= t) {
            cl *c = &cls[sent % nclients];
            send_relay(c, (int)(sent / nclients) % 2 == 0);
            flush(c);
            sent++;
            next += step;
        }
        pump(now_s() + 0.001, NULL, 0);
    }
    pump(now_s() + 0.5, NULL, 0);
    printf("{\"clients\":%d,\"connect_s\":%.2f,\"msgs_per_s\":%.0f,\"load_p50_ms\":%.3f,"
           "\"load_p99_ms\":%.3f,\"paced_msgs_per_s\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
           "\"paced_sent\":%ld,\"paced_received\":%ld,\"errors\":%ld,"
           "\"loadgen_cpu_us_per_msg\":%.2f,\"server_cpu_us_per_msg\":%.2f}\n",
           nclients, t_conn, thr, pct(1, 0.5), pct(1, 0.99), paced_rate * nclients, pct(2, 0.5),
           pct(2, 0.99), sent, relayed[2], errors, lg_us, srv_us);
    return 0;
}
