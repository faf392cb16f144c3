#define _GNU_SOURCE
/* tallow send: send files and folders to a group of recipients. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_net.h"
#include "cli/report.h"
#include "tallow/group.h"

#include <limits.h>
#include <openssl/evp.h>
#include <sys/stat.h>

/* $XDG_STATE_HOME/tallow/send-<sha256(listen, real paths)>.session: a re-run
 * of the same send finds its group and join code there (docs/CLI.md). */
static char *default_session_file(const char *listen, char **paths, int n)
{
    const char *base = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char dir[PATH_MAX];
    if (base && base[0])
        snprintf(dir, sizeof(dir), "%s/tallow", base);
    else if (home && home[0])
        snprintf(dir, sizeof(dir), "%s/.local/state/tallow", home);
    else
        return NULL;
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", dir);
    for (char *p = parent + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(parent, 0700);
            *p = '/';
        }
    }
    mkdir(parent, 0700);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[32];
    unsigned hl = 0;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, listen ? listen : "", strlen(listen ? listen : "") + 1);
    for (int i = 0; i < n; i++) {
        char real[PATH_MAX];
        const char *p = realpath(paths[i], real) ? real : paths[i];
        EVP_DigestUpdate(md, p, strlen(p) + 1);
    }
    EVP_DigestFinal_ex(md, h, &hl);
    EVP_MD_CTX_free(md);
    char *out = malloc(PATH_MAX);
    if (!out)
        return NULL;
    int k = snprintf(out, PATH_MAX, "%s/send-", dir);
    for (int i = 0; i < 12 && k < PATH_MAX - 3; i++)
        k += snprintf(out + k, (size_t)(PATH_MAX - k), "%02x", h[i]);
    snprintf(out + k, (size_t)(PATH_MAX - k), ".session");
    return out;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tallow send FILE... [--to NAME,...] [--expect N] [--signal URL]\n"
               "         [--listen HOST:PORT] [--limit RATE] [--peer-limit RATE] [--relay-only]\n"
               "         [--turn URL] [--turn-user U --turn-pass P] [--stun URL]\n"
               "         [--bind ADDR,...] [--timeout SECONDS] [--session FILE]\n"
               "         [--max-failed-keys N] [--turn-secret S | --turn-secret-file F]\n"
               "         [--turn-ttl SECONDS] [--json]\n");
}

int tl_cmd_send(int argc, char **argv)
{
    static const struct option opts[] = {
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
        TL_CLI_NET_OPTIONS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    tl_group_sender_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    tl_cli_net net;
    memset(&net, 0, sizeof(net));
    char **to = NULL;
    size_t n_to = 0;
    int json = 0, c, idx, status = 2;
    char *secret = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        switch (c) {
        case 't':
            tl_free_list(to, n_to);
            to = tl_split_list(optarg, &n_to);
            break;
        case 'e':
            if (tl_parse_u32(optarg, &cfg.expect) || !cfg.expect)
                goto usage_error;
            break;
        case 's':
            cfg.signal_url = optarg;
            break;
        case 'l':
            cfg.listen = optarg;
            break;
        case 'S':
            cfg.session_file = optarg;
            break;
        case 'K':
            if (tl_parse_u32(optarg, &cfg.max_failed_keys) || !cfg.max_failed_keys)
                goto usage_error;
            break;
        case 'L':
            if (tl_parse_rate(optarg, &cfg.limit))
                goto usage_error;
            break;
        case 'P':
            if (tl_parse_rate(optarg, &cfg.peer_limit))
                goto usage_error;
            break;
        case 'j':
            json = 1;
            break;
        case 'X':
        case 'F':
            tl_secret_free(secret);
            secret = c == 'X' ? strdup(optarg) : tl_read_secret_file(optarg);
            if (!secret)
                goto usage_error;
            break;
        case 'T':
            if (tl_parse_u32(optarg, &cfg.turn_ttl_s) || !cfg.turn_ttl_s)
                goto usage_error;
            break;
        case 'n':
            if (tl_cli_net_option(&net, opts[idx].name, optarg) < 0)
                goto usage_error;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        default:
            goto usage_error;
        }
    }
    if (optind >= argc)
        goto usage_error;
    cfg.paths = (const char *const *)(argv + optind);
    cfg.n_paths = (size_t)(argc - optind);
    cfg.to = (const char *const *)to;
    cfg.n_to = n_to;
    tl_cli_net_apply(&net, &cfg.net);
    cfg.turn_secret = secret;
    if (secret && cfg.signal_url) {
        fprintf(stderr, "tallow send: --turn-secret is for the embedded server (no --signal)\n");
        goto usage_error;
    }
    char *session = NULL;
    if (!cfg.session_file && !cfg.signal_url)
        cfg.session_file = session = default_session_file(cfg.listen, argv + optind, argc - optind);

    tl_logger lg = tl_report_logger();
    tl_loop *loop = NULL;
    tl_loop_new(&loop, &lg);
    tl_report *rp = tl_report_new(loop, json, 1);
    tl_group_sender *s = NULL;
    int rc = tl_group_sender_new(&s, loop, &cfg, &tl_report_callbacks, rp);
    if (rc == TL_OK)
        tl_report_set_interface(rp, tl_group_sender_interface(s));
    if (rc != TL_OK) {
        fprintf(stderr, "tallow send: %s\n", tl_strerror(rc));
        status = 3;
    } else {
        status = tl_cli_run(loop, rp, net.timeout_s);
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
    tl_secret_free(secret);
    tl_free_list(to, n_to);
    tl_cli_net_free(&net);
    return status;
}
