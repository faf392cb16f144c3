/* Test helpers for signaling (see sig_helpers.h). */
#include "signal/sig_helpers.h"

#include "common/loop_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void add(rec *r, char *s)
{
    g_ptr_array_add(r->ev, s);
}

static void cb_state(void *ud, tl_signal_state st)
{
    add(ud, g_strdup_printf("state %d", (int)st));
}

static void cb_registered(void *ud, const char *peer, int resumed)
{
    rec *r = ud;
    r->registered++;
    add(r, g_strdup_printf("registered %s %d", peer, resumed));
}

static void cb_group_created(void *ud, const char *group, const char *code,
                             const uint8_t secret[TL_JOINCODE_SECRET_LEN])
{
    rec *r = ud;
    snprintf(r->group, sizeof(r->group), "%s", group);
    snprintf(r->code, sizeof(r->code), "%s", code);
    memcpy(r->secret, secret, TL_JOINCODE_SECRET_LEN);
    add(r, g_strdup_printf("created %s", group));
}

static void cb_joined(void *ud, const char *group, const tl_signal_member *m, size_t n)
{
    rec *r = ud;
    GString *s = g_string_new(NULL);
    g_string_printf(s, "joined %s %zu", group, n);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, " %s:%s", m[i].peer, m[i].name);
    snprintf(r->group, sizeof(r->group), "%s", group);
    add(r, g_string_free(s, FALSE));
}

static void cb_invite(void *ud, const char *inv, const char *group, const char *from,
                      const char *from_name, const uint8_t *blob, size_t len)
{
    rec *r = ud;
    snprintf(r->last_invite, sizeof(r->last_invite), "%s", inv);
    add(r, g_strdup_printf("invite %s %s %s %.*s", group, from, from_name, (int)len,
                           (const char *)blob));
}

static void cb_peer_joined(void *ud, const char *g, const char *p, const char *name, int rej)
{
    add(ud, g_strdup_printf("peer-joined %s %s %s %d", g, p, name, rej));
}

static void cb_peer_left(void *ud, const char *g, const char *p)
{
    add(ud, g_strdup_printf("peer-left %s %s", g, p));
}

static void cb_peer_gone(void *ud, const char *g, const char *p)
{
    add(ud, g_strdup_printf("peer-gone %s %s", g, p));
}

static void cb_offer(void *ud, const char *g, const char *from, const char *sdp)
{
    add(ud, g_strdup_printf("offer %s %s %s", g, from, sdp));
}

static void cb_answer(void *ud, const char *g, const char *from, const char *sdp)
{
    add(ud, g_strdup_printf("answer %s %s %s", g, from, sdp));
}

static void cb_candidate(void *ud, const char *g, const char *from, const char *c, const char *mid)
{
    add(ud, g_strdup_printf("candidate %s %s %s|%s", g, from, c, mid ? mid : "-"));
}

static void cb_eoc(void *ud, const char *g, const char *from)
{
    add(ud, g_strdup_printf("eoc %s %s", g, from));
}

static void cb_restart(void *ud, const char *g, const char *from, const char *sdp)
{
    add(ud, g_strdup_printf("ice-restart %s %s %s", g, from, sdp));
}

static void cb_left(void *ud, const char *g)
{
    add(ud, g_strdup_printf("left %s", g));
}

static void cb_error(void *ud, const char *code, const char *req, const char *msg)
{
    add(ud, g_strdup_printf("error %s %s %s", code, req, msg));
}

const tl_signal_callbacks rec_callbacks = {
    .on_state = cb_state,
    .on_registered = cb_registered,
    .on_group_created = cb_group_created,
    .on_joined = cb_joined,
    .on_invite = cb_invite,
    .on_peer_joined = cb_peer_joined,
    .on_peer_left = cb_peer_left,
    .on_peer_gone = cb_peer_gone,
    .on_offer = cb_offer,
    .on_answer = cb_answer,
    .on_candidate = cb_candidate,
    .on_end_of_candidates = cb_eoc,
    .on_ice_restart = cb_restart,
    .on_left = cb_left,
    .on_error = cb_error,
};

rec *rec_new(tl_loop *loop, const char *const *urls, const char *name)
{
    return rec_new_ca(loop, urls, name, NULL);
}

rec *rec_new_ca(tl_loop *loop, const char *const *urls, const char *name, const char *ca_pem)
{
    rec *r = calloc(1, sizeof(*r));
    r->ev = g_ptr_array_new_with_free_func(g_free);
    size_t n = 0;
    while (urls[n])
        n++;
    tl_signal_client_config cfg = {0};
    cfg.urls = urls;
    cfg.n_urls = n;
    cfg.name = name;
    cfg.ca_pem = ca_pem;
    cfg.backoff_min_ms = 100;
    cfg.backoff_max_ms = 500;
    if (tl_signal_client_new(&r->c, loop, &cfg, &rec_callbacks, r) != TL_OK) {
        g_ptr_array_free(r->ev, TRUE);
        free(r);
        return NULL;
    }
    return r;
}

void rec_free(rec *r)
{
    if (!r)
        return;
    tl_signal_client_free(r->c);
    g_ptr_array_free(r->ev, TRUE);
    free(r);
}

static gboolean tick(gpointer d)
{
    (void)d;
    return G_SOURCE_CONTINUE;
}

/* One blocking iteration that returns within 5 ms at the latest. */
static void step(tl_loop *loop)
{
    GSource *t = g_timeout_source_new(5);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, tl_loop_gcontext(loop));
    tl_loop_iterate(loop, 1);
    g_source_destroy(t);
    g_source_unref(t);
}

int rec_find(const rec *r, const char *prefix, int from)
{
    size_t pl = strlen(prefix);
    for (guint i = from < 0 ? 0 : (guint)from; i < r->ev->len; i++)
        if (!strncmp(g_ptr_array_index(r->ev, i), prefix, pl))
            return (int)i;
    return -1;
}

int rec_wait(tl_loop *loop, rec *r, const char *prefix, uint32_t timeout_ms)
{
    uint64_t end = tl_loop_now_ms(loop) + timeout_ms;
    int i;
    while ((i = rec_find(r, prefix, 0)) < 0) {
        if (tl_loop_now_ms(loop) >= end) {
            fprintf(stderr, "timed out waiting for '%s'; events:\n", prefix);
            rec_dump(r);
            return -1;
        }
        step(loop);
    }
    return i;
}

int wait_flag(tl_loop *loop, const int *flag, uint32_t timeout_ms)
{
    uint64_t end = tl_loop_now_ms(loop) + timeout_ms;
    while (!*flag) {
        if (tl_loop_now_ms(loop) >= end)
            return -1;
        step(loop);
    }
    return 0;
}

void run_for(tl_loop *loop, uint32_t ms)
{
    uint64_t end = tl_loop_now_ms(loop) + ms;
    while (tl_loop_now_ms(loop) < end) {
        step(loop);
    }
}

void rec_dump(const rec *r)
{
    for (guint i = 0; i < r->ev->len; i++)
        fprintf(stderr, "  [%u] %s\n", i, (const char *)g_ptr_array_index(r->ev, i));
}

/* ------------------------------------------------------------ processes */

#define MAX_PROCS 16
static pid_t procs[MAX_PROCS];
static int atexit_set;

static void kill_all_at_exit(void)
{
    proc_kill_all();
}

pid_t proc_start(char *const argv[], const char *errfile)
{
    if (!atexit_set) {
        atexit(kill_all_at_exit);
        atexit_set = 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (errfile) {
            int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 2);
                dup2(fd, 1);
                close(fd);
            }
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < MAX_PROCS; i++) {
        if (!procs[i]) {
            procs[i] = pid;
            break;
        }
    }
    return pid;
}

void proc_kill(pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    kill(pid, sig);
    int st;
    /* Wait up to 5 s, then SIGKILL. */
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            goto done;
        g_usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
done:
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == pid)
            procs[i] = 0;
}

void proc_forget(pid_t pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == pid)
            procs[i] = 0;
}

void proc_kill_all(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i])
            proc_kill(procs[i], SIGKILL);
}

int proc_wait_port(const char *errfile, uint32_t timeout_ms)
{
    for (uint32_t waited = 0; waited < timeout_ms; waited += 20) {
        FILE *f = fopen(errfile, "r");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
            const char *p = strstr(line, "listening on ws");
            const char *colon = p ? strrchr(p, ':') : NULL;
            if (colon) {
                fclose(f);
                return atoi(colon + 1);
            }
        }
        if (f)
            fclose(f);
        g_usleep(20000);
    }
    return -1;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int redis_start_on(int port, pid_t *pid)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    char *argv[] = {"redis-server", "--port", ps,  "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no",     NULL};
    *pid = proc_start(argv, "/dev/null");
    /* Ready when it accepts a connection. */
    for (int i = 0; i < 250; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        if (ok)
            return port;
        int st;
        if (waitpid(*pid, &st, WNOHANG) == *pid) {
            proc_forget(*pid);
            return -1; /* port taken meanwhile */
        }
        g_usleep(20000);
    }
    proc_kill(*pid, SIGKILL);
    return -1;
}

int redis_start(pid_t *pid)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = redis_start_on(free_port(), pid);
        if (port > 0)
            return port;
    }
    return -1;
}

int log_count(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

int wait_log(tl_loop *loop, const char *file, const char *needle, int count, uint32_t timeout_ms)
{
    for (uint32_t waited = 0; waited < timeout_ms; waited += 20) {
        if (log_count(file, needle) >= count)
            return 0;
        run_for(loop, 20); /* keeps the clients' loop turning meanwhile */
    }
    return -1;
}
