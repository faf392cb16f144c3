#define _GNU_SOURCE
/* tallow signal: run a signaling server until SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/argv_scrub.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "common/loop_internal.h"
#include "common/parse.h"
#include "signal/proto.h"
#include "tallow/signal.h"
#include "common/uri.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tallow signal [--config FILE] [--listen HOST:PORT] [--cert PEM --key PEM]\n"
               "                     [--redis URL] [--max-group N] [--max-msg BYTES] [--rate N/s]\n"
               "                     [--idle-timeout S] [--grace S] [--snapshot-every N]\n"
               "                     [--glib-io] [-v|--verbose] [--stun URL] [--turn URL]\n"
               "                     [--turn-secret S | --turn-secret-file F] [--turn-ttl S]\n"
               "  --config       read options from FILE (\"key = value\" lines, keys are the\n"
               "                 long options); the command line overrides it\n"
               "  --listen       address to listen on (default 127.0.0.1:7788; port 0 picks one)\n"
               "  --cert/--key   serve wss with this certificate and key (PEM files);\n"
               "                 re-read on SIGHUP without dropping connections\n"
               "  --redis        redis://[[USER]:PASS@]HOST:PORT: share groups with other servers\n"
               "  --max-group    members per group (default 64)\n"
               "  --max-msg      bytes per WebSocket message (default 65536, at least 1024)\n"
               "  --rate         messages per second per connection (default 100)\n"
               "  --idle-timeout drop a connection silent this long (default 60)\n"
               "  --grace        seconds a dropped peer keeps its place (default 30)\n"
               "  --snapshot-every  with --redis: events between state snapshots (default 500)\n"
               "  --glib-io      lws' GLib event backend instead of epoll\n"
               "  -v, --verbose  log at debug level\n"
               "  --stun, --turn ICE servers handed to every client (at most 4 in all);\n"
               "                 turn: URLs get per-client TURN REST credentials made\n"
               "  --turn-secret  with this secret (coturn static-auth-secret)\n"
               "  --turn-secret-file  the secret from the first line of FILE\n"
               "  --turn-ttl     seconds a TURN credential is valid (default 43200, >= 60)\n");
}

struct signal_args {
    tl_signal_server_config cfg;
    const char *ice_urls[TL_SIGNAL_MAX_ICE]; /* handed out in "registered" */
    char *turn_secret;                       /* wiped */
    int verbose;
    char **owned; /* strings read from the config file */
    size_t n_owned;
};

static gboolean on_signal(gpointer data)
{
    tl_loop_stop(data);
    return G_SOURCE_REMOVE;
}

static gboolean on_hup(gpointer data)
{
    tl_signal_server **srv = data;
    if (*srv) {
        int rc = tl_signal_server_reload_cert(*srv);
        fprintf(stderr, "tallow signal: SIGHUP: certificate %s%s\n",
                rc == TL_OK ? "reloaded" : "not reloaded: ",
                rc == TL_OK ? "" : (rc == TL_ERR_STATE ? "not serving wss" : tl_strerror(rc)));
    }
    return G_SOURCE_CONTINUE;
}

/* One option by its long name (no leading "--"). value is NULL for a flag.
 * Returns 0, 1 if the option takes no value (flag), -1 on error. */
static int apply_option(struct signal_args *a, const char *name, const char *v, const char *where)
{
    tl_signal_server_config *cfg = &a->cfg;
    int bad = 0;
    char who[PATH_MAX + 48]; /* "signal: FILE:LINE" in the number errors */
    snprintf(who, sizeof(who), "signal: %s", where);
    if (!strcmp(name, "verbose") || !strcmp(name, "glib-io")) {
        int on = 1;
        if (v && strcmp(v, "yes") && strcmp(v, "true") && strcmp(v, "1"))
            on = !(strcmp(v, "no") && strcmp(v, "false") && strcmp(v, "0")) ? 0 : -1;
        if (on < 0) {
            fprintf(stderr, "tallow signal: %s: bad value for %s (yes or no)\n", where, name);
            return -1;
        }
        if (!strcmp(name, "verbose"))
            a->verbose = on;
        else
            cfg->glib_io = on; /* lws' GLib plugin instead of the epoll backend */
        return 1;
    }
    if (!v) {
        fprintf(stderr, "tallow signal: %s: --%s needs a value\n", where, name);
        return -1;
    }
    if (!strcmp(name, "listen"))
        cfg->listen = v;
    else if (!strcmp(name, "cert"))
        cfg->cert_pem = v;
    else if (!strcmp(name, "key"))
        cfg->key_pem = v;
    else if (!strcmp(name, "redis"))
        cfg->redis_url = v;
    else if (!strcmp(name, "max-group"))
        bad = tl_opt_u32(who, name, v, 2, UINT32_MAX, &cfg->max_group);
    else if (!strcmp(name, "max-msg"))
        bad = tl_opt_u32(who, name, v, 1024, UINT32_MAX, &cfg->max_msg);
    else if (!strcmp(name, "rate"))
        bad = tl_opt_u32(who, name, v, 0, UINT32_MAX, &cfg->rate_per_s);
    else if (!strcmp(name, "idle-timeout"))
        bad = tl_opt_u32(who, name, v, 0, UINT32_MAX, &cfg->idle_timeout_s);
    else if (!strcmp(name, "grace"))
        bad = tl_opt_u32(who, name, v, 0, UINT32_MAX, &cfg->resume_grace_s);
    else if (!strcmp(name, "snapshot-every"))
        bad = tl_opt_u32(who, name, v, 1, UINT32_MAX, &cfg->snapshot_every);
    else if (!strcmp(name, "stun") || !strcmp(name, "turn")) {
        if (cfg->n_ice_urls == TL_SIGNAL_MAX_ICE || strncmp(v, name, 4) != 0 || v[4] != ':' ||
            !tl_sig_valid_ice_url(v)) {
            fprintf(stderr, "tallow signal: %s: bad %s URL (want %s:HOST[:PORT]%s; at most %d)\n",
                    where, name, name, name[0] == 't' ? "[?transport=udp|tcp]" : "",
                    TL_SIGNAL_MAX_ICE);
            return -1;
        }
        a->ice_urls[cfg->n_ice_urls++] = v;
        cfg->ice_urls = a->ice_urls;
    } else if (!strcmp(name, "turn-secret") || !strcmp(name, "turn-secret-file")) {
        tl_secret_free(a->turn_secret);
        a->turn_secret = name[11] ? tl_read_secret_file(v) : strdup(v);
        if (!a->turn_secret)
            return -1;
        cfg->turn_secret = a->turn_secret;
    } else if (!strcmp(name, "turn-ttl"))
        bad = tl_opt_u32(who, name, v, 60, UINT32_MAX, &cfg->turn_ttl_s);
    else {
        fprintf(stderr, "tallow signal: %s: unknown option %s\n", where, name);
        return -1;
    }
    return bad ? -1 : 0;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return p;
}

/* "key = value" lines; '#' starts a comment line; blank lines are skipped. */
static int load_config(struct signal_args *a, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tallow signal: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096], where[PATH_MAX + 32];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (eq)
            *eq = '\0';
        char *key = trim(l);
        char *val = eq ? trim(eq + 1) : NULL;
        if (!strcmp(key, "config")) {
            fprintf(stderr, "tallow signal: %s: config cannot include another file\n", where);
            rc = -1;
            break;
        }
        char *owned = val ? strdup(val) : NULL;
        if (owned) {
            char **grown = realloc(a->owned, (a->n_owned + 1) * sizeof(*grown));
            if (!grown) {
                free(owned);
                rc = -1;
                break;
            }
            a->owned = grown;
            a->owned[a->n_owned++] = owned;
        }
        if (apply_option(a, key, owned, where) < 0)
            rc = -1;
        else if (!val && strcmp(key, "verbose") && strcmp(key, "glib-io"))
            rc = -1;
    }
    fclose(f);
    return rc;
}

static const struct option signal_opts[] = {
    {"config", required_argument, 0, 'c'},
    {"listen", required_argument, 0, 'o'},
    {"cert", required_argument, 0, 'o'},
    {"key", required_argument, 0, 'o'},
    {"redis", required_argument, 0, 'o'},
    {"max-group", required_argument, 0, 'o'},
    {"max-msg", required_argument, 0, 'o'},
    {"rate", required_argument, 0, 'o'},
    {"idle-timeout", required_argument, 0, 'o'},
    {"grace", required_argument, 0, 'o'},
    {"snapshot-every", required_argument, 0, 'o'},
    {"stun", required_argument, 0, 'o'},
    {"turn", required_argument, 0, 'o'},
    {"turn-secret", required_argument, 0, 'o'},
    {"turn-secret-file", required_argument, 0, 'o'},
    {"turn-ttl", required_argument, 0, 'o'},
    {"glib-io", no_argument, 0, 'o'},
    {"verbose", no_argument, 0, 'v'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int parse_args(int argc, char **argv, struct signal_args *a)
{
    /* Two passes: --config first, so that the command line overrides the
     * file; then every other option in order. */
    for (int pass = 0; pass < 2; pass++) {
        int c, idx;
        optind = 0; /* glibc: start over */
        opterr = pass == 0;
        while ((c = getopt_long(argc, argv, "hv", signal_opts, &idx)) != -1) {
            if (c == '?')
                return -1;
            if (c == 'h') {
                usage(stdout);
                exit(0);
            }
            if ((c == 'c') != (pass == 0))
                continue;
            if (c == 'c' && load_config(a, optarg))
                return -1;
            if (c == 'v' && apply_option(a, "verbose", NULL, "command line") < 0)
                return -1;
            if (c == 'o' && apply_option(a, signal_opts[idx].name, optarg, "command line") < 0)
                return -1;
            /* Copied by apply_option: out of /proc/PID/cmdline now (argv_scrub.h). */
            if (c == 'o' && !strcmp(signal_opts[idx].name, "turn-secret"))
                tl_argv_scrub(optarg);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tallow signal: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (!a->cfg.cert_pem != !a->cfg.key_pem) {
        fprintf(stderr, "tallow signal: --cert and --key go together\n");
        return -1;
    }
    int has_turn = 0;
    for (size_t i = 0; i < a->cfg.n_ice_urls; i++)
        has_turn |= !strncmp(a->ice_urls[i], "turn:", 5);
    if (has_turn != !!a->cfg.turn_secret) {
        fprintf(stderr, "tallow signal: --turn and --turn-secret go together\n");
        return -1;
    }
    return 0;
}

static void args_free(struct signal_args *a)
{
    tl_secret_free(a->turn_secret);
    for (size_t i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
}

int tl_cmd_signal(int argc, char **argv)
{
    struct signal_args a;
    memset(&a, 0, sizeof(a));
    if (parse_args(argc, argv, &a)) {
        usage(stderr);
        args_free(&a);
        return 2;
    }
    const tl_signal_server_config *cfg = &a.cfg;
    signal(SIGPIPE, SIG_IGN);
    tl_logger lg = tl_cli_logger("tallow signal", a.verbose ? TL_LOG_DEBUG : TL_LOG_INFO);
    tl_loop *loop;
    if (tl_loop_new(&loop, &lg) != TL_OK) {
        args_free(&a);
        return 3;
    }
    /* Handlers first: a SIGTERM right after the address line is printed
     * must already shut down cleanly, and a SIGHUP must not kill us. */
    tl_signal_server *srv = NULL;
    GSource *src[3] = {g_unix_signal_source_new(SIGINT), g_unix_signal_source_new(SIGTERM),
                       g_unix_signal_source_new(SIGHUP)};
    g_source_set_callback(src[0], on_signal, loop, NULL);
    g_source_set_callback(src[1], on_signal, loop, NULL);
    g_source_set_callback(src[2], on_hup, &srv, NULL);
    for (int i = 0; i < 3; i++)
        g_source_attach(src[i], tl_loop_gcontext(loop));
    int rc = tl_signal_server_new(&srv, loop, cfg);
    int status = 0;
    if (rc != TL_OK) {
        fprintf(stderr, "tallow signal: cannot start: %s\n", tl_strerror(rc));
        status = rc == TL_ERR_INVALID_ARG ? 2 : 3;
    } else {
        /* The bound address, for people and for scripts (tests read this line). */
        tl_uri lu; /* parsed by the server already: it cannot fail here */
        if (tl_uri_parse(&lu, TL_URI_HOSTPORT, cfg->listen ? cfg->listen : "127.0.0.1:7788", NULL))
            lu.host[0] = '\0';
        lu.port = tl_signal_server_port(srv);
        char hp[300];
        tl_uri_hostport(&lu, hp, sizeof(hp));
        fprintf(stderr, "tallow signal: listening on %s://%s\n", cfg->cert_pem ? "wss" : "ws", hp);
        fflush(stderr);
        tl_loop_run(loop);
        fprintf(stderr, "tallow signal: shutting down\n");
    }
    for (int i = 0; i < 3; i++) {
        g_source_destroy(src[i]);
        g_source_unref(src[i]);
    }
    tl_signal_server_free(srv);
    tl_loop_free(loop);
    args_free(&a);
    return status;
}
