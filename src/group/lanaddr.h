/* The address a join code should carry when the sender runs the embedded
 * signaling server on every interface (docs/CLI.md "Which address the code
 * carries"). */
#ifndef TL_GROUP_LANADDR_H
#define TL_GROUP_LANADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* One interface address, as getifaddrs() reports it. */
typedef struct tl_lan_if {
    const char *name;            /* interface name */
    const struct sockaddr *addr; /* AF_INET or AF_INET6 */
    unsigned up;                 /* IFF_UP and IFF_RUNNING */
    unsigned loopback;           /* IFF_LOOPBACK */
} tl_lan_if;

/* Pure choice (no I/O): an address of the interface that holds the IPv4
 * default route (route4: its name, NULL or "" if none), else of the one
 * holding the IPv6 default route (route6), else the first usable address,
 * IPv4 first. Usable: up, not loopback, not link-local (169.254/16,
 * fe80::/10), not unspecified. Writes the numeric address (IPv6 without
 * brackets) to out and the interface name to ifname. Returns 0, or -1 when
 * no interface qualifies. */
int tl_lan_pick(const tl_lan_if *ifs, size_t n, const char *route4, const char *route6, char *out,
                size_t cap, char *ifname, size_t ifcap);

/* tl_lan_pick over this machine's interfaces (getifaddrs) and default
 * routes (the kernel's routing tables in /proc/net; no packet is sent). */
int tl_lan_address(char *out, size_t cap, char *ifname, size_t ifcap);

/* 1 if host (numeric, IPv6 with or without brackets) is a wildcard
 * (empty, 0.0.0.0, ::). */
int tl_lan_is_wildcard(const char *host);

/* 1 if host names this machine only (127/8, ::1, localhost). */
int tl_lan_is_loopback(const char *host);

#endif
