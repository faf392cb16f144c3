/* tallow: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "tallow/version.h"

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
    fprintf(f, "usage: tallow <command> [options]\n"
               "       tallow help <command>\n"
               "       tallow --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n  -h, --help     this text (tallow CMD --help: the options of CMD)\n"
               "  -V, --version  print the version and exit\n");
}

static const struct subcommand *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(name, commands[i].name))
            return &commands[i];
    return NULL;
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
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        /* The library's version; the CLI is built from the same tree. */
        printf("tallow %s\n", tl_version());
        return 0;
    }
    if (!strcmp(argv[1], "help")) {
        /* tallow help CMD: the same text as tallow CMD --help. */
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const struct subcommand *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "tallow: unknown command '%s'\n", argv[2]);
            usage(stderr);
            return 2;
        }
        char help[] = "--help";
        char *sub[] = {argv[2], help, NULL};
        return c->fn(2, sub);
    }
    const struct subcommand *c = find_command(argv[1]);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "tallow: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
