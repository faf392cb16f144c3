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

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: tallow bench dc|kem|group [options] [--json]\n"
               "  tallow bench dc [--size BYTES] [--msg BYTES] [--conns N] [--json]\n"
               "      one data channel between two peers on loopback (sizes: K, M, G suffixes)\n"
               "  tallow bench kem [--time SEC] [--json]\n"
               "      ML-KEM-768, X25519, the hybrid handshake, chunk sealing\n"
               "  tallow bench group --recipients N --size BYTES[k|M|G|Ki|Mi|Gi]\n"
               "                     [--timeout SECONDS] [--json]\n"
               "      a real send to N receive processes\n");
}

int tl_cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        bench_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        bench_usage(stdout);
        return 0;
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
