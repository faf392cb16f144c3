/* The one URL / HOST:PORT parser (uri.h), on GLib's GUri. */
#include "common/uri.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "tallow/crypto.h"

static int fail(tl_uri *u, const char **why, const char *reason)
{
    tl_uri_wipe(u);
    if (why)
        *why = reason;
    return -1;
}

static int copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return -1;
    memcpy(dst, src ? src : "", n + 1);
    return 0;
}

/* Printable ASCII, no blank, none of the characters that would change the
 * meaning of a URL or a log line built from it. */
static int valid_host(const char *h)
{
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"\\/?#@[]<>{}|^`", *p))
            return 0;
    /* GUri decodes %XX in a host: a ':' or '%' that came that way (not an
     * IPv6 literal in brackets, whose zone "%25if" decodes to "%if") would
     * make a different host:port when written back. */
    const char *zone = strchr(h, '%');
    if (strchr(h, ':')) {
        char *addr = g_strndup(h, zone ? (size_t)(zone - h) : strlen(h));
        int ok = g_hostname_is_ip_address(addr) && strchr(addr, ':') && (!zone || zone[1]);
        g_free(addr);
        return ok;
    }
    return zone == NULL;
}

static int default_port(const char *scheme)
{
    if (!strcmp(scheme, "ws"))
        return 80;
    if (!strcmp(scheme, "wss"))
        return 443;
    if (!strcmp(scheme, "redis"))
        return 6379;
    return 3478; /* stun, turn (RFC 7064, 7065) */
}

int tl_uri_parse(tl_uri *u, tl_uri_kind kind, const char *text, const char **why)
{
    memset(u, 0, sizeof(*u));
    if (!text || !*text)
        return fail(u, why, "empty");
    if (strlen(text) > TL_URI_MAX)
        return fail(u, why, "too long");
    /* stun:/turn: URIs have no "//" (RFC 7064/7065), HOST:PORT no scheme:
     * give both an authority so that GUri parses host, port and userinfo. */
    char *full = NULL;
    const char *want = NULL;
    switch (kind) {
    case TL_URI_WS:
        full = g_strdup(text);
        break;
    case TL_URI_REDIS:
        want = "redis";
        full = g_strdup(text);
        break;
    case TL_URI_ICE:
        if (!strncmp(text, "stun:", 5) || !strncmp(text, "turn:", 5)) {
            if (text[5] == '/')
                return fail(u, why, "stun:/turn: URLs have no \"//\"");
            full = g_strdup_printf("%.4s://%s", text, text + 5);
        }
        break;
    case TL_URI_HOSTPORT:
        full = g_strdup_printf("x://%s", text);
        break;
    }
    if (!full)
        return fail(u, why, "not a stun: or turn: URL");

    char *scheme = NULL, *user = NULL, *pass = NULL, *host = NULL, *path = NULL, *query = NULL,
         *frag = NULL;
    int port = -1, rc = -1;
    const char *reason = "not a valid URL";
    GError *err = NULL;
    if (!g_uri_split_with_user(full, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_NON_DNS, &scheme, &user,
                               &pass, NULL, &host, &port, &path, &query, &frag, &err)) {
        reason =
            err && err->code == G_URI_ERROR_BAD_PORT ? "bad port (0..65535)"
            : err && err->code == G_URI_ERROR_BAD_HOST
                ? "bad host (an IPv6 address goes in brackets: [::1]:PORT)"
            : err && (err->code == G_URI_ERROR_BAD_USER || err->code == G_URI_ERROR_BAD_PASSWORD)
                ? "bad user or password (percent-encode ':' as %3A, '@' as %40)"
                : "not a valid URL (percent-encode ':' as %3A and '@' as %40 in "
                  "user names and passwords)";
        g_clear_error(&err);
        goto out;
    }
    if (kind == TL_URI_WS && (!scheme || (strcmp(scheme, "ws") && strcmp(scheme, "wss")))) {
        reason = "not a ws:// or wss:// URL";
        goto out;
    }
    if (want && (!scheme || strcmp(scheme, want))) {
        reason = "not a redis:// URL";
        goto out;
    }
    if (!host || (!*host && kind != TL_URI_HOSTPORT)) {
        reason = "no host";
        goto out;
    }
    if (!valid_host(host) || copy(u->host, sizeof(u->host), host)) {
        reason = "bad host";
        goto out;
    }
    if (kind == TL_URI_HOSTPORT) {
        if (port < 0 || user || pass || (path && *path) || query || frag) {
            reason = port < 0 ? "no port (HOST:PORT, [V6]:PORT or :PORT)" : "not HOST:PORT";
            goto out;
        }
    } else {
        copy(u->scheme, sizeof(u->scheme), scheme);
        if (port == 0) {
            reason = "bad port (1..65535)";
            goto out;
        }
    }
    if (frag) {
        reason = "a URL fragment (#) is not allowed";
        goto out;
    }
    if (kind == TL_URI_ICE) {
        if ((path && *path) ||
            (query && strcmp(query, "transport=udp") && strcmp(query, "transport=tcp"))) {
            reason = "stun:/turn: URLs take only ?transport=udp or ?transport=tcp";
            goto out;
        }
        u->tcp = query && !strcmp(query, "transport=tcp");
        if ((user || pass) && !strcmp(scheme, "stun")) {
            reason = "a stun: URL has no user or password";
            goto out;
        }
    }
    if (kind == TL_URI_WS) {
        if (user || pass) {
            reason = "a ws:// URL has no user or password";
            goto out;
        }
        int n = snprintf(u->path, sizeof(u->path), "%s%s%s", path && *path ? path : "/",
                         query ? "?" : "", query ? query : "");
        if (n < 0 || (size_t)n >= sizeof(u->path)) {
            reason = "path too long";
            goto out;
        }
    }
    if (kind == TL_URI_REDIS && copy(u->path, sizeof(u->path), path)) {
        reason = "path too long";
        goto out;
    }
    if (user || pass) {
        u->has_user = 1;
        if (copy(u->user, sizeof(u->user), user) || copy(u->pass, sizeof(u->pass), pass)) {
            reason = "user or password too long";
            goto out;
        }
    }
    u->v6 = strchr(u->host, ':') != NULL;
    u->port_given = port >= 0;
    u->port = port >= 0 ? port : default_port(u->scheme);
    rc = 0;
out:
    if (pass)
        tl_wipe(pass, strlen(pass));
    if (full)
        tl_wipe(full, strlen(full));
    g_free(full);
    g_free(scheme);
    g_free(user);
    g_free(pass);
    g_free(host);
    g_free(path);
    g_free(query);
    g_free(frag);
    return rc ? fail(u, why, reason) : 0;
}

void tl_uri_wipe(tl_uri *u)
{
    tl_wipe(u, sizeof(*u));
}

int tl_uri_hostport(const tl_uri *u, char *out, size_t cap)
{
    int n = snprintf(out, cap, u->v6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
