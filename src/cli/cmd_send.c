#define _GNU_SOURCE
/* tallow send: send files and folders to a group of recipients. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/argv_scrub.h"
#include "cli/cli.h"
#include "cli/cli_net.h"
#include "cli/config.h"
#include "cli/live.h"
#include "cli/report.h"
#include "common/parse.h"
#include "tallow/group.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "signal/proto.h"
#include "tallow/crypto.h"

/* $XDG_STATE_HOME/tallow/send-<sha256(listen, real paths)>.session: a re-run
 * of the same send finds its group and join code there (docs/CLI.md). The
 * folder comes from GLib (XDG_STATE_HOME, else ~/.local/state). */
static char *default_session_file(const char *listen, char **paths, int n)
{
    char *dir = g_build_filename(g_get_user_state_dir(), "tallow", NULL);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        fprintf(stderr, "tallow send: cannot create %s: %s (no session file)\n", dir,
                g_strerror(errno));
        g_free(dir);
        return NULL;
    }
    tl_sha256_ctx *md = NULL;
    unsigned char h[32] = {0};
    char hex[2 * 12 + 1];
    if (tl_sha256_new(&md) != TL_OK) {
        g_free(dir);
        return NULL;
    }
    tl_sha256_update(md, listen ? listen : "", strlen(listen ? listen : "") + 1);
    for (int i = 0; i < n; i++) {
        char real[PATH_MAX];
        const char *p = realpath(paths[i], real) ? real : paths[i];
        tl_sha256_update(md, p, strlen(p) + 1);
    }
    tl_sha256_final(md, h);
    tl_sha256_free(md);
    tl_hex_encode(h, 12, hex);
    char *file = g_strdup_printf("%s/send-%s.session", dir, hex);
    char *out = strdup(file); /* the caller frees with free() */
    g_free(file);
    g_free(dir);
    return out;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tallow send FILE... [--to NAME,...] [--expect N] [--signal URL]\n"
            "         [--listen HOST:PORT] [--limit RATE] [--peer-limit RATE] [--relay-only]\n"
            "         [--turn URL] [--turn-user U --turn-pass P] [--stun URL]\n"
            "         [--bind ADDR,...] [--timeout SECONDS] [--stall-timeout SECONDS]\n"
            "         [--session FILE] [--name NAME]\n"
            "         [--max-failed-keys N] [--ca FILE | --insecure]\n"
            "         [--turn-secret S | --turn-secret-file F] [--turn-ttl SECONDS] [--long-code]\n"
            "         [--json]\n");
}

typedef struct send_args {
    tl_group_sender_config cfg;
    tl_cli_net net;
    char **to;
    size_t n_to;
    int json;
    char *secret; /* --turn-secret[-file] (wiped) */
} send_args;

static const struct option send_opts[] = {
    {"to", required_argument, 0, 't'},
    {"expect", required_argument, 0, 'e'},
    {"signal", required_argument, 0, 's'},
    {"listen", required_argument, 0, 'l'},
    {"limit", required_argument, 0, 'L'},
    {"peer-limit", required_argument, 0, 'P'},
    {"json", no_argument, 0, 'j'},
    {"session", required_argument, 0, 'S'},
    {"max-failed-keys", required_argument, 0, 'K'},
    {"turn-secret", required_argument, 0, 'X'},
    {"turn-secret-file", required_argument, 0, 'F'},
    {"turn-ttl", required_argument, 0, 'T'},
    {"name", required_argument, 0, 'N'},
    {"long-code", no_argument, 0, 'C'},
    TL_CLI_NET_OPTIONS,
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* One option, from the command line or from the defaults (config.h): 0, or
 * -1 for a bad value. */
static int send_option(void *ud, int c, int idx, const char *arg)
{
    send_args *a = ud;
    switch (c) {
    case 't':
        tl_free_list(a->to, a->n_to);
        a->to = tl_split_list(arg, &a->n_to);
        return 0;
    case 'e':
        return tl_opt_u32("send", "expect", arg, 1, UINT32_MAX, &a->cfg.expect);
    case 's':
        a->cfg.signal_url = arg;
        return 0;
    case 'l':
        a->cfg.listen = arg;
        return 0;
    case 'S':
        a->cfg.session_file = arg;
        return 0;
    case 'K':
        return tl_opt_u32("send", "max-failed-keys", arg, 1, UINT32_MAX, &a->cfg.max_failed_keys);
    case 'L':
        return tl_opt_size("send", "limit", arg, 0, TL_RATE_MAX, &a->cfg.limit);
    case 'P':
        return tl_opt_size("send", "peer-limit", arg, 0, TL_RATE_MAX, &a->cfg.peer_limit);
    case 'j':
        a->json = 1;
        return 0;
    case 'C':
        a->cfg.long_code = 1;
        return 0;
    case 'X':
    case 'F':
        tl_secret_free(a->secret);
        a->secret = c == 'X' ? strdup(arg) : tl_read_secret_file(arg);
        return a->secret ? 0 : -1;
    case 'T':
        return tl_opt_u32("send", "turn-ttl", arg, 1, UINT32_MAX, &a->cfg.turn_ttl_s);
    case 'N':
        a->cfg.display_name = arg;
        return 0;
    case 'n':
        return tl_cli_net_option(&a->net, send_opts[idx].name, arg) < 0 ? -1 : 0;
    default:
        return -1;
    }
}

/* SIGINT/SIGTERM: every recipient is told to stop (and keeps its partial
 * files); the session file stays so the same command resumes. */
static tl_group_sender *interrupt_sender;
static void on_interrupt(void *rp)
{
    if (tl_group_sender_cancel(interrupt_sender, TL_GROUP_STATUS_CANCELLED,
                               "interrupted: the recipients were told to stop; run the same "
                               "command again to resume") != TL_OK)
        tl_report_finish(rp, TL_GROUP_STATUS_CANCELLED, "interrupted");
}

int tl_cmd_send(int argc, char **argv)
{
    send_args a;
    memset(&a, 0, sizeof(a));
    tl_group_sender_config *cfg = &a.cfg;
    tl_cli_config defaults;
    memset(&defaults, 0, sizeof(defaults));
    /* At most two names per argument ("--listen=X" also stands for signal). */
    const char **given = calloc(2 * (size_t)argc + 1, sizeof(char *));
    size_t n_given = 0;
    int c, idx, status = 2;
    optind = 1;
    while (given && (c = getopt_long(argc, argv, "h", send_opts, &idx)) != -1) {
        if (c == 'h') {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (c == '?' || send_option(&a, c, idx, optarg) < 0)
            goto usage_error;
        if (tl_argv_is_secret(send_opts[idx].name, optarg)) /* copied: scrub (argv_scrub.h) */
            tl_argv_scrub(optarg);
        given[n_given++] = send_opts[idx].name;
        if (c == 'l') /* an embedded server was asked for: no default --signal */
            given[n_given++] = "signal";
    }
    if (!given || optind >= argc)
        goto usage_error;
    status = tl_cli_defaults(&defaults, send_opts, given, n_given, send_option, &a);
    if (status)
        goto out;
    for (int i = optind; i < argc; i++) {
        /* A missing or unreadable source: named once, with the reason. */
        struct stat st;
        if (stat(argv[i], &st) != 0 || access(argv[i], R_OK) != 0) {
            fprintf(stderr, "tallow send: cannot read %s: %s\n", argv[i], strerror(errno));
            status = 3;
            goto out;
        }
    }
    cfg->paths = (const char *const *)(argv + optind);
    cfg->n_paths = (size_t)(argc - optind);
    cfg->to = (const char *const *)a.to;
    cfg->n_to = a.n_to;
    tl_cli_net_apply(&a.net, &cfg->net);
    cfg->turn_secret = a.secret;
    /* The name the recipients see: --name, else this machine's host name. */
    char host[65] = "";
    if (!cfg->display_name && gethostname(host, sizeof(host) - 1) == 0 && host[0])
        cfg->display_name = host;
    if (a.secret && cfg->signal_url) {
        fprintf(stderr, "tallow send: --turn-secret is for the embedded server (no --signal)\n");
        goto usage_error;
    }
    char *session = NULL;
    if (!cfg->session_file && !cfg->signal_url)
        cfg->session_file = session =
            default_session_file(cfg->listen, argv + optind, argc - optind);

    tl_logger lg = tl_report_logger();
    tl_loop *loop = NULL;
    tl_loop_new(&loop, &lg);
    tl_report *rp = tl_report_new(loop, a.json, 1);
    tl_group_sender *s = NULL;
    unsigned logged = tl_report_errors_logged();
    int rc = tl_group_sender_new(&s, loop, cfg, &tl_report_callbacks, rp);
    if (rc == TL_OK)
        tl_report_set_interface(rp, tl_group_sender_interface(s));
    if (rc != TL_OK) {
        if (tl_report_errors_logged() == logged) /* else the library said why */
            fprintf(stderr, "tallow send: %s\n", tl_strerror(rc));
        status = 3;
    } else {
        tl_live *lv = tl_live_new(loop, rp, s, NULL);
        interrupt_sender = s;
        tl_cli_on_interrupt(on_interrupt, rp);
        status = tl_cli_run(loop, rp, a.net.timeout_s);
        tl_cli_on_interrupt(NULL, NULL);
        tl_live_free(lv);
    }
    tl_group_sender_free(s);
    tl_report_free(rp);
    tl_loop_free(loop);
    free(session);
    goto out;
usage_error:
    usage(stderr);
    status = 2;
out:
    free(given);
    tl_secret_free(a.secret);
    tl_free_list(a.to, a.n_to);
    tl_cli_net_free(&a.net);
    tl_cli_config_free(&defaults);
    return status;
}
