/* Test helper: a real coturn (turnserver) on 127.0.0.1 with a temporary
 * configuration (long-term credentials, static user, no TLS/DTLS/CLI,
 * loopback peers allowed). coturn_stop() kills it by PID; it is also
 * registered with atexit() so a failing test never leaves it running. */
#ifndef TL_TEST_COTURN_H
#define TL_TEST_COTURN_H

#include <stdint.h>
#include <sys/types.h>

#define COTURN_USER "tallow"
#define COTURN_PASS "relay-secret"

struct coturn {
    pid_t pid;
    uint16_t port;
    char dir[64]; /* temporary directory (config, log, db) */
};

/* Starts turnserver and waits (bounded, by STUN binding round trips) until
 * it answers. Returns 0 or -1. */
int coturn_start(struct coturn *c);
void coturn_stop(struct coturn *c);

#endif
