/* dc_echo: the smallest data-channel program on libtallow's rtc.h.
 *
 * Two peer connections in one process, on loopback: "a" offers and opens a
 * channel, "b" answers and echoes every message back. Descriptions and
 * candidates are handed over directly (a real application sends them through
 * a signaling server). Prints the echo and exits 0. */
#include <stdio.h>
#include <string.h>

#include <tallow/loop.h>
#include <tallow/rtc.h>

static tl_loop *loop;
static tl_pc *pc_a, *pc_b;
static tl_timer *deadline;
static int status = 1;

/* Trickle ICE: each side's candidates go straight to the other. */
static void on_candidate(tl_pc *pc, const char *cand, const char *mid, void *ud)
{
    (void)ud;
    tl_pc_add_remote_candidate(pc == pc_a ? pc_b : pc_a, cand, mid);
}

static void on_gathered(tl_pc *pc, void *ud)
{
    (void)ud;
    tl_pc_end_of_remote_candidates(pc == pc_a ? pc_b : pc_a);
}

static void b_on_text(tl_dc *dc, const char *text, size_t len, void *ud)
{
    (void)ud;
    tl_dc_send_text(dc, text, len); /* echo */
}

static void b_on_datachannel(tl_pc *pc, tl_dc *dc, void *ud)
{
    (void)pc;
    (void)ud;
    static const tl_dc_callbacks cb = {.on_text = b_on_text};
    tl_dc_set_callbacks(dc, &cb, NULL);
}

static void a_on_open(tl_dc *dc, void *ud)
{
    (void)ud;
    static const char msg[] = "hello over WebRTC";
    printf("channel '%s' open\n", tl_dc_label(dc));
    tl_dc_send_text(dc, msg, strlen(msg));
}

static void a_on_text(tl_dc *dc, const char *text, size_t len, void *ud)
{
    (void)dc;
    (void)ud;
    printf("echo: %.*s\n", (int)len, text);
    status = 0;
    tl_loop_stop(loop);
}

static void on_timeout(void *arg)
{
    (void)arg;
    deadline = NULL; /* a fired timer frees itself */
    fprintf(stderr, "no echo within 20 s\n");
    tl_loop_stop(loop);
}

int main(void)
{
    tl_logger log = {NULL, NULL, TL_LOG_NONE};
    if (tl_loop_new(&loop, &log) != TL_OK)
        return 1;
    const char *lo[] = {"127.0.0.1"};
    tl_pc_config cfg = {0};
    cfg.allowed = lo;
    cfg.n_allowed = 1;
    tl_pc_callbacks cb_a = {.on_local_candidate = on_candidate, .on_gathering_done = on_gathered};
    tl_pc_callbacks cb_b = cb_a;
    cb_b.on_datachannel = b_on_datachannel;
    if (tl_pc_new(&pc_a, loop, &cfg, &cb_a, NULL) != TL_OK ||
        tl_pc_new(&pc_b, loop, &cfg, &cb_b, NULL) != TL_OK)
        return 1;

    tl_dc_init init;
    tl_dc_init_default(&init, "chat");
    tl_dc_callbacks dcb = {.on_open = a_on_open, .on_text = a_on_text};
    tl_dc *dc;
    char *offer = NULL, *answer = NULL;
    if (tl_pc_create_dc(pc_a, &init, &dcb, NULL, &dc) != TL_OK ||
        tl_pc_create_offer(pc_a, &offer) != TL_OK ||
        tl_pc_set_remote_description(pc_b, offer, TL_SDP_OFFER) != TL_OK ||
        tl_pc_create_answer(pc_b, &answer) != TL_OK ||
        tl_pc_set_remote_description(pc_a, answer, TL_SDP_ANSWER) != TL_OK) {
        fprintf(stderr, "offer/answer failed\n");
        return 1;
    }
    tl_free(offer);
    tl_free(answer);

    deadline = tl_timer_start(loop, 20000, on_timeout, NULL);
    tl_loop_run(loop);
    if (deadline)
        tl_timer_stop(deadline);
    tl_pc_free(pc_a);
    tl_pc_free(pc_b);
    tl_loop_free(loop);
    return status;
}
