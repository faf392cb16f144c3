/* Scrubbing secrets out of the process's argument memory (argv_scrub.h). */
#include "cli/argv_scrub.h"

#include <string.h>

void tl_argv_scrub(char *arg)
{
    if (!arg)
        return;
    /* Not memset to 0: a NUL would split the argument in /proc/PID/cmdline
     * and shift what ps shows; the stars say where a secret was. The
     * volatile pointer keeps the compiler from dropping the stores. */
    volatile char *p = arg;
    for (; *p; p++)
        *p = '*';
}

int tl_argv_is_secret(const char *name, const char *value)
{
    if (!name)
        return 0;
    if (!strcmp(name, "turn-pass") || !strcmp(name, "turn-secret"))
        return 1;
    /* turn:user:pass@host:port carries a password (cli_net.c). */
    return (!strcmp(name, "turn") || !strcmp(name, "stun")) && value && strchr(value, '@');
}
