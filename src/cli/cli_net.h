/* Shared network options of send/receive: --bind, --relay-only, --turn,
 * --turn-user, --turn-pass, --stun, --timeout, --ca, --insecure, and
 * SIGINT/SIGTERM handling. */
#ifndef TL_CLI_NET_H
#define TL_CLI_NET_H

#include "cli/report.h"
#include "tallow/group.h"

typedef struct tl_cli_net {
    char **bind;
    size_t n_bind;
    tl_ice_server servers[4];
    char *urls[4];
    size_t n_servers;
    char *turn_user, *turn_pass;
    int relay_only;
    unsigned timeout_s;
    char *ca;         /* --ca FILE: trust these certificates for wss signaling */
    int insecure;     /* --insecure: do not verify the wss server's certificate */
    unsigned stall_s; /* --stall-timeout (0: the session idle timeout) */
} tl_cli_net;

/* The shared set's getopt_long entries (val 'n': pass them to
 * tl_cli_net_option by name). */
/* clang-format off */
#define TL_CLI_NET_OPTIONS                           \
    {"relay-only", no_argument, 0, 'n'},             \
    {"turn", required_argument, 0, 'n'},             \
    {"turn-user", required_argument, 0, 'n'},        \
    {"turn-pass", required_argument, 0, 'n'},        \
    {"stun", required_argument, 0, 'n'},             \
    {"bind", required_argument, 0, 'n'},             \
    {"timeout", required_argument, 0, 'n'},          \
    {"ca", required_argument, 0, 'n'},               \
    {"insecure", no_argument, 0, 'n'},           \
    {"stall-timeout", required_argument, 0, 'n'}
/* clang-format on */

/* Handles one option of the shared set. Returns 1 if it was one, 0 if not,
 * -1 on a bad value (message printed). */
int tl_cli_net_option(tl_cli_net *n, const char *name, const char *value);

/* Fills a tl_group_net (pointers into n). With --insecure, prints the
 * one-line warning to stderr. */
void tl_cli_net_apply(tl_cli_net *n, tl_group_net *out);
void tl_cli_net_free(tl_cli_net *n);

/* Runs the job's loop until the job is reported through rp; --timeout and
 * SIGINT/SIGTERM end it through rp too. Returns the exit status recorded. */
int tl_cli_run(tl_loop *loop, tl_report *rp, unsigned timeout_s);

/* Called on the first SIGINT/SIGTERM during tl_cli_run instead of ending at
 * once (it should end the job through the report's on_finished); a second
 * signal ends at once with status TL_GROUP_STATUS_CANCELLED. NULL: none. */
void tl_cli_on_interrupt(void (*fn)(void *), void *arg);

#endif
