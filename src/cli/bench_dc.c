/* Placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int tl_bench_dc(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not implemented yet\n", argv[0]);
    return 2;
}
