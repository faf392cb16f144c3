/* tallow bench: dispatch to one benchmark, plus shared measurement helpers. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"

double tl_cli_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

long tl_cli_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* Linux reports KiB */
}

int tl_cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tallow bench dc|kem|group [options] [--json]\n");
        return 2;
    }
    if (!strcmp(argv[1], "dc"))
        return tl_bench_dc(argc - 1, argv + 1);
    if (!strcmp(argv[1], "kem"))
        return tl_bench_kem(argc - 1, argv + 1);
    if (!strcmp(argv[1], "group"))
        return tl_bench_group(argc - 1, argv + 1);
    fprintf(stderr, "tallow bench: unknown benchmark '%s'\n", argv[1]);
    return 2;
}
