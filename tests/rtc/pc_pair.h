/* Test helper: two tl_pc peers on one tl_loop, signalled in-process
 * (offer/answer and trickled candidates handed over directly), with event
 * recording and deadline-bounded waits (no sleeps). */
#ifndef TL_TEST_PC_PAIR_H
#define TL_TEST_PC_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "tallow/rtc.h"

#define PEER_MAX_DC 64
#define PEER_MAX_CANDS 64

struct peer;

/* Per-channel receive record. */
struct chan {
    struct peer *peer;
    tl_dc *dc;
    int opened, closed, errors;
    uint64_t msgs, bytes;
    /* last message */
    uint8_t *last;
    size_t last_len;
    int last_text;
    int low_events;
};

struct peer {
    const char *name;
    tl_pc *pc;
    struct peer *other;
    tl_loop *loop;
    tl_pc_state states[32];
    int n_states;
    int ever_connected, failed;
    char *cands[PEER_MAX_CANDS]; /* every on_local_candidate */
    int n_cands;
    int gathering_done;
    int trickle;      /* hand candidates to the other side */
    char ufrag0[257]; /* a=ice-ufrag of its first description */
    struct chan chans[PEER_MAX_DC];
    int n_chans;
};

struct pair {
    tl_loop *loop;
    struct peer a, b; /* a offers */
};

/* Builds both peers. cfg may be NULL (loopback only, 127.0.0.1). */
int pair_new(struct pair *p, const tl_pc_config *cfg_a, const tl_pc_config *cfg_b);
/* Offer from a, answer from b (optionally edited by the test first). */
int pair_negotiate(struct pair *p, void (*edit_answer)(char *sdp));
/* Runs the loop until cond(arg) is true or timeout_ms passes; returns 1 if
 * the condition held. */
int pair_wait(struct pair *p, int (*cond)(void *), void *arg, int timeout_ms);
int pair_wait_connected(struct pair *p, int timeout_ms);
void pair_free(struct pair *p);

/* Registers a channel created locally with the recording callbacks. */
struct chan *peer_track(struct peer *pe, tl_dc *dc);
struct chan *peer_find(struct peer *pe, const char *label);
/* Creates a channel on pe with the recording callbacks. */
struct chan *peer_open(struct peer *pe, const tl_dc_init *init);
extern const tl_dc_callbacks pair_dc_callbacks;

/* Log lines of every pair's loop that contain pair_log_watch (set it, then
 * read pair_log_hits): how a test observes an internal decision. */
extern const char *pair_log_watch;
extern int pair_log_hits;

/* Deterministic test pattern. */
void fill_pattern(uint8_t *buf, size_t len, uint64_t seed);

#endif
