#define _GNU_SOURCE
/* tallow receive: join by code (or wait for an invitation) and receive. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/argv_scrub.h"
#include "cli/cli.h"
#include "cli/cli_net.h"
#include "cli/config.h"
#include "cli/prompt.h"
#include "cli/live.h"
#include "cli/offer.h"

#include <unistd.h>
#include "cli/report.h"
#include "tallow/group.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: tallow receive [CODE] [--name NAME] [--out DIR] [--accept] [--yes] [--overwrite]\n"
        "         [--signal URL] [--relay-only] [--turn URL] [--turn-user U --turn-pass P]\n"
        "         [--stun URL] [--bind ADDR,...] [--timeout SECONDS] [--stall-timeout SECONDS]\n"
        "         [--ca FILE | --insecure] [--sender-fingerprint WORDS] [--json]\n");
}

typedef struct recv_args {
    tl_group_receiver_config cfg;
    tl_cli_net net;
    int json;
    int yes;      /* --yes: accept the offer without asking */
    int defaults; /* applying defaults (config.h), not the command line */
} recv_args;

static const struct option recv_opts[] = {
    {"name", required_argument, 0, 'N'},
    {"out", required_argument, 0, 'o'},
    {"accept", no_argument, 0, 'a'},
    {"yes", no_argument, 0, 'y'},
    {"overwrite", no_argument, 0, 'O'},
    {"signal", required_argument, 0, 's'},
    {"json", no_argument, 0, 'j'},
    {"sender-fingerprint", required_argument, 0, 'F'},
    TL_CLI_NET_OPTIONS,
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* One option, from the command line or from the defaults: 0, or -1 for a
 * bad value. A default signaling server is only a fallback: the server a
 * join code names comes first. */
static int recv_option(void *ud, int c, int idx, const char *arg)
{
    recv_args *a = ud;
    switch (c) {
    case 'N':
        a->cfg.name = arg;
        return 0;
    case 'o':
        a->cfg.out_dir = arg;
        return 0;
    case 'a':
        a->cfg.accept = 1;
        return 0;
    case 'y':
        a->yes = 1;
        return 0;
    case 'O':
        a->cfg.overwrite = 1;
        return 0;
    case 's':
        if (a->defaults)
            a->cfg.fallback_signal_url = arg;
        else
            a->cfg.signal_url = arg;
        return 0;
    case 'j':
        a->json = 1;
        return 0;
    case 'F':
        a->cfg.sender_fingerprint = arg;
        return 0;
    case 'n':
        return tl_cli_net_option(&a->net, recv_opts[idx].name, arg) < 0 ? -1 : 0;
    default:
        return -1;
    }
}

/* SIGINT/SIGTERM: tell the sender (CANCEL, leave the group); the partial
 * files stay so the same command resumes. */
static tl_group_receiver *interrupt_receiver;
static void on_interrupt(void *rp)
{
    if (tl_group_receiver_cancel(interrupt_receiver, TL_GROUP_STATUS_CANCELLED,
                                 "interrupted; run the same command again to resume") != TL_OK)
        tl_report_finish(rp, TL_GROUP_STATUS_CANCELLED, "interrupted");
}

int tl_cmd_receive(int argc, char **argv)
{
    recv_args a;
    memset(&a, 0, sizeof(a));
    tl_group_receiver_config *cfg = &a.cfg;
    tl_cli_config defaults;
    memset(&defaults, 0, sizeof(defaults));
    const char **given = calloc((size_t)argc + 1, sizeof(char *));
    size_t n_given = 0;
    int c, idx, status = 2;
    char *code = NULL; /* owned copy, wiped */
    optind = 1;
    while (given && (c = getopt_long(argc, argv, "h", recv_opts, &idx)) != -1) {
        if (c == 'h') {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (c == '?' || recv_option(&a, c, idx, optarg) < 0)
            goto usage_error;
        if (tl_argv_is_secret(recv_opts[idx].name, optarg)) /* copied: scrub (argv_scrub.h) */
            tl_argv_scrub(optarg);
        given[n_given++] = recv_opts[idx].name;
    }
    if (!given)
        goto usage_error;
    if (optind < argc) {
        /* The code is the group's only secret: keep a copy, scrub the
         * argument (argv_scrub.h); the prompt and TALLOW_CODE are better. */
        code = strdup(argv[optind]);
        tl_argv_scrub(argv[optind++]);
        if (!code)
            goto usage_error;
        if (tl_prompt_check_code(code) < 0) {
            status = 2;
            goto out;
        }
    }
    if (optind != argc)
        goto usage_error;
    a.defaults = 1;
    status = tl_cli_defaults(&defaults, recv_opts, given, n_given, recv_option, &a);
    if (status)
        goto out;
    struct stat st;
    int st_rc = cfg->out_dir ? stat(cfg->out_dir, &st) : 0;
    if (cfg->out_dir && (st_rc != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "tallow receive: cannot use %s as the output folder: %s\n", cfg->out_dir,
                st_rc ? strerror(errno) : "not a folder");
        status = 3;
        goto out;
    }
    if (!code && !cfg->name) {
        /* No code and no invitation name: TALLOW_CODE, the prompt, or stdin
         * (asked only once everything else given is known to be usable). */
        code = tl_prompt_code(!a.json && isatty(STDIN_FILENO));
        if (!code) {
            status = 2;
            goto out;
        }
    }
    cfg->code = code;
    tl_cli_net_apply(&a.net, &cfg->net);
    /* The name the sender sees: --name, else this machine's host name. */
    char host[65] = "";
    if (gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    cfg->display_name = cfg->name ? cfg->name : host[0] ? host : NULL;

    tl_logger lg = tl_report_logger();
    tl_loop *loop = NULL;
    tl_loop_new(&loop, &lg);
    tl_report *rp = tl_report_new(loop, a.json, 0);
    tl_report_set_out_dir(rp, cfg->out_dir);
    /* On a terminal the offer is a question; --yes, --json or no terminal
     * (scripts) accept it as before. */
    tl_group_callbacks cbs = tl_report_callbacks;
    int ask = !a.yes && !a.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    tl_offer_init(&cbs, rp, loop, ask);
    /* Asked on a terminal, an invitation is joined without --accept: the
     * offer question (who invites, what) comes before anything is written. */
    if (ask)
        cfg->accept = 1;
    tl_group_receiver *r = NULL;
    unsigned logged = tl_report_errors_logged();
    int rc = tl_group_receiver_new(&r, loop, cfg, &cbs, rp);
    int quiet = tl_report_errors_logged() != logged; /* the library said why */
    tl_offer_bind(r);
    if (rc == TL_ERR_PARSE || rc == TL_ERR_INVALID_ARG || rc == TL_ERR_IDENTITY) {
        if (!quiet)
            fprintf(stderr, "tallow receive: %s\n",
                    rc == TL_ERR_PARSE ? "that is not a valid join code or sender fingerprint"
                    : rc == TL_ERR_IDENTITY
                        ? "the code and --sender-fingerprint name different senders"
                        : tl_strerror(rc));
        status = 2;
    } else if (rc != TL_OK) {
        if (!quiet)
            fprintf(stderr, "tallow receive: %s\n", tl_strerror(rc));
        status = 3;
    } else {
        tl_live *lv = tl_live_new(loop, rp, NULL, r);
        interrupt_receiver = r;
        tl_cli_on_interrupt(on_interrupt, rp);
        status = tl_cli_run(loop, rp, a.net.timeout_s);
        tl_cli_on_interrupt(NULL, NULL);
        tl_live_free(lv);
    }
    tl_offer_end();
    tl_group_receiver_free(r);
    tl_report_free(rp);
    tl_loop_free(loop);
    goto out;
usage_error:
    usage(stderr);
    status = 2;
out:
    tl_secret_free(code);
    free(given);
    tl_cli_net_free(&a.net);
    tl_cli_config_free(&defaults);
    return status;
}
