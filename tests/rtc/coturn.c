#define _DEFAULT_SOURCE
#include "rtc/coturn.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t g_running = 0;

static void kill_at_exit(void)
{
    if (g_running > 0) {
        kill(g_running, SIGKILL);
        waitpid(g_running, NULL, 0);
        g_running = 0;
    }
}

/* A port free for both UDP and TCP on 127.0.0.1 right now. */
static uint16_t free_port(void)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t al = sizeof(a);
        if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) ||
            getsockname(u, (struct sockaddr *)&a, &al)) {
            if (u >= 0)
                close(u);
            continue;
        }
        int t = socket(AF_INET, SOCK_STREAM, 0);
        int ok = t >= 0 && bind(t, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (t >= 0)
            close(t);
        close(u);
        if (ok)
            return ntohs(a.sin_port);
    }
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sends STUN binding requests until a response arrives or 10 s pass. */
static int wait_ready(uint16_t port, pid_t pid)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t req[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    for (int i = 8; i < 20; i++)
        req[i] = (uint8_t)(i * 37);
    uint64_t deadline = now_ms() + 10000;
    int rc = -1;
    while (now_ms() < deadline) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break; /* turnserver exited */
        sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&a, sizeof(a));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1) {
            uint8_t resp[512];
            ssize_t n = recv(fd, resp, sizeof(resp), 0);
            if (n >= 20 && resp[0] == 0x01 && resp[1] == 0x01) {
                rc = 0;
                break;
            }
        }
    }
    close(fd);
    return rc;
}

int coturn_start(struct coturn *c)
{
    memset(c, 0, sizeof(*c));
    c->pid = -1;
    snprintf(c->dir, sizeof(c->dir), "/tmp/tl-coturn-XXXXXX");
    if (!mkdtemp(c->dir))
        return -1;
    c->port = free_port();
    if (!c->port)
        return -1;
    unsigned base = 50000 + (unsigned)(getpid() % 500) * 20;
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/turnserver.conf", c->dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f,
            "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port=%u\n"
            "min-port=%u\nmax-port=%u\nlt-cred-mech\nuser=%s:%s\nrealm=tallow.test\n"
            "fingerprint\nno-tls\nno-dtls\nno-cli\nallow-loopback-peers\n"
            "no-multicast-peers\nno-software-attribute\nuserdb=%s/turndb\n"
            "pidfile=%s/turnserver.pid\nlog-file=%s/turnserver.log\nsimple-log\n"
            "no-stdout-log\n",
            c->port, base, base + 19, COTURN_USER, COTURN_PASS, c->dir, c->dir, c->dir);
    fclose(f);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("turnserver", "turnserver", "-c", conf, (char *)NULL);
        _exit(127);
    }
    c->pid = pid;
    g_running = pid;
    static int registered;
    if (!registered) {
        atexit(kill_at_exit);
        registered = 1;
    }
    if (wait_ready(c->port, pid) != 0) {
        coturn_stop(c);
        return -1;
    }
    return 0;
}

void coturn_stop(struct coturn *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        if (g_running == c->pid)
            g_running = 0;
        c->pid = -1;
    }
    if (c->dir[0]) {
        DIR *d = opendir(c->dir);
        struct dirent *e;
        char path[384];
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", c->dir, e->d_name);
            unlink(path);
        }
        if (d)
            closedir(d);
        rmdir(c->dir);
        c->dir[0] = 0;
    }
}
