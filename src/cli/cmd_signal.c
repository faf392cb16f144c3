/* tallow signal: run a signaling server until SIGINT/SIGTERM. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "common/loop_internal.h"
#include "tallow/signal.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tallow signal [--listen HOST:PORT] [--cert PEM --key PEM] [--redis URL]\n"
               "                     [--max-group N] [--max-msg BYTES] [--rate N/s]\n"
               "                     [--idle-timeout S] [--grace S] [--glib-io] [-v]\n"
               "                     [--snapshot-every N]\n"
               "  --listen     address to listen on (default 127.0.0.1:7788; port 0 picks one)\n"
               "  --cert/--key serve wss with this certificate and key (PEM files)\n"
               "  --redis      redis://[[USER]:PASS@]HOST:PORT: share groups with other servers\n"
               "  --max-group  members per group (default 64)\n");
}

static gboolean on_signal(gpointer data)
{
    tl_loop_stop(data);
    return G_SOURCE_REMOVE;
}

static void log_stderr(void *ud, tl_log_level level, const char *subject, const char *msg)
{
    (void)ud;
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char subject_s[512], msg_s[1024]; /* clients' strings reach this log */
    tl_text_sanitize(subject_s, sizeof(subject_s), subject, strlen(subject));
    tl_text_sanitize(msg_s, sizeof(msg_s), msg, strlen(msg));
    fprintf(stderr, "tallow signal: %s: %s: %s\n", names[level < 4 ? level : 3], subject_s, msg_s);
}

static int parse_args(int argc, char **argv, tl_signal_server_config *cfg, int *verbose)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            *verbose = 1;
            continue;
        }
        if (!strcmp(a, "--glib-io")) {
            cfg->glib_io = 1; /* lws' GLib plugin instead of the epoll backend */
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "tallow signal: %s needs a value\n", a);
            return -1;
        }
        if (!strcmp(a, "--listen"))
            cfg->listen = v;
        else if (!strcmp(a, "--cert"))
            cfg->cert_pem = v;
        else if (!strcmp(a, "--key"))
            cfg->key_pem = v;
        else if (!strcmp(a, "--redis"))
            cfg->redis_url = v;
        else if (!strcmp(a, "--max-group"))
            bad = tl_parse_u32(v, &cfg->max_group) || cfg->max_group < 2;
        else if (!strcmp(a, "--max-msg"))
            bad = tl_parse_u32(v, &cfg->max_msg) || cfg->max_msg < 1024;
        else if (!strcmp(a, "--rate"))
            bad = tl_parse_u32(v, &cfg->rate_per_s);
        else if (!strcmp(a, "--idle-timeout"))
            bad = tl_parse_u32(v, &cfg->idle_timeout_s);
        else if (!strcmp(a, "--grace"))
            bad = tl_parse_u32(v, &cfg->resume_grace_s);
        else if (!strcmp(a, "--snapshot-every"))
            bad = tl_parse_u32(v, &cfg->snapshot_every) || cfg->snapshot_every < 1;
        else {
            fprintf(stderr, "tallow signal: unknown option %s\n", a);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "tallow signal: bad value for %s\n", a);
            return -1;
        }
        i++;
    }
    if (!cfg->cert_pem != !cfg->key_pem) {
        fprintf(stderr, "tallow signal: --cert and --key go together\n");
        return -1;
    }
    return 0;
}

int tl_cmd_signal(int argc, char **argv)
{
    tl_signal_server_config cfg = {0};
    int verbose = 0;
    if (parse_args(argc, argv, &cfg, &verbose)) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    tl_logger lg = {log_stderr, NULL, verbose ? TL_LOG_DEBUG : TL_LOG_INFO};
    tl_loop *loop;
    if (tl_loop_new(&loop, &lg) != TL_OK)
        return 3;
    /* Handlers first: a SIGTERM right after the address line is printed
     * must already shut down cleanly. */
    GSource *s_int = g_unix_signal_source_new(SIGINT);
    GSource *s_term = g_unix_signal_source_new(SIGTERM);
    g_source_set_callback(s_int, on_signal, loop, NULL);
    g_source_set_callback(s_term, on_signal, loop, NULL);
    g_source_attach(s_int, tl_loop_gcontext(loop));
    g_source_attach(s_term, tl_loop_gcontext(loop));
    tl_signal_server *srv;
    int rc = tl_signal_server_new(&srv, loop, &cfg);
    if (rc != TL_OK) {
        fprintf(stderr, "tallow signal: cannot start: %s\n", tl_strerror(rc));
        g_source_destroy(s_int);
        g_source_destroy(s_term);
        g_source_unref(s_int);
        g_source_unref(s_term);
        tl_loop_free(loop);
        return rc == TL_ERR_INVALID_ARG ? 2 : 3;
    }
    /* The bound address, for people and for scripts (tests read this line). */
    const char *listen = cfg.listen ? cfg.listen : "127.0.0.1:7788";
    const char *colon = strrchr(listen, ':');
    int hl = colon ? (int)(colon - listen) : 0;
    fprintf(stderr, "tallow signal: listening on %s://%.*s:%d\n", cfg.cert_pem ? "wss" : "ws", hl,
            listen, tl_signal_server_port(srv));
    fflush(stderr);

    tl_loop_run(loop);
    fprintf(stderr, "tallow signal: shutting down\n");
    g_source_destroy(s_int);
    g_source_destroy(s_term);
    g_source_unref(s_int);
    g_source_unref(s_term);
    tl_signal_server_free(srv);
    tl_loop_free(loop);
    return 0;
}
