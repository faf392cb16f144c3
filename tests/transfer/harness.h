/* In-memory harness: a sender and a receiver state machine wired to each
 * other through two FIFO "data channels", with a real source (files on disk)
 * and real sinks (an output folder). Used by the session tests. */
#ifndef TL_TEST_XFER_HARNESS_H
#define TL_TEST_XFER_HARNESS_H

#include "tallow/transfer.h"

typedef struct hx_msg {
    struct hx_msg *next;
    size_t len;
    uint8_t data[];
} hx_msg;

typedef struct hx_chan {
    hx_msg *head, *tail;
    size_t bytes, count;
} hx_chan;

typedef struct hx_side {
    int done, err, keyed, remote;
    char sas[TL_HS_SAS_LEN];
    char msg[128];
    uint32_t verified, failed;
    int file_err[64];
    uint64_t progress_bytes, progress_total;
    uint32_t rtt_ms, rtt_count;
    char peer_name[128]; /* the peer's NAME (escaped), "" if none */
    int manifest_seen;   /* a MANIFEST event came */
    int name_late;       /* the NAME came after the MANIFEST */
} hx_side;

typedef struct hx {
    const tl_xfer_crypto *crypto;
    tl_xfer_manifest *m; /* sender's (owned) */
    tl_source *src;
    tl_xfer_sender *s;
    tl_xfer_receiver *r;
    tl_sink **sinks;
    uint32_t nsinks;
    tl_sink_config scfg;
    const char *code_s, *code_r; /* join-code secrets */
    const char *name_s, *name_r; /* display names (tl_xfer_config.name) */
    hx_chan s2r, r2s;
    uint64_t now;
    hx_side S, R;
    uint64_t delivered_s2r; /* messages delivered to the receiver */
    uint64_t stop_after;    /* 0: run to the end; else interrupt */
    uint64_t tamper_msg;    /* 0: none; else flip a byte of s2r message n */
    int interrupted;
    uint32_t window;
    uint64_t step_ms;          /* clock advance per step (0: 1 ms) */
    uint32_t stall_ms;         /* both sides' stall_timeout_ms (0: the default) */
    int bad_receipt;           /* the receiver lies: every receipt it sends is wrong */
    int drop_r2s;              /* black-hole everything the receiver sends */
    uint32_t max_epoch;        /* highest chunk.h epoch seen on s2r records */
    uint32_t deliver_per_step; /* s2r messages delivered per step (0: 4) */
    uint32_t deliver_every;    /* deliver only every n-th step (slow peer) */
    uint64_t steps;
    tl_bucket_group *bucket; /* optional rate limit (borrowed) */
    int bucket_id;
    int shared_manifest; /* teardown leaves m alone */
    uint64_t written;    /* payload bytes the sinks accepted */
    char sink_err[256];
    uint64_t space; /* non-zero: refuse an offer that needs more (NOSPACE) */
    uint64_t need;  /* tl_xfer_need_bytes of the last answer */
} hx;

/* Sets up a session over manifest m (ownership passes to h). */
void hx_init(hx *h, const tl_xfer_crypto *c, tl_xfer_manifest *m, int out_fd);

/* Runs until both sides finished/failed, the interrupt point, or a step
 * limit. Returns 0 when finished cleanly on both sides. */
int hx_run(hx *h);

/* Creates and starts both state machines. */
int hx_start(hx *h);

/* One step at h->now (the caller moves the clock): both sides pumped,
 * messages delivered. Returns 1 if anything happened. */
int hx_step(hx *h);

/* 1 when both sides are done or failed. */
int hx_over(const hx *h);

/* Frees the state machines and the source; sinks are abandoned (crash) when
 * crash is set, else closed normally. The manifest is freed too. */
void hx_teardown(hx *h, int crash);

/* Builds a manifest (chunk size cs) from paths under dir: each name is both
 * the disk path below dir and the name sent. */
tl_xfer_manifest *hx_manifest(const char *dir, uint32_t cs, const char *const *names, int n);

/* Writes len pseudo-random bytes (seed) to path. */
void hx_write_random(const char *path, size_t len, unsigned seed);

/* 1 if files a and b have identical contents. */
int hx_same_file(const char *a, const char *b);

/* Makes a fresh temp dir under TMPDIR; returns malloc'ed path. */
char *hx_tmpdir(void);

/* rm -rf (no symlink following). */
void hx_rmrf(const char *path);

#endif
