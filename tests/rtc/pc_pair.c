#define _DEFAULT_SOURCE
#include "rtc/pc_pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtc/sdp.h"
#include "tallow/loop.h"

static void on_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud);
static void on_text(tl_dc *dc, const char *text, size_t len, void *ud);

static void on_open(tl_dc *dc, void *ud)
{
    (void)dc;
    ((struct chan *)ud)->opened++;
}

static void on_close(tl_dc *dc, void *ud)
{
    (void)dc;
    ((struct chan *)ud)->closed++;
}

static void on_low(tl_dc *dc, void *ud)
{
    (void)dc;
    ((struct chan *)ud)->low_events++;
}

static void on_error(tl_dc *dc, int err, void *ud)
{
    (void)dc;
    (void)err;
    ((struct chan *)ud)->errors++;
}

const tl_dc_callbacks pair_dc_callbacks = {on_open, on_close, on_binary, on_text, on_low, on_error};

static void record(struct chan *c, const void *data, size_t len, int text)
{
    c->msgs++;
    c->bytes += len;
    free(c->last);
    c->last = malloc(len ? len : 1);
    if (len)
        memcpy(c->last, data, len);
    c->last_len = len;
    c->last_text = text;
}

static void on_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    (void)dc;
    record(ud, data, len, 0);
}

static void on_text(tl_dc *dc, const char *text, size_t len, void *ud)
{
    (void)dc;
    record(ud, text, len, 1);
}

struct chan *peer_track(struct peer *pe, tl_dc *dc)
{
    if (pe->n_chans >= PEER_MAX_DC)
        return NULL;
    struct chan *c = &pe->chans[pe->n_chans++];
    memset(c, 0, sizeof(*c));
    c->peer = pe;
    c->dc = dc;
    tl_dc_set_callbacks(dc, &pair_dc_callbacks, c);
    return c;
}

struct chan *peer_open(struct peer *pe, const tl_dc_init *init)
{
    if (pe->n_chans >= PEER_MAX_DC)
        return NULL;
    struct chan *c = &pe->chans[pe->n_chans];
    memset(c, 0, sizeof(*c));
    c->peer = pe;
    if (tl_pc_create_dc(pe->pc, init, &pair_dc_callbacks, c, &c->dc) != TL_OK)
        return NULL;
    pe->n_chans++;
    return c;
}

struct chan *peer_find(struct peer *pe, const char *label)
{
    for (int i = 0; i < pe->n_chans; i++)
        if (pe->chans[i].dc && !strcmp(tl_dc_label(pe->chans[i].dc), label))
            return &pe->chans[i];
    return NULL;
}

static void on_cand(tl_pc *pc, const char *cand, const char *mid, void *ud)
{
    (void)pc;
    struct peer *pe = ud;
    if (pe->n_cands < PEER_MAX_CANDS)
        pe->cands[pe->n_cands++] = strdup(cand);
    if (pe->trickle && pe->other->pc)
        tl_pc_add_remote_candidate(pe->other->pc, cand, mid);
}

static void on_gathered(tl_pc *pc, void *ud)
{
    (void)pc;
    struct peer *pe = ud;
    pe->gathering_done = 1;
    if (pe->trickle && pe->other->pc)
        tl_pc_end_of_remote_candidates(pe->other->pc);
}

static void on_state(tl_pc *pc, tl_pc_state st, void *ud)
{
    (void)pc;
    struct peer *pe = ud;
    if (pe->n_states < 32)
        pe->states[pe->n_states++] = st;
    if (st == TL_PC_CONNECTED)
        pe->ever_connected = 1;
    if (st == TL_PC_FAILED)
        pe->failed = 1;
}

static void on_dc(tl_pc *pc, tl_dc *dc, void *ud)
{
    (void)pc;
    peer_track(ud, dc);
}

static const tl_pc_callbacks pc_cbs = {on_cand, on_gathered, on_state, on_dc};

static const char *const loopback[] = {"127.0.0.1"};

const char *pair_log_watch;
int pair_log_hits;
static int pair_log_level = TL_LOG_NONE;

/* Counts the lines that contain pair_log_watch; prints those at or above
 * TL_TEST_LOG. */
static void log_line(void *ud, tl_log_level level, const char *subject, const char *msg)
{
    (void)ud;
    if (pair_log_watch && strstr(msg, pair_log_watch))
        pair_log_hits++;
    if ((int)level < pair_log_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr, "%ld.%03ld [%d] %s: %s\n", (long)ts.tv_sec % 1000, ts.tv_nsec / 1000000,
            (int)level, subject, msg);
}

int pair_new(struct pair *p, const tl_pc_config *cfg_a, const tl_pc_config *cfg_b)
{
    memset(p, 0, sizeof(*p));
    /* TL_TEST_LOG=0..3 prints the library's log at that level. */
    const char *lv = getenv("TL_TEST_LOG");
    pair_log_level = lv ? atoi(lv) : TL_LOG_NONE;
    tl_logger lg = {log_line, NULL, TL_LOG_DEBUG};
    int rc = tl_loop_new(&p->loop, &lg);
    if (rc != TL_OK)
        return rc;
    tl_pc_config def = {0};
    def.allowed = loopback;
    def.n_allowed = 1;
    p->a.name = "a";
    p->b.name = "b";
    p->a.other = &p->b;
    p->b.other = &p->a;
    p->a.loop = p->b.loop = p->loop;
    p->a.trickle = p->b.trickle = 1;
    rc = tl_pc_new(&p->a.pc, p->loop, cfg_a ? cfg_a : &def, &pc_cbs, &p->a);
    if (rc == TL_OK)
        rc = tl_pc_new(&p->b.pc, p->loop, cfg_b ? cfg_b : &def, &pc_cbs, &p->b);
    return rc;
}

int pair_negotiate(struct pair *p, void (*edit_answer)(char *sdp))
{
    char *offer = NULL, *answer = NULL;
    int rc = tl_pc_create_offer(p->a.pc, &offer);
    if (rc == TL_OK)
        rc = tl_pc_set_remote_description(p->b.pc, offer, TL_SDP_OFFER);
    if (rc == TL_OK)
        rc = tl_pc_create_answer(p->b.pc, &answer);
    if (rc == TL_OK && !p->a.ufrag0[0]) {
        tl_sdp *s = malloc(sizeof(*s));
        char err[128];
        if (s && tl_sdp_parse(offer, strlen(offer), s, err, sizeof(err)) == TL_OK)
            memcpy(p->a.ufrag0, s->ice_ufrag, sizeof(p->a.ufrag0));
        if (s && tl_sdp_parse(answer, strlen(answer), s, err, sizeof(err)) == TL_OK)
            memcpy(p->b.ufrag0, s->ice_ufrag, sizeof(p->b.ufrag0));
        free(s);
    }
    if (rc == TL_OK && edit_answer)
        edit_answer(answer);
    if (rc == TL_OK)
        rc = tl_pc_set_remote_description(p->a.pc, answer, TL_SDP_ANSWER);
    tl_free(offer);
    tl_free(answer);
    return rc;
}

static void wake(void *arg)
{
    *(int *)arg = 1;
}

int pair_wait(struct pair *p, int (*cond)(void *), void *arg, int timeout_ms)
{
    uint64_t deadline = tl_loop_now_ms(p->loop) + (uint64_t)timeout_ms;
    while (!cond(arg)) {
        if (tl_loop_now_ms(p->loop) >= deadline)
            return 0;
        if (tl_loop_iterate(p->loop, 0))
            continue;
        /* Nothing ready: block, but never past ~20 ms (deadline checks). */
        int fired = 0;
        tl_timer *t = tl_timer_start(p->loop, 20, wake, &fired);
        tl_loop_iterate(p->loop, 1);
        if (!fired)
            tl_timer_stop(t);
    }
    return 1;
}

static int both_connected(void *arg)
{
    struct pair *p = arg;
    return tl_pc_get_state(p->a.pc) == TL_PC_CONNECTED &&
           tl_pc_get_state(p->b.pc) == TL_PC_CONNECTED;
}

int pair_wait_connected(struct pair *p, int timeout_ms)
{
    return pair_wait(p, both_connected, p, timeout_ms);
}

static void peer_clear(struct peer *pe)
{
    tl_pc_free(pe->pc);
    pe->pc = NULL;
    for (int i = 0; i < pe->n_cands; i++)
        free(pe->cands[i]);
    for (int i = 0; i < pe->n_chans; i++)
        free(pe->chans[i].last);
}

void pair_free(struct pair *p)
{
    peer_clear(&p->a);
    peer_clear(&p->b);
    tl_loop_free(p->loop);
}

void fill_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}
