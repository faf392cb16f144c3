/* tallow: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct subcommand commands[] = {
    {"send", tl_cmd_send, "send files to a group of recipients"},
    {"receive", tl_cmd_receive, "receive files by join code or invitation"},
    {"signal", tl_cmd_signal, "run a signaling server"},
    {"bench", tl_cmd_bench, "benchmarks: dc, kem, group"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tallow <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tallow: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
