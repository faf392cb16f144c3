#define _GNU_SOURCE
/* The offer question of tallow receive (offer.h). One receive per process,
 * so the state is static. */
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/offer.h"
#include "common/loop_internal.h"

static struct {
    tl_report *rp;
    tl_loop *loop;
    tl_group_receiver *r;
    int ask;
    GSource *src;
    char line[32];
    size_t len;
} g;

static void answer(int yes)
{
    if (g.src) {
        g_source_destroy(g.src);
        g.src = NULL;
    }
    tl_report_prompt(g.rp, NULL);
    tl_group_receiver_answer(g.r, yes);
}

/* One line of the answer (the terminal is in its normal, line-by-line
 * mode): y or yes accepts, anything else (or end of input) declines. */
static gboolean on_stdin(gint fd, GIOCondition cond, gpointer arg)
{
    (void)arg;
    char c;
    ssize_t n = (cond & G_IO_IN) ? read(fd, &c, 1) : 0;
    if (n <= 0) {
        g.src = NULL; /* removed by returning REMOVE */
        printf("\n");
        tl_report_prompt(g.rp, NULL);
        tl_group_receiver_answer(g.r, 0);
        return G_SOURCE_REMOVE;
    }
    if (c != '\n') {
        if (g.len + 1 < sizeof(g.line))
            g.line[g.len++] = c;
        return G_SOURCE_CONTINUE;
    }
    g.line[g.len] = '\0';
    int yes = !strcasecmp(g.line, "y") || !strcasecmp(g.line, "yes");
    answer(yes);
    return G_SOURCE_REMOVE;
}

static void on_offer(void *ud, const tl_group_offer *o)
{
    (void)ud;
    char q[256];
    tl_report_offer(g.rp, o, g.ask ? q : NULL, sizeof(q));
    if (!g.ask) {
        tl_group_receiver_answer(g.r, 1);
        return;
    }
    tl_report_prompt(g.rp, q);
    g.len = 0;
    g.src = g_unix_fd_source_new(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(g.src, (GSourceFunc)(void (*)(void))on_stdin, NULL, NULL);
    g_source_attach(g.src, tl_loop_gcontext(g.loop));
    g_source_unref(g.src); /* the context holds it until removed */
}

void tl_offer_init(tl_group_callbacks *cb, tl_report *rp, tl_loop *loop, int ask)
{
    memset(&g, 0, sizeof(g));
    g.rp = rp;
    g.loop = loop;
    g.ask = ask;
    cb->on_offer = on_offer;
}

void tl_offer_bind(tl_group_receiver *r)
{
    g.r = r;
}

void tl_offer_end(void)
{
    if (g.src)
        g_source_destroy(g.src);
    g.src = NULL;
}
