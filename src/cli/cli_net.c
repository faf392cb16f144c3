#define _GNU_SOURCE
/* Shared network options and job guards for send/receive. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cli/cli_net.h"
#include "common/loop_internal.h"
#include "common/parse.h"
#include "common/uri.h"
#include "tallow/crypto.h"

/* "stun:HOST[:PORT]" or "turn:[USER:PASS@]HOST[:PORT][?transport=udp|tcp]"
 * (one URL parser, src/common/uri.c; ':' in USER and '@' in PASS percent-
 * encoded) -> the URL without the credentials, which become --turn-user and
 * --turn-pass. */
static int add_server(tl_cli_net *n, const char *url)
{
    if (n->n_servers == 4) {
        fprintf(stderr, "tallow: at most 4 ICE servers\n");
        return -1;
    }
    tl_uri u;
    const char *why = NULL;
    char hp[300];
    if (tl_uri_parse(&u, TL_URI_ICE, url, &why) || tl_uri_hostport(&u, hp, sizeof(hp)) < 0) {
        fprintf(stderr,
                "tallow: bad ICE server URL: %s (want stun:HOST[:PORT] or "
                "turn:[USER:PASS@]HOST[:PORT][?transport=udp|tcp])\n",
                why ? why : "too long");
        return -1;
    }
    if (u.has_user) {
        free(n->turn_user);
        n->turn_user = strdup(u.user);
        if (n->turn_pass)
            tl_wipe(n->turn_pass, strlen(n->turn_pass));
        free(n->turn_pass);
        n->turn_pass = strdup(u.pass);
    }
    tl_ice_server *s = &n->servers[n->n_servers];
    memset(s, 0, sizeof(*s));
    n->urls[n->n_servers] = g_strdup_printf("%s:%s%s", u.scheme, hp, u.tcp ? "?transport=tcp" : "");
    tl_uri_wipe(&u);
    s->url = n->urls[n->n_servers];
    n->n_servers++;
    return 1;
}

int tl_cli_net_option(tl_cli_net *n, const char *name, const char *value)
{
    if (!strcmp(name, "bind")) {
        tl_free_list(n->bind, n->n_bind);
        n->bind = tl_split_list(value, &n->n_bind);
        return 1;
    }
    if (!strcmp(name, "relay-only")) {
        n->relay_only = 1;
        return 1;
    }
    if (!strcmp(name, "turn") || !strcmp(name, "stun"))
        return add_server(n, value);
    if (!strcmp(name, "turn-user")) {
        free(n->turn_user);
        n->turn_user = strdup(value);
        return 1;
    }
    if (!strcmp(name, "turn-pass")) {
        free(n->turn_pass);
        n->turn_pass = strdup(value);
        return 1;
    }
    if (!strcmp(name, "ca")) {
        /* Load it now, so a wrong path is a usage error, not a failed connect. */
        X509_STORE *st = X509_STORE_new();
        int ok = st && X509_STORE_load_file(st, value) == 1;
        X509_STORE_free(st);
        ERR_clear_error();
        if (!ok) {
            fprintf(stderr, "tallow: --ca %s: not a readable PEM certificate file\n", value);
            return -1;
        }
        free(n->ca);
        n->ca = strdup(value);
        return 1;
    }
    if (!strcmp(name, "insecure")) {
        n->insecure = 1;
        return 1;
    }
    if (!strcmp(name, "timeout")) {
        uint32_t v;
        if (tl_opt_u32(NULL, "timeout", value, 1, TL_TIMEOUT_MAX, &v))
            return -1;
        n->timeout_s = v;
        return 1;
    }
    if (!strcmp(name, "stall-timeout")) {
        uint32_t v;
        if (tl_opt_u32(NULL, "stall-timeout", value, 1, 86400, &v))
            return -1;
        n->stall_s = v;
        return 1;
    }
    return 0;
}

void tl_cli_net_apply(tl_cli_net *n, tl_group_net *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n->n_servers; i++) {
        if (!strncmp(n->servers[i].url, "turn:", 5)) {
            n->servers[i].username = n->turn_user;
            n->servers[i].credential = n->turn_pass;
        }
    }
    out->bind = (const char *const *)n->bind;
    out->n_bind = n->n_bind;
    out->ice_servers = n->servers;
    out->n_ice_servers = n->n_servers;
    out->relay_only = n->relay_only;
    out->ca_file = n->ca;
    out->insecure = n->insecure;
    if (n->insecure)
        fprintf(stderr, "tallow: warning: --insecure: the wss signaling server's certificate is "
                        "not verified (anyone on the path can stand in for it)\n");
    out->stall_timeout_ms = n->stall_s * 1000u;
}

void tl_cli_net_free(tl_cli_net *n)
{
    tl_free_list(n->bind, n->n_bind);
    for (size_t i = 0; i < n->n_servers; i++)
        g_free(n->urls[i]);
    free(n->turn_user);
    free(n->turn_pass);
    free(n->ca);
}

static tl_timer *timeout_timer;

static void on_timeout(void *arg)
{
    timeout_timer = NULL;
    tl_report_finish(arg, 1, "timed out before every recipient finished");
}

static void tl_cli_disarm(void)
{
    if (timeout_timer)
        tl_timer_stop(timeout_timer);
    timeout_timer = NULL;
}

static void (*interrupt_fn)(void *);
static void *interrupt_arg;
static int interrupted;

void tl_cli_on_interrupt(void (*fn)(void *), void *arg)
{
    interrupt_fn = fn;
    interrupt_arg = arg;
}

/* SIGINT/SIGTERM: the first lets the job end cleanly (the hook tells the
 * peers), a second one ends it now. */
static gboolean on_signal(gpointer arg)
{
    if (!interrupted++ && interrupt_fn)
        interrupt_fn(interrupt_arg);
    else
        tl_report_finish(arg, TL_GROUP_STATUS_CANCELLED, "interrupted");
    return G_SOURCE_CONTINUE;
}

static void tl_cli_arm(tl_loop *loop, tl_report *rp, unsigned timeout_s)
{
    if (timeout_s)
        timeout_timer = tl_timer_start(loop, timeout_s * 1000u, on_timeout, rp);
    int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        GSource *src = g_unix_signal_source_new(sigs[i]);
        g_source_set_callback(src, on_signal, rp, NULL);
        g_source_attach(src, tl_loop_gcontext(loop));
        g_source_unref(src);
    }
}

int tl_cli_run(tl_loop *loop, tl_report *rp, unsigned timeout_s)
{
    tl_cli_arm(loop, rp, timeout_s);
    tl_loop_run(loop);
    tl_cli_disarm();
    return tl_report_status(rp);
}
