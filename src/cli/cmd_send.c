/* Placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int tl_cmd_send(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not implemented yet\n", argv[0]);
    return 2;
}
