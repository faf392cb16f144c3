/* Helpers shared by the group sender and receiver. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "group/group_internal.h"
#include "group/lanaddr.h"

static void gjob_report(void *arg)
{
    tl_gjob *j = arg;
    j->timer = NULL;
    if (j->cb->on_finished)
        j->cb->on_finished(j->ud, j->status, j->msg);
}

void tl_gjob_decide(tl_gjob *j, int status, const char *msg, uint32_t delay_ms)
{
    if (j->decided)
        return;
    j->decided = 1;
    j->status = status;
    snprintf(j->msg, sizeof(j->msg), "%s", msg);
    j->timer = tl_timer_start(j->loop, delay_ms, gjob_report, j);
}

void tl_gjob_cancel(tl_gjob *j)
{
    tl_timer_stop(j->timer);
    j->timer = NULL;
}

int tl_gprogress_update(tl_gprogress *p, uint64_t bytes, uint64_t total, uint64_t now,
                        uint32_t every_ms)
{
    if (!p->last_t) {
        p->last_t = now;
        p->last_bytes = bytes;
    } else if (now - p->last_t >= 200) {
        double inst = (double)(bytes - p->last_bytes) * 1000.0 / (double)(now - p->last_t);
        p->rate = p->rate == 0 ? inst : 0.7 * p->rate + 0.3 * inst;
        p->last_t = now;
        p->last_bytes = bytes;
    }
    p->bytes = bytes;
    p->total = total;
    if (bytes >= total || now - p->last_emit >= every_ms) {
        p->last_emit = now;
        return 1;
    }
    return 0;
}

void tl_gnet_link_config(tl_link_config *lc, tl_loop *loop, tl_signal_client *sig,
                         const char *group, const char *peer, int offerer, const tl_group_net *net)
{
    memset(lc, 0, sizeof(*lc));
    lc->loop = loop;
    lc->sig = sig;
    lc->group = group;
    lc->peer = peer;
    lc->offerer = offerer;
    lc->pc.ice_servers = net->ice_servers;
    lc->pc.n_ice_servers = net->n_ice_servers;
    if (!net->n_ice_servers) /* none given by the user: the server's, if any */
        lc->pc.n_ice_servers = tl_signal_client_ice_servers(sig, &lc->pc.ice_servers);
    lc->pc.relay_only = net->relay_only;
    lc->pc.allowed = net->bind;
    lc->pc.n_allowed = net->n_bind;
}

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT" into host (no brackets) and
 * port text. Returns 0 or -1. */
static int split_listen(const char *listen, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= hcap)
            return -1;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= hcap)
            return -1;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
    }
    return snprintf(port, pcap, "%s", colon + 1) < (int)pcap ? 0 : -1;
}

int tl_gsignal_start(tl_loop *loop, const char *url, const char *listen, tl_signal_server **server,
                     tl_signal_client **client, char *location, size_t location_len,
                     const tl_signal_callbacks *cb, void *ud, const char *name,
                     const tl_group_net *net, tl_gsignal_serve *serve)
{
    char own[300];
    *server = NULL;
    if (serve)
        serve->iface[0] = '\0';
    if (!url) {
        /* No --listen: every interface, and the code carries the address of
         * the one with the default route (docs/CLI.md "Which address the
         * code carries"); a machine with no network stays on loopback. */
        char host[256], port[16], lan[64], iface[64] = "", bind[300];
        if (!listen) {
            snprintf(host, sizeof(host), "%s", "");
            snprintf(port, sizeof(port), "0");
        } else if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
            return TL_ERR_INVALID_ARG;
        }
        if (tl_lan_is_wildcard(host)) {
            if (tl_lan_address(lan, sizeof(lan), iface, sizeof(iface)) != 0) {
                snprintf(lan, sizeof(lan), "127.0.0.1");
                iface[0] = '\0';
            }
            int v6 = strchr(lan, ':') != NULL;
            /* "[::]" also takes IPv4 (dual stack); "0.0.0.0" only IPv4. */
            if (!listen || (v6 && strcmp(host, "::") != 0))
                snprintf(bind, sizeof(bind), "%s:%s", v6 ? "[::]" : "0.0.0.0", port);
            else
                snprintf(bind, sizeof(bind), "%s", listen);
            if (!listen && !iface[0])
                snprintf(bind, sizeof(bind), "127.0.0.1:%s", port);
            snprintf(host, sizeof(host), "%s", lan);
        } else {
            snprintf(bind, sizeof(bind), "%s", listen);
        }
        tl_signal_server_config sc;
        memset(&sc, 0, sizeof(sc));
        sc.listen = bind;
        if (serve) {
            sc.ice_urls = serve->ice_urls;
            sc.n_ice_urls = serve->n_ice_urls;
            sc.turn_secret = serve->turn_secret;
            sc.turn_ttl_s = serve->turn_ttl_s;
            snprintf(serve->iface, sizeof(serve->iface), "%s", iface);
        }
        int rc = tl_signal_server_new(server, loop, &sc);
        if (rc != TL_OK)
            return rc;
        int v6 = strchr(host, ':') != NULL;
        snprintf(own, sizeof(own), "ws://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
                 tl_signal_server_port(*server));
        url = own;
    }
    snprintf(location, location_len, "%s", url);
    const char *urls[1] = {url};
    tl_signal_client_config cc;
    memset(&cc, 0, sizeof(cc));
    cc.urls = urls;
    cc.n_urls = 1;
    cc.name = name;
    cc.ca_pem = net->ca_file;
    cc.insecure = net->insecure;
    cc.backoff_max_ms = 2000;
    cc.max_attempts = 30; /* about a minute without a server ends the job */
    int rc = tl_signal_client_new(client, loop, &cc, cb, ud);
    if (rc != TL_OK) {
        tl_signal_server_free(*server);
        *server = NULL;
    }
    return rc;
}

int tl_gsession_create_group(tl_signal_client *sig, const char *session_file, const char *location)
{
    char code[TL_JOINCODE_MAX_TEXT] = "";
    FILE *f = session_file ? fopen(session_file, "re") : NULL;
    if (f) {
        if (!fgets(code, sizeof(code), f))
            code[0] = '\0';
        fclose(f);
        code[strcspn(code, "\r\n")] = '\0';
    }
    int rc = TL_ERR_NOT_FOUND;
    if (code[0])
        rc = tl_signal_client_create_group_code(sig, code, location);
    if (rc != TL_OK)
        rc = tl_signal_client_create_group(sig, location);
    OPENSSL_cleanse(code, sizeof(code));
    return rc;
}

/* The session file: the code on the first line, "identity HEX" (the sender
 * identity's seed) on the second. Mode 0600; removed when the send
 * completes. */
void tl_gsession_save(const char *session_file, const char *code,
                      const uint8_t seed[TL_HS_IDENTITY_SEED_LEN])
{
    if (!session_file)
        return;
    char line[16 + 2 * TL_HS_IDENTITY_SEED_LEN];
    int n0 = snprintf(line, sizeof(line), "identity ");
    for (size_t i = 0; i < TL_HS_IDENTITY_SEED_LEN; i++)
        snprintf(line + n0 + 2 * i, 3, "%02x", seed[i]);
    int fd = open(session_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(line, sizeof(line));
        return;
    }
    size_t n = strlen(code), m = strlen(line);
    if (write(fd, code, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
        write(fd, line, m) != (ssize_t)m || write(fd, "\n", 1) != 1) {
        close(fd);
        unlink(session_file);
    } else {
        close(fd);
    }
    OPENSSL_cleanse(line, sizeof(line));
}

int tl_gsession_identity(const char *session_file, uint8_t seed[TL_HS_IDENTITY_SEED_LEN])
{
    char line[TL_JOINCODE_MAX_TEXT + 2 * TL_HS_IDENTITY_SEED_LEN];
    FILE *f = session_file ? fopen(session_file, "re") : NULL;
    if (!f)
        return TL_ERR_NOT_FOUND;
    int rc = TL_ERR_NOT_FOUND;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "identity ", 9) || strlen(line + 9) != 2 * TL_HS_IDENTITY_SEED_LEN)
            continue;
        rc = TL_OK;
        for (size_t i = 0; i < TL_HS_IDENTITY_SEED_LEN && rc == TL_OK; i++) {
            unsigned v;
            if (sscanf(line + 9 + 2 * i, "%2x", &v) != 1)
                rc = TL_ERR_PARSE;
            seed[i] = (uint8_t)v;
        }
        break;
    }
    fclose(f);
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

int tl_grandom(uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = getrandom(buf, len, 0);
        if (n <= 0)
            return TL_ERR_IO;
        buf += n;
        len -= (size_t)n;
    }
    return TL_OK;
}

void tl_gbase_name(const char *path, char *name, size_t cap)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t n = end - start;
    if (n >= cap)
        n = cap - 1;
    memcpy(name, path + start, n);
    name[n] = '\0';
}

void tl_gtest_rename_first(tl_xfer_manifest *m)
{
    const char *name = getenv("TALLOW_TEST_SEND_NAME");
    if (!name || !m->count)
        return;
    char *dup = strdup(name);
    if (!dup)
        return;
    free(m->entries[0].path);
    m->entries[0].path = dup;
}

void tl_gnet_default_bind(tl_group_net *net, const char *location)
{
    static const char *const loopback[] = {"127.0.0.1"};
    if (net->n_bind)
        return;
    const char *h = strstr(location, "://");
    h = h ? h + 3 : location;
    char host[256], port[16];
    if (split_listen(h, host, sizeof(host), port, sizeof(port)) == 0 && tl_lan_is_loopback(host)) {
        net->bind = loopback;
        net->n_bind = 1;
    }
}
