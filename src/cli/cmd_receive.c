#define _GNU_SOURCE
/* tallow receive: join by code (or wait for an invitation) and receive. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_net.h"
#include "cli/report.h"
#include "tallow/group.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tallow receive [CODE] [--name NAME] [--out DIR] [--accept] [--overwrite]\n"
               "         [--signal URL] [--relay-only] [--turn URL] [--turn-user U --turn-pass P]\n"
               "         [--stun URL] [--bind ADDR,...] [--timeout SECONDS] [--json]\n");
}

int tl_cmd_receive(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, 0, 'N'},
        {"out", required_argument, 0, 'o'},
        {"accept", no_argument, 0, 'a'},
        {"overwrite", no_argument, 0, 'O'},
        {"signal", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},
        TL_CLI_NET_OPTIONS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    tl_group_receiver_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    tl_cli_net net;
    memset(&net, 0, sizeof(net));
    int json = 0, c, idx, status = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        switch (c) {
        case 'N':
            cfg.name = optarg;
            break;
        case 'o':
            cfg.out_dir = optarg;
            break;
        case 'a':
            cfg.accept = 1;
            break;
        case 'O':
            cfg.overwrite = 1;
            break;
        case 's':
            cfg.signal_url = optarg;
            break;
        case 'j':
            json = 1;
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
    if (optind < argc)
        cfg.code = argv[optind++];
    if (optind != argc || (!cfg.code && !cfg.name))
        goto usage_error;
    tl_cli_net_apply(&net, &cfg.net);

    tl_logger lg = tl_report_logger();
    tl_loop *loop = NULL;
    tl_loop_new(&loop, &lg);
    tl_report *rp = tl_report_new(loop, json, 0);
    tl_group_receiver *r = NULL;
    int rc = tl_group_receiver_new(&r, loop, &cfg, &tl_report_callbacks, rp);
    if (rc == TL_ERR_PARSE || rc == TL_ERR_INVALID_ARG) {
        fprintf(stderr, "tallow receive: %s\n",
                rc == TL_ERR_PARSE ? "that is not a valid join code" : tl_strerror(rc));
        status = 2;
    } else if (rc != TL_OK) {
        fprintf(stderr, "tallow receive: %s\n", tl_strerror(rc));
        status = 3;
    } else {
        status = tl_cli_run(loop, rp, net.timeout_s);
    }
    tl_group_receiver_free(r);
    tl_report_free(rp);
    tl_loop_free(loop);
    goto out;
usage_error:
    usage(stderr);
    status = 2;
out:
    tl_cli_net_free(&net);
    return status;
}
