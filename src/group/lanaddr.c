/* Which address the embedded signaling server advertises in a join code. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "group/lanaddr.h"

static int usable(const tl_lan_if *i)
{
    if (!i->addr || !i->up || i->loopback)
        return 0;
    if (i->addr->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)i->addr)->sin_addr.s_addr);
        return a != 0 && (a >> 24) != 127 && (a >> 16) != 0xa9fe; /* 169.254/16 */
    }
    if (i->addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)i->addr)->sin6_addr;
        return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
               !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_V4MAPPED(a);
    }
    return 0;
}

static int emit(const tl_lan_if *i, char *out, size_t cap, char *ifname, size_t ifcap)
{
    const void *src = i->addr->sa_family == AF_INET
                          ? (const void *)&((const struct sockaddr_in *)i->addr)->sin_addr
                          : (const void *)&((const struct sockaddr_in6 *)i->addr)->sin6_addr;
    if (!inet_ntop(i->addr->sa_family, src, out, (socklen_t)cap))
        return -1;
    if (ifname && ifcap)
        snprintf(ifname, ifcap, "%s", i->name ? i->name : "");
    return 0;
}

int tl_lan_pick(const tl_lan_if *ifs, size_t n, const char *route4, const char *route6, char *out,
                size_t cap, char *ifname, size_t ifcap)
{
    const char *routes[2] = {route4, route6};
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; routes[r] && routes[r][0] && i < n; i++)
            if (usable(&ifs[i]) && ifs[i].addr->sa_family == (r ? AF_INET6 : AF_INET) &&
                ifs[i].name && !strcmp(ifs[i].name, routes[r]))
                return emit(&ifs[i], out, cap, ifname, ifcap);
    /* No default route: the first usable address, IPv4 first. */
    for (int fam = 0; fam < 2; fam++)
        for (size_t i = 0; i < n; i++)
            if (usable(&ifs[i]) && ifs[i].addr->sa_family == (fam ? AF_INET6 : AF_INET))
                return emit(&ifs[i], out, cap, ifname, ifcap);
    return -1;
}

#define RTF_UP_ 0x0001u
#define RTF_REJECT_ 0x0200u

/* The interface of the default route with the lowest metric in the kernel's
 * table (/proc/net/route or /proc/net/ipv6_route), "" if none. Unreachable
 * and prohibit routes (RTF_REJECT) and loopback do not count. */
static void default_iface(int v6, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(v6 ? "/proc/net/ipv6_route" : "/proc/net/route", "re");
    if (!f)
        return;
    char line[512];
    unsigned long best = 0;
    int have = 0;
    while (fgets(line, sizeof(line), f)) {
        char ifn[64], dst[40], mask[40], src[40], hop[40];
        unsigned long flags, metric, plen, splen, ref, use;
        int ok;
        if (v6)
            ok = sscanf(line, "%39s %lx %39s %lx %39s %lx %lx %lx %lx %63s", dst, &plen, src,
                        &splen, hop, &metric, &ref, &use, &flags, ifn) == 10 &&
                 plen == 0 && strspn(dst, "0") == strlen(dst);
        else
            ok = sscanf(line, "%63s %39s %39s %lx %lx %lx %lu %39s", ifn, dst, hop, &flags, &ref,
                        &use, &metric, mask) == 8 &&
                 !strcmp(dst, "00000000") && !strcmp(mask, "00000000");
        if (!ok || !(flags & RTF_UP_) || (flags & RTF_REJECT_) || !strcmp(ifn, "lo"))
            continue;
        if (!have || metric < best) {
            best = metric;
            have = 1;
            snprintf(out, cap, "%s", ifn);
        }
    }
    fclose(f);
}

int tl_lan_address(char *out, size_t cap, char *ifname, size_t ifcap)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0)
        return -1;
    size_t n = 0;
    for (struct ifaddrs *p = list; p; p = p->ifa_next)
        n++;
    tl_lan_if *ifs = calloc(n ? n : 1, sizeof(*ifs));
    if (!ifs) {
        freeifaddrs(list);
        return -1;
    }
    size_t k = 0;
    for (struct ifaddrs *p = list; p; p = p->ifa_next) {
        if (!p->ifa_addr)
            continue;
        ifs[k].name = p->ifa_name;
        ifs[k].addr = p->ifa_addr;
        ifs[k].up = (p->ifa_flags & IFF_UP) && (p->ifa_flags & IFF_RUNNING);
        ifs[k].loopback = !!(p->ifa_flags & IFF_LOOPBACK);
        k++;
    }
    char if4[64], if6[64];
    default_iface(0, if4, sizeof(if4));
    default_iface(1, if6, sizeof(if6));
    int rc = tl_lan_pick(ifs, k, if4, if6, out, cap, ifname, ifcap);
    free(ifs);
    freeifaddrs(list);
    return rc;
}

int tl_lan_is_wildcard(const char *host)
{
    return !host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !strcmp(host, "[::]");
}

int tl_lan_is_loopback(const char *host)
{
    char h[64];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(h)) {
        memcpy(h, host + 1, len - 2);
        h[len - 2] = '\0';
        host = h;
    }
    if (!strcasecmp(host, "localhost"))
        return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
