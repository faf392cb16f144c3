/* Test helpers for signaling: an event recorder behind tl_signal_client,
 * deadline waits on the loop, and child processes stopped by PID. */
#ifndef TL_TEST_SIG_HELPERS_H
#define TL_TEST_SIG_HELPERS_H

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

#include "tallow/loop.h"
#include "tallow/signal.h"

typedef struct rec {
    tl_signal_client *c;
    GPtrArray *ev; /* "kind arg arg ..." strings */
    char group[8];
    char code[TL_JOINCODE_MAX_TEXT];
    uint8_t secret[TL_JOINCODE_SECRET_LEN];
    char last_invite[40];
    int registered;
} rec;

extern const tl_signal_callbacks rec_callbacks;

/* Creates a recording client for urls (NULL-terminated). A wss server's
 * certificate is verified against the system store. */
rec *rec_new(tl_loop *loop, const char *const *urls, const char *name);
/* The same, trusting only the certificates in ca_pem (NULL: system store). */
rec *rec_new_ca(tl_loop *loop, const char *const *urls, const char *name, const char *ca_pem);
void rec_free(rec *r);
/* Index of the first event starting with prefix at or after from, or -1. */
int rec_find(const rec *r, const char *prefix, int from);
/* Runs the loop until rec_find(r, prefix) >= 0 or timeout_ms passes. */
int rec_wait(tl_loop *loop, rec *r, const char *prefix, uint32_t timeout_ms);
/* Runs the loop until *flag != 0 or the deadline. */
int wait_flag(tl_loop *loop, const int *flag, uint32_t timeout_ms);
/* Runs the loop for ms (draining: no event is expected). */
void run_for(tl_loop *loop, uint32_t ms);
void rec_dump(const rec *r);

/* Child processes: argv NULL-terminated; stderr to errfile if not NULL. */
pid_t proc_start(char *const argv[], const char *errfile);
void proc_kill(pid_t pid, int sig); /* sends sig, waits for exit */
/* Forgets a process the caller reaped itself. */
void proc_forget(pid_t pid);
/* Stops every process started with proc_start (also at exit). */
void proc_kill_all(void);
/* Reads the port from "listening on ws[s]://HOST:PORT" in errfile, waiting up
 * to timeout_ms. Returns the port or -1. */
int proc_wait_port(const char *errfile, uint32_t timeout_ms);
/* A free TCP port on 127.0.0.1 (bind to 0 and close). */
int free_port(void);
/* Starts redis-server on a free loopback port; returns its port, sets *pid. */
int redis_start(pid_t *pid);
/* Starts redis-server (no persistence) on port; returns port or -1. */
int redis_start_on(int port, pid_t *pid);
/* Lines of file that contain needle. */
int log_count(const char *file, const char *needle);
/* Runs the loop until file has count lines with needle, or the deadline.
 * Returns 0 or -1. */
int wait_log(tl_loop *loop, const char *file, const char *needle, int count, uint32_t timeout_ms);

#endif
