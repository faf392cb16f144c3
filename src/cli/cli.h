/* The tallow command-line tool: one file per subcommand (main.c dispatches).
 * Each entry point returns the process exit status (SPEC §2 CLI):
 * 0 success, 1 some recipients failed, 2 usage error, 3 nothing sent,
 * 4 cancelled by a person, 5 offer declined (docs/CLI.md "Exit status"). */
#ifndef TL_CLI_H
#define TL_CLI_H

int tl_cmd_send(int argc, char **argv);
int tl_cmd_receive(int argc, char **argv);
int tl_cmd_signal(int argc, char **argv);
int tl_cmd_bench(int argc, char **argv);
int tl_bench_dc(int argc, char **argv);
int tl_bench_kem(int argc, char **argv);
int tl_bench_group(int argc, char **argv);

/* Process CPU seconds (user + system) and peak RSS in KiB, for benchmarks. */
double tl_cli_cpu_seconds(void);
long tl_cli_peak_rss_kib(void);

#endif
